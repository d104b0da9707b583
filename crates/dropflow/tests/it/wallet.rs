//! The merchant wallet (issue 3 point 5): top-ups over the API, and reserve / capture / release /
//! refund through the storage calls, inside the caller's transaction.

use crate::support::*;
use dropflow::storage::ledger::{self, PostError};
use dropflow::storage::Database;
use dropflow_core::ids::StoreId;
use dropflow_core::ledger::{Balances, LedgerError, Operation};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::from_code("USD").unwrap())
}

fn reserve(minor: i64, reference: &str) -> Operation {
    Operation::Reserve {
        amount: usd(minor),
        reference: reference.into(),
    }
}

async fn store(app: &TestApp) -> (String, StoreId) {
    let id = app.shopify_store().await;
    let parsed = id.parse().unwrap();
    (id, parsed)
}

/// A dropflow whose default store holds `amount` USD: the app, the store's id as text and
/// parsed.
async fn funded(amount: &str) -> (TestApp, String, StoreId) {
    let app = TestApp::spawn().await;
    let (store, store_id) = store(&app).await;
    top_up(&app, &store, amount, "USD").await;
    (app, store, store_id)
}

/// Posts `operation` to the store's ledger in `tx`.
async fn post(
    tx: &mut dropflow::storage::Tx<'_>,
    app: &TestApp,
    store_id: StoreId,
    operation: &Operation,
) -> Result<ledger::Posted, PostError> {
    ledger::post(tx, app.db.engine, store_id, operation).await
}

