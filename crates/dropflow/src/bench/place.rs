//! `dropflow bench place`: signed Shopify webhooks at a fixed rate (open loop) into a full
//! dropflow (ingest, routing, placing through the CJ connector) with the CJ sandbox answering
//! at once; the figure is webhook sent → supplier order placed (its `placed_at`), per order.
//!
//! The ceiling, measured in the same run: the same number of purchases sent straight to the
//! sandbox through the same connector at the same rate — the part of placing no engine can
//! avoid (one supplier round trip). The ratio says what dropflow's queueing, routing and
//! bookkeeping add on top.

use super::hist::{ms_at, new_histogram, thousands, timed_row, Hist, Table};
use super::load;
use super::scratch::Scratch;
use crate::config::Config;
use crate::fulfilment::follower::FollowerConfig;
use crate::fulfilment::Services;
use crate::storage::settings::{self, StoreSettings};
use crate::storage::{catalog, Database};
use crate::suppliers::cj::{ApiKey, Cj, CjConfig};
use crate::suppliers::Supplier;
use anyhow::Context;
use chrono::Utc;
use dropflow_core::catalog::{Mapping, Offer, SupplierRef};
use dropflow_core::intake::Platform;
use dropflow_core::money::Money;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::{PurchaseLine, PurchaseRequest, SupplierKind};
use dropflow_sandbox::cj::{self as cj_sandbox, CjSandboxConfig};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct PlaceArgs {
    /// Orders sent.
    #[arg(long, default_value_t = 5_000)]
    pub orders: usize,
    /// Orders per second (open loop).
    #[arg(long, default_value_t = 500.0)]
    pub rate: f64,
    /// Client connections sending the webhooks.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Failing jobs waiting in the queue when the orders start: store write-backs of parcels
    /// that cannot be found, each retried with backoff until its tries run out. A failing
    /// kind must not slow placing (issue 17 item 4): compare with `--failing 0`.
    #[arg(long, default_value_t = 0)]
    pub failing: usize,
}

const SECRET: &[u8] = b"bench-place-secret";

pub async fn run(args: PlaceArgs, config: &Config) -> anyhow::Result<()> {
    let cj = cj_sandbox::start(CjSandboxConfig {
        balance_cents: 1_000_000_000_000,
        webhook_tick: Duration::from_secs(3600),
        ..CjSandboxConfig::default()
    })
    .await?;
    let connector = || {
        let mut c = CjConfig::new(&cj.base_url, ApiKey::new(cj.api_key()));
        c.timeout_ms = 5_000;
        Cj::new(c)
    };
    println!(
        "bench place: {} orders at {}/s, webhook → supplier order placed (CJ sandbox)",
        args.orders, args.rate
    );

    // The CJ sandbox listens on loopback: connectors (the ceiling's included, built before
    // the app) may reach it.
    crate::outbound::allow_private_addresses();
    // The ceiling first: one supplier round trip per purchase, at the same rate.
    let direct = Arc::new(connector());
    let ceiling = direct_placements(direct, args.orders, args.rate).await?;

    let mut scratch = Scratch::new(&config.database.url)?;
    let (db, url) = scratch.fresh("place").await?;
    let mut app_config = config.clone();
    app_config.database.url = url;
    app_config.http.listen = "127.0.0.1:0".into();
    app_config.jobs.concurrency = 64;
    // The CJ sandbox listens on loopback.
    app_config.outbound.allow_private_addresses = true;
    let mut suppliers: HashMap<SupplierKind, Arc<dyn Supplier>> = HashMap::new();
    suppliers.insert(SupplierKind::Cj, Arc::new(connector()));
    let services = Services {
        suppliers: suppliers.into(),
        ..Services::bare(&db)
    };
    let running =
        crate::app::start_with_services(&app_config, services, FollowerConfig::default()).await?;
    prepare_store(&db).await?;
    enqueue_failing(&db, args.failing).await?;

    let first = 1_000_000u64;
    let requests = Arc::new(load::prepare_with(first, args.orders, SECRET, |_| "paid")?);
    let client = load::client(args.connections)?;
    let sent_at_ms = Utc::now().timestamp_millis() + 20;
    let url = format!("{}/webhooks/shopify", running.base_url());
    let sent = load::open_loop(&client, &url, requests, args.rate, args.connections).await?;
    let placed = wait_for_placements(&db, args.orders, Duration::from_secs(120)).await?;
    let mut latency = new_histogram()?;
    let interval_ms = 1000.0 / args.rate;
    for (external_id, placed_at) in &placed {
        let j = external_id.saturating_sub(first) as f64;
        let due = sent_at_ms as f64 + j * interval_ms;
        let micros = ((*placed_at as f64 - due).max(0.001) * 1000.0) as u64;
        latency.record(micros.max(1))?;
    }
    running.stop().await;
    cj.shutdown().await;
    scratch.cleanup().await?;

    let mut table = Table::new(&["", "placed", "p50 ms", "p99 ms", "max ms"]);
    table.row(row("dropflow: webhook → placed", placed.len(), &latency));
    table.row(row("ceiling: direct CJ call", args.orders, &ceiling));
    table.print();
    if args.failing > 0 {
        println!(
            "with {} failing jobs waiting when the orders started",
            thousands(args.failing as f64)
        );
    }
    println!(
        "webhooks accepted: {} of {} at {}/s achieved ({})",
        sent.accepted,
        args.orders,
        thousands(sent.per_second()),
        sent.problems()
    );
    if let (Some(ours), Some(floor)) = (ms_at(&latency, 0.5), ms_at(&ceiling, 0.5)) {
        println!(
            "p50 is {:.1}× the direct call (targets: p50 ≤ 50 ms, p99 ≤ 250 ms at 500/s)",
            ours / floor.max(0.001)
        );
    }
    Ok(())
}

