//! A wallet top-up paid by card through a payment provider (Stripe Checkout): what we asked
//! the provider to charge, written before it was asked, and what its payment notice says was
//! paid. [`settle`] decides what a notice does to the top-up: credit the wallet with OUR
//! amount, or nothing. Pure: storage reads the top-up under a lock, asks here, writes once.
//!
//! The rules:
//! - the amount credited is the one we stored, never the notice's: the notice only confirms
//!   it, and a notice whose total or currency differs is refused (flagged for a person), never
//!   credited blind;
//! - a top-up is settled once (paid or refused); any later notice (a retry, a duplicate
//!   delivery, another event for the same payment) changes nothing;
//! - a notice of a payment not yet made (`payment_status` other than `paid`: a bank debit
//!   still on its way) changes nothing either; the provider sends another when it is paid.

use crate::money::Money;
use crate::reference::currency::Currency;

/// Where a card top-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Written; the provider is being asked for a payment page (or its answer was lost).
    Creating,
    /// The provider made the payment page; the merchant may pay.
    Open,
    /// The provider refused to make the page, the page expired unpaid, or its payment
    /// failed: nothing will be paid.
    Failed,
    /// Paid and credited to the wallet (once).
    Paid,
    /// A payment notice disagreed with what we asked for: not credited, a person looks.
    Refused,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Creating,
        Status::Open,
        Status::Failed,
        Status::Paid,
        Status::Refused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Open => "open",
            Status::Failed => "failed",
            Status::Paid => "paid",
            Status::Refused => "refused",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a payment notice may still settle it.
    pub fn awaits_payment(self) -> bool {
        matches!(self, Status::Creating | Status::Open)
    }
}

/// What the provider's notice says of the payment, as it said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Whether the money is in (`payment_status == "paid"`).
    pub paid: bool,
    /// The total charged, in the currency's minor units (`amount_total`).
    pub amount_minor: Option<i64>,
    /// The currency code as the provider wrote it (Stripe: lower case).
    pub currency: Option<String>,
}

/// What a notice does to a top-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Credit the wallet with this amount (the stored one) and mark the top-up paid.
    Credit(Money),
    /// Settled before (paid or refused) or never payable: nothing more.
    AlreadySettled(Status),
    /// Not paid yet: nothing now.
    NotPaidYet,
    /// The notice disagrees with what we asked for: refuse, say why.
    Mismatch(String),
    /// The payment page expired or its payment failed: nothing will be paid (`failed`).
    Abandoned(String),
}

/// The decision for `notice` on a top-up of `asked` that stands at `status`.
pub fn settle(status: Status, asked: Money, notice: &Notice) -> Decision {
    if !status.awaits_payment() {
        return Decision::AlreadySettled(status);
    }
    if !notice.paid {
        return Decision::NotPaidYet;
    }
    let currency = notice
        .currency
        .as_deref()
        .and_then(|code| Currency::from_code(code).ok());
    match (notice.amount_minor, currency) {
        (Some(minor), Some(currency)) if minor == asked.minor && currency == asked.currency => {
            Decision::Credit(asked)
        }
        (minor, _) => Decision::Mismatch(format!(
            "the payment notice says {} {}, the top-up asked for {asked}",
            minor.map_or_else(|| "no amount".to_string(), |m| m.to_string()),
            notice.currency.as_deref().unwrap_or("no currency"),
        )),
    }
}

/// The decision for a notice that the payment will not come (the page expired, a delayed
/// payment failed), on a top-up that stands at `status`.
pub fn abandon(status: Status, why: &str) -> Decision {
    if status.awaits_payment() {
        Decision::Abandoned(why.to_string())
    } else {
        Decision::AlreadySettled(status)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::from_code("USD").unwrap())
    }

    fn paid(minor: i64, currency: &str) -> Notice {
        Notice {
            paid: true,
            amount_minor: Some(minor),
            currency: Some(currency.into()),
        }
    }

    #[test]
    fn a_matching_paid_notice_credits_the_stored_amount() {
        for status in [Status::Creating, Status::Open] {
            assert_eq!(
                settle(status, usd(2_500), &paid(2_500, "usd")),
                Decision::Credit(usd(2_500))
            );
        }
    }

    #[test]
    fn a_settled_top_up_takes_nothing_more() {
        for status in [Status::Paid, Status::Refused, Status::Failed] {
            assert_eq!(
                settle(status, usd(2_500), &paid(2_500, "usd")),
                Decision::AlreadySettled(status)
            );
        }
    }

    #[test]
    fn an_unpaid_notice_waits() {
        let notice = Notice {
            paid: false,
            ..paid(2_500, "usd")
        };
        assert_eq!(
            settle(Status::Open, usd(2_500), &notice),
            Decision::NotPaidYet
        );
    }

    #[test]
    fn a_different_amount_or_currency_is_refused() {
        for notice in [
            paid(2_499, "usd"),
            paid(250_000, "usd"),
            paid(2_500, "eur"),
            paid(2_500, "not-a-currency"),
            Notice {
                amount_minor: None,
                ..paid(2_500, "usd")
            },
            Notice {
                currency: None,
                ..paid(2_500, "usd")
            },
        ] {
            assert!(
                matches!(
                    settle(Status::Open, usd(2_500), &notice),
                    Decision::Mismatch(_)
                ),
                "{notice:?}"
            );
        }
    }

    #[test]
    fn only_a_top_up_awaiting_payment_is_abandoned() {
        assert_eq!(
            abandon(Status::Open, "expired"),
            Decision::Abandoned("expired".into())
        );
        for status in [Status::Paid, Status::Refused, Status::Failed] {
            assert_eq!(abandon(status, "expired"), Decision::AlreadySettled(status));
        }
    }

    #[test]
    fn statuses_read_back() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("pending"), None);
    }
}
