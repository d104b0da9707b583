//! Whether an order's items are all at the warehouse and cleared to ship, what is still
//! missing, shipping what is here, and combining orders to the same customer.

use super::inspection::FailureChoice;
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
            item(
                "b",
                ItemState::Failed {
                    choice: Some(FailureChoice::AcceptAsIs),
                },
            ),
            item(
                "c",
                ItemState::Failed {
                    choice: Some(FailureChoice::ReturnAndRefund),
                },
            ),
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
            item(
                "b",
                ItemState::Failed {
                    choice: Some(FailureChoice::Reorder),
                },
            ),
            item("b2", ItemState::Expected),
        ]);
        assert_eq!(r.missing.len(), 1);
        assert_eq!(r.missing[0].line_id, "b2");
        assert!(r.blocked.is_empty());
        let r = readiness(&[
            item("a", ItemState::Passed),
            item(
                "b",
                ItemState::Failed {
                    choice: Some(FailureChoice::Reorder),
                },
            ),
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
