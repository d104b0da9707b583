//! After delivery: a **case** for some lines of an order (damaged, wrong item, …), carried out
//! on both sides until the goods and the money are accounted for. Pure: the actions and jobs
//! read the order and the case, ask these functions, and write what they answer in one
//! transaction.
//!
//! A case moves along separate axes, like an order:
//! - the **customer** side: nothing yet → refunded (through the store's own API, once per
//!   store refund id), reshipped or exchanged (a new purchase through the normal route/place/pay
//!   path), or declined;
//! - the **return** leg, when the goods come back: awaited → in transit (a tracking number)
//!   → delivered at its destination → restocked or disposed;
//! - the **supplier** side: nothing asked → asked (with its deadline) → credited (ledger
//!   reference per case, so never twice) or refused; where the supplier's API cannot be asked,
//!   a task for a person with the same deadline.
//!
//! [`open`] checks a request against the order (lines in it, no more than was shipped less
//! what other cases already claim, a refund no larger than what was paid less what was
//! refunded). [`apply`] moves a case by one [`CaseEvent`], forward only and idempotent by the
//! outside references (a retried store refund or supplier credit changes nothing). [`next`]
//! says what is left to do; [`CaseMoney`] what it cost.

use crate::money::Money;
use crate::reference::currency::Currency;
use serde::{Deserialize, Serialize};

/// A payment dispute (chargeback or inquiry) the store tells of.
pub mod dispute;
/// The refund a case asks the store for.
pub mod refund;
/// A return made in the store (Shopify Returns) and what each of its deliveries does.
pub mod store_return;
/// The supplier's side: how it is asked, by when, and what the follower does then.
pub mod supplier;
/// The goods coming back to the agent warehouse: received, inspected, restocked or disposed.
pub mod warehouse;

#[cfg(test)]
mod tests;

/// Why the customer came back (the store's and the suppliers' dispute vocabularies map here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseReason {
    Damaged,
    WrongItem,
    NotAsDescribed,
    NotReceived,
    ChangedMind,
    Other,
}

impl CaseReason {
    pub const ALL: [CaseReason; 6] = [
        CaseReason::Damaged,
        CaseReason::WrongItem,
        CaseReason::NotAsDescribed,
        CaseReason::NotReceived,
        CaseReason::ChangedMind,
        CaseReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseReason::Damaged => "damaged",
            CaseReason::WrongItem => "wrong_item",
            CaseReason::NotAsDescribed => "not_as_described",
            CaseReason::NotReceived => "not_received",
            CaseReason::ChangedMind => "changed_mind",
            CaseReason::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<CaseReason> {
        CaseReason::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Whether the supplier is at fault, so its side is asked for a refund. A customer who
    /// changed their mind is the merchant's cost, not the supplier's.
    pub fn supplier_at_fault(self) -> bool {
        !matches!(self, CaseReason::ChangedMind | CaseReason::Other)
    }
}

/// What the merchant chose to do for the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resolution {
    /// Money back: `goods` for the lines, `shipping` of what was charged for it. With a
    /// return, the refund is made once the goods are delivered back.
    Refund {
        goods: Money,
        shipping: Money,
        with_return: bool,
    },
    /// The same goods again, as a new purchase.
    Reship,
    /// Another variant (the store's variant id), as a new purchase; the goods come back.
    /// `sku`: that variant's SKU, for a store whose mappings are by SKU (dropflow does not
    /// hold the store's catalogue, so it cannot look the SKU up from the variant).
    Exchange {
        variant_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sku: Option<String>,
    },
    /// The goods come back first; the merchant decides once they are in.
    ReturnFirst,
}

impl Resolution {
    pub fn kind(&self) -> &'static str {
        match self {
            Resolution::Refund { .. } => "refund",
            Resolution::Reship => "reship",
            Resolution::Exchange { .. } => "exchange",
            Resolution::ReturnFirst => "return_first",
        }
    }

