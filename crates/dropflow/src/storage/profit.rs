//! What profit needs of a page of orders, read in a fixed number of statements whatever the
//! page's size (one per table, `IN` lists over the page): the orders with their revenue parts
//! and the store's fee rule, the lines, the purchases with what the wallet paid for each
//! (`spent` postings under their attempt ids and the cases' credits), a manual vendor's
//! earnings and charges, the cases' refunds, the chargebacks, and the warehouse fees of the
//! packages the orders travelled in. What each fact costs is `dropflow_core::profit`'s to say.

use super::{query, Database, Result, StorageError};
use dropflow_core::after_sale::CaseState;
use dropflow_core::money::Money;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::profit::{FeeRule, Movement, Revenue};
use dropflow_core::reference::currency::Currency;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// One order's facts.
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub order_id: String,
    pub store_id: String,
    pub name: String,
    pub currency: Currency,
    /// When the order reached us, epoch ms: what the store report's days and range read
    /// (indexed per store), the same for every engine and every store's clock.
    pub placed_at_ms: i64,
    pub revenue: Revenue,
    /// The store's payment-fee rule; `None` when not set, or when it is unreadable.
    pub fee_rule: Option<FeeRule>,
    pub lines: Vec<LineFact>,
    pub purchases: Vec<PurchaseFact>,
    pub cases: Vec<CaseFact>,
    pub chargebacks: Vec<ChargebackFact>,
    pub packages: Vec<PackageFact>,
}

#[derive(Debug, Clone)]
pub struct LineFact {
    /// The store's product (its id, else the SKU, else the title).
    pub product: String,
    pub title: String,
    /// quantity × unit price.
    pub value_minor: i64,
}

#[derive(Debug, Clone)]
pub struct PurchaseFact {
    pub id: String,
    /// `supplier` or `supplier:account` for a manual vendor.
    pub supplier: String,
    pub supplier_kind: String,
    pub status: SupplierOrderStatus,
    pub priced: Option<Money>,
    pub created_at_ms: i64,
    /// The wallet's `spent` postings for it and its cases' credits.
    pub spent: Vec<Movement>,
    pub earning: Option<Movement>,
    pub charges: Vec<Movement>,
}

