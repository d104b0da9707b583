//! An order's profit, in the order's currency and exact minor units.
//!
//! **Revenue** is what the customer was charged for the goods and shipping: the lines less
//! discounts plus shipping, as placed (the store's total), with taxes kept apart.
//! **Costs**, each in its own currency and converted with the rate table in force when it was
//! incurred ([`RateHistory`]): the supplier's goods and shipping (what the wallet paid, net of
//! the supplier's refunds), warehouse fees, the payment provider's fee (the store's
//! [`FeeRule`]), refunds to the customer, chargebacks lost, and a manual vendor's earnings.
//!
//! A cost that is not known yet — a purchase not priced, a chargeback not decided, no fee rule,
//! no rate for its currency at its time — is named in [`OrderProfit::Incomplete`] instead of
//! being guessed, so no figure shown is wrong. What each fact costs is decided here too
//! ([`purchase_costs`], [`chargeback_cost`], [`refund_costs`]): storage only reads the facts.

use crate::after_sale::dispute::DisputeStatus;
use crate::fx::history::RateHistory;
use crate::fx::FxError;
use crate::money::Money;
use crate::procurement::SupplierOrderStatus;
use crate::reference::currency::Currency;
use serde::Serialize;
use std::collections::BTreeMap;

#[cfg(test)]
mod tests;

/// What a cost is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    /// The supplier's goods and shipping.
    Supplier,
    Warehouse,
    PaymentFee,
    Refund,
    Chargeback,
    /// A manual vendor's earnings for its purchase.
    Vendor,
}

impl CostKind {
    pub const ALL: [CostKind; 6] = [
        CostKind::Supplier,
        CostKind::Warehouse,
        CostKind::PaymentFee,
        CostKind::Refund,
        CostKind::Chargeback,
        CostKind::Vendor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CostKind::Supplier => "supplier",
            CostKind::Warehouse => "warehouse",
            CostKind::PaymentFee => "payment_fee",
            CostKind::Refund => "refund",
            CostKind::Chargeback => "chargeback",
            CostKind::Vendor => "vendor",
        }
    }
}

/// What the customer was charged, in minor units of the order's currency, as the store
/// placed the order: its total is lines less discounts plus shipping (plus taxes when they
/// come on top). Later refunds lower what the store shows as current, not this: they are
/// costs ([`CostKind::Refund`]), so nothing is counted twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Revenue {
    /// The store's order total as placed.
    pub total: i64,
    pub discounts: i64,
    pub shipping: i64,
    pub taxes: i64,
    /// Whether the line and shipping prices already contain `taxes`.
    pub taxes_included: bool,
}

impl Revenue {
    /// What the customer paid in all.
    pub fn charged(&self) -> i64 {
        self.total
    }

    /// Revenue: what was charged less taxes (inside the prices or on top, the total holds
    /// them either way).
    pub fn net(&self) -> i64 {
        self.total - self.taxes
    }

    /// The line prices as placed: the total less shipping and taxes on top, plus discounts.
    pub fn lines(&self) -> i64 {
        let on_top = if self.taxes_included { 0 } else { self.taxes };
        self.total - self.shipping - on_top + self.discounts
    }
}

/// One cost, in the currency it was incurred in (negative: money that came back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cost {
    pub kind: CostKind,
    pub amount: Money,
    pub incurred_at_ms: i64,
    /// What it is for ("supplier order so_…", "package pk_…"), for the one who reads it.
    pub what: String,
}

/// A cost not known yet, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Missing {
    /// The amount is not known yet (a purchase the supplier has not priced).
    NotPriced { kind: CostKind, what: String },
    /// The outcome is not decided yet (a chargeback under review).
    Undecided { kind: CostKind, what: String },
    /// No payment-fee rule is set for the store.
    NoFeeRule,
    /// No rate between the cost's currency and the order's was recorded when it was incurred.
    NoRate {
        kind: CostKind,
        what: String,
        from: String,
        to: String,
    },
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::NotPriced { what, .. } => write!(f, "{what}: not priced yet"),
            Missing::Undecided { what, .. } => write!(f, "{what}: not decided yet"),
            Missing::NoFeeRule => f.write_str("payment fee: no rule set for the store"),
            Missing::NoRate { what, from, to, .. } => write!(
                f,
                "{what}: no {from}→{to} exchange rate was recorded when it was incurred"
            ),
        }
    }
}

