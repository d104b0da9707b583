//! WooCommerce as a webhook sender: the `X-WC-Webhook-*` header set, the signature, the
//! unsigned ping, and order bodies shaped like the REST v3 order (protocols.md §2.1, §2.3).

use crate::catalog::{self, decimal};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// The site the sandbox pretends to be (`X-WC-Webhook-Source`: home URL with trailing `/`).
pub const SITE_URL: &str = "https://sandbox-shop.example.com/";

/// The content type of the ping body.
pub const PING_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// `X-WC-Webhook-Signature` for `body`: base64 of HMAC-SHA256 keyed with the webhook secret.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    crate::base64_hmac_sha256(secret, body)
}

/// The body WooCommerce POSTs, unsigned, when a webhook is saved: `webhook_id=<id>`.
pub fn ping_body(webhook_id: u64) -> Vec<u8> {
    format!("webhook_id={webhook_id}").into_bytes()
}

/// One webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WooWebhook {
    /// Site home URL with trailing `/`.
    pub source: String,
    /// `order.created`, `order.updated`, ...: `<resource>.<event>`.
    pub topic: String,
    /// The webhook's numeric id in the store.
    pub webhook_id: u64,
    /// Unique per delivery (WooCommerce hashes webhook id and time; any unique token will do).
    pub delivery_id: String,
    /// The raw body, exactly as signed.
    pub body: Vec<u8>,
}

impl WooWebhook {
    /// A fresh delivery from [`SITE_URL`] with a new delivery id.
    pub fn new(topic: &str, webhook_id: u64, body: Vec<u8>) -> Self {
        WooWebhook {
            source: SITE_URL.to_string(),
            topic: topic.to_string(),
            webhook_id,
            delivery_id: uuid::Uuid::now_v7().simple().to_string(),
            body,
        }
    }

    /// The headers of the delivery, signed with `secret`: `Content-Type`, WooCommerce's
    /// `User-Agent`, and the seven `X-WC-Webhook-*` headers.
    pub fn headers(&self, secret: &[u8]) -> Vec<(&'static str, String)> {
        let (resource, event) = self
            .topic
            .split_once('.')
            .unwrap_or((self.topic.as_str(), ""));
        vec![
            ("Content-Type", "application/json".to_string()),
            (
                "User-Agent",
                "WooCommerce/8.9.3 Hookshot (WordPress/6.5.5)".to_string(),
            ),
            ("X-WC-Webhook-Source", self.source.clone()),
            ("X-WC-Webhook-Topic", self.topic.clone()),
            ("X-WC-Webhook-Resource", resource.to_string()),
            ("X-WC-Webhook-Event", event.to_string()),
            ("X-WC-Webhook-Signature", sign(secret, &self.body)),
            ("X-WC-Webhook-ID", self.webhook_id.to_string()),
            ("X-WC-Webhook-Delivery-ID", self.delivery_id.clone()),
        ]
    }
}

/// A line's `meta_data` as WooCommerce 4.x and later returns it: a variation's attributes
/// (`pa_<name>` taxonomy key, the term slug as value, `display_key`/`display_value` the label
/// and term name), and the hidden `_reduced_stock` WooCommerce adds once it took the units
/// from stock (a `_` key: not for the order screen).
fn line_meta(order_id: u64, line: u64, p: &catalog::Product, variation: bool) -> Value {
    let base = 500 + line * 10;
    let mut meta: Vec<Value> = Vec::new();
    if variation {
        for (n, (name, value)) in p.options.iter().enumerate() {
            meta.push(json!({
                "id": catalog::child_id(order_id, base + n as u64),
                "key": format!("pa_{}", name.to_lowercase()),
                "value": value.to_lowercase().replace(' ', "-"),
                "display_key": name,
                "display_value": value
            }));
        }
    }
    meta.push(json!({
        "id": catalog::child_id(order_id, base + 9),
        "key": "_reduced_stock",
        "value": "1",
        "display_key": "_reduced_stock",
        "display_value": "1"
    }));
    Value::Array(meta)
}

