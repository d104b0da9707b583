//! `/products?store=&out_of_stock=&show=&after=`: a store's mapped products, each offer's
//! stock and cost as mapped and as last read at its supplier, what the catalogue policy makes
//! of them (stock to publish, cost, the rule's price), and what the store shows and dropflow
//! last wrote to it (a rise held for a person is approved here). Calls
//! [`crate::services::products`], as the API does.

use super::error::PageError;
use super::layout::{redirect_with, Flash};
use super::layout::{shown, Layout};
use super::session::{Posted, Viewer};
use crate::services::products::{self as service, Product, ProductsQuery};
use crate::services::{view, ActionError, Context, MERCHANTS};
use crate::storage::dashboard as queries;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ProductsParams {
    pub store: Option<String>,
    pub out_of_stock: Option<bool>,
    /// `held` (a price rise held), `refused` (a write the store refused), `thin` (margin
    /// below 20 %).
    pub show: Option<String>,
    pub after: Option<String>,
}

/// The filters beside "out of stock everywhere": (value of `show`, label).
const SHOWS: [(&str, &str); 4] = [
    ("", "All"),
    ("held", "Price rise held"),
    ("refused", "Write refused by the store"),
    ("thin", "Margin below 20 %"),
];

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
    /// The store's side: price, stock and on sale (`—` until the store's catalogue is read).
    pub in_store: String,
    pub margin: String,
    /// What dropflow last wrote, or the store's refusal.
    pub last_write: String,
    pub refused: bool,
    /// The variant and the price minor units of a held rise, for the approve form.
    pub held: Option<(String, i64, String)>,
}

#[derive(Template)]
#[template(path = "dashboard/products.html")]
struct ProductsPage {
    layout: Layout,
    stores: Vec<Link>,
    filters: Vec<Link>,
    shows: Vec<Link>,
    store: String,
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
    let store = p.in_store.as_ref();
    let in_store = store.map_or("not read yet".to_string(), |s| {
        format!(
            "{} · {} · {}",
            view::money(s.price.minor, currency),
            s.stock
                .map_or("stock not tracked".into(), |n| format!("{n} in stock")),
            if s.published { "on sale" } else { "hidden" }
        )
    });
    let margin = store
        .and_then(|s| s.margin_bp)
        .map_or("—".to_string(), |bp| {
            format!("{:.1} %", bp as f64 / 100.0)
        });
    let last_write = store.map_or(String::new(), |s| match (&s.write_error, &s.last_write) {
        (Some(error), _) => format!("refused: {error}"),
        (None, Some(wrote)) => format!(
            "{} ({})",
            wrote_words(wrote, currency),
            s.last_write_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default()
        ),
        (None, None) => "nothing written".into(),
    });
    let held = store.and_then(|s| {
        s.held_price.map(|h| {
            (
                s.variant_id.clone(),
                h.minor,
                view::money(h.minor, currency),
            )
        })
    });
    Row {
        in_store,
        margin,
        refused: store.is_some_and(|s| s.write_error.is_some()),
        last_write,
        held,
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
    let show = params.show.clone().unwrap_or_default();
    let (rows, next) = if store.is_empty() {
        (Vec::new(), None)
    } else {
        let query = ProductsQuery {
            after: params.after.clone(),
            limit: Some(100),
            out_of_stock,
            margin_below_pct: (show == "thin").then_some(20),
            price_held: show == "held",
            write_refused: show == "refused",
        };
        let page = service::list(&state, &viewer.caller, &store, query).await?;
        let currency = page.currency.code().to_string();
        let next = page.next_after.map(|a| {
            format!("/products?store={store}&out_of_stock={out_of_stock}&show={show}&after={a}")
        });
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
        filters: [(false, "Any stock"), (true, "Out of stock everywhere")]
            .into_iter()
            .map(|(only, label)| Link {
                href: format!("/products?store={store}&out_of_stock={only}&show={show}"),
                label: label.into(),
                current: only == out_of_stock,
            })
            .collect(),
        shows: SHOWS
            .into_iter()
            .map(|(value, label)| Link {
                href: format!("/products?store={store}&out_of_stock={out_of_stock}&show={value}"),
                label: label.into(),
                current: value == show,
            })
            .collect(),
        store: store.clone(),
        rows,
        next,
    };
    Ok(shown(page.render(), &viewer))
}

/// A write as the merchant reads it: "stock 0, hidden, price 24.99".
fn wrote_words(wrote: &serde_json::Value, currency: &str) -> String {
    let mut words = Vec::new();
    if let Some(stock) = wrote.get("stock").and_then(|v| v.as_u64()) {
        words.push(format!("stock set to {stock}"));
    }
    match wrote.get("published").and_then(|v| v.as_bool()) {
        Some(true) => words.push("put on sale".to_string()),
        Some(false) => words.push("hidden".to_string()),
        None => {}
    }
    if let Some(minor) = wrote.pointer("/price/minor").and_then(|v| v.as_i64()) {
        words.push(format!("price set to {}", view::money(minor, currency)));
    }
    words.join(", ")
}

/// The products page a form returns to.
fn back_to(posted: &Posted, show: &str) -> String {
    let store = posted.field("store").unwrap_or_default();
    let store: String = store
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("/products?store={store}&show={show}")
}

/// `POST /products/approve-price` (`store`, `variant`, `price_minor`): a held rise approved.
pub async fn approve_price(
    State(state): State<Context>,
    posted: Posted,
) -> Result<Response, PageError> {
    let store = posted.field("store").unwrap_or_default();
    let variant = posted.field("variant").unwrap_or_default();
    let back = back_to(&posted, "held");
    let Some(price) = posted
        .field("price_minor")
        .and_then(|p| p.parse::<i64>().ok())
    else {
        return Ok(redirect_with(&back, Flash::error("No price was given.")));
    };
    Ok(
        match service::approve_price(&state, &posted.viewer.caller, store, variant, price).await {
            Ok(()) => redirect_with(
                &back,
                Flash::ok("Approved: the new price is written to the store at the next sync."),
            ),
            Err(ActionError::Conflict(message)) => redirect_with(&back, Flash::error(message)),
            Err(other) => return Err(other.into()),
        },
    )
}

/// `POST /products/read` (`store`): the store's catalogue read again now.
pub async fn read_catalogue(
    State(state): State<Context>,
    posted: Posted,
) -> Result<Response, PageError> {
    let store = posted.field("store").unwrap_or_default();
    let back = back_to(&posted, "");
    Ok(
        match service::read_store_catalogue(&state, &posted.viewer.caller, store).await {
            Ok(()) => redirect_with(
                &back,
                Flash::ok(
                    "Reading the store's catalogue: stock and prices are compared as it comes in.",
                ),
            ),
            Err(ActionError::Conflict(message)) => redirect_with(&back, Flash::error(message)),
            Err(other) => return Err(other.into()),
        },
    )
}
