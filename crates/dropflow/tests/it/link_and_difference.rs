//! Two ways a person settles a purchase by hand (issue 10, deliver 1 and 3): linking it to a
//! supplier order they found, which is fetched and checked first (same items, same ship-to,
//! our reference), and buying only the difference when a line's quantity went up after its
//! purchase, from the API and from the order page's flag card.

use crate::dashboard_pages::Browser;
use crate::support::cj_world::{cj_shop, map_to, map_to_manual};
use crate::support::*;
use dropflow::suppliers::cj::{ApiKey, Cj, CjConfig};
use dropflow::suppliers::Supplier;
use dropflow_core::money::Money;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::{Placement, PurchaseLine, PurchaseRequest};
use dropflow_sandbox::faults::Faults;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// Whether the order's first purchase reaches `status` in time.
async fn first_purchase_reaches(app: &TestApp, id: &str, status: &str) -> bool {
    eventually(WAIT, || async {
        app.supplier_orders(id)
            .await
            .first()
            .is_some_and(|p| p["status"] == json!(status))
    })
    .await
}

/// A CJ order made outside dropflow (as a person would in CJ's dashboard), under `reference`.
async fn order_at_cj(cj: &Cj, reference: &str, quantity: u32, ship_to: &PostalAddress) -> String {
    let variant = &dropflow_sandbox::cj::variants()[0];
    let request = PurchaseRequest {
        attempt_id: reference.into(),
        lines: vec![PurchaseLine {
            supplier_product_id: variant.pid.clone(),
            supplier_sku_id: variant.vid.clone(),
            quantity,
            expected_unit_cost: Money::new(
                variant.price_cents,
                Currency::from_code("USD").unwrap(),
            ),
        }],
        ship_to: ship_to.clone(),
        email: None,
        shipping_method: None,
        price_guard_percent: None,
    };
    match cj.place(&request).await.unwrap() {
        Placement::Placed(order) => order.supplier_order_id,
        other => panic!("not placed at CJ: {other:?}"),
    }
}

