//! The people of a test installation: users made straight in storage, every one with
//! [`PASSWORD`] so that any of them can sign in, and API tokens acting as them.

use super::TestApp;
use dropflow::storage::accounts::{self, NewUser, Role, User};
use dropflow_core::ids::StoreId;

/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery";

/// A user of `account` with `role` (Staff see `stores`; a Vendor acts for `vendor`).
pub async fn add_user(
    app: &TestApp,
    account: &str,
    email: &str,
    role: Role,
    stores: &[StoreId],
    vendor: Option<&str>,
) -> User {
    accounts::create_user(
        &app.db,
        NewUser {
            account_id: account,
            email,
            password: PASSWORD,
            role,
            stores,
            vendor,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("create user {email}: {e}"))
}

/// An owner of the default account (no token: they sign in with [`PASSWORD`]).
pub async fn add_owner(app: &TestApp, email: &str) -> User {
    add_member(app, email, Role::Owner, &[]).await
}

/// A new API token acting as `user` (named after their e-mail).
pub async fn token_for(app: &TestApp, user: &User) -> String {
    let (_, token) = dropflow::storage::tokens::create_for(&app.db, &user.email, Some(&user.id))
        .await
        .expect("create a user token");
    token
}

/// A user of `account` with `role` and an API token made for them; the token.
pub async fn user_token(
    app: &TestApp,
    account: &str,
    email: &str,
    role: Role,
    stores: &[StoreId],
) -> String {
    let user = add_user(app, account, email, role, stores, None).await;
    token_for(app, &user).await
}

/// A user of the default account with `role` (Staff see `stores`), who signs in with
/// [`PASSWORD`].
pub async fn add_member(app: &TestApp, email: &str, role: Role, stores: &[StoreId]) -> User {
    add_user(app, accounts::DEFAULT_ACCOUNT, email, role, stores, None).await
}

/// A user of the default account with `role` and an API token made for them; the token.
pub async fn member_token(app: &TestApp, email: &str, role: Role, stores: &[StoreId]) -> String {
    let user = add_member(app, email, role, stores).await;
    token_for(app, &user).await
}

/// A new merchant account named `name`; its id.
pub async fn new_account(app: &TestApp, name: &str) -> String {
    accounts::create_account(&app.db, name)
        .await
        .unwrap_or_else(|e| panic!("create account {name}: {e}"))
}

/// A vendor user of the default account acting for `vendor` (signs in with [`PASSWORD`]).
pub async fn add_vendor(app: &TestApp, email: &str, vendor: &str) -> User {
    let account = accounts::DEFAULT_ACCOUNT;
    add_user(app, account, email, Role::Vendor, &[], Some(vendor)).await
}

/// A vendor user of the default account acting for `vendor`, and their API token.
pub async fn vendor_token(app: &TestApp, email: &str, vendor: &str) -> String {
    let user = add_vendor(app, email, vendor).await;
    token_for(app, &user).await
}
