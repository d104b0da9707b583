//! Every tracking service dropflow can follow parcels with: one optional `[tracking.<service>]`
//! section each in [`TrackingConfig`], and one line in [`TrackingConfig::provider`] building
//! its connector.

use super::{track17, TrackingProvider};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// `[tracking]`: one optional section per tracking service.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingConfig {
    /// `[tracking.track17]`: 17TRACK API v2.2 key and endpoint.
    pub track17: Option<track17::Track17Config>,
}

impl TrackingConfig {
    /// The tracking service parcels are followed with, `None` when none is configured (parcels
    /// are then not followed). A second service would be one more `.or_else(…)` here.
    pub fn provider(&self) -> Option<Arc<dyn TrackingProvider>> {
        self.track17.as_ref().map(|t| {
            Arc::new(track17::Track17::new(
                &t.base_url,
                &t.api_key,
                Duration::from_millis(t.timeout_ms),
            )) as Arc<dyn TrackingProvider>
        })
    }
}
