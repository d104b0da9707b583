//! Who is acting, and what they may see.
//!
//! A caller is a signed-in dashboard user, an API token acting for its user (a token made
//! without a user, `dropflow tokens create`, acts as an owner of the default account), or the
//! installation itself: the command line, whose user holds the database file. Every
//! action checks each order, store and supplier order against the caller's scope: outside
//! it, the thing does not exist for them (404); a role that may never do the action is
//! refused (403).

use super::ActionError;
use crate::storage::accounts::{Role, Scope, User, DEFAULT_ACCOUNT};
use crate::storage::Database;
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
    pub async fn of_user(db: &Database, user: User) -> Result<Caller, ActionError> {
        Ok(Caller {
            actor: user.actor(),
            role: user.role,
            scope: user.scope(db).await?,
            user: Some(user),
        })
    }

    pub fn of_unowned_token(name: String) -> Caller {
        Caller {
            actor: name,
            user: None,
            role: Role::Owner,
            scope: Scope::Account {
                account_id: DEFAULT_ACCOUNT.to_string(),
            },
        }
    }

    /// The command line: whoever runs it holds the database itself, so it acts as an owner
    /// over every account ([`Scope::Installation`]). Never built from a request.
    pub fn installation() -> Caller {
        Caller {
            actor: "cli".into(),
            user: None,
            role: Role::Owner,
            scope: Scope::Installation,
        }
    }

    /// Refuses (403) anyone but the installation: for what only the command line may do
    /// (make users, or tokens for someone else).
    pub fn require_installation(&self, what: &str) -> Result<(), ActionError> {
        if matches!(self.scope, Scope::Installation) {
            Ok(())
        } else {
            Err(ActionError::Forbidden(format!(
                "only the command line can {what}"
            )))
        }
    }

    /// Who the audit log says acted: `user:<user id>`, `token:<name>` for a token made
    /// without a user, `installation` for the command line.
    pub fn audit_actor(&self) -> String {
        match (&self.user, &self.scope) {
            (Some(user), _) => format!("user:{}", user.id),
            (None, Scope::Installation) => "installation".into(),
            (None, _) => format!("token:{}", self.actor),
        }
    }

    pub fn account_id(&self) -> &str {
        self.scope.account_id()
    }

    /// Refuses (403) a caller whose role is not among `roles`: for things a role may never do
    /// (a vendor topping up the wallet), as opposed to things outside their scope (404).
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), ActionError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ActionError::Forbidden(format!(
                "a {} user cannot {what}",
                self.role.as_str()
            )))
        }
    }

    /// The order, if the caller may see it; otherwise 404, as if it did not exist.
    pub async fn order(&self, db: &Database, id: OrderId) -> Result<OrderId, ActionError> {
        if self.scope.sees_order(db, &id.to_string()).await? {
            Ok(id)
        } else {
            Err(ActionError::NotFound("order not found".into()))
        }
    }

    /// The store, if the caller may see it; otherwise 404.
    pub async fn store(&self, db: &Database, id: StoreId) -> Result<StoreId, ActionError> {
        if self.scope.sees_store(db, id).await? {
            Ok(id)
        } else {
            Err(ActionError::NotFound("store not found".into()))
        }
    }

    /// A store named in a path, if it is an id the caller may see; otherwise 404.
    pub async fn store_path(&self, db: &Database, text: &str) -> Result<StoreId, ActionError> {
        let not_found = || ActionError::NotFound(format!("store {text:?} not found"));
        let id: StoreId = text.parse().map_err(|_| not_found())?;
        self.store(db, id).await.map_err(|_| not_found())
    }
}
