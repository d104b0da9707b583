//! Flags a person settles (`storage::flags`), and the two ways out of a placement nobody
//! can see: link it by hand to the supplier's order, or knowingly buy again.
//!
//! - `GET /orders/{id}/flags`, `POST /orders/{id}/flags/{flag}/resolve` (`accept`: the
//!   change is taken as it is — a quantity or address difference is not raised again);
//! - `POST /supplier-orders/{id}/link` (`{"supplier_order_id": …}`): the attempt is the
//!   supplier's order N, fetched and checked first (`link_check`: same items and quantities,
//!   same ship-to, our reference): a difference refuses the link (422 naming it) unless the
//!   person sends `accept_mismatch: true`, which the timeline records with who did; it is
//!   followed from there;
//! - `POST /supplier-orders/{id}/buy-again` (`{"accept_duplicate_risk": true}`): the attempt
//!   is given up and its lines routed again, with who decided on the timeline.

use super::MERCHANTS;
use crate::fulfilment::order_tx;
use crate::fulfilment::supplier_order_tx::{self, Move};
use crate::services::{ActionError, Caller, Context};
use crate::storage::flags::{self, kind, Flag};
use crate::storage::{orders, supplier_orders, StorageError, Tx};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::{OrderId, SupplierOrderId};
use dropflow_core::lifecycle::Command;
use dropflow_core::link_check;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::supplier::SupplierError;
use serde::Deserialize;

fn internal(e: anyhow::Error) -> ActionError {
    ActionError::Internal(e.to_string())
}

/// How a flag is settled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// `accept`: take the change as it is (the supplier keeps what it has).
    #[schema(example = "accept")]
    pub action: String,
    /// What was agreed, for the record.
    pub note: Option<String>,
}

/// The open flag `flag_id` of the order `id`, read under the order's lock in a new
/// transaction (the caller's action writes in it): 404 outside the caller's scope or for no such
/// flag, 409 once it is resolved.
pub(super) async fn open_flag(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    flag_id: &str,
) -> Result<
    (
        crate::storage::Tx<'static>,
        dropflow_core::ids::OrderId,
        Flag,
    ),
    ActionError,
> {
    let order_id = super::orders::resolve(ctx, caller, id).await?;
    let not_found = || ActionError::NotFound(format!("flag {flag_id:?} not found"));
    let mut tx = ctx.db.begin().await?;
    orders::lock(&mut tx, order_id).await?;
    let flag = flags::get_in(&mut tx, order_id, flag_id)
        .await?
        .ok_or_else(not_found)?;
    if flag.resolved_at.is_some() {
        return Err(ActionError::Conflict(format!(
            "flag {flag_id} was resolved already ({})",
            flag.resolution.clone().unwrap_or_default()
        )));
    }
    Ok((tx, order_id, flag))
}

/// Settles one open flag of the order `id` (the API's and the dashboard's Accept).
pub async fn resolve_flag(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    flag_id: &str,
    input: ResolveInput,
) -> Result<Flag, ActionError> {
    caller.require(MERCHANTS, "resolve flags")?;
    if input.action != "accept" {
        return Err(ActionError::Unprocessable(format!(
            "action: {:?} is not one of accept (link or buy again a placement with \
             /supplier-orders/{{id}}/link or /buy-again)",
            input.action
        )));
    }
    if input.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(ActionError::Unprocessable(
            "note: at most 500 characters".into(),
        ));
    }
    let (mut tx, order_id, flag) = open_flag(ctx, caller, id, flag_id).await?;
    let not_found = || ActionError::NotFound(format!("flag {flag_id:?} not found"));
    let resolution = match &input.note {
        Some(note) if !note.trim().is_empty() => format!("accepted: {}", note.trim()),
        _ => "accepted".to_string(),
    };
    if let Some(so) = flags::supplier_order_of(&flag)? {
        if flag.kind == kind::QUANTITY_CHANGED || flag.kind == kind::ADDRESS_CHANGED {
            let current = orders::load_for_update(&mut tx, order_id)
                .await?
                .ok_or_else(not_found)?;
            let address = (flag.kind == kind::ADDRESS_CHANGED)
                .then_some(current.state.address_fingerprint.as_deref())
                .flatten();
            supplier_orders::accept_current(&mut tx, so, address).await?;
        }
    }
    let resolved = settle(&mut tx, order_id, &flag, resolution, caller).await?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(resolved)
}

