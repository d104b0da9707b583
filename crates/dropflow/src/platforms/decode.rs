//! Decoding helpers shared by the connectors: JSON with field paths in errors, and the small
//! value shapes every platform sends (ids, decimal strings, optional text).
//!
//! Wire structs declare the fields we cannot do without as `Option` and check them in the
//! mapping with [`required`]: that way a missing field is reported with its full path
//! (`line_items[2].id`), which serde's own "missing field" error does not give.

use super::PayloadError;
use chrono::{DateTime, NaiveDateTime, Utc};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// Parses `body` as JSON into `T`, reporting type errors with the JSON path of the field.
pub(super) fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, PayloadError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = display_path(err.path());
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => PayloadError::Invalid {
                path,
                reason: without_quoted_text(&without_position(&inner)),
            },
            serde_json::error::Category::Io
            | serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof => PayloadError::NotJson(inner.to_string()),
        }
    })?;
    // Trailing bytes after the value ("{}{}") mean the body is not one JSON document.
    de.end()
        .map_err(|err| PayloadError::NotJson(err.to_string()))?;
    Ok(value)
}

/// `serde_path_to_error` renders the root as "."; say "(body)" so messages read naturally.
fn display_path(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." {
        "(body)".to_string()
    } else {
        text
    }
}

/// serde_json appends " at line L column C" to data errors; the path already locates the
/// field, and a column in a minified body helps nobody.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) if err.line() != 0 => message.to_string(),
        _ => text,
    }
}

/// serde quotes the offending value (`invalid type: string "jane@example.com", expected …`).
/// Strings are where names, e-mails and addresses live, so the quoted text is replaced: the
/// path and the expected type say enough to fix the payload.
fn without_quoted_text(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        out.push_str("\"…\"");
        let mut escaped = false;
        for inner in chars.by_ref() {
            match (escaped, inner) {
                (false, '\\') => escaped = true,
                (false, '"') => break,
                _ => escaped = false,
            }
        }
    }
    out
}

/// A required value, or [`PayloadError::Missing`] naming its path.
pub(super) fn required<T>(value: Option<T>, path: impl Into<String>) -> Result<T, PayloadError> {
    value.ok_or_else(|| PayloadError::Missing { path: path.into() })
}

pub(super) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> PayloadError {
    PayloadError::Invalid {
        path: path.into(),
        reason: reason.into(),
    }
}

pub(super) fn currency(code: &str, path: &str) -> Result<Currency, PayloadError> {
    Currency::from_code(code).map_err(|err| invalid(path, err.to_string()))
}

/// A decimal amount in the order's currency, exactly (no floating point on the way).
/// Prices and totals a store sends are never negative (a refund or discount is its own
/// field), so `-19.00` is refused naming the field rather than stored.
pub(super) fn money(amount: &str, currency: Currency, path: &str) -> Result<Money, PayloadError> {
    let money =
        Money::parse_decimal(amount, currency).map_err(|err| invalid(path, err.to_string()))?;
    if money.minor < 0 {
        return Err(invalid(path, "an amount must not be negative"));
    }
    Ok(money)
}

/// An order-level amount older payloads may lack: absent or `null` is zero; anything sent is
/// read like every other amount, so a malformed one is refused naming the field.
pub(super) fn money_or_zero(
    amount: Option<DecimalText>,
    currency: Currency,
    path: &str,
) -> Result<Money, PayloadError> {
    match amount {
        Some(DecimalText(text)) => money(&text, currency, path),
        None => Ok(Money::zero(currency)),
    }
}

/// Line quantities arrive as JSON integers of any sign; we take them as `i64` so a zero or
/// negative one gets this message instead of serde's "expected u32".
pub(super) fn quantity(value: i64, path: &str) -> Result<u32, PayloadError> {
    if value <= 0 {
        return Err(invalid(
            path,
            format!("quantity must be a positive integer, got {value}"),
        ));
    }
    u32::try_from(value).map_err(|_| invalid(path, format!("quantity {value} is too large")))
}

