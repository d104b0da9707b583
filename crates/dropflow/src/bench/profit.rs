//! `dropflow bench profit`: the profit of an orders page (50 orders) over a database of many
//! orders, each with a line, a delivered purchase and the wallet's capture for it, and the
//! store's fee rule: `services::profit::figures` (every fact of the page in a fixed number of
//! statements, then the figures) timed next to the bare query that reads the same 50 order
//! rows, in the same run, and the ratio of the two. Fills by `INSERT … SELECT` over a
//! recursive series (the same SQL on both engines), not by the ingest path.

use super::hist::{fmt_ms, hist_json, ms_at, new_histogram, thousands, timed_row, Table};
use super::scratch::Scratch;
use crate::config::Config;
use crate::storage::{self, query, Database, Engine};
use dropflow_core::intake::Platform;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const TARGET_MS: f64 = 5.0;
/// The orders page's size.
const PAGE: usize = 50;
/// Orders per fill statement.
const CHUNK: i64 = 50_000;
/// Timed pages per measurement.
const SAMPLES: usize = 300;
/// Order ids are `o` + this plus their number: fixed width, so id order is number order.
const ID_BASE: i64 = 1_000_000_000;

#[derive(Debug, clap::Args)]
pub struct ProfitArgs {
    /// Orders to fill the database with.
    #[arg(long, default_value_t = 1_000_000)]
    pub orders: usize,
    /// Keep the filled database afterwards (its location is printed).
    #[arg(long)]
    pub keep: bool,
}

pub async fn run(args: ProfitArgs, config: &Config) -> anyhow::Result<()> {
    let mut scratch = Scratch::new(&config.database.url)?;
    let outcome = measure(&args, &mut scratch).await;
    scratch.finish(outcome, args.keep).await
}

fn id(i: i64) -> String {
    format!("o{}", ID_BASE + i)
}

async fn fill(db: &Database, n: i64) -> anyhow::Result<()> {
    let store = storage::stores::create(
        db,
        Platform::Shopify,
        dropflow_sandbox::shopify::SHOP_DOMAIN,
        "bench-secret",
    )
    .await?;
    let store_id = store.id.to_string();
    let w = &db.writer;
    sqlx::query(
        "INSERT INTO wallets (store_id, currency, created_at, updated_at) VALUES ($1, 'USD', 0, 0)",
    )
    .bind(&store_id)
    .execute(w)
    .await?;
    sqlx::query(
        "INSERT INTO store_payment_fees (store_id, percent_bps, fixed_minor, fixed_currency,
            updated_by, updated_at) VALUES ($1, 290, 30, 'USD', 'bench', 0)",
    )
    .bind(&store_id)
    .execute(w)
    .await?;
    let mut from = 0;
    while from < n {
        let to = (from + CHUNK).min(n);
        let mut tx = db.begin().await?;
        // Orders `from..to`, one minute apart; the rest follows each chunk's orders by time.
        sqlx::query(&format!(
            "INSERT INTO orders (id, store_id, external_id, name, currency, total_minor, state,
                tab, payment_status, procurement, version, created_at, updated_at, shipping_minor)
             WITH RECURSIVE s(i) AS (SELECT CAST($1 AS BIGINT) UNION ALL
                SELECT i + 1 FROM s WHERE i + 1 < $2)
             SELECT 'o' || CAST({ID_BASE} + i AS TEXT), $3, CAST(i AS TEXT),
                '#' || CAST(i AS TEXT), 'USD', 2499 + i % 1000, '{{}}', 'delivered', 'paid',
                'delivered', 1, 60000 * i, 60000 * i, 499 FROM s"
        ))
        .bind(from)
        .bind(to)
        .bind(&store_id)
        .execute(&mut *tx)
        .await?;
        // The rest by primary-key ranges: fixed-width ids sort as their numbers.
        let (lo, hi) = (id(from), id(to));
        let (ref_lo, ref_hi) = (format!("a{lo}"), format!("a{hi}"));
        let by_order = [
            "INSERT INTO order_lines (order_id, position, external_id, product_id, sku, title,
                quantity, unit_price_minor, requires_shipping)
             SELECT id, 0, external_id, 'p' || CAST(total_minor % 40 AS TEXT), 'SKU', 'Mug',
                1, total_minor - 499, 1 FROM orders WHERE id >= $1 AND id < $2",
            "INSERT INTO supplier_orders (id, order_id, supplier, supplier_account, status,
                attempt_id, cost_minor, currency, created_at, updated_at)
             SELECT 's' || id, id, 'cj', '', 'delivered', 'a' || id, 1200, 'USD',
                created_at, created_at FROM orders WHERE id >= $1 AND id < $2",
        ];
        for sql in by_order {
            sqlx::query(sql)
                .bind(&lo)
                .bind(&hi)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO ledger_transactions (store_id, currency, kind, reference, created_at)
             SELECT $3, 'USD', 'capture', attempt_id, created_at FROM supplier_orders
             WHERE id >= $1 AND id < $2",
        )
        .bind(format!("s{lo}"))
        .bind(format!("s{hi}"))
        .bind(&store_id)
        .execute(&mut *tx)
        .await?;
        for (account, amount) in [("spent", 1200), ("reserved", -1200)] {
            sqlx::query(
                "INSERT INTO ledger_postings (transaction_id, account, amount_minor)
                 SELECT id, $1, $2 FROM ledger_transactions
                 WHERE store_id = $3 AND reference >= $4 AND reference < $5",
            )
            .bind(account)
            .bind(amount)
            .bind(&store_id)
            .bind(&ref_lo)
            .bind(&ref_hi)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        from = to;
    }
    sqlx::query("ANALYZE").execute(w).await?;
    Ok(())
}

