//! The durable job queue's table. Our own small queue rather than apalis: apalis-sql pushes a
//! job through its own pool connection, so a job could not be written in the same transaction
//! as the order change that calls for it (and on SQLite that second writer would wait on ours).
//! Here `enqueue` takes the caller's transaction: the job exists if and only if the change does.
//!
//! A claim takes a lease (owner + expiry) instead of holding a row lock through a slow supplier
//! call; a lease that expires (the process died) makes the job claimable again. Completion and
//! failure check the lease owner, so a worker whose lease was taken over cannot overwrite the
//! new owner's outcome.

use super::codec::to_json;
use super::codec::{from_row, RowExt};
use super::{now_ms, query, Database, Engine, Result, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::OrderId;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Tries before a job is kept as failed.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;

/// Writes a job inside the caller's transaction, runnable from `run_at_ms`.
pub async fn enqueue(
    tx: &mut Tx<'_>,
    kind: &str,
    payload: &serde_json::Value,
    order_id: Option<OrderId>,
    run_at_ms: i64,
) -> Result<i64> {
    enqueue_with_tries(tx, kind, payload, order_id, run_at_ms, DEFAULT_MAX_ATTEMPTS).await
}

/// [`enqueue`] with its own number of tries, for work that must outlast a long outage on
/// the other side (writing tracking back to a store: idempotent, and never to be lost).
pub async fn enqueue_with_tries(
    tx: &mut Tx<'_>,
    kind: &str,
    payload: &serde_json::Value,
    order_id: Option<OrderId>,
    run_at_ms: i64,
    max_attempts: i64,
) -> Result<i64> {
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, order_id,
            created_at, updated_at)
         VALUES ($1, $2, 'queued', 0, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(kind)
    .bind(to_json(payload)?)
    .bind(max_attempts)
    .bind(run_at_ms)
    .bind(order_id.map(|id| id.to_string()))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// Claims the rows of `table` whose `next_sync_at` has come (pushing each `lease_ms` ahead
/// with a compare-and-set, so several processes never claim one twice) and queues job `kind`
/// for each, with `{payload_key: row id}`, in one transaction; how many. `table` has `id`,
/// `order_id` and `next_sync_at` (supplier orders, cases).
pub async fn enqueue_due(
    db: &Database,
    table: &'static str,
    payload_key: &str,
    kind: &str,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<usize> {
    let due = sqlx::query(&format!(
        "SELECT id, order_id, next_sync_at FROM {table}
         WHERE next_sync_at IS NOT NULL AND next_sync_at <= $1
         ORDER BY next_sync_at LIMIT $2"
    ))
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let mut claimed = 0;
    for row in &due {
        let id: String = row.try_get("id")?;
        let seen: i64 = row.try_get("next_sync_at")?;
        if query::claim_next_sync(&mut tx, table, &id, seen, now_ms + lease_ms).await? {
            let order_id = super::codec::parse_id(table, &row.try_get::<String, _>("order_id")?)?;
            let payload = serde_json::json!({ payload_key: id });
            enqueue(&mut tx, kind, &payload, Some(order_id), now_ms).await?;
            claimed += 1;
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

/// A job handed to one worker until `lease_until`.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Including this one.
    pub attempt: i64,
    pub max_attempts: i64,
    pub order_id: Option<String>,
}

/// Claims up to `limit` runnable jobs of the given kinds for `owner`, leasing them for
/// `lease_ms`. Runnable: queued and due, or running with an expired lease and tries left.
pub async fn claim(
    db: &Database,
    owner: &str,
    kinds: &[&str],
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<ClaimedJob>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_ms();
    let kind_params: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 5)).collect();
    // PostgreSQL: several processes claim at once; SKIP LOCKED lets each take different rows
    // instead of queueing behind (or double-claiming) the same ones. SQLite has one writer, so
    // the UPDATE is already exclusive.
    let lock = match db.engine {
        Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        Engine::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1,
            lease_until = $2, updated_at = $3
         WHERE id IN (
            SELECT id FROM jobs
            WHERE kind IN ({kinds})
              AND ((status = 'queued' AND run_at <= $3)
                OR (status = 'running' AND lease_until < $3 AND attempts < max_attempts))
            ORDER BY run_at, id
            LIMIT $4{lock})
         RETURNING id, kind, payload, attempts, max_attempts, order_id",
        kinds = kind_params.join(", ")
    );
    let mut query = sqlx::query(&sql)
        .bind(owner)
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit);
    for kind in kinds {
        query = query.bind(*kind);
    }
    query::all(query, &db.writer, claimed_from_row).await
}

fn claimed_from_row(row: &AnyRow) -> Result<ClaimedJob> {
    let payload: String = row.try_get("payload")?;
    Ok(ClaimedJob {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        payload: super::codec::from_json("jobs.payload", &payload)?,
        attempt: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        order_id: row.try_get("order_id")?,
    })
}

/// Extends a lease the worker still holds; `false` if it lost it.
pub async fn heartbeat(db: &Database, id: i64, owner: &str, lease_ms: i64) -> Result<bool> {
    let result = sqlx::query(
        "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
    )
    .bind(now_ms() + lease_ms)
    .bind(id)
    .bind(owner)
    .execute(&db.writer)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// How a job's try ended, as [`record`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The try succeeded: the job is done.
    Done { id: i64 },
    /// The try failed: back to the queue at `retry_at_ms`, or kept as `failed` when that was
    /// the last try (`None`), with what it waits for when only a person's fix unblocks it
    /// ([`requeue_waiting`]). `give_back`: the try does not count (the other side asked us to
    /// wait; it did not refuse).
    Failed {
        id: i64,
        error: String,
        retry_at_ms: Option<i64>,
        waits_for: Option<String>,
        give_back: bool,
    },
}

/// Writes the outcomes of several tries in ONE transaction, so a busy runner pays one commit
/// (one fsync on SQLite) for a group of finished jobs instead of one each. Each outcome is
/// `true` if it was written, `false` if its lease was lost meanwhile (someone else owns the
/// job now and their outcome stands). Jobs are never deleted.
pub async fn record(db: &Database, owner: &str, outcomes: &[Outcome]) -> Result<Vec<bool>> {
    let mut tx = db.writer.begin().await?;
    let now = now_ms();
    let mut written = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let result =
            match outcome {
                Outcome::Done { id } => sqlx::query(
                    "UPDATE jobs SET status = 'succeeded', lease_owner = NULL, lease_until = NULL,
                        last_error = NULL, updated_at = $1
                     WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
                )
                .bind(now)
                .bind(*id)
                .bind(owner)
                .execute(&mut *tx)
                .await?,
                Outcome::Failed {
                    id,
                    error,
                    retry_at_ms,
                    waits_for,
                    give_back,
                } => {
                    let status = if retry_at_ms.is_some() {
                        "queued"
                    } else {
                        "failed"
                    };
                    sqlx::query(
                    "UPDATE jobs SET status = $1, run_at = COALESCE($2, run_at), last_error = $3,
                        lease_owner = NULL, lease_until = NULL, updated_at = $4, waits_for = $7,
                        attempts = CASE WHEN $8 = 1 AND attempts > 0 THEN attempts - 1
                                        ELSE attempts END
                     WHERE id = $5 AND lease_owner = $6 AND status = 'running'",
                )
                .bind(status)
                .bind(*retry_at_ms)
                .bind(truncate(error, 2000))
                .bind(now)
                .bind(*id)
                .bind(owner)
                .bind(waits_for.as_deref())
                .bind(i64::from(*give_back && retry_at_ms.is_some()))
                .execute(&mut *tx)
                .await?
                }
            };
        written.push(result.rows_affected() == 1);
    }
    tx.commit().await?;
    Ok(written)
}

/// Marks a job done; `false` if the lease was lost meanwhile (someone else owns it now).
pub async fn complete(db: &Database, id: i64, owner: &str) -> Result<bool> {
    let written = record(db, owner, &[Outcome::Done { id }]).await?;
    Ok(written[0])
}

/// Records a failed try (see [`Outcome::Failed`]); `false` if the lease was lost meanwhile.
pub async fn fail(
    db: &Database,
    id: i64,
    owner: &str,
    error: &str,
    retry_at_ms: Option<i64>,
    waits_for: Option<&str>,
) -> Result<bool> {
    let failed = Outcome::Failed {
        id,
        error: error.to_string(),
        retry_at_ms,
        waits_for: waits_for.map(str::to_string),
        give_back: false,
    };
    Ok(record(db, owner, &[failed]).await?[0])
}

/// Puts every failed job waiting for `fix` back in the queue with a fresh set of tries (the
/// person just fixed what they were waiting for); how many.
pub async fn requeue_waiting(db: &Database, fix: &str) -> Result<u64> {
    let now = now_ms();
    let result = sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, updated_at = $1,
            waits_for = NULL
         WHERE waits_for = $2 AND status = 'failed'",
    )
    .bind(now)
    .bind(fix)
    .execute(&db.writer)
    .await?;
    if result.rows_affected() > 0 {
        db.jobs_queued.notify_one();
    }
    Ok(result.rows_affected())
}

