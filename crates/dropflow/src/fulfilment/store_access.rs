//! A store's Admin API as the jobs reach it: the connector for the store's access (or the
//! job waits for a person to set it), and which of its failures a retry can fix.

use super::Services;
use crate::jobs::RetryAfter;
use crate::platforms::admin::{StoreAdmin, StoreApiError};
use crate::storage::{settings, stores};
use anyhow::Context;
use dropflow_core::ids::StoreId;
use dropflow_core::intake::Platform;
use std::sync::Arc;

/// The Admin API connector of a store and its platform, or why there is none (the job fails
/// with the reason until a person sets the access and retries it).
pub(crate) async fn store_admin(
    services: &Services,
    store_id: StoreId,
) -> anyhow::Result<(Platform, Arc<dyn StoreAdmin>)> {
    let db = &services.db;
    let access = settings::admin_access(db, store_id)
        .await?
        .ok_or_else(|| super::push::no_admin_access(store_id))?;
    let platform = stores::get(db, store_id).await?.platform;
    let admin = (services.admin)(platform, &access).with_context(|| {
        format!(
            "no Admin API connector for {} stores in this build",
            platform.as_str()
        )
    })?;
    Ok((platform, admin))
}

/// A store call's failure that retrying can fix, as the job's error: a 429 waits as long as
/// the store said, the rest retries with the usual backoff. `None` for a refusal.
pub(crate) fn retry_later(error: &StoreApiError) -> Option<anyhow::Error> {
    match error {
        StoreApiError::RateLimited {
            retry_after: Some(after),
        } => Some(
            RetryAfter {
                after: *after,
                message: "the store is rate limiting us".into(),
            }
            .into(),
        ),
        transient if transient.is_transient() => Some(transient.clone().into()),
        _ => None,
    }
}

/// A store call's failure as a job's error: retried when a retry can fix it; refused
/// credentials wait for a person to set the access again (which queues the job again);
/// anything else fails at once, listed and retryable.
pub(crate) fn job_failure(error: StoreApiError, store_id: StoreId, what: &str) -> anyhow::Error {
    if let Some(later) = retry_later(&error) {
        return later;
    }
    let message = format!("{what}: {error}");
    if let StoreApiError::Unauthorized(_) = error {
        return dropflow_core::jobs::WaitsFor {
            fix: dropflow_core::jobs::waits::store_admin(store_id),
            message,
        }
        .into();
    }
    crate::jobs::GiveUp(message).into()
}
