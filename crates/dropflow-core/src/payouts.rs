//! A manual vendor's earnings and payouts (issue 16, "Money" item 2), kept as double-entry
//! postings in the same ledger as the merchant wallet (`ledger_transactions` /
//! `ledger_postings`), so they balance with everything else. Pure: storage locks the vendor's
//! purse, loads its [`Balances`], asks the builders here for the [`Movement`] and writes what
//! comes back.
//!
//! **Purse.** One per store, currency and vendor handle, four accounts, named in the ledger
//! `vendor:<handle>:<account>`:
//!
//! - `pending`: earned on a delivered purchase, still in its holding period;
//! - `available`: may be paid out. The only account that may go negative: a refund or return
//!   charged to the vendor comes off it even when nothing is left, and the negative balance
//!   carries forward until later earnings fill it;
//! - `paid`: paid out to the vendor (outside dropflow: a bank transfer, PayPal, …);
//! - `cost`: the merchant's side, minus what the vendor's goods cost the merchant net of
//!   charges (like the wallet's `external`, it goes negative). The four always sum to zero.
//!
//! Movements, each balanced, each referenced so it is posted at most once (storage backs this
//! with the ledger's unique key on (store, kind, reference)):
//!
//! | kind             | reference                        | postings                    |
//! |------------------|----------------------------------|-----------------------------|
//! | `vendor_earning` | the supplier order id            | cost −a, pending +a         |
//! | `vendor_mature`  | the supplier order id            | pending −a, available +a    |
//! | `vendor_charge`  | `<supplier order id>#case:<id>`  | available −c, cost +c       |
//! | `vendor_payout`  | the payout id                    | available −p, paid +p       |
//!
//! **Earning.** A vendor's purchase delivered earns its cost as agreed in the mapping (the
//! supplier order's `cost_minor`: goods and shipping, in the purchase's currency) — [`earn`].
//! It becomes available `holding_days` after delivery ([`available_at`], default
//! [`DEFAULT_HOLDING_DAYS`], per vendor; a change applies to later deliveries). The follower
//! moves what is due ([`mature`] refuses anything before its date, so nothing matures early).
//!
//! **Charge.** A case's supplier credit on a vendor's purchase (the vendor accepts a refund or
//! return) is charged to the vendor ([`charge`]): it comes off `available`, whatever is there.
//!
//! **Payout.** Requested by the vendor ([`check_request`]: at least its minimum, at most what
//! is available, one open request at a time) or by its schedule ([`scheduled_due`] weekly on
//! Monday, monthly on the 1st, UTC: the whole available balance when it reaches the minimum).
//! The merchant approves and records how it was paid (method and reference): [`pay`] posts
//! the payout, checked again against `available` under the purse's lock, so a charge that
//! landed since the request cannot be overdrawn. A payout is never posted for more than is
//! available.
//!
//! **Statement.** Each paid payout covers every matured earning and every charge not covered
//! by an earlier one ([`statement`]): the balance carried forward from the last payout, plus
//! the earnings, less the charges, less the payout, is the balance carried to the next. As
//! every matured item is covered when a payout is made, the closing balance equals
//! `available` just after it.

use crate::money::Money;
use crate::reference::currency::Currency;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[cfg(test)]
mod tests;

/// Days an earning is held after delivery unless the vendor's settings say otherwise.
pub const DEFAULT_HOLDING_DAYS: u32 = 14;
/// The longest holding period a merchant may set.
pub const MAX_HOLDING_DAYS: u32 = 365;
/// The prefix of every vendor account's name in the ledger.
pub const ACCOUNT_PREFIX: &str = "vendor:";

/// One of a purse's four accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Pending,
    Available,
    Paid,
    Cost,
}

impl Bucket {
    pub const ALL: [Bucket; 4] = [
        Bucket::Pending,
        Bucket::Available,
        Bucket::Paid,
        Bucket::Cost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Pending => "pending",
            Bucket::Available => "available",
            Bucket::Paid => "paid",
            Bucket::Cost => "cost",
        }
    }

    pub fn parse(text: &str) -> Option<Bucket> {
        Bucket::ALL.into_iter().find(|b| b.as_str() == text)
    }
}

