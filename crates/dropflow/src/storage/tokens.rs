//! API tokens. The token is 32 random bytes shown once; only its SHA-256 is stored, so a
//! database leak does not leak working credentials.

use super::{now_ms, Database, Result};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Recognisable prefix, so a leaked token is easy to spot and revoke.
const PREFIX: &str = "dfk_";

/// Creates a token named `name` and returns it in clear: the only time it is visible.
pub async fn create(db: &Database, name: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    sqlx::query(
        "INSERT INTO api_tokens (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(name)
    .bind(hash(&token))
    .bind(now_ms())
    .execute(&db.writer)
    .await?;
    Ok(token)
}

/// The token's name if it is valid and not revoked.
pub async fn authenticate(db: &Database, token: &str) -> Result<Option<String>> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let row =
        sqlx::query("SELECT name FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(hash(token))
            .fetch_optional(&db.reader)
            .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("name")?),
        None => None,
    })
}

fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
