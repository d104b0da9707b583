//! CJ Dropshipping, API v2.0 (`shared/reference/protocols.md` §4): token auth with refresh,
//! `createOrderV2` keyed by our reference, order list/detail, payment from the CJ balance,
//! tracking, freight, variant price and stock, refunds through disputes
//! (`docs/protocols/after-sale.md` §4), and the webhooks CJ sends.
//!
//! Layout: [`transport`] is one HTTP exchange and its envelope; [`auth`] the token cache (the
//! connector's only state); [`transformers`] every order wire type and mapping; [`disputes`]
//! the dispute calls and [`dispute_wire`] their wire types; [`webhook`] the messages CJ
//! pushes. This file is the calls, in dropflow's terms.
//!
//! Buying twice is prevented by CJ itself: `orderNumber` is our `attempt_id` and CJ refuses a
//! second order with it, which [`Cj::place`] reports as `Rejected(DuplicateReference)`; the
//! caller then finds the existing order with [`Supplier::find_by_reference`].
//!
//! Logs carry attempt ids, CJ order ids and CJ codes; never the API key, tokens, CJ's
//! messages (which may echo what we sent) or anything of the customer's.

mod auth;
mod dispute_wire;
mod disputes;
mod transformers;
mod transport;
pub mod webhook;

#[cfg(test)]
mod dispute_tests;
#[cfg(test)]
mod tests;

pub use transformers::{
    tracking_status_from_code, tracking_status_from_text, CjOrderStatus, FreightOption,
};
pub use webhook::{parse_webhook, verify_signature, CjEvent, OrderRef, WebhookError, WEBHOOK_ACK};

