//! The order-level amounts (shipping, discounts, taxes) on both platforms: the platforms' own
//! documented examples, exact parsing in currencies of 0 and 3 decimals, zero when a payload
//! is too old to carry a field, and a malformed amount refused naming its field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{shopify, woocommerce, PayloadError};
use dropflow_core::intake::StoreOrder;
use serde_json::{json, Value};

/// The amounts of Shopify's own mock order (#1001, id 450789469) in the official JS library,
/// Shopify/shopify-app-js `packages/apps/shopify-api/rest/admin/__tests__/2025-07/order.test.ts`
/// @ebdb726aa5c75253e945a48b1ce1b34651b17e0f (`GET /admin/api/2025-07/orders.json`), with the
/// fields these tests need besides (copied values, other fields left out).
fn shopify_app_js_order() -> Value {
    json!({
        "id": 450789469,
        "name": "#1001",
        "currency": "USD",
        "total_price": "598.94",
        "total_discounts": "10.00",
        "total_tax": "11.94",
        "taxes_included": false,
        "total_shipping_price_set": {
            "shop_money": {"amount": "0.00", "currency_code": "USD"},
            "presentment_money": {"amount": "0.00", "currency_code": "USD"}
        },
        "shipping_lines": [{"id": 369256396, "title": "Free Shipping", "price": "0.00"}],
        "line_items": [
            {"id": 466157049, "title": "IPod Nano - 8gb", "quantity": 1, "price": "199.00"}
        ]
    })
}

/// WooCommerce's documented "Retrieve an order" response (woocommerce-rest-api-docs
/// `source/includes/wp-api-v3/_orders.md` @13d6196, see `tests/fixtures/woocommerce/SOURCE.md`):
/// `shipping_total` "10.00", `discount_total` "0.00", `total_tax` "1.35",
/// `prices_include_tax` false. The same page's property table: `shipping_total` "Total
/// shipping amount", `discount_total` "Total discount amount", `total_tax` "Sum of all taxes"
/// (strings), `prices_include_tax` a boolean.
const WOO_RETRIEVE: &str =
    include_str!("../../tests/fixtures/woocommerce/woocommerce-rest-api-docs.retrieve-order.json");

/// Shopify's older fixture (shopify_python_api test/fixtures/order.json): no
/// `total_shipping_price_set` yet, one shipping line priced "0.00".
const SHOPIFY_PYTHON_ORDER: &str =
    include_str!("../../tests/fixtures/shopify/shopify_python_api.order.json");

/// `(shipping, discounts, taxes, taxes_included)` in minor units.
fn amounts(order: &StoreOrder) -> (i64, i64, i64, bool) {
    let a = &order.amounts;
    for money in [a.shipping, a.discounts, a.taxes] {
        assert_eq!(money.currency, order.currency);
    }
    (
        a.shipping.minor,
        a.discounts.minor,
        a.taxes.minor,
        a.taxes_included,
    )
}

#[test]
fn shopify_documented_order() {
    let order = parse(&SHOPIFY, &shopify_app_js_order()).unwrap();
    assert_eq!(amounts(&order), (0, 1000, 1194, false));
}

#[test]
fn woocommerce_documented_order() {
    let order = woocommerce::parse_order(WOO_RETRIEVE.as_bytes()).unwrap();
    assert_eq!(amounts(&order), (1000, 0, 135, false));
}

#[test]
fn shopify_without_the_money_bag_sums_the_shipping_lines() {
    let mut fixture: Value = serde_json::from_str(SHOPIFY_PYTHON_ORDER).unwrap();
    let order = fixture["order"].take();
    assert!(order.get("total_shipping_price_set").is_none());
    let parsed = parse(&SHOPIFY, &order).unwrap();
    assert_eq!(amounts(&parsed), (0, 0, 1194, false));

    let mut v = shopify_app_js_order();
    v.as_object_mut()
        .unwrap()
        .remove("total_shipping_price_set");
    v["shipping_lines"] = json!([{"price": "4.99"}, {"price": "1.01"}, {"title": "no price"}]);
    assert_eq!(parse(&SHOPIFY, &v).unwrap().amounts.shipping.minor, 600);
    // The money bag wins over the lines when both are there.
    v["total_shipping_price_set"] = json!({"shop_money": {"amount": "7.00"}});
    assert_eq!(parse(&SHOPIFY, &v).unwrap().amounts.shipping.minor, 700);

    v["shipping_lines"] = json!([{"price": "4,99"}]);
    v.as_object_mut()
        .unwrap()
        .remove("total_shipping_price_set");
    let err = parse(&SHOPIFY, &v).unwrap_err();
    assert_eq!(err.path(), Some("shipping_lines[0].price"));
}

#[test]
fn shopify_money_bag_in_another_currency_is_refused() {
    let mut v = shopify_app_js_order();
    v["total_shipping_price_set"]["shop_money"]["currency_code"] = json!("EUR");
    let err = parse(&SHOPIFY, &v).unwrap_err();
    assert_eq!(
        err.path(),
        Some("total_shipping_price_set.shop_money.currency_code")
    );
}

