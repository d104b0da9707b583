//! A case's customer refunded through the store's own API (issue 14, customer side), against
//! the store sandboxes: Shopify (calculate, then `refundCreate` with an idempotency key) and
//! WooCommerce (`POST …/refunds`, refunds read back from `GET …/refunds` when the order's
//! update lists them). The refund is made once across faults and repeats; the store's word of
//! our own refund lands on its case; a refund made by hand in the store becomes a case.

use crate::cases::{
    deliver_refund, handed_over_order, open, open_refund, ship_line_a, shopify_refund, WAIT,
};
use crate::support::cj_world::{app_with, cj, cj_shop, map_to_manual, wait_status};
use crate::support::*;
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::shopify_admin::{self, ShopifyAdminSandbox};
use dropflow_sandbox::woocommerce;
use dropflow_sandbox::woocommerce_admin::{self, WooAdminConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The order's cases (200 expected).
async fn cases_of(app: &TestApp, order: &str) -> Vec<Value> {
    app.api_list(&format!("/api/v1/orders/{order}/cases")).await
}

/// Waits until the case's customer side is `state`; the case then.
async fn wait_customer(app: &TestApp, case: &str, state: &str) -> Value {
    let path = format!("/api/v1/cases/{case}");
    // Long enough for a few retries after injected faults (backoff 2 s, 4 s, 8 s …).
    let reached = eventually(std::time::Duration::from_secs(40), || async {
        app.api_json(&path).await["customer"]["state"] == json!(state)
    })
    .await;
    let now = app.api_json(&path).await;
    if !reached {
        let mut jobs = Vec::new();
        for status in ["queued", "running", "failed"] {
            jobs.extend(
                app.api_list(&format!("/api/v1/jobs?status={status}&limit=500"))
                    .await
                    .into_iter()
                    .filter(|j| j["kind"].as_str().unwrap_or_default().starts_with("case.")),
            );
        }
        panic!("the customer side never became {state}: {now}; case jobs: {jobs:?}");
    }
    now
}

/// The most tries any `case.refund_customer` job has used so far.
async fn refund_tries(app: &TestApp) -> i64 {
    let mut most = 0;
    for status in ["queued", "running", "succeeded", "failed"] {
        for job in app
            .api_list(&format!("/api/v1/jobs?status={status}&limit=500"))
            .await
        {
            if job["kind"] == json!("case.refund_customer") {
                most = most.max(job["attempts"].as_i64().unwrap_or(0));
            }
        }
    }
    most
}

async fn shop_for(app: &TestApp, store: &str) -> ShopifyAdminSandbox {
    // A lost answer is dropped after half a second: the connector sees the connection lost
    // (the store may have acted), not a ten-second wait.
    let config = shopify_admin::ShopifyAdminConfig {
        timeout_hold: std::time::Duration::from_millis(500),
        ..Default::default()
    };
    let shop = shopify_admin::start(config)
        .await
        .expect("shopify admin sandbox");
    app.connect_shopify_admin(store, &shop).await;
    shop
}

fn minor(decimal: &str) -> i64 {
    let (units, cents) = decimal.split_once('.').expect("two decimals");
    units.parse::<i64>().expect("units") * 100 + cents.parse::<i64>().expect("cents")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_case_refunds_the_shopify_customer_once_through_faults_and_repeats() {
    let (_cj, app, store) = cj_shop().await;
    let shop = shop_for(&app, &store).await;
    let world = handed_over_order(&app, &store, 9_716_001).await;
    shop.add_order(&world.payload)
        .expect("the shop knows the order");
    ship_line_a(&app, &world, 2, 10_000_101).await;

    // The store fails now and then, and loses the answer to the first refund it makes.
    shop.faults.set(Faults {
        server_error_rate: 0.15,
        ..Faults::default()
    });
    shop.lose_next_refund_answer();
    let opened = open(
        &app,
        &world.order,
        &json!({ "reason": "damaged", "lines": [{ "line_id": world.line_a, "quantity": 1 }],
            "resolution": { "kind": "refund", "goods": world.unit_price, "shipping": "1.00" } }),
    )
    .await;
    let case = expect_json(opened, StatusCode::CREATED).await;
    let case_id = case["id"].as_str().expect("case id").to_string();
    assert_eq!(case["next_steps"][0], json!("refund_customer"), "{case}");

    // The store fails until the refund has been tried again at least once (the first answer
    // is lost for sure), then it is healthy: one refund whatever happened, and the outcome
    // does not hang on how often random faults strike in a row on a loaded machine.
    let retried = eventually(std::time::Duration::from_secs(40), || async {
        refund_tries(&app).await >= 2
    })
    .await;
    assert!(retried, "the refund was tried again after the lost answer");
    shop.faults.set(Faults::default());
    let refunded = wait_customer(&app, &case_id, "refunded").await;
    let asked = minor(&world.unit_price) + 100;
    let made = shop.refunds(world.number);
    assert_eq!(made.len(), 1, "refunded once: {made:?}");
    assert_eq!(shop.total_refunded(world.number), asked);
    let note = made[0].note.clone().unwrap_or_default();
    assert!(note.contains(&case_id), "the refund names its case: {note}");
    assert_eq!(
        refunded["money"]["refunded"],
        json!(format!("{:.2}", asked as f64 / 100.0))
    );
    assert!(!refunded["next_steps"]
        .as_array()
        .expect("steps")
        .contains(&json!("refund_customer")));

    // Shopify's `refunds/create` for our own refund lands on the case: no second case, no
    // second refund, however often it comes.
    let mut ours = shopify_refund(
        made[0].id,
        world.number,
        &world.line_a,
        1,
        &format!("{:.2}", asked as f64 / 100.0),
    );
    ours["note"] = json!(note);
    for _ in 0..2 {
        let ack = expect_json(deliver_refund(&app, &ours).await, StatusCode::OK).await;
        assert!(
            ack["status"] == json!("duplicate") || ack["status"] == json!("case"),
            "{ack}"
        );
    }
    assert_eq!(cases_of(&app, &world.order).await.len(), 1);
    let timeline = app.order_detail(&world.order).await["timeline"].to_string();
    assert!(
        timeline.contains("refunded through the store"),
        "{timeline}"
    );
    assert_eq!(shop.refunds(world.number).len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_the_store_refuses_raises_a_flag_and_refunds_nothing() {
    let (_cj, app, store) = cj_shop().await;
    let shop = shop_for(&app, &store).await;
    let world = handed_over_order(&app, &store, 9_716_002).await;
    // The shop never heard of this order: Shopify answers 404, which retrying cannot fix.
    ship_line_a(&app, &world, 1, 10_000_111).await;
    let case = expect_json(
        open_refund(&app, &world, 1, &world.unit_price, false).await,
        StatusCode::CREATED,
    )
    .await;
    app.wait_flag_saying(&world.order, "case_refund_failed", "refused")
        .await;
    let id = case["id"].as_str().expect("id");
    let now = app.api_json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(now["customer"]["state"], json!("pending"), "{now}");
    assert_eq!(shop.refunds(world.number).len(), 0);
    // The parcel's write-back meets the same unknown order.
    app.expect_failed_jobs("case.refund_customer");
    app.expect_failed_jobs("shipment.push");
    app.stop().await;
}

/// A paid WooCommerce order of 2 units at 12.50 (+5.00 shipping) bought from vendor A and
/// shipped whole; its dropflow id, the store's line id, and the sandbox site.
struct WooWorld {
    order: String,
    number: u64,
    payload: Value,
    line: u64,
    site: dropflow_sandbox::woocommerce_admin::WooAdminSandbox,
}

async fn shipped_woo_order(app: &TestApp, number: u64) -> WooWorld {
    let site = woocommerce_admin::start(WooAdminConfig::default())
        .await
        .expect("woocommerce sandbox");
    let store = app.register_woo_store(WOO_SITE, WOO_SECRET).await;
    let access = json!({ "url": site.base_url, "key": site.consumer_key(),
        "secret": site.consumer_secret() });
    let connected = app
        .api_put(&format!("/api/v1/stores/{store}/admin"), &access)
        .await;
    assert_eq!(connected.status(), StatusCode::NO_CONTENT);
    let payload = woocommerce::order_in_currency(number, "processing", "USD", 2, &[(2, 1250)], 500);
    site.add_order(&payload).expect("the site knows the order");
    let line = &payload["line_items"][0];
    let variant = if line["variation_id"] == json!(0) {
        &line["product_id"]
    } else {
        &line["variation_id"]
    };
    map_to_manual(app, &store, variant, "vendor-a").await;
    let vendor = vendor_token(app, &format!("w{number}@vendor.test"), "vendor-a").await;
    let hook = woo_hook("order.created", WOO_SITE, &payload);
    let ack = expect_json(app.send_woo(&hook, WOO_SECRET).await, StatusCode::OK).await;
    let order = order_id(&ack);
    let purchase = wait_status(app, &order, "awaiting_shipment").await;
    let number_s10 = dropflow_core::tracking::s10_number("RR", number, "CN");
    let shipped = app
        .post_as(
            &vendor,
            &format!(
                "/api/v1/supplier-orders/{}/ship",
                purchase["id"].as_str().expect("id")
            ),
            &json!({ "tracking_number": number_s10 }),
        )
        .await;
    assert!(shipped.status().is_success(), "{}", shipped.status());
    WooWorld {
        order,
        number,
        line: line["id"].as_u64().expect("line id"),
        payload,
        site,
    }
}

/// Sends the order's `order.updated` listing `refunds` (`(id, reason, amount)`, newest
/// first), modified on January `day` 2031.
async fn updated_with_refunds(
    app: &TestApp,
    world: &WooWorld,
    refunds: &[(u64, &str, &str)],
    day: u32,
) {
    let mut order = woocommerce::with_refunds(world.payload.clone(), refunds);
    order["date_modified_gmt"] = json!(format!("2031-01-{day:02}T00:00:00"));
    let hook = woo_hook("order.updated", WOO_SITE, &order);
    let ack = expect_json(app.send_woo(&hook, WOO_SECRET).await, StatusCode::OK).await;
    assert_eq!(ack["status"], json!("updated"), "{ack}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_woocommerce_refund_is_read_back_into_a_case_and_ours_is_made_and_recognised_once() {
    let cj = cj().await;
    let app = app_with(&cj, |_| {}).await;
    let world = shipped_woo_order(&app, 9_716_101).await;

    // The merchant refunds one unit by hand in wp-admin; WooCommerce's order.updated lists it.
    let by_hand = world
        .site
        .refund_in_admin(
            world.number,
            &json!({ "amount": "12.50", "reason": "cracked on arrival", "api_refund": false,
                "line_items": [{ "id": world.line, "quantity": 1, "refund_total": "12.50" }] }),
        )
        .expect("refund in wp-admin");
    updated_with_refunds(&app, &world, &[(by_hand, "cracked on arrival", "12.50")], 2).await;
    let read = eventually(WAIT, || async {
        cases_of(&app, &world.order).await.len() == 1
    })
    .await;
    assert!(read, "the refund was read back into a case");
    let case = &cases_of(&app, &world.order).await[0];
    assert_eq!(case["customer"]["state"], json!("refunded"), "{case}");
    assert_eq!(case["money"]["refunded"], json!("12.50"));
    assert_eq!(case["store_reference"], json!(format!("refund:{by_hand}")));
    assert_eq!(case["lines"][0]["quantity"], json!(1));
    assert_eq!(case["opened_by"], json!("store:woocommerce"));

    // The other unit, refunded through dropflow with the shipping: one refund on the site.
    let opened = open(
        &app,
        &world.order,
        &json!({ "reason": "wrong_item", "lines": [{ "line_id": world.line.to_string(), "quantity": 1 }],
            "resolution": { "kind": "refund", "goods": "12.50", "shipping": "5.00" } }),
    )
    .await;
    let ours = expect_json(opened, StatusCode::CREATED).await;
    let ours_id = ours["id"].as_str().expect("id").to_string();
    wait_customer(&app, &ours_id, "refunded").await;
    let made = world.site.refunds(world.number);
    assert_eq!(made.len(), 2, "{made:?}");
    // WooCommerce keeps amounts as `wc_format_decimal` writes them: trailing zeros dropped.
    assert_eq!(made[1].amount, "17.5");
    assert!(made[1]
        .reason
        .clone()
        .unwrap_or_default()
        .contains(&ours_id));

    // Its order.updated lists both: ours is recognised by its marker, nothing new opens.
    updated_with_refunds(
        &app,
        &world,
        &[
            (made[1].id, "ours", "17.50"),
            (by_hand, "cracked on arrival", "12.50"),
        ],
        3,
    )
    .await;
    let jobs_done = eventually(WAIT, || async {
        let mut waiting = 0;
        for status in ["queued", "running", "failed"] {
            waiting += app
                .api_list(&format!("/api/v1/jobs?status={status}&limit=500"))
                .await
                .iter()
                .filter(|j| j["kind"] == json!("case.read_store_refunds"))
                .filter(|j| j["order_id"] == json!(world.order))
                .count();
        }
        waiting == 0
    })
    .await;
    assert!(jobs_done, "the read-backs ran");
    let cases = cases_of(&app, &world.order).await;
    assert_eq!(cases.len(), 2, "{cases:?}");
    let refunded: Vec<&Value> = cases.iter().map(|c| &c["money"]["refunded"]).collect();
    assert!(refunded.contains(&&json!("17.50")), "{refunded:?}");
    assert_eq!(world.site.refunds(world.number).len(), 2);
    app.stop().await;
}
