//! WooCommerce connector tests against the REST API docs' own examples
//! (`tests/fixtures/woocommerce`, identical to webhook bodies) and hand-made bad payloads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{is_ping, parse_order, parse_order_id, verify_webhook, Topic};
use crate::platforms::PayloadError;
use chrono::{TimeZone, Utc};
use dropflow_core::intake::StoreOrder;
use dropflow_core::payment::PaymentStatus;
use serde_json::{json, Value};

const RETRIEVE: &str = include_str!(
    "../../../tests/fixtures/woocommerce/woocommerce-rest-api-docs.retrieve-order.json"
);
const LIST: &str =
    include_str!("../../../tests/fixtures/woocommerce/woocommerce-rest-api-docs.list-orders.json");
const COMPLETED: &str = include_str!(
    "../../../tests/fixtures/woocommerce/woocommerce-rest-api-docs.update-order-completed.json"
);

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn parse_value(v: &Value) -> Result<StoreOrder, PayloadError> {
    parse_order(&serde_json::to_vec(v).unwrap())
}

fn with_status(status: &str) -> Value {
    let mut v = fixture(RETRIEVE);
    v["status"] = json!(status);
    v
}

#[test]
fn retrieve_order_fixture() {
    let order = parse_order(RETRIEVE.as_bytes()).unwrap();
    assert_eq!(order.external_id, "727");
    assert_eq!(order.name, "#727");
    assert_eq!(order.currency.code(), "USD");
    assert_eq!(order.total.minor, 2935);
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(order.cancellation, None);
    assert_eq!(
        order.created_at,
        Some(Utc.with_ymd_and_hms(2017, 3, 22, 19, 28, 2).unwrap())
    );
    assert_eq!(
        order.updated_at,
        Some(Utc.with_ymd_and_hms(2017, 3, 22, 19, 28, 8).unwrap())
    );

    assert_eq!(order.lines.len(), 2);
    let simple = &order.lines[0];
    assert_eq!(simple.external_id, "315");
    assert_eq!(simple.title, "Woo Single #1");
    assert_eq!(simple.product_id.as_deref(), Some("93"));
    assert_eq!(simple.variant_id, None, "variation_id 0 → None");
    assert_eq!(simple.sku, None, "blank sku → None");
    assert_eq!(simple.quantity, 2);
    assert_eq!(simple.unit_price.minor, 300, "subtotal 6.00 / 2");
    assert!(simple.requires_shipping);
    let variable = &order.lines[1];
    assert_eq!(variable.variant_id.as_deref(), Some("23"));
    assert_eq!(variable.sku.as_deref(), Some("Bar3"));
    assert_eq!(variable.unit_price.minor, 1200);

    let address = order.shipping_address.as_ref().unwrap();
    assert_eq!(address.name.as_deref(), Some("John Doe"));
    assert_eq!(address.address1.as_deref(), Some("969 Market"));
    assert_eq!(address.address2, None);
    assert_eq!(address.company, None);
    assert_eq!(address.city.as_deref(), Some("San Francisco"));
    assert_eq!(address.province_code.as_deref(), Some("CA"));
    assert_eq!(address.postal_code.as_deref(), Some("94103"));
    assert_eq!(address.country_code.as_deref(), Some("US"));
    assert_eq!(
        address.phone.as_deref(),
        Some("(555) 555-5555"),
        "billing phone"
    );

    let customer = order.customer.as_ref().unwrap();
    assert_eq!(customer.external_id, None, "customer_id 0 is a guest");
    assert_eq!(customer.email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(customer.first_name.as_deref(), Some("John"));
    assert_eq!(customer.last_name.as_deref(), Some("Doe"));
}

#[test]
fn list_orders_fixture() {
    let list = fixture(LIST);
    let orders: Vec<StoreOrder> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| parse_value(o).unwrap())
        .collect();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].external_id, "727");
    assert_eq!(orders[0].total.minor, 2935);

    let second = &orders[1];
    assert_eq!(second.external_id, "723");
    assert_eq!(second.name, "#723");
    assert_eq!(second.total.minor, 3900);
    // `completed` with two entries in `refunds` (-10.00 and -9.00 of 39.00).
    assert_eq!(second.payment_status, PaymentStatus::PartiallyRefunded);
    assert_eq!(second.refund_ids, ["726", "724"]);
    assert!(orders[0].refund_ids.is_empty());
    assert!(second
        .payment_status
        .covers_purchase(dropflow_core::payment::CapturePolicy::BuyWhenPaid));
    assert_eq!(second.lines.len(), 2);
    assert_eq!(second.lines[1].title, "Woo Ninja");
    assert_eq!(second.lines[1].unit_price.minor, 2000);
    let customer = second.customer.as_ref().unwrap();
    assert_eq!(customer.external_id.as_deref(), Some("26"));
    let address = second.shipping_address.as_ref().unwrap();
    assert_eq!(address.name.as_deref(), Some("João Silva"));
    assert_eq!(address.postal_code.as_deref(), Some("12345-000"));
    assert_eq!(address.province_code.as_deref(), Some("RJ"));
    assert_eq!(address.country_code.as_deref(), Some("BR"));
}

