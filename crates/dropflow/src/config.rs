//! Configuration, in three layers: built-in defaults, then a TOML file (`--config PATH`, or
//! `dropflow.toml` in the working folder if present), then `DROPFLOW__SECTION__KEY`
//! environment variables (e.g. `DROPFLOW__DATABASE__URL`). The defaults need nothing: SQLite
//! in the working folder, listening on localhost.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub ingest: IngestSettings,
    pub jobs: JobSettings,
    pub log: LogConfig,
    /// Supplier connectors; a supplier without a section is not bought from by this process.
    #[serde(default)]
    pub suppliers: SuppliersConfig,
    /// How suppliers and parcels are followed.
    #[serde(default)]
    pub follow: FollowSettings,
    /// The carrier tracking service; without one, parcels are followed through the supplier.
    #[serde(default)]
    pub tracking: TrackingConfig,
    /// E-mail: SMTP server or `.eml` folder, sender, merchant address.
    #[serde(default)]
    pub notify: crate::notify::NotifyConfig,
    /// `[warehouse]`: where inspection photos are kept.
    #[serde(default)]
    pub warehouse: WarehouseConfig,
    /// `[webhooks]`: the former home of `allow_private_addresses` (still read).
    #[serde(default)]
    pub webhooks: WebhooksConfig,
    /// `[fx]`: exchange rates seeded into the shared rate table at start-up.
    #[serde(default)]
    pub fx: FxConfig,
    /// `[outbound]`: where outside calls (suppliers, stores, carriers, webhooks) may go.
    #[serde(default)]
    pub outbound: OutboundConfig,
    /// `[intake]`: what a store order may contain, and what is held for a person.
    #[serde(default)]
    pub intake: crate::platforms::limits::IntakeLimits,
    /// `[payments.*]`: payment providers for wallet top-ups; without one, none is offered.
    #[serde(default)]
    pub payments: crate::payments::PaymentsConfig,
    /// `[process]`: what this `dropflow serve` process does (`role`).
    #[serde(default)]
    pub process: ProcessConfig,
}

/// `[process]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessConfig {
    /// `web`, `worker` or `both` (default); `serve --role` overrides it.
    #[serde(default)]
    pub role: Role,
}

/// What one `dropflow serve` process does. Several processes on one PostgreSQL database
/// divide the work: any number of `web` processes behind a proxy, any number of `worker`
/// processes claiming jobs (leases, `FOR UPDATE SKIP LOCKED`), syncs (compare-and-set) and
/// event cursors (leased). SQLite takes one process, `both`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// HTTP only: the API, the dashboard, the store and supplier webhooks (ingest), health
    /// and metrics. No job runner, follower or event consumers.
    Web,
    /// The job runner, the follower and the event consumers; its listen address answers
    /// only `/healthz`, `/readyz` and `/metrics`.
    Worker,
    /// Everything in one process.
    #[default]
    Both,
}

impl Role {
    /// Whether this process answers the API, the dashboard and the webhooks.
    pub fn serves_http(self) -> bool {
        matches!(self, Role::Web | Role::Both)
    }

    /// Whether this process runs jobs, follows suppliers and parcels, and consumes events.
    pub fn works(self) -> bool {
        matches!(self, Role::Worker | Role::Both)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Web => "web",
            Role::Worker => "worker",
            Role::Both => "both",
        }
    }
}

/// `[outbound]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundConfig {
    /// Let every outside call — suppliers, stores' Admin APIs, carriers, merchants' webhook
    /// endpoints — go to loopback, private and link-local addresses, and accept any http(s)
    /// Admin API URL (`crate::outbound`). Off by default: on, a merchant can make dropflow
    /// call inside the operator's network. For local development, tests and the demo, whose
    /// sandboxes listen on loopback.
    #[serde(default)]
    pub allow_private_addresses: bool,
}

