use axum::Json;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, RefOr, ResponseBuilder, Schema, Type};
use utoipa::{Modify, OpenApi};

/// The API description served at `/api/v1/openapi.json`, generated from the handlers'
/// annotations so it cannot drift from the code.
#[derive(OpenApi)]
#[openapi(
    info(title = "dropflow", description = "Dropshipping order fulfilment: orders, holds, jobs."),
    paths(
        super::api::stores::create,
        super::api::stores::list,
        super::api::orders::list,
        super::api::orders::counts,
        super::api::orders::show,
        super::api::orders::place_hold,
        super::api::orders::release_hold,
        super::api::orders::receipt,
        super::api::orders::reroute,
        super::api::orders::supplier_orders,
        super::api::mappings::put,
        super::api::mappings::list,
        super::api::jobs::list,
        super::api::jobs::retry,
        super::api::wallet::top_up,
        super::api::wallet::show,
        super::api::wallet::entries,
        super::api::top_ups::start,
        super::api::top_ups::show,
        super::api::procurement::place,
        super::api::procurement::pay,
        super::api::procurement::refresh,
        super::api::procurement::bulk_place,
        super::api::procurement::bulk_pay,
        super::api::procurement::parcels_of,
        super::api::procurement::ship,
        super::api::procurement::deliver,
        super::api::flags::list,
        super::api::flags::resolve,
        super::api::flags::link,
        super::api::flags::buy_again,
        super::api::replace_difference::replace,
        super::api::warehouse::receive,
        super::api::warehouse::exceptions,
        super::api::warehouse::resolve,
        super::api::warehouse::inspect,
        super::api::warehouse::returns,
        super::api::warehouse::inspect_return,
        super::api::warehouse::pack,
        super::api::warehouse::combinable,
        super::api::warehouse::dispatch,
        super::api::warehouse::rates,
        super::api::warehouse::put_rates,
        super::api::warehouse::refund_rules,
        super::api::warehouse::put_refund_rules,
        super::api::warehouse::show,
        super::api::warehouse::decide,
        super::api::warehouse::ship_what_is_here,
        super::api::warehouse::choose,
        super::api::warehouse::pay,
        super::api::warehouse::settings,
        super::api::warehouse::put_settings,
        super::api::settings::show,
        super::api::settings::put,
        super::api::settings::put_admin,
        super::api::settings::return_address,
        super::api::settings::put_return_address,
        super::api::settings::catalogue_policy,
        super::api::settings::put_catalogue_policy,
        super::api::fx_rates::list,
        super::api::fx_rates::put,
        super::api::fx_rates::import_ecb,
        super::api::tokens::create,
        super::api::tokens::list,
        super::api::tokens::revoke,
        super::api::webhook_endpoints::create,
        super::api::webhook_endpoints::list,
        super::api::webhook_endpoints::delete,
        super::api::webhook_endpoints::replay,
        super::api::cases::open,
        super::api::cases::of_order,
        super::api::cases::list,
        super::api::cases::show,
        super::api::cases::step,
        super::api::cases::add_photos,
        super::api::cases::photo,
        super::api::evidence::download,
        super::api::products::list,
        super::api::products::approve_price,
        super::api::products::read_catalogue,
        super::api::profit::order,
        super::api::profit::report,
        super::api::profit::report_csv,
        super::api::profit::fee,
        super::api::profit::put_fee,
        super::api::vendor_payouts::vendors,
        super::api::vendor_stock::put,
        super::api::vendor_stock::put_csv,
        super::api::vendor_payouts::earnings,
        super::api::vendor_payouts::settings,
        super::api::vendor_payouts::put_settings,
        super::api::vendor_payouts::request,
        super::api::vendor_payouts::show,
        super::api::vendor_payouts::pay,
        super::api::vendor_payouts::decline,
        super::api::exports::orders,
        super::api::exports::ledger,
        super::api::exports::payouts,
        super::api::audit::list,
    ),
    modifiers(&BearerAuth, &ErrorAnswers)
)]
pub struct ApiDoc;

/// A string parameter or field limited to `values` (taken from the code's own lists, so the
/// document cannot drift from what the handler accepts).
fn one_of(values: impl IntoIterator<Item = &'static str>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
        .into()
}

/// `tab`: the order tabs.
pub fn tab_schema() -> Schema {
    one_of(dropflow_core::tab::Tab::ALL.map(|t| t.as_str()))
}

/// A hold reason.
pub fn hold_reason_schema() -> Schema {
    one_of(dropflow_core::hold::HoldReason::ALL.map(|r| r.as_str()))
}

/// A job status.
pub fn job_status_schema() -> Schema {
    one_of(crate::services::jobs::STATUSES)
}

/// A store platform.
pub fn platform_schema() -> Schema {
    one_of(dropflow_core::intake::Platform::ALL.map(|p| p.as_str()))
}

/// A merchant's decision on failed warehouse items.
pub fn decision_schema() -> Schema {
    one_of(crate::services::warehouse::DECISIONS)
}

/// The error answers every operation can give besides its own, added to each operation so
/// the document lists every status the server answers (a client generator, and the CI's
/// schemathesis run, hold the server to it). A handler's annotation lists only what is its
/// own: its success, and the refusals below it does not share (a 409) or tells more about:
/// - 400: a path or query parameter that does not parse; a malformed JSON body;
/// - 401 / 403: no or a bad token; a role that may never do this (bearer operations);
/// - 404: an id in the path that is not the caller's (operations with path parameters);
/// - 413 / 415 / 422: a body too large, not JSON, or of the wrong shape (operations with a
///   request body);
/// - 503: storage busy (a lock held, the pool exhausted), with `Retry-After`.
struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            for operation in operations(item) {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = operation.request_body.is_some();
                let mut statuses = vec![("400", "the request cannot be read")];
                if secured {
                    statuses.push(("401", "no valid API token"));
                    statuses.push(("403", "the caller's role may never do this"));
                    statuses.push(("503", "storage busy; retry after `Retry-After` seconds"));
                }
                if has_path_params {
                    statuses.push(("404", "not found, or not the caller's"));
                }
                if has_body {
                    statuses.push(("413", "the body is larger than the limit"));
                    statuses.push(("415", "the body is not `application/json`"));
                    statuses.push(("422", "a field is missing or invalid"));
                }
                for (status, description) in statuses {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(description)
                                    .content(
                                        "application/json",
                                        utoipa::openapi::ContentBuilder::new()
                                            .schema(Some(RefOr::Ref(
                                                utoipa::openapi::Ref::from_schema_name("ErrorBody"),
                                            )))
                                            .build(),
                                    )
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

/// Every `/api/v1` operation wants a Bearer token (its handler takes the [`Acting`] caller),
/// so the document says so once here instead of on each of them. Runs before
/// [`ErrorAnswers`], which adds 401/403/503 to secured operations.
///
/// [`Acting`]: super::auth::Acting
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                operation.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
            }
        }
    }
}

/// The operations of one path, whichever methods it has.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
