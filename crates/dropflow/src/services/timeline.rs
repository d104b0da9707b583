//! The order page's timeline as sentences a merchant reads ("Tracking RR100000269CN: out for
//! delivery"), newest first, with repeats folded: the same line from the same actor several
//! times in a row (a carrier reporting the same status at every poll) is one line with a count.
//!
//! The stored detail of an event is the event itself (`dropflow_core::event::OrderEvent`,
//! tagged by `kind`); one that no longer reads as an event (an older shape) falls back to its
//! fields, without the tag and empty values.

use super::view;
use crate::storage::orders::TimelineEntry;
use dropflow_core::event::OrderEvent;
use dropflow_core::warehouse::stage::WarehouseEvent;
use serde::Serialize;
use serde_json::Value;

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// When it (the newest of a fold) happened.
    pub at: String,
    /// When the first of a fold happened (`None` for a single event).
    pub since: Option<String>,
    pub actor: String,
    pub text: String,
    /// How many events the line stands for.
    pub count: usize,
}

/// The timeline, newest first, repeats folded.
pub fn rows(timeline: &[TimelineEntry]) -> Vec<EventRow> {
    let mut rows: Vec<EventRow> = Vec::new();
    for entry in timeline.iter().rev() {
        let text = sentence(&entry.kind, &entry.detail);
        let at = view::time(&entry.at);
        match rows.last_mut() {
            Some(last) if last.text == text && last.actor == entry.actor => {
                last.count += 1;
                last.since = Some(at);
            }
            _ => rows.push(EventRow {
                at,
                since: None,
                actor: entry.actor.clone(),
                text,
                count: 1,
            }),
        }
    }
    rows
}

/// The entries about one case of the order (its steps), oldest first.
pub fn of_case<'a>(
    timeline: &'a [TimelineEntry],
    case_id: &'a str,
) -> impl Iterator<Item = &'a TimelineEntry> + 'a {
    timeline.iter().filter(move |entry| {
        matches!(
            serde_json::from_value::<OrderEvent>(entry.detail.clone()),
            Ok(OrderEvent::Case { case_id: c, .. }) if c == case_id
        )
    })
}

/// A value's serialised name in words (`out_for_delivery` → "out for delivery").
fn said<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => view::words(&s),
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// `text`, then ": detail" when there is one.
fn with_detail(text: String, detail: &str) -> String {
    let detail = detail.trim();
    if detail.is_empty() {
        text
    } else {
        format!("{text}: {detail}")
    }
}

