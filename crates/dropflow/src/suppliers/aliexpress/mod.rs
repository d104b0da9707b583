//! AliExpress Open Platform, dropshipping APIs (protocols.md §3): the IOP `/sync` endpoint
//! with HMAC-SHA256 signed parameters ([`sign`]), order create, order query, tracking query,
//! freight query and product query.
//!
//! How the [`Supplier`] calls map onto AliExpress, and where AliExpress falls short:
//!
//! - **place** asks first (product query per line for the SKU's ordering key `sku_attr`,
//!   price and stock; freight query per line for the delivery option and fee), then creates
//!   the order with `out_order_id = attempt_id`. AliExpress refuses a second create with the
//!   same `out_order_id` within 24 h (`REPEATED_ORDER_ERROR` → `DuplicateReference`), so a
//!   retry of the same attempt inside that window can never buy twice. After 24 h it could:
//!   callers must not re-place an attempt older than that. [`AliExpress::quote`] gives the
//!   same prices without buying, for the price guard.
//! - **Payment is AliExpress's**: with `try_to_pay` (the default) AliExpress charges the
//!   account's own payment method when the order is created.
//! - **One order per seller.** A create may return several order numbers (one per seller
//!   store). They are kept together, comma-joined, as one `supplier_order_id`; [`order`] and
//!   [`pay`] read every one of them.
//! - **find_by_reference cannot be done**: the documented DS API has no lookup by
//!   `out_order_id` and no order list; the order query takes AliExpress's own order id only.
//!   It answers `SupplierError::NotOffered` instead of a guess (see the method).
//! - **pay cannot be done by API**: there is no pay call (§3.5); an order is paid by
//!   `try_to_pay` at creation or by a person in the AliExpress buyer centre. `pay` reports
//!   what AliExpress says about the payment, truthfully (see the method).
//!
//! [`order`]: Supplier::order
//! [`pay`]: Supplier::pay

mod client;
mod sign;
mod transformers;

#[cfg(test)]
mod tests;

use super::Supplier;
use async_trait::async_trait;
use dropflow_core::money::Money;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::supplier::{
    CancelAnswer, CancelRequest, Capabilities, OfferReading, OfferRef, PaymentResult, Placement,
    PurchaseLine, PurchaseRequest, RejectReason, RemoteItem, RemoteOrder, SupplierError,
    SupplierKind, Tracking,
};
use futures::future::try_join_all;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use transformers as wire;

const PRODUCT_GET: &str = "aliexpress.ds.product.get";
const FREIGHT_QUERY: &str = "aliexpress.ds.freight.query";
const ORDER_CREATE: &str = "aliexpress.ds.order.create";
const ORDER_GET: &str = "aliexpress.trade.ds.order.get";
const TRACKING_GET: &str = "aliexpress.ds.order.tracking.get";

/// The connector's settings, readable as a config section.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliExpressConfig {
    /// The business endpoint, `https://api-sg.aliexpress.com/sync` unless testing.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    pub app_key: String,
    pub app_secret: String,
    /// The buyer account's access token (`session`), from `/auth/token/create` (§3.6).
    pub access_token: String,
    /// How long one call may take before it counts as a timeout.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The currency orders are paid and quoted in (`pay_currency`, `target_currency`).
    #[serde(default = "default_pay_currency")]
    pub pay_currency: String,
    /// Ask AliExpress to charge the account's payment method when the order is created
    /// (`try_to_pay`). Off, every order waits to be paid by hand in the AliExpress buyer
    /// centre, since there is no pay API.
    #[serde(default = "default_try_to_pay")]
    pub try_to_pay: bool,
}

