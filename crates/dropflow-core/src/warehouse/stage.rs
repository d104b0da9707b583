//! The warehouse leg of an order: from buying at the marketplace to handing the parcel to an
//! international carrier. A pure transition function over a small state, like
//! `lifecycle::transition`: it checks the move is allowed and says what happened.
//!
//! The one rule that matters most: **nothing is labelled or dispatched before its shipping
//! fee is paid**. The only way to `LabelCreated` is from `FeePaid`, and the fee's payment
//! time is recorded there; a parcel must leave within [`DISPATCH_WITHIN_HOURS`] of it.

use super::rates::Parcel;
use crate::money::Money;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Hours between the shipping fee's payment and dispatch before the leg is late.
pub const DISPATCH_WITHIN_HOURS: i64 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarehouseStage {
    AwaitingPurchase,
    Purchased,
    ShippedToWarehouse,
    PartlyArrived,
    Arrived,
    Inspected,
    Packed,
    AwaitingShippingFee,
    FeePaid,
    LabelCreated,
    Dispatched,
    Delivered,
    Exception,
    /// The store cancelled the order before the parcel left: nothing is packed or dispatched
    /// any more (the refund rules decided what went back to the wallet).
    Cancelled,
}

impl WarehouseStage {
    pub fn as_str(self) -> &'static str {
        match self {
            WarehouseStage::AwaitingPurchase => "awaiting_purchase",
            WarehouseStage::Purchased => "purchased",
            WarehouseStage::ShippedToWarehouse => "shipped_to_warehouse",
            WarehouseStage::PartlyArrived => "partly_arrived",
            WarehouseStage::Arrived => "arrived",
            WarehouseStage::Inspected => "inspected",
            WarehouseStage::Packed => "packed",
            WarehouseStage::AwaitingShippingFee => "awaiting_shipping_fee",
            WarehouseStage::FeePaid => "fee_paid",
            WarehouseStage::LabelCreated => "label_created",
            WarehouseStage::Dispatched => "dispatched",
            WarehouseStage::Delivered => "delivered",
            WarehouseStage::Exception => "exception",
            WarehouseStage::Cancelled => "cancelled",
        }
    }

    /// Stages at which the shipping fee has been paid.
    pub fn fee_is_paid(self) -> bool {
        match self {
            WarehouseStage::FeePaid
            | WarehouseStage::LabelCreated
            | WarehouseStage::Dispatched
            | WarehouseStage::Delivered => true,
            WarehouseStage::AwaitingPurchase
            | WarehouseStage::Purchased
            | WarehouseStage::ShippedToWarehouse
            | WarehouseStage::PartlyArrived
            | WarehouseStage::Arrived
            | WarehouseStage::Inspected
            | WarehouseStage::Packed
            | WarehouseStage::AwaitingShippingFee
            | WarehouseStage::Exception
            | WarehouseStage::Cancelled => false,
        }
    }
}

/// The leg's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehouseLeg {
    pub stage: WarehouseStage,
    /// While in `Exception`: the stage to return to, and why it stopped.
    pub resume_at: Option<WarehouseStage>,
    pub exception: Option<String>,
    pub parcel: Option<Parcel>,
    pub carrier_code: Option<String>,
    pub shipping_fee: Option<Money>,
    pub fee_paid_at: Option<DateTime<Utc>>,
    pub international_tracking: Option<String>,
    pub dispatched_at: Option<DateTime<Utc>>,
}

