//! A manual vendor's earnings and payouts (issue 16, "Money" item 2; seed 001: "Your earnings
//! from the sale will be recorded and become available for payout after the standard holding
//! period"): a delivered purchase earns its agreed cost, pending until the holding period is
//! over and available after it (the follower's tick, run here at chosen times); a refund the
//! vendor accepts on a case comes off, a negative balance carried forward; a request below
//! the minimum or above what is available is refused; the owner records a payout as paid, the
//! vendor is mailed and the statement lists what it covers; another vendor or account sees
//! nothing of it; and the ledger balances throughout. The vendor's and the owner's pages and
//! forms do the same; two followers, two owners paying, or two requests at once move money
//! once, under the purse's lock; the schedule asks once per period.

use crate::cases::{handed_over_order, open, ship_line_a, World, WAIT};
use crate::dashboard_pages::Browser;
use crate::support::cj_world::cj_shop;
use crate::support::*;
use chrono::{DateTime, Duration, Utc};
use dropflow::fulfilment::vendor_earnings;
use dropflow::storage::accounts::Role;
use dropflow::storage::ledger;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

pub(crate) async fn earnings(app: &TestApp, token: &str) -> Value {
    expect_json(
        app.get_as(token, "/api/v1/vendors/vendor-a/earnings").await,
        StatusCode::OK,
    )
    .await
}

/// Vendor A's one purse: (pending, available, paid).
pub(crate) async fn purse(app: &TestApp, token: &str) -> (String, String, String) {
    let all = earnings(app, token).await;
    let purses = all["purses"].as_array().expect("purses");
    assert_eq!(purses.len(), 1, "{all}");
    let text = |f: &str| purses[0][f].as_str().expect(f).to_string();
    (text("pending"), text("available"), text("paid"))
}

pub(crate) async fn balanced(app: &TestApp) {
    assert!(
        ledger::check_balanced(&app.db).await.unwrap(),
        "the ledger does not balance"
    );
}

