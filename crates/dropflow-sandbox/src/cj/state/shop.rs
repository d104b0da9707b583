//! Orders, payment, logistics and products: what createOrderV2 and its neighbours do.

use super::request::{quantity, OrderRequest, PayType};
use super::{code, not_found, refuse, Refusal, Shared};
use crate::cj::catalog;
use crate::cj::orders::{self, Line, Order, Stage, Status};
use crate::cj::tracking;
use crate::faults::{FaultSwitch, Faults};
use serde_json::{json, Value};

impl Shared {
    // ---- orders -----------------------------------------------------------------------

    /// `createOrderV2`.
    pub(crate) fn create_order(&self, body: &Value) -> Result<Value, Refusal> {
        let faults = self.faults.get();
        let request = OrderRequest::read(body)?;
        let mut inner = self.lock();
        if inner.by_number.contains_key(&request.order_number) {
            return refuse(
                code::ORDER_CREATE_FAIL,
                format!(
                    "Order create fail: the order number {} already exists",
                    request.order_number
                ),
            );
        }
        let Some(logistic) = tracking::logistic(&request.logistic_name) else {
            return refuse(
                code::LOGISTIC_NOT_FOUND,
                format!("Logistic not found: {}", request.logistic_name),
            );
        };
        if !logistic.ships_to(&request.country_code) {
            return refuse(
                code::LOGISTIC_NOT_FOUND,
                format!(
                    "Logistic not found: {} does not ship to {}",
                    logistic.name, request.country_code
                ),
            );
        }
        if FaultSwitch::roll(faults.address_rejection_rate) {
            return refuse(
                code::ORDER_CREATE_FAIL,
                "Order create fail: invalid shipping address, shippingZip does not match \
                 shippingCity",
            );
        }
        let mut lines = Vec::with_capacity(request.products.len());
        for (vid, quantity) in &request.products {
            let variant = inner
                .variants
                .entry(vid.clone())
                .or_insert_with(|| catalog::unlisted(vid));
            let out_of_stock = variant.stock < u64::from(*quantity);
            if out_of_stock || FaultSwitch::roll(faults.out_of_stock_rate) {
                return refuse(
                    code::ORDER_CREATE_FAIL,
                    format!("Order create fail: insufficient inventory for variant {vid}"),
                );
            }
            lines.push(Line {
                vid: vid.clone(),
                quantity: *quantity,
                unit_cents: priced(variant.price_cents, &faults),
            });
        }
        // Only now, with every line in stock, take the stock.
        for line in &lines {
            if let Some(v) = inner.variants.get_mut(&line.vid) {
                v.stock = v.stock.saturating_sub(u64::from(line.quantity));
            }
        }
        let items: u32 = lines.iter().map(|l| l.quantity).sum();
        let product_cents = lines
            .iter()
            .map(|l| l.unit_cents * i64::from(l.quantity))
            .sum();
        let now = self.clock.now();
        let seq = u64::try_from(inner.orders.len()).unwrap_or(u64::MAX) + 1;
        let order_id = format!("{}1{:011}", now.format("%y%m%d"), seq);
        let mut order = Order {
            shipment_order_id: format!("SO{order_id}"),
            order_id,
            order_number: request.order_number,
            lines,
            product_cents,
            postage_cents: logistic.postage_cents(items),
            logistic,
            country_code: request.country_code,
            ship_to: request.ship_to,
            created_at: now,
            stage: Stage::Created,
            track_number: logistic.tracking_number(seq),
            initial_status: Status::Created,
            notified: None,
        };
        // payType 2: CJ goes on to pay from the balance; when it cannot, the order waits.
        order.stage = match request.pay_type {
            PayType::Balance if inner.balance_cents >= order.total_cents() => {
                inner.balance_cents -= order.total_cents();
                Stage::Paid { at: now }
            }
            PayType::Balance | PayType::Page => Stage::Unpaid,
            PayType::CreateOnly => Stage::Created,
        };
        order.initial_status = match order.stage {
            Stage::Paid { .. } => Status::Unshipped,
            Stage::Unpaid => Status::Unpaid,
            Stage::Created | Stage::Cancelled => Status::Created,
        };
        let progress = order.progress(now, self.schedule());
        let mut data = json!({
            "orderId": order.order_id,
            "orderNumber": order.order_number,
            "shipmentOrderId": order.shipment_order_id,
            "orderStatus": progress.status.as_str(),
            "productAmount": orders::usd(order.product_cents),
            "postageAmount": orders::usd(order.postage_cents),
            "orderAmount": orders::usd(order.total_cents()),
            "logisticName": order.logistic.name,
        });
        if request.pay_type == PayType::Page {
            data["cjPayUrl"] = json!(format!(
                "https://cjdropshipping.com/sandbox/pay?orderId={}",
                order.order_id
            ));
        }
        let index = inner.orders.len();
        inner.by_number.insert(order.order_number.clone(), index);
        inner.by_id.insert(order.order_id.clone(), index);
        inner
            .by_shipment
            .insert(order.shipment_order_id.clone(), index);
        inner.by_track.insert(order.track_number.clone(), index);
        inner.orders.push(order);
        Ok(data)
    }

