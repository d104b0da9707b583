//! Orders: the writes that keep the axes, timeline, jobs and tab counts in one transaction,
//! and the reads behind the orders page.

use super::codec::{from_json, from_ms, ms, parse_id, to_json};
use super::{jobs, now_ms, Database, Result, StorageError, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::event::Actor;
use dropflow_core::hold::Hold;
use dropflow_core::ids::{OrderId, ReceiptId, StoreId};
use dropflow_core::intake::Customer;
use dropflow_core::intake::StoreOrder;
use dropflow_core::lifecycle::{self, Command, OrderState, Rejected, Transition};
use dropflow_core::payment::PaymentStatus;
use dropflow_core::procurement::Procurement;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::tab::Tab;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;

/// An order's state as read for a write, with the version that write must still find.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub id: OrderId,
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

/// Changes to the per-tab counters accumulated over a transaction, written once at the end.
#[derive(Debug, Default, Clone)]
pub struct TabDeltas(BTreeMap<&'static str, i64>);

impl TabDeltas {
    pub fn created(&mut self, tab: Tab) {
        *self.0.entry(Tab::All.as_str()).or_default() += 1;
        *self.0.entry(tab.as_str()).or_default() += 1;
    }
    pub fn moved(&mut self, from: Tab, to: Tab) {
        if from != to {
            *self.0.entry(from.as_str()).or_default() -= 1;
            *self.0.entry(to.as_str()).or_default() += 1;
        }
    }
    pub async fn write(&self, tx: &mut Tx<'_>) -> Result<()> {
        for (tab, delta) in self.0.iter().filter(|(_, d)| **d != 0) {
            sqlx::query("UPDATE tab_counts SET n = n + $1 WHERE tab = $2")
                .bind(*delta)
                .bind(*tab)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

/// Reads an order's state inside a write transaction, by the store's id for it.
pub async fn find_for_update(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    external_id: &str,
) -> Result<Option<Versioned>> {
    let row = sqlx::query(
        "SELECT id, state, version FROM orders WHERE store_id = $1 AND external_id = $2",
    )
    .bind(store_id.to_string())
    .bind(external_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| versioned_from_row(&r)).transpose()
}

/// Reads an order's state inside a write transaction, by our id.
pub async fn load_for_update(tx: &mut Tx<'_>, id: OrderId) -> Result<Option<Versioned>> {
    let row = sqlx::query("SELECT id, state, version FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| versioned_from_row(&r)).transpose()
}

fn versioned_from_row(row: &AnyRow) -> Result<Versioned> {
    Ok(Versioned {
        id: parse_id("orders.id", &row.try_get::<String, _>("id")?)?,
        state: from_json("orders.state", &row.try_get::<String, _>("state")?)?,
        version: row.try_get("version")?,
    })
}

/// Inserts a new order from its first snapshot, with its lines, timeline and follow-up jobs.
pub async fn insert(
    tx: &mut Tx<'_>,
    id: OrderId,
    store_id: StoreId,
    order: &StoreOrder,
    transition: &Transition,
    cause: &Cause,
    deltas: &mut TabDeltas,
) -> Result<()> {
    let now = now_ms();
    let state = &transition.state;
    sqlx::query(
        "INSERT INTO orders (id, store_id, external_id, name, currency, total_minor, state, tab,
            payment_status, procurement, version, customer, shipping_address, email,
            store_created_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $13, $14, $15, $15)",
    )
    .bind(id.to_string())
    .bind(store_id.to_string())
    .bind(&order.external_id)
    .bind(&order.name)
    .bind(order.currency.code())
    .bind(order.total.minor)
    .bind(to_json(state)?)
    .bind(state.tab().as_str())
    .bind(state.payment.as_str())
    .bind(state.procurement.as_str())
    .bind(order.customer.as_ref().map(to_json).transpose()?)
    .bind(order.shipping_address.as_ref().map(to_json).transpose()?)
    .bind(customer_email(order))
    .bind(order.created_at.map(ms))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    insert_lines(tx, id, order).await?;
    record(tx, id, transition, cause, now).await?;
    deltas.created(state.tab());
    Ok(())
}

/// Writes a transition of an existing order. Fails with `Conflict` if the order changed since
/// `current` was read (another process got there first): the caller re-reads and retries.
/// `snapshot` refreshes the order's descriptive columns from the store when given.
pub async fn update(
    tx: &mut Tx<'_>,
    current: &Versioned,
    snapshot: Option<&StoreOrder>,
    transition: &Transition,
    cause: &Cause,
    deltas: &mut TabDeltas,
) -> Result<()> {
    let now = now_ms();
    let state = &transition.state;
    let result = match snapshot {
        Some(order) => {
            sqlx::query(
                "UPDATE orders SET state = $1, tab = $2, payment_status = $3, procurement = $4,
                    version = version + 1, updated_at = $5, name = $6, total_minor = $7,
                    customer = $8, shipping_address = $9, email = $10
                 WHERE id = $11 AND version = $12",
            )
            .bind(to_json(state)?)
            .bind(state.tab().as_str())
            .bind(state.payment.as_str())
            .bind(state.procurement.as_str())
            .bind(now)
            .bind(&order.name)
            .bind(order.total.minor)
            .bind(order.customer.as_ref().map(to_json).transpose()?)
            .bind(order.shipping_address.as_ref().map(to_json).transpose()?)
            .bind(customer_email(order))
            .bind(current.id.to_string())
            .bind(current.version)
            .execute(&mut **tx)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE orders SET state = $1, tab = $2, payment_status = $3, procurement = $4,
                    version = version + 1, updated_at = $5
                 WHERE id = $6 AND version = $7",
            )
            .bind(to_json(state)?)
            .bind(state.tab().as_str())
            .bind(state.payment.as_str())
            .bind(state.procurement.as_str())
            .bind(now)
            .bind(current.id.to_string())
            .bind(current.version)
            .execute(&mut **tx)
            .await?
        }
    };
    if result.rows_affected() == 0 {
        return Err(StorageError::Conflict(format!(
            "order {} changed while this write was prepared",
            current.id
        )));
    }
    // Lines follow the store until purchasing starts; after that the supplier orders refer to
    // them and an edit in the store needs a person (issue: order edits after purchase).
    if let Some(order) = snapshot {
        if state.procurement == Procurement::NotStarted && state.cancel_reason.is_none() {
            sqlx::query("DELETE FROM order_lines WHERE order_id = $1")
                .bind(current.id.to_string())
                .execute(&mut **tx)
                .await?;
            insert_lines(tx, current.id, order).await?;
        }
    }
    record(tx, current.id, transition, cause, now).await?;
    deltas.moved(current.state.tab(), state.tab());
    Ok(())
}

/// Records that a delivery about an order arrived but changed nothing (a stale update).
pub async fn record_only(
    tx: &mut Tx<'_>,
    id: OrderId,
    transition: &Transition,
    cause: &Cause,
) -> Result<()> {
    record(tx, id, transition, cause, now_ms()).await
}

async fn insert_lines(tx: &mut Tx<'_>, id: OrderId, order: &StoreOrder) -> Result<()> {
    if order.lines.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "INSERT INTO order_lines (order_id, position, external_id, product_id, variant_id, sku,
            title, quantity, unit_price_minor, requires_shipping) VALUES ",
    );
    for i in 0..order.lines.len() {
        let b = i * 10;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9,
            b + 10
        ));
    }
    let mut query = sqlx::query(&sql);
    for (position, line) in order.lines.iter().enumerate() {
        query = query
            .bind(id.to_string())
            .bind(position as i64)
            .bind(&line.external_id)
            .bind(&line.product_id)
            .bind(&line.variant_id)
            .bind(&line.sku)
            .bind(&line.title)
            .bind(i64::from(line.quantity))
            .bind(line.unit_price.minor)
            .bind(i64::from(line.requires_shipping));
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Appends the transition's events and enqueues its follow-ups.
async fn record(
    tx: &mut Tx<'_>,
    id: OrderId,
    transition: &Transition,
    cause: &Cause,
    now: i64,
) -> Result<()> {
    if !transition.events.is_empty() {
        let mut sql = String::from(
            "INSERT INTO order_events (order_id, at, actor, kind, detail, receipt_id) VALUES ",
        );
        for i in 0..transition.events.len() {
            let b = i * 6;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            ));
        }
        let mut query = sqlx::query(&sql);
        let actor = cause.actor.label();
        let receipt = cause.receipt.map(|r| r.to_string());
        for event in &transition.events {
            query = query
                .bind(id.to_string())
                .bind(now)
                .bind(actor.clone())
                .bind(event.kind())
                .bind(to_json(event)?)
                .bind(receipt.clone());
        }
        query.execute(&mut **tx).await?;
    }
    for follow_up in &transition.follow_ups {
        let payload = serde_json::json!({ "order_id": id.to_string() });
        jobs::enqueue(tx, follow_up.job_kind(), &payload, Some(id), now).await?;
    }
    Ok(())
}

