//! The sandbox's dispute rules, without HTTP: what CJ refuses is refused, decisions follow the
//! sandbox clock, refunds reach the balance once and never exceed what was paid.

use super::*;
use serde_json::{json, Value};
use std::time::Duration;

const LED: &str = "92511400-C758-4474-93CA-66D442F5F787";
const EARBUDS: &str = "1424608152007086080";
const DAY: u64 = 86_400;

fn shared() -> Shared {
    Shared::new(CjSandboxConfig::default(), FaultSwitch::default())
}

/// A created order with 2 × LED (6.12) and 1 × EARBUDS (11.50); its id.
fn created(s: &Shared, number: &str) -> String {
    let body = json!({
        "orderNumber": number, "shippingCountryCode": "US", "shippingCountry": "United States",
        "shippingProvince": "California", "shippingCity": "San Francisco",
        "shippingZip": "94103", "shippingAddress": "969 Market Street",
        "shippingCustomerName": "Grace Hopper", "logisticName": "USPS+",
        "fromCountryCode": "CN", "payType": 3,
        "products": [{"vid": LED, "quantity": 2}, {"vid": EARBUDS, "quantity": 1}]
    });
    s.create_order(&body).unwrap()["orderId"]
        .as_str()
        .unwrap()
        .to_string()
}

fn paid(s: &Shared, number: &str) -> String {
    let id = created(s, number);
    s.confirm_order(&id).unwrap();
    s.pay(PayBy::OrderId(&id)).unwrap();
    id
}

/// The order's lines as disputeProducts lists them.
fn lines(s: &Shared, id: &str) -> Vec<Value> {
    s.dispute_products(id).unwrap()["productInfoList"]
        .as_array()
        .unwrap()
        .clone()
}

fn create_body(
    business_id: &str,
    order_id: &str,
    line: &Value,
    quantity: u32,
    price: f64,
) -> Value {
    json!({
        "businessDisputeId": business_id, "orderId": order_id, "disputeReasonId": 2,
        "expectType": 1, "refundType": 1, "messageText": "Arrived damaged",
        "productInfoList": [{"lineItemId": line["lineItemId"], "quantity": quantity, "price": price}]
    })
}

