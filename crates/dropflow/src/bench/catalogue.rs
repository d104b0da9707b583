//! `dropflow bench catalogue`: issue 15's three catalogue figures, each next to a ceiling or
//! a pace measured or given in the same run.
//!
//! 1. **Changes applied** over a store of many mapped variants (one CJ offer each, spread
//!    over fewer supplier SKUs, so a SKU moves several variants): each supplier change
//!    recorded as `fulfilment::catalogue::read` records it (`offer_readings::record` and
//!    `store_variants::mark_offer_due`, a transaction per batch of readings), the store's due
//!    variants leased by the follower's own `store_catalogue::claim_writes`, then read,
//!    decided and settled batch by batch through `store_catalogue::write`'s own steps, all
//!    but the store call (every write taken as landed), each batch recorded in one
//!    transaction. Next to it the bare-UPDATE ceiling: the same rows (the offers read, the
//!    variants settled) updated by primary key, one column, in transactions of the same size.
//! 2. **Store calls**: 1,000 stock changes written by `store_catalogue::write::write` through
//!    the real Shopify catalogue connector into the Shopify Admin sandbox, counted by the
//!    sandbox, next to the platform's floor (one `inventorySetQuantities` per 250 items).
//! 3. **Sell-out latency**: a full dropflow (job runner, follower at its default tick) on
//!    that store; a supplier's sell-out recorded at a random moment, timed until the sandbox
//!    shows the variant at 0, next to the follower's tick interval.
//!
//! Fills by `INSERT … SELECT` over a recursive series (the same SQL on both engines), on
//! fresh databases (`--database`: a temporary SQLite folder by default, or
//! `dropflow_bench_<uuid>` databases on a PostgreSQL server) removed afterwards.

use super::hist::{fmt_ms, hist_json, ms_at, new_histogram, thousands, timed_row, Table};
use super::scratch::Scratch;
use crate::config::Config;
use crate::fulfilment::follower::FollowerConfig;
use crate::fulfilment::store_catalogue::{self, read, write};
use crate::fulfilment::Services;
use crate::platforms::admin_catalogue::WriteResult;
use crate::storage::catalog::{self, KeyKind};
use crate::storage::offer_readings::{self, OfferKey, Reading};
use crate::storage::settings::{self, AdminAccess};
use crate::storage::{fx_rates, now_ms, store_variants, Database, Engine};
use anyhow::Context;
use dropflow_core::catalog::{Mapping, Offer, SupplierRef};
use dropflow_core::ids::StoreId;
use dropflow_core::intake::Platform;
use dropflow_core::inventory::{self, Policy, PricePolicy, StockPolicy};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;
use dropflow_sandbox::shopify_admin::{self, NewProduct, NewVariant, ShopifyAdminSandbox};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TARGET_CHANGES_PER_S: f64 = 20_000.0;
const TARGET_CALLS: u64 = 10;
/// Variant ids and SKU ids are these plus a number: fixed width, so id order is number order.
const VARIANT_BASE: i64 = 7_000_000_000;
const SKU_BASE: i64 = 3_000_000_000;
/// Rows per fill statement.
const CHUNK: i64 = 50_000;
/// Every offer's stock and cost as first read.
const STOCK: i64 = 100;
const COST_MINOR: i64 = 100;
/// The most one Shopify GraphQL input array takes (the connector's batch).
const SHOPIFY_BATCH: u64 = 250;
/// A next read far enough ahead that the follower queues none during the run.
const NEVER_MS: i64 = 4_102_444_800_000;

#[derive(Debug, clap::Args)]
pub struct CatalogueArgs {
    /// Store variants mapped (one CJ offer each) for the changes measurement.
    #[arg(long, default_value_t = 100_000)]
    pub variants: usize,
    /// Supplier SKUs those offers are spread over (variant i buys SKU i mod this).
    #[arg(long, default_value_t = 50_000)]
    pub skus: usize,
    /// Supplier changes applied (distinct SKUs read different).
    #[arg(long, default_value_t = 20_000)]
    pub changes: usize,
    /// Variants per store write batch, and readings per recording transaction.
    #[arg(long, default_value_t = 250)]
    pub batch: usize,
    /// Stock changes written to the Shopify sandbox (one variant each) for the calls count.
    #[arg(long, default_value_t = 1_000)]
    pub store_changes: usize,
    /// Sell-outs timed from the reading to the store.
    #[arg(long, default_value_t = 200)]
    pub sellouts: usize,
    /// Keep the filled databases afterwards (their location is printed).
    #[arg(long)]
    pub keep: bool,
}

