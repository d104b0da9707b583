//! What the warehouse operator does: receive a scan, inspect an item, pack, dispatch.

use super::{core_items, merchant, note, settle, Leg, Result, WarehouseError};
use crate::fulfilment::parcels::check_number;
use crate::storage::parcels::{self, NewParcel};
use crate::storage::warehouse as store;
use crate::storage::Database;
use chrono::Utc;
use dropflow_core::event::Actor;
use dropflow_core::follow::Cadence;
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::tracking;
use dropflow_core::warehouse::consolidation::{readiness, ItemState};
use dropflow_core::warehouse::inspection::{judge, InspectionReport, Outcome};
use dropflow_core::warehouse::rates::{self, Parcel};
use dropflow_core::warehouse::stage::{WarehouseCommand, WarehouseStage as S};
use serde::Serialize;

/// What a scan came to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Received {
    /// The scan named parcels we expect: their items are marked arrived.
    Matched {
        order_ids: Vec<String>,
        inbound_ids: Vec<String>,
        /// Items that arrived with this scan (none: the parcel was scanned before).
        items_arrived: Vec<String>,
    },
    /// Nobody expected it: kept on the exceptions list until someone links it.
    Unknown { exception_id: String },
}

/// Receives a scanned domestic tracking number or marketplace order number.
pub async fn receive(db: &Database, scan: &str, actor: &Actor) -> Result<Received> {
    let scan = tracking::normalise(scan);
    if scan.is_empty() || scan.len() > 64 {
        return Err(WarehouseError::Invalid(
            "scan: give the tracking number or the supplier order number (1-64 characters)".into(),
        ));
    }
    let mut tx = db.begin().await?;
    let matched = store::match_scan(&mut tx, &scan).await?;
    if matched.is_empty() {
        let id = store::insert_exception(&mut tx, &scan, &actor.label()).await?;
        tx.commit().await?;
        tracing::info!(exception.id = %id, "unknown parcel scanned");
        return Ok(Received::Unknown { exception_id: id });
    }
    let mut order_ids = Vec::new();
    let mut inbound_ids = Vec::new();
    let mut items_arrived = Vec::new();
    for inbound in &matched {
        let order_id: OrderId = parse(&inbound.order_id)?;
        let so: SupplierOrderId = parse(&inbound.supplier_order_id)?;
        let Some(mut leg) = Leg::load(&mut tx, order_id).await? else {
            continue;
        };
        store::mark_received(&mut tx, &inbound.id).await?;
        let arrived = store::items_arrived(&mut tx, so).await?;
        inbound_ids.push(inbound.id.clone());
        if !order_ids.contains(&inbound.order_id) {
            order_ids.push(inbound.order_id.clone());
        }
        if arrived.is_empty() {
            let again = note(
                "scanned_again",
                format!("{} scanned again", inbound.tracking_number),
            );
            leg.save(&mut tx, vec![again], actor).await?;
            continue;
        }
        let items = core_items(&mut tx, order_id).await?;
        let all = readiness(&items).missing.is_empty();
        let what = note(
            "arrived",
            format!(
                "{} item(s) arrived ({}){}",
                arrived.len(),
                inbound.tracking_number,
                if all {
                    "; all items are here"
                } else {
                    "; waiting for the rest"
                }
            ),
        );
        if leg.leg.stage == S::AwaitingPurchase {
            leg.step(&mut tx, WarehouseCommand::Purchase, Vec::new(), actor)
                .await?;
        }
        if matches!(
            leg.leg.stage,
            S::Purchased | S::ShippedToWarehouse | S::PartlyArrived
        ) {
            leg.step(
                &mut tx,
                WarehouseCommand::ItemsArrived { all },
                vec![what],
                actor,
            )
            .await?;
        } else {
            leg.save(&mut tx, vec![what], actor).await?;
        }
        items_arrived.extend(arrived);
    }
    tx.commit().await?;
    Ok(Received::Matched {
        order_ids,
        inbound_ids,
        items_arrived,
    })
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| WarehouseError::Internal(anyhow::anyhow!("stored id {text:?} is not an id")))
}

