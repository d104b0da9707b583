//! A 1688-style marketplace (Alibaba China open platform, `com.alibaba.trade`): dropflow
//! buys the goods on the merchant's behalf and the seller ships them to dropflow's warehouse
//! (issue 4), so the receiving address is always the configured warehouse, never the
//! customer's.
//!
//! Calls: `POST {base_url}/openapi/param2/1/com.alibaba.trade/{api}/{app_key}` with form
//! parameters, `access_token`, `_aop_timestamp` and `_aop_signature` (see
//! [`transformers::signature`]). Buying twice is prevented by `outOrderId` = our attempt id:
//! a second create with it is refused (`Rejected(DuplicateReference)`) and
//! [`Supplier::find_by_reference`] pages through the buyer's orders for it.
//!
//! Price guard: fastCreateOrder takes no price, so the new order (unpaid, cancellable) is read
//! back, and when a unit price is above the guard it is cancelled and reported as
//! `PriceChanged`; nothing is paid.
//!
//! Returns (see `refunds.rs`): a failed item sent back, or a customer case, is asked for with
//! `alibaba.trade.createRefund` (`returnRefund` of its entries, the goods amount in fen, a
//! reason from `alibaba.trade.getRefundReasonList` for those entries, our reference at the
//! head of the description). 1688 refuses a repeat with `5010`; read back with
//! `buyer.queryOrderRefundList`, a request open on the same entries answers
//! `AlreadyRequested`, so a retried job opens one at most. Where it stands:
//! `alibaba.trade.refund.OpQueryOrderRefund` by its refund id, or, the id lost, the order's
//! refunds searched for our reference.
//!
//! Cancelling: `alibaba.trade.cancel` cancels only an unpaid order (its doc: "1688可用于取消
//! 未付款的订单", errors `ORDER_STATUS_ERROR` "只能取消待支付的订单", `ORDER_NOT_EXIST`,
//! `CLOSE_ORDER_TOO_FAST` within 10 s of creation). A paid order the seller has not shipped
//! is asked back with `createRefund` as a refund only (`disputeRequest=refund`,
//! `goodsStatus=refundWaitSellerSend`, `applyPayment` the goods paid, `applyCarriage` the
//! postage, a reason from `getRefundReasonList`); the seller agrees or refuses. Doc pages:
//! open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.cancel-1,
//! …:alibaba.trade.createRefund-1, …:alibaba.trade.getRefundReasonList-1.
//!
//! Logs carry attempt ids, 1688 order ids and codes; never secrets, tokens or messages.

mod refunds;
mod transformers;

#[cfg(test)]
mod refund_tests;
#[cfg(test)]
mod tests;

pub use transformers::{courier_name, supplier_status};

use super::{ReturnAnswer, ReturnCheck, ReturnRequest, ReturnStatus, Supplier};
use async_trait::async_trait;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::supplier::{
    above_price_guard, CancelAnswer, CancelRequest, Capabilities, PaymentResult, Placement,
    PurchaseRequest, RejectReason, RemoteOrder, SupplierError, SupplierKind,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

/// The gateway's production base URL.
pub const DEFAULT_BASE_URL: &str = "https://gw.open.1688.com";
const NAMESPACE: &str = "com.alibaba.trade";
/// alibaba.trade.cancel's answer for an order closed less than 10 s after its creation.
const TOO_FAST: &str = "CLOSE_ORDER_TOO_FAST";
const PAGE_SIZE: u64 = 50;

/// A credential; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Where sellers ship to: dropflow's warehouse, in 1688's address fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarehouseAddress {
    pub full_name: String,
    pub mobile: String,
    pub post_code: String,
    pub province: String,
    pub city: String,
    pub area: String,
    pub address: String,
}

/// `[suppliers.marketplace]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketplaceConfig {
    #[serde(default = "default_base_url")]
    pub base_url: String,
    pub app_key: String,
    pub app_secret: Secret,
    pub access_token: Secret,
    pub warehouse: WarehouseAddress,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Used when the purchase carries no guard of its own.
    #[serde(default)]
    pub price_guard_percent: Option<u32>,
    /// Pages of recent orders searched for our reference before refusing to guess.
    #[serde(default = "default_reference_pages")]
    pub reference_pages: u64,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