/// One event in a sentence.
pub fn sentence(kind: &str, detail: &Value) -> String {
    let Ok(event) = serde_json::from_value::<OrderEvent>(detail.clone()) else {
        return fallback(kind, detail);
    };
    match event {
        OrderEvent::Received { topic } => format!("Received from the store ({topic})"),
        OrderEvent::StoreUpdated { topic } => format!("Updated by the store ({topic})"),
        OrderEvent::StaleUpdateIgnored { topic } => {
            format!("An older update from the store came late and was ignored ({topic})")
        }
        OrderEvent::PaymentChanged { from, to } => {
            format!("Customer payment: {} → {}", said(&from), said(&to))
        }
        OrderEvent::HoldPlaced { reason, detail, .. } => {
            with_detail(format!("On hold: {}", said(&reason)), &detail)
        }
        OrderEvent::HoldReleased { reason } => format!("Hold released: {}", said(&reason)),
        OrderEvent::Cancelled { reason } => with_detail("Cancelled".into(), &reason),
        OrderEvent::ReadyToOrder => "Ready to order from the suppliers".into(),
        OrderEvent::CapturePolicyChanged { policy } => match policy {
            dropflow_core::payment::CapturePolicy::BuyWhenPaid => {
                "The store now buys only once the payment is captured".into()
            }
            dropflow_core::payment::CapturePolicy::BuyWhenAuthorized => {
                "The store now buys as soon as the payment is authorized".into()
            }
        },
        OrderEvent::ProcurementChanged { from, to } => {
            format!("Supplier side: {} → {}", said(&from), said(&to))
        }
        OrderEvent::SupplierOrderChanged {
            supplier,
            status,
            detail,
        } => with_detail(
            format!("{supplier} order {}", said(&status)),
            detail.as_deref().unwrap_or(""),
        ),
        OrderEvent::Routed { suppliers } => format!("Routed to {}", suppliers.join(", ")),
        OrderEvent::RoutingFailed { failures } => {
            let lines: Vec<String> = failures
                .iter()
                .map(|f| format!("line {}: {}", f.line_position, f.reason.describe()))
                .collect();
            format!("Could not route {}", lines.join("; "))
        }
        OrderEvent::RoutingSucceeded => "Every line is routed to a supplier".into(),
        OrderEvent::PaymentFailed { supplier, detail } => {
            with_detail(format!("Paying {supplier} failed"), &detail)
        }
        OrderEvent::ActionRequested { action } => format!("{} requested", capital(&action)),
        OrderEvent::TrackingAdded {
            supplier,
            number,
            carrier,
            check,
        } => {
            let mut text = format!("Tracking {number} from {supplier}");
            if let Some(carrier) = carrier.filter(|c| !c.is_empty()) {
                text.push_str(&format!(" ({carrier})"));
            }
            if check != "valid" {
                text.push_str(&format!(" — number check: {check}"));
            }
            text
        }
        OrderEvent::TrackingChanged { number, status } => {
            format!("Tracking {number}: {}", said(&status))
        }
        OrderEvent::FulfilledOnStore { number } => {
            format!("Tracking {number} is on the store")
        }
        OrderEvent::StorePushFailed { number, detail } => with_detail(
            format!("Could not write tracking {number} to the store"),
            &detail,
        ),
        OrderEvent::NeedsAttention { reason } => with_detail("Needs attention".into(), &reason),
        OrderEvent::AttentionCleared { reason } => {
            with_detail("No longer needs attention".into(), &reason)
        }
        OrderEvent::Warehouse { event } => warehouse(&event),
        OrderEvent::WarehouseNote { topic, detail } => {
            with_detail(format!("Warehouse, {}", view::words(&topic)), &detail)
        }
        OrderEvent::OrderEdited { lines, address } => match (lines, address) {
            (true, true) => "The store changed the lines and the shipping address".into(),
            (false, true) => "The store changed the shipping address".into(),
            _ => "The store changed the lines".into(),
        },
        OrderEvent::FlagRaised { detail, .. } => format!("Needs a decision: {detail}"),
        OrderEvent::FlagResolved { flag, resolution } => {
            format!("Settled ({}): {resolution}", view::words(&flag))
        }
        OrderEvent::Case { step, detail, .. } => {
            with_detail(format!("Case: {}", view::words(&step)), &detail)
        }
        OrderEvent::StoreRefundsListed { refund_ids } => {
            format!("Refunded in the store ({})", refund_ids.join(", "))
        }
        OrderEvent::Chargeback {
            dispute_id,
            status,
            detail,
        } => with_detail(
            format!("Payment dispute {dispute_id}: {}", view::words(&status)),
            &detail,
        ),
    }
}

