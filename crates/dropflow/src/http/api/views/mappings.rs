use super::view;
use crate::storage::catalog;
use chrono::{DateTime, Utc};
use dropflow_core::catalog::Mapping;
use dropflow_core::ids::StoreId;

view! {
    /// A stored mapping.
    pub struct StoredMapping from catalog::StoredMapping {
        #[schema(value_type = String)]
        store_id: StoreId,
        key_kind: KeyKind => KeyKind::from,
        key_value: String,
        title: Option<String>,
        #[schema(value_type = Object)]
        mapping: Mapping,
        updated_at: DateTime<Utc>,
    }
}

/// What a store line is matched on.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Variant,
    Sku,
}

impl From<catalog::KeyKind> for KeyKind {
    fn from(kind: catalog::KeyKind) -> Self {
        match kind {
            catalog::KeyKind::Variant => KeyKind::Variant,
            catalog::KeyKind::Sku => KeyKind::Sku,
        }
    }
}
