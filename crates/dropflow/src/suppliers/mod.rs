//! Supplier connectors: one directory per supplier (`mod.rs` for the calls, `transformers.rs`
//! for every wire type and every mapping into `dropflow_core::supplier`). Connectors hold no
//! order state; they hold only their configuration (base URL, credentials) and, where the
//! supplier's auth needs it, a cached access token. Every call goes out through
//! [`crate::outbound::Endpoint`] (timeout, 429 policy, status → `HttpError`, secrets kept out
//! of logs, per-call metrics); a connector converts `HttpError` into [`SupplierError`] with
//! the one `From` below and reads its own envelope on top.
//!
//! What a supplier offers is declared, not inferred from its kind: [`Supplier::capabilities`]
//! and its line in [`registry`] (lookup by our reference, pay, cancel, returns, catalogue, a
//! person fulfils by hand, buys for the warehouse). Callers ask the capability
//! (`registry::capabilities_of(&so.supplier).buys_for_warehouse`) instead of comparing kinds.
//! A question the supplier's API cannot answer is [`SupplierError::NotOffered`], never a
//! `Protocol` error (which means an answer we could not read).
//!
//! # Adding a supplier
//!
//! 1. **Its directory** `src/suppliers/<name>/`: `mod.rs` (the config struct
//!    `<Name>Config` with `#[serde(deny_unknown_fields)]` and `Debug` that hides secrets; the
//!    connector holding an [`crate::outbound::Endpoint`] built with `.secret(..)` for each
//!    credential; its `pub const CAPABILITIES`; `impl Supplier`, whose `capabilities()` is
//!    the registry line's), `transformers.rs` (wire types, exhaustive status maps, refusals by the
//!    supplier's own codes) and `tests.rs` (the connector against its sandbox over real
//!    HTTP, `#[cfg(test)] mod tests;`). Every purchase carries `attempt_id` as the
//!    supplier-side reference; a lookup the API cannot make answers `NotOffered`.
//! 2. **One registry line**: a `Declared { kind, capabilities, connect }` row in
//!    [`registry`] (`connect: |c| connector(c.<name>.clone().map(<name>::<Name>::new))`),
//!    plus `pub mod <name>;` here.
//! 3. **Its config section** `[suppliers.<name>]`: a field in `config::SuppliersConfig`.
//! 4. **Its sandbox**: `crates/dropflow-sandbox/src/<name>/` speaking the real wire format
//!    with the shared fault layer, `pub mod <name>;` in that crate's `lib.rs`.
//! 5. **Its test file**: `src/suppliers/<name>/tests.rs` (above); integration tests that
//!    place through it reuse `tests/it/placing.rs`'s pattern.
//!
//! Files outside the supplier's own directory that a new supplier still touches, all one
//! line or one arm each:
//!
//! - `crates/dropflow-core/src/supplier.rs`: an arm of `SupplierKind` (with `ALL`, `as_str`
//!   and `ships_to_customer`, which must agree with `buys_for_warehouse`: a registry test
//!   checks it);
//! - `crates/dropflow/src/suppliers/mod.rs`: `pub mod <name>;`;
//! - `crates/dropflow/src/suppliers/registry.rs`: its `Declared` row;
//! - `crates/dropflow/src/config.rs`: its `SuppliersConfig` field;
//! - `crates/dropflow-sandbox/src/lib.rs`: `pub mod <name>;` for its sandbox;
//! - only to have the demo and `dropflow sandbox` use it: `src/demo/sandboxes.rs` (start it,
//!   add it to `suppliers_config`) and `src/sandbox/control.rs` (list its base URL).
//!
//! Nothing in `fulfilment`, `http::api` or `dashboard` names a supplier: they ask the
//! registry for its connector and its capabilities. The one supplier named there is CJ in
//! `fulfilment::sync`, for CJ's own webhook. `dropflow_core::cancellation` and `edits` still
//! tell the manual vendor and the marketplace apart by kind (core holds no registry); moving
//! them onto `Capabilities` is the next step of this recipe.

/// AliExpress Open Platform dropshipping API (IOP `/sync`).
pub mod aliexpress;
/// CJ Dropshipping API v2.0 (token auth, createOrderV2, pay from balance, webhooks).
pub mod cj;
/// A marketplace vendor who fulfils by hand (no connector: capabilities only).
pub mod manual;
/// A 1688-style marketplace (Alibaba China open platform): buys for the warehouse.
pub mod marketplace;
/// Every supplier in one table, and the process's connectors built from the configuration.
pub mod registry;

pub use registry::{Suppliers, SuppliersConfig};

use async_trait::async_trait;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::supplier::{
    CancelAnswer, CancelRequest, Capabilities, OfferReading, OfferRef, PaymentResult, Placement,
    PurchaseRequest, RemoteOrder, SupplierError, SupplierKind,
};

/// Goods sent back to the supplier, or a refund asked of it (a failed inspection at the
/// warehouse, an after-sale case): return and refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRequest {
    /// Our key for this request (the case or warehouse item id): a supplier that takes one
    /// (CJ `businessDisputeId`) refuses or finds a second request under the same key.
    pub reference: String,
    /// The supplier's order number.
    pub supplier_order_id: String,
    /// The variants of that order going back.
    pub supplier_sku_ids: Vec<String>,
    /// The goods refund asked for, in the currency they were bought in.
    pub amount: dropflow_core::money::Money,
    /// Why, in words the seller reads.
    pub reason: String,
}

