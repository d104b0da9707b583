//! Every outside platform as a sandbox in this process: AliExpress, CJ, the 1688-style
//! marketplace, 17TRACK, and a Shopify and a WooCommerce store with their Admin APIs. The
//! demo runs dropflow next to them in the same process; `dropflow sandbox` serves them to a
//! `dropflow serve` of its own (`crate::sandbox`). Both start them here, so what the demo shows
//! is what the sandbox command serves.

use crate::carriers::track17::Track17Config;
use crate::config::SuppliersConfig;
use crate::storage::settings::AdminAccess;
use crate::suppliers::aliexpress::AliExpressConfig;
use crate::suppliers::cj::{ApiKey, CjConfig};
use dropflow_core::intake::Platform;
use dropflow_sandbox::aliexpress::{
    self as ali_sandbox, AliExpressSandbox, AliExpressSandboxConfig,
};
use dropflow_sandbox::cj::{self as cj_sandbox, CjSandbox, CjSandboxConfig};
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::marketplace::{self as mk, MarketplaceSandbox, MarketplaceSandboxConfig};
use dropflow_sandbox::shopify_admin::{self, ShopifyAdminConfig, ShopifyAdminSandbox};
use dropflow_sandbox::track17::{self, Track17Sandbox, Track17SandboxConfig};
use dropflow_sandbox::woocommerce_admin::{self, WooAdminConfig, WooAdminSandbox};
use std::time::Duration;

/// The running sandboxes, each on its own loopback port.
pub struct Sandboxes {
    pub ali: AliExpressSandbox,
    pub cj: CjSandbox,
    pub shopify: ShopifyAdminSandbox,
    pub woo: WooAdminSandbox,
    pub track: Track17Sandbox,
    /// The 1688-style marketplace (the warehouse scenario buys there).
    pub market: MarketplaceSandbox,
}

impl Sandboxes {
    /// Starts them all; `time_scale` is sandbox seconds per real second (how fast parcels
    /// move and orders ship).
    pub async fn start(time_scale: f64) -> anyhow::Result<Sandboxes> {
        let ali = ali_sandbox::start(AliExpressSandboxConfig {
            time_scale,
            timeout_hold: Duration::from_secs(3),
            repeat_window_in_real_time: true,
            ..Default::default()
        })
        .await?;
        let cj = cj_sandbox::start(CjSandboxConfig {
            time_scale,
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
            time_scale,
            transit: Duration::from_secs(6 * 86_400),
            timeout_hold: Duration::from_secs(3),
            ..Default::default()
        })
        .await?;
        let market = mk::start(MarketplaceSandboxConfig {
            time_scale,
            timeout_hold: Duration::from_secs(3),
            balance_fen: 1_000_000_000_000,
            ..Default::default()
        })
        .await?;
        Ok(Sandboxes {
            ali,
            cj,
            shopify,
            woo,
            track,
            market,
        })
    }

    /// A few percent of everything goes wrong: unanswered calls (some of which went through),
    /// 5xx, 429, stock-outs and refused addresses at the suppliers; 5xx at the stores.
    pub fn inject_faults(&self) {
        let supplier_faults = Faults {
            timeout_rate: 0.02,
            place_despite_timeout: true,
            server_error_rate: 0.02,
            rate_limit_rate: 0.01,
            out_of_stock_rate: 0.02,
            address_rejection_rate: 0.005,
            ..Faults::default()
        };
        self.ali.faults.set(supplier_faults.clone());
        self.cj.faults.set(supplier_faults);
        let store_faults = Faults {
            server_error_rate: 0.02,
            timeout_rate: 0.005,
            ..Faults::default()
        };
        self.shopify.faults.set(store_faults.clone());
        self.woo.faults.set(store_faults.clone());
        self.track.faults.set(store_faults);
    }

    /// The `[suppliers.*]` sections that point dropflow's connectors at the sandboxes.
    pub fn suppliers_config(&self) -> SuppliersConfig {
        let mut ali_config = AliExpressConfig::new(
            self.ali.base_url.clone(),
            self.ali.app_key(),
            self.ali.app_secret(),
            self.ali.access_token(),
        );
        ali_config.timeout_ms = 1_000;
        ali_config.try_to_pay = true;
        let mut cj_config = CjConfig::new(&self.cj.base_url, ApiKey::new(self.cj.api_key()));
        cj_config.timeout_ms = 1_000;
        SuppliersConfig {
            aliexpress: Some(ali_config),
            cj: Some(cj_config),
            marketplace: Some(super::operator::marketplace_config(&self.market)),
        }
    }

    /// The Admin API access of the store sandbox of `platform`.
    pub fn admin_access(&self, platform: Platform) -> AdminAccess {
        match platform {
            Platform::Shopify => AdminAccess {
                url: self.shopify.base_url.clone(),
                key: self.shopify.access_token().to_string(),
                secret: None,
            },
            Platform::Woocommerce => AdminAccess {
                url: self.woo.base_url.clone(),
                key: self.woo.consumer_key().to_string(),
                secret: Some(self.woo.consumer_secret().to_string()),
            },
        }
    }

    /// The `[tracking.track17]` section for the 17TRACK sandbox.
    pub fn track17_config(&self) -> Track17Config {
        Track17Config {
            base_url: self.track.base_url.clone(),
            api_key: self.track.api_key().to_string(),
            timeout_ms: 2_000,
        }
    }

    pub async fn shutdown(self) {
        self.ali.shutdown().await;
        self.cj.shutdown().await;
        self.shopify.shutdown().await;
        self.woo.shutdown().await;
        self.track.shutdown().await;
        self.market.shutdown().await;
    }
}
