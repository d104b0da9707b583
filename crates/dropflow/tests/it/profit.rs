//! Profit per order (issue 16, item 1): an order whose costs are known gives the exact
//! figure (revenue less the supplier's price, the fee by the store's rule); a cost not known
//! yet (no fee rule, a purchase not priced, a chargeback not decided) is named instead of a
//! figure; a refund and a lost chargeback lower it; a cost in another currency is converted at
//! the rate recorded when it was incurred, so a later rate changes nothing; another account's
//! order and store are 404, a vendor 403; the CSV export says what the API says.

use crate::cases::{deliver_refund, shipped_order, shopify_refund};
use crate::dashboard_pages::Browser;
use crate::support::cj_world::*;
use crate::support::*;
use dropflow::storage::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn profit(app: &TestApp, order: &str) -> Value {
    app.api_json(&format!("/api/v1/orders/{order}/profit"))
        .await
}

async fn set_fee(app: &TestApp, store: &str, bps: i64, fixed: i64, currency: &str) -> Value {
    let body = json!({ "percent_bps": bps, "fixed_minor": fixed, "fixed_currency": currency });
    let response = app
        .api_put(&format!("/api/v1/stores/{store}/payment-fee"), &body)
        .await;
    expect_json(response, StatusCode::OK).await
}

