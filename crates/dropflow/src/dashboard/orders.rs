//! `/orders`: the tabs with their counts, search, filters, the list (keyset pages), and the
//! bulk Place / Pay / Retry form.

use super::error::PageError;
use super::layout::{redirect_with, shown, Flash, Layout};
use super::session::{Posted, Viewer};
use super::view;
use crate::events::attention;
use crate::services::procurement::{self, Action};
use crate::services::Context;
use crate::storage::accounts::{Role, Scope};
use crate::storage::orders::{self, ListFilters, ListQuery, OrderSummary};
use crate::storage::{dashboard as queries, Database, Result as StorageResult};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::supplier::SupplierKind;
use dropflow_core::tab::Tab;
use serde::Deserialize;

/// Orders per page.
const PAGE_SIZE: u32 = 50;
/// The Needs Attention tab's key in links.
const NEEDS_ATTENTION: &str = "needs_attention";

/// The query string of `/orders`.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub tab: Option<String>,
    pub q: Option<String>,
    pub store: Option<String>,
    pub supplier: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    /// Keyset cursor: the last order id of the previous page.
    pub before: Option<String>,
}

pub struct TabLink {
    pub label: &'static str,
    pub count: i64,
    pub href: String,
    pub current: bool,
}

pub struct Row {
    pub id: String,
    pub name: String,
    pub store: String,
    pub created: String,
    pub tab: &'static str,
    pub payment: String,
    pub total: String,
    pub dropship: bool,
    pub holds: Vec<String>,
    /// Why the order is stopped (Failed, On Hold and Needs Attention lists).
    pub reason: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard/orders.html")]
struct OrdersPage {
    layout: Layout,
    tabs: Vec<TabLink>,
    tab_key: String,
    q: String,
    stores: Vec<Choice>,
    suppliers: Vec<Choice>,
    from: String,
    to: String,
    rows: Vec<Row>,
    /// The list has a Reason column (Failed, On Hold, Needs Attention).
    show_reason: bool,
    next_page: Option<String>,
    /// Where the bulk form comes back to.
    return_to: String,
    /// The CSV download of the chosen store's orders with this tab and dates (a store must
    /// be chosen: an export is per store).
    export: Option<String>,
}

/// The Needs Attention tab: its count and, when `page` is given, its orders.
///
/// The one place that tab is computed: orders flagged by `events::attention` (their
/// `attention_reason`), whatever their tab, within the viewer's scope and filters.
async fn needs_attention(
    db: &Database,
    scope: &Scope,
    page: Option<&ListQuery>,
) -> StorageResult<(i64, Vec<OrderSummary>)> {
    let count = orders::attention_count(db, scope).await?;
    let listed = match page {
        Some(query) => {
            let mut flagged = query.clone();
            flagged.needs_attention = true;
            orders::list(db, &flagged).await?
        }
        None => Vec::new(),
    };
    Ok((count, listed))
}

/// The Reason column: the needs-attention flag's words when flagged, otherwise why the order
/// is stopped for a person (`events::attention::stopped`, the same words the flag will carry).
fn reason_of(facts: &queries::StopFacts) -> String {
    if let Some(reason) = &facts.attention_reason {
        return reason.clone();
    }
    let refusals: Vec<attention::Refusal> = facts
        .refusals
        .iter()
        .map(|(supplier, error)| attention::Refusal {
            supplier: supplier.clone(),
            error: error.clone(),
        })
        .collect();
    attention::stopped(&facts.state, &refusals).unwrap_or_default()
}

/// `GET /orders`.
pub async fn page(
    State(state): State<Context>,
    viewer: Viewer,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    viewer.require(&[Role::Owner, Role::Staff], "open the orders list")?;
    let scope = &viewer.caller.scope;
    let tab_key = params
        .tab
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "all".into());
    let attention = tab_key == NEEDS_ATTENTION;
    let tab = if attention {
        Tab::All
    } else {
        Tab::parse(&tab_key)
            .ok_or_else(|| PageError::BadRequest(format!("there is no tab {tab_key:?}")))?
    };
    let store_choices = queries::visible_stores(&state.db, scope).await?;
    let store_id = match params.store.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(
            text.parse::<StoreId>()
                .ok()
                .filter(|id| store_choices.iter().any(|c| c.id == *id))
                .ok_or_else(|| PageError::NotFound("no such store".into()))?,
        ),
    };
    let supplier = match params.supplier.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(
            SupplierKind::parse(text)
                .ok_or_else(|| PageError::BadRequest(format!("there is no supplier {text:?}")))?,
        ),
    };
    let date = |text: &Option<String>, name: &str| -> Result<Option<i64>, PageError> {
        match text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(t) => view::date_ms(t).map(Some).ok_or_else(|| {
                PageError::BadRequest(format!("{name}: {t:?} is not a date (YYYY-MM-DD)"))
            }),
        }
    };
    let created_from = date(&params.from, "from")?;
    // "to" is inclusive: before the start of the next day.
    let created_before = date(&params.to, "to")?.map(|ms| ms + 86_400_000);
    let before = match params.before.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(
            text.parse::<OrderId>()
                .map_err(|_| PageError::BadRequest("the page link is not valid".into()))?,
        ),
    };
    let query = ListQuery {
        scope: scope.clone(),
        tab,
        search: params.q.clone(),
        store_id,
        before,
        limit: PAGE_SIZE,
        needs_attention: false,
        filters: ListFilters {
            supplier: supplier.map(|s| s.as_str().to_string()),
            created_from,
            created_before,
        },
    };
    let (attention_count, attention_orders) =
        needs_attention(&state.db, scope, attention.then_some(&query)).await?;
    let orders = if attention {
        attention_orders
    } else {
        orders::list(&state.db, &query).await?
    };
    let counts = orders::tab_counts(&state.db, scope).await?;

    let filter_query = |extra: &[(&str, &str)]| -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        for (k, v) in [
            ("q", &params.q),
            ("store", &params.store),
            ("supplier", &params.supplier),
            ("from", &params.from),
            ("to", &params.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        format!("/orders?{}", q.finish())
    };
    let mut tabs: Vec<TabLink> = Tab::ALL
        .iter()
        .map(|t| TabLink {
            label: view::tab_label(*t),
            count: counts.get(t.as_str()).copied().unwrap_or(0),
            href: filter_query(&[("tab", t.as_str())]),
            current: !attention && *t == tab,
        })
        .collect();
    tabs.push(TabLink {
        label: "Needs Attention",
        count: attention_count,
        href: filter_query(&[("tab", NEEDS_ATTENTION)]),
        current: attention,
    });

    let ids: Vec<OrderId> = orders.iter().map(|o| o.id).collect();
    let dropship = queries::with_supplier_orders(&state.db, &ids).await?;
    let show_reason = attention || matches!(tab, Tab::Failed | Tab::OnHold);
    let stop_facts = if show_reason {
        queries::stop_facts(&state.db, &ids).await?
    } else {
        Default::default()
    };
    let domain_of = |id: StoreId| {
        store_choices
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.domain.clone())
            .unwrap_or_default()
    };
    let next_page = (orders.len() == PAGE_SIZE as usize)
        .then(|| orders.last())
        .flatten()
        .map(|last| filter_query(&[("tab", &tab_key), ("before", &last.id.to_string())]));
    let rows = orders
        .iter()
        .map(|o| Row {
            id: o.id.to_string(),
            name: o.name.clone(),
            store: domain_of(o.store_id),
            created: view::time(&o.created_at),
            tab: view::tab_label(o.tab),
            payment: view::words(o.payment_status.as_str()),
            total: view::money(o.total_minor, &o.currency),
            dropship: dropship.contains(&o.id.to_string()),
            holds: o
                .holds
                .iter()
                .map(|h| view::words(h.reason.as_str()))
                .collect(),
            reason: stop_facts
                .get(&o.id.to_string())
                .map(reason_of)
                .unwrap_or_default(),
        })
        .collect();
    let selected = |value: &str, param: &Option<String>| param.as_deref() == Some(value);
    let export = store_id.map(|store| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if !attention && tab != Tab::All {
            q.append_pair("state", tab.as_str());
        }
        for (k, v) in [("from", &params.from), ("to", &params.to)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        format!("/stores/{store}/exports/orders.csv?{}", q.finish())
    });
    let page = OrdersPage {
        layout: Layout::new(&viewer, "Orders", "orders"),
        tabs,
        q: params.q.clone().unwrap_or_default(),
        stores: store_choices
            .iter()
            .map(|c| Choice {
                value: c.id.to_string(),
                label: c.domain.clone(),
                selected: selected(&c.id.to_string(), &params.store),
            })
            .collect(),
        suppliers: SupplierKind::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_string(),
                label: s.as_str().to_string(),
                selected: selected(s.as_str(), &params.supplier),
            })
            .collect(),
        from: params.from.clone().unwrap_or_default(),
        to: params.to.clone().unwrap_or_default(),
        rows,
        show_reason,
        next_page,
        return_to: filter_query(&[("tab", &tab_key)]),
        export,
        tab_key,
    };
    Ok(shown(page.render(), &viewer))
}

