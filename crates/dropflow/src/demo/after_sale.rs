//! The demo's after-sale phase: once the orders are delivered, cases are opened on some of
//! them through the API, as a merchant would — a full refund, a partial refund, a reship and
//! a return-first case in turn — and a few WooCommerce orders are refunded by hand in the
//! store (wp-admin), which dropflow reads back into cases. All are carried out on both sides
//! with the sandboxes' faults on: the customer refunded through the store's API, the
//! supplier asked, replacements bought. The summary then compares every case's refunds with
//! what the store sandboxes actually paid back.

use super::world::World;
use crate::platforms::admin_refund::marker;
use anyhow::Context;
use dropflow_core::after_sale::{CaseMoney, CaseState, CustomerSide, Resolution};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use serde_json::{json, Value};
use sqlx::Row;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// At most this many cases, one per tenth delivered order.
const MOST_CASES: usize = 40;

/// Opens the cases and waits (until `deadline`) for every refund to be made or refused.
pub async fn run(world: &World, client: &reqwest::Client, deadline: Instant) -> anyhow::Result<()> {
    let delivered: Vec<String> =
        sqlx::query("SELECT id FROM orders WHERE tab = 'delivered' ORDER BY id")
            .fetch_all(&world.db.reader)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
    let picked = delivered.iter().step_by(10).take(MOST_CASES);
    for (i, order) in picked.enumerate() {
        open_case(world, client, order, i).await?;
    }
    let by_hand: Vec<u64> = sqlx::query(
        "SELECT o.external_id FROM orders o JOIN stores s ON s.id = o.store_id
         WHERE o.tab = 'delivered' AND s.platform = 'woocommerce' ORDER BY o.id",
    )
    .fetch_all(&world.db.reader)
    .await?
    .iter()
    .filter_map(|r| r.try_get::<String, _>("external_id").ok()?.parse().ok())
    .skip(5)
    .step_by(25)
    .take(MOST_CASES / 5)
    .collect();
    for order in by_hand {
        refund_in_wp_admin(world, client, order).await?;
    }
    while (refunds_waiting(world).await? > 0 || case_work_left(world).await? > 0)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
}

/// Case jobs still queued or running that settle what the summary checks (the follower's
/// periodic looks at suppliers are left out: they never stop while a supplier is asked).
async fn case_work_left(world: &World) -> anyhow::Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running')
           AND kind IN ('case.refund_customer', 'case.read_store_refunds', 'case.ask_supplier',
                        'case.order_replacement')",
    )
    .fetch_one(&world.db.reader)
    .await?
    .try_get("n")?)
}

/// Opens case number `i` on `order`'s first line (one unit).
async fn open_case(
    world: &World,
    client: &reqwest::Client,
    order: &str,
    i: usize,
) -> anyhow::Result<()> {
    let base = world.running.base_url();
    let detail: Value = client
        .get(format!("{base}/api/v1/orders/{order}"))
        .bearer_auth(&world.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let line = &detail["lines"][0];
    let currency = Currency::from_code(detail["currency"].as_str().unwrap_or_default())
        .map_err(|e| anyhow::anyhow!("order {order}: {e}"))?;
    let unit = line["unit_price_minor"].as_i64().context("unit price")?;
    let money = |minor: i64| Money::new(minor, currency).to_decimal_string();
    let (reason, resolution) = match i % 4 {
        0 => ("damaged", json!({ "kind": "refund", "goods": money(unit) })),
        1 => (
            "changed_mind",
            json!({ "kind": "refund", "goods": money(unit / 2) }),
        ),
        2 => ("wrong_item", json!({ "kind": "reship" })),
        _ => ("not_as_described", json!({ "kind": "return_first" })),
    };
    let body = json!({ "reason": reason, "resolution": resolution,
        "lines": [{ "line_id": line["external_id"], "quantity": 1 }] });
    let response = client
        .post(format!("{base}/api/v1/orders/{order}/cases"))
        .bearer_auth(&world.token)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == reqwest::StatusCode::CREATED,
        "opening a case on order {order} answered {}: {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );
    Ok(())
}

/// The merchant refunds one unit of the order's first line by hand in wp-admin (no gateway
/// refund); WooCommerce's `order.updated` then lists it, and dropflow reads it back.
async fn refund_in_wp_admin(
    world: &World,
    client: &reqwest::Client,
    order_id: u64,
) -> anyhow::Result<()> {
    let site = &world.sandboxes.woo;
    let order = site
        .order(order_id)
        .with_context(|| format!("woocommerce order {order_id}"))?;
    let line = &order["line_items"][0];
    let quantity = line["quantity"].as_f64().unwrap_or(1.0).max(1.0);
    let line_total: f64 = line["total"].as_str().unwrap_or("0").parse().unwrap_or(0.0);
    let unit = format!("{:.2}", line_total / quantity);
    site.refund_in_admin(
        order_id,
        &json!({ "amount": unit, "reason": "refunded at the counter", "api_refund": false,
            "line_items": [{ "id": line["id"], "quantity": 1, "refund_total": unit }] }),
    )
    .map_err(|e| anyhow::anyhow!("wp-admin refund of {order_id}: {e}"))?;
    let mut now = site
        .order(order_id)
        .with_context(|| format!("woocommerce order {order_id}"))?;
    // After every snapshot the demo sent before.
    now["date_modified_gmt"] = json!("2031-06-01T00:00:00");
    let hook = dropflow_sandbox::woocommerce::WooWebhook::new(
        "order.updated",
        8,
        dropflow_sandbox::body_bytes(&now),
    );
    let url = format!("{}/webhooks/woocommerce", world.running.base_url());
    let headers = hook.headers(super::world::WOO_SECRET.as_bytes());
    super::traffic::deliver(client, &url, &headers, hook.body).await
}

/// One case, as the summary reads it.
struct CaseRow {
    id: String,
    /// `refund:<store refund id>` for a case the store's own refund opened.
    store_reference: Option<String>,
    state: CaseState,
    platform: String,
    store_order_id: String,
}

async fn cases(world: &World) -> anyhow::Result<Vec<CaseRow>> {
    let rows = sqlx::query(
        "SELECT c.id, c.store_reference, c.state, s.platform, o.external_id FROM cases c
         JOIN orders o ON o.id = c.order_id JOIN stores s ON s.id = c.store_id",
    )
    .fetch_all(&world.db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CaseRow {
                id: r.try_get("id")?,
                store_reference: r.try_get("store_reference")?,
                state: serde_json::from_str(&r.try_get::<String, _>("state")?)?,
                platform: r.try_get("platform")?,
                store_order_id: r.try_get("external_id")?,
            })
        })
        .collect()
}

