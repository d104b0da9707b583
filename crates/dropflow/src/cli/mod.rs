//! The `dropflow` command line. Exit codes: 0 success, 1 a negative answer (`address check`
//! on an invalid address, nothing found), 2 an error.

/// The commands that act (orders, stores, tokens, jobs, mappings): adapters over the
/// actions in [`crate::services`], as the installation.
mod actions;
/// `dropflow users`: dashboard users from the command line.
mod users;

use crate::config::Config;
use crate::services::ActionError;
use crate::storage::{self, Database};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "dropflow", version, about = "Dropshipping order fulfilment")]
pub struct Cli {
    /// A TOML configuration file (default: ./dropflow.toml if present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Database URL; overrides the configuration (sqlite://FILE or postgres://…).
    #[arg(long, global = true)]
    pub database: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API, the webhook intake and the job workers.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// What this process does (default `[process] role`, else both): `web` serves HTTP,
        /// `worker` runs jobs, the follower and event consumers (answering only health and
        /// metrics). Several processes need PostgreSQL.
        #[arg(long, value_enum)]
        role: Option<crate::config::Role>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Look at orders.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Manage dashboard users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage stores.
    #[command(subcommand)]
    Stores(StoresCommand),
    /// The job queue.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Product mappings (store items to supplier offers) as CSV.
    #[command(subcommand)]
    Mappings(MappingsCommand),
    /// Recognise the courier from a tracking number (pattern and check digit).
    #[command(subcommand)]
    Tracking(TrackingCommand),
    /// Postal-address checks.
    #[command(subcommand)]
    Address(AddressCommand),
    /// Benchmarks that print measured figures next to this machine's ceilings.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Start dropflow with every sandbox and watch orders flow to delivered.
    Demo(DemoArgs),
    /// Serve every outside platform (stores, suppliers, 17TRACK) for a `dropflow serve` of
    /// its own; prints the dropflow.toml that points it here.
    Sandbox(SandboxArgs),
}

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address of the control API (connect, send orders); the platforms take free ports.
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub listen: String,
    /// Sandbox seconds per real second (1440: a day a minute).
    #[arg(long, default_value_t = 1440.0)]
    pub time_scale: f64,
    /// Inject a few percent of timeouts, 5xx, 429, stock-outs and refused addresses.
    #[arg(long)]
    pub faults: bool,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many orders to send.
    #[arg(long, default_value_t = 200)]
    pub orders: usize,
    /// Orders per second.
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Run to the end, print the summary as JSON and exit (instead of serving on).
    #[arg(long)]
    pub json: bool,
    /// No injected faults.
    #[arg(long)]
    pub no_faults: bool,
    /// No edits, cancellations or refunds after the orders (5 % each by default).
    #[arg(long)]
    pub no_changes: bool,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Keep the demo's data in this database (default: a temporary SQLite file).
    #[arg(long)]
    pub database: Option<String>,
    /// Give up waiting for the orders to finish after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub deadline_secs: u64,
    /// `plain` (AliExpress, CJ, a manual vendor) or `warehouse` (bought at the marketplace,
    /// through the warehouse: received, inspected, packed, fee paid, dispatched).
    #[arg(long, default_value = "plain")]
    pub scenario: String,
}

#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// List orders in a tab, newest first.
    List {
        #[arg(long, default_value = "all")]
        tab: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Order name, store order id or customer e-mail.
        #[arg(long)]
        search: Option<String>,
    },
    /// Show one order with lines and timeline (by id or name, e.g. 1001).
    Show { id: String },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create an API token; the token is printed as the last line, once.
    Create {
        #[arg(long, default_value = "admin")]
        name: String,
        /// The user the token acts as (with their role and stores); without it the token acts
        /// as an owner of the default account.
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user; the password is read from standard input (one line).
    Create {
        #[arg(long)]
        email: String,
        /// owner, staff, warehouse or vendor.
        #[arg(long)]
        role: String,
        /// A store (by domain) a staff user may see; repeat for several.
        #[arg(long = "store")]
        stores: Vec<String>,
        /// The manual vendor (its handle in the product mappings) a vendor user acts for.
        #[arg(long)]
        vendor: Option<String>,
        /// The account (by name) for an owner, warehouse or vendor user; made if it does not
        /// exist. Default: the account every command-line store is in.
        #[arg(long)]
        account: Option<String>,
    },
    /// List users (e-mail, role, account).
    List,
}