/// An order body for `order_id` with `status` passed through verbatim (`processing` for a
/// paid order, `pending`, `cancelled`, ... or anything, to test unknown statuses): USD,
/// 1–3 line items, a US shipping address with a real ZIP, flat-rate shipping. Everything but
/// the arguments is derived from `order_id`, deterministically.
///
/// Line `price` is a JSON float (`21.99`) as WooCommerce sends it; `subtotal`/`total` are
/// strings. About one order in four is a guest (`customer_id: 0`).
pub fn order_payload(order_id: u64, status: &str) -> Value {
    let plan = catalog::plan(order_id);
    let created = site_time(plan.created_at);
    let modified = site_time(plan.created_at + chrono::Duration::seconds(6));
    let paid = matches!(status, "processing" | "completed" | "refunded");
    let shipping_cents = 500;
    let subtotal = plan.subtotal_cents();
    // One order in four is a guest checkout (`customer_id: 0`).
    let customer_id = match order_id % 4 {
        0 => 0,
        _ => catalog::child_id(order_id, 999),
    };

    let line_items: Vec<Value> = plan
        .lines
        .iter()
        .enumerate()
        .map(|(i, (p, qty))| {
            let line_cents = p.price_cents * i64::from(*qty);
            let variation = i % 2 == 0;
            json!({
                "id": catalog::child_id(order_id, i as u64 + 1),
                "name": format!("{} - {}", p.title, p.variant_title),
                "product_id": p.product_id,
                "variation_id": if variation { p.variant_id } else { 0 },
                "quantity": qty,
                "tax_class": "",
                "subtotal": decimal(line_cents),
                "subtotal_tax": "0.00",
                "total": decimal(line_cents),
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": line_meta(order_id, i as u64, p, variation),
                "sku": p.sku,
                // A float, as PHP's json_encode writes it.
                "price": p.price_cents as f64 / 100.0
            })
        })
        .collect();

    let shipping = json!({
        "first_name": plan.first_name,
        "last_name": plan.last_name,
        "company": "",
        "address_1": plan.place.address1,
        "address_2": "",
        "city": plan.place.city,
        "state": plan.place.province_code,
        "postcode": plan.place.zip,
        "country": "US"
    });
    // Two halves merged: one `json!` this size exceeds the macro recursion limit.
    let head = json!({
        "id": order_id,
        "parent_id": 0,
        "number": order_id.to_string(),
        "order_key": format!("wc_order_{:013x}", order_id),
        "created_via": "checkout",
        "version": "8.9.3",
        "status": status,
        "currency": "USD",
        "date_created": created,
        "date_created_gmt": created,
        "date_modified": modified,
        "date_modified_gmt": modified,
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": decimal(shipping_cents),
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": decimal(subtotal + shipping_cents),
        "total_tax": "0.00",
        "prices_include_tax": false,
        "customer_id": customer_id,
        "customer_ip_address": "",
        "customer_user_agent": "",
        "customer_note": "",
        // Billing is the shipping address with the customer's email and phone.
        "billing": crate::merge(
            shipping.clone(),
            json!({"email": plan.email(), "phone": plan.phone()}),
        ),
        "shipping": shipping,
    });
    let tail = json!({
        "payment_method": "stripe",
        "payment_method_title": "Credit card",
        "transaction_id": if paid { format!("ch_sbx{order_id}") } else { String::new() },
        "date_paid": if paid { Value::from(created.clone()) } else { Value::Null },
        "date_paid_gmt": if paid { Value::from(created.clone()) } else { Value::Null },
        "date_completed": null,
        "date_completed_gmt": null,
        "cart_hash": "",
        "meta_data": [],
        "line_items": line_items,
        "tax_lines": [],
        "shipping_lines": [{
            "id": catalog::child_id(order_id, 900),
            "method_title": "Flat rate",
            "method_id": "flat_rate",
            "total": decimal(shipping_cents),
            "total_tax": "0.00",
            "taxes": [],
            "meta_data": []
        }],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
        "_links": {
            "self": [{"href": format!("{SITE_URL}wp-json/wc/v3/orders/{order_id}")}],
            "collection": [{"href": format!("{SITE_URL}wp-json/wc/v3/orders")}]
        }
    });
    crate::merge(head, tail)
}

/// [`order_payload`] in another currency, with the given lines (`(quantity, unit price)` in
/// minor units of a currency with `decimals` decimals) and flat-rate shipping: the amounts
/// a refund test needs to know exactly. Line ids stay `order_id * 1000 + 1, + 2, …`, the
/// shipping line's `order_id * 1000 + 900`.
pub fn order_in_currency(
    order_id: u64,
    status: &str,
    currency: &str,
    decimals: u32,
    lines: &[(u32, i64)],
    shipping_minor: i64,
) -> Value {
    let money = |minor: i64| {
        let scale = 10i64.pow(decimals);
        if decimals == 0 {
            minor.to_string()
        } else {
            format!(
                "{}.{:0width$}",
                minor / scale,
                minor % scale,
                width = decimals as usize
            )
        }
    };
    let zero = money(0);
    let mut order = order_payload(order_id, status);
    let template = order["line_items"][0].clone();
    let items: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, (quantity, unit))| {
            let total = money(unit * i64::from(*quantity));
            crate::merge(
                template.clone(),
                json!({
                    "id": catalog::child_id(order_id, i as u64 + 1),
                    "quantity": quantity,
                    "subtotal": total, "total": total,
                    "subtotal_tax": zero, "total_tax": zero,
                    "price": *unit as f64 / 10f64.powi(decimals as i32),
                }),
            )
        })
        .collect();
    let goods: i64 = lines.iter().map(|(q, unit)| unit * i64::from(*q)).sum();
    order = crate::merge(
        order,
        json!({
            "currency": currency,
            "line_items": items,
            "shipping_total": money(shipping_minor),
            "total": money(goods + shipping_minor),
            "discount_total": zero, "discount_tax": zero, "shipping_tax": zero,
            "cart_tax": zero, "total_tax": zero,
        }),
    );
    order["shipping_lines"][0]["total"] = json!(money(shipping_minor));
    order["shipping_lines"][0]["total_tax"] = json!(zero);
    order
}

