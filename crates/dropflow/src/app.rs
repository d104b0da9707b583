//! Process wiring: one `dropflow serve` process runs the HTTP server, the group-commit ingest
//! writer and the job runner over one database. Tests and benchmarks start the same thing.
//! `[process] role` splits it across processes sharing one PostgreSQL database: `web` (HTTP:
//! API, dashboard, webhooks, health, metrics) and `worker` (job runner, follower, event
//! consumers; its listener answers health and metrics only).

use crate::config::{Config, Role};
use crate::fulfilment::follower::FollowerConfig;
use crate::fulfilment::Services;
use crate::http::{self, HttpState};
use crate::ingest::{Ingest, IngestConfig};
use crate::jobs::{Registry, Runner, RunnerConfig};
use crate::services::store_directory::StoreDirectory;
use crate::storage::Database;
use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running dropflow: where it listens and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub db: Database,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    /// `None` in a `web` process.
    runner: Option<JoinHandle<()>>,
    ingest: JoinHandle<()>,
    follower: Option<JoinHandle<()>>,
    events: Option<JoinHandle<()>>,
    /// PostgreSQL: wake-ups to and from the other processes (`storage::wake`).
    wake: Option<JoinHandle<()>>,
}

/// The process-wide Prometheus recorder (a process can hold only one).
fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .clone()
}

/// The job handlers `dropflow serve` runs, without supplier connectors.
pub fn production_jobs(db: &Database) -> Registry {
    jobs_with_suppliers(db, &crate::config::SuppliersConfig::default())
}

/// Everything `dropflow serve` reaches outside the database, from its configuration.
pub fn services_from(config: &Config, db: &Database) -> Services {
    Services {
        db: db.clone(),
        suppliers: crate::suppliers::Suppliers::from_config(&config.suppliers),
        tracking: config.tracking.provider(),
        admin: store_admins(),
        cadence: config.follow.cadence(),
    }
}

/// The Admin API connectors, by platform: one per store and credentials, kept, so the calls
/// to one store share its pacing (Shopify's rate limit is per store).
pub fn store_admins() -> crate::fulfilment::AdminFactory {
    use crate::platforms::admin::StoreAdmin;
    use dropflow_core::intake::Platform;
    type Key = (Platform, String, String);
    let cache: std::sync::Mutex<std::collections::HashMap<Key, Arc<dyn StoreAdmin>>> =
        Default::default();
    Arc::new(move |platform, access| {
        let key = (platform, access.url.clone(), access.key.clone());
        let mut cache = cache.lock().ok()?;
        if let Some(admin) = cache.get(&key) {
            return Some(admin.clone());
        }
        let timeout = Duration::from_secs(10);
        let admin = crate::platforms::registry::store_platform(platform).admin(access, timeout);
        cache.insert(key, admin.clone());
        Some(admin)
    })
}

/// The job handlers `dropflow serve` runs, buying through the configured suppliers.
pub fn jobs_with_suppliers(db: &Database, suppliers: &crate::config::SuppliersConfig) -> Registry {
    let mut services = Services::bare(db);
    services.suppliers = crate::suppliers::Suppliers::from_config(suppliers);
    let mut registry = Registry::new();
    crate::fulfilment::register(&mut registry, services);
    registry
}

/// Starts everything on a connected, migrated database, with the fulfilment handlers over
/// `services` and the follower that queues supplier and carrier syncs when due.
pub async fn start_with_services(
    config: &Config,
    services: Services,
    follower: FollowerConfig,
) -> anyhow::Result<Running> {
    let mut registry = Registry::new();
    crate::fulfilment::register(&mut registry, services.clone());
    // Mail: the outbox's sender (SMTP, or .eml files when none is configured) and the
    // event consumers that write mails, flag orders and feed the merchants' webhooks.
    let notifier = crate::notify::Notifier::from_config(&config.notify)
        .context("cannot set up mail ([notify])")?;
    crate::notify::register(&mut registry, services.db.clone(), notifier);
    let mut running = launch(config, services.db.clone(), registry, services.cadence).await?;
    if !config.process.role.works() {
        return Ok(running);
    }
    running.events = Some(tokio::spawn(crate::events::run(
        services.db.clone(),
        events_config(config),
        running.shutdown.subscribe(),
    )));
    let shutdown = running.shutdown.subscribe();
    running.follower = Some(tokio::spawn(crate::fulfilment::follower::run(
        services, follower, shutdown,
    )));
    Ok(running)
}

/// The event consumers' settings `serve` and the demo run with.
pub fn events_config(config: &Config) -> crate::events::EventsConfig {
    crate::events::EventsConfig {
        merchant_email: config.notify.merchant_email.clone(),
        warehouse_address: config
            .suppliers
            .marketplace
            .as_ref()
            .map(|m| crate::notify::return_address::warehouse_address(&m.warehouse)),
        reach: config.outbound_reach(),
        ..Default::default()
    }
}

/// Connects, migrates and starts everything. `jobs` builds the handlers this process runs.
pub async fn start(
    config: &Config,
    jobs: impl FnOnce(&Database) -> Registry,
) -> anyhow::Result<Running> {
    let db = Database::connect(&config.database.url)
        .await
        .with_context(|| {
            format!(
                "cannot open database {}",
                crate::storage::redact_url(&config.database.url)
            )
        })?;
    db.migrate().await.context("cannot apply migrations")?;
    let registry = jobs(&db);
    start_on(config, db, registry).await
}