use super::{ReturnAnswer, ReturnCheck, ReturnRequest, ReturnStatus, Supplier};
use async_trait::async_trait;
use auth::TokenCache;
use dropflow_core::money::Money;
use dropflow_core::supplier::{
    CancelAnswer, CancelRequest, Capabilities, OfferReading, OfferRef, PaymentResult, Placement,
    PurchaseRequest, RejectReason, RemoteOrder, SupplierError, SupplierKind, Tracking,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;
use transformers::{OrderDetail, OrderPage, TrackInfo};
use transport::{code, Call, CallError, Transport};

/// CJ's production base URL.
pub const DEFAULT_BASE_URL: &str = "https://developers.cjdropshipping.com/api2.0/v1";

/// Orders per page when looking an order up by our reference.
const PAGE_SIZE: u64 = 50;

/// The CJ API key (`CJUserNum@api@xxxx`). `Debug` never shows it. `Serialize` writes it as
/// is: only the layered configuration uses it, to carry a key read from the file or the
/// environment.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the one request that sends it.
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// How to reach CJ.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CjConfig {
    #[serde(default = "default_base_url")]
    pub base_url: String,
    pub api_key: ApiKey,
    /// Per request, connect to last byte.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The shipping line (`logisticName`, one freightCalculate offers) used when the
    /// purchase names none.
    #[serde(default = "default_logistic_name")]
    pub logistic_name: String,
    /// The warehouse country (`fromCountryCode`).
    #[serde(default = "default_from_country")]
    pub from_country_code: String,
    /// When set, each variant's current price is read before buying, and a purchase whose
    /// price is more than this many percent above the mapped cost is refused as
    /// `PriceChanged` without creating anything at CJ. One extra call per line.
    #[serde(default)]
    pub price_guard_percent: Option<u32>,
    /// The account's openId: the key CJ signs its webhooks with (`POST /webhooks/cj` is
    /// refused until it is set).
    #[serde(default)]
    pub open_id: Option<String>,
    /// How many pages of recent orders [`Supplier::find_by_reference`] reads before giving up
    /// (CJ's list cannot be filtered by our reference).
    #[serde(default = "default_reference_pages")]
    pub reference_pages: u64,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_logistic_name() -> String {
    "CJPacket Ordinary".to_string()
}
fn default_from_country() -> String {
    "CN".to_string()
}
fn default_reference_pages() -> u64 {
    10
}

impl CjConfig {
    /// A configuration with every default but the key (and the base URL, for sandboxes).
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> Self {
        CjConfig {
            base_url: base_url.into(),
            api_key,
            timeout_ms: default_timeout_ms(),
            logistic_name: default_logistic_name(),
            from_country_code: default_from_country(),
            price_guard_percent: None,
            open_id: None,
            reference_pages: default_reference_pages(),
        }
    }
}

/// The CJ connector.
pub struct Cj {
    config: CjConfig,
    transport: Transport,
    tokens: TokenCache,
}

impl std::fmt::Debug for Cj {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cj")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

impl Cj {
    pub fn new(config: CjConfig) -> Self {
        let transport = Transport::new(
            &config.base_url,
            Duration::from_millis(config.timeout_ms.max(1)),
        );
        Cj {
            config,
            transport,
            tokens: TokenCache::default(),
        }
    }

    /// One authenticated call. A refused token (1600001/1600002) is dropped and the call made
    /// once more with a renewed one: CJ may expire a token before its stated date, and the
    /// refused request was not acted on, so repeating it is safe.
    async fn call(&self, call: Call<'_>) -> Result<Value, CallError> {
        let mut retried = false;
        loop {
            let token = self
                .tokens
                .access_token(&self.transport, &self.config.api_key)
                .await
                .map_err(CallError::Supplier)?;
            match self.transport.send(&call, Some(&token)).await {
                Err(CallError::Api { code, .. }) if code::is_token_refusal(code) && !retried => {
                    tracing::info!(code, path = call.path, "cj: access token refused, renewing");
                    self.tokens.reject(&token).await;
                    retried = true;
                }
                Err(CallError::Api { code, message }) if code::is_auth(code) => {
                    return Err(CallError::Supplier(SupplierError::Unauthorized(format!(
                        "CJ refused our credentials ({code}): {message}"
                    ))));
                }
                other => return other,
            }
        }
    }

    /// The first line whose current price is more than `percent` above its mapped cost.
    async fn price_check(
        &self,
        request: &PurchaseRequest,
        percent: u32,
    ) -> Result<Option<RejectReason>, SupplierError> {
        for line in &request.lines {
            let expected = line.expected_unit_cost;
            let price = self.variant_price(&line.supplier_sku_id).await?;
            // CJ prices in USD; a mapping in another currency cannot be compared here.
            if price.currency != expected.currency {
                continue;
            }
            if dropflow_core::supplier::above_price_guard(expected, price, percent) {
                return Ok(Some(RejectReason::PriceChanged {
                    supplier_sku_id: line.supplier_sku_id.clone(),
                    unit_cost: price,
                }));
            }
        }
        Ok(None)
    }

    /// The order with trackInfo's view of its parcel, when it is on its way. A failed
    /// tracking lookup is not the order's failure: the order status alone is still right.
    async fn with_tracking(&self, detail: &OrderDetail) -> Result<RemoteOrder, SupplierError> {
        let track = match (detail.status(), detail.track_number()) {
            (CjOrderStatus::Shipped, Some(number)) => match self.track_info(&number).await {
                Ok(track) => track,
                Err(error) => {
                    tracing::warn!(%error, "cj: trackInfo failed; using the order status");
                    None
                }
            },
            _ => None,
        };
        transformers::remote_order(detail, track.as_ref())
    }

    async fn track_info(&self, number: &str) -> Result<Option<TrackInfo>, SupplierError> {
        let data = self
            .fetch(Call::get(
                "logistic/trackInfo",
                vec![("trackNumber", number.to_string())],
            ))
            .await?;
        let list: Vec<TrackInfo> = if data.is_null() {
            Vec::new()
        } else {
            transformers::decode(&data, "trackInfo")?
        };
        Ok(list.into_iter().next())
    }

    /// After a refused confirm or payment: `Some(Paid)` when the order is paid already,
    /// `None` when it is confirmed and waits for payment, else `Some(Refused)`.
    async fn settled(
        &self,
        supplier_order_id: &str,
        code: i64,
        message: &str,
    ) -> Result<Option<PaymentResult>, SupplierError> {
        let order = self.order(supplier_order_id).await?;
        Ok(match CjOrderStatus::parse(&order.raw_status) {
            CjOrderStatus::Unshipped | CjOrderStatus::Shipped | CjOrderStatus::Delivered => {
                Some(PaymentResult::Paid)
            }
            CjOrderStatus::Unpaid => None,
            CjOrderStatus::Created
            | CjOrderStatus::InCart
            | CjOrderStatus::Cancelled
            | CjOrderStatus::Other
            | CjOrderStatus::Unknown(_) => {
                tracing::warn!(
                    order_id = supplier_order_id,
                    code,
                    "cj: confirm or payment refused"
                );
                Some(PaymentResult::Refused {
                    detail: format!("CJ {code}: {message}"),
                })
            }
        })
    }

    /// One call whose refusal is final: [`Self::call`] in supplier terms.
    async fn fetch(&self, call: Call<'_>) -> Result<Value, SupplierError> {
        self.call(call).await.map_err(CallError::into_supplier)
    }

    /// A product query keyed by variant id (`?vid=`).
    async fn by_vid(&self, path: &'static str, vid: &str) -> Result<Value, SupplierError> {
        self.fetch(Call::get(path, vec![("vid", vid.to_string())]))
            .await
    }

    /// Our balance with CJ (`shopping/pay/getBalance`).
    pub async fn balance(&self) -> Result<Money, SupplierError> {
        let data = self
            .fetch(Call::get("shopping/pay/getBalance", Vec::new()))
            .await?;
        let amount: Option<transformers::Loose> = data
            .get("amount")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok());
        amount
            .and_then(|a| a.usd())
            .ok_or_else(|| SupplierError::Protocol("getBalance answered no amount".to_string()))
    }

    /// A variant's current price (`product/variant/queryByVid`, `variantSellPrice`).
    pub async fn variant_price(&self, vid: &str) -> Result<Money, SupplierError> {
        let data = self.by_vid("product/variant/queryByVid", vid).await?;
        let price: Option<transformers::Loose> = data
            .get("variantSellPrice")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok());
        price.and_then(|p| p.usd()).ok_or_else(|| {
            SupplierError::Protocol(format!("queryByVid answered no price for {vid}"))
        })
    }

    /// Units in stock across CJ's warehouses (`product/stock/queryByVid`).
    pub async fn stock(&self, vid: &str) -> Result<u64, SupplierError> {
        let data = self.by_vid("product/stock/queryByVid", vid).await?;
        let entries = data.as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .filter_map(|e| e.get("storageNum").or_else(|| e.get("totalInventoryNum")))
            .filter_map(Value::as_u64)
            .sum())
    }

    /// Shipping lines and prices to a destination (`logistic/freightCalculate`), as CJ
    /// orders them.
    pub async fn freight(
        &self,
        to_country: &str,
        zip: Option<&str>,
        lines: &[(String, u32)],
    ) -> Result<Vec<FreightOption>, SupplierError> {
        let body = json!({
            "startCountryCode": self.config.from_country_code,
            "endCountryCode": to_country,
            "zip": zip.unwrap_or_default(),
            "products": lines
                .iter()
                .map(|(vid, quantity)| json!({ "vid": vid, "quantity": quantity }))
                .collect::<Vec<_>>(),
        });
        let data = self
            .fetch(Call::post("logistic/freightCalculate", body))
            .await?;
        let options: Vec<transformers::FreightWire> =
            transformers::decode(&data, "freightCalculate")?;
        Ok(options.iter().filter_map(|o| o.option()).collect())
    }

    /// A tracking number's status as CJ's logistics feed sees it; `None` if CJ has nothing.
    pub async fn tracking(&self, number: &str) -> Result<Option<Tracking>, SupplierError> {
        Ok(self.track_info(number).await?.and_then(|t| t.tracking()))
    }

    /// The account's openId, the key of CJ's webhook signatures ([`verify_signature`]).
    /// Obtains a token first if none is cached.
    pub async fn open_id(&self) -> Result<Option<String>, SupplierError> {
        self.tokens
            .access_token(&self.transport, &self.config.api_key)
            .await?;
        Ok(self.tokens.open_id().await)
    }
}