/// The ledger account of `vendor`'s `bucket`: `vendor:<handle>:pending`.
pub fn account_name(vendor: &str, bucket: Bucket) -> String {
    format!("{ACCOUNT_PREFIX}{vendor}:{}", bucket.as_str())
}

/// The vendor and bucket a ledger account names, if it is a vendor's.
pub fn parse_account(name: &str) -> Option<(&str, Bucket)> {
    let rest = name.strip_prefix(ACCOUNT_PREFIX)?;
    let (vendor, bucket) = rest.rsplit_once(':')?;
    if vendor.is_empty() {
        return None;
    }
    Some((vendor, Bucket::parse(bucket)?))
}

/// What a vendor movement does; each kind may only touch its own accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Earning,
    Mature,
    Charge,
    Payout,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Earning, Kind::Mature, Kind::Charge, Kind::Payout];

    /// The ledger's `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Earning => "vendor_earning",
            Kind::Mature => "vendor_mature",
            Kind::Charge => "vendor_charge",
            Kind::Payout => "vendor_payout",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The accounts a movement of this kind may post to.
    pub fn buckets(self) -> &'static [Bucket] {
        match self {
            Kind::Earning => &[Bucket::Cost, Bucket::Pending],
            Kind::Mature => &[Bucket::Pending, Bucket::Available],
            Kind::Charge => &[Bucket::Available, Bucket::Cost],
            Kind::Payout => &[Bucket::Available, Bucket::Paid],
        }
    }
}

/// Why a vendor movement or request is refused. Nothing is written when it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayoutError {
    #[error("amount {0} must be more than zero")]
    NotPositive(Money),
    #[error("the purse is in {expected}, not {got}")]
    CurrencyMismatch { expected: String, got: String },
    #[error("amount: {amount} is below the vendor's minimum payout of {minimum}")]
    BelowMinimum { amount: Money, minimum: Money },
    #[error("amount: {amount} is more than the {available} available")]
    ExceedsAvailable { amount: Money, available: Money },
    #[error("earning {reference} becomes available at {available_at}, not before")]
    NotYetAvailable {
        reference: String,
        available_at: DateTime<Utc>,
    },
    #[error("earning {0} has already become available")]
    AlreadyMatured(String),
    #[error("a payout request is already open: approve or decline it first")]
    RequestOpen,
    #[error("{} would go negative", .0.as_str())]
    WouldGoNegative(Bucket),
    #[error("a {} may not post to {}", .kind.as_str(), .bucket.as_str())]
    BadPosting { kind: Kind, bucket: Bucket },
    #[error("postings sum to {sum}, not zero")]
    Unbalanced { sum: i128 },
    #[error("a {} needs a reference", .0.as_str())]
    MissingReference(Kind),
    #[error("amount overflows")]
    Overflow,
}

/// One line of a movement: a signed amount on one of the purse's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub bucket: Bucket,
    pub minor: i64,
}

/// A balanced movement between a purse's accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub kind: Kind,
    pub currency: Currency,
    pub reference: String,
    /// At most one line per account; zero amounts are left out.
    pub lines: Vec<Line>,
}

impl Movement {
    fn new(kind: Kind, currency: Currency, reference: &str, lines: &[(Bucket, i64)]) -> Movement {
        Movement {
            kind,
            currency,
            reference: reference.to_string(),
            lines: lines
                .iter()
                .filter(|(_, minor)| *minor != 0)
                .map(|&(bucket, minor)| Line { bucket, minor })
                .collect(),
        }
    }

    /// The signed amount this movement posts to `bucket` (0 if none).
    pub fn amount_on(&self, bucket: Bucket) -> i64 {
        self.lines
            .iter()
            .filter(|l| l.bucket == bucket)
            .map(|l| l.minor)
            .sum()
    }

    /// The rules that need no balances: lines summing to zero, only the kind's accounts, each
    /// at most once, a reference.
    pub fn check_shape(&self) -> Result<(), PayoutError> {
        let mut sum: i128 = 0;
        let mut seen = BTreeSet::new();
        for line in &self.lines {
            if !self.kind.buckets().contains(&line.bucket) || !seen.insert(line.bucket) {
                return Err(PayoutError::BadPosting {
                    kind: self.kind,
                    bucket: line.bucket,
                });
            }
            sum += i128::from(line.minor);
        }
        if sum != 0 {
            return Err(PayoutError::Unbalanced { sum });
        }
        if self.reference.trim().is_empty() {
            return Err(PayoutError::MissingReference(self.kind));
        }
        Ok(())
    }
}

