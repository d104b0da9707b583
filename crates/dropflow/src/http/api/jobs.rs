//! The job queue: adapters over [`crate::services::jobs`].

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::services::jobs;
use crate::services::{Caller, Context};
use crate::storage::jobs::JobView;
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

/// Lists jobs in one status.
#[utoipa::path(get, path = "/api/v1/jobs", params(JobParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<JobView>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<Context>,
    caller: Caller,
    ApiQuery(params): ApiQuery<JobParams>,
) -> Result<Json<Vec<JobView>>, ApiError> {
    let jobs = jobs::list(&state, &caller, params.status.as_deref(), params.limit).await?;
    Ok(Json(jobs))
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
    jobs::retry(&state, &caller, id).await?;
    Ok(Json(serde_json::json!({ "id": id, "status": "queued" })))
}
