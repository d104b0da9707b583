//! The Shopify refund connector against the Shopify Admin sandbox, in process, and its wire
//! shapes against documented examples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::admin::ShopifyAdmin;
use super::refund_wire::{
    draws, gid, idempotency_key, read_created, refund_input, uuid_v5, CalculateAnswer, Draw,
};
use crate::platforms::admin::{StoreAdmin, StoreApiError};
use crate::platforms::admin_refund::{case_in_note, RefundLine, RefundOutcome, RefundPush};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_sandbox::shopify_admin::{start, ShopifyAdminConfig, ShopifyAdminSandbox};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const CASE: &str = "0190f3c2-7d4e-7a11-b2c3-9f00aa11bb22";

/// An order of the sandbox's payload builder with at least two lines, its money rewritten
/// in `currency`: every line at `price`, shipping `shipping`, the total what they add up to.
fn order_in(id: u64, currency: &str, price: &str, shipping: &str) -> Value {
    let mut order = (id..id + 200)
        .map(|id| dropflow_sandbox::shopify::order_payload(id, "#1001", "paid"))
        .find(|o| o["line_items"].as_array().unwrap().len() >= 2)
        .unwrap();
    let cur = Currency::from_code(currency).unwrap();
    let unit = Money::parse_decimal(price, cur).unwrap().minor;
    let mut total = Money::parse_decimal(shipping, cur).unwrap().minor;
    for line in order["line_items"].as_array_mut().unwrap() {
        line["price"] = json!(price);
        total += unit * line["quantity"].as_i64().unwrap();
    }
    order["currency"] = json!(currency);
    order["presentment_currency"] = json!(currency);
    order["shipping_lines"][0]["price"] = json!(shipping);
    order["total_price"] = json!(Money::new(total, cur).to_decimal_string());
    order
}

async fn sandbox_with(config: ShopifyAdminConfig, order: &Value) -> (ShopifyAdminSandbox, u64) {
    let sandbox = start(config).await.unwrap();
    let id = sandbox.add_order(order).unwrap();
    (sandbox, id)
}

fn connector(sandbox: &ShopifyAdminSandbox) -> ShopifyAdmin {
    ShopifyAdmin::new(
        &sandbox.base_url,
        sandbox.access_token(),
        Duration::from_secs(2),
    )
}

/// `units` of the order's first line at `amount_minor`, and `shipping_minor`.
fn push(
    order: &Value,
    currency: &str,
    units: u32,
    amount_minor: i64,
    shipping_minor: i64,
) -> RefundPush {
    RefundPush {
        store_order_id: order["id"].to_string(),
        reference: CASE.to_string(),
        currency: Currency::from_code(currency).unwrap(),
        lines: vec![RefundLine {
            store_line_id: order["line_items"][0]["id"].to_string(),
            quantity: units,
            amount_minor,
        }],
        goods_minor: amount_minor,
        shipping_minor,
        restock: false,
        notify_customer: true,
        note: "Arrived damaged".to_string(),
    }
}

