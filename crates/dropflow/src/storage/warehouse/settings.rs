//! The operator's documents (rate tables, refund rules) and the stores' warehouse settings.

use super::*;

/// The operator's rate tables as TOML, when they replaced the sample data.
pub async fn rate_tables(db: &Database) -> Result<Option<String>> {
    current_document(db, "warehouse_rates", "tables").await
}

/// Replaces the rate tables in `tx` (the caller records the change in the same one).
pub async fn put_rate_tables_in(tx: &mut Tx<'_>, toml: &str, by: &str) -> Result<()> {
    put_current_document(tx, "warehouse_rates", "tables", toml, by).await
}

/// The operator's refund rules as TOML, when they replaced the sample data.
pub async fn refund_rules(db: &Database) -> Result<Option<String>> {
    current_document(db, "warehouse_refund_rules", "rules").await
}

/// Replaces the refund rules in `tx` (the caller records the change in the same one).
pub async fn put_refund_rules_in(tx: &mut Tx<'_>, toml: &str, by: &str) -> Result<()> {
    put_current_document(tx, "warehouse_refund_rules", "rules", toml, by).await
}

/// An operator-edited document (rate tables, refund rules): the one `current` row of
/// `table`, its text in `column`. Both names are constants of this module, never input.
async fn current_document(
    db: &Database,
    table: &'static str,
    column: &'static str,
) -> Result<Option<String>> {
    let row = sqlx::query(&format!(
        "SELECT {column} FROM {table} WHERE id = 'current'"
    ))
    .fetch_optional(&db.reader)
    .await?;
    row.map(|r| r.try_get(column).map_err(Into::into))
        .transpose()
}

async fn put_current_document(
    tx: &mut Tx<'_>,
    table: &'static str,
    column: &'static str,
    text: &str,
    by: &str,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO {table} (id, {column}, updated_by, updated_at)
         VALUES ('current', $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column},
            updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(text)
    .bind(by)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A store's warehouse settings. What goes in the parcel with the goods (logo, thank-you
/// card) is the store's branding (`storage::branding`, the dashboard's settings page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarehouseSettings {
    pub auto_pick: Option<AutoPick>,
    pub auto_pay_fee: bool,
}

/// Inside a transaction (`&mut **tx`) or from the reader pool.
pub async fn settings<'c, E>(executor: E, store_id: StoreId) -> Result<WarehouseSettings>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row =
        sqlx::query("SELECT auto_pick, auto_pay_fee FROM warehouse_settings WHERE store_id = $1")
            .bind(store_id.to_string())
            .fetch_optional(executor)
            .await?;
    let Some(r) = row else {
        return Ok(WarehouseSettings {
            auto_pick: None,
            auto_pay_fee: false,
        });
    };
    Ok(WarehouseSettings {
        auto_pick: r
            .try_get::<Option<String>, _>("auto_pick")?
            .map(|t| from_json("auto_pick", &t))
            .transpose()?,
        auto_pay_fee: r.try_get::<i64, _>("auto_pay_fee")? != 0,
    })
}

pub async fn put_settings(db: &Database, store_id: StoreId, s: &WarehouseSettings) -> Result<()> {
    let mut tx = db.begin().await?;
    put_settings_in(&mut tx, store_id, s).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a store's warehouse settings in `tx` (the caller records the change in the same one).
pub async fn put_settings_in(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    s: &WarehouseSettings,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO warehouse_settings (store_id, auto_pick, auto_pay_fee, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (store_id) DO UPDATE SET auto_pick = excluded.auto_pick,
            auto_pay_fee = excluded.auto_pay_fee, updated_at = excluded.updated_at",
    )
    .bind(store_id.to_string())
    .bind(s.auto_pick.map(|p| to_json(&p)).transpose()?)
    .bind(i64::from(s.auto_pay_fee))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
