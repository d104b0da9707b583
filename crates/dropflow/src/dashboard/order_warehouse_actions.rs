//! The order page's warehouse forms (owners and staff): the decision on failed items, ship
//! what is here, choose a carrier, pay the shipping fee. Each is a CSRF-checked POST calling
//! the warehouse API's own function (the same checks, the same single transaction), then back
//! to `/orders/{id}` with what happened as the flash message. What the merchant can fix (the
//! wallet is short, the state moved on) is an error flash with nothing written; an order
//! outside the viewer's scope is the 404 page.

use super::actions::visible_order;
use super::error::PageError;
use super::layout::{redirect_with, Flash};
use super::session::Posted;
use crate::services::warehouse::{self as api, ChooseInput};
use crate::services::Context;
use crate::services::{ActionError, MERCHANTS};
use crate::storage::warehouse::Package;
use axum::extract::{Path, State};
use axum::response::Response;
use dropflow_core::ids::OrderId;

/// The order a path names, if the viewer may see it and act on its warehouse leg.
async fn order_for(state: &Context, posted: &Posted, id: &str) -> Result<OrderId, PageError> {
    let order = visible_order(state, posted, id).await?;
    posted.viewer.require(MERCHANTS, "act on the warehouse")?;
    Ok(order)
}

/// Back to the order with the outcome: a flash for what the merchant can fix, the error page
/// otherwise.
fn back<T>(
    order: OrderId,
    result: Result<T, ActionError>,
    refused: &str,
    done: impl FnOnce(T) -> String,
) -> Result<Response, PageError> {
    let to = format!("/orders/{order}");
    match result {
        Ok(value) => Ok(redirect_with(&to, Flash::ok(done(value)))),
        Err(ActionError::Unprocessable(m) | ActionError::Conflict(m) | ActionError::Invalid(m)) => {
            Ok(redirect_with(
                &to,
                Flash::error(format!("{refused} {}.", sentence(&m))),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// An API message as the end of a sentence: first letter up, no trailing full stop.
fn sentence(message: &str) -> String {
    let trimmed = message.trim().trim_end_matches('.');
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// ` of 12.34 USD`, or nothing when the package has no fee yet.
fn fee_of(package: &Package) -> String {
    match (package.fee_minor, package.fee_currency.as_deref()) {
        (Some(minor), Some(currency)) => format!(" of {}", super::view::money(minor, currency)),
        _ => String::new(),
    }
}

/// `POST /orders/{id}/warehouse/decision` (`decision`: `return_refund`, `reorder`, `accept`).
pub async fn decide(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let order = order_for(&state, &posted, &id).await?;
    let decision = posted.field("decision").unwrap_or("");
    let result =
        api::decide_on_failed(&state, &posted.viewer.caller, &order.to_string(), decision).await;
    back(order, result, "Not decided.", |r| {
        let what = match decision {
            "return_refund" => "returned to the seller; the refund goes to the wallet",
            "reorder" => "bought again; the order waits for the replacement",
            _ => "accepted as is; they ship with the rest",
        };
        format!("{} failed item(s) {what}.", r.items)
    })
}

/// `POST /orders/{id}/warehouse/ship-what-is-here`.
pub async fn ship_what_is_here(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let order = order_for(&state, &posted, &id).await?;
    let result = api::ship_here(&state, &posted.viewer.caller, &order.to_string()).await;
    back(order, result, "Not changed.", |()| {
        "What is here will be packed and shipped now; the rest follows in another parcel."
            .to_string()
    })
}

/// `POST /orders/{id}/shipping` (`service`: the offer's code; `package_id`).
pub async fn choose(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let order = order_for(&state, &posted, &id).await?;
    let Some(service) = posted.field("service") else {
        return Ok(redirect_with(
            &format!("/orders/{order}"),
            Flash::error("Not chosen. Pick one of the carriers offered."),
        ));
    };
    let input = ChooseInput {
        // The offer's code names it alone; the carrier's name is not needed.
        carrier: String::new(),
        service: service.to_string(),
        package_id: posted.field("package_id").map(str::to_string),
    };
    let result =
        api::choose_carrier(&state, &posted.viewer.caller, &order.to_string(), &input).await;
    back(order, result, "Not chosen.", |p| {
        format!(
            "Carrier chosen: pay the shipping fee{} to have the parcel dispatched.",
            fee_of(&p)
        )
    })
}

/// `POST /orders/{id}/shipping/pay` (`package_id`).
pub async fn pay(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let order = order_for(&state, &posted, &id).await?;
    let result = api::pay_fee(
        &state,
        &posted.viewer.caller,
        &order.to_string(),
        posted.field("package_id"),
    )
    .await;
    back(order, result, "Not paid.", |p| {
        format!(
            "Shipping fee{} paid from the wallet: the parcel leaves within 24 hours.",
            fee_of(&p)
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn api_messages_read_as_sentences() {
        assert_eq!(
            super::sentence("the wallet cannot pay the shipping fee: short; top up and pay again"),
            "The wallet cannot pay the shipping fee: short; top up and pay again"
        );
        assert_eq!(
            super::sentence("no failed item waits."),
            "No failed item waits"
        );
        assert_eq!(super::sentence(""), "");
    }
}
