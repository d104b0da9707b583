//! The warehouse leg over HTTP. Operators (warehouse role, or an owner): receive scans, list
//! unknown parcels, inspect items (multipart with photos), pack, dispatch. The rate tables and
//! refund rules are one installation-wide document each (the agent's warehouse is an operator
//! of the installation; merchants are its customers): only the warehouse's own operators —
//! warehouse users of the installation's operator account, `[warehouse] operator_account` —
//! change them; merchants and operators read them. Merchants (owner, staff): see the order at the warehouse,
//! decide on failed items (a return refunds the goods by the rules, a reorder buys again),
//! ship what is here, choose the carrier, pay the shipping fee, set the auto-pick rule.

use super::orders;
use super::stores::store_in_scope;
use crate::fulfilment::warehouse::{
    case_returns, combine, floor, merchant, photos, WarehouseError,
};
use crate::services::{ActionError, Caller, Context};
use crate::storage::accounts::Role;
use crate::storage::warehouse::{
    self as store, Package, ReturnReceipt, ScanException, WarehouseSettings,
};
use crate::storage::{StorageError, Tx};
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::warehouse::inspection::{
    Checklist, FailReason, FailureChoice, FileRef, InspectionReport, Outcome,
};
use dropflow_core::warehouse::rates::{Parcel, RateTableError, RateTables};
use dropflow_core::warehouse::refunds::{RefundRules, DEFAULT_REFUNDS_TOML};
use serde::{Deserialize, Serialize};

pub const OPERATORS: &[Role] = &[Role::Warehouse, Role::Owner];

pub use super::MERCHANTS;

/// Who reads the rate tables and refund rules: the merchants they apply to, and operators.
pub const READERS: &[Role] = &[Role::Owner, Role::Staff, Role::Warehouse];

/// Refuses (403) anyone but the warehouse's own operators: warehouse users of the
/// installation's operator account. An owner of any account, or a warehouse user of a
/// merchant's account, may never change what applies to every merchant.
pub fn require_installation_operator(
    ctx: &Context,
    caller: &Caller,
    what: &str,
) -> Result<(), ActionError> {
    let is_operator = caller.role == Role::Warehouse
        && caller.user.is_some()
        && caller.account_id() == ctx.operator_account;
    if is_operator {
        Ok(())
    } else {
        Err(ActionError::Forbidden(format!(
            "only the warehouse's own operators can {what}"
        )))
    }
}

impl From<WarehouseError> for ActionError {
    fn from(e: WarehouseError) -> Self {
        match e {
            WarehouseError::NotFound(m) => ActionError::NotFound(m),
            WarehouseError::Conflict(m) => ActionError::Conflict(m),
            WarehouseError::Invalid(m) => ActionError::Unprocessable(m),
            WarehouseError::Internal(e) => ActionError::Internal(e.to_string()),
        }
    }
}

pub fn actor(caller: &Caller) -> Actor {
    Actor::Merchant(caller.actor.clone())
}

/// A scan at the receiving desk.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    /// The domestic tracking number, or the marketplace order number.
    pub scan: String,
}

/// The most exceptions one list shows.
pub const EXCEPTIONS_LIMIT: i64 = 500;

/// What an unknown parcel turned out to be: a parcel for an order, or a customer's return of
/// an after-sale case. Exactly one of the two.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// The order id, or the store's order number (`#1001`).
    #[serde(default)]
    pub order: Option<String>,
    /// The id of the case whose return it is.
    #[serde(default)]
    pub case: Option<String>,
}

/// Resolves exception `id` to the order `reference` names (the API and the page share it).
pub async fn resolve_exception(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    reference: &str,
) -> Result<floor::Resolved, ActionError> {
    caller.require(OPERATORS, "resolve warehouse exceptions")?;
    let reference = reference.trim();
    if reference.is_empty() || reference.len() > 100 {
        return Err(ActionError::Unprocessable(
            "order: give the order id or the store's order number".into(),
        ));
    }
    // Outside the caller's account the exception does not exist, whatever the body says.
    store::exception(&ctx.db.reader, &caller.scope, id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("exception {id} not found")))?;
    let order_id = crate::storage::orders::resolve(&ctx.db, &caller.scope, reference)
        .await?
        .ok_or_else(|| ActionError::Unprocessable(format!("order: no order {reference:?}")))?;
    Ok(floor::resolve(&ctx.db, &caller.scope, id, order_id, &actor(caller)).await?)
}

