//! Shopify as a webhook sender: the `X-Shopify-*` header set, the signature, and
//! `orders/*` bodies shaped like the REST Order resource (protocols.md §1.1, §1.2, §1.5);
//! [`returns`]: the `returns/*` deliveries of a return and the refund settling it.

/// Shopify Returns: a return's `returns/*` deliveries, signed.
pub mod returns;

use crate::catalog::{self, decimal};
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{json, Value};

/// The API version the sandbox claims its payloads are in.
pub const API_VERSION: &str = "2025-07";

/// The shop the sandbox pretends to be unless told otherwise.
pub const SHOP_DOMAIN: &str = "sandbox-store.myshopify.com";

/// `X-Shopify-Hmac-Sha256` for `body`: base64 of HMAC-SHA256 keyed with the app's client
/// secret.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    crate::base64_hmac_sha256(secret, body)
}

/// One webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopifyWebhook {
    /// `orders/create`, `orders/paid`, ...
    pub topic: String,
    pub shop_domain: String,
    /// Identifies the underlying event: the same on every duplicate delivery of it.
    pub event_id: String,
    /// Identifies this delivery attempt.
    pub webhook_id: String,
    pub api_version: String,
    /// ISO-8601 UTC, e.g. `2026-01-27T12:00:00Z`.
    pub triggered_at: String,
    /// The raw body, exactly as signed.
    pub body: Vec<u8>,
}

impl ShopifyWebhook {
    /// A fresh delivery of a fresh event, triggered now: new UUIDs for event and webhook id.
    pub fn new(topic: &str, shop_domain: &str, body: Vec<u8>) -> Self {
        ShopifyWebhook {
            topic: topic.to_string(),
            shop_domain: shop_domain.to_string(),
            event_id: uuid::Uuid::now_v7().to_string(),
            webhook_id: uuid::Uuid::now_v7().to_string(),
            api_version: API_VERSION.to_string(),
            triggered_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            body,
        }
    }

    /// The same event delivered again, as Shopify does on retries and sometimes spuriously:
    /// same event id and body, new webhook (delivery) id.
    pub fn redelivery(&self) -> Self {
        ShopifyWebhook {
            webhook_id: uuid::Uuid::now_v7().to_string(),
            ..self.clone()
        }
    }

    /// The headers of the delivery, signed with `secret`: `Content-Type` and the
    /// `X-Shopify-*` set (the optional `X-Shopify-Name` subscription name is left out).
    /// Header names are case-insensitive on the wire; these use Shopify's documented spelling.
    pub fn headers(&self, secret: &[u8]) -> Vec<(&'static str, String)> {
        vec![
            ("Content-Type", "application/json".to_string()),
            ("X-Shopify-Topic", self.topic.clone()),
            ("X-Shopify-Hmac-Sha256", sign(secret, &self.body)),
            ("X-Shopify-Shop-Domain", self.shop_domain.clone()),
            ("X-Shopify-API-Version", self.api_version.clone()),
            ("X-Shopify-Webhook-Id", self.webhook_id.clone()),
            ("X-Shopify-Event-Id", self.event_id.clone()),
            ("X-Shopify-Triggered-At", self.triggered_at.clone()),
        ]
    }
}

