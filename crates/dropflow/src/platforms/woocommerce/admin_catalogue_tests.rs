//! The WooCommerce catalogue connector: the documented shapes, then against the sandbox in
//! process (reading page by page, writing in batches, refusals, faults).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::admin_catalogue_wire::{item_result, update_entry, ProductRead, Target, VariationRead};
use super::admin_catalogue_write::{plan, read_answer};
use super::admin_tests::connector;
use crate::platforms::admin::StoreApiError;
use crate::platforms::admin_catalogue::{CatalogueAccess, StoreVariant, VariantWrite, WriteResult};
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::woocommerce_admin::{
    start, SeedProduct, SeedVariation, WooAdminConfig, WooAdminSandbox,
};
use serde_json::{json, Value};

/// "Retrieve a product variation", the documented answer (`_links` left out):
/// <https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-a-product-variation>.
const DOCUMENTED_VARIATION: &str = r#"{
  "id": 732,
  "date_created": "2017-03-23T00:36:38",
  "date_created_gmt": "2017-03-23T03:36:38",
  "date_modified": "2017-03-23T00:36:38",
  "date_modified_gmt": "2017-03-23T03:36:38",
  "description": "",
  "permalink": "https://example.com/product/ship-your-idea/?attribute_pa_color=black",
  "sku": "",
  "price": "9.00",
  "regular_price": "9.00",
  "sale_price": "",
  "date_on_sale_from": null,
  "date_on_sale_from_gmt": null,
  "date_on_sale_to": null,
  "date_on_sale_to_gmt": null,
  "on_sale": false,
  "status": "publish",
  "purchasable": true,
  "virtual": false,
  "downloadable": false,
  "downloads": [],
  "download_limit": -1,
  "download_expiry": -1,
  "tax_status": "taxable",
  "tax_class": "",
  "manage_stock": false,
  "stock_quantity": null,
  "stock_status": "instock",
  "backorders": "no",
  "backorders_allowed": false,
  "backordered": false,
  "weight": "",
  "dimensions": {"length": "", "width": "", "height": ""},
  "shipping_class": "",
  "shipping_class_id": 0,
  "image": {
    "id": 423,
    "date_created": "2016-10-19T12:21:14",
    "date_created_gmt": "2016-10-19T16:21:14",
    "date_modified": "2016-10-19T12:21:14",
    "date_modified_gmt": "2016-10-19T16:21:14",
    "src": "https://example.com/wp-content/uploads/2016/10/T_4_front-12.jpg",
    "name": "",
    "alt": ""
  },
  "attributes": [{"id": 6, "name": "Color", "option": "Black"}],
  "menu_order": 0,
  "meta_data": []
}"#;

fn ship_your_idea() -> ProductRead {
    serde_json::from_value(
        json!({"id": 22, "name": "Ship Your Idea", "type": "variable",
        "status": "publish", "sku": "", "price": "9.00", "regular_price": "",
        "manage_stock": false, "stock_quantity": null, "variations": [732, 733]}),
    )
    .unwrap()
}

fn write(variant: u64, product: u64) -> VariantWrite {
    VariantWrite {
        variant_id: variant.to_string(),
        product_id: product.to_string(),
        inventory_item_id: None,
        stock: None,
        published: None,
        price: None,
    }
}

#[test]
fn reads_the_documented_variation() {
    let variation: VariationRead = serde_json::from_str(DOCUMENTED_VARIATION).unwrap();
    assert_eq!(
        variation.as_variant(&ship_your_idea()),
        StoreVariant {
            variant_id: "732".into(),
            product_id: "22".into(),
            sku: None,
            title: "Ship Your Idea - Black".into(),
            price: "9.00".into(),
            stock: None,
            published: true,
            inventory_item_id: None,
        }
    );
    // A variation living on its product's stock answers "parent" and the product's count.
    let mut inherits: Value = serde_json::from_str(DOCUMENTED_VARIATION).unwrap();
    inherits["manage_stock"] = json!("parent");
    inherits["stock_quantity"] = json!(30);
    let inherits: VariationRead = serde_json::from_value(inherits).unwrap();
    assert_eq!(inherits.as_variant(&ship_your_idea()).stock, Some(30));
}

