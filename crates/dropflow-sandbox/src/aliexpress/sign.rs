//! The sandbox's own check of the IOP signature (protocols.md §3.2), written apart from the
//! connector's so that a mistake in one is caught by the other: every parameter but `sign`,
//! sorted by name in byte order, `name` + `value` concatenated, the API path in front for
//! `/`-style system APIs, HMAC-SHA256 with the app secret, upper-case hex.

use hmac::{Hmac, Mac};
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

fn mac(secret: &str, text: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(text.as_bytes());
    Some(mac)
}

/// The signature a client should send (for tests and for minting requests).
pub(crate) fn sign(secret: &str, api: &str, params: &[(String, String)]) -> String {
    mac(secret, &signed_text(api, params))
        .map(|m| {
            m.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `signature` (hex) is right for `params`. Constant-time in the digest comparison.
pub(crate) fn verify(
    secret: &str,
    api: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let Some(bytes) = decode_hex(signature.trim()) else {
        return false;
    };
    mac(secret, &signed_text(api, params)).is_some_and(|m| m.verify_slice(&bytes).is_ok())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    text.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(hex_digit(*hi)? << 4 | hex_digit(*lo)?),
            _ => None,
        })
        .collect()
}

fn hex_digit(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
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
