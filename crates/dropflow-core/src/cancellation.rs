//! What letting go of one purchase means, by the stage it reached and what its supplier
//! answers. Pure: the cancel jobs read the purchase, ask [`plan`] whether the supplier is to
//! be asked, ask it, hand the answer to [`settle`], and write what comes back in one
//! transaction.
//!
//! By stage:
//! - not placed → cancelled here, any reserve released (never bought);
//! - placed, unpaid → the supplier is asked to cancel where its API can (CJ `deleteOrder`
//!   before confirmation, 1688 `alibaba.trade.cancel`); whatever it says, it is cancelled
//!   here and never paid from here (a refusal is flagged with the supplier's words, since
//!   someone could still pay it at the supplier);
//! - paid, not shipped → the supplier is asked where its API has a way (1688: a refund
//!   request before the seller ships); cancelled at the supplier, the captured money comes
//!   back to the wallet; asked, refused, or not offered → a flag says what happened and what
//!   a person does next;
//! - handed to a manual vendor, not shipped → cancelled here (the vendor can no longer ship
//!   it), the vendor told, and a flag asks the merchant to confirm with them;
//! - shipped → a flag: decide on a return or a refund.
//!
//! Purchases of the warehouse leg (the 1688-style marketplace) are refunded to the wallet by
//! the warehouse's refund rules; here they are only cancelled at the supplier.

use crate::procurement::SupplierOrderStatus;
use crate::supplier::{CancelAnswer, SupplierKind};

/// One purchase being let go, as the decision needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    /// `cj:default`, as the timeline shows it.
    pub label: String,
    pub kind: Option<SupplierKind>,
    pub status: SupplierOrderStatus,
    /// The supplier's order number, once placed.
    pub external_id: Option<String>,
    /// Whether this process can talk to the supplier (its connector is configured).
    pub connected: bool,
    /// The supplier takes payment for a placed order by itself, not through a pay call of
    /// ours (AliExpress `try_to_pay` charges the account at creation; its buyer centre). An
    /// unpaid order there does not simply lapse: it may be charged after we let it go.
    pub charges_by_itself: bool,
}

impl Purchase {
    fn warehouse(&self) -> bool {
        self.kind == Some(SupplierKind::Marketplace)
    }

    /// " (their order 123)", or nothing before placement.
    fn their_order(&self) -> String {
        self.external_id
            .as_deref()
            .map(|e| format!(" (their order {e})"))
            .unwrap_or_default()
    }

    fn askable(&self) -> bool {
        self.connected && self.external_id.is_some() && self.kind != Some(SupplierKind::Manual)
    }
}

/// The kinds of flag a cancellation raises (`order_flags.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelFlag {
    /// Bought at a supplier: cancelling it there is for a person to follow (asked, refused,
    /// or not possible through its API).
    CancelWithSupplier,
    /// A manual vendor was told not to ship: the merchant confirms they have not.
    AfterHandover,
    /// Shipped: a return or refund decision.
    AfterShipment,
}

impl CancelFlag {
    pub fn as_str(self) -> &'static str {
        match self {
            CancelFlag::CancelWithSupplier => "cancel_with_supplier",
            CancelFlag::AfterHandover => "cancelled_after_handover",
            CancelFlag::AfterShipment => "cancelled_after_shipment",
        }
    }
}

/// What to do before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Ask the supplier to cancel its order, then [`settle`] its answer.
    AskSupplier,
    /// Write this without asking anyone.
    Write(Settlement),
    /// Nothing to do: finished, or an attempt in doubt (the placer settles it, never buying).
    Leave,
}

/// What happens to the wallet's hold on the purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Money {
    /// Nothing moves.
    Keep,
    /// The reserve goes back (nothing was paid).
    Release,
    /// What was captured comes back (the supplier cancelled a paid order).
    Refund,
}

/// What is written for one purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// Cancelled here (`true`), or left as it stands.
    pub cancel: bool,
    pub money: Money,
    /// For the timeline and the purchase's last error when it is cancelled.
    pub note: String,
    /// A flag a person settles.
    pub flag: Option<(CancelFlag, String)>,
}

