//! Every CJ wire type the connector reads or writes, and every mapping between CJ's vocabulary
//! and `dropflow_core::supplier`. No IO here: the mappings are tested table by table.
//!
//! CJ is loose with JSON types (ids and amounts arrive as numbers or strings, `null` where a
//! field does not apply), so wire fields are read through [`Loose`] and `Option`.

use super::CjConfig;
use dropflow_core::money::Money;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::reference::country::CountryCode;
use dropflow_core::reference::currency::Currency;
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::supplier::{
    PurchaseLine, PurchaseRequest, RejectReason, RemoteItem, RemoteOrder, SupplierError, Tracking,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// CJ's longest `orderNumber` (the V2 table says 50; the older Chinese page says 40).
pub(crate) const MAX_ORDER_NUMBER: usize = 50;

/// `payType` 3: create the order only. Payment is a separate call ([`super::Cj`]'s `pay`), so
/// the merchant's auto-pay setting and the price guard decide, not CJ.
const PAY_TYPE_CREATE_ONLY: u8 = 3;

/// CJ's codes, "Appendix 1: Global Error Codes" (developers.cjdropshipping.com/en/api/api2/
/// standard/ps-code.html). CJ asks clients to go by the code, never the message; the message
/// is read only where one code covers several causes (1603000 "Order create fail", 1600300
/// "Illegal parameter").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CjCode {
    /// 200.
    Success,
    /// 1600000 "System busy": retry, at most 3 times.
    SystemBusy,
    /// 1600001–1600011, 1600030, 1600031: token, API key or account authorisation.
    Authorisation(i64),
    /// 1600100 "The interface has been taken offline", 1600101 "Interface not found".
    InterfaceGone(i64),
    /// 1600200 "Call exceeded limit".
    CallLimit,
    /// 1600201 "Quota has been used up".
    QuotaUsedUp,
    /// 1600300 "Illegal parameter".
    IllegalParameter,
    /// 1601000 "User not found".
    UserNotFound,
    /// 1602000 "Variant not found", 1602001 "Product not found".
    ProductGone(i64),
    /// 1603000 "Order create fail".
    OrderCreateFail,
    /// 1603001 "Order confirm fail".
    OrderConfirmFail,
    /// 1603002 "Order delete fail".
    OrderDeleteFail,
    /// 1603100 "Order not found".
    OrderNotFound,
    /// 1603101 "Order pay fail".
    OrderPayFail,
    /// 1604000 "Balance is insufficient".
    BalanceInsufficient,
    /// 1605000 "Logistic not found".
    LogisticNotFound,
    /// 1606000, 1606001: webhook settings.
    Webhook(i64),
    /// Anything CJ may add.
    Unknown(i64),
}

impl CjCode {
    pub(crate) fn of(code: i64) -> CjCode {
        match code {
            200 => CjCode::Success,
            1_600_000 => CjCode::SystemBusy,
            1_600_001..=1_600_011 | 1_600_030 | 1_600_031 => CjCode::Authorisation(code),
            1_600_100 | 1_600_101 => CjCode::InterfaceGone(code),
            1_600_200 => CjCode::CallLimit,
            1_600_201 => CjCode::QuotaUsedUp,
            1_600_300 => CjCode::IllegalParameter,
            1_601_000 => CjCode::UserNotFound,
            1_602_000 | 1_602_001 => CjCode::ProductGone(code),
            1_603_000 => CjCode::OrderCreateFail,
            1_603_001 => CjCode::OrderConfirmFail,
            1_603_002 => CjCode::OrderDeleteFail,
            1_603_100 => CjCode::OrderNotFound,
            1_603_101 => CjCode::OrderPayFail,
            1_604_000 => CjCode::BalanceInsufficient,
            1_605_000 => CjCode::LogisticNotFound,
            1_606_000 | 1_606_001 => CjCode::Webhook(code),
            other => CjCode::Unknown(other),
        }
    }
}

/// A JSON scalar CJ sends sometimes as a number, sometimes as a string.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum Loose {
    Text(String),
    Number(serde_json::Number),
}

impl Loose {
    pub(crate) fn text(&self) -> String {
        match self {
            Loose::Text(s) => s.trim().to_string(),
            Loose::Number(n) => n.to_string(),
        }
    }

