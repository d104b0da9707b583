use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::services::Caller;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::jobs::{self as queue, JobView};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobParams {
    /// queued, running, succeeded or failed (default failed).
    #[param(schema_with = crate::http::openapi::job_status_schema)]
    pub status: Option<String>,
    /// 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

pub const STATUSES: [&str; 4] = ["queued", "running", "succeeded", "failed"];

/// Lists jobs in one status.
#[utoipa::path(get, path = "/api/v1/jobs", params(JobParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<JobView>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
    ApiQuery(params): ApiQuery<JobParams>,
) -> Result<Json<Vec<JobView>>, ApiError> {
    caller.require(&[Role::Owner], "see the job queue")?;
    let status = params.status.as_deref().unwrap_or("failed");
    if !STATUSES.contains(&status) {
        return Err(ApiError::BadRequest(format!(
            "unknown status {status:?}: use one of {}",
            STATUSES.join(", ")
        )));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 500".into(),
        ));
    }
    Ok(Json(
        queue::list(&state.db, &caller.scope, status, limit).await?,
    ))
}

/// Puts a failed job back in the queue with a fresh set of tries.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", security(("bearer" = [])),
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn retry(
    State(state): State<Context>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(&[Role::Owner], "retry jobs")?;
    if queue::retry(&state.db, &caller.scope, id).await? {
        tracing::info!(job.id = id, "failed job re-queued");
        Ok(Json(serde_json::json!({ "id": id, "status": "queued" })))
    } else if queue::visible(&state.db, &caller.scope, id).await? {
        Err(ApiError::Conflict(format!("job {id} has not failed")))
    } else {
        // Another account's job is not found, as if it did not exist.
        Err(ApiError::NotFound(format!("job {id} not found")))
    }
}
