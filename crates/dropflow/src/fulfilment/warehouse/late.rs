//! The dispatch timer: a package whose fee was paid more than 24 h ago and that has not left
//! is flagged late once, with a timeline event on each order it carries (the follower ticks it).

use super::note;
use crate::fulfilment::order_tx;
use crate::storage::warehouse as store;
use crate::storage::Database;
use chrono::{DateTime, Utc};
use dropflow_core::event::Actor;
use dropflow_core::lifecycle::Command;

/// Flags what is late at `now`; returns how many packages.
pub async fn tick(db: &Database, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut tx = db.begin().await?;
    let late = store::flag_late(&mut tx, now).await?;
    for (package, orders) in &late {
        // A combined package is late for every order it carries.
        for order_id in orders {
            order_tx::apply(
                &mut tx,
                *order_id,
                Command::Record(vec![note(
                    "dispatch_late",
                    format!(
                        "package {package} has not left within {} h of the fee's payment",
                        dropflow_core::warehouse::stage::DISPATCH_WITHIN_HOURS
                    ),
                )]),
                Actor::System("warehouse-timer".into()),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(late.len())
}
