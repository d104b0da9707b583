//! Refunding a customer through Shopify's Admin API for an after-sale case
//! (`docs/protocols/after-sale.md` §0–§1), and reading an order's refunds back.
//!
//! Why GraphQL for the refund itself: REST `refunds.json` is legacy and takes no idempotency
//! key; GraphQL `refundCreate` takes `@idempotent(key:)`, mandatory from 2026-04 (after-sale.md
//! §1.1). A refund is three calls:
//! 1. `GET orders/{id}/refunds.json` (REST, read by [`super::refund::parse_refund`]): a refund
//!    whose note carries the case's marker means the case was refunded already (a repeat after
//!    a lost answer): `AlreadyRefunded`, nothing is created;
//! 2. `POST orders/{id}/refunds/calculate.json` (REST): Shopify's suggestion names the sale or
//!    capture transactions to refund from and what is left of each; the case's total is drawn
//!    from them, each capped at its `maximum_refundable`, or refused before anything is made;
//! 3. GraphQL `refundCreate` with the lines (restocked or not), the shipping, the transactions,
//!    `notify`, the note with the marker, and an `@idempotent` key derived from the case and
//!    the request ([`super::refund_wire::idempotency_key`]): a retry of the same request is
//!    answered with the first result by Shopify itself.
//!
//! Amounts are the order's currency in its exact minor units (`Money::to_decimal_string`:
//! `"3500"` JPY, `"12.345"` KWD). 429s are waited out as for fulfilments; a GraphQL
//! `THROTTLED` answer is reported as a rate limit. Logs carry ids only.

use super::admin::{ShopifyAdmin, REFUSALS, TOKEN_HEADER};
use super::refund::parse_refund;
use super::refund_wire::{
    calculate_body, draws, idempotency_key, locations, mutation, read_created, refund_input,
    CalculateAnswer, GraphqlAnswer,
};
use crate::platforms::admin::{call_json, not_found_is_order, StoreApiError};
use crate::platforms::admin_refund::{case_in_note, RefundOutcome, RefundPush};
use dropflow_core::after_sale::StoreRefund;
use reqwest::Method;
use serde_json::{json, Value};

/// The GraphQL Admin API version spoken for `refundCreate`. Not the REST 2025-07 of the
/// fulfilment calls: `@idempotent` on `refundCreate` exists from 2026-01 and is mandatory from
/// 2026-04 (https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations),
/// and 2026-07 is the stable version whose `RefundInput` was read for this connector
/// (https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/RefundInput).
pub const GRAPHQL_API_VERSION: &str = "2026-07";

/// Most refunds one read-back lists (the REST list's `limit` maximum).
const REFUNDS_PER_READ: u32 = 250;

/// An order id as Shopify numbers them, or `NotFound`.
fn order_key(store_order_id: &str) -> Result<&str, StoreApiError> {
    let id = store_order_id.trim();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreApiError::NotFound(format!(
            "order {id:?} (Shopify order ids are numbers)"
        )));
    }
    Ok(id)
}

/// The push's line item ids as numbers, checked with the amounts before any call.
fn checked_lines(push: &RefundPush) -> Result<Vec<u64>, StoreApiError> {
    if push.goods_minor < 0 || push.shipping_minor < 0 {
        return Err(StoreApiError::Refused(
            "a refund's amounts cannot be negative".to_string(),
        ));
    }
    if push.lines.is_empty() && push.total_minor() == 0 {
        return Err(StoreApiError::Refused(
            "nothing to refund: no units and no money".to_string(),
        ));
    }
    push.lines
        .iter()
        .map(|line| {
            let id = line.store_line_id.trim();
            match id.parse::<u64>() {
                Ok(n) if line.quantity > 0 => Ok(n),
                Ok(_) => Err(StoreApiError::Refused(format!(
                    "line item {id}: a refunded line needs a quantity"
                ))),
                Err(_) => Err(StoreApiError::NotFound(format!(
                    "line item {id:?} (Shopify line item ids are numbers)"
                ))),
            }
        })
        .collect()
}

