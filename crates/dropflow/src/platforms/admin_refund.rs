//! Refunding a customer through the store's own Admin API, for an after-sale case: what to
//! ask ([`RefundPush`]) and what the store did ([`RefundOutcome`]).
//!
//! One implementation per platform, next to its fulfilment push (`shopify/admin_refund.rs`:
//! `refunds/calculate.json`, then GraphQL `refundCreate` with the original transactions as
//! parents and an `@idempotent` key; `woocommerce/admin_refund.rs`: `POST orders/{id}/refunds`
//! with `api_refund`).
//!
//! A refund may be asked twice (a timeout after the store acted, a crash before we recorded
//! the answer). Neither platform's REST refund call takes an idempotency key (Shopify's
//! GraphQL one does, for a retry of the very same request only), so each refund carries [`marker`] in the text the store keeps with it (Shopify `note`, WooCommerce
//! `reason`), and the connector reads the order's refunds back before creating one: a refund
//! already carrying the marker answers [`RefundOutcome::AlreadyRefunded`]. The same marker
//! lets the store's own refund webhook (which follows our call) be recognised as ours.

use dropflow_core::reference::currency::Currency;

/// One refund to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPush {
    /// The store's own id of the order.
    pub store_order_id: String,
    /// Our case id: [`marker`] of it goes into the refund's note.
    pub reference: String,
    /// The order's currency; every amount below is in its minor units.
    pub currency: Currency,
    /// The units refunded per store line, with the part of `goods_minor` each carries.
    pub lines: Vec<RefundLine>,
    /// What goes back for the goods (the sum of the lines' `amount_minor`).
    pub goods_minor: i64,
    /// What goes back of the shipping charged.
    pub shipping_minor: i64,
    /// Whether the store should put the units back in its stock (the goods came back and
    /// were restocked); dropshipped goods otherwise never were in the store's stock.
    pub restock: bool,
    /// Whether the store should e-mail the customer about the refund.
    pub notify_customer: bool,
    /// Why, for the merchant reading the refund in the store (no customer data).
    pub note: String,
}

impl RefundPush {
    /// What the customer gets back in all.
    pub fn total_minor(&self) -> i64 {
        self.goods_minor + self.shipping_minor
    }

    /// The text kept with the refund on the store: the note and the marker.
    pub fn store_note(&self) -> String {
        let note = self.note.trim();
        if note.is_empty() {
            marker(&self.reference)
        } else {
            format!("{note} ({})", marker(&self.reference))
        }
    }
}

/// Some units of one store line, refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLine {
    /// The store's line item id.
    pub store_line_id: String,
    pub quantity: u32,
    /// The part of the goods refund for these units, minor units.
    pub amount_minor: i64,
}

/// What the store did with a refund request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// A refund was created: the store's refund id, and what it moved back to the customer.
    Refunded {
        store_refund_id: String,
        amount_minor: i64,
    },
    /// The store already had a refund carrying this case's marker: nothing was created.
    AlreadyRefunded {
        store_refund_id: String,
        amount_minor: i64,
    },
}

impl RefundOutcome {
    pub fn store_refund_id(&self) -> &str {
        match self {
            RefundOutcome::Refunded {
                store_refund_id, ..
            }
            | RefundOutcome::AlreadyRefunded {
                store_refund_id, ..
            } => store_refund_id,
        }
    }

    pub fn amount_minor(&self) -> i64 {
        match self {
            RefundOutcome::Refunded { amount_minor, .. }
            | RefundOutcome::AlreadyRefunded { amount_minor, .. } => *amount_minor,
        }
    }
}

const MARKER_PREFIX: &str = "dropflow case ";

/// The text a refund made for case `reference` carries in the store.
pub fn marker(reference: &str) -> String {
    format!("{MARKER_PREFIX}{reference}")
}

/// The case a refund's note names, when dropflow made it: the id after the last
/// `dropflow case ` (case ids are UUIDs: letters, digits and dashes).
pub fn case_in_note(note: &str) -> Option<&str> {
    let start = note.rfind(MARKER_PREFIX)? + MARKER_PREFIX.len();
    let rest = &note[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|id| !id.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_found_again_in_the_note_the_store_keeps() {
        let push = RefundPush {
            store_order_id: "450789469".into(),
            reference: "0190f3c2-7d4e-7a11-b2c3-9f00aa11bb22".into(),
            currency: Currency::from_code("EUR").unwrap(),
            lines: Vec::new(),
            goods_minor: 1000,
            shipping_minor: 250,
            restock: false,
            notify_customer: true,
            note: "Damaged".into(),
        };
        assert_eq!(push.total_minor(), 1250);
        let note = push.store_note();
        assert_eq!(
            note,
            "Damaged (dropflow case 0190f3c2-7d4e-7a11-b2c3-9f00aa11bb22)"
        );
        assert_eq!(
            case_in_note(&note),
            Some("0190f3c2-7d4e-7a11-b2c3-9f00aa11bb22")
        );
        assert_eq!(case_in_note("Customer changed their mind"), None);
        assert_eq!(case_in_note("dropflow case "), None);
    }
}
