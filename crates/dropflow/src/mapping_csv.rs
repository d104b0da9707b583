//! Product mappings as CSV, one offer per row, for `dropflow mappings import|export`.
//!
//! Columns: `key_kind` (variant|sku), `key`, `title`, `component` (0-based), `component_quantity`,
//! `supplier` (aliexpress|cj|manual), `account`, `supplier_product_id`, `supplier_sku_id`,
//! `unit_cost` (decimal), `currency`, `priority`, `ships_to` (space-separated ISO codes, empty
//! = everywhere), `stock` (empty = unknown), `product_url` (empty, or an `https://` address),
//! `shipping_cost` (decimal in `currency`, once per purchase whatever the quantity; empty =
//! nothing on top of the goods; a file without the column imports as before).
//!
//! Rows of the same key build one mapping. A bad row is reported with its line number and
//! skipped; it never stops the good rows (the rest of its key's mapping is still imported).

use crate::storage::catalog::KeyKind;
use dropflow_core::catalog::{Component, Mapping, Offer, SupplierRef};
use dropflow_core::money::Money;
use dropflow_core::reference::country::CountryCode;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One CSV row.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Row {
    pub key_kind: String,
    pub key: String,
    #[serde(default)]
    pub title: String,
    pub component: usize,
    pub component_quantity: u32,
    pub supplier: String,
    #[serde(default)]
    pub account: String,
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    pub unit_cost: String,
    pub currency: String,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub ships_to: String,
    #[serde(default)]
    pub stock: Option<u32>,
    #[serde(default)]
    pub product_url: String,
    #[serde(default)]
    pub shipping_cost: String,
}

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub message: String,
}

/// A mapping assembled from rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMapping {
    pub key_kind: KeyKind,
    pub key: String,
    pub title: Option<String>,
    pub mapping: Mapping,
}

/// Reads every row; returns the mappings the good rows make and an error per bad row.
/// `on_row` is called after each row (for a progress bar).
pub fn parse(
    input: impl std::io::Read,
    mut on_row: impl FnMut(),
) -> (Vec<ParsedMapping>, Vec<RowError>) {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut errors = Vec::new();
    // key → (title, component index → (quantity, offers))
    type Components = BTreeMap<usize, (u32, Vec<Offer>)>;
    let mut grouped: BTreeMap<(String, String), (Option<String>, Components)> = BTreeMap::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(RowError {
                line: 1,
                message: without_quoted_values(&e.to_string()),
            });
            return (Vec::new(), errors);
        }
    };
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                on_row();
                errors.push(RowError {
                    line,
                    message: without_quoted_values(&e.to_string()),
                });
                continue;
            }
        }
        on_row();
        let line = record.position().map_or(line, |p| p.line());
        let row: Row = match record.deserialize(Some(&headers)) {
            Ok(row) => row,
            Err(e) => {
                errors.push(RowError {
                    line,
                    message: without_quoted_values(&e.to_string()),
                });
                continue;
            }
        };
        match check(&row) {
            Ok((kind, offer)) => {
                let entry = grouped
                    .entry((kind.as_str().to_string(), row.key.clone()))
                    .or_insert_with(|| (None, BTreeMap::new()));
                if entry.0.is_none() && !row.title.is_empty() {
                    entry.0 = Some(row.title.clone());
                }
                let component = entry
                    .1
                    .entry(row.component)
                    .or_insert_with(|| (row.component_quantity, Vec::new()));
                component.1.push(offer);
            }
            Err(message) => errors.push(RowError { line, message }),
        }
    }
    let mappings = grouped
        .into_iter()
        .map(|((kind, key), (title, components))| {
            let key_kind = if kind == "sku" {
                KeyKind::Sku
            } else {
                KeyKind::Variant
            };
            ParsedMapping {
                key_kind,
                key,
                title,
                mapping: Mapping {
                    components: components
                        .into_values()
                        .map(|(quantity, offers)| Component { quantity, offers })
                        .collect(),
                },
            }
        })
        .collect();
    (mappings, errors)
}

