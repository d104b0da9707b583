use super::error::ApiError;
use super::HttpState;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// How long after a storage fault (a write lock held, the pool exhausted) `/readyz` keeps
/// saying "not ready", so a balancer steers traffic away while the API answers 503.
pub const FAULT_MEMORY_MS: i64 = 10_000;

/// The last storage fault an API answer met. Handlers turn such faults into 503 with
/// `Retry-After`; the router's layer records them here (see [`record_faults`]).
#[derive(Debug, Default)]
pub struct StorageHealth {
    last_fault_ms: AtomicI64,
}

impl StorageHealth {
    pub fn record(&self, now_ms: i64) {
        self.last_fault_ms.fetch_max(now_ms, Ordering::Relaxed);
    }

    /// Whether a fault happened within [`FAULT_MEMORY_MS`] of `now_ms`.
    pub fn faulty(&self, now_ms: i64) -> bool {
        let last = self.last_fault_ms.load(Ordering::Relaxed);
        last > 0 && now_ms - last < FAULT_MEMORY_MS
    }
}

/// The marker an [`ApiError`] answer for a storage fault carries to [`record_faults`].
#[derive(Debug, Clone, Copy)]
pub struct StorageFault;

/// Router layer: an answer that met a storage fault makes readiness say so.
pub async fn record_faults(
    State(state): State<HttpState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    if response.extensions().get::<StorageFault>().is_some() {
        state.storage_health.record(crate::storage::now_ms());
    }
    response
}

/// The process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: the database answers on both pools (the writer within 2 s), and
/// no request met a storage fault in the last [`FAULT_MEMORY_MS`].
pub async fn readyz(State(state): State<HttpState>) -> Result<Json<Value>, ApiError> {
    let unavailable = |what: String| ApiError::Unavailable(format!("not ready: {what}"));
    state
        .db
        .ping()
        .await
        .map_err(|e| unavailable(format!("database not reachable: {e}")))?;
    let writer = tokio::time::timeout(Duration::from_secs(2), state.db.writer.acquire()).await;
    match writer {
        Ok(Ok(_connection)) => {}
        Ok(Err(e)) => return Err(unavailable(format!("database writer not reachable: {e}"))),
        Err(_) => return Err(unavailable("the database writer is busy".into())),
    }
    if state.storage_health.faulty(crate::storage::now_ms()) {
        return Err(unavailable(
            "storage was busy moments ago (a lock held or the pool exhausted)".into(),
        ));
    }
    Ok(Json(json!({ "status": "ready" })))
}

