//! Per-store automation settings (`store_settings`) and the store's write-back credentials
//! (`stores.admin_*`). A store without a settings row gets [`StoreSettings::default`]: buy and
//! pay on their own, no price guard, tell the customer.

use super::{now_ms, query, Database, Result, StorageError, Tx};
use dropflow_core::ids::StoreId;
use dropflow_core::payment::CapturePolicy;
use sqlx::Row;

/// What a store lets dropflow do without a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StoreSettings {
    pub auto_order: bool,
    pub auto_pay: bool,
    pub price_guard_percent: Option<u32>,
    pub notify_customer: bool,
    pub place_within_hours: u32,
    pub tracking_within_days: u32,
    pub stale_tracking_hours: u32,
    pub buy_when_authorized: bool,
}

/// One SLA threshold: the field, its unit and the range it must lie in. The one table both
/// the API's check ([`StoreSettings::threshold_error`]) and the dashboard's form read.
#[derive(Debug, Clone)]
pub struct Threshold {
    pub field: &'static str,
    pub unit: &'static str,
    pub range: std::ops::RangeInclusive<u32>,
}

pub const PLACE_WITHIN_HOURS: Threshold = Threshold {
    field: "place_within_hours",
    unit: "hours",
    range: 1..=8760,
};
pub const TRACKING_WITHIN_DAYS: Threshold = Threshold {
    field: "tracking_within_days",
    unit: "days",
    range: 1..=365,
};
pub const STALE_TRACKING_HOURS: Threshold = Threshold {
    field: "stale_tracking_hours",
    unit: "hours",
    range: 1..=8760,
};
pub const THRESHOLDS: [Threshold; 3] = [
    PLACE_WITHIN_HOURS,
    TRACKING_WITHIN_DAYS,
    STALE_TRACKING_HOURS,
];

/// The threshold named `field` (one of [`THRESHOLDS`]).
pub fn threshold(field: &str) -> Option<&'static Threshold> {
    THRESHOLDS.iter().find(|t| t.field == field)
}

impl StoreSettings {
    /// The value of the SLA threshold named `field`.
    pub fn threshold_value(&self, field: &str) -> Option<u32> {
        match field {
            "place_within_hours" => Some(self.place_within_hours),
            "tracking_within_days" => Some(self.tracking_within_days),
            "stale_tracking_hours" => Some(self.stale_tracking_hours),
            _ => None,
        }
    }

    /// Why the SLA thresholds are out of range, if they are.
    pub fn threshold_error(&self) -> Option<String> {
        THRESHOLDS.iter().find_map(|t| {
            let value = self.threshold_value(t.field)?;
            (!t.range.contains(&value)).then(|| {
                format!(
                    "{}: must be between {} and {}",
                    t.field,
                    t.range.start(),
                    t.range.end()
                )
            })
        })
    }
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            auto_order: true,
            auto_pay: true,
            price_guard_percent: None,
            notify_customer: true,
            place_within_hours: 24,
            tracking_within_days: 7,
            stale_tracking_hours: 48,
            buy_when_authorized: false,
        }
    }
}

const SELECT: &str = "SELECT auto_order, auto_pay, price_guard_percent, notify_customer,
     place_within_hours, tracking_within_days, stale_tracking_hours, buy_when_authorized
     FROM store_settings WHERE store_id = $1";

fn from_row(row: &sqlx::any::AnyRow) -> Result<StoreSettings> {
    let guard: Option<i64> = row.try_get("price_guard_percent")?;
    Ok(StoreSettings {
        auto_order: row.try_get::<i64, _>("auto_order")? != 0,
        auto_pay: row.try_get::<i64, _>("auto_pay")? != 0,
        price_guard_percent: guard.map(|g| u32::try_from(g).unwrap_or(u32::MAX)),
        notify_customer: row.try_get::<i64, _>("notify_customer")? != 0,
        place_within_hours: clamp_u32(row.try_get("place_within_hours")?),
        tracking_within_days: clamp_u32(row.try_get("tracking_within_days")?),
        stale_tracking_hours: clamp_u32(row.try_get("stale_tracking_hours")?),
        buy_when_authorized: row.try_get::<i64, _>("buy_when_authorized")? != 0,
    })
}

