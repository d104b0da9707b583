//! A CJ Dropshipping API v2.0 stand-in, served over HTTP on `127.0.0.1:0`
//! (`shared/reference/protocols.md` §4).
//!
//! What it does, as CJ does:
//! - **auth**: `authentication/getAccessToken` (API key) issues an access token and a refresh
//!   token with expiry dates; `refreshAccessToken` swaps a refresh token for a new pair (the
//!   old refresh token is used up); every other path wants `CJ-Access-Token` and answers
//!   `1600002` when it is missing and `1600001` when it is unknown or expired;
//! - **orders**: `createOrderV2` keyed by `orderNumber` (a second order with the same number is
//!   refused), `payType` 1/2/3, `confirmOrder`, list (newest first, paged), detail, delete;
//! - **payment**: `payBalance` / `payBalanceV2` draw the order total from a balance a test
//!   can set, only for a confirmed order (`payType` 3 creates without confirming, so such an
//!   order is refused with `1603101` until `confirmOrder`); too little is `1604000`;
//! - **shipping**: a paid order moves `UNSHIPPED` → `SHIPPED` (with a tracking number in its
//!   line's real format) → `DELIVERED` as *sandbox time* passes (`time_scale`, or
//!   [`CjSandbox::advance`]); `logistic/trackInfo` and `freightCalculate` answer;
//! - **limits**: an optional per-second limit answered with `1600200` and an optional daily
//!   quota answered with `1600201`;
//! - **disputes** (`disputes`, `state::disputes`): `disputes/disputeProducts`,
//!   `disputeConfirmInfo`, `create` (keyed by a unique `businessDisputeId`) and
//!   `getDisputeList`, only for a paid order's own lines and for no more than was paid less
//!   earlier refunds; a dispute is decided `dispute_decided_after` (sandbox time) after it is
//!   opened, refunded to the balance or, after [`CjSandbox::refuse_disputes`], rejected;
//! - **webhooks**: with `webhook_url` set, signed `ORDER` and `LOGISTIC` messages are POSTed
//!   as statuses change;
//! - **faults**: the shared [`FaultSwitch`] (latency, timeouts, 5xx, 429, out of stock, price
//!   factor, address rejection, placing despite a timeout).
//!
//! Every refusal carries a code from CJ's own list (standard/ps-code.html, see [`code`]);
//! where CJ's documentation is silent (the wording under a generic code, the exact webhook
//! parameters), the sandbox's choices are marked in [`code`] and `webhooks`.

mod catalog;
pub(crate) mod clock;
mod disputes;
pub mod http_client;
mod orders;
mod receiver;
mod routes;
mod state;
mod tracking;
mod webhooks;

pub use catalog::{variants, SandboxVariant, DEFAULT_STOCK};
pub use disputes::DisputeSnapshot;
pub use receiver::{webhook_receiver, Received};
pub use state::code;
pub use state::{AuthCalls, OrderSnapshot, WebhookDelivery};
pub use webhooks::sign as webhook_sign;

use crate::server::{Listener, Sandbox};
use state::Shared;
use std::sync::Arc;
use std::time::Duration;

/// How the sandbox behaves. `Default` is a well-funded account with CJ's real token lifetimes,
/// real time, no rate limit and no webhooks.
#[derive(Debug, Clone)]
pub struct CjSandboxConfig {
    /// The key getAccessToken accepts (CJ's format: `CJUserNum@api@xxxx`).
    pub api_key: String,
    /// The account's `openId`: returned with tokens, sent in webhooks, and the webhook
    /// signing key.
    pub open_id: u64,
    /// Access-token lifetime, in real time (CJ: 15 days).
    pub access_token_ttl: Duration,
    /// Refresh-token lifetime, in real time (CJ: 180 days).
    pub refresh_token_ttl: Duration,
    /// Least time between two getAccessToken calls (CJ: 5 minutes); zero = no limit.
    pub login_min_interval: Duration,
    /// Calls per second (CJ's account levels: Free 1, Plus 2, Prime 4, Advanced 6); `None`
    /// = unlimited, so benchmarks measure dropflow rather than the limit.
    pub qps_limit: Option<u32>,
    /// Calls per UTC day before CJ answers `1600201` "Quota has been used up" (unverified
    /// accounts: 1,000 per interface, standard/limit.html; the sandbox counts all paths
    /// together); `None` = unlimited.
    pub daily_quota: Option<u32>,
    /// Sandbox seconds per real second (86 400 = a day a second).
    pub time_scale: f64,
    /// From payment to shipping, in sandbox time.
    pub ship_after: Duration,
    /// From shipping to delivery, in sandbox time.
    pub deliver_after: Duration,
    /// The starting balance, US cents.
    pub balance_cents: i64,
    /// Where to POST webhooks (`http://` only); `None` = no webhooks.
    pub webhook_url: Option<String>,
    /// How often (real time) to look for changes to announce.
    pub webhook_tick: Duration,
    /// How long a "timed out" request is held before the sandbox gives up on it.
    pub timeout_hold: Duration,
    /// What the sandbox sells; unlisted `vid`s are sold too (see [`SandboxVariant`]).
    pub variants: Vec<SandboxVariant>,
    /// From opening a dispute to CJ's decision, in sandbox time.
    pub dispute_decided_after: Duration,
    /// Whether `disputes/create` answers the new dispute's id as `data` (CJ documents no
    /// success body, so by default it answers `null` and a client reads the id back from
    /// `getDisputeList`).
    pub dispute_create_returns_id: bool,
}

