//! Routing: turning a paid order's lines into one purchase per supplier. Pure: the caller
//! looks the mappings up and writes the plan; this decides.
//!
//! Offer choice per component, in order: it must ship to the destination, it must have the
//! stock, then the lowest priority number wins, then the lowest cost. A component that no
//! offer can serve fails its line with the reason; the other lines are still planned, so a
//! merchant fixing one mapping does not hold up the rest of the order.
//!
//! Costs are compared in one currency: offers of one priority that are all priced in the
//! same currency compare as they are; otherwise each cost is converted into the
//! [`Pricing`] currency with the operator's rate table (`fx::RateTable::convert`, rounded
//! half away from zero). An offer whose currency has no rate cannot be compared, and its
//! line fails with [`RouteFailure::NoExchangeRate`]: never a comparison of raw minor units.

use crate::catalog::{Mapping, Offer, SupplierRef};
use crate::fx::RateTable;
use crate::money::Money;
use crate::reference::country::CountryCode;
use crate::reference::currency::Currency;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An order line as routing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineToRoute {
    pub position: u32,
    pub variant_id: Option<String>,
    pub sku: Option<String>,
    pub quantity: u32,
    pub requires_shipping: bool,
}

/// One supplier unit to buy, traced back to the order line it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedItem {
    pub line_position: u32,
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    pub quantity: u32,
    pub unit_cost: Money,
    pub product_url: Option<String>,
    /// The offer's shipping, once for the item whatever the quantity (in `unit_cost`'s
    /// currency); `None`: nothing on top of the goods.
    #[serde(default)]
    pub shipping_cost: Option<Money>,
}

impl PlannedItem {
    /// What the item costs: its units, plus its shipping.
    pub fn cost_minor(&self) -> i64 {
        self.unit_cost
            .minor
            .saturating_mul(i64::from(self.quantity))
            .saturating_add(self.shipping_cost.map_or(0, |s| s.minor))
    }
}

/// Everything to buy from one supplier for this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedPurchase {
    pub supplier: SupplierRef,
    pub items: Vec<PlannedItem>,
}

/// Why a line could not be routed, in words a merchant can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteFailure {
    /// No mapping for the line's variant or SKU: add one, then retry.
    NoMapping {
        variant_id: Option<String>,
        sku: Option<String>,
    },
    /// A mapping exists but has no offer for one of its components.
    NoOffers { component: usize },
    /// No offer ships to the destination country.
    NotShippedTo {
        country: Option<String>,
        component: usize,
    },
    /// Offers ship there, but none has the stock.
    OutOfStock { component: usize, needed: u32 },
    /// Offers of equal priority are priced in different currencies and there is no rate
    /// from `from` to `to`: the operator adds one (`PUT /api/v1/fx-rates`), then retry.
    NoExchangeRate {
        component: usize,
        from: Currency,
        to: Currency,
    },
}

/// How offer costs are compared: in `currency` (the order's), converted with `rates`.
#[derive(Debug, Clone, Copy)]
pub struct Pricing<'a> {
    pub currency: Currency,
    pub rates: &'a RateTable,
}

impl RouteFailure {
    /// What is wrong, in words for the merchant.
    pub fn describe(&self) -> String {
        match self {
            RouteFailure::NoMapping { variant_id, sku } => format!(
                "no product mapping for {}",
                sku.as_deref()
                    .map(|s| format!("SKU {s}"))
                    .or_else(|| variant_id.as_deref().map(|v| format!("variant {v}")))
                    .unwrap_or_else(|| "this item".into())
            ),
            RouteFailure::NoOffers { .. } => "the mapping has no supplier offer".into(),
            RouteFailure::NotShippedTo { country, .. } => format!(
                "no supplier ships to {}",
                country.as_deref().unwrap_or("the destination")
            ),
            RouteFailure::OutOfStock { needed, .. } => {
                format!("no supplier has {needed} in stock")
            }
            RouteFailure::NoExchangeRate { from, to, .. } => {
                format!("no exchange rate from {from} to {to} to compare the offers")
            }
        }
    }
}

/// A line that could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineFailure {
    pub line_position: u32,
    pub reason: RouteFailure,
}

/// The out-of-stock lines among `failures`, in words ("line 2: no supplier has 3 in
/// stock"), or `None` when no line failed for stock.
pub fn out_of_stock_words(failures: &[LineFailure]) -> Option<String> {
    let short: Vec<String> = failures
        .iter()
        .filter(|f| matches!(f.reason, RouteFailure::OutOfStock { .. }))
        .map(|f| format!("line {}: {}", f.line_position + 1, f.reason.describe()))
        .collect();
    (!short.is_empty()).then(|| short.join("; "))
}

/// The routing decision for one order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoutePlan {
    /// One per supplier, ordered by supplier.
    pub purchases: Vec<PlannedPurchase>,
    pub failures: Vec<LineFailure>,
}