/// Records the operator's inspection of one item; returns its outcome.
pub async fn inspect(
    db: &Database,
    item_id: &str,
    report: &InspectionReport,
    actor: &Actor,
) -> Result<Outcome> {
    let outcome = judge(report).map_err(|e| WarehouseError::Invalid(e.to_string()))?;
    let mut tx = db.begin().await?;
    let item = store::item(&mut tx, item_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("item {item_id} not found")))?;
    let order_id: OrderId = parse(&item.order_id)?;
    let mut leg = Leg::load(&mut tx, order_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("item {item_id} not found")))?;
    // Re-read under the order's lock.
    let item = store::item(&mut tx, item_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("item {item_id} not found")))?;
    if item.state != ItemState::Arrived {
        return Err(WarehouseError::Conflict(format!(
            "item {item_id} is not waiting for inspection (it is {})",
            serde_json::to_value(item.state)
                .ok()
                .and_then(|v| v.get("state").and_then(|s| s.as_str()).map(str::to_string))
                .unwrap_or_default()
        )));
    }
    let (state, detail) = match &outcome {
        Outcome::Pass { .. } => (ItemState::Passed, format!("{}: passed", item.title)),
        Outcome::Fail { reasons, note, .. } => (
            ItemState::Failed { choice: None },
            format!(
                "{}: failed ({}){}; choose return and refund, reorder or accept as is",
                item.title,
                reasons
                    .iter()
                    .map(|r| serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", "),
                if note.is_empty() {
                    String::new()
                } else {
                    format!(": {note}")
                }
            ),
        ),
    };
    store::record_inspection(&mut tx, item_id, state, &outcome, &report.checklist).await?;
    leg.save(&mut tx, vec![note("inspection", detail)], actor)
        .await?;
    settle(&mut tx, &mut leg, actor).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Packs what is cleared into the white-label parcel, quotes every carrier serving the
/// destination, and applies the store's auto-pick (and auto-pay) rule.
pub async fn pack(
    db: &Database,
    order_id: OrderId,
    parcel: Parcel,
    actor: &Actor,
) -> Result<store::Package> {
    let tables = super::rate_tables(db).await?;
    let mut tx = db.begin().await?;
    let mut leg = Leg::load(&mut tx, order_id).await?.ok_or_else(|| {
        WarehouseError::NotFound(format!("order {order_id} has no warehouse leg"))
    })?;
    let items = core_items(&mut tx, order_id).await?;
    let r = readiness(&items);
    if leg.leg.stage != S::Inspected {
        let why = if !r.missing.is_empty() && !leg.ship_what_is_here {
            format!(
                "{} item(s) have not arrived yet: wait for them, or the merchant chooses to ship \
                 what is here",
                r.missing.len()
            )
        } else if !r.blocked.is_empty() {
            format!(
                "{} item(s) wait for inspection or the merchant's choice",
                r.blocked.len()
            )
        } else {
            format!("the order is {}, not ready to pack", leg.leg.stage.as_str())
        };
        return Err(WarehouseError::Conflict(why));
    }
    let country = crate::storage::orders::routing_input(&mut tx, order_id)
        .await?
        .and_then(|i| i.country)
        .ok_or_else(|| {
            WarehouseError::Conflict("the order has no destination country to quote".into())
        })?;
    let quotes = rates::quote(&tables, &parcel, country);
    let settings = store::settings(&mut *tx, leg.store_id).await?;
    leg.step(
        &mut tx,
        WarehouseCommand::Pack { parcel },
        vec![note(
            "packed",
            format!(
                "repacked white-label{}: {} g, {}×{}×{} cm; {} carrier option(s)",
                if settings.branding {
                    " with logo and thank-you card"
                } else {
                    ""
                },
                parcel.weight_g,
                parcel.length_cm,
                parcel.width_cm,
                parcel.height_cm,
                quotes.offered.len()
            ),
        )],
        actor,
    )
    .await?;
    let id = store::insert_package(
        &mut tx,
        &store::NewPackage {
            order_id,
            store_id: leg.store_id,
            parcel,
            branding: settings.branding,
            quotes: &quotes.offered,
        },
    )
    .await?;
    store::put_in_package(&mut tx, &r.shippable, &id).await?;
    if let Some(rule) = settings.auto_pick {
        match dropflow_core::warehouse::choice::choose(rule, &quotes.offered) {
            Ok(quote) => {
                merchant::ask_fee(&mut tx, &mut leg, &id, &quote, actor).await?;
                if settings.auto_pay_fee {
                    merchant::pay_in(&mut tx, db, &mut leg, actor, true).await?;
                }
            }
            Err(why) => {
                leg.save(
                    &mut tx,
                    vec![note("auto_pick", format!("no carrier chosen: {why}"))],
                    actor,
                )
                .await?;
            }
        }
    }
    let package = store::package(&mut tx, &id)
        .await?
        .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("package {id} vanished")))?;
    tx.commit().await?;
    Ok(package)
}

