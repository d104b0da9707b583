use super::error::ApiError;
use super::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The authenticated caller of an `/api/v1` endpoint: the name of their API token, which is
/// what the timeline records as the actor.
pub struct Merchant(pub String);

impl FromRequestParts<AppState> for Merchant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::Unauthorized("missing Authorization: Bearer <token> header".into())
            })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("Authorization header must be \"Bearer <token>\"".into())
            })?;
        match crate::storage::tokens::authenticate(&state.db, token).await? {
            Some(name) => Ok(Merchant(name)),
            None => Err(ApiError::Unauthorized(
                "the API token is not valid or was revoked".into(),
            )),
        }
    }
}
