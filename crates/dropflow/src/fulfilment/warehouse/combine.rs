//! Finding orders that may share a parcel: other orders of the same store, to the same
//! customer (core `consolidation::address_key`), ready to pack. Packing them together is
//! `floor::pack` with `with_orders`.

use super::Result;
use crate::storage::warehouse as store;
use crate::storage::Database;
use dropflow_core::ids::OrderId;
use dropflow_core::warehouse::consolidation::address_key;
use serde::Serialize;

/// An order that may go in one parcel with the one asked about.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Combinable {
    pub order_id: String,
    pub name: String,
}

/// The other ready-to-pack orders of `order_id`'s store going to the same address (none when
/// the order has no complete address), oldest first.
pub async fn candidates(db: &Database, order_id: OrderId) -> Result<Vec<(OrderId, Combinable)>> {
    let Some(facts) = store::order_facts(&db.reader, order_id).await? else {
        return Ok(Vec::new());
    };
    let Some(key) = facts.address.as_ref().and_then(address_key) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for other in store::ready_to_pack(db, &facts.store_id).await? {
        if other == order_id {
            continue;
        }
        let Some(theirs) = store::order_facts(&db.reader, other).await? else {
            continue;
        };
        if theirs.address.as_ref().and_then(address_key).as_deref() == Some(key.as_str()) {
            found.push((
                other,
                Combinable {
                    order_id: other.to_string(),
                    name: theirs.name,
                },
            ));
        }
    }
    Ok(found)
}
