//! Accounts, roles and scoping through the API: every caller sees only what their account,
//! stores or vendor handle allow; anything else is not found. Per-user tokens, revocation,
//! and `dropflow users create` reading the password from standard input.

use crate::support::*;
use dropflow::storage::accounts::{self, Role};
use dropflow_core::ids::StoreId;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SHOP_A: &str = "shop-a.myshopify.com";
const SHOP_B: &str = "shop-b.myshopify.com";
const SHOP_C: &str = "shop-c.myshopify.com";

/// A paid order `#id` from `shop`; its id.
async fn order_from(app: &TestApp, shop: &str, id: u64) -> String {
    app.create_order_from(shop, &paid_order(id, &format!("#{id}")))
        .await
}

fn ids(page: &Value) -> Vec<String> {
    page["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn each_caller_sees_only_their_account_stores_or_vendor_orders() {
    let app = TestApp::spawn().await;
    let store_a: StoreId = app
        .register_shopify_store(SHOP_A, SHOPIFY_SECRET)
        .await
        .parse()
        .expect("id");
    let store_b: StoreId = app
        .register_shopify_store(SHOP_B, SHOPIFY_SECRET)
        .await
        .parse()
        .expect("id");
    // A second merchant business with its own owner, who registers their own store.
    let other = accounts::create_account(&app.db, "other business")
        .await
        .expect("account");
    let other_owner = user_token(&app, &other, "owner@other.test", Role::Owner, &[]).await;
    let created = app
        .post_as(
            &other_owner,
            "/api/v1/stores",
            &json!({"platform": "shopify", "domain": SHOP_C, "webhook_secret": SHOPIFY_SECRET}),
        )
        .await;
    let store_c = expect_json(created, StatusCode::CREATED).await["id"]
        .as_str()
        .expect("id")
        .to_string();

    let in_a = order_from(&app, SHOP_A, 5001).await;
    let in_b = order_from(&app, SHOP_B, 5002).await;
    let in_c = order_from(&app, SHOP_C, 5003).await;

    // The harness token (no user) is an owner of the default account: A and B, not C.
    let page = app.api_json("/api/v1/orders").await;
    let mut seen = ids(&page);
    seen.sort();
    let mut expected = vec![in_a.clone(), in_b.clone()];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(page["counts"]["all"], json!(2), "{page}");
    let response = app.api_get(&format!("/api/v1/orders/{in_c}")).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .api_get(&format!("/api/v1/stores/{store_c}/settings"))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let stores = app.api_json("/api/v1/stores").await;
    assert_eq!(stores.as_array().map(Vec::len), Some(2), "{stores}");

    // The other owner: only C, by id and by name.
    let page = expect_json(
        app.get_as(&other_owner, "/api/v1/orders").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&page), vec![in_c.clone()]);
    assert_eq!(page["counts"]["all"], json!(1));
    expect_json(
        app.get_as(&other_owner, "/api/v1/orders/5003").await,
        StatusCode::OK,
    )
    .await;
    let response = app
        .get_as(&other_owner, &format!("/api/v1/orders/{in_a}"))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.get_as(&other_owner, "/api/v1/orders/5001").await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;

    // Staff of store A: A's order only; no wallet top-up, no store credentials.
    let staff = user_token(
        &app,
        accounts::DEFAULT_ACCOUNT,
        "staff@a.test",
        Role::Staff,
        &[store_a],
    )
    .await;
    let page = expect_json(app.get_as(&staff, "/api/v1/orders").await, StatusCode::OK).await;
    assert_eq!(ids(&page), vec![in_a.clone()]);
    assert_eq!(page["counts"]["all"], json!(1), "{page}");
    assert_eq!(page["counts"]["awaiting_order"], json!(1), "{page}");
    let response = app.get_as(&staff, &format!("/api/v1/orders/{in_b}")).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .post_as(
            &staff,
            &format!("/api/v1/orders/{in_b}/holds"),
            &json!({"reason": "other", "detail": "x"}),
        )
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .post_as(
            &staff,
            &format!("/api/v1/stores/{store_a}/wallet/top-ups"),
            &json!({"amount": "10.00", "currency": "USD"}),
        )
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    expect_json(
        app.get_as(&staff, &format!("/api/v1/stores/{store_a}/settings"))
            .await,
        StatusCode::OK,
    )
    .await;
    let response = app
        .get_as(&staff, &format!("/api/v1/stores/{store_b}/settings"))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    // Bulk actions skip what the caller cannot see, as not found.
    let bulk = expect_json(
        app.post_as(
            &staff,
            "/api/v1/orders/place",
            &json!({"order_ids": [in_a, in_b]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(bulk["results"][1]["outcome"], json!("not_found"), "{bulk}");

    // A vendor with nothing routed to them sees nothing and can do nothing to orders.
    let vendor = vendor_token(&app, "vendor@v.test", "vendor-a").await;
    let page = expect_json(app.get_as(&vendor, "/api/v1/orders").await, StatusCode::OK).await;
    assert_eq!(ids(&page), Vec::<String>::new());
    assert_eq!(page["counts"]["all"], json!(0), "{page}");
    let response = app.get_as(&vendor, &format!("/api/v1/orders/{in_a}")).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.get_as(&vendor, "/api/v1/jobs").await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    app.stop().await;
}

#[tokio::test]
async fn users_manage_their_own_tokens_and_a_revoked_token_stops_at_once() {
    let app = TestApp::spawn().await;
    let owner = user_token(
        &app,
        accounts::DEFAULT_ACCOUNT,
        "owner@a.test",
        Role::Owner,
        &[],
    )
    .await;
    let made = expect_json(
        app.post_as(&owner, "/api/v1/tokens", &json!({"name": "export"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let second = made["token"].as_str().expect("token").to_string();
    let id = made["id"].as_str().expect("id").to_string();
    let listed = expect_json(app.get_as(&owner, "/api/v1/tokens").await, StatusCode::OK).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert!(
        !listed.to_string().contains(&second),
        "tokens are never listed"
    );
    expect_json(app.get_as(&second, "/api/v1/orders").await, StatusCode::OK).await;

    let response = app
        .client()
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&owner)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.get_as(&second, "/api/v1/orders").await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Another user's token cannot be revoked by id.
    let other = user_token(
        &app,
        accounts::DEFAULT_ACCOUNT,
        "other@a.test",
        Role::Owner,
        &[],
    )
    .await;
    let mine = expect_json(app.get_as(&owner, "/api/v1/tokens").await, StatusCode::OK).await;
    let owner_token_id = mine[0]["id"].as_str().expect("id").to_string();
    let response = app
        .client()
        .delete(app.url(&format!("/api/v1/tokens/{owner_token_id}")))
        .bearer_auth(&other)
        .send()
        .await
        .expect("DELETE");
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    // Bad input.
    let response = app
        .post_as(&owner, "/api/v1/tokens", &json!({"name": " "}))
        .await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    // A token made without a user cannot manage user tokens.
    let response = app.api_get("/api/v1/tokens").await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    app.stop().await;
}

#[tokio::test]
async fn passwords_are_hashed_checked_and_never_stored_in_clear() {
    let app = TestApp::spawn().await;
    let store: StoreId = app.shopify_store().await.parse().expect("id");
    let user = add_user(
        &app,
        accounts::DEFAULT_ACCOUNT,
        " Staff@Example.COM ",
        Role::Staff,
        &[store],
        None,
    )
    .await;
    assert_eq!(user.email, "staff@example.com");
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.db.reader)
        .await
        .expect("hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("correct horse"));
    let ok = accounts::verify_password(&app.db, "staff@example.com", "correct horse battery")
        .await
        .expect("verify");
    assert_eq!(ok.map(|u| u.id), Some(user.id.clone()));
    for (email, password) in [
        ("staff@example.com", "wrong password!"),
        ("nobody@example.com", "correct horse battery"),
    ] {
        assert!(accounts::verify_password(&app.db, email, password)
            .await
            .expect("verify")
            .is_none());
    }
    // Refusals, nothing written.
    for (email, password, role, stores, vendor, needle) in [
        (
            "x@y",
            "long enough pw",
            Role::Owner,
            &[][..],
            None,
            "e-mail",
        ),
        ("a@b.co", "short", Role::Owner, &[][..], None, "at least 8"),
        (
            "v@b.co",
            "long enough pw",
            Role::Vendor,
            &[][..],
            None,
            "vendor",
        ),
        (
            "s@b.co",
            "long enough pw",
            Role::Staff,
            &[][..],
            None,
            "store",
        ),
        (
            "STAFF@example.com",
            "long enough pw",
            Role::Owner,
            &[][..],
            None,
            "exists",
        ),
    ] {
        let error = accounts::create_user(
            &app.db,
            accounts::NewUser {
                account_id: accounts::DEFAULT_ACCOUNT,
                email,
                password,
                role,
                stores,
                vendor,
            },
        )
        .await
        .expect_err("refused");
        assert!(error.to_string().contains(needle), "{email}: {error}");
    }
    assert_eq!(app.rows("users").await, 1);
    app.stop().await;
}
