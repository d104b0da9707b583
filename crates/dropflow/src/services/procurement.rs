//! What a merchant (or a vendor) does to the supplier side of orders: place, pay, refresh —
//! one order or many at once — and, for a manual vendor's purchase, enter the tracking number
//! and mark it delivered. Placing, paying and refreshing are queued as jobs (the answer is
//! 202 at once); who asked is on each order's timeline.

use super::MERCHANTS;
use crate::fulfilment::supplier_order_tx::{self, Move};
use crate::fulfilment::{order_tx, parcels as parcel_rules};
use crate::services::{ActionError, Caller, Context};
use crate::storage::accounts::{Role, Scope};
use crate::storage::parcels::{self, ParcelView};
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::{orders, StorageError};
use crate::suppliers::registry;
use chrono::Utc;
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::lifecycle::Command;
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::supplier::Tracking;
use serde::{Deserialize, Serialize};

/// An action on the supplier side of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Place,
    Pay,
    Refresh,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Place => "place",
            Action::Pay => "pay",
            Action::Refresh => "refresh",
        }
    }

    /// The supplier-order statuses the action applies to, and the job it queues.
    fn applies_to(self) -> (&'static [SupplierOrderStatus], &'static str) {
        match self {
            Action::Place => (
                &[SupplierOrderStatus::AwaitingPlacement],
                dropflow_core::jobs::PLACE_SUPPLIER_ORDER,
            ),
            Action::Pay => (
                &[SupplierOrderStatus::AwaitingPayment],
                dropflow_core::jobs::PAY_SUPPLIER_ORDER,
            ),
            Action::Refresh => (
                &[
                    SupplierOrderStatus::AwaitingPayment,
                    SupplierOrderStatus::AwaitingShipment,
                    SupplierOrderStatus::Shipped,
                ],
                dropflow_core::jobs::SYNC_SUPPLIER_ORDER,
            ),
        }
    }
}

/// What an action did to one order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionResult {
    pub order_id: String,
    /// `queued`, `nothing_to_do` or `not_found`.
    pub outcome: String,
    /// How many supplier orders the action was queued for.
    pub supplier_orders: usize,
    /// Why nothing was queued, when it was not.
    pub message: Option<String>,
}

/// Queues `action` for one order's supplier orders (the Place / Pay / Refresh buttons).
pub async fn act(
    ctx: &Context,
    reference: &str,
    action: Action,
    caller: &Caller,
) -> Result<ActionResult, ActionError> {
    caller.require(MERCHANTS, &format!("{} orders", action.name()))?;
    let Some(order_id) = orders::resolve(&ctx.db, &caller.scope, reference).await? else {
        return Ok(ActionResult {
            order_id: reference.to_string(),
            outcome: "not_found".into(),
            supplier_orders: 0,
            message: Some(format!("order {reference:?} not found")),
        });
    };
    let (statuses, job) = action.applies_to();
    let ids = supplier_orders::ids_for_order(&ctx.db, order_id, statuses).await?;
    if ids.is_empty() {
        let tab = orders::get(&ctx.db, order_id)
            .await?
            .map(|d| d.summary.tab.as_str().replace('_', " "))
            .unwrap_or_default();
        return Ok(ActionResult {
            order_id: order_id.to_string(),
            outcome: "nothing_to_do".into(),
            supplier_orders: 0,
            message: Some(format!(
                "no supplier order of this order can be {}: the order is in {tab}",
                match action {
                    Action::Place => "placed",
                    Action::Pay => "paid",
                    Action::Refresh => "refreshed",
                }
            )),
        });
    }
    let mut tx = ctx.db.begin().await?;
    for id in &ids {
        supplier_orders::enqueue_job(&mut tx, job, *id, order_id).await?;
    }
    order_tx::apply(
        &mut tx,
        order_id,
        Command::Record(vec![OrderEvent::ActionRequested {
            action: action.name().into(),
        }]),
        Actor::Merchant(caller.actor.clone()),
    )
    .await
    .map_err(|e| ActionError::Internal(e.to_string()))?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(ActionResult {
        order_id: order_id.to_string(),
        outcome: "queued".into(),
        supplier_orders: ids.len(),
        message: None,
    })
}

/// Many orders at once.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    /// Order ids or names, 1 to 500.
    pub order_ids: Vec<String>,
}

/// The result for each order, in the order given.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub results: Vec<ActionResult>,
}

/// A vendor's parcel.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipInput {
    pub tracking_number: String,
    /// The carrier's name; recognised from the number when left out.
    pub carrier: Option<String>,
    pub tracking_url: Option<String>,
    /// Record a number that fails its courier's check digit anyway (it is still never sent
    /// to the store).
    #[serde(default)]
    pub accept_unverified: bool,
    /// What is in the parcel, by the store's line id; left out: everything still to ship.
    #[serde(default)]
    pub lines: Option<Vec<ShipLine>>,
}

