//! The catalogue over real HTTP: pages, stock, prices, status, limits, idempotency, cost.

use super::*;
use serde_json::{json, Value};

async fn post(sandbox: &ShopifyAdminSandbox, body: Value) -> (u16, Value) {
    let url = format!("{}/admin/api/2026-07/graphql.json", sandbox.base_url);
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

fn product(title: &str, prices: &[&str], stock: Option<i64>) -> NewProduct {
    NewProduct {
        title: title.to_string(),
        active: true,
        variants: prices
            .iter()
            .enumerate()
            .map(|(i, p)| NewVariant {
                title: format!("V{i}"),
                sku: Some(format!("{title}-{i}")),
                price: p.to_string(),
                stock,
            })
            .collect(),
    }
}

const SET: &str = "mutation S($input: InventorySetQuantitiesInput!, $key: String!) { inventorySetQuantities(input: $input) @idempotent(key: $key) { inventoryAdjustmentGroup { changes { name delta quantityAfterChange } } userErrors { field message code } } }";

fn location(sandbox: &ShopifyAdminSandbox) -> String {
    format!(
        "gid://shopify/Location/{}",
        sandbox.shared.config.location_id
    )
}

#[tokio::test]
async fn variants_are_read_page_by_page_with_their_cost() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let a = sandbox
        .add_product(&product("Mug", &["9.5", "10"], Some(4)))
        .unwrap();
    let b = sandbox
        .add_product(&product("Cap", &["12.00"], None))
        .unwrap();
    let query = "query P($first: Int!, $after: String) { productVariants(first: $first, after: $after) { nodes { id legacyResourceId title sku price inventoryQuantity inventoryItem { id tracked } product { id legacyResourceId title status } } pageInfo { hasNextPage endCursor } } }";
    let (status, first) = post(&sandbox, json!({"query": query, "variables": {"first": 2}})).await;
    assert_eq!(status, 200);
    let page = &first["data"]["productVariants"];
    assert_eq!(page["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["nodes"][0]["legacyResourceId"],
        a.variants[0].variant_id.to_string()
    );
    assert_eq!(page["nodes"][0]["price"], "9.50");
    assert_eq!(page["nodes"][1]["price"], "10.00");
    assert_eq!(
        page["nodes"][0]["inventoryItem"]["id"],
        a.variants[0].inventory_item_gid()
    );
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["extensions"]["cost"]["requestedQueryCost"], 8.0);
    assert_eq!(
        first["extensions"]["cost"]["throttleStatus"]["restoreRate"],
        100.0
    );
    let cursor = page["pageInfo"]["endCursor"].clone();
    let (_, second) = post(
        &sandbox,
        json!({"query": query, "variables": {"first": 2, "after": cursor}}),
    )
    .await;
    let page = &second["data"]["productVariants"];
    assert_eq!(page["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(
        page["nodes"][0]["product"]["legacyResourceId"],
        b.product_id.to_string()
    );
    assert_eq!(page["nodes"][0]["inventoryItem"]["tracked"], false);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    // Actual cost: one node returned of two asked.
    assert_eq!(second["extensions"]["cost"]["actualQueryCost"], 5.0);
    let (_, too_many) = post(
        &sandbox,
        json!({"query": query, "variables": {"first": 251}}),
    )
    .await;
    // More than a connection gives (250) is refused before anything runs.
    assert_eq!(too_many["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    // The refused one was metered too.
    assert_eq!(sandbox.catalogue_read_calls(), 3);
    sandbox.shutdown().await;
}

/// Shopify's documented example ("curl example" of
/// https://shopify.dev/docs/api/admin-graphql/2025-01/mutations/inventorySetQuantities) is the
/// pre-2026-04 shape: no `@idempotent`, `compareQuantity` instead of `changeFromQuantity`.
/// 2026-07 refuses it; with a key and `changeFromQuantity` it sets the stock.
#[tokio::test]
async fn the_documented_pre_2026_example_is_refused_and_the_2026_shape_sets_stock() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let seeded = sandbox
        .add_product(&product("Mug", &["9.50"], Some(1)))
        .unwrap();
    let item = seeded.variants[0].inventory_item_gid();
    let documented = json!({
        "query": "mutation InventorySet($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { inventoryAdjustmentGroup { createdAt reason referenceDocumentUri changes { name delta } } userErrors { field message } } }",
        "variables": {"input": {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": "logistics://some.warehouse/take/2023-01-23T13:14:15Z",
            "quantities": [{"inventoryItemId": "gid://shopify/InventoryItem/30322695", "locationId": "gid://shopify/Location/124656943", "quantity": 11, "compareQuantity": 1}],
        }},
    });
    let (_, refused) = post(&sandbox, documented).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_REQUEST");

    // `None`: no changeFromQuantity at all.
    let quantity = |change_from: Option<Value>| {
        let mut q =
            json!({"inventoryItemId": item, "locationId": location(&sandbox), "quantity": 11});
        if let Some(v) = change_from {
            q["changeFromQuantity"] = v;
        }
        q
    };
    let input = |q: Value| json!({"name": "available", "reason": "correction", "quantities": [q]});
    // compareQuantity alone: changeFromQuantity is mandatory.
    let mut old_shape = quantity(None);
    old_shape["compareQuantity"] = json!(1);
    let (_, answer) = post(
        &sandbox,
        json!({"query": SET, "variables": {"key": "k1", "input": input(old_shape)}}),
    )
    .await;
    let errors = &answer["data"]["inventorySetQuantities"]["userErrors"];
    assert_eq!(errors[0]["code"], "COMPARE_QUANTITY_REQUIRED");
    assert_eq!(
        errors[0]["field"],
        json!(["input", "quantities", "0", "changeFromQuantity"])
    );
    // A stale compare-and-swap.
    let (_, stale) = post(
        &sandbox,
        json!({"query": SET, "variables": {"key": "k2", "input": input(quantity(Some(json!(7))))}}),
    )
    .await;
    assert_eq!(
        stale["data"]["inventorySetQuantities"]["userErrors"][0]["code"],
        "CHANGE_FROM_QUANTITY_STALE"
    );
    assert_eq!(
        sandbox
            .catalogue_variant(seeded.variants[0].variant_id)
            .unwrap()
            .available,
        1
    );
    // Explicit null opts out of the check.
    let body = json!({"query": SET, "variables": {"key": "k3", "input": input(quantity(Some(Value::Null)))}});
    let (_, set) = post(&sandbox, body.clone()).await;
    assert_eq!(
        set["data"]["inventorySetQuantities"]["userErrors"],
        json!([])
    );
    assert_eq!(
        set["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"][0]["delta"],
        10
    );
    assert_eq!(
        sandbox
            .catalogue_variant(seeded.variants[0].variant_id)
            .unwrap()
            .available,
        11
    );
    // The same key and variables: the first answer again, nothing done.
    sandbox
        .edit_in_admin(
            seeded.variants[0].variant_id,
            &AdminEdit {
                available: Some(3),
                ..AdminEdit::default()
            },
        )
        .unwrap();
    let (_, replay) = post(&sandbox, body).await;
    assert_eq!(replay["data"], set["data"]);
    assert_eq!(
        sandbox
            .catalogue_variant(seeded.variants[0].variant_id)
            .unwrap()
            .available,
        3
    );
    // The same key, other variables.
    let mut other = quantity(Some(Value::Null));
    other["quantity"] = json!(5);
    let (_, mismatch) = post(
        &sandbox,
        json!({"query": SET, "variables": {"key": "k3", "input": input(other)}}),
    )
    .await;
    assert_eq!(
        mismatch["data"]["inventorySetQuantities"]["userErrors"][0]["code"],
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn quantities_are_checked_each_and_refused_all_or_nothing() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let seeded = sandbox
        .add_product(&product("Mug", &["9.50", "9.50"], Some(1)))
        .unwrap();
    let q = |item: String, quantity: i64| json!({"inventoryItemId": item, "locationId": location(&sandbox), "quantity": quantity, "changeFromQuantity": null});
    let input = json!({"name": "available", "reason": "correction", "quantities": [
        q(seeded.variants[0].inventory_item_gid(), 5),
        q("gid://shopify/InventoryItem/1".into(), 5),
        q(seeded.variants[1].inventory_item_gid(), -2),
    ]});
    let (_, answer) = post(
        &sandbox,
        json!({"query": SET, "variables": {"key": "a", "input": input}}),
    )
    .await;
    let errors = answer["data"]["inventorySetQuantities"]["userErrors"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["code"], "INVALID_INVENTORY_ITEM");
    assert_eq!(errors[0]["field"][2], "1");
    assert_eq!(errors[1]["code"], "INVALID_QUANTITY_NEGATIVE");
    assert_eq!(errors[1]["field"][2], "2");
    assert_eq!(
        sandbox
            .catalogue_variant(seeded.variants[0].variant_id)
            .unwrap()
            .available,
        1
    );
    let many: Vec<Value> = (0..251)
        .map(|_| q(seeded.variants[0].inventory_item_gid(), 1))
        .collect();
    let (_, too_many) = post(&sandbox, json!({"query": SET, "variables": {"key": "b", "input": {"name": "available", "reason": "correction", "quantities": many}}})).await;
    assert_eq!(
        too_many["errors"][0]["extensions"]["code"],
        "MAX_INPUT_SIZE_EXCEEDED"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn prices_status_and_tracking_are_written_as_shopify_checks_them() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let mug = sandbox
        .add_product(&product("Mug", &["9.50", "9.50"], None))
        .unwrap();
    let cap = sandbox
        .add_product(&product("Cap", &["5.00"], Some(2)))
        .unwrap();
    let bulk = "mutation B($productId: ID!, $variants: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $productId, variants: $variants) { productVariants { id price } userErrors { field message code } } }";
    let v = |id: u64, price: &str| json!({"id": format!("gid://shopify/ProductVariant/{id}"), "price": price});
    let pid = format!("gid://shopify/Product/{}", mug.product_id);
    // One bad variant (another product's) and one negative price: nothing written.
    let (_, refused) = post(&sandbox, json!({"query": bulk, "variables": {"productId": pid, "variants": [v(mug.variants[0].variant_id, "12.00"), v(cap.variants[0].variant_id, "1.00"), v(mug.variants[1].variant_id, "-1")]}})).await;
    let errors = &refused["data"]["productVariantsBulkUpdate"]["userErrors"];
    assert_eq!(errors[0]["code"], "MUST_BE_FOR_THIS_PRODUCT");
    assert_eq!(errors[0]["field"], json!(["variants", "1", "id"]));
    assert_eq!(errors[1]["code"], "GREATER_THAN_OR_EQUAL_TO");
    assert_eq!(
        sandbox
            .catalogue_variant(mug.variants[0].variant_id)
            .unwrap()
            .price,
        "9.50"
    );
    let (_, written) = post(&sandbox, json!({"query": bulk, "variables": {"productId": pid, "variants": [v(mug.variants[0].variant_id, "12"), v(mug.variants[1].variant_id, "13.5")]}})).await;
    assert_eq!(
        written["data"]["productVariantsBulkUpdate"]["userErrors"],
        json!([])
    );
    assert_eq!(
        sandbox
            .catalogue_variant(mug.variants[1].variant_id)
            .unwrap()
            .price,
        "13.50"
    );

    let update = "mutation U($product: ProductUpdateInput!) { productUpdate(product: $product) { product { id status } userErrors { field message } } }";
    let (_, draft) = post(
        &sandbox,
        json!({"query": update, "variables": {"product": {"id": pid, "status": "DRAFT"}}}),
    )
    .await;
    assert_eq!(draft["data"]["productUpdate"]["product"]["status"], "DRAFT");
    assert!(
        !sandbox
            .catalogue_variant(mug.variants[0].variant_id)
            .unwrap()
            .published
    );
    let old =
        "mutation U($input: ProductInput!) { productUpdate(input: $input) { product { id } } }";
    let (_, old_shape) = post(
        &sandbox,
        json!({"query": old, "variables": {"input": {"id": pid, "status": "ACTIVE"}}}),
    )
    .await;
    assert_eq!(
        old_shape["errors"][0]["extensions"]["code"],
        "argumentNotAccepted"
    );

    let track = "mutation T($id: ID!, $input: InventoryItemInput!) { inventoryItemUpdate(id: $id, input: $input) { inventoryItem { id tracked } userErrors { field message } } }";
    let (_, tracked) = post(&sandbox, json!({"query": track, "variables": {"id": mug.variants[0].inventory_item_gid(), "input": {"tracked": true}}})).await;
    assert_eq!(
        tracked["data"]["inventoryItemUpdate"]["inventoryItem"]["tracked"],
        true
    );
    assert!(
        sandbox
            .catalogue_variant(mug.variants[0].variant_id)
            .unwrap()
            .tracked
    );
    assert_eq!(sandbox.catalogue_write_calls(), 5);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_cost_bucket_throttles_with_shopifys_answer() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let seeded = sandbox
        .add_product(&product("Mug", &["9.50"], Some(1)))
        .unwrap();
    let query = "query P($first: Int!) { productVariants(first: $first) { nodes { id } pageInfo { hasNextPage endCursor } } }";
    let (_, first) = post(
        &sandbox,
        json!({"query": query, "variables": {"first": 250}}),
    )
    .await;
    assert_eq!(first["extensions"]["cost"]["requestedQueryCost"], 752.0);
    assert_eq!(first["extensions"]["cost"]["actualQueryCost"], 5.0);
    // 752 taken, 747 given back: what was not returned is not paid for.
    assert!(
        first["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
            .as_f64()
            .unwrap()
            >= 1994.0
    );

    sandbox.set_cost_limit(760.0, 1.0);
    let update = json!({"query": "mutation U($p: ProductUpdateInput!) { productUpdate(product: $p) { product { id } } }",
        "variables": {"p": {"id": format!("gid://shopify/Product/{}", seeded.product_id), "status": "ACTIVE"}}});
    let (_, updated) = post(&sandbox, update).await;
    assert_eq!(updated["extensions"]["cost"]["requestedQueryCost"], 10.0);
    let (status, page) = post(
        &sandbox,
        json!({"query": query, "variables": {"first": 250}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["errors"][0]["message"], "Throttled");
    assert_eq!(page["errors"][0]["extensions"]["code"], "THROTTLED");
    assert!(page.get("data").is_none());
    let cost = &page["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 752.0);
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 760.0);
    assert_eq!(cost["throttleStatus"]["currentlyAvailable"], 750.0);
    assert_eq!(sandbox.catalogue_throttled_count(), 1);
    assert_eq!(sandbox.catalogue_write_calls(), 1);
    assert_eq!(sandbox.catalogue_read_calls(), 1);
    sandbox.shutdown().await;
}
