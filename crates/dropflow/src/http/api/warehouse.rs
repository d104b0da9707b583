//! The warehouse leg over HTTP. Operators (warehouse role, or an owner): receive scans, list
//! unknown parcels, inspect items (multipart with photos), pack, dispatch. The rate tables and
//! refund rules are one installation-wide document each (the agent's warehouse is an operator
//! of the installation; merchants are its customers): only the warehouse's own operators —
//! warehouse users of the installation's operator account, `[warehouse] operator_account` —
//! change them; merchants and operators read them. Merchants (owner, staff): see the order at the warehouse,
//! decide on failed items (a return refunds the goods by the rules, a reorder buys again),
//! ship what is here, choose the carrier, pay the shipping fee, set the auto-pick rule.
//! Customers' returns of after-sale cases whose goods come back to the warehouse are received
//! by the same scan and inspected with the same form (`/warehouse/returns`).
//!
//! The handlers here are adapters over [`crate::services::warehouse`].

use crate::fulfilment::warehouse::case_returns::ReturnInspected;
use crate::fulfilment::warehouse::{combine, floor};
use crate::http::api::views::each;
use crate::http::api::views::warehouse::{
    Package, ReturnReceipt, ScanException, WarehouseSettings, WarehouseView,
};
use crate::http::api::{Answer, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::warehouse::{
    self as service, decide_on_failed, pay_fee, record_inspection, ChooseInput, DecisionResult,
    DispatchInput, InspectionForm, PackInput, RatesBody, RefundRulesBody, ResolveInput, ScanInput,
    OPERATORS,
};
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::NoContent;
use axum::Json;
use dropflow_core::warehouse::inspection::Outcome;
use serde::Deserialize;

/// Receives a parcel: 200 with what it matched, or 202 with an exception id for a parcel
/// nobody expected (kept on the exceptions list of the caller's account, never lost). Only
/// parcels of orders in the caller's scope match. A customer's return parcel of an
/// after-sale case whose goods come back to the warehouse matches by its tracking number
/// (`case_returns`): the case's return is delivered, once; the same return scanned again is
/// 200 with `received_now: false` and nothing changed. 409 when the case cannot take its goods
/// back (closed, or settled by the merchant).
#[utoipa::path(post, path = "/api/v1/warehouse/receive", request_body = ScanInput,
    responses((status = 200, body = floor::Received), (status = 202, body = floor::Received),
        (status = 409, body = ErrorBody)))]
pub async fn receive(
    Acting(ctx, caller): Acting,
    ApiJson(input): ApiJson<ScanInput>,
) -> Result<(StatusCode, Json<floor::Received>), ApiError> {
    let received = service::receive(&ctx, &caller, &input).await?;
    let status = match received {
        floor::Received::Matched { .. } | floor::Received::CaseReturns { .. } => StatusCode::OK,
        floor::Received::Unknown { .. } => StatusCode::ACCEPTED,
    };
    Ok((status, Json(received)))
}

/// Which exceptions to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExceptionsParams {
    /// Resolved ones too (default: open ones only).
    pub all: Option<bool>,
}

/// Scans of the caller's account that matched no expected parcel, newest first: open ones,
/// or every one with `?all=true`.
#[utoipa::path(get, path = "/api/v1/warehouse/exceptions", params(ExceptionsParams),
    responses((status = 200, body = Vec<ScanException>)))]
pub async fn exceptions(
    Acting(ctx, caller): Acting,
    ApiQuery(params): ApiQuery<ExceptionsParams>,
) -> Answer<Vec<ScanException>> {
    let open_only = !params.all.unwrap_or(false);
    Ok(Json(each(
        crate::services::warehouse::exceptions(&ctx, &caller, open_only).await?,
    )))
}

