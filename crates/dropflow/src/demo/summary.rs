//! What the demo reports: where every order ended up, how long placing and fulfilling took,
//! which faults were met, and the three promises checked against the sandboxes themselves —
//! nothing bought twice, the wallet balanced to the cent, every shipped parcel on its store.

use super::world::World;
use crate::storage::Database;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: usize,
    pub p50: f64,
    pub p99: f64,
}

impl Percentiles {
    pub fn of(mut values: Vec<f64>) -> Percentiles {
        values.sort_by(f64::total_cmp);
        let at = |q: f64| -> f64 {
            if values.is_empty() {
                return 0.0;
            }
            let i = ((values.len() as f64 - 1.0) * q).round() as usize;
            values[i.min(values.len() - 1)]
        };
        Percentiles {
            count: values.len(),
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub orders: usize,
    /// Orders per state: the dashboard's tabs, with delivered orders counted apart from
    /// fulfilled ones still in transit.
    pub by_state: BTreeMap<String, usize>,
    /// Why the orders that stopped short stopped (hold details, supplier refusals, payment
    /// failures), counted.
    pub flagged_reasons: BTreeMap<String, usize>,
    /// Faults the run met: jobs that needed more than one try, by kind; stock-outs replaced by
    /// a backup offer; Shopify 429s.
    pub faults_met: BTreeMap<String, u64>,
    /// Purchases that exist more than once at a supplier for one attempt, counted after
    /// Retry was pressed on every failed order as the dashboard offers it (must be 0).
    pub duplicate_supplier_orders: usize,
    /// Orders the store edited, cancelled or refunded after sending them.
    pub changed_orders: usize,
    /// Items bought beyond what the store's current order holds, with no flag telling a
    /// person (must be 0).
    pub wrong_items_sent: usize,
    /// Cancelled or refunded orders with a purchase the supplier holds and no flag saying so
    /// (must be 0).
    pub cancelled_but_bought: usize,
    /// What each of those is: the order, the purchase and its status, its flags and jobs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cancelled_but_bought_detail: Vec<String>,
    /// Open flags a person must settle, by kind (changes after purchase, links by hand).
    pub open_flags: BTreeMap<String, usize>,
    /// The wallet's postings and running balances agree to the cent.
    pub ledger_balanced: bool,
    /// Shipped parcels with a valid number that the store does not show (must be 0).
    pub store_mismatches: usize,
    /// What each of those is: the order, the purchase and its status, and the write-back
    /// jobs of the order with their status and last error (for the one who must look).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub store_mismatch_detail: Vec<String>,
    /// After-sale cases opened on delivered orders (the after-sale phase).
    pub cases: usize,
    /// Those cases per resolution (`refund`, `reship`, `exchange`, `return_first`).
    pub cases_by_resolution: BTreeMap<String, usize>,
    /// Cases closed (by a person, the store, or by themselves once nothing was left).
    pub cases_closed: usize,
    /// Cases the stores opened (refunds and returns made in the shop).
    pub cases_opened_by_store: usize,
    /// Cases per where their goods ended (`not_needed`, `restocked`, `disposed`, …).
    pub cases_by_return: BTreeMap<String, usize>,
    /// Cases still open with no flag saying why (must be 0: each case ends closed or flagged).
    pub cases_unsettled: usize,
    /// Cases whose supplier credits and the wallet disagree (must be 0).
    pub credit_mismatches: usize,
    /// Payment disputes (chargebacks) recorded, by latest status (`needs_response`, `won`).
    pub chargebacks: BTreeMap<String, usize>,
    /// Cases whose recorded refunds differ from what the store sandbox paid back under the
    /// case's marker (must be 0).
    pub refund_mismatches: usize,
    /// Profit over every order whose costs are all known, per currency (decimal strings).
    pub profit_total: BTreeMap<String, String>,
    /// Orders whose profit names a missing cost (a purchase not priced, a chargeback open).
    pub profit_incomplete: usize,
    /// What profit counts adds up: the customers' charges to the stores' order totals, the
    /// wallet money to the ledger's `spent` balances (must be true).
    pub profit_reconciles: bool,
    /// What does not add up, one line each (empty when it reconciles).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profit_mismatches: Vec<String>,
    /// Webhook received → every supplier order of the order placed.
    pub place_ms: Percentiles,
    /// Webhook received → every parcel written back to the store.
    pub fulfil_ms: Percentiles,
    pub elapsed_s: f64,
}

/// Per-state counts, as the progress display shows them.
pub async fn states(db: &Database) -> anyhow::Result<BTreeMap<String, usize>> {
    // Orders through the warehouse report their warehouse stage (`warehouse:<stage>`).
    let rows = sqlx::query(
        "SELECT o.tab, o.procurement, w.stage, COUNT(*) AS n FROM orders o
         LEFT JOIN warehouse_legs w ON w.order_id = o.id
         GROUP BY o.tab, o.procurement, w.stage",
    )
    .fetch_all(&db.reader)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let tab: String = r.try_get("tab")?;
        let procurement: String = r.try_get("procurement")?;
        let stage: Option<String> = r.try_get("stage")?;
        let n: i64 = r.try_get("n")?;
        let state = match stage {
            Some(stage) if !matches!(tab.as_str(), "on_hold" | "failed" | "canceled") => {
                format!("warehouse:{stage}")
            }
            _ if tab == "fulfilled" && procurement == "delivered" => "delivered".to_string(),
            _ => tab,
        };
        *out.entry(state).or_insert(0) += n as usize;
    }
    Ok(out)
}

/// Orders not yet at an end: neither delivered with every parcel on the store, nor stopped
/// with a reason (held, failed, cancelled, waiting for money, an open flag for a person, a
/// job that used up its tries and waits in the failed list for a person's Retry). An order
/// whose store write-back (a parcel's tracking, a case's refund) is still queued is not at an
/// end whatever else it shows: a flagged order's parcel is still pushed, and the summary
/// compares the stores with us.
pub async fn unfinished(db: &Database) -> anyhow::Result<usize> {
    let writes_back = [
        crate::fulfilment::push::JOB,
        crate::fulfilment::after_sale::refund_customer::JOB,
        crate::fulfilment::after_sale::read_refunds::JOB,
    ]
    .map(|kind| format!("'{kind}'"))
    .join(", ");
    let purchasing = [
        dropflow_core::jobs::PLACE_SUPPLIER_ORDER,
        dropflow_core::jobs::PAY_SUPPLIER_ORDER,
        dropflow_core::jobs::CANCEL_SUPPLIER_ORDER,
        dropflow_core::jobs::CANCEL_SUPPLIER_ORDERS,
    ]
    .map(|kind| format!("'{kind}'"))
    .join(", ");
    let row = sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM orders o
         WHERE EXISTS (SELECT 1 FROM jobs j WHERE j.order_id = o.id
                AND j.kind IN ({writes_back}) AND j.status IN ('queued', 'running'))
            -- A purchase still being placed, paid or let go settles by itself (a cancelled
            -- order's attempt in doubt is looked up and let go by its placer): wait for it
            -- whatever the order's tab.
            OR EXISTS (SELECT 1 FROM jobs j WHERE j.order_id = o.id
                AND j.kind IN ({purchasing}) AND j.status IN ('queued', 'running'))
            OR (o.tab NOT IN ('on_hold', 'failed', 'canceled')
           AND NOT ((o.procurement = 'delivered' AND NOT EXISTS (
                    SELECT 1 FROM warehouse_legs w WHERE w.order_id = o.id)
                OR EXISTS (SELECT 1 FROM warehouse_legs w WHERE w.order_id = o.id
                    AND w.stage IN ('dispatched', 'delivered')))
                AND NOT EXISTS (
                SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.pushed_at IS NULL
                  AND s.number_check <> 'invalid'))
           AND NOT EXISTS (SELECT 1 FROM supplier_orders so WHERE so.order_id = o.id
                AND so.status = 'awaiting_payment' AND so.last_error LIKE 'payment failed%')
           AND NOT EXISTS (SELECT 1 FROM order_flags f WHERE f.order_id = o.id
                AND f.resolved_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.order_id = o.id
                AND j.status = 'failed'))",
    ))
    .fetch_one(&db.reader)
    .await?;
    Ok(row.try_get::<i64, _>("n")? as usize)
}

