//! A manual vendor's earnings in the ledger ([`dropflow_core::payouts`]): earned when its
//! purchase is delivered ([`delivered`], called by `supplier_order_tx` in the transaction of
//! the move), charged when a case's supplier credit is its ([`charge`], called by
//! `after_sale::supplier_credit`), moved to available when the holding period is over and
//! asked for on the vendor's schedule ([`tick`], run by the follower).
//!
//! Each posting is referenced (the supplier order; `<supplier order>#case:<case>`), so a
//! repeat — a second delivery move, a retried credit, two followers — changes nothing.

use crate::storage::vendor_payouts::{self as store, PostError, PurseKey, VendorPurchase};
use crate::storage::{Database, Tx};
use crate::suppliers::registry;
use chrono::{DateTime, Utc};
use dropflow_core::money::Money;
use dropflow_core::payouts::{self, Kind};
use dropflow_core::reference::currency::Currency;

/// Most earnings moved per tick (the rest wait for the next one).
const BATCH: i64 = 500;

/// The actor a scheduled payout request is recorded as.
pub const SCHEDULE_ACTOR: &str = "schedule";

fn key_of(purchase: &VendorPurchase, currency: Currency) -> PurseKey {
    PurseKey {
        store_id: purchase.store_id.clone(),
        currency,
        vendor: purchase.vendor.clone(),
    }
}

/// The purchase, if a manual vendor fulfils it.
async fn vendors(
    tx: &mut Tx<'_>,
    supplier_order_id: &str,
) -> anyhow::Result<Option<VendorPurchase>> {
    Ok(store::purchase(tx, supplier_order_id)
        .await?
        .filter(|p| registry::capabilities_of(&p.supplier).hands_over_to_person))
}

/// Records what the vendor earns for its purchase delivered at `at`: its agreed cost (the
/// mapping's unit cost × quantity for each item, plus each item's shipping, as the purchase
/// was written by routing), pending until the vendor's holding period is over. Nothing for another supplier's
/// purchase, one without a cost, or one already earned. Whether it was recorded now.
pub async fn delivered(
    tx: &mut Tx<'_>,
    supplier_order_id: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let Some(purchase) = vendors(tx, supplier_order_id).await? else {
        return Ok(false);
    };
    let currency = purchase
        .currency
        .as_deref()
        .and_then(|c| Currency::from_code(c).ok());
    let (Some(currency), Some(cost)) = (currency, purchase.cost_minor.filter(|c| *c > 0)) else {
        tracing::warn!(supplier_order = %purchase.supplier_order_id,
            "a vendor's purchase delivered without a cost: nothing earned");
        return Ok(false);
    };
    let amount = Money::new(cost, currency);
    let settings = store::settings_in(&mut **tx, &purchase.account_id, &purchase.vendor).await?;
    let key = key_of(&purchase, currency);
    let reference = purchase.supplier_order_id.clone();
    match store::post(tx, &key, Kind::Earning, &reference, |b| {
        payouts::earn(b, amount, &reference)
    })
    .await
    {
        Ok(_) => {}
        Err(PostError::Duplicate { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let available_at = payouts::available_at(at, settings.holding_days);
    store::insert_earning(tx, &purchase, amount, at, available_at).await?;
    Ok(true)
}

/// Whether `supplier_order_id` is a manual vendor's purchase (its credits are charges).
pub async fn is_vendors(tx: &mut Tx<'_>, supplier_order_id: &str) -> anyhow::Result<bool> {
    Ok(vendors(tx, supplier_order_id).await?.is_some())
}

/// Charges the vendor `amount` that it refunded on case `case_id` about its purchase: off its
/// available balance (which may go negative). Whether it was charged now (false: a repeat,
/// or not a vendor's purchase).
pub async fn charge(
    tx: &mut Tx<'_>,
    supplier_order_id: &str,
    case_id: &str,
    amount: Money,
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let Some(purchase) = vendors(tx, supplier_order_id).await? else {
        return Ok(false);
    };
    let key = key_of(&purchase, amount.currency);
    let reference = payouts::charge_reference(supplier_order_id, case_id);
    match store::post(tx, &key, Kind::Charge, &reference, |b| {
        payouts::charge(b, amount, &reference)
    })
    .await
    {
        Ok(_) => {}
        Err(PostError::Duplicate { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    store::insert_charge(tx, &reference, &purchase, case_id, amount, at).await?;
    Ok(true)
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ticked {
    /// Earnings that became available.
    pub matured: usize,
    /// Payouts the schedules asked for.
    pub requested: usize,
}

/// Moves every earning due at `now` to available (each checked again under its purse's
/// lock, so two followers move it once) and asks for the payouts the vendors' schedules call
/// for. Reads only, when nothing is due.
pub async fn tick(db: &Database, now: DateTime<Utc>) -> anyhow::Result<Ticked> {
    let mut ticked = Ticked::default();
    let due = store::due_earnings(db, now, BATCH).await?;
    if !due.is_empty() {
        let mut tx = db.begin().await?;
        for row in &due {
            let purse = store::lock_purse(&mut tx, &row.key).await?;
            let Some(fresh) = store::earning_in(&mut tx, &row.earning.reference).await? else {
                continue;
            };
            if fresh.earning.matured {
                continue;
            }
            let earning = fresh.earning.clone();
            match store::post_locked(
                &mut tx,
                &row.key,
                purse.balances,
                Kind::Mature,
                &earning.reference,
                |b| payouts::mature(b, &earning, now),
            )
            .await
            {
                Ok(_) => ticked.matured += 1,
                // Moved by an earlier run whose row update was lost cannot happen in one
                // transaction; a repeat is still harmless.
                Err(PostError::Duplicate { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            store::mark_matured(&mut tx, &earning.reference, now).await?;
        }
        tx.commit().await?;
    }
    for (purse, settings) in store::scheduled_purses(db).await? {
        // Decided first from what was read, then again under the lock: an idle schedule
        // writes nothing.
        if payouts::scheduled_due(
            &purse.balances,
            &settings,
            purse.last_scheduled_at,
            false,
            now,
        )
        .is_none()
        {
            continue;
        }
        let mut tx = db.begin().await?;
        let locked = store::lock_purse(&mut tx, &purse.key).await?;
        let open = store::open_request(&mut tx, &purse.key).await?;
        let asked = payouts::scheduled_due(
            &locked.balances,
            &settings,
            locked.last_scheduled_at,
            open,
            now,
        );
        if let Some(amount) = asked {
            store::insert_request(&mut tx, &purse.key, amount, SCHEDULE_ACTOR, now).await?;
            ticked.requested += 1;
        }
        store::set_last_scheduled(&mut tx, &purse.key, now).await?;
        tx.commit().await?;
    }
    Ok(ticked)
}
