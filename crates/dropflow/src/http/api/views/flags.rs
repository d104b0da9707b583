use super::view;
use crate::services::replace_difference as service;
use crate::storage::flags;
use chrono::{DateTime, Utc};

view! {
    /// One flag as shown.
    pub struct Flag from flags::Flag {
        id: String,
        supplier_order_id: Option<String>,
        /// The order line (position) a quantity flag is about.
        line_position: Option<i64>,
        /// `quantity_changed`, `address_changed`, `cancel_with_supplier`,
        /// `cancelled_after_handover`, `cancelled_after_shipment`, `link_by_hand`.
        kind: String,
        /// What happened, in words a merchant acts on.
        detail: String,
        opened_at: DateTime<Utc>,
        /// `null` while open.
        resolved_at: Option<DateTime<Utc>>,
        /// What was done (`accepted`, `linked to …`, `bought again`, …).
        resolution: Option<String>,
        resolved_by: Option<String>,
    }
}

view! {
    /// The purchase made for the difference.
    pub struct Replaced from service::Replaced {
        order_id: String,
        /// The new supplier order, queued for placement.
        supplier_order_id: String,
        /// Extra units of the line it buys.
        quantity: u32,
        /// The flag, now resolved.
        flag: Flag => Flag::from,
    }
}
