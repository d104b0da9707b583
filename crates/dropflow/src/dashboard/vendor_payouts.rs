//! A manual vendor's money on the dashboard, over [`crate::services::vendor_payouts`]:
//!
//! - `/vendor/earnings` (the vendor): pending, available and paid per store and currency,
//!   each order's earning with the date it becomes available, the charges, the payout
//!   history (each with its statement) and a form to ask for a payout;
//! - `/vendors/payouts` (the owner): every vendor's balances, the requests waiting with a
//!   form to record one as paid (method and reference) or decline it, and each vendor's
//!   settings;
//! - `/payouts/{id}`: one payout's statement (its vendor, or the owner).

use super::error::PageError;
use super::layout::{redirect_with, shown, Flash, Layout};
use super::session::{Posted, Viewer};
use super::view;
use crate::services::vendor_payouts::{
    self as service, ChargeView, DeclineInput, EarningView, PayInput, PayoutRequestInput,
    PayoutView, PurseView, SettingsInput, StatementView,
};
use crate::services::{ActionError, Context};
use crate::storage::accounts::{Role, Scope};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use dropflow_core::payouts::{Method, Schedule};
use std::collections::BTreeSet;

/// A payout as a row shows it.
pub struct PayoutRow {
    pub id: String,
    pub vendor: String,
    pub amount: String,
    pub status: String,
    pub requested: String,
    pub requested_by: String,
    pub decided: String,
    pub how: String,
    pub note: String,
}

fn payout_row(p: &PayoutView) -> PayoutRow {
    PayoutRow {
        id: p.id.clone(),
        vendor: p.vendor.clone(),
        amount: format!("{} {}", p.amount, p.currency),
        status: view::words(&p.status),
        requested: view::time(&p.requested_at),
        requested_by: p.requested_by.clone(),
        decided: view::maybe_time(&p.decided_at),
        how: match (&p.method, &p.reference) {
            (Some(m), Some(r)) => format!("{} · {r}", view::words(m)),
            _ => String::new(),
        },
        note: p.note.clone().unwrap_or_default(),
    }
}

pub struct PurseRow {
    pub vendor: String,
    pub store_id: String,
    pub currency: String,
    pub pending: String,
    pub available: String,
    pub negative: bool,
    pub paid: String,
}

fn purse_row(p: &PurseView) -> PurseRow {
    PurseRow {
        vendor: p.vendor.clone(),
        store_id: p.store_id.clone(),
        currency: p.currency.clone(),
        pending: p.pending.clone(),
        available: p.available.clone(),
        negative: p.available.starts_with('-'),
        paid: p.paid.clone(),
    }
}

pub struct EarningRow {
    pub order_id: String,
    pub order_name: String,
    pub amount: String,
    pub delivered: String,
    pub available_on: String,
    pub status: String,
    pub payout_id: String,
}

fn earning_row(e: &EarningView) -> EarningRow {
    EarningRow {
        order_id: e.order_id.clone(),
        order_name: e.order_name.clone(),
        amount: format!("{} {}", e.amount, e.currency),
        delivered: view::time(&e.delivered_at),
        available_on: view::time(&e.available_at),
        status: view::words(&e.status),
        payout_id: e.payout_id.clone().unwrap_or_default(),
    }
}

pub struct ChargeRow {
    pub order_id: String,
    pub order_name: String,
    pub amount: String,
    pub at: String,
}

fn charge_row(c: &ChargeView) -> ChargeRow {
    ChargeRow {
        order_id: c.order_id.clone(),
        order_name: c.order_name.clone(),
        amount: format!("-{} {}", c.amount, c.currency),
        at: view::time(&c.charged_at),
    }
}

#[derive(Template)]
#[template(path = "dashboard/vendor_earnings.html")]
struct EarningsPage {
    layout: Layout,
    purses: Vec<PurseRow>,
    earnings: Vec<EarningRow>,
    charges: Vec<ChargeRow>,
    payouts: Vec<PayoutRow>,
    holding_days: u32,
    minimum: String,
    schedule: String,
    /// The currencies the vendor may ask in.
    currencies: Vec<String>,
}

fn own_vendor(viewer: &Viewer) -> Result<String, PageError> {
    viewer.require(&[Role::Vendor], "open the earnings page")?;
    match &viewer.caller.scope {
        Scope::Vendor { vendor, .. } => Ok(vendor.clone()),
        _ => Err(PageError::Forbidden("this page is for vendors".into())),
    }
}

/// `GET /vendor/earnings`.
pub async fn earnings(State(state): State<Context>, viewer: Viewer) -> Result<Response, PageError> {
    let vendor = own_vendor(&viewer)?;
    let overview = service::overview(&state, &viewer.caller, &vendor).await?;
    let currencies: BTreeSet<String> = overview.purses.iter().map(|p| p.currency.clone()).collect();
    let page = EarningsPage {
        layout: Layout::new(&viewer, "Earnings", "vendor/earnings"),
        purses: overview.purses.iter().map(purse_row).collect(),
        earnings: overview.earnings.iter().map(earning_row).collect(),
        charges: overview.charges.iter().map(charge_row).collect(),
        payouts: overview.payouts.iter().map(payout_row).collect(),
        holding_days: overview.settings.holding_days,
        minimum: if overview.settings.minimum_minor == 0 {
            "none".into()
        } else {
            currencies
                .iter()
                .map(|c| view::money(overview.settings.minimum_minor, c))
                .collect::<Vec<_>>()
                .join(", ")
        },
        schedule: view::words(&overview.settings.schedule),
        currencies: currencies.into_iter().collect(),
    };
    Ok(shown(page.render(), &viewer))
}