pub async fn run(args: CatalogueArgs, config: &Config) -> anyhow::Result<()> {
    let mut scratch = Scratch::new(&config.database.url)?;
    let outcome = measure(&args, config, &mut scratch).await;
    scratch.finish(outcome, args.keep).await
}

async fn measure(
    args: &CatalogueArgs,
    config: &Config,
    scratch: &mut Scratch,
) -> anyhow::Result<()> {
    let engine = scratch.engine();
    println!(
        "dropflow bench catalogue: {} variants over {} supplier SKUs, {} changes in batches \
         of {}; {} store changes and {} sell-outs through the Shopify sandbox; {}",
        thousands(args.variants as f64),
        thousands(args.skus as f64),
        thousands(args.changes as f64),
        args.batch,
        thousands(args.store_changes as f64),
        args.sellouts,
        match engine {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    );
    println!("databases: {}", scratch.location());
    let changes = changes_applied(args, scratch).await?;
    let (calls, sellout) = through_the_store(args, config, scratch).await?;
    let report = serde_json::json!({
        "bench": "catalogue", "variants": args.variants, "skus": args.skus,
        "changes": changes, "calls": calls, "sellout": sellout,
    });
    println!("\nBENCH_JSON {report}");
    Ok(())
}

/// The policy the stores follow: the defaults with prices written (auto update on).
fn policy() -> anyhow::Result<Policy> {
    let mut policy = Policy::default_for(Currency::from_code("USD")?);
    policy.stock = StockPolicy::default();
    policy.price = PricePolicy {
        auto_update: true,
        ..policy.price
    };
    Ok(policy)
}

/// One CJ offer for `sku` (its product id the same), at the cost every offer starts at.
fn mapping(sku: &str) -> anyhow::Result<Mapping> {
    let usd = Currency::from_code("USD")?;
    Ok(Mapping::single(vec![Offer::new(
        SupplierRef::api(SupplierKind::Cj),
        sku,
        sku,
        Money::new(COST_MINOR, usd),
    )]))
}

/// The rule's price for an offer at the starting cost with stock: what the store shows, so
/// nothing but the changes is written.
fn rule_price(policy: &Policy) -> anyhow::Result<Money> {
    let mut m = mapping("x")?;
    for offer in m.components.iter_mut().flat_map(|c| c.offers.iter_mut()) {
        offer.stock = Some(STOCK as u32);
    }
    inventory::offered(
        &m,
        policy,
        &dropflow_core::fx::RateTable::default(),
        policy.currency,
    )
    .price
    .context("the rule gives no price")
}

async fn new_store(db: &Database, policy: &Policy) -> anyhow::Result<StoreId> {
    let store = crate::storage::stores::create(
        db,
        Platform::Shopify,
        dropflow_sandbox::shopify::SHOP_DOMAIN,
        "bench-catalogue-secret",
    )
    .await?;
    let mut tx = db.begin().await?;
    settings::set_catalogue_policy_in(&mut tx, store.id, policy).await?;
    tx.commit().await?;
    Ok(store.id)
}

/// The SQL of `n` text pieces joined by the SKU expression: the mapping's JSON with the SKU
/// spliced in (`$first` … bound to the pieces).
fn spliced(pieces: usize, first: usize, sku: &str) -> String {
    (0..pieces)
        .map(|k| format!("${}", first + k))
        .collect::<Vec<_>>()
        .join(&format!(" || {sku} || "))
}

/// Fills the store with `variants` mapped variants, each shown as its suppliers say, and
/// `skus` offers read once.
async fn fill(
    db: &Database,
    store_id: StoreId,
    variants: i64,
    skus: i64,
    price: Money,
) -> anyhow::Result<()> {
    const MARK: &str = "SKU-MARK-7f3a";
    let template = serde_json::to_string(&mapping(MARK)?)?;
    let pieces: Vec<&str> = template.split(MARK).collect();
    let store = store_id.to_string();
    let written_at = now_ms() - 60_000;
    let series = "WITH RECURSIVE s(i) AS (SELECT CAST($1 AS BIGINT) UNION ALL
        SELECT i + 1 FROM s WHERE i + 1 < $2)";
    let variant = format!("CAST({VARIANT_BASE} + i AS TEXT)");
    let sku = format!("CAST({SKU_BASE} + (i % {skus}) AS TEXT)");
    let mut from = 0;
    while from < variants {
        let to = (from + CHUNK).min(variants);
        let mut tx = db.begin().await?;
        let components = spliced(pieces.len(), 5, &sku);
        let sql = format!(
            "INSERT INTO mappings (id, store_id, key_kind, key_value, title, components,
                created_at, updated_at)
             {series} SELECT 'm' || {variant}, $3, 'variant', {variant}, 'Bench item',
                {components}, $4, $4 FROM s"
        );
        let mut insert = sqlx::query(&sql)
            .bind(from)
            .bind(to)
            .bind(&store)
            .bind(written_at);
        for piece in &pieces {
            insert = insert.bind(*piece);
        }
        insert.execute(&mut *tx).await?;
        sqlx::query(&format!(
            "INSERT INTO mapping_offers (store_id, key_kind, key_value, supplier, supplier_sku_id)
             {series} SELECT $3, 'variant', {variant}, 'cj', {sku} FROM s"
        ))
        .bind(from)
        .bind(to)
        .bind(&store)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "INSERT INTO store_variants (store_id, variant_id, product_id, sku, title,
                inventory_item_id, price_minor, stock, published, unpublished_by_us, read_at)
             {series} SELECT $3, {variant}, 'p' || {variant}, 'SKU-' || {variant},
                'Default Title', 'gid://shopify/InventoryItem/' || {variant}, $4, $5, 1, 0, $6
             FROM s"
        ))
        .bind(from)
        .bind(to)
        .bind(&store)
        .bind(price.minor)
        .bind(STOCK)
        .bind(written_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        from = to;
    }
    let mut from = 0;
    while from < skus {
        let to = (from + CHUNK).min(skus);
        sqlx::query(&format!(
            "INSERT INTO offer_readings (supplier, supplier_sku_id, supplier_product_id,
                ship_to, stock, unit_cost_minor, currency, read_at, changed_at, next_read_at)
             {series} SELECT 'cj', CAST({SKU_BASE} + i AS TEXT), CAST({SKU_BASE} + i AS TEXT),
                'US', $3, $4, 'USD', $5, $5, $6 FROM s"
        ))
        .bind(from)
        .bind(to)
        .bind(STOCK)
        .bind(COST_MINOR)
        .bind(written_at + 1)
        .bind(NEVER_MS)
        .execute(&db.writer)
        .await?;
        from = to;
    }
    sqlx::query("ANALYZE").execute(&db.writer).await?;
    Ok(())
}

