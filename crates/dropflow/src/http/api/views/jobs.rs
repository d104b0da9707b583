use super::view;
use crate::storage::jobs;
use chrono::{DateTime, Utc};

view! {
    /// A job as shown to an operator.
    pub struct JobView from jobs::JobView {
        id: i64,
        kind: String,
        status: String,
        attempts: i64,
        max_attempts: i64,
        run_at: DateTime<Utc>,
        last_error: Option<String>,
        order_id: Option<String>,
        /// What a person must fix before it can run (`store-admin:<store id>`,
        /// `supplier:<kind>`, `carrier-tracking`); it is queued again when they do.
        waits_for: Option<String>,
    }
}
