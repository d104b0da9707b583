//! The sandbox over real HTTP: auth, fulfillment orders, fulfillments, the bucket, faults.

use super::*;
use crate::faults::Faults;
use serde_json::json;

struct Answer {
    status: u16,
    call_limit: Option<String>,
    retry_after: Option<String>,
    body: Value,
}

async fn call(
    sandbox: &ShopifyAdminSandbox,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Answer {
    let url = format!("{}/admin/api/2025-07/{path}", sandbox.base_url);
    let client = reqwest::Client::new();
    let mut request = match method {
        "POST" => client.post(url),
        _ => client.get(url),
    }
    .header("X-Shopify-Access-Token", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let call_limit = header("X-Shopify-Shop-Api-Call-Limit");
    let retry_after = header("Retry-After");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        call_limit,
        retry_after,
        body,
    }
}

async fn sandbox_with_order(config: ShopifyAdminConfig) -> (ShopifyAdminSandbox, u64, Value) {
    let sandbox = start(config).await.unwrap();
    let order = crate::shopify::order_payload(450_789_469, "#1001", "paid");
    let id = sandbox.add_order(&order).unwrap();
    (sandbox, id, order)
}

#[tokio::test]
async fn refuses_a_wrong_token_with_shopifys_message() {
    let (sandbox, id, _) = sandbox_with_order(ShopifyAdminConfig::default()).await;
    let answer = call(
        &sandbox,
        "GET",
        &format!("orders/{id}/fulfillment_orders.json"),
        "shpat_wrong",
        None,
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.body["errors"],
        "[API] Invalid API key or access token (unrecognized login or wrong password)"
    );
    let token = sandbox.access_token().to_string();
    let unknown = call(
        &sandbox,
        "GET",
        "orders/1/fulfillment_orders.json",
        &token,
        None,
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["errors"], "Not Found");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn fulfils_partially_then_the_rest_and_then_refuses() {
    let (sandbox, id, order) = sandbox_with_order(ShopifyAdminConfig::default()).await;
    let token = sandbox.access_token().to_string();
    let fos = call(
        &sandbox,
        "GET",
        &format!("orders/{id}/fulfillment_orders.json"),
        &token,
        None,
    )
    .await;
    assert_eq!(fos.status, 200);
    assert_eq!(fos.call_limit.as_deref(), Some("1/40"));
    let fo = &fos.body["fulfillment_orders"][0];
    assert_eq!(fo["status"], "open");
    assert_eq!(fo["order_id"], id);
    let fo_id = fo["id"].as_u64().unwrap();
    let lines = fo["line_items"].as_array().unwrap();
    assert_eq!(lines.len(), order["line_items"].as_array().unwrap().len());
    assert_eq!(lines[0]["line_item_id"], order["line_items"][0]["id"]);
    let first_line = lines[0]["id"].as_u64().unwrap();
    let first_item = lines[0]["line_item_id"].as_u64().unwrap();

    // One unit of the first line.
    let body = json!({"fulfillment": {"notify_customer": true,
        "tracking_info": {"number": "YT2229521272164446", "company": "YunExpress", "url": "https://t.17track.net/en#nums=YT2229521272164446"},
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo_id,
            "fulfillment_order_line_items": [{"id": first_line, "quantity": 1}]}]}});
    let created = call(&sandbox, "POST", "fulfillments.json", &token, Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["fulfillment"]["tracking_number"],
        "YT2229521272164446"
    );
    assert_eq!(created.body["fulfillment"]["name"], "#1001.1");
    assert_eq!(created.body["fulfillment"]["line_items"][0]["quantity"], 1);
    let partial_state = sandbox.fulfillment_order_status(id).unwrap();
    let ordered = order["line_items"][0]["quantity"].as_u64().unwrap() as u32;
    assert_eq!(
        sandbox.fulfillable_quantity(id, first_item),
        Some(ordered - 1)
    );
    let total: u64 = order["line_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["quantity"].as_u64().unwrap())
        .sum();
    if total > 1 {
        assert_eq!(partial_state, "in_progress");
        assert!(!sandbox.is_fully_fulfilled(id));
    }

    // Too many of the first line.
    let over = json!({"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo_id,
        "fulfillment_order_line_items": [{"id": first_line, "quantity": ordered + 5}]}]}});
    let refused = call(&sandbox, "POST", "fulfillments.json", &token, Some(over)).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body["errors"][0]
        .as_str()
        .unwrap()
        .contains("quantity"));

    // Everything that remains (no line list).
    let rest = json!({"fulfillment": {"tracking_info": {"number": "YT2229521272164447"},
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo_id}]}});
    if total > 1 {
        let created = call(
            &sandbox,
            "POST",
            "fulfillments.json",
            &token,
            Some(rest.clone()),
        )
        .await;
        assert_eq!(created.status, 201, "{}", created.body);
    }
    assert!(sandbox.is_fully_fulfilled(id));
    assert_eq!(
        sandbox.fulfillment_order_status(id).as_deref(),
        Some("closed")
    );

    // Closed now: refused, nothing created.
    let count = sandbox.fulfillment_count();
    let closed = call(&sandbox, "POST", "fulfillments.json", &token, Some(rest)).await;
    assert_eq!(closed.status, 422);
    assert_eq!(
        closed.body["errors"][0],
        format!("Fulfillment order {fo_id} has an unfulfillable status= closed.")
    );
    assert_eq!(sandbox.fulfillment_count(), count);

    let listed = call(
        &sandbox,
        "GET",
        &format!("orders/{id}/fulfillments.json"),
        &token,
        None,
    )
    .await;
    assert_eq!(listed.body["fulfillments"].as_array().unwrap().len(), count);
    let recorded = sandbox.fulfillments(id);
    assert_eq!(recorded[0].tracking_company.as_deref(), Some("YunExpress"));
    assert!(recorded[0].notify_customer);
    assert_eq!(
        recorded[0].line_items,
        vec![FulfilledLine {
            line_item_id: first_item,
            quantity: 1
        }]
    );
    let fulfilled: u32 = recorded
        .iter()
        .flat_map(|f| &f.line_items)
        .map(|l| l.quantity)
        .sum();
    assert_eq!(u64::from(fulfilled), total);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn leaky_bucket_throttles_with_fractional_retry_after() {
    let config = ShopifyAdminConfig {
        bucket_size: 2,
        leak_per_second: 4.0,
        ..ShopifyAdminConfig::default()
    };
    let (sandbox, id, _) = sandbox_with_order(config).await;
    let token = sandbox.access_token().to_string();
    let path = format!("orders/{id}/fulfillments.json");
    let mut saw_429 = None;
    for _ in 0..4 {
        let answer = call(&sandbox, "GET", &path, &token, None).await;
        if answer.status == 429 {
            saw_429 = Some(answer);
            break;
        }
        assert!(answer.call_limit.unwrap().ends_with("/2"));
    }
    let throttled = saw_429.expect("a bucket of 2 lets at most 2 quick calls through");
    assert_eq!(throttled.call_limit.as_deref(), Some("2/2"));
    assert_eq!(
        throttled.body["errors"],
        "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
    );
    let wait: f64 = throttled.retry_after.unwrap().parse().unwrap();
    assert!(wait > 0.0 && wait <= 0.25, "{wait}");
    assert!(sandbox.throttled_count() >= 1);
    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
    let after = call(&sandbox, "GET", &path, &token, None).await;
    assert_eq!(after.status, 200);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn injected_faults() {
    let (sandbox, id, _) = sandbox_with_order(ShopifyAdminConfig::default()).await;
    let token = sandbox.access_token().to_string();
    let path = format!("orders/{id}/fulfillments.json");
    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    assert!(call(&sandbox, "GET", &path, &token, None).await.status >= 500);
    sandbox.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let limited = call(&sandbox, "GET", &path, &token, None).await;
    assert_eq!(limited.status, 429);
    assert!(limited.retry_after.is_some());
    sandbox.faults.set(Faults::default());
    assert_eq!(call(&sandbox, "GET", &path, &token, None).await.status, 200);
    sandbox.shutdown().await;
}

#[test]
fn registering_needs_ids_and_quantities() {
    let shared = state::Shared::new(ShopifyAdminConfig::default());
    assert!(shared.add_order(&json!({"line_items": []})).is_err());
    assert!(shared
        .add_order(&json!({"id": 5, "line_items": [{"quantity": 1}]}))
        .is_err());
    let wrapped =
        json!({"order": {"id": 5, "name": "#1005", "line_items": [{"id": 51, "quantity": 2}]}});
    assert_eq!(shared.add_order(&wrapped), Ok(5));
    assert_eq!(shared.fulfillable_quantity(5, 51), Some(2));
}

/// An edit committed in the store changes what is left to fulfil: more of a line that was
/// partly fulfilled leaves the new quantity less what went, a line taken out to 0 can no
/// longer be fulfilled.
#[test]
fn an_edit_changes_what_is_left_to_fulfil() {
    let shared = state::Shared::new(ShopifyAdminConfig::default());
    let order = json!({"id": 5, "name": "#1005", "line_items": [
        {"id": 51, "quantity": 2}, {"id": 52, "quantity": 1}]});
    shared.add_order(&order).unwrap();
    let fo_id = shared.fulfillment_order_id(5).unwrap();
    let fos = shared.list_fulfillment_orders("5").unwrap();
    let line = |item: u64| {
        fos["fulfillment_orders"][0]["line_items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["line_item_id"] == item)
            .unwrap()["id"]
            .as_u64()
            .unwrap()
    };
    let fulfil = |fo_line: u64, quantity: u32| {
        shared.create_fulfillment(&json!({"fulfillment": {
            "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo_id,
                "fulfillment_order_line_items": [{"id": fo_line, "quantity": quantity}]}]}}))
    };
    fulfil(line(51), 1).unwrap();
    let edited = json!({"id": 5, "line_items": [
        {"id": 51, "quantity": 2, "current_quantity": 3},
        {"id": 52, "quantity": 1, "current_quantity": 0}]});
    shared.edit_order(&edited).unwrap();
    assert_eq!(shared.fulfillable_quantity(5, 51), Some(2));
    assert_eq!(shared.fulfillable_quantity(5, 52), Some(0));
    assert!(fulfil(line(52), 1).is_err());
    fulfil(line(51), 2).unwrap();
    assert!(shared.is_fully_fulfilled(5));
    assert!(shared
        .edit_order(&json!({"id": 6, "line_items": []}))
        .is_err());
}

/// `GET shop.json` answers the shop's configuration with its permanent domain, as Shopify's
/// documented example does (`"myshopify_domain": "jsmith.myshopify.com"`), and only with the
/// shop's token.
#[tokio::test]
async fn shop_json_names_the_shop_behind_the_token() {
    let sandbox = start(ShopifyAdminConfig {
        shop_domain: "jsmith.myshopify.com".into(),
        ..ShopifyAdminConfig::default()
    })
    .await
    .unwrap();
    let token = sandbox.access_token().to_string();
    let answer = call(&sandbox, "GET", "shop.json", &token, None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body["shop"]["myshopify_domain"],
        "jsmith.myshopify.com"
    );
    assert_eq!(answer.body["shop"]["id"], 548_380_009);
    assert!(answer.call_limit.is_some());
    let refused = call(&sandbox, "GET", "shop.json", "shpat_wrong", None).await;
    assert_eq!(refused.status, 401);
    assert!(refused.body["errors"].is_string(), "{}", refused.body);
}
