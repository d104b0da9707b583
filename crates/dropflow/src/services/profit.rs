//! Profit per order, and per day, product, supplier or store over a store's orders: the facts
//! read by `storage::profit` (a fixed number of statements per page), each turned into costs
//! and the figure by `dropflow_core::profit`. Merchants only (a vendor may not see what the
//! merchant earns: 403); another account's order or store is 404. The store's payment-fee
//! rule is set here too.

use super::{ActionError, Caller, Context, MERCHANTS};
use crate::storage::accounts::Role;
use crate::storage::fx_rates;
use crate::storage::profit::{self as store, OrderFacts};
use crate::storage::Database;
use crate::suppliers::registry;
use chrono::{DateTime, NaiveDate, Utc};
use dropflow_core::after_sale::dispute::DisputeStatus;
use dropflow_core::fx::history::RateHistory;
use dropflow_core::money::Money;
use dropflow_core::profit::{
    self, share, Cost, CostKind, FeeRule, Item, OrderProfit, Profit, Purchase, Totals, VendorSide,
};
use dropflow_core::reference::currency::Currency;
use std::collections::BTreeMap;

/// One order's profit, or the costs still missing.
#[derive(Debug, Clone)]
pub struct OrderFigure {
    pub order_id: String,
    pub name: String,
    pub store_id: String,
    pub currency: Currency,
    /// What the customer was charged (revenue + taxes), shown even when a cost is missing.
    pub charged: i64,
    pub outcome: OrderProfit,
    /// Each supplier's share of the order's costs, in the order's currency (the supplier
    /// report's weights): `None` when one of its costs is missing.
    pub supplier_costs: BTreeMap<String, Option<i64>>,
    pub lines: Vec<(String, String, i64)>,
    pub placed_at_ms: i64,
}

fn is_vendor(kind: &str) -> bool {
    registry::capabilities_of(kind).hands_over_to_person
}

/// The costs of the order apart from its purchases', and each purchase's, by supplier.
fn items_of(facts: &OrderFacts) -> (Vec<Item>, Vec<(String, Vec<Item>)>) {
    let charged = Money::new(facts.revenue.charged(), facts.currency);
    let mut items = match &facts.fee_rule {
        Some(rule) => rule
            .costs(charged, facts.placed_at_ms)
            .into_iter()
            .map(Item::Known)
            .collect(),
        None => vec![Item::Missing(profit::Missing::NoFeeRule)],
    };
    for package in &facts.packages {
        let weights = vec![1; package.orders];
        for movement in &package.spent {
            let part = share(movement.amount.minor, &weights)[package.index];
            items.push(Item::Known(Cost {
                kind: CostKind::Warehouse,
                amount: Money::new(part, movement.amount.currency),
                incurred_at_ms: movement.at_ms,
                what: format!("warehouse package {}", package.id),
            }));
        }
    }
    for case in &facts.cases {
        items.extend(profit::refund_costs(
            &format!("case {}", case.id),
            &case.state.refunds,
            case.created_at_ms,
        ));
    }
    for chargeback in &facts.chargebacks {
        items.extend(profit::chargeback_cost(
            &format!("chargeback {}", chargeback.id),
            chargeback.kind == "chargeback",
            &DisputeStatus::parse(&chargeback.status),
            chargeback.amount,
            chargeback.decided_at_ms,
        ));
    }
    let purchases = facts
        .purchases
        .iter()
        .map(|p| {
            let purchase = Purchase {
                what: format!("supplier order {} ({})", p.id, p.supplier),
                status: p.status,
                priced: p.priced,
                created_at_ms: p.created_at_ms,
                spent: p.spent.clone(),
                vendor: is_vendor(&p.supplier_kind).then(|| VendorSide {
                    earning: p.earning.clone(),
                    charges: p.charges.clone(),
                }),
            };
            (p.supplier.clone(), profit::purchase_costs(&purchase))
        })
        .collect();
    (items, purchases)
}

/// Whether any money of `facts` is in another currency than the order's (the rate history
/// is read only then).
fn needs_rates(facts: &OrderFacts) -> bool {
    let other = |m: &Money| m.currency != facts.currency;
    facts.fee_rule.is_some_and(|r| other(&r.fixed))
        || facts.purchases.iter().any(|p| {
            p.priced.as_ref().is_some_and(other)
                || p.spent.iter().any(|m| other(&m.amount))
                || p.earning.iter().chain(&p.charges).any(|m| other(&m.amount))
        })
        || facts
            .packages
            .iter()
            .any(|p| p.spent.iter().any(|m| other(&m.amount)))
        || facts.chargebacks.iter().any(|c| other(&c.amount))
        || facts
            .cases
            .iter()
            .any(|c| c.state.refunds.iter().any(|r| other(&r.amount)))
}