/// Links an open exception to an order of the caller's scope (`order`): a timeline note on
/// the order, and the order's parcels not received yet are received (as a matching scan would
/// do). Or to an after-sale case (`case`): the parcel was the customer's return of it, received
/// now (`case_return`). 404 for an exception outside the caller's account or a case outside
/// its scope, 409 when already resolved or the case's return was already received, 422 for
/// an order that is unknown or not shipped through the warehouse, a case whose goods do not
/// come back to the warehouse, or a body naming both or neither.
#[utoipa::path(post, path = "/api/v1/warehouse/exceptions/{id}/resolve",
    request_body = ResolveInput, params(("id" = String, Path, description = "exception id")),
    responses((status = 200, body = floor::Resolved), (status = 409, body = ErrorBody)))]
pub async fn resolve(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<ResolveInput>,
) -> Answer<floor::Resolved> {
    let resolved = match (input.order.as_deref(), input.case.as_deref()) {
        (Some(order), None) => service::resolve_exception(&ctx, &caller, &id, order).await?,
        (None, Some(case)) => service::resolve_exception_to_case(&ctx, &caller, &id, case).await?,
        _ => {
            return Err(ApiError::Unprocessable(
                "order, case: give the order the parcel is for, or the case it is the return \
                 of (one of the two)"
                    .into(),
            ))
        }
    };
    Ok(Json(resolved))
}

/// Which returns to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnsParams {
    /// Inspected ones too, newest first (default: those waiting for inspection, oldest
    /// first).
    pub all: Option<bool>,
}

/// Customers' returns of after-sale cases received at the warehouse, of orders the caller
/// sees: those waiting for inspection, or every one with `?all=true`.
#[utoipa::path(get, path = "/api/v1/warehouse/returns", params(ReturnsParams),
    responses((status = 200, body = Vec<ReturnReceipt>)))]
pub async fn returns(
    Acting(ctx, caller): Acting,
    ApiQuery(params): ApiQuery<ReturnsParams>,
) -> Answer<Vec<ReturnReceipt>> {
    let waiting_only = !params.all.unwrap_or(false);
    Ok(Json(each(
        service::returns(&ctx, &caller, waiting_only).await?,
    )))
}

/// Records the inspection of a case's returned goods (multipart, as an item's inspection:
/// `outcome`, `reasons`, `checklist`, `note`, `photos`), counted against every unit the case
/// claims: a pass restocks them at the warehouse, a failure disposes of them, and the case's
/// return is settled. 404 when the case's return was not received at the warehouse or is
/// outside the caller's scope, 409 when already inspected.
#[utoipa::path(post, path = "/api/v1/warehouse/returns/{case_id}/inspection",
    params(("case_id" = String, Path, description = "case id")),
    request_body(content = InspectionForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ReturnInspected), (status = 409, body = ErrorBody)))]
pub async fn inspect_return(
    Acting(ctx, caller): Acting,
    ApiPath(case_id): Id,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Answer<ReturnInspected> {
    caller.require(OPERATORS, "inspect returned goods")?;
    let parts =
        crate::services::warehouse::read_inspection(multipart_or_error(multipart)?, &[]).await?;
    Ok(Json(
        service::record_return_inspection(&ctx, &caller, &case_id, parts.form, parts.uploads)
            .await?,
    ))
}

/// A body that is not multipart gets the API's JSON error, not axum's text.
fn multipart_or_error(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Multipart, ApiError> {
    multipart.map_err(|e| {
        if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            ApiError::UnsupportedMediaType("expected Content-Type: multipart/form-data".into())
        } else {
            ApiError::BadRequest(format!("multipart: {}", e.body_text()))
        }
    })
}

/// Records an inspection (multipart: `outcome`, `reasons`, `checklist`, `note`, `photos`).
/// The outcome given must be the one the checklist gives.
#[utoipa::path(post, path = "/api/v1/warehouse/items/{id}/inspection",
    params(("id" = String, Path, description = "warehouse item id")),
    request_body(content = InspectionForm, content_type = "multipart/form-data"),
    responses((status = 200, body = Object), (status = 409, body = ErrorBody)))]