fn list(s: &Shared, order_id: &str) -> Vec<Value> {
    s.dispute_list(Some(order_id), None, None, 1, 10)["list"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn only_a_paid_order_can_be_disputed() {
    let s = shared();
    let id = created(&s, "D-1");
    assert_eq!(
        s.dispute_products(&id).unwrap_err().code,
        code::ORDER_CANNOT_BE_DISPUTED
    );
    let confirm =
        json!({"orderId": id, "productInfoList": [{"lineItemId": "x", "quantity": 1, "price": 1}]});
    assert_eq!(
        s.dispute_confirm_info(&confirm).unwrap_err().code,
        code::ORDER_CANNOT_BE_DISPUTED
    );
    assert_eq!(
        s.dispute_products("nope").unwrap_err().code,
        code::ORDER_NOT_FOUND
    );
    s.confirm_order(&id).unwrap();
    s.pay(PayBy::OrderId(&id)).unwrap();
    let products = s.dispute_products(&id).unwrap();
    assert_eq!(products["orderNumber"], "D-1");
    let lines = products["productInfoList"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["cjVariantId"], LED);
    assert_eq!(lines[0]["quantity"], 2);
    assert_eq!(lines[0]["price"], json!(6.12));
    assert_eq!(lines[0]["canChoose"], true);
    assert_eq!(lines[0]["cjProductId"], "CJJJ1042911");
}

#[test]
fn confirm_offers_goods_plus_postage_and_the_reasons_of_the_orders_stage() {
    let s = shared();
    let id = paid(&s, "D-2");
    let line = lines(&s, &id)[0].clone();
    let body = json!({"orderId": id, "productInfoList": [line]});
    let unshipped = s.dispute_confirm_info(&body).unwrap();
    assert_eq!(unshipped["expectResultOptionList"], json!(["1"]));
    assert_eq!(unshipped["maxProductPrice"], json!(12.24));
    let postage = s.snapshot("D-2").unwrap().postage_cents;
    assert_eq!(
        unshipped["maxAmount"],
        crate::cj::orders::usd(1_224 + postage)
    );
    assert_eq!(
        unshipped["disputeReasonList"],
        json!([{"disputeReasonId": 1, "reasonName": "Unfulfilled Order Cancellation"}])
    );
    s.clock.advance(Duration::from_secs(3 * DAY));
    let shipped = s.dispute_confirm_info(&body).unwrap();
    let reasons = shipped["disputeReasonList"].as_array().unwrap();
    assert_eq!(reasons.len(), 5);
    assert_eq!(reasons[0]["reasonName"], "Products Damaged");
}

#[test]
fn create_refuses_what_cj_refuses() {
    let s = shared();
    let id = paid(&s, "D-3");
    s.clock.advance(Duration::from_secs(3 * DAY));
    let led = lines(&s, &id)[0].clone();
    let refused = |body: &Value| s.create_dispute(body).unwrap_err();

    let mut no_key = create_body("", &id, &led, 1, 1.0);
    assert_eq!(refused(&no_key).code, code::ILLEGAL_PARAMETER);
    no_key["businessDisputeId"] = json!("k".repeat(101));
    assert_eq!(refused(&no_key).code, code::ILLEGAL_PARAMETER);
    let mut no_text = create_body("k-1", &id, &led, 1, 1.0);
    no_text["messageText"] = json!("");
    assert!(refused(&no_text).message.contains("messageText"));
    let mut reissue = create_body("k-1", &id, &led, 1, 1.0);
    reissue["expectType"] = json!(2);
    assert!(refused(&reissue).message.contains("reissue"));
    let mut cancel_reason = create_body("k-1", &id, &led, 1, 1.0);
    cancel_reason["disputeReasonId"] = json!(1);
    assert!(refused(&cancel_reason).message.contains("disputeReasonId"));
    let stranger = json!({"lineItemId": "999"});
    assert!(refused(&create_body("k-1", &id, &stranger, 1, 1.0))
        .message
        .contains("not a line"));
    assert!(refused(&create_body("k-1", &id, &led, 3, 1.0))
        .message
        .contains("2 can be disputed"));
    let postage = s.snapshot("D-3").unwrap().postage_cents;
    let over = (1_224 + postage + 1) as f64 / 100.0;
    assert!(refused(&create_body("k-1", &id, &led, 2, over))
        .message
        .contains("exceeds the maximum"));
    assert!(s.dispute_snapshots().is_empty());

    s.create_dispute(&create_body("k-1", &id, &led, 2, 5.0))
        .unwrap();
    // The same key again, even for another line: refused.
    let earbuds = lines(&s, &id)[1].clone();
    let again = refused(&create_body("k-1", &id, &earbuds, 1, 1.0));
    assert!(again
        .message
        .contains("businessDisputeId k-1 already exists"));
    // The LED line is held by an unfinished dispute.
    assert_eq!(lines(&s, &id)[0]["canChoose"], false);
    assert_eq!(
        refused(&create_body("k-2", &id, &led, 1, 1.0)).code,
        code::ILLEGAL_PARAMETER,
        "no units are left to a second dispute"
    );
    assert_eq!(s.dispute_snapshots().len(), 1);
}

#[test]
fn a_dispute_is_decided_on_the_clock_and_refunds_the_balance_once() {
    let s = shared();
    let id = paid(&s, "D-4");
    s.clock.advance(Duration::from_secs(3 * DAY));
    let led = lines(&s, &id)[0].clone();
    let data = s
        .create_dispute(&create_body("k-4", &id, &led, 1, 4.5))
        .unwrap();
    assert_eq!(data, Value::Null, "CJ documents no success body");
    // The other unit waits while the line has an unfinished dispute ("存在未完成纠纷单").
    let held = s
        .create_dispute(&create_body("k-4b", &id, &led, 1, 1.0))
        .unwrap_err();
    assert_eq!(held.code, code::ORDER_CANNOT_BE_DISPUTED);
    assert!(held.message.contains("unfinished dispute"));
    let before = s.balance_cents();
    let open = &list(&s, &id)[0];
    assert_eq!(open["status"], "Processing");
    assert_eq!(open["finallyDeal"], Value::Null);
    assert_eq!(open["money"], Value::Null);
    assert_eq!(open["productList"][0]["cjVariantId"], LED);
    assert!(open.get("businessDisputeId").is_none());

    s.clock.advance(Duration::from_secs(2 * DAY));
    assert_eq!(list(&s, &id)[0]["finallyDeal"], Value::Null);
    s.clock.advance(Duration::from_secs(DAY));
    let done = &list(&s, &id)[0];
    assert_eq!(done["status"], "Completed");
    assert_eq!(done["finallyDeal"], 1);
    assert_eq!(done["money"], json!(4.5));
    assert_eq!(s.balance_cents(), before + 450);
    assert_eq!(s.balance_cents(), before + 450);
    // One unit refunded, one left to dispute.
    assert_eq!(lines(&s, &id)[0]["quantity"], 1);
    assert_eq!(lines(&s, &id)[0]["canChoose"], true);
}

#[test]
fn rejected_disputes_refund_nothing_and_free_the_line() {
    let s = shared();
    let id = paid(&s, "D-5");
    s.clock.advance(Duration::from_secs(3 * DAY));
    s.set_refuse_disputes(true);
    let led = lines(&s, &id)[0].clone();
    s.create_dispute(&create_body("k-5", &id, &led, 2, 10.0))
        .unwrap();
    s.set_refuse_disputes(false);
    let before = s.balance_cents();
    s.clock.advance(Duration::from_secs(3 * DAY));
    let done = &list(&s, &id)[0];
    assert_eq!(done["finallyDeal"], 3);
    assert_eq!(done["money"], json!(0.0));
    assert_eq!(s.balance_cents(), before);
    assert_eq!(lines(&s, &id)[0]["quantity"], 2);
    // Opened after the switch went back: refunded.
    s.create_dispute(&create_body("k-5b", &id, &led, 2, 10.0))
        .unwrap();
    s.clock.advance(Duration::from_secs(3 * DAY));
    assert_eq!(s.balance_cents(), before + 1_000);
    assert_eq!(s.dispute_snapshots()[1].finally_deal, Some(1));
}

#[test]
fn refunds_never_exceed_what_was_paid() {
    let s = shared();
    let id = paid(&s, "D-6");
    s.clock.advance(Duration::from_secs(3 * DAY));
    let order = s.snapshot("D-6").unwrap();
    let [led, earbuds] = [lines(&s, &id)[0].clone(), lines(&s, &id)[1].clone()];
    // The LED line with all the postage: goods + postage.
    let first = (1_224 + order.postage_cents) as f64 / 100.0;
    s.create_dispute(&create_body("k-6", &id, &led, 2, first))
        .unwrap();
    // The earbuds line may have what is left of the order's total, not its goods + postage.
    let body = json!({"orderId": id, "productInfoList": [earbuds.clone()]});
    let left = order.total_cents - 1_224 - order.postage_cents;
    assert_eq!(
        s.dispute_confirm_info(&body).unwrap()["maxAmount"],
        crate::cj::orders::usd(left)
    );
    let too_much = (left + 1) as f64 / 100.0;
    assert!(s
        .create_dispute(&create_body("k-6b", &id, &earbuds, 1, too_much))
        .is_err());
    // Refunded to the platform (refundType 2): not to the balance.
    let mut platform = create_body("k-6c", &id, &earbuds, 1, left as f64 / 100.0);
    platform["refundType"] = json!(2);
    s.create_dispute(&platform).unwrap();
    let before = s.balance_cents();
    s.clock.advance(Duration::from_secs(3 * DAY));
    assert_eq!(
        s.balance_cents(),
        before + 1_224 + order.postage_cents,
        "only the balance refund"
    );
}

#[test]
fn the_list_filters_and_pages_newest_first() {
    let s = Shared::new(
        CjSandboxConfig {
            dispute_create_returns_id: true,
            ..CjSandboxConfig::default()
        },
        FaultSwitch::default(),
    );
    let a = paid(&s, "D-7");
    let b = paid(&s, "D-8");
    s.clock.advance(Duration::from_secs(3 * DAY));
    let first = s
        .create_dispute(&create_body("k-7", &a, &lines(&s, &a)[0], 1, 1.0))
        .unwrap();
    let second = s
        .create_dispute(&create_body("k-8", &b, &lines(&s, &b)[0], 1, 1.0))
        .unwrap();
    let third = s
        .create_dispute(&create_body("k-9", &b, &lines(&s, &b)[1], 1, 1.0))
        .unwrap();
    assert!(first.as_str().unwrap().starts_with("SH"));
    let ids = |page: &Value| -> Vec<Value> {
        page["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].clone())
            .collect()
    };
    let all = s.dispute_list(None, None, None, 1, 10);
    assert_eq!(all["total"], 3);
    assert_eq!(
        ids(&all),
        vec![third.clone(), second.clone(), first.clone()]
    );
    assert_eq!(
        ids(&s.dispute_list(Some(&b), None, None, 1, 10)),
        vec![third.clone(), second.clone()]
    );
    assert_eq!(
        ids(&s.dispute_list(None, first.as_str(), None, 1, 10)),
        vec![first.clone()]
    );
    assert_eq!(
        ids(&s.dispute_list(None, None, Some("D-7"), 1, 10)),
        vec![first]
    );
    let page_two = s.dispute_list(None, None, None, 2, 2);
    assert_eq!(page_two["total"], 3);
    assert_eq!(ids(&page_two).len(), 1);
}
