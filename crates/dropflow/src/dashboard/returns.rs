//! `/returns?status=open|closed|all`: the Returns tab. Every after-sale case the viewer may
//! see, newest first, with the counts per state and per resolution, what is left to do, the
//! money of each case and a link to its order. An adapter over
//! [`crate::services::cases::list`]: the same scope, the same refusals.

use super::error::PageError;
use super::layout::{shown, Layout};
use super::session::Viewer;
use super::view;
use crate::services::cases::{self, CaseListParams, CaseView};
use crate::services::Context;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

/// Cases per page.
const PAGE_SIZE: u32 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct ReturnsParams {
    pub status: Option<String>,
    pub cursor: Option<String>,
}

/// One tab of the page: open, closed, all.
pub struct StatusTab {
    pub href: String,
    pub label: String,
    pub current: bool,
}

pub struct CaseRow {
    pub order_id: String,
    pub reason: String,
    pub resolution: String,
    pub lines: String,
    pub customer: String,
    pub goods_back: String,
    pub supplier: String,
    pub next: String,
    pub refunded: String,
    pub net_loss: String,
    pub opened: String,
    pub opened_by: String,
}

#[derive(Template)]
#[template(path = "dashboard/returns.html")]
struct ReturnsPage {
    layout: Layout,
    tabs: Vec<StatusTab>,
    by_resolution: Vec<(String, i64)>,
    cases: Vec<CaseRow>,
    next_page: Option<String>,
}

/// `GET /returns`.
pub async fn page(
    State(ctx): State<Context>,
    viewer: Viewer,
    Query(params): Query<ReturnsParams>,
) -> Result<Response, PageError> {
    let status = params.status.unwrap_or_else(|| "open".into());
    let page = cases::list(
        &ctx,
        &viewer.caller,
        CaseListParams {
            status: Some(status.clone()),
            limit: Some(PAGE_SIZE),
            cursor: params.cursor,
        },
    )
    .await?;
    let counts = &page.counts;
    let tabs = [
        ("open", "Open", counts.open),
        ("closed", "Closed", counts.closed),
        ("all", "All", counts.open + counts.closed),
    ]
    .into_iter()
    .map(|(key, label, n)| StatusTab {
        href: format!("/returns?status={key}"),
        label: format!("{label} ({n})"),
        current: key == status,
    })
    .collect();
    let by_resolution = counts
        .open_by_resolution
        .iter()
        .map(|(kind, n)| (view::words(kind), *n))
        .collect();
    let next_page = page
        .next_cursor
        .as_ref()
        .map(|c| format!("/returns?status={status}&cursor={c}"));
    let page = ReturnsPage {
        layout: Layout::new(&viewer, "Returns", "returns"),
        tabs,
        by_resolution,
        cases: page.cases.iter().map(row).collect(),
        next_page,
    };
    Ok(shown(page.render(), &viewer))
}

fn row(case: &CaseView) -> CaseRow {
    let state = |part: &serde_json::Value| view::words(part["state"].as_str().unwrap_or("unknown"));
    CaseRow {
        order_id: case.order_id.clone(),
        reason: view::words(&case.reason),
        resolution: view::words(&case.resolution),
        lines: case
            .lines
            .iter()
            .map(|l| format!("{} × {}", l.quantity, l.title))
            .collect::<Vec<_>>()
            .join(", "),
        customer: state(&case.customer),
        goods_back: state(&case.return_leg),
        supplier: state(&case.supplier),
        next: next_words(case),
        refunded: format!("{} {}", case.money.refunded, case.currency),
        net_loss: format!("{} {}", case.money.net_loss, case.currency),
        opened: view::time(&case.created_at),
        opened_by: case.opened_by.clone(),
    }
}

/// What is left to do on a case, in words: `closed`, `ready to close`, or its next steps.
pub(super) fn next_words(case: &CaseView) -> String {
    if case.closed_at.is_some() {
        "closed".into()
    } else if case.next_steps.is_empty() {
        "ready to close".into()
    } else {
        case.next_steps
            .iter()
            .map(|s| view::words(s))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
