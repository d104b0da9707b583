//! Shopify REST Admin wire types for fulfilling (protocols.md §1.6) and the mapping from a
//! [`FulfilmentPush`] onto fulfillment orders. Nothing here leaves the Shopify connector.

use crate::platforms::admin::{FulfilmentPush, StoreApiError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `GET orders/{id}/fulfillment_orders.json`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct FulfillmentOrderList {
    pub fulfillment_orders: Vec<FulfillmentOrder>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct FulfillmentOrder {
    pub id: u64,
    pub status: String,
    #[serde(default)]
    pub line_items: Vec<FulfillmentOrderLine>,
}

impl FulfillmentOrder {
    /// Whether a fulfillment can be created against it (open or partly fulfilled).
    pub fn is_fulfillable(&self) -> bool {
        matches!(self.status.as_str(), "open" | "in_progress")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct FulfillmentOrderLine {
    pub id: u64,
    pub line_item_id: u64,
    #[serde(default)]
    pub fulfillable_quantity: u32,
}

/// `GET orders/{id}/fulfillments.json`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct FulfillmentList {
    pub fulfillments: Vec<Fulfillment>,
}

/// `POST fulfillments.json` answer.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct CreatedFulfillment {
    pub fulfillment: Fulfillment,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Fulfillment {
    pub id: u64,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub tracking_numbers: Vec<String>,
}

impl Fulfillment {
    /// Whether this (live) fulfillment already carries `number`.
    pub fn carries(&self, number: &str) -> bool {
        let live = !matches!(
            self.status.as_deref(),
            Some("cancelled" | "error" | "failure")
        );
        live && (self.tracking_number.as_deref().map(str::trim) == Some(number)
            || self.tracking_numbers.iter().any(|n| n.trim() == number))
    }
}

/// `POST fulfillments.json` body.
#[derive(Debug, Clone, Serialize)]
pub(super) struct NewFulfillmentRequest {
    pub fulfillment: NewFulfillment,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct NewFulfillment {
    pub notify_customer: bool,
    pub tracking_info: TrackingInfo,
    pub line_items_by_fulfillment_order: Vec<ByFulfillmentOrder>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct TrackingInfo {
    pub number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct ByFulfillmentOrder {
    pub fulfillment_order_id: u64,
    /// Absent: everything that remains of this fulfillment order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfillment_order_line_items: Option<Vec<LineQuantity>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct LineQuantity {
    pub id: u64,
    pub quantity: u32,
}

/// The body of the fulfillment to create for `push`, given the order's fulfillment orders.
///
/// No lines: every fulfillable fulfillment order, whole. Lines: each order line item is
/// looked up on the fulfillable fulfillment orders and its quantity spread over the lines
/// that still have some left; a quantity beyond what remains is sent anyway, so Shopify's own
/// refusal (422) names the problem.
pub(super) fn plan(
    push: &FulfilmentPush,
    orders: &[FulfillmentOrder],
) -> Result<NewFulfillmentRequest, StoreApiError> {
    let open: Vec<&FulfillmentOrder> = orders.iter().filter(|fo| fo.is_fulfillable()).collect();
    let groups = if push.lines.is_empty() {
        if open.is_empty() {
            return Err(StoreApiError::Refused(
                "nothing left to fulfil on the order".to_string(),
            ));
        }
        open.iter()
            .map(|fo| ByFulfillmentOrder {
                fulfillment_order_id: fo.id,
                fulfillment_order_line_items: None,
            })
            .collect()
    } else {
        let mut per_fo: BTreeMap<u64, BTreeMap<u64, u32>> = BTreeMap::new();
        for line in &push.lines {
            let wanted_id = line.store_line_id.trim();
            let matches: Vec<(u64, &FulfillmentOrderLine)> = open
                .iter()
                .flat_map(|fo| fo.line_items.iter().map(move |l| (fo.id, l)))
                .filter(|(_, l)| l.line_item_id.to_string() == wanted_id)
                .collect();
            if matches.is_empty() {
                let known = orders
                    .iter()
                    .flat_map(|fo| &fo.line_items)
                    .any(|l| l.line_item_id.to_string() == wanted_id);
                return Err(if known {
                    StoreApiError::Refused(format!(
                        "line item {wanted_id} has nothing left to fulfil"
                    ))
                } else {
                    StoreApiError::NotFound(format!("line item {wanted_id} on the order"))
                });
            }
            let mut left = line.quantity;
            for (fo_id, fo_line) in &matches {
                if left == 0 {
                    break;
                }
                let take = left.min(fo_line.fulfillable_quantity);
                if take > 0 {
                    *per_fo
                        .entry(*fo_id)
                        .or_default()
                        .entry(fo_line.id)
                        .or_default() += take;
                    left -= take;
                }
            }
            if left > 0 {
                let (fo_id, fo_line) = matches[0];
                *per_fo
                    .entry(fo_id)
                    .or_default()
                    .entry(fo_line.id)
                    .or_default() += left;
            }
        }
        per_fo
            .into_iter()
            .map(|(fo_id, lines)| ByFulfillmentOrder {
                fulfillment_order_id: fo_id,
                fulfillment_order_line_items: Some(
                    lines
                        .into_iter()
                        .map(|(id, quantity)| LineQuantity { id, quantity })
                        .collect(),
                ),
            })
            .collect()
    };
    Ok(NewFulfillmentRequest {
        fulfillment: NewFulfillment {
            notify_customer: push.notify_customer,
            tracking_info: TrackingInfo {
                number: push.tracking_number.trim().to_string(),
                company: push.carrier.clone().filter(|c| !c.trim().is_empty()),
                url: push.tracking_url.clone().filter(|u| !u.trim().is_empty()),
            },
            line_items_by_fulfillment_order: groups,
        },
    })
}

/// Shopify's `{"errors": …}` as one line: a string, a list of strings, or field → messages.
pub(super) fn error_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let errors = value.get("errors").or_else(|| value.get("error"))?;
    let text = match errors {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}: {s}"),
                Value::Array(a) => format!(
                    "{k}: {}",
                    a.iter()
                        .map(|i| i
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| i.to_string()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    Some(crate::platforms::admin::outside_text(&text))
}
