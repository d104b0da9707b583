//! The store's catalogue kept to its suppliers (issue 15, deliver 3), end to end through the
//! real connectors and their sandboxes: the store's variants read, compared with the
//! suppliers as last read, and only the differences written — stock, on sale, price by the
//! rule — a sell-out reaching the store at the next sync, a rise above the ceiling held until
//! a person approves it, a merchant's hand edit put back, a write the store refuses kept and
//! shown. (The connectors' own tests cover throttling and batch limits.)

use crate::placing::{sandboxes, Sandboxes};
use crate::support::cj_world::map_to_manual;
use crate::support::*;
use dropflow_sandbox::shopify_admin::{self, AdminEdit, NewProduct, NewVariant};
use dropflow_sandbox::woocommerce_admin::{self, SeedProduct, SeedVariation};
use serde_json::{json, Value};
use std::time::Duration;

// Generous: a loaded CI machine runs many suites beside this one.
const WAIT: Duration = Duration::from_secs(60);

/// A fulfilment app buying through the sandboxes' suppliers and writing to stores through
/// the real Admin API connectors.
pub(crate) async fn app(s: &Sandboxes) -> TestApp {
    let connectors = crate::placing::suppliers(s);
    TestApp::spawn_fulfilment(
        move |services| {
            services.suppliers = connectors;
            services.admin = dropflow::app::store_admins();
        },
        |_| {},
    )
    .await
}

/// One follower round (as `serve` runs it every second).
async fn follow(app: &TestApp) {
    use dropflow::fulfilment::follower::{self, FollowerConfig};
    follower::tick(
        &dropflow::fulfilment::Services::bare(&app.db),
        &FollowerConfig::default(),
    )
    .await
    .expect("follower tick");
}

/// Follower rounds until `check` holds (the offers read, the store compared and written).
async fn follow_until<F, Fut>(app: &TestApp, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        follow(app).await;
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    false
}

/// Every offer read again at the next round.
async fn read_offers_now(app: &TestApp) {
    sqlx::query("UPDATE offer_readings SET next_read_at = 0")
        .execute(&app.db.writer)
        .await
        .expect("due");
}

fn cj_offer(v: &dropflow_sandbox::cj::SandboxVariant) -> Value {
    json!({ "supplier": "cj", "supplier_product_id": v.pid, "supplier_sku_id": v.vid,
        "unit_cost": "1.00", "currency": "USD" })
}

/// The catalogue policy these tests hold: buffer 1, cap 50, × 2 rounded up to .99, automatic
/// updates with a +20 % ceiling.
pub(crate) async fn policy(app: &TestApp, store: &str, when_out: &str) {
    let body = json!({ "currency": "USD",
        "stock": { "buffer": 1, "cap": 50, "when_out": when_out },
        "price": { "markup_bp": 20000, "fixed_minor": 0, "ending": 99,
                   "auto_update": true, "max_auto_rise_bp": 2000 } });
    let response = app
        .api_put(&format!("/api/v1/stores/{store}/catalogue-policy"), &body)
        .await;
    assert!(response.status().is_success(), "{}", response.status());
}

/// The WooCommerce store, its Admin API a fresh sandbox site.
pub(crate) async fn woo_store_with_admin(
    app: &TestApp,
) -> (String, woocommerce_admin::WooAdminSandbox) {
    let store = app.register_woo_store(WOO_SITE, WOO_SECRET).await;
    let site = woocommerce_admin::start(Default::default())
        .await
        .expect("woocommerce admin sandbox");
    let access = json!({ "url": site.base_url, "key": site.consumer_key(),
        "secret": site.consumer_secret() });
    let connected = app
        .api_put(&format!("/api/v1/stores/{store}/admin"), &access)
        .await;
    assert!(connected.status().is_success(), "{}", connected.status());
    (store, site)
}

/// The products list's entry for a mapping key.
async fn product(app: &TestApp, store: &str, key: &str) -> Value {
    let page = app
        .api_json(&format!("/api/v1/stores/{store}/products"))
        .await;
    page["products"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["key_value"] == json!(key)).cloned())
        .unwrap_or(Value::Null)
}

