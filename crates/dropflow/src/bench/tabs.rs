//! `dropflow bench tabs`: the orders page's reads over a large database. Fills a fresh
//! database with N orders by bulk multi-row INSERTs (not the ingest path: that would take an
//! hour for a million), then times, server-side and one at a time, `storage::orders::list` for
//! each tab's first page and for keyset pages at random depths, `storage::orders::tab_counts`,
//! and the bare indexed SQL as a ceiling.

use super::hist::{hist_json, ms_at, new_histogram, thousands, timed_row, Hist, Table};
use super::scratch::Scratch;
use super::TabsArgs;
use crate::config::Config;
use crate::ingest::snapshot::snapshot_of;
use crate::storage::orders::{self, ListQuery};
use crate::storage::{self, Database, Engine};
use anyhow::bail;
use dropflow_core::hold::{Hold, HoldOrigin, HoldReason};
use dropflow_core::ids::OrderId;
use dropflow_core::intake::Platform;
use dropflow_core::lifecycle::{self, OrderState};
use dropflow_core::payment::PaymentStatus;
use dropflow_core::procurement::Procurement;
use dropflow_core::tab::Tab;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sqlx::{Connection, Executor, Row};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TARGET_MS: f64 = 5.0;
/// Rows per INSERT statement (17 parameters each: within SQLite's 32,766 and PostgreSQL's
/// 65,535 bound parameters).
const ROWS_PER_STATEMENT: usize = 500;
/// Rows per fill transaction.
const ROWS_PER_TRANSACTION: usize = 50_000;
/// Timed queries per tab and kind.
const SAMPLES_PER_TAB: usize = 300;

pub async fn run(args: TabsArgs, config: &Config) -> anyhow::Result<()> {
    let mut scratch = Scratch::new(&config.database.url)?;
    let outcome = measure(&args, config, &mut scratch).await;
    scratch.finish(outcome, args.keep).await
}

/// One kind of order the fill writes: a state that lands in `tab`.
struct Kind {
    tab: Tab,
    state_json: String,
    payment: &'static str,
    procurement: &'static str,
}

/// Tab shares (per mille) for the newest 5 % of orders and for older ones: recent orders are
/// still moving, old ones are mostly delivered. Overall about 84 % fulfilled or delivered, 5 % cancelled.
const RECENT: [(Tab, u32); 8] = [
    (Tab::AwaitingOrder, 300),
    (Tab::AwaitingPayment, 100),
    (Tab::AwaitingShipment, 250),
    (Tab::Fulfilled, 120),
    (Tab::Delivered, 30),
    (Tab::Canceled, 50),
    (Tab::Failed, 30),
    (Tab::OnHold, 120),
];
const OLDER: [(Tab, u32); 8] = [
    (Tab::AwaitingOrder, 10),
    (Tab::AwaitingPayment, 5),
    (Tab::AwaitingShipment, 30),
    (Tab::Fulfilled, 80),
    (Tab::Delivered, 800),
    (Tab::Canceled, 50),
    (Tab::Failed, 5),
    (Tab::OnHold, 20),
];

/// The merchant looking: an owner of the account the benchmark's store is in (the listing
/// and counts go through the same scoping a real request does).
fn owner_scope() -> crate::storage::accounts::Scope {
    crate::storage::accounts::Scope::Account {
        account_id: crate::storage::accounts::DEFAULT_ACCOUNT.to_string(),
    }
}

