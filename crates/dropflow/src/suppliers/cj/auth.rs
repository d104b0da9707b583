//! CJ's token auth (protocols.md §4.2): `getAccessToken` with the API key gives an access
//! token (15 days) and a refresh token (180 days); `refreshAccessToken` swaps the refresh token
//! for a new pair. getAccessToken may be called only once per 5 minutes, so the token is
//! cached and renewed with the refresh token, and a new login is the last resort.
//!
//! The cache is one `tokio::sync::Mutex<Option<Token>>`, held *across* a renewal: callers
//! that arrive while a token is being renewed wait for it and then use the new one, so ten
//! concurrent calls with an expired token cause one refresh, not ten.

use super::transport::{Call, CallError, Transport};
use super::ApiKey;
use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, NaiveDateTime, TimeZone, Utc};
use dropflow_core::supplier::SupplierError;
use serde_json::{json, Value};

/// CJ's documented lifetimes, used when an answer's dates cannot be read.
const ACCESS_LIFETIME_DAYS: i64 = 15;
const REFRESH_LIFETIME_DAYS: i64 = 180;

/// A token pair as CJ issued it. `Debug` shows expiry dates only.
pub(crate) struct Token {
    access: String,
    access_expires: DateTime<Utc>,
    refresh: String,
    refresh_expires: DateTime<Utc>,
    /// Renew this long before expiry: a tenth of the lifetime, at most an hour, so a 15-day
    /// token is renewed an hour early and a 2-second sandbox token 200 ms early.
    access_margin: ChronoDuration,
    refresh_margin: ChronoDuration,
    open_id: Option<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access", &"<redacted>")
            .field("access_expires", &self.access_expires)
            .field("refresh", &"<redacted>")
            .field("refresh_expires", &self.refresh_expires)
            .finish()
    }
}

impl Token {
    fn access_usable(&self, now: DateTime<Utc>) -> bool {
        now + self.access_margin < self.access_expires
    }

    fn refresh_usable(&self, now: DateTime<Utc>) -> bool {
        now + self.refresh_margin < self.refresh_expires
    }

    /// Reads getAccessToken's / refreshAccessToken's `data`.
    fn from_data(data: &Value, now: DateTime<Utc>) -> Result<Token, SupplierError> {
        let text = |field: &str| {
            data.get(field)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let (Some(access), Some(refresh)) = (text("accessToken"), text("refreshToken")) else {
            return Err(SupplierError::Protocol(
                "CJ's token answer has no accessToken or refreshToken".to_string(),
            ));
        };
        let expiry = |field: &str, days: i64| {
            data.get(field)
                .and_then(parse_cj_time)
                .unwrap_or(now + ChronoDuration::days(days))
        };
        let access_expires = expiry("accessTokenExpiryDate", ACCESS_LIFETIME_DAYS);
        let refresh_expires = expiry("refreshTokenExpiryDate", REFRESH_LIFETIME_DAYS);
        let open_id = match data.get("openId") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        Ok(Token {
            access,
            access_expires,
            refresh,
            refresh_expires,
            access_margin: margin(access_expires - now),
            refresh_margin: margin(refresh_expires - now),
            open_id,
        })
    }
}

fn margin(lifetime: ChronoDuration) -> ChronoDuration {
    (lifetime / 10).clamp(ChronoDuration::zero(), ChronoDuration::hours(1))
}

/// CJ writes `2021-08-18T09:16:33+08:00`; older answers and other endpoints use
/// `2021-08-18 09:16:33` (China time) or epoch milliseconds.
pub(crate) fn parse_cj_time(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(s) => {
            let s = s.trim();
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Some(t.with_timezone(&Utc));
            }
            let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()?;
            let china = FixedOffset::east_opt(8 * 3600)?;
            china
                .from_local_datetime(&naive)
                .single()
                .map(|t| t.with_timezone(&Utc))
        }
        Value::Number(n) => DateTime::from_timestamp_millis(n.as_i64()?),
        _ => None,
    }
}

/// Why a refresh did not give a token.
enum Renewal {
    /// CJ refused the refresh token: log in again.
    Refused,
    /// No usable answer: try again later, keeping the refresh token.
    Failed(SupplierError),
}

/// The connector's only state: the current token pair, if any.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    slot: tokio::sync::Mutex<Option<Token>>,
}

