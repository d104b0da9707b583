//! A manual vendor's stock and cost (issue 15, deliver 1): a vendor has no API to read, so it
//! says what it has — on the API, or as a CSV file — and every mapping of the account that
//! buys that SKU from that vendor takes the figures. A mapping's own figure written now is
//! newer than any reading, so routing uses it at once; the store variants it maps are
//! compared and written at the next sync, orders held for stock are planned again, and each
//! mapping changed is in the audit log with the vendor as its actor (the history).
//!
//! Only the vendor itself (its own handle) or the account's owner (naming the vendor) may
//! enter figures; each line is checked alone: good lines are kept, bad ones reported by line
//! and left out.

use super::{ActionError, Caller};
use crate::services::vendor_view::vendor_of;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::catalog::{self, KeyKind};
use crate::storage::StorageError;
use dropflow_core::catalog::Offer;
use dropflow_core::ids::StoreId;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;
use std::collections::BTreeSet;

/// Most lines one call takes.
pub const MAX_LINES: usize = 5_000;

/// The most units a vendor may say it has of one SKU.
const MAX_STOCK: u32 = 10_000_000;

/// One line: a SKU's stock and/or unit cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockLine {
    pub supplier_sku_id: String,
    pub stock: Option<u32>,
    /// A decimal in `currency` (`"4.50"`).
    pub unit_cost: Option<String>,
    pub currency: Option<String>,
}

/// A line left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based: the line of the list (or of the CSV file, its header being line 1).
    pub line: usize,
    pub supplier_sku_id: String,
    pub message: String,
}

/// What an entry did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StockReport {
    /// Lines kept.
    pub accepted: usize,
    /// Mappings whose figures changed (a line can move several: one SKU in two stores).
    pub mappings_changed: usize,
    pub errors: Vec<LineError>,
}

/// A line as checked: its cost parsed.
struct Checked {
    sku: String,
    stock: Option<u32>,
    cost: Option<Money>,
}

fn check(line: &StockLine) -> Result<Checked, String> {
    let sku = line.supplier_sku_id.trim();
    if sku.is_empty() {
        return Err("supplier_sku_id is empty".into());
    }
    if sku.chars().count() > 200 {
        return Err("supplier_sku_id is longer than 200 characters".into());
    }
    if line.stock.is_some_and(|s| s > MAX_STOCK) {
        return Err(format!("stock must be at most {MAX_STOCK}"));
    }
    let cost = match (
        line.unit_cost.as_deref().map(str::trim),
        line.currency.as_deref(),
    ) {
        (None | Some(""), _) => None,
        (Some(_), None) => return Err("unit_cost needs its currency".into()),
        (Some(text), Some(code)) => {
            let currency = Currency::from_code(code.trim())
                .map_err(|_| format!("currency {code:?} is not an ISO 4217 code"))?;
            let cost = Money::parse_decimal(text, currency)
                .map_err(|e| format!("unit_cost {text:?}: {e}"))?;
            if cost.minor < 0 {
                return Err("unit_cost must not be negative".into());
            }
            Some(cost)
        }
    };
    if line.stock.is_none() && cost.is_none() {
        return Err("give stock, unit_cost or both".into());
    }
    Ok(Checked {
        sku: sku.to_string(),
        stock: line.stock,
        cost,
    })
}

/// The vendor whose figures these are: a vendor's own (naming another is 404), or the one
/// the owner names (a vendor the account does not know is 404).
async fn whose(ctx: &Context, caller: &Caller, named: Option<&str>) -> Result<String, ActionError> {
    caller.require(&[Role::Owner, Role::Vendor], "enter a vendor's stock")?;
    let named = named.map(str::trim).filter(|v| !v.is_empty());
    match (vendor_of(caller), named) {
        (Some(own), None) => Ok(own.to_string()),
        (Some(own), Some(other)) if other == own => Ok(own.to_string()),
        (Some(_), Some(_)) => Err(ActionError::NotFound("no such vendor".into())),
        (None, Some(vendor)) => {
            let account = match caller.scope {
                crate::storage::accounts::Scope::Installation => None,
                _ => Some(caller.account_id()),
            };
            if crate::storage::vendor_payouts::known_vendor(&ctx.db, account, vendor).await? {
                Ok(vendor.to_string())
            } else {
                Err(ActionError::NotFound("no such vendor".into()))
            }
        }
        (None, None) => Err(ActionError::Unprocessable(
            "vendor: name the vendor whose stock this is".into(),
        )),
    }
}

