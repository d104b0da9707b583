//! E-mail notifications: which order events call for which mails ([`notifications_for`], a
//! pure function), the mails' words ([`templates`]), a durable outbox written in the caller's
//! transaction with an `outbox.send` job ([`enqueue`], [`outbox`]), and the ways out
//! ([`transport`]: SMTP through lettre, or `.eml` files in a folder when no SMTP server is
//! configured, so `serve` and the demo need nothing).
//!
//! A mail server that is down delays mail, never loses it: the outbox row stays `queued` and
//! its job retries with the queue's backoff. A server that refuses a mail for good (a 5xx
//! reply) fails it visibly (`failed`, with the reply, and the job kept failed and retryable).
//! Mails hold personal data (addresses, names); logs carry only outbox ids, kinds and order
//! ids.
//!
//! Wiring (the process does this, not this module): `notify::register(&mut registry,
//! db.clone(), Notifier::from_config(&config.notify)?)` next to the other job handlers, and
//! where order events are recorded, `notify::enqueue(tx, &notify::notifications_for(&event,
//! &ctx))` in the same transaction.

/// The customer's mails about after-sale cases.
pub mod case_mails;
/// The `outbox` table and the `outbox.send` job handler.
pub mod outbox;
/// Where returned goods go, by rule.
pub mod return_address;
/// The mails' words: text and HTML templates.
pub mod templates;
/// Where mails go: SMTP (lettre) or `.eml` files.
pub mod transport;
/// A manual vendor's mail when a payout is sent.
pub mod vendor_payout;

use crate::jobs::Registry;
use crate::storage::{Database, Tx};
use dropflow_core::event::OrderEvent;
use dropflow_core::hold::{HoldOrigin, HoldReason};
use dropflow_core::ids::OrderId;
pub use dropflow_core::mail::{Audience, MailKind};
use dropflow_core::money::Money;
use dropflow_core::procurement::{Procurement, SupplierOrderStatus};
use dropflow_core::routing::{LineFailure, RouteFailure};
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::warehouse::stage::{WarehouseEvent, WarehouseStage};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use templates::{
    ArrivedInspected, Delivered, LineSummary, MailBody, NeedsAttention, NewOrder, PaymentFailed,
    ReadyToShip, Shipped, SupplierShipped, TrackingInfo, VendorChange, VendorLine, VendorOrder,
};
pub use transport::{Notifier, SendError};

/// The job kind that delivers one outbox row.
pub const SEND_JOB: &str = dropflow_core::jobs::SEND_MAIL;

/// One mail to send: who to, about which order, and what it says (rendered by [`enqueue`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    pub order_id: Option<OrderId>,
    pub to: String,
    pub body: MailBody,
}

impl Mail {
    pub fn kind(&self) -> MailKind {
        self.body.kind()
    }
}

// The address and the body are personal data.
impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("order_id", &self.order_id)
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

/// What [`notifications_for`] needs to know about the order beyond the event itself. The
/// caller reads it in the same transaction as the event.
#[derive(Clone, Default)]
pub struct MailContext {
    pub order_id: Option<OrderId>,
    /// The order's store (whose mail choices apply).
    pub store_id: Option<dropflow_core::ids::StoreId>,
    /// The store's name for the order (`#1001`): every subject says it.
    pub order_name: String,
    /// The store's name or domain, as the customer knows it.
    pub store: String,
    /// Where merchant mails go (`[notify] merchant_email`); none: no merchant mails.
    pub merchant_email: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    /// Whether dropflow mails the customer itself (off when the store already does).
    pub notify_customer: bool,
    /// The order's lines, for the new-order mail.
    pub lines: Vec<LineSummary>,
    /// The order's total, for the new-order mail.
    pub total: Option<Money>,
    /// For a failed payment: what the supplier order costs.
    pub amount_due: Option<Money>,
    /// The parcel's tracking page when the caller knows a better one than the courier's.
    pub tracking_url: Option<String>,
    /// For a parcel repacked at the warehouse: the carriers offered, cheapest first.
    pub fee_options: Vec<templates::FeeOption>,
    /// For an order handed to a manual vendor: who hears of it and what they ship where.
    /// The parcel a warehouse note is about (the seller's domestic parcel to the warehouse,
    /// or the warehouse's international parcel to the customer), when there is one.
    pub warehouse_parcel: Option<TrackingInfo>,
    pub vendor: Option<VendorHandover>,
    /// For a case's step: the case as its mails need it.
    pub case: Option<case_mails::CaseFacts>,
}

