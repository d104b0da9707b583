//! STUB — to be replaced with the table built from data/iso-country-codes/country-codes.csv.
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 3166-1 alpha-2 code that exists in the embedded table (upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ISO 3166-1 alpha-2 country code")]
pub struct UnknownCountry(pub String);

impl CountryCode {
    /// Looks an alpha-2 code up, case-insensitively (`"us"` → US).
    pub fn from_alpha2(code: &str) -> Result<CountryCode, UnknownCountry> {
        let upper = code.trim().to_ascii_uppercase();
        let b = upper.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_uppercase) {
            return Err(UnknownCountry(code.to_string()));
        }
        Ok(CountryCode([b[0], b[1]]))
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
    /// The English short name ("United States of America").
    pub fn name(&self) -> &'static str {
        ""
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
