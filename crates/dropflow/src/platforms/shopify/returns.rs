//! The bodies of the `returns/*` webhooks (Shopify Returns), read into a [`StoreReturn`].
//!
//! What is known of them is in `docs/protocols/after-sale.md` §2.2, and is mostly
//! secondary-sourced: the shapes come from a webhook typings package (`ReturnRequest`,
//! `ReturnApprove`, `ReturnDecline`, `ReturnClose`, `ReturnCancel`, `ReturnReopen`) and one
//! captured `returns/request` body; the topics and the `ReturnReason` / `ReturnStatus` enums
//! from Shopify's own Admin GraphQL reference. So the reader takes what every source agrees on
//! and is lenient elsewhere:
//! - every body has the return's `id` (an integer; text accepted) — required;
//! - `returns/request` and `returns/approve` carry `order.id` and `return_line_items[]`, each
//!   with `fulfillment_line_item.line_item.id` (the order line) and `quantity` — required;
//!   `return_reason` (lower case in bodies, capitals in GraphQL) is mapped, an unknown or
//!   missing one read as `other` (Shopify is moving to `ReturnReasonDefinition`);
//! - `returns/decline` carries `decline: {reason, note}`; either may be missing;
//! - `returns/close`, `returns/cancel`, `returns/reopen` carry the id and a `status` only;
//! - `status` is not trusted to say what happened (the typings spell a close `close`, the enum
//!   `CLOSED`): the topic does.

use super::Topic;
use crate::platforms::decode::{self, opt_text, quantity, required, ExternalId};
use crate::platforms::PayloadError;
use dropflow_core::after_sale::store_return::{
    ReturnChange, ReturnRequest, ReturnedLine, StoreReturn,
};
use dropflow_core::after_sale::CaseReason;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Return {
    id: Option<ExternalId>,
    #[serde(default, deserialize_with = "opt_text")]
    name: Option<String>,
    order: Option<OrderRef>,
    return_line_items: Option<Vec<ReturnLineItem>>,
    decline: Option<Decline>,
}

#[derive(Debug, Deserialize)]
struct OrderRef {
    id: Option<ExternalId>,
}

#[derive(Debug, Deserialize)]
struct ReturnLineItem {
    fulfillment_line_item: Option<FulfillmentLineItem>,
    quantity: Option<i64>,
    /// A word today; kept as any JSON so a richer value (Shopify is moving to return reason
    /// definitions) reads as `other` rather than refusing the return.
    #[serde(default)]
    return_reason: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_text")]
    return_reason_note: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    customer_note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FulfillmentLineItem {
    line_item: Option<LineItemRef>,
}

#[derive(Debug, Deserialize)]
struct LineItemRef {
    id: Option<ExternalId>,
}

#[derive(Debug, Deserialize)]
struct Decline {
    #[serde(default, deserialize_with = "opt_text")]
    reason: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    note: Option<String>,
}

/// Whether `topic` is one of the returns topics [`parse_return`] reads.
pub fn is_return_topic(topic: Topic) -> bool {
    matches!(
        topic,
        Topic::ReturnsRequest
            | Topic::ReturnsApprove
            | Topic::ReturnsDecline
            | Topic::ReturnsClose
            | Topic::ReturnsCancel
            | Topic::ReturnsReopen
    )
}

/// Reads the body of a `returns/*` delivery of `topic`.
pub fn parse_return(topic: Topic, body: &[u8]) -> Result<StoreReturn, PayloadError> {
    let ret: Return = decode::json(body)?;
    let return_id = required(ret.id, "id")?.0;
    let change = match topic {
        Topic::ReturnsRequest => {
            ReturnChange::Requested(request(ret.order, ret.name, ret.return_line_items)?)
        }
        Topic::ReturnsApprove => {
            ReturnChange::Approved(request(ret.order, ret.name, ret.return_line_items)?)
        }
        Topic::ReturnsDecline => {
            let decline = ret.decline;
            ReturnChange::Declined {
                reason: decline
                    .as_ref()
                    .and_then(|d| d.reason.as_deref())
                    .map(|r| r.trim().to_ascii_lowercase()),
                note: decline.and_then(|d| d.note),
            }
        }
        Topic::ReturnsClose => ReturnChange::Closed,
        Topic::ReturnsCancel => ReturnChange::Canceled,
        Topic::ReturnsReopen => ReturnChange::Reopened,
        other => {
            return Err(decode::invalid(
                "(topic)",
                format!("{} is not a returns topic", other.as_str()),
            ))
        }
    };
    Ok(StoreReturn { return_id, change })
}

fn request(
    order: Option<OrderRef>,
    name: Option<String>,
    items: Option<Vec<ReturnLineItem>>,
) -> Result<ReturnRequest, PayloadError> {
    let order_external_id = required(order.and_then(|o| o.id), "order.id")?.0;
    let items = required(items, "return_line_items")?;
    if items.is_empty() {
        return Err(decode::invalid(
            "return_line_items",
            "a return needs at least one line",
        ));
    }
    let mut lines = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let path = format!("return_line_items[{i}]");
        let line_id = item
            .fulfillment_line_item
            .and_then(|f| f.line_item)
            .and_then(|l| l.id);
        let line_id = required(
            line_id,
            format!("{path}.fulfillment_line_item.line_item.id"),
        )?
        .0;
        let units = quantity(
            required(item.quantity, format!("{path}.quantity"))?,
            &format!("{path}.quantity"),
        )?;
        let store_reason = item
            .return_reason
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .map(|r| r.trim().to_ascii_lowercase())
            .filter(|r| !r.is_empty());
        lines.push(ReturnedLine {
            line_id,
            quantity: units,
            reason: reason(store_reason.as_deref()),
            store_reason,
            reason_note: item.return_reason_note,
            customer_note: item.customer_note,
        });
    }
    Ok(ReturnRequest {
        order_external_id,
        name: name.map(|n| n.trim().to_string()),
        lines,
    })
}

/// Shopify's `ReturnReason` (https://shopify.dev/docs/api/admin-graphql/latest/enums/ReturnReason)
/// as a case reason: faulty goods are the supplier's to answer for, a change of mind (with
/// its size, style and colour variants) the merchant's; `other`, `unknown` and any word this
/// build does not know are `other`.
pub(super) fn reason(store_reason: Option<&str>) -> CaseReason {
    match store_reason {
        Some("defective") => CaseReason::Damaged,
        Some("wrong_item") => CaseReason::WrongItem,
        Some("not_as_described") => CaseReason::NotAsDescribed,
        Some("unwanted" | "size_too_large" | "size_too_small" | "style" | "color") => {
            CaseReason::ChangedMind
        }
        _ => CaseReason::Other,
    }
}
