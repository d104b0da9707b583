//! Cases from the store's returns door (issue 14): Shopify's `returns/request` opens a
//! return-first case with the order lines, quantities and the mapped reason; `returns/approve`
//! is noted (or opens the case when nobody requested it); `returns/decline` declines and
//! closes it; `returns/cancel` closes it unless money moved; `returns/close` closes it once
//! nothing is left, else says what is; `returns/reopen` is noted. The later topics name no
//! order: they find the case by the store's return id, per store. Every delivery is a
//! duplicate the second time, by its event id and by its status. A `refunds/create` for the
//! return lands on its case. A request the order cannot take is a 422 naming the line, and
//! writes nothing. The bodies come from the sandbox's Shopify return
//! (`dropflow_sandbox::shopify::returns`).

use crate::cases::{open_refund, shipped_order, World};
use crate::support::*;
use dropflow_sandbox::shopify::returns::{ReturnTopic, SandboxReturn};
use dropflow_sandbox::shopify::ShopifyWebhook;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A return of `world`'s order numbered `id` (its store name `#<order>-R<n>`).
fn store_return(world: &World, id: u64, n: u32) -> SandboxReturn {
    SandboxReturn::new(id, world.number, &format!("#{}-R{n}", world.number))
}

fn line_id(text: &str) -> u64 {
    text.parse().expect("numeric line id")
}

async fn send(app: &TestApp, hook: &ShopifyWebhook) -> reqwest::Response {
    app.send_shopify(hook, SHOPIFY_SECRET).await
}

/// Delivers `topic` of `ret` from the default shop, 200 expected; the delivery and its ack.
async fn deliver(
    app: &TestApp,
    ret: &SandboxReturn,
    topic: ReturnTopic,
) -> (ShopifyWebhook, Value) {
    let hook = ret.delivery(topic, SHOP);
    let ack = expect_json(send(app, &hook).await, StatusCode::OK).await;
    (hook, ack)
}

/// Delivers `topic` of `ret`; its ack's status.
async fn status_of(app: &TestApp, ret: &SandboxReturn, topic: ReturnTopic) -> String {
    let (_, ack) = deliver(app, ret, topic).await;
    ack["status"].as_str().unwrap_or_default().to_string()
}

async fn cases_of(app: &TestApp, order: &str) -> Vec<Value> {
    app.api_list(&format!("/api/v1/orders/{order}/cases")).await
}

async fn case(app: &TestApp, id: &str) -> Value {
    app.api_json(&format!("/api/v1/cases/{id}")).await
}

/// The case following the store return `return_id`.
async fn case_of_return(app: &TestApp, order: &str, return_id: u64) -> Value {
    cases_of(app, order)
        .await
        .into_iter()
        .find(|c| c["store_return_id"] == json!(return_id.to_string()))
        .unwrap_or_else(|| panic!("no case follows return {return_id}"))
}

/// The order's case steps on its timeline: (step, words, actor), oldest first.
async fn steps(app: &TestApp, order: &str) -> Vec<(String, String, String)> {
    let detail = app.order_detail(order).await;
    let mut steps: Vec<(String, String, String)> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == json!("case"))
        .map(|e| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&e["detail"]["step"]),
                text(&e["detail"]["detail"]),
                text(&e["actor"]),
            )
        })
        .collect();
    // The timeline lists newest first.
    steps.reverse();
    steps
}

fn count(steps: &[(String, String, String)], step: &str) -> usize {
    steps.iter().filter(|(s, _, _)| s == step).count()
}

async fn return_receipts(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM webhook_receipts WHERE topic LIKE 'returns/%'")
        .await
}

