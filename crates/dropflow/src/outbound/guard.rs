//! The two checks every public-only client makes: names are resolved by [`PublicResolver`],
//! which drops every address that is not public, and every new connection is checked by
//! [`ConnectGuard`] against the address it actually reached (IP literals never go through a
//! resolver, and a name may be re-pointed between lookups: DNS rebinding). A refused
//! connection is closed before a byte of the request is written.

use super::special::{is_public, special_block};
use super::Policy;
use axum::http::Extensions;
use futures::future::BoxFuture;
use hyper_util::client::legacy::connect::{Connection, HttpInfo};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll};

/// Why an outside call was not made.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The host name resolved only to addresses outside calls may not go to.
    #[error("{host} resolves only to private addresses")]
    PrivateOnly { host: String },
    /// The connection reached an address outside calls may not go to.
    #[error("{ip} is not a public address")]
    PrivateAddress { ip: IpAddr },
    /// The connection has no peer address to check (not TCP): nothing is sent over it.
    #[error("the connection's peer address is unknown")]
    UnknownPeer,
}

/// A resolver that keeps only public addresses (all of them when the policy allows private).
#[derive(Debug, Clone, Copy)]
pub struct PublicResolver(pub(super) Policy);

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.0.allows_private();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| allow_private || is_public(addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(Refused::PrivateOnly { host })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// The connector layer that checks the peer address of every new connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectGuard(pub(super) Policy);

impl<S> tower::Layer<S> for ConnectGuard {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            inner,
            policy: self.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Guarded<S> {
    inner: S,
    policy: Policy,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, R> tower::Service<R> for Guarded<S>
where
    S: tower::Service<R> + Clone + Send + 'static,
    S::Response: Connection + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let connecting = self.inner.call(request);
        let policy = self.policy;
        Box::pin(async move {
            let connection = connecting.await.map_err(Into::into)?;
            if policy.allows_private() {
                return Ok(connection);
            }
            let mut extras = Extensions::new();
            connection.connected().get_extras(&mut extras);
            // No peer address (not TCP): nothing to vouch for, so nothing is sent.
            let ip = extras.get::<HttpInfo>().map(|info| info.remote_addr().ip());
            match ip {
                Some(ip) if is_public(ip) => Ok(connection),
                Some(ip) => Err(Box::new(Refused::PrivateAddress { ip }) as BoxError),
                None => Err(Box::new(Refused::UnknownPeer) as BoxError),
            }
        })
    }
}

/// Why a URL may not be called; `None` when it may, as far as can be told without resolving
/// its host (which the client does, and checks, when it connects).
pub fn refuse_host(url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        if is_public(ip) {
            return None;
        }
        return Some(match special_block(ip) {
            Some(block) => format!("{ip} is not a public address ({block})"),
            None => format!("{ip} is not a public address"),
        });
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    (name == "localhost" || name.ends_with(".localhost"))
        .then(|| format!("{host} is not a public host"))
}

/// The refusal in a failed request's chain of causes, if that is why it failed.
pub fn refusal(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.to_string());
        }
        cause = e.source();
    }
    None
}