pub async fn summarize(world: &World, elapsed_s: f64) -> anyhow::Result<Summary> {
    let db = &world.db;
    let by_state = states(db).await?;
    let orders = by_state.values().sum();
    let case_figures = super::after_sale::figures(world).await?;

    let mut flagged_reasons = BTreeMap::new();
    for r in sqlx::query(
        "SELECT so.last_error AS reason FROM supplier_orders so
         WHERE so.last_error IS NOT NULL AND so.status IN ('rejected', 'awaiting_payment',
            'awaiting_placement')",
    )
    .fetch_all(&db.reader)
    .await?
    {
        let reason: String = r.try_get("reason")?;
        *flagged_reasons.entry(reason_kind(&reason)).or_insert(0) += 1;
    }
    for r in sqlx::query("SELECT state FROM orders WHERE tab IN ('on_hold', 'failed')")
        .fetch_all(&db.reader)
        .await?
    {
        let state: dropflow_core::lifecycle::OrderState =
            serde_json::from_str(&r.try_get::<String, _>("state")?)?;
        for hold in &state.holds {
            *flagged_reasons
                .entry(format!("hold: {}", hold.reason.as_str()))
                .or_insert(0) += 1;
        }
        for failure in &state.routing_failures {
            let text = serde_json::to_value(&failure.reason)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
                .unwrap_or_else(|| "routing".into());
            *flagged_reasons
                .entry(format!("routing: {text}"))
                .or_insert(0) += 1;
        }
    }

    let mut faults_met = BTreeMap::new();
    for r in sqlx::query("SELECT kind, COUNT(*) AS n FROM jobs WHERE attempts > 1 GROUP BY kind")
        .fetch_all(&db.reader)
        .await?
    {
        let kind: String = r.try_get("kind")?;
        faults_met.insert(format!("retried {kind}"), r.try_get::<i64, _>("n")? as u64);
    }
    let backups: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM supplier_orders WHERE last_error LIKE 'out of stock%'",
    )
    .fetch_one(&db.reader)
    .await?
    .try_get("n")?;
    faults_met.insert("stock-outs replaced by a backup".into(), backups as u64);
    faults_met.insert(
        "shopify 429".into(),
        world.sandboxes.shopify.throttled_count(),
    );

    let mut duplicate_supplier_orders = world.sandboxes.ali.duplicate_placements();
    for r in sqlx::query("SELECT attempt_id FROM supplier_orders WHERE supplier = 'cj'")
        .fetch_all(&db.reader)
        .await?
    {
        let attempt: String = r.try_get("attempt_id")?;
        duplicate_supplier_orders += world
            .sandboxes
            .cj
            .orders_with_number(&attempt)
            .saturating_sub(1);
    }

    // Per supplier order: does the store show at least one of its valid parcels (Shopify
    // carries one number per fulfilment; WooCommerce a note per parcel)? A case's replacement
    // and a customer's return parcel are not written back: the store's order is fulfilled.
    let mut on_store_by_purchase: BTreeMap<String, (bool, String)> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT o.id AS order_id, o.external_id, st.platform, s.tracking_number,
            s.supplier_order_id
         FROM shipments s
         JOIN orders o ON o.id = s.order_id JOIN stores st ON st.id = o.store_id
         JOIN supplier_orders so ON so.id = s.supplier_order_id
         WHERE s.number_check <> 'invalid' AND so.case_id IS NULL",
    )
    .fetch_all(&db.reader)
    .await?
    {
        let external: String = r.try_get("external_id")?;
        let platform: String = r.try_get("platform")?;
        let number: String = r.try_get("tracking_number")?;
        let purchase: String = r
            .try_get::<Option<String>, _>("supplier_order_id")?
            .unwrap_or_default();
        let order: String = r.try_get("order_id")?;
        let (seen, _) = on_store_by_purchase
            .entry(purchase)
            .or_insert((false, order));
        let Ok(order_id) = external.parse::<u64>() else {
            continue;
        };
        let on_store = match platform.as_str() {
            "shopify" => world
                .sandboxes
                .shopify
                .fulfillments(order_id)
                .iter()
                .any(|f| f.tracking_number.as_deref() == Some(number.as_str())),
            _ => world
                .sandboxes
                .woo
                .notes(order_id)
                .iter()
                .any(|n| n.note.contains(&number)),
        };
        *seen |= on_store;
    }
    // A purchase whose every line the store removed after it was bought has nothing to
    // fulfil there (the push refuses it, the order's flag tells a person): not a mismatch.
    let mut store_mismatches = 0;
    let mut store_mismatch_detail = Vec::new();
    for (purchase, (seen, order)) in &on_store_by_purchase {
        if *seen {
            continue;
        }
        let still_ordered = match purchase.parse::<dropflow_core::ids::SupplierOrderId>() {
            Ok(id) => crate::storage::parcels::store_lines(db, id)
                .await?
                .iter()
                .any(|(_, quantity)| *quantity > 0),
            Err(_) => true,
        };
        if still_ordered {
            store_mismatches += 1;
            store_mismatch_detail.push(mismatch_detail(db, order, purchase).await?);
        }
    }

    let mut place = Vec::new();
    for r in sqlx::query(
        "SELECT MAX(so.placed_at) - MIN(o.created_at) AS ms FROM orders o
         JOIN supplier_orders so ON so.order_id = o.id
         WHERE so.status NOT IN ('cancelled', 'rejected', 'awaiting_placement',
            'placement_unknown') AND so.placed_at IS NOT NULL
         GROUP BY o.id",
    )
    .fetch_all(&db.reader)
    .await?
    {
        place.push(r.try_get::<i64, _>("ms")? as f64);
    }
    let mut fulfil = Vec::new();
    for r in sqlx::query(
        "SELECT MAX(s.pushed_at) - MIN(o.created_at) AS ms FROM orders o
         JOIN shipments s ON s.order_id = o.id
         WHERE o.procurement IN ('shipped', 'delivered')
         GROUP BY o.id HAVING COUNT(s.pushed_at) = COUNT(*)",
    )
    .fetch_all(&db.reader)
    .await?
    {
        fulfil.push(r.try_get::<i64, _>("ms")? as f64);
    }

    let changed_orders = count(
        db,
        "SELECT COUNT(DISTINCT order_id) AS n FROM order_events
         WHERE kind IN ('order_edited', 'cancelled')
            OR (kind = 'payment_changed' AND detail LIKE '%\"to\":\"refunded\"%')",
    )
    .await?;
    let wrong_items_sent = count(
        db,
        "SELECT COUNT(*) AS n FROM supplier_order_items i
         JOIN supplier_orders s ON s.id = i.supplier_order_id
         JOIN orders o ON o.id = s.order_id
         LEFT JOIN order_lines l ON l.order_id = s.order_id AND l.position = i.line_position
         WHERE s.status IN ('placement_unknown', 'awaiting_payment', 'awaiting_shipment',
                'shipped', 'delivered')
           AND o.tab <> 'canceled'
           AND COALESCE(i.line_quantity, i.quantity) > COALESCE(l.quantity, 0)
           AND NOT EXISTS (SELECT 1 FROM order_flags f WHERE f.supplier_order_id = s.id)",
    )
    .await?;
    let mut cancelled_but_bought_detail = Vec::new();
    for r in sqlx::query(
        "SELECT o.id AS order_id, s.id AS purchase FROM orders o
         JOIN supplier_orders s ON s.order_id = o.id
         WHERE o.tab = 'canceled' AND s.supplier <> 'marketplace'
           AND s.status IN ('placement_unknown', 'awaiting_payment', 'awaiting_shipment',
                'shipped', 'delivered')
           AND NOT EXISTS (SELECT 1 FROM order_flags f WHERE f.supplier_order_id = s.id)
         ORDER BY o.id",
    )
    .fetch_all(&db.reader)
    .await?
    {
        let order: String = r.try_get("order_id")?;
        let purchase: String = r.try_get("purchase")?;
        cancelled_but_bought_detail.push(mismatch_detail(db, &order, &purchase).await?);
    }
    let cancelled_but_bought = cancelled_but_bought_detail.len();
    let mut open_flags = BTreeMap::new();
    for r in sqlx::query(
        "SELECT kind, COUNT(*) AS n FROM order_flags WHERE resolved_at IS NULL GROUP BY kind",
    )
    .fetch_all(&db.reader)
    .await?
    {
        let kind: String = r.try_get("kind")?;
        let n = r.try_get::<i64, _>("n")? as usize;
        *flagged_reasons.entry(format!("flag: {kind}")).or_insert(0) += n;
        open_flags.insert(kind, n);
    }

    let profit = crate::services::profit::reconcile(db)
        .await
        .map_err(|e| anyhow::anyhow!("profit: {e}"))?;
    let profit_total = profit
        .profit_total
        .iter()
        .map(|(code, minor)| {
            let currency = dropflow_core::reference::currency::Currency::from_code(code)?;
            let amount = dropflow_core::money::Money::new(*minor, currency);
            Ok((code.clone(), amount.to_decimal_string()))
        })
        .collect::<anyhow::Result<BTreeMap<_, _>>>()?;

    Ok(Summary {
        orders,
        by_state,
        flagged_reasons,
        faults_met,
        duplicate_supplier_orders,
        changed_orders,
        wrong_items_sent,
        cancelled_but_bought,
        cancelled_but_bought_detail,
        open_flags,
        ledger_balanced: crate::storage::ledger::check_balanced(db).await?,
        store_mismatches,
        store_mismatch_detail,
        cases: case_figures.cases,
        cases_by_resolution: case_figures.by_resolution,
        chargebacks: case_figures.chargebacks,
        cases_closed: case_figures.closed,
        cases_by_return: case_figures.by_return,
        cases_opened_by_store: case_figures.opened_by_store,
        cases_unsettled: case_figures.unsettled,
        credit_mismatches: case_figures.credit_mismatches,
        refund_mismatches: case_figures.refund_mismatches,
        profit_total,
        profit_incomplete: profit.incomplete,
        profit_reconciles: profit.mismatches.is_empty(),
        profit_mismatches: profit.mismatches,
        place_ms: Percentiles::of(place),
        fulfil_ms: Percentiles::of(fulfil),
        elapsed_s,
    })
}

