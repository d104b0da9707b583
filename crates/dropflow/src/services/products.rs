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
use crate::storage::offer_readings::{self, OfferKey, Standing};
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

/// One mapped store item as listed.
#[derive(Debug, Clone)]
pub struct Product {
    pub key_kind: KeyKind,
    pub key_value: String,
    pub title: Option<String>,
    pub offered: Offered,
    pub offers: Vec<ProductOffer>,
    pub mapped_at: DateTime<Utc>,
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
        .map(|o| {
            (
                o.supplier.kind.as_str().to_string(),
                o.supplier_sku_id.clone(),
            )
        })
        .collect();
    let read = offer_readings::of(&ctx.db, &keys).await?;
    let products = page
        .into_iter()
        .map(|m| product(m, &read, &policy, &rates))
        .filter(|p| !query.out_of_stock || p.offered.out_everywhere)
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
    let mut offers = Vec::new();
    for (component, part) in now.components.iter_mut().enumerate() {
        for offer in part.offers.iter_mut() {
            let key = (
                offer.supplier.kind.as_str().to_string(),
                offer.supplier_sku_id.clone(),
            );
            let reading = read.get(&key).cloned();
            let newer = reading
                .as_ref()
                .filter(|r| r.read_at.is_some_and(|at| at > mapped_at));
            let (mapped_stock, mapped_cost) = (offer.stock, offer.unit_cost);
            if let Some(r) = newer {
                if let Some(stock) = r.stock {
                    offer.stock = Some(u32::try_from(stock).unwrap_or(0));
                }
                let cost = r
                    .currency
                    .as_deref()
                    .and_then(|c| Currency::from_code(c).ok());
                if let (Some(minor), Some(currency)) = (r.unit_cost_minor, cost) {
                    offer.unit_cost = Money::new(minor, currency);
                }
            }
            offers.push(ProductOffer {
                component,
                supplier: key.0,
                account: offer.supplier.account.clone(),
                supplier_product_id: offer.supplier_product_id.clone(),
                supplier_sku_id: offer.supplier_sku_id.clone(),
                priority: offer.priority,
                mapped_stock,
                mapped_cost,
                stock: offer.stock,
                read: reading,
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
    }
}
