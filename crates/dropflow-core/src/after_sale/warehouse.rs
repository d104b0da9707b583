//! A case's goods coming back to the agent warehouse: the operator receives the customer's
//! parcel (its scan, or an unknown parcel linked to the case), then inspects it with the
//! warehouse's own checklist; the inspection settles the return. Pure: the floor reads the
//! case and what the warehouse already did with its parcel (a [`Receipt`]), asks these
//! functions, and writes what they answer once.
//!
//! Both doors to "the goods are back" meet here: the carrier saying delivered and the
//! operator's scan each move the case once, whichever comes first, and the second changes
//! nothing ([`receive`] on a case already delivered records only the receipt; the carrier's
//! news on a case already received finds no parcel in transit).

use super::{apply, Applied, CaseConflict, CaseEvent, CaseState, ReturnLeg};
use crate::warehouse::inspection::Outcome;

/// Whether a case's goods come back to the warehouse: every live purchase of the claimed
/// lines was bought for it (`true` per purchase whose supplier buys for the warehouse). The
/// same rule as the return address the customer is given: goods bought straight from a
/// supplier, or some of each, never come here.
pub fn comes_back_here(purchases: impl IntoIterator<Item = bool>) -> bool {
    let mut any = false;
    for for_warehouse in purchases {
        if !for_warehouse {
            return false;
        }
        any = true;
    }
    any
}

/// What the warehouse has done with a case's return parcel so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// Not received here.
    None,
    /// Received, waiting for its inspection.
    Received,
    /// Inspected: the goods were restocked (`true`) or disposed of.
    Inspected { restocked: bool },
}

/// What receiving the return parcel does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// The goods are back: the case's next state (its return delivered).
    Arrived(Box<CaseState>),
    /// The case already had them back (the carrier said delivered first): the receipt is
    /// recorded so the parcel is inspected, the case stays as it is.
    AlreadyDelivered,
    /// Received here before: nothing to write.
    AlreadyReceived,
}

/// Why the warehouse does not take, or cannot inspect, a case's return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnRefused {
    #[error("its goods were not bought through the warehouse: they go back to the merchant")]
    NotHere,
    #[error("the case is closed")]
    Closed,
    #[error("the case expects no goods back")]
    NoReturn,
    #[error("its returned goods were already recorded as {0} by the merchant")]
    Settled(&'static str),
    #[error("its return parcel was not received at the warehouse")]
    NotReceived,
    #[error("its return was already inspected (goods {0})")]
    AlreadyInspected(&'static str),
    #[error("{0}")]
    Conflict(String),
}

impl From<CaseConflict> for ReturnRefused {
    fn from(conflict: CaseConflict) -> Self {
        match conflict {
            CaseConflict::Closed => ReturnRefused::Closed,
            other => ReturnRefused::Conflict(other.to_string()),
        }
    }
}

/// What became of goods, in words.
pub fn settled_as(restocked: bool) -> &'static str {
    if restocked {
        "restocked"
    } else {
        "disposed of"
    }
}

/// The operator received the case's return parcel. A second receipt is a no-op however the
/// case moved since; goods that do not belong here, a closed case, or a case whose goods a
/// person already settled are refused.
pub fn receive(
    state: &CaseState,
    comes_here: bool,
    receipt: Receipt,
) -> Result<Arrival, ReturnRefused> {
    if receipt != Receipt::None {
        return Ok(Arrival::AlreadyReceived);
    }
    if !comes_here {
        return Err(ReturnRefused::NotHere);
    }
    if state.closed.is_some() {
        return Err(ReturnRefused::Closed);
    }
    match &state.ret {
        ReturnLeg::NotNeeded => Err(ReturnRefused::NoReturn),
        ReturnLeg::Restocked => Err(ReturnRefused::Settled(settled_as(true))),
        ReturnLeg::Disposed => Err(ReturnRefused::Settled(settled_as(false))),
        ReturnLeg::Delivered { .. } => Ok(Arrival::AlreadyDelivered),
        ReturnLeg::Awaited | ReturnLeg::InTransit { .. } => {
            match apply(state, CaseEvent::ReturnDelivered)? {
                Applied::Changed(next) => Ok(Arrival::Arrived(next)),
                Applied::Unchanged => Ok(Arrival::AlreadyDelivered),
            }
        }
    }
}

