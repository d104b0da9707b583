//! The sandbox over real HTTP: both auth schemes, orders, notes, faults.

use super::*;
use crate::faults::Faults;
use base64::Engine as _;
use serde_json::json;

const ORDER: u64 = 727;

async fn sandbox() -> WooAdminSandbox {
    let sandbox = start(WooAdminConfig::default()).await.unwrap();
    let order = crate::woocommerce::order_payload(ORDER, "processing");
    assert_eq!(sandbox.add_order(&order), Ok(ORDER));
    sandbox
}

/// The `Authorization` header of Basic auth with the sandbox's key and secret.
pub(super) fn basic(sandbox: &WooAdminSandbox) -> String {
    let pair = format!("{}:{}", sandbox.consumer_key(), sandbox.consumer_secret());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The query string of an OAuth-signed request (nonce made unique by `n`).
fn oauth_query(
    sandbox: &WooAdminSandbox,
    method: &str,
    path: &str,
    n: u32,
    secret: &str,
) -> String {
    let url = format!("{}{path}", sandbox.base_url);
    let mut params = vec![
        (
            "oauth_consumer_key".to_string(),
            sandbox.consumer_key().to_string(),
        ),
        ("oauth_nonce".to_string(), format!("nonce{n:027}")),
        (
            "oauth_signature_method".to_string(),
            "HMAC-SHA256".to_string(),
        ),
        (
            "oauth_timestamp".to_string(),
            chrono::Utc::now().timestamp().to_string(),
        ),
    ];
    let signature = auth::signature("HMAC-SHA256", method, &url, &params, secret);
    params.push(("oauth_signature".to_string(), signature));
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.replace('+', "%2B")
                    .replace('/', "%2F")
                    .replace('=', "%3D")
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn send(
    method: &str,
    url: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method.parse().unwrap(), url);
    if let Some(a) = authorization {
        request = request.header("Authorization", a);
    }
    if let Some(b) = body {
        request = request.json(&b);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn oauth_one_legged_is_verified() {
    let sandbox = sandbox().await;
    let path = format!("/wp-json/wc/v3/orders/{ORDER}");
    let query = oauth_query(&sandbox, "GET", &path, 1, sandbox.consumer_secret());
    let url = format!("{}{path}?{query}", sandbox.base_url);
    let (status, order) = send("GET", &url, None, None).await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "processing");
    // The same nonce again is a replay.
    let (status, replay) = send("GET", &url, None, None).await;
    assert_eq!(status, 401);
    assert_eq!(
        replay["message"],
        "Invalid nonce - nonce has already been used."
    );
    // Signed with the wrong secret.
    let bad = oauth_query(&sandbox, "GET", &path, 2, "cs_wrong");
    let (status, refused) = send(
        "GET",
        &format!("{}{path}?{bad}", sandbox.base_url),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(refused["code"], "woocommerce_rest_authentication_error");
    assert_eq!(
        refused["message"],
        "Invalid signature - provided signature does not match."
    );
    // Signed for GET, sent as PUT.
    let get_signed = oauth_query(&sandbox, "GET", &path, 3, sandbox.consumer_secret());
    let (status, _) = send(
        "PUT",
        &format!("{}{path}?{get_signed}", sandbox.base_url),
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 401);
    // No credentials at all.
    let (status, none) = send("GET", &format!("{}{path}", sandbox.base_url), None, None).await;
    assert_eq!(status, 401);
    assert_eq!(none["code"], "woocommerce_rest_cannot_view");
    assert_eq!(
        sandbox.auth_seen(),
        AuthSeen {
            oauth: 1,
            basic: 0,
            refused: 4
        }
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn basic_auth_is_accepted_unless_switched_off() {
    let sandbox = sandbox().await;
    let url = format!("{}/wp-json/wc/v3/orders/{ORDER}", sandbox.base_url);
    let (status, _) = send("GET", &url, Some(&basic(&sandbox)), None).await;
    assert_eq!(status, 200);
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:cs_nope", sandbox.consumer_key()))
    );
    let (status, refused) = send("GET", &url, Some(&wrong), None).await;
    assert_eq!(status, 401);
    assert_eq!(refused["message"], "Consumer secret is invalid.");
    let query = format!(
        "{url}?consumer_key={}&consumer_secret={}",
        sandbox.consumer_key(),
        sandbox.consumer_secret()
    );
    assert_eq!(send("GET", &query, None, None).await.0, 200);
    sandbox.shutdown().await;

    let strict = start(WooAdminConfig {
        basic_over_http: false,
        ..WooAdminConfig::default()
    })
    .await
    .unwrap();
    strict
        .add_order(&crate::woocommerce::order_payload(ORDER, "processing"))
        .unwrap();
    let url = format!("{}/wp-json/wc/v3/orders/{ORDER}", strict.base_url);
    assert_eq!(send("GET", &url, Some(&basic(&strict)), None).await.0, 401);
    strict.shutdown().await;
}

#[tokio::test]
async fn notes_status_and_meta() {
    let sandbox = sandbox().await;
    let auth = basic(&sandbox);
    let base = format!("{}/wp-json/wc/v3/orders/{ORDER}", sandbox.base_url);
    let (status, note) = send("POST", &format!("{base}/notes"), Some(&auth),
        Some(json!({"note": "Shipped via YunExpress, tracking YT2229521272164446", "customer_note": true}))).await;
    assert_eq!(status, 201, "{note}");
    assert!(note["id"].as_u64().is_some());
    assert_eq!(note["customer_note"], true);
    assert!(note["date_created"].as_str().is_some());
    let (status, missing) = send(
        "POST",
        &format!("{base}/notes"),
        Some(&auth),
        Some(json!({"customer_note": true})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(missing["code"], "rest_missing_callback_param");

    let (status, order) = send(
        "PUT",
        &base,
        Some(&auth),
        Some(json!({"status": "completed",
        "meta_data": [{"key": "_dropflow_tracking", "value": ["YT2229521272164446"]}]})),
    )
    .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "completed");
    assert!(order["date_completed"].as_str().is_some());
    assert_eq!(sandbox.order_status(ORDER).as_deref(), Some("completed"));
    assert_eq!(
        sandbox.meta(ORDER, "_dropflow_tracking"),
        Some(json!(["YT2229521272164446"]))
    );
    // Updating the key replaces the value rather than adding an entry.
    send(
        "PUT",
        &base,
        Some(&auth),
        Some(json!({"meta_data": [{"key": "_dropflow_tracking", "value": ["A", "B"]}]})),
    )
    .await;
    let order = sandbox.order(ORDER).unwrap();
    let entries: Vec<&Value> = order["meta_data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["key"] == "_dropflow_tracking")
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["value"], json!(["A", "B"]));

    let (status, bad) = send(
        "PUT",
        &base,
        Some(&auth),
        Some(json!({"status": "shipped"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(bad["code"], "rest_invalid_param");

    let (_, notes) = send("GET", &format!("{base}/notes"), Some(&auth), None).await;
    let notes = notes.as_array().unwrap();
    assert_eq!(notes.len(), 2);
    // Newest first: the status change, written by WooCommerce itself.
    assert_eq!(
        notes[0]["note"],
        "Order status changed from Processing to Completed."
    );
    assert_eq!(notes[0]["author"], "system");
    let recorded = sandbox.notes(ORDER);
    assert_eq!(
        recorded[0].note,
        "Shipped via YunExpress, tracking YT2229521272164446"
    );
    assert!(recorded[0].customer_note);

    let (status, unknown) = send(
        "GET",
        &format!("{}/wp-json/wc/v3/orders/1", sandbox.base_url),
        Some(&auth),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(unknown["code"], "woocommerce_rest_shop_order_invalid_id");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn injected_faults() {
    let sandbox = sandbox().await;
    let url = format!("{}/wp-json/wc/v3/orders/{ORDER}", sandbox.base_url);
    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    assert!(send("GET", &url, Some(&basic(&sandbox)), None).await.0 >= 500);
    sandbox.faults.set(Faults::default());
    assert_eq!(send("GET", &url, Some(&basic(&sandbox)), None).await.0, 200);
    sandbox.shutdown().await;
}

/// `GET system_status` answers the documented sections with the site's home URL, and only
/// to a valid key.
#[tokio::test]
async fn system_status_names_the_site_behind_the_key() {
    let sandbox = sandbox().await;
    let url = format!("{}/wp-json/wc/v3/system_status", sandbox.base_url);
    let (status, body) = send("GET", &url, Some(&basic(&sandbox)), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["environment"]["home_url"],
        "https://sandbox-shop.example.com"
    );
    for section in [
        "environment",
        "database",
        "active_plugins",
        "theme",
        "settings",
        "security",
        "pages",
    ] {
        assert!(body.get(section).is_some(), "{section}");
    }
    let (status, body) = send("GET", &url, None, None).await;
    assert_eq!(status, 401, "{body}");
}
