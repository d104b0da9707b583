use rand::Rng;
use std::time::Duration;

/// `base · 2^(attempt-1)`, capped, with "equal jitter": half the delay is fixed, half random,
/// so retries of many jobs that failed together (a supplier outage) spread out instead of
/// hammering the supplier in lockstep, yet never retry sooner than half the nominal delay.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(3600),
        }
    }
}

impl Backoff {
    /// The nominal delay after try number `attempt` (1-based), before jitter.
    pub fn nominal(&self, attempt: i64) -> Duration {
        let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.base
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// The delay to wait, jittered within [nominal/2, nominal].
    pub fn delay(&self, attempt: i64) -> Duration {
        let nominal = self.nominal(attempt);
        let half = nominal / 2;
        let jitter_ms = rand::thread_rng().gen_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_until_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(10),
        };
        assert_eq!(b.nominal(1), Duration::from_secs(1));
        assert_eq!(b.nominal(2), Duration::from_secs(2));
        assert_eq!(b.nominal(4), Duration::from_secs(8));
        assert_eq!(b.nominal(5), Duration::from_secs(10));
        assert_eq!(b.nominal(500), Duration::from_secs(10));
    }

    #[test]
    fn jitter_stays_between_half_and_the_whole_delay() {
        let b = Backoff::default();
        for attempt in 1..12 {
            let d = b.delay(attempt);
            assert!(
                d >= b.nominal(attempt) / 2 && d <= b.nominal(attempt) + Duration::from_millis(1)
            );
        }
    }
}
