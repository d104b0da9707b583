//! Gateway and remote errors (§3.4) and what they mean for a retry.

use super::text;
use dropflow_core::supplier::SupplierError;
use serde::Deserialize;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Gateway and remote errors (§3.4)

/// An error the gateway (or the remote service behind it) answered instead of a result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayError {
    pub code: String,
    /// `ISV` (our side), `ISP` (theirs), `SYSTEM`.
    pub kind: Option<String>,
    pub message: Option<String>,
    pub sub_code: Option<String>,
    pub sub_msg: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default, deserialize_with = "text")]
    code: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
    msg: Option<String>,
    sub_code: Option<String>,
    sub_msg: Option<String>,
    /// The legacy TOP shape (§3.3): `{"error_response": {code, msg, sub_code, sub_msg}}`.
    error_response: Option<Box<Envelope>>,
}

/// The error in a response body, if it carries one: a top-level `code` other than `"0"`
/// (IOP gateway and remote errors) or a TOP-style `error_response`.
pub fn gateway_error(body: &serde_json::Value) -> Option<GatewayError> {
    let envelope: Envelope = serde_json::from_value(body.clone()).ok()?;
    let envelope = match envelope.error_response {
        Some(inner) => *inner,
        None => envelope,
    };
    let code = envelope.code?;
    // "0" is the gateway's success; "200" is how several results say it in their own `code`.
    if code == "0" || code == "200" {
        return None;
    }
    Some(GatewayError {
        code,
        kind: envelope.kind,
        message: envelope.message.or(envelope.msg),
        sub_code: envelope.sub_code,
        sub_msg: envelope.sub_msg,
    })
}

/// The documented throttling message: "Api access frequency exceeds the limit. this ban will
/// last 1 seconds" (§3.4).
const THROTTLE_TEXT: &str = "frequency exceeds the limit";

/// What a gateway or remote error means for the caller.
///
/// §3.4 marks the gateway's code list as unverified, so besides the codes named there, codes
/// that talk about signatures, tokens or sessions count as credential problems: a person must
/// fix those, and retrying would only repeat the refusal.
pub fn classify_gateway(error: &GatewayError) -> SupplierError {
    let code = error.code.as_str();
    let message = error.message.as_deref().unwrap_or("");
    let summary = || match (&error.sub_code, &error.sub_msg) {
        (Some(sub), Some(sub_msg)) => format!("{code} {sub}: {sub_msg}"),
        (Some(sub), None) => format!("{code} {sub}: {message}"),
        _ => format!("{code}: {message}"),
    };
    if message.contains(THROTTLE_TEXT) || is_throttle_code(code) {
        return SupplierError::RateLimited {
            retry_after: ban_seconds(message),
        };
    }
    match code {
        "IncompleteSignature"
        | "InvalidSignature"
        | "IllegalAccessToken"
        | "InvalidSession"
        | "SessionExpired"
        | "AccessTokenExpired"
        | "InvalidAppKey"
        | "AppKeyNotExist" => {
            return SupplierError::Unauthorized(summary());
        }
        "InvalidApiPath" | "MissingParameter" | "InvalidParameter" => {
            return SupplierError::Protocol(summary());
        }
        _ => {}
    }
    let lower = code.to_ascii_lowercase();
    if ["signature", "token", "session", "appkey"]
        .iter()
        .any(|word| lower.contains(word))
    {
        return SupplierError::Unauthorized(summary());
    }
    // Remote errors: `isv.*` sub-codes are about our request, `isp.*` about their service.
    match error.sub_code.as_deref() {
        Some(sub) if sub.starts_with("isv.") => {
            if sub.contains("permission") {
                return SupplierError::Unauthorized(summary());
            }
            return SupplierError::Protocol(summary());
        }
        Some(sub) if sub.starts_with("isp.") => return SupplierError::Unavailable(summary()),
        _ => {}
    }
    match error.kind.as_deref() {
        Some("ISP") | Some("SYSTEM") => SupplierError::Unavailable(summary()),
        _ => SupplierError::Protocol(summary()),
    }
}

fn is_throttle_code(code: &str) -> bool {
    matches!(
        code,
        "ApiCallLimit" | "AppCallLimit" | "SessionCallLimit" | "AccessFrequencyExceedsLimit"
    )
}

/// "this ban will last 3 seconds" → 3 s.
fn ban_seconds(message: &str) -> Option<Duration> {
    let rest = message.split("will last").nth(1)?;
    let number: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    number.parse().ok().map(Duration::from_secs)
}
