//! The buttons of the order page and the vendor's tracking form. Each is a CSRF-checked POST
//! that calls the API's own function (no second copy of the rules), then redirects back with
//! what happened as the flash message. Outside the viewer's scope an order or supplier order
//! is not found (404 page), as on the API.

use super::error::PageError;
use super::layout::{redirect_with, Flash};
use super::session::Posted;
use crate::services::flags;
use crate::services::procurement::{self, Action, ShipInput};
use crate::services::ActionError;
use crate::services::Context;
use crate::storage::accounts::Role;
use axum::extract::{Path, State};
use axum::response::Response;
use dropflow_core::hold::HoldReason;
use dropflow_core::ids::OrderId;

/// The order a path names, if the viewer may see it.
pub(super) async fn visible_order(
    state: &Context,
    posted: &Posted,
    id: &str,
) -> Result<OrderId, PageError> {
    let not_found = || PageError::NotFound("order not found".into());
    let id: OrderId = id.parse().map_err(|_| not_found())?;
    posted
        .viewer
        .caller
        .order(&state.db, id)
        .await
        .map_err(|_| not_found())
}

async fn supplier_action(
    state: &Context,
    id: &str,
    posted: &Posted,
    action: Action,
) -> Result<Response, PageError> {
    let order = visible_order(state, posted, id).await?;
    let result = procurement::act(state, &order.to_string(), action, &posted.viewer.caller).await?;
    let back = format!("/orders/{order}");
    Ok(match result.outcome.as_str() {
        "queued" => redirect_with(
            &back,
            Flash::ok(match action {
                Action::Pay => "Payment queued: the supplier is being paid from the wallet.",
                Action::Place => "Placing queued: the order is being sent to the supplier.",
                Action::Refresh => "Asking the suppliers now.",
            }),
        ),
        _ => redirect_with(
            &back,
            Flash::error(result.message.unwrap_or_else(|| "Nothing to do.".into())),
        ),
    })
}

/// `POST /orders/{id}/pay`.
pub async fn pay(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    supplier_action(&state, &id, &posted, Action::Pay).await
}

/// `POST /orders/{id}/place`.
pub async fn place(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    supplier_action(&state, &id, &posted, Action::Place).await
}

/// `POST /orders/{id}/refresh`.
pub async fn refresh(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    supplier_action(&state, &id, &posted, Action::Refresh).await
}

/// `POST /orders/{id}/retry`: routes the order again.
pub async fn retry(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let order = visible_order(&state, &posted, &id).await?;
    crate::services::orders::queue_routing(&state, &posted.viewer.caller, &order.to_string())
        .await?;
    Ok(redirect_with(
        &format!("/orders/{order}"),
        Flash::ok("Routing again: the lines not yet bought are being planned anew."),
    ))
}

