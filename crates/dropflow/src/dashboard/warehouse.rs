//! `/warehouse`: the warehouse operator's desk, one page in the order work flows: the
//! receiving scan, items to inspect, customers' returns of after-sale cases to inspect (apart
//! from the purchases), orders to pack, paid packages to dispatch, and scans nobody expected. Every list is read through the viewer's scope and bounded; the forms post
//! to [`super::warehouse_actions`], which call the API's own functions.

use super::error::PageError;
use super::layout::{shown, Layout};
use super::session::Viewer;
use super::view;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::warehouse as store;
use crate::storage::warehouse_queues as queues;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;

/// Who may use the warehouse pages (staff and vendors get the 403 page).
pub const OPERATORS: &[Role] = &[Role::Warehouse, Role::Owner];

/// The most rows each list shows; the oldest work comes first, so nothing urgent is cut.
const LIST_LIMIT: i64 = 100;

/// Why an item may fail, as the inspection form offers them (core `FailReason` names).
pub const REASONS: &[(&str, &str)] = &[
    ("wrong_product", "Wrong product"),
    ("wrong_variant", "Wrong variant"),
    ("wrong_quantity", "Wrong quantity"),
    ("damaged", "Damaged"),
    ("other", "Other (say why in the note)"),
];

pub struct InspectRow {
    pub item_id: String,
    pub order_id: String,
    pub order_name: String,
    pub title: String,
    pub variant: String,
    pub quantity: i64,
    pub arrived: String,
}

/// A customer's return of an after-sale case, received and waiting for its inspection: listed
/// apart from the purchases, labelled with its case.
pub struct ReturnRow {
    pub case_id: String,
    pub order_name: String,
    /// What the case claims: "2 × Linen tote bag, 1 × Mug".
    pub goods: String,
    /// Every unit the case claims (what the checklist counts).
    pub quantity: i64,
    pub scan: String,
    pub received: String,
    pub received_by: String,
}

pub struct PackRow {
    pub order_id: String,
    pub order_name: String,
    pub items: i64,
    /// The store's logo goes in (shown from its settings page's logo route).
    pub logo_store: Option<String>,
    /// The thank-you card's words, when a card goes in.
    pub card_text: Option<String>,
    /// Other orders on the list for the same customer at the same address (same store): they
    /// may go in this parcel (order id, name).
    pub combinable: Vec<(String, String)>,
}

pub struct DispatchRow {
    pub package_id: String,
    pub order_id: String,
    pub order_name: String,
    pub service: String,
    pub carrier: String,
    pub weight_g: i64,
    pub due: String,
    pub late: bool,
}

pub struct ExceptionRow {
    pub id: String,
    pub scan: String,
    pub scanned_by: String,
    pub scanned: String,
}

#[derive(Template)]
#[template(path = "dashboard/warehouse.html")]
struct WarehousePage {
    layout: Layout,
    to_inspect: Vec<InspectRow>,
    returns: Vec<ReturnRow>,
    to_pack: Vec<PackRow>,
    to_dispatch: Vec<DispatchRow>,
    exceptions: Vec<ExceptionRow>,
    reasons: &'static [(&'static str, &'static str)],
}

