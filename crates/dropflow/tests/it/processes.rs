//! Several `dropflow serve` processes on one PostgreSQL database (`--role web|worker`): one web
//! process takes the webhooks, two workers place the purchases at a slow CJ sandbox, and one
//! worker is killed with SIGKILL while its placements are in flight. Its leases are taken over
//! by the other, every order is bought exactly once at CJ, none is lost. On SQLite a role and
//! a second `serve` are refused: SQLite takes one process.

use crate::support::cj_world;
use crate::support::*;
use dropflow_sandbox::faults::Faults;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_dropflow");
const PLACE: &str = dropflow_core::jobs::PLACE_SUPPLIER_ORDER;

fn dropflow(db: &TestDb) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(db.dir.path())
        .env_remove("DROPFLOW_LOG")
        .env_remove("DROPFLOW__PROCESS__ROLE")
        .args(["--database", &db.url]);
    command
}

/// `dropflow serve --role ROLE` on an ephemeral port, its log in `<dir>/<name>.log`; the
/// child and its base URL.
async fn serve(db: &TestDb, role: &str, name: &str) -> (Child, String) {
    let log = std::fs::File::create(db.dir.path().join(format!("{name}.log"))).expect("log file");
    let mut child = dropflow(db)
        .args(["serve", "--listen", "127.0.0.1:0", "--role", role])
        .env("DROPFLOW_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn dropflow serve");
    let url = crate::process::listening_url(&mut child).await;
    (child, url)
}

