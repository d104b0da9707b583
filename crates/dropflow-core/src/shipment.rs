//! The shipment axis: one record per shipping leg (supplier → customer, supplier → agent
//! warehouse, warehouse → customer), in the normalised tracking vocabulary of
//! protocols.md §5.3, onto which AfterShip, 17TRACK, Shopify, AliExpress and CJ map.

use serde::{Deserialize, Serialize};

/// Which stretch of the journey a shipment covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentLeg {
    SupplierToCustomer,
    SupplierToWarehouse,
    WarehouseToCustomer,
    /// A return from the customer.
    CustomerReturn,
}

/// Normalised tracking status. Unknown carrier statuses map to `Pending`, never to a final one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    Pending,
    InfoReceived,
    InTransit,
    OutForDelivery,
    AttemptFail,
    AvailableForPickup,
    Delivered,
    Exception,
    Expired,
}

impl ShipmentStatus {
    /// No further scans are expected.
    pub fn is_final(self) -> bool {
        match self {
            ShipmentStatus::Delivered | ShipmentStatus::Expired => true,
            ShipmentStatus::Pending
            | ShipmentStatus::InfoReceived
            | ShipmentStatus::InTransit
            | ShipmentStatus::OutForDelivery
            | ShipmentStatus::AttemptFail
            | ShipmentStatus::AvailableForPickup
            | ShipmentStatus::Exception => false,
        }
    }
}

/// Where one parcel is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingUpdate {
    pub number: String,
    pub status: ShipmentStatus,
    /// The service's own sub-status, verbatim (e.g. `InTransit_CustomsProcessing`).
    pub sub_status: Option<String>,
    /// The latest scan's description and time.
    pub last_event: Option<String>,
    pub last_event_at: Option<chrono::DateTime<chrono::Utc>>,
}
