//! Placing (issue 3, point 4) against the in-project AliExpress and CJ sandboxes: a paid
//! order becomes one placed purchase per supplier within seconds, and an unanswered attempt
//! is reconciled before any retry, so nothing is bought twice.

use crate::support::*;
use dropflow::suppliers::aliexpress::{AliExpress, AliExpressConfig};
use dropflow::suppliers::cj::{ApiKey, Cj, CjConfig};
use dropflow::suppliers::Supplier;
use dropflow::suppliers::Suppliers;
use dropflow_core::supplier::SupplierKind;
use dropflow_sandbox::aliexpress::{self as ali_sandbox, AliExpressSandbox};
use dropflow_sandbox::cj::{self as cj_sandbox, CjSandbox};
use dropflow_sandbox::faults::Faults;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct Sandboxes {
    pub(crate) ali: AliExpressSandbox,
    pub(crate) cj: CjSandbox,
}

/// How long the AliExpress sandbox holds a request it will not answer in time.
const TIMEOUT_HOLD: Duration = Duration::from_millis(1_500);

pub(crate) async fn sandboxes() -> Sandboxes {
    Sandboxes {
        ali: ali_sandbox::start(ali_sandbox::AliExpressSandboxConfig {
            timeout_hold: TIMEOUT_HOLD,
            ..Default::default()
        })
        .await
        .expect("aliexpress sandbox"),
        cj: cj_sandbox::start(Default::default())
            .await
            .expect("cj sandbox"),
    }
}

pub(crate) fn suppliers(s: &Sandboxes) -> Suppliers {
    let mut ali = AliExpressConfig::new(
        s.ali.base_url.clone(),
        s.ali.app_key(),
        s.ali.app_secret(),
        s.ali.access_token(),
    );
    ali.timeout_ms = 1_000;
    let mut cj = CjConfig::new(&s.cj.base_url, ApiKey::new(s.cj.api_key()));
    cj.timeout_ms = 1_000;
    let mut map: HashMap<SupplierKind, Arc<dyn Supplier>> = HashMap::new();
    map.insert(SupplierKind::Aliexpress, Arc::new(AliExpress::new(ali)));
    map.insert(SupplierKind::Cj, Arc::new(Cj::new(cj)));
    map.into()
}

pub(crate) async fn app_with(s: &Sandboxes) -> TestApp {
    let connectors = suppliers(s);
    TestApp::spawn_fulfilment(move |services| services.suppliers = connectors, |_| {}).await
}

