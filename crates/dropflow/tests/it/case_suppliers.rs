//! The supplier's side of a case (issue 14): the supplier of the claimed goods is asked the
//! way it can answer — a marketplace vendor on its page, the merchant as a task when the
//! goods came from several purchases (or the supplier has no dispute API) — its refund is
//! credited to the case once per supplier reference, and a deadline that passes without an
//! answer is marked expired and flagged by the follower.

use crate::cases::{open, shipped_order, stepped, World, WAIT};
use crate::support::cj_world::{cj_shop, top_up};
use crate::support::*;
use dropflow::fulfilment::follower::{self, FollowerConfig};
use dropflow::fulfilment::Services;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn case(app: &TestApp, id: &str) -> Value {
    app.api_json(&format!("/api/v1/cases/{id}")).await
}

/// Waits until the case's supplier side is `state`; the case then.
async fn wait_supplier(app: &TestApp, id: &str, state: &str) -> Value {
    wait_side(app, id, "supplier", state).await
}

/// Waits until the case's `side` (`customer` or `supplier`) is `state`; the case then.
async fn wait_side(app: &TestApp, id: &str, side: &str, state: &str) -> Value {
    let reached = eventually(WAIT, || async {
        case(app, id).await[side]["state"] == json!(state)
    })
    .await;
    let now = case(app, id).await;
    assert!(reached, "the {side} side never became {state}: {now}");
    now
}

/// Opens a reship of one unit of line A (201 expected); the case's id.
async fn open_reship(app: &TestApp, world: &World) -> String {
    let opened = expect_json(
        open(app, &world.order, &reship(&[(&world.line_a, 1)])).await,
        StatusCode::CREATED,
    )
    .await;
    opened["id"].as_str().expect("id").to_string()
}

/// The order's timeline says `words` exactly once.
async fn said_once(app: &TestApp, order: &str, words: &str) {
    let timeline = app.order_detail(order).await["timeline"].to_string();
    assert_eq!(timeline.matches(words).count(), 1, "{timeline}");
}

async fn answer(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    app.post_as(token, &format!("/api/v1/cases/{id}/events"), &body)
        .await
}