/// One line saying where a purchase missing from its store stands, for the report.
async fn mismatch_detail(db: &Database, order: &str, purchase: &str) -> anyhow::Result<String> {
    let standing =
        sqlx::query("SELECT status, supplier, last_error FROM supplier_orders WHERE id = $1")
            .bind(purchase)
            .fetch_optional(&db.reader)
            .await?
            .map(|r| -> anyhow::Result<String> {
                let status: String = r.try_get("status")?;
                let supplier: String = r.try_get("supplier")?;
                let why: Option<String> = r.try_get("last_error")?;
                Ok(format!(
                    "{status} at {supplier}{}",
                    why.map(|w| format!(": {w}")).unwrap_or_default()
                ))
            })
            .transpose()?;
    let mut jobs = Vec::new();
    for r in sqlx::query(
        "SELECT kind, status, attempts, last_error FROM jobs WHERE order_id = $1 ORDER BY id",
    )
    .bind(order)
    .fetch_all(&db.reader)
    .await?
    {
        let kind: String = r.try_get("kind")?;
        let status: String = r.try_get("status")?;
        let attempts: i64 = r.try_get("attempts")?;
        let error: Option<String> = r.try_get("last_error")?;
        jobs.push(format!(
            "{kind} {status} x{attempts}{}",
            error.map(|e| format!(" ({e})")).unwrap_or_default()
        ));
    }
    let flags: Vec<String> =
        sqlx::query("SELECT kind FROM order_flags WHERE order_id = $1 AND resolved_at IS NULL")
            .bind(order)
            .fetch_all(&db.reader)
            .await?
            .iter()
            .map(|r| r.try_get("kind"))
            .collect::<Result<_, _>>()?;
    Ok(format!(
        "order {order} purchase {purchase} ({}) flags [{}] jobs [{}]",
        standing.unwrap_or_else(|| "gone".into()),
        flags.join(", "),
        jobs.join("; ")
    ))
}