#[test]
fn update_order_completed_fixture() {
    let order = parse_order(COMPLETED.as_bytes()).unwrap();
    assert_eq!(order.external_id, "727");
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(order.cancellation, None);
    assert_eq!(
        order.updated_at,
        Some(Utc.with_ymd_and_hms(2017, 3, 22, 19, 30, 35).unwrap())
    );
    assert_eq!(order.lines.len(), 2);
}

#[test]
fn status_mapping() {
    let cases = [
        ("pending", PaymentStatus::Pending, None),
        ("on-hold", PaymentStatus::Pending, None),
        ("processing", PaymentStatus::Paid, None),
        ("completed", PaymentStatus::Paid, None),
        ("refunded", PaymentStatus::Refunded, None),
        ("failed", PaymentStatus::Voided, None),
        (
            "cancelled",
            PaymentStatus::Pending,
            Some("cancelled in store"),
        ),
        ("trash", PaymentStatus::Pending, Some("trashed in store")),
        ("checkout-draft", PaymentStatus::Pending, None),
        ("wc-processing", PaymentStatus::Paid, None),
        ("shipped-custom", PaymentStatus::Pending, None),
    ];
    for (status, payment, reason) in cases {
        let order = parse_value(&with_status(status)).unwrap();
        assert_eq!(order.payment_status, payment, "{status}");
        assert_eq!(
            order.cancellation.and_then(|c| c.reason).as_deref(),
            reason,
            "{status}"
        );
    }
    let mut v = fixture(RETRIEVE);
    v.as_object_mut().unwrap().remove("status");
    assert_eq!(
        parse_value(&v).unwrap().payment_status,
        PaymentStatus::Pending
    );
}

#[test]
fn date_paid_does_not_override_a_pending_status() {
    // The fixture has a non-null `date_paid`.
    let v = with_status("pending");
    assert!(!v["date_paid"].is_null());
    assert_eq!(
        parse_value(&v).unwrap().payment_status,
        PaymentStatus::Pending
    );
}

#[test]
fn partial_refund_keeps_status_but_marks_payment() {
    let mut v = fixture(RETRIEVE);
    v["refunds"] = json!([{"id": 726, "reason": "", "total": "-5.00"}]);
    assert_eq!(
        parse_value(&v).unwrap().payment_status,
        PaymentStatus::PartiallyRefunded
    );
}

