//! Customers and merchants who change their minds (issue 10): one order in twenty is edited
//! in the store (a line removed or one more of an item), one in twenty cancelled and one in
//! twenty refunded, each after a delay that lands it at a different stage — before routing,
//! while placing, after payment, after the vendor has it, after shipment. The summary then
//! checks that nothing was bought that the store's order no longer holds and that nothing
//! bought for a cancelled order goes unflagged.

use anyhow::Context;
use serde_json::{json, Value};
use std::time::Duration;

/// What happens to an order after it was placed in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A line removed (several lines) or one more of the first item (one line).
    Edit,
    Cancel,
    Refund,
}

/// The change order `i` gets, if any: 5 % each, spread over the run.
pub fn pick(i: u64) -> Option<Change> {
    match i.wrapping_mul(2_654_435_761) % 100 {
        0..=4 => Some(Change::Edit),
        5..=9 => Some(Change::Cancel),
        10..=14 => Some(Change::Refund),
        _ => None,
    }
}

/// How long after the order the change arrives: 0.3 to 15 s (sandbox days last 4 s), so
/// changes meet orders at every stage.
pub fn delay(i: u64) -> Duration {
    Duration::from_millis(300 + i.wrapping_mul(7_919) % 14_700)
}

/// Shopify's webhook for the change: the topic and the order as it now stands, with its
/// `updated_at` moved on (an edit keeps a removed line with `current_quantity` 0).
pub fn shopify(order: &Value, change: Change) -> anyhow::Result<(&'static str, Value)> {
    let mut order = order.clone();
    let updated =
        chrono::DateTime::parse_from_rfc3339(order["updated_at"].as_str().context("updated_at")?)?
            + chrono::Duration::minutes(10);
    order["updated_at"] = json!(updated.to_rfc3339());
    let topic = match change {
        Change::Edit => {
            let lines = order["line_items"].as_array_mut().context("line_items")?;
            if lines.len() > 1 {
                if let Some(last) = lines.last_mut() {
                    last["current_quantity"] = json!(0);
                    last["fulfillable_quantity"] = json!(0);
                }
            } else if let Some(first) = lines.first_mut() {
                let more = first["quantity"].as_u64().unwrap_or(1) + 1;
                first["quantity"] = json!(more);
                first["current_quantity"] = json!(more);
                first["fulfillable_quantity"] = json!(more);
            }
            "orders/updated"
        }
        Change::Cancel => {
            order["cancelled_at"] = json!(updated.to_rfc3339());
            order["cancel_reason"] = json!("customer");
            "orders/cancelled"
        }
        Change::Refund => {
            order["financial_status"] = json!("refunded");
            "orders/updated"
        }
    };
    Ok((topic, order))
}

/// WooCommerce's `order.updated` body for the change (an edit drops the last line or adds
/// one more of the first item; `date_modified` moves on).
pub fn woocommerce(order: &Value, change: Change) -> anyhow::Result<Value> {
    let mut order = order.clone();
    let modified = chrono::NaiveDateTime::parse_from_str(
        order["date_modified_gmt"]
            .as_str()
            .context("date_modified_gmt")?,
        "%Y-%m-%dT%H:%M:%S",
    )? + chrono::Duration::minutes(10);
    let text = modified.format("%Y-%m-%dT%H:%M:%S").to_string();
    order["date_modified"] = json!(text);
    order["date_modified_gmt"] = json!(text);
    match change {
        Change::Edit => {
            let lines = order["line_items"].as_array_mut().context("line_items")?;
            if lines.len() > 1 {
                lines.pop();
            } else if let Some(first) = lines.first_mut() {
                let more = first["quantity"].as_u64().unwrap_or(1) + 1;
                first["quantity"] = json!(more);
            }
        }
        Change::Cancel => order["status"] = json!("cancelled"),
        Change::Refund => order["status"] = json!("refunded"),
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_one_order_in_twenty_gets_each_change() {
        let picks: Vec<Option<Change>> = (0..1000).map(pick).collect();
        for change in [Change::Edit, Change::Cancel, Change::Refund] {
            let n = picks.iter().filter(|p| **p == Some(change)).count();
            assert!((30..=70).contains(&n), "{change:?}: {n}");
        }
        assert!((0..1000)
            .map(delay)
            .all(|d| d >= Duration::from_millis(300)));
    }

    #[test]
    fn a_shopify_edit_keeps_the_removed_line_at_zero() {
        let order = dropflow_sandbox::shopify::order_payload(77, "#77", "paid");
        let (topic, edited) = shopify(&order, Change::Edit).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(topic, "orders/updated");
        assert_ne!(edited["updated_at"], order["updated_at"]);
        assert_eq!(
            edited["line_items"].as_array().map(Vec::len),
            order["line_items"].as_array().map(Vec::len)
        );
    }
}
