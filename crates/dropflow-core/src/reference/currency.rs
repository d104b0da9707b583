//! STUB — to be replaced with the table built from data/iso-currency-codes/codes-all.csv.
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

impl Currency {
    /// Looks a code up, case-insensitively (`"usd"` → USD).
    pub fn from_code(code: &str) -> Result<Currency, UnknownCurrency> {
        let upper = code.trim().to_ascii_uppercase();
        let minor_units = match upper.as_str() {
            "USD" | "EUR" | "GBP" | "CAD" | "AUD" | "HKD" | "CNY" => 2,
            "JPY" => 0,
            _ => return Err(UnknownCurrency(code.to_string())),
        };
        let b = upper.as_bytes();
        Ok(Currency {
            code: [b[0], b[1], b[2]],
            minor_units,
        })
    }
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }
    /// Number of decimals of the minor unit (2 for USD, 0 for JPY, 3 for KWD).
    pub fn minor_units(&self) -> u8 {
        self.minor_units
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
