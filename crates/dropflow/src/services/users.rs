//! The people who sign in to the dashboard: made and listed by the installation (the command
//! line), since a user's account and role are what every other scope check starts from.

use super::{ActionError, Caller, Context};
use crate::storage::accounts::{self, NewUser, NewUserError, Role, User, DEFAULT_ACCOUNT};
use crate::storage::stores;
use dropflow_core::ids::StoreId;

/// A user to make, as given.
pub struct UserRequest<'a> {
    pub email: &'a str,
    /// owner, staff, warehouse or vendor.
    pub role: &'a str,
    /// Store domains a staff user may see.
    pub store_domains: &'a [String],
    /// The manual vendor (its handle in the product mappings) a vendor user acts for.
    pub vendor: Option<&'a str>,
    /// The account by name, made if it does not exist; without it, the account of the first
    /// store given, else the default account.
    pub account: Option<&'a str>,
    pub password: &'a str,
}

pub async fn create(
    ctx: &Context,
    caller: &Caller,
    request: UserRequest<'_>,
) -> Result<User, ActionError> {
    caller.require_installation("make users")?;
    let role = Role::parse(request.role).ok_or_else(|| {
        ActionError::Unprocessable(format!(
            "unknown role {:?}: use owner, staff, warehouse or vendor",
            request.role
        ))
    })?;
    let store_ids = store_ids(ctx, request.store_domains).await?;
    let account_id = match (request.account, store_ids.first()) {
        (Some(name), _) => account_named(ctx, name).await?,
        // Staff belong to the account of the stores they are given.
        (None, Some(store)) => accounts::account_of_store(&ctx.db, *store)
            .await?
            .ok_or_else(|| ActionError::Internal("the store has no account".into()))?,
        (None, None) => DEFAULT_ACCOUNT.to_string(),
    };
    let user = accounts::create_user(
        &ctx.db,
        NewUser {
            account_id: &account_id,
            email: request.email,
            password: request.password,
            role,
            stores: &store_ids,
            vendor: request.vendor,
        },
    )
    .await
    .map_err(|e| match e {
        NewUserError::Invalid(message) => ActionError::Unprocessable(message),
        NewUserError::Storage(s) => ActionError::from(s),
    })?;
    tracing::info!(user.role = user.role.as_str(), "user created");
    Ok(user)
}

/// Every user of the installation, by e-mail.
pub async fn list(ctx: &Context, caller: &Caller) -> Result<Vec<User>, ActionError> {
    caller.require_installation("list every user")?;
    Ok(accounts::list_users(&ctx.db).await?)
}

async fn store_ids(ctx: &Context, domains: &[String]) -> Result<Vec<StoreId>, ActionError> {
    let all = stores::list(&ctx.db).await?;
    domains
        .iter()
        .map(|domain| {
            let wanted = stores::normalize_domain(domain);
            all.iter()
                .find(|s| s.domain == wanted)
                .map(|s| s.id)
                .ok_or_else(|| {
                    ActionError::NotFound(format!(
                        "no store with domain {wanted:?} (see `dropflow stores list`)"
                    ))
                })
        })
        .collect()
}

async fn account_named(ctx: &Context, name: &str) -> Result<String, ActionError> {
    if name == DEFAULT_ACCOUNT {
        return Ok(DEFAULT_ACCOUNT.to_string());
    }
    match accounts::account_by_name(&ctx.db, name).await? {
        Some(id) => Ok(id),
        None => Ok(accounts::create_account(&ctx.db, name).await?),
    }
}
