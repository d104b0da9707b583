//! The warehouse scenario: every store item is bought at the 1688-style marketplace (one
//! seller per product, so multi-item orders arrive in several parcels), and a simulated
//! operator works the warehouse through the same calls the API makes: receives each parcel
//! when the seller's courier would have delivered it, inspects (about one item in twelve
//! fails as damaged, with a photo; the merchant accepts it as is), packs; the store's
//! auto-pick rule chooses the carrier and the fee is paid from the wallet at packing; the
//! operator dispatches with a tracking number in the chosen carrier's real format.

use super::world::{World, TIME_SCALE};
use crate::fulfilment::parcels::check_number;
use crate::fulfilment::warehouse::{floor, merchant, photos};
use crate::storage::accounts::Scope;
use crate::storage::stores::Store;
use crate::storage::warehouse::{self as store, WarehouseSettings};
use crate::storage::{catalog, Database};
use crate::suppliers::marketplace::{MarketplaceConfig, Secret, WarehouseAddress};
use anyhow::Context;
use dropflow_core::catalog::{Mapping, Offer, SupplierRef};
use dropflow_core::event::Actor;
use dropflow_core::ids::OrderId;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;
use dropflow_core::warehouse::choice::AutoPick;
use dropflow_core::warehouse::inspection::{Checklist, FailureChoice, InspectionReport};
use dropflow_core::warehouse::rates::Parcel;
use dropflow_sandbox::marketplace::{self as mk, MarketplaceSandbox};
use sqlx::Row;
use std::time::Duration;
use tokio::sync::watch;

/// Sellers the catalogue is spread over.
const SELLERS: usize = 3;
/// One item in this many fails inspection.
const FAIL_ONE_IN: u64 = 12;
/// A 1×1 PNG: the damage photo.
const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

/// The connector `serve` would build for the sandbox.
pub fn marketplace_config(market: &MarketplaceSandbox) -> MarketplaceConfig {
    MarketplaceConfig {
        base_url: market.base_url.clone(),
        app_key: market.app_key().into(),
        app_secret: Secret::new(market.app_secret()),
        access_token: Secret::new(market.access_token()),
        warehouse: WarehouseAddress {
            full_name: "Dropflow Warehouse".into(),
            mobile: "13800138000".into(),
            post_code: "518000".into(),
            province: "广东省".into(),
            city: "深圳市".into(),
            area: "宝安区".into(),
            address: "福永街道 88 号 3 楼".into(),
        },
        timeout_ms: 1_000,
        price_guard_percent: None,
        reference_pages: 3,
    }
}