/// The refusal `result` must be.
fn refusal(result: Result<ledger::Posted, PostError>) -> LedgerError {
    match result {
        Err(PostError::Refused(refused)) => refused,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Checks that `result` is a refusal of the kind `is_kind` accepts.
fn assert_refused(result: Result<ledger::Posted, PostError>, is_kind: fn(&LedgerError) -> bool) {
    let refused = refusal(result);
    assert!(is_kind(&refused), "{refused:?}");
}

/// The store's USD balances.
async fn usd_balances(app: &TestApp, store_id: StoreId) -> Balances {
    ledger::balances(&app.db, store_id, usd(0).currency)
        .await
        .unwrap()
}

/// Checks that the ledger balances, then stops the app.
async fn stop_balanced(app: TestApp) {
    assert!(balanced(&app.db).await);
    app.stop().await;
}

async fn top_up(app: &TestApp, store: &str, amount: &str, currency: &str) -> Value {
    let response = app
        .api_post(
            &format!("/api/v1/stores/{store}/wallet/top-ups"),
            &json!({"amount": amount, "currency": currency}),
        )
        .await;
    expect_json(response, StatusCode::CREATED).await
}

async fn balanced(db: &Database) -> bool {
    ledger::check_balanced(db).await.unwrap()
}

#[tokio::test]
async fn a_top_up_shows_in_balances_and_entries() {
    let app = TestApp::spawn().await;
    let (store, _) = store(&app).await;
    let view = top_up(&app, &store, "100.00", "USD").await;
    assert_eq!(
        view,
        json!({"store_id": store, "currency": "USD", "available": "100.00",
               "reserved": "0.00", "spent": "0.00"})
    );
    let view = top_up(&app, &store, "25.5", "usd").await;
    assert_eq!(view["available"], "125.50");
    top_up(&app, &store, "300", "JPY").await;

    for (currency, available) in [("USD", "125.50"), ("JPY", "300"), ("EUR", "0.00")] {
        let wallet = app.wallet(&store, currency).await;
        assert_eq!(
            wallet["available"], available,
            "{currency} (an unused wallet is empty)"
        );
    }

    let entries = app
        .api_json(&format!("/api/v1/stores/{store}/wallet/entries"))
        .await;
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["currency"], "JPY", "newest first");
    assert_eq!(entries[1]["kind"], "top_up");
    assert_eq!(
        entries[1]["postings"],
        json!([{"account": "available", "amount": "25.50"},
               {"account": "external", "amount": "-25.50"}])
    );
    assert!(entries[1]["reference"].is_null());
    let page = app
        .api_json(&format!(
            "/api/v1/stores/{store}/wallet/entries?limit=1&before={}",
            entries[1]["id"]
        ))
        .await;
    assert_eq!(page.as_array().map(Vec::len), Some(1));
    assert_eq!(page[0]["id"], entries[2]["id"]);
    stop_balanced(app).await;
}

#[tokio::test]
async fn bad_top_ups_are_refused_naming_the_field_with_nothing_written() {
    let app = TestApp::spawn().await;
    let (store, _) = store(&app).await;
    let path = format!("/api/v1/stores/{store}/wallet/top-ups");
    for (body, field) in [
        (json!({"amount": "-1.00", "currency": "USD"}), "amount"),
        (json!({"amount": "0", "currency": "USD"}), "amount"),
        (json!({"amount": "0.00", "currency": "USD"}), "amount"),
        (json!({"amount": "1.001", "currency": "USD"}), "amount"),
        (json!({"amount": "1.5", "currency": "JPY"}), "amount"),
        (json!({"amount": "ten", "currency": "USD"}), "amount"),
        (json!({"amount": 10, "currency": "USD"}), "amount"),
        (json!({"amount": "10.00", "currency": "XYZ"}), "currency"),
        (json!({"amount": "10.00"}), "currency"),
    ] {
        let response = app.api_post(&path, &body).await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.contains(field), "{body}: {message}");
    }
    for bad_store in ["00000000-0000-7000-8000-000000000000", "nope"] {
        let response = app
            .api_post(
                &format!("/api/v1/stores/{bad_store}/wallet/top-ups"),
                &json!({"amount": "1.00", "currency": "USD"}),
            )
            .await;
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
        for read in ["wallet?currency=USD", "wallet/entries"] {
            let path = format!("/api/v1/stores/{bad_store}/{read}");
            app.get_refused_as(&app.token, &path, StatusCode::NOT_FOUND, "not_found")
                .await;
        }
    }
    let anonymous = app
        .post_anonymous(&path, &json!({"amount": "1.00", "currency": "USD"}))
        .await;
    expect_error(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app.api_get(&format!("/api/v1/stores/{store}/wallet")).await;
    expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    let response = app
        .api_get(&format!("/api/v1/stores/{store}/wallet?currency=XYZ"))
        .await;
    let message = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert!(message.contains("currency"), "{message}");

    for table in ["wallets", "ledger_transactions", "ledger_postings"] {
        assert_eq!(app.rows(table).await, 0, "{table}");
    }
    // Storage refuses an unknown store on its own too.
    let mut tx = app.db.begin().await.unwrap();
    let top_up = Operation::TopUp { amount: usd(100) };
    let result = post(&mut tx, &app, StoreId::new(), &top_up).await;
    assert!(
        matches!(
            result,
            Err(PostError::Storage(
                dropflow::storage::StorageError::NotFound
            ))
        ),
        "{result:?}"
    );
    tx.rollback().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn reserve_capture_release_in_a_rolled_back_transaction_leave_nothing() {
    let (app, _, store_id) = funded("100.00").await;
    let mut tx = app.db.begin().await.unwrap();
    let posted = post(&mut tx, &app, store_id, &reserve(3_000, "so-1"))
        .await
        .unwrap();
    assert_eq!(
        (posted.balances.available, posted.balances.reserved),
        (7_000, 3_000)
    );
    post(&mut tx, &app, store_id, &reserve(2_000, "so-2"))
        .await
        .unwrap();
    assert_refused(
        post(&mut tx, &app, store_id, &reserve(100, "so-1")).await,
        |e| matches!(e, LedgerError::Duplicate { .. }),
    );
    let capture = Operation::Capture {
        amount: usd(2_500),
        reference: "so-1".into(),
    };
    let posted = post(&mut tx, &app, store_id, &capture).await.unwrap();
    assert_eq!(
        (
            posted.balances.available,
            posted.balances.reserved,
            posted.balances.spent
        ),
        (5_500, 2_000, 2_500),
        "the 5.00 not captured went back"
    );
    assert_refused(post(&mut tx, &app, store_id, &capture).await, |e| {
        matches!(e, LedgerError::AlreadySettled(_))
    });
    let release = Operation::Release {
        currency: usd(0).currency,
        reference: "so-2".into(),
    };
    let posted = post(&mut tx, &app, store_id, &release).await.unwrap();
    assert_eq!(
        (posted.balances.available, posted.balances.reserved),
        (7_500, 0)
    );
    assert_refused(post(&mut tx, &app, store_id, &release).await, |e| {
        matches!(e, LedgerError::AlreadySettled(_))
    });
    tx.rollback().await.unwrap();

    let after = usd_balances(&app, store_id).await;
    assert_eq!(
        (after.available, after.reserved, after.spent, after.external),
        (10_000, 0, 0, -10_000)
    );
    assert_eq!(app.rows("ledger_transactions").await, 1);
    assert_eq!(app.rows("ledger_postings").await, 2);
    stop_balanced(app).await;
}

#[tokio::test]
async fn a_committed_reserve_capture_and_refund_show_in_the_entries() {
    let (app, store, store_id) = funded("50.00").await;
    let mut tx = app.db.begin().await.unwrap();
    post(&mut tx, &app, store_id, &reserve(2_000, "so-9"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    for op in [
        Operation::Capture {
            amount: usd(2_000),
            reference: "so-9".into(),
        },
        Operation::Refund {
            amount: usd(500),
            reference: "so-9".into(),
        },
    ] {
        post(&mut tx, &app, store_id, &op).await.unwrap();
    }
    let too_much = Operation::Refund {
        amount: usd(1),
        reference: "so-8".into(),
    };
    assert_refused(post(&mut tx, &app, store_id, &too_much).await, |e| {
        matches!(e, LedgerError::RefundExceedsCapture { .. })
    });
    tx.commit().await.unwrap();

    let wallet = app.wallet(&store, "USD").await;
    assert_eq!(
        (&wallet["available"], &wallet["reserved"], &wallet["spent"]),
        (&json!("35.00"), &json!("0.00"), &json!("15.00"))
    );
    let entries = app
        .api_json(&format!("/api/v1/stores/{store}/wallet/entries"))
        .await;
    let kinds: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["refund", "capture", "reserve", "top_up"]);
    assert_eq!(entries[1]["reference"], "so-9");
    stop_balanced(app).await;
}

#[tokio::test]
async fn insufficient_funds_are_refused_and_nothing_is_written() {
    let (app, _, store_id) = funded("10.00").await;
    let mut tx = app.db.begin().await.unwrap();
    match refusal(post(&mut tx, &app, store_id, &reserve(1_001, "so-1")).await) {
        LedgerError::InsufficientFunds { needed, available } => {
            assert_eq!((needed.minor, available.minor), (1_001, 1_000));
        }
        other => panic!("expected insufficient funds, got {other:?}"),
    }
    // A reserve in a currency the store never topped up is refused the same way.
    let yen = Operation::Reserve {
        amount: Money::new(1, Currency::from_code("JPY").unwrap()),
        reference: "so-2".into(),
    };
    assert_refused(post(&mut tx, &app, store_id, &yen).await, |e| {
        matches!(e, LedgerError::InsufficientFunds { .. })
    });
    tx.commit().await.unwrap();
    assert_eq!(app.rows("ledger_transactions").await, 1);
    assert_eq!(app.rows("wallets").await, 1, "no empty JPY wallet opened");
    let after = usd_balances(&app, store_id).await;
    assert_eq!((after.available, after.reserved), (1_000, 0));
    stop_balanced(app).await;
}

#[tokio::test]
async fn twenty_concurrent_reserves_against_ten_reserves_of_money_ten_succeed() {
    let (app, _, store_id) = funded("100.00").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            let result = ledger::post(
                &mut tx,
                db.engine,
                store_id,
                &reserve(1_000, &format!("so-{i}")),
            )
            .await;
            match result {
                Ok(posted) => {
                    assert!(posted.balances.available >= 0);
                    tx.commit().await.unwrap();
                    true
                }
                Err(PostError::Refused(LedgerError::InsufficientFunds { .. })) => {
                    tx.rollback().await.unwrap();
                    false
                }
                Err(other) => panic!("unexpected {other:?}"),
            }
        }));
    }
    let mut succeeded = 0;
    for task in tasks {
        succeeded += usize::from(task.await.unwrap());
    }
    assert_eq!(succeeded, 10);
    let after = usd_balances(&app, store_id).await;
    assert_eq!((after.available, after.reserved), (0, 10_000));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'reserve'")
            .await,
        10
    );
    stop_balanced(app).await;
}

#[tokio::test]
async fn the_wallet_endpoints_are_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let doc = app.api_json("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/stores/{store_id}/wallet",
        "/api/v1/stores/{store_id}/wallet/top-ups",
        "/api/v1/stores/{store_id}/wallet/entries",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    app.stop().await;
}
