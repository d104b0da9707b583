//! Shopify Returns as a webhook sender: a [`SandboxReturn`] (a return of some order lines)
//! and the bodies of its `returns/*` deliveries, plus the `refunds/create` body of the refund
//! that settles it.
//!
//! Shapes after `docs/protocols/after-sale.md` §2.2 (the webhook typings `ReturnRequest`,
//! `ReturnApprove`, `ReturnDecline`, `ReturnClose`, `ReturnCancel`, `ReturnReopen`, and the
//! one captured `returns/request` body) and §2.1 (a refund of a return carries
//! `"return": {"id", "admin_graphql_api_id"}`). Where the sources differ the sandbox picks one
//! and says so: ids are integers (as the captured body has them); a close says
//! `"status": "closed"` (the GraphQL enum's word; the typings' `close` is suspect).

use super::ShopifyWebhook;
use crate::catalog::decimal;
use serde_json::{json, Value};

/// What happened to a return, by its webhook topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnTopic {
    Request,
    Approve,
    Decline,
    Close,
    Cancel,
    Reopen,
}

impl ReturnTopic {
    pub const ALL: [ReturnTopic; 6] = [
        ReturnTopic::Request,
        ReturnTopic::Approve,
        ReturnTopic::Decline,
        ReturnTopic::Close,
        ReturnTopic::Cancel,
        ReturnTopic::Reopen,
    ];

    /// `X-Shopify-Topic`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnTopic::Request => "returns/request",
            ReturnTopic::Approve => "returns/approve",
            ReturnTopic::Decline => "returns/decline",
            ReturnTopic::Close => "returns/close",
            ReturnTopic::Cancel => "returns/cancel",
            ReturnTopic::Reopen => "returns/reopen",
        }
    }

    /// The return's `status` after it (lower case, as webhook bodies write it).
    pub fn status(self) -> &'static str {
        match self {
            ReturnTopic::Request => "requested",
            ReturnTopic::Approve | ReturnTopic::Reopen => "open",
            ReturnTopic::Decline => "declined",
            ReturnTopic::Close => "closed",
            ReturnTopic::Cancel => "canceled",
        }
    }
}

/// Units of one order line coming back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnLine {
    /// The order's `line_items[].id`.
    pub line_item_id: u64,
    pub quantity: u32,
    /// A `ReturnReason` in lower case (`defective`, `unwanted`, `size_too_small`, …).
    pub reason: String,
    pub reason_note: Option<String>,
    pub customer_note: Option<String>,
}

/// One return of an order, as the sandbox shop holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxReturn {
    /// The return's id (its GID is derived).
    pub id: u64,
    /// The order's id.
    pub order_id: u64,
    /// The shop's name for it (`#1001-R1`).
    pub name: String,
    pub lines: Vec<ReturnLine>,
    /// Why it was declined (`final_sale`, `return_period_ended`, `other`) and the message to
    /// the customer, for a decline.
    pub decline: Option<(String, Option<String>)>,
}

impl SandboxReturn {
    /// A return of nothing yet: add lines with [`line`](Self::line).
    pub fn new(id: u64, order_id: u64, name: &str) -> Self {
        SandboxReturn {
            id,
            order_id,
            name: name.to_string(),
            lines: Vec::new(),
            decline: None,
        }
    }

    /// `quantity` of order line `line_item_id` coming back for `reason`.
    pub fn line(mut self, line_item_id: u64, quantity: u32, reason: &str) -> Self {
        self.lines.push(ReturnLine {
            line_item_id,
            quantity,
            reason: reason.to_string(),
            reason_note: None,
            customer_note: None,
        });
        self
    }

    /// The customer's words on the last line added.
    pub fn customer_note(mut self, note: &str) -> Self {
        if let Some(line) = self.lines.last_mut() {
            line.customer_note = Some(note.to_string());
        }
        self
    }

