//! Issue 12 (an outside campaign against the API): the installation-wide warehouse documents
//! (item 2), intake validation and the implausible-order hold (item 5), storage faults as
//! 503 with readiness reflecting them (item 7) and `/metrics` for the operator (item 8).

use crate::support::*;
use dropflow::storage::accounts::{self, Role};
use dropflow::storage::Engine;
use dropflow_core::ids::StoreId;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Issue 12 item 2: an owner of any account rewrote the rate tables and refund rules of
/// every account. Only warehouse users of the installation's operator account change them;
/// merchants of every account read what applies to them.
#[tokio::test]
async fn only_the_installations_operators_change_rates_and_refund_rules() {
    let app = TestApp::spawn().await;
    let mine: StoreId = app.shopify_store().await.parse().expect("store id");
    let other = new_account(&app, "merchant-b").await;
    let default = accounts::DEFAULT_ACCOUNT;
    let operator = user_token(&app, default, "op@warehouse.example", Role::Warehouse, &[]).await;
    let owner = user_token(&app, default, "owner@a.example", Role::Owner, &[]).await;
    let staff = user_token(&app, default, "staff@a.example", Role::Staff, &[mine]).await;
    let other_owner = user_token(&app, &other, "owner@b.example", Role::Owner, &[]).await;
    let other_warehouse = user_token(&app, &other, "wh@b.example", Role::Warehouse, &[]).await;
    let vendor = vendor_token(&app, "vendor@a.example", "acme").await;

    for path in ["/api/v1/warehouse/rates", "/api/v1/warehouse/refund-rules"] {
        let sample = expect_json(app.get_as(&operator, path).await, StatusCode::OK).await;
        let toml = sample["toml"].as_str().expect("toml").to_string();
        let changed = json!({ "toml": format!("{toml}\n# changed by the operator\n") });
        // Merchants and other accounts' operators may never change what applies to all.
        for (who, token) in [
            ("owner", &owner),
            ("staff", &staff),
            ("other account's owner", &other_owner),
            ("other account's warehouse", &other_warehouse),
            ("vendor", &vendor),
            ("unowned token", &app.token),
        ] {
            let response = app.put_as(token, path, &changed).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{who} on {path}");
        }
        assert_eq!(
            expect_json(app.get_as(&owner, path).await, StatusCode::OK).await["toml"],
            json!(toml),
            "nothing changed"
        );
        // The installation's operator changes it; every merchant reads the new document.
        expect_json(app.put_as(&operator, path, &changed).await, StatusCode::OK).await;
        for (who, token) in [
            ("owner", &owner),
            ("staff", &staff),
            ("other account's owner", &other_owner),
            ("operator", &operator),
        ] {
            let read = expect_json(app.get_as(token, path).await, StatusCode::OK).await;
            assert_eq!(read["toml"], changed["toml"], "{who} reads {path}");
        }
        let refused = app.get_as(&vendor, path).await;
        assert_eq!(
            refused.status(),
            StatusCode::FORBIDDEN,
            "vendor reads {path}"
        );
    }
    app.stop().await;
}

fn with_first_line(order: &mut Value, field: &str, value: Value) {
    // A new Shopify order's current quantity is its quantity (it is what dropflow reads).
    if field == "quantity" {
        order["line_items"][0]["current_quantity"] = value.clone();
    }
    order["line_items"][0][field] = value;
}

/// Issue 12 item 5: a negative price, an absurd quantity and an order without lines were
/// accepted (and the quantity bought). Each is a 422 naming the field, and nothing is stored.
#[tokio::test]
async fn impossible_amounts_and_quantities_are_refused_naming_the_field() {
    let app = TestApp::spawn_production().await;
    app.shopify_store().await;
    let mut negative_price = paid_order(501, "#501");
    with_first_line(&mut negative_price, "price", json!("-19.00"));
    let mut negative_total = paid_order(502, "#502");
    negative_total["total_price"] = json!("-19.00");
    let mut absurd = paid_order(503, "#503");
    with_first_line(&mut absurd, "quantity", json!(4_000_000_000_u64));
    let mut empty = paid_order(504, "#504");
    empty["line_items"] = json!([]);
    for (order, field) in [
        (negative_price, "line_items[0].price"),
        (negative_total, "total_price"),
        (absurd, "line_items[0].quantity"),
        (empty, "line_items"),
    ] {
        let message = app.refused_order(&order).await;
        assert!(message.contains(field), "{field}: {message}");
    }
    assert_eq!(app.rows("orders").await, 0);
    app.stop().await;
}

