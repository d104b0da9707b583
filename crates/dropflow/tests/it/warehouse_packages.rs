//! More than one package per order, and several orders in one package. An order whose
//! merchant chose "ship what is here" leaves in two parcels, each paid, dispatched, written
//! back to the store with its own lines and number, and followed; the order is delivered only
//! when both are. Orders of one store to one customer share one parcel: one fee, one number,
//! each store order fulfilled with its own lines; another address or an order not ready is
//! refused with nothing written.

use crate::support::*;
use crate::warehouse::{
    all_paid, cancel_in_store, cheapest, dispatch, dispatch_with, order, order_with, pack,
    pack_measured, parcel_with, parcels_sent, pass_arrived, pay_fee, put_warehouse_settings,
    ready_to_pack, same_address_as, scan, sellers_ship, stage, store_order_id, view, wait_stage,
    world, World, DAY, INTERNATIONAL,
};
use dropflow::carriers::track17::Track17;
use dropflow_sandbox::track17::{self as t17, Track17SandboxConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// A second YunExpress number in its real shape.
const SECOND: &str = "YT2229521272164447";

async fn choose_cheapest(app: &TestApp, id: &str, package: &Value) -> Value {
    let cheapest = cheapest(package);
    let chosen = app
        .api_post(
            &format!("/api/v1/orders/{id}/shipping"),
            &json!({ "carrier": cheapest["carrier"], "service": cheapest["code"],
                "package_id": package["id"] }),
        )
        .await;
    expect_json(chosen, StatusCode::OK).await
}

async fn fee_charges(app: &TestApp, package: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM ledger_transactions WHERE reference = 'wfee-{package}'
         AND kind = 'capture'"
    ))
    .await
}

