//! A fulfilment job that used up its tries stops its order with a reason a person sees: a
//! flag in Needs Attention, not only a row in the failed-jobs list. A placement left
//! unanswered on its last try is a `link_by_hand` flag (Link and Buy again are offered, as
//! when the supplier cannot be asked); any other job is a `job_failed` flag naming the job,
//! settled when a person retries it (`services::jobs::retry`) or accepts the flag.

use super::flags::{self, About};
use crate::jobs::{GiveUp, RetryAfter, WaitsFor};
use crate::storage::flags::kind;
use crate::storage::jobs::ClaimedJob;
use crate::storage::{orders, supplier_orders, Database};
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::procurement::SupplierOrderStatus;

/// Whether this failure was the job's last try: tries used up, not a rate limit (whose try
/// is given back), not a [`GiveUp`] (whose handler said why, flag and all, itself) and not a
/// [`WaitsFor`] (one fix for many orders, listed once with the failed jobs, not a flag on
/// each order; fixing it queues them again).
pub fn was_last_try(job: &ClaimedJob, error: &anyhow::Error) -> bool {
    job.attempt >= job.max_attempts
        && error.downcast_ref::<RetryAfter>().is_none()
        && error.downcast_ref::<GiveUp>().is_none()
        && error.downcast_ref::<WaitsFor>().is_none()
}

/// Raises the flag for a job that used up its tries on an order. Jobs of no order (the
/// follower's sweeps) stay in the failed list alone.
pub async fn flag(db: &Database, job: &ClaimedJob, error: &anyhow::Error) -> anyhow::Result<()> {
    let Some(order_id) = job
        .order_id
        .as_deref()
        .and_then(|id| id.parse::<OrderId>().ok())
    else {
        return Ok(());
    };
    let purchase = match super::supplier_order_id(&job.payload) {
        Ok(id) => supplier_orders::load(db, id).await?,
        Err(_) => None,
    };
    let unanswered = job.kind == super::place::JOB
        && purchase
            .as_ref()
            .is_some_and(|so| so.status == SupplierOrderStatus::PlacementUnknown);
    let (flag_kind, detail) = if unanswered {
        (
            kind::LINK_BY_HAND,
            format!(
                "the placement went unanswered {} times: find it at the supplier and link \
                 it, or buy again",
                job.attempt
            ),
        )
    } else {
        (kind::JOB_FAILED, failed_detail(job, error))
    };
    let mut tx = db.begin().await?;
    orders::lock(&mut tx, order_id).await?;
    let label = purchase.as_ref().map(|so| so.label());
    let about = purchase
        .as_ref()
        .zip(label.as_deref())
        .map(|(so, label)| About { id: so.id, label });
    if unanswered {
        if let Some(so) = &purchase {
            supplier_orders::set_last_error(&mut tx, so.id, Some(&detail)).await?;
        }
    }
    flags::raise(
        &mut tx,
        order_id,
        about,
        flag_kind,
        &detail,
        Actor::System("jobs".into()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `job <id> (<kind>) used up its <n> tries: <error>`. The job id leads, so a retry of the
/// job settles its flag ([`crate::storage::flags::resolve_for_job`]); the error is cut to
/// what a person reads.
fn failed_detail(job: &ClaimedJob, error: &anyhow::Error) -> String {
    let error: String = format!("{error:#}").chars().take(300).collect();
    format!(
        "{}used up its {} tries: {error}; fix the cause, then retry the job",
        crate::storage::flags::job_prefix(job.id, &job.kind),
        job.attempt
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(attempt: i64) -> ClaimedJob {
        ClaimedJob {
            id: 7,
            kind: "shipment.push".into(),
            payload: serde_json::json!({}),
            attempt,
            max_attempts: 3,
            order_id: None,
        }
    }

    #[test]
    fn only_an_ordinary_failure_on_the_last_try_gives_up() {
        let plain = anyhow::anyhow!("503 from the store");
        assert!(!was_last_try(&job(2), &plain));
        assert!(was_last_try(&job(3), &plain));
        let paced = anyhow::Error::new(RetryAfter {
            after: std::time::Duration::from_secs(2),
            message: "429".into(),
        });
        assert!(!was_last_try(&job(3), &paced));
        let given_up = anyhow::Error::new(GiveUp("no credentials".into()));
        assert!(!was_last_try(&job(3), &given_up));
    }

    #[test]
    fn the_detail_leads_with_the_job_and_is_cut_short() {
        let long = anyhow::anyhow!("{}", "x".repeat(1000));
        let detail = failed_detail(&job(3), &long);
        assert!(detail.starts_with("job 7 (shipment.push) used up its 3 tries: xxx"));
        assert!(detail.chars().count() < 420, "{detail}");
    }
}
