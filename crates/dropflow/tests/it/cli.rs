//! The `dropflow` binary (issue points 1, 3 and the "Done when" durability promise).

use crate::support::*;
use dropflow::storage::stores;
use dropflow_core::intake::Platform;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_dropflow");

/// A `dropflow` command run in `dir` (so no stray `dropflow.toml` is read).
fn command(dir: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("DROPFLOW__DATABASE__URL")
        .env_remove("DROPFLOW_LOG")
        .kill_on_drop(true);
    cmd
}

async fn run(dir: &Path, database: &str, args: &[&str]) -> Output {
    command(dir)
        .arg("--database")
        .arg(database)
        .args(args)
        .output()
        .await
        .expect("run dropflow")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn address_check_exits_0_for_a_valid_postal_code_and_1_otherwise() {
    let dir = tempfile::tempdir().expect("dir");
    let check = |country: &'static str, code: &'static str| {
        let mut cmd = command(dir.path());
        cmd.args(["address", "check", "--country", country, "--postal-code", code]);
        cmd
    };
    let ok = check("US", "95014").output().await.expect("run");
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert_eq!(stdout(&ok).trim(), "valid");

    for (country, code) in [("US", "9501"), ("US", "95014-"), ("CA", "12345"), ("XX", "1")] {
        let bad = check(country, code).output().await.expect("run");
        assert_eq!(bad.status.code(), Some(1), "{country} {code}: {bad:?}");
        assert!(stdout(&bad).starts_with("invalid"), "{}", stdout(&bad));
    }
    for (country, code) in [("US", "95014-1234"), ("CA", "K1A 0B1"), ("GB", "SW1A 1AA"), ("BR", "20040-002")] {
        let good = check(country, code).output().await.expect("run");
        assert_eq!(good.status.code(), Some(0), "{country} {code}: {good:?}");
    }
}

#[tokio::test]
async fn migrate_prepares_a_fresh_database() {
    let testdb = TestDb::create().await;
    let out = run(testdb.dir.path(), &testdb.url, &["migrate"]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).contains("migrations applied"));
    let db = testdb.connect_raw().await;
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM tab_counts").await, 8);
    db.close().await;
}