/// A supplier order handed to a manual vendor, as the vendor's mail needs it.
#[derive(Clone, Default)]
pub struct VendorHandover {
    /// The vendor's users (role `vendor` with this vendor handle, in the store's account).
    pub emails: Vec<String>,
    /// It goes straight to the customer under the merchant's store.
    pub dropship: bool,
    /// Only the items of this vendor's supplier orders.
    pub lines: Vec<VendorLine>,
    pub ship_to: Vec<String>,
}

// Addresses and names are personal data.
impl std::fmt::Debug for MailContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailContext")
            .field("order_id", &self.order_id)
            .field("notify_customer", &self.notify_customer)
            .finish_non_exhaustive()
    }
}

/// The mails one timeline event calls for (often none). Pure: no IO, no clock.
///
/// - `Received` → new order (merchant);
/// - `TrackingAdded` → supplier shipped (merchant), and shipped (customer) unless the number
///   fails its check digit (a typo would send the customer to someone else's parcel);
/// - `TrackingChanged` to delivered → delivered (customer);
/// - the warehouse leg reaching `inspected` → arrived and inspected (merchant); the parcel
///   repacked (`WarehouseNote` "packed") → ready for international shipping, with the fee
///   options (merchant);
/// - a supplier order handed to a manual vendor (`SupplierOrderChanged` of `manual:<vendor>`
///   to awaiting shipment) → the order to fulfil, with their lines and the address (vendor);
/// - a case's step (`Case`) → the customer's case mails ([`case_mails`]);
/// - `PaymentFailed` → payment failed with the amount (merchant);
/// - `HoldPlaced` by the system (except waiting for the customer's payment), `RoutingFailed`,
///   procurement turning `Failed`, `StorePushFailed` → needs attention (merchant).
///
/// Customer mails only when `ctx.notify_customer` and the customer's address is known;
/// merchant mails only when `ctx.merchant_email` is set.
pub fn notifications_for(event: &OrderEvent, ctx: &MailContext) -> Vec<Mail> {
    let order_name = ctx.order_name.clone();
    let mut mails = Vec::new();
    let mut to_merchant = |body: MailBody| {
        if let Some(to) = &ctx.merchant_email {
            mails.push(Mail {
                order_id: ctx.order_id,
                to: to.clone(),
                body,
            });
        }
    };
    let attention = |reason: String| {
        MailBody::NeedsAttention(NeedsAttention {
            order_name: order_name.clone(),
            reason,
        })
    };
    match event {
        OrderEvent::Received { .. } => to_merchant(MailBody::NewOrder(NewOrder {
            order_name: order_name.clone(),
            store: ctx.store.clone(),
            customer_name: ctx.customer_name.clone(),
            lines: ctx.lines.clone(),
            total: ctx.total.map(|t| t.to_string()),
        })),
        OrderEvent::TrackingAdded {
            supplier,
            number,
            carrier,
            check,
        } => {
            let tracking = tracking_info(number, carrier.as_deref(), ctx.tracking_url.as_deref());
            to_merchant(MailBody::SupplierShipped(SupplierShipped {
                order_name: order_name.clone(),
                supplier: supplier.clone(),
                tracking: tracking.clone(),
            }));
            if check != "invalid" {
                mails.extend(to_customer(ctx, shipped(ctx, tracking)));
            }
        }
        OrderEvent::TrackingChanged {
            number,
            status: ShipmentStatus::Delivered,
        } => mails.extend(to_customer(ctx, delivered(ctx, Some(number.clone())))),
        OrderEvent::PaymentFailed { supplier, detail } => {
            to_merchant(MailBody::PaymentFailed(PaymentFailed {
                order_name: order_name.clone(),
                supplier: supplier.clone(),
                amount: ctx.amount_due.map(|a| a.to_string()),
                insufficient_balance: detail.to_ascii_lowercase().contains("insufficient"),
                reason: detail.clone(),
            }))
        }
        OrderEvent::HoldPlaced {
            reason,
            detail,
            origin: HoldOrigin::System,
        } if *reason != HoldReason::AwaitingPayment => to_merchant(attention(format!(
            "On hold ({}): {detail}",
            reason.as_str().replace('_', " ")
        ))),
        OrderEvent::RoutingFailed { failures } => to_merchant(attention(format!(
            "Some lines could not be routed to a supplier: {}.",
            failures
                .iter()
                .map(describe_failure)
                .collect::<Vec<_>>()
                .join("; ")
        ))),
        OrderEvent::ProcurementChanged {
            to: Procurement::Failed,
            ..
        } => to_merchant(attention(
            "A supplier refused or failed the purchase; choose another supplier or retry.".into(),
        )),
        OrderEvent::StorePushFailed { number, detail } => to_merchant(attention(format!(
            "Tracking {number} could not be written back to the store: {detail}"
        ))),
        // The SLA checks (`events::attention`) raise it with the reason already in words.
        OrderEvent::NeedsAttention { reason } => to_merchant(attention(reason.clone())),
        OrderEvent::Warehouse {
            event:
                WarehouseEvent::StageChanged {
                    to: WarehouseStage::Inspected,
                    ..
                },
        } => to_merchant(MailBody::ArrivedInspected(ArrivedInspected {
            order_name: order_name.clone(),
            lines: ctx.lines.clone(),
        })),
        OrderEvent::SupplierOrderChanged {
            supplier,
            status: SupplierOrderStatus::AwaitingShipment,
            ..
        } if supplier.starts_with("manual:") => {
            if let Some(handover) = &ctx.vendor {
                let body = MailBody::VendorOrder(VendorOrder {
                    order_name: order_name.clone(),
                    store: ctx.store.clone(),
                    dropship: handover.dropship,
                    lines: handover.lines.clone(),
                    ship_to: handover.ship_to.clone(),
                });
                mails.extend(to_vendor(ctx, handover, body));
            }
        }
        OrderEvent::FlagRaised {
            detail,
            supplier: Some(supplier),
            ..
        } if supplier.starts_with("manual:") => {
            if let Some(handover) = &ctx.vendor {
                let lines: Vec<LineSummary> = handover
                    .lines
                    .iter()
                    .map(|l| LineSummary {
                        title: l.title.clone(),
                        quantity: l.quantity,
                    })
                    .collect();
                let body = MailBody::VendorChange(VendorChange {
                    order_name: order_name.clone(),
                    store: ctx.store.clone(),
                    what: detail.clone(),
                    lines,
                    ship_to: handover.ship_to.clone(),
                });
                mails.extend(to_vendor(ctx, handover, body));
            }
        }
        // Every stage tells the merchant (seed 000): the seller's parcel on its way to the
        // warehouse, with its domestic tracking …
        OrderEvent::WarehouseNote { topic, detail } if topic == "shipped_to_warehouse" => {
            to_merchant(MailBody::SupplierShipped(SupplierShipped {
                order_name: order_name.clone(),
                supplier: "The seller (to the warehouse)".into(),
                tracking: warehouse_tracking(ctx, detail),
            }))
        }
        // … and the warehouse's parcel to the customer, with its international tracking; the
        // customer hears of it from dropflow when the merchant lets dropflow mail customers.
        OrderEvent::WarehouseNote { topic, detail } if topic == "dispatched" => {
            let tracking = warehouse_tracking(ctx, detail);
            to_merchant(MailBody::SupplierShipped(SupplierShipped {
                order_name: order_name.clone(),
                supplier: "The warehouse".into(),
                tracking: tracking.clone(),
            }));
            mails.extend(to_customer(ctx, shipped(ctx, tracking)));
        }
        // A vendor marks their parcel delivered (no carrier tracking tells us): the customer
        // gets the delivered mail as they would from a carrier.
        OrderEvent::SupplierOrderChanged {
            supplier,
            status: SupplierOrderStatus::Delivered,
            ..
        } if supplier.starts_with("manual:") => {
            let number = ctx.warehouse_parcel.as_ref().map(|t| t.number.clone());
            mails.extend(to_customer(ctx, delivered(ctx, number)))
        }
        OrderEvent::WarehouseNote { topic, detail } if topic == "packed" => {
            to_merchant(MailBody::ReadyToShip(ReadyToShip {
                order_name: order_name.clone(),
                packing: detail.clone(),
                options: ctx.fee_options.clone(),
            }))
        }
        OrderEvent::Case { step, detail, .. } => {
            if let Some(body) = case_mails::body_for(step, detail, ctx) {
                mails.extend(to_customer(ctx, body));
            }
        }
        _ => {}
    }
    mails
}

