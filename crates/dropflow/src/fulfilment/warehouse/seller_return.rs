//! `warehouse.request_return`: after a failed item was returned and refunded to the wallet,
//! the seller is asked through the marketplace's API to take the goods back and refund them
//! (1688 `alibaba.trade.createRefund`, a return and refund of the item's order entries). The
//! job is queued in the decision's transaction; its answer goes on the order's timeline. A
//! supplier whose API takes no returns, or a refusal, leaves the return to the operator.

use super::super::{order_tx, Services};
use super::note;
use crate::storage::warehouse as store;
use crate::storage::{orders, Tx};
use crate::suppliers::{ReturnAnswer, ReturnRequest};
use anyhow::Context;
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::lifecycle::Command;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;

/// The job kind.
pub const JOB: &str = dropflow_core::jobs::REQUEST_SELLER_RETURN;

/// Queues the request for `item_id` of `so`, for `amount` of goods (caller's transaction).
pub(crate) async fn enqueue(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    so: &str,
    item_id: &str,
    amount: Money,
) -> crate::storage::Result<()> {
    let payload = serde_json::json!({
        "supplier_order_id": so,
        "item_id": item_id,
        "amount_minor": amount.minor,
        "currency": amount.currency.code(),
    });
    crate::storage::jobs::enqueue(tx, JOB, &payload, Some(order_id), crate::storage::now_ms())
        .await?;
    Ok(())
}

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    let db = &services.db;
    let id: SupplierOrderId = super::super::supplier_order_id(payload)?;
    let item_id = payload["item_id"]
        .as_str()
        .context("payload without item_id")?;
    let currency = Currency::from_code(payload["currency"].as_str().unwrap_or(""))
        .map_err(|e| anyhow::anyhow!("payload currency: {e}"))?;
    let amount = Money::new(
        payload["amount_minor"]
            .as_i64()
            .context("payload without amount")?,
        currency,
    );
    let so = crate::fulfilment::supplier_order(db, id).await?;
    let item = store::item_of(db, item_id)
        .await?
        .with_context(|| format!("item {item_id} does not exist"))?;
    let kind = SupplierKind::parse(&so.supplier)
        .with_context(|| format!("unknown supplier {:?}", so.supplier))?;
    let supplier = services.suppliers.get(&kind).cloned();
    let answer = match (supplier, so.external_id.clone()) {
        (Some(supplier), Some(external)) => {
            let request = ReturnRequest {
                reference: item_id.to_string(),
                supplier_order_id: external,
                supplier_sku_ids: so
                    .items
                    .iter()
                    .filter(|i| i.line_position == item.line_position)
                    .map(|i| i.supplier_sku_id.clone())
                    .collect(),
                amount,
                reason: "验货不合格，退货退款 (failed inspection at the receiving warehouse)"
                    .into(),
            };
            supplier.request_return(&request).await?
        }
        // Not configured in this process, or never placed: nothing to ask.
        _ => ReturnAnswer::NotOffered,
    };
    let detail = match &answer {
        ReturnAnswer::Requested { refund_id } => format!(
            "{}: the seller was asked to take it back and refund {amount} (marketplace refund \
             {refund_id}); the operator sends the goods back",
            item.title
        ),
        ReturnAnswer::AlreadyRequested => {
            format!("{}: the seller's return was already requested", item.title)
        }
        ReturnAnswer::Refused { detail } => format!(
            "{}: the marketplace refused the return request ({detail}); the operator returns \
             it and claims the seller's refund by hand",
            item.title
        ),
        ReturnAnswer::NotOffered => format!(
            "{}: {} takes no return requests through its API; the operator returns it and \
             claims the seller's refund by hand",
            item.title,
            kind.as_str()
        ),
    };
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    order_tx::apply(
        &mut tx,
        so.order_id,
        Command::Record(vec![note("seller_return", detail)]),
        Actor::System("returns".into()),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(supplier_order.id = %so.id, "seller return handled");
    Ok(())
}
