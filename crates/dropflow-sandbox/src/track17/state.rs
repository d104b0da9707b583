//! What the sandbox remembers: registered numbers, each with the sandbox time it was
//! registered at and the way its journey ends, and what was asked of it.
//!
//! A parcel's statuses are not stored: they are computed from sandbox time whenever asked, so
//! `time_scale` and [`super::Track17Sandbox::advance`] move every parcel at once.

use super::Track17SandboxConfig;
use crate::cj::clock::{chrono as to_chrono, SandboxClock};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// 17TRACK's error codes the sandbox answers with. `-18010001` and `-18010002` are in
/// protocols.md §5.2 [primary]; `-18019901`, `-18019902` and `-18019908` are per-number codes
/// several independent clients agree on (§5.2 [secondary]); the others are the sandbox's
/// guesses at 17TRACK's numbering (not confirmed in any source read).
pub mod code {
    /// IP not whitelisted (protocols.md §5.2).
    pub const IP_NOT_WHITELISTED: i64 = -18_010_001;
    /// Invalid access key (protocols.md §5.2).
    pub const INVALID_KEY: i64 = -18_010_002;
    /// More numbers in one call than allowed (40). [guessed]
    pub const TOO_MANY_NUMBERS: i64 = -18_010_012;
    /// The body is not a JSON array of `{number, carrier}`. [guessed]
    pub const BAD_REQUEST: i64 = -18_010_004;
    /// Register: the number is registered already. [guessed]
    pub const ALREADY_REGISTERED: i64 = -18_019_901;
    /// gettrackinfo: the number was never registered: register it, then ask again.
    /// [secondary, §5.2]
    pub const NOT_REGISTERED: i64 = -18_019_902;
    /// The account's tracking quota is used up: wait (or buy more). [secondary, §5.2]
    pub const QUOTA_USED_UP: i64 = -18_019_908;
    /// Register: not 5–50 letters and digits. [guessed]
    pub const INVALID_NUMBER: i64 = -18_019_903;
}

/// Most numbers 17TRACK takes in one call (protocols.md §5.2).
pub const MAX_NUMBERS_PER_CALL: usize = 40;

/// How a parcel's journey ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    DeliveryFailure,
    Exception,
    AvailableForPickup,
}

#[derive(Debug, Clone)]
struct Parcel {
    carrier: i64,
    registered_at: DateTime<Utc>,
    outcome: Outcome,
}

/// Counters a test reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Track17Calls {
    /// `register` calls that reached the handler (authorised, not limited, not faulted).
    pub register: u64,
    /// `gettrackinfo` calls that reached the handler.
    pub gettrackinfo: u64,
    /// Requests refused with 401 (missing or wrong `17token`).
    pub unauthorized: u64,
    /// Requests refused with 429 by the rate limit (not by injected faults).
    pub rate_limited: u64,
    /// Numbers asked about in `gettrackinfo`, summed over calls.
    pub numbers_fetched: u64,
}

/// The sandbox's state behind its routes (what its `Sandbox` methods read).
pub struct Shared {
    pub config: Track17SandboxConfig,
    pub(crate) clock: SandboxClock,
    parcels: Mutex<HashMap<String, Parcel>>,
    /// Raw `(status, sub_status)` a test forced for a number, answered verbatim.
    overrides: Mutex<HashMap<String, (String, String)>>,
    /// Start of the current one-second window and the requests seen in it.
    window: Mutex<(Instant, u32)>,
    register_calls: AtomicU64,
    /// Registrations left before `-18019908`; negative = unlimited.
    quota_left: std::sync::atomic::AtomicI64,
    track_calls: AtomicU64,
    unauthorized: AtomicU64,
    rate_limited: AtomicU64,
    numbers_fetched: AtomicU64,
}

/// One step of the journey: when (share of the transit time), status, sub-status, scan text,
/// place.
struct Stage {
    at: f64,
    status: &'static str,
    sub_status: &'static str,
    description: &'static str,
    location: &'static str,
}

const fn stage(
    at: f64,
    status: &'static str,
    sub_status: &'static str,
    description: &'static str,
    location: &'static str,
) -> Stage {
    Stage {
        at,
        status,
        sub_status,
        description,
        location,
    }
}

