//! The parts of a createOrderV2 body the sandbox acts on, read and checked.

use super::{code, refuse, Refusal};
use crate::cj::orders::ShipTo;
use serde_json::Value;

/// A quantity as CJ accepts it: a number or a numeric string (the docs type it as string).
pub(super) fn quantity(value: Option<&Value>) -> Option<u32> {
    match value? {
        Value::Number(n) => n.as_u64().and_then(|q| u32::try_from(q).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `payType`: 1 or absent = pay on CJ's page, 2 = pay from balance at once, 3 = create only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PayType {
    Page,
    Balance,
    CreateOnly,
}

/// The parts of a createOrderV2 body the sandbox acts on, checked.
pub(super) struct OrderRequest {
    pub(super) order_number: String,
    pub(super) country_code: String,
    pub(super) ship_to: ShipTo,
    pub(super) logistic_name: String,
    pub(super) pay_type: PayType,
    pub(super) products: Vec<(String, u32)>,
}

impl OrderRequest {
    pub(super) fn read(body: &Value) -> Result<OrderRequest, Refusal> {
        let text = |field: &str| {
            body.get(field)
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or_default()
                .to_string()
        };
        let order_number = text("orderNumber");
        if order_number.is_empty() {
            return refuse(code::ILLEGAL_PARAMETER, "orderNumber is required");
        }
        if order_number.chars().count() > 50 {
            return refuse(
                code::ILLEGAL_PARAMETER,
                "orderNumber must be at most 50 characters",
            );
        }
        for field in [
            "shippingCountryCode",
            "shippingCustomerName",
            "shippingAddress",
            "shippingCity",
            "shippingZip",
        ] {
            if text(field).is_empty() {
                return refuse(
                    code::ILLEGAL_PARAMETER,
                    format!("Invalid shipping address: {field} is required"),
                );
            }
        }
        let country_code = text("shippingCountryCode").to_ascii_uppercase();
        if country_code.len() != 2 || !country_code.bytes().all(|b| b.is_ascii_alphabetic()) {
            return refuse(
                code::ILLEGAL_PARAMETER,
                "Invalid shipping address: shippingCountryCode must be two letters",
            );
        }
        let logistic_name = text("logisticName");
        if logistic_name.is_empty() {
            return refuse(code::ILLEGAL_PARAMETER, "logisticName is required");
        }
        let pay_type = match body.get("payType").and_then(|v| quantity(Some(v))) {
            None | Some(1) => PayType::Page,
            Some(2) => PayType::Balance,
            Some(3) => PayType::CreateOnly,
            Some(_) => return refuse(code::ILLEGAL_PARAMETER, "payType must be 1, 2 or 3"),
        };
        let products: Vec<(String, u32)> = body
            .get("products")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        let vid = p.get("vid").and_then(Value::as_str).unwrap_or_default();
                        (
                            vid.trim().to_string(),
                            quantity(p.get("quantity")).unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if products.is_empty() || products.iter().any(|(v, q)| v.is_empty() || *q == 0) {
            return refuse(
                code::ILLEGAL_PARAMETER,
                "products must list at least one vid with a quantity of 1 or more",
            );
        }
        Ok(OrderRequest {
            order_number,
            ship_to: ShipTo {
                customer_name: text("shippingCustomerName"),
                address: text("shippingAddress"),
                city: text("shippingCity"),
                province: text("shippingProvince"),
                phone: text("shippingPhone"),
            },
            country_code,
            logistic_name,
            pay_type,
            products,
        })
    }
}
