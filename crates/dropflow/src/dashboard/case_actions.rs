//! The forms of an after-sale case — on the order page (owners, staff) and the vendor page
//! (the vendor asked about it) — and the two files the order page links to. Each is an
//! adapter over the API's own function ([`crate::services::cases`],
//! [`crate::services::evidence`]) called with the viewer's caller:
//!
//! - `POST /orders/{id}/cases`: open a case (`qty.<line id>` per line, `reason`,
//!   `resolution` with `goods`, `shipping`, `with_return`, `variant_id`, `note`);
//! - `POST /cases/{id}/events`: one step (`event` as the API names it, with its fields);
//! - `POST /cases/{id}/photos`: the customer's photos (multipart, `photos` parts; the CSRF
//!   token is read from the body);
//! - `GET /cases/{id}/photos/{photo_id}`, `GET /orders/{id}/evidence`: the files.
//!
//! Every POST is CSRF-checked and goes back to the page it came from with what happened as
//! the flash message. What the person can fix (a line that did not ship, an amount, a step
//! the case is not at) is an error flash and nothing is written; a case or order outside the
//! viewer's scope is the 404 page, a role that may never do it the 403 page.

use super::actions::visible_order;
use super::error::PageError;
use super::layout::{redirect_with, Flash};
use super::order_cases::QUANTITY_PREFIX;
use super::session::{csrf_ok, Posted, Viewer, CSRF_FIELD};
use crate::services::cases::{
    self, photos, CaseLineInput, CaseStepInput, CaseView, OpenCaseInput, ResolutionInput,
};
use crate::services::{evidence, ActionError, Context, MERCHANTS};
use crate::storage::accounts::Role;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use dropflow_core::ids::OrderId;

