//! Intake limits (`[intake]`): what a store order may contain at all, and what is plausible
//! enough to buy without a person looking.
//!
//! A store's webhook is checked after it is parsed and before it is stored: an order with no
//! lines, or a line quantity above `max_line_quantity`, is refused with 422 naming the field
//! (negative amounts are already refused by the decoder). An order within those bounds but
//! with a quantity above `review_line_quantity` or a total above `review_order_total` is
//! stored and held (`HoldReason::ImplausibleOrder`) for a person: nothing is bought blind.

use super::PayloadError;
use dropflow_core::intake::{Platform, StoreOrder};
use serde::{Deserialize, Serialize};

/// `[intake]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeLimits {
    /// The largest quantity one line may have; more is refused (422).
    pub max_line_quantity: u32,
    /// The most lines an order may have; more is refused (422).
    pub max_lines: usize,
    /// A line quantity above this holds the order for a person.
    pub review_line_quantity: u32,
    /// An order total above this many whole units of the order's currency holds the order
    /// for a person (one number for every currency: raise it for currencies with small units,
    /// such as JPY).
    pub review_order_total: i64,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        IntakeLimits {
            max_line_quantity: 10_000,
            max_lines: 500,
            review_line_quantity: 100,
            review_order_total: 10_000,
        }
    }
}

impl IntakeLimits {
    /// Refuses an order no store sends: no lines, too many lines, a quantity above the limit.
    pub fn check(&self, order: &StoreOrder) -> Result<(), PayloadError> {
        if order.lines.is_empty() {
            return Err(PayloadError::Invalid {
                path: "line_items".into(),
                reason: "an order needs at least one line".into(),
            });
        }
        if order.lines.len() > self.max_lines {
            return Err(PayloadError::Invalid {
                path: "line_items".into(),
                reason: format!("at most {} lines are accepted", self.max_lines),
            });
        }
        for (i, line) in order.lines.iter().enumerate() {
            if line.quantity > self.max_line_quantity {
                return Err(PayloadError::Invalid {
                    path: format!("line_items[{i}].quantity"),
                    reason: format!(
                        "quantity {} is above the limit of {}",
                        line.quantity, self.max_line_quantity
                    ),
                });
            }
        }
        Ok(())
    }

    /// Why an accepted order should be looked at by a person before anything is bought
    /// (`None`: it is plausible). The words name the field and the limit, never personal data.
    pub fn review(&self, order: &StoreOrder, platform: Platform) -> Option<String> {
        let mut reasons = Vec::new();
        for (i, line) in order.lines.iter().enumerate() {
            if line.quantity > self.review_line_quantity {
                reasons.push(format!(
                    "line_items[{i}].quantity {} is above {}",
                    line.quantity, self.review_line_quantity
                ));
            }
        }
        let limit = self
            .review_order_total
            .checked_mul(10_i64.pow(u32::from(order.currency.minor_units())))
            .unwrap_or(i64::MAX);
        if order.total.minor > limit {
            let field = super::registry::store_platform(platform).total_field();
            reasons.push(format!(
                "{field} {} is above {} {}",
                order.total.to_decimal_string(),
                self.review_order_total,
                order.currency.code()
            ));
        }
        (!reasons.is_empty()).then(|| format!("Implausible order: {}.", reasons.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropflow_core::money::Money;

    fn order(quantity: u32, total_minor: i64, lines: usize) -> StoreOrder {
        let currency = dropflow_core::reference::currency::Currency::from_code("USD")
            .unwrap_or_else(|_| panic!("USD"));
        let line = dropflow_core::intake::StoreOrderLine {
            external_id: "1".into(),
            product_id: None,
            variant_id: None,
            sku: Some("SKU".into()),
            title: "Thing".into(),
            quantity,
            unit_price: Money::new(100, currency),
            requires_shipping: true,
            variant_words: Vec::new(),
        };
        StoreOrder {
            external_id: "1".into(),
            name: "#1".into(),
            currency,
            total: Money::new(total_minor, currency),
            amounts: dropflow_core::intake::OrderAmounts::zero(currency),
            payment_status: dropflow_core::payment::PaymentStatus::Paid,
            cancellation: None,
            customer: None,
            shipping_address: None,
            lines: vec![line; lines],
            created_at: None,
            updated_at: None,
            refund_ids: Vec::new(),
        }
    }

    #[test]
    fn orders_no_store_sends_are_refused_naming_the_field() {
        let limits = IntakeLimits::default();
        let empty = limits.check(&order(1, 100, 0));
        assert_eq!(
            empty
                .err()
                .and_then(|e| e.path().map(String::from))
                .as_deref(),
            Some("line_items")
        );
        let huge = limits.check(&order(4_000_000_000, 100, 1));
        assert_eq!(
            huge.err()
                .and_then(|e| e.path().map(String::from))
                .as_deref(),
            Some("line_items[0].quantity")
        );
        assert!(limits.check(&order(10_000, 100, 1)).is_ok());
    }

    #[test]
    fn quantities_and_totals_above_the_review_limits_are_held() {
        let limits = IntakeLimits::default();
        assert_eq!(
            limits.review(&order(100, 1_000_000, 1), Platform::Shopify),
            None
        );
        let quantity = limits.review(&order(101, 100, 1), Platform::Shopify);
        assert!(quantity.is_some_and(|r| r.contains("line_items[0].quantity 101 is above 100")));
        let total = limits.review(&order(1, 1_000_001, 1), Platform::Woocommerce);
        assert!(
            total
                .as_deref()
                .is_some_and(|r| r.contains("total 10000.01 is above 10000 USD")),
            "{total:?}"
        );
    }
}