/// A cost, or why it is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Known(Cost),
    Missing(Missing),
}

/// The figures of an order whose costs are all known, in its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profit {
    pub currency: Currency,
    pub revenue: i64,
    pub taxes: i64,
    /// Every kind, zero when none.
    pub costs: BTreeMap<CostKind, i64>,
    pub cost_total: i64,
    /// revenue − cost_total.
    pub profit: i64,
}

/// An order's profit, or what is missing to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderProfit {
    Complete(Profit),
    Incomplete { missing: Vec<Missing> },
}

/// The order's profit: `revenue` less every cost of `items`, each converted into `currency`
/// with the table `rates` held when it was incurred (rounded half away from zero, once per
/// cost). Any missing item, or a cost without a rate, makes it incomplete and named.
pub fn compute(
    currency: Currency,
    revenue: &Revenue,
    items: &[Item],
    rates: &RateHistory,
) -> OrderProfit {
    let mut costs: BTreeMap<CostKind, i64> = CostKind::ALL.iter().map(|k| (*k, 0)).collect();
    let mut missing = Vec::new();
    for item in items {
        let cost = match item {
            Item::Known(cost) => cost,
            Item::Missing(m) => {
                missing.push(m.clone());
                continue;
            }
        };
        let converted = if cost.amount.currency == currency {
            Ok(cost.amount)
        } else {
            rates
                .table_at(cost.incurred_at_ms)
                .convert(cost.amount, currency)
        };
        match converted {
            Ok(amount) => *costs.entry(cost.kind).or_default() += amount.minor,
            Err(FxError::NoRate { from, to }) => missing.push(Missing::NoRate {
                kind: cost.kind,
                what: cost.what.clone(),
                from: from.code().to_string(),
                to: to.code().to_string(),
            }),
            // Too large to convert: not a figure anyone can use, so named rather than shown.
            Err(_) => missing.push(Missing::NotPriced {
                kind: cost.kind,
                what: cost.what.clone(),
            }),
        }
    }
    if !missing.is_empty() {
        return OrderProfit::Incomplete { missing };
    }
    let cost_total = costs.values().sum();
    let revenue_net = revenue.net();
    OrderProfit::Complete(Profit {
        currency,
        revenue: revenue_net,
        taxes: revenue.taxes,
        costs,
        cost_total,
        profit: revenue_net - cost_total,
    })
}

/// A payment provider's fee: `percent_bps` basis points of what the customer paid plus a
/// fixed amount per order (`2.9% + 0.30 USD` is 290 bps and 30 USD minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeeRule {
    pub percent_bps: u32,
    pub fixed: Money,
}

/// Why a fee rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeRuleError {
    #[error("percent_bps: must be between 0 and {MAX_FEE_BPS} (basis points: 290 is 2.9 %)")]
    Percent,
    #[error("fixed_minor: must be between 0 and {MAX_FIXED_MINOR}")]
    Fixed,
}

/// 100 %: a fee above it is a typo, not a rule.
pub const MAX_FEE_BPS: u32 = 10_000;
/// A fixed fee above a million major units of any currency is a typo too.
pub const MAX_FIXED_MINOR: i64 = 100_000_000_000;

impl FeeRule {
    pub fn new(percent_bps: u32, fixed: Money) -> Result<FeeRule, FeeRuleError> {
        if percent_bps > MAX_FEE_BPS {
            return Err(FeeRuleError::Percent);
        }
        if !(0..=MAX_FIXED_MINOR).contains(&fixed.minor) {
            return Err(FeeRuleError::Fixed);
        }
        Ok(FeeRule { percent_bps, fixed })
    }

