//! Stripe's webhook signature: the `Stripe-Signature` header.
//!
//! The scheme, from Stripe's documentation ("Verify webhook signatures manually",
//! <https://docs.stripe.com/webhooks#verify-manually>) and its official SDKs
//! (stripe-node `src/Webhooks.ts`, stripe-python `stripe/_webhook.py`):
//!
//! - the header is one line of `key=value` elements separated by `,`:
//!   `t=1492774577,v1=5257a869…,v0=6ffbb59b…`; `t` is the Unix time of the signing, each
//!   `v1` a signature (more than one while an endpoint's secret is being rolled: one per
//!   active secret); other schemes (`v0`, a test-mode extra) are ignored, "to prevent
//!   downgrade attacks";
//! - a `v1` is the lower-case hex HMAC-SHA256, keyed with the endpoint's secret (the whole
//!   `whsec_…` text, as the SDKs use it), of `"{t}.{raw body}"`;
//! - any one `v1` matching is enough; compare in constant time;
//! - a `t` older than the tolerance (the SDKs' `DEFAULT_TOLERANCE` is 300 s) is refused
//!   against replays. We refuse one as far in the future too: the signing time of a genuine
//!   delivery is never ahead of us by more than clock drift.
//!
//! Order of the checks, as the SDKs: the header's shape, then the signatures, then the time,
//! so a forged header is reported as such whatever its `t`.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Stripe's default tolerance between the signing time and now, in seconds.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// The header as read: the signing time and every `v1` signature, hex-decoded (a `v1` that is
/// not hex can match nothing and is kept out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub timestamp: i64,
    pub signatures: Vec<Vec<u8>>,
}

/// Why a delivery's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header cannot be read: {0}")]
    Garbled(&'static str),
    #[error("no v1 signature in the Stripe-Signature header matches the body")]
    NoMatch,
    #[error("the Stripe-Signature timestamp is {age_secs} s away from now, more than the {tolerance_secs} s allowed")]
    OutsideTolerance { age_secs: i64, tolerance_secs: u64 },
}

impl SignatureError {
    /// Whether the header itself is missing or unreadable (400), as opposed to readable and
    /// wrong (401).
    pub fn is_malformed(&self) -> bool {
        matches!(self, SignatureError::Missing | SignatureError::Garbled(_))
    }
}

/// Reads a `Stripe-Signature` header value.
pub fn parse(header: &str) -> Result<Header, SignatureError> {
    if header.trim().is_empty() {
        return Err(SignatureError::Missing);
    }
    let mut timestamp = None;
    let mut v1_seen = false;
    let mut signatures = Vec::new();
    for element in header.split(',') {
        let Some((key, value)) = element.trim().split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" => {
                let t = value
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| SignatureError::Garbled("t is not a Unix time"))?;
                if timestamp.replace(t).is_some() {
                    return Err(SignatureError::Garbled("t is given twice"));
                }
            }
            "v1" => {
                v1_seen = true;
                if let Some(bytes) = decode_hex(value.trim()) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(SignatureError::Garbled("no t= timestamp"));
    };
    if !v1_seen {
        return Err(SignatureError::Garbled("no v1= signature"));
    }
    Ok(Header {
        timestamp,
        signatures,
    })
}

/// The `v1` signature of `payload` signed at `timestamp` with `secret`, as lower-case hex.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    digest(secret, timestamp, payload)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn digest(secret: &str, timestamp: i64, payload: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length; the error branch cannot happen.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return Vec::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