/// A mail for a "needs attention" flag raised outside the timeline (the SLA checks of
/// issue 5 item 6): to the merchant, when an address is set.
pub fn needs_attention(ctx: &MailContext, reason: &str) -> Option<Mail> {
    let to = ctx.merchant_email.clone()?;
    Some(Mail {
        order_id: ctx.order_id,
        to,
        body: MailBody::NeedsAttention(NeedsAttention {
            order_name: ctx.order_name.clone(),
            reason: reason.to_string(),
        }),
    })
}

/// The customer's mail that the order is on its way, with `tracking`.
fn shipped(ctx: &MailContext, tracking: TrackingInfo) -> MailBody {
    MailBody::Shipped(Shipped {
        order_name: ctx.order_name.clone(),
        store: ctx.store.clone(),
        customer_name: ctx.customer_name.clone(),
        tracking,
    })
}

/// The customer's mail that the order arrived (the parcel's number, when one is known).
fn delivered(ctx: &MailContext, tracking_number: Option<String>) -> MailBody {
    MailBody::Delivered(Delivered {
        order_name: ctx.order_name.clone(),
        store: ctx.store.clone(),
        customer_name: ctx.customer_name.clone(),
        tracking_number,
    })
}

/// `body` to each of the vendor's users.
fn to_vendor<'a>(
    ctx: &'a MailContext,
    handover: &'a VendorHandover,
    body: MailBody,
) -> impl Iterator<Item = Mail> + 'a {
    handover.emails.iter().map(move |to| Mail {
        order_id: ctx.order_id,
        to: to.clone(),
        body: body.clone(),
    })
}