#[derive(Debug, Clone)]
pub struct CaseFact {
    pub id: String,
    pub state: CaseState,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ChargebackFact {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub amount: Money,
    pub decided_at_ms: i64,
}

/// A package the order travelled in: its fee's `spent` postings, shared by its orders.
#[derive(Debug, Clone)]
pub struct PackageFact {
    pub id: String,
    /// This order's place among the package's orders (in id order) and how many there are.
    pub index: usize,
    pub orders: usize,
    pub spent: Vec<Movement>,
}

fn currency(text: &str, what: &str) -> Result<Currency> {
    Currency::from_code(text).map_err(|_| StorageError::Corrupt(format!("{what}: {text:?}")))
}

fn in_list(ids: &[String]) -> String {
    query::params(1, ids.len())
}

/// The facts of `order_ids` (those that exist), in the order given. The caller has checked
/// they are in scope; `hands_over(kind)` says whether a supplier kind's purchases are a
/// manual vendor's (their earnings and charges are read, in one more statement, only then).
pub async fn facts(
    db: &Database,
    order_ids: &[String],
    hands_over: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Vec<OrderFacts>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = in_list(order_ids);
    let sql = format!(
        "SELECT o.id, o.store_id, o.name, o.currency, o.total_minor, o.shipping_minor,
            o.discounts_minor, o.taxes_minor, o.taxes_included,
            o.created_at AS placed_at,
            f.percent_bps, f.fixed_minor, f.fixed_currency
         FROM orders o LEFT JOIN store_payment_fees f ON f.store_id = o.store_id
         WHERE o.id IN ({list})"
    );
    let orders = query::all(
        query::bind_ids(sqlx::query(&sql), order_ids),
        &db.reader,
        order_row,
    )
    .await?;
    let mut by_id: BTreeMap<String, OrderFacts> = orders
        .into_iter()
        .map(|o| (o.order_id.clone(), o))
        .collect();
    let ids: Vec<String> = order_ids
        .iter()
        .filter(|id| by_id.contains_key(*id))
        .cloned()
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = in_list(&ids);
    let bind = |sql: &str| -> String { sql.replace("{list}", &list) };

    let lines_sql = bind(
        "SELECT order_id, product_id, sku, title, quantity, unit_price_minor FROM order_lines
         WHERE order_id IN ({list}) ORDER BY order_id, position",
    );
    for row in query::bind_ids(sqlx::query(&lines_sql), &ids)
        .fetch_all(&db.reader)
        .await?
    {
        let order_id: String = row.try_get("order_id")?;
        let title: String = row.try_get("title")?;
        let product: Option<String> = row.try_get("product_id")?;
        let sku: Option<String> = row.try_get("sku")?;
        let quantity: i64 = row.try_get("quantity")?;
        let price: i64 = row.try_get("unit_price_minor")?;
        if let Some(order) = by_id.get_mut(&order_id) {
            order.lines.push(LineFact {
                product: product.or(sku).unwrap_or_else(|| title.clone()),
                title,
                value_minor: quantity * price,
            });
        }
    }

    let cases_sql = bind(
        "SELECT id, order_id, state, created_at FROM cases WHERE order_id IN ({list}) ORDER BY id",
    );
    let mut case_ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in query::bind_ids(sqlx::query(&cases_sql), &ids)
        .fetch_all(&db.reader)
        .await?
    {
        let order_id: String = row.try_get("order_id")?;
        let id: String = row.try_get("id")?;
        let state: String = row.try_get("state")?;
        let state: CaseState = serde_json::from_str(&state)
            .map_err(|e| StorageError::Corrupt(format!("cases.state of {id}: {e}")))?;
        case_ids
            .entry(order_id.clone())
            .or_default()
            .push(id.clone());
        if let Some(order) = by_id.get_mut(&order_id) {
            order.cases.push(CaseFact {
                id,
                state,
                created_at_ms: row.try_get("created_at")?,
            });
        }
    }

    let purchases_sql = bind(
        "SELECT id, order_id, supplier, supplier_account, status, attempt_id, cost_minor,
            currency, created_at FROM supplier_orders WHERE order_id IN ({list}) ORDER BY id",
    );
    // The ledger references that are a purchase's: its attempt, and each case's credit on it.
    let mut references: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut purchase_ids = Vec::new();
    for row in query::bind_ids(sqlx::query(&purchases_sql), &ids)
        .fetch_all(&db.reader)
        .await?
    {
        let order_id: String = row.try_get("order_id")?;
        let id: String = row.try_get("id")?;
        let attempt: String = row.try_get("attempt_id")?;
        let kind: String = row.try_get("supplier")?;
        let account: String = row.try_get("supplier_account")?;
        let status: String = row.try_get("status")?;
        let status = SupplierOrderStatus::parse(&status)
            .ok_or_else(|| StorageError::Corrupt(format!("supplier_orders.status {status:?}")))?;
        let cost: Option<i64> = row.try_get("cost_minor")?;
        let code: Option<String> = row.try_get("currency")?;
        let priced = match (cost, code) {
            (Some(minor), Some(code)) => Some(Money::new(
                minor,
                currency(&code, "supplier_orders.currency")?,
            )),
            _ => None,
        };
        references.insert(attempt.clone(), (order_id.clone(), id.clone()));
        for case in case_ids.get(&order_id).into_iter().flatten() {
            references.insert(
                format!("{attempt}#case:{case}"),
                (order_id.clone(), id.clone()),
            );
        }
        if hands_over(&kind) {
            purchase_ids.push(id.clone());
        }
        let supplier = if account.is_empty() || kind != "manual" {
            kind.clone()
        } else {
            format!("{kind}:{account}")
        };
        if let Some(order) = by_id.get_mut(&order_id) {
            order.purchases.push(PurchaseFact {
                id,
                supplier,
                supplier_kind: kind,
                status,
                priced,
                created_at_ms: row.try_get("created_at")?,
                spent: Vec::new(),
                earning: None,
                charges: Vec::new(),
            });
        }
    }

    let chargebacks_sql = bind(
        "SELECT id, order_id, kind, status, amount_minor, currency,
            COALESCE(finalized_on, updated_at) AS decided_at
         FROM chargebacks WHERE order_id IN ({list}) ORDER BY id",
    );
    for row in query::bind_ids(sqlx::query(&chargebacks_sql), &ids)
        .fetch_all(&db.reader)
        .await?
    {
        let order_id: String = row.try_get("order_id")?;
        let code: String = row.try_get("currency")?;
        if let Some(order) = by_id.get_mut(&order_id) {
            order.chargebacks.push(ChargebackFact {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                status: row.try_get("status")?,
                amount: Money::new(
                    row.try_get("amount_minor")?,
                    currency(&code, "chargebacks.currency")?,
                ),
                decided_at_ms: row.try_get("decided_at")?,
            });
        }
    }

    // Every order of each package the page's orders travelled in, so a shared fee is split.
    let packages_sql = bind(
        "SELECT package_id, order_id FROM warehouse_package_orders WHERE package_id IN
            (SELECT package_id FROM warehouse_package_orders WHERE order_id IN ({list}))
         ORDER BY package_id, order_id",
    );
    let mut packages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in query::bind_ids(sqlx::query(&packages_sql), &ids)
        .fetch_all(&db.reader)
        .await?
    {
        packages
            .entry(row.try_get("package_id")?)
            .or_default()
            .push(row.try_get("order_id")?);
    }
    let fee_reference = |package: &str| format!("wfee-{package}");

    // The wallet's `spent` postings under every reference of the page, in one statement.
    let mut refs: Vec<String> = references.keys().cloned().collect();
    refs.extend(packages.keys().map(|p| fee_reference(p)));
    let stores: BTreeSet<String> = by_id.values().map(|o| o.store_id.clone()).collect();
    let mut spent: BTreeMap<String, Vec<Movement>> = BTreeMap::new();
    if !refs.is_empty() {
        let sql = format!(
            "SELECT t.reference, t.currency, t.created_at, p.amount_minor
             FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
             WHERE t.store_id IN ({}) AND t.reference IN ({}) AND p.account = 'spent'
             ORDER BY t.id",
            query::params(1, stores.len()),
            query::params(1 + stores.len(), refs.len()),
        );
        let q = query::bind_ids(query::bind_ids(sqlx::query(&sql), &stores), &refs);
        for row in q.fetch_all(&db.reader).await? {
            let code: String = row.try_get("currency")?;
            spent
                .entry(row.try_get("reference")?)
                .or_default()
                .push(Movement {
                    amount: Money::new(
                        row.try_get("amount_minor")?,
                        currency(&code, "ledger_transactions.currency")?,
                    ),
                    at_ms: row.try_get("created_at")?,
                });
        }
    }
    for (reference, (order_id, purchase_id)) in &references {
        let Some(moves) = spent.get(reference) else {
            continue;
        };
        if let Some(p) = by_id
            .get_mut(order_id)
            .and_then(|o| o.purchases.iter_mut().find(|p| &p.id == purchase_id))
        {
            p.spent.extend(moves.iter().cloned());
        }
    }
    for (package, orders) in &packages {
        for (index, order_id) in orders.iter().enumerate() {
            if let Some(order) = by_id.get_mut(order_id) {
                order.packages.push(PackageFact {
                    id: package.clone(),
                    index,
                    orders: orders.len(),
                    spent: spent
                        .get(&fee_reference(package))
                        .cloned()
                        .unwrap_or_default(),
                });
            }
        }
    }

    if !purchase_ids.is_empty() {
        // Earnings and charges in one statement (the list's parameters serve both halves).
        let list = in_list(&purchase_ids);
        let sql = format!(
            "SELECT supplier_order_id, order_id, amount_minor, currency, delivered_at AS at,
                1 AS earning FROM vendor_earnings WHERE supplier_order_id IN ({list})
             UNION ALL
             SELECT supplier_order_id, order_id, amount_minor, currency, charged_at AS at,
                0 AS earning FROM vendor_charges WHERE supplier_order_id IN ({list})
             ORDER BY at"
        );
        for row in query::bind_ids(sqlx::query(&sql), &purchase_ids)
            .fetch_all(&db.reader)
            .await?
        {
            let purchase: String = row.try_get("supplier_order_id")?;
            let code: String = row.try_get("currency")?;
            let movement = Movement {
                amount: Money::new(
                    row.try_get("amount_minor")?,
                    currency(&code, "vendor currency")?,
                ),
                at_ms: row.try_get("at")?,
            };
            let order_id: String = row.try_get("order_id")?;
            let Some(p) = by_id
                .get_mut(&order_id)
                .and_then(|o| o.purchases.iter_mut().find(|p| p.id == purchase))
            else {
                continue;
            };
            if row.try_get::<i64, _>("earning")? == 1 {
                p.earning = Some(movement);
            } else {
                p.charges.push(movement);
            }
        }
    }

    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

fn order_row(row: &AnyRow) -> Result<OrderFacts> {
    let code: String = row.try_get("currency")?;
    let order_currency = currency(&code, "orders.currency")?;
    let bps: Option<i64> = row.try_get("percent_bps")?;
    let fixed: Option<i64> = row.try_get("fixed_minor")?;
    let fixed_code: Option<String> = row.try_get("fixed_currency")?;
    let fee_rule = match (bps, fixed, fixed_code) {
        (Some(bps), Some(fixed), Some(code)) => {
            let rule = u32::try_from(bps).ok().zip(Currency::from_code(&code).ok());
            match rule {
                Some((bps, fixed_currency)) => {
                    FeeRule::new(bps, Money::new(fixed, fixed_currency)).ok()
                }
                None => None,
            }
        }
        _ => None,
    };
    Ok(OrderFacts {
        order_id: row.try_get("id")?,
        store_id: row.try_get("store_id")?,
        name: row.try_get("name")?,
        currency: order_currency,
        placed_at_ms: row.try_get("placed_at")?,
        revenue: Revenue {
            total: row.try_get("total_minor")?,
            discounts: row.try_get("discounts_minor")?,
            shipping: row.try_get("shipping_minor")?,
            taxes: row.try_get("taxes_minor")?,
            taxes_included: row.try_get::<i64, _>("taxes_included")? != 0,
        },
        fee_rule,
        lines: Vec::new(),
        purchases: Vec::new(),
        cases: Vec::new(),
        chargebacks: Vec::new(),
        packages: Vec::new(),
    })
}

/// Where a store report's reading stands: the last order read, by (time, id).
pub type Cursor = (i64, String);

/// A store's orders that reached us in `[from_ms, to_ms)`, after `after`, at most `limit`,
/// in (time, id) order: the store report reads its orders in pages of these (indexed by
/// `orders_by_store_created`).
pub async fn store_order_ids(
    db: &Database,
    store_id: &str,
    from_ms: i64,
    to_ms: i64,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Cursor>> {
    let (after_at, after_id) = after.cloned().unwrap_or((from_ms, String::new()));
    let rows = sqlx::query(
        "SELECT id, created_at FROM orders WHERE store_id = $1 AND created_at >= $2
            AND created_at < $3 AND (created_at > $4 OR (created_at = $4 AND id > $5))
         ORDER BY created_at, id LIMIT $6",
    )
    .bind(store_id.to_string())
    .bind(from_ms)
    .bind(to_ms)
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("created_at")?, r.try_get("id")?)))
        .collect()
}

