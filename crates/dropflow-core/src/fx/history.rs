//! The rate table as it stood at any moment: every change to a pair (set, or removed) with
//! the time it was recorded. A cost is converted with the table in force when it was incurred,
//! so setting a new rate later changes no figure already incurred.

use super::{FxRate, RateTable};
use crate::reference::currency::Currency;

/// One change to one pair: `rate` set at `at_ms`, or the pair removed (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateChange {
    pub at_ms: i64,
    pub base: Currency,
    pub quote: Currency,
    pub rate: Option<FxRate>,
}

/// Every recorded change, oldest first (equal times keep the order given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateHistory {
    changes: Vec<RateChange>,
}

impl RateHistory {
    pub fn new(mut changes: Vec<RateChange>) -> RateHistory {
        changes.sort_by_key(|c| c.at_ms);
        RateHistory { changes }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The table in force at `at_ms`: for each pair, its last change recorded at or before.
    pub fn table_at(&self, at_ms: i64) -> RateTable {
        let mut latest: Vec<&RateChange> = Vec::new();
        for change in self.changes.iter().take_while(|c| c.at_ms <= at_ms) {
            latest.retain(|c| !(c.base == change.base && c.quote == change.quote));
            latest.push(change);
        }
        let rates = latest
            .into_iter()
            .filter_map(|c| c.rate.clone())
            .filter(|r| r.base != r.quote)
            .collect();
        // Pairs are distinct and never a currency to itself, so the table always builds.
        RateTable::new(rates).unwrap_or_default()
    }
}
