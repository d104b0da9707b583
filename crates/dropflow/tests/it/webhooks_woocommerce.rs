//! `POST /webhooks/woocommerce` (issue point 7): the ping, signatures, the real fixtures.

use crate::support::*;
use dropflow_sandbox::woocommerce::{self, WooWebhook};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn fixture_orders(file: &str) -> Vec<Value> {
    match fixture_json(&format!("woocommerce/{file}")) {
        Value::Array(orders) => orders,
        order => vec![order],
    }
}

/// A dropflow with the sandbox's WooCommerce store ([`WOO_SITE`], [`WOO_SECRET`]).
async fn woo_app() -> TestApp {
    let app = TestApp::spawn().await;
    app.register_woo_store(WOO_SITE, WOO_SECRET).await;
    app
}

/// A sandbox order in `processing` (paid).
fn processing(id: u64) -> Value {
    woocommerce::order_payload(id, "processing")
}

/// Sends `hook` signed with the stores' secret, 200 expected; the ack.
async fn acked(app: &TestApp, hook: &WooWebhook) -> Value {
    expect_json(app.send_woo(hook, WOO_SECRET).await, StatusCode::OK).await
}

/// Sends `hook` signed with the stores' secret, answered 200 with `status`; the ack.
async fn acked_as(app: &TestApp, hook: &WooWebhook, status: &str) -> Value {
    let ack = acked(app, hook).await;
    assert_eq!(ack["status"], status, "{ack}");
    ack
}

/// Sends `order`, modified on January `day` 2031 (after every fixture), as `topic` from
/// [`WOO_SITE`]; it must be answered `updated`.
async fn updated_on(app: &TestApp, topic: &str, mut order: Value, day: u32) {
    order["date_modified_gmt"] = json!(format!("2031-01-{day:02}T00:00:00"));
    acked_as(app, &woo_hook(topic, WOO_SITE, &order), "updated").await;
}

/// Sends `order` as `order.created` from `site`, 200 expected; the ack.
async fn send_created(app: &TestApp, site: &str, order: &Value) -> Value {
    acked(app, &woo_hook("order.created", site, order)).await
}

/// Sends `order` as `order.created` from [`WOO_SITE`], answered `created`; our order's id.
async fn created(app: &TestApp, order: &Value) -> String {
    let hook = woo_hook("order.created", WOO_SITE, order);
    order_id(&acked_as(app, &hook, "created").await)
}

/// Sends the first order of fixture `file` as created (answered `created`); its detail.
async fn created_from_fixture(app: &TestApp, file: &str) -> Value {
    let id = created(app, &fixture_orders(file)[0]).await;
    app.order_detail(&id).await
}

/// Posts a ping body (WooCommerce's test delivery when a webhook is saved) with these headers.
async fn send_ping(app: &TestApp, headers: &[(&str, String)]) -> reqwest::Response {
    app.post_raw("/webhooks/woocommerce", headers, woocommerce::ping_body(12))
        .await
}

#[tokio::test]
async fn the_unsigned_ping_is_answered_200_and_stores_nothing() {
    let app = woo_app().await;
    let form = ("Content-Type", woocommerce::PING_CONTENT_TYPE.to_string());
    // With the form content type, and without any (WordPress does not promise one).
    for headers in [vec![form], vec![]] {
        let ack = expect_json(send_ping(&app, &headers).await, StatusCode::OK).await;
        assert_eq!(ack["status"], "pong", "{headers:?}");
    }
    app.assert_nothing_stored().await;
    app.stop().await;
}

#[tokio::test]
async fn a_ping_lookalike_declared_as_json_still_needs_a_signature() {
    let app = TestApp::spawn().await;
    let json = [("Content-Type", "application/json".to_string())];
    let response = send_ping(&app, &json).await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(message.contains("x-wc-webhook-signature"), "{message}");
    app.stop().await;
}