    /// `shopping/order/list`: newest first, paged.
    pub(crate) fn list_orders(&self, page: u64, size: u64) -> Value {
        let inner = self.lock();
        let now = self.clock.now();
        let schedule = self.schedule();
        let page = page.max(1);
        let size = size.clamp(1, 200);
        let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
        let take = usize::try_from(size).unwrap_or(usize::MAX);
        let list: Vec<Value> = inner
            .orders
            .iter()
            .rev()
            .skip(skip)
            .take(take)
            .map(|o| o.detail(&o.progress(now, schedule)))
            .collect();
        json!({
            "pageNum": page,
            "pageSize": size,
            "total": inner.orders.len(),
            "list": list,
        })
    }

    /// `getOrderDetail`.
    pub(crate) fn order_detail(&self, order_id: &str) -> Result<Value, Refusal> {
        let inner = self.lock();
        let order = inner
            .by_id
            .get(order_id)
            .and_then(|i| inner.orders.get(*i))
            .ok_or_else(not_found)?;
        Ok(order.detail(&order.progress(self.clock.now(), self.schedule())))
    }

    /// `deleteOrder`: an order not yet confirmed is cancelled and its stock put back. CJ's
    /// doc (shopping.html 1.8 订单删除): "确认订单后则无法删除" — once confirmed it cannot be
    /// deleted, so confirmed (unpaid), paid and shipped orders are refused.
    pub(crate) fn delete_order(&self, order_id: &str) -> Result<(), Refusal> {
        let mut inner = self.lock();
        let index = *inner.by_id.get(order_id).ok_or_else(not_found)?;
        let Some(order) = inner.orders.get_mut(index) else {
            return Err(not_found());
        };
        match order.stage {
            Stage::Created => order.stage = Stage::Cancelled,
            Stage::Unpaid | Stage::Paid { .. } => {
                return refuse(
                    code::ORDER_DELETE_FAIL,
                    "Order delete fail: a confirmed order cannot be deleted",
                )
            }
            Stage::Cancelled => {
                return refuse(
                    code::ORDER_DELETE_FAIL,
                    "Order delete fail: the order has been cancelled",
                )
            }
        }
        let lines = order.lines.clone();
        for line in lines {
            if let Some(v) = inner.variants.get_mut(&line.vid) {
                v.stock += u64::from(line.quantity);
            }
        }
        Ok(())
    }

    /// `confirmOrder` (PATCH): a created order is confirmed and waits for payment (`UNPAID`,
    /// "confirm order, CJ order number create" in CJ's status table). Anything else cannot be
    /// confirmed again.
    pub(crate) fn confirm_order(&self, order_id: &str) -> Result<(), Refusal> {
        let mut inner = self.lock();
        let index = *inner.by_id.get(order_id).ok_or_else(not_found)?;
        let Some(order) = inner.orders.get_mut(index) else {
            return Err(not_found());
        };
        match order.stage {
            Stage::Created => {
                order.stage = Stage::Unpaid;
                Ok(())
            }
            Stage::Unpaid => refuse(
                code::ORDER_CONFIRM_FAIL,
                "Order confirm fail: the order has already been confirmed",
            ),
            Stage::Paid { .. } => refuse(
                code::ORDER_CONFIRM_FAIL,
                "Order confirm fail: the order has already been paid",
            ),
            Stage::Cancelled => refuse(
                code::ORDER_CONFIRM_FAIL,
                "Order confirm fail: the order has been cancelled",
            ),
        }
    }

    /// `payBalance` (by order id) and `payBalanceV2` (by shipment order id).
    pub(crate) fn pay(&self, id: PayBy<'_>) -> Result<(), Refusal> {
        let mut inner = self.lock();
        let index = match id {
            PayBy::OrderId(id) => inner.by_id.get(id),
            PayBy::ShipmentOrderId(id) => inner.by_shipment.get(id),
        }
        .copied()
        .ok_or_else(not_found)?;
        let balance = inner.balance_cents;
        let now = self.clock.now();
        let Some(order) = inner.orders.get_mut(index) else {
            return Err(not_found());
        };
        match order.stage {
            Stage::Unpaid => {}
            // payType 3 "create only": not in the cart, not confirmed, so not payable yet.
            Stage::Created => {
                return refuse(
                    code::ORDER_PAY_FAIL,
                    "Order pay fail: the order has not been confirmed",
                )
            }
            Stage::Paid { .. } => {
                return refuse(
                    code::ORDER_PAY_FAIL,
                    "Order pay fail: the order has already been paid",
                )
            }
            Stage::Cancelled => {
                return refuse(
                    code::ORDER_PAY_FAIL,
                    "Order pay fail: the order has been cancelled",
                )
            }
        }
        let total = order.total_cents();
        if balance < total {
            return refuse(code::BALANCE_INSUFFICIENT, "Balance is insufficient");
        }
        order.stage = Stage::Paid { at: now };
        inner.balance_cents = balance - total;
        Ok(())
    }