async fn measure(args: &ProfitArgs, scratch: &mut Scratch) -> anyhow::Result<()> {
    let n = i64::try_from(args.orders.max(PAGE))?;
    let engine = scratch.engine();
    println!(
        "dropflow bench profit: {n} orders (a line, a delivered purchase and its capture each), {}",
        match engine {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    );
    println!("databases: {}", scratch.location());
    let (db, _) = scratch.fresh("profit").await?;
    println!("[1/2] filling …");
    let started = Instant::now();
    fill(&db, n).await?;
    println!(
        "fill: {} orders in {:.1} s",
        thousands(n as f64),
        started.elapsed().as_secs_f64()
    );

    println!("[2/2] timing pages of {PAGE} orders at random depths, one at a time …");
    let mut rng = StdRng::seed_from_u64(20_261_207);
    let mut profit = new_histogram()?;
    let mut bare = new_histogram()?;
    let bare_sql = format!(
        "SELECT id, store_id, name, currency, total_minor, shipping_minor, discounts_minor,
            taxes_minor, taxes_included, created_at FROM orders WHERE id IN ({})",
        query::params(1, PAGE)
    );
    let mut complete = 0usize;
    for round in 0..SAMPLES + 10 {
        let start = rng.gen_range(0..=n - PAGE as i64);
        let ids: Vec<String> = (start..start + PAGE as i64).map(id).collect();
        // Alternate which goes first, so neither always finds the other's pages cached.
        let mut timings = [0u64; 2];
        for which in [round % 2, 1 - round % 2] {
            let t = Instant::now();
            if which == 0 {
                let figures = crate::services::profit::figures(&db, &ids).await?;
                complete += figures
                    .iter()
                    .filter(|f| {
                        matches!(f.outcome, dropflow_core::profit::OrderProfit::Complete(_))
                    })
                    .count();
            } else {
                let rows = query::bind_ids(sqlx::query(&bare_sql), &ids)
                    .fetch_all(&db.reader)
                    .await?;
                anyhow::ensure!(rows.len() == PAGE, "the bare query found {}", rows.len());
            }
            timings[which] = u64::try_from(t.elapsed().as_micros())?.max(1);
        }
        // The first rounds warm the pools and caches.
        if round >= 10 {
            profit.record(timings[0])?;
            bare.record(timings[1])?;
        }
    }
    let mut table = Table::new(&["what", "n", "p50 ms", "p99 ms", "max ms", "target"]);
    table.row(timed_row(
        [
            "profit of a page (facts + figures)".into(),
            profit.len().to_string(),
        ],
        &profit,
        [format!("≤ {TARGET_MS} ms")],
    ));
    table.row(timed_row(
        [
            "bare query of the 50 order rows".into(),
            bare.len().to_string(),
        ],
        &bare,
        ["ceiling".into()],
    ));
    table.print();
    let ratio = match (ms_at(&profit, 0.5), ms_at(&bare, 0.5)) {
        (Some(p), Some(b)) if b > 0.0 => Some(p / b),
        _ => None,
    };
    println!(
        "ratio profit / bare query at p50: {}; orders with a complete figure: {complete}",
        ratio.map_or_else(|| "-".into(), |r| format!("{r:.1}×"))
    );
    println!(
        "target: p99 {} ms ≤ {TARGET_MS} ms: {}",
        fmt_ms(ms_at(&profit, 0.99)),
        if ms_at(&profit, 0.99).is_some_and(|p| p <= TARGET_MS) {
            "met"
        } else {
            "NOT met"
        }
    );
    let report = serde_json::json!({
        "bench": "profit", "orders": n, "page": PAGE,
        "profit": hist_json(&profit), "bare": hist_json(&bare), "ratio_p50": ratio,
    });
    println!("\nBENCH_JSON {report}");
    Ok(())
}
