//! Shopify wire shapes for refunding a customer (`docs/protocols/after-sale.md` §1): the REST
//! calculate call that suggests the parent transactions, the GraphQL `refundCreate` input and
//! mutation, its answer, and the idempotency key. Nothing here leaves the Shopify connector.
//!
//! Sources, per shape:
//! - calculate: `POST orders/{id}/refunds/calculate.json`, request and answer as in the
//!   official library's mock test_6 (`Shopify/shopify-app-js@0ded5634dccae1e16a10e8b7b9a0f0cd8523b6aa`,
//!   `packages/apps/shopify-api/rest/admin/__tests__/2025-07/refund.test.ts`; after-sale.md
//!   §1.3): transactions of `kind: "suggested_refund"` naming `parent_id`, `gateway` and
//!   `maximum_refundable`;
//! - `RefundInput` (`orderId`, `currency`, `note`, `notify`, `refundLineItems`, `shipping`,
//!   `transactions`), `RefundLineItemInput` (`lineItemId`, `quantity`, `restockType`,
//!   `locationId`), `ShippingRefundInput` (`amount`), `OrderTransactionInput` (`orderId`,
//!   `parentId`, `gateway`, `kind`, `amount`):
//!   https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/RefundInput and the
//!   input objects it links (after-sale.md §1.2);
//! - the mutation document and variables: the documented example "Create a refund with a note
//!   and transaction" (https://shopify.dev/docs/admin-api/graphql/reference/mutation/refundcreate),
//!   with `@idempotent(key: "…")` placed as in the changelog's example
//!   (https://shopify.dev/changelog/adding-idempotency-for-inventory-adjustments-and-refund-mutations);
//! - the answer: `RefundCreatePayload { refund, userErrors { field message } }`
//!   (https://shopify.dev/docs/api/admin-graphql/2026-01/payloads/RefundCreatePayload) and the
//!   `Refund` object's `legacyResourceId` ("The ID of the corresponding resource in the REST
//!   Admin API") and `totalRefundedSet`.

use crate::platforms::admin::{outside_text, StoreApiError};
use crate::platforms::admin_refund::RefundPush;
use crate::platforms::decode::{ExternalId, NumberText};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use serde::Deserialize;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;

/// The GraphQL `refundCreate` document: `key` is inlined as the changelog's example does (a
/// UUID: hex digits and dashes, nothing to escape); the input comes as `$input`.
pub(super) fn mutation(key: &str) -> String {
    format!(
        "mutation RefundCreate($input: RefundInput!) {{ refundCreate(input: $input) \
         @idempotent(key: \"{key}\") {{ refund {{ id legacyResourceId note totalRefundedSet \
         {{ presentmentMoney {{ amount currencyCode }} }} }} userErrors {{ field message }} }} }}"
    )
}

/// `gid://shopify/{kind}/{id}`: the GraphQL id of a REST resource (REST answers carry it as
/// `admin_graphql_api_id`, e.g. `"gid://shopify/OrderTransaction/1068278526"` in the mocks).
pub(super) fn gid(kind: &str, id: &str) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// The `RefundLineItemRestockType` for a refunded line: `RETURN` (fulfilled items put back)
/// when the goods came back and were restocked, else `NO_RESTOCK`.
fn restock_type(push: &RefundPush) -> &'static str {
    if push.restock {
        "RETURN"
    } else {
        "NO_RESTOCK"
    }
}

/// An amount as a JSON number (the REST mocks write request money as numbers, `41.94`),
/// written from the exact decimal text: it prints back as that text.
fn json_number(text: &str) -> Value {
    text.parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or_else(|_| Value::String(text.to_string()))
}

fn decimal(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).to_decimal_string()
}