fn capital(text: &str) -> String {
    let words = view::words(text);
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

fn warehouse(event: &WarehouseEvent) -> String {
    match event {
        WarehouseEvent::StageChanged { from, to } => {
            format!("Warehouse: {} → {}", said(from), said(to))
        }
        WarehouseEvent::ShippingFeeDue { carrier_code, fee } => {
            format!("Warehouse: shipping fee {fee} due ({carrier_code})")
        }
        WarehouseEvent::DispatchDueBy { by } => {
            format!("Warehouse: to be dispatched by {}", view::time(by))
        }
        WarehouseEvent::DispatchedLate { hours_late } => {
            format!("Warehouse: dispatched {hours_late} h late")
        }
        WarehouseEvent::RestFollows { packages_sent } => {
            format!("Warehouse: {packages_sent} package(s) sent, the rest follows")
        }
        WarehouseEvent::PackageDelivered { tracking } => {
            format!("Warehouse package {tracking} delivered")
        }
        WarehouseEvent::ExceptionRaised { reason } => {
            with_detail("Warehouse exception".into(), reason)
        }
        WarehouseEvent::ExceptionResolved { back_to } => {
            format!("Warehouse exception resolved, back to {}", said(back_to))
        }
    }
}

/// An event that does not read as one: its kind in words and its non-empty fields.
fn fallback(kind: &str, detail: &Value) -> String {
    let mut text = capital(kind);
    if let Value::Object(map) = detail {
        let fields: Vec<String> = map
            .iter()
            .filter(|(k, v)| k.as_str() != "kind" && !v.is_null())
            .map(|(k, v)| match v {
                Value::String(s) => format!("{} {s}", view::words(k)),
                other => format!("{} {other}", view::words(k)),
            })
            .collect();
        if !fields.is_empty() {
            text = format!("{text}: {}", fields.join(", "));
        }
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn entry(second: u32, actor: &str, event: &OrderEvent) -> TimelineEntry {
        TimelineEntry {
            at: Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, second).unwrap(),
            actor: actor.into(),
            kind: event.kind().into(),
            detail: serde_json::to_value(event).unwrap(),
            receipt_id: None,
        }
    }

    #[test]
    fn events_read_as_sentences_without_keys_or_nulls() {
        let tracking = OrderEvent::TrackingChanged {
            number: "RR100000269CN".into(),
            status: dropflow_core::shipment::ShipmentStatus::OutForDelivery,
        };
        let row = &rows(&[entry(0, "system:track", &tracking)])[0];
        assert_eq!(row.text, "Tracking RR100000269CN: out for delivery");
        let changed = OrderEvent::SupplierOrderChanged {
            supplier: "cj".into(),
            status: dropflow_core::procurement::SupplierOrderStatus::AwaitingShipment,
            detail: None,
        };
        let text = sentence(changed.kind(), &serde_json::to_value(&changed).unwrap());
        assert_eq!(text, "cj order awaiting shipment");
        assert!(!text.contains("null") && !text.contains("kind"), "{text}");
        assert_eq!(
            sentence("ready_to_order", &json!({"kind": "ready_to_order"})),
            "Ready to order from the suppliers"
        );
        // A shape this version does not know still reads without the tag or empty fields.
        assert_eq!(
            sentence(
                "something_new",
                &json!({"kind": "something_new", "number": "X1", "detail": null})
            ),
            "Something new: number X1"
        );
    }

    #[test]
    fn repeated_carrier_events_fold_into_one_line_with_a_count() {
        let in_transit = OrderEvent::TrackingChanged {
            number: "RR100000269CN".into(),
            status: dropflow_core::shipment::ShipmentStatus::InTransit,
        };
        let delivered = OrderEvent::TrackingChanged {
            number: "RR100000269CN".into(),
            status: dropflow_core::shipment::ShipmentStatus::Delivered,
        };
        let timeline = [
            entry(1, "system:track", &in_transit),
            entry(2, "system:track", &in_transit),
            entry(3, "system:track", &in_transit),
            entry(4, "system:track", &delivered),
            entry(5, "system:track", &in_transit),
        ];
        let rows = rows(&timeline);
        let lines: Vec<(&str, usize)> = rows.iter().map(|r| (r.text.as_str(), r.count)).collect();
        // Newest first; only repeats in a row fold (the order of events stays true).
        assert_eq!(
            lines,
            vec![
                ("Tracking RR100000269CN: in transit", 1),
                ("Tracking RR100000269CN: delivered", 1),
                ("Tracking RR100000269CN: in transit", 3),
            ]
        );
        assert!(rows[2].since.is_some() && rows[0].since.is_none());
    }
}
