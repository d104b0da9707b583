//! The leased variants of one store, a batch at a time: read (the variants, their mappings,
//! their offers' readings, the policy and rates), decide each in
//! `dropflow_core::inventory::decide`, write the differences in one call of the store's
//! batch size, and record every answer in one transaction.
//!
//! A batch the store could not take (rate limit, timeout) stays leased and the job is
//! retried; a variant the store refused is recorded with its words (shown on the products
//! page) and not retried as is: the next change of its suppliers asks again. A rise above
//! the policy's ceiling is kept as held until a person approves that price.

use super::{store_id, Services};
use crate::fulfilment::catalogue::as_read;
use crate::fulfilment::store_access::{job_failure, store_admin};
use crate::platforms::admin_catalogue::{CatalogueAccess, VariantWrite, WriteResult};
use crate::storage::catalog::{self, KeyKind, StoredMapping};
use crate::storage::store_variants::{self, Settled, StoredVariant};
use crate::storage::{fx_rates, now_ms, offer_readings};
use dropflow_core::fx::RateTable;
use dropflow_core::ids::StoreId;
use dropflow_core::inventory::{self, Decision, Policy, PriceNote, StoreVariant};
use dropflow_core::money::Money;
use std::collections::{BTreeMap, BTreeSet};

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    let store_id = store_id(payload)?;
    let lease_until = payload
        .get("lease_until")
        .and_then(|v| v.as_i64())
        .ok_or_else(|| anyhow::anyhow!("the job payload has no lease_until"))?;
    write(services, store_id, lease_until).await
}

/// Writes what the suppliers make of the variants leased until `lease_until`.
pub async fn write(services: &Services, store_id: StoreId, lease_until: i64) -> anyhow::Result<()> {
    let db = &services.db;
    let (platform, admin) = store_admin(services, store_id).await?;
    let Some(catalogue) = admin.catalogue() else {
        tracing::info!(store = %store_id, platform = platform.as_str(),
            "this store's connector does not write its catalogue");
        return Ok(());
    };
    let policy = super::policy(db, store_id).await?;
    let rates = fx_rates::all(db).await?;
    let batch = i64::try_from(catalogue.write_batch_limit().max(1)).unwrap_or(100);
    let mut after = String::new();
    loop {
        let leased = store_variants::leased(db, store_id, lease_until, &after, batch).await?;
        let Some(last) = leased.last() else { break };
        after = last.shown.variant_id.clone();
        let decided = decide_batch(services, store_id, &leased, &policy, &rates).await?;
        let (settled, products) = write_batch(services, store_id, catalogue, &decided).await?;
        record_batch(services, store_id, lease_until, &settled, &products).await?;
    }
    Ok(())
}

