//! Payment disputes (issue 14, chargebacks): a Shopify `disputes/create` (the REST Dispute
//! resource, the official library's mock as the body) flags its order with the evidence due
//! date and puts it in Needs Attention; the same delivery again changes nothing; an update
//! moves the dispute forward and a late, older one does not move it back; the evidence file
//! downloads as one HTML document with the tracking number and the timeline, escaping what
//! the store typed; another account's user gets 404 and a vendor 403.

use crate::cases::WAIT;
use crate::support::cj_world::{cj_shop, map_to_manual};
use crate::support::*;
use dropflow::storage::accounts::{self, Role, Scope};
use dropflow::storage::chargebacks;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A line title a store could send: markup and quotes the evidence file must show as text.
const HOSTILE_TITLE: &str = r#"<script>alert("pwned")</script> Mug & "Cup""#;

/// `Shopify/shopify-app-js@af659d245115a5cc57a896afb014f72bfb2db983`,
/// `packages/apps/shopify-api/rest/admin/__tests__/2025-07/dispute.test.ts`, test_4's
/// dispute (unwrapped: a webhook body is the bare resource), on our order `order`.
fn sdk_dispute(order: u64) -> Value {
    json!({"id": 598735659, "order_id": order, "type": "chargeback", "amount": "11.50",
        "currency": "USD", "reason": "fraudulent", "network_reason_code": "4827",
        "status": "needs_response", "evidence_due_by": "2099-12-29T19:00:00-05:00",
        "evidence_sent_on": null, "finalized_on": null,
        "initiated_at": "2013-05-03T20:00:00-04:00"})
}

async fn deliver(app: &TestApp, topic: &str, body: &Value) -> Value {
    let hook = shopify_hook(topic, body);
    expect_json(
        app.send_shopify(&hook, SHOPIFY_SECRET).await,
        StatusCode::OK,
    )
    .await
}

/// A paid order of one line titled [`HOSTILE_TITLE`], bought from vendor A, who shipped it
/// with a tracking number; (order id, tracking number, vendor's token, line id).
async fn shipped_order(
    app: &TestApp,
    store: &str,
    number: u64,
) -> (String, String, String, String) {
    let mut order = paid_order(number, &format!("#{number}"));
    order["line_items"][0]["title"] = json!(HOSTILE_TITLE);
    let line = order["line_items"][0].clone();
    map_to_manual(app, store, &line["variant_id"], "vendor-a").await;
    let vendor = vendor_token(app, &format!("cb{number}@vendor.test"), "vendor-a").await;
    let id = app.create_order(&order).await;
    let handed = eventually(WAIT, || async {
        app.supplier_orders(&id)
            .await
            .iter()
            .any(|p| p["status"] == json!("awaiting_shipment"))
    })
    .await;
    assert!(handed, "the purchase was handed over");
    let purchase = app.supplier_orders(&id).await[0]["id"]
        .as_str()
        .expect("purchase id")
        .to_string();
    let tracking = dropflow_core::tracking::s10_number("RR", 28_000_001, "CN");
    let body = json!({ "tracking_number": tracking,
        "lines": [{ "line_id": line["id"].to_string(), "quantity": line["quantity"] }] });
    let shipped = app
        .post_as(
            &vendor,
            &format!("/api/v1/supplier-orders/{purchase}/ship"),
            &body,
        )
        .await;
    assert!(shipped.status().is_success(), "{}", shipped.status());
    (id, tracking, vendor, line["id"].to_string())
}

async fn dispute_row(app: &TestApp, order: &str) -> (i64, String) {
    let count = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM chargebacks WHERE order_id = '{order}'"
        ))
        .await;
    let status: String = sqlx::query_scalar("SELECT status FROM chargebacks WHERE order_id = $1")
        .bind(order)
        .fetch_one(&app.db.reader)
        .await
        .expect("the dispute's row");
    (count, status)
}

async fn dispute_entries(app: &TestApp, order: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM order_events WHERE order_id = '{order}' AND kind = 'chargeback'"
    ))
    .await
}

