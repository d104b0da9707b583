//! Shopify wire shapes for the catalogue (GraphQL Admin API 2026-07): the documents sent,
//! the answers read, and what a GraphQL error or a `userErrors` entry means in our terms.
//! Nothing here leaves the Shopify connector.
//!
//! Sources, per shape:
//! - `productVariants(first:, after:)` with `nodes` and `pageInfo { hasNextPage endCursor }`;
//!   a page holds at most 250 (https://shopify.dev/docs/api/usage/limits: "Input arguments
//!   that accept an array have a maximum size of 250", the connection limit the same);
//! - `location` without an id answers the shop's primary location
//!   (https://shopify.dev/docs/api/admin-graphql/2025-10/queries/location);
//! - `inventorySetQuantities(input: {name, reason, referenceDocumentUri, quantities})` with
//!   `InventorySetQuantityInput { inventoryItemId, locationId, quantity, changeFromQuantity }`,
//!   `changeFromQuantity` mandatory from 2026-04, `null` to skip the compare-and-swap
//!   (https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/InventorySetQuantityInput),
//!   and `@idempotent(key:)` mandatory from 2026-04
//!   (https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations);
//!   `userErrors { field message code }` (`InventorySetQuantitiesUserError`);
//! - `inventoryItemUpdate(id:, input: {tracked: true})`
//!   (https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventoryItemUpdate);
//! - `productVariantsBulkUpdate(productId:, variants: [{id, price}])`: "Updates multiple
//!   product variants for a single product in one operation"
//!   (https://shopify.dev/docs/api/admin-graphql/latest/mutations/productVariantsBulkUpdate);
//! - `productUpdate(product: ProductUpdateInput)` with `status` (`ProductStatus`: ACTIVE,
//!   ARCHIVED, DRAFT; https://shopify.dev/docs/api/admin-graphql/2024-10/enums/ProductStatus);
//! - throttling: a GraphQL request the cost bucket cannot pay for is answered with
//!   `errors[].extensions.code: "THROTTLED"`, and every answer's
//!   `extensions.cost { requestedQueryCost throttleStatus { currentlyAvailable restoreRate } }`
//!   says how long until it can be
//!   (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).

use crate::platforms::admin::{outside_text, StoreApiError};
use crate::platforms::admin_catalogue::StoreVariant;
use crate::platforms::decode::NumberText;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// Variants a page asks for, and most entries one input array takes.
pub(super) const MAX_ITEMS: usize = 250;

pub(super) const PAGE_QUERY: &str = "query CataloguePage($first: Int!, $after: String) { \
    productVariants(first: $first, after: $after) { nodes { id legacyResourceId title sku price \
    inventoryQuantity inventoryItem { id tracked } product { id legacyResourceId title status } } \
    pageInfo { hasNextPage endCursor } } }";

/// The primary location and whether each inventory item is tracked, in one call.
pub(super) const STOCK_LOOKUP: &str = "query StockLookup($ids: [ID!]!) { location { id } \
    nodes(ids: $ids) { ... on InventoryItem { id tracked } } }";

pub(super) const SET_STOCK: &str = "mutation SetStock($input: InventorySetQuantitiesInput!, \
    $key: String!) { inventorySetQuantities(input: $input) @idempotent(key: $key) { \
    inventoryAdjustmentGroup { createdAt } userErrors { field message code } } }";

pub(super) const TRACK_STOCK: &str = "mutation TrackStock($id: ID!, $input: InventoryItemInput!) \
    { inventoryItemUpdate(id: $id, input: $input) { inventoryItem { id tracked } \
    userErrors { field message } } }";

pub(super) const SET_PRICES: &str = "mutation SetPrices($productId: ID!, \
    $variants: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $productId, \
    variants: $variants) { productVariants { id price } userErrors { field message code } } }";

pub(super) const SET_STATUS: &str = "mutation SetStatus($product: ProductUpdateInput!) { \
    productUpdate(product: $product) { product { id status } userErrors { field message } } }";

