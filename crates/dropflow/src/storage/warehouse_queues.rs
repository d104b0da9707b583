//! The warehouse operator's work lists: items waiting for inspection, orders ready to pack,
//! paid packages to dispatch. Every list is limited to the viewer's scope (the same orders
//! condition as every order read) and bounded, oldest work first.

use super::accounts::Scope;
use super::codec::{from_row, to_json, RowExt};
use super::{query, Database, Result};
use chrono::{DateTime, Utc};
use dropflow_core::warehouse::consolidation::ItemState;
use dropflow_core::warehouse::rates::Quote;
use dropflow_core::warehouse::stage::WarehouseStage;
use sqlx::any::AnyRow;
use sqlx::Row;

/// An arrived item waiting for its inspection.
#[derive(Debug, Clone)]
pub struct ToInspect {
    pub item_id: String,
    pub order_id: String,
    pub order_name: String,
    pub title: String,
    /// The store's SKU or variant id of the line (what the operator compares with the label).
    pub variant: Option<String>,
    pub quantity: i64,
    pub arrived_at: Option<DateTime<Utc>>,
}

/// An order whose items are all cleared: to be packed.
#[derive(Debug, Clone)]
pub struct ToPack {
    pub order_id: String,
    pub order_name: String,
    pub store_id: String,
    /// What goes in with the goods: the store's branding (logo, thank-you card text).
    pub branding: crate::storage::branding::Branding,
    pub items: i64,
}

/// A package whose fee is paid: to be labelled and handed over.
#[derive(Debug, Clone)]
pub struct ToDispatch {
    pub package_id: String,
    pub order_id: String,
    pub order_name: String,
    pub carrier_code: Option<String>,
    /// The carrier and service of the quote chosen (from the quotes offered at packing).
    pub carrier: Option<String>,
    pub service: Option<String>,
    pub weight_g: i64,
    pub due_at: Option<DateTime<Utc>>,
    pub late: bool,
}

/// Runs `sql` (whose `{condition}` is the scope's orders condition on `o.`) with `first`
/// binds before the scope's.
async fn scoped(
    db: &Database,
    scope: &Scope,
    first: Vec<String>,
    sql: impl Fn(&str) -> String,
) -> Result<Vec<AnyRow>> {
    let mut binds = first;
    let condition = scope.order_condition("o.", &mut binds);
    let sql = sql(&condition);
    let query = query::with_binds(&sql, &binds);
    Ok(query.fetch_all(&db.reader).await?)
}

/// Items that arrived and wait for inspection, oldest arrival first, at most `limit`.
pub async fn to_inspect(db: &Database, scope: &Scope, limit: i64) -> Result<Vec<ToInspect>> {
    let arrived = to_json(&ItemState::Arrived)?;
    let rows = scoped(db, scope, vec![arrived], |condition| {
        format!(
            "SELECT i.id AS item_id, i.order_id, o.name AS order_name, i.title, i.quantity,
                    i.arrived_at,
                    COALESCE(l.sku, l.variant_id) AS variant
             FROM warehouse_items i
             JOIN orders o ON o.id = i.order_id
             LEFT JOIN order_lines l ON l.order_id = i.order_id AND l.position = i.line_position
             WHERE i.state = $1 AND {condition}
             ORDER BY i.arrived_at, i.id LIMIT {}",
            limit.clamp(1, 500)
        )
    })
    .await?;
    rows.iter()
        .map(|r| {
            Ok(from_row!(r => ToInspect {
                item_id, order_id, order_name, title, variant, quantity;
                arrived_at: r.at_opt("arrived_at")?,
            }))
        })
        .collect()
}

/// Orders at stage `inspected`, longest waiting first, at most `limit`.
pub async fn to_pack(db: &Database, scope: &Scope, limit: i64) -> Result<Vec<ToPack>> {
    let stage = WarehouseStage::Inspected.as_str().to_string();
    let rows = scoped(db, scope, vec![stage], |condition| {
        format!(
            "SELECT w.order_id, o.name AS order_name, w.store_id, b.logo_type, b.card_text, b.include_logo,
                    b.include_card,
                    (SELECT COUNT(*) FROM warehouse_items i
                     WHERE i.order_id = w.order_id AND i.package_id IS NULL) AS items
             FROM warehouse_legs w
             JOIN orders o ON o.id = w.order_id
             LEFT JOIN store_branding b ON b.store_id = w.store_id
             WHERE w.stage = $1 AND {condition}
             ORDER BY w.updated_at, w.order_id LIMIT {}",
            limit.clamp(1, 500)
        )
    })
    .await?;
    rows.iter()
        .map(|r| {
            Ok(from_row!(r => ToPack {
                order_id, order_name, store_id, items;
                branding: crate::storage::branding::Branding {
                    logo_type: r
                        .try_get::<Option<String>, _>("logo_type")?
                        .as_deref()
                        .and_then(crate::storage::branding::ImageType::parse),
                    card_text: r
                        .try_get::<Option<String>, _>("card_text")?
                        .unwrap_or_default(),
                    include_logo: r.try_get::<Option<i64>, _>("include_logo")?.unwrap_or(0) != 0,
                    include_card: r.try_get::<Option<i64>, _>("include_card")?.unwrap_or(0) != 0,
                },
            }))
        })
        .collect()
}

/// Packages whose fee is paid and that have not left, soonest due first, at most `limit`.
pub async fn to_dispatch(db: &Database, scope: &Scope, limit: i64) -> Result<Vec<ToDispatch>> {
    let rows = scoped(db, scope, Vec::new(), |condition| {
        format!(
            "SELECT p.id AS package_id, p.order_id, o.name AS order_name, p.carrier_code, p.quotes, p.weight_g,
                    p.dispatch_due_at, p.late
             FROM warehouse_packages p
             JOIN orders o ON o.id = p.order_id
             WHERE p.fee_paid_at IS NOT NULL AND p.dispatched_at IS NULL AND {condition}
             ORDER BY p.dispatch_due_at, p.id LIMIT {}",
            limit.clamp(1, 500)
        )
    })
    .await?;
    rows.iter()
        .map(|r| {
            let carrier_code: Option<String> = r.try_get("carrier_code")?;
            let quotes: Vec<Quote> = r.json("quotes")?;
            let chosen = quotes
                .into_iter()
                .find(|q| Some(&q.code) == carrier_code.as_ref());
            Ok(from_row!(r => ToDispatch {
                package_id, order_id, order_name, weight_g;
                carrier: chosen.as_ref().map(|q| q.carrier.clone()),
                service: chosen.map(|q| q.service),
                carrier_code: carrier_code,
                due_at: r.at_opt("dispatch_due_at")?,
                late: r.try_get::<i64, _>("late")? != 0,
            }))
        })
        .collect()
}

/// The order a package belongs to (to check the caller's scope before acting on it).
pub async fn package_order(db: &Database, package_id: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT order_id FROM warehouse_packages WHERE id = $1")
        .bind(package_id)
        .fetch_optional(&db.reader)
        .await?;
    Ok(row.map(|r| r.try_get("order_id")).transpose()?)
}

/// The names of these orders (for the receiving desk's message), in the order given.
pub async fn order_names(db: &Database, order_ids: &[String]) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(order_ids.len());
    for id in order_ids.iter().take(20) {
        let row = sqlx::query("SELECT name FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.reader)
            .await?;
        if let Some(row) = row {
            names.push(row.try_get("name")?);
        }
    }
    Ok(names)
}
