//! Shopify connector tests against Shopify's own published fixtures (`tests/fixtures/shopify`,
//! REST GET responses: the `order` key is unwrapped to get the webhook body) and hand-made
//! bad payloads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{parse_order, verify_webhook, Topic};
use crate::platforms::PayloadError;
use chrono::{TimeZone, Utc};
use dropflow_core::intake::StoreOrder;
use dropflow_core::payment::PaymentStatus;
use serde_json::{json, Value};

const ORDER: &str = include_str!("../../../tests/fixtures/shopify/shopify_python_api.order.json");
const ORDERS: &str = include_str!("../../../tests/fixtures/shopify/shopify_python_api.orders.json");
const WITH_PROPERTIES: &str =
    include_str!("../../../tests/fixtures/shopify/shopify-api-ruby.order_with_properties.json");

/// The webhook body hidden in a REST response fixture: `{"order": {...}}` → `{...}`.
fn unwrap_order(fixture: &str) -> Value {
    let mut v: Value = serde_json::from_str(fixture).unwrap();
    v["order"].take()
}

fn parse_value(v: &Value) -> Result<StoreOrder, PayloadError> {
    parse_order(&serde_json::to_vec(v).unwrap())
}

/// A small valid order body to break in the bad-input tests.
fn minimal() -> Value {
    json!({
        "id": 820982911946154508u64,
        "name": "#9999",
        "currency": "USD",
        "total_price": "25.00",
        "financial_status": "paid",
        "line_items": [
            {"id": 866550311766439020u64, "title": "Mug", "quantity": 2, "price": "12.50",
             "sku": "MUG-1", "variant_id": null, "product_id": 1}
        ]
    })
}

#[test]
fn python_api_order_fixture() {
    let order = parse_value(&unwrap_order(ORDER)).unwrap();
    assert_eq!(order.external_id, "450789469");
    assert_eq!(order.name, "#1001");
    assert_eq!(order.currency.code(), "USD");
    assert_eq!(order.total.minor, 40994);
    assert_eq!(order.total.currency, order.currency);
    assert_eq!(order.payment_status, PaymentStatus::Authorized);
    assert_eq!(order.cancellation, None);
    assert_eq!(
        order.created_at,
        Some(Utc.with_ymd_and_hms(2008, 1, 10, 16, 0, 0).unwrap())
    );
    assert_eq!(order.updated_at, order.created_at);

    assert_eq!(order.lines.len(), 3);
    let first = &order.lines[0];
    assert_eq!(first.external_id, "466157049");
    assert_eq!(first.product_id.as_deref(), Some("632910392"));
    assert_eq!(first.variant_id.as_deref(), Some("39072856"));
    assert_eq!(first.sku.as_deref(), Some("IPOD2008GREEN"));
    assert_eq!(first.title, "IPod Nano - 8gb");
    assert_eq!(first.quantity, 1);
    assert_eq!(first.unit_price.minor, 19900);
    assert!(first.requires_shipping);
    assert_eq!(order.lines[2].sku.as_deref(), Some("IPOD2008BLACK"));

    let address = order.shipping_address.as_ref().unwrap();
    assert_eq!(address.name.as_deref(), Some("Bob Norman"));
    assert_eq!(address.address1.as_deref(), Some("Chestnut Street 92"));
    assert_eq!(address.address2, None, "blank address2 becomes None");
    assert_eq!(address.city.as_deref(), Some("Louisville"));
    assert_eq!(address.province.as_deref(), Some("Kentucky"));
    assert_eq!(address.province_code.as_deref(), Some("KY"));
    assert_eq!(address.postal_code.as_deref(), Some("40202"));
    assert_eq!(address.country_code.as_deref(), Some("US"));
    assert_eq!(address.phone.as_deref(), Some("555-625-1199"));

    let customer = order.customer.as_ref().unwrap();
    assert_eq!(customer.external_id.as_deref(), Some("207119551"));
    assert_eq!(customer.email.as_deref(), Some("bob.norman@hostmail.com"));
    assert_eq!(customer.first_name.as_deref(), Some("Bob"));
    assert_eq!(customer.last_name.as_deref(), Some("Norman"));
    assert_eq!(customer.phone, None);
}

