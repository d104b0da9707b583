//! The refund APIs over real HTTP with a bare client: documented codes, the reason list, a
//! request moving on the sandbox clock, lookups by id and by order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::tests::{call, create, prepare_pay};
use super::*;
use serde_json::{json, Value};

const DAY: Duration = Duration::from_secs(86_400);

/// An order bought, paid and arrived at the warehouse (`confirm_goods`): its id.
async fn arrived(sb: &MarketplaceSandbox, reference: &str) -> String {
    let (_, body) = create(sb, reference).await;
    let id = body["result"]["orderId"].as_str().unwrap().to_string();
    let param = json!({ "orderId": id.parse::<u64>().unwrap() }).to_string();
    prepare_pay(sb, &param).await;
    sb.advance(3 * DAY + Duration::from_secs(60));
    id
}

async fn ask_return(sb: &MarketplaceSandbox, id: &str, reason: &str, apply: &str) -> Value {
    let entry = format!("[{id}01]");
    call(
        sb,
        CREATE_REFUND,
        &[
            ("orderId", id),
            ("orderEntryIds", &entry),
            ("disputeRequest", "returnRefund"),
            ("applyPayment", apply),
            ("applyCarriage", "0"),
            ("applyReasonId", reason),
            ("description", "ref wh-1 failed inspection"),
            ("goodsStatus", "refundBuyerReceived"),
        ],
    )
    .await
    .1
}

async fn query(sb: &MarketplaceSandbox, refund_id: &str) -> (u16, Value) {
    call(
        sb,
        QUERY_REFUND,
        &[
            ("refundId", refund_id),
            ("needTimeOutInfo", "false"),
            ("needOrderRefundOperation", "true"),
        ],
    )
    .await
}

#[tokio::test]
async fn refusals_carry_the_documented_codes() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let id = arrived(&sb, "att-r1").await;
    // getRefundReasonList requires orderEntryIds (doc: 必填).
    let (_, missing) = call(
        &sb,
        REFUND_REASONS,
        &[("orderId", &id), ("goodsStatus", "refundBuyerReceived")],
    )
    .await;
    assert_eq!(missing["result"]["success"], false);
    assert!(missing["result"]["code"].as_str().unwrap().starts_with('5'));

    let unknown = ask_return(&sb, "1234", "20021", "100").await;
    assert_eq!(unknown["result"]["code"], "5001", "{unknown}");
    assert_eq!(
        ask_return(&sb, &id, "20006", "100").await["result"]["code"],
        "5004"
    );
    // A quality claim needs proof uploaded.
    assert_eq!(
        ask_return(&sb, &id, "20041", "100").await["result"]["code"],
        "5005"
    );
    assert_eq!(
        ask_return(&sb, &id, "20021", "999999").await["result"]["code"],
        "5011"
    );
    let opened = ask_return(&sb, &id, "20021", "1850").await;
    assert_eq!(opened["result"]["success"], true, "{opened}");
    // The same entry again: 5010 (重复提交).
    let again = ask_return(&sb, &id, "20021", "1850").await;
    assert_eq!(again["result"]["code"], "5010", "{again}");
    assert!(again["result"]["message"]
        .as_str()
        .unwrap()
        .contains("重复提交"));
}

#[tokio::test]
async fn a_return_moves_on_the_clock_to_success_and_credits_the_balance() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let id = arrived(&sb, "att-r2").await;
    let opened = ask_return(&sb, &id, "20021", "1850").await;
    let refund_id = opened["result"]["result"]["refundId"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = query(&sb, &refund_id).await;
    assert_eq!(status, 200);
    let detail = &body["result"]["opOrderRefundModelDetail"];
    assert_eq!(detail["status"], "waitselleragree");
    assert_eq!(detail["refundPayment"], 0);
    let ops = detail["refundOperationList"].as_array().unwrap();
    assert!(ops[0]["discription"]
        .as_str()
        .unwrap()
        .contains("退款说明：ref wh-1"));

    let balance = sb.balance_fen();
    sb.advance(2 * DAY);
    assert_eq!(sb.refund_status(&refund_id), Some("waitsellerreceive"));
    sb.advance(DAY);
    let (_, body) = query(&sb, &refund_id).await;
    let detail = &body["result"]["opOrderRefundModelDetail"];
    assert_eq!(detail["status"], "refundsuccess");
    assert_eq!(detail["refundPayment"], 1850);
    assert_eq!(sb.balance_fen(), balance + 1850);
    assert_eq!(sb.balance_fen(), balance + 1850, "credited once");

    // Listed by order, newest first, without operations.
    let (_, list) = call(
        &sb,
        REFUND_LIST,
        &[("orderId", &id), ("currentPageNum", "0")],
    )
    .await;
    assert_eq!(list["success"], true);
    assert_eq!(list["result"]["totalCount"], 1);
    assert_eq!(
        list["result"]["opOrderRefundModels"][0]["refundId"],
        refund_id.as_str()
    );
    // Ended: the entry may be asked again.
    assert_eq!(
        ask_return(&sb, &id, "20021", "100").await["result"]["success"],
        true
    );
}

#[tokio::test]
async fn a_closed_refund_and_an_unknown_id() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let id = arrived(&sb, "att-r3").await;
    sb.close_refunds(true);
    let opened = ask_return(&sb, &id, "20021", "1850").await;
    let refund_id = opened["result"]["result"]["refundId"]
        .as_str()
        .unwrap()
        .to_string();
    let balance = sb.balance_fen();
    sb.advance(4 * DAY);
    let (_, body) = query(&sb, &refund_id).await;
    assert_eq!(
        body["result"]["opOrderRefundModelDetail"]["status"],
        "refundclose"
    );
    assert_eq!(sb.balance_fen(), balance);

    let (status, body) = query(&sb, "TQ999").await;
    assert_eq!(status, 500);
    assert_eq!(body["errorCode"], "003002");
}
