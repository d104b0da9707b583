//! `POST /wallet/card-top-up` (owners): the wallet page's "Top up by card" form. Starts the
//! top-up through the API's own action ([`crate::services::top_ups::start_card_top_up`]) and
//! sends the browser to Stripe's payment page; the wallet is credited when Stripe's webhook
//! tells the payment. A refusal (the amount, Stripe's words, Stripe not answering) comes back
//! to the wallet page as a message.

use super::error::PageError;
use super::layout::{redirect_with, Flash};
use super::session::Posted;
use crate::services::top_ups::{start_card_top_up, CardTopUpInput};
use crate::services::{ActionError, Context};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

pub async fn start(State(state): State<Context>, posted: Posted) -> Result<Response, PageError> {
    let store = posted
        .field("store")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| PageError::BadRequest("choose a store to top up".into()))?
        .to_string();
    let input = CardTopUpInput {
        amount: posted.field("amount").unwrap_or_default().to_string(),
        currency: posted
            .field("currency")
            .unwrap_or_default()
            .to_ascii_uppercase(),
    };
    match start_card_top_up(&state, &posted.viewer.caller, &store, input).await {
        Ok(top_up) => match top_up.url {
            // Stripe's own page, outside the dashboard.
            Some(url) => Ok(Redirect::to(&url).into_response()),
            None => Err(PageError::Internal(format!(
                "top-up {} is open without a payment page",
                top_up.id
            ))),
        },
        Err(
            ActionError::Unprocessable(message)
            | ActionError::Conflict(message)
            | ActionError::Unavailable(message),
        ) => Ok(redirect_with(
            &format!("/wallet?store={store}"),
            Flash::error(format!("No card top-up: {message}")),
        )),
        Err(other) => Err(other.into()),
    }
}