    /// An amount in US dollars (CJ prices everything in USD), exactly when it has at most
    /// two decimals, rounded to the cent otherwise (CJ's JSON floats can carry noise).
    pub(crate) fn usd(&self) -> Option<Money> {
        let usd = Currency::from_code("USD").ok()?;
        let text = self.text();
        Money::parse_decimal(&text, usd).ok().or_else(|| {
            let value: f64 = text.parse().ok().filter(|v: &f64| v.is_finite())?;
            Some(Money::new((value * 100.0).round() as i64, usd))
        })
    }
}

fn loose_text(value: &Option<Loose>) -> Option<String> {
    value.as_ref().map(Loose::text).filter(|s| !s.is_empty())
}

fn present(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

// ---- order statuses -------------------------------------------------------------------

/// CJ's `orderStatus` values (protocols.md §4.3; from third-party clients quoting CJ's docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CjOrderStatus {
    /// Created (`payType` 3 stops here).
    Created,
    /// In CJ's cart, waiting for confirmation.
    InCart,
    /// Confirmed, waiting for payment.
    Unpaid,
    /// Paid; CJ is preparing it.
    Unshipped,
    Shipped,
    Delivered,
    Cancelled,
    /// CJ's documented catch-all.
    Other,
    /// Anything CJ may add later.
    Unknown(String),
}

impl CjOrderStatus {
    /// Every documented value, as CJ writes it.
    pub const DOCUMENTED: [&'static str; 8] = [
        "CREATED",
        "IN_CART",
        "UNPAID",
        "UNSHIPPED",
        "SHIPPED",
        "DELIVERED",
        "CANCELLED",
        "OTHER",
    ];

    pub fn parse(raw: &str) -> CjOrderStatus {
        match raw.trim().to_ascii_uppercase().as_str() {
            "CREATED" => CjOrderStatus::Created,
            "IN_CART" => CjOrderStatus::InCart,
            "UNPAID" => CjOrderStatus::Unpaid,
            "UNSHIPPED" => CjOrderStatus::Unshipped,
            "SHIPPED" => CjOrderStatus::Shipped,
            "DELIVERED" => CjOrderStatus::Delivered,
            // Both spellings appear in CJ material.
            "CANCELLED" | "CANCELED" => CjOrderStatus::Cancelled,
            "OTHER" => CjOrderStatus::Other,
            other => CjOrderStatus::Unknown(other.to_string()),
        }
    }

    /// Our supplier-order status for CJ's.
    pub fn supplier_status(&self) -> SupplierOrderStatus {
        match self {
            // The order exists at CJ and waits for money from us in all three.
            CjOrderStatus::Created | CjOrderStatus::InCart | CjOrderStatus::Unpaid => {
                SupplierOrderStatus::AwaitingPayment
            }
            CjOrderStatus::Unshipped => SupplierOrderStatus::AwaitingShipment,
            CjOrderStatus::Shipped => SupplierOrderStatus::Shipped,
            CjOrderStatus::Delivered => SupplierOrderStatus::Delivered,
            CjOrderStatus::Cancelled => SupplierOrderStatus::Cancelled,
            // OTHER and anything unknown: the order *exists* (we read it from CJ), so
            // AwaitingPlacement or PlacementUnknown would invite buying it again; Shipped or
            // Delivered would fulfil the store order without a parcel. AwaitingPayment is
            // the least advanced state that is true of an existing order, and its worst
            // case is a pay call CJ refuses (which `pay` reads back from the order status).
            CjOrderStatus::Other | CjOrderStatus::Unknown(_) => {
                SupplierOrderStatus::AwaitingPayment
            }
        }
    }

    /// What the parcel's status is when all we know is the order's.
    fn shipment_status(&self) -> ShipmentStatus {
        match self {
            // Shipped without scans seen yet (protocols.md §5.3: "SHIPPED (no scans)").
            CjOrderStatus::Shipped => ShipmentStatus::InfoReceived,
            CjOrderStatus::Delivered => ShipmentStatus::Delivered,
            CjOrderStatus::Created
            | CjOrderStatus::InCart
            | CjOrderStatus::Unpaid
            | CjOrderStatus::Unshipped
            | CjOrderStatus::Cancelled
            | CjOrderStatus::Other
            | CjOrderStatus::Unknown(_) => ShipmentStatus::Pending,
        }
    }
}

