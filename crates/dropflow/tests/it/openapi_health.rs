//! `/healthz`, `/readyz`, `/metrics` and the OpenAPI document (issue point 8), and starting
//! from nothing but a database URL (point 4: migrations applied at start).

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let app = TestApp::spawn().await;
    let health = expect_json(app.get("/healthz").await, StatusCode::OK).await;
    assert_eq!(health, json!({"status": "ok"}));
    let ready = expect_json(app.get("/readyz").await, StatusCode::OK).await;
    assert_eq!(ready, json!({"status": "ready"}));
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_webhooks_in_prometheus_text() {
    let app = TestApp::spawn_with_shop().await;
    app.shopify_order("orders/create", &paid_order(1, "#1"))
        .await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("body");
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("dropflow_webhooks_total{")
                && l.contains("platform=\"shopify\"")
                && l.contains("outcome=\"created\"")
        })
        .unwrap_or_else(|| panic!("no created-webhook counter in:\n{text}"));
    let value: f64 = line
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a number");
    assert!(value >= 1.0, "{line}");
    assert!(
        text.contains("# TYPE dropflow_webhooks_total counter"),
        "{text}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = TestApp::spawn().await;
    // Public, like the health endpoints: it holds no data.
    let response = app.get("/api/v1/openapi.json").await;
    let doc: Value = expect_json(response, StatusCode::OK).await;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "dropflow");
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/counts",
        "/api/v1/orders/{id}",
        "/api/v1/orders/{id}/holds",
        "/api/v1/orders/{id}/holds/{reason}/release",
        "/api/v1/stores",
        "/api/v1/jobs",
        "/api/v1/jobs/{id}/retry",
        "/api/v1/receipts/{id}",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert!(paths["/api/v1/stores"]["post"].is_object());
    assert!(paths["/api/v1/stores"]["get"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("bearer")
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    app.stop().await;
}

/// The order detail's `amounts` (shipping, discounts, taxes besides the lines) are described,
/// every field required.
#[tokio::test]
async fn the_openapi_document_describes_the_order_amounts() {
    let app = TestApp::spawn().await;
    let doc: Value = expect_json(app.get("/api/v1/openapi.json").await, StatusCode::OK).await;
    let schemas = &doc["components"]["schemas"];
    // The summary is flattened in: its own part of an `allOf`, then the detail's fields.
    let detail = &schemas["OrderDetail"]["allOf"][1];
    assert_eq!(
        detail["properties"]["amounts"]["$ref"],
        "#/components/schemas/ChargedAmounts"
    );
    assert!(detail["required"]
        .as_array()
        .expect("required")
        .contains(&json!("amounts")));
    let amounts = &schemas["ChargedAmounts"];
    for (field, kind) in [
        ("shipping_minor", "integer"),
        ("discounts_minor", "integer"),
        ("taxes_minor", "integer"),
        ("taxes_included", "boolean"),
    ] {
        assert_eq!(amounts["properties"][field]["type"], kind, "{field}");
        assert!(amounts["required"]
            .as_array()
            .expect("required")
            .contains(&json!(field)));
    }
    app.stop().await;
}

#[tokio::test]
async fn start_migrates_a_fresh_database_and_serves() {
    let testdb = TestDb::create().await;
    let config = test_config(&testdb);
    let running = dropflow::app::start(&config, |_| dropflow::jobs::Registry::new())
        .await
        .expect("start");
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("{}/readyz", running.base_url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        scalar(&running.db, "SELECT COUNT(*) FROM accounts").await,
        1
    );
    running.stop().await;
}

#[tokio::test]
async fn a_stopped_app_no_longer_listens() {
    let app = TestApp::spawn().await;
    let url = app.url("/healthz");
    app.stop().await;
    let result = reqwest::Client::new().get(url).send().await;
    assert!(result.is_err(), "still answering after stop");
}

/// Issue 12 item 10: the document omitted 400/401/415 on most operations, ranges and enums,
/// and marked the wallet's `currency` optional though it is required.
#[tokio::test]
async fn the_openapi_document_lists_every_status_range_and_enum() {
    let app = TestApp::spawn().await;
    let doc: Value = expect_json(app.get("/api/v1/openapi.json").await, StatusCode::OK).await;
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("item") {
            let statuses = operation["responses"].as_object().expect("responses");
            let mut wanted = vec!["400", "401", "403", "503"];
            if path.contains('{') {
                wanted.push("404");
            }
            if operation.get("requestBody").is_some() {
                wanted.extend(["413", "415", "422"]);
            }
            for status in wanted {
                assert!(
                    statuses.contains_key(status),
                    "{method} {path} does not list {status}"
                );
            }
        }
    }
    let param = |path: &str, name: &str| -> Value {
        paths[path]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} on {path}"))
    };
    let currency = param("/api/v1/stores/{store_id}/wallet", "currency");
    assert_eq!(currency["required"], json!(true), "{currency}");
    for (path, name) in [
        ("/api/v1/orders", "limit"),
        ("/api/v1/jobs", "limit"),
        ("/api/v1/stores/{store_id}/wallet/entries", "limit"),
    ] {
        let limit = param(path, name);
        assert_eq!(limit["schema"]["minimum"], json!(1), "{path}: {limit}");
        assert_eq!(limit["schema"]["maximum"], json!(500), "{path}: {limit}");
    }
    let tab = param("/api/v1/orders", "tab").to_string();
    assert!(
        tab.contains("\"on_hold\"") && tab.contains("\"awaiting_order\""),
        "{tab}"
    );
    let status = param("/api/v1/jobs", "status").to_string();
    assert!(
        status.contains("\"failed\"") && status.contains("\"queued\""),
        "{status}"
    );
    let schemas = &doc["components"]["schemas"];
    let text = |name: &str, field: &str| schemas[name]["properties"][field].to_string();
    assert!(text("NewHold", "reason").contains("\"implausible_order\""));
    assert!(text("NewStore", "platform").contains("\"woocommerce\""));
    assert!(text("DecisionInput", "decision").contains("\"return_refund\""));
    app.stop().await;
}
