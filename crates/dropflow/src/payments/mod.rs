//! Payment providers the merchant pays dropflow's wallet through. One today: Stripe
//! Checkout for top-ups by card ([`stripe`]). A provider without its `[payments.*]` section
//! is not offered: the top-up action says so, and its webhook answers 404.
//!
//! Recipe for another provider: a module here (its config section, its client through
//! [`crate::outbound`], its webhook's verification and parsing), a field in
//! [`PaymentsConfig`] and [`Payments`], its webhook route in `http`, and its sandbox in
//! `dropflow-sandbox`. Top-ups are provider-neutral below this layer: `card_top_ups` rows
//! carry the provider's name, the core's `card_top_up::settle` decides, and the ledger's
//! credit carries `<provider>:<payment id>` as its reference.

pub mod stripe;

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// `[payments]`: one optional section per provider.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsConfig {
    /// `[payments.stripe]`: top-ups by card through Stripe Checkout.
    #[serde(default)]
    pub stripe: Option<stripe::StripeConfig>,
}

/// The configured providers, built once where the process is wired. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Payments {
    stripe: Option<Arc<stripe::Stripe>>,
}

impl Payments {
    pub fn from_config(config: &PaymentsConfig) -> Payments {
        Payments {
            stripe: config
                .stripe
                .clone()
                .map(|c| Arc::new(stripe::Stripe::new(c))),
        }
    }

    /// Stripe, when `[payments.stripe]` is set.
    pub fn stripe(&self) -> Option<&stripe::Stripe> {
        self.stripe.as_deref()
    }
}
