//! What a merchant (or a vendor) does to the supplier side of orders: place, pay, refresh —
//! one order or many at once — and, for a manual vendor's purchase, enter the tracking number
//! and mark it delivered. Placing, paying and refreshing are queued as jobs (the answer is
//! 202 at once); who asked is on each order's timeline.

use crate::fulfilment::{order_tx, parcels as parcel_rules};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::AppState;
use crate::storage::accounts::{Role, Scope};
use crate::storage::parcels::{self, ParcelView};
use crate::storage::supplier_orders::{self, SupplierOrder};
use crate::storage::{orders, StorageError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::lifecycle::Command;
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::supplier::{SupplierKind, Tracking};
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
    state: &AppState,
    reference: &str,
    action: Action,
    caller: &Caller,
) -> Result<ActionResult, ApiError> {
    caller.require(
        &[Role::Owner, Role::Staff],
        &format!("{} orders", action.name()),
    )?;
    let Some(order_id) = orders::resolve(&state.db, &caller.scope, reference).await? else {
        return Ok(ActionResult {
            order_id: reference.to_string(),
            outcome: "not_found".into(),
            supplier_orders: 0,
            message: Some(format!("order {reference:?} not found")),
        });
    };
    let (statuses, job) = action.applies_to();
    let ids = supplier_orders::ids_for_order(&state.db, order_id, statuses).await?;
    if ids.is_empty() {
        let tab = orders::get(&state.db, order_id)
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
    let mut tx = state.db.begin().await?;
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
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(ActionResult {
        order_id: order_id.to_string(),
        outcome: "queued".into(),
        supplier_orders: ids.len(),
        message: None,
    })
}

async fn act_one(
    state: &AppState,
    reference: &str,
    action: Action,
    caller: &Caller,
) -> Result<(StatusCode, Json<ActionResult>), ApiError> {
    let result = act(state, reference, action, caller).await?;
    match result.outcome.as_str() {
        "not_found" => Err(ApiError::NotFound(result.message.unwrap_or_default())),
        "nothing_to_do" => Err(ApiError::Conflict(result.message.unwrap_or_default())),
        _ => Ok((StatusCode::ACCEPTED, Json(result))),
    }
}

/// Places the order's supplier orders that wait for placing (auto-order off, or held back).
#[utoipa::path(post, path = "/api/v1/orders/{id}/place", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = ActionResult), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<ActionResult>), ApiError> {
    act_one(&state, &id, Action::Place, &caller).await
}

/// Pays the order's supplier orders that wait for payment, from the wallet (the "Pay" click).
#[utoipa::path(post, path = "/api/v1/orders/{id}/pay", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = ActionResult), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn pay(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<ActionResult>), ApiError> {
    act_one(&state, &id, Action::Pay, &caller).await
}

/// Asks the suppliers about the order now instead of at the next scheduled sync.
#[utoipa::path(post, path = "/api/v1/orders/{id}/refresh", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 202, body = ActionResult), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<ActionResult>), ApiError> {
    act_one(&state, &id, Action::Refresh, &caller).await
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

async fn bulk(
    state: &AppState,
    input: BulkInput,
    action: Action,
    caller: &Caller,
) -> Result<Json<BulkResult>, ApiError> {
    if input.order_ids.is_empty() || input.order_ids.len() > 500 {
        return Err(ApiError::Unprocessable(
            "order_ids: give between 1 and 500 orders".into(),
        ));
    }
    let mut results = Vec::with_capacity(input.order_ids.len());
    for reference in &input.order_ids {
        results.push(act(state, reference, action, caller).await?);
    }
    Ok(Json(BulkResult { results }))
}

/// Bulk place: each order's waiting supplier orders are queued for placing.
#[utoipa::path(post, path = "/api/v1/orders/place", request_body = BulkInput,
    security(("bearer" = [])),
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk_place(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<BulkInput>,
) -> Result<Json<BulkResult>, ApiError> {
    bulk(&state, input, Action::Place, &caller).await
}

/// Bulk pay: each order's supplier orders awaiting payment are queued for paying.
#[utoipa::path(post, path = "/api/v1/orders/pay", request_body = BulkInput,
    security(("bearer" = [])),
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk_pay(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<BulkInput>,
) -> Result<Json<BulkResult>, ApiError> {
    bulk(&state, input, Action::Pay, &caller).await
}

/// The order's parcels with their tracking, check outcome and write-back state.
#[utoipa::path(get, path = "/api/v1/orders/{id}/parcels", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id or name")),
    responses((status = 200, body = Vec<ParcelView>), (status = 404, body = ErrorBody)))]
