//! The CJ dispute calls against the CJ sandbox, over real HTTP, and CJ's documented dispute
//! bodies (https://developers.cjdropshipping.com/en/api/api2/api/dispute.html, copied into
//! `docs/protocols/after-sale.md` §4).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::dispute_wire::{self, Claim, ConfirmInfo, DisputeEntry, DisputeProducts, ProductInfo};
use super::transport::{read_answer, CallError};
use super::*;
use crate::outbound::Answer;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::PurchaseLine;
use dropflow_sandbox::cj::{start, CjSandbox, CjSandboxConfig};
use dropflow_sandbox::faults::Faults;

const VID: &str = "92511400-C758-4474-93CA-66D442F5F787";
const OTHER_VID: &str = "1424608152007086080";
const DAY: u64 = 86_400;

fn usd(cents: i64) -> Money {
    Money::new(cents, Currency::from_code("USD").unwrap())
}

fn connector(sandbox: &CjSandbox) -> Cj {
    connector_with_timeout(sandbox, 2_000)
}

fn purchase(attempt_id: &str) -> PurchaseRequest {
    let line = |vid: &str, quantity| PurchaseLine {
        supplier_product_id: "CJ".to_string(),
        supplier_sku_id: vid.to_string(),
        quantity,
        expected_unit_cost: usd(612),
    };
    PurchaseRequest {
        attempt_id: attempt_id.to_string(),
        lines: vec![line(VID, 2), line(OTHER_VID, 1)],
        ship_to: PostalAddress {
            name: Some("Grace Hopper".to_string()),
            address1: Some("969 Market Street".to_string()),
            city: Some("San Francisco".to_string()),
            province: Some("California".to_string()),
            postal_code: Some("94103".to_string()),
            country_code: Some("US".to_string()),
            ..PostalAddress::default()
        },
        email: None,
        shipping_method: None,
        price_guard_percent: None,
    }
}

/// A sandbox with one paid order (2 × VID at 6.12, 1 × OTHER_VID at 11.50), shipped when
/// `shipped`; the connector and the CJ order id.
async fn with_an_order(config: CjSandboxConfig, shipped: bool) -> (CjSandbox, Cj, String) {
    let sb = start(config).await.unwrap();
    let cj = connector(&sb);
    let Placement::Placed(order) = cj.place(&purchase("after-sale-1")).await.unwrap() else {
        panic!("not placed");
    };
    assert_eq!(
        cj.pay(&order.supplier_order_id).await,
        Ok(PaymentResult::Paid)
    );
    if shipped {
        sb.advance(Duration::from_secs(3 * DAY));
    }
    (sb, cj, order.supplier_order_id)
}

fn ask(reference: &str, order_id: &str, cents: i64, reason: &str) -> ReturnRequest {
    ReturnRequest {
        reference: reference.to_string(),
        supplier_order_id: order_id.to_string(),
        supplier_sku_ids: vec![VID.to_string()],
        amount: usd(cents),
        reason: reason.to_string(),
    }
}

fn check(reference: &str, order_id: &str, request_id: Option<&str>) -> ReturnCheck {
    ReturnCheck {
        reference: reference.to_string(),
        supplier_order_id: order_id.to_string(),
        request_id: request_id.map(str::to_string),
    }
}

fn requested(answer: ReturnAnswer) -> String {
    match answer {
        ReturnAnswer::Requested { refund_id } => refund_id,
        other => panic!("not requested: {other:?}"),
    }
}

/// Asked for `request`, CJ refuses it in words that say `words`.
async fn refused_saying(cj: &Cj, request: &ReturnRequest, words: &str) {
    match cj.request_return(request).await.unwrap() {
        ReturnAnswer::Refused { detail } => assert!(detail.contains(words), "{detail}"),
        other => panic!("not refused: {other:?}"),
    }
}

/// Asked again, CJ already holds the dispute: the answer says so and it is still the only one.
async fn already_requested(sb: &CjSandbox, cj: &Cj, request: &ReturnRequest) {
    assert_eq!(
        cj.request_return(request).await.unwrap(),
        ReturnAnswer::AlreadyRequested
    );
    assert_eq!(sb.disputes().len(), 1);
}

// ---- against the sandbox --------------------------------------------------------------