/// Time spent per step, summed over a run.
#[derive(Default)]
struct Steps(BTreeMap<&'static str, (Duration, u64)>);

impl Steps {
    fn add(&mut self, step: &'static str, since: Instant) -> Duration {
        let spent = since.elapsed();
        let entry = self.0.entry(step).or_default();
        entry.0 += spent;
        entry.1 += 1;
        spent
    }

    fn total(&self, excluding: &[&str]) -> Duration {
        self.0
            .iter()
            .filter(|(k, _)| !excluding.contains(k))
            .map(|(_, (d, _))| *d)
            .sum()
    }

    fn print(&self, total: Duration, excluded: &[&str]) {
        let mut table = Table::new(&["step", "calls", "total ms", "µs per call", "share"]);
        for (step, (spent, calls)) in &self.0 {
            let share = if excluded.contains(step) {
                "(inside decide, timed apart)".to_string()
            } else {
                format!(
                    "{:.0} %",
                    100.0 * spent.as_secs_f64() / total.as_secs_f64().max(1e-9)
                )
            };
            table.row(vec![
                step.to_string(),
                thousands(*calls as f64),
                format!("{:.1}", spent.as_secs_f64() * 1000.0),
                format!("{:.0}", spent.as_secs_f64() * 1e6 / (*calls).max(1) as f64),
                share,
            ]);
        }
        table.print();
    }
}

/// Steps timed apart (a second read of what `decide_batch` reads), not in the total.
const PROFILE: [&str; 2] = [
    "  of which catalog::of_keys",
    "  of which offer_readings::of",
];

/// Figure 1: supplier changes applied per second, next to the bare-UPDATE ceiling.
async fn changes_applied(
    args: &CatalogueArgs,
    scratch: &mut Scratch,
) -> anyhow::Result<serde_json::Value> {
    let variants = i64::try_from(args.variants.max(1))?;
    let skus = i64::try_from(args.skus.clamp(1, args.variants.max(1)))?;
    let m = args.changes.min(usize::try_from(skus)?);
    let batch = args.batch.max(1);
    let (db, _) = scratch.fresh("catalogue").await?;
    let policy = policy()?;
    let price = rule_price(&policy)?;
    let store_id = new_store(&db, &policy).await?;
    println!("\n[1/3] changes applied: filling …");
    let started = Instant::now();
    fill(&db, store_id, variants, skus, price).await?;
    println!(
        "fill: {} variants, {} offers in {:.1} s",
        thousands(variants as f64),
        thousands(skus as f64),
        started.elapsed().as_secs_f64()
    );
    let mut rng = StdRng::seed_from_u64(20_260_115);
    let mut chosen: Vec<i64> = (0..skus).collect();
    chosen.shuffle(&mut rng);
    chosen.truncate(m);
    // The variants the chosen SKUs move (variant i buys SKU i mod skus).
    let mut moved: Vec<i64> = chosen
        .iter()
        .flat_map(|j| {
            (0..)
                .map(move |k| j + k * skus)
                .take_while(|i| *i < variants)
        })
        .collect();
    moved.sort_unstable();

    let first = ceiling(&db, store_id, &chosen, &moved, batch, 1).await?;
    let (steps, settled, written) = dropflow_changes(&db, store_id, &chosen, batch).await?;
    let second = ceiling(&db, store_id, &chosen, &moved, batch, 2).await?;
    let bare = first.min(second);
    let ours = steps.total(&PROFILE);
    anyhow::ensure!(
        settled == moved.len(),
        "{settled} variants settled, {} moved",
        moved.len()
    );
    let due: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM store_variants WHERE write_due_at IS NOT NULL")
            .fetch_one(&db.reader)
            .await?
            .try_get("n")?;
    anyhow::ensure!(due == 0, "{due} variants still due after the run");
    anyhow::ensure!(
        written == settled,
        "{written} of {settled} moved variants had a write decided"
    );

    let per_s = |d: Duration| m as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "\n{} changes moved {} variants ({} with a write decided); per step:",
        thousands(m as f64),
        thousands(settled as f64),
        thousands(written as f64)
    );
    steps.print(ours, &PROFILE);
    let mut table = Table::new(&["what", "changes", "seconds", "changes/s", "target"]);
    table.row(vec![
        "dropflow: record + mark, lease, decide, settle".into(),
        thousands(m as f64),
        format!("{:.2}", ours.as_secs_f64()),
        thousands(per_s(ours)),
        format!("≥ {}/s", thousands(TARGET_CHANGES_PER_S)),
    ]);
    table.row(vec![
        format!(
            "ceiling: {} + {} rows by primary key",
            thousands(m as f64),
            thousands(moved.len() as f64)
        ),
        thousands(m as f64),
        format!("{:.2}", bare.as_secs_f64()),
        thousands(per_s(bare)),
        "ceiling (best of 2)".into(),
    ]);
    println!();
    table.print();
    let ratio = per_s(ours) / per_s(bare);
    println!(
        "dropflow / ceiling: {ratio:.2}× the ceiling's changes/s (ceiling runs {:.2} s and \
         {:.2} s); target ≥ {}/s: {}",
        first.as_secs_f64(),
        second.as_secs_f64(),
        thousands(TARGET_CHANGES_PER_S),
        if per_s(ours) >= TARGET_CHANGES_PER_S {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(serde_json::json!({
        "changes": m, "variants_moved": settled, "written": written,
        "seconds": ours.as_secs_f64(), "per_s": per_s(ours),
        "ceiling_seconds": bare.as_secs_f64(), "ceiling_per_s": per_s(bare), "ratio": ratio,
        "steps": steps.0.iter().map(|(k, (d, n))| (k.trim().to_string(),
            serde_json::json!({"ms": d.as_secs_f64() * 1000.0, "calls": n})))
            .collect::<serde_json::Map<_, _>>(),
    }))
}

fn sku_key(j: i64) -> OfferKey {
    ("cj".to_string(), (SKU_BASE + j).to_string())
}

/// A reading of SKU `j` that differs from the last (its stock down by 1 to 50).
fn changed_reading(j: i64, read_at: i64) -> Reading {
    Reading {
        stock: Some(STOCK - 1 - j % 50),
        unit_cost_minor: Some(COST_MINOR),
        currency: Some("USD".into()),
        note: None,
        read_at,
    }
}

/// The dropflow side of figure 1; the steps, the variants settled and those with a write.
async fn dropflow_changes(
    db: &Database,
    store_id: StoreId,
    chosen: &[i64],
    batch: usize,
) -> anyhow::Result<(Steps, usize, usize)> {
    println!("[1/3] applying the changes through dropflow's own steps …");
    let services = Services::bare(db);
    let mut steps = Steps::default();
    // Each batch of readings as `catalogue::read` records one: the reading, and the
    // variants it moves marked due, in one transaction.
    for chunk in chosen.chunks(batch) {
        let t = Instant::now();
        let mut tx = db.begin().await?;
        steps.add("readings: begin", t);
        let read_at = now_ms();
        for j in chunk {
            let key = sku_key(*j);
            let t = Instant::now();
            offer_readings::record(&mut tx, &key, &changed_reading(*j, read_at), true, NEVER_MS)
                .await?;
            steps.add("readings: offer_readings::record", t);
            let t = Instant::now();
            store_variants::mark_offer_due(&mut tx, &key.0, &key.1, read_at).await?;
            steps.add("readings: store_variants::mark_offer_due", t);
        }
        let t = Instant::now();
        tx.commit().await?;
        steps.add("readings: commit", t);
    }
    // The follower's tick: the store's due variants leased, its writer queued.
    let t = Instant::now();
    let queued = store_catalogue::claim_writes(&services, 500).await?;
    steps.add("lease: store_catalogue::claim_writes", t);
    anyhow::ensure!(queued == 1, "the follower queued {queued} writers");
    let lease_until = queued_lease(db).await?;
    // The writer's job up to the store call, and from its answers on.
    let t = Instant::now();
    let policy = store_catalogue::policy(db, store_id).await?;
    let rates = fx_rates::all(db).await?;
    steps.add("write: policy and rates", t);
    let limit = i64::try_from(batch)?;
    let (mut after, mut settled_n, mut written_n) = (String::new(), 0, 0);
    loop {
        let t = Instant::now();
        let leased = store_variants::leased(db, store_id, lease_until, &after, limit).await?;
        steps.add("write: store_variants::leased", t);
        let Some(last) = leased.last() else { break };
        after = last.shown.variant_id.clone();
        let t = Instant::now();
        let decided = write::decide_batch(&services, store_id, &leased, &policy, &rates).await?;
        steps.add("write: decide_batch", t);
        profile_reads(db, store_id, &leased, &mut steps).await?;
        let t = Instant::now();
        let writes = write::planned(&services, store_id, false, &decided).await?;
        let sent = write::to_send(&decided, &writes);
        // The store call is left out: every write taken as landed.
        let answers: BTreeMap<String, WriteResult> = sent
            .iter()
            .map(|w| (w.variant_id.clone(), WriteResult::Written))
            .collect();
        let (settled, products) = write::settle(&decided, &writes, &answers, false)?;
        steps.add("write: planned + to_send + settle", t);
        let t = Instant::now();
        write::record_batch(&services, store_id, lease_until, &settled, &products).await?;
        steps.add("write: record_batch (one transaction)", t);
        settled_n += settled.len();
        written_n += sent.len();
    }
    Ok((steps, settled_n, written_n))
}

/// What `decide_batch` reads, read again apart and timed (not counted in the total).
async fn profile_reads(
    db: &Database,
    store_id: StoreId,
    leased: &[store_variants::StoredVariant],
    steps: &mut Steps,
) -> anyhow::Result<()> {
    let ids: Vec<&str> = leased.iter().map(|v| v.shown.variant_id.as_str()).collect();
    let skus: Vec<&str> = leased
        .iter()
        .filter_map(|v| v.shown.sku.as_deref())
        .collect();
    let t = Instant::now();
    let mappings = catalog::of_keys(db, store_id, &ids, &skus).await?;
    steps.add(PROFILE[0], t);
    let keys: Vec<OfferKey> = mappings
        .iter()
        .flat_map(|m| m.mapping.components.iter())
        .flat_map(|c| c.offers.iter())
        .map(offer_readings::key_of)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let t = Instant::now();
    offer_readings::of(db, &keys).await?;
    steps.add(PROFILE[1], t);
    Ok(())
}

/// The lease the newest queued catalogue writer carries.
async fn queued_lease(db: &Database) -> anyhow::Result<i64> {
    let payload: String =
        sqlx::query("SELECT payload FROM jobs WHERE kind = $1 ORDER BY id DESC LIMIT 1")
            .bind(store_catalogue::WRITE_JOB)
            .fetch_one(&db.reader)
            .await?
            .try_get("payload")?;
    let payload: serde_json::Value = serde_json::from_str(&payload)?;
    payload
        .get("lease_until")
        .and_then(|v| v.as_i64())
        .context("the writer's payload has no lease_until")
}

/// The ceiling: the offers' rows, then the moved variants' rows, each updated by primary
/// key (one column) in transactions of `batch`. The stock it sets is above any reading's, so
/// the changes that follow still differ from what the store shows.
async fn ceiling(
    db: &Database,
    store_id: StoreId,
    chosen: &[i64],
    moved: &[i64],
    batch: usize,
    run: i64,
) -> anyhow::Result<Duration> {
    println!("[1/3] ceiling run {run}: bare UPDATEs by primary key …");
    let store = store_id.to_string();
    let started = Instant::now();
    for chunk in chosen.chunks(batch) {
        let mut tx = db.begin().await?;
        for j in chunk {
            sqlx::query(
                "UPDATE offer_readings SET stock = $1 WHERE supplier = $2 AND supplier_sku_id = $3",
            )
            .bind(STOCK + run)
            .bind("cj")
            .bind((SKU_BASE + j).to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    for chunk in moved.chunks(batch) {
        let mut tx = db.begin().await?;
        for i in chunk {
            sqlx::query(
                "UPDATE store_variants SET stock = $1 WHERE store_id = $2 AND variant_id = $3",
            )
            .bind(STOCK + run)
            .bind(&store)
            .bind((VARIANT_BASE + i).to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    Ok(started.elapsed())
}

/// Figures 2 and 3, on a store in the Shopify Admin sandbox.
async fn through_the_store(
    args: &CatalogueArgs,
    config: &Config,
    scratch: &mut Scratch,
) -> anyhow::Result<(serde_json::Value, serde_json::Value)> {
    let n = args.store_changes.max(args.sellouts).max(1);
    let shop = shopify_admin::start(Default::default()).await?;
    // The sandbox listens on loopback.
    crate::outbound::allow_private_addresses();
    let (db, url) = scratch.fresh("store").await?;
    let policy = policy()?;
    let price = rule_price(&policy)?;
    let store_id = new_store(&db, &policy).await?;
    settings::set_admin_access(
        &db,
        store_id,
        Some(&AdminAccess {
            url: shop.base_url.clone(),
            key: shop.access_token().to_string(),
            secret: None,
        }),
    )
    .await?;
    let services = Services {
        admin: crate::app::store_admins(),
        ..Services::bare(&db)
    };
    println!(
        "\n[2/3] store calls: {} products in the Shopify sandbox, read and mapped …",
        thousands(n as f64)
    );
    let variant_ids = seed_shop(&shop, &services, store_id, n, price).await?;
    // The first comparison: the store already shows what its suppliers say.
    let before = (shop.catalogue_write_calls(), shop.catalogue_read_calls());
    let first = write_due(&services, store_id).await?;
    let settle_calls = (
        shop.catalogue_write_calls() - before.0,
        shop.catalogue_read_calls() - before.1,
    );

    let changes = args.store_changes.min(n);
    let mut tx = db.begin().await?;
    let read_at = now_ms();
    for j in 0..changes {
        let key = sku_key(j as i64);
        let reading = changed_reading(j as i64, read_at);
        offer_readings::record(&mut tx, &key, &reading, true, NEVER_MS).await?;
        store_variants::mark_offer_due(&mut tx, &key.0, &key.1, read_at).await?;
    }
    tx.commit().await?;
    let before = (
        shop.catalogue_write_calls(),
        shop.catalogue_read_calls(),
        shop.catalogue_throttled_count(),
    );
    let started = Instant::now();
    let written = write_due(&services, store_id).await?;
    let took = started.elapsed();
    let (writes, reads, throttled) = (
        shop.catalogue_write_calls() - before.0,
        shop.catalogue_read_calls() - before.1,
        shop.catalogue_throttled_count() - before.2,
    );
    let mut wrong = 0;
    for (j, id) in variant_ids.iter().take(changes).enumerate() {
        let shown = shop.catalogue_variant(*id).map(|v| v.available);
        if shown != Some(STOCK - 1 - j as i64 % 50) {
            wrong += 1;
        }
    }
    anyhow::ensure!(wrong == 0, "{wrong} variants do not show their new stock");
    let floor = (changes as u64).div_ceil(SHOPIFY_BATCH);
    println!(
        "first comparison (store already in step): {} leased, {} Shopify calls ({} writes)",
        thousands(first as f64),
        settle_calls.0 + settle_calls.1,
        settle_calls.0
    );
    let mut table = Table::new(&[
        "what",
        "stock changes",
        "Shopify calls",
        "of which writes",
        "target",
    ]);
    table.row(vec![
        "dropflow: store_catalogue::write::write".into(),
        thousands(written as f64),
        (writes + reads).to_string(),
        writes.to_string(),
        format!("≤ {TARGET_CALLS}"),
    ]);
    table.row(vec![
        format!("floor: one inventorySetQuantities per {SHOPIFY_BATCH}"),
        thousands(changes as f64),
        floor.to_string(),
        floor.to_string(),
        "floor".into(),
    ]);
    table.print();
    println!(
        "the write took {:.0} ms over loopback, {throttled} calls throttled; calls / floor: \
         {:.1}×; target ≤ {TARGET_CALLS} calls: {}",
        took.as_secs_f64() * 1000.0,
        (writes + reads) as f64 / floor.max(1) as f64,
        if writes + reads <= TARGET_CALLS {
            "met"
        } else {
            "NOT met"
        }
    );
    let calls = serde_json::json!({
        "changes": changes, "calls": writes + reads, "writes": writes, "reads": reads,
        "floor": floor, "throttled": throttled, "ms": took.as_secs_f64() * 1000.0,
    });
    let sellout = sellouts(args, config, &services, &url, &shop, &variant_ids).await?;
    shop.shutdown().await;
    Ok((calls, sellout))
}

/// Seeds `n` one-variant products (stock and price as their suppliers say), reads them
/// through the connector as `store.read_catalogue` does, and maps variant j to SKU j (read
/// once, after the mapping). The variants' ids in order.
async fn seed_shop(
    shop: &ShopifyAdminSandbox,
    services: &Services,
    store_id: StoreId,
    n: usize,
    price: Money,
) -> anyhow::Result<Vec<u64>> {
    let mut ids = Vec::with_capacity(n);
    for j in 0..n {
        let seeded = shop
            .add_product(&NewProduct {
                title: format!("Bench item {j}"),
                active: true,
                variants: vec![NewVariant {
                    title: "Default Title".into(),
                    sku: Some(format!("BENCH-{j}")),
                    price: price.to_decimal_string(),
                    stock: Some(STOCK),
                }],
            })
            .map_err(|e| anyhow::anyhow!("seeding the shop: {e}"))?;
        ids.push(seeded.variants[0].variant_id);
    }
    // The whole read pages through the connector; the bucket is lifted for the seeding only.
    shop.set_cost_limit(1e9, 1e9);
    read_whole_store(services, store_id).await?;
    shop.set_cost_limit(2_000.0, 100.0);
    let db = &services.db;
    let mut tx = db.begin().await?;
    for (j, id) in ids.iter().enumerate() {
        let (_, sku) = sku_key(j as i64);
        catalog::put_in(
            &mut tx,
            store_id,
            KeyKind::Variant,
            &id.to_string(),
            None,
            &mapping(&sku)?,
        )
        .await?;
    }
    tx.commit().await?;
    let read_at = now_ms() + 1;
    for j in 0..n {
        let (supplier, sku) = sku_key(j as i64);
        sqlx::query(
            "INSERT INTO offer_readings (supplier, supplier_sku_id, supplier_product_id,
                ship_to, stock, unit_cost_minor, currency, read_at, changed_at, next_read_at)
             VALUES ($1, $2, $2, 'US', $3, $4, 'USD', $5, $5, $6)",
        )
        .bind(supplier)
        .bind(sku)
        .bind(STOCK)
        .bind(COST_MINOR)
        .bind(read_at)
        .bind(NEVER_MS)
        .execute(&db.writer)
        .await?;
    }
    Ok(ids)
}

/// Reads the store's whole catalogue page by page through `store.read_catalogue`'s own job
/// body, following the next page each queues.
async fn read_whole_store(services: &Services, store_id: StoreId) -> anyhow::Result<()> {
    let started_at = now_ms();
    let mut after: Option<String> = None;
    for _ in 0..10_000 {
        let payload = serde_json::json!({
            "store_id": store_id.to_string(), "after": after, "started_at": started_at,
        });
        read::run(services, &payload).await?;
        let next: Option<String> =
            sqlx::query("SELECT payload FROM jobs WHERE kind = $1 ORDER BY id DESC LIMIT 1")
                .bind(store_catalogue::READ_JOB)
                .fetch_optional(&services.db.reader)
                .await?
                .map(|row| row.try_get::<String, _>("payload"))
                .transpose()?
                .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
                .and_then(|p| p.get("after").and_then(|a| a.as_str()).map(str::to_string));
        if next.is_none() || next == after {
            // The queued pages were followed here: nothing is left for a runner.
            sqlx::query("DELETE FROM jobs WHERE kind = $1")
                .bind(store_catalogue::READ_JOB)
                .execute(&services.db.writer)
                .await?;
            return Ok(());
        }
        after = next;
    }
    anyhow::bail!("the store's catalogue never ended")
}

/// The follower's claim and the writer's job, run here: the variants leased, then written
/// (a rate-limited try waited out and tried again, as the runner would). The variants
/// leased.
async fn write_due(services: &Services, store_id: StoreId) -> anyhow::Result<u64> {
    let now = now_ms();
    let lease_until = now + 10 * 60 * 1000;
    let mut tx = services.db.begin().await?;
    let leased =
        store_variants::lease_due(&mut tx, &store_id.to_string(), now, lease_until).await?;
    tx.commit().await?;
    for _ in 0..20 {
        match write::write(services, store_id, lease_until).await {
            Ok(()) => return Ok(leased),
            Err(error) => match error.downcast_ref::<crate::jobs::RetryAfter>() {
                Some(later) => tokio::time::sleep(later.after).await,
                None => return Err(error),
            },
        }
    }
    anyhow::bail!("the store kept rate limiting the write")
}

/// Figure 3: sell-outs at random moments into a running dropflow, each timed until the
/// sandbox shows the variant at 0.
async fn sellouts(
    args: &CatalogueArgs,
    config: &Config,
    services: &Services,
    url: &str,
    shop: &ShopifyAdminSandbox,
    variant_ids: &[u64],
) -> anyhow::Result<serde_json::Value> {
    let count = args.sellouts.min(variant_ids.len());
    let follower = FollowerConfig::default();
    println!(
        "\n[3/3] sell-out latency: {count} sell-outs into a running dropflow (follower tick {} \
         ms) …",
        follower.tick.as_millis()
    );
    let db = &services.db;
    let mut app_config = config.clone();
    app_config.database.url = url.to_string();
    app_config.http.listen = "127.0.0.1:0".into();
    app_config.outbound.allow_private_addresses = true;
    let running = crate::app::start_with_services(&app_config, services.clone(), follower).await?;
    // Every pending sell-out: the variant, when its reading was recorded. The sell-outs are
    // recorded by a task of their own at random moments; this one watches the store.
    let pending: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let issuer = tokio::spawn({
        let (pending, db) = (pending.clone(), db.clone());
        let ids: Vec<u64> = variant_ids.iter().take(count).copied().collect();
        async move { sell_out(&db, &ids, &pending).await }
    });
    let mut h = new_histogram()?;
    let deadline = Instant::now() + Duration::from_secs(60 + count as u64 / 5);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let now = Instant::now();
        let mut waiting = pending
            .lock()
            .map_err(|_| anyhow::anyhow!("the sell-out task panicked"))?;
        let mut seen = Vec::new();
        waiting.retain(|(id, at)| {
            let out = shop.catalogue_variant(*id).map(|v| v.available) == Some(0);
            if out {
                seen.push(now.duration_since(*at));
            }
            !out
        });
        let empty = waiting.is_empty();
        drop(waiting);
        for latency in seen {
            h.record((latency.as_micros() as u64).max(1))?;
        }
        if empty && issuer.is_finished() {
            break;
        }
    }
    issuer.await??;
    running.stop().await;
    let left = pending.lock().map(|p| p.len()).unwrap_or(0);
    let tick_ms = follower.tick.as_secs_f64() * 1000.0;
    let mut table = Table::new(&["what", "n", "p50 ms", "p99 ms", "max ms", "next to"]);
    table.row(timed_row(
        [
            "sell-out: reading recorded → store shows 0".into(),
            h.len().to_string(),
        ],
        &h,
        [format!("follower tick {tick_ms:.0} ms")],
    ));
    table.print();
    println!(
        "p50 / tick: {}; p99 / tick: {}; never reached the store within 60 s: {left}",
        fmt_ratio(ms_at(&h, 0.5), tick_ms),
        fmt_ratio(ms_at(&h, 0.99), tick_ms),
    );
    Ok(serde_json::json!({
        "latency": hist_json(&h), "tick_ms": tick_ms, "lost": left,
        "p50_ms": fmt_ms(ms_at(&h, 0.5)),
    }))
}

/// Records a sell-out of each of `ids` (variant j buys SKU j) at random moments 20–120 ms
/// apart, as `catalogue::read` records a reading that found stock 0, each put in `pending`
/// with when its recording began.
async fn sell_out(
    db: &Database,
    ids: &[u64],
    pending: &Mutex<Vec<(u64, Instant)>>,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(20_260_116);
    for (j, id) in ids.iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(20..120))).await;
        let key = sku_key(j as i64);
        let at = Instant::now();
        let read_at = now_ms();
        let reading = Reading {
            stock: Some(0),
            ..changed_reading(j as i64, read_at)
        };
        let mut tx = db.begin().await?;
        offer_readings::record(&mut tx, &key, &reading, true, NEVER_MS).await?;
        store_variants::mark_offer_due(&mut tx, &key.0, &key.1, read_at).await?;
        tx.commit().await?;
        pending
            .lock()
            .map_err(|_| anyhow::anyhow!("the watcher panicked"))?
            .push((*id, at));
    }
    Ok(())
}

fn fmt_ratio(v: Option<f64>, of: f64) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{:.2}×", v / of.max(1e-9)))
}
