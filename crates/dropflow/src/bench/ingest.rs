//! `dropflow bench ingest`: signed Shopify `orders/create` webhooks through the real HTTP stack
//! into the database, next to two ceilings measured in the same run (signature check only, and
//! a plain one-transaction-per-order insert of the same rows), then the acknowledgement latency
//! at 80 % of the measured throughput, open loop.

use super::hist::{fmt_ms, max_ms, ms_at, new_histogram, thousands, timed_row, Hist, Table};
use super::load::{self, LoadResult, Prepared};
use super::scratch::Scratch;
use super::sys::{self, Sample, Usage};
use super::IngestArgs;
use crate::config::Config;
use crate::ingest::{Delivery, Ingest, IngestConfig, Outcome};
use crate::storage::{self, Database, Engine};
use anyhow::Context;
use dropflow_core::ids::StoreId;
use dropflow_core::intake::Platform;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The issue's targets (issue 2, "Targets").
const TARGET_SQLITE_ORDERS_PER_S: f64 = 5_000.0;
const TARGET_P99_MS: f64 = 25.0;
const TARGET_PG_SHARE_OF_PLAIN: f64 = 0.75;

pub async fn run(args: IngestArgs, config: &Config) -> anyhow::Result<()> {
    let mut scratch = Scratch::new(&config.database.url)?;
    let outcome = measure(&args, config, &mut scratch).await;
    scratch.finish(outcome, false).await
}

/// A plain-insert measurement (ceiling B).
struct Plain {
    label: &'static str,
    written: usize,
    elapsed: Duration,
    latency: Hist,
}

