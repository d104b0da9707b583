//! A manual vendor's earnings and payouts ([`dropflow_core::payouts`]): what the vendor reads
//! and asks for, what the merchant's owner approves and sets.
//!
//! - A vendor reads its own purses (pending / available / paid per store and currency), each
//!   order's earning with the date it becomes available, the charges, its payouts and their
//!   statements; and asks for a payout (at least its minimum, at most what is available, one
//!   open request at a time). Another vendor's handle or payout is 404.
//! - The owner lists every vendor's purses and open requests, records a request as paid
//!   (method and reference: the ledger's payout is posted, the statement fixed, the vendor
//!   mailed, in one transaction) or declines it, and sets a vendor's holding period, minimum
//!   and schedule. Staff and warehouse users are refused (403): vendors' money is the
//!   owner's business, like the wallet's credentials. Another account's payout is 404.

use super::{ActionError, Caller, Context};
use crate::notify::vendor_payout::{self as mail, PayoutLine, VendorPayout};
use crate::storage::accounts::{Role, Scope};
use crate::storage::vendor_payouts::{
    self as store, ChargeRow, CoveredItem, Decision, EarningRow, Filter, PayoutRow, PostError,
    Purse, PurseKey,
};
use crate::storage::StorageError;
use chrono::{DateTime, Utc};
use dropflow_core::money::Money;
use dropflow_core::payouts::{self, Bucket, ItemKind, Method, PayoutError, Settings};
use dropflow_core::reference::currency::Currency;
use serde::{Deserialize, Serialize};

/// Most earnings and charges an overview lists (newest first).
const LISTED: i64 = 200;
/// Most payouts an overview or the owner's list shows.
const PAYOUTS_LISTED: i64 = 100;
/// The longest payment reference and note.
const MAX_REFERENCE: usize = 200;
const MAX_NOTE: usize = 500;

/// One purse: a vendor's balances in one store and currency.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurseView {
    pub store_id: String,
    pub vendor: String,
    pub currency: String,
    /// Earned on delivered purchases, still in the holding period.
    pub pending: String,
    /// May be paid out; negative when charges exceed what was earned (carried forward).
    pub available: String,
    /// Paid out so far.
    pub paid: String,
}

impl From<&Purse> for PurseView {
    fn from(p: &Purse) -> Self {
        let text = |b| p.balances.money(b).to_decimal_string();
        PurseView {
            store_id: p.key.store_id.clone(),
            vendor: p.key.vendor.clone(),
            currency: p.key.currency.code().to_string(),
            pending: text(Bucket::Pending),
            available: text(Bucket::Available),
            paid: text(Bucket::Paid),
        }
    }
}

/// One order's earning.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EarningView {
    pub supplier_order_id: String,
    pub order_id: String,
    pub order_name: String,
    pub store_id: String,
    pub currency: String,
    /// The purchase's agreed cost (goods and shipping).
    pub amount: String,
    pub delivered_at: DateTime<Utc>,
    /// When it becomes (or became) available.
    pub available_at: DateTime<Utc>,
    /// `pending`, `available`, or `paid` (a paid payout covers it).
    #[schema(example = "pending")]
    pub status: String,
    /// The payout whose statement covers it.
    pub payout_id: Option<String>,
}

impl From<&EarningRow> for EarningView {
    fn from(e: &EarningRow) -> Self {
        let status = match (&e.payout_id, e.earning.matured) {
            (Some(_), _) => "paid",
            (None, true) => "available",
            (None, false) => "pending",
        };
        EarningView {
            supplier_order_id: e.earning.reference.clone(),
            order_id: e.order_id.clone(),
            order_name: e.order_name.clone(),
            store_id: e.key.store_id.clone(),
            currency: e.key.currency.code().to_string(),
            amount: e.earning.amount.to_decimal_string(),
            delivered_at: e.earning.delivered_at,
            available_at: e.earning.available_at,
            status: status.into(),
            payout_id: e.payout_id.clone(),
        }
    }
}

/// A refund or return a case charged to the vendor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChargeView {
    /// The ledger reference: `<supplier order id>#case:<case id>`.
    pub reference: String,
    pub supplier_order_id: String,
    pub case_id: String,
    pub order_id: String,
    pub order_name: String,
    pub store_id: String,
    pub currency: String,
    /// What came off (positive).
    pub amount: String,
    pub charged_at: DateTime<Utc>,
    pub payout_id: Option<String>,
}

