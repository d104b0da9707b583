//! The storage contract (issue point 4), the same on SQLite and PostgreSQL: migrations,
//! tokens, stores, the ingest writer's transactions.

use crate::support::*;
use dropflow::fulfilment::order_tx::{self, ApplyError};
use dropflow::ingest::{Delivery, Ingest, IngestConfig, IngestError, Outcome};
use dropflow::storage::orders;
use dropflow::storage::{stores, tokens, Database, Engine, StorageError};
use dropflow_core::event::Actor;
use dropflow_core::hold::HoldReason;
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::intake::Platform;
use dropflow_core::lifecycle::{Command, Rejected};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

fn delivery(store_id: StoreId, key: &str, order: &Value) -> Delivery {
    let body = order.to_string();
    Delivery {
        store_id,
        platform: Platform::Shopify,
        dedup_key: key.to_string(),
        topic: "orders/create".into(),
        order: dropflow::platforms::shopify::parse_order(body.as_bytes()).expect("parse"),
        body,
        review: None,
    }
}

/// A migrated database with the default Shopify store in it.
async fn db_with_shop() -> (TestDb, Database, stores::Store) {
    let (testdb, db) = TestDb::migrated().await;
    let store = stores::create(&db, Platform::Shopify, SHOP, SHOPIFY_SECRET)
        .await
        .expect("store");
    (testdb, db, store)
}

/// Writes one delivery through the ingest writer; the outcome.
async fn write(db: &Database, delivery: &Delivery) -> Outcome {
    dropflow::ingest::write_one(db, delivery)
        .await
        .expect("write")
}

/// Orders per tab over the whole installation.
async fn installation_tab_counts(db: &Database) -> std::collections::BTreeMap<String, i64> {
    orders::tab_counts(db, &dropflow::storage::accounts::Scope::Installation)
        .await
        .expect("counts")
}

/// The value of SQLite's `PRAGMA name`.
async fn pragma<T>(db: &Database, name: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::query(&format!("PRAGMA {name}"))
        .fetch_one(&db.writer)
        .await
        .expect("pragma")
        .try_get(0)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test]
async fn migrations_apply_once_and_again_without_change() {
    let (testdb, db) = TestDb::migrated().await;
    db.migrate().await.expect("second migrate is a no-op");
    let again = testdb.connect().await;
    let counts = installation_tab_counts(&again).await;
    let tabs: Vec<&str> = counts.keys().map(String::as_str).collect();
    assert_eq!(
        tabs,
        [
            "all",
            "at_warehouse",
            "awaiting_order",
            "awaiting_payment",
            "awaiting_shipment",
            "canceled",
            "delivered",
            "failed",
            "fulfilled",
            "on_hold"
        ]
    );
    assert!(counts.values().all(|n| *n == 0));
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .expect("migrations folder")
        .count() as i64;
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM _sqlx_migrations").await,
        shipped
    );
    db.ping().await.expect("ping");
    db.close().await;
    again.close().await;
}

#[tokio::test]
async fn the_engine_follows_the_url_and_sqlite_commits_are_durable() {
    let (testdb, db) = TestDb::migrated().await;
    assert_eq!(db.engine, testdb.engine);
    if db.engine == Engine::Sqlite {
        let mode: String = pragma(&db, "journal_mode").await;
        assert_eq!(mode.to_ascii_lowercase(), "wal");
        assert_eq!(
            pragma::<i64>(&db, "synchronous").await,
            2,
            "synchronous=FULL"
        );
        assert_eq!(pragma::<i64>(&db, "foreign_keys").await, 1);
    }
    db.close().await;
}

#[tokio::test]
async fn an_unsupported_database_url_is_refused_without_its_password() {
    let error = Database::connect("mysql://root:hunter2@localhost/db")
        .await
        .expect_err("mysql is not supported");
    assert!(matches!(error, StorageError::UnsupportedUrl(_)), "{error}");
    let text = error.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert_eq!(
        dropflow::storage::redact_url("postgres://app:s3cret@db.example/prod"),
        "postgres://app:***@db.example/prod"
    );
    assert_eq!(
        dropflow::storage::redact_url("postgres://postgres@127.0.0.1:5432/test"),
        "postgres://postgres@127.0.0.1:5432/test"
    );
}

