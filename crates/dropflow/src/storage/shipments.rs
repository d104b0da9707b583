//! Parcels: what a tracking service said, applied to many shipments in few statements.
//!
//! [`apply_tracking_updates`] reads the shipments carrying the updates' numbers (one
//! `SELECT … WHERE tracking_number IN (…)` per chunk), keeps those whose status, sub-status
//! or last event differ, and writes only those with one multi-row statement per chunk:
//!
//! ```sql
//! WITH v(id, status, sub_status, last_event, last_event_at, next_sync_at, old_status, now)
//!   AS (VALUES (…), (…))
//! UPDATE shipments SET status = v.status, … FROM v
//!  WHERE shipments.id = v.id AND shipments.status = v.old_status
//! RETURNING shipments.id
//! ```
//!
//! (`UPDATE … FROM` works on PostgreSQL and SQLite ≥ 3.33, `RETURNING` on SQLite ≥ 3.35.)
//! The `old_status` guard makes a concurrent writer win: a row whose status moved between the
//! read and the write is left alone and not reported. Chunks are powers of two (at most
//! [`MAX_ROWS_PER_STATEMENT`]) so each statement text is one of a few prepared ones, and
//! 8 parameters × 1024 rows stay under SQLite's 32,766.

use super::codec::{ms, parse_id};
use super::write_set::{chunks_of, placeholders, ParamStyle};
use super::{now_ms, Result, StorageError, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::{OrderId, ShipmentId, SupplierOrderId};
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::shipment::TrackingUpdate;
use sqlx::Row;
use std::collections::HashMap;

/// Rows (and numbers) per statement, at most: a power of two.
pub const MAX_ROWS_PER_STATEMENT: usize = 1024;
/// Parameters per row of the UPDATE.
const UPDATE_COLUMNS: usize = 8;

/// A shipment whose status, sub-status or last event changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedShipment {
    pub shipment_id: ShipmentId,
    pub order_id: OrderId,
    pub supplier_order_id: Option<SupplierOrderId>,
    pub tracking_number: String,
    pub old_status: ShipmentStatus,
    pub new_status: ShipmentStatus,
}

/// The text stored in `shipments.status` (the serde name).
pub fn status_text(status: ShipmentStatus) -> &'static str {
    match status {
        ShipmentStatus::Pending => "pending",
        ShipmentStatus::InfoReceived => "info_received",
        ShipmentStatus::InTransit => "in_transit",
        ShipmentStatus::OutForDelivery => "out_for_delivery",
        ShipmentStatus::AttemptFail => "attempt_fail",
        ShipmentStatus::AvailableForPickup => "available_for_pickup",
        ShipmentStatus::Delivered => "delivered",
        ShipmentStatus::Exception => "exception",
        ShipmentStatus::Expired => "expired",
    }
}

/// The status a `shipments.status` text names.
pub fn parse_status(text: &str) -> Option<ShipmentStatus> {
    Some(match text {
        "pending" => ShipmentStatus::Pending,
        "info_received" => ShipmentStatus::InfoReceived,
        "in_transit" => ShipmentStatus::InTransit,
        "out_for_delivery" => ShipmentStatus::OutForDelivery,
        "attempt_fail" => ShipmentStatus::AttemptFail,
        "available_for_pickup" => ShipmentStatus::AvailableForPickup,
        "delivered" => ShipmentStatus::Delivered,
        "exception" => ShipmentStatus::Exception,
        "expired" => ShipmentStatus::Expired,
        _ => return None,
    })
}

/// One row to write.
struct Write<'a> {
    changed: ChangedShipment,
    update: &'a TrackingUpdate,
}