// ---- tracking statuses ----------------------------------------------------------------

/// The `trackingStatus` codes of CJ's LOGISTIC webhook (0–14, from a third-party
/// transcription of CJ's docs; UNVERIFIED). Unknown codes are `Pending`, never final.
pub fn tracking_status_from_code(code: i64) -> ShipmentStatus {
    match code {
        // No information yet.
        0 => ShipmentStatus::Pending,
        // Warehouse shipped out: the label exists, the carrier has not scanned it.
        1 => ShipmentStatus::InfoReceived,
        // Forwarder received / dispatched, international transit, arrived at destination,
        // customs initiated / cleared, last-mile pickup.
        2 | 4 | 5 | 6 | 7 | 8 | 9 => ShipmentStatus::InTransit,
        // Forwarder return: the parcel is going the wrong way.
        3 => ShipmentStatus::Exception,
        10 => ShipmentStatus::OutForDelivery,
        11 => ShipmentStatus::AvailableForPickup,
        12 => ShipmentStatus::Delivered,
        // "Delivery failed / exception": attention needed either way, and Exception does
        // not claim a delivery attempt CJ may not have made.
        13 => ShipmentStatus::Exception,
        // Returned to sender.
        14 => ShipmentStatus::Exception,
        _ => ShipmentStatus::Pending,
    }
}

/// `trackingStatus` as trackInfo writes it: a number, or a phrase. Phrases are matched on
/// words, most specific first ("Last-Mile Pickup" is transit, "Ready For Pickup" is not).
pub fn tracking_status_from_text(text: &str) -> ShipmentStatus {
    let t = text.trim().to_ascii_lowercase();
    if let Ok(code) = t.parse::<i64>() {
        return tracking_status_from_code(code);
    }
    PHRASES
        .iter()
        .find(|(words, _)| words.iter().any(|w| t.contains(w)))
        .map_or(ShipmentStatus::Pending, |(_, status)| *status)
}

/// The words of a tracking phrase and the status they mean, most specific first: the first
/// row with a word in the phrase decides.
const PHRASES: &[(&[&str], ShipmentStatus)] = &[
    (&["out for delivery"], ShipmentStatus::OutForDelivery),
    (
        &["delivery failed", "failed delivery", "attempt"],
        ShipmentStatus::AttemptFail,
    ),
    (&["exception", "return", "fail"], ShipmentStatus::Exception),
    (&["delivered"], ShipmentStatus::Delivered),
    (
        &[
            "ready for pickup",
            "available for pickup",
            "awaiting collection",
        ],
        ShipmentStatus::AvailableForPickup,
    ),
    (&["expired"], ShipmentStatus::Expired),
    (
        &[
            "transit",
            "customs",
            "arrived",
            "dispatch",
            "forwarder",
            "pickup",
            "departed",
        ],
        ShipmentStatus::InTransit,
    ),
    (
        &["shipped out", "info received", "label", "warehouse"],
        ShipmentStatus::InfoReceived,
    ),
];

// ---- creating an order ----------------------------------------------------------------

/// The createOrderV2 body for `request`, or why it cannot be sent at all.
pub(crate) fn create_order_body(
    request: &PurchaseRequest,
    config: &CjConfig,
) -> Result<Value, RejectReason> {
    let reference = request.attempt_id.trim();
    if reference.is_empty() || reference.chars().count() > MAX_ORDER_NUMBER {
        return Err(RejectReason::Other {
            detail: format!("our reference must be 1–{MAX_ORDER_NUMBER} characters for CJ"),
        });
    }
    let products = merged_lines(&request.lines)?;
    let address = &request.ship_to;
    let country = address
        .country_code
        .as_deref()
        .and_then(|c| CountryCode::from_alpha2(c).ok())
        .ok_or_else(|| RejectReason::AddressRefused {
            detail: "missing or unknown country code".to_string(),
        })?;
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_string();
    let province = match address.province.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => text(&address.province_code),
    };
    let logistic = request
        .shipping_method
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or(&config.logistic_name);
    Ok(json!({
        "orderNumber": reference,
        "shippingCountryCode": country.as_str(),
        "shippingCountry": country.name(),
        "shippingProvince": province,
        "shippingCity": text(&address.city),
        "shippingZip": text(&address.postal_code),
        "shippingAddress": text(&address.address1),
        "shippingAddress2": text(&address.address2),
        "shippingCustomerName": text(&address.name),
        "shippingPhone": text(&address.phone),
        "email": request.email.as_deref().unwrap_or_default(),
        "logisticName": logistic,
        "fromCountryCode": config.from_country_code,
        "payType": PAY_TYPE_CREATE_ONLY,
        "products": products
            .iter()
            .map(|(vid, quantity)| json!({ "vid": vid, "quantity": quantity }))
            .collect::<Vec<_>>(),
    }))
}

