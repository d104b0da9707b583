//! `POST /api/v1/stores`, `GET /api/v1/stores` (issue point 8, with the bad inputs of 9).

use crate::support::*;
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
    assert_eq!(keys, ["created_at", "domain", "id", "platform"]);

    let listed = app.api_get("/api/v1/stores").await;
    assert_eq!(listed.status(), StatusCode::OK);
    let text = listed.text().await.expect("body");
    assert!(!text.contains(SECRET), "{text}");
    let list: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], view["id"]);

    // The secret is stored and used: a webhook signed with it is accepted.
    let order = paid_order(1, "#1");
    let hook = dropflow_sandbox::shopify::ShopifyWebhook::new(
        "orders/create",
        "my-shop.myshopify.com",
        dropflow_sandbox::body_bytes(&order),
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
    // Same domain on the other platform is a different store.
    app.register_store("shopify", "shop.example", SECRET).await;
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
            json!({"platform": "shopify", "domain": "shop.example", "webhook_secret": "short"}),
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
            json!({"platform": "shopify", "domain": "shop.example"}),
            "webhook_secret",
        ),
        (
            json!({"platform": "shopify", "domain": "   ", "webhook_secret": SECRET}),
            "domain",
        ),
        (
            json!({"platform": "shopify", "domain": "localhost", "webhook_secret": SECRET}),
            "host name",
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
    let body = json!({"platform": "shopify", "domain": "shop.example", "webhook_secret": SECRET})
        .to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = app
            .client()
            .post(app.url("/api/v1/stores"))
            .bearer_auth(&app.token)
            .body(body.clone());
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        let response = request.send().await.expect("POST");
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
            .client()
            .post(app.url("/api/v1/stores"))
            .bearer_auth(&app.token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST");
        let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(message.contains("JSON"), "{body}: {message}");
    }
    assert_eq!(app.rows("stores").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn store_endpoints_need_a_token() {
    let app = TestApp::spawn().await;
    let response = app
        .client()
        .post(app.url("/api/v1/stores"))
        .json(&json!({"platform": "shopify", "domain": "shop.example", "webhook_secret": SECRET}))
        .send()
        .await
        .expect("POST");
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app.get("/api/v1/stores").await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(app.rows("stores").await, 0);
    app.stop().await;
}