fn clamp_u32(value: i64) -> u32 {
    u32::try_from(value.max(1)).unwrap_or(u32::MAX)
}

/// The store's settings (defaults when never set).
pub async fn get(db: &Database, store_id: StoreId) -> Result<StoreSettings> {
    let row = sqlx::query(SELECT)
        .bind(store_id.to_string())
        .fetch_optional(&db.reader)
        .await?;
    row.map(|r| from_row(&r))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// The store's settings, read inside a write transaction.
pub async fn get_in(tx: &mut Tx<'_>, store_id: StoreId) -> Result<StoreSettings> {
    let row = sqlx::query(SELECT)
        .bind(store_id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| from_row(&r))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// The store's capture policy, read inside the ingest writer's transaction (one indexed
/// lookup per store in a batch).
pub async fn capture_policy_in(tx: &mut Tx<'_>, store_id: StoreId) -> Result<CapturePolicy> {
    let row = sqlx::query("SELECT buy_when_authorized FROM store_settings WHERE store_id = $1")
        .bind(store_id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let on_authorization = match row {
        Some(row) => row.try_get::<i64, _>("buy_when_authorized")? != 0,
        None => StoreSettings::default().buy_when_authorized,
    };
    Ok(CapturePolicy::from_setting(on_authorization))
}

/// Replaces the store's settings; an unknown store is [`StorageError::NotFound`].
pub async fn put(db: &Database, store_id: StoreId, settings: &StoreSettings) -> Result<()> {
    let mut tx = db.begin().await?;
    put_in(&mut tx, store_id, settings).await?;
    tx.commit().await?;
    Ok(())
}

/// [`put`] inside the caller's transaction (the dashboard saves settings and branding at once).
pub async fn put_in(tx: &mut Tx<'_>, store_id: StoreId, settings: &StoreSettings) -> Result<()> {
    let result = sqlx::query(
        "INSERT INTO store_settings (store_id, auto_order, auto_pay, price_guard_percent,
            notify_customer, updated_at, place_within_hours, tracking_within_days,
            stale_tracking_hours, buy_when_authorized)
         SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM stores WHERE id = $1
         ON CONFLICT (store_id) DO UPDATE SET auto_order = excluded.auto_order,
            auto_pay = excluded.auto_pay, price_guard_percent = excluded.price_guard_percent,
            notify_customer = excluded.notify_customer, updated_at = excluded.updated_at,
            place_within_hours = excluded.place_within_hours,
            tracking_within_days = excluded.tracking_within_days,
            stale_tracking_hours = excluded.stale_tracking_hours,
            buy_when_authorized = excluded.buy_when_authorized",
    )
    .bind(store_id.to_string())
    .bind(i64::from(settings.auto_order))
    .bind(i64::from(settings.auto_pay))
    .bind(settings.price_guard_percent.map(i64::from))
    .bind(i64::from(settings.notify_customer))
    .bind(now_ms())
    .bind(i64::from(settings.place_within_hours))
    .bind(i64::from(settings.tracking_within_days))
    .bind(i64::from(settings.stale_tracking_hours))
    .bind(i64::from(settings.buy_when_authorized))
    .execute(&mut **tx)
    .await?;
    query::touched(result)
}

/// How to reach a store's Admin API. Shopify: `key` is the access token, `secret` unused;
/// WooCommerce: consumer key and secret. `Debug` never shows the key or secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminAccess {
    pub url: String,
    pub key: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for AdminAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAccess")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Sets (or, with `None`, removes) the store's Admin API access.
pub async fn set_admin_access(
    db: &Database,
    store_id: StoreId,
    access: Option<&AdminAccess>,
) -> Result<()> {
    let result = sqlx::query(
        "UPDATE stores SET admin_url = $1, admin_key = $2, admin_secret = $3 WHERE id = $4",
    )
    .bind(access.map(|a| a.url.clone()))
    .bind(access.map(|a| a.key.clone()))
    .bind(access.and_then(|a| a.secret.clone()))
    .bind(store_id.to_string())
    .execute(&db.writer)
    .await?;
    query::touched(result)
}

/// The store's Admin API access, if set.
pub async fn admin_access(db: &Database, store_id: StoreId) -> Result<Option<AdminAccess>> {
    let row = sqlx::query("SELECT admin_url, admin_key, admin_secret FROM stores WHERE id = $1")
        .bind(store_id.to_string())
        .fetch_optional(&db.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let url: Option<String> = row.try_get("admin_url")?;
    let key: Option<String> = row.try_get("admin_key")?;
    Ok(match (url, key) {
        (Some(url), Some(key)) => Some(AdminAccess {
            url,
            key,
            secret: row.try_get("admin_secret")?,
        }),
        _ => None,
    })
}

/// The merchant's own return address (`stores.return_address`), read inside a transaction
/// (the mail consumer's); `None` when never given.
pub async fn return_address_in(
    tx: &mut Tx<'_>,
    store_id: StoreId,
) -> Result<Option<dropflow_core::reference::address::PostalAddress>> {
    let row = sqlx::query("SELECT return_address FROM stores WHERE id = $1")
        .bind(store_id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    return_address_of(row)
}

/// The merchant's own return address; `None` when never given. An unknown store is
/// [`StorageError::NotFound`].
pub async fn return_address(
    db: &Database,
    store_id: StoreId,
) -> Result<Option<dropflow_core::reference::address::PostalAddress>> {
    let row = sqlx::query("SELECT return_address FROM stores WHERE id = $1")
        .bind(store_id.to_string())
        .fetch_optional(&db.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    return_address_of(Some(row))
}

fn return_address_of(
    row: Option<sqlx::any::AnyRow>,
) -> Result<Option<dropflow_core::reference::address::PostalAddress>> {
    let Some(row) = row else { return Ok(None) };
    row.try_get::<Option<String>, _>("return_address")?
        .map(|json| super::codec::from_json("stores.return_address", &json))
        .transpose()
}

/// Sets (or, with `None`, removes) the merchant's own return address; the caller checked it.
pub async fn set_return_address(
    db: &Database,
    store_id: StoreId,
    address: Option<&dropflow_core::reference::address::PostalAddress>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    set_return_address_in(&mut tx, store_id, address).await?;
    tx.commit().await?;
    Ok(())
}

/// [`set_return_address`] inside the caller's transaction (the dashboard saves it with the
/// other settings).
pub async fn set_return_address_in(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    address: Option<&dropflow_core::reference::address::PostalAddress>,
) -> Result<()> {
    let json = address.map(super::codec::to_json).transpose()?;
    let result = sqlx::query("UPDATE stores SET return_address = $1 WHERE id = $2")
        .bind(json)
        .bind(store_id.to_string())
        .execute(&mut **tx)
        .await?;
    query::touched(result)
}

/// The store's catalogue policy (`stores.catalogue_policy`); `None` when never set. An
/// unknown store is [`StorageError::NotFound`].
pub async fn catalogue_policy(
    db: &Database,
    store_id: StoreId,
) -> Result<Option<dropflow_core::inventory::Policy>> {
    let row = sqlx::query("SELECT catalogue_policy FROM stores WHERE id = $1")
        .bind(store_id.to_string())
        .fetch_optional(&db.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    row.try_get::<Option<String>, _>("catalogue_policy")?
        .map(|json| super::codec::from_json("stores.catalogue_policy", &json))
        .transpose()
}

/// Replaces the store's catalogue policy in the caller's transaction (audited with it); the
/// caller checked it.
pub async fn set_catalogue_policy_in(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    policy: &dropflow_core::inventory::Policy,
) -> Result<()> {
    let result = sqlx::query("UPDATE stores SET catalogue_policy = $1 WHERE id = $2")
        .bind(super::codec::to_json(policy)?)
        .bind(store_id.to_string())
        .execute(&mut **tx)
        .await?;
    query::touched(result)
}

/// The currency of the store's newest order (what it sells in, as far as its orders say);
/// `None` before its first order.
pub async fn selling_currency(db: &Database, store_id: StoreId) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT currency FROM orders WHERE store_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(store_id.to_string())
    .fetch_optional(&db.reader)
    .await?)
}
