//! Many order writes gathered in memory and flushed with one multi-row statement per table.
//!
//! Why: on SQLite every statement is a round trip to the connection's worker thread (~40 µs
//! measured by `bench ingest`), and an order write is six or seven statements. Gathering a
//! whole group-commit batch and writing each table once makes the per-order cost a share of a
//! few statements instead. Merchant commands use the same path with a batch of one, so there
//! is one way orders get written.
//!
//! Several changes to one order inside a batch collapse into one row write: a new order is
//! inserted in its final state, an existing one updated once, checked against the version it
//! had when first read (optimistic concurrency across processes on PostgreSQL).

use super::codec::{from_row, ms, to_json};
use super::jobs::DEFAULT_MAX_ATTEMPTS;
use super::orders::{Cause, Versioned};
use super::{now_ms, Result, StorageError, Tx};
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::intake::StoreOrder;
use dropflow_core::lifecycle::{OrderState, Transition};
use dropflow_core::tab::Tab;
use std::collections::BTreeMap;

/// The rows of one order's descriptive columns, taken from a store snapshot.
#[derive(Debug, Clone)]
struct Descriptive {
    external_id: String,
    name: String,
    currency: String,
    total_minor: i64,
    /// `dropflow_core::intake::OrderAmounts` in minor units (`taxes_included` as 0/1).
    shipping_minor: i64,
    discounts_minor: i64,
    taxes_minor: i64,
    taxes_included: i64,
    customer: Option<String>,
    shipping_address: Option<String>,
    email: Option<String>,
    /// `orders::customer_name_key`: the dashboard searches customers by name.
    customer_name: Option<String>,
    store_created_at: Option<i64>,
    lines: Vec<LineRow>,
}

#[derive(Debug, Clone)]
struct LineRow {
    external_id: String,
    product_id: Option<String>,
    variant_id: Option<String>,
    sku: Option<String>,
    title: String,
    quantity: i64,
    unit_price_minor: i64,
    requires_shipping: i64,
    /// `dropflow_core::variant::VariantWord`s as JSON.
    variant_words: String,
}

#[derive(Debug)]
enum Origin {
    New {
        store_id: StoreId,
    },
    Existing {
        version: i64,
        tab: Tab,
        store_id: StoreId,
    },
}

#[derive(Debug)]
struct OrderWrite {
    origin: Origin,
    state: OrderState,
    /// The latest snapshot seen in this batch, if any.
    descriptive: Option<Descriptive>,
}

#[derive(Debug)]
struct EventRow {
    order_id: OrderId,
    actor: String,
    kind: &'static str,
    detail: String,
    receipt: Option<String>,
}

#[derive(Debug)]
struct JobRow {
    kind: &'static str,
    order_id: OrderId,
}

/// Pending writes for one transaction.
#[derive(Debug, Default)]
pub struct WriteSet {
    orders: BTreeMap<OrderId, OrderWrite>,
    /// Orders of this batch by the store's id for them, so a later delivery finds an order
    /// an earlier one created.
    by_external: BTreeMap<(StoreId, String), OrderId>,
    events: Vec<EventRow>,
    jobs: Vec<JobRow>,
}

