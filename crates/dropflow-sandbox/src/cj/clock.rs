//! Sandbox time: real time multiplied by `time_scale`, plus any jumps a test asks for, so a
//! parcel can spend "eight days" in transit while a demo watches for a few seconds.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// A clock that starts at the real current time and runs `scale` times faster.
#[derive(Debug)]
pub(crate) struct SandboxClock {
    started_real: Instant,
    started_at: DateTime<Utc>,
    scale: f64,
    /// Jumps added by [`SandboxClock::advance`], in milliseconds.
    offset_ms: AtomicI64,
}

impl SandboxClock {
    pub(crate) fn new(scale: f64) -> Self {
        // A non-positive or non-finite scale would freeze or reverse time; treat it as real time.
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        SandboxClock {
            started_real: Instant::now(),
            started_at: Utc::now(),
            scale,
            offset_ms: AtomicI64::new(0),
        }
    }

    /// The current sandbox time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let real = self.started_real.elapsed().as_secs_f64();
        // Saturating float-to-int conversion; centuries of sandbox time still fit in i64 ms.
        let scaled_ms = (real * self.scale * 1000.0) as i64;
        let offset = self.offset_ms.load(Ordering::Relaxed);
        self.started_at + ChronoDuration::milliseconds(scaled_ms.saturating_add(offset))
    }

    /// Sandbox time since the clock started (jumps included).
    pub(crate) fn elapsed(&self) -> Duration {
        let scaled = self.started_real.elapsed().as_secs_f64() * self.scale;
        let offset = self.offset_ms.load(Ordering::Relaxed).max(0);
        Duration::from_secs_f64(scaled.min(1e12))
            + Duration::from_millis(u64::try_from(offset).unwrap_or(0))
    }

    /// The sandbox moment `t` after the clock started.
    pub(crate) fn at(&self, t: Duration) -> DateTime<Utc> {
        self.started_at + ChronoDuration::from_std(t).unwrap_or_default()
    }

    /// Moves sandbox time forward by `by` (sandbox time, not scaled).
    pub(crate) fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// `d` as a chrono duration, saturating instead of failing for absurd values.
pub(crate) fn chrono(d: Duration) -> ChronoDuration {
    ChronoDuration::milliseconds(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_time_runs_faster_and_jumps() {
        let clock = SandboxClock::new(3600.0);
        let t0 = clock.now();
        std::thread::sleep(Duration::from_millis(20));
        let t1 = clock.now();
        // 20 ms real at 3600x is at least 72 s of sandbox time.
        assert!(t1 - t0 >= ChronoDuration::seconds(70));
        clock.advance(Duration::from_secs(86_400));
        assert!(clock.now() - t1 >= ChronoDuration::days(1));
    }

    #[test]
    fn nonsense_scales_fall_back_to_real_time() {
        for scale in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let clock = SandboxClock::new(scale);
            assert!((clock.now() - Utc::now()).num_seconds().abs() < 5);
        }
    }
}