    /// The fee on `charged`, paid at `at_ms`: the percent part in the order's currency
    /// (rounded half away from zero) and the fixed part in its own (converted like any cost).
    pub fn costs(&self, charged: Money, at_ms: i64) -> Vec<Cost> {
        let percent = divide_half_away(
            i128::from(charged.minor) * i128::from(self.percent_bps),
            10_000,
        );
        let cost = |amount: Money| Cost {
            kind: CostKind::PaymentFee,
            amount,
            incurred_at_ms: at_ms,
            what: "payment fee".into(),
        };
        [Money::new(percent, charged.currency), self.fixed]
            .into_iter()
            .filter(|m| m.minor != 0)
            .map(cost)
            .collect()
    }
}

/// `n / d` for `d > 0`, rounded half away from zero (`n` within `i64` after division).
fn divide_half_away(n: i128, d: i128) -> i64 {
    let quotient = n / d;
    let twice_rest = (n % d).abs() * 2;
    let rounded = if twice_rest >= d {
        quotient + n.signum()
    } else {
        quotient
    };
    i64::try_from(rounded).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

/// A movement of money at a time (a ledger posting, an earning, a charge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub amount: Money,
    pub at_ms: i64,
}

/// What is known of one purchase of the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    /// "supplier order so_…" — how a missing cost names it.
    pub what: String,
    pub status: SupplierOrderStatus,
    /// The supplier's price (goods and shipping), once known.
    pub priced: Option<Money>,
    pub created_at_ms: i64,
    /// What the wallet paid for it, net of refunds: its ledger `spent` postings.
    pub spent: Vec<Movement>,
    /// A manual vendor's purchase: its earning once delivered, and the cases' charges.
    pub vendor: Option<VendorSide>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorSide {
    pub earning: Option<Movement>,
    pub charges: Vec<Movement>,
}

fn known(kind: CostKind, what: &str, m: &Movement) -> Item {
    Item::Known(Cost {
        kind,
        amount: m.amount,
        incurred_at_ms: m.at_ms,
        what: what.to_string(),
    })
}

/// What one purchase costs. Money the wallet paid (net of the supplier's refunds) is the
/// supplier cost as incurred; a manual vendor's earning (less the cases' charges) is the
/// vendor cost; a purchase still going and not paid yet costs its price, or is named as not
/// priced; a refused or cancelled one that never took money costs nothing.
pub fn purchase_costs(p: &Purchase) -> Vec<Item> {
    if !p.spent.is_empty() {
        return p
            .spent
            .iter()
            .map(|m| known(CostKind::Supplier, &p.what, m))
            .collect();
    }
    let dropped = matches!(
        p.status,
        SupplierOrderStatus::Rejected | SupplierOrderStatus::Cancelled
    );
    let (kind, earned) = match &p.vendor {
        Some(v) => (CostKind::Vendor, v),
        None => (CostKind::Supplier, &VendorSide::default()),
    };
    let mut items: Vec<Item> = earned
        .charges
        .iter()
        .map(|m| {
            known(
                kind,
                &p.what,
                &Movement {
                    amount: Money::new(-m.amount.minor, m.amount.currency),
                    at_ms: m.at_ms,
                },
            )
        })
        .collect();
    if let Some(earning) = &earned.earning {
        items.push(known(kind, &p.what, earning));
    } else if !dropped {
        items.push(match p.priced {
            Some(price) => known(
                kind,
                &p.what,
                &Movement {
                    amount: price,
                    at_ms: p.created_at_ms,
                },
            ),
            None => Item::Missing(Missing::NotPriced {
                kind,
                what: p.what.clone(),
            }),
        });
    }
    items
}

