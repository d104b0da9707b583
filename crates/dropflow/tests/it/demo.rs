//! The end-to-end run: 1,000 orders over both store platforms, bought from AliExpress, CJ and
//! a manual vendor, with faults injected everywhere (unanswered calls that went through,
//! 5xx, 429, stock-outs, refused addresses, typos in vendor tracking numbers). It is
//! `dropflow demo --orders 1000 --json`, asserted.

use crate::support::TestDb;
use dropflow::demo::{self, DemoOptions};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_with_faults_all_end_nothing_is_bought_twice_and_the_ledger_balances() {
    let db = TestDb::create().await;
    let options = DemoOptions {
        orders: 1000,
        rate: 100.0,
        faults: true,
        listen: "127.0.0.1:0".into(),
        database: Some(db.url.clone()),
        deadline: Duration::from_secs(900),
        progress: false,
        ..DemoOptions::default()
    };
    // `run` returns only when every order is delivered (with its tracking on the store) or
    // stopped with a reason; otherwise it fails at the deadline naming how many were left.
    let (world, summary) = demo::run(&options).await.expect("the demo runs to the end");
    let report = serde_json::to_string_pretty(&summary).unwrap();
    assert_eq!(summary.orders, 1000, "{report}");
    assert_eq!(summary.duplicate_supplier_orders, 0, "{report}");
    // Orders changed in the store at every stage: nothing bought that the store's order no
    // longer holds, nothing bought for a cancelled order without a flag for a person.
    assert!(summary.changed_orders >= 100, "{report}");
    assert_eq!(summary.wrong_items_sent, 0, "{report}");
    assert_eq!(summary.cancelled_but_bought, 0, "{report}");
    assert!(summary.ledger_balanced, "{report}");
    assert_eq!(summary.store_mismatches, 0, "{report}");
    // Faults were met and survived: retries happened, yet most orders were delivered.
    assert!(
        summary.faults_met.values().sum::<u64>() > 0,
        "no fault was met: {report}"
    );
    // One order in ten is cancelled or refunded by the store on purpose.
    let delivered = summary.by_state.get("delivered").copied().unwrap_or(0);
    assert!(delivered >= 750, "only {delivered} delivered: {report}");
    // Every order that stopped short says why.
    let stopped: usize = summary
        .by_state
        .iter()
        .filter(|(state, _)| state.as_str() != "delivered")
        .map(|(_, n)| n)
        .sum();
    assert!(
        stopped == 0 || !summary.flagged_reasons.is_empty(),
        "{stopped} orders stopped without a reason: {report}"
    );
    assert!(summary.place_ms.count >= 850, "{report}");
    world.stop().await;
}

/// `dropflow demo --scenario warehouse`: bought at the marketplace, received, inspected (some
/// fail and are accepted), packed, carrier auto-picked, fee auto-paid, dispatched, written back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warehouse_scenario_takes_every_order_through_the_warehouse() {
    let db = TestDb::create().await;
    let options = DemoOptions {
        orders: 30,
        rate: 30.0,
        faults: false,
        listen: "127.0.0.1:0".into(),
        database: Some(db.url.clone()),
        deadline: Duration::from_secs(240),
        progress: false,
        scenario: demo::Scenario::Warehouse,
        // Changes after the order are the plain scenario's test; the warehouse's own
        // cancellations are tested in warehouse.rs.
        changes: false,
        ..DemoOptions::default()
    };
    let (world, summary) = demo::run(&options).await.expect("the demo runs to the end");
    let report = serde_json::to_string_pretty(&summary).unwrap();
    assert_eq!(summary.orders, 30, "{report}");
    assert!(summary.ledger_balanced, "{report}");
    assert_eq!(summary.store_mismatches, 0, "{report}");
    assert_eq!(summary.duplicate_supplier_orders, 0, "{report}");
    // Orders changed in the store at every stage: nothing bought that the store's order no
    // longer holds, nothing bought for a cancelled order without a flag for a person.
    assert!(summary.changed_orders >= 100, "{report}");
    assert_eq!(summary.wrong_items_sent, 0, "{report}");
    assert_eq!(summary.cancelled_but_bought, 0, "{report}");
    let through: usize = summary
        .by_state
        .iter()
        .filter(|(s, _)| matches!(s.as_str(), "warehouse:dispatched" | "warehouse:delivered"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(through, 30, "{report}");
    // Every international parcel is on its store, none of the sellers' domestic ones.
    let domestic: i64 = dropflow::storage::warehouse::domestic_on_shipments(&world.db)
        .await
        .unwrap();
    assert_eq!(domestic, 0, "{report}");
    world.stop().await;
}