/// One platform's names for the amounts, and a small valid order to put them in.
struct Wire {
    parse: fn(&[u8]) -> Result<StoreOrder, PayloadError>,
    /// A valid order in `currency` whose every price is `price`.
    order: fn(currency: &str, price: &str) -> Value,
    /// JSON pointer and error path of each amount: shipping, discounts, taxes.
    amounts: [(&'static str, &'static str); 3],
    taxes_included: &'static str,
}

const SHOPIFY: Wire = Wire {
    parse: shopify::parse_order,
    order: |currency, price| {
        json!({
            "id": 1, "name": "#1", "currency": currency, "total_price": price,
            "line_items": [{"id": 2, "title": "Mug", "quantity": 1, "price": price}]
        })
    },
    amounts: [
        (
            "/total_shipping_price_set/shop_money/amount",
            "total_shipping_price_set.shop_money.amount",
        ),
        ("/total_discounts", "total_discounts"),
        ("/total_tax", "total_tax"),
    ],
    taxes_included: "/taxes_included",
};

const WOOCOMMERCE: Wire = Wire {
    parse: woocommerce::parse_order,
    order: |currency, price| {
        json!({
            "id": 727, "status": "processing", "currency": currency, "total": price,
            "line_items": [{"id": 2, "name": "Mug", "quantity": 1, "subtotal": price}]
        })
    },
    amounts: [
        ("/shipping_total", "shipping_total"),
        ("/discount_total", "discount_total"),
        ("/total_tax", "total_tax"),
    ],
    taxes_included: "/prices_include_tax",
};

fn parse(wire: &Wire, v: &Value) -> Result<StoreOrder, PayloadError> {
    (wire.parse)(&serde_json::to_vec(v).unwrap())
}

/// Sets the value at a JSON pointer, making the objects on the way.
fn put(v: &mut Value, pointer: &str, value: Value) {
    let mut at = v;
    for key in pointer.trim_start_matches('/').split('/') {
        at = at
            .as_object_mut()
            .expect("an object on the way")
            .entry(key)
            .or_insert(json!({}));
    }
    *at = value;
}

/// An order in `currency` with the three amounts and `taxes_included` as sent.
fn order_with(wire: &Wire, currency: &str, sent: [Value; 3], included: Value) -> Value {
    let mut v = (wire.order)(currency, if currency == "KWD" { "1.000" } else { "1000" });
    for ((pointer, _), value) in wire.amounts.iter().zip(sent) {
        put(&mut v, pointer, value);
    }
    put(&mut v, wire.taxes_included, included);
    v
}

#[test]
fn amounts_are_exact_in_the_currency_minor_units() {
    for wire in [&SHOPIFY, &WOOCOMMERCE] {
        let jpy = order_with(
            wire,
            "JPY",
            [json!("500"), json!("100"), json!("136")],
            json!(true),
        );
        assert_eq!(amounts(&parse(wire, &jpy).unwrap()), (500, 100, 136, true));
        let kwd = order_with(
            wire,
            "KWD",
            [json!("1.250"), json!("0.500"), json!("0.075")],
            json!(false),
        );
        assert_eq!(amounts(&parse(wire, &kwd).unwrap()), (1250, 500, 75, false));

        // More decimals than the currency has is refused, naming the field.
        for (i, (_, path)) in wire.amounts.iter().enumerate() {
            for (currency, text) in [("JPY", "500.5"), ("KWD", "1.2505"), ("USD", "1.001")] {
                let mut sent = [json!("0"), json!("0"), json!("0")];
                sent[i] = json!(text);
                let v = order_with(wire, currency, sent, json!(false));
                let err = parse(wire, &v).unwrap_err();
                assert_eq!(err.path(), Some(*path), "{currency} {text}: {err}");
                assert!(err.to_string().contains("more decimals"), "{err}");
            }
        }
    }
}

#[test]
fn older_payloads_without_the_fields_read_zero() {
    for wire in [&SHOPIFY, &WOOCOMMERCE] {
        let bare = (wire.order)("USD", "25.00");
        assert_eq!(amounts(&parse(wire, &bare).unwrap()), (0, 0, 0, false));
        let nulls = order_with(
            wire,
            "USD",
            [Value::Null, Value::Null, Value::Null],
            Value::Null,
        );
        assert_eq!(amounts(&parse(wire, &nulls).unwrap()), (0, 0, 0, false));
    }
}

#[test]
fn a_malformed_amount_is_refused_naming_its_field() {
    for wire in [&SHOPIFY, &WOOCOMMERCE] {
        for (i, (_, path)) in wire.amounts.iter().enumerate() {
            for bad in [
                json!("12,50"),
                json!("-1.00"),
                json!(""),
                json!(5),
                json!([]),
            ] {
                let mut sent = [json!("0.00"), json!("0.00"), json!("0.00")];
                sent[i] = bad.clone();
                let v = order_with(wire, "USD", sent, json!(false));
                let err = parse(wire, &v).unwrap_err();
                assert!(
                    matches!(err, PayloadError::Invalid { .. }),
                    "{path} {bad}: {err:?}"
                );
                assert_eq!(err.path(), Some(*path), "{bad}: {err}");
            }
        }
        let v = order_with(
            wire,
            "USD",
            [json!("0"), json!("0"), json!("0")],
            json!("yes"),
        );
        let err = parse(wire, &v).unwrap_err();
        assert_eq!(
            err.path(),
            Some(wire.taxes_included.trim_start_matches('/'))
        );
    }
}
