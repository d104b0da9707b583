//! Issue 14 point 4: a case's goods bought through the agent warehouse come back there, and
//! the operator works the customer's parcel with the floor's own tools. The scan receives it
//! (the case's return delivered once, however the carrier's news and the scan are ordered),
//! the inspection settles it (a pass restocks, a failure disposes), the case's timeline names
//! who did each and when; a parcel sent without the number is an unknown parcel linked to its
//! case; the same return scanned twice changes nothing; another account's operator finds
//! nothing of it (an exception of their own, 404 for the case's return).

use crate::cases::open;
use crate::dashboard_pages::Browser;
use crate::support::*;
use crate::warehouse::{
    all_paid, cheapest, choose, dispatch, inbound, order, pack, pass_arrived, pay_fee, scan,
    scan_as, sellers_ship, wait_stage, world, World, PNG,
};
use crate::warehouse_operator::meta_csrf;
use dropflow::storage::accounts::Role;
use dropflow_core::ids::OrderId;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

/// An order of `lines` lines (one unit each, each from its own marketplace seller) that went
/// through the warehouse and left it for the customer: its id and the store's line ids.
async fn sent_from_warehouse(w: &World, number: u64, lines: usize) -> (String, Vec<String>) {
    let app = &w.app;
    let (id, store_order) = order(w, number, lines).await;
    all_paid(app, &id, lines).await;
    sellers_ship(w, &id).await;
    for parcel in inbound(app, &id, lines).await {
        scan(app, &parcel).await;
    }
    wait_stage(app, &id, "arrived").await;
    pass_arrived(app, &id).await;
    wait_stage(app, &id, "inspected").await;
    let packed = expect_json(pack(app, &id).await, StatusCode::OK).await;
    choose(app, &id, &cheapest(&packed)).await;
    pay_fee(app, &id).await;
    let package = packed["id"].as_str().expect("package id");
    expect_json(dispatch(app, package).await, StatusCode::OK).await;
    wait_stage(app, &id, "dispatched").await;
    let line_ids = store_order["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["id"].to_string())
        .collect();
    (id, line_ids)
}

/// Opens a return-first case for one unit of `line` (the customer changed their mind: no
/// supplier to ask); its id.
async fn return_first(app: &TestApp, order: &str, line: &str) -> String {
    let body = json!({ "reason": "changed_mind",
        "lines": [{ "line_id": line, "quantity": 1 }],
        "resolution": { "kind": "return_first" } });
    let case = expect_json(open(app, order, &body).await, StatusCode::CREATED).await;
    case["id"].as_str().expect("case id").to_string()
}

/// The merchant records the customer's return parcel `number` on the case.
async fn return_shipped(app: &TestApp, case: &str, number: &str) {
    let shipped = app
        .api_post(
            &format!("/api/v1/cases/{case}/events"),
            &json!({ "event": "return_shipped", "tracking_number": number }),
        )
        .await;
    let shipped = expect_json(shipped, StatusCode::OK).await;
    assert_eq!(shipped["return"]["state"], json!("in_transit"), "{shipped}");
}

async fn case(app: &TestApp, id: &str) -> Value {
    app.api_json(&format!("/api/v1/cases/{id}")).await
}

/// The case's steps on its order's timeline, oldest first: (step, actor, detail).
async fn steps(app: &TestApp, order: &str, case: &str) -> Vec<(String, String, String)> {
    let detail = app.order_detail(order).await;
    detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["detail"]["kind"] == json!("case") && e["detail"]["case_id"] == json!(case))
        .map(|e| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&e["detail"]["step"]),
                text(&e["actor"]),
                text(&e["detail"]["detail"]),
            )
        })
        .collect()
}

/// How many times the case took `step`.
fn times(steps: &[(String, String, String)], step: &str) -> usize {
    steps.iter().filter(|(s, _, _)| s == step).count()
}

/// The inspection form of a case's return (as the API takes an item's): `pass`, or a
/// failure for damage with a photo when `photo` is given.
async fn inspect_return(
    app: &TestApp,
    token: &str,
    case: &str,
    pass: bool,
    photo: Option<&[u8]>,
) -> Response {
    let checklist = json!({ "title_matches": true, "variant_matches": true,
        "received_quantity": 1, "undamaged": pass, "marketing_material_removed": true });
    let mut form = Multipart::new("returnsboundary")
        .text("outcome", if pass { b"pass" } else { b"fail" })
        .text("checklist", checklist.to_string().as_bytes());
    if !pass {
        form = form
            .text("reasons", b"[\"damaged\"]")
            .text("note", b"the box was crushed");
    }
    if let Some(photo) = photo {
        form = form.file("photos", "return.png", "image/png", photo);
    }
    let path = format!("/api/v1/warehouse/returns/{case}/inspection");
    app.post_multipart_as(token, &path, form).await
}

