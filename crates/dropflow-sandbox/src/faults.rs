//! Faults a supplier sandbox can inject, set per sandbox at run time (tests flip them while
//! the sandbox runs). Probabilities are 0.0–1.0 per request; a timeout holds the request
//! longer than any client waits and then drops it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What to do to the next requests.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Added to every answer.
    pub latency: Duration,
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

impl Default for Faults {
    /// No faults: answers at once, prices as listed.
    fn default() -> Self {
        Faults {
            latency: Duration::ZERO,
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