/// Enters `lines` (with their line numbers) for the vendor.
pub async fn enter(
    ctx: &Context,
    caller: &Caller,
    vendor: Option<&str>,
    lines: Vec<(usize, StockLine)>,
) -> Result<StockReport, ActionError> {
    let vendor = whose(ctx, caller, vendor).await?;
    if lines.len() > MAX_LINES {
        return Err(ActionError::Unprocessable(format!(
            "at most {MAX_LINES} lines at once, not {}",
            lines.len()
        )));
    }
    let supplier = format!("{}:{vendor}", SupplierKind::Manual.as_str());
    let mut report = StockReport::default();
    let mut seen = BTreeSet::new();
    let mut stores: BTreeSet<StoreId> = BTreeSet::new();
    let mut tx = ctx.db.begin().await?;
    for (number, line) in lines {
        let refuse = |message: String| LineError {
            line: number,
            supplier_sku_id: line.supplier_sku_id.clone(),
            message,
        };
        let checked = match check(&line) {
            Ok(checked) => checked,
            Err(message) => {
                report.errors.push(refuse(message));
                continue;
            }
        };
        if !seen.insert(checked.sku.clone()) {
            report
                .errors
                .push(refuse("the same SKU is on an earlier line".into()));
            continue;
        }
        let keys =
            catalog::keys_with_offer(&mut tx, caller.account_id(), &supplier, &checked.sku).await?;
        if keys.is_empty() {
            report.errors.push(refuse(format!(
                "no mapping buys SKU {} from vendor {vendor}",
                checked.sku
            )));
            continue;
        }
        for (store_id, kind, key) in keys {
            if apply(&mut tx, caller, store_id, (kind, &key), &vendor, &checked).await? {
                report.mappings_changed += 1;
                stores.insert(store_id);
            }
        }
        report.accepted += 1;
    }
    for store_id in stores {
        crate::fulfilment::restock::recheck_held(&mut tx, Some(store_id)).await?;
    }
    tx.commit().await.map_err(StorageError::from)?;
    Ok(report)
}

/// Sets the vendor's offers of the SKU in one mapping; whether anything changed.
async fn apply(
    tx: &mut crate::storage::Tx<'_>,
    caller: &Caller,
    store_id: StoreId,
    (kind, key): (KeyKind, &str),
    vendor: &str,
    line: &Checked,
) -> Result<bool, ActionError> {
    let Some((title, mut mapping)) = catalog::get_in(tx, store_id, kind, key).await? else {
        return Ok(false);
    };
    let theirs = |o: &Offer| {
        o.supplier.kind == SupplierKind::Manual
            && o.supplier.account == vendor
            && o.supplier_sku_id == line.sku
    };
    let before = mapping.clone();
    for offer in mapping
        .components
        .iter_mut()
        .flat_map(|c| c.offers.iter_mut())
        .filter(|o| theirs(o))
    {
        if let Some(stock) = line.stock {
            offer.stock = Some(stock);
        }
        if let Some(cost) = line.cost {
            offer.unit_cost = cost;
        }
    }
    if mapping == before {
        return Ok(false);
    }
    super::mappings::put_audited(
        tx,
        caller,
        store_id,
        (kind, key, title.as_deref(), &mapping),
    )
    .await?;
    Ok(true)
}