fn default_base_url() -> String {
    "https://api-sg.aliexpress.com/sync".into()
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_pay_currency() -> String {
    "USD".into()
}

fn default_try_to_pay() -> bool {
    true
}

impl AliExpressConfig {
    /// Settings for `base_url` with these credentials, every other field at its default.
    pub fn new(
        base_url: impl Into<String>,
        app_key: impl Into<String>,
        app_secret: impl Into<String>,
        access_token: impl Into<String>,
    ) -> Self {
        AliExpressConfig {
            base_url: base_url.into(),
            app_key: app_key.into(),
            app_secret: app_secret.into(),
            access_token: access_token.into(),
            timeout_ms: default_timeout_ms(),
            pay_currency: default_pay_currency(),
            try_to_pay: default_try_to_pay(),
        }
    }
}

/// Secrets are never printed, not even in a debug dump of the configuration.
impl std::fmt::Debug for AliExpressConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliExpressConfig")
            .field("base_url", &self.base_url)
            .field("app_key", &self.app_key)
            .field("app_secret", &"***")
            .field("access_token", &"***")
            .field("timeout_ms", &self.timeout_ms)
            .field("pay_currency", &self.pay_currency)
            .field("try_to_pay", &self.try_to_pay)
            .finish()
    }
}

/// The AliExpress dropshipping connector. Holds configuration only, no order state.
pub struct AliExpress {
    base_url: String,
    app_key: String,
    app_secret: String,
    access_token: String,
    http: crate::outbound::Endpoint,
    pay_currency: String,
    try_to_pay: bool,
}

impl std::fmt::Debug for AliExpress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliExpress")
            .field("base_url", &self.base_url)
            .field("app_key", &self.app_key)
            .field("timeout", &self.http.timeout())
            .finish_non_exhaustive()
    }
}

impl AliExpress {
    pub fn new(config: AliExpressConfig) -> Self {
        let http = crate::outbound::Endpoint::new(
            "aliexpress",
            "AliExpress",
            Duration::from_millis(config.timeout_ms),
        )
        .secret(&config.access_token)
        .secret(&config.app_secret);
        AliExpress {
            base_url: config.base_url,
            app_key: config.app_key,
            app_secret: config.app_secret,
            access_token: config.access_token,
            http,
            pay_currency: config.pay_currency,
            try_to_pay: config.try_to_pay,
        }
    }
}

/// What AliExpress asks today for a purchase, before buying: the price guard's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// One per request line, in the request's order.
    pub lines: Vec<QuotedLine>,
    /// Goods at today's prices, when every line's currency agrees.
    pub goods: Option<Money>,
    /// Shipping of the chosen methods, when every fee is known in one currency.
    pub shipping: Option<Money>,
    /// Goods plus shipping.
    pub total: Option<Money>,
}

/// One request line as AliExpress prices it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedLine {
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    pub quantity: u32,
    /// The SKU's key in an order (`sku_attr`), from the product query.
    pub sku_attr: String,
    /// Today's unit price (the sale price when there is one).
    pub unit_cost: Money,
    /// Units AliExpress says it has (`u32::MAX` when it does not say).
    pub available: u32,
    pub shipping: ShippingChoice,
}

/// A delivery option from the freight query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingChoice {
    /// `logistics_service_name` in an order ("CAINIAO_STANDARD").
    pub code: String,
    pub company: Option<String>,
    /// `None` when AliExpress gives no readable fee.
    pub fee: Option<Money>,
    pub min_days: Option<u32>,
    pub max_days: Option<u32>,
}

/// A quote, or why AliExpress would not sell this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteOutcome {
    Quoted(Quote),
    Refused(RejectReason),
}

/// What the product and freight queries said about one request line.
struct LineAnswer<'a> {
    line: &'a PurchaseLine,
    offer: Result<wire::SkuOffer, RejectReason>,
    shipping: Result<ShippingChoice, RejectReason>,
}