    pub(crate) fn balance_cents(&self) -> i64 {
        self.lock().balance_cents
    }

    pub(crate) fn set_balance_cents(&self, cents: i64) {
        self.lock().balance_cents = cents;
    }

    // ---- logistics and products -------------------------------------------------------

    /// `logistic/trackInfo`: an empty list for numbers the sandbox has not shipped.
    pub(crate) fn track_info(&self, number: &str) -> Value {
        let inner = self.lock();
        let now = self.clock.now();
        let found = inner
            .by_track
            .get(number.trim())
            .and_then(|i| inner.orders.get(*i))
            .map(|o| (o, o.progress(now, self.schedule())))
            .filter(|(_, p)| p.phase.is_some());
        let list: Vec<Value> = found
            .into_iter()
            .filter_map(|(o, p)| {
                let phase = p.phase?;
                Some(json!({
                    "trackingNumber": o.track_number,
                    "logisticName": o.logistic.name,
                    "trackingFrom": "CN",
                    "trackingTo": o.country_code,
                    "deliveryDay": o.logistic.aging,
                    "deliveryTime": p.delivered_at.map(orders::cj_date),
                    "trackingStatus": phase.text(),
                    "lastMileCarrier": o.logistic.carrier,
                    "lastTrackNumber": o.track_number,
                }))
            })
            .collect();
        json!(list)
    }

    /// `logistic/freightCalculate`: the lines that ship to the destination, cheapest first.
    pub(crate) fn freight(&self, body: &Value) -> Result<Value, Refusal> {
        let to = body
            .get("endCountryCode")
            .and_then(Value::as_str)
            .filter(|c| c.len() == 2)
            .ok_or_else(|| Refusal {
                code: code::ILLEGAL_PARAMETER,
                message: "endCountryCode is required".to_string(),
            })?;
        let items = body
            .get("products")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().filter_map(|p| quantity(p.get("quantity"))).sum())
            .unwrap_or(1u32)
            .max(1);
        let mut options: Vec<_> = tracking::LOGISTICS
            .iter()
            .filter(|l| l.ships_to(to))
            .collect();
        options.sort_by_key(|l| l.postage_cents(items));
        Ok(json!(options
            .iter()
            .map(|l| {
                let cents = l.postage_cents(items);
                json!({
                    "logisticAging": l.aging,
                    "logisticPrice": orders::usd(cents),
                    "logisticPriceCn": orders::usd(cents * 7),
                    "logisticName": l.name,
                })
            })
            .collect::<Vec<_>>()))
    }

    /// `product/variant/queryByVid` (price as it would be charged now).
    pub(crate) fn variant(&self, vid: &str) -> Value {
        let faults = self.faults.get();
        let mut inner = self.lock();
        let v = inner
            .variants
            .entry(vid.to_string())
            .or_insert_with(|| catalog::unlisted(vid));
        json!({
            "vid": v.vid,
            "pid": v.pid,
            "variantSku": v.variant_sku,
            "variantNameEn": v.name,
            "variantSellPrice": orders::usd(priced(v.price_cents, &faults)),
        })
    }

    /// `product/stock/queryByVid`.
    pub(crate) fn stock(&self, vid: &str) -> Value {
        let mut inner = self.lock();
        let v = inner
            .variants
            .entry(vid.to_string())
            .or_insert_with(|| catalog::unlisted(vid));
        json!([{
            "vid": v.vid,
            "areaId": 2,
            "areaEn": "China Warehouse",
            "countryCode": "CN",
            "storageNum": v.stock,
        }])
    }

    pub(crate) fn set_stock(&self, vid: &str, stock: u64) {
        let mut inner = self.lock();
        inner
            .variants
            .entry(vid.to_string())
            .or_insert_with(|| catalog::unlisted(vid))
            .stock = stock;
    }

    pub(crate) fn set_price(&self, vid: &str, cents: i64) {
        let mut inner = self.lock();
        inner
            .variants
            .entry(vid.to_string())
            .or_insert_with(|| catalog::unlisted(vid))
            .price_cents = cents;
    }
}

/// Which id a payment names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PayBy<'a> {
    OrderId(&'a str),
    ShipmentOrderId(&'a str),
}

/// A price with the fault switch's price factor applied, to the cent.
fn priced(cents: i64, faults: &Faults) -> i64 {
    if (faults.price_factor - 1.0).abs() < f64::EPSILON || !faults.price_factor.is_finite() {
        return cents;
    }
    (cents as f64 * faults.price_factor).round() as i64
}