/// How long to wait after a rate-limit answer that names no time.
const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_reference_pages() -> u64 {
    10
}

/// Not a business answer: the transport, the gateway, or 1688's `success: false`.
enum CallError {
    Supplier(SupplierError),
    Api { code: String, message: String },
}

impl CallError {
    /// 1688's refusal in words, or (`Err`) the failure to reach or read 1688.
    fn refusal(self) -> Result<String, SupplierError> {
        match self {
            CallError::Api { code, message } => Ok(format!("1688 {code}: {message}")),
            CallError::Supplier(e) => Err(e),
        }
    }

    fn into_supplier(self) -> SupplierError {
        match self {
            CallError::Supplier(e) => e,
            CallError::Api { code, message } => {
                SupplierError::Protocol(format!("1688 refused the call ({code}): {message}"))
            }
        }
    }
}

pub struct Marketplace {
    config: MarketplaceConfig,
    http: crate::outbound::Endpoint,
}

impl std::fmt::Debug for Marketplace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Marketplace")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

impl Marketplace {
    pub fn new(config: MarketplaceConfig) -> Self {
        let http = crate::outbound::Endpoint::new(
            "marketplace",
            "1688",
            Duration::from_millis(config.timeout_ms),
        )
        .rate_limit_wait(RATE_LIMIT_PAUSE)
        .secret(&config.app_secret.0)
        .secret(&config.access_token.0);
        Marketplace { config, http }
    }

    async fn call(&self, api: &str, mut params: Vec<(String, String)>) -> Result<Value, CallError> {
        let url_path = format!("param2/1/{NAMESPACE}/{api}/{}", self.config.app_key);
        params.push(("access_token".into(), self.config.access_token.0.clone()));
        params.push((
            "_aop_timestamp".into(),
            chrono::Utc::now().timestamp_millis().to_string(),
        ));
        let signature = transformers::signature(&self.config.app_secret.0, &url_path, &params);
        params.push(("_aop_signature".into(), signature));
        let url = format!(
            "{}/openapi/{url_path}",
            self.config.base_url.trim_end_matches('/')
        );
        let answer = self
            .http
            .send(api, self.http.post(url).form(&params))
            .await
            .map_err(|e| CallError::Supplier(e.into()))?;
        let body: Value = answer.json().unwrap_or(Value::Null);
        let gateway_code = body["error_code"].as_str().unwrap_or("").to_string();
        if gateway_code.contains("FrequencyLimit") {
            return Err(CallError::Supplier(SupplierError::RateLimited {
                retry_after: answer.retry_after.or(Some(RATE_LIMIT_PAUSE)),
            }));
        }
        // OpQueryOrderRefund's doc lists its refusals (an unknown refund id) under 500, with a
        // service `errorCode` body: an answer about the refund, not an outage.
        if api == refunds::QUERY && answer.status.as_u16() == 500 {
            if let Some(code) = body["errorCode"].as_str() {
                return Err(CallError::Api {
                    code: code.to_string(),
                    message: body["errorMessage"].as_str().unwrap_or("").to_string(),
                });
            }
        }
        if let Some(failure) = answer.transient_failure() {
            return Err(CallError::Supplier(failure.into()));
        }
        if answer.status.as_u16() == 401
            || gateway_code.contains("Signature")
            || gateway_code.contains("AccessToken")
        {
            return Err(CallError::Supplier(SupplierError::Unauthorized(format!(
                "1688 gateway refused our credentials ({gateway_code})"
            ))));
        }
        if !gateway_code.is_empty() || !answer.is_success() {
            return Err(CallError::Supplier(SupplierError::Protocol(format!(
                "1688 gateway answered {} {gateway_code}",
                answer.status
            ))));
        }
        let success = match &body["success"] {
            Value::Bool(b) => *b,
            Value::String(s) => s == "true",
            // getBuyerOrderList answers without a `success` flag.
            Value::Null => body.get("result").is_some(),
            _ => false,
        };
        if success {
            Ok(body)
        } else {
            // Most trade APIs answer `code`/`message`; cancel (and the list) answer
            // `errorCode`/`errorMessage`.
            let field = |a: &str, b: &str| {
                body[a]
                    .as_str()
                    .or_else(|| body[b].as_str())
                    .unwrap_or("")
                    .to_string()
            };
            Err(CallError::Api {
                code: field("code", "errorCode"),
                message: field("message", "errorMessage"),
            })
        }
    }

