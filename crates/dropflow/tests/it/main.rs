//! dropflow's integration tests: one binary, run against SQLite (default) or PostgreSQL
//! (`DROPFLOW_TEST_DATABASE=postgres://…`). Every test gets its own database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod accounts;
mod api_orders;
mod api_stores;
mod bad_input;
mod browser;
mod case_refunds;
mod case_suppliers;
mod cases;
mod cli;
mod concurrency;
mod dashboard_pages;
mod dashboard_stats;
mod dashboard_warehouse;
mod demo;
mod events;
mod hardening;
mod installation_actions;
mod isolation;
mod jobs_queue;
mod link_and_difference;
mod migration_parity;
mod money;
mod notify;
mod openapi_health;
mod order_changes;
mod paying;
mod placing;
mod process;
mod routing;
mod sandbox_process;
mod storage_contract;
mod supplier_cancel;
mod tracking_apply;
mod vendor_items;
mod wallet;
mod warehouse;
mod warehouse_operator;
mod warehouse_decisions;
mod warehouse_packages;
mod webhooks_order_amounts;
mod webhooks_shopify;
mod webhooks_woocommerce;
