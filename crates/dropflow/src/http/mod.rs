//! The HTTP surface: store webhooks, the `/api/v1` merchant API (Bearer tokens), the OpenAPI
//! document, health and Prometheus metrics.

/// The `/api/v1` endpoints.
pub mod api;
/// Who is calling (Bearer token → user, role, scope).
pub mod auth;
/// The one error type and its JSON shape.
pub mod error;
/// Body extractors whose rejections are JSON errors.
pub mod extract;
/// `/healthz`, `/readyz`, `/metrics`.
pub mod health;
/// The OpenAPI document.
pub mod openapi;
/// `POST /webhooks/{platform}` for each store platform (`shopify`, `woocommerce`).
pub mod webhooks;
/// `POST /webhooks/cj`: what CJ pushes about our orders.
pub mod supplier_webhooks;
/// `POST /webhooks/stripe`: Stripe's payments of card top-ups.
pub mod stripe_webhook;

use crate::ingest::Ingest;
use crate::services::Context;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use std::time::Duration;

/// What the HTTP surface reaches: the actions' [`Context`] (handlers over actions extract it
/// directly), and what only the HTTP edge needs (ingest, deadlines, metrics).
#[derive(Clone)]
pub struct HttpState {
    pub ctx: Context,
    pub ingest: Ingest,
    pub metrics: Option<PrometheusHandle>,
    pub webhook_deadline: Duration,
    /// The CJ account's openId, the key of its webhook signatures; `None`: CJ webhooks are
    /// not accepted.
    pub cj_open_id: Option<String>,
    /// `[http] metrics_token`: `/metrics` wants it as a Bearer token; `None`: loopback only.
    pub metrics_token: Option<String>,
    /// Recent storage faults (lock held, pool exhausted), which `/readyz` reports.
    pub storage_health: Arc<health::StorageHealth>,
}

/// The webhook and health handlers read the context's fields (`state.db`, `state.intake`)
/// as their own.
impl std::ops::Deref for HttpState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.ctx
    }
}

impl FromRef<HttpState> for Context {
    fn from_ref(state: &HttpState) -> Context {
        state.ctx.clone()
    }
}

/// The HTTP surface's routes: `/api/v1`, the store and supplier webhooks, health and
/// metrics. [`crate::app`] merges the dashboard's pages in and hands the whole to [`finish`].
pub fn routes() -> Router<HttpState> {
    let api = Router::new()
        .route("/stores", post(api::stores::create).get(api::stores::list))
        .route(
            "/stores/{store_id}/mappings",
            axum::routing::put(api::mappings::put).get(api::mappings::list),
        )
        .route(
            "/stores/{store_id}/webhook-endpoints",
            post(api::webhook_endpoints::create).get(api::webhook_endpoints::list),
        )
        .route(
            "/stores/{store_id}/webhook-endpoints/{id}",
            axum::routing::delete(api::webhook_endpoints::delete),
        )
        .route(
            "/stores/{store_id}/webhook-endpoints/{id}/replay",
            post(api::webhook_endpoints::replay),
        )
        .route("/stores/{store_id}/wallet", get(api::wallet::show))
        .route(
            "/stores/{store_id}/wallet/top-ups",
            post(api::wallet::top_up),
        )
        .route(
            "/stores/{store_id}/wallet/entries",
            get(api::wallet::entries),
        )
        .route("/orders", get(api::orders::list))
        .route("/orders/counts", get(api::orders::counts))
        .route("/orders/{id}", get(api::orders::show))
        .route("/orders/{id}/holds", post(api::orders::place_hold))
        .route("/orders/{id}/route", post(api::orders::reroute))
        .route("/orders/place", post(api::procurement::bulk_place))
        .route("/orders/pay", post(api::procurement::bulk_pay))
        .route("/orders/{id}/place", post(api::procurement::place))
        .route("/orders/{id}/pay", post(api::procurement::pay))
        .route("/orders/{id}/refresh", post(api::procurement::refresh))
        .route("/orders/{id}/parcels", get(api::procurement::parcels_of))
        .route("/supplier-orders/{id}/ship", post(api::procurement::ship))
        .route("/supplier-orders/{id}/link", post(api::flags::link))
        .route(
            "/supplier-orders/{id}/buy-again",
            post(api::flags::buy_again),
        )
        .route("/orders/{id}/flags", get(api::flags::list))
        .route(
            "/orders/{id}/flags/{flag}/replace-difference",
            post(api::replace_difference::replace),
        )
        .route(
            "/orders/{id}/flags/{flag}/resolve",
            post(api::flags::resolve),
        )
        .route(
            "/supplier-orders/{id}/deliver",
            post(api::procurement::deliver),
        )
        .route(
            "/stores/{store_id}/settings",
            get(api::settings::show).put(api::settings::put),
        )
        .route(
            "/stores/{store_id}/admin",
            axum::routing::put(api::settings::put_admin),
        )
        .route(
            "/stores/{store_id}/return-address",
            get(api::settings::return_address).put(api::settings::put_return_address),
        )
        .route(
            "/stores/{store_id}/catalogue-policy",
            get(api::settings::catalogue_policy).put(api::settings::put_catalogue_policy),
        )
        .route(
            "/fx-rates",
            get(api::fx_rates::list).put(api::fx_rates::put),
        )
        .route("/fx-rates/ecb", post(api::fx_rates::import_ecb))
        .route(
            "/orders/{id}/supplier-orders",
            get(api::orders::supplier_orders),
        )
        .route(
            "/orders/{id}/holds/{reason}/release",
            post(api::orders::release_hold),
        )
        .route("/receipts/{id}", get(api::orders::receipt))
        .route("/tokens", post(api::tokens::create).get(api::tokens::list))
        .route("/tokens/{id}", axum::routing::delete(api::tokens::revoke))
        .route("/jobs", get(api::jobs::list))
        .route("/jobs/{id}/retry", post(api::jobs::retry))
        .route("/openapi.json", get(openapi::document))
        .merge(api::warehouse::routes())
        .merge(api::cases::routes())
        .merge(api::evidence::routes())
        .merge(api::profit::routes())
        .merge(api::products::routes())
        .merge(api::top_ups::routes())
        .merge(api::vendor_payouts::routes())
        .merge(api::vendor_stock::routes())
        .merge(api::exports::routes())
        .merge(api::audit::routes());
    Router::new()
        .nest("/api/v1", api)
        .merge(webhooks::routes())
        .route("/webhooks/cj", post(supplier_webhooks::cj))
        .route("/webhooks/stripe", post(stripe_webhook::stripe))
        .merge(probes())
}

/// What every process answers, a `worker` only these: `/healthz`, `/readyz`, `/metrics`.
pub fn probes() -> Router<HttpState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
}

/// Everything the process serves (`routes` and the dashboard's pages), with what every
/// answer gets: a JSON 404/405 for unknown addresses, the body limit, storage-fault
/// accounting, panics as 500s, and the security headers.
pub fn finish(routes: Router<HttpState>, state: HttpState, body_limit: usize) -> Router {
    routes
        .fallback(|| async { error::ApiError::NotFound("no such endpoint".into()) })
        .method_not_allowed_fallback(|| async {
            error::ApiError::MethodNotAllowed("this endpoint does not accept that method".into())
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            health::record_faults,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::Extension(extract::BodyLimit(body_limit)))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// On every answer, errors and panics included: browsers must not guess a content type
/// (`nosniff`: a JSON error is never run as script or styles), and no page's address is sent
/// to other sites (`no-referrer`: dashboard URLs carry order ids and filters).
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
