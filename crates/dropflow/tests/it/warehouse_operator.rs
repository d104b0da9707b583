//! The warehouse operator as a real Warehouse-role user with their own API token: they work
//! the orders of their account (receive, inspect, pack, dispatch), another account's order,
//! item, package and parcel do not exist for them, staff may not do an operator's work, and
//! an unknown parcel is resolved over HTTP. Also the `/warehouse` page through the login form.

use crate::dashboard_pages::Browser;
use crate::support::*;
use crate::warehouse::{
    all_paid, cheapest, choose, order, pay_fee, scan_as, sellers_ship, view, wait_stage, world,
    World, PNG,
};
use dropflow::storage::accounts::Role;
use dropflow_core::ids::StoreId;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const INTERNATIONAL: &str = "YT2229521272164446";

async fn inspect_pass(app: &TestApp, token: &str, item: &str) -> Response {
    let checklist = json!({ "title_matches": true, "variant_matches": true,
        "received_quantity": 1, "undamaged": true, "marketing_material_removed": true });
    let form = Multipart::new("operatorboundary")
        .text("outcome", b"pass")
        .text("checklist", checklist.to_string().as_bytes())
        .file("photos", "front.png", "image/png", PNG);
    let path = format!("/api/v1/warehouse/items/{item}/inspection");
    app.post_multipart_as(token, &path, form).await
}

/// The warehouse world with an operator of the store's (default) account, an operator of
/// another account, and a staff user of the store.
struct Operators {
    w: World,
    ours: String,
    theirs: String,
    staff: String,
}

async fn operators() -> Operators {
    let w = world().await;
    let store: StoreId = w.store.parse().expect("store id");
    let other = new_account(&w.app, "elsewhere").await;
    let ours = member_token(&w.app, "op@shop.example", Role::Warehouse, &[]).await;
    let theirs = user_token(&w.app, &other, "op@elsewhere.example", Role::Warehouse, &[]).await;
    let staff = member_token(&w.app, "staff@shop.example", Role::Staff, &[store]).await;
    Operators {
        w,
        ours,
        theirs,
        staff,
    }
}

/// An order of one item whose seller shipped it to the warehouse: its id and domestic number.
pub(crate) async fn shipped_to_warehouse(w: &World, store_order: u64) -> (String, String) {
    let (id, _) = order(w, store_order, 1).await;
    all_paid(&w.app, &id, 1).await;
    sellers_ship(w, &id).await;
    let v = wait_stage(&w.app, &id, "shipped_to_warehouse").await;
    let number = v["inbound"][0]["tracking_number"]
        .as_str()
        .expect("domestic number")
        .to_string();
    (id, number)
}

async fn exception_ids(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let list = app
        .json_as(token, &format!("/api/v1/warehouse/exceptions{query}"))
        .await;
    list.as_array().cloned().unwrap_or_default()
}

/// Scans `scan` in with the `/warehouse` page's receive form and `csrf`; the answer.
async fn receive_on_page(b: &mut Browser, csrf: &str, scan: &str) -> Response {
    let form = [("csrf_token", csrf), ("scan", scan)];
    b.post_form("/warehouse/receive", &form).await
}

