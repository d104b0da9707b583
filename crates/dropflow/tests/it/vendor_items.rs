//! What a manual vendor is shown of each item it is handed (issue 11 item 6, seed 001): a
//! "Dropship" badge, the supplier's product page, the cost, and the customer's chosen
//! variant in words — on the vendor page and in its API read — and never another vendor's
//! items of the same order. The vendor's mail is in `events.rs` (end to end over SMTP) and
//! `notify.rs` (every template over SMTP).

use crate::dashboard_pages::Browser;
use crate::support::cj_world::cj_shop;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);
pub(crate) const LINK_A: &str = "https://supplier-a.test/item/1005?sku=red-l";
pub(crate) const LINK_B: &str = "https://supplier-b.test/item/77";
/// What only vendor B may be shown of the [`shared_order`]: its line, price and supplier.
pub(crate) const VENDOR_B_ONLY: [&str; 5] = [
    "Secret Gadget",
    "Blue / S",
    "9.99",
    "supplier-b.test",
    "hidden-ref",
];

/// A paid Shopify order with two lines: A ("Hoodie", Red / L with an engraving, 2 units)
/// and B ("Secret Gadget", Blue / S).
pub(crate) fn shared_order(id: u64) -> Value {
    let mut order = numbered_paid_order(id);
    let mut a = order["line_items"][0].clone();
    a["title"] = json!("Hoodie");
    a["variant_title"] = json!("Red / L");
    a["properties"] = json!([
        {"name": "Engraving", "value": "Ana"},
        {"name": "_app_ref", "value": "hidden-ref"}
    ]);
    a["quantity"] = json!(2);
    a["current_quantity"] = json!(2);
    let mut b = second_line(&a, "SKU-B", "Secret Gadget");
    b["variant_title"] = json!("Blue / S");
    b["properties"] = json!([]);
    b["quantity"] = json!(1);
    b["current_quantity"] = json!(1);
    order["line_items"] = json!([a, b]);
    order
}

/// Maps the store variant `variant` to manual vendor `vendor` at `cost` USD, with `link`.
pub(crate) async fn map_to_vendor(
    app: &TestApp,
    store: &str,
    variant: &Value,
    vendor: &str,
    cost: &str,
    link: &str,
) {
    let body = json!({ "variant_id": variant.to_string().trim_matches('"'),
        "components": [{ "offers": [{ "supplier": "manual", "account": vendor,
            "supplier_product_id": format!("p-{vendor}"), "supplier_sku_id": format!("s-{vendor}"),
            "unit_cost": cost, "currency": "USD", "product_url": link }] }] });
    let stored = app.put_mapping(store, &body).await;
    assert_eq!(
        stored["mapping"]["components"][0]["offers"][0]["product_url"],
        json!(link),
        "{stored}"
    );
}

async fn handed_over(app: &TestApp, id: &str, n: usize) -> bool {
    eventually(WAIT, || async {
        app.api_json(&format!("/api/v1/orders/{id}/supplier-orders"))
            .await
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == json!("awaiting_shipment"))
            .count()
            == n
    })
    .await
}

/// Maps the [`shared_order`]'s first line to vendor A (4.20, [`LINK_A`]) and its second to
/// vendor B (9.99, [`LINK_B`]).
pub(crate) async fn map_shared_order(app: &TestApp, store: &str, order: &Value) {
    let lines = order["line_items"].as_array().expect("lines");
    map_to_vendor(
        app,
        store,
        &lines[0]["variant_id"],
        "vendor-a",
        "4.20",
        LINK_A,
    )
    .await;
    map_to_vendor(
        app,
        store,
        &lines[1]["variant_id"],
        "vendor-b",
        "9.99",
        LINK_B,
    )
    .await;
}

