//! The order create request (address, items, payment) and the meaning of its answers.

use super::{flag, text, texts};
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::supplier::{PurchaseRequest, RejectReason, SupplierError};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// aliexpress.ds.order.create

/// The JSON of `param_place_order_request4_open_api_d_t_o`.
#[derive(Debug, Serialize)]
pub struct PlaceOrderRequest {
    pub out_order_id: String,
    pub logistics_address: LogisticsAddress,
    pub product_items: Vec<ProductItem>,
}

/// `logistics_address`: only the fields dropflow has (no CPF, passport or tax numbers, so
/// destinations that require them are refused by AliExpress with an address error).
#[derive(Debug, Serialize)]
pub struct LogisticsAddress {
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    pub city: String,
    pub province: String,
    pub country: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_person: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_country: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ProductItem {
    /// A number where the id is numeric (as AliExpress documents it), text otherwise.
    pub product_id: serde_json::Value,
    pub product_count: u32,
    pub sku_attr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logistics_service_name: Option<String>,
}

/// The JSON of `ds_extend_request`.
#[derive(Debug, Serialize)]
pub struct ExtendRequest {
    pub payment: ExtendPayment,
    pub trade_extra_param: TradeExtraParam,
}

#[derive(Debug, Serialize)]
pub struct ExtendPayment {
    pub pay_currency: String,
    /// `"true"`/`"false"` as text, as documented.
    pub try_to_pay: String,
}

#[derive(Debug, Serialize)]
pub struct TradeExtraParam {
    pub business_model: &'static str,
}

pub fn extend_request(pay_currency: &str, try_to_pay: bool) -> ExtendRequest {
    ExtendRequest {
        payment: ExtendPayment {
            pay_currency: pay_currency.to_string(),
            try_to_pay: try_to_pay.to_string(),
        },
        trade_extra_param: TradeExtraParam {
            business_model: "retail",
        },
    }
}

/// The required address fields (`address`, `city`, `country`, `province`), or which is
/// missing: AliExpress would refuse the order anyway, so it is refused before any call.
pub fn logistics_address(address: &PostalAddress) -> Result<LogisticsAddress, RejectReason> {
    let field = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let missing = |name: &str| RejectReason::AddressRefused {
        detail: format!("the address has no {name}, which AliExpress requires"),
    };
    let country = field(&address.country_code)
        .map(|c| c.to_ascii_uppercase())
        .ok_or_else(|| missing("country"))?;
    let street = field(&address.address1).ok_or_else(|| missing("street address"))?;
    let city = field(&address.city).ok_or_else(|| missing("city"))?;
    let province = field(&address.province)
        .or_else(|| field(&address.province_code))
        .ok_or_else(|| missing("province or state"))?;
    let name = field(&address.name);
    let (phone_country, mobile_no) = match field(&address.phone) {
        Some(phone) => split_phone(&phone, &country),
        None => (None, None),
    };
    Ok(LogisticsAddress {
        address: street,
        address2: field(&address.address2),
        city,
        province,
        country,
        zip: field(&address.postal_code),
        contact_person: name.clone(),
        full_name: name,
        mobile_no,
        phone_country,
    })
}

/// Calling codes of the most common dropshipping destinations, to split `+1 202…` into
/// `phone_country` and `mobile_no` as AliExpress's form does. Numbers from elsewhere are sent
/// whole in `mobile_no`.
const CALLING_CODES: [(&str, &str); 24] = [
    ("US", "1"),
    ("CA", "1"),
    ("PR", "1"),
    ("GB", "44"),
    ("IE", "353"),
    ("AU", "61"),
    ("NZ", "64"),
    ("DE", "49"),
    ("FR", "33"),
    ("ES", "34"),
    ("IT", "39"),
    ("NL", "31"),
    ("BE", "32"),
    ("AT", "43"),
    ("CH", "41"),
    ("SE", "46"),
    ("PL", "48"),
    ("PT", "351"),
    ("BR", "55"),
    ("MX", "52"),
    ("JP", "81"),
    ("KR", "82"),
    ("IL", "972"),
    ("AE", "971"),
];

fn split_phone(phone: &str, country: &str) -> (Option<String>, Option<String>) {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return (None, None);
    }
    let international = phone.trim_start().starts_with('+');
    let code = CALLING_CODES
        .iter()
        .find(|(c, _)| *c == country)
        .map(|(_, code)| *code);
    match code {
        Some(code) if international && digits.starts_with(code) => {
            let national = digits[code.len()..].to_string();
            (Some(format!("+{code}")), Some(national))
        }
        Some(code) if !international => (Some(format!("+{code}")), Some(digits)),
        _ => (None, Some(digits)),
    }
}

/// What the order create needs of one request line, learnt from the product and freight
/// queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub supplier_sku_id: String,
    pub quantity: u32,
    /// The SKU's key in an order.
    pub sku_attr: String,
    /// The delivery option (`logistics_service_name`); `None` leaves it to AliExpress.
    pub service: Option<String>,
    /// Units the product query reported, to guess which SKU ran out.
    pub available: u32,
}

