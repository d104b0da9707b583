//! What the merchant does at the warehouse stage: decide on failed items, ship what is here,
//! choose the carrier, pay the shipping fee from the wallet; and what the merchant sees.

use super::{core_items, decisions, note, settle, Group, Leg, Result, WarehouseError};
use crate::storage::ledger::{self, PostError};
use crate::storage::warehouse as store;
use crate::storage::{Database, Tx};
use chrono::Utc;
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::ledger::{LedgerError, Operation};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::warehouse::consolidation::{readiness, ItemState, Readiness};
use dropflow_core::warehouse::inspection::FailureChoice;
use dropflow_core::warehouse::rates::Quote;
use dropflow_core::warehouse::stage::{WarehouseCommand, WarehouseLeg, WarehouseStage as S};

async fn load(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Leg> {
    Leg::load(tx, order_id).await?.ok_or_else(|| {
        WarehouseError::Conflict(format!(
            "order {order_id} is not shipped through the warehouse"
        ))
    })
}

/// The merchant's choice for every failed item still waiting for one, with what it does
/// (refund, new purchase) in the same transaction.
pub async fn decide(
    db: &Database,
    order_id: OrderId,
    choice: FailureChoice,
    actor: &Actor,
) -> Result<usize> {
    let rules = super::refund_rules(db).await?;
    let mut tx = db.begin().await?;
    let mut leg = load(&mut tx, order_id).await?;
    if leg.leg.stage == S::Cancelled {
        return Err(WarehouseError::Conflict(
            "the order was cancelled: nothing is refunded or bought again by a decision".into(),
        ));
    }
    let waiting: Vec<_> = store::items(&mut tx, order_id)
        .await?
        .into_iter()
        .filter(|i| i.state == ItemState::Failed { choice: None })
        .collect();
    if waiting.is_empty() {
        return Err(WarehouseError::Conflict(
            "no failed item waits for a decision".into(),
        ));
    }
    let what = match choice {
        FailureChoice::ReturnAndRefund => "return to the seller and refund",
        FailureChoice::Reorder => "reorder (the order waits for the replacement)",
        FailureChoice::AcceptAsIs => "accept as is",
    };
    let mut notes = vec![note(
        "decision",
        format!("{} failed item(s): {what}", waiting.len()),
    )];
    for item in &waiting {
        store::set_item_state(
            &mut tx,
            &item.id,
            ItemState::Failed {
                choice: Some(choice),
            },
        )
        .await?;
        match choice {
            FailureChoice::ReturnAndRefund => {
                notes.push(decisions::return_and_refund(&mut tx, db, &leg, item, &rules).await?)
            }
            FailureChoice::Reorder => notes.push(decisions::reorder(&mut tx, &leg, item).await?),
            FailureChoice::AcceptAsIs => {}
        }
    }
    let left = readiness(&core_items(&mut tx, order_id).await?);
    if left.shippable.is_empty() && left.blocked.is_empty() && left.missing.is_empty() {
        // Everything was returned: the warehouse has nothing to send; the store settles it.
        notes.push(note(
            "nothing_to_ship",
            "no item is left to ship: cancel the order in the store to close it",
        ));
    }
    leg.save(&mut tx, notes, actor).await?;
    settle(&mut tx, &mut leg, actor).await?;
    tx.commit().await?;
    Ok(waiting.len())
}

/// Ship what is here now; the rest follows in another parcel.
pub async fn ship_what_is_here(db: &Database, order_id: OrderId, actor: &Actor) -> Result<()> {
    let mut tx = db.begin().await?;
    let mut leg = load(&mut tx, order_id).await?;
    let items = core_items(&mut tx, order_id).await?;
    let lines = dropflow_core::warehouse::consolidation::ship_what_is_here(&items)
        .map_err(|e| WarehouseError::Conflict(e.to_string()))?;
    if leg.leg.stage != S::PartlyArrived {
        return Err(WarehouseError::Conflict(format!(
            "the order is {}: ship what is here applies while items are missing",
            leg.leg.stage.as_str()
        )));
    }
    leg.ship_what_is_here = true;
    leg.step(
        &mut tx,
        WarehouseCommand::ShipWhatIsHere,
        vec![note(
            "ship_what_is_here",
            format!("{} item(s) go now; the rest follows", lines.len()),
        )],
        actor,
    )
    .await?;
    settle(&mut tx, &mut leg, actor).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the carrier of the package and asks its fee on every order it carries (in the
/// caller's transaction).
pub(crate) async fn ask_fee(
    tx: &mut Tx<'_>,
    legs: &mut [Leg],
    package_id: &str,
    quote: &Quote,
    actor: &Actor,
) -> Result<()> {
    store::choose_carrier(
        tx,
        package_id,
        &quote.code,
        quote.price.minor,
        quote.price.currency.code(),
    )
    .await?;
    for leg in legs.iter_mut() {
        leg.step(
            tx,
            WarehouseCommand::AskShippingFee {
                carrier_code: quote.code.clone(),
                fee: quote.price,
            },
            vec![note(
                "carrier_chosen",
                format!(
                    "{} {} ({}-{} days)",
                    quote.carrier, quote.service, quote.days_min, quote.days_max
                ),
            )],
            actor,
        )
        .await?;
    }
    Ok(())
}

/// The merchant chooses one of the offered services (by code, or carrier + service name)
/// for the order's package being prepared (`package_id`, when given, must be that one).
pub async fn choose(
    db: &Database,
    order_id: OrderId,
    package_id: Option<&str>,
    carrier: &str,
    service: &str,
    actor: &Actor,
) -> Result<store::Package> {
    let mut tx = db.begin().await?;
    let mut group = Group::open_for(&mut tx, order_id, package_id).await?;
    let package = &group.package;
    let quote = package
        .quotes
        .iter()
        .find(|q| {
            q.code.eq_ignore_ascii_case(service)
                || (q.carrier.eq_ignore_ascii_case(carrier)
                    && q.service.eq_ignore_ascii_case(service))
        })
        .cloned()
        .ok_or_else(|| {
            WarehouseError::Invalid(format!(
                "{carrier} {service} is not offered for this parcel; offered: {}",
                package
                    .quotes
                    .iter()
                    .map(|q| q.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let id = package.id.clone();
    ask_fee(&mut tx, &mut group.legs, &id, &quote, actor).await?;
    let package = store::package(&mut tx, &id)
        .await?
        .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("package vanished")))?;
    tx.commit().await?;
    Ok(package)
}

/// Pays the shipping fee of the order's package being prepared from the wallet (the Pay
/// click); `package_id`, when given, must be that package.
pub async fn pay(
    db: &Database,
    order_id: OrderId,
    package_id: Option<&str>,
    actor: &Actor,
) -> Result<store::Package> {
    let mut tx = db.begin().await?;
    let mut group = Group::open_for(&mut tx, order_id, package_id).await?;
    let id = group.package.id.clone();
    pay_in(&mut tx, db, &mut group.legs, &id, actor, false).await?;
    let package = store::package(&mut tx, &id)
        .await?
        .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("package vanished")))?;
    tx.commit().await?;
    Ok(package)
}

/// Reserves and captures the package's fee once, from its store's wallet (reference
/// `wfee-<package>`, so it is paid at most once), and records the payment on every order the
/// package carries. Short of money: an error (nothing written) for a click; for the auto-pay
/// after packing, a note and the orders wait for the fee.
pub(crate) async fn pay_in(
    tx: &mut Tx<'_>,
    db: &Database,
    legs: &mut [Leg],
    package_id: &str,
    actor: &Actor,
    automatic: bool,
) -> Result<()> {
    let package = store::package(tx, package_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("package {package_id} not found")))?;
    if package.fee_paid_at.is_some() {
        return Err(WarehouseError::Conflict(format!(
            "the shipping fee of package {package_id} is already paid"
        )));
    }
    let Some(first) = legs.first() else {
        return Err(WarehouseError::Internal(anyhow::anyhow!(
            "package {package_id} carries no order"
        )));
    };
    let store_id = first.store_id;
    for leg in legs.iter() {
        if leg.leg.stage != S::AwaitingShippingFee {
            return Err(WarehouseError::Conflict(format!(
                "no shipping fee is due: the order is {}",
                leg.leg.stage.as_str()
            )));
        }
    }
    let (Some(minor), Some(code)) = (package.fee_minor, package.fee_currency.as_deref()) else {
        return Err(WarehouseError::Conflict("choose a carrier first".into()));
    };
    let currency = Currency::from_code(code)
        .map_err(|_| WarehouseError::Internal(anyhow::anyhow!("stored currency {code:?}")))?;
    let fee = Money::new(minor, currency);
    let reference = format!("wfee-{}", package.id);
    let reserve = Operation::Reserve {
        amount: fee,
        reference: reference.clone(),
    };
    match ledger::post(tx, db.engine, store_id, &reserve).await {
        Ok(_) | Err(PostError::Refused(LedgerError::Duplicate { .. })) => {}
        Err(PostError::Refused(e @ LedgerError::InsufficientFunds { .. })) => {
            if automatic {
                for leg in legs.iter() {
                    leg.save(
                        tx,
                        vec![note(
                            "fee_unpaid",
                            format!("the shipping fee was not paid automatically: {e}"),
                        )],
                        actor,
                    )
                    .await?;
                }
                return Ok(());
            }
            return Err(WarehouseError::Conflict(format!(
                "the wallet cannot pay the shipping fee: {e}; top up and pay again"
            )));
        }
        Err(e) => return Err(WarehouseError::Internal(e.into())),
    }
    let capture = Operation::Capture {
        amount: fee,
        reference: reference.clone(),
    };
    match ledger::post(tx, db.engine, store_id, &capture).await {
        Ok(_)
        | Err(PostError::Refused(LedgerError::Duplicate { .. }))
        | Err(PostError::Refused(LedgerError::AlreadySettled(_))) => {}
        Err(e) => return Err(WarehouseError::Internal(e.into())),
    }
    let now = Utc::now();
    let what = if legs.len() > 1 {
        format!(
            "shipping fee {fee} paid once for the parcel of {} orders",
            legs.len()
        )
    } else {
        format!("shipping fee {fee} paid")
    };
    for leg in legs.iter_mut() {
        leg.step(
            tx,
            WarehouseCommand::ShippingFeePaid { at: now },
            vec![note("fee_paid", what.clone())],
            actor,
        )
        .await?;
    }
    let due = now + chrono::Duration::hours(dropflow_core::warehouse::stage::DISPATCH_WITHIN_HOURS);
    store::fee_paid(tx, &package.id, &reference, now, due).await?;
    Ok(())
}

/// What the merchant sees of an order at the warehouse.
#[derive(Debug)]
pub struct WarehouseView {
    pub stage: String,
    pub leg: WarehouseLeg,
    pub ship_what_is_here: bool,
    /// Arrived / cleared / blocked / missing (with tracking and expected arrival).
    pub readiness: Readiness,
    pub items: Vec<store::ItemRow>,
    pub inbound: Vec<store::Inbound>,
    pub packages: Vec<store::Package>,
}

pub async fn view(db: &Database, order_id: OrderId) -> Result<Option<WarehouseView>> {
    let Some((leg, ship_what_is_here)) = store::leg_of(db, order_id).await? else {
        return Ok(None);
    };
    let items = store::items_of(db, order_id).await?;
    let inbound = store::inbound_of(db, order_id).await?;
    Ok(Some(WarehouseView {
        stage: leg.stage.as_str().to_string(),
        leg,
        ship_what_is_here,
        readiness: readiness(&super::to_core(items.clone(), &inbound)),
        items,
        inbound,
        packages: store::packages_of(db, order_id).await?,
    }))
}