impl AliExpress {
    /// Prices a purchase without buying: per line, the product query (SKU key, price, stock)
    /// and the freight query (the requested shipping method, or the cheapest), all at once.
    /// The first line AliExpress would not sell as asked makes it `Refused`.
    pub async fn quote(&self, request: &PurchaseRequest) -> Result<QuoteOutcome, SupplierError> {
        let country = match checked_destination(request) {
            Ok(address) => address.country,
            Err(reason) => return Ok(QuoteOutcome::Refused(reason)),
        };
        let answers = self.ask(request, &country).await?;
        let mut lines = Vec::with_capacity(answers.len());
        for answer in answers {
            let line = answer.line;
            let offer = match answer.offer {
                Ok(offer) => offer,
                Err(reason) => return Ok(QuoteOutcome::Refused(reason)),
            };
            if offer.available < line.quantity {
                return Ok(QuoteOutcome::Refused(RejectReason::OutOfStock {
                    supplier_sku_id: line.supplier_sku_id.clone(),
                }));
            }
            let shipping = match answer.shipping {
                Ok(choice) => choice,
                Err(reason) => return Ok(QuoteOutcome::Refused(reason)),
            };
            lines.push(QuotedLine {
                supplier_product_id: line.supplier_product_id.clone(),
                supplier_sku_id: line.supplier_sku_id.clone(),
                quantity: line.quantity,
                sku_attr: offer.sku_attr,
                unit_cost: offer.unit_cost,
                available: offer.available,
                shipping,
            });
        }
        let goods = wire::sum(lines.iter().map(|l| wire::times(l.unit_cost, l.quantity)));
        let shipping = wire::sum(lines.iter().map(|l| l.shipping.fee));
        let total = wire::sum([goods, shipping]);
        Ok(QuoteOutcome::Quoted(Quote {
            lines,
            goods,
            shipping,
            total,
        }))
    }

