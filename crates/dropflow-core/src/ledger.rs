//! The merchant wallet as a double-entry ledger. Pure: storage locks the wallet, loads its
//! [`Balances`], asks [`plan`] for the transaction and writes what comes back.
//!
//! One wallet per store and currency, four accounts. The balance of an account is the sum of
//! its postings, and every transaction's postings sum to zero, so the four balances always add
//! up to zero:
//!
//! - `available`: the merchant's money we may spend;
//! - `reserved`: set aside for a placed supplier order, not yet paid;
//! - `spent`: captured, i.e. paid out to suppliers (net of supplier refunds);
//! - `external`: the outside world's side. A top-up moves money from it, so it is the only
//!   account that goes negative (minus everything the merchant ever put in).
//!
//! Movements, with the reference that ties them together (our supplier order id):
//!
//! | kind    | postings                                                    |
//! |---------|-------------------------------------------------------------|
//! | top-up  | external −a, available +a                                   |
//! | reserve | available −a, reserved +a                                   |
//! | capture | reserved −r, spent +c, available +(r−c) (the rest released)  |
//! | release | reserved −r, available +r                                   |
//! | refund  | spent −a, available +a                                      |
//!
//! Why a supplier refund comes out of `spent` and not `external`: it undoes (part of) a capture,
//! so `spent` stays "what suppliers actually kept", and the refund can be bounded by what was
//! captured for that reference: a duplicated or forged refund notice cannot mint money.
//!
//! Idempotency is by reference, and a repeat is *rejected* ([`LedgerError::Duplicate`]), not
//! silently accepted: a second reserve for the same supplier order means two placements raced,
//! which is exactly the "bought twice" we must surface. Each reference is reserved at most
//! once, then settled (captured or released) at most once, then refunded at most once. A
//! supplier order that is placed again after a release carries a new reference (the attempt).
//! A top-up may carry a reference too ([`top_up_for`]: a card payment's session), and is then
//! posted at most once for it.
//! Storage backs this with a unique key on (store, kind, reference).
//!
//! A manual vendor's earnings and payouts are postings in the same tables, on the vendor's
//! own accounts (`vendor:<handle>:…`), with their own kinds and rules: [`crate::payouts`].

use crate::money::Money;
use crate::reference::currency::Currency;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[cfg(test)]
mod tests;

/// One of a wallet's four accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    Available,
    Reserved,
    Spent,
    External,
}

impl Account {
    pub const ALL: [Account; 4] = [
        Account::Available,
        Account::Reserved,
        Account::Spent,
        Account::External,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Account::Available => "available",
            Account::Reserved => "reserved",
            Account::Spent => "spent",
            Account::External => "external",
        }
    }

    pub fn parse(text: &str) -> Option<Account> {
        Account::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// What a transaction does; each kind may only touch its own accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    TopUp,
    Reserve,
    Capture,
    Release,
    Refund,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::TopUp,
        Kind::Reserve,
        Kind::Capture,
        Kind::Release,
        Kind::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TopUp => "top_up",
            Kind::Reserve => "reserve",
            Kind::Capture => "capture",
            Kind::Release => "release",
            Kind::Refund => "refund",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The accounts a transaction of this kind may post to: a "top-up" that moved reserved
    /// money would balance, yet be nonsense.
    pub fn accounts(self) -> &'static [Account] {
        match self {
            Kind::TopUp => &[Account::External, Account::Available],
            Kind::Reserve => &[Account::Available, Account::Reserved],
            Kind::Capture => &[Account::Reserved, Account::Spent, Account::Available],
            Kind::Release => &[Account::Reserved, Account::Available],
            Kind::Refund => &[Account::Spent, Account::Available],
        }
    }

    /// Whether the kind needs a reference (everything but a top-up is about one supplier order).
    pub fn needs_reference(self) -> bool {
        !matches!(self, Kind::TopUp)
    }
}

/// One line of a transaction: a signed amount on one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub account: Account,
    pub amount: Money,
}

