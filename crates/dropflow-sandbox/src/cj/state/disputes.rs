//! CJ's dispute rules (after-sale claims on an order's goods): `disputes/disputeProducts`,
//! `disputeConfirmInfo`, `create` and `getDisputeList`, as the dispute page documents them
//! (https://developers.cjdropshipping.com/en/api/api2/api/dispute.html) and where it is silent
//! as the sandbox chooses (see `cj::disputes`).
//!
//! What CJ refuses, the sandbox refuses:
//! - an order that is not paid (CJ: "Order cannot be disputed", code 9009, observed by a third
//!   party on a live account, after-sale.md §4): both dispute endpoints need a paid order;
//! - a line with an unfinished dispute (`canChoose` false, "存在未完成纠纷单" on the zh page),
//!   and more units than are left to dispute (`quantity` is "可开纠纷数量", the disputable
//!   quantity);
//! - more money than `maxAmount`: what was paid for the lines plus postage, never more than
//!   the order's total less what earlier disputes took or hold;
//! - a reason id not in the order's `disputeReasonList`;
//! - a `businessDisputeId` used before ("唯一值", unique; what CJ answers to a repeat is not
//!   documented: the sandbox refuses it with 1600300 and says so in the message).

use super::request::quantity;
use super::{code, not_found, refuse, Inner, Refusal, Shared};
use crate::cj::disputes::{
    self, decided_at, dispute_id, line_item_id, Dispute, DisputeLine, DisputeSnapshot, Outcome,
    RefundTo,
};
use crate::cj::orders::{self, Order, Stage, Status};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// The product image the sandbox lists for every line.
const IMAGE: &str = "https://cc-west-usa.oss-accelerate.aliyuncs.com/sandbox/product.jpg";

/// `businessDisputeId`'s documented length.
const MAX_BUSINESS_ID: usize = 100;
/// `messageText`'s documented length.
const MAX_MESSAGE: usize = 500;

/// Carries out every decision that has come due: a refund to the balance is credited once.
/// Called whenever the state is locked, so every read sees the money where it is.
pub(super) fn settle(inner: &mut Inner, now: DateTime<Utc>) {
    let mut credit = 0;
    for dispute in inner.disputes.iter_mut().filter(|d| !d.settled) {
        if dispute.decided(now) {
            dispute.settled = true;
            if dispute.outcome == Outcome::Refund && dispute.refund_to == RefundTo::Balance {
                credit += dispute.asked_cents();
            }
        }
    }
    inner.balance_cents += credit;
}

/// An order line as the dispute endpoints list it.
struct LineView {
    line_item_id: String,
    vid: String,
    unit_cents: i64,
    /// Units still open to a dispute.
    left: u32,
    /// An unfinished dispute holds this line.
    held: bool,
}

