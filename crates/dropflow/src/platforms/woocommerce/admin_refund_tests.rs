//! Refunds through the WooCommerce connector against the WooCommerce REST sandbox, in
//! process, and the REST docs' own refund list read back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::admin_refund::Prepared;
use super::admin_tests::{connector, connector_waiting};
use super::refund_wire::{parse_created, parse_refunds};
use crate::platforms::admin::{StoreAdmin, StoreApiError};
use crate::platforms::admin_refund::{RefundLine, RefundOutcome, RefundPush};
use dropflow_core::after_sale::{CaseLine, StoreRefund};
use dropflow_core::reference::currency::Currency;
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::woocommerce::order_in_currency;
use dropflow_sandbox::woocommerce_admin::{start, WooAdminConfig, WooAdminSandbox};
use serde_json::{json, Value};
use std::time::Duration;

const ORDER: u64 = 731;
const LINE_A: u64 = ORDER * 1000 + 1;
const LINE_B: u64 = ORDER * 1000 + 2;
const SHIPPING: u64 = ORDER * 1000 + 900;
const CASE: &str = "0190f3c2-7d4e-7a11-b2c3-9f00aa11bb22";

/// The REST docs' "List all refunds" example (`tests/fixtures/woocommerce/SOURCE.md`).
const DOCS_REFUNDS: &str =
    include_str!("../../../tests/fixtures/woocommerce/woocommerce-rest-api-docs.list-refunds.json");

fn currency(code: &str) -> Currency {
    Currency::from_code(code).unwrap()
}

/// A store with `decimals` price decimals holding order [`ORDER`].
async fn store(decimals: u32, order: Value) -> WooAdminSandbox {
    let sandbox = start(WooAdminConfig {
        price_decimals: decimals,
        ..WooAdminConfig::default()
    })
    .await
    .unwrap();
    sandbox.add_order(&order).unwrap();
    sandbox
}

/// USD, 2 × 12.50 and 1 × 9.99, shipping 5.00: 39.99, paid by card.
async fn usd_store() -> WooAdminSandbox {
    store(
        2,
        order_in_currency(ORDER, "processing", "USD", 2, &[(2, 1250), (1, 999)], 500),
    )
    .await
}

/// One unit of line A (12.50) and the shipping (5.00), in USD.
fn push() -> RefundPush {
    RefundPush {
        store_order_id: ORDER.to_string(),
        reference: CASE.to_string(),
        currency: currency("USD"),
        lines: vec![RefundLine {
            store_line_id: LINE_A.to_string(),
            quantity: 1,
            amount_minor: 1250,
        }],
        goods_minor: 1250,
        shipping_minor: 500,
        restock: false,
        notify_customer: true,
        note: "Arrived broken".to_string(),
    }
}