pub async fn inspect(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Answer<Outcome> {
    caller.require(OPERATORS, "inspect items")?;
    let parts =
        crate::services::warehouse::read_inspection(multipart_or_error(multipart)?, &[]).await?;
    Ok(Json(
        record_inspection(&ctx, &caller, &id, parts.form, parts.uploads).await?,
    ))
}

/// Packs the order's cleared items (and those of `with_orders`) and quotes the carriers.
/// 409 while items are missing (unless the merchant chose to ship what is here) or wait for
/// inspection, or when an order to combine is not ready; 422 when it belongs to another
/// store or goes to another address. Nothing is written when refused.
#[utoipa::path(post, path = "/api/v1/warehouse/orders/{id}/pack", request_body = PackInput,
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Package), (status = 409, body = ErrorBody)))]
pub async fn pack(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<PackInput>,
) -> Answer<Package> {
    Ok(Json(
        service::pack_order(&ctx, &caller, &id, &input)
            .await?
            .into(),
    ))
}

/// Other orders of the same store going to the same address (name, lines, city, postcode,
/// country) whose items are all inspected and cleared: they may be packed with this one
/// (`with_orders`). Empty when there are none, or the order has no complete address.
#[utoipa::path(get, path = "/api/v1/warehouse/orders/{id}/combinable",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<combine::Combinable>)))]
pub async fn combinable(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
) -> Answer<Vec<combine::Combinable>> {
    Ok(Json(service::combinable(&ctx, &caller, &id).await?))
}

/// Dispatches a package: REFUSED (409, nothing changed) while its shipping fee is unpaid.
#[utoipa::path(post, path = "/api/v1/warehouse/packages/{id}/dispatch",
    request_body = DispatchInput, params(("id" = String, Path, description = "package id")),
    responses((status = 200, body = Package), (status = 409, body = ErrorBody)))]
pub async fn dispatch(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<DispatchInput>,
) -> Answer<Package> {
    Ok(Json(
        service::dispatch_package(&ctx, &caller, &id, &input)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/warehouse/rates", responses((status = 200, body = RatesBody)))]
pub async fn rates(Acting(ctx, caller): Acting) -> Answer<RatesBody> {
    Ok(Json(service::rates(&ctx, &caller).await?))
}

/// Replaces the rate tables; a table with problems is refused (422) listing each of them.
#[utoipa::path(put, path = "/api/v1/warehouse/rates", request_body = RatesBody,
    responses((status = 200, body = RatesBody)))]
pub async fn put_rates(
    Acting(ctx, caller): Acting,
    ApiJson(input): ApiJson<RatesBody>,
) -> Answer<RatesBody> {
    Ok(Json(service::put_rates(&ctx, &caller, input).await?))
}

#[utoipa::path(get, path = "/api/v1/warehouse/refund-rules",
    responses((status = 200, body = RefundRulesBody)))]
pub async fn refund_rules(Acting(ctx, caller): Acting) -> Answer<RefundRulesBody> {
    Ok(Json(service::refund_rules(&ctx, &caller).await?))
}

/// Replaces the refund rules; rules with problems are refused (422) naming each of them, and
/// the rules in force stay as they were.
#[utoipa::path(put, path = "/api/v1/warehouse/refund-rules", request_body = RefundRulesBody,
    responses((status = 200, body = RefundRulesBody)))]
pub async fn put_refund_rules(
    Acting(ctx, caller): Acting,
    ApiJson(input): ApiJson<RefundRulesBody>,
) -> Answer<RefundRulesBody> {
    Ok(Json(service::put_refund_rules(&ctx, &caller, input).await?))
}