/// An ISO-8601 timestamp with an offset (`2008-01-10T11:00:00-05:00`, `...Z`), in UTC.
pub(super) fn timestamp_with_offset(text: &str, path: &str) -> Result<DateTime<Utc>, PayloadError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid(path, "expected an ISO-8601 timestamp with offset"))
}

/// A timestamp the platform documents as UTC but writes without an offset
/// (`2017-03-22T19:28:02`). An explicit offset, if a plugin adds one, is honoured.
pub(super) fn timestamp_utc_naive(text: &str, path: &str) -> Result<DateTime<Utc>, PayloadError> {
    let text = text.trim();
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(naive.and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            invalid(
                path,
                "expected an ISO-8601 timestamp (UTC, e.g. 2017-03-22T19:28:02)",
            )
        })
}

/// An id as text. Platforms send 64-bit integers (never to be read through `f64`, which
/// would round ids above 2^53); some proxies and plugins stringify them, so text is accepted
/// as is. Floats and negative numbers are not ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ExternalId(pub String);

impl<'de> Deserialize<'de> for ExternalId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = ExternalId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id (a non-negative integer or a non-empty string)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ExternalId, E> {
                Ok(ExternalId(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ExternalId, E> {
                u64::try_from(v)
                    .map(|v| ExternalId(v.to_string()))
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ExternalId, E> {
                let v = v.trim();
                if v.is_empty() {
                    return Err(E::invalid_value(de::Unexpected::Str(v), &self));
                }
                Ok(ExternalId(v.to_string()))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// An id where `0` means "none" (WooCommerce: `variation_id: 0` for simple products,
/// `customer_id: 0` for guests, `product_id: 0` once the product was deleted).
pub(super) fn nonzero_id(id: Option<ExternalId>) -> Option<String> {
    id.map(|ExternalId(text)| text).filter(|text| text != "0")
}

/// A money amount the platform sends as a JSON string (`"598.94"`). Only strings are
/// accepted: the error then reads "expected a decimal string". Parsing into [`Money`] waits for
/// the mapping, which knows the currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DecimalText(pub String);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DecimalVisitor;
        impl Visitor<'_> for DecimalVisitor {
            type Value = DecimalText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_string()))
            }
        }
        deserializer.deserialize_any(DecimalVisitor)
    }
}

/// A decimal amount sent as a JSON number *or* a string, kept as the text of the number.
/// Integers keep their digits; a float is written the way serde_json writes it (the shortest
/// text that reads back as the same `f64`, e.g. `21.99`), which is what the platform's PHP
/// `json_encode` meant, so no binary-float rounding reaches [`Money`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NumberText(pub String);

