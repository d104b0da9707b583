//! Refunds over real HTTP: what WooCommerce makes, shows and refuses.

use super::tests::basic;
use super::*;
use crate::faults::Faults;
use serde_json::json;

const ORDER: u64 = 731;
/// `order_in_currency(ORDER, …)`'s line and shipping ids.
const LINE_A: u64 = ORDER * 1000 + 1;
const LINE_B: u64 = ORDER * 1000 + 2;
const SHIPPING: u64 = ORDER * 1000 + 900;

/// USD 2 × 12.50 + 1 × 9.99, shipping 5.00: total 39.99, paid by card (Stripe).
async fn sandbox() -> WooAdminSandbox {
    let sandbox = start(WooAdminConfig::default()).await.unwrap();
    let order = crate::woocommerce::order_in_currency(
        ORDER,
        "processing",
        "USD",
        2,
        &[(2, 1250), (1, 999)],
        500,
    );
    assert_eq!(order["total"], "39.99");
    sandbox.add_order(&order).unwrap();
    sandbox
}

/// Sends with Basic auth; the status, the JSON body and `X-WP-Total`.
async fn call(
    sandbox: &WooAdminSandbox,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, Option<String>) {
    let url = format!("{}/wp-json/wc/v3/{path}", sandbox.base_url);
    let mut request = reqwest::Client::new()
        .request(method.parse().unwrap(), url)
        .header("Authorization", basic(sandbox));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let total = response
        .headers()
        .get("X-WP-Total")
        .map(|v| v.to_str().unwrap().to_string());
    (status, response.json().await.unwrap_or(Value::Null), total)
}

fn refunds_path() -> String {
    format!("orders/{ORDER}/refunds")
}

/// Asks for a refund of `ORDER`; the status and the JSON body.
async fn post_refund(sandbox: &WooAdminSandbox, body: Value) -> (u16, Value) {
    let (status, body, _) = call(sandbox, "POST", &refunds_path(), Some(body)).await;
    (status, body)
}

