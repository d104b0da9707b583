//! Amounts the way WooCommerce takes and gives them: a numeric string or a JSON number in
//! (PHP's `is_numeric`, without exponents), `wc_format_decimal($n, $dp)` out (rounded half
//! away from zero, exactly `dp` decimals). WooCommerce computes in PHP floats; the sandbox
//! keeps millionths, exact for every currency's decimals, so its comparisons (a refund
//! against what is left) never disagree with the arithmetic because of binary rounding.

use serde_json::Value;

const SCALE: i64 = 1_000_000;
const SCALE_DIGITS: usize = 6;

/// An amount in millionths of the currency's unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Amount(pub i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// A numeric string (`"12.34"`, `"-5"`, `".5"`, `" 7 "`); `None` when PHP would not take
    /// it as a number, or it has non-zero digits past the sixth decimal.
    pub fn parse(text: &str) -> Option<Amount> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !numeric(whole) || !numeric(fraction) {
            return None;
        }
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > SCALE_DIGITS {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let padded = format!("{fraction:0<SCALE_DIGITS$}");
        let fraction: i64 = padded.parse().ok()?;
        let value = whole.checked_mul(SCALE)?.checked_add(fraction)?;
        Some(Amount(if negative { -value } else { value }))
    }

    /// A JSON string or number as an amount; `None` for anything else.
    pub fn from_json(value: &Value) -> Option<Amount> {
        match value {
            Value::String(s) => Amount::parse(s),
            // serde_json writes a float as the shortest text that reads back the same.
            Value::Number(n) => Amount::parse(&n.to_string()),
            _ => None,
        }
    }

    /// `wc_format_decimal($amount, $dp)`: rounded half away from zero, `dp` decimals.
    pub fn format(self, dp: u32) -> String {
        let dp = dp.min(SCALE_DIGITS as u32);
        let step = 10i64.pow(SCALE_DIGITS as u32 - dp);
        let abs = self.0.unsigned_abs() as i64;
        let units = (abs + step / 2) / step;
        let sign = if self.0 < 0 && units != 0 { "-" } else { "" };
        if dp == 0 {
            return format!("{sign}{units}");
        }
        let per = 10i64.pow(dp);
        format!(
            "{sign}{}.{:0width$}",
            units / per,
            units % per,
            width = dp as usize
        )
    }

    /// Rounded to `dp` decimals, still an amount (`get_remaining_refund_amount` rounds so).
    pub fn round(self, dp: u32) -> Amount {
        Amount::parse(&self.format(dp)).unwrap_or(self)
    }
}

impl std::ops::Add for Amount {
    type Output = Amount;
    fn add(self, other: Amount) -> Amount {
        Amount(self.0.saturating_add(other.0))
    }
}

impl std::ops::Sub for Amount {
    type Output = Amount;
    fn sub(self, other: Amount) -> Amount {
        Amount(self.0.saturating_sub(other.0))
    }
}

impl std::ops::Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Amount {
        Amount(-self.0)
    }
}

impl std::iter::Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_php_takes_for_a_number_and_formats_like_wc_format_decimal() {
        assert_eq!(Amount::parse("12.34"), Some(Amount(12_340_000)));
        assert_eq!(Amount::parse(" -5 "), Some(Amount(-5_000_000)));
        assert_eq!(Amount::parse(".5"), Some(Amount(500_000)));
        assert_eq!(Amount::parse("1.2340000"), Some(Amount(1_234_000)));
        assert_eq!(Amount::parse("abc"), None);
        assert_eq!(Amount::parse(""), None);
        assert_eq!(Amount::parse("1.2.3"), None);
        assert_eq!(Amount::from_json(&json!(21.99)), Some(Amount(21_990_000)));
        assert_eq!(Amount::from_json(&json!(1500)), Some(Amount(1_500_000_000)));
        assert_eq!(Amount::from_json(&json!(true)), None);
        assert_eq!(Amount(12_345_000).format(3), "12.345");
        assert_eq!(Amount(12_345_000).format(2), "12.35");
        assert_eq!(Amount(-12_345_000).format(2), "-12.35");
        assert_eq!(Amount(1_500_000_000).format(0), "1500");
        assert_eq!(Amount(10_000_000).format(2), "10.00");
        assert_eq!(Amount(-1).format(2), "0.00");
    }
}
