//! The load generator: prepared signed requests sent by a keep-alive HTTP client, either
//! closed-loop (C connections, each sends its next request when the previous one is answered)
//! or open-loop (a fixed-rate schedule; latency counted from the scheduled send time, so a
//! slow answer cannot hide the requests that should have been sent meanwhile).

use super::hist::{new_histogram, Hist};
use axum::body::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One webhook delivery ready to send.
pub struct Prepared {
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The event id: the dedup key of the `ingest::Delivery` this request becomes.
    pub event_id: String,
}

/// Signed `orders/create` deliveries for store order ids `first..first + count`; nine in ten
/// arrive paid, one in ten waits for payment (on hold).
pub fn prepare(first: u64, count: usize, secret: &[u8]) -> anyhow::Result<Vec<Prepared>> {
    prepare_with(first, count, secret, |order_id| match order_id % 10 {
        0 => "pending",
        _ => "paid",
    })
}

/// [`prepare`] with each order's `financial_status` chosen by `financial`.
pub fn prepare_with(
    first: u64,
    count: usize,
    secret: &[u8],
    financial: impl Fn(u64) -> &'static str,
) -> anyhow::Result<Vec<Prepared>> {
    use dropflow_sandbox::shopify::{order_payload, ShopifyWebhook, SHOP_DOMAIN};
    let mut out = Vec::with_capacity(count);
    for i in 0..count as u64 {
        let order_id = first + i;
        let body = dropflow_sandbox::body_bytes(&order_payload(
            order_id,
            &format!("#{}", 1000 + order_id % 1_000_000_000),
            financial(order_id),
        ));
        let hook = ShopifyWebhook::new("orders/create", SHOP_DOMAIN, body);
        let mut headers = HeaderMap::new();
        for (name, value) in hook.headers(secret) {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes())?,
                HeaderValue::from_str(&value)?,
            );
        }
        out.push(Prepared {
            headers,
            body: Bytes::from(hook.body),
            event_id: hook.event_id,
        });
    }
    Ok(out)
}

/// A keep-alive HTTP/1.1 client with room for `connections` idle connections.
pub fn client(connections: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(connections.max(1))
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// What a load run saw.
pub struct LoadResult {
    pub elapsed: Duration,
    /// 200 answers saying `created` (or any 200, when not checking the answer).
    pub accepted: u64,
    /// 200 answers with another status (`duplicate`, …).
    pub other_200: u64,
    /// Non-200 answers by status code.
    pub non_200: BTreeMap<u16, u64>,
    /// Connection or protocol failures (no answer).
    pub failed: u64,
    /// Acknowledgement latency, µs.
    pub latency: Hist,
}

impl LoadResult {
    pub fn per_second(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn non_200_total(&self) -> u64 {
        self.non_200.values().sum::<u64>() + self.failed
    }

    pub fn problems(&self) -> String {
        let mut parts: Vec<String> = self
            .non_200
            .iter()
            .map(|(status, n)| format!("{n}×{status}"))
            .collect();
        if self.failed > 0 {
            parts.push(format!("{}× no answer", self.failed));
        }
        if self.other_200 > 0 {
            parts.push(format!("{}× 200 not created", self.other_200));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }

    fn empty() -> anyhow::Result<LoadResult> {
        Ok(LoadResult {
            elapsed: Duration::ZERO,
            accepted: 0,
            other_200: 0,
            non_200: BTreeMap::new(),
            failed: 0,
            latency: new_histogram()?,
        })
    }

    fn merge(&mut self, other: LoadResult) -> anyhow::Result<()> {
        self.accepted += other.accepted;
        self.other_200 += other.other_200;
        for (status, n) in other.non_200 {
            *self.non_200.entry(status).or_default() += n;
        }
        self.failed += other.failed;
        self.latency.add(&other.latency)?;
        Ok(())
    }
}

enum Answer {
    Accepted,
    Other200,
    Status(u16),
    Failed,
}

async fn send_one(
    client: &reqwest::Client,
    url: &str,
    request: &Prepared,
    want_created: bool,
) -> Answer {
    let response = client
        .post(url)
        .headers(request.headers.clone())
        .body(request.body.clone())
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(_) => return Answer::Failed,
    };
    let status = response.status().as_u16();
    let body = match response.bytes().await {
        Ok(b) => b,
        Err(_) => return Answer::Failed,
    };
    if status != 200 {
        return Answer::Status(status);
    }
    if !want_created || contains(&body, br#""status":"created""#) {
        Answer::Accepted
    } else {
        Answer::Other200
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn tally(result: &mut LoadResult, answer: Answer, latency_us: u64) {
    match answer {
        Answer::Accepted => result.accepted += 1,
        Answer::Other200 => result.other_200 += 1,
        Answer::Status(s) => *result.non_200.entry(s).or_default() += 1,
        Answer::Failed => result.failed += 1,
    }
    result.latency.saturating_record(latency_us.max(1));
}

/// Sends every request once over `concurrency` connections, each sending its next request
/// as soon as the previous one is answered.
pub async fn closed_loop(
    client: &reqwest::Client,
    url: &str,
    requests: Arc<Vec<Prepared>>,
    concurrency: usize,
    want_created: bool,
) -> anyhow::Result<LoadResult> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let client = client.clone();
        let url = url.to_string();
        let requests = requests.clone();
        let next = next.clone();
        workers.spawn(async move {
            let mut result = LoadResult::empty()?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(request) = requests.get(i) else {
                    break;
                };
                let sent = Instant::now();
                let answer = send_one(&client, &url, request, want_created).await;
                tally(&mut result, answer, sent.elapsed().as_micros() as u64);
            }
            anyhow::Ok(result)
        });
    }
    added_up(workers, started).await
}

/// Sends the requests on a fixed schedule, `rate` per second in total, over `connections`
/// connections (as wrk2 does): request `j` is due at `start + j / rate` and goes out on
/// connection `j mod connections`. A connection still waiting for an earlier answer sends late,
/// and its latency counts from when the request was due, so a stall shows in full (no
/// coordinated omission).
pub async fn open_loop(
    client: &reqwest::Client,
    url: &str,
    requests: Arc<Vec<Prepared>>,
    rate: f64,
    connections: usize,
) -> anyhow::Result<LoadResult> {
    let connections = connections.max(1);
    let started = Instant::now() + Duration::from_millis(20);
    let mut workers = tokio::task::JoinSet::new();
    for first in 0..connections {
        let client = client.clone();
        let url = url.to_string();
        let requests = requests.clone();
        workers.spawn(async move {
            let mut result = LoadResult::empty()?;
            let mut j = first;
            while let Some(request) = requests.get(j) {
                let due = started + Duration::from_secs_f64(j as f64 / rate);
                if due > Instant::now() {
                    tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
                }
                let answer = send_one(&client, &url, request, true).await;
                tally(&mut result, answer, due.elapsed().as_micros() as u64);
                j += connections;
            }
            anyhow::Ok(result)
        });
    }
    added_up(workers, started).await
}

/// The connections' tallies added up, over the time since `started`.
async fn added_up(
    mut workers: tokio::task::JoinSet<anyhow::Result<LoadResult>>,
    started: Instant,
) -> anyhow::Result<LoadResult> {
    let mut total = LoadResult::empty()?;
    while let Some(joined) = workers.join_next().await {
        total.merge(joined??)?;
    }
    total.elapsed = started.elapsed();
    Ok(total)
}
