//! Return requests and their status: the connector against the 1688-style sandbox over real
//! HTTP, and the doc's own example answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::tests::{cny, connector, holding_timeouts, request};
use super::*;
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::marketplace::{
    offers, start, MarketplaceSandbox, MarketplaceSandboxConfig, CREATE_REFUND, QUERY_REFUND,
    REFUND_REASONS,
};

const DAY: Duration = Duration::from_secs(86_400);

/// OpQueryOrderRefund's documented answer, verbatim from its doc page
/// (https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.refund.OpQueryOrderRefund-1,
/// read from a stored copy, id 65986362733): a return and refund of 0.01 that succeeded.
const QUERY_EXAMPLE: &str =
    include_str!("../../../tests/fixtures/1688/open1688.OpQueryOrderRefund.example.json");
/// buyer.queryOrderRefundList's documented answer, verbatim
/// (…?id=com.alibaba.trade:alibaba.trade.refund.buyer.queryOrderRefundList-1, copy id
/// 66409366656): one refund, closed.
const LIST_EXAMPLE: &str =
    include_str!("../../../tests/fixtures/1688/open1688.buyer.queryOrderRefundList.example.json");

#[test]
fn the_documented_answers_map() {
    let body: Value = serde_json::from_str(QUERY_EXAMPLE).unwrap();
    assert_eq!(
        refunds::status(&body["result"]["opOrderRefundModelDetail"]).unwrap(),
        ReturnStatus::Refunded {
            amount: cny(1),
            reference: "TQ8651493722961198".into()
        }
    );
    let list: Value = serde_json::from_str(LIST_EXAMPLE).unwrap();
    let closed = refunds::status(&list["result"]["opOrderRefundModels"][0]).unwrap();
    assert!(
        matches!(&closed, ReturnStatus::Refused { detail } if detail.contains("TQ10426553019961198")),
        "{closed:?}"
    );
    // The application record keeps the description (退款说明), which is how our reference is
    // found again.
    let ops = &body["result"]["opOrderRefundModelDetail"]["refundOperationList"];
    assert!(ops[3]["discription"]
        .as_str()
        .unwrap()
        .ends_with("退款说明：asdad"));
}

#[test]
fn the_reason_needs_no_proof_and_postage_only_where_allowed() {
    let body = json!({ "result": { "success": true, "result": { "reasons": [
        { "id": 20041, "name": "质量问题", "needVoucher": true, "noRefundCarriage": false },
        { "id": 20028, "name": "不想买了", "needVoucher": "false", "noRefundCarriage": "true" },
        { "id": 20021, "name": "颜色/图案/款式不符", "needVoucher": false, "noRefundCarriage": false },
    ] } } });
    assert_eq!(refunds::choose_reason(&body, false), Ok(Some(20028)));
    assert_eq!(refunds::choose_reason(&body, true), Ok(Some(20021)));
    let refused =
        json!({ "result": { "success": false, "code": "5003", "message": "货物状态状态不合法" } });
    assert_eq!(
        refunds::choose_reason(&refused, false),
        Err(("5003".into(), "货物状态状态不合法".into()))
    );
}

/// A paid order whose goods reached the warehouse (`confirm_goods`): its 1688 id.
async fn arrived(sb: &MarketplaceSandbox, m: &Marketplace, reference: &str) -> String {
    let Placement::Placed(order) = m.place(&request(reference)).await.unwrap() else {
        panic!("not placed")
    };
    assert_eq!(
        m.pay(&order.supplier_order_id).await.unwrap(),
        PaymentResult::Paid
    );
    sb.advance(3 * DAY + Duration::from_secs(60));
    order.supplier_order_id
}

fn ask(order_id: &str, reference: &str, fen: i64) -> ReturnRequest {
    ReturnRequest {
        reference: reference.into(),
        supplier_order_id: order_id.into(),
        supplier_sku_ids: vec![offers()[0].spec_id.clone()],
        amount: cny(fen),
        reason: "failed inspection".into(),
    }
}

fn check(order_id: &str, reference: &str, request_id: Option<&str>) -> ReturnCheck {
    ReturnCheck {
        reference: reference.into(),
        supplier_order_id: order_id.into(),
        request_id: request_id.map(str::to_string),
    }
}

