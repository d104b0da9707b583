//! 17TRACK, API v2.2 (`shared/reference/protocols.md` §5.2): `register` to start following
//! numbers, `gettrackinfo` for where they are, 40 numbers per call, the key in the `17token`
//! header.
//!
//! Numbers are split into calls of 40 and at most [`CONCURRENT_CALLS`] calls run at once.
//! A failed call fails the whole request (the trait answers all or nothing); the caller
//! retries transient errors ([`TrackingApiError::is_transient`]).
//!
//! Logs carry counts and 17TRACK's codes; never the API key.

mod transformers;

#[cfg(test)]
mod tests;

pub use transformers::{carrier_key, status_from_17track};

use super::{Registration, TrackRequest, TrackingApiError, TrackingProvider, TrackingUpdate};
use crate::outbound::{Answer, Endpoint};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use transformers::{code, Envelope, NumberItem, RegisterAccepted, TrackAccepted};

/// 17TRACK's production base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.17track.net/track/v2.2";
/// Most numbers 17TRACK takes in one call.
pub const MAX_NUMBERS_PER_CALL: usize = 40;
/// Calls in flight at once for one request.
pub const CONCURRENT_CALLS: usize = 4;
/// The header 17TRACK reads the key from.
const TOKEN_HEADER: &str = "17token";
/// How long to wait after a 429 that names no time.
const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// How to reach 17TRACK. `Debug` never shows the key.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Track17Config {
    #[serde(default = "default_base_url")]
    pub base_url: String,
    pub api_key: String,
    /// Per call, connect to last byte.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}
fn default_timeout_ms() -> u64 {
    10_000
}

impl std::fmt::Debug for Track17Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Track17Config")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// The 17TRACK connector.
pub struct Track17 {
    endpoint: Endpoint,
    base_url: String,
    api_key: String,
}

impl std::fmt::Debug for Track17 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Track17")
            .field("base_url", &self.base_url)
            .field("timeout", &self.endpoint.timeout())
            .finish_non_exhaustive()
    }
}

impl Track17 {
    pub fn new(base_url: &str, api_key: &str, timeout: Duration) -> Self {
        Track17 {
            endpoint: Endpoint::new("track17", "17TRACK", timeout)
                .rate_limit_wait(RATE_LIMIT_PAUSE)
                .secret(api_key),
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
        }
    }

    pub fn from_config(config: &Track17Config) -> Self {
        Track17::new(
            &config.base_url,
            &config.api_key,
            Duration::from_millis(config.timeout_ms),
        )
    }

