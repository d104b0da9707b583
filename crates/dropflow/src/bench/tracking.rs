//! `dropflow bench tracking`: carrier updates applied to many shipments. Fills a fresh
//! database with N shipments (bulk multi-row INSERTs), then applies one update per shipment
//! with `storage::shipments::apply_tracking_updates`, B updates per transaction, and times
//! each transaction (begin → apply → commit). The ceiling, measured in the same run on the
//! same rows: the same number of rows written in transactions of B by the plainest statement
//! (a multi-row `UPDATE … FROM (VALUES …)` of one column, keyed by tracking number, no
//! change detection, no read).

use super::hist::{hist_json, new_histogram, thousands, timed_row, Hist, Table};
use super::scratch::Scratch;
use super::TrackingArgs;
use crate::carriers::TrackingUpdate;
use crate::config::Config;
use crate::storage::shipments::{apply_tracking_updates, MAX_ROWS_PER_STATEMENT};
use crate::storage::write_set::{chunks_of, placeholders, ParamStyle};
use crate::storage::{Database, Engine};
use anyhow::bail;
use chrono::Utc;
use dropflow_core::ids::{OrderId, ShipmentId, SupplierOrderId};
use dropflow_core::shipment::ShipmentStatus;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::json;
use std::time::{Duration, Instant};

const TARGET_PER_S: f64 = 20_000.0;
/// Shipments per order in the fill.
const SHIPMENTS_PER_ORDER: usize = 2;
const ROWS_PER_INSERT: usize = 500;

pub async fn run(args: TrackingArgs, config: &Config) -> anyhow::Result<()> {
    let mut scratch = Scratch::new(&config.database.url)?;
    let outcome = measure(&args, &mut scratch).await;
    scratch.finish(outcome, args.keep).await
}

fn number(i: usize) -> String {
    format!("LP{i:014}")
}

/// `n` shipments in `in_transit`, two per order, one supplier order per order.
async fn fill(db: &Database, n: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let now = Utc::now().timestamp_millis();
    let store_id = uuid::Uuid::now_v7().to_string();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO stores (id, platform, domain, webhook_secret, created_at)
         VALUES ($1, 'shopify', 'bench-tracking.myshopify.com', 'secret', $2)",
    )
    .bind(&store_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let orders = n.div_ceil(SHIPMENTS_PER_ORDER);
    let ids: Vec<(OrderId, SupplierOrderId)> = (0..orders)
        .map(|_| (OrderId::new(), SupplierOrderId::new()))
        .collect();
    let style = ParamStyle::of(&mut tx);
    for (c, chunk) in ids.chunks(ROWS_PER_INSERT).enumerate() {
        let sql = format!(
            "INSERT INTO orders (id, store_id, external_id, name, currency, total_minor, state,
                tab, payment_status, procurement, version, created_at, updated_at) VALUES {}",
            placeholders(style, chunk.len(), 13)
        );
        let mut q = sqlx::query(&sql);
        for (i, (order, _)) in chunk.iter().enumerate() {
            let k = c * ROWS_PER_INSERT + i;
            q = q
                .bind(order.to_string())
                .bind(store_id.clone())
                .bind(format!("{}", 7_000_000 + k))
                .bind(format!("#{}", 1001 + k))
                .bind("USD")
                .bind(2_000i64)
                .bind("{}")
                .bind("awaiting_shipment")
                .bind("paid")
                .bind("shipped")
                .bind(1i64)
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
        let sql = format!(
            "INSERT INTO supplier_orders (id, order_id, supplier, supplier_account, status,
                attempt_id, created_at, updated_at) VALUES {}",
            placeholders(style, chunk.len(), 8)
        );
        let mut q = sqlx::query(&sql);
        for (order, supplier_order) in chunk {
            q = q
                .bind(supplier_order.to_string())
                .bind(order.to_string())
                .bind("cj")
                .bind("main")
                .bind("shipped")
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
    }
    let rows: Vec<usize> = (0..n).collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO shipments (id, order_id, supplier_order_id, leg, carrier,
                tracking_number, status, sub_status, last_event, created_at, updated_at,
                next_sync_at) VALUES {}",
            placeholders(style, chunk.len(), 12)
        );
        let mut q = sqlx::query(&sql);
        for i in chunk {
            let (order, supplier_order) = &ids[i / SHIPMENTS_PER_ORDER];
            q = q
                .bind(ShipmentId::new().to_string())
                .bind(order.to_string())
                .bind(supplier_order.to_string())
                .bind("supplier_to_customer")
                .bind("China Post")
                .bind(number(*i))
                .bind("in_transit")
                .bind("InTransit_PickedUp")
                .bind("Picked up by the carrier (Shenzhen, CN)")
                .bind(now)
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    match db.engine {
        Engine::Sqlite => {
            sqlx::query("ANALYZE").execute(&db.writer).await?;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&db.writer)
                .await?;
        }
        Engine::Postgres => {
            sqlx::query("VACUUM ANALYZE shipments")
                .execute(&db.writer)
                .await?;
        }
    }
    Ok(started.elapsed())
}

