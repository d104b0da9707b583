//! `/audit?store=&subject=&from=&to=`: who changed what in the account, newest first, with
//! the subject before and after. An adapter over [`crate::services::audit::list`]: the same
//! owners-only rule, the same account, the same filters (a bad one is the 400 page).

use super::error::PageError;
use super::layout::{shown, Layout};
use super::session::Viewer;
use super::view;
use crate::services::audit::{self, AuditParams};
use crate::services::Context;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

/// Entries per page.
const PAGE_SIZE: i64 = 100;

pub struct EntryRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub store: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "dashboard/audit.html")]
struct AuditPageView {
    layout: Layout,
    store: String,
    subject: String,
    from: String,
    to: String,
    entries: Vec<EntryRow>,
    next_page: Option<String>,
}

/// `GET /audit`.
pub async fn page(
    State(ctx): State<Context>,
    viewer: Viewer,
    Query(mut params): Query<AuditParams>,
) -> Result<Response, PageError> {
    params.limit = Some(PAGE_SIZE);
    let page = audit::list(&ctx, &viewer.caller, &params).await?;
    let json = |value: &Option<serde_json::Value>| {
        value
            .as_ref()
            .map_or_else(|| "—".to_string(), |v| v.to_string())
    };
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let next_page = page.next_cursor.as_ref().map(|cursor| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("store", &params.store),
            ("subject", &params.subject),
            ("from", &params.from),
            ("to", &params.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.append_pair("cursor", cursor);
        format!("/audit?{}", q.finish())
    });
    let page = AuditPageView {
        layout: Layout::new(&viewer, "Audit log", "audit"),
        store: text(&params.store),
        subject: text(&params.subject),
        from: text(&params.from),
        to: text(&params.to),
        entries: page
            .entries
            .iter()
            .map(|e| EntryRow {
                at: view::time(&e.at),
                actor: e.actor.clone(),
                action: e.action.clone(),
                subject: format!("{} {}", e.subject_kind, e.subject_id),
                store: e.store_id.clone().unwrap_or_default(),
                before: json(&e.before),
                after: json(&e.after),
            })
            .collect(),
        next_page,
    };
    Ok(shown(page.render(), &viewer))
}
