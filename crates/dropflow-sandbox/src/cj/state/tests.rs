use super::*;
use crate::cj::webhooks;
use crate::faults::Faults;
use serde_json::{json, Value};
use std::time::Duration;

fn shared(config: CjSandboxConfig) -> Shared {
    Shared::new(config, FaultSwitch::default())
}

fn order_body(number: &str, vid: &str, quantity: u32) -> Value {
    json!({
        "orderNumber": number,
        "shippingCountryCode": "US",
        "shippingCountry": "United States",
        "shippingProvince": "California",
        "shippingCity": "San Francisco",
        "shippingZip": "94103",
        "shippingAddress": "969 Market Street",
        "shippingCustomerName": "Grace Hopper",
        "shippingPhone": "+1-202-555-0142",
        "logisticName": "USPS+",
        "fromCountryCode": "CN",
        "payType": 3,
        "products": [{"vid": vid, "quantity": quantity}]
    })
}

const VID: &str = "92511400-C758-4474-93CA-66D442F5F787";

#[test]
fn tokens_are_issued_for_the_right_key_and_expire() {
    let s = shared(CjSandboxConfig::default());
    assert_eq!(s.login("wrong").unwrap_err().code, code::INVALID_TOKEN);
    let data = s.login(&s.config.api_key).unwrap();
    let token = data["accessToken"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(data["accessTokenExpiryDate"]
        .as_str()
        .unwrap()
        .ends_with("+08:00"));
    assert_eq!(data["openId"], json!(s.config.open_id));
    assert!(s.check_token(Some(token)).is_ok());
    assert_eq!(s.check_token(None).unwrap_err().code, code::TOKEN_EMPTY);
    assert_eq!(
        s.check_token(Some("nope")).unwrap_err().code,
        code::INVALID_TOKEN
    );
    s.revoke_access_tokens();
    assert_eq!(
        s.check_token(Some(token)).unwrap_err().code,
        code::INVALID_TOKEN
    );

    let dead = shared(CjSandboxConfig {
        access_token_ttl: Duration::ZERO,
        ..CjSandboxConfig::default()
    });
    let data = dead.login(&dead.config.api_key).unwrap();
    let token = data["accessToken"].as_str().unwrap();
    assert!(dead.check_token(Some(token)).is_err());
    assert_eq!(dead.auth_calls().rejected_tokens, 1);
}

#[test]
fn a_refresh_token_is_used_up() {
    let s = shared(CjSandboxConfig::default());
    let first = s.login(&s.config.api_key).unwrap();
    let refresh = first["refreshToken"].as_str().unwrap();
    let second = s.refresh(refresh).unwrap();
    assert_ne!(second["accessToken"], first["accessToken"]);
    assert_eq!(
        s.refresh(refresh).unwrap_err().code,
        code::INVALID_REFRESH_TOKEN
    );
    s.revoke_all_tokens();
    let newest = second["refreshToken"].as_str().unwrap();
    assert!(s.refresh(newest).is_err());
    assert_eq!(s.auth_calls().refresh_access_token, 3);
}

#[test]
fn logins_can_be_limited_like_cj_does() {
    let s = shared(CjSandboxConfig {
        login_min_interval: Duration::from_secs(300),
        ..CjSandboxConfig::default()
    });
    assert!(s.login(&s.config.api_key).is_ok());
    assert_eq!(
        s.login(&s.config.api_key).unwrap_err().code,
        code::TOO_MANY_REQUESTS
    );
}

#[test]
fn the_qps_limit_refuses_the_call_over_it() {
    let s = shared(CjSandboxConfig {
        qps_limit: Some(2),
        ..CjSandboxConfig::default()
    });
    assert!(s.admit().is_ok());
    assert!(s.admit().is_ok());
    assert_eq!(s.admit().unwrap_err().code, code::TOO_MANY_REQUESTS);
    std::thread::sleep(Duration::from_millis(1050));
    assert!(s.admit().is_ok());
}

#[test]
fn orders_are_unique_per_order_number_and_take_stock() {
    let s = shared(CjSandboxConfig::default());
    let data = s.create_order(&order_body("A-1", VID, 2)).unwrap();
    assert_eq!(data["orderStatus"], "CREATED");
    assert_eq!(data["orderNumber"], "A-1");
    assert_eq!(data["productAmount"], json!(12.24));
    assert_eq!(data["postageAmount"], json!(5.99));
    assert_eq!(data["orderAmount"], json!(18.23));
    assert_eq!(data["orderId"].as_str().unwrap().len(), 18);
    let again = s.create_order(&order_body("A-1", VID, 1)).unwrap_err();
    assert_eq!(again.code, code::ORDER_CREATE_FAIL);
    assert!(again.message.contains("already exists"));
    assert_eq!(s.orders_with_number("A-1"), 1);

    s.set_stock(VID, 1);
    let short = s.create_order(&order_body("A-2", VID, 2)).unwrap_err();
    assert_eq!(short.code, code::ORDER_CREATE_FAIL);
    assert!(short.message.contains(VID));
    assert!(s.create_order(&order_body("A-3", VID, 1)).is_ok());
    let empty = s.create_order(&order_body("A-4", VID, 1)).unwrap_err();
    assert_eq!(empty.code, code::ORDER_CREATE_FAIL);
    assert!(empty.message.contains("inventory"));
    assert_eq!(s.order_count(), 2);
}

#[test]
fn bad_requests_are_refused_with_their_reason() {
    let s = shared(CjSandboxConfig::default());
    let mut no_zip = order_body("B-1", VID, 1);
    no_zip["shippingZip"] = json!("");
    assert_eq!(
        s.create_order(&no_zip).unwrap_err().code,
        code::ILLEGAL_PARAMETER
    );
    let mut abroad = order_body("B-2", VID, 1);
    abroad["shippingCountryCode"] = json!("DE");
    assert_eq!(
        s.create_order(&abroad).unwrap_err().code,
        code::LOGISTIC_NOT_FOUND
    );
    let mut no_products = order_body("B-3", VID, 1);
    no_products["products"] = json!([]);
    assert_eq!(
        s.create_order(&no_products).unwrap_err().code,
        code::ILLEGAL_PARAMETER
    );
    let long = "x".repeat(51);
    assert_eq!(
        s.create_order(&order_body(&long, VID, 1)).unwrap_err().code,
        code::ILLEGAL_PARAMETER
    );
    // Quantities as strings, as CJ's table types them.
    let mut text_quantity = order_body("B-4", VID, 1);
    text_quantity["products"] = json!([{"vid": VID, "quantity": "2"}]);
    assert!(s.create_order(&text_quantity).is_ok());
    assert_eq!(s.order_count(), 1);
}

#[test]
fn faults_refuse_and_reprice_purchases() {
    let s = shared(CjSandboxConfig::default());
    s.faults.set(Faults {
        price_factor: 1.5,
        ..Faults::default()
    });
    let data = s.create_order(&order_body("F-1", VID, 1)).unwrap();
    assert_eq!(data["productAmount"], json!(9.18));
    assert_eq!(s.variant(VID)["variantSellPrice"], json!(9.18));
    s.faults.set(Faults {
        out_of_stock_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        s.create_order(&order_body("F-2", VID, 1)).unwrap_err().code,
        code::ORDER_CREATE_FAIL
    );
    s.faults.set(Faults {
        address_rejection_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        s.create_order(&order_body("F-3", VID, 1)).unwrap_err().code,
        code::ORDER_CREATE_FAIL
    );
}

#[test]
fn payment_draws_from_the_balance_once() {
    let s = shared(CjSandboxConfig {
        balance_cents: 1000,
        ..CjSandboxConfig::default()
    });
    let data = s.create_order(&order_body("P-1", VID, 2)).unwrap();
    let id = data["orderId"].as_str().unwrap().to_string();
    s.confirm_order(&id).unwrap();
    assert_eq!(
        s.pay(PayBy::OrderId(&id)).unwrap_err().code,
        code::BALANCE_INSUFFICIENT
    );
    assert_eq!(s.balance_cents(), 1000);
    s.set_balance_cents(5000);
    s.pay(PayBy::OrderId(&id)).unwrap();
    assert_eq!(s.balance_cents(), 5000 - 1823);
    assert_eq!(
        s.pay(PayBy::OrderId(&id)).unwrap_err().code,
        code::ORDER_PAY_FAIL
    );
    assert_eq!(
        s.pay(PayBy::OrderId("nope")).unwrap_err().code,
        code::ORDER_NOT_FOUND
    );
    assert_eq!(s.snapshot("P-1").unwrap().status, "UNSHIPPED");
    // Only an order not yet confirmed can be deleted ("确认订单后则无法删除", shopping.html
    // 1.8), and its stock comes back; a paid or confirmed one is refused.
    assert_eq!(
        s.delete_order(&id).unwrap_err().code,
        code::ORDER_DELETE_FAIL
    );
    s.set_stock(VID, 10);
    let confirmed = s.create_order(&order_body("P-3", VID, 5)).unwrap();
    let confirmed = confirmed["orderId"].as_str().unwrap().to_string();
    s.confirm_order(&confirmed).unwrap();
    assert_eq!(
        s.delete_order(&confirmed).unwrap_err().code,
        code::ORDER_DELETE_FAIL
    );
    let other = s.create_order(&order_body("P-2", VID, 5)).unwrap();
    s.delete_order(other["orderId"].as_str().unwrap()).unwrap();
    assert_eq!(s.snapshot("P-2").unwrap().status, "CANCELLED");
    assert_eq!(s.stock(VID)[0]["storageNum"], json!(5));
    assert!(s.delete_order(other["orderId"].as_str().unwrap()).is_err());
}

#[test]
fn balance_pay_type_pays_at_once_when_it_can() {
    let s = shared(CjSandboxConfig::default());
    let mut body = order_body("T-2", VID, 1);
    body["payType"] = json!(2);
    assert_eq!(s.create_order(&body).unwrap()["orderStatus"], "UNSHIPPED");
    let mut page = order_body("T-1", VID, 1);
    page["payType"] = json!(1);
    let data = s.create_order(&page).unwrap();
    assert_eq!(data["orderStatus"], "UNPAID");
    assert!(data["cjPayUrl"].is_string());
}

#[test]
fn paid_orders_ship_and_arrive_with_sandbox_time() {
    let s = shared(CjSandboxConfig::default());
    let data = s.create_order(&order_body("S-1", VID, 1)).unwrap();
    let id = data["orderId"].as_str().unwrap().to_string();
    s.confirm_order(&id).unwrap();
    s.pay(PayBy::OrderId(&id)).unwrap();
    let detail = s.order_detail(&id).unwrap();
    assert_eq!(detail["orderStatus"], "UNSHIPPED");
    assert!(detail["trackNumber"].is_null());

    s.clock.advance(Duration::from_secs(3 * 86_400));
    let detail = s.order_detail(&id).unwrap();
    assert_eq!(detail["orderStatus"], "SHIPPED");
    let number = detail["trackNumber"].as_str().unwrap().to_string();
    assert_eq!(number.len(), 22);
    let info = s.track_info(&number);
    assert_eq!(info[0]["trackingStatus"], "In Transit");
    assert_eq!(info[0]["lastMileCarrier"], "USPS");

    s.clock.advance(Duration::from_secs(8 * 86_400));
    let detail = s.order_detail(&id).unwrap();
    assert_eq!(detail["orderStatus"], "DELIVERED");
    assert_eq!(s.track_info(&number)[0]["trackingStatus"], "Delivered");
    assert_eq!(s.track_info("unknown"), json!([]));
    let list = s.list_orders(1, 10);
    assert_eq!(list["total"], 1);
    assert_eq!(list["list"][0]["orderNum"], "S-1");
}

#[test]
fn changes_become_order_and_logistic_messages() {
    let s = shared(CjSandboxConfig::default());
    let data = s.create_order(&order_body("W-1", VID, 1)).unwrap();
    let id = data["orderId"].as_str().unwrap().to_string();
    let first = s.take_changes();
    assert_eq!(first.len(), 1);
    let bodies = webhooks::messages(&first[0], 7);
    assert_eq!(bodies.len(), 1);
    let message: Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(message["type"], "ORDER");
    assert_eq!(message["messageType"], "INSERT");
    assert_eq!(message["params"]["orderStatus"], "CREATED");
    assert!(s.take_changes().is_empty());

    s.confirm_order(&id).unwrap();
    s.pay(PayBy::OrderId(&id)).unwrap();
    s.clock.advance(Duration::from_secs(3 * 86_400));
    let bodies: Vec<Value> = s
        .take_changes()
        .iter()
        .flat_map(|c| webhooks::messages(c, 7))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .collect();
    let seen: Vec<String> = bodies
        .iter()
        .map(|m| match m["type"].as_str().unwrap() {
            "ORDER" => m["params"]["orderStatus"].as_str().unwrap().to_string(),
            _ => m["params"]["trackingStatus"].to_string(),
        })
        .collect();
    // Every step in order, though the clock jumped three days at once.
    assert_eq!(seen, ["UNSHIPPED", "SHIPPED", "1", "5"]);
    let order = &bodies[1];
    assert_eq!(order["params"]["orderNumber"], "W-1");
    assert!(order["params"]["trackNumber"].is_string());
    let logistic = &bodies[3];
    assert_eq!(logistic["type"], "LOGISTIC");
    assert_eq!(logistic["params"]["orderId"], json!(id));
    let events: Value =
        serde_json::from_str(logistic["params"]["logisticsTrackEvents"].as_str().unwrap()).unwrap();
    assert_eq!(events.as_array().unwrap().len(), 2);
}

#[test]
fn freight_lists_the_lines_that_ship_there() {
    let s = shared(CjSandboxConfig::default());
    let us = s
        .freight(&json!({"startCountryCode": "CN", "endCountryCode": "US",
            "products": [{"vid": VID, "quantity": 2}]}))
        .unwrap();
    let names: Vec<&str> = us
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["logisticName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"USPS+"));
    let de = s
        .freight(&json!({"endCountryCode": "DE", "products": []}))
        .unwrap();
    assert!(!de.to_string().contains("USPS+"));
    assert!(s.freight(&json!({})).is_err());
}

/// CJ's shopping.html: `payType` 3 creates the order only ("not added to the cart, not
/// confirmed"); CJ's order-status table has CREATED = "create order, wait confirm" and UNPAID =
/// "confirm order". Paying a CREATED order is refused ("Order pay fail", ps-code.html 1603101).
#[test]
fn a_create_only_order_cannot_be_paid_before_it_is_confirmed() {
    let s = shared(CjSandboxConfig::default());
    let data = s.create_order(&order_body("C-1", VID, 1)).unwrap();
    let id = data["orderId"].as_str().unwrap().to_string();
    let balance = s.balance_cents();
    assert_eq!(
        s.pay(PayBy::OrderId(&id)).unwrap_err().code,
        code::ORDER_PAY_FAIL
    );
    assert_eq!(s.balance_cents(), balance);
    assert_eq!(s.snapshot("C-1").unwrap().status, "CREATED");

    s.confirm_order(&id).unwrap();
    assert_eq!(s.snapshot("C-1").unwrap().status, "UNPAID");
    // Confirming twice is a confirm failure (1603001); the order stays confirmed.
    assert_eq!(
        s.confirm_order(&id).unwrap_err().code,
        code::ORDER_CONFIRM_FAIL
    );
    assert_eq!(
        s.confirm_order("nope").unwrap_err().code,
        code::ORDER_NOT_FOUND
    );
    s.pay(PayBy::OrderId(&id)).unwrap();
    assert_eq!(s.snapshot("C-1").unwrap().status, "UNSHIPPED");
    assert_eq!(
        s.confirm_order(&id).unwrap_err().code,
        code::ORDER_CONFIRM_FAIL
    );
}

/// ps-code.html: 1600201 "Quota has been used up" once the day's calls are spent; the
/// per-second limit stays 1600200 "Call exceeded limit".
#[test]
fn a_used_up_daily_quota_is_1600201() {
    let s = shared(CjSandboxConfig {
        daily_quota: Some(2),
        ..CjSandboxConfig::default()
    });
    assert!(s.admit().is_ok());
    assert!(s.admit().is_ok());
    assert_eq!(s.admit().unwrap_err().code, code::QUOTA_USED_UP);
    s.set_daily_quota(None);
    assert!(s.admit().is_ok());
}

/// The codes are CJ's (ps-code.html), and none of CJ's meanings is borrowed for another.
#[test]
fn refusal_codes_are_cjs_own() {
    assert_eq!(code::QUOTA_USED_UP, 1_600_201);
    assert_eq!(code::ILLEGAL_PARAMETER, 1_600_300);
    assert_eq!(code::ORDER_CREATE_FAIL, 1_603_000);
    assert_eq!(code::ORDER_CONFIRM_FAIL, 1_603_001);
    assert_eq!(code::ORDER_NOT_FOUND, 1_603_100);
    assert_eq!(code::ORDER_PAY_FAIL, 1_603_101);
    assert_eq!(code::BALANCE_INSUFFICIENT, 1_604_000);
    assert_eq!(code::LOGISTIC_NOT_FOUND, 1_605_000);
}
