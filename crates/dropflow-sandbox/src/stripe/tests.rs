use super::*;
use crate::cj::http_client::{send, RawResponse};
use std::sync::Arc;

async fn sandbox() -> StripeSandbox {
    start(StripeSandboxConfig {
        lost_answer_hold: Duration::from_millis(300),
        ..StripeSandboxConfig::default()
    })
    .await
    .unwrap()
}

const FORM: &str = "mode=payment&line_items[0][price_data][currency]=usd\
    &line_items[0][price_data][unit_amount]=2500\
    &line_items[0][price_data][product_data][name]=Wallet%20top-up\
    &line_items[0][quantity]=1&success_url=https%3A%2F%2Fshop.test%2Fok\
    &cancel_url=https%3A%2F%2Fshop.test%2Fno&client_reference_id=tu_1\
    &metadata[dropflow_top_up_id]=tu_1&metadata[dropflow_store_id]=s_1";

async fn create(sandbox: &StripeSandbox, key: Option<&str>, form: &str) -> (RawResponse, Value) {
    let mut headers = vec![
        ("Authorization", format!("Bearer {}", sandbox.secret_key())),
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        ),
    ];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key.to_string()));
    }
    let url = format!("{}/v1/checkout/sessions", sandbox.base_url);
    let answer = send(
        "POST",
        &url,
        &headers,
        form.as_bytes(),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    let json = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    (answer, json)
}

#[test]
fn the_signature_follows_the_documented_recipe() {
    // The vector of dropflow's own signature tests, computed with Python's hmac from
    // stripe-python's test payload and secret (tests/test_webhook.py).
    let payload = "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\",\n  \"data\": { \"object\": { \"id\": \"rdr_123\", \"object\": \"terminal.reader\" } }\n}";
    assert_eq!(
        signature_header("whsec_test_secret", 1_492_774_577, payload.as_bytes()),
        "t=1492774577,v1=d21d91b425674689e03346536b8fec6384a8721d43ebe269a1689a3ad22cba9c"
    );
}

#[tokio::test]
async fn a_session_is_made_from_the_form_and_a_key_replays_it() {
    let sandbox = sandbox().await;
    let (answer, session) = create(&sandbox, Some("key-1"), FORM).await;
    assert_eq!(answer.status, 200, "{session}");
    assert_eq!(session["object"], "checkout.session");
    assert_eq!(session["amount_total"], 2500);
    assert_eq!(session["currency"], "usd");
    assert_eq!(session["payment_status"], "unpaid");
    assert_eq!(session["client_reference_id"], "tu_1");
    assert_eq!(session["metadata"]["dropflow_store_id"], "s_1");
    let id = session["id"].as_str().unwrap();
    assert!(session["url"].as_str().unwrap().ends_with(id));
    let made = sandbox.session(id).unwrap();
    assert_eq!(
        made.field("line_items[0][price_data][product_data][name]"),
        Some("Wallet top-up")
    );
    assert_eq!(made.idempotency_key.as_deref(), Some("key-1"));

    let (again, replayed) = create(&sandbox, Some("key-1"), FORM).await;
    assert_eq!(again.status, 200);
    assert_eq!(replayed["id"], session["id"]);
    assert_eq!(sandbox.sessions().len(), 1);
    assert_eq!(sandbox.replays(), 1);

    let other = FORM.replace("unit_amount]=2500", "unit_amount]=2600");
    let (refused, body) = create(&sandbox, Some("key-1"), &other).await;
    assert_eq!(refused.status, 400);
    assert_eq!(body["error"]["type"], "idempotency_error");

    let (second, _) = create(&sandbox, Some("key-2"), &other).await;
    assert_eq!(second.status, 200);
    assert_eq!(sandbox.sessions().len(), 2);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn refusals_come_in_stripes_error_shape() {
    let sandbox = sandbox().await;
    let too_small = FORM.replace("unit_amount]=2500", "unit_amount]=10");
    let (answer, body) = create(&sandbox, None, &too_small).await;
    assert_eq!(answer.status, 400);
    assert_eq!(body["error"]["code"], "amount_too_small");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let no_mode = FORM.replace("mode=payment&", "");
    let (answer, body) = create(&sandbox, None, &no_mode).await;
    assert_eq!(answer.status, 400);
    assert_eq!(body["error"]["param"], "mode");

    let url = format!("{}/v1/checkout/sessions", sandbox.base_url);
    let headers = [
        ("Authorization", "Bearer sk_test_wrong_key_0000".to_string()),
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        ),
    ];
    let answer = send(
        "POST",
        &url,
        &headers,
        FORM.as_bytes(),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 401);
    assert!(sandbox.sessions().is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_lost_answer_is_made_and_kept_all_the_same() {
    let sandbox = sandbox().await;
    sandbox.lose_next_answers(1);
    let url = format!("{}/v1/checkout/sessions", sandbox.base_url);
    let headers = [
        ("Authorization", format!("Bearer {}", sandbox.secret_key())),
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("Idempotency-Key", "key-lost".to_string()),
    ];
    let lost = send(
        "POST",
        &url,
        &headers,
        FORM.as_bytes(),
        Duration::from_millis(100),
    )
    .await;
    assert!(lost.is_err(), "{lost:?}");
    assert_eq!(sandbox.sessions().len(), 1);
    let (again, replayed) = create(&sandbox, Some("key-lost"), FORM).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        replayed["id"].as_str(),
        Some(sandbox.sessions()[0].id.as_str())
    );
    assert_eq!(sandbox.sessions().len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn paying_posts_a_signed_completed_event() {
    let received: crate::cj::Received = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/webhooks/stripe",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    let signature = headers
                        .get("stripe-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    sink.lock().unwrap().push((signature, body.to_vec()));
                    "{\"received\": true}"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let sandbox = sandbox().await;
    sandbox.set_webhook_url(&url);
    let (_, session) = create(&sandbox, Some("key-pay"), FORM).await;
    let id = session["id"].as_str().unwrap();
    let delivery = sandbox.pay(id).await.unwrap();
    assert_eq!(delivery.status, Some(200));
    assert_eq!(delivery.answer_json()["received"], true);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (signature, body) = &got[0];
    let event: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "checkout.session.completed");
    assert_eq!(event["data"]["object"]["id"], id);
    assert_eq!(event["data"]["object"]["payment_status"], "paid");
    assert_eq!(event["data"]["object"]["amount_total"], 2500);
    let t: i64 = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split(',').next())
        .and_then(|t| t.parse().ok())
        .unwrap();
    assert_eq!(
        signature,
        &signature_header(sandbox.webhook_secret(), t, body)
    );
    assert_eq!(sandbox.session(id).unwrap().status, "complete");
    assert!(sandbox.pay("cs_test_unknown").await.is_none());
    sandbox.shutdown().await;
}