impl TokenCache {
    /// An access token to use now: the cached one while it is fresh, else one from the
    /// refresh token, else one from a new login.
    pub(crate) async fn access_token(
        &self,
        transport: &Transport,
        api_key: &ApiKey,
    ) -> Result<String, SupplierError> {
        let mut slot = self.slot.lock().await;
        let now = Utc::now();
        if let Some(token) = slot.as_ref().filter(|t| t.access_usable(now)) {
            return Ok(token.access.clone());
        }
        let renewed = match slot.take() {
            Some(old) if old.refresh_usable(now) => match refresh(transport, &old.refresh).await {
                Ok(token) => {
                    tracing::debug!("cj: access token refreshed");
                    token
                }
                Err(Renewal::Refused) => {
                    tracing::info!("cj: refresh token refused, logging in again");
                    login(transport, api_key).await?
                }
                Err(Renewal::Failed(error)) => {
                    *slot = Some(old);
                    return Err(error);
                }
            },
            _ => login(transport, api_key).await?,
        };
        let access = renewed.access.clone();
        *slot = Some(renewed);
        Ok(access)
    }

    /// CJ refused `used`: unless another caller has already replaced it, mark it expired so
    /// the next caller refreshes (the refresh token is kept).
    pub(crate) async fn reject(&self, used: &str) {
        let mut slot = self.slot.lock().await;
        if let Some(token) = slot.as_mut().filter(|t| t.access == used) {
            token.access_expires = DateTime::<Utc>::MIN_UTC;
        }
    }

    /// The account's openId from the last token answer (CJ's webhook signing key).
    pub(crate) async fn open_id(&self) -> Option<String> {
        self.slot
            .lock()
            .await
            .as_ref()
            .and_then(|t| t.open_id.clone())
    }
}

async fn login(transport: &Transport, api_key: &ApiKey) -> Result<Token, SupplierError> {
    let call = Call::post(
        "authentication/getAccessToken",
        json!({ "apiKey": api_key.expose() }),
    );
    match transport.send(&call, None).await {
        Ok(data) => {
            tracing::info!("cj: obtained a new access token");
            Token::from_data(&data, Utc::now())
        }
        Err(CallError::Supplier(error)) => Err(error),
        // Any refusal of the API key needs a person: a wrong key does not fix itself.
        Err(CallError::Api { code, message }) => Err(SupplierError::Unauthorized(format!(
            "CJ refused the API key ({code}): {message}"
        ))),
    }
}

async fn refresh(transport: &Transport, refresh_token: &str) -> Result<Token, Renewal> {
    let call = Call::post(
        "authentication/refreshAccessToken",
        json!({ "refreshToken": refresh_token }),
    );
    match transport.send(&call, None).await {
        Ok(data) => Token::from_data(&data, Utc::now()).map_err(Renewal::Failed),
        Err(CallError::Api { .. }) => Err(Renewal::Refused),
        Err(CallError::Supplier(error)) => Err(Renewal::Failed(error)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_cj_dates_in_every_form() {
        let rfc = parse_cj_time(&json!("2021-08-18T09:16:33+08:00")).unwrap();
        assert_eq!(rfc.to_rfc3339(), "2021-08-18T01:16:33+00:00");
        let plain = parse_cj_time(&json!("2021-08-18 09:16:33")).unwrap();
        assert_eq!(plain, rfc);
        let millis = parse_cj_time(&json!(1_629_249_393_000i64)).unwrap();
        assert_eq!(millis, rfc);
        assert!(parse_cj_time(&json!("soon")).is_none());
        assert!(parse_cj_time(&json!(null)).is_none());
    }

    #[test]
    fn token_answers_are_read_and_never_shown() {
        let now = Utc::now();
        let data = json!({
            "openId": 1234567,
            "accessToken": "secret-access",
            "accessTokenExpiryDate": "2999-01-01T00:00:00+08:00",
            "refreshToken": "secret-refresh",
            "refreshTokenExpiryDate": "nonsense",
            "createDate": "2021-08-11T09:16:33+08:00"
        });
        let token = Token::from_data(&data, now).unwrap();
        assert!(token.access_usable(now));
        // An unreadable date falls back to CJ's documented 180 days.
        assert!(
            (token.refresh_expires - now - ChronoDuration::days(180))
                .num_seconds()
                .abs()
                < 5
        );
        assert_eq!(token.open_id.as_deref(), Some("1234567"));
        assert_eq!(token.access_margin, ChronoDuration::hours(1));
        let shown = format!("{token:?}");
        assert!(!shown.contains("secret"));
        assert!(Token::from_data(&json!({"accessToken": "a"}), now).is_err());
    }

    #[test]
    fn short_tokens_get_short_margins() {
        assert_eq!(
            margin(ChronoDuration::seconds(2)),
            ChronoDuration::milliseconds(200)
        );
        assert_eq!(margin(ChronoDuration::seconds(-5)), ChronoDuration::zero());
    }
}