impl Shared {
    /// The paid order a dispute may be opened on, and its lines as they stand.
    fn disputable<'a>(
        &self,
        inner: &'a Inner,
        order_id: &str,
    ) -> Result<(&'a Order, Vec<LineView>), Refusal> {
        let order = inner
            .by_id
            .get(order_id)
            .and_then(|i| inner.orders.get(*i))
            .ok_or_else(not_found)?;
        if !matches!(order.stage, Stage::Paid { .. }) {
            return refuse(code::ORDER_CANNOT_BE_DISPUTED, "Order cannot be disputed");
        }
        let now = self.clock.now();
        let on_order: Vec<&Dispute> = inner
            .disputes
            .iter()
            .filter(|d| d.order_id == order.order_id)
            .collect();
        let lines = order
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let id = line_item_id(&order.order_id, i);
                let used: u32 = on_order.iter().map(|d| d.units_on(&id, now)).sum();
                let held = on_order
                    .iter()
                    .any(|d| !d.decided(now) && d.lines.iter().any(|l| l.line_item_id == id));
                LineView {
                    line_item_id: id,
                    vid: line.vid.clone(),
                    unit_cents: line.unit_cents,
                    left: line.quantity.saturating_sub(used),
                    held,
                }
            })
            .collect();
        Ok((order, lines))
    }

    fn product_entry(&self, inner: &Inner, line: &LineView, quantity: u32) -> Value {
        let variant = inner.variants.get(&line.vid);
        json!({
            "lineItemId": line.line_item_id,
            "cjProductId": variant.map(|v| v.pid.clone()),
            "cjVariantId": line.vid,
            "canChoose": line.left > 0 && !line.held,
            "price": orders::usd(line.unit_cents),
            "quantity": quantity,
            "cjProductName": variant.map(|v| v.name.clone()),
            "cjImage": IMAGE,
            "sku": variant.map(|v| v.variant_sku.clone()),
            "supplierName": "CJ sandbox",
        })
    }

    /// `GET disputes/disputeProducts?orderId=`.
    pub(crate) fn dispute_products(&self, order_id: &str) -> Result<Value, Refusal> {
        let inner = self.lock();
        let (order, lines) = self.disputable(&inner, order_id)?;
        Ok(json!({
            "orderId": order.order_id,
            "orderNumber": order.order_number,
            "productInfoList": lines
                .iter()
                .map(|l| self.product_entry(&inner, l, l.left))
                .collect::<Vec<_>>(),
        }))
    }

    /// `POST disputes/disputeConfirmInfo`: the most that can be asked for the chosen lines and
    /// the reasons on offer.
    pub(crate) fn dispute_confirm_info(&self, body: &Value) -> Result<Value, Refusal> {
        let order_id = text(body, "orderId");
        let chosen = chosen_lines(body)?;
        let inner = self.lock();
        let (order, lines) = self.disputable(&inner, &order_id)?;
        let picked = pick(&lines, &chosen)?;
        let (product, postage, max) = self.maximum(&inner, order, &picked);
        let shipped = self.shipped(order);
        Ok(json!({
            "orderId": order.order_id,
            "orderNumber": order.order_number,
            // Strings, as a third party saw them live (after-sale.md §4); the sandbox models
            // refunds only.
            "expectResultOptionList": ["1"],
            "maxProductPrice": orders::usd(product),
            "maxPostage": orders::usd(postage),
            "maxIossTaxAmount": orders::usd(0),
            "maxIossHandTaxAmount": orders::usd(0),
            "maxAmount": orders::usd(max),
            "productInfoList": picked
                .iter()
                .map(|(line, quantity, _)| self.product_entry(&inner, line, *quantity))
                .collect::<Vec<_>>(),
            "disputeReasonList": disputes::reasons(shipped)
                .iter()
                .map(|(id, name)| json!({ "disputeReasonId": id, "reasonName": name }))
                .collect::<Vec<_>>(),
        }))
    }

    /// `POST disputes/create`. CJ documents no success body; the sandbox answers `data: null`
    /// unless configured to give the new id (`dispute_create_returns_id`).
    pub(crate) fn create_dispute(&self, body: &Value) -> Result<Value, Refusal> {
        let business_id = text(body, "businessDisputeId");
        if business_id.is_empty() || business_id.chars().count() > MAX_BUSINESS_ID {
            return refuse(
                code::ILLEGAL_PARAMETER,
                "businessDisputeId is required (at most 100 characters)",
            );
        }
        let message = text(body, "messageText");
        if message.is_empty() || message.chars().count() > MAX_MESSAGE {
            return refuse(
                code::ILLEGAL_PARAMETER,
                "messageText is required (at most 500 characters)",
            );
        }
        let expect = quantity(body.get("expectType"));
        match expect {
            Some(1) => {}
            Some(2) => {
                return refuse(
                    code::ILLEGAL_PARAMETER,
                    "expectType 2 (reissue) is not offered for this order",
                )
            }
            _ => return refuse(code::ILLEGAL_PARAMETER, "expectType must be 1 or 2"),
        }
        let refund_to = match quantity(body.get("refundType")) {
            Some(1) => RefundTo::Balance,
            Some(2) => RefundTo::Platform,
            _ => return refuse(code::ILLEGAL_PARAMETER, "refundType must be 1 or 2"),
        };
        let Some(reason_id) = integer(body.get("disputeReasonId")) else {
            return refuse(code::ILLEGAL_PARAMETER, "disputeReasonId is required");
        };
        let order_id = text(body, "orderId");
        let chosen = chosen_lines(body)?;
        let now = self.clock.now();
        let mut inner = self.lock();
        if inner
            .disputes
            .iter()
            .any(|d| d.business_dispute_id == business_id)
        {
            return refuse(
                code::ILLEGAL_PARAMETER,
                format!("businessDisputeId {business_id} already exists"),
            );
        }
        let (order, lines) = self.disputable(&inner, &order_id)?;
        let picked = pick(&lines, &chosen)?;
        if let Some((line, _, _)) = picked.iter().find(|(l, _, _)| l.held) {
            return refuse(
                code::ORDER_CANNOT_BE_DISPUTED,
                format!(
                    "Order cannot be disputed: line {} has an unfinished dispute",
                    line.line_item_id
                ),
            );
        }
        let (_, _, max) = self.maximum(&inner, order, &picked);
        let asked: i64 = picked.iter().map(|(_, _, cents)| *cents).sum();
        if asked > max {
            return refuse(
                code::ILLEGAL_PARAMETER,
                format!(
                    "The refund amount {} exceeds the maximum {}",
                    orders::usd(asked),
                    orders::usd(max)
                ),
            );
        }
        let shipped = self.shipped(order);
        let Some((_, reason_name)) = disputes::reasons(shipped)
            .iter()
            .find(|(id, _)| *id == reason_id)
        else {
            return refuse(
                code::ILLEGAL_PARAMETER,
                format!("disputeReasonId {reason_id} is not offered for this order"),
            );
        };
        let dispute = Dispute {
            id: dispute_id(now, inner.disputes.len() + 1),
            business_dispute_id: business_id,
            order_id: order.order_id.clone(),
            reason_id,
            reason_name: (*reason_name).to_string(),
            message_text: message,
            lines: picked
                .iter()
                .map(|(line, quantity, cents)| DisputeLine {
                    line_item_id: line.line_item_id.clone(),
                    vid: line.vid.clone(),
                    quantity: *quantity,
                    cents: *cents,
                })
                .collect(),
            refund_to,
            outcome: if inner.refuse_disputes {
                Outcome::Reject
            } else {
                Outcome::Refund
            },
            created_at: now,
            decided_at: decided_at(now, self.config.dispute_decided_after),
            settled: false,
        };
        let id = dispute.id.clone();
        inner.disputes.push(dispute);
        Ok(if self.config.dispute_create_returns_id {
            json!(id)
        } else {
            Value::Null
        })
    }

    /// `GET disputes/getDisputeList`: filtered by `orderId`, `disputeId` or `orderNumber`,
    /// newest first, paged (`pageSize` default 10).
    pub(crate) fn dispute_list(
        &self,
        order_id: Option<&str>,
        dispute_id: Option<&str>,
        order_number: Option<&str>,
        page: u64,
        size: u64,
    ) -> Value {
        let inner = self.lock();
        let now = self.clock.now();
        let number_of = |d: &Dispute| {
            inner
                .by_id
                .get(&d.order_id)
                .and_then(|i| inner.orders.get(*i))
                .map(|o| o.order_number.as_str())
        };
        let matching: Vec<&Dispute> = inner
            .disputes
            .iter()
            .rev()
            .filter(|d| order_id.is_none_or(|id| d.order_id == id))
            .filter(|d| dispute_id.is_none_or(|id| d.id == id))
            .filter(|d| order_number.is_none_or(|n| number_of(d) == Some(n)))
            .collect();
        let page = page.max(1);
        let size = size.clamp(1, 100);
        let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
        let take = usize::try_from(size).unwrap_or(usize::MAX);
        let pid = |vid: &str| {
            inner
                .variants
                .get(vid)
                .map(|v| v.pid.clone())
                .unwrap_or_default()
        };
        json!({
            "pageNum": page,
            "pageSize": size,
            "total": matching.len(),
            "list": matching
                .iter()
                .skip(skip)
                .take(take)
                .map(|d| d.entry(now, IMAGE, &pid))
                .collect::<Vec<_>>(),
        })
    }

    pub(crate) fn dispute_snapshots(&self) -> Vec<DisputeSnapshot> {
        let now = self.clock.now();
        self.lock()
            .disputes
            .iter()
            .map(|d| d.snapshot(now))
            .collect()
    }

    pub(crate) fn set_refuse_disputes(&self, refuse: bool) {
        self.lock().refuse_disputes = refuse;
    }

    fn shipped(&self, order: &Order) -> bool {
        let progress = order.progress(self.clock.now(), self.schedule());
        matches!(progress.status, Status::Shipped | Status::Delivered)
    }

    /// `(maxProductPrice, maxPostage, maxAmount)` for the picked lines: their goods plus the
    /// postage, never more than the order's total less what other disputes took or hold.
    fn maximum(&self, inner: &Inner, order: &Order, picked: &[Picked<'_>]) -> (i64, i64, i64) {
        let now = self.clock.now();
        let product: i64 = picked
            .iter()
            .map(|(line, quantity, _)| line.unit_cents * i64::from(*quantity))
            .sum();
        let postage = order.postage_cents;
        let taken: i64 = inner
            .disputes
            .iter()
            .filter(|d| d.order_id == order.order_id)
            .map(|d| d.holds_cents(now))
            .sum();
        let left = (order.total_cents() - taken).max(0);
        (product, postage, (product + postage).min(left))
    }
}

