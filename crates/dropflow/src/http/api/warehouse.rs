//! The warehouse leg over HTTP. Operators (warehouse role, or an owner): receive scans, list
//! unknown parcels, inspect items (multipart with photos), pack, dispatch. The rate tables and
//! refund rules are one installation-wide document each (the agent's warehouse is an operator
//! of the installation; merchants are its customers): only the warehouse's own operators —
//! warehouse users of the installation's operator account, `[warehouse] operator_account` —
//! change them; merchants and operators read them. Merchants (owner, staff): see the order at the warehouse,
//! decide on failed items (a return refunds the goods by the rules, a reorder buys again),
//! ship what is here, choose the carrier, pay the shipping fee, set the auto-pick rule.

use crate::fulfilment::warehouse::{combine, floor, merchant, photos, WarehouseError};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::AppState;
use crate::storage::accounts::Role;
use crate::storage::warehouse::{self as store, Package, ScanException, WarehouseSettings};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::Json;
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::warehouse::inspection::{
    Checklist, FailReason, FailureChoice, FileRef, InspectionReport, Outcome,
};
use dropflow_core::warehouse::rates::{Parcel, RateTableError, RateTables};
use dropflow_core::warehouse::refunds::{RefundRules, DEFAULT_REFUNDS_TOML};
use serde::{Deserialize, Serialize};

const OPERATORS: &[Role] = &[Role::Warehouse, Role::Owner];
const MERCHANTS: &[Role] = &[Role::Owner, Role::Staff];
/// Who reads the rate tables and refund rules: the merchants they apply to, and operators.
const READERS: &[Role] = &[Role::Owner, Role::Staff, Role::Warehouse];

/// Refuses (403) anyone but the warehouse's own operators: warehouse users of the
/// installation's operator account. An owner of any account, or a warehouse user of a
/// merchant's account, may never change what applies to every merchant.
pub(crate) fn require_installation_operator(
    state: &AppState,
    caller: &Caller,
    what: &str,
) -> Result<(), ApiError> {
    let is_operator = caller.role == Role::Warehouse
        && caller.user.is_some()
        && caller.account_id() == state.operator_account;
    if is_operator {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "only the warehouse's own operators can {what}"
        )))
    }
}

impl From<WarehouseError> for ApiError {
    fn from(e: WarehouseError) -> Self {
        match e {
            WarehouseError::NotFound(m) => ApiError::NotFound(m),
            WarehouseError::Conflict(m) => ApiError::Conflict(m),
            WarehouseError::Invalid(m) => ApiError::Unprocessable(m),
            WarehouseError::Internal(e) => ApiError::Internal(e.to_string()),
        }
    }
}

fn actor(caller: &Caller) -> Actor {
    Actor::Merchant(caller.actor.clone())
}

async fn order(state: &AppState, caller: &Caller, reference: &str) -> Result<OrderId, ApiError> {
    crate::storage::orders::resolve(&state.db, &caller.scope, reference)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {reference:?} not found")))
}

/// A scan at the receiving desk.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    /// The domestic tracking number, or the marketplace order number.
    pub scan: String,
}

/// Receives a parcel: 200 with what it matched, or 202 with an exception id for a parcel
/// nobody expected (kept on the exceptions list of the caller's account, never lost). Only
/// parcels of orders in the caller's scope match.
#[utoipa::path(post, path = "/api/v1/warehouse/receive", request_body = ScanInput,
    security(("bearer" = [])),
    responses((status = 200, body = floor::Received), (status = 202, body = floor::Received),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ScanInput>,
) -> Result<(StatusCode, Json<floor::Received>), ApiError> {
    caller.require(OPERATORS, "receive parcels")?;
    let received = floor::receive(&state.db, &caller.scope, &input.scan, &actor(&caller)).await?;
    let status = match received {
        floor::Received::Matched { .. } => StatusCode::OK,
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

/// The most exceptions one list shows.
const EXCEPTIONS_LIMIT: i64 = 500;

/// Scans of the caller's account that matched no expected parcel, newest first: open ones,
/// or every one with `?all=true`.
#[utoipa::path(get, path = "/api/v1/warehouse/exceptions", security(("bearer" = [])),
    params(ExceptionsParams),
    responses((status = 200, body = Vec<ScanException>), (status = 403, body = ErrorBody)))]