/// A purse's balances (minor units of its currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    pub currency: Currency,
    pub pending: i64,
    pub available: i64,
    pub paid: i64,
    pub cost: i64,
}

impl Balances {
    pub fn new(currency: Currency) -> Balances {
        Balances {
            currency,
            pending: 0,
            available: 0,
            paid: 0,
            cost: 0,
        }
    }

    pub fn get(&self, bucket: Bucket) -> i64 {
        match bucket {
            Bucket::Pending => self.pending,
            Bucket::Available => self.available,
            Bucket::Paid => self.paid,
            Bucket::Cost => self.cost,
        }
    }

    fn slot(&mut self, bucket: Bucket) -> &mut i64 {
        match bucket {
            Bucket::Pending => &mut self.pending,
            Bucket::Available => &mut self.available,
            Bucket::Paid => &mut self.paid,
            Bucket::Cost => &mut self.cost,
        }
    }

    /// The sum over the four accounts: zero in every reachable state.
    pub fn total(&self) -> i128 {
        Bucket::ALL.iter().map(|&b| i128::from(self.get(b))).sum()
    }

    pub fn money(&self, bucket: Bucket) -> Money {
        Money::new(self.get(bucket), self.currency)
    }

    /// Every rule a movement must pass against these balances: its shape, the currency,
    /// `pending` and `paid` never negative, and a payout never taking `available` below
    /// zero (only a charge may).
    pub fn check(&self, movement: &Movement) -> Result<(), PayoutError> {
        movement.check_shape()?;
        if movement.currency != self.currency {
            return Err(PayoutError::CurrencyMismatch {
                expected: self.currency.code().to_string(),
                got: movement.currency.code().to_string(),
            });
        }
        for bucket in Bucket::ALL {
            let after = self
                .get(bucket)
                .checked_add(movement.amount_on(bucket))
                .ok_or(PayoutError::Overflow)?;
            let may_go_negative = match bucket {
                Bucket::Cost => true,
                Bucket::Available => movement.kind == Kind::Charge,
                Bucket::Pending | Bucket::Paid => false,
            };
            if after < 0 && !may_go_negative && movement.amount_on(bucket) < 0 {
                return Err(PayoutError::WouldGoNegative(bucket));
            }
        }
        Ok(())
    }

    /// Applies `movement` after [`Balances::check`]; on an error nothing changes.
    pub fn apply(&mut self, movement: &Movement) -> Result<(), PayoutError> {
        self.check(movement)?;
        for line in &movement.lines {
            *self.slot(line.bucket) += line.minor;
        }
        Ok(())
    }

    fn checked(
        &self,
        kind: Kind,
        currency: Currency,
        reference: &str,
        lines: &[(Bucket, i64)],
    ) -> Result<Movement, PayoutError> {
        let movement = Movement::new(kind, currency, reference, lines);
        self.check(&movement)?;
        Ok(movement)
    }
}

fn positive(amount: Money) -> Result<i64, PayoutError> {
    if amount.minor > 0 {
        Ok(amount.minor)
    } else {
        Err(PayoutError::NotPositive(amount))
    }
}

/// The vendor earns `amount` for the delivered purchase `supplier_order` (held as pending).
pub fn earn(
    balances: &Balances,
    amount: Money,
    supplier_order: &str,
) -> Result<Movement, PayoutError> {
    let a = positive(amount)?;
    balances.checked(
        Kind::Earning,
        amount.currency,
        supplier_order,
        &[(Bucket::Cost, -a), (Bucket::Pending, a)],
    )
}

/// One earning as its maturing needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earning {
    /// The supplier order it is for (the ledger reference).
    pub reference: String,
    pub amount: Money,
    pub delivered_at: DateTime<Utc>,
    /// `delivered_at` plus the holding period.
    pub available_at: DateTime<Utc>,
    pub matured: bool,
}