fn kinds() -> anyhow::Result<Vec<Kind>> {
    // The state a paid sandbox order gets on arrival (through the real lifecycle, so the
    // states stay well-formed whatever fields `OrderState` grows), then moved along its axes.
    let body = dropflow_sandbox::body_bytes(&dropflow_sandbox::shopify::order_payload(
        1, "#1001", "paid",
    ));
    let order = crate::platforms::shopify::parse_order(&body)
        .map_err(|e| anyhow::anyhow!("a sandbox order does not parse: {e}"))?;
    let base = lifecycle::receive(snapshot_of(
        &order,
        "orders/create",
        dropflow_core::payment::CapturePolicy::default(),
    ))
    .state;
    let with = |change: &dyn Fn(&mut OrderState)| {
        let mut state = base.clone();
        change(&mut state);
        state
    };
    let hold = |reason: HoldReason, detail: &str| Hold {
        reason,
        detail: detail.into(),
        origin: HoldOrigin::System,
    };
    let states = vec![
        (
            Tab::AwaitingOrder,
            with(&|s| s.procurement = Procurement::NotStarted),
        ),
        (
            Tab::AwaitingPayment,
            with(&|s| s.procurement = Procurement::AwaitingSupplierPayment),
        ),
        (
            Tab::AwaitingShipment,
            with(&|s| s.procurement = Procurement::AwaitingShipment),
        ),
        (
            Tab::Delivered,
            with(&|s| s.procurement = Procurement::Delivered),
        ),
        (
            Tab::Fulfilled,
            with(&|s| s.procurement = Procurement::Shipped),
        ),
        (
            Tab::Canceled,
            with(&|s| {
                s.payment = PaymentStatus::Refunded;
                s.cancel_reason = Some("customer".into());
            }),
        ),
        (
            Tab::Canceled,
            with(&|s| {
                s.payment = PaymentStatus::Voided;
                s.cancel_reason = Some("cancelled in the store".into());
            }),
        ),
        (Tab::Failed, with(&|s| s.procurement = Procurement::Failed)),
        (
            Tab::OnHold,
            with(&|s| {
                s.payment = PaymentStatus::Pending;
                s.holds = vec![hold(
                    HoldReason::AwaitingPayment,
                    "the customer has not paid yet",
                )];
            }),
        ),
        (
            Tab::OnHold,
            with(&|s| {
                s.holds = vec![hold(
                    HoldReason::IncorrectAddress,
                    "postal_code: \"9021\" does not match the format for US",
                )];
            }),
        ),
    ];
    let mut out = Vec::new();
    for (tab, state) in states {
        if state.tab() != tab {
            bail!(
                "fill state meant for {} lands in {}",
                tab.as_str(),
                state.tab().as_str()
            );
        }
        out.push(Kind {
            tab,
            state_json: serde_json::to_string(&state)?,
            payment: state.payment.as_str(),
            procurement: state.procurement.as_str(),
        });
    }
    Ok(out)
}

fn pick_tab(rng: &mut StdRng, recent: bool) -> Tab {
    let table = if recent { &RECENT } else { &OLDER };
    let mut roll = rng.gen_range(0..1000u32);
    for (tab, share) in table {
        if roll < *share {
            return *tab;
        }
        roll -= share;
    }
    Tab::Fulfilled
}

/// Customers and addresses in the shape the ingest path stores (from sandbox orders).
fn templates() -> anyhow::Result<Vec<(Option<String>, Option<String>)>> {
    let mut out = Vec::new();
    for id in 1..=64u64 {
        let body = dropflow_sandbox::body_bytes(&dropflow_sandbox::shopify::order_payload(
            id, "#1", "paid",
        ));
        let order = crate::platforms::shopify::parse_order(&body)
            .map_err(|e| anyhow::anyhow!("a sandbox order does not parse: {e}"))?;
        out.push((
            order
                .customer
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
            order
                .shipping_address
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
        ));
    }
    Ok(out)
}

/// What [`fill`] wrote (also the database `bench export` reads).
pub(super) struct Filled {
    pub(super) store_id: String,
    pub(super) ids: Vec<String>,
    per_tab: BTreeMap<&'static str, i64>,
    pub(super) elapsed: Duration,
    analyze: Duration,
    note: String,
}

