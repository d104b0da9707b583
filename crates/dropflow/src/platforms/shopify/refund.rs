//! The body of a `refunds/create` webhook: the REST Refund resource, bare (like `orders/*`),
//! read into [`StoreRefund`]. Shapes from the Refund resource reference
//! (https://shopify.dev/docs/api/admin-rest/2025-07/resources/refund) and the official
//! library's mocks (`Shopify/shopify-app-js`, `rest/admin/__tests__/2025-07/refund.test.ts`),
//! summarised in `docs/protocols/after-sale.md` §1.3 and §2.1:
//! - money back is the sum of the `transactions` of `kind: "refund"` whose `status` is
//!   `success` (amounts are strings in answers and may be numbers; ids integers or strings);
//! - shipping refunded is in `refund_shipping_lines` since 2024-10, and older answers (and
//!   the mocks, alongside) carry it as an `order_adjustments` entry of `kind:
//!   "shipping_refund"` with a negative amount: the lines win, so it is never counted twice;
//! - `return` is `null`, or `{"id": …}` when the refund settles a Shopify Return.

use crate::platforms::decode::{
    self, currency, money, opt_text, quantity, required, DecimalText, ExternalId, NumberText,
};
use crate::platforms::PayloadError;
use dropflow_core::after_sale::{CaseLine, StoreRefund};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Refund {
    id: Option<ExternalId>,
    order_id: Option<ExternalId>,
    #[serde(default, deserialize_with = "opt_text")]
    note: Option<String>,
    #[serde(default)]
    refund_line_items: Vec<RefundLineItem>,
    #[serde(default)]
    transactions: Vec<Transaction>,
    #[serde(default)]
    refund_shipping_lines: Vec<RefundShippingLine>,
    #[serde(default)]
    order_adjustments: Vec<OrderAdjustment>,
    #[serde(rename = "return")]
    returned: Option<ReturnRef>,
}

#[derive(Debug, Deserialize)]
struct RefundLineItem {
    line_item_id: Option<ExternalId>,
    quantity: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Transaction {
    kind: Option<String>,
    status: Option<String>,
    amount: Option<NumberText>,
    currency: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RefundShippingLine {
    subtotal_amount_set: Option<MoneySet>,
}

#[derive(Debug, Deserialize)]
struct MoneySet {
    shop_money: Option<Amount>,
}

#[derive(Debug, Deserialize)]
struct Amount {
    amount: Option<DecimalText>,
}

#[derive(Debug, Deserialize)]
struct OrderAdjustment {
    kind: Option<String>,
    amount: Option<NumberText>,
}

#[derive(Debug, Deserialize)]
struct ReturnRef {
    id: Option<ExternalId>,
}

/// Reads a `refunds/create` body. Its successful refund transactions must share one currency
/// (the case compares it with the order's); a refund with none moved no money.
pub fn parse_refund(body: &[u8]) -> Result<StoreRefund, PayloadError> {
    let refund: Refund = decode::json(body)?;
    let refund_id = required(refund.id, "id")?.0;
    let order_external_id = required(refund.order_id, "order_id")?.0;
    let mut lines: Vec<CaseLine> = Vec::new();
    for (i, item) in refund.refund_line_items.into_iter().enumerate() {
        let path = format!("refund_line_items[{i}]");
        let line_id = required(item.line_item_id, format!("{path}.line_item_id"))?.0;
        let units = quantity(
            required(item.quantity, format!("{path}.quantity"))?,
            &format!("{path}.quantity"),
        )?;
        match lines.iter_mut().find(|l| l.line_id == line_id) {
            Some(line) => line.quantity = line.quantity.saturating_add(units),
            None => lines.push(CaseLine {
                line_id,
                quantity: units,
            }),
        }
    }
    let mut refund_currency: Option<Currency> = None;
    let mut total = 0i64;
    for (i, tx) in refund.transactions.iter().enumerate() {
        let path = format!("transactions[{i}]");
        let refunded =
            tx.kind.as_deref() == Some("refund") && tx.status.as_deref() == Some("success");
        if !refunded {
            continue;
        }
        let code = required(tx.currency.as_deref(), format!("{path}.currency"))?;
        let tx_currency = currency(code, &format!("{path}.currency"))?;
        if let Some(expected) = refund_currency {
            if expected != tx_currency {
                return Err(decode::invalid(
                    format!("{path}.currency"),
                    format!(
                        "{code} differs from the refund's other transactions ({})",
                        expected.code()
                    ),
                ));
            }
        }
        refund_currency = Some(tx_currency);
        let NumberText(amount) = required(tx.amount.clone(), format!("{path}.amount"))?;
        total += money(&amount, tx_currency, &format!("{path}.amount"))?.minor;
    }
    let shipping = match refund_currency {
        Some(currency) => shipping_refunded(
            &refund.refund_shipping_lines,
            &refund.order_adjustments,
            currency,
        )?,
        None => 0,
    };
    Ok(StoreRefund {
        refund_id,
        order_external_id,
        lines,
        currency: refund_currency,
        total_minor: total,
        shipping_minor: shipping.min(total),
        return_id: refund.returned.and_then(|r| r.id).map(|ExternalId(id)| id),
        note: refund.note,
    })
}

/// Shipping refunded: the `refund_shipping_lines` when there are any, else the
/// `shipping_refund` order adjustments (negative amounts, so negated).
fn shipping_refunded(
    lines: &[RefundShippingLine],
    adjustments: &[OrderAdjustment],
    currency: Currency,
) -> Result<i64, PayloadError> {
    let mut minor = 0i64;
    if !lines.is_empty() {
        for (i, line) in lines.iter().enumerate() {
            let path = format!("refund_shipping_lines[{i}].subtotal_amount_set.shop_money.amount");
            let amount = line
                .subtotal_amount_set
                .as_ref()
                .and_then(|s| s.shop_money.as_ref())
                .and_then(|m| m.amount.clone());
            let DecimalText(text) = required(amount, path.clone())?;
            minor += money(&text, currency, &path)?.minor;
        }
        return Ok(minor);
    }
    for (i, adjustment) in adjustments.iter().enumerate() {
        if adjustment.kind.as_deref() != Some("shipping_refund") {
            continue;
        }
        let path = format!("order_adjustments[{i}].amount");
        let NumberText(text) = required(adjustment.amount.clone(), path.clone())?;
        let amount = Money::parse_decimal(&text, currency)
            .map_err(|e| decode::invalid(path.clone(), e.to_string()))?;
        minor += amount.minor.abs();
    }
    Ok(minor)
}
