//! The merchant's auto-pick rule over the carriers' quotes.
//!
//! Ties are broken the same way every time, so the same quotes always give the same choice:
//! by the rule's own key first, then price, then the slowest promised day, then the fastest,
//! then the service code (unique in a table).

use super::rates::Quote;
use serde::{Deserialize, Serialize};

/// How to choose a carrier without asking the merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum AutoPick {
    Cheapest,
    /// The smallest promised maximum delivery time.
    Fastest,
    /// The cheapest whose maximum delivery time is at most `days`.
    CheapestWithin {
        days: u32,
    },
}

/// Why no quote was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoChoice {
    #[error("no carrier serves this parcel and destination")]
    NoQuotes,
    #[error("no carrier delivers within {days} days (fastest: {fastest_days_max} days)")]
    NoneWithin { days: u32, fastest_days_max: u32 },
    #[error("the quotes are in different currencies and cannot be compared")]
    MixedCurrencies,
}

/// The quote `rule` picks from `quotes`.
pub fn choose(rule: AutoPick, quotes: &[Quote]) -> Result<Quote, NoChoice> {
    let first = quotes.first().ok_or(NoChoice::NoQuotes)?;
    if quotes
        .iter()
        .any(|q| q.price.currency != first.price.currency)
    {
        return Err(NoChoice::MixedCurrencies);
    }
    let by_price = |q: &&Quote| (q.price.minor, q.days_max, q.days_min, q.code.clone());
    let by_speed = |q: &&Quote| (q.days_max, q.days_min, q.price.minor, q.code.clone());
    let chosen = match rule {
        AutoPick::Cheapest => quotes.iter().min_by_key(by_price),
        AutoPick::Fastest => quotes.iter().min_by_key(by_speed),
        AutoPick::CheapestWithin { days } => {
            let within = quotes
                .iter()
                .filter(|q| q.days_max <= days)
                .min_by_key(by_price);
            if within.is_none() {
                let fastest_days_max = quotes.iter().map(|q| q.days_max).min().unwrap_or(0);
                return Err(NoChoice::NoneWithin {
                    days,
                    fastest_days_max,
                });
            }
            within
        }
    };
    chosen.cloned().ok_or(NoChoice::NoQuotes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::reference::currency::Currency;
    use crate::warehouse::rates::PriceBreakdown;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    fn q(code: &str, price: i64, days_min: u32, days_max: u32) -> Quote {
        Quote {
            code: code.into(),
            carrier: code.into(),
            service: code.into(),
            price: Money::new(price, usd()),
            chargeable_weight_g: 500,
            days_min,
            days_max,
            breakdown: PriceBreakdown {
                base: price,
                fuel: 0,
                per_parcel: 0,
                surcharges: vec![],
            },
        }
    }

    fn sample() -> Vec<Quote> {
        vec![
            q("post", 900, 15, 30),
            q("line", 1200, 7, 12),
            q("express", 4500, 3, 5),
            q("special", 1200, 9, 16),
        ]
    }

    #[test]
    fn each_rule_picks_its_quote() {
        assert_eq!(choose(AutoPick::Cheapest, &sample()).unwrap().code, "post");
        assert_eq!(
            choose(AutoPick::Fastest, &sample()).unwrap().code,
            "express"
        );
        let within = AutoPick::CheapestWithin { days: 14 };
        assert_eq!(choose(within, &sample()).unwrap().code, "line");
        // Exactly at the limit counts as within.
        let at = AutoPick::CheapestWithin { days: 12 };
        assert_eq!(choose(at, &sample()).unwrap().code, "line");
    }

    #[test]
    fn no_quote_or_none_fast_enough() {
        assert_eq!(choose(AutoPick::Cheapest, &[]), Err(NoChoice::NoQuotes));
        assert_eq!(
            choose(AutoPick::CheapestWithin { days: 4 }, &sample()),
            Err(NoChoice::NoneWithin {
                days: 4,
                fastest_days_max: 5
            })
        );
    }

    #[test]
    fn ties_break_on_speed_then_code() {
        // Same price: the one with the smaller days_max wins.
        let quotes = vec![q("b", 1000, 9, 16), q("a", 1000, 7, 12)];
        assert_eq!(choose(AutoPick::Cheapest, &quotes).unwrap().code, "a");
        // Same price and days: code order.
        let quotes = vec![q("zz", 1000, 7, 12), q("aa", 1000, 7, 12)];
        assert_eq!(choose(AutoPick::Cheapest, &quotes).unwrap().code, "aa");
        assert_eq!(choose(AutoPick::Fastest, &quotes).unwrap().code, "aa");
    }

    #[test]
    fn mixed_currencies_are_refused() {
        let mut eur = q("eu", 100, 1, 2);
        eur.price = Money::new(100, Currency::from_code("EUR").unwrap());
        assert_eq!(
            choose(AutoPick::Cheapest, &[q("us", 100, 1, 2), eur]),
            Err(NoChoice::MixedCurrencies)
        );
    }

    proptest! {
        #[test]
        fn choice_is_order_independent_and_optimal(
            raw in proptest::collection::vec((1i64..5000, 1u32..20, 0u32..20), 1..8),
            days in 1u32..40,
        ) {
            let quotes: Vec<Quote> = raw.iter().enumerate()
                .map(|(i, (p, lo, span))| q(&format!("s{i}"), *p, *lo, lo + span))
                .collect();
            let mut reversed = quotes.clone();
            reversed.reverse();
            for rule in [AutoPick::Cheapest, AutoPick::Fastest, AutoPick::CheapestWithin { days }] {
                let a = choose(rule, &quotes);
                prop_assert_eq!(&a, &choose(rule, &reversed));
                if let Ok(chosen) = a {
                    match rule {
                        AutoPick::Cheapest => prop_assert!(quotes.iter().all(|o| o.price.minor >= chosen.price.minor)),
                        AutoPick::Fastest => prop_assert!(quotes.iter().all(|o| o.days_max >= chosen.days_max)),
                        AutoPick::CheapestWithin { days } => {
                            prop_assert!(chosen.days_max <= days);
                            prop_assert!(quotes.iter().filter(|o| o.days_max <= days).all(|o| o.price.minor >= chosen.price.minor));
                        }
                    }
                }
            }
        }
    }
}
