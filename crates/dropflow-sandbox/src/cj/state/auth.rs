//! Tokens (getAccessToken, refreshAccessToken, the `CJ-Access-Token` check) and the
//! per-second limit.

use super::{code, refuse, AuthCalls, Inner, Refusal, Shared};
use crate::cj::clock;
use crate::cj::orders;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

impl Shared {
    // ---- auth -------------------------------------------------------------------------

    /// `getAccessToken`: a new token pair for the right API key.
    pub(crate) fn login(&self, api_key: &str) -> Result<Value, Refusal> {
        let mut inner = self.lock();
        inner.auth_calls.get_access_token += 1;
        if api_key != self.config.api_key {
            return refuse(code::INVALID_TOKEN, "Invalid API key");
        }
        let min = self.config.login_min_interval;
        if let Some(last) = inner.last_login {
            if !min.is_zero() && last.elapsed() < min {
                return refuse(
                    code::TOO_MANY_REQUESTS,
                    "Too Many Requests, getAccessToken may be called once every 5 minutes",
                );
            }
        }
        inner.last_login = Some(Instant::now());
        Ok(self.issue(&mut inner))
    }

    /// `refreshAccessToken`: a new token pair for a live refresh token (which is used up).
    pub(crate) fn refresh(&self, refresh_token: &str) -> Result<Value, Refusal> {
        let mut inner = self.lock();
        inner.auth_calls.refresh_access_token += 1;
        let now = Utc::now();
        match inner.refresh_tokens.remove(refresh_token) {
            Some(expires) if expires > now => Ok(self.issue(&mut inner)),
            _ => refuse(code::INVALID_REFRESH_TOKEN, "Invalid refresh token"),
        }
    }

    fn issue(&self, inner: &mut Inner) -> Value {
        // CJ writes expiry dates to the second; the sandbox expires tokens at exactly the
        // written second, so client and server agree on when a token dies.
        let now = Utc::now();
        let truncate = |t: DateTime<Utc>| DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t);
        let access_expires = truncate(now + clock::chrono(self.config.access_token_ttl));
        let refresh_expires = truncate(now + clock::chrono(self.config.refresh_token_ttl));
        let access = token();
        let refresh = token();
        inner.access_tokens.insert(access.clone(), access_expires);
        inner
            .refresh_tokens
            .insert(refresh.clone(), refresh_expires);
        json!({
            "openId": self.config.open_id,
            "accessToken": access,
            "accessTokenExpiryDate": orders::cj_timestamp(access_expires),
            "refreshToken": refresh,
            "refreshTokenExpiryDate": orders::cj_timestamp(refresh_expires),
            "createDate": orders::cj_timestamp(now),
        })
    }

    /// `logout`: the token stops working.
    pub(crate) fn logout(&self, token: &str) {
        self.lock().access_tokens.remove(token);
    }

    /// Checks the `CJ-Access-Token` header of a call.
    pub(crate) fn check_token(&self, token: Option<&str>) -> Result<(), Refusal> {
        let mut inner = self.lock();
        let token = token.map(str::trim).unwrap_or_default();
        let verdict = if token.is_empty() {
            refuse(code::TOKEN_EMPTY, "CJ-Access-Token is empty")
        } else {
            match inner.access_tokens.get(token) {
                Some(expires) if *expires > Utc::now() => Ok(()),
                _ => refuse(code::INVALID_TOKEN, "Invalid API key or access token"),
            }
        };
        if verdict.is_err() {
            inner.auth_calls.rejected_tokens += 1;
        }
        verdict
    }

    pub(crate) fn auth_calls(&self) -> AuthCalls {
        self.lock().auth_calls
    }

    /// Every access token stops working; refresh tokens still do.
    pub(crate) fn revoke_access_tokens(&self) {
        self.lock().access_tokens.clear();
    }

    /// Every token stops working: only a new getAccessToken helps.
    pub(crate) fn revoke_all_tokens(&self) {
        let mut inner = self.lock();
        inner.access_tokens.clear();
        inner.refresh_tokens.clear();
    }

    /// Sets the daily quota (`None` = unlimited); calls made today still count.
    pub(crate) fn set_daily_quota(&self, quota: Option<u32>) {
        self.lock().daily_quota = quota;
    }

    // ---- rate limit -------------------------------------------------------------------

    /// Admits a call under the daily quota (1600201 once used up, until 00:00 UTC) and the
    /// per-second limit (a sliding one-second window, 1600200).
    pub(crate) fn admit(&self) -> Result<(), Refusal> {
        let mut inner = self.lock();
        if let Some(quota) = inner.daily_quota {
            let today = Utc::now().date_naive();
            if inner.quota_day != Some(today) {
                inner.quota_day = Some(today);
                inner.quota_used = 0;
            }
            if inner.quota_used >= quota {
                return refuse(
                    code::QUOTA_USED_UP,
                    "Quota has been used up, Sorry, you have reached the daily request limit",
                );
            }
            inner.quota_used += 1;
        }
        let Some(limit) = self.config.qps_limit else {
            return Ok(());
        };
        let now = Instant::now();
        while inner
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            inner.window.pop_front();
        }
        if inner.window.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            return refuse(
                code::TOO_MANY_REQUESTS,
                format!("Too Many Requests, the QPS limit of this account is {limit}"),
            );
        }
        inner.window.push_back(now);
        Ok(())
    }
}

/// A token: 32 random hex characters, like CJ's.
fn token() -> String {
    format!("{:032x}", rand::random::<u128>())
}
