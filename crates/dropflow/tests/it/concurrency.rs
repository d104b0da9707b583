//! Many deliveries at once (issue point 6: stored once, committed before the 200).

use crate::support::*;
use dropflow_sandbox::shopify::ShopifyWebhook;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashMap;

/// Sends every hook, `in_flight` at a time; the acknowledgements' statuses in any order.
async fn send_all(app: &TestApp, hooks: Vec<ShopifyWebhook>, in_flight: usize) -> Vec<Value> {
    futures::stream::iter(hooks)
        .map(|hook| async move {
            let response = app.send_shopify(&hook, SHOPIFY_SECRET).await;
            expect_json(response, StatusCode::OK).await
        })
        .buffer_unordered(in_flight)
        .collect()
        .await
}

/// New-order deliveries of paid orders `first..first + count` (each `#id`).
fn new_orders(first: u64, count: u64) -> Vec<ShopifyWebhook> {
    (first..first + count)
        .map(|id| shopify_hook("orders/create", &numbered_paid_order(id)))
        .collect()
}

/// Checks the rows and counts `orders` distinct orders leave: that many orders, routing jobs
/// (each ready exactly once) and orders in All, and `receipts` webhook receipts.
async fn assert_orders_once(app: &TestApp, orders: i64, receipts: i64) {
    app.assert_stored(orders, receipts).await;
    assert_eq!(app.counts().await["all"], orders);
    assert_eq!(app.rows("jobs").await, orders);
}

/// A later `orders/updated` snapshot of paid order `#id`, half an hour on.
fn later_update(id: u64) -> ShopifyWebhook {
    let later = shopify_order(id, &format!("#{id}"), "paid", "2024-05-01T10:30:00-05:00");
    shopify_hook("orders/updated", &later)
}

fn tally(acks: &[Value]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for ack in acks {
        *counts
            .entry(ack["status"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_distinct_orders_sent_at_once_are_all_created() {
    let app = TestApp::spawn_with_shop().await;
    let acks = send_all(&app, new_orders(10_001, 200), 32).await;
    assert_eq!(tally(&acks), HashMap::from([("created".to_string(), 200)]));
    app.assert_counts(&[("all", 200), ("awaiting_order", 200)])
        .await;
    app.assert_stored(200, 200).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'order.route'")
            .await,
        200
    );
    let ids: std::collections::HashSet<&str> =
        acks.iter().filter_map(|a| a["order_id"].as_str()).collect();
    assert_eq!(ids.len(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_fifty_deliveries_sent_twice_at_once_make_fifty_orders() {
    let app = TestApp::spawn_with_shop().await;
    let mut hooks = Vec::new();
    for hook in &new_orders(20_001, 50) {
        hooks.push(hook.clone());
        hooks.push(hook.redelivery());
    }
    let acks = send_all(&app, hooks, 32).await;
    assert_eq!(
        tally(&acks),
        HashMap::from([("created".to_string(), 50), ("duplicate".to_string(), 50)])
    );
    assert_orders_once(&app, 50, 50).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_update_events_of_one_order_arriving_together_make_one_order() {
    let app = TestApp::spawn_with_shop().await;
    let mut hooks = Vec::new();
    for id in 30_001..=30_050 {
        hooks.push(shopify_hook("orders/create", &numbered_paid_order(id)));
        hooks.push(later_update(id));
    }
    let acks = send_all(&app, hooks, 32).await;
    let counts = tally(&acks);
    assert_eq!(counts.get("created"), Some(&50), "{counts:?}");
    assert_eq!(
        counts.get("updated").copied().unwrap_or(0) + counts.get("stale").copied().unwrap_or(0),
        50,
        "{counts:?}"
    );
    // However they interleaved, each order is ready exactly once.
    assert_orders_once(&app, 50, 100).await;
    app.stop().await;
}

/// Two dropflow processes on one database (as behind a load balancer): the same event
/// delivered to both, and a later update of the same order to the second, all at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_database_store_each_order_once() {
    let app = TestApp::spawn_with_shop().await;
    let other = dropflow::app::start_on(
        &test_config(&app.testdb),
        app.testdb.connect_raw().await,
        dropflow::jobs::Registry::new(),
    )
    .await
    .expect("second process");
    let other_url = other.base_url();

    let mut sends = Vec::new();
    for id in 40_001..=40_050 {
        let create = shopify_hook("orders/create", &numbered_paid_order(id));
        let update = later_update(id);
        sends.push((app.base_url.clone(), create.redelivery()));
        sends.push((other_url.clone(), create));
        sends.push((other_url.clone(), update));
    }
    let client = app.client().clone();
    let acks: Vec<Value> = futures::stream::iter(sends)
        .map(|(base, hook)| {
            let client = client.clone();
            async move {
                let mut request = client
                    .post(format!("{base}/webhooks/shopify"))
                    .body(hook.body.clone());
                for (name, value) in hook.headers(SHOPIFY_SECRET.as_bytes()) {
                    request = request.header(name, value);
                }
                expect_json(request.send().await.expect("POST"), StatusCode::OK).await
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let counts = tally(&acks);
    assert_eq!(counts.get("created"), Some(&50), "{counts:?}");
    assert_eq!(counts.get("duplicate"), Some(&50), "{counts:?}");
    assert_eq!(
        counts.get("updated").copied().unwrap_or(0) + counts.get("stale").copied().unwrap_or(0),
        50,
        "{counts:?}"
    );
    other.stop().await;
    assert_orders_once(&app, 50, 100).await;
    assert_eq!(app.counts().await["awaiting_order"], 50);
    app.stop().await;
}
