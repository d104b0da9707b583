//! `returns/*` bodies read into a store return.
//!
//! The request vector is the one captured `returns/request` body we have: a third-party
//! integration's documentation (yellow.ai's Shopify page, "shopifyReturnRequest" sample; the
//! stored copy's repository is not named by the search tool, id 4579100920), copied in
//! `docs/protocols/after-sale.md` §2.2. It is verbatim but for its trailing `customer` object,
//! left out here as there (a customer's name and e-mail). **[secondary]**
//!
//! The other topics' shapes are those of a Shopify webhook typings package (`ReturnApprove`,
//! `ReturnDecline`, `ReturnClose`, `ReturnCancel`, `ReturnReopen`; repository not named, id
//! 7729837373) **[secondary]**; no captured body of them was found, so their vectors below
//! are built to those interfaces, not copied.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::returns::{parse_return, reason};
use super::Topic;
use dropflow_core::after_sale::store_return::ReturnChange;
use dropflow_core::after_sale::CaseReason;

/// The captured `returns/request` body (see the module comment), without `customer`.
const CAPTURED_REQUEST: &str = r##"{
    "id": 3547267221,
    "admin_graphql_api_id": "gid://shopify/Return/3547267221",
    "status": "requested",
    "order": {
        "id": 5196695273621,
        "admin_graphql_api_id": "gid://shopify/Order/5196695273621"
    },
    "total_return_line_items": 1,
    "name": "#1106-R2",
    "return_line_items": [
        {
            "id": 6200524949,
            "admin_graphql_api_id": "gid://shopify/ReturnLineItem/6200524949",
            "fulfillment_line_item": {
                "id": 10736341352597,
                "admin_graphql_api_id": "gid://shopify/FulfillmentLineItem/10736341352597",
                "line_item": {
                    "id": 12695210000533,
                    "admin_graphql_api_id": "gid://shopify/LineItem/12695210000533"
                }
            },
            "quantity": 1,
            "return_reason": "unwanted",
            "return_reason_note": "",
            "customer_note": null
        }
    ]
}"##;

/// `ReturnDecline` of the typings: `{id, admin_graphql_api_id, status: 'declined',
/// decline: {reason, note?}}`, with a `ReturnDeclineReason` value.
const DECLINE: &str = r#"{"id": 3547267221, "admin_graphql_api_id": "gid://shopify/Return/3547267221", "status": "declined", "decline": {"reason": "return_period_ended", "note": "Our returns window is 30 days."}}"#;

fn request_change(
    body: &str,
    topic: Topic,
) -> dropflow_core::after_sale::store_return::ReturnRequest {
    let ret = parse_return(topic, body.as_bytes()).unwrap();
    assert_eq!(ret.return_id, "3547267221");
    match ret.change {
        ReturnChange::Requested(request) if topic == Topic::ReturnsRequest => request,
        ReturnChange::Approved(request) if topic == Topic::ReturnsApprove => request,
        other => panic!("{topic:?} read as {other:?}"),
    }
}

#[test]
fn the_captured_request_reads_its_order_line_quantity_and_reason() {
    let request = request_change(CAPTURED_REQUEST, Topic::ReturnsRequest);
    assert_eq!(request.order_external_id, "5196695273621");
    assert_eq!(request.name.as_deref(), Some("#1106-R2"));
    assert_eq!(request.lines.len(), 1);
    let line = &request.lines[0];
    // The order line, not the return line or the fulfillment line.
    assert_eq!(line.line_id, "12695210000533");
    assert_eq!(line.quantity, 1);
    assert_eq!(line.reason, CaseReason::ChangedMind);
    assert_eq!(line.store_reason.as_deref(), Some("unwanted"));
    // "" and null are no words.
    assert_eq!(line.reason_note, None);
    assert_eq!(line.customer_note, None);
    assert_eq!(request.reason(), CaseReason::ChangedMind);
}