/// `order` with its `refunds[]` summary as WooCommerce's orders controller writes it
/// (`WC_REST_Orders_V2_Controller`): `{id, reason, total}` newest first, `total` the
/// refund's amount as a negative string (`"-10.00"`). `refunds` are `(id, reason, amount)`,
/// newest first, the amount as the store formats it (`"10.00"`).
pub fn with_refunds(mut order: Value, refunds: &[(u64, &str, &str)]) -> Value {
    order["refunds"] = refunds
        .iter()
        .map(|(id, reason, amount)| json!({"id": id, "reason": reason, "total": format!("-{amount}")}))
        .collect();
    order
}

/// WooCommerce writes dates without an offset; the sandbox site runs on UTC, so the local
/// and `_gmt` fields agree.
fn site_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_the_documented_set_and_signed() {
        let body = crate::body_bytes(&order_payload(727, "processing"));
        let hook = WooWebhook::new("order.created", 12, body.clone());
        let headers = hook.headers(b"whsec");
        let get = |n: &str| headers.iter().find(|(k, _)| *k == n).unwrap().1.clone();
        assert_eq!(get("X-WC-Webhook-Source"), SITE_URL);
        assert_eq!(get("X-WC-Webhook-Topic"), "order.created");
        assert_eq!(get("X-WC-Webhook-Resource"), "order");
        assert_eq!(get("X-WC-Webhook-Event"), "created");
        assert_eq!(get("X-WC-Webhook-Signature"), sign(b"whsec", &body));
        assert_eq!(get("X-WC-Webhook-ID"), "12");
        assert_eq!(get("X-WC-Webhook-Delivery-ID").len(), 32);
        let wc = headers
            .iter()
            .filter(|(k, _)| k.starts_with("X-WC-Webhook-"));
        assert_eq!(wc.count(), 7);
        assert_eq!(ping_body(12), b"webhook_id=12");
    }

    #[test]
    fn order_payload_is_consistent() {
        for id in [1u64, 4, 727, 99_999] {
            let order = order_payload(id, "processing");
            let lines = order["line_items"].as_array().unwrap();
            assert!((1..=3).contains(&lines.len()));
            let cents =
                |v: &Value| -> i64 { v.as_str().unwrap().replace('.', "").parse().unwrap() };
            let subtotal: i64 = lines.iter().map(|l| cents(&l["subtotal"])).sum();
            assert_eq!(cents(&order["total"]), subtotal + 500);
            // The order-level amounts a receiver keeps, as WooCommerce sends them.
            assert_eq!(cents(&order["shipping_total"]), 500);
            assert_eq!(
                cents(&order["discount_total"]) + cents(&order["total_tax"]),
                0
            );
            assert_eq!(order["prices_include_tax"], false);
            assert!(lines.iter().all(|l| l["price"].is_f64()));
            assert!(!order["date_paid"].is_null());
            let created = order["date_created_gmt"].as_str().unwrap();
            assert_eq!(created.len(), "2024-03-22T19:28:02".len());
        }
        assert_eq!(order_payload(4, "pending")["customer_id"], 0);
        let yen = order_in_currency(8, "processing", "JPY", 0, &[(2, 1500), (1, 980)], 700);
        assert_eq!(yen["total"], "4680");
        assert_eq!(yen["line_items"][0]["total"], "3000");
        assert_eq!(yen["line_items"][1]["id"], 8002);
        assert_eq!(yen["shipping_lines"][0]["total"], "700");
        let dinar = order_in_currency(9, "processing", "KWD", 3, &[(1, 12_345)], 1_500);
        assert_eq!(dinar["total"], "13.845");
        let refunded = with_refunds(dinar, &[(9100, "Damaged", "1.500")]);
        assert_eq!(
            refunded["refunds"],
            json!([{"id": 9100, "reason": "Damaged", "total": "-1.500"}])
        );
        assert!(order_payload(5, "pending")["date_paid"].is_null());
    }
}
