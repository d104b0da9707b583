//! Issue 12, "keep it found": every route of the API (enumerated from the served OpenAPI
//! document, so a new route cannot be forgotten) with every role's token that is not the
//! victim's — the owner of another account, staff of another store, a vendor, another
//! account's warehouse — answers 404 or 403 for the victim's objects, never their data, and
//! changes nothing of theirs.

use crate::support::*;
use dropflow::storage::accounts::{self, Role};
use dropflow_core::ids::StoreId;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// What the victim's objects are called, for the path parameters.
struct Victim {
    order: String,
    store: String,
    receipt: String,
    job: String,
    token: String,
    endpoint: String,
    /// Text that must never appear in another caller's answer.
    markers: Vec<String>,
}

async fn first(app: &TestApp, sql: &str) -> String {
    let value: Option<String> = sqlx::query_scalar(sql)
        .fetch_optional(&app.db.reader)
        .await
        .expect("query");
    value.unwrap_or_else(|| "0".to_string())
}

async fn victim(app: &TestApp) -> Victim {
    let store = app.shopify_store().await;
    let order = paid_order(4242, "#4242");
    let email = order["email"]
        .as_str()
        .unwrap_or("bob.norman@mail.example.com")
        .to_string();
    let (_, ack) = app.shopify_order("orders/create", &order).await;
    let order_id = order_id(&ack);
    let endpoint = expect_json(
        app.api_post(
            &format!("/api/v1/stores/{store}/webhook-endpoints"),
            &json!({"url": "https://hooks.victim.example/dropflow"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .expect("endpoint id")
        .to_string();
    let top_up = app
        .api_post(
            &format!("/api/v1/stores/{store}/wallet/top-ups"),
            &json!({"amount": "77.00", "currency": "USD"}),
        )
        .await;
    assert!(top_up.status().is_success());
    Victim {
        receipt: first(app, "SELECT CAST(id AS TEXT) FROM webhook_receipts LIMIT 1").await,
        job: first(app, "SELECT CAST(id AS TEXT) FROM jobs LIMIT 1").await,
        token: first(
            app,
            &format!("SELECT id FROM api_tokens WHERE name = '{TOKEN_NAME}'"),
        )
        .await,
        markers: vec![
            "#4242".into(),
            email,
            SHOP.into(),
            "hooks.victim.example".into(),
            TOKEN_NAME.into(),
            order_id.clone(),
            store.clone(),
        ],
        order: order_id,
        store,
        endpoint,
    }
}

/// The path with each parameter replaced by the victim's object of that kind.
fn fill(path: &str, v: &Victim) -> String {
    let by_kind = |before: &str| -> &str {
        if before.ends_with("/receipts/") {
            &v.receipt
        } else if before.ends_with("/jobs/") {
            &v.job
        } else if before.ends_with("/tokens/") {
            &v.token
        } else if before.ends_with("/webhook-endpoints/") {
            &v.endpoint
        } else if before.ends_with("/holds/") {
            "other"
        } else {
            &v.order
        }
    };
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        let value = if name == "store_id" {
            v.store.as_str()
        } else {
            by_kind(&out)
        };
        out.push_str(value);
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_shows_or_changes_another_callers_objects() {
    let app = TestApp::spawn().await;
    let v = victim(&app).await;
    let before = app.order_detail(&v.order).await;
    let wallet_path = format!("/api/v1/stores/{}/wallet?currency=USD", v.store);
    let wallet_before = app.api_json(&wallet_path).await;

    // Another store in the victim's account (for its staff) and another account.
    let second: StoreId = app
        .register_shopify_store("second-store.myshopify.com", SHOPIFY_SECRET)
        .await
        .parse()
        .expect("store id");
    let other = new_account(&app, "tenant-b").await;
    let default = accounts::DEFAULT_ACCOUNT;
    let callers = [
        (
            "owner of another account",
            user_token(&app, &other, "owner@b.example", Role::Owner, &[]).await,
        ),
        (
            "staff of another store",
            user_token(&app, default, "staff@a.example", Role::Staff, &[second]).await,
        ),
        (
            "vendor",
            vendor_token(&app, "vendor@a.example", "acme").await,
        ),
        (
            "another account's warehouse",
            user_token(&app, &other, "wh@b.example", Role::Warehouse, &[]).await,
        ),
    ];

    let doc = app.api_json("/api/v1/openapi.json").await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut probes = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let has_body = operation.get("requestBody").is_some();
            let names_an_object = path.contains('{');
            // Required query parameters get a valid value, so the probe reaches the scope.
            let query: Vec<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .map(|p| {
                    let name = p["name"].as_str().unwrap_or_default();
                    let value = if name == "currency" { "USD" } else { "1" };
                    format!("{name}={value}")
                })
                .collect();
            let mut url = app.url(&fill(path, &v));
            if !query.is_empty() {
                url = format!("{url}?{}", query.join("&"));
            }
            for (who, token) in &callers {
                let request = match method.as_str() {
                    "get" => app.client().get(&url),
                    "post" => app.client().post(&url),
                    "put" => app.client().put(&url),
                    "delete" => app.client().delete(&url),
                    other => panic!("unexpected method {other} on {path}"),
                };
                let request = request.bearer_auth(token);
                let request = if has_body {
                    request.json(&json!({}))
                } else {
                    request
                };
                let response = request.send().await.expect("probe");
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                probes += 1;
                let refused = matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND);
                // A body refused before anything is read (missing fields) is no answer about
                // the object either; a collection answers with the caller's own things.
                let body_refused = has_body
                    && matches!(
                        status,
                        StatusCode::BAD_REQUEST
                            | StatusCode::UNSUPPORTED_MEDIA_TYPE
                            | StatusCode::UNPROCESSABLE_ENTITY
                    );
                let own_collection = !names_an_object && status.is_success();
                assert!(
                    refused || body_refused || own_collection,
                    "{who}: {} {path} answered {status}: {text}",
                    method.to_uppercase()
                );
                // Errors may echo the id the caller sent; nothing else of the victim's.
                let echoed: &[&str] = if names_an_object {
                    &[v.order.as_str(), v.store.as_str()]
                } else {
                    &[]
                };
                for marker in v.markers.iter().filter(|m| !echoed.contains(&m.as_str())) {
                    assert!(
                        !text.contains(marker.as_str()),
                        "{who}: {} {path} ({status}) shows {marker:?}: {text}",
                        method.to_uppercase()
                    );
                }
            }
        }
    }
    assert!(
        probes >= 4 * 50,
        "only {probes} probes: is the document complete?"
    );
    // Nothing of the victim's changed.
    let after = app.order_detail(&v.order).await;
    assert_eq!(before["holds"], after["holds"]);
    assert_eq!(before["tab"], after["tab"]);
    assert_eq!(
        before["timeline"].as_array().map(Vec::len),
        after["timeline"].as_array().map(Vec::len)
    );
    assert_eq!(wallet_before, app.api_json(&wallet_path).await);
    let endpoints: Value = app
        .api_json(&format!("/api/v1/stores/{}/webhook-endpoints", v.store))
        .await;
    assert!(endpoints.to_string().contains(&v.endpoint), "{endpoints}");
    app.stop().await;
}