    async fn detail(&self, supplier_order_id: &str) -> Result<Value, SupplierError> {
        let body = self
            .call(
                "alibaba.trade.get.buyerView",
                vec![
                    ("webSite".into(), "1688".into()),
                    ("orderId".into(), supplier_order_id.to_string()),
                ],
            )
            .await
            .map_err(CallError::into_supplier)?;
        Ok(body["result"].clone())
    }

    /// Cancels an order just created whose price is above the guard (unpaid, so free). 1688
    /// refuses to close an order within 10 s of its creation (`CLOSE_ORDER_TOO_FAST`), so
    /// that answer waits the 10 s and asks once more: leaving the order live would let a
    /// retry find it by our reference and take it as bought.
    async fn cancel_above_guard(&self, supplier_order_id: &str) -> Result<(), SupplierError> {
        let remark = "price above the merchant's guard";
        match self.trade_cancel(supplier_order_id, remark).await {
            Err(CallError::Api { code, .. }) if code == TOO_FAST => {
                tokio::time::sleep(Duration::from_secs(10)).await;
                self.trade_cancel(supplier_order_id, remark).await
            }
            other => other,
        }
        .map_err(CallError::into_supplier)
    }

    /// `alibaba.trade.cancel` of an unpaid order (`webSite`, `tradeID`, `cancelReason`,
    /// `remark`).
    async fn trade_cancel(&self, supplier_order_id: &str, remark: &str) -> Result<(), CallError> {
        let remark: String = remark.chars().take(100).collect();
        self.call(
            "alibaba.trade.cancel",
            vec![
                ("webSite".into(), "1688".into()),
                ("tradeID".into(), supplier_order_id.to_string()),
                ("cancelReason".into(), "buyerCancel".into()),
                ("remark".into(), remark),
            ],
        )
        .await
        .map(|_| ())
    }

    /// After a refusal: cancelled by an earlier try whose answer was lost, or really refused.
    async fn refused(
        &self,
        id: &str,
        code: String,
        message: String,
    ) -> Result<CancelAnswer, SupplierError> {
        let now = transformers::remote_order(&self.detail(id).await?)?;
        if now.status == SupplierOrderStatus::Cancelled {
            return Ok(CancelAnswer::Cancelled);
        }
        tracing::warn!(order_id = id, code, "marketplace: cancel refused");
        Ok(CancelAnswer::Refused {
            detail: format!("1688 {code}: {message}"),
        })
    }