#[tokio::test]
async fn a_refund_goes_back_with_its_lines_and_shipping() {
    let sandbox = usd_store().await;
    let outcome = connector(&sandbox).refund(&push()).await.unwrap();
    let made = sandbox.refunds(ORDER);
    assert_eq!(made.len(), 1);
    assert_eq!(
        outcome,
        RefundOutcome::Refunded {
            store_refund_id: made[0].id.to_string(),
            amount_minor: 1750
        }
    );
    assert_eq!(made[0].amount, "17.5");
    assert_eq!(
        made[0].reason.as_deref(),
        Some(format!("Arrived broken (dropflow case {CASE})").as_str())
    );
    assert_eq!(made[0].lines, vec![(LINE_A, -1, "-12.5".to_string())]);
    assert_eq!(made[0].shipping, vec![(SHIPPING, "-5".to_string())]);
    assert_eq!(
        made[0].meta_data,
        vec![("_dropflow_case".to_string(), json!(CASE))]
    );
    assert!(made[0].refunded_payment, "api_refund: the gateway pays");
    assert!(!made[0].restock);
    let order = sandbox.order(ORDER).unwrap();
    assert_eq!(order["refunds"][0]["total"], "-17.50");
    assert_eq!(order["status"], "processing");

    // A restocking refund of the other line says so.
    let mut second = push();
    second.reference = "case-2".to_string();
    second.lines = vec![RefundLine {
        store_line_id: LINE_B.to_string(),
        quantity: 1,
        amount_minor: 999,
    }];
    second.goods_minor = 999;
    second.shipping_minor = 0;
    second.restock = true;
    connector(&sandbox).refund(&second).await.unwrap();
    let made = sandbox.refunds(ORDER);
    assert!(made[1].restock);
    assert!(made[1].shipping.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_repeat_after_a_lost_answer_creates_nothing_new() {
    let sandbox = usd_store().await;
    let admin = connector(&sandbox);
    let Prepared::Create { order_id, body } = admin.prepare_refund(&push()).await.unwrap() else {
        panic!("nothing refunded yet");
    };
    // The store makes the refund, and the answer never comes.
    sandbox.faults.set(Faults {
        timeout_rate: 1.0,
        place_despite_timeout: true,
        ..Faults::default()
    });
    let impatient = connector_waiting(&sandbox, Duration::from_millis(300));
    let lost = impatient
        .create_refund(&order_id, &body, currency("USD"))
        .await;
    assert_eq!(lost, Err(StoreApiError::Timeout));
    sandbox.faults.set(Faults::default());
    let made = sandbox.refunds(ORDER);
    assert_eq!(made.len(), 1, "the store acted");

    let repeat = admin.refund(&push()).await.unwrap();
    assert_eq!(
        repeat,
        RefundOutcome::AlreadyRefunded {
            store_refund_id: made[0].id.to_string(),
            amount_minor: 1750
        }
    );
    assert_eq!(admin.refund(&push()).await.unwrap(), repeat);
    assert_eq!(sandbox.refunds(ORDER).len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_marker_in_the_reason_alone_is_enough() {
    // A refund whose meta entry was never written (the controller writes meta after the
    // refund): the reason still names the case.
    let sandbox = usd_store().await;
    let id = sandbox
        .refund_in_admin(
            ORDER,
            &json!({"amount": "3.00", "api_refund": false,
                "reason": format!("Partial (dropflow case {CASE})")}),
        )
        .unwrap();
    let outcome = connector(&sandbox).refund(&push()).await.unwrap();
    assert_eq!(
        outcome,
        RefundOutcome::AlreadyRefunded {
            store_refund_id: id.to_string(),
            amount_minor: 300
        }
    );
    assert_eq!(sandbox.refunds(ORDER).len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn over_refunds_and_bad_lines_are_refused() {
    let sandbox = usd_store().await;
    let admin = connector(&sandbox);
    // More money than the order has left: WooCommerce's 500, read as its refusal.
    let mut greedy = push();
    greedy.shipping_minor = 3000;
    let refused = admin.refund(&greedy).await;
    let Err(StoreApiError::Refused(message)) = &refused else {
        panic!("{refused:?}");
    };
    assert!(message.contains("Invalid refund amount."), "{message}");
    assert!(!refused.unwrap_err().is_transient());

    // More units than the line has: WooCommerce would take it, so the connector refuses.
    let mut too_many = push();
    too_many.lines[0].quantity = 3;
    let refused = admin.refund(&too_many).await;
    assert!(
        matches!(&refused, Err(StoreApiError::Refused(m)) if m.contains("2 left")),
        "{refused:?}"
    );

    // A line the order does not have: WooCommerce would skip it without a word.
    let mut stranger = push();
    stranger.lines[0].store_line_id = "999999".to_string();
    assert!(matches!(
        admin.refund(&stranger).await,
        Err(StoreApiError::Refused(_))
    ));

    // The wrong currency.
    let mut euros = push();
    euros.currency = currency("EUR");
    assert!(matches!(
        admin.refund(&euros).await,
        Err(StoreApiError::Refused(_))
    ));
    assert!(sandbox.refunds(ORDER).is_empty());

    // Units already refunded are not left.
    let mut first = push();
    first.reference = "case-1".to_string();
    first.lines[0].quantity = 2;
    first.goods_minor = 2500;
    first.lines[0].amount_minor = 2500;
    admin.refund(&first).await.unwrap();
    let again = admin.refund(&push()).await;
    assert!(
        matches!(&again, Err(StoreApiError::Refused(m)) if m.contains("0 left")),
        "{again:?}"
    );

    // Unknown order.
    let mut missing = push();
    missing.store_order_id = "1".to_string();
    assert!(matches!(
        admin.refund(&missing).await,
        Err(StoreApiError::NotFound(_))
    ));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_gateway_that_cannot_refund_is_a_refusal() {
    let mut order = order_in_currency(ORDER, "processing", "USD", 2, &[(2, 1250)], 500);
    order["payment_method"] = json!("cod");
    let sandbox = store(2, order).await;
    let refused = connector(&sandbox).refund(&push()).await;
    assert_eq!(
        refused,
        Err(StoreApiError::Refused(
            "The payment gateway for this order does not support automatic refunds. \
             (woocommerce_rest_cannot_create_order_refund)"
                .to_string()
        ))
    );
    assert!(sandbox.refunds(ORDER).is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn faults_are_transient() {
    let sandbox = usd_store().await;
    let admin = connector(&sandbox);
    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let down = admin.refund(&push()).await;
    assert!(
        matches!(down, Err(StoreApiError::Unavailable(_))),
        "{down:?}"
    );
    sandbox.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let busy = admin.store_refunds(&ORDER.to_string()).await;
    assert!(
        matches!(busy, Err(StoreApiError::RateLimited { .. })),
        "{busy:?}"
    );
    sandbox.faults.set(Faults::default());
    assert!(sandbox.refunds(ORDER).is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn yen_and_dinar_amounts_are_exact() {
    // JPY: no decimals; the store shows none either.
    let sandbox = store(
        0,
        order_in_currency(ORDER, "processing", "JPY", 0, &[(2, 1500)], 700),
    )
    .await;
    let mut yen = push();
    yen.currency = currency("JPY");
    yen.lines[0].amount_minor = 1500;
    yen.goods_minor = 1500;
    yen.shipping_minor = 700;
    let outcome = connector(&sandbox).refund(&yen).await.unwrap();
    assert_eq!(outcome.amount_minor(), 2200);
    let made = sandbox.refunds(ORDER);
    assert_eq!(made[0].amount, "2200");
    assert_eq!(made[0].lines, vec![(LINE_A, -1, "-1500".to_string())]);
    assert_eq!(made[0].shipping, vec![(SHIPPING, "-700".to_string())]);
    sandbox.shutdown().await;

    // KWD: three decimals, in a store left at WooCommerce's default of two (`dp` reads the
    // refund back exactly all the same).
    let sandbox = store(
        2,
        order_in_currency(ORDER, "processing", "KWD", 3, &[(1, 12_345)], 1_500),
    )
    .await;
    let mut dinar = push();
    dinar.currency = currency("KWD");
    dinar.lines[0].amount_minor = 12_345;
    dinar.goods_minor = 12_345;
    dinar.shipping_minor = 1_250;
    let admin = connector(&sandbox);
    let outcome = admin.refund(&dinar).await.unwrap();
    assert_eq!(outcome.amount_minor(), 13_595);
    let made = sandbox.refunds(ORDER);
    assert_eq!(made[0].amount, "13.595");
    assert_eq!(made[0].lines, vec![(LINE_A, -1, "-12.345".to_string())]);
    assert_eq!(made[0].shipping, vec![(SHIPPING, "-1.25".to_string())]);
    let read = admin.store_refunds(&ORDER.to_string()).await.unwrap();
    assert_eq!(read[0].total_minor, 13_595);
    assert_eq!(read[0].shipping_minor, 1_250);
    assert_eq!(admin.refund(&dinar).await.unwrap().amount_minor(), 13_595);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn store_refunds_reads_a_merchant_refund_back() {
    let sandbox = usd_store().await;
    let by_hand = sandbox
        .refund_in_admin(
            ORDER,
            &json!({
                "amount": "11.99",
                "reason": "Customer changed their mind",
                "api_refund": false,
                "line_items": [
                    {"id": LINE_B, "quantity": 1, "refund_total": "9.99"},
                    {"id": SHIPPING, "refund_total": "2.00"}
                ]
            }),
        )
        .unwrap();
    let admin = connector(&sandbox);
    let ours = admin.refund(&push()).await;
    // 3.00 of the shipping is left on its line; the other 2.00 goes back in the amount.
    let ours = ours.unwrap();
    assert_eq!(
        sandbox.refunds(ORDER)[1].shipping,
        vec![(SHIPPING, "-3".to_string())]
    );

    let read = admin.store_refunds(&ORDER.to_string()).await.unwrap();
    assert_eq!(
        read,
        vec![
            StoreRefund {
                refund_id: by_hand.to_string(),
                order_external_id: ORDER.to_string(),
                lines: vec![CaseLine {
                    line_id: LINE_B.to_string(),
                    quantity: 1
                }],
                currency: Some(currency("USD")),
                total_minor: 1199,
                shipping_minor: 200,
                return_id: None,
                note: Some("Customer changed their mind".to_string()),
            },
            StoreRefund {
                refund_id: ours.store_refund_id().to_string(),
                order_external_id: ORDER.to_string(),
                lines: vec![CaseLine {
                    line_id: LINE_A.to_string(),
                    quantity: 1
                }],
                currency: Some(currency("USD")),
                total_minor: 1750,
                shipping_minor: 300,
                return_id: None,
                note: Some(format!("Arrived broken (dropflow case {CASE})")),
            },
        ]
    );
    assert!(matches!(
        admin.store_refunds("1").await,
        Err(StoreApiError::NotFound(_))
    ));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn many_refunds_are_read_over_pages() {
    let sandbox = usd_store().await;
    for _ in 0..105 {
        sandbox
            .refund_in_admin(ORDER, &json!({"amount": "0.01", "api_refund": false}))
            .unwrap();
    }
    let read = connector(&sandbox)
        .store_refunds(&ORDER.to_string())
        .await
        .unwrap();
    assert_eq!(read.len(), 105);
    let ids: Vec<u64> = read.iter().map(|r| r.refund_id.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first");
    sandbox.shutdown().await;
}

#[test]
fn the_documented_refund_list_reads_as_store_refunds() {
    let read = parse_refunds(DOCS_REFUNDS.as_bytes(), "723", currency("USD")).unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(
        read[1].refund,
        StoreRefund {
            refund_id: "724".to_string(),
            order_external_id: "723".to_string(),
            lines: vec![CaseLine {
                line_id: "311".to_string(),
                quantity: 1
            }],
            currency: Some(currency("USD")),
            total_minor: 900,
            shipping_minor: 0,
            return_id: None,
            note: None,
        }
    );
    assert_eq!(read[0].refund.refund_id, "726");
    assert_eq!(read[0].refund.total_minor, 1000);
    assert!(read[0].refund.lines.is_empty());
    assert_eq!(read[0].case_key, None);
    // The page's "Create a refund" answer is the list's first element.
    let list: Value = serde_json::from_str(DOCS_REFUNDS).unwrap();
    let created = parse_created(list[0].to_string().as_bytes(), "723", currency("USD")).unwrap();
    assert_eq!(created.refund.total_minor, 1000);
}

#[test]
fn a_refunded_line_without_its_original_item_is_unreadable() {
    let mut list: Value = serde_json::from_str(DOCS_REFUNDS).unwrap();
    list[1]["line_items"][0]["meta_data"] = json!([]);
    let error = parse_refunds(list.to_string().as_bytes(), "723", currency("USD")).unwrap_err();
    assert_eq!(
        error.path(),
        Some("[1].line_items[0].meta_data[_refunded_item_id]")
    );
    // A number where the docs have a string is the same id.
    let mut list: Value = serde_json::from_str(DOCS_REFUNDS).unwrap();
    list[1]["line_items"][0]["meta_data"][0]["value"] = json!(311);
    let read = parse_refunds(list.to_string().as_bytes(), "723", currency("USD")).unwrap();
    assert_eq!(read[1].refund.lines[0].line_id, "311");
}