pub async fn exceptions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ExceptionsParams>,
) -> Result<Json<Vec<ScanException>>, ApiError> {
    caller.require(OPERATORS, "see the warehouse exceptions")?;
    let open_only = !params.all.unwrap_or(false);
    Ok(Json(
        store::exceptions(&state.db, &caller.scope, open_only, EXCEPTIONS_LIMIT).await?,
    ))
}

/// The order an unknown parcel turned out to be for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// The order id, or the store's order number (`#1001`).
    pub order: String,
}

/// Links an open exception to an order of the caller's scope: a timeline note on the order,
/// and the order's parcels not received yet are received (as a matching scan would do).
/// 404 for an exception outside the caller's account, 409 when already resolved, 422 for an
/// order that is unknown or not shipped through the warehouse.
#[utoipa::path(post, path = "/api/v1/warehouse/exceptions/{id}/resolve",
    request_body = ResolveInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "exception id")),
    responses((status = 200, body = floor::Resolved), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> Result<Json<floor::Resolved>, ApiError> {
    Ok(Json(
        resolve_exception(&state, &caller, &id, &input.order).await?,
    ))
}

/// Resolves exception `id` to the order `reference` names (the API and the page share it).
pub async fn resolve_exception(
    state: &AppState,
    caller: &Caller,
    id: &str,
    reference: &str,
) -> Result<floor::Resolved, ApiError> {
    caller.require(OPERATORS, "resolve warehouse exceptions")?;
    let reference = reference.trim();
    if reference.is_empty() || reference.len() > 100 {
        return Err(ApiError::Unprocessable(
            "order: give the order id or the store's order number".into(),
        ));
    }
    // Outside the caller's account the exception does not exist, whatever the body says.
    store::exception(&state.db.reader, &caller.scope, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("exception {id} not found")))?;
    let order_id = crate::storage::orders::resolve(&state.db, &caller.scope, reference)
        .await?
        .ok_or_else(|| ApiError::Unprocessable(format!("order: no order {reference:?}")))?;
    Ok(floor::resolve(&state.db, &caller.scope, id, order_id, &actor(caller)).await?)
}

/// The inspection form's fields (sent as multipart parts, `photos` as files).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct InspectionForm {
    /// `pass` or `fail`.
    pub outcome: String,
    /// JSON array of reasons (`wrong_product`, `wrong_variant`, `wrong_quantity`, `damaged`,
    /// `other`).
    pub reasons: Option<String>,
    /// JSON object: title_matches, variant_matches, received_quantity, undamaged,
    /// marketing_material_removed.
    pub checklist: String,
    pub note: Option<String>,
}

/// Records an inspection (multipart: `outcome`, `reasons`, `checklist`, `note`, `photos`).
/// The outcome given must be the one the checklist gives.
#[utoipa::path(post, path = "/api/v1/warehouse/items/{id}/inspection",
    security(("bearer" = [])), params(("id" = String, Path, description = "warehouse item id")),
    request_body(content = InspectionForm, content_type = "multipart/form-data"),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inspect(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Outcome>, ApiError> {
    caller.require(OPERATORS, "inspect items")?;
    // A body that is not multipart gets the API's JSON error, not axum's text.
    let multipart = multipart.map_err(|e| {
        if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            ApiError::UnsupportedMediaType("expected Content-Type: multipart/form-data".into())
        } else {
            ApiError::BadRequest(format!("multipart: {}", e.body_text()))
        }
    })?;
    let parts = read_inspection(multipart, &[]).await?;
    Ok(Json(
        record_inspection(&state, &caller, &id, parts.form, parts.uploads).await?,
    ))
}

/// An inspection form as sent: the API's fields, the photos, and the fields the caller
/// asked to have set aside (the dashboard's CSRF token and checklist boxes).
pub struct InspectionParts {
    pub form: InspectionForm,
    /// File name and bytes of each photo (checked by their magic bytes when stored).
    pub uploads: Vec<(String, Vec<u8>)>,
    pub aside: Vec<(String, String)>,
}

