//! A Stripe Checkout stand-in, served over HTTP on `127.0.0.1:0`: what dropflow's card
//! top-ups talk to in tests and the demo.
//!
//! What it does, as Stripe does:
//! - `POST /v1/checkout/sessions` (form-encoded, Bearer secret key, `Idempotency-Key`
//!   honoured) makes a Checkout Session and answers the Session object; `GET
//!   /v1/checkout/sessions/{id}` reads one back ([`routes`] for the rules and the sources);
//! - a test "pays" a session ([`StripeSandbox::pay`]): the session becomes `complete` and
//!   `paid`, and a `checkout.session.completed` Event (the shape of
//!   https://docs.stripe.com/api/events/object) is POSTed to the webhook URL, signed the way
//!   https://docs.stripe.com/webhooks#verify-manually describes (`Stripe-Signature:
//!   t=<unix time>,v1=<hex HMAC-SHA256 of "{t}.{body}" keyed with the endpoint secret>`).
//!   Stripe delivers at least once, so a test may deliver the same event again
//!   ([`StripeSandbox::deliver`]), or a changed one signed all the same;
//! - **faults**: the shared [`crate::faults::FaultSwitch`] (latency, timeouts, 5xx and 429 in
//!   Stripe's error shape, a create carried out despite a timeout), and
//!   [`StripeSandbox::lose_next_answers`]: the next creates are made and kept under their
//!   idempotency key, but answered only after the caller gave up.
//!
//! Shares no code with dropflow's side (`dropflow::payments::stripe`): a sandbox that reused
//! the receiver's signing would agree with it even when both are wrong.

mod routes;
mod state;

pub use state::{Delivery, SessionSnapshot};

use crate::cj::http_client;
use crate::server::Sandbox;
use hmac::Hmac;
use serde_json::{json, Value};
use sha2::Sha256;
use state::Shared;
use std::time::Duration;

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct StripeSandboxConfig {
    /// The key `Authorization: Bearer` must carry.
    pub secret_key: String,
    /// The endpoint secret the webhooks are signed with.
    pub webhook_secret: String,
    /// Where events are POSTed (may be set later: [`StripeSandbox::set_webhook_url`]).
    pub webhook_url: Option<String>,
    /// How long a "lost" answer is held before it is sent (longer than the client waits).
    pub lost_answer_hold: Duration,
    /// How long a timed-out request (fault layer) is held.
    pub timeout_hold: Duration,
}

impl Default for StripeSandboxConfig {
    fn default() -> Self {
        StripeSandboxConfig {
            secret_key: "sk_test_51SandboxDropflow0000000000000000000000".into(),
            webhook_secret: "whsec_sandbox_0123456789abcdef0123456789abcdef".into(),
            webhook_url: None,
            lost_answer_hold: Duration::from_secs(3),
            timeout_hold: Duration::from_secs(3),
        }
    }
}

/// A running sandbox (see [`Sandbox`]); `base_url` is `http://127.0.0.1:PORT`, what a client
/// uses as Stripe's API base (`https://api.stripe.com`).
pub type StripeSandbox = Sandbox<Shared>;

/// Starts a sandbox on `127.0.0.1` at a free port.
pub async fn start(config: StripeSandboxConfig) -> std::io::Result<StripeSandbox> {
    let hold = config.timeout_hold;
    Sandbox::behind_faults(
        "stripe",
        "",
        hold,
        routes::FAULT_ANSWERS,
        Shared::new(config),
        routes::router,
    )
    .await
}

/// The `Stripe-Signature` value for `body` signed at `timestamp` with `secret`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = timestamp.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(body);
    let v1: String = crate::mac::digest::<Hmac<Sha256>>(secret.as_bytes(), &signed)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={v1}")
}

/// How long Stripe waits for the receiver's answer before counting a delivery failed.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

impl StripeSandbox {
    pub fn secret_key(&self) -> &str {
        &self.shared.config.secret_key
    }

    pub fn webhook_secret(&self) -> &str {
        &self.shared.config.webhook_secret
    }

    /// Where events go from now on.
    pub fn set_webhook_url(&self, url: &str) {
        self.shared.set_webhook_url(url);
    }

    /// Every session made, oldest first.
    pub fn sessions(&self) -> Vec<SessionSnapshot> {
        self.shared.sessions()
    }

    pub fn session(&self, id: &str) -> Option<SessionSnapshot> {
        self.shared.session(id)
    }

    /// Creates received (replays and refusals included; faults injected before the
    /// endpoint not).
    pub fn create_calls(&self) -> usize {
        self.shared.create_calls()
    }

    /// Creates answered from an idempotency key's kept answer.
    pub fn replays(&self) -> usize {
        self.shared.replays()
    }

    /// The next `n` creates are carried out and kept, but answered only after
    /// [`StripeSandboxConfig::lost_answer_hold`].
    pub fn lose_next_answers(&self, n: u32) {
        self.shared.lose_next(n);
    }

    /// Every webhook POST made, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.deliveries()
    }

    /// The payer pays: the session becomes complete and paid, and its
    /// `checkout.session.completed` event is delivered (signed now). `None`: no such session.
    pub async fn pay(&self, session_id: &str) -> Option<Delivery> {
        let event = self.complete(session_id)?;
        Some(self.deliver(&event).await)
    }

    /// Marks the session paid and answers its `checkout.session.completed` event without
    /// delivering it (a test may change it, or deliver it twice).
    pub fn complete(&self, session_id: &str) -> Option<Value> {
        let session = self.shared.mark_paid(session_id)?;
        Some(event("checkout.session.completed", session.object()))
    }

    /// Delivers `event` to the webhook URL, signed now with the endpoint secret.
    pub async fn deliver(&self, event: &Value) -> Delivery {
        let timestamp = chrono::Utc::now().timestamp();
        self.deliver_signed_at(event, timestamp).await
    }

    /// Delivers `event`, signed as of `timestamp` (a stale or future signing time).
    pub async fn deliver_signed_at(&self, event: &Value, timestamp: i64) -> Delivery {
        let body = crate::body_bytes(event);
        let signature = signature_header(self.webhook_secret(), timestamp, &body);
        let headers = [
            (
                "Content-Type",
                "application/json; charset=utf-8".to_string(),
            ),
            (
                "User-Agent",
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)".to_string(),
            ),
            ("Stripe-Signature", signature.clone()),
        ];
        let answer = match self.shared.webhook_url() {
            Some(url) => http_client::send("POST", &url, &headers, &body, ANSWER_WITHIN)
                .await
                .ok(),
            None => None,
        };
        let delivery = Delivery {
            event_id: event["id"].as_str().unwrap_or_default().to_string(),
            signature,
            body,
            status: answer.as_ref().map(|a| a.status),
            answer: answer.map(|a| a.body).unwrap_or_default(),
        };
        self.shared.record_delivery(delivery.clone());
        delivery
    }
}

/// An Event of `kind` about `object`, in the envelope of
/// https://docs.stripe.com/api/events/object.
pub fn event(kind: &str, object: Value) -> Value {
    json!({
        "id": format!("evt_1{}", uuid::Uuid::now_v7().simple()),
        "object": "event",
        "api_version": "2024-06-20",
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": kind,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