/// `POST orders/{id}/refunds/calculate.json` body: the lines (REST spells the restock types
/// in lower case) and the shipping amount, in the order's currency.
pub(super) fn calculate_body(push: &RefundPush, line_ids: &[u64]) -> Value {
    let lines: Vec<Value> = push
        .lines
        .iter()
        .zip(line_ids)
        .map(|(line, id)| {
            json!({
                "line_item_id": id,
                "quantity": line.quantity,
                "restock_type": restock_type(push).to_ascii_lowercase(),
            })
        })
        .collect();
    json!({"refund": {
        "currency": push.currency.code(),
        "shipping": {"amount": json_number(&decimal(push.shipping_minor, push.currency))},
        "refund_line_items": lines,
    }})
}

/// The calculate answer.
#[derive(Debug, Deserialize)]
pub(super) struct CalculateAnswer {
    pub refund: Calculated,
}

#[derive(Debug, Deserialize)]
pub(super) struct Calculated {
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub refund_line_items: Vec<CalculatedLine>,
    #[serde(default)]
    pub transactions: Vec<Suggested>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CalculatedLine {
    pub line_item_id: Option<ExternalId>,
    #[serde(default)]
    pub location_id: Option<ExternalId>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Suggested {
    pub kind: Option<String>,
    pub gateway: Option<String>,
    pub parent_id: Option<ExternalId>,
    pub maximum_refundable: Option<NumberText>,
}

/// Money back from one parent transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Draw {
    pub parent_id: String,
    pub gateway: String,
    pub amount_minor: i64,
}

/// What each suggested parent gives back: `total` in the order they come, each capped at
/// what is left of it (`maximum_refundable`). The order cannot refund more than the parents
/// hold: that is refused here, naming both amounts, before anything is created.
pub(super) fn draws(
    push: &RefundPush,
    calculated: &Calculated,
) -> Result<Vec<Draw>, StoreApiError> {
    let currency = push.currency;
    if let Some(code) = calculated.currency.as_deref() {
        if code != currency.code() {
            return Err(StoreApiError::Refused(format!(
                "the order refunds in {}, the case is in {}",
                outside_text(code),
                currency.code()
            )));
        }
    }
    let total = push.total_minor();
    let mut left = total;
    let mut refundable = 0i64;
    let mut draws = Vec::new();
    for (i, tx) in calculated.transactions.iter().enumerate() {
        if tx.kind.as_deref() != Some("suggested_refund") {
            continue;
        }
        let missing = |what: &str| {
            StoreApiError::Protocol(format!("calculate: transactions[{i}] without {what}"))
        };
        let parent = tx.parent_id.clone().ok_or_else(|| missing("parent_id"))?.0;
        let gateway = tx.gateway.clone().ok_or_else(|| missing("gateway"))?;
        let NumberText(max) = tx
            .maximum_refundable
            .clone()
            .ok_or_else(|| missing("maximum_refundable"))?;
        let max = Money::parse_decimal(&max, currency)
            .map_err(|e| StoreApiError::Protocol(format!("calculate: transactions[{i}]: {e}")))?
            .minor
            .max(0);
        refundable += max;
        let take = left.min(max);
        if take > 0 {
            draws.push(Draw {
                parent_id: parent,
                gateway,
                amount_minor: take,
            });
            left -= take;
        }
    }
    if left > 0 {
        return Err(StoreApiError::Refused(format!(
            "the order can refund at most {} {code}; the case asks {} {code}",
            decimal(refundable, currency),
            decimal(total, currency),
            code = currency.code()
        )));
    }
    Ok(draws)
}

/// Where calculate put each restocked line back (`location_id`), by line item id.
pub(super) fn locations(calculated: &Calculated) -> BTreeMap<String, String> {
    calculated
        .refund_line_items
        .iter()
        .filter_map(|l| Some((l.line_item_id.clone()?.0, l.location_id.clone()?.0)))
        .collect()
}

/// The `RefundInput` for `push` on order `order_id`, its money drawn as `draws` say.
pub(super) fn refund_input(
    push: &RefundPush,
    order_id: &str,
    line_ids: &[u64],
    draws: &[Draw],
    locations: &BTreeMap<String, String>,
) -> Value {
    let order = gid("Order", order_id);
    let restock = restock_type(push);
    let lines: Vec<Value> = push
        .lines
        .iter()
        .zip(line_ids)
        .map(|(line, id)| {
            let id = id.to_string();
            let mut item = json!({
                "lineItemId": gid("LineItem", &id),
                "quantity": line.quantity,
                "restockType": restock,
            });
            // "If the restockType is set to NO_RESTOCK, then this value is empty."
            if let Some(location) = locations.get(&id).filter(|_| push.restock) {
                item["locationId"] = json!(gid("Location", location));
            }
            item
        })
        .collect();
    let transactions: Vec<Value> = draws
        .iter()
        .map(|d| {
            json!({
                "orderId": order,
                "parentId": gid("OrderTransaction", &d.parent_id),
                "gateway": d.gateway,
                "kind": "REFUND",
                "amount": decimal(d.amount_minor, push.currency),
            })
        })
        .collect();
    let mut input = json!({
        "orderId": order,
        "currency": push.currency.code(),
        "note": push.store_note(),
        "notify": push.notify_customer,
    });
    if !lines.is_empty() {
        input["refundLineItems"] = Value::Array(lines);
    }
    if push.shipping_minor > 0 {
        input["shipping"] = json!({"amount": decimal(push.shipping_minor, push.currency)});
    }
    if !transactions.is_empty() {
        input["transactions"] = Value::Array(transactions);
    }
    input
}

/// The namespace of dropflow's refund keys (a UUID of our own; any fixed one will do).
const KEY_NAMESPACE: [u8; 16] = [
    0x6d, 0x1c, 0x2b, 0x8e, 0x5f, 0x0a, 0x4c, 0x3d, 0x9e, 0x71, 0x02, 0xb4, 0xa8, 0x55, 0xc6, 0x13,
];

/// A name-based UUID (version 5, RFC 9562 §5.5: SHA-1 of the namespace's bytes and the name,
/// version and variant bits set).
pub(super) fn uuid_v5(namespace: &[u8; 16], name: &[u8]) -> uuid::Uuid {
    let mut hash = Sha1::new();
    hash.update(namespace);
    hash.update(name);
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

/// The `@idempotent` key of a refund: a UUID v5 of the case and the input sent.
///
/// Shopify: "Duplicate requests must use the same idempotency key" — a duplicate being one
/// "that has the same mutation variables" — and "Distinct requests need different idempotency
/// keys" (https://shopify.dev/docs/api/usage/implementing-idempotency). So the same case
/// asking the same refund again (a retry after a timeout, a crash) sends the same key and
/// Shopify answers the first result; a case whose request changed (the store refused it and
/// the merchant changed the case, or less is left to refund) sends a new key instead of one
/// Shopify would refuse as `IDEMPOTENCY_KEY_PARAMETER_MISMATCH` for ever. Refunding a case
/// twice is prevented by the marker read back first, not by the key alone.
pub(super) fn idempotency_key(reference: &str, input: &Value) -> String {
    let name = format!("shopify refundCreate\n{reference}\n{input}");
    uuid_v5(&KEY_NAMESPACE, name.as_bytes()).to_string()
}

/// A GraphQL answer to `refundCreate`.
#[derive(Debug, Deserialize)]
pub(super) struct GraphqlAnswer {
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

#[derive(Debug, Deserialize)]
struct Data {
    #[serde(rename = "refundCreate")]
    refund_create: Option<Payload>,
}

#[derive(Debug, Deserialize)]
struct Payload {
    refund: Option<CreatedRefund>,
    #[serde(default, rename = "userErrors")]
    user_errors: Vec<UserError>,
}

#[derive(Debug, Deserialize)]
struct UserError {
    #[serde(default)]
    field: Option<Vec<String>>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CreatedRefund {
    id: Option<String>,
    #[serde(rename = "legacyResourceId")]
    legacy_resource_id: Option<String>,
    #[serde(rename = "totalRefundedSet")]
    total_refunded_set: Option<MoneyBag>,
}

#[derive(Debug, Deserialize)]
struct MoneyBag {
    #[serde(rename = "presentmentMoney")]
    presentment_money: Option<MoneyV2>,
}

#[derive(Debug, Deserialize)]
struct MoneyV2 {
    amount: Option<String>,
    #[serde(rename = "currencyCode")]
    currency_code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GraphqlError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    extensions: Option<Extensions>,
}

#[derive(Debug, Deserialize)]
struct Extensions {
    #[serde(default)]
    code: Option<String>,
}

/// The refund `refundCreate` made (REST id, money back in minor units), or what stopped it:
/// - top-level `errors`: `THROTTLED` (the cost bucket is empty; `{"errors": [{"message":
///   "Throttled", "extensions": {"code": "THROTTLED", …}}]}`, a captured answer quoted on the
///   Shopify community forum) is a rate limit, `ACCESS_DENIED` our credentials,
///   `IDEMPOTENCY_CONCURRENT_REQUEST` ("This request is currently in progress, please try
///   again.") a transient refusal to retry with the same key; anything else is a request
///   Shopify could not run: a protocol error;
/// - `userErrors`: Shopify understood and said no (amounts, quantities): `Refused`, with
///   Shopify's own words.
pub(super) fn read_created(
    answer: GraphqlAnswer,
    currency: Currency,
) -> Result<(String, i64), StoreApiError> {
    if let Some(first) = answer.errors.first() {
        let message = outside_text(
            &answer
                .errors
                .iter()
                .filter_map(|e| e.message.as_deref())
                .collect::<Vec<_>>()
                .join("; "),
        );
        let code = first
            .extensions
            .as_ref()
            .and_then(|e| e.code.as_deref())
            .unwrap_or_default();
        return Err(match code {
            "THROTTLED" => StoreApiError::RateLimited { retry_after: None },
            "ACCESS_DENIED" => StoreApiError::Unauthorized(message),
            "IDEMPOTENCY_CONCURRENT_REQUEST" => StoreApiError::Unavailable(message),
            _ => StoreApiError::Protocol(format!("refundCreate: {message}")),
        });
    }
    let payload = answer
        .data
        .and_then(|d| d.refund_create)
        .ok_or_else(|| StoreApiError::Protocol("refundCreate answered no payload".to_string()))?;
    if !payload.user_errors.is_empty() {
        let said: Vec<String> = payload
            .user_errors
            .iter()
            .map(|e| {
                let message = e.message.as_deref().unwrap_or("refused");
                match e.field.as_deref() {
                    Some(field) if !field.is_empty() => format!("{}: {message}", field.join(".")),
                    _ => message.to_string(),
                }
            })
            .collect();
        return Err(StoreApiError::Refused(outside_text(&said.join("; "))));
    }
    let refund = payload.refund.ok_or_else(|| {
        StoreApiError::Protocol("refundCreate answered neither a refund nor userErrors".to_string())
    })?;
    let id = refund
        .legacy_resource_id
        .filter(|id| !id.trim().is_empty())
        .or_else(|| {
            refund
                .id
                .as_deref()
                .and_then(|gid| gid.rsplit('/').next())
                .map(str::to_string)
        })
        .ok_or_else(|| {
            StoreApiError::Protocol("refundCreate: a refund without an id".to_string())
        })?;
    let money = refund
        .total_refunded_set
        .and_then(|s| s.presentment_money)
        .ok_or_else(|| {
            StoreApiError::Protocol("refundCreate: a refund without totalRefundedSet".to_string())
        })?;
    if let Some(code) = money
        .currency_code
        .as_deref()
        .filter(|c| *c != currency.code())
    {
        return Err(StoreApiError::Protocol(format!(
            "refundCreate: refunded in {}, not {}",
            outside_text(code),
            currency.code()
        )));
    }
    let amount = money.amount.unwrap_or_default();
    let minor = Money::parse_decimal(&amount, currency)
        .map_err(|e| StoreApiError::Protocol(format!("refundCreate: totalRefundedSet: {e}")))?
        .minor;
    Ok((id, minor))
}
