//! A user's own API tokens: make one (shown once), list them, revoke one.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::Caller;
use crate::services::Context;
use crate::storage::tokens::{self, TokenView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for ("accounting export"), 1–100 characters.
    pub name: String,
}

/// A new token: the only answer that ever contains it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub id: String,
    pub name: String,
    pub token: String,
}

/// The user a token call is about: tokens belong to users, so a token made without one (from
/// the command line) cannot manage tokens.
fn user_id(caller: &Caller) -> Result<&str, ApiError> {
    caller.user.as_ref().map(|u| u.id.as_str()).ok_or_else(|| {
        ApiError::Forbidden(
            "this token belongs to no user: make user tokens with `dropflow tokens create --user`"
                .into(),
        )
    })
}

/// Makes an API token acting as the caller (same role and stores).
#[utoipa::path(post, path = "/api/v1/tokens", request_body = NewToken, security(("bearer" = [])),
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<Context>,
    caller: Caller,
    ApiJson(input): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let user_id = user_id(&caller)?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::Unprocessable(
            "name: give 1 to 100 characters".into(),
        ));
    }
    let (id, token) = tokens::create_for(&state.db, name, Some(user_id)).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id,
            name: name.to_string(),
            token,
        }),
    ))
}

/// The caller's tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/tokens", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    Ok(Json(
        tokens::list_for_user(&state.db, user_id(&caller)?).await?,
    ))
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
    tokens::revoke(&state.db, user_id(&caller)?, &id)
        .await
        .map_err(|_| ApiError::NotFound(format!("token {id:?} not found")))?;
    Ok(StatusCode::NO_CONTENT)
}