/// Prometheus text format, for the operator only: with `[http] metrics_token` set, the
/// caller must send it as a Bearer token; without one, only loopback callers are answered.
/// The series carry no per-tenant labels (no store, account or domain).
pub async fn metrics(
    State(state): State<HttpState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Response {
    let peer = connect.map(|Extension(ConnectInfo(a))| a.ip());
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    if let Err(e) = metrics_access(state.metrics_token.as_deref(), presented, peer) {
        return e.into_response();
    }
    if state.metrics.is_some() {
        record_queue_gauges(&state.db).await;
    }
    state
        .metrics
        .as_ref()
        .map(|handle| handle.render())
        .unwrap_or_default()
        .into_response()
}

/// The database-wide queue as gauges, read at each scrape (every process answers the same
/// figures: scrape any one). By job kind: `dropflow_jobs_due` (queued and due: the backlog),
/// `dropflow_jobs_oldest_due_age_seconds` (how long the longest-waiting due job has waited),
/// `dropflow_jobs_scheduled` (retries backing off), `dropflow_jobs_running`,
/// `dropflow_jobs_failed` (kept after the last try) and `dropflow_jobs_waiting_for_fix`
/// (`waits_for`: a person must act); by consumer, `dropflow_events_behind` (order events
/// not yet read; the merchants' webhook consumers as one series, the furthest behind). Every
/// kind has its series, 0 when it has no jobs open. A slow or failing database leaves them
/// as they were (the scrape still answers).
async fn record_queue_gauges(db: &crate::storage::Database) {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Mutex;
    static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let now = crate::storage::now_ms();
    let read = async {
        let kinds = crate::storage::jobs::backlog(db, now).await?;
        let events = crate::events::cursor::behind(db).await?;
        Ok::<_, crate::storage::StorageError>((kinds, events))
    };
    let (kinds, events) = match tokio::time::timeout(Duration::from_secs(2), read).await {
        Ok(Ok(read)) => read,
        Ok(Err(error)) => {
            tracing::warn!(%error, "cannot read the queue for /metrics");
            return;
        }
        Err(_) => {
            tracing::warn!("reading the queue for /metrics took over 2 s");
            return;
        }
    };
    // Every kind known, and every kind ever seen here, has its series (0 when it has no
    // jobs open): an alert on a series needs the series to exist.
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    seen.extend(dropflow_core::jobs::ALL.iter().map(|k| k.to_string()));
    seen.extend(kinds.iter().map(|k| k.kind.clone()));
    for kind in seen.iter() {
        let values = match kinds.iter().find(|k| &k.kind == kind) {
            Some(k) => [
                k.due as f64,
                k.oldest_due_at.map_or(0, |at| (now - at).max(0)) as f64 / 1000.0,
                k.scheduled as f64,
                k.running as f64,
                k.failed as f64,
                k.waiting_for_fix as f64,
            ],
            None => [0.0; 6],
        };
        for (name, value) in QUEUE_GAUGES.into_iter().zip(values) {
            metrics::gauge!(name, "kind" => kind.clone()).set(value);
        }
    }
    drop(seen);
    // Cursor names carry a webhook endpoint's id: one series for all of them, no tenant label.
    let mut behind: BTreeMap<&str, i64> = BTreeMap::new();
    for (name, n) in &events {
        let consumer = if name.starts_with("webhook:") {
            "webhook"
        } else {
            name.as_str()
        };
        let entry = behind.entry(consumer).or_insert(0);
        *entry = (*entry).max(*n);
    }
    for (consumer, n) in behind {
        metrics::gauge!("dropflow_events_behind", "consumer" => consumer.to_string()).set(n as f64);
    }
}

/// The per-kind queue gauges [`record_queue_gauges`] sets.
const QUEUE_GAUGES: [&str; 6] = [
    "dropflow_jobs_due",
    "dropflow_jobs_oldest_due_age_seconds",
    "dropflow_jobs_scheduled",
    "dropflow_jobs_running",
    "dropflow_jobs_failed",
    "dropflow_jobs_waiting_for_fix",
];

/// Who may read `/metrics` (see [`metrics`]).
pub fn metrics_access(
    token: Option<&str>,
    presented: Option<&str>,
    peer: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    match token {
        Some(token) => {
            use subtle::ConstantTimeEq;
            let ok = presented.is_some_and(|p| {
                p.len() == token.len() && bool::from(p.as_bytes().ct_eq(token.as_bytes()))
            });
            if ok {
                Ok(())
            } else {
                Err(ApiError::Unauthorized(
                    "/metrics wants Authorization: Bearer <metrics_token>".into(),
                ))
            }
        }
        None if peer.is_some_and(|ip| ip.is_loopback()) => Ok(()),
        None => Err(ApiError::Forbidden(
            "/metrics answers loopback callers only unless [http] metrics_token is set".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_answer_the_operator_only() {
        let loopback = Some("127.0.0.1".parse().unwrap_or_else(|_| panic!("ip")));
        let outside = Some("203.0.113.5".parse().unwrap_or_else(|_| panic!("ip")));
        assert!(metrics_access(None, None, loopback).is_ok());
        assert!(metrics_access(None, None, outside).is_err());
        assert!(metrics_access(None, None, None).is_err());
        assert!(metrics_access(Some("s3cret"), Some("s3cret"), outside).is_ok());
        assert!(metrics_access(Some("s3cret"), Some("wrong!"), loopback).is_err());
        assert!(metrics_access(Some("s3cret"), None, loopback).is_err());
    }

    #[test]
    fn readiness_remembers_a_storage_fault_for_a_while() {
        let health = StorageHealth::default();
        assert!(!health.faulty(1_000_000));
        health.record(1_000_000);
        assert!(health.faulty(1_000_000 + FAULT_MEMORY_MS - 1));
        assert!(!health.faulty(1_000_000 + FAULT_MEMORY_MS));
    }
}