/// Vendor A ships both units of line A, then marks the purchase delivered.
pub(crate) async fn deliver_line_a(app: &TestApp, world: &World, serial: u64) {
    ship_line_a(app, world, 2, serial).await;
    let response = app
        .post_as(
            &world.vendor_a,
            &format!("/api/v1/supplier-orders/{}/deliver", world.purchase_a),
            &json!({}),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
}

/// Vendor A accepts a case on one unit of line A by refunding `amount`.
pub(crate) async fn vendor_refunds(
    app: &TestApp,
    world: &World,
    amount: &str,
    reference: &str,
) -> String {
    let body = json!({ "reason": "wrong_item", "lines": [{ "line_id": world.line_a, "quantity": 1 }],
        "resolution": { "kind": "reship" } });
    let opened = expect_json(open(app, &world.order, &body).await, StatusCode::CREATED).await;
    let id = opened["id"].as_str().expect("case id").to_string();
    let asked = eventually(WAIT, || async {
        app.api_json(&format!("/api/v1/cases/{id}")).await["supplier"]["state"] == json!("asked")
    })
    .await;
    assert!(asked, "the vendor was never asked");
    expect_json(
        app.post_as(
            &world.vendor_a,
            &format!("/api/v1/cases/{id}/events"),
            &json!({"event": "supplier_credited", "amount": amount, "reference": reference}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    id
}

/// The CSRF token a page's forms carry.
fn csrf(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let at = page.find(marker).expect("a form") + marker.len();
    page[at..at + page[at..].find('"').expect("end")].to_string()
}

pub(crate) fn at(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_purchase_earns_after_its_holding_period_charges_carry_and_a_payout_is_recorded_once(
) {
    let (_cj, app, store) = cj_shop().await;
    // The store has no Admin API access: the vendor's parcel waits for it, failed at once.
    app.expect_failed_jobs("shipment.push");
    // The owner sets vendor A's minimum payout to 1.50 (holding period: the default 14 days).
    let settings = expect_json(
        app.api_put(
            "/api/v1/vendors/vendor-a/settings",
            &json!({"holding_days": 14, "minimum_minor": 150, "schedule": "on_request"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(settings["minimum_minor"], json!(150), "{settings}");
    for (body, field) in [
        (
            json!({"holding_days": 366, "minimum_minor": 0, "schedule": "weekly"}),
            "holding_days",
        ),
        (
            json!({"holding_days": 1, "minimum_minor": -1, "schedule": "weekly"}),
            "minimum",
        ),
        (
            json!({"holding_days": 1, "minimum_minor": 0, "schedule": "daily"}),
            "schedule",
        ),
    ] {
        let message = expect_error(
            app.api_put("/api/v1/vendors/vendor-a/settings", &body)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(message.starts_with(field), "{message}");
    }

    let world = handed_over_order(&app, &store, 9_816_001).await;
    let token = world.vendor_a.clone();
    // Handed over, not delivered: nothing earned yet.
    assert!(earnings(&app, &token).await["purses"]
        .as_array()
        .expect("purses")
        .is_empty());

    // Delivered: the agreed cost (2 × 2.00 USD) is pending, with the date it becomes
    // available 14 days after delivery.
    let before = Utc::now();
    deliver_line_a(&app, &world, 10_816_001).await;
    assert_eq!(
        purse(&app, &token).await,
        ("4.00".into(), "0.00".into(), "0.00".into())
    );
    let all = earnings(&app, &token).await;
    let earning = &all["earnings"][0];
    assert_eq!(
        earning["supplier_order_id"],
        json!(world.purchase_a),
        "{all}"
    );
    assert_eq!(earning["amount"], json!("4.00"));
    assert_eq!(earning["status"], json!("pending"));
    let delivered_at = at(&earning["delivered_at"]);
    let available_at = at(&earning["available_at"]);
    assert!(delivered_at >= before - Duration::seconds(1), "{all}");
    assert_eq!(available_at - delivered_at, Duration::days(14), "{all}");
    balanced(&app).await;

    // The vendor accepts a case by refunding 1.00: charged while its earning is pending,
    // available goes negative and is carried.
    let case = vendor_refunds(&app, &world, "1.00", "VA-REF-1").await;
    assert_eq!(
        purse(&app, &token).await,
        ("4.00".into(), "-1.00".into(), "0.00".into())
    );
    let charges = earnings(&app, &token).await["charges"].clone();
    assert_eq!(charges[0]["case_id"], json!(case), "{charges}");
    assert_eq!(charges[0]["amount"], json!("1.00"), "{charges}");
    let timeline = app.order_detail(&world.order).await["timeline"].to_string();
    assert!(
        timeline.contains("charged to the vendor's earnings"),
        "{timeline}"
    );
    balanced(&app).await;

    // Not a second before the holding period is over.
    let ticked = vendor_earnings::tick(&app.db, available_at - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(ticked.matured, 0);
    assert_eq!(
        purse(&app, &token).await,
        ("4.00".into(), "-1.00".into(), "0.00".into())
    );
    let message = expect_error(
        app.post_as(
            &token,
            "/api/v1/vendors/vendor-a/payouts",
            &json!({"currency": "USD", "amount": "1.50"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(
        message.contains("more than the -1.00 USD available"),
        "{message}"
    );

    // After it: available, the charge taken off; a second tick moves nothing.
    let ticked = vendor_earnings::tick(&app.db, available_at).await.unwrap();
    assert_eq!(ticked.matured, 1);
    assert_eq!(
        vendor_earnings::tick(&app.db, available_at + Duration::days(1))
            .await
            .unwrap()
            .matured,
        0
    );
    assert_eq!(
        purse(&app, &token).await,
        ("0.00".into(), "3.00".into(), "0.00".into())
    );
    assert_eq!(
        earnings(&app, &token).await["earnings"][0]["status"],
        json!("available")
    );
    balanced(&app).await;

    // Requests: below the minimum, above what is available, not the vendor's to make.
    for (amount, words) in [
        ("1.00", "below the vendor's minimum payout of 1.50 USD"),
        ("3.01", "more than the 3.00 USD available"),
        ("0", "must be more than zero"),
    ] {
        let message = expect_error(
            app.post_as(
                &token,
                "/api/v1/vendors/vendor-a/payouts",
                &json!({"currency": "USD", "amount": amount}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(message.starts_with("amount"), "{message}");
        assert!(message.contains(words), "{message}");
    }
    expect_error(
        app.api_post(
            "/api/v1/vendors/vendor-a/payouts",
            &json!({"currency": "USD", "amount": "2.00"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let asked = expect_json(
        app.post_as(
            &token,
            "/api/v1/vendors/vendor-a/payouts",
            &json!({"currency": "USD", "amount": "2.50"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(asked["status"], json!("requested"), "{asked}");
    let payout = asked["id"].as_str().expect("payout id").to_string();
    expect_error(
        app.post_as(
            &token,
            "/api/v1/vendors/vendor-a/payouts",
            &json!({"currency": "USD", "amount": "1.50"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    // Asked for, not paid: the balances do not move.
    assert_eq!(
        purse(&app, &token).await,
        ("0.00".into(), "3.00".into(), "0.00".into())
    );

    // Another vendor, another account's owner, staff: nothing of it.
    let vendor_b = vendor_token(&app, "b9816001@vendor.test", "vendor-b").await;
    for path in [
        "/api/v1/vendors/vendor-a/earnings".to_string(),
        format!("/api/v1/payouts/{payout}"),
    ] {
        expect_error(
            app.get_as(&vendor_b, &path).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    expect_error(
        app.post_as(
            &vendor_b,
            "/api/v1/vendors/vendor-a/payouts",
            &json!({"currency": "USD", "amount": "2.00"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let other_account = new_account(&app, "Elsewhere").await;
    let stranger = user_token(
        &app,
        &other_account,
        "owner@elsewhere.test",
        Role::Owner,
        &[],
    )
    .await;
    for path in [
        "/api/v1/vendors/vendor-a/earnings",
        "/api/v1/vendors/vendor-a/settings",
    ] {
        expect_error(
            app.get_as(&stranger, path).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    expect_error(
        app.get_as(&stranger, &format!("/api/v1/payouts/{payout}"))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.post_as(
            &stranger,
            &format!("/api/v1/payouts/{payout}/pay"),
            &json!({"method": "paypal", "reference": "X"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let theirs = expect_json(
        app.get_as(&stranger, "/api/v1/vendors").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["purses"], json!([]), "{theirs}");
    assert_eq!(theirs["requests"], json!([]), "{theirs}");
    let staff_stores = [app.shopify_store_id().await];
    let staff = member_token(&app, "staff@shop.test", Role::Staff, &staff_stores).await;
    expect_error(
        app.get_as(&staff, "/api/v1/vendors").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        app.post_as(
            &token,
            &format!("/api/v1/payouts/{payout}/pay"),
            &json!({"method": "paypal", "reference": "X"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // The owner sees the request, and records it as paid.
    let mine = app.api_json("/api/v1/vendors").await;
    assert_eq!(mine["requests"][0]["id"], json!(payout), "{mine}");
    assert_eq!(mine["purses"][0]["vendor"], json!("vendor-a"), "{mine}");
    let message = expect_error(
        app.api_post(
            &format!("/api/v1/payouts/{payout}/pay"),
            &json!({"method": "carrier_pigeon", "reference": "X"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(message.starts_with("method"), "{message}");
    let paid = expect_json(
        app.api_post(
            &format!("/api/v1/payouts/{payout}/pay"),
            &json!({"method": "bank_transfer", "reference": "TRX-9816"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(paid["payout"]["status"], json!("paid"), "{paid}");
    assert_eq!(paid["payout"]["method"], json!("bank_transfer"), "{paid}");
    assert_eq!(paid["payout"]["reference"], json!("TRX-9816"), "{paid}");
    assert_eq!(
        (
            &paid["opening"],
            &paid["earned"],
            &paid["charged"],
            &paid["paid"],
            &paid["closing"]
        ),
        (
            &json!("0.00"),
            &json!("4.00"),
            &json!("1.00"),
            &json!("2.50"),
            &json!("0.50")
        ),
        "{paid}"
    );
    let lines = paid["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2, "{paid}");
    assert!(lines.iter().any(|l| l["kind"] == json!("earning")
        && l["reference"] == json!(world.purchase_a)
        && l["amount"] == json!("4.00")));
    assert!(lines
        .iter()
        .any(|l| l["kind"] == json!("charge") && l["amount"] == json!("-1.00")));
    assert_eq!(
        purse(&app, &token).await,
        ("0.00".into(), "0.50".into(), "2.50".into())
    );
    // The vendor reads the same statement; the earning now shows as paid.
    let read = expect_json(
        app.get_as(&token, &format!("/api/v1/payouts/{payout}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["closing"], json!("0.50"), "{read}");
    assert_eq!(
        earnings(&app, &token).await["earnings"][0]["status"],
        json!("paid")
    );
    // Once only.
    expect_error(
        app.api_post(
            &format!("/api/v1/payouts/{payout}/pay"),
            &json!({"method": "bank_transfer", "reference": "TRX-9816"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    // The vendor's mail: what was sent, how, and what it covers.
    let mails = sqlx::query(
        "SELECT recipient, subject, text_body FROM outbox WHERE kind = 'vendor_payout'",
    )
    .fetch_all(&app.db.reader)
    .await
    .unwrap();
    assert_eq!(mails.len(), 1);
    let recipient: String = mails[0].get("recipient");
    let subject: String = mails[0].get("subject");
    let text: String = mails[0].get("text_body");
    assert_eq!(recipient, "a9816001@vendor.test");
    assert!(
        subject.starts_with("Payout of 2.50 USD sent by"),
        "{subject}"
    );
    for words in [
        "bank transfer",
        "TRX-9816",
        "Earning",
        "4.00 USD",
        "-1.00 USD",
        "0.50 USD",
    ] {
        assert!(text.contains(words), "{words} missing: {text}");
    }

    // Every movement is in the ledger the wallet shows, balanced.
    let entries = app
        .api_json(&format!("/api/v1/stores/{store}/wallet/entries"))
        .await;
    let kinds: Vec<&str> = entries
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|k| k.starts_with("vendor_"))
        .collect();
    assert_eq!(
        kinds,
        [
            "vendor_payout",
            "vendor_mature",
            "vendor_charge",
            "vendor_earning"
        ],
        "{entries}"
    );
    for entry in entries.as_array().expect("entries") {
        let sum: i64 = entry["postings"]
            .as_array()
            .expect("postings")
            .iter()
            .map(|p| {
                let amount = p["amount"].as_str().expect("amount").replace('.', "");
                amount.parse::<i64>().expect("an amount")
            })
            .sum();
        assert_eq!(sum, 0, "{entry}");
    }
    balanced(&app).await;

    // The pages: the vendor's earnings with the available date, its statement, the owner's
    // desk.
    let mut browser = Browser::sign_in(&app, "a9816001@vendor.test").await;
    let page = browser.page("/vendor/earnings").await;
    assert!(page.contains("id=\"balances\""), "{page}");
    assert!(page.contains(">0.50<") && page.contains(">2.50<"), "{page}");
    assert!(page.contains("Available from"), "{page}");
    assert!(page.contains(&format!("/payouts/{payout}")), "{page}");
    let statement = browser.page(&format!("/payouts/{payout}")).await;
    assert!(
        statement.contains("Carried to the next payout"),
        "{statement}"
    );
    assert!(statement.contains("TRX-9816"), "{statement}");
    add_owner(&app, "boss@shop.test").await;
    let mut owner = Browser::sign_in(&app, "boss@shop.test").await;
    let desk = owner.page("/vendors/payouts").await;
    assert!(desk.contains("id=\"no-requests\""), "{desk}");
    assert!(desk.contains("vendor-a"), "{desk}");

    // The forms: the vendor's request below the minimum is refused on its page; the owner
    // lowers the minimum, the vendor asks again, the owner records it as paid.
    let vendor_csrf = csrf(&page);
    let asked = browser
        .post_form(
            "/vendor/payouts",
            &[
                ("csrf_token", &vendor_csrf),
                ("currency", "USD"),
                ("amount", "0.50"),
            ],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let refused = browser.page("/vendor/earnings").await;
    assert!(
        refused.contains("below the vendor&#39;s minimum payout")
            || refused.contains("below the vendor's minimum payout"),
        "{refused}"
    );
    let owner_csrf = csrf(&desk);
    let saved = owner
        .post_form(
            "/vendors/vendor-a/settings",
            &[
                ("csrf_token", &owner_csrf),
                ("holding_days", "7"),
                ("minimum_minor", "0"),
                ("schedule", "monthly"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let settings = app.api_json("/api/v1/vendors/vendor-a/settings").await;
    assert_eq!(
        (
            &settings["holding_days"],
            &settings["minimum_minor"],
            &settings["schedule"]
        ),
        (&json!(7), &json!(0), &json!("monthly")),
        "{settings}"
    );
    browser
        .post_form(
            "/vendor/payouts",
            &[
                ("csrf_token", &vendor_csrf),
                ("currency", "USD"),
                ("amount", "0.50"),
            ],
        )
        .await;
    let desk = owner.page("/vendors/payouts").await;
    assert!(desk.contains("id=\"requests\""), "{desk}");
    let second = app.api_json("/api/v1/vendors").await["requests"][0]["id"]
        .as_str()
        .expect("the request")
        .to_string();
    let recorded = owner
        .post_form(
            &format!("/payouts/{second}/pay"),
            &[
                ("csrf_token", &owner_csrf),
                ("method", "paypal"),
                ("reference", "PP-77"),
            ],
        )
        .await;
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        purse(&app, &token).await,
        ("0.00".into(), "0.00".into(), "3.00".into())
    );
    let statement = browser.page(&format!("/payouts/{second}")).await;
    assert!(statement.contains("PP-77"), "{statement}");
    assert!(statement.contains(">0.50<"), "carried forward: {statement}");
    balanced(&app).await;
    app.allow_pending_jobs();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_request_moves_nothing_and_the_schedule_asks_for_the_whole_balance() {
    let (_cj, app, store) = cj_shop().await;
    // The store has no Admin API access: the vendor's parcel waits for it, failed at once.
    app.expect_failed_jobs("shipment.push");
    expect_json(
        app.api_put(
            "/api/v1/vendors/vendor-a/settings",
            &json!({"holding_days": 0, "minimum_minor": 100, "schedule": "weekly"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let world = handed_over_order(&app, &store, 9_816_002).await;
    let token = world.vendor_a.clone();
    deliver_line_a(&app, &world, 10_816_002).await;
    let earning = earnings(&app, &token).await["earnings"][0].clone();
    let available_at = at(&earning["available_at"]);
    assert_eq!(
        available_at,
        at(&earning["delivered_at"]),
        "no holding: {earning}"
    );

    // Two followers at once: the earning moves once.
    let (one, two) = tokio::join!(
        vendor_earnings::tick(&app.db, available_at - Duration::seconds(1)),
        vendor_earnings::tick(&app.db, available_at - Duration::seconds(1))
    );
    assert_eq!(
        one.unwrap().matured + two.unwrap().matured,
        0,
        "not before its time"
    );
    // The schedule: a request for everything available, once per week.
    let ticked = vendor_earnings::tick(&app.db, available_at).await.unwrap();
    assert_eq!((ticked.matured, ticked.requested), (1, 1));
    let again = vendor_earnings::tick(&app.db, available_at + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(again.requested, 0, "once per period");
    let payouts = earnings(&app, &token).await["payouts"].clone();
    assert_eq!(payouts[0]["amount"], json!("4.00"), "{payouts}");
    assert_eq!(payouts[0]["requested_by"], json!("schedule"), "{payouts}");
    let payout = payouts[0]["id"].as_str().expect("id").to_string();

    // Declined: nothing moves, the vendor reads why, and it cannot be paid after.
    expect_error(
        app.api_post(
            &format!("/api/v1/payouts/{payout}/decline"),
            &json!({"note": " "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    let declined = expect_json(
        app.api_post(
            &format!("/api/v1/payouts/{payout}/decline"),
            &json!({"note": "invoice missing"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(declined["status"], json!("declined"), "{declined}");
    expect_error(
        app.api_post(
            &format!("/api/v1/payouts/{payout}/pay"),
            &json!({"method": "paypal", "reference": "P-1"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(
        purse(&app, &token).await,
        ("0.00".into(), "4.00".into(), "0.00".into())
    );
    let read = expect_json(
        app.get_as(&token, &format!("/api/v1/payouts/{payout}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["payout"]["note"], json!("invoice missing"), "{read}");
    assert_eq!(read["lines"], json!([]), "nothing covered: {read}");
    // The vendor asks twice at once: one request is opened, the other refused as open.
    let ask_body = json!({"currency": "USD", "amount": "1.00"});
    let ask = || app.post_as(&token, "/api/v1/vendors/vendor-a/payouts", &ask_body);
    let (first, second) = tokio::join!(ask(), ask());
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let open = earnings(&app, &token).await["payouts"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    expect_json(
        app.api_post(
            &format!("/api/v1/payouts/{open}/decline"),
            &json!({"note": "wait for the weekly payout"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // Next week the schedule asks again.
    let next_week = vendor_earnings::tick(&app.db, available_at + Duration::days(7))
        .await
        .unwrap();
    assert_eq!(next_week.requested, 1);
    let payout = earnings(&app, &token).await["payouts"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    // Two owners record it at once: paid once, never more than is available.
    let pay_path = format!("/api/v1/payouts/{payout}/pay");
    let pay_body = json!({"method": "wise", "reference": "W-1"});
    let pay = || app.api_post(&pay_path, &pay_body);
    let (first, second) = tokio::join!(pay(), pay());
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    assert_eq!(
        purse(&app, &token).await,
        ("0.00".into(), "0.00".into(), "4.00".into())
    );
    balanced(&app).await;
    app.allow_pending_jobs();
    app.stop().await;
}

/// Issue 16: "the vendor's earning (the cost agreed in the mapping, plus its shipping)". The
/// mapping's offer takes a shipping cost (refused below zero, read back as set); the purchase
/// routed from it costs the goods plus the shipping once; delivered, the vendor earns exactly
/// that, and the order's profit counts the same vendor cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_earns_its_goods_plus_the_shipping_agreed_in_the_mapping() {
    let (_cj, app, store) = cj_shop().await;
    app.expect_failed_jobs("shipment.push");

    // The field round-trips through the mapping API; a negative or over-precise one is 422.
    let offer = |shipping: &str| {
        json!({ "variant_id": "shipping-probe", "components": [{ "offers": [{
            "supplier": "manual", "account": "vendor-a", "supplier_product_id": "p",
            "supplier_sku_id": "s", "unit_cost": "2.00", "currency": "USD",
            "shipping_cost": shipping }] }] })
    };
    for bad in ["-0.01", "1.001", "lots"] {
        let message = expect_error(
            app.api_put(&format!("/api/v1/stores/{store}/mappings"), &offer(bad))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(
            message.starts_with("components[0].offers[0].shipping_cost"),
            "{message}"
        );
    }
    let stored = app.put_mapping(&store, &offer("1.25")).await;
    let shipping = &stored["mapping"]["components"][0]["offers"][0]["shipping_cost"];
    assert_eq!(
        shipping,
        &json!({"minor": 125, "currency": "USD"}),
        "{stored}"
    );
    let listed = app
        .api_json(&format!("/api/v1/stores/{store}/mappings"))
        .await;
    let probe = listed
        .as_array()
        .expect("mappings")
        .iter()
        .find(|m| m["key_value"] == "shipping-probe")
        .expect("the probe")
        .clone();
    assert_eq!(
        probe["mapping"]["components"][0]["offers"][0]["shipping_cost"],
        *shipping
    );

    // Vendor A's offer: 2.00 a unit plus 1.25 shipping; the order buys 2 units.
    let world = crate::cases::handed_over_order_with(&app, &store, 9_818_001, Some("1.25")).await;
    let purchase = app
        .supplier_orders(&world.order)
        .await
        .into_iter()
        .find(|p| p["id"] == json!(world.purchase_a))
        .expect("vendor A's purchase");
    assert_eq!(purchase["cost_minor"], json!(2 * 200 + 125), "{purchase}");
    assert_eq!(
        purchase["items"][0]["shipping_minor"],
        json!(125),
        "{purchase}"
    );
    assert_eq!(purchase["items"][0]["quantity"], json!(2), "{purchase}");

    deliver_line_a(&app, &world, 10_818_001).await;
    assert_eq!(
        purse(&app, &world.vendor_a).await,
        ("5.25".into(), "0.00".into(), "0.00".into())
    );
    let all = earnings(&app, &world.vendor_a).await;
    assert_eq!(all["earnings"][0]["amount"], json!("5.25"), "{all}");
    balanced(&app).await;

    // The order's profit counts vendor A's 5.25 and vendor B's 2.00 (its purchase not
    // delivered: its price), and adds up.
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
    assert_eq!(profit["costs"]["vendor"], json!("7.25"), "{profit}");
    let minor = |v: &Value| -> i64 {
        v.as_str()
            .unwrap_or_else(|| panic!("an amount: {v}"))
            .replace('.', "")
            .parse()
            .expect("a number")
    };
    assert_eq!(
        minor(&profit["profit"]),
        minor(&profit["revenue"]) - minor(&profit["cost_total"]),
        "{profit}"
    );
    app.stop().await;
}