impl WriteSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// The state an order has in this batch so far, if the batch touched it.
    pub fn pending(&self, store_id: StoreId, external_id: &str) -> Option<Versioned> {
        let id = *self.by_external.get(&(store_id, external_id.to_string()))?;
        let write = self.orders.get(&id)?;
        Some(Versioned {
            id,
            store_id,
            state: write.state.clone(),
            version: match write.origin {
                Origin::New { .. } => 0,
                Origin::Existing { version, .. } => version,
            },
        })
    }

    /// A new order from its first snapshot.
    pub fn insert(
        &mut self,
        id: OrderId,
        store_id: StoreId,
        order: &StoreOrder,
        transition: &Transition,
        cause: &Cause,
    ) -> Result<()> {
        self.by_external
            .insert((store_id, order.external_id.clone()), id);
        self.orders.insert(
            id,
            OrderWrite {
                origin: Origin::New { store_id },
                state: transition.state.clone(),
                descriptive: Some(descriptive(order)?),
            },
        );
        self.record(id, transition, cause)
    }

    /// A transition of an order read as `current` (from the database or from this batch).
    /// `snapshot` refreshes its descriptive columns when the change came from the store.
    pub fn update(
        &mut self,
        current: &Versioned,
        snapshot: Option<&StoreOrder>,
        transition: &Transition,
        cause: &Cause,
    ) -> Result<()> {
        let descriptive = snapshot.map(descriptive).transpose()?;
        match self.orders.get_mut(&current.id) {
            Some(write) => {
                write.state = transition.state.clone();
                if descriptive.is_some() {
                    write.descriptive = descriptive;
                }
            }
            None => {
                self.orders.insert(
                    current.id,
                    OrderWrite {
                        origin: Origin::Existing {
                            version: current.version,
                            tab: current.state.tab(),
                            store_id: current.store_id,
                        },
                        state: transition.state.clone(),
                        descriptive,
                    },
                );
            }
        }
        self.record(current.id, transition, cause)
    }

    /// Remembers that `external_id` of `store_id` is order `id` (read from the database), so
    /// later deliveries of this batch find its pending state.
    pub fn remember(&mut self, store_id: StoreId, external_id: &str, id: OrderId) {
        self.by_external
            .insert((store_id, external_id.to_string()), id);
    }

    /// Only timeline events and follow-ups (a stale update changes no state).
    pub fn record(&mut self, id: OrderId, transition: &Transition, cause: &Cause) -> Result<()> {
        let actor = cause.actor.label();
        let receipt = cause.receipt.map(|r| r.to_string());
        for event in &transition.events {
            self.events.push(EventRow {
                order_id: id,
                actor: actor.clone(),
                kind: event.kind(),
                detail: to_json(event)?,
                receipt: receipt.clone(),
            });
        }
        for follow_up in &transition.follow_ups {
            self.jobs.push(JobRow {
                kind: follow_up.job_kind(),
                order_id: id,
            });
        }
        Ok(())
    }

    /// Writes everything. Fails with `Conflict` if an existing order changed since it was read.
    pub async fn flush(self, tx: &mut Tx<'_>) -> Result<()> {
        let now = now_ms();
        let mut deltas = super::orders::TabDeltas::default();
        let mut new_orders = Vec::new();
        let mut lines: Vec<(OrderId, usize, &LineRow)> = Vec::new();
        let mut replaced_lines: Vec<(OrderId, &[LineRow])> = Vec::new();
        for (id, write) in &self.orders {
            let tab = write.state.tab();
            match write.origin {
                Origin::New { store_id } => {
                    deltas.created(store_id, tab);
                    if let Some(d) = &write.descriptive {
                        new_orders.push((*id, store_id, write, d));
                        lines.extend(d.lines.iter().enumerate().map(|(i, l)| (*id, i, l)));
                    }
                }
                Origin::Existing {
                    version,
                    tab: before,
                    store_id,
                } => {
                    deltas.moved(store_id, before, tab);
                    update_order(tx, *id, version, write, now).await?;
                    // Lines always follow the store (a cancelled order keeps what was ordered).
                    // Supplier-order items refer to a line's position, which stays with the
                    // store's line id (`stable_positions`), so an edit never points a purchase
                    // at another line; what an edit means for what was bought is decided by
                    // the `order.reconcile_edit` job.
                    if let Some(d) = &write.descriptive {
                        if write.state.cancel_reason.is_none() {
                            replaced_lines.push((*id, d.lines.as_slice()));
                        }
                    }
                }
            }
        }
        insert_orders(tx, &new_orders, now).await?;
        let replaced = stable_positions(tx, &replaced_lines).await?;
        let ids: Vec<OrderId> = replaced_lines.iter().map(|(id, _)| *id).collect();
        delete_lines(tx, &ids).await?;
        lines.extend(replaced.iter().map(|(id, p, l)| (*id, *p, l)));
        insert_lines(tx, &lines).await?;
        insert_events(tx, &self.events, now).await?;
        insert_jobs(tx, &self.jobs, now).await?;
        deltas.write(tx).await
    }
}