/// Resolves exception `id` to the after-sale case `case_id`: the unknown parcel was the
/// customer's return of that case, received now. The case must be one the caller sees (404),
/// its goods bought through the warehouse (422), its return not received yet (409).
pub async fn resolve_exception_to_case(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    case_id: &str,
) -> Result<floor::Resolved, ActionError> {
    caller.require(OPERATORS, "resolve warehouse exceptions")?;
    let case_id = case_id.trim();
    if case_id.is_empty() {
        return Err(ActionError::Unprocessable(
            "case: give the id of the case the parcel is the return of".into(),
        ));
    }
    // Outside the caller's account the exception does not exist, whatever the body says.
    store::exception(&ctx.db.reader, &caller.scope, id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("exception {id} not found")))?;
    let not_found = || ActionError::NotFound(format!("case {case_id:?} not found"));
    uuid::Uuid::parse_str(case_id).map_err(|_| not_found())?;
    let case = crate::storage::cases::get(&ctx.db, &caller.scope, case_id)
        .await?
        .ok_or_else(not_found)?;
    let arrived =
        case_returns::resolve_to_case(&ctx.db, &caller.scope, id, &case, &actor(caller)).await?;
    Ok(floor::Resolved {
        exception_id: id.to_string(),
        order_id: arrived.order_id.clone(),
        inbound_ids: Vec::new(),
        items_arrived: Vec::new(),
        case_return: Some(arrived),
    })
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
    mut multipart: axum::extract::Multipart,
    aside: &[&str],
) -> Result<InspectionParts, ActionError> {
    let mut parts = InspectionParts {
        form: InspectionForm::default(),
        uploads: Vec::new(),
        aside: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ActionError::TooLarge
        } else {
            ActionError::Invalid(format!("multipart: {e}"))
        }
    })? {
        let name = field.name().unwrap_or_default().to_string();
        let file = field.file_name().unwrap_or("photo").to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ActionError::Invalid(format!("multipart: {e}")))?;
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
                return Err(ActionError::Unprocessable(format!(
                    "unknown field {other:?}"
                )));
            }
        }
    }
    Ok(parts)
}

/// An inspection form's fields, checked: the checklist, the failure reasons and whether the
/// operator means to pass.
struct CheckedForm {
    checklist: Checklist,
    reasons: Vec<FailReason>,
    wants_pass: bool,
    note: String,
}

fn checked_form(form: InspectionForm) -> Result<CheckedForm, ActionError> {
    let checklist: Checklist = serde_json::from_str(&form.checklist)
        .map_err(|e| ActionError::Unprocessable(format!("checklist: {e}")))?;
    let reasons: Vec<FailReason> = match form.reasons.as_deref() {
        Some(text) if !text.trim().is_empty() => serde_json::from_str(text)
            .map_err(|e| ActionError::Unprocessable(format!("reasons: {e}")))?,
        _ => Vec::new(),
    };
    let wants_pass = match form.outcome.trim() {
        "pass" => true,
        "fail" => false,
        _ => {
            return Err(ActionError::Unprocessable(
                "outcome: `pass` or `fail`".into(),
            ))
        }
    };
    Ok(CheckedForm {
        checklist,
        reasons,
        wants_pass,
        note: form.note.unwrap_or_default(),
    })
}

impl CheckedForm {
    /// The report of `expected` units with these photos.
    fn report(&self, expected: u32, photos: Vec<FileRef>) -> InspectionReport {
        InspectionReport {
            expected_quantity: expected,
            checklist: self.checklist,
            photos,
            // A failure the checklist does not show is the operator's judgement (`other`).
            operator_rejects: !self.wants_pass && self.reasons.contains(&FailReason::Other),
            note: self.note.clone(),
        }
    }