/// Issue 12 item 5: an order within the hard limits but implausible for a shop (a quantity
/// or a total above the configured review limits) is stored and held for a person with a
/// typed reason, flagged as needing attention, and nothing is bought.
#[tokio::test]
async fn implausible_orders_are_held_for_a_person_not_bought() {
    let app = TestApp::spawn_jobs(dropflow::app::production_jobs, |config| {
        config.intake.review_line_quantity = 50;
    })
    .await;
    app.shopify_store().await;
    let mut bulk = paid_order(601, "#601");
    with_first_line(&mut bulk, "quantity", json!(500));
    let id = app.create_order(&bulk).await;
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], json!("on_hold"), "{detail}");
    let holds = detail["holds"].as_array().expect("holds");
    assert!(
        holds
            .iter()
            .any(|h| h["reason"] == json!("implausible_order")
                && h["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("line_items[0].quantity 500 is above 50"))),
        "{detail}"
    );
    assert_eq!(
        app.jobs_for(&id, "order.route").await,
        0,
        "nothing is routed or bought"
    );
    // A person accepts it: the hold is released and the order goes on.
    let released = app.release_hold(&id, "implausible_order").await;
    assert_eq!(released.status(), StatusCode::OK);
    assert_eq!(app.jobs_for(&id, "order.route").await, 1);
    app.stop().await;
}

/// Issue 12 item 7: a storage fault (a write lock held elsewhere) answered 500 while
/// `/readyz` said ready. It is 503 with `Retry-After`, and readiness reflects it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_write_lock_is_503_with_retry_after_and_not_ready() {
    let app = TestApp::spawn().await;
    let holder = app.testdb.connect_raw().await;
    let mut lock = holder.writer.acquire().await.expect("connection");
    match app.testdb.engine {
        Engine::Sqlite => {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *lock)
                .await
                .expect("hold the write lock");
        }
        Engine::Postgres => {
            sqlx::query("BEGIN")
                .execute(&mut *lock)
                .await
                .expect("begin");
            sqlx::query("LOCK TABLE stores IN ACCESS EXCLUSIVE MODE")
                .execute(&mut *lock)
                .await
                .expect("hold the lock");
        }
    }
    let response = app
        .api_post(
            "/api/v1/stores",
            &json!({"platform": "shopify", "domain": "locked.myshopify.com",
                    "webhook_secret": "shpss_0123456789abcdef0123"}),
        )
        .await;
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert_eq!(retry_after.as_deref(), Some("5"));
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().contains_key("retry-after"));
    sqlx::query("ROLLBACK")
        .execute(&mut *lock)
        .await
        .expect("release");
    drop(lock);
    holder.close().await;
    app.stop().await;
}

/// Issue 12 item 8: `/metrics` wants the operator's token when one is configured, and its
/// series carry no per-tenant labels.
#[tokio::test]
async fn metrics_want_the_operators_token_and_name_no_tenant() {
    let app = TestApp::spawn_custom(dropflow::jobs::Registry::new(), |config| {
        config.http.metrics_token = Some("metrics-s3cret-token".into());
    })
    .await;
    app.shopify_store().await;
    app.shopify_order("orders/create", &paid_order(1, "#1"))
        .await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::UNAUTHORIZED);
    let wrong = app.get_as("not-the-token", "/metrics").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let text = app
        .get_as("metrics-s3cret-token", "/metrics")
        .await
        .text()
        .await
        .expect("text");
    assert!(text.contains("dropflow_webhooks_total"), "{text}");
    for tenant in ["store", "account", "domain", "shop", SHOP] {
        assert!(
            !text
                .lines()
                .any(|l| !l.starts_with('#') && l.contains(&format!("{tenant}="))),
            "a per-tenant label {tenant:?} in:\n{text}"
        );
    }
    assert!(!text.contains(SHOP), "{text}");
    app.stop().await;
}
