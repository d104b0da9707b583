//! `refunds/create` bodies read into a store refund, against the official library's mocks
//! (`Shopify/shopify-app-js@0ded5634dccae1e16a10e8b7b9a0f0cd8523b6aa`,
//! `packages/apps/shopify-api/rest/admin/__tests__/2025-07/refund.test.ts`; copied in
//! `docs/protocols/after-sale.md` §1.3). A webhook body is the bare resource, so the mocks'
//! `{"refund": …}` wrapper is taken off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::refund::parse_refund;

/// test_2's answer, verbatim but for the nested `line_item` object (elided in the notes; it
/// is nothing this reader uses) and the wrapper.
const SDK_REFUND: &str = r#"{"id": "929361472", "order_id": "450789469", "created_at": "2025-04-02T11:38:34-05:00", "note": "wrong size", "user_id": null, "processed_at": "2025-04-02T11:38:34-05:00", "duties": [], "total_duties_set": {"shop_money": {"amount": "0.00", "currency_code": "USD"}, "presentment_money": {"amount": "0.00", "currency_code": "USD"}}, "return": null, "restock": false, "additional_fees": [], "total_additional_fees_set": {"shop_money": {"amount": "0.00", "currency_code": "USD"}, "presentment_money": {"amount": "0.00", "currency_code": "USD"}}, "refund_shipping_lines": [], "admin_graphql_api_id": "gid://shopify/Refund/929361472", "order_adjustments": [], "refund_line_items": [{"location_id": null, "restock_type": "no_restock", "quantity": 1, "id": "1058498320", "line_item_id": "518995019", "subtotal": 0.0, "total_tax": 0.0, "subtotal_set": {"shop_money": {"amount": "0.00", "currency_code": "USD"}, "presentment_money": {"amount": "0.00", "currency_code": "USD"}}, "total_tax_set": {"shop_money": {"amount": "0.00", "currency_code": "USD"}, "presentment_money": {"amount": "0.00", "currency_code": "USD"}}}], "transactions": [{"id": "1068278526", "order_id": "450789469", "kind": "refund", "gateway": "bogus", "status": "success", "message": "Bogus Gateway: Forced success", "created_at": "2025-04-02T11:38:34-05:00", "test": true, "authorization": null, "location_id": null, "user_id": null, "parent_id": "801038806", "processed_at": "2025-04-02T11:38:34-05:00", "device_id": null, "error_code": null, "source_name": "755357713", "receipt": {}, "amount": "41.94", "currency": "USD", "payment_id": "c901414060.1", "total_unsettled_set": {"presentment_money": {"amount": "348.0", "currency": "USD"}, "shop_money": {"amount": "348.0", "currency": "USD"}}, "manual_payment_gateway": false, "amount_rounding": null, "admin_graphql_api_id": "gid://shopify/OrderTransaction/1068278526"}]}"#;

#[test]
fn the_sdk_refund_is_one_unit_of_its_line_and_the_successful_transaction() {
    let refund = parse_refund(SDK_REFUND.as_bytes()).unwrap();
    assert_eq!(refund.refund_id, "929361472");
    assert_eq!(refund.order_external_id, "450789469");
    assert_eq!(refund.lines.len(), 1);
    assert_eq!(refund.lines[0].line_id, "518995019");
    assert_eq!(refund.lines[0].quantity, 1);
    assert_eq!(refund.total_minor, 4194);
    assert_eq!(refund.shipping_minor, 0);
    assert_eq!(refund.return_id, None);
    assert_eq!(refund.note.as_deref(), Some("wrong size"));
}

/// test_3 (a shipping-only refund of 5.00) answers the shipping twice: as a
/// `refund_shipping_lines` entry and as a `shipping_refund` order adjustment. The entry's
/// and the adjustment's fields are as the notes give them; the money bag is filled in.
#[test]
fn shipping_sent_both_ways_counts_once_and_older_answers_use_the_adjustment() {
    let both = r#"{"id": 509562969, "order_id": 450789469, "return": null,
        "refund_line_items": [],
        "refund_shipping_lines": [{"id": "623176826", "shipping_line_id": "369256396",
            "subtotal_amount_set": {"shop_money": {"amount": "5.00", "currency_code": "USD"},
                "presentment_money": {"amount": "5.00", "currency_code": "USD"}}}],
        "order_adjustments": [{"kind": "shipping_refund", "reason": "Shipping refund",
            "amount": "-5.00", "tax_amount": "0.00"}],
        "transactions": [{"kind": "refund", "status": "success", "amount": "5.00",
            "currency": "USD", "parent_id": 801038806, "gateway": "web"}]}"#;
    let refund = parse_refund(both.as_bytes()).unwrap();
    assert_eq!((refund.total_minor, refund.shipping_minor), (500, 500));
    assert!(refund.lines.is_empty());

    let older = both.replace(r#""refund_shipping_lines": [{"#, r#""unused": [{"#);
    let refund = parse_refund(older.as_bytes()).unwrap();
    assert_eq!(refund.shipping_minor, 500);
}

/// A refund that settles a Shopify Return names it (a third party's captured body, integer
/// ids: `"return": {"admin_graphql_api_id": "gid://shopify/Return/6701154584", "id":
/// 6701154584}`); failed or non-refund transactions are not money back.
#[test]
fn a_return_refund_names_the_return_and_only_successful_refunds_count() {
    let body = r#"{"id": 1, "order_id": 2, "restock": true,
        "return": {"admin_graphql_api_id": "gid://shopify/Return/6701154584", "id": 6701154584},
        "refund_line_items": [{"line_item_id": 3, "quantity": 2, "restock_type": "return",
            "location_id": 5791776832}],
        "transactions": [
            {"kind": "refund", "status": "success", "amount": "161.25", "currency": "CAD",
             "gateway": "shopify_payments", "parent_id": 7314460967192},
            {"kind": "refund", "status": "failure", "amount": "161.25", "currency": "CAD"},
            {"kind": "suggested_refund", "status": "success", "amount": "9.00", "currency": "CAD"}]}"#;
    let refund = parse_refund(body.as_bytes()).unwrap();
    assert_eq!(refund.return_id.as_deref(), Some("6701154584"));
    assert_eq!(refund.total_minor, 16125);
    assert_eq!(refund.lines[0].quantity, 2);

    let mixed = body
        .replace(
            r#""amount": "9.00", "currency": "CAD""#,
            r#""amount": "9.00", "currency": "USD""#,
        )
        .replace("suggested_refund", "refund");
    let err = parse_refund(mixed.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("transactions[2].currency"),
        "{err}"
    );
}

#[test]
fn a_refund_without_its_ids_or_with_a_bad_quantity_is_refused_naming_the_field() {
    for (body, field) in [
        (r#"{"order_id": 2, "transactions": []}"#, "id"),
        (r#"{"id": 1, "transactions": []}"#, "order_id"),
        (
            r#"{"id": 1, "order_id": 2, "refund_line_items": [{"line_item_id": 3, "quantity": 0}]}"#,
            "refund_line_items[0].quantity",
        ),
        (
            r#"{"id": 1, "order_id": 2, "transactions": [{"kind": "refund", "status": "success", "amount": "-1.00", "currency": "USD"}]}"#,
            "transactions[0].amount",
        ),
    ] {
        let err = parse_refund(body.as_bytes()).unwrap_err();
        assert!(err.to_string().contains(field), "{body}: {err}");
    }
}
