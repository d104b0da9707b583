//! Carrier rate tables as data, and quoting a parcel against them.
//!
//! A table lists services (carrier + service name), each with zones (destination countries →
//! a price shape and a delivery time range), a volumetric divisor, surcharges and limits. The
//! operator edits the tables; [`RateTables::from_toml`] reads and validates them, reporting
//! every problem with where it is, so a bad edit is refused as a whole.
//!
//! **Rounding, explicitly.** Every amount is computed in integer minor units of the table's
//! currency. Whenever a division is needed (a per-kg price applied to grams, a fuel percentage)
//! the result is rounded *up* to the next minor unit: the carrier bills in whole units and a
//! quote must never be below what the warehouse pays. Weights are whole grams; a volumetric
//! weight is rounded up to the next gram. Step counts are rounded up (a parcel 1 g over a
//! step pays the next step); a weight exactly at a step boundary pays that step, not the next.

use crate::money::Money;
use crate::reference::country::CountryCode;
use crate::reference::currency::Currency;
use serde::{Deserialize, Serialize};

/// The sample tables shipped with dropflow (`data/warehouse/rates.toml`).
pub const DEFAULT_RATES_TOML: &str = include_str!("../../data/warehouse/rates.toml");

/// All services the warehouse can ship with, priced in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateTables {
    pub currency: Currency,
    #[serde(default, rename = "service")]
    pub services: Vec<Service>,
}

/// One carrier service ("YunExpress Global Direct Line").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// A stable id the merchant's choice refers to ("yun-economy").
    pub code: String,
    pub carrier: String,
    pub service: String,
    /// cm³ per kg (5000 for most express lines, 6000 or 8000 for some economy lines);
    /// `None` = priced on actual weight only (most postal lines).
    #[serde(default)]
    pub volumetric_divisor: Option<u32>,
    /// Heaviest chargeable parcel the service takes, grams.
    pub max_weight_g: u32,
    /// Longest side allowed, cm.
    #[serde(default)]
    pub max_side_cm: Option<u32>,
    /// Largest length + width + height allowed, cm.
    #[serde(default)]
    pub max_sum_of_sides_cm: Option<u32>,
    /// Fuel surcharge in basis points (1/100 %) of the base price; 0 = none.
    #[serde(default)]
    pub fuel_surcharge_bp: u32,
    /// Added to every parcel (handling, registration), minor units.
    #[serde(default)]
    pub per_parcel_fee: i64,
    /// Extra charges for some destinations (remote areas, customs handling), minor units.
    #[serde(default, rename = "country_surcharge")]
    pub country_surcharges: Vec<CountrySurcharge>,
    #[serde(default, rename = "zone")]
    pub zones: Vec<Zone>,
}

/// A fixed extra for parcels to some countries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountrySurcharge {
    pub countries: Vec<String>,
    pub amount: i64,
    /// Shown to the merchant ("remote area", "DDP customs handling").
    pub label: String,
}

/// Destinations priced alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub name: String,
    /// ISO 3166-1 alpha-2 codes (upper case once validated).
    pub countries: Vec<String>,
    pub days_min: u32,
    pub days_max: u32,
    pub pricing: Pricing,
}

/// The price shapes carriers publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pricing {
    /// Express shape: the first `first_g` cost `first`, each further `step_g` (or part of it)
    /// costs `step`.
    FirstAdditional {
        first_g: u32,
        first: i64,
        step_g: u32,
        step: i64,
    },
    /// Postal / economy-line shape: a price per kg applied to the grams, with a minimum
    /// chargeable weight, plus a registration fee per parcel.
    PerKg {
        per_kg: i64,
        registration: i64,
        #[serde(default)]
        min_chargeable_g: u32,
    },
    /// A banded table: the first band whose `up_to_g` is at least the chargeable weight
    /// gives the price (bands inclusive at their upper bound, sorted ascending).
    Bands { bands: Vec<Band> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub up_to_g: u32,
    pub price: i64,
}

/// What is being shipped: the packed parcel's weight and outer dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parcel {
    pub weight_g: u32,
    pub length_cm: u32,
    pub width_cm: u32,
    pub height_cm: u32,
}