/// The create request; `lines` are in the request's order.
pub fn place_order_request(
    request: &PurchaseRequest,
    lines: &[OrderLine],
    address: LogisticsAddress,
) -> PlaceOrderRequest {
    let product_items = request
        .lines
        .iter()
        .zip(lines)
        .map(|(line, known)| ProductItem {
            product_id: line.supplier_product_id.trim().parse::<u64>().map_or_else(
                |_| serde_json::Value::String(line.supplier_product_id.clone()),
                serde_json::Value::from,
            ),
            product_count: line.quantity,
            sku_attr: known.sku_attr.clone(),
            logistics_service_name: known.service.clone(),
        })
        .collect();
    PlaceOrderRequest {
        out_order_id: request.attempt_id.clone(),
        logistics_address: address,
        product_items,
    }
}

/// `aliexpress_ds_order_create_response.result`.
#[derive(Debug, Deserialize)]
pub struct CreateResult {
    #[serde(default, deserialize_with = "flag")]
    pub is_success: bool,
    pub order_list: Option<OrderList>,
    #[serde(default, deserialize_with = "text")]
    pub error_code: Option<String>,
    pub error_msg: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderList {
    #[serde(default, deserialize_with = "texts")]
    pub number: Vec<String>,
}

/// What an order-create answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The AliExpress order numbers (one per seller in the request).
    Created(Vec<String>),
    Refused(RejectReason),
}

/// Maps an order-create result. Account problems are errors (a person must act; every
/// purchase would fail the same way); everything about this purchase is a refusal.
pub fn create_outcome(
    result: CreateResult,
    lines: &[OrderLine],
) -> Result<CreateOutcome, SupplierError> {
    if result.is_success {
        let numbers = result.order_list.map(|l| l.number).unwrap_or_default();
        if numbers.is_empty() {
            // Success without an order number: something exists, we cannot name it. Same
            // uncertainty as a timeout.
            return Err(SupplierError::Timeout);
        }
        return Ok(CreateOutcome::Created(numbers));
    }
    let code = result.error_code.unwrap_or_default();
    let msg = result.error_msg.unwrap_or_default();
    create_error(&code, &msg, lines)
}

/// Every documented order-create error code (§3.5), and what it means.
pub fn create_error(
    code: &str,
    msg: &str,
    lines: &[OrderLine],
) -> Result<CreateOutcome, SupplierError> {
    let refuse = |reason| Ok(CreateOutcome::Refused(reason));
    let other = |what: &str| {
        refuse(RejectReason::Other {
            detail: format!("AliExpress refused the order: {code} ({what}) {msg}")
                .trim_end()
                .to_string(),
        })
    };
    match code {
        // The out_order_id was used within 24 h: an earlier attempt placed it.
        "REPEATED_ORDER_ERROR" => refuse(RejectReason::DuplicateReference),
        "INVENTORY_HOLD_ERROR" => refuse(RejectReason::OutOfStock {
            supplier_sku_id: likely_short_sku(lines),
        }),
        // The address texts are the customer's: only the code is repeated, never the message
        // (which may quote the address back).
        c if c.starts_with("B_DROPSHIPPER_DELIVERY_ADDRESS") => {
            refuse(RejectReason::AddressRefused {
                detail: format!("AliExpress refused the delivery address ({c})"),
            })
        }
        "DELIVERY_METHOD_NOT_EXIST" => refuse(RejectReason::NotDeliverable {
            detail: "AliExpress does not offer the chosen delivery method there \
                     (DELIVERY_METHOD_NOT_EXIST)"
                .into(),
        }),
        c if c.starts_with("A002") || c.starts_with("A005") => {
            refuse(RejectReason::NotDeliverable {
                detail: format!("AliExpress does not deliver to this destination ({c})"),
            })
        }
        // Our AliExpress account cannot buy at all: not this order's fault, and retrying will
        // not help until a person sorts the account out.
        "USER_ACCOUNT_DISABLED" | "BLACKLIST_BUYER_IN_LIST" => Err(SupplierError::Unauthorized(
            format!("AliExpress refuses orders from this account ({code})"),
        )),
        c if c.starts_with("A006") => Err(SupplierError::Unauthorized(format!(
            "AliExpress says the account information is invalid ({c})"
        ))),
        // A currency mismatch between the items and `pay_currency`, not a price rise: calling
        // it PriceChanged would trip the price guard's "price increased" hold for nothing.
        "PRICE_PAY_CURRENCY_ERROR" => other("items and pay currency differ"),
        "ERROR_WHEN_BUILD_FOR_PLACE_ORDER" => other("order could not be built"),
        c if c.starts_with("A001") => other("order cannot be placed"),
        c if c.starts_with("A003") => other("buyer considered suspicious"),
        c if c.starts_with("A004") => other("coupon cannot be used"),
        "" => other("no error code"),
        _ => other("undocumented code"),
    }
}

/// INVENTORY_HOLD_ERROR does not say which SKU ran out. With one line it is that line's; with
/// several, the best guess is the line with the least stock to spare in the product query.
fn likely_short_sku(lines: &[OrderLine]) -> String {
    lines
        .iter()
        .min_by_key(|q| i64::from(q.available) - i64::from(q.quantity))
        .map(|q| q.supplier_sku_id.clone())
        .unwrap_or_default()
}
