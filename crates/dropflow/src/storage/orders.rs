//! Orders: what a write reads and locks (the write itself is `write_set`'s), the per-store tab
//! counters, and the reads behind the orders page.

use super::codec::{from_json, from_ms, from_row, parse_id, RowExt};
use super::{query, Database, Result, StorageError, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::event::Actor;
use dropflow_core::hold::Hold;
use dropflow_core::ids::{OrderId, ReceiptId, StoreId};
use dropflow_core::intake::Customer;
use dropflow_core::lifecycle::OrderState;
use dropflow_core::payment::PaymentStatus;
use dropflow_core::procurement::Procurement;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::tab::Tab;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;

/// An order's state as read for a write, with the version that write must still find.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub id: OrderId,
    pub store_id: StoreId,
    pub state: OrderState,
    pub version: i64,
}

/// Who or what caused a write, and the webhook delivery that carried it (if one did): every
/// timeline event of the write records both.
#[derive(Debug, Clone)]
pub struct Cause {
    pub actor: Actor,
    pub receipt: Option<ReceiptId>,
}

/// Changes to the per-store, per-tab counters accumulated over a transaction, written once at
/// the end. Per store, so a user who sees some stores gets the counts of those stores.
#[derive(Debug, Default, Clone)]
pub struct TabDeltas(BTreeMap<(StoreId, &'static str), i64>);

impl TabDeltas {
    pub fn created(&mut self, store: StoreId, tab: Tab) {
        *self.0.entry((store, Tab::All.as_str())).or_default() += 1;
        *self.0.entry((store, tab.as_str())).or_default() += 1;
    }
    pub fn moved(&mut self, store: StoreId, from: Tab, to: Tab) {
        if from != to {
            *self.0.entry((store, from.as_str())).or_default() -= 1;
            *self.0.entry((store, to.as_str())).or_default() += 1;
        }
    }
    pub async fn write(&self, tx: &mut Tx<'_>) -> Result<()> {
        for ((store, tab), delta) in self.0.iter().filter(|(_, d)| **d != 0) {
            sqlx::query(
                "INSERT INTO store_tab_counts (store_id, tab, n) VALUES ($1, $2, $3)
                 ON CONFLICT (store_id, tab) DO UPDATE SET n = store_tab_counts.n + excluded.n",
            )
            .bind(store.to_string())
            .bind(*tab)
            .bind(*delta)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// Takes the order's row lock for the rest of the transaction (a no-op write), so work that
/// derives the order's state from other rows — the procurement summary over its supplier
/// orders — sees every concurrent change to them. On PostgreSQL two placements of one order
/// would otherwise each read the other's supplier order as it was before; SQLite's single
/// writer already serialises them.
pub async fn lock(tx: &mut Tx<'_>, id: OrderId) -> Result<()> {
    sqlx::query("UPDATE orders SET version = version WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Reads an order's state inside a write transaction, by our id.
pub async fn load_for_update(tx: &mut Tx<'_>, id: OrderId) -> Result<Option<Versioned>> {
    let row = sqlx::query("SELECT id, store_id, state, version FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| versioned_from_row(&r)).transpose()
}

/// What routing needs to know about an order: its store, the destination country and lines.
pub struct RoutingInput {
    pub store_id: StoreId,
    pub country: Option<dropflow_core::reference::country::CountryCode>,
    pub lines: Vec<dropflow_core::routing::LineToRoute>,
}

pub async fn routing_input(tx: &mut Tx<'_>, id: OrderId) -> Result<Option<RoutingInput>> {
    let Some(row) = sqlx::query("SELECT store_id, shipping_address FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let address: Option<PostalAddress> = row.json_opt("shipping_address")?;
    let country = address
        .and_then(|a| a.country_code)
        .and_then(|c| dropflow_core::reference::country::CountryCode::from_alpha2(&c).ok());
    let lines = sqlx::query(
        "SELECT position, variant_id, sku, quantity, requires_shipping FROM order_lines
         WHERE order_id = $1 AND quantity > 0 ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(dropflow_core::routing::LineToRoute {
            position: u32::try_from(r.try_get::<i64, _>("position")?).unwrap_or(u32::MAX),
            variant_id: r.try_get("variant_id")?,
            sku: r.try_get("sku")?,
            quantity: u32::try_from(r.try_get::<i64, _>("quantity")?).unwrap_or(0),
            requires_shipping: r.try_get::<i64, _>("requires_shipping")? != 0,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(Some(RoutingInput {
        store_id: row.id("store_id")?,
        country,
        lines,
    }))
}

/// The order's lines as the store has them now (removed ones with quantity 0), for
/// reconciling an edit.
pub async fn current_lines_in(
    tx: &mut Tx<'_>,
    id: OrderId,
) -> Result<Vec<dropflow_core::edits::CurrentLine>> {
    sqlx::query(
        "SELECT position, title, quantity FROM order_lines WHERE order_id = $1 ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(dropflow_core::edits::CurrentLine {
            position: u32::try_from(r.try_get::<i64, _>("position")?).unwrap_or(u32::MAX),
            title: r.try_get("title")?,
            quantity: u32::try_from(r.try_get::<i64, _>("quantity")?).unwrap_or(0),
        })
    })
    .collect()
}

fn versioned_from_row(row: &AnyRow) -> Result<Versioned> {
    Ok(from_row!(row => Versioned {
        version;
        id: row.id("id")?,
        store_id: row.id("store_id")?,
        state: row.json("state")?,
    }))
}

/// Reads many orders of one store inside a write transaction, by the store's ids for them.
pub async fn find_many_for_update(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    external_ids: &[&str],
) -> Result<Vec<(String, Versioned)>> {
    let mut found = Vec::new();
    for chunk in super::write_set::chunks(external_ids) {
        let style = super::write_set::ParamStyle::of(tx);
        let params: Vec<String> = (2..chunk.len() + 2).map(|i| style.param(i)).collect();
        let sql = format!(
            "SELECT id, store_id, state, version, external_id FROM orders
             WHERE store_id = {} AND external_id IN ({})",
            style.param(1),
            params.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(store_id.to_string());
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            found.push((row.try_get("external_id")?, versioned_from_row(&row)?));
        }
    }
    Ok(found)
}

// ---- reads ----

/// One row of the orders page.
#[derive(Debug, Clone)]
pub struct OrderSummary {
    pub id: OrderId,
    pub store_id: StoreId,
    pub external_id: String,
    pub name: String,
    pub tab: Tab,
    pub payment_status: PaymentStatus,
    pub procurement: Procurement,
    pub total_minor: i64,
    pub currency: String,
    pub holds: Vec<Hold>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which orders to list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Only orders this caller may see.
    pub scope: super::accounts::Scope,
    pub tab: Tab,
    /// Exact order name (with or without `#`), store order id, customer e-mail or name, a
    /// line's SKU, or a parcel's tracking number.
    pub search: Option<String>,
    pub store_id: Option<StoreId>,
    /// Keyset cursor: list orders older than this one.
    pub before: Option<OrderId>,
    pub limit: u32,
    /// Only orders flagged "needs attention" (`events::attention`).
    pub needs_attention: bool,
    /// The dashboard's further filters (none by default).
    pub filters: ListFilters,
}

/// Filters beyond tab, store and search.
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    /// Only orders with a supplier order bought from this supplier (`aliexpress`, `cj`,
    /// `manual`).
    pub supplier: Option<String>,
    /// Only orders created at or after this time (epoch ms).
    pub created_from: Option<i64>,
    /// Only orders created before this time (epoch ms).
    pub created_before: Option<i64>,
}

/// How customer names are stored and searched: lower case, single spaces, so "Ada  Lovelace"
/// finds "ada lovelace" through an index.
pub fn customer_name_key(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let joined = [first.unwrap_or(""), last.unwrap_or("")].join(" ");
    let key = joined
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!key.is_empty()).then_some(key)
}

const SUMMARY_COLUMNS: &str =
    "id, store_id, external_id, name, tab, state, total_minor, currency, created_at, updated_at";

/// A page of orders, newest first. Keyset pagination on the time-ordered id, so every page
/// costs the same however deep it is.
pub async fn list(db: &Database, query: &ListQuery) -> Result<Vec<OrderSummary>> {
    let mut binds: Vec<String> = Vec::new();
    let scope = query.scope.order_condition("", &mut binds);
    let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM orders WHERE {scope}");
    let mut param = |sql: &mut String, clause: &str, value: String| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    if query.tab != Tab::All {
        param(&mut sql, " AND tab = ?", query.tab.as_str().to_string());
    }
    if let Some(store) = query.store_id {
        param(&mut sql, " AND store_id = ?", store.to_string());
    }
    if query.needs_attention {
        // Served by the partial index `orders_needing_attention`.
        sql.push_str(" AND attention_reason IS NOT NULL");
    }
    if let Some(before) = query.before {
        param(&mut sql, " AND id < ?", before.to_string());
    }
    if let Some(supplier) = &query.filters.supplier {
        param(
            &mut sql,
            " AND id IN (SELECT order_id FROM supplier_orders WHERE supplier = ?)",
            supplier.clone(),
        );
    }
    if let Some(from) = query.filters.created_from {
        param(
            &mut sql,
            " AND created_at >= CAST(? AS BIGINT)",
            from.to_string(),
        );
    }
    if let Some(before) = query.filters.created_before {
        param(
            &mut sql,
            " AND created_at < CAST(? AS BIGINT)",
            before.to_string(),
        );
    }
    if let Some(search) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        // Each alternative is an exact match on an indexed column, so a search costs a few
        // index probes at any number of orders.
        let bare = search.trim_start_matches('#');
        param(&mut sql, " AND (name = ?", format!("#{bare}"));
        param(&mut sql, " OR name = ?", search.to_string());
        param(&mut sql, " OR external_id = ?", search.to_string());
        param(&mut sql, " OR email = ?", search.to_ascii_lowercase());
        if let Some(name) = customer_name_key(Some(search), None) {
            param(&mut sql, " OR customer_name = ?", name);
        }
        param(
            &mut sql,
            " OR id IN (SELECT order_id FROM order_lines WHERE sku = ?)",
            search.to_string(),
        );
        param(
            &mut sql,
            " OR id IN (SELECT order_id FROM shipments WHERE tracking_number = ?))",
            dropflow_core::tracking::normalise(search),
        );
    }
    sql.push_str(&format!(
        " ORDER BY id DESC LIMIT {}",
        query.limit.clamp(1, 500)
    ));
    query::all(
        query::with_binds(&sql, &binds),
        &db.reader,
        summary_from_row,
    )
    .await
}

fn summary_from_row(row: &AnyRow) -> Result<OrderSummary> {
    let state: OrderState = row.json("state")?;
    let tab: String = row.try_get("tab")?;
    Ok(from_row!(row => OrderSummary {
        external_id, name, total_minor, currency;
        id: row.id("id")?,
        store_id: row.id("store_id")?,
        tab: Tab::parse(&tab)
            .ok_or_else(|| StorageError::Corrupt(format!("orders.tab {tab:?}")))?,
        payment_status: state.payment,
        procurement: state.procurement,
        holds: state.holds,
        cancel_reason: state.cancel_reason,
        created_at: row.at("created_at")?,
        updated_at: row.at("updated_at")?,
    }))
}

/// Orders per tab that `scope` may see, every tab present (0 when empty). From the per-store
/// counters: constant time at any number of orders.
pub async fn tab_counts(
    db: &Database,
    scope: &super::accounts::Scope,
) -> Result<BTreeMap<String, i64>> {
    let mut counts: BTreeMap<String, i64> = Tab::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), 0))
        .collect();
    for (tab, n) in scope.tab_counts(db).await? {
        *counts.entry(tab).or_default() += n;
    }
    Ok(counts)
}

/// Orders flagged "needs attention" (counted over the partial index that holds only them).
pub async fn attention_count(db: &Database, scope: &super::accounts::Scope) -> Result<i64> {
    let mut binds = Vec::new();
    let condition = scope.order_condition("", &mut binds);
    let sql = format!(
        "SELECT COUNT(*) AS n FROM orders WHERE attention_reason IS NOT NULL AND {condition}"
    );
    let query = query::with_binds(&sql, &binds);
    Ok(query.fetch_one(&db.reader).await?.try_get("n")?)
}

/// Why an order needs attention and since when (epoch ms), if it does.
pub async fn attention(db: &Database, id: OrderId) -> Result<Option<(String, i64)>> {
    let row = sqlx::query("SELECT attention_reason, attention_since FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&db.reader)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let reason: Option<String> = row.try_get("attention_reason")?;
    let since: Option<i64> = row.try_get("attention_since")?;
    Ok(reason.zip(since))
}

/// The orders held for `reason` (of `store`, or of every store), in a write transaction.
/// Held orders sit in the On Hold tab (`orders_by_tab`); the reason is read from the state
/// each holds, since a held order carries its holds only there.
pub async fn held(
    tx: &mut Tx<'_>,
    store: Option<StoreId>,
    reason: dropflow_core::hold::HoldReason,
) -> Result<Vec<OrderId>> {
    let rows =
        sqlx::query("SELECT id, state FROM orders WHERE tab = $1 AND ($2 = '' OR store_id = $2)")
            .bind(Tab::OnHold.as_str())
            .bind(store.map(|s| s.to_string()).unwrap_or_default())
            .fetch_all(&mut **tx)
            .await?;
    let mut held = Vec::new();
    for row in &rows {
        let state: OrderState = from_json("orders.state", &row.try_get::<String, _>("state")?)?;
        if state.hold(reason).is_some() {
            held.push(parse_id("orders.id", &row.try_get::<String, _>("id")?)?);
        }
    }
    Ok(held)
}

/// One order line as stored.
#[derive(Debug, Clone)]
pub struct OrderLine {
    pub position: i64,
    pub external_id: String,
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    pub sku: Option<String>,
    pub title: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub requires_shipping: bool,
    pub variant_words: Vec<dropflow_core::variant::VariantWord>,
}

/// One timeline entry.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub detail: serde_json::Value,
    pub receipt_id: Option<String>,
}

/// What the customer was charged besides the lines, from the store's latest snapshot, in
/// minor units of the order's `currency` (`dropflow_core::intake::OrderAmounts`). Orders
/// stored before these were kept show zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargedAmounts {
    pub shipping_minor: i64,
    pub discounts_minor: i64,
    pub taxes_minor: i64,
    pub taxes_included: bool,
}

/// Everything about one order.
#[derive(Debug, Clone)]
pub struct OrderDetail {
    pub summary: OrderSummary,
    pub amounts: ChargedAmounts,
    pub state: OrderState,
    pub customer: Option<Customer>,
    pub shipping_address: Option<PostalAddress>,
    pub lines: Vec<OrderLine>,
    pub timeline: Vec<TimelineEntry>,
}

/// Finds an order by our id, or by its name (`#1001`) or store id when unambiguous.
pub async fn resolve(
    db: &Database,
    scope: &super::accounts::Scope,
    reference: &str,
) -> Result<Option<OrderId>> {
    let mut binds = Vec::new();
    let by_id = reference.parse::<OrderId>().is_ok();
    let matching = if by_id {
        binds.push(reference.to_string());
        "id = $1".to_string()
    } else {
        let bare = reference.trim().trim_start_matches('#');
        binds.push(format!("#{bare}"));
        binds.push(bare.to_string());
        "(name = $1 OR external_id = $2)".to_string()
    };
    let condition = scope.order_condition("", &mut binds);
    let sql = format!("SELECT id FROM orders WHERE {matching} AND {condition} LIMIT 2");
    let query = query::with_binds(&sql, &binds);
    let rows = query.fetch_all(&db.reader).await?;
    match rows.as_slice() {
        [one] => Ok(Some(parse_id(
            "orders.id",
            &one.try_get::<String, _>("id")?,
        )?)),
        [] => Ok(None),
        _ => Err(StorageError::Conflict(format!(
            "{reference:?} matches several orders: use the order id"
        ))),
    }
}

/// What buying for an order needs to know: its state, who gets it and where. One row, no
/// lines or timeline (placing reads this for every purchase).
pub struct PurchaseView {
    pub state: OrderState,
    pub customer: Option<Customer>,
    pub shipping_address: Option<PostalAddress>,
}

pub async fn purchase_view(db: &Database, id: OrderId) -> Result<Option<PurchaseView>> {
    let Some(row) =
        sqlx::query("SELECT state, customer, shipping_address FROM orders WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&db.reader)
            .await?
    else {
        return Ok(None);
    };
    Ok(Some(PurchaseView {
        state: row.json("state")?,
        customer: row.json_opt("customer")?,
        shipping_address: row.json_opt("shipping_address")?,
    }))
}

pub async fn get(db: &Database, id: OrderId) -> Result<Option<OrderDetail>> {
    let mut conn = db.reader.acquire().await?;
    detail(&mut conn, id).await
}

/// [`get`] inside the caller's transaction (an action deciding under the order's lock reads
/// what it decides on through the connection it already holds).
pub async fn get_in(tx: &mut Tx<'_>, id: OrderId) -> Result<Option<OrderDetail>> {
    detail(tx, id).await
}

async fn detail(conn: &mut sqlx::AnyConnection, id: OrderId) -> Result<Option<OrderDetail>> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS}, customer, shipping_address, shipping_minor, discounts_minor,
            taxes_minor, taxes_included
         FROM orders WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let summary = summary_from_row(&row)?;
    let state: OrderState = row.json("state")?;
    let customer = row.json_opt("customer")?;
    let shipping_address = row.json_opt("shipping_address")?;
    let amounts = from_row!(row => ChargedAmounts {
        shipping_minor, discounts_minor, taxes_minor;
        taxes_included: row.try_get::<i64, _>("taxes_included")? != 0,
    });
    let lines = sqlx::query(
        "SELECT position, external_id, product_id, variant_id, sku, title, quantity,
            unit_price_minor, requires_shipping, variant_words
         FROM order_lines WHERE order_id = $1 ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(from_row!(r => OrderLine {
            position, external_id, product_id, variant_id, sku, title, quantity,
            unit_price_minor;
            requires_shipping: r.try_get::<i64, _>("requires_shipping")? != 0,
            variant_words: super::codec::variant_words(r.try_get("variant_words")?)?,
        }))
    })
    .collect::<Result<Vec<_>>>()?;
    let timeline = sqlx::query(
        "SELECT at, actor, kind, detail, receipt_id FROM order_events
         WHERE order_id = $1 ORDER BY id",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(TimelineEntry {
            at: from_ms(r.try_get("at")?),
            actor: r.try_get("actor")?,
            kind: r.try_get("kind")?,
            detail: from_json::<serde_json::Value>(
                "order_events.detail",
                &r.try_get::<String, _>("detail")?,
            )?,
            receipt_id: r.try_get("receipt_id")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(Some(OrderDetail {
        summary,
        amounts,
        state,
        customer,
        shipping_address,
        lines,
        timeline,
    }))
}
