//! 17TRACK v2.2 wire types and their mapping onto dropflow's tracking model
//! (`shared/reference/protocols.md` §5.2, §5.3).
//!
//! Every field is optional when reading: an answer missing a part we do not need must not
//! fail the whole batch. Field names: `number`, `carrier`, `accepted`, `rejected`,
//! `error.{code, message}` and the envelope are from protocols.md §5.2;
//! `track_info.latest_status.{status, sub_status}` and
//! `track_info.latest_event.{time_utc, time_iso, description, location}` are from
//! third-party clients of v2.2 [secondary], not confirmed in 17TRACK's own document.

use crate::carriers::{Registration, TrackingUpdate};
use chrono::{DateTime, Utc};
use dropflow_core::shipment::ShipmentStatus;
use serde::{Deserialize, Serialize};

/// 17TRACK's codes the connector reads.
pub mod code {
    pub const OK: i64 = 0;
    /// IP not whitelisted (protocols.md §5.2).
    pub const IP_NOT_WHITELISTED: i64 = -18_010_001;
    /// Invalid access key (protocols.md §5.2).
    pub const INVALID_KEY: i64 = -18_010_002;
    /// Register: already registered — for us the number is followed, so it counts as accepted.
    /// [guessed value, as in the sandbox]
    pub const ALREADY_REGISTERED: i64 = -18_019_901;
    /// gettrackinfo: the number is not registered; register it, then ask again.
    /// [secondary: several independent clients agree, protocols.md §5.2]
    pub const NOT_REGISTERED: i64 = -18_019_902;
    /// The account's quota is used up: wait; the number itself is fine. [secondary, §5.2]
    pub const QUOTA_USED_UP: i64 = -18_019_908;
}

/// The per-number code of a rejected item.
pub fn rejected_code(item: &Rejected) -> Option<i64> {
    item.error.as_ref().map(|e| e.code)
}

/// One request item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NumberItem<'a> {
    pub number: &'a str,
    /// 17TRACK's integer carrier key; omitted to let 17TRACK detect the carrier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<i64>,
}

/// `{"code": …, "data": …}`.
#[derive(Debug, Deserialize)]
pub struct Envelope<A> {
    pub code: i64,
    #[serde(default = "Option::default")]
    pub data: Option<Batch<A>>,
}

#[derive(Debug, Deserialize)]
pub struct Batch<A> {
    #[serde(default = "Vec::new")]
    pub accepted: Vec<A>,
    #[serde(default)]
    pub rejected: Vec<Rejected>,
    /// Whole-request errors (with a non-zero envelope code).
    #[serde(default)]
    pub errors: Vec<ApiError>,
}

