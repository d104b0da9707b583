//! What the warehouse operator does: receive a scan, inspect an item, pack, dispatch.

use super::{core_items, merchant, note, settle, Group, Leg, Result, WarehouseError};
use crate::fulfilment::parcels::check_number;
use crate::storage::accounts::Scope;
use crate::storage::parcels::{self, NewParcel};
use crate::storage::warehouse as store;
use crate::storage::{Database, Tx};
use chrono::Utc;
use dropflow_core::event::Actor;
use dropflow_core::follow::Cadence;
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::tracking;
use dropflow_core::warehouse::consolidation::{
    address_key, check_combination, readiness, CombineError, Combining, ItemState,
};
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
    /// The scan named customers' return parcels of after-sale cases (in transit, or received
    /// before): each case's return is received, or was already (nothing changed then).
    CaseReturns {
        returns: Vec<super::case_returns::ReturnArrived>,
    },
}

/// Receives a scanned domestic tracking number or marketplace order number, or the tracking
/// number of a customer's return parcel of an after-sale case whose goods come back here
/// ([`super::case_returns`]). Only parcels of orders in `scope` match; anything else is kept as
/// an exception of the scope's account.
pub async fn receive(db: &Database, scope: &Scope, scan: &str, actor: &Actor) -> Result<Received> {
    let scan = tracking::normalise(scan);
    if scan.is_empty() || scan.len() > 64 {
        return Err(WarehouseError::Invalid(
            "scan: give the tracking number or the supplier order number (1-64 characters)".into(),
        ));
    }
    let mut tx = db.begin().await?;
    let matched = store::match_scan(&mut tx, scope, &scan).await?;
    if matched.is_empty() {
        // Not a seller's parcel: perhaps a customer sending a case's goods back.
        let found = super::case_returns::matching(&mut tx, scope, &scan).await?;
        if !found.is_empty() {
            let returns =
                super::case_returns::receive_scanned(&mut tx, found, &scan, actor).await?;
            tx.commit().await?;
            return Ok(Received::CaseReturns { returns });
        }
        let id = store::insert_exception(&mut tx, scope, &scan, &actor.label()).await?;
        tx.commit().await?;
        tracing::info!(exception.id = %id, "unknown parcel scanned");
        return Ok(Received::Unknown { exception_id: id });
    }
    let received = receive_parcels(&mut tx, &matched, actor).await?;
    tx.commit().await?;
    Ok(received)
}

/// Marks `parcels` received and their items arrived, moving each order's leg: what a scan
/// that matched does, and what resolving an exception does for the order it names.
async fn receive_parcels(
    tx: &mut Tx<'_>,
    parcels: &[store::Inbound],
    actor: &Actor,
) -> Result<Received> {
    let mut order_ids = Vec::new();
    let mut inbound_ids = Vec::new();
    let mut items_arrived = Vec::new();
    for inbound in parcels {
        let order_id: OrderId = parse(&inbound.order_id)?;
        let so: SupplierOrderId = parse(&inbound.supplier_order_id)?;
        let Some(mut leg) = Leg::load(tx, order_id).await? else {
            continue;
        };
        store::mark_received(tx, &inbound.id).await?;
        let arrived = store::items_arrived(tx, so).await?;
        inbound_ids.push(inbound.id.clone());
        if !order_ids.contains(&inbound.order_id) {
            order_ids.push(inbound.order_id.clone());
        }
        if arrived.is_empty() {
            let again = note(
                "scanned_again",
                format!("{} scanned again", inbound.tracking_number),
            );
            leg.save(tx, vec![again], actor).await?;
            continue;
        }
        let items = core_items(tx, order_id).await?;
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
            leg.step(tx, WarehouseCommand::Purchase, Vec::new(), actor)
                .await?;
        }
        if matches!(
            leg.leg.stage,
            S::Purchased | S::ShippedToWarehouse | S::PartlyArrived
        ) {
            leg.step(
                tx,
                WarehouseCommand::ItemsArrived { all },
                vec![what],
                actor,
            )
            .await?;
        } else {
            leg.save(tx, vec![what], actor).await?;
        }
        items_arrived.extend(arrived);
    }
    Ok(Received::Matched {
        order_ids,
        inbound_ids,
        items_arrived,
    })
}

