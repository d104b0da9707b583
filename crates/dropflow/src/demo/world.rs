//! The demo's world: every sandbox (AliExpress, CJ, a Shopify store with its Admin API, a
//! WooCommerce store with its REST API, 17TRACK), dropflow over them on its own SQLite file,
//! two stores with Admin access, funded wallets and product mappings with backup offers.
//!
//! Time: the sandboxes run a day in four seconds, so an order is shipped after ~8 s and
//! delivered ~25 s later; the follower asks at a real-time pace that keeps a 2-core machine
//! busy but not drowning (see [`demo_cadence`]).

use super::DemoOptions;
use crate::app::{self, Running};
use crate::carriers::track17::Track17;
use crate::config::Config;
use crate::fulfilment::follower::FollowerConfig;
use crate::fulfilment::Services;
use crate::storage::settings::{self, AdminAccess, StoreSettings};
use crate::storage::stores::Store;
use crate::storage::{catalog, Database};
use crate::suppliers::aliexpress::AliExpressConfig;
use crate::suppliers::cj::{ApiKey, CjConfig};
use anyhow::Context;
use dropflow_core::catalog::{Component, Mapping, Offer, SupplierRef};
use dropflow_core::follow::Cadence;
use dropflow_core::intake::Platform;
use dropflow_core::ledger::Operation;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;
use dropflow_sandbox::aliexpress::{
    self as ali_sandbox, AliExpressSandbox, AliExpressSandboxConfig,
};
use dropflow_sandbox::cj::{self as cj_sandbox, CjSandbox, CjSandboxConfig};
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::marketplace::{self as mk, MarketplaceSandbox, MarketplaceSandboxConfig};
use dropflow_sandbox::shopify_admin::{self, ShopifyAdminConfig, ShopifyAdminSandbox};
use dropflow_sandbox::track17::{self, Track17Sandbox, Track17SandboxConfig};
use dropflow_sandbox::woocommerce_admin::{self, WooAdminConfig, WooAdminSandbox};
use std::sync::Arc;
use std::time::Duration;

/// Sandbox seconds per real second: a day in four seconds.
pub const TIME_SCALE: f64 = 86_400.0 / 4.0;

/// The webhook secrets of the two demo stores.
pub const SHOPIFY_SECRET: &str = "demo-shopify-webhook-secret";
pub const WOO_SECRET: &str = "demo-woocommerce-webhook-secret";

pub struct World {
    pub running: Running,
    pub db: Database,
    pub ali: AliExpressSandbox,
    pub cj: CjSandbox,
    pub shopify: ShopifyAdminSandbox,
    pub woo: WooAdminSandbox,
    pub track: Track17Sandbox,
    /// The 1688-style marketplace (the warehouse scenario buys there).
    pub market: MarketplaceSandbox,
    pub shopify_store: Store,
    pub woo_store: Store,
    pub token: String,
    /// Held so the database file lives as long as the demo.
    _dir: Option<tempfile::TempDir>,
}

/// How often the demo's follower asks, in real time.
pub fn demo_cadence() -> Cadence {
    Cadence {
        awaiting_payment: Duration::from_secs(5),
        often: Duration::from_secs(2),
        tracking_due: Duration::from_secs(20),
        overdue: Duration::from_secs(4),
        shipped: Duration::from_secs(8),
        parcel: Duration::from_secs(3),
        parcel_final_mile: Duration::from_secs(2),
        time_scale: 1.0,
    }
}

