//! Whether an order's items are all at the warehouse and cleared to ship, what is still
//! missing, shipping what is here, and combining orders to the same customer.

use super::inspection::FailureChoice;
use crate::reference::address::PostalAddress;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where one order item stands at the warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ItemState {
    /// Bought; the seller has not shipped it yet.
    Expected,
    /// The seller shipped it (domestic tracking known).
    InTransit,
    /// At the warehouse, not inspected yet.
    Arrived,
    Passed,
    /// Failed inspection; `choice` is the merchant's decision, `None` until made.
    Failed {
        choice: Option<FailureChoice>,
    },
    /// Already sent in an earlier parcel ("ship what is here").
    Shipped,
}

/// The domestic leg from the seller to the warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomesticTracking {
    pub carrier: String,
    pub number: String,
}

/// One order item as the warehouse sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub line_id: String,
    pub title: String,
    pub quantity: u32,
    pub state: ItemState,
    pub tracking: Option<DomesticTracking>,
    pub expected_arrival: Option<DateTime<Utc>>,
}

/// Whether an item goes in the next parcel, waits, or needs someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Passed, or failed and accepted as is.
    Shippable,
    /// At the warehouse waiting for inspection.
    AwaitingInspection,
    /// Failed; the merchant must choose.
    AwaitingMerchant,
    /// Not here yet (not shipped, or in transit).
    Missing,
    /// Not part of any parcel any more (returned to the seller, replaced by a reorder, or
    /// already shipped).
    Gone,
}

pub fn disposition(state: ItemState) -> Disposition {
    match state {
        ItemState::Passed
        | ItemState::Failed {
            choice: Some(FailureChoice::AcceptAsIs),
        } => Disposition::Shippable,
        ItemState::Arrived => Disposition::AwaitingInspection,
        ItemState::Failed { choice: None } => Disposition::AwaitingMerchant,
        ItemState::Expected | ItemState::InTransit => Disposition::Missing,
        // A reordered item is replaced by a new item (its own purchase and parcel), which is
        // what is missing until it arrives; the failed one never ships.
        ItemState::Failed {
            choice: Some(FailureChoice::Reorder | FailureChoice::ReturnAndRefund),
        }
        | ItemState::Shipped => Disposition::Gone,
    }
}

/// An item not at the warehouse yet, as the merchant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingItem {
    pub line_id: String,
    pub title: String,
    pub state: ItemState,
    pub tracking: Option<DomesticTracking>,
    pub expected_arrival: Option<DateTime<Utc>>,
}

/// The order's items, sorted by what happens to them next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    /// Everything still to ship is here and cleared: pack it.
    pub ready: bool,
    /// At the warehouse (shippable, awaiting inspection or a merchant's choice).
    pub arrived: Vec<String>,
    /// Cleared for the next parcel.
    pub shippable: Vec<String>,
    /// Needs the operator (inspection) or the merchant (a choice) first.
    pub blocked: Vec<String>,
    pub missing: Vec<MissingItem>,
}

pub fn readiness(items: &[Item]) -> Readiness {
    let mut r = Readiness {
        ready: false,
        arrived: Vec::new(),
        shippable: Vec::new(),
        blocked: Vec::new(),
        missing: Vec::new(),
    };
    for item in items {
        match disposition(item.state) {
            Disposition::Shippable => {
                r.arrived.push(item.line_id.clone());
                r.shippable.push(item.line_id.clone());
            }
            Disposition::AwaitingInspection | Disposition::AwaitingMerchant => {
                r.arrived.push(item.line_id.clone());
                r.blocked.push(item.line_id.clone());
            }
            Disposition::Missing => r.missing.push(MissingItem {
                line_id: item.line_id.clone(),
                title: item.title.clone(),
                state: item.state,
                tracking: item.tracking.clone(),
                expected_arrival: item.expected_arrival,
            }),
            Disposition::Gone => {}
        }
    }
    r.ready = !r.shippable.is_empty() && r.blocked.is_empty() && r.missing.is_empty();
    r
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartialError {
    #[error("nothing is cleared to ship yet")]
    NothingShippable,
    #[error("everything is here: pack the whole order instead")]
    NotPartial,
}

/// "Ship what is here": the lines that go in a parcel now, when the merchant asks for one
/// before everything arrived. Items waiting for inspection or for the merchant's choice stay
/// (they may still fail or be returned); only cleared items go.
pub fn ship_what_is_here(items: &[Item]) -> Result<Vec<String>, PartialError> {
    let r = readiness(items);
    if r.ready {
        return Err(PartialError::NotPartial);
    }
    if r.shippable.is_empty() {
        return Err(PartialError::NothingShippable);
    }
    Ok(r.shippable)
}

/// An order that might share a parcel with others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub order_id: String,
    pub store_id: String,
    /// `OrderState::address_fingerprint`: a hash of the shipping address as the store sent
    /// it. Equal hashes mean the same address; `None` (no address) never combines.
    pub address_fingerprint: Option<String>,
    /// Not packed, paid for or dispatched yet, and not in an exception.
    pub open: bool,
}

