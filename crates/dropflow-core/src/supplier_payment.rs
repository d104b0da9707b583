//! Paying a placed supplier order from the merchant's wallet, decided without I/O. The
//! `supplier_order.pay` job reads the purchase and its order, asks [`start`] what to do,
//! reserves the cost (a short wallet records [`short_wallet`]), asks the supplier to take the
//! payment, and writes what [`answered`] says in one transaction with the order's transition.

use crate::procurement::SupplierOrderStatus;
use crate::supplier::PaymentResult;

/// What the pay job does with a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Not awaiting payment (paid, or moved on since the job was queued): nothing.
    Nothing,
    /// Cancelled since it was placed: never pay; the cancellation settles it.
    Cancel,
    /// Reserve the cost, then ask the supplier to take the payment.
    Pay,
}

/// The first step for a purchase in `status` whose order is (or is not) stopped: cancelled,
/// or its money refunded or voided, in the store.
pub fn start(status: SupplierOrderStatus, order_stopped: bool) -> Start {
    match (status, order_stopped) {
        (SupplierOrderStatus::AwaitingPayment, false) => Start::Pay,
        (SupplierOrderStatus::AwaitingPayment, true) => Start::Cancel,
        _ => Start::Nothing,
    }
}

/// What a payment came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paying {
    /// The supplier took it: the reserve is captured and the purchase awaits shipment.
    Paid,
    /// Not paid: the purchase stays awaiting payment with the reason (a top-up, or a person
    /// paying at the supplier, moves it on).
    Failed { reason: String },
}

/// The reason recorded when the wallet could not cover the cost (`why`: by how much); the
/// supplier is not asked.
pub fn short_wallet(why: &str) -> String {
    format!("payment failed: {why}")
}

/// What the supplier's answer to a payment leads to.
pub fn answered(result: PaymentResult) -> Paying {
    match result {
        PaymentResult::Paid => Paying::Paid,
        PaymentResult::InsufficientBalance => Paying::Failed {
            reason: "payment failed: insufficient balance with the supplier (top up the \
                     supplier account, then Pay)"
                .into(),
        },
        PaymentResult::Refused { detail } => Paying::Failed {
            reason: format!("payment failed: {detail}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_purchase_awaiting_payment_is_paid_and_never_for_a_cancelled_order() {
        assert_eq!(
            start(SupplierOrderStatus::AwaitingPayment, false),
            Start::Pay
        );
        assert_eq!(
            start(SupplierOrderStatus::AwaitingPayment, true),
            Start::Cancel
        );
        for status in [
            SupplierOrderStatus::AwaitingPlacement,
            SupplierOrderStatus::AwaitingShipment,
            SupplierOrderStatus::Cancelled,
        ] {
            assert_eq!(start(status, false), Start::Nothing);
            assert_eq!(start(status, true), Start::Nothing);
        }
    }

    #[test]
    fn every_failure_says_payment_failed_and_why() {
        assert_eq!(answered(PaymentResult::Paid), Paying::Paid);
        let Paying::Failed { reason } = answered(PaymentResult::InsufficientBalance) else {
            panic!("a low supplier balance is not paid");
        };
        assert!(reason.starts_with("payment failed: insufficient balance with the supplier"));
        assert_eq!(
            answered(PaymentResult::Refused {
                detail: "needs a person".into()
            }),
            Paying::Failed {
                reason: "payment failed: needs a person".into()
            }
        );
        assert_eq!(
            short_wallet("short by 3.00 USD"),
            "payment failed: short by 3.00 USD"
        );
    }
}
