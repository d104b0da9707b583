//! Every store platform dropflow takes orders from, one line each. The webhook routes
//! (`/webhooks/{platform}`), the domain and Admin API checks of a registration, the intake
//! limits' messages and the write-back's Admin API connectors all find a platform's
//! [`StorePlatform`] here.

use super::{shopify, woocommerce, StorePlatform};
use dropflow_core::intake::Platform;

/// The connector of `platform`. The match is exhaustive, so a new [`Platform`] variant does
/// not build until it has its line here.
pub fn store_platform(platform: Platform) -> &'static dyn StorePlatform {
    match platform {
        Platform::Shopify => &shopify::Shopify,
        Platform::Woocommerce => &woocommerce::WooCommerce,
    }
}

/// Every store platform's connector, in [`Platform::ALL`] order.
pub fn store_platforms() -> impl Iterator<Item = &'static dyn StorePlatform> {
    Platform::ALL.into_iter().map(store_platform)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_is_listed_once_under_its_own_name() {
        let names: Vec<&str> = store_platforms().map(|p| p.platform().as_str()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
        for platform in Platform::ALL {
            assert_eq!(store_platform(platform).platform(), platform);
            assert_eq!(Platform::parse(platform.as_str()), Some(platform));
        }
    }
}