    /// Whether the goods travel back before anything else happens.
    pub fn needs_return(&self) -> bool {
        match self {
            Resolution::Refund { with_return, .. } => *with_return,
            Resolution::Exchange { .. } | Resolution::ReturnFirst => true,
            Resolution::Reship => false,
        }
    }
}

/// One order line as a case needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLineFacts {
    /// The store's line id.
    pub line_id: String,
    pub title: String,
    /// What the customer paid per unit, in the order's currency.
    pub unit_price: Money,
    /// Units shipped to the customer so far.
    pub shipped: u32,
    /// Units already claimed by other cases that were not declined.
    pub claimed: u32,
}

/// The order a case is opened against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    pub currency: Currency,
    pub lines: Vec<OrderLineFacts>,
    /// Shipping the customer was charged.
    pub shipping_charged: Money,
    /// Refunded to the customer so far, by any case or in the store: (goods, shipping).
    pub refunded_goods: Money,
    pub refunded_shipping: Money,
}

/// What an order's other cases already hold: the units they claim per line (a declined case
/// frees its units, and so does one closed before anything was done for the customer) and the refund they plan or made, so two cases never refund the same
/// money or claim the same unit twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claimed {
    /// Units per store line id.
    pub units: std::collections::BTreeMap<String, u32>,
    /// Refund of goods planned or made, in minor units of the order's currency.
    pub goods_minor: i64,
    pub shipping_minor: i64,
}

/// Sums what the given cases (every case of one order) hold.
pub fn claimed<'a>(cases: impl IntoIterator<Item = (&'a CaseState, &'a [CaseLine])>) -> Claimed {
    let mut held = Claimed::default();
    for (state, lines) in cases {
        if matches!(state.customer, CustomerSide::Declined { .. }) {
            continue;
        }
        // Closed before anything was done for the customer and with the goods still theirs
        // (a return the customer withdrew, a claim closed with a note): it holds nothing.
        if state.closed.is_some()
            && matches!(state.customer, CustomerSide::Pending)
            && state.refunds.is_empty()
            && matches!(state.ret, ReturnLeg::NotNeeded | ReturnLeg::Awaited)
        {
            continue;
        }
        for line in lines {
            let units = held.units.entry(line.line_id.clone()).or_default();
            *units = units.saturating_add(line.quantity);
        }
        let made: i64 = state.refunds.iter().map(|r| r.amount.minor).sum();
        match &state.resolution {
            // A refund case reserves what it plans even before the store pays it; a refund
            // larger than planned (made in the store) counts as made.
            Resolution::Refund {
                goods, shipping, ..
            } => {
                held.shipping_minor += shipping.minor;
                held.goods_minor += goods.minor.max(made - shipping.minor);
            }
            _ => held.goods_minor += made,
        }
    }
    held
}

/// Some units of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseLine {
    pub line_id: String,
    pub quantity: u32,
}

/// What the merchant (or the store) asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRequest {
    pub reason: CaseReason,
    pub lines: Vec<CaseLine>,
    pub resolution: Resolution,
}

/// Why a case cannot be opened as asked; each names the line or the amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseProblem {
    #[error("a case needs at least one line")]
    NoLines,
    #[error("line {0}: not in this order")]
    UnknownLine(String),
    #[error("line {0}: named twice")]
    DuplicateLine(String),
    #[error("line {line_id}: quantity must be at least 1")]
    ZeroQuantity { line_id: String },
    #[error(
        "line {line_id}: {asked} asked, but only {open} of it can be claimed ({shipped} shipped, {claimed} in other cases)"
    )]
    MoreThanShipped {
        line_id: String,
        asked: u32,
        open: u32,
        shipped: u32,
        claimed: u32,
    },
    #[error("{field}: the amount is in {given}, the order in {order}")]
    WrongCurrency {
        field: &'static str,
        given: String,
        order: String,
    },
    #[error("{field}: must not be negative")]
    Negative { field: &'static str },
    #[error("{field}: {asked} is more than the {left} that can still be refunded")]
    MoreThanPaid {
        field: &'static str,
        asked: String,
        left: String,
    },
    #[error("refund: nothing to refund (goods and shipping are both 0)")]
    EmptyRefund,
    #[error("exchange: give the variant to send instead")]
    NoVariant,
}