/// Reads an inspection's multipart body. A field not in the form nor in `aside` is refused
/// (422); an empty file part (a file input left empty by a browser) is no photo.
pub async fn read_inspection(
    mut multipart: Multipart,
    aside: &[&str],
) -> Result<InspectionParts, ApiError> {
    let mut parts = InspectionParts {
        form: InspectionForm::default(),
        uploads: Vec::new(),
        aside: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(0)
        } else {
            ApiError::BadRequest(format!("multipart: {e}"))
        }
    })? {
        let name = field.name().unwrap_or_default().to_string();
        let file = field.file_name().unwrap_or("photo").to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::BadRequest(format!("multipart: {e}")))?;
        let text = || String::from_utf8_lossy(&bytes).to_string();
        let form = &mut parts.form;
        match name.as_str() {
            "outcome" => form.outcome = text(),
            "reasons" => form.reasons = Some(text()),
            "checklist" => form.checklist = text(),
            "note" => form.note = Some(text()),
            "photos" | "photo" if bytes.is_empty() => {}
            "photos" | "photo" => parts.uploads.push((file, bytes.to_vec())),
            other if aside.contains(&other) => parts.aside.push((name, text())),
            other => {
                return Err(ApiError::Unprocessable(format!("unknown field {other:?}")));
            }
        }
    }
    Ok(parts)
}

/// Checks an inspection form and records it: the item must be in the caller's scope (404),
/// the outcome the one the checklist gives (422). Photos are checked before anything is
/// written; the files of a refused form are removed.
pub async fn record_inspection(
    state: &AppState,
    caller: &Caller,
    id: &str,
    form: InspectionForm,
    uploads: Vec<(String, Vec<u8>)>,
) -> Result<Outcome, ApiError> {
    caller.require(OPERATORS, "inspect items")?;
    let checklist: Checklist = serde_json::from_str(&form.checklist)
        .map_err(|e| ApiError::Unprocessable(format!("checklist: {e}")))?;
    let reasons: Vec<FailReason> = match form.reasons.as_deref() {
        Some(text) if !text.trim().is_empty() => serde_json::from_str(text)
            .map_err(|e| ApiError::Unprocessable(format!("reasons: {e}")))?,
        _ => Vec::new(),
    };
    let wants_pass = match form.outcome.trim() {
        "pass" => true,
        "fail" => false,
        _ => return Err(ApiError::Unprocessable("outcome: `pass` or `fail`".into())),
    };
    let expected = {
        let item = store::item_of(&state.db, id).await?;
        let item = item.ok_or_else(|| ApiError::NotFound(format!("item {id} not found")))?;
        let order_id: OrderId = item
            .order_id
            .parse()
            .map_err(|_| ApiError::Internal("stored order id".into()))?;
        caller
            .order(&state.db, order_id)
            .await
            .map_err(|_| ApiError::NotFound(format!("item {id} not found")))?;
        u32::try_from(item.quantity).unwrap_or(0)
    };
    let mut refs: Vec<FileRef> = Vec::new();
    for (name, bytes) in &uploads {
        match photos::store(&state.warehouse_files, name, bytes).await {
            Ok(r) => refs.push(r),
            Err(e) => {
                remove_photos(state, &refs).await;
                return Err(e.into());
            }
        }
    }
    let report = InspectionReport {
        expected_quantity: expected,
        checklist,
        photos: refs.clone(),
        // A failure the checklist does not show is the operator's judgement (`other`).
        operator_rejects: !wants_pass && reasons.contains(&FailReason::Other),
        note: form.note.unwrap_or_default(),
    };
    let result = async {
        let judged = dropflow_core::warehouse::inspection::judge(&report)
            .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
        if judged.passed() != wants_pass {
            return Err(ApiError::Unprocessable(format!(
                "outcome: the checklist says {}",
                if judged.passed() { "pass" } else { "fail" }
            )));
        }
        Ok(floor::inspect(&state.db, id, &report, &actor(caller)).await?)
    }
    .await;
    if result.is_err() {
        remove_photos(state, &refs).await;
    }
    result
}

async fn remove_photos(state: &AppState, refs: &[FileRef]) {
    for r in refs {
        let _ = tokio::fs::remove_file(state.warehouse_files.join(r.as_str())).await;
    }
}

/// The packed parcel's measures.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackInput {
    pub weight_g: u32,
    pub length_cm: u32,
    pub width_cm: u32,
    pub height_cm: u32,
    /// Other orders (ids or numbers) of the same store to the same address, ready to pack,
    /// that go in this parcel too.
    #[serde(default)]
    pub with_orders: Vec<String>,
}

