//! What a store's edit means for what was bought. Pure: the `order.reconcile_edit` job reads
//! the order's current lines and its purchases, asks [`decide`], and writes the answer.
//!
//! - A purchase not placed yet is re-derived: cancelled and routed again from the current
//!   lines, so it buys exactly what the customer now gets (quantities, added and removed
//!   lines).
//! - A purchase placed, paid, handed to a vendor or shipped cannot change by itself: each
//!   difference becomes a flag a person settles ("changed after purchase: quantity 1 → 4"),
//!   and a vendor is told.
//! - A purchase not shipped yet whose lines were all removed (an edit, or a refund of those
//!   lines) is let go like a cancelled order's (`cancellation`): only that purchase.
//! - No supplier API changes the address of a placed order, so an address change tells the
//!   person what to ask; a warehouse purchase is not concerned (its seller ships to the
//!   warehouse, which sends to the order's current address).

use crate::procurement::SupplierOrderStatus;
use crate::supplier::SupplierKind;
use serde::{Deserialize, Serialize};

/// An order line as the store has it now (a removed line has quantity 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentLine {
    pub position: u32,
    pub title: String,
    pub quantity: u32,
}

/// One item of a purchase: the line it serves and that line's quantity when it was bought
/// (`None`: bought before this was recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoughtItem {
    pub line_position: u32,
    pub line_quantity: Option<u32>,
}

/// One purchase of the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    pub id: String,
    /// `manual:vendor-a`, as the timeline shows it.
    pub label: String,
    /// `None` for a supplier this build does not know.
    pub kind: Option<SupplierKind>,
    pub status: SupplierOrderStatus,
    pub items: Vec<BoughtItem>,
    /// Fingerprint of the address the supplier was given (`None`: not recorded).
    pub ship_to: Option<String>,
}

/// What kind of difference a flag is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    QuantityChanged,
    AddressChanged,
}

impl FlagKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::QuantityChanged => "quantity_changed",
            FlagKind::AddressChanged => "address_changed",
        }
    }
}

/// One thing to do about the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Not placed yet: cancel it and route the lines again.
    Rederive { purchase: String },
    /// Bought, not shipped, and every line it serves was removed: let it go (at the supplier
    /// where it can be).
    Cancel { purchase: String },
    /// Bought already: a person decides.
    Flag {
        purchase: String,
        kind: FlagKind,
        /// The order line (position) a quantity flag is about.
        line: Option<u32>,
        detail: String,
    },
}

/// Whether the supplier has (or may have) the purchase: it cannot follow an edit by itself.
fn bought(status: SupplierOrderStatus) -> bool {
    match status {
        SupplierOrderStatus::PlacementUnknown
        | SupplierOrderStatus::AwaitingPayment
        | SupplierOrderStatus::AwaitingShipment
        | SupplierOrderStatus::Shipped
        | SupplierOrderStatus::Delivered => true,
        SupplierOrderStatus::AwaitingPlacement
        | SupplierOrderStatus::Rejected
        | SupplierOrderStatus::Cancelled => false,
    }
}

fn stage(status: SupplierOrderStatus) -> &'static str {
    match status {
        SupplierOrderStatus::Shipped | SupplierOrderStatus::Delivered => "after shipment",
        _ => "after purchase",
    }
}

/// Decides what the order's current lines and address mean for each purchase.
pub fn decide(lines: &[CurrentLine], purchases: &[Purchase], address: Option<&str>) -> Vec<Action> {
    let mut actions = Vec::new();
    for purchase in purchases {
        let now = |position: u32| lines.iter().find(|l| l.position == position);
        if purchase.status == SupplierOrderStatus::AwaitingPlacement {
            let changed = purchase.items.iter().any(|item| {
                let current = now(item.line_position).map_or(0, |l| l.quantity);
                item.line_quantity != Some(current)
            });
            if changed {
                actions.push(Action::Rederive {
                    purchase: purchase.id.clone(),
                });
            }
            continue;
        }
        if !bought(purchase.status) {
            continue;
        }
        let unshipped = matches!(
            purchase.status,
            SupplierOrderStatus::AwaitingPayment | SupplierOrderStatus::AwaitingShipment
        );
        let all_removed = !purchase.items.is_empty()
            && purchase
                .items
                .iter()
                .all(|item| now(item.line_position).map_or(0, |l| l.quantity) == 0);
        if unshipped && all_removed {
            actions.push(Action::Cancel {
                purchase: purchase.id.clone(),
            });
            continue;
        }
        let mut seen = Vec::new();
        for item in &purchase.items {
            // A bundle buys several items for one line: one flag per line.
            if seen.contains(&item.line_position) {
                continue;
            }
            seen.push(item.line_position);
            let Some(was) = item.line_quantity else {
                continue;
            };
            let line = now(item.line_position);
            let is = line.map_or(0, |l| l.quantity);
            if is == was {
                continue;
            }
            let title = line.map_or("a line", |l| l.title.as_str());
            let detail = if is == 0 {
                format!(
                    "{title} was removed {} ({was} bought from {})",
                    stage(purchase.status),
                    purchase.label
                )
            } else {
                format!(
                    "changed {}: {title} quantity {was} → {is} ({} bought {was})",
                    stage(purchase.status),
                    purchase.label
                )
            };
            actions.push(Action::Flag {
                purchase: purchase.id.clone(),
                kind: FlagKind::QuantityChanged,
                line: Some(item.line_position),
                detail,
            });
        }
        // The warehouse's seller ships to the warehouse, whatever the customer's address.
        if purchase.kind == Some(SupplierKind::Marketplace) {
            continue;
        }
        if let (Some(given), Some(current)) = (&purchase.ship_to, address) {
            if given != current {
                actions.push(Action::Flag {
                    purchase: purchase.id.clone(),
                    kind: FlagKind::AddressChanged,
                    line: None,
                    detail: address_detail(purchase),
                });
            }
        }
    }
    actions
}

