//! The commands that act or read, as adapters: each reads its arguments, calls one action as
//! the installation, and prints the answer.

use super::{JobsCommand, MappingsCommand, OrdersCommand, StoresCommand, TokensCommand};
use crate::http::api::views::orders::OrderDetail;
use crate::services::{self, ActionError, Caller, Context};
use std::process::ExitCode;

pub async fn orders(cmd: OrdersCommand, ctx: &Context) -> Result<ExitCode, ActionError> {
    let caller = Caller::installation();
    match cmd {
        OrdersCommand::List { tab, limit, search } => {
            let page = services::orders::list(
                ctx,
                &caller,
                services::orders::ListParams {
                    tab: Some(tab),
                    limit: Some(limit),
                    q: search,
                    ..Default::default()
                },
            )
            .await?;
            let summary: Vec<String> = dropflow_core::tab::Tab::ALL
                .iter()
                .map(|t| {
                    format!(
                        "{} {}",
                        t.as_str(),
                        page.counts.get(t.as_str()).unwrap_or(&0)
                    )
                })
                .collect();
            println!("{}", summary.join(" | "));
            for o in page.orders {
                let holds: Vec<&str> = o.holds.iter().map(|h| h.reason.as_str()).collect();
                println!(
                    "{}  {:<10} {:<18} {:>12} {}  payment={} {}",
                    o.id,
                    o.name,
                    o.tab.as_str(),
                    o.total_minor,
                    o.currency,
                    o.payment_status.as_str(),
                    if holds.is_empty() {
                        String::new()
                    } else {
                        format!("holds={}", holds.join(","))
                    }
                );
            }
        }
        OrdersCommand::Show { id } => {
            // The same JSON as `GET /api/v1/orders/{id}`.
            let detail = services::orders::show(ctx, &caller, &id).await?;
            println!("{}", to_json(&OrderDetail::from(detail))?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn tokens(cmd: TokensCommand, ctx: &Context) -> Result<ExitCode, ActionError> {
    let TokensCommand::Create { name, user } = cmd;
    let created =
        services::tokens::issue(ctx, &Caller::installation(), &name, user.as_deref()).await?;
    println!(
        "API token {:?} created; it is shown only once:",
        created.name
    );
    println!("{}", created.token);
    Ok(ExitCode::SUCCESS)
}

pub async fn stores(cmd: StoresCommand, ctx: &Context) -> Result<ExitCode, ActionError> {
    let caller = Caller::installation();
    match cmd {
        StoresCommand::Add {
            platform,
            domain,
            secret,
        } => {
            let store =
                services::stores::register(ctx, &caller, &platform, &domain, &secret).await?;
            println!("{}", store.id);
        }
        StoresCommand::List => {
            for s in services::stores::list(ctx, &caller).await? {
                println!("{}  {:<12} {}", s.id, s.platform, s.domain);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn jobs(cmd: JobsCommand, ctx: &Context) -> Result<ExitCode, ActionError> {
    let caller = Caller::installation();
    match cmd {
        JobsCommand::List { status, limit } => {
            for j in services::jobs::list(ctx, &caller, Some(&status), Some(limit)).await? {
                println!(
                    "{:>8}  {:<32} {:<9} try {}/{}  {}",
                    j.id,
                    j.kind,
                    j.status,
                    j.attempts,
                    j.max_attempts,
                    j.last_error.unwrap_or_default()
                );
            }
        }
        JobsCommand::Retry { id } => {
            services::jobs::retry(ctx, &caller, id).await?;
            println!("job {id} re-queued");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn mappings(cmd: MappingsCommand, ctx: &Context) -> Result<ExitCode, ActionError> {
    let caller = Caller::installation();
    match cmd {
        MappingsCommand::Import { store, file } => {
            let text = std::fs::read(&file).map_err(|e| {
                ActionError::Invalid(format!("cannot read {}: {e}", file.display()))
            })?;
            let rows = text
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                .saturating_sub(1);
            let bar = indicatif::ProgressBar::new(rows as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let import =
                services::mappings::import_csv(ctx, &caller, &store, text.as_slice(), || {
                    bar.inc(1)
                })
                .await;
            bar.finish_and_clear();
            let import = import?;
            for e in &import.errors {
                eprintln!("line {}: {}", e.line, e.message);
            }
            println!(
                "{} mappings imported, {} rows skipped",
                import.imported,
                import.errors.len()
            );
            Ok(if import.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        MappingsCommand::Export { store, file } => {
            let out: Box<dyn std::io::Write> = match &file {
                Some(path) => Box::new(std::fs::File::create(path).map_err(|e| {
                    ActionError::Invalid(format!("cannot write {}: {e}", path.display()))
                })?),
                None => Box::new(std::io::stdout()),
            };
            services::mappings::export_csv(ctx, &caller, &store, out).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String, ActionError> {
    serde_json::to_string_pretty(value).map_err(|e| ActionError::Internal(e.to_string()))
}
