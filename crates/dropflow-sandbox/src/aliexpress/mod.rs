//! An AliExpress Open Platform stand-in for the dropshipping APIs, served over HTTP on
//! `127.0.0.1:0` (`shared/reference/protocols.md` §3).
//!
//! What it does, as AliExpress does:
//! - **gateway**: `POST` (or `GET`) `/sync` with form or query parameters; `method` names the
//!   API; the HMAC-SHA256 signature (§3.2) is checked with the sandbox's own code, and a bad
//!   or missing one is refused with `IncompleteSignature` in the gateway's error shape (§3.4);
//!   a wrong `session`/`access_token` with `IllegalAccessToken`; an unknown method with
//!   `InvalidApiPath`;
//! - **orders**: `aliexpress.ds.order.create` keyed by `out_order_id` (a repeat within 24 h of
//!   sandbox time is refused with `REPEATED_ORDER_ERROR`), one order per seller store, stock
//!   taken; `aliexpress.trade.ds.order.get` and `aliexpress.ds.order.tracking.get`;
//! - **catalogue**: `aliexpress.ds.product.get` and `aliexpress.ds.freight.query` over one
//!   product per store-catalogue product ([`offers`]);
//! - **time**: orders move PLACE_ORDER_SUCCESS → PAYMENT_PROCESSING → WAIT_SELLER_SEND_GOODS →
//!   WAIT_BUYER_ACCEPT_GOODS (tracking number in the carrier's real format) → FINISH as
//!   *sandbox time* passes (`time_scale`, or [`AliExpressSandbox::advance`]);
//! - **faults**: the shared [`FaultSwitch`] — latency; timeouts (held, then dropped; with
//!   `place_despite_timeout` a held order create is still carried out); 5xx; 429 with
//!   `Retry-After` and the throttling message; out of stock, price factor and address
//!   rejection on order create (price factor also on product and freight prices).
//!   [`AliExpressSandbox::set_fault_methods`] narrows the transport faults to some APIs.
//!
//! Customer data sent to it stays in memory and is never logged.

mod api;
mod catalogue;
mod orders;
mod sign;

#[cfg(test)]
mod tests;

pub use catalogue::DEFAULT_STOCK;

use crate::cj::clock::SandboxClock;
use crate::faults::{FaultAnswers, Faults, Injector, Strike};
use crate::server::{Listener, Sandbox};
use api::Params;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State as AxumState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How the sandbox behaves. `Default`: the credentials below, real time, a 30 s hold for a
/// "timed out" request.
#[derive(Clone)]
pub struct AliExpressSandboxConfig {
    pub app_key: String,
    pub app_secret: String,
    /// The token the `session` (or `access_token`) parameter must carry.
    pub access_token: String,
    /// Sandbox seconds per real second (86 400 / 10 makes a day pass in ten seconds).
    pub time_scale: f64,
    /// How long a request picked for a timeout is held before it is dropped; longer than any
    /// client waits.
    pub timeout_hold: Duration,
    /// Count the 24 h `out_order_id` repeat window in real time rather than sandbox time. A
    /// demo compresses shipping days into seconds, not a client's retry delays: with fast
    /// time and this off, a retry a few real seconds later would fall outside "24 hours".
    pub repeat_window_in_real_time: bool,
}

impl Default for AliExpressSandboxConfig {
    fn default() -> Self {
        AliExpressSandboxConfig {
            app_key: "500001".into(),
            app_secret: "sandbox-app-secret".into(),
            access_token: "sandbox-access-token".into(),
            time_scale: 1.0,
            timeout_hold: Duration::from_secs(30),
            repeat_window_in_real_time: false,
        }
    }
}

impl std::fmt::Debug for AliExpressSandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliExpressSandboxConfig")
            .field("app_key", &self.app_key)
            .field("time_scale", &self.time_scale)
            .field("timeout_hold", &self.timeout_hold)
            .finish_non_exhaustive()
    }
}