/// `gid://shopify/{kind}/{id}`.
pub(super) fn gid(kind: &str, id: &str) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// A GraphQL answer: `data`, or `errors`, and the cost extension.
#[derive(Debug, Deserialize)]
pub(super) struct Answer {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
    #[serde(default)]
    extensions: Option<Extensions>,
}

#[derive(Debug, Deserialize)]
struct GraphqlError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    extensions: Option<ErrorExtensions>,
}

#[derive(Debug, Deserialize)]
struct ErrorExtensions {
    #[serde(default)]
    code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Extensions {
    #[serde(default)]
    cost: Option<Cost>,
}

#[derive(Debug, Deserialize)]
struct Cost {
    #[serde(default, rename = "requestedQueryCost")]
    requested: Option<f64>,
    #[serde(default, rename = "throttleStatus")]
    throttle: Option<Throttle>,
}

#[derive(Debug, Deserialize)]
struct Throttle {
    #[serde(default, rename = "currentlyAvailable")]
    available: Option<f64>,
    #[serde(default, rename = "restoreRate")]
    restore_rate: Option<f64>,
}

impl Answer {
    /// How long until the bucket holds what the request asked: the deficit over the restore
    /// rate, rounded up to the millisecond (`None` when the answer does not say).
    fn retry_after(&self) -> Option<Duration> {
        let cost = self.extensions.as_ref()?.cost.as_ref()?;
        let throttle = cost.throttle.as_ref()?;
        let rate = throttle.restore_rate.filter(|r| *r > 0.0)?;
        let deficit = (cost.requested? - throttle.available?).max(0.0);
        let millis = (deficit / rate * 1000.0).ceil().max(1.0);
        Some(Duration::from_millis(millis as u64))
    }

    /// The answer's `data`, or what its `errors` mean: `THROTTLED` a rate limit (with the
    /// wait the cost extension gives), `ACCESS_DENIED` our credentials, anything else a
    /// request Shopify could not run.
    pub(super) fn data(self, what: &str) -> Result<Value, StoreApiError> {
        if let Some(first) = self.errors.first() {
            let code = first
                .extensions
                .as_ref()
                .and_then(|e| e.code.as_deref())
                .unwrap_or_default();
            let message = outside_text(
                &self
                    .errors
                    .iter()
                    .filter_map(|e| e.message.as_deref())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            return Err(match code {
                "THROTTLED" => StoreApiError::RateLimited {
                    retry_after: self.retry_after(),
                },
                "ACCESS_DENIED" => StoreApiError::Unauthorized(message),
                _ => StoreApiError::Protocol(format!("{what}: {message}")),
            });
        }
        self.data
            .filter(|d| !d.is_null())
            .ok_or_else(|| StoreApiError::Protocol(format!("{what}: an answer without data")))
    }
}

/// One `userErrors` entry.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct UserError {
    #[serde(default)]
    pub field: Option<Vec<String>>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

impl UserError {
    /// The entry of input list `list` the error names (`["input", "quantities", "3",
    /// "quantity"]` → 3 for `quantities`).
    pub(super) fn index_in(&self, list: &str) -> Option<usize> {
        let field = self.field.as_ref()?;
        let at = field.iter().position(|f| f == list)?;
        field.get(at + 1)?.parse().ok()
    }