/// What a person does about an address changed after `purchase` was handed over. No
/// supplier API this build speaks changes a placed order's address (CJ's order API has
/// create, confirm, delete and change-warehouse; AliExpress's DS API creates and reads), so
/// it is never attempted: the flag says whom to ask.
fn address_detail(purchase: &Purchase) -> String {
    let label = &purchase.label;
    match (purchase.status, purchase.kind) {
        (SupplierOrderStatus::Shipped | SupplierOrderStatus::Delivered, _) => format!(
            "shipping address changed after the parcel from {label} shipped: ask the carrier \
             to redirect it, or accept"
        ),
        (_, Some(SupplierKind::Manual)) => format!(
            "shipping address changed after hand-over to {label} (they were told): make sure \
             they send it to the new address, or accept"
        ),
        _ => format!(
            "shipping address changed after hand-over to {label}, whose API cannot change a \
             placed order's address: ask them to send it to the new address before it ships, \
             or accept"
        ),
    }
}

/// One item of a bought purchase, as re-placing a line's difference needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoughtUnit {
    pub line_position: u32,
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    /// Units of this item bought.
    pub quantity: u32,
    /// The line's quantity when it was bought.
    pub line_quantity: Option<u32>,
    pub unit_cost: crate::money::Money,
    pub product_url: Option<String>,
}

/// Why there is no difference to buy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoDifference {
    #[error("the purchase buys nothing for this line")]
    LineNotBought,
    #[error("the purchase was made before line quantities were recorded")]
    NotRecorded,
    #[error("the line went from {was} to {is}: there is nothing more to buy")]
    NotMore { was: u32, is: u32 },
    #[error("{sku}: {bought} bought for {line} on the line, not a whole number per unit")]
    Uneven { sku: String, bought: u32, line: u32 },
}