/// Groups of two or more open orders of one store going to one address, each group sorted
/// by order id, groups sorted by their first order id. Orders of different stores never
/// combine (the parcel carries one store's logo and card).
pub fn combinable(candidates: &[Candidate]) -> Vec<Vec<String>> {
    let mut groups: std::collections::BTreeMap<(&str, &str), Vec<String>> =
        std::collections::BTreeMap::new();
    for c in candidates.iter().filter(|c| c.open) {
        if let Some(fp) = c.address_fingerprint.as_deref().filter(|f| !f.is_empty()) {
            groups
                .entry((c.store_id.as_str(), fp))
                .or_default()
                .push(c.order_id.clone());
        }
    }
    let mut out: Vec<Vec<String>> = groups
        .into_values()
        .map(|mut g| {
            g.sort();
            g.dedup();
            g
        })
        .filter(|g| g.len() > 1)
        .collect();
    out.sort();
    out
}

/// The shipping address reduced to what decides where a parcel goes — name, lines, city,
/// postcode, country — with case, spacing and punctuation that do not change the place
/// evened out. `None` without a first line or a country: such an order never combines.
/// Compared in memory only; never logged or stored.
pub fn address_key(address: &PostalAddress) -> Option<String> {
    fn words(text: &Option<String>) -> String {
        text.as_deref()
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_lowercase().next().unwrap_or(c)
                } else {
                    ' '
                }
            })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
    let line1 = words(&address.address1);
    let country = words(&address.country_code);
    if line1.is_empty() || country.is_empty() {
        return None;
    }
    let postcode: String = words(&address.postal_code).replace(' ', "");
    Some(
        [
            words(&address.name),
            line1,
            words(&address.address2),
            words(&address.city),
            postcode,
            country,
        ]
        .join("|"),
    )
}

/// An order asked to share a parcel, as the operator's request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combining {
    /// How the merchant knows it (the order name).
    pub label: String,
    pub store_id: String,
    /// [`address_key`] of its shipping address.
    pub address_key: Option<String>,
    /// Its leg is inspected and cleared: ready to pack.
    pub ready: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CombineError {
    #[error("order {0} is not ready to pack")]
    NotReady(String),
    #[error("order {0} belongs to another store: a parcel carries one store's orders")]
    OtherStore(String),
    #[error("order {0} goes to another address")]
    OtherAddress(String),
    #[error("order {0} has no complete shipping address to compare")]
    NoAddress(String),
}

