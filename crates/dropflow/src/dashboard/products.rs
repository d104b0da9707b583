//! `/products?store=&out_of_stock=&after=`: a store's mapped products, each offer's stock and
//! cost as mapped and as last read at its supplier, and what the catalogue policy makes of
//! them (stock to publish, cost, the rule's price). Calls [`crate::services::products`], as
//! the API does.

use super::error::PageError;
use super::layout::{shown, Layout};
use super::session::Viewer;
use crate::services::products::{self as service, Product, ProductsQuery};
use crate::services::{view, Context, MERCHANTS};
use crate::storage::dashboard as queries;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ProductsParams {
    pub store: Option<String>,
    pub out_of_stock: Option<bool>,
    pub after: Option<String>,
}

use super::layout::TabLink as Link;

/// One offer's line.
pub struct OfferLine {
    pub supplier: String,
    pub sku: String,
    pub mapped: String,
    pub read: String,
    pub read_at: String,
    pub next_read_at: String,
    pub note: String,
}

/// One product's row.
pub struct Row {
    pub key: String,
    pub title: String,
    pub stock: String,
    pub out: bool,
    pub cost: String,
    pub price: String,
    pub offers: Vec<OfferLine>,
}

#[derive(Template)]
#[template(path = "dashboard/products.html")]
struct ProductsPage {
    layout: Layout,
    stores: Vec<Link>,
    filters: Vec<Link>,
    rows: Vec<Row>,
    next: Option<String>,
}

fn when(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

fn row(p: Product, currency: &str) -> Row {
    let money = |m: Option<i64>| m.map_or("—".to_string(), |m| view::money(m, currency));
    let units = |u: Option<u32>| u.map_or("not said".to_string(), |u| u.to_string());
    Row {
        key: format!("{} {}", p.key_kind.as_str(), p.key_value),
        title: p.title.unwrap_or_default(),
        stock: units(p.offered.stock),
        out: p.offered.out_everywhere,
        cost: money(p.offered.cost.map(|c| c.minor)),
        price: money(p.offered.price.map(|c| c.minor)),
        offers: p
            .offers
            .into_iter()
            .map(|o| {
                let read = o.read.as_ref();
                let read_cost = read
                    .and_then(|r| r.unit_cost_minor.zip(r.currency.clone()))
                    .map(|(m, c)| format!(" at {}", view::money(m, &c)))
                    .unwrap_or_default();
                OfferLine {
                    supplier: format!("{}:{}", o.supplier, o.account),
                    sku: o.supplier_sku_id,
                    mapped: format!("{} at {}", units(o.mapped_stock), o.mapped_cost),
                    read: read.map_or("not read".into(), |r| {
                        format!(
                            "{}{read_cost}",
                            r.stock.map_or("not said".into(), |s| s.to_string())
                        )
                    }),
                    read_at: when(read.and_then(|r| r.read_at)),
                    next_read_at: when(read.map(|r| r.next_read_at)),
                    note: read.and_then(|r| r.note.clone()).unwrap_or_default(),
                }
            })
            .collect(),
    }
}

/// `GET /products`.
pub async fn page(
    State(state): State<Context>,
    viewer: Viewer,
    Query(params): Query<ProductsParams>,
) -> Result<Response, PageError> {
    viewer.require(MERCHANTS, "see products")?;
    let choices = queries::visible_stores(&state.db, &viewer.caller.scope).await?;
    let store = match params.store.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => text.to_string(),
        None => choices
            .first()
            .map(|c| c.id.to_string())
            .unwrap_or_default(),
    };
    let out_of_stock = params.out_of_stock.unwrap_or(false);
    let (rows, next) = if store.is_empty() {
        (Vec::new(), None)
    } else {
        let query = ProductsQuery {
            after: params.after.clone(),
            limit: Some(100),
            out_of_stock,
        };
        let page = service::list(&state, &viewer.caller, &store, query).await?;
        let currency = page.currency.code().to_string();
        let next = page
            .next_after
            .map(|a| format!("/products?store={store}&out_of_stock={out_of_stock}&after={a}"));
        (
            page.products
                .into_iter()
                .map(|p| row(p, &currency))
                .collect(),
            next,
        )
    };
    let page = ProductsPage {
        layout: Layout::new(&viewer, "Products", "products"),
        stores: choices
            .iter()
            .map(|c| Link {
                href: format!("/products?store={}&out_of_stock={out_of_stock}", c.id),
                label: c.domain.clone(),
                current: c.id.to_string() == store,
            })
            .collect(),
        filters: [(false, "All"), (true, "Out of stock everywhere")]
            .into_iter()
            .map(|(only, label)| Link {
                href: format!("/products?store={store}&out_of_stock={only}"),
                label: label.into(),
                current: only == out_of_stock,
            })
            .collect(),
        rows,
        next,
    };
    Ok(shown(page.render(), &viewer))
}
