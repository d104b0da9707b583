//! The product and freight queries: the SKU's ordering key, price and stock, and the delivery
//! options, which together say what a purchase would cost before it is made.

use super::{amount, flag, one_or_many, text};
use crate::suppliers::aliexpress::ShippingChoice;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::{RejectReason, SupplierError};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// aliexpress.ds.product.get

/// `aliexpress_ds_product_get_response.result`.
#[derive(Debug, Deserialize)]
pub struct ProductResult {
    #[serde(default, deserialize_with = "text")]
    pub rsp_code: Option<String>,
    pub rsp_msg: Option<String>,
    pub ae_item_base_info_dto: Option<ProductBase>,
    pub ae_item_sku_info_dtos: Option<SkuInfos>,
}

#[derive(Debug, Deserialize)]
pub struct ProductBase {
    pub product_status_type: Option<String>,
    pub currency_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SkuInfos {
    #[serde(default, deserialize_with = "one_or_many")]
    pub ae_item_sku_info_d_t_o: Vec<SkuInfo>,
}

#[derive(Debug, Deserialize)]
pub struct SkuInfo {
    #[serde(default, deserialize_with = "text")]
    pub sku_id: Option<String>,
    pub sku_attr: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub sku_price: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub offer_sale_price: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub sku_available_stock: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub sku_stock: Option<String>,
    pub currency_code: Option<String>,
}

/// What a product query says about one SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuOffer {
    pub sku_attr: String,
    pub unit_cost: Money,
    pub available: u32,
}

/// Finds `sku_id` in a product query result: the SKU's ordering key (`sku_attr`), its price
/// (the sale price when there is one, since that is what the order is charged) and stock.
/// A refusal is an answer about this purchase; an unreadable result is an error.
pub fn sku_offer(
    result: &ProductResult,
    product_id: &str,
    sku_id: &str,
) -> Result<Result<SkuOffer, RejectReason>, SupplierError> {
    match result.rsp_code.as_deref() {
        None | Some("200") | Some("0") => {}
        Some("602") => {
            return Ok(Err(RejectReason::NotDeliverable {
                detail: format!("AliExpress does not ship product {product_id} there (602)"),
            }))
        }
        Some("605") => {
            return Ok(Err(RejectReason::Other {
                detail: format!("AliExpress has no product {product_id} (605 ITEM_ID_NOT_FOUND)"),
            }))
        }
        Some("404") => {
            return Err(SupplierError::Unavailable(
                "AliExpress product query: system error (404)".into(),
            ))
        }
        Some(other) => {
            return Ok(Err(RejectReason::Other {
                detail: format!(
                    "AliExpress product query for {product_id} answered {other}: {}",
                    result.rsp_msg.as_deref().unwrap_or("")
                ),
            }))
        }
    }
    let on_sale = result
        .ae_item_base_info_dto
        .as_ref()
        .and_then(|b| b.product_status_type.as_deref())
        .is_none_or(|s| s == "onSelling");
    let skus = result
        .ae_item_sku_info_dtos
        .as_ref()
        .map_or(&[][..], |s| s.ae_item_sku_info_d_t_o.as_slice());
    let Some(sku) = skus.iter().find(|s| s.sku_id.as_deref() == Some(sku_id)) else {
        return Ok(Err(RejectReason::Other {
            detail: format!("AliExpress product {product_id} has no SKU {sku_id}"),
        }));
    };
    let currency = sku
        .currency_code
        .as_deref()
        .or(result
            .ae_item_base_info_dto
            .as_ref()
            .and_then(|b| b.currency_code.as_deref()))
        .unwrap_or("USD");
    let price = sku
        .offer_sale_price
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .or(sku.sku_price.as_deref())
        .and_then(|p| amount(p, currency))
        .ok_or_else(|| {
            SupplierError::Protocol(format!(
                "AliExpress product {product_id} SKU {sku_id} has no readable price"
            ))
        })?;
    let in_stock = sku
        .sku_stock
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("true"));
    let available = if !on_sale || !in_stock {
        0
    } else {
        sku.sku_available_stock
            .as_deref()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map_or(u32::MAX, |n| u32::try_from(n.max(0)).unwrap_or(u32::MAX))
    };
    Ok(Ok(SkuOffer {
        sku_attr: sku.sku_attr.clone().unwrap_or_default(),
        unit_cost: price,
        available,
    }))
}

// ---------------------------------------------------------------------------------------------
// aliexpress.ds.freight.query

/// The JSON of the `queryDeliveryReq` parameter.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FreightRequest<'a> {
    pub quantity: u32,
    pub ship_to_country: &'a str,
    pub product_id: &'a str,
    pub selected_sku_id: &'a str,
    pub language: &'a str,
    pub locale: &'a str,
    pub currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city_code: Option<&'a str>,
}

/// `aliexpress_ds_freight_query_response.result`.
#[derive(Debug, Deserialize)]
pub struct FreightResult {
    #[serde(default, deserialize_with = "text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub success: bool,
    pub msg: Option<String>,
    pub delivery_options: Option<DeliveryOptions>,
}

