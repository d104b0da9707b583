use serde::{Deserialize, Serialize};

/// When a store lets dropflow buy from suppliers: once the customer's money is captured
/// (`paid`, the default), or already when it is only authorized. A store setting
/// (`buy_when_authorized`), copied onto each order by its store snapshots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapturePolicy {
    /// Buy only when the store has captured the money.
    #[default]
    BuyWhenPaid,
    /// Buy on an authorization too (the merchant takes the risk of it being voided).
    BuyWhenAuthorized,
}

impl CapturePolicy {
    /// The policy a store's `buy_when_authorized` setting stands for.
    pub fn from_setting(buy_when_authorized: bool) -> CapturePolicy {
        if buy_when_authorized {
            CapturePolicy::BuyWhenAuthorized
        } else {
            CapturePolicy::BuyWhenPaid
        }
    }
}

/// What the customer has paid the store, in Shopify's `financial_status` vocabulary (WooCommerce
/// statuses are mapped onto it by its transformer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Authorized,
    PartiallyPaid,
    Paid,
    PartiallyRefunded,
    Refunded,
    Voided,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 7] = [
        PaymentStatus::Pending,
        PaymentStatus::Authorized,
        PaymentStatus::PartiallyPaid,
        PaymentStatus::Paid,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
        PaymentStatus::Voided,
    ];

    /// Whether the store holds the customer's money, so buying from a supplier is safe. An
    /// authorization is only a promise the store may still fail to capture (it can be voided
    /// or lapse), so it counts only when the store's `policy` says to buy on it.
    pub fn covers_purchase(self, policy: CapturePolicy) -> bool {
        match self {
            PaymentStatus::Paid | PaymentStatus::PartiallyRefunded => true,
            PaymentStatus::Authorized => policy == CapturePolicy::BuyWhenAuthorized,
            PaymentStatus::Pending
            | PaymentStatus::PartiallyPaid
            | PaymentStatus::Refunded
            | PaymentStatus::Voided => false,
        }
    }

    /// Whether the money went back (or never came): the order must not be bought.
    pub fn is_reversed(self) -> bool {
        match self {
            PaymentStatus::Refunded | PaymentStatus::Voided => true,
            PaymentStatus::Pending
            | PaymentStatus::Authorized
            | PaymentStatus::PartiallyPaid
            | PaymentStatus::Paid
            | PaymentStatus::PartiallyRefunded => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::PartiallyPaid => "partially_paid",
            PaymentStatus::Paid => "paid",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Voided => "voided",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authorization_covers_a_purchase_only_when_the_store_buys_on_it() {
        assert!(!PaymentStatus::Authorized.covers_purchase(CapturePolicy::BuyWhenPaid));
        assert!(PaymentStatus::Authorized.covers_purchase(CapturePolicy::BuyWhenAuthorized));
        for policy in [CapturePolicy::BuyWhenPaid, CapturePolicy::BuyWhenAuthorized] {
            assert!(PaymentStatus::Paid.covers_purchase(policy));
            assert!(PaymentStatus::PartiallyRefunded.covers_purchase(policy));
            for status in [
                PaymentStatus::Pending,
                PaymentStatus::PartiallyPaid,
                PaymentStatus::Refunded,
                PaymentStatus::Voided,
            ] {
                assert!(!status.covers_purchase(policy), "{status:?}");
            }
        }
        assert_eq!(CapturePolicy::default(), CapturePolicy::BuyWhenPaid);
    }
}
