//! The sandbox's own check of the IOP signature (protocols.md §3.2), written apart from the
//! connector's so that a mistake in one is caught by the other: every parameter but `sign`,
//! sorted by name in byte order, `name` + `value` concatenated, the API path in front for
//! `/`-style system APIs, HMAC-SHA256 with the app secret, upper-case hex.

use crate::mac;
use hmac::Hmac;
use sha2::Sha256;

/// The string the signature covers.
fn signed_text(api: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "sign").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut text = if api.contains('/') {
        api.to_string()
    } else {
        String::new()
    };
    for (name, value) in sorted {
        text.push_str(name);
        text.push_str(value);
    }
    text
}

/// The signature a client should send (for tests and for minting requests).
pub(crate) fn sign(secret: &str, api: &str, params: &[(String, String)]) -> String {
    mac::upper_hex::<Hmac<Sha256>>(secret, &signed_text(api, params))
}

/// Whether `signature` (hex) is right for `params`. Constant-time in the digest comparison.
pub(crate) fn verify(
    secret: &str,
    api: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    mac::verify_hex::<Hmac<Sha256>>(secret, &signed_text(api, params), signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn independent_vector() {
        // python3: hmac.new(b"helloworld", "".join(k+p[k] for k in sorted(p)).encode(),
        //                   hashlib.sha256).hexdigest().upper()
        let p = params(&[
            ("app_key", "12345678"),
            ("method", "aliexpress.trade.ds.order.get"),
            ("session", "test-session-token"),
            ("timestamp", "1700000000000"),
            ("sign_method", "sha256"),
            ("format", "json"),
            ("simplify", "false"),
            ("single_order_query", r#"{"order_id":8198352049851315}"#),
        ]);
        let expected = "3011B1048BE3B13E16C46DF2CBA13667A4799895EB644AE357DE9A1572CCDEA6";
        assert_eq!(
            sign("helloworld", "aliexpress.trade.ds.order.get", &p),
            expected
        );
        assert!(verify(
            "helloworld",
            "aliexpress.trade.ds.order.get",
            &p,
            expected
        ));
        assert!(verify(
            "helloworld",
            "aliexpress.trade.ds.order.get",
            &p,
            &expected.to_ascii_lowercase()
        ));
        assert!(!verify(
            "other",
            "aliexpress.trade.ds.order.get",
            &p,
            expected
        ));
        assert!(!verify(
            "helloworld",
            "aliexpress.trade.ds.order.get",
            &p,
            "ZZ"
        ));
        assert!(!verify(
            "helloworld",
            "aliexpress.trade.ds.order.get",
            &p,
            ""
        ));
    }

    #[test]
    fn system_api_path_is_prepended() {
        let p = params(&[
            ("app_key", "12345678"),
            ("code", "0_2DL4DV3jcU1UOT7WGI1A4rY91"),
            ("timestamp", "1700000000000"),
            ("sign_method", "sha256"),
        ]);
        assert_eq!(
            sign("helloworld", "/auth/token/create", &p),
            "05C2CB1E231871E249C216959B61480DA6DAEFB2D75E4DB3301264B2226F09D1"
        );
    }
}