fn customer_email(order: &StoreOrder) -> Option<String> {
    order
        .customer
        .as_ref()
        .and_then(|c| c.email.as_deref())
        .map(|e| e.trim().to_ascii_lowercase())
}

/// Why a merchant's command could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("order not found")]
    NotFound,
    #[error(transparent)]
    Rejected(#[from] Rejected),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The coarse transactional call: reads the order, runs the pure transition, and writes the
/// new state, its events, its jobs and the tab counts in one transaction.
pub async fn apply(
    db: &Database,
    id: OrderId,
    command: Command,
    actor: &Actor,
) -> Result<Transition, ApplyError> {
    let mut tx = db.begin().await?;
    let current = load_for_update(&mut tx, id)
        .await?
        .ok_or(ApplyError::NotFound)?;
    let transition = lifecycle::transition(&current.state, command)?;
    let mut deltas = TabDeltas::default();
    let cause = Cause {
        actor: actor.clone(),
        receipt: None,
    };
    update(&mut tx, &current, None, &transition, &cause, &mut deltas).await?;
    deltas.write(&mut tx).await?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(transition)
}

// ---- reads ----

/// One row of the orders page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderSummary {
    #[schema(value_type = String, format = Uuid)]
    pub id: OrderId,
    #[schema(value_type = String, format = Uuid)]
    pub store_id: StoreId,
    /// The store's id for the order.
    pub external_id: String,
    /// The merchant's name for it ("#1001").
    pub name: String,
    #[schema(value_type = String)]
    pub tab: Tab,
    #[schema(value_type = String)]
    pub payment_status: PaymentStatus,
    #[schema(value_type = String)]
    pub procurement: Procurement,
    /// Total in minor units of `currency`.
    pub total_minor: i64,
    pub currency: String,
    #[schema(value_type = Vec<Object>)]
    pub holds: Vec<Hold>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which orders to list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub tab: Tab,
    /// Exact order name (with or without `#`), store order id, or customer e-mail.
    pub search: Option<String>,
    pub store_id: Option<StoreId>,
    /// Keyset cursor: list orders older than this one.
    pub before: Option<OrderId>,
    pub limit: u32,
}

