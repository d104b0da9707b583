//! 1688 wire types and every mapping into `dropflow_core::supplier`.
//!
//! Real: parameter and field names, the `_aop_signature` algorithm, the status vocabulary
//! (waitbuyerpay, waitsellersend, waitlogisticstakein, waitbuyerreceive, waitbuyersign,
//! signinsuccess, confirm_goods, success, cancel, terminated), amounts in fen from
//! fastCreateOrder and in yuan from buyerView. Modelled (undocumented): the ordering and
//! paying error codes, matched here together with words of the message. The refund APIs'
//! codes are documented and read in `refunds`.

use super::MarketplaceConfig;
use dropflow_core::money::Money;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::reference::currency::Currency;
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::supplier::{
    CancelRequest, PurchaseLine, PurchaseRequest, RejectReason, RemoteItem, RemoteOrder,
    SupplierError, Tracking,
};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;

/// `_aop_signature`: HMAC-SHA1 (key: app secret) over the URL path after `/openapi/` plus
/// every parameter's `name+value`, sorted, as upper-case hex.
pub(crate) fn signature(secret: &str, url_path: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<String> = params
        .iter()
        .filter(|(k, _)| k != "_aop_signature")
        .map(|(k, v)| format!("{k}{v}"))
        .collect();
    pairs.sort();
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(url_path.as_bytes());
    for pair in &pairs {
        mac.update(pair.as_bytes());
    }
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

pub(crate) fn cny() -> Result<Currency, SupplierError> {
    Currency::from_code("CNY").map_err(|e| SupplierError::Protocol(e.to_string()))
}

/// fastCreateOrder's parameters: the warehouse as receiving address (the seller never sees
/// the customer), one cargo entry per spec, our attempt id as `outOrderId`.
pub(crate) fn create_params(
    request: &PurchaseRequest,
    config: &MarketplaceConfig,
) -> Result<Vec<(String, String)>, RejectReason> {
    let reference = request.attempt_id.trim();
    if reference.is_empty() || reference.len() > 64 {
        return Err(RejectReason::Other {
            detail: "our reference must be 1–64 characters".to_string(),
        });
    }
    let mut cargo: Vec<(u64, String, u32)> = Vec::new();
    for line in &request.lines {
        let offer_id = line.supplier_product_id.trim().parse::<u64>().ok();
        let spec = line.supplier_sku_id.trim();
        let (Some(offer_id), false, true) = (offer_id, spec.is_empty(), line.quantity > 0) else {
            return Err(RejectReason::Other {
                detail: "a line needs a numeric offerId, a specId and a quantity".to_string(),
            });
        };
        match cargo
            .iter_mut()
            .find(|(o, s, _)| *o == offer_id && s == spec)
        {
            Some((_, _, q)) => *q = q.saturating_add(line.quantity),
            None => cargo.push((offer_id, spec.to_string(), line.quantity)),
        }
    }
    if cargo.is_empty() {
        return Err(RejectReason::Other {
            detail: "nothing to buy".to_string(),
        });
    }
    let w = &config.warehouse;
    let address = json!({
        "fullName": w.full_name, "mobile": w.mobile, "postCode": w.post_code,
        "provinceText": w.province, "cityText": w.city, "areaText": w.area,
        "address": w.address,
    });
    let cargo: Vec<Value> = cargo
        .iter()
        .map(|(o, s, q)| json!({ "offerId": o, "specId": s, "quantity": q }))
        .collect();
    Ok(vec![
        ("flow".into(), "general".into()),
        ("addressParam".into(), address.to_string()),
        ("cargoParamList".into(), Value::Array(cargo).to_string()),
        ("outOrderId".into(), reference.to_string()),
        // The seller sees this; our reference only, nothing of the customer's.
        ("message".into(), format!("ref {reference}")),
    ])
}

/// Why 1688 refused a purchase.
pub(crate) fn reject_reason(code: &str, message: &str, lines: &[PurchaseLine]) -> RejectReason {
    let c = code.to_ascii_uppercase();
    let m = message.to_ascii_lowercase();
    let detail = || format!("1688 {code}: {message}");
    if c.contains("OUT_ORDER_ID") || m.contains("outorderid") {
        RejectReason::DuplicateReference
    } else if c.contains("STOCK") || message.contains("库存") || m.contains("stock") {
        let named = lines
            .iter()
            .find(|l| message.contains(l.supplier_sku_id.trim()) && !l.supplier_sku_id.is_empty());
        let sku = match (named, lines) {
            (Some(l), _) | (None, [l]) => l.supplier_sku_id.clone(),
            (None, _) => detail(),
        };
        RejectReason::OutOfStock {
            supplier_sku_id: sku,
        }
    } else if c.contains("ADDRESS") || message.contains("地址") {
        RejectReason::AddressRefused { detail: detail() }
    } else {
        RejectReason::Other { detail: detail() }
    }
}

/// 1688's order status onto ours. Unknown statuses: the order exists, so the least advanced
/// true state (awaiting payment), never shipped or delivered.
pub fn supplier_status(status: &str) -> SupplierOrderStatus {
    match status.trim().to_ascii_lowercase().as_str() {
        "waitbuyerpay" => SupplierOrderStatus::AwaitingPayment,
        "waitsellersend" | "waitsellerconfirm" | "waitselleract" => {
            SupplierOrderStatus::AwaitingShipment
        }
        "waitlogisticstakein" | "waitbuyerreceive" | "waitbuyersign" => {
            SupplierOrderStatus::Shipped
        }
        // Signed for at the warehouse: the domestic leg is done.
        "signinsuccess" | "confirm_goods" | "success" => SupplierOrderStatus::Delivered,
        "cancel" | "terminated" => SupplierOrderStatus::Cancelled,
        _ => SupplierOrderStatus::AwaitingPayment,
    }
}

/// The English name of a domestic courier by its 1688 company code.
pub fn courier_name(code: &str, fallback: &str) -> String {
    match code.trim().to_ascii_uppercase().as_str() {
        "SF" => "SF Express".into(),
        "YTO" => "YTO Express".into(),
        "ZTO" => "ZTO Express".into(),
        "STO" => "STO Express".into(),
        "YUNDA" | "YD" => "Yunda Express".into(),
        _ => fallback.to_string(),
    }
}

pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A yuan amount (JSON number or text) as exact money; `None` if unreadable.
pub(crate) fn yuan(v: &Value) -> Option<Money> {
    Money::parse_decimal(&text(v)?, cny().ok()?).ok()
}

/// buyerView's (or a list entry's) order as dropflow sees it.
pub(crate) fn remote_order(order: &Value) -> Result<RemoteOrder, SupplierError> {
    let base = &order["baseInfo"];
    let id = text(&base["idOfStr"])
        .or_else(|| text(&base["id"]))
        .ok_or_else(|| SupplierError::Protocol("1688 order without an id".into()))?;
    let raw = text(&base["status"]).unwrap_or_default();
    let status = supplier_status(&raw);
    let tracking = order["nativeLogistics"]["logisticsItems"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let number = text(&item["logisticsBillNo"])?;
                    let code = text(&item["logisticsCompanyNo"]).unwrap_or_default();
                    let name = text(&item["logisticsCompanyName"]).unwrap_or_default();
                    Some(Tracking {
                        number,
                        carrier: Some(courier_name(&code, &name)).filter(|c| !c.is_empty()),
                        status: match status {
                            SupplierOrderStatus::Delivered => ShipmentStatus::Delivered,
                            _ => ShipmentStatus::InTransit,
                        },
                        url: None,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let items = order["productItems"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    Some(RemoteItem {
                        supplier_product_id: text(&i["productID"]),
                        supplier_sku_id: text(&i["specId"]),
                        quantity: text(&i["quantity"])?
                            .parse::<f64>()
                            .ok()
                            .map(|q| q as u32)?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(RemoteOrder {
        supplier_order_id: id,
        attempt_id: text(&base["outOrderId"]),
        status,
        raw_status: raw,
        total_cost: yuan(&base["totalAmount"]),
        tracking,
        items,
        ship_to: receiving_address(&order["nativeLogistics"]).map(Box::new),
    })
}

/// buyerView's `nativeLogistics` receiving address (`contactPerson`, `address`, `city`,
/// `province`, `zip`), when it has one.
fn receiving_address(logistics: &Value) -> Option<PostalAddress> {
    let address = PostalAddress {
        name: text(&logistics["contactPerson"]),
        address1: text(&logistics["address"]),
        city: text(&logistics["city"]),
        province: text(&logistics["province"]),
        postal_code: text(&logistics["zip"]),
        ..PostalAddress::default()
    };
    (address != PostalAddress::default()).then_some(address)
}

/// `goodsStatus` for goods the seller has not sent ("售中等待卖家发货").
pub(crate) const UNSHIPPED: &str = "refundWaitSellerSend";

/// Every entry (`subItemID`) of buyerView's order; `None` when it lists none.
pub(crate) fn entry_ids(detail: &Value) -> Option<Vec<u64>> {
    let entries: Vec<u64> = detail["productItems"]
        .as_array()?
        .iter()
        .filter_map(|item| {
            item["subItemID"]
                .as_u64()
                .or_else(|| text(&item["subItemIDString"])?.parse().ok())
        })
        .collect();
    (!entries.is_empty()).then_some(entries)
}

/// createRefund's parameters for a refund only of every entry of a paid order the seller has
/// not shipped: the goods paid (which 1688 requires in full before shipment) and the postage,
/// in fen.
pub(crate) fn cancel_refund_params(
    detail: &Value,
    entries: &[u64],
    reason: u64,
    request: &CancelRequest,
) -> Option<Vec<(String, String)>> {
    let base = &detail["baseInfo"];
    let goods = yuan(&base["sumProductPayment"])?;
    let postage = yuan(&base["shippingFee"]).map_or(0, |m| m.minor);
    let mut description: String = request.reason.chars().take(150).collect();
    if description.chars().count() < 2 {
        description = "buyer cancels the order".into();
    }
    Some(vec![
        (
            "orderId".into(),
            request.supplier_order_id.trim().to_string(),
        ),
        ("orderEntryIds".into(), json!(entries).to_string()),
        ("disputeRequest".into(), "refund".into()),
        ("applyPayment".into(), goods.minor.to_string()),
        ("applyCarriage".into(), postage.to_string()),
        ("applyReasonId".into(), reason.to_string()),
        ("description".into(), description),
        ("goodsStatus".into(), UNSHIPPED.into()),
    ])
}

/// Unit prices by spec id from buyerView's `productItems`.
pub(crate) fn unit_prices(order: &Value) -> Vec<(String, Money)> {
    order["productItems"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| Some((text(&i["specId"])?, yuan(&i["price"])?)))
                .collect()
        })
        .unwrap_or_default()
}

/// What a return asks back: `request`'s variants among the entries (`subItemID`) of the order
/// `detail` (buyerView's `result`), and the goods status to declare; `None` when the order
/// lists none of them or the amount is not in yuan.
pub(crate) fn return_entries(
    detail: &Value,
    request: &super::ReturnRequest,
) -> Option<(Vec<u64>, &'static str)> {
    if request.amount.currency.code() != "CNY" || request.amount.minor < 0 {
        return None;
    }
    let entries: Vec<u64> = detail["productItems"]
        .as_array()?
        .iter()
        .filter(|item| {
            text(&item["specId"]).is_some_and(|spec| {
                request
                    .supplier_sku_ids
                    .iter()
                    .any(|s| s.trim() == spec.trim())
            })
        })
        .filter_map(|item| {
            item["subItemID"]
                .as_u64()
                .or_else(|| text(&item["subItemIDString"])?.parse().ok())
        })
        .collect();
    if entries.is_empty() {
        return None;
    }
    // The goods are at the warehouse (received). After the trade settled it is an after-sale
    // return; before, an in-sale one ("交易完成前，为售中；交易完成后，为售后").
    let goods_status = if text(&detail["baseInfo"]["status"]).as_deref() == Some("success") {
        "aftersaleBuyerReceived"
    } else {
        "refundBuyerReceived"
    };
    Some((entries, goods_status))
}

/// `alibaba.trade.createRefund` parameters for a return and refund (`returnRefund`) of
/// `entries`, the goods amount in fen, no postage, the reason 1688 listed for them.
pub(crate) fn return_params(
    request: &super::ReturnRequest,
    entries: &[u64],
    goods_status: &str,
    reason: u64,
) -> Vec<(String, String)> {
    vec![
        (
            "orderId".into(),
            request.supplier_order_id.trim().to_string(),
        ),
        ("orderEntryIds".into(), json!(entries).to_string()),
        ("disputeRequest".into(), "returnRefund".into()),
        ("applyPayment".into(), request.amount.minor.to_string()),
        ("applyCarriage".into(), "0".into()),
        ("applyReasonId".into(), reason.to_string()),
        (
            "description".into(),
            super::refunds::description(&request.reference, &request.reason),
        ),
        ("goodsStatus".into(), goods_status.into()),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_status_maps_and_unknown_is_safe() {
        use SupplierOrderStatus as S;
        for (raw, want) in [
            ("waitbuyerpay", S::AwaitingPayment),
            ("waitsellersend", S::AwaitingShipment),
            ("waitbuyerreceive", S::Shipped),
            ("waitlogisticstakein", S::Shipped),
            ("confirm_goods", S::Delivered),
            ("success", S::Delivered),
            ("cancel", S::Cancelled),
            ("terminated", S::Cancelled),
            ("somethingnew", S::AwaitingPayment),
        ] {
            assert_eq!(supplier_status(raw), want, "{raw}");
        }
    }

    #[test]
    fn signature_matches_a_known_vector() {
        // python3: hmac.new(b'secret', b'param2/1/a.b/c.d/1000a1b2', hashlib.sha1).hexdigest().upper()
        let params = vec![
            ("b".to_string(), "2".to_string()),
            ("a".to_string(), "1".to_string()),
        ];
        assert_eq!(
            signature("secret", "param2/1/a.b/c.d/1000", &params),
            "841A9907951D0D19993301179BBFB00B1C0A2494"
        );
    }

    #[test]
    fn yuan_amounts_are_exact() {
        assert_eq!(yuan(&json!(6.15)).unwrap().minor, 615);
        assert_eq!(yuan(&json!("43")).unwrap().minor, 4300);
        assert!(yuan(&json!(null)).is_none());
    }
}
