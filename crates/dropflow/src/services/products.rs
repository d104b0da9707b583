//! The products list (issue 15): every mapped store item with its offers — each supplier's
//! stock and cost as mapped and as last read at the supplier, when it was read and will be
//! read next — and what the store's catalogue policy makes of them now
//! ([`dropflow_core::inventory::offered`]): the stock to publish, whether no offer can supply
//! it, the cost of buying one now and the rule's price.
//!
//! A reading newer than the mapping's own figure is the one used, as routing uses it.

use super::stores::store_in_scope;
use super::{ActionError, Caller, Context, MERCHANTS};
use crate::storage::catalog::{self, KeyKind, StoredMapping};
use crate::storage::codec::from_ms;
use crate::storage::fx_rates;
use crate::storage::now_ms;
use crate::storage::offer_readings::{self, OfferKey, Standing};
use crate::storage::store_variants::{self, StoredVariant};
use chrono::{DateTime, Utc};
use dropflow_core::inventory::{self, Offered, Policy};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use std::collections::BTreeMap;

/// Most products on one page.
pub const MAX_LIMIT: i64 = 500;

/// Which products, from where.
#[derive(Debug, Clone, Default)]
pub struct ProductsQuery {
    /// The cursor a page answered (`variant:123`): the page after it.
    pub after: Option<String>,
    pub limit: Option<i64>,
    /// Only those no offer can supply now.
    pub out_of_stock: bool,
    /// Only those whose store price leaves less than this margin (percent of the price) over
    /// the cost of buying one now.
    pub margin_below_pct: Option<u32>,
    /// Only those with a price rise held for a person.
    pub price_held: bool,
    /// Only those whose last write the store refused.
    pub write_refused: bool,
}

/// One offer as listed.
#[derive(Debug, Clone)]
pub struct ProductOffer {
    pub component: usize,
    pub supplier: String,
    pub account: String,
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    pub priority: i32,
    pub mapped_stock: Option<u32>,
    pub mapped_cost: Money,
    /// The stock used now: the reading when newer than the mapping, else the mapped one.
    pub stock: Option<u32>,
    pub read: Option<Standing>,
}

/// What the store shows for the item and what dropflow last did to it (`None` on a product:
/// the store's catalogue was not read yet, or has no such variant).
#[derive(Debug, Clone)]
pub struct InStore {
    pub variant_id: String,
    pub product_id: String,
    pub price: Money,
    pub stock: Option<i64>,
    pub published: bool,
    /// The store price's margin over the cost of buying one now, in basis points of the
    /// price (`None`: no cost, or a price of 0).
    pub margin_bp: Option<i64>,
    pub read_at: DateTime<Utc>,
    /// Due a comparison since then (a supplier changed): written at the next tick.
    pub write_due: bool,
    /// What dropflow last wrote (`stock`, `published`, `price` as set) and when.
    pub last_write: Option<serde_json::Value>,
    pub last_write_at: Option<DateTime<Utc>>,
    /// The store's words refusing the last write.
    pub write_error: Option<String>,
    /// The rule's price, held for a person as a rise above the ceiling.
    pub held_price: Option<Money>,
}

/// One mapped store item as listed.
#[derive(Debug, Clone)]
pub struct Product {
    pub key_kind: KeyKind,
    pub key_value: String,
    pub title: Option<String>,
    pub offered: Offered,
    pub offers: Vec<ProductOffer>,
    pub mapped_at: DateTime<Utc>,
    pub in_store: Option<InStore>,
}

/// A page of products and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct ProductsPage {
    pub currency: Currency,
    pub products: Vec<Product>,
    pub next_after: Option<String>,
}

fn bad(message: &str) -> ActionError {
    ActionError::Invalid(message.to_string())
}

