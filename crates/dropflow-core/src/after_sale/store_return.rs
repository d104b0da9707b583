//! A return made in the store (Shopify Returns: `returns/request`, `returns/approve`,
//! `returns/decline`, `returns/close`, `returns/cancel`, `returns/reopen`), as its webhooks
//! tell it. Pure: the webhook parses into a [`StoreReturn`]; [`plan`] says what a delivery
//! does to the case of that return, given the status last recorded for it.
//!
//! Only a request and an approval name the order and the lines; the other deliveries carry
//! the return's id alone, so the case remembers the store's return id and status (made when a
//! request or approval opens it, or when a refund of that return opens it). Shapes and
//! vocabulary: `docs/protocols/after-sale.md` §2.2.

use super::{apply, complete, Applied, CaseEvent, CaseLine, CaseReason, CaseState, CustomerSide};

/// Where a store return stands, as its webhooks say (`ReturnStatus` of the Admin GraphQL API:
/// `REQUESTED`, `OPEN`, `DECLINED`, `CLOSED`, `CANCELED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnStatus {
    /// The customer asked; the merchant has not answered.
    Requested,
    /// Approved (or reopened): the goods are to come back.
    Open,
    Declined,
    /// Done with in the store (refunded, restocked, or simply closed).
    Closed,
    /// Withdrawn before it was done with.
    Canceled,
}

impl ReturnStatus {
    pub const ALL: [ReturnStatus; 5] = [
        ReturnStatus::Requested,
        ReturnStatus::Open,
        ReturnStatus::Declined,
        ReturnStatus::Closed,
        ReturnStatus::Canceled,
    ];

    /// The stored word (`cases.store_return_status`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Requested => "requested",
            ReturnStatus::Open => "open",
            ReturnStatus::Declined => "declined",
            ReturnStatus::Closed => "closed",
            ReturnStatus::Canceled => "canceled",
        }
    }

    /// A stored word back; any case, and the webhook typings' `close` for `closed`.
    pub fn parse(text: &str) -> Option<ReturnStatus> {
        let lower = text.trim().to_ascii_lowercase();
        if lower == "close" {
            return Some(ReturnStatus::Closed);
        }
        ReturnStatus::ALL.into_iter().find(|s| s.as_str() == lower)
    }
}

/// Units of one order line the customer sends back, with their words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedLine {
    /// The store's order line id.
    pub line_id: String,
    pub quantity: u32,
    /// The store's reason, mapped.
    pub reason: CaseReason,
    /// The store's reason as sent (lower case), for the case's note.
    pub store_reason: Option<String>,
    /// The words the store asks for with some reasons (`return_reason_note`).
    pub reason_note: Option<String>,
    /// What the customer wrote.
    pub customer_note: Option<String>,
}

/// A return as requested or approved: the order and the units coming back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRequest {
    /// The store's id of the order.
    pub order_external_id: String,
    /// The store's name for the return (`#1106-R2`), when given.
    pub name: Option<String>,
    /// As sent: one per store return line, so a line may appear more than once.
    pub lines: Vec<ReturnedLine>,
}

impl ReturnRequest {
    /// The case's one reason: the first line's the supplier is at fault for (defective, wrong
    /// or not as described goods are asked back from the supplier), else the first line's.
    pub fn reason(&self) -> CaseReason {
        self.lines
            .iter()
            .map(|l| l.reason)
            .find(|r| r.supplier_at_fault())
            .or_else(|| self.lines.first().map(|l| l.reason))
            .unwrap_or(CaseReason::Other)
    }

    /// The units per order line, in the order first named (a store line returned from two
    /// fulfilments is one case line).
    pub fn case_lines(&self) -> Vec<CaseLine> {
        let mut lines: Vec<CaseLine> = Vec::new();
        for line in &self.lines {
            match lines.iter_mut().find(|l| l.line_id == line.line_id) {
                Some(known) => known.quantity = known.quantity.saturating_add(line.quantity),
                None => lines.push(CaseLine {
                    line_id: line.line_id.clone(),
                    quantity: line.quantity,
                }),
            }
        }
        lines
    }