/// What the actions reach, from the configuration: the context the API and the dashboard
/// share, and the one the command line acts through.
pub fn context(
    config: &Config,
    db: &Database,
    cadence: dropflow_core::follow::Cadence,
    suppliers: crate::suppliers::Suppliers,
) -> crate::services::Context {
    crate::services::Context {
        db: db.clone(),
        stores: Arc::new(StoreDirectory::default()),
        cadence,
        warehouse_files: config.warehouse.files_dir(&config.database.url),
        outbound_reach: config.outbound_reach(),
        intake: config.intake.clone(),
        operator_account: config
            .warehouse
            .operator_account
            .clone()
            .unwrap_or_else(|| crate::storage::accounts::DEFAULT_ACCOUNT.to_string()),
        suppliers,
        payments: crate::payments::Payments::from_config(&config.payments),
    }
}

/// Starts on an already connected and migrated database.
pub async fn start_on(
    config: &Config,
    db: Database,
    registry: Registry,
) -> anyhow::Result<Running> {
    launch(config, db, registry, config.follow.cadence()).await
}

async fn launch(
    config: &Config,
    db: Database,
    registry: Registry,
    cadence: dropflow_core::follow::Cadence,
) -> anyhow::Result<Running> {
    let role = config.process.role;
    if db.engine == crate::storage::Engine::Sqlite && role != Role::Both {
        anyhow::bail!(
            "[process] role = \"{}\" needs PostgreSQL: roles divide the work between \
             processes sharing one database, and SQLite takes one process (one writer at a \
             time); run SQLite with role \"both\"",
            role.as_str()
        );
    }
    // `[fx]` seeds the shared rate table (never over a rate for a later day).
    let fx_seed = config.fx.rates()?;
    if !fx_seed.is_empty() {
        crate::storage::fx_rates::seed(&db, &fx_seed)
            .await
            .context("cannot seed the exchange rates ([fx])")?;
    }
    if config.outbound_reach().allows_private() {
        crate::outbound::allow_private_addresses();
    }
    let (ingest, ingest_task) = Ingest::start(
        db.clone(),
        IngestConfig {
            max_batch: config.ingest.max_batch.max(1),
            queue_depth: config.ingest.queue_depth.max(1),
        },
    );
    let (shutdown, shutdown_rx) = watch::channel(false);
    let wake =
        crate::storage::wake::across_processes(&db, &config.database.url, shutdown_rx.clone());
    let requeued = registry
        .requeue_provided(&db)
        .await
        .context("cannot queue again the jobs that waited for settings")?;
    if requeued > 0 {
        tracing::info!(
            jobs = requeued,
            "jobs that waited for settings this process has are queued again"
        );
    }
    let suppliers = registry.suppliers();
    let runner = Runner::new(
        db.clone(),
        registry,
        RunnerConfig {
            concurrency: config.jobs.concurrency.max(1),
            lease: Duration::from_secs(config.jobs.lease_secs.max(1)),
            poll_interval: Duration::from_millis(config.jobs.poll_ms.max(10)),
            backoff: crate::jobs::backoff::Backoff {
                base: Duration::from_millis(config.jobs.backoff_base_ms.max(1)),
                cap: Duration::from_millis(config.jobs.backoff_cap_ms.max(1)),
            },
            fair_share: config.jobs.fair_share,
        },
    );
    // A web process leaves the queue to the workers: the wake-up `storage::wake` sends on
    // PostgreSQL (and their polls, as a safety net) bring them what its commits queued.
    let runner_task = role
        .works()
        .then(|| tokio::spawn(runner.run(shutdown_rx.clone())));

    let ctx = context(config, &db, cadence, suppliers);
    let state = HttpState {
        ctx,
        ingest,
        metrics: metrics_handle(),
        webhook_deadline: Duration::from_millis(config.http.webhook_deadline_ms),
        cj_open_id: config.suppliers.cj.as_ref().and_then(|c| c.open_id.clone()),
        metrics_token: config.http.metrics_token.clone(),
        storage_health: Default::default(),
    };
    let router = if role.serves_http() {
        router(state, config.http.body_limit_bytes)
    } else {
        // A worker is health-checked and scraped like any process; it serves nothing else.
        http::finish(http::probes(), state, config.http.body_limit_bytes)
    };
    let listener = tokio::net::TcpListener::bind(&config.http.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.http.listen))?;
    let addr = listener.local_addr()?;
    let mut server_shutdown = shutdown_rx;
    let server = tokio::spawn(async move {
        // The peer address reaches handlers (the dashboard's login limiter counts by it).
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = server_shutdown.wait_for(|stop| *stop).await;
        })
        .await
    });
    tracing::info!(%addr, role = role.as_str(), "dropflow is listening");
    Ok(Running {
        addr,
        db,
        shutdown,
        server,
        runner: runner_task,
        ingest: ingest_task,
        follower: None,
        events: None,
        wake,
    })
}

/// The whole router: the HTTP surface ([`http::routes`]: `/api/v1`, webhooks, health) and the
/// dashboard's pages, both over the same actions, under one set of layers.
pub fn router(state: HttpState, body_limit: usize) -> axum::Router {
    let pages = crate::dashboard::router().with_state(state.ctx.clone());
    http::finish(http::routes().merge(pages), state, body_limit)
}

impl Running {
    /// Stops accepting requests, lets in-flight requests and jobs finish, then lets the ingest
    /// writer drain (it stops when the last request handle is gone).
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        if let Some(runner) = self.runner {
            let _ = runner.await;
        }
        if let Some(follower) = self.follower {
            let _ = follower.await;
        }
        if let Some(events) = self.events {
            let _ = events.await;
        }
        if let Some(wake) = self.wake {
            let _ = wake.await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.ingest).await;
        self.db.close().await;
    }

    /// `http://ADDR`, for clients.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Waits for Ctrl-C or SIGTERM: how `serve` and `sandbox` are told to stop.
pub async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
