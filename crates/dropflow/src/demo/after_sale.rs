//! The demo's after-sale phase: once the orders are delivered, cases are opened on some of
//! them through the API, as a merchant would — a full refund, a partial refund, a reship and
//! a return-first case in turn — and carried out on both sides with the sandboxes' faults
//! on: the customer refunded through the store's API, the supplier asked. The summary then
//! compares every case's refunds with what the store sandboxes actually paid back.

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
    while refunds_waiting(world).await? > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
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

/// One case, as the summary reads it.
struct CaseRow {
    id: String,
    state: CaseState,
    platform: String,
    store_order_id: String,
}

async fn cases(world: &World) -> anyhow::Result<Vec<CaseRow>> {
    let rows = sqlx::query(
        "SELECT c.id, c.state, s.platform, o.external_id FROM cases c
         JOIN orders o ON o.id = c.order_id JOIN stores s ON s.id = c.store_id",
    )
    .fetch_all(&world.db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CaseRow {
                id: r.try_get("id")?,
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

/// What the store sandbox refunded under the case's marker, in minor units.
fn store_paid(world: &World, case: &CaseRow) -> anyhow::Result<i64> {
    let tag = marker(&case.id);
    let order: u64 = case.store_order_id.parse().unwrap_or(0);
    Ok(match case.platform.as_str() {
        "shopify" => world
            .sandboxes
            .shopify
            .refunds(order)
            .iter()
            .filter(|r| r.note.as_deref().is_some_and(|n| n.contains(&tag)))
            .map(|r| r.amount_minor)
            .sum(),
        _ => {
            let mut sum = 0;
            for refund in world.sandboxes.woo.refunds(order) {
                if refund.reason.as_deref().is_some_and(|r| r.contains(&tag)) {
                    sum += Money::parse_decimal(&refund.amount, case.state.currency)
                        .map_err(|e| anyhow::anyhow!("refund {}: {e}", refund.id))?
                        .minor;
                }
            }
            sum
        }
    })
}
