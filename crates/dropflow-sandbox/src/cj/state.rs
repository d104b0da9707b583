//! Everything the sandbox remembers (tokens, orders, balance, stock, the QPS window, webhook
//! deliveries, disputes) behind one mutex, and the rules CJ applies to it: `auth` (tokens, the
//! per-second limit), `shop` (orders, payment, logistics, products), `request` (reading a
//! createOrderV2 body) and `disputes` (after-sale claims and their refunds). Handlers in
//! `routes` parse requests and render envelopes; decisions are made here, so they can be
//! tested without HTTP. The mutex is never held across an
//! `.await`.

use super::catalog::SandboxVariant;
use super::clock::{self, SandboxClock};
use super::disputes::Dispute;
use super::orders::{Order, Progress, Schedule, Status};
use super::tracking::Phase;
use super::CjSandboxConfig;
use crate::faults::FaultSwitch;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// The codes the sandbox answers with: CJ's own list, "Appendix 1: Global Error Codes"
/// (developers.cjdropshipping.com/en/api/api2/standard/ps-code.html). CJ asks clients to go by
/// the code, not the message. Where CJ gives one generic code for several causes (1603000
/// "Order create fail" for a repeated order number, missing stock or a refused address) the
/// message is the sandbox's wording, in CJ's style.
pub mod code {
    pub const SUCCESS: i64 = 200;
    /// "System busy".
    pub const SYSTEM_BUSY: i64 = 1_600_000;
    /// "No permission": the access token (or API key) is invalid.
    pub const INVALID_TOKEN: i64 = 1_600_001;
    /// "CJ-Access-Token not found".
    pub const TOKEN_EMPTY: i64 = 1_600_002;
    /// "Refresh token is failure".
    pub const INVALID_REFRESH_TOKEN: i64 = 1_600_003;
    /// "Call exceeded limit" (the per-second limit).
    pub const TOO_MANY_REQUESTS: i64 = 1_600_200;
    /// "Quota has been used up" (the daily quota; it resets at 00:00 UTC, points.html).
    pub const QUOTA_USED_UP: i64 = 1_600_201;
    /// "Illegal parameter" (getOrderDetail's own table uses it for "orderId must be not empty").
    pub const ILLEGAL_PARAMETER: i64 = 1_600_300;
    /// "Variant not found".
    pub const VARIANT_NOT_FOUND: i64 = 1_602_000;
    /// "Order create fail".
    pub const ORDER_CREATE_FAIL: i64 = 1_603_000;
    /// "Order confirm fail".
    pub const ORDER_CONFIRM_FAIL: i64 = 1_603_001;
    /// "Order delete fail".
    pub const ORDER_DELETE_FAIL: i64 = 1_603_002;
    /// "Order not found, Please check the CJ order id".
    pub const ORDER_NOT_FOUND: i64 = 1_603_100;
    /// "Order pay fail, Please contact CJ Order Center".
    pub const ORDER_PAY_FAIL: i64 = 1_603_101;
    /// "Balance is insufficient".
    pub const BALANCE_INSUFFICIENT: i64 = 1_604_000;
    /// "Logistic not found".
    pub const LOGISTIC_NOT_FOUND: i64 = 1_605_000;
    /// "Order cannot be disputed": not in ps-code.html; what `disputes/create` answered a third
    /// party for an order CJ would not take a dispute on (docs/protocols/after-sale.md §4).
    pub const ORDER_CANNOT_BE_DISPUTED: i64 = 9_009;
}

/// An error answer: CJ's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub code: i64,
    pub message: String,
}

fn refuse<T>(code: i64, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        code,
        message: message.into(),
    })
}

/// How often each auth endpoint was called, and how many calls were refused for their token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthCalls {
    pub get_access_token: u32,
    pub refresh_access_token: u32,
    pub rejected_tokens: u32,
}

/// One sandbox order as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSnapshot {
    pub order_id: String,
    pub order_number: String,
    /// CJ's `orderStatus` now (`CREATED`, `UNSHIPPED`, `SHIPPED`, ...).
    pub status: String,
    pub product_cents: i64,
    pub postage_cents: i64,
    pub total_cents: i64,
    pub logistic_name: String,
    /// Shown once shipped.
    pub track_number: Option<String>,
}