/// One line of a parcel.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipLine {
    /// The store's id for the order line (`line_id` on the supplier order's items).
    pub line_id: String,
    #[schema(minimum = 1)]
    pub quantity: u32,
}

/// A supplier order the caller may act on: the vendor it is routed to, or the owner or staff
/// of its store. Anyone else: not found.
async fn scoped_supplier_order(
    ctx: &Context,
    caller: &Caller,
    id: &str,
) -> Result<SupplierOrder, ActionError> {
    let not_found = || ActionError::NotFound(format!("supplier order {id:?} not found"));
    let id: SupplierOrderId = id.parse().map_err(|_| not_found())?;
    let so = supplier_orders::load(&ctx.db, id)
        .await?
        .ok_or_else(not_found)?;
    caller.require(
        &[Role::Owner, Role::Staff, Role::Vendor],
        "ship supplier orders",
    )?;
    caller
        .order(&ctx.db, so.order_id)
        .await
        .map_err(|_| not_found())?;
    if let Scope::Vendor { vendor, .. } = &caller.scope {
        if so.supplier_account != *vendor
            || !registry::capabilities_of(&so.supplier).hands_over_to_person
        {
            return Err(not_found());
        }
    }
    Ok(so)
}

/// A manual vendor's supplier order the caller may act on.
async fn manual_supplier_order(
    ctx: &Context,
    caller: &Caller,
    id: &str,
) -> Result<SupplierOrder, ActionError> {
    let so = scoped_supplier_order(ctx, caller, id).await?;
    if !registry::capabilities_of(&so.supplier).hands_over_to_person {
        return Err(ActionError::Conflict(format!(
            "supplier order {id} is bought from {}: its tracking comes from the supplier",
            so.supplier
        )));
    }
    Ok(so)
}

/// A tracking number a person typed, normalised and checked: 5 to 50 letters and digits, and
/// the check digit of its courier unless the person knowingly accepts an unverified number.
pub(crate) fn checked_tracking_number(
    raw: &str,
    accept_unverified: bool,
) -> Result<String, ActionError> {
    let number = dropflow_core::tracking::normalise(raw);
    if number.len() < 5 || number.len() > 50 || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ActionError::Unprocessable(
            "tracking_number: must be 5 to 50 letters and digits".into(),
        ));
    }
    let (check, courier, _) = parcel_rules::check_number(&number);
    if check == "invalid" && !accept_unverified {
        return Err(ActionError::Unprocessable(format!(
            "tracking_number: fails the check digit of {}: check it for a typo (or send \
             accept_unverified: true to record it without sending it to the store)",
            courier.unwrap_or("its courier")
        )));
    }
    Ok(number)
}