/// An offer of the sandbox catalogue, for building product mappings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxOffer {
    /// The SKU of the store-catalogue product this fulfils.
    pub store_sku: &'static str,
    pub product_id: String,
    pub sku_id: String,
    /// The sale price before any price fault, in USD cents.
    pub unit_cost_cents: i64,
    pub currency: &'static str,
}

/// Every product the sandbox sells, one per store-catalogue product.
pub fn offers() -> Vec<SandboxOffer> {
    catalogue::products()
        .into_iter()
        .map(|p| SandboxOffer {
            store_sku: p.store_sku,
            product_id: p.product_id.to_string(),
            sku_id: p.sku_id.to_string(),
            unit_cost_cents: p.cost_cents,
            currency: "USD",
        })
        .collect()
}

/// An order as the sandbox holds it, at the current sandbox time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxOrder {
    pub order_id: u64,
    pub out_order_id: Option<String>,
    pub order_status: &'static str,
    pub logistics_status: &'static str,
    /// Known to the outside once shipped.
    pub tracking_number: Option<String>,
    pub total_cents: i64,
}

/// One `out_order_id`'s history.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    /// When the last order with it was created (the repeat window counts from here).
    pub first_at: Duration,
    /// The same moment in real time.
    pub first_real: std::time::Instant,
    pub order_ids: Vec<u64>,
    /// How many creates with it placed orders. More than one only after the 24 h window.
    pub placements: usize,
}

pub(crate) struct State {
    pub products: Vec<catalogue::Product>,
    pub orders: BTreeMap<u64, orders::Order>,
    pub references: HashMap<String, Reference>,
    pub next_id: u64,
    /// Requests per API name, faulted ones included.
    pub calls: HashMap<String, usize>,
    /// When set, transport faults hit only these APIs.
    pub fault_methods: Option<Vec<String>>,
}

/// The sandbox's state behind its routes (what its `Sandbox` methods read).
pub struct Shared {
    pub(crate) config: AliExpressSandboxConfig,
    faults: Injector,
    clock: SandboxClock,
    state: Mutex<State>,
}

impl Shared {
    /// The state; a panic while it was held does not make it unusable (it holds no invariant
    /// a half-finished request could break beyond that request).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running sandbox (see [`Sandbox`]); `base_url` is the `/sync` URL, e.g.
/// `http://127.0.0.1:41234/sync`.
pub type AliExpressSandbox = Sandbox<Shared>;

/// Starts a sandbox on a free port of 127.0.0.1.
pub async fn start(config: AliExpressSandboxConfig) -> std::io::Result<AliExpressSandbox> {
    let listener = Listener::bind().await?;
    let shared = Arc::new(Shared {
        clock: SandboxClock::new(config.time_scale),
        faults: listener.injector(config.timeout_hold, FAULT_ANSWERS),
        config,
        state: Mutex::new(State {
            products: catalogue::products(),
            orders: BTreeMap::new(),
            references: HashMap::new(),
            next_id: 8_198_352_049_851_315,
            calls: HashMap::new(),
            fault_methods: None,
        }),
    });
    let router = Router::new()
        .route("/sync", get(sync).post(sync))
        .with_state(shared.clone());
    Ok(listener.sandbox("aliexpress", "/sync", shared, router))
}

impl AliExpressSandbox {
    /// Same as the module's [`start`].
    pub async fn start(config: AliExpressSandboxConfig) -> std::io::Result<AliExpressSandbox> {
        start(config).await
    }

    pub fn app_key(&self) -> &str {
        &self.shared.config.app_key
    }

    pub fn app_secret(&self) -> &str {
        &self.shared.config.app_secret
    }

    pub fn access_token(&self) -> &str {
        &self.shared.config.access_token
    }

    /// How many order creates with this `out_order_id` placed orders (each may have made
    /// several orders, one per seller). More than one means a purchase was made twice.
    pub fn orders_placed(&self, out_order_id: &str) -> usize {
        self.shared
            .lock()
            .references
            .get(out_order_id)
            .map_or(0, |r| r.placements)
    }