/// Packs the order's cleared items (and those of `with_orders`) and quotes the carriers.
/// 409 while items are missing (unless the merchant chose to ship what is here) or wait for
/// inspection, or when an order to combine is not ready; 422 when it belongs to another
/// store or goes to another address. Nothing is written when refused.
#[utoipa::path(post, path = "/api/v1/warehouse/orders/{id}/pack", request_body = PackInput,
    security(("bearer" = [])), params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Package), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pack(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<PackInput>,
) -> Result<Json<Package>, ApiError> {
    Ok(Json(pack_order(&state, &caller, &id, &input).await?))
}

/// Packs the order `reference` names, if it is in the caller's scope (the API and the page
/// share it).
pub async fn pack_order(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    input: &PackInput,
) -> Result<Package, ApiError> {
    caller.require(OPERATORS, "pack orders")?;
    let order_id = order(state, caller, reference).await?;
    let parcel = Parcel {
        weight_g: input.weight_g,
        length_cm: input.length_cm,
        width_cm: input.width_cm,
        height_cm: input.height_cm,
    };
    if input.with_orders.len() > MAX_COMBINED {
        return Err(ApiError::Unprocessable(format!(
            "with_orders: at most {MAX_COMBINED} orders in one parcel"
        )));
    }
    let mut with = Vec::with_capacity(input.with_orders.len());
    for reference in &input.with_orders {
        with.push(order(state, caller, reference).await?);
    }
    Ok(floor::pack(&state.db, order_id, &with, parcel, &actor(caller)).await?)
}

/// How many other orders one parcel may take.
const MAX_COMBINED: usize = 20;

/// Other orders of the same store going to the same address (name, lines, city, postcode,
/// country) whose items are all inspected and cleared: they may be packed with this one
/// (`with_orders`). Empty when there are none, or the order has no complete address.
#[utoipa::path(get, path = "/api/v1/warehouse/orders/{id}/combinable",
    security(("bearer" = [])), params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<combine::Combinable>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn combinable(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<combine::Combinable>>, ApiError> {
    caller.require(
        &[Role::Owner, Role::Staff, Role::Warehouse],
        "see which orders may share a parcel",
    )?;
    let order_id = order(&state, &caller, &id).await?;
    let mut visible = Vec::new();
    for (other, found) in combine::candidates(&state.db, order_id).await? {
        if caller.order(&state.db, other).await.is_ok() {
            visible.push(found);
        }
    }
    Ok(Json(visible))
}

/// The label and international tracking number at handover.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchInput {
    pub tracking_number: String,
    pub carrier: String,
    /// A reference to the label file, if one was made.
    pub label: Option<String>,
}

/// Dispatches a package: REFUSED (409, nothing changed) while its shipping fee is unpaid.
#[utoipa::path(post, path = "/api/v1/warehouse/packages/{id}/dispatch",
    request_body = DispatchInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "package id")),
    responses((status = 200, body = Package), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dispatch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<DispatchInput>,
) -> Result<Json<Package>, ApiError> {
    Ok(Json(dispatch_package(&state, &caller, &id, &input).await?))
}

/// Dispatches package `id`, if its order is in the caller's scope (the API and the page
/// share it).
pub async fn dispatch_package(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &DispatchInput,
) -> Result<Package, ApiError> {
    caller.require(OPERATORS, "dispatch parcels")?;
    package_in_scope(state, caller, id).await?;
    if let Some(label) = input.label.as_deref() {
        FileRef::parse(label).map_err(|e| ApiError::Unprocessable(format!("label: {e}")))?;
    }
    let handover = floor::Handover {
        tracking_number: &input.tracking_number,
        carrier: &input.carrier,
        label: input.label.as_deref(),
    };
    Ok(floor::dispatch(&state.db, &state.cadence, id, &handover, &actor(caller)).await?)
}

/// The package, if its order is in the caller's scope; otherwise 404, as if it did not exist.
async fn package_in_scope(state: &AppState, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let not_found = || ApiError::NotFound(format!("package {id} not found"));
    let order = crate::storage::warehouse_queues::package_order(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let order: OrderId = order.parse().map_err(|_| not_found())?;
    caller
        .order(&state.db, order)
        .await
        .map_err(|_| not_found())?;
    Ok(())
}

/// The rate tables in force, as TOML.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesBody {
    pub toml: String,
}

#[utoipa::path(get, path = "/api/v1/warehouse/rates", security(("bearer" = [])),
    responses((status = 200, body = RatesBody), (status = 403, body = ErrorBody)))]