#[tokio::test]
async fn a_dispute_is_opened_for_the_lines_reason_and_amount_asked() {
    let (sb, cj, order_id) = with_an_order(CjSandboxConfig::default(), true).await;
    let answer = cj
        .request_return(&ask(
            "case-1",
            &order_id,
            1_000,
            "Arrived damaged, the strip is cracked",
        ))
        .await
        .unwrap();
    let id = requested(answer);
    let disputes = sb.disputes();
    assert_eq!(disputes.len(), 1);
    let d = &disputes[0];
    // The id came from the list (the sandbox's create answers no id, as CJ documents none).
    assert_eq!(d.id, id);
    assert_eq!(d.business_dispute_id, "case-1");
    assert_eq!(d.order_id, order_id);
    assert_eq!(d.reason_name, "Products Damaged");
    // Only the VID line, every unit of it, for the amount asked.
    assert_eq!(d.lines, vec![(VID.to_string(), 2, 1_000)]);
    assert_eq!(d.status, "Processing");
    sb.shutdown().await;
}

#[tokio::test]
async fn an_id_in_the_create_answer_is_used_as_is() {
    let config = CjSandboxConfig {
        dispute_create_returns_id: true,
        ..CjSandboxConfig::default()
    };
    let (sb, cj, order_id) = with_an_order(config, true).await;
    let id = requested(
        cj.request_return(&ask("case-id", &order_id, 500, "wrong colour sent"))
            .await
            .unwrap(),
    );
    assert_eq!(sb.disputes()[0].id, id);
    // "wrong" → CJ's wrong-item reason.
    assert_eq!(sb.disputes()[0].reason_name, "Wrong Products Received");
    sb.shutdown().await;
}

#[tokio::test]
async fn asking_twice_opens_one_dispute() {
    let (sb, cj, order_id) = with_an_order(CjSandboxConfig::default(), true).await;
    let request = ask("case-2", &order_id, 800, "damaged");
    requested(cj.request_return(&request).await.unwrap());
    already_requested(&sb, &cj, &request).await;
    // Another key for the same goods while CJ holds them: still the one dispute.
    already_requested(&sb, &cj, &ask("case-2b", &order_id, 800, "damaged")).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn a_dispute_opened_by_a_try_whose_answer_was_lost_is_found() {
    let (sb, cj, order_id) = with_an_order(CjSandboxConfig::default(), true).await;
    // The earlier try: CJ created the dispute, and the timeout lost its answer.
    sb.faults.set(Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    });
    let timed_out = connector_with_timeout(&sb, 300);
    assert_eq!(
        timed_out
            .request_return(&ask("case-lost", &order_id, 700, "damaged"))
            .await,
        Err(SupplierError::Timeout)
    );
    sb.faults.set(Faults::default());
    assert!(sb.disputes().is_empty(), "nothing got through");
    create_directly(&sb, &order_id, "case-lost").await;

    already_requested(&sb, &cj, &ask("case-lost", &order_id, 700, "damaged")).await;
    // Found again without its id, by order and reference.
    assert_eq!(
        cj.return_status(&check("case-lost", &order_id, None)).await,
        Ok(ReturnStatus::Open)
    );
    sb.shutdown().await;
}

fn connector_with_timeout(sandbox: &CjSandbox, ms: u64) -> Cj {
    let mut config = CjConfig::new(&sandbox.base_url, ApiKey::new(sandbox.api_key()));
    config.timeout_ms = ms;
    Cj::new(config)
}

/// Sends `request`; the JSON it answers.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Opens a dispute on the order's first line straight through the sandbox's HTTP API.
async fn create_directly(sb: &CjSandbox, order_id: &str, business_id: &str) {
    let client = reqwest::Client::new();
    let login = json_of(
        client
            .post(format!("{}/authentication/getAccessToken", sb.base_url))
            .json(&json!({ "apiKey": sb.api_key() })),
    )
    .await;
    let token = login["data"]["accessToken"].as_str().unwrap().to_string();
    let products = json_of(
        client
            .get(format!("{}/disputes/disputeProducts", sb.base_url))
            .query(&[("orderId", order_id)])
            .header("CJ-Access-Token", &token),
    )
    .await;
    let line = &products["data"]["productInfoList"][0];
    let dispute = json!({
        "businessDisputeId": business_id, "orderId": order_id, "disputeReasonId": 2,
        "expectType": 1, "refundType": 1, "messageText": "damaged",
        "productInfoList": [{"lineItemId": line["lineItemId"], "quantity": 2, "price": 7.00}]
    });
    let created = json_of(
        client
            .post(format!("{}/disputes/create", sb.base_url))
            .header("CJ-Access-Token", &token)
            .json(&dispute),
    )
    .await;
    assert_eq!(created["code"], json!(200), "{created}");
}