    /// How the timeline and the case name the return: its store name, else its id.
    pub fn label(&self, return_id: &str) -> String {
        label(self.name.as_deref(), return_id)
    }
}

fn label(name: Option<&str>, return_id: &str) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("return {name} ({return_id})"),
        None => format!("return {return_id}"),
    }
}

/// What one delivery says happened to a store return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnChange {
    /// `returns/request`: the customer asked.
    Requested(ReturnRequest),
    /// `returns/approve`: the merchant approved it in the store (or created it approved).
    Approved(ReturnRequest),
    /// `returns/decline`: the store's reason (`final_sale`, `return_period_ended`, `other`)
    /// and the message the customer was sent.
    Declined {
        reason: Option<String>,
        note: Option<String>,
    },
    Closed,
    Canceled,
    Reopened,
}

impl ReturnChange {
    /// The status the return has after this change.
    pub fn status(&self) -> ReturnStatus {
        match self {
            ReturnChange::Requested(_) => ReturnStatus::Requested,
            ReturnChange::Approved(_) | ReturnChange::Reopened => ReturnStatus::Open,
            ReturnChange::Declined { .. } => ReturnStatus::Declined,
            ReturnChange::Closed => ReturnStatus::Closed,
            ReturnChange::Canceled => ReturnStatus::Canceled,
        }
    }

    /// The order and lines, for the two deliveries that carry them.
    pub fn request(&self) -> Option<&ReturnRequest> {
        match self {
            ReturnChange::Requested(request) | ReturnChange::Approved(request) => Some(request),
            _ => None,
        }
    }
}

/// One delivery about a store return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreReturn {
    /// The store's return id: what ties every later delivery to the case.
    pub return_id: String,
    pub change: ReturnChange,
}

/// What a delivery does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnPlan {
    /// No case has this return yet: open one (the goods come back first), checked like the
    /// merchant's own opening. `approved`: the store approved it already.
    Open { approved: bool },
    /// No case has this return and the delivery names no order: nothing to do (the return
    /// began before dropflow heard of it, or on an order dropflow did not take).
    Unknown,
    /// The status recorded already: a repeat, nothing to write.
    Same,
    /// An earlier stage than the one recorded, delivered late: nothing to write.
    Stale,
    /// A new stage: the case's next state (`None`: the case itself does not change, only its
    /// timeline says what the store did), the timeline's step and words.
    Apply {
        next: Option<Box<CaseState>>,
        step: &'static str,
        words: String,
    },
}

/// How a delivery relates to the status recorded.
enum Move {
    /// The same status again.
    Same,
    /// An earlier stage, delivered late.
    Stale,
    Forward,
}

/// Whether a delivery moves a return recorded at `recorded`: a repeat, a late earlier stage,
/// or a new stage. A return reopens only once closed; a declined or cancelled one is over.
fn moves(recorded: ReturnStatus, change: &ReturnChange) -> Move {
    use ReturnStatus as S;
    if recorded == change.status() {
        return Move::Same;
    }
    let forward = match change {
        ReturnChange::Requested(_) => false,
        ReturnChange::Approved(_) => recorded == S::Requested,
        ReturnChange::Declined { .. } | ReturnChange::Canceled | ReturnChange::Closed => {
            matches!(recorded, S::Requested | S::Open)
        }
        ReturnChange::Reopened => recorded == S::Closed,
    };
    if forward {
        Move::Forward
    } else {
        Move::Stale
    }
}