/// An action's message as the end of a sentence: first letter up, no full stop, the API's
/// field names in the form's words.
fn sentence(message: &str) -> String {
    let mut text = message.trim().trim_end_matches('.').to_string();
    for (field, words) in [
        ("resolution.goods", "refund of the goods"),
        ("refund.goods", "refund of the goods"),
        ("resolution.shipping", "refund of shipping"),
        ("refund.shipping", "refund of shipping"),
        ("tracking_number", "tracking number"),
    ] {
        text = text.replace(field, words);
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A refusal the person can fix, said on the page they came from.
fn refused(back: &str, prefix: &str, message: &str) -> Response {
    redirect_with(
        back,
        Flash::error(format!("{prefix} {}.", sentence(message))),
    )
}

/// What the resolution fields say (`resolution`, and `goods`, `shipping`, `with_return` for
/// a refund, `variant_id` and `sku` for an exchange).
fn resolution_input(posted: &Posted) -> Result<ResolutionInput, String> {
    let text = |name: &str| posted.field(name).unwrap_or_default().to_string();
    Ok(match posted.field("resolution").unwrap_or_default() {
        "refund" => ResolutionInput::Refund {
            goods: text("goods"),
            shipping: posted.field("shipping").map(str::to_string),
            with_return: posted.field("with_return") == Some("true"),
        },
        "reship" => ResolutionInput::Reship,
        "exchange" => ResolutionInput::Exchange {
            variant_id: text("variant_id"),
            sku: posted.field("sku").map(str::to_string),
        },
        "return_first" => ResolutionInput::ReturnFirst,
        _ => return Err("Resolution: choose refund, reship, exchange or return first".into()),
    })
}

/// The open form as the API's input: each line with a quantity above 0 (a line left at 0 is
/// not in the case).
fn open_input(posted: &Posted) -> Result<OpenCaseInput, String> {
    let mut lines = Vec::new();
    for (name, value) in &posted.fields {
        let Some(line_id) = name.strip_prefix(QUANTITY_PREFIX) else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let quantity: u32 = value.parse().map_err(|_| {
            format!(
                "Line {}: the quantity must be a whole number, not {:?}",
                line_id.chars().take(60).collect::<String>(),
                value.chars().take(20).collect::<String>()
            )
        })?;
        if quantity > 0 {
            lines.push(CaseLineInput {
                line_id: line_id.to_string(),
                quantity,
            });
        }
    }
    Ok(OpenCaseInput {
        reason: posted.field("reason").unwrap_or_default().to_string(),
        lines,
        resolution: resolution_input(posted)?,
        note: posted.field("note").map(str::to_string),
    })
}

/// `line 123: …` with the line's title, so the person sees which item is meant.
async fn with_titles(ctx: &Context, order: OrderId, message: &str) -> String {
    let Ok(Some(detail)) = crate::storage::orders::get(&ctx.db, order).await else {
        return message.to_string();
    };
    detail.lines.iter().fold(message.to_string(), |text, line| {
        text.replace(
            &format!("line {}:", line.external_id),
            &format!("line {} ({}):", line.external_id, line.title),
        )
    })
}

/// `POST /orders/{id}/cases`: opens a case for shipped units of the order.
pub async fn open(
    State(ctx): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let order = visible_order(&ctx, &posted, &id).await?;
    posted.viewer.require(MERCHANTS, "open cases")?;
    let back = format!("/orders/{order}#cases");
    let input = match open_input(&posted) {
        Ok(input) => input,
        Err(message) => return Ok(refused(&back, "Not opened.", &message)),
    };
    let units: u32 = input.lines.iter().map(|l| l.quantity).sum();
    match cases::open(&ctx, &posted.viewer.caller, &order.to_string(), input).await {
        Ok(case) => Ok(redirect_with(
            &format!("/orders/{order}#case-{}", case.id),
            Flash::ok(format!(
                "Case opened: {units} unit(s), {}. What it calls for next is under Cases.",
                super::view::words(&case.resolution)
            )),
        )),
        Err(ActionError::Unprocessable(m) | ActionError::Conflict(m) | ActionError::Invalid(m)) => {
            let message = with_titles(&ctx, order, &m).await;
            Ok(refused(&back, "Not opened.", &message))
        }
        Err(e) => Err(e.into()),
    }
}

/// Where a case's form returns: the vendor's page for a vendor, the order's page otherwise.
fn page_of(viewer: &Viewer, case: &CaseView) -> String {
    match viewer.role() {
        Role::Vendor => format!("/vendor#case-{}", case.id),
        _ => format!("/orders/{}#case-{}", case.order_id, case.id),
    }
}

/// The step a form names (`event`), with its fields, as the API's input; and what the flash
/// says once it is recorded.
fn step_input(posted: &Posted) -> Result<(CaseStepInput, &'static str), String> {
    let text = |name: &str| posted.field(name).unwrap_or_default().to_string();
    let note = || posted.field("note").map(str::to_string);
    Ok(match posted.field("event").unwrap_or_default() {
        "return_shipped" => (
            CaseStepInput::ReturnShipped {
                tracking_number: text("tracking_number"),
                accept_unverified: posted.field("accept_unverified") == Some("true"),
            },
            "Return tracking recorded: the parcel is followed with its carrier.",
        ),
        "return_delivered" => (
            CaseStepInput::ReturnDelivered,
            "The returned goods are marked arrived.",
        ),
        "return_settled" => {
            let restocked = match posted.field("restocked") {
                Some("true") => true,
                Some("false") => false,
                _ => {
                    return Err(
                        "Say whether the goods went back to stock or were disposed of".into(),
                    )
                }
            };
            (
                CaseStepInput::ReturnSettled { restocked },
                if restocked {
                    "The returned goods are back in stock."
                } else {
                    "The returned goods are disposed of."
                },
            )
        }
        "decide" => (
            CaseStepInput::Decide {
                resolution: resolution_input(posted)?,
            },
            "Decided: what it calls for next is under the case.",
        ),
        "decline" => (
            CaseStepInput::Decline { note: text("note") },
            "The customer's claim is declined.",
        ),
        "close" => (CaseStepInput::Close { note: note() }, "The case is closed."),
        "supplier_credited" => (
            CaseStepInput::SupplierCredited {
                amount: text("amount"),
                currency: posted.field("currency").map(str::to_string),
                reference: text("reference"),
            },
            "The supplier's refund is recorded on the case.",
        ),
        "supplier_refused" => (
            CaseStepInput::SupplierRefused { note: text("note") },
            "The supplier's refusal is recorded on the case.",
        ),
        _ => return Err("Choose one of the case's steps".into()),
    })
}

/// `POST /cases/{id}/events`: one step of a case (a vendor: its answer only).
pub async fn step(
    State(ctx): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let case = cases::show(&ctx, &posted.viewer.caller, &id).await?;
    let back = page_of(&posted.viewer, &case);
    let (input, done) = match step_input(&posted) {
        Ok(step) => step,
        Err(message) => return Ok(refused(&back, "Not recorded.", &message)),
    };
    match cases::step(&ctx, &posted.viewer.caller, &case.id, input).await {
        Ok(_) => Ok(redirect_with(&back, Flash::ok(done))),
        Err(ActionError::Unprocessable(m) | ActionError::Conflict(m) | ActionError::Invalid(m)) => {
            Ok(refused(&back, "Not recorded.", &m))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /cases/{id}/photos` (multipart): the customer's photos.
pub async fn add_photos(
    State(ctx): State<Context>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let multipart =
        multipart.map_err(|e| PageError::BadRequest(format!("The form could not be read: {e}")))?;
    let parts = photos::read_uploads(multipart, &[CSRF_FIELD]).await?;
    let token = parts
        .aside
        .iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.trim())
        .unwrap_or_default();
    if !csrf_ok(&viewer.csrf_token, token) {
        return Err(PageError::Forbidden(
            "this form has expired or did not come from this site: reload the page and try again"
                .into(),
        ));
    }
    viewer.require(MERCHANTS, "add photos to cases")?;
    let case = cases::show(&ctx, &viewer.caller, &id).await?;
    let back = page_of(&viewer, &case);
    match photos::add(&ctx, &viewer.caller, &case.id, parts.uploads).await {
        Ok(added) => Ok(redirect_with(
            &back,
            Flash::ok(format!("{} photo(s) added to the case.", added.len())),
        )),
        Err(ActionError::Unprocessable(m) | ActionError::Conflict(m)) => {
            Ok(refused(&back, "No photo added.", &m))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /cases/{id}/photos/{photo_id}`: one of the customer's photos.
pub async fn photo(
    State(ctx): State<Context>,
    viewer: Viewer,
    Path((id, photo_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let file = photos::get(&ctx, &viewer.caller, &id, &photo_id).await?;
    Ok(file.into_response())
}

/// `GET /orders/{id}/evidence`: the order's evidence file, as an attachment.
pub async fn evidence(
    State(ctx): State<Context>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    Ok(evidence::file(&ctx, &viewer.caller, &id)
        .await?
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn messages_read_as_sentences_in_the_forms_words() {
        assert_eq!(
            sentence("refund.goods: 99.00 is more than the 12.00 that can still be refunded"),
            "Refund of the goods: 99.00 is more than the 12.00 that can still be refunded"
        );
        assert_eq!(
            sentence("line 7 (Mug): 3 asked, but only 1 of it can be claimed."),
            "Line 7 (Mug): 3 asked, but only 1 of it can be claimed"
        );
        assert_eq!(sentence(""), "");
    }
}