    /// A refund-only request for every entry of a paid order the seller has not shipped.
    async fn refund_unshipped(
        &self,
        id: &str,
        detail: &Value,
        request: &CancelRequest,
    ) -> Result<CancelAnswer, SupplierError> {
        let Some(entries) = transformers::entry_ids(detail) else {
            return Ok(CancelAnswer::NotOffered {
                how: format!("1688 lists no entries for order {id}: ask the seller to cancel it"),
            });
        };
        let reason = match self
            .reason_for(id, &entries, transformers::UNSHIPPED, true)
            .await?
        {
            Ok(reason) => reason,
            Err(words) => {
                return Ok(CancelAnswer::NotOffered {
                    how: format!("{words}: ask the seller to cancel it before they ship"),
                })
            }
        };
        let Some(params) = transformers::cancel_refund_params(detail, &entries, reason, request)
        else {
            return Ok(CancelAnswer::NotOffered {
                how: format!("1688's amounts for order {id} are unreadable: ask the seller"),
            });
        };
        let body = match self.call(refunds::CREATE, params).await {
            Ok(body) => body,
            Err(e) => {
                return Ok(CancelAnswer::Refused {
                    detail: e.refusal()?,
                })
            }
        };
        let reference = match refunds::created(&body["result"]) {
            Ok(refund_id) => refund_id,
            Err((code, message)) => {
                // A repeat (an earlier try whose answer was lost) finds its request open.
                let open = if refunds::maybe_repeat(&code) {
                    self.open_refund_on(id, &entries).await?
                } else {
                    None
                };
                match open {
                    Some(refund_id) => refund_id,
                    None => {
                        return Ok(CancelAnswer::Refused {
                            detail: format!("1688 {code}: {message}"),
                        })
                    }
                }
            }
        };
        tracing::info!(
            order_id = id,
            "marketplace: refund requested before shipment"
        );
        // The seller may have agreed at once: the order then reads cancelled.
        let now = transformers::remote_order(&self.detail(id).await?)?;
        if now.status == SupplierOrderStatus::Cancelled {
            return Ok(CancelAnswer::Cancelled);
        }
        Ok(CancelAnswer::Requested { reference })
    }
}

/// What 1688 offers: lookup by `outOrderId` (recent orders), pay, cancel (unpaid) or a
/// refund request (paid, not shipped), returns; it buys for the warehouse.
pub const CAPABILITIES: Capabilities = Capabilities {
    lookup_by_reference: true,
    pay: true,
    cancel: true,
    returns: true,
    buys_for_warehouse: true,
    ..Capabilities::NONE
};

#[async_trait]
impl Supplier for Marketplace {
    fn kind(&self) -> SupplierKind {
        SupplierKind::Marketplace
    }

    async fn place(&self, request: &PurchaseRequest) -> Result<Placement, SupplierError> {
        let attempt_id = request.attempt_id.as_str();
        let params = match transformers::create_params(request, &self.config) {
            Ok(p) => p,
            Err(reason) => return Ok(Placement::Rejected(reason)),
        };
        let body = match self.call("alibaba.trade.fastCreateOrder", params).await {
            Ok(body) => body,
            Err(CallError::Api { code, message }) => {
                tracing::warn!(attempt_id, code, "marketplace: purchase refused");
                return Ok(Placement::Rejected(transformers::reject_reason(
                    &code,
                    &message,
                    &request.lines,
                )));
            }
            Err(CallError::Supplier(e)) => return Err(e),
        };
        let order_id = body["result"]["orderId"]
            .as_str()
            .map(str::to_string)
            .or_else(|| body["result"]["orderId"].as_u64().map(|n| n.to_string()))
            .ok_or_else(|| SupplierError::Protocol("fastCreateOrder without orderId".into()))?;
        tracing::info!(attempt_id, order_id, "marketplace: order created");
        let detail = self.detail(&order_id).await?;
        if let Some(percent) = request
            .price_guard_percent
            .or(self.config.price_guard_percent)
        {
            let prices = transformers::unit_prices(&detail);
            let above = request.lines.iter().find_map(|line| {
                let (_, price) = prices
                    .iter()
                    .find(|(spec, _)| spec == line.supplier_sku_id.trim())?;
                above_price_guard(line.expected_unit_cost, *price, percent).then(|| {
                    RejectReason::PriceChanged {
                        supplier_sku_id: line.supplier_sku_id.clone(),
                        unit_cost: *price,
                    }
                })
            });
            if let Some(reason) = above {
                // Unpaid, so cancelling is free; the reference is free again afterwards.
                self.cancel_above_guard(&order_id).await?;
                tracing::info!(
                    attempt_id,
                    order_id,
                    "marketplace: price above the guard, cancelled"
                );
                return Ok(Placement::Rejected(reason));
            }
        }
        let mut order = transformers::remote_order(&detail)?;
        order
            .attempt_id
            .get_or_insert_with(|| attempt_id.to_string());
        Ok(Placement::Placed(order))
    }

