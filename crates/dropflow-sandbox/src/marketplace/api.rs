//! The APIs the sandbox answers, in 1688's shapes.
//!
//! Real (1688 open platform, `com.alibaba.trade` namespace): the API names, the parameters
//! (`flow`, `message`, `addressParam` {fullName, mobile, phone, postCode, provinceText,
//! cityText, areaText, townText, address}, `cargoParamList` [{offerId, specId, quantity}],
//! `outOrderId`; `tradeWithholdPreparePayParam` {orderId}; `webSite`, `orderId`; `tradeID`,
//! `cancelReason`), fastCreateOrder's `result` {orderId, totalSuccessAmount, postFee} in fen,
//! buyerView's `baseInfo` (status, totalAmount in yuan) and `nativeLogistics.logisticsItems`
//! (logisticsCompanyName, logisticsCompanyNo, logisticsBillNo), and the status vocabulary;
//! createRefund's parameters (`orderId`, `orderEntryIds` = buyerView's `subItemID`s,
//! `disputeRequest` refund | returnRefund, `applyPayment` / `applyCarriage` in fen,
//! `applyReasonId`, `description` 2-150 characters, `goodsStatus`) and its `result.result.
//! refundId`, with the documented rules and codes: a return only once the goods were
//! received, before shipment `applyPayment` equal to what the goods cost (`5011`), a goods
//! status matching the order's (`5010`), a reason listed for it (`5004`), proof (`5005`),
//! postage (`5006`), a repeat (`5010`), the description's length (`5012`); cancel's answer (`{success, errorCode, errorMessage}`, `ORDER_STATUS_ERROR`
//! for anything but an unpaid order, `ORDER_NOT_EXIST`); getRefundReasonList's
//! `result.result.reasons[{id, name, needVoucher, noRefundCarriage, tip}]`; buyerView's
//! `nativeLogistics` receiving address (`contactPerson`, `address`, `area`, `city`,
//! `province`, `zip`).
//!
//! Modelled (1688 documents no such codes, or not publicly): the ordering and paying error
//! codes in [`code`], `outOrderId` being unique per live order and echoed in `baseInfo`, the buyer
//! balance that protocol pay draws from, sub-order ids derived from the order id, the reason
//! ids (see `refunds`), one open refund per entry, and a seller who
//! agrees at once to a refund asked before they shipped (the order closes, the money and
//! stock come back).

use super::orders::{offers, Courier, Line, MarketplaceOffer, Order, COURIERS};
use super::Shared;
use crate::faults::Faults;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub const FAST_CREATE_ORDER: &str = "alibaba.trade.fastCreateOrder";
pub const PREPARE_PAY: &str = "alibaba.trade.pay.protocolPay.preparePay";
pub const BUYER_VIEW: &str = "alibaba.trade.get.buyerView";
pub const BUYER_ORDER_LIST: &str = "alibaba.trade.getBuyerOrderList";
pub const CANCEL: &str = "alibaba.trade.cancel";
pub const CREATE_REFUND: &str = "alibaba.trade.createRefund";
pub const REFUND_REASONS: &str = "alibaba.trade.getRefundReasonList";
pub const QUERY_REFUND: &str = "alibaba.trade.refund.OpQueryOrderRefund";
pub const REFUND_LIST: &str = "alibaba.trade.refund.buyer.queryOrderRefundList";

pub const APIS: [&str; 9] = [
    FAST_CREATE_ORDER,
    PREPARE_PAY,
    BUYER_VIEW,
    BUYER_ORDER_LIST,
    CANCEL,
    CREATE_REFUND,
    REFUND_REASONS,
    QUERY_REFUND,
    REFUND_LIST,
];

/// The sandbox's business error codes for ordering and paying (modelled; see the module
/// comment). The refund APIs answer 1688's documented numeric codes instead.
pub mod code {
    pub const STOCK_NOT_ENOUGH: &str = "ORDER_OFFER_STOCK_NOT_ENOUGH";
    pub const OFFER_NOT_FOUND: &str = "ORDER_OFFER_NOT_EXIST";
    pub const ADDRESS_INVALID: &str = "ORDER_ADDRESS_INVALID";
    pub const DUPLICATE_OUT_ORDER_ID: &str = "ORDER_OUT_ORDER_ID_EXISTS";
    pub const BAD_PARAM: &str = "PARAM_ERROR";
    pub const BALANCE_NOT_ENOUGH: &str = "PAY_BALANCE_NOT_ENOUGH";
    pub const ORDER_NOT_FOUND: &str = "ORDER_NOT_EXIST";
    pub const STATUS_NOT_ALLOWED: &str = "ORDER_STATUS_NOT_ALLOW";
}

