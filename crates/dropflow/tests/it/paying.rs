//! Paying, the price guard, clicks and bulk actions, store settings, a vendor's tracking entry
//! and CJ's webhooks, against the in-project CJ sandbox.

use crate::support::cj_world::*;
use crate::support::*;
use dropflow::suppliers::cj::{ApiKey, CjConfig};
use dropflow_sandbox::cj as cj_sandbox;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_little_money_waits_in_awaiting_payment_and_a_top_up_pays_it() {
    let (cj, app, store) = cj_shop().await;
    let id = one_line_order(&app, &store, 9_300_001, "cj").await;
    let reached = eventually(Duration::from_secs(15), || async {
        purchase(&app, &id).await["last_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("payment failed: insufficient balance"))
    })
    .await;
    let p = purchase(&app, &id).await;
    assert!(reached, "{p}");
    assert_eq!(p["status"], json!("awaiting_payment"));
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], json!("awaiting_payment"), "{detail}");
    assert!(timeline_kinds(&detail).contains(&"payment_failed".to_string()));

    top_up(&app, &store, "1000.00").await;
    let p = wait_status(&app, &id, "awaiting_shipment").await;
    assert!(p["last_error"].is_null(), "{p}");
    let cost = p["cost_minor"].as_i64().expect("cost");
    let wallet = app
        .api_json(&format!("/api/v1/stores/{store}/wallet?currency=USD"))
        .await;
    assert_eq!(wallet["reserved"], json!("0.00"), "{wallet}");
    assert_eq!(
        wallet["spent"],
        json!(format!("{}.{:02}", cost / 100, cost % 100)),
        "{wallet}"
    );
    assert_eq!(cj.order_count(), 1);
    app.stop().await;
}