fn reasons(profit: &Value) -> Vec<String> {
    profit["missing"]
        .as_array()
        .expect("missing list")
        .iter()
        .map(|m| m["reason"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `minor` cents as the API writes USD/EUR amounts.
fn cents(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.abs() / 100, minor.abs() % 100)
}

/// `n × bps / 10000`, rounded half away from zero (the fee rule's percent part).
fn percent(n: i64, bps: i64) -> i64 {
    (n * bps * 2 + 10_000 * n.signum()) / 20_000
}

/// Every currency code of a Shopify payload (the order's, its money bags') made EUR.
fn in_euros(value: &mut Value) {
    match value {
        Value::String(s) if s == "USD" => *s = "EUR".into(),
        Value::Array(items) => items.iter_mut().for_each(in_euros),
        Value::Object(fields) => fields.values_mut().for_each(in_euros),
        _ => {}
    }
}

async fn set_cost(app: &TestApp, purchase: &str, cost: Option<i64>) {
    sqlx::query("UPDATE supplier_orders SET cost_minor = $1 WHERE id = $2")
        .bind(cost)
        .bind(purchase.to_string())
        .execute(&app.db.writer)
        .await
        .expect("cost set");
}

async fn total_minor(app: &TestApp, order: &str) -> i64 {
    app.order_detail(order).await["total_minor"]
        .as_i64()
        .expect("total")
}

/// Every report grouping as JSON and as CSV: the same rows, field by field.
async fn csv_matches_the_api(app: &TestApp, store: &str) {
    for by in ["day", "product", "supplier", "store"] {
        let json = app
            .api_json(&format!("/api/v1/stores/{store}/profit?by={by}"))
            .await;
        let response = app
            .api_get(&format!("/api/v1/stores/{store}/profit.csv?by={by}"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv"));
        let text = response.text().await.expect("csv body");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_string)
            .collect();
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        let rows = json["rows"].as_array().expect("rows");
        assert!(!rows.is_empty(), "{by}: {json}");
        assert_eq!(records.len(), rows.len(), "{by}: {text}\n{json}");
        for (record, row) in records.iter().zip(rows) {
            for (name, field) in header.iter().zip(record.iter()) {
                let expected = match row.get(name) {
                    Some(v) => v.clone(),
                    None => row["costs"][name].clone(),
                };
                let expected = match expected {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                assert_eq!(field, expected, "{by}.{name}: {text}\n{json}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_with_known_costs_gives_the_exact_figure_and_a_missing_cost_is_named() {
    let (_cj, app, id) = awaiting_payment(9_360_001).await;
    let store = app.shopify_store_id().await.to_string();

    // No fee rule yet: the fee is named, no figure is shown.
    let unknown = profit(&app, &id).await;
    assert_eq!(unknown["complete"], json!(false), "{unknown}");
    assert!(unknown["profit"].is_null(), "{unknown}");
    assert_eq!(reasons(&unknown), ["no_fee_rule"], "{unknown}");
    // The order page says which cost is missing instead of a figure.
    add_owner(&app, "owner@profit.test").await;
    let mut owner = Browser::sign_in(&app, "owner@profit.test").await;
    let page = owner.page(&format!("/orders/{id}")).await;
    assert!(
        page.contains("missing: payment fee: no rule set for the store"),
        "{page}"
    );
    assert!(!page.contains("order-profit-figure"));

    // A rule out of range is refused and writes nothing.
    let bad = json!({ "percent_bps": 10_001, "fixed_minor": 30, "fixed_currency": "USD" });
    expect_error(
        app.api_put(&format!("/api/v1/stores/{store}/payment-fee"), &bad)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    let kept = app
        .api_json(&format!("/api/v1/stores/{store}/payment-fee"))
        .await;
    assert!(kept["rule"].is_null(), "{kept}");
    set_fee(&app, &store, 290, 30, "USD").await;

    // A purchase the supplier has not priced: named, never guessed.
    let purchase = purchase(&app, &id).await;
    let purchase_id = purchase["id"].as_str().expect("purchase id").to_string();
    let cost = purchase["cost_minor"].as_i64().expect("priced purchase");
    // (Routing prices from the mapping; a link by hand or an old row can lack the price.)
    set_cost(&app, &purchase_id, None).await;
    let unpriced = profit(&app, &id).await;
    assert_eq!(reasons(&unpriced), ["not_priced"], "{unpriced}");
    let message = unpriced["missing"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains(&purchase_id), "{unpriced}");
    set_cost(&app, &purchase_id, Some(cost)).await;

    // Paid: the supplier cost is what the wallet paid.
    let paid = app
        .api_post_empty(&format!("/api/v1/orders/{id}/pay"))
        .await;
    assert!(paid.status().is_success(), "{}", paid.status());
    wait_status(&app, &id, "awaiting_shipment").await;
    let spent = app.wallet(&store, "USD").await;
    let total = total_minor(&app, &id).await;
    let fee = percent(total, 290) + 30;
    let figure = profit(&app, &id).await;
    assert_eq!(figure["complete"], json!(true), "{figure}");
    assert_eq!(figure["charged"], json!(cents(total)));
    assert_eq!(figure["revenue"], json!(cents(total)), "no taxes: {figure}");
    assert_eq!(
        figure["costs"]["supplier"],
        json!(cents(cost)),
        "{figure} {spent}"
    );
    assert_eq!(figure["costs"]["payment_fee"], json!(cents(fee)));
    assert_eq!(figure["cost_total"], json!(cents(cost + fee)));
    assert_eq!(
        figure["profit"],
        json!(cents(total - cost - fee)),
        "{figure}"
    );
    assert!(figure["missing"].as_array().is_some_and(Vec::is_empty));

    // The order page shows the figure; the profit page its chart and table.
    let page = owner.page(&format!("/orders/{id}")).await;
    let shown = format!(
        r#"<strong id="order-profit-figure">{} USD</strong>"#,
        cents(total - cost - fee)
    );
    assert!(page.contains(&shown), "{page}");
    let report = owner
        .page(&format!("/profit?store={store}&by=product"))
        .await;
    assert!(report.contains(r#"<figure class="chart""#), "{report}");
    assert!(report.contains(r#"id="profit-table""#), "{report}");
    let csv = owner
        .get(&format!("/profit.csv?store={store}&by=day"))
        .await;
    assert_eq!(csv.status(), StatusCode::OK);

    // The store report adds the one order up the same way, and the CSV says the same.
    let by_store = app
        .api_json(&format!("/api/v1/stores/{store}/profit?by=store"))
        .await;
    assert_eq!(
        by_store["rows"][0]["profit"], figure["profit"],
        "{by_store}"
    );
    assert_eq!(by_store["rows"][0]["orders"], json!(1));
    csv_matches_the_api(&app, &store).await;
    expect_error(
        app.api_get(&format!("/api/v1/stores/{store}/profit?by=week"))
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    expect_error(
        app.api_get(&format!(
            "/api/v1/stores/{store}/profit?from=2026-02-01&to=2026-01-01"
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    app.allow_pending_jobs();
}

fn dispute(order: u64, status: &str) -> Value {
    json!({"id": 598_735_700, "order_id": order, "type": "chargeback", "amount": "11.50",
        "currency": "USD", "reason": "fraudulent", "network_reason_code": "4827",
        "status": status, "evidence_due_by": "2099-12-29T19:00:00-05:00",
        "evidence_sent_on": null, "finalized_on": null,
        "initiated_at": "2013-05-03T20:00:00-04:00"})
}

async fn deliver_dispute(app: &TestApp, topic: &str, body: &Value) {
    let hook = shopify_hook(topic, body);
    expect_json(
        app.send_shopify(&hook, SHOPIFY_SECRET).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_and_a_lost_chargeback_lower_the_profit_and_an_open_one_is_named() {
    let (_cj, app, store, world) = shipped_order(9_360_002, 1, 10_036_001).await;
    set_fee(&app, &store, 0, 0, "USD").await;
    let before = profit(&app, &world.order).await;
    assert_eq!(before["complete"], json!(true), "{before}");
    // Two manual vendors' purchases at their agreed 2.00 USD a unit (3 units).
    assert_eq!(before["costs"]["vendor"], json!("6.00"), "{before}");
    let minor = |v: &Value| -> i64 {
        let text = v.as_str().expect("amount").replace('.', "");
        text.parse().expect("number")
    };
    let base = minor(&before["profit"]);

    let refund = shopify_refund(7_036_001, world.number, &world.line_a, 1, "4.50");
    let ack = expect_json(deliver_refund(&app, &refund).await, StatusCode::OK).await;
    assert_eq!(ack["status"], json!("case"), "{ack}");
    let refunded = profit(&app, &world.order).await;
    assert_eq!(refunded["costs"]["refund"], json!("4.50"), "{refunded}");
    assert_eq!(minor(&refunded["profit"]), base - 450, "{refunded}");

    // A chargeback under review: its cost is not known yet.
    deliver_dispute(
        &app,
        "disputes/create",
        &dispute(world.number, "needs_response"),
    )
    .await;
    let open = profit(&app, &world.order).await;
    assert_eq!(reasons(&open), ["undecided"], "{open}");
    // Lost: it costs its amount.
    let mut lost = dispute(world.number, "lost");
    lost["finalized_on"] = json!("2099-12-30T10:00:00-05:00");
    deliver_dispute(&app, "disputes/update", &lost).await;
    let after = profit(&app, &world.order).await;
    assert_eq!(after["costs"]["chargeback"], json!("11.50"), "{after}");
    assert_eq!(minor(&after["profit"]), base - 450 - 1150, "{after}");
    csv_matches_the_api(&app, &store).await;
    app.allow_pending_jobs();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cost_in_another_currency_is_converted_at_the_rate_recorded_when_it_was_incurred() {
    let (_cj, app, store) = cj_shop().await;
    let operator = member_token(&app, "operator@profit.test", Role::Warehouse, &[]).await;
    let rates = |rate: &str| json!({ "rates": [{ "base": "EUR", "quote": "USD", "rate": rate, "as_of": "2026-01-05" }] });
    let set = app
        .put_as(&operator, "/api/v1/fx-rates", &rates("1.25"))
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    put_auto(&app, &store, true, true).await;
    top_up(&app, &store, "500.00").await;
    set_fee(&app, &store, 0, 0, "EUR").await;
    let mut order = numbered_paid_order(9_360_003);
    order["line_items"] = json!([order["line_items"][0].clone()]);
    in_euros(&mut order);
    map_to(&app, &store, &order, "cj").await;
    let id = app.create_order(&order).await;
    let bought = wait_status(&app, &id, "awaiting_shipment").await;
    let cost_usd = bought["cost_minor"].as_i64().expect("cost");
    // cost USD / 1.25 EUR, rounded half away from zero.
    let cost_eur = (cost_usd * 100 * 2 + 125) / 250;
    let figure = profit(&app, &id).await;
    assert_eq!(figure["currency"], json!("EUR"));
    assert_eq!(
        figure["costs"]["supplier"],
        json!(cents(cost_eur)),
        "{figure}"
    );

    // A new rate later changes nothing already incurred.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let changed = app
        .put_as(&operator, "/api/v1/fx-rates", &rates("2.00"))
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let again = profit(&app, &id).await;
    assert_eq!(
        again["costs"]["supplier"], figure["costs"]["supplier"],
        "{again}"
    );
    assert_eq!(again["profit"], figure["profit"]);
    app.allow_pending_jobs();
}

#[tokio::test]
async fn another_accounts_order_and_store_are_404_and_a_vendor_is_refused() {
    let (_cj, app, id) = awaiting_payment(9_360_004).await;
    let store = app.shopify_store_id().await.to_string();
    let other = new_account(&app, "profit-other").await;
    let stranger = user_token(&app, &other, "owner@profit-other.test", Role::Owner, &[]).await;
    for path in [
        format!("/api/v1/orders/{id}/profit"),
        format!("/api/v1/stores/{store}/profit"),
        format!("/api/v1/stores/{store}/profit.csv"),
        format!("/api/v1/stores/{store}/payment-fee"),
    ] {
        expect_error(
            app.get_as(&stranger, &path).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let body = json!({ "percent_bps": 100, "fixed_minor": 0, "fixed_currency": "USD" });
    expect_error(
        app.put_as(
            &stranger,
            &format!("/api/v1/stores/{store}/payment-fee"),
            &body,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let vendor = vendor_token(&app, "v@profit.test", "vendor-a").await;
    expect_error(
        app.get_as(&vendor, &format!("/api/v1/orders/{id}/profit"))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    app.allow_pending_jobs();
}
