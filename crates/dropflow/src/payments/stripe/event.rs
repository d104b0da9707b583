//! The Stripe objects dropflow reads: an Event as a webhook delivers it, and the Checkout
//! Session inside the events it acts on.
//!
//! Shapes from Stripe's API reference: the Event object
//! (<https://docs.stripe.com/api/events/object>: `id`, `object: "event"`, `type`,
//! `data.object`, `created`, `livemode`, `request`…) and the Checkout Session object
//! (<https://docs.stripe.com/api/checkout/sessions/object>: `id`, `object:
//! "checkout.session"`, `amount_total` in the smallest currency unit, `currency` as a
//! lower-case ISO code, `payment_status` `paid` | `unpaid` | `no_payment_required`,
//! `client_reference_id`, `metadata`, `mode`, `url`…). Only the fields read here are
//! declared; Stripe adds fields over API versions, and unknown ones are ignored.
//!
//! The events acted on, from "Fulfill orders" (<https://docs.stripe.com/checkout/fulfillment>):
//! `checkout.session.completed` (the customer finished; the money is in when its
//! `payment_status` is `paid`, not yet for delayed methods such as bank debits) and
//! `checkout.session.async_payment_succeeded` (such a delayed payment arrived); and the two
//! that say it will not come: `checkout.session.async_payment_failed` and
//! `checkout.session.expired` (the top-up ends `failed`).

use serde::Deserialize;
use std::collections::BTreeMap;

/// `checkout.session.completed`.
pub const SESSION_COMPLETED: &str = "checkout.session.completed";
/// `checkout.session.async_payment_succeeded`.
pub const ASYNC_PAYMENT_SUCCEEDED: &str = "checkout.session.async_payment_succeeded";

/// `checkout.session.async_payment_failed`: a delayed payment did not arrive.
pub const ASYNC_PAYMENT_FAILED: &str = "checkout.session.async_payment_failed";
/// `checkout.session.expired`: the page was left unpaid until it expired (24 h by default).
pub const SESSION_EXPIRED: &str = "checkout.session.expired";

/// The event types that may credit a wallet.
pub const CREDITING: [&str; 2] = [SESSION_COMPLETED, ASYNC_PAYMENT_SUCCEEDED];
/// The event types that end a top-up unpaid.
pub const ABANDONING: [&str; 2] = [SESSION_EXPIRED, ASYNC_PAYMENT_FAILED];
/// Every event type acted on.
pub const ACTED_ON: [&str; 4] = [
    SESSION_COMPLETED,
    ASYNC_PAYMENT_SUCCEEDED,
    SESSION_EXPIRED,
    ASYNC_PAYMENT_FAILED,
];

/// The metadata keys dropflow puts on a session it makes.
pub const META_TOP_UP: &str = "dropflow_top_up_id";
pub const META_STORE: &str = "dropflow_store_id";
pub const META_WALLET: &str = "dropflow_wallet";

/// A delivered Event, as far as dropflow reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    /// The object the event is about, read further by type.
    pub object: serde_json::Value,
}

/// A Checkout Session, as far as dropflow reads it (the create answer and the events).
#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub id: String,
    /// `checkout.session`.
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub payment_status: Option<String>,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
}

impl Session {
    /// Whether the money is in.
    pub fn is_paid(&self) -> bool {
        self.payment_status.as_deref() == Some("paid")
    }

    /// A metadata value dropflow set.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.as_ref()?.get(key).map(String::as_str)
    }

    /// Our top-up id as the session carries it: `client_reference_id`, else the metadata.
    pub fn top_up_reference(&self) -> Option<&str> {
        self.client_reference_id
            .as_deref()
            .or_else(|| self.meta(META_TOP_UP))
    }
}

/// Reads a delivered body as an Event.
pub fn parse_event(body: &[u8]) -> Result<Event, String> {
    serde_json::from_slice(body).map_err(|e| format!("the body is not a Stripe event: {e}"))
}