/// The processes' logs, for a failure's message.
fn logs(dir: &Path) -> String {
    ["web", "worker-a", "worker-b"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("--- {name} ---\n{}", tail.join("\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Jobs by kind, status and the process (pid) holding them, for a failure's message.
async fn job_summary(db: &dropflow::storage::Database) -> Vec<(String, String, String, i64)> {
    sqlx::query_as(
        "SELECT kind, status, COALESCE(SPLIT_PART(lease_owner, '-', 1), '') AS owner,
            COUNT(*) AS n FROM jobs GROUP BY kind, status, owner ORDER BY kind, status, owner",
    )
    .fetch_all(&db.reader)
    .await
    .expect("job summary")
}

/// Sends `order`'s signed `orders/create` webhook to `web` (200 expected).
async fn send_order(client: &reqwest::Client, web: &str, order: &Value) {
    let hook = shopify_hook("orders/create", order);
    let mut request = client.post(format!("{web}/webhooks/shopify"));
    for (name, value) in hook.headers(SHOPIFY_SECRET.as_bytes()) {
        request = request.header(name, value);
    }
    let response = request
        .body(hook.body.clone())
        .send()
        .await
        .expect("webhook");
    assert_eq!(response.status(), 200, "webhook answered");
}

async fn metrics_of(client: &reqwest::Client, base: &str) -> String {
    client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

async fn status_of(client: &reqwest::Client, url: &str) -> u16 {
    client
        .get(url)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn api(
    client: &reqwest::Client,
    token: &str,
    method: reqwest::Method,
    url: &str,
    body: Value,
) -> Value {
    let response = client
        .request(method, url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("API call");
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_placement_is_taken_over_and_nothing_is_bought_twice() {
    if admin_postgres_url().is_none() {
        eprintln!(
            "SKIPPED a_worker_killed_mid_placement_is_taken_over_and_nothing_is_bought_twice: \
             several `dropflow serve` processes share one database only on PostgreSQL; run \
             with DROPFLOW_TEST_DATABASE=postgres://…"
        );
        return;
    }
    const ORDERS: u64 = 40;
    let db = TestDb::create().await;
    let cj = cj_world::cj().await;
    // Short leases so the dead worker's jobs come back within seconds; quick polls; retries
    // (a lost answer) within a second.
    let config = format!(
        "[outbound]\nallow_private_addresses = true\n\
         [jobs]\nconcurrency = 8\nlease_secs = 4\npoll_ms = 50\n\
         backoff_base_ms = 200\nbackoff_cap_ms = 1000\n\
         [suppliers.cj]\nbase_url = \"{}\"\napi_key = \"{}\"\ntimeout_ms = 5000\n",
        cj.base_url,
        cj.api_key()
    );
    std::fs::write(db.dir.path().join("dropflow.toml"), config).expect("write dropflow.toml");
    // One migration before the processes start (each would run it, one at a time under
    // sqlx's advisory lock, the later ones finding nothing to do).
    let migrated = dropflow(&db)
        .arg("migrate")
        .output()
        .await
        .expect("migrate");
    assert!(migrated.status.success(), "{migrated:?}");

    let (_web, web) = serve(&db, "web", "web").await;
    let created = dropflow(&db)
        .args(["tokens", "create", "--name", "procs"])
        .output()
        .await
        .expect("tokens create");
    let token = String::from_utf8_lossy(&created.stdout)
        .lines()
        .last()
        .expect("token line")
        .trim()
        .to_string();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    use reqwest::Method;
    let store = api(
        &client,
        &token,
        Method::POST,
        &format!("{web}/api/v1/stores"),
        json!({"platform": "shopify", "domain": SHOP, "webhook_secret": SHOPIFY_SECRET}),
    )
    .await;
    let store = store["id"].as_str().expect("store id").to_string();
    api(
        &client,
        &token,
        Method::PUT,
        &format!("{web}/api/v1/stores/{store}/settings"),
        json!({"auto_order": true, "auto_pay": false, "price_guard_percent": null,
            "notify_customer": false}),
    )
    .await;
    api(
        &client,
        &token,
        Method::POST,
        &format!("{web}/api/v1/stores/{store}/wallet/top-ups"),
        json!({"amount": "100000.00", "currency": "USD"}),
    )
    .await;
    let orders: Vec<Value> = (0..ORDERS)
        .map(|i| {
            let mut order = numbered_paid_order(9_100_000 + i);
            order["line_items"] = json!([order["line_items"][0].clone()]);
            order
        })
        .collect();
    let variant = &dropflow_sandbox::cj::variants()[0];
    let offer = json!({ "supplier": "cj", "account": "vendor-a",
        "supplier_product_id": variant.pid, "supplier_sku_id": variant.vid,
        "unit_cost": format!("{}.{:02}", variant.price_cents / 100, variant.price_cents % 100),
        "currency": "USD" });
    let store_variants: std::collections::BTreeSet<String> = orders
        .iter()
        .map(|o| o["line_items"][0]["variant_id"].to_string())
        .collect();
    for store_variant in store_variants {
        api(
            &client,
            &token,
            Method::PUT,
            &format!("{web}/api/v1/stores/{store}/mappings"),
            json!({ "variant_id": store_variant.trim_matches('"'),
                "components": [{ "offers": [offer.clone()] }] }),
        )
        .await;
    }

    // The web process runs no job: the first order's routing waits for a worker, and its
    // metrics show it due.
    send_order(&client, &web, &orders[0]).await;
    let store_db = db.connect().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = metrics_of(&client, &web).await;
    assert!(
        waiting.contains("dropflow_jobs_due{kind=\"order.route\"} 1"),
        "{waiting}"
    );
    assert!(
        !waiting.contains("dropflow_jobs_oldest_due_age_seconds{kind=\"order.route\"} 0\n"),
        "{waiting}"
    );
    assert_eq!(
        scalar(
            &store_db,
            "SELECT COUNT(*) FROM jobs WHERE status = 'queued'"
        )
        .await,
        1
    );

    let (mut worker_a, a_url) = serve(&db, "worker", "worker-a").await;
    let (_worker_b, b_url) = serve(&db, "worker", "worker-b").await;
    // Roles: a worker answers health and metrics, not the API or the webhooks; the web
    // process answers both.
    for (url, expected) in [
        (format!("{a_url}/healthz"), 200),
        (format!("{a_url}/readyz"), 200),
        (format!("{a_url}/metrics"), 200),
        (format!("{a_url}/api/v1/orders"), 404),
        (format!("{a_url}/webhooks/shopify"), 404),
        (format!("{a_url}/login"), 404),
        (format!("{web}/healthz"), 200),
        (format!("{web}/readyz"), 200),
    ] {
        assert_eq!(status_of(&client, &url).await, expected, "{url}");
    }

    // CJ is slow: each call waits before it acts, and answers a while after it acted, so a
    // worker dies both before and after CJ bought.
    cj.faults.set(Faults {
        latency: Duration::from_millis(150),
        answer_delay: Duration::from_millis(400),
        ..Faults::default()
    });
    let sending = {
        let client = client.clone();
        let web = web.clone();
        let orders = orders.clone();
        tokio::spawn(async move {
            for order in &orders[1..] {
                send_order(&client, &web, order).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // SIGKILL worker A while it holds at least two placements in flight, one of which CJ
    // has already bought (its answer not yet back): the nasty case, an order at the supplier
    // that the dead worker never recorded.
    let pid = worker_a.id().expect("worker pid");
    let in_flight_at_a = format!(
        "SELECT so.attempt_id FROM jobs j JOIN supplier_orders so ON so.order_id = j.order_id
         WHERE j.kind = '{PLACE}' AND j.status = 'running' AND j.lease_owner LIKE '{pid}-%'
           AND so.status = 'placement_unknown'"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let attempts: Vec<String> = sqlx::query_scalar(&in_flight_at_a)
            .fetch_all(&store_db.reader)
            .await
            .expect("attempts in flight");
        let bought = attempts
            .iter()
            .filter(|a| cj.orders_with_number(a) > 0)
            .count();
        if attempts.len() >= 2 && bought >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "worker A ({pid}) never held two placements, one bought: {:?}\n{}",
            job_summary(&store_db).await,
            logs(db.dir.path())
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let _ = worker_a.wait().await;
    // A commit the worker sent just before it died may still land (PostgreSQL finishes the
    // command it received): let it, before reading what the worker left. Its leases (4 s,
    // renewed every 1.3 s) cannot have lapsed yet, so nobody has taken over.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let abandoned: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT id, kind FROM jobs WHERE status = 'running' AND lease_owner LIKE '{pid}-%'"
    ))
    .fetch_all(&store_db.reader)
    .await
    .expect("abandoned jobs");
    let abandoned_attempts: Vec<String> = sqlx::query_scalar(&in_flight_at_a)
        .fetch_all(&store_db.reader)
        .await
        .expect("abandoned attempts");
    let bought_unrecorded = abandoned_attempts
        .iter()
        .filter(|a| cj.orders_with_number(a) > 0)
        .count();
    eprintln!(
        "worker A killed holding {} job(s), {} placement(s) unanswered, {bought_unrecorded} \
         of them bought at CJ",
        abandoned.len(),
        abandoned_attempts.len()
    );
    assert!(
        !abandoned_attempts.is_empty(),
        "the kill left no placement unanswered: {abandoned:?}"
    );
    sending.await.expect("all webhooks answered 200");

    // Every order reaches "awaiting payment" (auto-pay is off) through the surviving worker.
    let placed = "SELECT COUNT(*) FROM supplier_orders WHERE status = 'awaiting_payment'";
    let deadline = Instant::now() + Duration::from_secs(40);
    while scalar(&store_db, placed).await < ORDERS as i64 {
        if Instant::now() > deadline {
            let states: Vec<(String, i64)> = sqlx::query_as(
                "SELECT status, COUNT(*) FROM supplier_orders GROUP BY status ORDER BY status",
            )
            .fetch_all(&store_db.reader)
            .await
            .expect("states");
            panic!(
                "not every order was placed: {states:?}\n{}",
                logs(db.dir.path())
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        scalar(&store_db, "SELECT COUNT(*) FROM orders").await,
        ORDERS as i64
    );
    assert_eq!(
        scalar(&store_db, "SELECT COUNT(*) FROM supplier_orders").await,
        ORDERS as i64,
        "one purchase per order"
    );

    // Bought exactly once at CJ: one CJ order per attempt (our reference), and no other.
    let attempts: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT attempt_id, external_id FROM supplier_orders")
            .fetch_all(&store_db.reader)
            .await
            .expect("attempts");
    for (attempt, external) in &attempts {
        assert_eq!(cj.orders_with_number(attempt), 1, "attempt {attempt}");
        let bought = cj.order(attempt).expect("the CJ order");
        assert_eq!(
            external.as_deref(),
            Some(bought.order_id.as_str()),
            "{attempt}"
        );
    }
    assert_eq!(cj.order_count(), ORDERS as usize, "no other CJ order");

    // The dead worker's jobs were taken over and finished by the survivor (a second try),
    // and nothing failed.
    for (id, kind) in &abandoned {
        let (status, attempts): (String, i64) =
            sqlx::query_as("SELECT status, attempts FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_one(&store_db.reader)
                .await
                .expect("job");
        assert_eq!(status, "succeeded", "job {id} ({kind})");
        assert!(attempts >= 2, "job {id} ({kind}) ran {attempts} time(s)");
    }
    assert_eq!(
        scalar(
            &store_db,
            "SELECT COUNT(*) FROM jobs WHERE status = 'failed'"
        )
        .await,
        0
    );

    // The web process ran no job; the survivor did; either shows the queue, now empty.
    let web_metrics = metrics_of(&client, &web).await;
    let worker_metrics = metrics_of(&client, &b_url).await;
    assert!(
        !web_metrics.contains("dropflow_jobs_finished_total"),
        "{web_metrics}"
    );
    assert!(
        worker_metrics.contains("dropflow_jobs_finished_total"),
        "{worker_metrics}"
    );
    for text in [&web_metrics, &worker_metrics] {
        for kind in ["order.route", "supplier_order.place"] {
            assert!(
                text.contains(&format!("dropflow_jobs_due{{kind=\"{kind}\"}} 0\n")),
                "{text}"
            );
        }
    }
    store_db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_role_and_a_second_serve_are_refused() {
    let db = TestDb::create().await;
    if db.engine != dropflow::storage::Engine::Sqlite {
        eprintln!(
            "SKIPPED on_sqlite_a_role_and_a_second_serve_are_refused: it is about SQLite; \
             PostgreSQL takes several processes"
        );
        return;
    }
    for role in ["web", "worker"] {
        let output = dropflow(&db)
            .args(["serve", "--listen", "127.0.0.1:0", "--role", role])
            .output()
            .await
            .expect("serve");
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("role = \"{role}\" needs PostgreSQL")),
            "{stderr}"
        );
    }
    let (mut first, base) = serve(&db, "both", "web").await;
    let client = reqwest::Client::new();
    assert_eq!(status_of(&client, &format!("{base}/healthz")).await, 200);
    let second = dropflow(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .await
        .expect("second serve");
    assert_eq!(second.status.code(), Some(2), "{second:?}");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("another `dropflow serve` is running"),
        "{stderr}"
    );
    // The first still serves; killed, it lets go, and a new one starts.
    assert_eq!(status_of(&client, &format!("{base}/healthz")).await, 200);
    first.kill().await.expect("kill");
    let (_again, base) = serve(&db, "both", "web").await;
    assert_eq!(status_of(&client, &format!("{base}/healthz")).await, 200);
}

/// PostgreSQL LISTEN/NOTIFY: a worker whose poll comes once a minute still starts, at once,
/// the routing of an order a web process took (the web process's commit wakes it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_process_wakes_the_workers_without_waiting_for_their_poll() {
    if admin_postgres_url().is_none() {
        eprintln!(
            "SKIPPED a_web_process_wakes_the_workers_without_waiting_for_their_poll: \
             wake-ups across processes are PostgreSQL's LISTEN/NOTIFY"
        );
        return;
    }
    let db = TestDb::create().await;
    std::fs::write(
        db.dir.path().join("dropflow.toml"),
        "[jobs]\npoll_ms = 60000\n",
    )
    .expect("write dropflow.toml");
    let migrated = dropflow(&db)
        .arg("migrate")
        .output()
        .await
        .expect("migrate");
    assert!(migrated.status.success(), "{migrated:?}");
    let added = dropflow(&db)
        .args(["stores", "add", "--platform", "shopify", "--domain", SHOP])
        .args(["--secret", SHOPIFY_SECRET])
        .output()
        .await
        .expect("stores add");
    assert!(added.status.success(), "{added:?}");
    let (_web, web) = serve(&db, "web", "web").await;
    let (_worker, _) = serve(&db, "worker", "worker-a").await;
    // The worker's first poll (at start) has found nothing; its next is a minute away.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = reqwest::Client::new();
    let sent = Instant::now();
    send_order(&client, &web, &numbered_paid_order(9_200_001)).await;
    let store_db = db.connect().await;
    let routed = "SELECT COUNT(*) FROM jobs WHERE kind = 'order.route' AND status = 'succeeded'";
    let woken = eventually(Duration::from_secs(20), || async {
        scalar(&store_db, routed).await == 1
    })
    .await;
    assert!(
        woken,
        "the worker did not route the order before its next poll: {:?}\n{}",
        job_summary(&store_db).await,
        logs(db.dir.path())
    );
    eprintln!(
        "routed by the worker {:?} after the webhook",
        sent.elapsed()
    );
    store_db.close().await;
}
