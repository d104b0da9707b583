//! No overselling at order time (issue 15, deliver 4): an order for a variant no offer can
//! supply is held `inventory_out_of_stock` with the reason instead of being bought blind or
//! in part, and the hold lifts by itself when a stock update says an offer has it again —
//! whether the stock was known to be out, or the supplier refused the purchase for stock.

use crate::placing::{app_with, sandboxes};
use crate::support::*;
use dropflow_sandbox::faults::Faults;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn offer(supplier: &str, sku: &str, priority: i32, stock: Option<u32>) -> Value {
    json!({
        "supplier": supplier, "supplier_product_id": format!("prod-{sku}"),
        "supplier_sku_id": sku, "unit_cost": "2.00", "currency": "USD",
        "priority": priority, "stock": stock, "ships_to": ["US", "CA"]
    })
}

async fn map_variant(app: &TestApp, store: &str, line: &Value, offers: Vec<Value>) {
    let variant = line["variant_id"].to_string();
    let body = json!({ "variant_id": variant.trim_matches('"'),
        "components": [{ "offers": offers }] });
    app.put_mapping(store, &body).await;
}

/// A paid order with two lines (quantity 1 and 2).
fn two_lines(id: u64) -> Value {
    let mut order = numbered_paid_order(id);
    let mut first = order["line_items"][0].clone();
    first["quantity"] = json!(1);
    first["current_quantity"] = json!(1);
    let mut second = second_line(&first, "SKU-B", "Second item");
    second["quantity"] = json!(2);
    second["current_quantity"] = json!(2);
    order["line_items"] = json!([first, second]);
    order
}

