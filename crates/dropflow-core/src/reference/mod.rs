//! ISO 4217 currencies, ISO 3166 countries and per-country postal-address rules. The data comes
//! from `data/` at the workspace root (see each folder's SOURCE.md for origin and licence) and is
//! embedded at build time, so the binary needs no data files at run time.

/// ISO 4217 currency codes with their minor-unit exponent.
pub mod currency;
/// ISO 3166-1 alpha-2 country codes.
pub mod country;
/// Postal-address checks per country: postal-code pattern and required fields.
pub mod address;