impl From<&ChargeRow> for ChargeView {
    fn from(c: &ChargeRow) -> Self {
        ChargeView {
            reference: c.reference.clone(),
            supplier_order_id: c.supplier_order_id.clone(),
            case_id: c.case_id.clone(),
            order_id: c.order_id.clone(),
            order_name: c.order_name.clone(),
            store_id: c.key.store_id.clone(),
            currency: c.key.currency.code().to_string(),
            amount: c.amount.to_decimal_string(),
            charged_at: c.charged_at,
            payout_id: c.payout_id.clone(),
        }
    }
}

/// A payout: asked for, then paid or declined.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutView {
    pub id: String,
    pub store_id: String,
    pub vendor: String,
    pub currency: String,
    pub amount: String,
    /// `requested`, `paid` or `declined`.
    #[schema(example = "requested")]
    pub status: String,
    /// `user:<e-mail>` of the vendor, or `schedule`.
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// How it was paid (bank_transfer, paypal, wise, check, cash, other).
    pub method: Option<String>,
    /// The payment's own reference (the transfer's id).
    pub reference: Option<String>,
    pub note: Option<String>,
}

impl From<&PayoutRow> for PayoutView {
    fn from(p: &PayoutRow) -> Self {
        PayoutView {
            id: p.id.clone(),
            store_id: p.key.store_id.clone(),
            vendor: p.key.vendor.clone(),
            currency: p.key.currency.code().to_string(),
            amount: p.amount.to_decimal_string(),
            status: p.status.clone(),
            requested_by: p.requested_by.clone(),
            requested_at: p.requested_at,
            decided_by: p.decided_by.clone(),
            decided_at: p.decided_at,
            method: p.method.clone(),
            reference: p.method_reference.clone(),
            note: p.note.clone(),
        }
    }
}

/// One line of a statement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementLineView {
    /// `earning` or `charge`.
    pub kind: String,
    /// The supplier order (earning) or the charge's reference.
    pub reference: String,
    pub order_id: String,
    pub order_name: String,
    /// Signed: an earning adds, a charge takes off.
    pub amount: String,
    /// When the earning became available, or the charge was made.
    pub at: DateTime<Utc>,
}

/// A payout with what it covers. Until it is paid the statement is empty.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementView {
    pub payout: PayoutView,
    /// Carried forward from the previous payout.
    pub opening: String,
    pub earned: String,
    pub charged: String,
    pub paid: String,
    /// Carried to the next payout: opening + earned − charged − paid.
    pub closing: String,
    pub lines: Vec<StatementLineView>,
}

/// A vendor's payout settings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    pub vendor: String,
    /// Days after delivery before an earning becomes available (default 14).
    pub holding_days: u32,
    /// The least a payout may be, in minor units of each purse's currency (cents).
    pub minimum_minor: i64,
    /// `on_request`, `weekly` (Mondays, UTC) or `monthly` (the 1st, UTC).
    pub schedule: String,
}

fn settings_view(vendor: &str, s: &Settings) -> SettingsView {
    SettingsView {
        vendor: vendor.to_string(),
        holding_days: s.holding_days,
        minimum_minor: s.minimum_minor,
        schedule: s.schedule.as_str().to_string(),
    }
}

/// Everything about one vendor's money.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VendorEarningsView {
    pub vendor: String,
    pub settings: SettingsView,
    pub purses: Vec<PurseView>,
    /// Newest delivery first (at most 200).
    pub earnings: Vec<EarningView>,
    /// Newest first (at most 200).
    pub charges: Vec<ChargeView>,
    /// Newest first (at most 100).
    pub payouts: Vec<PayoutView>,
}

/// Every vendor's purses and the payouts waiting for the owner.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VendorsView {
    pub purses: Vec<PurseView>,
    pub requests: Vec<PayoutView>,
}

/// A vendor's request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutRequestInput {
    /// ISO 4217 code of the purse.
    pub currency: String,
    /// Decimal string in the currency, e.g. "120.00".
    pub amount: String,
    /// The store whose purse pays; needed only when the vendor earns in several stores in
    /// that currency.
    pub store_id: Option<String>,
}

/// The owner's record of a payout made.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayInput {
    /// bank_transfer, paypal, wise, check, cash or other.
    pub method: String,
    /// The payment's own reference (1 to 200 characters).
    pub reference: String,
    /// Up to 500 characters.
    pub note: Option<String>,
}

