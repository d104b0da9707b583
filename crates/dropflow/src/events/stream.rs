//! Reading `order_events` in id order, safely.
//!
//! Why a "horizon": on PostgreSQL an event's id is taken from the sequence when it is
//! inserted, but transactions commit in any order, so a reader can see id 12 committed while
//! 11 is still in flight. A consumer that moved past 12 would never see 11. So a consumer only
//! reads up to the first gap in the ids. A gap is also what a rolled-back insert leaves, for
//! ever; such a gap is passed once the first event after it is older than `grace` (the event
//! after the gap was written after the missing id was taken, so by then the missing insert's
//! transaction has been open for longer than `grace`). dropflow's transactions that write
//! events make no network calls and last milliseconds, so a few seconds of grace separate the
//! two cases; an insert that stays uncommitted for longer than that would be missed, which is
//! logged. The alternative (recording each row's transaction id and reading below
//! `pg_snapshot_xmin`) is exact but engine-specific and needs a column on the busiest table.
//! SQLite has one writer, so its ids commit in order and only rollbacks leave gaps.

use crate::storage::codec::from_json;
use crate::storage::{Database, Result};
use dropflow_core::ids::StoreId;
use sqlx::Row;

/// One timeline row.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: i64,
    pub order_id: String,
    /// Epoch milliseconds.
    pub at: i64,
    pub actor: String,
    pub kind: String,
    pub detail: serde_json::Value,
}

/// The highest id a consumer at `after` may read up to now: the end of the unbroken run of
/// ids after it (at most `limit` ids ahead), passing gaps older than `grace_ms`. `after`
/// itself when there is nothing to read yet.
pub async fn horizon(
    db: &Database,
    after: i64,
    limit: i64,
    grace_ms: i64,
    now: i64,
) -> Result<i64> {
    let rows = sqlx::query("SELECT id, at FROM order_events WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(&db.reader)
        .await?;
    let mut upto = after;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let at: i64 = row.try_get("at")?;
        if id != upto + 1 {
            if now - at < grace_ms {
                break;
            }
            tracing::warn!(
                gap.from = upto + 1,
                gap.to = id - 1,
                "passing a gap in the order-event ids older than the grace period"
            );
        }
        upto = id;
    }
    Ok(upto)
}

/// The events with `after < id <= upto`, in id order; only `store`'s when given.
pub async fn read(
    db: &Database,
    after: i64,
    upto: i64,
    store: Option<StoreId>,
) -> Result<Vec<StoredEvent>> {
    let rows = match store {
        None => {
            sqlx::query(
                "SELECT id, order_id, at, actor, kind, detail FROM order_events
                 WHERE id > $1 AND id <= $2 ORDER BY id",
            )
            .bind(after)
            .bind(upto)
            .fetch_all(&db.reader)
            .await?
        }
        Some(store) => {
            sqlx::query(
                "SELECT e.id, e.order_id, e.at, e.actor, e.kind, e.detail
                 FROM order_events e JOIN orders o ON o.id = e.order_id
                 WHERE e.id > $1 AND e.id <= $2 AND o.store_id = $3 ORDER BY e.id",
            )
            .bind(after)
            .bind(upto)
            .bind(store.to_string())
            .fetch_all(&db.reader)
            .await?
        }
    };
    rows.iter()
        .map(|r| {
            Ok(StoredEvent {
                id: r.try_get("id")?,
                order_id: r.try_get("order_id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                kind: r.try_get("kind")?,
                detail: from_json("order_events.detail", &r.try_get::<String, _>("detail")?)?,
            })
        })
        .collect()
}

/// The newest event's id (0 when there is none): where a new consumer starts.
pub async fn last_id(db: &Database) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS last FROM order_events")
        .fetch_one(&db.reader)
        .await?;
    Ok(row.try_get("last")?)
}
