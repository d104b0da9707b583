//! One signed call to the IOP `/sync` endpoint, and what its failures mean.
//!
//! Every business API is `POST /sync` with all parameters (system, business, `sign`) as an
//! `application/x-www-form-urlencoded` body, as the official SDK sends them (§3.1). The answer
//! is JSON: either `{"<api_with_underscores>_response": {"result": …, "request_id": …}}` or a
//! gateway error `{"type", "code", "message", "request_id"}` (§3.4).
//!
//! Failures are sorted by what a retry should do (`SupplierError`): no answer in time, or a
//! connection lost after the request went out, is `Timeout` (it may have happened); a refused
//! connection is `Unavailable` (nothing was sent); 429 or the throttling message is
//! `RateLimited`; 5xx is `Unavailable`; credential errors are `Unauthorized`.
//!
//! Nothing here logs parameters: they hold the customer's address and our token. Logs carry
//! the API name, the HTTP status, the gateway's code and its `request_id`.

use super::transformers::{classify_gateway, gateway_error};
use super::{sign, AliExpress};
use dropflow_core::supplier::SupplierError;
use reqwest::StatusCode;
use std::time::Duration;

impl AliExpress {
    /// Calls `api` with `business` parameters and returns its `result` object.
    pub(super) async fn call(
        &self,
        api: &str,
        business: &[(&str, String)],
    ) -> Result<serde_json::Value, SupplierError> {
        let body = self.send(api, business).await?;
        let wrapper = format!("{}_response", api.replace('.', "_"));
        let mut body = body;
        let Some(response) = body.get_mut(&wrapper).map(serde_json::Value::take) else {
            return Err(SupplierError::Protocol(format!(
                "{api}: the answer has no {wrapper}"
            )));
        };
        // A business error can also sit inside the wrapper in the gateway's shape.
        if let Some(error) = gateway_error(&response) {
            return Err(self.gateway_failure(api, error));
        }
        match response {
            serde_json::Value::Object(mut fields) => Ok(fields
                .remove("result")
                .unwrap_or(serde_json::Value::Object(fields))),
            _ => Err(SupplierError::Protocol(format!(
                "{api}: {wrapper} is not an object"
            ))),
        }
    }

    /// Signs and sends one request; the parsed body of a 2xx answer without a gateway error.
    async fn send(
        &self,
        api: &str,
        business: &[(&str, String)],
    ) -> Result<serde_json::Value, SupplierError> {
        let timestamp = chrono::Utc::now().timestamp_millis().to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("app_key", self.app_key.as_str()),
            ("method", api),
            ("session", self.access_token.as_str()),
            ("timestamp", timestamp.as_str()),
            ("sign_method", "sha256"),
            ("format", "json"),
            ("simplify", "false"),
        ];
        params.extend(business.iter().map(|(k, v)| (*k, v.as_str())));
        let signature = sign::sign(&self.app_secret, api, &params);
        params.push(("sign", signature.as_str()));

        let started = std::time::Instant::now();
        let response = self
            .http
            .post(&self.base_url)
            .timeout(self.timeout)
            .form(&params)
            .send()
            .await
            .map_err(|err| transport_failure(api, err))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = response
            .bytes()
            .await
            .map_err(|err| transport_failure(api, err))?;
        tracing::debug!(
            supplier = "aliexpress",
            api,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "supplier call"
        );
        let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
        let error = json.as_ref().and_then(gateway_error);

        if status == StatusCode::TOO_MANY_REQUESTS {
            let from_body = error.map(|e| classify_gateway(&e));
            let body_wait = match from_body {
                Some(SupplierError::RateLimited { retry_after }) => retry_after,
                _ => None,
            };
            return Err(SupplierError::RateLimited {
                retry_after: retry_after.or(body_wait),
            });
        }
        if status.is_server_error() {
            return Err(SupplierError::Unavailable(format!(
                "{api}: HTTP {}",
                status.as_u16()
            )));
        }
        if let Some(error) = error {
            return Err(self.gateway_failure(api, error));
        }
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(SupplierError::Unauthorized(format!(
                "{api}: HTTP {}",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(SupplierError::Protocol(format!(
                "{api}: HTTP {}",
                status.as_u16()
            )));
        }
        json.ok_or_else(|| SupplierError::Protocol(format!("{api}: the answer is not JSON")))
    }

    /// Classifies a gateway error, with anything that looks like our credentials blanked out
    /// of its texts first (they end up in logs and on the timeline).
    fn gateway_failure(
        &self,
        api: &str,
        mut error: super::transformers::GatewayError,
    ) -> SupplierError {
        error.message = error.message.map(|m| self.redact(&m));
        error.sub_msg = error.sub_msg.map(|m| self.redact(&m));
        tracing::info!(
            supplier = "aliexpress",
            api,
            code = %error.code,
            sub_code = error.sub_code.as_deref().unwrap_or(""),
            "supplier refused the call"
        );
        classify_gateway(&error)
    }

    fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in [&self.access_token, &self.app_secret] {
            if !secret.is_empty() {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }
}

/// A failure to get an answer. Only a refused connection proves nothing was sent; anything
/// after the request went out may have been acted on, so it counts as a timeout.
fn transport_failure(api: &str, err: reqwest::Error) -> SupplierError {
    let err = err.without_url();
    if err.is_timeout() {
        SupplierError::Timeout
    } else if err.is_connect() {
        SupplierError::Unavailable(format!("{api}: cannot connect: {err}"))
    } else if err.is_builder() {
        SupplierError::Protocol(format!("{api}: cannot build the request: {err}"))
    } else {
        tracing::info!(supplier = "aliexpress", api, error = %err, "answer lost");
        SupplierError::Timeout
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}