    async fn find_by_reference(
        &self,
        attempt_id: &str,
    ) -> Result<Option<RemoteOrder>, SupplierError> {
        let pages = self.config.reference_pages.max(1);
        let mut cancelled: Option<RemoteOrder> = None;
        for page in 1..=pages {
            let body = self
                .call(
                    "alibaba.trade.getBuyerOrderList",
                    vec![
                        ("page".into(), page.to_string()),
                        ("pageSize".into(), PAGE_SIZE.to_string()),
                    ],
                )
                .await
                .map_err(CallError::into_supplier)?;
            let list = body["result"].as_array().cloned().unwrap_or_default();
            for entry in &list {
                let order = transformers::remote_order(entry)?;
                if order.attempt_id.as_deref() != Some(attempt_id) {
                    continue;
                }
                // A live order wins over one cancelled by the price guard.
                if order.status != SupplierOrderStatus::Cancelled {
                    return Ok(Some(order));
                }
                cancelled.get_or_insert(order);
            }
            let total = body["totalRecord"].as_u64().unwrap_or(0);
            if (list.len() as u64) < PAGE_SIZE || page.saturating_mul(PAGE_SIZE) >= total {
                return Ok(cancelled);
            }
        }
        Err(SupplierError::NotOffered(format!(
            "order {attempt_id} is not among the {} most recent 1688 orders; it may still exist",
            pages.saturating_mul(PAGE_SIZE)
        )))
    }

    async fn order(&self, supplier_order_id: &str) -> Result<RemoteOrder, SupplierError> {
        transformers::remote_order(&self.detail(supplier_order_id).await?)
    }

    async fn pay(&self, supplier_order_id: &str) -> Result<PaymentResult, SupplierError> {
        let id: u64 = supplier_order_id.trim().parse().map_err(|_| {
            SupplierError::Protocol(format!("{supplier_order_id:?} is not a 1688 order id"))
        })?;
        let param = json!({ "orderId": id }).to_string();
        match self
            .call(
                "alibaba.trade.pay.protocolPay.preparePay",
                vec![("tradeWithholdPreparePayParam".into(), param)],
            )
            .await
        {
            Ok(_) => {
                tracing::info!(order_id = supplier_order_id, "marketplace: paid");
                Ok(PaymentResult::Paid)
            }
            Err(CallError::Api { code, .. }) if code.contains("BALANCE") => {
                Ok(PaymentResult::InsufficientBalance)
            }
            Err(CallError::Api { code, message }) => {
                // Possibly paid by an earlier try whose answer was lost: ask the order.
                let order = transformers::remote_order(&self.detail(supplier_order_id).await?)?;
                match order.status {
                    SupplierOrderStatus::AwaitingShipment
                    | SupplierOrderStatus::Shipped
                    | SupplierOrderStatus::Delivered => Ok(PaymentResult::Paid),
                    SupplierOrderStatus::AwaitingPlacement
                    | SupplierOrderStatus::PlacementUnknown
                    | SupplierOrderStatus::AwaitingPayment
                    | SupplierOrderStatus::Rejected
                    | SupplierOrderStatus::Cancelled => Ok(PaymentResult::Refused {
                        detail: format!("1688 {code}: {message}"),
                    }),
                }
            }
            Err(CallError::Supplier(e)) => Err(e),
        }
    }

