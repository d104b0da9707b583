use super::{each, view};
use crate::services::orders as service;
use crate::storage::{orders, receipts};
use chrono::{DateTime, Utc};
use dropflow_core::hold::Hold;
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::intake::Customer;
use dropflow_core::lifecycle::OrderState;
use dropflow_core::payment::PaymentStatus;
use dropflow_core::procurement::Procurement;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::tab::Tab;
use std::collections::BTreeMap;

view! {
    pub struct OrderPage from service::OrderPage {
        orders: Vec<OrderSummary> => each,
        /// Pass as `cursor` for the next page; absent on the last page.
        next_cursor: Option<String>,
        /// Orders per tab (every order the caller may see).
        counts: BTreeMap<String, i64>,
        /// Orders flagged "needs attention" (all stores; they are in other tabs too).
        needs_attention: i64,
    }
}

view! {
    /// One row of the orders page.
    pub struct OrderSummary from orders::OrderSummary {
        #[schema(value_type = String, format = Uuid)]
        id: OrderId,
        #[schema(value_type = String, format = Uuid)]
        store_id: StoreId,
        /// The store's id for the order.
        external_id: String,
        /// The merchant's name for it ("#1001").
        name: String,
        #[schema(value_type = String)]
        tab: Tab,
        #[schema(value_type = String)]
        payment_status: PaymentStatus,
        #[schema(value_type = String)]
        procurement: Procurement,
        /// Total in minor units of `currency`.
        total_minor: i64,
        currency: String,
        #[schema(value_type = Vec<Object>)]
        holds: Vec<Hold>,
        cancel_reason: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

view! {
    /// Everything about one order.
    pub struct OrderDetail from orders::OrderDetail {
        #[serde(flatten)]
        summary: OrderSummary => OrderSummary::from,
        amounts: ChargedAmounts => ChargedAmounts::from,
        #[schema(value_type = Object)]
        state: OrderState,
        #[schema(value_type = Option<Object>)]
        customer: Option<Customer>,
        #[schema(value_type = Option<Object>)]
        shipping_address: Option<PostalAddress>,
        lines: Vec<OrderLine> => each,
        timeline: Vec<TimelineEntry> => each,
    }
}

view! {
    /// What the customer was charged besides the lines, from the store's latest snapshot, in
    /// minor units of the order's `currency` (`dropflow_core::intake::OrderAmounts`). Orders
    /// stored before these were kept show zeros.
    pub struct ChargedAmounts from orders::ChargedAmounts {
        /// Shipping charged, before shipping discounts.
        shipping_minor: i64,
        /// Discounts granted on the order.
        discounts_minor: i64,
        /// Every tax on the order (lines and shipping).
        taxes_minor: i64,
        /// Whether line and shipping prices already contain the taxes (else they come on top).
        taxes_included: bool,
    }
}

view! {
    /// One order line as stored.
    pub struct OrderLine from orders::OrderLine {
        position: i64,
        external_id: String,
        product_id: Option<String>,
        variant_id: Option<String>,
        sku: Option<String>,
        title: String,
        quantity: i64,
        unit_price_minor: i64,
        requires_shipping: bool,
        /// The customer's chosen variant in words, as the store sent it (empty: none given).
        #[schema(value_type = Vec<VariantWord>)]
        variant_words: Vec<dropflow_core::variant::VariantWord>,
    }
}

/// One word of the customer's chosen variant (`dropflow_core::variant::VariantWord`), for the
/// OpenAPI document.
// Only its schema is used: the word itself is served as the domain type serializes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct VariantWord {
    /// The option's name ("Color"); `null` when the store sends only the value (Shopify's
    /// variant title, "Red / L").
    name: Option<String>,
    /// What the customer chose ("Red").
    value: String,
}

view! {
    /// One timeline entry.
    pub struct TimelineEntry from orders::TimelineEntry {
        at: DateTime<Utc>,
        /// `store:shopify`, `merchant:<token name>`, `system:<component>`.
        actor: String,
        kind: String,
        #[schema(value_type = Object)]
        detail: serde_json::Value,
        /// The webhook delivery that carried the change, when one did.
        receipt_id: Option<String>,
    }
}

view! {
    /// A webhook delivery as received.
    pub struct Receipt from receipts::Receipt {
        id: String,
        #[schema(value_type = String, format = Uuid)]
        store_id: StoreId,
        topic: String,
        received_at: DateTime<Utc>,
        /// The body exactly as the store sent it.
        body: String,
    }
}