fn to_customer(ctx: &MailContext, body: MailBody) -> Option<Mail> {
    if !ctx.notify_customer {
        return None;
    }
    let to = ctx.customer_email.clone()?;
    Some(Mail {
        order_id: ctx.order_id,
        to,
        body,
    })
}

/// The warehouse parcel's tracking for a mail: the recorded parcel, or (not found) the
/// note's own words as the number, so the mail still says what happened.
fn warehouse_tracking(ctx: &MailContext, detail: &str) -> TrackingInfo {
    match &ctx.warehouse_parcel {
        Some(parcel) => tracking_info(
            &parcel.number,
            parcel.carrier.as_deref(),
            parcel.url.as_deref(),
        ),
        None => TrackingInfo {
            number: detail.to_string(),
            carrier: None,
            url: None,
        },
    }
}

/// The number, the carrier (reported, or recognised from the number) and a page to follow
/// it: the caller's, the courier's own, or 17TRACK's, which follows any carrier.
pub(crate) fn tracking_info(
    number: &str,
    carrier: Option<&str>,
    url: Option<&str>,
) -> TrackingInfo {
    let (_, courier, courier_url) = dropflow_core::tracking::check_number(number);
    let carrier = carrier
        .map(str::to_string)
        .or_else(|| courier.map(str::to_string));
    let url = url.map(str::to_string).or(courier_url).unwrap_or_else(|| {
        let encoded: String = number
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        format!("https://t.17track.net/en#nums={encoded}")
    });
    TrackingInfo {
        number: number.to_string(),
        carrier,
        url: Some(url),
    }
}

fn describe_failure(failure: &LineFailure) -> String {
    let line = failure.line_position + 1;
    match &failure.reason {
        RouteFailure::NoMapping { sku, .. } => match sku {
            Some(sku) => format!("line {line} ({sku}) has no product mapping"),
            None => format!("line {line} has no product mapping"),
        },
        RouteFailure::NoOffers { .. } => format!("line {line} has no supplier offer"),
        RouteFailure::NotShippedTo { country, .. } => match country {
            Some(country) => format!("no offer for line {line} ships to {country}"),
            None => format!("no offer for line {line} ships to the address"),
        },
        RouteFailure::OutOfStock { needed, .. } => {
            format!("line {line} is out of stock ({needed} needed)")
        }
        RouteFailure::NoExchangeRate { from, to, .. } => format!(
            "line {line}: offers priced in {from} cannot be compared without an exchange \
             rate from {from} to {to}; add one in the exchange rates, then retry"
        ),
    }
}

/// Errors of [`enqueue`].
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("could not render the {kind} mail: {source}")]
    Render {
        kind: &'static str,
        source: askama::Error,
    },
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

/// Renders `mails` and writes each as an outbox row with its `outbox.send` job, inside the
/// caller's transaction: the mails exist if and only if the change that called for them
/// does. The new rows' ids.
pub async fn enqueue(tx: &mut Tx<'_>, mails: &[Mail]) -> Result<Vec<i64>, NotifyError> {
    let mut ids = Vec::with_capacity(mails.len());
    for mail in mails {
        let rendered = mail.body.render().map_err(|source| NotifyError::Render {
            kind: mail.kind().as_str(),
            source,
        })?;
        ids.push(outbox::insert(tx, mail.order_id, &mail.to, mail.kind(), &rendered).await?);
    }
    Ok(ids)
}

