//! The supplier's side of a case: who is asked (its API, the vendor, or the merchant as a
//! task), how long the supplier has, and what the follower does when it looks again.
//!
//! The windows are data, not code paths: a supplier without a dispute API (AliExpress) gets a
//! task whose deadline is its buyer-protection window, so the merchant opens the dispute in
//! time; the follower warns before it closes and marks it expired after.

use super::SupplierSide;
use crate::supplier::{Capabilities, SupplierKind};

const DAY_MS: i64 = 86_400_000;

/// How long before a deadline the merchant is warned (Needs Attention).
pub const WARN_BEFORE_MS: i64 = 2 * DAY_MS;

/// How long a supplier has to answer a case, and from when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerWindow {
    pub days: u32,
    /// Counted from the goods' delivery (a buyer-protection window) rather than from asking.
    pub from_delivery: bool,
}

/// The window of each supplier kind.
///
/// - AliExpress: a dispute can be opened until 15 days after the order's completion
///   (confirmed or timed-out receipt); `docs/protocols/after-sale.md` §5 (the official help
///   page and third-party guides agree on 15 days; the anchor is uncertain, so delivery is
///   taken, the earlier of the two).
/// - CJ: a dispute is answered by CJ's staff; we give them 15 days before a person looks.
/// - A marketplace vendor answers on its page: 7 days.
/// - 1688 through the warehouse: the seller has 7 days to agree or refuse a refund request
///   before it is escalated (`after-sale.md` §6).
pub fn answer_window(kind: SupplierKind) -> AnswerWindow {
    match kind {
        SupplierKind::Aliexpress => AnswerWindow {
            days: 15,
            from_delivery: true,
        },
        SupplierKind::Cj => AnswerWindow {
            days: 15,
            from_delivery: false,
        },
        SupplierKind::Manual | SupplierKind::Marketplace => AnswerWindow {
            days: 7,
            from_delivery: false,
        },
    }
}

/// Who is asked for the supplier's part of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskWay {
    /// The supplier's API takes return and refund requests.
    Api,
    /// A marketplace vendor, on its page.
    Vendor,
    /// The merchant, as a task with the deadline (no API, or goods from several purchases).
    Merchant,
}

/// How the supplier of the claimed goods is asked: `purchases` is how many of the order's
/// purchases the claimed lines came from (a case across two suppliers is a person's to split).
pub fn ask_way(capabilities: Capabilities, purchases: usize) -> AskWay {
    if purchases != 1 {
        AskWay::Merchant
    } else if capabilities.hands_over_to_person {
        AskWay::Vendor
    } else if capabilities.returns {
        AskWay::Api
    } else {
        AskWay::Merchant
    }
}

/// What the follower does with a case's supplier side when it looks at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Follow {
    /// The deadline has passed with no answer: a person decides what is lost.
    pub expire: bool,
    /// The deadline is near: put the case in Needs Attention.
    pub warn: bool,
    /// Ask the supplier's API where the request stands.
    pub ask_api: bool,
    /// When to look again (`None`: nothing left to follow).
    pub next_at_ms: Option<i64>,
}

/// The follower's decision for `side` at `now_ms`; an API is asked every `poll_ms`.
pub fn follow(side: &SupplierSide, now_ms: i64, poll_ms: i64) -> Follow {
    let SupplierSide::Asked { by_api, due_ms, .. } = side else {
        return Follow {
            expire: false,
            warn: false,
            ask_api: false,
            next_at_ms: None,
        };
    };
    if now_ms >= *due_ms {
        return Follow {
            expire: true,
            warn: false,
            ask_api: *by_api,
            next_at_ms: None,
        };
    }
    let warn_at = due_ms - WARN_BEFORE_MS;
    let next = if *by_api {
        (now_ms + poll_ms).min(*due_ms)
    } else if now_ms < warn_at {
        warn_at
    } else {
        *due_ms
    };
    Follow {
        expire: false,
        warn: now_ms >= warn_at,
        ask_api: *by_api,
        next_at_ms: Some(next),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn asked(by_api: bool, due_ms: i64) -> SupplierSide {
        SupplierSide::Asked {
            by_api,
            due_ms,
            purchase: None,
            request_id: None,
        }
    }

    #[test]
    fn each_supplier_is_asked_the_way_it_can_answer() {
        let caps = |kind| crate::supplier::Capabilities {
            returns: kind == "api",
            hands_over_to_person: kind == "vendor",
            ..Capabilities::NONE
        };
        assert_eq!(ask_way(caps("api"), 1), AskWay::Api);
        assert_eq!(ask_way(caps("vendor"), 1), AskWay::Vendor);
        assert_eq!(ask_way(caps("none"), 1), AskWay::Merchant);
        assert_eq!(ask_way(caps("api"), 2), AskWay::Merchant, "two suppliers");
        assert_eq!(ask_way(caps("api"), 0), AskWay::Merchant, "nothing bought");
        assert!(answer_window(SupplierKind::Aliexpress).from_delivery);
    }

    #[test]
    fn a_task_is_looked_at_when_its_warning_is_due_then_at_its_deadline() {
        let due = 10 * DAY_MS;
        let early = follow(&asked(false, due), DAY_MS, 3_600_000);
        assert_eq!((early.warn, early.expire), (false, false));
        assert_eq!(early.next_at_ms, Some(due - WARN_BEFORE_MS));
        let near = follow(&asked(false, due), due - DAY_MS, 3_600_000);
        assert_eq!(
            (near.warn, near.expire, near.next_at_ms),
            (true, false, Some(due))
        );
        let late = follow(&asked(false, due), due, 3_600_000);
        assert_eq!((late.expire, late.next_at_ms), (true, None));
    }

    #[test]
    fn an_api_request_is_polled_until_its_deadline() {
        let due = 10 * DAY_MS;
        let now = follow(&asked(true, due), DAY_MS, 3_600_000);
        assert!(now.ask_api && !now.warn);
        assert_eq!(now.next_at_ms, Some(DAY_MS + 3_600_000));
        let last = follow(&asked(true, due), due - 60_000, 3_600_000);
        assert_eq!(last.next_at_ms, Some(due), "never polled past the deadline");
        assert!(last.warn);
        let settled = follow(&SupplierSide::Credited, due, 3_600_000);
        assert_eq!(settled.next_at_ms, None);
    }
}
