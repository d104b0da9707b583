//! `/vendor`: a manual vendor's work — the supplier orders routed to them that wait for
//! shipping, each with a tracking form, and the ones they shipped recently.

use super::error::{html, PageError};
use super::layout::{clear_flash, Layout};
use super::session::Viewer;
use super::view;
use crate::http::AppState;
use crate::storage::accounts::{Role, Scope};
use crate::storage::dashboard::{self as queries, VendorItem};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

pub struct Item {
    pub supplier_order_id: String,
    pub order_id: String,
    pub order_name: String,
    pub status: String,
    pub created: String,
    pub tracking: String,
}

#[derive(Template)]
#[template(path = "dashboard/vendor.html")]
struct VendorPage {
    layout: Layout,
    to_ship: Vec<Item>,
    shipped: Vec<Item>,
}

fn item(i: VendorItem) -> Item {
    Item {
        supplier_order_id: i.supplier_order_id,
        order_id: i.order_id,
        order_name: i.order_name,
        status: view::words(&i.status),
        created: view::time(&i.created_at),
        tracking: i.tracking.join(", "),
    }
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
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
    let page = VendorPage {
        layout: Layout::new(&viewer, "Orders to ship", "vendor"),
        to_ship,
        shipped,
    };
    let mut response = html(StatusCode::OK, page.render());
    clear_flash(&mut response, &viewer);
    Ok(response)
}
