//! The end-of-test check on the job queue: a test that leaves jobs failed, or due and never
//! run, fails unless it declared them (as crates.io's backend `TestApp` asserts on drop that
//! its background queue is empty). Only the kinds the test's app has handlers for count:
//! jobs of other kinds wait in the queue untouched by design (the runner never claims them).

use sqlx::{Connection, Row};
use std::time::Duration;

/// What a test declares it leaves in the queue on purpose.
#[derive(Debug, Default, Clone)]
pub struct Expected {
    /// Kinds whose `failed` jobs (or jobs retrying after an error) are expected.
    pub failed: Vec<String>,
    /// Jobs may be left queued or running (due, waiting on a deferral, or retrying).
    pub pending: bool,
}

/// One job still in the queue, and why it counts.
#[derive(Debug)]
pub struct Leftover {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Which of the handled kinds the test leaves failed or undrained, beyond what it declared.
/// A job counts as undrained once it was due `lateness_ms` before `as_of_ms` (when the test
/// ended): what only came due later is a follow-up, not a leftover.
pub async fn leftovers(
    url: &str,
    handled: &[String],
    expected: &Expected,
    as_of_ms: i64,
    lateness_ms: i64,
) -> Result<Vec<Leftover>, sqlx::Error> {
    if handled.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let rows = sqlx::query(
        "SELECT id, kind, status, attempts, last_error, run_at, waits_for FROM jobs
         WHERE status IN ('queued', 'running', 'failed') ORDER BY id",
    )
    .fetch_all(&mut conn)
    .await?;
    let _ = conn.close().await;
    let mut found = Vec::new();
    for row in rows {
        let job = Leftover {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            status: row.try_get("status")?,
            attempts: row.try_get("attempts")?,
            last_error: row.try_get("last_error")?,
        };
        let run_at: i64 = row.try_get("run_at")?;
        if !handled.contains(&job.kind) {
            continue;
        }
        let failing = job.status == "failed" || job.last_error.is_some();
        // Kept failed until a person's fix (no Admin API access, say) is parked, not given
        // up: it runs again once the fix is made, as a job waiting in backoff would.
        let waits_for: Option<String> = row.try_get("waits_for")?;
        let pending = job.status != "failed" || waits_for.is_some();
        let declared =
            (failing && expected.failed.contains(&job.kind)) || (pending && expected.pending);
        // Scheduled for later without an error (a poll, a follow-up) is not undrained.
        let due = run_at <= as_of_ms - lateness_ms;
        if !declared && (failing || due) {
            found.push(job);
        }
    }
    Ok(found)
}

/// The same check from synchronous code (a `Drop`): on a thread of its own with its own
/// runtime, since the test's runtime may be the one this thread is blocking.
pub fn leftovers_blocking(
    url: String,
    handled: Vec<String>,
    expected: Expected,
    lateness_ms: i64,
) -> Result<Vec<Leftover>, String> {
    let as_of = dropflow::storage::now_ms();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime
            .block_on(leftovers(&url, &handled, &expected, as_of, lateness_ms))
            .map_err(|e| e.to_string())
    })
    .join()
    .map_err(|_| "the job check panicked".to_string())?
}

/// The failure message for leftovers.
pub fn describe(found: &[Leftover]) -> String {
    let mut text = String::from(
        "the test left jobs failed or undrained; if that is intended, declare it \
         (`app.expect_failed_jobs(kind)` / `app.allow_pending_jobs()`):",
    );
    for job in found {
        text.push_str(&format!(
            "\n  #{} {} {} (attempts {}){}",
            job.id,
            job.kind,
            job.status,
            job.attempts,
            job.last_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ));
    }
    text
}

/// How long `finish` waits for due jobs to drain.
pub const DRAIN: Duration = Duration::from_secs(10);

/// In a snapshot, how long a job must have been due to count as never run (the runner polls
/// every few milliseconds; a job this late was not going to be claimed).
pub const SNAPSHOT_LATENESS_MS: i64 = 2_000;

/// Fails the test with the leftovers.
pub fn fail(found: &[Leftover]) {
    panic!("{}", describe(found));
}