fn descriptive(order: &StoreOrder) -> Result<Descriptive> {
    Ok(Descriptive {
        external_id: order.external_id.clone(),
        name: order.name.clone(),
        currency: order.currency.code().to_string(),
        total_minor: order.total.minor,
        shipping_minor: order.amounts.shipping.minor,
        discounts_minor: order.amounts.discounts.minor,
        taxes_minor: order.amounts.taxes.minor,
        taxes_included: i64::from(order.amounts.taxes_included),
        customer: order.customer.as_ref().map(to_json).transpose()?,
        shipping_address: order.shipping_address.as_ref().map(to_json).transpose()?,
        email: order
            .customer
            .as_ref()
            .and_then(|c| c.email.as_deref())
            .map(|e| e.trim().to_ascii_lowercase()),
        customer_name: order.customer.as_ref().and_then(|c| {
            super::orders::customer_name_key(c.first_name.as_deref(), c.last_name.as_deref())
        }),
        store_created_at: order.created_at.map(ms),
        lines: order
            .lines
            .iter()
            .map(|l| {
                Ok(LineRow {
                    external_id: l.external_id.clone(),
                    product_id: l.product_id.clone(),
                    variant_id: l.variant_id.clone(),
                    sku: l.sku.clone(),
                    title: l.title.clone(),
                    quantity: i64::from(l.quantity),
                    unit_price_minor: l.unit_price.minor,
                    requires_shipping: i64::from(l.requires_shipping),
                    variant_words: to_json(&l.variant_words)?,
                })
            })
            .collect::<Result<Vec<_>>>()?,
    })
}

/// How a statement writes its parameters. SQLite looks each `$n` up by name with a linear
/// scan when binding, so a multi-row INSERT with hundreds of `$n` binds in O(n²) (measured by
/// `bench ingest`: 13 % of the writer's time in `sqlite3_bind_parameter_name`); plain `?` is
/// bound by position. PostgreSQL only understands `$n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamStyle {
    Numbered,
    Positional,
}

impl ParamStyle {
    pub(crate) fn of(tx: &mut Tx<'_>) -> ParamStyle {
        if (**tx).backend_name().eq_ignore_ascii_case("sqlite") {
            ParamStyle::Positional
        } else {
            ParamStyle::Numbered
        }
    }