/// `[fx]`: the exchange rates routing compares offer costs with. Seeds the shared table
/// (`fx_rates`) at start-up: a pair is written when missing or stored for an earlier day,
/// so a newer rate set through `PUT /api/v1/fx-rates` survives a restart.
///
/// ```toml
/// [fx]
/// ecb_csv = "/etc/dropflow/eurofxref.csv"   # the ECB's file; its newest row, EUR-based
/// [[fx.rates]]
/// base = "KWD"
/// quote = "USD"
/// rate = "3.25"          # 1 base = rate quote, a decimal string
/// as_of = "2026-12-01"
/// source = "treasury"    # optional, default "config"
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxConfig {
    /// An ECB euro reference-rate CSV (`eurofxref.csv` or `eurofxref-hist.csv`).
    #[serde(default)]
    pub ecb_csv: Option<std::path::PathBuf>,
    #[serde(default)]
    pub rates: Vec<FxConfigRate>,
}

/// One `[[fx.rates]]` entry: 1 `base` = `rate` `quote` on `as_of`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxConfigRate {
    pub base: dropflow_core::reference::currency::Currency,
    pub quote: dropflow_core::reference::currency::Currency,
    pub rate: dropflow_core::fx::Rate,
    pub as_of: chrono::NaiveDate,
    #[serde(default)]
    pub source: Option<String>,
}

impl FxConfig {
    /// Every rate the section names (the ECB file read, then the listed rates).
    pub fn rates(&self) -> anyhow::Result<Vec<dropflow_core::fx::FxRate>> {
        use anyhow::Context;
        let mut rates = Vec::new();
        if let Some(path) = &self.ecb_csv {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("[fx] ecb_csv: cannot read {}", path.display()))?;
            let parsed = dropflow_core::fx::ecb::parse(&text)
                .with_context(|| format!("[fx] ecb_csv: {}", path.display()))?;
            rates.extend(parsed.rates);
        }
        for (i, r) in self.rates.iter().enumerate() {
            if r.base == r.quote {
                anyhow::bail!("[fx] rates[{i}]: base and quote are both {}", r.base);
            }
            rates.push(dropflow_core::fx::FxRate {
                base: r.base,
                quote: r.quote,
                rate: r.rate,
                source: r.source.clone().unwrap_or_else(|| "config".into()),
                as_of: r.as_of,
            });
        }
        Ok(rates)
    }
}

/// `[webhooks]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// The former name of `[outbound] allow_private_addresses`, still honoured: either one
    /// set to true allows private addresses for every outside call.
    #[serde(default)]
    pub allow_private_addresses: bool,
}

/// `[warehouse]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarehouseConfig {
    /// Inspection photos; default: `warehouse-files` next to a SQLite database, otherwise in
    /// the system's temporary folder.
    pub files_dir: Option<std::path::PathBuf>,
    /// The installation's operator account: its `warehouse` users are the warehouse's own
    /// operators, the only ones who change the rate tables and refund rules (which apply to
    /// every merchant of the installation). Default: the `default` account.
    #[serde(default)]
    pub operator_account: Option<String>,
}

impl WarehouseConfig {
    /// The folder in force for a database URL.
    pub fn files_dir(&self, database_url: &str) -> std::path::PathBuf {
        if let Some(dir) = &self.files_dir {
            return dir.clone();
        }
        let sqlite = crate::storage::sqlite_file(database_url);
        match sqlite.as_deref().and_then(|p| p.parent()) {
            Some(parent) => parent.join("warehouse-files"),
            None => std::env::temp_dir().join("dropflow-warehouse-files"),
        }
    }
}

/// `[tracking]`: one section per tracking service, next to the carriers' registry.
pub use crate::carriers::TrackingConfig;

/// `[follow]`: the follower's pace. Intervals adapt to each order's state
/// (`dropflow_core::follow::Cadence`); `time_scale` shrinks them all, for demos against
/// sandboxes whose time runs fast.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FollowSettings {
    /// How often the follower looks for what is due.
    pub tick_ms: u64,
    /// Sandbox seconds per real second; 1 in production.
    pub time_scale: f64,
}

impl Default for FollowSettings {
    fn default() -> Self {
        FollowSettings {
            tick_ms: 1000,
            time_scale: 1.0,
        }
    }
}