impl Default for WarehouseLeg {
    fn default() -> Self {
        WarehouseLeg {
            stage: WarehouseStage::AwaitingPurchase,
            resume_at: None,
            exception: None,
            parcel: None,
            carrier_code: None,
            shipping_fee: None,
            fee_paid_at: None,
            international_tracking: None,
            dispatched_at: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum WarehouseCommand {
    /// The marketplace order is placed and paid.
    Purchase,
    /// The seller shipped (domestic tracking known).
    SellerShipped,
    /// Items were received; `all` when nothing is missing any more.
    ItemsArrived {
        all: bool,
    },
    /// The merchant asked to ship what is here; the rest follows in another parcel.
    ShipWhatIsHere,
    /// Every item still to ship is inspected and cleared.
    InspectionCleared,
    /// A failed item was reordered: wait for the replacement.
    Reordered,
    Pack {
        parcel: Parcel,
    },
    /// The carrier is chosen and the fee asked of the merchant.
    AskShippingFee {
        carrier_code: String,
        fee: Money,
    },
    ShippingFeePaid {
        at: DateTime<Utc>,
    },
    LabelCreated {
        tracking: String,
    },
    Dispatch {
        at: DateTime<Utc>,
    },
    Delivered,
    RaiseException {
        reason: String,
    },
    ResolveException,
    /// The store cancelled the order: the leg stops where it is, unless the parcel has left.
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WarehouseEvent {
    StageChanged {
        from: WarehouseStage,
        to: WarehouseStage,
    },
    ShippingFeeDue {
        carrier_code: String,
        fee: Money,
    },
    /// The parcel must be dispatched by then.
    DispatchDueBy {
        by: DateTime<Utc>,
    },
    DispatchedLate {
        hours_late: i64,
    },
    ExceptionRaised {
        reason: String,
    },
    ExceptionResolved {
        back_to: WarehouseStage,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    #[error("cannot {command} while the order is {stage}")]
    NotNow {
        command: &'static str,
        stage: &'static str,
    },
    #[error("{0}")]
    Invalid(&'static str),
}

fn command_name(c: &WarehouseCommand) -> &'static str {
    match c {
        WarehouseCommand::Purchase => "record the purchase",
        WarehouseCommand::SellerShipped => "record the seller's shipment",
        WarehouseCommand::ItemsArrived { .. } => "receive items",
        WarehouseCommand::ShipWhatIsHere => "ship what is here",
        WarehouseCommand::InspectionCleared => "finish inspection",
        WarehouseCommand::Reordered => "reorder an item",
        WarehouseCommand::Pack { .. } => "pack",
        WarehouseCommand::AskShippingFee { .. } => "ask for the shipping fee",
        WarehouseCommand::ShippingFeePaid { .. } => "record the shipping fee payment",
        WarehouseCommand::LabelCreated { .. } => "create a label",
        WarehouseCommand::Dispatch { .. } => "dispatch",
        WarehouseCommand::Delivered => "record delivery",
        WarehouseCommand::RaiseException { .. } => "raise an exception",
        WarehouseCommand::ResolveException => "resolve an exception",
        WarehouseCommand::Cancel => "cancel",
    }
}

/// When the parcel must leave: 24 h after the fee was paid, while it has not left.
pub fn dispatch_due_by(leg: &WarehouseLeg) -> Option<DateTime<Utc>> {
    match leg.dispatched_at {
        Some(_) => None,
        None => leg
            .fee_paid_at
            .map(|paid| paid + Duration::hours(DISPATCH_WITHIN_HOURS)),
    }
}

/// Whether the leg is past its dispatch deadline at `now` (the late timer's question).
pub fn is_late(leg: &WarehouseLeg, now: DateTime<Utc>) -> bool {
    dispatch_due_by(leg).is_some_and(|by| now > by)
}

/// The leg after `command`, and what happened; an error leaves the leg as it was.
pub fn transition(
    leg: &WarehouseLeg,
    command: WarehouseCommand,
) -> Result<(WarehouseLeg, Vec<WarehouseEvent>), StageError> {
    use WarehouseStage as S;
    let from = leg.stage;
    let refuse = |c: &WarehouseCommand| StageError::NotNow {
        command: command_name(c),
        stage: from.as_str(),
    };
    let mut next = leg.clone();
    let mut events = Vec::new();
    let to = match &command {
        WarehouseCommand::Purchase => match from {
            S::AwaitingPurchase => S::Purchased,
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::SellerShipped => match from {
            S::Purchased => S::ShippedToWarehouse,
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::ItemsArrived { all } => match from {
            // A parcel may be scanned in before the seller's shipment is reported.
            S::Purchased | S::ShippedToWarehouse | S::PartlyArrived => {
                if *all {
                    S::Arrived
                } else {
                    S::PartlyArrived
                }
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::ShipWhatIsHere => match from {
            S::PartlyArrived => S::Arrived,
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::InspectionCleared => match from {
            S::Arrived => S::Inspected,
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::Reordered => match from {
            S::Arrived | S::Inspected => S::PartlyArrived,
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::Pack { parcel } => match from {
            S::Inspected => {
                if parcel.weight_g == 0
                    || parcel.length_cm == 0
                    || parcel.width_cm == 0
                    || parcel.height_cm == 0
                {
                    return Err(StageError::Invalid(
                        "a packed parcel needs its weight and three dimensions",
                    ));
                }
                next.parcel = Some(*parcel);
                S::Packed
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::AskShippingFee { carrier_code, fee } => match from {
            // The merchant may change carrier while the fee is unpaid.
            S::Packed | S::AwaitingShippingFee => {
                if fee.minor <= 0 || carrier_code.trim().is_empty() {
                    return Err(StageError::Invalid(
                        "a shipping fee needs a carrier and a positive amount",
                    ));
                }
                next.carrier_code = Some(carrier_code.clone());
                next.shipping_fee = Some(*fee);
                events.push(WarehouseEvent::ShippingFeeDue {
                    carrier_code: carrier_code.clone(),
                    fee: *fee,
                });
                S::AwaitingShippingFee
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::ShippingFeePaid { at } => match from {
            S::AwaitingShippingFee => {
                next.fee_paid_at = Some(*at);
                events.push(WarehouseEvent::DispatchDueBy {
                    by: *at + Duration::hours(DISPATCH_WITHIN_HOURS),
                });
                S::FeePaid
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::LabelCreated { tracking } => match from {
            S::FeePaid => {
                if tracking.trim().is_empty() {
                    return Err(StageError::Invalid("a label needs its tracking number"));
                }
                next.international_tracking = Some(tracking.trim().to_string());
                S::LabelCreated
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::Dispatch { at } => match from {
            S::LabelCreated => {
                next.dispatched_at = Some(*at);
                if let Some(by) = dispatch_due_by(leg).filter(|by| at > by) {
                    events.push(WarehouseEvent::DispatchedLate {
                        hours_late: (*at - by).num_hours(),
                    });
                }
                S::Dispatched
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::Delivered => match from {
            S::Dispatched => S::Delivered,
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::RaiseException { reason } => match from {
            S::Delivered | S::Exception | S::Cancelled => return Err(refuse(&command)),
            _ => {
                if reason.trim().is_empty() {
                    return Err(StageError::Invalid("an exception needs a reason"));
                }
                next.resume_at = Some(from);
                next.exception = Some(reason.trim().to_string());
                events.push(WarehouseEvent::ExceptionRaised {
                    reason: reason.trim().to_string(),
                });
                S::Exception
            }
        },
        WarehouseCommand::ResolveException => match (from, leg.resume_at) {
            (S::Exception, Some(back)) => {
                next.resume_at = None;
                next.exception = None;
                events.push(WarehouseEvent::ExceptionResolved { back_to: back });
                back
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::Cancel => match from {
            // Gone to the customer (or cancelled already): nothing left to stop.
            S::Dispatched | S::Delivered | S::Cancelled => return Err(refuse(&command)),
            _ => {
                next.resume_at = None;
                next.exception = None;
                S::Cancelled
            }
        },
    };
    next.stage = to;
    events.insert(0, WarehouseEvent::StageChanged { from, to });
    Ok((next, events))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::reference::currency::Currency;
    use proptest::prelude::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + h * 3600, 0).unwrap()
    }

    fn parcel() -> Parcel {
        Parcel {
            weight_g: 420,
            length_cm: 20,
            width_cm: 15,
            height_cm: 8,
        }
    }

    fn fee() -> Money {
        Money::new(1290, Currency::from_code("USD").unwrap())
    }

    fn run(commands: Vec<WarehouseCommand>) -> WarehouseLeg {
        commands
            .into_iter()
            .fold(WarehouseLeg::default(), |leg, c| {
                transition(&leg, c).unwrap().0
            })
    }

    fn happy_until_fee() -> Vec<WarehouseCommand> {
        vec![
            WarehouseCommand::Purchase,
            WarehouseCommand::SellerShipped,
            WarehouseCommand::ItemsArrived { all: false },
            WarehouseCommand::ItemsArrived { all: true },
            WarehouseCommand::InspectionCleared,
            WarehouseCommand::Pack { parcel: parcel() },
            WarehouseCommand::AskShippingFee {
                carrier_code: "yun-direct".into(),
                fee: fee(),
            },
        ]
    }

    #[test]
    fn the_whole_way_with_a_late_dispatch() {
        let mut commands = happy_until_fee();
        commands.push(WarehouseCommand::ShippingFeePaid { at: at(0) });
        let leg = run(commands);
        assert_eq!(dispatch_due_by(&leg), Some(at(24)));
        assert!(!is_late(&leg, at(24)));
        assert!(is_late(&leg, at(25)));
        let (leg, _) = transition(
            &leg,
            WarehouseCommand::LabelCreated {
                tracking: "YT2512345678901234".into(),
            },
        )
        .unwrap();
        let (leg, events) = transition(&leg, WarehouseCommand::Dispatch { at: at(30) }).unwrap();
        assert!(events.contains(&WarehouseEvent::DispatchedLate { hours_late: 6 }));
        assert!(!is_late(&leg, at(100)));
        let (leg, _) = transition(&leg, WarehouseCommand::Delivered).unwrap();
        assert_eq!(leg.stage, WarehouseStage::Delivered);
    }

    #[test]
    fn nothing_is_labelled_or_dispatched_unpaid() {
        let leg = run(happy_until_fee());
        assert_eq!(leg.stage, WarehouseStage::AwaitingShippingFee);
        for command in [
            WarehouseCommand::LabelCreated {
                tracking: "X".into(),
            },
            WarehouseCommand::Dispatch { at: at(1) },
        ] {
            assert!(matches!(
                transition(&leg, command),
                Err(StageError::NotNow { .. })
            ));
        }
    }

    #[test]
    fn exceptions_return_where_they_stopped() {
        let leg = run(happy_until_fee());
        let (stopped, _) = transition(
            &leg,
            WarehouseCommand::RaiseException {
                reason: "parcel lost in the warehouse".into(),
            },
        )
        .unwrap();
        assert_eq!(stopped.stage, WarehouseStage::Exception);
        assert!(transition(&stopped, WarehouseCommand::ShippingFeePaid { at: at(0) }).is_err());
        let (back, _) = transition(&stopped, WarehouseCommand::ResolveException).unwrap();
        assert_eq!(back.stage, WarehouseStage::AwaitingShippingFee);
        assert_eq!(back.exception, None);
    }

    #[test]
    fn a_cancelled_leg_stops_unless_the_parcel_left() {
        let leg = run(happy_until_fee());
        let (stopped, events) = transition(&leg, WarehouseCommand::Cancel).unwrap();
        assert_eq!(stopped.stage, WarehouseStage::Cancelled);
        assert_eq!(
            events,
            vec![WarehouseEvent::StageChanged {
                from: WarehouseStage::AwaitingShippingFee,
                to: WarehouseStage::Cancelled
            }]
        );
        assert!(transition(&stopped, WarehouseCommand::ShippingFeePaid { at: at(0) }).is_err());
        assert!(transition(&stopped, WarehouseCommand::Pack { parcel: parcel() }).is_err());
        assert!(transition(&stopped, WarehouseCommand::Cancel).is_err());
        let mut commands = happy_until_fee();
        commands.extend([
            WarehouseCommand::ShippingFeePaid { at: at(0) },
            WarehouseCommand::LabelCreated {
                tracking: "YT2512345678901234".into(),
            },
            WarehouseCommand::Dispatch { at: at(1) },
        ]);
        let gone = run(commands);
        assert!(matches!(
            transition(&gone, WarehouseCommand::Cancel),
            Err(StageError::NotNow { .. })
        ));
    }

    #[test]
    fn bad_inputs_are_refused() {
        let mut commands = happy_until_fee();
        commands.truncate(5);
        let leg = run(commands);
        let flat = Parcel {
            height_cm: 0,
            ..parcel()
        };
        assert!(matches!(
            transition(&leg, WarehouseCommand::Pack { parcel: flat }),
            Err(StageError::Invalid(_))
        ));
        assert!(transition(
            &leg,
            WarehouseCommand::RaiseException { reason: " ".into() }
        )
        .is_err());
    }

    fn any_command() -> impl Strategy<Value = WarehouseCommand> {
        prop_oneof![
            Just(WarehouseCommand::Purchase),
            Just(WarehouseCommand::SellerShipped),
            any::<bool>().prop_map(|all| WarehouseCommand::ItemsArrived { all }),
            Just(WarehouseCommand::ShipWhatIsHere),
            Just(WarehouseCommand::InspectionCleared),
            Just(WarehouseCommand::Reordered),
            (0u32..3000, 0u32..60).prop_map(|(w, d)| WarehouseCommand::Pack {
                parcel: Parcel {
                    weight_g: w,
                    length_cm: d,
                    width_cm: d,
                    height_cm: d
                }
            }),
            (-100i64..5000).prop_map(|f| WarehouseCommand::AskShippingFee {
                carrier_code: "c".into(),
                fee: Money::new(f, Currency::from_code("USD").unwrap()),
            }),
            (0i64..100).prop_map(|h| WarehouseCommand::ShippingFeePaid { at: at(h) }),
            "[A-Z0-9 ]{0,4}".prop_map(|t| WarehouseCommand::LabelCreated { tracking: t }),
            (0i64..100).prop_map(|h| WarehouseCommand::Dispatch { at: at(h) }),
            Just(WarehouseCommand::Delivered),
            "[a-z ]{0,3}".prop_map(|r| WarehouseCommand::RaiseException { reason: r }),
            Just(WarehouseCommand::ResolveException),
            Just(WarehouseCommand::Cancel),
        ]
    }

    proptest! {
        #[test]
        fn no_sequence_reaches_an_invalid_state(
            commands in proptest::collection::vec(any_command(), 0..60),
        ) {
            let mut leg = WarehouseLeg::default();
            for command in commands {
                let before = leg.clone();
                match transition(&before, command) {
                    Err(_) => continue,
                    Ok((next, events)) => {
                        let first_is_the_move = matches!(events.first(), Some(WarehouseEvent::StageChanged { from, to })
                            if *from == before.stage && *to == next.stage);
                        prop_assert!(first_is_the_move);
                        prop_assert_ne!(before.stage, WarehouseStage::Delivered);
                        // Cancelled is the end: nothing moves a cancelled leg.
                        prop_assert_ne!(before.stage, WarehouseStage::Cancelled);
                        leg = next;
                    }
                }
                // Nothing is labelled, dispatched or delivered unpaid, and what is paid has
                // a parcel, a carrier and a fee.
                let effective = leg.resume_at.unwrap_or(leg.stage);
                if effective.fee_is_paid() {
                    prop_assert!(leg.fee_paid_at.is_some());
                    prop_assert!(leg.parcel.is_some());
                    prop_assert!(leg.carrier_code.is_some());
                    prop_assert!(leg.shipping_fee.is_some_and(|f| f.minor > 0));
                }
                if matches!(effective, WarehouseStage::LabelCreated | WarehouseStage::Dispatched | WarehouseStage::Delivered) {
                    prop_assert!(leg.international_tracking.as_deref().is_some_and(|t| !t.is_empty()));
                }
                if matches!(effective, WarehouseStage::Dispatched | WarehouseStage::Delivered) {
                    prop_assert!(leg.dispatched_at.is_some());
                }
                // An exception always knows where to go back to, and only then.
                prop_assert_eq!(leg.stage == WarehouseStage::Exception, leg.resume_at.is_some());
                prop_assert_eq!(leg.resume_at.is_some(), leg.exception.is_some());
                prop_assert_ne!(leg.resume_at, Some(WarehouseStage::Exception));
            }
        }
    }
}
