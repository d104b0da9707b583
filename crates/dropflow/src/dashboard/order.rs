//! `/orders/{id}`: one order — where it is and why. Lines with what they cost at the
//! supplier, the address, every supplier order and parcel with when it was last asked about
//! and when it will be next, holds, the timeline with who did what, and the buttons its state
//! allows ([`super::rules::allowed`]). For owners and staff, an order shipped through the
//! warehouse also has its Warehouse section ([`super::order_warehouse`]), and every order its
//! Cases section ([`super::order_cases`]: after-sale cases, the evidence file).
//!
//! A vendor sees the orders routed to them, and of those only their own supplier orders and
//! parcels (not the merchant's other suppliers, costs elsewhere or the timeline).

use super::error::PageError;
use super::layout::{shown, Layout};
use super::order_cases::{self, CasesSection};
use super::order_warehouse::{self, WarehouseSection};
use super::rules::{self, OrderAction, OrderFacts, SupplierOrderFacts};
use super::session::Viewer;
use super::view;
use crate::services::Context;
use crate::storage::accounts::{Role, Scope};
use crate::storage::parcels::{self, ParcelView};
use crate::storage::supplier_orders::{self, SupplierOrderView};
use crate::storage::{dashboard as queries, orders};
use crate::suppliers::registry;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use dropflow_core::ids::OrderId;
use dropflow_core::procurement::SupplierOrderStatus;

pub struct LineRow {
    pub title: String,
    pub variant: String,
    pub sku: String,
    pub quantity: i64,
    pub price: String,
    /// `aliexpress:default`, or why there is none.
    pub supplier: String,
    pub supplier_url: Option<String>,
    pub supplier_cost: String,
}

pub struct SupplierOrderRow {
    pub id: String,
    pub supplier: String,
    pub status: String,
    pub reference: String,
    pub cost: String,
    pub placed: String,
    pub paid: String,
    pub last_synced: String,
    pub next_sync: String,
    pub last_error: Option<String>,
}

pub struct ParcelRow {
    pub tracking_number: String,
    pub carrier: String,
    pub tracking_url: Option<String>,
    pub status: String,
    pub check: String,
    pub pushed: String,
    pub last_synced: String,
    pub next_sync: String,
}

pub use super::timeline::EventRow;

pub struct HoldRow {
    pub reason: String,
    pub detail: String,
}

/// An open flag (a change after purchase a person settles), with what can be done about it.
pub struct FlagRow {
    pub id: String,
    pub kind: String,
    pub detail: String,
    /// The purchase it is about, when a placement is to be linked by hand or bought again.
    pub link_purchase: Option<String>,
    /// A line's quantity went up after its purchase: the extra can be bought.
    pub more_wanted: bool,
}

/// A button, as the template draws it.
pub struct Button {
    /// Where the form posts.
    pub action: String,
    pub label: String,
    /// `primary` for the main next step.
    pub class: &'static str,
}

/// A tracking form for a manual vendor's supplier order.
pub struct TrackingForm {
    pub supplier_order_id: String,
    pub supplier: String,
}

/// The order's shipping, discounts and taxes as the page shows them.
struct AmountsView {
    shipping: String,
    discounts: String,
    taxes: String,
}