/// A case request found acceptable: what to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub state: CaseState,
    /// What the claimed lines were paid (the most a refund of them may be).
    pub lines_value: Money,
}

/// Checks a request against the order and answers the case's first state.
pub fn open(order: &OrderFacts, request: &CaseRequest) -> Result<Opening, CaseProblem> {
    if request.lines.is_empty() {
        return Err(CaseProblem::NoLines);
    }
    let mut lines_value = 0i64;
    for (index, line) in request.lines.iter().enumerate() {
        if request.lines[..index]
            .iter()
            .any(|earlier| earlier.line_id == line.line_id)
        {
            return Err(CaseProblem::DuplicateLine(line.line_id.clone()));
        }
        let facts = order
            .lines
            .iter()
            .find(|l| l.line_id == line.line_id)
            .ok_or_else(|| CaseProblem::UnknownLine(line.line_id.clone()))?;
        if line.quantity == 0 {
            return Err(CaseProblem::ZeroQuantity {
                line_id: line.line_id.clone(),
            });
        }
        let open = facts.shipped.saturating_sub(facts.claimed);
        if line.quantity > open {
            return Err(CaseProblem::MoreThanShipped {
                line_id: line.line_id.clone(),
                asked: line.quantity,
                open,
                shipped: facts.shipped,
                claimed: facts.claimed,
            });
        }
        lines_value =
            lines_value.saturating_add(facts.unit_price.minor.saturating_mul(line.quantity.into()));
    }
    let lines_value = Money::new(lines_value, order.currency);
    match &request.resolution {
        Resolution::Refund {
            goods, shipping, ..
        } => {
            check_amount(order, "refund.goods", goods, lines_value.minor)?;
            let paid_goods: i64 = order
                .lines
                .iter()
                .map(|l| l.unit_price.minor.saturating_mul(l.shipped.into()))
                .sum();
            check_amount(
                order,
                "refund.goods",
                goods,
                paid_goods - order.refunded_goods.minor,
            )?;
            check_amount(
                order,
                "refund.shipping",
                shipping,
                order.shipping_charged.minor - order.refunded_shipping.minor,
            )?;
            if goods.minor == 0 && shipping.minor == 0 {
                return Err(CaseProblem::EmptyRefund);
            }
        }
        Resolution::Exchange { variant_id, .. } if variant_id.trim().is_empty() => {
            return Err(CaseProblem::NoVariant)
        }
        _ => {}
    }
    let state = CaseState {
        currency: order.currency,
        reason: request.reason,
        resolution: request.resolution.clone(),
        customer: CustomerSide::Pending,
        ret: if request.resolution.needs_return() {
            ReturnLeg::Awaited
        } else {
            ReturnLeg::NotNeeded
        },
        supplier: if request.reason.supplier_at_fault() {
            SupplierSide::NotAsked
        } else {
            SupplierSide::NotNeeded
        },
        refunds: Vec::new(),
        credits: Vec::new(),
        replacement_cost: None,
        closed: None,
    };
    Ok(Opening { state, lines_value })
}

/// A refund made in the store (by a person there, or by the store's return flow), as its
/// webhook tells it: which units went back, what the customer got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRefund {
    /// The store's refund id: the case's reference, so a delivery repeated opens one case.
    pub refund_id: String,
    /// The store's id of the order.
    pub order_external_id: String,
    /// Units refunded per store line (none for a refund of money only).
    pub lines: Vec<CaseLine>,
    /// The currency of the money below; `None` when the refund moved no money (a restock
    /// only), whose amounts are then 0.
    pub currency: Option<Currency>,
    /// What the customer got back in all (successful refund transactions), in minor units.
    pub total_minor: i64,
    /// Of which shipping.
    pub shipping_minor: i64,
    /// The store's return this refund settles, when it settles one: the goods come back.
    pub return_id: Option<String>,
    pub note: Option<String>,
}