/// `POST /orders/bulk`: Place, Pay or Retry for the checked orders; a summary comes back as
/// the flash message.
pub async fn bulk(State(state): State<Context>, posted: Posted) -> Result<Response, PageError> {
    let viewer = &posted.viewer;
    viewer.require(&[Role::Owner, Role::Staff], "act on orders")?;
    let back = posted
        .field("return_to")
        .filter(|r| r.starts_with("/orders") && !r.starts_with("//"))
        .unwrap_or("/orders")
        .to_string();
    let ids = posted.all("order");
    if ids.is_empty() {
        return Ok(redirect_with(
            &back,
            Flash::error("Tick at least one order first."),
        ));
    }
    if ids.len() > 500 {
        return Ok(redirect_with(
            &back,
            Flash::error("Pick at most 500 orders at once."),
        ));
    }
    let action = posted.field("action").unwrap_or("");
    let (verb, mut queued, mut nothing, mut not_found) = (action, 0usize, 0usize, 0usize);
    let mut messages: Vec<String> = Vec::new();
    match action {
        "pay" | "place" => {
            let act = if action == "pay" {
                Action::Pay
            } else {
                Action::Place
            };
            for id in &ids {
                let result = procurement::act(&state, id, act, &viewer.caller).await?;
                match result.outcome.as_str() {
                    "queued" => queued += 1,
                    "nothing_to_do" => nothing += 1,
                    _ => not_found += 1,
                }
            }
        }
        "retry" => {
            for id in &ids {
                match crate::services::orders::queue_routing(&state, &viewer.caller, id).await {
                    Ok(_) => queued += 1,
                    Err(crate::services::ActionError::NotFound(_)) => not_found += 1,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        other => {
            return Err(PageError::BadRequest(format!(
                "unknown action {other:?}: use place, pay or retry"
            )))
        }
    }
    messages.push(format!("{} queued for {queued} order(s)", capitalise(verb)));
    if nothing > 0 {
        messages.push(format!("{nothing} had nothing to {verb}"));
    }
    if not_found > 0 {
        messages.push(format!("{not_found} not found"));
    }
    let flash = if queued > 0 {
        Flash::ok(format!("{}.", messages.join("; ")))
    } else {
        Flash::error(format!("{}.", messages.join("; ")))
    };
    Ok(redirect_with(&back, flash))
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