/// The common part of every journey. Before the first stage the number is `NotFound` (the
/// carrier has not answered 17TRACK yet).
const JOURNEY: [Stage; 6] = [
    stage(
        0.02,
        "InfoReceived",
        "InfoReceived",
        "Shipment information received",
        "Shenzhen, CN",
    ),
    stage(
        0.10,
        "InTransit",
        "InTransit_PickedUp",
        "Picked up by the carrier",
        "Shenzhen, CN",
    ),
    stage(
        0.25,
        "InTransit",
        "InTransit_Departure",
        "Departed from the origin facility",
        "Hong Kong, HK",
    ),
    stage(
        0.50,
        "InTransit",
        "InTransit_Arrival",
        "Arrived in the destination country",
        "Los Angeles, US",
    ),
    stage(
        0.65,
        "InTransit",
        "InTransit_CustomsProcessing",
        "Customs clearance in progress",
        "Los Angeles, US",
    ),
    stage(
        0.85,
        "OutForDelivery",
        "OutForDelivery_Other",
        "Out for delivery",
        "Austin, US",
    ),
];

fn last_stage(outcome: Outcome) -> Stage {
    match outcome {
        Outcome::Delivered => stage(
            1.0,
            "Delivered",
            "Delivered_Other",
            "Delivered, in/at mailbox",
            "Austin, US",
        ),
        Outcome::DeliveryFailure => stage(
            1.0,
            "DeliveryFailure",
            "DeliveryFailure_NoBody",
            "Delivery attempted, no one at home",
            "Austin, US",
        ),
        Outcome::Exception => stage(
            1.0,
            "Exception",
            "Exception_Returning",
            "Returned to sender: address unknown",
            "Austin, US",
        ),
        Outcome::AvailableForPickup => stage(
            1.0,
            "AvailableForPickup",
            "AvailableForPickup_Other",
            "Available for pickup at the post office",
            "Austin, US",
        ),
    }
}

/// A stable number in [0, 1) from the tracking number (FNV-1a, then mixed), so a number's fate does not
/// depend on the run.
fn unit_hash(number: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in number.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // FNV barely mixes the last bytes into the high bits: finish with splitmix64's mixer.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The carrier key the sandbox "detects" when none is given. 17TRACK detects from its own
/// tables; these keys are the ones the connector knows (UPS 100002, China Post 3011,
/// Cainiao 190271) [secondary: third-party clients].
fn detect_carrier(number: &str) -> i64 {
    let upper = number.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    if upper.starts_with("1Z") {
        100_002
    } else if bytes.len() == 13
        && bytes[..2].iter().all(u8::is_ascii_alphabetic)
        && bytes[11..].iter().all(u8::is_ascii_alphabetic)
    {
        3011
    } else {
        190_271
    }
}

fn valid_number(number: &str) -> bool {
    (5..=50).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn time_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A request item: `{"number": "...", "carrier": 100002}` (carrier optional).
pub(crate) struct Item {
    pub number: String,
    pub carrier: Option<i64>,
}

/// Reads the request body: a JSON array of items. `Err` carries the message.
pub(crate) fn parse_items(body: &[u8]) -> Result<Vec<Item>, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| "The request body is not valid JSON".to_string())?;
    let Value::Array(items) = value else {
        return Err("The request body must be a JSON array".to_string());
    };
    items
        .iter()
        .map(|item| {
            let number = item
                .get("number")
                .and_then(Value::as_str)
                .ok_or_else(|| "Every item needs a string `number`".to_string())?;
            let carrier = match item.get("carrier") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_i64()
                        .ok_or_else(|| "`carrier` must be an integer".to_string())?,
                ),
            };
            Ok(Item {
                number: number.trim().to_string(),
                carrier,
            })
        })
        .collect()
}

fn rejected(number: &str, code: i64, message: String) -> Value {
    json!({"number": number, "error": {"code": code, "message": message}})
}

impl Shared {
    pub(crate) fn new(config: Track17SandboxConfig) -> Self {
        let clock = SandboxClock::new(config.time_scale);
        Shared {
            config,
            clock,
            parcels: Mutex::new(HashMap::new()),
            overrides: Mutex::new(HashMap::new()),
            window: Mutex::new((Instant::now(), 0)),
            register_calls: AtomicU64::new(0),
            quota_left: std::sync::atomic::AtomicI64::new(-1),
            track_calls: AtomicU64::new(0),
            unauthorized: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            numbers_fetched: AtomicU64::new(0),
        }
    }