fn reship(lines: &[(&str, u32)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(line, quantity)| json!({ "line_id": line, "quantity": quantity }))
        .collect();
    json!({ "reason": "wrong_item", "lines": lines, "resolution": { "kind": "reship" } })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vendor_asked_answers_on_its_page_and_its_refund_counts_once() {
    let (_cj, app, _, world) = shipped_order(9_717_001, 2, 10_000_201).await;
    let id = open_reship(&app, &world).await;
    let asked = wait_supplier(&app, &id, "asked").await;
    assert_eq!(asked["supplier"]["by_api"], json!(false), "{asked}");
    assert_eq!(asked["supplier"]["purchase"], json!(world.purchase_a));
    assert!(asked["supplier_due_at"].is_string(), "{asked}");

    // The vendor lists it among its cases and answers: bad answers are refused, naming why.
    let listed = expect_json(
        app.get_as(&world.vendor_a, "/api/v1/cases").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        listed["cases"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    for (body, field) in [
        (
            json!({"event": "supplier_credited", "amount": "-1.00", "reference": "VA-1"}),
            "amount",
        ),
        (
            json!({"event": "supplier_credited", "amount": "2.00", "reference": " "}),
            "reference",
        ),
        (
            json!({"event": "supplier_credited", "amount": "2.001", "reference": "VA-1"}),
            "amount",
        ),
        (json!({"event": "supplier_refused", "note": ""}), "note"),
    ] {
        let message = expect_error(
            answer(&app, &world.vendor_a, &id, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(message.starts_with(field), "{message}");
    }
    for _ in 0..2 {
        let credited = expect_json(
            answer(
                &app,
                &world.vendor_a,
                &id,
                json!({"event": "supplier_credited", "amount": "2.00", "reference": "VA-1"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            credited["supplier"]["state"],
            json!("credited"),
            "{credited}"
        );
        assert_eq!(
            credited["money"]["recovered"],
            json!("2.00"),
            "once: {credited}"
        );
    }
    said_once(&app, &world.order, "the supplier refunded 2.00 USD").await;
    app.allow_pending_jobs();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goods_from_two_purchases_are_the_merchants_task_and_a_missed_deadline_is_flagged() {
    let (_cj, app, _, world) = shipped_order(9_717_002, 1, 10_000_211).await;
    // Vendor B ships its purchase whole.
    let purchase_b = app
        .supplier_orders(&world.order)
        .await
        .into_iter()
        .find(|p| p["supplier_account"] == json!("vendor-b"))
        .and_then(|p| p["id"].as_str().map(str::to_string))
        .expect("vendor B's purchase");
    let number = dropflow_core::tracking::s10_number("RR", 10_000_212, "CN");
    let shipped = app
        .api_post(
            &format!("/api/v1/supplier-orders/{purchase_b}/ship"),
            &json!({ "tracking_number": number }),
        )
        .await;
    assert!(shipped.status().is_success(), "{}", shipped.status());

    let opened = expect_json(
        open(
            &app,
            &world.order,
            &reship(&[(&world.line_a, 1), (&world.line_b, 1)]),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = opened["id"].as_str().expect("id").to_string();
    let asked = wait_supplier(&app, &id, "asked").await;
    assert_eq!(asked["supplier"]["purchase"], json!(null), "{asked}");
    app.wait_flag_saying(&world.order, "case_supplier_task", "2 purchases")
        .await;
    // Neither vendor is asked for a case that is not only theirs.
    let seen = expect_json(
        app.get_as(&world.vendor_a, "/api/v1/cases?status=all")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["cases"], json!([]));

    // Its deadline passes with no answer (moved into the past here, as time would): the
    // follower's next look marks it expired and flags it. First the reship's replacement is
    // bought, so no job writes the case while the test rewrites it (the version is bumped
    // too, as any writer does).
    wait_side(&app, &id, "customer", "replacement_ordered").await;
    let mut state: Value = serde_json::from_str(
        &sqlx::query_scalar::<_, String>("SELECT state FROM cases WHERE id = $1")
            .bind(&id)
            .fetch_one(&app.db.writer)
            .await
            .expect("state"),
    )
    .expect("json");
    state["supplier"]["due_ms"] = json!(1_000);
    sqlx::query(
        "UPDATE cases SET state = $1, next_sync_at = 1, version = version + 1 WHERE id = $2",
    )
    .bind(state.to_string())
    .bind(&id)
    .execute(&app.db.writer)
    .await
    .expect("moved");
    follower::tick(&Services::bare(&app.db), &FollowerConfig::default())
        .await
        .expect("tick");
    let expired = wait_supplier(&app, &id, "expired").await;
    assert!(expired["next_steps"]
        .as_array()
        .expect("steps")
        .iter()
        .all(|s| s != "await_supplier"));
    app.wait_flag(&world.order, "case_supplier_expired").await;
    // Nothing is left to follow: another look finds nothing due.
    let due: Option<i64> = sqlx::query_scalar("SELECT next_sync_at FROM cases WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.db.writer)
        .await
        .expect("next sync");
    assert_eq!(due, None);
    // A late refund is still money recovered, recorded by the merchant.
    let late = expect_json(
        app.api_post(
            &format!("/api/v1/cases/{id}/events"),
            &json!({"event": "supplier_credited", "amount": "1.50", "reference": "late-1"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(late["supplier"]["state"], json!("credited"));
    // Answered, the case's supplier flags are settled by the case itself: the task and the
    // expiry no longer ask anything of a person.
    let flags = app
        .api_json(&format!("/api/v1/orders/{}/flags", world.order))
        .await;
    for kind in ["case_supplier_task", "case_supplier_expired"] {
        let flag = flags
            .as_array()
            .and_then(|all| all.iter().find(|f| f["kind"] == json!(kind)))
            .unwrap_or_else(|| panic!("no {kind} flag: {flags}"));
        assert!(
            flag["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with(&format!("case {id}: "))),
            "{flag}"
        );
        assert_eq!(flag["resolution"], json!("settled on the case"), "{flag}");
    }
    app.allow_pending_jobs();
    app.stop().await;
}

/// What time passing does: every follow-up of the order (its purchases' syncs, its cases'
/// looks) falls due, and the follower takes one tick.
async fn follow_now(app: &TestApp, order: &str) {
    for table in ["supplier_orders", "cases"] {
        sqlx::query(&format!(
            "UPDATE {table} SET next_sync_at = 1 WHERE order_id = $1 AND next_sync_at IS NOT NULL"
        ))
        .bind(order)
        .execute(&app.db.writer)
        .await
        .expect("due now");
    }
    follower::tick(&Services::bare(&app.db), &FollowerConfig::default())
        .await
        .expect("tick");
}

fn cents(decimal: &Value) -> i64 {
    let text = decimal.as_str().expect("a decimal string");
    let (units, fraction) = text.split_once('.').expect("two decimals");
    units.parse::<i64>().expect("units") * 100 + fraction.parse::<i64>().expect("cents")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cj_purchase_is_disputed_through_cjs_api_and_its_refund_reaches_the_wallet_once() {
    use crate::support::cj_world::{one_line_order, put_auto, top_up, wait_status};
    let (cj, app, store) = cj_shop().await;
    put_auto(&app, &store, true, true).await;
    top_up(&app, &store, "500.00").await;
    let order = one_line_order(&app, &store, 9_717_101, "cj").await;
    wait_status(&app, &order, "awaiting_shipment").await;
    cj.advance(std::time::Duration::from_secs(3 * 86_400));
    let shipped = eventually(WAIT, || async {
        follow_now(&app, &order).await;
        app.supplier_orders(&order).await[0]["status"] != json!("awaiting_shipment")
    })
    .await;
    assert!(shipped, "the CJ parcel was recorded");
    let line = app.order_detail(&order).await["lines"][0]["external_id"].clone();

    let opened = expect_json(
        open(
            &app,
            &order,
            &json!({ "reason": "damaged", "lines": [{ "line_id": line, "quantity": 1 }],
                "resolution": { "kind": "reship" } }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = opened["id"].as_str().expect("id").to_string();
    let asked = wait_supplier(&app, &id, "asked").await;
    assert_eq!(asked["supplier"]["by_api"], json!(true), "{asked}");
    let disputes = cj.disputes();
    assert_eq!(disputes.len(), 1, "{disputes:?}");
    assert_eq!(disputes[0].business_dispute_id, id, "our key is the case");
    let asked_cents = disputes[0].asked_cents;
    assert!(asked_cents > 0);

    // Still open at CJ: a look changes nothing. Decided after the sandbox's days pass.
    follow_now(&app, &order).await;
    assert_eq!(case(&app, &id).await["supplier"]["state"], json!("asked"));
    let before = cents(&app.wallet(&store, "USD").await["available"]);
    cj.advance(std::time::Duration::from_secs(4 * 86_400));
    let credited = eventually(WAIT, || async {
        follow_now(&app, &order).await;
        case(&app, &id).await["supplier"]["state"] == json!("credited")
    })
    .await;
    let now = case(&app, &id).await;
    assert!(credited, "CJ's refund never arrived: {now}");
    assert_eq!(cents(&now["money"]["recovered"]), asked_cents, "{now}");
    let after = cents(&app.wallet(&store, "USD").await["available"]);
    assert_eq!(after - before, asked_cents, "credited to the wallet");
    // Further looks (there is nothing left to follow) credit nothing more.
    follow_now(&app, &order).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(cents(&app.wallet(&store, "USD").await["available"]), after);
    said_once(&app, &order, "credited to the wallet").await;
    app.allow_pending_jobs();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reship_is_bought_again_and_its_parcel_settles_the_case_an_unmapped_exchange_is_flagged()
{
    let (_cj, app, _, world) = shipped_order(9_717_201, 2, 10_000_301).await;
    let before = app.supplier_orders(&world.order).await.len();
    let id = open_reship(&app, &world).await;
    let now = wait_side(&app, &id, "customer", "replacement_ordered").await;
    let purchases = app.supplier_orders(&world.order).await;
    assert_eq!(
        purchases.len(),
        before + 1,
        "one purchase more: {purchases:?}"
    );
    let replacement = now["customer"]["supplier_order_id"]
        .as_str()
        .expect("the replacement purchase")
        .to_string();
    let bought = purchases
        .iter()
        .find(|p| p["id"] == json!(replacement))
        .expect("listed with the order's purchases");
    assert_eq!(bought["supplier_account"], json!("vendor-a"));
    assert_eq!(bought["items"][0]["quantity"], json!(1), "{bought}");
    assert_eq!(now["money"]["replacement"], json!("2.00"), "{now}");

    // Vendor A ships the replacement: the case's customer side is settled by it.
    let handed = eventually(WAIT, || async {
        app.supplier_orders(&world.order)
            .await
            .iter()
            .any(|p| p["id"] == json!(replacement) && p["status"] == json!("awaiting_shipment"))
    })
    .await;
    assert!(handed, "the replacement was handed to vendor A");
    let number = dropflow_core::tracking::s10_number("RR", 10_000_302, "CN");
    let shipped = app
        .post_as(
            &world.vendor_a,
            &format!("/api/v1/supplier-orders/{replacement}/ship"),
            &json!({ "tracking_number": number }),
        )
        .await;
    assert!(shipped.status().is_success(), "{}", shipped.status());
    let settled = case(&app, &id).await;
    assert_eq!(
        settled["customer"]["state"],
        json!("replacement_shipped"),
        "{settled}"
    );

    // An exchange for a variant nobody mapped cannot be bought: flagged for a person.
    let exchange = json!({ "reason": "wrong_item",
        "lines": [{ "line_id": world.line_a, "quantity": 1 }],
        "resolution": { "kind": "exchange", "variant_id": "999000111" } });
    let opened = expect_json(
        open(&app, &world.order, &exchange).await,
        StatusCode::CREATED,
    )
    .await;
    let exchange_id = opened["id"].as_str().expect("id").to_string();
    // The goods come back first; once on their way, the new variant is bought.
    let tracking = dropflow_core::tracking::s10_number("RR", 10_000_303, "CN");
    let in_transit = stepped(
        &app,
        &exchange_id,
        json!({ "event": "return_shipped", "tracking_number": tracking }),
    )
    .await;
    assert!(
        in_transit["next_steps"]
            .to_string()
            .contains("order_replacement"),
        "{in_transit}"
    );
    app.wait_flag_saying(&world.order, "case_replacement_failed", "999000111")
        .await;
    assert_eq!(app.supplier_orders(&world.order).await.len(), before + 1);
    app.expect_failed_jobs("case.order_replacement");
    app.allow_pending_jobs();
    app.stop().await;
}

/// An exchange for a variant the store maps by SKU (as CSV imports do) is bought under that
/// SKU: the merchant gives the variant and its SKU, the goods come back, and the other
/// variant's vendor gets the new purchase.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_for_a_variant_mapped_by_sku_is_bought_from_that_skus_supplier() {
    let (_cj, app, store, world) = shipped_order(9_717_301, 2, 10_000_401).await;
    let before = app.supplier_orders(&world.order).await.len();
    app.put_mapping(
        &store,
        &json!({ "sku": "CAP-BLUE",
            "components": [{ "offers": [{ "supplier": "manual", "account": "vendor-b",
                "supplier_product_id": "p-cap", "supplier_sku_id": "s-cap-blue",
                "unit_cost": "3.00", "currency": "USD" }] }] }),
    )
    .await;
    let exchange = json!({ "reason": "changed_mind",
        "lines": [{ "line_id": world.line_a, "quantity": 1 }],
        "resolution": { "kind": "exchange", "variant_id": "777000111", "sku": " CAP-BLUE " } });
    let opened = expect_json(
        open(&app, &world.order, &exchange).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        opened["terms"]["sku"],
        json!("CAP-BLUE"),
        "kept trimmed: {opened}"
    );
    let id = opened["id"].as_str().expect("id").to_string();
    let tracking = dropflow_core::tracking::s10_number("RR", 10_000_402, "CN");
    stepped(
        &app,
        &id,
        json!({ "event": "return_shipped", "tracking_number": tracking }),
    )
    .await;
    let now = wait_side(&app, &id, "customer", "replacement_ordered").await;
    let purchases = app.supplier_orders(&world.order).await;
    assert_eq!(purchases.len(), before + 1, "{purchases:?}");
    let replacement = now["customer"]["supplier_order_id"]
        .as_str()
        .expect("the replacement");
    let bought = purchases
        .iter()
        .find(|p| p["id"] == json!(replacement))
        .expect("listed");
    assert_eq!(bought["supplier_account"], json!("vendor-b"), "{bought}");
    assert_eq!(now["money"]["replacement"], json!("3.00"), "{now}");

    // A SKU longer than any store allows is refused naming the field, nothing opened.
    let long = json!({ "reason": "changed_mind",
        "lines": [{ "line_id": world.line_a, "quantity": 1 }],
        "resolution": { "kind": "exchange", "variant_id": "1", "sku": "x".repeat(256) } });
    let refused = open(&app, &world.order, &long).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text()
        .await
        .unwrap_or_default()
        .contains("resolution.sku"));
    app.allow_pending_jobs();
    app.stop().await;
}

/// A reship whose first offer's supplier refuses it for stock is bought again from the next
/// offer: the refusing purchase is cancelled, the case waits again (its cost not spent), and
/// the backup vendor gets the replacement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_refused_for_stock_is_bought_again_from_the_next_offer() {
    let (cj, app, store, world) = shipped_order(9_717_401, 2, 10_000_501).await;
    top_up(&app, &store, "500.00").await;
    // Line A now maps to CJ first and vendor B as the backup; CJ has none left.
    let variant = &dropflow_sandbox::cj::variants()[0];
    cj.set_stock(&variant.vid, 0);
    let detail = app.order_detail(&world.order).await;
    let line_variant = detail["lines"]
        .as_array()
        .and_then(|lines| {
            lines
                .iter()
                .find(|l| l["external_id"] == json!(world.line_a))
        })
        .and_then(|l| l["variant_id"].as_str())
        .expect("line A's variant")
        .to_string();
    app.put_mapping(
        &store,
        &json!({ "variant_id": line_variant, "components": [{ "offers": [
            { "supplier": "cj", "supplier_product_id": variant.pid,
              "supplier_sku_id": variant.vid, "unit_cost": "2.00", "currency": "USD",
              "priority": 1 },
            { "supplier": "manual", "account": "vendor-b", "supplier_product_id": "p-b",
              "supplier_sku_id": "s-b", "unit_cost": "2.50", "currency": "USD",
              "priority": 2 } ] }] }),
    )
    .await;
    let id = open_reship(&app, &world).await;
    let rebought = eventually(WAIT, || async {
        let now = case(&app, &id).await;
        let Some(purchase) = now["customer"]["supplier_order_id"].as_str() else {
            return false;
        };
        app.supplier_orders(&world.order)
            .await
            .iter()
            .any(|p| p["id"] == json!(purchase) && p["supplier_account"] == json!("vendor-b"))
    })
    .await;
    let now = case(&app, &id).await;
    let purchases = app.supplier_orders(&world.order).await;
    assert!(rebought, "{now} {purchases:?}");
    let refused = purchases
        .iter()
        .find(|p| p["supplier"] == json!("cj"))
        .expect("the CJ attempt");
    assert_eq!(refused["status"], json!("cancelled"), "{refused}");
    assert_eq!(now["money"]["replacement"], json!("2.50"), "{now}");
    let timeline = app.order_detail(&world.order).await["timeline"].to_string();
    assert!(timeline.contains("replacement_refused"), "{timeline}");
    app.allow_pending_jobs();
    app.stop().await;
}
