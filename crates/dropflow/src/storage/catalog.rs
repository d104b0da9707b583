//! Product mappings, one row per store item (matched by variant id or by SKU).

use super::codec::{from_json, from_ms, parse_id, to_json};
use super::{now_ms, Database, Result, StorageError, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::catalog::Mapping;
use dropflow_core::ids::StoreId;
use sqlx::Row;

/// What a store line is matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyKind {
    Variant,
    Sku,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Variant => "variant",
            KeyKind::Sku => "sku",
        }
    }
    /// The kind as stored and as the API and CSV spell it.
    pub fn parse(s: &str) -> Result<KeyKind> {
        match s {
            "variant" => Ok(KeyKind::Variant),
            "sku" => Ok(KeyKind::Sku),
            other => Err(StorageError::Corrupt(format!(
                "mappings.key_kind {other:?}"
            ))),
        }
    }
}

/// A stored mapping.
#[derive(Debug, Clone)]
pub struct StoredMapping {
    pub store_id: StoreId,
    pub key_kind: KeyKind,
    pub key_value: String,
    pub title: Option<String>,
    pub mapping: Mapping,
    pub updated_at: DateTime<Utc>,
}

/// Creates or replaces the mapping of one store item, in a transaction of its own (demo and
/// bench seeding; a person's change goes through `services::mappings`, which audits it).
pub async fn put(
    db: &Database,
    store_id: StoreId,
    key_kind: KeyKind,
    key_value: &str,
    title: Option<&str>,
    mapping: &Mapping,
) -> Result<()> {
    let mut tx = db.begin().await?;
    put_in(&mut tx, store_id, key_kind, key_value, title, mapping).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates or replaces the mapping of one store item, in the caller's transaction.
pub async fn put_in(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    key_kind: KeyKind,
    key_value: &str,
    title: Option<&str>,
    mapping: &Mapping,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mappings (id, store_id, key_kind, key_value, title, components, created_at,
            updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (store_id, key_kind, key_value)
         DO UPDATE SET title = excluded.title, components = excluded.components,
            updated_at = excluded.updated_at",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(store_id.to_string())
    .bind(key_kind.as_str())
    .bind(key_value)
    .bind(title)
    .bind(to_json(mapping)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    index_offers(tx, store_id, key_kind, key_value, mapping).await?;
    super::store_variants::mark_mapped_due(tx, store_id, key_kind, key_value, now).await?;
    Ok(())
}

/// Keeps `mapping_offers` (which mappings buy from which supplier SKU) equal to the mapping.
async fn index_offers(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    key_kind: KeyKind,
    key_value: &str,
    mapping: &Mapping,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM mapping_offers WHERE store_id = $1 AND key_kind = $2 AND key_value = $3",
    )
    .bind(store_id.to_string())
    .bind(key_kind.as_str())
    .bind(key_value)
    .execute(&mut **tx)
    .await?;
    let offers: std::collections::BTreeSet<super::offer_readings::OfferKey> = mapping
        .components
        .iter()
        .flat_map(|c| c.offers.iter())
        .map(super::offer_readings::key_of)
        .collect();
    for (supplier, sku) in offers {
        sqlx::query(
            "INSERT INTO mapping_offers (store_id, key_kind, key_value, supplier, supplier_sku_id)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(store_id.to_string())
        .bind(key_kind.as_str())
        .bind(key_value)
        .bind(supplier)
        .bind(sku)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The title and mapping one store item has now, read in the caller's transaction.
pub async fn get_in(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    key_kind: KeyKind,
    key_value: &str,
) -> Result<Option<(Option<String>, Mapping)>> {
    let row = sqlx::query(
        "SELECT title, components FROM mappings
         WHERE store_id = $1 AND key_kind = $2 AND key_value = $3",
    )
    .bind(store_id.to_string())
    .bind(key_kind.as_str())
    .bind(key_value)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("title")?,
            from_json(
                "mappings.components",
                &r.try_get::<String, _>("components")?,
            )?,
        ))
    })
    .transpose()
}

/// Every mapping of a store, by key.
pub async fn list(db: &Database, store_id: StoreId) -> Result<Vec<StoredMapping>> {
    let rows = sqlx::query(
        "SELECT store_id, key_kind, key_value, title, components, updated_at FROM mappings
         WHERE store_id = $1 ORDER BY key_kind, key_value",
    )
    .bind(store_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    stored(&rows)
}

/// One page of the store's mappings in (key kind, key) order, after `after` (exclusive).
pub async fn page(
    db: &Database,
    store_id: StoreId,
    after: Option<(KeyKind, &str)>,
    limit: i64,
) -> Result<Vec<StoredMapping>> {
    let (kind, key) = after.map_or(("", ""), |(k, v)| (k.as_str(), v));
    let rows = sqlx::query(
        "SELECT store_id, key_kind, key_value, title, components, updated_at FROM mappings
         WHERE store_id = $1 AND (key_kind > $2 OR (key_kind = $2 AND key_value > $3))
         ORDER BY key_kind, key_value LIMIT $4",
    )
    .bind(store_id.to_string())
    .bind(kind)
    .bind(key)
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    stored(&rows)
}

fn stored(rows: &[sqlx::any::AnyRow]) -> Result<Vec<StoredMapping>> {
    rows.iter()
        .map(|r| {
            Ok(StoredMapping {
                store_id: parse_id("mappings.store_id", &r.try_get::<String, _>("store_id")?)?,
                key_kind: KeyKind::parse(&r.try_get::<String, _>("key_kind")?)?,
                key_value: r.try_get("key_value")?,
                title: r.try_get("title")?,
                mapping: from_json(
                    "mappings.components",
                    &r.try_get::<String, _>("components")?,
                )?,
                updated_at: from_ms(r.try_get("updated_at")?),
            })
        })
        .collect()
}

/// The mapping for a store line: by variant id first, then by SKU.
pub async fn find(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    variant_id: Option<&str>,
    sku: Option<&str>,
) -> Result<Option<Mapping>> {
    Ok(find_stamped(tx, store_id, variant_id, sku)
        .await?
        .map(|(mapping, _)| mapping))
}

/// [`find`], with when the mapping (and so its offers' stock figures) was last written, in ms.
pub async fn find_stamped(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    variant_id: Option<&str>,
    sku: Option<&str>,
) -> Result<Option<(Mapping, i64)>> {
    for (kind, value) in [(KeyKind::Variant, variant_id), (KeyKind::Sku, sku)] {
        let Some(value) = value else { continue };
        let row = sqlx::query(
            "SELECT components, updated_at FROM mappings
             WHERE store_id = $1 AND key_kind = $2 AND key_value = $3",
        )
        .bind(store_id.to_string())
        .bind(kind.as_str())
        .bind(value)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = row {
            let mapping = from_json(
                "mappings.components",
                &row.try_get::<String, _>("components")?,
            )?;
            return Ok(Some((mapping, row.try_get("updated_at")?)));
        }
    }
    Ok(None)
}

/// The mappings that name any of `variant_ids` (by variant) or `skus` (by SKU) in the store,
/// read in one statement: the catalogue writer's batch.
pub async fn of_keys(
    db: &Database,
    store_id: StoreId,
    variant_ids: &[&str],
    skus: &[&str],
) -> Result<Vec<StoredMapping>> {
    let mut clauses = Vec::new();
    let mut next = 2;
    for (kind, values) in [(KeyKind::Variant, variant_ids), (KeyKind::Sku, skus)] {
        if values.is_empty() {
            continue;
        }
        let marks: Vec<String> = (0..values.len())
            .map(|i| format!("${}", next + i))
            .collect();
        next += values.len();
        clauses.push(format!(
            "(key_kind = '{}' AND key_value IN ({}))",
            kind.as_str(),
            marks.join(", ")
        ));
    }
    if clauses.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT key_kind, key_value, title, components, updated_at FROM mappings
         WHERE store_id = $1 AND ({})",
        clauses.join(" OR ")
    );
    let mut query = sqlx::query(&sql).bind(store_id.to_string());
    for value in variant_ids.iter().chain(skus.iter()) {
        query = query.bind(*value);
    }
    let rows = query.fetch_all(&db.reader).await?;
    rows.iter()
        .map(|r| {
            Ok(StoredMapping {
                store_id,
                key_kind: KeyKind::parse(&r.try_get::<String, _>("key_kind")?)?,
                key_value: r.try_get("key_value")?,
                title: r.try_get("title")?,
                mapping: from_json(
                    "mappings.components",
                    &r.try_get::<String, _>("components")?,
                )?,
                updated_at: from_ms(r.try_get("updated_at")?),
            })
        })
        .collect()
}

/// The mappings of the account's stores that buy `supplier_sku_id` from `supplier` (as
/// `offer_readings::key_of` names it: `manual:<handle>` for a vendor), in the caller's
/// transaction.
pub async fn keys_with_offer(
    tx: &mut Tx<'_>,
    account_id: &str,
    supplier: &str,
    supplier_sku_id: &str,
) -> Result<Vec<(StoreId, KeyKind, String)>> {
    let rows = sqlx::query(
        "SELECT mo.store_id, mo.key_kind, mo.key_value FROM mapping_offers mo
         JOIN stores s ON s.id = mo.store_id
         WHERE s.account_id = $1 AND mo.supplier = $2 AND mo.supplier_sku_id = $3
         ORDER BY mo.store_id, mo.key_kind, mo.key_value",
    )
    .bind(account_id)
    .bind(supplier)
    .bind(supplier_sku_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            let store: String = r.try_get("store_id")?;
            Ok((
                store
                    .parse()
                    .map_err(|e| super::StorageError::Corrupt(format!("store id {store}: {e}")))?,
                KeyKind::parse(&r.try_get::<String, _>("key_kind")?)?,
                r.try_get("key_value")?,
            ))
        })
        .collect()
}
