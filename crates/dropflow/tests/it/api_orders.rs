//! `/api/v1/orders`: tabs and counts, keyset pagination, search, detail, holds (issue
//! points 2 and 8).

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;

/// The names of the orders on a page of the order list.
fn names(page: &Value) -> Vec<String> {
    listed(page, "name")
}

#[tokio::test]
async fn tab_counts_match_the_per_tab_listings() {
    let app = TestApp::spawn_with_shop().await;
    for id in 100..103 {
        app.create_order(&numbered_paid_order(id)).await;
    }
    for id in 200..202 {
        app.create_order(&pending_order(id, &format!("#{id}")))
            .await;
    }
    let mut cancelled = paid_order(300, "#300");
    cancelled["cancelled_at"] = json!("2024-05-01T10:00:00-05:00");
    cancelled["cancel_reason"] = json!("fraud");
    app.create_order(&cancelled).await;
    let refunded = shopify_order(301, "#301", "refunded", "2024-05-01T10:00:00-05:00");
    app.create_order(&refunded).await;
    let mut bad_zip = paid_order(400, "#400");
    bad_zip["shipping_address"]["zip"] = json!("ABCDE");
    app.create_order(&bad_zip).await;

    let counts = app.counts().await;
    let expected = [
        ("all", 8),
        ("awaiting_order", 3),
        ("awaiting_payment", 0),
        ("awaiting_shipment", 0),
        ("fulfilled", 0),
        ("delivered", 0),
        ("canceled", 2),
        ("failed", 0),
        ("on_hold", 3),
        ("at_warehouse", 0),
    ];
    assert_eq!(counts.len(), expected.len(), "{counts:?}");
    for (tab, n) in expected {
        assert_eq!(counts[tab], n, "count of {tab}");
        let page = app
            .api_json(&format!("/api/v1/orders?tab={tab}&limit=500"))
            .await;
        let orders = page["orders"].as_array().expect("orders");
        assert_eq!(orders.len() as i64, n, "listing of {tab}");
        if tab != "all" {
            assert!(orders.iter().all(|o| o["tab"] == tab), "{tab}: {page}");
        }
        let by_sql: i64 = if tab == "all" {
            app.rows("orders").await
        } else {
            sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE tab = $1")
                .bind(tab)
                .fetch_one(&app.db.reader)
                .await
                .expect("count")
        };
        assert_eq!(by_sql, n, "rows in {tab}");
        assert_eq!(page["counts"][tab], n, "page counts of {tab}");
    }
    // No tab parameter means all.
    assert_eq!(names(&app.api_json("/api/v1/orders").await).len(), 8);
    app.stop().await;
}

#[tokio::test]
async fn keyset_pages_are_newest_first_without_overlap() {
    let app = TestApp::spawn_with_shop().await;
    let mut sent = Vec::new();
    for id in 2001..=2025 {
        app.create_order(&numbered_paid_order(id)).await;
        sent.push(format!("#{id}"));
    }
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/orders?tab=awaiting_order&limit=10&cursor={c}"),
            None => "/api/v1/orders?tab=awaiting_order&limit=10".to_string(),
        };
        let page = app.api_json(&path).await;
        pages.push(names(&page));
        match page["next_cursor"].as_str() {
            Some(next) => {
                let last_id = page["orders"]
                    .as_array()
                    .and_then(|o| o.last())
                    .map(|o| o["id"].clone());
                assert_eq!(Some(json!(next)), last_id, "the cursor is the last row");
                cursor = Some(next.to_string());
            }
            None => break,
        }
        assert!(pages.len() < 5, "pagination does not end");
    }
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 5]);
    let all: Vec<String> = pages.concat();
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), 25, "no order on two pages");
    let newest_first: Vec<String> = sent.iter().rev().cloned().collect();
    assert_eq!(all, newest_first);
    app.stop().await;
}