#[tokio::test]
async fn a_line_and_shipping_refund_is_made_and_shown_as_woocommerce_shows_it() {
    let sandbox = sandbox().await;
    let (status, refund) = post_refund(
        &sandbox,
        json!({
            "amount": "17.50",
            "reason": "Damaged (dropflow case c-1)",
            "api_refund": true,
            "api_restock": false,
            "line_items": [
                {"id": LINE_A, "quantity": 1, "refund_total": "12.50"},
                {"id": SHIPPING, "refund_total": "5.00"}
            ],
            "meta_data": [{"key": "_dropflow_case", "value": "c-1"}]
        }),
    )
    .await;
    assert_eq!(status, 201, "{refund}");
    assert_eq!(refund["amount"], "17.50");
    assert_eq!(refund["reason"], "Damaged (dropflow case c-1)");
    assert_eq!(refund["refunded_payment"], true);
    assert_eq!(refund["meta_data"][0]["key"], "_dropflow_case");
    assert_eq!(refund["meta_data"][0]["value"], "c-1");
    let line = &refund["line_items"][0];
    assert_eq!(line["quantity"], -1);
    assert_eq!(line["total"], "-12.50");
    assert_eq!(line["subtotal"], "-12.50");
    assert_eq!(line["price"], -12.5);
    assert_ne!(line["id"], LINE_A);
    assert_eq!(line["meta_data"][0]["key"], "_refunded_item_id");
    assert_eq!(line["meta_data"][0]["value"], LINE_A.to_string());
    let shipping = &refund["shipping_lines"][0];
    assert_eq!(shipping["total"], "-5.00");
    assert_eq!(shipping["meta_data"][0]["value"], SHIPPING.to_string());
    assert_eq!(refund["line_items"].as_array().unwrap().len(), 1);

    let id = refund["id"].as_u64().unwrap();
    let order = sandbox.order(ORDER).unwrap();
    assert_eq!(
        order["refunds"],
        json!([{"id": id, "reason": "Damaged (dropflow case c-1)", "total": "-17.50"}])
    );
    assert_eq!(order["status"], "processing");
    let records = sandbox.refunds(ORDER);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].amount, "17.5");
    assert_eq!(records[0].lines, vec![(LINE_A, -1, "-12.5".to_string())]);
    assert_eq!(records[0].shipping, vec![(SHIPPING, "-5".to_string())]);
    assert!(!records[0].restock);
    assert_eq!(sandbox.refunded_total(ORDER).as_deref(), Some("17.50"));

    let (status, list, total) = call(&sandbox, "GET", &refunds_path(), None).await;
    assert_eq!(status, 200);
    assert_eq!(total.as_deref(), Some("1"));
    assert_eq!(list[0], refund);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn what_woocommerce_refuses_is_refused_and_leaves_nothing() {
    let sandbox = sandbox().await;
    let post = |body: Value| post_refund(&sandbox, body);
    // More than the order's total: wc_create_refund's error, answered 500.
    let (status, over) = post(json!({"amount": "40.00", "api_refund": false})).await;
    assert_eq!(status, 500);
    assert_eq!(over["code"], "woocommerce_rest_cannot_create_order_refund");
    assert_eq!(over["message"], "Invalid refund amount.");
    // Negative: the controller's own 400.
    let (status, negative) = post(json!({"amount": "-1.00"})).await;
    assert_eq!(status, 400);
    assert_eq!(negative["code"], "woocommerce_rest_invalid_order_refund");
    // `amount` is a string in the route's schema.
    let (status, number) = post(json!({"amount": 5})).await;
    assert_eq!(status, 400);
    assert_eq!(number["code"], "rest_invalid_param");
    assert_eq!(
        number["data"]["params"]["amount"],
        "amount is not of type string."
    );
    let (status, _) = post(json!({"amount": "1.00", "api_refund": "maybe"})).await;
    assert_eq!(status, 400);
    // Unknown order.
    let (status, unknown, _) = call(&sandbox, "POST", "orders/1/refunds", Some(json!({}))).await;
    assert_eq!(status, 404);
    assert_eq!(unknown["code"], "woocommerce_rest_invalid_order_id");
    assert!(sandbox.refunds(ORDER).is_empty());

    // What is left after a refund is what may still go back.
    assert_eq!(
        post(json!({"amount": "30.00", "api_refund": false}))
            .await
            .0,
        201
    );
    let (status, over) = post(json!({"amount": "10.00", "api_refund": false})).await;
    assert_eq!(
        (status, over["message"].clone()),
        (500, json!("Invalid refund amount."))
    );
    assert_eq!(
        post(json!({"amount": "9.99", "api_refund": false})).await.0,
        201
    );
    // Nothing left: the order is refunded.
    assert_eq!(sandbox.order_status(ORDER).as_deref(), Some("refunded"));
    assert!(sandbox
        .notes(ORDER)
        .iter()
        .any(|n| n.note == "Order status changed from Processing to Refunded."));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_offline_gateway_cannot_refund_through_the_api() {
    let sandbox = sandbox().await;
    let mut order = sandbox.order(ORDER).unwrap();
    order["payment_method"] = json!("bacs");
    sandbox.add_order(&order).unwrap();
    let (status, refused) =
        post_refund(&sandbox, json!({"amount": "5.00", "api_refund": true})).await;
    assert_eq!(status, 500);
    assert_eq!(
        refused["code"],
        "woocommerce_rest_cannot_create_order_refund"
    );
    assert_eq!(
        refused["message"],
        "The payment gateway for this order does not support automatic refunds."
    );
    assert!(sandbox.refunds(ORDER).is_empty());
    // Refunded by hand (api_refund false), it goes through.
    let (status, refund) =
        post_refund(&sandbox, json!({"amount": "5.00", "api_refund": false})).await;
    assert_eq!(status, 201);
    assert_eq!(refund["refunded_payment"], false);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn lines_are_not_checked_beyond_the_amount_as_in_wc_create_refund() {
    // wc_create_refund checks the amount only: a quantity above the line's and an id the
    // order does not have are let through (the id is skipped). The connector has to check.
    let sandbox = sandbox().await;
    let (status, refund) = post_refund(
        &sandbox,
        json!({
            "amount": "9.99",
            "api_refund": false,
            "line_items": [
                {"id": LINE_B, "quantity": 5, "refund_total": "9.99"},
                {"id": 424242, "quantity": 1, "refund_total": "1.00"}
            ]
        }),
    )
    .await;
    assert_eq!(status, 201, "{refund}");
    assert_eq!(refund["line_items"].as_array().unwrap().len(), 1);
    assert_eq!(refund["line_items"][0]["quantity"], -5);
    // Without `amount`, the lines' numbers add up to it (RestApiUtil).
    let (status, summed) = post_refund(
        &sandbox,
        json!({
            "api_refund": false,
            "line_items": [{"id": LINE_A, "quantity": 1, "refund_total": 12.5,
                "refund_tax": [{"id": 1, "refund_total": 0.5}]}]
        }),
    )
    .await;
    assert_eq!(status, 201, "{summed}");
    assert_eq!(summed["amount"], "13.00");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn merchant_refunds_list_newest_first_in_pages() {
    let sandbox = sandbox().await;
    let first = sandbox
        .refund_in_admin(
            ORDER,
            &json!({"amount": "1.00", "reason": "Goodwill", "api_refund": false}),
        )
        .unwrap();
    let second = sandbox
        .refund_in_admin(ORDER, &json!({"amount": "2.00", "api_refund": true}))
        .unwrap();
    assert!(second > first);
    assert!(sandbox
        .refund_in_admin(ORDER, &json!({"amount": "99.00"}))
        .unwrap_err()
        .contains("Invalid refund amount."));
    let (_, page, total) = call(
        &sandbox,
        "GET",
        &format!("{}?per_page=1&page=2", refunds_path()),
        None,
    )
    .await;
    assert_eq!(total.as_deref(), Some("2"));
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["id"], first);
    assert_eq!(page[0]["reason"], "Goodwill");
    let (_, newest, _) = call(&sandbox, "GET", &refunds_path(), None).await;
    assert_eq!(newest[0]["id"], second);
    assert_eq!(newest[0]["reason"], "");
    let (status, _, _) = call(
        &sandbox,
        "GET",
        &format!("{}?per_page=101", refunds_path()),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let order = sandbox.order(ORDER).unwrap();
    assert_eq!(order["refunds"][0]["total"], "-2.00");
    assert_eq!(order["refunds"][1]["total"], "-1.00");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn setting_refunded_by_hand_refunds_the_rest_without_the_gateway() {
    let sandbox = sandbox().await;
    sandbox
        .refund_in_admin(ORDER, &json!({"amount": "9.99", "api_refund": false}))
        .unwrap();
    let (status, _, _) = call(
        &sandbox,
        "PUT",
        &format!("orders/{ORDER}"),
        Some(json!({"status": "refunded"})),
    )
    .await;
    assert_eq!(status, 200);
    let records = sandbox.refunds(ORDER);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].amount, "30");
    assert_eq!(records[1].reason.as_deref(), Some("Order fully refunded."));
    assert!(!records[1].refunded_payment);
    assert_eq!(sandbox.refunded_total(ORDER).as_deref(), Some("39.99"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn store_decimals_shape_the_amounts() {
    let sandbox = start(WooAdminConfig {
        price_decimals: 0,
        ..WooAdminConfig::default()
    })
    .await
    .unwrap();
    let order =
        crate::woocommerce::order_in_currency(ORDER, "processing", "JPY", 0, &[(2, 1500)], 700);
    sandbox.add_order(&order).unwrap();
    let (status, refund) = post_refund(
        &sandbox,
        json!({"amount": "1500", "api_refund": false,
            "line_items": [{"id": LINE_A, "quantity": 1, "refund_total": "1500"}]}),
    )
    .await;
    assert_eq!(status, 201, "{refund}");
    assert_eq!(refund["amount"], "1500");
    assert_eq!(refund["line_items"][0]["total"], "-1500");
    assert_eq!(
        sandbox.order(ORDER).unwrap()["refunds"][0]["total"],
        "-1500"
    );
    // `dp` asks for other decimals.
    let (_, list, _) = call(&sandbox, "GET", &format!("{}?dp=2", refunds_path()), None).await;
    assert_eq!(list[0]["amount"], "1500.00");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn faults_apply_and_a_timed_out_refund_may_still_be_made() {
    let sandbox = sandbox().await;
    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let (status, _, _) = call(&sandbox, "GET", &refunds_path(), None).await;
    assert!(status >= 500);
    sandbox.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(call(&sandbox, "GET", &refunds_path(), None).await.0, 429);

    sandbox.faults.set(Faults {
        timeout_rate: 1.0,
        place_despite_timeout: true,
        ..Faults::default()
    });
    let url = format!("{}/wp-json/wc/v3/{}", sandbox.base_url, refunds_path());
    let lost = reqwest::Client::new()
        .post(url)
        .header("Authorization", basic(&sandbox))
        .json(&json!({"amount": "1.00", "api_refund": false}))
        .timeout(std::time::Duration::from_millis(300))
        .send()
        .await;
    assert!(lost.is_err());
    sandbox.faults.set(Faults::default());
    assert_eq!(sandbox.refunds(ORDER).len(), 1);
    sandbox.shutdown().await;
}
