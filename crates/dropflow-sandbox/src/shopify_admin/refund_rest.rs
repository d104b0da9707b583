//! The REST refund paths of the sandbox: `GET orders/{id}/refunds.json` (the REST Refund
//! resource, integer ids as the live API sends them) and `POST
//! orders/{id}/refunds/calculate.json`, in the shapes of the official library's mocks
//! (`Shopify/shopify-app-js` `packages/apps/shopify-api/rest/admin/__tests__/2025-07/refund.test.ts`,
//! test_1 and test_6; `docs/protocols/after-sale.md` §1.3).

use super::money::{id_of, parse_minor, value_text};
use super::refunds::{
    not_found, unprocessable, Book, Ledger, RefundRecord, RefundedLine, Refusal, Wanted,
    WantedTransaction, GATEWAY,
};
use serde_json::{json, Value};

impl Book {
    fn ledger(&self, order_id: &str) -> Result<(u64, &Ledger), Refusal> {
        let id = order_id.trim().parse::<u64>().map_err(|_| not_found())?;
        self.orders.get(&id).map(|l| (id, l)).ok_or_else(not_found)
    }

    /// A refund a person makes in the shop's admin: `lines` (line item id, units) back in
    /// stock at `location_id` (`restock_type: return`), their price refunded through the
    /// order's sale. What Shopify then sends as `refunds/create`: the REST Refund resource,
    /// tied to the Shopify Return it settles (`"return": {"id", "admin_graphql_api_id"}`,
    /// after-sale.md §2.1) when `return_id` is given, `"return": null` otherwise.
    pub(crate) fn refund_in_admin(
        &mut self,
        order_id: u64,
        lines: &[(u64, u32)],
        return_id: Option<u64>,
        location_id: u64,
    ) -> Result<Value, String> {
        let ledger = self
            .orders
            .get(&order_id)
            .ok_or_else(|| format!("order {order_id} is not in the shop"))?;
        let mut amount = 0;
        for (line_item_id, quantity) in lines {
            let line = ledger
                .lines
                .iter()
                .find(|l| l.id == *line_item_id)
                .ok_or_else(|| format!("line {line_item_id} is not on order {order_id}"))?;
            amount += line.price_minor * i64::from(*quantity);
        }
        let wanted = Wanted {
            order_id,
            note: Some("refunded in the Shopify admin".into()),
            lines: lines
                .iter()
                .map(|(line_item_id, quantity)| RefundedLine {
                    line_item_id: *line_item_id,
                    quantity: *quantity,
                    restock_type: "RETURN".into(),
                    location_id: Some(location_id),
                })
                .collect(),
            transactions: vec![WantedTransaction {
                order_id,
                parent_id: Some(ledger.sale.id),
                gateway: GATEWAY.into(),
                kind: "REFUND".into(),
                amount: ledger.text(amount),
            }],
            ..Wanted::default()
        };
        let record = self.create(&wanted).map_err(|errors| {
            let said: Vec<String> = errors.iter().map(|e| e.to_json().to_string()).collect();
            format!("the shop refused the refund: {}", said.join("; "))
        })?;
        let ledger = self
            .orders
            .get(&order_id)
            .ok_or_else(|| format!("order {order_id} is not in the shop"))?;
        let mut body = rest_refund(order_id, ledger, &record, location_id);
        body["return"] = match return_id {
            Some(id) => {
                json!({ "id": id, "admin_graphql_api_id": format!("gid://shopify/Return/{id}") })
            }
            None => Value::Null,
        };
        Ok(body)
    }

    /// `GET orders/{order_id}/refunds.json`: the REST Refund resource, oldest first.
    pub fn list(&self, order_id: &str, location_id: u64) -> Result<Value, Refusal> {
        let (id, ledger) = self.ledger(order_id)?;
        let refunds: Vec<Value> = ledger
            .refunds
            .iter()
            .map(|r| rest_refund(id, ledger, r, location_id))
            .collect();
        Ok(json!({ "refunds": refunds }))
    }