/// "Batch update product variations", the documented request's `update` and the documented
/// answer's item for it (`_links` and `image` left out):
/// <https://woocommerce.github.io/woocommerce-rest-api-docs/#batch-update-product-variations>.
#[test]
fn writes_the_documented_batch_update() {
    let mut price = write(733, 22);
    price.price = Some("10.00".into());
    let (calls, answered) = plan(&[price]);
    assert!(answered.is_empty());
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "products/22/variations/batch");
    assert_eq!(
        calls[0].items[0].1,
        json!({"id": 733, "regular_price": "10.00"})
    );

    let documented = json!({"update": [{
        "id": 733, "date_created": "2017-03-23T00:53:11", "description": "",
        "permalink": "https://example.com/product/ship-your-idea/?attribute_pa_color=green",
        "sku": "", "price": "10.00", "regular_price": "10.00", "sale_price": "",
        "on_sale": false, "status": "publish", "purchasable": true, "manage_stock": false,
        "stock_quantity": null, "stock_status": "instock", "backorders": "no",
        "attributes": [{"id": 6, "name": "Color", "option": "Green"}], "menu_order": 0,
        "meta_data": []
    }]});
    assert_eq!(
        read_answer(&calls[0], &documented).unwrap(),
        vec![(0, WriteResult::Written)]
    );
}

/// `WC_REST_Controller::batch_items` answers a failed item in place with the id as sent and
/// the `WP_Error`'s code, message and data (WooCommerce's
/// `includes/rest-api/Controllers/Version3/class-wc-rest-controller.php`).
#[test]
fn a_per_item_error_is_that_variants_refusal() {
    let entry = json!({"id": 733, "manage_stock": true, "stock_quantity": 4});
    let error = json!({"id": 733, "error": {"code": "woocommerce_rest_product_variation_invalid_id",
        "message": "Invalid ID.", "data": {"status": 400}}});
    assert_eq!(
        item_result(&entry, &error),
        Err(Some(
            "Invalid ID. (woocommerce_rest_product_variation_invalid_id)".into()
        ))
    );
    // An answer for another object is not an answer.
    assert_eq!(item_result(&entry, &json!({"id": 1})), Err(None));
    // Saved, but without the stock (stock management off): refused, with the hint.
    let dropped = json!({"id": 733, "manage_stock": false, "stock_quantity": null});
    assert!(
        matches!(item_result(&entry, &dropped), Err(Some(why)) if why.contains("stock management"))
    );
    // "24.9" is the "24.90" that was sent.
    let priced = update_entry(
        5,
        &{
            let mut w = write(5, 5);
            w.price = Some("24.90".into());
            w
        },
        Target::Product,
    );
    assert_eq!(
        item_result(&priced, &json!({"id": 5, "regular_price": "24.9"})),
        Ok(())
    );
}

#[test]
fn hiding_is_draft_for_a_product_and_private_for_a_variation() {
    let mut hide = write(5, 5);
    hide.published = Some(false);
    hide.stock = Some(3);
    assert_eq!(
        update_entry(5, &hide, Target::Product),
        json!({"id": 5, "manage_stock": true, "stock_quantity": 3, "status": "draft"})
    );
    let mut hide = write(6, 5);
    hide.published = Some(false);
    assert_eq!(
        update_entry(6, &hide, Target::Variation),
        json!({"id": 6, "status": "private"})
    );
}

async fn sandbox() -> WooAdminSandbox {
    start(WooAdminConfig::default()).await.unwrap()
}

/// Every variant of the catalogue, page by page.
async fn whole_catalogue(admin: &super::WooAdmin) -> (Vec<StoreVariant>, usize) {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = admin.catalogue_page(after.as_deref()).await.unwrap();
        pages += 1;
        all.extend(page.variants);
        match page.next {
            Some(next) => after = Some(next),
            None => return (all, pages),
        }
    }
}

