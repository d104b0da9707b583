//! The sandbox over real HTTP, with a bare client (no connector code): the gateway's checks,
//! the repeat window, time, and the transport faults.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::faults::Faults;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DAY: Duration = Duration::from_secs(86_400);

/// `application/x-www-form-urlencoded` encoding of one value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Reply {
    status: u16,
    headers: String,
    body: Value,
}

/// POSTs `params` as a form and reads the whole answer (or gives up after `wait`).
async fn post(base_url: &str, params: &[(String, String)], wait: Duration) -> Option<Reply> {
    let rest = base_url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let body: String = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
        let request = format!(
            "POST /{path} HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        raw
    };
    let raw = tokio::time::timeout(wait, exchange).await.ok()?;
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Some(Reply {
        status,
        headers: head.to_ascii_lowercase(),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}

/// The system parameters plus `business`, signed with `secret`.
fn signed(
    s: &AliExpressSandbox,
    secret: &str,
    api: &str,
    business: &[(&str, String)],
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = vec![
        ("app_key".into(), s.app_key().into()),
        ("method".into(), api.into()),
        ("session".into(), s.access_token().into()),
        (
            "timestamp".into(),
            chrono::Utc::now().timestamp_millis().to_string(),
        ),
        ("sign_method".into(), "sha256".into()),
    ];
    params.extend(business.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let sign = super::sign::sign(secret, api, &params);
    params.push(("sign".into(), sign));
    params
}

async fn call(s: &AliExpressSandbox, api: &str, business: &[(&str, String)]) -> Reply {
    let params = signed(s, s.app_secret(), api, business);
    post(&s.base_url, &params, Duration::from_secs(5))
        .await
        .unwrap()
}

fn create_params(out_order_id: &str) -> Vec<(&'static str, String)> {
    let offer = &offers()[0];
    let order = serde_json::json!({
        "out_order_id": out_order_id,
        "logistics_address": {
            "address": "969 Market Street", "city": "San Francisco", "province": "California",
            "country": "US", "zip": "94103", "contact_person": "Ada Lovelace",
        },
        "product_items": [{ "product_id": offer.product_id.parse::<u64>().unwrap(),
                            "product_count": 1, "sku_attr": "" }],
    });
    let extend = serde_json::json!({ "payment": { "pay_currency": "USD", "try_to_pay": "true" } });
    vec![
        (
            "param_place_order_request4_open_api_d_t_o",
            order.to_string(),
        ),
        ("ds_extend_request", extend.to_string()),
    ]
}

fn result<'a>(reply: &'a Reply, api: &str) -> &'a Value {
    &reply.body[format!("{}_response", api.replace('.', "_"))]["result"]
}

#[tokio::test]
async fn the_gateway_checks_the_signature_and_the_token() {
    let s = start(AliExpressSandboxConfig::default()).await.unwrap();
    let product = [
        ("product_id", offers()[0].product_id.clone()),
        ("ship_to_country", "US".to_string()),
    ];
    let ok = call(&s, api::PRODUCT_GET, &product).await;
    assert_eq!(ok.status, 200);
    assert_eq!(result(&ok, api::PRODUCT_GET)["rsp_code"], "200");

    let forged = signed(&s, "wrong-secret", api::PRODUCT_GET, &product);
    let refused = post(&s.base_url, &forged, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(refused.body["code"], "IncompleteSignature");
    assert_eq!(refused.body["type"], "ISV");
    assert!(refused.body["request_id"].is_string());

    // A parameter changed after signing.
    let mut tampered = signed(&s, s.app_secret(), api::PRODUCT_GET, &product);
    tampered[6].1 = "JP".into();
    let refused = post(&s.base_url, &tampered, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(refused.body["code"], "IncompleteSignature");

    let mut no_sign = signed(&s, s.app_secret(), api::PRODUCT_GET, &product);
    no_sign.pop();
    let refused = post(&s.base_url, &no_sign, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(refused.body["code"], "IncompleteSignature");

    let unknown = call(&s, "aliexpress.no.such.api", &[]).await;
    assert_eq!(unknown.body["code"], "InvalidApiPath");
    s.shutdown().await;
}

#[tokio::test]
async fn a_repeat_within_24_hours_is_refused_and_later_is_not() {
    let s = start(AliExpressSandboxConfig::default()).await.unwrap();
    let first = call(&s, api::ORDER_CREATE, &create_params("ref-1")).await;
    let first = result(&first, api::ORDER_CREATE);
    assert_eq!(first["is_success"], true);
    assert!(first["order_list"]["number"][0].is_u64());

    let again = call(&s, api::ORDER_CREATE, &create_params("ref-1")).await;
    assert_eq!(
        result(&again, api::ORDER_CREATE)["error_code"],
        "REPEATED_ORDER_ERROR"
    );
    assert_eq!(s.orders_placed("ref-1"), 1);
    assert_eq!(s.duplicate_placements(), 0);

    // AliExpress only promises 24 h: after that the same reference buys again.
    s.advance(DAY + Duration::from_secs(60));
    let later = call(&s, api::ORDER_CREATE, &create_params("ref-1")).await;
    assert_eq!(result(&later, api::ORDER_CREATE)["is_success"], true);
    assert_eq!(s.orders_placed("ref-1"), 2);
    assert_eq!(s.duplicate_placements(), 1);
}

#[tokio::test]
async fn orders_move_with_sandbox_time_and_get_tracking() {
    let s = start(AliExpressSandboxConfig::default()).await.unwrap();
    let created = call(&s, api::ORDER_CREATE, &create_params("ref-t")).await;
    let id = result(&created, api::ORDER_CREATE)["order_list"]["number"][0]
        .as_u64()
        .unwrap();
    let query = || {
        vec![(
            "single_order_query",
            serde_json::json!({ "order_id": id }).to_string(),
        )]
    };
    let tracking = || {
        vec![
            ("ae_order_id", id.to_string()),
            ("language", "en_US".into()),
        ]
    };

    let now = call(&s, api::ORDER_GET, &query()).await;
    assert_eq!(
        result(&now, api::ORDER_GET)["order_status"],
        "PAYMENT_PROCESSING"
    );
    let none = call(&s, api::TRACKING_GET, &tracking()).await;
    assert_eq!(result(&none, api::TRACKING_GET)["code"], "1001");

    s.advance(4 * DAY);
    let shipped = call(&s, api::ORDER_GET, &query()).await;
    assert_eq!(
        result(&shipped, api::ORDER_GET)["order_status"],
        "WAIT_BUYER_ACCEPT_GOODS"
    );
    let t = call(&s, api::TRACKING_GET, &tracking()).await;
    let detail =
        &result(&t, api::TRACKING_GET)["data"]["tracking_detail_line_list"]["tracking_detail"][0];
    let number = detail["mail_no"].as_str().unwrap();
    assert_eq!(
        Some(number.to_string()),
        s.order(id).unwrap().tracking_number
    );

    s.advance(30 * DAY);
    let done = call(&s, api::ORDER_GET, &query()).await;
    assert_eq!(result(&done, api::ORDER_GET)["order_status"], "FINISH");
    assert_eq!(
        result(&done, api::ORDER_GET)["logistics_status"],
        "BUYER_ACCEPT_GOODS"
    );
}

#[tokio::test]
async fn transport_faults() {
    let s = start(AliExpressSandboxConfig {
        timeout_hold: Duration::from_secs(10),
        ..AliExpressSandboxConfig::default()
    })
    .await
    .unwrap();
    s.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let limited = call(&s, api::ORDER_GET, &[]).await;
    assert_eq!(limited.status, 429);
    assert!(limited.headers.contains("retry-after: 1"));
    assert!(limited.body["message"]
        .as_str()
        .unwrap()
        .contains("frequency exceeds the limit"));

    s.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let failed = call(&s, api::ORDER_GET, &[]).await;
    assert!([500, 502, 503].contains(&failed.status));

    // Held past the client's patience, yet placed.
    s.faults.set(Faults {
        timeout_rate: 1.0,
        place_despite_timeout: true,
        ..Faults::default()
    });
    let params = signed(
        &s,
        s.app_secret(),
        api::ORDER_CREATE,
        &create_params("ref-h"),
    );
    assert!(post(&s.base_url, &params, Duration::from_millis(300))
        .await
        .is_none());
    assert_eq!(s.orders_placed("ref-h"), 1);

    // Narrowed to order create, other APIs answer.
    s.set_fault_methods(&[api::ORDER_CREATE]);
    let product = [
        ("product_id", offers()[0].product_id.clone()),
        ("ship_to_country", "US".to_string()),
    ];
    let ok = call(&s, api::PRODUCT_GET, &product).await;
    assert_eq!(ok.status, 200);
    // Shutting down ends held requests at once.
    s.shutdown().await;
}
