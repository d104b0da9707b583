//! The Warehouse section of `/orders/{id}` for owners and staff: where the order's warehouse
//! leg stands in words, each item's state, what is still on its way (domestic tracking and
//! expected arrival), each package with its carriers and fee, the orders sharing its parcel,
//! and the forms the leg allows ([`super::warehouse_rules::allowed`]). It reads the same
//! [`merchant::view`] the API's `GET /api/v1/orders/{id}/warehouse` answers with.

use super::error::PageError;
use super::view;
use super::warehouse_rules::{self, PackageFacts, WarehouseAction, WarehouseFacts};
use crate::fulfilment::warehouse::merchant::{self, WarehouseView};
use crate::services::ActionError;
use crate::services::Caller;
use crate::storage::branding;
use crate::storage::warehouse::{ItemRow, Package};
use crate::storage::{warehouse_queues, Database};
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::warehouse::consolidation::{disposition, Disposition, ItemState};
use dropflow_core::warehouse::inspection::{FailureChoice, Outcome};
use dropflow_core::warehouse::stage::WarehouseStage as S;

/// One item of the order as the section shows it.
pub struct ItemLine {
    pub title: String,
    pub quantity: i64,
    /// waiting / arrived / passed / failed / returned / reordered / packed / shipped.
    pub state: &'static str,
    /// Why it failed and how many photos were taken, or what waiting means.
    pub detail: String,
}

/// An item not at the warehouse yet.
pub struct MissingLine {
    pub title: String,
    pub tracking_number: String,
    pub carrier: String,
    pub expected: String,
}

/// One carrier offer for a package.
pub struct QuoteRow {
    pub code: String,
    pub carrier: String,
    pub service: String,
    pub price: String,
    pub days: String,
    pub chosen: bool,
}

/// One package (parcel) of the order.
pub struct PackageBlock {
    pub id: String,
    pub size: String,
    /// What went in with the goods (logo, thank-you card).
    pub contents: String,
    pub quotes: Vec<QuoteRow>,
    pub can_choose: bool,
    /// The fee asked, once a carrier is chosen.
    pub fee: Option<String>,
    pub can_pay: bool,
    pub fee_paid: Option<String>,
    pub dispatched: Option<String>,
    /// The international number and its carrier, once dispatched.
    pub tracking: Option<String>,
}

/// Another order sharing one of this order's parcels.
pub struct OrderLink {
    pub id: String,
    pub name: String,
}

/// The whole section.
pub struct WarehouseSection {
    pub stage: &'static str,
    pub items: Vec<ItemLine>,
    pub missing: Vec<MissingLine>,
    pub packages: Vec<PackageBlock>,
    pub combined_with: Vec<OrderLink>,
    pub decide: bool,
    pub ship_what_is_here: bool,
}

/// The section for `order_id`, or `None` when the order has no warehouse leg.
pub async fn section(
    db: &Database,
    caller: &Caller,
    order_id: OrderId,
    store_id: StoreId,
) -> Result<Option<WarehouseSection>, PageError> {
    let Some(leg) = merchant::view(db, order_id)
        .await
        .map_err(ActionError::from)?
    else {
        return Ok(None);
    };
    let brand = branding::get(db, store_id).await?;
    let contents = match (brand.logo_goes_in(), brand.card_goes_in()) {
        (true, true) => "the store logo and a thank-you card",
        (true, false) => "the store logo",
        (false, true) => "a thank-you card",
        // Packed with branding the store has since switched off.
        (false, false) => "the store branding",
    };
    let mut combined_with = Vec::new();
    for other in leg.packages.iter().flat_map(|p| &p.order_ids) {
        let Ok(other_id) = other.parse::<OrderId>() else {
            continue;
        };
        if other_id == order_id || combined_with.iter().any(|o: &OrderLink| o.id == *other) {
            continue;
        }
        // A combined order is of the same store, but the viewer's scope has the last word.
        if caller.order(db, other_id).await.is_err() {
            continue;
        }
        if let Some(name) = warehouse_queues::order_names(db, std::slice::from_ref(other))
            .await?
            .pop()
        {
            combined_with.push(OrderLink {
                id: other.clone(),
                name,
            });
        }
    }
    Ok(Some(build(&leg, caller, contents, combined_with)))
}

/// The section from what was read (no IO).
fn build(
    leg: &WarehouseView,
    caller: &Caller,
    contents: &str,
    combined_with: Vec<OrderLink>,
) -> WarehouseSection {
    let packages: Vec<PackageFacts> = leg
        .packages
        .iter()
        .map(|p| PackageFacts {
            id: p.id.clone(),
            quoted: !p.quotes.is_empty(),
            carrier_chosen: p.carrier_code.is_some(),
            fee_paid: p.fee_paid_at.is_some(),
            dispatched: p.dispatched_at.is_some(),
        })
        .collect();
    let allowed = warehouse_rules::allowed(
        &WarehouseFacts {
            stage: leg.leg.stage,
            awaiting_decision: leg
                .items
                .iter()
                .any(|i| disposition(i.state) == Disposition::AwaitingMerchant),
            missing: !leg.readiness.missing.is_empty(),
            shippable: !leg.readiness.shippable.is_empty(),
            packages: &packages,
        },
        caller.role,
    );
    let may = |action: WarehouseAction| allowed.contains(&action);
    WarehouseSection {
        stage: stage_words(leg.leg.stage),
        items: leg
            .items
            .iter()
            .map(|i| item_line(i, &leg.packages))
            .collect(),
        missing: leg
            .readiness
            .missing
            .iter()
            .map(|m| MissingLine {
                title: m.title.clone(),
                tracking_number: m
                    .tracking
                    .as_ref()
                    .map(|t| t.number.clone())
                    .unwrap_or_else(|| "not shipped by the seller yet".into()),
                carrier: m
                    .tracking
                    .as_ref()
                    .map(|t| t.carrier.clone())
                    .unwrap_or_else(|| "—".into()),
                expected: m
                    .expected_arrival
                    .as_ref()
                    .map(view::time)
                    .unwrap_or_else(|| "not known yet".into()),
            })
            .collect(),
        packages: leg
            .packages
            .iter()
            .map(|p| PackageBlock {
                can_choose: may(WarehouseAction::ChooseCarrier(p.id.clone())),
                can_pay: may(WarehouseAction::PayFee(p.id.clone())),
                ..package_block(p, contents)
            })
            .collect(),
        combined_with,
        decide: may(WarehouseAction::Decide),
        ship_what_is_here: may(WarehouseAction::ShipWhatIsHere),
    }
}