/// The Checkout Session inside an event that is about one.
pub fn session_of(event: &Event) -> Result<Session, String> {
    let session: Session = serde_json::from_value(event.data.object.clone())
        .map_err(|e| format!("data.object is not a Checkout Session: {e}"))?;
    match session.object.as_deref() {
        Some("checkout.session") | None => Ok(session),
        Some(other) => Err(format!("data.object is a {other}, not a checkout.session")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `checkout.session.completed` event shaped as Stripe documents one: the envelope of
    /// the Event object example (<https://docs.stripe.com/api/events/object>) around the
    /// Checkout Session of the create example
    /// (<https://docs.stripe.com/api/checkout/sessions/create>: its id, `amount_total`
    /// 2198, `usd`, `created` 1679600215, `expires_at` 1679686615), as it stands once paid
    /// (`status` `complete`, `payment_status` `paid`), with our reference and metadata.
    pub(crate) const COMPLETED: &str = r#"{
  "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
  "object": "event",
  "api_version": "2019-02-19",
  "created": 1686089970,
  "data": {
    "object": {
      "id": "cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u",
      "object": "checkout.session",
      "after_expiration": null,
      "allow_promotion_codes": null,
      "amount_subtotal": 2198,
      "amount_total": 2198,
      "automatic_tax": {"enabled": false, "liability": null, "status": null},
      "billing_address_collection": null,
      "cancel_url": "https://example.com/cancel",
      "client_reference_id": "0193a5c2-7e1f-7c3a-9d2b-4f1e8a6b5c3d",
      "consent": null,
      "consent_collection": null,
      "created": 1679600215,
      "currency": "usd",
      "custom_fields": [],
      "custom_text": {"shipping_address": null, "submit": null},
      "customer": null,
      "customer_creation": "if_required",
      "customer_details": null,
      "customer_email": null,
      "expires_at": 1679686615,
      "invoice": null,
      "livemode": false,
      "locale": null,
      "metadata": {
        "dropflow_top_up_id": "0193a5c2-7e1f-7c3a-9d2b-4f1e8a6b5c3d",
        "dropflow_store_id": "0193a5c2-0000-7000-8000-000000000001",
        "dropflow_wallet": "0193a5c2-0000-7000-8000-000000000001:USD"
      },
      "mode": "payment",
      "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
      "payment_link": null,
      "payment_method_collection": "always",
      "payment_method_options": {},
      "payment_method_types": ["card"],
      "payment_status": "paid",
      "phone_number_collection": {"enabled": false},
      "recovered_from": null,
      "setup_intent": null,
      "shipping_address_collection": null,
      "shipping_cost": null,
      "shipping_details": null,
      "shipping_options": [],
      "status": "complete",
      "submit_type": null,
      "subscription": null,
      "success_url": "https://example.com/success",
      "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
      "url": null
    }
  },
  "livemode": false,
  "pending_webhooks": 0,
  "request": {"id": null, "idempotency_key": null},
  "type": "checkout.session.completed"
}"#;

    #[test]
    fn the_documented_event_reads_as_a_paid_session() {
        let event = parse_event(COMPLETED.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event.id, "evt_1NG8Du2eZvKYlo2CUI79vXWy");
        assert_eq!(event.kind, SESSION_COMPLETED);
        assert!(ACTED_ON.contains(&event.kind.as_str()));
        let session = session_of(&event).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            session.id,
            "cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u"
        );
        assert_eq!(session.amount_total, Some(2198));
        assert_eq!(session.currency.as_deref(), Some("usd"));
        assert!(session.is_paid());
        assert_eq!(
            session.top_up_reference(),
            Some("0193a5c2-7e1f-7c3a-9d2b-4f1e8a6b5c3d")
        );
        assert_eq!(
            session.meta(META_STORE),
            Some("0193a5c2-0000-7000-8000-000000000001")
        );
    }

    #[test]
    fn an_unpaid_session_or_another_object_is_told_apart() {
        let unpaid = COMPLETED.replace(
            "\"payment_status\": \"paid\"",
            "\"payment_status\": \"unpaid\"",
        );
        let event = parse_event(unpaid.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!session_of(&event)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_paid());
        let other = COMPLETED.replace("\"object\": \"checkout.session\"", "\"object\": \"charge\"");
        let event = parse_event(other.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert!(session_of(&event).is_err());
        assert!(parse_event(b"{\"id\": 1}").is_err());
        assert!(parse_event(b"not json").is_err());
    }
}
