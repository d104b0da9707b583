//! What a store's domain and its Admin API URL may be. The domain is the key webhooks are
//! matched by (Shopify `X-Shopify-Shop-Domain`, WooCommerce `X-WC-Webhook-Source`); the Admin
//! API URL is called with the store's token. Both come from the merchant, so both are checked
//! against the platform's own rules ([`StorePlatform::check_domain`]: a Shopify shop is always
//! `{handle}.myshopify.com`, a WooCommerce site is a public host name), and the Admin API is
//! the shop's own site over https — never an address inside the operator's network.
//!
//! [`StorePlatform::check_domain`]: crate::platforms::StorePlatform::check_domain

use super::registry::store_platform;
use crate::outbound::Reach;
use crate::storage::stores::normalize_domain;
use dropflow_core::intake::Platform;

const MAX_HOST_LEN: usize = 253;
/// Longest DNS label (RFC 1035).
pub(super) const MAX_LABEL_LEN: usize = 63;

/// The store's domain, normalised (lower case, no scheme, no trailing `/`), or why it is not
/// one (a message naming the field).
pub fn check_domain(platform: Platform, raw: &str) -> Result<String, String> {
    let domain = normalize_domain(raw);
    if domain.is_empty() {
        return Err("domain: must be the shop's host name (e.g. my-shop.myshopify.com)".into());
    }
    store_platform(platform)
        .check_domain(&domain)
        .map(|()| domain)
}

/// Whether `host` is a syntactically valid public DNS name (RFC 1123 labels, a top-level
/// domain that is not numeric, so no IP literal; not a name reserved for local use).
pub(super) fn public_host_name(host: &str) -> Result<(), &'static str> {
    if host.is_empty() || host.len() > MAX_HOST_LEN {
        return Err("is not a host name");
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !labels.iter().all(label_ok) {
        return Err("is not a host name (letters, digits, hyphens and dots only)");
    }
    let Some(top) = labels.last().filter(|_| labels.len() >= 2) else {
        return Err("is not a public host name (it needs a domain, e.g. shop.example.com)");
    };
    if top.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is an IP address, not a host name");
    }
    // Special-use names never on the public internet (RFC 6761, RFC 6762, and ICANN's
    // reservation of .internal for private use).
    if matches!(
        *top,
        "localhost" | "local" | "internal" | "invalid" | "home" | "lan"
    ) {
        return Err("is not a public host name");
    }
    Ok(())
}

/// The Admin API URL to store (no trailing `/`), or why it may not be used (a message naming
/// the field). Public-only (production): exactly the shop's own site over https,
/// `https://{domain}`. With private addresses allowed (development, sandboxes on loopback):
/// any http(s) URL.
pub fn check_admin_url(
    platform: Platform,
    domain: &str,
    raw: &str,
    reach: Reach,
) -> Result<String, String> {
    let raw = raw.trim();
    let url = reqwest::Url::parse(raw).map_err(|_| "url: not a valid URL".to_string())?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
        return Err("url: must be an https:// address".into());
    }
    if reach.allows_private() {
        return Ok(raw.trim_end_matches('/').to_string());
    }
    let expected = format!("https://{domain}");
    let own = url.scheme() == "https"
        && url.username().is_empty()
        && url.password().is_none()
        && url.port().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && normalize_domain(url.as_str()) == domain;
    if !own {
        let whose = store_platform(platform).admin_api_site();
        return Err(format!("url: must be {expected} ({whose}, over https)"));
    }
    Ok(expected)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn shopify_domains_follow_the_platform_syntax() {
        for good in [
            "my-shop.myshopify.com",
            " My-Shop.MyShopify.com ",
            "https://a1.myshopify.com/",
        ] {
            assert!(check_domain(Platform::Shopify, good).is_ok(), "{good}");
        }
        for bad in [
            "<script>.myshopify.com",
            "shop.example",
            ".myshopify.com",
            "-shop.myshopify.com",
            "a.b.myshopify.com",
            "shop.myshopify.com.evil.example",
            "shop_1.myshopify.com",
            "localhost",
            "",
        ] {
            let error = check_domain(Platform::Shopify, bad).unwrap_err();
            assert!(error.starts_with("domain: "), "{bad}: {error}");
        }
    }

    #[test]
    fn woocommerce_domains_are_public_host_names() {
        for good in [
            "shop.example.com",
            "http://SHOP.example/",
            "example.com/shop",
            "xn--bcher-kva.example",
        ] {
            assert!(check_domain(Platform::Woocommerce, good).is_ok(), "{good}");
        }
        for bad in [
            "<script>.example.com",
            "localhost",
            "shop",
            "10.0.0.1",
            "[::1]",
            "shop.local",
            "db.internal",
            "shop..example",
            "-shop.example",
            "shop.example:8080",
            "example.com/../admin",
            "user@shop.example",
        ] {
            let error = check_domain(Platform::Woocommerce, bad).unwrap_err();
            assert!(error.starts_with("domain: "), "{bad}: {error}");
        }
    }

    #[test]
    fn admin_urls_must_be_the_shops_own_site_over_https() {
        let shop = "my-shop.myshopify.com";
        assert_eq!(
            check_admin_url(
                Platform::Shopify,
                shop,
                "https://my-shop.myshopify.com/",
                Reach::PublicOnly
            ),
            Ok("https://my-shop.myshopify.com".to_string())
        );
        for bad in [
            "http://127.0.0.1:8080",
            "http://169.254.169.254",
            "http://[::1]",
            "http://10.0.0.1",
            "http://[2002:7f00:1::]",
            "http://intranet",
            "http://my-shop.myshopify.com",
            "https://other.myshopify.com",
            "https://my-shop.myshopify.com:8443",
            "https://user:pw@my-shop.myshopify.com",
            "https://my-shop.myshopify.com.evil.example",
            "ftp://my-shop.myshopify.com",
            "not a url",
        ] {
            let error =
                check_admin_url(Platform::Shopify, shop, bad, Reach::PublicOnly).unwrap_err();
            assert!(error.starts_with("url: "), "{bad}: {error}");
        }
        assert_eq!(
            check_admin_url(
                Platform::Woocommerce,
                "example.com/shop",
                "https://EXAMPLE.com/shop/",
                Reach::PublicOnly
            ),
            Ok("https://example.com/shop".to_string())
        );
        assert!(check_admin_url(
            Platform::Woocommerce,
            "shop.example.com",
            "https://10.0.0.1",
            Reach::PublicOnly
        )
        .is_err());
        // Development: the sandboxes on loopback.
        assert_eq!(
            check_admin_url(
                Platform::Shopify,
                shop,
                "http://127.0.0.1:9000/",
                Reach::AnyAddress
            ),
            Ok("http://127.0.0.1:9000".to_string())
        );
    }
}