/// The owner's refusal of a request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    /// Why (1 to 500 characters); the vendor reads it.
    pub note: String,
}

/// A vendor's settings as the owner sets them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// 0 to 365.
    pub holding_days: i64,
    /// Minor units (cents), 0 or more.
    pub minimum_minor: i64,
    /// on_request, weekly or monthly.
    pub schedule: String,
}

/// The account whose stores the caller sees (`None`: every account, the installation).
fn account_of(caller: &Caller) -> Option<&str> {
    match caller.scope {
        Scope::Installation => None,
        _ => Some(caller.account_id()),
    }
}

fn not_found(what: &str) -> ActionError {
    ActionError::NotFound(format!("{what} not found"))
}

/// What the caller may read of `vendor`: the vendor itself, or the owner of an account that
/// knows the handle (another account's vendor is 404).
async fn reader_of<'a>(
    ctx: &Context,
    caller: &'a Caller,
    vendor: &'a str,
) -> Result<Filter<'a>, ActionError> {
    if let Scope::Vendor {
        account_id,
        vendor: own,
    } = &caller.scope
    {
        return if own == vendor {
            Ok(Filter {
                account_id: Some(account_id),
                vendor: Some(vendor),
            })
        } else {
            Err(not_found(&format!("vendor {vendor:?}")))
        };
    }
    caller.require(&[Role::Owner], "see vendors' earnings")?;
    if !store::known_vendor(&ctx.db, account_of(caller), vendor).await? {
        return Err(not_found(&format!("vendor {vendor:?}")));
    }
    Ok(Filter {
        account_id: account_of(caller),
        vendor: Some(vendor),
    })
}

/// `GET /vendors/{vendor}/earnings`: the vendor's purses, earnings, charges and payouts.
pub async fn overview(
    ctx: &Context,
    caller: &Caller,
    vendor: &str,
) -> Result<VendorEarningsView, ActionError> {
    let filter = reader_of(ctx, caller, vendor).await?;
    let settings = store::settings(&ctx.db, caller.account_id(), vendor).await?;
    Ok(VendorEarningsView {
        vendor: vendor.to_string(),
        settings: settings_view(vendor, &settings),
        purses: store::purses(&ctx.db, &filter)
            .await?
            .iter()
            .map(PurseView::from)
            .collect(),
        earnings: store::earnings(&ctx.db, &filter, LISTED)
            .await?
            .iter()
            .map(EarningView::from)
            .collect(),
        charges: store::charges(&ctx.db, &filter, LISTED)
            .await?
            .iter()
            .map(ChargeView::from)
            .collect(),
        payouts: store::payouts(&ctx.db, &filter, None, PAYOUTS_LISTED)
            .await?
            .iter()
            .map(PayoutView::from)
            .collect(),
    })
}

/// `GET /vendors`: every vendor's purses and the open requests (owner).
pub async fn vendors(ctx: &Context, caller: &Caller) -> Result<VendorsView, ActionError> {
    caller.require(&[Role::Owner], "see vendors' earnings")?;
    let filter = Filter {
        account_id: account_of(caller),
        vendor: None,
    };
    Ok(VendorsView {
        purses: store::purses(&ctx.db, &filter)
            .await?
            .iter()
            .map(PurseView::from)
            .collect(),
        requests: store::payouts(&ctx.db, &filter, Some("requested"), PAYOUTS_LISTED)
            .await?
            .iter()
            .map(PayoutView::from)
            .collect(),
    })
}

/// `GET /vendors/{vendor}/settings`.
pub async fn settings(
    ctx: &Context,
    caller: &Caller,
    vendor: &str,
) -> Result<SettingsView, ActionError> {
    reader_of(ctx, caller, vendor).await?;
    let s = store::settings(&ctx.db, caller.account_id(), vendor).await?;
    Ok(settings_view(vendor, &s))
}

