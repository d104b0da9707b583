//! Slows down password guessing: after too many failed logins for one e-mail address, or
//! from one network address, within a window, further attempts are refused without checking
//! the password until the window passes.
//!
//! The counts live in the database (`login_failures`), so several dropflow processes behind
//! one balancer count the same failures and a restart forgives nothing. Keys are SHA-256
//! digests of the e-mail or address. Unknown and known e-mail addresses are counted alike,
//! so the limiter reveals nothing about which addresses exist.

use crate::storage::{Database, Result};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Failures allowed per e-mail address within [`WINDOW_MS`].
pub const PER_EMAIL: i64 = 5;
/// Failures allowed per network address within [`WINDOW_MS`] (a shared office address tries
/// many accounts).
pub const PER_ADDRESS: i64 = 30;
/// How long failures are remembered.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// The login limiter over the shared database.
#[derive(Clone)]
pub struct LoginLimiter {
    db: Database,
}

impl LoginLimiter {
    pub fn new(db: Database) -> LoginLimiter {
        LoginLimiter { db }
    }

    /// Whether a login for this e-mail from this address may be checked now.
    pub async fn allows(&self, email: &str, address: Option<&str>, now_ms: i64) -> Result<bool> {
        if self.failures(&email_key(email), now_ms).await? >= PER_EMAIL {
            return Ok(false);
        }
        Ok(match address {
            Some(a) => self.failures(&address_key(a), now_ms).await? < PER_ADDRESS,
            None => true,
        })
    }

    /// Counts a failed login (a window that has passed starts again at one).
    pub async fn failed(&self, email: &str, address: Option<&str>, now_ms: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let expired = now_ms - WINDOW_MS;
        for key in std::iter::once(email_key(email)).chain(address.map(address_key)) {
            sqlx::query(
                "INSERT INTO login_failures (key, window_start, failures) VALUES ($1, $2, 1)
                 ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN login_failures.window_start <= $3 THEN 1
                                    ELSE login_failures.failures + 1 END,
                    window_start = CASE WHEN login_failures.window_start <= $3 THEN $2
                                        ELSE login_failures.window_start END",
            )
            .bind(&key)
            .bind(now_ms)
            .bind(expired)
            .execute(&mut *tx)
            .await?;
        }
        // Old windows go as new failures come, so made-up addresses cannot grow the table
        // without bound.
        sqlx::query("DELETE FROM login_failures WHERE window_start <= $1")
            .bind(expired)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets an e-mail's failures after a successful login.
    pub async fn succeeded(&self, email: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(email_key(email))
            .execute(&self.db.writer)
            .await?;
        Ok(())
    }

    /// The failures counted for `key` in the window that holds `now_ms`.
    async fn failures(&self, key: &str, now_ms: i64) -> Result<i64> {
        let row = sqlx::query("SELECT window_start, failures FROM login_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.db.reader)
            .await?;
        Ok(match row {
            Some(r) if r.try_get::<i64, _>("window_start")? > now_ms - WINDOW_MS => {
                r.try_get("failures")?
            }
            _ => 0,
        })
    }
}

fn digest(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(format!("{kind}:{value}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn email_key(email: &str) -> String {
    digest("email", &email.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    digest("addr", address)
}