const SUMMARY_COLUMNS: &str =
    "id, store_id, external_id, name, tab, state, total_minor, currency, created_at, updated_at";

/// A page of orders, newest first. Keyset pagination on the time-ordered id, so every page
/// costs the same however deep it is.
pub async fn list(db: &Database, query: &ListQuery) -> Result<Vec<OrderSummary>> {
    let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM orders WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
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
    if let Some(before) = query.before {
        param(&mut sql, " AND id < ?", before.to_string());
    }
    if let Some(search) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let bare = search.trim_start_matches('#');
        param(&mut sql, " AND (name = ?", format!("#{bare}"));
        param(&mut sql, " OR name = ?", search.to_string());
        param(&mut sql, " OR external_id = ?", search.to_string());
        param(&mut sql, " OR email = ?)", search.to_ascii_lowercase());
    }
    sql.push_str(&format!(
        " ORDER BY id DESC LIMIT {}",
        query.limit.clamp(1, 500)
    ));
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b.as_str());
    }
    let rows = q.fetch_all(&db.reader).await?;
    rows.iter().map(summary_from_row).collect()
}

fn summary_from_row(row: &AnyRow) -> Result<OrderSummary> {
    let state: OrderState = from_json("orders.state", &row.try_get::<String, _>("state")?)?;
    let tab: String = row.try_get("tab")?;
    Ok(OrderSummary {
        id: parse_id("orders.id", &row.try_get::<String, _>("id")?)?,
        store_id: parse_id("orders.store_id", &row.try_get::<String, _>("store_id")?)?,
        external_id: row.try_get("external_id")?,
        name: row.try_get("name")?,
        tab: Tab::parse(&tab)
            .ok_or_else(|| StorageError::Corrupt(format!("orders.tab {tab:?}")))?,
        payment_status: state.payment,
        procurement: state.procurement,
        total_minor: row.try_get("total_minor")?,
        currency: row.try_get("currency")?,
        holds: state.holds,
        cancel_reason: state.cancel_reason,
        created_at: from_ms(row.try_get("created_at")?),
        updated_at: from_ms(row.try_get("updated_at")?),
    })
}

