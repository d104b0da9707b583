//! `POST /api/v1/stores`, `GET /api/v1/stores` (issue point 8, with the bad inputs of 9).

use crate::support::*;
use dropflow_sandbox::shopify_admin::ShopifyAdminSandbox;
use reqwest::StatusCode;
use serde_json::json;

const SECRET: &str = "a-webhook-secret-never-to-be-shown";

#[tokio::test]
async fn registering_a_store_answers_201_without_the_secret() {
    let app = TestApp::spawn().await;
    let response = app
        .api_post(
            "/api/v1/stores",
            &json!({"platform": "shopify", "domain": " My-Shop.MyShopify.com ", "webhook_secret": SECRET}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let text = response.text().await.expect("body");
    assert!(!text.contains(SECRET), "{text}");
    let view: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(view["platform"], "shopify");
    assert_eq!(view["domain"], "my-shop.myshopify.com");
    assert!(
        view["id"].as_str().is_some_and(|id| id.len() == 36),
        "{view}"
    );
    assert!(view["created_at"].is_string());
    let mut keys: Vec<&String> = view.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["created_at", "domain", "id", "platform", "verified"]);
    assert_eq!(view["verified"], false);

    let listed = app.api_get("/api/v1/stores").await;
    assert_eq!(listed.status(), StatusCode::OK);
    let text = listed.text().await.expect("body");
    assert!(!text.contains(SECRET), "{text}");
    let list: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], view["id"]);

    // The secret is stored and used: a webhook signed with it is accepted.
    let hook = shopify_hook_from(
        "my-shop.myshopify.com",
        "orders/create",
        &paid_order(1, "#1"),
    );
    let ack = expect_json(app.send_shopify(&hook, SECRET).await, StatusCode::OK).await;
    assert_eq!(ack["status"], "created");
    app.stop().await;
}

#[tokio::test]
async fn registering_the_same_store_twice_is_a_409() {
    let app = TestApp::spawn().await;
    app.register_woo_store("https://shop.example/", SECRET)
        .await;
    let response = app
        .api_post(
            "/api/v1/stores",
            &json!({"platform": "woocommerce", "domain": "http://SHOP.example", "webhook_secret": "another-secret-1234"}),
        )
        .await;
    let message = expect_error(response, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("shop.example"), "{message}");
    // Another shop is another store.
    app.register_store("shopify", "shop.myshopify.com", SECRET)
        .await;
    assert_eq!(app.rows("stores").await, 2);
    app.stop().await;
}

