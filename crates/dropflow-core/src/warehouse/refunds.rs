//! Refund rules as data, by how far a warehouse order got, and the refund they give.
//!
//! Rounding: each part's share is rounded *down* to the minor unit (a refund never exceeds
//! what was paid); the fixed deduction is then taken from the sum, never below zero.

use crate::money::Money;
use crate::reference::currency::Currency;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The sample rules shipped with dropflow (`data/warehouse/refunds.toml`).
pub const DEFAULT_REFUNDS_TOML: &str = include_str!("../../data/warehouse/refunds.toml");

/// How far the order got when the refund is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStage {
    BeforePurchase,
    AfterPurchaseBeforeShipping,
    AfterShipping,
}

impl RefundStage {
    /// How far goods got: not bought yet, bought and still here, or sent abroad.
    pub fn reached(bought: bool, shipped_abroad: bool) -> RefundStage {
        match (bought, shipped_abroad) {
            (_, true) => RefundStage::AfterShipping,
            (true, false) => RefundStage::AfterPurchaseBeforeShipping,
            (false, false) => RefundStage::BeforePurchase,
        }
    }

    pub const ALL: [RefundStage; 3] = [
        RefundStage::BeforePurchase,
        RefundStage::AfterPurchaseBeforeShipping,
        RefundStage::AfterShipping,
    ];
}

/// What one stage refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRule {
    pub stage: RefundStage,
    pub product_percent: u32,
    pub shipping_percent: u32,
    pub service_fee_percent: u32,
    /// Kept from the refund, minor units of the rules' currency.
    #[serde(default)]
    pub deduction: i64,
    #[serde(default)]
    pub deduction_label: String,
    /// The same deduction for refunds paid in other currencies, minor units by ISO code (the
    /// goods are refunded in the currency they were bought in, e.g. CNY at the marketplace;
    /// no exchange rate is guessed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deductions_by_currency: BTreeMap<String, i64>,
}

impl RefundRule {
    /// The fixed deduction in `currency`: the rules' own, the one given for it, or none at all
    /// when the rule keeps nothing (zero is zero in every currency).
    fn deduction_in(&self, rules: Currency, currency: Currency) -> Option<i64> {
        if currency == rules || self.deduction == 0 {
            return Some(
                self.deductions_by_currency
                    .get(currency.code())
                    .copied()
                    .unwrap_or(self.deduction),
            );
        }
        self.deductions_by_currency.get(currency.code()).copied()
    }
}

/// One rule per stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRules {
    pub currency: Currency,
    #[serde(rename = "rule")]
    pub rules: Vec<RefundRule>,
}

/// What the merchant paid for the order's warehouse leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paid {
    pub product: Money,
    pub shipping: Money,
    pub service_fee: Money,
}

/// The refund, part by part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundBreakdown {
    pub stage: RefundStage,
    pub product: Money,
    pub shipping: Money,
    pub service_fee: Money,
    /// What was actually kept of the fixed deduction (no more than the parts' sum).
    pub deduction: Money,
    pub deduction_label: String,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("the refund rules cannot be read: {0}")]
    Syntax(String),
    #[error("the refund rules are invalid: {0}")]
    Invalid(String),
    #[error("no refund rule for stage {0:?}")]
    NoRule(RefundStage),
    #[error("paid amounts are in {paid}, the rules in {rules}")]
    CurrencyMismatch { paid: String, rules: String },
    #[error("a paid amount is negative")]
    NegativePaid,
    #[error(
        "the {stage:?} rule names no deduction in {currency}: add `deductions_by_currency = \
         {{ {currency} = <minor units> }}` to it"
    )]
    NoDeductionIn {
        stage: RefundStage,
        currency: String,
    },
}

impl RefundRules {
    pub fn from_toml(text: &str) -> Result<RefundRules, RefundError> {
        let rules: RefundRules =
            toml::from_str(text).map_err(|e| RefundError::Syntax(e.to_string()))?;
        rules.validate()?;
        Ok(rules)
    }

    pub fn defaults() -> Result<RefundRules, RefundError> {
        RefundRules::from_toml(DEFAULT_REFUNDS_TOML)
    }

