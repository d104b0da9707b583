//! Job handlers that move orders through the supplier side: routing now; placing, paying,
//! following and fulfilling as their connectors land. Each handler re-reads the order inside
//! its transaction and does nothing when the order no longer calls for it, so a job that runs
//! twice (a retry after a lost lease) is harmless.

/// `order.route`: a ready order's lines become one supplier order per supplier.
pub mod route;
/// `supplier_order.place`: buys one supplier order, never twice.
pub mod place;

use crate::jobs::Registry;
use crate::storage::Database;

/// Registers every fulfilment handler this build has; `suppliers` are the connectors this
/// process can buy through (a supplier order for a kind not among them waits, its job failing
/// with the reason, until one is configured and the job retried).
pub fn register(registry: &mut Registry, db: &Database, suppliers: place::Suppliers) {
    let placing_db = db.clone();
    registry.register(place::JOB, move |job| {
        let db = placing_db.clone();
        let suppliers = suppliers.clone();
        async move { place::run(&db, &suppliers, &job.payload).await }
    });
    let routing_db = db.clone();
    registry.register(route::JOB, move |job| {
        let db = routing_db.clone();
        async move { route::run(&db, &job.payload).await }
    });
}