/// Plans the purchases for `lines` shipping to `country`, comparing costs by `pricing`.
/// `mapping_for` finds a line's mapping (by variant, falling back to SKU: the caller decides
/// the lookup).
pub fn route(
    lines: &[LineToRoute],
    country: Option<CountryCode>,
    pricing: Pricing<'_>,
    mut mapping_for: impl FnMut(&LineToRoute) -> Option<Mapping>,
) -> RoutePlan {
    let mut by_supplier: BTreeMap<SupplierRef, Vec<PlannedItem>> = BTreeMap::new();
    let mut failures = Vec::new();
    for line in lines {
        let Some(mapping) = mapping_for(line) else {
            failures.push(LineFailure {
                line_position: line.position,
                reason: RouteFailure::NoMapping {
                    variant_id: line.variant_id.clone(),
                    sku: line.sku.clone(),
                },
            });
            continue;
        };
        // A line is bought whole or not at all: choose every component first.
        let mut chosen: Vec<(&Offer, u32)> = Vec::new();
        let mut failure = None;
        for (index, component) in mapping.components.iter().enumerate() {
            let needed = component.quantity.saturating_mul(line.quantity);
            match choose(&component.offers, country, needed, index, pricing) {
                Ok(offer) => chosen.push((offer, needed)),
                Err(reason) => {
                    failure = Some(reason);
                    break;
                }
            }
        }
        if mapping.components.is_empty() {
            failure = Some(RouteFailure::NoOffers { component: 0 });
        }
        match failure {
            Some(reason) => failures.push(LineFailure {
                line_position: line.position,
                reason,
            }),
            None => {
                for (offer, quantity) in chosen {
                    by_supplier
                        .entry(offer.supplier.clone())
                        .or_default()
                        .push(PlannedItem {
                            line_position: line.position,
                            supplier_product_id: offer.supplier_product_id.clone(),
                            supplier_sku_id: offer.supplier_sku_id.clone(),
                            quantity,
                            unit_cost: offer.unit_cost,
                            product_url: offer.product_url.clone(),
                            shipping_cost: offer.shipping_cost,
                        });
                }
            }
        }
    }
    RoutePlan {
        purchases: by_supplier
            .into_iter()
            .map(|(supplier, items)| PlannedPurchase { supplier, items })
            .collect(),
        failures,
    }
}

/// The best offer for `needed` units of one component, or the failure for that component.
fn choose<'o>(
    offers: &'o [Offer],
    country: Option<CountryCode>,
    needed: u32,
    component: usize,
    pricing: Pricing<'_>,
) -> Result<&'o Offer, RouteFailure> {
    if offers.is_empty() {
        return Err(RouteFailure::NoOffers { component });
    }
    let shipping: Vec<&Offer> = offers.iter().filter(|o| o.ships_to(country)).collect();
    if shipping.is_empty() {
        return Err(RouteFailure::NotShippedTo {
            country: country.map(|c| c.as_str().to_string()),
            component,
        });
    }
    let stocked: Vec<&Offer> = shipping
        .into_iter()
        .filter(|o| o.has_stock_for(needed))
        .collect();
    let best_priority = stocked
        .iter()
        .map(|o| o.priority)
        .min()
        .ok_or(RouteFailure::OutOfStock { component, needed })?;
    let best: Vec<&Offer> = stocked
        .into_iter()
        .filter(|o| o.priority == best_priority)
        .collect();
    cheapest(best, needed, component, pricing)
}

/// The cheapest of offers of equal priority (the first of equals) for `needed` units, their
/// shipping included, costs compared in one currency.
fn cheapest<'o>(
    offers: Vec<&'o Offer>,
    needed: u32,
    component: usize,
    pricing: Pricing<'_>,
) -> Result<&'o Offer, RouteFailure> {
    // What the units cost from an offer (at least one unit: a line of none still picks by
    // price).
    let total = |offer: &Offer| Money::new(offer.cost_of(needed.max(1)), offer.unit_cost.currency);
    let one_currency = offers
        .windows(2)
        .all(|w| w[0].unit_cost.currency == w[1].unit_cost.currency);
    let mut priced = Vec::with_capacity(offers.len());
    for offer in offers {
        let cost = if one_currency {
            total(offer).minor
        } else {
            pricing
                .rates
                .convert(total(offer), pricing.currency)
                .map_err(|_| RouteFailure::NoExchangeRate {
                    component,
                    from: offer.unit_cost.currency,
                    to: pricing.currency,
                })?
                .minor
        };
        priced.push((cost, offer));
    }
    priced
        .into_iter()
        .min_by_key(|(cost, _)| *cost)
        .map(|(_, offer)| offer)
        .ok_or(RouteFailure::NoOffers { component })
}

#[cfg(test)]
mod tests;
