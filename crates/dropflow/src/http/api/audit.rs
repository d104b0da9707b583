//! `GET /audit`: the caller's account's audit log. An adapter over
//! [`crate::services::audit::list`].

use crate::http::api::Answer;
use crate::http::auth::Acting;
use crate::http::error::ErrorBody;
use crate::http::extract::ApiQuery;
use crate::services::audit::{self, AuditPage, AuditParams};
use axum::Json;

/// Who changed what in the account, newest first: settings, SKU mappings, exchange rates,
/// warehouse rules and money actions, each with its actor and the subject before and after
/// (secrets shown as "[redacted]"). Owners only.
#[utoipa::path(get, path = "/api/v1/audit", params(AuditParams),
    responses((status = 200, body = AuditPage),
        (status = 400, body = ErrorBody, description = "a filter that cannot be read \
            (`from`, `to`, `limit`; named)"),
        (status = 403, body = ErrorBody, description = "anyone but an owner"),
        (status = 404, body = ErrorBody, description = "a store the caller does not see")))]
pub async fn list(
    Acting(ctx, caller): Acting,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Answer<AuditPage> {
    Ok(Json(audit::list(&ctx, &caller, &params).await?))
}

/// The audit route, merged into `/api/v1`.
pub fn routes() -> axum::Router<crate::http::HttpState> {
    axum::Router::new().route("/audit", axum::routing::get(list))
}
