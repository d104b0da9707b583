//! The HTTP surface: the REST Admin paths under `/admin/api/2025-07`, and the GraphQL one
//! under `/admin/api/2026-07` ([`super::graphql`]).
//!
//! Layers, outermost first: faults (every path), the access-token check, the leaky bucket
//! (which stamps `X-Shopify-Shop-Api-Call-Limit` on every answer it admits or throttles).

use super::state::{Admission, Refusal, Shared};
use crate::faults::FaultAnswers;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

const TOKEN_HEADER: &str = "X-Shopify-Access-Token";
const CALL_LIMIT_HEADER: &str = "X-Shopify-Shop-Api-Call-Limit";
const THROTTLED: &str =
    "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.";

#[derive(Clone)]
pub(crate) struct App {
    pub shared: Arc<Shared>,
}

/// Shopify's words for the injected faults: its JSON `errors` body for a 5xx.
pub(crate) const FAULT_ANSWERS: FaultAnswers = FaultAnswers {
    server_error: |status| {
        let body = json!({"errors": "Internal Server Error"});
        (status, Json(body)).into_response()
    },
    rate_limited: || throttled(0.2),
    // A mutation whose answer is lost may still have been carried out (a refund created):
    // with `place_despite_timeout` the sandbox does so.
    carried_out_despite_timeout: |path| path.ends_with("/graphql.json"),
};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let app = App { shared };
    let base = format!("/admin/api/{}", super::API_VERSION);
    let api = Router::new()
        .route(
            "/orders/{order_id}/fulfillment_orders.json",
            get(list_fulfillment_orders),
        )
        .route(
            "/orders/{order_id}/fulfillments.json",
            get(list_fulfillments),
        )
        .route("/fulfillments.json", post(create_fulfillment))
        .route("/shop.json", get(shop))
        .route("/orders/{order_id}/refunds.json", get(list_refunds))
        .route(
            "/orders/{order_id}/refunds/calculate.json",
            post(calculate_refund),
        )
        .route_layer(middleware::from_fn_with_state(app.clone(), bucket))
        .route_layer(middleware::from_fn_with_state(app.clone(), token));
    // GraphQL is metered inside its handler, by operation: the catalogue's operations by
    // calculated query cost (`catalogue_graphql`), `refundCreate` as before through
    // [`metered`] (sandbox choice: it shares the REST bucket, one call one drop, 429 when
    // it overflows).
    let graphql = Router::new()
        .route("/graphql.json", post(super::graphql::graphql))
        .route_layer(middleware::from_fn_with_state(app.clone(), token));
    Router::new()
        .nest(&base, api)
        .nest(
            &format!("/admin/api/{}", super::GRAPHQL_API_VERSION),
            graphql,
        )
        .fallback(not_found)
        .with_state(app)
}

/// `GET shop.json`: the shop's configuration, as in Shopify's documented example
/// (<https://shopify.dev/docs/api/admin-rest/latest/resources/shop>), with this sandbox's id
/// and domain; what dropflow reads is `myshopify_domain`.
async fn shop(State(app): State<App>) -> Response {
    let config = &app.shared.config;
    let body = json!({
        "shop": {
            "id": config.shop_id,
            "name": "Sandbox Store",
            "email": "owner@sandbox-store.test",
            "domain": config.shop_domain,
            "myshopify_domain": config.shop_domain,
            "country_code": "US",
            "currency": "USD",
            "iana_timezone": "America/New_York",
            "plan_name": "basic",
            "primary_location_id": config.location_id,
            "created_at": "2024-01-02T09:00:00-05:00",
        }
    });
    (StatusCode::OK, Json(body)).into_response()
}

fn answer(result: Result<Value, Refusal>, ok: StatusCode) -> Response {
    crate::server::json_answer(result, ok, StatusCode::UNPROCESSABLE_ENTITY)
}

fn throttled(retry_after: f64) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({ "errors": THROTTLED })),
    )
        .into_response();
    // Fractional seconds, rounded up to the millisecond so waiting that long always suffices.
    let seconds = (retry_after * 1000.0).ceil().max(1.0) / 1000.0;
    if let Ok(value) = HeaderValue::from_str(&format!("{seconds}")) {
        response.headers_mut().insert("Retry-After", value);
    }
    response
}

async fn token(State(app): State<App>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok());
    if given != Some(app.shared.config.access_token.as_str()) {
        let body = json!({
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        });
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    next.run(request).await
}

async fn bucket(State(app): State<App>, request: Request, next: Next) -> Response {
    metered(&app, next.run(request)).await
}

/// `answer` if the leaky bucket admits one more call (429 otherwise), stamped with the
/// bucket's `X-Shopify-Shop-Api-Call-Limit`.
pub(crate) async fn metered(
    app: &App,
    answer: impl std::future::Future<Output = Response>,
) -> Response {
    let size = app.shared.config.bucket_size.max(1);
    let (mut response, used) = match app.shared.admit() {
        Admission::Admitted { used } => (answer.await, used),
        Admission::Throttled { retry_after } => (throttled(retry_after), size),
    };
    if let Ok(value) = HeaderValue::from_str(&format!("{used}/{size}")) {
        response.headers_mut().insert(CALL_LIMIT_HEADER, value);
    }
    response
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"errors": "Not Found"}))).into_response()
}

async fn list_fulfillment_orders(State(app): State<App>, Path(order_id): Path<String>) -> Response {
    answer(
        app.shared.list_fulfillment_orders(&order_id),
        StatusCode::OK,
    )
}

async fn list_fulfillments(State(app): State<App>, Path(order_id): Path<String>) -> Response {
    answer(app.shared.list_fulfillments(&order_id), StatusCode::OK)
}

async fn create_fulfillment(State(app): State<App>, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        let errors = json!({"errors": {"fulfillment": "Required parameter missing or invalid"}});
        return (StatusCode::BAD_REQUEST, Json(errors)).into_response();
    };
    answer(app.shared.create_fulfillment(&body), StatusCode::CREATED)
}

async fn list_refunds(State(app): State<App>, Path(order_id): Path<String>) -> Response {
    let location_id = app.shared.config.location_id;
    answer(
        app.shared.book().list(&order_id, location_id),
        StatusCode::OK,
    )
}

async fn calculate_refund(
    State(app): State<App>,
    Path(order_id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        let errors = json!({"errors": {"refund": "Required parameter missing or invalid"}});
        return (StatusCode::BAD_REQUEST, Json(errors)).into_response();
    };
    let location_id = app.shared.config.location_id;
    answer(
        app.shared.book().calculate(&order_id, &body, location_id),
        StatusCode::OK,
    )
}
