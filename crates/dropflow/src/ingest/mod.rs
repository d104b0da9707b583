//! Group-commit ingestion. HTTP handlers verify and parse webhooks in parallel, then hand each
//! delivery to one writer task and wait. The writer takes every delivery that is waiting,
//! writes them all in ONE transaction, commits (one fsync for the lot) and only then answers
//! each handler, which answers the store 200. So an acknowledged order is always on disk, and
//! throughput is not capped by the disk's fsync rate (perf-limits.md: ~2,000 single commits/s).
//!
//! If a batch fails (a conflict with another process on PostgreSQL, a bad row), every delivery
//! in it is retried alone, so one bad delivery never takes its neighbours down with it.

/// Turning a store order into the lifecycle's snapshot (address check, fingerprint).
pub mod snapshot;
/// The writer task and the per-delivery transaction logic.
mod writer;

use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::intake::{Platform, StoreOrder};
use tokio::sync::{mpsc, oneshot};

pub use writer::write_one;

/// One verified, parsed webhook delivery about an order.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub store_id: StoreId,
    pub platform: Platform,
    /// What makes two deliveries "the same" (Shopify event id, WooCommerce delivery id).
    pub dedup_key: String,
    pub topic: String,
    /// The raw body as received, kept verbatim as the receipt.
    pub body: String,
    pub order: StoreOrder,
    /// Why the order is implausible and must be held for a person
    /// (`platforms::limits::IntakeLimits::review`); `None`: plausible.
    pub review: Option<String>,
}

/// What happened to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created(OrderId),
    Updated(OrderId),
    /// Older than what was already applied; recorded on the timeline, state unchanged.
    Stale(OrderId),
    /// Already received (same dedup key): nothing written.
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the ingest writer is not running")]
    Unavailable,
    #[error("could not store the delivery: {0}")]
    Storage(String),
}

/// Tuning for the writer.
#[derive(Debug, Clone, Copy)]
pub struct IngestConfig {
    /// Most deliveries in one transaction.
    pub max_batch: usize,
    /// Deliveries that may wait for the writer before submitters are slowed down.
    pub queue_depth: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_batch: 256,
            queue_depth: 4096,
        }
    }
}

struct Pending {
    delivery: Delivery,
    reply: oneshot::Sender<Result<Outcome, IngestError>>,
}

/// The handle HTTP handlers submit through. Cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    queue: mpsc::Sender<Pending>,
}

impl Ingest {
    /// Starts the writer task on `db`.
    pub fn start(
        db: crate::storage::Database,
        config: IngestConfig,
    ) -> (Ingest, tokio::task::JoinHandle<()>) {
        let (queue, receiver) = mpsc::channel(config.queue_depth);
        let task = tokio::spawn(writer::run(db, receiver, config));
        (Ingest { queue }, task)
    }

    /// Stores one delivery durably; returns after the commit.
    pub async fn submit(&self, delivery: Delivery) -> Result<Outcome, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { delivery, reply })
            .await
            .map_err(|_| IngestError::Unavailable)?;
        answer.await.map_err(|_| IngestError::Unavailable)?
    }
}