/// `GET /warehouse`.
pub async fn page(State(state): State<Context>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(OPERATORS, "open the warehouse pages")?;
    let scope = &viewer.caller.scope;
    let now = Utc::now();
    let to_inspect = queues::to_inspect(&state.db, scope, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|i| InspectRow {
            item_id: i.item_id,
            order_id: i.order_id,
            order_name: i.order_name,
            title: i.title,
            variant: i.variant.unwrap_or_else(|| "—".into()),
            quantity: i.quantity,
            arrived: view::maybe_time(&i.arrived_at),
        })
        .collect();
    let returns = store::return_receipts(&state.db, scope, true, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|r| ReturnRow {
            goods: r
                .lines
                .iter()
                .map(|(title, quantity)| format!("{quantity} × {title}"))
                .collect::<Vec<_>>()
                .join(", "),
            quantity: r.lines.iter().map(|(_, quantity)| quantity).sum(),
            case_id: r.case_id,
            order_name: r.order_name,
            scan: r.scan,
            received: view::time(&r.received_at),
            received_by: who(&r.received_by),
        })
        .collect();
    let packs = queues::to_pack(&state.db, scope, LIST_LIMIT).await?;
    let mut customers = Vec::with_capacity(packs.len());
    for p in &packs {
        customers.push(customer_key(&state, p).await?);
    }
    let partners = same_customer(&customers);
    let to_pack = packs
        .iter()
        .zip(partners)
        .map(|(p, partners)| PackRow {
            order_id: p.order_id.clone(),
            order_name: p.order_name.clone(),
            items: p.items,
            logo_store: p.branding.logo_goes_in().then(|| p.store_id.clone()),
            card_text: p
                .branding
                .card_goes_in()
                .then(|| p.branding.card_text.clone()),
            combinable: partners
                .into_iter()
                .map(|j| (packs[j].order_id.clone(), packs[j].order_name.clone()))
                .collect(),
        })
        .collect();
    let to_dispatch = queues::to_dispatch(&state.db, scope, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|p| DispatchRow {
            late: p.late || p.due_at.is_some_and(|due| due < now),
            package_id: p.package_id,
            order_id: p.order_id,
            order_name: p.order_name,
            service: p.service.or(p.carrier_code).unwrap_or_else(|| "—".into()),
            carrier: p.carrier.unwrap_or_default(),
            weight_g: p.weight_g,
            due: view::maybe_time(&p.due_at),
        })
        .collect();
    let exceptions = store::exceptions(&state.db, scope, true, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|e| ExceptionRow {
            id: e.id,
            scan: e.scan,
            scanned_by: who(&e.scanned_by),
            scanned: view::time(&e.scanned_at),
        })
        .collect();
    let page = WarehousePage {
        layout: Layout::new(&viewer, "Warehouse", "warehouse"),
        to_inspect,
        returns,
        to_pack,
        to_dispatch,
        exceptions,
        reasons: REASONS,
    };
    Ok(shown(page.render(), &viewer))
}

/// An actor label as the page names the person (`merchant:user:op@…` → `op@…`).
fn who(label: &str) -> String {
    label
        .trim_start_matches("merchant:")
        .trim_start_matches("user:")
        .to_string()
}

/// Who an order to pack goes to: its store and normalised address (core
/// `consolidation::address_key`); `None` when it can never be combined. Kept in memory only.
async fn customer_key(
    state: &Context,
    pack: &queues::ToPack,
) -> Result<Option<(String, String)>, PageError> {
    let Ok(order_id) = pack.order_id.parse() else {
        return Ok(None);
    };
    let facts = store::order_facts(&state.db.reader, order_id).await?;
    Ok(facts.and_then(|f| {
        let key = f
            .address
            .as_ref()
            .and_then(dropflow_core::warehouse::consolidation::address_key)?;
        Some((f.store_id, key))
    }))
}

/// For each entry, the positions of the others with the same key (entries without one have
/// no partners): one pass over the list, not a query per pair.
fn same_customer<K: Eq + std::hash::Hash>(keys: &[Option<K>]) -> Vec<Vec<usize>> {
    let mut groups: std::collections::HashMap<&K, Vec<usize>> = std::collections::HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        if let Some(key) = key {
            groups.entry(key).or_default().push(i);
        }
    }
    keys.iter()
        .enumerate()
        .map(|(i, key)| match key.as_ref().and_then(|k| groups.get(k)) {
            Some(group) => group.iter().copied().filter(|j| *j != i).collect(),
            None => Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::same_customer;

    #[test]
    fn orders_pair_up_by_customer_and_keyless_ones_stay_alone() {
        let keys = [Some("a"), None, Some("b"), Some("a"), Some("a"), None];
        assert_eq!(
            same_customer(&keys),
            vec![vec![3, 4], vec![], vec![], vec![0, 4], vec![0, 3], vec![]]
        );
    }
}
