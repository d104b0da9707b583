//! Orders that change after dropflow took them (issue 10): edits before and after a purchase,
//! cancellations and refunds at each stage, shipping by lines with concurrent vendors, and a
//! vendor's view of an order shared with another vendor. Manual vendors need no connector;
//! the CJ sandbox is there only because `paying::app_with` wires it.

use crate::support::cj_world::{cj_shop, map_to_manual, put_auto, wait_status};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

/// A paid Shopify order with two lines of different variants (A and B), quantity 1 each.
fn two_line_order(id: u64) -> Value {
    let mut order = numbered_paid_order(id);
    let mut a = order["line_items"][0].clone();
    a["quantity"] = json!(1);
    a["current_quantity"] = json!(1);
    let b = second_line(&a, "SKU-B", "Second item");
    order["line_items"] = json!([a, b]);
    order
}

/// [`two_line_order`] `id` with line A only, mapped to manual vendor `vendor-a`.
async fn one_line_for_vendor_a(app: &TestApp, store: &str, id: u64) -> Value {
    let mut order = two_line_order(id);
    order["line_items"] = json!([line(&order, 0)]);
    map_to_manual(app, store, &line(&order, 0)["variant_id"], "vendor-a").await;
    order
}

fn line(order: &Value, i: usize) -> Value {
    order["line_items"][i].clone()
}

fn live(purchases: &[Value]) -> Vec<Value> {
    purchases
        .iter()
        .filter(|p| p["status"] != json!("cancelled") && p["status"] != json!("rejected"))
        .cloned()
        .collect()
}

async fn ship(app: &TestApp, token: &str, so: &str, body: Value) -> reqwest::Response {
    app.post_as(token, &format!("/api/v1/supplier-orders/{so}/ship"), &body)
        .await
}

