//! One outside call, made the same way by every connector (suppliers, the carrier, the stores'
//! Admin APIs, merchants' webhooks): an [`Endpoint`] holds the guarded client, the per-call
//! timeout, the retry policy, the secrets to keep out of logs and errors, and the connector's
//! name for the metrics; [`Endpoint::send`] makes one call and answers either the [`Answer`]
//! (status, `Retry-After`, body) or an [`HttpError`] saying why there is none.
//!
//! What an answer's status means is read by [`Answer::failure`] (429, 5xx, 401/403, 404, other)
//! into the same [`HttpError`]; connectors that read their own envelope first (CJ, AliExpress,
//! 1688, 17TRACK) ask [`Answer::transient_failure`] (429 and 5xx: nothing was served) before it.
//! Each connector converts [`HttpError`] into its own error type once (`SupplierError`,
//! `TrackingApiError`, `StoreApiError`, a webhook's error text).
//!
//! Metrics per call: `dropflow_outbound_calls_total` (counter) and
//! `dropflow_outbound_call_seconds` (histogram), both labelled `connector` and `outcome`.
//! Logs carry the connector, the operation, the URL with its secrets blanked, the status and
//! the time taken; never a body.

use super::Reach;
use reqwest::{Method, RequestBuilder, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a call has no usable answer, in terms every connector shares.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// Nothing was sent: no connection could be made.
    #[error("cannot connect to {connector}")]
    Unreachable { connector: &'static str },
    /// Nothing was sent: the address is not one outside calls may go to (`[outbound]`).
    #[error("refused: {why}")]
    Refused { why: String },
    /// No answer in time: whatever was asked may or may not have happened.
    #[error("{connector} did not answer in time")]
    Timeout { connector: &'static str },
    /// The request went out and the answer was lost (a reset, a cut-off body): it may have
    /// been acted on.
    #[error("the connection to {connector} failed")]
    Lost { connector: &'static str },
    /// The request could not be built (a bad URL or header): nothing was sent.
    #[error("cannot build the request: {detail}")]
    Build { detail: String },
    /// 429: not served; wait `retry_after` (the answer's, else the endpoint's default).
    #[error("rate limited by {connector} (retry after {retry_after:?})")]
    RateLimited {
        connector: &'static str,
        retry_after: Option<Duration>,
    },
    /// 5xx: down or failing; retry later.
    #[error("{connector} answered HTTP {status}")]
    Unavailable {
        connector: &'static str,
        status: u16,
    },
    /// 401 or 403: our credentials were refused.
    #[error("{connector} answered HTTP {status}")]
    Unauthorized {
        connector: &'static str,
        status: u16,
    },
    /// 404.
    #[error("{connector} answered HTTP 404")]
    NotFound { connector: &'static str },
    /// Any other status that is not 2xx.
    #[error("{connector} answered HTTP {status}")]
    Status {
        connector: &'static str,
        status: u16,
    },
}

impl HttpError {
    /// The metrics label of this failure.
    fn outcome(&self) -> &'static str {
        match self {
            HttpError::Unreachable { .. } => "unreachable",
            HttpError::Refused { .. } => "refused",
            HttpError::Timeout { .. } => "timeout",
            HttpError::Lost { .. } => "lost",
            HttpError::Build { .. } => "build",
            HttpError::RateLimited { .. } => "rate_limited",
            HttpError::Unavailable { .. } => "server_error",
            HttpError::Unauthorized { .. } => "unauthorized",
            HttpError::NotFound { .. } => "not_found",
            HttpError::Status { .. } => "client_error",
        }
    }
}

/// When a call is repeated inside [`Endpoint::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retry {
    /// Never: the caller (a job with backoff) decides.
    #[default]
    Never,
    /// After a 429 (which the protocols in use document as "not processed", so repeating even
    /// a POST cannot act twice), up to `times` times, waiting `Retry-After` when it is at most
    /// `max_wait`; a longer wait is the caller's (its job is rescheduled).
    RateLimited { times: u32, max_wait: Duration },
}

/// An answer with a status, read to the end.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    /// `Retry-After`, or the endpoint's default wait when a 429 named none.
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
    connector: &'static str,
}

impl Answer {
    /// An answer as `connector` gave it (for reading recorded answers in tests).
    pub fn new(
        connector: &'static str,
        status: StatusCode,
        retry_after: Option<Duration>,
        body: Vec<u8>,
    ) -> Self {
        Answer {
            status,
            retry_after,
            body,
            connector,
        }
    }

    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// 429 or 5xx: the call was not served.
    pub fn transient_failure(&self) -> Option<HttpError> {
        let connector = self.connector;
        let status = self.status.as_u16();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            Some(HttpError::RateLimited {
                connector,
                retry_after: self.retry_after,
            })
        } else if self.status.is_server_error() {
            Some(HttpError::Unavailable { connector, status })
        } else {
            None
        }
    }

    /// What a status other than 2xx means; `None` on success.
    pub fn failure(&self) -> Option<HttpError> {
        let connector = self.connector;
        let status = self.status.as_u16();
        if self.is_success() {
            return None;
        }
        self.transient_failure().or(Some(match status {
            401 | 403 => HttpError::Unauthorized { connector, status },
            404 => HttpError::NotFound { connector },
            _ => HttpError::Status { connector, status },
        }))
    }

    /// The body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// Values blanked out of whatever is logged or put in an error: credentials given to the
/// endpoint, and the values of query parameters that carry them.
#[derive(Clone, Default)]
pub struct Secrets(Vec<String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} kept out of logs)", self.0.len())
    }
}

