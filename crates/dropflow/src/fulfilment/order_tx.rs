use crate::storage::orders::{self, Cause};
use crate::storage::write_set::WriteSet;
use crate::storage::Tx;
use anyhow::Context;
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::{self, Command, Transition};

/// Applies `command` to the order in the caller's transaction: lock, read, transition, write
/// the state, timeline events and follow-up jobs. The caller commits.
pub async fn apply(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    command: Command,
    actor: Actor,
) -> anyhow::Result<Transition> {
    orders::lock(tx, order_id).await?;
    let current = orders::load_for_update(tx, order_id)
        .await?
        .with_context(|| format!("order {order_id} does not exist"))?;
    let transition = lifecycle::transition(&current.state, command)?;
    let cause = Cause {
        actor,
        receipt: None,
    };
    let mut writes = WriteSet::new();
    writes.update(&current, None, &transition, &cause)?;
    writes.flush(tx).await?;
    Ok(transition)
}