/// Jobs whose lease expired on their last try (the process died mid-run) are kept as failed,
/// visible, rather than left running forever.
pub async fn fail_abandoned(db: &Database) -> Result<u64> {
    let now = now_ms();
    let result = sqlx::query(
        "UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_until = NULL,
            last_error = COALESCE(last_error, '') || ' [lease expired on the last try]',
            updated_at = $1
         WHERE status = 'running' AND lease_until < $1 AND attempts >= max_attempts",
    )
    .bind(now)
    .execute(&db.writer)
    .await?;
    Ok(result.rows_affected())
}

/// A failed job put back in the queue: what it is and whose.
#[derive(Debug, Clone)]
pub struct Retried {
    pub kind: String,
    pub order_id: Option<OrderId>,
}

/// Puts a failed job back in the queue with a fresh set of tries, in the caller's
/// transaction (its flag is settled in the same one); `None` when this scope has no failed
/// job `id`.
pub async fn retry(
    tx: &mut Tx<'_>,
    scope: &super::accounts::Scope,
    id: i64,
) -> Result<Option<Retried>> {
    let now = now_ms();
    // $1 and $2 are numbers, bound first; the scope's text values follow from $3.
    let mut binds = vec![String::new(), String::new()];
    let visible = job_condition(scope, &mut binds);
    let sql = format!(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, updated_at = $1,
            waits_for = NULL
         WHERE id = $2 AND status = 'failed' AND {visible}
         RETURNING kind, order_id"
    );
    let mut query = sqlx::query(&sql).bind(now).bind(id);
    for bind in &binds[2..] {
        query = query.bind(bind.as_str());
    }
    let Some(row) = query.fetch_optional(&mut **tx).await? else {
        return Ok(None);
    };
    let order_id: Option<String> = row.try_get("order_id")?;
    Ok(Some(Retried {
        kind: row.try_get("kind")?,
        order_id: order_id
            .map(|id| super::codec::parse_id("jobs.order_id", &id))
            .transpose()?,
    }))
}

