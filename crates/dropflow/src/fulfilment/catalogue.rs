//! `offer.read`: reads one supplier offer's stock and cost at its supplier
//! (`Supplier::read_offer`) and keeps it (`storage::offer_readings`), at the pace
//! [`dropflow_core::inventory::pace`] gives: often while it sells or runs low, rarely while it
//! sits, at once after a placement was refused for stock.
//!
//! Every offer of a mapping at a supplier whose API can be read (`catalogue` in its registry
//! line) is followed from the moment the mapping is written ([`track_mapping`]); the follower
//! claims what is due and queues one job per offer ([`claim`]). Routing trusts a reading newer
//! than the mapping's own stock figure (`route::plan`), so a sell-out read here stops the next
//! order from being bought blind, and a restock read here lifts the orders held for stock
//! (`restock::recheck_held`) in the transaction that records it.

use super::Services;
use crate::storage::offer_readings::{self as readings, OfferKey, Reading, Tracked};
use crate::storage::{now_ms, Tx};
use crate::suppliers::registry;
use chrono::{DateTime, Utc};
use dropflow_core::catalog::Mapping;
use dropflow_core::inventory::pace::{OfferFacts, Pace};
use dropflow_core::supplier::{OfferRef, SupplierError};

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::READ_OFFER;

/// The destination an offer that ships everywhere is read for.
const DEFAULT_SHIP_TO: &str = "US";

/// Follows every readable offer of `mapping` from now on (in the mapping's transaction).
pub async fn track_mapping(tx: &mut Tx<'_>, mapping: &Mapping) -> crate::storage::Result<()> {
    let offers: Vec<Tracked> = mapping
        .components
        .iter()
        .flat_map(|c| c.offers.iter())
        .filter(|o| registry::capabilities(o.supplier.kind).catalogue)
        .map(|o| Tracked {
            supplier: o.supplier.kind.as_str().to_string(),
            supplier_sku_id: o.supplier_sku_id.clone(),
            supplier_product_id: o.supplier_product_id.clone(),
            ship_to: o
                .ships_to
                .first()
                .map_or(DEFAULT_SHIP_TO.to_string(), |c| c.as_str().to_string()),
        })
        .collect();
    readings::track(tx, &offers, now_ms()).await
}

/// Claims the offers due a read and queues a job for each (the follower's tick).
pub async fn claim(services: &Services, lease_ms: i64, batch: i64) -> anyhow::Result<usize> {
    let now = now_ms();
    let due = readings::claim_due(&services.db, now, lease_ms, batch).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut tx = services.db.begin().await?;
    for (supplier, sku) in &due {
        let payload = serde_json::json!({ "supplier": supplier, "supplier_sku_id": sku });
        crate::storage::jobs::enqueue(&mut tx, JOB, &payload, None, now).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// The pace of reads, on the same clock as the supplier orders' follow-up.
fn pace(services: &Services) -> Pace {
    Pace {
        time_scale: services.cadence.time_scale,
        ..Pace::default()
    }
}

fn at(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(DateTime::from_timestamp_millis)
}

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    let field = |name: &str| {
        payload
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("the job payload has no {name}"))
    };
    let key: OfferKey = (field("supplier")?, field("supplier_sku_id")?);
    read(services, &key).await
}

