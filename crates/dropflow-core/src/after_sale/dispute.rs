//! A payment dispute the store tells of (Shopify `disputes/create` / `disputes/update`, the
//! REST Dispute resource): a chargeback or an inquiry on the customer's payment, with the
//! date by which the merchant must answer with evidence. Pure: the webhook parses into
//! [`StoreDispute`]; [`progress`] says whether a delivery moves what is recorded.
//!
//! Vocabulary from https://shopify.dev/docs/api/admin-rest/2026-01/resources/dispute and the
//! GraphQL enums (`DisputeStatus` adds `PREVENTED` in 2026-07; `ShopifyPaymentsDisputeReason`
//! spells a few reasons differently), gathered in `docs/protocols/after-sale.md` §2.3.

use crate::money::Money;

/// Whether the bank is asking (an inquiry, answered before it becomes a chargeback) or has
/// already taken the money back (a chargeback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisputeKind {
    Chargeback,
    Inquiry,
}

impl DisputeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeKind::Chargeback => "chargeback",
            DisputeKind::Inquiry => "inquiry",
        }
    }

    /// REST (`chargeback`) and GraphQL (`CHARGEBACK`) spellings.
    pub fn parse(text: &str) -> Option<DisputeKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "chargeback" => Some(DisputeKind::Chargeback),
            "inquiry" => Some(DisputeKind::Inquiry),
            _ => None,
        }
    }
}

/// Where the dispute stands, as the store says it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DisputeStatus {
    /// The merchant must answer with evidence by the due date.
    NeedsResponse,
    /// Evidence sent; the bank decides.
    UnderReview,
    /// The merchant refunded the charge instead (REST; deprecated in GraphQL).
    ChargeRefunded,
    /// The merchant accepted the dispute: the money stays with the customer.
    Accepted,
    Won,
    Lost,
    /// GraphQL 2026-07: it never became a formal chargeback.
    Prevented,
    /// A status this build does not know (lower case, as sent): kept and shown, and treated
    /// as needing a person, never as settled.
    Other(String),
}

impl DisputeStatus {
    /// REST spellings (`needs_response`) and GraphQL ones (`NEEDS_RESPONSE`), any case.
    pub fn parse(text: &str) -> DisputeStatus {
        let lower = text.trim().to_ascii_lowercase();
        match lower.as_str() {
            "needs_response" => DisputeStatus::NeedsResponse,
            "under_review" => DisputeStatus::UnderReview,
            "charge_refunded" => DisputeStatus::ChargeRefunded,
            "accepted" => DisputeStatus::Accepted,
            "won" => DisputeStatus::Won,
            "lost" => DisputeStatus::Lost,
            "prevented" => DisputeStatus::Prevented,
            _ => DisputeStatus::Other(lower),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DisputeStatus::NeedsResponse => "needs_response",
            DisputeStatus::UnderReview => "under_review",
            DisputeStatus::ChargeRefunded => "charge_refunded",
            DisputeStatus::Accepted => "accepted",
            DisputeStatus::Won => "won",
            DisputeStatus::Lost => "lost",
            DisputeStatus::Prevented => "prevented",
            DisputeStatus::Other(text) => text,
        }
    }

    /// How far along a dispute is: deliveries arrive out of order, and one telling of an
    /// earlier stage than what is recorded is stale. An unknown status ranks with the start,
    /// so it never overrides a known later one.
    pub fn rank(&self) -> u8 {
        match self {
            DisputeStatus::NeedsResponse | DisputeStatus::Other(_) => 0,
            DisputeStatus::UnderReview => 1,
            DisputeStatus::ChargeRefunded
            | DisputeStatus::Accepted
            | DisputeStatus::Won
            | DisputeStatus::Lost
            | DisputeStatus::Prevented => 2,
        }
    }

    /// Whether the bank has decided (or the merchant gave in): no evidence is due any more.
    pub fn settled(&self) -> bool {
        self.rank() == 2
    }
}

/// A dispute as the store's webhook tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDispute {
    /// The store's dispute id: one record per dispute, however often it is delivered.
    pub dispute_id: String,
    /// The store's id of the order; `None` for a dispute on a payment with no order (the
    /// REST resource documents `order_id: null`).
    pub order_external_id: Option<String>,
    pub kind: DisputeKind,
    pub status: DisputeStatus,
    /// The store's reason (`fraudulent`, `product_not_received`, …), lower case.
    pub reason: Option<String>,
    /// The card network's code (`4837`, `R10`).
    pub network_reason_code: Option<String>,
    /// What is disputed.
    pub amount: Money,
    /// When the evidence is due, epoch ms; `None` when none is asked (an inquiry may have
    /// none).
    pub evidence_due_by_ms: Option<i64>,
    pub evidence_sent_on_ms: Option<i64>,
    /// When the bank decided.
    pub finalized_on_ms: Option<i64>,
    pub initiated_at_ms: Option<i64>,
}

