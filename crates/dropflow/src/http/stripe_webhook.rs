//! `POST /webhooks/stripe`: Stripe's events about card top-ups
//! ([`crate::payments::stripe::webhook`] checks and applies them). Answers: 404 when
//! `[payments.stripe]` is not set; 400 for a missing or unreadable `Stripe-Signature` or a
//! body that is no event; 401 for a signature that does not match or is too old; 200 with
//! `{"received": true, "status": credited | already_settled | refused | failed | ignored}` for every
//! event taken (Stripe retries anything else); 503 when the storage is busy, so Stripe
//! retries.

use super::error::ApiError;
use super::HttpState;
use crate::payments::stripe::webhook::{self, NoticeError, Outcome};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};

/// The header Stripe signs its deliveries with.
pub const SIGNATURE_HEADER: &str = "stripe-signature";

pub async fn stripe(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Some(stripe) = state.payments.stripe() else {
        return Err(ApiError::NotFound(
            "Stripe webhooks are not configured here (set [payments.stripe])".into(),
        ));
    };
    let header =
        match headers.get(SIGNATURE_HEADER) {
            Some(value) => Some(value.to_str().map_err(|_| {
                ApiError::BadRequest("the Stripe-Signature header is not text".into())
            })?),
            None => None,
        };
    let now = chrono::Utc::now().timestamp();
    let outcome = webhook::receive(&state.db, stripe.config(), header, &body, now)
        .await
        .map_err(|error| match error {
            NoticeError::Signature(e) if e.is_malformed() => ApiError::BadRequest(e.to_string()),
            NoticeError::Signature(e) => ApiError::Unauthorized(e.to_string()),
            NoticeError::Body(message) => ApiError::BadRequest(message),
            NoticeError::Storage(e) => e.into(),
            NoticeError::Ledger(e) => ApiError::Internal(e.to_string()),
        })?;
    let mut answer = json!({ "received": true, "status": outcome.status() });
    match &outcome {
        Outcome::Credited { top_up_id, .. }
        | Outcome::AlreadySettled { top_up_id, .. }
        | Outcome::Refused { top_up_id, .. }
        | Outcome::Failed { top_up_id, .. } => answer["top_up_id"] = json!(top_up_id),
        Outcome::Ignored(_) => {}
    }
    match outcome {
        Outcome::Refused { problem, .. } => answer["reason"] = json!(problem),
        Outcome::Failed { reason, .. } => answer["reason"] = json!(reason),
        Outcome::Ignored(reason) => answer["reason"] = json!(reason),
        Outcome::Credited { .. } | Outcome::AlreadySettled { .. } => {}
    }
    Ok(Json(answer))
}
