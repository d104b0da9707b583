//! The store's catalogue kept in step with its suppliers (issue 15, item 3).
//!
//! - [`read`] (`store.read_catalogue`): one page of the store's variants into
//!   `store_variants` per job, the next page queued in the same transaction; the last page
//!   forgets variants the store no longer has. Queued when a store's whole catalogue was last
//!   read a day ago (or never) by the follower ([`claim_reads`]), and by a person.
//! - [`write`] (`store.write_catalogue`): the store's variants due a comparison (a mapping
//!   written, a supplier SKU read different, a read of the store), leased by the follower
//!   ([`claim_writes`]); each is decided by `dropflow_core::inventory::decide` over its
//!   mapping as its suppliers were last read, and only the differences are written, in
//!   batches of the platform's size.

/// `store.read_catalogue`: one page of the store's variants read and kept.
pub mod read;
/// `store.write_catalogue`: what the suppliers make of the leased variants, written.
pub mod write;

use super::Services;
use crate::storage::{settings, store_variants, Database};
use dropflow_core::ids::StoreId;
use dropflow_core::inventory::Policy;
use dropflow_core::reference::currency::Currency;

pub const READ_JOB: &str = dropflow_core::jobs::READ_STORE_CATALOGUE;
pub const WRITE_JOB: &str = dropflow_core::jobs::WRITE_STORE_CATALOGUE;

/// How long a writer holds a store's due variants before another may take them (a writer
/// that died leaves them due again after this).
const WRITE_LEASE_MS: i64 = 10 * 60 * 1000;

/// How often a store's whole catalogue is read again (on the follow-up clock).
const READ_EVERY_MS: i64 = 24 * 60 * 60 * 1000;

/// The store's catalogue policy, or the defaults for the currency its orders are in (USD
/// before its first order).
pub async fn policy(db: &Database, store_id: StoreId) -> anyhow::Result<Policy> {
    if let Some(policy) = settings::catalogue_policy(db, store_id).await? {
        return Ok(policy);
    }
    let code = settings::selling_currency(db, store_id).await?;
    let currency = Currency::from_code(code.as_deref().unwrap_or("USD"))
        .map_err(|e| anyhow::anyhow!("the store's orders' currency: {e}"))?;
    Ok(Policy::default_for(currency))
}

/// Leases each store's due variants and queues a writer for them (the follower's tick).
pub async fn claim_writes(services: &Services, limit: i64) -> anyhow::Result<usize> {
    let now = crate::storage::now_ms();
    let stores = store_variants::stores_due(&services.db, now, limit).await?;
    let mut queued = 0;
    for store_id in stores {
        let lease_until = now + WRITE_LEASE_MS;
        let mut tx = services.db.begin().await?;
        if store_variants::lease_due(&mut tx, &store_id, now, lease_until).await? > 0 {
            let payload = serde_json::json!({ "store_id": store_id, "lease_until": lease_until });
            crate::storage::jobs::enqueue(&mut tx, WRITE_JOB, &payload, None, now).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}

/// Queues a whole read of each store with Admin API access whose catalogue was read more
/// than a day ago (scaled like every follow-up) or never (the follower's tick).
pub async fn claim_reads(services: &Services, limit: i64) -> anyhow::Result<usize> {
    let now = crate::storage::now_ms();
    let every = (READ_EVERY_MS as f64 / services.cadence.time_scale.max(1e-9)) as i64;
    let stores = store_variants::stores_due_a_read(&services.db, now - every, limit).await?;
    let mut tx = services.db.begin().await?;
    for store_id in &stores {
        // Counted as read from now: the pages follow one another, and a read that fails
        // is retried by its job, not queued again beside it.
        let id: StoreId = store_id.parse()?;
        store_variants::catalogue_read(&mut tx, id, now).await?;
        read::queue(&mut tx, id, None, now).await?;
    }
    tx.commit().await?;
    Ok(stores.len())
}

/// The job payload's store.
fn store_id(payload: &serde_json::Value) -> anyhow::Result<StoreId> {
    payload
        .get("store_id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| anyhow::anyhow!("the job payload has no store_id"))?
        .parse()
        .map_err(|e| anyhow::anyhow!("the job payload's store_id: {e}"))
}
