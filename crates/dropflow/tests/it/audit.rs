//! The audit log (issue 16, "Exports and audit"): a change to settings, Admin access, the
//! return address, mappings, exchange rates or money is recorded with its actor and the
//! subject before and after, in the change's own transaction; a secret is never recorded; a
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