/// The same shape approved (status `open`), with GraphQL's capitals, ids as text, two
/// fulfillment lines of one order line and the customer's words.
#[test]
fn an_approval_reads_like_a_request_and_sums_one_order_line_across_fulfillments() {
    let body = CAPTURED_REQUEST
        .replace(r#""status": "requested""#, r#""status": "open""#)
        .replace(
            r#""return_reason": "unwanted""#,
            r#""return_reason": "DEFECTIVE""#,
        )
        .replace(
            r#""customer_note": null"#,
            r#""customer_note": "The handle came off.""#,
        )
        .replace("\"id\": 12695210000533", "\"id\": \"12695210000533\"");
    let mut value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut second = value["return_line_items"][0].clone();
    second["quantity"] = serde_json::json!(2);
    second["return_reason"] = serde_json::json!("size_too_small");
    value["return_line_items"]
        .as_array_mut()
        .unwrap()
        .push(second);
    let request = request_change(&value.to_string(), Topic::ReturnsApprove);
    assert_eq!(request.lines.len(), 2);
    assert_eq!(request.lines[0].reason, CaseReason::Damaged);
    assert_eq!(
        request.lines[0].customer_note.as_deref(),
        Some("The handle came off.")
    );
    assert_eq!(request.reason(), CaseReason::Damaged);
    let lines = request.case_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].line_id, "12695210000533");
    assert_eq!(lines[0].quantity, 3);
}

