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
use crate::demo::sandboxes::Sandboxes;
use crate::fulfilment::follower::FollowerConfig;
use crate::fulfilment::Services;
use crate::storage::settings::{self, StoreSettings};
use crate::storage::stores::{self, Store};
use crate::storage::{catalog, Database};
use anyhow::Context;
use dropflow_core::catalog::{Mapping, Offer, SupplierRef};
use dropflow_core::follow::Cadence;
use dropflow_core::intake::Platform;
use dropflow_core::ledger::Operation;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;
use dropflow_sandbox::aliexpress as ali_sandbox;
use dropflow_sandbox::cj as cj_sandbox;
use dropflow_sandbox::shopify::SHOP_DOMAIN;
use dropflow_sandbox::woocommerce::SITE_URL;
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
    /// The outside platforms dropflow works with, each a sandbox.
    pub sandboxes: Sandboxes,
    pub shopify_store: Store,
    pub woo_store: Store,
    pub token: String,
    /// The dashboard sign-in made for the demo: an owner of the account holding both stores.
    pub sign_in: SignIn,
    /// Held so the database file lives as long as the demo.
    _dir: Option<tempfile::TempDir>,
}

/// An e-mail and password to sign in to the dashboard with.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

impl SignIn {
    /// Makes an owner user of the default account (which holds the demo's stores), with a
    /// fresh random password: `owner@demo.test`, or on a kept database where that one exists
    /// already, `owner-<random>@demo.test`.
    async fn create(db: &Database) -> anyhow::Result<SignIn> {
        use crate::storage::accounts::{self, NewUser, Role, DEFAULT_ACCOUNT};
        use rand::distributions::{Alphanumeric, DistString};
        let mut rng = rand::thread_rng();
        let password = Alphanumeric.sample_string(&mut rng, 16);
        let mut email = "owner@demo.test".to_string();
        if accounts::user_by_email(db, &email).await?.is_some() {
            let suffix = Alphanumeric.sample_string(&mut rng, 6).to_lowercase();
            email = format!("owner-{suffix}@demo.test");
        }
        accounts::create_user(
            db,
            NewUser {
                account_id: DEFAULT_ACCOUNT,
                email: &email,
                password: &password,
                role: Role::Owner,
                stores: &[],
                vendor: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot make the demo's dashboard user: {e}"))?;
        Ok(SignIn { email, password })
    }
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
        let sandboxes = Sandboxes::start(TIME_SCALE).await?;
        if options.faults {
            sandboxes.inject_faults();
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
            suppliers: crate::suppliers::Suppliers::from_config(&sandboxes.suppliers_config()),
            tracking: Some(Arc::new(Track17::new(
                &sandboxes.track.base_url,
                sandboxes.track.api_key(),
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

        let shopify_store =
            stores::create(&db, Platform::Shopify, SHOP_DOMAIN, SHOPIFY_SECRET).await?;
        let woo_store = stores::create(&db, Platform::Woocommerce, SITE_URL, WOO_SECRET).await?;
        let usd = Currency::from_code("USD")?;
        for store in [&shopify_store, &woo_store] {
            let access = sandboxes.admin_access(store.platform);
            settings::set_admin_access(&db, store.id, Some(&access)).await?;
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
            fund(&db, store, Money::new(options.wallet_usd * 100, usd)).await?;
            // A card provider's usual 2.9 % + 0.30: profit knows every order's fee.
            let fee = dropflow_core::profit::FeeRule::new(290, Money::new(30, usd))?;
            crate::storage::profit::set_fee_rule(&db, &store.id.to_string(), &fee, "demo").await?;
            match options.scenario {
                super::Scenario::Plain => map_catalogue(&db, store).await?,
                super::Scenario::Warehouse => {
                    super::operator::map_to_marketplace(&db, store, options.wallet_usd).await?
                }
            }
        }
        let token = crate::storage::tokens::create(&db, "demo").await?;
        let sign_in = SignIn::create(&db).await?;
        Ok(World {
            running,
            db,
            sandboxes,
            shopify_store,
            woo_store,
            token,
            sign_in,
            _dir: dir,
        })
    }

    pub async fn stop(self) {
        self.running.stop().await;
        self.sandboxes.shutdown().await;
    }
}

/// Tops up the store's wallet in `amount`'s currency.
pub(super) async fn fund(db: &Database, store: &Store, amount: Money) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    crate::storage::ledger::post(&mut tx, db.engine, store.id, &Operation::TopUp { amount })
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Maps every store-catalogue SKU (see [`catalogue`]).
async fn map_catalogue(db: &Database, store: &Store) -> anyhow::Result<()> {
    for (sku, mapping) in catalogue(true)? {
        catalog::put(db, store.id, catalog::KeyKind::Sku, sku, None, &mapping).await?;
    }
    Ok(())
}

/// The mapping of every store-catalogue SKU: most to AliExpress with CJ as the backup, some
/// to CJ with AliExpress as the backup, and (`with_vendor`) one in four to a manual vendor with
/// CJ as the backup; without a vendor those go to CJ first, AliExpress second.
pub fn catalogue(with_vendor: bool) -> anyhow::Result<Vec<(&'static str, Mapping)>> {
    let usd = Currency::from_code("USD")?;
    let cj_variants = cj_sandbox::variants();
    let mut mappings = Vec::new();
    for (i, offer) in ali_sandbox::offers().iter().enumerate() {
        let Some(variant) = cj_variants.get(i) else {
            continue;
        };
        let aliexpress = Offer {
            product_url: Some(format!(
                "https://www.aliexpress.com/item/{}.html",
                offer.product_id
            )),
            ..Offer::new(
                SupplierRef::api(SupplierKind::Aliexpress),
                &offer.product_id,
                &offer.sku_id,
                Money::new(offer.unit_cost_cents, usd),
            )
        };
        let cj = Offer {
            priority: 2,
            ..Offer::new(
                SupplierRef::api(SupplierKind::Cj),
                &variant.pid,
                &variant.vid,
                Money::new(variant.price_cents, usd),
            )
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
            3 if with_vendor => vec![vendor, cj],
            _ => vec![
                Offer {
                    priority: 1,
                    ..cj.clone()
                },
                Offer {
                    priority: 2,
                    ..aliexpress
                },
            ],
        };
        mappings.push((offer.store_sku, Mapping::single(offers)));
    }
    Ok(mappings)
}
