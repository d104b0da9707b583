//! Durable consumers of the order-event stream (`order_events`, the timeline every order
//! change writes): e-mail ([`mail`]), the "needs attention" checks ([`attention`]) and the
//! merchants' outbound webhooks ([`outbound`]). Each consumer has a cursor ([`cursor`]),
//! reads the events after it in id order up to a safe horizon ([`stream`]), and moves it in
//! the transaction of what the events caused (webhooks: after the receiver's 2xx). Cursors
//! are leased, so several processes sharing one database work each consumer once.
//!
//! Woken by `Database::events_recorded` (rung after commits that record events, in this
//! process or, on PostgreSQL, another: `storage::wake`) and polling at a short interval.

/// `event_cursors`: positions and leases.
pub mod cursor;
/// Reading `order_events` in id order without passing an uncommitted event.
pub mod stream;
/// The `notify` consumer: mails through the outbox.
pub mod mail;
/// What the customer's case mails need of a case.
pub mod case_facts;
/// Needs attention: SLA checks, the flag on the order, its sweep.
pub mod attention;
/// Merchants' webhook endpoints (table).
pub mod endpoints;
/// Delivering events to the endpoints, signed, in order, with retries.
pub mod outbound;

use crate::jobs::backoff::Backoff;
use crate::storage::{now_ms, Database};
use std::time::Duration;
use tokio::sync::watch;

/// How the consumers pace themselves.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// Where merchant mails go (`[notify] merchant_email`); none: to the first owner of the
    /// store's account, if it has one.
    pub merchant_email: Option<String>,
    /// The agent warehouse's address (`[suppliers.marketplace] warehouse`): where customers
    /// send back goods bought through it. None: they are told the merchant sends it.
    pub warehouse_address: Option<dropflow_core::reference::address::PostalAddress>,
    /// Whether this process writes mails (the `notify` consumer).
    pub mail: bool,
    /// Sleep between polls when nothing is new.
    pub poll: Duration,
    /// Most event ids read per round.
    pub batch: i64,
    /// How old the event after a gap in the ids must be before the gap is passed (see
    /// [`stream`]).
    pub gap_grace_ms: i64,
    /// How long a cursor's lease lasts without renewal.
    pub lease_ms: i64,
    /// How often the needs-attention sweep runs.
    pub sweep_every: Duration,
    /// Most orders checked per sweep round.
    pub sweep_batch: i64,
    /// How long a webhook receiver may take to answer.
    pub webhook_timeout: Duration,
    /// Retry spacing for a failing endpoint.
    pub webhook_backoff: Backoff,
    /// Where webhooks may go (`[outbound] allow_private_addresses`; see
    /// [`crate::outbound`]).
    pub reach: crate::outbound::Reach,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            merchant_email: None,
            warehouse_address: None,
            mail: true,
            poll: Duration::from_millis(250),
            batch: 200,
            gap_grace_ms: 5_000,
            lease_ms: 30_000,
            sweep_every: Duration::from_secs(60),
            sweep_batch: 500,
            webhook_timeout: Duration::from_secs(10),
            webhook_backoff: Backoff {
                base: Duration::from_secs(5),
                cap: Duration::from_secs(3_600),
            },
            reach: crate::outbound::Reach::PublicOnly,
        }
    }
}

