//! A 1688 (Alibaba China) open platform stand-in for buying at a marketplace on dropflow's
//! behalf, served over HTTP on `127.0.0.1:0`.
//!
//! - **gateway**: `POST /openapi/param2/1/{namespace}/{api}/{appKey}` with form parameters,
//!   signed with `_aop_signature` (see [`sign`]); a wrong app key or signature and a wrong
//!   `access_token` are refused in the gateway's `{error_code, error_message}` shape. The
//!   gateway codes used here (`gw.SignatureInvalid`, `gw.AccessTokenInvalid`,
//!   `gw.QosAppFrequencyLimit`, `gw.APIUnsupported`) are modelled on 1688's `gw.*` family;
//! - **orders**: fastCreateOrder (the receiving address is the warehouse, never the customer;
//!   `outOrderId` refused while a live order holds it, so a retry never buys twice), protocol
//!   pay from the buyer balance (cross-border pay channel), buyerView, getBuyerOrderList
//!   (newest first, paged), cancel (unpaid only), createRefund (a return and refund of some
//!   entries of a paid order once shipped, at most what they cost, one open per entry; a
//!   refund only of the whole order before the seller ships, which the seller agrees to:
//!   the order closes), getRefundReasonList;
//! - **refunds** (`refunds.rs`): getRefundReasonList (per goods status, some reasons needing
//!   proof), createRefund's refusals by 1688's documented codes (5001, 5003, 5004, 5005, 5006,
//!   5010 also for a repeat, 5011, 5012, 5100), OpQueryOrderRefund by refund id and
//!   buyer.queryOrderRefundList by order; a request moves `waitselleragree` →
//!   (`waitsellerreceive` for a return) → `refundsuccess` (credited to the buyer balance) as
//!   sandbox time passes (`refund_after`), or `refundclose` while
//!   [`MarketplaceSandbox::close_refunds`] is on;
//! - **time**: a paid order goes `waitsellersend` → `waitbuyerreceive` (a domestic parcel with
//!   SF / YTO / ZTO / STO / Yunda tracking) → `confirm_goods` (signed for at the warehouse) →
//!   `success` as *sandbox time* passes (`time_scale`, or [`MarketplaceSandbox::advance`]);
//! - **faults**: the shared [`FaultSwitch`]: latency, timeouts (a held create may still be
//!   carried out with `place_despite_timeout`), 5xx, 429 with `Retry-After`, out of stock,
//!   price factor and address rejection on create.

mod api;
mod orders;
mod refunds;
pub mod sign;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod refund_tests;

pub use api::{
    code, APIS, BUYER_ORDER_LIST, BUYER_VIEW, CANCEL, CREATE_REFUND, FAST_CREATE_ORDER,
    PREPARE_PAY, QUERY_REFUND, REFUND_LIST, REFUND_REASONS,
};
pub use orders::{offers, tracking_number, Courier, MarketplaceOffer, COURIERS};
pub use refunds::{Outcome, SandboxRefund};

use crate::cj::clock::SandboxClock;
use crate::faults::{FaultAnswers, Injector, Strike};
use crate::server::{Listener, Sandbox};
use axum::extract::{Form, Path, State as AxumState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How the sandbox behaves.
#[derive(Clone)]
pub struct MarketplaceSandboxConfig {
    pub app_key: String,
    pub app_secret: String,
    pub access_token: String,
    /// Sandbox seconds per real second.
    pub time_scale: f64,
    /// From payment to the seller's shipment.
    pub ship_after: Duration,
    /// From shipment to arrival at the warehouse.
    pub arrive_after: Duration,
    /// From arrival to the order's settlement (`success`).
    pub settle_after: Duration,
    /// Domestic postage per order, fen.
    pub post_fee_fen: i64,
    /// The buyer account's starting balance, fen.
    pub balance_fen: i64,
    pub timeout_hold: Duration,
    /// From a refund request to the seller's decision (refunded or closed); a return waits
    /// for the goods over its second half.
    pub refund_after: Duration,
}

impl Default for MarketplaceSandboxConfig {
    fn default() -> Self {
        const DAY: u64 = 86_400;
        MarketplaceSandboxConfig {
            app_key: "3876512".into(),
            app_secret: "sandbox-1688-secret".into(),
            access_token: "sandbox-1688-token".into(),
            time_scale: 1.0,
            ship_after: Duration::from_secs(DAY),
            arrive_after: Duration::from_secs(2 * DAY),
            settle_after: Duration::from_secs(7 * DAY),
            post_fee_fen: 600,
            balance_fen: 5_000_000,
            timeout_hold: Duration::from_secs(30),
            refund_after: Duration::from_secs(3 * DAY),
        }
    }
}

impl MarketplaceSandboxConfig {
    pub(crate) fn timing(&self) -> orders::Timing {
        orders::Timing {
            ship_after: self.ship_after,
            arrive_after: self.arrive_after,
            settle_after: self.settle_after,
        }
    }
}

impl std::fmt::Debug for MarketplaceSandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketplaceSandboxConfig")
            .field("app_key", &self.app_key)
            .field("time_scale", &self.time_scale)
            .finish_non_exhaustive()
    }
}

