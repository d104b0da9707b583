//! The two migration folders (`migrations/sqlite`, `migrations/postgres`) are written by hand,
//! side by side: this checks they build the same schema — the same tables, the same columns,
//! each nullable on both or on neither — so code that works on one engine finds what it reads
//! on the other.
//!
//! It needs both engines, so it compares only on the PostgreSQL run
//! (`DROPFLOW_TEST_DATABASE=postgres://…`, which `./test --postgres` and CI do); on the
//! SQLite-only run it says so and passes.

use crate::support::{admin_postgres_url, with_database};
use dropflow::storage::Database;
use sqlx::{Connection, Row};
use std::collections::BTreeMap;

/// Table → column → nullable.
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

/// Tables that belong to the migration tool, not to us.
const TOOL_TABLES: [&str; 1] = ["_sqlx_migrations"];

async fn sqlite_schema() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/parity.db", dir.path().display());
    let db = Database::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let tables = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&db.reader)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for t in tables {
        let table: String = t.get(0);
        if TOOL_TABLES.contains(&table.as_str()) {
            continue;
        }
        let columns = sqlx::query("SELECT name, \"notnull\", pk FROM pragma_table_info($1)")
            .bind(&table)
            .fetch_all(&db.reader)
            .await
            .unwrap();
        let entry = schema.entry(table).or_default();
        for c in columns {
            let name: String = c.get(0);
            let not_null: i64 = c.get(1);
            // SQLite lets a primary key column hold NULL unless it says NOT NULL; PostgreSQL
            // never does. Both mean "always there" for us.
            let primary: i64 = c.get(2);
            entry.insert(name, not_null == 0 && primary == 0);
        }
    }
    db.close().await;
    schema
}

async fn postgres_schema(admin: &str) -> Schema {
    let name = format!("dropflow_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::AnyConnection::connect(admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .unwrap();
    let db = Database::connect(&with_database(admin, &name))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let rows = sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.is_nullable::text
         FROM information_schema.columns c
         JOIN information_schema.tables t
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'",
    )
    .fetch_all(&db.reader)
    .await
    .unwrap();
    db.close().await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    let _ = conn.close().await;
    let mut schema = Schema::new();
    for r in rows {
        let table: String = r.get(0);
        if TOOL_TABLES.contains(&table.as_str()) {
            continue;
        }
        let column: String = r.get(1);
        let nullable: String = r.get(2);
        schema
            .entry(table)
            .or_default()
            .insert(column, nullable == "YES");
    }
    schema
}

/// Every difference, in words.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (table, columns) in sqlite {
        let Some(other) = postgres.get(table) else {
            out.push(format!("table {table} only on SQLite"));
            continue;
        };
        for (column, nullable) in columns {
            match other.get(column) {
                None => out.push(format!("{table}.{column} only on SQLite")),
                Some(n) if n != nullable => out.push(format!(
                    "{table}.{column} is {} on SQLite, {} on PostgreSQL",
                    null_word(*nullable),
                    null_word(*n)
                )),
                Some(_) => {}
            }
        }
        for column in other.keys().filter(|c| !columns.contains_key(*c)) {
            out.push(format!("{table}.{column} only on PostgreSQL"));
        }
    }
    for table in postgres.keys().filter(|t| !sqlite.contains_key(*t)) {
        out.push(format!("table {table} only on PostgreSQL"));
    }
    out
}

fn null_word(nullable: bool) -> &'static str {
    if nullable {
        "nullable"
    } else {
        "NOT NULL"
    }
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_build_the_same_tables_and_columns() {
    let Some(admin) = admin_postgres_url() else {
        eprintln!("migration parity: compared on the PostgreSQL run (DROPFLOW_TEST_DATABASE)");
        return;
    };
    let sqlite = sqlite_schema().await;
    let postgres = postgres_schema(&admin).await;
    assert!(sqlite.len() > 20, "the SQLite schema was read: {sqlite:?}");
    let diff = differences(&sqlite, &postgres);
    assert!(
        diff.is_empty(),
        "the migration folders differ:\n{}",
        diff.join("\n")
    );
}

/// The comparison itself finds each kind of difference.
#[test]
fn differences_name_tables_columns_and_nullability() {
    let schema = |cols: &[(&str, &str, bool)]| {
        let mut s = Schema::new();
        for (t, c, n) in cols {
            s.entry(t.to_string())
                .or_default()
                .insert(c.to_string(), *n);
        }
        s
    };
    let a = schema(&[
        ("orders", "id", false),
        ("orders", "note", true),
        ("jobs", "id", false),
    ]);
    let b = schema(&[
        ("orders", "id", false),
        ("orders", "note", false),
        ("flags", "id", false),
    ]);
    assert_eq!(
        differences(&a, &b),
        vec![
            "table jobs only on SQLite",
            "orders.note is nullable on SQLite, NOT NULL on PostgreSQL",
            "table flags only on PostgreSQL",
        ]
    );
    assert!(differences(&a, &a).is_empty());
}
