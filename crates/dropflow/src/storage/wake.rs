//! Wake-ups: a commit that queued jobs (or recorded order events) rings a [`Wake`], so the job
//! runner (or the event consumers) look at once instead of at their next poll. In one process
//! that is a `tokio::sync::Notify`. On PostgreSQL, [`across_processes`] carries the ring to
//! the other processes on the database with `NOTIFY` (channels [`JOBS`] and [`EVENTS`]), and
//! rings here what the others send (`LISTEN`): a `web` process's new order reaches a `worker`'s
//! runner in a round trip, not a poll. Polling stays as the safety net: a notification lost
//! with a connection costs one poll interval, never a job.

use super::{Database, Engine};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// The channel for "jobs were queued".
pub const JOBS: &str = "dropflow_jobs";
/// The channel for "order events were recorded".
pub const EVENTS: &str = "dropflow_events";

/// One kind of wake-up, rung after a commit.
#[derive(Clone, Debug, Default)]
pub struct Wake {
    local: Arc<Notify>,
    /// Set by [`across_processes`]: rung to send a NOTIFY (several rings, one NOTIFY).
    outgoing: Arc<OnceLock<Arc<Notify>>>,
}

impl Wake {
    /// Wakes one waiter here (or the next to wait) and tells the other processes.
    pub fn notify_one(&self) {
        self.local.notify_one();
        self.tell_others();
    }

    /// Wakes every waiter here and tells the other processes.
    pub fn notify_waiters(&self) {
        self.local.notify_waiters();
        self.tell_others();
    }

    /// Completes at the next ring, from this process or another.
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.local.notified()
    }

    fn tell_others(&self) {
        if let Some(outgoing) = self.outgoing.get() {
            outgoing.notify_one();
        }
    }
}

/// On PostgreSQL: sends this process's rings of `db`'s wakes to the other processes and
/// rings here theirs, until `shutdown`. `None` on SQLite (one process).
pub fn across_processes(
    db: &Database,
    url: &str,
    shutdown: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if db.engine != Engine::Postgres {
        return None;
    }
    // Our own notifications come back to our listener: the token tells them apart.
    let token = uuid::Uuid::now_v7().simple().to_string();
    let mut tasks = Vec::new();
    for (wake, channel) in [(&db.jobs_queued, JOBS), (&db.events_recorded, EVENTS)] {
        let outgoing = Arc::new(Notify::new());
        if wake.outgoing.set(outgoing.clone()).is_err() {
            // Already carried (a second start on the same pools).
            return None;
        }
        tasks.push(tokio::spawn(send(
            db.clone(),
            channel,
            token.clone(),
            outgoing,
            shutdown.clone(),
        )));
    }
    let listener = tokio::spawn(listen(db.clone(), url.to_string(), token, shutdown));
    Some(tokio::spawn(async move {
        let _ = listener.await;
        for task in tasks {
            let _ = task.await;
        }
    }))
}

/// Sends one NOTIFY per ring (rings while one is sent fold into the next).
async fn send(
    db: Database,
    channel: &'static str,
    token: String,
    outgoing: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = outgoing.notified() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(token.as_str())
            .execute(&db.writer)
            .await;
        if let Err(error) = sent {
            // The others find the work at their next poll.
            tracing::debug!(%error, channel, "could not notify the other processes");
        }
        // At most about a hundred a second per channel: under load every poll finds work
        // anyway, and each NOTIFY wakes every listening process.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Listens on both channels and rings here what other processes send; reconnects after a
/// lost connection (ringing here once, since notifications may have been lost meanwhile).
async fn listen(db: Database, url: String, token: String, mut shutdown: watch::Receiver<bool>) {
    let mut listener: Option<sqlx::postgres::PgListener> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let Some(connected) = listener.as_mut() else {
            match connect(&url).await {
                Ok(connected) => {
                    listener = Some(connected);
                    db.jobs_queued.local.notify_one();
                    db.events_recorded.local.notify_waiters();
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for other processes' wake-ups; polling");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = shutdown.wait_for(|stop| *stop) => return,
                    }
                }
            }
            continue;
        };
        let received = tokio::select! {
            received = connected.try_recv() => received,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        match received {
            Ok(Some(notification)) if notification.payload() != token => {
                match notification.channel() {
                    JOBS => db.jobs_queued.local.notify_one(),
                    EVENTS => db.events_recorded.local.notify_waiters(),
                    _ => {}
                }
            }
            Ok(Some(_own)) => {}
            // The connection was lost: the next round connects again.
            Ok(None) | Err(_) => listener = None,
        }
    }
}

async fn connect(url: &str) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen_all([JOBS, EVENTS]).await?;
    Ok(listener)
}