/// What resolving an exception did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Resolved {
    pub exception_id: String,
    pub order_id: String,
    /// The order's expected parcels this received (none: nothing was still expected).
    pub inbound_ids: Vec<String>,
    /// Items that arrived with it.
    pub items_arrived: Vec<String>,
    /// The case's return it turned out to be, when it was linked to a case.
    pub case_return: Option<super::case_returns::ReturnArrived>,
}

/// Links an open exception of `scope` to the order the parcel turned out to be for: a note on
/// the order's timeline, and the order's parcels not received yet are received, as a matching
/// scan would have. One transaction; `NotFound` outside the scope, `Conflict` when it was
/// already resolved, `Invalid` for an order not shipped through the warehouse.
pub async fn resolve(
    db: &Database,
    scope: &Scope,
    exception_id: &str,
    order_id: OrderId,
    actor: &Actor,
) -> Result<Resolved> {
    let mut tx = db.begin().await?;
    let exception = store::exception(&mut *tx, scope, exception_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("exception {exception_id} not found")))?;
    if exception.resolved_at.is_some() {
        return Err(already_resolved(&exception));
    }
    let leg = Leg::load(&mut tx, order_id).await?.ok_or_else(|| {
        WarehouseError::Invalid(format!(
            "order: {order_id} is not shipped through the warehouse"
        ))
    })?;
    // The conditional update settles a race between two operators resolving it at once.
    if !store::resolve_exception(&mut tx, exception_id, order_id).await? {
        return Err(already_resolved(&exception));
    }
    let linked = note(
        "exception_resolved",
        format!(
            "unknown parcel {} (scanned {}) linked to this order",
            exception.scan,
            exception.scanned_at.format("%Y-%m-%d %H:%M UTC")
        ),
    );
    leg.save(&mut tx, vec![linked], actor).await?;
    let expected = store::unreceived_inbound(&mut tx, order_id).await?;
    let (inbound_ids, items_arrived) = if expected.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        match receive_parcels(&mut tx, &expected, actor).await? {
            Received::Matched {
                inbound_ids,
                items_arrived,
                ..
            } => (inbound_ids, items_arrived),
            Received::Unknown { .. } | Received::CaseReturns { .. } => (Vec::new(), Vec::new()),
        }
    };
    tx.commit().await?;
    tracing::info!(exception.id = %exception_id, order.id = %order_id, "warehouse exception resolved");
    Ok(Resolved {
        exception_id: exception_id.to_string(),
        order_id: order_id.to_string(),
        inbound_ids,
        items_arrived,
        case_return: None,
    })
}