#[tokio::test]
async fn a_created_token_is_the_last_line_and_works_against_the_api() {
    let app = TestApp::spawn().await;
    let out = run(app.testdb.dir.path(), &app.testdb.url, &["tokens", "create", "--name", "x"]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    let token = text.lines().last().expect("a line").trim().to_string();
    assert!(token.starts_with("dfk_"), "{text}");
    assert_eq!(token.len(), 47);

    let response = app
        .client()
        .get(app.url("/api/v1/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);

    // The token's name is the actor on the timeline.
    app.shopify_store().await;
    let (_, ack) = app.shopify_order("orders/create", &paid_order(1, "#1")).await;
    let id = ack["order_id"].as_str().expect("id");
    let response = app
        .client()
        .post(app.url(&format!("/api/v1/orders/{id}/holds")))
        .bearer_auth(&token)
        .json(&json!({"reason": "other", "detail": "call the customer"}))
        .send()
        .await
        .expect("POST");
    let detail = expect_json(response, StatusCode::OK).await;
    let last = detail["timeline"].as_array().and_then(|t| t.last()).cloned().expect("event");
    assert_eq!(last["actor"], "merchant:x");
    app.stop().await;
}

#[tokio::test]
async fn orders_list_and_show_read_what_was_ingested() {
    let app = TestApp::spawn().await;
    app.shopify_store().await;
    let (_, ack) = app.shopify_order("orders/create", &paid_order(4242, "#1001")).await;
    let id = ack["order_id"].as_str().expect("id").to_string();
    let pending = shopify_order(4243, "#1002", "pending", "2024-05-01T10:00:00-05:00");
    app.shopify_order("orders/create", &pending).await;
    let dir = app.testdb.dir.path();
    let url = app.testdb.url.as_str();

    let all = run(dir, url, &["orders", "list", "--tab", "all"]).await;
    assert_eq!(all.status.code(), Some(0), "{all:?}");
    let text = stdout(&all);
    let mut lines = text.lines();
    let summary = lines.next().expect("summary line");
    assert!(summary.contains("all 2"), "{summary}");
    assert!(summary.contains("awaiting_order 1"), "{summary}");
    assert!(summary.contains("on_hold 1"), "{summary}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows.iter().any(|r| r.contains("#1001") && r.contains(&id)), "{text}");
    assert!(rows.iter().any(|r| r.contains("#1002") && r.contains("holds=awaiting_payment")), "{text}");

    let held = stdout(&run(dir, url, &["orders", "list", "--tab", "on_hold"]).await);
    assert!(held.contains("#1002") && !held.contains("#1001"), "{held}");

    let show = run(dir, url, &["orders", "show", "1001"]).await;
    assert_eq!(show.status.code(), Some(0), "{show:?}");
    let detail: Value = serde_json::from_slice(&show.stdout).expect("JSON detail");
    assert_eq!(detail["id"], json!(id));
    assert_eq!(detail["name"], "#1001");
    assert_eq!(detail["tab"], "awaiting_order");
    assert!(detail["timeline"].as_array().is_some_and(|t| t.len() == 2));

    let missing = run(dir, url, &["orders", "show", "9999"]).await;
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    let bad_tab = run(dir, url, &["orders", "list", "--tab", "open"]).await;
    assert_eq!(bad_tab.status.code(), Some(2), "{bad_tab:?}");
    assert!(String::from_utf8_lossy(&bad_tab.stderr).contains("open"));
    app.stop().await;
}

#[tokio::test]
async fn the_database_url_can_come_from_the_environment() {
    let testdb = TestDb::create().await;
    let out = command(testdb.dir.path())
        .env("DROPFLOW__DATABASE__URL", &testdb.url)
        .args(["tokens", "create", "--name", "from-env"])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let db = testdb.connect_raw().await;
    let name: String = sqlx::query_scalar("SELECT name FROM api_tokens")
        .fetch_one(&db.reader)
        .await
        .expect("token row");
    assert_eq!(name, "from-env");
    db.close().await;
}

#[tokio::test]
async fn a_store_added_on_the_command_line_is_accepted_by_a_running_server() {
    let app = TestApp::spawn().await;
    let out = command(app.testdb.dir.path())
        .args(["--database", &app.testdb.url, "stores", "add", "--platform", "shopify", "--domain", SHOP])
        .env("DROPFLOW_WEBHOOK_SECRET", SHOPIFY_SECRET)
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!stdout(&out).contains(SHOPIFY_SECRET));
    let (_, ack) = app.shopify_order("orders/create", &paid_order(1, "#1")).await;
    assert_eq!(ack["status"], "created");
    app.stop().await;
}

/// Starts `dropflow serve` on an ephemeral port; the child and its base URL.
async fn serve(dir: &Path, url: &str, stderr: Stdio) -> (tokio::process::Child, String) {
    let mut child = command(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--database", url])
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("spawn serve");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("serve starts in time")
        .expect("read stdout")
        .expect("a line");
    let base = line
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_keeps_every_order_it_acknowledged() {
    let testdb = TestDb::create().await;
    let db = testdb.connect().await;
    stores::create(&db, Platform::Shopify, SHOP, SHOPIFY_SECRET).await.expect("store");
    let (mut child, base) = serve(testdb.dir.path(), &testdb.url, Stdio::null()).await;

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let burst = {
        let acked = acked.clone();
        let base = base.clone();
        tokio::spawn(async move {
            futures::stream::iter(1..=2000u64)
                .map(|i| {
                    let client = client.clone();
                    let base = base.clone();
                    let acked = acked.clone();
                    async move {
                        let hook = shopify_hook("orders/create", &paid_order(i, &format!("#{i}")));
                        let mut request = client.post(format!("{base}/webhooks/shopify")).body(hook.body.clone());
                        for (name, value) in hook.headers(SHOPIFY_SECRET.as_bytes()) {
                            request = request.header(name, value);
                        }
                        if let Ok(response) = request.send().await {
                            if response.status() == StatusCode::OK {
                                acked.lock().expect("lock").push(i.to_string());
                            }
                        }
                    }
                })
                .buffer_unordered(32)
                .collect::<Vec<()>>()
                .await;
        })
    };
    let check = acked.clone();
    let enough = eventually(Duration::from_secs(60), || {
        let acked = check.clone();
        async move { acked.lock().expect("lock").len() >= 100 }
    })
    .await;
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("reaped");
    burst.await.expect("burst ends");
    assert!(enough, "the server acknowledged too few orders before the kill");

    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() < 2000, "the kill came after the burst ended");
    let stored: Vec<String> = sqlx::query_scalar("SELECT external_id FROM orders")
        .fetch_all(&db.reader)
        .await
        .expect("orders");
    let stored: std::collections::HashSet<String> = stored.into_iter().collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert_eq!(
        dropflow::storage::orders::tab_counts(&db).await.expect("counts")["all"],
        stored.len() as i64,
        "tab counts agree with the rows"
    );
    db.close().await;
}

#[tokio::test]
async fn the_server_logs_no_personal_data() {
    let testdb = TestDb::create().await;
    let db = testdb.connect().await;
    stores::create(&db, Platform::Shopify, SHOP, SHOPIFY_SECRET).await.expect("store");
    let (mut child, base) = serve(testdb.dir.path(), &testdb.url, Stdio::piped()).await;
    let client = reqwest::Client::new();
    let send = |body: Vec<u8>, secret: &str, topic: &str, shop: &str| {
        let mut hook = shopify_hook(topic, &json!({}));
        hook.body = body;
        hook.shop_domain = shop.to_string();
        let mut request = client.post(format!("{base}/webhooks/shopify")).body(hook.body.clone());
        for (name, value) in hook.headers(secret.as_bytes()) {
            request = request.header(name, value);
        }
        request.send()
    };
    let mut order = paid_order(77, "#77");
    order["email"] = json!("private.person@example.org");
    order["customer"]["email"] = json!("private.person@example.org");
    order["customer"]["last_name"] = json!("Zyxwvutsrq");
    order["shipping_address"]["address1"] = json!("31 Secretive Lane");
    order["shipping_address"]["phone"] = json!("+1-555-0199-777");
    order["shipping_address"]["zip"] = json!("0000");
    let body = order.to_string().into_bytes();
    let mut broken = order.clone();
    broken["line_items"][0]["price"] = json!("free");

    let answers = [
        send(body.clone(), SHOPIFY_SECRET, "orders/create", SHOP).await,
        send(body.clone(), "wrong-secret-wrong", "orders/create", SHOP).await,
        send(body.clone(), SHOPIFY_SECRET, "orders/create", "nobody.myshopify.com").await,
        send(broken.to_string().into_bytes(), SHOPIFY_SECRET, "orders/create", SHOP).await,
        send(body[..body.len() / 2].to_vec(), SHOPIFY_SECRET, "orders/updated", SHOP).await,
        send(body.clone(), SHOPIFY_SECRET, "customers/redact", SHOP).await,
    ];
    let statuses: Vec<u16> = answers
        .into_iter()
        .map(|a| a.expect("answer").status().as_u16())
        .collect();
    assert_eq!(statuses, [200, 401, 404, 422, 422, 200]);

    child.start_kill().expect("kill");
    let output = child.wait_with_output().await.expect("output");
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(logs.contains("dropflow is listening"), "logs were not captured: {logs}");
    for secret in [
        "private.person",
        "Zyxwvutsrq",
        "Secretive Lane",
        "0199-777",
        SHOPIFY_SECRET,
    ] {
        assert!(!logs.contains(secret), "{secret:?} in the logs:\n{logs}");
    }
    db.close().await;
}