/// Fills `db` (at `url`) with `n` orders of one store by bulk multi-row INSERTs.
pub(super) async fn fill(db: &Database, url: &str, n: usize) -> anyhow::Result<Filled> {
    let store = storage::stores::create(
        db,
        Platform::Shopify,
        dropflow_sandbox::shopify::SHOP_DOMAIN,
        "bench-secret",
    )
    .await?;
    let store_id = store.id.to_string();
    let kinds = kinds()?;
    let templates = templates()?;
    let mut rng = StdRng::seed_from_u64(20_260_127);

    // A connection of its own, tuned for loading (and only for loading).
    // Bulk statements and ANALYZE take seconds by design: no slow-statement warnings.
    let mut conn = {
        use sqlx::ConnectOptions;
        use std::str::FromStr;
        sqlx::any::AnyConnectOptions::from_str(url)?
            .log_slow_statements(tracing::log::LevelFilter::Off, Duration::ZERO)
            .connect()
            .await?
    };
    let note = match db.engine {
        Engine::Sqlite => {
            conn.execute(
                "PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; \
                 PRAGMA temp_store = MEMORY;",
            )
            .await?;
            "fill connection only: PRAGMA synchronous=OFF, cache_size=1 GB (reads use the \
             normal pools)"
        }
        Engine::Postgres => {
            conn.execute("SET synchronous_commit = off").await?;
            "fill connection only: SET synchronous_commit=off (reads use the normal pools)"
        }
    };

    // Orders two years old up to now, evenly spaced; ids are UUIDv7 of that time, so id order
    // is time order as with real orders.
    let now_ms = chrono::Utc::now().timestamp_millis();
    let span_ms: i64 = 2 * 365 * 24 * 3600 * 1000;
    let step = (span_ms / n.max(1) as i64).max(1);
    let first_ms = now_ms - step * n as i64;
    let recent_from = n - n / 20;

    let mut ids = Vec::with_capacity(n);
    let mut per_tab: BTreeMap<&'static str, i64> = BTreeMap::new();
    let started = Instant::now();
    let mut i = 0usize;
    while i < n {
        let mut tx = conn.begin().await?;
        let tx_end = (i + ROWS_PER_TRANSACTION).min(n);
        while i < tx_end {
            let rows = ROWS_PER_STATEMENT.min(tx_end - i);
            let mut sql = String::from(
                "INSERT INTO orders (id, store_id, external_id, name, currency, total_minor, \
                 state, tab, payment_status, procurement, version, customer, shipping_address, \
                 email, store_created_at, created_at, updated_at) VALUES ",
            );
            for r in 0..rows {
                let b = r * 17;
                if r > 0 {
                    sql.push(',');
                }
                sql.push('(');
                for p in 1..=17 {
                    if p > 1 {
                        sql.push(',');
                    }
                    // SQLite looks a numbered parameter's name up by a linear scan, so
                    // thousands of `$n` in one statement cost O(n²) to bind: use `?` there.
                    match db.engine {
                        Engine::Sqlite => sql.push('?'),
                        Engine::Postgres => sql.push_str(&format!("${}", b + p)),
                    }
                }
                sql.push(')');
            }
            let mut query = sqlx::query(&sql);
            for _ in 0..rows {
                let at_ms = first_ms + step * i as i64;
                let id = OrderId::from(uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
                    uuid::NoContext,
                    (at_ms / 1000) as u64,
                    ((at_ms % 1000) * 1_000_000) as u32,
                )))
                .to_string();
                let tab = pick_tab(&mut rng, i >= recent_from);
                let candidates: Vec<&Kind> = kinds.iter().filter(|k| k.tab == tab).collect();
                let kind = candidates[rng.gen_range(0..candidates.len())];
                let (customer, address) = &templates[i % templates.len()];
                *per_tab.entry(tab.as_str()).or_default() += 1;
                query = query
                    .bind(id.clone())
                    .bind(store_id.clone())
                    .bind((7_000_000_000u64 + i as u64).to_string())
                    .bind(format!("#{}", 1001 + i))
                    .bind("USD")
                    .bind(rng.gen_range(999..25_000i64))
                    .bind(kind.state_json.clone())
                    .bind(tab.as_str())
                    .bind(kind.payment)
                    .bind(kind.procurement)
                    .bind(rng.gen_range(1..4i64))
                    .bind(customer.clone())
                    .bind(address.clone())
                    .bind(format!(
                        "buyer{}@example.com",
                        rng.gen_range(0..(n as u64 / 3 + 1))
                    ))
                    .bind(at_ms - 5_000)
                    .bind(at_ms)
                    .bind(at_ms + rng.gen_range(0..86_400_000i64));
                ids.push(id);
                i += 1;
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    let mut tx = conn.begin().await?;
    let all = [("all", n as i64)];
    for (tab, count) in per_tab.iter().map(|(t, c)| (*t, *c)).chain(all) {
        sqlx::query("INSERT INTO store_tab_counts (store_id, tab, n) VALUES ($1, $2, $3)")
            .bind(store_id.clone())
            .bind(tab)
            .bind(count)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let elapsed = started.elapsed();

    let analyzing = Instant::now();
    match db.engine {
        Engine::Sqlite => {
            conn.execute("ANALYZE").await?;
            // Fold the loaded WAL into the database file, as a quiet server would have.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
        Engine::Postgres => {
            // After a bulk load autovacuum would run next; do it now so it does not run
            // during the measurement.
            conn.execute("VACUUM ANALYZE orders").await?;
        }
    }
    let analyze = analyzing.elapsed();
    conn.close().await?;
    per_tab.insert("all", n as i64);
    Ok(Filled {
        store_id,
        ids,
        per_tab,
        elapsed,
        analyze,
        note: note.into(),
    })
}

async fn measure(args: &TabsArgs, config: &Config, scratch: &mut Scratch) -> anyhow::Result<()> {
    let n = args.orders.max(1);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let engine = scratch.engine();
    println!(
        "dropflow bench tabs: {n} orders, {} on {cores} cores",
        match engine {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    );
    println!("databases: {}", scratch.location());
    let (db, url) = scratch.fresh("tabs").await?;
    println!("[1/2] filling …");
    let filled = fill(&db, &url, n).await?;
    let size = database_size(&db, &url).await;
    println!(
        "fill: {} orders in {:.1} s ({}/s), multi-row INSERT of {ROWS_PER_STATEMENT} rows, \
         {} rows per transaction; {}",
        thousands(n as f64),
        filled.elapsed.as_secs_f64(),
        thousands(n as f64 / filled.elapsed.as_secs_f64().max(1e-9)),
        thousands(ROWS_PER_TRANSACTION as f64),
        filled.note
    );
    println!(
        "{} {:.1} s; database size {}",
        match engine {
            Engine::Sqlite => "ANALYZE + wal_checkpoint(TRUNCATE)",
            Engine::Postgres => "VACUUM ANALYZE orders",
        },
        filled.analyze.as_secs_f64(),
        size.unwrap_or_else(|| "?".into())
    );
    let counts = orders::tab_counts(&db, &owner_scope()).await?;
    let summary: Vec<String> = Tab::ALL
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t.as_str(),
                thousands(*counts.get(t.as_str()).unwrap_or(&0) as f64)
            )
        })
        .collect();
    println!("tabs: {}", summary.join(" | "));
    for tab in Tab::ALL {
        let stored = counts.get(tab.as_str()).copied().unwrap_or(0);
        let filled_count = filled.per_tab.get(tab.as_str()).copied().unwrap_or(0);
        if stored != filled_count {
            bail!(
                "tab_counts says {stored} for {} but the fill wrote {filled_count}",
                tab.as_str()
            );
        }
    }

    println!("[2/2] timing queries (server-side, in-process, one at a time) …");
    let mut rng = StdRng::seed_from_u64(7);
    let mut first: BTreeMap<&str, Hist> = BTreeMap::new();
    let mut keyset: BTreeMap<&str, Hist> = BTreeMap::new();
    let mut bare_first = new_histogram()?;
    let mut bare_keyset = new_histogram()?;
    let mut counts_h = new_histogram()?;
    let mut rows_seen = 0usize;
    // Warm up each kind a little (statement caches, pages).
    for tab in Tab::ALL {
        list_page(&db, tab, None).await?;
    }
    let bare_sql = "SELECT id FROM orders WHERE tab = $1 ORDER BY id DESC LIMIT 50";
    let bare_keyset_sql =
        "SELECT id FROM orders WHERE tab = $1 AND id < $2 ORDER BY id DESC LIMIT 50";
    for _ in 0..SAMPLES_PER_TAB {
        for tab in Tab::ALL {
            let t = Instant::now();
            rows_seen += list_page(&db, tab, None).await?;
            record(first.entry(tab.as_str()).or_insert(new_histogram()?), t);

            let cursor = &filled.ids[rng.gen_range(0..filled.ids.len())];
            let before: OrderId = cursor.parse()?;
            let t = Instant::now();
            rows_seen += list_page(&db, tab, Some(before)).await?;
            record(keyset.entry(tab.as_str()).or_insert(new_histogram()?), t);

            if tab != Tab::All {
                let t = Instant::now();
                rows_seen += sqlx::query(bare_sql)
                    .bind(tab.as_str())
                    .fetch_all(&db.reader)
                    .await?
                    .len();
                record(&mut bare_first, t);
                let t = Instant::now();
                rows_seen += sqlx::query(bare_keyset_sql)
                    .bind(tab.as_str())
                    .bind(cursor.as_str())
                    .fetch_all(&db.reader)
                    .await?
                    .len();
                record(&mut bare_keyset, t);
            }
        }
        for _ in 0..4 {
            let t = Instant::now();
            orders::tab_counts(&db, &owner_scope()).await?;
            record(&mut counts_h, t);
        }
    }

    println!();
    let target = format!("≤ {TARGET_MS} ms");
    let mut table = Table::new(&["query", "n", "p50 ms", "p99 ms", "max ms", "target"]);
    let verdict = |h: &Hist| match ms_at(h, 0.99) {
        Some(p) if p <= TARGET_MS => format!("{target} (met at p99)"),
        Some(_) => format!("{target} (NOT met at p99)"),
        None => target.clone(),
    };
    let mut all_first = new_histogram()?;
    let mut all_keyset = new_histogram()?;
    for tab in Tab::ALL {
        if let Some(h) = first.get(tab.as_str()) {
            all_first.add(h)?;
            table.row(row(
                &format!("list first page, tab={}", tab.as_str()),
                h,
                verdict(h),
            ));
        }
    }
    for tab in Tab::ALL {
        if let Some(h) = keyset.get(tab.as_str()) {
            all_keyset.add(h)?;
            table.row(row(
                &format!("list keyset page at a random depth, tab={}", tab.as_str()),
                h,
                verdict(h),
            ));
        }
    }
    table.row(row(
        "list first page, all tabs",
        &all_first,
        verdict(&all_first),
    ));
    table.row(row(
        "list keyset page, all tabs",
        &all_keyset,
        verdict(&all_keyset),
    ));
    table.row(row(
        "tab_counts (counter table)",
        &counts_h,
        verdict(&counts_h),
    ));
    table.row(row(
        "ceiling: bare SELECT id … WHERE tab=$1 ORDER BY id DESC LIMIT 50",
        &bare_first,
        "ceiling for the first page".into(),
    ));
    table.row(row(
        "ceiling: bare SELECT id … AND id < $2 (keyset)",
        &bare_keyset,
        "ceiling for the keyset page".into(),
    ));
    table.print();
    println!("(rows returned in total: {rows_seen}; `list` reads the summary columns and parses each row's state JSON)");
    let (http, bare) = super::tabs_http::measure(config, &db, &url).await?;
    super::tabs_http::report(n, &http, &bare);

    let report = json!({
        "bench": "tabs",
        "engine": match engine { Engine::Sqlite => "SQLite", Engine::Postgres => "PostgreSQL" },
        "cores": cores,
        "orders": n,
        "fill_s": (filled.elapsed.as_secs_f64() * 10.0).round() / 10.0,
        "fill_rows_per_s": (n as f64 / filled.elapsed.as_secs_f64().max(1e-9)).round(),
        "fill_note": filled.note,
        "tab_counts": counts,
        "first_page": first.iter().map(|(k, h)| (k.to_string(), hist_json(h))).collect::<BTreeMap<_, _>>(),
        "keyset_page": keyset.iter().map(|(k, h)| (k.to_string(), hist_json(h))).collect::<BTreeMap<_, _>>(),
        "first_page_all_tabs": hist_json(&all_first),
        "keyset_page_all_tabs": hist_json(&all_keyset),
        "tab_counts_query": hist_json(&counts_h),
        "ceiling_bare_first_page": hist_json(&bare_first),
        "ceiling_bare_keyset_page": hist_json(&bare_keyset),
        "target_ms": TARGET_MS,
        "http_page_view": hist_json(&http.wall),
        "http_cpu_ms_per_view": http.cpu_ms_per_view,
        "ceiling_bare_page_view": hist_json(&bare.wall),
        "ceiling_cpu_ms_per_view": bare.cpu_ms_per_view,
    });
    println!("\nBENCH_JSON {report}");
    db.close().await;
    Ok(())
}

async fn list_page(db: &Database, tab: Tab, before: Option<OrderId>) -> anyhow::Result<usize> {
    let page = orders::list(
        db,
        &ListQuery {
            scope: owner_scope(),
            tab,
            search: None,
            store_id: None,
            before,
            limit: 50,
            needs_attention: false,
            filters: Default::default(),
        },
    )
    .await?;
    Ok(page.len())
}

fn record(h: &mut Hist, since: Instant) {
    h.saturating_record((since.elapsed().as_micros() as u64).max(1));
}

fn row(label: &str, h: &Hist, target: String) -> Vec<String> {
    timed_row([label.to_string(), h.len().to_string()], h, [target])
}

async fn database_size(db: &Database, url: &str) -> Option<String> {
    let bytes = match db.engine {
        Engine::Sqlite => {
            let path = url.strip_prefix("sqlite://")?;
            std::fs::metadata(path).ok()?.len() as f64
        }
        Engine::Postgres => sqlx::query("SELECT pg_database_size(current_database()) AS n")
            .fetch_one(&db.reader)
            .await
            .ok()?
            .try_get::<i64, _>("n")
            .ok()? as f64,
    };
    Some(format!("{:.0} MB", bytes / 1e6))
}