pub async fn parcels_of(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<ParcelView>>, ApiError> {
    let order_id = super::orders::resolve(&state, &caller, &id).await?;
    Ok(Json(
        super::vendor_view::parcels_for(&state, &caller, order_id).await?,
    ))
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
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<SupplierOrder, ApiError> {
    let not_found = || ApiError::NotFound(format!("supplier order {id:?} not found"));
    let id: SupplierOrderId = id.parse().map_err(|_| not_found())?;
    let so = supplier_orders::load(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    caller.require(
        &[Role::Owner, Role::Staff, Role::Vendor],
        "ship supplier orders",
    )?;
    caller
        .order(&state.db, so.order_id)
        .await
        .map_err(|_| not_found())?;
    if let Scope::Vendor { vendor, .. } = &caller.scope {
        if so.supplier_account != *vendor
            || SupplierKind::parse(&so.supplier) != Some(SupplierKind::Manual)
        {
            return Err(not_found());
        }
    }
    Ok(so)
}

/// A manual vendor's supplier order the caller may act on.
async fn manual_supplier_order(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<SupplierOrder, ApiError> {
    let so = scoped_supplier_order(state, caller, id).await?;
    if SupplierKind::parse(&so.supplier) != Some(SupplierKind::Manual) {
        return Err(ApiError::Conflict(format!(
            "supplier order {id} is bought from {}: its tracking comes from the supplier",
            so.supplier
        )));
    }
    Ok(so)
}

/// A vendor ships a manual supplier order (or the merchant enters a tracking number by hand
/// for any purchase): the tracking number, and which lines are in the parcel.
#[utoipa::path(post, path = "/api/v1/supplier-orders/{id}/ship", request_body = ShipInput,
    security(("bearer" = [])), params(("id" = String, Path, description = "supplier order id")),
    responses((status = 200, body = Vec<ParcelView>), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ship(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ShipInput>,
) -> Result<Json<Vec<ParcelView>>, ApiError> {
    let order_id = ship_supplier_order(&state, &caller, &id, input).await?;
    Ok(Json(
        super::vendor_view::parcels_for(&state, &caller, order_id).await?,
    ))
}

/// Records a parcel on a supplier order and moves it to shipped once every line bought has
/// shipped; returns the order it belongs to. Idempotent per tracking number; concurrent calls
/// take turns on the order's lock, so one wins and the others see its parcel.
pub async fn ship_supplier_order(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: ShipInput,
) -> Result<OrderId, ApiError> {
    let so = scoped_supplier_order(state, caller, id).await?;
    let number = dropflow_core::tracking::normalise(&input.tracking_number);
    if number.len() < 5 || number.len() > 50 || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::Unprocessable(
            "tracking_number: must be 5 to 50 letters and digits".into(),
        ));
    }
    let (check, courier, _) = parcel_rules::check_number(&number);
    if check == "invalid" && !input.accept_unverified {
        return Err(ApiError::Unprocessable(format!(
            "tracking_number: fails the check digit of {}: check it for a typo (or send \
             accept_unverified: true to record it without sending it to the store)",
            courier.unwrap_or("its courier")
        )));
    }
    let internal = |e: anyhow::Error| ApiError::Internal(e.to_string());
    let now = Utc::now();
    let actor = Actor::Merchant(caller.actor.clone());
    let mut tx = state.db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    // Read again under the lock: a cancellation or another parcel may have landed.
    let order = orders::load_for_update(&mut tx, so.order_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("supplier order {id:?} not found")))?;
    if order.state.cancel_reason.is_some() || order.state.payment.is_reversed() {
        return Err(ApiError::Conflict(format!(
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
        return Err(ApiError::Conflict(format!(
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
                    return Err(ApiError::Unprocessable(format!(
                        "lines[{i}].line_id: {:?} is not a line of supplier order {}",
                        line.line_id, so.id
                    )));
                };
                if line.quantity == 0 {
                    return Err(ApiError::Unprocessable(format!(
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
                    return Err(ApiError::Conflict(format!(
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
        return Err(ApiError::Conflict(format!(
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
    let recorded = parcel_rules::record(&mut tx, &so, &parcel, &state.cadence, now)
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

/// A vendor (or the merchant) marks a manual supplier order delivered.
#[utoipa::path(post, path = "/api/v1/supplier-orders/{id}/deliver", security(("bearer" = [])),
    params(("id" = String, Path, description = "supplier order id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn deliver(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    deliver_supplier_order(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks a manual supplier order delivered; returns the order it belongs to.
pub async fn deliver_supplier_order(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<OrderId, ApiError> {
    let so = manual_supplier_order(state, caller, id).await?;
    if so.status != SupplierOrderStatus::Shipped {
        return Err(ApiError::Conflict(format!(
            "supplier order {} is {}: only a shipped order can be delivered",
            so.id,
            so.status.as_str().replace('_', " ")
        )));
    }
    let mut tx = state.db.begin().await?;
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
) -> Result<(), ApiError> {
    let statuses = supplier_orders::set_status(tx, so.id, status, None, None, None).await?;
    order_tx::apply(
        tx,
        so.order_id,
        Command::SupplierOrderChanged {
            supplier: so.label(),
            status,
            detail: None,
            procurement: Procurement::summarize(&statuses),
        },
        actor,
    )
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(())
}
