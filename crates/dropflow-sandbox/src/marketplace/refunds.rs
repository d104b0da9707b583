//! The sandbox's refund requests (1688 退款单): what the buyer asked, where each stands at
//! sandbox time, the reasons the buyer may give, and the refund APIs' answers.
//!
//! Real (copies of the open.1688.com doc pages, see `docs/protocols/after-sale.md` §6):
//! - `alibaba.trade.getRefundReasonList` (…apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.
//!   getRefundReasonList-1): `orderId`, `orderEntryIds` and `goodsStatus` all required; answer
//!   `result{code, message, success, result{reasons[{id, name, needVoucher, noRefundCarriage,
//!   tip}]}}`; caller errors `5xxx`.
//! - `alibaba.trade.refund.OpQueryOrderRefund` (…alibaba.trade.refund.OpQueryOrderRefund-1):
//!   `refundId` (TQ+id), `needTimeOutInfo`, `needOrderRefundOperation`; answer
//!   `result.opOrderRefundModelDetail` (`refundId`, `id`, `orderId`, `orderEntryIdList`,
//!   `status`, `applyPayment` / `applyCarriage` / `refundPayment` / `refundCarriage` in fen,
//!   `applyReasonId`, `applyReason`, `goodsStatus` 1 not received / 2 received, `onlyRefund`,
//!   `refundGoods`, `disputeType` 1 in-sale / 2 after-sale, `gmtApply`, `gmtCompleted`,
//!   `rejectReason`, `refundOperationList[{afterOperateStatus, beforeOperateStatus,
//!   discription, operateRemark, refundId}]`); an unknown refund id is the documented
//!   `{"errorCode":"003002","errorMessage":"SERVICE:INVOKE_FAIL:退款数据错误…","cause":
//!   "errorCode:REFUND_DATA_ERROR,…"}` listed under `500`.
//! - `alibaba.trade.refund.buyer.queryOrderRefundList` (…alibaba.trade.refund.buyer.
//!   queryOrderRefundList-1): `orderId`, `currentPageNum` (from 0), `pageSize`; answer
//!   `{result{opOrderRefundModels[…], totalCount, currentPageNum}, success}` (no operations).
//! - The refund status vocabulary: waitselleragree, waitbuyermodify, waitbuyersend,
//!   waitsellerreceive, refundsuccess, refundclose.
//!
//! Modelled: the reason ids other than the two the doc examples show (20021
//! 颜色/图案/款式不符, 20028 不想买了，已与卖家协商一致), which reasons need proof, and the
//! seller's pace: a request waits for the seller (`waitselleragree`) for half of
//! `refund_after`, a return then waits for the goods (`waitsellerreceive`), and at
//! `refund_after` it ends `refundsuccess` (the money goes back to the buyer balance) or, when
//! the test switch [`super::MarketplaceSandbox::close_refunds`] was on at its creation,
//! `refundclose`. Whether 1688 answers that `003002` with HTTP 500 or 200 is not stated; the
//! sandbox uses 500, as the doc's table lists it.

use super::api::{param, refused};
use super::orders::Order;
use super::Shared;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{json, Value};
use std::time::Duration;

/// How a refund request ends (decided when it is opened).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The seller refunds.
    Refunded,
    /// The seller refuses and the request closes (`refundclose`).
    Closed,
}

/// A refund (return) request the buyer opened on some of an order's entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxRefund {
    pub refund_id: String,
    pub order_id: u64,
    pub entry_ids: Vec<u64>,
    /// `refund` or `returnRefund`.
    pub dispute_request: String,
    pub apply_payment_fen: i64,
    pub apply_carriage_fen: i64,
    pub reason_id: u64,
    pub description: String,
    pub goods_status: String,
    pub opened_at: DateTime<Utc>,
    /// When the seller ends it (refunded or closed).
    pub decided_at: DateTime<Utc>,
    pub outcome: Outcome,
    /// The money went back to the buyer balance (once, when it ended `refundsuccess`).
    pub credited: bool,
}

impl SandboxRefund {
    /// 1688's refund status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        if now >= self.decided_at {
            return match self.outcome {
                Outcome::Refunded => "refundsuccess",
                Outcome::Closed => "refundclose",
            };
        }
        let halfway = self.opened_at + (self.decided_at - self.opened_at) / 2;
        if now >= halfway && self.dispute_request == "returnRefund" {
            "waitsellerreceive"
        } else {
            "waitselleragree"
        }
    }

    /// Still open at `now` (a second request on its entries is a repeat).
    pub fn open(&self, now: DateTime<Utc>) -> bool {
        now < self.decided_at
    }

    fn received(&self) -> bool {
        matches!(
            self.goods_status.as_str(),
            "refundBuyerReceived" | "aftersaleBuyerReceived"
        )
    }
}

pub(crate) fn chrono(d: Duration) -> ChronoDuration {
    ChronoDuration::milliseconds(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
}

/// A reason from getRefundReasonList.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reason {
    pub id: u64,
    pub name: &'static str,
    pub need_voucher: bool,
    pub no_refund_carriage: bool,
}