/// The figure of one order from its facts, with the rate history of its costs' times.
pub fn figure(facts: &OrderFacts, rates: &RateHistory) -> OrderFigure {
    let (mut items, purchases) = items_of(facts);
    let mut supplier_costs: BTreeMap<String, Option<i64>> = BTreeMap::new();
    for (supplier, purchase_items) in &purchases {
        let alone = profit::compute(
            facts.currency,
            &profit::Revenue::default(),
            purchase_items,
            rates,
        );
        let entry = supplier_costs.entry(supplier.clone()).or_insert(Some(0));
        *entry = match (alone, *entry) {
            (OrderProfit::Complete(p), Some(sum)) => Some(sum + p.cost_total),
            _ => None,
        };
        items.extend(purchase_items.iter().cloned());
    }
    OrderFigure {
        order_id: facts.order_id.clone(),
        name: facts.name.clone(),
        store_id: facts.store_id.clone(),
        currency: facts.currency,
        charged: facts.revenue.charged(),
        outcome: profit::compute(facts.currency, &facts.revenue, &items, rates),
        supplier_costs,
        lines: facts
            .lines
            .iter()
            .map(|l| (l.product.clone(), l.title.clone(), l.value_minor))
            .collect(),
        placed_at_ms: facts.placed_at_ms,
    }
}

/// The figures of `order_ids` (already checked to be the caller's, or the benchmark's), in the order given: a
/// fixed number of statements for the page, the rate history read once if any cost needs it.
pub async fn figures(db: &Database, order_ids: &[String]) -> Result<Vec<OrderFigure>, ActionError> {
    let (facts, rates) = read(db, order_ids).await?;
    Ok(facts.iter().map(|f| figure(f, &rates)).collect())
}

/// The facts of `order_ids` and, if any of their money needs converting, the rate history.
async fn read(
    db: &Database,
    order_ids: &[String],
) -> Result<(Vec<OrderFacts>, RateHistory), ActionError> {
    let facts = store::facts(db, order_ids, &is_vendor).await?;
    let rates = if facts.iter().any(needs_rates) {
        fx_rates::history(db).await?
    } else {
        RateHistory::default()
    };
    Ok((facts, rates))
}

/// One order's profit (`reference`: its id, name or store order id).
pub async fn order(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
) -> Result<OrderFigure, ActionError> {
    caller.require(MERCHANTS, "see profit")?;
    let id = super::orders::resolve(ctx, caller, reference).await?;
    figures(&ctx.db, &[id.to_string()])
        .await?
        .pop()
        .ok_or_else(|| ActionError::NotFound(format!("order {reference:?} not found")))
}

/// How a store report groups its orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Day,
    Product,
    Supplier,
    Store,
}

impl By {
    pub fn parse(text: &str) -> Result<By, ActionError> {
        match text {
            "day" => Ok(By::Day),
            "product" => Ok(By::Product),
            "supplier" => Ok(By::Supplier),
            "store" => Ok(By::Store),
            other => Err(ActionError::Invalid(format!(
                "by: {other:?} is not one of day, product, supplier, store"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            By::Day => "day",
            By::Product => "product",
            By::Supplier => "supplier",
            By::Store => "store",
        }
    }
}

/// What a store report asks: the grouping and the days (both included, UTC) of the orders.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    pub by: By,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl ReportQuery {
    /// Reads the query's words (`by` defaults to day; dates `YYYY-MM-DD`).
    pub fn parse(
        by: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<ReportQuery, ActionError> {
        let date = |name: &str, text: Option<&str>| -> Result<Option<NaiveDate>, ActionError> {
            text.filter(|t| !t.trim().is_empty())
                .map(|t| {
                    NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                        ActionError::Invalid(format!("{name}: {t:?} is not a YYYY-MM-DD date"))
                    })
                })
                .transpose()
        };
        let query = ReportQuery {
            by: By::parse(by.unwrap_or("day"))?,
            from: date("from", from)?,
            to: date("to", to)?,
        };
        if let (Some(from), Some(to)) = (query.from, query.to) {
            if from > to {
                return Err(ActionError::Invalid(format!(
                    "from: {from} is after to ({to})"
                )));
            }
        }
        Ok(query)
    }

    fn range_ms(&self) -> (i64, i64) {
        let start = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc().timestamp_millis())
        };
        let from = self.from.and_then(start).unwrap_or(i64::MIN);
        let to = self
            .to
            .and_then(|d| d.succ_opt())
            .and_then(start)
            .unwrap_or(i64::MAX);
        (from, to)
    }
}

/// One group of a report, in one currency.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub key: String,
    pub label: String,
    pub totals: Totals,
}

/// How many orders a report reads per page of facts.
const REPORT_PAGE: i64 = 200;

