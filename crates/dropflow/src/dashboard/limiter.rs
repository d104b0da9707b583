//! Slows down password guessing: after too many failed logins for one e-mail address, or
//! from one network address, within a window, further attempts are refused without checking
//! the password until the window passes. In memory, per process: enough to make guessing
//! slow; a restart forgives (the argon2 cost still bounds the rate).
//!
//! Unknown and known e-mail addresses are counted alike, so the limiter reveals nothing
//! about which addresses exist.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per e-mail address within [`WINDOW`].
pub const PER_EMAIL: u32 = 5;
/// Failures allowed per network address within [`WINDOW`] (a shared office address tries
/// many accounts).
pub const PER_ADDRESS: u32 = 30;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys remembered at most: beyond this the oldest windows are dropped, so a flood of
/// made-up addresses cannot grow memory without bound.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    /// Whether a login for this e-mail from this address may be checked now.
    pub fn allows(&self, email: &str, address: Option<&str>, now: Instant) -> bool {
        let Ok(mut failures) = self.failures.lock() else {
            return true;
        };
        let under = |key: String, limit: u32, map: &mut HashMap<String, (Instant, u32)>| match map
            .get(&key)
        {
            Some((start, n)) if now.duration_since(*start) < WINDOW => *n < limit,
            Some(_) => {
                map.remove(&key);
                true
            }
            None => true,
        };
        let by_email = under(email_key(email), PER_EMAIL, &mut failures);
        let by_address = address
            .map(|a| under(address_key(a), PER_ADDRESS, &mut failures))
            .unwrap_or(true);
        by_email && by_address
    }

    /// Counts a failed login.
    pub fn failed(&self, email: &str, address: Option<&str>, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let mut bump = |key: String| {
            let entry = failures.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 += 1;
        };
        bump(email_key(email));
        if let Some(a) = address {
            bump(address_key(a));
        }
    }

    /// Forgets an e-mail's failures after a successful login.
    pub fn succeeded(&self, email: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&email_key(email));
        }
    }
}

fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_locked_after_its_failures_and_freed_by_the_window() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..PER_EMAIL {
            assert!(limiter.allows("a@b.co", Some("1.2.3.4"), t0));
            limiter.failed("A@b.co ", Some("1.2.3.4"), t0);
        }
        assert!(!limiter.allows("a@b.co", Some("1.2.3.4"), t0));
        // Another e-mail from the same address still may try.
        assert!(limiter.allows("c@d.co", Some("1.2.3.4"), t0));
        assert!(limiter.allows("a@b.co", None, t0 + WINDOW));
    }

    #[test]
    fn many_addresses_tried_from_one_place_lock_that_place() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..PER_ADDRESS {
            limiter.failed(&format!("u{i}@b.co"), Some("9.9.9.9"), t0);
        }
        assert!(!limiter.allows("new@b.co", Some("9.9.9.9"), t0));
        assert!(limiter.allows("new@b.co", Some("8.8.8.8"), t0));
    }

    #[test]
    fn success_forgets_the_e_mail() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..PER_EMAIL {
            limiter.failed("a@b.co", None, t0);
        }
        limiter.succeeded("a@b.co");
        assert!(limiter.allows("a@b.co", None, t0));
    }
}
