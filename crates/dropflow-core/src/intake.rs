//! The normalised form of a store order. Each platform transformer (Shopify, WooCommerce) maps
//! its own payload into a [`StoreOrder`]; everything after that is platform-blind.

use crate::money::Money;
use crate::payment::PaymentStatus;
use crate::reference::address::PostalAddress;
use crate::reference::currency::Currency;
use crate::variant::VariantWord;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which platform a store runs on. The connector of each is
/// `dropflow::platforms::registry::store_platform`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Shopify,
    Woocommerce,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::Shopify, Platform::Woocommerce];

    /// The name stored in `stores.platform` and used in the webhook URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::Woocommerce => "woocommerce",
        }
    }
    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A snapshot of one order as the store sees it at `updated_at`. Every webhook topic about an
/// order (created, updated, paid, cancelled) carries the whole order, so each is one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreOrder {
    /// The store's own id for the order (Shopify `id`, WooCommerce `id`), as text.
    pub external_id: String,
    /// What the merchant calls it ("#1001").
    pub name: String,
    pub currency: Currency,
    pub total: Money,
    /// What the customer was charged besides the lines (shipping, discounts, taxes).
    pub amounts: OrderAmounts,
    pub payment_status: PaymentStatus,
    /// Set when the store cancelled the order.
    pub cancellation: Option<StoreCancellation>,
    pub customer: Option<Customer>,
    /// `None` for orders with nothing to ship (digital goods).
    pub shipping_address: Option<PostalAddress>,
    pub lines: Vec<StoreOrderLine>,
    pub created_at: Option<DateTime<Utc>>,
    /// When the store last changed the order; older snapshots than the one applied are stale.
    pub updated_at: Option<DateTime<Utc>>,
    /// The store's refunds of the order by id, where the order itself lists them
    /// (WooCommerce `refunds[].id`); empty where refunds arrive on their own (Shopify's
    /// `refunds/create`).
    #[serde(default)]
    pub refund_ids: Vec<String>,
}

impl StoreOrder {
    /// Whether anything in the order must be shipped (and so needs a valid address).
    pub fn requires_shipping(&self) -> bool {
        self.lines.iter().any(|l| l.requires_shipping)
    }
}

/// The order-level amounts of a snapshot, in the order's currency, as the store reports them.
/// A refund's shipping part is bounded by `shipping`, and profit keeps `taxes` apart from
/// revenue. Payloads too old to carry a field give zero for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAmounts {
    /// Shipping charged, before shipping discounts (Shopify `total_shipping_price_set`,
    /// WooCommerce `shipping_total`).
    pub shipping: Money,
    /// Discounts granted on the order (Shopify `total_discounts`, WooCommerce
    /// `discount_total`).
    pub discounts: Money,
    /// Every tax on the order, lines and shipping (`total_tax` on both platforms).
    pub taxes: Money,
    /// Whether the line and shipping prices already contain `taxes` (Shopify
    /// `taxes_included`, WooCommerce `prices_include_tax`); if not, they come on top.
    pub taxes_included: bool,
}

impl OrderAmounts {
    /// Nothing charged besides the lines.
    pub fn zero(currency: Currency) -> Self {
        Self {
            shipping: Money::zero(currency),
            discounts: Money::zero(currency),
            taxes: Money::zero(currency),
            taxes_included: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCancellation {
    /// The store's reason (`customer`, `fraud`, `inventory`, …) when it gives one.
    pub reason: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

impl Customer {
    /// The first and last names the store gave, joined by a space; empty when it gave none.
    pub fn full_name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One line of a store order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOrderLine {
    pub external_id: String,
    pub product_id: Option<String>,
    /// Shopify `variant_id`, WooCommerce `variation_id` (absent for simple products).
    pub variant_id: Option<String>,
    pub sku: Option<String>,
    pub title: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub requires_shipping: bool,
    /// The customer's chosen variant in words (options, customisations), as the store sent
    /// them; empty for a simple product. Absent in snapshots written before it existed.
    #[serde(default)]
    pub variant_words: Vec<VariantWord>,
}

#[cfg(test)]
mod tests {
    use super::Customer;

    #[test]
    fn a_customers_full_name_joins_the_names_given() {
        let named = |first: Option<&str>, last: Option<&str>| Customer {
            first_name: first.map(str::to_string),
            last_name: last.map(str::to_string),
            ..Customer::default()
        };
        assert_eq!(
            named(Some("Ada"), Some("Lovelace")).full_name(),
            "Ada Lovelace"
        );
        assert_eq!(named(None, Some("Lovelace")).full_name(), "Lovelace");
        assert_eq!(named(Some("Ada"), None).full_name(), "Ada");
        assert_eq!(named(None, None).full_name(), "");
    }
}
