//! The customer's mails about an after-sale case: which step of a case (`OrderEvent::Case`)
//! calls for which mail, from what the consumer read of the case ([`CaseFacts`]). Pure.
//!
//! - `opened` → request received, with how to send the goods back when the case awaits them
//!   (one mail: see [`CaseReceived`]); not for a case the store opened from its own refund
//!   (`opened_by` `store:…`): the store told the customer of that refund itself, and there
//!   is no request of theirs to acknowledge;
//! - `store_approved` (the store approved a return the customer requested there) → the same
//!   mail, for a case still awaiting the goods: where to send them back is dropflow's to say
//!   (the goods came from a supplier or a vendor, not from the store's own location), and
//!   the store's request flow told the customer nothing of it;
//! - `refunded` → refund issued, with the amount the case records for that refund;
//! - `replacement_shipped` → the replacement is on its way (with its tracking when known);
//! - `declined` → declined, with the merchant's note.
//!
//! Every other step (the return's tracking, the supplier's side, closing) is the merchant's
//! business, not the customer's.

use super::templates::{
    CaseDeclined, CaseReceived, LineSummary, MailBody, RefundIssued, ReplacementShipped,
    TrackingInfo,
};
use super::MailContext;
use dropflow_core::after_sale::{Movement, Resolution};
use dropflow_core::money::Money;

/// What the case mails need of the case, read by the consumer with the event.
#[derive(Clone, Default)]
pub struct CaseFacts {
    /// The store opened it from a refund made there (`opened_by` starts `store:`).
    pub opened_by_store: bool,
    /// The units claimed.
    pub lines: Vec<LineSummary>,
    pub resolution: Option<Resolution>,
    /// The case awaits the goods (its return leg is `awaited`).
    pub send_back: bool,
    /// Where they go ([`super::return_address::return_to`]); empty: the merchant sends it.
    pub return_address: Vec<String>,
    /// The refunds the case records.
    pub refunds: Vec<Movement>,
    /// The note the case was declined with.
    pub declined_note: Option<String>,
    /// The replacement parcel, once it has tracking.
    pub replacement_tracking: Option<TrackingInfo>,
}

/// The customer's mail a case step calls for, if any (before `notify_customer` and the
/// customer's address are looked at). No facts (the case is not found): no mail.
pub fn body_for(step: &str, detail: &str, ctx: &MailContext) -> Option<MailBody> {
    let case = ctx.case.as_ref()?;
    let order_name = ctx.order_name.clone();
    let store = ctx.store.clone();
    let customer_name = ctx.customer_name.clone();
    match step {
        "opened" if !case.opened_by_store => Some(received(case, order_name, store, customer_name)),
        "store_approved" if case.send_back => {
            Some(received(case, order_name, store, customer_name))
        }
        "refunded" => Some(MailBody::RefundIssued(RefundIssued {
            order_name,
            store,
            customer_name,
            amount: refund_named(&case.refunds, detail).map(|m| m.to_string()),
        })),
        "replacement_shipped" => Some(MailBody::ReplacementShipped(ReplacementShipped {
            order_name,
            store,
            customer_name,
            // The courier recognised from the number and a page to follow it, as the
            // first shipment's mail gives them.
            tracking: case
                .replacement_tracking
                .as_ref()
                .map(|t| super::tracking_info(&t.number, t.carrier.as_deref(), t.url.as_deref())),
        })),
        "declined" => Some(MailBody::CaseDeclined(CaseDeclined {
            order_name,
            store,
            customer_name,
            // The step's words are the note too (`services::cases`); the case's own copy
            // first, as the case keeps it.
            note: case
                .declined_note
                .clone()
                .unwrap_or_else(|| detail.to_string()),
        })),
        _ => None,
    }
}

/// The request acknowledged, with the return instructions when the goods are to come back.
fn received(
    case: &CaseFacts,
    order_name: String,
    store: String,
    customer_name: Option<String>,
) -> MailBody {
    MailBody::CaseReceived(CaseReceived {
        order_name,
        store,
        customer_name,
        lines: case.lines.clone(),
        next: case
            .resolution
            .as_ref()
            .map(next_words)
            .unwrap_or_else(|| "the shop will get back to you.".into()),
        send_back: case.send_back,
        return_address: if case.send_back {
            case.return_address.clone()
        } else {
            Vec::new()
        },
    })
}

