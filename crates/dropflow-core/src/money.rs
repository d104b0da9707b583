//! Amounts are `i64` minor units (cents) with the currency's ISO 4217 exponent; store payloads
//! send decimal strings ("598.94") or JSON numbers, parsed exactly without going through `f64`.

use crate::reference::currency::Currency;
use serde::{Deserialize, Serialize};

/// An exact amount of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Amount in the currency's minor unit (cents for USD, yen for JPY, fils for KWD).
    pub minor: i64,
    pub currency: Currency,
}

/// Why a decimal amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount {0:?} is not a decimal number")]
    NotANumber(String),
    #[error("amount {amount:?} has more decimals than {currency} allows ({allowed})")]
    TooPrecise {
        amount: String,
        currency: String,
        allowed: u8,
    },
    #[error("amount {0:?} is too large")]
    Overflow(String),
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// Parses a decimal string such as `"598.94"`, `"-1.5"` or `"12"` exactly. Trailing zeros
    /// beyond the currency's exponent are accepted (`"10.000"` USD); other extra digits are an
    /// error rather than a silent rounding.
    pub fn parse_decimal(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        let text = amount.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
        {
            return Err(MoneyError::NotANumber(amount.to_string()));
        }
        let exponent = usize::from(currency.minor_units());
        let significant = frac_part.trim_end_matches('0');
        if significant.len() > exponent {
            return Err(MoneyError::TooPrecise {
                amount: amount.to_string(),
                currency: currency.code().to_string(),
                allowed: currency.minor_units(),
            });
        }
        let overflow = || MoneyError::Overflow(amount.to_string());
        let mut minor: i64 = 0;
        for b in int_part.bytes() {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        let frac_bytes = significant.as_bytes();
        for i in 0..exponent {
            let digit = frac_bytes.get(i).map_or(0, |b| i64::from(b - b'0'));
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(digit))
                .ok_or_else(overflow)?;
        }
        Ok(Money {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }

    /// The amount as a decimal string with exactly the currency's number of decimals.
    pub fn to_decimal_string(&self) -> String {
        let exponent = u32::from(self.currency.minor_units());
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(exponent);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exponent as usize
        )
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency.code())
    }
}
