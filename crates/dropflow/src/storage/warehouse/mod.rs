//! The warehouse's tables: each order's leg, the sellers' domestic parcels (inbound), the
//! items per order line, scans nobody expected, the international packages, customers'
//! returns of after-sale cases received here, the operator's rate tables and the stores'
//! warehouse settings. Callers pass their transaction, so every write lands together with the
//! order's timeline events (`fulfilment::order_tx`).
//!
//! One file per table group; callers see one flat `storage::warehouse` (the `pub use`s
//! below). The imports and the helper here are shared: each file starts with
//! `use super::*`.

use super::accounts::Scope;
use super::codec::{from_json, from_row, to_json, RowExt};
use super::{now_ms, query, Database, Result, Tx};
use chrono::{DateTime, Utc};
use dropflow_core::ids::{OrderId, StoreId, SupplierOrderId};
use dropflow_core::warehouse::choice::AutoPick;
use dropflow_core::warehouse::consolidation::ItemState;
use dropflow_core::warehouse::inspection::{Checklist, Outcome};
use dropflow_core::warehouse::rates::Quote;
use dropflow_core::warehouse::stage::WarehouseLeg;
use sqlx::any::AnyRow;
use sqlx::Row;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

mod legs;
mod items;
mod inbound;
mod exceptions;
mod packages;
mod settings;
mod lookups;
mod returns;

pub use exceptions::*;
pub use inbound::*;
pub use items::*;
pub use legs::*;
pub use lookups::*;
pub use packages::*;
pub use returns::*;
pub use settings::*;