/// Posts a form of the `/warehouse` page, which goes back there (303); the page then, with
/// what the post did said on it.
async fn posted_back(op: &mut Browser, path: &str, fields: &[(&str, &str)]) -> String {
    let response = op.post_form(path, fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
    op.page("/warehouse").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_works_their_accounts_orders_and_nothing_else() {
    let Operators {
        w,
        ours,
        theirs,
        staff,
    } = operators().await;
    let app = &w.app;
    let (id, number) = shipped_to_warehouse(&w, 9_500_001).await;

    // Staff may never do an operator's work.
    let refused = scan_as(app, &staff, &number).await;
    expect_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let exceptions = "/api/v1/warehouse/exceptions";
    app.get_refused_as(&staff, exceptions, StatusCode::FORBIDDEN, "forbidden")
        .await;

    // Another account's operator scanning our parcel: an exception of their account only.
    let scanned = scan_as(app, &theirs, &number).await;
    let scanned = expect_json(scanned, StatusCode::ACCEPTED).await;
    assert_eq!(scanned["outcome"], json!("unknown"), "{scanned}");
    let exception = scanned["exception_id"]
        .as_str()
        .expect("exception")
        .to_string();
    assert_eq!(view(app, &id).await["stage"], json!("shipped_to_warehouse"));
    let theirs_list = exception_ids(app, &theirs, "").await;
    assert_eq!(theirs_list.len(), 1, "{theirs_list:?}");
    assert_eq!(theirs_list[0]["id"], json!(exception));
    assert!(theirs_list[0]["account_id"].is_string());
    assert!(exception_ids(app, &ours, "?all=true").await.is_empty());

    // Our operator receives it.
    let received = expect_json(scan_as(app, &ours, &number).await, StatusCode::OK).await;
    assert_eq!(received["order_ids"], json!([id]), "{received}");
    let v = wait_stage(app, &id, "arrived").await;
    let item = v["items"][0]["id"].as_str().expect("item").to_string();
    // The operator sees the order at the warehouse; the other operator does not.
    let at_warehouse = format!("/api/v1/orders/{id}/warehouse");
    app.json_as(&ours, &at_warehouse).await;
    app.get_refused_as(&theirs, &at_warehouse, StatusCode::NOT_FOUND, "not_found")
        .await;

    // Inspect: the other account's operator gets 404 and nothing is recorded.
    expect_error(
        inspect_pass(app, &theirs, &item).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(view(app, &id).await["stage"], json!("arrived"));
    expect_error(
        inspect_pass(app, &staff, &item).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let passed = expect_json(inspect_pass(app, &ours, &item).await, StatusCode::OK).await;
    assert_eq!(passed["outcome"], json!("pass"));
    wait_stage(app, &id, "inspected").await;

    // Pack.
    let measures = json!({ "weight_g": 480, "length_cm": 25, "width_cm": 18, "height_cm": 8 });
    let pack_path = format!("/api/v1/warehouse/orders/{id}/pack");
    expect_error(
        app.post_as(&theirs, &pack_path, &measures).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let packed = expect_json(
        app.post_as(&ours, &pack_path, &measures).await,
        StatusCode::OK,
    )
    .await;
    let package = packed["id"].as_str().expect("package").to_string();

    // The merchant chooses the cheapest carrier and pays the fee.
    choose(app, &id, &cheapest(&packed)).await;
    pay_fee(app, &id).await;

    // Dispatch: another account's operator 404, staff 403, ours 200.
    let handover = json!({ "tracking_number": INTERNATIONAL, "carrier": "YunExpress" });
    let dispatch_path = format!("/api/v1/warehouse/packages/{package}/dispatch");
    let hidden = app.post_as(&theirs, &dispatch_path, &handover).await;
    let message = expect_error(hidden, StatusCode::NOT_FOUND, "not_found").await;
    assert!(message.contains("package"), "{message}");
    expect_error(
        app.post_as(&staff, &dispatch_path, &handover).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.rows("shipments").await,
        0,
        "nothing dispatched by the refused calls"
    );
    let sent = expect_json(
        app.post_as(&ours, &dispatch_path, &handover).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(sent["tracking_number"], json!(INTERNATIONAL));
    assert_eq!(view(app, &id).await["stage"], json!("dispatched"));
    // An unknown package is 404 too.
    let unknown = app
        .post_as(&ours, "/api/v1/warehouse/packages/nope/dispatch", &handover)
        .await;
    expect_error(unknown, StatusCode::NOT_FOUND, "not_found").await;
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_parcel_is_resolved_to_its_order_over_http() {
    let Operators {
        w, ours, theirs, ..
    } = operators().await;
    let app = &w.app;
    let (id, _number) = shipped_to_warehouse(&w, 9_500_002).await;
    // The label is unreadable: the operator scans what is written on the box.
    let scanned = scan_as(app, &ours, "BOX 77 RED").await;
    let scanned = expect_json(scanned, StatusCode::ACCEPTED).await;
    let exception = scanned["exception_id"]
        .as_str()
        .expect("exception")
        .to_string();
    let path = format!("/api/v1/warehouse/exceptions/{exception}/resolve");

    // Bad input: 422, nothing changed.
    for body in [
        json!({}),
        json!({ "order": 12 }),
        json!({ "order": "  " }),
        json!({ "order": "#9500002", "extra": 1 }),
        json!({ "order": "#404404" }),
    ] {
        let refused = app.post_as(&ours, &path, &body).await;
        expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    }
    assert_eq!(exception_ids(app, &ours, "").await.len(), 1);
    // Unknown exception, and an exception of another account: 404.
    let order = json!({ "order": "#9500002" });
    for (token, path) in [
        (&ours, "/api/v1/warehouse/exceptions/nope/resolve"),
        (&theirs, path.as_str()),
    ] {
        let refused = app.post_as(token, path, &order).await;
        expect_error(refused, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(view(app, &id).await["stage"], json!("shipped_to_warehouse"));

    // Resolved by the store's order number: linked, noted, and the expected parcel received.
    let resolved = expect_json(app.post_as(&ours, &path, &order).await, StatusCode::OK).await;
    assert_eq!(resolved["order_id"], json!(id), "{resolved}");
    assert_eq!(
        resolved["items_arrived"].as_array().map(Vec::len),
        Some(1),
        "{resolved}"
    );
    let v = wait_stage(app, &id, "arrived").await;
    assert!(v["inbound"][0]["received_at"].is_string(), "{v}");
    let detail = app.order_detail(&id).await;
    assert!(
        detail.to_string().contains("unknown parcel BOX77RED"),
        "the timeline names the scan: {detail}"
    );

    // Once only.
    let again = app.post_as(&ours, &path, &order).await;
    let message = expect_error(again, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("already resolved"), "{message}");
    // Open list empty; `all=true` shows it resolved to the order.
    assert!(exception_ids(app, &ours, "").await.is_empty());
    let all = exception_ids(app, &ours, "?all=true").await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["resolved_order_id"], json!(id));
    assert!(all[0]["resolved_at"].is_string());
    w.app.stop().await;
}

/// The CSRF token of a signed-in page (its meta tag).
pub(crate) fn meta_csrf(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let at = html.find(marker).expect("csrf meta") + marker.len();
    html[at..at + html[at..].find('"').expect("end")].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warehouse_page_works_an_order_through_csrf_checked_forms() {
    let w = world().await;
    let app = &w.app;
    let store: StoreId = w.store.parse().expect("store id");
    member_token(app, "op@shop.example", Role::Warehouse, &[]).await;
    member_token(app, "staff@shop.example", Role::Staff, &[store]).await;
    let (id, number) = shipped_to_warehouse(&w, 9_500_003).await;

    let mut staff = Browser::sign_in(app, "staff@shop.example").await;
    assert_eq!(
        staff.get("/warehouse").await.status(),
        StatusCode::FORBIDDEN
    );

    let mut op = Browser::sign_in(app, "op@shop.example").await;
    let page = op.page("/warehouse").await;
    assert!(
        page.contains("name=\"scan\" type=\"text\" required autofocus"),
        "{page}"
    );
    assert!(page.contains("Nothing waits for inspection."));
    let csrf = meta_csrf(&page);

    // Without the CSRF token: 403, nothing received.
    let refused = op
        .post_form("/warehouse/receive", &[("scan", &number)])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(view(app, &id).await["stage"], json!("shipped_to_warehouse"));
    // A staff user with their own valid token is still refused.
    let staff_page = staff
        .get("/orders")
        .await
        .text()
        .await
        .expect("orders page");
    let staff_csrf = meta_csrf(&staff_page);
    let refused = receive_on_page(&mut staff, &staff_csrf, &number).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The scan: back to the page, which says what arrived and lists the item to inspect.
    let received = receive_on_page(&mut op, &csrf, &number).await;
    assert_eq!(received.status(), StatusCode::SEE_OTHER);
    assert_eq!(received.headers()["location"], "/warehouse");
    let page = op.page("/warehouse").await;
    assert!(
        page.contains("order #9500003 — 1 item(s) arrived"),
        "{page}"
    );
    let item = view(app, &id).await["items"][0]["id"]
        .as_str()
        .expect("item")
        .to_string();
    let action = format!("action=\"/warehouse/items/{item}/inspection\"");
    assert!(page.contains(&action), "{page}");

    // An unknown scan is kept as an exception and listed with a resolve form.
    let unknown = receive_on_page(&mut op, &csrf, "LOST-1").await;
    assert_eq!(unknown.status(), StatusCode::SEE_OTHER);
    let page = op.page("/warehouse").await;
    assert!(
        page.contains("LOST-1: no parcel of yours is expected"),
        "{page}"
    );
    assert!(page.contains("/resolve\""), "{page}");

    // Inspection through the page: passing with the marketing material still in → not saved.
    let inspection = format!("/warehouse/items/{item}/inspection");
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("title_matches", "on"),
        ("variant_matches", "on"),
        ("undamaged", "on"),
        ("received_quantity", "1"),
        ("note", ""),
        ("outcome", "pass"),
    ];
    let refused = op.post_multipart(&inspection, &fields, None).await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    let page = op.page("/warehouse").await;
    assert!(
        page.contains("Not saved. remove the marketing material before passing the item"),
        "{page}"
    );
    assert_eq!(view(app, &id).await["stage"], json!("arrived"));
    // Without the CSRF token: 403.
    fields.push(("marketing_material_removed", "on"));
    let refused = op.post_multipart(&inspection, &fields[1..], None).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(view(app, &id).await["stage"], json!("arrived"));
    // Passed.
    let passed = op.post_multipart(&inspection, &fields, None).await;
    assert_eq!(passed.status(), StatusCode::SEE_OTHER);
    let page = op.page("/warehouse").await;
    assert!(page.contains("Inspection recorded: passed."), "{page}");
    assert!(
        page.contains(&format!("action=\"/warehouse/orders/{id}/pack\"")),
        "{page}"
    );
    wait_stage(app, &id, "inspected").await;

    // Packing: a bad number is named and nothing is saved; then packed.
    let pack = format!("/warehouse/orders/{id}/pack");
    let mut measures = vec![
        ("csrf_token", csrf.as_str()),
        ("weight_g", "heavy"),
        ("length_cm", "25"),
        ("width_cm", "18"),
        ("height_cm", "8"),
    ];
    let page = posted_back(&mut op, &pack, &measures).await;
    assert!(
        page.contains("Not saved. Weight (g): give a whole number above 0."),
        "{page}"
    );
    assert_eq!(view(app, &id).await["stage"], json!("inspected"));
    measures[1] = ("weight_g", "480");
    let page = posted_back(&mut op, &pack, &measures).await;
    assert!(page.contains("Packed: 480 g"), "{page}");
    let package = view(app, &id).await["packages"][0].clone();
    assert_eq!(package["weight_g"], json!(480));
    let package_id = package["id"].as_str().expect("package id").to_string();

    // The merchant pays the fee: the package is listed to dispatch with its due time.
    choose(app, &id, &package["quotes"][0]).await;
    pay_fee(app, &id).await;
    let page = op.page("/warehouse").await;
    let dispatch = format!("/warehouse/packages/{package_id}/dispatch");
    assert!(page.contains(&format!("action=\"{dispatch}\"")), "{page}");
    assert!(page.contains("id=\"to-dispatch\""), "{page}");
    assert!(!page.contains(">Late</span>"), "not late yet: {page}");
    // Without the carrier it is refused with nothing dispatched; then dispatched.
    let mut handover = vec![
        ("csrf_token", csrf.as_str()),
        ("carrier", " "),
        ("tracking_number", INTERNATIONAL),
        ("label", ""),
    ];
    let page = posted_back(&mut op, &dispatch, &handover).await;
    assert!(
        page.contains("Not saved. tracking_number and carrier are required"),
        "{page}"
    );
    assert_eq!(app.rows("shipments").await, 0);
    handover[1] = ("carrier", "YunExpress");
    let page = posted_back(&mut op, &dispatch, &handover).await;
    assert!(
        page.contains(&format!("Dispatched with {INTERNATIONAL}")),
        "{page}"
    );
    assert!(page.contains("No paid package waits."), "{page}");
    assert_eq!(view(app, &id).await["stage"], json!("dispatched"));

    // The unknown scan: an unknown order is named and nothing changes; a real one resolves it.
    let op2 = member_token(app, "op2@shop.example", Role::Warehouse, &[]).await;
    let exception = exception_ids(app, &op2, "").await[0]["id"]
        .as_str()
        .expect("exception id")
        .to_string();
    let resolve = format!("/warehouse/exceptions/{exception}/resolve");
    let unknown = [("csrf_token", csrf.as_str()), ("order", "#404404")];
    let page = posted_back(&mut op, &resolve, &unknown).await;
    assert!(page.contains("Not saved. order: no order"), "{page}");
    assert!(page.contains(&resolve), "still open: {page}");
    let known = [("csrf_token", csrf.as_str()), ("order", "#9500003")];
    let page = posted_back(&mut op, &resolve, &known).await;
    assert!(page.contains("Linked to the order."), "{page}");
    assert!(page.contains("No unknown parcels."), "{page}");
    w.app.stop().await;
}