/// A price one service offers for a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub code: String,
    pub carrier: String,
    pub service: String,
    pub price: Money,
    pub chargeable_weight_g: u32,
    pub days_min: u32,
    pub days_max: u32,
    /// How the price was made, for the merchant and the operator.
    pub breakdown: PriceBreakdown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBreakdown {
    pub base: i64,
    pub fuel: i64,
    pub per_parcel: i64,
    /// (label, amount) of every country surcharge applied.
    pub surcharges: Vec<(String, i64)>,
}

/// Why a service does not offer a price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Unavailable {
    #[error("does not ship to {country}")]
    NotServed { country: String },
    #[error("chargeable weight {chargeable_g} g is above the service's limit of {max_g} g")]
    TooHeavy { chargeable_g: u32, max_g: u32 },
    #[error("parcel is too large: {detail}")]
    TooLarge { detail: String },
    #[error("the price table stops at {max_g} g (parcel {chargeable_g} g)")]
    AboveTable { chargeable_g: u32, max_g: u32 },
    #[error("the parcel has no weight or a zero dimension")]
    EmptyParcel,
    #[error("the price does not fit in an amount")]
    Overflow,
}

/// A service that offers no price, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: String,
    pub carrier: String,
    pub service: String,
    pub why: Unavailable,
}

/// Every service's answer for one parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quotes {
    pub offered: Vec<Quote>,
    pub refused: Vec<Refusal>,
}

/// One thing wrong with a table, with where it is (`service yun-economy, zone 2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableProblem {
    pub at: String,
    pub message: String,
}

impl std::fmt::Display for TableProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateTableError {
    #[error("the rate tables cannot be read: {0}")]
    Syntax(String),
    #[error("the rate tables have {} problem(s): {}", .0.len(), join(.0))]
    Invalid(Vec<TableProblem>),
}

