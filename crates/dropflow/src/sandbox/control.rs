//! The sandbox's control API (JSON), for the person or script driving it:
//!
//! - `GET /`: where each platform listens, the stores' credentials, the `dropflow.toml`;
//! - `POST /connect` `{"dropflow": URL, "token": API token}`: sets the two stores up in that
//!   dropflow (`super::merchant`); orders go there from now on;
//! - `POST /orders` `{"count": N, "rate": R}`: makes N orders on the stores at R per second
//!   and delivers each one's webhook, signed, to the connected dropflow; answers with them
//!   once all were taken;
//! - `GET /orders/{platform}/{id}`: the store's side of one order — what dropflow wrote back
//!   (Shopify fulfillments with tracking; WooCommerce status and notes).
//!
//! Bad input is a 422 naming the field; asking for orders before `/connect` is a 409.

use crate::demo::sandboxes::Sandboxes;
use crate::demo::traffic::{self, Stores};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most orders one `POST /orders` makes.
const MAX_ORDERS: u64 = 10_000;

/// The sandbox process's state.
pub struct Control {
    sandboxes: Sandboxes,
    dropflow_toml: String,
    time_scale: f64,
    /// The dropflow orders go to, once connected.
    connection: Mutex<Option<super::merchant::Connection>>,
    /// The next order's sequence number (order ids and names follow from it).
    next_order: AtomicU64,
    client: reqwest::Client,
}

type Shared = Arc<Control>;
type Answer = (StatusCode, Json<Value>);

impl Control {
    pub fn new(sandboxes: Sandboxes, dropflow_toml: String, time_scale: f64) -> Shared {
        Arc::new(Control {
            sandboxes,
            dropflow_toml,
            time_scale,
            connection: Mutex::new(None),
            next_order: AtomicU64::new(0),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        })
    }

    /// The sandboxes back, once the server holds no other reference.
    pub fn into_sandboxes(shared: Shared) -> Option<Sandboxes> {
        Arc::into_inner(shared).map(|control| control.sandboxes)
    }

    fn connection(&self) -> Option<super::merchant::Connection> {
        self.connection.lock().ok().and_then(|c| c.clone())
    }
}

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/connect", post(connect))
        .route("/orders", post(orders))
        .route("/orders/{platform}/{id}", get(store_order))
        .with_state(state)
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Answer {
    (status, Json(json!({ "error": message.into() })))
}

fn bad_body(rejection: JsonRejection) -> Answer {
    refuse(StatusCode::UNPROCESSABLE_ENTITY, rejection.body_text())
}

