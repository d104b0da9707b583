//! Wallet top-ups paid by card through Stripe Checkout (issue 16, "Money" item 3), against
//! the Stripe sandbox: the session is made from our form (the sandbox sees its fields), a
//! payment credits the wallet exactly once whatever the retries, duplicate or concurrent
//! deliveries, a delivery not signed right writes nothing, a notice that disagrees with the
//! top-up is refused, another account's top-up does not exist, and an installation without
//! `[payments.stripe]` says so.

use crate::support::*;
use dropflow::payments::stripe::StripeConfig;
use dropflow::storage::accounts::Role;
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::stripe::{self as sandbox, StripeSandbox, StripeSandboxConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// A fresh Stripe sandbox answering slowly enough for the lost-answer tests.
pub(crate) async fn stripe_sandbox() -> StripeSandbox {
    sandbox::start(StripeSandboxConfig {
        lost_answer_hold: Duration::from_millis(1500),
        timeout_hold: Duration::from_millis(1500),
        ..StripeSandboxConfig::default()
    })
    .await
    .unwrap()
}

/// `[payments.stripe]` pointing at `stripe`.
pub(crate) fn stripe_config(stripe: &StripeSandbox) -> StripeConfig {
    StripeConfig {
        secret_key: stripe.secret_key().to_string(),
        webhook_secret: stripe.webhook_secret().to_string(),
        success_url: "https://dropflow.test/wallet?store={STORE_ID}&paid={TOP_UP_ID}".into(),
        cancel_url: "https://dropflow.test/wallet?store={STORE_ID}".into(),
        api_base: stripe.base_url.clone(),
        tolerance_secs: 300,
        timeout_ms: 500,
        max_amount_minor: 99_999_999,
    }
}

/// A dropflow whose `[payments.stripe]` points at a fresh Stripe sandbox (whose webhooks
/// come back to dropflow), with the default store: the app, the sandbox, the store's id.
pub(crate) async fn spawn_with_stripe() -> (TestApp, StripeSandbox, String) {
    let stripe = stripe_sandbox().await;
    let config = stripe_config(&stripe);
    let app = TestApp::spawn_custom(dropflow::jobs::Registry::new(), move |c| {
        c.payments.stripe = Some(config);
    })
    .await;
    stripe.set_webhook_url(&app.url("/webhooks/stripe"));
    let store = app.shopify_store().await;
    (app, stripe, store)
}

fn card_path(store: &str) -> String {
    format!("/api/v1/stores/{store}/wallet/card-top-ups")
}

/// Starts a card top-up of `amount` `currency` (201 expected); the top-up.
pub(crate) async fn start(app: &TestApp, store: &str, amount: &str, currency: &str) -> Value {
    let response = app
        .api_post(
            &card_path(store),
            &json!({"amount": amount, "currency": currency}),
        )
        .await;
    expect_json(response, StatusCode::CREATED).await
}

pub(crate) async fn top_up(app: &TestApp, store: &str, id: &str) -> Value {
    app.api_json(&format!("{}/{id}", card_path(store))).await
}

pub(crate) async fn available(app: &TestApp, store: &str, currency: &str) -> String {
    app.wallet(store, currency).await["available"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The ledger's top-up entries of the store.
pub(crate) async fn top_up_entries(app: &TestApp, store: &str) -> Vec<Value> {
    app.api_list(&format!("/api/v1/stores/{store}/wallet/entries"))
        .await
        .into_iter()
        .filter(|e| e["kind"] == "top_up")
        .collect()
}

/// The webhook's answer to a delivery (which must have been answered).
pub(crate) fn answered(delivery: &sandbox::Delivery) -> (u16, Value) {
    (
        delivery.status.expect("the webhook answered"),
        delivery.answer_json(),
    )
}

#[tokio::test]
async fn a_card_top_up_opens_a_session_and_its_payment_credits_the_wallet_once() {
    let (app, stripe, store) = spawn_with_stripe().await;
    let started = start(&app, &store, "250.00", "usd").await;
    let id = started["id"].as_str().unwrap();
    assert_eq!(started["status"], "open");
    assert_eq!(started["amount"], "250.00");
    assert_eq!(started["currency"], "USD");
    let session_id = started["session_id"].as_str().unwrap();

    // What Stripe was sent.
    let sessions = stripe.sessions();
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!(session.id, session_id);
    assert_eq!(
        started["url"].as_str(),
        Some(sandbox_url(session_id).as_str())
    );
    assert_eq!(session.field("mode"), Some("payment"));
    assert_eq!(
        session.field("line_items[0][price_data][currency]"),
        Some("usd")
    );
    assert_eq!(
        session.field("line_items[0][price_data][unit_amount]"),
        Some("25000")
    );
    assert_eq!(session.field("line_items[0][quantity]"), Some("1"));
    assert_eq!(
        session.field("line_items[0][price_data][product_data][name]"),
        Some(format!("dropflow wallet top-up for {SHOP}").as_str())
    );
    assert_eq!(session.client_reference_id.as_deref(), Some(id));
    assert_eq!(session.idempotency_key.as_deref(), Some(id));
    assert_eq!(session.metadata["dropflow_top_up_id"], id);
    assert_eq!(session.metadata["dropflow_store_id"], store);
    assert_eq!(session.metadata["dropflow_wallet"], format!("{store}:USD"));
    assert_eq!(
        session.success_url.as_deref(),
        Some(format!("https://dropflow.test/wallet?store={store}&paid={id}").as_str())
    );
    assert_eq!(available(&app, &store, "USD").await, "0.00", "not paid yet");

    // Paid: credited, once.
    let event = stripe.complete(session_id).unwrap();
    let (status, answer) = answered(&stripe.deliver(&event).await);
    assert_eq!((status, answer["status"].as_str()), (200, Some("credited")));
    assert_eq!(answer["top_up_id"], id);
    assert_eq!(available(&app, &store, "USD").await, "250.00");
    let paid = top_up(&app, &store, id).await;
    assert_eq!(paid["status"], "paid");
    let entries = top_up_entries(&app, &store).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["reference"], format!("stripe:{session_id}"));
    assert_eq!(paid["ledger_entry_id"], entries[0]["id"]);

    // Stripe retries the same event, then tells the same payment by another event.
    let (status, answer) = answered(&stripe.deliver(&event).await);
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("already_settled"))
    );
    let mut later = event.clone();
    later["id"] = json!("evt_1OtherEventForTheSameSession");
    later["type"] = json!("checkout.session.async_payment_succeeded");
    let (status, answer) = answered(&stripe.deliver(&later).await);
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("already_settled"))
    );
    assert_eq!(available(&app, &store, "USD").await, "250.00");
    assert_eq!(top_up_entries(&app, &store).await.len(), 1);
    assert!(dropflow::storage::ledger::check_balanced(&app.db)
        .await
        .unwrap());
    app.stop().await;
    stripe.shutdown().await;
}

