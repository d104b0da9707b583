//! Issue point 9: malformed JSON, wrong content type, bodies over the limit, unknown shops,
//! missing fields, bad tokens. Each gets a 4xx with a JSON error naming the problem, and
//! nothing is written.

use crate::support::*;
use dropflow_sandbox::shopify::ShopifyWebhook;
use reqwest::StatusCode;
use serde_json::json;

/// Nothing from any rejected request reached the database.
async fn assert_nothing_stored(app: &TestApp) {
    for table in INTAKE_TABLES {
        assert_eq!(app.rows(table).await, 0, "rows in {table}");
    }
    assert_eq!(app.counts().await["all"], 0);
}

fn signed(topic: &str, body: &[u8]) -> ShopifyWebhook {
    ShopifyWebhook::new(topic, SHOP, body.to_vec())
}

#[tokio::test]
async fn a_malformed_json_webhook_with_a_valid_signature_is_refused_and_not_stored() {
    let app = TestApp::spawn_with_shop().await;
    for body in [
        &b"{\"id\": 1, \"name\": "[..],
        b"not json at all",
        b"{\"id\": 1}{\"id\": 2}",
        b"[]",
        b"\xff\xfe{}",
    ] {
        let response = app
            .send_shopify(&signed("orders/create", body), SHOPIFY_SECRET)
            .await;
        let status = response.status();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{status} for {body:?}"
        );
        let code = if status == StatusCode::BAD_REQUEST {
            "bad_request"
        } else {
            "unprocessable"
        };
        expect_error(response, status, code).await;
    }
    // An empty body is a 400 that says so.
    let response = app
        .send_shopify(&signed("orders/create", b""), SHOPIFY_SECRET)
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(message.contains("empty"), "{message}");
    assert_nothing_stored(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_json_error() {
    let app = TestApp::spawn_custom(dropflow::jobs::Registry::new(), |config| {
        config.http.body_limit_bytes = 64 * 1024;
    })
    .await;
    app.shopify_store().await;

    let mut order = paid_order(8001, "#8001");
    order["note"] = json!("x".repeat(100 * 1024));
    let hook = shopify_hook("orders/create", &order);
    assert!(hook.body.len() > 100 * 1024);
    let response = app.send_shopify(&hook, SHOPIFY_SECRET).await;
    let message = expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert!(message.contains("65536"), "{message}");

    // WooCommerce and the API have the same limit.
    let mut woo = dropflow_sandbox::woocommerce::order_payload(8002, "processing");
    woo["customer_note"] = json!("y".repeat(100 * 1024));
    let response = app
        .send_woo(&woo_hook("order.created", WOO_SITE, &woo), WOO_SECRET)
        .await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let big = store_registration("shopify", "big.example", &"z".repeat(100 * 1024));
    let response = app.api_post("/api/v1/stores", &big).await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // Under the limit is fine.
    let mut small = paid_order(8003, "#8003");
    small["note"] = json!("x".repeat(32 * 1024));
    app.create_order(&small).await;
    assert_eq!(app.rows("orders").await, 1);
    assert_eq!(app.rows("stores").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_bearer_tokens_are_401_json_errors() {
    let app = TestApp::spawn().await;
    let revoked = dropflow::storage::tokens::create(&app.db, "revoked-one")
        .await
        .expect("token");
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE name = $2")
        .bind(chrono::Utc::now().timestamp_millis())
        .bind("revoked-one")
        .execute(&app.db.writer)
        .await
        .expect("revoke");

    let garbage = format!("{}x", app.token);
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "missing"),
        (Some("Bearer".into()), "Bearer"),
        (Some("Bearer ".into()), "Bearer"),
        (Some(format!("Basic {}", app.token)), "Bearer"),
        (Some("Bearer dfk_garbage".into()), "not valid"),
        (Some("Bearer not-even-prefixed".into()), "not valid"),
        (Some(format!("Bearer {garbage}")), "not valid"),
        (Some(format!("Bearer {revoked}")), "revoked"),
    ];
    for (header, named) in cases {
        for path in [
            "/api/v1/orders",
            "/api/v1/orders/counts",
            "/api/v1/stores",
            "/api/v1/jobs",
        ] {
            let mut request = app.client().get(app.url(path));
            if let Some(value) = &header {
                request = request.header("Authorization", value);
            }
            let response = request.send().await.expect("GET");
            let message = expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
            assert!(message.contains(named), "{header:?} on {path}: {message}");
        }
    }
    // The good token still works.
    assert_eq!(app.api_get("/api/v1/orders").await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_shopify_order_missing_required_fields_is_a_422_naming_the_field() {
    let app = TestApp::spawn_with_shop().await;
    type Mutation = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "id",
            Box::new(|o| {
                o.as_object_mut().map(|m| m.remove("id"));
            }),
        ),
        (
            "line_items",
            Box::new(|o| {
                o.as_object_mut().map(|m| m.remove("line_items"));
            }),
        ),
        (
            "currency",
            Box::new(|o| {
                o.as_object_mut().map(|m| m.remove("currency"));
            }),
        ),
        ("total_price", Box::new(|o| o["total_price"] = json!(null))),
        (
            "line_items[0].price",
            Box::new(|o| {
                o["line_items"][0]
                    .as_object_mut()
                    .map(|m| m.remove("price"));
            }),
        ),
        (
            "line_items[0].id",
            Box::new(|o| o["line_items"][0]["id"] = json!(null)),
        ),
        (
            "line_items[0].quantity",
            Box::new(|o| o["line_items"][0]["quantity"] = json!(-1)),
        ),
        ("currency", Box::new(|o| o["currency"] = json!("ZZZ"))),
        (
            "total_price",
            Box::new(|o| o["total_price"] = json!("12,50")),
        ),
        (
            "updated_at",
            Box::new(|o| o["updated_at"] = json!("yesterday")),
        ),
    ];
    for (field, mutate) in cases {
        let mut order = paid_order(8101, "#8101");
        mutate(&mut order);
        let message = app.refused_order(&order).await;
        assert!(message.contains(field), "{field}: {message}");
    }
    assert_nothing_stored(&app).await;
    app.stop().await;
}

/// The connector promises that messages never quote personal data.
#[tokio::test]
async fn a_payload_error_does_not_echo_personal_data() {
    let app = TestApp::spawn_with_shop().await;
    let mut order = paid_order(8201, "#8201");
    order["shipping_address"] = json!("742 Evergreen Terrace, Springfield");
    order["customer"] = json!("homer.simpson@example.com");
    let message = app.refused_order(&order).await;
    assert!(!message.contains("Evergreen"), "{message}");
    assert!(!message.contains("homer.simpson"), "{message}");
    assert_nothing_stored(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_endpoint_is_a_404_json_error() {
    let app = TestApp::spawn().await;
    for path in ["/nope", "/api/v1/nothing", "/webhooks/magento"] {
        let response = app.get(path).await;
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_json_error() {
    let app = TestApp::spawn().await;
    let response = app.get("/webhooks/shopify").await;
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_non_numeric_job_id_is_a_400_json_error() {
    let app = TestApp::spawn().await;
    let response = app.api_post_empty("/api/v1/jobs/abc/retry").await;
    expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    app.stop().await;
}

#[tokio::test]
async fn every_error_answer_has_a_code_and_a_message() {
    // A sweep over one request of each kind of failure, checked by `expect_error`.
    let app = TestApp::spawn_with_shop().await;
    let order = paid_order(8301, "#8301");
    let good = shopify_hook("orders/create", &order);

    let r = app
        .post_raw("/webhooks/shopify", &[], good.body.clone())
        .await;
    expect_error(r, StatusCode::BAD_REQUEST, "bad_request").await;
    app.refused_shopify(&good, "wrong-secret-wrong-secret")
        .await;
    let other = ShopifyWebhook::new("orders/create", "x.myshopify.com", good.body.clone());
    let r = app.send_shopify(&other, SHOPIFY_SECRET).await;
    expect_error(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = app
        .send_shopify(&signed("orders/create", b"{}"), SHOPIFY_SECRET)
        .await;
    expect_error(r, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    for bad_query in [
        "/api/v1/orders?tab=x",
        "/api/v1/jobs?status=lost",
        "/api/v1/jobs?limit=0",
    ] {
        app.get_refused_as(
            &app.token,
            bad_query,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await;
    }
    // A job that does not exist (or is another account's) is not found.
    let r = app.api_post_empty("/api/v1/jobs/424242/retry").await;
    expect_error(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = app.post_body("/api/v1/stores", None, "{}".into()).await;
    expect_error(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert_nothing_stored(&app).await;
    app.stop().await;
}