/// Applies `updates` to every shipment carrying their numbers, touching only rows whose
/// status, sub-status or last event changed; those get `last_event_at`, `last_synced_at`,
/// `updated_at` and `next_sync_at` too (`next_sync_at` is cleared when the new status is
/// final: nothing more to ask). Numbers no shipment carries are ignored; when a number comes
/// twice, the later update wins. Returns the rows written, in no particular order.
pub async fn apply_tracking_updates(
    tx: &mut Tx<'_>,
    updates: &[TrackingUpdate],
    next_sync_at: Option<DateTime<Utc>>,
) -> Result<Vec<ChangedShipment>> {
    let style = ParamStyle::of(tx);
    let mut by_number: HashMap<&str, &TrackingUpdate> = HashMap::with_capacity(updates.len());
    for u in updates {
        by_number.insert(u.number.as_str(), u);
    }
    let mut numbers: Vec<&str> = by_number.keys().copied().collect();
    numbers.sort_unstable();

    let mut writes = Vec::new();
    for chunk in chunks_of(&numbers, MAX_ROWS_PER_STATEMENT) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| style.param(i)).collect();
        let sql = format!(
            "SELECT id, order_id, supplier_order_id, tracking_number, status, sub_status, \
             last_event FROM shipments WHERE tracking_number IN ({})",
            params.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for number in chunk {
            query = query.bind(*number);
        }
        for row in query.fetch_all(&mut **tx).await? {
            let number: String = row.try_get("tracking_number")?;
            let Some(update) = by_number.get(number.as_str()).copied() else {
                continue;
            };
            let old_text: String = row.try_get("status")?;
            let old_status = parse_status(&old_text).ok_or_else(|| {
                StorageError::Corrupt(format!("shipments.status: unknown {old_text:?}"))
            })?;
            let sub_status: Option<String> = row.try_get("sub_status")?;
            let last_event: Option<String> = row.try_get("last_event")?;
            if old_status == update.status
                && sub_status == update.sub_status
                && last_event == update.last_event
            {
                continue;
            }
            let id: String = row.try_get("id")?;
            let order_id: String = row.try_get("order_id")?;
            let supplier_order_id: Option<String> = row.try_get("supplier_order_id")?;
            writes.push(Write {
                changed: ChangedShipment {
                    shipment_id: parse_id("shipments.id", &id)?,
                    order_id: parse_id("shipments.order_id", &order_id)?,
                    supplier_order_id: supplier_order_id
                        .map(|s| parse_id("shipments.supplier_order_id", &s))
                        .transpose()?,
                    tracking_number: number,
                    old_status,
                    new_status: update.status,
                },
                update,
            });
        }
    }

    let now = now_ms();
    let next = next_sync_at.map(ms);
    let mut changed = Vec::with_capacity(writes.len());
    for chunk in chunks_of(&writes, MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "WITH v (id, status, sub_status, last_event, last_event_at, next_sync_at, \
                     old_status, now) AS (VALUES {})
             UPDATE shipments SET status = v.status, sub_status = v.sub_status,
                 last_event = v.last_event, last_event_at = v.last_event_at,
                 next_sync_at = v.next_sync_at, last_synced_at = v.now, updated_at = v.now
             FROM v WHERE shipments.id = v.id AND shipments.status = v.old_status
             RETURNING shipments.id",
            placeholders(style, chunk.len(), UPDATE_COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for w in chunk {
            let u = w.update;
            let next = if u.status.is_final() { None } else { next };
            query = query
                .bind(w.changed.shipment_id.to_string())
                .bind(status_text(u.status))
                .bind(u.sub_status.clone())
                .bind(u.last_event.clone())
                .bind(u.last_event_at.map(ms))
                .bind(next)
                .bind(status_text(w.changed.old_status))
                .bind(now);
        }
        let written: Vec<String> = query
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<std::result::Result<_, _>>()?;
        let written: std::collections::HashSet<String> = written.into_iter().collect();
        changed.extend(
            chunk
                .iter()
                .filter(|w| written.contains(&w.changed.shipment_id.to_string()))
                .map(|w| w.changed.clone()),
        );
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_round_trips_and_matches_serde() {
        for s in [
            ShipmentStatus::Pending,
            ShipmentStatus::InfoReceived,
            ShipmentStatus::InTransit,
            ShipmentStatus::OutForDelivery,
            ShipmentStatus::AttemptFail,
            ShipmentStatus::AvailableForPickup,
            ShipmentStatus::Delivered,
            ShipmentStatus::Exception,
            ShipmentStatus::Expired,
        ] {
            assert_eq!(parse_status(status_text(s)), Some(s));
            let serde = serde_json::to_string(&s).unwrap_or_default();
            assert_eq!(serde, format!("\"{}\"", status_text(s)));
        }
        assert_eq!(parse_status("teleported"), None);
    }
}