/// The carrier says the return parcel `number` of `order` was delivered (what the tracker
/// does with a delivered `customer_return` parcel, under the order's lock).
async fn carrier_delivers(app: &TestApp, order: &str, number: &str) {
    let order_id: OrderId = order.parse().expect("order id");
    let mut tx = app.db.begin().await.expect("begin");
    dropflow::storage::orders::lock(&mut tx, order_id)
        .await
        .expect("lock");
    dropflow::fulfilment::after_sale::returns::delivered(&mut tx, order_id, number)
        .await
        .expect("delivered");
    tx.commit().await.expect("commit");
}

/// The one return a scan received (200 expected).
async fn received(response: Response) -> Value {
    let answer = expect_json(response, StatusCode::OK).await;
    assert_eq!(answer["outcome"], json!("case_returns"), "{answer}");
    let returns = answer["returns"].as_array().expect("returns");
    assert_eq!(returns.len(), 1, "{answer}");
    returns[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_scanned_at_the_warehouse_is_received_once_and_its_inspection_settles_it() {
    let w = world().await;
    let app = &w.app;
    let other = new_account(app, "elsewhere").await;
    let ours = member_token(app, "op@shop.example", Role::Warehouse, &[]).await;
    let theirs = user_token(app, &other, "op@elsewhere.example", Role::Warehouse, &[]).await;
    let (order_id, lines) = sent_from_warehouse(&w, 9_832_001, 2).await;

    // Case 1: the customer ships the goods back with a number the merchant records.
    let first = return_first(app, &order_id, &lines[0]).await;
    let number = dropflow_core::tracking::s10_number("RR", 10_032_001, "US");
    return_shipped(app, &first, &number).await;

    // Another account's operator scanning it: an exception of their own account, the case
    // untouched, and the case's return does not exist for them.
    let unknown = expect_json(scan_as(app, &theirs, &number).await, StatusCode::ACCEPTED).await;
    assert_eq!(unknown["outcome"], json!("unknown"), "{unknown}");
    assert_eq!(
        case(app, &first).await["return"]["state"],
        json!("in_transit")
    );

    // Our operator scans it: the case's goods are back, and the answer says which case.
    let arrived = received(scan_as(app, &ours, &number).await).await;
    assert_eq!(arrived["case_id"], json!(first), "{arrived}");
    assert_eq!(arrived["order_id"], json!(order_id));
    assert_eq!(arrived["received_now"], json!(true));
    assert_eq!(arrived["case_moved"], json!(true));
    let message = arrived["message"].as_str().expect("message");
    assert!(
        message.contains(&format!("customer return, case {first}")),
        "{message}"
    );
    let now = case(app, &first).await;
    assert_eq!(now["return"]["state"], json!("delivered"), "{now}");
    assert_eq!(now["return"]["tracking_number"], json!(number), "{now}");
    assert_eq!(
        now["next_steps"],
        json!(["settle_return", "decide"]),
        "{now}"
    );

    // Scanned twice: nothing changes, and the answer says it was received before.
    let again = received(scan_as(app, &ours, &number).await).await;
    assert_eq!(again["received_now"], json!(false), "{again}");
    assert_eq!(again["case_moved"], json!(false), "{again}");
    let message = again["message"].as_str().expect("message");
    assert!(message.contains("already received"), "{message}");
    assert!(message.contains("op@shop.example"), "{message}");
    assert!(message.contains("nothing changed"), "{message}");
    // The carrier's news arriving after the scan changes nothing either.
    carrier_delivers(app, &order_id, &number).await;
    let history = steps(app, &order_id, &first).await;
    assert_eq!(times(&history, "return_delivered"), 1, "{history:?}");
    let (_, actor, detail) = history
        .iter()
        .find(|(s, _, _)| s == "return_delivered")
        .expect("received");
    assert!(
        actor.contains("op@shop.example"),
        "who received it: {actor}"
    );
    assert!(detail.contains(&number), "{detail}");

    // It waits for inspection among the returns, not among the purchases' items.
    let waiting = app.json_as(&ours, "/api/v1/warehouse/returns").await;
    assert_eq!(waiting.as_array().map(Vec::len), Some(1), "{waiting}");
    assert_eq!(waiting[0]["case_id"], json!(first));
    assert_eq!(waiting[0]["scan"], json!(number));
    assert_eq!(waiting[0]["lines"][0]["quantity"], json!(1));
    assert!(waiting[0]["inspected_at"].is_null());
    let theirs_list = app
        .json_as(&theirs, "/api/v1/warehouse/returns?all=true")
        .await;
    assert_eq!(theirs_list, json!([]));

    // The other account's operator cannot inspect it (404, nothing recorded), nor link their
    // exception to it.
    let hidden = inspect_return(app, &theirs, &first, true, None).await;
    expect_error(hidden, StatusCode::NOT_FOUND, "not_found").await;
    let exception = unknown["exception_id"].as_str().expect("exception id");
    let link = format!("/api/v1/warehouse/exceptions/{exception}/resolve");
    let refused = app.post_as(&theirs, &link, &json!({ "case": first })).await;
    expect_error(refused, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        case(app, &first).await["return"]["state"],
        json!("delivered")
    );

    // Bad input: an outcome the checklist contradicts is refused with nothing written.
    let mut contradicted = Multipart::new("returnsboundary")
        .text("outcome", b"fail")
        .text(
            "checklist",
            json!({ "title_matches": true, "variant_matches": true, "received_quantity": 1,
                "undamaged": true, "marketing_material_removed": true })
            .to_string()
            .as_bytes(),
        );
    contradicted = contradicted.file("photos", "return.png", "image/png", PNG);
    let inspection = format!("/api/v1/warehouse/returns/{first}/inspection");
    let refused = app
        .post_multipart_as(&ours, &inspection, contradicted)
        .await;
    let why = expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert!(why.contains("outcome"), "{why}");
    assert_eq!(
        case(app, &first).await["return"]["state"],
        json!("delivered")
    );

    // The inspection passes: the goods are restocked, the case waits for the decision.
    let passed = expect_json(
        inspect_return(app, &ours, &first, true, Some(PNG)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(passed["restocked"], json!(true), "{passed}");
    assert_eq!(passed["case_settled"], json!(true), "{passed}");
    assert_eq!(passed["outcome"]["outcome"], json!("pass"), "{passed}");
    let now = case(app, &first).await;
    assert_eq!(now["return"]["state"], json!("restocked"), "{now}");
    assert_eq!(now["next_steps"], json!(["decide"]), "{now}");
    let history = steps(app, &order_id, &first).await;
    let (_, actor, detail) = history
        .iter()
        .find(|(s, _, _)| s == "return_settled")
        .expect("inspected");
    assert!(
        actor.contains("op@shop.example"),
        "who inspected it: {actor}"
    );
    assert!(detail.contains("passed, restocked"), "{detail}");
    // Once: a second inspection is refused, and the queue is empty.
    let twice = inspect_return(app, &ours, &first, false, Some(PNG)).await;
    let why = expect_error(twice, StatusCode::CONFLICT, "conflict").await;
    assert!(why.contains("already inspected"), "{why}");
    assert_eq!(
        app.json_as(&ours, "/api/v1/warehouse/returns").await,
        json!([])
    );
    let all = app
        .json_as(&ours, "/api/v1/warehouse/returns?all=true")
        .await;
    assert_eq!(all[0]["restocked"], json!(true), "{all}");
    assert!(all[0]["inspected_by"]
        .as_str()
        .is_some_and(|by| by.contains("op@shop.example")));
    // A scan of the settled return's parcel is still the same return, received before.
    let late = received(scan_as(app, &ours, &number).await).await;
    assert_eq!(late["received_now"], json!(false), "{late}");

    // Case 2: the carrier says delivered first, then the operator scans the parcel: the
    // case's return is delivered once, and the receipt lets it be inspected.
    let second = return_first(app, &order_id, &lines[1]).await;
    let number = dropflow_core::tracking::s10_number("RR", 10_032_002, "US");
    return_shipped(app, &second, &number).await;
    carrier_delivers(app, &order_id, &number).await;
    assert_eq!(
        case(app, &second).await["return"]["state"],
        json!("delivered")
    );
    let arrived = received(scan_as(app, &ours, &number).await).await;
    assert_eq!(arrived["case_id"], json!(second), "{arrived}");
    assert_eq!(arrived["received_now"], json!(true), "{arrived}");
    assert_eq!(arrived["case_moved"], json!(false), "{arrived}");
    let history = steps(app, &order_id, &second).await;
    assert_eq!(times(&history, "return_delivered"), 1, "{history:?}");
    assert_eq!(times(&history, "return_received"), 1, "{history:?}");

    // A failure needs its photo (422, nothing written); with it, the goods are disposed of.
    let bare = inspect_return(app, &ours, &second, false, None).await;
    let why = expect_error(bare, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert!(why.contains("photo"), "{why}");
    assert_eq!(
        case(app, &second).await["return"]["state"],
        json!("delivered")
    );
    let failed = expect_json(
        inspect_return(app, &ours, &second, false, Some(PNG)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(failed["restocked"], json!(false), "{failed}");
    assert_eq!(failed["outcome"]["reasons"], json!(["damaged"]), "{failed}");
    let now = case(app, &second).await;
    assert_eq!(now["return"]["state"], json!("disposed"), "{now}");
    let history = steps(app, &order_id, &second).await;
    let (_, _, detail) = history
        .iter()
        .find(|(s, _, _)| s == "return_settled")
        .expect("inspected");
    assert!(
        detail.contains("failed (damaged: the box was crushed), disposed of"),
        "{detail}"
    );
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_sent_without_its_number_is_linked_from_an_unknown_parcel_on_the_page() {
    let w = world().await;
    let app = &w.app;
    let ours = member_token(app, "op@shop.example", Role::Warehouse, &[]).await;
    let (order_id, lines) = sent_from_warehouse(&w, 9_832_002, 1).await;
    // The customer sent the goods back without telling anyone the number.
    let id = return_first(app, &order_id, &lines[0]).await;
    assert_eq!(case(app, &id).await["return"]["state"], json!("awaited"));

    // What the box says matches nothing: an exception, as any unknown parcel.
    let scanned = expect_json(
        scan_as(app, &ours, "BOX 12 BLUE").await,
        StatusCode::ACCEPTED,
    )
    .await;
    let exception = scanned["exception_id"]
        .as_str()
        .expect("exception")
        .to_string();
    assert_eq!(case(app, &id).await["return"]["state"], json!("awaited"));
    let link = format!("/api/v1/warehouse/exceptions/{exception}/resolve");

    // Bad input: both, neither, an unknown case; 422 or 404 and nothing changed.
    for (body, status, code) in [
        (
            json!({ "order": order_id, "case": id }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        ),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
        (
            json!({ "case": "  " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        ),
        (
            json!({ "case": "not-a-case" }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ] {
        let refused = app.post_as(&ours, &link, &body).await;
        expect_error(refused, status, code).await;
    }
    assert_eq!(case(app, &id).await["return"]["state"], json!("awaited"));
    assert_eq!(app.rows("warehouse_returns").await, 0);

    // Linked to the case through the page: the case's goods are back, received by the
    // operator who linked it; the page lists it apart from the purchases, with its case.
    let mut op = Browser::sign_in(app, "op@shop.example").await;
    let page = op.page("/warehouse").await;
    let csrf = meta_csrf(&page);
    let resolve = format!("/warehouse/exceptions/{exception}/resolve");
    let linked = op
        .post_form(&resolve, &[("csrf_token", &csrf), ("case", &id)])
        .await;
    assert_eq!(linked.status(), StatusCode::SEE_OTHER);
    let page = op.page("/warehouse").await;
    assert!(page.contains("Linked to the case."), "{page}");
    assert!(page.contains("No unknown parcels."), "{page}");
    assert!(page.contains("Nothing waits for inspection."), "{page}");
    assert!(page.contains("id=\"returns-to-inspect\""), "{page}");
    assert!(
        page.contains(&format!("Customer return, case {id}")),
        "{page}"
    );
    let now = case(app, &id).await;
    assert_eq!(now["return"]["state"], json!("delivered"), "{now}");
    let history = steps(app, &order_id, &id).await;
    let (_, actor, detail) = history
        .iter()
        .find(|(s, _, _)| s == "return_delivered")
        .expect("received");
    assert!(actor.contains("op@shop.example"), "{actor}");
    assert!(detail.contains("unknown parcel BOX12BLUE"), "{detail}");
    // Once: linking it again is refused.
    let again = app.post_as(&ours, &link, &json!({ "case": id })).await;
    let why = expect_error(again, StatusCode::CONFLICT, "conflict").await;
    assert!(why.contains("already resolved"), "{why}");

    // Inspected through the page's form: passed, restocked.
    let inspection = format!("/warehouse/returns/{id}/inspection");
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("title_matches", "on"),
        ("variant_matches", "on"),
        ("undamaged", "on"),
        ("marketing_material_removed", "on"),
        ("received_quantity", "1"),
        ("note", ""),
        ("outcome", "pass"),
    ];
    // Without the CSRF token: 403, nothing recorded.
    let refused = op.post_multipart(&inspection, &fields[1..], None).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(case(app, &id).await["return"]["state"], json!("delivered"));
    let passed = op.post_multipart(&inspection, &fields, None).await;
    assert_eq!(passed.status(), StatusCode::SEE_OTHER);
    let page = op.page("/warehouse").await;
    assert!(
        page.contains(&format!(
            "Customer return, case {id}: inspection recorded, passed: the goods are restocked."
        )),
        "{page}"
    );
    assert!(
        page.contains("No customer return waits for inspection."),
        "{page}"
    );
    assert_eq!(case(app, &id).await["return"]["state"], json!("restocked"));
    w.app.stop().await;
}