    /// Refuses (422) a report whose checklist does not give the outcome the operator chose.
    fn agrees(&self, report: &InspectionReport) -> Result<(), ActionError> {
        let judged = dropflow_core::warehouse::inspection::judge(report)
            .map_err(|e| ActionError::Unprocessable(e.to_string()))?;
        if judged.passed() != self.wants_pass {
            return Err(ActionError::Unprocessable(format!(
                "outcome: the checklist says {}",
                if judged.passed() { "pass" } else { "fail" }
            )));
        }
        Ok(())
    }
}

/// Stores the uploaded photos (checked by their magic bytes); on a refused one, those stored
/// before it are removed.
async fn stored_photos(
    ctx: &Context,
    uploads: &[(String, Vec<u8>)],
) -> Result<Vec<FileRef>, ActionError> {
    let mut refs: Vec<FileRef> = Vec::new();
    for (name, bytes) in uploads {
        match photos::store(&ctx.warehouse_files, name, bytes).await {
            Ok(r) => refs.push(r),
            Err(e) => {
                remove_photos(ctx, &refs).await;
                return Err(e.into());
            }
        }
    }
    Ok(refs)
}

/// Checks an inspection form and records it: the item must be in the caller's scope (404),
/// the outcome the one the checklist gives (422). Photos are checked before anything is
/// written; the files of a refused form are removed.
pub async fn record_inspection(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    form: InspectionForm,
    uploads: Vec<(String, Vec<u8>)>,
) -> Result<Outcome, ActionError> {
    caller.require(OPERATORS, "inspect items")?;
    let form = checked_form(form)?;
    let expected = {
        let item = store::item_of(&ctx.db, id).await?;
        let item = item.ok_or_else(|| ActionError::NotFound(format!("item {id} not found")))?;
        let order_id: OrderId = item
            .order_id
            .parse()
            .map_err(|_| ActionError::Internal("stored order id".into()))?;
        caller
            .order(&ctx.db, order_id)
            .await
            .map_err(|_| ActionError::NotFound(format!("item {id} not found")))?;
        u32::try_from(item.quantity).unwrap_or(0)
    };
    let refs = stored_photos(ctx, &uploads).await?;
    let report = form.report(expected, refs.clone());
    let result = async {
        form.agrees(&report)?;
        Ok(floor::inspect(&ctx.db, id, &report, &actor(caller)).await?)
    }
    .await;
    if result.is_err() {
        remove_photos(ctx, &refs).await;
    }
    result
}

/// Checks an inspection form for a case's returned goods and records it: the return must
/// have been received at the warehouse, of an order in the caller's scope (404 otherwise),
/// the outcome the one the checklist gives (422), counted against every unit the case claims.
/// A pass restocks the goods, a failure disposes of them; the case's return is settled.
pub async fn record_return_inspection(
    ctx: &Context,
    caller: &Caller,
    case_id: &str,
    form: InspectionForm,
    uploads: Vec<(String, Vec<u8>)>,
) -> Result<case_returns::ReturnInspected, ActionError> {
    caller.require(OPERATORS, "inspect returned goods")?;
    let form = checked_form(form)?;
    let receipt = store::return_receipt(&ctx.db, &caller.scope, case_id)
        .await?
        .ok_or_else(|| {
            ActionError::NotFound(format!(
                "case {case_id} has no return received at the warehouse"
            ))
        })?;
    let units: i64 = receipt.lines.iter().map(|(_, quantity)| quantity).sum();
    let refs = stored_photos(ctx, &uploads).await?;
    let report = form.report(u32::try_from(units).unwrap_or(0), refs.clone());
    let result = async {
        form.agrees(&report)?;
        Ok(case_returns::inspect(&ctx.db, case_id, &report, &actor(caller)).await?)
    }
    .await;
    if result.is_err() {
        remove_photos(ctx, &refs).await;
    }
    result
}

