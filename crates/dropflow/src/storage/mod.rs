//! One portable SQL layer over SQLite and PostgreSQL, through sqlx's `Any` driver.
//!
//! Why `Any`: the queries are the same text on both engines (`$1` placeholders work on both,
//! types are kept to BIGINT and TEXT), so there is one copy of every query and one contract
//! test suite. Engine-specific code exists only where the engines really differ: the schema
//! DDL (two migration folders), connection tuning, and job claiming (`FOR UPDATE SKIP LOCKED`
//! on PostgreSQL).
//!
//! SQLite has one writer. Writes go through a one-connection `writer` pool, so transactions
//! never fight over the lock (no SQLITE_BUSY); reads use a separate pool and run beside it
//! under WAL. On PostgreSQL both pools point at the same server.

/// Shared row helpers: timestamps, JSON columns.
pub mod codec;
/// The repeated query shapes (bind, read one or all, `IN` lists, claims), written once.
pub mod query;
/// Webhook deliveries kept verbatim; their unique key drops duplicates.
pub mod receipts;
/// Many order writes flushed with one multi-row statement per table.
pub mod write_set;
/// Product mappings: store items to supplier offers.
pub mod catalog;
/// Supplier orders created by routing, with the items they buy.
pub mod supplier_orders;
/// The durable job queue's tables: enqueue (inside a caller's transaction), claim, finish.
pub mod jobs;
/// Orders: reads and locks for a write, listing, tab counts, detail with timeline.
pub mod orders;
/// Registered stores and their webhook secrets.
pub mod stores;
/// API tokens: created once, stored hashed.
pub mod tokens;
/// Accounts, users (argon2 passwords), roles and the scope of what each may see.
pub mod accounts;
/// Browser sessions and their CSRF tokens.
pub mod sessions;
/// The wallet ledger: postings that always balance.
pub mod ledger;
/// Wallet top-ups paid by card (Stripe Checkout): asked for, opened, settled once.
pub mod card_top_ups;
/// Per-store automation settings and Admin API access.
pub mod settings;
/// The operator's exchange rates, for comparing money across currencies.
pub mod fx_rates;
/// Parcels reported by suppliers, and their write-back to the store.
pub mod parcels;
/// Parcels: carrier tracking updates applied in bulk.
pub mod shipments;
/// Branding for repacked parcels and the merchant mails each store wants.
pub mod branding;
/// Orders per day and payment-to-shipment times for the home page charts.
pub mod dashboard_stats;
/// Reads only the dashboard needs (badges, store choices, a vendor's queue).
pub mod dashboard;
/// The warehouse leg: inbound parcels, items, scans, packages, rates, settings.
pub mod warehouse;
/// The warehouse operator's work lists (to inspect, to pack, to dispatch), per scope.
pub mod warehouse_queues;
/// Changes after a purchase that a person settles (Needs Attention).
pub mod flags;
/// After-sale cases: returns, refunds, reships, exchanges; what an order shipped per line.
pub mod cases;
/// The customer's photos of a case, kept with their bytes.
pub mod case_photos;
/// Payment disputes (chargebacks, inquiries) the store tells of, one row per store dispute.
pub mod chargebacks;
/// A manual vendor's earnings and payouts: purses, earnings, charges, payouts, settings.
pub mod vendor_payouts;
/// What profit reads of a page of orders, in a fixed number of statements.
pub mod profit;
/// The rows CSV exports read, one keyset page at a time.
pub mod exports;
/// Who changed what: settings, mappings, rates, rules and money, before and after.
pub mod audit;
/// Supplier offers' stock and cost as last read, and when to read them next.
pub mod offer_readings;
/// The store's catalogue as last read or written, and which variants are due a write.
pub mod store_variants;
/// Wake-ups after commits, carried across processes on PostgreSQL (LISTEN/NOTIFY).
pub mod wake;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;

pub use sqlx::Any as Db;
/// A transaction on either engine.
pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Storage failures, typed so callers can tell a conflict from a broken database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