impl World {
    pub async fn start(options: &DemoOptions) -> anyhow::Result<World> {
        let ali = ali_sandbox::start(AliExpressSandboxConfig {
            time_scale: TIME_SCALE,
            timeout_hold: Duration::from_secs(3),
            repeat_window_in_real_time: true,
            ..Default::default()
        })
        .await?;
        let cj = cj_sandbox::start(CjSandboxConfig {
            time_scale: TIME_SCALE,
            timeout_hold: Duration::from_secs(3),
            balance_cents: 1_000_000_000,
            ..Default::default()
        })
        .await?;
        let shopify = shopify_admin::start(ShopifyAdminConfig {
            bucket_size: 40,
            leak_per_second: 20.0,
            timeout_hold: Duration::from_secs(3),
            ..Default::default()
        })
        .await?;
        let woo = woocommerce_admin::start(WooAdminConfig {
            timeout_hold: Duration::from_secs(3),
            ..Default::default()
        })
        .await?;
        let track = track17::start(Track17SandboxConfig {
            time_scale: TIME_SCALE,
            transit: Duration::from_secs(6 * 86_400),
            timeout_hold: Duration::from_secs(3),
            ..Default::default()
        })
        .await?;
        let market = mk::start(MarketplaceSandboxConfig {
            time_scale: TIME_SCALE,
            timeout_hold: Duration::from_secs(3),
            balance_fen: 1_000_000_000_000,
            ..Default::default()
        })
        .await?;
        if options.faults {
            inject_faults(&ali, &cj, &shopify, &woo, &track);
        }

        let (url, dir) = match &options.database {
            Some(url) => (url.clone(), None),
            None => {
                let dir = tempfile::tempdir()?;
                let path = dir.path().join("demo.db");
                (format!("sqlite://{}", path.display()), Some(dir))
            }
        };
        let mut config = Config::default();
        config.database.url = url;
        config.http.listen = options.listen.clone();
        config.jobs.concurrency = 16;
        // Every sandbox listens on loopback.
        config.outbound.allow_private_addresses = true;
        config.jobs.poll_ms = 20;
        // Sandbox faults clear in moments: retry within seconds, not the production hour.
        config.jobs.backoff_base_ms = 250;
        config.jobs.backoff_cap_ms = 5_000;
        // Mails go to .eml files next to the demo database (no SMTP server is configured).
        config.notify.merchant_email = Some("merchant@demo.test".into());
        config.notify.eml_dir = match &dir {
            Some(dir) => dir.path().join("mail"),
            None => std::env::temp_dir().join("dropflow-demo-mail"),
        };
        let db = Database::connect(&config.database.url)
            .await
            .context("cannot open the demo database")?;
        db.migrate().await?;

        let services = Services {
            db: db.clone(),
            suppliers: suppliers(&ali, &cj, &market),
            tracking: Some(Arc::new(Track17::new(
                &track.base_url,
                track.api_key(),
                Duration::from_secs(2),
            ))),
            admin: app::store_admins(),
            cadence: demo_cadence(),
        };
        let follower = FollowerConfig {
            tick: Duration::from_millis(250),
            ..Default::default()
        };
        let running = app::start_with_services(&config, services, follower).await?;

        let shopify_store = crate::storage::stores::create(
            &db,
            Platform::Shopify,
            dropflow_sandbox::shopify::SHOP_DOMAIN,
            SHOPIFY_SECRET,
        )
        .await?;
        let woo_store = crate::storage::stores::create(
            &db,
            Platform::Woocommerce,
            dropflow_sandbox::woocommerce::SITE_URL,
            WOO_SECRET,
        )
        .await?;
        settings::set_admin_access(
            &db,
            shopify_store.id,
            Some(&AdminAccess {
                url: shopify.base_url.clone(),
                key: shopify.access_token().to_string(),
                secret: None,
            }),
        )
        .await?;
        settings::set_admin_access(
            &db,
            woo_store.id,
            Some(&AdminAccess {
                url: woo.base_url.clone(),
                key: woo.consumer_key().to_string(),
                secret: Some(woo.consumer_secret().to_string()),
            }),
        )
        .await?;
        for store in [&shopify_store, &woo_store] {
            settings::put(
                &db,
                store.id,
                &StoreSettings {
                    auto_order: true,
                    auto_pay: true,
                    price_guard_percent: Some(15),
                    notify_customer: true,
                    ..Default::default()
                },
            )
            .await?;
            fund(&db, store, options.wallet_usd).await?;
            match options.scenario {
                super::Scenario::Plain => map_catalogue(&db, store).await?,
                super::Scenario::Warehouse => {
                    super::operator::map_to_marketplace(&db, store, options.wallet_usd).await?
                }
            }
        }
        let token = crate::storage::tokens::create(&db, "demo").await?;
        Ok(World {
            running,
            db,
            ali,
            cj,
            shopify,
            woo,
            track,
            market,
            shopify_store,
            woo_store,
            token,
            _dir: dir,
        })
    }

    pub async fn stop(self) {
        self.running.stop().await;
        self.ali.shutdown().await;
        self.cj.shutdown().await;
        self.shopify.shutdown().await;
        self.woo.shutdown().await;
        self.track.shutdown().await;
        self.market.shutdown().await;
    }
}