/// What buys the extra units of `line` (now `now`) that `items` did not: each of the line's
/// items with the quantity per line unit it was bought with (a bundle stays a bundle), times
/// the extra. Returns the extra and the items; never anything already bought.
pub fn difference(
    items: &[BoughtUnit],
    line: u32,
    now: u32,
) -> Result<(u32, Vec<crate::routing::PlannedItem>), NoDifference> {
    let of_line: Vec<&BoughtUnit> = items.iter().filter(|i| i.line_position == line).collect();
    if of_line.is_empty() {
        return Err(NoDifference::LineNotBought);
    }
    let mut planned = Vec::new();
    let mut extra = 0;
    for item in of_line {
        let was = item.line_quantity.ok_or(NoDifference::NotRecorded)?;
        if now <= was || was == 0 {
            return Err(NoDifference::NotMore { was, is: now });
        }
        if item.quantity % was != 0 {
            return Err(NoDifference::Uneven {
                sku: item.supplier_sku_id.clone(),
                bought: item.quantity,
                line: was,
            });
        }
        extra = now - was;
        planned.push(crate::routing::PlannedItem {
            line_position: line,
            supplier_product_id: item.supplier_product_id.clone(),
            supplier_sku_id: item.supplier_sku_id.clone(),
            quantity: (item.quantity / was).saturating_mul(extra),
            unit_cost: item.unit_cost,
            product_url: item.product_url.clone(),
            // The extra units are goods only: the item's shipping was agreed with the first
            // purchase of the line.
            shipping_cost: None,
        });
    }
    Ok((extra, planned))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use SupplierOrderStatus as S;

    fn line(position: u32, quantity: u32) -> CurrentLine {
        CurrentLine {
            position,
            title: format!("Item {position}"),
            quantity,
        }
    }

    fn purchase(id: &str, status: S, items: &[(u32, u32)]) -> Purchase {
        Purchase {
            id: id.into(),
            label: format!("manual:{id}"),
            kind: Some(SupplierKind::Manual),
            status,
            items: items
                .iter()
                .map(|(p, q)| BoughtItem {
                    line_position: *p,
                    line_quantity: Some(*q),
                })
                .collect(),
            ship_to: Some("addr-1".into()),
        }
    }

    #[test]
    fn an_unplaced_purchase_whose_line_changed_is_derived_again() {
        let actions = decide(
            &[line(0, 4), line(1, 1)],
            &[
                purchase("a", S::AwaitingPlacement, &[(0, 1)]),
                purchase("b", S::AwaitingPlacement, &[(1, 1)]),
            ],
            Some("addr-1"),
        );
        assert_eq!(
            actions,
            vec![Action::Rederive {
                purchase: "a".into()
            }]
        );
    }

    #[test]
    fn a_removed_line_rederives_its_unplaced_purchase() {
        let actions = decide(
            &[line(0, 0), line(1, 1)],
            &[purchase("a", S::AwaitingPlacement, &[(0, 1)])],
            None,
        );
        assert_eq!(actions.len(), 1);
    }

    #[test]
    fn a_bought_purchase_is_flagged_never_changed() {
        let actions = decide(
            &[line(0, 4)],
            &[purchase("a", S::AwaitingShipment, &[(0, 1), (0, 1)])],
            Some("addr-2"),
        );
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert!(matches!(
            &actions[0],
            Action::Flag { kind: FlagKind::QuantityChanged, detail, .. }
                if detail.contains("quantity 1 → 4") && detail.contains("after purchase")
        ));
        assert!(matches!(
            &actions[1],
            Action::Flag { kind: FlagKind::AddressChanged, detail, .. }
                if detail.contains("after hand-over")
        ));
    }

    #[test]
    fn cancelled_and_refused_purchases_are_left_alone() {
        for status in [S::Cancelled, S::Rejected] {
            assert!(decide(&[line(0, 0)], &[purchase("a", status, &[(0, 1)])], None).is_empty());
        }
    }

    #[test]
    fn a_bought_purchase_whose_lines_were_all_removed_is_let_go() {
        let actions = decide(
            &[line(0, 0), line(1, 2)],
            &[
                purchase("a", S::AwaitingShipment, &[(0, 1)]),
                purchase("b", S::AwaitingPayment, &[(0, 1), (1, 1)]),
            ],
            None,
        );
        assert_eq!(
            actions[0],
            Action::Cancel {
                purchase: "a".into()
            }
        );
        // Only some of its lines gone: flagged, line by line.
        assert!(matches!(&actions[1], Action::Flag { line: Some(0), .. }));
        assert!(matches!(&actions[2], Action::Flag { line: Some(1), .. }));
    }

    #[test]
    fn a_warehouse_purchase_is_not_flagged_for_the_customers_address() {
        let mut bought = purchase("a", S::AwaitingShipment, &[(0, 1)]);
        bought.kind = Some(SupplierKind::Marketplace);
        assert!(decide(&[line(0, 1)], &[bought], Some("addr-2")).is_empty());
    }

    fn unit(line: u32, quantity: u32, line_quantity: Option<u32>) -> BoughtUnit {
        BoughtUnit {
            line_position: line,
            supplier_product_id: "p".into(),
            supplier_sku_id: format!("s{line}"),
            quantity,
            line_quantity,
            unit_cost: crate::money::Money::new(
                250,
                crate::reference::currency::Currency::from_code("USD").unwrap(),
            ),
            product_url: None,
        }
    }

    #[test]
    fn the_difference_buys_only_the_extra_units_of_the_line() {
        // A pack of two per unit, bought for 1, the line now 4: three more packs of two.
        let (extra, items) = difference(&[unit(0, 2, Some(1)), unit(1, 1, Some(1))], 0, 4).unwrap();
        assert_eq!(extra, 3);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].quantity, 6);
        assert_eq!(items[0].supplier_sku_id, "s0");
        assert_eq!(
            difference(&[unit(0, 1, Some(4))], 0, 2),
            Err(NoDifference::NotMore { was: 4, is: 2 })
        );
        assert_eq!(
            difference(&[unit(0, 1, None)], 0, 2),
            Err(NoDifference::NotRecorded)
        );
        assert_eq!(
            difference(&[unit(1, 1, Some(1))], 0, 2),
            Err(NoDifference::LineNotBought)
        );
    }

    #[test]
    fn after_shipment_says_so() {
        let actions = decide(&[line(0, 0)], &[purchase("a", S::Shipped, &[(0, 2)])], None);
        assert!(matches!(
            &actions[0],
            Action::Flag { detail, .. } if detail.contains("removed after shipment (2 bought")
        ));
    }
}