/// What the delivery `ret` does to the case of its return. `known`: that case and the
/// return's status as last recorded (`None` when the case was tied to the return by a refund
/// and no status came yet: taken as open, since the store refunds only an open return).
/// `store` names the store for the timeline and the closing notes ("Shopify").
pub fn plan(
    known: Option<(&CaseState, Option<ReturnStatus>)>,
    ret: &StoreReturn,
    store: &str,
    now_ms: i64,
) -> ReturnPlan {
    let Some((state, recorded)) = known else {
        return match &ret.change {
            ReturnChange::Requested(_) => ReturnPlan::Open { approved: false },
            ReturnChange::Approved(_) => ReturnPlan::Open { approved: true },
            _ => ReturnPlan::Unknown,
        };
    };
    match moves(recorded.unwrap_or(ReturnStatus::Open), &ret.change) {
        Move::Same => return ReturnPlan::Same,
        Move::Stale => return ReturnPlan::Stale,
        Move::Forward => {}
    }
    let name = match ret.change.request() {
        Some(request) => request.label(&ret.return_id),
        None => label(None, &ret.return_id),
    };
    let only_noted = |step: &'static str, words: String| ReturnPlan::Apply {
        next: None,
        step,
        words,
    };
    let closed_already = state.closed.is_some();
    match &ret.change {
        // `moves` lets a request through only as a repeat or late.
        ReturnChange::Requested(_) => ReturnPlan::Stale,
        ReturnChange::Approved(_) => only_noted(
            "store_approved",
            format!("{store} approved {name}: the goods are to come back"),
        ),
        ReturnChange::Declined { reason, note } => {
            let why = declined_words(reason.as_deref(), note.as_deref(), store);
            if closed_already || !matches!(state.customer, CustomerSide::Pending) {
                return only_noted(
                    "store_declined",
                    format!("{store} declined {name} ({why}); this case is already settled for the customer, so it stays as it is"),
                );
            }
            let Some(declined) = changed(state, CaseEvent::Declined { note: why.clone() }) else {
                return only_noted("store_declined", format!("{store} declined {name} ({why})"));
            };
            // A declined claim with nothing left to follow is over; one whose supplier was
            // asked through its API stays open for the answer.
            let next = if complete(&declined) {
                changed(
                    &declined,
                    CaseEvent::Close {
                        at_ms: now_ms,
                        note: Some(format!("return declined in {store}")),
                    },
                )
                .unwrap_or(declined)
            } else {
                declined
            };
            ReturnPlan::Apply {
                next: Some(Box::new(next)),
                step: "declined",
                words: why,
            }
        }
        ReturnChange::Canceled => {
            if closed_already {
                return only_noted("store_cancelled", format!("{store} cancelled {name}"));
            }
            if money_moved(state) {
                return only_noted(
                    "store_cancelled",
                    format!("{store} cancelled {name}, but money already moved for this case: it stays open for a person to settle"),
                );
            }
            close_for_store(
                state,
                now_ms,
                format!("return cancelled in {store}"),
                ("store_cancelled", format!("{store} cancelled {name}")),
            )
        }
        ReturnChange::Closed => {
            if closed_already {
                return only_noted("store_closed", format!("{store} closed {name}"));
            }
            if !complete(state) {
                let left: Vec<&str> = super::next_steps(state)
                    .into_iter()
                    .map(|s| s.as_str())
                    .collect();
                let left = if left.is_empty() {
                    "the customer's side".to_string()
                } else {
                    left.join(", ").replace('_', " ")
                };
                return only_noted(
                    "store_closed",
                    format!("{store} closed {name}; still to do here: {left}"),
                );
            }
            close_for_store(
                state,
                now_ms,
                format!("return closed in {store}"),
                ("store_closed", format!("{store} closed {name}")),
            )
        }
        // A case, once closed, stays closed (nothing in the case model reopens one): the
        // timeline says the store reopened it, and a person opens a new case if need be.
        ReturnChange::Reopened => only_noted(
            "store_reopened",
            if closed_already {
                format!("{store} reopened {name}; this case stays closed: open a new one if there is more to do")
            } else {
                format!("{store} reopened {name}")
            },
        ),
    }
}