/// Settles an open flag in the caller's transaction: the flag marked resolved with
/// `resolution` and who did it, the same words on the order's timeline. The flag as it now
/// stands.
pub(crate) async fn settle(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    flag: &Flag,
    resolution: String,
    caller: &Caller,
) -> Result<Flag, ActionError> {
    flags::resolve(tx, order_id, &flag.id, &resolution, &caller.actor).await?;
    order_tx::apply(
        tx,
        order_id,
        Command::Record(vec![OrderEvent::FlagResolved {
            flag: flag.kind.clone(),
            resolution,
        }]),
        Actor::Merchant(caller.actor.clone()),
    )
    .await
    .map_err(internal)?;
    flags::get_in(tx, order_id, &flag.id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("flag {:?} not found", flag.id)))
}

/// The supplier's order an attempt made.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// The supplier's own order number, as its dashboard shows it.
    pub supplier_order_id: String,
    /// `true`: link it even though the supplier's order differs from the purchase (other
    /// items or quantities, another ship-to, another reference) or could not be compared;
    /// the differences are recorded on the timeline with who accepted them.
    #[serde(default)]
    pub accept_mismatch: bool,
}

/// A purchase an owner or staff member may settle by hand: one whose placement is in doubt
/// (unanswered, or refused as a repeat the supplier cannot look up).
async fn in_doubt(
    ctx: &Context,
    caller: &Caller,
    id: &str,
) -> Result<supplier_orders::SupplierOrder, ActionError> {
    caller.require(MERCHANTS, "settle purchases by hand")?;
    let not_found = || ActionError::NotFound(format!("supplier order {id:?} not found"));
    let so_id: SupplierOrderId = id.parse().map_err(|_| not_found())?;
    let so = supplier_orders::load(&ctx.db, so_id)
        .await?
        .ok_or_else(not_found)?;
    caller
        .order(&ctx.db, so.order_id)
        .await
        .map_err(|_| not_found())?;
    if !matches!(
        so.status,
        SupplierOrderStatus::PlacementUnknown | SupplierOrderStatus::Rejected
    ) {
        return Err(ActionError::Conflict(format!(
            "supplier order {id} is {}: only a placement in doubt (unanswered, or to link by \
             hand) can be linked or bought again",
            so.status.as_str().replace('_', " ")
        )));
    }
    Ok(so)
}

/// Links the purchase `id` to the supplier's order (the API's and the dashboard's Link).
pub async fn link_purchase(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    input: LinkInput,
) -> Result<supplier_orders::SupplierOrderView, ActionError> {
    let so = in_doubt(ctx, caller, id).await?;
    let external = input.supplier_order_id.trim();
    if external.is_empty()
        || external.len() > 64
        || !external
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ActionError::Unprocessable(
            "supplier_order_id: 1 to 64 letters, digits, - or _".into(),
        ));
    }
    if let Some(other) =
        supplier_orders::find_by_supplier_ref(&ctx.db, &so.supplier, Some(external), None)
            .await?
            .filter(|other| *other != so.id)
    {
        return Err(ActionError::Conflict(format!(
            "{}'s order {external} is already linked to supplier order {other}",
            so.supplier
        )));
    }
    let findings = check_link(ctx, &so, external).await?;
    if !findings.matches() && !input.accept_mismatch {
        return Err(ActionError::Unprocessable(format!(
            "supplier_order_id: {}'s order {external} does not match this purchase: {} (send \
             accept_mismatch: true to link it anyway)",
            so.supplier,
            findings.mismatches.join("; ")
        )));
    }
    let mut detail = format!("linked by hand to {}'s order {external}", so.supplier);
    if !findings.mismatches.is_empty() {
        detail.push_str(&format!(
            "; {} accepted the differences: {}",
            caller.actor,
            findings.mismatches.join("; ")
        ));
    }
    if !findings.unchecked.is_empty() {
        detail.push_str(&format!(
            " (not checked: {})",
            findings.unchecked.join(", ")
        ));
    }
    let mut tx = ctx.db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    // Placed, not known to be paid: the sync job fetches the supplier's order and moves it
    // forward from there (forward only), so a paid one is seen as paid.
    supplier_orders::enqueue_job(
        &mut tx,
        dropflow_core::jobs::SYNC_SUPPLIER_ORDER,
        so.id,
        so.order_id,
    )
    .await?;
    flags::resolve_kind(&mut tx, so.id, kind::LINK_BY_HAND, &detail, &caller.actor).await?;
    let linked = Move {
        external_id: Some(external),
        detail: Some(detail.clone()),
        ..Move::of(&so, SupplierOrderStatus::AwaitingPayment)
    };
    supplier_order_tx::apply(&mut tx, linked, Actor::Merchant(caller.actor.clone()))
        .await
        .map_err(internal)?;
    order_tx::apply(
        &mut tx,
        so.order_id,
        Command::Record(vec![OrderEvent::FlagResolved {
            flag: kind::LINK_BY_HAND.into(),
            resolution: detail,
        }]),
        Actor::Merchant(caller.actor.clone()),
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(StorageError::from)?;
    supplier_orders::for_order(&ctx.db, so.order_id)
        .await?
        .into_iter()
        .find(|v| v.id == so.id.to_string())
        .ok_or_else(|| ActionError::NotFound(format!("supplier order {id:?} not found")))
}