#[tokio::test]
async fn a_return_is_open_then_refunded_once_the_seller_has_the_goods() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let m = connector(&sb);
    let id = arrived(&sb, &m, "att-rs1").await;
    let ReturnAnswer::Requested { refund_id } =
        m.request_return(&ask(&id, "case-1", 3700)).await.unwrap()
    else {
        panic!("not requested")
    };
    // The reason came from 1688's list for received goods: the first needing no proof.
    assert_eq!(sb.calls(REFUND_REASONS), 1);
    let asked = sb.refunds().pop().unwrap();
    assert_eq!(asked.reason_id, 20_021);
    assert_eq!(asked.goods_status, "refundBuyerReceived");
    assert!(asked.description.starts_with("ref case-1: "), "{asked:?}");

    let by_id = check(&id, "case-1", Some(&refund_id));
    assert_eq!(m.return_status(&by_id).await.unwrap(), ReturnStatus::Open);
    sb.advance(2 * DAY);
    // The seller waits for the goods: still open.
    assert_eq!(sb.refund_status(&refund_id), Some("waitsellerreceive"));
    assert_eq!(m.return_status(&by_id).await.unwrap(), ReturnStatus::Open);
    sb.advance(DAY);
    let balance = sb.balance_fen();
    assert_eq!(
        m.return_status(&by_id).await.unwrap(),
        ReturnStatus::Refunded {
            amount: cny(3700),
            reference: refund_id.clone()
        }
    );
    assert_eq!(sb.balance_fen(), balance);
    // The id lost: found by our reference among the order's refunds.
    assert_eq!(
        m.return_status(&check(&id, "case-1", None)).await.unwrap(),
        ReturnStatus::Refunded {
            amount: cny(3700),
            reference: refund_id
        }
    );
    // Another case's reference (a prefix of ours too) is not this refund.
    assert_eq!(
        m.return_status(&check(&id, "case", None)).await.unwrap(),
        ReturnStatus::NotFound
    );
}

#[tokio::test]
async fn a_closed_refund_is_refused_and_an_unknown_id_not_found() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let m = connector(&sb);
    let id = arrived(&sb, &m, "att-rs2").await;
    sb.close_refunds(true);
    let ReturnAnswer::Requested { refund_id } =
        m.request_return(&ask(&id, "case-2", 3700)).await.unwrap()
    else {
        panic!("not requested")
    };
    sb.advance(3 * DAY + Duration::from_secs(60));
    let closed = m
        .return_status(&check(&id, "case-2", Some(&refund_id)))
        .await
        .unwrap();
    assert!(
        matches!(&closed, ReturnStatus::Refused { detail } if detail.contains(&refund_id)),
        "{closed:?}"
    );
    assert_eq!(
        m.return_status(&check(&id, "case-2", Some("TQ404")))
            .await
            .unwrap(),
        ReturnStatus::NotFound
    );
    // Nothing asked under that reference on this order.
    assert_eq!(
        m.return_status(&check(&id, "case-9", None)).await.unwrap(),
        ReturnStatus::NotFound
    );
}

#[tokio::test]
async fn a_repeat_is_already_requested_and_other_5010s_are_refused() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let m = connector(&sb);
    // Paid, not shipped: a return of goods never received is 5010, and nothing is open.
    let Placement::Placed(order) = m.place(&request("att-rs3")).await.unwrap() else {
        panic!("not placed")
    };
    let id = order.supplier_order_id;
    m.pay(&id).await.unwrap();
    let early = m.request_return(&ask(&id, "case-3", 3700)).await.unwrap();
    assert!(
        matches!(&early, ReturnAnswer::Refused { detail } if detail.starts_with("1688 5010")),
        "{early:?}"
    );
    sb.advance(3 * DAY + Duration::from_secs(60));
    let over = m.request_return(&ask(&id, "case-3", 3701)).await.unwrap();
    assert!(
        matches!(&over, ReturnAnswer::Refused { detail } if detail.starts_with("1688 5011")),
        "{over:?}"
    );
    assert!(matches!(
        m.request_return(&ask(&id, "case-3", 3700)).await.unwrap(),
        ReturnAnswer::Requested { .. }
    ));
    assert_eq!(
        m.request_return(&ask(&id, "case-3", 3700)).await.unwrap(),
        ReturnAnswer::AlreadyRequested
    );
    assert_eq!(sb.refunds().len(), 1);
    assert_eq!(sb.calls(CREATE_REFUND), 4);
}

#[tokio::test]
async fn faults_reach_the_status_and_the_request() {
    let (sb, m) = holding_timeouts().await;
    let id = arrived(&sb, &m, "att-rs4").await;
    let by_id = check(&id, "case-4", Some("TQ1"));
    sb.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    // A 502 with no 1688 answer in it is an outage, not "no such refund".
    assert!(matches!(
        m.return_status(&by_id).await,
        Err(SupplierError::Unavailable(_))
    ));
    assert!(matches!(
        m.request_return(&ask(&id, "case-4", 3700)).await,
        Err(SupplierError::Unavailable(_))
    ));
    sb.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    assert!(matches!(
        m.return_status(&by_id).await,
        Err(SupplierError::RateLimited { .. })
    ));
    sb.faults.set(Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(m.return_status(&by_id).await, Err(SupplierError::Timeout));
    sb.faults.set(Faults::default());
    assert_eq!(sb.calls(QUERY_REFUND), 3);
    assert!(sb.refunds().is_empty());
}
