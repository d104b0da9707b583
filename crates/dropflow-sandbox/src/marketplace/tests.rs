//! The sandbox over real HTTP with a bare client: signing, idempotency by outOrderId,
//! payment, time moving the parcel, cancel, and faults.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::faults::Faults;
use serde_json::Value;

const DAY: Duration = Duration::from_secs(86_400);

pub(super) async fn call(
    sb: &MarketplaceSandbox,
    api: &str,
    params: &[(&str, &str)],
) -> (u16, Value) {
    call_signed_with(sb, api, params, sb.app_secret()).await
}

/// `preparePay` with its one JSON parameter (`{"orderId": …}`).
pub(super) async fn prepare_pay(sb: &MarketplaceSandbox, param: &str) -> (u16, Value) {
    call(sb, PREPARE_PAY, &[("tradeWithholdPreparePayParam", param)]).await
}

async fn call_signed_with(
    sb: &MarketplaceSandbox,
    api: &str,
    params: &[(&str, &str)],
    secret: &str,
) -> (u16, Value) {
    let path = format!("param2/1/com.alibaba.trade/{api}/{}", sb.app_key());
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    pairs.push(("access_token".into(), sb.access_token().into()));
    pairs.push(("_aop_timestamp".into(), "1750000000000".into()));
    let signature = sign::sign(secret, &path, &pairs);
    pairs.push(("_aop_signature".into(), signature));
    let response = reqwest::Client::new()
        .post(format!("{}/openapi/{path}", sb.base_url))
        .form(&pairs)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn address() -> String {
    json!({
        "fullName": "DF Warehouse 仓库", "mobile": "13800138000", "postCode": "518000",
        "provinceText": "广东省", "cityText": "深圳市", "areaText": "宝安区",
        "address": "福永街道 88 号 3 楼",
    })
    .to_string()
}

fn cargo(quantity: u32) -> String {
    let o = &offers()[0];
    json!([{ "offerId": o.offer_id, "specId": o.spec_id, "quantity": quantity }]).to_string()
}

pub(super) async fn create(sb: &MarketplaceSandbox, reference: &str) -> (u16, Value) {
    let (a, c) = (address(), cargo(2));
    call(
        sb,
        FAST_CREATE_ORDER,
        &[
            ("flow", "general"),
            ("addressParam", &a),
            ("cargoParamList", &c),
            ("outOrderId", reference),
            ("message", "dropflow"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_bad_signature_or_token_is_refused_by_the_gateway() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let (status, body) = call_signed_with(
        &sb,
        BUYER_VIEW,
        &[("orderId", "1"), ("webSite", "1688")],
        "wrong",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], "gw.SignatureInvalid");
    assert_eq!(sb.orders().len(), 0);
}

#[tokio::test]
async fn create_pay_ship_arrive_with_domestic_tracking() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let (status, body) = create(&sb, "att-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let id = body["result"]["orderId"].as_str().unwrap().to_string();
    // 2 × 18.50 + 6.00 postage, in fen.
    assert_eq!(body["result"]["totalSuccessAmount"], 2 * 1850 + 600);

    // A retry with the same reference buys nothing.
    let (_, again) = create(&sb, "att-1").await;
    assert_eq!(again["code"], code::DUPLICATE_OUT_ORDER_ID);
    assert_eq!(sb.live_orders("att-1"), 1);

    let view = |body: &Value| {
        body["result"]["baseInfo"]["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (_, detail) = call(&sb, BUYER_VIEW, &[("orderId", &id), ("webSite", "1688")]).await;
    assert_eq!(view(&detail), "waitbuyerpay");
    assert_eq!(detail["result"]["baseInfo"]["totalAmount"], 43.0);

    let pay_param = json!({ "orderId": id.parse::<u64>().unwrap() }).to_string();
    let (_, paid) = prepare_pay(&sb, &pay_param).await;
    assert_eq!(paid["result"]["paySuccess"], true, "{paid}");
    assert_eq!(sb.balance_fen(), 5_000_000 - 4300);
    let (_, twice) = prepare_pay(&sb, &pay_param).await;
    assert_eq!(twice["code"], code::STATUS_NOT_ALLOWED);

    let (_, detail) = call(&sb, BUYER_VIEW, &[("orderId", &id), ("webSite", "1688")]).await;
    assert_eq!(view(&detail), "waitsellersend");
    assert!(detail["result"]["nativeLogistics"]["logisticsItems"]
        .as_array()
        .unwrap()
        .is_empty());

    sb.advance(DAY + Duration::from_secs(60));
    let (_, detail) = call(&sb, BUYER_VIEW, &[("orderId", &id), ("webSite", "1688")]).await;
    assert_eq!(view(&detail), "waitbuyerreceive");
    let item = &detail["result"]["nativeLogistics"]["logisticsItems"][0];
    let code = item["logisticsCompanyNo"].as_str().unwrap();
    assert!(COURIERS.iter().any(|c| c.code == code));
    assert!(item["logisticsBillNo"].as_str().unwrap().len() >= 13);

    sb.advance(2 * DAY);
    let (_, detail) = call(&sb, BUYER_VIEW, &[("orderId", &id), ("webSite", "1688")]).await;
    assert_eq!(view(&detail), "confirm_goods");

    // The list finds it by our reference.
    let (_, list) = call(&sb, BUYER_ORDER_LIST, &[("page", "1"), ("pageSize", "20")]).await;
    assert_eq!(list["result"][0]["baseInfo"]["outOrderId"], "att-1");
}

#[tokio::test]
async fn cancel_frees_the_reference_and_the_stock() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let (_, body) = create(&sb, "att-2").await;
    let id = body["result"]["orderId"].as_str().unwrap().to_string();
    let (_, cancelled) = call(
        &sb,
        CANCEL,
        &[
            ("webSite", "1688"),
            ("tradeID", &id),
            ("cancelReason", "buyerCancel"),
            ("remark", "price changed"),
        ],
    )
    .await;
    assert_eq!(cancelled["success"], true);
    assert_eq!(sb.live_orders("att-2"), 0);
    let (_, again) = create(&sb, "att-2").await;
    assert_eq!(again["success"], true);
    assert_eq!(sb.orders_placed("att-2"), 2);
    assert_eq!(sb.live_orders("att-2"), 1);
}

#[tokio::test]
async fn stock_outs_balance_and_rate_limits() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    sb.set_stock(offers()[0].offer_id, 1);
    let (_, body) = create(&sb, "att-3").await;
    assert_eq!(body["code"], code::STOCK_NOT_ENOUGH);
    assert_eq!(sb.orders_placed("att-3"), 0);
    sb.set_stock(offers()[0].offer_id, 100);

    sb.set_balance_fen(10);
    let (_, body) = create(&sb, "att-4").await;
    let id: u64 = body["result"]["orderId"].as_str().unwrap().parse().unwrap();
    let param = json!({ "orderId": id }).to_string();
    let (_, refused) = prepare_pay(&sb, &param).await;
    assert_eq!(refused["code"], code::BALANCE_NOT_ENOUGH);

    sb.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let (status, body) = create(&sb, "att-5").await;
    assert_eq!(status, 429);
    assert_eq!(body["error_code"], "gw.QosAppFrequencyLimit");
    assert_eq!(sb.orders_placed("att-5"), 0);

    sb.faults.set(Faults {
        price_factor: 1.5,
        ..Faults::default()
    });
    let (_, body) = create(&sb, "att-6").await;
    assert_eq!(body["result"]["totalSuccessAmount"], 2 * 2775 + 600);
}

/// alibaba.trade.cancel as its doc page shows it: request
/// `{"webSite":"1688","tradeID":"202711458975969812","cancelReason":"other","remark":"取消订单"}`,
/// answer `{"success":true}`; only an unpaid order, else `ORDER_STATUS_ERROR` (订单状态错误).
/// A paid order the seller has not shipped comes back through createRefund (refund only,
/// `refundWaitSellerSend`, the whole goods amount), with a reason from getRefundReasonList.
#[tokio::test]
async fn a_paid_order_is_cancelled_only_by_a_refund_before_shipment() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let (_, body) = create(&sb, "att-9").await;
    let id = body["result"]["orderId"].as_str().unwrap().to_string();
    let (_, view) = call(&sb, BUYER_VIEW, &[("webSite", "1688"), ("orderId", &id)]).await;
    assert_eq!(view["result"]["nativeLogistics"]["city"], "深圳市");
    assert_eq!(
        view["result"]["nativeLogistics"]["contactPerson"],
        "DF Warehouse 仓库"
    );
    let param = json!({ "orderId": id.parse::<u64>().unwrap() }).to_string();
    let (_, paid) = prepare_pay(&sb, &param).await;
    assert_eq!(paid["success"], true);
    let balance = sb.balance_fen();
    let cancel = [
        ("webSite", "1688"),
        ("tradeID", id.as_str()),
        ("cancelReason", "other"),
        ("remark", "取消订单"),
    ];
    let (_, refused) = call(&sb, CANCEL, &cancel).await;
    assert_eq!(refused["success"], false);
    assert_eq!(refused["errorCode"], "ORDER_STATUS_ERROR");

    let entry = format!("[{}01]", id);
    let (_, reasons) = call(
        &sb,
        REFUND_REASONS,
        &[
            ("orderId", &id),
            ("orderEntryIds", &entry),
            ("goodsStatus", "refundWaitSellerSend"),
        ],
    )
    .await;
    let reason = reasons["result"]["result"]["reasons"][0]["id"].to_string();
    let goods = (2 * 1850).to_string();
    // Before shipment the whole goods amount, nothing less.
    let short = refund_unshipped(&sb, &id, &reason, "100").await;
    assert_eq!(short["result"]["code"], "5011");
    let opened = refund_unshipped(&sb, &id, &reason, &goods).await;
    assert_eq!(opened["result"]["success"], true, "{opened}");
    assert!(opened["result"]["result"]["refundId"].is_string());
    let order = sb
        .orders()
        .into_iter()
        .find(|o| o.order_id.to_string() == id)
        .unwrap();
    assert_eq!(order.status, "cancel");
    assert_eq!(sb.balance_fen(), balance + 2 * 1850 + 600);

    // Once the goods have left, a refund "before shipment" is refused.
    let (_, body) = create(&sb, "att-10").await;
    let late = body["result"]["orderId"].as_str().unwrap().to_string();
    let param = json!({ "orderId": late.parse::<u64>().unwrap() }).to_string();
    prepare_pay(&sb, &param).await;
    sb.advance(2 * DAY);
    let shipped = refund_unshipped(&sb, &late, "20028", &goods).await;
    assert_eq!(shipped["result"]["code"], "5010");
}

/// createRefund as a refund only of an order's one entry before shipment.
async fn refund_unshipped(sb: &MarketplaceSandbox, id: &str, reason: &str, apply: &str) -> Value {
    let entry = format!("[{id}01]");
    call(
        sb,
        CREATE_REFUND,
        &[
            ("orderId", id),
            ("orderEntryIds", &entry),
            ("disputeRequest", "refund"),
            ("applyPayment", apply),
            ("applyCarriage", "600"),
            ("applyReasonId", reason),
            ("description", "buyer cancels the order"),
            ("goodsStatus", "refundWaitSellerSend"),
        ],
    )
    .await
    .1
}
