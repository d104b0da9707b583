//! `disputes/*` bodies read into a store dispute, against the official library's mocks
//! (`Shopify/shopify-app-js@af659d245115a5cc57a896afb014f72bfb2db983`,
//! `packages/apps/shopify-api/rest/admin/__tests__/2025-07/dispute.test.ts`) and the Dispute
//! resource page (https://shopify.dev/docs/api/admin-rest/2026-01/resources/dispute; copied
//! in `docs/protocols/after-sale.md` §2.3). A webhook body is the bare resource, so the
//! mocks' `{"dispute": …}` wrapper is taken off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::dispute::parse_dispute;
use dropflow_core::after_sale::dispute::{DisputeKind, DisputeStatus};

/// test_4's answer (`Dispute.find`, id 598735659), verbatim but for the wrapper.
const SDK_DISPUTE: &str = r#"{"id": 598735659, "order_id": 625362839, "type": "chargeback", "amount": "11.50", "currency": "USD", "reason": "fraudulent", "network_reason_code": "4827", "status": "needs_response", "evidence_due_by": "2099-12-29T19:00:00-05:00", "evidence_sent_on": null, "finalized_on": null, "initiated_at": "2013-05-03T20:00:00-04:00"}"#;

/// The first dispute of test_1's list: no order (a payment outside an order).
const SDK_DISPUTE_WITHOUT_ORDER: &str = r#"{"id": 1052608616, "order_id": null, "type": "chargeback", "amount": "100.00", "currency": "USD", "reason": "fraudulent", "network_reason_code": "4827", "status": "won", "evidence_due_by": "2013-07-03T19:00:00-04:00", "evidence_sent_on": "2013-07-04T07:00:00-04:00", "finalized_on": null, "initiated_at": "2013-05-03T20:00:00-04:00"}"#;

/// The resource page's example (blank lines as in the stored copy; no `initiated_at`).
const DOC_DISPUTE: &str = r#"{

"id": 54534554564,

"order_id": 450789469,

"type": "inquiry",

"currency": "USD",

"amount": "102.53",

"reason": "fraudulent",

"network_reason_code": "4840",

"status": "under_review",

"evidence_due_by": "2018-01-10T11:00:00-05:00",

"evidence_sent_on": "2018-01-09T11:00:00-05:00",

"finalized_on": "2018-03-10T11:00:00-05:00"

}"#;

fn ms(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_millis()
}

#[test]
fn the_sdk_dispute_is_a_chargeback_needing_evidence_by_its_due_date() {
    let dispute = parse_dispute(SDK_DISPUTE.as_bytes()).unwrap();
    assert_eq!(dispute.dispute_id, "598735659");
    assert_eq!(dispute.order_external_id.as_deref(), Some("625362839"));
    assert_eq!(dispute.kind, DisputeKind::Chargeback);
    assert_eq!(dispute.status, DisputeStatus::NeedsResponse);
    assert_eq!(dispute.reason.as_deref(), Some("fraudulent"));
    assert_eq!(dispute.network_reason_code.as_deref(), Some("4827"));
    assert_eq!(dispute.amount.minor, 1150);
    assert_eq!(dispute.amount.currency.code(), "USD");
    // 19:00 at -05:00 is midnight UTC the next day.
    assert_eq!(dispute.evidence_due_by_ms, Some(ms("2099-12-30T00:00:00Z")));
    assert_eq!(dispute.evidence_sent_on_ms, None);
    assert_eq!(dispute.finalized_on_ms, None);
    assert_eq!(
        dispute.initiated_at_ms,
        Some(ms("2013-05-03T20:00:00-04:00"))
    );
}

#[test]
fn a_dispute_without_an_order_and_the_documented_inquiry_read_too() {
    let orphan = parse_dispute(SDK_DISPUTE_WITHOUT_ORDER.as_bytes()).unwrap();
    assert_eq!(orphan.order_external_id, None);
    assert_eq!(orphan.status, DisputeStatus::Won);
    assert_eq!(orphan.amount.minor, 10_000);

    let inquiry = parse_dispute(DOC_DISPUTE.as_bytes()).unwrap();
    assert_eq!(inquiry.dispute_id, "54534554564");
    assert_eq!(inquiry.kind, DisputeKind::Inquiry);
    assert_eq!(inquiry.status, DisputeStatus::UnderReview);
    assert_eq!(inquiry.amount.minor, 10_253);
    assert_eq!(
        inquiry.finalized_on_ms,
        Some(ms("2018-03-10T11:00:00-05:00"))
    );
    assert_eq!(inquiry.initiated_at_ms, None);
}

