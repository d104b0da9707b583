//! `dropflow users`: making the people who sign in to the dashboard.

use super::UsersCommand;
use crate::services::{self, ActionError, Caller, Context};
use std::io::BufRead;
use std::process::ExitCode;

pub async fn run(cmd: UsersCommand, ctx: &Context) -> Result<ExitCode, ActionError> {
    let caller = Caller::installation();
    match cmd {
        UsersCommand::Create {
            email,
            role,
            stores,
            vendor,
            account,
        } => {
            let password = read_password()?;
            let user = services::users::create(
                ctx,
                &caller,
                services::users::UserRequest {
                    email: &email,
                    role: &role,
                    store_domains: &stores,
                    vendor: vendor.as_deref(),
                    account: account.as_deref(),
                    password: &password,
                },
            )
            .await?;
            println!("user {} created ({})", user.email, user.role.as_str());
        }
        UsersCommand::List => {
            for user in services::users::list(ctx, &caller).await? {
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
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The first line of standard input, without its line ending. Read from stdin rather than an
/// argument so the password stays out of shell history and the process list.
fn read_password() -> Result<String, ActionError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        ActionError::Invalid(format!(
            "could not read the password from standard input: {e}"
        ))
    })?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(ActionError::Invalid(
            "give the password on standard input, e.g. `echo \"$PASSWORD\" | dropflow users create …`".into(),
        ));
    }
    Ok(password)
}