const fn reason(id: u64, name: &'static str, need_voucher: bool, no_carriage: bool) -> Reason {
    Reason {
        id,
        name,
        need_voucher,
        no_refund_carriage: no_carriage,
    }
}

/// The reasons offered for a goods status (`None`: not a goods status). Proof is needed for
/// quality claims; a change of mind refunds no postage once the goods were received.
pub(crate) fn reasons(goods_status: &str) -> Option<Vec<Reason>> {
    match goods_status {
        "refundWaitSellerSend" => Some(vec![
            reason(20_028, "不想买了，已与卖家协商一致", false, false),
            reason(20_031, "拍错/多拍/不喜欢", false, false),
            reason(20_032, "未按约定时间发货", false, false),
        ]),
        "refundWaitBuyerReceive" | "aftersaleBuyerNotReceived" => Some(vec![
            reason(20_033, "快递一直未送到", false, false),
            reason(20_034, "快递无跟踪记录", true, false),
            reason(20_028, "不想买了，已与卖家协商一致", false, true),
        ]),
        "refundBuyerReceived" | "aftersaleBuyerReceived" => Some(vec![
            reason(20_041, "质量问题", true, false),
            reason(20_021, "颜色/图案/款式不符", false, false),
            reason(20_042, "少件/漏发", true, false),
            reason(20_028, "不想买了，已与卖家协商一致", false, true),
        ]),
        _ => None,
    }
}

/// `alibaba.trade.getRefundReasonList`: every parameter required, the entries of the order.
pub(crate) fn refund_reasons(shared: &Shared, params: &[(String, String)]) -> Value {
    let fail = |code: &str, message: &str| json!({ "result": refused(code, message) });
    let Some(order_id) = param(params, "orderId").and_then(|s| s.trim().parse::<u64>().ok()) else {
        return fail("5100", "orderId is missing");
    };
    let entries = entry_list(params);
    if entries.is_empty() {
        return fail("5100", "orderEntryIds is required (子订单需要数组输入)");
    }
    let state = shared.lock();
    let Some(order) = state.orders.get(&order_id) else {
        return fail("5001", "订单不存在");
    };
    if !entries.iter().all(|e| entry_index(order, *e).is_some()) {
        return fail(
            "5010",
            "子订单id错误 (an orderEntryId is not of this order)",
        );
    }
    let Some(list) = reasons(param(params, "goodsStatus").unwrap_or("")) else {
        return fail("5003", "货物状态状态不合法");
    };
    let reasons: Vec<Value> = list
        .iter()
        .map(|r| {
            json!({ "id": r.id, "name": r.name, "needVoucher": r.need_voucher,
                "noRefundCarriage": r.no_refund_carriage, "tip": "" })
        })
        .collect();
    json!({ "result": { "success": true, "code": null, "message": null,
        "result": { "reasons": reasons } } })
}

