//! The job runner: claims due jobs of the kinds it has handlers for, runs them, and records
//! the outcome. Retries back off exponentially with jitter; after the last try a job is kept
//! as `failed` (visible in `dropflow jobs list --status failed`, retryable), never dropped.
//! Jobs of a kind with no handler in this process wait in the queue untouched.

/// Exponential backoff with jitter.
pub mod backoff;
/// Fair shares of the runner's slots across job kinds.
pub mod fair;
/// Job outcomes written in groups, one commit for many finished tries.
pub mod outcomes;

use crate::storage::jobs::{self as queue, ClaimedJob, Outcome};
use crate::storage::Database;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// A job body. `anyhow` here on purpose: a job's failure is reported, not matched on.
pub type Handler = Arc<dyn Fn(ClaimedJob) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Which function runs which job kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
    /// The supplier connectors the handlers speak through, kept so the HTTP side of the same
    /// process uses the same ones (`None`: the registry has no fulfilment handlers).
    suppliers: Option<crate::suppliers::Suppliers>,
    /// What this process has that failed jobs may wait for ([`waits`]): a supplier's or the
    /// tracking service's settings. Jobs waiting for one are queued again at start.
    provides: Vec<String>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register<F, Fut>(&mut self, kind: &str, handler: F)
    where
        F: Fn(ClaimedJob) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.handlers.insert(
            kind.to_string(),
            Arc::new(move |job| {
                let handler = handler.clone();
                Box::pin(async move { handler(job).await })
            }),
        );
    }

    /// Keeps the supplier connectors the fulfilment handlers use.
    pub fn set_suppliers(&mut self, suppliers: crate::suppliers::Suppliers) {
        self.suppliers = Some(suppliers);
    }

    /// The supplier connectors of this process (none configured: an empty set).
    pub fn suppliers(&self) -> crate::suppliers::Suppliers {
        self.suppliers.clone().unwrap_or_default()
    }

    /// Notes something this process has that jobs may wait for ([`waits`]).
    pub fn provide(&mut self, fix: String) {
        self.provides.push(fix);
    }

    /// Queues again every failed job that waits for something this process now has (the
    /// settings were added and dropflow restarted); how many.
    pub async fn requeue_provided(&self, db: &Database) -> crate::storage::Result<u64> {
        let mut requeued = 0;
        for fix in &self.provides {
            requeued += queue::requeue_waiting(db, fix).await?;
        }
        Ok(requeued)
    }

    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.handlers.keys().cloned().collect();
        kinds.sort();
        kinds
    }
}

/// Runner settings.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Jobs run at once in this process.
    pub concurrency: usize,
    /// How long a claim lasts without a heartbeat; a dead process's jobs return after it.
    pub lease: Duration,
    /// Sleep between polls when the queue is empty.
    pub poll_interval: Duration,
    pub backoff: backoff::Backoff,
    /// Fair shares of the slots across job kinds ([`fair`]).
    pub fair_share: bool,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            concurrency: 8,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(250),
            backoff: backoff::Backoff::default(),
            fair_share: true,
        }
    }
}

/// A process's job runner.
pub struct Runner {
    db: Database,
    registry: Registry,
    config: RunnerConfig,
    /// Unique per process: leases are checked against it.
    owner: String,
}

impl Runner {
    pub fn new(db: Database, registry: Registry, config: RunnerConfig) -> Runner {
        let owner = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7());
        Runner {
            db,
            registry,
            config,
            owner,
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Runs until `shutdown` turns true, then waits for the jobs in flight.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let kinds = self.registry.kinds();
        let kind_refs: Vec<&str> = kinds.iter().map(String::as_str).collect();
        let mut in_flight: JoinSet<String> = JoinSet::new();
        let mut slots = if self.config.fair_share {
            fair::Slots::new(self.config.concurrency)
        } else {
            fair::Slots::unfair(self.config.concurrency)
        };
        let mut last_sweep = std::time::Instant::now();
        let (recorder, writer) = outcomes::Recorder::start(self.db.clone(), self.owner.clone());
        loop {
            if *shutdown.borrow() {
                break;
            }
            while let Some(ended) = in_flight.try_join_next() {
                if let Ok(kind) = ended {
                    slots.ended(&kind);
                }
            }
            let claimed = self.claim_fairly(&mut slots, &kind_refs).await;
            if last_sweep.elapsed() > Duration::from_secs(30) {
                last_sweep = std::time::Instant::now();
                if let Err(error) = queue::fail_abandoned(&self.db).await {
                    tracing::warn!(%error, "could not sweep abandoned jobs");
                }
            }
            let idle = claimed.is_empty();
            for job in claimed {
                let kind = job.kind.clone();
                let Some(handler) = self.registry.handlers.get(&kind).cloned() else {
                    slots.ended(&kind);
                    continue;
                };
                let run = execute(
                    self.db.clone(),
                    recorder.clone(),
                    self.owner.clone(),
                    self.config.clone(),
                    handler,
                    job,
                );
                in_flight.spawn(async move {
                    run.await;
                    kind
                });
            }
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                    _ = self.db.jobs_queued.notified() => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        while in_flight.join_next().await.is_some() {}
        // Every outcome handed over is written before the runner says it has stopped.
        drop(recorder);
        let _ = writer.await;
    }
}

impl Runner {
    /// Claims what the free slots may take, each kind within its fair share ([`fair`]); a
    /// kind goes past its share only when nothing else was due. What it claims is counted in
    /// `slots` at once (the caller runs all of it).
    async fn claim_fairly(&self, slots: &mut fair::Slots, kinds: &[&str]) -> Vec<ClaimedJob> {
        let Some(first) = slots.first_claim(kinds) else {
            return Vec::new();
        };
        let mut claimed = self.claim(&first.kinds, first.limit).await;
        for job in &claimed {
            slots.started(&job.kind);
        }
        if claimed.len() < first.limit {
            if let Some(second) = slots.second_claim(kinds) {
                let more = self.claim(&second.kinds, second.limit).await;
                for job in &more {
                    slots.started(&job.kind);
                }
                claimed.extend(more);
            }
        }
        claimed
    }

