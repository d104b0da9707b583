//! `/`: the home page of owners and staff — orders per tab, and two charts of the last 30
//! days (orders received per day by tab, hours from supplier payment to shipment), all
//! within the viewer's scope. Other roles go on to their own landing page.

use super::charts;
use super::error::PageError;
use super::layout::{shown, Layout};
use super::session::Viewer;
use super::view;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::dashboard_stats::{self, Window};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use dropflow_core::tab::Tab;

/// How many days the charts show.
pub const CHART_DAYS: u32 = 30;

pub struct TabCount {
    pub label: &'static str,
    pub count: i64,
    pub href: String,
}

#[derive(Template)]
#[template(path = "dashboard/home.html")]
struct HomePage {
    layout: Layout,
    tabs: Vec<TabCount>,
    /// Pre-rendered, escaped SVG figures (see [`charts`]).
    orders_chart: String,
    shipping_chart: String,
}

/// `GET /`.
pub async fn page(State(state): State<Context>, viewer: Viewer) -> Result<Response, PageError> {
    if !matches!(viewer.role(), Role::Owner | Role::Staff) {
        return Ok(Redirect::to(viewer.landing()).into_response());
    }
    let scope = &viewer.caller.scope;
    let window = Window::last_days(chrono::Utc::now(), CHART_DAYS);
    let counts = crate::storage::orders::tab_counts(&state.db, scope).await?;
    let per_day = dashboard_stats::orders_per_day(&state.db, scope, window).await?;
    let shipping = dashboard_stats::shipping_times(&state.db, scope, window).await?;
    let page = HomePage {
        layout: Layout::new(&viewer, "Overview", ""),
        tabs: Tab::ALL
            .iter()
            .map(|t| TabCount {
                label: view::tab_label(*t),
                count: counts.get(t.as_str()).copied().unwrap_or(0),
                href: format!("/orders?tab={}", t.as_str()),
            })
            .collect(),
        orders_chart: charts::orders_per_day("orders-per-day", &per_day),
        shipping_chart: charts::shipping_times("payment-to-shipment", &shipping),
    };
    Ok(shown(page.render(), &viewer))
}
