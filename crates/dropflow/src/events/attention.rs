//! "Needs attention": SLA checks that flag an order for a person, with a reason, and clear
//! the flag when the cause goes (seed 001: "process dropshipping orders within 24 hours").
//!
//! - paid, but not placed with every supplier within `place_within_hours` of payment;
//! - paid `tracking_within_days` ago and a purchase still has no tracking number;
//! - a parcel whose tracking has not moved for `stale_tracking_hours`;
//! - a carrier exception or failed delivery attempt;
//! - at once, an order stopped for a person ([`stopped`]): on hold for anything but the
//!   customer's payment, or failed (routing found no supplier, or the supplier refused).
//!
//! How it stays cheap at a million orders: the `attention` consumer of the event stream
//! ([`mark`]) stamps each order an event touched as due for a check (`attention_check_at`)
//! and records when the customer paid (`paid_at`); the sweep ([`sweep`]) reads only due
//! orders through a partial index, judges each with the pure [`evaluate`], and sets the next
//! time one of its deadlines can pass (or nothing, once the order is closed). The flag lives
//! on the order row (`attention_reason`, `attention_since`, partially indexed) for the
//! dashboard's tab; raising it records a `needs_attention` timeline event, which the
//! `notify` consumer turns into the merchant's mail.

use super::stream::StoredEvent;
use crate::storage::codec::{from_json, parse_id};
use crate::storage::orders::{self, Cause};
use crate::storage::write_set::WriteSet;
use crate::storage::{query, Database, Result, StorageError, Tx};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::{self, Command, OrderState};
use dropflow_core::payment::PaymentStatus;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::shipment::ShipmentStatus;
use sqlx::Row;
use std::collections::BTreeMap;

/// The cursor's name.
pub const CURSOR: &str = "attention";

const HOUR_MS: i64 = 3_600_000;

/// How often a flagged order is looked at again when no event touches it (tracking that
/// starts moving again updates the parcel without a timeline event).
pub const RECHECK_FLAGGED_MS: i64 = HOUR_MS;

/// A store's SLA thresholds, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub place_within: i64,
    pub tracking_within: i64,
    pub stale_tracking: i64,
}

impl From<&crate::storage::settings::StoreSettings> for Thresholds {
    fn from(s: &crate::storage::settings::StoreSettings) -> Self {
        Thresholds {
            place_within: i64::from(s.place_within_hours) * HOUR_MS,
            tracking_within: i64::from(s.tracking_within_days) * 24 * HOUR_MS,
            stale_tracking: i64::from(s.stale_tracking_hours) * HOUR_MS,
        }
    }
}

/// One purchase, as the checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    pub status: SupplierOrderStatus,
    /// A parcel with a tracking number exists for it.
    pub tracked: bool,
}

/// One parcel, as the checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parcel {
    pub number: String,
    pub status: ShipmentStatus,
    /// The carrier's last event, or when we learnt of the parcel.
    pub moved_at: i64,
}

/// What the checks know about an order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    pub paid_at: Option<i64>,
    /// Cancelled, refunded or voided: nothing is owed any more.
    pub closed: bool,
    pub purchases: Vec<Purchase>,
    pub parcels: Vec<Parcel>,
    /// Open flags (`storage::flags`): changes after a purchase a person must settle. They
    /// count even on a cancelled order — that is when most of them are raised.
    pub flags: Vec<String>,
    /// Why the order waits for a person now ([`stopped`]), if it does.
    pub stopped: Option<String>,
}

/// A supplier's refusal of one purchase, as [`stopped`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub supplier: String,
    pub error: String,
}