/// What an inspection of the returned goods does to the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The return is settled: the case's next state.
    Settles(Box<CaseState>),
    /// The case was settled or closed by a person meanwhile: the inspection is kept on the
    /// receipt (the parcel leaves the queue), the case stays as it is.
    CaseUnchanged,
}

/// The inspection's verdict on a received return: goods that pass go back on the warehouse's
/// shelf (restocked), goods that fail are disposed of. `Ok((restocked, settlement))`.
pub fn inspected(
    state: &CaseState,
    receipt: Receipt,
    outcome: &Outcome,
) -> Result<(bool, Settlement), ReturnRefused> {
    match receipt {
        Receipt::None => return Err(ReturnRefused::NotReceived),
        Receipt::Inspected { restocked } => {
            return Err(ReturnRefused::AlreadyInspected(settled_as(restocked)))
        }
        Receipt::Received => {}
    }
    let restocked = outcome.passed();
    if state.closed.is_some() {
        return Ok((restocked, Settlement::CaseUnchanged));
    }
    match &state.ret {
        ReturnLeg::Delivered { .. } => {
            match apply(state, CaseEvent::ReturnSettled { restocked })? {
                Applied::Changed(next) => Ok((restocked, Settlement::Settles(next))),
                Applied::Unchanged => Ok((restocked, Settlement::CaseUnchanged)),
            }
        }
        ReturnLeg::Restocked | ReturnLeg::Disposed => Ok((restocked, Settlement::CaseUnchanged)),
        // A receipt is only written with the goods delivered; anything else is not now.
        ReturnLeg::NotNeeded | ReturnLeg::Awaited | ReturnLeg::InTransit { .. } => Err(
            ReturnRefused::Conflict("the case does not have its goods back".into()),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::{next_steps, Closure, CustomerSide, Resolution, Step, SupplierSide};
    use super::*;
    use crate::reference::currency::Currency;
    use crate::warehouse::inspection::{FailReason, FileRef};

    fn case(ret: ReturnLeg) -> CaseState {
        CaseState {
            currency: Currency::from_code("USD").unwrap(),
            reason: super::super::CaseReason::ChangedMind,
            resolution: Resolution::ReturnFirst,
            customer: CustomerSide::Pending,
            ret,
            supplier: SupplierSide::NotNeeded,
            refunds: Vec::new(),
            credits: Vec::new(),
            replacement_cost: None,
            closed: None,
        }
    }

    fn in_transit() -> ReturnLeg {
        ReturnLeg::InTransit {
            tracking_number: "RR123456785US".into(),
        }
    }

    fn pass() -> Outcome {
        Outcome::Pass { photos: Vec::new() }
    }

    fn fail() -> Outcome {
        Outcome::Fail {
            reasons: vec![FailReason::Damaged],
            note: "crushed".into(),
            photos: vec![FileRef::parse("inspection/a.png").unwrap()],
        }
    }

    #[test]
    fn only_goods_all_bought_for_the_warehouse_come_back_here() {
        assert!(comes_back_here([true]));
        assert!(comes_back_here([true, true]));
        assert!(!comes_back_here([true, false]));
        assert!(!comes_back_here([false]));
        // Fulfilled outside dropflow: the merchant's own goods.
        assert!(!comes_back_here([]));
    }

    #[test]
    fn a_parcel_in_transit_or_never_announced_arrives_once() {
        let Arrival::Arrived(next) = receive(&case(in_transit()), true, Receipt::None).unwrap()
        else {
            panic!("not arrived")
        };
        assert_eq!(
            next.ret,
            ReturnLeg::Delivered {
                tracking_number: Some("RR123456785US".into())
            }
        );
        assert!(next_steps(&next).contains(&Step::SettleReturn));
        // The customer shipped without telling the number: the goods are back all the same.
        let Arrival::Arrived(next) =
            receive(&case(ReturnLeg::Awaited), true, Receipt::None).unwrap()
        else {
            panic!("not arrived")
        };
        assert_eq!(
            next.ret,
            ReturnLeg::Delivered {
                tracking_number: None
            }
        );
        // A second receipt changes nothing, whatever the case did since (even closed).
        let mut closed = (*next).clone();
        closed.closed = Some(Closure {
            at_ms: 1,
            note: None,
        });
        for receipt in [Receipt::Received, Receipt::Inspected { restocked: true }] {
            assert_eq!(
                receive(&next, true, receipt).unwrap(),
                Arrival::AlreadyReceived
            );
            assert_eq!(
                receive(&closed, true, receipt).unwrap(),
                Arrival::AlreadyReceived
            );
        }
    }

    #[test]
    fn the_carrier_first_then_the_scan_moves_the_case_once() {
        let delivered = ReturnLeg::Delivered {
            tracking_number: Some("RR123456785US".into()),
        };
        assert_eq!(
            receive(&case(delivered), true, Receipt::None).unwrap(),
            Arrival::AlreadyDelivered
        );
    }

    #[test]
    fn goods_that_belong_elsewhere_or_are_settled_are_refused() {
        assert_eq!(
            receive(&case(in_transit()), false, Receipt::None),
            Err(ReturnRefused::NotHere)
        );
        assert_eq!(
            receive(&case(ReturnLeg::NotNeeded), true, Receipt::None),
            Err(ReturnRefused::NoReturn)
        );
        assert_eq!(
            receive(&case(ReturnLeg::Restocked), true, Receipt::None),
            Err(ReturnRefused::Settled("restocked"))
        );
        let mut closed = case(in_transit());
        closed.closed = Some(Closure {
            at_ms: 1,
            note: Some("gave up".into()),
        });
        assert_eq!(
            receive(&closed, true, Receipt::None),
            Err(ReturnRefused::Closed)
        );
    }

    #[test]
    fn a_pass_restocks_a_failure_disposes_and_only_once() {
        let back = case(ReturnLeg::Delivered {
            tracking_number: None,
        });
        let (restocked, Settlement::Settles(next)) =
            inspected(&back, Receipt::Received, &pass()).unwrap()
        else {
            panic!("not settled")
        };
        assert!(restocked);
        assert_eq!(next.ret, ReturnLeg::Restocked);
        // A return-first case now waits for the merchant's decision.
        assert_eq!(next_steps(&next), vec![Step::Decide]);
        let (restocked, Settlement::Settles(next)) =
            inspected(&back, Receipt::Received, &fail()).unwrap()
        else {
            panic!("not settled")
        };
        assert!(!restocked);
        assert_eq!(next.ret, ReturnLeg::Disposed);
        assert_eq!(
            inspected(&back, Receipt::Inspected { restocked: false }, &pass()),
            Err(ReturnRefused::AlreadyInspected("disposed of"))
        );
        assert_eq!(
            inspected(&back, Receipt::None, &pass()),
            Err(ReturnRefused::NotReceived)
        );
    }

    #[test]
    fn an_inspection_after_a_person_settled_or_closed_the_case_leaves_it_alone() {
        let settled = case(ReturnLeg::Disposed);
        assert_eq!(
            inspected(&settled, Receipt::Received, &pass()).unwrap(),
            (true, Settlement::CaseUnchanged)
        );
        let mut closed = case(ReturnLeg::Delivered {
            tracking_number: None,
        });
        closed.closed = Some(Closure {
            at_ms: 1,
            note: Some("refunded by hand".into()),
        });
        assert_eq!(
            inspected(&closed, Receipt::Received, &fail()).unwrap(),
            (false, Settlement::CaseUnchanged)
        );
    }
}
