//! Cancellations reach the supplier (issue 10, deliver 2): an order cancelled in the store
//! after purchasing started is cancelled at CJ and at the 1688-style marketplace where their
//! APIs can, and a person is told, with the supplier's own words, where they cannot; a refund
//! of some lines lets go of the purchase of those lines only.

use crate::support::cj_world::{cj_shop, map_to, purchase, put_auto, top_up, wait_status};
use crate::support::*;
use crate::warehouse::{self as wh, World};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The store cancels `order` (a later snapshot, `orders/cancelled`).
async fn cancel_in_store(app: &TestApp, order: &mut Value) {
    order["cancelled_at"] = json!("2024-05-01T11:05:00-05:00");
    order["cancel_reason"] = json!("customer");
    app.send_update(order, "orders/cancelled", 5).await;
}

/// A paid one-line order mapped to CJ's first sandbox variant.
async fn cj_order(app: &TestApp, store: &str, id: u64) -> (String, Value) {
    let mut order = paid_order(id, &format!("#{id}"));
    order["line_items"] = json!([order["line_items"][0].clone()]);
    map_to(app, store, &order, "cj").await;
    let (_, ack) = app.shopify_order("orders/create", &order).await;
    (order_id(&ack), order)
}

/// The order's purchase from `supplier`, if any.
async fn purchase_at(app: &TestApp, id: &str, supplier: &str) -> Option<Value> {
    app.supplier_orders(id)
        .await
        .into_iter()
        .find(|p| p["supplier"] == json!(supplier))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_deletes_an_unconfirmed_cj_order_and_flags_a_paid_one() {
    let (cj, app, store) = cj_shop().await;

    // Placed, not paid (the wallet is empty): the CJ order is created, not confirmed.
    let (id, mut order) = cj_order(&app, &store, 9_420_001).await;
    let placed = eventually(WAIT, || async {
        purchase(&app, &id).await["last_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("payment failed"))
    })
    .await;
    assert!(placed, "{}", purchase(&app, &id).await);
    let attempt = purchase(&app, &id).await["attempt_id"]
        .as_str()
        .expect("attempt")
        .to_string();
    assert_eq!(cj.order(&attempt).expect("at CJ").status, "CREATED");
    cancel_in_store(&app, &mut order).await;
    let p = wait_status(&app, &id, "cancelled").await;
    assert_eq!(cj.order(&attempt).expect("at CJ").status, "CANCELLED");
    assert!(
        p["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("cancelled at cj:vendor-a")),
        "{p}"
    );
    assert!(app.flags(&id).await.is_empty());

    // Paid: CJ's API has no cancellation for a confirmed order, so a person is asked, in the
    // words of what CJ allows; nothing changes at CJ or here.
    top_up(&app, &store, "1000.00").await;
    let (id, mut order) = cj_order(&app, &store, 9_420_002).await;
    let p = wait_status(&app, &id, "awaiting_shipment").await;
    let attempt = p["attempt_id"].as_str().expect("attempt").to_string();
    cancel_in_store(&app, &mut order).await;
    let flag = app.wait_flag(&id, "cancel_with_supplier").await;
    let detail = flag["detail"].as_str().expect("detail");
    assert!(
        detail.contains("cancelled in the store after cj:vendor-a was paid"),
        "{detail}"
    );
    assert!(
        detail.contains("CJ's API cannot cancel a paid order"),
        "{detail}"
    );
    assert_eq!(
        purchase(&app, &id).await["status"],
        json!("awaiting_shipment")
    );
    assert_eq!(cj.order(&attempt).expect("at CJ").status, "UNSHIPPED");

    // Shipped meanwhile at CJ: refused, with what CJ says.
    let (id, mut order) = cj_order(&app, &store, 9_420_003).await;
    let p = wait_status(&app, &id, "awaiting_shipment").await;
    let attempt = p["attempt_id"].as_str().expect("attempt").to_string();
    cj.advance(Duration::from_secs(3 * 86_400));
    assert_eq!(cj.order(&attempt).expect("at CJ").status, "SHIPPED");
    cancel_in_store(&app, &mut order).await;
    assert!(
        eventually(WAIT, || async {
            app.flags(&id).await.iter().any(|f| {
                f["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("refused to cancel it: “CJ has shipped it"))
            })
        })
        .await,
        "{:?}",
        app.flags(&id).await
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_of_one_line_lets_go_of_that_lines_purchase_only() {
    let (cj, app, store) = cj_shop().await;
    // Line A at CJ (unpaid: empty wallet), line B with a manual vendor.
    let mut order = paid_order(9_420_004, "#9420004");
    let mut a = order["line_items"][0].clone();
    a["quantity"] = json!(1);
    a["current_quantity"] = json!(1);
    let mut b = a.clone();
    b["id"] = json!(a["id"].as_u64().expect("id") + 1_000);
    b["variant_id"] = json!(a["variant_id"].as_u64().expect("variant") + 1_000);
    b["sku"] = json!("SKU-B");
    order["line_items"] = json!([a.clone()]);
    map_to(&app, &store, &order, "cj").await;
    order["line_items"] = json!([b.clone()]);
    map_to(&app, &store, &order, "manual").await;
    order["line_items"] = json!([a, b]);
    let id = app.create_order(&order).await;
    let ready = eventually(WAIT, || async {
        let p = app.supplier_orders(&id).await;
        p.len() == 2
            && p.iter().any(|p| {
                p["supplier"] == json!("cj")
                    && p["last_error"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("payment failed"))
            })
            && p.iter().any(|p| {
                p["supplier"] == json!("manual") && p["status"] == json!("awaiting_shipment")
            })
    })
    .await;
    assert!(ready, "{:?}", app.supplier_orders(&id).await);
    let at_cj = purchase_at(&app, &id, "cj").await.expect("cj purchase");
    let attempt = at_cj["attempt_id"].as_str().expect("attempt").to_string();

    // The store refunds line A (Shopify: its current_quantity goes to 0).
    order["line_items"][0]["current_quantity"] = json!(0);
    order["financial_status"] = json!("partially_refunded");
    app.send_update(&mut order, "orders/updated", 7).await;
    let let_go = eventually(WAIT, || async {
        app.supplier_orders(&id)
            .await
            .iter()
            .any(|p| p["supplier"] == json!("cj") && p["status"] == json!("cancelled"))
    })
    .await;
    assert!(let_go, "{:?}", app.supplier_orders(&id).await);
    assert_eq!(cj.order(&attempt).expect("at CJ").status, "CANCELLED");
    let vendor = purchase_at(&app, &id, "manual")
        .await
        .expect("vendor purchase");
    assert_eq!(vendor["status"], json!("awaiting_shipment"));
    assert!(
        app.flags(&id).await.is_empty(),
        "{:?}",
        app.flags(&id).await
    );
    app.stop().await;
}

/// The warehouse world's one-line order, paid at the marketplace.
async fn paid_at_market(w: &World, id: u64) -> (String, Value) {
    let (order_id, order) = wh::order(w, id, 1).await;
    wh::all_paid(&w.app, &order_id, 1).await;
    (order_id, order)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_marketplace_cancels_unpaid_orders_and_refunds_paid_ones_before_shipment() {
    let w = wh::world().await;

    // Paid, the seller has not shipped: a refund request, which the seller agrees to.
    let (id, mut order) = paid_at_market(&w, 9_420_101).await;
    let external = w.app.supplier_orders(&id).await[0]["external_id"]
        .as_str()
        .expect("1688 order")
        .to_string();
    let before = w.market.balance_fen();
    cancel_in_store(&w.app, &mut order).await;
    let cancelled = eventually(WAIT, || async {
        w.app.supplier_orders(&id).await[0]["status"] == json!("cancelled")
    })
    .await;
    assert!(cancelled, "{:?}", w.app.supplier_orders(&id).await);
    let refunds = w.market.refunds();
    let asked = refunds
        .iter()
        .find(|r| r.order_id.to_string() == external)
        .expect("a refund request");
    assert_eq!(asked.dispute_request, "refund");
    assert_eq!(asked.goods_status, "refundWaitSellerSend");
    let at_market = w
        .market
        .orders()
        .into_iter()
        .find(|o| o.order_id.to_string() == external)
        .expect("order");
    assert_eq!(at_market.status, "cancel");
    assert!(w.market.balance_fen() > before);
    assert!(w.app.flags(&id).await.is_empty());

    // Shipped by the seller before the cancellation: refused, in 1688's words, and flagged.
    let (id, mut order) = paid_at_market(&w, 9_420_102).await;
    w.market.advance(wh::DAY + Duration::from_secs(3_600));
    cancel_in_store(&w.app, &mut order).await;
    let refused = eventually(WAIT, || async {
        w.app.flags(&id).await.iter().any(|f| {
            f["kind"] == json!("cancel_with_supplier")
                && f["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("the seller has shipped it"))
        })
    })
    .await;
    assert!(refused, "{:?}", w.app.flags(&id).await);
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_marketplace_order_is_cancelled_there() {
    let w = wh::world().await;
    // Placed, not paid: the store pays by hand.
    put_auto(&w.app, &w.store, true, false).await;
    let (id, mut order) = wh::order(&w, 9_420_103, 1).await;
    let placed = eventually(WAIT, || async {
        w.app
            .supplier_orders(&id)
            .await
            .first()
            .is_some_and(|p| p["status"] == json!("awaiting_payment"))
    })
    .await;
    assert!(placed, "{:?}", w.app.supplier_orders(&id).await);
    let external = w.app.supplier_orders(&id).await[0]["external_id"]
        .as_str()
        .expect("1688 order")
        .to_string();
    let calls = w.market.calls(dropflow_sandbox::marketplace::CANCEL);
    cancel_in_store(&w.app, &mut order).await;
    let cancelled = eventually(WAIT, || async {
        w.app.supplier_orders(&id).await[0]["status"] == json!("cancelled")
    })
    .await;
    assert!(cancelled, "{:?}", w.app.supplier_orders(&id).await);
    assert!(w.market.calls(dropflow_sandbox::marketplace::CANCEL) > calls);
    let status = w
        .market
        .orders()
        .into_iter()
        .find(|o| o.order_id.to_string() == external)
        .map(|o| o.status);
    assert_eq!(status, Some("cancel"));
    w.app.stop().await;
}