#[tokio::test]
async fn refunds_the_lines_and_shipping_with_the_amounts_asked() {
    let order = order_in(450_789_469, "USD", "19.99", "4.99");
    let (sandbox, id) = sandbox_with(ShopifyAdminConfig::default(), &order).await;
    let admin = connector(&sandbox);
    let asked = push(&order, "USD", 1, 1999, 250);
    let outcome = admin.refund(&asked).await.unwrap();
    let recorded = sandbox.refunds(id);
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(
        outcome,
        RefundOutcome::Refunded {
            store_refund_id: r.id.to_string(),
            amount_minor: 2249
        }
    );
    assert_eq!(r.amount_minor, 2249);
    assert_eq!(r.shipping_minor, 250);
    assert_eq!(r.note.as_deref(), Some(asked.store_note().as_str()));
    assert!(r.notify);
    assert!(!r.restock());
    let line = order["line_items"][0]["id"].as_u64().unwrap();
    assert_eq!(r.lines.len(), 1);
    assert_eq!((r.lines[0].line_item_id, r.lines[0].quantity), (line, 1));
    assert_eq!(r.lines[0].restock_type, "NO_RESTOCK");
    assert_eq!(r.lines[0].location_id, None);
    let (sale, _) = sandbox.sale(id).unwrap();
    assert_eq!(r.transactions.len(), 1);
    assert_eq!(r.transactions[0].parent_id, sale);
    assert_eq!(r.transactions[0].gateway, "bogus");
    assert_eq!(r.transactions[0].amount_text, "22.49");

    // Read back: the same refund, as the case checks it against the store.
    let back = admin.store_refunds(&id.to_string()).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].refund_id, r.id.to_string());
    assert_eq!((back[0].total_minor, back[0].shipping_minor), (2249, 250));
    assert_eq!(back[0].lines[0].line_id, line.to_string());
    assert_eq!(case_in_note(back[0].note.as_deref().unwrap()), Some(CASE));

    // Goods that came back are put back in stock, at the location Shopify suggests.
    let restocked = RefundPush {
        reference: "0190f3c2-0000-7000-8000-000000000002".to_string(),
        restock: true,
        ..push(&order, "USD", 1, 1999, 0)
    };
    admin.refund(&restocked).await.unwrap();
    let r = &sandbox.refunds(id)[1];
    assert!(r.restock());
    assert_eq!(r.lines[0].restock_type, "RETURN");
    assert_eq!(
        r.lines[0].location_id,
        Some(ShopifyAdminConfig::default().location_id)
    );
    assert_eq!(sandbox.total_refunded(id), 2249 + 1999);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_repeat_after_a_lost_answer_creates_nothing() {
    let order = order_in(450_789_469, "USD", "19.99", "4.99");
    let config = ShopifyAdminConfig {
        timeout_hold: Duration::from_secs(1),
        ..ShopifyAdminConfig::default()
    };
    let (sandbox, id) = sandbox_with(config, &order).await;
    let impatient = ShopifyAdmin::new(
        &sandbox.base_url,
        sandbox.access_token(),
        Duration::from_millis(300),
    );
    let asked = push(&order, "USD", 1, 1999, 0);
    sandbox.lose_next_refund_answer();
    assert_eq!(impatient.refund(&asked).await, Err(StoreApiError::Timeout));
    // The store acted although we never heard.
    let made = sandbox.refunds(id);
    assert_eq!(made.len(), 1);

    let again = connector(&sandbox).refund(&asked).await.unwrap();
    assert_eq!(
        again,
        RefundOutcome::AlreadyRefunded {
            store_refund_id: made[0].id.to_string(),
            amount_minor: 1999
        }
    );
    assert_eq!(sandbox.refund_count(), 1);
    assert_eq!(sandbox.total_refunded(id), 1999);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn throttled_calls_are_waited_out() {
    let order = order_in(450_789_469, "USD", "19.99", "4.99");
    let config = ShopifyAdminConfig {
        bucket_size: 2,
        leak_per_second: 2.0,
        ..ShopifyAdminConfig::default()
    };
    let (sandbox, id) = sandbox_with(config, &order).await;
    // Three calls (read back, calculate, refundCreate) into a bucket of two.
    let outcome = connector(&sandbox)
        .refund(&push(&order, "USD", 1, 1999, 0))
        .await;
    assert!(
        matches!(outcome, Ok(RefundOutcome::Refunded { .. })),
        "{outcome:?}"
    );
    assert!(sandbox.throttled_count() > 0, "the bucket never overflowed");
    assert_eq!(sandbox.refunds(id).len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn more_than_the_order_can_refund_is_refused_naming_the_amounts() {
    let order = order_in(450_789_469, "USD", "10.00", "5.00");
    let (sandbox, id) = sandbox_with(ShopifyAdminConfig::default(), &order).await;
    let admin = connector(&sandbox);
    let (_, paid) = sandbox.sale(id).unwrap();
    let too_much = push(&order, "USD", 1, paid - 499, 500);
    match admin.refund(&too_much).await {
        Err(StoreApiError::Refused(message)) => {
            let at_most = Money::new(paid, Currency::from_code("USD").unwrap());
            assert!(
                message.contains(&format!("at most {} USD", at_most.to_decimal_string())),
                "{message}"
            );
            assert!(
                message.contains(&format!(
                    "asks {} USD",
                    Money::new(paid + 1, at_most.currency).to_decimal_string()
                )),
                "{message}"
            );
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(sandbox.refund_count(), 0);

    // Half now; then what is left is refundable and a cent more is not.
    let half = push(&order, "USD", 1, 1000, 0);
    admin.refund(&half).await.unwrap();
    let rest = RefundPush {
        reference: "0190f3c2-0000-7000-8000-000000000003".to_string(),
        lines: Vec::new(),
        goods_minor: paid - 1000 - 500,
        ..push(&order, "USD", 1, 0, 501)
    };
    assert!(matches!(
        admin.refund(&rest).await,
        Err(StoreApiError::Refused(_))
    ));
    let exact = RefundPush {
        shipping_minor: 500,
        ..rest
    };
    admin.refund(&exact).await.unwrap();
    assert_eq!(sandbox.total_refunded(id), paid);
    assert_eq!(sandbox.refund_count(), 2);

    // Units the order does not have: Shopify's own refusal.
    let bought = order["line_items"][0]["quantity"].as_u64().unwrap() as u32;
    let units = RefundPush {
        reference: "0190f3c2-0000-7000-8000-000000000004".to_string(),
        ..push(&order, "USD", bought + 1, 0, 0)
    };
    assert!(matches!(
        admin.refund(&units).await,
        Err(StoreApiError::Refused(_))
    ));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn yen_and_dinar_amounts_are_exact() {
    for (currency, price, shipping, goods, ship, wire) in [
        ("JPY", "1200", "500", 1200, 500, "1700"),
        ("KWD", "12.345", "1.250", 12_345, 1_250, "13.595"),
    ] {
        let order = order_in(450_789_469, currency, price, shipping);
        let (sandbox, id) = sandbox_with(ShopifyAdminConfig::default(), &order).await;
        let admin = connector(&sandbox);
        let outcome = admin
            .refund(&push(&order, currency, 1, goods, ship))
            .await
            .unwrap();
        assert_eq!(outcome.amount_minor(), goods + ship, "{currency}");
        let r = &sandbox.refunds(id)[0];
        assert_eq!(r.transactions[0].amount_text, wire, "{currency}");
        assert_eq!(
            (r.amount_minor, r.shipping_minor),
            (goods + ship, ship),
            "{currency}"
        );
        let back = admin.store_refunds(&id.to_string()).await.unwrap();
        assert_eq!(
            back[0].currency,
            Some(Currency::from_code(currency).unwrap())
        );
        assert_eq!(back[0].total_minor, goods + ship, "{currency}");
        sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn unknown_orders_and_lines_and_a_wrong_token() {
    let order = order_in(450_789_469, "USD", "19.99", "4.99");
    let (sandbox, _) = sandbox_with(ShopifyAdminConfig::default(), &order).await;
    let admin = connector(&sandbox);
    let mut missing = push(&order, "USD", 1, 100, 0);
    missing.store_order_id = "1".to_string();
    assert!(matches!(
        admin.refund(&missing).await,
        Err(StoreApiError::NotFound(_))
    ));
    assert!(matches!(
        admin.store_refunds("1").await,
        Err(StoreApiError::NotFound(_))
    ));
    assert!(matches!(
        admin.store_refunds("#1001").await,
        Err(StoreApiError::NotFound(_))
    ));
    let mut line = push(&order, "USD", 1, 100, 0);
    line.lines[0].store_line_id = "42".to_string();
    assert!(matches!(
        admin.refund(&line).await,
        Err(StoreApiError::Refused(_))
    ));
    let wrong = ShopifyAdmin::new(&sandbox.base_url, "shpat_wrong", Duration::from_secs(2));
    let refused = wrong.refund(&push(&order, "USD", 1, 100, 0)).await;
    assert!(
        matches!(refused, Err(StoreApiError::Unauthorized(_))),
        "{refused:?}"
    );
    assert_eq!(sandbox.refund_count(), 0);
    sandbox.shutdown().await;
}

/// The calculate answer of the official library's mock test_6
/// (`Shopify/shopify-app-js@0ded5634dccae1e16a10e8b7b9a0f0cd8523b6aa`,
/// `packages/apps/shopify-api/rest/admin/__tests__/2025-07/refund.test.ts`, copied in
/// `docs/protocols/after-sale.md` §1.3): one suggested transaction from parent 801038806
/// through `bogus`, at most 41.94.
const SDK_CALCULATE: &str = r#"{"refund": {"duties": [], "total_duties_set": {"shop_money": {"amount": "0.00", "currency_code": "USD"}, "presentment_money": {"amount": "0.00", "currency_code": "USD"}}, "return": null, "shipping": {"amount": "0.00", "tax": "0.00", "maximum_refundable": "0.00"}, "additional_fees": [], "total_additional_fees_set": {"shop_money": {"amount": "0.00", "currency_code": "USD"}, "presentment_money": {"amount": "0.00", "currency_code": "USD"}}, "refund_shipping_lines": [], "refund_line_items": [{"quantity": 1, "line_item_id": "518995019", "location_id": null, "restock_type": "no_restock", "price": "199.00", "subtotal": "195.67", "total_tax": "3.98", "discounted_price": "199.00", "discounted_total_price": "199.00", "total_cart_discount_amount": "3.33"}], "transactions": [{"order_id": "450789469", "kind": "suggested_refund", "gateway": "bogus", "parent_id": "801038806", "amount": "41.94", "currency": "USD", "maximum_refundable": "41.94"}], "currency": "USD"}}"#;

fn sdk_push(goods_minor: i64) -> RefundPush {
    RefundPush {
        store_order_id: "450789469".to_string(),
        reference: CASE.to_string(),
        currency: Currency::from_code("USD").unwrap(),
        lines: vec![RefundLine {
            store_line_id: "518995019".to_string(),
            quantity: 1,
            amount_minor: goods_minor,
        }],
        goods_minor,
        shipping_minor: 0,
        restock: false,
        notify_customer: true,
        note: "wrong size".to_string(),
    }
}

#[test]
fn the_sdk_calculate_answer_is_drawn_from_up_to_its_maximum() {
    let answer: CalculateAnswer = serde_json::from_str(SDK_CALCULATE).unwrap();
    assert_eq!(
        draws(&sdk_push(4194), &answer.refund).unwrap(),
        vec![Draw {
            parent_id: "801038806".to_string(),
            gateway: "bogus".to_string(),
            amount_minor: 4194
        }]
    );
    assert_eq!(
        draws(&sdk_push(1000), &answer.refund).unwrap()[0].amount_minor,
        1000
    );
    assert_eq!(
        draws(&sdk_push(4195), &answer.refund),
        Err(StoreApiError::Refused(
            "the order can refund at most 41.94 USD; the case asks 41.95 USD".to_string()
        ))
    );
    let mut yen = sdk_push(100);
    yen.currency = Currency::from_code("JPY").unwrap();
    assert!(matches!(
        draws(&yen, &answer.refund),
        Err(StoreApiError::Refused(_))
    ));
}

/// The variables of the documented example "Create a refund with a note and transaction"
/// (https://shopify.dev/docs/admin-api/graphql/reference/mutation/refundcreate, version
/// 2025-01), verbatim: our input for the same refund has the same fields with the same
/// values, and adds what the example leaves out (currency, notify, restock type). The
/// example writes `"10.0"`; we write the currency's exact decimals, `"10.00"`.
#[test]
fn the_input_has_the_documented_shape() {
    let documented: Value = serde_json::from_str(
        r#"{"input": {"orderId": "gid://shopify/Order/734509473", "note": "Want to exchange for a different item", "refundLineItems": [{"lineItemId": "gid://shopify/LineItem/25746870", "quantity": 2}], "transactions": [{"orderId": "gid://shopify/Order/734509473", "gateway": "foo", "kind": "REFUND", "amount": "10.0", "parentId": "gid://shopify/OrderTransaction/723599266"}]}}"#,
    )
    .unwrap();
    let asked = RefundPush {
        store_order_id: "734509473".to_string(),
        reference: CASE.to_string(),
        currency: Currency::from_code("USD").unwrap(),
        lines: vec![RefundLine {
            store_line_id: "25746870".to_string(),
            quantity: 2,
            amount_minor: 1000,
        }],
        goods_minor: 1000,
        shipping_minor: 0,
        restock: false,
        notify_customer: false,
        note: "Want to exchange for a different item".to_string(),
    };
    let draw = Draw {
        parent_id: "723599266".to_string(),
        gateway: "foo".to_string(),
        amount_minor: 1000,
    };
    let ours = refund_input(
        &asked,
        "734509473",
        &[25_746_870],
        &[draw],
        &BTreeMap::new(),
    );
    let example = &documented["input"];
    assert_eq!(ours["orderId"], example["orderId"]);
    assert_eq!(
        ours["note"],
        format!("Want to exchange for a different item (dropflow case {CASE})")
    );
    let line = &ours["refundLineItems"][0];
    assert_eq!(
        line["lineItemId"],
        example["refundLineItems"][0]["lineItemId"]
    );
    assert_eq!(line["quantity"], example["refundLineItems"][0]["quantity"]);
    assert_eq!(line["restockType"], "NO_RESTOCK");
    assert!(line.get("locationId").is_none());
    let mut tx = ours["transactions"][0].clone();
    assert_eq!(tx["amount"], "10.00");
    tx["amount"] = json!("10.0");
    assert_eq!(tx, example["transactions"][0]);
    assert_eq!(
        (ours["currency"].as_str(), ours["notify"].as_bool()),
        (Some("USD"), Some(false))
    );
    assert!(ours.get("shipping").is_none());
    assert_eq!(gid("Refund", "1"), "gid://shopify/Refund/1");
}

/// UUID v5 against the example of Python's `uuid` documentation
/// (https://docs.python.org/3/library/uuid.html: `uuid.uuid5(uuid.NAMESPACE_DNS,
/// 'python.org')` is `886313e1-3b8a-5372-9b90-0c9aee199e5d`); the key is the same for the
/// same case and request, and another for another request.
#[test]
fn keys_are_uuid_v5_of_the_case_and_the_request() {
    let dns = uuid::Uuid::parse_str("6ba7b810-9dad-11d1-80b4-00c04fd430c8").unwrap();
    assert_eq!(
        uuid_v5(dns.as_bytes(), b"python.org").to_string(),
        "886313e1-3b8a-5372-9b90-0c9aee199e5d"
    );
    let input = json!({"orderId": "gid://shopify/Order/1", "note": "x"});
    let key = idempotency_key(CASE, &input);
    assert_eq!(key, idempotency_key(CASE, &input.clone()));
    assert_eq!(uuid::Uuid::parse_str(&key).unwrap().get_version_num(), 5);
    assert_ne!(key, idempotency_key("another-case", &input));
    assert_ne!(
        key,
        idempotency_key(CASE, &json!({"orderId": "gid://shopify/Order/2"}))
    );
}

#[test]
fn graphql_answers_map_onto_store_errors() {
    let usd = Currency::from_code("USD").unwrap();
    let read = |body: &str| read_created(serde_json::from_str(body).unwrap(), usd);
    // A throttled answer as captured on the Shopify community forum
    // (https://community.shopify.com/t/throttled/254776).
    let throttled = r#"{"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}], "extensions": {"cost": {"requestedQueryCost": 752, "actualQueryCost": null, "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 666, "restoreRate": 50.0}}}}"#;
    assert_eq!(
        read(throttled),
        Err(StoreApiError::RateLimited { retry_after: None })
    );
    let busy = r#"{"errors": [{"message": "This request is currently in progress, please try again.", "extensions": {"code": "IDEMPOTENCY_CONCURRENT_REQUEST"}}]}"#;
    assert!(read(busy).unwrap_err().is_transient());
    let refused = r#"{"data": {"refundCreate": {"refund": null, "userErrors": [{"field": ["transactions", "0", "amount"], "message": "Amount is too large"}]}}}"#;
    assert_eq!(
        read(refused),
        Err(StoreApiError::Refused(
            "transactions.0.amount: Amount is too large".to_string()
        ))
    );
    let made = r#"{"data": {"refundCreate": {"refund": {"id": "gid://shopify/Refund/929361472", "legacyResourceId": "929361472", "note": "n", "totalRefundedSet": {"presentmentMoney": {"amount": "41.94", "currencyCode": "USD"}}}, "userErrors": []}}}"#;
    assert_eq!(read(made), Ok(("929361472".to_string(), 4194)));
    let other_currency = made.replace("\"currencyCode\": \"USD\"", "\"currencyCode\": \"EUR\"");
    assert!(matches!(
        read(&other_currency),
        Err(StoreApiError::Protocol(_))
    ));
    assert!(matches!(
        read(r#"{"data": {"refundCreate": null}}"#),
        Err(StoreApiError::Protocol(_))
    ));
}
