//! Fresh, throw-away databases for a benchmark run: SQLite files in a temporary folder, or
//! PostgreSQL databases `dropflow_bench_<uuid>` created on the configured server. Everything
//! made here is removed by [`Scratch::cleanup`].

use crate::storage::{redact_url, Database, Engine};
use anyhow::{bail, Context};
use sqlx::{Connection, Executor};
use std::path::PathBuf;

/// Where a run's fresh databases live.
pub struct Scratch {
    kind: Kind,
}

enum Kind {
    /// A new folder of our own, removed whole at the end.
    Sqlite { dir: PathBuf },
    Postgres {
        admin_url: String,
        created: Vec<String>,
    },
}

impl Scratch {
    /// `configured` is the database URL from the configuration. When it is the built-in
    /// default, the run uses a new temporary folder; an explicit `sqlite://PATH` puts the fresh
    /// files in PATH's folder (so a run can pick its disk); a `postgres://` URL names the server
    /// (and the database to connect to while creating and dropping the benchmark's own).
    pub fn new(configured: &str) -> anyhow::Result<Scratch> {
        let default_url = crate::config::Config::default().database.url;
        let run = uuid::Uuid::now_v7().simple().to_string();
        if configured == default_url {
            let dir = std::env::temp_dir().join(format!("dropflow-bench-{run}"));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            return Ok(Scratch {
                kind: Kind::Sqlite { dir },
            });
        }
        if let Some(path) = configured.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            let parent = std::path::Path::new(path)
                .parent()
                .map(|p| p.to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| PathBuf::from("."));
            let dir = parent.join(format!("dropflow-bench-{run}"));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            return Ok(Scratch {
                kind: Kind::Sqlite { dir },
            });
        }
        if configured.starts_with("postgres://") || configured.starts_with("postgresql://") {
            return Ok(Scratch {
                kind: Kind::Postgres {
                    admin_url: configured.to_string(),
                    created: Vec::new(),
                },
            });
        }
        bail!(
            "unsupported database URL {}: use sqlite://PATH or postgres://…",
            redact_url(configured)
        )
    }

    pub fn engine(&self) -> Engine {
        match self.kind {
            Kind::Sqlite { .. } => Engine::Sqlite,
            Kind::Postgres { .. } => Engine::Postgres,
        }
    }

    /// Where the databases are, for the report.
    pub fn location(&self) -> String {
        match &self.kind {
            Kind::Sqlite { dir, .. } => format!("SQLite files in {}", dir.display()),
            Kind::Postgres { admin_url, .. } => format!(
                "PostgreSQL, fresh databases dropflow_bench_<uuid> on {}",
                redact_url(admin_url)
            ),
        }
    }

    /// A new empty database, connected and migrated.
    pub async fn fresh(&mut self, label: &str) -> anyhow::Result<(Database, String)> {
        let url = match &mut self.kind {
            Kind::Sqlite { dir } => {
                let file = dir.join(format!("{label}.db"));
                if file.exists() {
                    bail!("{} exists already", file.display());
                }
                format!("sqlite://{}", file.display())
            }
            Kind::Postgres { admin_url, created } => {
                let name = format!("dropflow_bench_{}", uuid::Uuid::now_v7().simple());
                let mut admin = quiet_connect(admin_url)
                    .await
                    .with_context(|| format!("cannot connect to {}", redact_url(admin_url)))?;
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .with_context(|| format!("cannot create database {name}"))?;
                admin.close().await.ok();
                created.push(name.clone());
                with_database(admin_url, &name)?
            }
        };
        let db = Database::connect(&url)
            .await
            .with_context(|| format!("cannot open {}", redact_url(&url)))?;
        db.migrate().await.context("cannot apply migrations")?;
        Ok((db, url))
    }

    /// What a kept run leaves behind (the run's databases, not removed).
    pub fn kept(&self) -> String {
        match &self.kind {
            Kind::Sqlite { dir } => format!("SQLite files in {}", dir.display()),
            Kind::Postgres { admin_url, created } => format!(
                "PostgreSQL databases {} on {}",
                created.join(", "),
                redact_url(admin_url)
            ),
        }
    }

    /// Ends a run that came to `outcome`: keeps its databases when `keep` (saying where), or
    /// removes them. The run's own error wins over one removing them.
    pub async fn finish(self, outcome: anyhow::Result<()>, keep: bool) -> anyhow::Result<()> {
        if keep {
            println!("kept: {}", self.kept());
            return outcome;
        }
        let cleaned = self.cleanup().await;
        outcome?;
        cleaned.context("the benchmark ran, but removing its databases failed")
    }

    /// Removes every database this run created. Close their pools first.
    pub async fn cleanup(self) -> anyhow::Result<()> {
        match self.kind {
            Kind::Sqlite { dir } => {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("cannot remove {}", dir.display()))?;
            }
            Kind::Postgres { admin_url, created } => {
                if created.is_empty() {
                    return Ok(());
                }
                let mut admin = quiet_connect(&admin_url)
                    .await
                    .with_context(|| format!("cannot connect to {}", redact_url(&admin_url)))?;
                for name in created {
                    admin
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await
                        .with_context(|| format!("cannot drop database {name}"))?;
                }
                admin.close().await.ok();
            }
        }
        Ok(())
    }
}

/// A connection for CREATE/DROP DATABASE, which may take over a second: not worth a
/// slow-statement warning.
async fn quiet_connect(url: &str) -> anyhow::Result<sqlx::postgres::PgConnection> {
    use sqlx::ConnectOptions;
    use std::str::FromStr;
    Ok(sqlx::postgres::PgConnectOptions::from_str(url)?
        .log_slow_statements(tracing::log::LevelFilter::Off, std::time::Duration::ZERO)
        .connect()
        .await?)
}

/// `url` with its database (path) replaced by `name`, keeping user, host and parameters.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let scheme_end = url.find("://").context("a database URL needs a scheme")? + 3;
    let rest = &url[scheme_end..];
    let (before_query, query) = match rest.find('?') {
        Some(q) => (&rest[..q], &rest[q..]),
        None => (rest, ""),
    };
    let authority_end = before_query.rfind('@').unwrap_or(0);
    let authority = match before_query[authority_end..].find('/') {
        Some(slash) => &before_query[..authority_end + slash],
        None => before_query,
    };
    Ok(format!("{}{authority}/{name}{query}", &url[..scheme_end]))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database() -> anyhow::Result<()> {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "b")?,
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "b")?,
            "postgres://u:p@h/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "b")?,
            "postgres://h:5432/b"
        );
        Ok(())
    }
}