    /// Counts a request against the per-second limit; `false` = over it.
    pub(crate) fn admit(&self) -> bool {
        let Some(limit) = self.config.requests_per_second else {
            return true;
        };
        let Ok(mut window) = self.window.lock() else {
            return true;
        };
        if window.0.elapsed().as_secs_f64() >= 1.0 {
            *window = (Instant::now(), 0);
        }
        if window.1 >= limit {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        window.1 += 1;
        true
    }

    pub(crate) fn note_unauthorized(&self) {
        self.unauthorized.fetch_add(1, Ordering::Relaxed);
    }

    fn outcome_of(&self, number: &str) -> Outcome {
        let roll = unit_hash(number);
        let c = &self.config;
        let failure = c.delivery_failure_share.max(0.0);
        let exception = failure + c.exception_share.max(0.0);
        let pickup = exception + c.pickup_share.max(0.0);
        if roll < failure {
            Outcome::DeliveryFailure
        } else if roll < exception {
            Outcome::Exception
        } else if roll < pickup {
            Outcome::AvailableForPickup
        } else {
            Outcome::Delivered
        }
    }

    /// Takes one registration from the quota; `false` when none is left.
    fn take_quota(&self) -> bool {
        let left = &self.quota_left;
        let mut now = left.load(Ordering::Relaxed);
        loop {
            if now < 0 {
                return true;
            }
            if now == 0 {
                return false;
            }
            match left.compare_exchange(now, now - 1, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(actual) => now = actual,
            }
        }
    }

    /// Sets how many more numbers may be registered (`None` = unlimited).
    pub(crate) fn set_quota(&self, left: Option<u64>) {
        let value = left.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        self.quota_left.store(value, Ordering::Relaxed);
    }

    /// `data` of a register answer.
    pub(crate) fn register(&self, items: &[Item]) -> Value {
        self.register_calls.fetch_add(1, Ordering::Relaxed);
        let now = self.clock.now();
        let mut accepted = Vec::new();
        let mut refused = Vec::new();
        let Ok(mut parcels) = self.parcels.lock() else {
            return json!({"accepted": [], "rejected": []});
        };
        for item in items {
            if !valid_number(&item.number) {
                refused.push(rejected(
                    &item.number,
                    code::INVALID_NUMBER,
                    format!(
                        "The tracking number '{}' is not 5 to 50 letters and digits.",
                        item.number
                    ),
                ));
                continue;
            }
            if !parcels.contains_key(&item.number) && !self.take_quota() {
                refused.push(rejected(
                    &item.number,
                    code::QUOTA_USED_UP,
                    "The tracking quota of this account has been used up.".to_string(),
                ));
                continue;
            }
            if parcels.contains_key(&item.number) {
                refused.push(rejected(
                    &item.number,
                    code::ALREADY_REGISTERED,
                    format!("The tracking number '{}' has been registered.", item.number),
                ));
                continue;
            }
            let carrier = item
                .carrier
                .filter(|c| *c > 0)
                .unwrap_or_else(|| detect_carrier(&item.number));
            parcels.insert(
                item.number.clone(),
                Parcel {
                    carrier,
                    registered_at: now,
                    outcome: self.outcome_of(&item.number),
                },
            );
            // [guessed] v2.2 also answers `origin` (1 = detected, 2 = given) and sometimes a
            // `tag`; only `number` and `carrier` are read by clients seen.
            accepted.push(json!({
                "origin": if item.carrier.is_some() { 2 } else { 1 },
                "number": item.number,
                "carrier": carrier,
            }));
        }
        json!({"accepted": accepted, "rejected": refused})
    }

    /// `data` of a gettrackinfo answer.
    pub(crate) fn track_info(&self, items: &[Item]) -> Value {
        self.track_calls.fetch_add(1, Ordering::Relaxed);
        self.numbers_fetched
            .fetch_add(items.len() as u64, Ordering::Relaxed);
        let now = self.clock.now();
        let parcels = match self.parcels.lock() {
            Ok(p) => p,
            Err(_) => return json!({"accepted": [], "rejected": []}),
        };
        let overrides = self.overrides.lock().map(|o| o.clone()).unwrap_or_default();
        let mut accepted = Vec::new();
        let mut refused = Vec::new();
        for item in items {
            match parcels.get(&item.number) {
                None => refused.push(rejected(
                    &item.number,
                    code::NOT_REGISTERED,
                    format!(
                        "The tracking number '{}' does not register, please register first.",
                        item.number
                    ),
                )),
                Some(parcel) => accepted.push(self.describe(
                    &item.number,
                    parcel,
                    now,
                    overrides.get(&item.number),
                )),
            }
        }
        json!({"accepted": accepted, "rejected": refused})
    }

    /// One accepted gettrackinfo item. Field names follow 17TRACK v2.2 as far as clients seen
    /// read them (`track_info.latest_status.{status, sub_status}`,
    /// `track_info.latest_event.{time_utc, time_iso, description, location}`,
    /// `track_info.milestone[].key_stage`); the rest of `track_info` (`time_metrics`,
    /// `tracking.providers[].events`, `shipping_info`) is a guess at the document's shape,
    /// filled just enough to look real.
    fn describe(
        &self,
        number: &str,
        parcel: &Parcel,
        now: DateTime<Utc>,
        forced: Option<&(String, String)>,
    ) -> Value {
        let transit = to_chrono(self.config.transit);
        let at = |share: f64| {
            let ms = (transit.num_milliseconds() as f64 * share) as i64;
            parcel.registered_at + chrono::Duration::milliseconds(ms)
        };
        let last = last_stage(parcel.outcome);
        let reached: Vec<&Stage> = JOURNEY
            .iter()
            .chain(std::iter::once(&last))
            .filter(|s| at(s.at) <= now)
            .collect();
        let events: Vec<Value> = reached
            .iter()
            .rev()
            .map(|s| {
                let t = at(s.at);
                json!({
                    "time_iso": time_utc(t),
                    "time_utc": time_utc(t),
                    "time_raw": {"date": t.format("%Y-%m-%d").to_string(),
                                 "time": t.format("%H:%M:%S").to_string(), "timezone": null},
                    "description": s.description,
                    "location": s.location,
                    "stage": s.status,
                    "sub_status": s.sub_status,
                })
            })
            .collect();
        let (status, sub_status) = match (forced, reached.last()) {
            (Some((status, sub)), _) => (status.clone(), sub.clone()),
            (None, Some(s)) => (s.status.to_string(), s.sub_status.to_string()),
            (None, None) => ("NotFound".to_string(), "NotFound_Other".to_string()),
        };
        let latest_event = events.first().cloned().unwrap_or(Value::Null);
        let milestone: Vec<Value> = reached
            .iter()
            .map(|s| json!({"key_stage": s.status, "time_utc": time_utc(at(s.at))}))
            .collect();
        let days = (now - parcel.registered_at).num_days();
        json!({
            "number": number,
            "carrier": parcel.carrier,
            "param": null,
            "tag": null,
            "track_info": {
                "shipping_info": {
                    "shipper_address": {"country": "CN"},
                    "recipient_address": {"country": "US"},
                },
                "latest_status": {
                    "status": status,
                    "sub_status": sub_status,
                    "sub_status_descr": null,
                },
                "latest_event": latest_event,
                "time_metrics": {
                    "days_after_order": days,
                    "days_of_transit": days,
                    "days_after_last_update": null,
                },
                "milestone": milestone,
                "tracking": {
                    "providers_hash": 0,
                    "providers": [{
                        "provider": {"key": parcel.carrier},
                        "latest_sync_status": "Success",
                        "latest_sync_time": time_utc(now),
                        "events": events,
                    }],
                },
            },
        })
    }

    pub(crate) fn registered(&self) -> usize {
        self.parcels.lock().map(|p| p.len()).unwrap_or(0)
    }

    pub(crate) fn is_registered(&self, number: &str) -> bool {
        self.parcels
            .lock()
            .map(|p| p.contains_key(number))
            .unwrap_or(false)
    }

    pub(crate) fn outcome(&self, number: &str) -> Option<Outcome> {
        self.parcels
            .lock()
            .ok()
            .and_then(|p| p.get(number).map(|p| p.outcome))
    }

    pub(crate) fn force_status(&self, number: &str, status: &str, sub_status: &str) {
        if let Ok(mut o) = self.overrides.lock() {
            o.insert(
                number.to_string(),
                (status.to_string(), sub_status.to_string()),
            );
        }
    }

    pub(crate) fn calls(&self) -> Track17Calls {
        Track17Calls {
            register: self.register_calls.load(Ordering::Relaxed),
            gettrackinfo: self.track_calls.load(Ordering::Relaxed),
            unauthorized: self.unauthorized.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            numbers_fetched: self.numbers_fetched.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_in_range() {
        let a = unit_hash("RB123456785GB");
        assert_eq!(a, unit_hash("RB123456785GB"));
        assert!((0.0..1.0).contains(&a));
        assert_ne!(a, unit_hash("RB123456786GB"));
    }

    #[test]
    fn detects_a_few_carriers() {
        assert_eq!(detect_carrier("1Z5R89390357567127"), 100_002);
        assert_eq!(detect_carrier("RB123456785GB"), 3011);
        assert_eq!(detect_carrier("LP00675700340000"), 190_271);
    }

    #[test]
    fn numbers_must_be_5_to_50_alphanumerics() {
        assert!(valid_number("12345"));
        assert!(!valid_number("1234"));
        assert!(!valid_number("12 345"));
        assert!(!valid_number(&"9".repeat(51)));
    }
}