    /// `n` placeholders from the first, comma-separated: the inside of an `IN (…)` list.
    pub(crate) fn list(self, n: usize) -> String {
        (1..=n)
            .map(|i| self.param(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The placeholder for the `n`th parameter (1-based).
    pub(crate) fn param(self, n: usize) -> String {
        match self {
            ParamStyle::Numbered => format!("${n}"),
            ParamStyle::Positional => "?".to_string(),
        }
    }
}

/// `($1, $2, …), ($n+1, …)` (or `?`s) for `rows` rows of `columns` parameters.
pub(crate) fn placeholders(style: ParamStyle, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&style.param(row * columns + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// Splits rows into statements of 256, 128, …, 2, 1 rows. Each distinct row count is a
/// distinct SQL text that the engine must prepare; with power-of-two sizes a table needs at
/// most nine, so every statement stays in sqlx's prepared-statement cache (compiling a
/// thousand-parameter INSERT afresh for every batch costs more than running it). 256 rows
/// stay far below both engines' parameter limits (SQLite 32,766, PostgreSQL 65,535).
pub(crate) fn chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    chunks_of(rows, 256)
}

/// [`chunks`] with another largest size (`max` ≥ 1; a power of two keeps every size one).
pub(crate) fn chunks_of<T>(mut rows: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let max = max.max(1);
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let size = 1usize << rows.len().min(max).ilog2();
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

async fn insert_orders(
    tx: &mut Tx<'_>,
    rows: &[(OrderId, StoreId, &OrderWrite, &Descriptive)],
    now: i64,
) -> Result<()> {
    for chunk in chunks(rows) {
        let sql = format!(
            "INSERT INTO orders (id, store_id, external_id, name, currency, total_minor, state,
                tab, payment_status, procurement, version, customer, shipping_address, email,
                store_created_at, created_at, updated_at, customer_name, shipping_minor,
                discounts_minor, taxes_minor, taxes_included) VALUES {}",
            placeholders(ParamStyle::of(tx), chunk.len(), 22)
        );
        let mut query = sqlx::query(&sql);
        for (id, store_id, write, d) in chunk {
            let state = &write.state;
            query = query
                .bind(id.to_string())
                .bind(store_id.to_string())
                .bind(d.external_id.clone())
                .bind(d.name.clone())
                .bind(d.currency.clone())
                .bind(d.total_minor)
                .bind(to_json(state)?)
                .bind(state.tab().as_str())
                .bind(state.payment.as_str())
                .bind(state.procurement.as_str())
                .bind(1i64)
                .bind(d.customer.clone())
                .bind(d.shipping_address.clone())
                .bind(d.email.clone())
                .bind(d.store_created_at)
                .bind(now)
                .bind(now)
                .bind(d.customer_name.clone())
                .bind(d.shipping_minor)
                .bind(d.discounts_minor)
                .bind(d.taxes_minor)
                .bind(d.taxes_included);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn update_order(
    tx: &mut Tx<'_>,
    id: OrderId,
    version: i64,
    write: &OrderWrite,
    now: i64,
) -> Result<()> {
    let state = &write.state;
    let result = match &write.descriptive {
        Some(d) => {
            sqlx::query(
                "UPDATE orders SET state = $1, tab = $2, payment_status = $3, procurement = $4,
                    version = version + 1, updated_at = $5, name = $6, total_minor = $7,
                    customer = $8, shipping_address = $9, email = $10, customer_name = $13,
                    shipping_minor = $14, discounts_minor = $15, taxes_minor = $16,
                    taxes_included = $17
                 WHERE id = $11 AND version = $12",
            )
            .bind(to_json(state)?)
            .bind(state.tab().as_str())
            .bind(state.payment.as_str())
            .bind(state.procurement.as_str())
            .bind(now)
            .bind(d.name.clone())
            .bind(d.total_minor)
            .bind(d.customer.clone())
            .bind(d.shipping_address.clone())
            .bind(d.email.clone())
            .bind(id.to_string())
            .bind(version)
            .bind(d.customer_name.clone())
            .bind(d.shipping_minor)
            .bind(d.discounts_minor)
            .bind(d.taxes_minor)
            .bind(d.taxes_included)
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
            .bind(id.to_string())
            .bind(version)
            .execute(&mut **tx)
            .await?
        }
    };
    if result.rows_affected() == 0 {
        return Err(StorageError::Conflict(format!(
            "order {id} changed while this write was prepared"
        )));
    }
    Ok(())
}

/// The rows to write for orders whose lines the store sent again: each line keeps the
/// position its store id had (new ones go after the last), and a line the store no longer
/// sends stays with quantity 0 (removed), as Shopify keeps removed lines with
/// `current_quantity` 0 — so what a supplier order bought can always be compared with what
/// the customer now gets.
async fn stable_positions(
    tx: &mut Tx<'_>,
    orders: &[(OrderId, &[LineRow])],
) -> Result<Vec<(OrderId, usize, LineRow)>> {
    use sqlx::Row;
    let mut existing: BTreeMap<OrderId, Vec<(usize, LineRow)>> = BTreeMap::new();
    for chunk in chunks(orders) {
        let params = ParamStyle::of(tx).list(chunk.len());
        let sql = format!(
            "SELECT order_id, position, external_id, product_id, variant_id, sku, title,
                quantity, unit_price_minor, requires_shipping, variant_words
             FROM order_lines WHERE order_id IN ({params})"
        );
        let query = super::query::bind_ids(sqlx::query(&sql), chunk.iter().map(|(id, _)| id));
        for row in query.fetch_all(&mut **tx).await? {
            let order_id = super::codec::parse_id(
                "order_lines.order_id",
                &row.try_get::<String, _>("order_id")?,
            )?;
            let position = usize::try_from(row.try_get::<i64, _>("position")?).unwrap_or(0);
            existing.entry(order_id).or_default().push((
                position,
                from_row!(row => LineRow {
                    external_id, product_id, variant_id, sku, title, quantity, unit_price_minor,
                    requires_shipping, variant_words
                }),
            ));
        }
    }
    let mut rows = Vec::new();
    for (order_id, incoming) in orders {
        let before = existing.remove(order_id).unwrap_or_default();
        let mut next = before.iter().map(|(p, _)| p + 1).max().unwrap_or(0);
        let mut used = std::collections::BTreeSet::new();
        for line in incoming.iter() {
            let known = before
                .iter()
                .find(|(_, b)| b.external_id == line.external_id)
                .map(|(p, _)| *p)
                .filter(|p| !used.contains(p));
            // A new line (or a second line with one id, which a store should never send)
            // goes after the last.
            let position = known.unwrap_or_else(|| {
                next += 1;
                next - 1
            });
            used.insert(position);
            rows.push((*order_id, position, line.clone()));
        }
        for (position, mut gone) in before {
            if !incoming.iter().any(|l| l.external_id == gone.external_id) {
                gone.quantity = 0;
                rows.push((*order_id, position, gone));
            }
        }
    }
    Ok(rows)
}

async fn delete_lines(tx: &mut Tx<'_>, orders: &[OrderId]) -> Result<()> {
    for chunk in chunks(orders) {
        let params = ParamStyle::of(tx).list(chunk.len());
        let sql = format!("DELETE FROM order_lines WHERE order_id IN ({params})");
        let query = super::query::bind_ids(sqlx::query(&sql), chunk);
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_lines(tx: &mut Tx<'_>, lines: &[(OrderId, usize, &LineRow)]) -> Result<()> {
    for chunk in chunks(lines) {
        let sql = format!(
            "INSERT INTO order_lines (order_id, position, external_id, product_id, variant_id,
                sku, title, quantity, unit_price_minor, requires_shipping, variant_words)
             VALUES {}",
            placeholders(ParamStyle::of(tx), chunk.len(), 11)
        );
        let mut query = sqlx::query(&sql);
        for (id, position, line) in chunk {
            query = query
                .bind(id.to_string())
                .bind(*position as i64)
                .bind(line.external_id.clone())
                .bind(line.product_id.clone())
                .bind(line.variant_id.clone())
                .bind(line.sku.clone())
                .bind(line.title.clone())
                .bind(line.quantity)
                .bind(line.unit_price_minor)
                .bind(line.requires_shipping)
                .bind(line.variant_words.clone());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_events(tx: &mut Tx<'_>, events: &[EventRow], now: i64) -> Result<()> {
    for chunk in chunks(events) {
        let sql = format!(
            "INSERT INTO order_events (order_id, at, actor, kind, detail, receipt_id) VALUES {}",
            placeholders(ParamStyle::of(tx), chunk.len(), 6)
        );
        let mut query = sqlx::query(&sql);
        for event in chunk {
            query = query
                .bind(event.order_id.to_string())
                .bind(now)
                .bind(event.actor.clone())
                .bind(event.kind)
                .bind(event.detail.clone())
                .bind(event.receipt.clone());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_jobs(tx: &mut Tx<'_>, jobs: &[JobRow], now: i64) -> Result<()> {
    for chunk in chunks(jobs) {
        let sql = format!(
            "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, order_id,
                created_at, updated_at) VALUES {}",
            placeholders(ParamStyle::of(tx), chunk.len(), 9)
        );
        let mut query = sqlx::query(&sql);
        for job in chunk {
            let payload = serde_json::json!({ "order_id": job.order_id.to_string() });
            query = query
                .bind(job.kind)
                .bind(to_json(&payload)?)
                .bind("queued")
                .bind(0i64)
                .bind(DEFAULT_MAX_ATTEMPTS)
                .bind(now)
                .bind(job.order_id.to_string())
                .bind(now)
                .bind(now);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{chunks, placeholders, ParamStyle};

    #[test]
    fn rows_split_into_power_of_two_statements() {
        let rows: Vec<u32> = (0..300).collect();
        let sizes: Vec<usize> = chunks(&rows).map(<[u32]>::len).collect();
        assert_eq!(sizes, vec![256, 32, 8, 4]);
        let sizes: Vec<usize> = chunks(&rows[..49]).map(<[u32]>::len).collect();
        assert_eq!(sizes, vec![32, 16, 1]);
        assert_eq!(chunks(&rows[..0]).count(), 0);
    }

    #[test]
    fn placeholders_number_every_parameter_once() {
        assert_eq!(
            placeholders(ParamStyle::Numbered, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(placeholders(ParamStyle::Positional, 2, 2), "(?, ?), (?, ?)");
    }
}