/// A balanced movement between a wallet's accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub kind: Kind,
    pub currency: Currency,
    /// The supplier order (or attempt) this is about; optional only for top-ups.
    pub reference: Option<String>,
    /// At most one posting per account; zero amounts are left out.
    pub postings: Vec<Posting>,
}

impl Transaction {
    fn new(
        kind: Kind,
        currency: Currency,
        reference: Option<String>,
        lines: &[(Account, i64)],
    ) -> Self {
        Transaction {
            kind,
            currency,
            reference,
            postings: lines
                .iter()
                .filter(|(_, minor)| *minor != 0)
                .map(|&(account, minor)| Posting {
                    account,
                    amount: Money::new(minor, currency),
                })
                .collect(),
        }
    }

    /// The signed amount this transaction posts to `account` (0 if none).
    pub fn amount_on(&self, account: Account) -> i64 {
        self.postings
            .iter()
            .filter(|p| p.account == account)
            .map(|p| p.amount.minor)
            .sum()
    }

    /// The shape rules that need no balances: one currency, postings summing to zero, only the
    /// kind's accounts, each at most once, a reference where the kind needs one.
    pub fn check_shape(&self) -> Result<(), LedgerError> {
        let mut sum: i128 = 0;
        let mut seen = BTreeSet::new();
        for posting in &self.postings {
            if posting.amount.currency != self.currency {
                return Err(LedgerError::CurrencyMismatch {
                    expected: self.currency.code().to_string(),
                    got: posting.amount.currency.code().to_string(),
                });
            }
            if !self.kind.accounts().contains(&posting.account) || !seen.insert(posting.account) {
                return Err(LedgerError::BadPosting {
                    kind: self.kind,
                    account: posting.account,
                });
            }
            sum += i128::from(posting.amount.minor);
        }
        if sum != 0 {
            return Err(LedgerError::Unbalanced { sum });
        }
        match &self.reference {
            None if self.kind.needs_reference() => Err(LedgerError::MissingReference(self.kind)),
            Some(r) if r.trim().is_empty() => Err(LedgerError::MissingReference(self.kind)),
            _ => Ok(()),
        }
    }
}

/// Why the ledger refuses a movement. Nothing is written when it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("amount {0} must be more than zero")]
    NotPositive(Money),
    #[error("insufficient balance: {needed} needed, {available} available")]
    InsufficientFunds { needed: Money, available: Money },
    #[error("a {} for reference {reference:?} was already posted", .kind.as_str())]
    Duplicate { kind: Kind, reference: String },
    #[error("nothing is reserved for reference {0:?}")]
    NothingReserved(String),
    #[error("the reserve for reference {0:?} was already captured or released")]
    AlreadySettled(String),
    #[error("capture of {amount} is more than the {reserved} reserved")]
    CaptureExceedsReserve { amount: Money, reserved: Money },
    #[error("refund of {amount} is more than the {captured} captured")]
    RefundExceedsCapture { amount: Money, captured: Money },
    #[error("wallet is in {expected}, not {got}")]
    CurrencyMismatch { expected: String, got: String },
    #[error("a {} may not post to {}", .kind.as_str(), .account.as_str())]
    BadPosting { kind: Kind, account: Account },
    #[error("postings sum to {sum}, not zero")]
    Unbalanced { sum: i128 },
    #[error("a {} needs a reference", .0.as_str())]
    MissingReference(Kind),
    #[error("{} would go negative", .0.as_str())]
    WouldGoNegative(Account),
    #[error("amount overflows")]
    Overflow,
}

/// What the ledger knows about one reference: which kinds were posted for it, how much is
/// still reserved for it, and how much was captured for it net of refunds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferenceState {
    pub posted: BTreeSet<Kind>,
    /// Reserved and not yet captured or released.
    pub open: i64,
    /// Captured, less what was refunded.
    pub captured: i64,
}

impl ReferenceState {
    /// Folds one of the reference's transactions in. Storage uses this to rebuild the state
    /// of just the reference it is about to post for.
    pub fn record(&mut self, tx: &Transaction) {
        self.posted.insert(tx.kind);
        self.open = self.open.saturating_add(tx.amount_on(Account::Reserved));
        self.captured = self.captured.saturating_add(tx.amount_on(Account::Spent));
    }