/// `orders.json` is a REST list response fetched with a field subset: its one order has no
/// `line_items`, which we cannot fulfil, so it is rejected with the missing path. With the
/// lines supplied, every other field maps.
#[test]
fn python_api_orders_fixture() {
    let v: Value = serde_json::from_str(ORDERS).unwrap();
    let orders = v["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    for order in orders {
        assert_eq!(
            parse_value(order),
            Err(PayloadError::Missing {
                path: "line_items".into()
            })
        );
    }

    let mut body = orders[0].clone();
    body["line_items"] = json!([]);
    let order = parse_value(&body).unwrap();
    assert_eq!(order.external_id, "450789469");
    assert_eq!(order.name, "#1001");
    assert_eq!(order.total.minor, 59894);
    assert_eq!(order.currency.code(), "USD");
    assert_eq!(order.payment_status, PaymentStatus::PartiallyRefunded);
    assert!(order.lines.is_empty());
    let address = order.shipping_address.as_ref().unwrap();
    assert_eq!(address.postal_code.as_deref(), Some("40202"));
    // The customer record has its own phone; it wins over the order-level one.
    let customer = order.customer.as_ref().unwrap();
    assert_eq!(customer.phone.as_deref(), Some("+16136120707"));

    // Without a customer record, the order-level email and phone stand in.
    body["customer"] = Value::Null;
    let order = parse_value(&body).unwrap();
    let customer = order.customer.unwrap();
    assert_eq!(customer.external_id, None);
    assert_eq!(customer.email.as_deref(), Some("bob.norman@hostmail.com"));
    assert_eq!(customer.phone.as_deref(), Some("+557734881234"));
}

#[test]
fn ruby_api_order_with_properties_fixture() {
    let order = parse_value(&unwrap_order(WITH_PROPERTIES)).unwrap();
    assert_eq!(order.external_id, "450789469");
    assert_eq!(order.name, "#1001");
    assert_eq!(order.total.minor, 40994);
    assert_eq!(order.payment_status, PaymentStatus::Authorized);
    assert_eq!(order.lines.len(), 2);
    // Ids beyond 32 bits stay exact.
    let second = &order.lines[1];
    assert_eq!(second.external_id, "641254555689");
    assert_eq!(second.product_id.as_deref(), Some("288331137065"));
    assert_eq!(second.variant_id.as_deref(), Some("4107806867497"));
    assert_eq!(second.unit_price.minor, 2400);
    assert_eq!(second.title, "Create Your Own Coffee 3 Pack (8oz bags)");
    // `"sku": ""` means no SKU.
    assert!(order.lines.iter().all(|l| l.sku.is_none()));
    assert_eq!(
        order.shipping_address.unwrap().postal_code.as_deref(),
        Some("40202")
    );
    assert!(order.lines.iter().all(|l| l.requires_shipping));
}

#[test]
fn wrapped_rest_response_is_rejected_with_a_hint() {
    let err = parse_order(ORDER.as_bytes()).unwrap_err();
    assert_eq!(err.path(), Some("(body)"));
    assert!(err.to_string().contains("wrapped"), "{err}");
}

#[test]
fn minimal_order_parses() {
    let order = parse_value(&minimal()).unwrap();
    assert_eq!(order.external_id, "820982911946154508");
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(order.lines[0].quantity, 2);
    assert_eq!(order.lines[0].unit_price.minor, 1250);
    assert_eq!(order.lines[0].variant_id, None);
    assert_eq!(order.customer, None);
    assert_eq!(order.shipping_address, None);
    assert_eq!(order.created_at, None);
}

#[test]
fn ids_may_come_as_strings() {
    let mut v = minimal();
    v["id"] = json!("1234");
    assert_eq!(parse_value(&v).unwrap().external_id, "1234");
}

#[test]
fn name_falls_back_to_order_number() {
    let mut v = minimal();
    v.as_object_mut().unwrap().remove("name");
    v["order_number"] = json!(1042);
    assert_eq!(parse_value(&v).unwrap().name, "#1042");
    v.as_object_mut().unwrap().remove("order_number");
    assert_eq!(
        parse_value(&v),
        Err(PayloadError::Missing {
            path: "name".into()
        })
    );
}

