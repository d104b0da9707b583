//! WooCommerce's catalogue through its Admin API: being built (issue 15); until then every call
//! says so and nothing is written.

use super::admin::WooAdmin;
use crate::platforms::admin::StoreApiError;
use crate::platforms::admin_catalogue::{
    CatalogueAccess, CataloguePage, VariantWrite, VariantWritten,
};
use futures::future::BoxFuture;

fn not_yet() -> StoreApiError {
    StoreApiError::Refused("the WooCommerce catalogue is not written by this build yet".into())
}

impl CatalogueAccess for WooAdmin {
    fn catalogue_page<'a>(
        &'a self,
        _after: Option<&'a str>,
    ) -> BoxFuture<'a, Result<CataloguePage, StoreApiError>> {
        Box::pin(async { Err(not_yet()) })
    }

    fn write_variants<'a>(
        &'a self,
        _writes: &'a [VariantWrite],
    ) -> BoxFuture<'a, Result<Vec<VariantWritten>, StoreApiError>> {
        Box::pin(async { Err(not_yet()) })
    }

    fn write_batch_limit(&self) -> usize {
        100
    }

    fn publishes_variants(&self) -> bool {
        true
    }
}