/// What a delivery does to the dispute recorded before (`None`: first seen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Not seen before: record it.
    New,
    /// A later stage, or the same stage with other dates or amount: record it.
    Moved,
    /// Exactly what is recorded (a repeated delivery).
    Same,
    /// An earlier stage than recorded (an older update delivered late): keep what is there.
    Stale,
}

/// The part of a recorded dispute a delivery is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub status: DisputeStatus,
    pub amount_minor: i64,
    pub evidence_due_by_ms: Option<i64>,
    pub finalized_on_ms: Option<i64>,
}

/// Whether `incoming` moves what is `recorded` (forward only).
pub fn progress(recorded: Option<&Recorded>, incoming: &StoreDispute) -> Progress {
    let Some(recorded) = recorded else {
        return Progress::New;
    };
    let (was, now) = (recorded.status.rank(), incoming.status.rank());
    if now < was {
        return Progress::Stale;
    }
    // Two different settled outcomes (won, then lost on appeal) or two unknown statuses:
    // the store's latest word wins, as it does for any same-stage change.
    let same = recorded.status == incoming.status
        && recorded.amount_minor == incoming.amount.minor
        && recorded.evidence_due_by_ms == incoming.evidence_due_by_ms
        && recorded.finalized_on_ms == incoming.finalized_on_ms;
    if same {
        Progress::Same
    } else {
        Progress::Moved
    }
}

/// Whether a dispute first seen in this status needs a person now (evidence to gather, or a
/// status nobody here knows): the order is flagged.
pub fn needs_a_person(status: &DisputeStatus) -> bool {
    !status.settled()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::reference::currency::Currency;

    fn dispute(status: &str, due: Option<i64>) -> StoreDispute {
        StoreDispute {
            dispute_id: "598735659".into(),
            order_external_id: Some("625362839".into()),
            kind: DisputeKind::Chargeback,
            status: DisputeStatus::parse(status),
            reason: Some("fraudulent".into()),
            network_reason_code: Some("4827".into()),
            amount: Money::new(1150, Currency::from_code("USD").unwrap()),
            evidence_due_by_ms: due,
            evidence_sent_on_ms: None,
            finalized_on_ms: None,
            initiated_at_ms: None,
        }
    }

    fn recorded(d: &StoreDispute) -> Recorded {
        Recorded {
            status: d.status.clone(),
            amount_minor: d.amount.minor,
            evidence_due_by_ms: d.evidence_due_by_ms,
            finalized_on_ms: d.finalized_on_ms,
        }
    }

    #[test]
    fn statuses_read_in_rest_and_graphql_spelling_and_unknown_ones_are_kept() {
        assert_eq!(
            DisputeStatus::parse("NEEDS_RESPONSE"),
            DisputeStatus::NeedsResponse
        );
        assert_eq!(
            DisputeStatus::parse("under_review"),
            DisputeStatus::UnderReview
        );
        assert_eq!(DisputeStatus::parse("PREVENTED"), DisputeStatus::Prevented);
        let odd = DisputeStatus::parse("Escalated");
        assert_eq!(odd, DisputeStatus::Other("escalated".into()));
        assert_eq!(odd.as_str(), "escalated");
        assert!(needs_a_person(&odd));
        assert!(!needs_a_person(&DisputeStatus::Won));
        assert_eq!(
            DisputeKind::parse("CHARGEBACK"),
            Some(DisputeKind::Chargeback)
        );
        assert_eq!(DisputeKind::parse("refund"), None);
    }

    #[test]
    fn deliveries_move_a_dispute_forward_only() {
        let open = dispute("needs_response", Some(1_000));
        assert_eq!(progress(None, &open), Progress::New);
        assert_eq!(progress(Some(&recorded(&open)), &open), Progress::Same);
        let review = dispute("under_review", Some(1_000));
        assert_eq!(progress(Some(&recorded(&open)), &review), Progress::Moved);
        assert_eq!(progress(Some(&recorded(&review)), &open), Progress::Stale);
        let won = dispute("won", Some(1_000));
        assert_eq!(progress(Some(&recorded(&won)), &review), Progress::Stale);
        // An unknown status never undoes a known later stage.
        let odd = dispute("escalated", Some(1_000));
        assert_eq!(progress(Some(&recorded(&review)), &odd), Progress::Stale);
        // The same stage with a new due date is news.
        let later = dispute("needs_response", Some(2_000));
        assert_eq!(progress(Some(&recorded(&open)), &later), Progress::Moved);
    }
}