impl Plain {
    fn per_second(&self) -> f64 {
        self.written as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

async fn measure(args: &IngestArgs, config: &Config, scratch: &mut Scratch) -> anyhow::Result<()> {
    let n = args.orders.max(1);
    let c = args.concurrency.max(1);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let engine = scratch.engine();
    let secret = format!("bench-{}", uuid::Uuid::now_v7().simple());
    // Store order ids of this run's own (the databases are fresh anyway).
    let first_id = 10_000_000_000 + (uuid::Uuid::now_v7().as_u128() % 1_000_000_000) as u64 * 1000;

    println!(
        "dropflow bench ingest: {n} orders, {c} connections, {} on {cores} cores",
        engine_name(engine)
    );
    println!("databases: {}", scratch.location());
    if let Some(load) = sys::load_average() {
        println!("load average at start: {load} (the machine is shared; see perf-limits.md)");
    }

    let built = Instant::now();
    let warmup_count = (2 * c).min(n);
    let requests = Arc::new(load::prepare(first_id, n, secret.as_bytes())?);
    let warmup = Arc::new(load::prepare(
        first_id + n as u64,
        warmup_count,
        secret.as_bytes(),
    )?);
    let sizes: Vec<usize> = requests.iter().map(|r| r.body.len()).collect();
    let mean_size = sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64;
    println!(
        "payloads: {n} signed orders/create webhooks (distinct orders and event ids, 9 in 10 paid), \
         body {} B mean, {}–{} B; built in {:.1} s (not timed)",
        thousands(mean_size),
        sizes.iter().min().copied().unwrap_or(0),
        sizes.iter().max().copied().unwrap_or(0),
        built.elapsed().as_secs_f64()
    );

    // ---- Ceiling A: the same requests, HTTP + HMAC check only.
    println!("\n[1/5] ceiling A: signature check only …");
    let ceiling_a = signature_only(&requests, &warmup, secret.as_bytes(), c).await?;

    // ---- dropflow end to end.
    println!("[2/5] dropflow end to end …");
    let (db, url, _) = with_store(scratch, "dropflow", &secret).await?;
    let durability = durability(&db).await?;
    let round_trip = round_trip(&db).await?;
    let mut app_config = config.clone();
    app_config.http.listen = "127.0.0.1:0".into();
    app_config.database.url = url;
    let running = crate::app::start_on(&app_config, db.clone(), crate::jobs::Registry::new())
        .await
        .context("cannot start dropflow")?;
    let base_url = running.base_url();
    let hook_url = format!("{base_url}/webhooks/shopify");
    let client = load::client(c)?;
    let warm = load::closed_loop(&client, &hook_url, warmup.clone(), c, true).await?;
    if warm.non_200_total() > 0 || warm.other_200 > 0 {
        println!("  warm-up problems: {}", warm.problems());
    }
    let metrics_before = scrape(&client, &base_url).await;
    let usage_before = Sample::now();
    let e2e = load::closed_loop(&client, &hook_url, requests.clone(), c, true).await?;
    let usage = Sample::now().since(&usage_before);
    let metrics_after = scrape(&client, &base_url).await;
    let writer = WriterStats::between(&metrics_before, &metrics_after);

    // ---- Latency at 80 % of the measured throughput, open loop.
    let rate = args.rate.unwrap_or(0.8 * e2e.per_second()).max(1.0);
    let rate_source = if args.rate.is_some() {
        "--rate".to_string()
    } else {
        format!("80 % of {}/s", thousands(e2e.per_second()))
    };
    println!(
        "[3/5] open loop at {}/s ({rate_source}) for {} s …",
        thousands(rate),
        args.latency_seconds
    );
    let open_count = ((rate * args.latency_seconds as f64).ceil() as usize).max(1);
    let open_requests = Arc::new(load::prepare(
        first_id + (n + warmup_count) as u64,
        open_count,
        secret.as_bytes(),
    )?);
    let metrics_before_open = scrape(&client, &base_url).await;
    // Enough connections to carry the rate at the target latency (Little's law: in flight =
    // rate × latency), so the client is not what makes a 25 ms answer impossible; a slower
    // server backs requests up on the client, which the latency from the schedule counts.
    let open_connections = c.max((rate * TARGET_P99_MS / 1000.0).ceil() as usize);
    let open_client = load::client(open_connections)?;
    let open = load::open_loop(
        &open_client,
        &hook_url,
        open_requests,
        rate,
        open_connections,
    )
    .await?;
    drop(open_client);
    let metrics_after_open = scrape(&client, &base_url).await;
    let writer_open = WriterStats::between(&metrics_before_open, &metrics_after_open);
    let stored: i64 = sqlx::query("SELECT COUNT(*) AS n FROM orders")
        .fetch_one(&db.reader)
        .await?
        .try_get("n")?;
    let expected_stored = warm.accepted + e2e.accepted + open.accepted;

    // ---- Diagnostic: the group-commit writer alone, no HTTP (same orders, fresh database;
    // dropflow is still up, idle, so its /metrics shows this writer's batches).
    println!("[4/5] diagnostic: the group-commit writer alone …");
    let metrics_before_alone = scrape(&client, &base_url).await;
    let (alone, usage_alone) = writer_alone(scratch, &requests, &secret, c, config).await?;
    let metrics_after_alone = scrape(&client, &base_url).await;
    let writer_alone_stats = WriterStats::between(&metrics_before_alone, &metrics_after_alone);
    running.stop().await;
    db.close().await;

    // ---- Ceiling B: the same orders, one transaction each.
    println!("[5/5] ceiling B: one transaction per order …");
    let mut plains = vec![plain_insert(scratch, &requests, &secret, 1, "sequential").await?];
    if engine == Engine::Postgres {
        plains.push(plain_insert(scratch, &requests, &secret, c, "concurrent").await?);
    }
    let best_plain = plains
        .iter()
        .max_by(|a, b| a.per_second().total_cmp(&b.per_second()))
        .context("no plain-insert measurement")?;

    // ---- Report.
    println!();
    println!(
        "engine: {} | durability: {} | cores: {cores} | ingest max_batch {} | client and server \
         share the cores (one process)",
        engine_name(engine),
        durability,
        config.ingest.max_batch
    );
    println!();
    let mut table = Table::new(&[
        "measurement",
        "orders/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "notes",
    ]);
    table.row(timed_row(
        [
            "dropflow end to end (HTTP → group commit)".into(),
            thousands(e2e.per_second()),
        ],
        &e2e.latency,
        [format!(
            "{} created in {:.2} s, non-200: {}",
            e2e.accepted,
            e2e.elapsed.as_secs_f64(),
            e2e.problems()
        )],
    ));
    table.row(timed_row(
        [
            "ceiling A: HTTP + signature check only".into(),
            thousands(ceiling_a.per_second()),
        ],
        &ceiling_a.latency,
        [format!(
            "{} × 200, non-200: {}",
            ceiling_a.accepted,
            ceiling_a.problems()
        )],
    ));
    for plain in &plains {
        let tasks = if plain.label == "sequential" {
            "1 task".to_string()
        } else {
            format!("{c} tasks")
        };
        table.row(timed_row(
            [
                format!("ceiling B: one tx per order, {}", plain.label),
                thousands(plain.per_second()),
            ],
            &plain.latency,
            [format!(
                "{} written in {:.2} s, {tasks}, ingest::write_one, latency per transaction",
                plain.written,
                plain.elapsed.as_secs_f64()
            )],
        ));
    }
    table.row(timed_row(
        [
            format!("dropflow open loop at {}/s", thousands(rate)),
            thousands(open.per_second()),
        ],
        &open.latency,
        [format!(
            "{rate_source}, {} sent over {:.1} s on {open_connections} connections, latency \
             from the scheduled send, non-200: {}",
            open.accepted + open.other_200 + open.non_200_total(),
            open.elapsed.as_secs_f64(),
            open.problems()
        )],
    ));
    table.row(timed_row(
        [
            "diagnostic: group-commit writer alone".into(),
            thousands(alone.per_second()),
        ],
        &alone.latency,
        [format!(
            "{} created in {:.2} s, {c} tasks calling Ingest::submit, no HTTP, no parsing",
            alone.written,
            alone.elapsed.as_secs_f64()
        )],
    ));
    table.print();

    println!();
    for (phase, stats) in [
        ("closed loop", &writer),
        ("open loop", &writer_open),
        ("alone", &writer_alone_stats),
    ] {
        if let Some(line) = stats.describe() {
            println!("ingest writer, {phase}: {line}");
        }
    }
    println!(
        "writer connection round trip, idle (SELECT 1 × {}): p50 {:.0} µs, p99 {:.0} µs — \
         each statement of a transaction pays at least this",
        round_trip.len(),
        1000.0 * ms_at(&round_trip, 0.5).unwrap_or(0.0),
        1000.0 * ms_at(&round_trip, 0.99).unwrap_or(0.0),
    );
    print_usage("closed loop", &usage, e2e.elapsed, e2e.accepted);
    print_usage(
        "writer alone",
        &usage_alone,
        alone.elapsed,
        alone.written as u64,
    );
    println!(
        "orders stored by dropflow: {stored} (200 created answers: {expected_stored}{})",
        if stored as u64 == expected_stored {
            ""
        } else {
            " — MISMATCH"
        }
    );

    let gain = e2e.per_second() / best_plain.per_second().max(1e-9);
    let http_share = e2e.per_second() / ceiling_a.per_second().max(1e-9);
    let p99_open = ms_at(&open.latency, 0.99);
    println!();
    let mut targets = Table::new(&["ratio / target", "measured", "target"]);
    targets.row(vec![
        format!(
            "dropflow ÷ ceiling B ({}): group-commit gain",
            best_plain.label
        ),
        format!("{gain:.2}×"),
        match engine {
            Engine::Sqlite => format!(
                "SQLite: ≥ 5,000 orders/s ≈ {:.1}× this ceiling B",
                TARGET_SQLITE_ORDERS_PER_S / best_plain.per_second().max(1e-9)
            ),
            Engine::Postgres => format!(
                "PostgreSQL: ≥ {:.2}× ({})",
                TARGET_PG_SHARE_OF_PLAIN,
                verdict(gain >= TARGET_PG_SHARE_OF_PLAIN)
            ),
        },
    ]);
    targets.row(vec![
        "dropflow ÷ ceiling A: share of the HTTP-only rate".into(),
        format!("{:.0} %", 100.0 * http_share),
        "(no target; the rest of the time is parsing and storage)".into(),
    ]);
    targets.row(vec![
        "durable orders/s".into(),
        thousands(e2e.per_second()),
        match engine {
            Engine::Sqlite => format!(
                "SQLite: ≥ 5,000 ({})",
                verdict(e2e.per_second() >= TARGET_SQLITE_ORDERS_PER_S)
            ),
            Engine::Postgres => format!(
                "PostgreSQL: ≥ 75 % of plain insert = {} ({})",
                thousands(TARGET_PG_SHARE_OF_PLAIN * best_plain.per_second()),
                verdict(gain >= TARGET_PG_SHARE_OF_PLAIN)
            ),
        },
    ]);
    targets.row(vec![
        format!("ack p99 at {}/s (open loop)", thousands(rate)),
        format!("{} ms", fmt_ms(p99_open)),
        format!(
            "{}≤ 25 ms at 80 % of the rate ({}{})",
            if engine == Engine::Sqlite {
                ""
            } else {
                "set for SQLite, shown for reference: "
            },
            verdict(p99_open.is_some_and(|p| p <= TARGET_P99_MS)),
            if engine == Engine::Sqlite && rate < 0.8 * TARGET_SQLITE_ORDERS_PER_S {
                "; measured below the 4,000/s the SQLite target implies"
            } else {
                ""
            }
        ),
    ]);
    targets.print();

    let report = json!({
        "bench": "ingest",
        "engine": engine_name(engine),
        "durability": durability,
        "cores": cores,
        "orders": n,
        "concurrency": c,
        "max_batch": config.ingest.max_batch,
        "body_bytes_mean": mean_size.round(),
        "dropflow": load_json(&e2e),
        "ceiling_a_signature_only": load_json(&ceiling_a),
        "ceiling_b_plain_insert": plains.iter().map(|p| json!({
            "mode": p.label,
            "orders_per_s": round1(p.per_second()),
            "written": p.written,
            "p50_ms": ms_at(&p.latency, 0.5),
            "p99_ms": ms_at(&p.latency, 0.99),
        })).collect::<Vec<_>>(),
        "ceiling_b_best": best_plain.label,
        "open_loop": {
            "rate": round1(rate),
            "rate_source": rate_source,
            "connections": open_connections,
            "result": load_json(&open),
        },
        "writer_round_trip_p50_us": ms_at(&round_trip, 0.5).map(|v| (v * 1000.0).round()),
        "writer_closed_loop": writer.json(),
        "writer_alone": {
            "orders_per_s": round1(alone.per_second()),
            "p50_ms": ms_at(&alone.latency, 0.5),
            "p99_ms": ms_at(&alone.latency, 0.99),
            "writer": writer_alone_stats.json(),
        },
        "closed_loop_usage": usage_json(&usage, e2e.elapsed),
        "writer_open_loop": writer_open.json(),
        "gain_vs_plain": round3(gain),
        "share_of_signature_only": round3(http_share),
        "stored": stored,
        "targets": {
            "sqlite_orders_per_s": TARGET_SQLITE_ORDERS_PER_S,
            "p99_ms_at_80_percent": TARGET_P99_MS,
            "postgres_share_of_plain": TARGET_PG_SHARE_OF_PLAIN,
        },
    });
    println!("\nBENCH_JSON {report}");
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "not met"
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn load_json(r: &LoadResult) -> serde_json::Value {
    json!({
        "orders_per_s": round1(r.per_second()),
        "accepted": r.accepted,
        "other_200": r.other_200,
        "non_200": r.non_200.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
        "no_answer": r.failed,
        "elapsed_s": round3(r.elapsed.as_secs_f64()),
        "p50_ms": ms_at(&r.latency, 0.5),
        "p99_ms": ms_at(&r.latency, 0.99),
        "max_ms": max_ms(&r.latency),
    })
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    }
}

/// How durable a commit is, as the writer connection reports it.
async fn durability(db: &Database) -> anyhow::Result<String> {
    Ok(match db.engine {
        Engine::Sqlite => {
            let sync: i64 = sqlx::query("PRAGMA synchronous")
                .fetch_one(&db.writer)
                .await?
                .try_get(0)?;
            let journal: String = sqlx::query("PRAGMA journal_mode")
                .fetch_one(&db.writer)
                .await?
                .try_get(0)?;
            let name = match sync {
                0 => "OFF",
                1 => "NORMAL",
                2 => "FULL",
                3 => "EXTRA",
                _ => "?",
            };
            format!(
                "journal_mode={journal}, synchronous={sync} ({name}){}",
                if sync >= 2 { "" } else { " — NOT DURABLE" }
            )
        }
        Engine::Postgres => {
            let mut parts = Vec::new();
            for setting in ["synchronous_commit", "fsync", "wal_sync_method"] {
                let value: String = sqlx::query(&format!("SHOW {setting}"))
                    .fetch_one(&db.writer)
                    .await?
                    .try_get(0)?;
                parts.push(format!("{setting}={value}"));
            }
            parts.join(", ")
        }
    })
}

/// How long one trivial statement takes on the writer pool (sqlx hands every statement to the
/// connection's worker thread and back).
async fn round_trip(db: &Database) -> anyhow::Result<Hist> {
    let mut h = new_histogram()?;
    for _ in 0..2000 {
        let t = Instant::now();
        sqlx::query("SELECT 1").fetch_one(&db.writer).await?;
        h.saturating_record((t.elapsed().as_micros() as u64).max(1));
    }
    Ok(h)
}

/// Ceiling A: a router with one route that checks the HMAC and answers 200, on the same
/// axum/hyper/tokio stack and with the same client.
async fn signature_only(
    requests: &Arc<Vec<Prepared>>,
    warmup: &Arc<Vec<Prepared>>,
    secret: &[u8],
    concurrency: usize,
) -> anyhow::Result<LoadResult> {
    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};

    async fn verify_only(
        State(secret): State<Arc<Vec<u8>>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, &'static str) {
        let hmac = headers
            .get("x-shopify-hmac-sha256")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if crate::platforms::shopify::verify_webhook(&secret, &body, hmac) {
            (StatusCode::OK, r#"{"status":"verified","order_id":null}"#)
        } else {
            (StatusCode::UNAUTHORIZED, r#"{"error":"bad signature"}"#)
        }
    }

    let router = axum::Router::new()
        .route("/webhooks/shopify", axum::routing::post(verify_only))
        .with_state(Arc::new(secret.to_vec()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    let url = format!("http://{addr}/webhooks/shopify");
    let client = load::client(concurrency)?;
    load::closed_loop(&client, &url, warmup.clone(), concurrency, false).await?;
    let result = load::closed_loop(&client, &url, requests.clone(), concurrency, false).await;
    drop(client);
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    result
}

/// Ceiling B: the same orders written with one transaction each through the ingest code path
/// (`ingest::write_one`: receipt, order, lines, event, job, tab counts), on a fresh database,
/// by `tasks` tasks at once.
async fn plain_insert(
    scratch: &mut Scratch,
    requests: &[Prepared],
    secret: &str,
    tasks: usize,
    label: &'static str,
) -> anyhow::Result<Plain> {
    let (db, _, store) = with_store(scratch, &format!("plain-{label}"), secret).await?;
    // Parsing is not part of this ceiling: done before the clock starts.
    let deliveries = Arc::new(deliveries(requests, store)?);
    let started = Instant::now();
    let (written, latency) = timed_calls(deliveries.len(), tasks, "plain insert", {
        let db = db.clone();
        move |i| {
            let (db, deliveries) = (db.clone(), deliveries.clone());
            async move {
                crate::ingest::write_one(&db, &deliveries[i])
                    .await
                    .map_err(|e| anyhow::anyhow!("plain insert failed: {e}"))
            }
        }
    })
    .await?;
    let elapsed = started.elapsed();
    db.close().await;
    Ok(Plain {
        label,
        written,
        elapsed,
        latency,
    })
}

/// Calls `call(i)` for every `i` below `count` from `tasks` tasks at once, each task taking the
/// next `i` none has taken: how many calls created an order, and each call's latency (from the
/// call's start, its inputs already made). `what` names the path in the error of an outcome
/// other than created.
async fn timed_calls<F, Fut>(
    count: usize,
    tasks: usize,
    what: &'static str,
    call: F,
) -> anyhow::Result<(usize, Hist)>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<Outcome>> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..tasks.max(1) {
        let (next, call) = (next.clone(), call.clone());
        workers.spawn(async move {
            let mut latency = new_histogram()?;
            let mut written = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let pending = call(i);
                let began = Instant::now();
                match pending.await? {
                    Outcome::Created(_) => written += 1,
                    other => anyhow::bail!("{what}: unexpected outcome {other:?}"),
                }
                latency.saturating_record((began.elapsed().as_micros() as u64).max(1));
            }
            anyhow::Ok((written, latency))
        });
    }
    let mut written = 0;
    let mut latency = new_histogram()?;
    while let Some(joined) = workers.join_next().await {
        let (w, h) = joined??;
        written += w;
        latency.add(&h)?;
    }
    Ok((written, latency))
}

/// A fresh database (`label`) holding the benchmark's Shopify store, the sandbox shop whose
/// webhooks `secret` signs: the database, its URL and the store.
async fn with_store(
    scratch: &mut Scratch,
    label: &str,
    secret: &str,
) -> anyhow::Result<(Database, String, StoreId)> {
    let (db, url) = scratch.fresh(label).await?;
    let store = storage::stores::create(
        &db,
        Platform::Shopify,
        dropflow_sandbox::shopify::SHOP_DOMAIN,
        secret,
    )
    .await?;
    Ok((db, url, store.id))
}

/// The deliveries dropflow's webhook handler would make of the requests.
fn deliveries(requests: &[Prepared], store_id: StoreId) -> anyhow::Result<Vec<Delivery>> {
    let mut out = Vec::with_capacity(requests.len());
    for request in requests {
        out.push(Delivery {
            store_id,
            platform: Platform::Shopify,
            dedup_key: request.event_id.clone(),
            topic: "orders/create".into(),
            body: String::from_utf8(request.body.to_vec())?,
            order: crate::platforms::shopify::parse_order(&request.body)
                .map_err(|e| anyhow::anyhow!("a prepared order does not parse: {e}"))?,
            review: None,
        });
    }
    Ok(out)
}

/// The group-commit writer (`Ingest`) on a fresh database, fed by `tasks` tasks that submit
/// already parsed deliveries: what the writer can do when HTTP and parsing cost nothing.
async fn writer_alone(
    scratch: &mut Scratch,
    requests: &[Prepared],
    secret: &str,
    tasks: usize,
    config: &Config,
) -> anyhow::Result<(Plain, Usage)> {
    let (db, _, store) = with_store(scratch, "writer-alone", secret).await?;
    let deliveries = Arc::new(deliveries(requests, store)?);
    let (ingest, writer) = Ingest::start(
        db.clone(),
        IngestConfig {
            max_batch: config.ingest.max_batch.max(1),
            queue_depth: config.ingest.queue_depth.max(1),
        },
    );
    let usage_before = Sample::now();
    let started = Instant::now();
    let (written, latency) = timed_calls(deliveries.len(), tasks, "writer alone", {
        let ingest = ingest.clone();
        move |i| {
            let (ingest, delivery) = (ingest.clone(), deliveries[i].clone());
            async move {
                ingest
                    .submit(delivery)
                    .await
                    .map_err(|e| anyhow::anyhow!("writer alone: {e}"))
            }
        }
    })
    .await?;
    let elapsed = started.elapsed();
    // Before closing: the SQLite worker threads end with their connections.
    let usage = Sample::now().since(&usage_before);
    drop(ingest);
    let _ = tokio::time::timeout(Duration::from_secs(10), writer).await;
    db.close().await;
    Ok((
        Plain {
            label: "writer alone",
            written,
            elapsed,
            latency,
        },
        usage,
    ))
}

fn print_usage(phase: &str, usage: &Usage, wall: Duration, orders: u64) {
    if usage.threads.is_empty() {
        return;
    }
    let wall = wall.as_secs_f64().max(1e-9);
    let per_order = |secs: f64| 1e6 * secs / orders.max(1) as f64;
    let parts: Vec<String> = usage
        .threads
        .iter()
        .filter(|(_, secs)| *secs > 0.0)
        .map(|(group, secs)| {
            format!(
                "{group} {:.0} % of a core ({:.0} µs/order)",
                100.0 * secs / wall,
                per_order(*secs)
            )
        })
        .collect();
    let others = (usage.machine_busy - usage.process_cpu()).max(0.0);
    let switches: Vec<String> = usage
        .switches
        .iter()
        .filter(|(_, n)| *n > 0.0)
        .map(|(group, n)| format!("{group} {:.1}", n / orders.max(1) as f64))
        .collect();
    println!(
        "CPU, {phase}: {}; this process {:.2} of {:.0} cores; other processes {:.2} cores \
         (PostgreSQL's server counts here); context switches per order: {}; storage writes \
         {:.1} MB ({:.1} KB/order, {:.0} MB/s)",
        parts.join(", "),
        usage.process_cpu() / wall,
        usage.machine_total / wall,
        others / wall,
        switches.join(", "),
        usage.write_bytes / 1e6,
        usage.write_bytes / 1e3 / orders.max(1) as f64,
        usage.write_bytes / 1e6 / wall,
    );
}

fn usage_json(usage: &Usage, wall: Duration) -> serde_json::Value {
    let wall = wall.as_secs_f64().max(1e-9);
    json!({
        "process_cores": round3(usage.process_cpu() / wall),
        "other_processes_cores": round3((usage.machine_busy - usage.process_cpu()).max(0.0) / wall),
        "threads_cores": usage.threads.iter().map(|(k, v)| (k.clone(), round3(v / wall))).collect::<BTreeMap<_, _>>(),
        "storage_write_mb": round1(usage.write_bytes / 1e6),
    })
}

/// Prometheus text from dropflow's `/metrics` (empty if it cannot be read).
async fn scrape(client: &reqwest::Client, base_url: &str) -> String {
    match client.get(format!("{base_url}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Sum and count of a summary metric.
fn sum_count(text: &str, name: &str) -> Option<(f64, f64)> {
    let value = |suffix: &str| {
        let key = format!("{name}{suffix}");
        text.lines().find_map(|line| {
            let (k, v) = line.split_once(' ')?;
            (k == key).then(|| v.trim().parse::<f64>().ok()).flatten()
        })
    };
    Some((value("_sum")?, value("_count")?))
}

/// The summary's quantiles as rendered (a rolling window of about a minute).
fn quantiles(text: &str, name: &str) -> Vec<(String, f64)> {
    let prefix = format!("{name}{{quantile=\"");
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(&prefix)?;
            let (q, value) = rest.split_once("\"}")?;
            Some((q.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// What the group-commit writer did in a phase, from dropflow's own metrics.
struct WriterStats {
    batches: f64,
    deliveries: f64,
    commit_seconds: f64,
    wait_seconds: Option<(f64, f64)>,
    batch_quantiles: Vec<(String, f64)>,
}

impl WriterStats {
    fn between(before: &str, after: &str) -> WriterStats {
        let delta = |name: &str| match (sum_count(before, name), sum_count(after, name)) {
            (Some((s0, c0)), Some((s1, c1))) => Some((s1 - s0, c1 - c0)),
            (None, Some(sc)) => Some(sc),
            _ => None,
        };
        let (deliveries, batches) = delta("dropflow_ingest_batch_size").unwrap_or((0.0, 0.0));
        let commit_seconds = delta("dropflow_ingest_commit_seconds").map_or(0.0, |(s, _)| s);
        WriterStats {
            batches,
            deliveries,
            commit_seconds,
            wait_seconds: delta("dropflow_webhook_commit_wait_seconds"),
            batch_quantiles: quantiles(after, "dropflow_ingest_batch_size"),
        }
    }

    fn describe(&self) -> Option<String> {
        if self.batches <= 0.0 {
            return None;
        }
        let quantiles: Vec<String> = self
            .batch_quantiles
            .iter()
            .filter(|(q, _)| ["0.5", "0.99", "1"].contains(&q.as_str()))
            .map(|(q, v)| {
                let percent = q.parse::<f64>().map_or(0.0, |q| 100.0 * q);
                format!("p{percent:.0} {v:.0}")
            })
            .collect();
        let wait = self
            .wait_seconds
            .filter(|(_, count)| *count > 0.0)
            .map(|(sum, count)| {
                format!(", handler wait for commit {:.2} ms mean", 1e3 * sum / count)
            })
            .unwrap_or_default();
        Some(format!(
            "{} batches, {:.1} deliveries per batch (last minute: {}), {:.2} ms per batch \
             transaction, {:.0} µs per delivery, writer busy {:.1} s{wait}",
            self.batches,
            self.deliveries / self.batches,
            if quantiles.is_empty() {
                "-".to_string()
            } else {
                quantiles.join(" / ")
            },
            1e3 * self.commit_seconds / self.batches,
            1e6 * self.commit_seconds / self.deliveries.max(1.0),
            self.commit_seconds
        ))
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "batches": self.batches,
            "deliveries": self.deliveries,
            "mean_batch": if self.batches > 0.0 { round1(self.deliveries / self.batches) } else { 0.0 },
            "writer_busy_s": round3(self.commit_seconds),
        })
    }
}