#[tokio::test]
async fn an_edit_before_placement_rederives_the_purchases_and_never_sends_the_wrong_goods() {
    let (_cj, app, store) = cj_shop().await;
    put_auto(&app, &store, false, true).await;
    let mut order = two_line_order(9_410_001);
    map_to_manual(&app, &store, &line(&order, 0)["variant_id"], "vendor-a").await;
    map_to_manual(&app, &store, &line(&order, 1)["variant_id"], "vendor-b").await;
    let id = app.create_order(&order).await;
    assert!(
        eventually(WAIT, || async {
            live(&app.supplier_orders(&id).await).len() == 2
        })
        .await
    );

    // The customer drops line A and takes 4 of line B (Shopify keeps the removed line with
    // current_quantity 0).
    order["line_items"][0]["current_quantity"] = json!(0);
    order["line_items"][1]["quantity"] = json!(4);
    order["line_items"][1]["current_quantity"] = json!(4);
    app.send_update(&mut order, "orders/updated", 1).await;
    let line_b = line(&order, 1)["id"].to_string();
    let rederived = eventually(WAIT, || async {
        let now = live(&app.supplier_orders(&id).await);
        now.len() == 1
            && now[0]["supplier_account"] == json!("vendor-b")
            && now[0]["items"][0]["quantity"] == json!(4)
    })
    .await;
    let all = app.supplier_orders(&id).await;
    assert!(rederived, "{all:#?}");
    let vendor_a = all
        .iter()
        .find(|p| p["supplier_account"] == json!("vendor-a"))
        .unwrap();
    assert_eq!(vendor_a["status"], json!("cancelled"));
    assert!(vendor_a["last_error"]
        .as_str()
        .unwrap()
        .contains("edited in the store"));
    let b = live(&all)[0].clone();
    assert_eq!(b["items"][0]["line_id"].as_str(), Some(line_b.as_str()));

    // Placing now hands vendor B exactly line B × 4; vendor A gets nothing.
    let response = app
        .api_post_empty(&format!("/api/v1/orders/{id}/place"))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert!(
        eventually(WAIT, || async {
            live(&app.supplier_orders(&id).await)
                .iter()
                .all(|p| p["status"] == json!("awaiting_shipment"))
        })
        .await
    );
    let handed = live(&app.supplier_orders(&id).await);
    assert_eq!(handed.len(), 1);
    assert_eq!(handed[0]["supplier_account"], json!("vendor-b"));

    // A line added after the hand-over gets its own purchase without anyone pressing Route.
    let mut c = line(&order, 1);
    c["id"] = json!(c["id"].as_u64().unwrap() + 1_000);
    c["variant_id"] = json!(c["variant_id"].as_u64().unwrap() + 1_000);
    c["quantity"] = json!(2);
    c["current_quantity"] = json!(2);
    map_to_manual(&app, &store, &c["variant_id"], "vendor-a").await;
    order["line_items"].as_array_mut().unwrap().push(c.clone());
    app.send_update(&mut order, "orders/updated", 2).await;
    assert!(
        eventually(WAIT, || async {
            live(&app.supplier_orders(&id).await).iter().any(|p| {
                p["supplier_account"] == json!("vendor-a")
                    && p["items"][0]["line_id"].as_str() == Some(c["id"].to_string().as_str())
                    && p["items"][0]["quantity"] == json!(2)
            })
        })
        .await,
        "{:#?}",
        app.supplier_orders(&id).await
    );
    // Nothing bought that the store's order does not hold.
    assert!(app.flags(&id).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn edits_after_handover_are_flagged_and_a_cancellation_stops_the_vendor() {
    let (_cj, app, store) = cj_shop().await;
    let mut order = one_line_for_vendor_a(&app, &store, 9_410_002).await;
    vendor_token(&app, "a@vendor.test", "vendor-a").await;
    // The event consumers (mail) as `serve` runs them.
    dropflow::events::prepare(&app.db).await.unwrap();
    let (stop_events, events_stopped) = tokio::sync::watch::channel(false);
    let consumers = tokio::spawn(dropflow::events::run(
        app.db.clone(),
        dropflow::events::EventsConfig {
            poll: Duration::from_millis(20),
            ..Default::default()
        },
        events_stopped,
    ));
    let id = app.create_order(&order).await;
    let so = wait_status(&app, &id, "awaiting_shipment").await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Quantity 1 → 3 and a new address after the vendor has it: flagged, not applied.
    order["line_items"][0]["quantity"] = json!(3);
    order["line_items"][0]["current_quantity"] = json!(3);
    order["shipping_address"]["address1"] = json!("1 New Street");
    app.send_update(&mut order, "orders/updated", 1).await;
    assert!(eventually(WAIT, || async { app.flags(&id).await.len() == 2 }).await);
    let raised = app.flags(&id).await;
    let quantity = raised
        .iter()
        .find(|f| f["kind"] == json!("quantity_changed"))
        .expect("quantity flag");
    assert!(
        quantity["detail"]
            .as_str()
            .unwrap()
            .contains("quantity 1 → 3"),
        "{quantity}"
    );
    assert!(raised.iter().any(|f| f["kind"] == json!("address_changed")));
    assert_eq!(
        app.supplier_orders(&id).await[0]["items"][0]["quantity"],
        json!(1)
    );
    // The attention check (run by the sweep on its own clock, and by the attention consumer
    // running here, whichever comes first) puts it in Needs Attention with the flag's words.
    let change = app.check_attention(&id).await;
    let flagged = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM orders WHERE id = '{id}'
             AND attention_reason LIKE '%quantity 1 → 3%'"
        ))
        .await;
    assert_eq!(flagged, 1, "{change:?}");
    let listed = app.api_json("/api/v1/orders?needs_attention=true").await;
    assert!(listed.to_string().contains(&id), "{listed}");
    // The owner sees them on the order page, with Accept.
    add_owner(&app, "owner@shop.example").await;
    let mut owner = crate::dashboard_pages::Browser::sign_in(&app, "owner@shop.example").await;
    let page = owner.page(&format!("/orders/{id}")).await;
    assert!(page.contains("Needs a decision"), "{page}");
    assert!(page.contains("quantity 1 → 3"), "{page}");
    assert!(page.contains("Accept as it is"), "{page}");
    // The same edit again raises nothing new.
    app.send_update(&mut order, "orders/updated", 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.flags(&id).await.len(), 2);

    // Accepting settles it once.
    let flag_id = quantity["id"].as_str().unwrap();
    let path = format!("/api/v1/orders/{id}/flags/{flag_id}/resolve");
    let resolved = expect_json(
        app.api_post(
            &path,
            &json!({ "action": "accept", "note": "vendor sends 3" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resolved["resolution"], json!("accepted: vendor sends 3"));
    expect_error(
        app.api_post(&path, &json!({ "action": "accept" })).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    expect_error(
        app.api_post(&path, &json!({ "action": "shrug" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;

    // Cancelled in the store: the vendor's purchase is cancelled, their ship refused (409
    // saying why), and the merchant asked to confirm with them.
    order["cancelled_at"] = json!("2024-05-01T11:03:00-05:00");
    order["cancel_reason"] = json!("customer");
    app.send_update(&mut order, "orders/cancelled", 3).await;
    assert!(
        eventually(WAIT, || async {
            app.supplier_orders(&id).await[0]["status"] == json!("cancelled")
        })
        .await
    );
    let refused = expect_error(
        ship(
            &app,
            &app.token,
            &so,
            json!({ "tracking_number": "RR123456785CN" }),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(refused.contains("cancelled"), "{refused}");
    assert!(app
        .flags(&id)
        .await
        .iter()
        .any(|f| f["kind"] == json!("cancelled_after_handover")));
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], json!("canceled"), "{detail}");
    // The vendor heard of each change: quantity, address, and the cancellation.
    assert!(
        eventually(WAIT, || async {
            app.scalar(
                "SELECT COUNT(*) FROM outbox WHERE kind = 'vendor_change'
                 AND recipient = 'a@vendor.test'",
            )
            .await
                == 3
        })
        .await,
        "vendor mails: {}",
        app.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'vendor_change'")
            .await
    );
    let _ = stop_events.send(true);
    let _ = consumers.await;
    app.stop().await;
}

#[tokio::test]
async fn a_refund_after_handover_stops_the_vendor_like_a_cancellation() {
    let (_cj, app, store) = cj_shop().await;
    let mut order = one_line_for_vendor_a(&app, &store, 9_410_003).await;
    let id = app.create_order(&order).await;
    wait_status(&app, &id, "awaiting_shipment").await;
    order["financial_status"] = json!("refunded");
    app.send_update(&mut order, "orders/updated", 1).await;
    assert!(
        eventually(WAIT, || async {
            app.supplier_orders(&id).await[0]["status"] == json!("cancelled")
        })
        .await,
        "{:#?}",
        app.supplier_orders(&id).await
    );
    assert!(app.flags(&id).await[0]["detail"]
        .as_str()
        .unwrap()
        .contains("refunded in the store"));
    app.stop().await;
}

#[tokio::test]
async fn concurrent_ships_make_one_parcel_and_lines_ship_in_parts() {
    let (_cj, app, store) = cj_shop().await;
    // The store has no Admin API set: pushing the shipment to it fails, and that is not what
    // this test is about.
    app.expect_failed_jobs("shipment.push");
    let mut order = two_line_order(9_410_004);
    order["line_items"][0]["quantity"] = json!(2);
    order["line_items"][0]["current_quantity"] = json!(2);
    map_to_manual(&app, &store, &line(&order, 0)["variant_id"], "vendor-a").await;
    map_to_manual(&app, &store, &line(&order, 1)["variant_id"], "vendor-a").await;
    let id = app.create_order(&order).await;
    let so = wait_status(&app, &id, "awaiting_shipment").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let line_a = line(&order, 0)["id"].to_string();

    // More than was bought of a line: 409 naming it; a line not in the purchase: 422.
    let too_many = expect_error(
        ship(
            &app,
            &app.token,
            &so,
            json!({ "tracking_number": "RR123456785CN",
            "lines": [{ "line_id": line_a, "quantity": 3 }] }),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(too_many.contains("2 left to ship"), "{too_many}");
    expect_error(
        ship(
            &app,
            &app.token,
            &so,
            json!({ "tracking_number": "RR123456785CN",
            "lines": [{ "line_id": "nope", "quantity": 1 }] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;

    // Ten vendors' clicks at once with one body: one parcel, one timeline event.
    let first = json!({ "tracking_number": "RR123456785CN",
        "lines": [{ "line_id": line_a, "quantity": 1 }] });
    let clicks = (0..10).map(|_| ship(&app, &app.token, &so, first.clone()));
    for response in futures::future::join_all(clicks).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let parcels = app.api_json(&format!("/api/v1/orders/{id}/parcels")).await;
    assert_eq!(parcels.as_array().unwrap().len(), 1, "{parcels}");
    let added = timeline_kinds(&app.order_detail(&id).await)
        .iter()
        .filter(|k| *k == "tracking_added")
        .count();
    assert_eq!(added, 1);
    assert_eq!(
        app.supplier_orders(&id).await[0]["status"],
        json!("awaiting_shipment")
    );
    let detail = app.order_detail(&id).await;
    assert_eq!(
        detail["procurement"],
        json!("partially_fulfilled"),
        "{detail}"
    );

    // Ten different numbers at once for the rest: one wins, the others are told nothing is
    // left; the purchase is now shipped.
    let numbers = [
        "RR000000000CN",
        "RR000000013CN",
        "RR000000027CN",
        "RR000000035CN",
        "RR000000044CN",
        "RR000000058CN",
        "RR000000061CN",
        "RR000000075CN",
        "RR000000089CN",
        "RR000000092CN",
    ];
    let clicks = numbers.iter().map(|n| {
        ship(
            &app,
            &app.token,
            &so,
            json!({ "tracking_number": n, "accept_unverified": true }),
        )
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(clicks)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        9
    );
    let parcels = app.api_json(&format!("/api/v1/orders/{id}/parcels")).await;
    assert_eq!(parcels.as_array().unwrap().len(), 2, "{parcels}");
    assert_eq!(
        app.supplier_orders(&id).await[0]["status"],
        json!("shipped")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_vendor_reads_only_its_own_purchase_of_a_shared_order() {
    let (_cj, app, store) = cj_shop().await;
    // The store has no Admin API set: pushing the shipment to it fails, and that is not what
    // this test is about.
    app.expect_failed_jobs("shipment.push");
    let order = two_line_order(9_410_005);
    map_to_manual(&app, &store, &line(&order, 0)["variant_id"], "vendor-a").await;
    map_to_manual(&app, &store, &line(&order, 1)["variant_id"], "vendor-b").await;
    let id = app.create_order(&order).await;
    assert!(
        eventually(WAIT, || async {
            live(&app.supplier_orders(&id).await)
                .iter()
                .filter(|p| p["status"] == json!("awaiting_shipment"))
                .count()
                == 2
        })
        .await
    );
    let token = vendor_token(&app, "a@vendor.test", "vendor-a").await;
    let get = |path: String| {
        let app = &app;
        let token = token.clone();
        async move {
            let response = app.get_as(&token, &path).await;
            expect_json(response, StatusCode::OK).await
        }
    };
    let mine = get(format!("/api/v1/orders/{id}/supplier-orders")).await;
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["supplier_account"], json!("vendor-a"));
    let so_b = live(&app.supplier_orders(&id).await)
        .into_iter()
        .find(|p| p["supplier_account"] == json!("vendor-b"))
        .unwrap();
    // Vendor B's parcel is invisible to vendor A, and vendor A cannot ship B's purchase.
    let response = ship(
        &app,
        &app.token,
        so_b["id"].as_str().unwrap(),
        json!({ "tracking_number": "RR123456785CN" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let parcels = get(format!("/api/v1/orders/{id}/parcels")).await;
    assert!(parcels.as_array().unwrap().is_empty(), "{parcels}");
    expect_error(
        ship(
            &app,
            &token,
            so_b["id"].as_str().unwrap(),
            json!({ "tracking_number": "RR000000013CN" }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let detail = get(format!("/api/v1/orders/{id}")).await;
    let text = detail.to_string();
    assert_eq!(detail["lines"].as_array().unwrap().len(), 1, "{detail}");
    assert!(!text.contains("vendor-b"), "{text}");
    assert!(!text.contains("RR123456785CN"), "{text}");
    app.stop().await;
}
