use super::{each, view};
use crate::fulfilment::warehouse::merchant;
use crate::storage::warehouse as store;
use chrono::{DateTime, Utc};
use dropflow_core::warehouse::choice::AutoPick;
use dropflow_core::warehouse::consolidation::{ItemState, Readiness};
use dropflow_core::warehouse::inspection::{Checklist, Outcome};
use dropflow_core::warehouse::rates::Quote;
use dropflow_core::warehouse::stage::WarehouseLeg;

view! {
    /// What the merchant sees of an order at the warehouse.
    pub struct WarehouseView from merchant::WarehouseView {
        stage: String,
        #[schema(value_type = Object)]
        leg: WarehouseLeg,
        ship_what_is_here: bool,
        /// Arrived / cleared / blocked / missing (with tracking and expected arrival).
        #[schema(value_type = Object)]
        readiness: Readiness,
        items: Vec<ItemRow> => each,
        inbound: Vec<Inbound> => each,
        packages: Vec<Package> => each,
    }
}

view! {
    /// One order line at the warehouse.
    pub struct ItemRow from store::ItemRow {
        id: String,
        order_id: String,
        supplier_order_id: String,
        line_position: i64,
        title: String,
        quantity: i64,
        #[schema(value_type = Object)]
        state: ItemState,
        #[schema(value_type = Option<Object>)]
        outcome: Option<Outcome>,
        #[schema(value_type = Option<Object>)]
        checklist: Option<Checklist>,
        arrived_at: Option<DateTime<Utc>>,
        package_id: Option<String>,
    }
}

view! {
    /// A seller's domestic parcel to the warehouse.
    pub struct Inbound from store::Inbound {
        id: String,
        order_id: String,
        supplier_order_id: String,
        /// The marketplace's order number.
        supplier_ref: Option<String>,
        carrier: Option<String>,
        tracking_number: String,
        /// An estimate from when the seller shipped.
        expected_arrival: Option<DateTime<Utc>>,
        received_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// The international parcel.
    pub struct Package from store::Package {
        id: String,
        /// The order it was packed from.
        order_id: String,
        /// Every order it carries (more than one when orders to one customer were combined).
        order_ids: Vec<String>,
        store_id: String,
        weight_g: i64,
        length_cm: i64,
        width_cm: i64,
        height_cm: i64,
        branding: bool,
        #[schema(value_type = Vec<Object>)]
        quotes: Vec<Quote>,
        carrier_code: Option<String>,
        fee_minor: Option<i64>,
        fee_currency: Option<String>,
        fee_ledger_ref: Option<String>,
        fee_paid_at: Option<DateTime<Utc>>,
        label_ref: Option<String>,
        carrier: Option<String>,
        tracking_number: Option<String>,
        shipment_id: Option<String>,
        dispatch_due_at: Option<DateTime<Utc>>,
        dispatched_at: Option<DateTime<Utc>>,
        late: bool,
    }
}

view! {
    /// A scan that matched no parcel we expect.
    pub struct ScanException from store::ScanException {
        id: String,
        scan: String,
        scanned_by: String,
        scanned_at: DateTime<Utc>,
        /// The account of the operator who scanned it; none for an installation-level caller.
        account_id: Option<String>,
        resolved_order_id: Option<String>,
        resolved_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// A store's warehouse settings. What goes in the parcel with the goods (logo, thank-you
    /// card) is the store's branding (`storage::branding`, the dashboard's settings page).
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct WarehouseSettings from and into store::WarehouseSettings {
        /// Choose the carrier without asking (`null`: the merchant chooses).
        #[schema(value_type = Option<Object>)]
        auto_pick: Option<AutoPick>,
        /// Pay the shipping fee from the wallet as soon as the carrier is chosen.
        auto_pay_fee: bool,
    }
}

view! {
    /// A customer's return of an after-sale case, received at the warehouse.
    pub struct ReturnReceipt from store::ReturnReceipt {
        case_id: String,
        order_id: String,
        /// The store's name of the order (`#1001`).
        order_name: String,
        /// The number scanned, or the scan of the unknown parcel linked to the case.
        scan: String,
        /// The unknown parcel (exception) that turned out to be this return.
        exception_id: Option<String>,
        received_by: String,
        received_at: DateTime<Utc>,
        /// The inspection's outcome (`pass` or `fail`, reasons, note, photos), once inspected.
        #[schema(value_type = Option<Object>)]
        outcome: Option<Outcome>,
        #[schema(value_type = Option<Object>)]
        checklist: Option<Checklist>,
        /// The goods were restocked (`true`) or disposed of; none until inspected.
        restocked: Option<bool>,
        inspected_by: Option<String>,
        inspected_at: Option<DateTime<Utc>>,
        /// The units the case claims.
        lines: Vec<ReturnLine> => return_lines,
    }
}

/// Units of one order line a returned case claims.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReturnLine {
    pub title: String,
    pub quantity: i64,
}

fn return_lines(lines: Vec<(String, i64)>) -> Vec<ReturnLine> {
    lines
        .into_iter()
        .map(|(title, quantity)| ReturnLine { title, quantity })
        .collect()
}