fn chargeback_flags(flags: &[Value]) -> Vec<Value> {
    flags
        .iter()
        .filter(|f| f["kind"] == json!("chargeback"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_store_dispute_flags_its_order_moves_forward_only_and_its_evidence_downloads() {
    let (_cj, app, store) = cj_shop().await;
    let number = 9_728_001;
    let (order, tracking, vendor, line) = shipped_order(&app, &store, number).await;
    // The customer wrote in before disputing: a case with their words.
    let case = expect_json(
        crate::cases::open(
            &app,
            &order,
            &json!({ "reason": "not_received", "lines": [{ "line_id": line, "quantity": 1 }],
                "resolution": { "kind": "reship" },
                "note": "Customer: <b>never</b> got it & asked \"where?\"" }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let case_id = case["id"].as_str().expect("case id").to_string();

    // disputes/create: recorded, flagged with the amount, reason and due date.
    let created = deliver(&app, "disputes/create", &sdk_dispute(number)).await;
    assert_eq!(created["status"], json!("chargeback"), "{created}");
    assert_eq!(created["order_id"], json!(order));
    let flags = chargeback_flags(&app.flags(&order).await);
    assert_eq!(flags.len(), 1, "{flags:?}");
    let words = flags[0]["detail"].as_str().unwrap_or_default();
    for part in [
        "chargeback",
        "11.50",
        "fraudulent",
        "598735659",
        // 19:00 at -05:00 on the 29th is midnight UTC on the 30th.
        "evidence due by 2099-12-30 00:00 UTC",
    ] {
        assert!(words.contains(part), "{part}: {words}");
    }
    app.check_attention(&order).await;
    let listed = app.api_json("/api/v1/orders?needs_attention=true").await;
    assert!(listed.to_string().contains(&order), "{listed}");
    assert_eq!(
        dispute_row(&app, &order).await,
        (1, "needs_response".into())
    );
    assert_eq!(dispute_entries(&app, &order).await, 1);

    // The same delivery again (Shopify retries): nothing new.
    let again = deliver(&app, "disputes/create", &sdk_dispute(number)).await;
    assert_eq!(again["status"], json!("duplicate"), "{again}");
    assert_eq!(chargeback_flags(&app.flags(&order).await).len(), 1);
    assert_eq!(dispute_entries(&app, &order).await, 1);

    // Evidence sent: under review. Then an older update arrives late: it is stale.
    let mut review = sdk_dispute(number);
    review["status"] = json!("under_review");
    review["evidence_sent_on"] = json!("2099-12-20T10:00:00-05:00");
    let moved = deliver(&app, "disputes/update", &review).await;
    assert_eq!(moved["status"], json!("chargeback"), "{moved}");
    assert_eq!(dispute_row(&app, &order).await, (1, "under_review".into()));
    let stale = deliver(&app, "disputes/update", &sdk_dispute(number)).await;
    assert_eq!(stale["status"], json!("stale"), "{stale}");
    assert_eq!(dispute_row(&app, &order).await, (1, "under_review".into()));
    assert_eq!(dispute_entries(&app, &order).await, 2);

    // Won: on the timeline; the flag is a person's to settle, so it stays open.
    let mut won = review.clone();
    won["status"] = json!("won");
    won["finalized_on"] = json!("2100-01-15T10:00:00-05:00");
    assert_eq!(
        deliver(&app, "disputes/update", &won).await["status"],
        json!("chargeback")
    );
    assert_eq!(dispute_row(&app, &order).await, (1, "won".into()));
    let open: Vec<Value> = chargeback_flags(&app.flags(&order).await)
        .into_iter()
        .filter(|f| f["resolved_at"].is_null())
        .collect();
    assert_eq!(open.len(), 1, "{open:?}");
    let detail = app.order_detail(&order).await;
    let timeline = detail["timeline"].to_string();
    assert!(timeline.contains("won"), "{timeline}");

    // A dispute on no order, or on an order dropflow never took, is acknowledged only.
    let mut orphan = sdk_dispute(number);
    orphan["id"] = json!(1052608616);
    orphan["order_id"] = Value::Null;
    assert_eq!(
        deliver(&app, "disputes/create", &orphan).await["status"],
        json!("ignored")
    );
    orphan["order_id"] = json!(4_242_424_242u64);
    assert_eq!(
        deliver(&app, "disputes/create", &orphan).await["status"],
        json!("ignored")
    );

    // The evidence file: one HTML attachment with the tracking number, the dispute and the
    // timeline; the store's markup shown as text.
    let response = app
        .api_get(&format!("/api/v1/orders/{order}/evidence"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"evidence-{number}.html\"")
    );
    assert_eq!(header("cache-control"), "no-store");
    let html = response.text().await.expect("the file");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(
        html.contains(&format!("Tracking number {tracking}")),
        "{html}"
    );
    assert!(html.contains("Payment dispute 598735659: won"), "{html}");
    assert!(
        html.contains("Payment dispute 598735659: under review"),
        "{html}"
    );
    assert!(html.contains("Full timeline"), "{html}");
    assert!(html.contains("Received from the store"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    // Askama writes numeric character references.
    let escaped = "&#60;script&#62;alert(&#34;pwned&#34;)&#60;/script&#62; Mug &#38; &#34;Cup&#34;";
    assert!(html.contains(escaped), "{html}");
    // The case and the customer's words, escaped.
    assert!(
        html.contains(&format!("Case {case_id}: not received, reship")),
        "{html}"
    );
    assert!(
        html.contains("Customer: &#60;b&#62;never&#60;/b&#62; got it &#38; asked &#34;where?&#34;"),
        "{html}"
    );
    // The customer's shipping address is the merchant's own evidence.
    assert!(html.contains("<address>"), "{html}");

    // Another account's owner: 404, as for any order it cannot see; a vendor: 403.
    let other = accounts::create_account(&app.db, "tenant-chargebacks")
        .await
        .expect("account");
    let outsider = user_token(&app, &other, "owner@cb-b.example", Role::Owner, &[]).await;
    let dispute_id: String = sqlx::query_scalar("SELECT id FROM chargebacks WHERE order_id = $1")
        .bind(&order)
        .fetch_one(&app.db.reader)
        .await
        .expect("the dispute");
    let theirs = Scope::Account {
        account_id: other.clone(),
    };
    let seen = chargebacks::get(&app.db, &theirs, &dispute_id)
        .await
        .unwrap();
    assert!(seen.is_none(), "another account reads no dispute");
    let ours = chargebacks::get(&app.db, &Scope::Installation, &dispute_id)
        .await
        .unwrap()
        .expect("the installation reads it");
    assert_eq!(
        (ours.store_dispute_id.as_str(), ours.status.as_str()),
        ("598735659", "won")
    );
    expect_error(
        app.get_as(&outsider, &format!("/api/v1/orders/{order}/evidence"))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.get_as(&vendor, &format!("/api/v1/orders/{order}/evidence"))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    app.allow_pending_jobs();
}

/// The route refuses what Shopify would never send as a dispute, naming the field, and
/// writes nothing; a bad signature is refused like every delivery.
#[tokio::test]
async fn a_malformed_or_unsigned_dispute_is_refused_and_writes_nothing() {
    let (_cj, app, store) = cj_shop().await;
    let number = 9_728_002;
    let (order, _, _, _) = shipped_order(&app, &store, number).await;
    let mut bad = sdk_dispute(number);
    bad["amount"] = json!("eleven");
    let hook = shopify_hook("disputes/create", &bad);
    let message = expect_error(
        app.send_shopify(&hook, SHOPIFY_SECRET).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(message.contains("amount"), "{message}");
    let hook = shopify_hook("disputes/create", &sdk_dispute(number));
    app.refused_shopify(&hook, "not-the-secret").await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM chargebacks").await,
        0,
        "nothing recorded"
    );
    assert!(chargeback_flags(&app.flags(&order).await).is_empty());
    app.allow_pending_jobs();
}