/// A one-line CJ order whose placement CJ refused (its address), so it waits for a person.
async fn refused_purchase(app: &TestApp, store: &str, id: u64) -> (String, Value) {
    let order = one_line_order(id);
    map_to(app, store, &order, "cj").await;
    let id = app.create_order(&order).await;
    let refused = first_purchase_reaches(app, &id, "rejected").await;
    assert!(refused, "{:?}", app.supplier_orders(&id).await);
    let so = app.supplier_orders(&id).await[0].clone();
    (id, so)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_by_hand_is_checked_against_the_suppliers_order() {
    let (sandbox, app, store) = cj_shop().await;
    let connector = Cj::new(CjConfig::new(
        &sandbox.base_url,
        ApiKey::new(sandbox.api_key()),
    ));
    sandbox.faults.set(Faults {
        address_rejection_rate: 1.0,
        ..Faults::default()
    });
    let (id, so) = refused_purchase(&app, &store, 9_430_001).await;
    sandbox.faults.set(Faults::default());
    let so_id = so["id"].as_str().unwrap().to_string();
    let attempt = so["attempt_id"].as_str().unwrap().to_string();
    let bought = u32::try_from(so["items"][0]["quantity"].as_u64().unwrap()).unwrap();
    let ship_to: PostalAddress =
        serde_json::from_value(app.order_detail(&id).await["shipping_address"].clone()).unwrap();
    let link = format!("/api/v1/supplier-orders/{so_id}/link");

    // Another purchase's order: one unit more, another city, another reference. Refused,
    // each difference named; nothing linked.
    let mut elsewhere = ship_to.clone();
    elsewhere.city = Some("Springfield".into());
    let other = order_at_cj(&connector, "by-hand-1", bought + 1, &elsewhere).await;
    let refused = expect_error(
        app.api_post(&link, &json!({ "supplier_order_id": other }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(refused.contains("reference by-hand-1"), "{refused}");
    let more = format!("this purchase buys {bought}, cj's order has {}", bought + 1);
    assert!(refused.contains(&more), "{refused}");
    assert!(refused.contains("ship-to city"), "{refused}");
    assert!(refused.contains("accept_mismatch"), "{refused}");
    assert_eq!(
        app.supplier_orders(&id).await[0]["status"],
        json!("rejected")
    );
    // A number CJ does not have: refused, not overridable.
    expect_error(
        app.api_post(
            &link,
            &json!({ "supplier_order_id": "999999", "accept_mismatch": true }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;

    // The order the attempt really made (our reference, the same goods and address): linked.
    let real = order_at_cj(&connector, &attempt, bought, &ship_to).await;
    let linked = expect_json(
        app.api_post(&link, &json!({ "supplier_order_id": real }))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(linked["external_id"], json!(real), "{linked}");

    // A second refused purchase linked knowingly to a differing order: recorded with who.
    sandbox.faults.set(Faults {
        address_rejection_rate: 1.0,
        ..Faults::default()
    });
    let (id, so) = refused_purchase(&app, &store, 9_430_002).await;
    sandbox.faults.set(Faults::default());
    let so_id = so["id"].as_str().unwrap();
    let other = order_at_cj(&connector, "by-hand-2", bought + 1, &ship_to).await;
    let linked = expect_json(
        app.api_post(
            &format!("/api/v1/supplier-orders/{so_id}/link"),
            &json!({ "supplier_order_id": other, "accept_mismatch": true }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(linked["external_id"], json!(other));
    let detail = app.order_detail(&id).await;
    let timeline = detail["timeline"].to_string();
    assert!(timeline.contains("accepted the differences"), "{timeline}");
    assert!(timeline.contains("reference by-hand-2"), "{timeline}");
    assert!(timeline.contains("merchant:"), "{timeline}");
    app.stop().await;
}

/// Sends the one-line `order` mapped to vendor-a, and waits until it is handed to them; our
/// order's id.
async fn handed_to_vendor_a(app: &TestApp, store: &str, order: &Value) -> String {
    let variant = &order["line_items"][0]["variant_id"];
    map_to_manual(app, store, variant, "vendor-a").await;
    let id = app.create_order(order).await;
    let handed = first_purchase_reaches(app, &id, "awaiting_shipment").await;
    assert!(handed, "{:?}", app.supplier_orders(&id).await);
    id
}

/// Paid order `#id` with its first line only.
fn one_line_order(id: u64) -> Value {
    let mut order = numbered_paid_order(id);
    order["line_items"] = json!([order["line_items"][0].clone()]);
    order
}

/// A one-line order handed to vendor-a whose quantity then goes from 1 to 4: flagged.
async fn grown_after_handover(app: &TestApp, store: &str, id: u64) -> (String, Value) {
    let mut order = one_line_order(id);
    order["line_items"][0]["quantity"] = json!(1);
    order["line_items"][0]["current_quantity"] = json!(1);
    let id = handed_to_vendor_a(app, store, &order).await;
    order["line_items"][0]["quantity"] = json!(4);
    order["line_items"][0]["current_quantity"] = json!(4);
    app.send_update(&mut order, "orders/updated", 1).await;
    let flag = app.wait_flag(&id, "quantity_changed").await;
    (id, flag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_difference_is_bought_on_its_own_never_what_was_bought() {
    let (_sandbox, app, store) = cj_shop().await;
    let (id, flag) = grown_after_handover(&app, &store, 9_430_003).await;
    assert!(
        flag["detail"].as_str().unwrap().contains("quantity 1 → 4"),
        "{flag}"
    );
    assert_eq!(flag["line_position"], json!(0));
    let path = format!(
        "/api/v1/orders/{id}/flags/{}/replace-difference",
        flag["id"].as_str().unwrap()
    );
    let replaced = expect_json(app.api_post_empty(&path).await, StatusCode::ACCEPTED).await;
    assert_eq!(replaced["quantity"], json!(3), "{replaced}");
    assert!(replaced["flag"]["resolved_at"].is_string(), "{replaced}");
    assert!(replaced["flag"]["resolution"]
        .as_str()
        .unwrap()
        .contains("buys 3 more"));
    assert!(replaced["flag"]["resolved_by"].is_string());
    // Its own purchase, own attempt id, handed over by the usual place job; the first one
    // keeps its one unit.
    let new_id = replaced["supplier_order_id"].as_str().unwrap().to_string();
    let handed = eventually(WAIT, || async {
        app.supplier_orders(&id)
            .await
            .iter()
            .any(|p| p["id"] == json!(new_id) && p["status"] == json!("awaiting_shipment"))
    })
    .await;
    let all = app.supplier_orders(&id).await;
    assert!(handed, "{all:?}");
    assert_eq!(all.len(), 2);
    let (old, new): (Vec<&Value>, Vec<&Value>) = all.iter().partition(|p| p["id"] != json!(new_id));
    assert_eq!(old[0]["items"][0]["quantity"], json!(1));
    assert_eq!(new[0]["items"][0]["quantity"], json!(3));
    assert_ne!(old[0]["attempt_id"], new[0]["attempt_id"]);
    // Settled once: the same click again buys nothing.
    expect_error(
        app.api_post_empty(&path).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(app.supplier_orders(&id).await.len(), 2);
    // The same edit seen again raises nothing new.
    let detail = app.order_detail(&id).await;
    assert!(
        detail["timeline"]
            .to_string()
            .contains("re-placed the difference"),
        "{detail}"
    );

    // From the order page: the flag card offers it, and the form is CSRF-checked.
    let (id, flag) = grown_after_handover(&app, &store, 9_430_004).await;
    add_owner(&app, "owner@shop.example").await;
    let mut owner = Browser::sign_in(&app, "owner@shop.example").await;
    let page = owner.page(&format!("/orders/{id}")).await;
    assert!(page.contains("Buy the difference"), "{page}");
    let action = format!(
        "/orders/{id}/flags/{}/replace-difference",
        flag["id"].as_str().unwrap()
    );
    let forged = owner.post_form(&action, &[("csrf_token", "forged")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.supplier_orders(&id).await.len(), 1);
    let csrf = owner.csrf().await;
    let done = owner.post_form(&action, &[("csrf_token", &csrf)]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(
        eventually(WAIT, || async { app.supplier_orders(&id).await.len() == 2 }).await,
        "{:?}",
        app.supplier_orders(&id).await
    );
    let page = owner.page(&format!("/orders/{id}")).await;
    assert!(!page.contains("Buy the difference"), "{page}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_change_after_handover_says_what_to_ask_and_cannot_be_replaced() {
    let (_sandbox, app, store) = cj_shop().await;
    let mut order = one_line_order(9_430_005);
    let id = handed_to_vendor_a(&app, &store, &order).await;
    order["shipping_address"]["address1"] = json!("1 New Street");
    app.send_update(&mut order, "orders/updated", 2).await;
    assert!(eventually(WAIT, || async { !app.flags(&id).await.is_empty() }).await);
    let flag = app.flags(&id).await[0].clone();
    assert_eq!(flag["kind"], json!("address_changed"));
    assert!(
        flag["detail"]
            .as_str()
            .unwrap()
            .contains("make sure they send it to the new address"),
        "{flag}"
    );
    let path = format!(
        "/api/v1/orders/{id}/flags/{}/replace-difference",
        flag["id"].as_str().unwrap()
    );
    expect_error(
        app.api_post_empty(&path).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    app.stop().await;
}
