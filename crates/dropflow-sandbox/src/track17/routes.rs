//! The HTTP surface: `POST /track/v2.2/register` and `POST /track/v2.2/gettrackinfo`, each
//! answering 17TRACK's envelope `{"code": 0, "data": {"accepted": […], "rejected": […]}}`.
//!
//! Layers, outermost first: faults (every path), then the `17token` check (401), then the
//! optional per-second limit (429 with `Retry-After`).
//!
//! Whole-request refusals (bad key, too many numbers, a body that is not an array) carry a
//! non-zero `code` and `data.errors[{code, message}]` — the shape of 17TRACK's v2.2 error
//! answers as far as clients seen read them; the exact shape is a guess.

use super::state::{code, parse_items, Shared, MAX_NUMBERS_PER_CALL};
use crate::faults::FaultSwitch;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::watch;

/// Where the v2.2 API lives on its host.
pub(crate) const BASE_PATH: &str = "/track/v2.2";

/// The header 17TRACK reads the API key from.
const TOKEN_HEADER: &str = "17token";

#[derive(Clone)]
pub(crate) struct App {
    pub shared: Arc<Shared>,
    pub shutdown: watch::Receiver<bool>,
}

pub(crate) fn router(app: App) -> Router {
    let api = Router::new()
        .route("/register", post(register))
        .route("/gettrackinfo", post(gettrackinfo))
        .route_layer(middleware::from_fn_with_state(app.clone(), guard));
    Router::new()
        .nest(BASE_PATH, api)
        .fallback(unknown_path)
        .layer(middleware::from_fn_with_state(app.clone(), faults))
        .with_state(app)
}

fn refusal(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"code": code, "data": {"errors": [{"code": code, "message": message}]}});
    (status, Json(body)).into_response()
}

fn too_many_requests(retry_after_secs: u64) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({"code": 429, "data": {"errors": [{"code": 429, "message": "Too Many Requests"}]}})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        response.headers_mut().insert("Retry-After", v);
    }
    response
}

/// Injects the fault switch's faults before anything else happens.
async fn faults(State(app): State<App>, request: Request, next: Next) -> Response {
    let faults = app.shared.faults.get();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if FaultSwitch::roll(faults.timeout_rate) {
        let mut shutdown = app.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(app.shared.config.timeout_hold) => {}
            _ = shutdown.changed() => {}
        }
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    if FaultSwitch::roll(faults.server_error_rate) {
        let status = match rand::random::<u8>() % 3 {
            0 => StatusCode::INTERNAL_SERVER_ERROR,
            1 => StatusCode::BAD_GATEWAY,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        let page = format!("<html><body><h1>{status}</h1></body></html>");
        return (status, page).into_response();
    }
    if FaultSwitch::roll(faults.rate_limit_rate) {
        return too_many_requests(1);
    }
    next.run(request).await
}

/// The key check, then the per-second limit.
async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok());
    if key != Some(app.shared.config.api_key.as_str()) {
        app.shared.note_unauthorized();
        return refusal(
            StatusCode::UNAUTHORIZED,
            code::INVALID_KEY,
            "Invalid access key.",
        );
    }
    if !app.shared.admit() {
        return too_many_requests(1);
    }
    next.run(request).await
}

async fn unknown_path() -> Response {
    refusal(StatusCode::NOT_FOUND, 404, "Not Found")
}

fn batch(body: &Bytes, handle: impl FnOnce(&[super::state::Item]) -> Value) -> Response {
    let items = match parse_items(body) {
        Ok(items) => items,
        Err(message) => return refusal(StatusCode::OK, code::BAD_REQUEST, &message),
    };
    if items.len() > MAX_NUMBERS_PER_CALL {
        return refusal(
            StatusCode::OK,
            code::TOO_MANY_NUMBERS,
            &format!(
                "The number of submitted items ({}) exceeds the limit of {MAX_NUMBERS_PER_CALL}.",
                items.len()
            ),
        );
    }
    Json(json!({"code": 0, "data": handle(&items)})).into_response()
}

async fn register(State(app): State<App>, body: Bytes) -> Response {
    batch(&body, |items| app.shared.register(items))
}

async fn gettrackinfo(State(app): State<App>, body: Bytes) -> Response {
    batch(&body, |items| app.shared.track_info(items))
}
