//! The one HTTP error type. Every failure an endpoint can have maps to a status code here, and
//! the body is always `{"error": {"code": "...", "message": "..."}}`. Internal details (SQL,
//! paths) are logged, never sent.

use crate::services::ActionError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// The body is above the limit (its size in bytes; 0 when the reader did not say).
    #[error("{}", too_large(*.0))]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Unavailable(String),
    /// The database is busy (a write lock held, the pool exhausted): retry shortly.
    #[error("{0}")]
    StorageBusy(String),
    #[error("internal error")]
    Internal(String),
}

fn too_large(limit: usize) -> String {
    if limit == 0 {
        "request body is larger than the limit".to_string()
    } else {
        format!("request body is larger than the limit of {limit} bytes")
    }
}

/// The JSON error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`bad_request`, `invalid_signature`, …).
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            ApiError::Unavailable(_) | ApiError::StorageBusy(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// What a 503 asks the caller to wait, in seconds.
pub const RETRY_AFTER_SECS: &str = "5";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let storage_fault = matches!(self, ApiError::StorageBusy(_));
        if let ApiError::StorageBusy(detail) = &self {
            tracing::warn!(error = %detail, "storage busy; answered 503");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: self.to_string(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        if storage_fault {
            response
                .extensions_mut()
                .insert(super::health::StorageFault);
        }
        response
    }
}

/// The actions' refusals as HTTP answers (the one place they are mapped).
impl From<ActionError> for ApiError {
    fn from(error: ActionError) -> Self {
        match error {
            ActionError::Invalid(message) => ApiError::BadRequest(message),
            ActionError::Forbidden(message) => ApiError::Forbidden(message),
            ActionError::NotFound(message) => ApiError::NotFound(message),
            ActionError::Conflict(message) => ApiError::Conflict(message),
            ActionError::Unprocessable(message) => ApiError::Unprocessable(message),
            ActionError::TooLarge => ApiError::PayloadTooLarge(0),
            ActionError::Unavailable(message) => ApiError::Unavailable(message),
            ActionError::Busy(message) => ApiError::StorageBusy(message),
            ActionError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

/// Storage failures the HTTP surface meets outside an action (webhooks, health) answer as an
/// action's would.
impl From<crate::storage::StorageError> for ApiError {
    fn from(error: crate::storage::StorageError) -> Self {
        ActionError::from(error).into()
    }
}
