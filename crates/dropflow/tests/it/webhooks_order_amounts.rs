//! The order's shipping, discounts and taxes from a store webhook to `GET /api/v1/orders/{id}`
//! and the dashboard's order page, on both platforms: stored with every snapshot, replaced by
//! a later one, zero for payloads without them, and a malformed one refused naming the field.

use crate::dashboard_pages::Browser;
use crate::support::*;
use dropflow::storage::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The `amounts` of an order's detail.
async fn amounts(app: &TestApp, id: &str) -> Value {
    app.order_detail(id).await["amounts"].clone()
}

fn charged(shipping: i64, discounts: i64, taxes: i64, taxes_included: bool) -> Value {
    json!({
        "shipping_minor": shipping,
        "discounts_minor": discounts,
        "taxes_minor": taxes,
        "taxes_included": taxes_included,
    })
}

/// A sandbox Shopify order carrying the amounts of Shopify's own mock order #1001
/// (shopify-app-js 2025-07 `order.test.ts`: discounts "10.00", tax "11.94"), with
/// `shipping` as its shipping money bag, updated at `updated_at`.
fn shopify_order_with(id: u64, shipping: &str, updated_at: &str) -> Value {
    let mut order = shopify_order(id, "#7001", "paid", updated_at);
    order["total_discounts"] = json!("10.00");
    order["total_tax"] = json!("11.94");
    order["taxes_included"] = json!(false);
    order["total_shipping_price_set"]["shop_money"]["amount"] = json!(shipping);
    order
}

#[tokio::test]
async fn shopify_amounts_are_stored_and_follow_each_snapshot() {
    let app = TestApp::spawn_with_shop().await;
    let first = shopify_order_with(7_001, "4.99", "2024-05-01T10:00:00-05:00");
    let id = app.create_order(&first).await;
    assert_eq!(amounts(&app, &id).await, charged(499, 1000, 1194, false));

    // The shop changed the shipping: the later snapshot replaces the amounts like any field.
    let later = shopify_order_with(7_001, "9.99", "2024-05-01T11:00:00-05:00");
    let (_, ack) = app.shopify_order("orders/updated", &later).await;
    assert_eq!(order_id(&ack), id);
    assert_eq!(amounts(&app, &id).await, charged(999, 1000, 1194, false));

    // A stale snapshot (older `updated_at`) changes nothing.
    let stale = shopify_order_with(7_001, "1.00", "2024-05-01T09:00:00-05:00");
    app.shopify_order("orders/updated", &stale).await;
    assert_eq!(amounts(&app, &id).await, charged(999, 1000, 1194, false));

    // The order page shows them beside the total.
    member_token(&app, "owner@shop.example", Role::Owner, &[]).await;
    let mut owner = Browser::sign_in(&app, "owner@shop.example").await;
    let page = owner.page(&format!("/orders/{id}")).await;
    for shown in [
        "<dt>Shipping</dt><dd>9.99 USD</dd>",
        "<dt>Discounts</dt><dd>10.00 USD</dd>",
        "<dt>Taxes</dt><dd>11.94 USD (added to prices)</dd>",
    ] {
        assert!(page.contains(shown), "{shown} not in the order page");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_shopify_order_without_amounts_reads_zero_and_a_bad_one_is_refused() {
    let app = TestApp::spawn_with_shop().await;
    let mut bare = paid_order(7_002, "#7002");
    for field in [
        "total_shipping_price_set",
        "shipping_lines",
        "total_discounts",
        "total_tax",
        "taxes_included",
    ] {
        bare.as_object_mut().expect("object").remove(field);
    }
    let id = app.create_order(&bare).await;
    assert_eq!(amounts(&app, &id).await, charged(0, 0, 0, false));

    let mut bad = paid_order(7_003, "#7003");
    bad["total_tax"] = json!("11,94");
    let message = app.refused_order(&bad).await;
    assert!(message.contains("total_tax"), "{message}");
    app.stop().await;
}

#[tokio::test]
async fn woocommerce_amounts_of_the_documented_order_are_stored() {
    let app = TestApp::spawn().await;
    app.register_woo_store(WOO_SITE, WOO_SECRET).await;
    // WooCommerce's documented "Retrieve an order" response (see the fixture's SOURCE.md).
    let mut order = fixture_json("woocommerce/woocommerce-rest-api-docs.retrieve-order.json");
    let hook = woo_hook("order.created", WOO_SITE, &order);
    let ack = expect_json(app.send_woo(&hook, WOO_SECRET).await, StatusCode::OK).await;
    let id = order_id(&ack);
    assert_eq!(amounts(&app, &id).await, charged(1000, 0, 135, false));

    order["shipping_total"] = json!("12.50");
    order["prices_include_tax"] = json!(true);
    order["date_modified_gmt"] = json!("2030-01-01T00:00:00");
    let hook = woo_hook("order.updated", WOO_SITE, &order);
    expect_json(app.send_woo(&hook, WOO_SECRET).await, StatusCode::OK).await;
    assert_eq!(amounts(&app, &id).await, charged(1250, 0, 135, true));

    order["id"] = json!(7_004);
    order["discount_total"] = json!("abc");
    let hook = woo_hook("order.created", WOO_SITE, &order);
    let message = app.refused_woo(&hook).await;
    assert!(message.contains("discount_total"), "{message}");
    app.stop().await;
}
