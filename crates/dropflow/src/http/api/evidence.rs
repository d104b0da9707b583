//! `GET /orders/{id}/evidence`: the evidence file for answering a payment dispute, one HTML
//! document downloaded as `evidence-<order name>.html`. An adapter over
//! [`crate::services::evidence::file`].

use crate::http::api::Id;
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiPath;
use crate::services::evidence;
use axum::response::{IntoResponse, Response};

/// The order's dispute evidence: the order, the shipping address, every parcel with its
/// tracking events and delivery date, the disputes, the cases with their notes and the
/// customer's photos, and the full timeline, as one self-contained HTML file. Owner and staff only: it holds the
/// customer's address.
#[utoipa::path(get, path = "/api/v1/orders/{id}/evidence",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, content_type = "text/html; charset=utf-8", body = String,
            description = "the evidence file, as an attachment"),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such order the caller sees")))]
pub async fn download(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Result<Response, ApiError> {
    Ok(evidence::file(&ctx, &caller, &id).await?.into_response())
}

/// The evidence route, merged into `/api/v1`.
pub fn routes() -> axum::Router<crate::http::HttpState> {
    axum::Router::new().route("/orders/{id}/evidence", axum::routing::get(download))
}