    /// Shopify's words, with the code when it gave one.
    pub(super) fn said(&self) -> String {
        let message = self.message.as_deref().unwrap_or("refused");
        match &self.code {
            Some(code) => format!("{message} ({code})"),
            None => message.to_string(),
        }
    }
}

/// The payload of mutation `field` in `data`, read as `T`.
pub(super) fn payload<T: DeserializeOwned>(data: Value, field: &str) -> Result<T, StoreApiError> {
    let payload = data
        .get(field)
        .filter(|p| !p.is_null())
        .cloned()
        .ok_or_else(|| StoreApiError::Protocol(format!("{field}: no payload")))?;
    serde_json::from_value(payload)
        .map_err(|_| StoreApiError::Protocol(format!("{field}: an unreadable payload")))
}

/// A mutation payload as far as the connector reads it.
#[derive(Debug, Deserialize)]
pub(super) struct Payload {
    #[serde(default, rename = "userErrors")]
    pub user_errors: Vec<UserError>,
}

/// The answer to [`STOCK_LOOKUP`].
#[derive(Debug, Deserialize)]
pub(super) struct Lookup {
    pub location: Option<IdNode>,
    #[serde(default)]
    pub nodes: Vec<Option<ItemNode>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct IdNode {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct ItemNode {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub tracked: Option<bool>,
}

/// The answer to [`PAGE_QUERY`].
#[derive(Debug, Deserialize)]
pub(super) struct PageData {
    #[serde(rename = "productVariants")]
    pub variants: Connection,
}

#[derive(Debug, Deserialize)]
pub(super) struct Connection {
    #[serde(default)]
    pub nodes: Vec<VariantNode>,
    #[serde(rename = "pageInfo")]
    pub page_info: PageInfo,
}

#[derive(Debug, Deserialize)]
pub(super) struct PageInfo {
    #[serde(rename = "hasNextPage")]
    pub has_next_page: bool,
    #[serde(default, rename = "endCursor")]
    pub end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct VariantNode {
    pub id: String,
    #[serde(default, rename = "legacyResourceId")]
    pub legacy_resource_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub price: Option<NumberText>,
    #[serde(default, rename = "inventoryQuantity")]
    pub inventory_quantity: Option<i64>,
    #[serde(default, rename = "inventoryItem")]
    pub inventory_item: Option<ItemNode>,
    pub product: Option<ProductNode>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ProductNode {
    pub id: String,
    #[serde(default, rename = "legacyResourceId")]
    pub legacy_resource_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// The numeric id of a REST resource: its `legacyResourceId`, else the end of its gid.
fn legacy_id(legacy: Option<&str>, gid: &str) -> Option<String> {
    let id = legacy
        .filter(|id| !id.trim().is_empty())
        .or_else(|| gid.rsplit('/').next())?
        .trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

impl VariantNode {
    /// The variant in our terms. Its title is the product's, and the variant's after a dash
    /// unless Shopify calls the lone variant `"Default Title"`; stock is `None` when the
    /// inventory item is not tracked.
    pub(super) fn into_store_variant(self, at: usize) -> Result<StoreVariant, StoreApiError> {
        let missing = |what: &str| {
            StoreApiError::Protocol(format!("productVariants.nodes[{at}] without {what}"))
        };
        let variant_id = legacy_id(self.legacy_resource_id.as_deref(), &self.id)
            .ok_or_else(|| missing("a numeric id"))?;
        let product = self.product.ok_or_else(|| missing("product"))?;
        let product_id = legacy_id(product.legacy_resource_id.as_deref(), &product.id)
            .ok_or_else(|| missing("a numeric product id"))?;
        let item = self
            .inventory_item
            .ok_or_else(|| missing("inventoryItem"))?;
        let NumberText(price) = self.price.ok_or_else(|| missing("price"))?;
        let product_title = product.title.unwrap_or_default();
        let title = match self.title.as_deref().map(str::trim) {
            None | Some("") | Some("Default Title") => product_title,
            Some(own) => format!("{product_title} - {own}"),
        };
        let tracked = item.tracked.unwrap_or(false);
        Ok(StoreVariant {
            variant_id,
            product_id,
            sku: self.sku.filter(|s| !s.trim().is_empty()),
            title,
            price,
            stock: if tracked {
                Some(self.inventory_quantity.unwrap_or(0))
            } else {
                None
            },
            published: product.status.as_deref() == Some("ACTIVE"),
            inventory_item_id: item.id,
        })
    }
}