impl ShopifyAdmin {
    /// Every refund of the order, oldest first (REST `GET orders/{id}/refunds.json`).
    pub(super) async fn read_refunds(
        &self,
        store_order_id: &str,
    ) -> Result<Vec<StoreRefund>, StoreApiError> {
        let order_id = order_key(store_order_id)?;
        let answer: Value = self
            .order_resource(order_id, &format!("refunds.json?limit={REFUNDS_PER_READ}"))
            .await?;
        let list = answer
            .get("refunds")
            .and_then(Value::as_array)
            .ok_or_else(|| StoreApiError::Protocol("refunds.json without refunds".to_string()))?;
        list.iter()
            .enumerate()
            .map(|(i, refund)| {
                let body = serde_json::to_vec(refund)
                    .map_err(|e| StoreApiError::Protocol(format!("refunds[{i}]: {e}")))?;
                parse_refund(&body)
                    .map_err(|e| StoreApiError::Protocol(format!("refunds.json refunds[{i}]: {e}")))
            })
            .collect()
    }

    /// One GraphQL call, repeated after 429s; a 2xx answer read as `T`.
    pub(super) async fn graphql<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<T, StoreApiError> {
        let url = format!(
            "{}/admin/api/{GRAPHQL_API_VERSION}/graphql.json",
            self.base_url
        );
        let request = self
            .endpoint
            .request(Method::POST, url)
            .header(TOKEN_HEADER, &self.access_token);
        let body = json!({"query": query, "variables": variables});
        call_json(
            &self.endpoint,
            "graphql.json",
            request,
            Some(&body),
            REFUSALS,
        )
        .await
    }

    pub(super) async fn refund_case(
        &self,
        push: &RefundPush,
    ) -> Result<RefundOutcome, StoreApiError> {
        let order_id = order_key(&push.store_order_id)?;
        let line_ids = checked_lines(push)?;
        let reference = push.reference.trim();

        let existing = self.read_refunds(order_id).await?;
        if let Some(found) = existing
            .iter()
            .find(|r| r.note.as_deref().and_then(case_in_note) == Some(reference))
        {
            tracing::info!(order_id, reference, refund_id = %found.refund_id,
                "shopify: the case's refund is already on the order; nothing created");
            return Ok(RefundOutcome::AlreadyRefunded {
                store_refund_id: found.refund_id.clone(),
                amount_minor: found.total_minor,
            });
        }

        let calculated: CalculateAnswer = self
            .call(
                Method::POST,
                &format!("orders/{order_id}/refunds/calculate.json"),
                Some(&calculate_body(push, &line_ids)),
            )
            .await
            .map_err(|e| not_found_is_order(e, order_id))?;
        let draws = draws(push, &calculated.refund)?;
        let input = refund_input(
            push,
            order_id,
            &line_ids,
            &draws,
            &locations(&calculated.refund),
        );
        let key = idempotency_key(reference, &input);
        let answer: GraphqlAnswer = self
            .graphql(&mutation(&key), json!({ "input": input }))
            .await?;
        let (refund_id, amount_minor) = read_created(answer, push.currency)?;
        tracing::info!(order_id, reference, refund_id = %refund_id, amount_minor,
            "shopify: refund created");
        Ok(RefundOutcome::Refunded {
            store_refund_id: refund_id,
            amount_minor,
        })
    }
}

/// A refund's result, a failure logged first (ids only: the error names no customer data).
pub(super) fn logged(
    push: &RefundPush,
    result: Result<RefundOutcome, StoreApiError>,
) -> Result<RefundOutcome, StoreApiError> {
    if let Err(error) = &result {
        tracing::warn!(order_id = %push.store_order_id, reference = %push.reference,
            %error, "shopify: refund failed");
    }
    result
}
