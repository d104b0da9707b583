//! The job queue as the owner sees it: list by status, retry a failed job.

use super::{ActionError, Caller, Context};
use crate::storage::accounts::Role;
use crate::storage::jobs::{self as queue, JobView};

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

/// Puts a failed job back in the queue with a fresh set of tries.
pub async fn retry(ctx: &Context, caller: &Caller, id: i64) -> Result<(), ActionError> {
    caller.require(&[Role::Owner], "retry jobs")?;
    if queue::retry(&ctx.db, &caller.scope, id).await? {
        tracing::info!(job.id = id, "failed job re-queued");
        Ok(())
    } else if queue::visible(&ctx.db, &caller.scope, id).await? {
        Err(ActionError::Conflict(format!("job {id} has not failed")))
    } else {
        // Another account's job is not found, as if it did not exist.
        Err(ActionError::NotFound(format!("job {id} not found")))
    }
}
