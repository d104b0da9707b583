//! WooCommerce REST wire types for marking an order shipped (protocols.md §2.3), the note we
//! write, and OAuth 1.0a one-legged signing (§2.2). Nothing here leaves the connector.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

/// The order meta entry holding every tracking number dropflow has reported.
pub(super) const TRACKING_META_KEY: &str = "_dropflow_tracking";

/// `GET orders/{id}`, the fields we use.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Order {
    pub status: String,
    #[serde(default)]
    pub meta_data: Vec<MetaEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct MetaEntry {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: Value,
}

impl Order {
    /// Our meta entry: its id and the numbers it lists.
    pub fn tracking_meta(&self) -> (Option<u64>, Vec<String>) {
        match self.meta_data.iter().find(|m| m.key == TRACKING_META_KEY) {
            Some(entry) => {
                let numbers = match &entry.value {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                    Value::String(s) if !s.is_empty() => vec![s.clone()],
                    _ => Vec::new(),
                };
                (entry.id, numbers)
            }
            None => (None, Vec::new()),
        }
    }

    /// Statuses no parcel can be reported on.
    pub fn is_closed(&self) -> bool {
        matches!(
            self.status.as_str(),
            "cancelled" | "refunded" | "failed" | "trash"
        )
    }
}

/// `GET orders/{id}/notes` items and `POST` answer.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Note {
    pub id: u64,
    #[serde(default)]
    pub note: String,
}

impl Note {
    /// Whether the note names `number` as a whole word (so `YT1` is not found in `YT12`).
    pub fn mentions(&self, number: &str) -> bool {
        self.note
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .any(|word| word == number)
    }
}

/// "Shipped via {carrier}, tracking {number} {url}".
pub(super) fn note_text(carrier: Option<&str>, number: &str, url: Option<&str>) -> String {
    let mut text = match carrier.map(str::trim).filter(|c| !c.is_empty()) {
        Some(carrier) => format!("Shipped via {carrier}, tracking {number}"),
        None => format!("Shipped, tracking {number}"),
    };
    if let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) {
        text.push(' ');
        text.push_str(url);
    }
    text
}

/// WooCommerce's error body `{code, message, data:{status}}`: the message.
pub(super) fn error_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message")?.as_str()?.to_string();
    let text = match value.get("code").and_then(Value::as_str) {
        Some(code) => format!("{message} ({code})"),
        None => message,
    };
    Some(crate::platforms::admin::outside_text(&text))
}

/// RFC 3986 percent-encoding (unreserved characters kept), as OAuth 1.0a wants.
pub(super) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The query string of a one-legged OAuth 1.0a request (HMAC-SHA256, no token, no
/// `oauth_version`): the request's own parameters (`own`, such as `page`) and the `oauth_*`
/// ones, all of them signed, as the server signs every query parameter it receives.
pub(super) fn oauth_query(
    method: &str,
    url: &str,
    own: &[(String, String)],
    consumer_key: &str,
    consumer_secret: &str,
    timestamp: i64,
    nonce: &str,
) -> String {
    let mut params: Vec<(String, String)> = own.to_vec();
    params.extend([
        ("oauth_consumer_key".into(), consumer_key.into()),
        ("oauth_nonce".into(), nonce.into()),
        ("oauth_signature_method".into(), "HMAC-SHA256".into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
    ]);
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    let parameter_string = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base = format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(url),
        percent_encode(&parameter_string)
    );
    let key = format!("{consumer_secret}&");
    let signature = match Hmac::<Sha256>::new_from_slice(key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(base.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; unreachable, and a wrong signature is refused (401).
        Err(_) => String::new(),
    };
    params.push(("oauth_signature".into(), signature));
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}