/// Whether `others` may go in one parcel with `first`: same store, same address, all ready.
/// The first problem found, in the order given, is the answer.
pub fn check_combination(first: &Combining, others: &[Combining]) -> Result<(), CombineError> {
    let Some(key) = first.address_key.as_deref() else {
        return Err(CombineError::NoAddress(first.label.clone()));
    };
    for other in others {
        if other.store_id != first.store_id {
            return Err(CombineError::OtherStore(other.label.clone()));
        }
        match other.address_key.as_deref() {
            None => return Err(CombineError::NoAddress(other.label.clone())),
            Some(k) if k != key => return Err(CombineError::OtherAddress(other.label.clone())),
            Some(_) => {}
        }
    }
    for order in std::iter::once(first).chain(others) {
        if !order.ready {
            return Err(CombineError::NotReady(order.label.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn address(name: &str, line1: &str, postcode: &str) -> PostalAddress {
        PostalAddress {
            name: Some(name.into()),
            company: None,
            address1: Some(line1.into()),
            address2: None,
            city: Some("Portland".into()),
            province: Some("Oregon".into()),
            province_code: Some("OR".into()),
            postal_code: Some(postcode.into()),
            country_code: Some("US".into()),
            phone: Some("+1 503 555 0100".into()),
        }
    }

    #[test]
    fn address_keys_even_out_case_spacing_and_punctuation_only() {
        let a = address_key(&address("Jane Doe", "12 Main St.", "97201")).unwrap();
        let mut b = address("  jane   DOE ", "12 main st", "97 201");
        b.phone = None;
        b.company = Some("ACME".into());
        assert_eq!(
            address_key(&b).unwrap(),
            a,
            "phone and company do not matter"
        );
        assert_ne!(
            address_key(&address("Jane Doe", "14 Main St.", "97201")).unwrap(),
            a
        );
        assert_ne!(
            address_key(&address("John Doe", "12 Main St.", "97201")).unwrap(),
            a
        );
        let mut no_line = address("Jane Doe", "", "97201");
        assert_eq!(address_key(&no_line), None);
        no_line.address1 = Some("12 Main St.".into());
        no_line.country_code = None;
        assert_eq!(address_key(&no_line), None);
    }

    #[test]
    fn a_combination_needs_one_store_one_address_and_ready_orders() {
        let c = |label: &str, store: &str, key: Option<&str>, ready: bool| Combining {
            label: label.into(),
            store_id: store.into(),
            address_key: key.map(Into::into),
            ready,
        };
        let first = c("#1", "s1", Some("k"), true);
        assert_eq!(
            check_combination(&first, &[c("#2", "s1", Some("k"), true)]),
            Ok(())
        );
        assert_eq!(
            check_combination(&first, &[c("#2", "s2", Some("k"), true)]),
            Err(CombineError::OtherStore("#2".into()))
        );
        assert_eq!(
            check_combination(&first, &[c("#2", "s1", Some("x"), true)]),
            Err(CombineError::OtherAddress("#2".into()))
        );
        assert_eq!(
            check_combination(&first, &[c("#2", "s1", None, true)]),
            Err(CombineError::NoAddress("#2".into()))
        );
        assert_eq!(
            check_combination(&first, &[c("#2", "s1", Some("k"), false)]),
            Err(CombineError::NotReady("#2".into()))
        );
        assert_eq!(
            check_combination(&c("#1", "s1", Some("k"), false), &[]),
            Err(CombineError::NotReady("#1".into()))
        );
    }

    /// A failed item the merchant has decided about.
    fn decided(choice: FailureChoice) -> ItemState {
        ItemState::Failed {
            choice: Some(choice),
        }
    }

    fn item(id: &str, state: ItemState) -> Item {
        Item {
            line_id: id.into(),
            title: format!("item {id}"),
            quantity: 1,
            state,
            tracking: (state == ItemState::InTransit).then(|| DomesticTracking {
                carrier: "ZTO Express".into(),
                number: "73512345678901".into(),
            }),
            expected_arrival: None,
        }
    }

    #[test]
    fn ready_only_when_everything_is_here_and_cleared() {
        let items = vec![
            item("a", ItemState::Passed),
            item("b", ItemState::InTransit),
        ];
        let r = readiness(&items);
        assert!(!r.ready);
        assert_eq!(r.arrived, vec!["a"]);
        assert_eq!(r.missing.len(), 1);
        assert_eq!(
            r.missing[0].tracking.as_ref().unwrap().carrier,
            "ZTO Express"
        );
        let items = vec![
            item("a", ItemState::Passed),
            item("b", decided(FailureChoice::AcceptAsIs)),
            item("c", decided(FailureChoice::ReturnAndRefund)),
        ];
        let r = readiness(&items);
        assert!(r.ready);
        assert_eq!(r.shippable, vec!["a", "b"]);
    }

    #[test]
    fn uninspected_or_undecided_items_block() {
        for state in [ItemState::Arrived, ItemState::Failed { choice: None }] {
            let r = readiness(&[item("a", ItemState::Passed), item("b", state)]);
            assert!(!r.ready);
            assert_eq!(r.blocked, vec!["b"]);
        }
        // A reorder waits for the new item (its replacement), never for the failed one.
        let r = readiness(&[
            item("a", ItemState::Passed),
            item("b", decided(FailureChoice::Reorder)),
            item("b2", ItemState::Expected),
        ]);
        assert_eq!(r.missing.len(), 1);
        assert_eq!(r.missing[0].line_id, "b2");
        assert!(r.blocked.is_empty());
        let r = readiness(&[
            item("a", ItemState::Passed),
            item("b", decided(FailureChoice::Reorder)),
            item("b2", ItemState::Passed),
        ]);
        assert!(r.ready);
        assert_eq!(r.shippable, vec!["a", "b2"]);
        // Nothing left to ship at all is not "ready".
        let r = readiness(&[item("a", ItemState::Shipped)]);
        assert!(!r.ready);
    }

    #[test]
    fn ship_what_is_here_takes_only_cleared_items() {
        let items = vec![
            item("a", ItemState::Passed),
            item("b", ItemState::Arrived),
            item("c", ItemState::Expected),
        ];
        assert_eq!(ship_what_is_here(&items).unwrap(), vec!["a"]);
        assert_eq!(
            ship_what_is_here(&[item("a", ItemState::Passed)]),
            Err(PartialError::NotPartial)
        );
        assert_eq!(
            ship_what_is_here(&[item("a", ItemState::Expected)]),
            Err(PartialError::NothingShippable)
        );
    }

    #[test]
    fn combining_needs_same_store_same_address_and_open_orders() {
        let c = |id: &str, store: &str, fp: Option<&str>, open: bool| Candidate {
            order_id: id.into(),
            store_id: store.into(),
            address_fingerprint: fp.map(Into::into),
            open,
        };
        let groups = combinable(&[
            c("o3", "s1", Some("fp-a"), true),
            c("o1", "s1", Some("fp-a"), true),
            c("o2", "s2", Some("fp-a"), true),
            c("o4", "s1", Some("fp-a"), false),
            c("o5", "s1", None, true),
            c("o6", "s1", None, true),
            c("o7", "s1", Some("fp-b"), true),
        ]);
        assert_eq!(groups, vec![vec!["o1".to_string(), "o3".to_string()]]);
    }
}