/// What CJ's API offers: lookup by our `orderNumber` (recent orders), pay from balance,
/// cancel before confirmation, variant prices, refunds through disputes.
pub const CAPABILITIES: Capabilities = Capabilities {
    lookup_by_reference: true,
    pay: true,
    cancel: true,
    catalogue: true,
    returns: true,
    ..Capabilities::NONE
};

#[async_trait]
impl Supplier for Cj {
    fn kind(&self) -> SupplierKind {
        SupplierKind::Cj
    }

    /// A variant's price (`product/variant/queryByVid`) and its stock across CJ's
    /// warehouses (`product/stock/queryByVid`), asked at once. CJ's price and stock do not
    /// depend on the destination.
    async fn read_offer(&self, offer: &OfferRef) -> Result<OfferReading, SupplierError> {
        let vid = offer.supplier_sku_id.as_str();
        let (price, stock) = futures::try_join!(self.variant_price(vid), self.stock(vid))?;
        Ok(OfferReading {
            stock: Some(u32::try_from(stock).unwrap_or(u32::MAX)),
            unit_cost: Some(price),
            note: None,
        })
    }

    async fn place(&self, request: &PurchaseRequest) -> Result<Placement, SupplierError> {
        let attempt_id = request.attempt_id.as_str();
        let body = match transformers::create_order_body(request, &self.config) {
            Ok(body) => body,
            Err(reason) => return Ok(Placement::Rejected(reason)),
        };
        if let Some(percent) = request
            .price_guard_percent
            .or(self.config.price_guard_percent)
        {
            if let Some(reason) = self.price_check(request, percent).await? {
                tracing::info!(attempt_id, "cj: price above the guard, not buying");
                return Ok(Placement::Rejected(reason));
            }
        }
        match self
            .call(Call::post("shopping/order/createOrderV2", body))
            .await
        {
            Ok(data) => {
                let order = transformers::placed_order(&data, attempt_id)?;
                tracing::info!(attempt_id, order_id = %order.supplier_order_id, "cj: order placed");
                Ok(Placement::Placed(order))
            }
            Err(CallError::Api { code, message }) => {
                let reason = transformers::reject_reason(code, &message, &request.lines);
                tracing::warn!(attempt_id, code, "cj: purchase refused");
                Ok(Placement::Rejected(reason))
            }
            Err(CallError::Supplier(error)) => {
                tracing::warn!(attempt_id, %error, "cj: no answer to createOrderV2");
                Err(error)
            }
        }
    }