/// A store's payment-fee rule, if one is set.
pub async fn fee_rule(db: &Database, store_id: &str) -> Result<Option<FeeRule>> {
    let row = sqlx::query(
        "SELECT percent_bps, fixed_minor, fixed_currency FROM store_payment_fees
         WHERE store_id = $1",
    )
    .bind(store_id.to_string())
    .fetch_optional(&db.reader)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let bps: i64 = row.try_get("percent_bps")?;
    let code: String = row.try_get("fixed_currency")?;
    let fixed = Money::new(
        row.try_get("fixed_minor")?,
        currency(&code, "store_payment_fees.fixed_currency")?,
    );
    let bps = u32::try_from(bps)
        .map_err(|_| StorageError::Corrupt(format!("store_payment_fees.percent_bps {bps}")))?;
    FeeRule::new(bps, fixed)
        .map(Some)
        .map_err(|e| StorageError::Corrupt(format!("store_payment_fees: {e}")))
}

/// Sets a store's payment-fee rule (checked by the caller).
pub async fn set_fee_rule(
    db: &Database,
    store_id: &str,
    rule: &FeeRule,
    actor: &str,
) -> Result<()> {
    let result = sqlx::query(
        "INSERT INTO store_payment_fees (store_id, percent_bps, fixed_minor, fixed_currency,
            updated_by, updated_at)
         SELECT id, $2, $3, $4, $5, $6 FROM stores WHERE id = $1
         ON CONFLICT (store_id) DO UPDATE SET percent_bps = excluded.percent_bps,
            fixed_minor = excluded.fixed_minor, fixed_currency = excluded.fixed_currency,
            updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(store_id.to_string())
    .bind(i64::from(rule.percent_bps))
    .bind(rule.fixed.minor)
    .bind(rule.fixed.currency.code().to_string())
    .bind(actor.to_string())
    .bind(super::now_ms())
    .execute(&db.writer)
    .await?;
    query::touched(result)
}