impl AmountsView {
    fn of(amounts: &orders::ChargedAmounts, currency: &str) -> Self {
        let taxes = view::money(amounts.taxes_minor, currency);
        Self {
            shipping: view::money(amounts.shipping_minor, currency),
            discounts: view::money(amounts.discounts_minor, currency),
            taxes: if amounts.taxes_included {
                format!("{taxes} (included in prices)")
            } else {
                format!("{taxes} (added to prices)")
            },
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/order.html")]
struct OrderPage {
    layout: Layout,
    id: String,
    store: String,
    status: &'static str,
    payment: String,
    total: String,
    /// What the total holds besides the lines, shown beside it.
    amounts: AmountsView,
    created: String,
    customer: String,
    address: Vec<String>,
    lines: Vec<LineRow>,
    supplier_orders: Vec<SupplierOrderRow>,
    parcels: Vec<ParcelRow>,
    holds: Vec<HoldRow>,
    /// Open flags, for owners and staff.
    flags: Vec<FlagRow>,
    cancel_reason: Option<String>,
    timeline: Vec<EventRow>,
    show_timeline: bool,
    buttons: Vec<Button>,
    tracking_forms: Vec<TrackingForm>,
    /// Owners and staff, for an order shipped through the warehouse.
    warehouse: Option<WarehouseSection>,
    /// Owners and staff: the order's after-sale cases and the form to open one.
    cases: Option<CasesSection>,
    /// Owners and staff: the order's profit, or the costs still missing.
    profit: Option<super::profit::ProfitBlock>,
}

/// `GET /orders/{id}`.
pub async fn page(
    State(state): State<Context>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(&[Role::Owner, Role::Staff, Role::Vendor], "open orders")?;
    let not_found = || PageError::NotFound("order not found".into());
    let id: OrderId = id.parse().map_err(|_| not_found())?;
    viewer
        .caller
        .order(&state.db, id)
        .await
        .map_err(|_| not_found())?;
    let detail = orders::get(&state.db, id).await?.ok_or_else(not_found)?;
    let mut sos = supplier_orders::for_order(&state.db, id).await?;
    let mut parcels = parcels::for_order(&state.db, id).await?;
    let vendor = match &viewer.caller.scope {
        Scope::Vendor { vendor, .. } => Some(vendor.clone()),
        _ => None,
    };
    if let Some(vendor) = &vendor {
        sos.retain(|s| {
            registry::capabilities_of(&s.supplier).hands_over_to_person
                && s.supplier_account == *vendor
        });
        parcels.retain(|p| {
            p.supplier_order_id
                .as_ref()
                .is_some_and(|so| sos.iter().any(|s| s.id == *so))
        });
    }

    let facts: Vec<SupplierOrderFacts> = sos
        .iter()
        .filter_map(|s| {
            Some(SupplierOrderFacts {
                id: s.id.clone(),
                status: SupplierOrderStatus::parse(&s.status)?,
                manual: registry::capabilities_of(&s.supplier).hands_over_to_person,
            })
        })
        .collect();
    let hold_reasons: Vec<_> = detail.state.holds.iter().map(|h| h.reason).collect();
    let allowed = rules::allowed(
        &OrderFacts {
            cancelled: detail.state.cancel_reason.is_some() || detail.state.payment.is_reversed(),
            holds: &hold_reasons,
            routing_failed: !detail.state.routing_failures.is_empty(),
            supplier_orders: &facts,
        },
        viewer.role(),
    );
    let mut buttons = Vec::new();
    let mut tracking_forms = Vec::new();
    for action in allowed {
        let base = format!("/orders/{id}");
        match action {
            OrderAction::Pay => buttons.push(button(format!("{base}/pay"), "Pay", "primary")),
            OrderAction::Place => buttons.push(button(format!("{base}/place"), "Place", "primary")),
            OrderAction::Retry => buttons.push(button(format!("{base}/retry"), "Retry", "")),
            OrderAction::Refresh => {
                buttons.push(button(format!("{base}/refresh"), "Refresh now", ""))
            }
            OrderAction::ReleaseHold(reason) => buttons.push(button(
                format!("{base}/holds/{}/release", reason.as_str()),
                &format!("Release hold: {}", view::words(reason.as_str())),
                "",
            )),
            OrderAction::EnterTracking(so) => tracking_forms.push(TrackingForm {
                supplier: sos
                    .iter()
                    .find(|s| s.id == so)
                    .map(|s| format!("{}:{}", s.supplier, s.supplier_account))
                    .unwrap_or_default(),
                supplier_order_id: so,
            }),
            OrderAction::MarkDelivered(so) => buttons.push(button(
                format!("/supplier-orders/{so}/deliver"),
                "Mark delivered",
                "",
            )),
        }
    }

    let store = queries::visible_stores(&state.db, &viewer.caller.scope)
        .await?
        .into_iter()
        .find(|s| s.id == detail.summary.store_id)
        .map(|s| s.domain)
        .unwrap_or_default();
    let customer = detail
        .customer
        .as_ref()
        .map(|c| {
            let name = c.full_name();
            match (&c.email, name.is_empty()) {
                (Some(email), false) => format!("{name} <{email}>"),
                (Some(email), true) => email.clone(),
                (None, _) => name,
            }
        })
        .unwrap_or_default();
    let address = detail
        .shipping_address
        .as_ref()
        .map(|a| a.label_lines())
        .unwrap_or_default();
    let lines = detail
        .lines
        .iter()
        .map(|l| line_row(l, &detail.summary.currency, &sos))
        .collect();
    let show_timeline = vendor.is_none();
    // Vendors never see the warehouse leg; the operator works from `/warehouse`.
    let warehouse = if matches!(viewer.role(), Role::Owner | Role::Staff) {
        order_warehouse::section(&state.db, &viewer.caller, id, detail.summary.store_id).await?
    } else {
        None
    };
    let cases = order_cases::section(&state, &viewer.caller, id, &detail.timeline).await?;
    let profit = super::profit::block(&state, &viewer.caller, id).await?;
    let flags: Vec<FlagRow> = if vendor.is_some() {
        Vec::new()
    } else {
        crate::storage::flags::for_order(&state.db, id)
            .await?
            .into_iter()
            .filter(|f| f.resolved_at.is_none())
            .map(|f| FlagRow {
                more_wanted: more_wanted(&f, &sos, &detail.lines),
                link_purchase: (f.kind == crate::storage::flags::kind::LINK_BY_HAND)
                    .then(|| f.supplier_order_id.clone())
                    .flatten(),
                kind: view::words(&f.kind),
                detail: f.detail,
                id: f.id,
            })
            .collect()
    };
    let page = OrderPage {
        layout: Layout::new(&viewer, format!("Order {}", detail.summary.name), "orders"),
        id: id.to_string(),
        store,
        status: view::tab_label(detail.summary.tab),
        payment: view::words(detail.summary.payment_status.as_str()),
        total: view::money(detail.summary.total_minor, &detail.summary.currency),
        amounts: AmountsView::of(&detail.amounts, &detail.summary.currency),
        created: view::time(&detail.summary.created_at),
        customer,
        address,
        lines,
        supplier_orders: sos.iter().map(supplier_order_row).collect(),
        parcels: parcels.iter().map(parcel_row).collect(),
        holds: detail
            .state
            .holds
            .iter()
            .map(|h| HoldRow {
                reason: view::words(h.reason.as_str()),
                detail: h.detail.clone(),
            })
            .collect(),
        flags,
        cancel_reason: detail.state.cancel_reason.clone(),
        timeline: if show_timeline {
            super::timeline::rows(&detail.timeline)
        } else {
            Vec::new()
        },
        show_timeline,
        buttons,
        tracking_forms,
        warehouse,
        cases,
        profit,
    };
    Ok(shown(page.render(), &viewer))
}

fn button(action: String, label: &str, class: &'static str) -> Button {
    Button {
        action,
        label: label.to_string(),
        class,
    }
}

fn line_row(line: &orders::OrderLine, currency: &str, sos: &[SupplierOrderView]) -> LineRow {
    let bought = sos.iter().find_map(|so| {
        so.items
            .iter()
            .find(|i| i.line_position == line.position)
            .map(|item| (so, item))
    });
    let (supplier, supplier_url, supplier_cost) = match bought {
        Some((so, item)) => (
            format!(
                "{}:{} · {} / {}",
                so.supplier, so.supplier_account, item.supplier_product_id, item.supplier_sku_id
            ),
            crate::supplier_link::shown(item.product_url.as_deref()),
            // The goods and the item's shipping: what the line costs at the supplier.
            view::money(
                item.unit_cost_minor * item.quantity + item.shipping_minor.unwrap_or(0),
                &item.currency,
            ),
        ),
        None => ("not routed".to_string(), None, "—".to_string()),
    };
    LineRow {
        title: line.title.clone(),
        // The customer's choice in words where the store gave them, else the store's id.
        variant: match dropflow_core::variant::in_words(&line.variant_words) {
            words if !words.is_empty() => words,
            _ => line.variant_id.clone().unwrap_or_else(|| "—".into()),
        },
        sku: line.sku.clone().unwrap_or_else(|| "—".into()),
        quantity: line.quantity,
        price: view::money(line.unit_price_minor, currency),
        supplier,
        supplier_url,
        supplier_cost,
    }
}

fn supplier_order_row(so: &SupplierOrderView) -> SupplierOrderRow {
    SupplierOrderRow {
        id: so.id.clone(),
        supplier: format!("{}:{}", so.supplier, so.supplier_account),
        status: view::words(&so.status),
        reference: so.external_id.clone().unwrap_or_else(|| "—".into()),
        cost: match (so.cost_minor, &so.currency) {
            (Some(minor), Some(currency)) => view::money(minor, currency),
            _ => "—".into(),
        },
        placed: view::maybe_time(&so.placed_at),
        paid: view::maybe_time(&so.paid_at),
        last_synced: view::maybe_time(&so.last_synced_at),
        next_sync: view::next_sync(&so.next_sync_at),
        last_error: so.last_error.clone(),
    }
}

fn parcel_row(p: &ParcelView) -> ParcelRow {
    ParcelRow {
        tracking_number: p.tracking_number.clone().unwrap_or_else(|| "—".into()),
        carrier: p
            .carrier
            .clone()
            .or_else(|| p.courier_detected.clone())
            .unwrap_or_else(|| "unknown carrier".into()),
        tracking_url: p.tracking_url.clone(),
        status: view::words(&p.status),
        check: match p.number_check.as_str() {
            "valid" => "number checks out".into(),
            "invalid" => "fails its check digit (not sent to the store)".into(),
            other => view::words(other),
        },
        pushed: p
            .pushed_at
            .as_ref()
            .map(|at| format!("sent to the store {}", view::time(at)))
            .unwrap_or_else(|| "not sent to the store yet".into()),
        last_synced: view::maybe_time(&p.last_synced_at),
        next_sync: view::next_sync(&p.next_sync_at),
    }
}

/// Whether the flag is a line's quantity gone up since its purchase bought it (so
/// "Buy the difference" has something to buy).
fn more_wanted(
    flag: &crate::storage::flags::Flag,
    sos: &[supplier_orders::SupplierOrderView],
    lines: &[orders::OrderLine],
) -> bool {
    let (true, Some(so), Some(line)) = (
        flag.kind == crate::storage::flags::kind::QUANTITY_CHANGED,
        flag.supplier_order_id.as_deref(),
        flag.line_position,
    ) else {
        return false;
    };
    let bought = sos
        .iter()
        .find(|s| s.id == so)
        .and_then(|s| s.items.iter().find(|i| i.line_position == line))
        .and_then(|i| i.line_quantity);
    let now = lines
        .iter()
        .find(|l| l.position == line)
        .map(|l| l.quantity);
    matches!((bought, now), (Some(b), Some(n)) if n > b)
}
