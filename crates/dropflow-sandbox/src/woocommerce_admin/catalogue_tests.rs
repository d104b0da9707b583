//! The catalogue over real HTTP: lists and their paging, batch updates, the batch limit,
//! per-item errors, stock inheritance and the store's stock setting.

use super::tests::basic;
use super::*;
use crate::faults::Faults;
use serde_json::{json, Value};

/// Sends with Basic auth: the status, the JSON body and the `X-WP-Total`/`X-WP-TotalPages`
/// headers.
async fn send(
    sandbox: &WooAdminSandbox,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, Option<(String, String)>) {
    let url = format!("{}/wp-json/wc/v3/{path}", sandbox.base_url);
    let mut request = reqwest::Client::new()
        .request(method.parse().unwrap(), url)
        .header("Authorization", basic(sandbox));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let totals = header("X-WP-Total").zip(header("X-WP-TotalPages"));
    (status, response.json().await.unwrap_or(Value::Null), totals)
}

async fn sandbox() -> WooAdminSandbox {
    start(WooAdminConfig::default()).await.unwrap()
}

fn shirt() -> SeedProduct {
    SeedProduct::variable(
        "Ship Your Idea",
        vec![
            SeedVariation::new("Black", "9.00", Some(4)).with_sku("SYI-BLK"),
            SeedVariation::new("Green", "10.00", None),
        ],
    )
}