#[test]
fn float_price_is_read_exactly_when_subtotal_does_not_divide() {
    let mut v = fixture(RETRIEVE);
    let line = &mut v["line_items"][0];
    line["quantity"] = json!(3);
    line["subtotal"] = json!("65.98"); // 65.98 / 3 is not whole cents
    line["price"] = json!(21.99);
    let order = parse_value(&v).unwrap();
    assert_eq!(order.lines[0].unit_price.minor, 2199);

    // Without a subtotal the number is used directly.
    let mut v = fixture(RETRIEVE);
    v["line_items"][1]
        .as_object_mut()
        .unwrap()
        .remove("subtotal");
    v["line_items"][1]["price"] = json!(0.1);
    assert_eq!(parse_value(&v).unwrap().lines[1].unit_price.minor, 10);

    // A unit price that is not whole cents either way is rounded from the exact subtotal
    // rather than losing the order.
    let mut v = fixture(RETRIEVE);
    let line = &mut v["line_items"][0];
    line["quantity"] = json!(3);
    line["subtotal"] = json!("10.00");
    line["price"] = json!(10.0 / 3.0);
    assert_eq!(parse_value(&v).unwrap().lines[0].unit_price.minor, 333);
    let mut v = fixture(RETRIEVE);
    let line = &mut v["line_items"][0];
    line["quantity"] = json!(3);
    line["subtotal"] = json!("20.00");
    line["price"] = json!(20.0 / 3.0);
    assert_eq!(parse_value(&v).unwrap().lines[0].unit_price.minor, 667);

    // Without a subtotal, a price that is not whole cents is an error naming the field.
    let mut v = fixture(RETRIEVE);
    v["line_items"][0]
        .as_object_mut()
        .unwrap()
        .remove("subtotal");
    v["line_items"][0]["price"] = json!(10.0 / 3.0);
    let err = parse_value(&v).unwrap_err();
    assert_eq!(err.path(), Some("line_items[0].price"));
}

#[test]
fn digital_order_has_no_address_and_ships_nothing() {
    let mut v = fixture(RETRIEVE);
    for field in [
        "first_name",
        "last_name",
        "address_1",
        "city",
        "state",
        "postcode",
        "country",
    ] {
        v["shipping"][field] = json!("");
    }
    v["shipping_lines"] = json!([]);
    let order = parse_value(&v).unwrap();
    assert_eq!(order.shipping_address, None);
    assert!(!order.requires_shipping());

    // Shipping lines alone (e.g. local pickup with an address to come) still mean shipping.
    v["shipping_lines"] = json!([{"id": 1, "method_id": "flat_rate", "total": "1.00"}]);
    assert!(parse_value(&v).unwrap().requires_shipping());
}

#[test]
fn shipping_phone_wins_over_billing_phone() {
    let mut v = fixture(RETRIEVE);
    v["shipping"]["phone"] = json!("+1 555 0100");
    let address = parse_value(&v).unwrap().shipping_address.unwrap();
    assert_eq!(address.phone.as_deref(), Some("+1 555 0100"));
}

#[test]
fn number_falls_back_to_id() {
    let mut v = fixture(RETRIEVE);
    v.as_object_mut().unwrap().remove("number");
    assert_eq!(parse_value(&v).unwrap().name, "#727");
    v["number"] = json!(1001);
    assert_eq!(parse_value(&v).unwrap().name, "#1001");
}

#[test]
fn bad_input() {
    assert!(matches!(
        parse_order(b"webhook_id=12"),
        Err(PayloadError::NotJson(_))
    ));

    for field in ["id", "currency", "total", "line_items"] {
        let mut v = fixture(RETRIEVE);
        v.as_object_mut().unwrap().remove(field);
        assert_eq!(
            parse_value(&v),
            Err(PayloadError::Missing { path: field.into() })
        );
    }

    let mut v = fixture(RETRIEVE);
    v["line_items"][1]["quantity"] = json!(0);
    let err = parse_value(&v).unwrap_err();
    assert_eq!(err.path(), Some("line_items[1].quantity"));

    let mut v = fixture(RETRIEVE);
    v["total"] = json!("29.35.1");
    assert_eq!(parse_value(&v).unwrap_err().path(), Some("total"));

    let mut v = fixture(RETRIEVE);
    v["total"] = json!(29.35);
    assert_eq!(
        parse_value(&v).unwrap_err().to_string(),
        "total: invalid type: floating point `29.35`, expected a decimal string"
    );

    let mut v = fixture(RETRIEVE);
    v["currency"] = json!("XYZ");
    assert_eq!(parse_value(&v).unwrap_err().path(), Some("currency"));

    let mut v = fixture(RETRIEVE);
    v["date_created_gmt"] = json!("22/03/2017");
    assert_eq!(
        parse_value(&v).unwrap_err().path(),
        Some("date_created_gmt")
    );

    let mut v = fixture(RETRIEVE);
    v["line_items"][0].as_object_mut().unwrap().remove("name");
    assert_eq!(
        parse_value(&v),
        Err(PayloadError::Missing {
            path: "line_items[0].name".into()
        })
    );
}

