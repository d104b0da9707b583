//! The one HTTP client for every outside call: suppliers, stores' Admin APIs, carriers,
//! merchants' webhooks. Several of those URLs are typed by merchants (webhook endpoints,
//! Admin API URLs) and dropflow calls them from inside the operator's network, with secrets
//! attached: without a check that is a way to reach the database, the cloud's metadata
//! service (169.254.169.254) or an admin port (SSRF). So, unless the operator allows it
//! (`[outbound] allow_private_addresses`, for local development, tests and the demo, whose
//! sandboxes listen on loopback), outside calls go to public addresses only:
//!
//! - host names are resolved through a resolver that drops every non-public address
//!   ([`special`]: the IANA special-purpose registries);
//! - every new connection is checked against the address it actually reached, so an IP
//!   literal or a name re-pointed inside later (DNS rebinding) gets no request;
//! - the client follows no redirects and uses no proxy, either of which would bypass the
//!   above;
//! - where a merchant types a URL, [`refuse_host`] refuses IP literals and `localhost` at
//!   once, with a reason.
//!
//! Connectors call through an [`Endpoint`] ([`call`]: per-call timeout, retry policy, status
//! → [`HttpError`], redaction of secrets, per-call metrics), built on [`client`] (the
//! process's setting, read at each connection) or, where the caller knows its setting
//! (webhook delivery, tests), on [`client_with`].

pub mod call;
mod guard;
pub mod special;

pub use call::{Answer, Endpoint, HttpError, Retry};
pub use guard::{refusal, refuse_host, Refused};
pub use special::is_public;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where outside calls may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// Public addresses only (production).
    #[default]
    PublicOnly,
    /// Any address, loopback and private ones included (development, tests, the demo).
    AnyAddress,
}

impl Reach {
    pub fn from_allow_private(allow: bool) -> Reach {
        if allow {
            Reach::AnyAddress
        } else {
            Reach::PublicOnly
        }
    }

    pub fn allows_private(self) -> bool {
        self == Reach::AnyAddress
    }
}

/// Whether this process lets connectors reach private addresses. Unit tests of this crate
/// talk to in-process sandboxes on loopback, so there it starts allowed; a real process
/// starts public-only and is switched by its configuration ([`allow_private_addresses`]).
static PROCESS_ALLOWS_PRIVATE: AtomicBool = AtomicBool::new(cfg!(test));

/// Lets connectors reach private addresses from now on, for the whole process
/// (`[outbound] allow_private_addresses`). One way only: a process runs one configuration,
/// and tests that start many apps in one process all run against loopback sandboxes; code
/// that must refuse whatever the process allows passes its own [`Reach`] to [`client_with`].
pub fn allow_private_addresses() {
    PROCESS_ALLOWS_PRIVATE.store(true, Ordering::SeqCst);
}

/// The reach in force for connectors.
pub fn process_reach() -> Reach {
    Reach::from_allow_private(PROCESS_ALLOWS_PRIVATE.load(Ordering::SeqCst))
}

/// Where a client's reach comes from.
#[derive(Debug, Clone, Copy)]
enum Policy {
    Fixed(Reach),
    /// The process setting, read at every connection (connectors are often built before the
    /// configuration that allows loopback sandboxes is applied).
    Process,
}

impl Policy {
    fn allows_private(self) -> bool {
        match self {
            Policy::Fixed(reach) => reach.allows_private(),
            Policy::Process => process_reach().allows_private(),
        }
    }
}

/// The client connectors use: the process's reach, no redirects, no proxy.
pub fn client(connect_timeout: Duration) -> reqwest::Client {
    build(Policy::Process, connect_timeout)
}

/// A client with a reach of its own, whatever the process allows.
pub fn client_with(reach: Reach, connect_timeout: Duration) -> reqwest::Client {
    build(Policy::Fixed(reach), connect_timeout)
}

fn build(policy: Policy, connect_timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(connect_timeout)
        .dns_resolver(Arc::new(guard::PublicResolver(policy)))
        .connector_layer(guard::ConnectGuard(policy))
        .build()
        // The builder fails only when the TLS backend cannot start; a client that connects
        // nowhere is then the safe answer (every call fails as a connection error).
        .unwrap_or_else(|_| unreachable_client())
}

fn unreachable_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connector_layer(guard::ConnectGuard(Policy::Fixed(Reach::PublicOnly)))
        .build()
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use tokio::io::AsyncReadExt;

    #[test]
    fn literal_and_localhost_urls_are_refused_names_wait_for_resolution() {
        let refused = |u: &str| refuse_host(&reqwest::Url::parse(u).unwrap());
        for inside in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.1/",
            "http://[2002:7f00:1::]/",
            "http://[2001::7f00:1]/",
            "http://[fec0::1]/",
            "http://[::ffff:7f00:1]/",
            "http://LOCALHOST/hook",
            "http://api.localhost/hook",
        ] {
            assert!(refused(inside).is_some(), "{inside}");
        }
        assert!(refused("https://hooks.example.com/x").is_none());
        assert!(refused("https://93.184.216.34/x").is_none());
        assert_eq!(
            refused("http://[2002:7f00:1::]/").as_deref(),
            Some("2002:7f00:1:: is not a public address (6to4 (RFC 3056): embeds IPv4)")
        );
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_gets_no_connection() {
        let sent = client_with(Reach::PublicOnly, Duration::from_secs(2))
            .post("http://localhost:9/hook")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            refusal(&sent).as_deref(),
            Some("localhost resolves only to private addresses")
        );
    }

    /// A loopback listener that counts the bytes it is sent.
    async fn listener() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let received = Arc::new(AtomicUsize::new(0));
        let counter = received.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = socket.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut buffer = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut buffer).await {
                        if n == 0 {
                            break;
                        }
                        counter.fetch_add(n, Ordering::SeqCst);
                    }
                });
            }
        });
        (addr, received)
    }

    #[tokio::test]
    async fn an_ip_literal_inside_gets_no_request_unless_allowed() {
        let (addr, received) = listener().await;
        let error = client_with(Reach::PublicOnly, Duration::from_secs(2))
            .post(format!("http://{addr}/admin"))
            .header("X-Shopify-Access-Token", "shpat_secret")
            .body("{}")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            refusal(&error).as_deref(),
            Some("127.0.0.1 is not a public address")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(received.load(Ordering::SeqCst), 0, "not a byte was sent");

        // Allowed (development): the request goes out (the listener never answers).
        let _ = client_with(Reach::AnyAddress, Duration::from_secs(2))
            .post(format!("http://{addr}/admin"))
            .timeout(Duration::from_millis(300))
            .body("{}")
            .send()
            .await;
        assert!(received.load(Ordering::SeqCst) > 0);
    }

    #[tokio::test]
    async fn no_redirect_is_followed() {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(|| async {
                (
                    axum::http::StatusCode::FOUND,
                    [("location", "http://169.254.169.254/latest/meta-data")],
                )
            }),
        );
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(socket, app).await });
        let answer = client_with(Reach::AnyAddress, Duration::from_secs(2))
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), reqwest::StatusCode::FOUND);
    }
}
