//! Buying one supplier order, decided without I/O. The `supplier_order.place` job reads the
//! purchase and its order into an [`Attempt`], asks [`start`] what to do, makes the call it is
//! told to ([`Call`]), hands each answer to [`looked_up`] or [`placed`], and writes the
//! [`Decision`] it ends with once. A recorded [`Outcome`] is [`settle`]d under the order's lock,
//! against where the order stands by then and what the wallet could cover.
//!
//! Never buy twice: an attempt whose placement went unanswered is asked for by our reference
//! before anything else; where the supplier cannot be asked, placing again with the same
//! reference is safe while the supplier refuses a repeat (AliExpress: 24 h), and past half of
//! that a person must look.

use crate::money::Money;
use crate::procurement::SupplierOrderStatus;
use crate::supplier::{Placement, RejectReason, RemoteOrder, SupplierError};

/// How long after an unanswered attempt placing again with the same reference stays safe
/// where the supplier cannot be asked (half of AliExpress' 24 h duplicate window).
pub const REPLACE_WINDOW_HOURS: i64 = 12;

/// The purchase, and where its order stands, as the decision needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub status: SupplierOrderStatus,
    /// Our reference, sent with the purchase (AliExpress `out_order_id`, CJ `orderNumber`).
    pub attempt_id: String,
    /// The supplier's name in messages (`aliexpress`).
    pub supplier: String,
    /// `cj:default`, as the timeline shows it.
    pub label: String,
    /// What each line was mapped at, for the price-increase message.
    pub lines: Vec<MappedLine>,
    /// How long since the supplier order last changed (for an unanswered attempt: since the
    /// attempt was made).
    pub unchanged_for: chrono::Duration,
    /// The order was cancelled, or its money refunded or voided, in the store: nothing is
    /// bought for it any more.
    pub order_stopped: bool,
    /// The order is on hold.
    pub order_held: bool,
    /// A person (a manual vendor) buys and ships it: there is no one to call.
    pub by_hand: bool,
}

/// One line's supplier SKU and the unit cost it was mapped at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedLine {
    pub supplier_sku_id: String,
    pub unit_cost_minor: i64,
    pub currency: String,
}

/// What to do next: call the supplier, or the decision is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Call(Call),
    Done(Decision),
}

/// A call to the supplier; its answer goes to [`looked_up`] or [`placed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// Ask for the order our reference made, for the reason given.
    Lookup(Lookup),
    /// Buy. An attempt still awaiting placement is claimed first (awaiting placement →
    /// placement unknown, committed before the call), so two runners never both buy.
    Place,
}

/// Why the supplier is asked for the order our reference made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The order was cancelled while a placement was unanswered: settle the doubt, never buy.
    CancelledWhileUnanswered,
    /// A placement went unanswered: found, it is linked; not there, placing is safe.
    Unanswered,
    /// The supplier refused a placement as a duplicate: an earlier attempt went through.
    Duplicate,
}

/// Where one placement run ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do: already placed, refused or cancelled (a repeated job), held since it
    /// was routed (releasing the hold routes it again), or claimed by another runner.
    Nothing,
    /// The purchase's new standing, written with the order's transition.
    Record(Outcome),
    /// Maybe bought, and which order it made is unknown: the attempt stays live (its lines
    /// count as bought, so nothing buys them again) and a person links it by hand.
    /// `give_up`: the job ends failed with the detail instead of succeeding.
    FlagForLink { detail: String, give_up: bool },
    /// The supplier said no.
    Refused(Refusal),
    /// The supplier could not be heard: the job retries (a rate limit waits as told).
    Failed(SupplierError),
}

/// A refusal and its way out; each detail says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Price above the store's guard: nothing bought, back to awaiting placement, and the
    /// order held until the merchant accepts the new price by releasing the hold.
    PriceIncreased { detail: String },
    /// Out of stock: cancelled, not rejected, and the order routed again without that offer
    /// (a backup offer takes over, or the line fails with its reason).
    OutOfStock { detail: String },
    /// Anything else: rejected with the supplier's reason.
    Rejected { detail: String },
}

/// A purchase's new standing, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: SupplierOrderStatus,
    /// The supplier's order number, when learnt.
    pub external_id: Option<String>,
    pub cost: Option<Money>,
    /// What the timeline (and, for a refusal or a cancellation, the purchase) says.
    pub detail: Option<String>,
    /// Just bought (placed now, or found placed): the wallet reserves its cost and paying
    /// may follow.
    pub bought: bool,
}