#[test]
fn graphql_spellings_and_bare_dates_read_and_an_unknown_status_is_kept() {
    let body = SDK_DISPUTE
        .replace(
            r#""status": "needs_response""#,
            r#""status": "UNDER_REVIEW""#,
        )
        .replace(r#""type": "chargeback""#, r#""type": "CHARGEBACK""#)
        .replace("2099-12-29T19:00:00-05:00", "2099-12-29");
    let dispute = parse_dispute(body.as_bytes()).unwrap();
    assert_eq!(dispute.status, DisputeStatus::UnderReview);
    assert_eq!(dispute.kind, DisputeKind::Chargeback);
    assert_eq!(dispute.evidence_due_by_ms, Some(ms("2099-12-29T00:00:00Z")));

    let odd = SDK_DISPUTE.replace("needs_response", "escalated");
    let dispute = parse_dispute(odd.as_bytes()).unwrap();
    assert_eq!(dispute.status, DisputeStatus::Other("escalated".into()));
}

#[test]
fn a_body_missing_what_a_dispute_needs_is_refused_naming_the_field() {
    for (from, to, field) in [
        (r#""id": 598735659, "#, "", "id"),
        (r#""type": "chargeback""#, r#""type": "refund""#, "type"),
        (r#""amount": "11.50""#, r#""amount": "eleven""#, "amount"),
        (r#""currency": "USD""#, r#""currency": "XXQ""#, "currency"),
        (
            r#""status": "needs_response""#,
            r#""status": null"#,
            "status",
        ),
        (
            "2099-12-29T19:00:00-05:00",
            "next tuesday",
            "evidence_due_by",
        ),
    ] {
        let body = SDK_DISPUTE.replace(from, to);
        assert_ne!(body, SDK_DISPUTE, "{from}");
        let error = parse_dispute(body.as_bytes()).unwrap_err().to_string();
        assert!(error.contains(field), "{field}: {error}");
    }
    // A REST GET answer (wrapped) is not a webhook body.
    let wrapped = format!(r#"{{"dispute": {SDK_DISPUTE}}}"#);
    assert!(parse_dispute(wrapped.as_bytes()).is_err());
}

/// Shopify's two dispute topics are disputes (and nothing else is); WooCommerce tells none.
#[test]
fn only_shopify_dispute_topics_carry_a_dispute() {
    use crate::platforms::woocommerce::WooCommerce;
    use crate::platforms::StorePlatform;
    let shopify = super::Shopify;
    assert!(shopify.carries_dispute("disputes/create"));
    assert!(shopify.carries_dispute("disputes/update"));
    for other in ["refunds/create", "orders/updated", "disputes/delete", ""] {
        assert!(!shopify.carries_dispute(other), "{other}");
    }
    assert!(!shopify.carries_order("disputes/create"));
    assert!(!shopify.carries_refund("disputes/update"));
    assert_eq!(
        shopify
            .parse_dispute(SDK_DISPUTE.as_bytes())
            .unwrap()
            .dispute_id,
        "598735659"
    );
    let woo = WooCommerce;
    assert!(!woo.carries_dispute("disputes/create"));
    assert!(!woo.carries_dispute("order.updated"));
    assert!(woo.parse_dispute(SDK_DISPUTE.as_bytes()).is_err());
}

/// The sandbox's dispute bodies have the keys of the SDK's (so the sandbox does not drift
/// from the documented resource) and read as the stage they say.
#[test]
fn the_sandbox_disputes_have_the_sdks_keys_and_read_as_their_stage() {
    let sdk: serde_json::Value = serde_json::from_str(SDK_DISPUTE).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    for (status, expected, settled) in [
        ("needs_response", DisputeStatus::NeedsResponse, false),
        ("won", DisputeStatus::Won, true),
    ] {
        let body = dropflow_sandbox::shopify::dispute_payload(7, 625362839, "11.50", "USD", status);
        assert_eq!(keys(&body), keys(&sdk), "{body}");
        let dispute = parse_dispute(body.to_string().as_bytes()).unwrap();
        assert_eq!(dispute.status, expected);
        assert_eq!(dispute.amount.minor, 1150);
        assert_eq!(dispute.order_external_id.as_deref(), Some("625362839"));
        assert_eq!(dispute.finalized_on_ms.is_some(), settled);
    }
}