/// `PUT /vendors/{vendor}/settings` (owner): holding period, minimum, schedule. A new
/// holding period applies to purchases delivered from now on.
pub async fn put_settings(
    ctx: &Context,
    caller: &Caller,
    vendor: &str,
    input: SettingsInput,
) -> Result<SettingsView, ActionError> {
    caller.require(&[Role::Owner], "set vendors' payouts")?;
    let vendor = vendor.trim();
    if vendor.is_empty() || vendor.len() > 100 {
        return Err(ActionError::Unprocessable(
            "vendor: must be 1 to 100 characters".into(),
        ));
    }
    let settings = Settings::checked(input.holding_days, input.minimum_minor, &input.schedule)
        .map_err(ActionError::Unprocessable)?;
    let mut tx = ctx.db.begin().await?;
    let before = store::settings_in(&mut *tx, caller.account_id(), vendor).await?;
    store::put_settings_in(&mut tx, caller.account_id(), vendor, &settings).await?;
    // The vendor's settings are the account's, not one store's.
    super::audit::record(
        &mut tx,
        caller,
        None,
        "vendor_settings.set",
        ("vendor_settings", vendor),
        Some(super::audit::snapshot(&settings_view(vendor, &before))?),
        Some(super::audit::snapshot(&settings_view(vendor, &settings))?),
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(settings_view(vendor, &settings))
}

fn refused(error: PayoutError) -> ActionError {
    match error {
        PayoutError::RequestOpen => ActionError::Conflict(error.to_string()),
        PayoutError::NotPositive(_) => ActionError::Unprocessable(format!("amount: {error}")),
        PayoutError::CurrencyMismatch { .. } => {
            ActionError::Unprocessable(format!("currency: {error}"))
        }
        other => ActionError::Unprocessable(other.to_string()),
    }
}

fn post_refused(error: PostError) -> ActionError {
    match error {
        PostError::Refused(PayoutError::ExceedsAvailable { amount, available }) => {
            ActionError::Conflict(format!(
                "only {} {} is available now, less than the {} {} asked: decline the request",
                available.to_decimal_string(),
                available.currency.code(),
                amount.to_decimal_string(),
                amount.currency.code()
            ))
        }
        PostError::Refused(e) => refused(e),
        PostError::Duplicate { .. } => ActionError::Conflict("this payout was already paid".into()),
        PostError::Storage(e) => e.into(),
    }
}

/// `POST /vendors/{vendor}/payouts`: the vendor asks for `amount` of a purse.
pub async fn request(
    ctx: &Context,
    caller: &Caller,
    vendor: &str,
    input: PayoutRequestInput,
) -> Result<PayoutView, ActionError> {
    let filter = reader_of(ctx, caller, vendor).await?;
    if !matches!(caller.scope, Scope::Vendor { .. }) {
        return Err(ActionError::Forbidden(
            "only the vendor asks for its payouts; the owner records them as paid".into(),
        ));
    }
    let code = input.currency.trim().to_ascii_uppercase();
    let currency = Currency::from_code(&code).map_err(|_| {
        ActionError::Unprocessable(format!("currency: {code:?} is not an ISO 4217 code"))
    })?;
    let amount = Money::parse_decimal(input.amount.trim(), currency)
        .map_err(|e| ActionError::Unprocessable(format!("amount: {e}")))?;
    let mut candidates: Vec<Purse> = store::purses(&ctx.db, &filter)
        .await?
        .into_iter()
        .filter(|p| p.key.currency == currency)
        .collect();
    if let Some(store_id) = input.store_id.as_deref().map(str::trim) {
        candidates.retain(|p| p.key.store_id == store_id);
        if candidates.is_empty() {
            return Err(ActionError::Unprocessable(format!(
                "store_id: you have no earnings in {code} in store {store_id:?}"
            )));
        }
    }
    let key: PurseKey = match candidates.as_slice() {
        [] => {
            return Err(ActionError::Unprocessable(format!(
                "currency: you have no earnings in {code}"
            )))
        }
        [one] => one.key.clone(),
        _ => {
            return Err(ActionError::Unprocessable(
                "store_id: you earn in several stores in this currency: name the store".into(),
            ))
        }
    };
    let mut tx = ctx.db.begin().await?;
    let purse = store::lock_purse(&mut tx, &key).await?;
    let open = store::open_request(&mut tx, &key).await?;
    let settings = store::settings_in(&mut *tx, caller.account_id(), vendor).await?;
    payouts::check_request(&purse.balances, &settings, amount, open).map_err(refused)?;
    let id = store::insert_request(&mut tx, &key, amount, &caller.actor, Utc::now()).await?;
    let asked = store::payout_in(&mut tx, &id)
        .await?
        .ok_or_else(|| not_found("payout"))?;
    super::audit::record(
        &mut tx,
        caller,
        Some(&key.store_id),
        "payout.request",
        ("payout", &id),
        None,
        Some(super::audit::snapshot(&PayoutView::from(&asked))?),
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    let (row, _) = store::payout(&ctx.db, &id)
        .await?
        .ok_or_else(|| not_found("payout"))?;
    Ok(PayoutView::from(&row))
}

/// The payout `id` if the caller may see it: the owner of its account, or its vendor.
async fn visible_payout(
    ctx: &Context,
    caller: &Caller,
    id: &str,
) -> Result<PayoutRow, ActionError> {
    caller.require(&[Role::Owner, Role::Vendor], "see vendors' payouts")?;
    let missing = || not_found(&format!("payout {id:?}"));
    let (row, account) = store::payout(&ctx.db, id).await?.ok_or_else(missing)?;
    let theirs = match &caller.scope {
        Scope::Installation => true,
        Scope::Vendor { account_id, vendor } => *account_id == account && *vendor == row.key.vendor,
        other => other.account_id() == account,
    };
    if theirs {
        Ok(row)
    } else {
        Err(missing())
    }
}

fn signed(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).to_decimal_string()
}

fn statement_view(row: &PayoutRow, covered: &[CoveredItem]) -> StatementView {
    let currency = row.key.currency;
    let paid = if row.status == "paid" {
        row.amount.minor
    } else {
        0
    };
    let statement = payouts::statement(
        row.opening_minor.unwrap_or(0),
        covered.iter().map(|c| c.item.clone()).collect(),
        paid,
    );
    let lines = statement
        .items
        .iter()
        .map(|item| {
            let of = covered
                .iter()
                .find(|c| c.item.reference == item.reference && c.item.kind == item.kind);
            StatementLineView {
                kind: item.kind.as_str().to_string(),
                reference: item.reference.clone(),
                order_id: of.map(|c| c.order_id.clone()).unwrap_or_default(),
                order_name: of.map(|c| c.order_name.clone()).unwrap_or_default(),
                amount: signed(item.minor, currency),
                at: item.at,
            }
        })
        .collect();
    StatementView {
        payout: PayoutView::from(row),
        opening: signed(statement.opening, currency),
        earned: signed(statement.earned, currency),
        charged: signed(statement.charged, currency),
        paid: signed(statement.paid, currency),
        closing: signed(row.closing_minor.unwrap_or(statement.closing), currency),
        lines,
    }
}

/// `GET /payouts/{id}`: a payout and its statement.
pub async fn show(ctx: &Context, caller: &Caller, id: &str) -> Result<StatementView, ActionError> {
    let row = visible_payout(ctx, caller, id).await?;
    let covered = store::covered(&ctx.db, &row.id).await?;
    Ok(statement_view(&row, &covered))
}

/// `POST /payouts/{id}/pay` (owner): records the request as paid by `method` with the
/// payment's `reference`. In one transaction: the ledger's payout (refused when more than is
/// available now), the statement (every matured earning and charge not covered yet, the
/// balance carried forward), the request closed, and the vendor's mail.
pub async fn pay(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    input: PayInput,
) -> Result<StatementView, ActionError> {
    caller.require(&[Role::Owner], "pay vendors")?;
    let row = visible_payout(ctx, caller, id).await?;
    let method = Method::parse(input.method.trim()).ok_or_else(|| {
        ActionError::Unprocessable(format!(
            "method: must be one of {}",
            Method::ALL.map(|m| m.as_str()).join(", ")
        ))
    })?;
    let reference = input.reference.trim();
    if reference.is_empty() || reference.chars().count() > MAX_REFERENCE {
        return Err(ActionError::Unprocessable(format!(
            "reference: must be 1 to {MAX_REFERENCE} characters"
        )));
    }
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(ActionError::Unprocessable(format!(
            "note: must be at most {MAX_NOTE} characters"
        )));
    }
    let key = row.key.clone();
    let mut tx = ctx.db.begin().await?;
    let purse = store::lock_purse(&mut tx, &key).await?;
    let fresh = store::payout_in(&mut tx, id)
        .await?
        .ok_or_else(|| not_found("payout"))?;
    if fresh.status != "requested" {
        return Err(ActionError::Conflict(format!(
            "payout {id} is {} already",
            fresh.status
        )));
    }
    store::post_locked(
        &mut tx,
        &key,
        purse.balances,
        payouts::Kind::Payout,
        id,
        |b| payouts::pay(b, fresh.amount, id),
    )
    .await
    .map_err(post_refused)?;
    let opening = store::carried_forward(&mut tx, &key).await?;
    let covered = store::cover(&mut tx, &key, id).await?;
    let statement = payouts::statement(
        opening,
        covered.iter().map(|c| c.item.clone()).collect(),
        fresh.amount.minor,
    );
    let decided = store::decide(
        &mut tx,
        id,
        &Decision {
            status: "paid",
            by: &caller.actor,
            at: Utc::now(),
            method: Some(method.as_str()),
            reference: Some(reference),
            note,
            opening_minor: Some(statement.opening),
            closing_minor: Some(statement.closing),
        },
    )
    .await?;
    if !decided {
        return Err(ActionError::Conflict(format!(
            "payout {id} changed meanwhile"
        )));
    }
    let paid = store::payout_in(&mut tx, id)
        .await?
        .ok_or_else(|| not_found("payout"))?;
    let mut after = super::audit::snapshot(&PayoutView::from(&paid))?;
    after["statement"] = serde_json::json!({
        "opening": signed(statement.opening, key.currency),
        "earned": signed(statement.earned, key.currency),
        "charged": signed(statement.charged, key.currency),
        "closing": signed(statement.closing, key.currency),
        "lines": statement.items.len(),
    });
    super::audit::record(
        &mut tx,
        caller,
        Some(&key.store_id),
        "payout.pay",
        ("payout", id),
        Some(super::audit::snapshot(&PayoutView::from(&fresh))?),
        Some(after),
    )
    .await?;
    let recipients = store::vendor_emails(&mut tx, &key.store_id, &key.vendor).await?;
    if !recipients.is_empty() {
        let currency = key.currency;
        let with_code = |minor: i64| format!("{} {}", signed(minor, currency), currency.code());
        let body = VendorPayout {
            store: store::store_name(&mut tx, &key.store_id).await?,
            amount: with_code(fresh.amount.minor),
            method: method.words(),
            reference: reference.to_string(),
            opening: with_code(statement.opening),
            closing: with_code(statement.closing),
            lines: statement
                .items
                .iter()
                .map(|item| PayoutLine {
                    kind: match item.kind {
                        ItemKind::Earning => "Earning".into(),
                        ItemKind::Charge => "Charge".into(),
                    },
                    order: covered
                        .iter()
                        .find(|c| c.item.reference == item.reference && c.item.kind == item.kind)
                        .map(|c| c.order_name.clone())
                        .unwrap_or_default(),
                    amount: with_code(item.minor),
                })
                .collect(),
            statement_path: format!("/payouts/{id}"),
        };
        mail::enqueue(&mut tx, &recipients, &body)
            .await
            .map_err(|e| ActionError::Internal(e.to_string()))?;
    }
    tx.commit().await.map_err(StorageError::from)?;
    ctx.db.jobs_queued.notify_one();
    tracing::info!(payout = %id, "vendor payout recorded as paid");
    show(ctx, caller, id).await
}