#[tokio::test]
async fn reads_every_variant_page_by_page() {
    let sandbox = sandbox().await;
    let mut simple = Vec::new();
    for n in 0..150 {
        let product = SeedProduct::simple(&format!("Mug {n}"), "12.50", Some(n))
            .with_sku(&format!("MUG-{n}"));
        simple.push(sandbox.add_product(&product).unwrap().product_id);
    }
    let shirt = sandbox
        .add_product(
            &SeedProduct::variable(
                "Ship Your Idea",
                vec![
                    SeedVariation::new("Black", "9.00", Some(4)).with_sku("SYI-BLK"),
                    SeedVariation::new("Green", "10.00", None).with_status("private"),
                ],
            )
            .with_shared_stock(30),
        )
        .unwrap();
    let draft = sandbox
        .add_product(&SeedProduct::simple("Plate", "8", None).with_status("draft"))
        .unwrap()
        .product_id;

    let admin = connector(&sandbox);
    let (variants, pages) = whole_catalogue(&admin).await;
    assert_eq!(pages, 2);
    assert_eq!(variants.len(), 153);
    assert_eq!(
        variants[7],
        StoreVariant {
            variant_id: simple[7].to_string(),
            product_id: simple[7].to_string(),
            sku: Some("MUG-7".into()),
            title: "Mug 7".into(),
            price: "12.50".into(),
            stock: Some(7),
            published: true,
            inventory_item_id: None,
        }
    );
    let black = variants
        .iter()
        .find(|v| v.variant_id == shirt.variation_ids[0].to_string())
        .unwrap();
    assert_eq!(black.product_id, shirt.product_id.to_string());
    assert_eq!(black.title, "Ship Your Idea - Black");
    assert_eq!(black.stock, Some(4));
    let green = variants
        .iter()
        .find(|v| v.variant_id == shirt.variation_ids[1].to_string())
        .unwrap();
    assert_eq!((green.stock, green.published), (Some(30), false));
    let plate = variants
        .iter()
        .find(|v| v.variant_id == draft.to_string())
        .unwrap();
    assert_eq!((plate.stock, plate.published), (None, false));
    // The variable product itself is not a variant.
    assert!(!variants
        .iter()
        .any(|v| v.variant_id == shirt.product_id.to_string()));
    // Two product pages and the one variable product's variations.
    assert_eq!(sandbox.catalogue_read_calls(), 3);

    assert!(matches!(
        admin.catalogue_page(Some("next please")).await,
        Err(StoreApiError::Protocol(_))
    ));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_write_spanning_products_takes_one_call_per_batch_endpoint() {
    let sandbox = sandbox().await;
    let mut writes = Vec::new();
    let mut simple = Vec::new();
    for n in 0..60 {
        let id = sandbox
            .add_product(&SeedProduct::simple(&format!("Mug {n}"), "12.50", None))
            .unwrap()
            .product_id;
        simple.push(id);
        let mut w = write(id, id);
        w.stock = Some(n);
        w.price = Some("13.00".into());
        writes.push(w);
    }
    let mut variations = Vec::new();
    for shirt in 0..2 {
        let options = (0..20)
            .map(|n| SeedVariation::new(&format!("Size {n}"), "9.00", None))
            .collect();
        let seeded = sandbox
            .add_product(&SeedProduct::variable(&format!("Shirt {shirt}"), options))
            .unwrap();
        for id in &seeded.variation_ids {
            let mut w = write(*id, seeded.product_id);
            w.stock = Some(5);
            w.published = Some(false);
            writes.push(w);
            variations.push(*id);
        }
    }
    assert_eq!(writes.len(), 100);
    let admin = connector(&sandbox);
    let written = admin.write_variants(&writes).await.unwrap();
    assert_eq!(written.len(), 100);
    assert!(written.iter().all(|w| w.result == WriteResult::Written));
    assert_eq!(
        written
            .iter()
            .map(|w| w.variant_id.clone())
            .collect::<Vec<_>>(),
        writes
            .iter()
            .map(|w| w.variant_id.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(sandbox.catalogue_write_calls(), 3);
    let mug = sandbox.catalogue_variant(simple[42]).unwrap();
    assert_eq!((mug.stock, mug.price.as_str()), (Some(42), "13.00"));
    let size = sandbox.catalogue_variant(variations[33]).unwrap();
    assert_eq!((size.stock, size.status.as_str()), (Some(5), "private"));
    sandbox.shutdown().await;
}

/// The benchmark's claim: 1,000 stock changes of simple products cost 10 calls.
#[tokio::test]
async fn a_thousand_stock_changes_cost_ten_calls() {
    let sandbox = sandbox().await;
    let mut writes = Vec::new();
    for n in 0..1000 {
        let id = sandbox
            .add_product(&SeedProduct::simple(&format!("Item {n}"), "5.00", Some(0)))
            .unwrap()
            .product_id;
        let mut w = write(id, id);
        w.stock = Some(n % 17);
        writes.push(w);
    }
    let admin = connector(&sandbox);
    for chunk in writes.chunks(admin.write_batch_limit()) {
        let written = admin.write_variants(chunk).await.unwrap();
        assert!(written.iter().all(|w| w.result == WriteResult::Written));
    }
    assert_eq!(sandbox.catalogue_write_calls(), 10);
    let last: u64 = writes[999].variant_id.parse().unwrap();
    assert_eq!(
        sandbox.catalogue_variant(last).unwrap().stock,
        Some(999 % 17)
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn refusals_are_per_variant() {
    let sandbox = sandbox().await;
    let kept = sandbox
        .add_product(&SeedProduct::simple("Mug", "12.50", Some(1)))
        .unwrap()
        .product_id;
    let gone = sandbox
        .add_product(&SeedProduct::simple("Plate", "8.00", Some(1)))
        .unwrap()
        .product_id;
    let shirt = sandbox
        .add_product(&SeedProduct::variable(
            "Shirt",
            vec![SeedVariation::new("S", "9.00", Some(1))],
        ))
        .unwrap();
    sandbox.delete_product_in_admin(gone);

    let mut writes = vec![write(kept, kept), write(gone, gone), write(kept, kept)];
    writes[0].stock = Some(8);
    writes[1].stock = Some(8);
    writes[2].price = Some("twelve".into());
    // A price on the variable product itself: WooCommerce clears it without an error.
    let mut on_parent = write(shirt.product_id, shirt.product_id);
    on_parent.price = Some("20.00".into());
    writes.push(on_parent);
    let nothing = write(shirt.variation_ids[0], shirt.product_id);
    writes.push(nothing);

    let written = connector(&sandbox).write_variants(&writes).await.unwrap();
    let results: Vec<&WriteResult> = written.iter().map(|w| &w.result).collect();
    assert_eq!(results[0], &WriteResult::Written);
    assert_eq!(
        results[1],
        &WriteResult::Refused("Invalid ID. (woocommerce_rest_product_invalid_id)".into())
    );
    assert_eq!(
        results[2],
        &WriteResult::Refused("\"twelve\" is not a price".into())
    );
    assert!(
        matches!(results[3], WriteResult::Refused(why) if why.contains("did not keep the price"))
    );
    assert_eq!(results[4], &WriteResult::Written);
    assert_eq!(sandbox.catalogue_variant(kept).unwrap().stock, Some(8));
    // The bad price and the empty write made no call; the rest went in one.
    assert_eq!(sandbox.catalogue_write_calls(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn stock_dropped_by_the_store_is_refused_with_the_reason() {
    let sandbox = sandbox().await;
    let mug = sandbox
        .add_product(&SeedProduct::simple("Mug", "12.50", None))
        .unwrap()
        .product_id;
    sandbox.set_stock_management(false);
    let mut w = write(mug, mug);
    w.stock = Some(4);
    w.price = Some("11.00".into());
    let written = connector(&sandbox).write_variants(&[w]).await.unwrap();
    assert!(
        matches!(&written[0].result, WriteResult::Refused(why) if why.contains("Enable stock management"))
    );
    assert_eq!(sandbox.catalogue_variant(mug).unwrap().price, "11.00");
    sandbox.shutdown().await;
}

/// A whole call that fails is the write's `Err`; repeated, it lands on the same values.
#[tokio::test]
async fn a_failed_call_fails_the_write_and_a_repeat_is_harmless() {
    let sandbox = sandbox().await;
    let mug = sandbox
        .add_product(&SeedProduct::simple("Mug", "12.50", Some(1)))
        .unwrap()
        .product_id;
    let mut w = write(mug, mug);
    w.stock = Some(6);
    let admin = connector(&sandbox);
    sandbox.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    assert!(matches!(
        admin.write_variants(std::slice::from_ref(&w)).await,
        Err(StoreApiError::RateLimited { .. })
    ));
    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    assert!(matches!(
        admin.catalogue_page(None).await,
        Err(StoreApiError::Unavailable(_))
    ));
    sandbox.faults.set(Faults::default());
    for _ in 0..2 {
        let written = admin
            .write_variants(std::slice::from_ref(&w))
            .await
            .unwrap();
        assert_eq!(written[0].result, WriteResult::Written);
        assert_eq!(sandbox.catalogue_variant(mug).unwrap().stock, Some(6));
    }
    // More than the limit is refused before any call.
    let too_many = vec![w; 101];
    assert!(matches!(
        admin.write_variants(&too_many).await,
        Err(StoreApiError::Refused(_))
    ));
    assert_eq!(sandbox.catalogue_write_calls(), 2);
    sandbox.shutdown().await;
}

/// What the merchant changed by hand is what the next read sees, and the write puts back.
#[tokio::test]
async fn a_merchant_edit_is_read_back_and_overwritten() {
    let sandbox = sandbox().await;
    let shirt = sandbox
        .add_product(&SeedProduct::variable(
            "Shirt",
            vec![SeedVariation::new("S", "9.00", Some(3))],
        ))
        .unwrap();
    let small = shirt.variation_ids[0];
    sandbox.set_price_in_admin(small, "7.50").unwrap();
    sandbox.set_stock_in_admin(small, None).unwrap();
    let admin = connector(&sandbox);
    let page = admin.catalogue_page(None).await.unwrap();
    assert_eq!(page.variants[0].price, "7.50");
    assert_eq!(page.variants[0].stock, None);
    assert_eq!(page.next, None);

    let mut w = write(small, shirt.product_id);
    w.price = Some("9.00".into());
    w.stock = Some(3);
    w.published = Some(true);
    admin.write_variants(&[w]).await.unwrap();
    let now = sandbox.catalogue_variant(small).unwrap();
    assert_eq!(
        (
            now.price.as_str(),
            now.stock,
            now.manages_stock,
            now.published()
        ),
        ("9.00", Some(3), true, true)
    );
    sandbox.shutdown().await;
}
