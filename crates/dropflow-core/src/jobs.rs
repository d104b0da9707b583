//! Every job kind the queue runs, by name. The queue stores these strings in `jobs.kind`;
//! whoever writes a job (a transition's follow-up, an action, the follower) and the handler
//! registered for it name it from this one list, so storage needs to know none of them.

/// Routes a paid order's lines to one purchase per supplier.
pub const ROUTE_ORDER: &str = "order.route";
/// Lifts an order's out-of-stock hold when an offer has the stock again.
pub const RECHECK_STOCK: &str = "order.recheck_stock";
/// Reads one supplier offer's stock and cost at its supplier.
pub const READ_OFFER: &str = "offer.read";
/// Lets go of an order's purchases after the store cancelled it.
pub const CANCEL_SUPPLIER_ORDERS: &str = "order.cancel_supplier_orders";
/// Works out what a store edit means for what was bought.
pub const RECONCILE_EDIT: &str = "order.reconcile_edit";
/// Places one supplier order.
pub const PLACE_SUPPLIER_ORDER: &str = "supplier_order.place";
/// Pays one placed supplier order.
pub const PAY_SUPPLIER_ORDER: &str = "supplier_order.pay";
/// Asks the supplier where one supplier order stands.
pub const SYNC_SUPPLIER_ORDER: &str = "supplier_order.sync";
/// Asks the supplier to cancel one purchase.
pub const CANCEL_SUPPLIER_ORDER: &str = "supplier_order.cancel";
/// Applies one CJ webhook delivery (order or logistics message).
pub const CJ_EVENT: &str = "supplier.cj_event";
/// Pushes one shipment's tracking to the store.
pub const PUSH_SHIPMENT: &str = "shipment.push";
/// Asks the carriers' tracking service about a batch of parcels.
pub const TRACK_SHIPMENTS: &str = "shipments.track";
/// Asks a marketplace seller to take goods back that failed inspection.
pub const REQUEST_SELLER_RETURN: &str = "warehouse.request_return";
/// Delivers one outbox mail.
pub const SEND_MAIL: &str = "outbox.send";
/// Refunds a case's customer through the store's Admin API.
pub const REFUND_CUSTOMER: &str = "case.refund_customer";
/// Reads an order's refunds back from a store that tells them only inside the order.
pub const READ_STORE_REFUNDS: &str = "case.read_store_refunds";
/// Asks the supplier of a case's goods for its part (its API, the vendor, or a task).
pub const ASK_SUPPLIER: &str = "case.ask_supplier";
/// Looks at a case's supplier side again: its API's answer, a deadline near or passed.
pub const FOLLOW_SUPPLIER: &str = "case.follow_supplier";
/// Buys a case's replacement (a reship or an exchange) through the normal route.
pub const ORDER_REPLACEMENT: &str = "case.order_replacement";

/// Reads one page of a store's catalogue (its variants' stock, price, on sale) into
/// `store_variants`, queueing the next page.
pub const READ_STORE_CATALOGUE: &str = "store.read_catalogue";
/// Writes to a store what its suppliers' stock and costs make of its variants (the leased
/// due ones), in batches.
pub const WRITE_STORE_CATALOGUE: &str = "store.write_catalogue";

/// Every kind, for listings and checks.
pub const ALL: [&str; 21] = [
    ROUTE_ORDER,
    RECHECK_STOCK,
    READ_OFFER,
    READ_STORE_CATALOGUE,
    WRITE_STORE_CATALOGUE,
    CANCEL_SUPPLIER_ORDERS,
    RECONCILE_EDIT,
    PLACE_SUPPLIER_ORDER,
    PAY_SUPPLIER_ORDER,
    SYNC_SUPPLIER_ORDER,
    CANCEL_SUPPLIER_ORDER,
    CJ_EVENT,
    PUSH_SHIPMENT,
    TRACK_SHIPMENTS,
    REQUEST_SELLER_RETURN,
    SEND_MAIL,
    REFUND_CUSTOMER,
    READ_STORE_REFUNDS,
    ASK_SUPPLIER,
    FOLLOW_SUPPLIER,
    ORDER_REPLACEMENT,
];

/// A handler error only a person can fix, and one fix serves many jobs (the store's Admin API
/// access, a supplier's or the carrier tracking service's settings): the job is kept failed at
/// once, naming what it waits for ([`waits`]), and setting that puts every job waiting for it
/// back in the queue (the queue's `requeue_waiting`). Nobody retries 2,000 jobs by hand,
/// and none of them spends thirty tries (and the runner's slots) on a cause that cannot pass.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct WaitsFor {
    /// What fixes it, one of [`waits`].
    pub fix: String,
    pub message: String,
}

/// The names of what a [`WaitsFor`] job waits for.
pub mod waits {
    /// A store's Admin API access (missing, or refused by the store).
    pub fn store_admin(store_id: impl std::fmt::Display) -> String {
        format!("store-admin:{store_id}")
    }

    /// A supplier's `[suppliers.*]` settings in this process.
    pub fn supplier(kind: &str) -> String {
        format!("supplier:{kind}")
    }

    /// The carrier tracking service's `[tracking]` settings.
    pub const CARRIER_TRACKING: &str = "carrier-tracking";
}
