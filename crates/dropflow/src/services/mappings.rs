//! Product mappings: which supplier offers fulfil a store item.

use super::stores::store_in_scope;
use super::MERCHANTS;
use crate::services::{ActionError, Caller, Context};
use crate::storage::catalog::{self, KeyKind, StoredMapping};
use dropflow_core::catalog::{Component, Mapping, Offer, SupplierRef};
use dropflow_core::money::Money;
use dropflow_core::reference::country::CountryCode;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingInput {
    /// The store's variant id. Give this or `sku`.
    pub variant_id: Option<String>,
    /// The store's SKU, used when the variant id is not given.
    pub sku: Option<String>,
    pub title: Option<String>,
    /// One entry per part of the item (a bundle has several).
    pub components: Vec<ComponentInput>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentInput {
    /// Supplier units per store unit (default 1).
    pub quantity: Option<u32>,
    /// Alternatives, best first by `priority`.
    pub offers: Vec<OfferInput>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    /// aliexpress, cj or manual.
    pub supplier: String,
    /// For manual vendors, which vendor; `default` otherwise.
    pub account: Option<String>,
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    /// Decimal string in `currency`, e.g. "3.50".
    pub unit_cost: String,
    pub currency: String,
    /// Lower is preferred (default 0).
    pub priority: Option<i32>,
    /// ISO 3166 alpha-2 codes; empty or absent: ships everywhere.
    pub ships_to: Option<Vec<String>>,
    /// Units available; absent when unknown.
    pub stock: Option<u32>,
    /// The supplier's product page, shown to a manual vendor as "Open Supplier Page";
    /// `https://` addresses only.
    pub product_url: Option<String>,
    /// What the supplier charges to ship this item, once per purchase whatever the quantity:
    /// a decimal string in `currency`, 0 or more, e.g. "4.50"; absent: nothing on top of the
    /// goods. A manual vendor earns it with the goods; routing counts it when comparing offers.
    pub shipping_cost: Option<String>,
}

pub fn blank(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Checks and converts the input, naming the first bad field by its path.
pub fn to_mapping(components: &[ComponentInput]) -> Result<Mapping, ActionError> {
    if components.is_empty() {
        return Err(ActionError::Unprocessable(
            "components must not be empty".into(),
        ));
    }
    let mut out = Vec::with_capacity(components.len());
    for (c, component) in components.iter().enumerate() {
        let quantity = component.quantity.unwrap_or(1);
        if quantity == 0 {
            return Err(ActionError::Unprocessable(format!(
                "components[{c}].quantity must be at least 1"
            )));
        }
        if component.offers.is_empty() {
            return Err(ActionError::Unprocessable(format!(
                "components[{c}].offers must not be empty"
            )));
        }
        let mut offers = Vec::with_capacity(component.offers.len());
        for (o, offer) in component.offers.iter().enumerate() {
            let at = format!("components[{c}].offers[{o}]");
            offers.push(to_offer(offer, &at)?);
        }
        out.push(Component { quantity, offers });
    }
    Ok(Mapping { components: out })
}

fn to_offer(offer: &OfferInput, at: &str) -> Result<Offer, ActionError> {
    let bad = |field: &str, why: String| ActionError::Unprocessable(format!("{at}.{field}: {why}"));
    let kind = SupplierKind::parse(offer.supplier.trim())
        .ok_or_else(|| bad("supplier", "use aliexpress, cj or manual".into()))?;
    let currency =
        Currency::from_code(&offer.currency).map_err(|e| bad("currency", e.to_string()))?;
    let unit_cost = Money::parse_decimal(&offer.unit_cost, currency)
        .map_err(|e| bad("unit_cost", e.to_string()))?;
    if unit_cost.minor < 0 {
        return Err(bad("unit_cost", "must not be negative".into()));
    }
    let shipping_cost = blank(&offer.shipping_cost)
        .map(|text| {
            dropflow_core::catalog::shipping_cost(&text, currency)
                .map_err(|why| bad("shipping_cost", why))
        })
        .transpose()?;
    let ships_to = offer
        .ships_to
        .iter()
        .flatten()
        .map(|c| CountryCode::from_alpha2(c).map_err(|e| bad("ships_to", e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    for (field, value) in [
        ("supplier_product_id", &offer.supplier_product_id),
        ("supplier_sku_id", &offer.supplier_sku_id),
    ] {
        if value.trim().is_empty() {
            return Err(bad(field, "must not be empty".into()));
        }
    }
    let product_url = blank(&offer.product_url)
        .map(|url| crate::supplier_link::check(&url).map_err(|why| bad("product_url", why)))
        .transpose()?;
    Ok(Offer {
        supplier: SupplierRef {
            kind,
            account: blank(&offer.account).unwrap_or_else(|| "default".into()),
        },
        supplier_product_id: offer.supplier_product_id.trim().to_string(),
        supplier_sku_id: offer.supplier_sku_id.trim().to_string(),
        unit_cost,
        priority: offer.priority.unwrap_or(0),
        ships_to,
        stock: offer.stock,
        product_url,
        shipping_cost,
    })
}

pub async fn put(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    input: MappingInput,
) -> Result<StoredMapping, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "change this", store_id).await?;
    let (key_kind, key_value) = match (blank(&input.variant_id), blank(&input.sku)) {
        (Some(v), _) => (KeyKind::Variant, v),
        (None, Some(s)) => (KeyKind::Sku, s),
        (None, None) => {
            return Err(ActionError::Unprocessable(
                "give variant_id or sku: the store item this mapping is for".into(),
            ))
        }
    };
    let mapping = to_mapping(&input.components)?;
    let mut tx = ctx.db.begin().await?;
    let change = (
        key_kind,
        key_value.as_str(),
        input.title.as_deref(),
        &mapping,
    );
    put_audited(&mut tx, caller, store_id, change).await?;
    crate::fulfilment::restock::recheck_held(&mut tx, Some(store_id)).await?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    let stored = catalog::list(&ctx.db, store_id)
        .await?
        .into_iter()
        .find(|m| m.key_kind == key_kind && m.key_value == key_value)
        .ok_or_else(|| ActionError::Internal("the mapping was not stored".into()))?;
    Ok(stored)
}

pub async fn list(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
) -> Result<Vec<StoredMapping>, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "see mappings", store_id).await?;
    Ok(catalog::list(&ctx.db, store_id).await?)
}

/// What a CSV import did: how many mappings it stored, and each bad row (skipped).
#[derive(Debug)]
pub struct CsvImport {
    pub imported: usize,
    pub errors: Vec<crate::mapping_csv::RowError>,
}

/// Imports mappings from CSV (one offer per row, see [`crate::mapping_csv`]) into a store
/// named by domain or id: good rows are stored, bad ones reported by line and skipped.
/// `on_row` is called after each row is read (for a progress bar).
pub async fn import_csv(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    input: impl std::io::Read,
    on_row: impl FnMut(),
) -> Result<CsvImport, ActionError> {
    caller.require(MERCHANTS, "change this")?;
    let store = crate::services::stores::find(ctx, caller, store).await?;
    let (parsed, errors) = crate::mapping_csv::parse(input, on_row);
    // One transaction for the import: every good row stored and audited, or none.
    let mut tx = ctx.db.begin().await?;
    for m in &parsed {
        let change = (m.key_kind, m.key.as_str(), m.title.as_deref(), &m.mapping);
        put_audited(&mut tx, caller, store.id, change).await?;
    }
    if !parsed.is_empty() {
        crate::fulfilment::restock::recheck_held(&mut tx, Some(store.id)).await?;
    }
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    Ok(CsvImport {
        imported: parsed.len(),
        errors,
    })
}

/// Writes a store's mappings (named by domain or id) as CSV, one offer per row.
pub async fn export_csv(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    output: impl std::io::Write,
) -> Result<(), ActionError> {
    caller.require(MERCHANTS, "see mappings")?;
    let store = crate::services::stores::find(ctx, caller, store).await?;
    let internal = |e: csv::Error| ActionError::Internal(format!("cannot write the CSV: {e}"));
    let mut writer = csv::Writer::from_writer(output);
    for m in catalog::list(&ctx.db, store.id).await? {
        for row in
            crate::mapping_csv::rows_of(m.key_kind, &m.key_value, m.title.as_deref(), &m.mapping)
        {
            writer.serialize(row).map_err(internal)?;
        }
    }
    writer
        .flush()
        .map_err(|e| ActionError::Internal(format!("cannot write the CSV: {e}")))?;
    Ok(())
}

/// Stores one store item's mapping in `tx` and records it in the audit log with what it
/// replaced.
pub(crate) async fn put_audited(
    tx: &mut crate::storage::Tx<'_>,
    caller: &Caller,
    store_id: dropflow_core::ids::StoreId,
    (key_kind, key_value, title, mapping): (KeyKind, &str, Option<&str>, &Mapping),
) -> Result<(), ActionError> {
    let before = catalog::get_in(tx, store_id, key_kind, key_value).await?;
    catalog::put_in(tx, store_id, key_kind, key_value, title, mapping).await?;
    crate::fulfilment::catalogue::track_mapping(tx, mapping).await?;
    let snapshot = |title: Option<&str>, mapping: &Mapping| {
        serde_json::json!({"key_kind": key_kind.as_str(), "key_value": key_value,
            "title": title, "mapping": mapping})
    };
    let store = store_id.to_string();
    let subject = format!("{}:{key_value}", key_kind.as_str());
    crate::services::audit::record(
        tx,
        caller,
        Some(&store),
        if before.is_some() {
            "mapping.replace"
        } else {
            "mapping.create"
        },
        ("mapping", &subject),
        before.as_ref().map(|(t, m)| snapshot(t.as_deref(), m)),
        Some(snapshot(title, mapping)),
    )
    .await
}