#[derive(Debug, Deserialize)]
pub struct Rejected {
    pub number: String,
    #[serde(default)]
    pub error: Option<ApiError>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    pub code: i64,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RegisterAccepted {
    pub number: String,
}

#[derive(Debug, Deserialize)]
pub struct TrackAccepted {
    pub number: String,
    #[serde(default)]
    pub track_info: Option<TrackInfo>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TrackInfo {
    #[serde(default)]
    pub latest_status: Option<LatestStatus>,
    #[serde(default)]
    pub latest_event: Option<LatestEvent>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LatestStatus {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub sub_status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LatestEvent {
    #[serde(default)]
    pub time_utc: Option<String>,
    #[serde(default)]
    pub time_iso: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
}

/// 17TRACK's main status in dropflow's vocabulary (§5.3). Exhaustive over the nine v2.2
/// statuses; anything else is `Pending`, never a final status.
pub fn status_from_17track(status: &str) -> ShipmentStatus {
    match status {
        "NotFound" => ShipmentStatus::Pending,
        "InfoReceived" => ShipmentStatus::InfoReceived,
        "InTransit" => ShipmentStatus::InTransit,
        "Expired" => ShipmentStatus::Expired,
        "AvailableForPickup" => ShipmentStatus::AvailableForPickup,
        "OutForDelivery" => ShipmentStatus::OutForDelivery,
        "DeliveryFailure" => ShipmentStatus::AttemptFail,
        "Delivered" => ShipmentStatus::Delivered,
        "Exception" => ShipmentStatus::Exception,
        _ => ShipmentStatus::Pending,
    }
}

/// 17TRACK's integer key for a carrier we know by name; `None` lets 17TRACK detect it.
/// Keys from third-party clients of the API [secondary]; extend with care.
pub fn carrier_key(name: &str) -> Option<i64> {
    let normalised: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let key = match normalised.as_str() {
        "dhl" | "dhlexpress" => 100_001,
        "ups" => 100_002,
        "fedex" => 100_003,
        "usps" => 21_051,
        "chinapost" | "chinaems" | "s10" => 3_011,
        "yanwen" => 190_012,
        "cainiao" => 190_271,
        _ => return None,
    };
    Some(key)
}

/// An accepted gettrackinfo item as an update.
pub fn update_from(item: TrackAccepted) -> TrackingUpdate {
    let info = item.track_info.unwrap_or_default();
    let latest = info.latest_status.unwrap_or_default();
    let status = latest
        .status
        .as_deref()
        .map_or(ShipmentStatus::Pending, status_from_17track);
    let event = info.latest_event.unwrap_or_default();
    let last_event_at = event
        .time_utc
        .as_deref()
        .or(event.time_iso.as_deref())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let last_event = event
        .description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .map(|d| match event.location.as_deref().map(str::trim) {
            Some(place) if !place.is_empty() => format!("{d} ({place})"),
            _ => d,
        });
    TrackingUpdate {
        number: item.number,
        status,
        sub_status: latest.sub_status.filter(|s| !s.is_empty()),
        last_event,
        last_event_at,
    }
}

/// A rejected register item: refused unless 17TRACK already follows the number.
pub fn registration_from_rejected(item: Rejected) -> Registration {
    match item.error {
        Some(e) if e.code == code::ALREADY_REGISTERED => Registration::Accepted {
            number: item.number,
        },
        Some(e) => Registration::Rejected {
            number: item.number,
            reason: format!(
                "17TRACK {}: {}",
                e.code,
                e.message.unwrap_or_else(|| "no message".to_string())
            ),
        },
        None => Registration::Rejected {
            number: item.number,
            reason: "17TRACK rejected the number without a reason".to_string(),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_17track_status_maps_and_unknown_is_pending() {
        let cases = [
            ("NotFound", ShipmentStatus::Pending),
            ("InfoReceived", ShipmentStatus::InfoReceived),
            ("InTransit", ShipmentStatus::InTransit),
            ("Expired", ShipmentStatus::Expired),
            ("AvailableForPickup", ShipmentStatus::AvailableForPickup),
            ("OutForDelivery", ShipmentStatus::OutForDelivery),
            ("DeliveryFailure", ShipmentStatus::AttemptFail),
            ("Delivered", ShipmentStatus::Delivered),
            ("Exception", ShipmentStatus::Exception),
        ];
        for (raw, expected) in cases {
            assert_eq!(status_from_17track(raw), expected, "{raw}");
        }
        for unknown in ["", "delivered", "Teleported", "InTransit_PickedUp"] {
            let s = status_from_17track(unknown);
            assert_eq!(s, ShipmentStatus::Pending);
            assert!(!s.is_final());
        }
    }

    #[test]
    fn carrier_names_map_to_keys() {
        assert_eq!(carrier_key("UPS"), Some(100_002));
        assert_eq!(carrier_key("China Post"), Some(3_011));
        assert_eq!(carrier_key("FedEx"), Some(100_003));
        assert_eq!(carrier_key("Some Local Courier"), None);
    }

    #[test]
    fn reads_an_item_with_missing_parts() {
        let item: TrackAccepted = serde_json::from_str(
            r#"{"number":"RB1","track_info":{"latest_status":{"status":"InTransit",
                "sub_status":"InTransit_Arrival"},"latest_event":{"time_utc":"2025-03-01T10:00:00Z",
                "description":"Arrived","location":"LA"}}}"#,
        )
        .unwrap();
        let u = update_from(item);
        assert_eq!(u.status, ShipmentStatus::InTransit);
        assert_eq!(u.sub_status.as_deref(), Some("InTransit_Arrival"));
        assert_eq!(u.last_event.as_deref(), Some("Arrived (LA)"));
        assert_eq!(
            u.last_event_at.unwrap().to_rfc3339(),
            "2025-03-01T10:00:00+00:00"
        );
        let bare: TrackAccepted = serde_json::from_str(r#"{"number":"RB2"}"#).unwrap();
        let u = update_from(bare);
        assert_eq!(u.status, ShipmentStatus::Pending);
        assert_eq!(u.last_event_at, None);
    }
}
