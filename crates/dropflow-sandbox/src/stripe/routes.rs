//! The HTTP surface: `POST /v1/checkout/sessions` and `GET /v1/checkout/sessions/{id}`,
//! behind the shared fault layer, then the key check.
//!
//! As Stripe does (https://docs.stripe.com/api/checkout/sessions/create,
//! https://docs.stripe.com/api/idempotent_requests, https://docs.stripe.com/api/errors):
//! - `Authorization: Bearer <secret key>` (else 401, `invalid_request_error`);
//! - a form body with bracketed keys; `mode=payment`, one inline-priced line item
//!   (`line_items[0][price_data][currency|unit_amount|product_data][name]`,
//!   `line_items[0][quantity]`), `success_url` required; a refusal is 400 with
//!   `{"error": {"type", "code", "message", "param"}}`;
//! - an amount below the smallest Checkout charge is refused `amount_too_small` (Stripe's
//!   minimum is per currency; the sandbox applies 50 minor units to every two-decimal
//!   currency and 50 yen, which is where Stripe's documented USD/EUR/GBP/JPY minimums sit);
//! - an `Idempotency-Key` keeps the first answer that reached the endpoint: the same key with
//!   the same parameters gets it again (header `Idempotent-Replayed: true`), with other
//!   parameters a 400 `idempotency_error`. Faults injected before the endpoint (5xx, 429,
//!   timeouts) keep nothing, as Stripe keeps results "only after the execution of an endpoint
//!   begins".

use super::state::{checkout_url, Kept, SessionSnapshot, Shared};
use crate::faults::FaultAnswers;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Stripe's faults in its own words: an `api_error` body for a 5xx, `rate_limit` for a 429.
pub(crate) const FAULT_ANSWERS: FaultAnswers = FaultAnswers {
    server_error: |status| {
        error(
            status,
            "api_error",
            None,
            "An unknown error occurred while processing this request.",
            None,
        )
    },
    rate_limited: || {
        let mut response = error(
            StatusCode::TOO_MANY_REQUESTS,
            "invalid_request_error",
            Some("rate_limit"),
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
            None,
        );
        response
            .headers_mut()
            .insert("Retry-After", HeaderValue::from_static("1"));
        response
    },
    carried_out_despite_timeout: |path| path == "/v1/checkout/sessions",
};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/checkout/sessions", post(create))
        .route("/v1/checkout/sessions/{id}", get(retrieve))
        .route_layer(middleware::from_fn_with_state(shared.clone(), guard))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                None,
                "Unrecognized request URL. Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
                None,
            )
        })
        .with_state(shared)
}

/// Stripe's error answer.
fn error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> Response {
    let mut detail = json!({"type": kind, "message": message});
    if let Some(code) = code {
        detail["code"] = json!(code);
        detail["doc_url"] = json!(format!(
            "https://stripe.com/docs/error-codes/{}",
            code.replace('_', "-")
        ));
    }
    if let Some(param) = param {
        detail["param"] = json!(param);
    }
    (status, Json(json!({ "error": detail }))).into_response()
}

/// The key check.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(key) if key == shared.config.secret_key => next.run(request).await,
        Some(key) => error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            &format!(
                "Invalid API Key provided: {}{}",
                key.chars().take(8).collect::<String>(),
                "*".repeat(key.len().saturating_sub(12))
            ),
            None,
        ),
        None => error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            None,
        ),
    }
}

async fn retrieve(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.session(&id) {
        Some(session) => Json(session.object()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            &format!("No such checkout.session: '{id}'"),
            Some("session"),
        ),
    }
}

