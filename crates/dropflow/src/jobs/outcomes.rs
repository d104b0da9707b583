//! Job outcomes written in groups. Every finished try must be recorded before the runner
//! counts it done, and on SQLite each commit is an fsync on the one writer: written one by
//! one, the outcomes of a busy runner (and of a storm of failing tries) take the writer from
//! the handlers' own transactions. One task per runner takes whatever outcomes are waiting,
//! writes them in one transaction ([`queue::record`]) and answers each caller after the
//! commit — so a caller still knows its outcome is durable, as with a write of its own.
//!
//! No timer: while one group commits, the next gathers, so a quiet runner writes each outcome
//! at once and a busy one writes many per commit.

use crate::storage::jobs::{self as queue, Outcome};
use crate::storage::Database;
use tokio::sync::{mpsc, oneshot};

/// The most outcomes written in one transaction: bounds how long one commit holds the writer.
const MAX_GROUP: usize = 256;

type Reply = oneshot::Sender<Result<bool, String>>;

/// Why an outcome was not recorded. The job's lease then runs out and it is tried again.
#[derive(Debug, thiserror::Error)]
pub enum NotRecorded {
    /// The group's transaction failed (rolled back as a whole).
    #[error("writing the job outcomes failed: {0}")]
    Write(String),
    /// The writing task is gone (the runner is stopping).
    #[error("the job outcome writer has stopped")]
    Stopped,
}

/// Hands outcomes to the runner's writing task; cheap to clone.
#[derive(Clone)]
pub struct Recorder {
    sender: mpsc::UnboundedSender<(Outcome, Reply)>,
}

impl Recorder {
    /// Starts the writing task for `owner`'s leases. It ends once every `Recorder` is dropped
    /// and what was handed to it is written.
    pub fn start(db: Database, owner: String) -> (Recorder, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let task = tokio::spawn(write_groups(db, owner, receiver));
        (Recorder { sender }, task)
    }

    /// Records one outcome and waits for its commit: `true` if written, `false` if the lease
    /// was lost meanwhile (see [`queue::record`]).
    pub async fn record(&self, outcome: Outcome) -> Result<bool, NotRecorded> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((outcome, reply))
            .map_err(|_| NotRecorded::Stopped)?;
        match answer.await {
            Ok(written) => written.map_err(NotRecorded::Write),
            Err(_) => Err(NotRecorded::Stopped),
        }
    }
}

async fn write_groups(
    db: Database,
    owner: String,
    mut receiver: mpsc::UnboundedReceiver<(Outcome, Reply)>,
) {
    while let Some(first) = receiver.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let (outcomes, replies): (Vec<Outcome>, Vec<Reply>) = group.into_iter().unzip();
        metrics::histogram!("dropflow_job_outcomes_per_commit").record(outcomes.len() as f64);
        match queue::record(&db, &owner, &outcomes).await {
            Ok(written) => {
                for (reply, written) in replies.into_iter().zip(written) {
                    let _ = reply.send(Ok(written));
                }
            }
            Err(error) => {
                // The group's transaction rolled back as a whole: each caller hears why, and
                // its job's lease runs out and it is tried again (outcomes are idempotent).
                let message = error.to_string();
                for reply in replies {
                    let _ = reply.send(Err(message.clone()));
                }
            }
        }
    }
}
