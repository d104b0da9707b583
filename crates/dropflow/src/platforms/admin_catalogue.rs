//! Reading and writing the store's catalogue through its Admin API (issue 15): each
//! variant's stock, price and whether it is on sale, so the store never sells what no
//! supplier has, nor below the price rule.
//!
//! The job (`fulfilment::store_catalogue`) reads the store's variants page by page, decides
//! in `dropflow_core::inventory::decide`, and writes only the differences, in batches of at
//! most [`CatalogueAccess::write_batch_limit`] (Shopify: the GraphQL bulk mutations —
//! `inventorySetQuantities` takes many inventory items at once, `productVariantsBulkUpdate`
//! one product's variants; WooCommerce: `products/batch` and
//! `products/{id}/variations/batch`, at most 100 objects each).
//!
//! Every write is absolute (a stock *set* to 12, a price *set* to 19.99), never a delta, so
//! a batch repeated after a lost answer lands on the same values.

use super::admin::StoreApiError;
use futures::future::BoxFuture;

/// One variant as the store shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreVariant {
    /// What a mapping's `variant` key names: Shopify's numeric variant id
    /// (`legacyResourceId`), WooCommerce's variation id — or the product id of a simple
    /// product, which has no variations.
    pub variant_id: String,
    /// The product it belongs to (Shopify's numeric product id, WooCommerce's product id;
    /// equal to `variant_id` for a WooCommerce simple product).
    pub product_id: String,
    /// What a mapping's `sku` key names, when the store has one.
    pub sku: Option<String>,
    /// The product's and variant's titles as the merchant named them.
    pub title: String,
    /// The price as the platform writes it, a decimal in the store's currency (`"19.99"`).
    pub price: String,
    /// Units on sale; `None` when the store does not track the variant's stock.
    pub stock: Option<i64>,
    /// Whether it is on sale: Shopify's product `status` is `ACTIVE`, WooCommerce's
    /// `status` is `publish`.
    pub published: bool,
    /// Shopify's inventory item (its GraphQL id), what a stock write names; `None` for
    /// WooCommerce.
    pub inventory_item_id: Option<String>,
}

/// A page of the store's variants and where the next one starts (`None`: the last page).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CataloguePage {
    pub variants: Vec<StoreVariant>,
    /// Opaque to the caller: handed back as `after` for the next page.
    pub next: Option<String>,
}

/// The changes to make to one variant; `None` fields are left as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantWrite {
    pub variant_id: String,
    pub product_id: String,
    pub inventory_item_id: Option<String>,
    /// The stock to set (and to track, if the store did not).
    pub stock: Option<u32>,
    /// On sale or not. Where the platform publishes whole products only
    /// ([`CatalogueAccess::publishes_variants`] false: Shopify's product `status`), it applies
    /// to the variant's product, and the caller sends it only when every variant of that
    /// product agrees.
    pub published: Option<bool>,
    /// The price to set, a decimal in the store's currency (`"24.99"`).
    pub price: Option<String>,
}

/// What became of one variant's write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteResult {
    Written,
    /// The store understood and refused this variant (its own words, cut by
    /// [`super::admin::outside_text`]): flagged for a person, not retried as is.
    Refused(String),
}

/// One answer per variant written, by `variant_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantWritten {
    pub variant_id: String,
    pub result: WriteResult,
}

/// A store's catalogue through its Admin API. A failure of the whole call (rate limit,
/// timeout, credentials) is the call's `Err`, and the caller retries the batch; a refusal of
/// single variants is in the answer.
pub trait CatalogueAccess: Send + Sync {
    /// One page of the store's variants, from the start (`after: None`) or from where the
    /// last page's `next` said.
    fn catalogue_page<'a>(
        &'a self,
        after: Option<&'a str>,
    ) -> BoxFuture<'a, Result<CataloguePage, StoreApiError>>;

    /// Writes the changes, at most [`Self::write_batch_limit`] variants; answers each
    /// variant sent, whatever the number of calls it took.
    fn write_variants<'a>(
        &'a self,
        writes: &'a [VariantWrite],
    ) -> BoxFuture<'a, Result<Vec<VariantWritten>, StoreApiError>>;

    /// Most variants one [`Self::write_variants`] takes.
    fn write_batch_limit(&self) -> usize;

    /// Whether the platform publishes single variants (WooCommerce variations) or only whole
    /// products (Shopify).
    fn publishes_variants(&self) -> bool;
}
