use crate::storage::card_top_ups::CardTopUp as Row;
use chrono::{DateTime, Utc};

/// A wallet top-up paid by card (Stripe Checkout).
///
/// Written by hand rather than with `view!`: one stored amount is served as two fields.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CardTopUp {
    /// Our id: the payment's `client_reference_id` at Stripe.
    id: String,
    store_id: String,
    /// `stripe`.
    provider: String,
    /// Decimal string in `currency`, e.g. "250.00": what is charged and credited.
    amount: String,
    /// ISO 4217, e.g. "USD": the wallet credited.
    currency: String,
    /// creating (Stripe not heard yet), open (pay at `url`), failed (Stripe refused the
    /// page, or it expired unpaid, or its payment failed), paid (credited once), refused (the
    /// payment notice disagreed: not credited).
    #[schema(schema_with = status_schema)]
    status: String,
    /// The payment page to send the payer to.
    url: Option<String>,
    /// Stripe's Checkout Session id (`cs_…`).
    session_id: Option<String>,
    /// The ledger entry of the credit, once paid.
    ledger_entry_id: Option<i64>,
    /// Why it failed or was refused.
    problem: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn status_schema() -> utoipa::openapi::Schema {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(
            dropflow_core::card_top_up::Status::ALL.map(|s| s.as_str()),
        ))
        .build()
        .into()
}

impl From<Row> for CardTopUp {
    fn from(row: Row) -> Self {
        CardTopUp {
            id: row.id,
            store_id: row.store_id.to_string(),
            provider: row.provider,
            amount: row.amount.to_decimal_string(),
            currency: row.amount.currency.code().to_string(),
            status: row.status.as_str().to_string(),
            url: row.url,
            session_id: row.session_id,
            ledger_entry_id: row.ledger_transaction_id,
            problem: row.problem,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}