impl Outcome {
    fn status(status: SupplierOrderStatus, detail: Option<String>) -> Outcome {
        Outcome {
            status,
            external_id: None,
            cost: None,
            detail,
            bought: false,
        }
    }

    fn bought(remote: RemoteOrder, detail: Option<String>) -> Outcome {
        Outcome {
            status: remote.status,
            external_id: Some(remote.supplier_order_id),
            cost: remote.total_cost,
            detail,
            bought: true,
        }
    }
}

/// Whether the supplier holds a purchase in `status` as paid (its money is out).
fn paid(status: SupplierOrderStatus) -> bool {
    matches!(
        status,
        SupplierOrderStatus::AwaitingShipment
            | SupplierOrderStatus::Shipped
            | SupplierOrderStatus::Delivered
    )
}

/// Whether a purchase in `status` is still to be placed (a repeated job finds most done).
pub fn open(status: SupplierOrderStatus) -> bool {
    match status {
        SupplierOrderStatus::AwaitingPlacement | SupplierOrderStatus::PlacementUnknown => true,
        SupplierOrderStatus::AwaitingPayment
        | SupplierOrderStatus::AwaitingShipment
        | SupplierOrderStatus::Shipped
        | SupplierOrderStatus::Delivered
        | SupplierOrderStatus::Rejected
        | SupplierOrderStatus::Cancelled => false,
    }
}

/// The first step for an attempt [`open`] to placement.
pub fn start(attempt: &Attempt) -> Next {
    let unanswered = attempt.status == SupplierOrderStatus::PlacementUnknown;
    if attempt.order_stopped && !unanswered {
        let cancelled = Outcome::status(SupplierOrderStatus::Cancelled, None);
        return Next::Done(Decision::Record(cancelled));
    }
    if attempt.order_held && !unanswered {
        return Next::Done(Decision::Nothing);
    }
    if attempt.by_hand {
        let handed = Outcome::status(
            SupplierOrderStatus::AwaitingShipment,
            Some("handed to the vendor".into()),
        );
        return Next::Done(Decision::Record(handed));
    }
    match (unanswered, attempt.order_stopped) {
        (true, true) => Next::Call(Call::Lookup(Lookup::CancelledWhileUnanswered)),
        (true, false) => Next::Call(Call::Lookup(Lookup::Unanswered)),
        (false, _) => Next::Call(Call::Place),
    }
}

/// What the supplier's answer to a lookup by our reference leads to. `NotOffered` is a
/// supplier that cannot be asked this; any other error (a garbled answer included) fails the
/// job and the retry asks again.
pub fn looked_up(
    attempt: &Attempt,
    lookup: Lookup,
    answer: Result<Option<RemoteOrder>, SupplierError>,
) -> Next {
    let decision = match (lookup, answer) {
        (_, Err(error)) if !matches!(error, SupplierError::NotOffered(_)) => {
            Decision::Failed(error)
        }
        // Found already paid (AliExpress charges with the order): it was bought for an order
        // nobody wants any more; recorded as bought so `settle` flags it for a person.
        (Lookup::CancelledWhileUnanswered, Ok(Some(remote))) if paid(remote.status) => {
            Decision::Record(Outcome::bought(
                remote,
                Some(
                    "placed and paid by an unanswered attempt after the order was cancelled".into(),
                ),
            ))
        }
        (Lookup::CancelledWhileUnanswered, Ok(Some(remote))) => Decision::Record(Outcome {
            external_id: Some(remote.supplier_order_id),
            ..Outcome::status(
                SupplierOrderStatus::Cancelled,
                Some(
                    "placed by an unanswered attempt after the order was cancelled; left \
                     unpaid to lapse at the supplier"
                        .into(),
                ),
            )
        }),
        (Lookup::CancelledWhileUnanswered, Ok(None)) => Decision::Record(Outcome::status(
            SupplierOrderStatus::Cancelled,
            Some("the order was cancelled".into()),
        )),
        (Lookup::CancelledWhileUnanswered, Err(_)) => Decision::Record(Outcome::status(
            SupplierOrderStatus::Rejected,
            Some(format!(
                "the order was cancelled while attempt {} was unanswered and {} cannot be \
                 asked about it: check the supplier's orders and cancel it there",
                attempt.attempt_id, attempt.supplier
            )),
        )),
        (Lookup::Unanswered, Ok(Some(remote))) => Decision::Record(Outcome::bought(
            remote,
            Some("found by our reference after an unanswered attempt".into()),
        )),
        // Not there: placing is safe.
        (Lookup::Unanswered, Ok(None)) => return Next::Call(Call::Place),
        (Lookup::Unanswered, Err(_)) => {
            if attempt.unchanged_for <= chrono::Duration::hours(REPLACE_WINDOW_HOURS) {
                return Next::Call(Call::Place);
            }
            Decision::FlagForLink {
                detail: format!(
                    "attempt {} went unanswered over {REPLACE_WINDOW_HOURS} hours ago and {} \
                     cannot be asked about it: check the supplier's orders and link it by hand",
                    attempt.attempt_id, attempt.supplier
                ),
                give_up: true,
            }
        }
        (Lookup::Duplicate, Ok(Some(remote))) => Decision::Record(Outcome::bought(
            remote,
            Some("an earlier attempt had gone through".into()),
        )),
        (Lookup::Duplicate, Ok(None) | Err(_)) => Decision::FlagForLink {
            detail: format!(
                "placed by an attempt that went unanswered, and {} cannot be asked which \
                 order it made: find reference {} in the supplier's orders and link it by hand",
                attempt.supplier, attempt.attempt_id
            ),
            give_up: false,
        },
    };
    Next::Done(decision)
}

