//! The warehouse leg end to end (issue 4's six steps) against the 1688-style marketplace
//! sandbox and the Shopify Admin sandbox: order synced → product cost paid → shipped to the
//! warehouse → received, inspected, repacked → shipping fee paid → dispatched with tracking
//! and the store order fulfilled. Also: a failed inspection, a parcel nobody expected, and
//! dispatching before the fee is paid (refused, nothing changed).

use crate::support::*;
use dropflow::storage::accounts::Role;
use dropflow::suppliers::marketplace::Marketplace;
use dropflow::suppliers::Supplier;
use dropflow_core::supplier::SupplierKind;
use dropflow_sandbox::marketplace::{self as mk, MarketplaceSandbox, MarketplaceSandboxConfig};
use dropflow_sandbox::shopify_admin::{
    self, FulfillmentRecord, ShopifyAdminConfig, ShopifyAdminSandbox,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub(crate) const DAY: Duration = Duration::from_secs(86_400);
/// A YunExpress number in its real shape.
pub(crate) const INTERNATIONAL: &str = "YT2229521272164446";

pub(crate) struct World {
    pub(crate) market: MarketplaceSandbox,
    pub(crate) shopify: ShopifyAdminSandbox,
    pub(crate) app: TestApp,
    pub(crate) store: String,
}

pub(crate) async fn world() -> World {
    let market = mk::start(MarketplaceSandboxConfig::default())
        .await
        .expect("marketplace sandbox");
    let shopify = shopify_admin::start(ShopifyAdminConfig::default())
        .await
        .expect("shopify admin sandbox");
    // The connector `dropflow demo` builds for this sandbox, with a patient timeout.
    let mut config = dropflow::demo::operator::marketplace_config(&market);
    config.timeout_ms = 2_000;
    let connector: Arc<dyn Supplier> = Arc::new(Marketplace::new(config));
    let app = TestApp::spawn_fulfilment(
        move |services| {
            services.suppliers = HashMap::from([(SupplierKind::Marketplace, connector)]).into();
            services.admin = dropflow::app::store_admins();
        },
        |_| {},
    )
    .await;
    let store = app.shopify_store().await;
    app.connect_shopify_admin(&store, &shopify).await;
    for (currency, amount) in [("CNY", "20000.00"), ("USD", "500.00")] {
        let response = app
            .api_post(
                &format!("/api/v1/stores/{store}/wallet/top-ups"),
                &json!({ "amount": amount, "currency": currency }),
            )
            .await;
        expect_json(response, StatusCode::CREATED).await;
    }
    World {
        market,
        shopify,
        app,
        store,
    }
}

impl World {
    /// Waits until the store's order `store_order` is fully fulfilled (failing if it never
    /// is); its fulfilments.
    pub(crate) async fn fulfilled(&self, store_order: u64) -> Vec<FulfillmentRecord> {
        let fulfilled = eventually(Duration::from_secs(20), || async {
            self.shopify.is_fully_fulfilled(store_order)
        })
        .await;
        assert!(fulfilled, "store order {store_order} is not fulfilled");
        self.shopify.fulfillments(store_order)
    }

    /// The store's wallet in `currency`.
    pub(crate) async fn wallet(&self, currency: &str) -> Value {
        self.app.wallet(&self.store, currency).await
    }
}

/// The store's own id of a store order.
pub(crate) fn store_order_id(order: &Value) -> u64 {
    order["id"].as_u64().expect("store id")
}

/// For [`order_with`]: the order goes to the same shipping address as `first`.
pub(crate) fn same_address_as(first: &Value) -> impl FnOnce(&mut Value) {
    let address = first["shipping_address"].clone();
    move |order| order["shipping_address"] = address
}

/// A paid order with `lines` lines, each mapped to its own marketplace seller (so each
/// seller ships its own parcel); the store knows the order too.
pub(crate) async fn order(w: &World, id: u64, lines: usize) -> (String, Value) {
    order_with(w, id, lines, |_| {}).await
}

/// [`order`], with `edit` applied to the store's order before it is sent.
pub(crate) async fn order_with(
    w: &World,
    id: u64,
    lines: usize,
    edit: impl FnOnce(&mut Value),
) -> (String, Value) {
    let mut order = paid_order(id, &format!("#{id}"));
    let template = order["line_items"][0].clone();
    let offers = mk::offers();
    let mut items = Vec::new();
    for (i, o) in offers.iter().take(lines).enumerate() {
        let mut line = template.clone();
        line["id"] = json!(id * 10 + i as u64);
        line["variant_id"] = json!(id * 100 + i as u64);
        line["title"] = json!(o.title);
        line["quantity"] = json!(1);
        line["current_quantity"] = json!(1);
        line["fulfillable_quantity"] = json!(1);
        items.push(line);
        let offer = json!({ "supplier": "marketplace", "account": format!("seller-{i}"),
            "supplier_product_id": o.offer_id.to_string(), "supplier_sku_id": o.spec_id,
            "unit_cost": format!("{}.{:02}", o.price_fen / 100, o.price_fen % 100),
            "currency": "CNY" });
        let body = json!({ "variant_id": (id * 100 + i as u64).to_string(),
            "components": [{ "offers": [offer] }] });
        w.app.put_mapping(&w.store, &body).await;
    }
    order["line_items"] = json!(items);
    edit(&mut order);
    w.shopify.add_order(&order).expect("store order");
    let (_, ack) = w.app.shopify_order("orders/create", &order).await;
    (order_id(&ack), order)
}

pub(crate) async fn all_paid(app: &TestApp, id: &str, n: usize) {
    let reached = eventually(Duration::from_secs(20), || async {
        let p = app.supplier_orders(id).await;
        p.len() == n && p.iter().all(|p| p["status"] == json!("awaiting_shipment"))
    })
    .await;
    assert!(reached, "not all paid: {:?}", app.supplier_orders(id).await);
}

pub(crate) async fn view(app: &TestApp, id: &str) -> Value {
    app.api_json(&format!("/api/v1/orders/{id}/warehouse"))
        .await
}

/// The order's warehouse stage.
pub(crate) async fn stage(app: &TestApp, id: &str) -> Value {
    view(app, id).await["stage"].clone()
}

pub(crate) async fn wait_stage(app: &TestApp, id: &str, stage: &str) -> Value {
    let reached = eventually(Duration::from_secs(20), || async {
        app.api_get(&format!("/api/v1/orders/{id}/warehouse"))
            .await
            .json::<Value>()
            .await
            .is_ok_and(|v| v["stage"] == json!(stage))
    })
    .await;
    let v = view(app, id).await;
    assert!(reached, "never {stage}: {v}");
    v
}

/// Lets the sellers ship (sandbox time) and asks the marketplace now.
/// Waits until the order's `n` sellers' parcels are known, and returns their numbers.
pub(crate) async fn inbound(app: &TestApp, id: &str, n: usize) -> Vec<String> {
    let reached = eventually(Duration::from_secs(20), || async {
        app.api_get(&format!("/api/v1/orders/{id}/warehouse"))
            .await
            .json::<Value>()
            .await
            .is_ok_and(|v| v["inbound"].as_array().is_some_and(|a| a.len() == n))
    })
    .await;
    let v = view(app, id).await;
    assert!(reached, "{v}");
    inbound_numbers(&v)
}

/// Order `#id` with `lines` lines, every purchase paid and every seller's parcel sent to the
/// warehouse: our order's id and the store's order.
pub(crate) async fn shipped_by_sellers(w: &World, id: u64, lines: usize) -> (String, Value) {
    let (ours, store_order) = order(w, id, lines).await;
    all_paid(&w.app, &ours, lines).await;
    sellers_ship(w, &ours).await;
    (ours, store_order)
}

/// [`shipped_by_sellers`], once every seller's parcel number is known: our order's id, the
/// store's order and the parcels' numbers.
pub(crate) async fn parcels_sent(w: &World, id: u64, lines: usize) -> (String, Value, Vec<String>) {
    let (ours, store_order) = shipped_by_sellers(w, id, lines).await;
    let numbers = inbound(&w.app, &ours, lines).await;
    (ours, store_order, numbers)
}

pub(crate) async fn sellers_ship(w: &World, id: &str) {
    w.market.advance(DAY + Duration::from_secs(3600));
    let response = w
        .app
        .api_post_empty(&format!("/api/v1/orders/{id}/refresh"))
        .await;
    expect_json(response, StatusCode::ACCEPTED).await;
}

pub(crate) async fn scan(app: &TestApp, number: &str) -> (StatusCode, Value) {
    let response = scan_as(app, &app.token, number).await;
    let status = response.status();
    (status, response.json().await.expect("json"))
}

/// The warehouse receives (scans) `number`, as the holder of `token`; the answer.
pub(crate) async fn scan_as(app: &TestApp, token: &str, number: &str) -> reqwest::Response {
    let scan = json!({ "scan": number });
    app.post_as(token, "/api/v1/warehouse/receive", &scan).await
}

/// Scans in the one-item order's parcel once its seller has shipped it; the arrived item's id.
pub(crate) async fn received_item(app: &TestApp, id: &str) -> String {
    let v = wait_stage(app, id, "shipped_to_warehouse").await;
    scan(app, &inbound_numbers(&v)[0]).await;
    let v = wait_stage(app, id, "arrived").await;
    v["items"][0]["id"].as_str().expect("item").to_string()
}

/// Brings an order of one item to the warehouse and through inspection.
pub(crate) async fn ready_to_pack(w: &World, id: &str) {
    all_paid(&w.app, id, 1).await;
    sellers_ship(w, id).await;
    let numbers = inbound(&w.app, id, 1).await;
    scan(&w.app, &numbers[0]).await;
    wait_stage(&w.app, id, "arrived").await;
    pass_arrived(&w.app, id).await;
    wait_stage(&w.app, id, "inspected").await;
}

pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

pub(crate) fn checklist(pass: bool) -> Value {
    json!({ "title_matches": true, "variant_matches": true, "received_quantity": 1,
        "undamaged": pass, "marketing_material_removed": true })
}

/// Sends the inspection form as multipart (reqwest here is built without its multipart).
pub(crate) async fn inspect(
    app: &TestApp,
    item: &str,
    outcome: &str,
    checklist: &Value,
    reasons: Option<&str>,
    photo: Option<&[u8]>,
) -> reqwest::Response {
    let mut form = Multipart::new("dropflowwarehouseboundary")
        .text("outcome", outcome.as_bytes())
        .text("checklist", checklist.to_string().as_bytes());
    if let Some(r) = reasons {
        form = form.text("reasons", r.as_bytes());
    }
    if let Some(p) = photo {
        form = form.file("photos", "damage.png", "application/octet-stream", p);
    }
    let path = format!("/api/v1/warehouse/items/{item}/inspection");
    app.post_multipart_as(&app.token, &path, form).await
}

/// The merchant's decision on the order's failed items; the answer.
pub(crate) async fn decide(app: &TestApp, id: &str, decision: &str) -> reqwest::Response {
    app.api_post(
        &format!("/api/v1/orders/{id}/warehouse/decision"),
        &json!({ "decision": decision }),
    )
    .await
}

/// Passes the item's inspection (200 expected).
pub(crate) async fn pass_item(app: &TestApp, item: &str) {
    let passed = inspect(app, item, "pass", &checklist(true), None, None).await;
    expect_json(passed, StatusCode::OK).await;
}

/// Fails the item's inspection as damaged, with a photo (200 expected).
pub(crate) async fn fail_item(app: &TestApp, item: &str) {
    expect_json(inspect_damaged(app, item, Some(PNG)).await, StatusCode::OK).await;
}

/// Sends the item's inspection as failed for damage, with `photo` if given; the answer.
pub(crate) async fn inspect_damaged(
    app: &TestApp,
    item: &str,
    photo: Option<&[u8]>,
) -> reqwest::Response {
    let damaged = Some("[\"damaged\"]");
    inspect(app, item, "fail", &checklist(false), damaged, photo).await
}

/// Passes every item of the order waiting for inspection (through the API, as the operator).
pub(crate) async fn pass_arrived(app: &TestApp, id: &str) {
    let v = view(app, id).await;
    for item in v["items"].as_array().expect("items") {
        if item["state"]["state"] == json!("arrived") {
            pass_item(app, item["id"].as_str().expect("item id")).await;
        }
    }
}

pub(crate) async fn pack(app: &TestApp, id: &str) -> reqwest::Response {
    let measures = json!({ "weight_g": 480, "length_cm": 25, "width_cm": 18, "height_cm": 8 });
    pack_measured(app, id, &measures).await
}

/// Packs the order's items with these measures (and `with_orders`, if given).
pub(crate) async fn pack_measured(app: &TestApp, id: &str, measures: &Value) -> reqwest::Response {
    app.api_post(&format!("/api/v1/warehouse/orders/{id}/pack"), measures)
        .await
}

/// A parcel whose dearest carrier costs more than the $500 in the world's wallet.
pub(crate) fn heavy_parcel() -> Value {
    json!({ "weight_g": 30000, "length_cm": 60, "width_cm": 50, "height_cm": 50 })
}

/// A 900 g parcel that also carries the orders `others`.
pub(crate) fn parcel_with(others: &[&str]) -> Value {
    json!({ "weight_g": 900, "length_cm": 30, "width_cm": 20, "height_cm": 12,
        "with_orders": others })
}

pub(crate) async fn dispatch(app: &TestApp, package: &str) -> reqwest::Response {
    dispatch_with(app, package, INTERNATIONAL).await
}

/// Dispatches the package with YunExpress number `number`; the answer.
pub(crate) async fn dispatch_with(app: &TestApp, package: &str, number: &str) -> reqwest::Response {
    app.api_post(
        &format!("/api/v1/warehouse/packages/{package}/dispatch"),
        &json!({ "tracking_number": number, "carrier": "YunExpress" }),
    )
    .await
}

/// The cheapest carrier offered for a packed package.
pub(crate) fn cheapest(package: &Value) -> Value {
    quotes(package)
        .min_by_key(|q| q["price"]["minor"].as_i64().unwrap_or(i64::MAX))
        .cloned()
        .expect("a quote")
}

/// The dearest carrier offered for a packed package.
pub(crate) fn dearest(package: &Value) -> Value {
    quotes(package)
        .max_by_key(|q| q["price"]["minor"].as_i64().unwrap_or(0))
        .cloned()
        .expect("a quote")
}

/// The carriers offered for a packed package.
fn quotes(package: &Value) -> impl Iterator<Item = &Value> {
    package["quotes"].as_array().expect("quotes").iter()
}

/// Puts the store's warehouse settings (auto-pick, auto-pay); the answer.
pub(crate) async fn put_warehouse_settings(w: &World, settings: &Value) -> reqwest::Response {
    let path = format!("/api/v1/stores/{}/warehouse-settings", w.store);
    w.app.api_put(&path, settings).await
}

/// Sets the store's parcel branding: a thank-you card, and `logo` (a PNG) if given.
pub(crate) async fn brand_with_card(w: &World, logo: Option<&[u8]>) {
    use dropflow::storage::branding::{self, BrandingUpdate, ImageType};
    let update = BrandingUpdate {
        logo: logo.map(|png| (ImageType::Png, png.to_vec())),
        remove_logo: false,
        card_text: "Thank you!".into(),
        include_logo: logo.is_some(),
        include_card: true,
    };
    let mut tx = w.app.db.begin().await.unwrap();
    branding::put_in(&mut tx, w.store.parse().unwrap(), &update)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// The merchant chooses `quote` for the order's open package (200 expected); the package.
pub(crate) async fn choose(app: &TestApp, id: &str, quote: &Value) -> Value {
    let chosen = app
        .api_post(
            &format!("/api/v1/orders/{id}/shipping"),
            &json!({ "carrier": quote["carrier"], "service": quote["code"] }),
        )
        .await;
    expect_json(chosen, StatusCode::OK).await
}

/// The merchant pays the open package's fee from the wallet (200 expected); the package.
pub(crate) async fn pay_fee(app: &TestApp, id: &str) -> Value {
    let paid = app
        .api_post_empty(&format!("/api/v1/orders/{id}/shipping/pay"))
        .await;
    expect_json(paid, StatusCode::OK).await
}

/// The store cancels `order` (Shopify's `orders/cancelled` with the order as it was sent).
pub(crate) async fn cancel_in_store(app: &TestApp, order: &Value) {
    let mut cancelled = order.clone();
    cancelled["financial_status"] = json!("voided");
    cancelled["cancelled_at"] = json!("2024-05-01T11:00:00-05:00");
    cancelled["cancel_reason"] = json!("customer");
    cancelled["updated_at"] = json!("2024-05-01T11:00:00-05:00");
    app.shopify_order("orders/cancelled", &cancelled).await;
}

pub(crate) fn inbound_numbers(v: &Value) -> Vec<String> {
    v["inbound"]
        .as_array()
        .expect("inbound")
        .iter()
        .map(|i| i["tracking_number"].as_str().expect("number").to_string())
        .collect()
}

/// The fee paid, dispatched, and the store's order fulfilled with the international number.
pub(crate) async fn pay_dispatch_and_fulfil(w: &World, id: &str, store_order: &Value) {
    let app = &w.app;
    let v = view(app, id).await;
    let package = v["packages"][0]["id"]
        .as_str()
        .expect("package")
        .to_string();
    let quotes = v["packages"][0]["quotes"].as_array().expect("quotes");
    assert!(
        quotes.len() >= 2,
        "every carrier serving US is offered: {v}"
    );
    assert!(quotes
        .iter()
        .all(|q| q["price"].is_object() && q["days_max"].is_u64()));

    // Dispatch before the fee is paid: refused, nothing changed.
    let before = app.order_detail(id).await;
    let refused = dispatch(app, &package).await;
    let message = expect_error(refused, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("not paid"), "{message}");
    assert_eq!(app.order_detail(id).await, before);
    assert_eq!(app.rows("shipments").await, 0);

    let cheapest = cheapest(&v["packages"][0]);
    let chosen = choose(app, id, &cheapest).await;
    assert_eq!(chosen["carrier_code"], cheapest["code"]);
    assert_eq!(view(app, id).await["stage"], json!("awaiting_shipping_fee"));
    let paid = pay_fee(app, id).await;
    assert!(paid["dispatch_due_at"].is_string(), "{paid}");
    let wallet = w.wallet("USD").await;
    assert_ne!(wallet["spent"], json!("0.00"), "{wallet}");

    let sent = expect_json(dispatch(app, &package).await, StatusCode::OK).await;
    assert_eq!(sent["tracking_number"], json!(INTERNATIONAL));
    let detail = app.order_detail(id).await;
    assert_eq!(detail["tab"], json!("fulfilled"), "{detail}");
    let records = w.fulfilled(store_order_id(store_order)).await;
    assert_eq!(records.len(), 1, "one parcel, one fulfilment");
    assert_eq!(records[0].tracking_number.as_deref(), Some(INTERNATIONAL));
    // The domestic numbers never reached the store.
    for number in inbound_numbers(&view(app, id).await) {
        assert!(records
            .iter()
            .all(|r| r.tracking_number.as_deref() != Some(&number)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_item_walks_the_six_steps() {
    let w = world().await;
    let app = &w.app;
    // 1. Synced. 2. Product cost paid (auto-pay: goods only, in CNY).
    let (id, order) = order(&w, 9_400_001, 1).await;
    all_paid(app, &id, 1).await;
    let cny = w.wallet("CNY").await;
    assert_ne!(cny["spent"], json!("0.00"), "{cny}");
    let usd = w.wallet("USD").await;
    assert_eq!(
        usd["spent"],
        json!("0.00"),
        "no shipping was charged with the goods"
    );
    // 3. The seller ships to the warehouse: the merchant sees the domestic tracking.
    sellers_ship(&w, &id).await;
    let v = wait_stage(app, &id, "shipped_to_warehouse").await;
    assert_eq!(inbound_numbers(&v).len(), 1, "{v}");
    assert!(v["inbound"][0]["expected_arrival"].is_string());
    assert_eq!(app.order_detail(&id).await["tab"], json!("at_warehouse"));
    assert_eq!(
        app.rows("shipments").await,
        0,
        "the domestic parcel is not the customer's"
    );
    // 4. Received (by the marketplace order number this time), inspected, repacked.
    let supplier_ref = v["inbound"][0]["supplier_ref"]
        .as_str()
        .expect("ref")
        .to_string();
    let (status, received) = scan(app, &supplier_ref).await;
    assert_eq!(status, StatusCode::OK, "{received}");
    assert_eq!(received["items_arrived"].as_array().map(Vec::len), Some(1));
    let v = wait_stage(app, &id, "arrived").await;
    let item = v["items"][0]["id"].as_str().expect("item").to_string();
    // Passing with the marketing material still in is refused.
    let mut left_in = checklist(true);
    left_in["marketing_material_removed"] = json!(false);
    let refused = inspect(app, &item, "pass", &left_in, None, None).await;
    expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    let passed = inspect(app, &item, "pass", &checklist(true), None, None).await;
    let passed = expect_json(passed, StatusCode::OK).await;
    assert_eq!(passed["outcome"], json!("pass"));
    wait_stage(app, &id, "inspected").await;
    let packed = expect_json(pack(app, &id).await, StatusCode::OK).await;
    assert_eq!(packed["weight_g"], json!(480));
    // 5 and 6.
    pay_dispatch_and_fulfil(&w, &id, &order).await;
    let kinds = timeline_kinds(&app.order_detail(&id).await);
    assert!(
        kinds.iter().filter(|k| *k == "warehouse").count() >= 8,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"warehouse_note".to_string()));
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_items_arriving_on_different_days_wait_for_each_other() {
    let w = world().await;
    let app = &w.app;
    let (id, order, numbers) = parcels_sent(&w, 9_400_002, 3).await;
    // Day one: one parcel.
    let (status, _) = scan(app, &numbers[0]).await;
    assert_eq!(status, StatusCode::OK);
    let v = wait_stage(app, &id, "partly_arrived").await;
    let missing = v["readiness"]["missing"].as_array().expect("missing");
    assert_eq!(missing.len(), 2, "{v}");
    assert!(missing
        .iter()
        .all(|m| m["tracking"]["number"].is_string() && m["expected_arrival"].is_string()));
    assert_eq!(v["readiness"]["arrived"].as_array().map(Vec::len), Some(1));
    // Packing now is refused: items are missing.
    let refused = pack(app, &id).await;
    let message = expect_error(refused, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("have not arrived"), "{message}");
    // Days two and three; a second scan of the first parcel changes nothing.
    w.market.advance(DAY);
    scan(app, &numbers[1]).await;
    let (status, again) = scan(app, &numbers[0]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["items_arrived"], json!([]));
    assert_eq!(view(app, &id).await["stage"], json!("partly_arrived"));
    w.market.advance(DAY);
    scan(app, &numbers[2]).await;
    let v = wait_stage(app, &id, "arrived").await;
    for item in v["items"].as_array().expect("items") {
        pass_item(app, item["id"].as_str().expect("id")).await;
    }
    wait_stage(app, &id, "inspected").await;
    expect_json(pack(app, &id).await, StatusCode::OK).await;
    pay_dispatch_and_fulfil(&w, &id, &order).await;
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_inspection_waits_for_the_merchant_and_unknown_parcels_are_kept() {
    let w = world().await;
    let app = &w.app;
    // A parcel nobody expected: 202 with an exception id, on the list, nothing else changed.
    let (status, unknown) = scan(app, "SF1234567890123").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{unknown}");
    let exception = unknown["exception_id"].as_str().expect("exception id");
    let list = app.api_json("/api/v1/warehouse/exceptions").await;
    assert_eq!(list[0]["id"], json!(exception), "{list}");
    assert_eq!(list[0]["scan"], json!("SF1234567890123"));

    let (id, _) = shipped_by_sellers(&w, 9_400_003, 1).await;
    let item = received_item(app, &id).await;
    // A failure needs a photo; a photo must be an image.
    for photo in [None, Some(&b"GIF89a not allowed"[..])] {
        let refused = inspect_damaged(app, &item, photo).await;
        expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    }
    let failed = expect_json(inspect_damaged(app, &item, Some(PNG)).await, StatusCode::OK).await;
    assert_eq!(failed["outcome"], json!("fail"));
    assert_eq!(failed["reasons"], json!(["damaged"]));
    let photo = failed["photos"][0].as_str().expect("photo ref");
    assert!(
        photo.starts_with("inspection/") && photo.ends_with(".png"),
        "{photo}"
    );
    let v = view(app, &id).await;
    assert_eq!(v["stage"], json!("arrived"), "waits for the merchant: {v}");
    assert_eq!(v["readiness"]["blocked"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["items"][0]["outcome"]["outcome"], json!("fail"));
    let refused = pack(app, &id).await;
    expect_error(refused, StatusCode::CONFLICT, "conflict").await;
    let bad = decide(app, &id, "keep").await;
    expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    let accepted = decide(app, &id, "accept").await;
    assert_eq!(
        expect_json(accepted, StatusCode::OK).await["items"],
        json!(1)
    );
    wait_stage(app, &id, "inspected").await;
    // The merchant's auto-pick rule and auto-pay: packing picks and pays.
    let fastest = json!({ "auto_pick": { "rule": "fastest" }, "auto_pay_fee": true });
    expect_json(put_warehouse_settings(&w, &fastest).await, StatusCode::OK).await;
    // What goes in the parcel is the store's branding, set once on the dashboard: a second
    // flag here is refused by name.
    let flagged = json!({ "auto_pick": null, "auto_pay_fee": true, "branding": true });
    let message = expect_error(
        put_warehouse_settings(&w, &flagged).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(message.contains("branding"), "{message}");
    brand_with_card(&w, Some(PNG)).await;
    let packed = expect_json(pack(app, &id).await, StatusCode::OK).await;
    assert!(packed["branding"].as_bool().unwrap_or(false), "{packed}");
    let detail = app.order_detail(&id).await;
    assert!(
        detail.to_string().contains("with logo and thank-you card"),
        "{detail}"
    );
    assert!(packed["fee_paid_at"].is_string(), "{packed}");
    let fastest = packed["quotes"]
        .as_array()
        .expect("quotes")
        .iter()
        .map(|q| q["days_max"].as_u64().unwrap_or(u64::MAX))
        .min();
    let chosen = packed["quotes"]
        .as_array()
        .expect("quotes")
        .iter()
        .find(|q| q["code"] == packed["carrier_code"])
        .expect("chosen quote");
    assert_eq!(chosen["days_max"].as_u64(), fastest);
    assert_eq!(view(app, &id).await["stage"], json!("fee_paid"));
    // The 24 h timer: not late yet; a day and an hour later it is flagged, once.
    let now = chrono::Utc::now();
    let late = dropflow::fulfilment::warehouse::late::tick;
    assert_eq!(late(&app.db, now).await.unwrap(), 0);
    let later = now + chrono::Duration::hours(25);
    assert_eq!(late(&app.db, later).await.unwrap(), 1);
    assert_eq!(late(&app.db, later).await.unwrap(), 0);
    let v = view(app, &id).await;
    assert_eq!(v["packages"][0]["late"], json!(true), "{v}");
    let detail = app.order_detail(&id).await;
    assert!(detail.to_string().contains("dispatch_late"), "{detail}");
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_wallet_refuses_the_fee_and_the_order_waits_for_it() {
    let w = world().await;
    let app = &w.app;
    let (id, _) = shipped_by_sellers(&w, 9_400_004, 1).await;
    let item = received_item(app, &id).await;
    pass_item(app, &item).await;
    wait_stage(app, &id, "inspected").await;
    // A heavy parcel by express: more than the $500 in the wallet.
    let packed = pack_measured(app, &id, &heavy_parcel()).await;
    let packed = expect_json(packed, StatusCode::OK).await;
    choose(app, &id, &dearest(&packed)).await;
    let spent_before = w.wallet("USD").await;
    let refused = app
        .api_post_empty(&format!("/api/v1/orders/{id}/shipping/pay"))
        .await;
    let message = expect_error(refused, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("top up"), "{message}");
    assert_eq!(
        view(app, &id).await["stage"],
        json!("awaiting_shipping_fee")
    );
    let spent_after = w.wallet("USD").await;
    assert_eq!(spent_before, spent_after, "nothing moved in the wallet");
    assert_eq!(app.order_detail(&id).await["tab"], json!("at_warehouse"));
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_tables_are_validated_before_they_replace_the_sample() {
    let w = world().await;
    let app = &w.app;
    let current = app.api_json("/api/v1/warehouse/rates").await;
    let toml = current["toml"].as_str().expect("toml").to_string();
    let broken = toml.replacen("days_max = 12", "days_max = 0", 1);
    let operator = member_token(app, "operator@warehouse.example", Role::Warehouse, &[]).await;
    let response = app
        .put_as(
            &operator,
            "/api/v1/warehouse/rates",
            &json!({ "toml": broken }),
        )
        .await;
    let message = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert!(message.contains("problem"), "{message}");
    assert_eq!(
        app.api_json("/api/v1/warehouse/rates").await["toml"],
        json!(toml)
    );
    w.app.stop().await;
}
