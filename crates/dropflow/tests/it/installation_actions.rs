//! The actions only the installation (the command line) may take: making users and tokens
//! for someone else. Called here as the action layer is called by `dropflow users` and
//! `dropflow tokens`, and by a signed-in owner, who is refused.

use crate::support::*;
use dropflow::services::{self, ActionError, Caller, Context};
use dropflow::storage::accounts;

fn context(app: &TestApp) -> Context {
    let config = dropflow::config::Config::default();
    dropflow::app::context(
        &config,
        &app.db,
        config.follow.cadence(),
        dropflow::suppliers::Suppliers::default(),
    )
}

fn owner_request<'a>(email: &'a str, stores: &'a [String]) -> services::users::UserRequest<'a> {
    services::users::UserRequest {
        email,
        role: "owner",
        store_domains: stores,
        vendor: None,
        account: None,
        password: "a long enough password",
    }
}

#[tokio::test]
async fn only_the_installation_makes_users_and_tokens_for_others() {
    let app = TestApp::spawn().await;
    let ctx = context(&app);
    let installation = Caller::installation();

    let owner = services::users::create(&ctx, &installation, owner_request("o@a.test", &[]))
        .await
        .expect("the installation makes an owner");
    assert_eq!(owner.account_id, accounts::DEFAULT_ACCOUNT);
    let owner = Caller::of_user(&app.db, owner).await.expect("owner caller");

    // A signed-in owner is refused each installation action, and nothing is written.
    let refused = services::users::create(&ctx, &owner, owner_request("x@a.test", &[])).await;
    assert!(
        matches!(refused, Err(ActionError::Forbidden(_))),
        "{refused:?}"
    );
    let refused = services::users::list(&ctx, &owner).await;
    assert!(
        matches!(refused, Err(ActionError::Forbidden(_))),
        "{refused:?}"
    );
    let refused = services::tokens::issue(&ctx, &owner, "for o", Some("o@a.test")).await;
    assert!(
        matches!(refused, Err(ActionError::Forbidden(_))),
        "{refused:?}"
    );
    let users = services::users::list(&ctx, &installation)
        .await
        .expect("users");
    assert_eq!(users.len(), 1, "only the first user exists");

    // The installation's token for a user acts as that user.
    let token = services::tokens::issue(&ctx, &installation, "for o", Some("o@a.test"))
        .await
        .expect("token");
    assert_eq!(token.name, "for o");
    let missing = services::tokens::issue(&ctx, &installation, "n", Some("nobody@a.test")).await;
    assert!(
        matches!(missing, Err(ActionError::NotFound(_))),
        "{missing:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_store_is_found_by_domain_or_id_only_inside_the_callers_scope() {
    let app = TestApp::spawn().await;
    let id = app.shopify_store().await;
    let ctx = context(&app);
    let installation = Caller::installation();
    let by_domain = services::stores::find(&ctx, &installation, SHOP)
        .await
        .expect("by domain");
    assert_eq!(by_domain.id.to_string(), id);
    let by_id = services::stores::find(&ctx, &installation, &id)
        .await
        .expect("by id");
    assert_eq!(by_id.domain, SHOP);

    // An owner of another account does not see it: the same answer as a store that is not
    // registered at all.
    let other = services::users::create(
        &ctx,
        &installation,
        services::users::UserRequest {
            account: Some("another shop"),
            ..owner_request("other@b.test", &[])
        },
    )
    .await
    .expect("owner of another account");
    let other = Caller::of_user(&app.db, other).await.expect("caller");
    for reference in [SHOP, id.as_str(), "unknown.myshopify.com"] {
        let hidden = services::stores::find(&ctx, &other, reference).await;
        assert!(
            matches!(hidden, Err(ActionError::NotFound(_))),
            "{reference}: {hidden:?}"
        );
    }
    app.stop().await;
}