/// `variant:123` → (variant, "123").
fn cursor(text: &str) -> Result<(KeyKind, &str), ActionError> {
    let (kind, value) = text
        .split_once(':')
        .ok_or_else(|| bad("after: the cursor a page answered (kind:key)"))?;
    let kind = KeyKind::parse(kind).map_err(|_| bad("after: the kind is variant or sku"))?;
    Ok((kind, value))
}

pub async fn list(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    query: ProductsQuery,
) -> Result<ProductsPage, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "see products", store).await?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad(&format!("limit: 1 to {MAX_LIMIT}")));
    }
    let after = query.after.as_deref().map(cursor).transpose()?;
    let policy: Policy = super::settings::catalogue_policy(ctx, caller, store).await?;
    let rates = fx_rates::all(&ctx.db).await?;
    let page = catalog::page(&ctx.db, store_id, after, limit).await?;
    let next_after = (page.len() as i64 == limit)
        .then(|| {
            page.last()
                .map(|m| format!("{}:{}", m.key_kind.as_str(), m.key_value))
        })
        .flatten();
    let keys: Vec<OfferKey> = page
        .iter()
        .flat_map(|m| m.mapping.components.iter())
        .flat_map(|c| c.offers.iter())
        .map(crate::storage::offer_readings::key_of)
        .collect();
    let read = offer_readings::of(&ctx.db, &keys).await?;
    let shown = shown_in_store(ctx, store_id, &page).await?;
    let products = page
        .into_iter()
        .map(|m| {
            let in_store = shown
                .get(&(m.key_kind, m.key_value.clone()))
                .map(|v| in_store(v, policy.currency));
            let mut product = product(m, &read, &policy, &rates);
            product.in_store = in_store.map(|mut s| {
                s.margin_bp = margin_bp(s.price, product.offered.cost);
                s
            });
            product
        })
        .filter(|p| wanted(p, &query))
        .collect();
    Ok(ProductsPage {
        currency: policy.currency,
        products,
        next_after,
    })
}

/// One mapping as listed: its offers with their readings, and what the policy makes of the
/// figures routing would use now.
fn product(
    stored: StoredMapping,
    read: &BTreeMap<OfferKey, Standing>,
    policy: &Policy,
    rates: &dropflow_core::fx::RateTable,
) -> Product {
    let mapped_at = stored.updated_at.timestamp_millis();
    let mut now = stored.mapping.clone();
    crate::fulfilment::catalogue::as_read(&mut now, mapped_at, read);
    let mut offers = Vec::new();
    for (component, (mapped, part)) in stored
        .mapping
        .components
        .iter()
        .zip(now.components.iter())
        .enumerate()
    {
        for (offer, used) in mapped.offers.iter().zip(part.offers.iter()) {
            offers.push(ProductOffer {
                component,
                supplier: offer.supplier.kind.as_str().to_string(),
                account: offer.supplier.account.clone(),
                supplier_product_id: offer.supplier_product_id.clone(),
                supplier_sku_id: offer.supplier_sku_id.clone(),
                priority: offer.priority,
                mapped_stock: offer.stock,
                mapped_cost: offer.unit_cost,
                stock: used.stock,
                read: read
                    .get(&crate::storage::offer_readings::key_of(offer))
                    .cloned(),
            });
        }
    }
    Product {
        offered: inventory::offered(&now, policy, rates, policy.currency),
        key_kind: stored.key_kind,
        key_value: stored.key_value,
        title: stored.title,
        offers,
        mapped_at: from_ms(mapped_at),
        in_store: None,
    }
}

/// Whether the product passes the query's filters.
fn wanted(p: &Product, query: &ProductsQuery) -> bool {
    let store = p.in_store.as_ref();
    (!query.out_of_stock || p.offered.out_everywhere)
        && query.margin_below_pct.is_none_or(|pct| {
            store
                .and_then(|s| s.margin_bp)
                .is_some_and(|m| m < i64::from(pct) * 100)
        })
        && (!query.price_held || store.is_some_and(|s| s.held_price.is_some()))
        && (!query.write_refused || store.is_some_and(|s| s.write_error.is_some()))
}

