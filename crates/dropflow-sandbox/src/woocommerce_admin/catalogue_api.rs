//! The catalogue routes — `GET products`, `GET products/{id}/variations`, `POST|PUT|PATCH
//! products/batch` and `products/{id}/variations/batch` — and the methods tests and the
//! demo seed and inspect the catalogue with. The data and what one item does are in
//! [`super::catalogue`].
//!
//! Lists (`WC_REST_CRUD_Controller::get_items`): `page` (from 1), `per_page` (1–100, default
//! 10; outside that WordPress answers 400 `rest_invalid_param`), `orderby` (`date` by
//! default; `date` and `id` sort by id, which is creation order here; `title` by name; the
//! other values WordPress accepts sort by id — sandbox choice), `order` (`desc` by default);
//! every status but trash; `X-WP-Total` and `X-WP-TotalPages` headers; a page past the end
//! is an empty list.
//!
//! Batches (`WC_REST_Controller::batch_items`): more than 100 objects in `create`, `update`
//! and `delete` together is 413 `woocommerce_rest_request_entity_too_large` ("Unable to
//! accept more than 100 items for this request.") and nothing is done. Otherwise each
//! `update` item is saved on its own and answered in order: the object as saved, or
//! `{"id": <as sent>, "error": {"code", "message", "data": {"status"}}}`. Only the keys
//! given are answered (an empty request is answered `[]`). `create` and `delete` are not
//! modelled: each of their items is answered with an error (sandbox choice).

use super::catalogue::{batch_error, CatalogueVariant, SeedProduct, Seeded};
use super::refunds::Listing;
use super::routes::{answer, json_body, query_pairs, App};
use super::state::{invalid_param, parse_id, refusal, Refusal, Shared};
use super::WooAdminSandbox;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// `woocommerce_rest_batch_items_limit`'s default.
const BATCH_LIMIT: usize = 100;

/// `orderby` values WordPress and WooCommerce accept for products.
const ORDERBY: [&str; 15] = [
    "date",
    "id",
    "include",
    "title",
    "slug",
    "modified",
    "menu_order",
    "price",
    "popularity",
    "rating",
    "relevance",
    "parent",
    "author",
    "include_slugs",
    "type",
];

/// A list request's paging and order.
struct ListQuery {
    listing: Listing,
    by_title: bool,
    descending: bool,
}

impl ListQuery {
    fn from_query(query: Option<&str>) -> Result<ListQuery, Refusal> {
        let pairs = query_pairs(query);
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let orderby = get("orderby").unwrap_or("date");
        if !ORDERBY.contains(&orderby) {
            return Err(invalid_param(
                "orderby",
                &format!("orderby is not one of {}.", ORDERBY.join(", ")),
            ));
        }
        let descending = match get("order").unwrap_or("desc") {
            "desc" => true,
            "asc" => false,
            _ => return Err(invalid_param("order", "order is not one of asc, desc.")),
        };
        Ok(ListQuery {
            listing: Listing::from_query(&pairs)?,
            by_title: orderby == "title",
            descending,
        })
    }

    /// One page of `items` (already in id order), sorted as asked, and the headers' counts.
    fn page(&self, mut items: Vec<(String, Value)>) -> (Vec<Value>, usize, usize) {
        if self.by_title {
            items.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if self.descending {
            items.reverse();
        }
        let total = items.len();
        let per_page = self.listing.per_page;
        let page = items
            .into_iter()
            .skip((self.listing.page - 1) * per_page)
            .take(per_page)
            .map(|(_, v)| v)
            .collect();
        (page, total, total.div_ceil(per_page))
    }
}

fn listed(result: Result<(Vec<Value>, usize, usize), Refusal>) -> Response {
    match result {
        Ok((items, total, pages)) => {
            let mut response = (StatusCode::OK, Json(Value::Array(items))).into_response();
            let headers = response.headers_mut();
            headers.insert("X-WP-Total", HeaderValue::from(total));
            headers.insert("X-WP-TotalPages", HeaderValue::from(pages));
            response
        }
        Err(refusal) => answer(Err(refusal), StatusCode::OK),
    }
}

impl Shared {
    fn site(&self) -> String {
        self.config.home_url.clone()
    }

    fn list_products(&self, query: &ListQuery) -> (Vec<Value>, usize, usize) {
        let site = self.site();
        let mut inner = self.lock();
        inner.catalogue.read_calls += 1;
        let catalogue = &inner.catalogue;
        let items = catalogue
            .products
            .values()
            .map(|p| (p.name.clone(), catalogue.product_json(p, &site)))
            .collect();
        query.page(items)
    }

    /// A product that is not there (or is simple) has no variations: the query finds none.
    fn list_variations(&self, product_id: &str, query: &ListQuery) -> (Vec<Value>, usize, usize) {
        let site = self.site();
        let mut inner = self.lock();
        inner.catalogue.read_calls += 1;
        let catalogue = &inner.catalogue;
        let items = parse_id(product_id)
            .and_then(|id| catalogue.products.get(&id))
            .map(|p| {
                p.variations
                    .iter()
                    .map(|v| (v.option.clone(), catalogue.variation_json(p, v, &site)))
                    .collect()
            })
            .unwrap_or_default();
        query.page(items)
    }