/// The case a store refund becomes: already refunded on the customer side, the supplier
/// still to be asked. Only units that shipped and no other case holds are claimed (a refund
/// of unshipped units is a cancellation, handled with the order); `None` when the refund
/// claims no shipped unit. Money in another currency than the order's is refused.
pub fn from_store_refund(
    order: &OrderFacts,
    refund: &StoreRefund,
) -> Result<Option<(Vec<CaseLine>, CaseState)>, CaseProblem> {
    if let Some(currency) = refund.currency.filter(|c| *c != order.currency) {
        return Err(CaseProblem::WrongCurrency {
            field: "refund",
            given: currency.code().to_string(),
            order: order.currency.code().to_string(),
        });
    }
    let lines: Vec<CaseLine> = refund
        .lines
        .iter()
        .filter_map(|line| {
            let facts = order.lines.iter().find(|l| l.line_id == line.line_id)?;
            let open = facts.shipped.saturating_sub(facts.claimed);
            let quantity = line.quantity.min(open);
            (quantity > 0).then(|| CaseLine {
                line_id: line.line_id.clone(),
                quantity,
            })
        })
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    let goods = Money::new(
        (refund.total_minor - refund.shipping_minor).max(0),
        order.currency,
    );
    let with_return = refund.return_id.is_some();
    let state = CaseState {
        currency: order.currency,
        reason: CaseReason::Other,
        resolution: Resolution::Refund {
            goods,
            shipping: Money::new(refund.shipping_minor, order.currency),
            with_return,
        },
        customer: CustomerSide::Refunded,
        ret: if with_return {
            ReturnLeg::Awaited
        } else {
            ReturnLeg::NotNeeded
        },
        // Why the customer was refunded is the merchant's to tell: the supplier is asked or
        // the case closed with a note.
        supplier: SupplierSide::NotAsked,
        refunds: (refund.total_minor > 0)
            .then(|| Movement {
                reference: refund.refund_id.clone(),
                amount: Money::new(refund.total_minor, order.currency),
            })
            .into_iter()
            .collect(),
        credits: Vec::new(),
        replacement_cost: None,
        closed: None,
    };
    Ok(Some((lines, state)))
}

fn check_amount(
    order: &OrderFacts,
    field: &'static str,
    amount: &Money,
    left_minor: i64,
) -> Result<(), CaseProblem> {
    if amount.currency != order.currency {
        return Err(CaseProblem::WrongCurrency {
            field,
            given: amount.currency.code().to_string(),
            order: order.currency.code().to_string(),
        });
    }
    if amount.minor < 0 {
        return Err(CaseProblem::Negative { field });
    }
    let left = left_minor.max(0);
    if amount.minor > left {
        return Err(CaseProblem::MoreThanPaid {
            field,
            asked: amount.to_decimal_string(),
            left: Money::new(left, order.currency).to_decimal_string(),
        });
    }
    Ok(())
}

/// The customer's side of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CustomerSide {
    Pending,
    Refunded,
    /// The replacement purchase (reship or exchange) was placed.
    ReplacementOrdered {
        supplier_order_id: String,
    },
    ReplacementShipped {
        supplier_order_id: String,
    },
    Declined {
        note: String,
    },
}

/// The goods coming back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReturnLeg {
    NotNeeded,
    Awaited,
    InTransit { tracking_number: String },
    Delivered { tracking_number: Option<String> },
    Restocked,
    Disposed,
}

impl ReturnLeg {
    /// Whether the goods are back (or were never to come back).
    pub fn settled(&self) -> bool {
        matches!(
            self,
            ReturnLeg::NotNeeded | ReturnLeg::Restocked | ReturnLeg::Disposed
        )
    }

    fn back(&self) -> bool {
        matches!(
            self,
            ReturnLeg::Delivered { .. } | ReturnLeg::Restocked | ReturnLeg::Disposed
        )
    }
}