fn check(row: &Row) -> Result<(KeyKind, Offer), String> {
    let kind = match row.key_kind.as_str() {
        "variant" => KeyKind::Variant,
        "sku" => KeyKind::Sku,
        _ => return Err("key_kind must be variant or sku".into()),
    };
    if row.key.is_empty() {
        return Err("key must not be empty".into());
    }
    if row.component_quantity == 0 {
        return Err("component_quantity must be at least 1".into());
    }
    let supplier = SupplierKind::parse(&row.supplier)
        .ok_or_else(|| "supplier must be aliexpress, cj or manual".to_string())?;
    let currency = Currency::from_code(&row.currency).map_err(|e| format!("currency: {e}"))?;
    let unit_cost =
        Money::parse_decimal(&row.unit_cost, currency).map_err(|e| format!("unit_cost: {e}"))?;
    if unit_cost.minor < 0 {
        return Err("unit_cost must not be negative".into());
    }
    let ships_to = row
        .ships_to
        .split_whitespace()
        .map(|c| CountryCode::from_alpha2(c).map_err(|e| format!("ships_to: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    for (name, value) in [
        ("supplier_product_id", &row.supplier_product_id),
        ("supplier_sku_id", &row.supplier_sku_id),
    ] {
        if value.is_empty() {
            return Err(format!("{name} must not be empty"));
        }
    }
    let shipping_cost = match row.shipping_cost.as_str() {
        "" => None,
        text => Some(
            dropflow_core::catalog::shipping_cost(text, currency)
                .map_err(|why| format!("shipping_cost: {why}"))?,
        ),
    };
    let product_url = match row.product_url.as_str() {
        "" => None,
        url => Some(crate::supplier_link::check(url).map_err(|why| format!("product_url: {why}"))?),
    };
    Ok((
        kind,
        Offer {
            supplier: SupplierRef {
                kind: supplier,
                account: if row.account.is_empty() {
                    "default".into()
                } else {
                    row.account.clone()
                },
            },
            supplier_product_id: row.supplier_product_id.clone(),
            supplier_sku_id: row.supplier_sku_id.clone(),
            unit_cost,
            priority: row.priority,
            ships_to,
            stock: row.stock,
            product_url,
            shipping_cost,
        },
    ))
}

/// The rows of one mapping, for export.
pub fn rows_of(key_kind: KeyKind, key: &str, title: Option<&str>, mapping: &Mapping) -> Vec<Row> {
    let mut rows = Vec::new();
    for (index, component) in mapping.components.iter().enumerate() {
        for offer in &component.offers {
            rows.push(Row {
                key_kind: key_kind.as_str().into(),
                key: key.into(),
                title: title.unwrap_or_default().into(),
                component: index,
                component_quantity: component.quantity,
                supplier: offer.supplier.kind.as_str().into(),
                account: offer.supplier.account.clone(),
                supplier_product_id: offer.supplier_product_id.clone(),
                supplier_sku_id: offer.supplier_sku_id.clone(),
                unit_cost: offer.unit_cost.to_decimal_string(),
                currency: offer.unit_cost.currency.code().into(),
                priority: offer.priority,
                ships_to: offer
                    .ships_to
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                stock: offer.stock,
                product_url: offer.product_url.clone().unwrap_or_default(),
                shipping_cost: offer
                    .shipping_cost
                    .map(|s| s.to_decimal_string())
                    .unwrap_or_default(),
            });
        }
    }
    rows
}

/// The csv crate quotes field values in some messages; they may be anything a merchant
/// typed, so only the position and the expectation are kept.
fn without_quoted_values(message: &str) -> String {
    match message.find('"') {
        Some(at) => format!("{}…", &message[..at]),
        None => message.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const HEADER: &str = "key_kind,key,title,component,component_quantity,supplier,account,supplier_product_id,supplier_sku_id,unit_cost,currency,priority,ships_to,stock,product_url\n";

    #[test]
    fn good_rows_build_mappings_and_bad_rows_are_reported_by_line() {
        let csv = format!(
            "{HEADER}\
variant,111,Mug,0,1,aliexpress,,p1,s1,3.50,USD,1,US CA,10,\n\
variant,111,Mug,0,1,cj,,p2,s2,4.00,USD,2,,,\n\
variant,222,Gift set,0,1,aliexpress,,p3,s3,2.00,USD,0,,,\n\
variant,222,Gift set,1,2,manual,acme,p4,s4,0.50,USD,0,,,https://example.test/p4\n\
variant,333,Bad,0,1,ebay,,p5,s5,1.00,USD,0,,,\n\
variant,444,Bad cost,0,1,cj,,p6,s6,1.001,USD,0,,,\n\
variant,555,Not a number,0,x,cj,,p7,s7,1.00,USD,0,,,\n"
        );
        let mut seen = 0;
        let (mappings, errors) = parse(csv.as_bytes(), || seen += 1);
        assert_eq!(seen, 7);
        assert_eq!(mappings.len(), 2);
        assert_eq!(mappings[0].key, "111");
        assert_eq!(mappings[0].mapping.components[0].offers.len(), 2);
        assert_eq!(mappings[1].mapping.components.len(), 2);
        assert_eq!(mappings[1].mapping.components[1].quantity, 2);
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![6, 7, 8], "{errors:?}");
        assert!(errors[0].message.contains("supplier"));
        assert!(errors[1].message.contains("unit_cost"));
    }

    #[test]
    fn a_supplier_link_must_be_https_and_its_row_is_reported_otherwise() {
        let csv = format!(
            "{HEADER}\
variant,111,Mug,0,1,manual,acme,p1,s1,3.50,USD,1,,,https://supplier.test/item/1\n\
variant,222,Cap,0,1,manual,acme,p2,s2,3.50,USD,1,,,http://supplier.test/item/2\n\
variant,333,Hat,0,1,manual,acme,p3,s3,3.50,USD,1,,,javascript:alert(1)\n"
        );
        let (mappings, errors) = parse(csv.as_bytes(), || {});
        assert_eq!(mappings.len(), 1, "{errors:?}");
        assert_eq!(
            mappings[0].mapping.components[0].offers[0]
                .product_url
                .as_deref(),
            Some("https://supplier.test/item/1")
        );
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4], "{errors:?}");
        assert!(errors.iter().all(|e| e
            .message
            .starts_with("product_url: must start with https://")));
        // The message never repeats what was typed.
        assert!(!errors[1].message.contains("javascript"), "{errors:?}");
    }

    #[test]
    fn an_offers_shipping_cost_round_trips_and_a_negative_or_bad_one_is_refused() {
        let header = HEADER.replace("product_url\n", "product_url,shipping_cost\n");
        let csv = format!(
            "{header}\
variant,111,Mug,0,1,manual,acme,p1,s1,3.50,USD,1,,,,4.25\n\
variant,222,Cap,0,1,manual,acme,p2,s2,3.50,USD,1,,,,\n\
variant,333,Hat,0,1,manual,acme,p3,s3,3.50,USD,1,,,,-1.00\n\
variant,444,Bag,0,1,manual,acme,p4,s4,3.50,USD,1,,,,1.001\n"
        );
        let (mappings, errors) = parse(csv.as_bytes(), || {});
        assert_eq!(mappings.len(), 2, "{errors:?}");
        let offer = |m: &ParsedMapping| m.mapping.components[0].offers[0].clone();
        let usd = Currency::from_code("USD").unwrap();
        assert_eq!(
            offer(&mappings[0]).shipping_cost,
            Some(Money::new(425, usd))
        );
        assert_eq!(offer(&mappings[1]).shipping_cost, None);
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 5], "{errors:?}");
        assert!(errors
            .iter()
            .all(|e| e.message.starts_with("shipping_cost")));

        let mut out = csv::Writer::from_writer(Vec::new());
        for m in &mappings {
            for row in rows_of(m.key_kind, &m.key, m.title.as_deref(), &m.mapping) {
                out.serialize(row).unwrap();
            }
        }
        let bytes = out.into_inner().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.lines().next().unwrap().ends_with(",shipping_cost"),
            "{text}"
        );
        let (again, errors) = parse(bytes.as_slice(), || {});
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(again, mappings);
    }

    #[test]
    fn export_then_import_gives_the_same_mapping() {
        let csv = format!("{HEADER}sku,MUG-1,Mug,0,1,aliexpress,,p1,s1,3.50,USD,1,US CA,10,\n");
        let (mappings, errors) = parse(csv.as_bytes(), || {});
        assert!(errors.is_empty());
        let m = &mappings[0];
        let mut out = csv::Writer::from_writer(Vec::new());
        for row in rows_of(m.key_kind, &m.key, m.title.as_deref(), &m.mapping) {
            out.serialize(row).unwrap();
        }
        let bytes = out.into_inner().unwrap();
        let (again, errors) = parse(bytes.as_slice(), || {});
        assert!(errors.is_empty());
        assert_eq!(again, mappings);
    }
}
