//! `dropflow bench …`: measured figures printed next to this machine's ceilings, measured in
//! the same run, and the targets of issue 2. Nothing here asserts: a benchmark reports.
//!
//! - `ingest`: signed Shopify webhooks through the real HTTP stack into the database
//!   (group commit), next to ceiling A (the same requests, signature check only) and ceiling B
//!   (the same orders, one transaction each), then the acknowledgement latency at 80 % load.
//! - `tabs`: the orders page's queries over a database filled with many orders.
//! - `tracking`: carrier updates applied to many shipments, next to a bare UPDATE ceiling.
//! - `export`: a store's orders as CSV through the API (streamed), next to the bare SELECT of
//!   the same rows, with rows/s and the process's peak memory.
//! - `place`: webhook → supplier order placed at a fixed rate, next to the supplier call alone.
//! - `catalogue`: supplier changes applied to a store's mapped variants (record, lease,
//!   decide, settle) next to a bare-UPDATE ceiling; the Shopify calls 1,000 stock changes
//!   cost; a supplier's sell-out reaching the store, next to the follower's tick.
//! - `profit`: the profit of an orders page (50 orders) over many orders, next to the bare
//!   query of the same 50 rows, with the ratio.
//!
//! Each run works on fresh databases it creates and removes: SQLite files in a new temporary
//! folder by default, or `dropflow_bench_<uuid>` databases on the PostgreSQL server named by
//! `--database postgres://…`.

mod catalogue;
mod export;
mod hist;
mod ingest;
mod load;
mod place;
mod profit;
mod scratch;
mod sys;
mod tabs;
mod tabs_http;
mod tracking;

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Orders sent in the throughput measurement (each a distinct order and event).
    #[arg(long, default_value_t = 20_000)]
    pub orders: usize,
    /// Concurrent client connections.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Open-loop rate (orders/s) for the latency measurement; default 80 % of the measured
    /// throughput.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Length of the open-loop latency measurement.
    #[arg(long, default_value_t = 5)]
    pub latency_seconds: u64,
}

#[derive(Debug, clap::Args)]
pub struct TabsArgs {
    /// Orders to fill the database with.
    #[arg(long, default_value_t = 1_000_000)]
    pub orders: usize,
    /// Keep the filled database afterwards (its location is printed), e.g. to look at query
    /// plans.
    #[arg(long)]
    pub keep: bool,
}

/// `dropflow bench ingest`.
pub async fn ingest(args: IngestArgs, config: &Config) -> anyhow::Result<()> {
    ingest::run(args, config).await
}

/// `dropflow bench tabs`.
pub async fn tabs(args: TabsArgs, config: &Config) -> anyhow::Result<()> {
    tabs::run(args, config).await
}

#[derive(Debug, clap::Args)]
pub struct TrackingArgs {
    /// Shipments to fill the database with (each gets one update).
    #[arg(long, default_value_t = 100_000)]
    pub shipments: usize,
    /// Updates per transaction.
    #[arg(long, default_value_t = 1_000)]
    pub batch: usize,
    /// Keep the filled database afterwards (its location is printed).
    #[arg(long)]
    pub keep: bool,
}

/// `dropflow bench tracking`.
pub async fn tracking(args: TrackingArgs, config: &Config) -> anyhow::Result<()> {
    tracking::run(args, config).await
}

pub use place::PlaceArgs;

/// `dropflow bench place`.
pub async fn place(args: PlaceArgs, config: &Config) -> anyhow::Result<()> {
    place::run(args, config).await
}

pub use catalogue::CatalogueArgs;

/// `dropflow bench catalogue`.
pub async fn catalogue(args: CatalogueArgs, config: &Config) -> anyhow::Result<()> {
    catalogue::run(args, config).await
}

pub use profit::ProfitArgs;

/// `dropflow bench profit`.
pub async fn profit(args: ProfitArgs, config: &Config) -> anyhow::Result<()> {
    profit::run(args, config).await
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Orders to fill the database with, all exported.
    #[arg(long, default_value_t = 1_000_000)]
    pub orders: usize,
    /// Keep the filled database afterwards (its location is printed).
    #[arg(long)]
    pub keep: bool,
}

/// `dropflow bench export`.
pub async fn export(args: ExportArgs, config: &Config) -> anyhow::Result<()> {
    export::run(args, config).await
}
