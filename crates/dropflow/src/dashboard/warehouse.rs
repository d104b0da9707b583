//! `/warehouse`: the warehouse operator's place. The warehouse works through its API
//! (`/api/v1/warehouse/…`); until its pages exist this page points there and shows no order
//! data.

use super::error::{html, PageError};
use super::layout::{clear_flash, Layout};
use super::session::Viewer;
use crate::storage::accounts::Role;
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "dashboard/warehouse.html")]
struct WarehousePage {
    layout: Layout,
}

pub async fn page(viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(&[Role::Warehouse, Role::Owner], "open the warehouse pages")?;
    let rendered = WarehousePage {
        layout: Layout::new(&viewer, "Warehouse", "warehouse"),
    }
    .render();
    let mut response = html(StatusCode::OK, rendered);
    clear_flash(&mut response, &viewer);
    Ok(response)
}
