//! The job queue: adapters over [`crate::services::jobs`].

use crate::http::api::views::{each, jobs::JobView};
use crate::http::api::Answer;
use crate::http::auth::Acting;
use crate::http::error::ErrorBody;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::services::jobs;
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
#[utoipa::path(get, path = "/api/v1/jobs", params(JobParams),
    responses((status = 200, body = Vec<JobView>)))]
pub async fn list(
    Acting(ctx, caller): Acting,
    ApiQuery(params): ApiQuery<JobParams>,
) -> Answer<Vec<JobView>> {
    let jobs = jobs::list(&ctx, &caller, params.status.as_deref(), params.limit).await?;
    Ok(Json(each(jobs)))
}

/// Puts a failed job back in the queue with a fresh set of tries.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = Object), (status = 409, body = ErrorBody)))]
pub async fn retry(
    Acting(ctx, caller): Acting,
    ApiPath(id): ApiPath<i64>,
) -> Answer<serde_json::Value> {
    jobs::retry(&ctx, &caller, id).await?;
    Ok(Json(serde_json::json!({ "id": id, "status": "queued" })))
}