async fn count(db: &Database, sql: &str) -> anyhow::Result<usize> {
    Ok(sqlx::query(sql)
        .fetch_one(&db.reader)
        .await?
        .try_get::<i64, _>("n")? as usize)
}

/// Presses Retry on every failed order, as a merchant would from the dashboard, so the
/// duplicate count covers what a retry could buy twice.
pub async fn retry_failed(world: &World, client: &reqwest::Client) -> anyhow::Result<()> {
    let failed: Vec<String> = sqlx::query("SELECT id FROM orders WHERE tab = 'failed'")
        .fetch_all(&world.db.reader)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    let base = world.running.base_url();
    for id in failed {
        let response = client
            .post(format!("{base}/api/v1/orders/{id}/route"))
            .bearer_auth(&world.token)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "Retry of order {id} answered {}",
            response.status()
        );
    }
    Ok(())
}

/// The kind of a supplier-order problem, without the ids that make each message unique.
fn reason_kind(reason: &str) -> String {
    let kind = reason
        .split([':', '{'])
        .next()
        .unwrap_or(reason)
        .trim()
        .to_string();
    if reason.starts_with('{') {
        serde_json::from_str::<serde_json::Value>(reason)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
            .map(|k| format!("supplier refused: {k}"))
            .unwrap_or(kind)
    } else {
        kind
    }
}