/// An `orders/create` body (the bare Order resource, not wrapped in `{"order": …}`) for
/// `order_id`: USD, 1–3 line items, a US shipping address with a real ZIP, a customer, flat
/// rate shipping. Everything but the arguments is derived from `order_id`, deterministically.
///
/// `financial_status` is passed through verbatim (`pending`, `paid`, ...), so tests can send
/// unknown values too. Change anything else on the returned value (e.g. set `cancelled_at`)
/// before signing it.
pub fn order_payload(order_id: u64, name: &str, financial_status: &str) -> Value {
    let plan = catalog::plan(order_id);
    let created = shop_time(plan.created_at);
    let updated = shop_time(plan.created_at + chrono::Duration::seconds(5));
    let order_number = name
        .trim_start_matches('#')
        .parse::<u64>()
        .unwrap_or(order_id);

    let shipping_cents = 499;
    let subtotal = plan.subtotal_cents();
    let total = subtotal + shipping_cents;
    let email = plan.email();
    let phone = plan.phone();
    let address = json!({
        "first_name": plan.first_name,
        "last_name": plan.last_name,
        "name": format!("{} {}", plan.first_name, plan.last_name),
        "company": null,
        "address1": plan.place.address1,
        "address2": "",
        "city": plan.place.city,
        "province": plan.place.province,
        "province_code": plan.place.province_code,
        "zip": plan.place.zip,
        "country": "United States",
        "country_code": "US",
        "phone": phone,
        "latitude": null,
        "longitude": null
    });
    let line_items: Vec<Value> = plan
        .lines
        .iter()
        .enumerate()
        .map(|(i, (p, qty))| {
            let id = catalog::child_id(order_id, i as u64 + 1);
            json!({
                "id": id,
                "admin_graphql_api_id": format!("gid://shopify/LineItem/{id}"),
                "product_id": p.product_id,
                "variant_id": p.variant_id,
                "sku": p.sku,
                "title": p.title,
                "variant_title": p.variant_title,
                "name": format!("{} - {}", p.title, p.variant_title),
                "vendor": p.vendor,
                "quantity": qty,
                "current_quantity": qty,
                "fulfillable_quantity": qty,
                "price": decimal(p.price_cents),
                "price_set": money_set(p.price_cents),
                "grams": p.grams,
                "fulfillment_service": "manual",
                "fulfillment_status": null,
                "requires_shipping": true,
                "taxable": true,
                "gift_card": false,
                "product_exists": true,
                "properties": properties(p),
                "tax_lines": [],
                "discount_allocations": [],
                "total_discount": "0.00"
            })
        })
        .collect();

    // Two halves merged: one `json!` this size exceeds the macro recursion limit.
    let head = json!({
        "id": order_id,
        "admin_graphql_api_id": format!("gid://shopify/Order/{order_id}"),
        "name": name,
        "order_number": order_number,
        "number": order_number.saturating_sub(1000),
        "confirmation_number": format!("SBX{:06}", order_id % 1_000_000),
        "token": format!("{:032x}", u128::from(order_id)),
        "email": email,
        "contact_email": email,
        "phone": phone,
        "customer_locale": "en-US",
        "note": null,
        "note_attributes": [],
        "tags": "",
        "test": false,
        "source_name": "web",
        "currency": "USD",
        "presentment_currency": "USD",
        "total_price": decimal(total),
        "total_price_set": money_set(total),
        "current_total_price": decimal(total),
        "subtotal_price": decimal(subtotal),
        "subtotal_price_set": money_set(subtotal),
        "total_line_items_price": decimal(subtotal),
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "total_shipping_price_set": money_set(shipping_cents),
        "taxes_included": false,
        "total_weight": plan.lines.iter().map(|(p, q)| p.grams * q).sum::<u32>(),
    });
    let rest = json!({
        "financial_status": financial_status,
        "fulfillment_status": null,
        "created_at": created,
        "updated_at": updated,
        "processed_at": created,
        "closed_at": null,
        "cancelled_at": null,
        "cancel_reason": null,
        "payment_gateway_names": ["bogus"],
        "discount_codes": [],
        "tax_lines": [],
        "line_items": line_items,
        "shipping_lines": [{
            "id": catalog::child_id(order_id, 900),
            "code": "Standard",
            "title": "Standard Shipping",
            "price": decimal(shipping_cents),
            "price_set": money_set(shipping_cents),
            "source": "shopify",
            "carrier_identifier": null,
            "discounted_price": decimal(shipping_cents),
            "tax_lines": []
        }],
        "shipping_address": address,
        "billing_address": address,
        "customer": {
            "id": catalog::child_id(order_id, 999),
            "admin_graphql_api_id": format!("gid://shopify/Customer/{}", catalog::child_id(order_id, 999)),
            "email": email,
            "first_name": plan.first_name,
            "last_name": plan.last_name,
            "phone": phone,
            "state": "enabled",
            "tags": "",
            "currency": "USD",
            "note": null,
            "verified_email": true,
            "tax_exempt": false,
            "created_at": created,
            "updated_at": created
        },
        "fulfillments": [],
        "refunds": []
    });
    crate::merge(head, rest)
}

/// Shopify writes order timestamps in the shop's time zone with its offset
/// (`2008-01-10T11:00:00-05:00`); the sandbox shop keeps New York winter time, so receivers
/// are exercised on the conversion to UTC.
/// Line item properties as a storefront form leaves them: the phone case takes a gift-wrap
/// choice, and an app's private property (a name starting with `_`, hidden from the customer)
/// rides along, as Shopify's own fixtures show properties (`[{"name", "value"}]`).
fn properties(p: &catalog::Product) -> Value {
    if p.sku.starts_with("CASE-") {
        json!([
            {"name": "Gift wrap", "value": "Yes"},
            {"name": "_upsell_ref", "value": "sbx-2"}
        ])
    } else {
        json!([])
    }
}

