//! `/vendor`: a manual vendor's work — the supplier orders routed to them that wait for
//! shipping, each with a tracking form, and the ones they shipped recently. Each item shows
//! what seed 001 says the vendor is given: a "Dropship" badge (it goes to the customer under
//! the merchant's store), the supplier's product page, what the merchant pays for it, and
//! the customer's chosen variant in words. Below, the after-sale cases about the vendor's
//! purchases ([`crate::services::cases::list`] scopes a vendor to them): the claim, the
//! customer's photos, and a form to accept (the amount refunded and its reference) or refuse
//! (a note) while its answer is awaited.

use super::error::PageError;
use super::layout::{shown, Layout};
use super::order_cases::{self, CaseCard};
use super::session::Viewer;
use super::view;
use crate::services::Context;
use crate::storage::accounts::{Role, Scope};
use crate::storage::dashboard::{self as queries, VendorItem};
use crate::storage::supplier_orders::SupplierOrderItem;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

pub struct Item {
    pub supplier_order_id: String,
    pub order_id: String,
    pub order_name: String,
    pub status: String,
    pub created: String,
    pub tracking: String,
    pub dropship: bool,
    pub lines: Vec<Line>,
}

/// One item of a supplier order, as the vendor buys it.
pub struct Line {
    pub title: String,
    pub quantity: i64,
    /// "Color: Red · Size: L"; empty when the store sent no words.
    pub variant: String,
    /// What the merchant pays for the item's units and its shipping, with its currency
    /// ("8.40 USD").
    pub cost: String,
    /// "2 × 4.20 USD" when more than one unit, "1 × 4.20 USD + 1.00 USD shipping" with
    /// shipping, else empty.
    pub each: String,
    /// The supplier's product page, when the mapping gives an `https` one.
    pub supplier_link: Option<String>,
    /// The supplier's product and SKU ids, for when there is no link.
    pub supplier_ref: String,
}

/// An item in the vendor's words.
pub fn line(item: &SupplierOrderItem) -> Line {
    let shipping = item.shipping_minor.unwrap_or(0);
    Line {
        title: item
            .line_title
            .clone()
            .unwrap_or_else(|| "(line no longer in the order)".into()),
        quantity: item.quantity,
        variant: dropflow_core::variant::in_words(&item.variant_words),
        cost: view::money(
            item.unit_cost_minor
                .saturating_mul(item.quantity)
                .saturating_add(shipping),
            &item.currency,
        ),
        each: match (item.quantity > 1, item.shipping_minor) {
            (true, None) => format!(
                "{} × {}",
                item.quantity,
                view::money(item.unit_cost_minor, &item.currency)
            ),
            (_, Some(s)) => format!(
                "{} × {} + {} shipping",
                item.quantity,
                view::money(item.unit_cost_minor, &item.currency),
                view::money(s, &item.currency)
            ),
            (false, None) => String::new(),
        },
        supplier_link: crate::supplier_link::shown(item.product_url.as_deref()),
        supplier_ref: format!("{} / {}", item.supplier_product_id, item.supplier_sku_id),
    }
}

#[derive(Template)]
#[template(path = "dashboard/vendor.html")]
struct VendorPage {
    layout: Layout,
    to_ship: Vec<Item>,
    shipped: Vec<Item>,
    /// Cases whose supplier side waits for the vendor's answer.
    cases_to_answer: Vec<CaseCard>,
    /// The vendor's other cases (answered, or closed), most recent first.
    cases_answered: Vec<CaseCard>,
}

/// The most cases the page lists.
const CASES_SHOWN: u32 = 100;

fn item(i: VendorItem) -> Item {
    Item {
        supplier_order_id: i.supplier_order_id,
        order_id: i.order_id,
        order_name: i.order_name,
        status: view::words(&i.status),
        created: view::time(&i.created_at),
        tracking: i.tracking.join(", "),
        dropship: i.dropship,
        lines: i.items.iter().map(line).collect(),
    }
}

pub async fn page(State(state): State<Context>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(&[Role::Vendor], "open the vendor page")?;
    let Scope::Vendor { account_id, vendor } = &viewer.caller.scope else {
        return Err(PageError::Forbidden("this page is for vendors".into()));
    };
    let to_ship = queries::vendor_queue(&state.db, account_id, vendor, &["awaiting_shipment"])
        .await?
        .into_iter()
        .map(item)
        .collect();
    let shipped = queries::vendor_queue(&state.db, account_id, vendor, &["shipped"])
        .await?
        .into_iter()
        .map(item)
        .collect();
    let cases = crate::services::cases::list(
        &state,
        &viewer.caller,
        crate::services::cases::CaseListParams {
            status: Some("all".into()),
            limit: Some(CASES_SHOWN),
            cursor: None,
        },
    )
    .await?;
    let (mut cases_to_answer, mut cases_answered) = (Vec::new(), Vec::new());
    for case in &cases.cases {
        // A vendor never sees the merchant's timeline.
        let mut card = order_cases::card(case, &[], Role::Vendor);
        card.order_link = true;
        card.credit_currency = order_cases::purchase_currency(&state, case).await?;
        if card.forms.any() {
            cases_to_answer.push(card);
        } else {
            cases_answered.push(card);
        }
    }
    let page = VendorPage {
        layout: Layout::new(&viewer, "Orders to ship", "vendor"),
        to_ship,
        shipped,
        cases_to_answer,
        cases_answered,
    };
    Ok(shown(page.render(), &viewer))
}
