//! The `outbox` table: one row per mail, written with its `outbox.send` job in the caller's
//! transaction, and the job that delivers it.
//!
//! A row is `queued` until delivered (`sent`, with `sent_at`) or given up on (`failed`: the
//! server refused it for good, or the job ran out of tries; `last_error` says why). A try
//! that could not reach the server leaves the row queued and the job retries it with the
//! queue's backoff, so an outage delays mail and never loses it. Running a row's job again
//! after it was sent sends nothing. Every try is counted in `attempts`.
//!
//! The rows hold personal data (recipient, names in the bodies); the job's own error and the
//! logs get only the SMTP reply code and the kind of failure, never the server's reply text,
//! which often quotes the address.

use super::templates::Rendered;
use super::transport::{Notifier, SendError};
use super::MailKind;
use crate::jobs::GiveUp;
use crate::storage::jobs::{self as queue, ClaimedJob};
use crate::storage::{now_ms, Database, Result, Tx};
use dropflow_core::ids::OrderId;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Tries before a mail is kept as failed. With the queue's backoff (doubling from 2 s, at
/// most an hour apart) that is about two days of outage.
pub const MAX_TRIES: i64 = 60;

/// One outbox row.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: i64,
    pub order_id: Option<String>,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// `queued` | `sent` | `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

// The recipient and the bodies are personal data.
impl std::fmt::Debug for OutboxMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMail")
            .field("id", &self.id)
            .field("order_id", &self.order_id)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .field("created_at", &self.created_at)
            .field("sent_at", &self.sent_at)
            .finish_non_exhaustive()
    }
}

/// Writes a rendered mail and its `outbox.send` job in the caller's transaction; the row's id.
pub async fn insert(
    tx: &mut Tx<'_>,
    order_id: Option<OrderId>,
    recipient: &str,
    kind: MailKind,
    mail: &Rendered,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO outbox (order_id, recipient, kind, subject, text_body, html_body, status,
            attempts, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7) RETURNING id",
    )
    .bind(order_id.map(|id| id.to_string()))
    .bind(recipient)
    .bind(kind.as_str())
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    queue::enqueue_with_tries(
        tx,
        super::SEND_JOB,
        &json!({ "outbox_id": id }),
        order_id,
        now_ms(),
        MAX_TRIES,
    )
    .await?;
    Ok(id)
}

const COLUMNS: &str = "id, order_id, recipient, kind, subject, text_body, html_body, status, \
     attempts, last_error, created_at, sent_at";

/// One row.
pub async fn get(db: &Database, id: i64) -> Result<Option<OutboxMail>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM outbox WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.writer)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Rows in one status (`queued`, `sent`, `failed`), oldest first.
pub async fn list(db: &Database, status: &str, limit: i64) -> Result<Vec<OutboxMail>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE status = $1 ORDER BY id LIMIT $2"
    ))
    .bind(status)
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    rows.iter().map(from_row).collect()
}

/// An order's mails, oldest first.
pub async fn for_order(db: &Database, order_id: OrderId) -> Result<Vec<OutboxMail>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE order_id = $1 ORDER BY id"
    ))
    .bind(order_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    rows.iter().map(from_row).collect()
}

fn from_row(r: &AnyRow) -> Result<OutboxMail> {
    Ok(crate::storage::codec::from_row!(r => OutboxMail {
        id, order_id, recipient, kind, subject, text_body, html_body, status, attempts,
        last_error, created_at, sent_at,
    }))
}

/// Counts a try (before talking to the server, so a crash mid-send still counts it).
async fn count_attempt(db: &Database, id: i64) -> Result<()> {
    sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE id = $1")
        .bind(id)
        .execute(&db.writer)
        .await?;
    Ok(())
}

async fn mark_sent(db: &Database, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $1, last_error = NULL
         WHERE id = $2 AND status <> 'sent'",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&db.writer)
    .await?;
    Ok(())
}

/// Records a failed try: still `queued` (it will be retried) or `failed` (given up).
async fn record_error(db: &Database, id: i64, status: &str, error: &str) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = $1, last_error = $2 WHERE id = $3 AND status <> 'sent'",
    )
    .bind(status)
    .bind(truncate(error, 2000))
    .bind(id)
    .execute(&db.writer)
    .await?;
    Ok(())
}

/// The `outbox.send` job: delivers one row unless it was already sent.
pub async fn send_job(db: &Database, notifier: &Notifier, job: ClaimedJob) -> anyhow::Result<()> {
    let Some(id) = job.payload.get("outbox_id").and_then(|v| v.as_i64()) else {
        return Err(GiveUp("outbox.send job without an outbox_id".into()).into());
    };
    let Some(mail) = get(db, id).await? else {
        return Err(GiveUp(format!("outbox row {id} does not exist")).into());
    };
    if mail.status == "sent" {
        // The job ran again (a lease expired after the send, a person retried it): the mail
        // went out once already.
        tracing::info!(outbox.id = id, "mail already sent; not sending again");
        return Ok(());
    }
    count_attempt(db, id).await?;
    match notifier.send(&mail).await {
        Ok(()) => {
            mark_sent(db, id).await?;
            tracing::info!(outbox.id = id, mail.kind = %mail.kind, order.id = ?mail.order_id, "mail sent");
            metrics::counter!("dropflow_mails_sent_total", "kind" => mail.kind.clone())
                .increment(1);
            Ok(())
        }
        Err(SendError::Permanent { summary, detail }) => {
            record_error(db, id, "failed", &detail).await?;
            tracing::warn!(outbox.id = id, mail.kind = %mail.kind, error = %summary, "mail refused for good");
            metrics::counter!("dropflow_mails_failed_total", "kind" => mail.kind.clone())
                .increment(1);
            Err(GiveUp(summary).into())
        }
        Err(SendError::Transient { summary, detail }) => {
            let last_try = job.attempt >= job.max_attempts;
            let status = if last_try { "failed" } else { "queued" };
            let detail = if last_try {
                format!("{detail} [gave up after {} tries]", job.attempt)
            } else {
                detail
            };
            record_error(db, id, status, &detail).await?;
            tracing::warn!(outbox.id = id, mail.kind = %mail.kind, job.attempt = job.attempt, error = %summary, "mail not sent; will retry");
            Err(anyhow::anyhow!(summary))
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
