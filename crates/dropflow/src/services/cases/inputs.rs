//! What the merchant sends to open and work a case, read exactly (amounts in the order's
//! currency, notes bounded).

use crate::services::ActionError;
use dropflow_core::after_sale::Resolution;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use serde::Deserialize;

/// What the merchant asks for, as sent (`POST /api/v1/orders/{id}/cases`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseInput {
    /// `damaged`, `wrong_item`, `not_as_described`, `not_received`, `changed_mind`, `other`.
    pub reason: String,
    /// The units claimed, by the store's line id (`lines[].external_id` of the order).
    pub lines: Vec<CaseLineInput>,
    pub resolution: ResolutionInput,
    /// The customer's words, or the merchant's (at most 2,000 characters).
    pub note: Option<String>,
}

/// Units of one order line.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseLineInput {
    pub line_id: String,
    pub quantity: u32,
}

/// What the merchant does for the customer. Amounts are decimal strings in the order's
/// currency ("12.50" USD, "1200" JPY, "1.250" KWD).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResolutionInput {
    /// Money back: `goods` for the claimed lines (at most what they were paid), `shipping`
    /// (at most what shipping was charged); `with_return`: the goods come back first.
    Refund {
        goods: String,
        #[serde(default)]
        shipping: Option<String>,
        #[serde(default)]
        with_return: bool,
    },
    /// The same goods again, bought through the normal route.
    Reship,
    /// Another variant instead (the store's variant id); the goods come back. `sku`: that
    /// variant's SKU when the store's mappings are by SKU (at most 255 characters).
    Exchange {
        variant_id: String,
        #[serde(default)]
        sku: Option<String>,
    },
    /// The goods come back first; the merchant decides once they are in.
    ReturnFirst,
}

/// Something that happened to a case, recorded by the merchant
/// (`POST /api/v1/cases/{id}/events`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseStepInput {
    /// The customer sent the goods back with this tracking number (checked like any other:
    /// its courier's check digit, unless `accept_unverified`).
    ReturnShipped {
        tracking_number: String,
        #[serde(default)]
        accept_unverified: bool,
    },
    /// The returned goods arrived where they were sent.
    ReturnDelivered,
    /// What became of the returned goods: back in stock, or disposed of.
    ReturnSettled { restocked: bool },
    /// A return-first case whose goods are back: what the merchant now does.
    Decide { resolution: ResolutionInput },
    /// The merchant refuses the customer's claim, saying why.
    Decline { note: String },
    /// The case is over; a note is needed while work is left.
    Close {
        #[serde(default)]
        note: Option<String>,
    },
    /// The supplier refunded its part (recorded by the merchant for a supplier asked by hand,
    /// or by the vendor asked): `amount` a decimal string in `currency` (the purchase's, by
    /// default), `reference` the supplier's own (its dispute or refund id), which makes it
    /// once only. Credited to the wallet the purchase was paid from.
    SupplierCredited {
        amount: String,
        #[serde(default)]
        currency: Option<String>,
        reference: String,
    },
    /// The supplier refused its part, saying why.
    SupplierRefused { note: String },
}

/// Which cases to list (`GET /api/v1/cases`).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseListParams {
    /// `open` (default), `closed` or `all`.
    pub status: Option<String>,
    /// 1 to 500, default 50.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The longest note a case keeps.
const NOTE_LIMIT: usize = 2_000;

pub(super) fn checked_note(field: &str, note: Option<&str>) -> Result<Option<String>, ActionError> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if note.chars().count() > NOTE_LIMIT {
        return Err(ActionError::Unprocessable(format!(
            "{field}: at most {NOTE_LIMIT} characters"
        )));
    }
    Ok(Some(note.to_string()))
}

fn amount(field: &str, text: &str, currency: Currency) -> Result<Money, ActionError> {
    Money::parse_decimal(text.trim(), currency)
        .map_err(|e| ActionError::Unprocessable(format!("{field}: {e}")))
}

/// The resolution asked, with its amounts read exactly in the order's currency.
pub(super) fn resolution(
    input: ResolutionInput,
    currency: Currency,
) -> Result<Resolution, ActionError> {
    Ok(match input {
        ResolutionInput::Refund {
            goods,
            shipping,
            with_return,
        } => Resolution::Refund {
            goods: amount("resolution.goods", &goods, currency)?,
            shipping: match shipping {
                Some(text) => amount("resolution.shipping", &text, currency)?,
                None => Money::zero(currency),
            },
            with_return,
        },
        ResolutionInput::Reship => Resolution::Reship,
        ResolutionInput::Exchange { variant_id, sku } => Resolution::Exchange {
            variant_id: variant_id.trim().to_string(),
            sku: match sku.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(sku) if sku.chars().count() > 255 => {
                    return Err(ActionError::Unprocessable(
                        "resolution.sku: at most 255 characters".into(),
                    ))
                }
                Some(sku) => Some(sku.to_string()),
            },
        },
        ResolutionInput::ReturnFirst => Resolution::ReturnFirst,
    })
}
