//! `dropflow bench export`: a store's orders as CSV through the API, streamed (issue 16 item
//! 4: a million rows at ≥ 100,000 rows/s with flat memory). Fills a fresh database with N
//! orders the way `bench tabs` does, starts dropflow's router on it, and downloads
//! `GET /api/v1/stores/{id}/exports/orders.csv` over loopback, reading the body chunk by
//! chunk (the client keeps nothing). The ceiling, in the same run: the bare SELECT of the same
//! columns over the same rows, one streamed statement, rows counted and dropped. Memory is the
//! process's resident size sampled every 10 ms during each phase (server and client are this
//! process): its peak above the size before the phase is what the phase held.

use super::hist::thousands;
use super::scratch::Scratch;
use super::sys::{process_cpu_seconds, rss_kib};
use super::tabs::fill;
use super::ExportArgs;
use crate::config::Config;
use crate::storage::{Database, Engine};
use futures::StreamExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TARGET_ROWS_PER_S: f64 = 100_000.0;

pub async fn run(args: ExportArgs, config: &Config) -> anyhow::Result<()> {
    let mut scratch = Scratch::new(&config.database.url)?;
    let outcome = measure(&args, config, &mut scratch).await;
    scratch.finish(outcome, args.keep).await
}

/// What one phase did: rows, seconds, CPU seconds of this process, peak memory above start.
struct Phase {
    rows: u64,
    seconds: f64,
    cpu: f64,
    rss_start_kib: u64,
    rss_peak_kib: u64,
    bytes: u64,
}

impl Phase {
    fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }

    fn held_mib(&self) -> f64 {
        self.rss_peak_kib.saturating_sub(self.rss_start_kib) as f64 / 1024.0
    }
}

/// Samples the resident size every 10 ms until stopped; the peak seen.
struct RssPeak {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssPeak {
    fn start() -> RssPeak {
        let peak = Arc::new(AtomicU64::new(rss_kib().unwrap_or(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib().unwrap_or(0), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
        RssPeak { peak, stop, task }
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.ok();
        self.peak
            .load(Ordering::Relaxed)
            .max(rss_kib().unwrap_or(0))
    }
}

async fn measure(args: &ExportArgs, config: &Config, scratch: &mut Scratch) -> anyhow::Result<()> {
    let n = args.orders.max(1);
    let engine = scratch.engine();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "dropflow bench export: {} orders, {} on {cores} cores",
        thousands(n as f64),
        match engine {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    );
    println!("databases: {}", scratch.location());
    let (db, url) = scratch.fresh("export").await?;
    println!("[1/3] filling …");
    let filled = fill(&db, &url, n).await?;
    let store = filled.store_id.clone();
    // The fill's ids are not needed here: give their memory back before measuring.
    drop(filled);
    println!("[2/3] the bare SELECT of the same rows (ceiling) …");
    let bare = bare_select(&db, &store).await?;
    println!("[3/3] the CSV export through the API …");
    let export = through_api(config, &db, &url, &store).await?;
    if export.rows != n as u64 || bare.rows != n as u64 {
        anyhow::bail!(
            "rows: {} filled, {} exported, {} selected",
            n,
            export.rows,
            bare.rows
        );
    }
    let line = |label: &str, p: &Phase| {
        println!(
            "{label}: {} rows in {:.2} s = {} rows/s, CPU {:.2} s, {:.1} MB, resident memory \
             {:.0} MiB before, peak +{:.1} MiB",
            thousands(p.rows as f64),
            p.seconds,
            thousands(p.rows_per_s()),
            p.cpu,
            p.bytes as f64 / 1e6,
            p.rss_start_kib as f64 / 1024.0,
            p.held_mib()
        );
    };
    println!();
    line("ceiling: bare SELECT, one streamed statement", &bare);
    line("export: GET …/exports/orders.csv over loopback", &export);
    println!(
        "export / ceiling: {:.2}× the ceiling's rows/s; target ≥ {} rows/s: {}",
        export.rows_per_s() / bare.rows_per_s().max(1e-9),
        thousands(TARGET_ROWS_PER_S),
        if export.rows_per_s() >= TARGET_ROWS_PER_S {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}

/// The same columns of the same rows, one `SELECT` streamed by sqlx; rows counted, dropped.
async fn bare_select(db: &Database, store: &str) -> anyhow::Result<Phase> {
    let rss = RssPeak::start();
    let rss_start_kib = rss_kib().unwrap_or(0);
    let cpu = process_cpu_seconds().unwrap_or(0.0);
    let started = Instant::now();
    let mut rows = 0u64;
    {
        let mut stream = sqlx::query(
            "SELECT id, name, external_id, created_at, tab, payment_status, procurement, \
             customer, email, currency, total_minor, shipping_minor, discounts_minor, \
             taxes_minor, taxes_included FROM orders WHERE store_id = $1 ORDER BY id DESC",
        )
        .bind(store)
        .fetch(&db.reader);
        while let Some(row) = stream.next().await {
            std::hint::black_box(row?);
            rows += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Phase {
        rows,
        seconds,
        cpu: process_cpu_seconds().unwrap_or(0.0) - cpu,
        rss_start_kib,
        rss_peak_kib: rss.finish().await,
        bytes: 0,
    })
}

/// The export through dropflow's router, read chunk by chunk.
async fn through_api(
    config: &Config,
    db: &Database,
    url: &str,
    store: &str,
) -> anyhow::Result<Phase> {
    let mut app_config = config.clone();
    app_config.database.url = url.to_string();
    app_config.http.listen = "127.0.0.1:0".into();
    let running =
        crate::app::start_on(&app_config, db.clone(), crate::jobs::Registry::new()).await?;
    let token = crate::storage::tokens::create(db, "bench-export").await?;
    let client = reqwest::Client::builder().no_proxy().build()?;
    let address = format!(
        "{}/api/v1/stores/{store}/exports/orders.csv",
        running.base_url()
    );
    let rss = RssPeak::start();
    let rss_start_kib = rss_kib().unwrap_or(0);
    let cpu = process_cpu_seconds().unwrap_or(0.0);
    let started = Instant::now();
    let mut response = client
        .get(&address)
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?;
    let (mut lines, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = response.chunk().await? {
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    let phase = Phase {
        // The first line is the header.
        rows: lines.saturating_sub(1),
        seconds,
        cpu: process_cpu_seconds().unwrap_or(0.0) - cpu,
        rss_start_kib,
        rss_peak_kib: rss.finish().await,
        bytes,
    };
    running.stop().await;
    Ok(phase)
}
