//! A manual vendor's earnings and payouts: adapters over [`crate::services::vendor_payouts`].
//!
//! - `GET /vendors` (owner): every vendor's purses and the requests waiting;
//! - `GET /vendors/{vendor}/earnings` (the vendor itself, or the owner): purses, each order's
//!   earning with the date it becomes available, charges, payouts;
//! - `GET|PUT /vendors/{vendor}/settings`: holding period, minimum, schedule (PUT: owner);
//! - `POST /vendors/{vendor}/payouts` (the vendor): asks for a payout;
//! - `GET /payouts/{id}`: a payout and its statement;
//! - `POST /payouts/{id}/pay`, `POST /payouts/{id}/decline` (owner).
//!
//! Amounts are decimal strings in the purse's currency.

use crate::http::api::{Answer, Created, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::vendor_payouts::{
    self as service, DeclineInput, PayInput, PayoutRequestInput, PayoutView, SettingsInput,
    SettingsView, StatementView, VendorEarningsView, VendorsView,
};
use axum::Json;

/// Every vendor's purses (pending, available, paid per store and currency) and the payout
/// requests waiting for a decision.
#[utoipa::path(get, path = "/api/v1/vendors",
    responses((status = 200, body = VendorsView),
        (status = 403, body = ErrorBody, description = "anyone but the owner")))]
pub async fn vendors(Acting(ctx, caller): Acting) -> Answer<VendorsView> {
    Ok(Json(service::vendors(&ctx, &caller).await?))
}

/// One vendor's money: purses, each order's earning with the date it becomes available,
/// charges, payouts. A vendor reads only its own (another handle is 404).
#[utoipa::path(get, path = "/api/v1/vendors/{vendor}/earnings",
    params(("vendor" = String, Path, description = "vendor handle")),
    responses((status = 200, body = VendorEarningsView),
        (status = 403, body = ErrorBody, description = "staff or warehouse users"),
        (status = 404, body = ErrorBody, description = "a vendor asking for another's")))]
pub async fn earnings(
    Acting(ctx, caller): Acting,
    ApiPath(vendor): Id,
) -> Answer<VendorEarningsView> {
    Ok(Json(service::overview(&ctx, &caller, &vendor).await?))
}

/// A vendor's payout settings (the defaults when none were set).
#[utoipa::path(get, path = "/api/v1/vendors/{vendor}/settings",
    params(("vendor" = String, Path, description = "vendor handle")),
    responses((status = 200, body = SettingsView)))]
pub async fn settings(Acting(ctx, caller): Acting, ApiPath(vendor): Id) -> Answer<SettingsView> {
    Ok(Json(service::settings(&ctx, &caller, &vendor).await?))
}

/// Sets a vendor's holding period, minimum payout and schedule (owner). A new holding period
/// applies to purchases delivered from now on.
#[utoipa::path(put, path = "/api/v1/vendors/{vendor}/settings", request_body = SettingsInput,
    params(("vendor" = String, Path, description = "vendor handle")),
    responses((status = 200, body = SettingsView),
        (status = 422, body = ErrorBody, description = "holding days outside 0–365, a \
            negative minimum, an unknown schedule (named)")))]
pub async fn put_settings(
    Acting(ctx, caller): Acting,
    ApiPath(vendor): Id,
    ApiJson(input): ApiJson<SettingsInput>,
) -> Answer<SettingsView> {
    Ok(Json(
        service::put_settings(&ctx, &caller, &vendor, input).await?,
    ))
}

/// The vendor asks for a payout: at least its minimum, at most what is available, one open
/// request at a time.
#[utoipa::path(post, path = "/api/v1/vendors/{vendor}/payouts", request_body = PayoutRequestInput,
    params(("vendor" = String, Path, description = "vendor handle (the caller's own)")),
    responses((status = 201, body = PayoutView),
        (status = 403, body = ErrorBody, description = "anyone but the vendor"),
        (status = 409, body = ErrorBody, description = "a request is already open"),
        (status = 422, body = ErrorBody, description = "an amount below the minimum, above \
            what is available, not positive or not in the currency; no earnings in the \
            currency; a store to name (named)")))]
pub async fn request(
    Acting(ctx, caller): Acting,
    ApiPath(vendor): Id,
    ApiJson(input): ApiJson<PayoutRequestInput>,
) -> Result<Created<PayoutView>, ApiError> {
    Ok(Created(
        service::request(&ctx, &caller, &vendor, input).await?,
    ))
}

/// A payout and its statement: the balance carried forward, the earnings and charges it
/// covers, what was paid, the balance carried to the next.
#[utoipa::path(get, path = "/api/v1/payouts/{id}",
    params(("id" = String, Path, description = "payout id")),
    responses((status = 200, body = StatementView)))]
pub async fn show(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<StatementView> {
    Ok(Json(service::show(&ctx, &caller, &id).await?))
}

/// Records a requested payout as paid (owner), with how it was paid: posts it in the ledger,
/// fixes its statement and mails the vendor.
#[utoipa::path(post, path = "/api/v1/payouts/{id}/pay", request_body = PayInput,
    params(("id" = String, Path, description = "payout id")),
    responses((status = 200, body = StatementView),
        (status = 409, body = ErrorBody, description = "already paid or declined, or more \
            than is available now (charges landed since the request)"),
        (status = 422, body = ErrorBody, description = "an unknown method, a reference or \
            note missing or too long")))]
pub async fn pay(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<PayInput>,
) -> Answer<StatementView> {
    Ok(Json(service::pay(&ctx, &caller, &id, input).await?))
}

/// Declines a requested payout (owner), with a note the vendor reads.
#[utoipa::path(post, path = "/api/v1/payouts/{id}/decline", request_body = DeclineInput,
    params(("id" = String, Path, description = "payout id")),
    responses((status = 200, body = PayoutView),
        (status = 409, body = ErrorBody, description = "already paid or declined"),
        (status = 422, body = ErrorBody, description = "the note missing or too long")))]
pub async fn decline(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<DeclineInput>,
) -> Answer<PayoutView> {
    Ok(Json(service::decline(&ctx, &caller, &id, input).await?))
}

pub fn routes() -> axum::Router<crate::http::HttpState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/vendors", get(vendors))
        .route("/vendors/{vendor}/earnings", get(earnings))
        .route(
            "/vendors/{vendor}/settings",
            get(settings).put(put_settings),
        )
        .route("/vendors/{vendor}/payouts", post(request))
        .route("/payouts/{id}", get(show))
        .route("/payouts/{id}/pay", post(pay))
        .route("/payouts/{id}/decline", post(decline))
}
