use super::view;
use crate::storage::settings;

view! {
    /// What a store lets dropflow do without a person.
    #[derive(serde::Deserialize)]
    pub struct StoreSettings from and into settings::StoreSettings {
        /// Place supplier orders as soon as an order is routed.
        auto_order: bool,
        /// Pay placed supplier orders from the wallet at once.
        auto_pay: bool,
        /// Hold instead of buying when a supplier's price is more than this many percent above
        /// the mapped cost; `null` = no guard.
        price_guard_percent: Option<u32>,
        /// Let the store e-mail the customer when tracking is pushed.
        notify_customer: bool,
        /// Needs attention when a paid order is not placed with every supplier within this many
        /// hours of payment (1–8760, default 24).
        #[serde(default = "default_place_within_hours")]
        place_within_hours: u32,
        /// Needs attention when a paid order has no tracking number this many days after payment
        /// (1–365, default 7).
        #[serde(default = "default_tracking_within_days")]
        tracking_within_days: u32,
        /// Needs attention when a parcel's tracking has not moved for this many hours (1–8760,
        /// default 48).
        #[serde(default = "default_stale_tracking_hours")]
        stale_tracking_hours: u32,
        /// Buy from suppliers as soon as the customer's payment is authorized, before the store
        /// captured it (default false: an authorized order waits on hold until it is paid). A
        /// voided or lapsed authorization then cancels what was bought but not yet paid.
        #[serde(default)]
        buy_when_authorized: bool,
    }
}

// A threshold the body leaves out is the one a store gets before it sets any.
fn default_place_within_hours() -> u32 {
    settings::StoreSettings::default().place_within_hours
}
fn default_tracking_within_days() -> u32 {
    settings::StoreSettings::default().tracking_within_days
}
fn default_stale_tracking_hours() -> u32 {
    settings::StoreSettings::default().stale_tracking_hours
}
