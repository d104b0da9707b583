//! Which mails dropflow sends, and who reads each: the outbox's `kind` vocabulary, shared by
//! the mail consumer that writes rows and the storage that keeps each store's mail choices.

/// Which mail a row is (the outbox's `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// To the merchant: an order arrived.
    NewOrder,
    /// To the merchant: a supplier shipped, with the domestic tracking.
    SupplierShipped,
    /// To the merchant: paying a supplier failed (balance too low), with the amount.
    PaymentFailed,
    /// To the merchant: a person must act (hold, routing failure, store write-back failure,
    /// and the SLA flags of "needs attention").
    NeedsAttention,
    /// To the customer: shipped, with tracking number, carrier and link.
    Shipped,
    /// To the customer: delivered.
    Delivered,
    /// To the merchant: every item arrived at the warehouse and passed inspection.
    ArrivedInspected,
    /// To the merchant: repacked, with the carriers, prices and delivery times to choose from.
    ReadyToShip,
    /// To a manual vendor: an order handed to them, with their lines and the address.
    VendorOrder,
    /// To a manual vendor: an order handed to them changed or was cancelled in the store.
    VendorChange,
    /// To the customer: their after-sale request was received, with how to send the goods
    /// back when they must come back.
    CaseReceived,
    /// To the customer: a refund for their request was issued, with the amount.
    RefundIssued,
    /// To the customer: the replacement for their request is on its way.
    ReplacementShipped,
    /// To the customer: their request was declined, with the merchant's note.
    CaseDeclined,
    /// To a manual vendor: a payout was sent, with how, and what it covers.
    VendorPayout,
}

impl MailKind {
    pub const ALL: [MailKind; 15] = [
        MailKind::NewOrder,
        MailKind::SupplierShipped,
        MailKind::PaymentFailed,
        MailKind::NeedsAttention,
        MailKind::Shipped,
        MailKind::Delivered,
        MailKind::ArrivedInspected,
        MailKind::ReadyToShip,
        MailKind::VendorOrder,
        MailKind::VendorChange,
        MailKind::CaseReceived,
        MailKind::RefundIssued,
        MailKind::ReplacementShipped,
        MailKind::CaseDeclined,
        MailKind::VendorPayout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::NewOrder => "new_order",
            MailKind::SupplierShipped => "supplier_shipped",
            MailKind::PaymentFailed => "payment_failed",
            MailKind::NeedsAttention => "needs_attention",
            MailKind::Shipped => "shipped",
            MailKind::Delivered => "delivered",
            MailKind::ArrivedInspected => "arrived_inspected",
            MailKind::ReadyToShip => "ready_to_ship",
            MailKind::VendorOrder => "vendor_order",
            MailKind::VendorChange => "vendor_change",
            MailKind::CaseReceived => "case_received",
            MailKind::RefundIssued => "refund_issued",
            MailKind::ReplacementShipped => "replacement_shipped",
            MailKind::CaseDeclined => "case_declined",
            MailKind::VendorPayout => "vendor_payout",
        }
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Who reads it.
    pub fn audience(self) -> Audience {
        match self {
            MailKind::Shipped
            | MailKind::Delivered
            | MailKind::CaseReceived
            | MailKind::RefundIssued
            | MailKind::ReplacementShipped
            | MailKind::CaseDeclined => Audience::Customer,
            MailKind::VendorOrder | MailKind::VendorChange | MailKind::VendorPayout => {
                Audience::Vendor
            }
            MailKind::NewOrder
            | MailKind::SupplierShipped
            | MailKind::PaymentFailed
            | MailKind::NeedsAttention
            | MailKind::ArrivedInspected
            | MailKind::ReadyToShip => Audience::Merchant,
        }
    }

    /// Whether it goes to the customer.
    pub fn to_customer(self) -> bool {
        self.audience() == Audience::Customer
    }
}

/// Who a mail is for. Only merchant mails follow the store's mail choices: the customer's
/// follow `notify_customer`, and a vendor cannot work an order they never hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Merchant,
    Customer,
    Vendor,
}