/// `POST /payouts/{id}/decline` (owner): closes the request unpaid, with a note the vendor
/// reads.
pub async fn decline(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    input: DeclineInput,
) -> Result<PayoutView, ActionError> {
    caller.require(&[Role::Owner], "decline vendors' payouts")?;
    visible_payout(ctx, caller, id).await?;
    let note = input.note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE {
        return Err(ActionError::Unprocessable(format!(
            "note: must be 1 to {MAX_NOTE} characters"
        )));
    }
    let mut tx = ctx.db.begin().await?;
    let before = store::payout_in(&mut tx, id)
        .await?
        .ok_or_else(|| not_found("payout"))?;
    let decided = store::decide(
        &mut tx,
        id,
        &Decision {
            status: "declined",
            by: &caller.actor,
            at: Utc::now(),
            method: None,
            reference: None,
            note: Some(note),
            opening_minor: None,
            closing_minor: None,
        },
    )
    .await?;
    if !decided {
        return Err(ActionError::Conflict(format!(
            "payout {id} is no longer waiting for a decision"
        )));
    }
    let row = store::payout_in(&mut tx, id)
        .await?
        .ok_or_else(|| not_found("payout"))?;
    let before = PayoutView::from(&before);
    let after = PayoutView::from(&row);
    super::audit::record(
        &mut tx,
        caller,
        Some(&row.key.store_id),
        "payout.decline",
        ("payout", id),
        Some(super::audit::snapshot(&before)?),
        Some(super::audit::snapshot(&after)?),
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(after)
}
