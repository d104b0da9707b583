//! The download links of the orders and wallet pages:
//! `GET /stores/{id}/exports/{orders,ledger,payouts}.csv`, the API's own exports
//! ([`crate::services::exports`]) called with the viewer's caller and the same filters, so a
//! file downloaded here equals the one the API answers. A bad filter is the 400 page, a store
//! outside the viewer's scope the 404 page.

use super::error::PageError;
use super::session::Viewer;
use crate::services::exports::{self, LedgerFilters, OrderFilters, PayoutFilters};
use crate::services::Context;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

/// `GET /stores/{id}/exports/orders.csv?from=&to=&state=`.
pub async fn orders(
    State(ctx): State<Context>,
    viewer: Viewer,
    Path(store): Path<String>,
    Query(filters): Query<OrderFilters>,
) -> Result<Response, PageError> {
    Ok(exports::orders(&ctx, &viewer.caller, &store, &filters)
        .await?
        .into_response())
}

/// `GET /stores/{id}/exports/ledger.csv?from=&to=&account=`.
pub async fn ledger(
    State(ctx): State<Context>,
    viewer: Viewer,
    Path(store): Path<String>,
    Query(filters): Query<LedgerFilters>,
) -> Result<Response, PageError> {
    Ok(exports::ledger(&ctx, &viewer.caller, &store, &filters)
        .await?
        .into_response())
}

/// `GET /stores/{id}/exports/payouts.csv?from=&to=&status=` (owners).
pub async fn payouts(
    State(ctx): State<Context>,
    viewer: Viewer,
    Path(store): Path<String>,
    Query(filters): Query<PayoutFilters>,
) -> Result<Response, PageError> {
    Ok(exports::payouts(&ctx, &viewer.caller, &store, &filters)
        .await?
        .into_response())
}