/// The leg's stage as the merchant reads it.
pub fn stage_words(stage: S) -> &'static str {
    match stage {
        S::AwaitingPurchase => "Waiting to be bought from the seller",
        S::Purchased => "Bought; waiting for the seller to ship to the warehouse",
        S::ShippedToWarehouse => "On its way to the warehouse",
        S::PartlyArrived => "Partly at the warehouse; the rest is on its way",
        S::Arrived => "At the warehouse, being inspected",
        S::Inspected => "Inspected, waiting to be packed",
        S::Packed => "Packed: choose a carrier",
        S::AwaitingShippingFee => "Waiting for the shipping fee",
        S::FeePaid => "Shipping fee paid; to be dispatched within 24 hours",
        S::LabelCreated => "Label printed, about to leave",
        S::Dispatched => "Dispatched to the customer",
        S::Delivered => "Delivered",
        S::Exception => "Needs attention at the warehouse",
        S::Cancelled => "Cancelled: nothing more ships",
    }
}

fn item_line(item: &ItemRow, packages: &[Package]) -> ItemLine {
    let package = item
        .package_id
        .as_ref()
        .and_then(|id| packages.iter().find(|p| &p.id == id));
    let in_parcel = match package {
        Some(p) if p.dispatched_at.is_some() => Some("shipped"),
        Some(_) => Some("packed"),
        None => None,
    };
    let failure = match &item.outcome {
        Some(Outcome::Fail {
            reasons,
            note,
            photos,
        }) => {
            let mut why: Vec<&str> = reasons.iter().map(|r| r.words()).collect();
            if why.is_empty() {
                why.push("no reason given");
            }
            let mut text = format!("{} · {} photo(s)", why.join(", "), photos.len());
            if !note.trim().is_empty() {
                text.push_str(&format!(" · {}", note.trim()));
            }
            text
        }
        _ => String::new(),
    };
    let (state, detail) = match item.state {
        ItemState::Expected => ("waiting", "not shipped by the seller yet".to_string()),
        ItemState::InTransit => ("waiting", "on its way to the warehouse".to_string()),
        ItemState::Arrived => ("arrived", "waiting for inspection".to_string()),
        ItemState::Passed => (in_parcel.unwrap_or("passed"), String::new()),
        ItemState::Failed { choice: None } => ("failed", format!("{failure} · your decision")),
        ItemState::Failed {
            choice: Some(FailureChoice::AcceptAsIs),
        } => (
            in_parcel.unwrap_or("failed"),
            format!("{failure} · accepted as is"),
        ),
        ItemState::Failed {
            choice: Some(FailureChoice::ReturnAndRefund),
        } => ("returned", format!("{failure} · returned and refunded")),
        ItemState::Failed {
            choice: Some(FailureChoice::Reorder),
        } => ("reordered", format!("{failure} · bought again")),
        ItemState::Shipped => ("shipped", String::new()),
    };
    ItemLine {
        title: item.title.clone(),
        quantity: item.quantity,
        state,
        detail,
    }
}

fn package_block(p: &Package, contents: &str) -> PackageBlock {
    let fee = match (p.fee_minor, &p.fee_currency) {
        (Some(minor), Some(currency)) => Some(view::money(minor, currency)),
        _ => None,
    };
    PackageBlock {
        id: p.id.clone(),
        size: format!(
            "{} g · {} × {} × {} cm",
            p.weight_g, p.length_cm, p.width_cm, p.height_cm
        ),
        contents: if p.branding {
            contents.to_string()
        } else {
            "the goods only".to_string()
        },
        quotes: p
            .quotes
            .iter()
            .map(|q| QuoteRow {
                code: q.code.clone(),
                carrier: q.carrier.clone(),
                service: q.service.clone(),
                price: q.price.to_string(),
                days: if q.days_min == q.days_max {
                    format!("{} days", q.days_max)
                } else {
                    format!("{}–{} days", q.days_min, q.days_max)
                },
                chosen: p.carrier_code.as_deref() == Some(q.code.as_str()),
            })
            .collect(),
        can_choose: false,
        fee,
        can_pay: false,
        fee_paid: p.fee_paid_at.as_ref().map(view::time),
        dispatched: p.dispatched_at.as_ref().map(view::time),
        tracking: p.tracking_number.as_ref().map(|n| match &p.carrier {
            Some(c) => format!("{c} {n}"),
            None => n.clone(),
        }),
    }
}
