//! `dropflow sandbox` and `dropflow serve` as two processes, wired only by the configuration
//! the sandbox prints and the HTTP calls a merchant makes: an order made on each sandbox store
//! goes from its signed webhook to tracking written back on that store.

use crate::support::*;
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_dropflow");
const CONTROL_LINE: &str = "# sandbox control API: ";
const END_OF_CONFIG: &str = "# end of dropflow.toml";

fn dropflow(db: &TestDb) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(db.dir.path())
        .env("DROPFLOW_LOG", "warn")
        .args(["--database", &db.url]);
    command
}

/// Starts `dropflow sandbox`; returns it, its control URL and the configuration it printed.
async fn start_sandbox(db: &TestDb) -> (Child, String, String) {
    let mut child = Command::new(BIN)
        .current_dir(db.dir.path())
        .env("DROPFLOW_LOG", "warn")
        // Sandbox time fast (a day in 4 s) so the order ships within seconds.
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--time-scale",
            "21600",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn dropflow sandbox");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut config = String::new();
    let mut control = None;
    loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the sandbox printed its configuration in time")
            .expect("read stdout")
            .expect("the configuration ends with its end line");
        if line == END_OF_CONFIG {
            break;
        }
        if let Some(url) = line.strip_prefix(CONTROL_LINE) {
            control = Some(url.to_string());
        }
        config.push_str(&line);
        config.push('\n');
    }
    (child, control.expect("the control API line"), config)
}

async fn serve(db: &TestDb) -> (Child, String) {
    let mut child = dropflow(db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn dropflow serve");
    let url = crate::process::listening_url(&mut child).await;
    (child, url)
}

async fn post(client: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    let response = client.post(url).json(&body).send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_takes_sandbox_orders_from_webhook_to_tracking_on_the_store() {
    let db = TestDb::create().await;
    let (mut sandbox, control, config) = start_sandbox(&db).await;
    assert!(
        config.contains("[suppliers.cj]")
            && config.contains("[suppliers.aliexpress]")
            && config.contains("[tracking.track17]")
            && config.contains("allow_private_addresses = true"),
        "{config}"
    );
    // `serve` reads dropflow.toml from its working folder, as a person would run it.
    std::fs::write(db.dir.path().join("dropflow.toml"), &config).expect("write dropflow.toml");
    let (mut server, base) = serve(&db).await;
    let output = dropflow(&db)
        .args(["tokens", "create", "--name", "sandbox"])
        .output()
        .await
        .expect("dropflow tokens create");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let token = stdout
        .lines()
        .last()
        .expect("the token line")
        .trim()
        .to_string();

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    // Orders before connecting have nowhere to go.
    let (status, _) = post(&client, &format!("{control}/orders"), json!({"count": 1})).await;
    assert_eq!(status, 409);
    let (status, body) = post(
        &client,
        &format!("{control}/connect"),
        json!({"dropflow": base, "token": token}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stores"].as_array().map(Vec::len), Some(2), "{body}");
    let (status, body) = post(&client, &format!("{control}/orders"), json!({"count": 0})).await;
    assert_eq!(status, 422);
    assert!(
        body["error"].as_str().unwrap_or("").contains("count"),
        "{body}"
    );

    let (status, body) = post(
        &client,
        &format!("{control}/orders"),
        json!({"count": 2, "rate": 10}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let orders = body["orders"].as_array().cloned().unwrap_or_default();
    assert_eq!(orders.len(), 2, "{body}");

    // Tracking written back on each store: a Shopify fulfillment with a number, the
    // WooCommerce order completed with a note.
    let deadline = Instant::now() + Duration::from_secs(180);
    for order in &orders {
        let platform = order["platform"].as_str().expect("platform");
        let id = order["id"].as_u64().expect("id");
        let url = format!("{control}/orders/{platform}/{id}");
        loop {
            let store: Value = client
                .get(&url)
                .send()
                .await
                .expect("GET the store's order")
                .json()
                .await
                .expect("JSON");
            let done = match platform {
                "shopify" => store["fulfillments"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|f| f["tracking_number"].is_string())),
                _ => {
                    store["status"] == json!("completed")
                        && store["notes"].as_array().is_some_and(|n| !n.is_empty())
                }
            };
            if done {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no tracking on the {platform} store for order {id}: {store}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    // dropflow's own view agrees: both orders are on their way.
    let listed: Value = client
        .get(format!("{base}/api/v1/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list orders")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        listed["orders"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
    let _ = server.kill().await;
    let _ = sandbox.kill().await;
}
