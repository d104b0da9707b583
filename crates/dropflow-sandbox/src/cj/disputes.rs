//! A sandbox dispute (CJ's after-sale claim on an order's goods) and how it reads.
//!
//! Wire shapes from CJ's dispute page, "7 Dispute"
//! (https://developers.cjdropshipping.com/en/api/api2/api/dispute.html; our notes:
//! `docs/protocols/after-sale.md` §4). What that page leaves out, the sandbox chooses, and says
//! so here:
//! - the `status` strings (not documented): `Processing` while open, `Completed` once decided,
//!   the decision itself in the documented `finallyDeal` (1 refund, 2 reissue, 3 reject). A
//!   third-party client stores "Processing" right after creating (after-sale.md §4);
//! - the dispute id: `SH` + date + sequence, the shape of an id CJ gave a third party
//!   ("SH2609092134331295100", after-sale.md §4 sources);
//! - the reason list (dynamic per order at CJ; no static list is published): one reason for an
//!   order not yet shipped ("Unfulfilled Order Cancellation", the name in a third party's copy
//!   of CJ's confirm example), goods reasons once it has shipped;
//! - `productInfoList[].price` in `create` is read as the amount asked for that line (not a
//!   unit price): the page's table does not say, and its example has quantity 1.
//!
//! Like orders, a dispute's state is *derived* from sandbox time: it is decided
//! `decided_after` after creation; the balance is credited once, when the shared state next
//! looks (`state::disputes`).

use super::orders::{cj_date, usd};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{json, Value};

/// How a dispute will end (fixed at creation by the sandbox's switch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Refund,
    Reject,
}

/// Where a refund goes (`refundType`: 1 balance, 2 platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundTo {
    Balance,
    Platform,
}

/// One disputed line: the order line, how many units and the amount asked for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeLine {
    pub line_item_id: String,
    pub vid: String,
    pub quantity: u32,
    pub cents: i64,
}

/// One dispute as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    pub id: String,
    pub business_dispute_id: String,
    pub order_id: String,
    pub reason_id: i64,
    pub reason_name: String,
    pub message_text: String,
    pub lines: Vec<DisputeLine>,
    pub refund_to: RefundTo,
    pub outcome: Outcome,
    pub created_at: DateTime<Utc>,
    pub decided_at: DateTime<Utc>,
    /// Whether the decision has been carried out (balance credited).
    pub settled: bool,
}

/// A dispute as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeSnapshot {
    pub id: String,
    pub business_dispute_id: String,
    pub order_id: String,
    pub reason_id: i64,
    pub reason_name: String,
    /// `(vid, quantity, cents asked)` per line.
    pub lines: Vec<(String, u32, i64)>,
    pub asked_cents: i64,
    /// `Processing`, or `Completed` once decided.
    pub status: String,
    /// CJ's `finallyDeal` once decided: 1 refund, 3 reject.
    pub finally_deal: Option<u8>,
}

impl Dispute {
    pub fn asked_cents(&self) -> i64 {
        self.lines.iter().map(|l| l.cents).sum()
    }

    pub fn decided(&self, now: DateTime<Utc>) -> bool {
        now >= self.decided_at
    }

    /// Units of `line_item_id` this dispute holds or has taken: open disputes hold them,
    /// refunded ones have used them up, rejected ones give them back.
    pub fn units_on(&self, line_item_id: &str, now: DateTime<Utc>) -> u32 {
        if self.decided(now) && self.outcome == Outcome::Reject {
            return 0;
        }
        self.lines
            .iter()
            .filter(|l| l.line_item_id == line_item_id)
            .map(|l| l.quantity)
            .sum()
    }

    /// What it takes out of the order's refundable amount (open or refunded).
    pub fn holds_cents(&self, now: DateTime<Utc>) -> i64 {
        if self.decided(now) && self.outcome == Outcome::Reject {
            0
        } else {
            self.asked_cents()
        }
    }

    fn finally_deal(&self, now: DateTime<Utc>) -> Option<u8> {
        self.decided(now).then_some(match self.outcome {
            Outcome::Refund => 1,
            Outcome::Reject => 3,
        })
    }

    fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.decided(now) {
            "Completed"
        } else {
            "Processing"
        }
    }

    /// One entry of getDisputeList's `list`, with the documented fields only (no
    /// `businessDisputeId`: the page does not list it).
    pub fn entry(&self, now: DateTime<Utc>, image: &str, names: &dyn Fn(&str) -> String) -> Value {
        let deal = self.finally_deal(now);
        let money = match deal {
            Some(1) => usd(self.asked_cents()),
            Some(_) => usd(0),
            None => Value::Null,
        };
        json!({
            "id": self.id,
            "status": self.status(now),
            "disputeReason": self.reason_name,
            "replacementAmount": usd(0),
            "resendOrderCode": Value::Null,
            "money": money,
            "finallyDeal": deal,
            "createDate": cj_date(self.created_at),
            "productList": self.lines.iter().map(|l| json!({
                "image": image,
                "price": usd(l.cents),
                "lineItemId": l.line_item_id,
                "cjProductId": names(&l.vid),
                "cjVariantId": l.vid,
                "productName": "Sandbox product",
                "supplierName": "CJ sandbox",
            })).collect::<Vec<_>>(),
        })
    }

    pub fn snapshot(&self, now: DateTime<Utc>) -> DisputeSnapshot {
        DisputeSnapshot {
            id: self.id.clone(),
            business_dispute_id: self.business_dispute_id.clone(),
            order_id: self.order_id.clone(),
            reason_id: self.reason_id,
            reason_name: self.reason_name.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| (l.vid.clone(), l.quantity, l.cents))
                .collect(),
            asked_cents: self.asked_cents(),
            status: self.status(now).to_string(),
            finally_deal: self.finally_deal(now),
        }
    }
}

/// The reasons offered for an order: before shipping only a cancellation, afterwards the goods
/// reasons (ids and names are the sandbox's; see the module doc).
pub fn reasons(shipped: bool) -> &'static [(i64, &'static str)] {
    const UNSHIPPED: &[(i64, &str)] = &[(1, "Unfulfilled Order Cancellation")];
    const SHIPPED: &[(i64, &str)] = &[
        (2, "Products Damaged"),
        (3, "Wrong Products Received"),
        (4, "Products Not As Described"),
        (5, "Package Not Received"),
        (6, "Others"),
    ];
    if shipped {
        SHIPPED
    } else {
        UNSHIPPED
    }
}

/// The line item id of an order's `index`th line (CJ's are numeric strings).
pub fn line_item_id(order_id: &str, index: usize) -> String {
    format!("{order_id}{:03}", index + 1)
}

/// A dispute id in the shape CJ's look: `SH` + `yymmddHHMMSS` + a sequence.
pub fn dispute_id(now: DateTime<Utc>, seq: usize) -> String {
    format!("SH{}{:07}", now.format("%y%m%d%H%M%S"), seq)
}

/// When a dispute created `at` is decided.
pub fn decided_at(at: DateTime<Utc>, after: std::time::Duration) -> DateTime<Utc> {
    at + ChronoDuration::from_std(after).unwrap_or(ChronoDuration::days(3))
}
