//! The warehouse model (issue 4): dropflow buys at a marketplace, the seller ships to our
//! warehouse in China, the warehouse receives, inspects, consolidates and repacks, the
//! merchant pays the international shipping fee, and the parcel leaves with a carrier.
//!
//! Pure and data-driven: carrier rates and refund rules are data the operator edits
//! (`data/warehouse/*.toml`, embedded as defaults); nothing here does IO.

/// Carrier rate tables and quoting a parcel against them.
pub mod rates;
/// The merchant's auto-pick rule over quotes.
pub mod choice;
/// Refund rules by stage, and the refund they give.
pub mod refunds;
/// Whether an order's items are all here and cleared; shipping what is here; combining.
pub mod consolidation;
/// The inspection checklist, its outcome, and the merchant's choice on failure.
pub mod inspection;
/// The warehouse leg's stages and their transition function.
pub mod stage;

#[cfg(test)]
mod rates_tests;
