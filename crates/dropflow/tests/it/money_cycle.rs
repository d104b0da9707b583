//! Issue 16's end-to-end run, in one dropflow: the merchant's wallet is topped up by card
//! through Stripe Checkout under a forged and a repeated notice; a manual vendor's purchase is
//! bought from that wallet, delivered and earned; the vendor refunds a customer on a case and
//! is charged for it; the earning matures after its holding period, the vendor asks for a
//! payout and the owner records it paid, twice (the second changes nothing). The ledger
//! balances at every step, and every figure is the one the steps add up to.

use crate::support::cj_world::app_with;
use crate::support::*;
use crate::vendor_payouts::{balanced, deliver_line_a, purse, vendor_refunds};
use crate::wallet_stripe::{answered, available, post_webhook, start, stripe_config};
use chrono::Duration;
use dropflow::fulfilment::vendor_earnings;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_top_up_pays_a_vendor_purchase_whose_earning_is_charged_matured_and_paid_once() {
    let stripe = crate::wallet_stripe::stripe_sandbox().await;
    let config = stripe_config(&stripe);
    let cj = crate::support::cj_world::cj().await;
    let app = app_with(&cj, move |c| c.payments.stripe = Some(config)).await;
    stripe.set_webhook_url(&app.url("/webhooks/stripe"));
    let store = app.shopify_store().await;
    // The store has no Admin API access: the vendor's parcel waits for it, failed at once.
    app.expect_failed_jobs("shipment.push");

    // Top-up: a forged notice (another secret) and a tampered one write nothing; the real
    // one, delivered twice at once, credits once.
    let top_up = start(&app, &store, "120.00", "USD").await;
    let session = top_up["session_id"].as_str().expect("session").to_string();
    let event = stripe.complete(&session).expect("completed");
    let body = serde_json::to_vec(&event).unwrap();
    let now = chrono::Utc::now().timestamp();
    let forged = dropflow_sandbox::stripe::signature_header("whsec_forged", now, &body);
    expect_error(
        post_webhook(&app, &body, Some(&forged)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let mut tampered = event.clone();
    tampered["data"]["object"]["amount_total"] = json!(99_900_000);
    let genuine = dropflow_sandbox::stripe::signature_header(stripe.webhook_secret(), now, &body);
    expect_error(
        post_webhook(
            &app,
            &serde_json::to_vec(&tampered).unwrap(),
            Some(&genuine),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(available(&app, &store, "USD").await, "0.00");
    let (first, second) = tokio::join!(stripe.deliver(&event), stripe.deliver(&event));
    let mut said: Vec<String> = [first, second]
        .iter()
        .map(|d| answered(d).1["status"].as_str().unwrap_or("").to_string())
        .collect();
    said.sort();
    assert_eq!(said, ["already_settled", "credited"]);
    assert_eq!(available(&app, &store, "USD").await, "120.00");
    balanced(&app).await;

    // A vendor's purchase: handed over (a manual vendor is not paid from the wallet at
    // purchase), delivered, earned (2 units × 2.00 USD agreed), charged 1.00 for a refund.
    let world = crate::cases::handed_over_order(&app, &store, 9_826_001).await;
    let vendor = world.vendor_a.clone();
    deliver_line_a(&app, &world, 10_826_001).await;
    assert_eq!(
        purse(&app, &vendor).await,
        ("4.00".into(), "0.00".into(), "0.00".into())
    );
    vendor_refunds(&app, &world, "1.00", "E2E-REF-1").await;
    assert_eq!(
        purse(&app, &vendor).await,
        ("4.00".into(), "-1.00".into(), "0.00".into())
    );
    balanced(&app).await;

    // The holding period ends: 3.00 available; the vendor asks for all of it.
    let earnings = crate::vendor_payouts::earnings(&app, &vendor).await;
    let available_at = crate::vendor_payouts::at(&earnings["earnings"][0]["available_at"]);
    let early = vendor_earnings::tick(&app.db, available_at - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        early.matured, 0,
        "nothing matures before its holding period"
    );
    let ticked = vendor_earnings::tick(&app.db, available_at).await.unwrap();
    assert_eq!(ticked.matured, 1);
    assert_eq!(
        purse(&app, &vendor).await,
        ("0.00".into(), "3.00".into(), "0.00".into())
    );
    let asked = expect_json(
        app.post_as(
            &vendor,
            "/api/v1/vendors/vendor-a/payouts",
            &json!({"currency": "USD", "amount": "3.00"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let payout = asked["id"].as_str().expect("payout").to_string();

    // The owner records it paid; a second click (or a second owner) changes nothing.
    let pay = json!({"method": "bank_transfer", "reference": "E2E-TRX-1"});
    let path = format!("/api/v1/payouts/{payout}/pay");
    let (a, b) = tokio::join!(app.api_post(&path, &pay), app.api_post(&path, &pay));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses[0], StatusCode::OK, "{statuses:?}");
    assert_ne!(statuses[1], StatusCode::OK, "paid twice: {statuses:?}");
    assert_eq!(
        purse(&app, &vendor).await,
        ("0.00".into(), "0.00".into(), "3.00".into())
    );
    let statement = app.api_json(&format!("/api/v1/payouts/{payout}")).await;
    assert_eq!(statement["payout"]["status"], json!("paid"), "{statement}");
    // The statement adds up: nothing before, 4.00 earned, 1.00 charged, 3.00 paid, nothing
    // carried.
    for (field, amount) in [
        ("opening", "0.00"),
        ("earned", "4.00"),
        ("charged", "1.00"),
        ("paid", "3.00"),
        ("closing", "0.00"),
    ] {
        assert_eq!(statement[field], json!(amount), "{field}: {statement}");
    }
    // The order's profit is whole (a fee rule set: 2.9 % + 0.30 USD) and adds up: revenue less
    // every cost, the vendor's among them net of what it was charged back.
    expect_json(
        app.api_put(
            &format!("/api/v1/stores/{store}/payment-fee"),
            &json!({ "percent_bps": 290, "fixed_minor": 30, "fixed_currency": "USD" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let profit = app
        .api_json(&format!("/api/v1/orders/{}/profit", world.order))
        .await;
    assert_eq!(profit["complete"], json!(true), "{profit}");
    // The vendors' agreed costs: vendor A's 2 units and its reship's 1 (2.00 each), vendor
    // B's 1 unit, less the 1.00 vendor A was charged back.
    assert_eq!(profit["costs"]["vendor"], json!("7.00"), "{profit}");
    // 2.9 % of what the customer paid, rounded to the cent, plus 0.30.
    let charged = {
        let text = profit["charged"]
            .as_str()
            .expect("charged")
            .replace('.', "");
        text.parse::<i64>().expect("a number")
    };
    let fee = (charged * 290 + 5_000) / 10_000 + 30;
    assert_eq!(
        profit["costs"]["payment_fee"],
        json!(format!("{}.{:02}", fee / 100, fee % 100)),
        "{profit}"
    );
    let minor = |v: &serde_json::Value| -> i64 {
        v.as_str()
            .unwrap_or_else(|| panic!("an amount: {v}"))
            .replace('.', "")
            .parse()
            .expect("a number")
    };
    let costs: i64 = [
        "supplier",
        "warehouse",
        "payment_fee",
        "refund",
        "chargeback",
        "vendor",
    ]
    .iter()
    .map(|kind| minor(&profit["costs"][kind]))
    .sum();
    assert_eq!(costs, minor(&profit["cost_total"]), "{profit}");
    assert_eq!(
        minor(&profit["profit"]),
        minor(&profit["revenue"]) - costs,
        "{profit}"
    );
    // The wallet still holds the card top-up: nothing of the vendor's cycle came out of it
    // twice, and the books add up.
    assert_eq!(available(&app, &store, "USD").await, "120.00");
    balanced(&app).await;
    app.stop().await;
    stripe.shutdown().await;
}