/// Follower rounds until every offer mapped was read at its supplier once: the store is
/// then compared with what the suppliers say, not with the mappings' own figures (which
/// would write a price from the mapping's cost, then hold the rise the reading brings).
async fn read_every_offer(app: &TestApp) {
    let read = follow_until(app, || async {
        app.scalar("SELECT COUNT(*) FROM offer_readings WHERE read_at IS NULL")
            .await
            == 0
    })
    .await;
    assert!(read, "offers never read");
}

/// The catalogue jobs run so far (kind, status, last error), for a failure's message.
async fn jobs_seen(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT kind, status, last_error FROM jobs WHERE kind LIKE 'store.%' ORDER BY id",
    )
    .fetch_all(&app.db.reader)
    .await
    .expect("jobs")
}

/// `"24.99"` as minor units.
pub(crate) fn minor(price: &str) -> i64 {
    let (major, cents) = price.split_once('.').unwrap_or((price, "0"));
    let cents = format!("{cents:0<2}");
    major.parse::<i64>().unwrap() * 100 + cents[..2].parse::<i64>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopify_store_is_kept_to_its_suppliers_stock_and_prices() {
    let s = sandboxes().await;
    let app = app(&s).await;
    let store = app.shopify_store().await;
    let shop = shopify_admin::start(Default::default())
        .await
        .expect("shopify admin sandbox");
    app.connect_shopify_admin(&store, &shop).await;
    policy(&app, &store, "unpublish").await;

    let variants = dropflow_sandbox::cj::variants();
    let (a, b, c) = (&variants[0], &variants[1], &variants[2]);
    s.cj.set_stock(&a.vid, 30);
    s.cj.set_stock(&b.vid, 0);
    s.cj.set_stock(&c.vid, 12);
    s.cj.set_price_cents(&a.vid, 400);
    s.cj.set_price_cents(&b.vid, 400);
    s.cj.set_price_cents(&c.vid, 240);
    // A mug in two colours (one product) and a poster; the poster's stock is not tracked.
    let variant = |title: &str, sku: &str, price: &str, stock| NewVariant {
        title: title.into(),
        sku: Some(sku.into()),
        price: price.into(),
        stock,
    };
    let mug = shop
        .add_product(&NewProduct {
            title: "Mug".into(),
            active: true,
            variants: vec![
                variant("Black", "MUG-B", "10.00", Some(50)),
                variant("White", "MUG-W", "10.00", Some(50)),
            ],
        })
        .expect("mug");
    let poster = shop
        .add_product(&NewProduct {
            title: "Poster".into(),
            active: true,
            variants: vec![variant("Default Title", "POSTER", "5.00", None)],
        })
        .expect("poster");
    let (black, white) = (mug.variants[0].variant_id, mug.variants[1].variant_id);
    let poster_id = poster.variants[0].variant_id;
    // The black mug by variant id, the white one and the poster by SKU.
    app.put_mapping(
        &store,
        &json!({ "variant_id": black.to_string(), "components": [{ "offers": [cj_offer(a)] }] }),
    )
    .await;
    for (sku, v) in [("MUG-W", b), ("POSTER", c)] {
        app.put_mapping(
            &store,
            &json!({ "sku": sku, "components": [{ "offers": [cj_offer(v)] }] }),
        )
        .await;
    }
    read_every_offer(&app).await;
    let read = app
        .api_post(
            &format!("/api/v1/stores/{store}/catalogue/read"),
            &json!({}),
        )
        .await;
    assert_eq!(read.status().as_u16(), 202);

    // Stock: the supplier's less the buffer of 1, capped at 50; price 2 × cost → .99.
    let synced = follow_until(&app, || async {
        let (bk, wh, po) = (
            shop.catalogue_variant(black).unwrap(),
            shop.catalogue_variant(white).unwrap(),
            shop.catalogue_variant(poster_id).unwrap(),
        );
        // Stock and prices are separate calls: wait for both.
        bk.available == 29
            && wh.available == 0
            && po.tracked
            && po.available == 11
            && minor(&bk.price) == 899
            && minor(&po.price) == 499
    })
    .await;
    let shown = |id| format!("{:?}", shop.catalogue_variant(id));
    assert!(
        synced,
        "{} {} {} {}",
        shown(black),
        shown(white),
        shown(poster_id),
        product(&app, &store, "MUG-W").await
    );
    let bk = shop.catalogue_variant(black).unwrap();
    let po = shop.catalogue_variant(poster_id).unwrap();
    // 4.00 × 2 = 8.00 → 8.99 is a drop from 10.00: written. 2.40 × 2 = 4.80 → 4.99.
    assert_eq!((minor(&bk.price), minor(&po.price)), (899, 499));
    // One colour still sells: the mug stays on sale though its white is out.
    assert!(bk.published, "a product with stock left is not hidden");
    let listed = product(&app, &store, "POSTER").await;
    assert_eq!(listed["in_store"]["price_minor"], json!(499), "{listed}");
    assert_eq!(listed["in_store"]["stock"], json!(11), "{listed}");
    assert!(
        listed["in_store"]["last_write"]["stock"].is_number(),
        "{listed}"
    );

    // A sell-out of the black one: at the next read the whole mug is out, and hidden.
    s.cj.set_stock(&a.vid, 0);
    read_offers_now(&app).await;
    let hidden = follow_until(&app, || async {
        let bk = shop.catalogue_variant(black).unwrap();
        bk.available == 0 && !bk.published
    })
    .await;
    assert!(hidden, "{}", shown(black));
    // Back in stock: shown again by itself.
    s.cj.set_stock(&b.vid, 7);
    read_offers_now(&app).await;
    let back = follow_until(&app, || async {
        let wh = shop.catalogue_variant(white).unwrap();
        wh.available == 6 && wh.published
    })
    .await;
    assert!(back, "{}", shown(white));

    // The poster's cost rises 2.40 → 3.20: 6.40 → 6.99 is +40 % over 4.99: held.
    s.cj.set_price_cents(&c.vid, 320);
    read_offers_now(&app).await;
    let held = follow_until(&app, || async {
        product(&app, &store, "POSTER").await["in_store"]["held_price_minor"] == json!(699)
    })
    .await;
    assert!(held, "{}", product(&app, &store, "POSTER").await);
    assert_eq!(
        minor(&shop.catalogue_variant(poster_id).unwrap().price),
        499
    );
    let held_only = app
        .api_json(&format!("/api/v1/stores/{store}/products?price_held=true"))
        .await;
    assert_eq!(
        held_only["products"].as_array().unwrap().len(),
        1,
        "{held_only}"
    );
    // Approving another price than the one held is refused; the held one is written.
    let path = format!("/api/v1/stores/{store}/products/{poster_id}/approve-price");
    let wrong = app.api_post(&path, &json!({ "price_minor": 799 })).await;
    assert_eq!(wrong.status().as_u16(), 409);
    let approved = app.api_post(&path, &json!({ "price_minor": 699 })).await;
    assert_eq!(approved.status().as_u16(), 204);
    // Written, and no longer held once recorded.
    let written = follow_until(&app, || async {
        minor(&shop.catalogue_variant(poster_id).unwrap().price) == 699
            && product(&app, &store, "POSTER").await["in_store"]["held_price_minor"].is_null()
    })
    .await;
    assert!(
        written,
        "{} {}",
        shown(poster_id),
        product(&app, &store, "POSTER").await
    );

    // The merchant types 500 in the admin; the next read of the store puts it back.
    shop.edit_in_admin(
        poster_id,
        &AdminEdit {
            available: Some(500),
            ..Default::default()
        },
    )
    .expect("edit");
    let writes_before = shop.catalogue_write_calls();
    let read = app
        .api_post(
            &format!("/api/v1/stores/{store}/catalogue/read"),
            &json!({}),
        )
        .await;
    assert_eq!(read.status().as_u16(), 202);
    let put_back = follow_until(&app, || async {
        shop.catalogue_variant(poster_id).unwrap().available == 11
    })
    .await;
    assert!(put_back, "{}", shown(poster_id));
    assert!(shop.catalogue_write_calls() > writes_before);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_woocommerce_store_is_kept_to_its_suppliers_and_a_refused_write_is_shown() {
    let s = sandboxes().await;
    let app = app(&s).await;
    let (store, shop) = woo_store_with_admin(&app).await;
    policy(&app, &store, "unpublish").await;

    let variants = dropflow_sandbox::cj::variants();
    let (a, b, c) = (&variants[3], &variants[4], &variants[5]);
    for (v, stock, cents) in [(a, 20, 500), (b, 0, 500), (c, 9, 150)] {
        s.cj.set_stock(&v.vid, stock);
        s.cj.set_price_cents(&v.vid, cents);
    }
    let shirt = shop
        .add_product(&SeedProduct::variable(
            "Shirt",
            vec![
                SeedVariation::new("S", "12.00", Some(40)).with_sku("SHIRT-S"),
                SeedVariation::new("M", "12.00", Some(40)).with_sku("SHIRT-M"),
            ],
        ))
        .expect("shirt");
    let sticker = shop
        .add_product(&SeedProduct::simple("Sticker", "4.50", Some(3)).with_sku("STICKER"))
        .expect("sticker");
    let (small, medium) = (shirt.variation_ids[0], shirt.variation_ids[1]);
    for (sku, v) in [("SHIRT-S", a), ("SHIRT-M", b), ("STICKER", c)] {
        app.put_mapping(
            &store,
            &json!({ "sku": sku, "components": [{ "offers": [cj_offer(v)] }] }),
        )
        .await;
    }
    read_every_offer(&app).await;
    let read = app
        .api_post(
            &format!("/api/v1/stores/{store}/catalogue/read"),
            &json!({}),
        )
        .await;
    assert_eq!(read.status().as_u16(), 202);
    let synced = follow_until(&app, || async {
        let (s_, m, st) = (
            shop.catalogue_variant(small).unwrap(),
            shop.catalogue_variant(medium).unwrap(),
            shop.catalogue_variant(sticker.product_id).unwrap(),
        );
        // The variations and the simple product are separate calls: wait for both.
        s_.stock == Some(19)
            && m.stock == Some(0)
            && !m.published()
            && st.stock == Some(8)
            && minor(&s_.price) == 1099
            && minor(&st.price) == 399
    })
    .await;
    let shown = |id| format!("{:?}", shop.catalogue_variant(id));
    assert!(
        synced,
        "{} {} {}",
        shown(small),
        shown(medium),
        shown(sticker.product_id)
    );
    // WooCommerce hides a single variation; its sibling stays on sale. Prices by the rule.
    assert!(shop.catalogue_variant(small).unwrap().published());
    assert_eq!(minor(&shop.catalogue_variant(small).unwrap().price), 1099);
    assert_eq!(
        minor(&shop.catalogue_variant(sticker.product_id).unwrap().price),
        399
    );

    // The merchant deletes the sticker in wp-admin; a supplier change then asks for a write
    // the store refuses: kept with the store's words, not retried blind, shown.
    // (Once the reads and writes queued so far are done: a read after the delete would
    // rightly forget the sticker.)
    let settled = follow_until(&app, || async {
        app.scalar(
            "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'store.%' AND status IN ('queued', 'running')",
        )
        .await
            == 0
    })
    .await;
    assert!(settled, "{:?}", jobs_seen(&app).await);
    assert!(shop.delete_product_in_admin(sticker.product_id));
    s.cj.set_stock(&c.vid, 2);
    read_offers_now(&app).await;
    let refused = follow_until(&app, || async {
        product(&app, &store, "STICKER").await["in_store"]["write_error"].is_string()
    })
    .await;
    assert!(
        refused,
        "{} {:?}",
        product(&app, &store, "STICKER").await,
        jobs_seen(&app).await
    );
    let listed = app
        .api_json(&format!(
            "/api/v1/stores/{store}/products?write_refused=true"
        ))
        .await;
    assert_eq!(listed["products"].as_array().unwrap().len(), 1, "{listed}");
    app.stop().await;
}

/// A manual vendor says what it has (issue 15, deliver 1): by JSON and by CSV, each line
/// checked alone; its figures reach the mappings that buy from it, so an order is held
/// while it has none and bought when it has some again. Nobody enters another's figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_enters_its_stock_and_an_order_waits_for_it() {
    let s = sandboxes().await;
    let app = app(&s).await;
    let store = app.shopify_store().await;
    let mut order = numbered_paid_order(9_280_001);
    order["line_items"] = json!([order["line_items"][0].clone()]);
    map_to_manual(
        &app,
        &store,
        &order["line_items"][0]["variant_id"],
        "vendor-a",
    )
    .await;
    let vendor = vendor_token(&app, "stock@vendor.test", "vendor-a").await;
    let other = vendor_token(&app, "other@vendor.test", "vendor-b").await;
    let sku = "s-vendor-a";

    let entered = app
        .put_as(
            &vendor,
            "/api/v1/vendors/vendor-a/stock",
            &json!({ "lines": [
                { "supplier_sku_id": sku, "stock": 0, "unit_cost": "2.40", "currency": "USD" },
                { "supplier_sku_id": "not-mapped", "stock": 3 },
                { "supplier_sku_id": sku, "stock": 9 },
                { "supplier_sku_id": "s-x", "unit_cost": "1.00" }
            ] }),
        )
        .await;
    let report = expect_json(entered, reqwest::StatusCode::OK).await;
    assert_eq!(report["accepted"], json!(1), "{report}");
    assert_eq!(report["mappings_changed"], json!(1), "{report}");
    let lines: Vec<i64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 3, 4], "{report}");
    let mapping = &app
        .api_list(&format!("/api/v1/stores/{store}/mappings"))
        .await[0];
    let offer = &mapping["mapping"]["components"][0]["offers"][0];
    assert_eq!(offer["stock"], json!(0), "{mapping}");

    // Another vendor, or naming another vendor: nothing of vendor-a's changes.
    let theirs = app
        .put_as(
            &other,
            "/api/v1/vendors/vendor-a/stock",
            &json!({ "lines": [{ "supplier_sku_id": sku, "stock": 50 }] }),
        )
        .await;
    assert_eq!(theirs.status().as_u16(), 404);
    let own = app
        .put_as(
            &other,
            "/api/v1/vendors/vendor-b/stock",
            &json!({ "lines": [{ "supplier_sku_id": sku, "stock": 50 }] }),
        )
        .await;
    let own = expect_json(own, reqwest::StatusCode::OK).await;
    assert_eq!(own["accepted"], json!(0), "{own}");

    // Out of stock: the order is held, not handed to the vendor.
    let id = app.create_order(&order).await;
    let held = eventually(WAIT, || async {
        app.order_detail(&id).await["holds"]
            .as_array()
            .is_some_and(|h| {
                h.iter()
                    .any(|h| h["reason"] == json!("inventory_out_of_stock"))
            })
    })
    .await;
    assert!(held, "{}", app.order_detail(&id).await);

    // The vendor uploads a CSV: the hold lifts by itself and the vendor gets the order.
    let csv = format!("supplier_sku_id,stock,unit_cost,currency\n{sku},4,,\nbroken,x,,\n");
    let uploaded = app
        .call(
            reqwest::Method::POST,
            "/api/v1/vendors/vendor-a/stock/csv",
            Some(&vendor),
            |r| r.header("content-type", "text/csv").body(csv.clone()),
        )
        .await;
    let report = expect_json(uploaded, reqwest::StatusCode::OK).await;
    assert_eq!(report["accepted"], json!(1), "{report}");
    assert_eq!(report["errors"][0]["line"], json!(3), "{report}");
    let handed = eventually(WAIT, || async {
        app.supplier_orders(&id)
            .await
            .iter()
            .any(|p| p["status"] == json!("awaiting_shipment"))
    })
    .await;
    assert!(handed, "{}", app.order_detail(&id).await);
    app.stop().await;
}
