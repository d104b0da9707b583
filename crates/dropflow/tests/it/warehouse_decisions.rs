//! After a failed inspection: "return and refund" refunds the goods to the wallet by the
//! refund rules, once; "reorder" buys the line again through the normal place/pay jobs and
//! the replacement is received, inspected, packed and dispatched while the failed item stays
//! behind. The refund rules are operator data, validated before they replace the sample. A
//! store cancellation after the goods were bought refunds them (and a paid shipping fee) by
//! the rules for the stage reached, once, and the leg stops.

use crate::support::*;
use crate::warehouse::*;
use dropflow::storage::accounts::Role;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::warehouse::refunds::{RefundRules, RefundStage};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// The wallet's available balance in `currency`, in minor units.
async fn available(w: &World, currency: &str) -> i64 {
    let wallet = w.wallet(currency).await;
    let text = wallet["available"].as_str().expect("available");
    text.replace('.', "").parse().expect("an amount")
}

/// Order `#id` with `lines` lines, every purchase paid, the sellers' parcels reported and
/// scanned in: our order's id, the store's order, and its items, arrived.
async fn arrived_order(w: &World, id: u64, lines: usize) -> (String, Value, Vec<Value>) {
    let (ours, order) = order(w, id, lines).await;
    let v = arrived(w, &ours, lines).await;
    (ours, order, v["items"].as_array().expect("items").clone())
}

/// Every purchase paid, the sellers' parcels reported, scanned in: the order's items arrived.
async fn arrived(w: &World, id: &str, lines: usize) -> Value {
    let app = &w.app;
    all_paid(app, id, lines).await;
    sellers_ship(w, id).await;
    let reported = eventually(Duration::from_secs(20), || async {
        inbound_count(app, id).await == lines
    })
    .await;
    assert!(reported, "{}", view(app, id).await);
    for number in inbound_numbers(&view(app, id).await) {
        let (status, _) = scan(app, &number).await;
        assert_eq!(status, StatusCode::OK);
    }
    wait_stage(app, id, "arrived").await
}

/// The sellers' parcels reported so far (none while the order has no warehouse leg yet).
async fn inbound_count(app: &TestApp, id: &str) -> usize {
    app.api_get(&format!("/api/v1/orders/{id}/warehouse"))
        .await
        .json::<Value>()
        .await
        .ok()
        .and_then(|v| v["inbound"].as_array().map(Vec::len))
        .unwrap_or(0)
}

fn item_id(item: &Value) -> String {
    item["id"].as_str().expect("item id").to_string()
}