/// Registers the `outbox.send` handler, which delivers through `notifier`.
pub fn register(registry: &mut Registry, db: Database, notifier: Notifier) {
    let notifier = std::sync::Arc::new(notifier);
    registry.register(SEND_JOB, move |job| {
        let db = db.clone();
        let notifier = notifier.clone();
        async move { outbox::send_job(&db, &notifier, job).await }
    });
}

/// `[notify]`: where mails go. No `smtp_url`: each mail is written as an `.eml` file into
/// `eml_dir` instead, so nothing else is needed to run.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// `smtp://host:port` (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://user:pass@host:465` (TLS from the start). May carry credentials: never
    /// printed.
    pub smtp_url: Option<String>,
    /// The sender, e.g. `Shop Alerts <alerts@example.com>`.
    pub from: String,
    /// Where `.eml` files go when there is no `smtp_url`.
    pub eml_dir: PathBuf,
    /// Where merchant mails go; none: no merchant mails.
    pub merchant_email: Option<String>,
    /// How long one SMTP conversation may take.
    pub timeout_ms: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            smtp_url: None,
            from: "dropflow <dropflow@localhost>".into(),
            eml_dir: PathBuf::from("mail"),
            merchant_email: None,
            timeout_ms: 10_000,
        }
    }
}

impl std::fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyConfig")
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(crate::storage::redact_url),
            )
            .field("from", &self.from)
            .field("eml_dir", &self.eml_dir)
            .field(
                "merchant_email",
                &self.merchant_email.as_ref().map(|_| "<set>"),
            )
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use dropflow_core::reference::currency::Currency;

    #[test]
    fn every_warehouse_stage_and_a_vendors_delivery_is_told() {
        let mut c = ctx();
        c.warehouse_parcel = Some(TrackingInfo {
            number: "RR123456785CN".into(),
            carrier: Some("China Post".into()),
            url: None,
        });
        let note = |topic: &str| OrderEvent::WarehouseNote {
            topic: topic.into(),
            detail: "YTO RR123456785CN".into(),
        };
        let inbound = notifications_for(&note("shipped_to_warehouse"), &c);
        assert_eq!(inbound.len(), 1);
        let Some(MailBody::SupplierShipped(m)) = inbound.first().map(|m| &m.body) else {
            panic!("{inbound:?}")
        };
        assert_eq!(m.tracking.number, "RR123456785CN");
        assert!(m.tracking.url.is_some(), "a link to follow it");
        let out = notifications_for(&note("dispatched"), &c);
        let kinds: Vec<MailKind> = out.iter().map(|m| m.kind()).collect();
        assert_eq!(kinds, vec![MailKind::SupplierShipped, MailKind::Shipped]);
        c.notify_customer = false;
        assert_eq!(notifications_for(&note("dispatched"), &c).len(), 1);
        c.notify_customer = true;
        let delivered = OrderEvent::SupplierOrderChanged {
            supplier: "manual:acme".into(),
            status: SupplierOrderStatus::Delivered,
            detail: None,
        };
        let mails = notifications_for(&delivered, &c);
        assert_eq!(mails.first().map(|m| m.kind()), Some(MailKind::Delivered));
    }

    #[test]
    fn a_line_without_an_exchange_rate_tells_the_merchant_which_rate_is_missing() {
        let code = |c: &str| Currency::from_code(c).unwrap();
        let event = OrderEvent::RoutingFailed {
            failures: vec![LineFailure {
                line_position: 0,
                reason: RouteFailure::NoExchangeRate {
                    component: 0,
                    from: code("JPY"),
                    to: code("USD"),
                },
            }],
        };
        let mails = notifications_for(&event, &ctx());
        let Some(MailBody::NeedsAttention(body)) = mails.first().map(|m| &m.body) else {
            panic!("no needs-attention mail: {mails:?}")
        };
        assert!(
            body.reason
                .contains("line 1: offers priced in JPY cannot be compared without an exchange rate from JPY to USD"),
            "{}",
            body.reason
        );
    }

    fn ctx() -> MailContext {
        MailContext {
            order_id: Some(OrderId::new()),
            order_name: "#1001".into(),
            store: "Shop".into(),
            merchant_email: Some("merchant@example.com".into()),
            customer_email: Some("ana@example.com".into()),
            customer_name: Some("Ana".into()),
            notify_customer: true,
            amount_due: Some(Money::new(1234, Currency::from_code("USD").unwrap())),
            ..Default::default()
        }
    }

    fn kinds(mails: &[Mail]) -> Vec<(MailKind, &str)> {
        mails.iter().map(|m| (m.kind(), m.to.as_str())).collect()
    }

    #[test]
    fn events_map_to_mails() {
        let c = ctx();
        let m = "merchant@example.com";
        let a = "ana@example.com";
        let failed = OrderEvent::PaymentFailed {
            supplier: "cj".into(),
            detail: "payment failed: insufficient balance with the supplier".into(),
        };
        let hold = |reason, detail: &str, origin| OrderEvent::HoldPlaced {
            reason,
            detail: detail.into(),
            origin,
        };
        let parcel = |status| OrderEvent::TrackingChanged {
            number: "LP00123456789012".into(),
            status,
        };
        let table = [
            (
                OrderEvent::Received {
                    topic: "orders/create".into(),
                },
                vec![(MailKind::NewOrder, m)],
            ),
            (
                OrderEvent::TrackingAdded {
                    supplier: "cj".into(),
                    number: "LP00123456789012".into(),
                    carrier: None,
                    check: "unrecognised".into(),
                },
                vec![(MailKind::SupplierShipped, m), (MailKind::Shipped, a)],
            ),
            (
                parcel(ShipmentStatus::Delivered),
                vec![(MailKind::Delivered, a)],
            ),
            (parcel(ShipmentStatus::InTransit), vec![]),
            (failed.clone(), vec![(MailKind::PaymentFailed, m)]),
            (
                hold(
                    HoldReason::PriceIncreased,
                    "cj asks 14.00 USD, mapped 10.00 USD",
                    HoldOrigin::System,
                ),
                vec![(MailKind::NeedsAttention, m)],
            ),
            (
                hold(HoldReason::AwaitingPayment, "", HoldOrigin::System),
                vec![],
            ),
            (
                hold(HoldReason::Other, "checking", HoldOrigin::Merchant),
                vec![],
            ),
            (OrderEvent::ReadyToOrder, vec![]),
        ];
        for (event, expected) in table {
            assert_eq!(kinds(&notifications_for(&event, &c)), expected, "{event:?}");
        }
        let mails = notifications_for(&failed, &c);
        let MailBody::PaymentFailed(body) = &mails[0].body else {
            panic!("not a payment mail")
        };
        assert!(body.insufficient_balance);
        assert_eq!(body.amount.as_deref(), Some("12.34 USD"));
    }

    #[test]
    fn customer_mails_follow_the_store_choice_and_the_check_digit() {
        let mut c = ctx();
        let bad = OrderEvent::TrackingAdded {
            supplier: "cj".into(),
            number: "X".into(),
            carrier: None,
            check: "invalid".into(),
        };
        assert_eq!(
            kinds(&notifications_for(&bad, &c)),
            [(MailKind::SupplierShipped, "merchant@example.com")]
        );
        c.notify_customer = false;
        let delivered = OrderEvent::TrackingChanged {
            number: "X".into(),
            status: ShipmentStatus::Delivered,
        };
        assert!(notifications_for(&delivered, &c).is_empty());
        c.merchant_email = None;
        let received = OrderEvent::Received { topic: "t".into() };
        assert!(notifications_for(&received, &c).is_empty());
    }

    #[test]
    fn tracking_always_has_a_link() {
        let info = tracking_info("LP 0012/3", None, None);
        assert_eq!(
            info.url.as_deref(),
            Some("https://t.17track.net/en#nums=LP00123")
        );
        let info = tracking_info("N1", Some("UPS"), Some("https://example.com/t/N1"));
        assert_eq!(info.url.as_deref(), Some("https://example.com/t/N1"));
        assert_eq!(info.carrier.as_deref(), Some("UPS"));
    }

    #[test]
    fn debug_prints_no_credentials_or_addresses() {
        let config = NotifyConfig {
            smtp_url: Some("smtp://mailer:hunter2@smtp.example.com:587?tls=required".into()),
            merchant_email: Some("boss@example.com".into()),
            ..Default::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("boss@"), "{shown}");
        let mail = &notifications_for(&OrderEvent::Received { topic: "t".into() }, &ctx())[0];
        let shown = format!("{mail:?}");
        assert!(!shown.contains("merchant@"), "{shown}");
    }
}