    /// Folds in a refund posted for a part of this reference: only the amount counts (the
    /// part has its own reference, so this one's own refund stays available).
    pub fn record_part(&mut self, tx: &Transaction) {
        self.captured = self.captured.saturating_add(tx.amount_on(Account::Spent));
    }

    fn settled(&self) -> bool {
        self.posted.contains(&Kind::Capture) || self.posted.contains(&Kind::Release)
    }
}

/// A wallet's balances, and the state of the references the next movement may be about.
///
/// `references` need not be complete: every rule looks only at the transaction's own
/// reference, so storage loads just that one instead of the wallet's whole history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balances {
    pub currency: Currency,
    pub available: i64,
    pub reserved: i64,
    pub spent: i64,
    pub external: i64,
    pub references: BTreeMap<String, ReferenceState>,
}

impl Balances {
    /// An empty wallet.
    pub fn new(currency: Currency) -> Balances {
        Balances {
            currency,
            available: 0,
            reserved: 0,
            spent: 0,
            external: 0,
            references: BTreeMap::new(),
        }
    }

    pub fn get(&self, account: Account) -> i64 {
        match account {
            Account::Available => self.available,
            Account::Reserved => self.reserved,
            Account::Spent => self.spent,
            Account::External => self.external,
        }
    }

    fn slot(&mut self, account: Account) -> &mut i64 {
        match account {
            Account::Available => &mut self.available,
            Account::Reserved => &mut self.reserved,
            Account::Spent => &mut self.spent,
            Account::External => &mut self.external,
        }
    }

    /// The sum over all four accounts; zero in every reachable state.
    pub fn total(&self) -> i128 {
        Account::ALL.iter().map(|&a| i128::from(self.get(a))).sum()
    }

    pub fn money(&self, account: Account) -> Money {
        Money::new(self.get(account), self.currency)
    }

    /// The state of one reference (empty if the ledger has never seen it).
    pub fn reference(&self, reference: &str) -> ReferenceState {
        self.references.get(reference).cloned().unwrap_or_default()
    }

    /// Every rule a transaction must pass against these balances. The one gate: the builders
    /// below call it too, so a hand-made transaction cannot get past rules a built one obeys.
    /// A transaction posted under `reference`, checked against these balances.
    fn checked(
        &self,
        kind: Kind,
        currency: Currency,
        reference: &str,
        lines: &[(Account, i64)],
    ) -> Result<Transaction, LedgerError> {
        let tx = Transaction::new(kind, currency, Some(reference.to_string()), lines);
        self.check(&tx)?;
        Ok(tx)
    }

