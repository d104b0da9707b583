use super::{each, view};
use crate::storage::ledger;
use chrono::{DateTime, Utc};

view! {
    /// One ledger transaction as the API shows it.
    pub struct Entry from ledger::Entry {
        /// Increasing; pass it as `before` to page back.
        id: i64,
        /// top_up, reserve, capture, release or refund; a manual vendor's vendor_earning,
        /// vendor_mature, vendor_charge or vendor_payout.
        kind: String,
        currency: String,
        /// The supplier order (attempt) it is about.
        reference: Option<String>,
        created_at: DateTime<Utc>,
        /// Signed amounts that sum to zero.
        postings: Vec<EntryPosting> => each,
    }
}

view! {
    pub struct EntryPosting from ledger::EntryPosting {
        /// available, reserved, spent or external; a vendor's
        /// `vendor:<handle>:pending|available|paid|cost`.
        account: String,
        /// Signed decimal string in the entry's currency, e.g. "-12.50".
        amount: String,
    }
}