/// Reads one offer and records what the supplier says.
pub async fn read(services: &Services, key: &OfferKey) -> anyhow::Result<()> {
    let db = &services.db;
    let Some(standing) = readings::load(db, key).await? else {
        return Ok(());
    };
    let pace = pace(services);
    let now = Utc::now();
    let sold = readings::sold_since(
        db,
        key,
        (now - chrono::Duration::days(7)).timestamp_millis(),
    )
    .await?;
    let facts = |stock: Option<i64>, read_at: Option<i64>, changed_at: Option<i64>| OfferFacts {
        sold_last_7_days: u32::try_from(sold).unwrap_or(u32::MAX),
        stock: stock.map(|s| u32::try_from(s).unwrap_or(0)),
        last_read_at: at(read_at),
        changed_at: at(changed_at),
        refused_for_stock_at: None,
    };
    let Some(supplier) = services.suppliers.for_stored(&key.0) else {
        // Not configured in this process: looked at again at the idle pace.
        let idle = facts(standing.stock, Some(now.timestamp_millis()), None);
        let next = pace.next_read(&idle, now).timestamp_millis();
        readings::postpone(db, key, next).await?;
        return Ok(());
    };
    let offer = OfferRef {
        supplier_product_id: standing.offer.supplier_product_id.clone(),
        supplier_sku_id: standing.offer.supplier_sku_id.clone(),
        ship_to_country: standing.offer.ship_to.clone(),
    };
    let answer = match supplier.read_offer(&offer).await {
        Ok(answer) => answer,
        Err(SupplierError::NotOffered(why)) => {
            tracing::info!(supplier = %key.0, %why, "offer cannot be read here");
            let idle = facts(standing.stock, Some(now.timestamp_millis()), None);
            readings::postpone(db, key, pace.next_read(&idle, now).timestamp_millis()).await?;
            return Ok(());
        }
        Err(error) => return Err(super::supplier_failure(error)),
    };
    let read_at = now.timestamp_millis();
    let reading = Reading {
        stock: answer.stock.map(i64::from),
        unit_cost_minor: answer.unit_cost.map(|c| c.minor),
        currency: answer.unit_cost.map(|c| c.currency.code().to_string()),
        note: answer.note,
        read_at,
    };
    let changed = standing.read_at.is_none()
        || reading.stock != standing.stock
        || reading.unit_cost_minor != standing.unit_cost_minor
        || reading.currency != standing.currency;
    let changed_at = if changed {
        Some(read_at)
    } else {
        standing.changed_at
    };
    let next = pace
        .next_read(&facts(reading.stock, Some(read_at), changed_at), now)
        .timestamp_millis();
    // More to sell than before (or no longer said, which routing takes as available).
    let restocked = match (standing.stock, reading.stock) {
        (before, None) => before.is_some(),
        (None, Some(now)) => now > 0,
        (Some(before), Some(now)) => now > before,
    };
    let mut tx = db.begin().await?;
    readings::record(&mut tx, key, &reading, changed, next).await?;
    if changed {
        // The store variants this SKU supplies are compared again at the next tick.
        crate::storage::store_variants::mark_offer_due(&mut tx, &key.0, &key.1, read_at).await?;
    }
    if restocked {
        // Orders held for stock are planned again; those this offer can now supply lift.
        super::restock::recheck_held(&mut tx, None).await?;
    }
    tx.commit().await?;
    tracing::info!(supplier = %key.0, changed, restocked, "offer read");
    Ok(())
}

/// `mapping` as its suppliers were last read: each offer's stock and cost replaced by its
/// reading where that is newer than the mapping (written at `written_at` ms) — the figures
/// routing trusts, and those the store's catalogue is kept to.
pub fn as_read(
    mapping: &mut Mapping,
    written_at: i64,
    read: &std::collections::BTreeMap<OfferKey, readings::Standing>,
) {
    for offer in mapping
        .components
        .iter_mut()
        .flat_map(|c| c.offers.iter_mut())
    {
        let key = crate::storage::offer_readings::key_of(offer);
        let Some(r) = read
            .get(&key)
            .filter(|r| r.read_at.is_some_and(|at| at > written_at))
        else {
            continue;
        };
        if let Some(stock) = r.stock {
            offer.stock = Some(u32::try_from(stock).unwrap_or(0));
        }
        let currency = r
            .currency
            .as_deref()
            .and_then(|c| dropflow_core::reference::currency::Currency::from_code(c).ok());
        if let (Some(minor), Some(currency)) = (r.unit_cost_minor, currency) {
            offer.unit_cost = dropflow_core::money::Money::new(minor, currency);
        }
    }
}