    /// The product and freight queries of every line, all at once.
    async fn ask<'a>(
        &self,
        request: &'a PurchaseRequest,
        country: &str,
    ) -> Result<Vec<LineAnswer<'a>>, SupplierError> {
        let province = request.ship_to.province_code.as_deref();
        let wanted = request.shipping_method.as_deref();
        try_join_all(request.lines.iter().map(|line| async move {
            let (product, options) = futures::try_join!(
                self.product(&line.supplier_product_id, country),
                self.freight(line, country, province),
            )?;
            let offer =
                wire::sku_offer(&product, &line.supplier_product_id, &line.supplier_sku_id)?;
            let shipping =
                options.and_then(|o| wire::choose_shipping(o, wanted, &line.supplier_product_id));
            Ok(LineAnswer {
                line,
                offer,
                shipping,
            })
        }))
        .await
    }

    /// `aliexpress.ds.product.get` for one product shipped to `country`.
    async fn product(
        &self,
        product_id: &str,
        country: &str,
    ) -> Result<wire::ProductResult, SupplierError> {
        let result = self
            .call(
                PRODUCT_GET,
                &[
                    ("product_id", product_id.to_string()),
                    ("ship_to_country", country.to_string()),
                    ("target_currency", self.pay_currency.clone()),
                    ("target_language", "en".to_string()),
                    ("remove_personal_benefit", "false".to_string()),
                ],
            )
            .await?;
        wire::decode(PRODUCT_GET, result)
    }

    /// `aliexpress.ds.freight.query` for one line: its delivery options, or why none.
    async fn freight(
        &self,
        line: &PurchaseLine,
        country: &str,
        province: Option<&str>,
    ) -> Result<Result<Vec<ShippingChoice>, RejectReason>, SupplierError> {
        let request = wire::FreightRequest {
            quantity: line.quantity,
            ship_to_country: country,
            product_id: &line.supplier_product_id,
            selected_sku_id: &line.supplier_sku_id,
            language: "en_US",
            locale: "en_US",
            currency: &self.pay_currency,
            province_code: province,
            city_code: None,
        };
        let json = to_json(FREIGHT_QUERY, &request)?;
        let result = self
            .call(FREIGHT_QUERY, &[("queryDeliveryReq", json)])
            .await?;
        let result: wire::FreightResult = wire::decode(FREIGHT_QUERY, result)?;
        Ok(wire::delivery_options(&result, &line.supplier_product_id))
    }

    /// `aliexpress.trade.ds.order.get` for one AliExpress order.
    async fn order_info(&self, order_id: u64) -> Result<wire::OrderResult, SupplierError> {
        let query = serde_json::json!({ "order_id": order_id }).to_string();
        let result = self
            .call(ORDER_GET, &[("single_order_query", query)])
            .await?;
        wire::decode(ORDER_GET, result)
    }

    /// One AliExpress order with its tracking (the tracking query only once goods may have
    /// left, to spare the quota).
    async fn one_order(&self, order_id: u64) -> Result<Part, SupplierError> {
        let info = self.order_info(order_id).await?;
        let details = if wire::may_have_tracking(&info) {
            let result = self
                .call(
                    TRACKING_GET,
                    &[
                        ("ae_order_id", order_id.to_string()),
                        ("language", "en_US".to_string()),
                    ],
                )
                .await?;
            wire::tracking_details(wire::decode(TRACKING_GET, result)?)?
        } else {
            Vec::new()
        };
        Ok(Part {
            status: wire::supplier_status(info.order_status(), info.logistics_status()),
            raw_status: info.raw_status(),
            total_cost: info.total_cost(),
            tracking: wire::tracking(&info, details),
            items: info.items(),
        })
    }

    /// Product and freight queries, then the order create.
    ///
    /// Only the create's answer can tell a new attempt from a repeat (`REPEATED_ORDER_ERROR`),
    /// so the create is sent whenever it can be built — when every SKU's ordering key is
    /// known — even if the queries saw too little stock or no suitable delivery option:
    /// AliExpress then answers with its own refusal, or with "repeat" when an earlier attempt
    /// already took the stock. Re-placing an attempt after a timeout thus gets the answer
    /// that matters.
    async fn place_after_asking(
        &self,
        request: &PurchaseRequest,
    ) -> Result<Placement, SupplierError> {
        let address = match checked_destination(request) {
            Ok(address) => address,
            Err(reason) => return Ok(Placement::Rejected(reason)),
        };
        let answers = match self.ask(request, &address.country).await {
            Ok(answers) => answers,
            // The queries only read: nothing was ordered, so this is not a timeout of the
            // purchase (which would put the attempt in *placement unknown* for nothing).
            Err(SupplierError::Timeout) => {
                return Err(SupplierError::Unavailable(
                    "AliExpress did not answer the product or freight query in time; nothing \
                     was ordered"
                        .into(),
                ))
            }
            Err(other) => return Err(other),
        };
        let mut lines = Vec::with_capacity(answers.len());
        let mut costs = Vec::with_capacity(2 * answers.len());
        for answer in &answers {
            let line = answer.line;
            let offer = match &answer.offer {
                Ok(offer) => offer,
                Err(reason) => return Ok(Placement::Rejected(reason.clone())),
            };
            if let Some(percent) = request.price_guard_percent {
                if dropflow_core::supplier::above_price_guard(
                    line.expected_unit_cost,
                    offer.unit_cost,
                    percent,
                ) {
                    tracing::info!(attempt_id = %request.attempt_id, "aliexpress: price above the guard, not buying");
                    return Ok(Placement::Rejected(RejectReason::PriceChanged {
                        supplier_sku_id: line.supplier_sku_id.clone(),
                        unit_cost: offer.unit_cost,
                    }));
                }
            }
            let shipping = answer.shipping.as_ref().ok();
            costs.push(wire::times(offer.unit_cost, line.quantity));
            costs.push(shipping.and_then(|s| s.fee));
            lines.push(wire::OrderLine {
                supplier_sku_id: line.supplier_sku_id.clone(),
                quantity: line.quantity,
                sku_attr: offer.sku_attr.clone(),
                service: shipping
                    .map(|s| s.code.clone())
                    .or_else(|| request.shipping_method.clone()),
                available: offer.available,
            });
        }
        let order = wire::place_order_request(request, &lines, address);
        let extend = wire::extend_request(&self.pay_currency, self.try_to_pay);
        let params = [
            (
                "param_place_order_request4_open_api_d_t_o",
                to_json(ORDER_CREATE, &order)?,
            ),
            ("ds_extend_request", to_json(ORDER_CREATE, &extend)?),
        ];
        let result = self.call(ORDER_CREATE, &params).await?;
        let result: wire::CreateResult = wire::decode(ORDER_CREATE, result)?;
        match wire::create_outcome(result, &lines)? {
            wire::CreateOutcome::Created(numbers) => {
                tracing::info!(
                    supplier = "aliexpress",
                    attempt_id = %request.attempt_id,
                    orders = %numbers.join(","),
                    "order placed"
                );
                Ok(Placement::Placed(RemoteOrder {
                    supplier_order_id: numbers.join(","),
                    attempt_id: Some(request.attempt_id.clone()),
                    // What a new order is (§3.5); its next status comes from the order query.
                    status: SupplierOrderStatus::AwaitingPayment,
                    raw_status: "PLACE_ORDER_SUCCESS".into(),
                    // The create answer carries only numbers: goods and shipping as queried.
                    total_cost: wire::sum(costs),
                    tracking: Vec::new(),
                    items: Vec::new(),
                    ship_to: None,
                }))
            }
            wire::CreateOutcome::Refused(reason) => {
                tracing::info!(
                    supplier = "aliexpress",
                    attempt_id = %request.attempt_id,
                    "order refused"
                );
                Ok(Placement::Rejected(reason))
            }
        }
    }
}