pub async fn rates(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<RatesBody>, ApiError> {
    caller.require(READERS, "see the rate tables")?;
    let toml = store::rate_tables(&state.db)
        .await?
        .unwrap_or_else(|| dropflow_core::warehouse::rates::DEFAULT_RATES_TOML.to_string());
    Ok(Json(RatesBody { toml }))
}

/// Replaces the rate tables; a table with problems is refused (422) listing each of them.
#[utoipa::path(put, path = "/api/v1/warehouse/rates", request_body = RatesBody,
    security(("bearer" = [])),
    responses((status = 200, body = RatesBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_rates(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RatesBody>,
) -> Result<Json<RatesBody>, ApiError> {
    require_installation_operator(&state, &caller, "change the rate tables")?;
    match RateTables::from_toml(&input.toml) {
        Ok(_) => {}
        Err(e @ (RateTableError::Syntax(_) | RateTableError::Invalid(_))) => {
            return Err(ApiError::Unprocessable(e.to_string()));
        }
    }
    store::put_rate_tables(&state.db, &input.toml, &caller.actor).await?;
    tracing::info!("warehouse rate tables replaced");
    Ok(Json(input))
}

/// The refund rules in force, as TOML (`rule` per stage; see the sample's comments).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRulesBody {
    pub toml: String,
}

#[utoipa::path(get, path = "/api/v1/warehouse/refund-rules", security(("bearer" = [])),
    responses((status = 200, body = RefundRulesBody), (status = 403, body = ErrorBody)))]
pub async fn refund_rules(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<RefundRulesBody>, ApiError> {
    caller.require(READERS, "see the refund rules")?;
    let toml = store::refund_rules(&state.db)
        .await?
        .unwrap_or_else(|| DEFAULT_REFUNDS_TOML.to_string());
    Ok(Json(RefundRulesBody { toml }))
}

/// Replaces the refund rules; rules with problems are refused (422) naming each of them, and
/// the rules in force stay as they were.
#[utoipa::path(put, path = "/api/v1/warehouse/refund-rules", request_body = RefundRulesBody,
    security(("bearer" = [])),
    responses((status = 200, body = RefundRulesBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_refund_rules(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RefundRulesBody>,
) -> Result<Json<RefundRulesBody>, ApiError> {
    require_installation_operator(&state, &caller, "change the refund rules")?;
    RefundRules::from_toml(&input.toml).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    store::put_refund_rules(&state.db, &input.toml, &caller.actor).await?;
    tracing::info!("warehouse refund rules replaced");
    Ok(Json(input))
}

/// The order at the warehouse: arrived and missing items (tracking, expected arrival),
/// inspection results, packages with the carriers offered.
#[utoipa::path(get, path = "/api/v1/orders/{id}/warehouse", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = merchant::WarehouseView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<merchant::WarehouseView>, ApiError> {
    caller.require(&[Role::Owner, Role::Staff, Role::Warehouse], "see this")?;
    let order_id = order(&state, &caller, &id).await?;
    merchant::view(&state.db, order_id)
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::NotFound(format!("order {id} is not shipped through the warehouse"))
        })
}

/// The decisions a merchant may take on failed items.
pub const DECISIONS: [&str; 3] = ["return_refund", "reorder", "accept"];

/// The merchant's decision on failed items.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `return_refund`, `reorder` or `accept`.
    #[schema(schema_with = crate::http::openapi::decision_schema)]
    pub decision: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionResult {
    pub items: usize,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/warehouse/decision",
    request_body = DecisionInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = DecisionResult), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> Result<Json<DecisionResult>, ApiError> {
    Ok(Json(
        decide_on_failed(&state, &caller, &id, &input.decision).await?,
    ))
}

/// Records the merchant's `decision` (`return_refund`, `reorder`, `accept`) for the failed
/// items of the order `reference` names, if it is in the caller's scope (the API and the
/// page share it).
pub async fn decide_on_failed(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    decision: &str,
) -> Result<DecisionResult, ApiError> {
    caller.require(MERCHANTS, "decide on failed items")?;
    let choice = match decision {
        "return_refund" => FailureChoice::ReturnAndRefund,
        "reorder" => FailureChoice::Reorder,
        "accept" => FailureChoice::AcceptAsIs,
        _ => {
            return Err(ApiError::Unprocessable(
                "decision: `return_refund`, `reorder` or `accept`".into(),
            ))
        }
    };
    let order_id = order(state, caller, reference).await?;
    let items = merchant::decide(&state.db, order_id, choice, &actor(caller)).await?;
    Ok(DecisionResult { items })
}

