//! WooCommerce's REST authentication (protocols.md §2.2), checked the way its
//! `WC_REST_Authentication` does: credentials for Basic first (header, then query string),
//! then OAuth 1.0a one-legged (query string, then `Authorization: OAuth …`).
//!
//! The signature check is written here from the description, independently of dropflow's
//! client, so the two cannot agree on a mistake they share.

use super::state::{refusal, Refusal};
use super::WooAdminConfig;
use base64::Engine as _;
use hmac::Hmac;
use std::collections::BTreeMap;

/// How a request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Basic,
    OAuth,
}

/// What the check needs from the request.
pub(crate) struct Presented<'a> {
    pub method: &'a str,
    /// `http://host:port/path`, as the site sees its own URL.
    pub url: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
    pub authorization: Option<&'a str>,
}

fn auth_error(message: &str) -> Refusal {
    refusal(401, "woocommerce_rest_authentication_error", message)
}

fn cannot_view() -> Refusal {
    refusal(
        401,
        "woocommerce_rest_cannot_view",
        "Sorry, you cannot view this resource.",
    )
}

/// Checks the credentials a request carries; `now` is unix seconds.
pub(crate) fn check(
    config: &WooAdminConfig,
    request: &Presented<'_>,
    now: i64,
    fresh_nonce: impl FnOnce(&str) -> bool,
) -> Result<Scheme, Refusal> {
    let query = |name: &str| {
        request
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    // Basic: the header, else the query parameters.
    let basic = request
        .authorization
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(k, s)| (k.to_string(), s.to_string()))
        })
        .or_else(|| query("consumer_key").zip(query("consumer_secret")));
    if let Some((key, secret)) = basic {
        if !config.basic_over_http {
            // Over plain HTTP WooCommerce does not look at these at all.
            return Err(cannot_view());
        }
        if key != config.consumer_key {
            return Err(auth_error("Consumer key is invalid."));
        }
        if secret != config.consumer_secret {
            return Err(auth_error("Consumer secret is invalid."));
        }
        return Ok(Scheme::Basic);
    }

    // OAuth 1.0a: the query string, else the Authorization header.
    let mut params: Vec<(String, String)> = request.query.clone();
    if !params.iter().any(|(k, _)| k == "oauth_consumer_key") {
        if let Some(header) = request
            .authorization
            .and_then(|h| h.trim().strip_prefix("OAuth "))
        {
            params.extend(header_params(header));
        }
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("oauth_consumer_key").is_none() {
        return Err(cannot_view());
    }
    for required in [
        "oauth_consumer_key",
        "oauth_timestamp",
        "oauth_nonce",
        "oauth_signature",
        "oauth_signature_method",
    ] {
        if get(required).is_none() {
            return Err(auth_error(&format!("{required} parameter is missing.")));
        }
    }
    if get("oauth_consumer_key").as_deref() != Some(config.consumer_key.as_str()) {
        return Err(auth_error("Consumer key is invalid."));
    }
    let method = get("oauth_signature_method").unwrap_or_default();
    if method != "HMAC-SHA1" && method != "HMAC-SHA256" {
        return Err(auth_error(
            "Invalid signature - signature method is invalid.",
        ));
    }
    let timestamp = get("oauth_timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    if (now - timestamp).unsigned_abs() > config.oauth_window.as_secs() {
        return Err(auth_error("Invalid timestamp."));
    }
    let given = get("oauth_signature").unwrap_or_default();
    let unsigned: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature" && k != "realm")
        .cloned()
        .collect();
    let expected = signature(
        &method,
        request.method,
        &request.url,
        &unsigned,
        &config.consumer_secret,
    );
    if expected != given {
        return Err(auth_error(
            "Invalid signature - provided signature does not match.",
        ));
    }
    let nonce = get("oauth_nonce").unwrap_or_default();
    if !fresh_nonce(&format!("{}:{timestamp}:{nonce}", config.consumer_key)) {
        return Err(auth_error("Invalid nonce - nonce has already been used."));
    }
    Ok(Scheme::OAuth)
}

/// `oauth_consumer_key="…", oauth_nonce="…"` → decoded pairs.
fn header_params(header: &str) -> Vec<(String, String)> {
    header
        .split(',')
        .filter_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            let v = v.trim().trim_matches('"');
            Some((decode(k.trim()), decode(v)))
        })
        .collect()
}

/// Percent-decoding (no `+`: OAuth encodes spaces as `%20`).
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 3986 percent-encoding: everything but `A-Z a-z 0-9 - . _ ~`.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Base64 of HMAC over the OAuth base string, keyed with `secret&` (the sandbox's tests sign
/// with it as a client would).
pub(crate) fn signature(
    algorithm: &str,
    http_method: &str,
    url: &str,
    params: &[(String, String)],
    secret: &str,
) -> String {
    let sorted: BTreeMap<String, String> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    let joined = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base = format!(
        "{}&{}&{}",
        http_method.to_ascii_uppercase(),
        encode(url),
        encode(&joined)
    );
    let key = format!("{secret}&");
    let digest = if algorithm == "HMAC-SHA1" {
        crate::mac::digest::<Hmac<sha1::Sha1>>(key.as_bytes(), base.as_bytes())
    } else {
        crate::mac::digest::<Hmac<sha2::Sha256>>(key.as_bytes(), base.as_bytes())
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
}
