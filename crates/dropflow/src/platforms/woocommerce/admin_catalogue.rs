//! WooCommerce's catalogue through its REST API v3: reading every variant page by page, and
//! writing stock, price and status in batches ([`super::admin_catalogue_write`]).
//!
//! A page of the catalogue is one page of `GET products?per_page=100&orderby=id&order=asc`
//! (100 is the most WordPress lets `per_page` be) and, for each variable product on it, all
//! of `GET products/{id}/variations`. A simple product is its own variant (variant id =
//! product id); a variable product's variations are its variants; `grouped` and `external`
//! products sell nothing themselves and are left out. Ordering by id keeps the pages stable
//! while the merchant adds products (new ids come last); the default, newest first, would
//! shift every page by each product added meanwhile.
//!
//! The next page's cursor is the next page number. WooCommerce answers the counts in
//! `X-WP-Total`/`X-WP-TotalPages`, which our outbound answer does not carry, so a full page
//! means "there may be more": a catalogue of exactly 100·n products costs one empty page.
//!
//! No rate limit is documented for WooCommerce (a site's host may still answer 429, which is
//! `RateLimited` as the outbound policy reads it).

use super::admin::WooAdmin;
use super::admin_catalogue_wire::{Kind, ProductRead, VariationRead};
use crate::platforms::admin::{unreadable, StoreApiError};
use crate::platforms::admin_catalogue::{
    CatalogueAccess, CataloguePage, VariantWrite, VariantWritten,
};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;

/// Most objects a list answers (`per_page` is at most 100) and a batch takes
/// (`woocommerce_rest_batch_items_limit`, 100 by default).
pub(super) const PAGE_SIZE: usize = 100;
/// Variation pages read for one product before giving up: 10,000 variations is not a product.
const MAX_VARIATION_PAGES: usize = 100;

fn cursor(after: Option<&str>) -> Result<u32, StoreApiError> {
    match after {
        None => Ok(1),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|page| *page >= 1)
            .ok_or_else(|| {
                StoreApiError::Protocol(format!("{text:?} is not a WooCommerce catalogue cursor"))
            }),
    }
}

fn list_query(page: usize) -> [(&'static str, String); 4] {
    [
        ("page", page.to_string()),
        ("per_page", PAGE_SIZE.to_string()),
        ("orderby", "id".to_string()),
        ("order", "asc".to_string()),
    ]
}

impl WooAdmin {
    /// One page of a list, read as `T`.
    async fn list_page<T: DeserializeOwned>(
        &self,
        path: &str,
        page: usize,
    ) -> Result<Vec<T>, StoreApiError> {
        let body = self.get_body(path, &list_query(page)).await?;
        serde_json::from_slice(&body).map_err(|e| unreadable(path, &e))
    }

    /// Every variation of a variable product.
    async fn variations_of(&self, product_id: u64) -> Result<Vec<VariationRead>, StoreApiError> {
        let path = format!("products/{product_id}/variations");
        let mut all = Vec::new();
        for page in 1..=MAX_VARIATION_PAGES {
            let read: Vec<VariationRead> = self.list_page(&path, page).await?;
            let last = read.len() < PAGE_SIZE;
            all.extend(read);
            if last {
                return Ok(all);
            }
        }
        Err(StoreApiError::Protocol(format!(
            "{path}: more than {} variations",
            PAGE_SIZE * MAX_VARIATION_PAGES
        )))
    }

    async fn read_catalogue_page(
        &self,
        after: Option<&str>,
    ) -> Result<CataloguePage, StoreApiError> {
        let page = cursor(after)?;
        let products: Vec<ProductRead> = self.list_page("products", page as usize).await?;
        let mut variants = Vec::new();
        for product in &products {
            match product.kind() {
                Kind::Own => variants.push(product.as_variant()),
                Kind::NotSold => {}
                // The product lists its variation ids: none means no call to make.
                Kind::Variable if product.variations.is_empty() => {}
                Kind::Variable => {
                    let variations = self.variations_of(product.id).await?;
                    variants.extend(variations.iter().map(|v| v.as_variant(product)));
                }
            }
        }
        let next = (products.len() >= PAGE_SIZE).then(|| (page + 1).to_string());
        tracing::debug!(
            page,
            products = products.len(),
            variants = variants.len(),
            "woocommerce: catalogue page read"
        );
        Ok(CataloguePage { variants, next })
    }
}

impl CatalogueAccess for WooAdmin {
    fn catalogue_page<'a>(
        &'a self,
        after: Option<&'a str>,
    ) -> BoxFuture<'a, Result<CataloguePage, StoreApiError>> {
        Box::pin(self.read_catalogue_page(after))
    }

    fn write_variants<'a>(
        &'a self,
        writes: &'a [VariantWrite],
    ) -> BoxFuture<'a, Result<Vec<VariantWritten>, StoreApiError>> {
        Box::pin(self.write_catalogue(writes))
    }

    fn write_batch_limit(&self) -> usize {
        PAGE_SIZE
    }

    /// A variation has its own `status` (publish/private).
    fn publishes_variants(&self) -> bool {
        true
    }
}