impl FollowSettings {
    pub fn cadence(&self) -> dropflow_core::follow::Cadence {
        dropflow_core::follow::Cadence {
            time_scale: self.time_scale,
            ..Default::default()
        }
    }

    pub fn follower(&self) -> crate::fulfilment::follower::FollowerConfig {
        crate::fulfilment::follower::FollowerConfig {
            tick: std::time::Duration::from_millis(self.tick_ms.max(10)),
            ..Default::default()
        }
    }
}

pub use crate::suppliers::SuppliersConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://dropflow.db` (default) or `postgres://user@host/db`.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub listen: String,
    /// Largest request body accepted; bigger ones get 413 before being read.
    pub body_limit_bytes: usize,
    /// A webhook not committed by then is answered 503 so the store retries (Shopify gives
    /// up on a delivery after 5 s).
    pub webhook_deadline_ms: u64,
    /// `/metrics` answers only with `Authorization: Bearer <metrics_token>`; without a token
    /// it answers only callers on a loopback address (a scraper on the same host or an
    /// operator's tunnel), never the open internet.
    #[serde(default)]
    pub metrics_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    pub max_batch: usize,
    pub queue_depth: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    pub concurrency: usize,
    pub lease_secs: u64,
    pub poll_ms: u64,
    /// The first retry's delay; each next one doubles, up to `backoff_cap_ms` (with jitter).
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    #[serde(default = "default_backoff_cap_ms")]
    pub backoff_cap_ms: u64,
    /// Fair shares of the runner's slots across job kinds (`jobs::fair`); off, a claim takes
    /// the oldest due jobs whatever their kind (kept to measure what fairness costs).
    #[serde(default = "default_fair_share")]
    pub fair_share: bool,
}

fn default_fair_share() -> bool {
    true
}

fn default_backoff_base_ms() -> u64 {
    2_000
}

fn default_backoff_cap_ms() -> u64 {
    3_600_000
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `dropflow=debug,sqlx=warn`.
    pub filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: DatabaseConfig {
                url: "sqlite://dropflow.db".into(),
            },
            http: HttpConfig {
                listen: "127.0.0.1:8080".into(),
                body_limit_bytes: 2 * 1024 * 1024,
                webhook_deadline_ms: 4000,
                metrics_token: None,
            },
            ingest: IngestSettings {
                max_batch: 256,
                queue_depth: 4096,
            },
            jobs: JobSettings {
                concurrency: 8,
                lease_secs: 60,
                poll_ms: 250,
                backoff_base_ms: default_backoff_base_ms(),
                backoff_cap_ms: default_backoff_cap_ms(),
                fair_share: default_fair_share(),
            },
            log: LogConfig {
                format: "text".into(),
                filter: "info,sqlx=warn".into(),
            },
            suppliers: SuppliersConfig::default(),
            follow: FollowSettings::default(),
            tracking: TrackingConfig::default(),
            notify: crate::notify::NotifyConfig::default(),
            warehouse: WarehouseConfig::default(),
            webhooks: WebhooksConfig::default(),
            fx: FxConfig::default(),
            outbound: OutboundConfig::default(),
            intake: Default::default(),
            payments: Default::default(),
            process: ProcessConfig::default(),
        }
    }
}

impl Config {
    /// Where outside calls may go: `[outbound] allow_private_addresses`, or its former name
    /// `[webhooks] allow_private_addresses`.
    pub fn outbound_reach(&self) -> crate::outbound::Reach {
        crate::outbound::Reach::from_allow_private(
            self.outbound.allow_private_addresses || self.webhooks.allow_private_addresses,
        )
    }

    /// Loads the layers. An unknown key or a value of the wrong type fails, naming the key.
    pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("dropflow.toml").exists() => {
                figment = figment.merge(Toml::file_exact("dropflow.toml"))
            }
            None => {}
        }
        figment = figment.merge(Env::prefixed("DROPFLOW__").split("__"));
        figment.extract().map_err(Box::new)
    }
}