/// `orderEntryIds`, a JSON array of numbers (or numeric strings).
pub(crate) fn entry_list(params: &[(String, String)]) -> Vec<u64> {
    param(params, "orderEntryIds")
        .and_then(|e| serde_json::from_str::<Vec<Value>>(e).ok())
        .map(|e| {
            e.iter()
                .filter_map(|v| match v {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn entry_index(order: &Order, entry: u64) -> Option<usize> {
    (0..order.lines.len()).find(|i| order.entry_id(*i) == entry)
}

/// Credits every refund that ended `refundsuccess` by `now` to the buyer balance, once.
pub(crate) fn settle(state: &mut super::State, now: DateTime<Utc>) {
    let mut credit = 0;
    for refund in state.orders.values_mut().flat_map(|o| o.refunds.iter_mut()) {
        if !refund.credited && refund.status(now) == "refundsuccess" {
            refund.credited = true;
            credit += refund.apply_payment_fen + refund.apply_carriage_fen;
        }
    }
    state.balance_fen += credit;
}

fn time(at: DateTime<Utc>) -> String {
    // 1688's date format, as in the doc examples ("20180423171116000+0800").
    (at + ChronoDuration::hours(8))
        .format("%Y%m%d%H%M%S000+0800")
        .to_string()
}

/// The refund as `OpOrderRefundModel`, at `now`.
fn model(refund: &SandboxRefund, now: DateTime<Utc>, operations: bool) -> Value {
    let status = refund.status(now);
    let done = status == "refundsuccess";
    let reason = reasons(&refund.goods_status)
        .unwrap_or_default()
        .into_iter()
        .find(|r| r.id == refund.reason_id)
        .map_or("", |r| r.name);
    let id: u64 = refund
        .refund_id
        .trim_start_matches("TQ")
        .parse()
        .unwrap_or(0);
    let mut model = json!({
        "id": id,
        "refundId": refund.refund_id,
        "orderId": refund.order_id,
        "orderEntryIdList": refund.entry_ids,
        "status": status,
        "applyPayment": refund.apply_payment_fen,
        "applyCarriage": refund.apply_carriage_fen,
        "refundPayment": if done { refund.apply_payment_fen } else { 0 },
        "refundCarriage": if done { refund.apply_carriage_fen } else { 0 },
        "canRefundPayment": refund.apply_payment_fen,
        "applyReasonId": refund.reason_id,
        "applyReason": reason,
        "goodsStatus": if refund.received() { 2 } else { 1 },
        "goodsReceived": refund.received(),
        "onlyRefund": refund.dispute_request == "refund",
        "refundGoods": refund.dispute_request == "returnRefund",
        "disputeType": if refund.goods_status.starts_with("aftersale") { 2 } else { 1 },
        "gmtApply": time(refund.opened_at),
        "gmtCreate": time(refund.opened_at),
        "gmtModified": time(now.min(refund.decided_at)),
        "rejectTimes": if status == "refundclose" { 1 } else { 0 },
        "rejectReasonId": 0,
        "tradeTypeStr": "50060",
    });
    if now >= refund.decided_at {
        model["gmtCompleted"] = json!(time(refund.decided_at));
    }
    if status == "refundclose" {
        model["rejectReason"] = json!("商品无质量问题，不同意退款");
    }
    if operations {
        model["refundOperationList"] = json!(operation_list(refund, now, reason));
    }
    model
}

/// The operation records, newest first, the application's `discription` written the way the
/// doc example writes it ("退款诉求：退货退款|申请原因：…|货品情况：已收到货|退款货品金额：0.01|
/// 退款运费金额：0.00|退款说明：…").
fn operation_list(refund: &SandboxRefund, now: DateTime<Utc>, reason: &str) -> Vec<Value> {
    let yuan = |fen: i64| format!("{}.{:02}", fen / 100, fen % 100);
    let applied = format!(
        "退款诉求：{}|申请原因：{reason}|货品情况：{}|退款货品金额：{}|退款运费金额：{}|退款说明：{}",
        if refund.dispute_request == "refund" { "仅退款" } else { "退货退款" },
        if refund.received() { "已收到货" } else { "未收到货" },
        yuan(refund.apply_payment_fen),
        yuan(refund.apply_carriage_fen),
        refund.description,
    );
    let mut list = vec![json!({
        "discription": applied, "operateRemark": "买家申请退款协议，等待卖家确认",
        "operateTypeInt": 1, "operatorRoleId": 1, "refundId": refund.refund_id,
        "gmtCreate": time(refund.opened_at),
    })];
    if now >= refund.decided_at {
        let (after, remark) = match refund.outcome {
            Outcome::Refunded => ("refundsuccess", "退款成功"),
            Outcome::Closed => ("refundclose", "退款关闭"),
        };
        list.insert(
            0,
            json!({ "afterOperateStatus": after, "beforeOperateStatus": "waitselleragree",
                "discription": remark, "operateRemark": remark, "operatorRoleId": 2,
                "refundId": refund.refund_id, "gmtCreate": time(refund.decided_at) }),
        );
    }
    list
}

/// The documented answer for a refund id 1688 does not know (or not the caller's).
fn unknown_refund(refund_id: &str) -> Value {
    json!({
        "errorCode": "003002",
        "errorMessage": "SERVICE:INVOKE_FAIL:退款数据错误，请检查退款单号，退款单号的格式一般为TD+id",
        "cause": format!("errorCode:REFUND_DATA_ERROR,errorMsg:refundId : {refund_id},cause:null"),
    })
}

/// `alibaba.trade.refund.OpQueryOrderRefund` (`Err`: the documented 500 answer).
pub(crate) fn query_refund(shared: &Shared, params: &[(String, String)]) -> Result<Value, Value> {
    let refund_id = param(params, "refundId").unwrap_or("").trim();
    let operations = param(params, "needOrderRefundOperation") == Some("true");
    let now = shared.clock.now();
    let mut state = shared.lock();
    settle(&mut state, now);
    let found = state
        .orders
        .values()
        .flat_map(|o| o.refunds.iter())
        .find(|r| !refund_id.is_empty() && r.refund_id == refund_id);
    match found {
        Some(refund) => Ok(json!({ "result": {
            "opOrderRefundModelDetail": model(refund, now, operations) } })),
        None => Err(unknown_refund(refund_id)),
    }
}

/// `alibaba.trade.refund.buyer.queryOrderRefundList` by `orderId`, newest first, paged from 0.
pub(crate) fn refund_list(shared: &Shared, params: &[(String, String)]) -> Value {
    let order_id = param(params, "orderId").and_then(|s| s.trim().parse::<u64>().ok());
    let page = param(params, "currentPageNum")
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let size = param(params, "pageSize")
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 50);
    let now = shared.clock.now();
    let mut state = shared.lock();
    settle(&mut state, now);
    let mut all: Vec<&SandboxRefund> = state
        .orders
        .values()
        .filter(|o| order_id.is_none_or(|id| o.id == id))
        .flat_map(|o| o.refunds.iter())
        .collect();
    all.sort_by_key(|r| std::cmp::Reverse(r.opened_at));
    let models: Vec<Value> = all
        .iter()
        .skip(page * size)
        .take(size)
        .map(|r| {
            let mut m = model(r, now, false);
            m["refundOperationList"] = json!([]);
            m
        })
        .collect();
    json!({ "result": { "opOrderRefundModels": models, "totalCount": all.len(),
        "currentPageNum": page }, "success": true })
}