/// Maps every store SKU to a marketplace offer (sellers in turn), funds the CNY wallet the
/// goods are paid from, and sets the store's auto-pick (cheapest) and fee auto-pay.
pub async fn map_to_marketplace(db: &Database, store: &Store, usd: i64) -> anyhow::Result<()> {
    let cny = Currency::from_code("CNY")?;
    super::world::fund(db, store, Money::new(usd * 100 * 8, cny)).await?;
    let offers = mk::offers();
    for (i, item) in dropflow_sandbox::aliexpress::offers().iter().enumerate() {
        let offer = &offers[i % offers.len()];
        catalog::put(
            db,
            store.id,
            catalog::KeyKind::Sku,
            item.store_sku,
            None,
            &Mapping::single(vec![Offer {
                product_url: Some(format!(
                    "https://detail.1688.com/offer/{}.html",
                    offer.offer_id
                )),
                ..Offer::new(
                    SupplierRef {
                        kind: SupplierKind::Marketplace,
                        account: format!("seller-{}", i % SELLERS),
                    },
                    offer.offer_id.to_string(),
                    &offer.spec_id,
                    Money::new(offer.price_fen, cny),
                )
            }]),
        )
        .await?;
    }
    store::put_settings(
        db,
        store.id,
        &WarehouseSettings {
            auto_pick: Some(AutoPick::Cheapest),
            auto_pay_fee: true,
        },
    )
    .await?;
    // The merchant's thank-you card goes in every parcel (the dashboard's branding settings).
    let mut tx = db.begin().await?;
    crate::storage::branding::put_in(
        &mut tx,
        store.id,
        &crate::storage::branding::BrandingUpdate {
            logo: None,
            remove_logo: false,
            card_text: "Thank you for shopping with us!".into(),
            include_logo: false,
            include_card: true,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Works the warehouse until `stop`.
pub async fn run(world: &World, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    let files = tempfile::tempdir()?;
    let mut sequence: u64 = 0;
    // The sandbox's domestic leg: two sandbox days.
    let transit_ms = (2.0 * 86_400.0 / TIME_SCALE * 1000.0) as i64;
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        if let Err(error) = round(world, files.path(), transit_ms, &mut sequence).await {
            tracing::warn!(%error, "warehouse operator round failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = stop.changed() => {}
        }
    }
}

async fn round(
    world: &World,
    files: &std::path::Path,
    transit_ms: i64,
    sequence: &mut u64,
) -> anyhow::Result<()> {
    let db = &world.db;
    let operator = Actor::Merchant("warehouse-operator".into());
    let merchant_actor = Actor::Merchant("demo-merchant".into());
    let now = crate::storage::now_ms();
    // Receive what the couriers have brought by now.
    for r in sqlx::query(
        "SELECT tracking_number FROM warehouse_inbound
         WHERE received_at IS NULL AND created_at < $1 ORDER BY created_at LIMIT 200",
    )
    .bind(now - transit_ms)
    .fetch_all(&db.reader)
    .await?
    {
        let number: String = r.try_get("tracking_number")?;
        floor::receive(db, &Scope::Installation, &number, &operator).await?;
    }
    // Inspect what arrived.
    for r in sqlx::query(
        "SELECT id, quantity FROM warehouse_items WHERE state = $1 ORDER BY id LIMIT 200",
    )
    .bind(serde_json::to_string(
        &dropflow_core::warehouse::consolidation::ItemState::Arrived,
    )?)
    .fetch_all(&db.reader)
    .await?
    {
        let id: String = r.try_get("id")?;
        let quantity = u32::try_from(r.try_get::<i64, _>("quantity")?).unwrap_or(1);
        let fails = fnv(&id).is_multiple_of(FAIL_ONE_IN);
        let photos = if fails {
            vec![photos::store(files, "damage.png", PHOTO).await?]
        } else {
            Vec::new()
        };
        let report = InspectionReport {
            expected_quantity: quantity,
            checklist: Checklist {
                title_matches: true,
                variant_matches: true,
                received_quantity: quantity,
                undamaged: !fails,
                marketing_material_removed: true,
            },
            photos,
            operator_rejects: false,
            note: String::new(),
        };
        floor::inspect(db, &id, &report, &operator).await?;
        if fails {
            let order: String = sqlx::query("SELECT order_id FROM warehouse_items WHERE id = $1")
                .bind(&id)
                .fetch_one(&db.reader)
                .await?
                .try_get("order_id")?;
            let order: OrderId = order.parse().context("order id")?;
            merchant::decide(db, order, FailureChoice::AcceptAsIs, &merchant_actor).await?;
        }
    }
    // Pack what is cleared (auto-pick and fee auto-pay happen at packing).
    for order in orders_at(db, "inspected").await? {
        let items: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM warehouse_items WHERE order_id = $1 AND package_id IS NULL",
        )
        .bind(order.to_string())
        .fetch_one(&db.reader)
        .await?
        .try_get("n")?;
        let n = u32::try_from(items.max(1)).unwrap_or(1);
        let parcel = Parcel {
            weight_g: 180 + 260 * n,
            length_cm: 22,
            width_cm: 16,
            height_cm: 4 + 4 * n,
        };
        floor::pack(db, order, &[], parcel, &operator).await?;
    }
    // Hand paid parcels to their carrier.
    for r in sqlx::query(
        "SELECT p.id, p.carrier_code FROM warehouse_packages p
         JOIN warehouse_legs l ON l.order_id = p.order_id
         WHERE l.stage = 'fee_paid' AND p.fee_paid_at IS NOT NULL AND p.dispatched_at IS NULL
         LIMIT 200",
    )
    .fetch_all(&db.reader)
    .await?
    {
        let id: String = r.try_get("id")?;
        let code: Option<String> = r.try_get("carrier_code")?;
        *sequence += 1;
        let (carrier, number) = label(code.as_deref().unwrap_or(""), *sequence);
        let handover = floor::Handover {
            tracking_number: &number,
            carrier,
            label: None,
        };
        floor::dispatch(
            db,
            &crate::demo::world::demo_cadence(),
            &id,
            &handover,
            &operator,
        )
        .await?;
    }
    Ok(())
}

async fn orders_at(db: &Database, stage: &str) -> anyhow::Result<Vec<OrderId>> {
    sqlx::query("SELECT order_id FROM warehouse_legs WHERE stage = $1 LIMIT 200")
        .bind(stage)
        .fetch_all(&db.reader)
        .await?
        .iter()
        .map(|r| {
            r.try_get::<String, _>("order_id")?
                .parse::<OrderId>()
                .context("order id")
        })
        .collect()
}

/// The carrier's name and a tracking number in its real format: YunExpress `YT` + 16 digits,
/// DHL Express 10 digits with the mod-7 check digit, postal services a UPU S10 number.
pub fn label(code: &str, n: u64) -> (&'static str, String) {
    let serial = n % 100_000_000;
    let (carrier, number) = match code {
        "yun-direct" => ("YunExpress", format!("YT2229{serial:012}")),
        "dhl-express" => {
            let body = 100_000_000 + serial;
            ("DHL Express", format!("{body}{}", body % 7))
        }
        "yanwen-special" => (
            "Yanwen",
            dropflow_core::tracking::s10_number("UG", serial, "CN"),
        ),
        _ => (
            "China Post",
            dropflow_core::tracking::s10_number("RR", serial, "CN"),
        ),
    };
    debug_assert_ne!(check_number(&number).0, "invalid");
    (carrier, number)
}

/// A cheap hash of the item id: about one item in [`FAIL_ONE_IN`] fails, spread evenly.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_pass_their_carriers_checks() {
        for code in ["yun-direct", "dhl-express", "yanwen-special", "cpost-reg"] {
            for n in [1, 7, 12_345, 99_999_999] {
                let (_, number) = label(code, n);
                assert_eq!(check_number(&number).0, "valid", "{code} {number}");
            }
        }
    }
}