#[test]
fn every_return_reason_maps_and_an_unknown_one_is_other() {
    for (word, expected) in [
        ("defective", CaseReason::Damaged),
        ("wrong_item", CaseReason::WrongItem),
        ("not_as_described", CaseReason::NotAsDescribed),
        ("unwanted", CaseReason::ChangedMind),
        ("size_too_large", CaseReason::ChangedMind),
        ("size_too_small", CaseReason::ChangedMind),
        ("style", CaseReason::ChangedMind),
        ("color", CaseReason::ChangedMind),
        ("other", CaseReason::Other),
        ("unknown", CaseReason::Other),
        ("arrived_late", CaseReason::Other),
    ] {
        assert_eq!(reason(Some(word)), expected, "{word}");
        let body =
            CAPTURED_REQUEST.replace("\"unwanted\"", &format!("\"{}\"", word.to_uppercase()));
        let request = request_change(&body, Topic::ReturnsRequest);
        assert_eq!(request.lines[0].reason, expected, "{word} in a body");
    }
    assert_eq!(reason(None), CaseReason::Other);
    // A reason that is no longer a word (a reason definition object) is `other`, not a refusal.
    let body = CAPTURED_REQUEST.replace(
        r#""return_reason": "unwanted""#,
        r#""return_reason": {"handle": "too-big"}"#,
    );
    let request = request_change(&body, Topic::ReturnsRequest);
    assert_eq!(request.lines[0].reason, CaseReason::Other);
    let body = CAPTURED_REQUEST.replace(r#""return_reason": "unwanted","#, "");
    assert_eq!(
        request_change(&body, Topic::ReturnsRequest).lines[0].reason,
        CaseReason::Other
    );
}

#[test]
fn the_later_topics_carry_the_return_id_and_a_decline_its_reason_and_note() {
    let ret = parse_return(Topic::ReturnsDecline, DECLINE.as_bytes()).unwrap();
    assert_eq!(ret.return_id, "3547267221");
    assert_eq!(
        ret.change,
        ReturnChange::Declined {
            reason: Some("return_period_ended".into()),
            note: Some("Our returns window is 30 days.".into()),
        }
    );
    // A decline without its object is still a decline.
    let bare = r#"{"id": 3547267221, "status": "declined"}"#;
    assert_eq!(
        parse_return(Topic::ReturnsDecline, bare.as_bytes())
            .unwrap()
            .change,
        ReturnChange::Declined {
            reason: None,
            note: None
        }
    );
    // The typings' statuses; what happened is the topic's to say.
    for (topic, status, change) in [
        (Topic::ReturnsClose, "close", ReturnChange::Closed),
        (Topic::ReturnsCancel, "canceled", ReturnChange::Canceled),
        (Topic::ReturnsReopen, "open", ReturnChange::Reopened),
    ] {
        let body = format!(
            r#"{{"id": 3547267221, "admin_graphql_api_id": "gid://shopify/Return/3547267221", "status": "{status}"}}"#
        );
        let ret = parse_return(topic, body.as_bytes()).unwrap();
        assert_eq!(ret.return_id, "3547267221");
        assert_eq!(ret.change, change, "{topic:?}");
    }
}

#[test]
fn a_body_missing_what_a_return_needs_is_refused_naming_the_field() {
    for (from, to, field) in [
        (r#""id": 3547267221,"#, "", "id"),
        (r#""id": 5196695273621,"#, "", "order.id"),
        (
            r#""id": 12695210000533,"#,
            "",
            "return_line_items[0].fulfillment_line_item.line_item.id",
        ),
        (
            r#""quantity": 1,"#,
            r#""quantity": 0,"#,
            "return_line_items[0].quantity",
        ),
        (r#""quantity": 1,"#, "", "return_line_items[0].quantity"),
        (
            r#""customer_note": null"#,
            r#""customer_note": 42"#,
            "return_line_items[0].customer_note",
        ),
    ] {
        let body = CAPTURED_REQUEST.replacen(from, to, 1);
        assert_ne!(body, CAPTURED_REQUEST, "{from}");
        let error = parse_return(Topic::ReturnsRequest, body.as_bytes()).unwrap_err();
        assert_eq!(error.path(), Some(field), "{error}");
    }
    let mut empty: serde_json::Value = serde_json::from_str(CAPTURED_REQUEST).unwrap();
    empty["return_line_items"] = serde_json::json!([]);
    let error = parse_return(Topic::ReturnsApprove, empty.to_string().as_bytes()).unwrap_err();
    assert_eq!(error.path(), Some("return_line_items"), "{error}");
    let error = parse_return(Topic::ReturnsClose, br#"{"status": "closed"}"#).unwrap_err();
    assert_eq!(error.path(), Some("id"), "{error}");
    assert!(parse_return(Topic::ReturnsClose, b"{").is_err());
    // A note of the wrong type is named, not quoted.
    let body = CAPTURED_REQUEST.replace(
        r#""return_reason_note": """#,
        r#""return_reason_note": ["jane@example.com"]"#,
    );
    let error = parse_return(Topic::ReturnsRequest, body.as_bytes()).unwrap_err();
    assert!(!error.to_string().contains("jane"), "{error}");
}

/// The six returns topics are returns (and nothing else is); WooCommerce has none.
#[test]
fn only_shopify_returns_topics_carry_a_return() {
    use crate::platforms::woocommerce::WooCommerce;
    use crate::platforms::StorePlatform;
    let shopify = super::Shopify;
    for topic in [
        "returns/request",
        "returns/approve",
        "returns/decline",
        "returns/close",
        "returns/cancel",
        "returns/reopen",
    ] {
        assert!(shopify.carries_return(topic), "{topic}");
        assert!(!shopify.carries_order(topic), "{topic}");
        assert!(!shopify.carries_refund(topic), "{topic}");
        assert!(!shopify.carries_dispute(topic), "{topic}");
        assert_eq!(Topic::parse(topic).map(Topic::as_str), Some(topic));
    }
    for other in ["returns/update", "returns/process", "refunds/create", ""] {
        assert!(!shopify.carries_return(other), "{other}");
    }
    assert!(shopify
        .parse_return("refunds/create", CAPTURED_REQUEST.as_bytes())
        .is_err());
    assert!(shopify
        .parse_return("returns/request", CAPTURED_REQUEST.as_bytes())
        .is_ok());
    let woo = WooCommerce;
    assert!(!woo.carries_return("returns/request"));
    assert!(woo
        .parse_return("returns/request", CAPTURED_REQUEST.as_bytes())
        .is_err());
}
