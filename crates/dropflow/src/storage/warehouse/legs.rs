//! Each order's warehouse leg (core `stage::WarehouseLeg` as JSON) and its stage.

use super::*;

const LEG_OF_ORDER: &str = "SELECT leg, ship_what_is_here FROM warehouse_legs WHERE order_id = $1";

/// The order's leg and whether the merchant asked to ship what is here.
pub async fn leg(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Option<(WarehouseLeg, bool)>> {
    let query = sqlx::query(LEG_OF_ORDER).bind(order_id.to_string());
    query::one(query, &mut **tx, leg_row).await
}

/// Reads a leg outside a transaction (views).
pub async fn leg_of(db: &Database, order_id: OrderId) -> Result<Option<(WarehouseLeg, bool)>> {
    let query = sqlx::query(LEG_OF_ORDER).bind(order_id.to_string());
    query::one(query, &db.reader, leg_row).await
}

fn leg_row(r: &AnyRow) -> Result<(WarehouseLeg, bool)> {
    Ok((
        from_json("leg", &r.try_get::<String, _>("leg")?)?,
        r.try_get::<i64, _>("ship_what_is_here")? != 0,
    ))
}

pub async fn save_leg(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    store_id: StoreId,
    leg: &WarehouseLeg,
    ship_what_is_here: bool,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO warehouse_legs (order_id, store_id, stage, leg, ship_what_is_here,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (order_id) DO UPDATE SET stage = excluded.stage, leg = excluded.leg,
            ship_what_is_here = excluded.ship_what_is_here, updated_at = excluded.updated_at",
    )
    .bind(order_id.to_string())
    .bind(store_id.to_string())
    .bind(leg.stage.as_str())
    .bind(to_json(leg)?)
    .bind(i64::from(ship_what_is_here))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