impl Settlement {
    fn cancelled(money: Money, note: String) -> Settlement {
        Settlement {
            cancel: true,
            money,
            note,
            flag: None,
        }
    }

    fn flagged(kind: CancelFlag, detail: String) -> Settlement {
        Settlement {
            cancel: false,
            money: Money::Keep,
            note: detail.clone(),
            flag: Some((kind, detail)),
        }
    }

    fn with_flag(mut self, kind: CancelFlag, detail: String) -> Settlement {
        self.flag = Some((kind, detail));
        self
    }
}

/// What to do with `purchase`, let go because the order was `why` ("cancelled in the
/// store", "refunded in the store", "edited in the store: its lines were removed").
pub fn plan(purchase: &Purchase, why: &str) -> Plan {
    use SupplierOrderStatus as S;
    let label = &purchase.label;
    let theirs = purchase.their_order();
    match purchase.status {
        S::AwaitingPlacement => Plan::Write(Settlement::cancelled(
            Money::Release,
            format!("the order was {why}"),
        )),
        S::PlacementUnknown | S::Rejected | S::Cancelled => Plan::Leave,
        S::AwaitingPayment if purchase.askable() => Plan::AskSupplier,
        S::AwaitingPayment => Plan::Write(Settlement::cancelled(
            Money::Release,
            format!("the order was {why}; left unpaid to lapse at the supplier"),
        )),
        S::AwaitingShipment if purchase.kind == Some(SupplierKind::Manual) => {
            let note = format!("the order was {why}: the vendor was told not to ship it");
            Plan::Write(Settlement::cancelled(Money::Release, note).with_flag(
                CancelFlag::AfterHandover,
                format!(
                    "{why} after it was handed to {label}: they were told not to ship it; \
                         confirm they have not"
                ),
            ))
        }
        S::AwaitingShipment if purchase.askable() => Plan::AskSupplier,
        S::AwaitingShipment => Plan::Write(Settlement::flagged(
            CancelFlag::CancelWithSupplier,
            format!(
                "{why} after {label} was paid{theirs}, and {label} cannot be asked from here: \
                 ask them to cancel it before it ships, then record the refund"
            ),
        )),
        // The warehouse receives, inspects and refunds by its rules: nothing for a person
        // here.
        S::Shipped | S::Delivered if purchase.warehouse() => Plan::Leave,
        S::Shipped | S::Delivered => Plan::Write(Settlement::flagged(
            CancelFlag::AfterShipment,
            format!("{why} after {label} shipped it{theirs}: decide on a return or a refund"),
        )),
    }
}

