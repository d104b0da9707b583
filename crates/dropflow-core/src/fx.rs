//! Exchange rates the operator sets, and exact conversion between currencies with them.
//!
//! A rate says "1 `base` = `rate` `quote`" (the ECB's convention: 1 EUR = 1.0690 USD), is a
//! decimal kept as digits (never `f64`), and carries where it came from and the day it holds
//! for. Conversion works in integers: `minor_to = minor_from × rate × 10^exp(to) /
//! 10^exp(from)`, with each currency's ISO 4217 exponent, and rounds **half away from zero**
//! to the target's minor unit, once, at the end. A pair without a rate (direct, inverse, or
//! crossed through a base both are quoted against) is an error, never a guess.

/// The ECB's euro reference-rate CSV (`eurofxref.csv`), read into rates.
pub mod ecb;
/// The table as it stood at any moment, for costs converted at the rate of their day.
pub mod history;

use crate::money::Money;
use crate::reference::currency::Currency;
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most digits a rate may have (before and after the point together): keeps every product
/// in [`RateTable::convert`] well inside `i128`.
const MAX_RATE_DIGITS: usize = 18;

/// A positive decimal, `units / 10^scale` (`"1.0690"` → 10690 / 10^4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    units: u64,
    scale: u32,
}

/// Why a rate, a table or a conversion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error("rate {0:?} is not a positive decimal number of at most 18 digits")]
    BadRate(String),
    #[error("a rate from {0} to itself is not a rate")]
    SameCurrency(Currency),
    #[error("no exchange rate between {from} and {to}")]
    NoRate { from: Currency, to: Currency },
    #[error("{0} is too large to convert")]
    Overflow(Money),
}

impl Rate {
    /// Parses `"1.0690"`, `"162.85"`, `"7"`: digits with at most one point, greater than zero.
    pub fn parse(text: &str) -> Result<Rate, FxError> {
        let bad = || FxError::BadRate(text.to_string());
        let trimmed = text.trim();
        let (int_part, frac_part) = trimmed.split_once('.').unwrap_or((trimmed, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() || !digits_only(int_part) || !digits_only(frac_part) {
            return Err(bad());
        }
        let frac_part = frac_part.trim_end_matches('0');
        let int_part = int_part.trim_start_matches('0');
        if int_part.len() + frac_part.len() > MAX_RATE_DIGITS {
            return Err(bad());
        }
        let units: u64 = format!("{int_part}{frac_part}0")
            .parse::<u64>()
            .map_err(|_| bad())?
            / 10;
        if units == 0 {
            return Err(bad());
        }
        let scale = u32::try_from(frac_part.len()).map_err(|_| bad())?;
        Ok(Rate { units, scale })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.units.to_string();
        let scale = self.scale as usize;
        if scale == 0 {
            return f.write_str(&digits);
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int_part, frac_part) = padded.split_at(padded.len() - scale);
        write!(f, "{int_part}.{frac_part}")
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Rate::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One rate: 1 `base` = `rate` `quote`, from `source`, holding for the day `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRate {
    pub base: Currency,
    pub quote: Currency,
    pub rate: Rate,
    /// Where the rate came from ("ECB euro reference rates", "operator").
    pub source: String,
    /// The day the rate is for.
    pub as_of: NaiveDate,
}

/// The rates in force: at most one per ordered pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateTable {
    rates: Vec<FxRate>,
}

/// `numerator / denominator`: how many major units of `to` one major unit of `from` is.
struct Ratio {
    numerator: i128,
    denominator: i128,
}

fn pow10(exponent: u32) -> i128 {
    10i128.pow(exponent)
}

impl RateTable {
    /// A table of `rates`; a later rate for the same pair replaces an earlier one.
    pub fn new(rates: Vec<FxRate>) -> Result<RateTable, FxError> {
        let mut table = RateTable::default();
        for rate in rates {
            if rate.base == rate.quote {
                return Err(FxError::SameCurrency(rate.base));
            }
            table
                .rates
                .retain(|r| !(r.base == rate.base && r.quote == rate.quote));
            table.rates.push(rate);
        }
        table
            .rates
            .sort_by(|a, b| (a.base.code(), a.quote.code()).cmp(&(b.base.code(), b.quote.code())));
        Ok(table)
    }

    pub fn rates(&self) -> &[FxRate] {
        &self.rates
    }

    fn find(&self, base: Currency, quote: Currency) -> Option<&FxRate> {
        self.rates
            .iter()
            .find(|r| r.base == base && r.quote == quote)
    }

    /// The ratio from `from` to `to`: the direct rate, else the inverse of the opposite
    /// rate, else crossed through the first base (in code order) quoting both.
    fn ratio(&self, from: Currency, to: Currency) -> Option<Ratio> {
        if from == to {
            return Some(Ratio {
                numerator: 1,
                denominator: 1,
            });
        }
        if let Some(r) = self.find(from, to) {
            return Some(Ratio {
                numerator: i128::from(r.rate.units),
                denominator: pow10(r.rate.scale),
            });
        }
        if let Some(r) = self.find(to, from) {
            return Some(Ratio {
                numerator: pow10(r.rate.scale),
                denominator: i128::from(r.rate.units),
            });
        }
        // 1 B = a FROM and 1 B = b TO, so 1 FROM = b / a TO.
        self.rates
            .iter()
            .filter(|a| a.quote == from)
            .find_map(|a| self.find(a.base, to).map(|b| (a, b)))
            .map(|(a, b)| Ratio {
                numerator: i128::from(b.rate.units) * pow10(a.rate.scale),
                denominator: pow10(b.rate.scale) * i128::from(a.rate.units),
            })
    }

    /// `amount` in `to`, rounded half away from zero to `to`'s minor unit.
    pub fn convert(&self, amount: Money, to: Currency) -> Result<Money, FxError> {
        if amount.currency == to {
            return Ok(amount);
        }
        let ratio = self.ratio(amount.currency, to).ok_or(FxError::NoRate {
            from: amount.currency,
            to,
        })?;
        let overflow = || FxError::Overflow(amount);
        let numerator = i128::from(amount.minor)
            .checked_mul(ratio.numerator)
            .and_then(|n| n.checked_mul(pow10(u32::from(to.minor_units()))))
            .ok_or_else(overflow)?;
        let denominator = ratio
            .denominator
            .checked_mul(pow10(u32::from(amount.currency.minor_units())))
            .ok_or_else(overflow)?;
        let minor = i64::try_from(divide_rounding_half_away(numerator, denominator))
            .map_err(|_| overflow())?;
        Ok(Money::new(minor, to))
    }
}

/// `n / d` for `d > 0`, rounded half away from zero.
fn divide_rounding_half_away(n: i128, d: i128) -> i128 {
    let quotient = n / d;
    let remainder = (n % d).abs();
    if remainder * 2 >= d {
        quotient + n.signum()
    } else {
        quotient
    }
}

#[cfg(test)]
mod tests;