/// Whether the job exists for this scope (another account's job does not: 404, not 409).
pub async fn visible(db: &Database, scope: &super::accounts::Scope, id: i64) -> Result<bool> {
    // $1 is a number, bound first; the scope's text values follow from $2.
    let mut binds = vec![String::new()];
    let visible = job_condition(scope, &mut binds);
    let sql = format!("SELECT 1 AS one FROM jobs WHERE id = $1 AND {visible}");
    let mut query = sqlx::query(&sql).bind(id);
    for bind in &binds[1..] {
        query = query.bind(bind.as_str());
    }
    Ok(query.fetch_optional(&db.reader).await?.is_some())
}

/// Jobs a scope may see: those of its orders; jobs of no order (the follower's sweeps) belong
/// to the installation and are shown to the default account's owners.
fn job_condition(scope: &super::accounts::Scope, binds: &mut Vec<String>) -> String {
    use super::accounts::{Scope, DEFAULT_ACCOUNT};
    let orders = scope.order_condition("", binds);
    let orderless = match scope {
        Scope::Installation => "order_id IS NULL",
        Scope::Account { account_id } if account_id == DEFAULT_ACCOUNT => "order_id IS NULL",
        _ => "1 = 0",
    };
    format!("(order_id IN (SELECT id FROM orders WHERE {orders}) OR {orderless})")
}