/// Store line ids of the order's lines, in order.
fn line_ids(order: &Value) -> Vec<u64> {
    order["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["id"].as_u64().expect("line id"))
        .collect()
}

fn fulfilled_lines(record: &dropflow_sandbox::shopify_admin::FulfillmentRecord) -> Vec<u64> {
    let mut lines: Vec<u64> = record.line_items.iter().map(|l| l.line_item_id).collect();
    lines.sort_unstable();
    lines
}

/// The carrier tracking service, asked directly (the test app follows no carrier itself).
struct Carrier {
    sandbox: t17::Track17Sandbox,
    services: dropflow::fulfilment::Services,
}

impl Carrier {
    async fn start(w: &World) -> Carrier {
        let sandbox = t17::start(Track17SandboxConfig::default())
            .await
            .expect("17track sandbox");
        let mut services = dropflow::fulfilment::Services::bare(&w.app.db);
        services.tracking = Some(Arc::new(Track17::new(
            &sandbox.base_url,
            sandbox.api_key(),
            Duration::from_secs(5),
        )));
        Carrier { sandbox, services }
    }

    /// The carrier says `number` is delivered, and we ask it.
    async fn deliver(&self, number: &str) {
        let track = dropflow::fulfilment::track::track;
        if !self.sandbox.is_registered(number) {
            track(&self.services, &[number.to_string()])
                .await
                .expect("register");
        }
        self.sandbox
            .force_status(number, "Delivered", "Delivered_Other");
        track(&self.services, &[number.to_string()])
            .await
            .expect("track");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_follows_in_a_second_package_and_the_order_is_delivered_with_both() {
    let w = world().await;
    let app = &w.app;
    let (id, order, numbers) = parcels_sent(&w, 9_410_001, 3).await;
    let store_order = store_order_id(&order);
    let lines = line_ids(&order);

    // One item is here and passes; the merchant ships it now.
    scan(app, &numbers[0]).await;
    wait_stage(app, &id, "partly_arrived").await;
    pass_arrived(app, &id).await;
    let asked = app
        .api_post_empty(&format!("/api/v1/orders/{id}/warehouse/ship-what-is-here"))
        .await;
    assert_eq!(asked.status(), StatusCode::NO_CONTENT);
    wait_stage(app, &id, "inspected").await;
    let first = expect_json(pack(app, &id).await, StatusCode::OK).await;
    let first_id = first["id"].as_str().expect("package").to_string();
    choose_cheapest(app, &id, &first).await;
    pay_fee(app, &id).await;
    expect_json(dispatch(app, &first_id).await, StatusCode::OK).await;

    // The rest is followed: the leg waits for it, the order stays at the warehouse.
    let v = view(app, &id).await;
    assert_eq!(v["stage"], json!("partly_arrived"), "{v}");
    assert_eq!(v["leg"]["sent"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["readiness"]["missing"].as_array().map(Vec::len), Some(2));
    assert_eq!(app.order_detail(&id).await["tab"], json!("at_warehouse"));
    let written = eventually(Duration::from_secs(20), || async {
        w.shopify.fulfillments(store_order).len() == 1
    })
    .await;
    assert!(written, "the first parcel is written back");
    let records = w.shopify.fulfillments(store_order);
    assert_eq!(records[0].tracking_number.as_deref(), Some(INTERNATIONAL));
    // The line of the item that went first, by its title.
    let went = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["package_id"] == json!(first_id))
        .expect("an item in the first package");
    let first_line = order["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["title"] == went["title"])
        .and_then(|l| l["id"].as_u64())
        .expect("its store line");
    assert_eq!(fulfilled_lines(&records[0]), vec![first_line]);
    assert!(!w.shopify.is_fully_fulfilled(store_order));

    // The other two arrive, are inspected and packed as a second package.
    w.market.advance(DAY);
    scan(app, &numbers[1]).await;
    scan(app, &numbers[2]).await;
    wait_stage(app, &id, "arrived").await;
    pass_arrived(app, &id).await;
    wait_stage(app, &id, "inspected").await;
    // The store's auto-pick rule applies to the second package too (the fee is left to pay).
    let cheapest_unpaid = json!({ "auto_pick": { "rule": "cheapest" }, "auto_pay_fee": false });
    let settings = put_warehouse_settings(&w, &cheapest_unpaid).await;
    expect_json(settings, StatusCode::OK).await;
    let second = expect_json(pack(app, &id).await, StatusCode::OK).await;
    let second_id = second["id"].as_str().expect("package").to_string();
    assert_ne!(second_id, first_id);
    assert_eq!(
        second["carrier_code"],
        cheapest(&second)["code"],
        "{second}"
    );
    assert_eq!(second["fee_paid_at"], Value::Null);
    let v = view(app, &id).await;
    assert_eq!(v["stage"], json!("awaiting_shipping_fee"), "{v}");
    assert_eq!(v["packages"].as_array().map(Vec::len), Some(2));

    // Dispatching the second package before its fee: refused, nothing changed.
    let before = app.order_detail(&id).await;
    let refused = dispatch(app, &second_id).await;
    let message = expect_error(refused, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("not paid"), "{message}");
    assert_eq!(app.order_detail(&id).await, before);
    assert_eq!(app.rows("shipments").await, 1);
    // The first package's fee cannot be asked again through its id.
    let gone = app
        .api_post_empty(&format!(
            "/api/v1/orders/{id}/shipping/pay?package_id={first_id}"
        ))
        .await;
    expect_error(gone, StatusCode::CONFLICT, "conflict").await;

    // The second fee is paid once: a second click is refused and charges nothing.
    let pay = format!("/api/v1/orders/{id}/shipping/pay?package_id={second_id}");
    expect_json(app.api_post_empty(&pay).await, StatusCode::OK).await;
    let wallet = w.wallet("USD").await;
    let again = app.api_post_empty(&pay).await;
    expect_error(again, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(w.wallet("USD").await, wallet);
    assert_eq!(fee_charges(app, &first_id).await, 1);
    assert_eq!(fee_charges(app, &second_id).await, 1);

    expect_json(dispatch_with(app, &second_id, SECOND).await, StatusCode::OK).await;
    let v = view(app, &id).await;
    assert_eq!(v["stage"], json!("dispatched"), "{v}");
    assert_eq!(app.order_detail(&id).await["tab"], json!("fulfilled"));
    // The second parcel completes the store order.
    let records = w.fulfilled(store_order).await;
    assert_eq!(records.len(), 2, "two parcels, two fulfilments");
    assert_eq!(records[1].tracking_number.as_deref(), Some(SECOND));
    let mut rest: Vec<u64> = lines.into_iter().filter(|l| *l != first_line).collect();
    rest.sort_unstable();
    assert_eq!(fulfilled_lines(&records[1]), rest);

    // Delivered only when both parcels are.
    let carrier = Carrier::start(&w).await;
    carrier.deliver(INTERNATIONAL).await;
    let v = view(app, &id).await;
    assert_eq!(v["stage"], json!("dispatched"), "{v}");
    assert_eq!(v["leg"]["sent"][0]["delivered"], json!(true), "{v}");
    assert_eq!(v["leg"]["sent"][1]["delivered"], json!(false), "{v}");
    assert_ne!(app.order_detail(&id).await["tab"], json!("delivered"));
    carrier.deliver(SECOND).await;
    assert_eq!(view(app, &id).await["stage"], json!("delivered"));
    assert_eq!(app.order_detail(&id).await["tab"], json!("delivered"));
    carrier.sandbox.shutdown().await;
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_to_one_customer_share_one_parcel_one_fee_and_one_number() {
    let w = world().await;
    let app = &w.app;
    let (a, order_a) = order(&w, 9_410_011, 1).await;
    // The same customer, written a little differently by the store.
    let same = |order: &mut Value| {
        let mut address = order_a["shipping_address"].clone();
        let name = address["name"].as_str().unwrap_or_default().to_uppercase();
        address["name"] = json!(format!("  {name} "));
        address["phone"] = json!("+1 555 000 0000");
        order["shipping_address"] = address;
    };
    let (b, order_b) = order_with(&w, 9_410_012, 1, same).await;
    let (c, _) = order(&w, 9_410_013, 1).await;
    let (d, _) = order_with(&w, 9_410_014, 1, same).await;
    for id in [&a, &b, &c] {
        ready_to_pack(&w, id).await;
    }
    // D is bought and on its way, not at the warehouse yet.
    all_paid(app, &d, 1).await;
    sellers_ship(&w, &d).await;
    wait_stage(app, &d, "shipped_to_warehouse").await;

    // Candidates: B only (C goes elsewhere, D is not ready).
    let listed = app
        .api_json(&format!("/api/v1/warehouse/orders/{a}/combinable"))
        .await;
    let listed: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|o| o["order_id"].as_str().expect("id"))
        .collect();
    assert_eq!(listed, vec![b.as_str()]);

    // Refused, nothing written: another address (422), an order not ready (409).
    let elsewhere = pack_measured(app, &a, &parcel_with(&[&c])).await;
    let message = expect_error(elsewhere, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert!(message.contains("another address"), "{message}");
    let not_ready = pack_measured(app, &a, &parcel_with(&[&b, &d])).await;
    let message = expect_error(not_ready, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("not ready"), "{message}");
    let itself = pack_measured(app, &a, &parcel_with(&[&a])).await;
    expect_error(itself, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    let unknown = pack_measured(app, &a, &parcel_with(&[&b, "#404404404"])).await;
    expect_error(unknown, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(app.rows("warehouse_packages").await, 0);
    assert_eq!(app.rows("warehouse_package_orders").await, 0);
    for id in [&a, &b, &c] {
        assert_eq!(stage(app, id).await, json!("inspected"));
    }

    // A and B (named by its number) in one parcel.
    let packed = pack_measured(app, &a, &parcel_with(&["#9410012"])).await;
    let package = expect_json(packed, StatusCode::OK).await;
    let package_id = package["id"].as_str().expect("package").to_string();
    let mut carried: Vec<String> = package["order_ids"]
        .as_array()
        .expect("order ids")
        .iter()
        .map(|o| o.as_str().expect("id").to_string())
        .collect();
    carried.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(carried, expected);
    for id in [&a, &b] {
        let v = view(app, id).await;
        assert_eq!(v["stage"], json!("packed"), "{v}");
        assert_eq!(
            v["packages"][0]["id"],
            json!(package_id),
            "the merchant sees it: {v}"
        );
        assert!(app
            .order_detail(id)
            .await
            .to_string()
            .contains("one parcel with"));
    }

    // Chosen through B, paid through A, once; B cannot pay it again.
    choose_cheapest(app, &b, &package).await;
    assert_eq!(stage(app, &a).await, json!("awaiting_shipping_fee"));
    let paid = app
        .api_post_empty(&format!("/api/v1/orders/{a}/shipping/pay"))
        .await;
    expect_json(paid, StatusCode::OK).await;
    let twice = app
        .api_post_empty(&format!("/api/v1/orders/{b}/shipping/pay"))
        .await;
    expect_error(twice, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(fee_charges(app, &package_id).await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_transactions WHERE reference LIKE 'wfee-%'")
            .await,
        2,
        "one reserve and one capture for the shared parcel"
    );
    assert_eq!(stage(app, &b).await, json!("fee_paid"));

    // One dispatch: both store orders fulfilled with the same number, each with its lines.
    expect_json(dispatch(app, &package_id).await, StatusCode::OK).await;
    for (id, order) in [(&a, &order_a), (&b, &order_b)] {
        assert_eq!(stage(app, id).await, json!("dispatched"));
        let records = w.fulfilled(store_order_id(order)).await;
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].tracking_number.as_deref(), Some(INTERNATIONAL));
        assert_eq!(fulfilled_lines(&records[0]), line_ids(order));
    }
    assert_eq!(stage(app, &c).await, json!("inspected"));
    // Each order follows the shared parcel: delivered together.
    let carrier = Carrier::start(&w).await;
    carrier.deliver(INTERNATIONAL).await;
    assert_eq!(stage(app, &a).await, json!("delivered"));
    assert_eq!(stage(app, &b).await, json!("delivered"));
    carrier.sandbox.shutdown().await;
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_page_offers_orders_to_the_same_customer_and_packs_them_together() {
    use crate::dashboard_pages::Browser;
    use crate::warehouse_operator::meta_csrf;
    use dropflow::storage::accounts::Role;
    let w = world().await;
    let app = &w.app;
    let (a, order_a) = order(&w, 9_410_021, 1).await;
    let (b, _) = order_with(&w, 9_410_022, 1, same_address_as(&order_a)).await;
    let (c, _) = order(&w, 9_410_023, 1).await;
    for id in [&a, &b, &c] {
        ready_to_pack(&w, id).await;
    }
    member_token(app, "op@shop.example", Role::Warehouse, &[]).await;
    let mut op = Browser::sign_in(app, "op@shop.example").await;
    let page = op.page("/warehouse").await;
    // A and B offer each other; C (another address) is offered nowhere.
    let offer = |id: &str| format!("name=\"with_orders\" value=\"{id}\"");
    assert!(
        page.contains(&offer(&a)) && page.contains(&offer(&b)),
        "{page}"
    );
    assert!(!page.contains(&offer(&c)), "{page}");
    let csrf = meta_csrf(&page);
    let response = op
        .post_form(
            &format!("/warehouse/orders/{a}/pack"),
            &[
                ("csrf_token", csrf.as_str()),
                ("weight_g", "900"),
                ("length_cm", "30"),
                ("width_cm", "20"),
                ("height_cm", "12"),
                ("with_orders", b.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows("warehouse_packages").await, 1);
    assert_eq!(app.rows("warehouse_package_orders").await, 2);
    for id in [&a, &b] {
        assert_eq!(stage(app, id).await, json!("packed"));
    }
    assert_eq!(stage(app, &c).await, json!("inspected"));
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_order_leaves_a_shared_parcel_and_the_other_order_still_ships() {
    let w = world().await;
    let app = &w.app;
    let (a, order_a) = order(&w, 9_410_031, 1).await;
    let (b, order_b) = order_with(&w, 9_410_032, 1, same_address_as(&order_a)).await;
    for id in [&a, &b] {
        ready_to_pack(&w, id).await;
    }
    let packed = pack_measured(app, &a, &parcel_with(&[&b])).await;
    let package = expect_json(packed, StatusCode::OK).await;
    let package_id = package["id"].as_str().expect("package").to_string();
    choose_cheapest(app, &a, &package).await;
    pay_fee(app, &a).await;

    // The store cancels B: it leaves the parcel, its goods come back, the shared fee stays.
    cancel_in_store(app, &order_b).await;
    wait_stage(app, &b, "cancelled").await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_transactions WHERE reference LIKE '%wcancel%'")
            .await,
        0,
        "the fee was paid for A too: it stays paid"
    );
    assert!(
        app.scalar("SELECT COUNT(*) FROM ledger_transactions WHERE reference LIKE '%wrefund-%'")
            .await
            >= 1,
        "B's goods come back by the rules"
    );
    assert_eq!(app.rows("warehouse_package_orders").await, 1);
    assert!(app
        .order_detail(&a)
        .await
        .to_string()
        .contains("re-check the parcel"));

    // A is not held up: the parcel leaves with A's lines only.
    expect_json(dispatch(app, &package_id).await, StatusCode::OK).await;
    assert_eq!(stage(app, &a).await, json!("dispatched"));
    assert_eq!(stage(app, &b).await, json!("cancelled"));
    let records = w.fulfilled(store_order_id(&order_a)).await;
    assert_eq!(fulfilled_lines(&records[0]), line_ids(&order_a));
    assert!(w.shopify.fulfillments(store_order_id(&order_b)).is_empty());
    w.app.stop().await;
}
