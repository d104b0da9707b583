//! Job handlers that move orders through the supplier side: routing now; placing, paying,
//! following and fulfilling as their connectors land. Each handler re-reads the order inside
//! its transaction and does nothing when the order no longer calls for it, so a job that runs
//! twice (a retry after a lost lease) is harmless.

/// `order.route`: a ready order's lines become one supplier order per supplier.
pub mod route;

use crate::jobs::Registry;
use crate::storage::Database;

/// Registers every fulfilment handler this build has.
pub fn register(registry: &mut Registry, db: &Database) {
    let routing_db = db.clone();
    registry.register(route::JOB, move |job| {
        let db = routing_db.clone();
        async move { route::run(&db, &job.payload).await }
    });
}
