//! `event_cursors`: how far each consumer of the order-event stream has got, and who may move
//! it. A process works a cursor only while it holds its lease (taken and renewed by a
//! compare-and-set, so several processes on one PostgreSQL database never work the same
//! cursor at once), and moves it with a second compare-and-set (on the position and the
//! owner) inside the transaction of whatever the events caused: both commit or neither does,
//! so after a crash nothing is lost and nothing is done twice.

use crate::storage::{now_ms, Database, Result, Tx};
use sqlx::Row;

/// Creates the cursor at `start` unless it exists (a new consumer starts where the stream is
/// now, not at its beginning: a new endpoint or a first deploy must not replay history).
pub async fn ensure(db: &Database, name: &str, start: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO event_cursors (name, last_event_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(start)
    .bind(now_ms())
    .execute(&db.writer)
    .await?;
    Ok(())
}

/// Takes or renews the lease on `name` for `lease_ms`; the cursor's position when this
/// process holds it, `None` when another process does (or the cursor does not exist).
pub async fn claim(db: &Database, name: &str, owner: &str, lease_ms: i64) -> Result<Option<i64>> {
    let now = now_ms();
    let taken = sqlx::query(
        "UPDATE event_cursors SET lease_owner = $1, lease_until = $2
         WHERE name = $3 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until < $4)",
    )
    .bind(owner)
    .bind(now + lease_ms)
    .bind(name)
    .bind(now)
    .execute(&db.writer)
    .await?
    .rows_affected();
    if taken == 0 {
        return Ok(None);
    }
    position(db, name).await
}

/// Where the cursor is, read without a lease (to see whether there is work before taking
/// one: an idle consumer writes nothing).
pub async fn peek(db: &Database, name: &str) -> Result<Option<i64>> {
    read(&db.reader, name).await
}

/// Where the cursor is, read where it is written (right after taking its lease).
pub async fn position(db: &Database, name: &str) -> Result<Option<i64>> {
    read(&db.writer, name).await
}

async fn read(pool: &sqlx::AnyPool, name: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT last_event_id FROM event_cursors WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?;
    row.map(|r| r.try_get("last_event_id"))
        .transpose()
        .map_err(Into::into)
}

/// Moves the cursor from `from` to `to` in the caller's transaction. False when it was not at
/// `from` or this process no longer holds the lease: the caller must roll back.
pub async fn advance(tx: &mut Tx<'_>, name: &str, owner: &str, from: i64, to: i64) -> Result<bool> {
    let moved = sqlx::query(
        "UPDATE event_cursors SET last_event_id = $1, updated_at = $2
         WHERE name = $3 AND last_event_id = $4 AND lease_owner = $5",
    )
    .bind(to)
    .bind(now_ms())
    .bind(name)
    .bind(from)
    .bind(owner)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// Puts the cursor at `to` whoever holds it (a merchant's replay): the holder's next
/// compare-and-set fails and it starts again from here.
pub async fn reset(db: &Database, name: &str, to: i64) -> Result<bool> {
    let moved =
        sqlx::query("UPDATE event_cursors SET last_event_id = $1, updated_at = $2 WHERE name = $3")
            .bind(to)
            .bind(now_ms())
            .bind(name)
            .execute(&db.writer)
            .await?
            .rows_affected();
    Ok(moved == 1)
}

/// Lets go of the lease (on shutdown), so another process takes over at once.
pub async fn release(db: &Database, name: &str, owner: &str) -> Result<()> {
    sqlx::query(
        "UPDATE event_cursors SET lease_owner = NULL, lease_until = NULL
         WHERE name = $1 AND lease_owner = $2",
    )
    .bind(name)
    .bind(owner)
    .execute(&db.writer)
    .await?;
    Ok(())
}

/// Removes a cursor (a deleted endpoint).
pub async fn remove(tx: &mut Tx<'_>, name: &str) -> Result<()> {
    sqlx::query("DELETE FROM event_cursors WHERE name = $1")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How far each consumer is behind the newest order event (events not yet read), by cursor
/// name, for `/metrics`.
pub async fn behind(db: &Database) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT c.name AS name,
            COALESCE((SELECT MAX(id) FROM order_events), 0) - c.last_event_id AS behind
         FROM event_cursors c ORDER BY c.name",
    )
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("behind")?)))
        .collect()
}
