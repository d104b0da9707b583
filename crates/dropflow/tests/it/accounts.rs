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
    app.create_order_from(shop, &numbered_paid_order(id)).await
}

/// Checks that the holder of `token` cannot see each of `paths` (404).
async fn assert_not_found_as(app: &TestApp, token: &str, paths: &[String]) {
    for path in paths {
        app.get_refused_as(token, path, StatusCode::NOT_FOUND, "not_found")
            .await;
    }
}

/// The ids of the orders on a page of the order list.
fn ids(page: &Value) -> Vec<String> {
    listed(page, "id")
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
    let other = new_account(&app, "other business").await;
    let other_owner = user_token(&app, &other, "owner@other.test", Role::Owner, &[]).await;
    let registration = store_registration("shopify", SHOP_C, SHOPIFY_SECRET);
    let created = app
        .post_as(&other_owner, "/api/v1/stores", &registration)
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
    let others = [
        format!("/api/v1/orders/{in_c}"),
        format!("/api/v1/stores/{store_c}/settings"),
    ];
    assert_not_found_as(&app, &app.token, &others).await;
    let stores = app.api_json("/api/v1/stores").await;
    assert_eq!(stores.as_array().map(Vec::len), Some(2), "{stores}");

    // The other owner: only C, by id and by name.
    let page = app.json_as(&other_owner, "/api/v1/orders").await;
    assert_eq!(ids(&page), vec![in_c.clone()]);
    assert_eq!(page["counts"]["all"], json!(1));
    app.json_as(&other_owner, "/api/v1/orders/5003").await;
    let ours = [
        format!("/api/v1/orders/{in_a}"),
        "/api/v1/orders/5001".to_string(),
    ];
    assert_not_found_as(&app, &other_owner, &ours).await;

    // Staff of store A: A's order only; no wallet top-up, no store credentials.
    let staff = member_token(&app, "staff@a.test", Role::Staff, &[store_a]).await;
    let page = app.json_as(&staff, "/api/v1/orders").await;
    assert_eq!(ids(&page), vec![in_a.clone()]);
    assert_eq!(page["counts"]["all"], json!(1), "{page}");
    assert_eq!(page["counts"]["awaiting_order"], json!(1), "{page}");
    assert_not_found_as(&app, &staff, &[format!("/api/v1/orders/{in_b}")]).await;
    let hold = json!({"reason": "other", "detail": "x"});
    let holds = format!("/api/v1/orders/{in_b}/holds");
    let response = app.post_as(&staff, &holds, &hold).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let top_up = json!({"amount": "10.00", "currency": "USD"});
    let top_ups = format!("/api/v1/stores/{store_a}/wallet/top-ups");
    let response = app.post_as(&staff, &top_ups, &top_up).await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    app.json_as(&staff, &format!("/api/v1/stores/{store_a}/settings"))
        .await;
    let settings_b = [format!("/api/v1/stores/{store_b}/settings")];
    assert_not_found_as(&app, &staff, &settings_b).await;
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
    let page = app.json_as(&vendor, "/api/v1/orders").await;
    assert_eq!(ids(&page), Vec::<String>::new());
    assert_eq!(page["counts"]["all"], json!(0), "{page}");
    assert_not_found_as(&app, &vendor, &[format!("/api/v1/orders/{in_a}")]).await;
    app.get_refused_as(&vendor, "/api/v1/jobs", StatusCode::FORBIDDEN, "forbidden")
        .await;
    app.stop().await;
}

#[tokio::test]
async fn users_manage_their_own_tokens_and_a_revoked_token_stops_at_once() {
    let app = TestApp::spawn().await;
    let owner = member_token(&app, "owner@a.test", Role::Owner, &[]).await;
    let made = expect_json(
        app.post_as(&owner, "/api/v1/tokens", &json!({"name": "export"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let second = made["token"].as_str().expect("token").to_string();
    let id = made["id"].as_str().expect("id").to_string();
    let listed = app.json_as(&owner, "/api/v1/tokens").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert!(
        !listed.to_string().contains(&second),
        "tokens are never listed"
    );
    app.json_as(&second, "/api/v1/orders").await;

    let response = app.delete_as(&owner, &format!("/api/v1/tokens/{id}")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let orders = "/api/v1/orders";
    app.get_refused_as(&second, orders, StatusCode::UNAUTHORIZED, "unauthorized")
        .await;

    // Another user's token cannot be revoked by id.
    let other = member_token(&app, "other@a.test", Role::Owner, &[]).await;
    let mine = app.json_as(&owner, "/api/v1/tokens").await;
    let owner_token_id = mine[0]["id"].as_str().expect("id").to_string();
    let response = app
        .delete_as(&other, &format!("/api/v1/tokens/{owner_token_id}"))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    // Bad input.
    let response = app
        .post_as(&owner, "/api/v1/tokens", &json!({"name": " "}))
        .await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    // A token made without a user cannot manage user tokens.
    app.get_refused_as(
        &app.token,
        "/api/v1/tokens",
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn passwords_are_hashed_checked_and_never_stored_in_clear() {
    let app = TestApp::spawn().await;
    let store: StoreId = app.shopify_store().await.parse().expect("id");
    let user = add_member(&app, " Staff@Example.COM ", Role::Staff, &[store]).await;
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
