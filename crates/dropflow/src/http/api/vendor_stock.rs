//! A manual vendor's stock and cost: an adapter over [`crate::services::vendor_stock`].

use crate::http::api::{Answer, Id};
use crate::http::auth::Acting;
use crate::http::error::ErrorBody;
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::vendor_stock::{self as service, LineError, StockLine, StockReport};
use axum::body::Bytes;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One SKU's figures; a figure left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockLineInput {
    /// The vendor's SKU, as the mappings name it.
    supplier_sku_id: String,
    /// Units the vendor has (0 to 10,000,000).
    stock: Option<u32>,
    /// What one unit costs, a decimal in `currency` (`"4.50"`).
    unit_cost: Option<String>,
    /// ISO 4217, with `unit_cost`.
    currency: Option<String>,
}

/// The figures to enter, at most 5,000 lines.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockInput {
    lines: Vec<StockLineInput>,
}

/// A line left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockLineError {
    /// 1-based: the line of `lines`, or of the CSV file (its header is line 1).
    line: usize,
    supplier_sku_id: String,
    message: String,
}

/// What the entry did: lines kept, mappings whose figures changed, lines left out and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockReportView {
    accepted: usize,
    mappings_changed: usize,
    errors: Vec<StockLineError>,
}

impl From<StockReport> for StockReportView {
    fn from(r: StockReport) -> Self {
        StockReportView {
            accepted: r.accepted,
            mappings_changed: r.mappings_changed,
            errors: r
                .errors
                .into_iter()
                .map(|e: LineError| StockLineError {
                    line: e.line,
                    supplier_sku_id: e.supplier_sku_id,
                    message: e.message,
                })
                .collect(),
        }
    }
}

/// The vendor's stock and unit cost per SKU: every mapping of the account that buys the SKU
/// from this vendor takes them (routing uses them at once; the stores are written at the
/// next sync; orders held for stock are planned again). Each line is checked alone: good
/// lines are kept, bad ones answered in `errors` and left out. A vendor enters its own
/// (another vendor's handle is 404); the owner enters any vendor's.
#[utoipa::path(put, path = "/api/v1/vendors/{vendor}/stock",
    params(("vendor" = String, Path, description = "the vendor's handle")),
    request_body = StockInput,
    responses((status = 200, body = StockReportView),
        (status = 400, body = ErrorBody, description = "a body that is not the JSON documented"),
        (status = 403, body = ErrorBody, description = "staff or warehouse users"),
        (status = 404, body = ErrorBody, description = "a vendor naming another vendor"),
        (status = 422, body = ErrorBody, description = "more than 5,000 lines, or a field of the wrong type")))]
pub async fn put(
    Acting(ctx, caller): Acting,
    ApiPath(vendor): Id,
    ApiJson(input): ApiJson<StockInput>,
) -> Answer<StockReportView> {
    let lines = input
        .lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let line = StockLine {
                supplier_sku_id: l.supplier_sku_id,
                stock: l.stock,
                unit_cost: l.unit_cost,
                currency: l.currency,
            };
            (i + 1, line)
        })
        .collect();
    let report = service::enter(&ctx, &caller, Some(&vendor), lines).await?;
    Ok(Json(report.into()))
}

/// The same as a CSV file (`text/csv`): a header line naming `supplier_sku_id` and any of
/// `stock`, `unit_cost`, `currency`, one SKU per line; an empty cell leaves that figure as it
/// is. Rows that cannot be read are answered in `errors` with their line in the file.
#[utoipa::path(post, path = "/api/v1/vendors/{vendor}/stock/csv",
    params(("vendor" = String, Path, description = "the vendor's handle")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = StockReportView),
        (status = 403, body = ErrorBody, description = "staff or warehouse users"),
        (status = 404, body = ErrorBody, description = "a vendor naming another vendor"),
        (status = 422, body = ErrorBody, description = "more than 5,000 lines")))]
pub async fn put_csv(
    Acting(ctx, caller): Acting,
    ApiPath(vendor): Id,
    body: Bytes,
) -> Answer<StockReportView> {
    let report = service::enter_csv(&ctx, &caller, Some(&vendor), body.as_ref()).await?;
    Ok(Json(report.into()))
}

pub fn routes() -> axum::Router<crate::http::HttpState> {
    axum::Router::new()
        .route("/vendors/{vendor}/stock", axum::routing::put(put))
        .route("/vendors/{vendor}/stock/csv", axum::routing::post(put_csv))
}
