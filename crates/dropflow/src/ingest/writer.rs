use super::snapshot::snapshot_of;
use super::{Delivery, IngestConfig, IngestError, Outcome, Pending};
use crate::storage::orders::{self, Cause, Versioned};
use crate::storage::receipts::{self, NewReceipt};
use crate::storage::write_set::WriteSet;
use crate::storage::{settings, Database, StorageError};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::{OrderId, ReceiptId, StoreId};
use dropflow_core::lifecycle::{self, Command};
use dropflow_core::payment::CapturePolicy;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;
use tokio::sync::mpsc;

/// Retries of a single delivery that lost an optimistic-concurrency race.
const CONFLICT_RETRIES: usize = 5;

pub(super) async fn run(db: Database, mut queue: mpsc::Receiver<Pending>, config: IngestConfig) {
    let mut batch: Vec<Pending> = Vec::with_capacity(config.max_batch);
    while queue.recv_many(&mut batch, config.max_batch).await > 0 {
        let started = Instant::now();
        let deliveries: Vec<&Delivery> = batch.iter().map(|p| &p.delivery).collect();
        let results = match write_batch(&db, &deliveries).await {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(error) => {
                tracing::warn!(batch.size = batch.len(), %error, "batch failed; writing each delivery alone");
                let mut results = Vec::with_capacity(batch.len());
                for delivery in &deliveries {
                    results.push(write_one(&db, delivery).await);
                }
                results
            }
        };
        metrics::histogram!("dropflow_ingest_batch_size").record(batch.len() as f64);
        metrics::histogram!("dropflow_ingest_commit_seconds")
            .record(started.elapsed().as_secs_f64());
        for (pending, result) in batch.drain(..).zip(results) {
            // The handler may have given up (client went away); the write stands regardless.
            let _ = pending.reply.send(result);
        }
    }
}

/// Writes one delivery in its own transaction, retrying lost races.
pub async fn write_one(db: &Database, delivery: &Delivery) -> Result<Outcome, IngestError> {
    let mut last_error = None;
    for _ in 0..CONFLICT_RETRIES {
        match write_batch(db, &[delivery]).await {
            Ok(mut outcomes) => return outcomes.pop().ok_or(IngestError::Unavailable),
            Err(error) => {
                let retryable = matches!(error, StorageError::Conflict(_))
                    || matches!(&error, StorageError::Database(sqlx::Error::Database(e)) if e.is_unique_violation());
                last_error = Some(error);
                if !retryable {
                    break;
                }
            }
        }
    }
    let error = last_error.map(|e| e.to_string()).unwrap_or_default();
    tracing::error!(store.id = %delivery.store_id, topic = %delivery.topic, %error, "delivery not stored");
    Err(IngestError::Storage(error))
}

/// Writes a batch of deliveries in one transaction: one multi-row statement per table (see
/// `storage::write_set`), plus one lookup of the orders they refer to per store.
async fn write_batch(
    db: &Database,
    deliveries: &[&Delivery],
) -> Result<Vec<Outcome>, StorageError> {
    let mut tx = db.begin().await?;
    let receipt_ids: Vec<ReceiptId> = deliveries.iter().map(|_| ReceiptId::new()).collect();
    let new_receipts: Vec<NewReceipt> = deliveries
        .iter()
        .zip(&receipt_ids)
        .map(|(d, id)| NewReceipt {
            id: *id,
            store_id: d.store_id,
            dedup_key: &d.dedup_key,
            topic: &d.topic,
            body: &d.body,
        })
        .collect();
    let fresh = receipts::insert_new(&mut tx, &new_receipts).await?;
    let is_fresh = |i: usize| fresh.contains(&receipt_ids[i].to_string());

    let mut wanted: BTreeMap<StoreId, Vec<&str>> = BTreeMap::new();
    for (_, d) in deliveries.iter().enumerate().filter(|(i, _)| is_fresh(*i)) {
        wanted
            .entry(d.store_id)
            .or_default()
            .push(d.order.external_id.as_str());
    }
    let mut stored: HashMap<(StoreId, String), Versioned> = HashMap::new();
    // Each store's capture policy, read once per store in the batch (not per delivery).
    let mut policies: HashMap<StoreId, CapturePolicy> = HashMap::new();
    for (store_id, external_ids) in wanted {
        policies.insert(
            store_id,
            settings::capture_policy_in(&mut tx, store_id).await?,
        );
        for (external_id, current) in
            orders::find_many_for_update(&mut tx, store_id, &external_ids).await?
        {
            stored.insert((store_id, external_id), current);
        }
    }

    let mut writes = WriteSet::new();
    let mut outcomes = Vec::with_capacity(deliveries.len());
    for (i, delivery) in deliveries.iter().enumerate() {
        if !is_fresh(i) {
            outcomes.push(Outcome::Duplicate);
            continue;
        }
        let cause = Cause {
            actor: Actor::Store(delivery.platform.as_str().to_string()),
            receipt: Some(receipt_ids[i]),
        };
        let key = (delivery.store_id, delivery.order.external_id.clone());
        let current = writes
            .pending(key.0, &key.1)
            .or_else(|| stored.get(&key).cloned());
        let policy = policies
            .get(&delivery.store_id)
            .copied()
            .unwrap_or_default();
        outcomes.push(apply_delivery(
            &mut writes,
            delivery,
            current,
            &cause,
            policy,
        )?);
    }
    writes.flush(&mut tx).await?;
    tx.commit().await?;
    db.jobs_queued.notify_one();
    db.events_recorded.notify_waiters();
    Ok(outcomes)
}

/// Runs the lifecycle for one delivery against the order's current state (none: a new order).
fn apply_delivery(
    writes: &mut WriteSet,
    delivery: &Delivery,
    current: Option<Versioned>,
    cause: &Cause,
    capture_policy: CapturePolicy,
) -> Result<Outcome, StorageError> {
    let mut snapshot = snapshot_of(&delivery.order, &delivery.topic, capture_policy);
    snapshot.implausible = delivery.review.clone();
    let Some(current) = current else {
        let id = OrderId::new();
        let transition = lifecycle::receive(snapshot);
        writes.insert(id, delivery.store_id, &delivery.order, &transition, cause)?;
        return Ok(Outcome::Created(id));
    };
    writes.remember(delivery.store_id, &delivery.order.external_id, current.id);
    let transition = lifecycle::transition(&current.state, Command::ApplyStoreSnapshot(snapshot))
        .map_err(|e| StorageError::Conflict(e.to_string()))?;
    let stale = matches!(
        transition.events.as_slice(),
        [OrderEvent::StaleUpdateIgnored { .. }]
    );
    if stale {
        writes.record(current.id, &transition, cause)?;
        return Ok(Outcome::Stale(current.id));
    }
    writes.update(&current, Some(&delivery.order), &transition, cause)?;
    Ok(Outcome::Updated(current.id))
}