fn row(label: &str, count: usize, h: &Hist) -> Vec<String> {
    timed_row([label.to_string(), count.to_string()], h, [])
}

/// Purchases sent straight through the connector at `rate`, each its own task.
async fn direct_placements(cj: Arc<Cj>, count: usize, rate: f64) -> anyhow::Result<Hist> {
    // The token is obtained once, outside the measurement.
    cj.balance().await?;
    let usd = Currency::from_code("USD")?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        let cj = cj.clone();
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tasks.spawn(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
            let begun = Instant::now();
            cj.place(&purchase(i, usd)).await.map(|_| begun.elapsed())
        });
    }
    let mut h = new_histogram()?;
    while let Some(done) = tasks.join_next().await {
        h.record((done??.as_micros() as u64).max(1))?;
    }
    Ok(h)
}

fn purchase(i: usize, usd: Currency) -> PurchaseRequest {
    let variant = &cj_sandbox::variants()[i % 8];
    PurchaseRequest {
        attempt_id: format!("bench-direct-{i}"),
        lines: vec![PurchaseLine {
            supplier_product_id: variant.pid.clone(),
            supplier_sku_id: variant.vid.clone(),
            quantity: 1,
            expected_unit_cost: Money::new(variant.price_cents, usd),
        }],
        ship_to: PostalAddress {
            name: Some("Bench Customer".into()),
            company: None,
            address1: Some("969 Market Street".into()),
            address2: None,
            city: Some("San Francisco".into()),
            province: Some("California".into()),
            province_code: Some("CA".into()),
            postal_code: Some("94103".into()),
            country_code: Some("US".into()),
            phone: Some("+1-202-555-0142".into()),
        },
        email: None,
        shipping_method: None,
        price_guard_percent: None,
    }
}

/// `count` store write-backs that fail on every try (their parcel does not exist), due now.
async fn enqueue_failing(db: &Database, count: usize) -> anyhow::Result<()> {
    let now = crate::storage::now_ms();
    for chunk in (0..count).collect::<Vec<_>>().chunks(1_000) {
        let mut tx = db.begin().await?;
        for i in chunk {
            crate::storage::jobs::enqueue_with_tries(
                &mut tx,
                dropflow_core::jobs::PUSH_SHIPMENT,
                &serde_json::json!({ "shipment_id": format!("bench-missing-{i}") }),
                None,
                now,
                crate::fulfilment::push::TRIES,
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The store, auto-order on and auto-pay off (placing is what is measured), every catalogue
/// SKU mapped to its CJ variant.
async fn prepare_store(db: &Database) -> anyhow::Result<()> {
    let store = crate::storage::stores::create(
        db,
        Platform::Shopify,
        dropflow_sandbox::shopify::SHOP_DOMAIN,
        std::str::from_utf8(SECRET)?,
    )
    .await?;
    settings::put(
        db,
        store.id,
        &StoreSettings {
            auto_order: true,
            auto_pay: false,
            price_guard_percent: None,
            notify_customer: false,
            ..Default::default()
        },
    )
    .await?;
    let usd = Currency::from_code("USD")?;
    let variants = cj_sandbox::variants();
    for (i, offer) in dropflow_sandbox::aliexpress::offers().iter().enumerate() {
        let variant = variants
            .get(i)
            .context("the CJ sandbox lists fewer variants")?;
        catalog::put(
            db,
            store.id,
            catalog::KeyKind::Sku,
            offer.store_sku,
            None,
            &Mapping::single(vec![Offer::new(
                SupplierRef::api(SupplierKind::Cj),
                &variant.pid,
                &variant.vid,
                Money::new(variant.price_cents, usd),
            )]),
        )
        .await?;
    }
    Ok(())
}

/// Waits until every order has all its supplier orders placed; returns, per order (store
/// order id), when its last one was placed (ms since the epoch).
async fn wait_for_placements(
    db: &Database,
    orders: usize,
    patience: Duration,
) -> anyhow::Result<Vec<(u64, i64)>> {
    let started = Instant::now();
    loop {
        let waiting: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM supplier_orders WHERE placed_at IS NULL
               AND status NOT IN ('rejected', 'cancelled')",
        )
        .fetch_one(&db.reader)
        .await?
        .try_get("n")?;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM orders")
            .fetch_one(&db.reader)
            .await?
            .try_get("n")?;
        if (waiting == 0 && total as usize >= orders) || started.elapsed() > patience {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows = sqlx::query(
        "SELECT o.external_id, MAX(s.placed_at) AS placed FROM orders o
         JOIN supplier_orders s ON s.order_id = o.id
         GROUP BY o.external_id HAVING COUNT(s.placed_at) = COUNT(*)",
    )
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("external_id")?;
            Ok((id.parse()?, r.try_get::<i64, _>("placed")?))
        })
        .collect()
}