/// Records what a batch settled, in one transaction: each variant's row (cleared unless
/// marked again since the lease) and, where the platform hides whole products, every variant
/// of a product put on sale or hidden.
pub(crate) async fn record_batch(
    services: &Services,
    store_id: StoreId,
    lease_until: i64,
    settled: &[Settled],
    products: &[(String, bool)],
) -> anyhow::Result<()> {
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    for one in settled {
        store_variants::record(&mut tx, store_id, lease_until, one, now).await?;
    }
    // Where the platform hides whole products, every variant of one shows what was set.
    for (product_id, published) in products {
        store_variants::set_product_published(&mut tx, store_id, product_id, *published).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What a batch settled: every variant's row, and the products put on sale or hidden whole
/// (their id, on sale).
pub(crate) type SettledBatch = (Vec<Settled>, Vec<(String, bool)>);

/// One leased variant and what its suppliers make of it (`None`: no mapping names it, so
/// nothing of it is dropflow's to write).
pub(crate) struct Decided<'a> {
    pub(crate) row: &'a StoredVariant,
    pub(crate) decision: Option<Decision>,
}

/// Decides each of a batch of leased variants over its mapping as its suppliers were last
/// read (the mappings and readings of the whole batch read at once).
pub(crate) async fn decide_batch<'a>(
    services: &Services,
    store_id: StoreId,
    leased: &'a [StoredVariant],
    policy: &Policy,
    rates: &RateTable,
) -> anyhow::Result<Vec<Decided<'a>>> {
    let db = &services.db;
    let variant_ids: Vec<&str> = leased.iter().map(|v| v.shown.variant_id.as_str()).collect();
    let skus: Vec<&str> = leased
        .iter()
        .filter_map(|v| v.shown.sku.as_deref())
        .collect();
    let mappings = catalog::of_keys(db, store_id, &variant_ids, &skus).await?;
    let by_key: BTreeMap<(KeyKind, &str), &StoredMapping> = mappings
        .iter()
        .map(|m| ((m.key_kind, m.key_value.as_str()), m))
        .collect();
    let keys: Vec<offer_readings::OfferKey> = mappings
        .iter()
        .flat_map(|m| m.mapping.components.iter())
        .flat_map(|c| c.offers.iter())
        .map(crate::storage::offer_readings::key_of)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let read = offer_readings::of(db, &keys).await?;
    Ok(leased
        .iter()
        .map(|row| {
            // As routing finds a line's mapping: by variant id first, then by SKU.
            let found = by_key
                .get(&(KeyKind::Variant, row.shown.variant_id.as_str()))
                .or_else(|| {
                    row.shown
                        .sku
                        .as_deref()
                        .and_then(|sku| by_key.get(&(KeyKind::Sku, sku)))
                });
            // An offer followed at its supplier but not read yet leaves the variant as it
            // is: the mapping's own figures may be placeholders, and a price written from
            // them would make the first real reading look like a rise to hold. The first
            // reading marks the variant due again.
            let decision = found
                .filter(|stored| !awaits_first_read(&stored.mapping, &read))
                .map(|stored| {
                    let mut mapping = stored.mapping.clone();
                    as_read(&mut mapping, stored.updated_at.timestamp_millis(), &read);
                    inventory::decide(&mapping, &shown(row, policy), policy, rates)
                });
            Decided { row, decision }
        })
        .collect())
}

/// Whether an offer of `mapping` is followed at its supplier and was never read.
fn awaits_first_read(
    mapping: &dropflow_core::catalog::Mapping,
    read: &BTreeMap<offer_readings::OfferKey, offer_readings::Standing>,
) -> bool {
    mapping
        .components
        .iter()
        .flat_map(|c| c.offers.iter())
        .any(|o| {
            read.get(&offer_readings::key_of(o))
                .is_some_and(|r| r.read_at.is_none())
        })
}

/// What the store shows for `row`, in the policy's currency.
fn shown(row: &StoredVariant, policy: &Policy) -> StoreVariant {
    StoreVariant {
        stock: row.shown.stock.map(|s| u32::try_from(s).unwrap_or(0)),
        published: row.shown.published,
        unpublished_by_us: row.unpublished_by_us,
        price: Money::new(row.shown.price_minor, policy.currency),
        approved_price: row
            .approved_price_minor
            .map(|minor| Money::new(minor, policy.currency)),
    }
}