/// What a payment dispute costs: a chargeback lost, accepted or refunded costs its amount
/// (at `decided_at_ms`); won or prevented nothing; one still open is undecided. An inquiry
/// moves no money.
pub fn chargeback_cost(
    what: &str,
    is_chargeback: bool,
    status: &DisputeStatus,
    amount: Money,
    decided_at_ms: i64,
) -> Option<Item> {
    if !is_chargeback {
        return None;
    }
    match status {
        DisputeStatus::Lost | DisputeStatus::Accepted | DisputeStatus::ChargeRefunded => {
            Some(known(
                CostKind::Chargeback,
                what,
                &Movement {
                    amount,
                    at_ms: decided_at_ms,
                },
            ))
        }
        DisputeStatus::Won | DisputeStatus::Prevented => None,
        DisputeStatus::NeedsResponse | DisputeStatus::UnderReview | DisputeStatus::Other(_) => {
            Some(Item::Missing(Missing::Undecided {
                kind: CostKind::Chargeback,
                what: what.to_string(),
            }))
        }
    }
}

/// The refunds a case made to the customer, each a cost at the case's time.
pub fn refund_costs(what: &str, refunds: &[crate::after_sale::Movement], at_ms: i64) -> Vec<Item> {
    refunds
        .iter()
        .map(|r| {
            known(
                CostKind::Refund,
                what,
                &Movement {
                    amount: r.amount,
                    at_ms,
                },
            )
        })
        .collect()
}

/// `total` shared in proportion to `weights` (each ≥ 0), exactly: the parts sum to `total`.
/// Largest remainder, ties to the first; all weights zero share equally.
pub fn share(total: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let weights: Vec<i128> = if weights.iter().all(|w| *w <= 0) {
        vec![1; weights.len()]
    } else {
        weights.iter().map(|w| i128::from((*w).max(0))).collect()
    };
    let sum: i128 = weights.iter().sum();
    let total_wide = i128::from(total);
    let mut parts: Vec<i128> = weights.iter().map(|w| total_wide * w / sum).collect();
    let mut rests: Vec<(i128, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| ((total_wide * w % sum).abs(), i))
        .collect();
    rests.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = total_wide - parts.iter().sum::<i128>();
    let step = left.signum();
    for (_, i) in rests.iter().take(usize::try_from(left.abs()).unwrap_or(0)) {
        parts[*i] += step;
    }
    parts
        .into_iter()
        .map(|p| i64::try_from(p).unwrap_or(0))
        .collect()
}

impl Profit {
    /// The figures shared over parts in proportion to `weights` (products by line value,
    /// suppliers by what each cost): every figure of the parts sums to this one's.
    pub fn split(&self, weights: &[i64]) -> Vec<Profit> {
        let revenue = share(self.revenue, weights);
        let taxes = share(self.taxes, weights);
        let costs: BTreeMap<CostKind, Vec<i64>> = self
            .costs
            .iter()
            .map(|(k, v)| (*k, share(*v, weights)))
            .collect();
        (0..weights.len())
            .map(|i| {
                let part_costs: BTreeMap<CostKind, i64> =
                    costs.iter().map(|(k, v)| (*k, v[i])).collect();
                let cost_total = part_costs.values().sum();
                Profit {
                    currency: self.currency,
                    revenue: revenue[i],
                    taxes: taxes[i],
                    costs: part_costs,
                    cost_total,
                    profit: revenue[i] - cost_total,
                }
            })
            .collect()
    }
}

/// The sum of several orders' figures in one currency, and how many orders were left out
/// because a cost of theirs is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub currency: Currency,
    pub orders: u64,
    pub incomplete: u64,
    pub revenue: i64,
    pub taxes: i64,
    pub costs: BTreeMap<CostKind, i64>,
    pub cost_total: i64,
    pub profit: i64,
}

impl Totals {
    pub fn new(currency: Currency) -> Totals {
        Totals {
            currency,
            orders: 0,
            incomplete: 0,
            revenue: 0,
            taxes: 0,
            costs: CostKind::ALL.iter().map(|k| (*k, 0)).collect(),
            cost_total: 0,
            profit: 0,
        }
    }

    pub fn add(&mut self, p: &Profit) {
        self.orders += 1;
        self.revenue += p.revenue;
        self.taxes += p.taxes;
        for (kind, v) in &p.costs {
            *self.costs.entry(*kind).or_default() += v;
        }
        self.cost_total += p.cost_total;
        self.profit += p.profit;
    }

    pub fn add_incomplete(&mut self) {
        self.incomplete += 1;
    }
}
