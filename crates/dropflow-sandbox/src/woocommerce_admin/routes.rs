//! The HTTP surface under `/wp-json/wc/v3`. Layers, outermost first: faults, then the auth
//! check (every path). The refund routes' handlers are in [`super::refund_api`], the
//! catalogue's in [`super::catalogue_api`].

use super::auth::{self, Presented, Scheme};
use super::state::{Refusal, Shared};
use crate::faults::FaultAnswers;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) const BASE_PATH: &str = "/wp-json/wc/v3";

#[derive(Clone)]
pub(crate) struct App {
    pub shared: Arc<Shared>,
}

/// WooCommerce's words for the injected faults: WordPress's HTML fatal-error page for a 5xx
/// (not the REST error shape), its REST error for a 429.
pub(crate) const FAULT_ANSWERS: FaultAnswers = FaultAnswers {
    server_error: |status| {
        let page =
            "<html><body><p>There has been a critical error on this website.</p></body></html>";
        let mut response = (status, page).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=UTF-8"),
        );
        response
    },
    rate_limited: || {
        let body = json!({"code": "rest_too_many_requests",
            "message": "Too many requests.", "data": {"status": 429}});
        let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        response
    },
    carried_out_despite_timeout: is_refunds_path,
};

/// A refund request that times out may still have been made (`Faults::place_despite_timeout`):
/// WooCommerce has no idempotency key, so this is the case a client must read back after.
fn is_refunds_path(path: &str) -> bool {
    path.strip_prefix(BASE_PATH)
        .and_then(|p| p.strip_prefix("/orders/"))
        .and_then(|p| p.strip_suffix("/refunds"))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let app = App { shared };
    let api = Router::new()
        .route(
            "/orders/{id}",
            get(get_order)
                .put(update_order)
                .post(update_order)
                .patch(update_order),
        )
        .route("/orders/{id}/notes", get(list_notes).post(add_note))
        .route(
            "/orders/{id}/refunds",
            get(super::refund_api::list).post(super::refund_api::create),
        )
        .route("/system_status", get(system_status))
        .route("/products", get(super::catalogue_api::list_products))
        .route(
            "/products/batch",
            post(super::catalogue_api::batch_products)
                .put(super::catalogue_api::batch_products)
                .patch(super::catalogue_api::batch_products),
        )
        .route(
            "/products/{id}/variations",
            get(super::catalogue_api::list_variations),
        )
        .route(
            "/products/{id}/variations/batch",
            post(super::catalogue_api::batch_variations)
                .put(super::catalogue_api::batch_variations)
                .patch(super::catalogue_api::batch_variations),
        )
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    Router::new()
        .nest(BASE_PATH, api)
        .fallback(no_route)
        .with_state(app)
}

/// `GET system_status`: the store's environment and settings, shaped as WooCommerce documents
/// it (<https://developer.woocommerce.com/docs/apis/rest-api/v2/system-status/>: environment,
/// database, active_plugins, theme, settings, security, pages); `home_url` is WordPress's
/// `home` option, without a trailing slash.
async fn system_status(State(app): State<App>) -> Response {
    let home = &app.shared.config.home_url;
    let body = json!({
        "environment": {
            "home_url": home,
            "site_url": home,
            "wc_version": "9.8.5",
            "version": "9.8.5",
            "log_directory_writable": true,
            "wp_version": "6.8.1",
            "wp_multisite": false,
            "wp_memory_limit": 268_435_456,
            "wp_debug_mode": false,
            "wp_cron": true,
            "language": "en_US",
            "server_info": "nginx",
            "php_version": "8.3.0",
        },
        "database": { "wc_database_version": "9.8.5", "database_prefix": "wp_" },
        "active_plugins": [],
        "theme": { "name": "Storefront", "version": "4.6.1" },
        "settings": {
            "api_enabled": true,
            "force_ssl": false,
            "currency": "USD",
            "currency_symbol": "&#36;",
            "currency_position": "left",
            "thousand_separator": ",",
            "decimal_separator": ".",
            "number_of_decimals": app.shared.config.price_decimals,
        },
        "security": { "secure_connection": true, "hide_errors": true },
        "pages": [],
    });
    (StatusCode::OK, Json(body)).into_response()
}

pub(crate) fn answer(result: Result<Value, Refusal>, ok: StatusCode) -> Response {
    crate::server::json_answer(result, ok, StatusCode::BAD_REQUEST)
}

pub(crate) fn json_body(body: &Bytes) -> Result<Value, Refusal> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|_| super::state::refusal(400, "rest_invalid_json", "Invalid JSON body passed."))
}

pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (auth::decode(k), auth::decode(v)),
            None => (auth::decode(p), String::new()),
        })
        .collect()
}

async fn authenticate(State(app): State<App>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    // Inside `nest` the URI lost its prefix; the signature covers the full path.
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let presented = Presented {
        method: request.method().as_str(),
        url: format!("http://{host}{path}"),
        query: query_pairs(request.uri().query()),
        authorization: request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok()),
    };
    let now = chrono::Utc::now().timestamp();
    let shared = app.shared.clone();
    let checked = auth::check(&app.shared.config, &presented, now, |nonce| {
        shared.fresh_nonce(nonce)
    });
    match checked {
        Ok(scheme) => {
            app.shared
                .count_auth(scheme == Scheme::OAuth, scheme == Scheme::Basic);
            next.run(request).await
        }
        Err(refusal) => {
            app.shared.count_auth(false, false);
            answer(Err(refusal), StatusCode::OK)
        }
    }
}

async fn no_route() -> Response {
    let body = json!({"code": "rest_no_route",
        "message": "No route was found matching the URL and request method.",
        "data": {"status": 404}});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn get_order(State(app): State<App>, Path(id): Path<String>) -> Response {
    answer(app.shared.get_order(&id), StatusCode::OK)
}

async fn update_order(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    answer(
        json_body(&body).and_then(|b| app.shared.update_order(&id, &b)),
        StatusCode::OK,
    )
}

async fn list_notes(State(app): State<App>, Path(id): Path<String>) -> Response {
    answer(app.shared.list_notes(&id), StatusCode::OK)
}

async fn add_note(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    answer(
        json_body(&body).and_then(|b| app.shared.add_note(&id, &b)),
        StatusCode::CREATED,
    )
}