impl StorageError {
    /// A fault that passes by itself: a write lock held by someone else (SQLite
    /// `SQLITE_BUSY`/`SQLITE_LOCKED`, PostgreSQL `lock_not_available`, a deadlock or a
    /// serialization failure), the pool exhausted, the server refusing connections for now.
    /// The API answers these 503 with `Retry-After`, not 500.
    pub fn is_busy(&self) -> bool {
        self.busy_kind() != "none"
    }

    /// Which passing fault this is, in words safe to show (no SQL, no values).
    pub fn busy_kind(&self) -> &'static str {
        let StorageError::Database(error) = self else {
            return "none";
        };
        match error {
            sqlx::Error::PoolTimedOut => "no database connection free",
            sqlx::Error::PoolClosed => "the database pool is closing",
            sqlx::Error::Io(_) => "the database connection failed",
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                // SQLite (primary result code in the low byte of the extended one): 5 BUSY,
                // 6 LOCKED. PostgreSQL SQLSTATE: 55P03 lock_not_available, 40001
                // serialization_failure, 40P01 deadlock_detected, 57P03 cannot_connect_now,
                // 53300 too_many_connections.
                let sqlite_busy = code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
                if sqlite_busy
                    || matches!(
                        code.as_str(),
                        "55P03" | "40001" | "40P01" | "57P03" | "53300"
                    )
                {
                    "a database lock is held"
                } else {
                    "none"
                }
            }
            _ => "none",
        }
    }
}

/// Both pools and the engine they talk to.
#[derive(Clone, Debug)]
pub struct Database {
    pub engine: Engine,
    /// Every write goes here (one connection on SQLite).
    pub writer: AnyPool,
    /// Reads: dashboards, API lists, CLI.
    pub reader: AnyPool,
    /// Rung after a commit that queued jobs, so the job runner claims them at once instead of
    /// at its next poll (in the other processes too, on PostgreSQL: [`wake`]).
    pub jobs_queued: wake::Wake,
    /// Rung after a commit that may have recorded order events, so the event consumers
    /// (`crate::events`) read them at once instead of at their next poll.
    pub events_recorded: wake::Wake,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Database {
    /// Connects to `url` (`sqlite://file.db`, `postgres://…`). SQLite files are created when
    /// missing, in WAL mode with `synchronous=FULL`: a commit is on disk before we answer.
    pub async fn connect(url: &str) -> Result<Database> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            return Err(StorageError::UnsupportedUrl(redact_url(url)));
        };
        let options = AnyConnectOptions::from_str(&sqlite_create_mode(url, engine))?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let (writer, reader) = match engine {
            Engine::Sqlite => {
                let writer = AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
                    .await?;
                let reader = AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                (writer, reader)
            }
            Engine::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    // After five runs of a prepared statement PostgreSQL may switch to a
                    // generic plan, which for a tab page scans the primary key backwards and
                    // filters by tab (3.8 ms vs 0.36 ms for the index on (tab, id), measured
                    // by `bench tabs`). Our statements are cheap to plan; always plan them for
                    // the values at hand.
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // A write waits at most 10 s for a lock, as SQLite's busy_timeout:
                            // then the API answers 503 instead of hanging.
                            conn.execute(
                                "SET plan_cache_mode = force_custom_plan; \
                                 SET lock_timeout = '10s'",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                (pool.clone(), pool)
            }
        };
        Ok(Database {
            engine,
            writer,
            reader,
            jobs_queued: Default::default(),
            events_recorded: Default::default(),
        })
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.engine {
            Engine::Sqlite => &SQLITE_MIGRATIONS,
            Engine::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await?;
        Ok(())
    }

    pub async fn begin(&self) -> Result<Tx<'static>> {
        Ok(self.writer.begin().await?)
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// The file of a `sqlite://` URL (`None` for PostgreSQL and in-memory databases).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|path| !path.is_empty() && !path.contains(":memory:"))
        .map(std::path::PathBuf::from)
}

/// sqlx opens SQLite files read-write but does not create them unless told (`mode=rwc`).
fn sqlite_create_mode(url: &str, engine: Engine) -> String {
    if engine == Engine::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_string()
    }
}

/// A URL fit for logs and errors: the password, if any, replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Milliseconds since the Unix epoch, the unit of every time column.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
