//! The `dropflow` command line (issue points 1 and 3). The long-running `serve` process is
//! exercised in `process.rs`.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;

const BIN: &str = env!("CARGO_BIN_EXE_dropflow");

/// A `dropflow` command run in `dir` (so no stray `dropflow.toml` is read).
fn command(dir: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("DROPFLOW__DATABASE__URL")
        .env_remove("DROPFLOW_LOG")
        .kill_on_drop(true);
    cmd
}

async fn run(dir: &Path, database: &str, args: &[&str]) -> Output {
    command(dir)
        .arg("--database")
        .arg(database)
        .args(args)
        .output()
        .await
        .expect("run dropflow")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `cmd` to its end, which must exit with `code`; its output.
async fn exits(mut cmd: tokio::process::Command, code: i32) -> Output {
    let out = cmd.output().await.expect("run");
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    out
}

/// The names of the API tokens in `testdb`.
async fn token_names(testdb: &TestDb) -> Vec<String> {
    let db = testdb.connect_raw().await;
    let names = sqlx::query_scalar("SELECT name FROM api_tokens")
        .fetch_all(&db.reader)
        .await
        .expect("tokens");
    db.close().await;
    names
}

#[tokio::test]
async fn address_check_exits_0_for_a_valid_postal_code_and_1_otherwise() {
    let dir = tempfile::tempdir().expect("dir");
    let check = |country: &'static str, code: &'static str| {
        let mut cmd = command(dir.path());
        cmd.args([
            "address",
            "check",
            "--country",
            country,
            "--postal-code",
            code,
        ]);
        cmd
    };
    let ok = exits(check("US", "95014"), 0).await;
    assert_eq!(stdout(&ok).trim(), "valid");

    for (country, code, valid) in [
        ("US", "9501", false),
        ("US", "95014-", false),
        ("CA", "12345", false),
        ("XX", "1", false),
        ("US", "95014-1234", true),
        ("CA", "K1A 0B1", true),
        ("GB", "SW1A 1AA", true),
        ("BR", "20040-002", true),
    ] {
        let out = check(country, code).output().await.expect("run");
        let exit = if valid { 0 } else { 1 };
        assert_eq!(out.status.code(), Some(exit), "{country} {code}: {out:?}");
        if !valid {
            assert!(stdout(&out).starts_with("invalid"), "{}", stdout(&out));
        }
    }
}

#[tokio::test]
async fn migrate_prepares_a_fresh_database() {
    let testdb = TestDb::create().await;
    let out = run(testdb.dir.path(), &testdb.url, &["migrate"]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).contains("migrations applied"));
    let db = testdb.connect_raw().await;
    // The default account exists; per-store counters start empty (no store yet).
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM accounts").await, 1);
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM store_tab_counts").await,
        0
    );
    db.close().await;
}