impl Earning {
    /// Whether it may become available at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        !self.matured && self.available_at <= now
    }
}

/// When an earning for a purchase delivered at `delivered_at` becomes available.
pub fn available_at(delivered_at: DateTime<Utc>, holding_days: u32) -> DateTime<Utc> {
    delivered_at + Duration::days(i64::from(holding_days))
}

/// Moves `earning` from pending to available at `now`: refused before its date, and once
/// it has moved.
pub fn mature(
    balances: &Balances,
    earning: &Earning,
    now: DateTime<Utc>,
) -> Result<Movement, PayoutError> {
    if earning.matured {
        return Err(PayoutError::AlreadyMatured(earning.reference.clone()));
    }
    if now < earning.available_at {
        return Err(PayoutError::NotYetAvailable {
            reference: earning.reference.clone(),
            available_at: earning.available_at,
        });
    }
    let a = positive(earning.amount)?;
    balances.checked(
        Kind::Mature,
        earning.amount.currency,
        &earning.reference,
        &[(Bucket::Pending, -a), (Bucket::Available, a)],
    )
}

/// The ledger reference of a case's charge on a vendor's purchase.
pub fn charge_reference(supplier_order: &str, case_id: &str) -> String {
    format!("{supplier_order}#case:{case_id}")
}

/// Charges the vendor `amount` (a refund or return it accepted on a case): off `available`,
/// which may go negative and carries forward.
pub fn charge(
    balances: &Balances,
    amount: Money,
    reference: &str,
) -> Result<Movement, PayoutError> {
    let c = positive(amount)?;
    balances.checked(
        Kind::Charge,
        amount.currency,
        reference,
        &[(Bucket::Available, -c), (Bucket::Cost, c)],
    )
}

/// Pays `amount` out (the payout `payout_id`): never more than is available.
pub fn pay(balances: &Balances, amount: Money, payout_id: &str) -> Result<Movement, PayoutError> {
    let p = positive(amount)?;
    if amount.currency == balances.currency && p > balances.available {
        return Err(PayoutError::ExceedsAvailable {
            amount,
            available: balances.money(Bucket::Available),
        });
    }
    balances.checked(
        Kind::Payout,
        amount.currency,
        payout_id,
        &[(Bucket::Available, -p), (Bucket::Paid, p)],
    )
}

/// When a vendor is paid without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Only when the vendor asks.
    OnRequest,
    /// Every Monday (UTC).
    Weekly,
    /// On the 1st of every month (UTC).
    Monthly,
}

impl Schedule {
    pub const ALL: [Schedule; 3] = [Schedule::OnRequest, Schedule::Weekly, Schedule::Monthly];

    pub fn as_str(self) -> &'static str {
        match self {
            Schedule::OnRequest => "on_request",
            Schedule::Weekly => "weekly",
            Schedule::Monthly => "monthly",
        }
    }

    pub fn parse(text: &str) -> Option<Schedule> {
        Schedule::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The start of the period `now` is in (Monday 00:00 / the 1st 00:00, UTC); `None` for
    /// on request.
    pub fn period_start(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let midnight =
            |date: chrono::NaiveDate| Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN));
        let today = now.date_naive();
        match self {
            Schedule::OnRequest => None,
            Schedule::Weekly => Some(midnight(
                today - Duration::days(i64::from(today.weekday().num_days_from_monday())),
            )),
            Schedule::Monthly => today.with_day(1).map(midnight),
        }
    }
}

/// A vendor's payout settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub holding_days: u32,
    /// The least a payout may be, in minor units of the purse's currency.
    pub minimum_minor: i64,
    pub schedule: Schedule,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            holding_days: DEFAULT_HOLDING_DAYS,
            minimum_minor: 0,
            schedule: Schedule::OnRequest,
        }
    }
}