/// One webhook POST the sandbox made (or tried to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub body: Vec<u8>,
    /// The `sign` header: base64 HMAC-SHA256 of the body keyed with the openId as text.
    pub sign: String,
    /// The receiver's HTTP status; `None` when it could not be reached in time.
    pub status: Option<u16>,
    /// 0 for the first try, 1–3 for CJ's retries.
    pub attempt: u32,
}

/// A webhook waiting for its (re)delivery.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub due: DateTime<Utc>,
    pub attempt: u32,
    pub body: Vec<u8>,
}

/// The sandbox's state behind its routes (what its `Sandbox` methods read).
pub struct Shared {
    pub config: CjSandboxConfig,
    pub faults: FaultSwitch,
    pub(crate) clock: SandboxClock,
    inner: Mutex<Inner>,
}

struct Inner {
    access_tokens: HashMap<String, DateTime<Utc>>,
    refresh_tokens: HashMap<String, DateTime<Utc>>,
    last_login: Option<Instant>,
    auth_calls: AuthCalls,
    orders: Vec<Order>,
    by_number: HashMap<String, usize>,
    by_id: HashMap<String, usize>,
    by_shipment: HashMap<String, usize>,
    by_track: HashMap<String, usize>,
    balance_cents: i64,
    variants: HashMap<String, SandboxVariant>,
    window: VecDeque<Instant>,
    /// Calls a UTC day may make (`None` = unlimited), the day being counted and its calls.
    daily_quota: Option<u32>,
    quota_day: Option<chrono::NaiveDate>,
    quota_used: u32,
    deliveries: Vec<WebhookDelivery>,
    pending: Vec<Pending>,
    /// Every dispute, oldest first (`disputes`).
    disputes: Vec<Dispute>,
    /// Whether disputes created from now on will be rejected.
    refuse_disputes: bool,
}

/// Deliveries kept for inspection; older ones are dropped so a long demo stays bounded.
const MAX_DELIVERIES: usize = 10_000;

impl Shared {
    pub(crate) fn new(config: CjSandboxConfig, faults: FaultSwitch) -> Shared {
        let variants = config
            .variants
            .iter()
            .map(|v| (v.vid.clone(), v.clone()))
            .collect();
        Shared {
            clock: SandboxClock::new(config.time_scale),
            inner: Mutex::new(Inner {
                access_tokens: HashMap::new(),
                refresh_tokens: HashMap::new(),
                last_login: None,
                auth_calls: AuthCalls::default(),
                orders: Vec::new(),
                by_number: HashMap::new(),
                by_id: HashMap::new(),
                by_shipment: HashMap::new(),
                by_track: HashMap::new(),
                balance_cents: config.balance_cents,
                variants,
                window: VecDeque::new(),
                daily_quota: config.daily_quota,
                quota_day: None,
                quota_used: 0,
                deliveries: Vec::new(),
                pending: Vec::new(),
                disputes: Vec::new(),
                refuse_disputes: false,
            }),
            config,
            faults,
        }
    }