    async fn claim(&self, kinds: &[&str], limit: usize) -> Vec<ClaimedJob> {
        match queue::claim(
            &self.db,
            &self.owner,
            kinds,
            limit as i64,
            self.config.lease.as_millis() as i64,
        )
        .await
        {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::warn!(%error, "could not claim jobs");
                Vec::new()
            }
        }
    }
}

/// Runs one job with a heartbeat, then records success or failure (grouped with other jobs'
/// outcomes by `recorder`).
async fn execute(
    db: Database,
    recorder: outcomes::Recorder,
    owner: String,
    config: RunnerConfig,
    handler: Handler,
    job: ClaimedJob,
) {
    let id = job.id;
    let kind = job.kind.clone();
    let attempt = job.attempt;
    let max_attempts = job.max_attempts;
    let heartbeat_db = db.clone();
    let lease_ms = config.lease.as_millis() as i64;
    let heartbeat = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis((lease_ms / 3).max(10) as u64)).await;
            match queue::heartbeat(&heartbeat_db, id, &owner, lease_ms).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => tracing::warn!(job.id = id, %error, "heartbeat failed"),
            }
        }
    });
    // A panicking job is a failed try, not a dead runner.
    let outcome = tokio::spawn(handler(job)).await;
    heartbeat.abort();
    let recorded = match outcome {
        Ok(Ok(())) => {
            let done = recorder.record(Outcome::Done { id }).await.map(|_| ());
            // A job's follow-ups (placing after routing, paying after placing) are ready now.
            db.jobs_queued.notify_one();
            db.events_recorded.notify_waiters();
            done
        }
        Ok(Err(error)) => {
            let failure = Failure {
                id,
                retry_at: retry_at(Some(&error), &config, attempt, max_attempts),
                attempt,
                error: format!("{error:#}"),
                waits_for: error.downcast_ref::<WaitsFor>().map(|w| w.fix.clone()),
                // A rate limit is the other side pacing us, not this job failing: the try
                // does not count, so a burst of 429s cannot use up the tries a real fault
                // would need.
                give_back: error.downcast_ref::<RetryAfter>().is_some(),
            };
            record_failure(&recorder, failure).await
        }
        Err(join_error) => {
            let failure = Failure {
                id,
                retry_at: retry_at(None, &config, attempt, max_attempts),
                attempt,
                error: format!("job panicked: {join_error}"),
                waits_for: None,
                give_back: false,
            };
            record_failure(&recorder, failure).await
        }
    };
    metrics::counter!("dropflow_jobs_finished_total", "kind" => kind.clone()).increment(1);
    if let Err(error) = recorded {
        tracing::error!(job.id = id, job.kind = %kind, %error, "could not record the job's outcome");
    }
}

/// A handler error that retrying cannot fix (credentials refused, the order gone): the job is
/// kept as failed at once, listed and retryable by a person, instead of burning its tries.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct GiveUp(pub String);

/// A failure only a person can fix, named by what fixes it (see its docs in core).
pub use dropflow_core::jobs::{waits, WaitsFor};

/// A handler error that says when to try again (a `Retry-After` from the other side).
#[derive(Debug, thiserror::Error)]
#[error("{message} (retry after {after:?})")]
pub struct RetryAfter {
    pub after: Duration,
    pub message: String,
}

/// When to run a failed job again: never for [`GiveUp`], when asked for [`RetryAfter`]
/// (still within the tries), otherwise the backoff.
fn retry_at(
    error: Option<&anyhow::Error>,
    config: &RunnerConfig,
    attempt: i64,
    max_attempts: i64,
) -> Option<i64> {
    if error.is_some_and(|e| {
        e.downcast_ref::<GiveUp>().is_some() || e.downcast_ref::<WaitsFor>().is_some()
    }) {
        return None;
    }
    // Being asked to wait is not failing (the try is given back, see `execute`): wait as
    // asked, at least a second.
    if let Some(wait) = error.and_then(|e| e.downcast_ref::<RetryAfter>()) {
        return Some(
            crate::storage::now_ms() + wait.after.max(Duration::from_secs(1)).as_millis() as i64,
        );
    }
    if attempt >= max_attempts {
        return None;
    }
    Some(crate::storage::now_ms() + config.backoff.delay(attempt).as_millis() as i64)
}

/// One failed try, as it is recorded.
struct Failure {
    id: i64,
    retry_at: Option<i64>,
    attempt: i64,
    error: String,
    waits_for: Option<String>,
    give_back: bool,
}

async fn record_failure(
    recorder: &outcomes::Recorder,
    failure: Failure,
) -> Result<(), outcomes::NotRecorded> {
    let Failure {
        id,
        retry_at,
        attempt,
        error,
        waits_for,
        give_back,
    } = failure;
    if let Some(fix) = &waits_for {
        tracing::warn!(
            job.id = id,
            job.waits_for = fix.as_str(),
            "job waits for a person's fix"
        );
    } else if retry_at.is_none() {
        tracing::error!(
            job.id = id,
            job.attempt = attempt,
            "job failed on its last try; kept as failed"
        );
    } else {
        tracing::warn!(job.id = id, job.attempt = attempt, "job failed; will retry");
    }
    let failed = Outcome::Failed {
        id,
        error,
        retry_at_ms: retry_at,
        waits_for,
        give_back,
    };
    recorder.record(failed).await.map(|_| ())
}
