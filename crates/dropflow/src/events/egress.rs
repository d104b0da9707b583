//! Where merchants' webhook endpoints may point. A merchant types the URL, and dropflow then
//! POSTs to it from inside the operator's network: without a check that is a way to reach the
//! database, the cloud's metadata service (169.254.169.254) or an admin port (SSRF). So, unless
//! the operator allows it (`[webhooks] allow_private_addresses`, for local development and
//! tests), a webhook may only go to public addresses:
//!
//! - a URL whose host is an IP literal or `localhost` is refused when registered and when sent;
//! - a host name is resolved by [`PublicOnly`], which drops every private address, so a name
//!   that points inside (or is re-pointed there later: DNS rebinding) gets no connection — the
//!   check is on the address actually connected to, not on an earlier lookup;
//! - the client follows no redirects and uses no proxy, either of which would bypass the above.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Whether `ip` is an address on the public internet (not loopback, private, link-local,
/// shared, multicast, documentation or otherwise reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible and NAT64 forms carry an inner address we do not trust.
        || ip.segments()[..6].iter().all(|s| *s == 0)
        || (first == 0x64 && ip.segments()[1] == 0xff9b))
}

/// Why a URL may not receive webhooks; `None` when it may (as far as can be told without
/// resolving its host, which happens at connection time).
pub fn refuse_host(url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return (!is_public(ip)).then(|| format!("{ip} is not a public address"));
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    (name == "localhost" || name.ends_with(".localhost"))
        .then(|| format!("{host} is not a public host"))
}

/// A resolver that keeps only public addresses.
#[derive(Debug, Default)]
pub struct PublicOnly;

/// The host resolved only to addresses webhooks may not go to.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to private addresses")]
pub struct PrivateOnly {
    pub host: String,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| is_public(addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(
                    Box::new(PrivateOnly { host }) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client webhooks are sent with.
pub fn client(allow_private: bool, connect_timeout: Duration) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(connect_timeout);
    let builder = if allow_private {
        builder
    } else {
        builder.dns_resolver(Arc::new(PublicOnly))
    };
    builder.build().unwrap_or_else(|_| reqwest::Client::new())
}

/// The refusal in a failed request's chain of causes, if that is why it failed.
pub fn refusal(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(private) = e.downcast_ref::<PrivateOnly>() {
            return Some(private.to_string());
        }
        cause = e.source();
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_and_localhost_urls_are_refused_names_wait_for_resolution() {
        let refused = |u: &str| refuse_host(&reqwest::Url::parse(u).unwrap());
        assert!(refused("http://127.0.0.1:8080/hook").is_some());
        assert!(refused("http://[::1]/hook").is_some());
        assert!(refused("http://169.254.169.254/latest/meta-data").is_some());
        assert!(refused("http://LOCALHOST/hook").is_some());
        assert!(refused("http://api.localhost/hook").is_some());
        assert!(refused("https://hooks.example.com/x").is_none());
        assert!(refused("https://93.184.216.34/x").is_none());
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_gets_no_connection() {
        let sent = client(false, Duration::from_secs(2))
            .post("http://localhost:9/hook")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            refusal(&sent).as_deref(),
            Some("localhost resolves only to private addresses")
        );
    }
}