/// A parameter by name.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub(crate) fn refused(code: &str, message: &str) -> Value {
    json!({ "success": false, "code": code, "message": message })
}

fn yuan(fen: i64) -> Value {
    // Yuan with two decimals as a JSON number, as buyerView writes amounts.
    serde_json::Number::from_f64(fen as f64 / 100.0).map_or(Value::Null, Value::Number)
}

fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn create(shared: &Shared, params: &[(String, String)], faults: &Faults) -> Value {
    let address: Value = param(params, "addressParam")
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or(Value::Null);
    let cargo: Vec<Value> = param(params, "cargoParamList")
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    if cargo.is_empty() {
        return refused(code::BAD_PARAM, "cargoParamList is missing or empty");
    }
    let field = |name: &str| {
        address
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
    };
    let address_ok = ["fullName", "provinceText", "cityText", "address"]
        .iter()
        .all(|f| !field(f).is_empty())
        && (!field("mobile").is_empty() || !field("phone").is_empty());
    if !address_ok || crate::faults::FaultSwitch::roll(faults.address_rejection_rate) {
        return refused(
            code::ADDRESS_INVALID,
            "收货地址信息不完整 (receiving address incomplete)",
        );
    }
    let out_order_id = param(params, "outOrderId")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let now = shared.clock.now();
    let mut state = shared.lock();
    if let Some(reference) = &out_order_id {
        if let Some(existing) = state
            .orders
            .values()
            .find(|o| o.out_order_id.as_ref() == Some(reference) && o.cancelled_at.is_none())
        {
            return refused(
                code::DUPLICATE_OUT_ORDER_ID,
                &format!("outOrderId already used by order {}", existing.id),
            );
        }
    }
    let mut lines = Vec::new();
    for c in &cargo {
        let offer_id = c.get("offerId").and_then(number).unwrap_or(0);
        let spec_id = c.get("specId").and_then(Value::as_str).unwrap_or("").trim();
        let quantity = c.get("quantity").and_then(number).unwrap_or(0);
        let Some(offer) = state
            .offers
            .iter()
            .find(|o| o.offer_id == offer_id && o.spec_id == spec_id)
        else {
            return refused(
                code::OFFER_NOT_FOUND,
                &format!("offer {offer_id} spec {spec_id} does not exist"),
            );
        };
        let quantity = u32::try_from(quantity).unwrap_or(0);
        if quantity == 0 {
            return refused(code::BAD_PARAM, "quantity must be at least 1");
        }
        if offer.stock < quantity || crate::faults::FaultSwitch::roll(faults.out_of_stock_rate) {
            return refused(
                code::STOCK_NOT_ENOUGH,
                &format!("库存不足 offer {offer_id} spec {spec_id}"),
            );
        }
        lines.push(Line {
            offer_id,
            spec_id: spec_id.to_string(),
            title: offer.title.clone(),
            quantity,
            unit_fen: faults.priced(offer.price_fen),
        });
    }
    for line in &lines {
        if let Some(o) = state
            .offers
            .iter_mut()
            .find(|o| o.offer_id == line.offer_id && o.spec_id == line.spec_id)
        {
            o.stock -= line.quantity;
        }
    }
    state.next_id += 7_919;
    let id = state.next_id;
    let courier: Courier = COURIERS
        .get(usize::try_from(id % 5).unwrap_or(0))
        .copied()
        .unwrap_or(COURIERS[0]);
    let order = Order {
        id,
        out_order_id: out_order_id.clone(),
        address: super::orders::ReceivingAddress {
            full_name: field("fullName").to_string(),
            address: field("address").to_string(),
            area: field("areaText").to_string(),
            city: field("cityText").to_string(),
            province: field("provinceText").to_string(),
            post_code: field("postCode").to_string(),
        },
        lines,
        post_fee_fen: shared.config.post_fee_fen,
        created_at: now,
        paid_at: None,
        cancelled_at: None,
        courier,
        refunds: Vec::new(),
    };
    let (total, post) = (order.total_fen(), order.post_fee_fen);
    state.orders.insert(id, order);
    if let Some(reference) = out_order_id {
        *state.placements.entry(reference).or_default() += 1;
    }
    json!({
        "success": true,
        "result": { "orderId": id.to_string(), "totalSuccessAmount": total, "postFee": post },
    })
}

