//! The home page chart numbers on a small known dataset, on both engines: orders per day by
//! tab and payment-to-shipment percentiles, each limited to the viewer's scope.

use crate::support::*;
use chrono::{Duration, TimeZone, Utc};
use dropflow::storage::accounts::{self, Scope};
use dropflow::storage::dashboard_stats::{orders_per_day, shipping_times, Window};
use dropflow::storage::{stores, Database};
use dropflow_core::ids::StoreId;
use dropflow_core::intake::Platform;
use dropflow_core::tab::Tab;

const HOUR: i64 = 3_600_000;

/// The start of a day of March 2025, in ms.
fn day(d: u32) -> i64 {
    Utc.with_ymd_and_hms(2025, 3, d, 0, 0, 0)
        .single()
        .unwrap()
        .timestamp_millis()
}

async fn order(db: &Database, store: &str, id: &str, tab: &str, created_at: i64) {
    sqlx::query(
        "INSERT INTO orders (id, store_id, external_id, name, currency, total_minor, state, tab,
            payment_status, procurement, version, created_at, updated_at)
         VALUES ($1, $2, $1, $1, 'USD', 100, '{}', $3, 'paid', 'not_started', 1, $4, $4)",
    )
    .bind(id)
    .bind(store)
    .bind(tab)
    .bind(created_at)
    .execute(&db.writer)
    .await
    .unwrap();
}

/// A supplier order of `order_id` paid at `paid_at`, with parcels recorded at `parcels`.
async fn shipped(db: &Database, order_id: &str, so: &str, paid_at: Option<i64>, parcels: &[i64]) {
    sqlx::query(
        "INSERT INTO supplier_orders (id, order_id, supplier, supplier_account, status,
            attempt_id, paid_at, created_at, updated_at)
         VALUES ($1, $2, 'cj', 'main', 'shipped', $1, $3, 0, 0)",
    )
    .bind(so)
    .bind(order_id)
    .bind(paid_at)
    .execute(&db.writer)
    .await
    .unwrap();
    for (i, at) in parcels.iter().enumerate() {
        sqlx::query(
            "INSERT INTO shipments (id, order_id, supplier_order_id, leg, tracking_number,
                status, created_at, updated_at)
             VALUES ($1, $2, $3, 'supplier', $1, 'in_transit', $4, $4)",
        )
        .bind(format!("{so}-p{i}"))
        .bind(order_id)
        .bind(so)
        .bind(*at)
        .execute(&db.writer)
        .await
        .unwrap();
    }
}

/// A store of the default account ("mine"), one of another account ("theirs"), and that
/// account's id.
async fn mine_and_theirs(db: &Database) -> (StoreId, StoreId, String) {
    let mine = stores::create(db, Platform::Shopify, "mine.example", "s")
        .await
        .unwrap()
        .id;
    let other_account = accounts::create_account(db, "other").await.unwrap();
    let theirs = stores::create(db, Platform::Shopify, "theirs.example", "s")
        .await
        .unwrap()
        .id;
    accounts::assign_store(db, theirs, &other_account)
        .await
        .unwrap();
    (mine, theirs, other_account)
}

#[tokio::test]
async fn orders_per_day_by_tab_within_the_scope() {
    let (_testdb, db) = TestDb::migrated().await;
    let (mine, theirs, other_account) = mine_and_theirs(&db).await;
    let (m, t) = (mine.to_string(), theirs.to_string());
    order(&db, &m, "a1", "awaiting_order", day(1) + 5 * HOUR).await;
    order(&db, &m, "a2", "awaiting_order", day(1) + 23 * HOUR).await;
    order(&db, &m, "a3", "delivered", day(1)).await;
    order(&db, &m, "a4", "failed", day(3) + HOUR).await;
    // Outside the window on both sides.
    order(&db, &m, "a5", "delivered", day(1) - 1).await;
    order(&db, &m, "a6", "delivered", day(4)).await;
    // Another account's order on a day of the window.
    order(&db, &t, "b1", "awaiting_order", day(2)).await;

    let now = Utc.timestamp_millis_opt(day(3) + 12 * HOUR).unwrap();
    let window = Window::last_days(now, 3);
    let account = Scope::Account {
        account_id: accounts::DEFAULT_ACCOUNT.into(),
    };
    let days = orders_per_day(&db, &account, window).await.unwrap();
    let seen: Vec<(String, Vec<(Tab, i64)>)> = days
        .iter()
        .map(|d| (d.day.to_string(), d.tabs.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "2025-03-01".to_string(),
                vec![(Tab::AwaitingOrder, 2), (Tab::Delivered, 1)]
            ),
            ("2025-03-02".to_string(), vec![]),
            ("2025-03-03".to_string(), vec![(Tab::Failed, 1)]),
        ]
    );

    let other = Scope::Account {
        account_id: other_account.clone(),
    };
    let days = orders_per_day(&db, &other, window).await.unwrap();
    assert_eq!(days[1].tabs, vec![(Tab::AwaitingOrder, 1)]);
    assert!(days[0].tabs.is_empty() && days[2].tabs.is_empty());

    // Staff who see no store see nothing; staff of the store see what the owner sees.
    let nobody = Scope::Stores {
        account_id: accounts::DEFAULT_ACCOUNT.into(),
        stores: vec![],
    };
    let days = orders_per_day(&db, &nobody, window).await.unwrap();
    assert!(days.iter().all(|d| d.tabs.is_empty()));
    let staff = Scope::Stores {
        account_id: accounts::DEFAULT_ACCOUNT.into(),
        stores: vec![mine],
    };
    assert_eq!(
        orders_per_day(&db, &staff, window).await.unwrap()[0].tabs,
        vec![(Tab::AwaitingOrder, 2), (Tab::Delivered, 1)]
    );
}

