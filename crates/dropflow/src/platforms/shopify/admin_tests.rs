//! The Shopify Admin connector against the Shopify Admin sandbox, in process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::admin::ShopifyAdmin;
use super::admin_wire::{error_message, plan, FulfillmentOrder, FulfillmentOrderLine};
use crate::outbound::call::parse_retry_after;
use crate::platforms::admin::{FulfilmentPush, PushLine, PushOutcome, StoreAdmin, StoreApiError};
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::shopify_admin::{
    start, FulfilledLine, ShopifyAdminConfig, ShopifyAdminSandbox,
};
use serde_json::Value;
use std::time::Duration;

/// A Shopify order id whose sandbox payload has at least two line items.
fn multi_line_order() -> (u64, Value) {
    (450_789_469..450_789_600)
        .map(|id| {
            (
                id,
                dropflow_sandbox::shopify::order_payload(id, "#1001", "paid"),
            )
        })
        .find(|(_, o)| o["line_items"].as_array().unwrap().len() >= 2)
        .unwrap()
}

async fn sandbox(config: ShopifyAdminConfig) -> (ShopifyAdminSandbox, u64, Value) {
    let sandbox = start(config).await.unwrap();
    let (id, order) = multi_line_order();
    sandbox.add_order(&order).unwrap();
    (sandbox, id, order)
}

fn connector(sandbox: &ShopifyAdminSandbox) -> ShopifyAdmin {
    ShopifyAdmin::new(
        &sandbox.base_url,
        sandbox.access_token(),
        Duration::from_secs(2),
    )
}

fn push(order_id: u64, number: &str, lines: Vec<PushLine>) -> FulfilmentPush {
    FulfilmentPush {
        store_order_id: order_id.to_string(),
        reference: "shp_0190a1b2".to_string(),
        tracking_number: number.to_string(),
        carrier: Some("YunExpress".to_string()),
        tracking_url: Some(format!("https://t.17track.net/en#nums={number}")),
        lines,
        notify_customer: true,
        completes_order: false,
    }
}

fn line_ids(order: &Value) -> Vec<(u64, u32)> {
    order["line_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_u64().unwrap(),
                l["quantity"].as_u64().unwrap() as u32,
            )
        })
        .collect()
}

