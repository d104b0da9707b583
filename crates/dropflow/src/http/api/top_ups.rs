//! Wallet top-ups paid by card (Stripe Checkout): start one (its answer carries the payment
//! page's URL), read one. Adapters over [`crate::services::top_ups`]; the payment itself is
//! told by Stripe's webhook (`POST /webhooks/stripe`).

use crate::http::api::views::top_ups::CardTopUp;
use crate::http::api::{Answer, Created, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::services::top_ups as service;
use crate::services::top_ups::CardTopUpInput;
use axum::Json;

/// Starts a top-up of the store's wallet paid by card: answers the top-up, `open`, with the
/// Stripe Checkout page to send the payer to (`url`). The wallet is credited when Stripe
/// tells the payment, once, with this amount. Owners only.
#[utoipa::path(post, path = "/api/v1/stores/{store_id}/wallet/card-top-ups",
    request_body = CardTopUpInput,
    params(("store_id" = String, Path, description = "store id")),
    responses((status = 201, body = CardTopUp, description = "the top-up, open, with its payment page"),
        (status = 403, body = ErrorBody, description = "not an owner"),
        (status = 404, body = ErrorBody, description = "no such store the caller sees, or card \
            top-ups are not configured on this installation ([payments.stripe])"),
        (status = 409, body = ErrorBody, description = "Stripe refused the idempotency key"),
        (status = 422, body = ErrorBody, description = "the amount or currency is not one a card \
            top-up takes, or Stripe refused the payment page (its message)"),
        (status = 503, body = ErrorBody, description = "Stripe did not answer or refused this \
            installation's key; the storage is busy")))]
pub async fn start(
    Acting(ctx, caller): Acting,
    ApiPath(store_id): Id,
    ApiJson(input): ApiJson<CardTopUpInput>,
) -> Result<Created<CardTopUp>, ApiError> {
    let top_up = service::start_card_top_up(&ctx, &caller, &store_id, input).await?;
    Ok(Created(top_up.into()))
}

/// One card top-up of the store: where it stands (open, paid, refused…).
#[utoipa::path(get, path = "/api/v1/stores/{store_id}/wallet/card-top-ups/{id}",
    params(("store_id" = String, Path, description = "store id"),
        ("id" = String, Path, description = "top-up id")),
    responses((status = 200, body = CardTopUp),
        (status = 404, body = ErrorBody, description = "no such top-up of a store the caller sees")))]
pub async fn show(
    Acting(ctx, caller): Acting,
    ApiPath((store_id, id)): ApiPath<(String, String)>,
) -> Answer<CardTopUp> {
    Ok(Json(
        service::card_top_up(&ctx, &caller, &store_id, &id)
            .await?
            .into(),
    ))
}

/// The card top-up routes, merged into `/api/v1`.
pub fn routes() -> axum::Router<crate::http::HttpState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/stores/{store_id}/wallet/card-top-ups", post(start))
        .route("/stores/{store_id}/wallet/card-top-ups/{id}", get(show))
}