/// Fetches the supplier's order `external` and compares it with the purchase `so`. A
/// supplier this process cannot ask is a difference the person must accept; an order the
/// supplier does not have (or that cannot be read) is refused; no answer is 503.
async fn check_link(
    ctx: &Context,
    so: &supplier_orders::SupplierOrder,
    external: &str,
) -> Result<link_check::Findings, ActionError> {
    let Some(connector) = ctx.suppliers.for_stored(&so.supplier) else {
        return Ok(link_check::Findings {
            mismatches: vec![format!(
                "{} cannot be asked from this process, so its order could not be compared",
                so.supplier
            )],
            unchecked: Vec::new(),
        });
    };
    let remote = match connector.order(external).await {
        Ok(remote) => remote,
        Err(error) if error.is_transient() => {
            return Err(ActionError::Unavailable(format!(
                "{} did not answer for order {external} ({error}): try again",
                so.supplier
            )))
        }
        Err(SupplierError::Unauthorized(why)) => {
            return Err(ActionError::Unavailable(format!(
                "{} refused our credentials ({why}): fix the supplier settings, then link",
                so.supplier
            )))
        }
        Err(error) => {
            return Err(ActionError::Unprocessable(format!(
                "supplier_order_id: {} has no order {external} that can be read ({error})",
                so.supplier
            )))
        }
    };
    let address = orders::purchase_view(&ctx.db, so.order_id)
        .await?
        .and_then(|o| o.shipping_address)
        .map(|customer| connector.ships_to(&customer));
    let items: Vec<link_check::Expected> = so
        .items
        .iter()
        .map(|i| link_check::Expected {
            supplier_product_id: i.supplier_product_id.clone(),
            supplier_sku_id: i.supplier_sku_id.clone(),
            quantity: u32::try_from(i.quantity).unwrap_or(0),
        })
        .collect();
    Ok(link_check::check(
        &so.supplier,
        &so.attempt_id,
        &items,
        address.as_ref(),
        &remote,
    ))
}

/// A job queued for the order.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Queued {
    pub job_id: i64,
    pub order_id: String,
}

/// Buying again means risking a second purchase: said out loud.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyAgainInput {
    /// Must be `true`: the earlier attempt may have bought the goods already, and buying
    /// again may buy (and pay for) them twice.
    pub accept_duplicate_risk: bool,
}

/// Gives up the purchase `id` and queues routing its lines again (API and dashboard).
pub async fn buy_purchase_again(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    input: BuyAgainInput,
) -> Result<Queued, ActionError> {
    if !input.accept_duplicate_risk {
        return Err(ActionError::Unprocessable(
            "accept_duplicate_risk: must be true — the earlier attempt may have bought the \
             goods already; link it instead if you can find it"
                .into(),
        ));
    }
    let so = in_doubt(ctx, caller, id).await?;
    let detail = format!(
        "attempt {} given up by {}: bought again, at the risk of a second purchase",
        so.attempt_id, caller.actor
    );
    let mut tx = ctx.db.begin().await?;
    orders::lock(&mut tx, so.order_id).await?;
    if !supplier_orders::compare_and_set_status(
        &mut tx,
        so.id,
        so.status,
        SupplierOrderStatus::Cancelled,
    )
    .await?
    {
        return Err(ActionError::Conflict(format!(
            "supplier order {id} changed meanwhile: reload and look again"
        )));
    }
    flags::resolve_kind(
        &mut tx,
        so.id,
        kind::LINK_BY_HAND,
        "bought again",
        &caller.actor,
    )
    .await?;
    supplier_order_tx::apply(
        &mut tx,
        Move::of(&so, SupplierOrderStatus::Cancelled).noted(&detail),
        Actor::Merchant(caller.actor.clone()),
    )
    .await
    .map_err(internal)?;
    let job = crate::storage::jobs::enqueue(
        &mut tx,
        crate::fulfilment::route::JOB,
        &serde_json::json!({ "order_id": so.order_id.to_string() }),
        Some(so.order_id),
        crate::storage::now_ms(),
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    ctx.db.jobs_queued.notify_one();
    tracing::info!(supplier_order.id = %so.id, "attempt given up; buying again");
    Ok(Queued {
        job_id: job,
        order_id: so.order_id.to_string(),
    })
}

pub async fn list(ctx: &Context, caller: &Caller, id: &str) -> Result<Vec<Flag>, ActionError> {
    caller.require(MERCHANTS, "read flags")?;
    let order_id = crate::services::orders::resolve(ctx, caller, id).await?;
    Ok(flags::for_order(&ctx.db, order_id).await?)
}
