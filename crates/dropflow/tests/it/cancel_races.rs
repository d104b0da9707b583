//! A store's cancellation or refund that lands while the supplier is still answering a
//! placement. The cancel job leaves an attempt in flight to its placer, so the placer's write
//! must settle the answer against the order as it stands by then: an unpaid order at a
//! supplier paid only through our call (CJ) is let go to lapse and never paid; one at a
//! supplier that takes payment by itself (AliExpress `try_to_pay`) is kept, followed and
//! flagged for a person. Nothing is ever left bought for a cancelled order without a flag
//! (the 1000-order demo's `cancelled_but_bought`).

use crate::placing::{app_with, map_order, sandboxes};
use crate::support::*;
use dropflow_sandbox::faults::Faults;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// How long each supplier takes before it acts on a call: long enough for the store's change
/// to be taken in meanwhile, short of the connectors' 1 s timeout.
const IN_FLIGHT: Duration = Duration::from_millis(700);

/// The store's later word on `order`: cancelled, or its money refunded.
async fn stop_in_store(app: &TestApp, order: &mut Value, refund: bool) {
    if refund {
        order["financial_status"] = json!("refunded");
        app.send_update(order, "orders/updated", 5).await;
    } else {
        order["cancelled_at"] = json!("2024-05-01T11:05:00-05:00");
        order["cancel_reason"] = json!("customer");
        app.send_update(order, "orders/cancelled", 5).await;
    }
}

fn of<'a>(purchases: &'a [Value], supplier: &str) -> &'a Value {
    purchases
        .iter()
        .find(|p| p["supplier"] == json!(supplier))
        .unwrap_or_else(|| panic!("no {supplier} purchase: {purchases:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_cancellation_or_refund_while_placing_is_let_go_or_flagged_never_lost() {
    let s = sandboxes().await;
    s.ali.set_fault_methods(&["aliexpress.ds.order.create"]);
    let slow = Faults {
        latency: IN_FLIGHT,
        ..Faults::default()
    };
    s.ali.faults.set(slow.clone());
    s.cj.faults.set(slow);
    let app = app_with(&s).await;
    let store = app.shopify_store().await;

    for (n, refund) in [(0u64, false), (1, true)] {
        // Line one is bought at AliExpress, line two at CJ.
        let mut order = paid_order(9_260_001 + n, &format!("#R{n}"));
        let first = order["line_items"][0].clone();
        order["line_items"] = json!([first.clone(), second_line(&first, "SKU-B", "Second item")]);
        map_order(&app, &store, &order).await;
        let id = app.create_order(&order).await;
        let in_flight = eventually(WAIT, || async {
            let p = app.supplier_orders(&id).await;
            p.len() == 2 && p.iter().all(|p| p["status"] == json!("placement_unknown"))
        })
        .await;
        assert!(
            in_flight,
            "never in flight: {:?}",
            app.supplier_orders(&id).await
        );
        stop_in_store(&app, &mut order, refund).await;

        // CJ is paid only through our call: placed after the store let go, it is left
        // unpaid to lapse there, its reserve released, and never paid.
        let cj_settled = eventually(WAIT, || async {
            of(&app.supplier_orders(&id).await, "cj")["status"] == json!("cancelled")
        })
        .await;
        let purchases = app.supplier_orders(&id).await;
        assert!(cj_settled, "refund {refund}: {purchases:?}");
        let cj = of(&purchases, "cj");
        let reason = cj["last_error"].as_str().unwrap_or_default();
        assert!(reason.contains("left unpaid to lapse"), "{cj}");
        let at_cj =
            s.cj.order(cj["attempt_id"].as_str().unwrap())
                .expect("placed at CJ");
        assert_eq!(at_cj.status, "CREATED", "paid at CJ after the store let go");

        // AliExpress charges by itself: kept and followed, with a flag telling the
        // merchant to cancel it in the buyer centre.
        let flag = app
            .wait_flag_saying(&id, "cancel_with_supplier", "takes payment by itself")
            .await;
        let ali = of(&app.supplier_orders(&id).await, "aliexpress").clone();
        assert_eq!(flag["supplier_order_id"], ali["id"], "{flag}");
        assert_eq!(ali["status"], json!("awaiting_payment"), "{ali}");
        let attempt = ali["attempt_id"].as_str().unwrap();
        assert_eq!(s.ali.orders_placed(attempt), 1);
    }

    // Nothing bought for either order is left without a flag.
    let unflagged = app
        .scalar(
            "SELECT COUNT(*) FROM supplier_orders s
             WHERE s.status IN ('placement_unknown', 'awaiting_payment', 'awaiting_shipment',
                   'shipped', 'delivered')
               AND NOT EXISTS (SELECT 1 FROM order_flags f WHERE f.supplier_order_id = s.id)",
        )
        .await;
    assert_eq!(unflagged, 0);
    app.stop().await;
}
