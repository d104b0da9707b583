//! Carrier tracking: asking a tracking service where parcels are, in its own vocabulary,
//! mapped onto the normalised [`ShipmentStatus`] (protocols.md §5.3).
//!
//! One directory per service (`track17/`: 17TRACK API v2.2). Connectors are stateless apart
//! from configuration; they batch numbers as the service allows (17TRACK: 40 per call).
//!
//! [`registry`]: the services, each an optional `[tracking.<service>]` section and one line
//! building its connector.

/// The tracking services, one line each, and the `[tracking]` section naming them.
pub mod registry;
/// 17TRACK API v2.2.
pub mod track17;

pub use registry::TrackingConfig;

use futures::future::BoxFuture;
use std::time::Duration;

/// A number to follow, with the carrier when we know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRequest {
    pub number: String,
    /// The carrier's name as recognised from the number (tracking_number_data's courier
    /// name) or as the supplier gave it; `None` lets the service detect it.
    pub carrier: Option<String>,
}

/// The service's answer for one number it was asked to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    Accepted {
        number: String,
    },
    /// Refused with the service's reason (invalid number, quota, …).
    Rejected {
        number: String,
        reason: String,
    },
}

pub use dropflow_core::shipment::TrackingUpdate;

/// Not being able to get an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingApiError {
    #[error("rate limited by the tracking service (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the tracking service did not answer in time")]
    Timeout,
    #[error("the tracking service is unavailable: {0}")]
    Unavailable(String),
    #[error("the tracking service refused our key: {0}")]
    Unauthorized(String),
    #[error("unexpected answer from the tracking service: {0}")]
    Protocol(String),
}

impl TrackingApiError {
    pub fn is_transient(&self) -> bool {
        match self {
            TrackingApiError::RateLimited { .. }
            | TrackingApiError::Timeout
            | TrackingApiError::Unavailable(_) => true,
            TrackingApiError::Unauthorized(_) | TrackingApiError::Protocol(_) => false,
        }
    }
}

/// An outside call's failure in tracking terms, the one conversion connectors use. Reads are
/// safe to repeat, so a lost answer is `Unavailable` (retried), not an unknown outcome.
impl From<crate::outbound::HttpError> for TrackingApiError {
    fn from(error: crate::outbound::HttpError) -> Self {
        use crate::outbound::HttpError as E;
        match &error {
            E::Timeout { .. } => TrackingApiError::Timeout,
            E::RateLimited { retry_after, .. } => TrackingApiError::RateLimited {
                retry_after: *retry_after,
            },
            E::Unreachable { .. } | E::Refused { .. } | E::Lost { .. } | E::Unavailable { .. } => {
                TrackingApiError::Unavailable(error.to_string())
            }
            E::Unauthorized { .. } => TrackingApiError::Unauthorized(error.to_string()),
            E::Build { .. } | E::NotFound { .. } | E::Status { .. } => {
                TrackingApiError::Protocol(error.to_string())
            }
        }
    }
}

/// A tracking service.
pub trait TrackingProvider: Send + Sync {
    /// Starts following `numbers` (any count: the connector batches).
    fn register<'a>(
        &'a self,
        numbers: &'a [TrackRequest],
    ) -> BoxFuture<'a, Result<Vec<Registration>, TrackingApiError>>;

    /// The current status of each number (any count); numbers the service does not know are
    /// left out of the answer.
    fn fetch<'a>(
        &'a self,
        numbers: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<TrackingUpdate>, TrackingApiError>>;
}