/// The address AliExpress needs, or why there is nothing to send: refused before any call,
/// since AliExpress would refuse it anyway.
fn checked_destination(request: &PurchaseRequest) -> Result<wire::LogisticsAddress, RejectReason> {
    if request.lines.is_empty() {
        return Err(RejectReason::Other {
            detail: "the purchase has no lines".into(),
        });
    }
    wire::logistics_address(&request.ship_to)
}

/// A request body as the JSON text a parameter carries. Serialising these plain structs
/// cannot fail; if it ever did, nothing would be sent, which is what `Protocol` says.
fn to_json<T: Serialize>(api: &str, value: &T) -> Result<String, SupplierError> {
    serde_json::to_string(value).map_err(|e| SupplierError::Protocol(format!("{api}: {e}")))
}

/// One AliExpress order's share of a (possibly multi-seller) supplier order.
struct Part {
    status: SupplierOrderStatus,
    raw_status: String,
    total_cost: Option<Money>,
    tracking: Vec<Tracking>,
    items: Vec<RemoteItem>,
}

/// The AliExpress order numbers inside one `supplier_order_id` ("8198…" or "8198…,8199…").
fn order_ids(supplier_order_id: &str) -> Result<Vec<u64>, SupplierError> {
    let ids: Result<Vec<u64>, _> = supplier_order_id
        .split(',')
        .map(|id| id.trim().parse::<u64>())
        .collect();
    match ids {
        Ok(ids) if !ids.is_empty() => Ok(ids),
        _ => Err(SupplierError::Protocol(format!(
            "{supplier_order_id:?} is not an AliExpress order number"
        ))),
    }
}

/// How far an order is, to combine the orders of several sellers: the least advanced live
/// one decides; cancelled ones count only when all are.
fn progress(status: SupplierOrderStatus) -> u8 {
    use SupplierOrderStatus as S;
    match status {
        S::AwaitingPlacement | S::PlacementUnknown | S::Rejected => 0,
        S::AwaitingPayment => 1,
        S::AwaitingShipment => 2,
        S::Shipped => 3,
        S::Delivered => 4,
        S::Cancelled => u8::MAX,
    }
}

