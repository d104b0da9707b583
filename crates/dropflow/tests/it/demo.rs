//! The end-to-end run: 1,000 orders over both store platforms, bought from AliExpress, CJ and
//! a manual vendor, with faults injected everywhere (unanswered calls that went through,
//! 5xx, 429, stock-outs, refused addresses, typos in vendor tracking numbers). It is
//! `dropflow demo --orders 1000 --json`, asserted.

use crate::support::TestDb;
use dropflow::demo::{self, DemoOptions};
use std::time::Duration;

/// A quiet demo of `orders` orders at `rate` a second on `db`, with or without faults, that
/// must end by `deadline`.
fn quiet_run(
    db: &TestDb,
    orders: usize,
    rate: f64,
    faults: bool,
    deadline: Duration,
) -> DemoOptions {
    DemoOptions {
        orders,
        rate,
        faults,
        listen: "127.0.0.1:0".into(),
        database: Some(db.url.clone()),
        deadline,
        progress: false,
        ..DemoOptions::default()
    }
}

/// The demo's checks, gathered: a failed run prints its summary and then ends with ONE short
/// line naming every check it failed (CI keeps only the end of a long output, and a
/// backtrace after a panic with the whole summary in it hid which check failed).
#[derive(Default)]
struct Checks {
    failed: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            self.failed.push(what.into());
        }
    }

    /// What every demo run keeps, whatever its scenario: all `orders` orders taken, the
    /// ledger balanced, the stores agreeing with us, nothing bought twice.
    fn sound(&mut self, summary: &demo::Summary, orders: usize) {
        self.check(
            summary.orders == orders,
            format!("orders {}", summary.orders),
        );
        self.check(summary.ledger_balanced, "ledger_balanced");
        for (name, value) in [
            ("store_mismatches", summary.store_mismatches),
            (
                "duplicate_supplier_orders",
                summary.duplicate_supplier_orders,
            ),
            ("refund_mismatches", summary.refund_mismatches),
            ("cases_unsettled", summary.cases_unsettled),
            ("credit_mismatches", summary.credit_mismatches),
        ] {
            self.check(value == 0, format!("{name} = {value}"));
        }
        self.check(summary.profit_reconciles, "profit_reconciles");
    }

    fn verdict(self, summary: &demo::Summary) -> Result<(), String> {
        if self.failed.is_empty() {
            return Ok(());
        }
        println!("{}", serde_json::to_string_pretty(summary).unwrap());
        Err(format!(
            "failed checks (summary above): {}",
            self.failed.join("; ")
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_with_faults_all_end_nothing_is_bought_twice_and_the_ledger_balances(
) -> Result<(), String> {
    let db = TestDb::create().await;
    let options = quiet_run(&db, 1000, 100.0, true, Duration::from_secs(900));
    // `run` returns only when every order is delivered (with its tracking on the store) or
    // stopped with a reason; otherwise it fails at the deadline naming how many were left.
    let (world, summary) = demo::run(&options)
        .await
        .map_err(|e| format!("the demo did not run to the end: {e:#}"))?;
    let mut checks = Checks::default();
    checks.sound(&summary, 1000);
    let count = |map: &std::collections::BTreeMap<String, usize>, key: &str| {
        map.get(key).copied().unwrap_or(0)
    };
    // Orders changed in the store at every stage: nothing bought that the store's order no
    // longer holds, nothing bought for a cancelled order without a flag for a person.
    checks.check(summary.changed_orders >= 100, "changed_orders >= 100");
    checks.check(summary.wrong_items_sent == 0, "wrong_items_sent == 0");
    checks.check(
        summary.cancelled_but_bought == 0,
        "cancelled_but_bought == 0",
    );
    // Faults were met and survived: retries happened, yet most orders were delivered.
    checks.check(
        summary.faults_met.values().sum::<u64>() > 0,
        "some fault was met",
    );
    // One order in ten is cancelled or refunded by the store on purpose.
    let delivered = count(&summary.by_state, "delivered");
    checks.check(delivered >= 750, format!("delivered {delivered} >= 750"));
    // Every order that stopped short says why.
    let stopped: usize = summary
        .by_state
        .iter()
        .filter(|(state, _)| state.as_str() != "delivered")
        .map(|(_, n)| n)
        .sum();
    checks.check(
        stopped == 0 || !summary.flagged_reasons.is_empty(),
        format!("{stopped} orders stopped with a reason"),
    );
    checks.check(
        summary.place_ms.count >= 850,
        format!("placed {} >= 850", summary.place_ms.count),
    );
    // The after-sale phase opened cases of every kind it opens, refunded through the stores
    // with their faults on, each refund exactly what the store paid back (checked in
    // `sound`).
    checks.check(
        summary.cases >= 20,
        format!("cases {} >= 20", summary.cases),
    );
    // A return-first case ends decided (here: refunded), so it is counted under `refund`;
    // its goods came back, as an exchange's did.
    for kind in ["refund", "reship", "exchange"] {
        checks.check(
            count(&summary.cases_by_resolution, kind) > 0,
            format!("a {kind} case"),
        );
    }
    // Every exchange's goods and at least one return-first case's came back and were
    // restocked.
    let restocked = count(&summary.cases_by_return, "restocked");
    let exchanges = count(&summary.cases_by_resolution, "exchange");
    checks.check(
        restocked > exchanges,
        format!("restocked {restocked} > exchanges {exchanges}"),
    );
    // Refunds made in wp-admin and returns asked for in the Shopify shop opened cases too.
    checks.check(
        summary.cases_opened_by_store >= 8,
        format!(
            "cases_opened_by_store {} >= 8",
            summary.cases_opened_by_store
        ),
    );
    // The merchant worked every case to an end: most closed (by themselves once settled),
    // the rest flagged with their reason (checked in `sound`).
    checks.check(
        summary.cases_closed * 2 >= summary.cases,
        format!(
            "cases_closed {} >= half of {}",
            summary.cases_closed, summary.cases
        ),
    );
    // Chargebacks delivered twice each are recorded once each; the one won says so.
    let chargebacks: usize = summary.chargebacks.values().sum();
    checks.check(chargebacks == 3, format!("chargebacks {chargebacks} == 3"));
    checks.check(count(&summary.chargebacks, "won") == 2, "2 chargebacks won");
    checks.check(
        summary.open_flags.get("chargeback").copied() == Some(3),
        "3 chargeback flags",
    );
    let verdict = checks.verdict(&summary);
    if verdict.is_ok() {
        signs_in_to_the_dashboard(&world).await;
    }
    world.stop().await;
    verdict
}

/// The demo ends with the dashboard's address and a sign-in made for it, and that sign-in
/// opens the orders list with the demo's orders.
async fn signs_in_to_the_dashboard(world: &demo::world::World) {
    let base = world.running.base_url();
    let note = demo::closing_note(world);
    let sign_in = &world.sign_in;
    assert!(note.contains(&format!("{base}/\n")), "{note}");
    assert!(
        note.contains(&sign_in.email) && note.contains(&sign_in.password),
        "{note}"
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookies = |response: &reqwest::Response| -> Vec<String> {
        response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next().map(str::to_string))
            .collect()
    };
    let form = client.get(format!("{base}/login")).send().await.unwrap();
    let mut jar = cookies(&form);
    let html = form.text().await.unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let at = html.find(marker).expect("a CSRF field") + marker.len();
    let csrf = &html[at..at + html[at..].find('"').unwrap()];
    let login = client
        .post(format!("{base}/login"))
        .header(reqwest::header::COOKIE, jar.join("; "))
        .form(&[
            ("email", sign_in.email.as_str()),
            ("password", sign_in.password.as_str()),
            ("csrf_token", csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        reqwest::StatusCode::SEE_OTHER,
        "the demo sign-in was refused"
    );
    jar.extend(cookies(&login));
    let orders = client
        .get(format!("{base}/orders"))
        .header(reqwest::header::COOKIE, jar.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(orders.status(), reqwest::StatusCode::OK);
    let page = orders.text().await.unwrap();
    assert!(
        page.contains("href=\"/orders/") && !page.contains("No orders here."),
        "the demo's orders are not listed"
    );
}

/// `dropflow demo --scenario warehouse`: bought at the marketplace, received, inspected (some
/// fail and are accepted), packed, carrier auto-picked, fee auto-paid, dispatched, written back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warehouse_scenario_takes_every_order_through_the_warehouse() {
    let db = TestDb::create().await;
    let options = DemoOptions {
        scenario: demo::Scenario::Warehouse,
        // Changes after the order are the plain scenario's test; the warehouse's own
        // cancellations are tested in warehouse.rs.
        changes: false,
        ..quiet_run(&db, 30, 30.0, false, Duration::from_secs(240))
    };
    let (world, summary) = demo::run(&options).await.expect("the demo runs to the end");
    let mut checks = Checks::default();
    checks.sound(&summary, 30);
    checks.verdict(&summary).unwrap();
    let report = serde_json::to_string_pretty(&summary).unwrap();
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