/// The connectors `serve` would build, pointed at the sandboxes.
fn suppliers(
    ali: &AliExpressSandbox,
    cj: &CjSandbox,
    market: &MarketplaceSandbox,
) -> crate::fulfilment::Suppliers {
    let mut ali_config = AliExpressConfig::new(
        ali.base_url.clone(),
        ali.app_key(),
        ali.app_secret(),
        ali.access_token(),
    );
    ali_config.timeout_ms = 1_000;
    ali_config.try_to_pay = true;
    let mut cj_config = CjConfig::new(&cj.base_url, ApiKey::new(cj.api_key()));
    cj_config.timeout_ms = 1_000;
    app::suppliers_from(&crate::config::SuppliersConfig {
        aliexpress: Some(ali_config),
        cj: Some(cj_config),
        marketplace: Some(super::operator::marketplace_config(market)),
    })
}

/// A few percent of everything goes wrong: unanswered calls (some of which went through),
/// 5xx, 429, stock-outs and refused addresses at the suppliers; 5xx at the stores.
fn inject_faults(
    ali: &AliExpressSandbox,
    cj: &CjSandbox,
    shopify: &ShopifyAdminSandbox,
    woo: &WooAdminSandbox,
    track: &Track17Sandbox,
) {
    let supplier_faults = Faults {
        timeout_rate: 0.02,
        place_despite_timeout: true,
        server_error_rate: 0.02,
        rate_limit_rate: 0.01,
        out_of_stock_rate: 0.02,
        address_rejection_rate: 0.005,
        ..Faults::default()
    };
    ali.faults.set(supplier_faults.clone());
    cj.faults.set(supplier_faults);
    let store_faults = Faults {
        server_error_rate: 0.02,
        timeout_rate: 0.005,
        ..Faults::default()
    };
    shopify.faults.set(store_faults.clone());
    woo.faults.set(store_faults.clone());
    track.faults.set(store_faults);
}

async fn fund(db: &Database, store: &Store, usd: i64) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    crate::storage::ledger::post(
        &mut tx,
        db.engine,
        store.id,
        &Operation::TopUp {
            amount: Money::new(usd * 100, Currency::from_code("USD")?),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Maps every store-catalogue SKU: most to AliExpress with CJ as the backup, some to CJ with
/// AliExpress as the backup, and one in four to a manual vendor with CJ as the backup.
async fn map_catalogue(db: &Database, store: &Store) -> anyhow::Result<()> {
    let usd = Currency::from_code("USD")?;
    let cj_variants = cj_sandbox::variants();
    for (i, offer) in ali_sandbox::offers().iter().enumerate() {
        let Some(variant) = cj_variants.get(i) else {
            continue;
        };
        let aliexpress = Offer {
            supplier: SupplierRef {
                kind: SupplierKind::Aliexpress,
                account: "default".into(),
            },
            supplier_product_id: offer.product_id.clone(),
            supplier_sku_id: offer.sku_id.clone(),
            unit_cost: Money::new(offer.unit_cost_cents, usd),
            priority: 1,
            ships_to: Vec::new(),
            stock: None,
            product_url: Some(format!(
                "https://www.aliexpress.com/item/{}.html",
                offer.product_id
            )),
        };
        let cj = Offer {
            supplier: SupplierRef {
                kind: SupplierKind::Cj,
                account: "default".into(),
            },
            supplier_product_id: variant.pid.clone(),
            supplier_sku_id: variant.vid.clone(),
            unit_cost: Money::new(variant.price_cents, usd),
            priority: 2,
            ships_to: Vec::new(),
            stock: None,
            product_url: None,
        };
        let vendor = Offer {
            supplier: SupplierRef {
                kind: SupplierKind::Manual,
                account: "vendor-lumio".into(),
            },
            priority: 1,
            ..aliexpress.clone()
        };
        let offers = match i % 4 {
            0 | 1 => vec![aliexpress, cj],
            2 => vec![
                Offer {
                    priority: 1,
                    ..cj.clone()
                },
                Offer {
                    priority: 2,
                    ..aliexpress
                },
            ],
            _ => vec![vendor, cj],
        };
        catalog::put(
            db,
            store.id,
            catalog::KeyKind::Sku,
            offer.store_sku,
            None,
            &Mapping {
                components: vec![Component {
                    quantity: 1,
                    offers,
                }],
            },
        )
        .await?;
    }
    Ok(())
}