    /// A batch request: the limit, then each `update` item through `update`.
    fn batch(
        &self,
        body: &Value,
        mut update: impl FnMut(&mut super::catalogue::Catalogue, &Value) -> Result<Value, Refusal>,
    ) -> Result<Value, Refusal> {
        let mut inner = self.lock();
        inner.catalogue.write_calls += 1;
        let Some(request) = body.as_object() else {
            return Err(refusal(
                400,
                "rest_invalid_json",
                "Invalid JSON body passed.",
            ));
        };
        let mut lists: Vec<(&str, &Vec<Value>)> = Vec::new();
        let mut total = 0;
        for key in ["create", "update", "delete"] {
            match request.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    total += items.len();
                    if !items.is_empty() {
                        lists.push((key, items));
                    }
                }
                Some(_) => return Err(invalid_param(key, &format!("{key} is not of type array."))),
            }
        }
        if total > BATCH_LIMIT {
            return Err(refusal(
                413,
                "woocommerce_rest_request_entity_too_large",
                &format!("Unable to accept more than {BATCH_LIMIT} items for this request."),
            ));
        }
        if lists.is_empty() {
            // PHP's empty array.
            return Ok(json!([]));
        }
        let mut answer = Map::new();
        for (key, items) in lists {
            let answered = items
                .iter()
                .map(|item| {
                    let result = if key == "update" {
                        update(&mut inner.catalogue, item)
                    } else {
                        Err(refusal(
                            501,
                            "sandbox_not_modelled",
                            "The sandbox only updates products in a batch.",
                        ))
                    };
                    result.unwrap_or_else(|refused| batch_error(item, refused))
                })
                .collect();
            answer.insert(key.to_string(), Value::Array(answered));
        }
        Ok(Value::Object(answer))
    }
}

pub(crate) async fn list_products(State(app): State<App>, RawQuery(query): RawQuery) -> Response {
    listed(ListQuery::from_query(query.as_deref()).map(|q| app.shared.list_products(&q)))
}

pub(crate) async fn list_variations(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    listed(ListQuery::from_query(query.as_deref()).map(|q| app.shared.list_variations(&id, &q)))
}

pub(crate) async fn batch_products(State(app): State<App>, body: Bytes) -> Response {
    let site = app.shared.site();
    let result = json_body(&body).and_then(|body| {
        app.shared.batch(&body, |catalogue, item| {
            catalogue.update_product(item, &site)
        })
    });
    answer(result, StatusCode::OK)
}

pub(crate) async fn batch_variations(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let site = app.shared.site();
    // The route only matches digits in WooCommerce (`(?P<product_id>[\d]+)`).
    let Some(product_id) = parse_id(&id) else {
        return answer(
            Err(refusal(
                404,
                "rest_no_route",
                "No route was found matching the URL and request method.",
            )),
            StatusCode::OK,
        );
    };
    let result = json_body(&body).and_then(|body| {
        app.shared.batch(&body, |catalogue, item| {
            catalogue.update_variation(product_id, item, &site)
        })
    });
    answer(result, StatusCode::OK)
}

impl WooAdminSandbox {
    /// Registers a product (simple, or variable with its variations) with ids the sandbox
    /// chooses; answers them.
    pub fn add_product(&self, product: &SeedProduct) -> Result<Seeded, String> {
        let mut inner = self.shared.lock();
        let mut next_id = inner.next_id;
        let seeded = inner.catalogue.add(product, &mut next_id)?;
        inner.next_id = next_id;
        Ok(seeded)
    }

    /// A simple product's or a variation's stock, price and status now.
    pub fn catalogue_variant(&self, variant_id: u64) -> Option<CatalogueVariant> {
        self.shared.lock().catalogue.variant(variant_id)
    }

    /// Batch requests received (`products/batch`, `…/variations/batch`), refused ones too.
    pub fn catalogue_write_calls(&self) -> u64 {
        self.shared.lock().catalogue.write_calls
    }

    /// Lists answered (`GET products`, `GET …/variations`; not those refused for their query).
    pub fn catalogue_read_calls(&self) -> u64 {
        self.shared.lock().catalogue.read_calls
    }

    /// The merchant changes a variant's regular price in wp-admin.
    pub fn set_price_in_admin(&self, variant_id: u64, price: &str) -> Result<(), String> {
        if super::amount::Amount::parse(price).is_none() {
            return Err(format!("{price:?} is not a price"));
        }
        let price = price.trim().to_string();
        self.shared
            .lock()
            .catalogue
            .edit(variant_id, |regular_price, _, _, _| *regular_price = price)
    }

    /// The merchant sets a variant's stock in wp-admin (`None`: stops tracking it).
    pub fn set_stock_in_admin(&self, variant_id: u64, stock: Option<i64>) -> Result<(), String> {
        self.shared
            .lock()
            .catalogue
            .edit(variant_id, |_, manage, quantity, _| {
                *manage = stock.is_some();
                *quantity = stock;
            })
    }

    /// The merchant changes a variant's status (`publish`, `private`, `draft`, `pending`).
    pub fn set_status_in_admin(&self, variant_id: u64, status: &str) -> Result<(), String> {
        if !["publish", "private", "draft", "pending"].contains(&status) {
            return Err(format!("unknown status {status:?}"));
        }
        let status = status.to_string();
        self.shared
            .lock()
            .catalogue
            .edit(variant_id, |_, _, _, current| *current = status)
    }

    /// The merchant deletes a product (and its variations) for good.
    pub fn delete_product_in_admin(&self, product_id: u64) -> bool {
        self.shared
            .lock()
            .catalogue
            .products
            .remove(&product_id)
            .is_some()
    }

    /// The store's "Enable stock management" setting (WooCommerce › Settings › Products ›
    /// Inventory), on unless turned off here.
    pub fn set_stock_management(&self, on: bool) {
        self.shared.lock().catalogue.stock_management_off = !on;
    }
}
