//! API tokens. The token is 32 random bytes shown once; only its SHA-256 is stored, so a
//! database leak does not leak working credentials.

use super::codec::{from_row, RowExt};
use super::{now_ms, Database, Result};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Recognisable prefix, so a leaked token is easy to spot and revoke.
const PREFIX: &str = "dfk_";

/// Creates a token named `name` with no user (it acts as an owner of the default account) and
/// returns it in clear: the only time it is visible.
pub async fn create(db: &Database, name: &str) -> Result<String> {
    Ok(create_for(db, name, None).await?.1)
}

/// Creates a token acting as `user_id` (or as an owner of the default account when `None`);
/// returns its id and the token in clear.
pub async fn create_for(
    db: &Database,
    name: &str,
    user_id: Option<&str>,
) -> Result<(String, String)> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO api_tokens (id, name, token_hash, created_at, user_id)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(name)
    .bind(hash(&token))
    .bind(now_ms())
    .bind(user_id)
    .execute(&db.writer)
    .await?;
    Ok((id, token))
}

/// Whose a valid token is.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    /// The token's name.
    pub name: String,
    /// The user it acts as; `None` for a token made without a user (default-account owner).
    pub user_id: Option<String>,
}

/// The token's owner if it is valid and not revoked.
pub async fn authenticate(db: &Database, token: &str) -> Result<Option<TokenOwner>> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT name, user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash(token))
    .fetch_optional(&db.reader)
    .await?;
    Ok(match row {
        Some(r) => Some(from_row!(r => TokenOwner { name, user_id })),
        None => None,
    })
}

/// A token as its owner sees it (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A user's tokens, newest first.
pub async fn list_for_user(db: &Database, user_id: &str) -> Result<Vec<TokenView>> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, revoked_at FROM api_tokens WHERE user_id = $1
         ORDER BY created_at DESC, id DESC",
    )
    .bind(user_id)
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(from_row!(r => TokenView {
                id, name;
                created_at: r.at("created_at")?,
                revoked_at: r.at_opt("revoked_at")?,
            }))
        })
        .collect()
}

/// Revokes one of a user's tokens; `NotFound` if it is not theirs.
pub async fn revoke(db: &Database, user_id: &str, token_id: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND user_id = $3",
    )
    .bind(now_ms())
    .bind(token_id)
    .bind(user_id)
    .execute(&db.writer)
    .await?;
    if done.rows_affected() == 0 {
        return Err(super::StorageError::NotFound);
    }
    Ok(())
}

fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