/// Checks `header` (the `Stripe-Signature` value, `None` when absent) for `payload` (the raw
/// body, byte for byte) against `secret`, at `now` (Unix seconds) with `tolerance_secs`; the
/// signing time when it passes.
pub fn verify(
    secret: &str,
    header: Option<&str>,
    payload: &[u8],
    now: i64,
    tolerance_secs: u64,
) -> Result<i64, SignatureError> {
    let header = parse(header.ok_or(SignatureError::Missing)?)?;
    let expected = digest(secret, header.timestamp, payload);
    // Every candidate is compared (no early exit), each in constant time.
    let matched = header
        .signatures
        .iter()
        .fold(subtle::Choice::from(0), |any, candidate| {
            any | candidate.as_slice().ct_eq(expected.as_slice())
        });
    if !bool::from(matched) || expected.is_empty() {
        return Err(SignatureError::NoMatch);
    }
    let age_secs = now.saturating_sub(header.timestamp);
    if age_secs.unsigned_abs() > tolerance_secs {
        return Err(SignatureError::OutsideTolerance {
            age_secs,
            tolerance_secs,
        });
    }
    Ok(header.timestamp)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16)?;
            let lo = char::from(pair[1]).to_digit(16)?;
            u8::try_from(hi << 4 | lo).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The payload and secret of stripe-python's own webhook tests
    /// (`tests/test_webhook.py`: `DUMMY_WEBHOOK_PAYLOAD`, `DUMMY_WEBHOOK_SECRET`), signed at
    /// the timestamp of the header example in Stripe's docs
    /// (<https://docs.stripe.com/webhooks#verify-manually>). The signature was computed
    /// outside this code, by the documented recipe:
    /// `python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test_secret",
    /// b"1492774577." + PAYLOAD, hashlib.sha256).hexdigest())'`.
    const PAYLOAD: &str = "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\",\n  \"data\": { \"object\": { \"id\": \"rdr_123\", \"object\": \"terminal.reader\" } }\n}";
    const SECRET: &str = "whsec_test_secret";
    const T: i64 = 1_492_774_577;
    const V1: &str = "d21d91b425674689e03346536b8fec6384a8721d43ebe269a1689a3ad22cba9c";

    fn header(v1: &str) -> String {
        format!("t={T},v1={v1}")
    }

    #[test]
    fn the_documented_recipe_gives_the_vector() {
        assert_eq!(sign(SECRET, T, PAYLOAD.as_bytes()), V1);
        assert_eq!(
            verify(SECRET, Some(&header(V1)), PAYLOAD.as_bytes(), T + 10, 300),
            Ok(T)
        );
    }

    #[test]
    fn the_docs_header_example_reads_t_and_v1_and_ignores_v0() {
        // The example header of https://docs.stripe.com/webhooks#verify-manually.
        let example = "t=1492774577,\
            v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,\
            v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39";
        let parsed = parse(example).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.timestamp, 1_492_774_577);
        assert_eq!(parsed.signatures.len(), 1);
        assert_eq!(parsed.signatures[0][..2], [0x52, 0x57]);
    }

    #[test]
    fn any_v1_may_match_during_a_secret_roll() {
        let two = format!("t={T},v1={},v1={V1}", "ab".repeat(32));
        assert_eq!(
            verify(SECRET, Some(&two), PAYLOAD.as_bytes(), T, 300),
            Ok(T)
        );
        let garbage_first = format!("t={T},v1=not-hex,v1={V1}");
        assert_eq!(
            verify(SECRET, Some(&garbage_first), PAYLOAD.as_bytes(), T, 300),
            Ok(T)
        );
    }

    #[test]
    fn a_changed_body_secret_or_signature_does_not_match() {
        let changed = PAYLOAD.replace("rdr_123", "rdr_124");
        assert_eq!(
            verify(SECRET, Some(&header(V1)), changed.as_bytes(), T, 300),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify("whsec_other", Some(&header(V1)), PAYLOAD.as_bytes(), T, 300),
            Err(SignatureError::NoMatch)
        );
        let mut flipped = V1.to_string();
        flipped.replace_range(0..1, "e");
        assert_eq!(
            verify(SECRET, Some(&header(&flipped)), PAYLOAD.as_bytes(), T, 300),
            Err(SignatureError::NoMatch)
        );
        // The signature under another scheme only (a downgrade) is no signature.
        assert_eq!(
            verify(
                SECRET,
                Some(&format!("t={T},v0={V1}")),
                PAYLOAD.as_bytes(),
                T,
                300
            ),
            Err(SignatureError::Garbled("no v1= signature"))
        );
        // Signed for another time: the signed text differs.
        assert_eq!(
            verify(
                SECRET,
                Some(&format!("t={},v1={V1}", T + 1)),
                PAYLOAD.as_bytes(),
                T,
                300
            ),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn a_time_outside_the_tolerance_is_refused_either_way() {
        let h = header(V1);
        assert_eq!(
            verify(SECRET, Some(&h), PAYLOAD.as_bytes(), T + 300, 300),
            Ok(T)
        );
        assert_eq!(
            verify(SECRET, Some(&h), PAYLOAD.as_bytes(), T + 301, 300),
            Err(SignatureError::OutsideTolerance {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert_eq!(
            verify(SECRET, Some(&h), PAYLOAD.as_bytes(), T - 301, 300),
            Err(SignatureError::OutsideTolerance {
                age_secs: -301,
                tolerance_secs: 300
            })
        );
    }

    #[test]
    fn a_missing_or_garbled_header_is_malformed() {
        for (value, expected) in [
            (None, SignatureError::Missing),
            (Some(""), SignatureError::Missing),
            (
                Some("i'm not even a real signature header"),
                SignatureError::Garbled("no t= timestamp"),
            ),
            (
                Some(&format!("v1={V1}") as &str),
                SignatureError::Garbled("no t= timestamp"),
            ),
            (
                Some("t=soon,v1=00"),
                SignatureError::Garbled("t is not a Unix time"),
            ),
            (
                Some("t=1,t=2,v1=00"),
                SignatureError::Garbled("t is given twice"),
            ),
            (
                Some("t=1492774577"),
                SignatureError::Garbled("no v1= signature"),
            ),
        ] {
            let got = verify(SECRET, value, PAYLOAD.as_bytes(), T, 300);
            assert_eq!(got, Err(expected.clone()), "{value:?}");
            assert!(expected.is_malformed());
        }
        assert!(!SignatureError::NoMatch.is_malformed());
    }

    #[test]
    fn hex_decoding_is_strict() {
        assert_eq!(decode_hex("00ff"), Some(vec![0, 255]));
        assert_eq!(decode_hex("0FfA"), Some(vec![15, 250]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex(""), None);
    }
}