fn join(problems: &[TableProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl RateTables {
    /// Reads and validates tables written in TOML; country codes come back upper case.
    pub fn from_toml(text: &str) -> Result<RateTables, RateTableError> {
        let tables: RateTables =
            toml::from_str(text).map_err(|e| RateTableError::Syntax(e.to_string()))?;
        tables.validated()
    }

    /// The sample tables shipped with dropflow.
    pub fn defaults() -> Result<RateTables, RateTableError> {
        RateTables::from_toml(DEFAULT_RATES_TOML)
    }

    /// The tables with country codes normalised, or every problem found.
    pub fn validated(mut self) -> Result<RateTables, RateTableError> {
        let problems = validate(&mut self);
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(RateTableError::Invalid(problems))
        }
    }
}

fn validate(tables: &mut RateTables) -> Vec<TableProblem> {
    let mut problems = Vec::new();
    let mut codes: Vec<String> = Vec::new();
    if tables.services.is_empty() {
        problems.push(problem("tables", "no service is defined"));
    }
    for (i, s) in tables.services.iter_mut().enumerate() {
        let at = if s.code.trim().is_empty() {
            format!("service #{}", i + 1)
        } else {
            format!("service {}", s.code)
        };
        if s.code.trim().is_empty() {
            problems.push(problem(&at, "code is empty"));
        } else if codes.contains(&s.code) {
            problems.push(problem(&at, "code is used by another service"));
        }
        codes.push(s.code.clone());
        if s.carrier.trim().is_empty() || s.service.trim().is_empty() {
            problems.push(problem(&at, "carrier and service names are required"));
        }
        if s.volumetric_divisor == Some(0) {
            problems.push(problem(&at, "volumetric_divisor must be above 0"));
        }
        if s.max_weight_g == 0 {
            problems.push(problem(&at, "max_weight_g must be above 0"));
        }
        if s.per_parcel_fee < 0 {
            problems.push(problem(&at, "per_parcel_fee is negative"));
        }
        for sc in &mut s.country_surcharges {
            let sat = format!("{at}, surcharge {:?}", sc.label);
            if sc.amount < 0 {
                problems.push(problem(&sat, "amount is negative"));
            }
            normalise_countries(&mut sc.countries, &sat, &mut problems);
        }
        let mut seen: Vec<String> = Vec::new();
        if s.zones.is_empty() {
            problems.push(problem(&at, "has no zone"));
        }
        for (z, zone) in s.zones.iter_mut().enumerate() {
            let zat = format!("{at}, zone {:?} (#{})", zone.name, z + 1);
            if zone.days_min > zone.days_max {
                problems.push(problem(&zat, "days_min is above days_max"));
            }
            if zone.countries.is_empty() {
                problems.push(problem(&zat, "lists no country"));
            }
            normalise_countries(&mut zone.countries, &zat, &mut problems);
            for c in &zone.countries {
                if seen.contains(c) {
                    problems.push(problem(&zat, &format!("{c} is already in another zone")));
                }
                seen.push(c.clone());
            }
            check_pricing(&zone.pricing, &zat, &mut problems);
        }
    }
    problems
}

fn normalise_countries(countries: &mut [String], at: &str, problems: &mut Vec<TableProblem>) {
    for c in countries.iter_mut() {
        match CountryCode::from_alpha2(c) {
            Ok(code) => *c = code.as_str().to_string(),
            Err(_) => problems.push(problem(
                at,
                &format!("{c:?} is not an ISO 3166-1 alpha-2 country code"),
            )),
        }
    }
}

fn check_pricing(pricing: &Pricing, at: &str, problems: &mut Vec<TableProblem>) {
    match pricing {
        Pricing::FirstAdditional {
            first_g,
            first,
            step_g,
            step,
        } => {
            if *first_g == 0 || *step_g == 0 {
                problems.push(problem(at, "first_g and step_g must be above 0"));
            }
            if *first < 0 || *step < 0 {
                problems.push(problem(at, "a price is negative"));
            }
        }
        Pricing::PerKg {
            per_kg,
            registration,
            ..
        } => {
            if *per_kg < 0 || *registration < 0 {
                problems.push(problem(at, "a price is negative"));
            }
        }
        Pricing::Bands { bands } => {
            if bands.is_empty() {
                problems.push(problem(at, "has no weight band"));
            }
            for (i, b) in bands.iter().enumerate() {
                if b.price < 0 {
                    problems.push(problem(at, &format!("band {} has a negative price", i + 1)));
                }
                if b.up_to_g == 0 {
                    problems.push(problem(at, &format!("band {} ends at 0 g", i + 1)));
                }
            }
            for (i, w) in bands.windows(2).enumerate() {
                if let [a, b] = w {
                    if b.up_to_g <= a.up_to_g {
                        problems.push(problem(
                            at,
                            &format!(
                                "bands {} and {} overlap or are out of order ({} g then {} g)",
                                i + 1,
                                i + 2,
                                a.up_to_g,
                                b.up_to_g
                            ),
                        ));
                    } else if b.price < a.price {
                        problems.push(problem(
                            at,
                            &format!("band {} is cheaper than the lighter band {}", i + 2, i + 1),
                        ));
                    }
                }
            }
        }
    }
}

fn problem(at: &str, message: &str) -> TableProblem {
    TableProblem {
        at: at.to_string(),
        message: message.to_string(),
    }
}

/// `ceil(a / b)` for non-negative values (b > 0).
fn div_ceil(a: u64, b: u64) -> u64 {
    a.div_ceil(b.max(1))
}

/// The weight a carrier bills: actual, or volumetric (L×W×H / divisor, in kg → g, rounded
/// up) when that is more.
pub fn chargeable_weight_g(parcel: &Parcel, volumetric_divisor: Option<u32>) -> u32 {
    let volumetric = volumetric_divisor.map_or(0, |divisor| {
        let cm3 =
            u64::from(parcel.length_cm) * u64::from(parcel.width_cm) * u64::from(parcel.height_cm);
        div_ceil(cm3 * 1000, u64::from(divisor))
    });
    u32::try_from(volumetric)
        .unwrap_or(u32::MAX)
        .max(parcel.weight_g)
}

/// The base price of `weight_g` under `pricing`, or why there is none.
pub fn base_price(pricing: &Pricing, weight_g: u32) -> Result<i64, Unavailable> {
    let w = u64::from(weight_g);
    let price = match pricing {
        Pricing::FirstAdditional {
            first_g,
            first,
            step_g,
            step,
        } => {
            let extra = w.saturating_sub(u64::from(*first_g));
            let steps = div_ceil(extra, u64::from(*step_g));
            i128::from(*first) + i128::from(steps) * i128::from(*step)
        }
        Pricing::PerKg {
            per_kg,
            registration,
            min_chargeable_g,
        } => {
            let grams = w.max(u64::from(*min_chargeable_g));
            let goods = div_ceil(grams * u64::try_from(*per_kg).unwrap_or(0), 1000);
            i128::from(goods) + i128::from(*registration)
        }
        Pricing::Bands { bands } => match bands.iter().find(|b| b.up_to_g >= weight_g) {
            Some(band) => i128::from(band.price),
            None => {
                return Err(Unavailable::AboveTable {
                    chargeable_g: weight_g,
                    max_g: bands.last().map_or(0, |b| b.up_to_g),
                })
            }
        },
    };
    i64::try_from(price).map_err(|_| Unavailable::Overflow)
}

/// `bp` basis points of `amount`, rounded up.
fn fuel(amount: i64, bp: u32) -> i64 {
    let product = i128::from(amount.max(0)) * i128::from(bp);
    i64::try_from((product + 9_999) / 10_000).unwrap_or(i64::MAX)
}

fn size_problem(service: &Service, parcel: &Parcel) -> Option<Unavailable> {
    let sides = [parcel.length_cm, parcel.width_cm, parcel.height_cm];
    let longest = sides.iter().copied().max().unwrap_or(0);
    if let Some(max) = service.max_side_cm.filter(|max| longest > *max) {
        return Some(Unavailable::TooLarge {
            detail: format!("longest side {longest} cm, limit {max} cm"),
        });
    }
    let sum: u64 = sides.iter().map(|s| u64::from(*s)).sum();
    match service.max_sum_of_sides_cm {
        Some(max) if sum > u64::from(max) => Some(Unavailable::TooLarge {
            detail: format!("length + width + height {sum} cm, limit {max} cm"),
        }),
        _ => None,
    }
}

/// One service's quote for `parcel` to `destination`.
pub fn quote_service(
    service: &Service,
    currency: Currency,
    parcel: &Parcel,
    destination: CountryCode,
) -> Result<Quote, Unavailable> {
    if parcel.weight_g == 0
        || parcel.length_cm == 0
        || parcel.width_cm == 0
        || parcel.height_cm == 0
    {
        return Err(Unavailable::EmptyParcel);
    }
    let country = destination.as_str();
    let zone = service
        .zones
        .iter()
        .find(|z| z.countries.iter().any(|c| c.eq_ignore_ascii_case(country)))
        .ok_or_else(|| Unavailable::NotServed {
            country: country.to_string(),
        })?;
    if let Some(too_large) = size_problem(service, parcel) {
        return Err(too_large);
    }
    let chargeable = chargeable_weight_g(parcel, service.volumetric_divisor);
    if chargeable > service.max_weight_g {
        return Err(Unavailable::TooHeavy {
            chargeable_g: chargeable,
            max_g: service.max_weight_g,
        });
    }
    let base = base_price(&zone.pricing, chargeable)?;
    let fuel = fuel(base, service.fuel_surcharge_bp);
    let surcharges: Vec<(String, i64)> = service
        .country_surcharges
        .iter()
        .filter(|s| s.countries.iter().any(|c| c.eq_ignore_ascii_case(country)))
        .map(|s| (s.label.clone(), s.amount))
        .collect();
    let total = surcharges
        .iter()
        .try_fold(
            i128::from(base) + i128::from(fuel) + i128::from(service.per_parcel_fee),
            |acc, (_, a)| Some(acc + i128::from(*a)),
        )
        .and_then(|t| i64::try_from(t).ok())
        .ok_or(Unavailable::Overflow)?;
    Ok(Quote {
        code: service.code.clone(),
        carrier: service.carrier.clone(),
        service: service.service.clone(),
        price: Money::new(total, currency),
        chargeable_weight_g: chargeable,
        days_min: zone.days_min,
        days_max: zone.days_max,
        breakdown: PriceBreakdown {
            base,
            fuel,
            per_parcel: service.per_parcel_fee,
            surcharges,
        },
    })
}

/// Every service's answer for `parcel` to `destination`, in table order.
pub fn quote(tables: &RateTables, parcel: &Parcel, destination: CountryCode) -> Quotes {
    let mut offered = Vec::new();
    let mut refused = Vec::new();
    for service in &tables.services {
        match quote_service(service, tables.currency, parcel, destination) {
            Ok(q) => offered.push(q),
            Err(why) => refused.push(Refusal {
                code: service.code.clone(),
                carrier: service.carrier.clone(),
                service: service.service.clone(),
                why,
            }),
        }
    }
    Quotes { offered, refused }
}
