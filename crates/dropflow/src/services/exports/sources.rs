//! The exports a store has: its orders, its ledger postings, its vendor payouts. Each is an
//! action (role and scope checked, filters read: a bad one is 400 naming it) answering a
//! streamed [`CsvFile`].

use super::{csv_file, window, CsvFile, Export, Record};
use crate::services::stores::store_in_scope;
use crate::services::{ActionError, Caller, Context, MERCHANTS};
use crate::storage::accounts::Role;
use crate::storage::exports::{self as rows, OrderRow, PayoutRow, PostingRow, Window};
use crate::storage::{Database, StorageError};
use dropflow_core::tab::Tab;
use serde::Deserialize;
use std::borrow::Cow;

/// Which orders to export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilters {
    /// Orders received at or after this time: RFC 3339, or a date (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// Orders received before this time (RFC 3339), or through this date (YYYY-MM-DD, UTC).
    pub to: Option<String>,
    /// Only orders in this tab: all, awaiting_order, awaiting_payment, awaiting_shipment,
    /// fulfilled, delivered, canceled, failed, on_hold, at_warehouse (default all).
    pub state: Option<String>,
}

/// Which ledger postings to export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerFilters {
    /// Transactions posted at or after this time: RFC 3339, or a date (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// Transactions posted before this time (RFC 3339), or through this date (YYYY-MM-DD).
    pub to: Option<String>,
    /// Only postings to this account: available, reserved, spent, external, or a vendor's
    /// `vendor:<handle>:pending|available|paid|cost`.
    pub account: Option<String>,
}

/// Which vendor payouts to export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayoutFilters {
    /// Payouts requested at or after this time: RFC 3339, or a date (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// Payouts requested before this time (RFC 3339), or through this date (YYYY-MM-DD).
    pub to: Option<String>,
    /// Only payouts in this status: requested, paid, declined.
    pub status: Option<String>,
}

/// The store named in the path, for one of the roles, and the window of the filters.
async fn store_window(
    ctx: &Context,
    caller: &Caller,
    roles: &[Role],
    store: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Window, ActionError> {
    let store_id = store_in_scope(ctx, caller, roles, "export this", store).await?;
    let (from, to) = window(from, to)?;
    Ok(Window {
        store_id: store_id.to_string(),
        from,
        to,
    })
}

/// The store's orders as CSV, newest first, one row per order (owner and staff).
pub async fn orders(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    filters: &OrderFilters,
) -> Result<CsvFile, ActionError> {
    let window = store_window(
        ctx,
        caller,
        MERCHANTS,
        store,
        filters.from.as_deref(),
        filters.to.as_deref(),
    )
    .await?;
    let tab =
        match filters.state.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(Tab::parse(text).ok_or_else(|| {
                ActionError::Invalid(format!("state: {text:?} is not an order tab"))
            })?),
        };
    let filename = format!("orders-{}.csv", window.store_id);
    csv_file(&ctx.db, Orders { window, tab }, filename).await
}

struct Orders {
    window: Window,
    tab: Option<Tab>,
}

/// A stored customer's names (`core::intake::Customer`'s fields of the same names, joined
/// as its `full_name` joins them).
#[derive(serde::Deserialize)]
struct Names<'a> {
    #[serde(borrow)]
    first_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    last_name: Option<Cow<'a, str>>,
}

#[async_trait::async_trait]
impl Export for Orders {
    type Row = OrderRow;

    fn columns(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "external_id",
            "created_at",
            "state",
            "payment_status",
            "procurement",
            "customer",
            "email",
            "currency",
            "total",
            "shipping",
            "discounts",
            "taxes",
            "taxes_included",
        ]
    }

    async fn page(
        &self,
        db: &Database,
        last: Option<&OrderRow>,
        limit: i64,
    ) -> Result<Vec<OrderRow>, StorageError> {
        let tab = self.tab.map(Tab::as_str);
        let before = last.map(|row| row.id.as_str());
        rows::orders(db, &self.window, tab, before, limit).await
    }

    fn write(&self, row: &OrderRow, record: &mut Record<'_>) {
        record.value(&row.id);
        record.text(&row.name);
        record.text(&row.external_id);
        record.at(row.created_at);
        record.value(&row.tab);
        record.value(&row.payment_status);
        record.value(&row.procurement);
        // An unreadable customer is written empty rather than ending the export: the name
        // is a courtesy column, the order's money is what the file is for.
        // Only the names are read (borrowed from the JSON where it has no escapes): a full
        // `Customer` per row is a cost a million-row export feels.
        let names = row
            .customer
            .as_deref()
            .and_then(|json| serde_json::from_str::<Names<'_>>(json).ok());
        match names
            .as_ref()
            .map(|n| (n.first_name.as_deref(), n.last_name.as_deref()))
        {
            Some((Some(first), Some(last))) => record.text(&format!("{first} {last}")),
            Some((Some(one), None) | (None, Some(one))) => record.text(one),
            _ => record.text(""),
        }
        record.text_opt(row.email.as_deref());
        record.value(&row.currency);
        record.money(row.total_minor, &row.currency);
        record.money(row.shipping_minor, &row.currency);
        record.money(row.discounts_minor, &row.currency);
        record.money(row.taxes_minor, &row.currency);
        record.value(if row.taxes_included { "true" } else { "false" });
    }
}