/// Records a parcel on a supplier order and moves it to shipped once every line bought has
/// shipped; returns the order it belongs to. Idempotent per tracking number; concurrent calls
/// take turns on the order's lock, so one wins and the others see its parcel.
pub async fn ship_supplier_order(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    input: ShipInput,
) -> Result<OrderId, ActionError> {
    let so = scoped_supplier_order(ctx, caller, id).await?;
    let number = checked_tracking_number(&input.tracking_number, input.accept_unverified)?;
    let internal = |e: anyhow::Error| ActionError::Internal(e.to_string());
    let now = Utc::now();
    let actor = Actor::Merchant(caller.actor.clone());
    let mut tx = ctx.db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    // Read again under the lock: a cancellation or another parcel may have landed.
    let order = orders::load_for_update(&mut tx, so.order_id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("supplier order {id:?} not found")))?;
    if order.state.cancel_reason.is_some() || order.state.payment.is_reversed() {
        return Err(ActionError::Conflict(format!(
            "supplier order {id} must not ship: the order was {} in the store",
            if order.state.cancel_reason.is_some() {
                "cancelled"
            } else {
                "refunded"
            }
        )));
    }
    let (status, last_error) = supplier_orders::status_in(&mut tx, so.id).await?;
    if parcels::has_number(&mut tx, so.id, &number).await? {
        // The same parcel again (a retry, a double click): nothing new.
        return Ok(so.order_id);
    }
    if !matches!(
        status,
        SupplierOrderStatus::AwaitingShipment | SupplierOrderStatus::Shipped
    ) {
        return Err(ActionError::Conflict(format!(
            "supplier order {} is {}{}: only an order awaiting shipment can be shipped",
            so.id,
            status.as_str().replace('_', " "),
            last_error.map(|e| format!(" ({e})")).unwrap_or_default()
        )));
    }
    let left = parcels::left_to_ship(&mut tx, so.id).await?;
    let contents: Vec<(i64, i64)> = match &input.lines {
        None => left
            .iter()
            .filter(|(_, _, _, n)| *n > 0)
            .map(|(p, _, _, n)| (*p, *n))
            .collect(),
        Some(lines) => {
            let mut contents: Vec<(i64, i64)> = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let Some((position, _, title, n)) = left
                    .iter()
                    .find(|(_, line_id, _, _)| *line_id == line.line_id)
                else {
                    return Err(ActionError::Unprocessable(format!(
                        "lines[{i}].line_id: {:?} is not a line of supplier order {}",
                        line.line_id, so.id
                    )));
                };
                if line.quantity == 0 {
                    return Err(ActionError::Unprocessable(format!(
                        "lines[{i}].quantity: must be at least 1"
                    )));
                }
                let already: i64 = contents
                    .iter()
                    .filter(|(p, _)| p == position)
                    .map(|(_, q)| *q)
                    .sum();
                let asked = i64::from(line.quantity) + already;
                if asked > *n {
                    return Err(ActionError::Conflict(format!(
                        "lines[{i}]: {asked} of {title} asked but {n} left to ship"
                    )));
                }
                contents.retain(|(p, _)| p != position);
                contents.push((*position, asked));
            }
            contents
        }
    };
    if contents.is_empty() {
        return Err(ActionError::Conflict(format!(
            "supplier order {} has nothing left to ship: every line bought has a parcel",
            so.id
        )));
    }
    let parcel = Tracking {
        number,
        carrier: input
            .carrier
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty()),
        status: ShipmentStatus::InfoReceived,
        url: input.tracking_url,
    };
    let recorded = parcel_rules::record(&mut tx, &so, &parcel, &ctx.cadence, now)
        .await
        .map_err(internal)?;
    let Some(parcel_id) = recorded.id else {
        return Ok(so.order_id);
    };
    parcels::insert_items(&mut tx, &parcel_id, &contents).await?;
    if let Some(event) = recorded.event {
        order_tx::apply(
            &mut tx,
            so.order_id,
            Command::Record(vec![event]),
            actor.clone(),
        )
        .await
        .map_err(internal)?;
    }
    let everything = left
        .iter()
        .all(|(p, _, _, n)| contents.iter().any(|(q, k)| q == p && k == n) || *n == 0);
    if everything && status == SupplierOrderStatus::AwaitingShipment {
        move_to(&mut tx, &so, SupplierOrderStatus::Shipped, actor).await?;
    } else if !everything && order.state.procurement == Procurement::AwaitingShipment {
        // Part of it is on its way: Shopify's partially fulfilled.
        order_tx::apply(
            &mut tx,
            so.order_id,
            Command::SetProcurement(Procurement::PartiallyShipped),
            actor,
        )
        .await
        .map_err(internal)?;
    }
    tx.commit().await.map_err(StorageError::from)?;
    Ok(so.order_id)
}

/// Marks a manual supplier order delivered; returns the order it belongs to.
pub async fn deliver_supplier_order(
    ctx: &Context,
    caller: &Caller,
    id: &str,
) -> Result<OrderId, ActionError> {
    let so = manual_supplier_order(ctx, caller, id).await?;
    if so.status != SupplierOrderStatus::Shipped {
        return Err(ActionError::Conflict(format!(
            "supplier order {} is {}: only a shipped order can be delivered",
            so.id,
            so.status.as_str().replace('_', " ")
        )));
    }
    let mut tx = ctx.db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    move_to(
        &mut tx,
        &so,
        SupplierOrderStatus::Delivered,
        Actor::Merchant(caller.actor.clone()),
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(so.order_id)
}

async fn move_to(
    tx: &mut crate::storage::Tx<'_>,
    so: &SupplierOrder,
    status: SupplierOrderStatus,
    actor: Actor,
) -> Result<(), ActionError> {
    supplier_order_tx::apply(tx, Move::of(so, status), actor)
        .await
        .map_err(|e| ActionError::Internal(e.to_string()))?;
    Ok(())
}

pub async fn parcels_of(
    ctx: &Context,
    caller: &Caller,
    id: &str,
) -> Result<Vec<ParcelView>, ActionError> {
    let order_id = crate::services::orders::resolve(ctx, caller, id).await?;
    crate::services::vendor_view::parcels_for(ctx, caller, order_id).await
}

pub async fn ship(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    input: ShipInput,
) -> Result<Vec<ParcelView>, ActionError> {
    let order_id = ship_supplier_order(ctx, caller, id, input).await?;
    crate::services::vendor_view::parcels_for(ctx, caller, order_id).await
}

pub async fn deliver(ctx: &Context, caller: &Caller, id: &str) -> Result<(), ActionError> {
    deliver_supplier_order(ctx, caller, id).await?;
    Ok(())
}

/// Queues `action` for each order given (1 to 500), in the order given.
pub async fn bulk(
    ctx: &Context,
    caller: &Caller,
    input: BulkInput,
    action: Action,
) -> Result<BulkResult, ActionError> {
    if input.order_ids.is_empty() || input.order_ids.len() > 500 {
        return Err(ActionError::Unprocessable(
            "order_ids: give between 1 and 500 orders".into(),
        ));
    }
    let mut results = Vec::with_capacity(input.order_ids.len());
    for reference in &input.order_ids {
        results.push(act(ctx, reference, action, caller).await?);
    }
    Ok(BulkResult { results })
}
