//! Profit as the API shows it: amounts as decimal strings of the row's currency (the CSV
//! export writes the same strings), a missing cost named instead of a figure.

use crate::services::profit::{OrderFigure, ReportRow};
use dropflow_core::money::Money;
use dropflow_core::profit::{CostKind, FeeRule, Missing, OrderProfit as Outcome};
use dropflow_core::reference::currency::Currency;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Costs by kind, each a signed decimal string (negative: money that came back).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfitCosts {
    /// The supplier's goods and shipping (what the wallet paid, net of its refunds).
    supplier: String,
    /// Warehouse shipping fees (a package's fee shared by its orders).
    warehouse: String,
    /// The payment provider's fee, by the store's rule.
    payment_fee: String,
    /// Refunds to the customer from the after-sale cases.
    refund: String,
    /// Chargebacks lost, accepted or refunded.
    chargeback: String,
    /// A manual vendor's earnings, less what the cases charged it.
    vendor: String,
}

impl ProfitCosts {
    fn of(costs: &BTreeMap<CostKind, i64>, currency: Currency) -> ProfitCosts {
        let get = |k| decimal(costs.get(&k).copied().unwrap_or(0), currency);
        ProfitCosts {
            supplier: get(CostKind::Supplier),
            warehouse: get(CostKind::Warehouse),
            payment_fee: get(CostKind::PaymentFee),
            refund: get(CostKind::Refund),
            chargeback: get(CostKind::Chargeback),
            vendor: get(CostKind::Vendor),
        }
    }
}

fn decimal(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).to_decimal_string()
}

/// A cost not known yet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MissingCost {
    /// not_priced, undecided, no_fee_rule or no_rate.
    reason: String,
    /// The cost's kind, when the reason is about one cost.
    kind: Option<String>,
    /// The sentence a person reads ("supplier order … : not priced yet").
    message: String,
}

impl From<&Missing> for MissingCost {
    fn from(m: &Missing) -> MissingCost {
        let (reason, kind) = match m {
            Missing::NotPriced { kind, .. } => ("not_priced", Some(*kind)),
            Missing::Undecided { kind, .. } => ("undecided", Some(*kind)),
            Missing::NoFeeRule => ("no_fee_rule", Some(CostKind::PaymentFee)),
            Missing::NoRate { kind, .. } => ("no_rate", Some(*kind)),
        };
        MissingCost {
            reason: reason.into(),
            kind: kind.map(|k| k.as_str().to_string()),
            message: m.to_string(),
        }
    }
}

/// One order's profit in its currency: the figures when every cost is known, otherwise
/// `complete: false` with the costs still missing and no figure.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderProfit {
    order_id: String,
    name: String,
    currency: String,
    complete: bool,
    /// What the customer paid (revenue + taxes).
    charged: String,
    /// Lines less discounts plus shipping, taxes taken out.
    revenue: Option<String>,
    taxes: Option<String>,
    costs: Option<ProfitCosts>,
    cost_total: Option<String>,
    /// revenue − cost_total.
    profit: Option<String>,
    missing: Vec<MissingCost>,
}

impl From<&OrderFigure> for OrderProfit {
    fn from(f: &OrderFigure) -> OrderProfit {
        let c = f.currency;
        let mut view = OrderProfit {
            order_id: f.order_id.clone(),
            name: f.name.clone(),
            currency: c.code().to_string(),
            complete: false,
            charged: decimal(f.charged, c),
            revenue: None,
            taxes: None,
            costs: None,
            cost_total: None,
            profit: None,
            missing: Vec::new(),
        };
        match &f.outcome {
            Outcome::Complete(p) => {
                view.complete = true;
                view.revenue = Some(decimal(p.revenue, c));
                view.taxes = Some(decimal(p.taxes, c));
                view.costs = Some(ProfitCosts::of(&p.costs, c));
                view.cost_total = Some(decimal(p.cost_total, c));
                view.profit = Some(decimal(p.profit, c));
            }
            Outcome::Incomplete { missing } => {
                view.missing = missing.iter().map(MissingCost::from).collect();
            }
        }
        view
    }
}

/// One group of a store's profit report, in one currency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfitRow {
    /// The day (`YYYY-MM-DD`), product, supplier or store.
    key: String,
    label: String,
    currency: String,
    /// Orders whose figures are in the row (an order shared over products or suppliers
    /// counts in each).
    orders: u64,
    /// Orders of the group left out because a cost of theirs is missing.
    incomplete: u64,
    revenue: String,
    taxes: String,
    costs: ProfitCosts,
    cost_total: String,
    profit: String,
}

impl From<&ReportRow> for ProfitRow {
    fn from(r: &ReportRow) -> ProfitRow {
        let t = &r.totals;
        let c = t.currency;
        ProfitRow {
            key: r.key.clone(),
            label: r.label.clone(),
            currency: c.code().to_string(),
            orders: t.orders,
            incomplete: t.incomplete,
            revenue: decimal(t.revenue, c),
            taxes: decimal(t.taxes, c),
            costs: ProfitCosts::of(&t.costs, c),
            cost_total: decimal(t.cost_total, c),
            profit: decimal(t.profit, c),
        }
    }
}

/// A store's profit grouped by day, product, supplier or store.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfitReport {
    store_id: String,
    by: String,
    rows: Vec<ProfitRow>,
}

impl ProfitReport {
    pub fn new(store_id: &str, by: &str, rows: &[ReportRow]) -> ProfitReport {
        ProfitReport {
            store_id: store_id.to_string(),
            by: by.to_string(),
            rows: rows.iter().map(ProfitRow::from).collect(),
        }
    }
}

/// A store's payment provider fee: `percent_bps` basis points (290 = 2.9 %) of what the
/// customer paid plus `fixed_minor` minor units of `fixed_currency` per order.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentFee {
    /// 0 to 10000.
    pub percent_bps: i64,
    /// 0 or more, in minor units of `fixed_currency`.
    pub fixed_minor: i64,
    /// ISO 4217 code.
    pub fixed_currency: String,
}

impl From<FeeRule> for PaymentFee {
    fn from(rule: FeeRule) -> PaymentFee {
        PaymentFee {
            percent_bps: i64::from(rule.percent_bps),
            fixed_minor: rule.fixed.minor,
            fixed_currency: rule.fixed.currency.code().to_string(),
        }
    }
}