/// What the supplier's answer to a purchase leads to. No answer (or a refusal to talk)
/// leaves the attempt *placement unknown* and fails the job: the retry reconciles first.
pub fn placed(attempt: &Attempt, answer: Result<Placement, SupplierError>) -> Next {
    let decision = match answer {
        Ok(Placement::Placed(remote)) => Decision::Record(Outcome::bought(remote, None)),
        Ok(Placement::Rejected(RejectReason::DuplicateReference)) => {
            return Next::Call(Call::Lookup(Lookup::Duplicate));
        }
        Ok(Placement::Rejected(RejectReason::PriceChanged {
            supplier_sku_id,
            unit_cost,
        })) => {
            let mapped_at = attempt
                .lines
                .iter()
                .find(|l| l.supplier_sku_id == supplier_sku_id)
                .map(|l| format!("{} {}", l.unit_cost_minor, l.currency))
                .unwrap_or_default();
            Decision::Refused(Refusal::PriceIncreased {
                detail: format!(
                    "price increased: {} {supplier_sku_id} now costs {unit_cost} (mapped at \
                     {mapped_at}); release the hold to buy at the new price",
                    attempt.supplier
                ),
            })
        }
        Ok(Placement::Rejected(RejectReason::OutOfStock { supplier_sku_id })) => {
            Decision::Refused(Refusal::OutOfStock {
                detail: format!(
                    "out of stock at {}: {supplier_sku_id}; routing again to a backup offer",
                    attempt.label
                ),
            })
        }
        Ok(Placement::Rejected(other)) => Decision::Refused(Refusal::Rejected {
            detail: serde_json::to_string(&other).unwrap_or_default(),
        }),
        Err(error) => Decision::Failed(error),
    };
    Next::Done(decision)
}

/// Where the purchase must still stand for this run's decision to be written: *placement
/// unknown* once the run claimed it to call the supplier, else the status it was read in.
/// Anything else means another writer moved it meanwhile (the cancel job letting go of an
/// unclaimed purchase, a second runner, a person linking it): the decision is stale.
pub fn expected_at_write(read: SupplierOrderStatus, called_supplier: bool) -> SupplierOrderStatus {
    if called_supplier && read == SupplierOrderStatus::AwaitingPlacement {
        SupplierOrderStatus::PlacementUnknown
    } else {
        read
    }
}

/// A stale decision is not written, except that money may be out: the supplier says it
/// bought (and was paid) while the purchase was let go here meanwhile. Then a person must
/// ask for it back; the text of the flag is returned.
pub fn stale_but_charged(
    outcome: &Outcome,
    now: SupplierOrderStatus,
    label: &str,
) -> Option<String> {
    let let_go = matches!(
        now,
        SupplierOrderStatus::Cancelled | SupplierOrderStatus::Rejected
    );
    (outcome.bought && paid(outcome.status) && let_go).then(|| {
        format!(
            "{label} took payment with order {} after the purchase was let go here: ask them \
             to cancel it before it ships, then record the refund",
            outcome.external_id.as_deref().unwrap_or("unknown")
        )
    })
}