/// The supplier's answer to a return request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnAnswer {
    /// Opened, under the supplier's refund id.
    Requested { refund_id: String },
    /// One is already open for these goods (an earlier try whose answer was lost).
    AlreadyRequested,
    /// Refused (status, amount, …): a person takes it up.
    Refused { detail: String },
    /// The supplier's API takes no return requests: a person returns the goods.
    NotOffered,
}

/// A return request to look up again ([`Supplier::return_status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnCheck {
    /// Our key, as sent in [`ReturnRequest::reference`].
    pub reference: String,
    pub supplier_order_id: String,
    /// The supplier's id of the request, from [`ReturnAnswer::Requested`] (absent when the
    /// answer was lost or said `AlreadyRequested`: look it up by order and reference).
    pub request_id: Option<String>,
}

/// Where a return request stands at the supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnStatus {
    /// Still with the supplier (being reviewed, goods on their way back).
    Open,
    /// The supplier refunded, to our balance with it or the way the purchase was paid: how
    /// much, in the purchase's currency, under the supplier's own reference.
    Refunded {
        amount: dropflow_core::money::Money,
        reference: String,
    },
    /// The supplier refused or closed it without refunding.
    Refused { detail: String },
    /// Unknown to the supplier (never arrived): ask again.
    NotFound,
    /// The supplier's API cannot tell: a person follows it.
    NotOffered,
}

/// What every supplier connector can do. `#[async_trait]` boxes each call's future, so
/// connectors write `async fn` and still live behind `Arc<dyn Supplier>` in a registry chosen
/// at run time (a plain `async fn` in a trait is not object-safe).
#[async_trait]
pub trait Supplier: Send + Sync {
    fn kind(&self) -> SupplierKind;

    /// What this supplier's API offers: what its line in [`registry`] lists, so callers ask
    /// about a capability rather than compare kinds.
    fn capabilities(&self) -> Capabilities {
        registry::capabilities(self.kind())
    }

    /// Places a purchase. A timeout must surface as `SupplierError::Timeout`: the caller then
    /// marks the attempt *placement unknown* and calls [`Supplier::find_by_reference`] before
    /// trying again.
    async fn place(&self, request: &PurchaseRequest) -> Result<Placement, SupplierError>;

    /// Looks an order up by our own reference (`attempt_id`): `None` if the supplier has no
    /// order with it, which makes a new attempt safe.
    async fn find_by_reference(
        &self,
        attempt_id: &str,
    ) -> Result<Option<RemoteOrder>, SupplierError>;

    /// The supplier's current view of one of its orders, with tracking when shipped.
    async fn order(&self, supplier_order_id: &str) -> Result<RemoteOrder, SupplierError>;

    /// Pays a placed order from our balance with the supplier.
    async fn pay(&self, supplier_order_id: &str) -> Result<PaymentResult, SupplierError>;

    /// Asks the supplier to take goods back and refund them. Default: not offered.
    async fn request_return(
        &self,
        _request: &ReturnRequest,
    ) -> Result<ReturnAnswer, SupplierError> {
        Ok(ReturnAnswer::NotOffered)
    }

    /// Where a return request stands. Default: the API cannot tell.
    async fn return_status(&self, _check: &ReturnCheck) -> Result<ReturnStatus, SupplierError> {
        Ok(ReturnStatus::NotOffered)
    }

    /// Asks the supplier to cancel one of its orders, whatever stage it is at; the answer says
    /// what became of it. Safe to repeat: an order found cancelled already is `Cancelled`, a
    /// request already open is `Requested`. Default: the API has no cancellation.
    async fn cancel(&self, request: &CancelRequest) -> Result<CancelAnswer, SupplierError> {
        Ok(CancelAnswer::NotOffered {
            how: format!(
                "{}'s API has no way to cancel order {}: ask the supplier before it ships",
                self.kind().as_str(),
                request.supplier_order_id
            ),
        })
    }

    /// The offer's stock and cost now (the catalogue side: `fulfilment::catalogue`). Default:
    /// the API cannot tell; a connector whose line in [`registry`] has `catalogue` answers.
    async fn read_offer(&self, offer: &OfferRef) -> Result<OfferReading, SupplierError> {
        Err(SupplierError::NotOffered(format!(
            "{}'s API cannot read offer {}",
            self.kind().as_str(),
            offer.supplier_sku_id
        )))
    }

    /// The address the supplier is given for a purchase shipped to `customer` (what a link by
    /// hand is checked against). Default: the customer's.
    fn ships_to(&self, customer: &PostalAddress) -> PostalAddress {
        customer.clone()
    }
}

/// An outside call's failure in supplier terms, the one conversion every connector uses. A
/// lost answer counts as a timeout: the supplier may have acted on the request.
impl From<crate::outbound::HttpError> for SupplierError {
    fn from(error: crate::outbound::HttpError) -> Self {
        use crate::outbound::HttpError as E;
        match &error {
            E::Timeout { .. } | E::Lost { .. } => SupplierError::Timeout,
            E::RateLimited { retry_after, .. } => SupplierError::RateLimited {
                retry_after: *retry_after,
            },
            E::Unreachable { .. } | E::Refused { .. } | E::Unavailable { .. } => {
                SupplierError::Unavailable(error.to_string())
            }
            E::Unauthorized { .. } => SupplierError::Unauthorized(error.to_string()),
            E::Build { .. } | E::NotFound { .. } | E::Status { .. } => {
                SupplierError::Protocol(error.to_string())
            }
        }
    }
}