/// A store's profit grouped by `query.by`, over its orders in the days asked: one row per
/// group and currency, each order's figures shared exactly over its products (by line value)
/// or suppliers (by what each cost); an order with a missing cost is counted as incomplete in
/// its groups and adds no figure. Orders are read a page at a time, never all at once.
pub async fn report(
    ctx: &Context,
    caller: &Caller,
    store_ref: &str,
    query: &ReportQuery,
) -> Result<Vec<ReportRow>, ActionError> {
    let store_id =
        super::stores::store_in_scope(ctx, caller, MERCHANTS, "see profit", store_ref).await?;
    let store_id = store_id.to_string();
    let (from, to) = query.range_ms();
    let mut groups: BTreeMap<(String, String), ReportRow> = BTreeMap::new();
    let mut after = None;
    loop {
        let page =
            store::store_order_ids(&ctx.db, &store_id, from, to, after.as_ref(), REPORT_PAGE)
                .await?;
        let Some(last) = page.last().cloned() else {
            break;
        };
        let ids: Vec<String> = page.into_iter().map(|(_, id)| id).collect();
        for figure in figures(&ctx.db, &ids).await? {
            add(&mut groups, query.by, &figure);
        }
        after = Some(last);
    }
    Ok(groups.into_values().collect())
}

fn add(groups: &mut BTreeMap<(String, String), ReportRow>, by: By, figure: &OrderFigure) {
    let parts: Vec<(String, String, i64)> = match by {
        By::Day => {
            let day = DateTime::<Utc>::from_timestamp_millis(figure.placed_at_ms)
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            vec![(day.clone(), day, 1)]
        }
        By::Store => vec![(figure.store_id.clone(), figure.store_id.clone(), 1)],
        By::Product => {
            let mut products: BTreeMap<String, (String, i64)> = BTreeMap::new();
            for (product, title, value) in &figure.lines {
                let entry = products
                    .entry(product.clone())
                    .or_insert_with(|| (title.clone(), 0));
                entry.1 += value;
            }
            products
                .into_iter()
                .map(|(key, (label, value))| (key, label, value))
                .collect()
        }
        By::Supplier => figure
            .supplier_costs
            .iter()
            .map(|(s, cost)| (s.clone(), s.clone(), cost.unwrap_or(0).max(0)))
            .collect(),
    };
    let parts = if parts.is_empty() {
        vec![("none".to_string(), "none".to_string(), 1)]
    } else {
        parts
    };
    let currency = figure.currency;
    let split: Option<Vec<Profit>> = match &figure.outcome {
        OrderProfit::Complete(whole) => {
            let weights: Vec<i64> = parts.iter().map(|(_, _, w)| *w).collect();
            Some(whole.split(&weights))
        }
        OrderProfit::Incomplete { .. } => None,
    };
    for (i, (key, label, _)) in parts.iter().enumerate() {
        let row = groups
            .entry((key.clone(), currency.code().to_string()))
            .or_insert_with(|| ReportRow {
                key: key.clone(),
                label: label.clone(),
                totals: Totals::new(currency),
            });
        match split.as_ref().and_then(|s| s.get(i)) {
            Some(part) => row.totals.add(part),
            None => row.totals.add_incomplete(),
        }
    }
}

/// The CSV header of a report (amounts as decimals of the row's currency).
pub fn csv_header() -> String {
    let mut columns = vec![
        "key",
        "label",
        "currency",
        "orders",
        "incomplete",
        "revenue",
        "taxes",
    ];
    columns.extend(CostKind::ALL.iter().map(|k| k.as_str()));
    columns.extend(["cost_total", "profit"]);
    format!("{}\n", columns.join(","))
}

/// The report as a CSV download, written to the client row by row (the header, then each
/// group) rather than as one string: the API's and the dashboard's.
pub fn csv_response(by: By, rows: Vec<ReportRow>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let lines = std::iter::once(csv_header())
        .chain(rows.into_iter().map(|row| csv_line(&row)))
        .map(Ok::<_, std::convert::Infallible>);
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"profit-{}.csv\"", by.as_str()),
            ),
        ],
        axum::body::Body::from_stream(futures::stream::iter(lines)),
    )
        .into_response()
}

/// One report row as a CSV line (fields quoted when they must be).
pub fn csv_line(row: &ReportRow) -> String {
    let t = &row.totals;
    let money = |minor: i64| Money::new(minor, t.currency).to_decimal_string();
    let mut fields = vec![
        csv_field(&row.key),
        csv_field(&row.label),
        t.currency.code().to_string(),
        t.orders.to_string(),
        t.incomplete.to_string(),
        money(t.revenue),
        money(t.taxes),
    ];
    fields.extend(
        CostKind::ALL
            .iter()
            .map(|k| money(t.costs.get(k).copied().unwrap_or(0))),
    );
    fields.extend([money(t.cost_total), money(t.profit)]);
    format!("{}\n", fields.join(","))
}

