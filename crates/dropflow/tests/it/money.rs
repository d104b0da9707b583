//! Issue 10, points 7 and 8: money is compared in one currency (the operator's exchange
//! rates; no rate → the line fails saying so), and an authorized payment buys only when the
//! store says so (a voided authorization cancels what is not yet paid to the supplier).

use crate::support::*;
use dropflow::storage::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// The ECB's `eurofxref.csv` for 10 February 2023, as published in
/// https://www.ecb.europa.eu/stats/eurofxref/eurofxref.zip (units per 1 EUR).
const ECB_2023_02_10: &str = "Date, USD, JPY, BGN, CZK, DKK, GBP, HUF, PLN, RON, SEK, CHF, \
ISK, NOK, TRY, AUD, BRL, CAD, CNY, HKD, IDR, ILS, INR, KRW, MXN, MYR, NZD, PHP, SGD, THB, ZAR, \n\
10 February 2023, 1.0690, 139.88, 1.9558, 23.692, 7.4445, 0.88348, 389.78, 4.7810, 4.9020, \
11.1630, 0.9872, 152.10, 10.8710, 20.1357, 1.5432, 5.6245, 1.4364, 7.2837, 8.3916, 16233.33, \
3.7820, 88.2475, 1354.10, 20.0540, 4.6314, 1.6904, 58.207, 1.4199, 36.057, 19.0834, \n";

/// The operator (`op`'s token) imports [`ECB_2023_02_10`] (200 expected); the answer.
async fn import_ecb(app: &TestApp, op: &str) -> Value {
    let csv = json!({ "csv": ECB_2023_02_10 });
    let response = app.post_as(op, "/api/v1/fx-rates/ecb", &csv).await;
    expect_json(response, StatusCode::OK).await
}

/// A warehouse operator of the installation's operator account: the one who sets the rates
/// (one table for every merchant).
async fn operator(app: &TestApp) -> String {
    member_token(app, "operator@fx.test", Role::Warehouse, &[]).await
}

fn offer(supplier: &str, sku: &str, cost: &str, currency: &str) -> Value {
    json!({
        "supplier": supplier, "supplier_product_id": format!("prod-{sku}"),
        "supplier_sku_id": sku, "unit_cost": cost, "currency": currency,
        "priority": 1, "stock": 100, "ships_to": ["US", "CA"]
    })
}

async fn map_variant(app: &TestApp, store: &str, variant: &Value, offers: Value) {
    let body = json!({
        "variant_id": variant.to_string().trim_matches('"'),
        "components": [{ "offers": offers }]
    });
    let path = format!("/api/v1/stores/{store}/mappings");
    expect_json(app.api_put(&path, &body).await, StatusCode::OK).await;
}