#[tokio::test]
async fn a_reference_cj_has_used_already_is_not_opened_again() {
    let (sb, cj, order_id) = with_an_order(CjSandboxConfig::default(), true).await;
    sb.refuse_disputes(true);
    let request = ask("case-used", &order_id, 600, "damaged");
    requested(cj.request_return(&request).await.unwrap());
    sb.refuse_disputes(false);
    sb.advance(Duration::from_secs(3 * DAY));
    // Rejected: the line is free again and CJ's list does not name our key, so only CJ's
    // refusal of the repeated businessDisputeId stops a second dispute.
    already_requested(&sb, &cj, &request).await;
    assert!(matches!(
        cj.return_status(&check("case-used", &order_id, None)).await,
        Ok(ReturnStatus::Refused { .. })
    ));
    sb.shutdown().await;
}

#[tokio::test]
async fn the_status_is_open_then_refunded_to_the_balance_as_sandbox_time_passes() {
    let (sb, cj, order_id) = with_an_order(CjSandboxConfig::default(), true).await;
    let id = requested(
        cj.request_return(&ask("case-3", &order_id, 1_000, "damaged"))
            .await
            .unwrap(),
    );
    let by_id = check("case-3", &order_id, Some(&id));
    assert_eq!(cj.return_status(&by_id).await, Ok(ReturnStatus::Open));
    let before = cj.balance().await.unwrap();

    sb.advance(Duration::from_secs(3 * DAY));
    let refunded = ReturnStatus::Refunded {
        amount: usd(1_000),
        reference: id.clone(),
    };
    assert_eq!(cj.return_status(&by_id).await, Ok(refunded.clone()));
    assert_eq!(
        cj.return_status(&check("case-3", &order_id, None)).await,
        Ok(refunded)
    );
    assert_eq!(cj.balance().await.unwrap().minor, before.minor + 1_000);
    // Read again: credited once.
    assert_eq!(cj.balance().await.unwrap().minor, before.minor + 1_000);
    assert_eq!(sb.disputes()[0].finally_deal, Some(1));
    sb.shutdown().await;
}

#[tokio::test]
async fn a_dispute_cj_rejects_is_refused_and_refunds_nothing() {
    let (sb, cj, order_id) = with_an_order(CjSandboxConfig::default(), true).await;
    sb.refuse_disputes(true);
    let id = requested(
        cj.request_return(&ask("case-4", &order_id, 1_000, "damaged"))
            .await
            .unwrap(),
    );
    let before = sb.balance_cents();
    sb.advance(Duration::from_secs(3 * DAY));
    assert!(matches!(
        cj.return_status(&check("case-4", &order_id, Some(&id)))
            .await,
        Ok(ReturnStatus::Refused { .. })
    ));
    assert_eq!(sb.balance_cents(), before);
    sb.shutdown().await;
}

#[tokio::test]
async fn more_than_was_paid_is_capped_at_cjs_maximum_and_then_nothing_is_left() {
    let (sb, cj, order_id) = with_an_order(CjSandboxConfig::default(), true).await;
    let order = sb.order("after-sale-1").unwrap();
    requested(
        cj.request_return(&ask("case-5", &order_id, 1_000_000, "broken"))
            .await
            .unwrap(),
    );
    // CJ's maxAmount for the VID line: its goods (2 × 6.12) plus the postage.
    let cap = 2 * 612 + order.postage_cents;
    assert_eq!(sb.disputes()[0].asked_cents, cap);

    sb.advance(Duration::from_secs(3 * DAY));
    // Refunded; the line has no units left to dispute: CJ will not take another.
    refused_saying(&cj, &ask("case-5b", &order_id, 100, "broken"), "canChoose").await;
    // The other line can still be disputed, for what is left of the order.
    let mut other = ask("case-5c", &order_id, 1_000_000, "broken");
    other.supplier_sku_ids = vec![OTHER_VID.to_string()];
    requested(cj.request_return(&other).await.unwrap());
    let left = order.total_cents - cap;
    assert_eq!(sb.disputes()[1].asked_cents, left);
    sb.shutdown().await;
}