#[test]
fn deleted_body_gives_the_id() {
    assert_eq!(parse_order_id(br#"{"id": 727}"#).unwrap(), "727");
    assert_eq!(parse_order_id(RETRIEVE.as_bytes()).unwrap(), "727");
    assert_eq!(
        parse_order_id(b"{}"),
        Err(PayloadError::Missing { path: "id".into() })
    );
}

#[test]
fn ping_detection() {
    let form = Some("application/x-www-form-urlencoded");
    assert!(is_ping(form, b"webhook_id=12"));
    assert!(is_ping(None, b"webhook_id=12"));
    assert!(is_ping(
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        b"webhook_id=7\n"
    ));
    assert!(!is_ping(Some("application/json"), b"webhook_id=12"));
    assert!(!is_ping(form, b"webhook_id="));
    assert!(!is_ping(form, b"webhook_id=12&x=1"));
    assert!(!is_ping(form, b"webhook_id=abc"));
    assert!(!is_ping(Some("application/json"), RETRIEVE.as_bytes()));
    assert!(!is_ping(None, b"{\"webhook_id\": 12}"));
}

#[test]
fn topics_round_trip() {
    for topic in Topic::ALL {
        assert_eq!(Topic::parse(topic.as_str()), Some(topic));
    }
    assert_eq!(Topic::parse("order.created"), Some(Topic::OrderCreated));
    assert_eq!(Topic::parse("product.created"), None);
    assert!(!Topic::OrderDeleted.carries_order());
    assert!(Topic::OrderRestored.carries_order());
}

/// The sandbox (the store side used by integration tests and benchmarks) and this parser
/// must agree on many distinct orders: float prices, guests, signatures and the ping.
#[test]
fn sandbox_orders_parse_and_verify() {
    use dropflow_sandbox::woocommerce::{order_payload, ping_body, WooWebhook, PING_CONTENT_TYPE};
    for id in 1..200u64 {
        let payload = order_payload(id, "processing");
        let hook = WooWebhook::new("order.created", 3, dropflow_sandbox::body_bytes(&payload));
        let headers = hook.headers(b"wh-secret");
        let header = |name: &str| headers.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert!(verify_webhook(
            b"wh-secret",
            &hook.body,
            &header("X-WC-Webhook-Signature")
        ));
        assert_eq!(
            Topic::parse(&header("X-WC-Webhook-Topic")),
            Some(Topic::OrderCreated)
        );
        assert!(!is_ping(Some(&header("Content-Type")), &hook.body));

        let order = parse_order(&hook.body).unwrap();
        assert_eq!(order.external_id, id.to_string());
        assert_eq!(order.name, format!("#{id}"));
        assert_eq!(order.payment_status, PaymentStatus::Paid);
        let lines_total: i64 = order
            .lines
            .iter()
            .map(|l| l.unit_price.minor * i64::from(l.quantity))
            .sum();
        assert_eq!(order.total.minor, lines_total + 500);
        // The sandbox charges flat shipping and no tax or discount, and says so.
        assert_eq!(order.amounts.shipping.minor, 500);
        assert_eq!(order.amounts.discounts.minor + order.amounts.taxes.minor, 0);
        assert_eq!(
            order.customer.as_ref().unwrap().external_id.is_none(),
            id % 4 == 0
        );
        assert!(order.requires_shipping());
    }
    assert!(is_ping(Some(PING_CONTENT_TYPE), &ping_body(3)));
}

fn words(line: &dropflow_core::intake::StoreOrderLine) -> String {
    dropflow_core::variant::in_words(&line.variant_words)
}

/// The 3.x docs example sends a variation's attributes with raw keys and values only
/// (`pa_color` "black", a custom `size` "M Test"): the names fall back to the keys.
#[test]
fn variation_meta_of_the_docs_example_reads_as_words() {
    let order = parse_order(RETRIEVE.as_bytes()).unwrap();
    assert!(order.lines[0].variant_words.is_empty(), "a simple product");
    assert_eq!(words(&order.lines[1]), "color: black · size: M Test");
}

/// WooCommerce 4.x+ (WC_REST_Orders_V2_Controller::get_order_item_data, which merges
/// `display_key`/`display_value` from `get_all_formatted_meta_data`): the attribute's label
/// and term name are shown, hidden `_` keys never; a plugin's non-scalar value is left out
/// and the order still parses.
#[test]
fn display_keys_and_values_are_preferred_and_hidden_meta_is_skipped() {
    let mut order = fixture(RETRIEVE);
    order["line_items"][1]["meta_data"] = json!([
        {"id": 2095, "key": "pa_color", "value": "black",
         "display_key": "Color", "display_value": "Black"},
        {"id": 2096, "key": "pa_size", "value": "l", "display_key": "Size", "display_value": "L"},
        {"id": 2097, "key": "_reduced_stock", "value": "1",
         "display_key": "_reduced_stock", "display_value": "1"},
        {"id": 2098, "key": "gift_message", "value": "Happy birthday"},
        {"id": 2099, "key": "_wcpa_data", "value": {"fields": [1, 2]}},
        {"id": 2100, "key": "plugin_blob", "value": ["a", "b"]},
        {"id": 2101, "key": "empty", "value": "  "}
    ]);
    let order = parse_value(&order).unwrap();
    assert_eq!(
        words(&order.lines[1]),
        "Color: Black · Size: L · gift_message: Happy birthday"
    );
    assert_eq!(
        order.lines[1].variant_words[0].name.as_deref(),
        Some("Color")
    );
}

/// Meta that is not a list (or missing) is no words, never a refused order.
#[test]
fn odd_meta_shapes_are_no_words() {
    for meta in [
        json!(null),
        json!({"key": "pa_color"}),
        json!("x"),
        json!([1, null, "a"]),
    ] {
        let mut order = fixture(RETRIEVE);
        order["line_items"][1]["meta_data"] = meta.clone();
        let order = parse_value(&order).unwrap_or_else(|e| panic!("{meta}: {e}"));
        assert!(order.lines[1].variant_words.is_empty(), "{meta}");
    }
    let mut order = fixture(RETRIEVE);
    order["line_items"][1]
        .as_object_mut()
        .unwrap()
        .remove("meta_data");
    assert!(parse_value(&order).unwrap().lines[1]
        .variant_words
        .is_empty());
}

/// The sandbox store sends variations' attributes the way WooCommerce 4.x+ does.
#[test]
fn sandbox_variations_carry_their_attributes_in_words() {
    use dropflow_sandbox::woocommerce::order_payload;
    let mut seen = false;
    for id in 1..60u64 {
        let order = parse_value(&order_payload(id, "processing")).unwrap();
        for line in &order.lines {
            let text = words(line);
            assert!(!text.contains("_reduced_stock"), "{text}");
            if line.title.starts_with("Phone Case") && line.variant_id.is_some() {
                assert_eq!(text, "Model: iPhone 15 · Color: Clear");
                seen = true;
            }
        }
    }
    assert!(seen, "some sandbox order has a phone case variation");
}
