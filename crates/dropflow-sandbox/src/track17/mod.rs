//! A 17TRACK API v2.2 stand-in, served over HTTP on `127.0.0.1:0`
//! (`shared/reference/protocols.md` §5.2).
//!
//! What it does, as 17TRACK does:
//! - `POST /track/v2.2/register` and `POST /track/v2.2/gettrackinfo`, each taking a JSON array
//!   `[{"number": …, "carrier": <int, optional>}]` of at most 40 items and answering
//!   `{"code": 0, "data": {"accepted": […], "rejected": […]}}`; the header `17token` must carry
//!   the key (else HTTP 401);
//! - every registered number travels `NotFound` → `InfoReceived` → `InTransit` (sub-statuses
//!   `PickedUp`, `Departure`, `Arrival`, `CustomsProcessing`) → `OutForDelivery` → its end
//!   (`Delivered`, or for configurable shares `DeliveryFailure`, `Exception`,
//!   `AvailableForPickup`) over [`Track17SandboxConfig::transit`] of *sandbox time*
//!   (`time_scale`, or [`Track17Sandbox::advance`]); which end a number gets is a stable hash
//!   of the number;
//! - unregistered numbers are rejected by gettrackinfo (`-18019902`); with a quota set
//!   ([`Track17Sandbox::set_quota`]), registrations past it are rejected with `-18019908`;
//! - **faults**: the shared [`FaultSwitch`] (latency, timeouts, 5xx, 429 with `Retry-After`),
//!   and an optional per-second limit (429).
//!
//! Where the public material is silent (error codes beyond `-18010001`/`-18010002`, most of
//! `track_info`), the guesses are marked in [`code`] and in `state.rs`.

mod routes;
mod state;

pub use state::{code, Outcome, Track17Calls, MAX_NUMBERS_PER_CALL};

use crate::server::Sandbox;
use routes::{router, BASE_PATH, FAULT_ANSWERS};
use state::Shared;
use std::time::Duration;

/// How the sandbox behaves. `Default`: real time, ten days from registration to the end of
/// the journey, every parcel delivered, no rate limit.
#[derive(Debug, Clone)]
pub struct Track17SandboxConfig {
    /// The key `17token` must carry.
    pub api_key: String,
    /// Sandbox seconds per real second (86 400 = a day a second).
    pub time_scale: f64,
    /// From registration to the journey's end, in sandbox time.
    pub transit: Duration,
    /// Share (0.0–1.0) of numbers whose journey ends in `DeliveryFailure`.
    pub delivery_failure_share: f64,
    /// Share of numbers whose journey ends in `Exception` (returned to sender).
    pub exception_share: f64,
    /// Share of numbers whose journey ends in `AvailableForPickup`.
    pub pickup_share: f64,
    /// Requests per second before 429; `None` = unlimited.
    pub requests_per_second: Option<u32>,
    /// How long a "timed out" request is held before the sandbox gives up on it.
    pub timeout_hold: Duration,
}

impl Default for Track17SandboxConfig {
    fn default() -> Self {
        Track17SandboxConfig {
            api_key: "17T-SANDBOX-3F9A2C7E5B1D4086A9E2".to_string(),
            time_scale: 1.0,
            transit: Duration::from_secs(10 * 86_400),
            delivery_failure_share: 0.0,
            exception_share: 0.0,
            pickup_share: 0.0,
            requests_per_second: None,
            timeout_hold: Duration::from_secs(30),
        }
    }
}

/// A running sandbox (see [`Sandbox`]); `base_url` is `http://127.0.0.1:PORT/track/v2.2`, what a
/// client uses as 17TRACK's base URL.
pub type Track17Sandbox = Sandbox<Shared>;

/// Starts a sandbox on `127.0.0.1` at a free port.
pub async fn start(config: Track17SandboxConfig) -> std::io::Result<Track17Sandbox> {
    let hold = config.timeout_hold;
    let shared = Shared::new(config);
    Sandbox::behind_faults("17track", BASE_PATH, hold, FAULT_ANSWERS, shared, router).await
}

impl Track17Sandbox {
    /// How many more numbers may be registered before `-18019908` (`None` = unlimited).
    pub fn set_quota(&self, left: Option<u64>) {
        self.shared.set_quota(left);
    }

    /// The key the sandbox accepts.
    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// How many numbers are registered.
    pub fn registered_count(&self) -> usize {
        self.shared.registered()
    }

    pub fn is_registered(&self, number: &str) -> bool {
        self.shared.is_registered(number)
    }

    /// How a registered number's journey ends.
    pub fn outcome(&self, number: &str) -> Option<Outcome> {
        self.shared.outcome(number)
    }

    /// Calls made so far.
    pub fn calls(&self) -> Track17Calls {
        self.shared.calls()
    }

    /// Moves sandbox time forward (parcels travel without waiting).
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// From now on gettrackinfo answers this raw `latest_status` for `number` (which must be
    /// registered to be answered at all), e.g. a status 17TRACK might add one day.
    pub fn force_status(&self, number: &str, status: &str, sub_status: &str) {
        self.shared.force_status(number, status, sub_status);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
