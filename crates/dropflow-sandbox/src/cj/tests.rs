//! The sandbox over real HTTP: envelopes, the token guard, faults, webhooks.

use super::*;
use crate::faults::Faults;
use serde_json::{json, Value};

async fn call(
    sandbox: &CjSandbox,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let url = format!("{}/{path}", sandbox.base_url);
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let credential = token.map(|t| ("CJ-Access-Token", t));
    http_client::json_call(method, &url, credential, &bytes).await
}

async fn login(sandbox: &CjSandbox) -> String {
    let body = json!({"apiKey": sandbox.api_key()});
    let (_, answer) = call(
        sandbox,
        "POST",
        "authentication/getAccessToken",
        None,
        &body,
    )
    .await;
    answer["data"]["accessToken"].as_str().unwrap().to_string()
}

/// A call with the access token.
async fn authed(
    sandbox: &CjSandbox,
    method: &str,
    path: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    call(sandbox, method, path, Some(token), body).await
}

/// A call about one order (`{"orderId": id}`).
async fn on_order(
    sandbox: &CjSandbox,
    method: &str,
    path: &str,
    token: &str,
    id: &str,
) -> (u16, Value) {
    authed(sandbox, method, path, token, &json!({ "orderId": id })).await
}

/// Confirms the order and pays it from the balance, as a buyer does after creating it.
async fn confirm_and_pay(sandbox: &CjSandbox, token: &str, id: &str) {
    let (_, confirmed) = on_order(sandbox, "PATCH", "shopping/order/confirmOrder", token, id).await;
    assert_eq!(confirmed["code"], 200, "{confirmed}");
    on_order(sandbox, "POST", "shopping/pay/payBalance", token, id).await;
}

async fn get(sandbox: &CjSandbox, path: &str, token: &str) -> (u16, Value) {
    authed(sandbox, "GET", path, token, &Value::Null).await
}

async fn create_order(sandbox: &CjSandbox, token: &str, number: &str) -> (u16, Value) {
    let path = "shopping/order/createOrderV2";
    authed(sandbox, "POST", path, token, &order(number)).await
}

fn order(number: &str) -> Value {
    json!({
        "orderNumber": number, "shippingCountryCode": "US", "shippingCountry": "United States",
        "shippingProvince": "Texas", "shippingCity": "Austin", "shippingZip": "78701",
        "shippingAddress": "500 Congress Avenue", "shippingCustomerName": "Alan Turing",
        "shippingPhone": "+1-202-555-0100", "logisticName": "YunExpress",
        "fromCountryCode": "CN", "payType": 3,
        "products": [{"vid": "1424608152007086080", "quantity": 1}]
    })
}

