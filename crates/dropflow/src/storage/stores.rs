use super::{now_ms, Database, Result, StorageError};
use dropflow_core::ids::StoreId;
use dropflow_core::intake::Platform;
use sqlx::Row;

/// A registered store. The secret is for verifying webhooks and never leaves the server.
#[derive(Clone)]
pub struct Store {
    pub id: StoreId,
    pub platform: Platform,
    pub domain: String,
    pub webhook_secret: String,
    pub previous_webhook_secret: Option<String>,
    pub created_at: i64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.id)
            .field("platform", &self.platform)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// Normalises a shop domain the way platforms send it: lower case, no scheme, no trailing `/`
/// (WooCommerce's `X-WC-Webhook-Source` is the site URL with a trailing slash).
pub fn normalize_domain(raw: &str) -> String {
    let lower = raw.trim().to_ascii_lowercase();
    let without_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    without_scheme.trim_end_matches('/').to_string()
}

pub async fn create(
    db: &Database,
    platform: Platform,
    domain: &str,
    webhook_secret: &str,
) -> Result<Store> {
    let store = Store {
        id: StoreId::new(),
        platform,
        domain: normalize_domain(domain),
        webhook_secret: webhook_secret.to_string(),
        previous_webhook_secret: None,
        created_at: now_ms(),
    };
    let result = sqlx::query(
        "INSERT INTO stores (id, platform, domain, webhook_secret, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform, domain) DO NOTHING",
    )
    .bind(store.id.to_string())
    .bind(platform.as_str())
    .bind(&store.domain)
    .bind(&store.webhook_secret)
    .bind(store.created_at)
    .execute(&db.writer)
    .await?;
    if result.rows_affected() == 0 {
        return Err(StorageError::Conflict(format!(
            "a {} store with domain {} is already registered",
            platform.as_str(),
            store.domain
        )));
    }
    Ok(store)
}

/// Replaces the webhook secret, keeping the old one valid for deliveries signed before the
/// rotation reached the platform.
pub async fn rotate_secret(db: &Database, id: StoreId, new_secret: &str) -> Result<()> {
    let result = sqlx::query(
        "UPDATE stores SET previous_webhook_secret = webhook_secret, webhook_secret = $1
         WHERE id = $2",
    )
    .bind(new_secret)
    .bind(id.to_string())
    .execute(&db.writer)
    .await?;
    if result.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

const COLUMNS: &str = "id, platform, domain, webhook_secret, previous_webhook_secret, created_at";

pub async fn find_by_domain(
    db: &Database,
    platform: Platform,
    domain: &str,
) -> Result<Option<Store>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM stores WHERE platform = $1 AND domain = $2"
    ))
    .bind(platform.as_str())
    .bind(normalize_domain(domain))
    .fetch_optional(&db.reader)
    .await?;
    row.map(|r| from_row(&r)).transpose()
}

pub async fn list(db: &Database) -> Result<Vec<Store>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM stores ORDER BY created_at"))
        .fetch_all(&db.reader)
        .await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Store> {
    let platform: String = row.try_get("platform")?;
    Ok(Store {
        id: super::codec::parse_id("stores.id", &row.try_get::<String, _>("id")?)?,
        platform: Platform::parse(&platform)
            .ok_or_else(|| StorageError::Corrupt(format!("stores.platform {platform:?}")))?,
        domain: row.try_get("domain")?,
        webhook_secret: row.try_get("webhook_secret")?,
        previous_webhook_secret: row.try_get("previous_webhook_secret")?,
        created_at: row.try_get("created_at")?,
    })
}