fn combine(supplier_order_id: &str, parts: Vec<Part>) -> RemoteOrder {
    let status = parts
        .iter()
        .map(|p| p.status)
        .min_by_key(|s| progress(*s))
        .unwrap_or(SupplierOrderStatus::AwaitingPayment);
    let raw_status = parts
        .iter()
        .map(|p| p.raw_status.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let total_cost = wire::sum(parts.iter().map(|p| p.total_cost));
    let items = parts.iter().flat_map(|p| p.items.clone()).collect();
    let tracking = parts.into_iter().flat_map(|p| p.tracking).collect();
    RemoteOrder {
        supplier_order_id: supplier_order_id.to_string(),
        attempt_id: None,
        status,
        raw_status,
        total_cost,
        tracking,
        items,
        // `aliexpress.trade.ds.order.get` returns no receiving address (§3.5).
        ship_to: None,
    }
}

/// What AliExpress's dropshipping API offers: products and prices before buying; no lookup by
/// our reference, no pay call, no cancellation, no returns (see the module docs).
pub const CAPABILITIES: Capabilities = Capabilities {
    catalogue: true,
    ..Capabilities::NONE
};

#[async_trait]
impl Supplier for AliExpress {
    fn kind(&self) -> SupplierKind {
        SupplierKind::Aliexpress
    }

    /// Product and freight queries (the SKU's ordering key, price, delivery option), then the
    /// order create with `out_order_id = attempt_id`.
    ///
    /// A timeout of the queries is `Unavailable` (nothing was ordered; retrying is safe); a
    /// timeout of the create is `Timeout`. `total_cost` is goods plus shipping as queried
    /// just before (the create answer carries only order numbers), `None` when a price or fee
    /// is unknown. Within 24 h, placing the same attempt again answers
    /// `Rejected(DuplicateReference)` if the first went through.
    async fn place(&self, request: &PurchaseRequest) -> Result<Placement, SupplierError> {
        self.place_after_asking(request).await
    }

    /// `aliexpress.ds.product.get` for the destination: the SKU's sale price (what an order is
    /// charged) and `sku_available_stock`, read as [`AliExpress::quote`] reads them. A SKU or
    /// product it no longer has reads 0 with the reason; one not shipped to the country read
    /// for reads unknown, with the reason.
    async fn read_offer(&self, offer: &OfferRef) -> Result<OfferReading, SupplierError> {
        let product = self
            .product(&offer.supplier_product_id, &offer.ship_to_country)
            .await?;
        Ok(
            match wire::sku_offer(&product, &offer.supplier_product_id, &offer.supplier_sku_id)? {
                Ok(sku) => OfferReading {
                    stock: Some(sku.available),
                    unit_cost: Some(sku.unit_cost),
                    note: None,
                },
                // Not shipped to the country read for: it may still ship to an order's own
                // country, so its stock is not said rather than said to be none.
                Err(RejectReason::NotDeliverable { detail }) => OfferReading {
                    stock: None,
                    unit_cost: None,
                    note: Some(detail),
                },
                Err(reason) => OfferReading {
                    stock: Some(0),
                    unit_cost: None,
                    note: Some(match reason {
                        RejectReason::Other { detail } => detail,
                        other => format!("{other:?}"),
                    }),
                },
            },
        )
    }

    /// Not possible with AliExpress's documented API, so it says so instead of guessing.
    ///
    /// The DS API has no lookup by `out_order_id`, no order list, and the order query takes
    /// only AliExpress's own order number, which a timed-out create never gave us (§3.5).
    /// `Ok(None)` would claim "no such order" and invite a second purchase, so the answer is
    /// a non-transient error: the attempt stays *placement unknown* for a person to check in
    /// the AliExpress buyer centre.
    ///
    /// What AliExpress does offer is idempotency: within 24 h of the first attempt, calling
    /// [`Supplier::place`] again with the same attempt is safe — `Rejected(DuplicateReference)`
    /// means the first attempt created the order (its number still has to be linked by a
    /// person), `Placed` means it had not and now has, once. Any other refusal of such a
    /// re-place proves nothing: AliExpress does not document whether it checks for repeats
    /// before stock or address, so the attempt must stay in doubt.
    async fn find_by_reference(
        &self,
        attempt_id: &str,
    ) -> Result<Option<RemoteOrder>, SupplierError> {
        tracing::info!(
            supplier = "aliexpress",
            attempt_id,
            "lookup by reference is not offered by AliExpress"
        );
        Err(SupplierError::NotOffered(
            "AliExpress's dropshipping API cannot look an order up by out_order_id: \
             check the AliExpress buyer centre, or place the same attempt again within \
             24 h (a repeat is refused as a duplicate if the first one went through)"
                .into(),
        ))
    }

    /// Order query and, once goods may have left, tracking query, for every AliExpress order
    /// in `supplier_order_id`.
    async fn order(&self, supplier_order_id: &str) -> Result<RemoteOrder, SupplierError> {
        let ids = order_ids(supplier_order_id)?;
        let parts = try_join_all(ids.into_iter().map(|id| self.one_order(id))).await?;
        Ok(combine(supplier_order_id, parts))
    }

    /// AliExpress has no pay call (§3.5): an order is charged when created with `try_to_pay`
    /// or paid by hand in the AliExpress buyer centre. So this reads the order and reports
    /// the payment as it stands: `Paid` once AliExpress has the money; `Refused` when the
    /// order waits for a payment only a person can make (or for a complete address, or is
    /// closed); a transient `Unavailable` while AliExpress is still processing the charge.
    /// It never answers `InsufficientBalance`: AliExpress does not say why a charge failed.
    async fn pay(&self, supplier_order_id: &str) -> Result<PaymentResult, SupplierError> {
        let ids = order_ids(supplier_order_id)?;
        let infos = try_join_all(ids.iter().map(|id| self.order_info(*id))).await?;
        let mut processing = None;
        let mut unknown = None;
        for (id, info) in ids.iter().zip(&infos) {
            match wire::payment(info.order_status(), info.logistics_status()) {
                wire::Payment::Paid => {}
                wire::Payment::Unpaid => {
                    let how = if self.try_to_pay {
                        "AliExpress did not take the payment when the order was placed"
                    } else {
                        "orders are placed without payment (try_to_pay is off)"
                    };
                    return Ok(PaymentResult::Refused {
                        detail: format!(
                            "{how}; AliExpress has no API to pay: pay order {id} in the \
                             AliExpress buyer centre"
                        ),
                    });
                }
                wire::Payment::AddressIncomplete => {
                    return Ok(PaymentResult::Refused {
                        detail: format!(
                            "AliExpress waits for a complete address on order {id} \
                             (WAIT_COMPLETE_ADDRESS)"
                        ),
                    })
                }
                wire::Payment::Closed => {
                    return Ok(PaymentResult::Refused {
                        detail: format!("AliExpress order {id} is closed ({})", info.raw_status()),
                    })
                }
                wire::Payment::Processing => processing = Some(*id),
                wire::Payment::Unknown => unknown = Some((*id, info.raw_status())),
            }
        }
        if let Some((id, raw)) = unknown {
            return Err(SupplierError::Protocol(format!(
                "AliExpress order {id} has a status we do not know ({raw}); cannot tell \
                 whether it is paid"
            )));
        }
        if let Some(id) = processing {
            return Err(SupplierError::Unavailable(format!(
                "AliExpress is still processing the payment of order {id}; ask again later"
            )));
        }
        Ok(PaymentResult::Paid)
    }

    /// The DS API creates, reads and tracks orders; it has no cancellation (§3.5 lists none,
    /// and no AliExpress page read documents one). An unpaid order closes by itself when its
    /// `pay_timeout_second` runs out; a paid one can be cancelled by the buyer in the
    /// AliExpress buyer centre until the seller ships it, which is the deadline.
    async fn cancel(&self, request: &CancelRequest) -> Result<CancelAnswer, SupplierError> {
        Ok(CancelAnswer::NotOffered {
            how: format!(
                "AliExpress's dropshipping API cannot cancel an order: cancel order {} in \
                 the AliExpress buyer centre before the seller ships it (the last moment \
                 AliExpress lets a buyer cancel), then record the refund",
                request.supplier_order_id
            ),
        })
    }
}
