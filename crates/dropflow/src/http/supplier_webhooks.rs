//! `POST /webhooks/cj`: CJ's pushes about our orders (protocols.md §4.7). CJ wants 200 within
//! 3 s, so this checks the `sign` header and the body's shape, queues the message as a job in
//! one short transaction and answers CJ's acknowledgement; the job applies it like a sync.

use super::error::ApiError;
use super::HttpState;
use crate::suppliers::cj::webhook::{self, CjEvent, WEBHOOK_ACK};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;

pub async fn cj(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let Some(open_id) = state.cj_open_id.as_deref() else {
        return Err(ApiError::NotFound(
            "CJ webhooks are not configured here (set [suppliers.cj] open_id)".into(),
        ));
    };
    let sign = headers
        .get("sign")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::Unauthorized("the sign header is missing".into()))?;
    if !webhook::verify_signature(open_id, &body, sign) {
        return Err(ApiError::Unauthorized(
            "the sign header does not match the body".into(),
        ));
    }
    let event = webhook::parse_webhook(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if !matches!(event, CjEvent::Ignored { .. }) {
        let text = String::from_utf8(body.to_vec())
            .map_err(|_| ApiError::BadRequest("the body is not UTF-8".into()))?;
        let mut tx = state.db.begin().await?;
        crate::storage::jobs::enqueue(
            &mut tx,
            crate::fulfilment::sync::CJ_EVENT_JOB,
            &serde_json::json!({ "body": text }),
            None,
            crate::storage::now_ms(),
        )
        .await?;
        tx.commit()
            .await
            .map_err(crate::storage::StorageError::from)?;
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        WEBHOOK_ACK,
    ))
}