/// A recorded outcome against where the order stands when it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub outcome: Outcome,
    /// Reserve the cost in the wallet now: just bought, and not let go.
    pub reserve: bool,
    /// The supplier took payment with an order the store cancelled meanwhile: a person asks
    /// them to cancel it before it ships.
    pub charged_after_cancel: bool,
    /// Placed unpaid while the store cancelled, at a supplier that takes payment by itself
    /// (AliExpress `try_to_pay`): kept and followed, and a person cancels it there before
    /// it is charged.
    pub unpaid_after_cancel: bool,
}

/// Settles `outcome` against the order: cancelled or refunded in the store while the supplier
/// was answering (the cancel job left the attempt alone while it was in flight), an unpaid
/// purchase is let go to lapse at the supplier, and one the supplier charged at once is
/// flagged.
/// `charges_by_itself`: the supplier takes payment without our pay call, so an unpaid
/// order there does not simply lapse.
pub fn settle(outcome: Outcome, order_stopped: bool, charges_by_itself: bool) -> Settlement {
    let mut outcome = outcome;
    let mut charged_after_cancel = false;
    let mut unpaid_after_cancel = false;
    // Handed to a vendor (nothing bought through an API) after the order stopped: the vendor
    // never gets it.
    if order_stopped && !outcome.bought && outcome.status == SupplierOrderStatus::AwaitingShipment {
        outcome.status = SupplierOrderStatus::Cancelled;
        outcome.detail =
            Some("not handed to the vendor: the order was cancelled in the store".into());
    }
    if order_stopped && outcome.bought {
        match outcome.status {
            SupplierOrderStatus::AwaitingPayment if charges_by_itself => {
                unpaid_after_cancel = true;
            }
            SupplierOrderStatus::AwaitingPayment => {
                outcome.status = SupplierOrderStatus::Cancelled;
                outcome.detail = Some(
                    "placed while the order was being cancelled in the store; left unpaid to \
                     lapse at the supplier"
                        .into(),
                );
            }
            status if paid(status) => charged_after_cancel = true,
            _ => {}
        }
    }
    if outcome.status == SupplierOrderStatus::Cancelled {
        outcome.bought = false;
    }
    Settlement {
        reserve: outcome.bought,
        outcome,
        charged_after_cancel,
        unpaid_after_cancel,
    }
}

/// What is written for a settled outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// What the timeline says.
    pub note: Option<String>,
    /// The reason stored on the purchase.
    pub last_error: Option<String>,
    /// Capture the reserve: the supplier took payment with the order (AliExpress
    /// `try_to_pay`).
    pub capture: bool,
    /// Queue paying it from the wallet.
    pub pay: bool,
    /// The wallet could not cover it: a `PaymentFailed` event with this detail.
    pub payment_failed: Option<String>,
}