    /// The AliExpress order numbers created with this `out_order_id`.
    pub fn order_ids(&self, out_order_id: &str) -> Vec<u64> {
        self.shared
            .lock()
            .references
            .get(out_order_id)
            .map(|r| r.order_ids.clone())
            .unwrap_or_default()
    }

    /// `out_order_id`s that placed orders more than once.
    pub fn duplicate_placements(&self) -> usize {
        self.shared
            .lock()
            .references
            .values()
            .filter(|r| r.placements > 1)
            .count()
    }

    /// How many AliExpress orders exist.
    pub fn order_count(&self) -> usize {
        self.shared.lock().orders.len()
    }

    /// One order at the current sandbox time.
    pub fn order(&self, order_id: u64) -> Option<SandboxOrder> {
        let now = self.shared.clock.elapsed();
        let state = self.shared.lock();
        state.orders.get(&order_id).map(|o| view(o, now))
    }

    /// Every order at the current sandbox time, by order number.
    pub fn orders(&self) -> Vec<SandboxOrder> {
        let now = self.shared.clock.elapsed();
        let state = self.shared.lock();
        state.orders.values().map(|o| view(o, now)).collect()
    }

    /// How many requests named this API (faulted ones included).
    pub fn calls(&self, api: &str) -> usize {
        self.shared.lock().calls.get(api).copied().unwrap_or(0)
    }

    /// Moves sandbox time forward.
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Sets the stock of a SKU (false if there is no such SKU).
    pub fn set_stock(&self, sku_id: &str, stock: u32) -> bool {
        let mut state = self.shared.lock();
        match state
            .products
            .iter_mut()
            .find(|p| p.sku_id.to_string() == sku_id)
        {
            Some(p) => {
                p.stock = stock;
                true
            }
            None => false,
        }
    }

    /// Pays an order as a person would in the buyer centre (false if unknown or not waiting
    /// for payment).
    pub fn pay_by_hand(&self, order_id: u64) -> bool {
        let now = self.shared.clock.elapsed();
        let mut state = self.shared.lock();
        match state.orders.get_mut(&order_id) {
            Some(order) if order.phase(now) == orders::Phase::Unpaid => {
                order.payment = orders::Payment::ByHand(Some(now));
                true
            }
            _ => false,
        }
    }

    /// Makes latency, timeouts, 5xx and 429 hit only these APIs (empty: every API, the
    /// default). Purchase faults (stock, price, address) always apply to order create.
    pub fn set_fault_methods(&self, methods: &[&str]) {
        self.shared.lock().fault_methods =
            (!methods.is_empty()).then(|| methods.iter().map(|s| s.to_string()).collect());
    }

    /// Signs `params` for `api` as a client must (the sandbox's own algorithm), for tests
    /// that speak to the sandbox without the connector.
    pub fn sign(&self, api: &str, params: &[(String, String)]) -> String {
        sign::sign(&self.shared.config.app_secret, api, params)
    }
}

fn view(order: &orders::Order, now: Duration) -> SandboxOrder {
    let (order_status, logistics_status) = order.statuses(now);
    SandboxOrder {
        order_id: order.id,
        out_order_id: order.out_order_id.clone(),
        order_status,
        logistics_status,
        tracking_number: order
            .shipped_at()
            .filter(|t| *t <= now)
            .map(|_| order.tracking_number.clone()),
        total_cents: order.total_cents(),
    }
}

// ---------------------------------------------------------------------------------------------
// The one route

async fn sync(
    AxumState(shared): AxumState<Arc<Shared>>,
    Query(query): Query<Vec<(String, String)>>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let mut pairs = query;
    if let Ok(Form(body)) = form {
        pairs.extend(body);
    }
    let params = Params(pairs);
    let method = params.get("method").unwrap_or("").to_string();
    let faults = shared.faults.switch.get();
    let faulty = {
        let mut state = shared.lock();
        *state.calls.entry(method.clone()).or_default() += 1;
        state
            .fault_methods
            .as_ref()
            .is_none_or(|m| m.contains(&method))
    };
    if faulty {
        match shared.faults.strike(&faults).await {
            Strike::Pass => {}
            Strike::Answer(response) => return response,
            Strike::Timeout => {
                if faults.place_despite_timeout && method == api::ORDER_CREATE {
                    // The nasty case: the order is made, the caller never hears.
                    let _ = handle(&shared, &method, &params, &faults);
                }
                return shared.faults.time_out().await;
            }
        }
    }
    Json(handle(&shared, &method, &params, &faults)).into_response()
}

/// The IOP gateway's words for the injected faults: a bare 5xx, its `ApiCallLimit` error
/// for a 429.
const FAULT_ANSWERS: FaultAnswers = FaultAnswers {
    server_error: |status| (status, "upstream error").into_response(),
    rate_limited: || {
        let body = serde_json::json!({
            "type": "ISP",
            "code": "ApiCallLimit",
            "message": "Api access frequency exceeds the limit. this ban will last 1 seconds",
            "request_id": api::request_id(),
        });
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            Json(body),
        )
            .into_response()
    },
    carried_out_despite_timeout: crate::faults::never,
};

