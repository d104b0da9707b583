//! Job handlers that move orders through the supplier side: route, place, pay, follow the
//! supplier, record parcels, write them back to the store, follow the carrier. Each handler
//! re-reads what it acts on inside its transaction and does nothing when it no longer calls
//! for it, so a job that runs twice (a retry after a lost lease) is harmless.
//!
//! Supplier and store calls never run inside a database transaction (SQLite has one writer;
//! a slow supplier must not hold it): read, call, then write the answer in one transaction
//! together with the order's transition and the follow-up jobs.

/// `order.route`: a ready order's lines become one supplier order per supplier.
pub mod route;
/// Lifts an order's out-of-stock hold when an offer has the stock again.
pub mod restock;
/// `offer.read`: a supplier offer's stock and cost, read at the pace it needs.
pub mod catalogue;
/// `store.read_catalogue` / `store.write_catalogue`: the store's catalogue kept in step with
/// its suppliers (stock, price, on sale), only differences written.
pub mod store_catalogue;
/// A store's Admin API connector for a job, and which failures a retry can fix.
pub(crate) mod store_access;
/// `supplier_order.place`: buys one supplier order, never twice.
pub mod place;
/// `supplier_order.pay`: pays a placed supplier order from the wallet.
pub mod pay;
/// `supplier_order.sync` and the CJ webhook: the supplier's news applied to our records.
pub mod sync;
/// Parcels the suppliers report: recorded once, checked, queued for write-back and tracking.
pub mod parcels;
/// `shipment.push`: a parcel's tracking written back to the store.
pub mod push;
/// `shipments.track`: carrier status for a batch of parcels.
pub mod track;
/// `order.cancel_supplier_orders`: a cancelled order's unpaid purchases released.
pub mod cancel;
/// A store's capture policy changed: its waiting authorized orders judged again.
pub mod capture;
/// `order.reconcile_edit`: a store edit re-derives what is unplaced and flags what was bought.
pub mod edits;
/// Raising a flag a person settles (Needs Attention, vendor told).
pub mod flags;
/// A job that used up its tries flags its order for a person.
mod gave_up;
/// The follower: a periodic tick that queues syncs for whatever is due.
pub mod follower;
/// Wallet movements tied to a supplier order.
mod wallet;
/// The warehouse leg of marketplace purchases (issue 4).
pub mod warehouse;
/// After delivery: cases carried out on both sides (the customer refunded through the
/// store, store refunds read in, the supplier asked and followed, replacements bought, the
/// return followed), every change through one transaction helper.
pub mod after_sale;
/// One order transition inside a caller's transaction.
pub mod order_tx;
/// A manual vendor's earnings: earned on delivery, charged by cases, matured by the follower.
pub mod vendor_earnings;

/// A supplier order and its order moved together inside a caller's transaction.
pub(crate) mod supplier_order_tx;

use crate::carriers::TrackingProvider;
use crate::jobs::Registry;
use crate::platforms::admin::StoreAdmin;
use crate::storage::settings::AdminAccess;
use crate::storage::Database;
use dropflow_core::follow::Cadence;
use dropflow_core::intake::Platform;
use futures::future::BoxFuture;
use std::sync::Arc;

use crate::suppliers::Suppliers;

/// Builds the Admin API client for a store from its platform and stored access.
pub type AdminFactory =
    Arc<dyn Fn(Platform, &AdminAccess) -> Option<Arc<dyn StoreAdmin>> + Send + Sync>;

/// Everything the handlers reach outside the database.
#[derive(Clone)]
pub struct Services {
    pub db: Database,
    pub suppliers: Suppliers,
    /// The carrier tracking service; `None` = parcels are followed through the supplier only.
    pub tracking: Option<Arc<dyn TrackingProvider>>,
    pub admin: AdminFactory,
    pub cadence: Cadence,
}

/// A supplier's failure as a job's error. Being rate limited (CJ's used-up daily quota
/// included) is the supplier pacing us: the job waits as long as it was told
/// ([`crate::jobs::RetryAfter`], the try given back) instead of burning its tries and leaving a
/// real order failed for good. Anything else retries with the usual backoff.
pub(crate) fn supplier_failure(error: dropflow_core::supplier::SupplierError) -> anyhow::Error {
    match error {
        dropflow_core::supplier::SupplierError::RateLimited { retry_after } => {
            crate::jobs::RetryAfter {
                after: retry_after.unwrap_or(std::time::Duration::from_secs(60)),
                message: "rate limited by the supplier".to_string(),
            }
            .into()
        }
        other => other.into(),
    }
}

impl Services {
    /// No suppliers, no carrier, no store write-back: what a bare `serve` has.
    pub fn bare(db: &Database) -> Services {
        Services {
            db: db.clone(),
            suppliers: Suppliers::default(),
            tracking: None,
            admin: Arc::new(|_, _| None),
            cadence: Cadence::default(),
        }
    }
}