fn sandbox_url(session_id: &str) -> String {
    format!("https://checkout.stripe.com/c/pay/{session_id}")
}

#[tokio::test]
async fn a_payment_delivered_twice_at_once_credits_once() {
    let (app, stripe, store) = spawn_with_stripe().await;
    let started = start(&app, &store, "80.00", "EUR").await;
    let session_id = started["session_id"].as_str().unwrap();
    let event = stripe.complete(session_id).unwrap();
    let mut other = event.clone();
    other["id"] = json!("evt_1AnotherDeliveryOfThePayment");
    let (a, b, c) = tokio::join!(
        stripe.deliver(&event),
        stripe.deliver(&event),
        stripe.deliver(&other)
    );
    let mut statuses: Vec<String> = [a, b, c]
        .iter()
        .map(|d| {
            let (status, answer) = answered(d);
            assert_eq!(status, 200, "{answer}");
            answer["status"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        ["already_settled", "already_settled", "credited"],
        "exactly one delivery credits"
    );
    assert_eq!(available(&app, &store, "EUR").await, "80.00");
    assert_eq!(top_up_entries(&app, &store).await.len(), 1);
    assert!(dropflow::storage::ledger::check_balanced(&app.db)
        .await
        .unwrap());
    app.stop().await;
    stripe.shutdown().await;
}

/// POSTs `body` to the webhook with `signature` as its `Stripe-Signature` (none if `None`).
pub(crate) async fn post_webhook(
    app: &TestApp,
    body: &[u8],
    signature: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client()
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("Stripe-Signature", signature);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn deliveries_not_signed_right_are_refused_and_write_nothing() {
    let (app, stripe, store) = spawn_with_stripe().await;
    let started = start(&app, &store, "40.00", "USD").await;
    let id = started["id"].as_str().unwrap();
    let event = stripe
        .complete(started["session_id"].as_str().unwrap())
        .unwrap();
    let body = serde_json::to_vec(&event).unwrap();
    let now = chrono::Utc::now().timestamp();
    let secret = stripe.webhook_secret();
    let mut forged = event.clone();
    forged["data"]["object"]["amount_total"] = json!(4_000_000);
    let forged = serde_json::to_vec(&forged).unwrap();
    // The header of the genuine body on a changed one.
    let genuine = sandbox::signature_header(secret, now, &body);

    let cases: Vec<(&str, Vec<u8>, Option<String>, StatusCode)> = vec![
        (
            "missing header",
            body.clone(),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            "garbled header",
            body.clone(),
            Some("this is not a signature".into()),
            StatusCode::BAD_REQUEST,
        ),
        (
            "no v1",
            body.clone(),
            Some(format!("t={now},v0=abc")),
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong secret",
            body.clone(),
            Some(sandbox::signature_header(
                "whsec_not_the_endpoints",
                now,
                &body,
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "forged body",
            forged,
            Some(genuine),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "stale timestamp",
            body.clone(),
            Some(sandbox::signature_header(secret, now - 301, &body)),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "future timestamp",
            body.clone(),
            Some(sandbox::signature_header(secret, now + 600, &body)),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    let transactions_before = app.rows("ledger_transactions").await;
    for (what, body, signature, status) in cases {
        let response = post_webhook(&app, &body, signature.as_deref()).await;
        let code = if status == StatusCode::BAD_REQUEST {
            "bad_request"
        } else {
            "unauthorized"
        };
        let message = expect_error(response, status, code).await;
        assert!(
            message.contains("Stripe-Signature") || message.contains("signature"),
            "{what}: {message}"
        );
    }
    // The sandbox's own stale delivery is refused the same way.
    let (status, _) = answered(&stripe.deliver_signed_at(&event, now - 3600).await);
    assert_eq!(status, 401);
    assert_eq!(app.rows("ledger_transactions").await, transactions_before);
    assert_eq!(available(&app, &store, "USD").await, "0.00");
    assert_eq!(top_up(&app, &store, id).await["status"], "open");

    // Signed right, other events and unknown sessions are taken and ignored.
    let unrelated = sandbox::event(
        "customer.created",
        json!({"id": "cus_1", "object": "customer"}),
    );
    let (status, answer) = answered(&stripe.deliver(&unrelated).await);
    assert_eq!((status, answer["status"].as_str()), (200, Some("ignored")));
    let mut unknown = event.clone();
    unknown["data"]["object"]["id"] = json!("cs_test_a1NotOneOfOurs");
    unknown["data"]["object"]["client_reference_id"] = json!("not-a-top-up");
    let (status, answer) = answered(&stripe.deliver(&unknown).await);
    assert_eq!((status, answer["status"].as_str()), (200, Some("ignored")));
    assert_eq!(available(&app, &store, "USD").await, "0.00");

    // The genuine delivery, signed now, is taken.
    let (status, answer) = answered(&stripe.deliver(&event).await);
    assert_eq!((status, answer["status"].as_str()), (200, Some("credited")));
    assert_eq!(available(&app, &store, "USD").await, "40.00");
    app.stop().await;
    stripe.shutdown().await;
}

#[tokio::test]
async fn a_notice_that_disagrees_with_the_top_up_is_refused_not_credited() {
    let (app, stripe, store) = spawn_with_stripe().await;
    for (change, value) in [
        ("amount_total", json!(2_500_000)),
        ("currency", json!("eur")),
    ] {
        let started = start(&app, &store, "25.00", "USD").await;
        let id = started["id"].as_str().unwrap();
        let mut event = stripe
            .complete(started["session_id"].as_str().unwrap())
            .unwrap();
        event["data"]["object"][change] = value;
        let (status, answer) = answered(&stripe.deliver(&event).await);
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("refused")),
            "{change}"
        );
        let refused = top_up(&app, &store, id).await;
        assert_eq!(refused["status"], "refused");
        assert!(
            refused["problem"]
                .as_str()
                .unwrap_or_default()
                .contains("25.00"),
            "{refused}"
        );
        // A later, agreeing notice does not undo the refusal: a person looks first.
        let genuine = stripe
            .complete(started["session_id"].as_str().unwrap())
            .unwrap();
        let (_, answer) = answered(&stripe.deliver(&genuine).await);
        assert_eq!(answer["status"], "already_settled");
    }
    assert_eq!(available(&app, &store, "USD").await, "0.00");
    assert_eq!(available(&app, &store, "EUR").await, "0.00");
    assert!(top_up_entries(&app, &store).await.is_empty());
    app.stop().await;
    stripe.shutdown().await;
}

#[tokio::test]
async fn another_accounts_top_up_is_not_found() {
    let (app, stripe, store) = spawn_with_stripe().await;
    let started = start(&app, &store, "10.00", "USD").await;
    let id = started["id"].as_str().unwrap();
    let other = new_account(&app, "tenant-b").await;
    let theirs = user_token(&app, &other, "owner@b.example", Role::Owner, &[]).await;
    let their_store = app
        .post_as(
            &theirs,
            "/api/v1/stores",
            &json!({"platform": "shopify", "domain": "b-shop.myshopify.com",
                    "webhook_secret": SHOPIFY_SECRET}),
        )
        .await;
    let their_store = expect_json(their_store, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("{}/{id}", card_path(&their_store)),
        format!("{}/{id}", card_path(&store)),
    ] {
        app.get_refused_as(&theirs, &path, StatusCode::NOT_FOUND, "not_found")
            .await;
    }
    let refused = app
        .post_as(
            &theirs,
            &card_path(&store),
            &json!({"amount": "5.00", "currency": "USD"}),
        )
        .await;
    expect_error(refused, StatusCode::NOT_FOUND, "not_found").await;
    // Staff read the wallet but do not top it up; a vendor does neither.
    let store_id = store.parse().unwrap();
    let staff = member_token(&app, "staff@a.example", Role::Staff, &[store_id]).await;
    assert_eq!(
        app.json_as(&staff, &format!("{}/{id}", card_path(&store)))
            .await["id"],
        id
    );
    let refused = app
        .post_as(
            &staff,
            &card_path(&store),
            &json!({"amount": "5.00", "currency": "USD"}),
        )
        .await;
    expect_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(
        stripe.sessions().len(),
        1,
        "no session for a refused caller"
    );
    app.stop().await;
    stripe.shutdown().await;
}

#[tokio::test]
async fn without_payments_stripe_card_top_ups_are_not_configured() {
    let app = TestApp::spawn_with_shop().await;
    let store = app.shopify_store_id().await.to_string();
    let refused = app
        .api_post(
            &card_path(&store),
            &json!({"amount": "5.00", "currency": "USD"}),
        )
        .await;
    let message = expect_error(refused, StatusCode::NOT_FOUND, "not_found").await;
    assert!(message.contains("not configured"), "{message}");
    assert!(message.contains("[payments.stripe]"), "{message}");
    let response = post_webhook(&app, b"{}", Some("t=1,v1=00")).await;
    let message = expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert!(message.contains("[payments.stripe]"), "{message}");
    assert_eq!(app.rows("card_top_ups").await, 0);
    // The document says so.
    let doc = app.api_json("/api/v1/openapi.json").await;
    let post = &doc["paths"]["/api/v1/stores/{store_id}/wallet/card-top-ups"]["post"];
    let not_found = post["responses"]["404"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(not_found.contains("not configured"), "{post}");
    app.stop().await;
}

#[tokio::test]
async fn a_lost_answer_is_asked_again_with_the_same_key_and_makes_one_session() {
    let (app, stripe, store) = spawn_with_stripe().await;
    stripe.lose_next_answers(1);
    let started = start(&app, &store, "60.00", "USD").await;
    assert_eq!(started["status"], "open");
    assert_eq!(stripe.sessions().len(), 1, "one session for two creates");
    assert_eq!(stripe.create_calls(), 2);
    assert_eq!(stripe.replays(), 1);
    assert_eq!(
        started["session_id"].as_str(),
        Some(stripe.sessions()[0].id.as_str())
    );
    let delivery = stripe.pay(&stripe.sessions()[0].id).await.unwrap();
    assert_eq!(answered(&delivery).1["status"], "credited");
    assert_eq!(available(&app, &store, "USD").await, "60.00");
    app.stop().await;
    stripe.shutdown().await;
}

#[tokio::test]
async fn bad_amounts_and_stripe_refusals_answer_clearly() {
    let (app, stripe, store) = spawn_with_stripe().await;
    for (amount, currency, field) in [
        ("0", "USD", "amount"),
        ("-5.00", "USD", "amount"),
        ("1.005", "USD", "amount"),
        ("1000000.00", "USD", "amount"),
        ("10.000", "KWD", "currency"),
        ("10.00", "XYZ", "currency"),
    ] {
        let response = app
            .api_post(
                &card_path(&store),
                &json!({"amount": amount, "currency": currency}),
            )
            .await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.starts_with(field), "{amount} {currency}: {message}");
    }
    assert_eq!(stripe.create_calls(), 0, "refused before Stripe is asked");
    assert_eq!(app.rows("card_top_ups").await, 0);

    // Stripe's own refusal, in its words; the top-up failed.
    let response = app
        .api_post(
            &card_path(&store),
            &json!({"amount": "0.10", "currency": "USD"}),
        )
        .await;
    let message = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert!(message.contains("amount_too_small"), "{message}");
    assert!(message.contains("at least"), "{message}");
    let failed: i64 = app
        .scalar("SELECT COUNT(*) FROM card_top_ups WHERE status = 'failed'")
        .await;
    assert_eq!(failed, 1);

    // Stripe down: asked again with the same key, then a clear 503.
    stripe.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let response = app
        .api_post(
            &card_path(&store),
            &json!({"amount": "10.00", "currency": "USD"}),
        )
        .await;
    let message = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(message.contains("Stripe did not answer"), "{message}");
    assert!(stripe.sessions().is_empty());
    assert_eq!(available(&app, &store, "USD").await, "0.00");
    app.stop().await;
    stripe.shutdown().await;
}

#[tokio::test]
async fn the_wallet_page_tops_up_by_card_through_stripes_page() {
    let (app, stripe, store) = spawn_with_stripe().await;
    add_owner(&app, "owner@shop.example").await;
    let mut owner = crate::dashboard_pages::Browser::sign_in(&app, "owner@shop.example").await;
    let page = owner.page(&format!("/wallet?store={store}")).await;
    assert!(page.contains("id=\"card-top-up\""), "{page}");
    let csrf = owner.csrf().await;
    let response = owner
        .post_form(
            "/wallet/card-top-up",
            &[
                ("csrf_token", &csrf),
                ("store", &store),
                ("amount", "75.50"),
                ("currency", "usd"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let sessions = stripe.sessions();
    assert_eq!(sessions.len(), 1);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        location,
        sandbox_url(&sessions[0].id),
        "sent to Stripe's page"
    );
    assert_eq!(sessions[0].amount_total, 7_550);

    // A refusal comes back to the wallet page as a message, nothing opened.
    let response = owner
        .post_form(
            "/wallet/card-top-up",
            &[
                ("csrf_token", &csrf),
                ("store", &store),
                ("amount", "0.10"),
                ("currency", "USD"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        format!("/wallet?store={store}")
    );
    let page = owner.page(&format!("/wallet?store={store}")).await;
    assert!(page.contains("No card top-up"), "{page}");
    assert_eq!(stripe.sessions().len(), 1);

    stripe.pay(&sessions[0].id).await.unwrap();
    let page = owner.page(&format!("/wallet?store={store}")).await;
    assert!(
        page.contains("stripe:"),
        "the credit shows in the ledger: {page}"
    );
    assert_eq!(available(&app, &store, "USD").await, "75.50");

    // Without [payments.stripe] the form is not offered.
    let plain = TestApp::spawn_with_shop().await;
    add_owner(&plain, "owner@shop.example").await;
    let mut owner = crate::dashboard_pages::Browser::sign_in(&plain, "owner@shop.example").await;
    let store = plain.shopify_store_id().await;
    let page = owner.page(&format!("/wallet?store={store}")).await;
    assert!(page.contains("id=\"top-up\""));
    assert!(!page.contains("id=\"card-top-up\""));
    plain.stop().await;
    app.stop().await;
    stripe.shutdown().await;
}

#[tokio::test]
async fn an_expired_page_or_a_failed_payment_ends_the_top_up_unpaid() {
    let (app, stripe, store) = spawn_with_stripe().await;
    for kind in [
        "checkout.session.expired",
        "checkout.session.async_payment_failed",
    ] {
        let started = start(&app, &store, "30.00", "USD").await;
        let id = started["id"].as_str().unwrap();
        let session = stripe
            .session(started["session_id"].as_str().unwrap())
            .unwrap();
        let mut object = session.object();
        object["status"] = json!(if kind.ends_with("expired") {
            "expired"
        } else {
            "complete"
        });
        let (status, answer) = answered(&stripe.deliver(&sandbox::event(kind, object)).await);
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("failed")),
            "{kind}"
        );
        let ended = top_up(&app, &store, id).await;
        assert_eq!(ended["status"], "failed");
        assert!(ended["problem"].as_str().unwrap_or_default().contains(kind));
        // Nothing credits it afterwards.
        let paid = stripe.complete(&session.id).unwrap();
        let (_, answer) = answered(&stripe.deliver(&paid).await);
        assert_eq!(answer["status"], "already_settled", "{kind}");
    }
    assert_eq!(available(&app, &store, "USD").await, "0.00");
    app.stop().await;
    stripe.shutdown().await;
}