/// `POST /orders/{id}/holds/{reason}/release`.
pub async fn release_hold(
    State(state): State<Context>,
    Path((id, reason)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, PageError> {
    let order = visible_order(&state, &posted, &id).await?;
    posted
        .viewer
        .require(&[Role::Owner, Role::Staff], "release holds")?;
    let reason = HoldReason::parse(&reason)
        .ok_or_else(|| PageError::BadRequest(format!("there is no hold reason {reason:?}")))?;
    let back = format!("/orders/{order}");
    let released = crate::services::orders::release_hold(
        &state,
        &posted.viewer.caller,
        &order.to_string(),
        reason.as_str(),
    )
    .await;
    match released {
        Ok(_) => Ok(redirect_with(&back, Flash::ok("Hold released."))),
        // A hold already released, or an order cancelled meanwhile.
        Err(ActionError::Conflict(message)) => Ok(redirect_with(&back, Flash::error(message))),
        Err(e) => Err(e.into()),
    }
}

/// Where a supplier-order form returns: the page it came from, if it is one of ours.
fn back_to(posted: &Posted, order: Option<OrderId>) -> String {
    posted
        .field("return_to")
        .filter(|r| (r.starts_with("/vendor") || r.starts_with("/orders/")) && !r.contains("//"))
        .filter(|r| super::layout::local_path(r) == *r)
        .map(str::to_string)
        .or_else(|| order.map(|o| format!("/orders/{o}")))
        .unwrap_or_else(|| posted.viewer.landing().to_string())
}

/// `POST /supplier-orders/{id}/ship`: a vendor (or the merchant) enters the tracking number.
pub async fn ship(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let input = ShipInput {
        tracking_number: posted.field("tracking_number").unwrap_or("").to_string(),
        carrier: posted.field("carrier").map(str::to_string),
        tracking_url: None,
        accept_unverified: false,
        lines: None,
    };
    match procurement::ship_supplier_order(&state, &posted.viewer.caller, &id, input).await {
        Ok(order) => Ok(redirect_with(
            &back_to(&posted, Some(order)),
            Flash::ok("Tracking recorded for what was left to ship."),
        )),
        // Input the person can fix (a typo in the number, the wrong state): say so on the
        // page they came from.
        Err(ActionError::Unprocessable(m) | ActionError::Conflict(m)) => Ok(redirect_with(
            &back_to(&posted, None),
            Flash::error(friendly(&m)),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /supplier-orders/{id}/deliver`.
pub async fn deliver(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    match procurement::deliver_supplier_order(&state, &posted.viewer.caller, &id).await {
        Ok(order) => Ok(redirect_with(
            &back_to(&posted, Some(order)),
            Flash::ok("Marked delivered."),
        )),
        Err(ActionError::Conflict(m)) => Ok(redirect_with(
            &back_to(&posted, None),
            Flash::error(friendly(&m)),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The API's message in the page's words: the form has no `accept_unverified` field.
fn friendly(message: &str) -> String {
    let text = message
        .split(" (or send accept_unverified")
        .next()
        .unwrap_or(message)
        .replacen("tracking_number: ", "The tracking number ", 1);
    format!("Not recorded. {text}.")
}

/// Where a flag form returns: the order's page.
fn order_page(order: OrderId) -> String {
    format!("/orders/{order}")
}

/// `POST /orders/{id}/flags/{flag}/accept`: take a change after purchase as it is.
pub async fn accept_flag(
    State(state): State<Context>,
    Path((id, flag)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, PageError> {
    let order = visible_order(&state, &posted, &id).await?;
    let input = flags::ResolveInput {
        action: "accept".into(),
        note: None,
    };
    match flags::resolve_flag(&state, &posted.viewer.caller, &id, &flag, input).await {
        Ok(_) => Ok(redirect_with(&order_page(order), Flash::ok("Accepted."))),
        Err(ActionError::Conflict(m) | ActionError::Unprocessable(m)) => {
            Ok(redirect_with(&order_page(order), Flash::error(m)))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /orders/{id}/flags/{flag}/replace-difference`: buy the extra units of a line whose
/// quantity went up after its purchase (the API's function, CSRF-checked by [`Posted`]).
pub async fn replace_difference(
    State(state): State<Context>,
    Path((id, flag)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, PageError> {
    let order = visible_order(&state, &posted, &id).await?;
    match crate::services::replace_difference::replace_difference(
        &state,
        &posted.viewer.caller,
        &id,
        &flag,
    )
    .await
    {
        Ok(replaced) => Ok(redirect_with(
            &order_page(order),
            Flash::ok(format!(
                "Buying the difference: {} more, in a purchase of its own.",
                replaced.quantity
            )),
        )),
        Err(ActionError::Conflict(m) | ActionError::Unprocessable(m)) => {
            Ok(redirect_with(&order_page(order), Flash::error(m)))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /supplier-orders/{id}/link`: the supplier's order a person found for an attempt.
pub async fn link(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let input = flags::LinkInput {
        supplier_order_id: posted.field("supplier_order_id").unwrap_or("").to_string(),
        accept_mismatch: posted.field("accept_mismatch") == Some("true"),
    };
    match flags::link_purchase(&state, &posted.viewer.caller, &id, input).await {
        Ok(_) => Ok(redirect_with(
            &back_to(&posted, None),
            Flash::ok("Linked: it is followed from the supplier's order now."),
        )),
        // A difference from the purchase, or a supplier that did not answer: said on the
        // page, so the person can look again or accept it knowingly.
        Err(
            ActionError::Conflict(m) | ActionError::Unprocessable(m) | ActionError::Unavailable(m),
        ) => Ok(redirect_with(
            &back_to(&posted, None),
            Flash::error(m.replace(
                " (send accept_mismatch: true to link it anyway)",
                " — tick “link it anyway” to accept the differences",
            )),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /supplier-orders/{id}/buy-again`: give up an attempt in doubt, knowingly.
pub async fn buy_again(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let input = flags::BuyAgainInput {
        accept_duplicate_risk: posted.field("accept_duplicate_risk") == Some("true"),
    };
    match flags::buy_purchase_again(&state, &posted.viewer.caller, &id, input).await {
        Ok(queued) => Ok(redirect_with(
            &back_to(&posted, queued.order_id.parse().ok()),
            Flash::ok("Buying again: the lines are routed anew."),
        )),
        Err(ActionError::Conflict(m) | ActionError::Unprocessable(m)) => {
            Ok(redirect_with(&back_to(&posted, None), Flash::error(m)))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn typo_messages_read_as_sentences() {
        let m = "tracking_number: fails the check digit of UPS: check it for a typo (or send \
                 accept_unverified: true to record it without sending it to the store)";
        assert_eq!(
            super::friendly(m),
            "Not recorded. The tracking number fails the check digit of UPS: check it for a typo."
        );
    }
}