    /// One call: POSTs `items` to `path` and reads the envelope.
    async fn call<A: DeserializeOwned>(
        &self,
        path: &str,
        items: &[NumberItem<'_>],
    ) -> Result<transformers::Batch<A>, TrackingApiError> {
        let url = format!("{}/{path}", self.base_url);
        let request = self
            .endpoint
            .post(url)
            .header(TOKEN_HEADER, &self.api_key)
            .json(items);
        let answer = self.endpoint.send(path, request).await?;
        let batch = read_answer(&answer)?;
        tracing::debug!(path, numbers = items.len(), "17TRACK call answered");
        Ok(batch)
    }

    async fn register_batch(
        &self,
        batch: &[TrackRequest],
    ) -> Result<Vec<Registration>, TrackingApiError> {
        let items: Vec<NumberItem<'_>> = batch
            .iter()
            .map(|r| NumberItem {
                number: &r.number,
                carrier: r.carrier.as_deref().and_then(carrier_key),
            })
            .collect();
        let answer = self.call::<RegisterAccepted>("register", &items).await?;
        if answer
            .rejected
            .iter()
            .any(|r| transformers::rejected_code(r) == Some(code::QUOTA_USED_UP))
        {
            return Err(quota_used_up());
        }
        let mut out: Vec<Registration> = answer
            .accepted
            .into_iter()
            .map(|a| Registration::Accepted { number: a.number })
            .collect();
        out.extend(
            answer
                .rejected
                .into_iter()
                .map(transformers::registration_from_rejected),
        );
        Ok(out)
    }

    async fn fetch_batch(&self, batch: &[String]) -> Result<Vec<TrackingUpdate>, TrackingApiError> {
        let items: Vec<NumberItem<'_>> = batch
            .iter()
            .map(|n| NumberItem {
                number: n,
                carrier: None,
            })
            .collect();
        let answer = self.call::<TrackAccepted>("gettrackinfo", &items).await?;
        let code_of = transformers::rejected_code;
        if answer
            .rejected
            .iter()
            .any(|r| code_of(r) == Some(code::QUOTA_USED_UP))
        {
            return Err(quota_used_up());
        }
        let mut updates: Vec<TrackingUpdate> = answer
            .accepted
            .into_iter()
            .map(transformers::update_from)
            .collect();
        // Not registered (-18019902): register, then ask once more (protocols.md §5.2).
        let unregistered: Vec<TrackRequest> = answer
            .rejected
            .iter()
            .filter(|r| code_of(r) == Some(code::NOT_REGISTERED))
            .map(|r| TrackRequest {
                number: r.number.clone(),
                carrier: None,
            })
            .collect();
        if !unregistered.is_empty() {
            tracing::debug!(
                numbers = unregistered.len(),
                "17TRACK: registering numbers it did not follow"
            );
            self.register_batch(&unregistered).await?;
            let again: Vec<NumberItem<'_>> = unregistered
                .iter()
                .map(|r| NumberItem {
                    number: &r.number,
                    carrier: None,
                })
                .collect();
            let second = self.call::<TrackAccepted>("gettrackinfo", &again).await?;
            if second
                .rejected
                .iter()
                .any(|r| code_of(r) == Some(code::QUOTA_USED_UP))
            {
                return Err(quota_used_up());
            }
            updates.extend(second.accepted.into_iter().map(transformers::update_from));
            // Answers keep the order asked.
            let position = |n: &str| batch.iter().position(|b| b == n).unwrap_or(usize::MAX);
            updates.sort_by_key(|u| position(&u.number));
        }
        Ok(updates)
    }
}

impl TrackingProvider for Track17 {
    fn register<'a>(
        &'a self,
        numbers: &'a [TrackRequest],
    ) -> BoxFuture<'a, Result<Vec<Registration>, TrackingApiError>> {
        Box::pin(async move {
            // The calls as futures first (they run only when polled, {CONCURRENT_CALLS} at a
            // time): mapping inside the stream trips the compiler's lifetime inference.
            let calls: Vec<_> = numbers
                .chunks(MAX_NUMBERS_PER_CALL)
                .map(|batch| self.register_batch(batch))
                .collect();
            let batches: Vec<Vec<Registration>> = futures::stream::iter(calls)
                .buffered(CONCURRENT_CALLS)
                .try_collect()
                .await?;
            Ok(batches.into_iter().flatten().collect())
        })
    }

    fn fetch<'a>(
        &'a self,
        numbers: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<TrackingUpdate>, TrackingApiError>> {
        Box::pin(async move {
            // The calls as futures first (they run only when polled, {CONCURRENT_CALLS} at a
            // time): mapping inside the stream trips the compiler's lifetime inference.
            let calls: Vec<_> = numbers
                .chunks(MAX_NUMBERS_PER_CALL)
                .map(|batch| self.fetch_batch(batch))
                .collect();
            let batches: Vec<Vec<TrackingUpdate>> = futures::stream::iter(calls)
                .buffered(CONCURRENT_CALLS)
                .try_collect()
                .await?;
            Ok(batches.into_iter().flatten().collect())
        })
    }
}

/// How long to wait after `-18019908`. 17TRACK's quota is bought, not reset on a schedule
/// the public material states, so this is our pace for asking again [our choice].
const QUOTA_PAUSE: Duration = Duration::from_secs(3600);

/// The account's quota is used up: a wait for the job runner, not a refusal of any number.
fn quota_used_up() -> TrackingApiError {
    TrackingApiError::RateLimited {
        retry_after: Some(QUOTA_PAUSE),
    }
}

/// Reads an HTTP answer: status first, then the envelope.
fn read_answer<A: DeserializeOwned>(
    answer: &Answer,
) -> Result<transformers::Batch<A>, TrackingApiError> {
    if let Some(failure) = answer.failure() {
        return Err(failure.into());
    }
    let body = &answer.body;
    let envelope: Envelope<A> = serde_json::from_slice(body).map_err(|e| {
        TrackingApiError::Protocol(format!("17TRACK's answer is not its envelope: {e}"))
    })?;
    let data = envelope.data;
    if envelope.code != code::OK {
        let first = data.as_ref().and_then(|d| d.errors.first()).cloned();
        let detail = first
            .map(|e| format!("{} {}", e.code, e.message.unwrap_or_default()))
            .unwrap_or_default();
        return Err(
            if envelope.code == code::INVALID_KEY || envelope.code == code::IP_NOT_WHITELISTED {
                TrackingApiError::Unauthorized(format!("17TRACK code {}", envelope.code))
            } else {
                TrackingApiError::Protocol(format!(
                    "17TRACK refused the call (code {}): {detail}",
                    envelope.code
                ))
            },
        );
    }
    data.ok_or_else(|| TrackingApiError::Protocol("17TRACK answered without data".to_string()))
}
