//! CSV exports (issue 16, "Exports and audit"): a store's orders, ledger postings and vendor
//! payouts, streamed page by page. Each file's rows equal what the API lists; the filters
//! (dates, state, account, status) keep what they say; a filter that cannot be read is 400
//! naming it; another account's store is 404; text that would run as a spreadsheet formula
//! is neutralised; an export longer than a page (1,000 rows) loses and repeats nothing.

use crate::support::users::{new_account, user_token};
use crate::support::*;
use chrono::{DateTime, Utc};
use dropflow::storage::accounts::Role;
use dropflow::storage::vendor_payouts::{self, Decision, PurseKey};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A downloaded CSV: its header and its rows, each a map from column to cell.
struct Csv {
    header: Vec<String>,
    rows: Vec<BTreeMap<String, String>>,
}

impl Csv {
    fn column(&self, name: &str) -> Vec<String> {
        self.rows.iter().map(|r| r[name].clone()).collect()
    }
}

/// GETs `path` with the test app's token: a 200 attachment in CSV, parsed.
async fn download(app: &TestApp, path: &str) -> Csv {
    let response = app.api_get(path).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment; filename="),
        "{disposition}"
    );
    parse(&body)
}

fn parse(body: &str) -> Csv {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let record = r.expect("a CSV record");
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect();
    Csv { header, rows }
}

/// Every order the API lists for the store, newest first (pages of 500).
async fn listed_orders(app: &TestApp, store: &str, tab: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/orders?store_id={store}&tab={tab}&limit=500");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.api_json(&path).await;
        out.extend(page["orders"].as_array().expect("orders").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return out,
        }
    }
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .with_timezone(&Utc)
}

