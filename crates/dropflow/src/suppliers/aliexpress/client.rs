//! One signed call to the IOP `/sync` endpoint, and what its failures mean.
//!
//! Every business API is `POST /sync` with all parameters (system, business, `sign`) as an
//! `application/x-www-form-urlencoded` body, as the official SDK sends them (§3.1). The answer
//! is JSON: either `{"<api_with_underscores>_response": {"result": …, "request_id": …}}` or a
//! gateway error `{"type", "code", "message", "request_id"}` (§3.4).
//!
//! The exchange itself goes through [`crate::outbound::Endpoint`]; failures are sorted by
//! what a retry should do (`SupplierError`, converted once from `HttpError`): no answer in
//! time, or a connection lost after the request went out, is `Timeout` (it may have happened);
//! a refused connection is `Unavailable` (nothing was sent); 429 or the throttling message is
//! `RateLimited`; 5xx is `Unavailable`; credential errors are `Unauthorized`.
//!
//! Nothing here logs parameters: they hold the customer's address and our token. Logs carry
//! the API name, the HTTP status, the gateway's code and its `request_id`.

use super::transformers::{classify_gateway, gateway_error};
use super::{sign, AliExpress};
use crate::outbound::HttpError;
use dropflow_core::supplier::SupplierError;

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

        let request = self.http.post(&self.base_url).form(&params);
        let answer = self.http.send(api, request).await?;
        let json: Option<serde_json::Value> = answer.json().ok();
        let error = json.as_ref().and_then(gateway_error);

        if let Some(failure) = answer.transient_failure() {
            // A throttling message in the body may name the wait the header did not.
            let body_wait = match error.map(|e| classify_gateway(&e)) {
                Some(SupplierError::RateLimited { retry_after }) => retry_after,
                _ => None,
            };
            return Err(match failure {
                HttpError::RateLimited { retry_after, .. } => SupplierError::RateLimited {
                    retry_after: retry_after.or(body_wait),
                },
                other => other.into(),
            });
        }
        if let Some(error) = error {
            return Err(self.gateway_failure(api, error));
        }
        if let Some(failure) = answer.failure() {
            return Err(failure.into());
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
        error.message = error.message.map(|m| self.http.redact(&m));
        error.sub_msg = error.sub_msg.map(|m| self.http.redact(&m));
        tracing::info!(
            supplier = "aliexpress",
            api,
            code = %error.code,
            sub_code = error.sub_code.as_deref().unwrap_or(""),
            "supplier refused the call"
        );
        classify_gateway(&error)
    }
}