impl Settlement {
    /// What is written, given why the wallet could not reserve the cost (`None`: it could,
    /// or nothing was to be reserved) and the store's auto-pay setting.
    pub fn written(&self, shortfall: Option<&str>, auto_pay: bool) -> Written {
        let outcome = &self.outcome;
        let payment_failed = shortfall
            .filter(|_| self.reserve)
            .map(|why| format!("payment failed: {why}"));
        let note = payment_failed.clone().or_else(|| outcome.detail.clone());
        // A refused or cancelled purchase keeps its own reason; a live one, the failed payment.
        let (last_error, payment_failed) = match outcome.status {
            SupplierOrderStatus::Rejected | SupplierOrderStatus::Cancelled => {
                (outcome.detail.clone(), None)
            }
            _ => (payment_failed.clone(), payment_failed),
        };
        Written {
            capture: self.reserve
                && outcome.status == SupplierOrderStatus::AwaitingShipment
                && note.is_none(),
            pay: self.reserve
                && auto_pay
                && !self.unpaid_after_cancel
                && outcome.status == SupplierOrderStatus::AwaitingPayment
                && last_error.is_none(),
            payment_failed,
            note,
            last_error,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::reference::currency::Currency;

    fn attempt(status: SupplierOrderStatus) -> Attempt {
        Attempt {
            status,
            attempt_id: "att-1".into(),
            supplier: "aliexpress".into(),
            label: "aliexpress:default".into(),
            lines: vec![MappedLine {
                supplier_sku_id: "sku-1".into(),
                unit_cost_minor: 1250,
                currency: "USD".into(),
            }],
            unchanged_for: chrono::Duration::minutes(5),
            order_stopped: false,
            order_held: false,
            by_hand: false,
        }
    }

    fn remote(status: SupplierOrderStatus) -> RemoteOrder {
        RemoteOrder {
            supplier_order_id: "9001".into(),
            attempt_id: Some("att-1".into()),
            status,
            raw_status: "PLACE_ORDER_SUCCESS".into(),
            total_cost: Some(Money::new(1500, Currency::from_code("USD").unwrap())),
            tracking: Vec::new(),
            items: Vec::new(),
            ship_to: None,
        }
    }

    fn recorded(next: Next) -> Outcome {
        match next {
            Next::Done(Decision::Record(outcome)) => outcome,
            other => panic!("expected a record, got {other:?}"),
        }
    }

    fn not_offered() -> SupplierError {
        SupplierError::NotOffered("no lookup by reference".into())
    }

    #[test]
    fn only_unplaced_attempts_are_open() {
        assert!(open(SupplierOrderStatus::AwaitingPlacement));
        assert!(open(SupplierOrderStatus::PlacementUnknown));
        assert!(!open(SupplierOrderStatus::AwaitingPayment));
        assert!(!open(SupplierOrderStatus::Cancelled));
        assert!(!open(SupplierOrderStatus::Rejected));
    }

    #[test]
    fn a_fresh_attempt_is_claimed_and_placed() {
        let a = attempt(SupplierOrderStatus::AwaitingPlacement);
        assert_eq!(start(&a), Next::Call(Call::Place));
    }

    #[test]
    fn a_cancelled_order_cancels_an_unplaced_attempt_without_a_call() {
        let mut a = attempt(SupplierOrderStatus::AwaitingPlacement);
        a.order_stopped = true;
        a.order_held = true;
        let outcome = recorded(start(&a));
        assert_eq!(outcome.status, SupplierOrderStatus::Cancelled);
        assert!(!outcome.bought);
        assert_eq!(outcome.detail, None);
    }

    #[test]
    fn a_held_order_waits_for_its_release() {
        let mut a = attempt(SupplierOrderStatus::AwaitingPlacement);
        a.order_held = true;
        assert_eq!(start(&a), Next::Done(Decision::Nothing));
    }

    #[test]
    fn a_held_order_still_reconciles_an_unanswered_attempt() {
        let mut a = attempt(SupplierOrderStatus::PlacementUnknown);
        a.order_held = true;
        assert_eq!(start(&a), Next::Call(Call::Lookup(Lookup::Unanswered)));
    }

    #[test]
    fn a_garbled_lookup_answer_fails_the_job_instead_of_placing_again() {
        let a = attempt(SupplierOrderStatus::PlacementUnknown);
        let garbled = SupplierError::Protocol("unexpected JSON".into());
        for lookup in [
            Lookup::Unanswered,
            Lookup::CancelledWhileUnanswered,
            Lookup::Duplicate,
        ] {
            assert_eq!(
                looked_up(&a, lookup, Err(garbled.clone())),
                Next::Done(Decision::Failed(garbled.clone())),
                "{lookup:?}"
            );
        }
    }

    #[test]
    fn a_manual_vendor_is_handed_the_order() {
        let mut a = attempt(SupplierOrderStatus::AwaitingPlacement);
        a.by_hand = true;
        let outcome = recorded(start(&a));
        assert_eq!(outcome.status, SupplierOrderStatus::AwaitingShipment);
        assert_eq!(outcome.detail.as_deref(), Some("handed to the vendor"));
        assert!(!outcome.bought);
    }

    #[test]
    fn a_cancelled_order_settles_an_unanswered_attempt_by_asking() {
        let mut a = attempt(SupplierOrderStatus::PlacementUnknown);
        a.order_stopped = true;
        assert_eq!(
            start(&a),
            Next::Call(Call::Lookup(Lookup::CancelledWhileUnanswered))
        );
        let lookup = Lookup::CancelledWhileUnanswered;

        let found = recorded(looked_up(
            &a,
            lookup,
            Ok(Some(remote(SupplierOrderStatus::AwaitingPayment))),
        ));
        assert_eq!(found.status, SupplierOrderStatus::Cancelled);
        assert_eq!(found.external_id.as_deref(), Some("9001"));
        assert!(!found.bought);
        assert!(found.detail.unwrap().contains("left unpaid to lapse"));

        // AliExpress charges with the order: found paid, it is recorded as bought, so the
        // settlement flags it for a person instead of calling it cancelled.
        let charged = recorded(looked_up(
            &a,
            lookup,
            Ok(Some(remote(SupplierOrderStatus::AwaitingShipment))),
        ));
        assert!(charged.bought);
        assert_eq!(charged.status, SupplierOrderStatus::AwaitingShipment);
        assert!(settle(charged, true, false).charged_after_cancel);

        let absent = recorded(looked_up(&a, lookup, Ok(None)));
        assert_eq!(absent.status, SupplierOrderStatus::Cancelled);
        assert_eq!(absent.detail.as_deref(), Some("the order was cancelled"));

        let unaskable = recorded(looked_up(&a, lookup, Err(not_offered())));
        assert_eq!(unaskable.status, SupplierOrderStatus::Rejected);
        assert!(unaskable.detail.unwrap().contains("attempt att-1"));

        assert_eq!(
            looked_up(&a, lookup, Err(SupplierError::Timeout)),
            Next::Done(Decision::Failed(SupplierError::Timeout))
        );
    }

    #[test]
    fn an_unanswered_attempt_found_by_reference_is_linked_as_bought() {
        let a = attempt(SupplierOrderStatus::PlacementUnknown);
        let found = recorded(looked_up(
            &a,
            Lookup::Unanswered,
            Ok(Some(remote(SupplierOrderStatus::AwaitingPayment))),
        ));
        assert!(found.bought);
        assert_eq!(found.status, SupplierOrderStatus::AwaitingPayment);
        assert_eq!(found.cost.map(|c| c.minor), Some(1500));
        assert_eq!(
            found.detail.as_deref(),
            Some("found by our reference after an unanswered attempt")
        );
    }

    #[test]
    fn an_unanswered_attempt_not_found_is_placed_again() {
        let a = attempt(SupplierOrderStatus::PlacementUnknown);
        assert_eq!(
            looked_up(&a, Lookup::Unanswered, Ok(None)),
            Next::Call(Call::Place)
        );
    }

    #[test]
    fn an_unaskable_supplier_is_placed_again_only_within_the_window() {
        let mut a = attempt(SupplierOrderStatus::PlacementUnknown);
        a.unchanged_for = chrono::Duration::hours(REPLACE_WINDOW_HOURS);
        assert_eq!(
            looked_up(&a, Lookup::Unanswered, Err(not_offered())),
            Next::Call(Call::Place)
        );
        a.unchanged_for =
            chrono::Duration::hours(REPLACE_WINDOW_HOURS) + chrono::Duration::seconds(1);
        match looked_up(&a, Lookup::Unanswered, Err(not_offered())) {
            Next::Done(Decision::FlagForLink { detail, give_up }) => {
                assert!(give_up);
                assert!(detail.contains("over 12 hours ago"));
            }
            other => panic!("expected a flag, got {other:?}"),
        }
    }

    #[test]
    fn a_duplicate_is_looked_up_and_linked_or_flagged() {
        let a = attempt(SupplierOrderStatus::AwaitingPlacement);
        let duplicate = Ok(Placement::Rejected(RejectReason::DuplicateReference));
        assert_eq!(
            placed(&a, duplicate),
            Next::Call(Call::Lookup(Lookup::Duplicate))
        );
        let found = recorded(looked_up(
            &a,
            Lookup::Duplicate,
            Ok(Some(remote(SupplierOrderStatus::AwaitingShipment))),
        ));
        assert!(found.bought);
        assert_eq!(
            found.detail.as_deref(),
            Some("an earlier attempt had gone through")
        );
        for answer in [Ok(None), Err(not_offered())] {
            match looked_up(&a, Lookup::Duplicate, answer) {
                Next::Done(Decision::FlagForLink { detail, give_up }) => {
                    assert!(!give_up);
                    assert!(detail.contains("find reference att-1"));
                }
                other => panic!("expected a flag, got {other:?}"),
            }
        }
        assert_eq!(
            looked_up(&a, Lookup::Duplicate, Err(SupplierError::Timeout)),
            Next::Done(Decision::Failed(SupplierError::Timeout))
        );
    }

    #[test]
    fn refusals_have_their_own_ways_out() {
        let a = attempt(SupplierOrderStatus::AwaitingPlacement);
        let price = placed(
            &a,
            Ok(Placement::Rejected(RejectReason::PriceChanged {
                supplier_sku_id: "sku-1".into(),
                unit_cost: Money::new(1400, Currency::from_code("USD").unwrap()),
            })),
        );
        match price {
            Next::Done(Decision::Refused(Refusal::PriceIncreased { detail })) => {
                assert!(detail.starts_with("price increased: aliexpress sku-1 now costs"));
                assert!(detail.contains("(mapped at 1250 USD)"));
            }
            other => panic!("expected a price hold, got {other:?}"),
        }
        let stock = placed(
            &a,
            Ok(Placement::Rejected(RejectReason::OutOfStock {
                supplier_sku_id: "sku-1".into(),
            })),
        );
        assert_eq!(
            stock,
            Next::Done(Decision::Refused(Refusal::OutOfStock {
                detail: "out of stock at aliexpress:default: sku-1; routing again to a backup \
                         offer"
                    .into()
            }))
        );
        match placed(
            &a,
            Ok(Placement::Rejected(RejectReason::AddressRefused {
                detail: "no such street".into(),
            })),
        ) {
            Next::Done(Decision::Refused(Refusal::Rejected { detail })) => {
                assert!(detail.contains("no such street"));
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn a_placed_purchase_is_bought_and_no_answer_retries() {
        let a = attempt(SupplierOrderStatus::AwaitingPlacement);
        let outcome = recorded(placed(
            &a,
            Ok(Placement::Placed(remote(
                SupplierOrderStatus::AwaitingPayment,
            ))),
        ));
        assert!(outcome.bought);
        assert_eq!(outcome.detail, None);
        assert_eq!(
            placed(&a, Err(SupplierError::Timeout)),
            Next::Done(Decision::Failed(SupplierError::Timeout))
        );
    }

    fn bought(status: SupplierOrderStatus, detail: Option<&str>) -> Outcome {
        Outcome {
            detail: detail.map(Into::into),
            ..Outcome::bought(remote(status), None)
        }
    }

    #[test]
    fn a_purchase_placed_while_the_order_stopped_is_let_go_unpaid() {
        let settled = settle(
            bought(SupplierOrderStatus::AwaitingPayment, None),
            true,
            false,
        );
        assert_eq!(settled.outcome.status, SupplierOrderStatus::Cancelled);
        assert!(!settled.reserve);
        assert!(!settled.charged_after_cancel);
        let written = settled.written(None, true);
        assert!(!written.pay);
        assert!(written.last_error.unwrap().contains("left unpaid to lapse"));
    }

    #[test]
    fn a_purchase_placed_unpaid_at_a_supplier_that_charges_by_itself_is_kept_and_flagged() {
        let settled = settle(
            bought(SupplierOrderStatus::AwaitingPayment, None),
            true,
            true,
        );
        assert_eq!(settled.outcome.status, SupplierOrderStatus::AwaitingPayment);
        assert!(settled.reserve && settled.unpaid_after_cancel);
        assert!(!settled.charged_after_cancel);
        assert!(!settled.written(None, true).pay);
        let live = settle(
            bought(SupplierOrderStatus::AwaitingPayment, None),
            false,
            true,
        );
        assert!(!live.unpaid_after_cancel && live.written(None, true).pay);
    }

    #[test]
    fn a_purchase_charged_while_the_order_stopped_is_flagged() {
        let settled = settle(
            bought(SupplierOrderStatus::AwaitingShipment, None),
            true,
            false,
        );
        assert_eq!(
            settled.outcome.status,
            SupplierOrderStatus::AwaitingShipment
        );
        assert!(settled.reserve);
        assert!(settled.charged_after_cancel);
    }

    #[test]
    fn a_stopped_order_is_never_handed_to_its_vendor() {
        let handed = Outcome::status(
            SupplierOrderStatus::AwaitingShipment,
            Some("handed to the vendor".into()),
        );
        let settled = settle(handed.clone(), true, false);
        assert_eq!(settled.outcome.status, SupplierOrderStatus::Cancelled);
        assert!(settled
            .outcome
            .detail
            .unwrap()
            .contains("not handed to the vendor"));
        assert!(!settled.reserve && !settled.charged_after_cancel);
        let live = settle(handed.clone(), false, false);
        assert_eq!(live.outcome, handed);
        let written = live.written(Some("short"), true);
        assert!(!written.capture && !written.pay);
        assert_eq!(written.payment_failed, None);
    }

    #[test]
    fn a_decision_is_written_only_where_it_was_made_from() {
        use SupplierOrderStatus::*;
        assert_eq!(expected_at_write(AwaitingPlacement, true), PlacementUnknown);
        assert_eq!(
            expected_at_write(AwaitingPlacement, false),
            AwaitingPlacement
        );
        assert_eq!(expected_at_write(PlacementUnknown, true), PlacementUnknown);
        let charged = bought(AwaitingShipment, None);
        let words = stale_but_charged(&charged, Cancelled, "aliexpress:default").unwrap();
        assert!(words.contains("order 9001"), "{words}");
        assert_eq!(stale_but_charged(&charged, AwaitingShipment, "a"), None);
        assert_eq!(
            stale_but_charged(&bought(AwaitingPayment, None), Cancelled, "a"),
            None
        );
        let handed = Outcome::status(AwaitingShipment, None);
        assert_eq!(stale_but_charged(&handed, Cancelled, "a"), None);
    }

    #[test]
    fn a_stopped_order_leaves_a_cancelled_outcome_as_it_is() {
        let cancelled = Outcome::status(SupplierOrderStatus::Cancelled, None);
        let settled = settle(cancelled.clone(), true, false);
        assert_eq!(settled.outcome, cancelled);
        assert!(!settled.reserve && !settled.charged_after_cancel);
    }

    #[test]
    fn a_purchase_found_shipped_after_the_order_stopped_is_flagged_too() {
        for status in [SupplierOrderStatus::Shipped, SupplierOrderStatus::Delivered] {
            let settled = settle(bought(status, None), true, false);
            assert_eq!(settled.outcome.status, status);
            assert!(settled.charged_after_cancel, "{status:?}");
        }
    }

    #[test]
    fn a_placed_purchase_is_reserved_and_paid_with_auto_pay() {
        let settled = settle(
            bought(SupplierOrderStatus::AwaitingPayment, None),
            false,
            false,
        );
        assert!(settled.reserve);
        let written = settled.written(None, true);
        assert!(written.pay && !written.capture);
        assert_eq!(written.last_error, None);
        assert!(!settled.written(None, false).pay);
    }

    #[test]
    fn a_short_wallet_fails_the_payment_and_queues_nothing() {
        let settled = settle(
            bought(SupplierOrderStatus::AwaitingPayment, None),
            false,
            false,
        );
        let written = settled.written(Some("short by 3.00 USD"), true);
        assert!(!written.pay);
        let failed = Some("payment failed: short by 3.00 USD".to_string());
        assert_eq!(written.note, failed);
        assert_eq!(written.last_error, failed);
        assert_eq!(written.payment_failed, failed);
    }

    #[test]
    fn a_purchase_the_supplier_reports_rejected_keeps_its_own_reason() {
        let settled = settle(
            bought(SupplierOrderStatus::Rejected, Some("refused")),
            false,
            false,
        );
        let written = settled.written(Some("short"), true);
        assert_eq!(written.note.as_deref(), Some("payment failed: short"));
        assert_eq!(written.last_error.as_deref(), Some("refused"));
        assert_eq!(written.payment_failed, None);
        assert!(!written.pay && !written.capture);
    }

    #[test]
    fn a_purchase_paid_with_the_order_is_captured_unless_noted() {
        let paid = settle(
            bought(SupplierOrderStatus::AwaitingShipment, None),
            false,
            false,
        );
        assert!(paid.written(None, false).capture);
        assert!(!paid.written(Some("short"), false).capture);
        let found = settle(
            bought(SupplierOrderStatus::AwaitingShipment, Some("found")),
            false,
            false,
        );
        assert!(!found.written(None, false).capture);
        assert_eq!(found.written(None, false).note.as_deref(), Some("found"));
    }
}