    pub fn check(&self, tx: &Transaction) -> Result<(), LedgerError> {
        tx.check_shape()?;
        if tx.currency != self.currency {
            return Err(LedgerError::CurrencyMismatch {
                expected: self.currency.code().to_string(),
                got: tx.currency.code().to_string(),
            });
        }
        for account in Account::ALL {
            let after = self
                .get(account)
                .checked_add(tx.amount_on(account))
                .ok_or(LedgerError::Overflow)?;
            if after < 0 && account != Account::External {
                return Err(LedgerError::WouldGoNegative(account));
            }
        }
        let Some(reference) = &tx.reference else {
            return Ok(());
        };
        let state = self.reference(reference);
        if state.posted.contains(&tx.kind) {
            return Err(LedgerError::Duplicate {
                kind: tx.kind,
                reference: reference.clone(),
            });
        }
        let open_after = state.open + tx.amount_on(Account::Reserved);
        match tx.kind {
            Kind::TopUp | Kind::Reserve => Ok(()),
            Kind::Capture | Kind::Release => {
                if !state.posted.contains(&Kind::Reserve) {
                    Err(LedgerError::NothingReserved(reference.clone()))
                } else if state.settled() {
                    Err(LedgerError::AlreadySettled(reference.clone()))
                } else if open_after != 0 {
                    // A settlement clears the whole reserve: what is not captured goes back.
                    Err(LedgerError::Unbalanced {
                        sum: i128::from(open_after),
                    })
                } else {
                    Ok(())
                }
            }
            Kind::Refund => {
                // A part's refund is bounded by the purchase it is part of.
                let bound = self.reference(captured_reference(reference));
                let captured_after = bound.captured + tx.amount_on(Account::Spent);
                if !bound.posted.contains(&Kind::Capture) || captured_after < 0 {
                    Err(LedgerError::RefundExceedsCapture {
                        amount: Money::new(-tx.amount_on(Account::Spent), self.currency),
                        captured: Money::new(bound.captured, self.currency),
                    })
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Applies `tx` after [`Balances::check`]; on an error nothing changes.
    pub fn apply(&mut self, tx: &Transaction) -> Result<(), LedgerError> {
        self.check(tx)?;
        for posting in &tx.postings {
            *self.slot(posting.account) += posting.amount.minor;
        }
        if let Some(reference) = &tx.reference {
            self.references
                .entry(reference.clone())
                .or_default()
                .record(tx);
            let captured = captured_reference(reference);
            if captured != reference {
                // A part's refund lowers what is left to refund of the whole purchase.
                self.references
                    .entry(captured.to_string())
                    .or_default()
                    .record_part(tx);
            }
        }
        Ok(())
    }
}

fn positive(amount: Money) -> Result<i64, LedgerError> {
    if amount.minor > 0 {
        Ok(amount.minor)
    } else {
        Err(LedgerError::NotPositive(amount))
    }
}

/// Money coming in from outside (a card or bank payment into the wallet).
pub fn top_up(amount: Money) -> Result<Transaction, LedgerError> {
    let a = positive(amount)?;
    Ok(Transaction::new(
        Kind::TopUp,
        amount.currency,
        None,
        &[(Account::External, -a), (Account::Available, a)],
    ))
}

/// Money coming in from outside under a reference of its own (a card payment's session, say
/// `stripe:cs_…`): the ledger refuses a second top-up for the same reference
/// ([`LedgerError::Duplicate`]), so one payment can credit the wallet at most once, however
/// often its notice is delivered.
pub fn top_up_for(
    balances: &Balances,
    amount: Money,
    reference: &str,
) -> Result<Transaction, LedgerError> {
    let a = positive(amount)?;
    balances.checked(
        Kind::TopUp,
        amount.currency,
        reference,
        &[(Account::External, -a), (Account::Available, a)],
    )
}

/// Sets `amount` aside for the supplier order `reference` (done while placing it).
pub fn reserve(
    balances: &Balances,
    amount: Money,
    reference: &str,
) -> Result<Transaction, LedgerError> {
    let a = positive(amount)?;
    if amount.currency == balances.currency && balances.available < a {
        return Err(LedgerError::InsufficientFunds {
            needed: amount,
            available: balances.money(Account::Available),
        });
    }
    balances.checked(
        Kind::Reserve,
        amount.currency,
        reference,
        &[(Account::Available, -a), (Account::Reserved, a)],
    )
}

/// Pays `amount` of what was reserved for `reference`; the rest of the reserve goes back to
/// `available` in the same transaction (a supplier may charge less than we set aside).
pub fn capture(
    balances: &Balances,
    reference: &str,
    amount: Money,
) -> Result<Transaction, LedgerError> {
    let c = positive(amount)?;
    let state = open_reserve(balances, reference)?;
    if c > state.open {
        return Err(LedgerError::CaptureExceedsReserve {
            amount,
            reserved: Money::new(state.open, balances.currency),
        });
    }
    balances.checked(
        Kind::Capture,
        amount.currency,
        reference,
        &[
            (Account::Reserved, -state.open),
            (Account::Spent, c),
            (Account::Available, state.open - c),
        ],
    )
}

/// Gives the whole reserve for `reference` back (the order was cancelled or failed).
pub fn release(balances: &Balances, reference: &str) -> Result<Transaction, LedgerError> {
    let state = open_reserve(balances, reference)?;
    balances.checked(
        Kind::Release,
        balances.currency,
        reference,
        &[
            (Account::Reserved, -state.open),
            (Account::Available, state.open),
        ],
    )
}

/// Separates a captured reference from the part a partial refund is for:
/// `<captured reference>#<part>` (e.g. one returned item of a purchase).
pub const PART_SEPARATOR: char = '#';

/// The reference whose capture bounds a refund posted under `reference`: itself, or for a
/// part (`<captured>#<part>`) the captured reference before the separator.
///
/// Why parts: a reference is refunded at most once, yet one purchase may be refunded item by
/// item (an item returned after inspection, another later). Each part is its own reference,
/// so it is posted at most once; together they never exceed what the purchase captured.
pub fn captured_reference(reference: &str) -> &str {
    reference
        .split_once(PART_SEPARATOR)
        .map_or(reference, |(captured, _)| captured)
}

/// A supplier's refund for `reference`, credited back to `available` out of `spent`: at most
/// what was captured for it (net of earlier refunds, parts included), once.
pub fn refund(
    balances: &Balances,
    amount: Money,
    reference: &str,
) -> Result<Transaction, LedgerError> {
    let a = positive(amount)?;
    let state = balances.reference(captured_reference(reference));
    if !state.posted.contains(&Kind::Capture) || a > state.captured {
        return Err(LedgerError::RefundExceedsCapture {
            amount,
            captured: Money::new(state.captured, balances.currency),
        });
    }
    balances.checked(
        Kind::Refund,
        amount.currency,
        reference,
        &[(Account::Spent, -a), (Account::Available, a)],
    )
}

fn open_reserve(balances: &Balances, reference: &str) -> Result<ReferenceState, LedgerError> {
    let state = balances.reference(reference);
    if !state.posted.contains(&Kind::Reserve) {
        return Err(LedgerError::NothingReserved(reference.to_string()));
    }
    if state.settled() {
        return Err(LedgerError::AlreadySettled(reference.to_string()));
    }
    Ok(state)
}

/// A movement asked for, before it is checked against the balances. Storage takes one of
/// these rather than a ready-made [`Transaction`] so that the transaction is built from the
/// balances read *under the wallet lock*: a reserve planned from stale balances could
/// overdraw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    TopUp {
        amount: Money,
    },
    /// A top-up posted at most once for `reference` ([`top_up_for`]).
    TopUpFor {
        amount: Money,
        reference: String,
    },
    Reserve {
        amount: Money,
        reference: String,
    },
    Capture {
        amount: Money,
        reference: String,
    },
    Release {
        currency: Currency,
        reference: String,
    },
    Refund {
        amount: Money,
        reference: String,
    },
}

impl Operation {
    /// The wallet (currency) this operation is about.
    pub fn currency(&self) -> Currency {
        match self {
            Operation::TopUp { amount }
            | Operation::TopUpFor { amount, .. }
            | Operation::Reserve { amount, .. }
            | Operation::Capture { amount, .. }
            | Operation::Refund { amount, .. } => amount.currency,
            Operation::Release { currency, .. } => *currency,
        }
    }

    /// The reference whose state [`plan`] needs, if any.
    pub fn reference(&self) -> Option<&str> {
        match self {
            Operation::TopUp { .. } => None,
            Operation::TopUpFor { reference, .. }
            | Operation::Reserve { reference, .. }
            | Operation::Capture { reference, .. }
            | Operation::Release { reference, .. }
            | Operation::Refund { reference, .. } => Some(reference),
        }
    }
}

/// The checked transaction for `operation` against `balances`.
pub fn plan(balances: &Balances, operation: &Operation) -> Result<Transaction, LedgerError> {
    let tx = match operation {
        Operation::TopUp { amount } => top_up(*amount)?,
        Operation::TopUpFor { amount, reference } => top_up_for(balances, *amount, reference)?,
        Operation::Reserve { amount, reference } => reserve(balances, *amount, reference)?,
        Operation::Capture { amount, reference } => capture(balances, reference, *amount)?,
        Operation::Release { reference, .. } => release(balances, reference)?,
        Operation::Refund { amount, reference } => refund(balances, *amount, reference)?,
    };
    balances.check(&tx)?;
    Ok(tx)
}