#[tokio::test]
async fn cjs_refusals_are_refused_with_its_words() {
    let sb = start(CjSandboxConfig::default()).await.unwrap();
    let cj = connector(&sb);
    let Placement::Placed(order) = cj.place(&purchase("unpaid-1")).await.unwrap() else {
        panic!("not placed");
    };
    // Not paid: CJ takes no dispute.
    let answer = cj
        .request_return(&ask("case-6", &order.supplier_order_id, 500, "damaged"))
        .await
        .unwrap();
    assert_eq!(
        answer,
        ReturnAnswer::Refused {
            detail: "CJ 9009: Order cannot be disputed".to_string()
        }
    );
    // A variant the order does not have.
    cj.pay(&order.supplier_order_id).await.unwrap();
    let mut stranger = ask("case-7", &order.supplier_order_id, 500, "damaged");
    stranger.supplier_sku_ids = vec!["NOT-IN-THE-ORDER".to_string()];
    assert!(matches!(
        cj.request_return(&stranger).await.unwrap(),
        ReturnAnswer::Refused { .. }
    ));
    // Nothing reached CJ for amounts in another currency.
    let mut euros = ask("case-8", &order.supplier_order_id, 500, "damaged");
    euros.amount = Money::new(500, Currency::from_code("EUR").unwrap());
    assert!(matches!(
        cj.request_return(&euros).await.unwrap(),
        ReturnAnswer::Refused { .. }
    ));
    assert!(sb.disputes().is_empty());
    // Unknown to CJ: no dispute to report.
    assert_eq!(
        cj.return_status(&check("case-6", &order.supplier_order_id, None))
            .await,
        Ok(ReturnStatus::NotFound)
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn before_shipping_only_a_cancellation_claim_fits_cjs_reasons() {
    let (sb, cj, order_id) = with_an_order(CjSandboxConfig::default(), false).await;
    refused_saying(
        &cj,
        &ask("case-9", &order_id, 500, "damaged"),
        "Unfulfilled Order Cancellation",
    )
    .await;
    requested(
        cj.request_return(&ask(
            "case-10",
            &order_id,
            500,
            "customer cancelled before shipping",
        ))
        .await
        .unwrap(),
    );
    assert_eq!(sb.disputes()[0].reason_id, 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn faults_are_errors_for_the_caller_to_retry_and_open_nothing() {
    let (sb, cj, order_id) = with_an_order(CjSandboxConfig::default(), true).await;
    let request = ask("case-11", &order_id, 500, "damaged");
    sb.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    assert!(matches!(
        cj.request_return(&request).await,
        Err(SupplierError::Unavailable(_))
    ));
    assert!(matches!(
        cj.return_status(&check("case-11", &order_id, None)).await,
        Err(SupplierError::Unavailable(_))
    ));
    sb.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        cj.request_return(&request).await,
        Err(SupplierError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        })
    );
    sb.set_daily_quota(Some(0));
    sb.faults.set(Faults::default());
    assert!(matches!(
        cj.request_return(&request).await,
        Err(SupplierError::RateLimited {
            retry_after: Some(_)
        })
    ));
    sb.set_daily_quota(None);
    assert!(sb.disputes().is_empty());
    // Once CJ answers again, the same request goes through, once.
    requested(cj.request_return(&request).await.unwrap());
    assert_eq!(sb.disputes().len(), 1);
    sb.shutdown().await;
}

// ---- CJ's documented bodies and the mappings ------------------------------------------

/// disputeProducts' success example, verbatim from CJ's English dispute page
/// (https://developers.cjdropshipping.cn/en/api/api2/api/dispute.html, "1 Select the list of
/// disputed products"), as copied in docs/protocols/after-sale.md §4.
const DISPUTE_PRODUCTS_EXAMPLE: &str = r#"{
"code": 200,
"result": true,
"message": "Success",
"data": {
"orderId": "75727832844206081",
"orderNumber": "1627572766607937536",
"productInfoList": [
{
"lineItemId": "27572784056172547",
"cjProductId": "70030020423733248",
"cjVariantId": "70030020612476928",
"canChoose": true,
"price": 23.00,
"quantity": 1,
"cjProductName": "Hellpoo",
"cjImage": "http://d847fcac-392f-4168-8b06-a580a8368dff.jpg",
"sku": "CJSJ1041743",
"supplierName": "banggood"
}
]
},
"requestId": "11edc6cc84254bb4b3ac74299d5db197",
"success": true
}"#;

/// The error example of the same page in Chinese
/// (https://developers.cjdropshipping.com/zh/api/api2/api/dispute.html), verbatim.
const DISPUTE_ERROR_EXAMPLE: &str = r#"{
"code": 1600100,
"result": false,
"message": "Param error",
"data": null,
"requestId": "323fda9d-3c94-41dc-a944-5cc1b8baf5b1"
}"#;

