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
use crate::faults::FaultAnswers;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

/// Where the v2.2 API lives on its host.
pub(crate) const BASE_PATH: &str = "/track/v2.2";

/// The header 17TRACK reads the API key from.
const TOKEN_HEADER: &str = "17token";

#[derive(Clone)]
pub(crate) struct App {
    pub shared: Arc<Shared>,
}

/// 17TRACK's words for the injected faults: a bare HTML page for a 5xx.
pub(crate) const FAULT_ANSWERS: FaultAnswers = FaultAnswers {
    server_error: crate::faults::html_error_page,
    rate_limited: || too_many_requests(1),
    carried_out_despite_timeout: crate::faults::never,
};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let app = App { shared };
    let api = Router::new()
        .route("/register", post(register))
        .route("/gettrackinfo", post(gettrackinfo))
        .route_layer(middleware::from_fn_with_state(app.clone(), guard));
    Router::new()
        .nest(BASE_PATH, api)
        .fallback(unknown_path)
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
