//! The demo's merchant working the open cases through the API, as a person would, until each
//! is closed or flagged with its reason: the customer's return parcel sent back (an S10
//! number the carrier sandbox then follows to delivery), returned goods restocked, a
//! return-first case decided (half the units' price back, as agreed with the customer), and
//! a supplier asked by hand (the manual vendor, an AliExpress dispute the merchant opened)
//! answered: every other one refunds a dollar, the rest refuse. CJ answers through its own
//! API and the follower reads it. The figures the summary checks are at the end.

use super::world::World;
use anyhow::Context;
use dropflow_core::after_sale::{self as core, CaseState, ReturnLeg, Step, SupplierSide};
use dropflow_core::money::Money;
use serde_json::{json, Value};
use sqlx::Row;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Works the open cases until every one is closed or flagged, or `deadline` passes.
pub async fn run(world: &World, client: &reqwest::Client, deadline: Instant) -> anyhow::Result<()> {
    let mut serial = 30_000_000u64;
    // A step posted once is not posted again while the jobs it calls for catch up.
    let mut taken: HashSet<(String, Step)> = HashSet::new();
    loop {
        for case in open_cases(world).await? {
            for step in core::next_steps(&case.state) {
                if taken.contains(&(case.id.clone(), step)) {
                    continue;
                }
                let Some(body) = merchant_step(world, &case, step, &mut serial).await? else {
                    continue;
                };
                if post_step(world, client, &case.id, &body).await? {
                    taken.insert((case.id.clone(), step));
                }
            }
        }
        if unsettled(world).await? == 0 || Instant::now() >= deadline {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// An open case as the loop reads it.
struct OpenCase {
    id: String,
    state: CaseState,
}

async fn open_cases(world: &World) -> anyhow::Result<Vec<OpenCase>> {
    let mut open = Vec::new();
    for r in sqlx::query("SELECT id, state FROM cases ORDER BY id")
        .fetch_all(&world.db.reader)
        .await?
    {
        let state: CaseState = serde_json::from_str(&r.try_get::<String, _>("state")?)?;
        if state.closed.is_none() {
            open.push(OpenCase {
                id: r.try_get("id")?,
                state,
            });
        }
    }
    Ok(open)
}

/// What the merchant posts for `step` of `case`, if it is theirs to take.
async fn merchant_step(
    world: &World,
    case: &OpenCase,
    step: Step,
    serial: &mut u64,
) -> anyhow::Result<Option<Value>> {
    Ok(match step {
        Step::AwaitReturn if matches!(case.state.ret, ReturnLeg::Awaited) => {
            *serial += 1;
            let number = dropflow_core::tracking::s10_number("RR", *serial, "US");
            Some(json!({ "event": "return_shipped", "tracking_number": number }))
        }
        Step::SettleReturn => Some(json!({ "event": "return_settled", "restocked": true })),
        Step::Decide => {
            let paid = paid_for_units(world, &case.id).await?;
            let half = Money::new(paid / 2, case.state.currency).to_decimal_string();
            Some(json!({ "event": "decide",
                "resolution": { "kind": "refund", "goods": half } }))
        }
        Step::AwaitSupplier => match case.state.supplier {
            SupplierSide::Asked { by_api: false, .. } => {
                let refunds = case.id.bytes().map(u32::from).sum::<u32>() % 2 == 0;
                Some(if refunds {
                    json!({ "event": "supplier_credited", "amount": "1.00",
                        "reference": format!("demo-{}", case.id) })
                } else {
                    json!({ "event": "supplier_refused",
                        "note": "the seller says the parcel was delivered intact" })
                })
            }
            _ => None,
        },
        _ => None,
    })
}

/// What the customer paid for the case's units, in minor units of the order's currency.
/// (PostgreSQL sums BIGINTs as NUMERIC, which the `Any` driver cannot read: cast back.)
async fn paid_for_units(world: &World, case_id: &str) -> anyhow::Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(SUM(l.unit_price_minor * c.quantity) AS BIGINT) AS paid FROM case_lines c
         JOIN cases k ON k.id = c.case_id
         JOIN order_lines l ON l.order_id = k.order_id AND l.position = c.line_position
         WHERE c.case_id = $1",
    )
    .bind(case_id)
    .fetch_one(&world.db.reader)
    .await?;
    Ok(row.try_get::<Option<i64>, _>("paid")?.unwrap_or(0))
}

/// Posts one step; whether the case took it. A 409 (the case moved meanwhile: a job or a
/// webhook changed it between our read and our post) is looked at again next round.
async fn post_step(
    world: &World,
    client: &reqwest::Client,
    case_id: &str,
    body: &Value,
) -> anyhow::Result<bool> {
    let url = format!("{}/api/v1/cases/{case_id}/events", world.running.base_url());
    let response = client
        .post(url)
        .bearer_auth(&world.token)
        .json(body)
        .send()
        .await
        .context("the merchant could not reach dropflow")?;
    let status = response.status();
    anyhow::ensure!(
        status.is_success() || status == reqwest::StatusCode::CONFLICT,
        "case {case_id}: {} answered {status}: {}",
        body["event"],
        response.text().await.unwrap_or_default()
    );
    Ok(status.is_success())
}

/// Open cases with no open flag about them or their replacement: still moving, not yet at
/// an end.
pub async fn unsettled(world: &World) -> anyhow::Result<usize> {
    let mut count = 0;
    for case in open_cases(world).await? {
        // A flag about the case itself, or about its replacement purchase (a placement to
        // link by hand, say): either tells a person why it stopped.
        let flagged = sqlx::query(
            "SELECT 1 AS one FROM order_flags WHERE resolved_at IS NULL
               AND (detail LIKE $1 OR supplier_order_id IN (
                    SELECT id FROM supplier_orders WHERE case_id = $2))",
        )
        .bind(format!("case {}: %", case.id))
        .bind(&case.id)
        .fetch_optional(&world.db.reader)
        .await?
        .is_some();
        count += usize::from(!flagged);
    }
    Ok(count)
}

/// Cases whose supplier credits and the wallet disagree: a credit for a purchase paid from
/// the wallet must be there to the cent (under the case's ledger reference), and nothing may
/// be credited for one that was not.
pub async fn credit_mismatches(world: &World) -> anyhow::Result<usize> {
    let mut mismatches = 0;
    for r in sqlx::query(
        "SELECT c.id, c.state, so.attempt_id FROM cases c
         JOIN supplier_orders so ON so.id = c.supplier_order_id",
    )
    .fetch_all(&world.db.reader)
    .await?
    {
        let id: String = r.try_get("id")?;
        let attempt: String = r.try_get("attempt_id")?;
        let state: CaseState = serde_json::from_str(&r.try_get::<String, _>("state")?)?;
        let recorded: i64 = state.credits.iter().map(|c| c.amount.minor).sum();
        let paid_from_wallet = sqlx::query(
            "SELECT 1 AS one FROM ledger_transactions WHERE kind = 'capture' AND reference = $1",
        )
        .bind(&attempt)
        .fetch_optional(&world.db.reader)
        .await?
        .is_some();
        let reference = format!(
            "{attempt}{}case:{id}",
            dropflow_core::ledger::PART_SEPARATOR
        );
        let credited: i64 = sqlx::query(
            "SELECT CAST(COALESCE(SUM(ABS(p.amount_minor)), 0) AS BIGINT) AS n FROM ledger_postings p
             JOIN ledger_transactions t ON t.id = p.transaction_id
             WHERE t.kind = 'refund' AND t.reference = $1",
        )
        .bind(&reference)
        .fetch_one(&world.db.reader)
        .await?
        .try_get::<i64, _>("n")?
            / 2;
        let expected = if paid_from_wallet { recorded } else { 0 };
        mismatches += usize::from(credited != expected);
    }
    Ok(mismatches)
}
