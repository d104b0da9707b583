//! A case as the API and the dashboard show it.

use super::photos::CasePhotoView;
use crate::storage::cases::{CaseCounts, StoredCase};
use chrono::{DateTime, Utc};
use dropflow_core::after_sale::{self as core, CaseMoney, Resolution};
use serde::Serialize;
use std::collections::BTreeMap;

/// One case as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: String,
    pub order_id: String,
    pub store_id: String,
    /// `damaged`, `wrong_item`, `not_as_described`, `not_received`, `changed_mind`, `other`.
    pub reason: String,
    /// `refund`, `reship`, `exchange` or `return_first`.
    pub resolution: String,
    /// The resolution's terms: for a refund, `goods`, `shipping` (decimal strings) and
    /// `with_return`; for an exchange, `variant_id`.
    #[schema(value_type = Object)]
    pub terms: serde_json::Value,
    pub currency: String,
    pub lines: Vec<CaseLineView>,
    /// The customer's side: `{"state": "pending" | "refunded" | "replacement_ordered" |
    /// "replacement_shipped" | "declined", …}`.
    #[schema(value_type = Object)]
    pub customer: serde_json::Value,
    /// The goods coming back: `{"state": "not_needed" | "awaited" | "in_transit" |
    /// "delivered" | "restocked" | "disposed", …}`.
    #[serde(rename = "return")]
    #[schema(value_type = Object)]
    pub return_leg: serde_json::Value,
    /// The supplier's side: `{"state": "not_needed" | "not_asked" | "asked" | "credited" |
    /// "refused" | "expired", …}`.
    #[schema(value_type = Object)]
    pub supplier: serde_json::Value,
    /// What is left to do, in order (`await_return`, `settle_return`, `decide`,
    /// `refund_customer`, `order_replacement`, `ask_supplier`, `await_supplier`); empty once
    /// the case can close.
    pub next_steps: Vec<String>,
    pub money: CaseMoneyView,
    pub note: Option<String>,
    /// The customer's photos, oldest first (each one's bytes at
    /// `GET /api/v1/cases/{id}/photos/{photo_id}`).
    pub photos: Vec<CasePhotoView>,
    /// Who opened it: `merchant:<who>` or `store:<platform>`.
    pub opened_by: String,
    /// The store's refund or return id, for a case the store opened (`refund:<id>`,
    /// `return:<id>`).
    pub store_reference: Option<String>,
    /// The store return the case follows (Shopify Returns), when one does.
    pub store_return_id: Option<String>,
    /// That return's status as the store last told it: `requested`, `open`, `declined`,
    /// `closed` or `canceled`.
    pub store_return_status: Option<String>,
    pub supplier_due_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closing_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Units of one order line in a case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseLineView {
    /// The store's line id.
    pub line_id: String,
    pub title: String,
    pub quantity: u32,
}

/// A case's money, decimal strings in the order's currency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseMoneyView {
    /// Refunded to the customer.
    pub refunded: String,
    /// Recovered from the supplier.
    pub recovered: String,
    /// What a replacement purchase cost.
    pub replacement: String,
    /// refunded + replacement − recovered.
    pub net_loss: String,
}

/// A page of cases with the Returns tab's counts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub cases: Vec<CaseView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    pub counts: CaseCountsView,
}

/// How many cases the caller may see, open and closed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseCountsView {
    pub open: i64,
    pub closed: i64,
    /// Open cases per resolution.
    pub open_by_resolution: BTreeMap<String, i64>,
}

impl From<CaseCounts> for CaseCountsView {
    fn from(counts: CaseCounts) -> Self {
        CaseCountsView {
            open: counts.open,
            closed: counts.closed,
            open_by_resolution: counts.open_by_resolution,
        }
    }
}

pub(super) fn view(case: StoredCase, photos: Vec<CasePhotoView>) -> CaseView {
    let state = &case.state;
    let money = CaseMoney::of(state);
    let terms = match &state.resolution {
        Resolution::Refund {
            goods,
            shipping,
            with_return,
        } => serde_json::json!({
            "goods": goods.to_decimal_string(),
            "shipping": shipping.to_decimal_string(),
            "with_return": with_return,
        }),
        Resolution::Exchange { variant_id, sku } => {
            serde_json::json!({ "variant_id": variant_id, "sku": sku })
        }
        Resolution::Reship | Resolution::ReturnFirst => serde_json::json!({}),
    };
    CaseView {
        id: case.id.clone(),
        order_id: case.order_id.to_string(),
        store_id: case.store_id.to_string(),
        reason: state.reason.as_str().to_string(),
        resolution: state.resolution.kind().to_string(),
        terms,
        currency: state.currency.code().to_string(),
        lines: case
            .lines
            .iter()
            .map(|l| CaseLineView {
                line_id: l.line_id.clone(),
                title: l.title.clone(),
                quantity: l.quantity,
            })
            .collect(),
        customer: as_json(&state.customer),
        return_leg: as_json(&state.ret),
        supplier: as_json(&state.supplier),
        next_steps: core::next_steps(state)
            .into_iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        money: CaseMoneyView {
            refunded: money.refunded.to_decimal_string(),
            recovered: money.recovered.to_decimal_string(),
            replacement: money.replacement.to_decimal_string(),
            net_loss: money.net_loss.to_decimal_string(),
        },
        note: case.note,
        photos,
        opened_by: case.opened_by,
        store_reference: case.store_reference,
        store_return_id: case.store_return_id,
        store_return_status: case.store_return_status,
        supplier_due_at: case.supplier_due_at,
        closed_at: state
            .closed
            .as_ref()
            .and_then(|c| DateTime::from_timestamp_millis(c.at_ms)),
        closing_note: state.closed.as_ref().and_then(|c| c.note.clone()),
        created_at: case.created_at,
        updated_at: case.updated_at,
    }
}

/// A part of a case state as the JSON the API shows (its serde form: tagged by `state`).
fn as_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