    /// `alibaba.trade.createRefund` as a return and refund of the request's entries (their
    /// `subItemID`s read from buyerView), for the goods amount in fen, with a reason from
    /// getRefundReasonList for those entries. A 5010 whose read-back finds a request open on
    /// them is a repeat: `AlreadyRequested`.
    async fn request_return(&self, request: &ReturnRequest) -> Result<ReturnAnswer, SupplierError> {
        let order_id = request.supplier_order_id.trim();
        let detail = self.detail(order_id).await?;
        let Some((entries, goods_status)) = transformers::return_entries(&detail, request) else {
            return Ok(ReturnAnswer::Refused {
                detail: "the 1688 order lists none of the variants going back".into(),
            });
        };
        let reason = match self
            .reason_for(order_id, &entries, goods_status, false)
            .await?
        {
            Ok(reason) => reason,
            Err(detail) => return Ok(ReturnAnswer::Refused { detail }),
        };
        let params = transformers::return_params(request, &entries, goods_status, reason);
        let body = match self.call(refunds::CREATE, params).await {
            Ok(body) => body,
            Err(e) => {
                return Ok(ReturnAnswer::Refused {
                    detail: e.refusal()?,
                })
            }
        };
        match refunds::created(&body["result"]) {
            Ok(refund_id) => {
                tracing::info!(order_id, "marketplace: return requested");
                Ok(ReturnAnswer::Requested { refund_id })
            }
            Err((code, _))
                if refunds::maybe_repeat(&code)
                    && self.open_refund_on(order_id, &entries).await?.is_some() =>
            {
                Ok(ReturnAnswer::AlreadyRequested)
            }
            Err((code, message)) => {
                tracing::warn!(order_id, code, "marketplace: return refused");
                Ok(ReturnAnswer::Refused {
                    detail: format!("1688 {code}: {message}"),
                })
            }
        }
    }

    /// OpQueryOrderRefund by the refund id, or our reference among the order's refunds.
    async fn return_status(&self, check: &ReturnCheck) -> Result<ReturnStatus, SupplierError> {
        self.refund_status(check).await
    }

    /// Cancels an order at whatever stage it is: unpaid → `alibaba.trade.cancel`; paid, not
    /// shipped → a refund-only request the seller agrees to; shipped → refused. A repeat finds
    /// the order cancelled, or its request open.
    async fn cancel(&self, request: &CancelRequest) -> Result<CancelAnswer, SupplierError> {
        let id = request.supplier_order_id.as_str();
        let detail = self.detail(id).await?;
        let status = detail["baseInfo"]["status"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match supplier_status(&status) {
            SupplierOrderStatus::Cancelled => Ok(CancelAnswer::Cancelled),
            SupplierOrderStatus::AwaitingPayment if status == "waitbuyerpay" => {
                match self.trade_cancel(id, &request.reason).await {
                    Ok(()) => {
                        tracing::info!(order_id = id, "marketplace: order cancelled");
                        Ok(CancelAnswer::Cancelled)
                    }
                    // Within 10 s of its creation: a wait (the job asks again), not a no.
                    Err(CallError::Api { code, .. }) if code == TOO_FAST => {
                        Err(SupplierError::RateLimited {
                            retry_after: Some(Duration::from_secs(10)),
                        })
                    }
                    Err(CallError::Api { code, message }) => self.refused(id, code, message).await,
                    Err(CallError::Supplier(e)) => Err(e),
                }
            }
            SupplierOrderStatus::AwaitingShipment => {
                self.refund_unshipped(id, &detail, request).await
            }
            SupplierOrderStatus::Shipped | SupplierOrderStatus::Delivered => {
                Ok(CancelAnswer::Refused {
                    detail: format!("the seller has shipped it (1688 status {status})"),
                })
            }
            SupplierOrderStatus::AwaitingPlacement
            | SupplierOrderStatus::PlacementUnknown
            | SupplierOrderStatus::AwaitingPayment
            | SupplierOrderStatus::Rejected => Ok(CancelAnswer::NotOffered {
                how: format!(
                    "1688 reports order {id} as {status:?}, which its API cannot cancel: ask the \
                     seller before they ship"
                ),
            }),
        }
    }

    /// Sellers ship to the warehouse, never to the customer.
    fn ships_to(&self, _customer: &PostalAddress) -> PostalAddress {
        let w = &self.config.warehouse;
        PostalAddress {
            name: Some(w.full_name.clone()),
            address1: Some(w.address.clone()),
            city: Some(w.city.clone()),
            province: Some(w.province.clone()),
            postal_code: Some(w.post_code.clone()),
            ..PostalAddress::default()
        }
    }
}