#[tokio::test]
async fn lists_products_in_pages_with_the_totals() {
    let sandbox = sandbox().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let seeded = sandbox
            .add_product(&SeedProduct::simple(&format!("Mug {n}"), "12.50", Some(n)))
            .unwrap();
        ids.push(seeded.product_id);
    }
    let (status, page, totals) = send(
        &sandbox,
        "GET",
        "products?per_page=2&page=2&orderby=id&order=asc",
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let listed: Vec<u64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, ids[2..4]);
    assert_eq!(totals, Some(("5".to_string(), "3".to_string())));
    assert_eq!(page[0]["type"], "simple");
    assert_eq!(page[0]["regular_price"], "12.50");
    assert_eq!(page[0]["manage_stock"], true);
    assert_eq!(page[0]["stock_quantity"], 2);

    // Newest first by default; past the end is an empty page.
    let (_, newest, _) = send(&sandbox, "GET", "products?per_page=1", None).await;
    assert_eq!(newest[0]["id"], ids[4]);
    let (status, past, _) = send(&sandbox, "GET", "products?per_page=100&page=9", None).await;
    assert_eq!((status, past), (200, json!([])));

    // WordPress bounds per_page to 1–100.
    let (status, refused, _) = send(&sandbox, "GET", "products?per_page=101", None).await;
    assert_eq!(status, 400);
    assert_eq!(refused["code"], "rest_invalid_param");
    assert_eq!(
        refused["data"]["params"]["per_page"],
        "per_page must be between 1 (inclusive) and 100 (inclusive)"
    );
    let (status, _, _) = send(&sandbox, "GET", "products?orderby=colour", None).await;
    assert_eq!(status, 400);
    assert_eq!(
        sandbox.catalogue_read_calls(),
        3,
        "refused lists are not counted"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn variations_inherit_the_products_stock_as_parent() {
    let sandbox = sandbox().await;
    let seeded = sandbox
        .add_product(&shirt().with_shared_stock(30).with_sku("SYI"))
        .unwrap();
    let (_, products, _) = send(&sandbox, "GET", "products", None).await;
    assert_eq!(products[0]["type"], "variable");
    assert_eq!(products[0]["regular_price"], "");
    assert_eq!(products[0]["variations"], json!(seeded.variation_ids));

    let path = format!(
        "products/{}/variations?orderby=id&order=asc",
        seeded.product_id
    );
    let (status, variations, totals) = send(&sandbox, "GET", &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(totals, Some(("2".to_string(), "1".to_string())));
    assert_eq!(variations[0]["sku"], "SYI-BLK");
    assert_eq!(variations[0]["manage_stock"], true);
    assert_eq!(variations[0]["stock_quantity"], 4);
    assert_eq!(variations[1]["manage_stock"], "parent");
    assert_eq!(variations[1]["stock_quantity"], 30);
    assert_eq!(variations[1]["attributes"][0]["option"], "Green");
    assert_eq!(
        sandbox
            .catalogue_variant(seeded.variation_ids[1])
            .unwrap()
            .stock,
        Some(30)
    );
    // A simple product, or no product, has no variations.
    let (status, none, _) = send(&sandbox, "GET", "products/424242/variations", None).await;
    assert_eq!((status, none), (200, json!([])));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn batch_updates_products_and_variations() {
    let sandbox = sandbox().await;
    let mug = sandbox
        .add_product(&SeedProduct::simple("Mug", "12.50", None))
        .unwrap()
        .product_id;
    let shirt = sandbox.add_product(&shirt()).unwrap();
    let green = shirt.variation_ids[1];

    let body = json!({"update": [{"id": mug, "regular_price": "14.00", "manage_stock": true,
        "stock_quantity": 7, "status": "draft"}]});
    let (status, answer, _) = send(&sandbox, "POST", "products/batch", Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer.as_object().unwrap().len(),
        1,
        "only `update` is answered"
    );
    assert_eq!(answer["update"][0]["id"], mug);
    assert_eq!(answer["update"][0]["stock_quantity"], 7);
    let now = sandbox.catalogue_variant(mug).unwrap();
    assert_eq!(
        (now.price.as_str(), now.stock, now.status.as_str()),
        ("14.00", Some(7), "draft")
    );

    let path = format!("products/{}/variations/batch", shirt.product_id);
    let body = json!({"update": [{"id": green, "regular_price": "11.00", "manage_stock": true,
        "stock_quantity": 3, "status": "private"}]});
    let (status, answer, _) = send(&sandbox, "PUT", &path, Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["update"][0]["manage_stock"], true);
    let now = sandbox.catalogue_variant(green).unwrap();
    assert_eq!(
        (now.price.as_str(), now.stock, now.published()),
        ("11.00", Some(3), false)
    );

    // Stopping tracking clears the quantity; an unknown status is saved as draft.
    let body = json!({"update": [{"id": green, "manage_stock": false, "stock_quantity": 9,
        "status": "hidden"}]});
    let (_, answer, _) = send(&sandbox, "POST", &path, Some(body)).await;
    assert_eq!(answer["update"][0]["stock_quantity"], Value::Null);
    assert_eq!(answer["update"][0]["status"], "draft");
    // A variable product has no price of its own.
    let body = json!({"update": [{"id": shirt.product_id, "regular_price": "5.00"}]});
    let (_, answer, _) = send(&sandbox, "POST", "products/batch", Some(body)).await;
    assert_eq!(answer["update"][0]["regular_price"], "");
    // An empty batch is PHP's empty array.
    let (status, answer, _) = send(&sandbox, "POST", "products/batch", Some(json!({}))).await;
    assert_eq!((status, answer), (200, json!([])));
    assert_eq!(sandbox.catalogue_write_calls(), 5);
    sandbox.shutdown().await;
}

/// `check_batch_limit`: more than 100 objects is 413 and nothing is saved.
#[tokio::test]
async fn more_than_a_hundred_objects_is_413() {
    let sandbox = sandbox().await;
    let mug = sandbox
        .add_product(&SeedProduct::simple("Mug", "12.50", Some(1)))
        .unwrap()
        .product_id;
    let items: Vec<Value> = (0..101)
        .map(|_| json!({"id": mug, "stock_quantity": 50}))
        .collect();
    let (status, refused, _) = send(
        &sandbox,
        "POST",
        "products/batch",
        Some(json!({"update": items})),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(
        refused,
        json!({"code": "woocommerce_rest_request_entity_too_large",
            "message": "Unable to accept more than 100 items for this request.",
            "data": {"status": 413}})
    );
    assert_eq!(sandbox.catalogue_variant(mug).unwrap().stock, Some(1));
    // create, update and delete count together.
    let body = json!({"update": (0..60).map(|_| json!({"id": mug})).collect::<Vec<_>>(),
        "delete": (0..41).map(|_| json!(1)).collect::<Vec<_>>()});
    let (status, _, _) = send(&sandbox, "POST", "products/batch", Some(body)).await;
    assert_eq!(status, 413);
    let items: Vec<Value> = (0..100)
        .map(|_| json!({"id": mug, "stock_quantity": 50}))
        .collect();
    let (status, answer, _) = send(
        &sandbox,
        "POST",
        "products/batch",
        Some(json!({"update": items})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["update"].as_array().unwrap().len(), 100);
    assert_eq!(sandbox.catalogue_variant(mug).unwrap().stock, Some(50));
    assert_eq!(sandbox.catalogue_write_calls(), 3);
    sandbox.shutdown().await;
}

/// Each item fails on its own, answered in place with its id as sent and the error.
#[tokio::test]
async fn per_item_errors_leave_the_rest_written() {
    let sandbox = sandbox().await;
    let kept = sandbox
        .add_product(&SeedProduct::simple("Mug", "12.50", Some(1)))
        .unwrap()
        .product_id;
    let gone = sandbox
        .add_product(&SeedProduct::simple("Plate", "8.00", Some(1)))
        .unwrap()
        .product_id;
    assert!(sandbox.delete_product_in_admin(gone));
    let body = json!({"update": [
        {"id": gone, "stock_quantity": 2},
        {"id": kept, "manage_stock": true, "stock_quantity": 2},
        {"id": kept, "regular_price": "twelve"},
    ]});
    let (status, answer, _) = send(&sandbox, "POST", "products/batch", Some(body)).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["update"][0],
        json!({"id": gone, "error": {"code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.", "data": {"status": 400}}})
    );
    assert_eq!(answer["update"][1]["stock_quantity"], 2);
    assert_eq!(answer["update"][2]["error"]["code"], "rest_invalid_param");
    assert_eq!(sandbox.catalogue_variant(kept).unwrap().stock, Some(2));

    // A variation sent under another product, and one that is not there.
    let a = sandbox.add_product(&shirt()).unwrap();
    let b = sandbox.add_product(&shirt()).unwrap();
    let path = format!("products/{}/variations/batch", a.product_id);
    let body = json!({"update": [{"id": b.variation_ids[0], "stock_quantity": 1},
        {"id": 1, "stock_quantity": 1}]});
    let (_, answer, _) = send(&sandbox, "POST", &path, Some(body)).await;
    assert_eq!(
        answer["update"][0]["error"]["code"],
        "woocommerce_rest_cannot_edit"
    );
    assert_eq!(
        answer["update"][1]["error"]["code"],
        "woocommerce_rest_product_variation_invalid_id"
    );
    sandbox.shutdown().await;
}

/// With "Enable stock management" off, a product's stock fields are ignored and nothing
/// answers as managing stock.
#[tokio::test]
async fn stock_management_off_ignores_stock() {
    let sandbox = sandbox().await;
    let mug = sandbox
        .add_product(&SeedProduct::simple("Mug", "12.50", None))
        .unwrap()
        .product_id;
    sandbox.set_stock_management(false);
    let body = json!({"update": [{"id": mug, "manage_stock": true, "stock_quantity": 5}]});
    let (_, answer, _) = send(&sandbox, "POST", "products/batch", Some(body)).await;
    assert_eq!(answer["update"][0]["manage_stock"], false);
    assert_eq!(answer["update"][0]["stock_quantity"], Value::Null);
    sandbox.set_stock_management(true);
    assert_eq!(sandbox.catalogue_variant(mug).unwrap().stock, None);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn merchant_edits_show_in_the_api() {
    let sandbox = sandbox().await;
    let shirt = sandbox.add_product(&shirt()).unwrap();
    let black = shirt.variation_ids[0];
    sandbox.set_price_in_admin(black, "9.50").unwrap();
    sandbox.set_stock_in_admin(black, None).unwrap();
    sandbox.set_status_in_admin(black, "private").unwrap();
    assert!(sandbox.set_price_in_admin(black, "cheap").is_err());
    assert!(sandbox
        .set_stock_in_admin(shirt.product_id, Some(1))
        .is_err());
    let path = format!(
        "products/{}/variations?orderby=id&order=asc",
        shirt.product_id
    );
    let (_, variations, _) = send(&sandbox, "GET", &path, None).await;
    assert_eq!(variations[0]["regular_price"], "9.50");
    assert_eq!(variations[0]["manage_stock"], false);
    assert_eq!(variations[0]["status"], "private");
    sandbox.shutdown().await;
}

/// The shared fault switch stands in front of the catalogue; a refused request is not a
/// write the store made.
#[tokio::test]
async fn faults_apply_to_the_catalogue() {
    let sandbox = sandbox().await;
    sandbox.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let (status, said, _) = send(
        &sandbox,
        "POST",
        "products/batch",
        Some(json!({"update": []})),
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(said["code"], "rest_too_many_requests");
    assert_eq!(sandbox.catalogue_write_calls(), 0);
    sandbox.faults.set(Faults::default());
    sandbox.shutdown().await;
}
