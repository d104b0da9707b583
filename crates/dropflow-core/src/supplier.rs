//! What dropflow asks of a supplier and what it can answer, independent of any supplier's
//! wire format. Connectors (AliExpress, CJ, a manual vendor) map their own vocabulary onto
//! these types; the routing and placing logic only ever sees these.
//!
//! The split between an *outcome* and an *error* matters: a supplier saying "out of stock" is
//! an answer (`Ok(Placement::Rejected)`), not being able to talk to it is an error
//! (`Err(SupplierError::Timeout)`), and after a timeout we do not know whether the order
//! exists, so it must be looked up by our own reference before any retry.

use crate::money::Money;
use crate::procurement::SupplierOrderStatus;
use crate::reference::address::PostalAddress;
use crate::shipment::ShipmentStatus;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Which kind of supplier a connector speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplierKind {
    Aliexpress,
    Cj,
    /// A marketplace vendor who fulfils by hand (enters tracking in the dashboard).
    Manual,
    /// A Taobao/1688-style marketplace bought from on the merchant's behalf; the seller
    /// ships to dropflow's warehouse, not to the customer (issue 4).
    Marketplace,
}

impl SupplierKind {
    pub const ALL: [SupplierKind; 4] = [
        SupplierKind::Aliexpress,
        SupplierKind::Cj,
        SupplierKind::Manual,
        SupplierKind::Marketplace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SupplierKind::Aliexpress => "aliexpress",
            SupplierKind::Cj => "cj",
            SupplierKind::Manual => "manual",
            SupplierKind::Marketplace => "marketplace",
        }
    }

    pub fn parse(s: &str) -> Option<SupplierKind> {
        SupplierKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether its purchases go straight to the customer (dropshipping: the parcel travels
    /// under the merchant's store, with none of the supplier's prices or invoice), rather
    /// than to dropflow's warehouse.
    pub fn ships_to_customer(self) -> bool {
        match self {
            SupplierKind::Aliexpress | SupplierKind::Cj | SupplierKind::Manual => true,
            SupplierKind::Marketplace => false,
        }
    }
}

/// What a supplier offers through its API (or, for a manual vendor, by hand), declared by its
/// connector (`Supplier::capabilities`) and listed for every kind in the supplier registry, so
/// callers ask a question ("can it be looked up by our reference?") instead of comparing kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// An order can be found by our attempt id (after a timeout); without it a doubt is
    /// settled by placing the same attempt again or by a person.
    pub lookup_by_reference: bool,
    /// A placed order can be paid from our balance with the supplier by API.
    pub pay: bool,
    /// An order can be cancelled by API (at some stage).
    pub cancel: bool,
    /// Goods can be sent back and refunded by API (returns and disputes).
    pub returns: bool,
    /// Products, prices and stock can be read before buying (the catalogue).
    pub catalogue: bool,
    /// A person (a marketplace vendor) buys and ships by hand: placing hands the order over,
    /// nothing is asked of an API, tracking is entered by the vendor.
    pub hands_over_to_person: bool,
    /// Bought on the merchant's behalf and shipped to dropflow's warehouse, not to the
    /// customer: its parcels are inbound, its leg is settled by the warehouse's rules.
    pub buys_for_warehouse: bool,
}

impl Capabilities {
    /// Offers nothing; connectors declare theirs as `Capabilities { pay: true, ..NONE }`.
    pub const NONE: Capabilities = Capabilities {
        lookup_by_reference: false,
        pay: false,
        cancel: false,
        returns: false,
        catalogue: false,
        hands_over_to_person: false,
        buys_for_warehouse: false,
    };
}

/// One item to buy: the supplier's product and SKU ids, and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseLine {
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    pub quantity: u32,
    /// The cost we expect per unit (from the product mapping), for the price guard.
    pub expected_unit_cost: Money,
}

/// One purchase from one supplier: what to buy and where to send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseRequest {
    /// Our own id for this attempt, sent as the supplier-side reference (AliExpress
    /// `out_order_id`, CJ `orderNumber`): the key that finds the order again after a timeout.
    pub attempt_id: String,
    pub lines: Vec<PurchaseLine>,
    /// The customer's address (the supplier ships straight to the customer).
    pub ship_to: PostalAddress,
    /// The customer's e-mail where the supplier requires one; otherwise `None`.
    pub email: Option<String>,
    /// The supplier's shipping method code, when the mapping chose one.
    pub shipping_method: Option<String>,
    /// The store's price guard: refuse (`PriceChanged`, nothing bought) when a line's current
    /// unit price is more than this many percent above `expected_unit_cost`. `None` = buy at
    /// whatever the price is (no guard, or the merchant accepted the new price).
    #[serde(default)]
    pub price_guard_percent: Option<u32>,
}

/// Whether `current` is more than `percent` above `expected` (same currency only: a price in
/// another currency cannot be compared without a rate, and is let through).
pub fn above_price_guard(expected: Money, current: Money, percent: u32) -> bool {
    current.currency == expected.currency
        && i128::from(current.minor) * 100 > i128::from(expected.minor) * i128::from(100 + percent)
}