#[tokio::test]
async fn payment_to_shipment_percentiles_per_day() {
    let (_testdb, db) = TestDb::migrated().await;
    let (mine, theirs, other_account) = mine_and_theirs(&db).await;
    let (m, t) = (mine.to_string(), theirs.to_string());
    for (i, id) in ["o1", "o2", "o3", "o4", "o5", "o6"].iter().enumerate() {
        order(
            &db,
            &m,
            id,
            "fulfilled",
            day(1) - (i as i64 + 1) * 24 * HOUR,
        )
        .await;
    }
    order(&db, &t, "x1", "fulfilled", day(1)).await;
    let ship_day2 = day(2) + 10 * HOUR;
    // Day 2: four purchases shipped 10, 20, 30 and 100.5 hours after payment (the second
    // parcel of o1 does not count again).
    shipped(
        &db,
        "o1",
        "s1",
        Some(ship_day2 - 10 * HOUR),
        &[ship_day2, ship_day2 + HOUR],
    )
    .await;
    shipped(&db, "o2", "s2", Some(ship_day2 - 20 * HOUR), &[ship_day2]).await;
    shipped(&db, "o3", "s3", Some(ship_day2 - 30 * HOUR), &[ship_day2]).await;
    shipped(
        &db,
        "o4",
        "s4",
        Some(ship_day2 - 201 * HOUR / 2),
        &[ship_day2],
    )
    .await;
    // Never paid (a manual vendor): not a payment-to-shipment time.
    shipped(&db, "o5", "s5", None, &[ship_day2]).await;
    // First parcel before the window: its later parcel inside the window is not a shipment.
    shipped(
        &db,
        "o6",
        "s6",
        Some(day(1) - 48 * HOUR),
        &[day(1) - HOUR, day(2)],
    )
    .await;
    // Another account's purchase shipped the same day.
    shipped(&db, "x1", "s7", Some(ship_day2 - 5 * HOUR), &[ship_day2]).await;

    let now = Utc.timestamp_millis_opt(day(3) + HOUR).unwrap();
    let window = Window::last_days(now, 3);
    let account = Scope::Account {
        account_id: accounts::DEFAULT_ACCOUNT.into(),
    };
    let days = shipping_times(&db, &account, window).await.unwrap();
    assert_eq!(days.len(), 3);
    assert_eq!(days[0].shipped, 0);
    assert_eq!((days[0].p50_hours, days[0].p90_hours), (None, None));
    assert_eq!(days[1].day.to_string(), "2025-03-02");
    assert_eq!(days[1].shipped, 4);
    // Nearest rank of 4: p50 is the 2nd (20 h), p90 the 4th (100.5 h → 100 whole hours).
    assert_eq!(days[1].p50_hours, Some(20));
    assert_eq!(days[1].p90_hours, Some(100));
    assert_eq!(days[2].shipped, 0);

    let other = Scope::Account {
        account_id: other_account,
    };
    let days = shipping_times(&db, &other, window).await.unwrap();
    assert_eq!(days[1].shipped, 1);
    assert_eq!(days[1].p50_hours, Some(5));

    // A window that starts later sees nothing of day 2.
    let later = Window::last_days(now + Duration::days(1), 2);
    let days = shipping_times(&db, &account, later).await.unwrap();
    assert!(days.iter().all(|d| d.shipped == 0));
}