/// Customers' returns of after-sale cases received at the warehouse, of orders the caller
/// sees: those waiting for inspection (oldest first), or every one (newest first).
pub async fn returns(
    ctx: &Context,
    caller: &Caller,
    waiting_only: bool,
) -> Result<Vec<ReturnReceipt>, ActionError> {
    caller.require(OPERATORS, "see the returns at the warehouse")?;
    Ok(store::return_receipts(&ctx.db, &caller.scope, waiting_only, EXCEPTIONS_LIMIT).await?)
}

async fn remove_photos(ctx: &Context, refs: &[FileRef]) {
    for r in refs {
        let _ = tokio::fs::remove_file(ctx.warehouse_files.join(r.as_str())).await;
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

/// Packs the order `reference` names, if it is in the caller's scope (the API and the page
/// share it).
pub async fn pack_order(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
    input: &PackInput,
) -> Result<Package, ActionError> {
    caller.require(OPERATORS, "pack orders")?;
    let order_id = orders::resolve(ctx, caller, reference).await?;
    let parcel = Parcel {
        weight_g: input.weight_g,
        length_cm: input.length_cm,
        width_cm: input.width_cm,
        height_cm: input.height_cm,
    };
    if input.with_orders.len() > MAX_COMBINED {
        return Err(ActionError::Unprocessable(format!(
            "with_orders: at most {MAX_COMBINED} orders in one parcel"
        )));
    }
    let mut with = Vec::with_capacity(input.with_orders.len());
    for reference in &input.with_orders {
        with.push(orders::resolve(ctx, caller, reference).await?);
    }
    Ok(floor::pack(&ctx.db, order_id, &with, parcel, &actor(caller)).await?)
}

/// How many other orders one parcel may take.
const MAX_COMBINED: usize = 20;

/// The label and international tracking number at handover.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchInput {
    pub tracking_number: String,
    pub carrier: String,
    /// A reference to the label file, if one was made.
    pub label: Option<String>,
}

/// Dispatches package `id`, if its order is in the caller's scope (the API and the page
/// share it).
pub async fn dispatch_package(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    input: &DispatchInput,
) -> Result<Package, ActionError> {
    caller.require(OPERATORS, "dispatch parcels")?;
    package_in_scope(ctx, caller, id).await?;
    if let Some(label) = input.label.as_deref() {
        FileRef::parse(label).map_err(|e| ActionError::Unprocessable(format!("label: {e}")))?;
    }
    let handover = floor::Handover {
        tracking_number: &input.tracking_number,
        carrier: &input.carrier,
        label: input.label.as_deref(),
    };
    Ok(floor::dispatch(&ctx.db, &ctx.cadence, id, &handover, &actor(caller)).await?)
}

/// The package, if its order is in the caller's scope; otherwise 404, as if it did not exist.
async fn package_in_scope(ctx: &Context, caller: &Caller, id: &str) -> Result<(), ActionError> {
    let not_found = || ActionError::NotFound(format!("package {id} not found"));
    let order = crate::storage::warehouse_queues::package_order(&ctx.db, id)
        .await?
        .ok_or_else(not_found)?;
    let order: OrderId = order.parse().map_err(|_| not_found())?;
    caller
        .order(&ctx.db, order)
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

/// The refund rules in force, as TOML (`rule` per stage; see the sample's comments).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRulesBody {
    pub toml: String,
}

/// The decisions a merchant may take on failed items.
pub const DECISIONS: [&str; 3] = ["return_refund", "reorder", "accept"];

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionResult {
    pub items: usize,
}

/// Records the merchant's `decision` (`return_refund`, `reorder`, `accept`) for the failed
/// items of the order `reference` names, if it is in the caller's scope (the API and the
/// page share it).
pub async fn decide_on_failed(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
    decision: &str,
) -> Result<DecisionResult, ActionError> {
    caller.require(MERCHANTS, "decide on failed items")?;
    let choice = match decision {
        "return_refund" => FailureChoice::ReturnAndRefund,
        "reorder" => FailureChoice::Reorder,
        "accept" => FailureChoice::AcceptAsIs,
        _ => {
            return Err(ActionError::Unprocessable(
                "decision: `return_refund`, `reorder` or `accept`".into(),
            ))
        }
    };
    let order_id = orders::resolve(ctx, caller, reference).await?;
    let items = merchant::decide(&ctx.db, order_id, choice, &actor(caller)).await?;
    Ok(DecisionResult { items })
}

/// Ships what is here of the order `reference` names, if it is in the caller's scope (the
/// API and the page share it).
pub async fn ship_here(ctx: &Context, caller: &Caller, reference: &str) -> Result<(), ActionError> {
    caller.require(MERCHANTS, "ship what is here")?;
    let order_id = orders::resolve(ctx, caller, reference).await?;
    merchant::ship_what_is_here(&ctx.db, order_id, &actor(caller)).await?;
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

/// Chooses the carrier of the order `reference` names, if it is in the caller's scope (the
/// API and the page share it).
pub async fn choose_carrier(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
    input: &ChooseInput,
) -> Result<Package, ActionError> {
    caller.require(MERCHANTS, "choose a carrier")?;
    let order_id = orders::resolve(ctx, caller, reference).await?;
    Ok(merchant::choose(
        &ctx.db,
        order_id,
        input.package_id.as_deref(),
        &input.carrier,
        &input.service,
        &actor(caller),
    )
    .await?)
}

/// Pays the shipping fee of the order `reference` names from the wallet, if it is in the
/// caller's scope (the API and the page share it).
pub async fn pay_fee(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
    package_id: Option<&str>,
) -> Result<Package, ActionError> {
    caller.require(MERCHANTS, "pay shipping fees")?;
    let order_id = orders::resolve(ctx, caller, reference).await?;
    Ok(merchant::pay(&ctx.db, order_id, package_id, &actor(caller)).await?)
}

/// Receives a parcel by its scan: what it matched, or an exception for a parcel nobody
/// expected. Only parcels of orders in the caller's scope match.
pub async fn receive(
    ctx: &Context,
    caller: &Caller,
    input: &ScanInput,
) -> Result<floor::Received, ActionError> {
    caller.require(OPERATORS, "receive parcels")?;
    Ok(floor::receive(&ctx.db, &caller.scope, &input.scan, &actor(caller)).await?)
}

/// The orders that may share a parcel with order `reference`, among those the caller sees.
pub async fn combinable(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
) -> Result<Vec<combine::Combinable>, ActionError> {
    caller.require(
        &[Role::Owner, Role::Staff, Role::Warehouse],
        "see which orders may share a parcel",
    )?;
    let order_id = orders::resolve(ctx, caller, reference).await?;
    let mut visible = Vec::new();
    for (other, found) in combine::candidates(&ctx.db, order_id).await? {
        if caller.order(&ctx.db, other).await.is_ok() {
            visible.push(found);
        }
    }
    Ok(visible)
}

/// The order at the warehouse: arrived and missing items, inspections, packages.
pub async fn view(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
) -> Result<merchant::WarehouseView, ActionError> {
    caller.require(&[Role::Owner, Role::Staff, Role::Warehouse], "see this")?;
    let order_id = orders::resolve(ctx, caller, reference).await?;
    merchant::view(&ctx.db, order_id).await?.ok_or_else(|| {
        ActionError::NotFound(format!(
            "order {reference} is not shipped through the warehouse"
        ))
    })
}

pub async fn rates(ctx: &Context, caller: &Caller) -> Result<RatesBody, ActionError> {
    caller.require(READERS, "see the rate tables")?;
    let toml = store::rate_tables(&ctx.db)
        .await?
        .unwrap_or_else(|| dropflow_core::warehouse::rates::DEFAULT_RATES_TOML.to_string());
    Ok(RatesBody { toml })
}

pub async fn put_rates(
    ctx: &Context,
    caller: &Caller,
    input: RatesBody,
) -> Result<RatesBody, ActionError> {
    require_installation_operator(ctx, caller, "change the rate tables")?;
    match RateTables::from_toml(&input.toml) {
        Ok(_) => {}
        Err(e @ (RateTableError::Syntax(_) | RateTableError::Invalid(_))) => {
            return Err(ActionError::Unprocessable(e.to_string()));
        }
    }
    let before = store::rate_tables(&ctx.db).await?;
    let mut tx = ctx.db.begin().await?;
    store::put_rate_tables_in(&mut tx, &input.toml, &caller.actor).await?;
    record_document(&mut tx, caller, "warehouse_rates", before, &input.toml).await?;
    tx.commit().await.map_err(StorageError::from)?;
    tracing::info!("warehouse rate tables replaced");
    Ok(input)
}

pub async fn refund_rules(ctx: &Context, caller: &Caller) -> Result<RefundRulesBody, ActionError> {
    caller.require(READERS, "see the refund rules")?;
    let toml = store::refund_rules(&ctx.db)
        .await?
        .unwrap_or_else(|| DEFAULT_REFUNDS_TOML.to_string());
    Ok(RefundRulesBody { toml })
}

pub async fn put_refund_rules(
    ctx: &Context,
    caller: &Caller,
    input: RefundRulesBody,
) -> Result<RefundRulesBody, ActionError> {
    require_installation_operator(ctx, caller, "change the refund rules")?;
    RefundRules::from_toml(&input.toml).map_err(|e| ActionError::Unprocessable(e.to_string()))?;
    let before = store::refund_rules(&ctx.db).await?;
    let mut tx = ctx.db.begin().await?;
    store::put_refund_rules_in(&mut tx, &input.toml, &caller.actor).await?;
    record_document(
        &mut tx,
        caller,
        "warehouse_refund_rules",
        before,
        &input.toml,
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    tracing::info!("warehouse refund rules replaced");
    Ok(input)
}

/// Records the replacement of an installation-wide document (`kind`: the rate tables or
/// the refund rules) in the operator's account's log: the TOML before (absent while the
/// sample data applied) and after.
async fn record_document(
    tx: &mut Tx<'_>,
    caller: &Caller,
    kind: &str,
    before: Option<String>,
    after: &str,
) -> Result<(), ActionError> {
    super::audit::record(
        tx,
        caller,
        None,
        &format!("{kind}.replace"),
        (kind, "current"),
        before.map(|toml| serde_json::json!({ "toml": toml })),
        Some(serde_json::json!({ "toml": after })),
    )
    .await
}

pub async fn settings(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
) -> Result<WarehouseSettings, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "see this", store_id).await?;
    Ok(store::settings(&ctx.db.reader, store_id).await?)
}

pub async fn put_settings(
    ctx: &Context,
    caller: &Caller,
    store_id: &str,
    input: WarehouseSettings,
) -> Result<WarehouseSettings, ActionError> {
    let store_id = store_in_scope(ctx, caller, &[Role::Owner], "change this", store_id).await?;
    if let Some(dropflow_core::warehouse::choice::AutoPick::CheapestWithin { days }) =
        input.auto_pick
    {
        if days == 0 || days > 120 {
            return Err(ActionError::Unprocessable(
                "auto_pick.days: between 1 and 120".into(),
            ));
        }
    }
    let mut tx = ctx.db.begin().await?;
    let before = store::settings(&mut *tx, store_id).await?;
    store::put_settings_in(&mut tx, store_id, &input).await?;
    let snapshot = |s: &WarehouseSettings| serde_json::json!({"auto_pick": s.auto_pick, "auto_pay_fee": s.auto_pay_fee});
    let store = store_id.to_string();
    super::audit::record(
        &mut tx,
        caller,
        Some(&store),
        "warehouse_settings.set",
        ("warehouse_settings", &store),
        Some(snapshot(&before)),
        Some(snapshot(&input)),
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(input)
}

/// Scans of the caller's account that matched no expected parcel, newest first (open ones
/// only, or every one).
pub async fn exceptions(
    ctx: &Context,
    caller: &Caller,
    open_only: bool,
) -> Result<Vec<ScanException>, ActionError> {
    caller.require(OPERATORS, "see the warehouse exceptions")?;
    Ok(store::exceptions(&ctx.db, &caller.scope, open_only, EXCEPTIONS_LIMIT).await?)
}
