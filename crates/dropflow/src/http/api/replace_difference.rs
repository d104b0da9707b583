//! `POST /orders/{id}/flags/{flag}/replace-difference`: a line's quantity went up after its
//! purchase ("changed after purchase: quantity 1 → 4"), and the person chooses to buy the
//! extra units: a new supplier order for the same offer, for the extra only, with its own
//! attempt id, placed through the usual place and pay jobs. What was bought is never bought
//! again (`edits::difference` computes the extra from the quantity the purchase was made
//! for). The flag is resolved with who did it; the dashboard's button calls the same
//! function.
//!
//! The handlers here are adapters over [`crate::services::replace_difference`].

use crate::http::api::views::flags::Replaced;
use crate::http::api::Accepted;
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiPath;
use crate::services::replace_difference::replace_difference;

/// Buys the extra units of the line a quantity flag is about.
#[utoipa::path(post, path = "/api/v1/orders/{id}/flags/{flag}/replace-difference",
    params(("id" = String, Path, description = "order id or name"),
        ("flag" = String, Path, description = "flag id")),
    responses(
        (status = 202, body = Replaced, description = "a supplier order for the extra \
            units, queued for placement"),
        (status = 409, body = ErrorBody, description = "resolved already, the order or the \
            purchase was let go, or nothing more to buy"),
        (status = 422, body = ErrorBody, description = "not a quantity flag")))]
pub async fn replace(
    Acting(ctx, caller): Acting,
    ApiPath((id, flag_id)): ApiPath<(String, String)>,
) -> Result<Accepted<Replaced>, ApiError> {
    Ok(Accepted(
        replace_difference(&ctx, &caller, &id, &flag_id)
            .await?
            .into(),
    ))
}