#[tokio::test]
async fn a_created_token_is_the_last_line_and_works_against_the_api() {
    let app = TestApp::spawn().await;
    let out = run(
        app.testdb.dir.path(),
        &app.testdb.url,
        &["tokens", "create", "--name", "x"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    let token = text.lines().last().expect("a line").trim().to_string();
    assert!(token.starts_with("dfk_"), "{text}");
    assert_eq!(token.len(), 47);

    let response = app.get_as(&token, "/api/v1/orders").await;
    assert_eq!(response.status(), StatusCode::OK);

    // The token's name is the actor on the timeline.
    app.shopify_store().await;
    let (_, ack) = app
        .shopify_order("orders/create", &paid_order(1, "#1"))
        .await;
    let id = ack["order_id"].as_str().expect("id");
    let hold = json!({"reason": "other", "detail": "call the customer"});
    let response = app
        .post_as(&token, &format!("/api/v1/orders/{id}/holds"), &hold)
        .await;
    let detail = expect_json(response, StatusCode::OK).await;
    assert_eq!(last_event(&detail)["actor"], "merchant:x");
    app.stop().await;
}

#[tokio::test]
async fn orders_list_and_show_read_what_was_ingested() {
    let (app, id) = TestApp::spawn_with_order(&paid_order(4242, "#1001")).await;
    let pending = pending_order(4243, "#1002");
    app.shopify_order("orders/create", &pending).await;
    let dir = app.testdb.dir.path();
    let url = app.testdb.url.as_str();

    let all = run(dir, url, &["orders", "list", "--tab", "all"]).await;
    assert_eq!(all.status.code(), Some(0), "{all:?}");
    let text = stdout(&all);
    let mut lines = text.lines();
    let summary = lines.next().expect("summary line");
    assert!(summary.contains("all 2"), "{summary}");
    assert!(summary.contains("awaiting_order 1"), "{summary}");
    assert!(summary.contains("on_hold 1"), "{summary}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows.iter().any(|r| r.contains("#1001") && r.contains(&id)),
        "{text}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("#1002") && r.contains("holds=awaiting_payment")),
        "{text}"
    );

    let held = stdout(&run(dir, url, &["orders", "list", "--tab", "on_hold"]).await);
    assert!(held.contains("#1002") && !held.contains("#1001"), "{held}");

    let show = run(dir, url, &["orders", "show", "1001"]).await;
    assert_eq!(show.status.code(), Some(0), "{show:?}");
    let detail: Value = serde_json::from_slice(&show.stdout).expect("JSON detail");
    assert_eq!(detail["id"], json!(id));
    assert_eq!(detail["name"], "#1001");
    assert_eq!(detail["tab"], "awaiting_order");
    assert!(detail["timeline"].as_array().is_some_and(|t| t.len() == 2));

    let missing = run(dir, url, &["orders", "show", "9999"]).await;
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    let bad_tab = run(dir, url, &["orders", "list", "--tab", "open"]).await;
    assert_eq!(bad_tab.status.code(), Some(2), "{bad_tab:?}");
    assert!(String::from_utf8_lossy(&bad_tab.stderr).contains("open"));
    app.stop().await;
}

#[tokio::test]
async fn the_database_url_can_come_from_the_environment() {
    let testdb = TestDb::create().await;
    let mut cmd = command(testdb.dir.path());
    cmd.env("DROPFLOW__DATABASE__URL", &testdb.url)
        .args(["tokens", "create", "--name", "from-env"]);
    exits(cmd, 0).await;
    assert_eq!(token_names(&testdb).await, ["from-env"]);
}

#[tokio::test]
async fn a_store_added_on_the_command_line_is_accepted_by_a_running_server() {
    let app = TestApp::spawn().await;
    let mut cmd = command(app.testdb.dir.path());
    cmd.args(["--database", &app.testdb.url])
        .args(["stores", "add", "--platform", "shopify", "--domain", SHOP])
        .env("DROPFLOW_WEBHOOK_SECRET", SHOPIFY_SECRET);
    let out = exits(cmd, 0).await;
    assert!(!stdout(&out).contains(SHOPIFY_SECRET));
    app.create_order(&paid_order(1, "#1")).await;
    app.stop().await;
}

#[tokio::test]
async fn with_no_flags_the_database_is_sqlite_in_the_working_folder() {
    let dir = tempfile::tempdir().expect("dir");
    let mut migrate = command(dir.path());
    migrate.arg("migrate");
    exits(migrate, 0).await;
    assert!(dir.path().join("dropflow.db").is_file());
}

#[tokio::test]
async fn a_dropflow_toml_is_read_and_the_environment_overrides_it() {
    let from_file = TestDb::create().await;
    let from_env = TestDb::create().await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("dropflow.toml"),
        format!("[database]\nurl = \"{}\"\n", from_file.url),
    )
    .expect("write config");
    let mut by_file = command(dir.path());
    by_file.args(["tokens", "create", "--name", "file"]);
    exits(by_file, 0).await;
    let mut by_env = command(dir.path());
    by_env
        .env("DROPFLOW__DATABASE__URL", &from_env.url)
        .args(["tokens", "create", "--name", "env"]);
    exits(by_env, 0).await;
    for (testdb, name) in [(&from_file, "file"), (&from_env, "env")] {
        assert_eq!(token_names(testdb).await, [name]);
    }

    // An unknown key is an error that names it.
    std::fs::write(
        dir.path().join("dropflow.toml"),
        "[http]\nlisten_on = \"x\"\n",
    )
    .expect("write config");
    let mut migrate = command(dir.path());
    migrate.arg("migrate");
    let bad = exits(migrate, 2).await;
    assert!(String::from_utf8_lossy(&bad.stderr).contains("listen_on"));
}

/// Runs `dropflow` with `stdin` piped in.
async fn run_with_stdin(dir: &Path, database: &str, args: &[&str], stdin: &str) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut child = command(dir)
        .arg("--database")
        .arg(database)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn dropflow");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write stdin");
    drop(input);
    child.wait_with_output().await.expect("dropflow output")
}

#[tokio::test]
async fn users_create_reads_the_password_from_stdin_and_a_user_token_acts_as_that_user() {
    let testdb = TestDb::create().await;
    let dir = testdb.dir.path();
    let url = testdb.url.clone();
    let added = run(
        dir,
        &url,
        &[
            "stores",
            "add",
            "--platform",
            "shopify",
            "--domain",
            "a.myshopify.com",
            "--secret",
            SHOPIFY_SECRET,
        ],
    )
    .await;
    assert!(added.status.success(), "{added:?}");
    let made = run_with_stdin(
        dir,
        &url,
        &[
            "users",
            "create",
            "--email",
            "staff@a.test",
            "--role",
            "staff",
            "--store",
            "a.myshopify.com",
        ],
        "correct horse battery\n",
    )
    .await;
    assert!(made.status.success(), "{made:?}");
    assert!(stdout(&made).contains("staff@a.test"));
    assert!(!String::from_utf8_lossy(&made.stderr).contains("correct horse"));

    // No password on stdin, an unknown role, a staff user without a store: exit 2 with a reason.
    for (args, input, needle) in [
        (
            vec!["users", "create", "--email", "o@a.test", "--role", "owner"],
            "",
            "standard input",
        ),
        (
            vec!["users", "create", "--email", "o@a.test", "--role", "admin"],
            "pw123456\n",
            "unknown role",
        ),
        (
            vec!["users", "create", "--email", "o@a.test", "--role", "staff"],
            "pw123456\n",
            "store",
        ),
    ] {
        let refused = run_with_stdin(dir, &url, &args, input).await;
        assert_eq!(refused.status.code(), Some(2), "{refused:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }

    let token = run(
        dir,
        &url,
        &["tokens", "create", "--name", "t", "--user", "staff@a.test"],
    )
    .await;
    assert!(token.status.success(), "{token:?}");
    let token = stdout(&token)
        .lines()
        .last()
        .expect("token line")
        .to_string();
    let listed = run(dir, &url, &["users", "list"]).await;
    assert!(
        stdout(&listed).contains("staff@a.test\tstaff"),
        "{listed:?}"
    );

    let db = testdb.connect().await;
    let owner = dropflow::storage::tokens::authenticate(&db, &token)
        .await
        .expect("auth")
        .expect("valid");
    assert!(owner.user_id.is_some());
    db.close().await;
}
