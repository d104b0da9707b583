//! The messages CJ POSTs to us (protocols.md §4.7): `{messageId, type, messageType, openId,
//! params}`. CJ wants HTTP 200 within **3 s** and retries a failure only three times, five
//! minutes apart, pausing all pushes when half fail; so the HTTP layer should check the
//! signature, [`parse_webhook`], enqueue the event and answer [`WEBHOOK_ACK`] at once, and do
//! the work (status change, tracking) in a job.
//!
//! Sources: the envelope and the PRODUCT example are CJ's own docs; the `ORDER` and
//! `LOGISTIC` parameters come from third-party transcriptions of CJ's docs that agree with
//! each other (UNVERIFIED, protocols.md §4.7): ORDER carries our `orderNumber`, CJ's
//! `cjOrderId`, `orderStatus` and `trackNumber`; LOGISTIC carries CJ's `orderId`,
//! `trackingNumber` and a numeric `trackingStatus` (0–14). Both spellings of the type
//! (`LOGISTIC`, `LOGISTICS`) are accepted.
//!
//! Signature: CJ's current docs (developers.cjdropshipping.cn …/start/webhook.html) describe a
//! `sign` header, the base64 HMAC-SHA256 of the raw body keyed with the account's `openId` as
//! text: [`verify_signature`]. Older pages document no signature at all, so deployments that
//! receive unsigned pushes must rely on a secret URL instead.

use super::transformers::{
    tracking_for_status, tracking_status_from_code, tracking_status_from_text, CjOrderStatus, Loose,
};
use base64::Engine as _;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::supplier::Tracking;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// The answer CJ expects from a webhook receiver.
pub const WEBHOOK_ACK: &str = r#"{"code":200,"result":"success","message":"received"}"#;

/// Which order a message is about: our reference, CJ's id, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderRef {
    /// Our `attempt_id` (CJ's `orderNumber`).
    pub attempt_id: Option<String>,
    /// CJ's order id (`cjOrderId` / `orderId`).
    pub supplier_order_id: Option<String>,
}

/// A CJ message, in dropflow's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CjEvent {
    /// `ORDER`: the order's status changed.
    OrderStatus {
        message_id: String,
        order: OrderRef,
        status: SupplierOrderStatus,
        /// CJ's status text, for the timeline.
        raw_status: String,
        /// Present once CJ has a tracking number.
        tracking: Option<Tracking>,
    },
    /// `LOGISTIC`: the parcel's tracking changed.
    Logistics {
        message_id: String,
        order: OrderRef,
        /// CJ's `storeOrderNumbers` (the store-side numbers CJ links the parcel to).
        store_order_numbers: Vec<String>,
        tracking: Tracking,
    },
    /// Product, variant, stock and other messages: acknowledged, not acted on here.
    Ignored { message_id: String, kind: String },
}

/// Why a body is not a CJ message we can act on. The HTTP layer answers 200 anyway for
/// [`CjEvent::Ignored`]; for these it should answer 400 (CJ retries, then gives up).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the body is not a CJ message: {0}")]
    Malformed(String),
    #[error("the {kind} message has no {field}")]
    Missing { kind: String, field: &'static str },
}

/// Checks CJ's `sign` header: base64 HMAC-SHA256 of the raw `body`, keyed with `open_id`
/// (as text). Constant time.
pub fn verify_signature(open_id: &str, body: &[u8], sign: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(sign.trim()) else {
        return false;
    };
    match Hmac::<Sha256>::new_from_slice(open_id.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            mac.verify_slice(&expected).is_ok()
        }
        Err(_) => false,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    message_id: Option<Loose>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    params: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderParams {
    order_number: Option<String>,
    /// Deprecated spelling of `orderNumber` in some transcriptions.
    order_num: Option<String>,
    cj_order_id: Option<Loose>,
    order_id: Option<Loose>,
    order_status: Option<String>,
    logistic_name: Option<String>,
    track_number: Option<String>,
    tracking_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogisticParams {
    order_id: Option<Loose>,
    order_number: Option<String>,
    #[serde(default)]
    store_order_numbers: Vec<String>,
    logistic_name: Option<String>,
    last_mile_carrier: Option<String>,
    tracking_number: Option<String>,
    track_number: Option<String>,
    tracking_url: Option<String>,
    tracking_status: Option<Loose>,
}

fn text(value: Option<String>) -> Option<String> {
    value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn loose(value: Option<Loose>) -> Option<String> {
    value.map(|v| v.text()).filter(|s| !s.is_empty())
}

/// Reads a CJ webhook body. Pure and fast: no IO, so the receiver answers well within 3 s.
pub fn parse_webhook(body: &[u8]) -> Result<CjEvent, WebhookError> {
    let message: Message =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let kind = message
        .kind
        .as_deref()
        .map(|k| k.trim().to_ascii_uppercase())
        .ok_or_else(|| WebhookError::Malformed("no type".to_string()))?;
    let message_id = message.message_id.map(|m| m.text()).unwrap_or_default();
    let missing = |field| WebhookError::Missing {
        kind: kind.clone(),
        field,
    };
    let params = |e: serde_json::Error| WebhookError::Malformed(e.to_string());
    match kind.as_str() {
        "ORDER" => {
            let p: OrderParams = serde_json::from_value(message.params).map_err(params)?;
            let order = OrderRef {
                attempt_id: text(p.order_number).or(text(p.order_num)),
                supplier_order_id: loose(p.cj_order_id).or(loose(p.order_id)),
            };
            if order.attempt_id.is_none() && order.supplier_order_id.is_none() {
                return Err(missing("orderNumber or cjOrderId"));
            }
            let raw_status = text(p.order_status).ok_or_else(|| missing("orderStatus"))?;
            let status = CjOrderStatus::parse(&raw_status);
            let tracking = text(p.track_number).map(|number| {
                tracking_for_status(number, text(p.logistic_name), text(p.tracking_url), &status)
            });
            Ok(CjEvent::OrderStatus {
                message_id,
                order,
                status: status.supplier_status(),
                raw_status,
                tracking,
            })
        }
        "LOGISTIC" | "LOGISTICS" => {
            let p: LogisticParams = serde_json::from_value(message.params).map_err(params)?;
            let number = text(p.tracking_number)
                .or(text(p.track_number))
                .ok_or_else(|| missing("trackingNumber"))?;
            let order = OrderRef {
                attempt_id: text(p.order_number),
                supplier_order_id: loose(p.order_id),
            };
            if order.attempt_id.is_none() && order.supplier_order_id.is_none() {
                return Err(missing("orderId"));
            }
            let status = match p.tracking_status {
                Some(Loose::Number(n)) => n
                    .as_i64()
                    .map_or(ShipmentStatus::Pending, tracking_status_from_code),
                Some(Loose::Text(t)) => tracking_status_from_text(&t),
                None => ShipmentStatus::Pending,
            };
            Ok(CjEvent::Logistics {
                message_id,
                order,
                store_order_numbers: p.store_order_numbers,
                tracking: Tracking {
                    number,
                    carrier: text(p.last_mile_carrier).or(text(p.logistic_name)),
                    status,
                    url: text(p.tracking_url),
                },
            })
        }
        _ => Ok(CjEvent::Ignored { message_id, kind }),
    }
}
