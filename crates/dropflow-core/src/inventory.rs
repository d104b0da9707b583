//! What a store variant should show, from its suppliers' last known stock and cost and the
//! store's policies (issue "The catalogue"): the stock to publish, whether it stays
//! published, the price the rule gives — and only what differs from what the store shows now,
//! so a sync writes changes and nothing else.
//!
//! Stock: a store unit needs `quantity` supplier units of every component; a component can
//! be bought from any of its offers (the backups too), so its units are the sum of its
//! offers' known stock, and the variant's stock is the scarcest component's. Less the
//! policy's buffer, at most its cap. An offer that does not say its stock adds nothing, and a
//! variant none of whose component offers says leaves the store's stock as it is: unknown is
//! never written as a number.
//!
//! Price: the cost is what would be bought now — each component's first offer (by priority)
//! with stock, its unit cost times the quantity, converted into the store's currency at the
//! rates in force. `cost × markup + fixed`, then rounded UP to the policy's ending (".99"), so
//! rounding never takes the price below the rule. A cost with no rate gives no price (said,
//! not guessed). A rise above the policy's ceiling is held for a person instead of written.

/// How often each offer's stock and price are read at its supplier.
pub mod pace;

use crate::catalog::{Component, Mapping, Offer};
use crate::fx::{FxError, RateTable};
use crate::money::Money;
use crate::reference::currency::Currency;
use serde::{Deserialize, Serialize};

/// What to do with a variant no offer can supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WhenOut {
    /// Publish stock 0: the store stops selling it and shows it sold out.
    #[default]
    SetZero,
    /// Stock 0 and unpublished; published again by itself when stock returns.
    Unpublish,
}

/// How much of the suppliers' stock the store may sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockPolicy {
    /// Units held back from what the suppliers have (they sell to others too).
    pub buffer: u32,
    /// The most the store shows, whatever the suppliers have (`None`: no cap).
    pub cap: Option<u32>,
    pub when_out: WhenOut,
}

impl Default for StockPolicy {
    fn default() -> Self {
        StockPolicy {
            buffer: 0,
            cap: None,
            when_out: WhenOut::SetZero,
        }
    }
}

/// How the store's price follows the cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricePolicy {
    /// The cost's multiplier in basis points (25,000 = × 2.5).
    pub markup_bp: u32,
    /// Added after the markup, in minor units of the store's currency.
    pub fixed_minor: i64,
    /// The minor-unit ending the price is rounded up to (99 → x.99); `None`: no rounding.
    pub ending: Option<u32>,
    /// Whether dropflow writes the rule's price to the store; off, it only shows it.
    pub auto_update: bool,
    /// The largest automatic rise, in basis points of the current price (2,000 = +20 %);
    /// a larger one is held for a person. `None`: no ceiling.
    pub max_auto_rise_bp: Option<u32>,
}

impl Default for PricePolicy {
    fn default() -> Self {
        PricePolicy {
            markup_bp: 20_000,
            fixed_minor: 0,
            ending: Some(99),
            auto_update: false,
            max_auto_rise_bp: Some(2_000),
        }
    }
}

/// A store's catalogue policies, and the currency its prices are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub currency: Currency,
    pub stock: StockPolicy,
    pub price: PricePolicy,
}

impl Policy {
    /// The defaults for a store selling in `currency`: the suppliers' whole stock, 0 when
    /// out; prices at cost × 2 rounded up to .99 (none for a currency without minor units),
    /// shown but not written until the merchant turns automatic updates on.
    pub fn default_for(currency: Currency) -> Policy {
        let mut price = PricePolicy::default();
        if currency.minor_units() == 0 {
            price.ending = None;
        }
        Policy {
            currency,
            stock: StockPolicy::default(),
            price,
        }
    }
}

/// Why a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("markup_bp must be between 1 and 1,000,000 (× 0.0001 to × 100), not {0}")]
    Markup(u32),
    #[error("fixed_minor must be between 0 and 100,000,000, not {0}")]
    Fixed(i64),
    #[error(
        "the ending {ending} does not fit {currency}'s minor units (it must be below {limit})"
    )]
    Ending {
        ending: u32,
        currency: String,
        limit: u32,
    },
    #[error("max_auto_rise_bp must be at most 1,000,000 (+10,000 %), not {0}")]
    Ceiling(u32),
    #[error("cap must be more than zero (a cap of 0 would never sell)")]
    ZeroCap,
}

