//! The Shopify catalogue connector against the Shopify Admin sandbox, in process, and its
//! wire shapes against documented examples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::admin::ShopifyAdmin;
use super::admin_catalogue_wire::{Answer, UserError};
use crate::platforms::admin::StoreApiError;
use crate::platforms::admin_catalogue::{CatalogueAccess, VariantWrite, WriteResult};
use dropflow_sandbox::shopify_admin::{
    start, AdminEdit, NewProduct, NewVariant, SeededProduct, ShopifyAdminConfig,
    ShopifyAdminSandbox,
};
use serde_json::json;
use std::time::Duration;

fn connector(sandbox: &ShopifyAdminSandbox) -> ShopifyAdmin {
    ShopifyAdmin::new(
        &sandbox.base_url,
        sandbox.access_token(),
        Duration::from_secs(5),
    )
}

fn seed(
    sandbox: &ShopifyAdminSandbox,
    title: &str,
    variants: usize,
    stock: Option<i64>,
) -> SeededProduct {
    sandbox
        .add_product(&NewProduct {
            title: title.to_string(),
            active: true,
            variants: (0..variants)
                .map(|i| NewVariant {
                    title: if variants == 1 {
                        "Default Title".into()
                    } else {
                        format!("Size {i}")
                    },
                    sku: Some(format!("{title}-{i}")),
                    price: "10.00".into(),
                    stock,
                })
                .collect(),
        })
        .unwrap()
}

fn stock_write(p: &SeededProduct, i: usize, stock: u32) -> VariantWrite {
    VariantWrite {
        variant_id: p.variants[i].variant_id.to_string(),
        product_id: p.product_id.to_string(),
        inventory_item_id: Some(p.variants[i].inventory_item_gid()),
        stock: Some(stock),
        published: None,
        price: None,
    }
}

