//! The HMACs the sandboxes check and mint signatures with; each sandbox builds its own signed
//! text. Upper-case hex is the form of both Alibaba gateways (AliExpress's IOP with SHA-256,
//! 1688's open platform with SHA-1).

use hmac::digest::KeyInit;
use hmac::Mac;

fn mac<M: Mac + KeyInit>(secret: &str, text: &str) -> Option<M> {
    let mut mac = <M as Mac>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(text.as_bytes());
    Some(mac)
}

/// The HMAC of `text` keyed with `key`, as bytes. `new_from_slice` accepts keys of every
/// length for HMAC; the empty fallback is unreachable and only there so this never panics.
pub(crate) fn digest<M: Mac + KeyInit>(key: &[u8], text: &[u8]) -> Vec<u8> {
    match <M as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(text);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// The HMAC of `text` keyed with `secret`, as upper-case hex.
pub(crate) fn upper_hex<M: Mac + KeyInit>(secret: &str, text: &str) -> String {
    mac::<M>(secret, text)
        .map(|m| {
            m.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `signature` (hex, either case, surrounding blanks ignored) is the HMAC of `text`;
/// the digest comparison is constant-time, and a signature of the wrong length is wrong.
pub(crate) fn verify_hex<M: Mac + KeyInit>(secret: &str, text: &str, signature: &str) -> bool {
    let Some(bytes) = decode_hex(signature.trim()) else {
        return false;
    };
    mac::<M>(secret, text).is_some_and(|m| m.verify_slice(&bytes).is_ok())
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
