use super::snapshot::snapshot_of;
use super::{Delivery, IngestConfig, IngestError, Outcome, Pending};
use crate::storage::orders::{self, Cause, TabDeltas};
use crate::storage::{now_ms, Database, StorageError, Tx};
use dropflow_core::event::Actor;
use dropflow_core::ids::{OrderId, ReceiptId};
use dropflow_core::lifecycle::{self, Command};
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

async fn write_batch(
    db: &Database,
    deliveries: &[&Delivery],
) -> Result<Vec<Outcome>, StorageError> {
    let mut tx = db.begin().await?;
    let mut deltas = TabDeltas::default();
    let mut outcomes = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        outcomes.push(write_delivery(&mut tx, delivery, &mut deltas).await?);
    }
    deltas.write(&mut tx).await?;
    tx.commit().await?;
    Ok(outcomes)
}

async fn write_delivery(
    tx: &mut Tx<'_>,
    delivery: &Delivery,
    deltas: &mut TabDeltas,
) -> Result<Outcome, StorageError> {
    let receipt = ReceiptId::new();
    let inserted = sqlx::query(
        "INSERT INTO webhook_receipts (id, store_id, dedup_key, topic, received_at, body)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (store_id, dedup_key) DO NOTHING",
    )
    .bind(receipt.to_string())
    .bind(delivery.store_id.to_string())
    .bind(&delivery.dedup_key)
    .bind(&delivery.topic)
    .bind(now_ms())
    .bind(&delivery.body)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Outcome::Duplicate);
    }

    let cause = Cause {
        actor: Actor::Store(delivery.platform.as_str().to_string()),
        receipt: Some(receipt),
    };
    let snapshot = snapshot_of(&delivery.order, &delivery.topic);
    match orders::find_for_update(tx, delivery.store_id, &delivery.order.external_id).await? {
        None => {
            let id = OrderId::new();
            let transition = lifecycle::receive(snapshot);
            orders::insert(
                tx,
                id,
                delivery.store_id,
                &delivery.order,
                &transition,
                &cause,
                deltas,
            )
            .await?;
            Ok(Outcome::Created(id))
        }
        Some(current) => {
            let transition =
                lifecycle::transition(&current.state, Command::ApplyStoreSnapshot(snapshot))
                    .map_err(|e| StorageError::Conflict(e.to_string()))?;
            if transition.state == current.state
                && matches!(
                    transition.events.as_slice(),
                    [dropflow_core::event::OrderEvent::StaleUpdateIgnored { .. }]
                )
            {
                orders::record_only(tx, current.id, &transition, &cause).await?;
                return Ok(Outcome::Stale(current.id));
            }
            orders::update(
                tx,
                &current,
                Some(&delivery.order),
                &transition,
                &cause,
                deltas,
            )
            .await?;
            Ok(Outcome::Updated(current.id))
        }
    }
}