    async fn find_by_reference(
        &self,
        attempt_id: &str,
    ) -> Result<Option<RemoteOrder>, SupplierError> {
        let pages = self.config.reference_pages.max(1);
        for page in 1..=pages {
            let query = vec![
                ("pageNum", page.to_string()),
                ("pageSize", PAGE_SIZE.to_string()),
            ];
            let data = self.fetch(Call::get("shopping/order/list", query)).await?;
            let list: OrderPage = if data.is_null() {
                OrderPage::default()
            } else {
                transformers::decode(&data, "order list")?
            };
            if let Some(found) = list
                .list
                .iter()
                .find(|o| o.reference().as_deref() == Some(attempt_id))
            {
                tracing::info!(attempt_id, "cj: found the order by our reference");
                return self.with_tracking(found).await.map(Some);
            }
            let seen = page.saturating_mul(PAGE_SIZE);
            let short_page = (list.list.len() as u64) < PAGE_SIZE;
            if short_page || list.total().is_some_and(|total| seen >= total) {
                return Ok(None);
            }
        }
        // Saying "absent" here would allow a second purchase: refuse to guess. CJ cannot be
        // asked further back, as 1688's deeper search cannot: not offered, not a garbled answer.
        Err(SupplierError::NotOffered(format!(
            "order {attempt_id} is not among CJ's {} most recent orders and older ones were \
             not searched; it may still exist",
            pages.saturating_mul(PAGE_SIZE)
        )))
    }

    async fn order(&self, supplier_order_id: &str) -> Result<RemoteOrder, SupplierError> {
        let data = self
            .fetch(Call::get(
                "shopping/order/getOrderDetail",
                vec![("orderId", supplier_order_id.to_string())],
            ))
            .await?;
        let detail: OrderDetail = transformers::decode(&data, "getOrderDetail")?;
        self.with_tracking(&detail).await
    }

    /// Confirms, then pays from the balance. `createOrderV2` with `payType` 3 creates the
    /// order only ("not added to the cart, not confirmed", shopping.html), and CJ's status
    /// table has CREATED "wait confirm", UNPAID "confirm order": so `confirmOrder` (PATCH,
    /// shopping.html 1.9) comes first, then `payBalance` (2.2). Either step may have happened
    /// already (a retry after a lost answer); a refusal is then read back from the order.
    async fn pay(&self, supplier_order_id: &str) -> Result<PaymentResult, SupplierError> {
        let body = json!({ "orderId": supplier_order_id });
        match self
            .call(Call::patch("shopping/order/confirmOrder", body.clone()))
            .await
        {
            Ok(_) => tracing::info!(order_id = supplier_order_id, "cj: order confirmed"),
            Err(CallError::Api { code, message }) => {
                if let Some(settled) = self.settled(supplier_order_id, code, &message).await? {
                    return Ok(settled);
                }
            }
            Err(CallError::Supplier(error)) => return Err(error),
        }
        match self.call(Call::post("shopping/pay/payBalance", body)).await {
            Ok(_) => {
                tracing::info!(order_id = supplier_order_id, "cj: paid from balance");
                Ok(PaymentResult::Paid)
            }
            Err(CallError::Api { code, message }) => match transformers::CjCode::of(code) {
                transformers::CjCode::BalanceInsufficient => {
                    tracing::warn!(order_id = supplier_order_id, code, "cj: balance too low");
                    Ok(PaymentResult::InsufficientBalance)
                }
                // "Order pay fail" and anything else: already paid (a retry), or really
                // refused; the order says which.
                _ => Ok(self
                    .settled(supplier_order_id, code, &message)
                    .await?
                    .unwrap_or_else(|| {
                        tracing::warn!(order_id = supplier_order_id, code, "cj: payment refused");
                        PaymentResult::Refused {
                            detail: format!("CJ {code}: {message}"),
                        }
                    })),
            },
            Err(CallError::Supplier(error)) => Err(error),
        }
    }

