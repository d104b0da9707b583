use super::{now_ms, query, Database, Result, StorageError};
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
    /// When its Admin API access was checked against the shop itself; `None`: unverified.
    pub verified_at: Option<i64>,
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

/// Registers a store in the `default` account (the command line's, and tests').
pub async fn create(
    db: &Database,
    platform: Platform,
    domain: &str,
    webhook_secret: &str,
) -> Result<Store> {
    create_in(db, "default", platform, domain, webhook_secret).await
}

/// Registers an unverified store in `account_id`. Domains are not first come, first served:
/// other accounts' unverified registrations of the domain do not block it; a verified one
/// does, and so does the account's own earlier registration. The refusal names no account.
pub async fn create_in(
    db: &Database,
    account_id: &str,
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
        verified_at: None,
    };
    let result = sqlx::query(
        "INSERT INTO stores (id, platform, domain, webhook_secret, created_at, account_id)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE NOT EXISTS (SELECT 1 FROM stores WHERE platform = $2 AND domain = $3
             AND (verified_at IS NOT NULL OR account_id = $6))
         ON CONFLICT DO NOTHING",
    )
    .bind(store.id.to_string())
    .bind(platform.as_str())
    .bind(&store.domain)
    .bind(&store.webhook_secret)
    .bind(store.created_at)
    .bind(account_id)
    .execute(&db.writer)
    .await?;
    if result.rows_affected() == 0 {
        return Err(already_registered(platform, &store.domain));
    }
    Ok(store)
}

fn already_registered(platform: Platform, domain: &str) -> StorageError {
    StorageError::Conflict(format!(
        "a {} store with domain {domain} is already registered",
        platform.as_str()
    ))
}

/// Stores the Admin API access that was just checked against the shop and marks the store
/// verified. Refused (conflict) when another registration of the domain is verified already.
pub async fn verify_with_access(
    db: &Database,
    id: StoreId,
    access: &super::settings::AdminAccess,
) -> Result<()> {
    let mut tx = db.begin().await?;
    verify_with_access_in(&mut tx, id, access).await?;
    tx.commit().await?;
    Ok(())
}

/// [`verify_with_access`] inside the caller's transaction (the change is audited with it).
pub async fn verify_with_access_in(
    tx: &mut super::Tx<'_>,
    id: StoreId,
    access: &super::settings::AdminAccess,
) -> Result<()> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM stores WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let store = row
        .map(|r| from_row(&r))
        .transpose()?
        .ok_or(StorageError::NotFound)?;
    let result = sqlx::query(
        "UPDATE stores SET admin_url = $1, admin_key = $2, admin_secret = $3,
             verified_at = COALESCE(verified_at, $4)
         WHERE id = $5 AND NOT EXISTS (SELECT 1 FROM stores other
             WHERE other.platform = $6 AND other.domain = $7
               AND other.verified_at IS NOT NULL AND other.id <> $5)",
    )
    .bind(&access.url)
    .bind(&access.key)
    .bind(access.secret.as_deref())
    .bind(now_ms())
    .bind(id.to_string())
    .bind(store.platform.as_str())
    .bind(&store.domain)
    .execute(&mut **tx)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 1 => Ok(()),
        Ok(_) => Err(already_registered(store.platform, &store.domain)),
        // Two verifications of one domain at once: the unique index keeps one.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(already_registered(store.platform, &store.domain))
        }
        Err(e) => Err(e.into()),
    }
}

/// One store by id.
pub async fn get(db: &Database, id: StoreId) -> Result<Store> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM stores WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&db.reader)
        .await?;
    row.map(|r| from_row(&r))
        .transpose()?
        .ok_or(StorageError::NotFound)
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
    query::touched(result)
}

const COLUMNS: &str =
    "id, platform, domain, webhook_secret, previous_webhook_secret, created_at, verified_at";

/// The store a webhook for this domain belongs to, when there is one: the verified
/// registration, else the first.
pub async fn find_by_domain(
    db: &Database,
    platform: Platform,
    domain: &str,
) -> Result<Option<Store>> {
    Ok(candidates(db, platform, domain).await?.into_iter().next())
}

/// The registrations a webhook for this domain may belong to: only the verified one when
/// there is one (an unverified registration never takes a verified store's webhooks);
/// otherwise every registration, oldest first — the webhook's signature tells them apart,
/// as each registrant gave its own secret.
pub async fn candidates(db: &Database, platform: Platform, domain: &str) -> Result<Vec<Store>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM stores WHERE platform = $1 AND domain = $2
         ORDER BY verified_at IS NULL, created_at, id"
    ))
    .bind(platform.as_str())
    .bind(normalize_domain(domain))
    .fetch_all(&db.reader)
    .await?;
    let stores: Vec<Store> = rows.iter().map(from_row).collect::<Result<_>>()?;
    Ok(match stores.iter().find(|s| s.verified_at.is_some()) {
        Some(verified) => vec![verified.clone()],
        None => stores,
    })
}

pub async fn list(db: &Database) -> Result<Vec<Store>> {
    let sql = format!("SELECT {COLUMNS} FROM stores ORDER BY created_at");
    let query = sqlx::query(&sql);
    query::all(query, &db.reader, from_row).await
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
        verified_at: row.try_get("verified_at")?,
    })
}