pub(crate) struct State {
    pub offers: Vec<MarketplaceOffer>,
    pub orders: BTreeMap<u64, orders::Order>,
    /// Orders created per `outOrderId` (more than one live order would be a double buy).
    pub placements: HashMap<String, usize>,
    pub next_id: u64,
    pub balance_fen: i64,
    pub calls: HashMap<String, usize>,
    /// Test switch: refund requests opened while it is on end `refundclose`.
    pub close_refunds: bool,
}

/// The sandbox's state behind its routes (what its `Sandbox` methods read).
pub struct Shared {
    pub(crate) config: MarketplaceSandboxConfig,
    faults: Injector,
    pub(crate) clock: SandboxClock,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running sandbox (see [`Sandbox`]); `base_url` is the gateway's root (`/openapi/param2/1/…`
/// lives under it).
pub type MarketplaceSandbox = Sandbox<Shared>;

/// A sandbox order at the current sandbox time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxOrder {
    pub order_id: u64,
    pub out_order_id: Option<String>,
    pub status: &'static str,
    pub total_fen: i64,
    pub tracking_number: Option<String>,
}

pub async fn start(config: MarketplaceSandboxConfig) -> std::io::Result<MarketplaceSandbox> {
    let listener = Listener::bind().await?;
    let shared = Arc::new(Shared {
        clock: SandboxClock::new(config.time_scale),
        faults: listener.injector(config.timeout_hold, FAULT_ANSWERS),
        state: Mutex::new(State {
            offers: api::catalogue(),
            orders: BTreeMap::new(),
            placements: HashMap::new(),
            next_id: 3_512_345_678_901_234,
            balance_fen: config.balance_fen,
            calls: HashMap::new(),
            close_refunds: false,
        }),
        config,
    });
    let router = Router::new()
        .route(
            "/openapi/param2/1/{namespace}/{api}/{app_key}",
            post(gateway),
        )
        .with_state(shared.clone());
    Ok(listener.sandbox("marketplace", "", shared, router))
}

impl MarketplaceSandbox {
    pub fn app_key(&self) -> &str {
        &self.shared.config.app_key
    }
    pub fn app_secret(&self) -> &str {
        &self.shared.config.app_secret
    }
    pub fn access_token(&self) -> &str {
        &self.shared.config.access_token
    }

    /// Orders ever created with this `outOrderId`.
    pub fn orders_placed(&self, out_order_id: &str) -> usize {
        self.shared
            .lock()
            .placements
            .get(out_order_id)
            .copied()
            .unwrap_or(0)
    }

    /// Live (not cancelled) orders holding this `outOrderId`: more than one is a double buy.
    pub fn live_orders(&self, out_order_id: &str) -> usize {
        self.shared
            .lock()
            .orders
            .values()
            .filter(|o| o.out_order_id.as_deref() == Some(out_order_id) && o.cancelled_at.is_none())
            .count()
    }

    pub fn orders(&self) -> Vec<SandboxOrder> {
        let now = self.shared.clock.now();
        let timing = self.shared.config.timing();
        self.shared
            .lock()
            .orders
            .values()
            .map(|o| SandboxOrder {
                order_id: o.id,
                out_order_id: o.out_order_id.clone(),
                status: o.status(now, &timing),
                total_fen: o.total_fen(),
                tracking_number: o
                    .shipped_at(&timing)
                    .filter(|at| *at <= now && o.cancelled_at.is_none())
                    .map(|_| tracking_number(&o.courier, o.id)),
            })
            .collect()
    }

    /// Every refund request opened, oldest order first.
    pub fn refunds(&self) -> Vec<SandboxRefund> {
        self.shared
            .lock()
            .orders
            .values()
            .flat_map(|o| o.refunds.iter().cloned())
            .collect()
    }

