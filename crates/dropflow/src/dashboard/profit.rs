//! Profit on the pages: the block on an order's page (its figures, or the costs still
//! missing), and `/profit?store=&by=&from=&to=`, a store's profit per day, product, supplier
//! or store as a chart with the data table beside it, and its CSV (`/profit.csv`, the API's
//! own lines). Both call [`crate::services::profit`], as the API does.

use super::charts::{self, ProfitBar};
use super::error::PageError;
use super::layout::{shown, Layout};
use super::session::Viewer;
use crate::services::profit::{self as service, By, OrderFigure, ReportQuery, ReportRow};
use crate::services::{view, Caller, Context, MERCHANTS};
use crate::storage::dashboard as queries;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use dropflow_core::ids::OrderId;
use dropflow_core::profit::{CostKind, OrderProfit};
use serde::Deserialize;

/// The order page's profit block.
pub struct ProfitBlock {
    pub complete: bool,
    /// (what, amount) lines: revenue, taxes kept apart, each cost.
    pub lines: Vec<(String, String)>,
    pub profit: String,
    /// Sentences naming each missing cost.
    pub missing: Vec<String>,
}

fn cost_label(kind: CostKind) -> &'static str {
    match kind {
        CostKind::Supplier => "Supplier goods and shipping",
        CostKind::Warehouse => "Warehouse fees",
        CostKind::PaymentFee => "Payment fee",
        CostKind::Refund => "Refunds",
        CostKind::Chargeback => "Chargebacks",
        CostKind::Vendor => "Vendor earnings",
    }
}

impl ProfitBlock {
    fn of(figure: &OrderFigure) -> ProfitBlock {
        let money = |minor: i64| view::money(minor, figure.currency.code());
        match &figure.outcome {
            OrderProfit::Complete(p) => {
                let mut lines = vec![
                    ("Revenue".to_string(), money(p.revenue)),
                    ("Taxes (kept apart)".to_string(), money(p.taxes)),
                ];
                lines.extend(
                    p.costs
                        .iter()
                        .filter(|(_, v)| **v != 0)
                        .map(|(k, v)| (cost_label(*k).to_string(), money(-v))),
                );
                ProfitBlock {
                    complete: true,
                    lines,
                    profit: money(p.profit),
                    missing: Vec::new(),
                }
            }
            OrderProfit::Incomplete { missing } => ProfitBlock {
                complete: false,
                lines: vec![("Charged".to_string(), money(figure.charged))],
                profit: String::new(),
                missing: missing.iter().map(ToString::to_string).collect(),
            },
        }
    }
}

/// The block for `order`, for owners and staff (others see none).
pub async fn block(
    state: &Context,
    caller: &Caller,
    order: OrderId,
) -> Result<Option<ProfitBlock>, PageError> {
    if !MERCHANTS.contains(&caller.role) {
        return Ok(None);
    }
    let figure = service::order(state, caller, &order.to_string()).await?;
    Ok(Some(ProfitBlock::of(&figure)))
}

#[derive(Debug, Default, Deserialize)]
pub struct ProfitParams {
    pub store: Option<String>,
    pub by: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

use super::layout::TabLink as Link;

pub struct Row {
    pub label: String,
    pub currency: String,
    pub orders: u64,
    pub incomplete: u64,
    pub revenue: String,
    pub costs: String,
    pub profit: String,
}

#[derive(Template)]
#[template(path = "dashboard/profit.html")]
struct ProfitPage {
    layout: Layout,
    stores: Vec<Link>,
    groupings: Vec<Link>,
    store_id: String,
    by: &'static str,
    from: String,
    to: String,
    /// One chart per currency.
    charts: Vec<String>,
    rows: Vec<Row>,
    csv: String,
}

fn query_string(store: &str, by: &str, from: &str, to: &str) -> String {
    let mut q = format!("store={store}&by={by}");
    for (name, value) in [("from", from), ("to", to)] {
        if !value.is_empty() {
            q.push_str(&format!("&{name}={value}"));
        }
    }
    q
}

/// The store asked for (404 outside the scope) or the first the viewer sees, and the report.
async fn report_of(
    state: &Context,
    viewer: &Viewer,
    params: &ProfitParams,
) -> Result<(String, ReportQuery, Vec<ReportRow>), PageError> {
    viewer.require(MERCHANTS, "see profit")?;
    let query = ReportQuery::parse(
        params.by.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
    )?;
    let store = match params.store.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => text.to_string(),
        None => match queries::visible_stores(&state.db, &viewer.caller.scope)
            .await?
            .first()
        {
            Some(c) => c.id.to_string(),
            None => return Ok((String::new(), query, Vec::new())),
        },
    };
    let rows = service::report(state, &viewer.caller, &store, &query).await?;
    Ok((store, query, rows))
}

/// `GET /profit`.
pub async fn page(
    State(state): State<Context>,
    viewer: Viewer,
    Query(params): Query<ProfitParams>,
) -> Result<Response, PageError> {
    let (store, query, rows) = report_of(&state, &viewer, &params).await?;
    let from = query.from.map(|d| d.to_string()).unwrap_or_default();
    let to = query.to.map(|d| d.to_string()).unwrap_or_default();
    let choices = queries::visible_stores(&state.db, &viewer.caller.scope).await?;
    let mut currencies: Vec<String> = rows
        .iter()
        .map(|r| r.totals.currency.code().to_string())
        .collect();
    currencies.dedup();
    let charts = currencies
        .iter()
        .map(|currency| {
            let bars: Vec<ProfitBar> = rows
                .iter()
                .filter(|r| r.totals.currency.code() == currency)
                .map(|r| ProfitBar {
                    label: r.label.clone(),
                    minor: r.totals.profit,
                })
                .collect();
            charts::profit_bars(&format!("profit-{currency}"), currency, &bars)
        })
        .collect();
    let page = ProfitPage {
        layout: Layout::new(&viewer, "Profit", "profit"),
        stores: choices
            .iter()
            .map(|c| Link {
                href: format!(
                    "/profit?{}",
                    query_string(&c.id.to_string(), query.by.as_str(), &from, &to)
                ),
                label: c.domain.clone(),
                current: c.id.to_string() == store,
            })
            .collect(),
        groupings: [By::Day, By::Product, By::Supplier, By::Store]
            .into_iter()
            .map(|by| Link {
                href: format!("/profit?{}", query_string(&store, by.as_str(), &from, &to)),
                label: view::words(by.as_str()),
                current: by == query.by,
            })
            .collect(),
        csv: format!(
            "/profit.csv?{}",
            query_string(&store, query.by.as_str(), &from, &to)
        ),
        store_id: store,
        by: query.by.as_str(),
        from,
        to,
        charts,
        rows: rows
            .iter()
            .map(|r| {
                let t = &r.totals;
                let money = |minor| view::money(minor, t.currency.code());
                Row {
                    label: r.label.clone(),
                    currency: t.currency.code().to_string(),
                    orders: t.orders,
                    incomplete: t.incomplete,
                    revenue: money(t.revenue),
                    costs: money(t.cost_total),
                    profit: money(t.profit),
                }
            })
            .collect(),
    };
    Ok(shown(page.render(), &viewer))
}

/// `GET /profit.csv`: the API's CSV for the signed-in merchant.
pub async fn csv(
    State(state): State<Context>,
    viewer: Viewer,
    Query(params): Query<ProfitParams>,
) -> Result<Response, PageError> {
    let (_, query, rows) = report_of(&state, &viewer, &params).await?;
    Ok(service::csv_response(query.by, rows))
}
