//! Issue 17 item 4: a job that cannot succeed until a person acts stops at once, says what it
//! waits for, and runs again by itself once that is set, instead of spending its thirty tries
//! (and the runner's slots) on a cause that cannot pass.

use crate::support::cj_world::{cj_shop, one_line_order, wait_status};
use crate::support::*;
use dropflow_sandbox::shopify_admin::{self, ShopifyAdminConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// The store's `shipment.push` jobs as the API lists them in `status`.
async fn pushes(app: &TestApp, status: &str) -> Vec<Value> {
    let listed = app.api_json(&format!("/api/v1/jobs?status={status}")).await;
    listed
        .as_array()
        .expect("a list")
        .iter()
        .filter(|job| job["kind"] == json!("shipment.push"))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_back_without_store_access_waits_for_it_and_runs_once_it_is_set() {
    let shop = shopify_admin::start(ShopifyAdminConfig::default())
        .await
        .expect("shopify admin sandbox");
    let (_cj, app, store) = cj_shop().await;
    let mut order = numbered_paid_order(9_417_001);
    order["line_items"] = json!([order["line_items"][0].clone()]);
    shop.add_order(&order).expect("the shop knows the order");
    let id = one_line_order(&app, &store, 9_417_001, "manual").await;
    let so = wait_status(&app, &id, "awaiting_shipment").await["id"]
        .as_str()
        .expect("purchase id")
        .to_string();
    let shipped = app
        .api_post(
            &format!("/api/v1/supplier-orders/{so}/ship"),
            &json!({ "tracking_number": "RR123456785CN", "carrier": "China Post" }),
        )
        .await;
    assert_eq!(shipped.status(), StatusCode::OK);

    // No Admin API access: failed on its first try, naming what it waits for.
    let waiting = eventually(Duration::from_secs(10), || async {
        !pushes(&app, "failed").await.is_empty()
    })
    .await;
    assert!(waiting, "the write-back is kept failed at once");
    let job = pushes(&app, "failed").await.remove(0);
    assert_eq!(job["attempts"], json!(1), "no try spent on retries: {job}");
    assert_eq!(
        job["waits_for"],
        json!(format!("store-admin:{store}")),
        "{job}"
    );
    let error = job["last_error"].as_str().expect("error");
    assert!(error.contains("no Admin API access"), "{error}");
    assert!(
        pushes(&app, "queued").await.is_empty(),
        "nothing left to retry by itself"
    );

    // The merchant sets the access: the write-back runs again without anyone retrying it.
    let set = app
        .api_put(
            &format!("/api/v1/stores/{store}/admin"),
            &json!({ "url": shop.base_url, "key": shop.access_token() }),
        )
        .await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let store_order = order["id"].as_u64().expect("store order id");
    let pushed = eventually(Duration::from_secs(15), || async {
        shop.fulfillments(store_order)
            .iter()
            .any(|f| f.tracking_number.as_deref() == Some("RR123456785CN"))
    })
    .await;
    assert!(
        pushed,
        "the write-back reached the store once access was set"
    );
    // The job is marked done just after the store answered.
    let finished = eventually(Duration::from_secs(10), || async {
        !pushes(&app, "succeeded").await.is_empty()
    })
    .await;
    assert!(finished, "the job is done");
    let done = pushes(&app, "succeeded").await;
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0]["waits_for"], Value::Null, "{done:?}");
    assert!(pushes(&app, "failed").await.is_empty());
    shop.shutdown().await;
    app.stop().await;
}
