//! One page of a store's catalogue per job: read through the store's Admin API, kept in
//! `store_variants` (each marked due a comparison), and the next page queued in the same
//! transaction, so a read of 100,000 variants is many short jobs, each retried alone.

use super::{store_id, Services, READ_JOB};
use crate::fulfilment::store_access::{job_failure, store_admin};
use crate::platforms::admin_catalogue::StoreVariant;
use crate::storage::store_variants::{self, ReadVariant};
use crate::storage::{now_ms, Tx};
use dropflow_core::ids::StoreId;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;

/// Queues the read of the page after `after` (`None`: the first) of a read that began at
/// `started_at`.
pub async fn queue(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    after: Option<&str>,
    started_at: i64,
) -> crate::storage::Result<()> {
    let payload = serde_json::json!({
        "store_id": store_id.to_string(),
        "after": after,
        "started_at": started_at,
    });
    crate::storage::jobs::enqueue(tx, READ_JOB, &payload, None, now_ms()).await?;
    Ok(())
}

pub async fn run(services: &Services, payload: &serde_json::Value) -> anyhow::Result<()> {
    let store_id = store_id(payload)?;
    let after = payload.get("after").and_then(|v| v.as_str());
    let started_at = payload
        .get("started_at")
        .and_then(|v| v.as_i64())
        .unwrap_or_else(now_ms);
    let (platform, admin) = store_admin(services, store_id).await?;
    let Some(catalogue) = admin.catalogue() else {
        tracing::info!(store = %store_id, platform = platform.as_str(),
            "this store's connector does not read its catalogue");
        return Ok(());
    };
    let currency = super::policy(&services.db, store_id).await?.currency;
    let fetched_at = now_ms();
    let page = catalogue
        .catalogue_page(after)
        .await
        .map_err(|error| job_failure(error, store_id, "reading the store's catalogue"))?;
    let mut kept = Vec::with_capacity(page.variants.len());
    for variant in &page.variants {
        match kept_as(variant, currency) {
            Ok(read) => kept.push(read),
            // One unreadable price must not stop the rest of the catalogue: the variant is
            // left out (and so not written to) and said in the log by its ids only.
            Err(why) => tracing::warn!(store = %store_id, variant = %variant.variant_id,
                %why, "store variant left out of the catalogue"),
        }
    }
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    store_variants::upsert_read(&mut tx, store_id, &kept, fetched_at, now).await?;
    match page.next.as_deref() {
        Some(next) => queue(&mut tx, store_id, Some(next), started_at).await?,
        None => {
            let gone = store_variants::forget_unseen(&mut tx, store_id, started_at).await?;
            store_variants::catalogue_read(&mut tx, store_id, now).await?;
            tracing::info!(store = %store_id, gone, "store catalogue read");
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A variant as kept: its price read in the store's currency.
fn kept_as(variant: &StoreVariant, currency: Currency) -> Result<ReadVariant, String> {
    let price = Money::parse_decimal(variant.price.trim(), currency)
        .map_err(|e| format!("price {:?}: {e}", variant.price))?;
    Ok(ReadVariant {
        variant_id: variant.variant_id.clone(),
        product_id: variant.product_id.clone(),
        sku: variant.sku.clone().filter(|s| !s.trim().is_empty()),
        title: variant.title.clone(),
        inventory_item_id: variant.inventory_item_id.clone(),
        price_minor: price.minor,
        stock: variant.stock,
        published: variant.published,
    })
}