async fn index(State(control): State<Shared>) -> Json<Value> {
    let s = &control.sandboxes;
    Json(json!({
        "time_scale": control.time_scale,
        "connected_to": control.connection().map(|c| c.base_url),
        "shopify": {
            "shop_domain": dropflow_sandbox::shopify::SHOP_DOMAIN,
            "admin_url": s.shopify.base_url,
            "admin_access_token": s.shopify.access_token(),
            "webhook_secret": crate::demo::world::SHOPIFY_SECRET,
        },
        "woocommerce": {
            "site_url": dropflow_sandbox::woocommerce::SITE_URL,
            "rest_url": s.woo.base_url,
            "consumer_key": s.woo.consumer_key(),
            "consumer_secret": s.woo.consumer_secret(),
            "webhook_secret": crate::demo::world::WOO_SECRET,
        },
        "aliexpress": s.ali.base_url,
        "cj": s.cj.base_url,
        "marketplace": s.market.base_url,
        "track17": s.track.base_url,
        "dropflow_toml": control.dropflow_toml,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectInput {
    /// dropflow's base URL, e.g. `http://127.0.0.1:8080`.
    dropflow: String,
    /// An owner's API token (`dropflow tokens create`).
    token: String,
}

async fn connect(
    State(control): State<Shared>,
    input: Result<Json<ConnectInput>, JsonRejection>,
) -> Answer {
    let Json(input) = match input {
        Ok(input) => input,
        Err(rejection) => return bad_body(rejection),
    };
    let base_url = input.dropflow.trim().trim_end_matches('/').to_string();
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "dropflow: an http:// or https:// URL, e.g. http://127.0.0.1:8080",
        );
    }
    if input.token.trim().is_empty() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "token: required");
    }
    let connection = super::merchant::Connection {
        base_url,
        token: input.token.trim().to_string(),
    };
    match super::merchant::connect(&control.client, &connection, &control.sandboxes).await {
        Ok(stores) => {
            if let Ok(mut current) = control.connection.lock() {
                *current = Some(connection);
            }
            (StatusCode::OK, Json(json!({ "stores": stores })))
        }
        Err(error) => refuse(StatusCode::BAD_GATEWAY, format!("{error:#}")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrdersInput {
    count: u64,
    /// Orders per second (default 5).
    rate: Option<f64>,
}

async fn orders(
    State(control): State<Shared>,
    input: Result<Json<OrdersInput>, JsonRejection>,
) -> Answer {
    let Json(input) = match input {
        Ok(input) => input,
        Err(rejection) => return bad_body(rejection),
    };
    if input.count == 0 || input.count > MAX_ORDERS {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("count: from 1 to {MAX_ORDERS}"),
        );
    }
    let rate = input.rate.unwrap_or(5.0);
    if !(rate.is_finite() && rate > 0.0 && rate <= 1_000.0) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rate: orders per second, more than 0 and at most 1000",
        );
    }
    let Some(connection) = control.connection() else {
        return refuse(
            StatusCode::CONFLICT,
            "not connected to a dropflow yet: POST /connect first",
        );
    };
    let first = control.next_order.fetch_add(input.count, Ordering::SeqCst);
    let stores = Stores {
        shopify: &control.sandboxes.shopify,
        woo: &control.sandboxes.woo,
    };
    match traffic::send(
        &stores,
        &connection.base_url,
        &control.client,
        first..first + input.count,
        rate,
        // Orders sent on request are left as sent: the person trying it changes them.
        false,
    )
    .await
    {
        Ok(sent) => (StatusCode::OK, Json(json!({ "orders": sent }))),
        Err(error) => refuse(StatusCode::BAD_GATEWAY, format!("{error:#}")),
    }
}

async fn store_order(
    State(control): State<Shared>,
    Path((platform, id)): Path<(String, String)>,
) -> Answer {
    let Ok(id) = id.parse::<u64>() else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "id: a store order id");
    };
    let s = &control.sandboxes;
    match platform.as_str() {
        "shopify" => match s.shopify.fulfillment_order_status(id) {
            None => refuse(StatusCode::NOT_FOUND, "no such Shopify order"),
            Some(status) => {
                let fulfillments: Vec<Value> = s
                    .shopify
                    .fulfillments(id)
                    .into_iter()
                    .map(|f| {
                        json!({
                            "name": f.name,
                            "tracking_number": f.tracking_number,
                            "tracking_company": f.tracking_company,
                            "tracking_url": f.tracking_url,
                        })
                    })
                    .collect();
                (
                    StatusCode::OK,
                    Json(json!({
                        "platform": "shopify",
                        "id": id,
                        "fulfillment_order_status": status,
                        "fully_fulfilled": s.shopify.is_fully_fulfilled(id),
                        "fulfillments": fulfillments,
                    })),
                )
            }
        },
        "woocommerce" => match s.woo.order_status(id) {
            None => refuse(StatusCode::NOT_FOUND, "no such WooCommerce order"),
            Some(status) => {
                let notes: Vec<Value> = s
                    .woo
                    .notes(id)
                    .into_iter()
                    .map(|n| json!({ "note": n.note, "customer_note": n.customer_note }))
                    .collect();
                (
                    StatusCode::OK,
                    Json(json!({
                        "platform": "woocommerce",
                        "id": id,
                        "status": status,
                        "notes": notes,
                    })),
                )
            }
        },
        _ => refuse(StatusCode::NOT_FOUND, "platform: shopify or woocommerce"),
    }
}
