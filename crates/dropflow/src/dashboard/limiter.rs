//! Slows down password guessing without handing attackers a lock-out weapon (OWASP
//! Authentication Cheat Sheet, "Login Throttling" / "Account Lockout"):
//!
//! - per (network address, e-mail): [`PER_PAIR`] tries in [`WINDOW_MS`] — one guesser at one
//!   account; the owner signing in from elsewhere is not affected;
//! - per network address: [`PER_ADDRESS`] tries in [`WINDOW_MS`] — one guesser spraying many
//!   accounts (a shared office address has room for many people);
//! - per e-mail: [`PER_EMAIL`] tries in [`EMAIL_WINDOW_MS`] — a slower backstop against a
//!   guess spread over many addresses, high enough that a handful of wrong tries from
//!   anywhere never locks the owner out.
//!
//! An attempt is *reserved* before the password is checked: one statement per counter
//! increments it and returns the new count (an upsert is atomic on both engines), so parallel
//! attempts cannot all read "4 so far" and all be checked. A successful login gives its
//! reservation back and forgets the (address, e-mail) counter.
//!
//! The counts live in the database (`login_failures`), so several dropflow processes behind
//! one balancer count the same attempts and a restart forgives nothing. Keys are SHA-256
//! digests of the kind and value. Unknown and known e-mail addresses are counted alike, so
//! the limiter reveals nothing about which addresses exist.

use crate::storage::{Database, Result};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Tries allowed per (network address, e-mail) within [`WINDOW_MS`].
pub const PER_PAIR: i64 = 5;
/// Tries allowed per network address within [`WINDOW_MS`].
pub const PER_ADDRESS: i64 = 30;
/// Tries allowed per e-mail address, from anywhere, within [`EMAIL_WINDOW_MS`].
pub const PER_EMAIL: i64 = 50;
/// How long pair and address tries are remembered.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// How long per-e-mail tries are remembered.
pub const EMAIL_WINDOW_MS: i64 = 60 * 60 * 1000;

/// The login limiter over the shared database.
#[derive(Clone)]
pub struct LoginLimiter {
    db: Database,
}

/// One counter an attempt is charged to.
struct Counter {
    key: String,
    limit: i64,
    window_ms: i64,
}

impl LoginLimiter {
    pub fn new(db: Database) -> LoginLimiter {
        LoginLimiter { db }
    }

    /// Charges one attempt to every counter this login falls under and says whether the
    /// password may be checked (every counter within its limit). The charge is made first,
    /// atomically, so concurrent attempts each see their own count.
    pub async fn reserve(&self, email: &str, address: Option<&str>, now_ms: i64) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let mut allowed = true;
        for counter in counters(email, address) {
            let row = sqlx::query(
                "INSERT INTO login_failures (key, window_start, failures) VALUES ($1, $2, 1)
                 ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN login_failures.window_start <= $3 THEN 1
                                    ELSE login_failures.failures + 1 END,
                    window_start = CASE WHEN login_failures.window_start <= $3 THEN $2
                                        ELSE login_failures.window_start END
                 RETURNING failures",
            )
            .bind(&counter.key)
            .bind(now_ms)
            .bind(now_ms - counter.window_ms)
            .fetch_one(&mut *tx)
            .await?;
            let count: i64 = row.try_get("failures")?;
            allowed &= count <= counter.limit;
        }
        // Old windows go as new attempts come, so made-up addresses cannot grow the table
        // without bound (the longest window decides).
        sqlx::query("DELETE FROM login_failures WHERE window_start <= $1")
            .bind(now_ms - WINDOW_MS.max(EMAIL_WINDOW_MS))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(allowed)
    }

    /// A reserved attempt succeeded: the (address, e-mail) counter is forgotten and the
    /// attempt is given back to the others.
    pub async fn succeeded(&self, email: &str, address: Option<&str>) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut counters = counters(email, address).into_iter();
        if let Some(pair) = counters.next() {
            sqlx::query("DELETE FROM login_failures WHERE key = $1")
                .bind(&pair.key)
                .execute(&mut *tx)
                .await?;
        }
        for counter in counters {
            sqlx::query(
                "UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0",
            )
            .bind(&counter.key)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The counters of one attempt, the (address, e-mail) pair first.
fn counters(email: &str, address: Option<&str>) -> Vec<Counter> {
    let email = email.trim().to_lowercase();
    // Without a peer address (not served over TCP) every attempt shares one address.
    let address = address.unwrap_or("unknown");
    vec![
        Counter {
            key: digest("pair", &format!("{address}\n{email}")),
            limit: PER_PAIR,
            window_ms: WINDOW_MS,
        },
        Counter {
            key: digest("addr", address),
            limit: PER_ADDRESS,
            window_ms: WINDOW_MS,
        },
        Counter {
            key: digest("email", &email),
            limit: PER_EMAIL,
            window_ms: EMAIL_WINDOW_MS,
        },
    ]
}

fn digest(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(format!("{kind}:{value}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
