//! The 1688 open platform's `_aop_signature`, checked with the sandbox's own code (written
//! apart from the connector's, so a mistake in one is caught by the other).
//!
//! Real (1688 SDKs and open.1688.com docs): the signed text is the URL path after
//! `/openapi/` (`param2/1/com.alibaba.trade/alibaba.trade.fastCreateOrder/{appKey}`) followed by
//! every request parameter but `_aop_signature`, sorted by name, each as `name` + `value`
//! concatenated with no separator; the signature is HMAC-SHA1 keyed with the app secret, as
//! upper-case hex.

use crate::mac;
use hmac::Hmac;
use sha1::Sha1;

fn signed_text(url_path: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<String> = params
        .iter()
        .filter(|(k, _)| k != "_aop_signature")
        .map(|(k, v)| format!("{k}{v}"))
        .collect();
    // 1688's SDKs sort the concatenated `key+value` strings; for distinct keys this is the
    // order of the keys except where one key is a prefix of another, which no API has.
    pairs.sort();
    let mut text = url_path.to_string();
    for pair in pairs {
        text.push_str(&pair);
    }
    text
}

/// The signature a client must send.
pub fn sign(secret: &str, url_path: &str, params: &[(String, String)]) -> String {
    mac::upper_hex::<Hmac<Sha1>>(secret, &signed_text(url_path, params))
}

/// Whether `signature` is right; the digest comparison is constant-time.
pub(crate) fn verify(
    secret: &str,
    url_path: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    mac::verify_hex::<Hmac<Sha1>>(secret, &signed_text(url_path, params), signature)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_vector_and_tamper() {
        // python3: hmac.new(b'secret', b'param2/1/a.b/c.d/1000a1b2', hashlib.sha1).hexdigest().upper()
        let params = vec![
            ("b".to_string(), "2".to_string()),
            ("a".to_string(), "1".to_string()),
        ];
        let s = sign("secret", "param2/1/a.b/c.d/1000", &params);
        assert_eq!(s, "841A9907951D0D19993301179BBFB00B1C0A2494");
        assert!(verify("secret", "param2/1/a.b/c.d/1000", &params, &s));
        assert!(!verify("secret", "param2/1/a.b/c.d/1001", &params, &s));
        assert!(!verify("other", "param2/1/a.b/c.d/1000", &params, &s));
    }
}
