//! A dropflow whose fulfilment jobs buy from the CJ sandbox (manual vendors need no
//! connector), and the steps tests take in it: map, set the store's settings, top up the
//! wallet, send a one-line order, wait for its purchase to reach a status.

use super::*;
use dropflow::suppliers::cj::{ApiKey, Cj, CjConfig};
use dropflow::suppliers::Supplier;
use dropflow_core::supplier::SupplierKind;
use dropflow_sandbox::cj::{self as cj_sandbox, CjSandbox, CjSandboxConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A CJ sandbox with its default catalogue.
pub async fn cj() -> CjSandbox {
    cj_sandbox::start(CjSandboxConfig::default())
        .await
        .expect("cj sandbox")
}

/// A dropflow whose fulfilment buys from `cj`.
pub async fn app_with(
    cj: &CjSandbox,
    configure: impl FnOnce(&mut dropflow::config::Config),
) -> TestApp {
    let mut config = CjConfig::new(&cj.base_url, ApiKey::new(cj.api_key()));
    config.timeout_ms = 2_000;
    let connector: Arc<dyn Supplier> = Arc::new(Cj::new(config));
    TestApp::spawn_fulfilment(
        move |services| {
            services.suppliers = HashMap::from([(SupplierKind::Cj, connector)]).into();
            // Stores given Admin API access (the sandboxes) are written back to for real.
            services.admin = dropflow::app::store_admins();
        },
        configure,
    )
    .await
}

/// A CJ sandbox (keep it alive), a dropflow buying from it, and the default Shopify store's
/// id.
pub async fn cj_shop() -> (CjSandbox, TestApp, String) {
    let cj = cj().await;
    let app = app_with(&cj, |_| {}).await;
    let store = app.shopify_store().await;
    (cj, app, store)
}

/// Maps every line of `order` to the sandbox's first CJ variant (or to a manual vendor).
pub async fn map_to(app: &TestApp, store: &str, order: &Value, supplier: &str) {
    let variant = &cj_sandbox::variants()[0];
    for line in order["line_items"].as_array().expect("lines") {
        let offer = json!({ "supplier": supplier, "account": "vendor-a",
            "supplier_product_id": variant.pid, "supplier_sku_id": variant.vid,
            "unit_cost": format!("{}.{:02}", variant.price_cents / 100, variant.price_cents % 100),
            "currency": "USD" });
        let body = json!({ "variant_id": line["variant_id"].to_string().trim_matches('"'),
            "components": [{ "offers": [offer] }] });
        app.put_mapping(store, &body).await;
    }
}

/// Maps one store variant to manual vendor `vendor` (its own product and SKU, 2.00 USD).
pub async fn map_to_manual(app: &TestApp, store: &str, variant: &Value, vendor: &str) {
    map_to_manual_shipping(app, store, variant, vendor, None).await;
}

/// [`map_to_manual`], the offer charging `shipping` (a decimal string in USD) on top.
pub async fn map_to_manual_shipping(
    app: &TestApp,
    store: &str,
    variant: &Value,
    vendor: &str,
    shipping: Option<&str>,
) {
    let body = json!({ "variant_id": variant.to_string().trim_matches('"'),
        "components": [{ "offers": [{ "supplier": "manual", "account": vendor,
            "supplier_product_id": format!("p-{vendor}"), "supplier_sku_id": format!("s-{vendor}"),
            "unit_cost": "2.00", "currency": "USD", "shipping_cost": shipping }] }] });
    app.put_mapping(store, &body).await;
}

/// Puts the store's settings (200 expected).
pub async fn put_settings(app: &TestApp, store: &str, settings: Value) {
    let response = app
        .api_put(&format!("/api/v1/stores/{store}/settings"), &settings)
        .await;
    expect_json(response, StatusCode::OK).await;
}

/// Tops up the store's USD wallet by `amount` (201 expected).
pub async fn top_up(app: &TestApp, store: &str, amount: &str) {
    let response = app
        .api_post(
            &format!("/api/v1/stores/{store}/wallet/top-ups"),
            &json!({ "amount": amount, "currency": "USD" }),
        )
        .await;
    expect_json(response, StatusCode::CREATED).await;
}

/// The order's first purchase (null before routing made one).
pub async fn purchase(app: &TestApp, id: &str) -> Value {
    app.api_json(&format!("/api/v1/orders/{id}/supplier-orders"))
        .await
        .get(0)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Waits until the order's first purchase is `status`; that purchase.
pub async fn wait_status(app: &TestApp, id: &str, status: &str) -> Value {
    let reached = eventually(Duration::from_secs(15), || async {
        purchase(app, id).await["status"] == json!(status)
    })
    .await;
    let p = purchase(app, id).await;
    assert!(reached, "never {status}: {p}");
    p
}

/// Sends paid order `#id` with its first line only, mapped to `supplier` first; its id.
pub async fn one_line_order(app: &TestApp, store: &str, id: u64, supplier: &str) -> String {
    let mut order = numbered_paid_order(id);
    order["line_items"] = json!([order["line_items"][0].clone()]);
    map_to(app, store, &order, supplier).await;
    app.create_order(&order).await
}

/// Settings with the price guard off and no mail to the customer: whether dropflow places
/// purchases by itself and pays them by itself.
pub async fn put_auto(app: &TestApp, store: &str, auto_order: bool, auto_pay: bool) {
    let settings = json!({ "auto_order": auto_order, "auto_pay": auto_pay,
        "price_guard_percent": null, "notify_customer": false });
    put_settings(app, store, settings).await;
}

/// A CJ-backed app whose store places by itself but waits for the merchant to pay, with
/// $500 in its wallet, and one-line order `#number` placed at CJ and awaiting payment. The
/// sandbox (keep it alive), the app and the order's id.
pub async fn awaiting_payment(number: u64) -> (CjSandbox, TestApp, String) {
    let (cj, app, store) = cj_shop().await;
    put_auto(&app, &store, true, false).await;
    top_up(&app, &store, "500.00").await;
    let id = one_line_order(&app, &store, number, "cj").await;
    wait_status(&app, &id, "awaiting_payment").await;
    (cj, app, id)
}
