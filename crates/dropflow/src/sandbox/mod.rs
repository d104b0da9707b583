//! `dropflow sandbox`: every outside platform dropflow talks to — a Shopify and a WooCommerce
//! store (signed webhooks out, Admin API in), AliExpress, CJ, the 1688-style marketplace and
//! 17TRACK — as one local process, for a `dropflow serve` of its own to run against, as it
//! would against the real platforms (like Stripe's mock server).
//!
//! It prints the `dropflow.toml` that points `serve` at it, then serves a small control API
//! (`control`): `POST /connect` sets the two stores up in that dropflow through dropflow's own
//! API (what a merchant does once), `POST /orders` makes orders on the stores and sends their
//! webhooks, `GET /orders/{platform}/{id}` shows what dropflow wrote back to the store.
//!
//! The sandboxes are the demo's (`crate::demo::sandboxes`), started the same way; only the
//! wiring to dropflow differs: here it goes over HTTP to another process.

/// The control API: connect, send orders, look at a store's order.
pub mod control;
/// The merchant's one-time setup, through dropflow's API.
pub mod merchant;

use crate::config::{FollowSettings, OutboundConfig, SuppliersConfig, TrackingConfig};
use crate::demo::sandboxes::Sandboxes;
use anyhow::Context;
use serde::Serialize;

/// What to run.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Where the control API listens; the platforms listen on free loopback ports.
    pub listen: String,
    /// Sandbox seconds per real second (86 400 / 60: a day a minute).
    pub time_scale: f64,
    /// Inject a few percent of timeouts, 5xx, 429, stock-outs and refused addresses.
    pub faults: bool,
}

/// The parts of `dropflow.toml` the sandbox decides. Everything else keeps its default.
#[derive(Serialize)]
struct ServeConfig {
    outbound: OutboundConfig,
    follow: FollowSettings,
    jobs: JobRetries,
    suppliers: SuppliersConfig,
    tracking: TrackingConfig,
}

/// `[jobs]`: sandbox faults clear in moments, so retry within seconds, not the production hour.
#[derive(Serialize)]
struct JobRetries {
    backoff_base_ms: u64,
    backoff_cap_ms: u64,
}

/// The line after the printed configuration (scripts read up to it).
pub const END_OF_CONFIG: &str = "# end of dropflow.toml";

/// The first line of the printed configuration names the control API after this.
pub const CONTROL_LINE: &str = "# sandbox control API: ";

/// The `dropflow.toml` for a `dropflow serve` that uses these sandboxes.
pub fn serve_toml(
    sandboxes: &Sandboxes,
    time_scale: f64,
    control_url: &str,
) -> anyhow::Result<String> {
    let config = ServeConfig {
        outbound: OutboundConfig {
            allow_private_addresses: true,
        },
        follow: FollowSettings {
            tick_ms: 250,
            time_scale,
        },
        jobs: JobRetries {
            backoff_base_ms: 250,
            backoff_cap_ms: 5_000,
        },
        suppliers: sandboxes.suppliers_config(),
        tracking: TrackingConfig {
            track17: Some(sandboxes.track17_config()),
        },
    };
    let body = toml::to_string(&config).context("cannot write the configuration as TOML")?;
    // The sandboxes listen on loopback: dropflow must be allowed to call private addresses.
    let body = body.replacen(
        "[outbound]\n",
        "# The sandboxes listen on 127.0.0.1, which a production dropflow refuses to call.\n\
         # FOR LOCAL DEVELOPMENT ONLY: let outside calls go to loopback and private addresses.\n\
         [outbound]\n",
        1,
    );
    Ok(format!(
        "{CONTROL_LINE}{control_url}\n# dropflow.toml for `dropflow serve` against `dropflow sandbox` (its ports change\n\
         # with every start: print it again then). Sandbox time runs {time_scale}x.\n{body}"
    ))
}

/// Runs until Ctrl-C: starts the sandboxes, prints the configuration on standard output
/// (then [`END_OF_CONFIG`]) and what to do next on standard error, serves the control API.
pub async fn run(options: &SandboxOptions) -> anyhow::Result<()> {
    let sandboxes = Sandboxes::start(options.time_scale).await?;
    if options.faults {
        sandboxes.inject_faults();
    }
    let listener = tokio::net::TcpListener::bind(&options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let control_url = format!("http://{}", listener.local_addr()?);
    let text = serve_toml(&sandboxes, options.time_scale, &control_url)?;
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        // Never a panic if nobody reads standard output (a script may close it).
        let _ = writeln!(out, "{text}{END_OF_CONFIG}");
        let _ = out.flush();
        let _ = writeln!(
            std::io::stderr(),
            "dropflow sandbox: control API at {control_url} (Shopify admin {shopify}, \
             WooCommerce {woo}).\n\
             Next: save what it printed on standard output as dropflow.toml \
             (`dropflow sandbox > dropflow.toml`), then\n  \
             dropflow serve                                    # in another shell\n  \
             TOKEN=$(dropflow tokens create --name sandbox | tail -n1)\n  \
             curl -X POST {control_url}/connect -H 'Content-Type: application/json' \
             -d '{{\"dropflow\":\"http://127.0.0.1:8080\",\"token\":\"'$TOKEN'\"}}'\n  \
             curl -X POST {control_url}/orders -H 'Content-Type: application/json' \
             -d '{{\"count\":20,\"rate\":5}}'",
            shopify = sandboxes.shopify.base_url,
            woo = sandboxes.woo.base_url,
        );
    }
    let state = control::Control::new(sandboxes, text, options.time_scale);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let server = {
        let state = state.clone();
        let mut stopped = stopped;
        tokio::spawn(async move {
            axum::serve(listener, control::router(state))
                .with_graceful_shutdown(async move {
                    let _ = stopped.changed().await;
                })
                .await
        })
    };
    crate::app::wait_for_signal().await;
    let _ = stop.send(true);
    let _ = server.await;
    if let Some(sandboxes) = control::Control::into_sandboxes(state) {
        sandboxes.shutdown().await;
    }
    Ok(())
}