pub(super) fn already_resolved(exception: &store::ScanException) -> WarehouseError {
    WarehouseError::Conflict(format!(
        "exception {} is already resolved{}",
        exception.id,
        exception
            .resolved_order_id
            .as_deref()
            .map(|o| format!(" (order {o})"))
            .unwrap_or_default()
    ))
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
/// destination, and applies the store's auto-pick (and auto-pay) rule. `with_orders`: other
/// orders of the same store to the same customer, ready to pack too, that go in the same
/// parcel (one fee, one tracking number for all).
pub async fn pack(
    db: &Database,
    order_id: OrderId,
    with_orders: &[OrderId],
    parcel: Parcel,
    actor: &Actor,
) -> Result<store::Package> {
    let mut all: Vec<OrderId> = std::iter::once(order_id)
        .chain(with_orders.iter().copied())
        .collect();
    all.sort();
    all.dedup();
    if all.len() != with_orders.len() + 1 {
        return Err(WarehouseError::Invalid(
            "with_orders: each other order once, and not the order packed itself".into(),
        ));
    }
    let tables = super::rate_tables(db).await?;
    let mut tx = db.begin().await?;
    // Every order locked in id order before any is read (see `Group`).
    for id in &all {
        crate::storage::orders::lock(&mut tx, *id).await?;
    }
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
    let others = combined_legs(&mut tx, order_id, with_orders).await?;
    let country = crate::storage::orders::routing_input(&mut tx, order_id)
        .await?
        .and_then(|i| i.country)
        .ok_or_else(|| {
            WarehouseError::Conflict("the order has no destination country to quote".into())
        })?;
    let quotes = rates::quote(&tables, &parcel, country);
    // The store's branding (dashboard settings) says what goes in with the goods.
    let brand = crate::storage::branding::get_with(&mut *tx, leg.store_id).await?;
    let id = store::insert_package(
        &mut tx,
        &store::NewPackage {
            order_id,
            with_orders,
            store_id: leg.store_id,
            parcel,
            branding: brand.logo_goes_in() || brand.card_goes_in(),
            quotes: &quotes.offered,
        },
    )
    .await?;
    let packed = note(
        "packed",
        format!(
            "repacked white-label{}: {} g, {}×{}×{} cm; {} carrier option(s)",
            brand.in_the_parcel(),
            parcel.weight_g,
            parcel.length_cm,
            parcel.width_cm,
            parcel.height_cm,
            quotes.offered.len()
        ),
    );
    let mut names: Vec<String> = vec![store::order_facts(&mut *tx, order_id)
        .await?
        .map(|f| f.name)
        .unwrap_or_default()];
    names.extend(others.iter().map(|(_, name)| name.clone()));
    let packing = Packing {
        package_id: &id,
        parcel,
        names: &names,
        packed: &packed,
    };
    packing
        .leg_packs(&mut tx, &mut leg, &r.shippable, 0, actor)
        .await?;
    let mut legs = vec![leg];
    for (i, (mut other, _)) in others.into_iter().enumerate() {
        let shippable = readiness(&core_items(&mut tx, other.order_id).await?).shippable;
        packing
            .leg_packs(&mut tx, &mut other, &shippable, i + 1, actor)
            .await?;
        legs.push(other);
    }
    let settings = store::settings(&mut *tx, legs[0].store_id).await?;
    if let Some(rule) = settings.auto_pick {
        match dropflow_core::warehouse::choice::choose(rule, &quotes.offered) {
            Ok(quote) => {
                merchant::ask_fee(&mut tx, &mut legs, &id, &quote, actor).await?;
                if settings.auto_pay_fee {
                    merchant::pay_in(&mut tx, db, &mut legs, &id, actor, true).await?;
                }
            }
            Err(why) => {
                for leg in &legs {
                    leg.save(
                        &mut tx,
                        vec![note("auto_pick", format!("no carrier chosen: {why}"))],
                        actor,
                    )
                    .await?;
                }
            }
        }
    }
    let package = store::package(&mut tx, &id)
        .await?
        .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("package {id} vanished")))?;
    tx.commit().await?;
    Ok(package)
}

/// The legs of the orders to combine with `order_id`, with their names, once core agreed
/// they may share its parcel: same store, same address, ready to pack. Refused: 409 for an
/// order not ready, 422 for another store or address.
async fn combined_legs(
    tx: &mut crate::storage::Tx<'_>,
    order_id: OrderId,
    with_orders: &[OrderId],
) -> Result<Vec<(Leg, String)>> {
    if with_orders.is_empty() {
        return Ok(Vec::new());
    }
    let combining = |facts: &store::OrderFacts, ready: bool| Combining {
        label: facts.name.clone(),
        store_id: facts.store_id.clone(),
        address_key: facts.address.as_ref().and_then(address_key),
        ready,
    };
    let first = store::order_facts(&mut **tx, order_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("order {order_id} not found")))?;
    let mut checked = Vec::new();
    let mut legs = Vec::new();
    for other in with_orders {
        let facts = store::order_facts(&mut **tx, *other)
            .await?
            .ok_or_else(|| WarehouseError::NotFound(format!("order {other} not found")))?;
        let leg = Leg::load(tx, *other).await?.ok_or_else(|| {
            WarehouseError::Conflict(format!(
                "order {} is not ready to pack: it is not at the warehouse",
                facts.name
            ))
        })?;
        checked.push(combining(&facts, leg.leg.stage == S::Inspected));
        legs.push((leg, facts.name));
    }
    check_combination(&combining(&first, true), &checked).map_err(|e| match e {
        CombineError::NotReady(_) => WarehouseError::Conflict(e.to_string()),
        CombineError::OtherStore(_)
        | CombineError::OtherAddress(_)
        | CombineError::NoAddress(_) => WarehouseError::Invalid(e.to_string()),
    })?;
    Ok(legs)
}

