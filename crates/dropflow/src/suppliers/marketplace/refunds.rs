//! 1688 refund requests (退款单): the reason chosen from 1688's own list, createRefund's
//! answer by its documented codes, and where a request stands.
//!
//! Doc pages (copies of open.1688.com, see `docs/protocols/after-sale.md` §6):
//! - getRefundReasonList (apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.
//!   getRefundReasonList-1): `orderId`, `orderEntryIds`, `goodsStatus`, all required →
//!   `result{success, code, message, result{reasons[{id, name, needVoucher,
//!   noRefundCarriage}]}}`. The list is asked per order and goods status and never cached:
//!   the doc takes the order and its entries, so it does not promise one list for all.
//! - createRefund (…alibaba.trade.createRefund-1): codes 5001 order missing, 5003 goods
//!   status, 5004 reason id, 5005 proof needed, 5006 no postage for this reason, 5010 return
//!   status (not received, goods status not matching the order, *repeated submission*), 5011
//!   amount, 5012 description length, 5013 return count, 5100 other.
//! - OpQueryOrderRefund (…alibaba.trade.refund.OpQueryOrderRefund-1): `refundId` →
//!   `result.opOrderRefundModelDetail{refundId, status, refundPayment, refundCarriage (fen),
//!   rejectReason, refundOperationList[{discription}]}`; an unknown or foreign refund id is
//!   `errorCode` `003002` (退款数据错误) or `003` (非授权用户的退款单), listed under 500.
//! - buyer.queryOrderRefundList (…alibaba.trade.refund.buyer.queryOrderRefundList-1):
//!   `orderId`, `currentPageNum` (from 0), `pageSize` → `{result{opOrderRefundModels,
//!   totalCount}, success}`; its example lists no operations.
//! - Statuses: waitselleragree, waitbuyermodify, waitbuyersend, waitsellerreceive,
//!   refundsuccess, refundclose.
//!
//! 1688 takes no key of ours for a refund. Our reference goes into the `description`
//! ("ref {reference}: {reason}"), which 1688 keeps in the application's operation record
//! ("…|退款说明：{description}", as in OpQueryOrderRefund's documented example): a request
//! whose answer was lost is found again by listing the order's refunds and reading each one's
//! operations for it.

use super::transformers::{cny, text};
use super::{CallError, Marketplace};
use crate::suppliers::{ReturnCheck, ReturnStatus};
use dropflow_core::money::Money;
use dropflow_core::supplier::SupplierError;
use serde_json::{json, Value};

pub(crate) const REASONS: &str = "alibaba.trade.getRefundReasonList";
pub(crate) const CREATE: &str = "alibaba.trade.createRefund";
pub(crate) const QUERY: &str = "alibaba.trade.refund.OpQueryOrderRefund";
pub(crate) const LIST: &str = "alibaba.trade.refund.buyer.queryOrderRefundList";
/// createRefund's "退货状态错误", which also answers a repeated submission.
const RETURN_STATUS_ERROR: &str = "5010";
/// OpQueryOrderRefund's codes for a refund id that is not (the caller's) refund.
const UNKNOWN_REFUND: [&str; 2] = ["003002", "003"];
const LIST_PAGE_SIZE: u64 = 50;
/// Pages of an order's refunds read back for our reference (an order has few).
const LIST_PAGES: u64 = 3;

/// Whether a JSON flag is true (1688 writes `true` or `"true"`).
fn flag(v: &Value) -> bool {
    matches!(v, Value::Bool(true)) || v.as_str() == Some("true")
}

