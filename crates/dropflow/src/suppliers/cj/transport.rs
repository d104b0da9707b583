//! One HTTP exchange with CJ and what its answer means. CJ wraps every answer in
//! `{code, result, message, data, requestId}` (protocols.md §4.1); whether error answers also
//! carry a non-200 HTTP status is not documented, so both are read: the HTTP status first
//! (429, 5xx), then the envelope's `code`.
//!
//! Everything here is either *no usable answer* ([`CallError::Supplier`], already in
//! dropflow's vocabulary) or *CJ said no* ([`CallError::Api`], which each call site reads in
//! its own terms: a refused purchase, a refused payment, a refused token).

use crate::outbound::{Answer, Endpoint, HttpError};
use dropflow_core::supplier::SupplierError;
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// The header CJ reads the access token from.
pub(crate) const TOKEN_HEADER: &str = "CJ-Access-Token";

/// How long to wait after a rate-limit answer that names no time: CJ's limits are per second.
const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// CJ's codes (standard/ps-code.html, standard/limit.html).
pub(crate) mod code {
    pub const SUCCESS: i64 = 200;
    /// "System busy": retry (CJ suggests at most 3 times).
    pub const SYSTEM_BUSY: i64 = 1_600_000;
    /// Invalid API key or access token.
    pub const INVALID_TOKEN: i64 = 1_600_001;
    /// Access token empty.
    pub const TOKEN_EMPTY: i64 = 1_600_002;
    /// "Call exceeded limit" (the per-second limit).
    pub const TOO_MANY_REQUESTS: i64 = 1_600_200;
    /// "Quota has been used up": the day's quota (points since 2026-06-01) is spent.
    pub const QUOTA_USED_UP: i64 = 1_600_201;

    /// The 16000xx block is CJ's authentication and authorisation block (1600001–1600011,
    /// 1600030, 1600031 are documented there); 1600100 and above are request errors.
    pub fn is_auth(code: i64) -> bool {
        (1_600_001..1_600_100).contains(&code)
    }

    /// The token itself was refused (rather than the account): a new token may help.
    pub fn is_token_refusal(code: i64) -> bool {
        code == INVALID_TOKEN || code == TOKEN_EMPTY
    }
}

/// Why a call gave no data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    /// No usable answer, or an answer that says "not now".
    Supplier(SupplierError),
    /// CJ answered and refused, with its code and message.
    Api { code: i64, message: String },
}

impl CallError {
    /// For calls where a refusal has no meaning of its own: an answer we cannot act on.
    pub(crate) fn into_supplier(self) -> SupplierError {
        match self {
            CallError::Supplier(e) => e,
            CallError::Api { code, message } => {
                SupplierError::Protocol(format!("CJ refused the call ({code}): {message}"))
            }
        }
    }
}

/// What to send: method, path below the base URL, query pairs, JSON body.
#[derive(Debug, Clone)]
pub(crate) struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
}

impl<'a> Call<'a> {
    pub(crate) fn get(path: &'a str, query: Vec<(&'static str, String)>) -> Self {
        Call {
            method: Method::GET,
            path,
            query,
            body: None,
        }
    }

    pub(crate) fn patch(path: &'a str, body: Value) -> Self {
        Call {
            method: Method::PATCH,
            path,
            query: Vec::new(),
            body: Some(body),
        }
    }

    pub(crate) fn delete(path: &'a str, query: Vec<(&'static str, String)>) -> Self {
        Call {
            method: Method::DELETE,
            path,
            query,
            body: None,
        }
    }

    pub(crate) fn post(path: &'a str, body: Value) -> Self {
        Call {
            method: Method::POST,
            path,
            query: Vec::new(),
            body: Some(body),
        }
    }
}

/// Where CJ is, and the endpoint every call goes through.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    endpoint: Endpoint,
    base_url: String,
}

