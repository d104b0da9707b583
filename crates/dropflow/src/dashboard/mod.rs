//! The merchant dashboard: server-rendered HTML (askama templates in
//! `templates/dashboard/`), a session cookie, a CSRF token on every form, and a light touch
//! of htmx (vendored in `assets/`). Every page reads through the signed-in user's scope, the
//! same [`crate::services::Caller`] the API uses, so what a user sees here is exactly what
//! their API token would see; every action calls the same [`crate::services`] function the API does.
//!
//! One module per page. To add a page: a module with its handlers and template struct, a
//! template extending `dashboard/base.html` (its struct carries a [`layout::Layout`]), and
//! its routes in [`router`] below.

/// The order page's buttons and the tracking form (POSTs).
pub mod actions;
/// `/assets/*`: the CSS and htmx, embedded in the binary.
pub mod assets;
/// The HTML error pages (404, 403, 500) and the redirect to the login page.
pub mod error;
/// What every page's base template needs: title, who is signed in, CSRF token, flash.
pub mod layout;
/// The login rate limiter (failures per e-mail and per address).
pub mod limiter;
/// `/login`, `/logout`.
pub mod login;
/// `/orders/{id}`: one order, where it is and why.
pub mod order;
/// The order timeline in sentences, repeats folded.
pub use crate::services::timeline;
/// The order page's Warehouse section (owners and staff).
pub mod order_warehouse;
/// The Warehouse section's forms (POSTs calling the warehouse API's functions).
pub mod order_warehouse_actions;
/// `/orders`: tabs, search, filters, list, bulk actions.
pub mod orders;
/// Which actions an order's state allows (one pure function).
pub mod rules;
/// `/vendor`: a manual vendor's supplier orders to ship.
pub mod vendor;
/// `/vendor/earnings`, `/vendors/payouts`, `/payouts/{id}`: vendors' earnings and payouts.
pub mod vendor_payouts;
/// Which warehouse actions an order's leg allows the merchant (one pure function).
pub mod warehouse_rules;
/// `/warehouse`: the warehouse operator's desk (receive, inspect, pack, dispatch, exceptions).
pub mod warehouse;
/// The warehouse page's forms (POSTs calling the warehouse API's functions).
pub mod warehouse_actions;
/// Words and formats the pages share.
pub use crate::services::view;
/// The home page charts, drawn as SVG on the server.
pub mod charts;
/// `/`: counts per tab and the two charts.
pub mod home;
/// `/stores/{id}/settings`: automation, branding, mail choices.
pub mod settings;
/// `/wallet`: balances, ledger, top-up.
pub mod wallet;
/// `/audit`: the account's audit log (owners).
pub mod audit;
/// CSV downloads of a store's orders, ledger and payouts (the API's exports).
pub mod exports;
/// `POST /wallet/card-top-up`: a top-up paid on Stripe's page.
pub mod wallet_card;
/// Profit: the order page's block, and a store's profit per day, product, supplier or store.
pub mod profit;
/// The products list: mapped items, their offers as read at the suppliers.
pub mod products;
/// The Returns tab: after-sale cases with their counts.
pub mod returns;
/// The order page's Cases section, and a case as the order and vendor pages show it.
pub mod order_cases;
/// Which forms a case's state allows (one pure function).
pub mod case_rules;
/// A case's forms (open, steps, photos) and the case photo and evidence downloads.
pub mod case_actions;
/// The session extractor ([`session::Viewer`]) and the CSRF-checked form ([`session::Posted`]).
pub mod session;

use crate::services::Context;
use axum::routing::{get, post};
use axum::Router;