/// Why a supplier refused a purchase. An answer, not a failure to talk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectReason {
    OutOfStock {
        supplier_sku_id: String,
    },
    /// The supplier's price is above what we accept (price guard, or the supplier refused
    /// the price we sent).
    PriceChanged {
        supplier_sku_id: String,
        unit_cost: Money,
    },
    AddressRefused {
        detail: String,
    },
    /// The supplier does not ship this item to the destination.
    NotDeliverable {
        detail: String,
    },
    /// The supplier already has an order with our reference (placed by an earlier attempt).
    DuplicateReference,
    Other {
        detail: String,
    },
}

/// The supplier's answer to a purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Placement {
    Placed(RemoteOrder),
    Rejected(RejectReason),
}

/// A supplier order as the supplier reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteOrder {
    /// The supplier's id for the order.
    pub supplier_order_id: String,
    /// Our reference as the supplier echoes it back, when it does.
    pub attempt_id: Option<String>,
    /// The supplier's status mapped onto ours (unknown statuses map to the least advanced
    /// state that is safe, never to a later one).
    pub status: SupplierOrderStatus,
    /// The supplier's raw status text, for the timeline.
    pub raw_status: String,
    /// What the supplier charges, goods plus shipping, when known.
    pub total_cost: Option<Money>,
    pub tracking: Vec<Tracking>,
    /// What the order buys, as the supplier lists it (`[]`: the supplier did not say). A link
    /// by hand is checked against it.
    #[serde(default)]
    pub items: Vec<RemoteItem>,
    /// Where the order ships, with only the fields the supplier reports (`None`: it did not
    /// say). Personal data: compared, never logged.
    #[serde(default)]
    pub ship_to: Option<Box<PostalAddress>>,
}

/// One item of a supplier's order, as the supplier lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteItem {
    /// The supplier's product id, when it gives one.
    pub supplier_product_id: Option<String>,
    /// The variant (AliExpress SKU id, CJ `vid`, 1688 `specId`), when it gives one.
    pub supplier_sku_id: Option<String>,
    pub quantity: u32,
}

/// One supplier offer (a SKU of a product) to read at the supplier, for the destination
/// its prices and stock depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferRef {
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    /// ISO 3166-1 alpha-2.
    pub ship_to_country: String,
}

/// What the supplier says of an offer now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferReading {
    /// Units it can sell; `None` when it does not say. An offer it no longer sells (the SKU
    /// is gone, not shipped there) reads 0 with `note` saying why.
    pub stock: Option<u32>,
    /// What one unit costs to buy now.
    pub unit_cost: Option<Money>,
    pub note: Option<String>,
}

/// Asking a supplier to cancel one of its orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    /// The supplier's order number.
    pub supplier_order_id: String,
    /// Why, in words the supplier reads (nothing of the customer's).
    pub reason: String,
}

/// The supplier's answer to a cancellation request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CancelAnswer {
    /// Cancelled now, or found cancelled already: nothing ships, and what was paid comes back
    /// with the cancellation.
    Cancelled,
    /// Asked; the supplier decides (1688: a refund request the seller agrees to or not).
    Requested { reference: String },
    /// The supplier said no, in its words.
    Refused { detail: String },
    /// The supplier's API cancels no order in this state: a person asks, as `how` says (with
    /// the supplier's deadline where it is known).
    NotOffered { how: String },
}

/// One tracking number the supplier reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    pub number: String,
    /// The carrier as the supplier names it ("YunExpress", "USPS").
    pub carrier: Option<String>,
    pub status: ShipmentStatus,
    /// A link the customer can follow, when the supplier gives one.
    pub url: Option<String>,
}

/// The result of asking a supplier to take payment for an order (from our balance there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PaymentResult {
    Paid,
    /// The supplier-side balance is too low; the merchant must top it up.
    InsufficientBalance,
    Refused {
        detail: String,
    },
}

/// Not being able to get an answer. Each variant says what a retry should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupplierError {
    /// No answer in time: whatever we asked may or may not have happened.
    #[error("the supplier did not answer in time")]
    Timeout,
    /// Too many requests; wait before the next one.
    #[error("rate limited by the supplier (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// The supplier is down or answered 5xx: retry later.
    #[error("the supplier is unavailable: {0}")]
    Unavailable(String),
    /// Our credentials were refused: a person must fix the settings; retrying will not help.
    #[error("the supplier refused our credentials: {0}")]
    Unauthorized(String),
    /// The supplier answered something we cannot read: a bug on one side.
    #[error("unexpected answer from the supplier: {0}")]
    Protocol(String),
    /// The supplier's API cannot answer this question (AliExpress has no lookup by our
    /// reference; CJ and 1688 list only so many recent orders): a person must look, as the
    /// text says. An answer about the API, not a failure to talk: asking again will not help.
    #[error("the supplier cannot be asked: {0}")]
    NotOffered(String),
}

impl SupplierError {
    /// Whether retrying the same call later can help.
    pub fn is_transient(&self) -> bool {
        match self {
            SupplierError::Timeout
            | SupplierError::RateLimited { .. }
            | SupplierError::Unavailable(_) => true,
            SupplierError::Unauthorized(_)
            | SupplierError::Protocol(_)
            | SupplierError::NotOffered(_) => false,
        }
    }
}
