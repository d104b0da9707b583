//! What an action answers when it does not do what was asked. One variant per kind of
//! refusal; the HTTP edge maps each to a status code and the dashboard to a page (each edge
//! once).

use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The request itself is malformed (an unknown tab, a cursor this API never returned).
    #[error("{0}")]
    Invalid(String),
    /// The caller's role may never do this (a vendor topping up the wallet).
    #[error("{0}")]
    Forbidden(String),
    /// Missing, or outside the caller's scope: the same answer either way.
    #[error("{0}")]
    NotFound(String),
    /// The thing is not in a state that allows it (already shipped, changed meanwhile).
    #[error("{0}")]
    Conflict(String),
    /// Well-formed but not acceptable (a negative amount, a tracking number that fails its
    /// check digit); the message names the field first.
    #[error("{0}")]
    Unprocessable(String),
    /// An upload is above the body limit (the reader did not say the limit).
    #[error("request body is larger than the limit")]
    TooLarge,
    /// Someone outside (a supplier) did not answer: try again.
    #[error("{0}")]
    Unavailable(String),
    /// The database is busy (a write lock held, the pool exhausted): retry shortly.
    #[error("{0}")]
    Busy(String),
    /// A bug or a fault nobody can act on; logged at the edge, never shown.
    #[error("internal error")]
    Internal(String),
}

impl From<StorageError> for ActionError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound => ActionError::NotFound("not found".into()),
            StorageError::Conflict(message) => ActionError::Conflict(message),
            busy if busy.is_busy() => ActionError::Busy(format!(
                "the database is busy; retry in a few seconds ({})",
                busy.busy_kind()
            )),
            other => ActionError::Internal(other.to_string()),
        }
    }
}

impl From<crate::fulfilment::after_sale::CaseError> for ActionError {
    fn from(error: crate::fulfilment::after_sale::CaseError) -> Self {
        use crate::fulfilment::after_sale::CaseError;
        match error {
            CaseError::NotFound(message) => ActionError::NotFound(message),
            CaseError::Unprocessable(message) => ActionError::Unprocessable(message),
            CaseError::Conflict(message) => ActionError::Conflict(message),
            CaseError::Storage(storage) => storage.into(),
            CaseError::Internal(message) => ActionError::Internal(message),
        }
    }
}

impl ActionError {
    /// A failure inside a step that reports `anyhow` errors (the order transaction helpers).
    pub fn internal(error: impl std::fmt::Display) -> Self {
        ActionError::Internal(error.to_string())
    }
}