async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    shared.count_create();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(key) = &key {
        if let Some(kept) = shared.kept(key) {
            if kept.params != params {
                return error(
                    StatusCode::BAD_REQUEST,
                    "idempotency_error",
                    None,
                    &format!(
                        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                    ),
                    None,
                );
            }
            shared.note_replay();
            let mut response = (
                StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK),
                Json(kept.body),
            )
                .into_response();
            response
                .headers_mut()
                .insert("Idempotent-Replayed", HeaderValue::from_static("true"));
            return response;
        }
    }
    let (status, body) = match make_session(&params, key.clone()) {
        Ok(session) => {
            let body = session.object();
            shared.add_session(session);
            (StatusCode::OK, body)
        }
        Err(refusal) => refusal,
    };
    if let Some(key) = &key {
        shared.keep(
            key,
            Kept {
                params,
                status: status.as_u16(),
                body: body.clone(),
            },
        );
    }
    if shared.take_lost_answer() {
        // Made and kept, but the answer arrives after the caller stopped listening.
        tokio::time::sleep(shared.config.lost_answer_hold).await;
    }
    (status, Json(body)).into_response()
}

type Refusal = (StatusCode, Value);

fn refusal(code: Option<&str>, message: &str, param: Option<&str>) -> Refusal {
    let mut detail = json!({"type": "invalid_request_error", "message": message});
    if let Some(code) = code {
        detail["code"] = json!(code);
    }
    if let Some(param) = param {
        detail["param"] = json!(param);
    }
    (StatusCode::BAD_REQUEST, json!({ "error": detail }))
}

/// The session a create's parameters describe, or Stripe's refusal.
fn make_session(
    params: &[(String, String)],
    key: Option<String>,
) -> Result<SessionSnapshot, Refusal> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let required = |name: &'static str| {
        get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
            refusal(
                Some("parameter_missing"),
                &format!("Missing required param: {name}."),
                Some(name),
            )
        })
    };
    let mode = required("mode")?;
    if mode != "payment" {
        return Err(refusal(
            None,
            &format!("The sandbox makes payment-mode sessions only, not {mode:?}."),
            Some("mode"),
        ));
    }
    let success_url = required("success_url")?;
    let currency = required("line_items[0][price_data][currency]")?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(refusal(
            Some("parameter_invalid_empty"),
            &format!("Invalid currency: {currency}. Stripe currently supports these currencies: usd, eur, gbp, jpy, …"),
            Some("line_items[0][price_data][currency]"),
        ));
    }
    let integer = |name: &'static str| -> Result<i64, Refusal> {
        required(name)?.parse::<i64>().map_err(|_| {
            refusal(
                Some("parameter_invalid_integer"),
                &format!("Invalid integer: {}", get(name).unwrap_or_default()),
                Some(name),
            )
        })
    };
    let unit_amount = integer("line_items[0][price_data][unit_amount]")?;
    let quantity = integer("line_items[0][quantity]")?;
    let name = required("line_items[0][price_data][product_data][name]")?;
    if unit_amount < 0 || quantity < 1 {
        return Err(refusal(
            Some("parameter_invalid_integer"),
            "This value must be greater than or equal to 1.",
            Some("line_items[0][quantity]"),
        ));
    }
    let total = unit_amount.saturating_mul(quantity);
    if total < 50 {
        return Err(refusal(
            Some("amount_too_small"),
            &format!(
                "The Checkout Session's total amount due must add up to at least 50 minor units of {currency}"
            ),
            Some("line_items[0][price_data][unit_amount]"),
        ));
    }
    if total > 99_999_999 {
        return Err(refusal(
            Some("amount_too_large"),
            "The Checkout Session's total amount due must be no more than 99999999 minor units",
            Some("line_items[0][price_data][unit_amount]"),
        ));
    }
    let metadata: BTreeMap<String, String> = params
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|rest| rest.strip_suffix(']'))
                .map(|key| (key.to_string(), v.clone()))
        })
        .collect();
    let id = format!("cs_test_a1{}", uuid::Uuid::now_v7().simple());
    debug_assert!(checkout_url(&id).starts_with("https://"));
    Ok(SessionSnapshot {
        id,
        form: params.to_vec(),
        idempotency_key: key,
        amount_total: total,
        currency: currency.to_string(),
        client_reference_id: get("client_reference_id").map(str::to_string),
        metadata,
        status: "open".into(),
        payment_status: "unpaid".into(),
        success_url: Some(success_url.to_string()),
        cancel_url: get("cancel_url").map(str::to_string),
        product_name: Some(name.to_string()),
        created: chrono::Utc::now().timestamp(),
    })
}