/// The dashboard's routes, mounted at `/` by [`crate::app::router`].
pub fn router() -> Router<Context> {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/assets/{name}", get(assets::serve))
        .route("/warehouse", get(warehouse::page))
        .route("/warehouse/receive", post(warehouse_actions::receive))
        .route(
            "/warehouse/items/{id}/inspection",
            post(warehouse_actions::inspect),
        )
        .route(
            "/warehouse/returns/{case_id}/inspection",
            post(warehouse_actions::inspect_return),
        )
        .route("/warehouse/orders/{id}/pack", post(warehouse_actions::pack))
        .route(
            "/warehouse/packages/{id}/dispatch",
            post(warehouse_actions::dispatch),
        )
        .route(
            "/warehouse/exceptions/{id}/resolve",
            post(warehouse_actions::resolve),
        )
        .route("/orders", get(orders::page))
        .route("/orders/bulk", post(orders::bulk))
        .route("/orders/{id}", get(order::page))
        .route("/orders/{id}/pay", post(actions::pay))
        .route("/orders/{id}/place", post(actions::place))
        .route("/orders/{id}/refresh", post(actions::refresh))
        .route("/orders/{id}/retry", post(actions::retry))
        .route(
            "/orders/{id}/holds/{reason}/release",
            post(actions::release_hold),
        )
        .route(
            "/orders/{id}/warehouse/decision",
            post(order_warehouse_actions::decide),
        )
        .route(
            "/orders/{id}/warehouse/ship-what-is-here",
            post(order_warehouse_actions::ship_what_is_here),
        )
        .route(
            "/orders/{id}/shipping",
            post(order_warehouse_actions::choose),
        )
        .route(
            "/orders/{id}/shipping/pay",
            post(order_warehouse_actions::pay),
        )
        .route("/supplier-orders/{id}/ship", post(actions::ship))
        .route("/supplier-orders/{id}/link", post(actions::link))
        .route("/supplier-orders/{id}/buy-again", post(actions::buy_again))
        .route(
            "/orders/{id}/flags/{flag}/accept",
            post(actions::accept_flag),
        )
        .route(
            "/orders/{id}/flags/{flag}/replace-difference",
            post(actions::replace_difference),
        )
        .route("/supplier-orders/{id}/deliver", post(actions::deliver))
        .route("/orders/{id}/cases", post(case_actions::open))
        .route("/orders/{id}/evidence", get(case_actions::evidence))
        .route("/cases/{id}/events", post(case_actions::step))
        .route(
            "/cases/{id}/photos",
            post(case_actions::add_photos).layer(axum::extract::DefaultBodyLimit::max(
                crate::services::cases::photos::UPLOAD_BODY_LIMIT,
            )),
        )
        .route("/cases/{id}/photos/{photo_id}", get(case_actions::photo))
        .route("/vendor", get(vendor::page))
        .route("/vendor/earnings", get(vendor_payouts::earnings))
        .route("/vendor/payouts", post(vendor_payouts::request))
        .route("/vendors/payouts", get(vendor_payouts::owner_page))
        .route(
            "/vendors/{vendor}/settings",
            post(vendor_payouts::save_settings),
        )
        .route("/payouts/{id}", get(vendor_payouts::statement))
        .route("/payouts/{id}/pay", post(vendor_payouts::pay))
        .route("/payouts/{id}/decline", post(vendor_payouts::decline))
        .route(
            "/stores/{id}/settings",
            get(settings::page).post(settings::save),
        )
        .route("/stores/{id}/logo", get(settings::logo))
        .route("/wallet", get(wallet::page))
        .route("/products", get(products::page))
        .route("/products/approve-price", post(products::approve_price))
        .route("/products/read", post(products::read_catalogue))
        .route("/profit", get(profit::page))
        .route("/profit.csv", get(profit::csv))
        .route("/returns", get(returns::page))
        .route("/wallet/top-up", post(wallet::top_up))
        .route("/wallet/card-top-up", post(wallet_card::start))
        .route("/audit", get(audit::page))
        .route("/stores/{id}/exports/orders.csv", get(exports::orders))
        .route("/stores/{id}/exports/ledger.csv", get(exports::ledger))
        .route("/stores/{id}/exports/payouts.csv", get(exports::payouts))
    // Pages and actions: add routes here.
}