    /// A refund's 1688 status at the current sandbox time (`None`: no such refund).
    pub fn refund_status(&self, refund_id: &str) -> Option<&'static str> {
        let now = self.shared.clock.now();
        self.refunds()
            .into_iter()
            .find(|r| r.refund_id == refund_id)
            .map(|r| r.status(now))
    }

    /// Test switch: refund requests opened from now on end `refundclose` (the seller
    /// refuses) instead of `refundsuccess`.
    pub fn close_refunds(&self, close: bool) {
        self.shared.lock().close_refunds = close;
    }

    /// The buyer balance, with every refund that succeeded by now credited.
    pub fn balance_fen(&self) -> i64 {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        refunds::settle(&mut state, now);
        state.balance_fen
    }
    pub fn set_balance_fen(&self, fen: i64) {
        self.shared.lock().balance_fen = fen;
    }

    /// Sets an offer's stock (false if unknown).
    pub fn set_stock(&self, offer_id: u64, stock: u32) -> bool {
        let mut state = self.shared.lock();
        match state.offers.iter_mut().find(|o| o.offer_id == offer_id) {
            Some(o) => {
                o.stock = stock;
                true
            }
            None => false,
        }
    }

    pub fn calls(&self, api: &str) -> usize {
        self.shared.lock().calls.get(api).copied().unwrap_or(0)
    }

    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }
}

/// The gateway's words for the injected faults: a bare 502 for any 5xx, its QoS error with
/// `Retry-After: 2` for a 429.
const FAULT_ANSWERS: FaultAnswers = FaultAnswers {
    server_error: |_| (StatusCode::BAD_GATEWAY, "upstream error").into_response(),
    rate_limited: || {
        let mut response = gateway_error(
            StatusCode::TOO_MANY_REQUESTS,
            "gw.QosAppFrequencyLimit",
            "App call frequency limited, retry later",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
        response
    },
    carried_out_despite_timeout: crate::faults::never,
};

fn gateway_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error_code": code, "error_message": message, "exception": message })),
    )
        .into_response()
}

async fn gateway(
    AxumState(shared): AxumState<Arc<Shared>>,
    Path((namespace, api, app_key)): Path<(String, String, String)>,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    let faults = shared.faults.switch.get();
    *shared.lock().calls.entry(api.clone()).or_default() += 1;
    match shared.faults.strike(&faults).await {
        Strike::Pass => answer(&shared, &namespace, &api, &app_key, &params, &faults),
        Strike::Answer(response) => response,
        Strike::Timeout => {
            if faults.place_despite_timeout && api == FAST_CREATE_ORDER {
                let _ = answer(&shared, &namespace, &api, &app_key, &params, &faults);
            }
            shared.faults.time_out().await
        }
    }
}

fn answer(
    shared: &Shared,
    namespace: &str,
    api: &str,
    app_key: &str,
    params: &[(String, String)],
    faults: &crate::faults::Faults,
) -> Response {
    let config = &shared.config;
    if namespace != "com.alibaba.trade" || !APIS.contains(&api) {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "gw.APIUnsupported",
            "API not supported",
        );
    }
    let url_path = format!("param2/1/{namespace}/{api}/{app_key}");
    let signature = api::param(params, "_aop_signature").unwrap_or("");
    if app_key != config.app_key || !sign::verify(&config.app_secret, &url_path, params, signature)
    {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "gw.SignatureInvalid",
            "Request signature is invalid",
        );
    }
    if api::param(params, "access_token") != Some(config.access_token.as_str()) {
        return gateway_error(
            StatusCode::UNAUTHORIZED,
            "gw.AccessTokenInvalid",
            "access_token is invalid or expired",
        );
    }
    // Refunds that ended by now are in the balance before anything reads or spends it.
    refunds::settle(&mut shared.lock(), shared.clock.now());
    let body = match api {
        FAST_CREATE_ORDER => api::create(shared, params, faults),
        PREPARE_PAY => api::pay(shared, params),
        BUYER_VIEW => api::buyer_view(shared, params),
        BUYER_ORDER_LIST => api::order_list(shared, params),
        CREATE_REFUND => api::create_refund(shared, params),
        REFUND_REASONS => refunds::refund_reasons(shared, params),
        REFUND_LIST => refunds::refund_list(shared, params),
        QUERY_REFUND => match refunds::query_refund(shared, params) {
            Ok(body) => body,
            Err(body) => return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response(),
        },
        _ => api::cancel(shared, params),
    };
    Json(body).into_response()
}
