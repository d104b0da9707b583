//! The warehouse leg of an order: from buying at the marketplace to handing the parcel to an
//! international carrier. A pure transition function over a small state, like
//! `lifecycle::transition`: it checks the move is allowed and says what happened.
//!
//! The one rule that matters most: **nothing is labelled or dispatched before its shipping
//! fee is paid**. The only way to `LabelCreated` is from `FeePaid`, and the fee's payment
//! time is recorded there; a parcel must leave within [`DISPATCH_WITHIN_HOURS`] of it.
//!
//! An order may leave in more than one package ("ship what is here, the rest follows"): the
//! leg works on one package at a time (its fields below), and every package that left is
//! listed in `sent`. After a dispatch with items still to ship, `RestFollows` takes the leg
//! back to waiting with a fresh package; the leg is `Delivered` only once every package it
//! sent is delivered and nothing is left to ship.

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

/// A package of the order that left the warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentPackage {
    pub package_id: String,
    pub tracking: String,
    pub dispatched_at: DateTime<Utc>,
    pub delivered: bool,
}

/// The leg's state. The package fields (`package_id` to `dispatched_at`) are those of the
/// package being prepared or last sent; earlier packages are in `sent`.
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
    /// The package being prepared (set at packing; legs stored before packages were listed
    /// have none).
    #[serde(default)]
    pub package_id: Option<String>,
    /// Every package that left, in dispatch order.
    #[serde(default)]
    pub sent: Vec<SentPackage>,
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
            package_id: None,
            sent: Vec::new(),
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
    /// The cleared items are packed in package `package_id` (a new one each time).
    Pack {
        package_id: String,
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
    /// The package just sent did not hold everything: back to waiting for the rest, with a
    /// fresh package (`all_here`: the rest is already at the warehouse).
    RestFollows {
        all_here: bool,
    },
    /// The carrier delivered the sent package with this tracking number.
    Delivered {
        tracking: String,
    },
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
    /// Package number `number` (1-based) of the order is on its way; the rest follows.
    RestFollows {
        packages_sent: u32,
    },
    PackageDelivered {
        tracking: String,
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
        WarehouseCommand::RestFollows { .. } => "wait for the rest",
        WarehouseCommand::Delivered { .. } => "record delivery",
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
    let leg = &with_sent_listed(leg);
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
        WarehouseCommand::Pack { package_id, parcel } => match from {
            S::Inspected => {
                if package_id.trim().is_empty()
                    || leg.sent.iter().any(|p| &p.package_id == package_id)
                {
                    return Err(StageError::Invalid(
                        "a package needs an id of its own (a sent package is not packed again)",
                    ));
                }
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
                next.package_id = Some(package_id.clone());
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
                if leg.sent.iter().any(|p| p.tracking == tracking.trim()) {
                    return Err(StageError::Invalid(
                        "that tracking number belongs to a package already sent",
                    ));
                }
                next.international_tracking = Some(tracking.trim().to_string());
                S::LabelCreated
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::Dispatch { at } => match from {
            S::LabelCreated => {
                next.dispatched_at = Some(*at);
                next.sent.push(SentPackage {
                    package_id: leg.package_id.clone().unwrap_or_default(),
                    tracking: leg.international_tracking.clone().unwrap_or_default(),
                    dispatched_at: *at,
                    delivered: false,
                });
                if let Some(by) = dispatch_due_by(leg).filter(|by| at > by) {
                    events.push(WarehouseEvent::DispatchedLate {
                        hours_late: (*at - by).num_hours(),
                    });
                }
                S::Dispatched
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::RestFollows { all_here } => match from {
            S::Dispatched => {
                next.parcel = None;
                next.carrier_code = None;
                next.shipping_fee = None;
                next.fee_paid_at = None;
                next.international_tracking = None;
                next.dispatched_at = None;
                next.package_id = None;
                events.push(WarehouseEvent::RestFollows {
                    packages_sent: u32::try_from(leg.sent.len()).unwrap_or(u32::MAX),
                });
                if *all_here {
                    S::Arrived
                } else {
                    S::PartlyArrived
                }
            }
            _ => return Err(refuse(&command)),
        },
        WarehouseCommand::Delivered { tracking } => {
            if from == S::Delivered {
                return Err(refuse(&command));
            }
            // A package may be delivered while the next one is still being prepared.
            let Some(package) = next
                .sent
                .iter_mut()
                .find(|p| &p.tracking == tracking && !p.delivered)
            else {
                return Err(StageError::Invalid(
                    "no package on its way has that tracking number",
                ));
            };
            package.delivered = true;
            events.push(WarehouseEvent::PackageDelivered {
                tracking: tracking.clone(),
            });
            if from == S::Dispatched && all_delivered(&next) {
                S::Delivered
            } else {
                from
            }
        }
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
                // The last package may have been delivered meanwhile.
                if back == S::Dispatched && all_delivered(&next) {
                    S::Delivered
                } else {
                    back
                }
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
    // A delivery that does not end the leg moves no stage: no stage event for it.
    if to != from || !matches!(command, WarehouseCommand::Delivered { .. }) {
        events.insert(0, WarehouseEvent::StageChanged { from, to });
    }
    Ok((next, events))
}

/// Every package sent is delivered (and at least one was sent).
fn all_delivered(leg: &WarehouseLeg) -> bool {
    !leg.sent.is_empty() && leg.sent.iter().all(|p| p.delivered)
}

/// A leg stored before packages were listed, dispatched with its one package: that package
/// listed in `sent`, so delivery works the same for old and new legs.
fn with_sent_listed(leg: &WarehouseLeg) -> WarehouseLeg {
    use WarehouseStage as S;
    let mut leg = leg.clone();
    let stage = leg.resume_at.unwrap_or(leg.stage);
    if leg.sent.is_empty() && matches!(stage, S::Dispatched | S::Delivered) {
        if let (Some(tracking), Some(at)) = (&leg.international_tracking, leg.dispatched_at) {
            leg.sent.push(SentPackage {
                package_id: leg.package_id.clone().unwrap_or_default(),
                tracking: tracking.clone(),
                dispatched_at: at,
                delivered: stage == S::Delivered,
            });
        }
    }
    leg
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
        run_from(WarehouseLeg::default(), commands)
    }

    fn run_from(leg: WarehouseLeg, commands: Vec<WarehouseCommand>) -> WarehouseLeg {
        commands
            .into_iter()
            .fold(leg, |leg, c| transition(&leg, c).unwrap().0)
    }

    fn pack(package_id: &str) -> WarehouseCommand {
        WarehouseCommand::Pack {
            package_id: package_id.into(),
            parcel: parcel(),
        }
    }

    fn ask_fee() -> WarehouseCommand {
        WarehouseCommand::AskShippingFee {
            carrier_code: "yun-direct".into(),
            fee: fee(),
        }
    }

    fn label(tracking: &str) -> WarehouseCommand {
        WarehouseCommand::LabelCreated {
            tracking: tracking.into(),
        }
    }

    fn delivered(tracking: &str) -> WarehouseCommand {
        WarehouseCommand::Delivered {
            tracking: tracking.into(),
        }
    }

    fn happy_until_fee() -> Vec<WarehouseCommand> {
        vec![
            WarehouseCommand::Purchase,
            WarehouseCommand::SellerShipped,
            WarehouseCommand::ItemsArrived { all: false },
            WarehouseCommand::ItemsArrived { all: true },
            WarehouseCommand::InspectionCleared,
            pack("pk-1"),
            ask_fee(),
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
        let (leg, _) = transition(&leg, label("YT2512345678901234")).unwrap();
        let (leg, events) = transition(&leg, WarehouseCommand::Dispatch { at: at(30) }).unwrap();
        assert!(events.contains(&WarehouseEvent::DispatchedLate { hours_late: 6 }));
        assert!(!is_late(&leg, at(100)));
        let (leg, _) = transition(&leg, delivered("YT2512345678901234")).unwrap();
        assert_eq!(leg.stage, WarehouseStage::Delivered);
    }

    /// Pays, labels and dispatches the package being prepared.
    fn send(leg: &WarehouseLeg, tracking: &str, hour: i64) -> WarehouseLeg {
        [
            WarehouseCommand::ShippingFeePaid { at: at(hour) },
            label(tracking),
            WarehouseCommand::Dispatch { at: at(hour + 1) },
        ]
        .into_iter()
        .fold(leg.clone(), |leg, c| transition(&leg, c).unwrap().0)
    }

    #[test]
    fn the_rest_follows_in_a_second_package_and_delivery_waits_for_both() {
        let leg = run(vec![
            WarehouseCommand::Purchase,
            WarehouseCommand::ItemsArrived { all: false },
            WarehouseCommand::ShipWhatIsHere,
            WarehouseCommand::InspectionCleared,
            pack("pk-1"),
            ask_fee(),
        ]);
        let leg = send(&leg, "YT0000000000000001", 0);
        assert_eq!(leg.sent.len(), 1);
        let (leg, events) =
            transition(&leg, WarehouseCommand::RestFollows { all_here: false }).unwrap();
        assert_eq!(leg.stage, WarehouseStage::PartlyArrived);
        assert!(events.contains(&WarehouseEvent::RestFollows { packages_sent: 1 }));
        // A fresh package: nothing of the first one's fee or tracking is left to reuse.
        assert_eq!(leg.package_id, None);
        assert_eq!(leg.fee_paid_at, None);
        assert_eq!(leg.international_tracking, None);
        assert_eq!(dispatch_due_by(&leg), None);
        // The first package is delivered while the rest is on its way: the leg waits on.
        let (leg, events) = transition(&leg, delivered("YT0000000000000001")).unwrap();
        assert_eq!(leg.stage, WarehouseStage::PartlyArrived);
        assert!(!events
            .iter()
            .any(|e| matches!(e, WarehouseEvent::StageChanged { .. })));
        // A package id or tracking number already sent is refused for the next package.
        let leg = run_from(
            leg,
            vec![
                WarehouseCommand::ItemsArrived { all: true },
                WarehouseCommand::InspectionCleared,
            ],
        );
        let reused = pack("pk-1");
        assert!(matches!(
            transition(&leg, reused),
            Err(StageError::Invalid(_))
        ));
        let leg = run_from(
            leg,
            vec![
                pack("pk-2"),
                ask_fee(),
                WarehouseCommand::ShippingFeePaid { at: at(50) },
            ],
        );
        let same_number = label("YT0000000000000001");
        assert!(transition(&leg, same_number).is_err());
        let leg = run_from(
            leg,
            vec![
                label("YT0000000000000002"),
                WarehouseCommand::Dispatch { at: at(51) },
            ],
        );
        assert_eq!(leg.stage, WarehouseStage::Dispatched);
        assert_eq!(leg.sent.len(), 2);
        // Delivered once, and only with a number on its way.
        assert!(transition(
            &leg,
            WarehouseCommand::Delivered {
                tracking: "YT0000000000000001".into()
            }
        )
        .is_err());
        let (leg, _) = transition(&leg, delivered("YT0000000000000002")).unwrap();
        assert_eq!(leg.stage, WarehouseStage::Delivered);
    }

    #[test]
    fn a_leg_stored_before_packages_were_listed_is_delivered_by_its_number() {
        let mut leg = run(happy_until_fee());
        leg = send(&leg, "YT0000000000000009", 0);
        // As 0011 stored it: no package id, nothing listed.
        leg.sent.clear();
        leg.package_id = None;
        let json = serde_json::to_value(&leg).unwrap();
        let mut old = json.as_object().unwrap().clone();
        old.remove("sent");
        old.remove("package_id");
        let leg: WarehouseLeg = serde_json::from_value(serde_json::Value::Object(old)).unwrap();
        let (leg, _) = transition(&leg, delivered("YT0000000000000009")).unwrap();
        assert_eq!(leg.stage, WarehouseStage::Delivered);
    }

    #[test]
    fn nothing_is_labelled_or_dispatched_unpaid() {
        let leg = run(happy_until_fee());
        assert_eq!(leg.stage, WarehouseStage::AwaitingShippingFee);
        for command in [label("X"), WarehouseCommand::Dispatch { at: at(1) }] {
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
        assert!(transition(
            &stopped,
            WarehouseCommand::Pack {
                package_id: "pk-2".into(),
                parcel: parcel()
            }
        )
        .is_err());
        assert!(transition(&stopped, WarehouseCommand::Cancel).is_err());
        let mut commands = happy_until_fee();
        commands.extend([
            WarehouseCommand::ShippingFeePaid { at: at(0) },
            label("YT2512345678901234"),
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
            transition(
                &leg,
                WarehouseCommand::Pack {
                    package_id: "pk-1".into(),
                    parcel: flat
                }
            ),
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
            (0u32..3000, 0u32..60, 0u8..4).prop_map(|(w, d, p)| WarehouseCommand::Pack {
                package_id: format!("pk-{p}"),
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
            "[A-C1-3 ]{0,2}".prop_map(|t| WarehouseCommand::LabelCreated { tracking: t }),
            (0i64..100).prop_map(|h| WarehouseCommand::Dispatch { at: at(h) }),
            any::<bool>().prop_map(|all_here| WarehouseCommand::RestFollows { all_here }),
            "[A-C1-3]{1,2}".prop_map(|t| WarehouseCommand::Delivered { tracking: t }),
            "[a-z ]{0,3}".prop_map(|r| WarehouseCommand::RaiseException { reason: r }),
            Just(WarehouseCommand::ResolveException),
            Just(WarehouseCommand::Cancel),
        ]
    }

    /// Runs `commands` from a new leg, checking every invariant after each one; returns the
    /// leg at the end.
    fn walk(commands: Vec<WarehouseCommand>) -> Result<WarehouseLeg, TestCaseError> {
        let mut leg = WarehouseLeg::default();
        // Packages whose fee was paid, in order: each at most once.
        let mut paid: Vec<String> = Vec::new();
        for command in commands {
            let before = leg.clone();
            let delivery = matches!(command, WarehouseCommand::Delivered { .. });
            let pays = matches!(command, WarehouseCommand::ShippingFeePaid { .. });
            match transition(&before, command) {
                Err(_) => {
                    continue;
                }
                Ok((next, events)) => {
                    let first_is_the_move = matches!(events.first(), Some(WarehouseEvent::StageChanged { from, to })
                    if *from == before.stage && *to == next.stage);
                    // Only a delivery that leaves the stage as it was has no stage event.
                    prop_assert!(first_is_the_move || (delivery && before.stage == next.stage));
                    prop_assert_ne!(before.stage, WarehouseStage::Delivered);
                    // Cancelled is the end: a parcel already sent may still be delivered,
                    // but nothing moves the leg on.
                    if before.stage == WarehouseStage::Cancelled {
                        prop_assert_eq!(next.stage, WarehouseStage::Cancelled);
                    }
                    if pays {
                        let package = next.package_id.clone();
                        prop_assert!(package.is_some());
                        let package = package.unwrap_or_default();
                        prop_assert!(!paid.contains(&package), "{} paid twice", package);
                        paid.push(package);
                    }
                    // What was sent stays sent, in order; only its delivery changes.
                    prop_assert!(next.sent.len() >= before.sent.len());
                    for (old, new) in before.sent.iter().zip(&next.sent) {
                        prop_assert_eq!(&old.package_id, &new.package_id);
                        prop_assert_eq!(&old.tracking, &new.tracking);
                        prop_assert!(new.delivered || !old.delivered);
                    }
                    leg = next;
                }
            }
            // Every package that left was paid first, each has its own id and number.
            for (i, package) in leg.sent.iter().enumerate() {
                prop_assert!(paid.contains(&package.package_id));
                prop_assert!(!package.tracking.is_empty());
                prop_assert!(leg.sent[..i]
                    .iter()
                    .all(|p| p.package_id != package.package_id && p.tracking != package.tracking));
            }
            // Delivered means every package that left arrived, and none is in the works.
            if leg.stage == WarehouseStage::Delivered {
                prop_assert!(!leg.sent.is_empty());
                prop_assert!(leg.sent.iter().all(|p| p.delivered));
                prop_assert_eq!(
                    leg.sent.last().map(|p| &p.package_id),
                    leg.package_id.as_ref()
                );
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
            if matches!(
                effective,
                WarehouseStage::LabelCreated
                    | WarehouseStage::Dispatched
                    | WarehouseStage::Delivered
            ) {
                prop_assert!(leg
                    .international_tracking
                    .as_deref()
                    .is_some_and(|t| !t.is_empty()));
            }
            if matches!(
                effective,
                WarehouseStage::Dispatched | WarehouseStage::Delivered
            ) {
                prop_assert!(leg.dispatched_at.is_some());
            }
            // An exception always knows where to go back to, and only then.
            prop_assert_eq!(
                leg.stage == WarehouseStage::Exception,
                leg.resume_at.is_some()
            );
            prop_assert_eq!(leg.resume_at.is_some(), leg.exception.is_some());
            prop_assert_ne!(leg.resume_at, Some(WarehouseStage::Exception));
        }
        Ok(leg)
    }

    /// The moves of an order sent in `rounds` packages ("ship what is here" each time until
    /// the last), then every package delivered.
    fn rounds_of(rounds: u8) -> Vec<WarehouseCommand> {
        let mut commands = vec![WarehouseCommand::Purchase, WarehouseCommand::SellerShipped];
        for r in 0..rounds {
            if r > 0 {
                commands.push(WarehouseCommand::RestFollows { all_here: false });
            }
            commands.push(WarehouseCommand::ItemsArrived {
                all: r + 1 == rounds,
            });
            if r + 1 < rounds {
                commands.push(WarehouseCommand::ShipWhatIsHere);
            }
            commands.extend([
                WarehouseCommand::InspectionCleared,
                WarehouseCommand::Pack {
                    package_id: format!("pk-{r}"),
                    parcel: parcel(),
                },
                WarehouseCommand::AskShippingFee {
                    carrier_code: "c".into(),
                    fee: fee(),
                },
                WarehouseCommand::ShippingFeePaid {
                    at: at(i64::from(r) * 10),
                },
                WarehouseCommand::LabelCreated {
                    tracking: format!("T{r}"),
                },
                WarehouseCommand::Dispatch {
                    at: at(i64::from(r) * 10 + 1),
                },
            ]);
        }
        commands.extend((0..rounds).map(|r| WarehouseCommand::Delivered {
            tracking: format!("T{r}"),
        }));
        commands
    }

    /// Noise that can hit the packages of [`rounds_of`]: reused ids and numbers, early or
    /// repeated deliveries, exceptions, and anything else.
    fn noise() -> impl Strategy<Value = WarehouseCommand> {
        prop_oneof![
            3 => any_command(),
            1 => "T[0-3]".prop_map(|t| WarehouseCommand::Delivered { tracking: t }),
            1 => "T[0-3]".prop_map(|t| WarehouseCommand::LabelCreated { tracking: t }),
            1 => (0u8..4).prop_map(|p| WarehouseCommand::Pack {
                package_id: format!("pk-{p}"),
                parcel: parcel(),
            }),
            1 => any::<bool>().prop_map(|all_here| WarehouseCommand::RestFollows { all_here }),
        ]
    }

    /// An order of one to four packages with noise slipped in at random places.
    fn several_packages() -> impl Strategy<Value = Vec<WarehouseCommand>> {
        (
            1u8..5,
            proptest::collection::vec((any::<proptest::sample::Index>(), noise()), 0..12),
        )
            .prop_map(|(rounds, noise)| {
                let mut commands = rounds_of(rounds);
                for (at, command) in noise {
                    let i = at.index(commands.len() + 1);
                    commands.insert(i, command);
                }
                commands
            })
    }

    proptest! {
        #[test]
        fn no_sequence_reaches_an_invalid_state(
            commands in proptest::collection::vec(any_command(), 0..120),
        ) {
            walk(commands)?;
        }

        #[test]
        fn several_packages_are_each_paid_once_and_delivered_before_the_order(
            commands in several_packages(),
        ) {
            walk(commands)?;
        }
    }

    /// The second proptest is only worth something if its sequences do reach several
    /// packages and a delivery of all of them, noise and all.
    #[test]
    fn noisy_sequences_reach_several_packages() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = several_packages();
        let (mut several, mut all_delivered) = (0, 0);
        for _ in 0..200 {
            let commands = strategy.new_tree(&mut runner).unwrap().current();
            let leg = walk(commands).unwrap();
            if leg.sent.len() >= 2 {
                several += 1;
                if leg.stage == WarehouseStage::Delivered {
                    all_delivered += 1;
                }
            }
        }
        assert!(several >= 100, "only {several} of 200 sent two packages");
        assert!(
            all_delivered >= 80,
            "only {all_delivered} of 200 delivered them all"
        );
    }
}
