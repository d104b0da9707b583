//! Checking a store's Admin API access against the shop itself before it is kept: the
//! credentials must open the very shop the store was registered for. This is what makes a
//! registration *verified* — anyone can type a shop's domain, only its owner holds a token
//! that opens it.

use crate::platforms::admin::StoreApiError;
use crate::platforms::registry::store_platform;
use crate::storage::settings::AdminAccess;
use crate::storage::stores::normalize_domain;
use dropflow_core::intake::Platform;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Why the access was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopCheckError {
    /// The shop refused the credentials, or they open another shop, or what answered is not
    /// the platform's Admin API: no retry helps.
    #[error("{0}")]
    Refused(String),
    /// The shop did not answer (in time): try again later.
    #[error("{0}")]
    Unavailable(String),
}

/// Asks the shop who it is with `access`, and compares with the registered `domain`.
pub async fn check(
    platform: Platform,
    domain: &str,
    access: &AdminAccess,
) -> Result<(), ShopCheckError> {
    let answered = store_platform(platform).shop_address(access, TIMEOUT).await;
    match answered {
        Ok(shop) if normalize_domain(&shop) == domain => Ok(()),
        Ok(_) => Err(ShopCheckError::Refused(format!(
            "key: these credentials open another shop, not {domain}"
        ))),
        Err(StoreApiError::Unauthorized(_)) => Err(ShopCheckError::Refused(
            "key: the shop refused these credentials".into(),
        )),
        Err(e) if e.is_transient() => Err(ShopCheckError::Unavailable(
            "the shop's Admin API did not answer; nothing was kept, try again".into(),
        )),
        Err(_) => Err(ShopCheckError::Refused(format!(
            "url: what answered is not the {} Admin API of {domain}",
            platform.as_str()
        ))),
    }
}