/// Maps every line of `order` to one USD offer at CJ.
async fn map_all_lines(app: &TestApp, store: &str, order: &Value) {
    for (i, line) in order["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .enumerate()
    {
        let offers = json!([offer("cj", &format!("plain-{i}"), "2.00", "USD")]);
        map_variant(app, store, &line["variant_id"], offers).await;
    }
}

/// The supplier SKU and cost bought for the order's first line (position 0).
async fn first_line_purchase(app: &TestApp, order_id: &str) -> Option<Value> {
    app.supplier_orders(order_id)
        .await
        .iter()
        .flat_map(|p| p["items"].as_array().cloned().unwrap_or_default())
        .find(|item| item["line_position"] == json!(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_in_two_currencies_are_compared_converted_and_without_a_rate_the_line_says_so() {
    // No CJ connector in this app: this test is about the comparison, not the placing.
    let (app, store) = TestApp::spawn_routing_only().await;
    let op = operator(&app).await;
    let order = paid_order(9_200_001, "#FX1");
    map_all_lines(&app, &store, &order).await;
    // Line 1: 9.99 USD at AliExpress against 1000 JPY (≈ 7.64 USD) at CJ, same priority.
    // In raw minor units 999 < 1000; converted, the yen offer is cheaper.
    let first = &order["line_items"][0]["variant_id"];
    let offers = json!([
        offer("aliexpress", "dollars", "9.99", "USD"),
        offer("cj", "yen", "1000", "JPY"),
    ]);
    map_variant(&app, &store, first, offers).await;

    // No rates yet: the line cannot be compared, and routing says so on the line.
    let id = app.create_order(&order).await;
    let failed = eventually(Duration::from_secs(10), || async {
        app.order_detail(&id).await["tab"] == json!("failed")
    })
    .await;
    assert!(failed, "{}", app.order_detail(&id).await);
    let detail = app.order_detail(&id).await;
    let failures = detail["state"]["routing_failures"]
        .as_array()
        .expect("failures");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["line_position"], json!(0));
    assert_eq!(
        failures[0]["reason"],
        json!({"kind": "no_exchange_rate", "component": 0, "from": "JPY", "to": "USD"})
    );
    assert!(first_line_purchase(&app, &id).await.is_none());

    // The operator imports the ECB's rates; a retry compares in USD and buys the yen offer.
    let imported = import_ecb(&app, &op).await;
    assert_eq!(imported["as_of"], json!("2023-02-10"));
    let response = app
        .api_post_empty(&format!("/api/v1/orders/{id}/route"))
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let routed = eventually(Duration::from_secs(10), || async {
        first_line_purchase(&app, &id).await.is_some()
    })
    .await;
    assert!(routed, "{}", app.order_detail(&id).await);
    let item = first_line_purchase(&app, &id).await.expect("item");
    assert_eq!(item["supplier_sku_id"], json!("yen"), "{item}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_rates_are_set_by_operators_checked_field_by_field_and_documented() {
    let app = TestApp::spawn().await;
    let op = operator(&app).await;
    // Empty at first.
    assert_eq!(
        app.api_json("/api/v1/fx-rates").await,
        json!({ "rates": [] })
    );

    // The ECB import records the source and the day of each rate.
    let imported = import_ecb(&app, &op).await;
    let usd = imported["rates"]
        .as_array()
        .expect("rates")
        .iter()
        .find(|r| r["quote"] == json!("USD"))
        .cloned()
        .expect("EUR/USD");
    assert_eq!(
        usd,
        json!({"base": "EUR", "quote": "USD", "rate": "1.069",
               "source": "ECB euro foreign exchange reference rates", "as_of": "2023-02-10"})
    );
    assert_eq!(
        imported["imported"].as_u64().unwrap_or(0) as usize
            + imported["skipped"].as_array().map_or(0, Vec::len),
        30
    );

    // Bad input: 422 naming the field, and nothing changes.
    let before = app.api_json("/api/v1/fx-rates").await;
    let cases = [
        (
            json!({"rates": [{"base": "EUR", "quote": "ABC", "rate": "1", "as_of": "2026-12-01"}]}),
            "rates[0].quote",
        ),
        (
            json!({"rates": [{"base": "EUR", "quote": "USD", "rate": "-1", "as_of": "2026-12-01"}]}),
            "rates[0].rate",
        ),
        (
            json!({"rates": [{"base": "EUR", "quote": "USD", "rate": "1.1", "as_of": "01/12/2026"}]}),
            "rates[0].as_of",
        ),
        (
            json!({"rates": [{"base": "USD", "quote": "usd", "rate": "1", "as_of": "2026-12-01"}]}),
            "rates[0].quote",
        ),
        (
            json!({"rates": [
            {"base": "EUR", "quote": "USD", "rate": "1.1", "as_of": "2026-12-01"},
            {"base": "EUR", "quote": "USD", "rate": "1.2", "as_of": "2026-12-01"}]}),
            "rates[1]",
        ),
    ];
    for (body, field) in cases {
        let response = app.put_as(&op, "/api/v1/fx-rates", &body).await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.contains(field), "{field}: {message}");
    }
    let garbled = json!({ "csv": "Date, USD,\nyesterday, 1.07,\n" });
    let response = app.post_as(&op, "/api/v1/fx-rates/ecb", &garbled).await;
    let message = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert!(message.contains("line 2"), "{message}");
    assert_eq!(app.api_json("/api/v1/fx-rates").await, before);

    // PUT replaces the whole table; the source defaults to "operator".
    let body =
        json!({"rates": [{"base": "KWD", "quote": "USD", "rate": "3.25", "as_of": "2026-12-01"}]});
    let response = app.put_as(&op, "/api/v1/fx-rates", &body).await;
    let table = expect_json(response, StatusCode::OK).await;
    assert_eq!(
        table,
        json!({"rates": [{"base": "KWD", "quote": "USD", "rate": "3.25",
                          "source": "operator", "as_of": "2026-12-01"}]})
    );

    // One table for every merchant: an account's owner may not change it (403).
    expect_error(
        app.api_put("/api/v1/fx-rates", &body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Staff and vendors may not; no token is 401.
    app.shopify_store().await;
    let store = app.shopify_store_id().await;
    let staff = member_token(&app, "staff@fx.test", Role::Staff, &[store]).await;
    for (method, path) in [
        ("GET", "/api/v1/fx-rates"),
        ("PUT", "/api/v1/fx-rates"),
        ("POST", "/api/v1/fx-rates/ecb"),
    ] {
        let request = match method {
            "GET" => app.client().get(app.url(path)),
            "PUT" => app.client().put(app.url(path)).json(&body),
            _ => app
                .client()
                .post(app.url(path))
                .json(&json!({"csv": ECB_2023_02_10})),
        };
        let response = request
            .try_clone()
            .expect("clone")
            .bearer_auth(&staff)
            .send()
            .await
            .expect("send");
        expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = request.send().await.expect("send");
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    assert_eq!(app.api_json("/api/v1/fx-rates").await, table);

    // The OpenAPI document lists every status these endpoints answer.
    let doc = app.api_json("/api/v1/openapi.json").await;
    let statuses = |path: &str, method: &str| -> Vec<String> {
        doc["paths"][path][method]["responses"]
            .as_object()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default()
    };
    // (The document adds the statuses every endpoint may answer, such as 503.)
    let listed = |path: &str, method: &str, expected: &[&str]| {
        let got = statuses(path, method);
        for status in expected {
            assert!(
                got.iter().any(|s| s == status),
                "{method} {path}: {status} in {got:?}"
            );
        }
    };
    listed("/api/v1/fx-rates", "get", &["200", "401", "403"]);
    for (path, method) in [
        ("/api/v1/fx-rates", "put"),
        ("/api/v1/fx-rates/ecb", "post"),
    ] {
        listed(
            path,
            method,
            &["200", "400", "401", "403", "413", "415", "422"],
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fx_config_section_seeds_the_shared_table_without_undoing_a_newer_rate() {
    let app = TestApp::spawn_custom(dropflow::jobs::Registry::new(), |config| {
        config.fx.rates = vec![dropflow::config::FxConfigRate {
            base: "EUR".parse_currency(),
            quote: "USD".parse_currency(),
            rate: dropflow_core::fx::Rate::parse("1.0690").expect("rate"),
            as_of: chrono::NaiveDate::from_ymd_opt(2023, 2, 10).expect("day"),
            source: None,
        }];
    })
    .await;
    let op = operator(&app).await;
    assert_eq!(
        app.api_json("/api/v1/fx-rates").await,
        json!({"rates": [{"base": "EUR", "quote": "USD", "rate": "1.069",
                          "source": "config", "as_of": "2023-02-10"}]})
    );
    // An operator sets a later rate; seeding the same config again (a restart) keeps it.
    let newer = json!({"rates": [{"base": "EUR", "quote": "USD", "rate": "1.10",
                                  "source": "treasury", "as_of": "2026-12-01"}]});
    expect_json(
        app.put_as(&op, "/api/v1/fx-rates", &newer).await,
        StatusCode::OK,
    )
    .await;
    let seed = dropflow_core::fx::FxRate {
        base: "EUR".parse_currency(),
        quote: "USD".parse_currency(),
        rate: dropflow_core::fx::Rate::parse("1.0690").expect("rate"),
        source: "config".into(),
        as_of: chrono::NaiveDate::from_ymd_opt(2023, 2, 10).expect("day"),
    };
    dropflow::storage::fx_rates::seed(&app.db, &[seed])
        .await
        .expect("seed");
    assert_eq!(
        app.api_json("/api/v1/fx-rates").await["rates"][0]["rate"],
        json!("1.1")
    );
    app.stop().await;
}

trait ParseCurrency {
    fn parse_currency(&self) -> dropflow_core::reference::currency::Currency;
}
impl ParseCurrency for &str {
    fn parse_currency(&self) -> dropflow_core::reference::currency::Currency {
        dropflow_core::reference::currency::Currency::from_code(self).expect("currency")
    }
}

// ---- capture policy ---------------------------------------------------------------------

async fn settings_with(app: &TestApp, store: &str, buy_when_authorized: bool) -> Value {
    let path = format!("/api/v1/stores/{store}/settings");
    let mut settings = app.api_json(&path).await;
    settings["buy_when_authorized"] = json!(buy_when_authorized);
    // Purchases stay waiting for placement: this test has no supplier connectors.
    settings["auto_order"] = json!(false);
    expect_json(app.api_put(&path, &settings).await, StatusCode::OK).await
}

fn authorized(id: u64, name: &str) -> Value {
    shopify_order(id, name, "authorized", "2024-05-01T10:00:00-05:00")
}

fn later(order: &Value, financial_status: &str, minute: u32) -> Value {
    let mut next = order.clone();
    next["financial_status"] = json!(financial_status);
    next["updated_at"] = json!(format!("2024-05-01T10:{minute:02}:00-05:00"));
    next
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorized_order_waits_for_capture_by_default_and_a_void_never_buys() {
    // No CJ connector in this app: this test is about the money, not the placing.
    let (app, store) = TestApp::spawn_routing_only().await;
    let order = authorized(9_300_001, "#CAP1");
    map_all_lines(&app, &store, &order).await;
    let id = app.create_order(&order).await;

    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], json!("on_hold"), "{detail}");
    let holds = detail["state"]["holds"].as_array().expect("holds");
    assert_eq!(holds[0]["reason"], json!("awaiting_payment"));
    assert_eq!(
        holds[0]["detail"],
        json!("the customer's payment is authorized; waiting for the store to capture it")
    );
    assert_eq!(app.jobs_for(&id, "order.route").await, 0);

    // Captured: bought.
    app.shopify_order("orders/paid", &later(&order, "paid", 5))
        .await;
    let routed = eventually(Duration::from_secs(10), || async {
        !app.supplier_orders(&id).await.is_empty()
    })
    .await;
    assert!(routed, "{}", app.order_detail(&id).await);

    // Another one voided while waiting: nothing to wait for, never bought.
    let voided = authorized(9_300_002, "#CAP2");
    let (_, ack) = app.shopify_order("orders/create", &voided).await;
    let voided_id = order_id(&ack);
    app.shopify_order("orders/updated", &later(&voided, "voided", 5))
        .await;
    let detail = app.order_detail(&voided_id).await;
    assert_eq!(detail["tab"], json!("canceled"), "{detail}");
    assert_eq!(detail["state"]["holds"], json!([]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.jobs_for(&voided_id, "order.route").await, 0);
    assert!(app.supplier_orders(&voided_id).await.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_buys_on_authorization_buys_at_once_and_a_void_cancels_what_is_unpaid() {
    let app = TestApp::spawn_production().await;
    let store = app.shopify_store().await;
    let settings = settings_with(&app, &store, true).await;
    assert_eq!(settings["buy_when_authorized"], json!(true));
    let order = authorized(9_300_003, "#CAP3");
    map_all_lines(&app, &store, &order).await;
    let id = app.create_order(&order).await;
    let routed = eventually(Duration::from_secs(10), || async {
        !app.supplier_orders(&id).await.is_empty()
    })
    .await;
    assert!(routed, "{}", app.order_detail(&id).await);

    // The authorization is voided: what is not yet paid to the supplier is cancelled.
    app.shopify_order("orders/updated", &later(&order, "voided", 5))
        .await;
    let cancelled = eventually(Duration::from_secs(10), || async {
        let purchases = app.supplier_orders(&id).await;
        !purchases.is_empty() && purchases.iter().all(|p| p["status"] == json!("cancelled"))
    })
    .await;
    assert!(cancelled, "{:?}", app.supplier_orders(&id).await);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_setting_re_judges_the_authorized_orders_still_waiting() {
    let app = TestApp::spawn_production().await;
    let store = app.shopify_store().await;
    let order = authorized(9_300_004, "#CAP4");
    map_all_lines(&app, &store, &order).await;
    let id = app.create_order(&order).await;
    assert_eq!(app.order_detail(&id).await["tab"], json!("on_hold"));

    settings_with(&app, &store, true).await;
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["state"]["holds"], json!([]), "{detail}");
    assert!(timeline_kinds(&detail).contains(&"capture_policy_changed".to_string()));
    let routed = eventually(Duration::from_secs(10), || async {
        !app.supplier_orders(&id).await.is_empty()
    })
    .await;
    assert!(routed, "{}", app.order_detail(&id).await);

    // Back to the default: a new authorized order waits again (the next snapshot reads it).
    settings_with(&app, &store, false).await;
    let next = authorized(9_300_005, "#CAP5");
    let (_, ack) = app.shopify_order("orders/create", &next).await;
    let next_id = order_id(&ack);
    assert_eq!(app.order_detail(&next_id).await["tab"], json!("on_hold"));
    app.stop().await;
}
