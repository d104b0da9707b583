//! Stripe Checkout, for wallet top-ups by card: `POST /v1/checkout/sessions` to make a
//! payment page for a top-up ([`Stripe::create_session`]), and the webhook that says it was
//! paid ([`webhook`], with [`signature`] and [`event`]).
//!
//! The wire format, from Stripe's API reference:
//! - requests are form-encoded with bracketed keys
//!   (`line_items[0][price_data][unit_amount]=2500`), `Authorization: Bearer sk_…`
//!   (<https://docs.stripe.com/api/authentication>), and for a create an `Idempotency-Key`
//!   (<https://docs.stripe.com/api/idempotent_requests>): Stripe keeps the first answer to a
//!   key for at least 24 hours and gives it again to a repeat with the same parameters, so a
//!   create repeated after a lost answer makes no second session. Our key is the top-up's
//!   own id, written before the first try;
//! - a session is made with `mode=payment`, one line item priced inline
//!   (`price_data[currency|unit_amount|product_data][name]`, `quantity=1`), `success_url`,
//!   `cancel_url`, `client_reference_id` and `metadata[…]`
//!   (<https://docs.stripe.com/api/checkout/sessions/create>); the answer is the Session
//!   object, whose `url` the payer is sent to;
//! - a refusal is `{"error": {"type", "code", "message", "param"}}` with a 4xx status
//!   (<https://docs.stripe.com/api/errors>): 400/402/404 the request, 401/403 our key, 409 or
//!   `idempotency_error` a reused key, 429 too many requests, 5xx Stripe's own trouble.
//!
//! Why not the `async-stripe` crate: it is generated from Stripe's whole OpenAPI document
//! (hundreds of resources, a large compile for the two shapes read here), and it brings its
//! own HTTP client, where every outside call here must go through [`crate::outbound`] (the
//! SSRF guard, timeouts, redaction, metrics). The parts used are small and pinned by tests
//! against Stripe's documented examples: one form request, two JSON shapes, and an
//! HMAC-SHA256 check built on the `hmac`, `sha2` and `subtle` crates the project already
//! uses for its other webhooks.

pub mod event;
pub mod signature;
pub mod webhook;

use crate::outbound::{Endpoint, HttpError};
use dropflow_core::ids::StoreId;
use dropflow_core::money::Money;
use reqwest::header::CONTENT_TYPE;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[payments.stripe]`.
///
/// ```toml
/// [payments.stripe]
/// secret_key = "sk_live_…"            # or a restricted key allowed to write Checkout Sessions
/// webhook_secret = "whsec_…"          # the endpoint's signing secret
/// success_url = "https://dropflow.example/wallet?store={STORE_ID}&paid={TOP_UP_ID}"
/// cancel_url = "https://dropflow.example/wallet?store={STORE_ID}"
/// # api_base = "https://api.stripe.com"  # a sandbox's address in tests and the demo
/// ```
///
/// `{STORE_ID}` and `{TOP_UP_ID}` in the URLs are replaced by the top-up's; Stripe's own
/// `{CHECKOUT_SESSION_ID}` is left for Stripe to fill.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeConfig {
    pub secret_key: String,
    pub webhook_secret: String,
    pub success_url: String,
    pub cancel_url: String,
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// How far a webhook's signing time may be from now (Stripe's SDKs: 300 s).
    #[serde(default = "default_tolerance_secs")]
    pub tolerance_secs: u64,
    /// Each call to Stripe, connecting to the last byte.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The largest top-up, in the currency's minor units: Stripe's own ceiling for a
    /// Checkout amount in most currencies is 99,999,999 (999,999.99 USD).
    #[serde(default = "default_max_amount_minor")]
    pub max_amount_minor: i64,
}

fn default_api_base() -> String {
    "https://api.stripe.com".into()
}

fn default_tolerance_secs() -> u64 {
    signature::DEFAULT_TOLERANCE_SECS
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_max_amount_minor() -> i64 {
    99_999_999
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &"***")
            .field("webhook_secret", &"***")
            .field("success_url", &self.success_url)
            .field("cancel_url", &self.cancel_url)
            .field("api_base", &self.api_base)
            .field("tolerance_secs", &self.tolerance_secs)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_amount_minor", &self.max_amount_minor)
            .finish()
    }
}

/// A top-up's payment page, asked of Stripe.
#[derive(Debug, Clone)]
pub struct SessionRequest<'a> {
    /// Our top-up id: the idempotency key, `client_reference_id` and metadata.
    pub top_up_id: &'a str,
    pub store_id: StoreId,
    pub amount: Money,
    /// What the payer reads on the page.
    pub description: String,
}

/// The made session, as far as dropflow keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedSession {
    pub id: String,
    pub url: String,
}

/// Why Stripe made no session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    /// Stripe refused the request itself (400, 402, 404): its words.
    #[error("Stripe refused the payment page ({kind}{}): {message}", .code.as_ref().map(|c| format!(", {c}")).unwrap_or_default())]
    Refused {
        status: u16,
        kind: String,
        code: Option<String>,
        message: String,
    },
    /// Stripe refused our secret key (401, 403).
    #[error("Stripe refused this installation's key ([payments.stripe] secret_key): {0}")]
    Credentials(String),
    /// The idempotency key was reused with other parameters, or is in use (409).
    #[error("Stripe refused the idempotency key: {0}")]
    Idempotency(String),
    /// No answer, 429 or 5xx after the retries: nothing known was made.
    #[error("Stripe did not answer: {0}")]
    Unavailable(String),
    /// A 2xx that is not a session with a URL.
    #[error("Stripe's answer cannot be read: {0}")]
    Garbled(String),
}