fn answer(body: &str) -> Answer {
    Answer::new(
        "CJ",
        reqwest::StatusCode::OK,
        None,
        body.as_bytes().to_vec(),
    )
}

#[test]
fn the_documented_dispute_products_example_reads() {
    let data = read_answer(&answer(DISPUTE_PRODUCTS_EXAMPLE)).unwrap();
    let products: DisputeProducts = serde_json::from_value(data).unwrap();
    assert_eq!(products.product_info_list.len(), 1);
    let line: ProductInfo = serde_json::from_value(products.product_info_list[0].clone()).unwrap();
    assert_eq!(line.vid().as_deref(), Some("70030020612476928"));
    assert_eq!(line.line_item_id().as_deref(), Some("27572784056172547"));
    assert!(line.can_choose());
    assert_eq!(line.quantity(), 1);
    assert_eq!(line.value_cents(), 2_300);
    // A line CJ holds (an unfinished dispute) cannot be chosen.
    let held: ProductInfo =
        serde_json::from_value(json!({"cjVariantId": "1", "canChoose": false, "quantity": 1}))
            .unwrap();
    assert!(!held.can_choose());
}

#[test]
fn the_documented_error_example_is_cjs_refusal() {
    assert_eq!(
        read_answer(&answer(DISPUTE_ERROR_EXAMPLE)),
        Err(CallError::Api {
            code: 1_600_100,
            message: "Param error".to_string()
        })
    );
}

/// The create body carries every parameter the page's "3 Create dispute" table marks required.
#[test]
fn the_create_body_has_the_documented_fields() {
    let lines = [dispute_wire::AskedLine {
        line_item_id: Some("27572784056172547".to_string()),
        quantity: 1,
        cents: 2_300,
    }];
    let body = dispute_wire::create_body("case-42", "75727832844206081", 7, "  broken  ", &lines);
    assert_eq!(
        body,
        json!({
            "businessDisputeId": "case-42",
            "orderId": "75727832844206081",
            "disputeReasonId": 7,
            "expectType": 1,
            "refundType": 1,
            "messageText": "broken",
            "imageUrl": [],
            "productInfoList": [{"lineItemId": "27572784056172547", "quantity": 1, "price": 23.0}]
        })
    );
    let long = "x".repeat(600);
    let body = dispute_wire::create_body("k", "o", 1, &long, &lines);
    assert_eq!(body["messageText"].as_str().unwrap().len(), 500);
    let body = dispute_wire::create_body("k", "o", 1, " ", &lines);
    assert!(!body["messageText"].as_str().unwrap().is_empty());
}

#[test]
fn confirm_info_reads_options_as_strings_or_numbers() {
    let confirm: ConfirmInfo = serde_json::from_value(json!({
        "expectResultOptionList": ["1", "2"],
        "maxAmount": 23.00,
        "disputeReasonList": [{"disputeReasonId": 1, "reasonName": "Unfulfilled Order Cancellation"}]
    }))
    .unwrap();
    assert!(confirm.offers_refund());
    assert_eq!(confirm.max_amount(), Some(usd(2_300)));
    assert_eq!(
        confirm.reasons(),
        vec![(1, "Unfulfilled Order Cancellation".to_string())]
    );
    let reissue_only: ConfirmInfo =
        serde_json::from_value(json!({"expectResultOptionList": [2], "disputeReasonList": null}))
            .unwrap();
    assert!(!reissue_only.offers_refund());
    assert!(reissue_only.reasons().is_empty());
}

