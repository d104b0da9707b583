//! Faults a supplier sandbox can inject, set per sandbox at run time (tests flip them while
//! the sandbox runs). Probabilities are 0.0–1.0 per request; a timeout holds the request
//! longer than any client waits and then drops it. [`layer`] applies them in front of a
//! platform's routes, each platform answering in its own words ([`FaultyPlatform`]).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// What to do to the next requests.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Added to every answer, before the platform acts.
    pub latency: Duration,
    /// Added after the platform acted, before its answer goes out: a caller that dies
    /// meanwhile never hears that (say) its purchase went through.
    pub answer_delay: Duration,
    /// Share of requests that never get an answer in time.
    pub timeout_rate: f64,
    /// Share of requests answered 500/502/503.
    pub server_error_rate: f64,
    /// Share of requests answered 429 (with Retry-After).
    pub rate_limit_rate: f64,
    /// Share of purchases refused as out of stock.
    pub out_of_stock_rate: f64,
    /// Multiplier applied to prices at purchase time (1.0 = unchanged; 1.2 = 20 % dearer).
    pub price_factor: f64,
    /// Share of purchases refused for the address.
    pub address_rejection_rate: f64,
    /// Whether a timed-out purchase is nevertheless placed (the nasty case: the order exists
    /// but the caller never heard).
    pub place_despite_timeout: bool,
}

impl Faults {
    /// A price in minor units after the price factor; a factor that is not a positive number
    /// leaves it as listed.
    pub(crate) fn priced(&self, minor: i64) -> i64 {
        let factor = if self.price_factor.is_finite() && self.price_factor > 0.0 {
            self.price_factor
        } else {
            1.0
        };
        ((minor as f64) * factor).round() as i64
    }
}

impl Default for Faults {
    /// No faults: answers at once, prices as listed.
    fn default() -> Self {
        Faults {
            latency: Duration::ZERO,
            answer_delay: Duration::ZERO,
            timeout_rate: 0.0,
            server_error_rate: 0.0,
            rate_limit_rate: 0.0,
            out_of_stock_rate: 0.0,
            price_factor: 1.0,
            address_rejection_rate: 0.0,
            place_despite_timeout: false,
        }
    }
}

/// A shared, mutable set of faults.
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch(Arc<Mutex<Faults>>);

impl FaultSwitch {
    pub fn set(&self, faults: Faults) {
        if let Ok(mut f) = self.0.lock() {
            *f = faults;
        }
    }

    pub fn get(&self) -> Faults {
        self.0.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// Draws whether a fault of probability `rate` happens on this request.
    pub fn roll(rate: f64) -> bool {
        rate > 0.0 && rand::random::<f64>() < rate
    }
}

/// How a platform words the faults the layer answers for it.
#[derive(Clone, Copy)]
pub(crate) struct FaultAnswers {
    /// The answer to a request that hits a server error (`status` drawn from 500, 502, 503).
    pub(crate) server_error: fn(StatusCode) -> Response,
    /// The answer to a rate-limited request.
    pub(crate) rate_limited: fn() -> Response,
    /// Whether a request to this path is carried out even when it times out and the faults
    /// say `place_despite_timeout` (the create-order call: the caller never hears it worked).
    pub(crate) carried_out_despite_timeout: fn(&str) -> bool,
}

/// A bare HTML page naming the status: how the front servers of CJ and 17TRACK answer a 5xx
/// (not their JSON envelope).
pub(crate) fn html_error_page(status: StatusCode) -> Response {
    let page = format!("<html><body><h1>{status}</h1></body></html>");
    (status, page).into_response()
}

/// Whether a path is carried out despite a timeout: for platforms without such a call.
pub(crate) fn never(_path: &str) -> bool {
    false
}

/// One sandbox's faults at work: its switch, how long a timeout holds a request, the stop
/// signal that ends held requests, and the platform's words.
#[derive(Clone)]
pub(crate) struct Injector {
    pub(crate) switch: FaultSwitch,
    pub(crate) hold: Duration,
    pub(crate) stopping: watch::Receiver<bool>,
    pub(crate) answers: FaultAnswers,
}

/// What the faults do to one request.
pub(crate) enum Strike {
    /// Nothing: the platform answers.
    Pass,
    /// The request is held, then dropped ([`Injector::time_out`]).
    Timeout,
    /// This answer instead of the platform's.
    Answer(Response),
}

impl Injector {
    /// Waits the latency, then draws the request's fault: a timeout, a 5xx or a 429, in
    /// that order.
    pub(crate) async fn strike(&self, faults: &Faults) -> Strike {
        if !faults.latency.is_zero() {
            tokio::time::sleep(faults.latency).await;
        }
        if FaultSwitch::roll(faults.timeout_rate) {
            return Strike::Timeout;
        }
        if FaultSwitch::roll(faults.server_error_rate) {
            let status = match rand::random::<u8>() % 3 {
                0 => StatusCode::INTERNAL_SERVER_ERROR,
                1 => StatusCode::BAD_GATEWAY,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            return Strike::Answer((self.answers.server_error)(status));
        }
        if FaultSwitch::roll(faults.rate_limit_rate) {
            return Strike::Answer((self.answers.rate_limited)());
        }
        Strike::Pass
    }

    /// Holds a request past any client's patience (or until the sandbox stops), then
    /// answers 504 to whoever still listens.
    pub(crate) async fn time_out(&self) -> Response {
        let mut stopping = self.stopping.clone();
        tokio::select! {
            _ = tokio::time::sleep(self.hold) => {}
            _ = stopping.wait_for(|s| *s) => {}
        }
        StatusCode::GATEWAY_TIMEOUT.into_response()
    }

    /// `router` behind this fault layer (every route and the fallback).
    pub(crate) fn around(self, router: axum::Router) -> axum::Router {
        router.layer(axum::middleware::from_fn_with_state(self, layer))
    }
}

/// The fault layer in front of a platform's routes.
async fn layer(State(injector): State<Injector>, request: Request, next: Next) -> Response {
    let faults = injector.switch.get();
    match injector.strike(&faults).await {
        Strike::Pass => {
            let response = next.run(request).await;
            if !faults.answer_delay.is_zero() {
                tokio::time::sleep(faults.answer_delay).await;
            }
            response
        }
        Strike::Answer(response) => response,
        Strike::Timeout => {
            if faults.place_despite_timeout
                && (injector.answers.carried_out_despite_timeout)(request.uri().path())
            {
                let _placed = next.run(request).await;
            }
            injector.time_out().await
        }
    }
}