/// One package being packed, as every order in it records it.
struct Packing<'a> {
    package_id: &'a str,
    parcel: Parcel,
    /// The names of the orders it carries, the one packed from first.
    names: &'a [String],
    /// The packing note every order gets.
    packed: &'a dropflow_core::event::OrderEvent,
}

impl Packing<'_> {
    /// One order's part of packing (the `me`-th of `names`): its cleared `items` go in the
    /// package, its leg moves to packed, and its timeline says so (and with which orders it
    /// shares the parcel).
    async fn leg_packs(
        &self,
        tx: &mut crate::storage::Tx<'_>,
        leg: &mut Leg,
        items: &[String],
        me: usize,
        actor: &Actor,
    ) -> Result<()> {
        store::put_in_package(tx, items, self.package_id).await?;
        let mut notes = vec![self.packed.clone()];
        if self.names.len() > 1 {
            let with: Vec<&str> = self
                .names
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != me)
                .map(|(_, n)| n.as_str())
                .collect();
            notes.push(note(
                "combined",
                format!(
                    "shipped in one parcel with order(s) {} to the same customer: one \
                     shipping fee, one tracking number",
                    with.join(", ")
                ),
            ));
        }
        leg.step(
            tx,
            WarehouseCommand::Pack {
                package_id: self.package_id.to_string(),
                parcel: self.parcel,
            },
            notes,
            actor,
        )
        .await
    }
}

/// What the operator hands over at dispatch.
pub struct Handover<'a> {
    pub tracking_number: &'a str,
    pub carrier: &'a str,
    pub label: Option<&'a str>,
}

/// Labels and dispatches a paid package: for every order it carries, the international
/// parcel is recorded, written back to that order's store order with its own lines
/// (`shipment.push`) and followed (`shipments.track`); an order with items still to come
/// goes back to waiting for them. Refused, with nothing changed, while the fee is unpaid.
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
    let Group { package, mut legs } = Group::load(&mut tx, package_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("package {package_id} not found")))?;
    if package.dispatched_at.is_some() {
        return Err(WarehouseError::Conflict(format!(
            "package {package_id} was already dispatched"
        )));
    }
    if let Some(cancelled) = legs.iter().find(|l| l.leg.stage == S::Cancelled) {
        return Err(WarehouseError::Conflict(format!(
            "order {} was cancelled: package {package_id} is not dispatched",
            cancelled.order_id
        )));
    }
    for leg in &legs {
        let this_package = leg
            .leg
            .package_id
            .as_deref()
            .is_none_or(|p| p == package_id);
        if !leg.leg.stage.fee_is_paid() || package.fee_paid_at.is_none() || !this_package {
            return Err(WarehouseError::Conflict(format!(
                "the shipping fee of package {package_id} is not paid (the order is {}): \
                 nothing ships unpaid",
                leg.leg.stage.as_str()
            )));
        }
    }
    let (check, courier, url) = check_number(&number);
    if check == "invalid" {
        return Err(WarehouseError::Invalid(format!(
            "tracking number {number} fails its check digit ({})",
            courier.unwrap_or("courier unknown")
        )));
    }
    let now = Utc::now();
    let parcel = Outgoing {
        number: &number,
        url: url.as_deref(),
        courier,
        check,
        next_sync_at: cadence.next_parcel_sync(ShipmentStatus::InfoReceived, now),
    };
    let mut first_shipment = None;
    for leg in &mut legs {
        let shipment = leg_leaves(&mut tx, leg, package_id, &parcel, handover, now, actor).await?;
        if leg.order_id.to_string() == package.order_id {
            first_shipment = shipment;
        }
    }
    store::dispatched(
        &mut tx,
        package_id,
        &store::Dispatch {
            carrier: handover.carrier.trim(),
            tracking_number: &number,
            label_ref: handover.label,
            shipment_id: first_shipment.as_deref(),
            at: now,
        },
    )
    .await?;
    let package = store::package(&mut tx, package_id)
        .await?
        .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("package vanished")))?;
    tx.commit().await?;
    Ok(package)
}

