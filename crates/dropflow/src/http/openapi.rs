use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        super::api::warehouse::receive,
        super::api::warehouse::exceptions,
        super::api::warehouse::resolve,
        super::api::warehouse::inspect,
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
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
