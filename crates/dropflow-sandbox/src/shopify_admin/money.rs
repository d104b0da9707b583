//! Money and ids as the sandbox reads and writes them: exact minor units per currency, REST
//! decimals (`"41.94"`) and GraphQL `Decimal`s (`"10.0"`).

use serde_json::Value;

/// A JSON id: a number, or digits in a string (the official mocks write ids as strings).
pub(crate) fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON amount as text: a string as is, a number as written.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The decimals of a currency's minor unit (ISO 4217): the sandbox knows the zero- and
/// three-decimal ones; every other code has two.
pub(crate) fn minor_units(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// An amount in minor units, exactly: digits, and at most `decimals` of them after the
/// point (trailing zeros beyond are fine, `"10.0"` JPY); nothing negative.
pub(crate) fn parse_minor(text: &str, decimals: u32) -> Option<i64> {
    let text = text.trim();
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = frac.trim_end_matches('0');
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > decimals as usize
    {
        return None;
    }
    let mut minor: i64 = 0;
    for b in int.bytes() {
        minor = minor.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    for i in 0..decimals as usize {
        let digit = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        minor = minor.checked_mul(10)?.checked_add(digit)?;
    }
    Some(minor)
}

/// Minor units as REST writes money: exactly the currency's decimals (`"41.94"`, `"3500"`).
pub(crate) fn decimal_text(minor: i64, decimals: u32) -> String {
    if decimals == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(decimals);
    format!(
        "{}{}.{:0width$}",
        if minor < 0 { "-" } else { "" },
        minor.abs() / scale,
        minor.abs() % scale,
        width = decimals as usize
    )
}

/// Minor units as a GraphQL `Decimal`: trailing zeros dropped, one decimal kept.
pub(crate) fn graphql_decimal(minor: i64, decimals: u32) -> String {
    let text = decimal_text(minor, decimals);
    let text = if text.contains('.') {
        text.trim_end_matches('0').to_string()
    } else {
        format!("{text}.")
    };
    if text.ends_with('.') {
        format!("{text}0")
    } else {
        text
    }
}
