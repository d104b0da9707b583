//! The audit log's two doors: [`record`], which every audited action calls inside the
//! transaction of its change (so the entry commits with it or not at all), and [`list`], the
//! account's entries for the API and the `/audit` page (owners only; another account's
//! entries are never read: the account is the caller's).

use super::exports::window;
use super::{ActionError, Caller, Context};
use crate::storage::accounts::Role;
use crate::storage::audit::{self, Change, Entry, Filter};
use crate::storage::Tx;
use serde::{Deserialize, Serialize};

/// Records that `caller` did `action` to `subject` (kind, id), as it was `before` and is
/// `after` ([`snapshot`]s; secrets are redacted by storage), in the change's own `tx`.
pub async fn record(
    tx: &mut Tx<'_>,
    caller: &Caller,
    store_id: Option<&str>,
    action: &str,
    subject: (&str, &str),
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), ActionError> {
    let actor = caller.audit_actor();
    let change = Change {
        account_id: caller.account_id(),
        store_id,
        actor: &actor,
        action,
        subject_kind: subject.0,
        subject_id: subject.1,
        before,
        after,
    };
    audit::record(tx, change).await?;
    Ok(())
}

/// A subject as the log keeps it: its JSON.
pub fn snapshot<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, ActionError> {
    serde_json::to_value(value).map_err(ActionError::internal)
}

/// Which entries to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only changes to this store's things (its id).
    pub store: Option<String>,
    /// Only changes to this subject: `<kind>` (`settings`, `mappings`, `fx_rates`, `wallet`,
    /// `payout`, `vendor_settings`, `card_top_up`, `warehouse_rates`, `warehouse_refund_rules`,
    /// `warehouse_settings`, …) or `<kind>:<id>`.
    pub subject: Option<String>,
    /// Changes at or after this time: RFC 3339, or a date (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// Changes before this time (RFC 3339), or through this date (YYYY-MM-DD, UTC).
    pub to: Option<String>,
    /// 1–500 (default 100).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One change as the API and the page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    pub id: String,
    pub store_id: Option<String>,
    /// `user:<user id>`, `token:<name>`, `installation` or `system`.
    pub actor: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    /// The subject before the change (absent: it did not exist); secrets "[redacted]".
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The subject after the change (absent: it was removed); secrets "[redacted]".
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl From<Entry> for AuditEntryView {
    fn from(e: Entry) -> Self {
        AuditEntryView {
            id: e.id,
            store_id: e.store_id,
            actor: e.actor,
            action: e.action,
            subject_kind: e.subject_kind,
            subject_id: e.subject_id,
            before: e.before,
            after: e.after,
            at: e.at,
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The caller's account's changes (owners: the log shows every store's settings and money).
pub async fn list(
    ctx: &Context,
    caller: &Caller,
    params: &AuditParams,
) -> Result<AuditPage, ActionError> {
    caller.require(&[Role::Owner], "read the audit log")?;
    let store_id = match params
        .store
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        // A store outside the caller's scope lists nothing rather than saying it exists.
        Some(text) => Some(caller.store_path(&ctx.db, text).await?.to_string()),
        None => None,
    };
    let (subject_kind, subject_id) = match params.subject.as_deref().map(str::trim) {
        None | Some("") => (None, None),
        Some(text) => match text.split_once(':') {
            Some((kind, id)) => (Some(kind.to_string()), Some(id.to_string())),
            None => (Some(text.to_string()), None),
        },
    };
    let (from, to) = window(params.from.as_deref(), params.to.as_deref())?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ActionError::Invalid(
            "limit: must be between 1 and 500".into(),
        ));
    }
    let filter = Filter {
        account_id: caller.account_id().to_string(),
        store_id,
        subject_kind,
        subject_id,
        from,
        to,
        before: params.cursor.clone().filter(|c| !c.is_empty()),
    };
    let entries = audit::list(&ctx.db, &filter, limit).await?;
    let next_cursor = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id.clone()))
        .flatten();
    Ok(AuditPage {
        entries: entries.into_iter().map(AuditEntryView::from).collect(),
        next_cursor,
    })
}