/// Query parameters whose values are credentials or signatures (AliExpress `session`/`sign`,
/// 1688 `access_token`/`_aop_signature`, WooCommerce's OAuth parameters, …).
const SECRET_PARAMETERS: &[&str] = &[
    "access_token",
    "session",
    "sign",
    "_aop_signature",
    "oauth_signature",
    "oauth_consumer_key",
    "consumer_key",
    "consumer_secret",
    "app_secret",
    "api_key",
    "token",
    "signature",
];

impl Secrets {
    /// Adds a value to blank out (empty values are ignored: they would match everywhere).
    pub fn add(&mut self, secret: &str) {
        if !secret.is_empty() {
            self.0.push(secret.to_string());
        }
    }

    /// `text` with every secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        self.0.iter().fold(text.to_string(), |out, secret| {
            out.replace(secret.as_str(), "***")
        })
    }

    /// A URL fit for a log line: secret values and the values of credential parameters
    /// blanked, user info dropped.
    pub fn redact_url(&self, url: &reqwest::Url) -> String {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        if shown.query().is_some() {
            let pairs: Vec<(String, String)> = shown
                .query_pairs()
                .map(|(key, value)| {
                    let secret = SECRET_PARAMETERS
                        .iter()
                        .any(|p| key.eq_ignore_ascii_case(p));
                    let value = if secret {
                        "***".to_string()
                    } else {
                        value.into_owned()
                    };
                    (key.into_owned(), value)
                })
                .collect();
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        self.redact(shown.as_str())
    }
}

/// Calls in flight to one place at once, and a shared pause after a 429: every caller waits
/// out the same `Retry-After` instead of each finding out with its own 429.
#[derive(Debug)]
struct Pacing {
    in_flight: tokio::sync::Semaphore,
    blocked_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pacing {
    async fn wait_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let permit = self.in_flight.acquire().await.ok();
        let until = self.blocked_until.lock().ok().and_then(|b| *b);
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
        permit
    }

    fn block_for(&self, wait: Duration) {
        if let Ok(mut blocked) = self.blocked_until.lock() {
            let until = tokio::time::Instant::now() + wait;
            if blocked.is_none_or(|b| b < until) {
                *blocked = Some(until);
            }
        }
    }
}

/// One outside service as a connector calls it. Cheap to clone (the client and the pacing
/// are shared).
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The metrics label (`cj`, `shopify`, …).
    label: &'static str,
    /// The name people read in errors (`CJ`, `Shopify`, …).
    name: &'static str,
    client: reqwest::Client,
    timeout: Duration,
    rate_limit_wait: Option<Duration>,
    retry: Retry,
    pacing: Option<Arc<Pacing>>,
    secrets: Secrets,
    max_body: usize,
}

/// The most of an answer's body read by default: far above any page the connectors ask for.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

impl Endpoint {
    /// `timeout` bounds each call, connecting to the last byte of the body; the process's
    /// reach applies ([`super::client`]).
    pub fn new(label: &'static str, name: &'static str, timeout: Duration) -> Self {
        Self::with_client(label, name, super::client(timeout), timeout)
    }

    /// Like [`Endpoint::new`] with a reach of its own, whatever the process allows.
    pub fn with_reach(
        label: &'static str,
        name: &'static str,
        reach: Reach,
        timeout: Duration,
    ) -> Self {
        Self::with_client(label, name, super::client_with(reach, timeout), timeout)
    }

    /// With a client built elsewhere (it must be one of [`super`]'s).
    pub fn with_client(
        label: &'static str,
        name: &'static str,
        client: reqwest::Client,
        timeout: Duration,
    ) -> Self {
        Endpoint {
            label,
            name,
            client,
            timeout: timeout.max(Duration::from_millis(1)),
            rate_limit_wait: None,
            retry: Retry::Never,
            pacing: None,
            secrets: Secrets::default(),
            max_body: MAX_BODY,
        }
    }

