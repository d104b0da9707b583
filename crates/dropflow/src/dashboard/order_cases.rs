//! The order page's Cases section (owners and staff): each after-sale case of the order —
//! where its customer, return and supplier sides stand, its lines, money, what is left, its
//! steps on the timeline and the customer's photos — with the forms its state allows
//! ([`super::case_rules::allowed`]), the form to open a case for shipped units, and the
//! link to the order's evidence file. Read through [`crate::services::cases`], the API's own
//! functions; the forms post to [`super::case_actions`].

use super::case_rules::{self, CaseFacts, CaseForms};
use super::error::PageError;
use super::view;
use crate::services::cases::{self, CaseView};
use crate::services::{Caller, Context};
use crate::storage::accounts::Role;
use crate::storage::orders::TimelineEntry;
use dropflow_core::after_sale::CaseReason;
use dropflow_core::ids::OrderId;

/// One case as a page shows it.
pub struct CaseCard {
    pub id: String,
    pub order_id: String,
    /// Whether the card links to its order (pages other than the order's own).
    pub order_link: bool,
    /// The merchant's own view: the case's money and who opened it (a vendor sees the claim,
    /// not the merchant's margins or staff).
    pub for_merchant: bool,
    pub reason: String,
    pub resolution: String,
    /// The resolution's terms in words ("goods 12.00 USD, shipping 0.00 USD, after the
    /// goods are back"); empty when it has none.
    pub terms: String,
    pub opened: String,
    pub opened_by: String,
    pub note: Option<String>,
    /// "1 × Mug (line 123)".
    pub lines: Vec<String>,
    pub customer: String,
    pub goods_back: String,
    pub supplier: String,
    /// What is left, in words; "ready to close" or "closed" when nothing is.
    pub next: String,
    pub refunded: String,
    pub recovered: String,
    pub replacement: String,
    pub net_loss: String,
    /// The currency of the amounts a form asks for (the order's).
    pub currency: String,
    /// The currency a supplier's refund is recorded in (its purchase's), when known.
    pub credit_currency: Option<String>,
    /// "Closed 2026-05-01 10:00 UTC: the customer kept it"; `None` while open.
    pub closed: Option<String>,
    /// Its steps on the order's timeline, oldest first.
    pub steps: Vec<StepRow>,
    pub photos: Vec<PhotoLink>,
    pub forms: CaseForms,
}

/// One step of a case on the timeline.
pub struct StepRow {
    pub at: String,
    pub actor: String,
    pub text: String,
}

/// One of the customer's photos, served by the dashboard through the viewer's scope.
pub struct PhotoLink {
    pub href: String,
    pub label: String,
}

/// The form that opens a case: the lines with shipped units no other case holds.
pub struct OpenForm {
    pub lines: Vec<OpenLine>,
    pub currency: String,
    pub goods_left: String,
    pub shipping_left: String,
}

pub struct OpenLine {
    pub line_id: String,
    /// The quantity field's name: `qty.<line id>`.
    pub field: String,
    pub title: String,
    pub price: String,
    /// The most a new case may claim of it.
    pub open: u32,
    pub shipped: u32,
    pub claimed: u32,
}

