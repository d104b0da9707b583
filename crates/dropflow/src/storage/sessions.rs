//! Browser sessions. The cookie carries 32 random bytes; only their SHA-256 is stored, so a
//! copy of the database does not log anyone in. Each session has its own CSRF token, which
//! every form must send back (double submit against the session, checked in constant time).

use super::accounts::{user_by_id, User};
use super::{now_ms, Database, Result};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// How long a session lasts without a new login.
pub const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;

/// A new session: the cookie value (shown once, to the browser) and its CSRF token.
#[derive(Debug)]
pub struct NewSession {
    pub cookie: String,
    pub csrf_token: String,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
}

/// Opens a session for a user who has just proven their password.
pub async fn create(db: &Database, user_id: &str) -> Result<NewSession> {
    let cookie = random_token();
    let csrf_token = random_token();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash(&cookie))
    .bind(user_id)
    .bind(&csrf_token)
    .bind(now)
    .bind(now + SESSION_TTL_MS)
    .execute(&db.writer)
    .await?;
    Ok(NewSession { cookie, csrf_token })
}

/// The session a cookie value names, if it is live and its user is not disabled.
pub async fn find(db: &Database, cookie: &str) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT user_id, csrf_token FROM sessions
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(hash(cookie))
    .bind(now_ms())
    .fetch_optional(&db.reader)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user_id: String = row.try_get("user_id")?;
    Ok(user_by_id(db, &user_id).await?.map(|user| Session {
        user,
        csrf_token: row.try_get("csrf_token").unwrap_or_default(),
    }))
}

/// Ends a session (logout).
pub async fn revoke(db: &Database, cookie: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2")
        .bind(now_ms())
        .bind(hash(cookie))
        .execute(&db.writer)
        .await?;
    Ok(())
}

/// Whether a submitted CSRF token is the session's, compared in constant time.
pub fn csrf_matches(session: &Session, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = session.csrf_token.as_bytes();
    expected.len() == submitted.len() && bool::from(expected.ct_eq(submitted.as_bytes()))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
