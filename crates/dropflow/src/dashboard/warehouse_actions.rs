//! The warehouse page's forms. Each is a CSRF-checked POST that calls the API's own function
//! (the same checks, the same single transaction), then goes back to `/warehouse` with what
//! happened as the flash message. Input the operator can fix (a bad number, the wrong stage)
//! is an error flash with nothing saved; outside the viewer's scope is the 404 page.

use super::error::PageError;
use super::layout::{redirect_with, Flash};
use super::session::{csrf_ok, Posted, Viewer, CSRF_FIELD};
use super::warehouse::OPERATORS;
use crate::fulfilment::warehouse::floor;
use crate::services::warehouse::{self as api, DispatchInput, PackInput, ScanInput};
use crate::services::ActionError;
use crate::services::Context;
use crate::storage::warehouse_queues as queues;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;

const BACK: &str = "/warehouse";

/// What an API error shows: a flash for what the operator can fix, the error page otherwise.
fn outcome<T>(
    result: Result<T, ActionError>,
    done: impl FnOnce(T) -> Flash,
) -> Result<Response, PageError> {
    match result {
        Ok(value) => Ok(redirect_with(BACK, done(value))),
        Err(ActionError::Unprocessable(m) | ActionError::Conflict(m) | ActionError::Invalid(m)) => {
            Ok(redirect_with(BACK, Flash::error(format!("Not saved. {m}"))))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /warehouse/receive`: a scan at the receiving desk (a barcode scanner types the number
/// and Enter).
pub async fn receive(State(state): State<Context>, posted: Posted) -> Result<Response, PageError> {
    posted.viewer.require(OPERATORS, "receive parcels")?;
    let Some(scan) = posted.field("scan") else {
        return Ok(redirect_with(
            BACK,
            Flash::error("Scan or type a tracking number."),
        ));
    };
    let input = ScanInput {
        scan: scan.to_string(),
    };
    let received = crate::services::warehouse::receive(&state, &posted.viewer.caller, &input).await;
    let flash = match received {
        Ok(floor::Received::Matched {
            order_ids,
            items_arrived,
            ..
        }) => {
            let names = queues::order_names(&state.db, &order_ids).await?.join(", ");
            Ok(Flash::ok(if items_arrived.is_empty() {
                format!("{scan}: order {names} — scanned before, nothing new arrived.")
            } else {
                format!(
                    "{scan}: order {names} — {} item(s) arrived, ready to inspect.",
                    items_arrived.len()
                )
            }))
        }
        Ok(floor::Received::CaseReturns { returns }) => Ok(Flash::ok(
            returns
                .iter()
                .map(|r| format!("{scan}: {}.", r.message))
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Ok(floor::Received::Unknown { .. }) => Ok(Flash::error(format!(
            "{scan}: no parcel of yours is expected with this number. It is kept under \
             Exceptions: link it to its order when you know it."
        ))),
        Err(e) => Err(e),
    };
    outcome(flash, |f| f)
}

/// The page's checklist boxes and reasons, set aside by the shared multipart reader.
const INSPECTION_ASIDE: &[&str] = &[
    CSRF_FIELD,
    "title_matches",
    "variant_matches",
    "received_quantity",
    "undamaged",
    "marketing_material_removed",
    "reason",
];

/// An inspection form as the page sends it: the API's form, with the checklist from the
/// form's boxes instead of JSON, and the photos; or the response already decided (a
/// refusal, or a flash naming what to fix).
async fn page_inspection(
    viewer: &Viewer,
    multipart: Multipart,
    what: &str,
) -> Result<Result<(api::InspectionForm, Vec<(String, Vec<u8>)>), Response>, PageError> {
    let parts = match crate::services::warehouse::read_inspection(multipart, INSPECTION_ASIDE).await
    {
        Ok(parts) => parts,
        Err(ActionError::Unprocessable(m)) => return Err(PageError::BadRequest(m)),
        Err(e) => return Err(e.into()),
    };
    let field = |name: &str| {
        parts
            .aside
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    };
    if !csrf_ok(&viewer.csrf_token, field(CSRF_FIELD).unwrap_or_default()) {
        return Err(PageError::Forbidden(
            "this form has expired or did not come from this site: reload the page and try again"
                .into(),
        ));
    }
    viewer.require(OPERATORS, what)?;
    let Ok(received_quantity) = field("received_quantity")
        .unwrap_or_default()
        .parse::<u32>()
    else {
        return Ok(Err(redirect_with(
            BACK,
            Flash::error("Not saved. Received quantity: give the number of pieces in the parcel."),
        )));
    };
    let checked = |name: &str| field(name).is_some();
    let checklist = serde_json::json!({
        "title_matches": checked("title_matches"),
        "variant_matches": checked("variant_matches"),
        "received_quantity": received_quantity,
        "undamaged": checked("undamaged"),
        "marketing_material_removed": checked("marketing_material_removed"),
    });
    let reasons: Vec<&str> = parts
        .aside
        .iter()
        .filter(|(k, v)| k == "reason" && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
        .collect();
    let mut form = parts.form;
    form.checklist = checklist.to_string();
    form.reasons = Some(serde_json::json!(reasons).to_string());
    Ok(Ok((form, parts.uploads)))
}

/// `POST /warehouse/items/{id}/inspection` (multipart: it carries photos): the API's reader
/// and recorder, with the checklist from the form's boxes instead of JSON.
pub async fn inspect(
    State(state): State<Context>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let (form, uploads) = match page_inspection(&viewer, multipart, "inspect items").await? {
        Ok(form) => form,
        Err(response) => return Ok(response),
    };
    let result = api::record_inspection(&state, &viewer.caller, &id, form, uploads).await;
    outcome(result, |o| {
        Flash::ok(if o.passed() {
            "Inspection recorded: passed."
        } else {
            "Inspection recorded: failed. The merchant chooses what happens to the item."
        })
    })
}

/// `POST /warehouse/returns/{case_id}/inspection` (multipart): a case's returned goods
/// inspected with the same form; a pass restocks them, a failure disposes of them.
pub async fn inspect_return(
    State(state): State<Context>,
    viewer: Viewer,
    Path(case_id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let (form, uploads) =
        match page_inspection(&viewer, multipart, "inspect returned goods").await? {
            Ok(form) => form,
            Err(response) => return Ok(response),
        };
    let result =
        api::record_return_inspection(&state, &viewer.caller, &case_id, form, uploads).await;
    outcome(result, |o| {
        Flash::ok(format!(
            "Customer return, case {}: inspection recorded, {}.",
            o.case_id,
            if o.restocked {
                "passed: the goods are restocked"
            } else {
                "failed: the goods are disposed of"
            }
        ))
    })
}

/// A whole number from a form field, or the error flash naming it.
fn number(posted: &Posted, name: &str, label: &str) -> Result<u32, Flash> {
    match posted.field(name).map(str::parse::<u32>) {
        Some(Ok(n)) if n > 0 => Ok(n),
        _ => Err(Flash::error(format!(
            "Not saved. {label}: give a whole number above 0."
        ))),
    }
}

/// `POST /warehouse/orders/{id}/pack`: weight and box size.
pub async fn pack(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    posted.viewer.require(OPERATORS, "pack orders")?;
    let measures = (|| {
        Ok::<_, Flash>(PackInput {
            weight_g: number(&posted, "weight_g", "Weight (g)")?,
            length_cm: number(&posted, "length_cm", "Length (cm)")?,
            width_cm: number(&posted, "width_cm", "Width (cm)")?,
            height_cm: number(&posted, "height_cm", "Height (cm)")?,
            // Other orders to the same customer the operator ticked.
            with_orders: posted.all("with_orders"),
        })
    })();
    let input = match measures {
        Ok(input) => input,
        Err(flash) => return Ok(redirect_with(BACK, flash)),
    };
    let result = api::pack_order(&state, &posted.viewer.caller, &id, &input).await;
    outcome(result, |p| {
        Flash::ok(format!(
            "Packed: {} g, {} carrier option(s) offered to the merchant.",
            p.weight_g,
            p.quotes.len()
        ))
    })
}

/// `POST /warehouse/packages/{id}/dispatch`: carrier, tracking number, optional label.
pub async fn dispatch(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    posted.viewer.require(OPERATORS, "dispatch parcels")?;
    let input = DispatchInput {
        tracking_number: posted.field("tracking_number").unwrap_or("").to_string(),
        carrier: posted.field("carrier").unwrap_or("").to_string(),
        label: posted.field("label").map(str::to_string),
    };
    let result = api::dispatch_package(&state, &posted.viewer.caller, &id, &input).await;
    outcome(result, |p| {
        Flash::ok(format!(
            "Dispatched with {}: the store gets the tracking number.",
            p.tracking_number.unwrap_or_default()
        ))
    })
}

/// `POST /warehouse/exceptions/{id}/resolve`: the order an unknown parcel is for, or the
/// after-sale case it is the customer's return of (`case`).
pub async fn resolve(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    posted
        .viewer
        .require(OPERATORS, "resolve warehouse exceptions")?;
    let case = posted.field("case").map(str::trim).unwrap_or("");
    let reference = posted.field("order").map(str::trim).unwrap_or("");
    if !case.is_empty() {
        if !reference.is_empty() {
            return Ok(redirect_with(
                BACK,
                Flash::error("Not saved. Give the order or the case, not both."),
            ));
        }
        let result = api::resolve_exception_to_case(&state, &posted.viewer.caller, &id, case).await;
        return outcome(result, |r| {
            Flash::ok(match r.case_return {
                Some(arrived) => format!("Linked to the case. {}.", arrived.message),
                None => "Linked to the case.".to_string(),
            })
        });
    }
    let result = api::resolve_exception(&state, &posted.viewer.caller, &id, reference).await;
    outcome(result, |r| {
        Flash::ok(if r.items_arrived.is_empty() {
            "Linked to the order.".to_string()
        } else {
            format!(
                "Linked to the order: {} item(s) arrived, ready to inspect.",
                r.items_arrived.len()
            )
        })
    })
}