/// What the item's purchase paid for its line: unit cost × quantity, in its currency.
async fn goods_cost(app: &TestApp, id: &str, item: &Value) -> Money {
    let purchase = app
        .supplier_orders(id)
        .await
        .into_iter()
        .find(|p| p["id"] == item["supplier_order_id"])
        .expect("the item's purchase");
    let line = item["line_position"].as_i64().expect("line");
    let mut total = 0;
    let mut currency = None;
    for i in purchase["items"].as_array().expect("items") {
        if i["line_position"].as_i64() == Some(line) {
            total +=
                i["unit_cost_minor"].as_i64().expect("cost") * i["quantity"].as_i64().expect("qty");
            currency = i["currency"].as_str().map(str::to_string);
        }
    }
    Money::new(
        total,
        Currency::from_code(&currency.expect("a currency")).expect("currency"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_and_refund_credits_the_rules_amount_once_and_the_rest_packs() {
    let w = world().await;
    let app = &w.app;
    let (id, _, items) = arrived_order(&w, 9_410_001, 2).await;
    let (kept, returned) = (&items[0], &items[1]);
    pass_item(app, &item_id(kept)).await;
    fail_item(app, &item_id(returned)).await;

    let goods = goods_cost(app, &id, returned).await;
    assert_eq!(
        goods.currency.code(),
        "CNY",
        "bought in yuan at the marketplace"
    );
    let expected = RefundRules::defaults()
        .unwrap()
        .refund_goods(RefundStage::AfterPurchaseBeforeShipping, goods)
        .unwrap();
    assert!(expected.deduction.minor > 0 && expected.total.minor > 0);
    let before = available(&w, "CNY").await;
    let decided = expect_json(decide(app, &id, "return_refund").await, StatusCode::OK).await;
    assert_eq!(decided["items"], json!(1));
    assert_eq!(
        available(&w, "CNY").await - before,
        expected.total.minor,
        "the goods less the rules' deduction ({goods} − {})",
        expected.deduction
    );

    // Asked again: refused, nothing more posted.
    let again = decide(app, &id, "return_refund").await;
    expect_error(again, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(available(&w, "CNY").await - before, expected.total.minor);

    // The returned item no longer blocks: the rest is inspected and packs without it.
    let v = wait_stage(app, &id, "inspected").await;
    let state = &v["items"][1]["state"];
    assert_eq!(state["state"], json!("failed"), "{v}");
    assert_eq!(state["choice"], json!("return_and_refund"), "{v}");
    let packed = expect_json(pack(app, &id).await, StatusCode::OK).await;
    let v = view(app, &id).await;
    assert_eq!(v["items"][0]["package_id"], packed["id"], "{v}");
    assert!(v["items"][1]["package_id"].is_null(), "{v}");
    let detail = app.order_detail(&id).await.to_string();
    assert!(detail.contains("back to the wallet"), "{detail}");
    assert!(detail.contains("domestic return postage"), "{detail}");
    // The seller is asked through the marketplace to take it back: one return and refund of
    // that item's entry, for the goods paid.
    let asked = eventually(Duration::from_secs(20), || async {
        app.order_detail(&id)
            .await
            .to_string()
            .contains("marketplace refund")
    })
    .await;
    assert!(asked, "{}", app.order_detail(&id).await);
    let refunds = w.market.refunds();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].dispute_request, "returnRefund");
    assert_eq!(refunds[0].apply_payment_fen, goods.minor);
    assert_eq!(refunds[0].entry_ids.len(), 1);
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorder_buys_once_more_and_the_replacement_ships_instead_of_the_failed_item() {
    let w = world().await;
    let app = &w.app;
    let (id, order, items) = arrived_order(&w, 9_410_002, 1).await;
    let failed = item_id(&items[0]);
    fail_item(app, &failed).await;
    let orders_before = w.market.orders().len();
    let first = app.supplier_orders(&id).await;
    assert_eq!(first.len(), 1);

    let decided = expect_json(decide(app, &id, "reorder").await, StatusCode::OK).await;
    assert_eq!(decided["items"], json!(1));
    let v = wait_stage(app, &id, "partly_arrived").await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["readiness"]["missing"].as_array().map(Vec::len), Some(1));
    // Bought again through the normal jobs, with its own attempt id: exactly one more.
    let bought = eventually(Duration::from_secs(20), || async {
        let p = app.supplier_orders(&id).await;
        p.len() == 2 && p[1]["status"] == json!("awaiting_shipment")
    })
    .await;
    let now = app.supplier_orders(&id).await;
    assert!(bought, "{now:?}");
    assert_ne!(now[0]["attempt_id"], now[1]["attempt_id"]);
    assert_eq!(
        now[1]["items"][0]["supplier_sku_id"],
        first[0]["items"][0]["supplier_sku_id"]
    );
    assert_eq!(
        w.market.orders().len(),
        orders_before + 1,
        "exactly one extra"
    );
    // A repeated choice buys nothing more.
    expect_error(
        decide(app, &id, "reorder").await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(app.supplier_orders(&id).await.len(), 2);

    // The replacement's own parcel comes in and is inspected; the order packs and leaves.
    sellers_ship(&w, &id).await;
    let reported = eventually(Duration::from_secs(20), || async {
        inbound_count(app, &id).await == 2
    })
    .await;
    let v = view(app, &id).await;
    assert!(reported, "{v}");
    let second_parcel = v["inbound"]
        .as_array()
        .expect("inbound")
        .iter()
        .find(|i| i["supplier_order_id"] == now[1]["id"])
        .and_then(|i| i["tracking_number"].as_str())
        .expect("the replacement's parcel")
        .to_string();
    let (status, received) = scan(app, &second_parcel).await;
    assert_eq!(status, StatusCode::OK, "{received}");
    let v = wait_stage(app, &id, "arrived").await;
    let replacement = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] != json!(failed))
        .map(item_id)
        .expect("the replacement item");
    assert_eq!(v["items"][0]["state"]["choice"], json!("reorder"), "{v}");
    pass_item(app, &replacement).await;
    wait_stage(app, &id, "inspected").await;
    let packed = expect_json(pack(app, &id).await, StatusCode::OK).await;
    let v = view(app, &id).await;
    for item in v["items"].as_array().expect("items") {
        if item["id"] == json!(failed) {
            assert!(item["package_id"].is_null(), "the failed item stays: {v}");
        } else {
            assert_eq!(item["package_id"], packed["id"], "{v}");
        }
    }
    pay_dispatch_and_fulfil(&w, &id, &order).await;
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_rules_are_validated_before_they_replace_the_sample() {
    let w = world().await;
    let app = &w.app;
    // The installation's operator (a warehouse user of the operator account) edits them.
    let operator = member_token(app, "operator@warehouse.example", Role::Warehouse, &[]).await;
    let operator = &operator;
    let put = |toml: String| async move {
        app.put_as(
            operator,
            "/api/v1/warehouse/refund-rules",
            &json!({ "toml": toml }),
        )
        .await
    };
    let sample = app.api_json("/api/v1/warehouse/refund-rules").await["toml"]
        .as_str()
        .expect("toml")
        .to_string();
    assert!(RefundRules::from_toml(&sample).is_ok());
    // The installation's operators only: a merchant's staff may read but not change them.
    let store: dropflow_core::ids::StoreId = w.store.parse().expect("store id");
    let staff = member_token(app, "staff@example.com", Role::Staff, &[store]).await;
    let rules = json!({ "toml": sample });
    let as_staff = app
        .put_as(&staff, "/api/v1/warehouse/refund-rules", &rules)
        .await;
    expect_error(as_staff, StatusCode::FORBIDDEN, "forbidden").await;
    for (broken, problem) in [
        (
            sample.replacen("product_percent = 50", "product_percent = 150", 1),
            "above 100",
        ),
        (sample.replacen("[[rule]]", "[[rule", 1), "cannot be read"),
        (
            sample.replacen(
                "stage = \"after_shipping\"",
                "stage = \"before_purchase\"",
                1,
            ),
            "AfterShipping has 0 rules",
        ),
    ] {
        let message = expect_error(
            put(broken).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(message.contains(problem), "{message}");
        assert_eq!(
            app.api_json("/api/v1/warehouse/refund-rules").await["toml"],
            json!(sample),
            "nothing stored"
        );
    }
    // Rules that name no deduction in yuan cannot refund yuan goods: said (409), nothing
    // written — the item still waits for a decision and the wallet is as it was.
    let no_yuan = sample.replacen("deductions_by_currency = { CNY = 1000 }\n", "", 1);
    assert_ne!(no_yuan, sample);
    expect_json(put(no_yuan).await, StatusCode::OK).await;
    let (id, _, items) = arrived_order(&w, 9_410_003, 1).await;
    let item = items[0].clone();
    fail_item(app, &item_id(&item)).await;
    let goods = goods_cost(app, &id, &item).await;
    let before = available(&w, "CNY").await;
    let timeline = app.order_detail(&id).await["timeline"].clone();
    assert!(timeline.as_array().is_some_and(|t| !t.is_empty()));
    let refused = decide(app, &id, "return_refund").await;
    let message = expect_error(refused, StatusCode::CONFLICT, "conflict").await;
    assert!(
        message.contains("cannot be computed") && message.contains("CNY"),
        "{message}"
    );
    assert_eq!(available(&w, "CNY").await, before);
    assert_eq!(app.order_detail(&id).await["timeline"], timeline);
    let v = view(app, &id).await;
    assert_eq!(
        v["items"][0]["state"],
        json!({ "state": "failed", "choice": null }),
        "{v}"
    );

    // Valid rules replace the sample and are the ones a return is refunded by.
    let edited = sample.replacen("CNY = 1000", "CNY = 250", 1);
    expect_json(put(edited.clone()).await, StatusCode::OK).await;
    assert_eq!(
        app.api_json("/api/v1/warehouse/refund-rules").await["toml"],
        json!(edited)
    );
    expect_json(decide(app, &id, "return_refund").await, StatusCode::OK).await;
    assert_eq!(available(&w, "CNY").await - before, goods.minor - 250);
    let detail = app.order_detail(&id).await.to_string();
    assert!(detail.contains("no item is left to ship"), "{detail}");
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_after_purchase_refunds_by_the_rules_once_and_nothing_ships() {
    let w = world().await;
    let app = &w.app;
    let (id, order, items) = arrived_order(&w, 9_410_004, 2).await;
    for item in &items {
        pass_item(app, &item_id(item)).await;
    }
    wait_stage(app, &id, "inspected").await;
    let packed = expect_json(pack(app, &id).await, StatusCode::OK).await;
    choose(app, &id, &packed["quotes"][0]).await;
    let paid = pay_fee(app, &id).await;
    let fee = paid["fee_minor"].as_i64().expect("fee");

    let rules = RefundRules::defaults().unwrap();
    let mut goods_back = 0;
    for item in &items {
        let goods = goods_cost(app, &id, item).await;
        goods_back += rules
            .refund_goods(RefundStage::AfterPurchaseBeforeShipping, goods)
            .unwrap()
            .total
            .minor;
    }
    let (cny, usd) = (available(&w, "CNY").await, available(&w, "USD").await);

    cancel_in_store(app, &order).await;
    wait_stage(app, &id, "cancelled").await;
    assert_eq!(
        available(&w, "CNY").await - cny,
        goods_back,
        "goods by the rules"
    );
    assert_eq!(
        available(&w, "USD").await - usd,
        fee,
        "the fee, the parcel never left"
    );
    let detail = app.order_detail(&id).await;
    assert_eq!(detail["tab"], json!("canceled"), "{detail}");
    assert!(
        detail.to_string().contains("back to the wallet"),
        "{detail}"
    );

    // Nothing ships after, and running the settlement again posts nothing more.
    let package = packed["id"].as_str().expect("package");
    let refused = dispatch(app, package).await;
    let message = expect_error(refused, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("cancelled"), "{message}");
    let order_id = id.parse().expect("order id");
    dropflow::fulfilment::warehouse::cancelled::order_cancelled(&app.db, order_id)
        .await
        .expect("settled again");
    assert_eq!(available(&w, "CNY").await - cny, goods_back);
    assert_eq!(available(&w, "USD").await - usd, fee);
    assert_eq!(view(app, &id).await["stage"], json!("cancelled"));
    w.app.stop().await;
}