#[tokio::test]
async fn a_full_last_page_is_followed_by_an_empty_one() {
    let app = TestApp::spawn_with_shop().await;
    for id in 2101..=2104 {
        app.create_order(&numbered_paid_order(id)).await;
    }
    let page = app.api_json("/api/v1/orders?limit=4").await;
    assert_eq!(names(&page).len(), 4);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("cursor on a full page")
        .to_string();
    let next = app
        .api_json(&format!("/api/v1/orders?limit=4&cursor={cursor}"))
        .await;
    assert_eq!(next["orders"], json!([]));
    assert_eq!(next["next_cursor"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn search_finds_an_order_by_name_with_or_without_hash_and_by_email() {
    let app = TestApp::spawn_with_shop().await;
    let order = paid_order(7001, "#1001");
    let email = order["email"].as_str().expect("email").to_string();
    let id = app.create_order(&order).await;
    app.create_order(&paid_order(7002, "#1002")).await;
    app.create_order(&paid_order(7003, "#10011")).await;

    for q in [
        "1001",
        "#1001",
        " #1001 ",
        "7001",
        email.as_str(),
        &email.to_ascii_uppercase(),
    ] {
        let page = app
            .api_json(&format!("/api/v1/orders?q={}", encode(q)))
            .await;
        let orders = page["orders"].as_array().expect("orders");
        assert_eq!(orders.len(), 1, "search {q:?}: {page}");
        assert_eq!(orders[0]["id"], json!(id), "search {q:?}");
        assert_eq!(orders[0]["name"], "#1001");
    }
    let none = app.api_json("/api/v1/orders?q=nobody%40example.com").await;
    assert_eq!(none["orders"], json!([]));
    // Search within a tab.
    let held = app.api_json("/api/v1/orders?tab=on_hold&q=1001").await;
    assert_eq!(held["orders"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn the_store_filter_lists_one_stores_orders() {
    let app = TestApp::spawn().await;
    let first = app.shopify_store().await;
    let second = app.register_woo_store(WOO_SITE, WOO_SECRET).await;
    app.create_order(&paid_order(7101, "#7101")).await;
    let hook = woo_hook(
        "order.created",
        WOO_SITE,
        &dropflow_sandbox::woocommerce::order_payload(7102, "processing"),
    );
    expect_json(app.send_woo(&hook, WOO_SECRET).await, StatusCode::OK).await;

    let page = app
        .api_json(&format!("/api/v1/orders?store_id={first}"))
        .await;
    assert_eq!(names(&page), ["#7101"]);
    let page = app
        .api_json(&format!("/api/v1/orders?store_id={second}"))
        .await;
    assert_eq!(names(&page), ["#7102"]);
    let not_an_id = "/api/v1/orders?store_id=shop-1";
    app.get_refused_as(
        &app.token,
        not_an_id,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn order_detail_is_found_by_id_and_by_name() {
    let (app, id) = TestApp::spawn_with_order(&paid_order(7201, "#1001")).await;
    let by_id = app.order_detail(&id).await;
    let by_name = app.order_detail("1001").await;
    let by_hash_name = app.order_detail("#1001").await;
    let by_external = app.order_detail("7201").await;
    for detail in [&by_id, &by_name, &by_hash_name, &by_external] {
        assert_eq!(detail["id"], json!(id));
        assert_eq!(detail["name"], "#1001");
        assert!(detail["lines"].as_array().is_some_and(|l| !l.is_empty()));
        assert_eq!(timeline_kinds(detail), ["received", "ready_to_order"]);
        assert!(detail["state"]["holds"].is_array());
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_order_is_a_404() {
    let (app, _) = TestApp::spawn_with_order(&paid_order(7301, "#7301")).await;
    let missing = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/orders/{missing}"),
        "/api/v1/orders/9999".to_string(),
        "/api/v1/orders/%239999".to_string(),
    ] {
        let response = app.api_get(&path).await;
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let response = app.place_hold(&missing.to_string(), "other", "x").await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .api_post_empty(&format!("/api/v1/orders/{missing}/holds/other/release"))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    app.stop().await;
}

#[tokio::test]
async fn a_name_shared_by_two_stores_is_a_409_asking_for_the_id() {
    let app = TestApp::spawn_with_shop().await;
    app.register_shopify_store("second-shop.myshopify.com", SHOPIFY_SECRET)
        .await;
    app.create_order(&paid_order(7401, "#1001")).await;
    app.create_order_from("second-shop.myshopify.com", &paid_order(7402, "#1001"))
        .await;
    let message = expect_error(
        app.api_get("/api/v1/orders/1001").await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(message.contains("order id"), "{message}");
    let page = app.api_json("/api/v1/orders?q=1001").await;
    assert_eq!(page["orders"].as_array().map(Vec::len), Some(2));
    app.stop().await;
}

#[tokio::test]
async fn bad_list_parameters_are_400s() {
    let app = TestApp::spawn().await;
    for (query, named) in [
        ("tab=open", "tab"),
        ("tab=ALL", "tab"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=1001", "cursor"),
    ] {
        let response = app.api_get(&format!("/api/v1/orders?{query}")).await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(message.contains(named), "{query}: {message}");
    }
    // The edges are fine.
    for query in ["limit=1", "limit=500", "tab=on_hold"] {
        let response = app.api_get(&format!("/api/v1/orders?{query}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_non_numeric_limit_is_a_400_json_error() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/orders?limit=ten",
        "/api/v1/orders?limit=-1",
        "/api/v1/jobs?limit=x",
    ] {
        let response = app.api_get(path).await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(message.contains("limit"), "{path}: {message}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_merchant_hold_is_placed_and_released() {
    let (app, id) = TestApp::spawn_with_order(&paid_order(7501, "#7501")).await;

    let detail = "  supplier is out of the black ones  ";
    let held = app.held(&id, "inventory_out_of_stock", detail).await;
    assert_eq!(held["tab"], "on_hold");
    assert_eq!(
        held["holds"],
        json!([{"reason": "inventory_out_of_stock", "detail": "supplier is out of the black ones", "origin": "merchant"}])
    );
    let placed = last_event(&held);
    assert_eq!(placed["kind"], "hold_placed");
    assert_eq!(placed["actor"], format!("merchant:{TOKEN_NAME}"));
    assert_eq!(placed["detail"]["origin"], "merchant");
    app.assert_counts(&[("on_hold", 1), ("awaiting_order", 0)])
        .await;

    // The same hold twice is a conflict.
    let response = app.place_hold(&id, "inventory_out_of_stock", "again").await;
    expect_error(response, StatusCode::CONFLICT, "conflict").await;

    let released = app.released(&id, "inventory_out_of_stock").await;
    assert_eq!(released["tab"], "awaiting_order");
    assert_eq!(released["holds"], json!([]));
    assert_eq!(
        timeline_kinds(&released),
        [
            "received",
            "ready_to_order",
            "hold_placed",
            "hold_released",
            "ready_to_order"
        ]
    );
    app.assert_counts(&[("on_hold", 0), ("awaiting_order", 1)])
        .await;
    // Each time the order becomes ready, routing is queued (the router must re-check the
    // order's state when it runs).
    assert_eq!(app.jobs_for(&id, "order.route").await, 2);
    app.stop().await;
}

#[tokio::test]
async fn releasing_a_hold_that_does_not_exist_is_a_409() {
    let (app, id) = TestApp::spawn_with_order(&paid_order(7601, "#7601")).await;
    let before = app.order_detail(&id).await;
    let response = app.release_hold(&id, "high_risk_of_fraud").await;
    let message = expect_error(response, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("high_risk_of_fraud"), "{message}");
    let after = app.order_detail(&id).await;
    assert_eq!(after["timeline"], before["timeline"]);
    assert_eq!(after["state"], before["state"]);
    app.stop().await;
}

#[tokio::test]
async fn bad_hold_requests_are_422s() {
    let (app, id) = TestApp::spawn_with_order(&paid_order(7701, "#7701")).await;
    for (body, named) in [
        (
            json!({"reason": "lunch_break", "detail": "x"}),
            "lunch_break",
        ),
        (json!({"reason": "other", "detail": "   "}), "detail"),
        (json!({"reason": "other"}), "detail"),
        (
            json!({"reason": "other", "detail": "x", "until": "tomorrow"}),
            "until",
        ),
    ] {
        let response = app
            .api_post(&format!("/api/v1/orders/{id}/holds"), &body)
            .await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.contains(named), "{body}: {message}");
    }
    let response = app.release_hold(&id, "lunch_break").await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert_eq!(app.order_detail(&id).await["tab"], "awaiting_order");
    app.stop().await;
}

#[tokio::test]
async fn a_cancelled_order_cannot_be_held() {
    let app = TestApp::spawn_with_shop().await;
    let mut order = paid_order(7801, "#7801");
    order["cancelled_at"] = json!("2024-05-01T10:00:00-05:00");
    let id = app.create_order(&order).await;
    let response = app.place_hold(&id, "other", "x").await;
    expect_error(response, StatusCode::CONFLICT, "conflict").await;
    app.stop().await;
}

#[tokio::test]
async fn a_merchant_hold_survives_the_payment_that_lifts_the_system_hold() {
    let (app, id) = TestApp::spawn_with_order(&pending_order(7901, "#7901")).await;
    let detail = "billing and shipping countries differ";
    app.held(&id, "high_risk_of_fraud", detail).await;

    let paid = shopify_order(7901, "#7901", "paid", "2024-05-01T10:10:00-05:00");
    app.shopify_order("orders/paid", &paid).await;
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], "on_hold");
    let reasons: Vec<&str> = detail["holds"]
        .as_array()
        .expect("holds")
        .iter()
        .filter_map(|h| h["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["high_risk_of_fraud"]);
    assert_eq!(app.jobs_for(&id, "order.route").await, 0);
    app.stop().await;
}

/// Pending order `#number` whose payment hold the merchant released, which moved it to
/// Awaiting Order: the app, the order's id and its detail after the release.
async fn payment_hold_released(number: u64) -> (TestApp, String, Value) {
    let order = pending_order(number, &format!("#{number}"));
    let (app, id) = TestApp::spawn_with_order(&order).await;
    let released = app.released(&id, "awaiting_payment").await;
    assert_eq!(released["tab"], "awaiting_order");
    (app, id, released)
}

#[tokio::test]
async fn releasing_the_payment_hold_waives_it_for_later_snapshots() {
    let (app, id, _) = payment_hold_released(7902).await;
    // Cash on delivery: the store still says pending, and the order stays released.
    let again = shopify_order(7902, "#7902", "pending", "2024-05-01T10:30:00-05:00");
    app.shopify_order("orders/updated", &again).await;
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], "awaiting_order");
    assert_eq!(detail["holds"], json!([]));
    assert_eq!(detail["state"]["payment_waived"], true);
    app.stop().await;
}

/// An order in Awaiting Order is one dropflow will buy: releasing the payment hold must
/// queue routing, or the order sits in that tab forever with nothing to move it.
#[tokio::test]
async fn releasing_the_payment_hold_queues_routing() {
    let (app, id, released) = payment_hold_released(7903).await;
    assert_eq!(
        timeline_kinds(&released),
        ["received", "hold_placed", "hold_released", "ready_to_order"]
    );
    assert_eq!(app.jobs_for(&id, "order.route").await, 1);
    app.stop().await;
}
