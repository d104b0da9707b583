//! A sandbox order and how it moves: its stage is set by calls (created, paid, cancelled); its
//! shipping progress is *derived* from sandbox time on every read, so a status never needs a
//! background job to be right, and the same order reads the same way from every endpoint.

use super::tracking::{Logistic, Phase};
use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, Offset, Utc};
use serde_json::{json, Value};

/// What calls have done to an order; shipping progress comes on top, from the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// `payType` 3: created only ("not added to the cart, not confirmed"); `confirmOrder`
    /// moves it on. Not payable yet.
    Created,
    /// Confirmed, waiting for payment: after `confirmOrder`, a `payType` 1 order (paid on CJ's
    /// page) or a `payType` 2 order the balance could not cover.
    Unpaid,
    Paid {
        at: DateTime<Utc>,
    },
    Cancelled,
}

/// CJ's order statuses (`orderStatus`) the sandbox produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Created,
    Unpaid,
    Unshipped,
    Shipped,
    Delivered,
    Cancelled,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Created => "CREATED",
            Status::Unpaid => "UNPAID",
            Status::Unshipped => "UNSHIPPED",
            Status::Shipped => "SHIPPED",
            Status::Delivered => "DELIVERED",
            Status::Cancelled => "CANCELLED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub vid: String,
    pub quantity: u32,
    pub unit_cents: i64,
}

/// How long shipping takes, in sandbox time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schedule {
    pub ship_after: ChronoDuration,
    pub deliver_after: ChronoDuration,
}

/// Where an order stands at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    pub status: Status,
    pub phase: Option<Phase>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Where an order ships, as createOrderV2 gave it (getOrderDetail lists these back).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ShipTo {
    pub customer_name: String,
    pub address: String,
    pub city: String,
    pub province: String,
    pub phone: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub order_id: String,
    pub order_number: String,
    pub shipment_order_id: String,
    pub lines: Vec<Line>,
    pub product_cents: i64,
    pub postage_cents: i64,
    pub logistic: &'static Logistic,
    pub country_code: String,
    pub ship_to: ShipTo,
    pub created_at: DateTime<Utc>,
    pub stage: Stage,
    /// Assigned at creation, shown only once the order has shipped.
    pub track_number: String,
    /// The status the order was created in (the first webhook announces it).
    pub initial_status: Status,
    /// The last (status, phase) a webhook announced.
    pub notified: Option<(Status, Option<Phase>)>,
}

impl Order {
    pub(crate) fn total_cents(&self) -> i64 {
        self.product_cents + self.postage_cents
    }

    pub(crate) fn progress(&self, now: DateTime<Utc>, schedule: Schedule) -> Progress {
        let still = |status| Progress {
            status,
            phase: None,
            shipped_at: None,
            delivered_at: None,
        };
        match self.stage {
            Stage::Created => still(Status::Created),
            Stage::Unpaid => still(Status::Unpaid),
            Stage::Cancelled => still(Status::Cancelled),
            Stage::Paid { at } => {
                let shipped_at = at + schedule.ship_after;
                if now < shipped_at {
                    return still(Status::Unshipped);
                }
                let transit_ms = schedule.deliver_after.num_milliseconds().max(1) as f64;
                let fraction = (now - shipped_at).num_milliseconds() as f64 / transit_ms;
                let phase = Phase::at(fraction);
                let delivered = phase == Phase::Delivered;
                Progress {
                    status: if delivered {
                        Status::Delivered
                    } else {
                        Status::Shipped
                    },
                    phase: Some(phase),
                    shipped_at: Some(shipped_at),
                    delivered_at: delivered.then(|| shipped_at + schedule.deliver_after),
                }
            }
        }
    }

    pub(crate) fn paid_at(&self) -> Option<DateTime<Utc>> {
        match self.stage {
            Stage::Paid { at } => Some(at),
            Stage::Created | Stage::Unpaid | Stage::Cancelled => None,
        }
    }

    /// The tracking number, once the order has shipped.
    pub(crate) fn visible_track_number(&self, progress: &Progress) -> Option<&str> {
        progress.phase.map(|_| self.track_number.as_str())
    }

    /// The order as list and getOrderDetail show it, with the receiving address fields CJ's
    /// getOrderDetail example lists (shopping.html 1.7: country code, province, city,
    /// address, customer name, phone; no zip).
    pub(crate) fn detail(&self, progress: &Progress) -> Value {
        let track = self.visible_track_number(progress);
        json!({
            "orderId": self.order_id,
            "orderNum": self.order_number,
            "cjOrderId": self.order_id,
            "shipmentOrderId": self.shipment_order_id,
            "orderStatus": progress.status.as_str(),
            "logisticName": self.logistic.name,
            "trackNumber": track,
            "trackingUrl": track.map(tracking_url),
            "shippingCountryCode": self.country_code,
            "shippingProvince": self.ship_to.province,
            "shippingCity": self.ship_to.city,
            "shippingAddress": self.ship_to.address,
            "shippingCustomerName": self.ship_to.customer_name,
            "shippingPhone": self.ship_to.phone,
            "productAmount": usd(self.product_cents),
            "postageAmount": usd(self.postage_cents),
            "orderAmount": usd(self.total_cents()),
            "createDate": cj_date(self.created_at),
            "paymentDate": self.paid_at().map(cj_date),
            "productList": self.lines.iter().map(|l| json!({
                "vid": l.vid,
                "quantity": l.quantity,
                "sellPrice": usd(l.unit_cents),
            })).collect::<Vec<_>>(),
        })
    }
}

/// A public tracking page for `number`.
pub(crate) fn tracking_url(number: &str) -> String {
    format!("https://www.17track.net/en/track?nums={number}")
}

/// US cents as the JSON number CJ writes (`12.34`).
pub(crate) fn usd(cents: i64) -> Value {
    json!(cents as f64 / 100.0)
}

/// China Standard Time, in which CJ writes its dates.
pub(crate) fn china() -> FixedOffset {
    // `east_opt` fails only beyond ±24 h; UTC keeps the function total.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// `2021-07-11 10:00:18`: how CJ writes order dates (China time, no offset).
pub(crate) fn cj_date(at: DateTime<Utc>) -> String {
    at.with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `2021-08-18T09:16:33+08:00`: how CJ writes token expiry dates.
pub(crate) fn cj_timestamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&china())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}
