//! After-sale cases: adapters over [`crate::services::cases`].
//!
//! - `POST /orders/{id}/cases` opens a case for shipped units of the order's lines (422
//!   naming the line or amount that does not fit; nothing is written);
//! - `GET /orders/{id}/cases`, `GET /cases` (the Returns tab: open, closed or all, with
//!   counts), `GET /cases/{id}`;
//! - `POST /cases/{id}/events` records a step (the return's tracking, its arrival, restock
//!   or disposal, a decision, a decline, the close); 409 when the case is not at that step;
//! - `POST /cases/{id}/photos` adds the customer's photos (multipart), `GET
//!   /cases/{id}/photos/{photo_id}` answers one.

use crate::http::api::{Answer, Created, Id};
use crate::http::auth::Acting;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::cases::{
    self as service, photos, photos::PhotoBytes, CaseListParams, CasePage, CasePhotoUpload,
    CasePhotoView, CaseStepInput, CaseView, OpenCaseInput,
};
use axum::extract::multipart::MultipartRejection;
use axum::extract::Multipart;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Opens a case on an order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cases", request_body = OpenCaseInput,
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 201, body = CaseView),
        (status = 409, body = ErrorBody, description = "the order changed meanwhile"),
        (status = 422, body = ErrorBody, description = "a line not in the order, more units \
            than were shipped and not already claimed, a refund larger than what is left to \
            refund, an amount not in the order's currency (named)")))]
pub async fn open(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<OpenCaseInput>,
) -> Result<Created<CaseView>, ApiError> {
    Ok(Created(service::open(&ctx, &caller, &id, input).await?))
}

/// The order's cases, newest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/cases",
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<CaseView>)))]
pub async fn of_order(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<Vec<CaseView>> {
    Ok(Json(service::for_order(&ctx, &caller, &id).await?))
}

/// Cases the caller may see, newest first, with the Returns tab's counts.
#[utoipa::path(get, path = "/api/v1/cases", params(CaseListParams),
    responses((status = 200, body = CasePage)))]
pub async fn list(
    Acting(ctx, caller): Acting,
    ApiQuery(params): ApiQuery<CaseListParams>,
) -> Answer<CasePage> {
    Ok(Json(service::list(&ctx, &caller, params).await?))
}

/// One case.
#[utoipa::path(get, path = "/api/v1/cases/{id}",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = CaseView)))]
pub async fn show(Acting(ctx, caller): Acting, ApiPath(id): Id) -> Answer<CaseView> {
    Ok(Json(service::show(&ctx, &caller, &id).await?))
}

/// Records one step of a case. A marketplace vendor asked about the case may record its
/// answer (`supplier_credited`, `supplier_refused`) and nothing else.
#[utoipa::path(post, path = "/api/v1/cases/{id}/events", request_body = CaseStepInput,
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = CaseView),
        (status = 403, body = ErrorBody, description = "a vendor recording anything but its \
            own answer"),
        (status = 409, body = ErrorBody, description = "the case is closed, or not at that \
            step (no return awaited, nothing to decide yet)"),
        (status = 422, body = ErrorBody, description = "a bad tracking number, a decision \
            that does not fit the order, a note missing or too long, a supplier credit's \
            amount, currency or reference")))]
pub async fn step(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    ApiJson(input): ApiJson<CaseStepInput>,
) -> Answer<CaseView> {
    Ok(Json(service::step(&ctx, &caller, &id, input).await?))
}

/// Adds the customer's photos to a case (multipart: one or more `photos` file parts, PNG,
/// JPEG or WebP, each at most 5 MiB, at most 10 on a case). Every photo is checked by its
/// bytes before any is kept; a refused upload keeps none.
#[utoipa::path(post, path = "/api/v1/cases/{id}/photos",
    request_body(content = CasePhotoUpload, content_type = "multipart/form-data"),
    params(("id" = String, Path, description = "case id")),
    responses((status = 201, body = Vec<CasePhotoView>, description = "the photos added"),
        (status = 403, body = ErrorBody, description = "a vendor or a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such case the caller sees"),
        (status = 409, body = ErrorBody, description = "the case is closed"),
        (status = 413, body = ErrorBody, description = "the body is larger than the limit"),
        (status = 415, body = ErrorBody, description = "the body is not \
            `multipart/form-data`"),
        (status = 422, body = ErrorBody, description = "no photo, a file that is not a PNG, \
            JPEG or WebP image or is larger than 5 MiB (named), more than 10 photos on the \
            case, a part other than `photos`")))]
pub async fn add_photos(
    Acting(ctx, caller): Acting,
    ApiPath(id): Id,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Created<Vec<CasePhotoView>>, ApiError> {
    caller.require(crate::services::MERCHANTS, "add photos to cases")?;
    // Another kind of body is 415 (axum's reader says only that it found no boundary); a
    // multipart body it cannot read is 400; both as the API's JSON error.
    let multipart_sent = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !multipart_sent {
        return Err(ApiError::UnsupportedMediaType(
            "expected Content-Type: multipart/form-data".into(),
        ));
    }
    let multipart =
        multipart.map_err(|e| ApiError::BadRequest(format!("multipart: {}", e.body_text())))?;
    let parts = photos::read_uploads(multipart, &[]).await?;
    Ok(Created(
        photos::add(&ctx, &caller, &id, parts.uploads).await?,
    ))
}

/// One of a case's photos, as the image it is. Another account's or vendor's case, or a
/// photo of another case, is 404.
#[utoipa::path(get, path = "/api/v1/cases/{id}/photos/{photo_id}",
    params(("id" = String, Path, description = "case id"),
        ("photo_id" = String, Path, description = "photo id (`photos[].id` of the case)")),
    responses((status = 200, description = "the photo's bytes",
            content((PhotoBytes = "image/png"), (PhotoBytes = "image/jpeg"),
                (PhotoBytes = "image/webp"))),
        (status = 403, body = ErrorBody, description = "a warehouse user"),
        (status = 404, body = ErrorBody, description = "no such photo of a case the caller sees")))]
pub async fn photo(
    Acting(ctx, caller): Acting,
    ApiPath((id, photo_id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let file = photos::get(&ctx, &caller, &id, &photo_id).await?;
    Ok(file.into_response())
}

/// The cases' routes, merged into `/api/v1`.
pub fn routes() -> axum::Router<crate::http::HttpState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/orders/{id}/cases", post(open).get(of_order))
        .route("/cases", get(list))
        .route("/cases/{id}", get(show))
        .route("/cases/{id}/events", post(step))
        .route(
            "/cases/{id}/photos",
            post(add_photos).layer(axum::extract::DefaultBodyLimit::max(
                photos::UPLOAD_BODY_LIMIT,
            )),
        )
        .route("/cases/{id}/photos/{photo_id}", get(photo))
}