#[tokio::test]
async fn a_requested_return_opens_a_return_first_case_once_and_its_approval_is_noted_once() {
    let (_cj, app, _, world) = shipped_order(9_730_001, 2, 10_030_001).await;
    let ret = store_return(&world, 7_300_001, 1)
        .line(line_id(&world.line_a), 1, "defective")
        .customer_note("The handle snapped off.");

    let (request, ack) = deliver(&app, &ret, ReturnTopic::Request).await;
    assert_eq!(ack["status"], json!("case"), "{ack}");
    assert_eq!(ack["order_id"], json!(world.order));
    let cases = cases_of(&app, &world.order).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    let opened = &cases[0];
    assert_eq!(opened["resolution"], json!("return_first"), "{opened}");
    assert_eq!(opened["reason"], json!("damaged"));
    assert_eq!(opened["lines"][0]["line_id"], json!(world.line_a));
    assert_eq!(opened["lines"][0]["quantity"], json!(1));
    assert_eq!(opened["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(opened["opened_by"], json!("store:shopify"));
    assert_eq!(opened["store_reference"], json!("return:7300001"));
    assert_eq!(opened["store_return_id"], json!("7300001"));
    assert_eq!(opened["store_return_status"], json!("requested"));
    assert_eq!(opened["return"]["state"], json!("awaited"));
    assert_eq!(opened["customer"]["state"], json!("pending"));
    let note = opened["note"].as_str().unwrap_or_default();
    for words in ["#9730001-R1", "defective", "The handle snapped off."] {
        assert!(note.contains(words), "{words}: {note}");
    }
    let id = opened["id"].as_str().expect("case id").to_string();

    // The same event again, and the same request as a new event: nothing new.
    let again = expect_json(send(&app, &request.redelivery()).await, StatusCode::OK).await;
    assert_eq!(again["status"], json!("duplicate"), "{again}");
    assert_eq!(
        status_of(&app, &ret, ReturnTopic::Request).await,
        "duplicate"
    );
    assert_eq!(cases_of(&app, &world.order).await.len(), 1);
    let timeline = steps(&app, &world.order).await;
    assert_eq!(count(&timeline, "opened"), 1, "{timeline:?}");
    let (_, words, actor) = timeline
        .iter()
        .find(|(s, _, _)| s == "opened")
        .expect("opened");
    assert_eq!(actor, "store:shopify");
    assert!(words.contains("requested in Shopify"), "{words}");

    // Approved in the store: noted once, the case otherwise as it was.
    let (approval, ack) = deliver(&app, &ret, ReturnTopic::Approve).await;
    assert_eq!(ack["status"], json!("case"), "{ack}");
    for repeat in [
        expect_json(send(&app, &approval.redelivery()).await, StatusCode::OK).await,
        deliver(&app, &ret, ReturnTopic::Approve).await.1,
    ] {
        assert_eq!(repeat["status"], json!("duplicate"), "{repeat}");
    }
    // A request delivered after its approval is late, not a second case.
    assert_eq!(status_of(&app, &ret, ReturnTopic::Request).await, "stale");
    let now = case(&app, &id).await;
    assert_eq!(now["store_return_status"], json!("open"), "{now}");
    assert_eq!(now["customer"]["state"], json!("pending"));
    assert!(now["closed_at"].is_null());
    let timeline = steps(&app, &world.order).await;
    assert_eq!(count(&timeline, "store_approved"), 1, "{timeline:?}");
    assert!(timeline
        .iter()
        .any(|(s, w, a)| s == "store_approved" && a == "store:shopify" && w.contains("approved")));
    assert_eq!(cases_of(&app, &world.order).await.len(), 1);
    // One receipt per delivery that changed something.
    assert_eq!(return_receipts(&app).await, 2);
    app.allow_pending_jobs();
}

#[tokio::test]
async fn an_approval_nobody_requested_opens_the_case_and_a_decline_declines_and_closes_it() {
    let (_cj, app, _, world) = shipped_order(9_730_002, 2, 10_030_011).await;

    // A return the merchant created in the store, approved at once: opened from the approval.
    let first = store_return(&world, 7_300_011, 1).line(line_id(&world.line_a), 1, "style");
    let (_, ack) = deliver(&app, &first, ReturnTopic::Approve).await;
    assert_eq!(ack["status"], json!("case"), "{ack}");
    let approved = case_of_return(&app, &world.order, 7_300_011).await;
    assert_eq!(approved["reason"], json!("changed_mind"), "{approved}");
    assert_eq!(approved["store_return_status"], json!("open"));
    let timeline = steps(&app, &world.order).await;
    assert_eq!(count(&timeline, "opened"), 1, "{timeline:?}");
    assert_eq!(count(&timeline, "store_approved"), 1, "{timeline:?}");

    // A second return of the other unit, requested then declined: declined with the store's
    // reason and message, and closed (a change of mind asks the supplier nothing).
    let second = store_return(&world, 7_300_012, 2)
        .line(line_id(&world.line_a), 1, "unwanted")
        .declined("final_sale", Some("Sale items cannot be returned."));
    assert_eq!(status_of(&app, &second, ReturnTopic::Request).await, "case");
    let (decline, ack) = deliver(&app, &second, ReturnTopic::Decline).await;
    assert_eq!(ack["status"], json!("case"), "{ack}");
    let declined = case_of_return(&app, &world.order, 7_300_012).await;
    assert_eq!(
        declined["customer"]["state"],
        json!("declined"),
        "{declined}"
    );
    assert_eq!(
        declined["customer"]["note"],
        json!("final sale: Sale items cannot be returned.")
    );
    assert_eq!(declined["return"]["state"], json!("not_needed"));
    assert!(declined["closed_at"].is_string(), "{declined}");
    assert_eq!(declined["store_return_status"], json!("declined"));
    // Again, as the same event or a new one; then a close after the decline: nothing moves.
    let again = expect_json(send(&app, &decline.redelivery()).await, StatusCode::OK).await;
    assert_eq!(again["status"], json!("duplicate"), "{again}");
    assert_eq!(
        status_of(&app, &second, ReturnTopic::Decline).await,
        "duplicate"
    );
    assert_eq!(status_of(&app, &second, ReturnTopic::Close).await, "stale");
    let timeline = steps(&app, &world.order).await;
    assert_eq!(count(&timeline, "declined"), 1, "{timeline:?}");
    // The first return's case is untouched by the second's decline.
    let untouched = case_of_return(&app, &world.order, 7_300_011).await;
    assert_eq!(untouched["customer"]["state"], json!("pending"));
    assert!(untouched["closed_at"].is_null());

    // Declined, its unit is free again: the merchant may claim it.
    expect_json(
        open_refund(&app, &world, 1, "0.50", false).await,
        StatusCode::CREATED,
    )
    .await;
    app.allow_pending_jobs();
}

#[tokio::test]
async fn a_cancelled_return_closes_its_case_unless_money_moved_and_its_refund_lands_on_its_case() {
    let (_cj, app, _, world) = shipped_order(9_730_003, 2, 10_030_021).await;

    // Requested, then cancelled by the customer: the case closes, nothing having moved.
    let withdrawn = store_return(&world, 7_300_021, 1).line(line_id(&world.line_a), 1, "color");
    assert_eq!(
        status_of(&app, &withdrawn, ReturnTopic::Request).await,
        "case"
    );
    assert_eq!(
        status_of(&app, &withdrawn, ReturnTopic::Cancel).await,
        "case"
    );
    let closed = case_of_return(&app, &world.order, 7_300_021).await;
    assert!(closed["closed_at"].is_string(), "{closed}");
    assert_eq!(closed["closing_note"], json!("return cancelled in Shopify"));
    assert_eq!(closed["store_return_status"], json!("canceled"));
    assert_eq!(
        status_of(&app, &withdrawn, ReturnTopic::Cancel).await,
        "duplicate"
    );

    // The cancelled return holds no unit: a new return of both opens.
    let both = store_return(&world, 7_300_022, 2).line(line_id(&world.line_a), 2, "unwanted");
    assert_eq!(status_of(&app, &both, ReturnTopic::Request).await, "case");
    assert_eq!(status_of(&app, &both, ReturnTopic::Approve).await, "case");
    let returned = case_of_return(&app, &world.order, 7_300_022).await;
    assert_eq!(returned["lines"][0]["quantity"], json!(2), "{returned}");

    // Shopify refunds the return: the money lands on its case, not on a new one, once.
    let refund = both.refund_body(7_300_900, 250, "USD");
    for expected in ["case", "duplicate"] {
        let hook = shopify_hook("refunds/create", &refund);
        let ack = expect_json(send(&app, &hook).await, StatusCode::OK).await;
        assert_eq!(ack["status"], json!(expected), "{ack}");
        assert_eq!(ack["order_id"], json!(world.order));
    }
    assert_eq!(cases_of(&app, &world.order).await.len(), 2);
    let refunded = case_of_return(&app, &world.order, 7_300_022).await;
    assert_eq!(refunded["money"]["refunded"], json!("2.50"), "{refunded}");
    assert_eq!(refunded["customer"]["state"], json!("refunded"));
    let timeline = steps(&app, &world.order).await;
    assert!(
        timeline
            .iter()
            .any(|(s, w, _)| s == "refunded" && w.contains("(refund 7300900)")),
        "{timeline:?}"
    );

    // Cancelled after the money moved: noted, the case stays open for a person.
    assert_eq!(status_of(&app, &both, ReturnTopic::Cancel).await, "case");
    let kept = case_of_return(&app, &world.order, 7_300_022).await;
    assert!(kept["closed_at"].is_null(), "{kept}");
    assert_eq!(kept["store_return_status"], json!("canceled"));
    let timeline = steps(&app, &world.order).await;
    assert!(
        timeline
            .iter()
            .any(|(s, w, _)| s == "store_cancelled" && w.contains("money already moved")),
        "{timeline:?}"
    );
    app.allow_pending_jobs();
}

#[tokio::test]
async fn a_closed_return_closes_a_case_with_nothing_left_else_says_what_is_and_a_reopen_is_noted() {
    let (_cj, app, _, world) = shipped_order(9_730_004, 1, 10_030_031).await;
    let ret = store_return(&world, 7_300_031, 1).line(line_id(&world.line_a), 1, "size_too_large");
    for topic in [ReturnTopic::Request, ReturnTopic::Approve] {
        assert_eq!(status_of(&app, &ret, topic).await, "case", "{topic:?}");
    }
    let refund = ret.refund_body(7_300_931, 300, "USD");
    let ack = expect_json(
        send(&app, &shopify_hook("refunds/create", &refund)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ack["status"], json!("case"), "{ack}");

    // Closed in the store while the goods are not back here: noted with what is left.
    assert_eq!(status_of(&app, &ret, ReturnTopic::Close).await, "case");
    let open_still = case_of_return(&app, &world.order, 7_300_031).await;
    assert!(open_still["closed_at"].is_null(), "{open_still}");
    assert_eq!(open_still["store_return_status"], json!("closed"));
    let timeline = steps(&app, &world.order).await;
    assert!(
        timeline
            .iter()
            .any(|(s, w, _)| s == "store_closed" && w.contains("still to do here: await return")),
        "{timeline:?}"
    );
    assert_eq!(status_of(&app, &ret, ReturnTopic::Close).await, "duplicate");

    // Reopened, the goods come back and are restocked here: with nothing left on either side
    // the case closes by itself; the store's close, again, is only noted.
    assert_eq!(status_of(&app, &ret, ReturnTopic::Reopen).await, "case");
    let id = open_still["id"].as_str().expect("case id").to_string();
    let post = |event: Value| {
        let path = format!("/api/v1/cases/{id}/events");
        let app = &app;
        async move { expect_json(app.api_post(&path, &event).await, StatusCode::OK).await }
    };
    let back = post(json!({"event": "return_delivered"})).await;
    assert!(back["closed_at"].is_null(), "{back}");
    let settled = post(json!({"event": "return_settled", "restocked": true})).await;
    assert_eq!(settled["next_steps"], json!([]), "nothing left to do");
    assert!(
        settled["closed_at"].is_string(),
        "closed by itself: {settled}"
    );
    assert_eq!(settled["closing_note"], json!(null));
    assert_eq!(status_of(&app, &ret, ReturnTopic::Close).await, "case");
    let closed = case(&app, &id).await;
    assert_eq!(closed["closed_at"], settled["closed_at"], "{closed}");
    let timeline = steps(&app, &world.order).await;
    assert_eq!(count(&timeline, "store_closed"), 2, "{timeline:?}");

    // Reopened once more: the timeline says so, and the case stays closed.
    assert_eq!(status_of(&app, &ret, ReturnTopic::Reopen).await, "case");
    let still = case(&app, &id).await;
    assert!(still["closed_at"].is_string(), "{still}");
    assert_eq!(still["store_return_status"], json!("open"));
    let timeline = steps(&app, &world.order).await;
    assert_eq!(count(&timeline, "store_reopened"), 2, "{timeline:?}");
    assert!(
        timeline
            .iter()
            .any(|(s, w, _)| s == "store_reopened" && w.contains("stays closed")),
        "{timeline:?}"
    );
    app.allow_pending_jobs();
}

#[tokio::test]
async fn a_return_the_order_cannot_take_is_refused_naming_the_line_and_unknown_returns_are_ignored()
{
    let (_cj, app, _, world) = shipped_order(9_730_005, 1, 10_030_041).await;
    let refusals = [
        (
            store_return(&world, 7_300_041, 1).line(999, 1, "defective"),
            "line 999: not in this order".to_string(),
        ),
        (
            store_return(&world, 7_300_042, 1).line(line_id(&world.line_a), 2, "defective"),
            format!(
                "line {}: 2 asked, but only 1 of it can be claimed (1 shipped, 0 in other cases)",
                world.line_a
            ),
        ),
        // Line B never shipped.
        (
            store_return(&world, 7_300_043, 1).line(line_id(&world.line_b), 1, "unwanted"),
            format!("line {}", world.line_b),
        ),
    ];
    for (ret, named) in &refusals {
        for topic in [ReturnTopic::Request, ReturnTopic::Approve] {
            let message = expect_error(
                send(&app, &ret.delivery(topic, SHOP)).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable",
            )
            .await;
            assert!(message.contains(named.as_str()), "{topic:?}: {message}");
            assert!(message.contains("return_line_items"), "{message}");
        }
    }
    // Bodies that are no returns: named by their field.
    let good = store_return(&world, 7_300_044, 1).line(line_id(&world.line_a), 1, "unwanted");
    let mut no_order = good.body(ReturnTopic::Request);
    no_order["order"] = json!({});
    let mut zero = good.body(ReturnTopic::Request);
    zero["return_line_items"][0]["quantity"] = json!(0);
    let mut no_id = good.body(ReturnTopic::Cancel);
    no_id.as_object_mut().expect("object").remove("id");
    for (topic, body, field) in [
        ("returns/request", no_order, "order.id"),
        ("returns/approve", zero, "return_line_items[0].quantity"),
        ("returns/cancel", no_id, "id"),
    ] {
        let message = expect_error(
            send(&app, &shopify_hook(topic, &body)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(message.contains(field), "{topic}: {message}");
        assert!(message.contains("not a Shopify return"), "{message}");
    }
    assert_eq!(
        app.rows("cases").await,
        0,
        "a refused return writes nothing"
    );
    assert_eq!(app.rows("case_lines").await, 0);
    assert_eq!(return_receipts(&app).await, 0);

    // A return no case follows, told by a topic that names no order, or one on an order
    // dropflow never took: acknowledged so Shopify stops, and nothing written.
    for topic in [
        ReturnTopic::Decline,
        ReturnTopic::Close,
        ReturnTopic::Cancel,
        ReturnTopic::Reopen,
    ] {
        let (_, ack) = deliver(&app, &good, topic).await;
        assert_eq!(ack["status"], json!("ignored"), "{topic:?}: {ack}");
        assert_eq!(ack["order_id"], Value::Null);
    }
    let elsewhere = SandboxReturn::new(7_300_045, 1, "#1-R1").line(5, 1, "unwanted");
    let (_, ack) = deliver(&app, &elsewhere, ReturnTopic::Request).await;
    assert_eq!(ack["status"], json!("ignored"), "{ack}");
    assert_eq!(app.rows("cases").await, 0);
    assert_eq!(return_receipts(&app).await, 0);
    let timeline = steps(&app, &world.order).await;
    assert!(timeline.is_empty(), "{timeline:?}");

    // A delivery signed with another secret never reaches the cases.
    let message = app
        .refused_shopify(&good.delivery(ReturnTopic::Request, SHOP), "not-the-secret")
        .await;
    assert!(message.contains("signature"), "{message}");
    assert_eq!(app.rows("cases").await, 0);

    // The same return, now acceptable, opens its case.
    assert_eq!(status_of(&app, &good, ReturnTopic::Request).await, "case");
    assert_eq!(app.rows("cases").await, 1);
    app.allow_pending_jobs();
}

#[tokio::test]
async fn another_stores_return_id_does_not_touch_our_case() {
    let (_cj, app, _, world) = shipped_order(9_730_006, 1, 10_030_051).await;
    let ours = store_return(&world, 7_300_051, 1).line(line_id(&world.line_a), 1, "unwanted");
    assert_eq!(status_of(&app, &ours, ReturnTopic::Request).await, "case");

    // Another shop (another store registration, its own secret) uses the same return id.
    const OTHER_SHOP: &str = "other-returns-shop.myshopify.com";
    const OTHER_SECRET: &str = "shpss_other_returns_secret_0123";
    app.register_shopify_store(OTHER_SHOP, OTHER_SECRET).await;
    let theirs = ours.clone().declined("other", Some("Not from our shop."));
    for topic in [
        ReturnTopic::Decline,
        ReturnTopic::Cancel,
        ReturnTopic::Close,
        ReturnTopic::Approve,
        ReturnTopic::Request,
    ] {
        let hook = theirs.delivery(topic, OTHER_SHOP);
        let ack = expect_json(app.send_shopify(&hook, OTHER_SECRET).await, StatusCode::OK).await;
        assert_eq!(ack["status"], json!("ignored"), "{topic:?}: {ack}");
    }
    // Its refund of "the same" return finds no order of its own either.
    let refund = theirs.refund_body(7_300_951, 100, "USD");
    let hook = shopify_hook_from(OTHER_SHOP, "refunds/create", &refund);
    let ack = expect_json(app.send_shopify(&hook, OTHER_SECRET).await, StatusCode::OK).await;
    assert_eq!(ack["status"], json!("ignored"), "{ack}");

    let untouched = case_of_return(&app, &world.order, 7_300_051).await;
    assert_eq!(
        untouched["customer"]["state"],
        json!("pending"),
        "{untouched}"
    );
    assert!(untouched["closed_at"].is_null());
    assert_eq!(untouched["store_return_status"], json!("requested"));
    assert_eq!(untouched["money"]["refunded"], json!("0.00"));
    assert_eq!(app.rows("cases").await, 1);
    let timeline = steps(&app, &world.order).await;
    assert_eq!(
        timeline.len(),
        count(&timeline, "opened") + count(&timeline, "supplier_asked"),
        "{timeline:?}"
    );
    app.allow_pending_jobs();
}
