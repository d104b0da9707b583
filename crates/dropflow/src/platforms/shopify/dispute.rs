//! The body of a `disputes/create` / `disputes/update` webhook: the REST Dispute resource,
//! bare (like `orders/*` and `refunds/create`), read into [`StoreDispute`].
//!
//! Shapes from the Dispute resource reference
//! (https://shopify.dev/docs/api/admin-rest/2026-01/resources/dispute) and the official
//! library's mocks (`Shopify/shopify-app-js@af659d245115a5cc57a896afb014f72bfb2db983`,
//! `packages/apps/shopify-api/rest/admin/__tests__/2025-07/dispute.test.ts`), summarised in
//! `docs/protocols/after-sale.md` §2.3:
//! - ids are integers (text accepted, as everywhere); `order_id` may be `null`;
//! - `type` is `chargeback` | `inquiry`; `status` one of six REST words (GraphQL spells them
//!   in capitals and adds `PREVENTED`): both are read, an unknown one is kept;
//! - `amount` is a decimal string in `currency`;
//! - `evidence_due_by`, `evidence_sent_on`, `finalized_on`, `initiated_at` are ISO 8601 with
//!   an offset, or `null`. GraphQL types the first three as `Date` (no time): a bare date is
//!   read as midnight UTC.

use crate::platforms::decode::{self, currency, money, required, ExternalId, NumberText};
use crate::platforms::PayloadError;
use chrono::{NaiveDate, Utc};
use dropflow_core::after_sale::dispute::{DisputeKind, DisputeStatus, StoreDispute};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Dispute {
    id: Option<ExternalId>,
    order_id: Option<ExternalId>,
    #[serde(rename = "type")]
    kind: Option<String>,
    amount: Option<NumberText>,
    currency: Option<String>,
    reason: Option<String>,
    network_reason_code: Option<NumberText>,
    status: Option<String>,
    evidence_due_by: Option<String>,
    evidence_sent_on: Option<String>,
    finalized_on: Option<String>,
    initiated_at: Option<String>,
}

/// Reads a `disputes/*` body.
pub fn parse_dispute(body: &[u8]) -> Result<StoreDispute, PayloadError> {
    let dispute: Dispute = decode::json(body)?;
    let dispute_id = required(dispute.id, "id")?.0;
    let kind_text = required(dispute.kind.as_deref(), "type")?;
    let kind = DisputeKind::parse(kind_text).ok_or_else(|| {
        decode::invalid("type", "expected \"chargeback\" or \"inquiry\"".to_string())
    })?;
    let status_text = required(dispute.status.as_deref(), "status")?;
    if status_text.trim().is_empty() {
        return Err(decode::invalid("status", "empty"));
    }
    let code = required(dispute.currency.as_deref(), "currency")?;
    let dispute_currency = currency(code, "currency")?;
    let NumberText(amount) = required(dispute.amount, "amount")?;
    let amount = money(&amount, dispute_currency, "amount")?;
    Ok(StoreDispute {
        dispute_id,
        order_external_id: dispute.order_id.map(|ExternalId(id)| id),
        kind,
        status: DisputeStatus::parse(status_text),
        reason: dispute
            .reason
            .map(|r| r.trim().to_ascii_lowercase())
            .filter(|r| !r.is_empty()),
        network_reason_code: dispute
            .network_reason_code
            .map(|NumberText(code)| code.trim().to_string())
            .filter(|c| !c.is_empty()),
        amount,
        evidence_due_by_ms: instant(dispute.evidence_due_by, "evidence_due_by")?,
        evidence_sent_on_ms: instant(dispute.evidence_sent_on, "evidence_sent_on")?,
        finalized_on_ms: instant(dispute.finalized_on, "finalized_on")?,
        initiated_at_ms: instant(dispute.initiated_at, "initiated_at")?,
    })
}

/// An optional ISO 8601 time (REST: with an offset; GraphQL `Date`: a bare day, midnight
/// UTC), in epoch ms.
fn instant(text: Option<String>, path: &str) -> Result<Option<i64>, PayloadError> {
    let Some(text) = text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(day) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        let midnight = day
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis());
        return Ok(midnight);
    }
    let at = decode::timestamp_with_offset(&text, path)?;
    Ok(Some(at.with_timezone(&Utc).timestamp_millis()))
}
