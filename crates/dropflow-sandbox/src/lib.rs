//! The store side of dropflow's conversations, for tests and benchmarks: what Shopify and
//! WooCommerce would send us, byte for byte (bodies, header sets, signatures).
//!
//! Everything here follows `shared/reference/protocols.md` (§1.1–1.5 Shopify, §2.1–2.3
//! WooCommerce) and the shapes of the platforms' own fixtures in
//! `crates/dropflow/tests/fixtures/`. It deliberately shares no code with the receiving side
//! (`dropflow::platforms`): a sandbox that reused the receiver's signing or parsing would
//! agree with it even when both are wrong.
//!
//! Payload builders are deterministic: the same order id always gives the same body, and
//! distinct ids give distinct orders (line count, products, customer and address vary with
//! the id), so a benchmark can mint many realistic orders reproducibly.

mod catalog;
pub mod shopify;
pub mod woocommerce;
/// Fault injection shared by the supplier sandboxes: latency, timeouts, 5xx, 429.
pub mod faults;
/// The HTTP server the platform sandboxes run on.
mod server;
/// The HMACs the sandboxes sign with.
mod mac;
/// Scrambled ids and tracking-number check digits.
mod numbers;
pub use server::Sandbox;
/// An AliExpress dropshipping API (IOP `/sync`) stand-in, served over HTTP.
pub mod aliexpress;
/// A CJ Dropshipping API v2 stand-in, served over HTTP.
pub mod cj;
/// A 1688 (Alibaba China) marketplace purchase API stand-in, served over HTTP.
pub mod marketplace;
/// A 17TRACK tracking API v2.2 stand-in, served over HTTP.
pub mod track17;
/// A Shopify REST Admin API stand-in (fulfillment orders, fulfillments), served over HTTP.
pub mod shopify_admin;
/// A WooCommerce REST API stand-in (orders, order notes), served over HTTP.
pub mod woocommerce_admin;
/// A small SMTP server that keeps what it receives, with switches to misbehave.
pub mod smtp;
/// A Stripe Checkout stand-in (sessions, idempotency keys, signed payment events), served
/// over HTTP.
pub mod stripe;

use base64::Engine as _;
use hmac::Hmac;
use sha2::Sha256;

/// Base64 (standard, padded) of HMAC-SHA256 over `body`: the signature both platforms put
/// in a webhook header.
fn base64_hmac_sha256(secret: &[u8], body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac::digest::<Hmac<Sha256>>(secret, body))
}

/// Serialises a JSON body the compact way both platforms send it.
pub fn body_bytes(value: &serde_json::Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// `a` with the keys of `b` added (both objects); builders assemble large bodies in parts.
fn merge(mut a: serde_json::Value, b: serde_json::Value) -> serde_json::Value {
    if let (serde_json::Value::Object(a), serde_json::Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_hmac_vector() {
        // python3: base64.b64encode(hmac.new(b'secret', b'body', hashlib.sha256).digest())
        assert_eq!(
            super::base64_hmac_sha256(b"secret", b"body"),
            "3EaYNVf+oSe0OvchRn65s/3iM4/j4U9RlSqoR4wT01U="
        );
    }
}