#[tokio::test]
async fn the_retrieve_order_fixture_is_stored_awaiting_order() {
    let app = woo_app().await;
    let detail = created_from_fixture(&app, "woocommerce-rest-api-docs.retrieve-order.json").await;
    assert_eq!(detail["external_id"], "727");
    assert_eq!(detail["name"], "#727");
    assert_eq!(detail["total_minor"], 2935);
    assert_eq!(detail["currency"], "USD");
    assert_eq!(detail["payment_status"], "paid");
    assert_eq!(detail["tab"], "awaiting_order");
    assert_eq!(detail["holds"], json!([]));
    assert_eq!(detail["customer"]["email"], "john.doe@example.com");
    assert_eq!(detail["customer"]["external_id"], Value::Null);
    assert_eq!(detail["shipping_address"]["postal_code"], "94103");
    assert_eq!(detail["shipping_address"]["province_code"], "CA");
    let lines = detail["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["external_id"], "315");
    assert_eq!(lines[0]["title"], "Woo Single #1");
    assert_eq!(lines[0]["quantity"], 2);
    assert_eq!(lines[0]["unit_price_minor"], 300);
    assert_eq!(lines[0]["variant_id"], Value::Null);
    assert_eq!(lines[1]["external_id"], "316");
    assert_eq!(lines[1]["sku"], "Bar3");
    assert_eq!(lines[1]["variant_id"], "23");
    assert_eq!(lines[1]["unit_price_minor"], 1200);
    assert_eq!(timeline_kinds(&detail), ["received", "ready_to_order"]);
    assert!(detail["timeline"][0]["actor"] == "store:woocommerce");
    assert_eq!(
        app.jobs_for(detail["id"].as_str().expect("id"), "order.route")
            .await,
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn each_list_orders_fixture_item_lands_in_its_tab() {
    let app = woo_app().await;
    let orders = fixture_orders("woocommerce-rest-api-docs.list-orders.json");
    assert_eq!(orders.len(), 2);
    let mut ids = Vec::new();
    for order in &orders {
        ids.push(created(&app, order).await);
    }
    let first = app.order_detail(&ids[0]).await;
    assert_eq!(first["name"], "#727");
    assert_eq!(first["tab"], "awaiting_order");

    // 723: completed with two refunds (partially refunded), shipping to Rio de Janeiro with
    // the docs' made-up postcode 12345-000, which is not an RJ postcode.
    let second = app.order_detail(&ids[1]).await;
    assert_eq!(second["name"], "#723");
    assert_eq!(second["total_minor"], 3900);
    assert_eq!(second["payment_status"], "partially_refunded");
    assert_eq!(second["customer"]["external_id"], "26");
    assert_eq!(second["tab"], "on_hold");
    assert_eq!(second["holds"][0]["reason"], "incorrect_address");
    let why = second["holds"][0]["detail"].as_str().expect("detail");
    assert!(why.contains("postal_code"), "{why}");
    assert_eq!(second["lines"].as_array().map(Vec::len), Some(2));

    app.assert_counts(&[("all", 2), ("awaiting_order", 1), ("on_hold", 1)])
        .await;
    app.stop().await;
}

#[tokio::test]
async fn the_update_order_completed_fixture_is_stored_awaiting_order() {
    let app = woo_app().await;
    let detail = created_from_fixture(
        &app,
        "woocommerce-rest-api-docs.update-order-completed.json",
    )
    .await;
    assert_eq!(detail["name"], "#727");
    assert_eq!(detail["payment_status"], "paid");
    assert_eq!(detail["tab"], "awaiting_order");
    app.stop().await;
}

#[tokio::test]
async fn the_completed_update_of_727_is_applied_after_its_creation() {
    let app = woo_app().await;
    let created = &fixture_orders("woocommerce-rest-api-docs.retrieve-order.json")[0];
    let completed = &fixture_orders("woocommerce-rest-api-docs.update-order-completed.json")[0];
    let ack = send_created(&app, WOO_SITE, created).await;
    let id = order_id(&ack);
    let hook = woo_hook("order.updated", WOO_SITE, completed);
    let ack = acked_as(&app, &hook, "updated").await;
    assert_eq!(ack["order_id"], json!(id));
    // And the older creation snapshot arriving again late is stale.
    let late = woo_hook("order.updated", WOO_SITE, created);
    acked_as(&app, &late, "stale").await;
    assert_eq!(app.rows("orders").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn pending_and_on_hold_orders_wait_on_hold_for_payment() {
    let app = woo_app().await;
    let mut ids = Vec::new();
    // A sandbox order awaiting its gateway, and the docs' order awaiting a bank transfer.
    let pending = woocommerce::order_payload(9101, "pending");
    let mut on_hold = fixture_orders("woocommerce-rest-api-docs.retrieve-order.json")[0].clone();
    on_hold["status"] = json!("on-hold");
    for order in [&pending, &on_hold] {
        ids.push(created(&app, order).await);
    }
    for id in &ids {
        let detail = app.order_detail(id).await;
        assert_eq!(detail["tab"], "on_hold", "{detail}");
        assert_eq!(detail["payment_status"], "pending");
        assert_eq!(detail["holds"][0]["reason"], "awaiting_payment");
        assert_eq!(app.jobs_for(id, "order.route").await, 0);
    }

    // Payment arrives: processing, modified later.
    updated_on(&app, "order.updated", processing(9101), 1).await;
    let detail = app.order_detail(&ids[0]).await;
    assert_eq!(detail["tab"], "awaiting_order");
    assert_eq!(app.jobs_for(&ids[0], "order.route").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_cancelled_woocommerce_order_lands_in_canceled() {
    let app = woo_app().await;
    let ack = send_created(
        &app,
        WOO_SITE,
        &woocommerce::order_payload(9102, "cancelled"),
    )
    .await;
    let detail = app.order_detail(&order_id(&ack)).await;
    assert_eq!(detail["tab"], "canceled");
    assert_eq!(detail["cancel_reason"], "cancelled in store");
    app.stop().await;
}

#[tokio::test]
async fn a_bad_woocommerce_signature_is_401_and_nothing_is_stored() {
    let app = woo_app().await;
    let hook = woo_hook("order.created", WOO_SITE, &processing(9103));
    let response = app.send_woo(&hook, "some-other-webhook-secret").await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // The Shopify-style header name is not a WooCommerce signature.
    let headers: Vec<(&str, String)> = hook
        .headers(WOO_SECRET.as_bytes())
        .into_iter()
        .map(|(n, v)| match n {
            "X-WC-Webhook-Signature" => (n, woocommerce::sign(WOO_SECRET.as_bytes(), b"other")),
            _ => (n, v),
        })
        .collect();
    let response = app
        .post_raw("/webhooks/woocommerce", &headers, hook.body.clone())
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    app.assert_nothing_stored().await;
    app.stop().await;
}

#[tokio::test]
async fn each_missing_woocommerce_header_is_a_400_naming_it() {
    let app = woo_app().await;
    let hook = woo_hook("order.created", WOO_SITE, &processing(9104));
    let required = [
        "X-WC-Webhook-Signature",
        "X-WC-Webhook-Topic",
        "X-WC-Webhook-Source",
        "X-WC-Webhook-Delivery-ID",
    ];
    let headers = hook.headers(WOO_SECRET.as_bytes());
    app.assert_each_header_required("/webhooks/woocommerce", &headers, &hook.body, &required)
        .await;
    assert_eq!(app.rows("orders").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_woocommerce_site_is_a_404() {
    let app = woo_app().await;
    let hook = woo_hook(
        "order.created",
        "https://not-registered.example/",
        &processing(9105),
    );
    let response = app.send_woo(&hook, WOO_SECRET).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(app.rows("orders").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_source_with_a_trailing_slash_matches_a_store_registered_without_it() {
    let app = TestApp::spawn().await;
    let store_id = app
        .register_woo_store("https://sandbox-shop.example.com", WOO_SECRET)
        .await;
    let stores = app.api_json("/api/v1/stores").await;
    assert_eq!(stores[0]["domain"], "sandbox-shop.example.com");

    let hook = woo_hook(
        "order.created",
        "https://sandbox-shop.example.com/",
        &processing(9106),
    );
    let ack = acked_as(&app, &hook, "created").await;
    let detail = app.order_detail(&order_id(&ack)).await;
    assert_eq!(detail["store_id"], json!(store_id));

    // A store registered with the slash takes sources without it.
    app.register_woo_store("https://other-shop.example.com/", WOO_SECRET)
        .await;
    let hook = woo_hook(
        "order.created",
        "https://other-shop.example.com",
        &processing(9107),
    );
    acked_as(&app, &hook, "created").await;
    app.stop().await;
}

#[tokio::test]
async fn a_replayed_woocommerce_delivery_is_stored_once() {
    let app = woo_app().await;
    let hook = woo_hook("order.created", WOO_SITE, &processing(9108));
    for answer in ["created", "duplicate"] {
        acked_as(&app, &hook, answer).await;
    }
    app.assert_stored(1, 1).await;
    app.stop().await;
}

#[tokio::test]
async fn a_topic_dropflow_does_not_handle_is_acknowledged_and_ignored() {
    let app = woo_app().await;
    for (topic, body) in [
        ("order.deleted", json!({"id": 9109})),
        ("product.created", json!({"id": 1, "name": "Widget"})),
    ] {
        acked_as(&app, &woo_hook(topic, WOO_SITE, &body), "ignored").await;
    }
    assert_eq!(app.rows("webhook_receipts").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_woocommerce_order_missing_its_line_items_is_a_422_naming_them() {
    let app = woo_app().await;
    let mut order = processing(9110);
    order.as_object_mut().expect("object").remove("line_items");
    let hook = woo_hook("order.created", WOO_SITE, &order);
    let message = app.refused_woo(&hook).await;
    assert!(message.contains("line_items"), "{message}");
    let mut order = processing(9111);
    order["line_items"][0]["quantity"] = json!(0);
    let hook = woo_hook("order.created", WOO_SITE, &order);
    let message = app.refused_woo(&hook).await;
    assert!(message.contains("line_items[0].quantity"), "{message}");
    app.assert_nothing_stored().await;
    app.stop().await;
}

#[tokio::test]
async fn a_trashed_order_stays_canceled_when_restored() {
    let app = woo_app().await;
    let id = order_id(&send_created(&app, WOO_SITE, &processing(9120)).await);

    let trashed = woocommerce::order_payload(9120, "trash");
    updated_on(&app, "order.updated", trashed, 1).await;
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], "canceled");
    assert_eq!(detail["cancel_reason"], "trashed in store");

    updated_on(&app, "order.restored", processing(9120), 2).await;
    let detail = app.order_detail(&id).await;
    assert_eq!(
        detail["tab"], "canceled",
        "reopening is a merchant's decision"
    );
    assert_eq!(app.jobs_for(&id, "order.route").await, 1);
    app.stop().await;
}
