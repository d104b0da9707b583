//! Routing (issue 3, point 2): a paid order becomes one supplier order per supplier; an
//! unmapped line fails with its reason and a retry after the mapping is fixed moves it on.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

fn offer(supplier: &str, sku: &str, cost: &str, priority: i32, stock: Option<u32>) -> Value {
    json!({
        "supplier": supplier, "supplier_product_id": format!("prod-{sku}"),
        "supplier_sku_id": sku, "unit_cost": cost, "currency": "USD",
        "priority": priority, "stock": stock, "ships_to": ["US", "CA"]
    })
}

async fn map_variant(app: &TestApp, store: &str, variant: &Value, components: Value) {
    let body =
        json!({ "variant_id": variant.to_string().trim_matches('"'), "components": components });
    app.put_mapping(store, &body).await;
}

async fn send_paid(app: &TestApp, order: &Value) -> String {
    let (_, ack) = app.shopify_order("orders/create", order).await;
    order_id(&ack)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_becomes_one_supplier_order_per_supplier() {
    // No supplier connector in this app: this test is about the routing.
    let (app, store) = TestApp::spawn_routing_only().await;
    let order = paid_order(9_100_001, "#R1");
    let lines = order["line_items"].as_array().expect("lines").clone();
    assert!(!lines.is_empty());
    // First line from AliExpress (backup CJ out of stock is not needed), the rest from CJ.
    for (i, line) in lines.iter().enumerate() {
        let supplier = if i == 0 { "aliexpress" } else { "cj" };
        map_variant(
            &app,
            &store,
            &line["variant_id"],
            json!([{ "offers": [offer(supplier, &format!("sku-{i}"), "2.50", 1, Some(100))] }]),
        )
        .await;
    }
    let id = send_paid(&app, &order).await;
    let routed = eventually(Duration::from_secs(10), || async {
        !app.supplier_orders(&id).await.is_empty()
    })
    .await;
    assert!(routed, "the order was not routed");
    let purchases = app.supplier_orders(&id).await;
    let expected = if lines.len() > 1 { 2 } else { 1 };
    assert_eq!(purchases.len(), expected, "{purchases:?}");
    for p in &purchases {
        assert_eq!(p["status"], json!("awaiting_placement"));
        assert_eq!(p["attempt_id"].as_str().map(str::len), Some(32));
    }
    let total_items: usize = purchases
        .iter()
        .map(|p| p["items"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(total_items, lines.len());
    let detail = app.order_detail(&id).await;
    assert!(timeline_kinds(&detail).contains(&"routed".to_string()));
    assert_eq!(detail["tab"], json!("awaiting_order"));
    // Each supplier order waits for its placement job.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'supplier_order.place'")
            .await,
        expected as i64
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmapped_line_fails_with_its_reason_and_a_retry_after_mapping_moves_it_on() {
    // No supplier connector in this app: this test is about the routing.
    let (app, store) = TestApp::spawn_routing_only().await;
    let order = paid_order(9_100_002, "#R2");
    let id = send_paid(&app, &order).await;
    let failed = eventually(Duration::from_secs(10), || async {
        app.order_detail(&id).await["tab"] == json!("failed")
    })
    .await;
    assert!(failed, "an unmapped order must land in Failed");
    let detail = app.order_detail(&id).await;
    let failures = detail["state"]["routing_failures"]
        .as_array()
        .expect("failures");
    assert_eq!(failures[0]["reason"]["kind"], json!("no_mapping"));
    assert_eq!(app.counts().await["failed"], 1);

    for line in order["line_items"].as_array().expect("lines") {
        map_variant(
            &app,
            &store,
            &line["variant_id"],
            json!([{ "offers": [offer("cj", "any", "1.00", 0, None)] }]),
        )
        .await;
    }
    let response = app
        .api_post_empty(&format!("/api/v1/orders/{id}/route"))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let moved = eventually(Duration::from_secs(10), || async {
        app.order_detail(&id).await["tab"] == json!("awaiting_order")
    })
    .await;
    assert!(moved, "the retry did not move the order on");
    assert_eq!(app.supplier_orders(&id).await.len(), 1);
    let kinds = timeline_kinds(&app.order_detail(&id).await);
    assert!(kinds.contains(&"routing_failed".to_string()));
    assert!(kinds.contains(&"routing_succeeded".to_string()));
    assert!(
        kinds.contains(&"action_requested".to_string()),
        "who asked: {kinds:?}"
    );
    // Routing again buys nothing twice.
    app.api_post_empty(&format!("/api/v1/orders/{id}/route"))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.supplier_orders(&id).await.len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_with_bad_fields_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let store = app.shopify_store().await;
    for (components, field) in [
        (json!([]), "components"),
        (json!([{ "offers": [] }]), "components[0].offers"),
        (
            json!([{ "offers": [offer("ebay", "x", "1.00", 0, None)] }]),
            "components[0].offers[0].supplier",
        ),
        (
            json!([{ "offers": [offer("cj", "x", "1.001", 0, None)] }]),
            "components[0].offers[0].unit_cost",
        ),
    ] {
        let response = app
            .api_put(
                &format!("/api/v1/stores/{store}/mappings"),
                &json!({ "variant_id": "1", "components": components }),
            )
            .await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.contains(field), "{message} should name {field}");
    }
    assert_eq!(app.rows("mappings").await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_import_from_csv_skipping_bad_rows_and_export_again() {
    let app = TestApp::spawn_with_shop().await;
    let csv = "key_kind,key,title,component,component_quantity,supplier,account,supplier_product_id,supplier_sku_id,unit_cost,currency,priority,ships_to,stock,product_url\n\
variant,111,Mug,0,1,aliexpress,,p1,s1,3.50,USD,1,US CA,10,\n\
variant,111,Mug,0,1,cj,,p2,s2,4.00,USD,2,,,\n\
variant,222,Bad,0,1,ebay,,p3,s3,1.00,USD,0,,,\n\
sku,MUG-2,Mug two,0,2,manual,acme,p4,s4,0.50,EUR,0,,,https://example.test/p4\n";
    let file = app.testdb.dir.path().join("mappings.csv");
    std::fs::write(&file, csv).expect("write csv");
    let bin = env!("CARGO_BIN_EXE_dropflow");
    let output = std::process::Command::new(bin)
        .args([
            "--database",
            &app.testdb.url,
            "mappings",
            "import",
            "--store",
            SHOP,
        ])
        .arg(&file)
        .current_dir(app.testdb.dir.path())
        .output()
        .expect("run import");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("2 mappings imported, 1 rows skipped"),
        "{stdout}"
    );
    assert!(stderr.contains("line 4"), "{stderr}");
    assert_eq!(app.rows("mappings").await, 2);

    let output = std::process::Command::new(bin)
        .args([
            "--database",
            &app.testdb.url,
            "mappings",
            "export",
            "--store",
            SHOP,
        ])
        .current_dir(app.testdb.dir.path())
        .output()
        .expect("run export");
    assert!(output.status.success());
    let exported = String::from_utf8_lossy(&output.stdout);
    assert_eq!(exported.lines().count(), 4, "{exported}");
    assert!(exported.contains("sku,MUG-2,Mug two,0,2,manual,acme,p4,s4,0.50,EUR"));
    assert!(exported.contains("variant,111,Mug,0,1,aliexpress,default,p1,s1,3.50,USD,1,US CA,10,"));
    app.stop().await;
}
