//! The API's authentication: a Bearer API token becomes the [`Caller`] the actions check.
//! A token belongs to a user and acts with that user's role and scope.

use super::error::ApiError;
use super::HttpState;
use crate::services::{Caller, Context};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

impl FromRequestParts<HttpState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, ApiError> {
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
        let invalid = || ApiError::Unauthorized("the API token is not valid or was revoked".into());
        let owner = crate::storage::tokens::authenticate(&state.db, token)
            .await?
            .ok_or_else(invalid)?;
        match owner.user_id {
            None => Ok(Caller::of_unowned_token(owner.name)),
            Some(user_id) => {
                // A disabled user's tokens stop working with them.
                let user = crate::storage::accounts::user_by_id(&state.db, &user_id)
                    .await?
                    .ok_or_else(invalid)?;
                Ok(Caller::of_user(&state.db, user).await?)
            }
        }
    }
}

/// What every acting `/api/v1` handler hands its action: the actions' [`Context`] and the
/// [`Caller`] the Bearer token names, taken together (401 without a valid token).
pub struct Acting(pub Context, pub Caller);

impl FromRequestParts<HttpState> for Acting {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(Acting(state.ctx.clone(), caller))
    }
}