/// Maps the order's first line to AliExpress's first catalogue offer and every other line to
/// a CJ variant.
pub(crate) async fn map_order(app: &TestApp, store: &str, order: &Value) {
    let ali = &ali_sandbox::offers()[0];
    for (i, line) in order["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .enumerate()
    {
        let offer = if i == 0 {
            json!({ "supplier": "aliexpress", "supplier_product_id": ali.product_id,
                "supplier_sku_id": ali.sku_id,
                "unit_cost": format!("{}.{:02}", ali.unit_cost_cents / 100, ali.unit_cost_cents % 100),
                "currency": ali.currency })
        } else {
            json!({ "supplier": "cj", "supplier_product_id": format!("cj-p{i}"),
                "supplier_sku_id": format!("cj-v{i}"), "unit_cost": "2.00", "currency": "USD" })
        };
        let body = json!({ "variant_id": line["variant_id"].to_string().trim_matches('"'),
            "components": [{ "offers": [offer] }] });
        app.put_mapping(store, &body).await;
    }
}

fn placed(p: &Value) -> bool {
    !matches!(
        p["status"].as_str(),
        Some("awaiting_placement") | Some("placement_unknown")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_is_placed_with_each_supplier() {
    let s = sandboxes().await;
    let app = app_with(&s).await;
    let store = app.shopify_store().await;
    let order = paid_order(9_200_001, "#P1");
    map_order(&app, &store, &order).await;
    let id = app.create_order(&order).await;
    let done = eventually(Duration::from_secs(15), || async {
        let p = app.supplier_orders(&id).await;
        !p.is_empty() && p.iter().all(placed)
    })
    .await;
    assert!(done, "not placed: {:?}", app.supplier_orders(&id).await);
    for p in app.supplier_orders(&id).await {
        assert!(
            p["external_id"].as_str().is_some_and(|x| !x.is_empty()),
            "{p}"
        );
        let attempt = p["attempt_id"].as_str().expect("attempt");
        match p["supplier"].as_str() {
            Some("aliexpress") => assert_eq!(s.ali.orders_placed(attempt), 1),
            Some("cj") => assert_eq!(s.cj.orders_with_number(attempt), 1),
            other => panic!("unexpected supplier {other:?}"),
        }
    }
    let detail = app.order_detail(&id).await;
    assert!(timeline_kinds(&detail).contains(&"supplier_order_changed".to_string()));
    assert_ne!(detail["procurement"], json!("not_started"), "{detail}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_attempt_is_reconciled_and_never_bought_twice() {
    let s = sandboxes().await;
    // Every AliExpress call times out, but the order is created anyway: the worst case.
    s.ali.faults.set(Faults {
        timeout_rate: 1.0,
        place_despite_timeout: true,
        ..Faults::default()
    });
    s.ali.set_fault_methods(&["aliexpress.ds.order.create"]);
    let app = app_with(&s).await;
    let store = app.shopify_store().await;
    let mut order = paid_order(9_200_002, "#P2");
    order["line_items"] = json!([order["line_items"][0].clone()]);
    map_order(&app, &store, &order).await;
    let id = app.create_order(&order).await;
    let unknown = eventually(Duration::from_secs(15), || async {
        app.supplier_orders(&id)
            .await
            .first()
            .map(|p| p["status"].clone())
            == Some(json!("placement_unknown"))
    })
    .await;
    assert!(unknown, "{:?}", app.supplier_orders(&id).await);
    // The supplier recovers; the retry must not create a second order.
    s.ali.faults.set(Faults::default());
    // AliExpress cannot be asked by our reference, so the retry places again with the same
    // reference. Either the unanswered attempt had gone through (AliExpress refuses the
    // duplicate and the job records that a person must link the order), or it had not yet
    // (the retry places it, once). Either way nothing is bought twice.
    let settled = eventually(Duration::from_secs(20), || async {
        let jobs = format!(
            "{}{}",
            app.api_json("/api/v1/jobs?status=queued").await,
            app.api_json("/api/v1/jobs?status=failed").await
        );
        let status = app
            .supplier_orders(&id)
            .await
            .first()
            .map(|p| p["status"].clone());
        let flagged = app
            .api_json(&format!("/api/v1/orders/{id}/flags"))
            .await
            .to_string()
            .contains("link it by hand");
        jobs.contains("link it by hand") || flagged || status != Some(json!("placement_unknown"))
    })
    .await;
    // Let a request the sandbox was still holding land, had it been going to buy again.
    tokio::time::sleep(TIMEOUT_HOLD + Duration::from_millis(500)).await;
    let p = app.supplier_orders(&id).await;
    let attempt = p[0]["attempt_id"].as_str().expect("attempt").to_string();
    assert!(settled, "neither placed nor flagged: {p:?}");
    assert_eq!(s.ali.orders_placed(&attempt), 1, "bought twice: {p:?}");
    assert_eq!(s.ali.order_count(), 1);

    // Flagged to link by hand: Retry (re-route) buys nothing again, buying again must be
    // asked for knowingly, and linking to the supplier's order settles it.
    if p[0]["status"] == json!("placement_unknown") {
        let so = p[0]["id"].as_str().expect("id").to_string();
        let retry = app
            .api_post_empty(&format!("/api/v1/orders/{id}/route"))
            .await;
        assert_eq!(retry.status(), StatusCode::ACCEPTED);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(
            app.supplier_orders(&id).await.len(),
            1,
            "retry re-bought the lines"
        );
        assert_eq!(s.ali.order_count(), 1);
        let buy_again = format!("/api/v1/supplier-orders/{so}/buy-again");
        let risky = json!({ "accept_duplicate_risk": false });
        let message = expect_error(
            app.api_post(&buy_again, &risky).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(message.contains("link it instead"), "{message}");
        let ali_id = s.ali.order_ids(&attempt)[0].to_string();
        let link = format!("/api/v1/supplier-orders/{so}/link");
        let found = json!({ "supplier_order_id": ali_id });
        let linked = expect_json(app.api_post(&link, &found).await, StatusCode::OK).await;
        assert_eq!(linked["external_id"], json!(ali_id), "{linked}");
        let flags = app.api_json(&format!("/api/v1/orders/{id}/flags")).await;
        assert!(flags[0]["resolved_at"].is_string(), "{flags}");
        assert_eq!(s.ali.order_count(), 1);
    }
    app.stop().await;
}

/// A placement that goes unanswered on every try (CJ down for hours, so the attempt cannot
/// even be looked up) ends in Needs Attention with a `link_by_hand` flag once its tries are
/// used up, not only as a row in the failed-jobs list; nothing is bought meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_unanswered_on_its_every_try_is_flagged_for_a_person() {
    let s = sandboxes().await;
    s.cj.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let connectors = suppliers(&s);
    let app = TestApp::spawn_fulfilment(
        move |services| services.suppliers = connectors,
        |config| {
            config.jobs.backoff_base_ms = 5;
            config.jobs.backoff_cap_ms = 20;
        },
    )
    .await;
    app.expect_failed_jobs("supplier_order.place");
    let store = app.shopify_store().await;
    let mut order = paid_order(9_200_011, "#P11");
    order["line_items"] = json!([order["line_items"][0].clone()]);
    let variant = order["line_items"][0]["variant_id"].to_string();
    let offer = json!({ "supplier": "cj", "supplier_product_id": "cj-p1",
        "supplier_sku_id": "cj-v1", "unit_cost": "2.00", "currency": "USD" });
    let mapping = json!({ "variant_id": variant.trim_matches('"'),
        "components": [{ "offers": [offer] }] });
    app.put_mapping(&store, &mapping).await;
    let id = app.create_order(&order).await;
    let flagged = eventually(Duration::from_secs(30), || async {
        app.api_json(&format!("/api/v1/orders/{id}/flags"))
            .await
            .to_string()
            .contains("link_by_hand")
    })
    .await;
    let flags = app.api_json(&format!("/api/v1/orders/{id}/flags")).await;
    assert!(flagged, "no flag after the last try: {flags}");
    let flag = flags
        .as_array()
        .and_then(|all| all.iter().find(|f| f["kind"] == json!("link_by_hand")))
        .expect("the flag")
        .clone();
    assert!(
        flag["detail"]
            .as_str()
            .is_some_and(|d| d.contains("unanswered 8 times")),
        "{flag}"
    );
    let p = app.supplier_orders(&id).await;
    assert_eq!(p[0]["status"], json!("placement_unknown"), "{p:?}");
    assert_eq!(s.cj.order_count(), 0);
    // Needs Attention is kept by the `attention` event consumer (not run by this test
    // app): its check, run by hand, puts the order there.
    app.check_attention(&id).await;
    let listed = app.api_json("/api/v1/orders?needs_attention=true").await;
    assert!(listed.to_string().contains(&id), "{listed}");
    app.stop().await;
}

/// Any other fulfilment job that uses up its tries raises a `job_failed` flag naming it;
/// retrying the job (the API's Retry) settles that flag in the same step and says so on the
/// timeline, and a job failing again raises a fresh one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_used_up_its_tries_flags_its_order_and_its_retry_settles_the_flag() {
    let app = TestApp::spawn_fulfilment(
        |_| {},
        |config| {
            config.jobs.backoff_base_ms = 5;
            config.jobs.backoff_cap_ms = 20;
        },
    )
    .await;
    app.expect_failed_jobs("supplier_order.pay");
    app.allow_pending_jobs();
    app.shopify_store().await;
    let id = app.create_order(&paid_order(9_200_012, "#P12")).await;
    // A payment job about a purchase that does not exist fails on every try.
    let order_id: dropflow_core::ids::OrderId = id.parse().expect("order id");
    let missing = dropflow_core::ids::SupplierOrderId::new();
    let mut tx = app.db.begin().await.expect("begin");
    let job = dropflow::storage::jobs::enqueue_with_tries(
        &mut tx,
        "supplier_order.pay",
        &json!({ "supplier_order_id": missing.to_string() }),
        Some(order_id),
        dropflow::storage::now_ms(),
        2,
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");
    app.db.jobs_queued.notify_one();

    let open_job_flags = || async {
        app.api_json(&format!("/api/v1/orders/{id}/flags"))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f["kind"] == json!("job_failed") && f["resolved_at"].is_null())
            .collect::<Vec<Value>>()
    };
    assert!(
        eventually(Duration::from_secs(20), || async {
            open_job_flags().await.len() == 1
        })
        .await,
        "no job_failed flag: {}",
        app.api_json(&format!("/api/v1/orders/{id}/flags")).await
    );
    let flag = open_job_flags().await.remove(0);
    let detail = flag["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with(&format!(
            "job {job} (supplier_order.pay) used up its 2 tries:"
        )) && detail.contains(&missing.to_string()),
        "{detail}"
    );

    let retry = app
        .api_post_empty(&format!("/api/v1/jobs/{job}/retry"))
        .await;
    assert!(retry.status().is_success(), "{}", retry.status());
    let flags = app.api_json(&format!("/api/v1/orders/{id}/flags")).await;
    let settled = flags
        .as_array()
        .and_then(|all| all.iter().find(|f| f["id"] == flag["id"]))
        .expect("the flag is kept");
    assert_eq!(
        settled["resolution"],
        json!("the job was retried"),
        "{flags}"
    );
    let detail = app.order_detail(&id).await;
    assert!(
        detail.to_string().contains("retried"),
        "the timeline does not say the flag was settled: {detail}"
    );
    // The cause is not fixed: the retried job uses up its tries again and flags again.
    assert!(
        eventually(Duration::from_secs(20), || async {
            open_job_flags().await.len() == 1
        })
        .await,
        "no fresh flag after the retry failed again"
    );
    app.stop().await;
}
