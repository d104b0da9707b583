//! The IOP request signature (protocols.md §3.2), exactly as the official SDK computes it:
//! every parameter except `sign` sorted by name in byte order, concatenated as `name` then
//! `value` with no separators and no URL-encoding, the API path prepended only for system
//! APIs whose name contains `/`, then HMAC-SHA256 keyed with the app secret, as upper-case
//! hex.
//!
//! Kept apart from the HTTP code so the algorithm can be checked against vectors computed
//! independently (see the tests), and so the sandbox's own copy can be compared with it.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The `sign` value for a call of `api` with `params` (system and business parameters).
///
/// A parameter named `sign` is ignored, so a caller may pass the full set it sends. Names are
/// compared as bytes (`BTreeMap<&str, _>` orders `str` by bytes: `Zeta` sorts before `app_key`,
/// as in the SDK's `sorted()`). Duplicate names cannot be sent meaningfully; the last wins.
pub(super) fn sign(app_secret: &str, api: &str, params: &[(&str, &str)]) -> String {
    let sorted: BTreeMap<&str, &str> = params
        .iter()
        .filter(|(name, _)| *name != "sign")
        .copied()
        .collect();
    let mut message = String::new();
    if api.contains('/') {
        message.push_str(api);
    }
    for (name, value) in sorted {
        message.push_str(name);
        message.push_str(value);
    }
    // HMAC takes keys of every length, so this cannot fail; an empty signature (which the
    // gateway refuses as IncompleteSignature) is the fallback rather than a panic.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return String::new();
    };
    mac.update(message.as_bytes());
    upper_hex(&mac.finalize().into_bytes())
}

fn upper_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02X}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sign;

    /// The parameters of an order query as the connector sends them.
    const ORDER_GET: [(&str, &str); 8] = [
        ("app_key", "12345678"),
        ("method", "aliexpress.trade.ds.order.get"),
        ("session", "test-session-token"),
        ("timestamp", "1700000000000"),
        ("sign_method", "sha256"),
        ("format", "json"),
        ("simplify", "false"),
        ("single_order_query", r#"{"order_id":8198352049851315}"#),
    ];

    // Vectors computed with python3, independently of this code, following §3.2 and the SDK:
    //   s = ''.join(k + p[k] for k in sorted(p)); s = api + s if '/' in api else s
    //   hmac.new(secret.encode(), s.encode(), hashlib.sha256).hexdigest().upper()

    #[test]
    fn business_call_matches_the_independent_vector() {
        assert_eq!(
            sign("helloworld", "aliexpress.trade.ds.order.get", &ORDER_GET),
            "3011B1048BE3B13E16C46DF2CBA13667A4799895EB644AE357DE9A1572CCDEA6"
        );
    }

    #[test]
    fn parameter_order_does_not_matter_and_sign_is_left_out() {
        let mut shuffled: Vec<(&str, &str)> = ORDER_GET.iter().rev().copied().collect();
        shuffled.push(("sign", "ANYTHING"));
        assert_eq!(
            sign("helloworld", "aliexpress.trade.ds.order.get", &shuffled),
            "3011B1048BE3B13E16C46DF2CBA13667A4799895EB644AE357DE9A1572CCDEA6"
        );
    }

    #[test]
    fn system_api_paths_are_prepended() {
        let params = [
            ("app_key", "12345678"),
            ("code", "0_2DL4DV3jcU1UOT7WGI1A4rY91"),
            ("timestamp", "1700000000000"),
            ("sign_method", "sha256"),
        ];
        assert_eq!(
            sign("helloworld", "/auth/token/create", &params),
            "05C2CB1E231871E249C216959B61480DA6DAEFB2D75E4DB3301264B2226F09D1"
        );
    }

    #[test]
    fn names_sort_by_bytes_and_text_is_utf8() {
        // "Zeta" sorts before "app_key" (upper case first), the secret and a value are not ASCII.
        let params = [
            ("app_key", "12345678"),
            ("method", "m"),
            ("city", "São Paulo"),
            ("Zeta", "1"),
        ];
        assert_eq!(
            sign("sëcret", "m", &params),
            "70987C607E506B179250A9E75BC31682C852AE84B76172DC439073BFD7612D63"
        );
    }

    #[test]
    fn another_secret_gives_another_signature() {
        assert_ne!(
            sign("helloworld2", "aliexpress.trade.ds.order.get", &ORDER_GET),
            sign("helloworld", "aliexpress.trade.ds.order.get", &ORDER_GET)
        );
    }
}