/// The refund a `refunded` step is about, as the case records it. The step's words name the
/// store's refund ("… (refund 1234)"); a step that names none is about the newest refund.
/// A refund named but not on the case (the case could not take it) has no recorded amount:
/// `None`, rather than another refund's.
pub fn refund_named(refunds: &[Movement], detail: &str) -> Option<Money> {
    let named = detail
        .split_once("(refund ")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(reference, _)| reference);
    match named {
        Some(reference) => refunds
            .iter()
            .find(|r| r.reference == reference)
            .map(|r| r.amount),
        None => refunds.last().map(|r| r.amount),
    }
}

/// What the merchant does for the customer, in the customer's words.
fn next_words(resolution: &Resolution) -> String {
    match resolution {
        Resolution::Refund {
            goods,
            shipping,
            with_return,
        } => {
            let total = Money::new(goods.minor.saturating_add(shipping.minor), goods.currency);
            if *with_return {
                format!("a refund of {total}, once the items are back.")
            } else {
                format!("a refund of {total}.")
            }
        }
        Resolution::Reship => "the items will be sent to you again.".into(),
        Resolution::Exchange { .. } => {
            "the items will be exchanged for the ones you asked for.".into()
        }
        Resolution::ReturnFirst => {
            "once the items are back, the shop will tell you what it does for you.".into()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::notify::{notifications_for, MailKind};
    use dropflow_core::event::OrderEvent;
    use dropflow_core::ids::OrderId;
    use dropflow_core::reference::currency::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::from_code("USD").unwrap())
    }

    fn ctx(case: CaseFacts) -> MailContext {
        MailContext {
            order_id: Some(OrderId::new()),
            order_name: "#1001".into(),
            store: "Shop".into(),
            merchant_email: Some("merchant@example.com".into()),
            customer_email: Some("ana@example.com".into()),
            customer_name: Some("Ana".into()),
            notify_customer: true,
            case: Some(case),
            ..Default::default()
        }
    }

    fn refund_case() -> CaseFacts {
        CaseFacts {
            lines: vec![LineSummary {
                title: "Mug".into(),
                quantity: 1,
            }],
            resolution: Some(Resolution::Refund {
                goods: usd(900),
                shipping: usd(150),
                with_return: true,
            }),
            send_back: true,
            return_address: vec!["Returns".into(), "1 Main St".into()],
            refunds: vec![
                Movement {
                    reference: "7001".into(),
                    amount: usd(450),
                },
                Movement {
                    reference: "7002".into(),
                    amount: usd(1050),
                },
            ],
            ..Default::default()
        }
    }

    fn step(step: &str, detail: &str) -> OrderEvent {
        OrderEvent::Case {
            case_id: "c1".into(),
            step: step.into(),
            detail: detail.into(),
        }
    }

    fn only(event: &OrderEvent, c: &MailContext) -> MailBody {
        let mails = notifications_for(event, c);
        assert_eq!(mails.len(), 1, "{event:?}: {mails:?}");
        assert_eq!(mails[0].to, "ana@example.com");
        assert!(mails[0].kind().to_customer());
        mails[0].body.clone()
    }

    #[test]
    fn each_customer_step_maps_to_its_mail_and_the_rest_to_none() {
        let c = ctx(refund_case());
        let MailBody::CaseReceived(m) = only(&step("opened", "refund"), &c) else {
            panic!("not a case-received mail")
        };
        assert!(m.send_back);
        assert_eq!(m.return_address, ["Returns", "1 Main St"]);
        assert_eq!(m.next, "a refund of 10.50 USD, once the items are back.");
        let MailBody::RefundIssued(m) = only(
            &step(
                "refunded",
                "refunded through the store: 10.50 USD (refund 7002)",
            ),
            &c,
        ) else {
            panic!("not a refund mail")
        };
        assert_eq!(m.amount.as_deref(), Some("10.50 USD"));
        let mut declined = refund_case();
        declined.declined_note = Some("Worn <twice>".into());
        let MailBody::CaseDeclined(m) = only(&step("declined", "Worn <twice>"), &ctx(declined))
        else {
            panic!("not a decline mail")
        };
        assert_eq!(m.note, "Worn <twice>");
        // A replacement shipped, recorded as the step will be: its mail, with the parcel.
        let mut shipped = refund_case();
        shipped.replacement_tracking = Some(TrackingInfo {
            number: "RR123456785CN".into(),
            carrier: None,
            url: None,
        });
        let MailBody::ReplacementShipped(m) =
            only(&step("replacement_shipped", "shipped"), &ctx(shipped))
        else {
            panic!("not a replacement mail")
        };
        assert_eq!(
            m.tracking.map(|t| t.number).as_deref(),
            Some("RR123456785CN")
        );
        for quiet in [
            "return_shipped",
            "return_delivered",
            "return_settled",
            "decided",
            "closed",
            "refund_failed",
            "supplier_asked",
            "supplier_credited",
            "supplier_refused",
            "supplier_expired",
        ] {
            assert!(
                notifications_for(&step(quiet, "x"), &c).is_empty(),
                "{quiet}"
            );
        }
    }

    #[test]
    fn no_case_mail_for_a_store_opened_case_without_consent_or_without_an_address() {
        let mut by_store = refund_case();
        by_store.opened_by_store = true;
        assert!(
            notifications_for(&step("opened", "refunded in the store"), &ctx(by_store)).is_empty()
        );
        let mut off = ctx(refund_case());
        off.notify_customer = false;
        for s in ["opened", "refunded", "replacement_shipped", "declined"] {
            assert!(notifications_for(&step(s, "x"), &off).is_empty(), "{s}");
        }
        let mut nobody = ctx(refund_case());
        nobody.customer_email = None;
        assert!(notifications_for(&step("opened", "x"), &nobody).is_empty());
        let mut unknown = ctx(refund_case());
        unknown.case = None;
        assert!(notifications_for(&step("opened", "x"), &unknown).is_empty());
        // Never a merchant mail for a case step.
        let kinds: Vec<MailKind> = notifications_for(&step("opened", "x"), &ctx(refund_case()))
            .iter()
            .map(|m| m.kind())
            .collect();
        assert_eq!(kinds, [MailKind::CaseReceived]);
    }

    /// A return the customer requested in the store and the store approved: the approval
    /// says where to send the goods; nothing once they are on their way.
    #[test]
    fn a_store_approval_sends_the_return_instructions_while_the_goods_are_awaited() {
        let mut approved = refund_case();
        approved.opened_by_store = true;
        approved.resolution = Some(Resolution::ReturnFirst);
        assert!(notifications_for(&step("opened", "requested"), &ctx(approved.clone())).is_empty());
        let MailBody::CaseReceived(m) =
            only(&step("store_approved", "approved"), &ctx(approved.clone()))
        else {
            panic!("not a case-received mail")
        };
        assert!(m.send_back);
        assert_eq!(m.return_address, ["Returns", "1 Main St"]);
        assert!(m.next.contains("once the items are back"), "{}", m.next);
        approved.send_back = false;
        assert!(notifications_for(&step("store_approved", "approved"), &ctx(approved)).is_empty());
        for quiet in [
            "store_closed",
            "store_cancelled",
            "store_reopened",
            "store_declined",
        ] {
            assert!(
                notifications_for(&step(quiet, "x"), &ctx(refund_case())).is_empty(),
                "{quiet}"
            );
        }
    }

    #[test]
    fn the_return_section_is_only_for_a_case_awaiting_the_goods() {
        let mut reship = refund_case();
        reship.resolution = Some(Resolution::Reship);
        reship.send_back = false;
        let MailBody::CaseReceived(m) = only(&step("opened", "reship"), &ctx(reship)) else {
            panic!("not a case-received mail")
        };
        assert!(!m.send_back);
        assert!(
            m.return_address.is_empty(),
            "no address when nothing comes back"
        );
        assert_eq!(m.next, "the items will be sent to you again.");
    }

    #[test]
    fn the_refund_is_the_one_the_step_names_as_the_case_records_it() {
        let refunds = refund_case().refunds;
        let named = |d: &str| refund_named(&refunds, d);
        assert_eq!(
            named("refunded through the store: 4.50 USD (refund 7001)"),
            Some(usd(450))
        );
        assert_eq!(
            named("refunded through the store: 10.50 USD (refund 7002); 11.00 USD was asked"),
            Some(usd(1050))
        );
        // Named but not on the case (the case could not take it): no amount, not another's.
        assert_eq!(
            named("refunded through the store: 3.00 USD (refund 9999), but the case could not take it: the case is closed"),
            None
        );
        assert_eq!(
            named("refunded"),
            Some(usd(1050)),
            "the newest when none is named"
        );
        assert_eq!(refund_named(&[], "refunded"), None);
    }
}