#[derive(Debug, Subcommand)]
pub enum StoresCommand {
    /// Register a store so its webhooks are accepted.
    Add {
        #[arg(long)]
        platform: String,
        #[arg(long)]
        domain: String,
        /// The webhook signing secret (or set DROPFLOW_WEBHOOK_SECRET).
        #[arg(long, env = "DROPFLOW_WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
    },
    /// List registered stores.
    List,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs in one status.
    List {
        #[arg(long, default_value = "failed")]
        status: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Re-queue a failed job.
    Retry { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum TrackingCommand {
    /// Print every courier format the number fits, with its check-digit outcome and tracking
    /// URL. Exit 0 when one fits with a valid (or no) check digit, 1 otherwise.
    Detect {
        /// The tracking number; spaces and dashes are ignored, so it may be given in parts.
        #[arg(required = true, num_args = 1..)]
        number: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MappingsCommand {
    /// Import mappings from a CSV file (one offer per row; see `mapping_csv`). Bad rows are
    /// reported by line and skipped; the good ones are imported.
    Import {
        /// The store's domain (or id).
        #[arg(long)]
        store: String,
        file: PathBuf,
    },
    /// Write a store's mappings as CSV (to standard output without a file).
    Export {
        #[arg(long)]
        store: String,
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AddressCommand {
    /// Check a postal code against a country's format. Exit 0 valid, 1 not.
    Check {
        #[arg(long)]
        country: String,
        #[arg(long = "postal-code")]
        postal_code: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Signed Shopify webhooks through the real HTTP stack into the database, next to two
    /// ceilings (signature check only; one transaction per order) and the latency at 80 % load.
    Ingest(crate::bench::IngestArgs),
    /// The orders page's queries (tab pages, keyset pages, tab counts) over many orders.
    Tabs(crate::bench::TabsArgs),
    /// Carrier tracking updates applied to many shipments (batched, change-detecting), next to
    /// a bare one-column UPDATE ceiling.
    Tracking(crate::bench::TrackingArgs),
    /// Webhook → supplier order placed at a fixed rate, next to the supplier call alone.
    Place(crate::bench::PlaceArgs),
    /// The profit of an orders page (50 orders) over many orders, next to the bare query of
    /// the same rows.
    Profit(crate::bench::ProfitArgs),
    /// Supplier changes applied to many mapped store variants, next to a bare-UPDATE
    /// ceiling; the Shopify calls 1,000 stock changes cost; a sell-out's way to the store.
    Catalogue(crate::bench::CatalogueArgs),
    /// A store's orders exported as CSV through the API (streamed), next to the bare SELECT
    /// of the same rows: rows/s and peak memory.
    Export(crate::bench::ExportArgs),
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(url) = &cli.database {
        config.database.url = url.clone();
    }
    // The demo's screen is its progress line: only errors are logged there, unless the
    // filter was set on purpose.
    if matches!(cli.command, Command::Demo(_)) && std::env::var("DROPFLOW__LOG__FILTER").is_err() {
        config.log.filter = "error".into();
    }
    init_logging(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DROPFLOW_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn open(config: &Config) -> anyhow::Result<Database> {
    let db = Database::connect(&config.database.url)
        .await
        .with_context(|| {
            format!(
                "cannot open database {}",
                storage::redact_url(&config.database.url)
            )
        })?;
    db.migrate().await.context("cannot apply migrations")?;
    Ok(db)
}

/// What a command that acts reaches: the configured context of the action layer, where it
/// acts as the installation ([`crate::services::Caller::installation`]).
async fn context(config: &Config) -> anyhow::Result<crate::services::Context> {
    let db = open(config).await?;
    let suppliers = crate::suppliers::Suppliers::from_config(&config.suppliers);
    Ok(crate::app::context(
        config,
        &db,
        config.follow.cadence(),
        suppliers,
    ))
}

/// An action's answer as the command's exit: "not found" is a negative answer (exit 1, the
/// reason on standard error), any other refusal an error (exit 2).
fn exit(answer: Result<ExitCode, ActionError>) -> anyhow::Result<ExitCode> {
    match answer {
        Ok(code) => Ok(code),
        Err(ActionError::NotFound(message)) => {
            eprintln!("{message}");
            Ok(ExitCode::from(1))
        }
        Err(error) => Err(error.into()),
    }
}

async fn run(command: Command, mut config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { listen, role } => {
            if let Some(listen) = listen {
                config.http.listen = listen;
            }
            if let Some(role) = role {
                config.process.role = role;
            }
            // Held until the process ends (the system lets go of it even on SIGKILL).
            let _one_process = sqlite_serve_lock(&config.database.url)?;
            let db = open(&config).await?;
            let services = crate::app::services_from(&config, &db);
            let running =
                crate::app::start_with_services(&config, services, config.follow.follower())
                    .await?;
            println!("dropflow listening on {}", running.base_url());
            if config.process.role.serves_http() && storage::accounts::user_count(&db).await? == 0 {
                // On standard error, and never a panic if nobody reads it: standard output's
                // first line is the address, which scripts (and the tests) read and then close.
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "No dashboard user yet. Make the first one with:\n  \
                     echo 'a long password' | dropflow users create --email you@example.com --role owner\n\
                     then sign in at {}/",
                    running.base_url()
                );
            }
            crate::app::wait_for_signal().await;
            tracing::info!("shutting down");
            running.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            open(&config).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Orders(cmd) => exit(actions::orders(cmd, &context(&config).await?).await),
        Command::Tokens(cmd) => exit(actions::tokens(cmd, &context(&config).await?).await),
        Command::Stores(cmd) => exit(actions::stores(cmd, &context(&config).await?).await),
        Command::Users(cmd) => exit(users::run(cmd, &context(&config).await?).await),
        Command::Jobs(cmd) => exit(actions::jobs(cmd, &context(&config).await?).await),
        Command::Mappings(cmd) => exit(actions::mappings(cmd, &context(&config).await?).await),
        Command::Tracking(TrackingCommand::Detect { number }) => {
            let report = dropflow_core::tracking::report(&number.join(" "));
            print!("{}", report.text);
            Ok(if report.found {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Address(AddressCommand::Check {
            country,
            postal_code,
        }) => match dropflow_core::reference::address::check_postal_code(&country, &postal_code) {
            Ok(()) => {
                println!("valid");
                Ok(ExitCode::SUCCESS)
            }
            Err(problem) => {
                println!("invalid: {}", problem.message);
                Ok(ExitCode::from(1))
            }
        },
        Command::Demo(args) => demo(args).await,
        Command::Sandbox(args) => {
            crate::sandbox::run(&crate::sandbox::SandboxOptions {
                listen: args.listen,
                time_scale: args.time_scale,
                faults: args.faults,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(bench) => {
            match bench {
                BenchCommand::Ingest(args) => crate::bench::ingest(args, &config).await?,
                BenchCommand::Tabs(args) => crate::bench::tabs(args, &config).await?,
                BenchCommand::Tracking(args) => crate::bench::tracking(args, &config).await?,
                BenchCommand::Place(args) => crate::bench::place(args, &config).await?,
                BenchCommand::Profit(args) => crate::bench::profit(args, &config).await?,
                BenchCommand::Export(args) => crate::bench::export(args, &config).await?,
                BenchCommand::Catalogue(args) => crate::bench::catalogue(args, &config).await?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// On SQLite, one `serve` process per database: a second is refused at once rather than
/// contending for the one write lock (every commit of both would wait on the other, webhooks
/// answered 503). The lock is a file next to the database, locked exclusively; the system
/// releases it when the process ends, however it ends. `None` on PostgreSQL, where processes
/// share the work (`[process] role`).
fn sqlite_serve_lock(url: &str) -> anyhow::Result<Option<std::fs::File>> {
    let Some(path) = storage::sqlite_file(url) else {
        return Ok(None);
    };
    let mut name = path.as_os_str().to_owned();
    name.push(".serve-lock");
    let lock_path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another `dropflow serve` is running on {} (it holds {}): SQLite takes one \
             process; to run several, use PostgreSQL and `--role web|worker`",
            path.display(),
            lock_path.display()
        ),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("cannot lock {}", lock_path.display()))
        }
    }
}

async fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let options = crate::demo::DemoOptions {
        orders: args.orders,
        rate: args.rate,
        faults: !args.no_faults,
        changes: !args.no_changes,
        listen: args.listen,
        progress: !args.json,
        database: args.database,
        deadline: std::time::Duration::from_secs(args.deadline_secs),
        scenario: crate::demo::Scenario::parse(&args.scenario)?,
        ..Default::default()
    };
    if !args.json {
        println!(
            "dropflow demo: {} orders at {}/s through AliExpress, CJ and a manual vendor \
             (sandboxes; a day passes every {} s)",
            options.orders,
            options.rate,
            86_400.0 / crate::demo::world::TIME_SCALE
        );
    }
    let (world, summary) = crate::demo::run(&options).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        world.stop().await;
        return Ok(ExitCode::SUCCESS);
    }
    crate::demo::print_summary(&summary);
    print!("{}", crate::demo::closing_note(&world));
    crate::app::wait_for_signal().await;
    world.stop().await;
    Ok(ExitCode::SUCCESS)
}