/// Writes the batch's differences in one call and settles every variant of it; also the
/// products put on sale or hidden whole (a platform that publishes products only).
async fn write_batch(
    services: &Services,
    store_id: StoreId,
    catalogue: &dyn CatalogueAccess,
    decided: &[Decided<'_>],
) -> anyhow::Result<SettledBatch> {
    let publishes_variants = catalogue.publishes_variants();
    let writes = planned(services, store_id, publishes_variants, decided).await?;
    let sent = to_send(decided, &writes);
    let answers: BTreeMap<String, WriteResult> = if sent.is_empty() {
        BTreeMap::new()
    } else {
        catalogue
            .write_variants(&sent)
            .await
            .map_err(|error| job_failure(error, store_id, "writing the store's catalogue"))?
            .into_iter()
            .map(|a| (a.variant_id, a.result))
            .collect()
    };
    settle(decided, &writes, &answers, publishes_variants)
}

/// The writes a batch sends, by the variant's index in `decided`: each decision's
/// differences, a hide kept only where the platform can hide that variant alone or its whole
/// product is out (`publishes_variants`: the platform's `CatalogueAccess::publishes_variants`).
pub(crate) async fn planned(
    services: &Services,
    store_id: StoreId,
    publishes_variants: bool,
    decided: &[Decided<'_>],
) -> anyhow::Result<Vec<(usize, inventory::Writes)>> {
    let mut writes: Vec<(usize, inventory::Writes)> = decided
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.decision.as_ref().map(|d| (i, d.writes.clone())))
        .filter(|(_, w)| !w.is_empty())
        .collect();
    if !publishes_variants {
        whole_products_only(services, store_id, decided, &mut writes).await?;
    }
    Ok(writes)
}

/// What the store is sent for the `writes` of `decided`.
pub(crate) fn to_send(
    decided: &[Decided<'_>],
    writes: &[(usize, inventory::Writes)],
) -> Vec<VariantWrite> {
    writes
        .iter()
        .map(|(i, w)| {
            let row = decided[*i].row;
            VariantWrite {
                variant_id: row.shown.variant_id.clone(),
                product_id: row.shown.product_id.clone(),
                inventory_item_id: row.shown.inventory_item_id.clone(),
                stock: w.stock,
                published: w.published,
                price: w.price.map(|p| p.to_decimal_string()),
            }
        })
        .collect()
}

/// Settles every variant of the batch by the store's `answers` (by variant id) to `writes`:
/// what it shows now, what was written or refused, a rise held; also the products put on
/// sale or hidden whole. A variant written but not answered is left out (still leased).
pub(crate) fn settle(
    decided: &[Decided<'_>],
    writes: &[(usize, inventory::Writes)],
    answers: &BTreeMap<String, WriteResult>,
    publishes_variants: bool,
) -> anyhow::Result<SettledBatch> {
    let wrote: BTreeMap<usize, &inventory::Writes> = writes.iter().map(|(i, w)| (*i, w)).collect();
    let mut settled = Vec::with_capacity(decided.len());
    let mut products = Vec::new();
    for (i, d) in decided.iter().enumerate() {
        let row = d.row;
        let held = d.decision.as_ref().and_then(|d| match d.price_note {
            Some(PriceNote::RiseHeld { to, .. }) => Some(to.minor),
            _ => None,
        });
        let mut one = Settled {
            variant_id: row.shown.variant_id.clone(),
            stock: row.shown.stock,
            published: row.shown.published,
            unpublished_by_us: row.unpublished_by_us,
            price_minor: row.shown.price_minor,
            wrote: None,
            refused: None,
            held_price_minor: held,
        };
        if let Some(w) = wrote.get(&i) {
            match answers.get(&row.shown.variant_id) {
                Some(WriteResult::Written) => {
                    one.stock = w.stock.map(i64::from).or(one.stock);
                    if let Some(published) = w.published {
                        one.published = published;
                        one.unpublished_by_us = !published;
                        if !publishes_variants {
                            products.push((row.shown.product_id.clone(), published));
                        }
                    }
                    one.price_minor = w.price.map_or(one.price_minor, |p| p.minor);
                    one.wrote = Some(serde_json::to_string(w)?);
                }
                Some(WriteResult::Refused(why)) => one.refused = Some(why.clone()),
                // Not answered: left leased, so it is written again once the lease ends.
                None => continue,
            }
        }
        settled.push(one);
    }
    Ok((settled, products))
}

/// A platform that publishes whole products (Shopify) hides a product only when every one of
/// its variants is sold out: a `published: false` is kept only then (each variant of the
/// product decided out in this batch, or shown at 0 in the store); showing one again is
/// always kept.
async fn whole_products_only(
    services: &Services,
    store_id: StoreId,
    decided: &[Decided<'_>],
    writes: &mut Vec<(usize, inventory::Writes)>,
) -> anyhow::Result<()> {
    let decided_out: BTreeMap<&str, bool> = decided
        .iter()
        .filter_map(|d| {
            let stock = d.decision.as_ref()?.stock;
            Some((d.row.shown.variant_id.as_str(), stock == Some(0)))
        })
        .collect();
    let mut product_out: BTreeMap<String, bool> = BTreeMap::new();
    for (i, w) in writes.iter_mut() {
        if w.published != Some(false) {
            continue;
        }
        let product = decided[*i].row.shown.product_id.clone();
        let out = match product_out.get(&product) {
            Some(out) => *out,
            None => {
                let siblings = store_variants::of_product(&services.db, store_id, &product).await?;
                let out = siblings.iter().all(|s| {
                    decided_out
                        .get(s.shown.variant_id.as_str())
                        .copied()
                        .unwrap_or(s.shown.stock == Some(0))
                });
                product_out.insert(product, out);
                out
            }
        };
        if !out {
            w.published = None;
        }
    }
    writes.retain(|(_, w)| !w.is_empty());
    Ok(())
}