#[tokio::test]
async fn tokens_are_shown_once_stored_hashed_and_can_be_revoked() {
    let (_testdb, db) = TestDb::migrated().await;
    let token = tokens::create(&db, "ci").await.expect("create");
    assert!(token.starts_with("dfk_"), "{token}");
    assert_eq!(token.len(), 4 + 43);
    assert_ne!(tokens::create(&db, "ci").await.expect("create"), token);
    assert_eq!(
        tokens::authenticate(&db, &token)
            .await
            .expect("auth")
            .map(|owner| owner.name),
        Some("ci".to_string())
    );

    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(&db.reader)
        .await
        .expect("hashes");
    assert_eq!(stored.len(), 2);
    assert!(stored
        .iter()
        .all(|h| h.len() == 64 && !h.contains(&token[4..])));

    let authenticates = |token: String| {
        let db = &db;
        async move {
            tokens::authenticate(db, &token)
                .await
                .expect("auth")
                .is_some()
        }
    };
    for wrong in ["dfk_nope", &token[4..]] {
        assert!(!authenticates(wrong.to_string()).await, "{wrong}");
    }
    sqlx::query("UPDATE api_tokens SET revoked_at = 1")
        .execute(&db.writer)
        .await
        .expect("revoke");
    assert!(!authenticates(token.clone()).await, "revoked");
    db.close().await;
}

#[tokio::test]
async fn stores_are_unique_per_platform_and_normalised_domain() {
    let (_testdb, db) = TestDb::migrated().await;
    let store = stores::create(
        &db,
        Platform::Woocommerce,
        "HTTPS://Shop.Example/",
        "secret-0123456789",
    )
    .await
    .expect("create");
    assert_eq!(store.domain, "shop.example");
    let error = stores::create(
        &db,
        Platform::Woocommerce,
        "shop.example",
        "another-secret-0123",
    )
    .await
    .expect_err("duplicate");
    assert!(matches!(error, StorageError::Conflict(_)), "{error}");
    let found = stores::find_by_domain(&db, Platform::Woocommerce, "http://shop.example")
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.id, store.id);
    assert_eq!(found.webhook_secret, "secret-0123456789");
    assert!(
        stores::find_by_domain(&db, Platform::Shopify, "shop.example")
            .await
            .expect("find")
            .is_none()
    );
    // Debug output never shows the secret.
    assert!(!format!("{found:?}").contains("secret-0123456789"));

    stores::rotate_secret(&db, store.id, "rotated-secret-0123")
        .await
        .expect("rotate");
    let rotated = stores::find_by_domain(&db, Platform::Woocommerce, "shop.example")
        .await
        .expect("find")
        .expect("found");
    assert_eq!(rotated.webhook_secret, "rotated-secret-0123");
    assert_eq!(
        rotated.previous_webhook_secret.as_deref(),
        Some("secret-0123456789")
    );
    let missing = stores::rotate_secret(&db, StoreId::new(), "x-0123456789abcdef").await;
    assert!(matches!(missing, Err(StorageError::NotFound)));
    db.close().await;
}

#[tokio::test]
async fn a_rotated_secret_is_picked_up_without_a_restart_and_the_old_one_still_works() {
    let app = TestApp::spawn().await;
    let id: StoreId = app.shopify_store().await.parse().expect("store id");
    app.create_order(&paid_order(1, "#1")).await;

    let new_secret = "shpss_rotated_secret_fedcba9876543210";
    stores::rotate_secret(&app.db, id, new_secret)
        .await
        .expect("rotate");
    // The new secret and the old one both sign.
    for (number, secret) in [(2, new_secret), (3, SHOPIFY_SECRET)] {
        let hook = shopify_hook("orders/create", &numbered_paid_order(number));
        let ack = expect_json(app.send_shopify(&hook, secret).await, StatusCode::OK).await;
        assert_eq!(ack["status"], "created");
    }
    let hook = shopify_hook("orders/create", &paid_order(4, "#4"));
    app.refused_shopify(&hook, "neither-secret-0123456789")
        .await;
    assert_eq!(app.rows("orders").await, 3);
    app.stop().await;
}

#[tokio::test]
async fn write_one_stores_a_delivery_once_and_applies_later_snapshots() {
    let (_testdb, db, store) = db_with_shop().await;

    let first = delivery(store.id, "evt-1", &paid_order(10, "#10"));
    let id = match write(&db, &first).await {
        Outcome::Created(id) => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(write(&db, &first).await, Outcome::Duplicate);
    let later = shopify_order(10, "#10", "paid", "2024-05-01T11:00:00-05:00");
    let later = delivery(store.id, "evt-2", &later);
    assert_eq!(write(&db, &later).await, Outcome::Updated(id));
    let older = shopify_order(10, "#10", "pending", "2024-05-01T09:00:00-05:00");
    let older = delivery(store.id, "evt-3", &older);
    assert_eq!(write(&db, &older).await, Outcome::Stale(id));

    let detail = orders::get(&db, id).await.expect("get").expect("found");
    assert_eq!(detail.summary.name, "#10");
    assert_eq!(
        detail
            .timeline
            .iter()
            .map(|e| e.kind.as_str())
            .collect::<Vec<_>>(),
        [
            "received",
            "ready_to_order",
            "store_updated",
            "stale_update_ignored"
        ]
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM webhook_receipts").await,
        3
    );
    let resolve = |text: &'static str| {
        let db = &db;
        async move {
            orders::resolve(db, &dropflow::storage::accounts::Scope::Installation, text)
                .await
                .expect("resolve")
        }
    };
    assert_eq!(resolve("10").await, Some(id));
    assert_eq!(resolve("#10").await, Some(id));
    assert_eq!(resolve("#11").await, None);
    db.close().await;
}

