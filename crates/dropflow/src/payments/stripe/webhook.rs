//! `POST /webhooks/stripe`'s work: a delivered event, checked and applied in one
//! transaction.
//!
//! Checks, in order: the `Stripe-Signature` header is there and readable (else 400), one of
//! its `v1` signatures matches the raw body and its time is within the tolerance (else 401;
//! [`super::signature`]), the body is an Event (else 400). Nothing is written before all three
//! pass. Then, for the events that may credit ([`super::event::ACTED_ON`]):
//!
//! read the top-up the session is about under a lock ([`card_top_ups::lock_for_notice`]) →
//! ask the core ([`dropflow_core::card_top_up::settle`]) → write once: the ledger's credit
//! with OUR amount under the reference `stripe:<session id>` (the ledger's unique key on
//! (store, kind, reference) refuses a second credit for the session whatever else fails),
//! the purchases waiting for money queued, the top-up marked paid with the event and the
//! credit; or the top-up marked refused with why. `checkout.session.expired` and
//! `…async_payment_failed` end a top-up still awaiting payment as `failed`. Every other event, an unknown session, or
//! one already settled answers 200 with what was done (Stripe retries any other status for
//! days, and a retry would change nothing).

use super::event::{self, Session};
use super::signature::{self, SignatureError};
use super::StripeConfig;
use crate::storage::card_top_ups::{self, CardTopUp, Settlement};
use crate::storage::ledger::{self, PostError};
use crate::storage::{Database, StorageError};
use dropflow_core::card_top_up::{abandon, settle, Decision, Notice, Status};
use dropflow_core::ledger::{LedgerError, Operation};

/// The provider name stored on the top-ups this module settles.
pub const PROVIDER: &str = "stripe";

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The wallet was credited (this delivery did it).
    Credited {
        top_up_id: String,
        transaction_id: i64,
    },
    /// The top-up was settled before: nothing more.
    AlreadySettled { top_up_id: String, status: Status },
    /// The notice disagreed with the top-up: refused, not credited.
    Refused { top_up_id: String, problem: String },
    /// The payment will not come (the page expired, the payment failed): `failed`.
    Failed { top_up_id: String, reason: String },
    /// Nothing to do (another event type, not ours, not paid yet).
    Ignored(String),
}

impl Outcome {
    /// The word the webhook answers with.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Credited { .. } => "credited",
            Outcome::AlreadySettled { .. } => "already_settled",
            Outcome::Refused { .. } => "refused",
            Outcome::Failed { .. } => "failed",
            Outcome::Ignored(_) => "ignored",
        }
    }
}

/// Why a delivery was not taken.
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    /// The header is missing or unreadable, or no signature matches, or it is too old.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Signed, but not an event dropflow can read.
    #[error("{0}")]
    Body(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The ledger refused the credit for a reason other than a repeat: a bug.
    #[error("the ledger refused the credit: {0}")]
    Ledger(LedgerError),
}