/// Why a consumer's round failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error(transparent)]
    Notify(#[from] crate::notify::NotifyError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One round of the `notify` consumer; how many events it moved over.
pub async fn consume_mail(
    db: &Database,
    config: &EventsConfig,
    owner: &str,
) -> Result<usize, ConsumeError> {
    let Some((from, upto, events)) = next_batch(db, mail::CURSOR, owner, config).await? else {
        return Ok(0);
    };
    let mut tx = db.begin().await?;
    let mails = mail::handle_with(
        &mut tx,
        &events,
        config.merchant_email.as_deref(),
        config.warehouse_address.as_ref(),
    )
    .await?;
    if !cursor::advance(&mut tx, mail::CURSOR, owner, from, upto).await? {
        // Lost the lease or replayed meanwhile: nothing of this round is kept.
        tx.rollback().await?;
        return Ok(0);
    }
    tx.commit().await?;
    if mails > 0 {
        db.jobs_queued.notify_one();
    }
    Ok(events.len())
}

/// One round of the `attention` consumer; how many events it moved over.
pub async fn consume_attention(
    db: &Database,
    config: &EventsConfig,
    owner: &str,
) -> Result<usize, ConsumeError> {
    let Some((from, upto, events)) = next_batch(db, attention::CURSOR, owner, config).await? else {
        return Ok(0);
    };
    let mut tx = db.begin().await?;
    attention::mark(&mut tx, &events).await?;
    if !cursor::advance(&mut tx, attention::CURSOR, owner, from, upto).await? {
        tx.rollback().await?;
        return Ok(0);
    }
    tx.commit().await?;
    Ok(events.len())
}

/// Claims `name` and reads what follows it: (position, horizon, events), or `None` when
/// another process holds it or nothing is new.
async fn next_batch(
    db: &Database,
    name: &str,
    owner: &str,
    config: &EventsConfig,
) -> Result<Option<(i64, i64, Vec<stream::StoredEvent>)>, ConsumeError> {
    if !has_news(db, name, config).await? {
        return Ok(None);
    }
    let Some(from) = cursor::claim(db, name, owner, config.lease_ms).await? else {
        return Ok(None);
    };
    let upto = stream::horizon(db, from, config.batch, config.gap_grace_ms, now_ms()).await?;
    if upto == from {
        return Ok(None);
    }
    let events = stream::read(db, from, upto, None).await?;
    Ok(Some((from, upto, events)))
}

/// Whether events wait after the cursor `name` (read only: polling an idle stream writes
/// nothing, which matters on SQLite's single writer).
pub(crate) async fn has_news(
    db: &Database,
    name: &str,
    config: &EventsConfig,
) -> crate::storage::Result<bool> {
    let Some(seen) = cursor::peek(db, name).await? else {
        return Ok(false);
    };
    Ok(stream::horizon(db, seen, 1, config.gap_grace_ms, now_ms()).await? > seen)
}

/// Creates the built-in consumers' cursors at the stream's current end (when missing).
pub async fn prepare(db: &Database) -> Result<(), ConsumeError> {
    let end = stream::last_id(db).await?;
    cursor::ensure(db, mail::CURSOR, end).await?;
    cursor::ensure(db, attention::CURSOR, end).await?;
    Ok(())
}

/// Runs the consumers until `shutdown` turns true: one task for mail and attention (quick
/// database work), one for the webhooks (network calls that must not delay mail).
pub async fn run(db: Database, config: EventsConfig, shutdown: watch::Receiver<bool>) {
    if let Err(error) = prepare(&db).await {
        tracing::error!(%error, "cannot prepare the event consumers");
    }
    let owner = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7());
    let local = tokio::spawn(local_loop(
        db.clone(),
        config.clone(),
        owner.clone(),
        shutdown.clone(),
    ));
    let hooks = tokio::spawn(webhook_loop(db.clone(), config, owner.clone(), shutdown));
    let _ = local.await;
    let _ = hooks.await;
    for name in [mail::CURSOR, attention::CURSOR] {
        let _ = cursor::release(&db, name, &owner).await;
    }
}

async fn local_loop(
    db: Database,
    config: EventsConfig,
    owner: String,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last_sweep: Option<std::time::Instant> = None;
    while !*shutdown.borrow() {
        // Registered before reading, so an event committed while we read still wakes us.
        let woken = db.events_recorded.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let mut busy = false;
        if config.mail {
            match consume_mail(&db, &config, &owner).await {
                Ok(n) => busy |= n > 0,
                Err(error) => tracing::warn!(%error, "the notify consumer failed; will retry"),
            }
        }
        match consume_attention(&db, &config, &owner).await {
            Ok(n) => busy |= n > 0,
            Err(error) => tracing::warn!(%error, "the attention consumer failed; will retry"),
        }
        // On its own clock, not after every batch: the SLA deadlines are hours, and orders
        // an event touched are due at once, so the next sweep sees them.
        if last_sweep.is_none_or(|t| t.elapsed() >= config.sweep_every) {
            last_sweep = Some(std::time::Instant::now());
            if let Err(error) = attention::sweep(&db, now_ms(), config.sweep_batch).await {
                tracing::warn!(%error, "the needs-attention sweep failed; will retry");
            }
        }
        if !busy {
            tokio::select! {
                _ = &mut woken => {}
                _ = tokio::time::sleep(config.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

async fn webhook_loop(
    db: Database,
    config: EventsConfig,
    owner: String,
    mut shutdown: watch::Receiver<bool>,
) {
    let client = outbound::endpoint(&config);
    while !*shutdown.borrow() {
        let woken = db.events_recorded.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let busy = match outbound::deliver_due(&db, &client, &config, &owner).await {
            Ok(n) => n > 0,
            Err(error) => {
                tracing::warn!(%error, "webhook delivery round failed; will retry");
                false
            }
        };
        if !busy {
            tokio::select! {
                _ = &mut woken => {}
                _ = tokio::time::sleep(config.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