    /// How the return is declined, for [`ReturnTopic::Decline`].
    pub fn declined(mut self, reason: &str, note: Option<&str>) -> Self {
        self.decline = Some((reason.to_string(), note.map(str::to_string)));
        self
    }

    /// The body of the `topic` delivery: the whole return for a request or an approval, the
    /// id and status (and the decline) for the rest, which name no order.
    pub fn body(&self, topic: ReturnTopic) -> Value {
        let mut body = json!({
            "id": self.id,
            "admin_graphql_api_id": format!("gid://shopify/Return/{}", self.id),
            "status": topic.status(),
        });
        match topic {
            ReturnTopic::Request | ReturnTopic::Approve => {
                body["order"] = json!({
                    "id": self.order_id,
                    "admin_graphql_api_id": format!("gid://shopify/Order/{}", self.order_id),
                });
                body["total_return_line_items"] = json!(self.lines.len());
                body["name"] = json!(self.name);
                body["return_line_items"] = Value::Array(
                    self.lines
                        .iter()
                        .enumerate()
                        .map(|(i, line)| self.line_body(i as u64 + 1, line))
                        .collect(),
                );
            }
            ReturnTopic::Decline => {
                let (reason, note) = self
                    .decline
                    .clone()
                    .unwrap_or_else(|| ("other".to_string(), None));
                body["decline"] = json!({ "reason": reason, "note": note });
            }
            ReturnTopic::Close | ReturnTopic::Cancel | ReturnTopic::Reopen => {}
        }
        body
    }