/// Why an order is stopped until a person acts, in words; `None` when it is not. Held for
/// anything but the customer's payment (which the customer settles), or failed: lines no
/// supplier can take, or every purchase refused. The dashboard's Failed and On Hold lists show
/// the same words in their Reason column.
pub fn stopped(state: &OrderState, refusals: &[Refusal]) -> Option<String> {
    use dropflow_core::hold::HoldReason;
    use dropflow_core::tab::Tab;
    let holds: Vec<String> = state
        .holds
        .iter()
        .filter(|h| h.reason != HoldReason::AwaitingPayment)
        .map(|h| {
            let reason = h.reason.as_str().replace('_', " ");
            let detail = h.detail.trim();
            if detail.is_empty() {
                reason
            } else {
                format!("{reason} ({detail})")
            }
        })
        .collect();
    if !holds.is_empty() {
        return Some(format!("On hold: {}.", holds.join("; ")));
    }
    if Tab::of(state) != Tab::Failed {
        return None;
    }
    if !state.routing_failures.is_empty() {
        let lines: Vec<String> = state
            .routing_failures
            .iter()
            .map(|f| format!("line {}: {}", f.line_position, f.reason.describe()))
            .collect();
        return Some(format!("Failed: {}.", lines.join("; ")));
    }
    let refused: Vec<String> = refusals
        .iter()
        .map(|r| format!("{} refused it ({})", r.supplier, r.error.trim()))
        .collect();
    Some(if refused.is_empty() {
        "Failed: the supplier side failed; see the supplier orders.".into()
    } else {
        format!("Failed: {}.", refused.join("; "))
    })
}

/// The checks' answer: why the order needs a person (none: it does not), and when to look
/// again (none: no deadline can pass any more without an event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub reason: Option<String>,
    pub next_check_at: Option<i64>,
}

/// Judges an order at `now`. Pure: the sweep passes the clock, tests pass any time. The
/// reasons name the thresholds, not the time elapsed, so a flag's words stay the same while
/// its cause lasts (a new reason is a new timeline event and mail).
pub fn evaluate(facts: &Facts, t: &Thresholds, now: i64) -> Verdict {
    let mut next: Option<i64> = None;
    let mut later = |at: i64| next = Some(next.map_or(at, |n: i64| n.min(at)));
    let mut reasons: Vec<String> = facts
        .flags
        .iter()
        .map(|f| {
            let mut sentence = f.clone();
            if !sentence.ends_with('.') {
                sentence.push('.');
            }
            sentence
        })
        .collect();
    if facts.closed {
        return Verdict {
            reason: (!reasons.is_empty()).then(|| reasons.join(" ")),
            next_check_at: None,
        };
    }
    reasons.extend(facts.stopped.iter().cloned());
    for parcel in facts.parcels.iter().filter(|p| !p.status.is_final()) {
        match parcel.status {
            ShipmentStatus::Exception => reasons.push(format!(
                "The carrier reports an exception for parcel {}.",
                parcel.number
            )),
            ShipmentStatus::AttemptFail => reasons.push(format!(
                "Delivery of parcel {} failed; the carrier will retry or return it.",
                parcel.number
            )),
            _ => {}
        }
        let stale_at = parcel.moved_at + t.stale_tracking;
        if now >= stale_at {
            reasons.push(format!(
                "Parcel {} has had no tracking movement for {} hours.",
                parcel.number,
                t.stale_tracking / HOUR_MS
            ));
        } else {
            later(stale_at);
        }
    }
    // Extension point (warehouse issue): a parcel late at the warehouse is one more rule
    // here, from a `Parcel` field such as `expected_at_warehouse`, with its deadline passed to
    // `later` like the ones above.
    if let Some(paid_at) = facts.paid_at {
        let live: Vec<&Purchase> = facts
            .purchases
            .iter()
            .filter(|p| p.status != SupplierOrderStatus::Cancelled)
            .collect();
        let unplaced = live.is_empty()
            || live.iter().any(|p| {
                matches!(
                    p.status,
                    SupplierOrderStatus::AwaitingPlacement
                        | SupplierOrderStatus::PlacementUnknown
                        | SupplierOrderStatus::Rejected
                )
            });
        if unplaced {
            let due = paid_at + t.place_within;
            if now >= due {
                reasons.push(format!(
                    "Not placed with every supplier within {} hours of payment.",
                    t.place_within / HOUR_MS
                ));
            } else {
                later(due);
            }
        }
        let untracked = live.is_empty()
            || live
                .iter()
                .any(|p| !p.tracked && p.status != SupplierOrderStatus::Delivered);
        if untracked {
            let due = paid_at + t.tracking_within;
            if now >= due {
                reasons.push(format!(
                    "No tracking number {} days after payment.",
                    t.tracking_within / (24 * HOUR_MS)
                ));
            } else {
                later(due);
            }
        }
    }
    if reasons.is_empty() {
        Verdict {
            reason: None,
            next_check_at: next,
        }
    } else {
        Verdict {
            reason: Some(reasons.join(" ")),
            next_check_at: Some(next.unwrap_or(i64::MAX).min(now + RECHECK_FLAGGED_MS)),
        }
    }
}

