//! Tracking updates applied in bulk to `shipments` (storage::shipments), on both engines:
//! only changed rows are written, the changes come back, unknown numbers are ignored.

use crate::support::*;
use chrono::{TimeZone, Utc};
use dropflow::carriers::TrackingUpdate;
use dropflow::storage::shipments::{apply_tracking_updates, ChangedShipment};
use dropflow::storage::Database;
use dropflow_core::ids::{OrderId, ShipmentId, SupplierOrderId};
use dropflow_core::shipment::ShipmentStatus;
use sqlx::Row;

struct Seeded {
    order_id: OrderId,
    supplier_order_id: SupplierOrderId,
    /// (shipment id, tracking number), in insertion order.
    shipments: Vec<(ShipmentId, String)>,
}

/// One store, one order, one supplier order and `n` shipments `TRK00000`, … in `status`
/// (`sub_status` NULL, `last_event` NULL).
async fn seed(db: &Database, n: usize, status: &str) -> Seeded {
    let store_id = uuid::Uuid::now_v7().to_string();
    let order_id = OrderId::new();
    let supplier_order_id = SupplierOrderId::new();
    let mut tx = db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO stores (id, platform, domain, webhook_secret, created_at)
         VALUES ($1, 'shopify', $2, 'secret', 1)",
    )
    .bind(&store_id)
    .bind(format!("{store_id}.myshopify.com"))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO orders (id, store_id, external_id, name, currency, total_minor, state, tab,
             payment_status, procurement, version, created_at, updated_at)
         VALUES ($1, $2, '1001', '#1001', 'USD', 1000, '{}', 'awaiting_shipment', 'paid',
             'shipped', 1, 1, 1)",
    )
    .bind(order_id.to_string())
    .bind(&store_id)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO supplier_orders (id, order_id, supplier, supplier_account, status,
             attempt_id, created_at, updated_at)
         VALUES ($1, $2, 'cj', 'main', 'shipped', $3, 1, 1)",
    )
    .bind(supplier_order_id.to_string())
    .bind(order_id.to_string())
    .bind(uuid::Uuid::now_v7().to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    let mut shipments = Vec::new();
    for i in 0..n {
        let id = ShipmentId::new();
        let number = format!("TRK{i:05}");
        sqlx::query(
            "INSERT INTO shipments (id, order_id, supplier_order_id, leg, carrier,
                 tracking_number, status, created_at, updated_at)
             VALUES ($1, $2, $3, 'supplier_to_customer', 'China Post', $4, $5, 1, 1)",
        )
        .bind(id.to_string())
        .bind(order_id.to_string())
        .bind(supplier_order_id.to_string())
        .bind(&number)
        .bind(status)
        .execute(&mut *tx)
        .await
        .unwrap();
        shipments.push((id, number));
    }
    tx.commit().await.unwrap();
    Seeded {
        order_id,
        supplier_order_id,
        shipments,
    }
}

fn update(number: &str, status: ShipmentStatus, sub: &str, event: &str) -> TrackingUpdate {
    TrackingUpdate {
        number: number.to_string(),
        status,
        sub_status: Some(sub.to_string()),
        last_event: Some(event.to_string()),
        last_event_at: Some(Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap()),
    }
}

struct Stored {
    status: String,
    sub_status: Option<String>,
    last_event: Option<String>,
    last_event_at: Option<i64>,
    last_synced_at: Option<i64>,
    next_sync_at: Option<i64>,
    updated_at: i64,
}

async fn stored(db: &Database, id: &ShipmentId) -> Stored {
    let row = sqlx::query(
        "SELECT status, sub_status, last_event, last_event_at, last_synced_at, next_sync_at,
             updated_at FROM shipments WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&db.reader)
    .await
    .unwrap();
    Stored {
        status: row.get("status"),
        sub_status: row.get("sub_status"),
        last_event: row.get("last_event"),
        last_event_at: row.get("last_event_at"),
        last_synced_at: row.get("last_synced_at"),
        next_sync_at: row.get("next_sync_at"),
        updated_at: row.get("updated_at"),
    }
}