/// The store's ledger as CSV, one row per posting, newest transaction first (owner and
/// staff, who read the ledger).
pub async fn ledger(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    filters: &LedgerFilters,
) -> Result<CsvFile, ActionError> {
    let window = store_window(
        ctx,
        caller,
        MERCHANTS,
        store,
        filters.from.as_deref(),
        filters.to.as_deref(),
    )
    .await?;
    let account = match filters.account.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let wallet = dropflow_core::ledger::Account::parse(text).is_some();
            let purse = dropflow_core::payouts::parse_account(text).is_some();
            if !(wallet || purse) {
                return Err(ActionError::Invalid(format!(
                    "account: {text:?} is not a ledger account (available, reserved, spent, \
                     external, vendor:<handle>:pending|available|paid|cost)"
                )));
            }
            Some(text.to_string())
        }
    };
    let filename = format!("ledger-{}.csv", window.store_id);
    csv_file(&ctx.db, Ledger { window, account }, filename).await
}

struct Ledger {
    window: Window,
    account: Option<String>,
}

#[async_trait::async_trait]
impl Export for Ledger {
    type Row = PostingRow;

    fn columns(&self) -> &'static [&'static str] {
        &[
            "transaction_id",
            "created_at",
            "kind",
            "reference",
            "account",
            "currency",
            "amount",
        ]
    }

    async fn page(
        &self,
        db: &Database,
        last: Option<&PostingRow>,
        limit: i64,
    ) -> Result<Vec<PostingRow>, StorageError> {
        let before = last.map(|row| row.transaction_id);
        rows::postings(db, &self.window, self.account.as_deref(), before, limit).await
    }

    fn write(&self, row: &PostingRow, record: &mut Record<'_>) {
        record.value(row.transaction_id.to_string());
        record.at(row.created_at);
        record.value(&row.kind);
        // References are ours (attempt ids, `stripe:<session>`) but pass through outside
        // systems: treated as text.
        record.text_opt(row.reference.as_deref());
        record.text(&row.account);
        record.value(&row.currency);
        record.money(row.amount_minor, &row.currency);
    }
}

/// The store's vendor payouts as CSV, newest request first (the owner: payouts are the
/// account's business with its vendors).
pub async fn payouts(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    filters: &PayoutFilters,
) -> Result<CsvFile, ActionError> {
    let window = store_window(
        ctx,
        caller,
        &[Role::Owner],
        store,
        filters.from.as_deref(),
        filters.to.as_deref(),
    )
    .await?;
    let status = match filters.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text @ ("requested" | "paid" | "declined")) => Some(text.to_string()),
        Some(text) => {
            return Err(ActionError::Invalid(format!(
                "status: {text:?} is not requested, paid or declined"
            )))
        }
    };
    let filename = format!("payouts-{}.csv", window.store_id);
    csv_file(&ctx.db, Payouts { window, status }, filename).await
}

struct Payouts {
    window: Window,
    status: Option<String>,
}

#[async_trait::async_trait]
impl Export for Payouts {
    type Row = PayoutRow;

    fn columns(&self) -> &'static [&'static str] {
        &[
            "id",
            "vendor",
            "status",
            "currency",
            "amount",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "method",
            "method_reference",
            "note",
        ]
    }

    async fn page(
        &self,
        db: &Database,
        last: Option<&PayoutRow>,
        limit: i64,
    ) -> Result<Vec<PayoutRow>, StorageError> {
        let before = last.map(|row| row.id.as_str());
        rows::payouts(db, &self.window, self.status.as_deref(), before, limit).await
    }

    fn write(&self, row: &PayoutRow, record: &mut Record<'_>) {
        record.value(&row.id);
        record.text(&row.vendor);
        record.value(&row.status);
        record.value(&row.currency);
        record.money(row.amount_minor, &row.currency);
        record.text(&row.requested_by);
        record.at(row.requested_at);
        record.text_opt(row.decided_by.as_deref());
        record.at_opt(row.decided_at);
        record.text_opt(row.method.as_deref());
        record.text_opt(row.method_reference.as_deref());
        record.text_opt(row.note.as_deref());
    }
}
