use super::view;
use crate::storage::tokens;
use chrono::{DateTime, Utc};

view! {
    /// A token as its owner sees it (never the token itself).
    pub struct TokenView from tokens::TokenView {
        id: String,
        name: String,
        created_at: DateTime<Utc>,
        revoked_at: Option<DateTime<Utc>>,
    }
}