#[tokio::test]
async fn the_vendor_page_and_api_show_each_item_with_badge_link_cost_and_variant_words_and_nothing_of_another_vendor(
) {
    let (_cj, app, store) = cj_shop().await;
    let order = shared_order(9_611_001);
    map_shared_order(&app, &store, &order).await;
    let token_a = vendor_token(&app, "a@vendor.test", "vendor-a").await;
    vendor_token(&app, "b@vendor.test", "vendor-b").await;
    let id = app.create_order(&order).await;
    assert!(handed_over(&app, &id, 2).await);

    // The order line keeps the words the store sent (the private property left out).
    let detail = app.order_detail(&id).await;
    assert_eq!(
        detail["lines"][0]["variant_words"],
        json!([{"name": null, "value": "Red / L"}, {"name": "Engraving", "value": "Ana"}]),
        "{detail}"
    );

    // Vendor A's page: its item with everything seed 001 promises, and nothing of B's.
    let mut browser = Browser::sign_in(&app, "a@vendor.test").await;
    let page = browser.page("/vendor").await;
    let to_ship = &page[page.find("id=\"to-ship\"").expect("the to-ship table")..];
    assert!(
        to_ship.contains("<span class=\"badge badge-dropship\">Dropship</span>"),
        "{page}"
    );
    assert!(to_ship.contains("2 × Hoodie"), "{page}");
    assert!(to_ship.contains("Red / L · Engraving: Ana"), "{page}");
    assert!(to_ship.contains("Cost: 8.40 USD (2 × 4.20 USD)"), "{page}");
    assert!(
        to_ship.contains(&format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">Open Supplier Page</a>",
            LINK_A.replace('&', "&#38;")
        )),
        "{page}"
    );
    assert!(page.contains("never your own"), "{page}");
    for theirs in VENDOR_B_ONLY {
        assert!(!page.contains(theirs), "vendor A sees {theirs:?}: {page}");
    }

    // The same through vendor A's API read of the order's supplier orders.
    let response = app
        .get_as(&token_a, &format!("/api/v1/orders/{id}/supplier-orders"))
        .await;
    let mine = expect_json(response, StatusCode::OK).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["dropship"], json!(true));
    let item = &mine[0]["items"][0];
    assert_eq!(item["line_title"], json!("Hoodie"));
    assert_eq!(
        item["variant_words"],
        json!([{"name": null, "value": "Red / L"}, {"name": "Engraving", "value": "Ana"}])
    );
    assert_eq!(item["product_url"], json!(LINK_A));
    assert_eq!(
        (
            &item["unit_cost_minor"],
            &item["quantity"],
            &item["currency"]
        ),
        (&json!(420), &json!(2), &json!("USD"))
    );
    let text = mine.to_string();
    for theirs in ["Secret Gadget", "Blue / S", "supplier-b.test", "vendor-b"] {
        assert!(
            !text.contains(theirs),
            "vendor A's API shows {theirs:?}: {text}"
        );
    }

    // Vendor B's page shows B's item, never A's.
    let mut browser = Browser::sign_in(&app, "b@vendor.test").await;
    let page = browser.page("/vendor").await;
    assert!(
        page.contains("1 × Secret Gadget") && page.contains("Blue / S"),
        "{page}"
    );
    assert!(
        page.contains("Cost: 9.99 USD") && page.contains(LINK_B),
        "{page}"
    );
    for theirs in ["Hoodie", "Red / L", "Engraving", "4.20", "supplier-a.test"] {
        assert!(!page.contains(theirs), "vendor B sees {theirs:?}: {page}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_supplier_link_must_be_https_and_a_refused_one_writes_nothing() {
    let app = TestApp::spawn().await;
    let store = app.shopify_store().await;
    for link in [
        "http://supplier.test/item/1",
        "javascript:alert(1)",
        "supplier.test/item",
    ] {
        let body = json!({ "variant_id": "4242",
            "components": [{ "offers": [{ "supplier": "manual", "account": "vendor-a",
                "supplier_product_id": "p", "supplier_sku_id": "s",
                "unit_cost": "1.00", "currency": "USD", "product_url": link }] }] });
        let response = app
            .api_put(&format!("/api/v1/stores/{store}/mappings"), &body)
            .await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(
            message.contains("components[0].offers[0].product_url"),
            "{link}: {message}"
        );
    }
    assert_eq!(app.rows("mappings").await, 0, "nothing half-written");
    app.stop().await;
}

/// A WooCommerce variation's attributes (4.x+ `display_key`/`display_value`) are kept on the
/// order line as words, hidden `_` meta left out, and a store update keeps them current.
#[tokio::test]
async fn a_woocommerce_variation_is_stored_in_words() {
    let app = TestApp::spawn().await;
    app.register_woo_store(WOO_SITE, WOO_SECRET).await;
    let mut order = dropflow_sandbox::woocommerce::order_payload(9_611_002, "processing");
    order["line_items"] = json!([order["line_items"][0].clone()]);
    order["line_items"][0]["meta_data"] = json!([
        {"id": 1, "key": "pa_color", "value": "red", "display_key": "Color", "display_value": "Red"},
        {"id": 2, "key": "pa_size", "value": "l", "display_key": "Size", "display_value": "L"},
        {"id": 3, "key": "_reduced_stock", "value": "1",
         "display_key": "_reduced_stock", "display_value": "1"}
    ]);
    let hook = woo_hook("order.created", WOO_SITE, &order);
    let ack = expect_json(app.send_woo(&hook, WOO_SECRET).await, StatusCode::OK).await;
    let id = order_id(&ack);
    let detail = app.order_detail(&id).await;
    assert_eq!(
        detail["lines"][0]["variant_words"],
        json!([{"name": "Color", "value": "Red"}, {"name": "Size", "value": "L"}]),
        "{detail}"
    );

    // The store changes the variation's size: the line's words follow.
    order["line_items"][0]["meta_data"][1]["display_value"] = json!("XL");
    order["date_modified_gmt"] = json!("2099-01-01T00:00:00");
    let hook = woo_hook("order.updated", WOO_SITE, &order);
    expect_json(app.send_woo(&hook, WOO_SECRET).await, StatusCode::OK).await;
    let detail = app.order_detail(&id).await;
    assert_eq!(
        detail["lines"][0]["variant_words"][1]["value"],
        json!("XL"),
        "{detail}"
    );
    app.stop().await;
}