struct Run {
    elapsed: Duration,
    hist: Hist,
    rows: usize,
}

impl Run {
    fn per_s(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

async fn apply_run(db: &Database, updates: &[TrackingUpdate], batch: usize) -> anyhow::Result<Run> {
    let mut hist = new_histogram()?;
    let next = Some(Utc::now() + chrono::Duration::hours(6));
    let mut rows = 0;
    let started = Instant::now();
    for chunk in updates.chunks(batch) {
        let t = Instant::now();
        let mut tx = db.begin().await?;
        rows += apply_tracking_updates(&mut tx, chunk, next).await?.len();
        tx.commit().await?;
        record(&mut hist, t);
    }
    Ok(Run {
        elapsed: started.elapsed(),
        hist,
        rows,
    })
}

/// The ceiling: one column written by number, nothing read, nothing compared.
async fn bare_run(
    db: &Database,
    numbers: &[String],
    batch: usize,
    text: &str,
) -> anyhow::Result<Run> {
    let mut hist = new_histogram()?;
    let mut rows = 0u64;
    let started = Instant::now();
    for chunk in numbers.chunks(batch) {
        let t = Instant::now();
        let mut tx = db.begin().await?;
        let style = ParamStyle::of(&mut tx);
        for part in chunks_of(chunk, MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "WITH v (number, last_event) AS (VALUES {})
                 UPDATE shipments SET last_event = v.last_event FROM v
                 WHERE shipments.tracking_number = v.number",
                placeholders(style, part.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for n in part {
                q = q.bind(n.as_str()).bind(text);
            }
            rows += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        record(&mut hist, t);
    }
    Ok(Run {
        elapsed: started.elapsed(),
        hist,
        rows: rows as usize,
    })
}

async fn measure(args: &TrackingArgs, scratch: &mut Scratch) -> anyhow::Result<()> {
    let n = args.shipments.max(1);
    let batch = args.batch.max(1);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let engine = scratch.engine();
    let engine_name = match engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    };
    println!(
        "dropflow bench tracking: {n} shipments, {batch} updates per transaction, \
         {engine_name} on {cores} cores"
    );
    println!("databases: {}", scratch.location());
    let (db, _url) = scratch.fresh("tracking").await?;
    println!("[1/3] filling …");
    let fill_time = fill(&db, n).await?;
    println!(
        "fill: {} shipments in {:.1} s",
        thousands(n as f64),
        fill_time.as_secs_f64()
    );

    // One update per shipment, in random order; every one a change (status or scan).
    let mut rng = StdRng::seed_from_u64(17);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let at = Utc::now();
    let updates: Vec<TrackingUpdate> = order
        .iter()
        .map(|&i| {
            let (status, sub, event) = match i % 4 {
                0 => (
                    ShipmentStatus::InTransit,
                    "InTransit_Arrival",
                    "Arrived in the destination country (Los Angeles, US)",
                ),
                1 => (
                    ShipmentStatus::OutForDelivery,
                    "OutForDelivery_Other",
                    "Out for delivery (Austin, US)",
                ),
                2 => (
                    ShipmentStatus::Delivered,
                    "Delivered_Other",
                    "Delivered, in/at mailbox (Austin, US)",
                ),
                _ => (
                    ShipmentStatus::InTransit,
                    "InTransit_CustomsProcessing",
                    "Customs clearance in progress (Los Angeles, US)",
                ),
            };
            TrackingUpdate {
                number: number(i),
                status,
                sub_status: Some(sub.to_string()),
                last_event: Some(event.to_string()),
                last_event_at: Some(at),
            }
        })
        .collect();
    let numbers: Vec<String> = updates.iter().map(|u| u.number.clone()).collect();

    // Warm the statement caches and pages a little on both paths (not timed), then measure
    // the ceiling first and the real path second, each over every shipment.
    println!("[2/3] ceiling: bare one-column UPDATE … FROM VALUES by number …");
    bare_run(&db, &numbers[..batch.min(n)], batch, "warm-up").await?;
    let bare = bare_run(&db, &numbers, batch, "bare").await?;
    if bare.rows != n {
        bail!("the bare UPDATE wrote {} rows, not {n}", bare.rows);
    }
    println!("[3/3] apply_tracking_updates …");
    let applied = apply_run(&db, &updates, batch).await?;
    if applied.rows != n {
        bail!(
            "apply_tracking_updates changed {} rows, not {n}",
            applied.rows
        );
    }
    let again = apply_run(&db, &updates[..batch.min(n)], batch).await?;
    if again.rows != 0 {
        bail!(
            "applying the same updates again changed {} rows",
            again.rows
        );
    }

    println!();
    let mut table = Table::new(&[
        "path",
        "rows",
        "rows/s",
        "p50 ms/batch",
        "p99 ms/batch",
        "max ms",
        "note",
    ]);
    let line = |label: &str, run: &Run, note: String| {
        timed_row(
            [
                label.to_string(),
                thousands(run.rows as f64),
                thousands(run.per_s()),
            ],
            &run.hist,
            [note],
        )
    };
    let verdict = if applied.per_s() >= TARGET_PER_S {
        "met"
    } else {
        "NOT met"
    };
    table.row(line(
        "apply_tracking_updates (read, compare, guarded multi-row UPDATE … RETURNING)",
        &applied,
        format!("target ≥ {} updates/s ({verdict})", thousands(TARGET_PER_S)),
    ));
    table.row(line(
        "ceiling: bare UPDATE shipments SET last_event … FROM VALUES",
        &bare,
        "same rows, same transactions".into(),
    ));
    table.print();
    let ratio = applied.per_s() / bare.per_s().max(1e-9);
    println!(
        "apply / ceiling: {:.2} ({} vs {} rows/s); unchanged re-apply of {} updates changed 0 rows",
        ratio,
        thousands(applied.per_s()),
        thousands(bare.per_s()),
        batch.min(n)
    );
    let report = json!({
        "bench": "tracking",
        "engine": engine_name,
        "cores": cores,
        "shipments": n,
        "batch": batch,
        "fill_s": (fill_time.as_secs_f64() * 10.0).round() / 10.0,
        "apply_per_s": applied.per_s().round(),
        "apply_batch": hist_json(&applied.hist),
        "ceiling_per_s": bare.per_s().round(),
        "ceiling_batch": hist_json(&bare.hist),
        "ratio": (ratio * 100.0).round() / 100.0,
        "target_per_s": TARGET_PER_S,
    });
    println!("\nBENCH_JSON {report}");
    db.close().await;
    Ok(())
}

fn record(h: &mut Hist, since: Instant) {
    h.saturating_record((since.elapsed().as_micros() as u64).max(1));
}