/// Checks the gateway's rules, then answers the API.
fn handle(shared: &Shared, method: &str, params: &Params, faults: &Faults) -> serde_json::Value {
    if let Some(refusal) = gateway_check(shared, method, params) {
        return refusal;
    }
    match method {
        api::ORDER_CREATE => api::create(shared, params, faults),
        api::ORDER_GET => api::order_get(shared, params),
        api::TRACKING_GET => api::tracking_get(shared, params),
        api::PRODUCT_GET => api::product_get(shared, params, faults),
        api::FREIGHT_QUERY => api::freight_query(shared, params, faults),
        _ => api::gateway_error("InvalidApiPath", "The specified API path is invalid"),
    }
}

/// The gateway's checks, in order: method, app key, signature method, timestamp (±7200 s),
/// signature, access token. The timestamp code is the sandbox's own; §3.4 lists none.
fn gateway_check(shared: &Shared, method: &str, params: &Params) -> Option<serde_json::Value> {
    let config = &shared.config;
    let bad_signature = || {
        Some(api::gateway_error(
            "IncompleteSignature",
            "The request signature does not conform to platform standards",
        ))
    };
    if method.is_empty() {
        return Some(api::gateway_error("MissingParameter", "method is missing"));
    }
    if !api::METHODS.contains(&method) {
        return Some(api::gateway_error(
            "InvalidApiPath",
            "The specified API path is invalid",
        ));
    }
    if params.get("app_key") != Some(config.app_key.as_str()) {
        return bad_signature();
    }
    if !params
        .get("sign_method")
        .is_some_and(|m| m.eq_ignore_ascii_case("sha256"))
    {
        return bad_signature();
    }
    if !timestamp_fresh(params.get("timestamp").unwrap_or("")) {
        return Some(api::gateway_error(
            "InvalidTimestamp",
            "The timestamp is missing or more than 7200 seconds away",
        ));
    }
    let signature = params.get("sign").unwrap_or("");
    if !sign::verify(&config.app_secret, method, &params.0, signature) {
        return bad_signature();
    }
    let token = params.get("session").or_else(|| params.get("access_token"));
    if token != Some(config.access_token.as_str()) {
        return Some(api::gateway_error(
            "IllegalAccessToken",
            "The specified access token is invalid or expired",
        ));
    }
    None
}

/// Epoch milliseconds, or a `yyyy-MM-dd HH:mm:ss` UTC time, within 7200 s of now (real
/// time: the gateway's clock is not the sandbox's).
fn timestamp_fresh(value: &str) -> bool {
    let at = match value.trim().parse::<i64>() {
        Ok(ms) => chrono::DateTime::from_timestamp_millis(ms),
        Err(_) => chrono::NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%d %H:%M:%S")
            .ok()
            .map(|t| t.and_utc()),
    };
    at.is_some_and(|at| (chrono::Utc::now() - at).num_seconds().abs() <= 7_200)
}