/// The export's rows are the API's orders, in the same order, field by field.
fn assert_same_orders(csv: &Csv, api: &[Value]) {
    assert_eq!(csv.rows.len(), api.len(), "rows exported vs listed");
    for (row, order) in csv.rows.iter().zip(api) {
        let currency = Currency::from_code(order["currency"].as_str().expect("currency"))
            .expect("known currency");
        let minor = order["total_minor"].as_i64().expect("total");
        assert_eq!(row["id"], order["id"].as_str().expect("id"));
        assert_eq!(row["name"], order["name"].as_str().expect("name"));
        assert_eq!(
            row["external_id"],
            order["external_id"].as_str().expect("id")
        );
        assert_eq!(row["state"], order["tab"].as_str().expect("tab"));
        assert_eq!(
            row["payment_status"],
            order["payment_status"].as_str().expect("payment")
        );
        assert_eq!(
            row["procurement"],
            order["procurement"].as_str().expect("procurement")
        );
        assert_eq!(row["currency"], currency.code());
        assert_eq!(
            row["total"],
            Money::new(minor, currency).to_decimal_string()
        );
        assert_eq!(
            time(&row["created_at"]),
            time(order["created_at"].as_str().expect("created_at"))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_export_equals_the_listing_across_pages_and_filters_keep_what_they_say() {
    let app = TestApp::spawn_with_shop().await;
    let store = app.shopify_store_id().await.to_string();
    // 1,200 orders sent together (the ingest commits them in groups), then 1,300 more after
    // a marked moment: more than two export pages of 1,000.
    let send = |range: std::ops::Range<u64>| {
        let app = &app;
        futures::stream::iter(range)
            .map(move |id| async move { app.create_order(&numbered_paid_order(id)).await })
            .buffer_unordered(32)
            .collect::<Vec<_>>()
    };
    send(10_000..11_200).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let marked = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    send(11_200..12_500).await;
    let mut cancelled = paid_order(12_500, "#12500");
    cancelled["cancelled_at"] = json!("2024-05-01T10:00:00-05:00");
    cancelled["cancel_reason"] = json!("fraud");
    app.create_order(&cancelled).await;

    let all = download(&app, &format!("/api/v1/stores/{store}/exports/orders.csv")).await;
    assert_eq!(all.header[0], "id");
    assert_eq!(all.rows.len(), 2_501);
    assert_same_orders(&all, &listed_orders(&app, &store, "all").await);
    let ids = all.column("id");
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "an order exported twice");
    // Amounts are the order's money in its currency, a decimal string.
    assert!(all.rows.iter().all(|r| r["total"].contains('.')));
    assert!(all.rows.iter().all(|r| r["customer"]
        .chars()
        .next()
        .is_some_and(char::is_alphabetic)));

    // State: only that tab.
    let canceled = download(
        &app,
        &format!("/api/v1/stores/{store}/exports/orders.csv?state=canceled"),
    )
    .await;
    assert_eq!(canceled.column("name"), vec!["#12500".to_string()]);
    assert_same_orders(&canceled, &listed_orders(&app, &store, "canceled").await);

    // Dates: from the marked moment on, and before it; a date covers its whole day.
    let at = marked.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let after = download(
        &app,
        &format!(
            "/api/v1/stores/{store}/exports/orders.csv?from={}",
            encode(&at)
        ),
    )
    .await;
    assert_eq!(after.rows.len(), 1_301);
    assert!(after.rows.iter().all(|r| time(&r["created_at"]) >= marked));
    let before = download(
        &app,
        &format!(
            "/api/v1/stores/{store}/exports/orders.csv?to={}",
            encode(&at)
        ),
    )
    .await;
    assert_eq!(before.rows.len(), 1_200);
    assert!(before.rows.iter().all(|r| time(&r["created_at"]) < marked));
    let today = marked.format("%Y-%m-%d").to_string();
    let day = download(
        &app,
        &format!("/api/v1/stores/{store}/exports/orders.csv?from={today}&to={today}"),
    )
    .await;
    assert!(
        day.rows.len() >= 1_200,
        "today's orders: {}",
        day.rows.len()
    );
    let nothing = download(
        &app,
        &format!("/api/v1/stores/{store}/exports/orders.csv?from=2000-01-01&to=2000-01-31"),
    )
    .await;
    assert!(nothing.rows.is_empty());
    assert_eq!(
        nothing.header, all.header,
        "an empty export still has its header"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_bad_filter_is_400_naming_it_and_another_accounts_store_is_404() {
    let app = TestApp::spawn_with_shop().await;
    let store = app.shopify_store_id().await.to_string();
    for (query, field) in [
        ("orders.csv?from=yesterday", "from"),
        ("orders.csv?to=2026-13-01", "to"),
        ("orders.csv?from=2026-02-01&to=2026-01-01", "to"),
        ("orders.csv?state=shipped", "state"),
        ("ledger.csv?account=savings", "account"),
        ("ledger.csv?from=1.5", "from"),
        ("payouts.csv?status=open", "status"),
    ] {
        let message = expect_error(
            app.api_get(&format!("/api/v1/stores/{store}/exports/{query}"))
                .await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await;
        assert!(message.starts_with(field), "{query}: {message}");
    }
    // Another account's owner: the store does not exist for them, whatever the export.
    let other = new_account(&app, "Other shop").await;
    let stranger = user_token(&app, &other, "owner@other.example", Role::Owner, &[]).await;
    for kind in ["orders", "ledger", "payouts"] {
        let path = format!("/api/v1/stores/{store}/exports/{kind}.csv");
        expect_error(
            app.get_as(&stranger, &path).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    // Staff of the account read orders and the ledger, not the vendors' payouts.
    let staff = user_token(
        &app,
        dropflow::storage::accounts::DEFAULT_ACCOUNT,
        "staff@example.com",
        Role::Staff,
        &[store.parse().expect("store id")],
    )
    .await;
    let path = format!("/api/v1/stores/{store}/exports/ledger.csv");
    assert_eq!(app.get_as(&staff, &path).await.status(), StatusCode::OK);
    let path = format!("/api/v1/stores/{store}/exports/payouts.csv");
    expect_error(
        app.get_as(&staff, &path).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn text_that_would_run_as_a_formula_is_neutralised() {
    let app = TestApp::spawn_with_shop().await;
    let store = app.shopify_store_id().await.to_string();
    let mut order = numbered_paid_order(7_001);
    order["customer"]["first_name"] = json!("=HYPERLINK(\"http://evil.example\",\"x\")");
    order["customer"]["last_name"] = json!("Doe");
    app.create_order(&order).await;
    let mut plus = numbered_paid_order(7_002);
    plus["customer"]["first_name"] = json!("+1");
    plus["customer"]["last_name"] = json!("-1");
    app.create_order(&plus).await;
    let body = app
        .api_get(&format!("/api/v1/stores/{store}/exports/orders.csv"))
        .await
        .text()
        .await
        .expect("body");
    let csv = parse(&body);
    let by_name: BTreeMap<String, String> = csv
        .rows
        .iter()
        .map(|r| (r["name"].clone(), r["customer"].clone()))
        .collect();
    assert_eq!(
        by_name["#7001"],
        "'=HYPERLINK(\"http://evil.example\",\"x\") Doe"
    );
    assert_eq!(by_name["#7002"], "'+1 -1");
    // No cell of the file starts a formula, and amounts stay numbers.
    for row in &csv.rows {
        for (column, cell) in row {
            assert!(
                !cell.starts_with(['=', '+', '@']),
                "{column} = {cell:?} would run as a formula"
            );
        }
        assert!(row["total"].parse::<f64>().is_ok(), "{row:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn ledger_and_payout_exports_equal_what_the_api_lists() {
    let app = TestApp::spawn_with_shop().await;
    let store = app.shopify_store_id().await.to_string();
    for (amount, currency) in [("100.00", "USD"), ("25.50", "USD"), ("5000", "JPY")] {
        expect_json(
            app.api_post(
                &format!("/api/v1/stores/{store}/wallet/top-ups"),
                &json!({"amount": amount, "currency": currency}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
    }
    let entries = app
        .api_json(&format!("/api/v1/stores/{store}/wallet/entries"))
        .await;
    // The API's entries flattened to one row per posting, as the export writes them.
    let mut expected = Vec::new();
    for entry in entries.as_array().expect("entries") {
        for posting in entry["postings"].as_array().expect("postings") {
            expected.push((
                entry["id"].to_string(),
                entry["kind"].as_str().expect("kind").to_string(),
                posting["account"].as_str().expect("account").to_string(),
                entry["currency"].as_str().expect("currency").to_string(),
                posting["amount"].as_str().expect("amount").to_string(),
            ));
        }
    }
    let csv = download(&app, &format!("/api/v1/stores/{store}/exports/ledger.csv")).await;
    let rows: Vec<_> = csv
        .rows
        .iter()
        .map(|r| {
            (
                r["transaction_id"].clone(),
                r["kind"].clone(),
                r["account"].clone(),
                r["currency"].clone(),
                r["amount"].clone(),
            )
        })
        .collect();
    assert_eq!(rows, expected);
    assert!(
        rows.iter().any(|r| r.4 == "-5000" && r.3 == "JPY"),
        "{rows:?}"
    );
    let external = download(
        &app,
        &format!("/api/v1/stores/{store}/exports/ledger.csv?account=external"),
    )
    .await;
    assert_eq!(external.rows.len(), 3);
    assert!(external.rows.iter().all(|r| r["account"] == "external"));

    // Payouts: two vendors' requests, one paid and one declined with a note that looks like
    // a formula.
    let now = Utc::now();
    let mut ids = Vec::new();
    for (vendor, status, note) in [
        ("vendor-a", "paid", None),
        ("vendor-b", "declined", Some("@SUM(A1:A9) not yet")),
    ] {
        let key = PurseKey {
            store_id: store.clone(),
            currency: Currency::from_code("USD").expect("USD"),
            vendor: vendor.to_string(),
        };
        let mut tx = app.db.begin().await.expect("tx");
        vendor_payouts::lock_purse(&mut tx, &key)
            .await
            .expect("purse");
        let amount = Money::new(1_250, key.currency);
        let id = vendor_payouts::insert_request(&mut tx, &key, amount, vendor, now)
            .await
            .expect("request");
        let decision = Decision {
            status,
            by: "user:owner@example.com",
            at: now,
            method: (status == "paid").then_some("bank_transfer"),
            reference: (status == "paid").then_some("TX-1"),
            note,
            opening_minor: None,
            closing_minor: None,
        };
        assert!(vendor_payouts::decide(&mut tx, &id, &decision)
            .await
            .expect("decide"));
        tx.commit().await.expect("commit");
        ids.push(id);
    }
    let payouts = download(&app, &format!("/api/v1/stores/{store}/exports/payouts.csv")).await;
    assert_eq!(payouts.rows.len(), 2);
    for row in &payouts.rows {
        // Every column but the note is as the API shows the payout.
        let statement = app
            .api_json(&format!("/api/v1/payouts/{}", row["id"]))
            .await;
        let payout = &statement["payout"];
        assert_eq!(
            row["status"],
            payout["status"].as_str().expect("status"),
            "{payout}"
        );
        assert_eq!(
            row["amount"],
            payout["amount"].as_str().expect("amount"),
            "{payout}"
        );
        assert_eq!(
            row["vendor"],
            payout["vendor"].as_str().expect("vendor"),
            "{payout}"
        );
        assert_eq!(
            row["requested_by"],
            payout["requested_by"].as_str().expect("by")
        );
        assert_eq!(
            row["method"],
            payout["method"].as_str().unwrap_or(""),
            "{payout}"
        );
        assert_eq!(
            row["method_reference"],
            payout["reference"].as_str().unwrap_or("")
        );
    }
    let declined = download(
        &app,
        &format!("/api/v1/stores/{store}/exports/payouts.csv?status=declined"),
    )
    .await;
    assert_eq!(declined.column("id"), vec![ids[1].clone()]);
    assert_eq!(declined.rows[0]["note"], "'@SUM(A1:A9) not yet");
    app.stop().await;
}

#[tokio::test]
async fn the_orders_and_wallet_pages_link_the_same_files_the_api_answers() {
    let app = TestApp::spawn_with_shop().await;
    let store = app.shopify_store_id().await.to_string();
    for id in 8_001..8_004 {
        app.create_order(&numbered_paid_order(id)).await;
    }
    crate::support::users::add_owner(&app, "owner@example.com").await;
    let mut browser = crate::dashboard_pages::Browser::sign_in(&app, "owner@example.com").await;

    // Without a store chosen there is nothing to download (an export is per store).
    assert!(!browser
        .page("/orders")
        .await
        .contains("id=\"export-orders\""));
    let page = browser
        .page(&format!(
            "/orders?store={store}&tab=on_hold&from=2026-01-01"
        ))
        .await;
    let marker = "id=\"export-orders\"";
    let link_at = page.find(marker).expect("the orders page links its CSV");
    let href_at = page[..link_at].rfind("href=\"").expect("href") + 6;
    let href =
        page[href_at..href_at + page[href_at..].find('"').expect("end")].replace("&#38;", "&");
    assert_eq!(
        href,
        format!("/stores/{store}/exports/orders.csv?state=on_hold&from=2026-01-01")
    );
    let from_page = browser.get(&href).await;
    assert_eq!(from_page.status(), StatusCode::OK);
    let from_page = from_page.text().await.expect("csv");
    let from_api = app
        .api_get(&format!("/api/v1{href}"))
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(from_page, from_api);

    let wallet = browser.page(&format!("/wallet?store={store}")).await;
    for kind in ["ledger", "payouts"] {
        let href = format!("/stores/{store}/exports/{kind}.csv");
        assert!(wallet.contains(&format!("href=\"{href}\"")), "{kind} link");
        assert_eq!(browser.get(&href).await.status(), StatusCode::OK, "{kind}");
    }
    // A bad filter is the 400 page, not a file.
    let bad = browser
        .get(&format!("/stores/{store}/exports/orders.csv?state=shipped"))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}