/// Registers every fulfilment handler. A supplier order for a supplier this process has no
/// connector for waits, its job failing with the reason, until one is configured and the job
/// retried; the same for a store without Admin API access.
pub fn register(registry: &mut Registry, services: Services) {
    for (kind, handler) in HANDLERS {
        let s = services.clone();
        registry.register(kind, move |job| {
            let s = s.clone();
            async move {
                let result = handler(&s, &job.payload).await;
                if let Err(error) = &result {
                    if gave_up::was_last_try(&job, error) {
                        if let Err(flag_error) = gave_up::flag(&s.db, &job, error).await {
                            tracing::error!(job.id = job.id, error = %flag_error,
                                "could not flag the order of a job that used up its tries");
                        }
                    }
                }
                result
            }
        });
    }
    // Jobs that failed for want of a supplier's or the tracking service's settings run again
    // once a process that has them starts.
    for kind in services.suppliers.kinds() {
        registry.provide(crate::jobs::waits::supplier(kind.as_str()));
    }
    if services.tracking.is_some() {
        registry.provide(crate::jobs::waits::CARRIER_TRACKING.to_string());
    }
    // Requests that ask a supplier while a person waits (a link by hand is checked against
    // the supplier's order) use the same connectors.
    registry.set_suppliers(services.suppliers);
}

/// A job handler: the services it may reach and the job's payload.
type Handler = for<'a> fn(&'a Services, &'a serde_json::Value) -> BoxFuture<'a, anyhow::Result<()>>;

/// Every fulfilment job kind and what runs it.
const HANDLERS: [(&str, Handler); 20] = [
    (route::JOB, |s, payload| {
        Box::pin(route::run(&s.db, payload))
    }),
    (edits::JOB, |s, payload| {
        Box::pin(edits::run(&s.db, payload))
    }),
    (restock::JOB, |s, payload| {
        Box::pin(restock::run(&s.db, payload))
    }),
    (catalogue::JOB, |s, payload| {
        Box::pin(catalogue::run(s, payload))
    }),
    (store_catalogue::READ_JOB, |s, payload| {
        Box::pin(store_catalogue::read::run(s, payload))
    }),
    (store_catalogue::WRITE_JOB, |s, payload| {
        Box::pin(store_catalogue::write::run(s, payload))
    }),
    (place::JOB, |s, payload| {
        Box::pin(async move { place::place(s, supplier_order_id(payload)?).await })
    }),
    (pay::JOB, |s, payload| {
        Box::pin(async move { pay::pay(s, supplier_order_id(payload)?).await })
    }),
    (sync::JOB, |s, payload| {
        Box::pin(async move { sync::sync(s, supplier_order_id(payload)?).await })
    }),
    (push::JOB, |s, payload| Box::pin(push::run(s, payload))),
    (track::JOB, |s, payload| Box::pin(track::run(s, payload))),
    (sync::CJ_EVENT_JOB, |s, payload| {
        Box::pin(sync::apply_cj_event(s, payload))
    }),
    (warehouse::seller_return::JOB, |s, payload| {
        Box::pin(warehouse::seller_return::run(s, payload))
    }),
    (cancel::JOB, |s, payload| Box::pin(cancel::run(s, payload))),
    (cancel::PURCHASE_JOB, |s, payload| {
        Box::pin(cancel::run_purchase(s, payload))
    }),
    (after_sale::refund_customer::JOB, |s, payload| {
        Box::pin(async move {
            after_sale::refund_customer::refund(s, after_sale::case_id(payload)?).await
        })
    }),
    (after_sale::read_refunds::JOB, |s, payload| {
        Box::pin(after_sale::read_refunds::run(s, payload))
    }),
    (after_sale::ask_supplier::JOB, |s, payload| {
        Box::pin(
            async move { after_sale::ask_supplier::ask(s, after_sale::case_id(payload)?).await },
        )
    }),
    (after_sale::follow_supplier::JOB, |s, payload| {
        Box::pin(async move {
            after_sale::follow_supplier::follow(s, after_sale::case_id(payload)?).await
        })
    }),
    (after_sale::replacement::JOB, |s, payload| {
        Box::pin(
            async move { after_sale::replacement::order(s, after_sale::case_id(payload)?).await },
        )
    }),
];

/// The supplier order a job is about; that it is gone is an error (the job fails with it).
pub(crate) async fn supplier_order(
    db: &Database,
    id: dropflow_core::ids::SupplierOrderId,
) -> anyhow::Result<crate::storage::supplier_orders::SupplierOrder> {
    use anyhow::Context;
    crate::storage::supplier_orders::load(db, id)
        .await?
        .with_context(|| format!("supplier order {id} does not exist"))
}

/// Reads `{"supplier_order_id": …}` from a job payload.
pub(crate) fn supplier_order_id(
    payload: &serde_json::Value,
) -> anyhow::Result<dropflow_core::ids::SupplierOrderId> {
    use anyhow::Context;
    payload
        .get("supplier_order_id")
        .and_then(|v| v.as_str())
        .context("the job payload has no supplier_order_id")?
        .parse()
        .context("the job payload's supplier_order_id is not an id")
}

/// Reads `{"order_id": …}` from a job payload.
pub(crate) fn order_id(payload: &serde_json::Value) -> anyhow::Result<dropflow_core::ids::OrderId> {
    use anyhow::Context;
    payload
        .get("order_id")
        .and_then(|v| v.as_str())
        .context("the job payload has no order_id")?
        .parse()
        .context("the job payload's order_id is not an order id")
}