pub(crate) fn pay(shared: &Shared, params: &[(String, String)]) -> Value {
    let order_id = param(params, "tradeWithholdPreparePayParam")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p.get("orderId").and_then(number));
    let Some(order_id) = order_id else {
        return refused(
            code::BAD_PARAM,
            "tradeWithholdPreparePayParam.orderId is missing",
        );
    };
    let now = shared.clock.now();
    let mut state = shared.lock();
    let balance = state.balance_fen;
    let Some(order) = state.orders.get_mut(&order_id) else {
        return refused(code::ORDER_NOT_FOUND, "order does not exist");
    };
    if order.cancelled_at.is_some() || order.paid_at.is_some() {
        return refused(code::STATUS_NOT_ALLOWED, "order is not waiting for payment");
    }
    let total = order.total_fen();
    if balance < total {
        return refused(code::BALANCE_NOT_ENOUGH, "余额不足 (balance not enough)");
    }
    order.paid_at = Some(now);
    state.balance_fen -= total;
    // Cross-border pay (跨境宝) is the channel 1688 uses for cross-border buyers.
    json!({ "success": true, "result": { "payChannel": "kjpayV2", "paySuccess": true } })
}

fn view(order: &Order, shared: &Shared) -> Value {
    let now = shared.clock.now();
    let timing = shared.config.timing();
    let status = order.status(now, &timing);
    let logistics: Vec<Value> = match order.shipped_at(&timing) {
        Some(at) if at <= now && order.cancelled_at.is_none() => vec![json!({
            "logisticsCompanyName": order.courier.name,
            "logisticsCompanyNo": order.courier.code,
            "logisticsBillNo": super::orders::tracking_number(&order.courier, order.id),
            "status": if status == "waitbuyerreceive" { "alreadysend" } else { "alreadysign" },
            "deliveredTime": at.format("%Y%m%d%H%M%S000+0800").to_string(),
        })],
        _ => Vec::new(),
    };
    json!({
        "baseInfo": {
            "id": order.id,
            "idOfStr": order.id.to_string(),
            "status": status,
            "outOrderId": order.out_order_id,
            "totalAmount": yuan(order.total_fen()),
            "sumProductPayment": yuan(order.product_fen()),
            "shippingFee": yuan(order.post_fee_fen),
            "createTime": order.created_at.format("%Y%m%d%H%M%S000+0800").to_string(),
        },
        "productItems": order.lines.iter().enumerate().map(|(i, l)| json!({
            "subItemID": order.entry_id(i),
            "subItemIDString": order.entry_id(i).to_string(),
            "productID": l.offer_id,
            "specId": l.spec_id,
            "name": l.title,
            "quantity": l.quantity,
            "price": yuan(l.unit_fen),
        })).collect::<Vec<_>>(),
        "nativeLogistics": {
            "contactPerson": order.address.full_name,
            "address": order.address.address,
            "area": order.address.area,
            "city": order.address.city,
            "province": order.address.province,
            "zip": order.address.post_code,
            "logisticsItems": logistics,
        },
    })
}

pub(crate) fn buyer_view(shared: &Shared, params: &[(String, String)]) -> Value {
    let Some(order_id) = param(params, "orderId").and_then(|s| s.trim().parse::<u64>().ok()) else {
        return refused(code::BAD_PARAM, "orderId is missing");
    };
    let state = shared.lock();
    match state.orders.get(&order_id) {
        Some(order) => json!({ "success": "true", "result": view(order, shared) }),
        None => refused(code::ORDER_NOT_FOUND, "order does not exist"),
    }
}