/// Refund cases whose customer is still waiting for the refund dropflow makes.
async fn refunds_waiting(world: &World) -> anyhow::Result<usize> {
    let open = sqlx::query("SELECT COUNT(*) AS n FROM order_flags WHERE kind = 'case_refund_failed' AND resolved_at IS NULL")
        .fetch_one(&world.db.reader)
        .await?
        .try_get::<i64, _>("n")?;
    let waiting = cases(world)
        .await?
        .iter()
        .filter(|c| {
            matches!(c.state.resolution, Resolution::Refund { .. })
                && matches!(c.state.customer, CustomerSide::Pending)
        })
        .count();
    // A refund the store refused is flagged for a person: waiting longer changes nothing.
    Ok(waiting.saturating_sub(usize::try_from(open).unwrap_or(0)))
}

/// What the summary says of the cases: how many, per resolution, and how many cases'
/// refunds differ from what the store sandbox paid back under the case's marker.
pub struct CaseFigures {
    pub cases: usize,
    pub by_resolution: BTreeMap<String, usize>,
    pub refund_mismatches: usize,
}

pub async fn figures(world: &World) -> anyhow::Result<CaseFigures> {
    let all = cases(world).await?;
    let mut by_resolution = BTreeMap::new();
    let mut mismatches = 0;
    for case in &all {
        *by_resolution
            .entry(case.state.resolution.kind().to_string())
            .or_default() += 1;
        let ours = CaseMoney::of(&case.state).refunded.minor;
        let paid = store_paid(world, case)?;
        if ours != paid {
            mismatches += 1;
        }
    }
    Ok(CaseFigures {
        cases: all.len(),
        by_resolution,
        refund_mismatches: mismatches,
    })
}

/// What the store sandbox refunded for the case, in minor units: the refunds carrying the
/// case's marker (dropflow's), or the store's own refund that opened it.
fn store_paid(world: &World, case: &CaseRow) -> anyhow::Result<i64> {
    let tag = marker(&case.id);
    let opened_by = case
        .store_reference
        .as_deref()
        .and_then(|r| r.strip_prefix("refund:"))
        .map(str::to_string);
    let ours = |id: u64, text: Option<&str>| {
        text.is_some_and(|t| t.contains(&tag)) || opened_by.as_deref() == Some(&id.to_string())
    };
    let order: u64 = case.store_order_id.parse().unwrap_or(0);
    Ok(match case.platform.as_str() {
        "shopify" => world
            .sandboxes
            .shopify
            .refunds(order)
            .iter()
            .filter(|r| ours(r.id, r.note.as_deref()))
            .map(|r| r.amount_minor)
            .sum(),
        _ => {
            let mut sum = 0;
            for refund in world.sandboxes.woo.refunds(order) {
                if ours(refund.id, refund.reason.as_deref()) {
                    sum += Money::parse_decimal(&refund.amount, case.state.currency)
                        .map_err(|e| anyhow::anyhow!("refund {}: {e}", refund.id))?
                        .minor;
                }
            }
            sum
        }
    })
}