/// Ship what is here now; the rest follows.
#[utoipa::path(post, path = "/api/v1/orders/{id}/warehouse/ship-what-is-here",
    security(("bearer" = [])), params(("id" = String, Path, description = "order id or name")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn ship_what_is_here(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    ship_here(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ships what is here of the order `reference` names, if it is in the caller's scope (the
/// API and the page share it).
pub async fn ship_here(state: &AppState, caller: &Caller, reference: &str) -> Result<(), ApiError> {
    caller.require(MERCHANTS, "ship what is here")?;
    let order_id = order(state, caller, reference).await?;
    merchant::ship_what_is_here(&state.db, order_id, &actor(caller)).await?;
    Ok(())
}

/// The carrier the merchant chooses among those offered.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChooseInput {
    pub carrier: String,
    /// The service name, or its code (`yun-direct`).
    pub service: String,
    /// The package to ship (default: the order's package being prepared).
    #[serde(default)]
    pub package_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/shipping", request_body = ChooseInput,
    security(("bearer" = [])), params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Package), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn choose(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ChooseInput>,
) -> Result<Json<Package>, ApiError> {
    Ok(Json(choose_carrier(&state, &caller, &id, &input).await?))
}

/// Chooses the carrier of the order `reference` names, if it is in the caller's scope (the
/// API and the page share it).
pub async fn choose_carrier(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    input: &ChooseInput,
) -> Result<Package, ApiError> {
    caller.require(MERCHANTS, "choose a carrier")?;
    let order_id = order(state, caller, reference).await?;
    Ok(merchant::choose(
        &state.db,
        order_id,
        input.package_id.as_deref(),
        &input.carrier,
        &input.service,
        &actor(caller),
    )
    .await?)
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
#[utoipa::path(post, path = "/api/v1/orders/{id}/shipping/pay", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name"), PayParams),
    responses((status = 200, body = Package), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn pay(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<PayParams>,
) -> Result<Json<Package>, ApiError> {
    Ok(Json(
        pay_fee(&state, &caller, &id, params.package_id.as_deref()).await?,
    ))
}

/// Pays the shipping fee of the order `reference` names from the wallet, if it is in the
/// caller's scope (the API and the page share it).
pub async fn pay_fee(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    package_id: Option<&str>,
) -> Result<Package, ApiError> {
    caller.require(MERCHANTS, "pay shipping fees")?;
    let order_id = order(state, caller, reference).await?;
    Ok(merchant::pay(&state.db, order_id, package_id, &actor(caller)).await?)
}

#[utoipa::path(get, path = "/api/v1/stores/{store_id}/warehouse-settings",
    security(("bearer" = [])), params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = WarehouseSettings), (status = 404, body = ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
) -> Result<Json<WarehouseSettings>, ApiError> {
    caller.require(MERCHANTS, "see this")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    Ok(Json(store::settings(&state.db.reader, store_id).await?))
}

/// The auto-pick rule (`{"rule":"cheapest"}`, `fastest`, `cheapest_within` + `days`) and fee
/// auto-pay. Logo and thank-you card: the store's branding settings.
#[utoipa::path(put, path = "/api/v1/stores/{store_id}/warehouse-settings",
    request_body = WarehouseSettings, security(("bearer" = [])),
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 200, body = WarehouseSettings), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(store_id): ApiPath<String>,
    ApiJson(input): ApiJson<WarehouseSettings>,
) -> Result<Json<WarehouseSettings>, ApiError> {
    caller.require(&[Role::Owner], "change this")?;
    let store_id = caller.store_path(&state.db, &store_id).await?;
    if let Some(dropflow_core::warehouse::choice::AutoPick::CheapestWithin { days }) =
        input.auto_pick
    {
        if days == 0 || days > 120 {
            return Err(ApiError::Unprocessable(
                "auto_pick.days: between 1 and 120".into(),
            ));
        }
    }
    store::put_settings(&state.db, store_id, &input).await?;
    Ok(Json(input))
}

/// The warehouse routes (nested under `/api/v1`).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/warehouse/receive", post(receive))
        .route("/warehouse/exceptions", get(exceptions))
        .route("/warehouse/exceptions/{id}/resolve", post(resolve))
        .route("/warehouse/items/{id}/inspection", post(inspect))
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