#[derive(Debug, Deserialize)]
pub struct DeliveryOptions {
    #[serde(default, deserialize_with = "one_or_many")]
    pub delivery_option_d_t_o: Vec<DeliveryOption>,
}

#[derive(Debug, Deserialize)]
pub struct DeliveryOption {
    pub code: Option<String>,
    pub company: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub shipping_fee_cent: Option<String>,
    pub shipping_fee_currency: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub free_shipping: bool,
    #[serde(default, deserialize_with = "text")]
    pub min_delivery_days: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub max_delivery_days: Option<String>,
}

/// The delivery options of a freight answer, or why there are none.
pub fn delivery_options(
    result: &FreightResult,
    product_id: &str,
) -> Result<Vec<ShippingChoice>, RejectReason> {
    let msg = result.msg.as_deref().unwrap_or("");
    let code = result.code.as_deref().unwrap_or("200");
    if code == "505"
        || msg.contains("DELIVERY_NOT_AVAILABLE_TO_YOUR_ADDRESS")
        || msg.contains("DELIVERY_INFO_EMPTY")
    {
        return Err(RejectReason::NotDeliverable {
            detail: format!("AliExpress cannot deliver product {product_id} there ({code} {msg})"),
        });
    }
    if !result.success || code != "200" {
        return Err(RejectReason::Other {
            detail: format!("AliExpress freight query for {product_id} answered {code}: {msg}"),
        });
    }
    let options = result
        .delivery_options
        .as_ref()
        .map_or(&[][..], |o| o.delivery_option_d_t_o.as_slice());
    let choices: Vec<ShippingChoice> = options.iter().filter_map(shipping_choice).collect();
    if choices.is_empty() {
        return Err(RejectReason::NotDeliverable {
            detail: format!("AliExpress offers no delivery option for product {product_id}"),
        });
    }
    Ok(choices)
}

fn shipping_choice(option: &DeliveryOption) -> Option<ShippingChoice> {
    let code = option.code.clone()?;
    let currency = option.shipping_fee_currency.as_deref().unwrap_or("USD");
    let fee = if option.free_shipping {
        Currency::from_code(currency).ok().map(Money::zero)
    } else {
        option
            .shipping_fee_cent
            .as_deref()
            .and_then(|f| fee(f, currency))
    };
    let days = |d: &Option<String>| d.as_deref().and_then(|d| d.trim().parse::<u32>().ok());
    Some(ShippingChoice {
        code,
        company: option.company.clone(),
        fee,
        min_days: days(&option.min_delivery_days),
        max_days: days(&option.max_delivery_days),
    })
}

/// `shipping_fee_cent` holds the fee in **major units** despite its name: the documented
/// ds.freight.query answer pairs `"shipping_fee_cent": "172.71"` with
/// `"shipping_fee_format": "US $172.71"` (protocols.md §3.5), so `"5"` is 5.00, never 0.05.
fn fee(value: &str, currency: &str) -> Option<Money> {
    amount(value.trim(), currency)
}

/// The option to ship with: the one asked for, or else the cheapest (options without a known
/// fee last, then AliExpress's own order).
pub fn choose_shipping(
    options: Vec<ShippingChoice>,
    wanted: Option<&str>,
    product_id: &str,
) -> Result<ShippingChoice, RejectReason> {
    match wanted {
        Some(code) => options.into_iter().find(|o| o.code == code).ok_or_else(|| {
            RejectReason::NotDeliverable {
                detail: format!(
                    "AliExpress does not offer shipping method {code} for product {product_id} \
                     there"
                ),
            }
        }),
        None => options
            .into_iter()
            .enumerate()
            .min_by_key(|(i, o)| (o.fee.map_or(i64::MAX, |f| f.minor), *i))
            .map(|(_, o)| o)
            .ok_or_else(|| RejectReason::NotDeliverable {
                detail: format!("AliExpress offers no delivery option for product {product_id}"),
            }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod fee_tests {
    use super::*;

    fn option(fee: &str) -> DeliveryOption {
        serde_json::from_value(serde_json::json!({
            "code": "CAINIAO_STANDARD",
            "company": "AliExpress standard shipping",
            "shipping_fee_cent": fee,
            "shipping_fee_currency": "USD",
            "free_shipping": false,
        }))
        .unwrap()
    }

    /// The documented vector (ds.freight.query's example answer): `"shipping_fee_cent":
    /// "172.71"` beside `"shipping_fee_format": "US $172.71"`; and a whole amount "5" is 5.00.
    #[test]
    fn shipping_fee_cent_is_in_major_units() {
        for (wire, minor) in [("172.71", 17_271), ("5", 500), ("5.00", 500), ("0.05", 5)] {
            let choice = shipping_choice(&option(wire)).unwrap();
            assert_eq!(choice.fee.map(|f| f.minor), Some(minor), "{wire}");
        }
    }
}
