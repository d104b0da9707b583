//! The dropflow service: everything with IO. The domain (types, state machines, decisions)
//! lives in `dropflow-core`; this crate connects it to the world. The modules below are listed
//! in reading order, bottom layer first; an import only points up this list
//! (`tests/shape.rs` checks it; `docs/ARCHITECTURE.md` draws it).
//!
//! A webhook's path: [`http::webhooks`] → [`platforms`] (verify, parse) → [`ingest`] (one
//! durable commit for many deliveries, through [`storage`]) → 200. Work that follows is a row
//! in the [`jobs`] queue written in the same transaction, run by [`fulfilment`]'s handlers,
//! which call [`suppliers`] and [`carriers`] through [`outbound`]. People act through
//! [`services`], with [`http`], [`dashboard`] and [`cli`] as adapters. [`app`] wires a process.

// The one way out, and storage (which imports nothing above it).
/// The one HTTP client for outside calls (public addresses only, no redirects) and the
/// call layer every connector uses (timeouts, retry policy, status → error, redaction,
/// metrics).
pub mod outbound;
/// SQL storage over SQLite (default) or PostgreSQL, one portable query layer.
pub mod storage;

// The outside world's connectors.
/// Store platforms (Shopify, WooCommerce) behind `StorePlatform`, one registry line each.
pub mod platforms;
/// Supplier connectors (AliExpress, CJ, 1688-style marketplace, manual vendor) behind one
/// trait, with their capabilities in one registry.
pub mod suppliers;
/// Carrier tracking services (17TRACK), one registry line each.
pub mod carriers;
/// Payment providers for wallet top-ups (Stripe Checkout), one `[payments.*]` section each.
pub mod payments;
/// The supplier's product page shown to a manual vendor: `https` addresses only.
pub mod supplier_link;

// The work: intake, jobs, handlers, consumers.
/// Group-commit ingestion of store webhooks.
pub mod ingest;
/// The durable job queue's runner: claims with a lease, retries with backoff.
pub mod jobs;
/// Job handlers that carry orders through the supplier side: read, decide in the core, write
/// once.
pub mod fulfilment;
/// E-mail notifications: templates, a durable outbox, SMTP and `.eml` transports.
pub mod notify;
/// Durable consumers of the order-event stream: mail, needs attention, outbound webhooks.
pub mod events;

// People's actions and their adapters (the command line, which also starts processes, is
// last).
/// Product mappings as CSV, the format the mapping actions import and export.
pub mod mapping_csv;
/// The action layer: each merchant, vendor or operator action as one function with its
/// scope check; the API and the dashboard are adapters over it.
pub mod services;
/// The HTTP surface: webhooks, the `/api/v1` API, health and metrics.
pub mod http;
/// The merchant dashboard: server-rendered pages, sessions, CSRF-checked forms.
pub mod dashboard;

// Whole processes.
/// Configuration: defaults, then a TOML file, then `DROPFLOW__SECTION__KEY` environment.
pub mod config;
/// Process wiring: the context, the router that mounts the API and the dashboard, the ingest
/// writer, workers and consumers.
pub mod app;
/// `dropflow bench …`: measured throughput next to the machine's ceilings.
pub mod bench;
/// `dropflow demo`: every sandbox, orders flowing to delivered, a summary.
pub mod demo;
/// `dropflow sandbox`: every outside platform as one process, for a `dropflow serve` to use.
pub mod sandbox;
/// The command line (`dropflow serve`, `migrate`, `orders`, `tokens`, `users`, `bench`, …).
pub mod cli;