/// What the supplier's `answer` means for `purchase` (one [`plan`] said to ask about).
pub fn settle(purchase: &Purchase, why: &str, answer: &CancelAnswer) -> Settlement {
    let label = &purchase.label;
    let theirs = purchase.their_order();
    let paid = purchase.status == SupplierOrderStatus::AwaitingShipment;
    if !paid {
        // Unpaid: nothing is paid from here whatever the supplier says.
        let note = match answer {
            CancelAnswer::Cancelled => format!("cancelled at {label}{theirs}: the order was {why}"),
            CancelAnswer::Requested { reference } => format!(
                "the order was {why}; {label} was asked to cancel it ({reference}) and it is \
                 never paid from here"
            ),
            CancelAnswer::Refused { .. } | CancelAnswer::NotOffered { .. } => {
                format!("the order was {why}; left unpaid at {label}{theirs}, never paid from here")
            }
        };
        if purchase.charges_by_itself && !matches!(answer, CancelAnswer::Cancelled) {
            // Still open there and charged without us: kept and followed (its reserve
            // held), so a payment or a cancellation the supplier reports settles it.
            return Settlement::flagged(
                CancelFlag::CancelWithSupplier,
                format!(
                    "{why} while {label} had it unpaid{theirs}, and {label} takes payment by \
                     itself: cancel it in {label}'s buyer centre before it is paid. dropflow \
                     follows the order and settles this when {label} reports it cancelled"
                ),
            );
        }
        let settlement = Settlement::cancelled(Money::Release, note);
        return match answer {
            CancelAnswer::Refused { detail } => settlement.with_flag(
                CancelFlag::CancelWithSupplier,
                format!(
                    "{why}: {label} refused to cancel its unpaid order{theirs}: “{detail}”. \
                     Nothing pays it from here; cancel it in {label}'s own dashboard so nobody \
                     pays it there"
                ),
            ),
            CancelAnswer::Cancelled
            | CancelAnswer::Requested { .. }
            | CancelAnswer::NotOffered { .. } => settlement,
        };
    }
    match answer {
        CancelAnswer::Cancelled => {
            let (money, back) = if purchase.warehouse() {
                (
                    Money::Keep,
                    "; the wallet is refunded by the warehouse's refund rules",
                )
            } else {
                (Money::Refund, "; what was paid is back in the wallet")
            };
            Settlement::cancelled(
                money,
                format!("cancelled at {label}{theirs}: the order was {why}{back}"),
            )
        }
        CancelAnswer::Requested { reference } => Settlement::flagged(
            CancelFlag::CancelWithSupplier,
            format!(
                "{why} after {label} was paid{theirs}: asked {label} to cancel it (request \
                 {reference}); they decide before it ships. dropflow follows the order and \
                 settles this when they cancel; if it ships, decide on a return"
            ),
        ),
        CancelAnswer::Refused { detail } => Settlement::flagged(
            CancelFlag::CancelWithSupplier,
            format!(
                "{why} after {label} was paid{theirs}: {label} refused to cancel it: \
                 “{detail}”. Ask them directly, or decide on a return when it arrives"
            ),
        ),
        CancelAnswer::NotOffered { how } => Settlement::flagged(
            CancelFlag::CancelWithSupplier,
            format!("{why} after {label} was paid{theirs}: {how}"),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use SupplierOrderStatus as S;

    fn purchase(kind: SupplierKind, status: S) -> Purchase {
        Purchase {
            label: format!("{}:default", kind.as_str()),
            kind: Some(kind),
            status,
            external_id: Some("2407".into()),
            connected: true,
            charges_by_itself: kind == SupplierKind::Aliexpress,
        }
    }

    const WHY: &str = "cancelled in the store";

    #[test]
    fn nothing_bought_is_cancelled_here_and_released() {
        let Plan::Write(s) = plan(&purchase(SupplierKind::Cj, S::AwaitingPlacement), WHY) else {
            panic!("expected a write");
        };
        assert!(s.cancel && s.money == Money::Release && s.flag.is_none());
    }

    #[test]
    fn placed_and_paid_purchases_at_a_connected_supplier_are_asked() {
        for status in [S::AwaitingPayment, S::AwaitingShipment] {
            assert_eq!(
                plan(&purchase(SupplierKind::Cj, status), WHY),
                Plan::AskSupplier
            );
            assert_eq!(
                plan(&purchase(SupplierKind::Marketplace, status), WHY),
                Plan::AskSupplier
            );
        }
        let mut offline = purchase(SupplierKind::Cj, S::AwaitingShipment);
        offline.connected = false;
        let Plan::Write(s) = plan(&offline, WHY) else {
            panic!("expected a flag");
        };
        assert!(!s.cancel);
        assert_eq!(s.flag.unwrap().0, CancelFlag::CancelWithSupplier);
    }

    #[test]
    fn a_vendor_is_stopped_and_attempts_in_doubt_left_to_the_placer() {
        let Plan::Write(s) = plan(&purchase(SupplierKind::Manual, S::AwaitingShipment), WHY) else {
            panic!("expected a write");
        };
        assert!(s.cancel);
        assert!(s.flag.unwrap().1.contains("confirm they have not"));
        assert_eq!(
            plan(&purchase(SupplierKind::Cj, S::PlacementUnknown), WHY),
            Plan::Leave
        );
        assert_eq!(
            plan(&purchase(SupplierKind::Marketplace, S::Shipped), WHY),
            Plan::Leave
        );
        let Plan::Write(s) = plan(&purchase(SupplierKind::Aliexpress, S::Shipped), WHY) else {
            panic!("expected a flag");
        };
        assert_eq!(s.flag.unwrap().0, CancelFlag::AfterShipment);
    }

    #[test]
    fn a_paid_purchase_cancelled_at_the_supplier_is_refunded_except_in_the_warehouse() {
        let s = settle(
            &purchase(SupplierKind::Cj, S::AwaitingShipment),
            WHY,
            &CancelAnswer::Cancelled,
        );
        assert!(s.cancel && s.money == Money::Refund && s.flag.is_none());
        let s = settle(
            &purchase(SupplierKind::Marketplace, S::AwaitingShipment),
            WHY,
            &CancelAnswer::Cancelled,
        );
        assert!(s.cancel && s.money == Money::Keep);
    }

    #[test]
    fn a_refusal_is_flagged_with_the_suppliers_words() {
        let answer = CancelAnswer::Refused {
            detail: "ORDER_STATUS_ERROR: 订单状态错误".into(),
        };
        let paid = settle(
            &purchase(SupplierKind::Marketplace, S::AwaitingShipment),
            WHY,
            &answer,
        );
        assert!(!paid.cancel);
        let (kind, detail) = paid.flag.unwrap();
        assert_eq!(kind, CancelFlag::CancelWithSupplier);
        assert!(detail.contains("ORDER_STATUS_ERROR"), "{detail}");
        // Unpaid: let go here all the same, and flagged so nobody pays it there.
        let unpaid = settle(
            &purchase(SupplierKind::Cj, S::AwaitingPayment),
            WHY,
            &answer,
        );
        assert!(unpaid.cancel && unpaid.money == Money::Release);
        assert!(unpaid
            .flag
            .unwrap()
            .1
            .contains("refused to cancel its unpaid order"));
    }

    #[test]
    fn a_request_or_no_api_leaves_the_purchase_and_says_what_next() {
        let requested = settle(
            &purchase(SupplierKind::Marketplace, S::AwaitingShipment),
            WHY,
            &CancelAnswer::Requested {
                reference: "TQ1".into(),
            },
        );
        assert!(!requested.cancel);
        assert!(requested.flag.unwrap().1.contains("request TQ1"));
        let not_offered = settle(
            &purchase(SupplierKind::Aliexpress, S::AwaitingShipment),
            WHY,
            &CancelAnswer::NotOffered {
                how: "ask the seller before it ships".into(),
            },
        );
        assert!(not_offered
            .flag
            .unwrap()
            .1
            .ends_with("ask the seller before it ships"));
        // Unpaid at a supplier paid only through our call, and no API: it lapses.
        let mut paid_by_us = purchase(SupplierKind::Aliexpress, S::AwaitingPayment);
        paid_by_us.charges_by_itself = false;
        let lapses = settle(
            &paid_by_us,
            WHY,
            &CancelAnswer::NotOffered { how: "-".into() },
        );
        assert!(lapses.cancel && lapses.flag.is_none());
        // One that charges by itself (AliExpress `try_to_pay`) may still take the money:
        // kept, followed, and a person told to cancel it there.
        let charges = purchase(SupplierKind::Aliexpress, S::AwaitingPayment);
        let kept = settle(&charges, WHY, &CancelAnswer::NotOffered { how: "-".into() });
        assert!(!kept.cancel && kept.money == Money::Keep);
        let (kind, words) = kept.flag.unwrap();
        assert_eq!(kind, CancelFlag::CancelWithSupplier);
        assert!(words.contains("takes payment by itself"), "{words}");
        // Cancelled there: nothing left to be charged.
        let gone = settle(&charges, WHY, &CancelAnswer::Cancelled);
        assert!(gone.cancel && gone.flag.is_none());
    }
}
