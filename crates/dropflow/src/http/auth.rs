//! Who is calling `/api/v1`, and what they may see.
//!
//! A caller authenticates with a Bearer API token. A token belongs to a user and acts with that
//! user's role and scope; a token made without a user (`dropflow tokens create`) acts as an
//! owner of the default account. Handlers check every order, store and supplier order against
//! the caller's scope: outside it, the thing does not exist for them (404).

use super::error::ApiError;
use super::AppState;
use crate::storage::accounts::{Role, Scope, User, DEFAULT_ACCOUNT};
use crate::storage::Database;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use dropflow_core::ids::{OrderId, StoreId};

/// The authenticated caller of an `/api/v1` endpoint (or a dashboard page).
#[derive(Debug, Clone)]
pub struct Caller {
    /// How the timeline records who did it: `user:<e-mail>`, or the token's name.
    pub actor: String,
    /// The user, when the caller is one (a token made without a user has none).
    pub user: Option<User>,
    pub role: Role,
    pub scope: Scope,
}

impl Caller {
    /// The caller a signed-in user is.
    pub async fn of_user(db: &Database, user: User) -> Result<Caller, ApiError> {
        Ok(Caller {
            actor: user.actor(),
            role: user.role,
            scope: user.scope(db).await?,
            user: Some(user),
        })
    }

    fn of_unowned_token(name: String) -> Caller {
        Caller {
            actor: name,
            user: None,
            role: Role::Owner,
            scope: Scope::Account {
                account_id: DEFAULT_ACCOUNT.to_string(),
            },
        }
    }

    pub fn account_id(&self) -> &str {
        self.scope.account_id()
    }

    /// Refuses (403) a caller whose role is not among `roles`: for things a role may never do
    /// (a vendor topping up the wallet), as opposed to things outside their scope (404).
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "a {} user cannot {what}",
                self.role.as_str()
            )))
        }
    }

    /// The order, if the caller may see it; otherwise 404, as if it did not exist.
    pub async fn order(&self, db: &Database, id: OrderId) -> Result<OrderId, ApiError> {
        if self.scope.sees_order(db, &id.to_string()).await? {
            Ok(id)
        } else {
            Err(ApiError::NotFound("order not found".into()))
        }
    }

    /// The store, if the caller may see it; otherwise 404.
    pub async fn store(&self, db: &Database, id: StoreId) -> Result<StoreId, ApiError> {
        if self.scope.sees_store(db, id).await? {
            Ok(id)
        } else {
            Err(ApiError::NotFound("store not found".into()))
        }
    }

    /// A store named in a path, if it is an id the caller may see; otherwise 404.
    pub async fn store_path(&self, db: &Database, text: &str) -> Result<StoreId, ApiError> {
        let not_found = || ApiError::NotFound(format!("store {text:?} not found"));
        let id: StoreId = text.parse().map_err(|_| not_found())?;
        self.store(db, id).await.map_err(|_| not_found())
    }
}

impl FromRequestParts<AppState> for Caller {
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
                Caller::of_user(&state.db, user).await
            }
        }
    }
}
