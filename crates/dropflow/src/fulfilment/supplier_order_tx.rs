//! One supplier order and its order moved together, in the caller's transaction: the supplier
//! order's new status is written, the procurement summary is taken over all of the order's
//! supplier orders (this one's new status included), and the order is told
//! (`Command::SupplierOrderChanged`), so the two never disagree after a commit.

use super::order_tx;
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::Tx;
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::lifecycle::{Command, Transition};
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};

/// A supplier order's move: what is written on it and what the order's timeline says.
#[derive(Debug, Clone)]
pub struct Move<'a> {
    pub id: SupplierOrderId,
    pub order_id: OrderId,
    /// Who moved, as the order's timeline shows it (`cj:default`, or `carrier`).
    pub label: String,
    pub status: SupplierOrderStatus,
    /// The supplier's order number, when this move learns it (`None` keeps the stored one).
    pub external_id: Option<&'a str>,
    /// The cost, when this move learns it (`None` keeps the stored one).
    pub cost_minor: Option<i64>,
    /// The reason stored on the supplier order (`None` clears it).
    pub last_error: Option<&'a str>,
    /// What the order's timeline says about the move.
    pub detail: Option<String>,
}

impl<'a> Move<'a> {
    /// The supplier order `id` of `order_id` moves to `status`, nothing else learnt or said.
    pub fn new(
        id: SupplierOrderId,
        order_id: OrderId,
        label: String,
        status: SupplierOrderStatus,
    ) -> Move<'a> {
        Move {
            id,
            order_id,
            label,
            status,
            external_id: None,
            cost_minor: None,
            last_error: None,
            detail: None,
        }
    }

    /// `so` moves to `status`, shown under its own label.
    pub fn of(so: &SupplierOrder, status: SupplierOrderStatus) -> Move<'a> {
        Move::new(so.id, so.order_id, so.label(), status)
    }

    /// The same reason stored on the supplier order and shown on the timeline.
    pub fn noted(self, note: &'a str) -> Move<'a> {
        Move {
            last_error: Some(note),
            detail: Some(note.to_string()),
            ..self
        }
    }
}

/// Writes the move and applies it to the order; the caller commits.
pub async fn apply(tx: &mut Tx<'_>, to: Move<'_>, actor: Actor) -> anyhow::Result<Transition> {
    let statuses = supplier_orders::set_status(
        tx,
        to.id,
        to.status,
        to.external_id,
        to.cost_minor,
        to.last_error,
    )
    .await?;
    if to.status == SupplierOrderStatus::Delivered {
        // A manual vendor's purchase delivered: what it earns, in the same transaction.
        super::vendor_earnings::delivered(tx, &to.id.to_string(), chrono::Utc::now()).await?;
    }
    order_tx::apply(
        tx,
        to.order_id,
        Command::SupplierOrderChanged {
            supplier: to.label,
            status: to.status,
            detail: to.detail,
            procurement: Procurement::summarize(&statuses),
        },
        actor,
    )
    .await
}