/// The case closed because the store ended its return (`note` kept as the closing note),
/// or, when the case takes no close now, only `noted` (step, words) on the timeline.
fn close_for_store(
    state: &CaseState,
    now_ms: i64,
    note: String,
    noted: (&'static str, String),
) -> ReturnPlan {
    let close = CaseEvent::Close {
        at_ms: now_ms,
        note: Some(note.clone()),
    };
    match changed(state, close) {
        Some(next) => ReturnPlan::Apply {
            next: Some(Box::new(next)),
            step: "closed",
            words: note,
        },
        None => ReturnPlan::Apply {
            next: None,
            step: noted.0,
            words: noted.1,
        },
    }
}

/// The state after `event`, when it changes the case.
fn changed(state: &CaseState, event: CaseEvent) -> Option<CaseState> {
    match apply(state, event) {
        Ok(Applied::Changed(next)) => Some(*next),
        Ok(Applied::Unchanged) | Err(_) => None,
    }
}

/// Whether anything was paid or bought for the case: a cancelled return then leaves the case
/// open for a person, since closing it would hide that money.
fn money_moved(state: &CaseState) -> bool {
    !state.refunds.is_empty()
        || !state.credits.is_empty()
        || state.replacement_cost.is_some()
        || !matches!(state.customer, CustomerSide::Pending)
}

/// The decline as the case keeps it (and the customer's mail shows it): the message the
/// store sent, after the store's reason in words.
fn declined_words(reason: Option<&str>, note: Option<&str>, store: &str) -> String {
    let reason = reason
        .map(|r| r.trim().replace('_', " "))
        .filter(|r| !r.is_empty());
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    match (reason, note) {
        (Some(reason), Some(note)) => format!("{reason}: {note}"),
        (Some(reason), None) => format!("declined in {store}: {reason}"),
        (None, Some(note)) => note.to_string(),
        (None, None) => format!("declined in {store}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::after_sale::{
        next_steps, open, CaseRequest, Movement, OrderFacts, OrderLineFacts, Resolution, ReturnLeg,
        SupplierSide,
    };
    use crate::money::Money;
    use crate::reference::currency::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::from_code("USD").unwrap())
    }

    fn line(id: &str, quantity: u32, reason: CaseReason) -> ReturnedLine {
        ReturnedLine {
            line_id: id.into(),
            quantity,
            reason,
            store_reason: None,
            reason_note: None,
            customer_note: None,
        }
    }

    fn request(lines: Vec<ReturnedLine>) -> ReturnRequest {
        ReturnRequest {
            order_external_id: "O1".into(),
            name: Some("#1001-R1".into()),
            lines,
        }
    }

    fn delivery(change: ReturnChange) -> StoreReturn {
        StoreReturn {
            return_id: "R1".into(),
            change,
        }
    }

    /// A return-first case for one unit, opened as a store return would open it.
    fn case(reason: CaseReason) -> CaseState {
        let facts = OrderFacts {
            currency: Currency::from_code("USD").unwrap(),
            lines: vec![OrderLineFacts {
                line_id: "L1".into(),
                title: "Mug".into(),
                unit_price: usd(1250),
                shipped: 2,
                claimed: 0,
            }],
            shipping_charged: usd(500),
            refunded_goods: usd(0),
            refunded_shipping: usd(0),
        };
        let asked = CaseRequest {
            reason,
            lines: vec![CaseLine {
                line_id: "L1".into(),
                quantity: 1,
            }],
            resolution: Resolution::ReturnFirst,
        };
        open(&facts, &asked).unwrap().state
    }

    fn applied(plan: ReturnPlan) -> (Option<CaseState>, &'static str, String) {
        match plan {
            ReturnPlan::Apply { next, step, words } => (next.map(|n| *n), step, words),
            other => panic!("expected a change, got {other:?}"),
        }
    }

    #[test]
    fn the_case_reason_is_the_suppliers_fault_first_and_lines_add_up_per_order_line() {
        let asked = request(vec![
            line("L1", 1, CaseReason::ChangedMind),
            line("L2", 1, CaseReason::Damaged),
            line("L1", 2, CaseReason::ChangedMind),
        ]);
        assert_eq!(asked.reason(), CaseReason::Damaged);
        assert_eq!(
            asked.case_lines(),
            vec![
                CaseLine {
                    line_id: "L1".into(),
                    quantity: 3
                },
                CaseLine {
                    line_id: "L2".into(),
                    quantity: 1
                }
            ]
        );
        let mind = request(vec![line("L1", 1, CaseReason::ChangedMind)]);
        assert_eq!(mind.reason(), CaseReason::ChangedMind);
        assert_eq!(request(Vec::new()).reason(), CaseReason::Other);
    }

    #[test]
    fn statuses_read_back_in_any_case_and_the_typings_close() {
        for status in ReturnStatus::ALL {
            assert_eq!(ReturnStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                ReturnStatus::parse(&status.as_str().to_ascii_uppercase()),
                Some(status)
            );
        }
        assert_eq!(ReturnStatus::parse("close"), Some(ReturnStatus::Closed));
        assert_eq!(ReturnStatus::parse("processed"), None);
    }

    #[test]
    fn without_a_case_a_request_or_approval_opens_one_and_the_rest_is_unknown() {
        let asked = request(vec![line("L1", 1, CaseReason::Other)]);
        assert_eq!(
            plan(
                None,
                &delivery(ReturnChange::Requested(asked.clone())),
                "Shopify",
                1
            ),
            ReturnPlan::Open { approved: false }
        );
        assert_eq!(
            plan(None, &delivery(ReturnChange::Approved(asked)), "Shopify", 1),
            ReturnPlan::Open { approved: true }
        );
        for change in [
            ReturnChange::Closed,
            ReturnChange::Canceled,
            ReturnChange::Reopened,
            ReturnChange::Declined {
                reason: None,
                note: None,
            },
        ] {
            assert_eq!(
                plan(None, &delivery(change), "Shopify", 1),
                ReturnPlan::Unknown
            );
        }
    }

    #[test]
    fn the_same_status_again_is_a_repeat_and_an_earlier_one_is_late() {
        let state = case(CaseReason::ChangedMind);
        let asked = request(vec![line("L1", 1, CaseReason::ChangedMind)]);
        let cases = [
            (
                ReturnStatus::Requested,
                ReturnChange::Requested(asked.clone()),
                ReturnPlan::Same,
            ),
            (
                ReturnStatus::Open,
                ReturnChange::Approved(asked.clone()),
                ReturnPlan::Same,
            ),
            (
                ReturnStatus::Open,
                ReturnChange::Requested(asked.clone()),
                ReturnPlan::Stale,
            ),
            (ReturnStatus::Open, ReturnChange::Reopened, ReturnPlan::Same),
            (
                ReturnStatus::Declined,
                ReturnChange::Approved(asked),
                ReturnPlan::Stale,
            ),
            (
                ReturnStatus::Canceled,
                ReturnChange::Closed,
                ReturnPlan::Stale,
            ),
            (
                ReturnStatus::Requested,
                ReturnChange::Reopened,
                ReturnPlan::Stale,
            ),
            (ReturnStatus::Closed, ReturnChange::Closed, ReturnPlan::Same),
        ];
        for (recorded, change, expected) in cases {
            let got = plan(
                Some((&state, Some(recorded))),
                &delivery(change.clone()),
                "Shopify",
                1,
            );
            assert_eq!(got, expected, "{recorded:?} then {change:?}");
        }
    }

    #[test]
    fn an_approval_is_noted_and_changes_nothing_else() {
        let state = case(CaseReason::Damaged);
        let asked = request(vec![line("L1", 1, CaseReason::Damaged)]);
        let (next, step, words) = applied(plan(
            Some((&state, Some(ReturnStatus::Requested))),
            &delivery(ReturnChange::Approved(asked)),
            "Shopify",
            1,
        ));
        assert_eq!(next, None);
        assert_eq!(step, "store_approved");
        assert!(words.contains("#1001-R1"), "{words}");
    }

    #[test]
    fn a_decline_declines_and_closes_a_case_with_nothing_left_but_not_one_awaiting_its_supplier() {
        let decline = delivery(ReturnChange::Declined {
            reason: Some("final_sale".into()),
            note: Some("Sale items cannot be returned.".into()),
        });
        let mind = case(CaseReason::ChangedMind);
        let (next, step, words) = applied(plan(
            Some((&mind, Some(ReturnStatus::Requested))),
            &decline,
            "Shopify",
            7,
        ));
        let next = next.expect("declined");
        assert_eq!(step, "declined");
        assert_eq!(words, "final sale: Sale items cannot be returned.");
        assert_eq!(
            next.customer,
            CustomerSide::Declined {
                note: words.clone()
            }
        );
        assert_eq!(next.ret, ReturnLeg::NotNeeded);
        assert_eq!(next.closed.as_ref().map(|c| c.at_ms), Some(7));

        // The supplier asked through its API keeps its answer coming: declined, not closed.
        let mut asked = case(CaseReason::Damaged);
        asked.supplier = SupplierSide::Asked {
            by_api: true,
            due_ms: 100,
            purchase: None,
            request_id: None,
        };
        let (next, _, _) = applied(plan(
            Some((&asked, Some(ReturnStatus::Open))),
            &decline,
            "Shopify",
            7,
        ));
        let next = next.expect("declined");
        assert!(matches!(next.customer, CustomerSide::Declined { .. }));
        assert!(next.closed.is_none());
        assert!(!next_steps(&next).is_empty());
    }

    #[test]
    fn a_cancel_closes_a_case_no_money_moved_for_and_only_notes_one_refunded() {
        let state = case(CaseReason::Damaged);
        let (next, step, words) = applied(plan(
            Some((&state, Some(ReturnStatus::Open))),
            &delivery(ReturnChange::Canceled),
            "Shopify",
            9,
        ));
        let next = next.expect("closed");
        assert_eq!(step, "closed");
        assert_eq!(words, "return cancelled in Shopify");
        assert_eq!(
            next.closed.and_then(|c| c.note).as_deref(),
            Some("return cancelled in Shopify")
        );

        let mut refunded = state.clone();
        refunded.refunds.push(Movement {
            reference: "7001".into(),
            amount: usd(450),
        });
        refunded.customer = CustomerSide::Refunded;
        let (next, step, words) = applied(plan(
            Some((&refunded, Some(ReturnStatus::Open))),
            &delivery(ReturnChange::Canceled),
            "Shopify",
            9,
        ));
        assert_eq!(next, None);
        assert_eq!(step, "store_cancelled");
        assert!(words.contains("money already moved"), "{words}");
    }

    #[test]
    fn a_close_closes_a_case_with_nothing_left_and_otherwise_says_what_is() {
        let awaiting = case(CaseReason::ChangedMind);
        let (next, step, words) = applied(plan(
            Some((&awaiting, Some(ReturnStatus::Open))),
            &delivery(ReturnChange::Closed),
            "Shopify",
            3,
        ));
        assert_eq!(next, None);
        assert_eq!(step, "store_closed");
        assert!(words.contains("await return"), "{words}");

        let mut done = awaiting.clone();
        done.ret = ReturnLeg::Restocked;
        done.customer = CustomerSide::Refunded;
        let (next, step, _) = applied(plan(
            Some((&done, None)),
            &delivery(ReturnChange::Closed),
            "Shopify",
            3,
        ));
        assert_eq!(step, "closed");
        assert_eq!(next.and_then(|n| n.closed).map(|c| c.at_ms), Some(3));
    }

    #[test]
    fn a_reopen_is_noted_and_a_closed_case_stays_closed() {
        let mut closed = case(CaseReason::ChangedMind);
        closed.closed = Some(crate::after_sale::Closure {
            at_ms: 1,
            note: Some("return closed in Shopify".into()),
        });
        let (next, step, words) = applied(plan(
            Some((&closed, Some(ReturnStatus::Closed))),
            &delivery(ReturnChange::Reopened),
            "Shopify",
            5,
        ));
        assert_eq!(next, None);
        assert_eq!(step, "store_reopened");
        assert!(words.contains("stays closed"), "{words}");
    }
}