/// The order at the warehouse: arrived and missing items (tracking, expected arrival),
/// inspection results, packages with the carriers offered.
#[utoipa::path(get, path = "/api/v1/orders/{id}/warehouse",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = WarehouseView)))]
pub async fn show(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<WarehouseView> {
    Ok(Json(service::view(&ctx, &caller, &id).await?.into()))
}

/// The merchant's decision on failed items.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `return_refund`, `reorder` or `accept`.
    #[schema(schema_with = crate::http::openapi::decision_schema)]
    pub decision: String,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/warehouse/decision", request_body = DecisionInput,
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = DecisionResult), (status = 409, body = ErrorBody)))]
pub async fn decide(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<DecisionInput>,
) -> Answer<DecisionResult> {
    Ok(Json(
        decide_on_failed(&ctx, &caller, &id, &input.decision).await?,
    ))
}

/// Ship what is here now; the rest follows.
#[utoipa::path(post, path = "/api/v1/orders/{id}/warehouse/ship-what-is-here",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn ship_what_is_here(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
) -> Result<NoContent, ApiError> {
    service::ship_here(&ctx, &caller, &id).await?;
    Ok(NoContent)
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/shipping", request_body = ChooseInput,
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Package), (status = 409, body = ErrorBody)))]
pub async fn choose(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<ChooseInput>,
) -> Answer<Package> {
    Ok(Json(
        service::choose_carrier(&ctx, &caller, &id, &input)
            .await?
            .into(),
    ))
}

/// Which package's fee to pay.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayParams {
    /// The package (default: the order's package being prepared).
    pub package_id: Option<String>,
}

/// Pays the shipping fee of the order's package from the wallet, once (a package combining
/// several orders is paid once, through any of them); a short wallet is a 409 and the order
/// waits, as is a fee already paid.
#[utoipa::path(post, path = "/api/v1/orders/{id}/shipping/pay",
    params(("id" = String, Path, description = "order id or name"), PayParams),
    responses((status = 200, body = Package), (status = 409, body = ErrorBody)))]
pub async fn pay(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiQuery(params): ApiQuery<PayParams>,
) -> Answer<Package> {
    Ok(Json(
        pay_fee(&ctx, &caller, &id, params.package_id.as_deref())
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/stores/{store_id}/warehouse-settings",
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = WarehouseSettings)))]
pub async fn settings(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
) -> Answer<WarehouseSettings> {
    Ok(Json(
        service::settings(&ctx, &caller, &store_id).await?.into(),
    ))
}

/// The auto-pick rule (`{"rule":"cheapest"}`, `fastest`, `cheapest_within` + `days`) and fee
/// auto-pay. Logo and thank-you card: the store's branding settings.
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/warehouse-settings",
    request_body = WarehouseSettings, params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = WarehouseSettings)))]
pub async fn put_settings(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<WarehouseSettings>,
) -> Answer<WarehouseSettings> {
    Ok(Json(
        service::put_settings(&ctx, &caller, &store_id, input.into())
            .await?
            .into(),
    ))
}

/// The warehouse routes (nested under `/api/v1`).
pub fn routes() -> axum::Router<crate::http::HttpState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/warehouse/receive", post(receive))
        .route("/warehouse/exceptions", get(exceptions))
        .route("/warehouse/exceptions/{id}/resolve", post(resolve))
        .route("/warehouse/items/{id}/inspection", post(inspect))
        .route("/warehouse/returns", get(returns))
        .route(
            "/warehouse/returns/{case_id}/inspection",
            post(inspect_return),
        )
        .route("/warehouse/orders/{id}/pack", post(pack))
        .route("/warehouse/orders/{id}/combinable", get(combinable))
        .route("/warehouse/packages/{id}/dispatch", post(dispatch))
        .route("/warehouse/rates", get(rates).put(put_rates))
        .route(
            "/warehouse/refund-rules",
            get(refund_rules).put(put_refund_rules),
        )
        .route("/orders/{id}/warehouse", get(show))
        .route("/orders/{id}/warehouse/decision", post(decide))
        .route(
            "/orders/{id}/warehouse/ship-what-is-here",
            post(ship_what_is_here),
        )
        .route("/orders/{id}/shipping", post(choose))
        .route("/orders/{id}/shipping/pay", post(pay))
        .route(
            "/stores/{store_id}/warehouse-settings",
            get(settings).put(put_settings),
        )
}
