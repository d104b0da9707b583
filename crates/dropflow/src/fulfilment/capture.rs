//! A store's capture policy changed (`buy_when_authorized`): every order of the store whose
//! payment is only authorized and that nothing was bought for yet is judged again, in the
//! transaction that saves the setting — released and routed when the store now buys on an
//! authorization, held again when it no longer does. Orders already bought stay as they are.

use super::order_tx;
use crate::storage::codec::parse_id;
use crate::storage::Tx;
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::lifecycle::Command;
use dropflow_core::payment::{CapturePolicy, PaymentStatus};
use dropflow_core::procurement::Procurement;
use dropflow_core::tab::Tab;
use sqlx::Row;

/// Applies `policy` to the store's waiting authorized orders; returns how many were judged.
pub async fn reapply(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    policy: CapturePolicy,
    actor: &Actor,
) -> anyhow::Result<usize> {
    let rows = sqlx::query(
        "SELECT id FROM orders WHERE store_id = $1 AND payment_status = $2 AND procurement = $3
            AND tab <> $4 ORDER BY id",
    )
    .bind(store_id.to_string())
    .bind(PaymentStatus::Authorized.as_str())
    .bind(Procurement::NotStarted.as_str())
    .bind(Tab::Canceled.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let mut judged = 0;
    for row in rows {
        let id: OrderId = parse_id("orders.id", &row.try_get::<String, _>("id")?)?;
        let transition =
            order_tx::apply(tx, id, Command::SetCapturePolicy(policy), actor.clone()).await?;
        judged += usize::from(transition.changed());
    }
    Ok(judged)
}