impl StripeError {
    /// Whether Stripe certainly made no session (so the top-up failed for good).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            StripeError::Refused { .. } | StripeError::Credentials(_) | StripeError::Idempotency(_)
        )
    }
}

/// How many times a create is sent (the same idempotency key each time) before giving up.
const ATTEMPTS: u32 = 3;

/// The Stripe connector of one installation.
#[derive(Debug, Clone)]
pub struct Stripe {
    config: StripeConfig,
    endpoint: Endpoint,
}

impl Stripe {
    pub fn new(config: StripeConfig) -> Stripe {
        let endpoint = Endpoint::new(
            "stripe",
            "Stripe",
            Duration::from_millis(config.timeout_ms.max(1)),
        )
        .rate_limit_wait(Duration::from_secs(1))
        .secret(&config.secret_key)
        .secret(&config.webhook_secret);
        Stripe { config, endpoint }
    }

    pub fn config(&self) -> &StripeConfig {
        &self.config
    }

    /// `POST /v1/checkout/sessions` for a top-up, sent again (same key) on a lost answer,
    /// a 429 or a 5xx, at most [`ATTEMPTS`] times.
    pub async fn create_session(
        &self,
        request: &SessionRequest<'_>,
    ) -> Result<CreatedSession, StripeError> {
        let url = format!(
            "{}/v1/checkout/sessions",
            self.config.api_base.trim_end_matches('/')
        );
        let body = session_form(&self.config, request);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let call = self
                .endpoint
                .post(&url)
                .bearer_auth(&self.config.secret_key)
                .header("Idempotency-Key", request.top_up_id)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.clone());
            let result = match self.endpoint.send("checkout.sessions.create", call).await {
                Ok(answer) => self.read_created(answer),
                Err(error) => Err(StripeError::Unavailable(
                    self.endpoint.redact(&error.to_string()),
                )),
            };
            match result {
                Err(StripeError::Unavailable(why)) if attempt < ATTEMPTS => {
                    tracing::debug!(top_up.id = request.top_up_id, attempt, %why,
                        "Stripe did not answer; sending the create again with the same key");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                other => return other,
            }
        }
    }

    fn read_created(&self, answer: crate::outbound::Answer) -> Result<CreatedSession, StripeError> {
        if let Some(failure) = answer.failure() {
            return Err(self.refusal(&answer, failure));
        }
        let session: event::Session = answer
            .json()
            .map_err(|e| StripeError::Garbled(format!("not a Checkout Session: {e}")))?;
        match session.url {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                Ok(CreatedSession {
                    id: session.id,
                    url,
                })
            }
            _ => Err(StripeError::Garbled(format!(
                "session {} has no payment page URL",
                session.id
            ))),
        }
    }

    /// A status other than 2xx, read with Stripe's error body when there is one.
    fn refusal(&self, answer: &crate::outbound::Answer, failure: HttpError) -> StripeError {
        let body: Option<ErrorBody> = answer.json().ok();
        let detail = body.map(|b| b.error);
        let message = detail
            .as_ref()
            .and_then(|d| d.message.clone())
            .map(|m| self.endpoint.redact(&m))
            .unwrap_or_else(|| failure.to_string());
        let kind = detail
            .as_ref()
            .and_then(|d| d.kind.clone())
            .unwrap_or_else(|| "unknown".into());
        if kind == "idempotency_error" || answer.status.as_u16() == 409 {
            return StripeError::Idempotency(message);
        }
        match failure {
            HttpError::RateLimited { .. } | HttpError::Unavailable { .. } => {
                StripeError::Unavailable(message)
            }
            HttpError::Unauthorized { .. } => StripeError::Credentials(message),
            _ => StripeError::Refused {
                status: answer.status.as_u16(),
                kind,
                code: detail.and_then(|d| d.code),
                message,
            },
        }
    }
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

/// `text` with the top-up's placeholders filled.
fn fill(text: &str, request: &SessionRequest<'_>) -> String {
    text.replace("{STORE_ID}", &request.store_id.to_string())
        .replace("{TOP_UP_ID}", request.top_up_id)
}

/// The form body of the create, in Stripe's bracketed notation. Brackets are left
/// unescaped, as Stripe's own SDKs send them (stripe-node's `queryStringifyRequestData`);
/// values are percent-encoded.
pub fn session_form(config: &StripeConfig, request: &SessionRequest<'_>) -> String {
    let store = request.store_id.to_string();
    let fields: Vec<(String, String)> = vec![
        ("mode".into(), "payment".into()),
        (
            "line_items[0][price_data][currency]".into(),
            request.amount.currency.code().to_ascii_lowercase(),
        ),
        (
            "line_items[0][price_data][unit_amount]".into(),
            request.amount.minor.to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]".into(),
            request.description.clone(),
        ),
        ("line_items[0][quantity]".into(), "1".into()),
        ("success_url".into(), fill(&config.success_url, request)),
        ("cancel_url".into(), fill(&config.cancel_url, request)),
        ("client_reference_id".into(), request.top_up_id.into()),
        (
            format!("metadata[{}]", event::META_TOP_UP),
            request.top_up_id.into(),
        ),
        (format!("metadata[{}]", event::META_STORE), store.clone()),
        (
            format!("metadata[{}]", event::META_WALLET),
            format!("{store}:{}", request.amount.currency.code()),
        ),
    ];
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .replace("%5B", "[")
        .replace("%5D", "]")
}

#[cfg(test)]
mod tests;