impl Settings {
    /// Checks settings a merchant sends; the message names the field.
    pub fn checked(
        holding_days: i64,
        minimum_minor: i64,
        schedule: &str,
    ) -> Result<Settings, String> {
        let holding_days = u32::try_from(holding_days)
            .ok()
            .filter(|d| *d <= MAX_HOLDING_DAYS)
            .ok_or_else(|| format!("holding_days: must be 0 to {MAX_HOLDING_DAYS}"))?;
        if minimum_minor < 0 {
            return Err("minimum: must not be negative".into());
        }
        let schedule = Schedule::parse(schedule).ok_or_else(|| {
            format!(
                "schedule: must be one of {}",
                Schedule::ALL.map(|s| s.as_str()).join(", ")
            )
        })?;
        Ok(Settings {
            holding_days,
            minimum_minor,
            schedule,
        })
    }
}

/// Whether a vendor may ask for `amount` now: more than zero, at least its minimum, at most
/// what is available, and no request of the purse already open.
pub fn check_request(
    balances: &Balances,
    settings: &Settings,
    amount: Money,
    open_request: bool,
) -> Result<(), PayoutError> {
    let a = positive(amount)?;
    if amount.currency != balances.currency {
        return Err(PayoutError::CurrencyMismatch {
            expected: balances.currency.code().to_string(),
            got: amount.currency.code().to_string(),
        });
    }
    if open_request {
        return Err(PayoutError::RequestOpen);
    }
    if a < settings.minimum_minor {
        return Err(PayoutError::BelowMinimum {
            amount,
            minimum: Money::new(settings.minimum_minor, balances.currency),
        });
    }
    if a > balances.available {
        return Err(PayoutError::ExceedsAvailable {
            amount,
            available: balances.money(Bucket::Available),
        });
    }
    Ok(())
}

/// What the schedule asks for at `now`, given when it last made a request for this purse:
/// the whole available balance, once per period, when it reaches the minimum and nothing is
/// open. `None`: nothing to ask for.
pub fn scheduled_due(
    balances: &Balances,
    settings: &Settings,
    last_scheduled: Option<DateTime<Utc>>,
    open_request: bool,
    now: DateTime<Utc>,
) -> Option<Money> {
    let start = settings.schedule.period_start(now)?;
    if last_scheduled.is_some_and(|last| last >= start) {
        return None;
    }
    let amount = Money::new(balances.available, balances.currency);
    check_request(balances, settings, amount, open_request).ok()?;
    Some(amount)
}

/// How a payout was made, as the merchant records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    BankTransfer,
    Paypal,
    Wise,
    Check,
    Cash,
    Other,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::BankTransfer,
        Method::Paypal,
        Method::Wise,
        Method::Check,
        Method::Cash,
        Method::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::BankTransfer => "bank_transfer",
            Method::Paypal => "paypal",
            Method::Wise => "wise",
            Method::Check => "check",
            Method::Cash => "cash",
            Method::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// "bank transfer".
    pub fn words(self) -> String {
        self.as_str().replace('_', " ")
    }
}

/// One line of a statement: an earning that became available (+) or a charge (−).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementItem {
    /// `earning` or `charge`.
    pub kind: ItemKind,
    /// The supplier order (earning) or the charge's ledger reference.
    pub reference: String,
    /// Signed: earnings positive, charges negative.
    pub minor: i64,
    /// When it became available (earning) or was charged.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Earning,
    Charge,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Earning => "earning",
            ItemKind::Charge => "charge",
        }
    }
}

/// What one payout covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Carried forward from the previous payout (negative: charges still to recover).
    pub opening: i64,
    /// Sum of the earnings covered.
    pub earned: i64,
    /// Sum of the charges covered (positive).
    pub charged: i64,
    pub paid: i64,
    /// Carried to the next payout: `opening + earned − charged − paid`.
    pub closing: i64,
    /// Oldest first.
    pub items: Vec<StatementItem>,
}

/// The statement of a payout of `paid` covering `items`, after `opening` was carried
/// forward.
pub fn statement(opening: i64, mut items: Vec<StatementItem>, paid: i64) -> Statement {
    items.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.reference.cmp(&b.reference)));
    let earned: i64 = items
        .iter()
        .filter(|i| i.kind == ItemKind::Earning)
        .map(|i| i.minor)
        .sum();
    let charged: i64 = -items
        .iter()
        .filter(|i| i.kind == ItemKind::Charge)
        .map(|i| i.minor)
        .sum::<i64>();
    Statement {
        opening,
        earned,
        charged,
        paid,
        closing: opening + earned - charged - paid,
        items,
    }
}