/// A field quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or
/// `@` is prefixed with `'` so a spreadsheet never runs a product title as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The store's payment-fee rule, if set.
pub async fn fee_rule(
    ctx: &Context,
    caller: &Caller,
    store_ref: &str,
) -> Result<Option<FeeRule>, ActionError> {
    let store_id =
        super::stores::store_in_scope(ctx, caller, MERCHANTS, "see this", store_ref).await?;
    Ok(store::fee_rule(&ctx.db, &store_id.to_string()).await?)
}

/// Sets the store's payment-fee rule (owners): `percent_bps` basis points plus `fixed_minor`
/// of `fixed_currency` per order.
pub async fn set_fee_rule(
    ctx: &Context,
    caller: &Caller,
    store_ref: &str,
    percent_bps: i64,
    fixed_minor: i64,
    fixed_currency: &str,
) -> Result<FeeRule, ActionError> {
    let store_id =
        super::stores::store_in_scope(ctx, caller, &[Role::Owner], "change this", store_ref)
            .await?;
    let currency = Currency::from_code(fixed_currency)
        .map_err(|e| ActionError::Unprocessable(format!("fixed_currency: {e}")))?;
    let bps = u32::try_from(percent_bps)
        .map_err(|_| ActionError::Unprocessable(profit::FeeRuleError::Percent.to_string()))?;
    let rule = FeeRule::new(bps, Money::new(fixed_minor, currency))
        .map_err(|e| ActionError::Unprocessable(e.to_string()))?;
    store::set_fee_rule(&ctx.db, &store_id.to_string(), &rule, &caller.actor).await?;
    tracing::info!(store.id = %store_id, "payment fee rule set");
    Ok(rule)
}

/// What the demo checks: profit per currency over every complete order, and whether the
/// figures add up to the ledger and the stores' order totals.
#[derive(Debug, Clone, Default)]
pub struct Reconciliation {
    pub profit_total: BTreeMap<String, i64>,
    pub complete: usize,
    pub incomplete: usize,
    /// Empty when everything adds up; otherwise what does not, one line each.
    pub mismatches: Vec<String>,
}

/// Reads every order (a page at a time) as profit does and checks that what it counts adds
/// up: what the customers were charged to the stores' order totals (each order read once),
/// and the wallet money (what each purchase and package fee took from `spent`, before
/// conversion) to every wallet's `spent` balance in the ledger.
/// Whole-installation: for the demo's summary and the command line, never a request.
pub async fn reconcile(db: &Database) -> Result<Reconciliation, ActionError> {
    let mut out = Reconciliation::default();
    let mut counted: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut charged: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let ids = store::all_order_ids(db, after.as_deref(), REPORT_PAGE).await?;
        let Some(last) = ids.last().cloned() else {
            break;
        };
        let (facts, rates) = read(db, &ids).await?;
        for f in &facts {
            *charged
                .entry((f.store_id.clone(), f.currency.code().to_string()))
                .or_default() += f.revenue.charged();
            let mut count = |m: &Money| {
                *counted
                    .entry((f.store_id.clone(), m.currency.code().to_string()))
                    .or_default() += m.minor;
            };
            for p in &f.purchases {
                p.spent.iter().for_each(|m| count(&m.amount));
            }
            for package in &f.packages {
                let weights = vec![1; package.orders];
                for m in &package.spent {
                    count(&Money::new(
                        share(m.amount.minor, &weights)[package.index],
                        m.amount.currency,
                    ));
                }
            }
            match figure(f, &rates).outcome {
                OrderProfit::Complete(p) => {
                    out.complete += 1;
                    *out.profit_total
                        .entry(p.currency.code().to_string())
                        .or_default() += p.profit;
                }
                OrderProfit::Incomplete { .. } => out.incomplete += 1,
            }
        }
        after = Some(last);
    }
    compare(
        &mut out.mismatches,
        "wallet",
        "spent",
        &store::spent_by_wallet(db).await?,
        &counted,
    );
    compare(
        &mut out.mismatches,
        "orders of",
        "total",
        &store::totals_by_store(db).await?,
        &charged,
    );
    Ok(out)
}

/// Each (store, currency) of `truth` and `counted` whose amounts differ, as a line.
fn compare(
    mismatches: &mut Vec<String>,
    what: &str,
    column: &str,
    truth: &BTreeMap<(String, String), i64>,
    counted: &BTreeMap<(String, String), i64>,
) {
    let keys: std::collections::BTreeSet<_> = truth.keys().chain(counted.keys()).collect();
    for key in keys {
        let expected = truth.get(key).copied().unwrap_or(0);
        let got = counted.get(key).copied().unwrap_or(0);
        if expected != got {
            mismatches.push(format!(
                "{what} {} {}: {column} {expected}, profit counts {got}",
                key.0, key.1
            ));
        }
    }
}