/// The supplier's side of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SupplierSide {
    /// Not the supplier's fault (the customer changed their mind).
    NotNeeded,
    NotAsked,
    /// Asked through its API (`by_api`) or left to a person (a vendor, or a task for the
    /// merchant), answer due by `due_ms`; `purchase` is our supplier order the claimed goods
    /// came from, `request_id` the supplier's id of the request (its dispute or refund).
    Asked {
        by_api: bool,
        due_ms: i64,
        #[serde(default)]
        purchase: Option<String>,
        #[serde(default)]
        request_id: Option<String>,
    },
    Credited,
    Refused {
        note: String,
    },
    /// The window closed with no answer: a person decides what is lost.
    Expired,
}

impl SupplierSide {
    pub fn settled(&self) -> bool {
        matches!(
            self,
            SupplierSide::NotNeeded
                | SupplierSide::Credited
                | SupplierSide::Refused { .. }
                | SupplierSide::Expired
        )
    }
}

/// Money moved for a case, recorded with the outside reference that makes it once only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// The store's refund id, or the supplier's refund or dispute reference.
    pub reference: String,
    pub amount: Money,
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub at_ms: i64,
    pub note: Option<String>,
}

/// A case as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    pub currency: Currency,
    pub reason: CaseReason,
    pub resolution: Resolution,
    pub customer: CustomerSide,
    pub ret: ReturnLeg,
    pub supplier: SupplierSide,
    /// Refunds made to the customer (store refund id → amount).
    pub refunds: Vec<Movement>,
    /// Credits received from the supplier (its reference → amount).
    pub credits: Vec<Movement>,
    /// What the replacement purchase cost, once paid (in the order's currency).
    pub replacement_cost: Option<Money>,
    pub closed: Option<Closure>,
}

/// One thing that happened to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseEvent {
    /// The store made a refund (ours through its API, or one a person made in the store).
    CustomerRefunded {
        refund_id: String,
        amount: Money,
    },
    /// The return parcel's tracking number, checked by the caller.
    ReturnShipped {
        tracking_number: String,
    },
    ReturnDelivered,
    /// What became of the returned goods.
    ReturnSettled {
        restocked: bool,
    },
    /// After a return-first case's goods are back: what the merchant now does.
    Decided {
        resolution: Resolution,
    },
    SupplierAsked {
        by_api: bool,
        due_ms: i64,
        purchase: Option<String>,
        request_id: Option<String>,
    },
    SupplierCredited {
        reference: String,
        amount: Money,
    },
    SupplierRefused {
        note: String,
    },
    /// The supplier's window closed without an answer.
    SupplierExpired,
    ReplacementOrdered {
        supplier_order_id: String,
        cost: Money,
    },
    ReplacementShipped,
    /// The supplier refused the replacement purchase `supplier_order_id` (out of stock):
    /// the customer is waiting again, and the replacement is bought anew (from the next
    /// offer: the route counts the refusing one as out of stock for this order).
    ReplacementRefused {
        supplier_order_id: String,
    },
    /// The merchant declines the customer's claim.
    Declined {
        note: String,
    },
    Close {
        at_ms: i64,
        note: Option<String>,
    },
}

/// Why an event does not fit the case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseConflict {
    #[error("the case is closed")]
    Closed,
    #[error("{0}")]
    NotNow(String),
    #[error("{field}: the amount is in {given}, the case in {case}")]
    WrongCurrency {
        field: &'static str,
        given: String,
        case: String,
    },
    #[error("{0}: must be more than 0")]
    NotPositive(&'static str),
}

/// What [`apply`] made of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Boxed: a whole case, next to a variant with nothing in it.
    Changed(Box<CaseState>),
    /// Already recorded (the same refund id or credit reference again): nothing to write.
    Unchanged,
}