fn shop_time(at: DateTime<Utc>) -> String {
    match FixedOffset::west_opt(5 * 3600) {
        Some(offset) => at
            .with_timezone(&offset)
            .to_rfc3339_opts(SecondsFormat::Secs, false),
        // Unreachable (the offset is within ±24 h); UTC keeps the function total.
        None => at.to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

fn money_set(cents: i64) -> Value {
    json!({
        "shop_money": {"amount": decimal(cents), "currency_code": "USD"},
        "presentment_money": {"amount": decimal(cents), "currency_code": "USD"}
    })
}

/// A payment dispute as Shopify's `disputes/create` / `disputes/update` carry it: the REST
/// Dispute resource, bare (https://shopify.dev/docs/api/admin-rest/2026-01/resources/dispute;
/// the official library's mock `Shopify/shopify-app-js`
/// `packages/apps/shopify-api/rest/admin/__tests__/2025-07/dispute.test.ts`). `status` is one
/// of the REST words (`needs_response`, `under_review`, `charge_refunded`, `accepted`, `won`,
/// `lost`); a settled one carries `finalized_on`.
pub fn dispute_payload(
    dispute_id: u64,
    order_id: u64,
    amount: &str,
    currency: &str,
    status: &str,
) -> Value {
    let settled = matches!(status, "won" | "lost" | "accepted" | "charge_refunded");
    json!({
        "id": dispute_id,
        "order_id": order_id,
        "type": "chargeback",
        "amount": amount,
        "currency": currency,
        "reason": "product_not_received",
        "network_reason_code": "13.1",
        "status": status,
        "evidence_due_by": "2031-07-01T00:00:00-04:00",
        "evidence_sent_on": if status == "needs_response" { Value::Null } else { json!("2031-06-20T10:00:00-04:00") },
        "finalized_on": if settled { json!("2031-07-15T00:00:00-04:00") } else { Value::Null },
        "initiated_at": "2031-06-01T00:00:00-04:00",
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_the_documented_set_and_signed() {
        let body = crate::body_bytes(&order_payload(1, "#1001", "paid"));
        let hook = ShopifyWebhook::new("orders/create", SHOP_DOMAIN, body.clone());
        let headers = hook.headers(b"secret");
        let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "X-Shopify-Topic",
                "X-Shopify-Hmac-Sha256",
                "X-Shopify-Shop-Domain",
                "X-Shopify-API-Version",
                "X-Shopify-Webhook-Id",
                "X-Shopify-Event-Id",
                "X-Shopify-Triggered-At",
            ]
        );
        let get = |n: &str| headers.iter().find(|(k, _)| *k == n).unwrap().1.clone();
        assert_eq!(get("X-Shopify-Hmac-Sha256"), sign(b"secret", &body));
        assert_eq!(get("X-Shopify-Topic"), "orders/create");
        assert!(get("X-Shopify-Triggered-At").ends_with('Z'));

        let again = hook.redelivery();
        assert_eq!(again.event_id, hook.event_id);
        assert_ne!(again.webhook_id, hook.webhook_id);
    }

    #[test]
    fn order_payload_is_consistent() {
        for id in [1u64, 2, 3, 450_789_469, u64::MAX] {
            let order = order_payload(id, "#1001", "paid");
            assert_eq!(order["id"], json!(id));
            assert_eq!(order["financial_status"], "paid");
            let lines = order["line_items"].as_array().unwrap();
            assert!((1..=3).contains(&lines.len()));
            let cents =
                |v: &Value| -> i64 { v.as_str().unwrap().replace('.', "").parse().unwrap() };
            let subtotal: i64 = lines
                .iter()
                .map(|l| cents(&l["price"]) * l["quantity"].as_i64().unwrap())
                .sum();
            assert_eq!(cents(&order["subtotal_price"]), subtotal);
            assert_eq!(cents(&order["total_price"]), subtotal + 499);
            // The order-level amounts a receiver keeps, as Shopify sends them.
            let shipping = &order["total_shipping_price_set"]["shop_money"]["amount"];
            assert_eq!(cents(shipping), 499);
            assert_eq!(cents(&order["shipping_lines"][0]["price"]), 499);
            assert_eq!(
                cents(&order["total_discounts"]) + cents(&order["total_tax"]),
                0
            );
            assert_eq!(order["taxes_included"], false);
            let zip = order["shipping_address"]["zip"].as_str().unwrap();
            assert!(zip.len() == 5 && zip.bytes().all(|b| b.is_ascii_digit()));
            assert!(order["created_at"].as_str().unwrap().ends_with("-05:00"));
        }
        assert_eq!(
            order_payload(7, "#1", "paid"),
            order_payload(7, "#1", "paid")
        );
        assert_ne!(
            order_payload(7, "#1", "paid")["line_items"],
            order_payload(8, "#1", "paid")["line_items"]
        );
    }
}