impl Transport {
    pub(crate) fn new(base_url: &str, timeout: Duration) -> Self {
        Transport {
            endpoint: Endpoint::new("cj", "CJ", timeout).rate_limit_wait(RATE_LIMIT_PAUSE),
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    /// Sends `call` (with the token when given) and returns the envelope's `data`.
    pub(crate) async fn send(
        &self,
        call: &Call<'_>,
        token: Option<&str>,
    ) -> Result<Value, CallError> {
        let url = format!("{}/{}", self.base_url, call.path.trim_start_matches('/'));
        let mut request = self.endpoint.request(call.method.clone(), url);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(token) = token {
            request = request.header(TOKEN_HEADER, token);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let answer = self
            .endpoint
            .send(call.path, request)
            .await
            .map_err(|e| CallError::Supplier(e.into()))?;
        read_answer(&answer)
    }
}

/// Reads an HTTP answer: status first (429, 5xx), then the envelope.
pub(crate) fn read_answer(answer: &Answer) -> Result<Value, CallError> {
    if let Some(failure) = answer.transient_failure() {
        return Err(CallError::Supplier(failure.into()));
    }
    let status = answer.status;
    let Some(envelope) = Envelope::read(&answer.body) else {
        return Err(CallError::Supplier(match answer.failure() {
            Some(unauthorized @ HttpError::Unauthorized { .. }) => unauthorized.into(),
            _ => SupplierError::Protocol(format!(
                "CJ answered HTTP {} without its envelope",
                status.as_u16()
            )),
        }));
    };
    if envelope.code == code::SUCCESS && envelope.result && answer.is_success() {
        return Ok(envelope.data);
    }
    match envelope.code {
        code::SYSTEM_BUSY => Err(CallError::Supplier(SupplierError::Unavailable(
            "CJ is busy (1600000)".to_string(),
        ))),
        // The day's quota is spent: CJ pacing us, not refusing anything. It comes back when
        // CJ's daily points reset, at 00:00 UTC (standard/points.html). Older accounts get
        // the daily limit as 1600200 with a message saying so (standard/limit.html).
        code::QUOTA_USED_UP => Err(CallError::Supplier(SupplierError::RateLimited {
            retry_after: Some(until_quota_reset(chrono::Utc::now())),
        })),
        code::TOO_MANY_REQUESTS => {
            let daily = envelope.message.to_ascii_lowercase().contains("daily");
            Err(CallError::Supplier(SupplierError::RateLimited {
                retry_after: Some(if daily {
                    until_quota_reset(chrono::Utc::now())
                } else {
                    answer.retry_after.unwrap_or(RATE_LIMIT_PAUSE)
                }),
            }))
        }
        code => Err(CallError::Api {
            code,
            message: envelope.message,
        }),
    }
}

/// From `now` to the next 00:00 UTC, when CJ's daily quota resets (standard/points.html:
/// "Resets daily at 00:00 (UTC)"), plus a minute so the first call lands after it.
pub(crate) fn until_quota_reset(now: chrono::DateTime<chrono::Utc>) -> Duration {
    let tomorrow = now.date_naive().succ_opt().unwrap_or(now.date_naive());
    let reset = tomorrow.and_time(chrono::NaiveTime::MIN).and_utc();
    (reset - now)
        .to_std()
        .unwrap_or(Duration::ZERO)
        .saturating_add(Duration::from_secs(60))
}

/// CJ's envelope, read leniently: `code` as a number or a numeric string, `result` absent
/// meaning "go by the code".
#[derive(Debug, Clone, PartialEq)]
struct Envelope {
    code: i64,
    result: bool,
    message: String,
    data: Value,
}

impl Envelope {
    fn read(body: &[u8]) -> Option<Envelope> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let code = match value.get("code")? {
            Value::Number(n) => n.as_i64()?,
            Value::String(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        let result = match value.get("result") {
            Some(Value::Bool(b)) => *b,
            _ => code == code::SUCCESS,
        };
        Some(Envelope {
            code,
            result,
            message: value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            data: value.get("data").cloned().unwrap_or(Value::Null),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, body: &Value) -> Result<Value, CallError> {
        read_answer(&raw(status, None, body.to_string().as_bytes()))
    }

    fn raw(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Answer {
        let status = reqwest::StatusCode::from_u16(status).unwrap();
        Answer::new("CJ", status, retry_after, body.to_vec())
    }

    #[test]
    fn success_yields_data() {
        let body = json!({"code": 200, "result": true, "message": "Success",
            "data": "210711100018655344", "requestId": "9eddf3f5"});
        assert_eq!(answer(200, &body), Ok(json!("210711100018655344")));
        // A code as text still reads.
        let text = json!({"code": "200", "result": true, "data": 1});
        assert_eq!(answer(200, &text), Ok(json!(1)));
    }

    #[test]
    fn errors_are_read_from_status_then_code() {
        let busy = json!({"code": 1600000, "result": false, "message": "busy"});
        assert!(matches!(
            answer(200, &busy),
            Err(CallError::Supplier(SupplierError::Unavailable(_)))
        ));
        let limited = json!({"code": 1600200, "result": false, "message": "Too Many Requests"});
        assert_eq!(
            answer(200, &limited),
            Err(CallError::Supplier(SupplierError::RateLimited {
                retry_after: Some(Duration::from_secs(1))
            }))
        );
        // A daily limit waits for the reset at 00:00 UTC, never "no idea" (which would fail
        // the job like a fault).
        let daily = json!({"code": 1600200, "result": false,
            "message": "Too Many Requests, Sorry, you have reached the daily request limit"});
        let quota = json!({"code": 1600201, "result": false, "message": "Quota has been used up"});
        for body in [daily, quota] {
            match answer(200, &body) {
                Err(CallError::Supplier(SupplierError::RateLimited {
                    retry_after: Some(wait),
                })) => assert!(wait <= Duration::from_secs(86_460), "{wait:?}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let late = chrono::DateTime::parse_from_rfc3339("2026-12-06T23:59:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(until_quota_reset(late), Duration::from_secs(120));
        assert!(matches!(
            read_answer(&raw(429, Some(Duration::from_secs(7)), b"")),
            Err(CallError::Supplier(SupplierError::RateLimited { retry_after: Some(d) })) if d.as_secs() == 7
        ));
        assert!(matches!(
            read_answer(&raw(502, None, b"<html>")),
            Err(CallError::Supplier(SupplierError::Unavailable(_)))
        ));
        assert!(matches!(
            read_answer(&raw(401, None, b"")),
            Err(CallError::Supplier(SupplierError::Unauthorized(_)))
        ));
        assert!(matches!(
            read_answer(&raw(200, None, b"not json")),
            Err(CallError::Supplier(SupplierError::Protocol(_)))
        ));
        let refused = json!({"code": 1600001, "result": false, "message": "Invalid token"});
        assert_eq!(
            answer(200, &refused),
            Err(CallError::Api {
                code: 1600001,
                message: "Invalid token".to_string()
            })
        );
        // An HTTP error with a success code is still an error.
        let odd = json!({"code": 200, "result": true, "data": null});
        assert!(answer(400, &odd).is_err());
        assert!(code::is_auth(1_600_031) && !code::is_auth(1_600_100) && !code::is_auth(200));
    }
}