/// Moves the case by one event: forward only, and idempotent by outside reference.
pub fn apply(state: &CaseState, event: CaseEvent) -> Result<Applied, CaseConflict> {
    if state.closed.is_some() {
        // A retried refund or credit for a closed case is the same fact again, not an error.
        return match &event {
            CaseEvent::CustomerRefunded { refund_id, .. }
                if state.refunds.iter().any(|r| &r.reference == refund_id) =>
            {
                Ok(Applied::Unchanged)
            }
            CaseEvent::SupplierCredited { reference, .. }
                if state.credits.iter().any(|c| &c.reference == reference) =>
            {
                Ok(Applied::Unchanged)
            }
            _ => Err(CaseConflict::Closed),
        };
    }
    let mut next = state.clone();
    let not_now = |what: &str| CaseConflict::NotNow(what.to_string());
    match event {
        CaseEvent::CustomerRefunded { refund_id, amount } => {
            if state.refunds.iter().any(|r| r.reference == refund_id) {
                return Ok(Applied::Unchanged);
            }
            positive(state, "refund", &amount)?;
            next.refunds.push(Movement {
                reference: refund_id,
                amount,
            });
            if matches!(next.customer, CustomerSide::Pending) {
                next.customer = CustomerSide::Refunded;
            }
        }
        CaseEvent::ReturnShipped { tracking_number } => match state.ret {
            ReturnLeg::Awaited | ReturnLeg::InTransit { .. } => {
                next.ret = ReturnLeg::InTransit { tracking_number }
            }
            _ => return Err(not_now("no return is awaited for this case")),
        },
        CaseEvent::ReturnDelivered => match &state.ret {
            ReturnLeg::Awaited => {
                next.ret = ReturnLeg::Delivered {
                    tracking_number: None,
                }
            }
            ReturnLeg::InTransit { tracking_number } => {
                next.ret = ReturnLeg::Delivered {
                    tracking_number: Some(tracking_number.clone()),
                }
            }
            ReturnLeg::Delivered { .. } => return Ok(Applied::Unchanged),
            _ => return Err(not_now("no return is on its way for this case")),
        },
        CaseEvent::ReturnSettled { restocked } => match state.ret {
            ReturnLeg::Delivered { .. } => {
                next.ret = if restocked {
                    ReturnLeg::Restocked
                } else {
                    ReturnLeg::Disposed
                }
            }
            _ => return Err(not_now("the returned goods are not in yet")),
        },
        CaseEvent::Decided { resolution } => {
            if state.resolution != Resolution::ReturnFirst {
                return Err(not_now("the resolution was already chosen"));
            }
            if !state.ret.back() {
                return Err(not_now("decide once the returned goods are in"));
            }
            if matches!(resolution, Resolution::ReturnFirst) {
                return Err(not_now(
                    "the goods are back: choose refund, reship or exchange",
                ));
            }
            next.resolution = resolution;
        }
        CaseEvent::SupplierAsked {
            by_api,
            due_ms,
            purchase,
            request_id,
        } => match state.supplier {
            SupplierSide::NotAsked => {
                next.supplier = SupplierSide::Asked {
                    by_api,
                    due_ms,
                    purchase,
                    request_id,
                }
            }
            SupplierSide::Asked { .. } => return Ok(Applied::Unchanged),
            _ => return Err(not_now("the supplier's side is settled")),
        },
        CaseEvent::SupplierCredited { reference, amount } => {
            if state.credits.iter().any(|c| c.reference == reference) {
                return Ok(Applied::Unchanged);
            }
            // In the currency the goods were bought in (a CNY purchase for a EUR order).
            if amount.minor <= 0 {
                return Err(CaseConflict::NotPositive("supplier credit"));
            }
            next.credits.push(Movement { reference, amount });
            // A credit after a refusal or the window closing is still money recovered.
            next.supplier = SupplierSide::Credited;
        }
        CaseEvent::SupplierRefused { note } => match state.supplier {
            SupplierSide::NotAsked | SupplierSide::Asked { .. } => {
                next.supplier = SupplierSide::Refused { note }
            }
            _ => return Err(not_now("the supplier's side is settled")),
        },
        CaseEvent::SupplierExpired => match state.supplier {
            SupplierSide::Asked { .. } => next.supplier = SupplierSide::Expired,
            _ => return Ok(Applied::Unchanged),
        },
        CaseEvent::ReplacementOrdered {
            supplier_order_id,
            cost,
        } => {
            if !matches!(
                state.resolution,
                Resolution::Reship | Resolution::Exchange { .. }
            ) {
                return Err(not_now("this case sends no replacement"));
            }
            match &state.customer {
                CustomerSide::Pending => {}
                CustomerSide::ReplacementOrdered {
                    supplier_order_id: known,
                } if *known == supplier_order_id => return Ok(Applied::Unchanged),
                _ => return Err(not_now("the replacement was already sent")),
            }
            // In the currency the replacement was bought in (the supplier's).
            next.replacement_cost = Some(cost);
            next.customer = CustomerSide::ReplacementOrdered { supplier_order_id };
        }
        CaseEvent::ReplacementShipped => match &state.customer {
            CustomerSide::ReplacementOrdered { supplier_order_id } => {
                next.customer = CustomerSide::ReplacementShipped {
                    supplier_order_id: supplier_order_id.clone(),
                }
            }
            CustomerSide::ReplacementShipped { .. } => return Ok(Applied::Unchanged),
            _ => return Err(not_now("no replacement was ordered")),
        },
        CaseEvent::ReplacementRefused { supplier_order_id } => match &state.customer {
            CustomerSide::ReplacementOrdered {
                supplier_order_id: ordered,
            } if *ordered == supplier_order_id => {
                next.customer = CustomerSide::Pending;
                // Nothing was bought: the cost recorded when it was ordered is not spent.
                next.replacement_cost = None;
            }
            // Another purchase, or the case moved on: this refusal is not its replacement's.
            _ => return Ok(Applied::Unchanged),
        },
        CaseEvent::Declined { note } => match state.customer {
            CustomerSide::Pending => {
                next.customer = CustomerSide::Declined { note };
                // A claim the merchant refuses is nothing to ask the supplier for: a request
                // left to a person (a vendor, a task) is dropped; one made through the
                // supplier's API keeps its answer coming.
                if matches!(
                    state.supplier,
                    SupplierSide::NotAsked | SupplierSide::Asked { by_api: false, .. }
                ) {
                    next.supplier = SupplierSide::NotNeeded;
                }
                // Nor is there anything to send back; goods already on their way still are.
                if matches!(state.ret, ReturnLeg::Awaited) {
                    next.ret = ReturnLeg::NotNeeded;
                }
            }
            _ => return Err(not_now("the customer's side is already settled")),
        },
        CaseEvent::Close { at_ms, note } => {
            let left = next_steps(state);
            if !left.is_empty() && note.is_none() {
                // Closing with work left is a person's call, and says why.
                return Err(CaseConflict::NotNow(format!(
                    "still to do: {}; closing now needs a note saying why",
                    left.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            next.closed = Some(Closure { at_ms, note });
        }
    }
    Ok(Applied::Changed(Box::new(next)))
}

fn same_currency(
    state: &CaseState,
    field: &'static str,
    amount: &Money,
) -> Result<(), CaseConflict> {
    if amount.currency != state.currency {
        return Err(CaseConflict::WrongCurrency {
            field,
            given: amount.currency.code().to_string(),
            case: state.currency.code().to_string(),
        });
    }
    Ok(())
}

fn positive(state: &CaseState, field: &'static str, amount: &Money) -> Result<(), CaseConflict> {
    same_currency(state, field, amount)?;
    if amount.minor <= 0 {
        return Err(CaseConflict::NotPositive(field));
    }
    Ok(())
}

/// What is left to do on a case, in the order it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Send the customer the return instructions and wait for the parcel.
    AwaitReturn,
    /// Record what became of the returned goods (restock or dispose).
    SettleReturn,
    /// The goods are back: the merchant picks refund, reship or exchange.
    Decide,
    /// Refund the customer through the store's API.
    RefundCustomer,
    /// Buy the replacement through route/place/pay.
    OrderReplacement,
    /// Ask the supplier (its API, or a task for a person).
    AskSupplier,
    /// Wait for the supplier's answer (or its deadline).
    AwaitSupplier,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::AwaitReturn => "await_return",
            Step::SettleReturn => "settle_return",
            Step::Decide => "decide",
            Step::RefundCustomer => "refund_customer",
            Step::OrderReplacement => "order_replacement",
            Step::AskSupplier => "ask_supplier",
            Step::AwaitSupplier => "await_supplier",
        }
    }
}

/// What is left before the case can close by itself (empty: it can).
pub fn next_steps(state: &CaseState) -> Vec<Step> {
    let mut steps = Vec::new();
    if state.closed.is_some() {
        return steps;
    }
    match state.ret {
        ReturnLeg::Awaited | ReturnLeg::InTransit { .. } => steps.push(Step::AwaitReturn),
        ReturnLeg::Delivered { .. } => steps.push(Step::SettleReturn),
        _ => {}
    }
    let goods_back_or_not_needed = !state.resolution.needs_return() || state.ret.back();
    if matches!(state.customer, CustomerSide::Pending) {
        match &state.resolution {
            Resolution::ReturnFirst if state.ret.back() => steps.push(Step::Decide),
            Resolution::ReturnFirst => {}
            Resolution::Refund { .. } if goods_back_or_not_needed => {
                steps.push(Step::RefundCustomer)
            }
            // An exchange's new variant goes out once the old one is on its way back.
            Resolution::Exchange { .. }
                if matches!(state.ret, ReturnLeg::InTransit { .. }) || state.ret.back() =>
            {
                steps.push(Step::OrderReplacement)
            }
            Resolution::Reship => steps.push(Step::OrderReplacement),
            _ => {}
        }
    }
    match state.supplier {
        SupplierSide::NotAsked => steps.push(Step::AskSupplier),
        SupplierSide::Asked { .. } => steps.push(Step::AwaitSupplier),
        _ => {}
    }
    steps
}

/// Whether the case has nothing left to do and can be closed by itself.
pub fn complete(state: &CaseState) -> bool {
    state.closed.is_none()
        && state.ret.settled()
        && state.supplier.settled()
        && !matches!(
            state.customer,
            CustomerSide::Pending | CustomerSide::ReplacementOrdered { .. }
        )
}

/// The money of one case, in the order's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CaseMoney {
    /// Refunded to the customer.
    pub refunded: Money,
    /// Recovered from the supplier.
    pub recovered: Money,
    /// What the replacement purchase cost.
    pub replacement: Money,
    /// refunded + replacement − recovered: what the case cost the merchant.
    pub net_loss: Money,
}

