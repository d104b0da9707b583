//! What a dashboard page answers when it cannot show what was asked: an HTML page with the
//! right status (never the API's JSON), or the way to the login page.

use crate::services::ActionError;
use crate::storage::StorageError;
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No live session: to the login page.
    #[error("sign in first")]
    SignIn { htmx: bool },
    #[error("{0}")]
    BadRequest(String),
    /// The request body is above the configured limit (a logo of several MiB).
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Forbidden(String),
    /// Missing, or outside the viewer's scope: the same page either way.
    #[error("{0}")]
    NotFound(String),
    #[error("internal error")]
    Internal(String),
}

impl From<StorageError> for PageError {
    fn from(e: StorageError) -> Self {
        PageError::Internal(e.to_string())
    }
}

/// The actions' refusals as pages (the one place they are mapped).
impl From<ActionError> for PageError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound(m) => PageError::NotFound(m),
            ActionError::Forbidden(m) => PageError::Forbidden(m),
            ActionError::Internal(m) => PageError::Internal(m),
            ActionError::TooLarge => PageError::PayloadTooLarge(
                "The upload is larger than this server accepts in one request: send fewer or \
                 smaller files."
                    .into(),
            ),
            other => PageError::BadRequest(other.to_string()),
        }
    }
}

/// The error page: a minimal layout of its own, so it renders even when the viewer is
/// unknown.
#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading) = match &self {
            PageError::SignIn { htmx: true } => {
                let mut response = StatusCode::UNAUTHORIZED.into_response();
                response
                    .headers_mut()
                    .insert("hx-redirect", HeaderValue::from_static("/login"));
                return response;
            }
            PageError::SignIn { htmx: false } => return Redirect::to("/login").into_response(),
            PageError::BadRequest(_) => (StatusCode::BAD_REQUEST, "That did not work"),
            PageError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Too large"),
            PageError::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
            PageError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
            PageError::Internal(detail) => {
                tracing::error!(error = %detail, "dashboard page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
            }
        };
        // Not found says nothing about whether the thing exists elsewhere; internal details
        // are logged, never shown.
        let message = match &self {
            PageError::NotFound(_) => {
                "There is nothing here, or it is not yours to see.".to_string()
            }
            PageError::Internal(_) => "The error was logged. Try again in a moment.".to_string(),
            other => other.to_string(),
        };
        html(
            status,
            ErrorPage {
                status: status.as_u16(),
                heading,
                message: &message,
            }
            .render(),
        )
    }
}

/// An HTML response from a rendered template (a template error is a 500, logged).
pub fn html(status: StatusCode, rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            // Pages show personal data and per-session tokens: never cached, never framed.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
            headers.insert(
                "content-security-policy",
                HeaderValue::from_static(
                    "default-src 'self'; script-src 'self'; style-src 'self'; \
                     img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
                ),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "dashboard template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}