#[tokio::test]
async fn fulfils_everything_with_tracking() {
    let (sandbox, id, order) = sandbox(ShopifyAdminConfig::default()).await;
    let outcome = connector(&sandbox)
        .push_fulfilment(&push(id, "YT2229521272164446", vec![]))
        .await
        .unwrap();
    let recorded = sandbox.fulfillments(id);
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        outcome,
        PushOutcome::Fulfilled {
            store_fulfilment_id: recorded[0].id.to_string()
        }
    );
    let f = &recorded[0];
    assert_eq!(f.tracking_number.as_deref(), Some("YT2229521272164446"));
    assert_eq!(f.tracking_company.as_deref(), Some("YunExpress"));
    assert_eq!(
        f.tracking_url.as_deref(),
        Some("https://t.17track.net/en#nums=YT2229521272164446")
    );
    assert!(f.notify_customer);
    let expected: Vec<FulfilledLine> = line_ids(&order)
        .into_iter()
        .map(|(line_item_id, quantity)| FulfilledLine {
            line_item_id,
            quantity,
        })
        .collect();
    assert_eq!(f.line_items, expected);
    assert!(sandbox.is_fully_fulfilled(id));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn partial_lines_then_the_rest() {
    let (sandbox, id, order) = sandbox(ShopifyAdminConfig::default()).await;
    let lines = line_ids(&order);
    let (first, _) = lines[0];
    let admin = connector(&sandbox);
    let one = vec![PushLine {
        store_line_id: first.to_string(),
        quantity: 1,
    }];
    let outcome = admin
        .push_fulfilment(&push(id, "YT0000000000000001", one))
        .await
        .unwrap();
    assert!(matches!(outcome, PushOutcome::Fulfilled { .. }));
    assert_eq!(
        sandbox.fulfillments(id)[0].line_items,
        vec![FulfilledLine {
            line_item_id: first,
            quantity: 1
        }]
    );
    assert!(!sandbox.is_fully_fulfilled(id));
    assert_eq!(
        sandbox.fulfillment_order_status(id).as_deref(),
        Some("in_progress")
    );

    let rest = admin
        .push_fulfilment(&push(id, "YT0000000000000002", vec![]))
        .await
        .unwrap();
    assert!(matches!(rest, PushOutcome::Fulfilled { .. }));
    assert!(sandbox.is_fully_fulfilled(id));
    let recorded = sandbox.fulfillments(id);
    assert_eq!(recorded.len(), 2);
    // Every unit fulfilled exactly once.
    for (line, quantity) in lines {
        let fulfilled: u32 = recorded
            .iter()
            .flat_map(|f| &f.line_items)
            .filter(|l| l.line_item_id == line)
            .map(|l| l.quantity)
            .sum();
        assert_eq!(fulfilled, quantity, "line {line}");
    }

    // Nothing left: a new parcel is refused, a line that is done too.
    let more = admin
        .push_fulfilment(&push(id, "YT0000000000000003", vec![]))
        .await;
    assert!(matches!(more, Err(StoreApiError::Refused(_))), "{more:?}");
    let again = vec![PushLine {
        store_line_id: first.to_string(),
        quantity: 1,
    }];
    let done = admin
        .push_fulfilment(&push(id, "YT0000000000000004", again))
        .await;
    assert!(matches!(done, Err(StoreApiError::Refused(_))), "{done:?}");
    assert_eq!(sandbox.fulfillment_count(), 2);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_repeated_push_creates_nothing() {
    let (sandbox, id, _) = sandbox(ShopifyAdminConfig::default()).await;
    let admin = connector(&sandbox);
    let parcel = push(id, "YT2229521272164446", vec![]);
    let first = admin.push_fulfilment(&parcel).await.unwrap();
    let PushOutcome::Fulfilled {
        store_fulfilment_id,
    } = first
    else {
        panic!("first push: {first:?}");
    };
    let repeat = admin.push_fulfilment(&parcel).await.unwrap();
    assert_eq!(
        repeat,
        PushOutcome::AlreadyFulfilled {
            store_fulfilment_id: Some(store_fulfilment_id)
        }
    );
    assert_eq!(sandbox.fulfillment_count(), 1);
    assert_eq!(sandbox.fulfillments(id).len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn unknown_order_and_line_are_not_found() {
    let (sandbox, id, _) = sandbox(ShopifyAdminConfig::default()).await;
    let admin = connector(&sandbox);
    let missing = admin.push_fulfilment(&push(1, "YT1", vec![])).await;
    assert!(
        matches!(missing, Err(StoreApiError::NotFound(_))),
        "{missing:?}"
    );
    let bad_line = vec![PushLine {
        store_line_id: "42".to_string(),
        quantity: 1,
    }];
    let missing = admin.push_fulfilment(&push(id, "YT1", bad_line)).await;
    assert!(
        matches!(missing, Err(StoreApiError::NotFound(_))),
        "{missing:?}"
    );
    assert_eq!(sandbox.fulfillment_count(), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn honours_retry_after_when_throttled() {
    let config = ShopifyAdminConfig {
        bucket_size: 2,
        leak_per_second: 1.0,
        ..ShopifyAdminConfig::default()
    };
    let sandbox = start(config).await.unwrap();
    let admin = connector(&sandbox);
    let ids: Vec<u64> = (0..5).map(|n| 820_000 + n).collect();
    for id in &ids {
        let order = dropflow_sandbox::shopify::order_payload(*id, "#2001", "paid");
        sandbox.add_order(&order).unwrap();
    }
    for (n, id) in ids.iter().enumerate() {
        let outcome = admin
            .push_fulfilment(&push(*id, &format!("YT10000000000000{n}"), vec![]))
            .await;
        assert!(
            matches!(outcome, Ok(PushOutcome::Fulfilled { .. })),
            "push {n}: {outcome:?}"
        );
    }
    assert!(
        sandbox.throttled_count() > 0,
        "the bucket of 2 never overflowed"
    );
    assert_eq!(sandbox.fulfillment_count(), 5);
    assert!(ids.iter().all(|id| sandbox.is_fully_fulfilled(*id)));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn gives_up_on_endless_429s() {
    let (sandbox, id, _) = sandbox(ShopifyAdminConfig::default()).await;
    sandbox.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let outcome = connector(&sandbox)
        .push_fulfilment(&push(id, "YT1", vec![]))
        .await;
    assert_eq!(
        outcome,
        Err(StoreApiError::RateLimited {
            retry_after: Some(Duration::from_millis(200))
        })
    );
    assert_eq!(sandbox.fulfillment_count(), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let (sandbox, id, _) = sandbox(ShopifyAdminConfig::default()).await;
    let admin = ShopifyAdmin::new(&sandbox.base_url, "shpat_wrong", Duration::from_secs(2));
    let outcome = admin.push_fulfilment(&push(id, "YT1", vec![])).await;
    match outcome {
        Err(StoreApiError::Unauthorized(message)) => {
            assert!(
                message.contains("Invalid API key or access token"),
                "{message}"
            );
            assert!(!message.contains("shpat_wrong"));
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert!(!format!("{admin:?}").contains("shpat_wrong"));
    assert_eq!(sandbox.fulfillment_count(), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn server_errors_are_unavailable_and_silence_is_a_timeout() {
    let (sandbox, id, _) = sandbox(ShopifyAdminConfig::default()).await;
    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let outcome = connector(&sandbox)
        .push_fulfilment(&push(id, "YT1", vec![]))
        .await;
    assert!(
        matches!(outcome, Err(StoreApiError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(outcome.unwrap_err().is_transient());

    sandbox.faults.set(Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    });
    let impatient = ShopifyAdmin::new(
        &sandbox.base_url,
        sandbox.access_token(),
        Duration::from_millis(200),
    );
    let outcome = impatient.push_fulfilment(&push(id, "YT1", vec![])).await;
    assert_eq!(outcome, Err(StoreApiError::Timeout));
    assert_eq!(sandbox.fulfillment_count(), 0);
    sandbox.shutdown().await;
}

#[test]
fn retry_after_is_fractional_seconds() {
    assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
    assert_eq!(parse_retry_after(" 2.0 "), Some(Duration::from_secs(2)));
    assert_eq!(parse_retry_after("soon"), None);
    assert_eq!(parse_retry_after("-1"), None);
}

#[test]
fn shopify_error_shapes_read_as_one_line() {
    assert_eq!(
        error_message(br#"{"errors":"Not Found"}"#).as_deref(),
        Some("Not Found")
    );
    assert_eq!(
        error_message(br#"{"errors":["a","b"]}"#).as_deref(),
        Some("a; b")
    );
    assert_eq!(
        error_message(br#"{"errors":{"fulfillment":"Required parameter missing or invalid"}}"#)
            .as_deref(),
        Some("fulfillment: Required parameter missing or invalid")
    );
    assert_eq!(error_message(b"<html>"), None);
}

#[test]
fn lines_spread_over_fulfillment_orders_with_quantity_left() {
    let fo = |id: u64, status: &str, lines: Vec<(u64, u64, u32)>| FulfillmentOrder {
        id,
        status: status.to_string(),
        line_items: lines
            .into_iter()
            .map(
                |(id, line_item_id, fulfillable_quantity)| FulfillmentOrderLine {
                    id,
                    line_item_id,
                    fulfillable_quantity,
                },
            )
            .collect(),
    };
    let orders = vec![
        fo(1, "closed", vec![(11, 100, 0)]),
        fo(2, "in_progress", vec![(21, 100, 1), (22, 200, 3)]),
        fo(3, "open", vec![(31, 100, 2)]),
    ];
    let lines = vec![PushLine {
        store_line_id: "100".to_string(),
        quantity: 2,
    }];
    let body = serde_json::to_value(plan(&push(9, "N", lines), &orders).unwrap()).unwrap();
    assert_eq!(
        body["fulfillment"]["line_items_by_fulfillment_order"],
        serde_json::json!([
            {"fulfillment_order_id": 2, "fulfillment_order_line_items": [{"id": 21, "quantity": 1}]},
            {"fulfillment_order_id": 3, "fulfillment_order_line_items": [{"id": 31, "quantity": 1}]}
        ])
    );
    assert_eq!(body["fulfillment"]["tracking_info"]["number"], "N");
    // Everything: the two fulfillable fulfillment orders, whole.
    let all = serde_json::to_value(plan(&push(9, "N", vec![]), &orders).unwrap()).unwrap();
    assert_eq!(
        all["fulfillment"]["line_items_by_fulfillment_order"],
        serde_json::json!([{"fulfillment_order_id": 2}, {"fulfillment_order_id": 3}])
    );
}