impl Policy {
    /// Checks the policy against its currency.
    pub fn check(&self) -> Result<(), PolicyError> {
        let currency = self.currency;
        let price = &self.price;
        if price.markup_bp == 0 || price.markup_bp > 1_000_000 {
            return Err(PolicyError::Markup(price.markup_bp));
        }
        if !(0..=100_000_000).contains(&price.fixed_minor) {
            return Err(PolicyError::Fixed(price.fixed_minor));
        }
        if let Some(ending) = price.ending {
            let limit = one_major(currency);
            if ending >= limit {
                return Err(PolicyError::Ending {
                    ending,
                    currency: currency.code().to_string(),
                    limit,
                });
            }
        }
        if self.stock.cap == Some(0) {
            return Err(PolicyError::ZeroCap);
        }
        if price.max_auto_rise_bp.is_some_and(|c| c > 1_000_000) {
            return Err(PolicyError::Ceiling(price.max_auto_rise_bp.unwrap_or(0)));
        }
        Ok(())
    }
}

/// Minor units in one major unit of `currency` (100 for USD, 1 for JPY).
fn one_major(currency: Currency) -> u32 {
    10u32.pow(u32::from(currency.minor_units()))
}

/// What the store shows for the variant now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreVariant {
    /// `None`: the store does not track this variant's stock (or it was never read).
    pub stock: Option<u32>,
    pub published: bool,
    /// Whether dropflow unpublished it (only those are published again on restock: a variant
    /// the merchant hid stays hidden).
    pub unpublished_by_us: bool,
    pub price: Money,
    /// A rise above the ceiling a person approved: written while the rule still gives
    /// exactly this price (a newer cost asks again).
    pub approved_price: Option<Money>,
}

/// What to write to the store; `None` fields are left as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Writes {
    pub stock: Option<u32>,
    pub published: Option<bool>,
    pub price: Option<Money>,
}

impl Writes {
    pub fn is_empty(&self) -> bool {
        self == &Writes::default()
    }
}

/// Why the rule's price was not written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceNote {
    /// The rise is above the ceiling: held for a person.
    RiseHeld { from: Money, to: Money },
    /// A cost's currency has no rate into the store's.
    NoRate { from: Currency, to: Currency },
    /// No offer has stock (or every offer is gone): nothing to price from.
    NoCost,
    /// The cost or the price would not fit.
    TooLarge,
}

/// The decision for one variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The stock the policy gives (`None`: no offer says its stock).
    pub stock: Option<u32>,
    /// Every component's offers say their stock and one component has none at any of them:
    /// an order for this variant cannot be bought (held, not placed blind).
    pub out_everywhere: bool,
    /// What buying one store unit costs now, in the store's currency.
    pub cost: Option<Money>,
    /// The rule's price.
    pub price: Option<Money>,
    /// The writes that make the store agree (only differences).
    pub writes: Writes,
    /// Why the rule's price is not among the writes, when it is not.
    pub price_note: Option<PriceNote>,
}

/// What the suppliers offer for a variant bought as `mapping`, by the store's policy,
/// whatever the store shows now: the products list reads it, [`decide`] compares it with
/// the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offered {
    /// The stock the policy gives (`None`: no offer says its stock).
    pub stock: Option<u32>,
    /// One component has no stock at any of its offers, each of which says its stock.
    pub out_everywhere: bool,
    /// What buying one store unit costs now, in `currency`.
    pub cost: Option<Money>,
    /// The rule's price.
    pub price: Option<Money>,
    /// Why there is no price.
    pub price_note: Option<PriceNote>,
}

/// [`Offered`] for `mapping`, priced in `currency`.
pub fn offered(
    mapping: &Mapping,
    policy: &Policy,
    rates: &RateTable,
    currency: Currency,
) -> Offered {
    let supplier_units = units_available(mapping);
    let stock = supplier_units.map(|units| {
        let after_buffer = units.saturating_sub(policy.stock.buffer);
        policy
            .stock
            .cap
            .map_or(after_buffer, |cap| after_buffer.min(cap))
    });
    let (cost, price, price_note) = match current_cost(mapping, currency, rates) {
        Ok(cost) => match rule_price(cost, &policy.price) {
            Some(price) => (Some(cost), Some(price), None),
            None => (Some(cost), None, Some(PriceNote::TooLarge)),
        },
        Err(note) => (None, None, Some(note)),
    };
    Offered {
        stock,
        out_everywhere: supplier_units == Some(0),
        cost,
        price,
        price_note,
    }
}