/// One product entry per `vid` (a bundle may list the same variant twice).
fn merged_lines(lines: &[PurchaseLine]) -> Result<Vec<(String, u32)>, RejectReason> {
    let mut merged: Vec<(String, u32)> = Vec::new();
    for line in lines {
        let vid = line.supplier_sku_id.trim();
        if vid.is_empty() || line.quantity == 0 {
            return Err(RejectReason::Other {
                detail: "a line has no CJ variant id (vid) or no quantity".to_string(),
            });
        }
        match merged.iter_mut().find(|(v, _)| v == vid) {
            Some((_, quantity)) => *quantity = quantity.saturating_add(line.quantity),
            None => merged.push((vid.to_string(), line.quantity)),
        }
    }
    if merged.is_empty() {
        return Err(RejectReason::Other {
            detail: "nothing to buy".to_string(),
        });
    }
    Ok(merged)
}

/// createOrderV2's `data`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedOrder {
    order_id: Option<Loose>,
    order_number: Option<String>,
    order_status: Option<String>,
    order_amount: Option<Loose>,
}

/// The placed order, from createOrderV2's answer. The deprecated createOrder answered the
/// bare order id as `data`, which is read too.
pub(crate) fn placed_order(data: &Value, attempt_id: &str) -> Result<RemoteOrder, SupplierError> {
    let bare = match data {
        Value::String(id) => Some(id.trim().to_string()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    };
    if let Some(id) = bare.filter(|id| !id.is_empty()) {
        return Ok(remote(
            id,
            Some(attempt_id.to_string()),
            "CREATED",
            None,
            Vec::new(),
        ));
    }
    let created: CreatedOrder = decode(data, "createOrderV2")?;
    let id = loose_text(&created.order_id).ok_or_else(|| {
        SupplierError::Protocol("createOrderV2 answered without an orderId".to_string())
    })?;
    let raw = present(&created.order_status).unwrap_or_else(|| "CREATED".to_string());
    Ok(remote(
        id,
        present(&created.order_number).or_else(|| Some(attempt_id.to_string())),
        &raw,
        created.order_amount.as_ref().and_then(Loose::usd),
        Vec::new(),
    ))
}

fn remote(
    supplier_order_id: String,
    attempt_id: Option<String>,
    raw_status: &str,
    total_cost: Option<Money>,
    tracking: Vec<Tracking>,
) -> RemoteOrder {
    RemoteOrder {
        supplier_order_id,
        attempt_id,
        status: CjOrderStatus::parse(raw_status).supplier_status(),
        raw_status: raw_status.to_string(),
        total_cost,
        tracking,
        items: Vec::new(),
        ship_to: None,
    }
}

/// Why CJ refused a purchase (createOrderV2), from its code; the message goes into the reason
/// (which the merchant sees), never into logs.
pub(crate) fn reject_reason(code: i64, message: &str, lines: &[PurchaseLine]) -> RejectReason {
    let detail = || format!("CJ {code}: {message}");
    match CjCode::of(code) {
        // One code for a repeated order number, missing stock or a refused address: the
        // message is all that tells them apart.
        CjCode::OrderCreateFail | CjCode::IllegalParameter => by_message(code, message, lines),
        // Gone from CJ's catalogue: like being out of stock, a backup offer should take over.
        CjCode::ProductGone(_) => RejectReason::OutOfStock {
            supplier_sku_id: named_sku(message, lines).unwrap_or_else(detail),
        },
        CjCode::LogisticNotFound => RejectReason::NotDeliverable { detail: detail() },
        // Not refusals of this purchase in particular (the transport turns busy, limits and
        // quota into waits, and tokens into Unauthorized before we get here), or codes that
        // do not apply to creating an order with payType 3: shown as they are.
        CjCode::Success
        | CjCode::SystemBusy
        | CjCode::Authorisation(_)
        | CjCode::InterfaceGone(_)
        | CjCode::CallLimit
        | CjCode::QuotaUsedUp
        | CjCode::UserNotFound
        | CjCode::OrderConfirmFail
        | CjCode::OrderDeleteFail
        | CjCode::OrderNotFound
        | CjCode::OrderPayFail
        | CjCode::BalanceInsufficient
        | CjCode::Webhook(_)
        | CjCode::Unknown(_) => RejectReason::Other { detail: detail() },
    }
}

/// The line the message names, else the only line.
fn named_sku(message: &str, lines: &[PurchaseLine]) -> Option<String> {
    let named = lines
        .iter()
        .find(|l| !l.supplier_sku_id.is_empty() && message.contains(&l.supplier_sku_id));
    match (named, lines) {
        (Some(line), _) | (None, [line]) => Some(line.supplier_sku_id.clone()),
        (None, _) => None,
    }
}

/// The cause behind a generic "Order create fail" / "Illegal parameter", from its wording.
fn by_message(code: i64, message: &str, lines: &[PurchaseLine]) -> RejectReason {
    let m = message.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    let detail = || format!("CJ {code}: {message}");
    if has(&["order number", "ordernumber", "order no"])
        && has(&["exist", "duplicate", "repeat", "used"])
    {
        RejectReason::DuplicateReference
    } else if has(&["out of stock", "inventory", "stock", "sold out"]) {
        RejectReason::OutOfStock {
            supplier_sku_id: named_sku(message, lines).unwrap_or_else(detail),
        }
    } else if has(&[
        "logistic",
        "not deliverable",
        "cannot be delivered",
        "not support",
    ]) {
        RejectReason::NotDeliverable { detail: detail() }
    } else if has(&[
        "address",
        "zip",
        "postal",
        "province",
        "city",
        "country",
        "phone",
        "consignee",
    ]) {
        RejectReason::AddressRefused { detail: detail() }
    } else {
        RejectReason::Other { detail: detail() }
    }
}

// ---- reading orders -------------------------------------------------------------------

/// An order as list and getOrderDetail show it (the fields dropflow reads).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderDetail {
    order_id: Option<Loose>,
    order_num: Option<String>,
    order_number: Option<String>,
    order_status: Option<String>,
    track_number: Option<String>,
    tracking_url: Option<String>,
    logistic_name: Option<String>,
    order_amount: Option<Loose>,
    /// The receiving address, as getOrderDetail lists it (shopping.html 1.7: country code,
    /// province, city, address, customer name, phone; no zip).
    shipping_country_code: Option<String>,
    shipping_province: Option<String>,
    shipping_city: Option<String>,
    shipping_address: Option<String>,
    shipping_customer_name: Option<String>,
    #[serde(default)]
    product_list: Vec<ProductEntry>,
}

