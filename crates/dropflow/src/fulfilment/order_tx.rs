use crate::storage::orders::{self, Cause};
use crate::storage::write_set::WriteSet;
use crate::storage::{StorageError, Tx};
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::{self, Command, Rejected, Transition};

/// Why a lifecycle command could not be applied to an order. Typed, so an action can answer a
/// missing order with 404 and a command that does not fit the order with 409.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("order {0} does not exist")]
    NotFound(OrderId),
    #[error(transparent)]
    Rejected(#[from] Rejected),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Applies `command` to the order in the caller's transaction: lock, read, transition, write
/// the state, timeline events and follow-up jobs. The caller commits.
pub async fn apply(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    command: Command,
    actor: Actor,
) -> anyhow::Result<Transition> {
    Ok(try_apply(tx, order_id, command, actor).await?)
}

/// [`apply`], telling why it was not applied (for an action that answers a missing order and
/// a refused command differently). On an error the caller drops the transaction, so nothing
/// is written.
pub async fn try_apply(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    command: Command,
    actor: Actor,
) -> Result<Transition, ApplyError> {
    orders::lock(tx, order_id).await?;
    let current = orders::load_for_update(tx, order_id)
        .await?
        .ok_or(ApplyError::NotFound(order_id))?;
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