#[test]
fn reasons_map_from_our_words_to_cjs_list() {
    assert_eq!(
        dispute_wire::claim_of("Item arrived BROKEN"),
        Claim::Damaged
    );
    assert_eq!(dispute_wire::claim_of("wrong size sent"), Claim::WrongItem);
    assert_eq!(
        dispute_wire::claim_of("parcel lost in transit"),
        Claim::NotReceived
    );
    assert_eq!(
        dispute_wire::claim_of("not as described"),
        Claim::NotAsDescribed
    );
    assert_eq!(
        dispute_wire::claim_of("customer cancelled"),
        Claim::Cancellation
    );
    // No word we know: the default.
    assert_eq!(dispute_wire::claim_of("meh"), Claim::Damaged);

    let offered: Vec<(i64, String)> = [
        (2, "Products Damaged"),
        (3, "Wrong Products Received"),
        (4, "Products Not As Described"),
        (5, "Package Not Received"),
        (6, "Others"),
    ]
    .iter()
    .map(|(id, n)| (*id, n.to_string()))
    .collect();
    let pick = |claim| dispute_wire::reason_for(claim, &offered);
    assert_eq!(pick(Claim::Damaged), Some(2));
    assert_eq!(pick(Claim::WrongItem), Some(3));
    assert_eq!(pick(Claim::NotAsDescribed), Some(4));
    assert_eq!(pick(Claim::NotReceived), Some(5));
    // No cancellation reason offered: "Others".
    assert_eq!(pick(Claim::Cancellation), Some(6));
    let only_cancel = vec![(1, "Unfulfilled Order Cancellation".to_string())];
    assert_eq!(
        dispute_wire::reason_for(Claim::Cancellation, &only_cancel),
        Some(1)
    );
    assert_eq!(dispute_wire::reason_for(Claim::Damaged, &only_cancel), None);
}

#[test]
fn amounts_are_shared_by_value_to_the_cent() {
    assert_eq!(dispute_wire::split(1_000, &[1_224, 1_150]), vec![515, 485]);
    assert_eq!(dispute_wire::split(1_001, &[1, 1, 1]), vec![333, 333, 335]);
    assert_eq!(dispute_wire::split(10, &[0, 0]), vec![5, 5]);
    assert!(dispute_wire::split(10, &[]).is_empty());
}

#[test]
fn dispute_entries_map_to_return_statuses() {
    let entry = |v: Value| -> DisputeEntry { serde_json::from_value(v).unwrap() };
    let open = entry(
        json!({"id": "SH1", "status": "Processing", "finallyDeal": null,
        "money": null, "productList": [{"cjVariantId": VID}]}),
    );
    assert_eq!(open.status(), Ok(ReturnStatus::Open));
    assert!(open.is_open() && open.covers_any(&[VID.to_string()]));
    let refunded =
        entry(json!({"id": "SH2", "status": "Completed", "finallyDeal": 1, "money": "12.50"}));
    assert_eq!(
        refunded.status(),
        Ok(ReturnStatus::Refunded {
            amount: usd(1_250),
            reference: "SH2".to_string()
        })
    );
    assert!(!refunded.is_open());
    for deal in [2, 3] {
        let decided = entry(json!({"id": "SH3", "finallyDeal": deal, "money": 0}));
        assert!(matches!(decided.status(), Ok(ReturnStatus::Refused { .. })));
    }
    let cancelled = entry(json!({"id": "SH4", "status": "Cancelled"}));
    assert!(matches!(
        cancelled.status(),
        Ok(ReturnStatus::Refused { .. })
    ));
    assert!(!cancelled.is_open());
    let no_money = entry(json!({"id": "SH5", "finallyDeal": "1"}));
    assert!(matches!(no_money.status(), Err(SupplierError::Protocol(_))));
    // businessDisputeId is read when CJ sends it.
    let named = entry(json!({"id": 77, "businessDisputeId": "case-1"}));
    assert_eq!(named.business_dispute_id().as_deref(), Some("case-1"));
    assert_eq!(named.id().as_deref(), Some("77"));
}

#[test]
fn create_answers_and_duplicate_refusals_are_read() {
    assert_eq!(
        dispute_wire::created_id(&json!("SH1")).as_deref(),
        Some("SH1")
    );
    assert_eq!(dispute_wire::created_id(&json!(42)).as_deref(), Some("42"));
    assert_eq!(
        dispute_wire::created_id(&json!({"disputeId": "SH2"})).as_deref(),
        Some("SH2")
    );
    assert_eq!(dispute_wire::created_id(&json!(null)), None);
    assert_eq!(dispute_wire::created_id(&json!(true)), None);
    assert!(dispute_wire::says_duplicate(
        "businessDisputeId case-1 already exists"
    ));
    assert!(!dispute_wire::says_duplicate("Order cannot be disputed"));
}

#[test]
fn cj_now_declares_returns() {
    let cj = Cj::new(CjConfig::new("http://127.0.0.1:9", ApiKey::new("k")));
    assert!(cj.capabilities().returns);
    assert!(crate::suppliers::registry::capabilities(SupplierKind::Cj).returns);
}