/// One entry of getOrderDetail's `productList` (`vid`, `quantity`, `sellPrice`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProductEntry {
    vid: Option<Loose>,
    quantity: Option<Loose>,
}

impl OrderDetail {
    /// Our reference as CJ echoes it (`orderNum` in lists, `orderNumber` elsewhere).
    pub(crate) fn reference(&self) -> Option<String> {
        present(&self.order_num).or_else(|| present(&self.order_number))
    }

    pub(crate) fn status(&self) -> CjOrderStatus {
        CjOrderStatus::parse(self.order_status.as_deref().unwrap_or_default())
    }

    /// The tracking number, when CJ has given one.
    pub(crate) fn track_number(&self) -> Option<String> {
        present(&self.track_number)
    }

    /// The variants and quantities CJ lists.
    fn items(&self) -> Vec<RemoteItem> {
        self.product_list
            .iter()
            .filter_map(|p| {
                Some(RemoteItem {
                    supplier_product_id: None,
                    supplier_sku_id: loose_text(&p.vid),
                    quantity: loose_text(&p.quantity)?.parse().ok()?,
                })
            })
            .collect()
    }

    /// The receiving address, when CJ lists any of it.
    fn ship_to(&self) -> Option<PostalAddress> {
        let address = PostalAddress {
            name: present(&self.shipping_customer_name),
            address1: present(&self.shipping_address),
            city: present(&self.shipping_city),
            province: present(&self.shipping_province),
            country_code: present(&self.shipping_country_code),
            ..PostalAddress::default()
        };
        (address != PostalAddress::default()).then_some(address)
    }
}