    /// A refund asked of CJ through a dispute on the order's goods (see [`disputes`]).
    async fn request_return(&self, request: &ReturnRequest) -> Result<ReturnAnswer, SupplierError> {
        self.open_dispute(request).await
    }

    /// Where that dispute stands, from `getDisputeList` (see [`disputes`]).
    async fn return_status(&self, check: &ReturnCheck) -> Result<ReturnStatus, SupplierError> {
        self.dispute_status(check).await
    }

    /// Cancels an order where CJ's API can: `DELETE shopping/order/deleteOrder?orderId=`
    /// (shopping.html 1.8, "确认订单后则无法删除": once confirmed, an order cannot be
    /// deleted; the answer's `data` is the order id). CJ's API has no other way to cancel:
    /// its disputes (dispute.html: "纠纷接口主要用于处理订单商品的售后纠纷,包括退款和补发",
    /// after-sale claims on goods, refund or reissue) are not a cancellation. So the order is
    /// read first, deleted while it is not confirmed, and otherwise the answer says what a
    /// person can do.
    async fn cancel(&self, request: &CancelRequest) -> Result<CancelAnswer, SupplierError> {
        let id = request.supplier_order_id.as_str();
        let order = self.order(id).await?;
        let status = CjOrderStatus::parse(&order.raw_status);
        Ok(match status {
            CjOrderStatus::Created | CjOrderStatus::InCart => {
                let query = vec![("orderId", id.to_string())];
                match self
                    .call(Call::delete("shopping/order/deleteOrder", query))
                    .await
                {
                    Ok(_) => {
                        tracing::info!(order_id = id, "cj: order deleted");
                        CancelAnswer::Cancelled
                    }
                    Err(CallError::Api { code, message }) => {
                        // Deleted by an earlier try whose answer was lost, or confirmed
                        // meanwhile: the order says which.
                        let now = self.order(id).await?;
                        if CjOrderStatus::parse(&now.raw_status) == CjOrderStatus::Cancelled {
                            CancelAnswer::Cancelled
                        } else {
                            tracing::warn!(order_id = id, code, "cj: delete refused");
                            CancelAnswer::Refused {
                                detail: format!("CJ {code}: {message}"),
                            }
                        }
                    }
                    Err(CallError::Supplier(error)) => return Err(error),
                }
            }
            CjOrderStatus::Cancelled => CancelAnswer::Cancelled,
            CjOrderStatus::Unpaid => CancelAnswer::NotOffered {
                how: format!(
                    "CJ deletes an order only before it is confirmed, and order {id} is \
                     confirmed and unpaid: nothing pays it from here; delete it in CJ's \
                     dashboard if it should not stay"
                ),
            },
            CjOrderStatus::Unshipped => CancelAnswer::NotOffered {
                how: format!(
                    "CJ's API cannot cancel a paid order (deleteOrder works only before \
                     confirmation, and CJ's disputes are for goods received): ask CJ to \
                     cancel order {id} before it ships, then record the refund"
                ),
            },
            CjOrderStatus::Shipped | CjOrderStatus::Delivered => CancelAnswer::Refused {
                detail: format!("CJ has shipped it ({})", order.raw_status),
            },
            CjOrderStatus::Other | CjOrderStatus::Unknown(_) => CancelAnswer::NotOffered {
                how: format!(
                    "CJ reports order {id} as {}: ask CJ to cancel it before it ships",
                    order.raw_status
                ),
            },
        })
    }
}