/// The `attention` consumer: every order an event touched is due for a check now, and the
/// first event that finds it paid stamps `paid_at` (the SLA clock) with its own time.
pub async fn mark(tx: &mut Tx<'_>, events: &[StoredEvent]) -> Result<()> {
    let mut touched: BTreeMap<&str, i64> = BTreeMap::new();
    for event in events {
        touched.entry(event.order_id.as_str()).or_insert(event.at);
    }
    for (order_id, at) in touched {
        sqlx::query(
            "UPDATE orders SET attention_check_at = $1,
                paid_at = CASE WHEN paid_at IS NULL AND payment_status = $2 THEN $1
                    ELSE paid_at END
             WHERE id = $3",
        )
        .bind(at)
        .bind(PaymentStatus::Paid.as_str())
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Orders whose check is due at `now`, oldest due first (partial index on
/// `attention_check_at`).
pub async fn due(db: &Database, now: i64, limit: i64) -> Result<Vec<OrderId>> {
    let rows = sqlx::query(
        "SELECT id FROM orders WHERE attention_check_at IS NOT NULL AND attention_check_at <= $1
         ORDER BY attention_check_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&db.writer)
    .await?;
    rows.iter()
        .map(|r| parse_id("orders.id", &r.try_get::<String, _>("id")?))
        .collect()
}

/// What changed when an order was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    None,
    Flagged(String),
    Cleared,
}

/// Checks every due order at `now` (at most `limit`); how many flags were raised or cleared.
/// Safe to run in several processes at once: each order is checked under its row lock, and
/// the flag and its timeline event are written only when the reason changes.
pub async fn sweep(db: &Database, now: i64, limit: i64) -> Result<usize> {
    let mut changed = 0;
    for id in due(db, now, limit).await? {
        if check(db, id, now).await? != Change::None {
            changed += 1;
        }
    }
    if changed > 0 {
        db.events_recorded.notify_waiters();
    }
    Ok(changed)
}

/// Checks one order at `now` and writes the outcome.
pub async fn check(db: &Database, id: OrderId, now: i64) -> Result<Change> {
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, id).await?;
    let Some(row) = sqlx::query(
        "SELECT store_id, state, version, paid_at, attention_reason FROM orders WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Change::None);
    };
    let state: OrderState = from_json("orders.state", &row.try_get::<String, _>("state")?)?;
    let store_id = parse_id("orders.store_id", &row.try_get::<String, _>("store_id")?)?;
    let current: Option<String> = row.try_get("attention_reason")?;
    let settings = crate::storage::settings::get_in(&mut tx, store_id).await?;
    let facts = Facts {
        paid_at: row.try_get("paid_at")?,
        closed: state.cancel_reason.is_some()
            || matches!(
                state.payment,
                PaymentStatus::Refunded | PaymentStatus::Voided
            ),
        purchases: purchases(&mut tx, id).await?,
        parcels: parcels(&mut tx, id).await?,
        flags: crate::storage::flags::open_in(&mut tx, id)
            .await?
            .into_iter()
            .map(|f| f.detail)
            .collect(),
        stopped: stopped(&state, &refusals(&mut tx, id).await?),
    };
    let verdict = evaluate(&facts, &Thresholds::from(&settings), now);
    let change = match (&current, &verdict.reason) {
        (None, Some(reason)) => Change::Flagged(reason.clone()),
        (Some(old), Some(reason)) if old != reason => Change::Flagged(reason.clone()),
        (Some(_), None) => Change::Cleared,
        _ => Change::None,
    };
    let event = match &change {
        Change::None => None,
        Change::Flagged(reason) => Some(OrderEvent::NeedsAttention {
            reason: reason.clone(),
        }),
        Change::Cleared => Some(OrderEvent::AttentionCleared {
            reason: current.clone().unwrap_or_default(),
        }),
    };
    if let Some(event) = event {
        let versioned = orders::Versioned {
            id,
            store_id: crate::storage::codec::parse_id(
                "orders.store_id",
                &row.try_get::<String, _>("store_id")?,
            )?,
            state: state.clone(),
            version: row.try_get("version")?,
        };
        let transition = lifecycle::transition(&state, Command::Record(vec![event]))
            .map_err(|e| StorageError::Conflict(e.to_string()))?;
        let mut writes = WriteSet::new();
        writes.update(
            &versioned,
            None,
            &transition,
            &Cause {
                actor: Actor::System("attention".into()),
                receipt: None,
            },
        )?;
        writes.flush(&mut tx).await?;
    }
    // The flag's `since` stays when only the words change (another cause on a flagged order).
    sqlx::query(
        "UPDATE orders SET attention_reason = $1,
            attention_since = CASE WHEN $1 IS NULL THEN NULL
                ELSE COALESCE(attention_since, $2) END,
            attention_check_at = $3
         WHERE id = $4",
    )
    .bind(verdict.reason.clone())
    .bind(now)
    .bind(verdict.next_check_at)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if change != Change::None {
        tracing::info!(order.id = %id, flagged = matches!(change, Change::Flagged(_)), "needs attention changed");
    }
    Ok(change)
}

async fn purchases(tx: &mut Tx<'_>, id: OrderId) -> Result<Vec<Purchase>> {
    let query = sqlx::query(
        "SELECT so.status,
            (SELECT COUNT(*) FROM shipments s WHERE s.supplier_order_id = so.id
                AND s.tracking_number IS NOT NULL) AS tracked
         FROM supplier_orders so WHERE so.order_id = $1",
    )
    .bind(id.to_string());
    query::all(query, &mut **tx, |r| {
        let status: String = r.try_get("status")?;
        Ok(Purchase {
            status: SupplierOrderStatus::parse(&status).ok_or_else(|| {
                StorageError::Corrupt(format!("supplier_orders.status {status:?}"))
            })?,
            tracked: r.try_get::<i64, _>("tracked")? > 0,
        })
    })
    .await
}

async fn refusals(tx: &mut Tx<'_>, id: OrderId) -> Result<Vec<Refusal>> {
    let query = sqlx::query(
        "SELECT supplier, last_error FROM supplier_orders
         WHERE order_id = $1 AND status = $2 AND last_error IS NOT NULL ORDER BY id",
    )
    .bind(id.to_string())
    .bind(SupplierOrderStatus::Rejected.as_str());
    query::all(query, &mut **tx, |r| {
        Ok(Refusal {
            supplier: r.try_get("supplier")?,
            error: r.try_get("last_error")?,
        })
    })
    .await
}

async fn parcels(tx: &mut Tx<'_>, id: OrderId) -> Result<Vec<Parcel>> {
    let query = sqlx::query(
        "SELECT tracking_number, status, COALESCE(last_event_at, created_at) AS moved_at
         FROM shipments WHERE order_id = $1 AND tracking_number IS NOT NULL",
    )
    .bind(id.to_string());
    query::all(query, &mut **tx, |r| {
        let status: String = r.try_get("status")?;
        Ok(Parcel {
            number: r.try_get("tracking_number")?,
            status: crate::storage::shipments::parse_status(&status)
                .ok_or_else(|| StorageError::Corrupt(format!("shipments.status {status:?}")))?,
            moved_at: r.try_get("moved_at")?,
        })
    })
    .await
}