/// The international parcel as every order it carries records it.
struct Outgoing<'a> {
    number: &'a str,
    url: Option<&'a str>,
    courier: Option<&'static str>,
    check: &'static str,
    next_sync_at: Option<chrono::DateTime<Utc>>,
}

/// One order's part of a dispatch: labelled, its parcel recorded and queued for write-back,
/// its packed items shipped, dispatched; then, when items are still to come, back to waiting
/// for them (the merchant chooses again whether to wait for all or ship what is here).
async fn leg_leaves(
    tx: &mut crate::storage::Tx<'_>,
    leg: &mut Leg,
    package_id: &str,
    parcel: &Outgoing<'_>,
    handover: &Handover<'_>,
    now: chrono::DateTime<Utc>,
    actor: &Actor,
) -> Result<Option<String>> {
    let order_id = leg.order_id;
    leg.step(
        tx,
        WarehouseCommand::LabelCreated {
            tracking: parcel.number.to_string(),
        },
        Vec::new(),
        actor,
    )
    .await?;
    let items = store::items(tx, order_id).await?;
    let packed: Vec<&store::ItemRow> = items
        .iter()
        .filter(|i| i.package_id.as_deref() == Some(package_id))
        .collect();
    let first_so: SupplierOrderId = packed
        .first()
        .map(|i| parse(&i.supplier_order_id))
        .transpose()?
        .ok_or_else(|| WarehouseError::Conflict("the package holds no items".into()))?;
    let shipment = parcels::insert_once(
        tx,
        &NewParcel {
            order_id,
            supplier_order_id: first_so,
            leg: LEG,
            tracking_number: parcel.number,
            carrier: Some(handover.carrier.trim()),
            tracking_url: parcel.url,
            courier_detected: parcel.courier,
            number_check: parcel.check,
            status: ShipmentStatus::InfoReceived,
            next_sync_at: parcel.next_sync_at,
        },
    )
    .await?;
    if let Some(shipment) = &shipment {
        crate::storage::jobs::enqueue_with_tries(
            tx,
            crate::fulfilment::push::JOB,
            &serde_json::json!({ "shipment_id": shipment }),
            Some(order_id),
            now.timestamp_millis(),
            crate::fulfilment::push::TRIES,
        )
        .await?;
        store::set_order_shipment(tx, package_id, order_id, shipment).await?;
    }
    for item in &packed {
        store::set_item_state(tx, &item.id, ItemState::Shipped).await?;
    }
    leg.step(
        tx,
        WarehouseCommand::Dispatch { at: now },
        vec![note(
            "dispatched",
            format!(
                "{} {} ({} item(s))",
                handover.carrier.trim(),
                parcel.number,
                packed.len()
            ),
        )],
        actor,
    )
    .await?;
    let rest = readiness(&core_items(tx, order_id).await?);
    if !rest.missing.is_empty() || !rest.arrived.is_empty() {
        let follows = note(
            "rest_follows",
            format!(
                "{} item(s) follow in another parcel ({} not here yet)",
                rest.missing.len() + rest.arrived.len(),
                rest.missing.len()
            ),
        );
        leg.ship_what_is_here = false;
        leg.step(
            tx,
            WarehouseCommand::RestFollows {
                all_here: rest.missing.is_empty(),
            },
            vec![follows],
            actor,
        )
        .await?;
        settle(tx, leg, actor).await?;
    }
    Ok(shipment)
}

/// The shipments leg of an international parcel from the warehouse.
pub const LEG: &str = "warehouse_to_customer";
