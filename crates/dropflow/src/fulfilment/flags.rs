//! Raising a flag: the row a person settles, and the timeline event that puts the order in
//! Needs Attention (the `attention` consumer) and tells a vendor (the `notify` consumer),
//! written in the caller's transaction.

use super::order_tx;
use crate::storage::{flags, Tx};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::lifecycle::Command;

/// A purchase a flag is about: its id and its label (`manual:vendor-a`).
pub struct About<'a> {
    pub id: SupplierOrderId,
    pub label: &'a str,
}

/// Opens the flag (once: an identical open flag is left as it is) and records it on the
/// timeline; whether it was new.
pub async fn raise(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    about: Option<About<'_>>,
    kind: &str,
    detail: &str,
    actor: Actor,
) -> anyhow::Result<bool> {
    raise_on_line(tx, order_id, about, None, kind, detail, actor).await
}

/// [`raise`] for a flag about one order line (`line`: its position), so an action on the flag
/// knows which line it concerns.
pub async fn raise_on_line(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    about: Option<About<'_>>,
    line: Option<u32>,
    kind: &str,
    detail: &str,
    actor: Actor,
) -> anyhow::Result<bool> {
    let supplier_order = about.as_ref().map(|a| a.id);
    let Some(_) = flags::raise(tx, order_id, supplier_order, line, kind, detail).await? else {
        return Ok(false);
    };
    order_tx::apply(
        tx,
        order_id,
        Command::Record(vec![OrderEvent::FlagRaised {
            flag: kind.to_string(),
            detail: detail.to_string(),
            supplier: about.map(|a| a.label.to_string()),
        }]),
        actor,
    )
    .await?;
    Ok(true)
}
