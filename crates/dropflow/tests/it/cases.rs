//! After-sale cases opened by the merchant (issue 14, first door): a case claims only units
//! that shipped and no other case holds, a refund no more than what is left to refund;
//! every refusal names the line or amount and writes nothing; the return is followed step by
//! step on the order's timeline; concurrent openings claim each unit once; another account
//! sees none of it. A refund made in the store (Shopify `refunds/create`) becomes a case
//! already refunded on the customer's side, once however often it is delivered.

use crate::dashboard_pages::Browser;
use crate::support::cj_world::{cj_shop, map_to_manual};
use crate::support::*;
use dropflow::storage::accounts::{self, Role};
use dropflow_sandbox::cj::CjSandbox;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) const WAIT: Duration = Duration::from_secs(15);

/// A paid Shopify order: line A (2 units) bought from vendor A, line B (1 unit) from
/// vendor B, both handed over.
pub(crate) async fn handed_over_order(app: &TestApp, store: &str, number: u64) -> World {
    handed_over_order_with(app, store, number, None).await
}

/// [`handed_over_order`], vendor A's offer charging `shipping_a` (a decimal string in USD)
/// on top of its goods.
pub(crate) async fn handed_over_order_with(
    app: &TestApp,
    store: &str,
    number: u64,
    shipping_a: Option<&str>,
) -> World {
    let mut order = paid_order(number, &format!("#{number}"));
    let mut a = order["line_items"][0].clone();
    a["quantity"] = json!(2);
    a["current_quantity"] = json!(2);
    let mut b = a.clone();
    b["id"] = json!(a["id"].as_u64().expect("line id") + 1_000);
    b["variant_id"] = json!(a["variant_id"].as_u64().expect("variant id") + 1_000);
    b["sku"] = json!("SKU-B");
    b["title"] = json!("Second item");
    b["quantity"] = json!(1);
    b["current_quantity"] = json!(1);
    order["line_items"] = json!([a.clone(), b.clone()]);
    crate::support::cj_world::map_to_manual_shipping(
        app,
        store,
        &a["variant_id"],
        "vendor-a",
        shipping_a,
    )
    .await;
    map_to_manual(app, store, &b["variant_id"], "vendor-b").await;
    let token = vendor_token(app, &format!("a{number}@vendor.test"), "vendor-a").await;
    let id = app.create_order(&order).await;
    let both = eventually(WAIT, || async {
        app.supplier_orders(&id)
            .await
            .iter()
            .filter(|p| p["status"] == json!("awaiting_shipment"))
            .count()
            == 2
    })
    .await;
    assert!(both, "both purchases handed over");
    let purchase = app
        .supplier_orders(&id)
        .await
        .into_iter()
        .find(|p| p["supplier_account"] == json!("vendor-a") && p["status"] != json!("cancelled"))
        .and_then(|p| p["id"].as_str().map(str::to_string))
        .expect("vendor A's purchase");
    let unit_price = line_a_price(app, &id).await;
    World {
        payload: order,
        number,
        order: id,
        line_a: a["id"].to_string(),
        line_b: b["id"].to_string(),
        unit_price,
        purchase_a: purchase,
        vendor_a: token,
    }
}

/// A CJ shop (`cj_shop`) whose order `number` is handed over (`handed_over_order`) with
/// `units` of line A shipped in parcel `serial` (`ship_line_a`): where most cases start.
pub(crate) async fn shipped_order(
    number: u64,
    units: u32,
    serial: u64,
) -> (CjSandbox, TestApp, String, World) {
    let (cj, app, store) = cj_shop().await;
    let world = handed_over_order(&app, &store, number).await;
    ship_line_a(&app, &world, units, serial).await;
    (cj, app, store, world)
}

pub(crate) struct World {
    /// The order as the store sent it (to send its edits).
    pub(crate) payload: Value,
    /// The store's order number (Shopify's order id).
    pub(crate) number: u64,
    pub(crate) order: String,
    pub(crate) line_a: String,
    pub(crate) line_b: String,
    /// Line A's unit price, a decimal string.
    pub(crate) unit_price: String,
    pub(crate) purchase_a: String,
    pub(crate) vendor_a: String,
}