#[tokio::test]
async fn applies_changes_and_reports_only_changed_rows() {
    let (_testdb, db) = TestDb::migrated().await;
    let seeded = seed(&db, 3, "info_received").await;
    let [(a, na), (b, nb), (c, nc)] = [0, 1, 2].map(|i| seeded.shipments[i].clone());
    let next = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();

    let updates = vec![
        update(
            &na,
            ShipmentStatus::InTransit,
            "InTransit_PickedUp",
            "Picked up",
        ),
        update(
            &nb,
            ShipmentStatus::Delivered,
            "Delivered_Other",
            "Delivered",
        ),
        update(
            "NOBODYHASTHIS",
            ShipmentStatus::Delivered,
            "Delivered_Other",
            "x",
        ),
    ];
    let mut tx = db.begin().await.unwrap();
    let mut changed = apply_tracking_updates(&mut tx, &updates, Some(next))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    changed.sort_by(|x, y| x.tracking_number.cmp(&y.tracking_number));
    assert_eq!(
        changed,
        vec![
            ChangedShipment {
                shipment_id: a,
                order_id: seeded.order_id,
                supplier_order_id: Some(seeded.supplier_order_id),
                tracking_number: na.clone(),
                old_status: ShipmentStatus::InfoReceived,
                new_status: ShipmentStatus::InTransit,
            },
            ChangedShipment {
                shipment_id: b,
                order_id: seeded.order_id,
                supplier_order_id: Some(seeded.supplier_order_id),
                tracking_number: nb.clone(),
                old_status: ShipmentStatus::InfoReceived,
                new_status: ShipmentStatus::Delivered,
            },
        ]
    );
    let sa = stored(&db, &a).await;
    assert_eq!(sa.status, "in_transit");
    assert_eq!(sa.sub_status.as_deref(), Some("InTransit_PickedUp"));
    assert_eq!(sa.last_event.as_deref(), Some("Picked up"));
    assert_eq!(
        sa.last_event_at,
        Some(
            Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0)
                .unwrap()
                .timestamp_millis()
        )
    );
    assert_eq!(sa.next_sync_at, Some(next.timestamp_millis()));
    assert!(sa.last_synced_at.is_some());
    assert!(sa.updated_at > 1);
    let sb = stored(&db, &b).await;
    assert_eq!(sb.status, "delivered");
    assert_eq!(
        sb.next_sync_at, None,
        "a final status is not asked about again"
    );
    let sc = stored(&db, &c).await;
    assert_eq!(sc.status, "info_received", "{nc} was not in the updates");
    assert_eq!(sc.updated_at, 1);

    // The same updates again change nothing and touch nothing.
    let before = stored(&db, &a).await.updated_at;
    let mut tx = db.begin().await.unwrap();
    let again = apply_tracking_updates(&mut tx, &updates, Some(next))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(stored(&db, &a).await.updated_at, before);

    // A new scan with the same status is a change (last_event), reported with old == new.
    let mut tx = db.begin().await.unwrap();
    let scan = apply_tracking_updates(
        &mut tx,
        &[update(
            &na,
            ShipmentStatus::InTransit,
            "InTransit_Departure",
            "Departed",
        )],
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(scan.len(), 1);
    assert_eq!(scan[0].old_status, ShipmentStatus::InTransit);
    assert_eq!(scan[0].new_status, ShipmentStatus::InTransit);
    let sa = stored(&db, &a).await;
    assert_eq!(sa.sub_status.as_deref(), Some("InTransit_Departure"));
    assert_eq!(sa.next_sync_at, None);
    db.close().await;
}

#[tokio::test]
async fn many_updates_span_several_statements() {
    let (_testdb, db) = TestDb::migrated().await;
    // 1,500 rows: chunks of 1024 + 256 + 128 + 64 + 16 + 8 + 4 for reads and writes.
    let seeded = seed(&db, 1_500, "in_transit").await;
    let updates: Vec<TrackingUpdate> = seeded
        .shipments
        .iter()
        .enumerate()
        .map(|(i, (_, n))| {
            if i % 3 == 0 {
                // Unchanged status, sub-status and event: must not be written.
                TrackingUpdate {
                    number: n.clone(),
                    status: ShipmentStatus::InTransit,
                    sub_status: None,
                    last_event: None,
                    last_event_at: None,
                }
            } else {
                update(
                    n,
                    ShipmentStatus::OutForDelivery,
                    "OutForDelivery_Other",
                    "Out",
                )
            }
        })
        .collect();
    let mut tx = db.begin().await.unwrap();
    let changed = apply_tracking_updates(&mut tx, &updates, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(changed.len(), 1_000);
    assert!(changed
        .iter()
        .all(|c| c.new_status == ShipmentStatus::OutForDelivery
            && c.old_status == ShipmentStatus::InTransit));
    let counts =
        sqlx::query("SELECT status, COUNT(*) AS n FROM shipments GROUP BY status ORDER BY status")
            .fetch_all(&db.reader)
            .await
            .unwrap();
    let counts: Vec<(String, i64)> = counts
        .iter()
        .map(|r| (r.get("status"), r.get("n")))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("in_transit".to_string(), 500),
            ("out_for_delivery".to_string(), 1_000)
        ]
    );
    let untouched: i64 = sqlx::query("SELECT COUNT(*) AS n FROM shipments WHERE updated_at = 1")
        .fetch_one(&db.reader)
        .await
        .unwrap()
        .get("n");
    assert_eq!(untouched, 500);
    db.close().await;
}