impl<'de> Deserialize<'de> for NumberText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = NumberText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a decimal string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumberText, E> {
                Ok(NumberText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumberText, E> {
                Ok(NumberText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumberText, E> {
                serde_json::Number::from_f64(v)
                    .map(|n| NumberText(n.to_string()))
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumberText, E> {
                Ok(NumberText(v.to_string()))
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// `deserialize_with` for free text that may hold personal data (names, emails, phones,
/// address lines): `null`, absent or blank → `None`.
///
/// A value of the wrong JSON type is an error that does *not* quote the value (serde's own
/// message would), so personal data never reaches a log through a [`PayloadError`].
pub(super) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct TextVisitor;
    impl<'de> Visitor<'de> for TextVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<String>, D2::Error> {
            d.deserialize_any(TextVisitor)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<String>, E> {
            Ok(non_blank(v))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<String>, E> {
            Err(E::custom(
                "invalid type: boolean, expected a string or null",
            ))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<String>, E> {
            Err(E::custom("invalid type: number, expected a string or null"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<String>, E> {
            Err(E::custom("invalid type: number, expected a string or null"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<String>, E> {
            Err(E::custom("invalid type: number, expected a string or null"))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Option<String>, A::Error> {
            Err(de::Error::custom(
                "invalid type: array, expected a string or null",
            ))
        }
        fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Option<String>, A::Error> {
            Err(de::Error::custom(
                "invalid type: object, expected a string or null",
            ))
        }
    }
    d.deserialize_option(TextVisitor)
}

fn non_blank(v: &str) -> Option<String> {
    if v.trim().is_empty() {
        None
    } else {
        Some(v.to_string())
    }
}

/// `"a"`, `"b"` → `"a b"`; either alone → itself; neither → `None`.
pub(super) fn join_names(first: Option<&str>, last: Option<&str>) -> Option<String> {
    match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_string()),
        (None, None) => None,
    }
}

/// A JSON scalar as display text (`"Red"`, `2`, `true`); `None` for null, arrays and objects.
/// For fields that only help a person read the order (variant words): an odd shape there is
/// left out, never a reason to refuse the order.
pub(super) fn display_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => non_blank(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Null | serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Probe {
        id: Option<ExternalId>,
        #[serde(default, deserialize_with = "opt_text")]
        email: Option<String>,
        price: Option<NumberText>,
        amount: Option<DecimalText>,
    }

    #[test]
    fn type_errors_do_not_quote_the_text_that_was_sent() {
        #[derive(Deserialize, Debug)]
        struct Counted {
            #[allow(dead_code)]
            quantity: Option<u64>,
        }
        let err = json::<Counted>(br#"{"quantity": "jane \"q\" doe@example.com"}"#).unwrap_err();
        let message = err.to_string();
        assert!(!message.contains("jane"), "{message}");
        assert!(!message.contains("example.com"), "{message}");
        assert!(
            message.starts_with("quantity: invalid type: string"),
            "{message}"
        );
    }

    #[test]
    fn ids_accept_big_integers_and_strings_but_not_floats() {
        let p: Probe = json(br#"{"id": 18446744073709551615}"#).unwrap();
        assert_eq!(p.id.unwrap().0, "18446744073709551615");
        let p: Probe = json(br#"{"id": "gid-7"}"#).unwrap();
        assert_eq!(p.id.unwrap().0, "gid-7");
        let err = json::<Probe>(br#"{"id": 1.5}"#).unwrap_err();
        assert_eq!(err.path(), Some("id"));
        let err = json::<Probe>(br#"{"id": -3}"#).unwrap_err();
        assert_eq!(err.path(), Some("id"));
    }

    #[test]
    fn personal_text_errors_do_not_quote_the_value() {
        let err = json::<Probe>(br#"{"email": 5551234567}"#).unwrap_err();
        assert_eq!(err.path(), Some("email"));
        assert!(!err.to_string().contains("5551234567"), "{err}");
        let p: Probe = json(br#"{"email": "  "}"#).unwrap();
        assert_eq!(p.email, None);
    }

    #[test]
    fn float_numbers_keep_their_shortest_text() {
        let p: Probe = json(br#"{"price": 21.99}"#).unwrap();
        assert_eq!(p.price.unwrap().0, "21.99");
        let p: Probe = json(br#"{"price": 3}"#).unwrap();
        assert_eq!(p.price.unwrap().0, "3");
    }

    #[test]
    fn decimal_strings_reject_numbers_with_a_clear_message() {
        let p: Probe = json(br#"{"amount": "1.50"}"#).unwrap();
        assert_eq!(p.amount.unwrap().0, "1.50");
        let err = json::<Probe>(br#"{"amount": 5}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "amount: invalid type: integer `5`, expected a decimal string"
        );
    }

    #[test]
    fn syntax_errors_and_trailing_bytes_are_not_json() {
        assert!(matches!(json::<Probe>(b"{"), Err(PayloadError::NotJson(_))));
        assert!(matches!(
            json::<Probe>(b"{} {}"),
            Err(PayloadError::NotJson(_))
        ));
        let err = json::<Probe>(b"[1]").unwrap_err();
        assert_eq!(err.path(), Some("(body)"));
    }
}