pub(crate) fn order_list(shared: &Shared, params: &[(String, String)]) -> Value {
    let page = param(params, "page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let size = param(params, "pageSize")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 50);
    let state = shared.lock();
    let result: Vec<Value> = state
        .orders
        .values()
        .rev()
        .skip((page - 1) * size)
        .take(size)
        .map(|o| view(o, shared))
        .collect();
    json!({ "result": result, "totalRecord": state.orders.len() })
}

/// `alibaba.trade.cancel`: "1688可用于取消未付款的订单" — unpaid orders only. Its answer is
/// `{success, errorCode, errorMessage}` with the documented codes.
pub(crate) fn cancel(shared: &Shared, params: &[(String, String)]) -> Value {
    let failed = |code: &str, message: &str| json!({ "success": false, "errorCode": code, "errorMessage": message });
    let Some(order_id) = param(params, "tradeID").and_then(|s| s.trim().parse::<u64>().ok()) else {
        return failed(code::BAD_PARAM, "tradeID is missing");
    };
    if !["buyerCancel", "sellerGoodsLack", "other"]
        .contains(&param(params, "cancelReason").unwrap_or(""))
        || param(params, "webSite") != Some("1688")
    {
        return failed(
            code::BAD_PARAM,
            "webSite must be 1688 and cancelReason buyerCancel, sellerGoodsLack or other",
        );
    }
    let now = shared.clock.now();
    let mut state = shared.lock();
    let Some(order) = state.orders.get_mut(&order_id) else {
        return failed("ORDER_NOT_EXIST", "订单不存在");
    };
    if order.paid_at.is_some() || order.cancelled_at.is_some() {
        return failed("ORDER_STATUS_ERROR", "订单状态错误");
    }
    cancel_and_restock(&mut state, order_id, now);
    json!({ "success": true })
}

/// Cancels order `order_id` at `now` and puts its units back in the offers' stock.
fn cancel_and_restock(state: &mut super::State, order_id: u64, now: DateTime<Utc>) {
    let Some(order) = state.orders.get_mut(&order_id) else {
        return;
    };
    order.cancelled_at = Some(now);
    let restock: Vec<(u64, String, u32)> = order
        .lines
        .iter()
        .map(|l| (l.offer_id, l.spec_id.clone(), l.quantity))
        .collect();
    for (offer_id, spec_id, quantity) in restock {
        if let Some(o) = state
            .offers
            .iter_mut()
            .find(|o: &&mut MarketplaceOffer| o.offer_id == offer_id && o.spec_id == spec_id)
        {
            o.stock += quantity;
        }
    }
}

/// `alibaba.trade.createRefund`: the buyer asks for a refund (`refund`) or a return and
/// refund (`returnRefund`, only once the goods were received) of some entries of a paid
/// order, with a reason getRefundReasonList offers for that goods status. One open request
/// per entry; at most what was paid for the entries. Refusals carry the doc's codes and
/// words (5001 订单不存在, 5003 货物状态状态不合法, 5004 退款退货原因错误, 5005 需要上传凭证,
/// 5006 退运费大于0, 5010 退货状态错误, 5011 退款金额错误, 5012 退款描述长度错误, 5100
/// 其他未知错误) inside `result`, as `{result: {success, code, message}}`.
pub(crate) fn create_refund(shared: &Shared, params: &[(String, String)]) -> Value {
    let refuse = |code: &str, message: &str| json!({ "result": refused(code, message) });
    let Some(order_id) = param(params, "orderId").and_then(|s| s.trim().parse::<u64>().ok()) else {
        return refuse("5100", "其他未知错误: orderId is missing");
    };
    let entries = super::refunds::entry_list(params);
    let dispute = param(params, "disputeRequest").unwrap_or("");
    let goods_status = param(params, "goodsStatus").unwrap_or("");
    let apply = param(params, "applyPayment").and_then(|a| a.trim().parse::<i64>().ok());
    let reason = param(params, "applyReasonId").and_then(|a| a.trim().parse::<u64>().ok());
    let description = param(params, "description").unwrap_or("").trim();
    let carriage = param(params, "applyCarriage").and_then(|a| a.trim().parse::<i64>().ok());
    let vouchers = param(params, "vouchers")
        .and_then(|v| serde_json::from_str::<Vec<Value>>(v).ok())
        .map_or(0, |v| v.len());
    if entries.is_empty()
        || !["refund", "returnRefund"].contains(&dispute)
        || apply.is_none_or(|a| a < 0)
        || carriage.is_none_or(|c| c < 0)
    {
        return refuse(
            "5100",
            "其他未知错误: orderEntryIds, disputeRequest, applyPayment and applyCarriage are required",
        );
    }
    let Some(offered) = super::refunds::reasons(goods_status) else {
        return refuse("5003", "货物状态状态不合法");
    };
    let Some(reason) = reason.and_then(|id| offered.iter().find(|r| r.id == id).copied()) else {
        return refuse("5004", "退款退货原因错误，请确认原因id");
    };
    if !(2..=150).contains(&description.chars().count()) {
        return refuse("5012", "退款描述长度错误");
    }
    if reason.need_voucher && vouchers == 0 {
        return refuse("5005", "需要上传凭证");
    }
    let (apply, carriage) = (apply.unwrap_or(0), carriage.unwrap_or(0));
    if reason.no_refund_carriage && carriage > 0 {
        return refuse("5006", "退运费大于0");
    }
    let now = shared.clock.now();
    let timing = shared.config.timing();
    let refund_after = super::refunds::chrono(shared.config.refund_after);
    let mut state = shared.lock();
    let closes = state.close_refunds;
    let Some(order) = state.orders.get_mut(&order_id) else {
        return refuse("5001", "订单不存在");
    };
    let status = order.status(now, &timing);
    if order.paid_at.is_none() || order.cancelled_at.is_some() {
        return refuse(
            "5010",
            "退货状态错误: the order cannot be refunded (unpaid or closed)",
        );
    }
    let unshipped = status == "waitsellersend";
    // Goods never shipped cannot have been received; once shipped the buyer may say they were
    // (the warehouse scans them in before the courier's delivery scan reaches 1688).
    let received = matches!(status, "waitbuyerreceive" | "confirm_goods" | "success");
    if dispute == "returnRefund" && !received {
        return refuse(
            "5010",
            "退货状态错误: 只有已收到货，才可以选择退款退货 (return only after the goods were received)",
        );
    }
    // Goods status must match the order: not sent before shipment, in-sale before the trade
    // completes and after-sale once it has.
    let status_fits = match goods_status {
        "refundWaitSellerSend" => unshipped,
        "refundWaitBuyerReceive" | "refundBuyerReceived" => received && status != "success",
        _ => status == "success",
    };
    if !status_fits {
        return refuse(
            "5010",
            "退货状态错误: 货物状态与订单状态不一致 (the goods status does not match the order)",
        );
    }
    let mut paid_fen = 0;
    for entry in &entries {
        let Some(line) = super::refunds::entry_index(order, *entry) else {
            return refuse(
                "5010",
                "退货状态错误: 子订单id错误 (an orderEntryId is not of this order)",
            );
        };
        let l = &order.lines[line];
        paid_fen += l.unit_fen * i64::from(l.quantity);
    }
    if order
        .refunds
        .iter()
        .any(|r| r.open(now) && r.entry_ids.iter().any(|e| entries.contains(e)))
    {
        return refuse(
            "5010",
            "退货状态错误: 重复提交 (a refund is already open for this entry)",
        );
    }
    if apply > paid_fen {
        return refuse("5011", "退款金额错误: 不大于实际付款金额");
    }
    // "等待卖家发货时必须为商品的实际付款金额": before shipment, the whole goods amount.
    if unshipped && apply != paid_fen {
        return refuse(
            "5011",
            "退款金额错误: 等待卖家发货时，必须为商品的实际付款金额",
        );
    }
    let refund_id = format!("TQ{order_id}{}", order.refunds.len() + 1);
    let every_entry_unshipped = unshipped
        && order
            .refunds
            .iter()
            .map(|r| r.entry_ids.len())
            .sum::<usize>()
            + entries.len()
            >= order.lines.len();
    let carriage = carriage.clamp(0, order.post_fee_fen);
    order.refunds.push(super::refunds::SandboxRefund {
        refund_id: refund_id.clone(),
        order_id,
        entry_ids: entries,
        dispute_request: dispute.to_string(),
        apply_payment_fen: apply,
        apply_carriage_fen: carriage,
        reason_id: reason.id,
        description: description.to_string(),
        goods_status: goods_status.to_string(),
        opened_at: now,
        // Every entry asked back before shipment: the seller agrees at once.
        decided_at: if every_entry_unshipped {
            now
        } else {
            now + refund_after
        },
        outcome: if closes && !every_entry_unshipped {
            super::refunds::Outcome::Closed
        } else {
            super::refunds::Outcome::Refunded
        },
        credited: false,
    });
    if every_entry_unshipped {
        // Nothing ships; the money (credited by `settle`) and the stock come back.
        cancel_and_restock(&mut state, order_id, now);
        super::refunds::settle(&mut state, now);
    }
    json!({ "result": { "success": true, "result": { "refundId": refund_id } } })
}

/// The starting catalogue.
pub(crate) fn catalogue() -> Vec<MarketplaceOffer> {
    offers()
}