#[test]
fn line_fallbacks_title_sku_and_requires_shipping() {
    let mut v = minimal();
    let line = &mut v["line_items"][0];
    line.as_object_mut().unwrap().remove("title");
    line["name"] = json!("Mug - blue");
    line["sku"] = Value::Null;
    let order = parse_value(&v).unwrap();
    assert_eq!(order.lines[0].title, "Mug - blue");
    assert_eq!(order.lines[0].sku, None);
    assert!(order.lines[0].requires_shipping, "absent → true");

    v["line_items"][0]["requires_shipping"] = json!(false);
    assert!(!parse_value(&v).unwrap().requires_shipping());
}

#[test]
fn financial_status_mapping() {
    let cases = [
        (json!("pending"), PaymentStatus::Pending),
        (json!("authorized"), PaymentStatus::Authorized),
        (json!("partially_paid"), PaymentStatus::PartiallyPaid),
        (json!("paid"), PaymentStatus::Paid),
        (
            json!("partially_refunded"),
            PaymentStatus::PartiallyRefunded,
        ),
        (json!("refunded"), PaymentStatus::Refunded),
        (json!("voided"), PaymentStatus::Voided),
        (json!("expired"), PaymentStatus::Pending),
        (json!("some_future_status"), PaymentStatus::Pending),
        (json!("PAID"), PaymentStatus::Pending),
        (Value::Null, PaymentStatus::Pending),
    ];
    for (status, expected) in cases {
        let mut v = minimal();
        v["financial_status"] = status.clone();
        assert_eq!(
            parse_value(&v).unwrap().payment_status,
            expected,
            "{status}"
        );
    }
    let mut v = minimal();
    v.as_object_mut().unwrap().remove("financial_status");
    assert_eq!(
        parse_value(&v).unwrap().payment_status,
        PaymentStatus::Pending
    );
}

#[test]
fn cancelled_order_carries_reason_and_time() {
    let mut v = minimal();
    v["cancelled_at"] = json!("2024-05-01T10:00:00+02:00");
    v["cancel_reason"] = json!("customer");
    let cancellation = parse_value(&v).unwrap().cancellation.unwrap();
    assert_eq!(cancellation.reason.as_deref(), Some("customer"));
    assert_eq!(
        cancellation.cancelled_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap())
    );

    // A reason without a cancellation time is not a cancellation.
    v["cancelled_at"] = Value::Null;
    assert_eq!(parse_value(&v).unwrap().cancellation, None);
}