async fn line_a_price(app: &TestApp, order: &str) -> String {
    let detail = app.order_detail(order).await;
    let minor = detail["lines"][0]["unit_price_minor"]
        .as_i64()
        .expect("unit price");
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// Vendor A ships `units` of line A in one parcel numbered `serial`.
pub(crate) async fn ship_line_a(app: &TestApp, world: &World, units: u32, serial: u64) {
    let number = dropflow_core::tracking::s10_number("RR", serial, "CN");
    let body = json!({ "tracking_number": number,
        "lines": [{ "line_id": world.line_a, "quantity": units }] });
    let response = app
        .post_as(
            &world.vendor_a,
            &format!("/api/v1/supplier-orders/{}/ship", world.purchase_a),
            &body,
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
}

pub(crate) fn refund_case(line: &str, quantity: u32, goods: &str, with_return: bool) -> Value {
    json!({ "reason": "damaged", "lines": [{ "line_id": line, "quantity": quantity }],
        "resolution": { "kind": "refund", "goods": goods, "with_return": with_return },
        "note": "arrived cracked" })
}

pub(crate) async fn open(app: &TestApp, order: &str, body: &Value) -> reqwest::Response {
    app.api_post(&format!("/api/v1/orders/{order}/cases"), body)
        .await
}

/// Opens a case refunding `units` of line A for `goods` (see `refund_case`).
pub(crate) async fn open_refund(
    app: &TestApp,
    world: &World,
    units: u32,
    goods: &str,
    with_return: bool,
) -> reqwest::Response {
    open(
        app,
        &world.order,
        &refund_case(&world.line_a, units, goods, with_return),
    )
    .await
}

async fn step(app: &TestApp, case: &str, body: Value) -> reqwest::Response {
    app.api_post(&format!("/api/v1/cases/{case}/events"), &body)
        .await
}

/// Records a step as the holder of `token`; the answer.
async fn step_as(app: &TestApp, token: &str, case: &str, body: Value) -> reqwest::Response {
    app.post_as(token, &format!("/api/v1/cases/{case}/events"), &body)
        .await
}

/// Every case the holder of `token` may see (200 expected): none; the listing.
async fn sees_no_case(app: &TestApp, token: &str) -> Value {
    let listed = expect_json(
        app.get_as(token, "/api/v1/cases?status=all").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["cases"], json!([]), "{listed}");
    listed
}

/// Records a step the case must take (200); the case after it.
pub(crate) async fn stepped(app: &TestApp, case: &str, body: Value) -> Value {
    expect_json(step(app, case, body).await, StatusCode::OK).await
}

/// Records a step the case must refuse with `status` (409 or 422); the message.
async fn refused_step(app: &TestApp, case: &str, body: Value, status: StatusCode) -> String {
    let code = if status == StatusCode::CONFLICT {
        "conflict"
    } else {
        "unprocessable"
    };
    expect_error(step(app, case, body).await, status, code).await
}

#[tokio::test]
async fn a_case_claims_only_shipped_unclaimed_units_and_every_refusal_names_what_and_writes_nothing(
) {
    let (_cj, app, _, world) = shipped_order(9_714_001, 1, 10_000_001).await;
    let price = &world.unit_price;

    let refusals = [
        (
            refund_case(&world.line_b, 1, "1.00", false),
            format!("line {}", world.line_b),
        ),
        (
            refund_case(&world.line_a, 2, "1.00", false),
            "only 1 of it can be claimed (1 shipped, 0 in other cases)".to_string(),
        ),
        (
            refund_case("999", 1, "1.00", false),
            "line 999: not in this order".to_string(),
        ),
        (
            refund_case(&world.line_a, 0, "1.00", false),
            "quantity must be at least 1".to_string(),
        ),
        (
            refund_case(&world.line_a, 1, "100000.00", false),
            "refund.goods".to_string(),
        ),
        (
            refund_case(&world.line_a, 1, "1.001", false),
            "resolution.goods".to_string(),
        ),
        (
            json!({ "reason": "bored", "lines": [{ "line_id": world.line_a, "quantity": 1 }],
                "resolution": { "kind": "reship" } }),
            "reason".to_string(),
        ),
        (
            json!({ "reason": "wrong_item", "lines": [{ "line_id": world.line_a, "quantity": 1 }],
                "resolution": { "kind": "exchange", "variant_id": " " } }),
            "exchange".to_string(),
        ),
    ];
    for (body, named) in &refusals {
        let message = expect_error(
            open(&app, &world.order, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(message.contains(named.as_str()), "{body}: {message}");
    }
    assert_eq!(app.rows("cases").await, 0, "a refused case writes nothing");
    assert_eq!(app.rows("case_lines").await, 0);

    // The shipped unit, refunded at its price after it comes back.
    let case = expect_json(
        open_refund(&app, &world, 1, price, true).await,
        StatusCode::CREATED,
    )
    .await;
    let id = case["id"].as_str().expect("case id").to_string();
    assert_eq!(case["resolution"], json!("refund"));
    assert_eq!(case["terms"]["goods"], json!(price));
    assert_eq!(case["lines"][0]["line_id"], json!(world.line_a));
    assert_eq!(case["return"]["state"], json!("awaited"));
    assert_eq!(case["next_steps"][0], json!("await_return"));
    assert!(case["opened_by"].as_str().unwrap().starts_with("merchant:"));

    // The unit is now held by that case.
    let again = expect_error(
        open_refund(&app, &world, 1, "1.00", false).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(again.contains("1 in other cases"), "{again}");

    // The return, step by step; a bad tracking number is named and changes nothing.
    let bad = refused_step(
        &app,
        &id,
        json!({"event": "return_shipped", "tracking_number": "RR123456780CN"}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(bad.contains("tracking_number"), "{bad}");
    let parcel = dropflow_core::tracking::s10_number("RR", 10_000_002, "CN");
    let moved = stepped(
        &app,
        &id,
        json!({"event": "return_shipped", "tracking_number": parcel}),
    )
    .await;
    assert_eq!(moved["return"]["state"], json!("in_transit"));
    refused_step(
        &app,
        &id,
        json!({"event": "decide", "resolution": {"kind": "reship"}}),
        StatusCode::CONFLICT,
    )
    .await;
    for _ in 0..2 {
        let delivered = stepped(&app, &id, json!({"event": "return_delivered"})).await;
        assert_eq!(delivered["return"]["state"], json!("delivered"));
    }
    let settled = stepped(
        &app,
        &id,
        json!({"event": "return_settled", "restocked": true}),
    )
    .await;
    assert_eq!(settled["return"]["state"], json!("restocked"));
    assert_eq!(settled["next_steps"][0], json!("refund_customer"));
    // Work is left (the refund): closing needs a note.
    refused_step(&app, &id, json!({"event": "close"}), StatusCode::CONFLICT).await;

    // Each step is on the order's timeline once, with who did it.
    let detail = app.order_detail(&world.order).await;
    let steps: Vec<String> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == json!("case"))
        .filter(|e| {
            // dropflow's own steps (the supplier asked) carry its name; the rest the merchant's.
            let by_system = e["detail"]["step"] == json!("supplier_asked");
            let actor = e["actor"].as_str().unwrap();
            assert!(
                actor.starts_with(if by_system { "system:" } else { "merchant:" }),
                "{e}"
            );
            !by_system
        })
        .map(|e| e["detail"]["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        steps.iter().filter(|s| *s == "return_delivered").count(),
        1,
        "{steps:?}"
    );
    for expected in ["opened", "return_shipped", "return_settled"] {
        assert!(steps.iter().any(|s| s == expected), "{expected}: {steps:?}");
    }

    // The Returns tab: the open case and its count.
    let page = app.api_json("/api/v1/cases").await;
    assert_eq!(page["counts"]["open"], json!(1));
    assert_eq!(page["counts"]["open_by_resolution"]["refund"], json!(1));
    assert_eq!(page["cases"][0]["id"], json!(id));
    let of_order = app
        .api_json(&format!("/api/v1/orders/{}/cases", world.order))
        .await;
    assert_eq!(of_order.as_array().map(Vec::len), Some(1));
    app.allow_pending_jobs();
}

#[tokio::test]
async fn a_declined_case_frees_its_units_and_a_closed_case_takes_no_more_steps() {
    let (_cj, app, _, world) = shipped_order(9_714_002, 2, 10_000_011).await;
    // Return first: nothing is bought or refunded before the merchant decides (a reship
    // would be bought at once, and a bought replacement can no longer be declined).
    let reship = json!({ "reason": "not_received",
        "lines": [{ "line_id": world.line_a, "quantity": 2 }],
        "resolution": { "kind": "return_first" } });
    let first = expect_json(open(&app, &world.order, &reship).await, StatusCode::CREATED).await;
    let id = first["id"].as_str().unwrap().to_string();
    expect_error(
        open(&app, &world.order, &reship).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    refused_step(
        &app,
        &id,
        json!({"event": "decline", "note": "  "}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let declined = stepped(
        &app,
        &id,
        json!({"event": "decline", "note": "the carrier shows it delivered"}),
    )
    .await;
    assert_eq!(declined["customer"]["state"], json!("declined"));
    // Declined with nothing asked of the supplier and nothing to send back: nothing is left
    // to do, so the case closed by itself, and says so on the timeline.
    assert!(declined["closed_at"].is_string(), "{declined}");
    let timeline = app.order_detail(&world.order).await["timeline"].to_string();
    assert!(timeline.contains("closed by itself"), "{timeline}");
    refused_step(&app, &id, json!({"event": "close"}), StatusCode::CONFLICT).await;
    refused_step(
        &app,
        &id,
        json!({"event": "return_delivered"}),
        StatusCode::CONFLICT,
    )
    .await;
    // Declined, its units are free again.
    expect_json(open(&app, &world.order, &reship).await, StatusCode::CREATED).await;
    let page = app.api_json("/api/v1/cases?status=all").await;
    assert_eq!(page["counts"]["closed"], json!(1));
    assert_eq!(page["counts"]["open"], json!(1));
    app.allow_pending_jobs();
}

#[tokio::test]
async fn concurrent_openings_claim_each_shipped_unit_once() {
    let (_cj, app, _, world) = shipped_order(9_714_003, 2, 10_000_021).await;
    let body = refund_case(&world.line_a, 1, "0.01", false);
    let attempts = (0..6).map(|_| open(&app, &world.order, &body));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 2, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    assert_eq!(app.rows("cases").await, 2);
    app.allow_pending_jobs();
}

#[tokio::test]
async fn another_account_or_a_vendor_sees_and_changes_no_case() {
    let (_cj, app, _, world) = shipped_order(9_714_004, 1, 10_000_031).await;
    let case = expect_json(
        open_refund(&app, &world, 1, "0.50", true).await,
        StatusCode::CREATED,
    )
    .await;
    let id = case["id"].as_str().unwrap();
    let other = accounts::create_account(&app.db, "tenant-cases")
        .await
        .expect("account");
    let outsider = user_token(&app, &other, "owner@cases-b.example", Role::Owner, &[]).await;
    for path in [
        format!("/api/v1/cases/{id}"),
        format!("/api/v1/orders/{}/cases", world.order),
    ] {
        expect_error(
            app.get_as(&outsider, &path).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    expect_error(
        step_as(&app, &outsider, id, json!({"event": "return_delivered"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.post_as(
            &outsider,
            &format!("/api/v1/orders/{}/cases", world.order),
            &refund_case(&world.line_a, 1, "0.50", true),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let listed = sees_no_case(&app, &outsider).await;
    assert_eq!(listed["counts"]["open"], json!(0));
    // Vendor A is asked for its part (the goods are its purchase's): it sees the case and
    // may answer for the supplier only; vendor B sees nothing of it.
    let asked = eventually(WAIT, || async {
        app.get_as(&world.vendor_a, &format!("/api/v1/cases/{id}"))
            .await
            .status()
            == StatusCode::OK
    })
    .await;
    assert!(asked, "vendor A was asked on its page");
    expect_error(
        step_as(
            &app,
            &world.vendor_a,
            id,
            json!({"event": "return_delivered"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let vendor_b = vendor_token(&app, "b9714004@vendor.test", "vendor-b").await;
    expect_error(
        app.get_as(&vendor_b, &format!("/api/v1/cases/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    sees_no_case(&app, &vendor_b).await;
    let unchanged = app.api_json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(unchanged["return"]["state"], json!("awaited"));
    app.allow_pending_jobs();
}

/// A `refunds/create` body (the bare REST Refund resource) refunding `units` of `line` for
/// `amount` USD.
pub(crate) fn shopify_refund(
    refund_id: u64,
    order: u64,
    line: &str,
    units: u32,
    amount: &str,
) -> Value {
    json!({ "id": refund_id, "order_id": order, "note": "refunded at the counter",
        "return": null, "restock": false, "refund_shipping_lines": [], "order_adjustments": [],
        "refund_line_items": [{ "line_item_id": line.parse::<u64>().expect("numeric line id"),
            "quantity": units, "restock_type": "no_restock" }],
        "transactions": [{ "kind": "refund", "status": "success", "amount": amount,
            "currency": "USD", "gateway": "bogus", "parent_id": 801038806 }] })
}

pub(crate) async fn deliver_refund(app: &TestApp, body: &Value) -> reqwest::Response {
    let hook = shopify_hook("refunds/create", body);
    app.send_shopify(&hook, SHOPIFY_SECRET).await
}

#[tokio::test]
async fn a_refund_made_in_the_store_is_a_case_refunded_once_with_the_supplier_still_to_ask() {
    let (_cj, app, _, world) = shipped_order(9_714_005, 2, 10_000_041).await;
    let refund = shopify_refund(7_001, world.number, &world.line_a, 1, "4.50");

    let first = expect_json(deliver_refund(&app, &refund).await, StatusCode::OK).await;
    assert_eq!(first["status"], json!("case"), "{first}");
    assert_eq!(first["order_id"], json!(world.order));
    for _ in 0..2 {
        let again = expect_json(deliver_refund(&app, &refund).await, StatusCode::OK).await;
        assert_eq!(again["status"], json!("duplicate"), "{again}");
    }
    let cases = app
        .api_json(&format!("/api/v1/orders/{}/cases", world.order))
        .await;
    assert_eq!(cases.as_array().map(Vec::len), Some(1), "{cases}");
    let case = &cases[0];
    assert_eq!(case["customer"]["state"], json!("refunded"));
    assert_eq!(case["money"]["refunded"], json!("4.50"));
    assert_eq!(case["opened_by"], json!("store:shopify"));
    assert_eq!(case["store_reference"], json!("refund:7001"));
    // The supplier (vendor A) is asked at once, or about to be.
    let supplier_step = case["next_steps"].as_array().cloned().unwrap_or_default();
    assert!(
        supplier_step == [json!("ask_supplier")] || supplier_step == [json!("await_supplier")],
        "{case}"
    );
    assert_eq!(case["lines"][0]["quantity"], json!(1));

    // Shopify lowers the line's current quantity with the refund; the other unit is still
    // with the customer and can be claimed.
    let mut edited = world.payload.clone();
    edited["line_items"][0]["current_quantity"] = json!(1);
    app.send_update(&mut edited, "orders/updated", 1).await;
    let lowered = eventually(WAIT, || async {
        app.order_detail(&world.order).await["lines"][0]["quantity"] == json!(1)
    })
    .await;
    assert!(lowered, "the store's edit was applied");

    // The store's refund holds its unit: the merchant may claim the other one only.
    expect_error(
        open_refund(&app, &world, 2, "1.00", false).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    expect_json(
        open_refund(&app, &world, 1, "1.00", false).await,
        StatusCode::CREATED,
    )
    .await;

    // Line B never shipped: its refund is the order's cancellation, not a case. An order
    // dropflow never took is acknowledged and left alone.
    for (body, order) in [
        (
            shopify_refund(7_002, world.number, &world.line_b, 1, "4.50"),
            json!(world.order),
        ),
        (
            shopify_refund(7_003, 1, &world.line_a, 1, "4.50"),
            json!(null),
        ),
    ] {
        let ack = expect_json(deliver_refund(&app, &body).await, StatusCode::OK).await;
        assert_eq!(ack["status"], json!("ignored"), "{ack}");
        assert_eq!(ack["order_id"], order);
    }
    // A malformed refund is refused naming the field, and writes nothing.
    let mut bad = shopify_refund(7_004, world.number, &world.line_a, 1, "4.50");
    bad["refund_line_items"][0]["quantity"] = json!(0);
    let message = expect_error(
        deliver_refund(&app, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(
        message.contains("refund_line_items[0].quantity"),
        "{message}"
    );
    assert_eq!(app.rows("cases").await, 2);

    // The Returns tab shows both, with what is left to do and the money; another account's
    // owner sees none.
    add_owner(&app, "owner@returns.example").await;
    let mut owner = Browser::sign_in(&app, "owner@returns.example").await;
    let page = owner.page("/returns").await;
    assert!(page.contains("Open (2)"), "{page}");
    assert!(page.contains(&format!("/orders/{}", world.order)), "{page}");
    assert!(page.contains(" supplier"), "{page}");
    assert!(page.contains("4.50 USD"), "{page}");
    assert!(page.contains("store:shopify"), "{page}");
    let bad = owner.get("/returns?status=lost").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let other = accounts::create_account(&app.db, "tenant-returns")
        .await
        .expect("account");
    add_user(
        &app,
        &other,
        "owner@returns-b.example",
        Role::Owner,
        &[],
        None,
    )
    .await;
    let mut outsider = Browser::sign_in(&app, "owner@returns-b.example").await;
    let theirs = outsider.page("/returns?status=all").await;
    assert!(
        theirs.contains("All (0)") && theirs.contains("no-cases"),
        "{theirs}"
    );
    app.allow_pending_jobs();
}
