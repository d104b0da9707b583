//! Which warehouse buttons the order page shows the merchant: one pure function of the leg's
//! stage, its items and packages, and the viewer's role. As with [`super::rules`], the actions
//! check again when clicked; this only keeps the page from offering what cannot work.

use crate::storage::accounts::Role;
use dropflow_core::warehouse::stage::WarehouseStage as S;

/// What the page knows about one package of the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFacts {
    pub id: String,
    /// Carriers were offered for it.
    pub quoted: bool,
    pub carrier_chosen: bool,
    pub fee_paid: bool,
    pub dispatched: bool,
}

/// What the page knows about the order's warehouse leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarehouseFacts<'a> {
    pub stage: S,
    /// A failed item waits for the merchant's decision.
    pub awaiting_decision: bool,
    /// Items are not at the warehouse yet.
    pub missing: bool,
    /// Items are here and cleared for a parcel.
    pub shippable: bool,
    pub packages: &'a [PackageFacts],
}

/// One warehouse button (or form).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum WarehouseAction {
    /// Return and refund, reorder or accept the failed items as they are.
    Decide,
    /// Send what is here now; the rest follows in another parcel.
    ShipWhatIsHere,
    /// Choose one of the carriers offered for this package.
    ChooseCarrier(String),
    /// Pay this package's shipping fee from the wallet.
    PayFee(String),
}

/// The warehouse actions the leg allows this role, in the order the page shows them. Only
/// owners and staff act on an order's warehouse leg (vendors never see it; the operator works
/// from `/warehouse`).
pub fn allowed(leg: &WarehouseFacts<'_>, role: Role) -> Vec<WarehouseAction> {
    let mut actions = Vec::new();
    if !matches!(role, Role::Owner | Role::Staff) || leg.stage == S::Cancelled {
        return actions;
    }
    if leg.awaiting_decision {
        actions.push(WarehouseAction::Decide);
    }
    // The leg only takes "ship what is here" while part of the order is still on its way,
    // and only when something here could go.
    if leg.stage == S::PartlyArrived && leg.missing && leg.shippable {
        actions.push(WarehouseAction::ShipWhatIsHere);
    }
    for package in leg.packages.iter().filter(|p| !p.dispatched && !p.fee_paid) {
        if leg.stage == S::Packed && package.quoted && !package.carrier_chosen {
            actions.push(WarehouseAction::ChooseCarrier(package.id.clone()));
        }
        if leg.stage == S::AwaitingShippingFee && package.carrier_chosen {
            actions.push(WarehouseAction::PayFee(package.id.clone()));
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use WarehouseAction as A;

    fn package(carrier_chosen: bool, fee_paid: bool, dispatched: bool) -> PackageFacts {
        PackageFacts {
            id: "p1".into(),
            quoted: true,
            carrier_chosen,
            fee_paid,
            dispatched,
        }
    }

    fn leg(stage: S, packages: &[PackageFacts]) -> WarehouseFacts<'_> {
        WarehouseFacts {
            stage,
            awaiting_decision: false,
            missing: false,
            shippable: false,
            packages,
        }
    }

    #[test]
    fn a_packed_parcel_offers_the_carriers_then_the_fee() {
        let unchosen = [package(false, false, false)];
        assert_eq!(
            allowed(&leg(S::Packed, &unchosen), Role::Owner),
            vec![A::ChooseCarrier("p1".into())]
        );
        let chosen = [package(true, false, false)];
        assert_eq!(
            allowed(&leg(S::AwaitingShippingFee, &chosen), Role::Staff),
            vec![A::PayFee("p1".into())]
        );
        let paid = [package(true, true, false)];
        assert!(allowed(&leg(S::FeePaid, &paid), Role::Owner).is_empty());
        let gone = [package(true, true, true)];
        assert!(allowed(&leg(S::Dispatched, &gone), Role::Owner).is_empty());
    }

    #[test]
    fn a_parcel_without_quotes_offers_no_choice() {
        let unquoted = [PackageFacts {
            quoted: false,
            ..package(false, false, false)
        }];
        assert!(allowed(&leg(S::Packed, &unquoted), Role::Owner).is_empty());
    }

    #[test]
    fn a_sent_package_offers_nothing_while_the_next_waits_for_its_fee() {
        let packages = [
            package(true, true, true),
            PackageFacts {
                id: "p2".into(),
                ..package(true, false, false)
            },
        ];
        assert_eq!(
            allowed(&leg(S::AwaitingShippingFee, &packages), Role::Owner),
            vec![A::PayFee("p2".into())]
        );
    }

    #[test]
    fn missing_items_offer_ship_what_is_here_only_when_something_is_here() {
        let waiting = WarehouseFacts {
            missing: true,
            shippable: true,
            ..leg(S::PartlyArrived, &[])
        };
        assert_eq!(allowed(&waiting, Role::Owner), vec![A::ShipWhatIsHere]);
        let nothing_here = WarehouseFacts {
            shippable: false,
            ..waiting.clone()
        };
        assert!(allowed(&nothing_here, Role::Owner).is_empty());
        // Everything is here: the leg packs the whole order.
        let all_here = WarehouseFacts {
            missing: false,
            ..leg(S::Inspected, &[])
        };
        assert!(allowed(&all_here, Role::Owner).is_empty());
    }

    #[test]
    fn a_failed_item_offers_the_decision() {
        let failed = WarehouseFacts {
            awaiting_decision: true,
            ..leg(S::Arrived, &[])
        };
        assert_eq!(allowed(&failed, Role::Staff), vec![A::Decide]);
    }

    #[test]
    fn only_owners_and_staff_act_and_a_cancelled_leg_offers_nothing() {
        let failed = WarehouseFacts {
            awaiting_decision: true,
            missing: true,
            shippable: true,
            ..leg(S::PartlyArrived, &[])
        };
        assert_eq!(
            allowed(&failed, Role::Owner),
            vec![A::Decide, A::ShipWhatIsHere]
        );
        assert!(allowed(&failed, Role::Vendor).is_empty());
        assert!(allowed(&failed, Role::Warehouse).is_empty());
        let cancelled = WarehouseFacts {
            stage: S::Cancelled,
            ..failed
        };
        assert!(allowed(&cancelled, Role::Owner).is_empty());
    }
}