impl CaseMoney {
    /// The case's money in its currency; a supplier credit in another currency (the
    /// purchase's) is not converted here, and is left out of `recovered` and `net_loss`.
    pub fn of(state: &CaseState) -> CaseMoney {
        let sum = |moves: &[Movement]| {
            moves
                .iter()
                .filter(|m| m.amount.currency == state.currency)
                .map(|m| m.amount.minor)
                .sum::<i64>()
        };
        let refunded = sum(&state.refunds);
        let recovered = sum(&state.credits);
        let replacement = state
            .replacement_cost
            .filter(|m| m.currency == state.currency)
            .map(|m| m.minor)
            .unwrap_or(0);
        let money = |minor| Money::new(minor, state.currency);
        CaseMoney {
            refunded: money(refunded),
            recovered: money(recovered),
            replacement: money(replacement),
            net_loss: money(refunded + replacement - recovered),
        }
    }
}

/// When the supplier's answer is due, from when the case was opened: `window_days` from the
/// supplier's dispute rules (AliExpress: its buyer-protection window, counted from delivery;
/// others: how long the merchant gives them). An already closed window is due now.
pub fn supplier_due_ms(
    opened_ms: i64,
    delivered_ms: Option<i64>,
    window_days: u32,
    counts_from_delivery: bool,
) -> i64 {
    const DAY_MS: i64 = 86_400_000;
    let start = if counts_from_delivery {
        delivered_ms.unwrap_or(opened_ms)
    } else {
        opened_ms
    };
    (start + i64::from(window_days) * DAY_MS).max(opened_ms)
}