/// The order page's Cases section.
pub struct CasesSection {
    pub evidence_href: String,
    pub cases: Vec<CaseCard>,
    /// `None` when nothing shipped is left to claim.
    pub open_form: Option<OpenForm>,
    /// (value, words) of each reason a case may have.
    pub reasons: Vec<(&'static str, String)>,
}

/// The field a line's quantity is sent in.
pub const QUANTITY_PREFIX: &str = "qty.";

/// The section for a merchant (`None` for anyone else: a vendor answers on its own page).
pub async fn section(
    ctx: &Context,
    caller: &Caller,
    order: OrderId,
    timeline: &[TimelineEntry],
) -> Result<Option<CasesSection>, PageError> {
    if !matches!(caller.role, Role::Owner | Role::Staff) {
        return Ok(None);
    }
    let reference = order.to_string();
    let cases = cases::for_order(ctx, caller, &reference).await?;
    let claimable = cases::claimable(ctx, caller, &reference).await?;
    let lines: Vec<OpenLine> = claimable
        .lines
        .iter()
        .filter(|l| l.open > 0)
        .map(|l| OpenLine {
            field: format!("{QUANTITY_PREFIX}{}", l.line_id),
            line_id: l.line_id.clone(),
            title: l.title.clone(),
            price: format!("{} {}", l.unit_price, claimable.currency),
            open: l.open,
            shipped: l.shipped,
            claimed: l.claimed,
        })
        .collect();
    let open_form = (!lines.is_empty()).then(|| OpenForm {
        lines,
        goods_left: format!("{} {}", claimable.goods_left, claimable.currency),
        shipping_left: format!("{} {}", claimable.shipping_left, claimable.currency),
        currency: claimable.currency.clone(),
    });
    let mut cards = Vec::with_capacity(cases.len());
    for case in &cases {
        let mut shown = card(case, timeline, caller.role);
        shown.credit_currency = purchase_currency(ctx, case).await?;
        cards.push(shown);
    }
    Ok(Some(CasesSection {
        evidence_href: format!("/orders/{order}/evidence"),
        cases: cards,
        open_form,
        reasons: CaseReason::ALL
            .iter()
            .map(|r| (r.as_str(), view::words(r.as_str())))
            .collect(),
    }))
}

/// The currency of the purchase the case's supplier was asked about (what its refund is
/// recorded in, unless the form says otherwise); `None` before it was asked.
pub async fn purchase_currency(
    ctx: &Context,
    case: &CaseView,
) -> Result<Option<String>, PageError> {
    let Some(id) = case.supplier["purchase"]
        .as_str()
        .and_then(|id| id.parse::<dropflow_core::ids::SupplierOrderId>().ok())
    else {
        return Ok(None);
    };
    Ok(crate::storage::supplier_orders::load(&ctx.db, id)
        .await?
        .and_then(|p| p.currency))
}

/// A `state` field of the case view (`customer`, `return`, `supplier`).
fn state_of(part: &serde_json::Value) -> &str {
    part["state"].as_str().unwrap_or("unknown")
}

/// A case as `role` sees it; `timeline` is the order's (empty where the viewer does not
/// see it: a vendor).
pub fn card(case: &CaseView, timeline: &[TimelineEntry], role: Role) -> CaseCard {
    let facts = CaseFacts {
        closed: case.closed_at.is_some(),
        resolution: &case.resolution,
        customer: state_of(&case.customer),
        goods_back: state_of(&case.return_leg),
        supplier: state_of(&case.supplier),
    };
    let money = |amount: &str| format!("{amount} {}", case.currency);
    CaseCard {
        id: case.id.clone(),
        order_id: case.order_id.clone(),
        order_link: false,
        for_merchant: matches!(role, Role::Owner | Role::Staff),
        reason: view::words(&case.reason),
        resolution: view::words(&case.resolution),
        terms: terms(case),
        opened: view::time(&case.created_at),
        opened_by: case.opened_by.clone(),
        note: case.note.clone(),
        lines: case
            .lines
            .iter()
            .map(|l| format!("{} × {} (line {})", l.quantity, l.title, l.line_id))
            .collect(),
        customer: customer_words(&case.customer),
        goods_back: goods_back_words(&case.return_leg),
        supplier: supplier_words(case),
        next: super::returns::next_words(case),
        refunded: money(&case.money.refunded),
        recovered: money(&case.money.recovered),
        replacement: money(&case.money.replacement),
        net_loss: money(&case.money.net_loss),
        currency: case.currency.clone(),
        credit_currency: None,
        closed: case.closed_at.as_ref().map(|at| match &case.closing_note {
            Some(note) => format!("Closed {}: {note}", view::time(at)),
            None => format!("Closed {}", view::time(at)),
        }),
        steps: crate::services::timeline::of_case(timeline, &case.id)
            .map(|e| StepRow {
                at: view::time(&e.at),
                actor: e.actor.clone(),
                text: crate::services::timeline::sentence(&e.kind, &e.detail),
            })
            .collect(),
        photos: case
            .photos
            .iter()
            .enumerate()
            .map(|(n, p)| PhotoLink {
                href: format!("/cases/{}/photos/{}", case.id, p.id),
                label: format!(
                    "Photo {} ({}, {}, added {})",
                    n + 1,
                    p.content_type.trim_start_matches("image/"),
                    view::bytes(p.size_bytes),
                    view::time(&p.created_at)
                ),
            })
            .collect(),
        forms: case_rules::allowed(&facts, role),
    }
}

fn terms(case: &CaseView) -> String {
    let text = |key: &str| case.terms[key].as_str().unwrap_or_default().to_string();
    match case.resolution.as_str() {
        "refund" => format!(
            "goods {} {c}, shipping {} {c}{}",
            text("goods"),
            text("shipping"),
            if case.terms["with_return"].as_bool() == Some(true) {
                ", once the goods are back"
            } else {
                ""
            },
            c = case.currency
        ),
        "exchange" => format!("for variant {}", text("variant_id")),
        _ => String::new(),
    }
}

fn customer_words(customer: &serde_json::Value) -> String {
    match state_of(customer) {
        "declined" => format!(
            "declined: {}",
            customer["note"].as_str().unwrap_or_default()
        ),
        other => view::words(other),
    }
}

fn goods_back_words(leg: &serde_json::Value) -> String {
    match (state_of(leg), leg["tracking_number"].as_str()) {
        ("not_needed", _) => "not needed".into(),
        (state, Some(number)) => format!("{} ({number})", view::words(state)),
        (state, None) => view::words(state),
    }
}

fn supplier_words(case: &CaseView) -> String {
    let side = &case.supplier;
    match state_of(side) {
        "asked" => {
            let how = if side["by_api"].as_bool() == Some(true) {
                "asked through its API"
            } else {
                "asked, a person answers"
            };
            match &case.supplier_due_at {
                Some(due) => format!("{how}; answer due {}", view::time(due)),
                None => how.to_string(),
            }
        }
        "refused" => format!("refused: {}", side["note"].as_str().unwrap_or_default()),
        other => view::words(other),
    }
}