/// What the operator hands over at dispatch.
pub struct Handover<'a> {
    pub tracking_number: &'a str,
    pub carrier: &'a str,
    pub label: Option<&'a str>,
}

/// Labels and dispatches a paid package: the international parcel is recorded, written back
/// to the store (`shipment.push`) and followed (`shipments.track`). Refused, with nothing
/// changed, while the fee is unpaid.
pub async fn dispatch(
    db: &Database,
    cadence: &Cadence,
    package_id: &str,
    handover: &Handover<'_>,
    actor: &Actor,
) -> Result<store::Package> {
    let number = tracking::normalise(handover.tracking_number);
    if number.is_empty() || handover.carrier.trim().is_empty() {
        return Err(WarehouseError::Invalid(
            "tracking_number and carrier are required".into(),
        ));
    }
    let mut tx = db.begin().await?;
    let package = store::package(&mut tx, package_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("package {package_id} not found")))?;
    let order_id: OrderId = parse(&package.order_id)?;
    let mut leg = Leg::load(&mut tx, order_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("package {package_id} not found")))?;
    if leg.leg.stage == S::Cancelled {
        return Err(WarehouseError::Conflict(format!(
            "the order was cancelled: package {package_id} is not dispatched"
        )));
    }
    if !leg.leg.stage.fee_is_paid() || package.fee_paid_at.is_none() {
        return Err(WarehouseError::Conflict(format!(
            "the shipping fee of package {package_id} is not paid (the order is {}): nothing \
             ships unpaid",
            leg.leg.stage.as_str()
        )));
    }
    if package.dispatched_at.is_some() {
        return Err(WarehouseError::Conflict(format!(
            "package {package_id} was already dispatched"
        )));
    }
    let (check, courier, url) = check_number(&number);
    if check == "invalid" {
        return Err(WarehouseError::Invalid(format!(
            "tracking number {number} fails its check digit ({})",
            courier.unwrap_or("courier unknown")
        )));
    }
    let now = Utc::now();
    leg.step(
        &mut tx,
        WarehouseCommand::LabelCreated {
            tracking: number.clone(),
        },
        Vec::new(),
        actor,
    )
    .await?;
    let items = store::items(&mut tx, order_id).await?;
    let first_so: SupplierOrderId = items
        .iter()
        .find(|i| i.package_id.as_deref() == Some(package_id))
        .map(|i| parse(&i.supplier_order_id))
        .transpose()?
        .ok_or_else(|| WarehouseError::Conflict("the package holds no items".into()))?;
    let shipment = parcels::insert_once(
        &mut tx,
        &NewParcel {
            order_id,
            supplier_order_id: first_so,
            leg: LEG,
            tracking_number: &number,
            carrier: Some(handover.carrier.trim()),
            tracking_url: url.as_deref(),
            courier_detected: courier,
            number_check: check,
            status: ShipmentStatus::InfoReceived,
            next_sync_at: cadence.next_parcel_sync(ShipmentStatus::InfoReceived, now),
        },
    )
    .await?;
    if let Some(shipment) = &shipment {
        crate::storage::jobs::enqueue_with_tries(
            &mut tx,
            crate::fulfilment::push::JOB,
            &serde_json::json!({ "shipment_id": shipment }),
            Some(order_id),
            now.timestamp_millis(),
            crate::fulfilment::push::TRIES,
        )
        .await?;
    }
    store::dispatched(
        &mut tx,
        package_id,
        &store::Dispatch {
            carrier: handover.carrier.trim(),
            tracking_number: &number,
            label_ref: handover.label,
            shipment_id: shipment.as_deref(),
            at: now,
        },
    )
    .await?;
    for item in items
        .iter()
        .filter(|i| i.package_id.as_deref() == Some(package_id))
    {
        store::set_item_state(&mut tx, &item.id, ItemState::Shipped).await?;
    }
    leg.step(
        &mut tx,
        WarehouseCommand::Dispatch { at: now },
        vec![note(
            "dispatched",
            format!("{} {number}", handover.carrier.trim()),
        )],
        actor,
    )
    .await?;
    let package = store::package(&mut tx, package_id)
        .await?
        .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("package vanished")))?;
    tx.commit().await?;
    Ok(package)
}

/// The shipments leg of an international parcel from the warehouse.
pub const LEG: &str = "warehouse_to_customer";