#[tokio::test]
async fn reads_every_variant_page_by_page() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let mut seeded = Vec::new();
    for n in 0..26 {
        seeded.push(seed(&sandbox, &format!("Tee{n}"), 10, Some(3)));
    }
    let lone = seed(&sandbox, "Cap", 1, None);
    let admin = connector(&sandbox);
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = admin.catalogue_page(after.as_deref()).await.unwrap();
        pages += 1;
        all.extend(page.variants);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(all.len(), 261);
    let first = &all[0];
    assert_eq!(
        first.variant_id,
        seeded[0].variants[0].variant_id.to_string()
    );
    assert_eq!(first.product_id, seeded[0].product_id.to_string());
    assert_eq!(first.title, "Tee0 - Size 0");
    assert_eq!(first.sku.as_deref(), Some("Tee0-0"));
    assert_eq!(first.price, "10.00");
    assert_eq!(first.stock, Some(3));
    assert!(first.published);
    assert_eq!(
        first.inventory_item_id,
        Some(seeded[0].variants[0].inventory_item_gid())
    );
    let cap = all.last().unwrap();
    assert_eq!(cap.variant_id, lone.variants[0].variant_id.to_string());
    assert_eq!(cap.title, "Cap");
    assert_eq!(cap.stock, None, "an untracked item has no stock");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_thousand_stock_changes_cost_at_most_ten_calls() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let products: Vec<SeededProduct> = (0..100)
        .map(|n| seed(&sandbox, &format!("P{n}"), 10, Some(0)))
        .collect();
    let writes: Vec<VariantWrite> = products
        .iter()
        .flat_map(|p| (0..10).map(move |i| stock_write(p, i, (i as u32) + 5)))
        .collect();
    assert_eq!(writes.len(), 1000);
    let admin = connector(&sandbox);
    assert_eq!(admin.write_batch_limit(), 250);
    assert!(!admin.publishes_variants());
    for batch in writes.chunks(admin.write_batch_limit()) {
        let written = admin.write_variants(batch).await.unwrap();
        assert_eq!(written.len(), batch.len());
        assert!(
            written.iter().all(|w| w.result == WriteResult::Written),
            "{written:?}"
        );
    }
    let calls = sandbox.catalogue_write_calls() + sandbox.catalogue_read_calls();
    assert!(calls <= 10, "{calls} calls for 1,000 stock changes");
    assert_eq!(sandbox.catalogue_write_calls(), 4);
    let v = sandbox
        .catalogue_variant(products[99].variants[9].variant_id)
        .unwrap();
    assert_eq!(v.available, 14);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn stock_turns_tracking_on_and_a_repeat_after_a_hand_edit_still_sets_it() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let p = seed(&sandbox, "Mug", 2, None);
    let admin = connector(&sandbox);
    let writes = vec![stock_write(&p, 0, 7), stock_write(&p, 1, 0)];
    let first = admin.write_variants(&writes).await.unwrap();
    assert!(first.iter().all(|w| w.result == WriteResult::Written));
    let v = sandbox.catalogue_variant(p.variants[0].variant_id).unwrap();
    assert!(v.tracked);
    assert_eq!(v.available, 7);
    // The merchant changes it by hand; the same write again sets it back (a fresh key, not
    // Shopify's replay of the first answer).
    sandbox
        .edit_in_admin(
            p.variants[0].variant_id,
            &AdminEdit {
                available: Some(2),
                ..AdminEdit::default()
            },
        )
        .unwrap();
    admin.write_variants(&writes).await.unwrap();
    assert_eq!(
        sandbox
            .catalogue_variant(p.variants[0].variant_id)
            .unwrap()
            .available,
        7
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refused_variant_is_named_and_the_rest_are_written() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let p = seed(&sandbox, "Mug", 3, Some(1));
    let admin = connector(&sandbox);
    let mut unknown = stock_write(&p, 1, 4);
    unknown.inventory_item_id = Some("gid://shopify/InventoryItem/1".into());
    let mut no_item = stock_write(&p, 2, 4);
    no_item.inventory_item_id = None;
    let mut bad_price = stock_write(&p, 2, 4);
    bad_price.stock = None;
    bad_price.price = Some("-3.00".into());
    let mut good_price = stock_write(&p, 0, 9);
    good_price.price = Some("24.99".into());
    let writes = vec![good_price, unknown, no_item, bad_price];
    let written = admin.write_variants(&writes).await.unwrap();
    assert_eq!(written.len(), 4);
    assert_eq!(written[0].result, WriteResult::Written);
    assert!(
        matches!(&written[1].result, WriteResult::Refused(why) if why.contains("not in the store")),
        "{written:?}"
    );
    assert!(
        matches!(&written[2].result, WriteResult::Refused(why) if why.contains("inventory item"))
    );
    assert!(
        matches!(&written[3].result, WriteResult::Refused(why) if why.contains("GREATER_THAN_OR_EQUAL_TO")),
        "{written:?}"
    );
    let v = sandbox.catalogue_variant(p.variants[0].variant_id).unwrap();
    assert_eq!((v.available, v.price.as_str()), (9, "24.99"));
    assert_eq!(
        sandbox
            .catalogue_variant(p.variants[2].variant_id)
            .unwrap()
            .price,
        "10.00"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn prices_go_one_call_per_product_and_status_per_product() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let a = seed(&sandbox, "Mug", 3, Some(1));
    let b = seed(&sandbox, "Cap", 2, Some(1));
    let admin = connector(&sandbox);
    let price = |p: &SeededProduct, i: usize, price: &str, on: Option<bool>| VariantWrite {
        stock: None,
        price: Some(price.into()),
        published: on,
        ..stock_write(p, i, 0)
    };
    let writes = vec![
        price(&a, 0, "11.00", Some(false)),
        price(&a, 1, "12.00", Some(false)),
        price(&a, 2, "13", Some(false)),
        price(&b, 0, "5.50", Some(true)),
        price(&b, 1, "5.50", Some(false)),
    ];
    let written = admin.write_variants(&writes).await.unwrap();
    assert!(
        written[..3]
            .iter()
            .all(|w| w.result == WriteResult::Written),
        "{written:?}"
    );
    assert!(matches!(&written[3].result, WriteResult::Refused(why) if why.contains("disagree")));
    // Two price calls (one a product) and one status call.
    assert_eq!(sandbox.catalogue_write_calls(), 3);
    let v = sandbox.catalogue_variant(a.variants[2].variant_id).unwrap();
    assert_eq!(v.price, "13.00");
    assert!(!v.published);
    assert_eq!(
        sandbox
            .catalogue_variant(b.variants[0].variant_id)
            .unwrap()
            .price,
        "5.50"
    );
    assert!(
        sandbox
            .catalogue_variant(b.variants[0].variant_id)
            .unwrap()
            .published
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn throttled_is_a_rate_limit_with_the_wait_the_cost_says() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let p = seed(&sandbox, "Mug", 1, Some(1));
    let admin = connector(&sandbox);
    // 760 points, 10 a second: a stock write (lookup 1 + set 10) leaves 749; a page asks 752.
    sandbox.set_cost_limit(760.0, 10.0);
    admin
        .write_variants(&[stock_write(&p, 0, 3)])
        .await
        .unwrap();
    let error = admin.catalogue_page(None).await.unwrap_err();
    let StoreApiError::RateLimited {
        retry_after: Some(wait),
    } = error
    else {
        panic!("{error:?}");
    };
    assert!(
        wait > Duration::from_millis(100) && wait <= Duration::from_millis(500),
        "{wait:?}"
    );
    assert!(error.is_transient());
    tokio::time::sleep(wait).await;
    admin.catalogue_page(None).await.unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn more_than_the_batch_limit_is_refused_whole() {
    let sandbox = start(ShopifyAdminConfig::default()).await.unwrap();
    let p = seed(&sandbox, "Mug", 1, Some(1));
    let writes = vec![stock_write(&p, 0, 1); 251];
    let error = connector(&sandbox)
        .write_variants(&writes)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreApiError::Refused(_)), "{error:?}");
    assert_eq!(sandbox.catalogue_write_calls(), 0);
    sandbox.shutdown().await;
}

/// A throttled answer as Shopify's rate-limit page describes it (errors[].extensions.code
/// `THROTTLED`, `extensions.cost` with `requestedQueryCost` and `throttleStatus`:
/// https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits), the figures those of
/// a public fixture's `throttleStatus` (maximumAvailable 2000.0, restoreRate 100.0).
#[test]
fn a_throttled_answer_gives_the_deficit_over_the_restore_rate() {
    let answer: Answer = serde_json::from_value(json!({
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": {"cost": {"requestedQueryCost": 752, "actualQueryCost": null,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 552, "restoreRate": 100.0}}}
    }))
    .unwrap();
    assert_eq!(
        answer.data("productVariants"),
        Err(StoreApiError::RateLimited {
            retry_after: Some(Duration::from_secs(2))
        })
    );
    let e: UserError = serde_json::from_value(json!({"field": ["input", "quantities", "3", "quantity"], "message": "The quantity can't be negative.", "code": "INVALID_QUANTITY_NEGATIVE"})).unwrap();
    assert_eq!(e.index_in("quantities"), Some(3));
    assert_eq!(e.index_in("variants"), None);
    assert_eq!(
        e.said(),
        "The quantity can't be negative. (INVALID_QUANTITY_NEGATIVE)"
    );
}
