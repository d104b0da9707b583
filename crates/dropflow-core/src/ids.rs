use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id. UUIDv7 is time-ordered, so sorting by id sorts by creation time,
            /// which is what keyset pagination over orders relies on.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

uuid_id!(
    /// A dropflow order (one per store order).
    OrderId
);
uuid_id!(
    /// A registered store (one Shopify shop or one WooCommerce site).
    StoreId
);
uuid_id!(
    /// One webhook delivery as received, kept verbatim: events point at it.
    ReceiptId
);
uuid_id!(
    /// One purchase from one supplier for part of an order.
    SupplierOrderId
);
uuid_id!(
    /// One shipping leg of one package.
    ShipmentId
);
