//! The real `dropflow serve` binary as a separate process: killed in the middle of a burst of
//! webhooks it must not lose an order it answered 200 for; and its logs must carry no personal
//! data or secrets.

use crate::support::*;
use dropflow_sandbox::shopify::ShopifyWebhook;
use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_dropflow");

fn dropflow(db: &TestDb) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(db.dir.path())
        .env_remove("DROPFLOW_LOG")
        .args(["--database", &db.url]);
    command
}

async fn register_store(db: &TestDb) {
    let status = dropflow(db)
        .args(["stores", "add", "--platform", "shopify", "--domain", SHOP])
        .args(["--secret", SHOPIFY_SECRET])
        .stdout(Stdio::null())
        .status()
        .await
        .expect("run dropflow stores add");
    assert!(status.success());
}

/// Makes an API token named `name` with `dropflow tokens create`; the token.
async fn create_token(db: &TestDb, name: &str) -> String {
    let output = dropflow(db)
        .args(["tokens", "create", "--name", name])
        .output()
        .await
        .expect("tokens create");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .expect("token line")
        .to_string()
}

/// `dropflow serve` on an ephemeral port, logging at `log`, its outputs piped.
fn serve_command(db: &TestDb, log: &str) -> Command {
    let mut command = dropflow(db);
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DROPFLOW_LOG", log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Starts `dropflow serve` on an ephemeral port; returns the child and its base URL.
async fn serve(db: &TestDb, log: &str) -> (Child, String) {
    let mut child = serve_command(db, log)
        .spawn()
        .expect("spawn dropflow serve");
    let url = listening_url(&mut child).await;
    (child, url)
}

/// Paid order `id` named `name` of customer `customer`, whose first name, last name, e-mail
/// and phone are `person[..4]`, shipping and billing to `address` with their name and phone.
fn order_of_person(id: u64, name: &str, customer: u64, person: &[&str], address: Value) -> Value {
    let mut address = address;
    address["first_name"] = json!(person[0]);
    address["last_name"] = json!(person[1]);
    address["name"] = json!(format!("{} {}", person[0], person[1]));
    address["phone"] = json!(person[3]);
    let mut order = paid_order(id, name);
    order["shipping_address"] = address.clone();
    order["billing_address"] = address;
    order["email"] = json!(person[2]);
    order["customer"] = json!({"id": customer, "email": person[2], "first_name": person[0],
        "last_name": person[1], "phone": person[3]});
    order
}

/// The base URL `dropflow serve` prints as its first line on standard output (piped).
pub(crate) async fn listening_url(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("serve printed its address in time")
        .expect("read stdout")
        .expect("a line");
    line.strip_prefix("dropflow listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string()
}

async fn send(client: &reqwest::Client, base: &str, hook: &ShopifyWebhook) -> Option<Value> {
    let mut request = client.post(format!("{base}/webhooks/shopify"));
    for (name, value) in hook.headers(SHOPIFY_SECRET.as_bytes()) {
        request = request.header(name, value);
    }
    let response = request.body(hook.body.clone()).send().await.ok()?;
    if response.status() != reqwest::StatusCode::OK {
        return None;
    }
    response.json().await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_burst_loses_no_order_it_acknowledged() {
    let db = TestDb::create().await;
    register_store(&db).await;
    let (mut child, base) = serve(&db, "warn").await;

    const ORDERS: u64 = 4000;
    const KILL_AFTER: usize = 300;
    let hooks: Vec<ShopifyWebhook> = (0..ORDERS)
        .map(|i| {
            shopify_hook(
                "orders/create",
                &paid_order(7_000_000 + i, &format!("#K{i}")),
            )
        })
        .collect();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let acked_count = Arc::new(AtomicUsize::new(0));
    let pid = child.id().expect("pid");

    // The killer: SIGKILL (no shutdown, no flush) once enough orders were acknowledged, while
    // 32 more requests are in flight.
    let killer = {
        let acked_count = acked_count.clone();
        tokio::spawn(async move {
            while acked_count.load(Ordering::SeqCst) < KILL_AFTER {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        })
    };
    futures::stream::iter(hooks.iter().enumerate())
        .for_each_concurrent(32, |(i, hook)| {
            let client = client.clone();
            let base = base.clone();
            let acknowledged = acknowledged.clone();
            let acked_count = acked_count.clone();
            async move {
                if let Some(answer) = send(&client, &base, hook).await {
                    assert_eq!(answer["status"], json!("created"), "{answer}");
                    acknowledged
                        .lock()
                        .expect("lock")
                        .insert(7_000_000 + i as u64);
                    acked_count.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
        .await;
    killer.await.expect("killer");
    let _ = child.wait().await;

    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= KILL_AFTER && acknowledged.len() < ORDERS as usize,
        "the kill must land mid-burst: {} of {ORDERS} acknowledged",
        acknowledged.len()
    );

    // Every acknowledged order is there after the crash, with its receipt and timeline.
    let store = db.connect().await;
    let stored: BTreeSet<u64> = sqlx::query_scalar::<_, String>("SELECT external_id FROM orders")
        .fetch_all(&store.reader)
        .await
        .expect("read orders")
        .iter()
        .map(|id| id.parse().expect("numeric id"))
        .collect();
    let lost: Vec<&u64> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged orders lost: {lost:?}",
        lost.len()
    );
    let orphans = scalar(
        &store,
        "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS
           (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.kind = 'received')",
    )
    .await;
    assert_eq!(orphans, 0, "an order was stored without its timeline");
    store.close().await;

    // Restarted, the store's retries of everything are taken once: acknowledged orders come
    // back as duplicates, the rest are created, and nothing is doubled.
    let (_child, base) = serve(&db, "warn").await;
    let answers: Vec<(u64, Value)> = futures::stream::iter(hooks.iter().enumerate())
        .map(|(i, hook)| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let retry = hook.redelivery();
                let answer = send(&client, &base, &retry)
                    .await
                    .expect("answered after restart");
                (7_000_000 + i as u64, answer)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut duplicates = 0usize;
    for (id, answer) in answers {
        if stored.contains(&id) {
            assert_eq!(answer["status"], json!("duplicate"), "order {id}: {answer}");
            duplicates += 1;
        } else {
            assert_eq!(answer["status"], json!("created"), "order {id}: {answer}");
        }
    }
    assert_eq!(duplicates, stored.len());
    let store = db.connect().await;
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM orders").await,
        ORDERS as i64
    );
    assert_eq!(
        scalar(&store, "SELECT n FROM store_tab_counts WHERE tab = 'all'").await,
        ORDERS as i64
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logs_carry_no_personal_data_or_secrets() {
    let db = TestDb::create().await;
    register_store(&db).await;
    let token = create_token(&db, "ops").await;
    let (mut child, base) = serve(&db, "trace").await;
    let client = reqwest::Client::new();

    let personal = [
        "Wilhelmina",
        "Quixotesmith",
        "wilhelmina.q@example.org",
        "+1 555 867 5309",
        "42 Hidden Orchard Lane",
        "Apartment 9Z",
    ];
    let address = json!({
        "address1": personal[4], "address2": personal[5], "city": "Cupertino",
        "province": "California", "province_code": "CA", "zip": "9501",
        "country": "United States", "country_code": "US"
    });
    let mut order = order_of_person(8_100_001, "#P1", 1, &personal, address);
    order["phone"] = json!(personal[3]);
    // Accepted (held for its bad zip), then the same order broken in several ways.
    let answer = send(&client, &base, &shopify_hook("orders/create", &order)).await;
    assert!(answer.is_some(), "the order was accepted");
    let mut broken = order.clone();
    broken["line_items"][0]["quantity"] = json!(0);
    broken["customer"]["email"] = json!(12);
    let _ = send(&client, &base, &shopify_hook("orders/create", &broken)).await;
    let mut bad_signature = shopify_hook("orders/updated", &order);
    bad_signature.body.push(b' ');
    let _ = send(&client, &base, &bad_signature).await;
    let _ = client
        .get(format!("{base}/api/v1/orders?q={}", encode(personal[2])))
        .bearer_auth(&token)
        .send()
        .await;
    let detail = client
        .get(format!("{base}/api/v1/orders/P1"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("detail");
    assert_eq!(detail.status(), reqwest::StatusCode::OK);

    child.start_kill().expect("kill");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .await
        .expect("read stderr");
    let _ = child.wait().await;
    assert!(
        stderr.contains("dropflow"),
        "the server logged something: {stderr}"
    );
    for needle in personal
        .iter()
        .copied()
        .chain([SHOPIFY_SECRET, token.as_str()])
    {
        assert!(
            !stderr.contains(needle),
            "the logs contain {needle:?}:\n{stderr}"
        );
    }
}

/// Issue 12, "keep it found": the paths the hardening added or changed — an implausible order
/// held, an impossible one refused, a dashboard login (wrong, then right), the operator's
/// `/metrics` token, a refused rate-table change — logged at `trace` carry no e-mail, name,
/// address, phone, password, token or secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hardened_paths_log_no_personal_data_or_secrets() {
    let db = TestDb::create().await;
    register_store(&db).await;
    let api_token = create_token(&db, "ops").await;
    let (email, password) = ("ulrike.owner@example.net", "S3cret-Passw0rd-xyz");
    let mut create = dropflow(&db)
        .args(["users", "create", "--email", email, "--role", "owner"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("users create");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = create.stdin.take().expect("stdin");
        stdin
            .write_all(format!("{password}\n").as_bytes())
            .await
            .expect("password");
    }
    assert!(create.wait().await.expect("users create").success());
    let metrics_token = "metrics-token-abcdef0123456789";
    let mut child = serve_command(&db, "trace")
        .env("DROPFLOW__HTTP__METRICS_TOKEN", metrics_token)
        .spawn()
        .expect("spawn dropflow serve");
    // Read the log as it comes: at `trace` it outgrows a pipe's buffer, and a server blocked
    // on writing its log answers nothing.
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let log = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text).await;
        text
    });
    let base = listening_url(&mut child).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let personal = [
        "Ottoline",
        "Brackenridge",
        "ottoline.b@example.org",
        "+44 20 7946 0321",
        "17 Larkspur Mews",
    ];
    let address = json!({
        "address1": personal[4], "city": "London", "zip": "SW1A 1AA",
        "country": "United Kingdom", "country_code": "GB"
    });
    let mut order = order_of_person(8_200_001, "#H1", 2, &personal, address);
    // Held as implausible (quantity 500), then refused with a negative price.
    order["line_items"][0]["quantity"] = json!(500);
    assert!(send(&client, &base, &shopify_hook("orders/create", &order))
        .await
        .is_some());
    let mut negative = order.clone();
    negative["id"] = json!(8_200_002);
    negative["line_items"][0]["price"] = json!("-19.00");
    assert!(
        send(&client, &base, &shopify_hook("orders/create", &negative))
            .await
            .is_none()
    );

    // The dashboard login: a wrong password, then the right one.
    for attempt in ["wrong-password-123", password] {
        let form = client
            .get(format!("{base}/login"))
            .send()
            .await
            .expect("form");
        let cookie = form
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("dropflow_login="))
            .and_then(|c| c.split(';').next())
            .expect("login cookie")
            .to_string();
        let html = form.text().await.expect("html");
        let marker = "name=\"csrf_token\" value=\"";
        let at = html.find(marker).expect("csrf field") + marker.len();
        let csrf = html[at..at + html[at..].find('"').expect("end")].to_string();
        let body = format!(
            "email={}&password={}&csrf_token={}",
            encode(email),
            encode(attempt),
            encode(&csrf)
        );
        let answer = client
            .post(format!("{base}/login"))
            .header(reqwest::header::COOKIE, cookie)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .expect("login");
        let expected = if attempt == password { 303 } else { 401 };
        assert_eq!(answer.status().as_u16(), expected);
    }
    let metrics = client
        .get(format!("{base}/metrics"))
        .bearer_auth(metrics_token)
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), reqwest::StatusCode::OK);
    let refused = client
        .put(format!("{base}/api/v1/warehouse/rates"))
        .bearer_auth(&api_token)
        .json(&json!({"toml": "# nothing"}))
        .send()
        .await
        .expect("rates");
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);

    child.start_kill().expect("kill");
    let _ = child.wait().await;
    let stderr = log.await.expect("log reader");
    assert!(stderr.contains("TRACE"), "logged at trace: {stderr}");
    for needle in personal.iter().copied().chain([
        email,
        password,
        "wrong-password-123",
        SHOPIFY_SECRET,
        api_token.as_str(),
        metrics_token,
    ]) {
        assert!(
            !stderr.contains(needle),
            "the logs contain {needle:?}:\n{stderr}"
        );
    }
}