/// The store's variants of a page, by the key each mapping names (variant id, or SKU).
async fn shown_in_store(
    ctx: &Context,
    store_id: dropflow_core::ids::StoreId,
    page: &[StoredMapping],
) -> Result<BTreeMap<(KeyKind, String), StoredVariant>, ActionError> {
    let ids: Vec<&str> = page
        .iter()
        .filter(|m| m.key_kind == KeyKind::Variant)
        .map(|m| m.key_value.as_str())
        .collect();
    let skus: Vec<&str> = page
        .iter()
        .filter(|m| m.key_kind == KeyKind::Sku)
        .map(|m| m.key_value.as_str())
        .collect();
    let rows = store_variants::of_keys(&ctx.db, store_id, &ids, &skus).await?;
    let mut shown = BTreeMap::new();
    for row in rows {
        if let Some(sku) = row.shown.sku.clone() {
            shown.insert((KeyKind::Sku, sku), row.clone());
        }
        shown.insert((KeyKind::Variant, row.shown.variant_id.clone()), row);
    }
    Ok(shown)
}

fn in_store(v: &StoredVariant, currency: Currency) -> InStore {
    InStore {
        variant_id: v.shown.variant_id.clone(),
        product_id: v.shown.product_id.clone(),
        price: Money::new(v.shown.price_minor, currency),
        stock: v.shown.stock,
        published: v.shown.published,
        margin_bp: None,
        read_at: from_ms(v.read_at),
        write_due: v.write_due_at.is_some(),
        last_write: v
            .last_write
            .as_deref()
            .and_then(|w| serde_json::from_str(w).ok()),
        last_write_at: v.last_write_at.map(from_ms),
        write_error: v.write_error.clone(),
        held_price: v.held_price_minor.map(|m| Money::new(m, currency)),
    }
}

/// `(price − cost) / price` in basis points.
fn margin_bp(price: Money, cost: Option<Money>) -> Option<i64> {
    let cost = cost.filter(|c| c.currency == price.currency)?;
    if price.minor <= 0 {
        return None;
    }
    let margin = i128::from(price.minor - cost.minor) * 10_000 / i128::from(price.minor);
    i64::try_from(margin).ok()
}

/// A person approves a price rise held above the policy's ceiling: exactly `price_minor`,
/// the price held (a rise held since at another price needs its own approval). The variant
/// is written at the next tick. 409 when no rise to that price is held.
pub async fn approve_price(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    variant_id: &str,
    price_minor: i64,
) -> Result<(), ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "change prices", store).await?;
    let mut tx = ctx.db.begin().await?;
    let approved =
        store_variants::approve_price(&mut tx, store_id, variant_id, price_minor, now_ms()).await?;
    if !approved {
        return Err(ActionError::Conflict(format!(
            "no price rise to {price_minor} is held for variant {variant_id}"
        )));
    }
    super::audit::record(
        &mut tx,
        caller,
        Some(store),
        "product.price_approved",
        ("variant", variant_id),
        None,
        Some(serde_json::json!({ "price_minor": price_minor })),
    )
    .await?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    Ok(())
}

/// Reads the store's whole catalogue again now (a person asks; the follower does it daily).
pub async fn read_store_catalogue(
    ctx: &Context,
    caller: &Caller,
    store: &str,
) -> Result<(), ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "sync the catalogue", store).await?;
    if crate::storage::settings::admin_access(&ctx.db, store_id)
        .await?
        .is_none()
    {
        return Err(ActionError::Conflict(
            "the store has no Admin API access: set it first (PUT /api/v1/stores/{id}/admin)"
                .into(),
        ));
    }
    let now = now_ms();
    let mut tx = ctx.db.begin().await?;
    store_variants::catalogue_read(&mut tx, store_id, now).await?;
    crate::fulfilment::store_catalogue::read::queue(&mut tx, store_id, None, now).await?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    Ok(())
}