#[test]
fn shipping_address_name_from_first_and_last() {
    let mut v = minimal();
    v["shipping_address"] = json!({
        "first_name": "Ada", "last_name": "Lovelace", "name": null,
        "address1": "1 Main St", "zip": "10001", "country_code": "US", "province_code": "NY"
    });
    let address = parse_value(&v).unwrap().shipping_address.unwrap();
    assert_eq!(address.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(address.postal_code.as_deref(), Some("10001"));
    assert_eq!(address.province_code.as_deref(), Some("NY"));
}

#[test]
fn not_json() {
    assert!(matches!(
        parse_order(b"webhook_id=5"),
        Err(PayloadError::NotJson(_))
    ));
    assert!(matches!(parse_order(b""), Err(PayloadError::NotJson(_))));
    assert!(matches!(
        parse_order(br#"{"id": 1"#),
        Err(PayloadError::NotJson(_))
    ));
}

#[test]
fn missing_required_fields_name_their_path() {
    for (field, path) in [
        ("id", "id"),
        ("currency", "currency"),
        ("line_items", "line_items"),
        ("total_price", "total_price"),
    ] {
        let mut v = minimal();
        v.as_object_mut().unwrap().remove(field);
        assert_eq!(
            parse_value(&v),
            Err(PayloadError::Missing { path: path.into() })
        );
    }
    let mut v = minimal();
    v["line_items"][0].as_object_mut().unwrap().remove("price");
    let err = parse_value(&v).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line_items[0].price: required field is missing or null"
    );
    let mut v = minimal();
    v["line_items"][0]["id"] = Value::Null;
    assert_eq!(
        parse_value(&v).unwrap_err().path(),
        Some("line_items[0].id")
    );
}

#[test]
fn zero_and_negative_quantities_are_rejected() {
    for qty in [0, -1] {
        let mut v = minimal();
        v["line_items"][0]["quantity"] = json!(qty);
        let err = parse_value(&v).unwrap_err();
        assert_eq!(err.path(), Some("line_items[0].quantity"));
        assert!(err.to_string().contains("positive integer"), "{err}");
    }
    let mut v = minimal();
    v["line_items"][0]["quantity"] = json!(1.5);
    assert_eq!(
        parse_value(&v).unwrap_err().path(),
        Some("line_items[0].quantity")
    );
}

#[test]
fn bad_money_is_rejected_with_its_path() {
    let mut v = minimal();
    v["line_items"][0]["price"] = json!("12,50");
    let err = parse_value(&v).unwrap_err();
    assert_eq!(err.path(), Some("line_items[0].price"));
    assert!(err.to_string().contains("not a decimal number"), "{err}");

    let mut v = minimal();
    v["line_items"][0]["price"] = json!(12.5);
    assert_eq!(
        parse_value(&v).unwrap_err().to_string(),
        "line_items[0].price: invalid type: floating point `12.5`, expected a decimal string"
    );

    let mut v = minimal();
    v["total_price"] = json!("25.001");
    assert_eq!(parse_value(&v).unwrap_err().path(), Some("total_price"));
}

#[test]
fn unknown_currency_is_rejected() {
    let mut v = minimal();
    v["currency"] = json!("ZZZ");
    let err = parse_value(&v).unwrap_err();
    assert_eq!(err.path(), Some("currency"));
    assert!(err.to_string().contains("ZZZ"), "{err}");
}

#[test]
fn bad_timestamp_is_rejected() {
    let mut v = minimal();
    v["created_at"] = json!("yesterday");
    assert_eq!(parse_value(&v).unwrap_err().path(), Some("created_at"));
}

#[test]
fn topics_round_trip() {
    for topic in Topic::ALL {
        assert_eq!(Topic::parse(topic.as_str()), Some(topic));
    }
    assert_eq!(Topic::parse("orders/create"), Some(Topic::OrdersCreate));
    assert_eq!(Topic::parse("orders/fulfilled"), None);
    assert!(Topic::OrdersPaid.is_order_topic());
    assert!(Topic::OrdersCancelled.is_order_topic());
    assert!(!Topic::ShopRedact.is_order_topic());
    assert!(!Topic::AppUninstalled.is_order_topic());
}

/// The sandbox (the store side used by integration tests and benchmarks) and this parser
/// must agree on many distinct orders, signatures included.
#[test]
fn sandbox_orders_parse_and_verify() {
    use dropflow_sandbox::shopify::{order_payload, ShopifyWebhook, SHOP_DOMAIN};
    for id in (1..200u64).chain([u64::MAX]) {
        let payload = order_payload(id, &format!("#{}", 1000 + id % 1000), "paid");
        let hook = ShopifyWebhook::new(
            "orders/create",
            SHOP_DOMAIN,
            dropflow_sandbox::body_bytes(&payload),
        );
        let headers = hook.headers(b"app-secret");
        let header = |name: &str| headers.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert!(verify_webhook(
            b"app-secret",
            &hook.body,
            &header("X-Shopify-Hmac-Sha256")
        ));
        assert_eq!(
            Topic::parse(&header("X-Shopify-Topic")),
            Some(Topic::OrdersCreate)
        );

        let order = parse_order(&hook.body).unwrap();
        assert_eq!(order.external_id, id.to_string());
        assert_eq!(order.payment_status, PaymentStatus::Paid);
        assert!((1..=3).contains(&order.lines.len()));
        let lines_total: i64 = order
            .lines
            .iter()
            .map(|l| l.unit_price.minor * i64::from(l.quantity))
            .sum();
        assert_eq!(order.total.minor, lines_total + 499);
        // The sandbox charges flat shipping and no tax or discount, and says so.
        assert_eq!(order.amounts.shipping.minor, 499);
        assert_eq!(order.amounts.discounts.minor + order.amounts.taxes.minor, 0);
        let address = order.shipping_address.unwrap();
        assert_eq!(address.country_code.as_deref(), Some("US"));
        assert_eq!(address.postal_code.as_ref().map(String::len), Some(5));
        assert!(order.created_at.is_some());
    }
}

fn words(line: &dropflow_core::intake::StoreOrderLine) -> String {
    dropflow_core::variant::in_words(&line.variant_words)
}

/// Shopify's own fixture (shopify_python_api test/fixtures/order.json): the variant title
/// ("green") and the line's properties (`Custom Engraving`: `Happy Birthday`).
#[test]
fn variant_title_and_properties_of_the_python_fixture_read_as_words() {
    let order = parse_value(&unwrap_order(ORDER)).unwrap();
    assert_eq!(
        words(&order.lines[0]),
        "green · Custom Engraving: Happy Birthday"
    );
    assert_eq!(
        order.lines[0].variant_words[0].name, None,
        "no option names in the webhook"
    );
    assert_eq!(words(&order.lines[1]), "red");
    assert_eq!(words(&order.lines[2]), "black");
}

/// shopify-api-ruby's order_with_properties.json: an empty variant title is no word, an
/// object-valued property is left out, repeated names are kept in order.
#[test]
fn properties_of_the_ruby_fixture_read_as_words() {
    let order = parse_value(&unwrap_order(WITH_PROPERTIES)).unwrap();
    assert_eq!(
        words(&order.lines[0]),
        "1st Coffee: Coffee1 · 2nd Coffee: Coffee2 · 3rd Coffee: Coffee3 · Select Your Grind: Ground"
    );
    assert_eq!(
        words(&order.lines[1]),
        "Select Your Grind: Ground · Coffees: Coffee blend 1 · Coffees: Coffee blend 2 · \
         Coffees: Coffee blend 3"
    );
}

/// "Red / L" (two options' values), "Default Title" (no options), private `_` properties,
/// numbers, nulls and odd shapes: words where there are some, and the order always parses.
#[test]
fn variant_words_edge_cases() {
    let mut order = minimal();
    let mut second = order["line_items"][0].clone();
    second["id"] = json!(2);
    order["line_items"][0]["variant_title"] = json!("Red / L");
    order["line_items"][0]["properties"] = json!([
        {"name": "Engraving", "value": "Ana"},
        {"name": "_bundle_id", "value": "b-19"},
        {"name": "Cups", "value": 2},
        {"name": "Note", "value": null},
        {"name": null, "value": "orphan"},
        {"value": "no name"}
    ]);
    second["variant_title"] = json!("Default Title");
    second["properties"] = json!({"name": "not a list"});
    let mut third = second.clone();
    third["id"] = json!(3);
    third["variant_title"] = json!(7);
    third["properties"] = json!(null);
    order["line_items"] = json!([order["line_items"][0].clone(), second, third]);
    let order = parse_value(&order).unwrap();
    assert_eq!(words(&order.lines[0]), "Red / L · Engraving: Ana · Cups: 2");
    assert!(order.lines[1].variant_words.is_empty());
    assert_eq!(words(&order.lines[2]), "7");
}

/// The sandbox store sends variant titles and properties the way Shopify does.
#[test]
fn sandbox_lines_carry_their_variant_in_words() {
    let mut seen = false;
    for id in 1..60u64 {
        let order =
            parse_value(&dropflow_sandbox::shopify::order_payload(id, "#1", "paid")).unwrap();
        for line in &order.lines {
            let text = words(line);
            assert!(
                !text.contains("Default Title") && !text.contains("_upsell"),
                "{text}"
            );
            if line.title == "Phone Case" {
                assert_eq!(text, "iPhone 15 / Clear · Gift wrap: Yes");
                seen = true;
            }
        }
    }
    assert!(seen, "some sandbox order has a phone case");
}