/// The first reason of getRefundReasonList's answer that needs no proof uploaded (we upload
/// none: 5005) and, when postage is asked back, that refunds postage (5006).
/// `Err((code, message))`: 1688 refused to list them.
pub(crate) fn choose_reason(
    body: &Value,
    with_carriage: bool,
) -> Result<Option<u64>, (String, String)> {
    let outer = &body["result"];
    if outer.get("success").is_some() && !flag(&outer["success"]) {
        return Err((
            text(&outer["code"]).unwrap_or_default(),
            text(&outer["message"]).unwrap_or_default(),
        ));
    }
    let reasons = outer["result"]["reasons"]
        .as_array()
        .or_else(|| outer["reasons"].as_array())
        .cloned()
        .unwrap_or_default();
    Ok(reasons
        .iter()
        .filter(|r| !flag(&r["needVoucher"]))
        .filter(|r| !(with_carriage && flag(&r["noRefundCarriage"])))
        .find_map(|r| r["id"].as_u64().or_else(|| text(&r["id"])?.parse().ok())))
}

/// What we write as createRefund's `description` (2–150 characters): our reference first, so
/// the request can be found again, then the reason in words.
pub(crate) fn description(reference: &str, reason: &str) -> String {
    let text = format!("ref {}: {}", reference.trim(), reason.trim());
    text.chars().take(150).collect()
}

/// Whether a refund's operation records carry the description we wrote for `reference`.
fn written_by(refund: &Value, reference: &str) -> bool {
    let marker = format!("ref {}:", reference.trim());
    refund["refundOperationList"].as_array().is_some_and(|ops| {
        ops.iter()
            .any(|op| text(&op["discription"]).is_some_and(|d| d.contains(&marker)))
    })
}

/// createRefund's `result` ({success, code, message, result: {refundId}}): the refund id, or
/// the refusal's code and words.
pub(crate) fn created(result: &Value) -> Result<String, (String, String)> {
    match text(&result["result"]["refundId"]) {
        Some(refund_id) if flag(&result["success"]) => Ok(refund_id),
        _ => Err((
            text(&result["code"]).unwrap_or_default(),
            text(&result["message"]).unwrap_or_default(),
        )),
    }
}

fn fen(v: &Value) -> Option<i64> {
    text(v)?.parse().ok()
}

/// An `OpOrderRefundModel` as our view of it. Statuses other than the two endings are a
/// request still with the seller or waiting on us (modify, send the goods back); an unknown
/// one counts as open, never as refunded.
pub(crate) fn status(model: &Value) -> Result<ReturnStatus, SupplierError> {
    let refund_id = text(&model["refundId"]).unwrap_or_default();
    match text(&model["status"])
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "refundsuccess" => {
            let goods = fen(&model["refundPayment"]).ok_or_else(|| {
                SupplierError::Protocol(format!("1688 refund {refund_id} without refundPayment"))
            })?;
            let postage = fen(&model["refundCarriage"]).unwrap_or(0);
            Ok(ReturnStatus::Refunded {
                amount: Money::new(goods + postage, cny()?),
                reference: refund_id,
            })
        }
        "refundclose" => Ok(ReturnStatus::Refused {
            detail: match text(&model["rejectReason"]) {
                Some(why) => format!("1688 closed refund {refund_id}: {why}"),
                None => format!("1688 closed refund {refund_id}"),
            },
        }),
        "waitselleragree" | "waitbuyermodify" | "waitbuyersend" | "waitsellerreceive" => {
            Ok(ReturnStatus::Open)
        }
        other => {
            tracing::warn!(
                refund_id,
                status = other,
                "marketplace: unknown refund status"
            );
            Ok(ReturnStatus::Open)
        }
    }
}

impl Marketplace {
    /// The reason for a request: asked of 1688 for this order, its entries and the goods
    /// status. `Ok(Err(words))`: 1688 refused to list reasons or offers none we can give.
    pub(crate) async fn reason_for(
        &self,
        order_id: &str,
        entries: &[u64],
        goods_status: &str,
        with_carriage: bool,
    ) -> Result<Result<u64, String>, SupplierError> {
        let body = match self
            .call(
                REASONS,
                vec![
                    ("orderId".into(), order_id.to_string()),
                    ("orderEntryIds".into(), json!(entries).to_string()),
                    ("goodsStatus".into(), goods_status.to_string()),
                ],
            )
            .await
        {
            Ok(body) => body,
            Err(e) => return Ok(Err(e.refusal()?)),
        };
        Ok(match choose_reason(&body, with_carriage) {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(format!(
                "1688 offers no refund reason without proof for order {order_id} \
                 ({goods_status})"
            )),
            Err((code, message)) => Err(format!("1688 {code}: {message}")),
        })
    }

