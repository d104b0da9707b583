//! The sandbox's refunds over real HTTP: the sale every order gets, calculate, `refundCreate`
//! with its idempotency key, the refusals, the REST read-back, faults on the GraphQL path.

use super::*;
use crate::faults::Faults;
use serde_json::json;

const MUTATION: &str = r#"mutation M($input: RefundInput!) { refundCreate(input: $input) @idempotent(key: "KEY") { refund { id legacyResourceId note totalRefundedSet { presentmentMoney { amount currencyCode } } } userErrors { field message } } }"#;

async fn post(sandbox: &ShopifyAdminSandbox, url: String, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("X-Shopify-Access-Token", sandbox.access_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn graphql(sandbox: &ShopifyAdminSandbox, query: &str, variables: Value) -> (u16, Value) {
    let url = format!(
        "{}/admin/api/{GRAPHQL_API_VERSION}/graphql.json",
        sandbox.base_url
    );
    post(
        sandbox,
        url,
        json!({"query": query, "variables": variables}),
    )
    .await
}

async fn rest_get(sandbox: &ShopifyAdminSandbox, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!(
            "{}/admin/api/{API_VERSION}/{path}",
            sandbox.base_url
        ))
        .header("X-Shopify-Access-Token", sandbox.access_token())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn paid_order() -> (ShopifyAdminSandbox, u64, Value) {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let order = crate::shopify::order_payload(450_789_469, "#1001", "paid");
    let id = sandbox.add_order(&order).unwrap();
    (sandbox, id, order)
}

fn minor(text: &Value) -> i64 {
    money::parse_minor(text.as_str().unwrap(), 2).unwrap()
}

/// One unit of the first line and `amount` back against the order's sale.
fn input(sandbox: &ShopifyAdminSandbox, id: u64, order: &Value, amount: &str) -> Value {
    let (sale, _) = sandbox.sale(id).unwrap();
    json!({"input": {
        "orderId": format!("gid://shopify/Order/{id}"),
        "note": "Damaged (dropflow case 1)",
        "notify": true,
        "refundLineItems": [{
            "lineItemId": format!("gid://shopify/LineItem/{}", order["line_items"][0]["id"]),
            "quantity": 1,
            "restockType": "NO_RESTOCK"
        }],
        "transactions": [{
            "orderId": format!("gid://shopify/Order/{id}"),
            "parentId": format!("gid://shopify/OrderTransaction/{sale}"),
            "gateway": "bogus",
            "kind": "REFUND",
            "amount": amount
        }]
    }})
}

#[tokio::test]
async fn every_order_is_paid_and_calculate_suggests_its_sale_as_parent() {
    let (sandbox, id, order) = paid_order().await;
    let (sale, paid) = sandbox.sale(id).unwrap();
    assert_eq!(paid, minor(&order["total_price"]));
    let line = &order["line_items"][0];
    let url = format!(
        "{}/admin/api/{API_VERSION}/orders/{id}/refunds/calculate.json",
        sandbox.base_url
    );
    // The request of the official library's test_6, on this order.
    let body = json!({"refund": {"currency": "USD", "shipping": {"amount": 2.0},
        "refund_line_items": [{"line_item_id": line["id"].to_string(), "quantity": 1, "restock_type": "no_restock"}]}});
    let (status, answer) = post(&sandbox, url.clone(), body).await;
    assert_eq!(status, 200, "{answer}");
    let refund = &answer["refund"];
    assert_eq!(refund["currency"], "USD");
    assert_eq!(refund["shipping"]["amount"], "2.00");
    assert_eq!(refund["shipping"]["maximum_refundable"], "4.99");
    assert_eq!(refund["refund_line_items"][0]["subtotal"], line["price"]);
    assert_eq!(refund["refund_line_items"][0]["location_id"], Value::Null);
    let tx = &refund["transactions"][0];
    assert_eq!(tx["kind"], "suggested_refund");
    assert_eq!(tx["parent_id"], sale);
    assert_eq!(tx["gateway"], "bogus");
    assert_eq!(minor(&tx["amount"]), minor(&line["price"]) + 200);
    assert_eq!(minor(&tx["maximum_refundable"]), paid);

    let unknown = json!({"refund": {"refund_line_items": [{"line_item_id": 42, "quantity": 1}]}});
    let (status, answer) = post(&sandbox, url.clone(), unknown).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["errors"]["refund_line_items"][0].is_string());
    let too_much = json!({"refund": {"shipping": {"amount": "5.00"}}});
    assert_eq!(post(&sandbox, url, too_much).await.0, 422);
    assert_eq!(sandbox.refund_count(), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn refund_create_needs_its_key_and_a_repeated_key_creates_nothing() {
    let (sandbox, id, order) = paid_order().await;
    let variables = input(&sandbox, id, &order, "10.00");

    let bare = MUTATION.replace(r#" @idempotent(key: "KEY")"#, "");
    let (status, answer) = graphql(&sandbox, &bare, variables.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{answer}"
    );
    assert_eq!(sandbox.refund_count(), 0);

    let query = MUTATION.replace("KEY", "0f1e2d3c-4b5a-5968-8776-a5b4c3d2e1f0");
    let (status, first) = graphql(&sandbox, &query, variables.clone()).await;
    assert_eq!(status, 200);
    let refund = &first["data"]["refundCreate"]["refund"];
    assert_eq!(
        first["data"]["refundCreate"]["userErrors"],
        json!([]),
        "{first}"
    );
    assert_eq!(
        refund["totalRefundedSet"]["presentmentMoney"]["amount"],
        "10.0"
    );
    let refund_id: u64 = refund["legacyResourceId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(refund["id"], format!("gid://shopify/Refund/{refund_id}"));

    let (_, again) = graphql(&sandbox, &query, variables.clone()).await;
    assert_eq!(again, first);
    assert_eq!(sandbox.refund_count(), 1);

    let other = input(&sandbox, id, &order, "11.00");
    let (_, mismatch) = graphql(&sandbox, &query, other).await;
    assert_eq!(
        mismatch["errors"][0]["extensions"]["code"],
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    );
    assert_eq!(sandbox.refund_count(), 1);

    let recorded = sandbox.refunds(id);
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!((r.id, r.amount_minor, r.notify), (refund_id, 1000, true));
    assert_eq!(r.note.as_deref(), Some("Damaged (dropflow case 1)"));
    assert!(!r.restock());
    assert_eq!(r.lines[0].quantity, 1);
    assert_eq!(sandbox.total_refunded(id), 1000);

    // Read back over REST: the Refund resource with integer ids and a successful refund.
    let (status, list) = rest_get(&sandbox, &format!("orders/{id}/refunds.json")).await;
    assert_eq!(status, 200);
    let listed = &list["refunds"][0];
    assert_eq!(listed["id"], refund_id);
    assert_eq!(listed["order_id"], id);
    assert_eq!(listed["note"], "Damaged (dropflow case 1)");
    assert_eq!(listed["transactions"][0]["kind"], "refund");
    assert_eq!(listed["transactions"][0]["status"], "success");
    assert_eq!(listed["transactions"][0]["amount"], "10.00");
    assert_eq!(
        listed["transactions"][0]["parent_id"],
        sandbox.sale(id).unwrap().0
    );
    assert_eq!(listed["refund_line_items"][0]["restock_type"], "no_restock");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn more_than_is_left_is_refused_in_user_errors() {
    let (sandbox, id, order) = paid_order().await;
    let paid = sandbox.sale(id).unwrap().1;
    let query = |n: u32| MUTATION.replace("KEY", &format!("key-{n}"));
    let over = money::decimal_text(paid + 1, 2);
    let (_, answer) = graphql(&sandbox, &query(1), input(&sandbox, id, &order, &over)).await;
    let errors = &answer["data"]["refundCreate"]["userErrors"];
    assert_eq!(answer["data"]["refundCreate"]["refund"], Value::Null);
    assert_eq!(errors[0]["field"], json!(["transactions"]), "{answer}");
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("left to refund"));

    let mut units = input(&sandbox, id, &order, "1.00");
    let bought = order["line_items"][0]["quantity"].as_u64().unwrap();
    units["input"]["refundLineItems"][0]["quantity"] = json!(bought + 1);
    let (_, answer) = graphql(&sandbox, &query(2), units).await;
    assert_eq!(
        answer["data"]["refundCreate"]["userErrors"][0]["field"],
        json!(["refundLineItems", "0", "quantity"])
    );

    let (_, answer) = graphql(&sandbox, &query(3), input(&sandbox, id, &order, "1.001")).await;
    assert_eq!(
        answer["data"]["refundCreate"]["userErrors"][0]["field"],
        json!(["transactions", "0", "amount"])
    );
    assert_eq!(sandbox.refund_count(), 0);

    // All that was paid, then one cent more is refused: nothing is left.
    let all = money::decimal_text(paid, 2);
    let (_, answer) = graphql(&sandbox, &query(4), input(&sandbox, id, &order, &all)).await;
    assert_eq!(
        answer["data"]["refundCreate"]["userErrors"],
        json!([]),
        "{answer}"
    );
    let (_, answer) = graphql(&sandbox, &query(5), input(&sandbox, id, &order, "0.01")).await;
    assert_eq!(answer["data"]["refundCreate"]["refund"], Value::Null);
    assert_eq!(sandbox.total_refunded(id), paid);
    sandbox.shutdown().await;
}

/// The variables of the documented example
/// (https://shopify.dev/docs/admin-api/graphql/reference/mutation/refundcreate, version
/// 2025-01: "Create a refund with a note and transaction"), on a sandbox order: its ids are
/// the documented ones (order 734509473, line item 25746870 of two units), the parent is the
/// sandbox's sale and the gateway the sandbox's (the example's `"foo"` is no gateway of this
/// store). The amount `"10.0"` is refunded exactly and no `restockType` means no restock.
#[tokio::test]
async fn the_documented_example_input_creates_a_refund() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let mut order = crate::shopify::order_payload(734_509_473, "#1001", "paid");
    order["line_items"][0]["id"] = json!(25_746_870u64);
    order["line_items"][0]["quantity"] = json!(2);
    let id = sandbox.add_order(&order).unwrap();
    let (sale, _) = sandbox.sale(id).unwrap();
    let documented = json!({"input": {
        "orderId": "gid://shopify/Order/734509473",
        "note": "Want to exchange for a different item",
        "refundLineItems": [{"lineItemId": "gid://shopify/LineItem/25746870", "quantity": 2}],
        "transactions": [{
            "orderId": "gid://shopify/Order/734509473",
            "gateway": "foo",
            "kind": "REFUND",
            "amount": "10.0",
            "parentId": "gid://shopify/OrderTransaction/723599266"
        }]
    }});
    let query = MUTATION.replace("KEY", "4f5b6ebf-143c-4da5-8d0f-fb8553bfd85d");
    let (_, refused) = graphql(&sandbox, &query, documented.clone()).await;
    let fields: Vec<&Value> = refused["data"]["refundCreate"]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["field"])
        .collect();
    assert_eq!(
        fields,
        [
            &json!(["transactions", "0", "parentId"]),
            &json!(["transactions", "0", "gateway"])
        ]
    );
    let mut ours = documented;
    ours["input"]["transactions"][0]["parentId"] =
        json!(format!("gid://shopify/OrderTransaction/{sale}"));
    ours["input"]["transactions"][0]["gateway"] = json!("bogus");
    let (_, answer) = graphql(&sandbox, &query, ours).await;
    assert_eq!(
        answer["data"]["refundCreate"]["userErrors"],
        json!([]),
        "{answer}"
    );
    let r = &sandbox.refunds(id)[0];
    assert_eq!((r.amount_minor, r.lines[0].quantity), (1000, 2));
    assert_eq!(r.transactions[0].amount_text, "10.0");
    assert!(!r.restock());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn faults_reach_the_graphql_path_and_a_lost_answer_still_refunds() {
    let (sandbox, id, order) = paid_order().await;
    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let query = MUTATION.replace("KEY", "k-1");
    let (status, _) = graphql(&sandbox, &query, input(&sandbox, id, &order, "1.00")).await;
    assert!(status >= 500, "{status}");
    sandbox.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let (status, _) = graphql(&sandbox, &query, input(&sandbox, id, &order, "1.00")).await;
    assert_eq!(status, 429);
    assert_eq!(sandbox.refund_count(), 0);

    // A timeout with `place_despite_timeout`: the mutation is carried out, the answer lost.
    sandbox.faults.set(Faults {
        timeout_rate: 1.0,
        place_despite_timeout: true,
        ..Faults::default()
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let lost = client
        .post(format!(
            "{}/admin/api/{GRAPHQL_API_VERSION}/graphql.json",
            sandbox.base_url
        ))
        .header("X-Shopify-Access-Token", sandbox.access_token())
        .json(&json!({"query": query, "variables": input(&sandbox, id, &order, "1.00")}))
        .send()
        .await;
    assert!(lost.is_err());
    sandbox.faults.set(Faults::default());
    for _ in 0..50 {
        if sandbox.refund_count() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(sandbox.refund_count(), 1);
    // The retry with the same key and variables is the first result again.
    let (_, replay) = graphql(&sandbox, &query, input(&sandbox, id, &order, "1.00")).await;
    assert_eq!(
        replay["data"]["refundCreate"]["refund"]["legacyResourceId"],
        sandbox.refunds(id)[0].id.to_string()
    );
    assert_eq!(sandbox.refund_count(), 1);
    sandbox.shutdown().await;
}

/// A refund made in the admin is kept like one made through the API (the REST read-back
/// lists it) and its `refunds/create` body ties it to the Shopify Return it settles; more
/// units than are left are refused and nothing is kept.
#[tokio::test]
async fn a_refund_made_in_the_admin_is_kept_and_names_its_return() {
    let (sandbox, id, order) = paid_order().await;
    let line = &order["line_items"][0];
    let line_id = line["id"].as_u64().unwrap();
    let units = u32::try_from(line["quantity"].as_u64().unwrap()).unwrap();
    let body = sandbox
        .refund_in_admin(id, &[(line_id, 1)], Some(3_547_267_221))
        .unwrap();
    assert_eq!(body["return"]["id"], json!(3_547_267_221u64));
    assert_eq!(
        body["return"]["admin_graphql_api_id"],
        json!("gid://shopify/Return/3547267221")
    );
    assert_eq!(
        body["refund_line_items"][0]["restock_type"],
        json!("return")
    );
    assert_eq!(body["refund_line_items"][0]["quantity"], json!(1));
    let price = minor(&line["price"]);
    assert_eq!(minor(&body["transactions"][0]["amount"]), price);
    assert_eq!(sandbox.total_refunded(id), price);
    let (status, listed) = rest_get(&sandbox, &format!("orders/{id}/refunds.json")).await;
    assert_eq!(status, 200);
    assert_eq!(listed["refunds"][0]["id"], body["id"], "{listed}");

    let too_many = sandbox.refund_in_admin(id, &[(line_id, units + 1)], None);
    assert!(too_many.is_err(), "{too_many:?}");
    assert_eq!(sandbox.refunds(id).len(), 1);
}
