//! `dropflow users`: making the people who sign in to the dashboard.

use crate::storage::accounts::{self, NewUser, NewUserError, Role, DEFAULT_ACCOUNT};
use crate::storage::{self, Database};
use anyhow::Context;
use clap::Subcommand;
use std::io::BufRead;
use std::process::ExitCode;

/// `dropflow users …` (defined here, next to what runs it, so `cli` uses `cli_users` and
/// not the other way round).
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

pub async fn run(cmd: UsersCommand, db: &Database) -> anyhow::Result<ExitCode> {
    match cmd {
        UsersCommand::Create {
            email,
            role,
            stores,
            vendor,
            account,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?}: use owner, staff, warehouse or vendor")
            })?;
            let store_ids = store_ids(db, &stores).await?;
            let account_id = match (&account, store_ids.first()) {
                (Some(name), _) => account_named(db, name).await?,
                // Staff belong to the account of the stores they are given.
                (None, Some(store)) => accounts::account_of_store(db, *store)
                    .await?
                    .context("the store has no account")?,
                (None, None) => DEFAULT_ACCOUNT.to_string(),
            };
            let password = read_password()?;
            let user = accounts::create_user(
                db,
                NewUser {
                    account_id: &account_id,
                    email: &email,
                    password: &password,
                    role,
                    stores: &store_ids,
                    vendor: vendor.as_deref(),
                },
            )
            .await
            .map_err(|e| match e {
                NewUserError::Invalid(message) => anyhow::anyhow!(message),
                NewUserError::Storage(s) => anyhow::Error::from(s),
            })?;
            println!("user {} created ({})", user.email, user.role.as_str());
            Ok(ExitCode::SUCCESS)
        }
        UsersCommand::List => {
            for user in accounts::list_users(db).await? {
                println!(
                    "{}\t{}\t{}{}",
                    user.email,
                    user.role.as_str(),
                    user.account_id,
                    user.vendor
                        .map(|v| format!("\tvendor {v}"))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The first line of standard input, without its line ending. Read from stdin rather than an
/// argument so the password stays out of shell history and the process list.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("could not read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        anyhow::bail!("give the password on standard input, e.g. `echo \"$PASSWORD\" | dropflow users create …`");
    }
    Ok(password)
}

async fn store_ids(
    db: &Database,
    domains: &[String],
) -> anyhow::Result<Vec<dropflow_core::ids::StoreId>> {
    let all = storage::stores::list(db).await?;
    domains
        .iter()
        .map(|domain| {
            let wanted = storage::stores::normalize_domain(domain);
            all.iter()
                .find(|s| s.domain == wanted)
                .map(|s| s.id)
                .with_context(|| {
                    format!("no store with domain {wanted:?} (see `dropflow stores list`)")
                })
        })
        .collect()
}

async fn account_named(db: &Database, name: &str) -> anyhow::Result<String> {
    if name == DEFAULT_ACCOUNT {
        return Ok(DEFAULT_ACCOUNT.to_string());
    }
    match accounts::account_by_name(db, name).await? {
        Some(id) => Ok(id),
        None => Ok(accounts::create_account(db, name).await?),
    }
}