/// shopping/order/list's `data`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderPage {
    #[serde(default)]
    pub list: Vec<OrderDetail>,
    pub total: Option<Loose>,
}

impl OrderPage {
    pub(crate) fn total(&self) -> Option<u64> {
        self.total.as_ref().and_then(|t| t.text().parse().ok())
    }
}

/// One entry of logistic/trackInfo's `data`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TrackInfo {
    tracking_number: Option<String>,
    logistic_name: Option<String>,
    tracking_status: Option<Loose>,
    last_mile_carrier: Option<String>,
}

impl TrackInfo {
    fn status(&self) -> Option<ShipmentStatus> {
        match self.tracking_status.as_ref()? {
            Loose::Number(n) => n.as_i64().map(tracking_status_from_code),
            Loose::Text(t) => Some(tracking_status_from_text(t)),
        }
    }

    /// The entry as a [`Tracking`] on its own (for the tracking query).
    pub(crate) fn tracking(&self) -> Option<Tracking> {
        Some(Tracking {
            number: present(&self.tracking_number)?,
            carrier: present(&self.last_mile_carrier).or_else(|| present(&self.logistic_name)),
            status: self.status().unwrap_or(ShipmentStatus::Pending),
            url: None,
        })
    }
}

/// The order as dropflow sees it; `track` is trackInfo's entry for its number, when asked.
pub(crate) fn remote_order(
    detail: &OrderDetail,
    track: Option<&TrackInfo>,
) -> Result<RemoteOrder, SupplierError> {
    let id = loose_text(&detail.order_id)
        .ok_or_else(|| SupplierError::Protocol("CJ's order has no orderId".to_string()))?;
    let status = detail.status();
    let tracking = detail
        .track_number()
        .map(|number| {
            let status = match (&status, track.and_then(TrackInfo::status)) {
                // CJ's own "delivered" wins over a carrier feed that lags behind.
                (CjOrderStatus::Delivered, _) => ShipmentStatus::Delivered,
                (_, Some(from_carrier)) => from_carrier,
                (order_status, None) => order_status.shipment_status(),
            };
            Tracking {
                number,
                carrier: track
                    .and_then(|t| present(&t.last_mile_carrier))
                    .or_else(|| present(&detail.logistic_name)),
                status,
                url: present(&detail.tracking_url),
            }
        })
        .into_iter()
        .collect();
    let mut order = remote(
        id,
        detail.reference(),
        detail
            .order_status
            .as_deref()
            .map(str::trim)
            .unwrap_or_default(),
        detail.order_amount.as_ref().and_then(Loose::usd),
        tracking,
    );
    order.items = detail.items();
    order.ship_to = detail.ship_to().map(Box::new);
    Ok(order)
}

/// Tracking for an order status alone (webhooks that carry a number but no scans).
pub(crate) fn tracking_for_status(
    number: String,
    carrier: Option<String>,
    url: Option<String>,
    status: &CjOrderStatus,
) -> Tracking {
    Tracking {
        number,
        carrier,
        status: status.shipment_status(),
        url,
    }
}

/// A freight option from logistic/freightCalculate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreightOption {
    /// The `logisticName` to order with.
    pub logistic_name: String,
    pub price: Money,
    /// Days in transit as CJ writes them ("2-5").
    pub aging: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FreightWire {
    logistic_name: Option<String>,
    logistic_price: Option<Loose>,
    logistic_aging: Option<Loose>,
}

impl FreightWire {
    pub(crate) fn option(&self) -> Option<FreightOption> {
        Some(FreightOption {
            logistic_name: present(&self.logistic_name)?,
            price: self.logistic_price.as_ref()?.usd()?,
            aging: loose_text(&self.logistic_aging),
        })
    }
}

/// Reads a `data` value into a wire type, naming the call in the error.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    data: &Value,
    call: &str,
) -> Result<T, SupplierError> {
    serde_json::from_value(data.clone())
        .map_err(|e| SupplierError::Protocol(format!("unexpected {call} answer from CJ: {e}")))
}