/// A job as shown to an operator.
#[derive(Debug, Clone)]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub order_id: Option<String>,
    /// What a person must fix before it can run (it is queued again when they do).
    pub waits_for: Option<String>,
}

/// Jobs in one status (`queued`, `running`, `succeeded`, `failed`), newest first.
pub async fn list(
    db: &Database,
    scope: &super::accounts::Scope,
    status: &str,
    limit: i64,
) -> Result<Vec<JobView>> {
    let mut binds = vec![status.to_string()];
    let visible = job_condition(scope, &mut binds);
    let sql = format!(
        "SELECT id, kind, status, attempts, max_attempts, run_at, last_error, order_id, waits_for
         FROM jobs WHERE status = $1 AND {visible} ORDER BY id DESC LIMIT {}",
        limit.clamp(1, 500)
    );
    let query = query::with_binds(&sql, &binds);
    query::all(query, &db.reader, view_from_row).await
}

/// Jobs for one order, oldest first.
pub async fn for_order(db: &Database, order_id: OrderId) -> Result<Vec<JobView>> {
    let query = sqlx::query(
        "SELECT id, kind, status, attempts, max_attempts, run_at, last_error, order_id, waits_for
         FROM jobs WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id.to_string());
    query::all(query, &db.reader, view_from_row).await
}

fn view_from_row(r: &AnyRow) -> Result<JobView> {
    Ok(from_row!(r => JobView {
        id, kind, status, attempts, max_attempts, last_error, order_id, waits_for;
        run_at: r.at("run_at")?,
    }))
}

/// One job kind's share of the queue, for the operator's gauges (`/metrics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindBacklog {
    pub kind: String,
    /// Queued and due now: waiting only for a free worker.
    pub due: i64,
    /// When the longest-waiting due job became due (epoch ms).
    pub oldest_due_at: Option<i64>,
    /// Queued for later (a retry's backoff).
    pub scheduled: i64,
    pub running: i64,
    /// Kept as failed after their last try (retryable by a person).
    pub failed: i64,
    /// Failed at once, waiting for a person's fix (`waits_for`).
    pub waiting_for_fix: i64,
}

/// The queue by kind, over the jobs not yet done (succeeded ones are not read: the
/// `(status, run_at)` index serves it). A kind with nothing open is not listed.
pub async fn backlog(db: &Database, now_ms: i64) -> Result<Vec<KindBacklog>> {
    let query = sqlx::query(
        "SELECT kind,
            SUM(CASE WHEN status = 'queued' AND run_at <= $1 THEN 1 ELSE 0 END) AS due,
            MIN(CASE WHEN status = 'queued' AND run_at <= $1 THEN run_at END) AS oldest_due_at,
            SUM(CASE WHEN status = 'queued' AND run_at > $1 THEN 1 ELSE 0 END) AS scheduled,
            SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running,
            SUM(CASE WHEN status = 'failed' AND waits_for IS NULL THEN 1 ELSE 0 END) AS failed,
            SUM(CASE WHEN status = 'failed' AND waits_for IS NOT NULL THEN 1 ELSE 0 END)
                AS waiting_for_fix
         FROM jobs WHERE status IN ('queued', 'running', 'failed')
         GROUP BY kind ORDER BY kind",
    )
    .bind(now_ms);
    query::all(query, &db.reader, |r| {
        Ok(from_row!(r => KindBacklog {
            kind, due, oldest_due_at, scheduled, running, failed, waiting_for_fix
        }))
    })
    .await
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
