//! The dropflow service: everything with IO. The domain (types, state machines) lives in
//! `dropflow-core`; this crate connects it to the world.
//!
//! A webhook's path through the code: [`http::webhooks`] verifies and parses it with
//! [`platforms`], hands it to [`ingest`] which gathers concurrent deliveries into one durable
//! commit through [`storage`], and answers 200 only after that commit. Work that follows an
//! order change is a row in the [`jobs`] queue, written in the same transaction.

/// Configuration: defaults, then a TOML file, then `DROPFLOW__SECTION__KEY` environment.
pub mod config;
/// Store platforms (Shopify, WooCommerce): signatures and payload transformers.
pub mod platforms;
/// Supplier connectors (AliExpress, CJ, manual vendor) behind one trait.
pub mod suppliers;
/// Carrier tracking services (17TRACK).
pub mod carriers;
/// The one HTTP client for outside calls: public addresses only (SSRF), no redirects.
pub mod outbound;
/// SQL storage over SQLite (default) or PostgreSQL, one portable query layer.
pub mod storage;
/// Group-commit ingestion of store webhooks.
pub mod ingest;
/// Job handlers that carry orders through the supplier side (routing, …).
pub mod fulfilment;
/// Product mappings as CSV (`dropflow mappings import|export`).
pub mod mapping_csv;
/// The supplier's product page shown to a manual vendor: `https` addresses only.
pub mod supplier_link;
/// The durable job queue's runner: claims with a lease, retries with backoff.
pub mod jobs;
/// E-mail notifications: templates, a durable outbox, SMTP and `.eml` transports.
pub mod notify;
/// Durable consumers of the order-event stream: mail, needs attention, outbound webhooks.
pub mod events;
/// The action layer: each merchant, vendor or operator action as one function with its
/// scope check; the API and the dashboard are adapters over it.
pub mod services;
/// The HTTP surface: webhooks, the `/api/v1` API, health and metrics.
pub mod http;
/// The command line (`dropflow serve`, `migrate`, `orders`, `tokens`, `address`, `bench`).
pub mod cli;
/// The merchant dashboard: server-rendered pages, sessions, CSRF-checked forms.
pub mod dashboard;
/// Process wiring: builds the database, ingest writer, workers and HTTP server.
pub mod app;
/// `dropflow bench ingest`: measured throughput next to the machine's ceilings.
pub mod bench;
/// `dropflow demo`: every sandbox, orders flowing to delivered, a summary.
pub mod demo;
/// `dropflow sandbox`: every outside platform as one process, for a `dropflow serve` to use.
pub mod sandbox;
