use serde::{Deserialize, Serialize};

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

    /// Whether the store holds (or is guaranteed) the customer's money, so buying from a
    /// supplier is safe. An authorization is a guarantee the store captures at fulfilment.
    pub fn covers_purchase(self) -> bool {
        match self {
            PaymentStatus::Authorized | PaymentStatus::Paid | PaymentStatus::PartiallyRefunded => {
                true
            }
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