impl Default for CjSandboxConfig {
    fn default() -> Self {
        const DAY: u64 = 86_400;
        CjSandboxConfig {
            api_key: "CJ4821937@api@0f5c2a9e7b3d4e1f8a6c5b2d9e0f7a31".to_string(),
            open_id: 1_482_193_700,
            access_token_ttl: Duration::from_secs(15 * DAY),
            refresh_token_ttl: Duration::from_secs(180 * DAY),
            login_min_interval: Duration::ZERO,
            qps_limit: None,
            daily_quota: None,
            time_scale: 1.0,
            ship_after: Duration::from_secs(2 * DAY),
            deliver_after: Duration::from_secs(8 * DAY),
            balance_cents: 1_000_000,
            webhook_url: None,
            webhook_tick: Duration::from_millis(200),
            timeout_hold: Duration::from_secs(30),
            variants: variants(),
            dispute_decided_after: Duration::from_secs(3 * DAY),
            dispute_create_returns_id: false,
        }
    }
}

/// A running sandbox (see [`Sandbox`]); `base_url` is `http://127.0.0.1:PORT/api2.0/v1`, what a
/// client uses as CJ's base URL.
pub type CjSandbox = Sandbox<Shared>;

/// Starts a sandbox on `127.0.0.1` at a free port.
pub async fn start(config: CjSandboxConfig) -> std::io::Result<CjSandbox> {
    let listener = Listener::bind().await?;
    let injector = listener.injector(config.timeout_hold, routes::FAULT_ANSWERS);
    let webhook_url = config.webhook_url.clone();
    let shared = Arc::new(Shared::new(config, listener.faults()));
    let router = injector.around(routes::router(shared.clone()));
    let mut sandbox = listener.sandbox("cj", routes::BASE_PATH, shared.clone(), router);
    if let Some(url) = webhook_url {
        let stopping = sandbox.server.stopping();
        sandbox
            .server
            .also(tokio::spawn(webhooks::run(shared, url, stopping)));
    }
    Ok(sandbox)
}

impl CjSandbox {
    /// The API key the sandbox accepts.
    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// The account's openId (the webhook signing key).
    pub fn open_id(&self) -> u64 {
        self.shared.config.open_id
    }

    pub fn set_balance_cents(&self, cents: i64) {
        self.shared.set_balance_cents(cents);
    }

    pub fn balance_cents(&self) -> i64 {
        self.shared.balance_cents()
    }

    /// How many orders carry this `orderNumber` (never more than one, if CJ's rule holds).
    pub fn orders_with_number(&self, order_number: &str) -> usize {
        self.shared.orders_with_number(order_number)
    }

    /// The order with this `orderNumber`, as it stands now.
    pub fn order(&self, order_number: &str) -> Option<OrderSnapshot> {
        self.shared.snapshot(order_number)
    }

    pub fn order_count(&self) -> usize {
        self.shared.order_count()
    }

    pub fn auth_calls(&self) -> AuthCalls {
        self.shared.auth_calls()
    }

    /// Every access token stops working (refresh tokens still work).
    pub fn revoke_access_tokens(&self) {
        self.shared.revoke_access_tokens();
    }

    /// Every token stops working; only a new getAccessToken helps.
    pub fn revoke_all_tokens(&self) {
        self.shared.revoke_all_tokens();
    }

    /// Sets the daily quota (`None` = unlimited); calls already made today still count.
    pub fn set_daily_quota(&self, quota: Option<u32>) {
        self.shared.set_daily_quota(quota);
    }

    /// Moves sandbox time forward (orders ship and arrive without waiting).
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    pub fn set_stock(&self, vid: &str, stock: u64) {
        self.shared.set_stock(vid, stock);
    }

    pub fn set_price_cents(&self, vid: &str, cents: i64) {
        self.shared.set_price(vid, cents);
    }

    /// Every dispute opened so far, oldest first, as it stands now.
    pub fn disputes(&self) -> Vec<DisputeSnapshot> {
        self.shared.dispute_snapshots()
    }

    /// From now on, disputes opened are rejected when decided (`false` goes back to refunds).
    /// Disputes already open keep the outcome they were opened with.
    pub fn refuse_disputes(&self, refuse: bool) {
        self.shared.set_refuse_disputes(refuse);
    }

    /// Every webhook POST so far (the last 10 000).
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.deliveries()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