    /// `POST orders/{order_id}/refunds/calculate.json`: the lines' and shipping's amounts and
    /// the suggested transaction (`kind: "suggested_refund"`, with `maximum_refundable`).
    pub fn calculate(
        &self,
        order_id: &str,
        body: &Value,
        location_id: u64,
    ) -> Result<Value, Refusal> {
        let (id, ledger) = self.ledger(order_id)?;
        let refund = body.get("refund").filter(|r| r.is_object()).ok_or((
            400,
            json!({"errors": {"refund": "Required parameter missing or invalid"}}),
        ))?;
        let mut lines_json = Vec::new();
        let mut goods = 0i64;
        for (i, item) in refund
            .get("refund_line_items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let line_id = item.get("line_item_id").and_then(id_of);
            let line = line_id
                .and_then(|l| ledger.lines.iter().find(|o| o.id == l))
                .ok_or_else(|| {
                    unprocessable(
                        "refund_line_items",
                        format!("line item at {i} does not belong to the order"),
                    )
                })?;
            let quantity = item
                .get("quantity")
                .and_then(Value::as_u64)
                .and_then(|q| u32::try_from(q).ok())
                .unwrap_or(0);
            if quantity == 0
                || quantity > line.quantity.saturating_sub(ledger.refunded_units(line.id))
            {
                return Err(unprocessable(
                    "refund_line_items",
                    format!("cannot refund {quantity} of line item {}", line.id),
                ));
            }
            let restock = item
                .get("restock_type")
                .and_then(Value::as_str)
                .unwrap_or("no_restock");
            let location = match restock {
                "return" | "cancel" => json!(item
                    .get("location_id")
                    .and_then(id_of)
                    .unwrap_or(location_id)),
                _ => Value::Null,
            };
            let subtotal = line.price_minor * i64::from(quantity);
            goods += subtotal;
            lines_json.push(json!({
                "quantity": quantity,
                "line_item_id": line.id,
                "location_id": location,
                "restock_type": restock,
                "price": ledger.text(line.price_minor),
                "subtotal": ledger.text(subtotal),
                "total_tax": ledger.text(0),
                "discounted_price": ledger.text(line.price_minor),
                "discounted_total_price": ledger.text(subtotal),
                "total_cart_discount_amount": ledger.text(0),
            }));
        }
        let shipping_left = ledger.shipping_left();
        let shipping = refund.get("shipping");
        let shipping_minor = if shipping
            .and_then(|s| s.get("full_refund"))
            .and_then(Value::as_bool)
            == Some(true)
        {
            shipping_left
        } else {
            match shipping.and_then(|s| s.get("amount")) {
                None | Some(Value::Null) => 0,
                Some(v) => parse_minor(&value_text(v), ledger.decimals).ok_or_else(|| {
                    unprocessable(
                        "shipping",
                        format!("amount {v} is not a {} amount", ledger.currency),
                    )
                })?,
            }
        };
        if shipping_minor > shipping_left {
            return Err(unprocessable(
                "shipping",
                format!(
                    "amount {} is more than the {} left to refund",
                    ledger.text(shipping_minor),
                    ledger.text(shipping_left)
                ),
            ));
        }
        let refundable = ledger.refundable_minor();
        let transactions: Vec<Value> = if refundable > 0 {
            vec![json!({
                "order_id": id,
                "kind": "suggested_refund",
                "gateway": GATEWAY,
                "parent_id": ledger.sale.id,
                "amount": ledger.text((goods + shipping_minor).min(refundable)),
                "currency": ledger.currency,
                "maximum_refundable": ledger.text(refundable),
            })]
        } else {
            Vec::new()
        };
        let zero_set = json!({
            "shop_money": {"amount": ledger.text(0), "currency_code": ledger.currency},
            "presentment_money": {"amount": ledger.text(0), "currency_code": ledger.currency}
        });
        Ok(json!({"refund": {
            "duties": [],
            "total_duties_set": zero_set,
            "return": null,
            "shipping": {
                "amount": ledger.text(shipping_minor),
                "tax": ledger.text(0),
                "maximum_refundable": ledger.text(shipping_left),
            },
            "additional_fees": [],
            "total_additional_fees_set": zero_set,
            "refund_shipping_lines": [],
            "refund_line_items": lines_json,
            "transactions": transactions,
            "currency": ledger.currency,
        }}))
    }
}

/// A refund as the REST Refund resource shows it.
fn rest_refund(order_id: u64, ledger: &Ledger, r: &RefundRecord, location_id: u64) -> Value {
    let money_set = |minor: i64| {
        json!({
            "shop_money": {"amount": ledger.text(minor), "currency_code": ledger.currency},
            "presentment_money": {"amount": ledger.text(minor), "currency_code": ledger.currency}
        })
    };
    let lines: Vec<Value> = r
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let price = ledger
                .lines
                .iter()
                .find(|o| o.id == l.line_item_id)
                .map_or(0, |o| o.price_minor);
            let subtotal = price * i64::from(l.quantity);
            json!({
                "id": r.id * 10 + i as u64,
                "line_item_id": l.line_item_id,
                "quantity": l.quantity,
                "restock_type": l.restock_type.to_ascii_lowercase(),
                "location_id": if l.restock_type == "NO_RESTOCK" { Value::Null } else { json!(l.location_id.unwrap_or(location_id)) },
                "subtotal": ledger.text(subtotal),
                "total_tax": ledger.text(0),
                "subtotal_set": money_set(subtotal),
                "total_tax_set": money_set(0),
            })
        })
        .collect();
    let transactions: Vec<Value> = r
        .transactions
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "order_id": order_id,
                "kind": "refund",
                "gateway": t.gateway,
                "status": "success",
                "message": "Bogus Gateway: Forced success",
                "created_at": r.created_at,
                "test": true,
                "authorization": null,
                "parent_id": t.parent_id,
                "processed_at": r.created_at,
                "amount": ledger.text(t.amount_minor),
                "currency": ledger.currency,
                "admin_graphql_api_id": format!("gid://shopify/OrderTransaction/{}", t.id),
            })
        })
        .collect();
    let shipping_lines: Vec<Value> = if r.shipping_minor > 0 {
        vec![json!({
            "id": r.id * 10 + 9,
            "shipping_line_id": null,
            "subtotal_amount_set": money_set(r.shipping_minor),
        })]
    } else {
        Vec::new()
    };
    json!({
        "id": r.id,
        "order_id": order_id,
        "created_at": r.created_at,
        "note": r.note,
        "user_id": null,
        "processed_at": r.created_at,
        "restock": r.restock(),
        "duties": [],
        "return": null,
        "admin_graphql_api_id": format!("gid://shopify/Refund/{}", r.id),
        "refund_line_items": lines,
        "transactions": transactions,
        "refund_shipping_lines": shipping_lines,
        "order_adjustments": [],
    })
}