/// Reads the CSV a vendor uploads — `supplier_sku_id,stock,unit_cost,currency` with a header
/// line; an empty cell leaves that figure as it is — into numbered lines; a row that cannot
/// be read is a line error (its line number is the file's).
pub fn parse_csv(input: impl std::io::Read) -> (Vec<(usize, StockLine)>, Vec<LineError>) {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(input);
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(LineError {
                line: 1,
                supplier_sku_id: String::new(),
                message: format!("the header line cannot be read: {e}"),
            });
            return (lines, errors);
        }
    };
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(sku_at) = column("supplier_sku_id") else {
        errors.push(LineError {
            line: 1,
            supplier_sku_id: String::new(),
            message: "the header has no supplier_sku_id column".into(),
        });
        return (lines, errors);
    };
    let (stock_at, cost_at, currency_at) =
        (column("stock"), column("unit_cost"), column("currency"));
    for (i, record) in reader.records().enumerate() {
        let number = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(LineError {
                    line: number,
                    supplier_sku_id: String::new(),
                    message: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        let cell = |at: Option<usize>| {
            at.and_then(|a| record.get(a))
                .map(str::to_string)
                .filter(|v| !v.is_empty())
        };
        let sku = cell(Some(sku_at)).unwrap_or_default();
        let stock = match cell(stock_at).map(|s| s.parse::<u32>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                errors.push(LineError {
                    line: number,
                    supplier_sku_id: sku,
                    message: "stock must be a whole number, 0 or more".into(),
                });
                continue;
            }
        };
        lines.push((
            number,
            StockLine {
                supplier_sku_id: sku,
                stock,
                unit_cost: cell(cost_at),
                currency: cell(currency_at),
            },
        ));
    }
    (lines, errors)
}

/// [`enter`] for a CSV file: the rows that cannot be read are reported with those refused.
pub async fn enter_csv(
    ctx: &Context,
    caller: &Caller,
    vendor: Option<&str>,
    input: impl std::io::Read,
) -> Result<StockReport, ActionError> {
    let (lines, unreadable) = parse_csv(input);
    let mut report = enter(ctx, caller, vendor, lines).await?;
    report.errors.extend(unreadable);
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_is_read_by_its_header_and_bad_rows_are_numbered_as_in_the_file() {
        let file = "currency,supplier_sku_id,stock,unit_cost\n\
                    USD,MUG-1,12,4.50\n\
                    ,MUG-2,,\n\
                    USD,MUG-3,-4,1.00\n\
                    EUR,MUG-4,7,\n";
        let (lines, errors) = parse_csv(file.as_bytes());
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].0, 2);
        assert_eq!(lines[0].1.stock, Some(12));
        assert_eq!(lines[0].1.unit_cost.as_deref(), Some("4.50"));
        assert_eq!(lines[1].1.stock, None);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].line, errors[0].supplier_sku_id.as_str()),
            (4, "MUG-3")
        );
        // A line with neither figure is refused when checked.
        assert!(check(&lines[1].1).is_err());
        assert!(check(&lines[2].1).is_ok());
    }

    #[test]
    fn figures_are_checked() {
        let line = |stock, cost: Option<&str>, currency: Option<&str>| StockLine {
            supplier_sku_id: "A".into(),
            stock,
            unit_cost: cost.map(Into::into),
            currency: currency.map(Into::into),
        };
        assert!(check(&line(Some(MAX_STOCK + 1), None, None)).is_err());
        assert!(check(&line(None, Some("4.50"), None)).is_err());
        assert!(check(&line(None, Some("4.50"), Some("XXX"))).is_err());
        assert!(check(&line(None, Some("-1.00"), Some("USD"))).is_err());
        assert!(check(&line(None, Some("4.505"), Some("USD"))).is_err());
        let ok = check(&line(Some(3), Some("4.50"), Some("USD"))).unwrap();
        assert_eq!(ok.cost.map(|c| c.minor), Some(450));
    }
}