/// A chosen line, how many units and the amount asked for them.
type Picked<'a> = (&'a LineView, u32, i64);

/// The order's lines the request names, with their quantities and amounts, checked against
/// what is left to dispute.
fn pick<'a>(
    lines: &'a [LineView],
    chosen: &[(String, u32, i64)],
) -> Result<Vec<Picked<'a>>, Refusal> {
    let mut picked = Vec::with_capacity(chosen.len());
    for (id, quantity, cents) in chosen {
        let Some(line) = lines.iter().find(|l| &l.line_item_id == id) else {
            return refuse(
                code::ILLEGAL_PARAMETER,
                format!("lineItemId {id} is not a line of this order"),
            );
        };
        if *quantity == 0 || *quantity > line.left {
            return refuse(
                code::ILLEGAL_PARAMETER,
                format!(
                    "quantity {quantity} for lineItemId {id}: {} can be disputed",
                    line.left
                ),
            );
        }
        if picked
            .iter()
            .any(|(l, _, _): &Picked<'_>| l.line_item_id == *id)
        {
            return refuse(
                code::ILLEGAL_PARAMETER,
                format!("lineItemId {id} is listed twice"),
            );
        }
        picked.push((line, *quantity, *cents));
    }
    Ok(picked)
}

/// `productInfoList` as `(lineItemId, quantity, cents)`. The page marks `lineItemId` optional;
/// the sandbox needs it to know which line is meant.
fn chosen_lines(body: &Value) -> Result<Vec<(String, u32, i64)>, Refusal> {
    let entries = body
        .get("productInfoList")
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty())
        .ok_or_else(|| Refusal {
            code: code::ILLEGAL_PARAMETER,
            message: "productInfoList is required".to_string(),
        })?;
    entries
        .iter()
        .map(|entry| {
            let id = text(entry, "lineItemId");
            let quantity = quantity(entry.get("quantity"));
            let cents = entry.get("price").and_then(cents);
            match (id.is_empty(), quantity, cents) {
                (false, Some(q), Some(c)) if c >= 0 => Ok((id, q, c)),
                _ => refuse(
                    code::ILLEGAL_PARAMETER,
                    "each productInfoList entry needs lineItemId, quantity and price",
                ),
            }
        })
        .collect()
}

fn text(body: &Value, field: &str) -> String {
    match body.get(field) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A USD amount (number or decimal string) in cents; more than two decimals is refused.
fn cents(value: &Value) -> Option<i64> {
    let number = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    let cents = number * 100.0;
    (number.is_finite() && (cents - cents.round()).abs() < 1e-6).then(|| cents.round() as i64)
}