/// CJ's 1600201 "Quota has been used up" (ps-code.html) is CJ pacing us: the placing job
/// waits for the quota to come back (RetryAfter, the try given back), and the order is never
/// refused for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_up_cj_quota_makes_the_purchase_wait_not_fail() {
    let cj = cj().await;
    cj.set_daily_quota(Some(0));
    let app = app_with(&cj, |_| {}).await;
    // The purchase waits for the quota on purpose (deferred, not failed).
    app.allow_pending_jobs();
    let store = app.shopify_store().await;
    top_up(&app, &store, "1000.00").await;
    let id = one_line_order(&app, &store, 9_300_010, "cj").await;
    let waiting = eventually(Duration::from_secs(15), || async {
        app.scalar(&format!(
            "SELECT COUNT(*) FROM jobs WHERE order_id = '{id}' AND kind = 'supplier_order.place' \
             AND status = 'queued' AND attempts = 0 AND last_error IS NOT NULL"
        ))
        .await
            == 1
    })
    .await;
    let p = purchase(&app, &id).await;
    assert!(waiting, "the placing job is not waiting: {p}");
    // Not before the quota can have come back: the next run is over a second away and at
    // most a day.
    let now = dropflow::storage::now_ms();
    let run_at = app
        .scalar(&format!(
            "SELECT run_at FROM jobs WHERE order_id = '{id}' AND kind = 'supplier_order.place'"
        ))
        .await;
    assert!(
        run_at > now && run_at <= now + 86_400_000 + 120_000,
        "{run_at} vs {now}"
    );
    assert_ne!(p["status"], json!("rejected"), "{p}");
    let detail = app.order_detail(&id).await;
    assert_ne!(detail["tab"], json!("failed"), "{detail}");
    assert_eq!(cj.order_count(), 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_above_the_guard_holds_the_order_until_the_merchant_accepts_it() {
    let cj = cj().await;
    let variant = &cj_sandbox::variants()[0];
    cj.set_price_cents(&variant.vid, variant.price_cents * 2);
    let app = app_with(&cj, |_| {}).await;
    let store = app.shopify_store().await;
    put_settings(
        &app,
        &store,
        json!({ "auto_order": true, "auto_pay": false, "price_guard_percent": 10,
            "notify_customer": true }),
    )
    .await;
    let id = one_line_order(&app, &store, 9_300_002, "cj").await;
    let held = eventually(Duration::from_secs(15), || async {
        app.order_detail(&id).await["tab"] == json!("on_hold")
    })
    .await;
    let detail = app.order_detail(&id).await;
    assert!(held, "{detail}");
    assert!(detail.to_string().contains("price_increased"), "{detail}");
    assert_eq!(cj.order_count(), 0, "bought despite the guard");
    assert_eq!(
        purchase(&app, &id).await["status"],
        json!("awaiting_placement")
    );

    let response = app.release_hold(&id, "price_increased").await;
    expect_json(response, StatusCode::OK).await;
    wait_status(&app, &id, "awaiting_payment").await;
    assert_eq!(cj.order_count(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_auto_order_off_a_click_places_and_bulk_pay_pays() {
    let (cj, app, store) = cj_shop().await;
    put_auto(&app, &store, false, false).await;
    top_up(&app, &store, "500.00").await;
    let id = one_line_order(&app, &store, 9_300_003, "cj").await;
    wait_status(&app, &id, "awaiting_placement").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(cj.order_count(), 0, "placed without auto-order");
    // Paying something not placed is refused, naming where the order is.
    let pay = format!("/api/v1/orders/{id}/pay");
    expect_error(
        app.api_post_empty(&pay).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    let place = format!("/api/v1/orders/{id}/place");
    let queued = expect_json(app.api_post_empty(&place).await, StatusCode::ACCEPTED).await;
    assert_eq!(queued["supplier_orders"], json!(1));
    wait_status(&app, &id, "awaiting_payment").await;

    let response = app
        .api_post(
            "/api/v1/orders/pay",
            &json!({ "order_ids": [id, "no-such-order"] }),
        )
        .await;
    let bulk = expect_json(response, StatusCode::OK).await;
    assert_eq!(bulk["results"][0]["outcome"], json!("queued"), "{bulk}");
    assert_eq!(bulk["results"][1]["outcome"], json!("not_found"), "{bulk}");
    wait_status(&app, &id, "awaiting_shipment").await;
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], json!("awaiting_shipment"), "{detail}");
    assert!(timeline_kinds(&detail).contains(&"action_requested".to_string()));
    let empty = app
        .api_post("/api/v1/orders/place", &json!({ "order_ids": [] }))
        .await;
    expect_error(empty, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_enters_tracking_a_typo_is_refused_and_the_parcel_waits_for_the_store() {
    let (_cj, app, store) = cj_shop().await;
    // The parcel waits for the store on purpose: it has no Admin API, so the push fails.
    app.expect_failed_jobs("shipment.push");
    let id = one_line_order(&app, &store, 9_300_004, "manual").await;
    let p = wait_status(&app, &id, "awaiting_shipment").await;
    let so = p["id"].as_str().expect("id").to_string();
    let ship = |number: &'static str| {
        let app = &app;
        let so = so.clone();
        async move {
            app.api_post(
                &format!("/api/v1/supplier-orders/{so}/ship"),
                &json!({ "tracking_number": number, "carrier": "China Post" }),
            )
            .await
        }
    };
    // RR123456785CN is a valid UPU S10 number; one digit off fails its check digit.
    let message = expect_error(
        ship("RR123456784CN").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(message.contains("check digit"), "{message}");
    let parcels = expect_json(ship("RR123456785CN").await, StatusCode::OK).await;
    assert_eq!(parcels[0]["number_check"], json!("valid"), "{parcels}");
    assert_eq!(
        parcels[0]["courier_detected"],
        json!("China Post"),
        "{parcels}"
    );
    assert_eq!(purchase(&app, &id).await["status"], json!("shipped"));
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], json!("fulfilled"), "{detail}");
    // No Admin API access for this store: the write-back fails visibly, retryable.
    let flagged = eventually(Duration::from_secs(10), || async {
        app.api_json("/api/v1/jobs?status=failed")
            .await
            .to_string()
            .contains("no Admin API access")
            || app
                .api_json("/api/v1/jobs?status=queued")
                .await
                .to_string()
                .contains("no Admin API access")
    })
    .await;
    assert!(flagged);
    // Shipping something bought from CJ by hand is refused.
    let response = app
        .api_post("/api/v1/supplier-orders/not-an-id/deliver", &json!({}))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .api_post_empty(&format!("/api/v1/supplier-orders/{so}/deliver"))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(purchase(&app, &id).await["status"], json!("delivered"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_refuse_bad_values_and_unknown_stores() {
    let (_cj, app, store) = cj_shop().await;
    let defaults = app
        .api_json(&format!("/api/v1/stores/{store}/settings"))
        .await;
    assert_eq!(defaults["auto_order"], json!(true), "{defaults}");
    assert_eq!(defaults["price_guard_percent"], Value::Null);
    let put = |path: String, body: Value| {
        let app = &app;
        async move { app.api_put(&path, &body).await }
    };
    let bad = put(
        format!("/api/v1/stores/{store}/settings"),
        json!({ "auto_order": "yes", "auto_pay": true, "price_guard_percent": 5,
            "notify_customer": true }),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = put(
        "/api/v1/stores/01a22751-0000-7000-8000-000000000000/settings".into(),
        json!({ "auto_order": true, "auto_pay": true, "price_guard_percent": null,
            "notify_customer": true }),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let bad_url = put(
        format!("/api/v1/stores/{store}/admin"),
        json!({ "url": "ftp://x", "key": "k" }),
    )
    .await;
    assert_eq!(bad_url.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Access is checked against the shop before it is kept (here the Admin API sandbox).
    let shop = dropflow_sandbox::shopify_admin::start(Default::default())
        .await
        .expect("shopify admin sandbox");
    let ok = put(
        format!("/api/v1/stores/{store}/admin"),
        json!({ "url": shop.base_url, "key": shop.access_token() }),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    // Written, never shown back.
    let settings = app
        .api_json(&format!("/api/v1/stores/{store}/settings"))
        .await;
    assert!(!settings.to_string().contains(shop.access_token()));
    shop.shutdown().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cj_webhooks_are_taken_only_with_the_right_signature() {
    let cj = cj().await;
    let open_id = cj.open_id();
    let base = cj.base_url.clone();
    let key = cj.api_key().to_string();
    let app = app_with(&cj, move |config| {
        let mut c = CjConfig::new(&base, ApiKey::new(&key));
        c.open_id = Some(open_id.to_string());
        config.suppliers.cj = Some(c);
    })
    .await;
    let body = json!({ "messageId": "m-1", "type": "ORDER", "messageType": "UPDATE",
        "openId": open_id, "params": { "orderNumber": "not-ours", "cjOrderId": "CJ1",
        "orderStatus": "SHIPPED", "trackNumber": "RR123456785CN" } })
    .to_string();
    let post = |sign: String| {
        let app = &app;
        let body = body.clone();
        async move {
            app.client()
                .post(app.url("/webhooks/cj"))
                .header("sign", sign)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("post")
        }
    };
    let good = post(cj_sandbox::webhook_sign(open_id, body.as_bytes())).await;
    assert_eq!(good.status(), StatusCode::OK);
    assert!(good.text().await.unwrap().contains("success"));
    let forged = post(cj_sandbox::webhook_sign(open_id + 1, body.as_bytes())).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_order_lets_go_of_what_was_not_bought_and_nothing_is_placed() {
    let (cj, app, store) = cj_shop().await;
    put_auto(&app, &store, false, true).await;
    let id = one_line_order(&app, &store, 9_300_006, "cj").await;
    wait_status(&app, &id, "awaiting_placement").await;

    let mut cancelled = shopify_order(9_300_006, "#9300006", "voided", "2024-05-01T11:00:00-05:00");
    cancelled["cancelled_at"] = json!("2024-05-01T11:00:00-05:00");
    cancelled["cancel_reason"] = json!("customer");
    app.shopify_order("orders/cancelled", &cancelled).await;
    wait_status(&app, &id, "cancelled").await;

    let refused = app
        .api_post_empty(&format!("/api/v1/orders/{id}/place"))
        .await;
    expect_error(refused, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(cj.order_count(), 0, "bought for a cancelled order");
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], json!("canceled"), "{detail}");
    app.stop().await;
}

/// What a store was asked to show, recorded instead of sent.
#[derive(Default)]
struct RecordingAdmin {
    pushes: std::sync::Mutex<Vec<dropflow::platforms::admin::FulfilmentPush>>,
}

impl dropflow::platforms::admin::StoreAdmin for RecordingAdmin {
    fn push_fulfilment<'a>(
        &'a self,
        push: &'a dropflow::platforms::admin::FulfilmentPush,
    ) -> futures::future::BoxFuture<
        'a,
        Result<dropflow::platforms::admin::PushOutcome, dropflow::platforms::admin::StoreApiError>,
    > {
        if let Ok(mut pushes) = self.pushes.lock() {
            pushes.push(push.clone());
        }
        Box::pin(async move {
            Ok(dropflow::platforms::admin::PushOutcome::Fulfilled {
                store_fulfilment_id: format!("f-{}", push.reference),
            })
        })
    }

    fn refund<'a>(
        &'a self,
        _refund: &'a dropflow::platforms::admin_refund::RefundPush,
    ) -> futures::future::BoxFuture<
        'a,
        Result<
            dropflow::platforms::admin_refund::RefundOutcome,
            dropflow::platforms::admin::StoreApiError,
        >,
    > {
        Box::pin(async {
            Err(dropflow::platforms::admin::StoreApiError::Refused(
                "this recorder only records fulfilments".to_string(),
            ))
        })
    }

    fn store_refunds<'a>(
        &'a self,
        _store_order_id: &'a str,
    ) -> futures::future::BoxFuture<
        'a,
        Result<
            Vec<dropflow_core::after_sale::StoreRefund>,
            dropflow::platforms::admin::StoreApiError,
        >,
    > {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// A parcel reaches the store under the carrier name Shopify links (protocols.md §1.8: the
/// S10 table's "SingPost" is Shopify's "Singapore Post") and with a link the customer can
/// open, though nobody (supplier, courier data) gave one for an S10 number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parcel_reaches_the_store_by_shopifys_carrier_name_with_a_link() {
    let cj = cj().await;
    let admin = Arc::new(RecordingAdmin::default());
    let recorder = admin.clone();
    let app = TestApp::spawn_fulfilment(
        move |services| {
            let store_admin: Arc<dyn dropflow::platforms::admin::StoreAdmin> = recorder;
            services.admin = Arc::new(move |_, _| Some(store_admin.clone()));
        },
        |_| {},
    )
    .await;
    let store = app.shopify_store().await;
    // Access is checked against the shop before it is kept: the Admin API sandbox answers
    // that check; the write-back itself goes to the recording admin above.
    let shop = dropflow_sandbox::shopify_admin::start(Default::default())
        .await
        .expect("shopify admin sandbox");
    app.connect_shopify_admin(&store, &shop).await;
    let id = one_line_order(&app, &store, 9_300_020, "manual").await;
    let p = wait_status(&app, &id, "awaiting_shipment").await;
    let so = p["id"].as_str().expect("id").to_string();
    let shipped = app
        .api_post(
            &format!("/api/v1/supplier-orders/{so}/ship"),
            &json!({ "tracking_number": "RR123456785SG", "carrier": "SingPost" }),
        )
        .await;
    expect_json(shipped, StatusCode::OK).await;
    let pushed = eventually(Duration::from_secs(15), || async {
        !admin.pushes.lock().expect("pushes").is_empty()
    })
    .await;
    assert!(pushed, "nothing reached the store");
    let push = admin.pushes.lock().expect("pushes")[0].clone();
    assert_eq!(push.tracking_number, "RR123456785SG");
    assert_eq!(push.carrier.as_deref(), Some("Singapore Post"), "{push:?}");
    let url = push.tracking_url.clone().unwrap_or_default();
    assert!(
        url.starts_with("https://") && url.contains("RR123456785SG"),
        "{push:?}"
    );
    drop(cj);
    app.stop().await;
}
