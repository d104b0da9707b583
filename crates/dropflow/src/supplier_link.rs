//! The supplier's product page a manual vendor opens to buy the item ("Open Supplier Page",
//! seed 001), from the product mapping. The merchant types it and the vendor's browser and
//! mail program open it, so only `https` addresses are taken: a `javascript:` or `data:`
//! link would run in the vendor's dashboard session, a plain `http` one could be rewritten
//! on the way. dropflow never fetches it, so no public-address check applies.

/// Longer addresses are refused.
pub const MAX_LEN: usize = 2048;

/// Checks a product page address a merchant gave (mapping API, CSV import): the address as
/// stored, or why it is refused.
pub fn check(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() > MAX_LEN {
        return Err(format!("longer than {MAX_LEN} characters"));
    }
    let url = reqwest::Url::parse(raw).map_err(|_| "not a valid URL".to_string())?;
    if url.scheme() != "https" {
        return Err("must start with https://".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    Ok(url.to_string())
}

/// The link to show for a stored address: only one [`check`] accepts (addresses stored
/// before the check existed may be anything, and are then shown as no link).
pub fn shown(stored: Option<&str>) -> Option<String> {
    stored.and_then(|url| check(url).ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn https_pages_are_taken_as_they_are() {
        for url in [
            "https://www.aliexpress.com/item/1005006.html",
            "https://detail.1688.com/offer/620.html?spm=a1z&sku=2#top",
        ] {
            assert_eq!(check(url).unwrap(), url);
        }
        assert_eq!(
            check("  https://example.com/p/1  ").unwrap(),
            "https://example.com/p/1"
        );
    }

    #[test]
    fn anything_but_https_is_refused_with_a_reason() {
        for (url, why) in [
            ("http://example.com/p/1", "https://"),
            ("javascript:alert(1)", "https://"),
            ("data:text/html,<b>x</b>", "https://"),
            ("ftp://example.com/p", "https://"),
            ("www.aliexpress.com/item/1.html", "valid URL"),
            ("https://user:pw@example.com/p", "user name"),
            ("", "valid URL"),
        ] {
            let err = check(url).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_LEN));
        assert!(check(&long).unwrap_err().contains("longer"));
    }

    #[test]
    fn only_checked_addresses_are_shown_as_links() {
        assert_eq!(shown(Some("javascript:alert(1)")), None);
        assert_eq!(shown(None), None);
        assert_eq!(
            shown(Some("https://example.com/p")).as_deref(),
            Some("https://example.com/p")
        );
    }
}
