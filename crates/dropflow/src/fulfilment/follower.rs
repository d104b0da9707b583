//! The follower: every tick it claims what is due — supplier orders whose next sync has come
//! (`supplier_order.sync`, one job each), cases whose supplier side is due a look
//! (`case.follow_supplier`) and parcels whose next carrier check has come (`shipments.track`,
//! one job per batch) — and queues the work. Claims push the next sync a
//! lease ahead with a compare-and-set, so several dropflow processes on one PostgreSQL
//! database share the work without doubling it. The jobs do the asking; the follower only
//! decides when.

use super::Services;
use crate::storage::{jobs, now_ms, parcels, supplier_orders};
use chrono::Utc;
use std::time::Duration;
use tokio::sync::watch;

/// How the follower paces itself.
#[derive(Debug, Clone, Copy)]
pub struct FollowerConfig {
    pub tick: Duration,
    /// How far a claim pushes the next sync (the job is expected to reschedule long before).
    pub lease: Duration,
    /// Most supplier orders claimed per tick.
    pub batch: i64,
    /// Parcels per `shipments.track` job (the connector batches again as the service allows).
    pub parcels_per_job: usize,
}

impl Default for FollowerConfig {
    fn default() -> Self {
        FollowerConfig {
            tick: Duration::from_secs(1),
            lease: Duration::from_secs(300),
            batch: 500,
            parcels_per_job: 200,
        }
    }
}

/// Runs until `shutdown` turns true.
pub async fn run(services: Services, config: FollowerConfig, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(error) = tick(&services, &config).await {
            tracing::warn!(%error, "follower tick failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(config.tick) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
    }
}

/// One round: claims and queues whatever is due now.
pub async fn tick(services: &Services, config: &FollowerConfig) -> anyhow::Result<()> {
    let now = Utc::now();
    let lease_ms = config.lease.as_millis() as i64;
    supplier_orders::claim_due_syncs(&services.db, now, lease_ms, config.batch).await?;
    crate::storage::cases::claim_due_follows(
        &services.db,
        super::after_sale::follow_supplier::JOB,
        now.timestamp_millis(),
        lease_ms,
        config.batch,
    )
    .await?;
    super::catalogue::claim(services, lease_ms, config.batch).await?;
    super::store_catalogue::claim_reads(services, config.batch).await?;
    super::store_catalogue::claim_writes(services, config.batch).await?;
    super::warehouse::late::tick(&services.db, now).await?;
    super::vendor_earnings::tick(&services.db, now).await?;
    if services.tracking.is_some() {
        let numbers = parcels::claim_due(&services.db, now, lease_ms, config.batch * 4).await?;
        if !numbers.is_empty() {
            let mut tx = services.db.begin().await?;
            for chunk in numbers.chunks(config.parcels_per_job.max(1)) {
                let payload = serde_json::json!({ "numbers": chunk });
                jobs::enqueue(&mut tx, super::track::JOB, &payload, None, now_ms()).await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}