/// Decides what the store should show for a variant bought as `mapping`.
pub fn decide(
    mapping: &Mapping,
    store: &StoreVariant,
    policy: &Policy,
    rates: &RateTable,
) -> Decision {
    let Offered {
        stock,
        out_everywhere,
        cost,
        price,
        mut price_note,
    } = offered(mapping, policy, rates, store.price.currency);
    let mut writes = Writes::default();
    if let Some(stock) = stock {
        if store.stock != Some(stock) {
            writes.stock = Some(stock);
        }
    }
    // Sold out: nothing left to sell once the buffer is held back.
    let sold_out = stock == Some(0);
    let back_in_stock = stock.is_some_and(|s| s > 0);
    if sold_out && store.published && policy.stock.when_out == WhenOut::Unpublish {
        writes.published = Some(false);
    } else if back_in_stock && !store.published && store.unpublished_by_us {
        writes.published = Some(true);
    }
    if let Some(price) = price.filter(|p| *p != store.price && policy.price.auto_update) {
        if rise_is_held(store.price, price, &policy.price) && store.approved_price != Some(price) {
            price_note = Some(PriceNote::RiseHeld {
                from: store.price,
                to: price,
            });
        } else {
            writes.price = Some(price);
        }
    }
    Decision {
        stock,
        out_everywhere,
        cost,
        price,
        writes,
        price_note,
    }
}

/// Store units the suppliers can supply: the scarcest component's units over its quantity;
/// `None` when some component has no offer that says its stock.
fn units_available(mapping: &Mapping) -> Option<u32> {
    mapping
        .components
        .iter()
        .map(|component| {
            let known: Vec<u32> = component.offers.iter().filter_map(|o| o.stock).collect();
            if known.is_empty() {
                return None;
            }
            let units = known.iter().fold(0u64, |sum, s| sum + u64::from(*s));
            let per_store_unit = u64::from(component.quantity.max(1));
            Some(u32::try_from(units / per_store_unit).unwrap_or(u32::MAX))
        })
        .try_fold(u32::MAX, |scarcest, units| units.map(|u| scarcest.min(u)))
        .filter(|_| !mapping.components.is_empty())
}

/// The offer that would be bought now for `component`: the first by priority with stock (or
/// not saying), skipping those known to be out.
fn offer_bought_now(component: &Component) -> Option<&Offer> {
    component
        .offers
        .iter()
        .filter(|o| o.has_stock_for(component.quantity.max(1)))
        .min_by_key(|o| o.priority)
}

/// One store unit's cost now, in `currency`.
fn current_cost(
    mapping: &Mapping,
    currency: Currency,
    rates: &RateTable,
) -> Result<Money, PriceNote> {
    if mapping.components.is_empty() {
        return Err(PriceNote::NoCost);
    }
    let mut total: i64 = 0;
    for component in &mapping.components {
        let offer = offer_bought_now(component).ok_or(PriceNote::NoCost)?;
        let converted = rates
            .convert(offer.unit_cost, currency)
            .map_err(|error| match error {
                FxError::NoRate { from, to } => PriceNote::NoRate { from, to },
                _ => PriceNote::TooLarge,
            })?;
        total = converted
            .minor
            .checked_mul(i64::from(component.quantity.max(1)))
            .and_then(|c| total.checked_add(c))
            .ok_or(PriceNote::TooLarge)?;
    }
    Ok(Money::new(total, currency))
}

/// `cost × markup + fixed`, rounded up to the ending; `None` when it does not fit.
pub fn rule_price(cost: Money, policy: &PricePolicy) -> Option<Money> {
    let marked = i128::from(cost.minor) * i128::from(policy.markup_bp);
    // Up to the next minor unit: the markup never rounds a price below the rule.
    let marked = (marked + 9_999).div_euclid(10_000);
    let mut minor = marked.checked_add(i128::from(policy.fixed_minor))?;
    if let Some(ending) = policy.ending {
        let major = i128::from(one_major(cost.currency));
        let ending = i128::from(ending);
        let base = minor.div_euclid(major) * major;
        minor = if base + ending >= minor {
            base + ending
        } else {
            base + major + ending
        };
    }
    i64::try_from(minor)
        .ok()
        .map(|m| Money::new(m, cost.currency))
}

/// Whether going from `from` to `to` is a rise above the ceiling.
fn rise_is_held(from: Money, to: Money, policy: &PricePolicy) -> bool {
    let Some(ceiling) = policy.max_auto_rise_bp else {
        return false;
    };
    if to.minor <= from.minor {
        return false;
    }
    // A price of zero (never set) has no proportion to rise by: any rise from it is held.
    let rise = i128::from(to.minor - from.minor) * 10_000;
    from.minor <= 0 || rise > i128::from(from.minor) * i128::from(ceiling)
}

#[cfg(test)]
mod tests;