async fn hold_words(app: &TestApp, id: &str) -> Option<String> {
    let detail = app.order_detail(id).await;
    detail["holds"]
        .as_array()?
        .iter()
        .find(|h| h["reason"] == json!("inventory_out_of_stock"))
        .map(|h| h["detail"].as_str().unwrap_or_default().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_no_offer_can_supply_is_held_and_lifts_by_itself_when_stock_returns() {
    let s = sandboxes().await;
    let app = app_with(&s).await;
    let store = app.shopify_store().await;
    let order = two_lines(9_270_001);
    let (a, b) = (
        order["line_items"][0].clone(),
        order["line_items"][1].clone(),
    );
    map_variant(&app, &store, &a, vec![offer("cj", "cj-a", 1, Some(50))]).await;
    // Line two needs 2: the first offer has 1, its backup none.
    map_variant(
        &app,
        &store,
        &b,
        vec![
            offer("cj", "cj-b", 1, Some(1)),
            offer("aliexpress", "ae-b", 2, Some(0)),
        ],
    )
    .await;
    let id = app.create_order(&order).await;
    let held = eventually(WAIT, || async { hold_words(&app, &id).await.is_some() }).await;
    assert!(held, "not held: {}", app.order_detail(&id).await);
    let words = hold_words(&app, &id).await.unwrap();
    assert!(
        words.starts_with("line 2: no supplier has 2 in stock"),
        "{words}"
    );
    assert_eq!(app.order_detail(&id).await["tab"], json!("on_hold"));
    // Nothing is bought in part: not even line one, which has the stock.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(s.cj.order_count(), 0);
    assert_eq!(s.ali.order_count(), 0);
    assert_eq!(app.supplier_orders(&id).await, Vec::<Value>::new());

    // The merchant lets it go while still short: routing holds it again with the same words.
    app.released(&id, "inventory_out_of_stock").await;
    let again = eventually(WAIT, || async { hold_words(&app, &id).await.is_some() }).await;
    assert!(again, "{}", app.order_detail(&id).await);
    assert_eq!(s.cj.order_count(), 0);

    // An unrelated mapping change rechecks it, and it stays held.
    let other =
        json!({ "sku": "UNRELATED", "components": [{ "offers": [offer("cj", "x", 1, Some(9))] }] });
    app.put_mapping(&store, &other).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(hold_words(&app, &id).await.is_some());

    // Stock back at the first offer: the hold lifts by itself and both lines are bought.
    map_variant(
        &app,
        &store,
        &b,
        vec![
            offer("cj", "cj-b", 1, Some(10)),
            offer("aliexpress", "ae-b", 2, Some(0)),
        ],
    )
    .await;
    let bought = eventually(WAIT, || async {
        let p = app.supplier_orders(&id).await;
        p.len() == 1
            && p[0]["status"] != json!("awaiting_placement")
            && p[0]["status"] != json!("placement_unknown")
    })
    .await;
    assert!(
        bought,
        "{:?} {}",
        app.supplier_orders(&id).await,
        app.order_detail(&id).await
    );
    assert_eq!(hold_words(&app, &id).await, None);
    let detail = app.order_detail(&id).await;
    let lifted = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == json!("hold_released") && e["actor"] == json!("system:stock"));
    assert!(lifted, "{detail}");
    let items = app.supplier_orders(&id).await[0]["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(items, 2, "both lines in the one CJ purchase");
    assert_eq!(s.cj.order_count(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_refused_for_stock_with_no_backup_is_held_until_a_restock_is_written() {
    let s = sandboxes().await;
    s.cj.faults.set(Faults {
        out_of_stock_rate: 1.0,
        ..Faults::default()
    });
    let app = app_with(&s).await;
    let store = app.shopify_store().await;
    let mut order = numbered_paid_order(9_270_002);
    order["line_items"] = json!([order["line_items"][0].clone()]);
    let line = order["line_items"][0].clone();
    // The mapping believes there is stock; CJ refuses at placing.
    map_variant(&app, &store, &line, vec![offer("cj", "cj-r", 1, Some(30))]).await;
    let id = app.create_order(&order).await;
    let held = eventually(WAIT, || async { hold_words(&app, &id).await.is_some() }).await;
    assert!(
        held,
        "{:?} {}",
        app.supplier_orders(&id).await,
        app.order_detail(&id).await
    );
    let refused = app.supplier_orders(&id).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["status"], json!("cancelled"), "{refused:?}");

    // CJ has it again and the stock figure is written: lifted, routed, bought once.
    s.cj.faults.set(Faults::default());
    map_variant(&app, &store, &line, vec![offer("cj", "cj-r", 1, Some(30))]).await;
    let bought = eventually(WAIT, || async {
        app.supplier_orders(&id).await.iter().any(|p| {
            p["status"] == json!("awaiting_payment") || p["status"] == json!("awaiting_shipment")
        })
    })
    .await;
    assert!(
        bought,
        "{:?} {}",
        app.supplier_orders(&id).await,
        app.order_detail(&id).await
    );
    assert_eq!(hold_words(&app, &id).await, None);
    app.stop().await;
}

/// The offer's reading as stored: (stock, history rows).
async fn reading(app: &TestApp, vid: &str) -> (Option<i64>, i64) {
    let stock = sqlx::query_scalar::<_, Option<i64>>(
        "SELECT stock FROM offer_readings WHERE supplier = 'cj' AND supplier_sku_id = $1",
    )
    .bind(vid)
    .fetch_optional(&app.db.reader)
    .await
    .expect("reading")
    .flatten();
    let history = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM offer_reading_history WHERE supplier_sku_id = '{vid}'"
        ))
        .await;
    (stock, history)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sell_out_read_at_the_supplier_holds_the_next_order_and_a_restock_read_lifts_it() {
    let s = sandboxes().await;
    let app = app_with(&s).await;
    let store = app.shopify_store().await;
    let variant = dropflow_sandbox::cj::variants()[0].clone();
    s.cj.set_stock(&variant.vid, 0);
    let mut order = numbered_paid_order(9_270_003);
    order["line_items"] = json!([order["line_items"][0].clone()]);
    let line = order["line_items"][0].clone();
    // The mapping does not say the stock: only the supplier's word can.
    let cj = json!({ "supplier": "cj", "supplier_product_id": variant.pid,
        "supplier_sku_id": variant.vid, "unit_cost": "2.00", "currency": "USD" });
    map_variant(&app, &store, &line, vec![cj]).await;

    // Followed from the mapping's write: read at once, and CJ says none are left.
    follow(&app).await;
    let sold_out = eventually(WAIT, || async {
        reading(&app, &variant.vid).await.0 == Some(0)
    })
    .await;
    assert!(sold_out, "{:?}", reading(&app, &variant.vid).await);

    // The next order is held, not bought blind.
    let id = app.create_order(&order).await;
    let held = eventually(WAIT, || async { hold_words(&app, &id).await.is_some() }).await;
    assert!(held, "{}", app.order_detail(&id).await);
    assert_eq!(s.cj.order_count(), 0);

    // Read again before its time: nothing changed, nothing lifts, no history added.
    sqlx::query("UPDATE offer_readings SET next_read_at = 0")
        .execute(&app.db.writer)
        .await
        .expect("due");
    follow(&app).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(reading(&app, &variant.vid).await, (Some(0), 1));
    assert!(hold_words(&app, &id).await.is_some());

    // CJ restocks; at the next read the hold lifts by itself and the order is bought.
    s.cj.set_stock(&variant.vid, 40);
    sqlx::query("UPDATE offer_readings SET next_read_at = 0")
        .execute(&app.db.writer)
        .await
        .expect("due");
    follow(&app).await;
    let bought = eventually(WAIT, || async {
        app.supplier_orders(&id)
            .await
            .iter()
            .any(|p| p["status"] == json!("awaiting_payment"))
    })
    .await;
    assert!(
        bought,
        "{:?} {}",
        app.supplier_orders(&id).await,
        app.order_detail(&id).await
    );
    assert_eq!(reading(&app, &variant.vid).await, (Some(40), 2));
    assert_eq!(hold_words(&app, &id).await, None);
    app.stop().await;
}

/// The products list (issue 15, "What a user gets"): each offer as mapped and as last read,
/// the policy's figures from what routing uses now, the out-of-stock filter, paging, and
/// nobody sees another account's products.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_products_list_shows_each_offer_as_mapped_and_as_read_and_only_to_its_store() {
    use dropflow::storage::accounts::Role;
    use reqwest::StatusCode;
    let s = sandboxes().await;
    let app = app_with(&s).await;
    let store = app.shopify_store().await;
    let variants = dropflow_sandbox::cj::variants();
    let (sold, kept) = (&variants[0], &variants[1]);
    s.cj.set_stock(&sold.vid, 0);
    s.cj.set_stock(&kept.vid, 25);
    for (sku, v) in [("A-SOLD", sold), ("B-KEPT", kept)] {
        let body = json!({ "sku": sku, "title": sku, "components": [{ "offers": [{
            "supplier": "cj", "supplier_product_id": v.pid, "supplier_sku_id": v.vid,
            "unit_cost": "2.00", "currency": "USD", "stock": 100 }] }] });
        app.put_mapping(&store, &body).await;
    }
    follow(&app).await;
    let read = eventually(WAIT, || async {
        reading(&app, &sold.vid).await.0 == Some(0) && reading(&app, &kept.vid).await.0 == Some(25)
    })
    .await;
    assert!(read);

    let path = format!("/api/v1/stores/{store}/products");
    let all = expect_json(app.api_get(&path).await, StatusCode::OK).await;
    assert_eq!(all["currency"], json!("USD"));
    let products = all["products"].as_array().unwrap();
    assert_eq!(products.len(), 2, "{all}");
    let a = &products[0];
    assert_eq!(a["key_value"], json!("A-SOLD"));
    assert_eq!(a["out_of_stock_everywhere"], json!(true), "{a}");
    assert_eq!(a["stock_to_publish"], json!(0));
    let offer = &a["offers"][0];
    assert_eq!(offer["mapped_stock"], json!(100), "{offer}");
    assert_eq!(offer["read_stock"], json!(0));
    assert_eq!(
        offer["stock"],
        json!(0),
        "the newer reading is what is used"
    );
    assert!(offer["read_at"].is_string() && offer["next_read_at"].is_string());
    let b = &products[1];
    assert_eq!(b["stock_to_publish"], json!(25), "{b}");
    assert_eq!(b["out_of_stock_everywhere"], json!(false));
    assert!(b["cost_minor"].as_i64().is_some_and(|c| c > 0), "{b}");
    assert!(b["price_minor"].as_i64() > b["cost_minor"].as_i64(), "{b}");

    let out = app.api_json(&format!("{path}?out_of_stock=true")).await;
    let keys: Vec<_> = out["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key_value"].clone())
        .collect();
    assert_eq!(keys, vec![json!("A-SOLD")]);
    let first = app.api_json(&format!("{path}?limit=1")).await;
    assert_eq!(first["products"][0]["key_value"], json!("A-SOLD"));
    let after = first["next_after"].as_str().unwrap().to_string();
    let second = app.api_json(&format!("{path}?limit=1&after={after}")).await;
    assert_eq!(second["products"][0]["key_value"], json!("B-KEPT"));
    for bad in ["?limit=0", "?limit=501", "?after=nonsense"] {
        expect_error(
            app.api_get(&format!("{path}{bad}")).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await;
    }
    // The page shows the same, to the store's owner.
    add_owner(&app, "owner@shop.example").await;
    let mut owner = crate::dashboard_pages::Browser::sign_in(&app, "owner@shop.example").await;
    let page = owner.page("/products").await;
    assert!(
        page.contains("sku A-SOLD") && page.contains("out everywhere"),
        "{page}"
    );
    assert!(
        page.contains("mapped 100 at") && page.contains("read 25 at"),
        "{page}"
    );
    let only_out = owner
        .page(&format!("/products?store={store}&out_of_stock=true"))
        .await;
    assert!(
        only_out.contains("sku A-SOLD") && !only_out.contains("sku B-KEPT"),
        "{only_out}"
    );
    let other = new_account(&app, "Elsewhere").await;
    let stranger = user_token(&app, &other, "owner@elsewhere.test", Role::Owner, &[]).await;
    expect_error(
        app.get_as(&stranger, &path).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}
