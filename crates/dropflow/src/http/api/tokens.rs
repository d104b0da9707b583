//! A user's own API tokens: adapters over [`crate::services::tokens`].

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::tokens::{self, CreatedToken, NewToken};
use crate::services::{Caller, Context};
use crate::storage::tokens::TokenView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

/// Makes an API token acting as the caller (same role and stores).
#[utoipa::path(post, path = "/api/v1/tokens", request_body = NewToken, security(("bearer" = [])),
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<Context>,
    caller: Caller,
    ApiJson(input): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let created = tokens::create(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The caller's tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/tokens", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    Ok(Json(tokens::list(&state, &caller).await?))
}

/// Revokes one of the caller's tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "token id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    tokens::revoke(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