    /// After a 5010: the refund already open on any of `entries`, if there is one (a repeat),
    /// else `None` (the 5010 was about the order's status).
    pub(crate) async fn open_refund_on(
        &self,
        order_id: &str,
        entries: &[u64],
    ) -> Result<Option<String>, SupplierError> {
        for refund in self.order_refunds(order_id).await? {
            let on_entry = refund["orderEntryIdList"].as_array().is_some_and(|list| {
                list.iter()
                    .filter_map(|e| e.as_u64().or_else(|| text(e)?.parse().ok()))
                    .any(|e| entries.contains(&e))
            });
            if on_entry && status(&refund)? == ReturnStatus::Open {
                return Ok(text(&refund["refundId"]));
            }
        }
        Ok(None)
    }

    /// The order's refunds, newest first (buyer.queryOrderRefundList, a few pages).
    async fn order_refunds(&self, order_id: &str) -> Result<Vec<Value>, SupplierError> {
        let mut all = Vec::new();
        for page in 0..LIST_PAGES {
            let body = self
                .call(
                    LIST,
                    vec![
                        ("orderId".into(), order_id.to_string()),
                        ("currentPageNum".into(), page.to_string()),
                        ("pageSize".into(), LIST_PAGE_SIZE.to_string()),
                    ],
                )
                .await
                .map_err(CallError::into_supplier)?;
            let models = body["result"]["opOrderRefundModels"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let total = body["result"]["totalCount"].as_u64().unwrap_or(0);
            let got = models.len() as u64;
            all.extend(models);
            if got < LIST_PAGE_SIZE || (page + 1) * LIST_PAGE_SIZE >= total {
                break;
            }
        }
        Ok(all)
    }

    /// OpQueryOrderRefund: the refund's model, `None` when 1688 does not know the id.
    async fn refund(
        &self,
        refund_id: &str,
        operations: bool,
    ) -> Result<Option<Value>, SupplierError> {
        match self
            .call(
                QUERY,
                vec![
                    ("refundId".into(), refund_id.to_string()),
                    ("needTimeOutInfo".into(), "false".into()),
                    ("needOrderRefundOperation".into(), operations.to_string()),
                ],
            )
            .await
        {
            Ok(body) => {
                let model = &body["result"]["opOrderRefundModelDetail"];
                if model.is_object() {
                    Ok(Some(model.clone()))
                } else {
                    Err(SupplierError::Protocol(
                        "OpQueryOrderRefund without opOrderRefundModelDetail".into(),
                    ))
                }
            }
            Err(CallError::Api { code, .. }) if UNKNOWN_REFUND.contains(&code.as_str()) => Ok(None),
            Err(e) => Err(e.into_supplier()),
        }
    }

    /// Where a return request stands: by its refund id, or (the id was lost) by our reference
    /// among the order's refunds.
    pub(crate) async fn refund_status(
        &self,
        check: &ReturnCheck,
    ) -> Result<ReturnStatus, SupplierError> {
        if let Some(id) = check
            .request_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
        {
            return match self.refund(id.trim(), false).await? {
                Some(model) => status(&model),
                None => Ok(ReturnStatus::NotFound),
            };
        }
        for listed in self.order_refunds(check.supplier_order_id.trim()).await? {
            let Some(id) = text(&listed["refundId"]) else {
                continue;
            };
            // The list carries no operation records: read each refund with them.
            if let Some(model) = self.refund(&id, true).await? {
                if written_by(&model, &check.reference) {
                    return status(&model);
                }
            }
        }
        Ok(ReturnStatus::NotFound)
    }
}

/// Codes whose refusal we read as "already asked" once the read-back confirms it.
pub(crate) fn maybe_repeat(code: &str) -> bool {
    code == RETURN_STATUS_ERROR
}