    fn line_body(&self, n: u64, line: &ReturnLine) -> Value {
        // Ids of the return's own lines and of the fulfillment lines, derived so the same
        // return always reads the same.
        let return_line = self.id.wrapping_mul(100).wrapping_add(n);
        let fulfillment_line = line.line_item_id.wrapping_mul(10).wrapping_add(7);
        json!({
            "id": return_line,
            "admin_graphql_api_id": format!("gid://shopify/ReturnLineItem/{return_line}"),
            "fulfillment_line_item": {
                "id": fulfillment_line,
                "admin_graphql_api_id":
                    format!("gid://shopify/FulfillmentLineItem/{fulfillment_line}"),
                "line_item": {
                    "id": line.line_item_id,
                    "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", line.line_item_id),
                }
            },
            "quantity": line.quantity,
            "return_reason": line.reason,
            "return_reason_note": line.reason_note.clone().unwrap_or_default(),
            "customer_note": line.customer_note,
        })
    }

    /// A fresh delivery of `topic` from `shop_domain`: signed when its headers are asked for
    /// ([`ShopifyWebhook::headers`]); [`ShopifyWebhook::redelivery`] repeats it.
    pub fn delivery(&self, topic: ReturnTopic, shop_domain: &str) -> ShopifyWebhook {
        ShopifyWebhook::new(
            topic.as_str(),
            shop_domain,
            crate::body_bytes(&self.body(topic)),
        )
    }

    /// The delivery's signed headers and body, ready to post to `/webhooks/shopify`.
    pub fn signed(
        &self,
        topic: ReturnTopic,
        shop_domain: &str,
        secret: &[u8],
    ) -> (Vec<(&'static str, String)>, Vec<u8>) {
        let hook = self.delivery(topic, shop_domain);
        (hook.headers(secret), hook.body)
    }

    /// The `refunds/create` body of the refund that settles this return: every line, restocked
    /// (`restock_type: return`), `amount_cents` back in `currency` through one successful
    /// transaction, tied to the return by `"return": {"id", "admin_graphql_api_id"}`.
    pub fn refund_body(&self, refund_id: u64, amount_cents: i64, currency: &str) -> Value {
        let lines: Vec<Value> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                json!({
                    "id": refund_id.wrapping_mul(10).wrapping_add(i as u64 + 1),
                    "line_item_id": line.line_item_id,
                    "quantity": line.quantity,
                    "restock_type": "return",
                    "location_id": 5791776832u64,
                })
            })
            .collect();
        json!({
            "id": refund_id,
            "order_id": self.order_id,
            "created_at": "2026-01-15T10:00:00-05:00",
            "note": null,
            "restock": true,
            "admin_graphql_api_id": format!("gid://shopify/Refund/{refund_id}"),
            "return": {
                "id": self.id,
                "admin_graphql_api_id": format!("gid://shopify/Return/{}", self.id),
            },
            "refund_line_items": lines,
            "refund_shipping_lines": [],
            "order_adjustments": [],
            "transactions": [{
                "id": refund_id.wrapping_add(1),
                "order_id": self.order_id,
                "kind": "refund",
                "gateway": "bogus",
                "status": "success",
                "amount": decimal(amount_cents),
                "currency": currency,
                "parent_id": self.order_id.wrapping_add(3),
                "test": true,
            }],
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> SandboxReturn {
        SandboxReturn::new(3547267221, 5196695273621, "#1106-R2")
            .line(12695210000533, 1, "unwanted")
            .customer_note("Too small.")
    }

    #[test]
    fn a_request_has_the_captured_shape_and_the_later_topics_only_the_id() {
        let body = sample().body(ReturnTopic::Request);
        assert_eq!(body["id"], json!(3547267221u64));
        assert_eq!(
            body["admin_graphql_api_id"],
            "gid://shopify/Return/3547267221"
        );
        assert_eq!(body["status"], "requested");
        assert_eq!(body["order"]["id"], json!(5196695273621u64));
        assert_eq!(body["name"], "#1106-R2");
        assert_eq!(body["total_return_line_items"], json!(1));
        let line = &body["return_line_items"][0];
        assert_eq!(
            line["fulfillment_line_item"]["line_item"]["id"],
            json!(12695210000533u64)
        );
        assert_eq!(line["quantity"], json!(1));
        assert_eq!(line["return_reason"], "unwanted");
        assert_eq!(line["customer_note"], "Too small.");
        assert_eq!(sample().body(ReturnTopic::Approve)["status"], "open");
        for topic in [ReturnTopic::Close, ReturnTopic::Cancel, ReturnTopic::Reopen] {
            let body = sample().body(topic);
            assert!(body.get("order").is_none(), "{topic:?}");
            assert!(body.get("return_line_items").is_none(), "{topic:?}");
            assert_eq!(body["status"], topic.status());
        }
        let declined = sample()
            .declined("final_sale", Some("Sale items are final."))
            .body(ReturnTopic::Decline);
        assert_eq!(declined["status"], "declined");
        assert_eq!(declined["decline"]["reason"], "final_sale");
        assert_eq!(declined["decline"]["note"], "Sale items are final.");
        assert!(declined.get("order").is_none());
    }

    #[test]
    fn deliveries_are_signed_and_a_refund_names_its_return() {
        let (headers, body) =
            sample().signed(ReturnTopic::Decline, super::super::SHOP_DOMAIN, b"s");
        let get = |n: &str| headers.iter().find(|(k, _)| *k == n).unwrap().1.clone();
        assert_eq!(get("X-Shopify-Topic"), "returns/decline");
        assert_eq!(
            get("X-Shopify-Hmac-Sha256"),
            super::super::sign(b"s", &body)
        );
        let hook = sample().delivery(ReturnTopic::Request, "x.myshopify.com");
        assert_eq!(hook.redelivery().event_id, hook.event_id);

        let refund = sample().refund_body(929361472, 1999, "USD");
        assert_eq!(refund["return"]["id"], json!(3547267221u64));
        assert_eq!(refund["order_id"], json!(5196695273621u64));
        assert_eq!(refund["transactions"][0]["amount"], "19.99");
        assert_eq!(
            refund["refund_line_items"][0]["line_item_id"],
            json!(12695210000533u64)
        );
        let topics: Vec<&str> = ReturnTopic::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(topics.len(), 6);
        assert!(topics.iter().all(|t| t.starts_with("returns/")));
    }
}