#[tokio::test]
async fn speaks_cjs_envelope_and_guards_tokens() {
    let sandbox = start(CjSandboxConfig::default()).await.unwrap();
    let (status, missing) = call(
        &sandbox,
        "GET",
        "shopping/pay/getBalance",
        None,
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(missing["code"], code::TOKEN_EMPTY);
    assert_eq!(missing["result"], false);

    let token = login(&sandbox).await;
    let (_, balance) = get(&sandbox, "shopping/pay/getBalance", &token).await;
    assert_eq!(balance["code"], 200);
    assert_eq!(balance["result"], true);
    assert_eq!(balance["message"], "Success");
    assert!(balance["requestId"].is_string());
    assert_eq!(balance["data"]["amount"], json!(10000.0));

    let (_, created) = create_order(&sandbox, &token, "H-1").await;
    assert_eq!(created["data"]["orderStatus"], "CREATED");
    let (_, again) = create_order(&sandbox, &token, "H-1").await;
    assert_eq!(again["code"], code::ORDER_CREATE_FAIL);
    assert_eq!(sandbox.orders_with_number("H-1"), 1);

    let (status, _) = get(&sandbox, "no/such/path", &token).await;
    assert_eq!(status, 404);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn injects_http_faults() {
    let sandbox = start(CjSandboxConfig {
        timeout_hold: Duration::from_millis(300),
        ..CjSandboxConfig::default()
    })
    .await
    .unwrap();
    let token = login(&sandbox).await;
    sandbox.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let (status, body) = get(&sandbox, "shopping/pay/getBalance", &token).await;
    assert_eq!(status, 429);
    assert_eq!(body["code"], code::TOO_MANY_REQUESTS);

    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let (status, _) = get(&sandbox, "shopping/pay/getBalance", &token).await;
    assert!([500, 502, 503].contains(&status));

    sandbox.faults.set(Faults {
        timeout_rate: 1.0,
        place_despite_timeout: true,
        ..Faults::default()
    });
    let (status, _) = create_order(&sandbox, &token, "T-1").await;
    assert_eq!(status, 504);
    assert_eq!(sandbox.orders_with_number("T-1"), 1);

    // An answer held after the purchase: the order exists before its caller hears of it.
    sandbox.faults.set(Faults {
        answer_delay: Duration::from_millis(400),
        ..Faults::default()
    });
    {
        let started = std::time::Instant::now();
        let pending = create_order(&sandbox, &token, "D-1");
        tokio::pin!(pending);
        let early = tokio::time::timeout(Duration::from_millis(200), &mut pending).await;
        assert!(early.is_err(), "answered before the delay");
        assert_eq!(
            sandbox.orders_with_number("D-1"),
            1,
            "bought before answering"
        );
        let (status, _) = pending.await;
        assert_eq!(status, 200);
        assert!(started.elapsed() >= Duration::from_millis(400));
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn posts_signed_webhooks_as_orders_move() {
    let (url, received) =
        webhook_receiver(r#"{"code": 200, "result": "success", "message": "ok"}"#)
            .await
            .unwrap();

    let sandbox = start(CjSandboxConfig {
        webhook_url: Some(url),
        webhook_tick: Duration::from_millis(20),
        ..CjSandboxConfig::default()
    })
    .await
    .unwrap();
    let token = login(&sandbox).await;
    let (_, created) = create_order(&sandbox, &token, "W-1").await;
    let id = created["data"]["orderId"].as_str().unwrap().to_string();
    let (_, unconfirmed) = on_order(&sandbox, "POST", "shopping/pay/payBalance", &token, &id).await;
    assert_eq!(unconfirmed["code"], code::ORDER_PAY_FAIL);
    confirm_and_pay(&sandbox, &token, &id).await;
    sandbox.advance(Duration::from_secs(20 * 86_400));

    // Wait for the last message the journey produces (a count would race the ticks, which
    // may announce the steps in different groupings).
    let delivered = |got: &[(String, Vec<u8>)]| {
        got.iter()
            .any(|(_, b)| String::from_utf8_lossy(b).contains("\"DELIVERED\""))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !delivered(&received.lock().unwrap()) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = received.lock().unwrap().clone();
    let types: Vec<String> = got
        .iter()
        .map(|(_, b)| {
            let v: Value = serde_json::from_slice(b).unwrap();
            format!(
                "{}:{}",
                v["type"].as_str().unwrap(),
                v["params"]["orderStatus"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(types.contains(&"ORDER:CREATED".to_string()), "{types:?}");
    assert!(types.contains(&"ORDER:DELIVERED".to_string()), "{types:?}");
    assert!(types.contains(&"LOGISTIC:".to_string()), "{types:?}");
    for (sign, body) in &got {
        assert_eq!(sign, &webhook_sign(sandbox.open_id(), body));
    }
    assert!(sandbox
        .webhook_deliveries()
        .iter()
        .all(|d| d.status == Some(200)));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn dispute_paths_are_guarded_and_faulted_like_the_rest() {
    let sandbox = start(CjSandboxConfig {
        timeout_hold: Duration::from_millis(300),
        dispute_create_returns_id: true,
        ..CjSandboxConfig::default()
    })
    .await
    .unwrap();
    let list = "disputes/getDisputeList";
    let (_, missing) = call(&sandbox, "GET", list, None, &Value::Null).await;
    assert_eq!(missing["code"], code::TOKEN_EMPTY);
    let token = login(&sandbox).await;
    let (status, empty) = get(&sandbox, list, &token).await;
    assert_eq!(status, 200);
    assert_eq!(
        empty["data"],
        json!({"pageNum": 1, "pageSize": 10, "total": 0, "list": []})
    );

    // A paid order, disputed over HTTP.
    let (_, created) = create_order(&sandbox, &token, "DSP-1").await;
    let id = created["data"]["orderId"].as_str().unwrap().to_string();
    let (_, refused) = get(
        &sandbox,
        &format!("disputes/disputeProducts?orderId={id}"),
        &token,
    )
    .await;
    assert_eq!(refused["code"], code::ORDER_CANNOT_BE_DISPUTED);
    assert_eq!(refused["message"], "Order cannot be disputed");
    confirm_and_pay(&sandbox, &token, &id).await;
    let (_, products) = get(
        &sandbox,
        &format!("disputes/disputeProducts?orderId={id}"),
        &token,
    )
    .await;
    let line = products["data"]["productInfoList"][0].clone();
    let confirm = json!({"orderId": id, "productInfoList": [line]});
    let (_, info) = authed(
        &sandbox,
        "POST",
        "disputes/disputeConfirmInfo",
        &token,
        &confirm,
    )
    .await;
    assert_eq!(info["code"], 200);
    assert_eq!(info["data"]["disputeReasonList"][0]["disputeReasonId"], 1);
    let body = json!({
        "businessDisputeId": "B-1", "orderId": id, "disputeReasonId": 1, "expectType": 1,
        "refundType": 1, "messageText": "cancel",
        "productInfoList": [{"lineItemId": line["lineItemId"], "quantity": 1, "price": 1.0}]
    });

    // A 5xx opens nothing; a timeout on create may still open it, as on createOrderV2.
    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let (status, _) = authed(&sandbox, "POST", "disputes/create", &token, &body).await;
    assert!([500, 502, 503].contains(&status));
    assert!(sandbox.disputes().is_empty());
    sandbox.faults.set(Faults {
        timeout_rate: 1.0,
        place_despite_timeout: true,
        ..Faults::default()
    });
    let (status, _) = authed(&sandbox, "POST", "disputes/create", &token, &body).await;
    assert_eq!(status, 504);
    sandbox.faults.set(Faults::default());
    let disputes = sandbox.disputes();
    assert_eq!(disputes.len(), 1);
    assert_eq!(disputes[0].business_dispute_id, "B-1");
    let (_, again) = authed(&sandbox, "POST", "disputes/create", &token, &body).await;
    assert_eq!(again["code"], code::ILLEGAL_PARAMETER);
    let (_, listed) = get(&sandbox, list, &token).await;
    assert_eq!(listed["data"]["list"][0]["id"], json!(disputes[0].id));
    sandbox.shutdown().await;
}