#[tokio::test]
async fn invalid_store_registrations_are_422_naming_the_problem() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"platform": "magento", "domain": "shop.example", "webhook_secret": SECRET}),
            "magento",
        ),
        (
            json!({"platform": "shopify", "domain": "shop.myshopify.com", "webhook_secret": "short"}),
            "webhook_secret",
        ),
        (
            json!({"platform": "shopify", "webhook_secret": SECRET}),
            "domain",
        ),
        (
            json!({"domain": "shop.example", "webhook_secret": SECRET}),
            "platform",
        ),
        (
            json!({"platform": "shopify", "domain": "shop.myshopify.com"}),
            "webhook_secret",
        ),
        (
            json!({"platform": "shopify", "domain": "   ", "webhook_secret": SECRET}),
            "domain",
        ),
        (
            json!({"platform": "shopify", "domain": "localhost", "webhook_secret": SECRET}),
            "domain",
        ),
        (
            json!({"platform": "shopify", "domain": "shop.example", "webhook_secret": SECRET, "admin": true}),
            "admin",
        ),
        (
            json!({"platform": "shopify", "domain": 42, "webhook_secret": SECRET}),
            "domain",
        ),
    ];
    for (body, named) in cases {
        let response = app.api_post("/api/v1/stores", &body).await;
        let text_status = response.status();
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.contains(named), "{body} ({text_status}): {message}");
        assert!(!message.contains(SECRET), "{message}");
    }
    assert_eq!(app.rows("stores").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_store_registration_without_a_json_content_type_is_a_415() {
    let app = TestApp::spawn().await;
    let body = store_registration("shopify", "shop.example", SECRET).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let response = app
            .post_body("/api/v1/stores", content_type, body.clone())
            .await;
        let message = expect_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
        assert!(message.contains("application/json"), "{message}");
    }
    assert_eq!(app.rows("stores").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_store_registration_with_malformed_json_is_a_400() {
    let app = TestApp::spawn().await;
    for body in [
        "{\"platform\": \"shopify\", ",
        "not json",
        "{\"platform\": \"shopify\", \"domain\": \"a.example\", \"webhook_secret\": \"0123456789abcdef0\"} trailing",
    ] {
        let response = app
            .post_body("/api/v1/stores", Some("application/json"), body.into())
            .await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(message.contains("JSON"), "{body}: {message}");
    }
    assert_eq!(app.rows("stores").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn store_endpoints_need_a_token() {
    let app = TestApp::spawn().await;
    let body = store_registration("shopify", "shop.example", SECRET);
    let response = app.post_anonymous("/api/v1/stores", &body).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app.get("/api/v1/stores").await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(app.rows("stores").await, 0);
    app.stop().await;
}

/// Issue 12 item 9: a domain follows its platform's syntax (Shopify: the shop's
/// `*.myshopify.com`; WooCommerce: a public host name), 422 naming the field.
#[tokio::test]
async fn store_domains_follow_the_platform_syntax() {
    let app = TestApp::spawn().await;
    for (platform, domain) in [
        ("shopify", "<script>.myshopify.com"),
        ("shopify", "shop.example"),
        ("shopify", "a.b.myshopify.com"),
        ("shopify", "shop.myshopify.com.evil.example"),
        ("woocommerce", "<script>.example.com"),
        ("woocommerce", "localhost"),
        ("woocommerce", "http://10.0.0.1/"),
        ("woocommerce", "http://[::1]/"),
        ("woocommerce", "intranet"),
        ("woocommerce", "db.internal"),
    ] {
        let body = store_registration(platform, domain, SECRET);
        let response = app.api_post("/api/v1/stores", &body).await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(
            message.starts_with("domain: "),
            "{platform} {domain}: {message}"
        );
    }
    assert_eq!(app.rows("stores").await, 0);
    app.register_store("woocommerce", "https://shop.example.com/store/", SECRET)
        .await;
    app.stop().await;
}

/// Issue 12 item 1: the Admin API URL is the shop's own (`https://{shop}.myshopify.com`),
/// never an address inside the operator's network; 422 naming `url`, nothing kept.
#[tokio::test]
async fn admin_urls_other_than_the_shops_own_are_422() {
    let app = TestApp::spawn_custom(dropflow::jobs::Registry::new(), |config| {
        config.outbound.allow_private_addresses = false;
    })
    .await;
    let store = app.shopify_store().await;
    let path = format!("/api/v1/stores/{store}/admin");
    for url in [
        "http://127.0.0.1:8080",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]",
        "http://10.0.0.1",
        "http://[2002:7f00:1::]",
        "http://[2001::7f00:1]",
        "http://[fec0::1]",
        "http://intranet",
        "http://localhost:5432",
        "http://sandbox-store.myshopify.com",
        "https://other-shop.myshopify.com",
        "https://sandbox-store.myshopify.com:8443",
        "https://sandbox-store.myshopify.com.evil.example",
        "ftp://sandbox-store.myshopify.com",
    ] {
        let response = app
            .api_put(&path, &json!({ "url": url, "key": "shpat_0123" }))
            .await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.starts_with("url: "), "{url}: {message}");
    }
    let kept = dropflow::storage::settings::admin_access(&app.db, store.parse().expect("id"))
        .await
        .expect("read");
    assert!(kept.is_none(), "nothing was kept");
    app.stop().await;
}

/// Gives `store` the Admin API access `(url, key)`, as the holder of `token`; the answer.
async fn put_admin(
    app: &TestApp,
    token: &str,
    store: &str,
    (url, key): (&str, &str),
) -> reqwest::Response {
    let path = format!("/api/v1/stores/{store}/admin");
    app.put_as(token, &path, &json!({ "url": url, "key": key }))
        .await
}

/// The Admin API access that opens the Shopify Admin sandbox `shop`.
fn access_to(shop: &ShopifyAdminSandbox) -> (&str, &str) {
    (&shop.base_url, shop.access_token())
}

async fn owner_of_new_account(app: &TestApp, name: &str) -> (String, String) {
    use dropflow::storage::accounts::Role;
    let account = new_account(app, name).await;
    let owner = format!("owner@{name}.test");
    let token = user_token(app, &account, &owner, Role::Owner, &[]).await;
    (account, token)
}

async fn register_as(app: &TestApp, token: &str, domain: &str, secret: &str) -> reqwest::Response {
    let body = store_registration("shopify", domain, secret);
    app.post_as(token, "/api/v1/stores", &body).await
}

/// Issue 12 item 4: registering a shop's domain first takes nothing from its owner. Only
/// access checked against the shop itself (`GET shop.json`) verifies a registration; an
/// unverified one never blocks it, and a 409 names no other account.
#[tokio::test]
async fn a_squatter_never_blocks_the_shop_owner() {
    use dropflow_sandbox::shopify_admin::{self, ShopifyAdminConfig};
    let shop = shopify_admin::start(ShopifyAdminConfig::default())
        .await
        .expect("sandbox");
    let app = TestApp::spawn().await;
    let (squatter_account, squatter) = owner_of_new_account(&app, "squatter").await;
    let (owner_account, owner) = owner_of_new_account(&app, "owner").await;

    // The squatter registers the shop first; the owner still can.
    let squatted = expect_json(
        register_as(&app, &squatter, SHOP, "squatters-own-secret-123").await,
        StatusCode::CREATED,
    )
    .await;
    let theirs = expect_json(
        register_as(&app, &owner, SHOP, SHOPIFY_SECRET).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(theirs["verified"], false);
    // An account registers a shop once.
    let again = expect_error(
        register_as(&app, &owner, SHOP, SHOPIFY_SECRET).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(!again.contains(&squatter_account), "{again}");

    // Before either is verified, a webhook goes to the registration whose secret signed it.
    let hook = shopify_hook("orders/create", &paid_order(71, "#71"));
    expect_json(
        app.send_shopify(&hook, SHOPIFY_SECRET).await,
        StatusCode::OK,
    )
    .await;

    // Without the shop's token nothing is verified; with it, the owner's registration is.
    let squatted_id = squatted["id"].as_str().expect("id");
    let owners_id = theirs["id"].as_str().expect("id");
    let guessed = put_admin(
        &app,
        &squatter,
        squatted_id,
        (&shop.base_url, "shpat_guessed"),
    )
    .await;
    let refused = expect_error(guessed, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert!(refused.starts_with("key: "), "{refused}");
    let done = put_admin(&app, &owner, owners_id, access_to(&shop)).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let listed = app.json_as(&owner, "/api/v1/stores").await;
    assert_eq!(listed[0]["verified"], true, "{listed}");

    // Once verified, the shop is the owner's: the squatter cannot verify it too (409 naming
    // no account), a newcomer cannot register it, and the squatter's secret opens nothing.
    let second = put_admin(&app, &squatter, squatted_id, access_to(&shop)).await;
    let taken = expect_error(second, StatusCode::CONFLICT, "conflict").await;
    let (_, newcomer) = owner_of_new_account(&app, "newcomer").await;
    let closed = expect_error(
        register_as(&app, &newcomer, SHOP, "newcomers-secret-1234").await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    for message in [&taken, &closed] {
        assert!(
            !message.contains(&owner_account)
                && !message.contains("owner")
                && !message.contains("tenant"),
            "{message}"
        );
    }
    let forged = shopify_hook("orders/create", &paid_order(72, "#72"));
    app.refused_shopify(&forged, "squatters-own-secret-123")
        .await;
    let real = shopify_hook("orders/create", &paid_order(73, "#73"));
    expect_json(
        app.send_shopify(&real, SHOPIFY_SECRET).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM orders WHERE store_id = '{owners_id}'"
        ))
        .await,
        2
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM orders WHERE store_id = '{squatted_id}'"
        ))
        .await,
        0
    );
    shop.shutdown().await;
    app.stop().await;
}

/// The check is against the shop itself: access that opens another shop does not verify.
#[tokio::test]
async fn access_to_another_shop_does_not_verify_a_store() {
    use dropflow_sandbox::shopify_admin::{self, ShopifyAdminConfig};
    let other = shopify_admin::start(ShopifyAdminConfig {
        shop_domain: "someone-else.myshopify.com".into(),
        ..ShopifyAdminConfig::default()
    })
    .await
    .expect("sandbox");
    let app = TestApp::spawn().await;
    let store = app.shopify_store().await;
    let opens_other = put_admin(&app, &app.token, &store, access_to(&other)).await;
    let message = expect_error(
        opens_other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(message.contains("another shop"), "{message}");
    assert!(
        dropflow::storage::settings::admin_access(&app.db, store.parse().expect("id"))
            .await
            .expect("read")
            .is_none()
    );
    other.shutdown().await;
    app.stop().await;
}

/// WooCommerce is checked through `GET system_status` (`environment.home_url`).
#[tokio::test]
async fn a_woocommerce_store_is_verified_through_system_status() {
    use dropflow_sandbox::woocommerce_admin::{self, WooAdminConfig};
    let site = woocommerce_admin::start(WooAdminConfig::default())
        .await
        .expect("sandbox");
    let app = TestApp::spawn().await;
    let store = app
        .register_woo_store(dropflow_sandbox::woocommerce::SITE_URL, SECRET)
        .await;
    let done = app.api_put(&format!("/api/v1/stores/{store}/admin"), &json!({ "url": site.base_url, "key": site.consumer_key(), "secret": site.consumer_secret() })).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.api_json("/api/v1/stores").await[0]["verified"], true);
    site.shutdown().await;
    app.stop().await;
}