#[tokio::test]
async fn a_delivery_that_cannot_be_stored_leaves_nothing_behind() {
    let (_testdb, db) = TestDb::migrated().await;
    // No such store: the receipt's foreign key fails, after nothing else was written.
    let orphan = delivery(StoreId::new(), "evt-x", &paid_order(20, "#20"));
    let error = dropflow::ingest::write_one(&db, &orphan)
        .await
        .expect_err("no store");
    assert!(matches!(error, IngestError::Storage(_)), "{error}");
    for table in INTAKE_TABLES {
        assert_eq!(
            scalar(&db, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    assert!(installation_tab_counts(&db).await.values().all(|n| *n == 0));
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_delivery_in_a_batch_does_not_take_its_neighbours_down() {
    let (_testdb, db, store) = db_with_shop().await;
    let (ingest, task) = Ingest::start(
        db.clone(),
        IngestConfig {
            max_batch: 64,
            queue_depth: 256,
        },
    );
    let mut submissions = Vec::new();
    for i in 0..20u64 {
        let store_id = if i == 7 { StoreId::new() } else { store.id };
        let d = delivery(store_id, &format!("evt-{i}"), &numbered_paid_order(100 + i));
        let ingest = ingest.clone();
        submissions.push(tokio::spawn(async move { ingest.submit(d).await }));
    }
    let mut created = 0;
    let mut failed = 0;
    for s in submissions {
        match s.await.expect("join") {
            Ok(Outcome::Created(_)) => created += 1,
            Err(IngestError::Storage(_)) => failed += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((created, failed), (19, 1));
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM orders").await, 19);
    assert_eq!(installation_tab_counts(&db).await["all"], 19);
    drop(ingest);
    task.await
        .expect("writer ends when the last handle is gone");
    db.close().await;
}

/// Applies `command` in a transaction of its own, committed only when it was applied (an
/// error drops the transaction, so nothing of it is written).
async fn apply_alone(
    db: &Database,
    id: OrderId,
    command: Command,
    actor: &Actor,
) -> Result<dropflow_core::lifecycle::Transition, ApplyError> {
    let mut tx = db.begin().await.expect("begin");
    let transition = order_tx::try_apply(&mut tx, id, command, actor.clone()).await?;
    tx.commit().await.expect("commit");
    Ok(transition)
}

#[tokio::test]
async fn apply_rejects_what_does_not_fit_the_order_and_writes_nothing() {
    let (_testdb, db, store) = db_with_shop().await;
    let Outcome::Created(id) = write(&db, &delivery(store.id, "e", &paid_order(30, "#30"))).await
    else {
        panic!("not created");
    };
    let actor = Actor::Merchant("ops".into());
    let release = || Command::ReleaseHold {
        reason: HoldReason::Other,
    };
    let missing = apply_alone(&db, OrderId::new(), release(), &actor).await;
    assert!(matches!(missing, Err(ApplyError::NotFound(_))));
    let rejected = apply_alone(&db, id, release(), &actor).await;
    assert!(matches!(
        rejected,
        Err(ApplyError::Rejected(Rejected::NoSuchHold("other")))
    ));
    let events = scalar(&db, "SELECT COUNT(*) FROM order_events").await;
    assert_eq!(events, 2);

    let cancelled = apply_alone(
        &db,
        id,
        Command::Cancel {
            reason: "merchant".into(),
        },
        &actor,
    )
    .await
    .expect("cancel");
    assert_eq!(cancelled.state.cancel_reason.as_deref(), Some("merchant"));
    let counts = installation_tab_counts(&db).await;
    assert_eq!(
        (counts["canceled"], counts["awaiting_order"], counts["all"]),
        (1, 0, 1)
    );
    let detail = orders::get(&db, id).await.expect("get").expect("found");
    assert_eq!(
        detail.timeline.last().map(|e| e.actor.as_str()),
        Some("merchant:ops")
    );
    db.close().await;
}