/// Checks and applies one delivery at `now` (Unix seconds).
pub async fn receive(
    db: &Database,
    config: &StripeConfig,
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Outcome, NoticeError> {
    signature::verify(
        &config.webhook_secret,
        header,
        body,
        now,
        config.tolerance_secs,
    )?;
    let event = event::parse_event(body).map_err(NoticeError::Body)?;
    if !event::ACTED_ON.contains(&event.kind.as_str()) {
        return Ok(Outcome::Ignored(format!(
            "dropflow does not act on {} events",
            event.kind
        )));
    }
    let session = event::session_of(&event).map_err(NoticeError::Body)?;
    let abandoned = event::ABANDONING
        .contains(&event.kind.as_str())
        .then(|| format!("Stripe says {}", event.kind));
    apply(db, &event.id, &session, abandoned).await
}

/// Applies a notice about `session`: a payment, or when `abandoned` says why, the end of
/// the top-up unpaid.
async fn apply(
    db: &Database,
    event_id: &str,
    session: &Session,
    abandoned: Option<String>,
) -> Result<Outcome, NoticeError> {
    let mut tx = db.begin().await?;
    let found = card_top_ups::lock_for_notice(
        &mut tx,
        db.engine,
        PROVIDER,
        &session.id,
        session.top_up_reference(),
    )
    .await?;
    let Some(top_up) = found else {
        return Ok(Outcome::Ignored(
            "no top-up of this installation has this session".into(),
        ));
    };
    let notice = Notice {
        paid: session.is_paid(),
        amount_minor: session.amount_total,
        currency: session.currency.clone(),
    };
    let decision = match (other_store(session, &top_up), abandoned) {
        (Some(problem), _) if top_up.status.awaits_payment() => Decision::Mismatch(problem),
        (_, Some(why)) => abandon(top_up.status, &why),
        (_, None) => settle(top_up.status, top_up.amount, &notice),
    };
    let settlement = |status, ledger_transaction_id, problem| Settlement {
        status,
        session_id: &session.id,
        event_id,
        ledger_transaction_id,
        problem,
    };
    match decision {
        Decision::AlreadySettled(status) => Ok(Outcome::AlreadySettled {
            top_up_id: top_up.id,
            status,
        }),
        Decision::NotPaidYet => Ok(Outcome::Ignored(
            "the session is not paid yet; its payment will be told of again".into(),
        )),
        Decision::Mismatch(problem) => {
            card_top_ups::settle(
                &mut tx,
                &top_up.id,
                &settlement(Status::Refused, None, Some(&problem)),
            )
            .await?;
            tx.commit().await.map_err(StorageError::from)?;
            tracing::warn!(top_up.id = %top_up.id, store.id = %top_up.store_id,
                stripe.event = event_id, %problem,
                "card top-up refused: the payment notice disagrees with it; not credited");
            Ok(Outcome::Refused {
                top_up_id: top_up.id,
                problem,
            })
        }
        Decision::Abandoned(why) => {
            card_top_ups::settle(
                &mut tx,
                &top_up.id,
                &settlement(Status::Failed, None, Some(&why)),
            )
            .await?;
            tx.commit().await.map_err(StorageError::from)?;
            tracing::info!(top_up.id = %top_up.id, store.id = %top_up.store_id,
                stripe.event = event_id, "card top-up ended unpaid");
            Ok(Outcome::Failed {
                top_up_id: top_up.id,
                reason: why,
            })
        }
        Decision::Credit(amount) => {
            let operation = Operation::TopUpFor {
                amount,
                reference: format!("{PROVIDER}:{}", session.id),
            };
            let posted = match ledger::post(&mut tx, db.engine, top_up.store_id, &operation).await {
                Ok(posted) => posted,
                Err(PostError::Refused(LedgerError::Duplicate { .. })) => {
                    // The ledger already holds this session's credit: nothing more.
                    return Ok(Outcome::AlreadySettled {
                        top_up_id: top_up.id,
                        status: Status::Paid,
                    });
                }
                Err(PostError::Refused(e)) => return Err(NoticeError::Ledger(e)),
                Err(PostError::Storage(e)) => return Err(e.into()),
            };
            // Purchases that failed for want of money are paid now that there is some (as a
            // top-up by hand does, `services::wallet::top_up_store`).
            let waiting =
                crate::storage::supplier_orders::unpaid_for_lack_of_funds(&mut tx, top_up.store_id)
                    .await?;
            for (id, order_id) in &waiting {
                crate::storage::supplier_orders::enqueue_job(
                    &mut tx,
                    dropflow_core::jobs::PAY_SUPPLIER_ORDER,
                    *id,
                    *order_id,
                )
                .await?;
            }
            let settled = card_top_ups::settle(
                &mut tx,
                &top_up.id,
                &settlement(Status::Paid, Some(posted.transaction_id), None),
            )
            .await?;
            if !settled {
                // Settled meanwhile by another delivery (the lock makes this unreachable):
                // dropping the transaction takes the credit back.
                return Ok(Outcome::AlreadySettled {
                    top_up_id: top_up.id,
                    status: Status::Paid,
                });
            }
            // The credit is money moved by no one signed in: the log names the system and
            // the provider's event.
            let store = top_up.store_id.to_string();
            crate::storage::audit::record(
                &mut tx,
                crate::storage::audit::Change {
                    account_id: "",
                    store_id: Some(&store),
                    actor: "system",
                    action: "card_top_up.credit",
                    subject_kind: "card_top_up",
                    subject_id: &top_up.id,
                    before: Some(serde_json::json!({"status": top_up.status.as_str()})),
                    after: Some(serde_json::json!({
                        "status": Status::Paid.as_str(),
                        "amount": amount.to_decimal_string(),
                        "currency": amount.currency.code(),
                        "ledger_transaction_id": posted.transaction_id,
                        "event_id": event_id,
                        "session_id": session.id,
                    })),
                },
            )
            .await?;
            tx.commit().await.map_err(StorageError::from)?;
            tracing::info!(top_up.id = %top_up.id, store.id = %top_up.store_id,
                stripe.event = event_id, ledger.transaction = posted.transaction_id,
                payments_queued = waiting.len(), "wallet topped up by card");
            Ok(Outcome::Credited {
                top_up_id: top_up.id,
                transaction_id: posted.transaction_id,
            })
        }
    }
}

/// Why a session that names another store than its top-up's is refused (`None`: it names
/// the same, or none).
fn other_store(session: &Session, top_up: &CardTopUp) -> Option<String> {
    let named = session.meta(event::META_STORE)?;
    (named != top_up.store_id.to_string()).then(|| {
        format!(
            "the session names store {named}, the top-up is of store {}",
            top_up.store_id
        )
    })
}
