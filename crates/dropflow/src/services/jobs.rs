//! The job queue as the owner sees it: list by status, retry a failed job.

use super::{ActionError, Caller, Context};
use crate::fulfilment::order_tx;
use crate::storage::accounts::Role;
use crate::storage::flags;
use crate::storage::jobs::{self as queue, JobView};
use crate::storage::StorageError;
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::lifecycle::Command;

pub const STATUSES: [&str; 4] = ["queued", "running", "succeeded", "failed"];

/// Jobs in one status (default failed), at most `limit` (1–500, default 100).
pub async fn list(
    ctx: &Context,
    caller: &Caller,
    status: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<JobView>, ActionError> {
    caller.require(&[Role::Owner], "see the job queue")?;
    let status = status.unwrap_or("failed");
    if !STATUSES.contains(&status) {
        return Err(ActionError::Invalid(format!(
            "unknown status {status:?}: use one of {}",
            STATUSES.join(", ")
        )));
    }
    let limit = limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ActionError::Invalid(
            "limit must be between 1 and 500".into(),
        ));
    }
    Ok(queue::list(&ctx.db, &caller.scope, status, limit).await?)
}

/// Puts a failed job back in the queue with a fresh set of tries; the `job_failed` flag it
/// raised on its order, if any, is settled in the same transaction (and said so on the
/// order's timeline).
pub async fn retry(ctx: &Context, caller: &Caller, id: i64) -> Result<(), ActionError> {
    caller.require(&[Role::Owner], "retry jobs")?;
    let mut tx = ctx.db.begin().await?;
    let Some(retried) = queue::retry(&mut tx, &caller.scope, id).await? else {
        drop(tx);
        return if queue::visible(&ctx.db, &caller.scope, id).await? {
            Err(ActionError::Conflict(format!("job {id} has not failed")))
        } else {
            // Another account's job is not found, as if it did not exist.
            Err(ActionError::NotFound(format!("job {id} not found")))
        };
    };
    if let Some(order_id) = retried.order_id {
        let settled =
            flags::resolve_for_job(&mut tx, order_id, id, &retried.kind, &caller.actor).await?;
        if settled > 0 {
            order_tx::apply(
                &mut tx,
                order_id,
                Command::Record(vec![OrderEvent::FlagResolved {
                    flag: flags::kind::JOB_FAILED.into(),
                    resolution: format!("job {id} ({}) retried", retried.kind),
                }]),
                Actor::Merchant(caller.actor.clone()),
            )
            .await
            .map_err(ActionError::internal)?;
        }
    }
    tx.commit().await.map_err(StorageError::from)?;
    tracing::info!(job.id = id, "failed job re-queued");
    ctx.db.jobs_queued.notify_one();
    Ok(())
}
