//! The audit log (issue 16, "Exports and audit"): a change to settings, Admin access, the
//! return address, mappings, exchange rates, vendors' payout settings, the warehouse's rate
//! tables and refund rules, or money (top-ups by hand and by card, vendor payouts asked for,
//! declined and paid) is recorded with its actor and the subject before and after, in the
//! change's own transaction; a secret is never recorded; a
//! refused change records nothing; another account sees none of it; the `/audit` page shows
//! the same entries.

use crate::support::users::{add_owner, new_account, token_for, user_token};
use crate::support::*;
use dropflow::storage::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The account's audit entries the API lists for `query`, newest first.
async fn audit(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page = expect_json(
        app.get_as(token, &format!("/api/v1/audit{query}")).await,
        StatusCode::OK,
    )
    .await;
    page["entries"].as_array().expect("entries").clone()
}

const SETTINGS: &str = r#"{"auto_order": false, "auto_pay": true, "price_guard_percent": 15,
    "notify_customer": true, "place_within_hours": 24, "tracking_within_days": 5,
    "stale_tracking_hours": 72, "buy_when_authorized": false}"#;

#[tokio::test]
async fn a_settings_change_records_its_actor_before_and_after_and_a_refused_one_nothing() {
    let app = TestApp::spawn_with_shop().await;
    let store = app.shopify_store_id().await.to_string();
    let owner = add_owner(&app, "owner@example.com").await;
    let token = token_for(&app, &owner).await;
    let before = app
        .api_json(&format!("/api/v1/stores/{store}/settings"))
        .await;
    let input: Value = serde_json::from_str(SETTINGS).expect("json");
    expect_json(
        app.put_as(&token, &format!("/api/v1/stores/{store}/settings"), &input)
            .await,
        StatusCode::OK,
    )
    .await;

    let entries = audit(&app, &token, "").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry["actor"], json!(format!("user:{}", owner.id)));
    assert_eq!(entry["action"], "settings.update");
    assert_eq!(entry["subject_kind"], "settings");
    assert_eq!(entry["subject_id"], json!(store));
    assert_eq!(entry["store_id"], json!(store));
    for (field, value) in input.as_object().expect("object") {
        assert_eq!(&entry["after"][field], value, "after.{field}");
        assert_eq!(entry["before"][field], before[field], "before.{field}");
    }
    assert_ne!(entry["before"], entry["after"]);

    // A refused change (a threshold out of range) writes nothing, so records nothing.
    let mut bad = input.clone();
    bad["place_within_hours"] = json!(0);
    let refused = app
        .put_as(&token, &format!("/api/v1/stores/{store}/settings"), &bad)
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad_rate = app
        .put_as(
            &token,
            "/api/v1/fx-rates",
            &json!({"base": "USD", "rates": {"EUR": "-1"}}),
        )
        .await;
    assert!(bad_rate.status().is_client_error(), "{}", bad_rate.status());
    let top_up = app
        .post_as(
            &token,
            &format!("/api/v1/stores/{store}/wallet/top-ups"),
            &json!({"amount": "0", "currency": "USD"}),
        )
        .await;
    assert_eq!(top_up.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit(&app, &token, "").await.len(), 1);
    assert_eq!(app.rows("audit_log").await, 1);

    // A top-up is money: recorded with the wallet before and after.
    expect_json(
        app.post_as(
            &token,
            &format!("/api/v1/stores/{store}/wallet/top-ups"),
            &json!({"amount": "40.00", "currency": "USD"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let money = audit(&app, &token, "?subject=wallet").await;
    assert_eq!(money.len(), 1, "{money:?}");
    assert_eq!(money[0]["action"], "wallet.top_up");
    assert_eq!(money[0]["before"]["available"], "0.00");
    assert_eq!(money[0]["after"]["available"], "40.00");
    assert_eq!(money[0]["after"]["amount"], "40.00");

    // Filters: by subject and id, by store, by time; a bad one is 400 naming it.
    assert_eq!(
        audit(&app, &token, &format!("?subject=settings:{store}"))
            .await
            .len(),
        1
    );
    assert_eq!(
        audit(&app, &token, &format!("?store={store}")).await.len(),
        2
    );
    assert!(audit(&app, &token, "?to=2000-01-01").await.is_empty());
    let message = expect_error(
        app.get_as(&token, "/api/v1/audit?from=soon").await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert!(message.starts_with("from"), "{message}");

    // Another account's owner sees none of it, and not the store.
    let other = new_account(&app, "Other").await;
    let stranger = user_token(&app, &other, "owner@other.example", Role::Owner, &[]).await;
    assert!(audit(&app, &stranger, "").await.is_empty());
    let not_theirs = app
        .get_as(&stranger, &format!("/api/v1/audit?store={store}"))
        .await;
    assert_eq!(not_theirs.status(), StatusCode::NOT_FOUND);
    // Staff do not read the log.
    let staff = user_token(
        &app,
        dropflow::storage::accounts::DEFAULT_ACCOUNT,
        "staff@example.com",
        Role::Staff,
        &[store.parse().expect("id")],
    )
    .await;
    assert_eq!(
        app.get_as(&staff, "/api/v1/audit").await.status(),
        StatusCode::FORBIDDEN
    );

    // The page shows the same entries to the owner.
    let mut browser = crate::dashboard_pages::Browser::sign_in(&app, "owner@example.com").await;
    let page = browser.page("/audit").await;
    assert!(page.contains("settings.update"), "{page}");
    assert!(page.contains("wallet.top_up"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn secrets_are_never_recorded() {
    let app = TestApp::spawn().await;
    let store = app.shopify_store().await;
    let shop = dropflow_sandbox::shopify_admin::start(Default::default())
        .await
        .expect("shopify admin sandbox");
    app.connect_shopify_admin(&store, &shop).await;
    let entries = app.api_json("/api/v1/audit?subject=store_admin").await;
    let entries = entries["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry["action"], "store_admin.set");
    assert_eq!(entry["after"]["url"], json!(shop.base_url));
    assert_eq!(entry["after"]["key"], "[redacted]");
    assert_eq!(entry["before"]["key"], Value::Null);
    // The token appears nowhere in the table, whatever the column.
    let token = shop.access_token();
    let stored: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE before_json LIKE $1 OR after_json LIKE $1 \
         OR actor LIKE $1",
    )
    .bind(format!("%{token}%"))
    .fetch_one(&app.db.reader)
    .await
    .expect("count");
    assert_eq!(stored, 0);
    app.stop().await;
}

/// The entries of `kind` the API lists to `token`, newest first.
async fn of_kind(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    audit(app, token, &format!("?subject={kind}")).await
}

/// A new account's owner's token: they must see none of the default account's entries.
async fn stranger(app: &TestApp) -> String {
    let other = new_account(app, "Elsewhere").await;
    user_token(app, &other, "owner@elsewhere.example", Role::Owner, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_payout_settings_requests_declines_and_payments_are_audited() {
    use crate::vendor_payouts::{at, deliver_line_a, earnings, purse};
    let (_cj, app, store) = crate::support::cj_world::cj_shop().await;
    // The store has no Admin API access: the vendor's parcel waits for it, failed at once.
    app.expect_failed_jobs("shipment.push");
    let owner = add_owner(&app, "owner@example.com").await;
    let token = token_for(&app, &owner).await;
    let actor = json!(format!("user:{}", owner.id));

    // Settings: before (the defaults: the vendor has none yet) and after.
    let defaults = json!({"holding_days": 14, "minimum_minor": 0, "schedule": "on_request"});
    let settings = json!({"holding_days": 3, "minimum_minor": 100, "schedule": "on_request"});
    expect_json(
        app.put_as(&token, "/api/v1/vendors/vendor-a/settings", &settings)
            .await,
        StatusCode::OK,
    )
    .await;
    let refused = app
        .put_as(
            &token,
            "/api/v1/vendors/vendor-a/settings",
            &json!({"holding_days": 400, "minimum_minor": 0, "schedule": "weekly"}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let entries = of_kind(&app, &token, "vendor_settings").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry["action"], "vendor_settings.set");
    assert_eq!(entry["subject_id"], "vendor-a");
    assert_eq!(entry["actor"], actor);
    assert_eq!(entry["store_id"], Value::Null);
    for field in ["holding_days", "minimum_minor", "schedule"] {
        assert_eq!(entry["before"][field], defaults[field], "before.{field}");
        assert_eq!(entry["after"][field], settings[field], "after.{field}");
    }

    // A delivered purchase earns 4.00, available after the 3 days.
    let world = crate::cases::handed_over_order(&app, &store, 9_817_001).await;
    deliver_line_a(&app, &world, 10_817_001).await;
    let available_at = at(&earnings(&app, &world.vendor_a).await["earnings"][0]["available_at"]);
    dropflow::fulfilment::vendor_earnings::tick(&app.db, available_at)
        .await
        .unwrap();
    assert_eq!(purse(&app, &world.vendor_a).await.1, "4.00");

    // The vendor asks, the owner declines; the vendor asks again, the owner pays.
    let ask = |amount: &'static str| {
        let app = &app;
        let vendor = world.vendor_a.clone();
        async move {
            let asked = expect_json(
                app.post_as(
                    &vendor,
                    "/api/v1/vendors/vendor-a/payouts",
                    &json!({"currency": "USD", "amount": amount}),
                )
                .await,
                StatusCode::CREATED,
            )
            .await;
            asked["id"].as_str().expect("payout id").to_string()
        }
    };
    let declined = ask("1.50").await;
    expect_json(
        app.post_as(
            &token,
            &format!("/api/v1/payouts/{declined}/decline"),
            &json!({"note": "ask at the end of the month"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let paid = ask("2.50").await;
    let refused = app
        .post_as(
            &token,
            &format!("/api/v1/payouts/{paid}/pay"),
            &json!({"method": "carrier_pigeon", "reference": "X"}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    expect_json(
        app.post_as(
            &token,
            &format!("/api/v1/payouts/{paid}/pay"),
            &json!({"method": "bank_transfer", "reference": "TRX-9817"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let entries = of_kind(&app, &token, "payout").await;
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().expect("action"),
                e["subject_id"].as_str().expect("subject"),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("payout.pay", paid.as_str()),
            ("payout.request", paid.as_str()),
            ("payout.decline", declined.as_str()),
            ("payout.request", declined.as_str()),
        ],
        "{entries:?}"
    );
    for entry in &entries {
        assert_eq!(entry["store_id"], json!(store), "{entry}");
    }
    let (pay, asked, decline) = (&entries[0], &entries[1], &entries[2]);
    // The vendor asked (nothing before); the owner decided.
    assert!(asked["actor"].as_str().expect("actor").starts_with("user:"));
    assert_ne!(asked["actor"], actor);
    assert_eq!(asked["before"], Value::Null);
    assert_eq!(asked["after"]["status"], "requested");
    assert_eq!(asked["after"]["amount"], "2.50");
    assert_eq!(decline["actor"], actor);
    assert_eq!(decline["before"]["status"], "requested");
    assert_eq!(decline["after"]["status"], "declined");
    assert_eq!(decline["after"]["note"], "ask at the end of the month");
    assert_eq!(pay["actor"], actor);
    assert_eq!(pay["before"]["status"], "requested");
    assert_eq!(pay["before"]["method"], Value::Null);
    assert_eq!(pay["after"]["status"], "paid");
    assert_eq!(pay["after"]["amount"], "2.50");
    assert_eq!(pay["after"]["method"], "bank_transfer");
    assert_eq!(pay["after"]["reference"], "TRX-9817");
    assert_eq!(pay["after"]["statement"]["earned"], "4.00");
    assert_eq!(pay["after"]["statement"]["closing"], "1.50");

    // Another account's owner sees none of it.
    let stranger = stranger(&app).await;
    assert!(audit(&app, &stranger, "").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_card_top_up_is_audited_when_asked_for_and_once_when_credited() {
    let (app, stripe, store) = crate::wallet_stripe::spawn_with_stripe().await;
    let owner = add_owner(&app, "owner@example.com").await;
    let token = token_for(&app, &owner).await;
    let path = format!("/api/v1/stores/{store}/wallet/card-top-ups");
    let refused = app
        .post_as(&token, &path, &json!({"amount": "0", "currency": "USD"}))
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let started = expect_json(
        app.post_as(
            &token,
            &path,
            &json!({"amount": "250.00", "currency": "USD"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = started["id"].as_str().expect("id");
    let entries = of_kind(&app, &token, "card_top_up").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let asked = &entries[0];
    assert_eq!(asked["action"], "card_top_up.create");
    assert_eq!(asked["actor"], json!(format!("user:{}", owner.id)));
    assert_eq!(asked["subject_id"], id);
    assert_eq!(asked["store_id"], json!(store));
    assert_eq!(asked["before"], Value::Null);
    assert_eq!(asked["after"]["amount"], "250.00");
    assert_eq!(asked["after"]["currency"], "USD");
    assert_eq!(asked["after"]["status"], "creating");

    // Paid, and the notice delivered twice: one credit, recorded once, as the system's.
    let session = started["session_id"].as_str().expect("session");
    let event = stripe.complete(session).unwrap();
    for _ in 0..2 {
        let delivery = stripe.deliver(&event).await;
        assert_eq!(delivery.status, Some(200));
    }
    let entries = of_kind(&app, &token, &format!("card_top_up:{id}")).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    let credit = &entries[0];
    assert_eq!(credit["action"], "card_top_up.credit");
    assert_eq!(credit["actor"], "system");
    assert_eq!(credit["store_id"], json!(store));
    assert_eq!(credit["before"]["status"], "open");
    assert_eq!(credit["after"]["status"], "paid");
    assert_eq!(credit["after"]["amount"], "250.00");
    assert_eq!(credit["after"]["event_id"], event["id"]);
    assert!(
        credit["after"]["ledger_transaction_id"].is_i64(),
        "{credit}"
    );

    let stranger = stranger(&app).await;
    assert!(audit(&app, &stranger, "").await.is_empty());
    app.stop().await;
    stripe.shutdown().await;
}

#[tokio::test]
async fn warehouse_rate_tables_refund_rules_and_settings_are_audited() {
    use dropflow_core::warehouse::rates::DEFAULT_RATES_TOML;
    use dropflow_core::warehouse::refunds::DEFAULT_REFUNDS_TOML;
    let app = TestApp::spawn_with_shop().await;
    let store = app.shopify_store_id().await.to_string();
    let owner = add_owner(&app, "owner@example.com").await;
    let token = token_for(&app, &owner).await;
    let operator =
        crate::support::users::add_member(&app, "operator@warehouse.example", Role::Warehouse, &[])
            .await;
    let operator_token = token_for(&app, &operator).await;
    let operator_actor = json!(format!("user:{}", operator.id));

    // The rate tables: the sample replaced (nothing before), then replaced again.
    let first = DEFAULT_RATES_TOML.replacen("days_max = 12", "days_max = 13", 1);
    let second = DEFAULT_RATES_TOML.replacen("days_max = 12", "days_max = 14", 1);
    assert_ne!(first, DEFAULT_RATES_TOML);
    for toml in [&first, &second] {
        expect_json(
            app.put_as(
                &operator_token,
                "/api/v1/warehouse/rates",
                &json!({ "toml": toml }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    let broken = DEFAULT_RATES_TOML.replacen("days_max = 12", "days_max = 0", 1);
    let refused = app
        .put_as(
            &operator_token,
            "/api/v1/warehouse/rates",
            &json!({ "toml": broken }),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let entries = of_kind(&app, &token, "warehouse_rates").await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["action"], "warehouse_rates.replace");
    assert_eq!(entries[0]["actor"], operator_actor);
    assert_eq!(entries[0]["store_id"], Value::Null);
    assert_eq!(entries[0]["before"]["toml"], json!(first));
    assert_eq!(entries[0]["after"]["toml"], json!(second));
    assert_eq!(entries[1]["before"], Value::Null);
    assert_eq!(entries[1]["after"]["toml"], json!(first));

    // The refund rules.
    let rules = DEFAULT_REFUNDS_TOML.replacen("deduction = 150", "deduction = 175", 1);
    assert_ne!(rules, DEFAULT_REFUNDS_TOML);
    expect_json(
        app.put_as(
            &operator_token,
            "/api/v1/warehouse/refund-rules",
            &json!({ "toml": rules }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let entries = of_kind(&app, &token, "warehouse_refund_rules").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["action"], "warehouse_refund_rules.replace");
    assert_eq!(entries[0]["actor"], operator_actor);
    assert_eq!(entries[0]["before"], Value::Null);
    assert_eq!(entries[0]["after"]["toml"], json!(rules));

    // A store's warehouse settings (the owner's).
    let path = format!("/api/v1/stores/{store}/warehouse-settings");
    let settings =
        json!({"auto_pick": {"rule": "cheapest_within", "days": 10}, "auto_pay_fee": true});
    expect_json(app.put_as(&token, &path, &settings).await, StatusCode::OK).await;
    let entries = of_kind(&app, &token, "warehouse_settings").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["action"], "warehouse_settings.set");
    assert_eq!(entries[0]["store_id"], json!(store));
    assert_eq!(entries[0]["subject_id"], json!(store));
    assert_eq!(entries[0]["before"]["auto_pick"], Value::Null);
    assert_eq!(entries[0]["before"]["auto_pay_fee"], json!(false));
    assert_eq!(entries[0]["after"], settings);

    let stranger = stranger(&app).await;
    assert!(audit(&app, &stranger, "").await.is_empty());
    app.stop().await;
}
