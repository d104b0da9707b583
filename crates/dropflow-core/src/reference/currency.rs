//! ISO 4217 currencies, embedded at build time from `data/iso-currency-codes/codes-all.csv`.
//!
//! The table holds the *current* currencies: rows with a withdrawal date and rows without a
//! code are skipped. Codes whose minor unit is "not applicable" in ISO 4217 (precious metals
//! XAU/XAG/XPD/XPT, SDR XDR, the bond-market units XBA..XBD, XSU, XUA, the test code XTS and XXX
//! "no currency") are deliberately **excluded**: an order cannot be priced in them, and giving
//! them an invented exponent would let nonsense amounts through. `from_code` rejects them.
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One row of the generated table.
struct CurrencyRecord {
    code: &'static str,
    minor_units: u8,
    numeric: u16,
    name: &'static str,
}

// Defines `static CURRENCIES: &[CurrencyRecord]`, sorted by code.
include!(concat!(env!("OUT_DIR"), "/currencies.rs"));

/// An ISO 4217 currency that exists in the embedded table. Private fields: the only way to get
/// one is [`Currency::from_code`], so holding a `Currency` proves the code is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ISO 4217 currency code")]
pub struct UnknownCurrency(pub String);

fn record(code: &str) -> Option<&'static CurrencyRecord> {
    CURRENCIES
        .binary_search_by(|r| r.code.cmp(code))
        .ok()
        .and_then(|i| CURRENCIES.get(i))
}

impl Currency {
    /// Looks a code up, case-insensitively and ignoring surrounding whitespace (`"usd"` → USD).
    /// Withdrawn codes (DEM, FRF...) and the non-monetary X-codes (XAU, XTS...) are rejected.
    pub fn from_code(code: &str) -> Result<Currency, UnknownCurrency> {
        let upper = code.trim().to_ascii_uppercase();
        match (record(&upper), upper.as_bytes()) {
            (Some(r), &[a, b, c]) => Ok(Currency {
                code: [a, b, c],
                minor_units: r.minor_units,
            }),
            _ => Err(UnknownCurrency(code.to_string())),
        }
    }
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }
    /// Number of decimals of the minor unit (2 for USD, 0 for JPY, 3 for KWD).
    pub fn minor_units(&self) -> u8 {
        self.minor_units
    }
    /// The ISO 4217 name ("US Dollar", "Yen").
    pub fn name(&self) -> &'static str {
        record(self.code()).map_or("", |r| r.name)
    }
    /// The ISO 4217 numeric code (840 for USD).
    pub fn numeric_code(&self) -> u16 {
        record(self.code()).map_or(0, |r| r.numeric)
    }
    /// Every currency in the table, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .filter_map(|r| Currency::from_code(r.code).ok())
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}
impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::from_code(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn minor(code: &str) -> u8 {
        Currency::from_code(code).unwrap().minor_units()
    }

    #[test]
    fn minor_units_come_from_the_iso_table() {
        assert_eq!(minor("USD"), 2);
        assert_eq!(minor("EUR"), 2);
        assert_eq!(minor("JPY"), 0);
        assert_eq!(minor("KRW"), 0);
        assert_eq!(minor("KWD"), 3);
        assert_eq!(minor("BHD"), 3);
        assert_eq!(minor("CLF"), 4);
    }

    #[test]
    fn lookup_is_case_insensitive_and_trims() {
        let usd = Currency::from_code("usd").unwrap();
        assert_eq!(usd.code(), "USD");
        assert_eq!(Currency::from_code(" Usd ").unwrap(), usd);
        assert_eq!(usd.name(), "US Dollar");
        assert_eq!(usd.numeric_code(), 840);
        assert_eq!(usd.to_string(), "USD");
    }

    #[test]
    fn unknown_withdrawn_and_non_monetary_codes_are_rejected() {
        for code in [
            "ABC", "", "US", "USDX", "DEM", "FRF", "XAU", "XTS", "XXX", "XDR",
        ] {
            assert_eq!(
                Currency::from_code(code),
                Err(UnknownCurrency(code.to_string())),
                "{code}"
            );
        }
    }

    #[test]
    fn table_is_sorted_unique_and_plausible() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].code < w[1].code));
        assert!(CURRENCIES.len() > 150, "{}", CURRENCIES.len());
        assert!(CURRENCIES.iter().all(|r| r.minor_units <= 4));
        assert_eq!(Currency::all().count(), CURRENCIES.len());
    }

    #[test]
    fn serde_round_trip_and_rejection() {
        let c: Currency = serde_json::from_str("\"jpy\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"JPY\"");
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }
}
