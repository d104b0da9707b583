//! A user's own API tokens: make one (shown once), list them, revoke one.

use super::{ActionError, Caller, Context};
use crate::storage::tokens::{self, TokenView};
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
fn user_id(caller: &Caller) -> Result<&str, ActionError> {
    caller.user.as_ref().map(|u| u.id.as_str()).ok_or_else(|| {
        ActionError::Forbidden(
            "this token belongs to no user: make user tokens with `dropflow tokens create --user`"
                .into(),
        )
    })
}

/// Makes an API token acting as the caller (same role and stores).
pub async fn create(
    ctx: &Context,
    caller: &Caller,
    input: NewToken,
) -> Result<CreatedToken, ActionError> {
    let user_id = user_id(caller)?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ActionError::Unprocessable(
            "name: give 1 to 100 characters".into(),
        ));
    }
    let (id, token) = tokens::create_for(&ctx.db, name, Some(user_id)).await?;
    Ok(CreatedToken {
        id,
        name: name.to_string(),
        token,
    })
}

/// The caller's tokens (never the tokens themselves).
pub async fn list(ctx: &Context, caller: &Caller) -> Result<Vec<TokenView>, ActionError> {
    Ok(tokens::list_for_user(&ctx.db, user_id(caller)?).await?)
}

/// Revokes one of the caller's tokens; it stops working at once.
pub async fn revoke(ctx: &Context, caller: &Caller, id: &str) -> Result<(), ActionError> {
    tokens::revoke(&ctx.db, user_id(caller)?, id)
        .await
        .map_err(|_| ActionError::NotFound(format!("token {id:?} not found")))
}

/// Makes a token from the command line: acting as the user with this e-mail (their role and
/// stores), or, without one, as an owner of the default account.
pub async fn issue(
    ctx: &Context,
    caller: &Caller,
    name: &str,
    user_email: Option<&str>,
) -> Result<CreatedToken, ActionError> {
    caller.require_installation("make tokens for another user")?;
    let user_id = match user_email {
        Some(email) => Some(
            crate::storage::accounts::user_by_email(&ctx.db, email)
                .await?
                .ok_or_else(|| ActionError::NotFound(format!("no user with e-mail {email:?}")))?
                .id,
        ),
        None => None,
    };
    let (id, token) = tokens::create_for(&ctx.db, name, user_id.as_deref()).await?;
    Ok(CreatedToken {
        id,
        name: name.to_string(),
        token,
    })
}