/// Orders per tab, from the counters (constant time at any number of orders).
pub async fn tab_counts(db: &Database) -> Result<BTreeMap<String, i64>> {
    let rows = sqlx::query("SELECT tab, n FROM tab_counts")
        .fetch_all(&db.reader)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>("tab")?, r.try_get::<i64, _>("n")?)))
        .collect()
}

/// One order line as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
}

/// One timeline entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    /// `store:shopify`, `merchant:<token name>`, `system:<component>`.
    pub actor: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// The webhook delivery that carried the change, when one did.
    pub receipt_id: Option<String>,
}

/// Everything about one order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub summary: OrderSummary,
    #[schema(value_type = Object)]
    pub state: OrderState,
    #[schema(value_type = Option<Object>)]
    pub customer: Option<Customer>,
    #[schema(value_type = Option<Object>)]
    pub shipping_address: Option<PostalAddress>,
    pub lines: Vec<OrderLine>,
    pub timeline: Vec<TimelineEntry>,
}

/// Finds an order by our id, or by its name (`#1001`) or store id when unambiguous.
pub async fn resolve(db: &Database, reference: &str) -> Result<Option<OrderId>> {
    if let Ok(id) = reference.parse::<OrderId>() {
        return Ok(Some(id));
    }
    let bare = reference.trim().trim_start_matches('#');
    let rows = sqlx::query("SELECT id FROM orders WHERE name = $1 OR external_id = $2 LIMIT 2")
        .bind(format!("#{bare}"))
        .bind(bare)
        .fetch_all(&db.reader)
        .await?;
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

pub async fn get(db: &Database, id: OrderId) -> Result<Option<OrderDetail>> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS}, customer, shipping_address FROM orders WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&db.reader)
    .await?
    else {
        return Ok(None);
    };
    let summary = summary_from_row(&row)?;
    let state: OrderState = from_json("orders.state", &row.try_get::<String, _>("state")?)?;
    let customer = row
        .try_get::<Option<String>, _>("customer")?
        .map(|t| from_json("orders.customer", &t))
        .transpose()?;
    let shipping_address = row
        .try_get::<Option<String>, _>("shipping_address")?
        .map(|t| from_json("orders.shipping_address", &t))
        .transpose()?;
    let lines = sqlx::query(
        "SELECT position, external_id, product_id, variant_id, sku, title, quantity,
            unit_price_minor, requires_shipping
         FROM order_lines WHERE order_id = $1 ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(&db.reader)
    .await?
    .iter()
    .map(|r| {
        Ok(OrderLine {
            position: r.try_get("position")?,
            external_id: r.try_get("external_id")?,
            product_id: r.try_get("product_id")?,
            variant_id: r.try_get("variant_id")?,
            sku: r.try_get("sku")?,
            title: r.try_get("title")?,
            quantity: r.try_get("quantity")?,
            unit_price_minor: r.try_get("unit_price_minor")?,
            requires_shipping: r.try_get::<i64, _>("requires_shipping")? != 0,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let timeline = sqlx::query(
        "SELECT at, actor, kind, detail, receipt_id FROM order_events
         WHERE order_id = $1 ORDER BY id",
    )
    .bind(id.to_string())
    .fetch_all(&db.reader)
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
        state,
        customer,
        shipping_address,
        lines,
        timeline,
    }))
}

/// A webhook delivery as received.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub id: String,
    pub topic: String,
    pub received_at: DateTime<Utc>,
    /// The body exactly as the store sent it.
    pub body: String,
}

/// The raw delivery a timeline event points at, for "show me what the store sent".
pub async fn receipt(db: &Database, id: ReceiptId) -> Result<Option<Receipt>> {
    let row =
        sqlx::query("SELECT id, topic, received_at, body FROM webhook_receipts WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&db.reader)
            .await?;
    row.map(|r| {
        Ok(Receipt {
            id: r.try_get("id")?,
            topic: r.try_get("topic")?,
            received_at: from_ms(r.try_get("received_at")?),
            body: r.try_get("body")?,
        })
    })
    .transpose()
}