    /// The state, with every dispute decision that has come due carried out (so a balance
    /// read after a refund sees it); a panic in another request must not take the sandbox
    /// down with it.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        disputes::settle(&mut inner, self.clock.now());
        inner
    }

    fn schedule(&self) -> Schedule {
        Schedule {
            ship_after: clock::chrono(self.config.ship_after),
            deliver_after: clock::chrono(self.config.deliver_after),
        }
    }

    // ---- inspection -------------------------------------------------------------------

    pub(crate) fn orders_with_number(&self, order_number: &str) -> usize {
        self.lock()
            .orders
            .iter()
            .filter(|o| o.order_number == order_number)
            .count()
    }

    pub(crate) fn order_count(&self) -> usize {
        self.lock().orders.len()
    }

    pub(crate) fn snapshot(&self, order_number: &str) -> Option<OrderSnapshot> {
        let inner = self.lock();
        let order = inner
            .by_number
            .get(order_number)
            .and_then(|i| inner.orders.get(*i))?;
        let progress = order.progress(self.clock.now(), self.schedule());
        Some(OrderSnapshot {
            order_id: order.order_id.clone(),
            order_number: order.order_number.clone(),
            status: progress.status.as_str().to_string(),
            product_cents: order.product_cents,
            postage_cents: order.postage_cents,
            total_cents: order.total_cents(),
            logistic_name: order.logistic.name.to_string(),
            track_number: order.visible_track_number(&progress).map(str::to_string),
        })
    }

    // ---- webhooks ---------------------------------------------------------------------

    /// The changes since the last call, marking them announced. When several steps passed
    /// between two looks (a fast clock, a jump), each step is reported in order, as CJ would
    /// have sent a message for each.
    pub(crate) fn take_changes(&self) -> Vec<Change> {
        let mut inner = self.lock();
        let now = self.clock.now();
        let schedule = self.schedule();
        let mut changes = Vec::new();
        for order in &mut inner.orders {
            let progress = order.progress(now, schedule);
            let current = (progress.status, progress.phase);
            if order.notified == Some(current) {
                continue;
            }
            let mut before = order.notified;
            for step in steps(order.initial_status, before, current) {
                let step_progress = Progress {
                    status: step.0,
                    phase: step.1,
                    delivered_at: progress
                        .delivered_at
                        .filter(|_| step.0 == Status::Delivered),
                    ..progress
                };
                changes.push(Change {
                    order: order.clone(),
                    progress: step_progress,
                    status_changed: before.map(|(s, _)| s) != Some(step.0),
                    phase_changed: step.1.is_some() && before.and_then(|(_, p)| p) != step.1,
                    first: before.is_none(),
                    now,
                });
                before = Some(step);
            }
            order.notified = Some(current);
        }
        changes
    }

    pub(crate) fn queue_webhook(&self, pending: Pending) {
        self.lock().pending.push(pending);
    }

    /// Webhooks due for delivery now.
    pub(crate) fn due_webhooks(&self) -> Vec<Pending> {
        let now = self.clock.now();
        let mut inner = self.lock();
        let (due, later): (Vec<_>, Vec<_>) = inner.pending.drain(..).partition(|p| p.due <= now);
        inner.pending = later;
        due
    }

    pub(crate) fn record_delivery(&self, delivery: WebhookDelivery) {
        let mut inner = self.lock();
        if inner.deliveries.len() >= MAX_DELIVERIES {
            inner.deliveries.remove(0);
        }
        inner.deliveries.push(delivery);
    }

    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.lock().deliveries.clone()
    }
}

/// An order whose status or tracking phase changed since it was last announced.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub order: Order,
    pub progress: Progress,
    pub status_changed: bool,
    pub phase_changed: bool,
    pub first: bool,
    pub now: DateTime<Utc>,
}

/// The (status, phase) steps from `before` (exclusive) to `current` (inclusive).
fn steps(
    initial: Status,
    before: Option<(Status, Option<Phase>)>,
    current: (Status, Option<Phase>),
) -> Vec<(Status, Option<Phase>)> {
    const PAID: [(Status, Option<Phase>); 5] = [
        (Status::Unshipped, None),
        (Status::Shipped, Some(Phase::ShippedOut)),
        (Status::Shipped, Some(Phase::InTransit)),
        (Status::Shipped, Some(Phase::OutForDelivery)),
        (Status::Delivered, Some(Phase::Delivered)),
    ];
    let mut path = Vec::new();
    if before.is_none() && initial != current.0 {
        path.push((initial, None));
    }
    match PAID.iter().position(|s| *s == current) {
        Some(end) => {
            let start = before
                .and_then(|b| PAID.iter().position(|s| *s == b))
                .map_or(0, |i| i + 1);
            path.extend(PAID.iter().take(end + 1).skip(start));
        }
        None => path.push(current),
    }
    path
}

pub(crate) fn not_found() -> Refusal {
    Refusal {
        code: code::ORDER_NOT_FOUND,
        message: "Order not found, Please check the CJ order id".to_string(),
    }
}

mod auth;
mod disputes;
mod request;
mod shop;

pub(crate) use shop::PayBy;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod dispute_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