#[cfg(test)]
// figment's Jail API fixes the closure's error type; its size is not ours to choose.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                "[http]\nlisten = \"0.0.0.0:9000\"\n[database]\nurl = \"sqlite://file.db\"\n",
            )?;
            jail.set_env("DROPFLOW__DATABASE__URL", "postgres://x@localhost/db");
            let config = Config::load(Some(Path::new("custom.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(config.http.listen, "0.0.0.0:9000");
            assert_eq!(config.database.url, "postgres://x@localhost/db");
            assert_eq!(config.jobs.concurrency, 8);
            Ok(())
        });
    }

    #[test]
    fn supplier_sections_come_from_the_file_and_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "suppliers.toml",
                "[suppliers.cj]\nbase_url = \"http://127.0.0.1:9\"\n",
            )?;
            jail.set_env("DROPFLOW__SUPPLIERS__CJ__API_KEY", "CJ1@api@secret");
            let config = Config::load(Some(Path::new("suppliers.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            let Some(cj) = config.suppliers.cj else {
                panic!("the cj section was not read")
            };
            assert_eq!(cj.base_url, "http://127.0.0.1:9");
            assert!(
                !format!("{cj:?}").contains("secret"),
                "the key must not print"
            );
            assert!(config.suppliers.aliexpress.is_none());
            Ok(())
        });
    }

    #[test]
    fn the_notify_section_has_defaults_and_hides_its_credentials() {
        figment::Jail::expect_with(|jail| {
            let config = Config::load(None).map_err(|e| figment::Error::from(e.to_string()))?;
            assert!(
                config.notify.smtp_url.is_none(),
                "no SMTP server by default"
            );
            assert_eq!(config.notify.eml_dir, Path::new("mail"));
            jail.create_file(
                "mail.toml",
                "[notify]\nsmtp_url = \"smtp://mailer:hunter2@127.0.0.1:2525\"\n\
                 from = \"Shop <alerts@shop.test>\"\n",
            )?;
            jail.set_env("DROPFLOW__NOTIFY__MERCHANT_EMAIL", "owner@shop.test");
            let config = Config::load(Some(Path::new("mail.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            let notify = &config.notify;
            assert_eq!(notify.from, "Shop <alerts@shop.test>");
            assert_eq!(notify.merchant_email.as_deref(), Some("owner@shop.test"));
            assert_eq!(notify.eml_dir, Path::new("mail"));
            let shown = format!("{config:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("owner@shop.test"), "{shown}");
            jail.create_file("typo.toml", "[notify]\nsmtp_host = \"x\"\n")?;
            match Config::load(Some(Path::new("typo.toml"))) {
                Ok(_) => panic!("accepted an unknown [notify] key"),
                Err(e) => assert!(e.to_string().contains("smtp_host"), "{e}"),
            }
            Ok(())
        });
    }

    #[test]
    fn private_addresses_are_allowed_by_the_outbound_key_or_its_former_name() {
        use crate::outbound::Reach;
        figment::Jail::expect_with(|jail| {
            let config = Config::load(None).map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(config.outbound_reach(), Reach::PublicOnly);
            jail.create_file("new.toml", "[outbound]\nallow_private_addresses = true\n")?;
            let config = Config::load(Some(Path::new("new.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(config.outbound_reach(), Reach::AnyAddress);
            jail.create_file("old.toml", "[webhooks]\nallow_private_addresses = true\n")?;
            let config = Config::load(Some(Path::new("old.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(config.outbound_reach(), Reach::AnyAddress);
            Ok(())
        });
    }

    #[test]
    fn the_stripe_section_is_read_with_defaults_and_hides_its_secrets() {
        figment::Jail::expect_with(|jail| {
            let config = Config::load(None).map_err(|e| figment::Error::from(e.to_string()))?;
            assert!(config.payments.stripe.is_none(), "no provider by default");
            jail.create_file(
                "pay.toml",
                "[payments.stripe]\nsecret_key = \"sk_test_hunter2\"\n\
                 success_url = \"https://d.test/ok\"\ncancel_url = \"https://d.test/no\"\n",
            )?;
            jail.set_env(
                "DROPFLOW__PAYMENTS__STRIPE__WEBHOOK_SECRET",
                "whsec_hunter3",
            );
            let config = Config::load(Some(Path::new("pay.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            let Some(stripe) = &config.payments.stripe else {
                panic!("the [payments.stripe] section was not read")
            };
            assert_eq!(stripe.webhook_secret, "whsec_hunter3");
            assert_eq!(stripe.api_base, "https://api.stripe.com");
            assert_eq!(stripe.tolerance_secs, 300);
            let shown = format!("{config:?}");
            assert!(!shown.contains("hunter"), "{shown}");
            jail.create_file("typo.toml", "[payments.stripe]\nsecret = \"x\"\n")?;
            match Config::load(Some(Path::new("typo.toml"))) {
                Ok(_) => panic!("accepted an unknown [payments.stripe] key"),
                Err(e) => assert!(e.to_string().contains("secret"), "{e}"),
            }
            Ok(())
        });
    }

    #[test]
    fn the_process_role_defaults_to_both_and_comes_from_the_file_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            let config = Config::load(None).map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(config.process.role, Role::Both);
            jail.create_file("web.toml", "[process]\nrole = \"web\"\n")?;
            let config = Config::load(Some(Path::new("web.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(config.process.role, Role::Web);
            assert!(config.process.role.serves_http() && !config.process.role.works());
            jail.set_env("DROPFLOW__PROCESS__ROLE", "worker");
            let config = Config::load(Some(Path::new("web.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(config.process.role, Role::Worker);
            assert!(!config.process.role.serves_http() && config.process.role.works());
            jail.set_env("DROPFLOW__PROCESS__ROLE", "everything");
            match Config::load(None) {
                Ok(_) => panic!("accepted an unknown role"),
                Err(e) => assert!(e.to_string().contains("everything"), "{e}"),
            }
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_is_an_error_that_names_it() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "[http]\nlisten_on = \"x\"\n")?;
            match Config::load(Some(Path::new("bad.toml"))) {
                Ok(_) => panic!("accepted an unknown key"),
                Err(e) => assert!(e.to_string().contains("listen_on"), "{e}"),
            }
            Ok(())
        });
    }

    #[test]
    fn the_fx_section_reads_an_ecb_file_and_listed_rates_and_names_a_bad_value() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "eurofxref.csv",
                "Date, USD, JPY, \n10 February 2023, 1.0690, 139.88, \n",
            )?;
            jail.create_file(
                "fx.toml",
                "[fx]\necb_csv = \"eurofxref.csv\"\n[[fx.rates]]\nbase = \"KWD\"\n\
                 quote = \"USD\"\nrate = \"3.25\"\nas_of = \"2026-12-01\"\n",
            )?;
            let config = Config::load(Some(Path::new("fx.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            let rates = config
                .fx
                .rates()
                .map_err(|e| figment::Error::from(e.to_string()))?;
            let described: Vec<String> = rates
                .iter()
                .map(|r| format!("{}/{} {} {} {}", r.base, r.quote, r.rate, r.as_of, r.source))
                .collect();
            assert_eq!(
                described,
                [
                    "EUR/USD 1.069 2023-02-10 ECB euro foreign exchange reference rates",
                    "EUR/JPY 139.88 2023-02-10 ECB euro foreign exchange reference rates",
                    "KWD/USD 3.25 2026-12-01 config",
                ]
            );
            jail.create_file(
                "bad.toml",
                "[[fx.rates]]\nbase = \"EUR\"\nquote = \"USD\"\nrate = \"-1\"\n\
                 as_of = \"2026-12-01\"\n",
            )?;
            let error = match Config::load(Some(Path::new("bad.toml"))) {
                Ok(_) => panic!("a negative rate must be refused"),
                Err(e) => e.to_string(),
            };
            assert!(error.contains("rate"), "{error}");
            Ok(())
        });
    }
}