/// `POST /vendor/payouts`: `currency`, `amount`.
pub async fn request(State(state): State<Context>, posted: Posted) -> Result<Response, PageError> {
    let vendor = own_vendor(&posted.viewer)?;
    let input = PayoutRequestInput {
        currency: posted.field("currency").unwrap_or_default().to_string(),
        amount: posted.field("amount").unwrap_or_default().to_string(),
        store_id: posted.field("store_id").map(str::to_string),
    };
    match service::request(&state, &posted.viewer.caller, &vendor, input).await {
        Ok(p) => Ok(redirect_with(
            "/vendor/earnings",
            Flash::ok(format!("Payout of {} {} requested.", p.amount, p.currency)),
        )),
        Err(ActionError::Unprocessable(m) | ActionError::Conflict(m)) => Ok(redirect_with(
            "/vendor/earnings",
            Flash::error(format!("Not requested: {m}.")),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "dashboard/payout.html")]
struct StatementPage {
    layout: Layout,
    payout: PayoutRow,
    statement: StatementView,
    back: &'static str,
}

/// `GET /payouts/{id}`.
pub async fn statement(
    State(state): State<Context>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let statement = service::show(&state, &viewer.caller, &id).await?;
    let (section, back) = if viewer.role() == Role::Vendor {
        ("vendor/earnings", "/vendor/earnings")
    } else {
        ("vendors/payouts", "/vendors/payouts")
    };
    let page = StatementPage {
        layout: Layout::new(&viewer, "Payout statement", section),
        payout: payout_row(&statement.payout),
        statement,
        back,
    };
    Ok(shown(page.render(), &viewer))
}

pub struct SettingsRow {
    pub vendor: String,
    pub holding_days: u32,
    pub minimum_minor: i64,
    pub schedule: String,
}

#[derive(Template)]
#[template(path = "dashboard/vendor_payouts.html")]
struct OwnerPage {
    layout: Layout,
    purses: Vec<PurseRow>,
    requests: Vec<PayoutRow>,
    settings: Vec<SettingsRow>,
    methods: Vec<&'static str>,
    schedules: Vec<&'static str>,
}

/// `GET /vendors/payouts` (owner).
pub async fn owner_page(
    State(state): State<Context>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(&[Role::Owner], "pay vendors")?;
    let all = service::vendors(&state, &viewer.caller).await?;
    let vendors: BTreeSet<String> = all.purses.iter().map(|p| p.vendor.clone()).collect();
    let mut settings = Vec::new();
    for vendor in vendors {
        let s = service::settings(&state, &viewer.caller, &vendor).await?;
        settings.push(SettingsRow {
            vendor,
            holding_days: s.holding_days,
            minimum_minor: s.minimum_minor,
            schedule: s.schedule,
        });
    }
    let page = OwnerPage {
        layout: Layout::new(&viewer, "Vendor payouts", "vendors/payouts"),
        purses: all.purses.iter().map(purse_row).collect(),
        requests: all.requests.iter().map(payout_row).collect(),
        settings,
        methods: Method::ALL.map(|m| m.as_str()).to_vec(),
        schedules: Schedule::ALL.map(|s| s.as_str()).to_vec(),
    };
    Ok(shown(page.render(), &viewer))
}

fn owner_outcome<T>(result: Result<T, ActionError>, ok: &str) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(redirect_with("/vendors/payouts", Flash::ok(ok))),
        Err(ActionError::Unprocessable(m) | ActionError::Conflict(m)) => Ok(redirect_with(
            "/vendors/payouts",
            Flash::error(format!("Not recorded: {m}.")),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /payouts/{id}/pay` (owner): `method`, `reference`, `note`.
pub async fn pay(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let input = PayInput {
        method: posted.field("method").unwrap_or_default().to_string(),
        reference: posted.field("reference").unwrap_or_default().to_string(),
        note: posted.field("note").map(str::to_string),
    };
    let result = service::pay(&state, &posted.viewer.caller, &id, input).await;
    owner_outcome(result, "Payout recorded as paid; the vendor is mailed.")
}

/// `POST /payouts/{id}/decline` (owner): `note`.
pub async fn decline(
    State(state): State<Context>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let input = DeclineInput {
        note: posted.field("note").unwrap_or_default().to_string(),
    };
    let result = service::decline(&state, &posted.viewer.caller, &id, input).await;
    owner_outcome(result, "Payout request declined.")
}

/// `POST /vendors/{vendor}/settings` (owner): `holding_days`, `minimum_minor`, `schedule`.
pub async fn save_settings(
    State(state): State<Context>,
    Path(vendor): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let number = |name: &str| -> Result<i64, ActionError> {
        posted
            .field(name)
            .unwrap_or_default()
            .parse()
            .map_err(|_| ActionError::Unprocessable(format!("{name}: must be a whole number")))
    };
    let input = number("holding_days").and_then(|holding_days| {
        Ok(SettingsInput {
            holding_days,
            minimum_minor: number("minimum_minor")?,
            schedule: posted.field("schedule").unwrap_or_default().to_string(),
        })
    });
    let result = match input {
        Ok(input) => service::put_settings(&state, &posted.viewer.caller, &vendor, input).await,
        Err(e) => Err(e),
    };
    owner_outcome(result, "Vendor settings saved.")
}
