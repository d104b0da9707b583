//! Every AliExpress wire type (protocols.md §3.4–§3.5) and every mapping between them and
//! `dropflow_core::supplier`, one file per concern: [`errors`] (gateway and remote errors),
//! [`catalog`] (product and freight queries: what a purchase would cost), [`place`] (the
//! order create request and its answers), [`status`] (order and tracking queries, statuses).
//!
//! Reading is lenient in the ways AliExpress is known to vary, and strict nowhere else:
//! - list fields come wrapped as `{plural: {singular_d_t_o: [...]}}` and sometimes hold a
//!   single object instead of an array (§3.5 "wrapper quirk"): [`one_or_many`] takes both;
//! - ids and codes arrive as JSON numbers or strings: [`text`] takes both;
//! - booleans arrive as `true` or `"true"`: [`flag`] takes both.
//!
//! Nothing here performs IO, so every mapping is tested without a server. The module is
//! private to the connector, so `pub` here means "for the connector".

mod catalog;
mod errors;
mod place;
mod status;

pub use catalog::*;
pub use errors::*;
pub use place::*;
pub use status::*;

use dropflow_core::money::{Money, MoneyError};
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierError;
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// Lenient field readers

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrManyRepr<T> {
    Many(Vec<T>),
    One(T),
}

/// A list that AliExpress may send as an array, a single object, or not at all.
fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(
        match Option::<OneOrManyRepr<T>>::deserialize(deserializer)? {
            None => Vec::new(),
            Some(OneOrManyRepr::Many(items)) => items,
            Some(OneOrManyRepr::One(item)) => vec![item],
        },
    )
}

/// A string, number or boolean as text (`8198352049851315` and `"8198352049851315"` alike).
fn text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    use serde_json::Value;
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(Value::Array(_) | Value::Object(_)) => Err(serde::de::Error::custom(
            "expected a string or a number, found a list or an object",
        )),
    }
}

/// `true`, `"true"` (any case) are true; anything else, or nothing, is false.
fn flag<'de, D>(deserializer: D) -> Result<bool, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(text(deserializer)?.is_some_and(|t| t.eq_ignore_ascii_case("true")))
}

/// A list of texts (numbers or strings), in either list shape.
fn texts<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Text(#[serde(deserialize_with = "text")] Option<String>);
    let items: Vec<Text> = one_or_many(deserializer)?;
    Ok(items.into_iter().filter_map(|t| t.0).collect())
}

/// Decodes one result object, naming the API in the error so a mismatch is easy to place.
pub fn decode<T: DeserializeOwned>(
    api: &str,
    value: serde_json::Value,
) -> Result<T, SupplierError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        SupplierError::Protocol(format!(
            "{api}: unexpected field {}: {}",
            err.path(),
            // serde quotes offending strings; results can hold names and addresses, so only
            // the kind of mismatch is kept.
            without_quoted_text(&err.inner().to_string())
        ))
    })
}

/// serde's message up to the first quoted value ("invalid type: string \"…\"" → "invalid
/// type"); messages without quotes ("missing field `x`") are kept whole.
fn without_quoted_text(message: &str) -> &str {
    match message.find('"') {
        Some(quote) => message[..quote]
            .rsplit_once(':')
            .map_or(message[..quote].trim_end(), |(kind, _)| kind),
        None => message,
    }
}

// ---------------------------------------------------------------------------------------------
// Money

/// Reads an AliExpress amount (`"12.34"`, `12.34`, `"12.345"`) in `currency_code`.
///
/// AliExpress sometimes sends more decimals than the currency has; those are rounded half up
/// (a cost is better reported a fraction high than low to a price guard). `None` for an
/// unknown currency or text that is not a number.
pub fn amount(value: &str, currency_code: &str) -> Option<Money> {
    let currency = Currency::from_code(currency_code.trim()).ok()?;
    match Money::parse_decimal(value, currency) {
        Ok(money) => Some(money),
        Err(MoneyError::TooPrecise { .. }) => round_half_up(value.trim(), currency),
        Err(MoneyError::NotANumber(_) | MoneyError::Overflow(_)) => None,
    }
}

fn round_half_up(value: &str, currency: Currency) -> Option<Money> {
    let exponent = usize::from(currency.minor_units());
    let (int_part, frac_part) = value.split_once('.')?;
    let kept = frac_part.get(..exponent)?;
    let next = frac_part.as_bytes().get(exponent).copied()?;
    let truncated = Money::parse_decimal(&format!("{int_part}.{kept}"), currency).ok()?;
    let step = if next >= b'5' { 1 } else { 0 };
    let signed_step = if truncated.minor < 0 || int_part.starts_with('-') {
        -step
    } else {
        step
    };
    Some(Money::new(
        truncated.minor.checked_add(signed_step)?,
        currency,
    ))
}

/// Sums amounts of one currency; `None` if any is missing or the currencies differ.
pub fn sum(amounts: impl IntoIterator<Item = Option<Money>>) -> Option<Money> {
    let mut total: Option<Money> = None;
    for amount in amounts {
        let amount = amount?;
        total = Some(match total {
            None => amount,
            Some(t) if t.currency == amount.currency => {
                Money::new(t.minor.checked_add(amount.minor)?, t.currency)
            }
            Some(_) => return None,
        });
    }
    total
}

/// `amount` × `quantity`, `None` on overflow.
pub fn times(amount: Money, quantity: u32) -> Option<Money> {
    Some(Money::new(
        amount.minor.checked_mul(i64::from(quantity))?,
        amount.currency,
    ))
}
