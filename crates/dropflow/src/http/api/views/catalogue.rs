//! A store's catalogue policy: what is read (`GET`) and written whole (`PUT`). Written by
//! hand rather than with `view!`: it is both a request and an answer, its currency is a code
//! read into the core type, and its enum is spelled as the API spells it.

use crate::services::ActionError;
use dropflow_core::inventory::{Policy, PricePolicy, StockPolicy, WhenOut};
use dropflow_core::reference::currency::Currency;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the store's stock and prices follow its suppliers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CataloguePolicy {
    /// The ISO 4217 code of the currency the store's prices are in (costs are converted
    /// into it at the rates in force).
    #[schema(example = "USD")]
    currency: String,
    stock: CatalogueStock,
    price: CataloguePrice,
}

/// The stock to publish.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueStock {
    /// Units held back from what the suppliers have.
    buffer: u32,
    /// The most the store shows (`null`: no cap; more than 0).
    cap: Option<u32>,
    /// When no offer has stock: `set_zero` (default) or `unpublish` (published again by
    /// itself when stock returns).
    when_out: WhenOutView,
}

/// Spelled as the API spells it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WhenOutView {
    SetZero,
    Unpublish,
}

/// The price rule: cost × markup + fixed, rounded up to the ending.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CataloguePrice {
    /// The cost's multiplier in basis points (25000 = × 2.5; 1 to 1,000,000).
    markup_bp: u32,
    /// Added after the markup, in minor units of the currency (0 to 100,000,000).
    fixed_minor: i64,
    /// The minor-unit ending prices are rounded up to (99 → x.99); `null`: no rounding.
    /// Below one major unit of the currency (so none for JPY).
    ending: Option<u32>,
    /// Write the rule's price to the store; off, it is only shown.
    auto_update: bool,
    /// The largest automatic rise in basis points of the current price (2000 = +20 %); a
    /// larger one is held for a person. `null`: no ceiling.
    max_auto_rise_bp: Option<u32>,
}

impl From<Policy> for CataloguePolicy {
    fn from(p: Policy) -> Self {
        CataloguePolicy {
            currency: p.currency.code().to_string(),
            stock: CatalogueStock {
                buffer: p.stock.buffer,
                cap: p.stock.cap,
                when_out: match p.stock.when_out {
                    WhenOut::SetZero => WhenOutView::SetZero,
                    WhenOut::Unpublish => WhenOutView::Unpublish,
                },
            },
            price: CataloguePrice {
                markup_bp: p.price.markup_bp,
                fixed_minor: p.price.fixed_minor,
                ending: p.price.ending,
                auto_update: p.price.auto_update,
                max_auto_rise_bp: p.price.max_auto_rise_bp,
            },
        }
    }
}

impl TryFrom<CataloguePolicy> for Policy {
    type Error = ActionError;

    /// The core policy (an unknown currency code is refused naming the field; the ranges
    /// are the action's to check).
    fn try_from(v: CataloguePolicy) -> Result<Policy, ActionError> {
        let currency = Currency::from_code(&v.currency)
            .map_err(|e| ActionError::Unprocessable(format!("currency: {e}")))?;
        Ok(Policy {
            currency,
            stock: StockPolicy {
                buffer: v.stock.buffer,
                cap: v.stock.cap,
                when_out: match v.stock.when_out {
                    WhenOutView::SetZero => WhenOut::SetZero,
                    WhenOutView::Unpublish => WhenOut::Unpublish,
                },
            },
            price: PricePolicy {
                markup_bp: v.price.markup_bp,
                fixed_minor: v.price.fixed_minor,
                ending: v.price.ending,
                auto_update: v.price.auto_update,
                max_auto_rise_bp: v.price.max_auto_rise_bp,
            },
        })
    }
}
