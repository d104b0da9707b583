use super::orders::VariantWord;
use super::{each, view};
use crate::storage::{parcels, supplier_orders};
use chrono::{DateTime, Utc};

view! {
    /// A supplier order as shown on the order page.
    pub struct SupplierOrderView from supplier_orders::SupplierOrderView {
        id: String,
        supplier: String,
        supplier_account: String,
        status: String,
        attempt_id: String,
        external_id: Option<String>,
        cost_minor: Option<i64>,
        currency: Option<String>,
        last_error: Option<String>,
        /// Shipped straight to the customer under the merchant's store (every supplier but the
        /// warehouse's marketplace sellers): the supplier's name, prices and invoice stay out of
        /// the parcel. The vendor's pages and mail show it as a "Dropship" badge.
        dropship: bool,
        items: Vec<SupplierOrderItem> => each,
        placed_at: Option<DateTime<Utc>>,
        paid_at: Option<DateTime<Utc>>,
        /// When we last asked the supplier about it, and when we will next (`null`: not followed).
        last_synced_at: Option<DateTime<Utc>>,
        next_sync_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

view! {
    /// One item of a supplier order, as shown.
    pub struct SupplierOrderItem from supplier_orders::SupplierOrderItem {
        line_position: i64,
        /// The store's id for the order line this item serves.
        line_id: Option<String>,
        /// The line's quantity when this was bought (`null`: bought before it was recorded).
        line_quantity: Option<i64>,
        supplier_product_id: String,
        supplier_sku_id: String,
        quantity: i64,
        unit_cost_minor: i64,
        currency: String,
        /// The supplier's product page, from the mapping (an `https` address when entered since
        /// addresses are checked; pages link only those).
        product_url: Option<String>,
        /// The mapping offer's shipping the item was bought with, once whatever the quantity,
        /// in `currency` (`null`: nothing on top of the goods). The purchase's `cost_minor`
        /// includes it.
        shipping_minor: Option<i64>,
        /// The order line's title (`null` when the line is gone).
        line_title: Option<String>,
        /// The customer's chosen variant of that line in words (option names and values).
        #[schema(value_type = Vec<VariantWord>)]
        variant_words: Vec<dropflow_core::variant::VariantWord>,
    }
}

view! {
    /// A parcel as shown on the order page.
    pub struct ParcelView from parcels::ParcelView {
        id: String,
        supplier_order_id: Option<String>,
        leg: String,
        tracking_number: Option<String>,
        carrier: Option<String>,
        tracking_url: Option<String>,
        /// The courier recognised from the number itself.
        courier_detected: Option<String>,
        /// `valid`, `invalid` (fails its check digit: not sent to the store) or `unrecognised`.
        number_check: String,
        status: String,
        sub_status: Option<String>,
        last_event: Option<String>,
        last_event_at: Option<DateTime<Utc>>,
        /// When the store was told (marked fulfilled with this tracking).
        pushed_at: Option<DateTime<Utc>>,
        last_synced_at: Option<DateTime<Utc>>,
        next_sync_at: Option<DateTime<Utc>>,
    }
}
