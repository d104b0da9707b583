//! What the Stripe sandbox remembers: the sessions made, the answers kept per idempotency
//! key, and the webhook deliveries it made.

use super::StripeSandboxConfig;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// One Checkout Session as the sandbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSnapshot {
    pub id: String,
    /// Every form field of the create, decoded, in the order sent.
    pub form: Vec<(String, String)>,
    /// The `Idempotency-Key` it was made under.
    pub idempotency_key: Option<String>,
    pub amount_total: i64,
    /// Lower case, as Stripe writes it.
    pub currency: String,
    pub client_reference_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// `open`, `complete` or `expired`.
    pub status: String,
    /// `unpaid` or `paid`.
    pub payment_status: String,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub product_name: Option<String>,
    pub created: i64,
}

impl SessionSnapshot {
    /// A form field as sent.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The Session object (https://docs.stripe.com/api/checkout/sessions/object) as the API
    /// and the events carry it.
    pub fn object(&self) -> Value {
        let head = json!({
            "id": self.id,
            "object": "checkout.session",
            "after_expiration": null,
            "allow_promotion_codes": null,
            "amount_subtotal": self.amount_total,
            "amount_total": self.amount_total,
            "automatic_tax": {"enabled": false, "liability": null, "status": null},
            "billing_address_collection": null,
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "consent": null,
            "consent_collection": null,
            "created": self.created,
            "currency": self.currency,
            "custom_fields": [],
            "custom_text": {"shipping_address": null, "submit": null},
            "customer": null,
            "customer_creation": "if_required",
            "customer_details": null,
            "customer_email": null,
            "expires_at": self.created + 86_400,
            "invoice": null,
        });
        crate::merge(
            head,
            json!({
                "livemode": false,
                "locale": null,
                "metadata": self.metadata,
                "mode": "payment",
                "payment_intent": if self.payment_status == "paid" {
                    Value::String(format!("pi_{}", self.id.trim_start_matches("cs_test_")))
                } else {
                    Value::Null
                },
                "payment_link": null,
                "payment_method_collection": "always",
                "payment_method_options": {},
                "payment_method_types": ["card"],
                "payment_status": self.payment_status,
                "phone_number_collection": {"enabled": false},
                "recovered_from": null,
                "setup_intent": null,
                "shipping_address_collection": null,
                "shipping_cost": null,
                "shipping_details": null,
                "shipping_options": [],
                "status": self.status,
                "submit_type": null,
                "subscription": null,
                "success_url": self.success_url,
                "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                "url": if self.status == "open" { Value::String(checkout_url(&self.id)) } else { Value::Null },
            }),
        )
    }
}

/// The payment page of a session, in Stripe's form.
pub(crate) fn checkout_url(id: &str) -> String {
    format!("https://checkout.stripe.com/c/pay/{id}")
}

/// One webhook POST the sandbox made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub event_id: String,
    /// The `Stripe-Signature` header sent.
    pub signature: String,
    pub body: Vec<u8>,
    /// The receiver's status (`None`: no answer).
    pub status: Option<u16>,
    /// The receiver's answer body.
    pub answer: Vec<u8>,
}

impl Delivery {
    /// The receiver's answer as JSON (`Null` when it is not).
    pub fn answer_json(&self) -> Value {
        serde_json::from_slice(&self.answer).unwrap_or(Value::Null)
    }
}

/// The answer kept for an idempotency key, with the parameters it was first sent with.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    pub(crate) params: Vec<(String, String)>,
    pub(crate) status: u16,
    pub(crate) body: Value,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: BTreeMap<String, SessionSnapshot>,
    order: Vec<String>,
    kept: HashMap<String, Kept>,
    create_calls: usize,
    replays: usize,
    lose_next: u32,
    webhook_url: Option<String>,
    deliveries: Vec<Delivery>,
}

/// The sandbox's shared state.
pub struct Shared {
    pub(crate) config: StripeSandboxConfig,
    inner: Mutex<Inner>,
}

impl Shared {
    pub(crate) fn new(config: StripeSandboxConfig) -> Shared {
        let webhook_url = config.webhook_url.clone();
        Shared {
            config,
            inner: Mutex::new(Inner {
                webhook_url,
                ..Inner::default()
            }),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn count_create(&self) {
        self.inner().create_calls += 1;
    }

    /// The answer kept for `key`, if any, and whether `params` are those it was made with.
    pub(crate) fn kept(&self, key: &str) -> Option<Kept> {
        self.inner().kept.get(key).cloned()
    }

    pub(crate) fn note_replay(&self) {
        self.inner().replays += 1;
    }

    pub(crate) fn keep(&self, key: &str, kept: Kept) {
        self.inner().kept.insert(key.to_string(), kept);
    }

    pub(crate) fn add_session(&self, session: SessionSnapshot) {
        let mut inner = self.inner();
        inner.order.push(session.id.clone());
        inner.sessions.insert(session.id.clone(), session);
    }

    /// Whether this create's answer is to be lost (one fewer to lose afterwards).
    pub(crate) fn take_lost_answer(&self) -> bool {
        let mut inner = self.inner();
        if inner.lose_next > 0 {
            inner.lose_next -= 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn lose_next(&self, n: u32) {
        self.inner().lose_next = n;
    }

    pub(crate) fn session(&self, id: &str) -> Option<SessionSnapshot> {
        self.inner().sessions.get(id).cloned()
    }

    pub(crate) fn sessions(&self) -> Vec<SessionSnapshot> {
        let inner = self.inner();
        inner
            .order
            .iter()
            .filter_map(|id| inner.sessions.get(id).cloned())
            .collect()
    }

    /// Marks a session complete and paid; the session as it now stands.
    pub(crate) fn mark_paid(&self, id: &str) -> Option<SessionSnapshot> {
        let mut inner = self.inner();
        let session = inner.sessions.get_mut(id)?;
        session.status = "complete".into();
        session.payment_status = "paid".into();
        Some(session.clone())
    }

    pub(crate) fn create_calls(&self) -> usize {
        self.inner().create_calls
    }

    pub(crate) fn replays(&self) -> usize {
        self.inner().replays
    }

    pub(crate) fn set_webhook_url(&self, url: &str) {
        self.inner().webhook_url = Some(url.to_string());
    }

    pub(crate) fn webhook_url(&self) -> Option<String> {
        self.inner().webhook_url.clone()
    }

    pub(crate) fn record_delivery(&self, delivery: Delivery) {
        self.inner().deliveries.push(delivery);
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.inner().deliveries.clone()
    }
}