/// Each wallet's `spent` balance by (store, currency): what profit's ledger-backed costs must
/// add up to.
pub async fn spent_by_wallet(db: &Database) -> Result<BTreeMap<(String, String), i64>> {
    let rows = sqlx::query(
        "SELECT t.store_id, t.currency, CAST(SUM(p.amount_minor) AS BIGINT) AS spent
         FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
         WHERE p.account = 'spent' GROUP BY t.store_id, t.currency",
    )
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                (r.try_get("store_id")?, r.try_get("currency")?),
                r.try_get("spent")?,
            ))
        })
        .collect()
}

/// The stores' order totals by (store, currency): what profit's revenue must add up to.
pub async fn totals_by_store(db: &Database) -> Result<BTreeMap<(String, String), i64>> {
    let rows = sqlx::query(
        "SELECT store_id, currency, CAST(SUM(total_minor) AS BIGINT) AS total
         FROM orders GROUP BY store_id, currency",
    )
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                (r.try_get("store_id")?, r.try_get("currency")?),
                r.try_get("total")?,
            ))
        })
        .collect()
}

/// Every order id, in pages (`after`, `limit`): the demo's reconciliation reads them all.
pub async fn all_order_ids(db: &Database, after: Option<&str>, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT id FROM orders WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after.unwrap_or("").to_string())
        .bind(limit)
        .fetch_all(&db.reader)
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>("id").map_err(StorageError::from))
        .collect()
}
