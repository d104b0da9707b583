//! A user's own API tokens: adapters over [`crate::services::tokens`].

use crate::http::api::views::{each, tokens::TokenView};
use crate::http::api::{Answer, Created, Id};
use crate::http::auth::Acting;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::tokens::{self, CreatedToken, NewToken};
use axum::response::NoContent;
use axum::Json;

/// Makes an API token acting as the caller (same role and stores).
#[utoipa::path(post, path = "/api/v1/tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken)))]
pub async fn create(
    Acting(ctx, caller): Acting,
    ApiJson(input): ApiJson<NewToken>,
) -> Result<Created<CreatedToken>, ApiError> {
    Ok(Created(tokens::create(&ctx, &caller, input).await?))
}

/// The caller's tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/tokens", responses((status = 200, body = Vec<TokenView>)))]
pub async fn list(Acting(ctx, caller): Acting) -> Answer<Vec<TokenView>> {
    Ok(Json(each(tokens::list(&ctx, &caller).await?)))
}

/// Revokes one of the caller's tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}",
    params(("id" = String, Path, description = "token id")), responses((status = 204)))]
pub async fn revoke(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Result<NoContent, ApiError> {
    tokens::revoke(&ctx, &caller, &id).await?;
    Ok(NoContent)
}