    /// Exactly one rule per stage, percentages 0–100, no negative deduction.
    pub fn validate(&self) -> Result<(), RefundError> {
        let mut problems = Vec::new();
        for stage in RefundStage::ALL {
            let n = self.rules.iter().filter(|r| r.stage == stage).count();
            if n != 1 {
                problems.push(format!("{stage:?} has {n} rules (exactly one needed)"));
            }
        }
        for r in &self.rules {
            for (name, p) in [
                ("product_percent", r.product_percent),
                ("shipping_percent", r.shipping_percent),
                ("service_fee_percent", r.service_fee_percent),
            ] {
                if p > 100 {
                    problems.push(format!("{:?}: {name} {p} is above 100", r.stage));
                }
            }
            if r.deduction < 0 {
                problems.push(format!("{:?}: deduction is negative", r.stage));
            }
            for (code, amount) in &r.deductions_by_currency {
                match Currency::from_code(code) {
                    Err(_) => problems.push(format!(
                        "{:?}: deductions_by_currency: {code:?} is not an ISO 4217 code",
                        r.stage
                    )),
                    Ok(c) if c == self.currency => problems.push(format!(
                        "{:?}: deductions_by_currency repeats the rules' currency {code} \
                         (use `deduction`)",
                        r.stage
                    )),
                    Ok(_) if *amount < 0 => problems.push(format!(
                        "{:?}: deductions_by_currency: {code} is negative",
                        r.stage
                    )),
                    Ok(_) => {}
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RefundError::Invalid(problems.join("; ")))
        }
    }

    /// The rule for `stage`, once `paid` is known not to be negative.
    fn rule_for(&self, stage: RefundStage, paid: Money) -> Result<&RefundRule, RefundError> {
        if paid.minor < 0 {
            return Err(RefundError::NegativePaid);
        }
        self.rules
            .iter()
            .find(|r| r.stage == stage)
            .ok_or(RefundError::NoRule(stage))
    }

    /// The refund of goods alone (one returned item, a purchase cancelled at the warehouse):
    /// the rule's product share of `goods`, less its fixed deduction, in the currency the
    /// goods were paid in. No shipping or service fee is part of it.
    pub fn refund_goods(
        &self,
        stage: RefundStage,
        goods: Money,
    ) -> Result<RefundBreakdown, RefundError> {
        let rule = self.rule_for(stage, goods)?;
        let currency = goods.currency;
        let deduction = rule.deduction_in(self.currency, currency).ok_or_else(|| {
            RefundError::NoDeductionIn {
                stage,
                currency: currency.code().to_string(),
            }
        })?;
        let product = share(goods.minor, rule.product_percent);
        let kept = deduction.clamp(0, product);
        Ok(RefundBreakdown {
            stage,
            product: Money::new(product, currency),
            shipping: Money::new(0, currency),
            service_fee: Money::new(0, currency),
            deduction: Money::new(kept, currency),
            deduction_label: rule.deduction_label.clone(),
            total: Money::new(product - kept, currency),
        })
    }

    /// The refund of an international shipping fee at `stage`: the rule's shipping share, in
    /// the fee's currency, with no deduction (the deduction is the goods' return postage).
    pub fn refund_shipping_fee(
        &self,
        stage: RefundStage,
        fee: Money,
    ) -> Result<RefundBreakdown, RefundError> {
        let rule = self.rule_for(stage, fee)?;
        let currency = fee.currency;
        let shipping = share(fee.minor, rule.shipping_percent);
        Ok(RefundBreakdown {
            stage,
            product: Money::new(0, currency),
            shipping: Money::new(shipping, currency),
            service_fee: Money::new(0, currency),
            deduction: Money::new(0, currency),
            deduction_label: String::new(),
            total: Money::new(shipping, currency),
        })
    }

    /// The refund for `paid` at `stage`.
    pub fn refund_for(
        &self,
        stage: RefundStage,
        paid: &Paid,
    ) -> Result<RefundBreakdown, RefundError> {
        let rule = self
            .rules
            .iter()
            .find(|r| r.stage == stage)
            .ok_or(RefundError::NoRule(stage))?;
        let currency = self.currency;
        for part in [paid.product, paid.shipping, paid.service_fee] {
            if part.currency != currency {
                return Err(RefundError::CurrencyMismatch {
                    paid: part.currency.code().to_string(),
                    rules: currency.code().to_string(),
                });
            }
            if part.minor < 0 {
                return Err(RefundError::NegativePaid);
            }
        }
        let product = share(paid.product.minor, rule.product_percent);
        let shipping = share(paid.shipping.minor, rule.shipping_percent);
        let service_fee = share(paid.service_fee.minor, rule.service_fee_percent);
        let gross = product.saturating_add(shipping).saturating_add(service_fee);
        let deduction = rule.deduction.clamp(0, gross);
        Ok(RefundBreakdown {
            stage,
            product: Money::new(product, currency),
            shipping: Money::new(shipping, currency),
            service_fee: Money::new(service_fee, currency),
            deduction: Money::new(deduction, currency),
            deduction_label: rule.deduction_label.clone(),
            total: Money::new(gross - deduction, currency),
        })
    }
}

/// `percent` of `minor`, rounded down (i128 avoids overflow; both factors are non-negative).
fn share(minor: i64, percent: u32) -> i64 {
    i64::try_from(i128::from(minor) * i128::from(percent.min(100)) / 100).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::from_code("USD").unwrap())
    }

    fn paid(product: i64, shipping: i64, fee: i64) -> Paid {
        Paid {
            product: usd(product),
            shipping: usd(shipping),
            service_fee: usd(fee),
        }
    }

    #[test]
    fn default_rules_by_stage() {
        let rules = RefundRules::defaults().unwrap();
        let p = paid(2599, 1150, 199);
        let before = rules.refund_for(RefundStage::BeforePurchase, &p).unwrap();
        assert_eq!(before.total, usd(2599 + 1150 + 199));
        let bought = rules
            .refund_for(RefundStage::AfterPurchaseBeforeShipping, &p)
            .unwrap();
        assert_eq!(bought.service_fee, usd(0));
        assert_eq!(bought.deduction, usd(150));
        assert_eq!(bought.total, usd(2599 + 1150 - 150));
        let shipped = rules.refund_for(RefundStage::AfterShipping, &p).unwrap();
        // 50 % of 2599 = 1299.5, rounded down.
        assert_eq!(shipped.product, usd(1299));
        assert_eq!(shipped.total, usd(1299));
    }

    #[test]
    fn deduction_never_makes_a_refund_negative() {
        let rules = RefundRules::defaults().unwrap();
        let r = rules
            .refund_for(RefundStage::AfterPurchaseBeforeShipping, &paid(100, 0, 0))
            .unwrap();
        assert_eq!(r.deduction, usd(100));
        assert_eq!(r.total, usd(0));
    }

    #[test]
    fn wrong_currency_and_bad_rules_are_refused() {
        let rules = RefundRules::defaults().unwrap();
        let mut p = paid(1, 1, 1);
        p.shipping = Money::new(1, Currency::from_code("EUR").unwrap());
        assert!(matches!(
            rules.refund_for(RefundStage::AfterShipping, &p),
            Err(RefundError::CurrencyMismatch { .. })
        ));
        let text = DEFAULT_REFUNDS_TOML.replace("product_percent = 50", "product_percent = 150");
        assert!(matches!(
            RefundRules::from_toml(&text),
            Err(RefundError::Invalid(m)) if m.contains("above 100")
        ));
        let missing = "currency = \"USD\"\n[[rule]]\nstage = \"after_shipping\"\nproduct_percent = 1\nshipping_percent = 0\nservice_fee_percent = 0\n";
        assert!(matches!(
            RefundRules::from_toml(missing),
            Err(RefundError::Invalid(m)) if m.contains("BeforePurchase has 0 rules")
        ));
    }

    #[test]
    fn goods_are_refunded_in_their_own_currency_with_that_currency_s_deduction() {
        let rules = RefundRules::defaults().unwrap();
        let cny = |minor| Money::new(minor, Currency::from_code("CNY").unwrap());
        let r = rules
            .refund_goods(RefundStage::AfterPurchaseBeforeShipping, cny(4_590))
            .unwrap();
        assert_eq!(r.product, cny(4_590));
        assert_eq!(r.deduction, cny(1_000));
        assert_eq!(r.total, cny(3_590));
        assert_eq!(r.shipping, cny(0));
        // In the rules' own currency the plain deduction applies.
        let usd_goods = rules
            .refund_goods(RefundStage::AfterPurchaseBeforeShipping, usd(2_599))
            .unwrap();
        assert_eq!(usd_goods.total, usd(2_599 - 150));
        // Half back after shipping, rounded down; before purchase all of it.
        let shipped = rules
            .refund_goods(RefundStage::AfterShipping, cny(999))
            .unwrap();
        assert_eq!(shipped.total, cny(499));
        let before = rules
            .refund_goods(RefundStage::BeforePurchase, cny(999))
            .unwrap();
        assert_eq!(before.total, cny(999));
        // A currency the rules do not name: said, not guessed.
        let eur = Money::new(100, Currency::from_code("EUR").unwrap());
        assert!(matches!(
            rules.refund_goods(RefundStage::AfterPurchaseBeforeShipping, eur),
            Err(RefundError::NoDeductionIn { currency, .. }) if currency == "EUR"
        ));
    }

    #[test]
    fn shipping_fees_come_back_until_the_parcel_leaves() {
        let rules = RefundRules::defaults().unwrap();
        let fee = usd(1_290);
        let here = rules
            .refund_shipping_fee(RefundStage::AfterPurchaseBeforeShipping, fee)
            .unwrap();
        assert_eq!((here.total, here.deduction), (fee, usd(0)));
        let gone = rules
            .refund_shipping_fee(RefundStage::AfterShipping, fee)
            .unwrap();
        assert_eq!(gone.total, usd(0));
        assert_eq!(
            RefundStage::reached(true, false),
            RefundStage::AfterPurchaseBeforeShipping
        );
        assert_eq!(
            RefundStage::reached(false, false),
            RefundStage::BeforePurchase
        );
        assert_eq!(RefundStage::reached(true, true), RefundStage::AfterShipping);
    }

    #[test]
    fn deductions_by_currency_are_validated() {
        let bad = DEFAULT_REFUNDS_TOML.replace("CNY = 1000", "XYZ = 1000");
        assert!(matches!(
            RefundRules::from_toml(&bad),
            Err(RefundError::Invalid(m)) if m.contains("\"XYZ\" is not an ISO 4217 code")
        ));
        let negative = DEFAULT_REFUNDS_TOML.replace("CNY = 1000", "CNY = -1");
        assert!(matches!(
            RefundRules::from_toml(&negative),
            Err(RefundError::Invalid(m)) if m.contains("CNY is negative")
        ));
    }

    proptest! {
        #[test]
        fn refunds_never_exceed_what_was_paid(
            product in 0i64..1_000_000, shipping in 0i64..100_000, fee in 0i64..10_000,
            pp in 0u32..=100, sp in 0u32..=100, fp in 0u32..=100, deduction in 0i64..5_000,
        ) {
            let rules = RefundRules {
                currency: Currency::from_code("USD").unwrap(),
                rules: RefundStage::ALL.iter().map(|s| RefundRule {
                    stage: *s, product_percent: pp, shipping_percent: sp,
                    service_fee_percent: fp, deduction, deduction_label: String::new(),
                    deductions_by_currency: BTreeMap::new(),
                }).collect(),
            };
            for stage in RefundStage::ALL {
                let r = rules.refund_for(stage, &paid(product, shipping, fee)).unwrap();
                prop_assert!(r.total.minor >= 0);
                prop_assert!(r.total.minor <= product + shipping + fee);
                prop_assert!(r.product.minor <= product);
                prop_assert_eq!(r.total.minor, r.product.minor + r.shipping.minor + r.service_fee.minor - r.deduction.minor);
            }
        }
    }
}