    /// The wait a 429 without `Retry-After` stands for.
    pub fn rate_limit_wait(mut self, wait: Duration) -> Self {
        self.rate_limit_wait = Some(wait);
        self
    }

    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// At most `in_flight` calls at once through this endpoint (and its clones), all pausing
    /// together after a 429.
    pub fn paced(mut self, in_flight: usize) -> Self {
        self.pacing = Some(Arc::new(Pacing {
            in_flight: tokio::sync::Semaphore::new(in_flight.max(1)),
            blocked_until: std::sync::Mutex::new(None),
        }));
        self
    }

    /// Reads at most `bytes` of each answer's body.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// A credential kept out of logs and error texts.
    pub fn secret(mut self, secret: &str) -> Self {
        self.secrets.add(secret);
        self
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `text` (an outside answer's message, say) with this endpoint's secrets blanked.
    pub fn redact(&self, text: &str) -> String {
        self.secrets.redact(text)
    }

    /// A request with the per-call timeout set.
    pub fn request(&self, method: Method, url: impl reqwest::IntoUrl) -> RequestBuilder {
        self.client.request(method, url).timeout(self.timeout)
    }

    pub fn post(&self, url: impl reqwest::IntoUrl) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// Sends `request` (named `operation` in logs) and reads the answer to the end, repeating
    /// it as the retry policy allows.
    pub async fn send(
        &self,
        operation: &str,
        request: RequestBuilder,
    ) -> Result<Answer, HttpError> {
        let mut attempt = 0;
        loop {
            // A body that cannot be cloned (a stream) is sent once, whatever the policy.
            let Some(this) = request.try_clone() else {
                return self.send_once(operation, request).await;
            };
            let answer = self.send_once(operation, this).await?;
            let Retry::RateLimited { times, max_wait } = self.retry else {
                return Ok(answer);
            };
            if answer.status != StatusCode::TOO_MANY_REQUESTS {
                return Ok(answer);
            }
            let wait = answer.retry_after.unwrap_or(Duration::ZERO);
            if let Some(pacing) = &self.pacing {
                pacing.block_for(wait);
            }
            if attempt >= times || wait > max_wait {
                return Ok(answer);
            }
            attempt += 1;
            tracing::debug!(
                connector = self.label,
                operation,
                attempt,
                wait_ms = wait.as_millis() as u64,
                "throttled; waiting"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        operation: &str,
        request: RequestBuilder,
    ) -> Result<Answer, HttpError> {
        let started = Instant::now();
        let result = self.exchange(request).await;
        let outcome = match &result {
            Ok(answer) => answer.failure().map_or("ok", |e| e.outcome()),
            Err(error) => error.outcome(),
        };
        let elapsed = started.elapsed();
        metrics::counter!("dropflow_outbound_calls_total", "connector" => self.label, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("dropflow_outbound_call_seconds", "connector" => self.label, "outcome" => outcome)
            .record(elapsed.as_secs_f64());
        tracing::debug!(
            connector = self.label,
            operation,
            status = result.as_ref().map_or(0, |a| a.status.as_u16()),
            outcome,
            elapsed_ms = elapsed.as_millis() as u64,
            "outside call"
        );
        result
    }

    async fn exchange(&self, request: RequestBuilder) -> Result<Answer, HttpError> {
        let (client, request) = request.build_split();
        let request = request.map_err(|e| self.transport_error(&e))?;
        let url = self.secrets.redact_url(request.url());
        let turn = match &self.pacing {
            Some(pacing) => pacing.wait_turn().await,
            None => None,
        };
        let response = client.execute(request).await.map_err(|e| {
            let error = self.transport_error(&e);
            tracing::debug!(connector = self.label, %url, %error, "no answer");
            error
        })?;
        drop(turn);
        let status = response.status();
        let retry_after = retry_after(response.headers()).or_else(|| {
            (status == StatusCode::TOO_MANY_REQUESTS)
                .then_some(self.rate_limit_wait)
                .flatten()
        });
        let body = self.read_body(response).await?;
        Ok(Answer {
            status,
            retry_after,
            body,
            connector: self.name,
        })
    }

    /// The body, up to [`Endpoint::max_body`] bytes: whatever answered (a hostile server
    /// behind a merchant's URL) cannot make us hold more; the rest is left unread.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, HttpError> {
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e))?
        {
            let room = self.max_body.saturating_sub(body.len());
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                tracing::debug!(
                    connector = self.label,
                    kept = body.len(),
                    "answer cut short"
                );
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// A failed exchange. Only a connection never made proves the request was not received;
    /// anything after sending leaves the outcome unknown (`Timeout` or `Lost`).
    fn transport_error(&self, error: &reqwest::Error) -> HttpError {
        let connector = self.name;
        if let Some(why) = super::refusal(error) {
            HttpError::Refused { why }
        } else if error.is_builder() {
            HttpError::Build {
                detail: self.redact(&error.to_string()),
            }
        } else if error.is_timeout() {
            HttpError::Timeout { connector }
        } else if error.is_connect() {
            HttpError::Unreachable { connector }
        } else {
            HttpError::Lost { connector }
        }
    }
}

/// `Retry-After` as seconds (whole or fractional, as Shopify sends them) or an HTTP date.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?)
}

/// One `Retry-After` value: seconds (`2`, `0.5`) or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn answer(status: u16, retry_after: Option<Duration>) -> Answer {
        Answer::new(
            "Shop",
            StatusCode::from_u16(status).unwrap(),
            retry_after,
            Vec::new(),
        )
    }

    #[test]
    fn statuses_map_to_one_error() {
        let connector = "Shop";
        assert_eq!(answer(200, None).failure(), None);
        assert_eq!(
            answer(429, Some(Duration::from_secs(2))).failure(),
            Some(HttpError::RateLimited {
                connector,
                retry_after: Some(Duration::from_secs(2))
            })
        );
        assert_eq!(
            answer(503, None).transient_failure(),
            Some(HttpError::Unavailable {
                connector,
                status: 503
            })
        );
        assert_eq!(answer(401, None).transient_failure(), None);
        assert_eq!(
            answer(403, None).failure(),
            Some(HttpError::Unauthorized {
                connector,
                status: 403
            })
        );
        assert_eq!(
            answer(404, None).failure(),
            Some(HttpError::NotFound { connector })
        );
        assert_eq!(
            answer(422, None).failure().unwrap().to_string(),
            "Shop answered HTTP 422"
        );
    }

    #[test]
    fn secrets_are_blanked_in_urls_and_texts() {
        let mut secrets = Secrets::default();
        secrets.add("s3cr3t");
        secrets.add("");
        let url = reqwest::Url::parse(
            "https://user:pw@api.example/x?app_key=k&session=tok&sign=ABC&oauth_signature=x%3D&q=s3cr3t",
        )
        .unwrap();
        let shown = secrets.redact_url(&url);
        for hidden in ["tok", "ABC", "x%3D", "s3cr3t", "user", "pw"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        assert!(shown.contains("app_key=k"), "{shown}");
        assert_eq!(secrets.redact("token s3cr3t refused"), "token *** refused");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
    }

    /// A loopback server answering 429 (no `Retry-After`) `throttled` times, then 200.
    async fn throttling(throttled: usize) -> (String, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(move || {
                let counter = counter.clone();
                async move {
                    if counter.fetch_add(1, Ordering::SeqCst) < throttled {
                        axum::http::StatusCode::TOO_MANY_REQUESTS
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            }),
        );
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(socket, app).await });
        (format!("http://{addr}/"), calls)
    }

    #[tokio::test]
    async fn a_429_is_waited_out_as_the_policy_allows() {
        let (url, calls) = throttling(2).await;
        let endpoint = Endpoint::with_reach("t", "T", Reach::AnyAddress, Duration::from_secs(2))
            .rate_limit_wait(Duration::from_millis(10))
            .retry(Retry::RateLimited {
                times: 3,
                max_wait: Duration::from_secs(1),
            })
            .paced(2);
        let answer = endpoint
            .send("x", endpoint.post(&url).body("{}"))
            .await
            .unwrap();
        assert!(answer.is_success());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        // No retries: the 429 is the caller's, with the default wait.
        let (url, calls) = throttling(1).await;
        let once = Endpoint::with_reach("t", "T", Reach::AnyAddress, Duration::from_secs(2))
            .rate_limit_wait(Duration::from_millis(10));
        let answer = once.send("x", once.post(&url)).await.unwrap();
        assert_eq!(
            answer.failure(),
            Some(HttpError::RateLimited {
                connector: "T",
                retry_after: Some(Duration::from_millis(10))
            })
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn no_connection_and_refusals_say_nothing_was_sent() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        // Listening: the guard refuses the loopback peer once connected.
        let public = Endpoint::with_reach("t", "T", Reach::PublicOnly, Duration::from_secs(2));
        assert!(matches!(
            public.send("x", public.post(&url)).await.unwrap_err(),
            HttpError::Refused { .. }
        ));
        drop(listener);
        let open = Endpoint::with_reach("t", "T", Reach::AnyAddress, Duration::from_secs(2));
        assert_eq!(
            open.send("x", open.post(&url)).await.unwrap_err(),
            HttpError::Unreachable { connector: "T" }
        );
    }
}
