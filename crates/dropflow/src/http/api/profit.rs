//! Profit: one order's, a store's grouped by day, product, supplier or store (JSON, or CSV
//! streamed row by row), and the store's payment-fee rule. Adapters over
//! [`crate::services::profit`].

use crate::http::api::views::profit::{OrderProfit, PaymentFee, ProfitReport};
use crate::http::api::{Answer, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::profit::{self as service, ReportQuery};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};

/// One order's profit in its currency, or the costs still missing (then no figure).
#[utoipa::path(get, path = "/api/v1/orders/{id}/profit",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = OrderProfit),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such order the caller sees")))]
pub async fn order(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<OrderProfit> {
    let figure = service::order(&ctx, &caller, &id).await?;
    Ok(Json(OrderProfit::from(&figure)))
}

/// What a store report asks.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// day (default), product, supplier or store.
    pub by: Option<String>,
    /// First day of the orders, `YYYY-MM-DD` (UTC, when the order reached dropflow).
    pub from: Option<String>,
    /// Last day of the orders, included.
    pub to: Option<String>,
}

fn query_of(params: &ReportParams) -> Result<ReportQuery, ApiError> {
    Ok(ReportQuery::parse(
        params.by.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
    )?)
}

/// A store's profit grouped by day, product, supplier or store: one row per group and
/// currency; an order with a missing cost is counted as `incomplete` and adds no figure.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/profit",
    params(("store_id" = String, Path, description = "store id"), ReportParams),
    responses((status = 200, body = ProfitReport),
        (status = 400, body = ErrorBody, description = "an unknown `by`, or a date that is not YYYY-MM-DD, or from after to"),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such store the caller sees")))]
pub async fn report(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Answer<ProfitReport> {
    let query = query_of(&params)?;
    let rows = service::report(&ctx, &caller, &store_id, &query).await?;
    Ok(Json(ProfitReport::new(&store_id, query.by.as_str(), &rows)))
}

/// The same report as CSV (`key,label,currency,orders,incomplete,revenue,taxes,<each cost
/// kind>,cost_total,profit`, amounts as the JSON's decimal strings), written row by row.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/profit.csv",
    params(("store_id" = String, Path, description = "store id"), ReportParams),
    responses((status = 200, content_type = "text/csv; charset=utf-8", body = String,
            description = "the report, as an attachment"),
        (status = 400, body = ErrorBody, description = "an unknown `by`, or a date that is not YYYY-MM-DD, or from after to"),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such store the caller sees")))]
pub async fn report_csv(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    let query = query_of(&params)?;
    let rows = service::report(&ctx, &caller, &store_id, &query).await?;
    Ok(service::csv_response(query.by, rows))
}

/// The store's payment-fee rule, when one is set.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentFeeSetting {
    /// `null` until set: every order's profit then names the fee as missing.
    rule: Option<PaymentFee>,
}

/// The store's payment-fee rule.
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/payment-fee",
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = PaymentFeeSetting)))]
pub async fn fee(Acting(ctx, caller): Acting, ApiPath(store_id): Id) -> Answer<PaymentFeeSetting> {
    let rule = service::fee_rule(&ctx, &caller, &store_id).await?;
    Ok(Json(PaymentFeeSetting {
        rule: rule.map(PaymentFee::from),
    }))
}

/// Sets the store's payment-fee rule (owners). 422: percent_bps outside 0–10000, a negative
/// or absurd fixed amount, an unknown currency; nothing is written.
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/payment-fee", request_body = PaymentFee,
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = PaymentFeeSetting)))]
pub async fn put_fee(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<PaymentFee>,
) -> Answer<PaymentFeeSetting> {
    let rule = service::set_fee_rule(
        &ctx,
        &caller,
        &store_id,
        input.percent_bps,
        input.fixed_minor,
        &input.fixed_currency,
    )
    .await?;
    Ok(Json(PaymentFeeSetting {
        rule: Some(rule.into()),
    }))
}

/// The profit routes, merged into `/api/v1`.
pub fn routes() -> axum::Router<crate::http::HttpState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/orders/{id}/profit", get(order))
        .route("/stores/{store_id}/profit", get(report))
        .route("/stores/{store_id}/profit.csv", get(report_csv))
        .route("/stores/{store_id}/payment-fee", get(fee).put(put_fee))
}
