//! The audit log: who changed what, with the subject before and after. [`record`] writes
//! one entry inside the transaction of the change it describes (the caller's `tx`), so an
//! entry exists exactly when its change was committed. Secrets never reach the table:
//! [`redact`] replaces every value under a secret-looking key before the JSON is written.

use super::codec::from_ms;
use super::{now_ms, query, Database, Result, Tx};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

/// What replaces a secret's value.
pub const REDACTED: &str = "[redacted]";

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub account_id: &'a str,
    pub store_id: Option<&'a str>,
    /// `user:<id>`, `token:<name>`, `installation` or `system`.
    pub actor: &'a str,
    /// What was done, `<subject>.<verb>`: `settings.update`, `mappings.put`, `wallet.top_up`…
    pub action: &'a str,
    pub subject_kind: &'a str,
    pub subject_id: &'a str,
    /// The subject before (`None`: it did not exist).
    pub before: Option<Value>,
    /// The subject after (`None`: it was removed).
    pub after: Option<Value>,
}

/// Writes `change` in `tx`, its before and after redacted.
pub async fn record(tx: &mut Tx<'_>, change: Change<'_>) -> Result<()> {
    let json = |value: Option<Value>| {
        value.map(|mut v| {
            redact(&mut v);
            v.to_string()
        })
    };
    // A store's change is its account's, whoever made it (the installation acts over every
    // account): the account is read from the store when there is one.
    sqlx::query(
        "INSERT INTO audit_log (id, account_id, store_id, actor, action, subject_kind,
            subject_id, before_json, after_json, at)
         VALUES ($1, COALESCE((SELECT account_id FROM stores WHERE id = $3), $2), $3, $4, $5,
            $6, $7, $8, $9, $10)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(change.account_id)
    .bind(change.store_id)
    .bind(change.actor)
    .bind(change.action)
    .bind(change.subject_kind)
    .bind(change.subject_id)
    .bind(json(change.before))
    .bind(json(change.after))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether a key names a secret: API keys and tokens, webhook and consumer secrets,
/// passwords, Admin access keys.
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    // `key`, `api_key`, `consumer_key`, `apikey`: a key; `key_kind`, `key_value` (a mapping's
    // store item) are not.
    let a_key = key == "key" || key.ends_with("_key") || key.ends_with("apikey");
    a_key
        || ["secret", "token", "password", "credential", "authorization"]
            .iter()
            .any(|word| key.contains(word))
}

/// Replaces, at any depth, the value of every key that names a secret with [`REDACTED`].
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if is_secret_key(key) && !inner.is_null() {
                    *inner = Value::String(REDACTED.into());
                } else {
                    redact(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// One recorded change as read back.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub store_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub at: DateTime<Utc>,
}

/// Which entries of an account to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub account_id: String,
    pub store_id: Option<String>,
    pub subject_kind: Option<String>,
    pub subject_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Keyset cursor: entries older than this id.
    pub before: Option<String>,
}

/// The filter's entries, newest first, at most `limit`.
pub async fn list(db: &Database, filter: &Filter, limit: i64) -> Result<Vec<Entry>> {
    let mut binds = vec![filter.account_id.clone()];
    let mut sql = String::from(
        "SELECT id, store_id, actor, action, subject_kind, subject_id, before_json, after_json, \
         at FROM audit_log WHERE account_id = $1",
    );
    let mut param = |sql: &mut String, clause: &str, value: String| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    if let Some(store) = &filter.store_id {
        param(&mut sql, " AND store_id = ?", store.clone());
    }
    if let Some(kind) = &filter.subject_kind {
        param(&mut sql, " AND subject_kind = ?", kind.clone());
    }
    if let Some(id) = &filter.subject_id {
        param(&mut sql, " AND subject_id = ?", id.clone());
    }
    if let Some(from) = filter.from {
        param(&mut sql, " AND at >= CAST(? AS BIGINT)", from.to_string());
    }
    if let Some(to) = filter.to {
        param(&mut sql, " AND at < CAST(? AS BIGINT)", to.to_string());
    }
    if let Some(before) = &filter.before {
        param(&mut sql, " AND id < ?", before.clone());
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit.clamp(1, 500)));
    query::all(query::with_binds(&sql, &binds), &db.reader, entry_from_row).await
}

fn entry_from_row(row: &AnyRow) -> Result<Entry> {
    let json = |column: &str| -> Result<Option<Value>> {
        row.try_get::<Option<String>, _>(column)?
            .map(|text| super::codec::from_json(column, &text))
            .transpose()
    };
    Ok(Entry {
        id: row.try_get("id")?,
        store_id: row.try_get("store_id")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject_kind: row.try_get("subject_kind")?,
        subject_id: row.try_get("subject_id")?,
        before: json("before_json")?,
        after: json("after_json")?,
        at: from_ms(row.try_get("at")?),
    })
}

#[cfg(test)]
mod tests {
    use super::{redact, REDACTED};
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_other_values_kept() {
        let mut value = json!({
            "url": "https://shop.example",
            "key": "shpat_1",
            "secret": "cs_2",
            "nested": [{"webhook_secret": "whsec", "api_token": "t", "name": "kept"}],
            "password": null,
            "key_kind": "sku",
            "consumer_key": "ck_3",
        });
        redact(&mut value);
        assert_eq!(
            value,
            json!({
                "url": "https://shop.example",
                "key": REDACTED,
                "secret": REDACTED,
                "nested": [{"webhook_secret": REDACTED, "api_token": REDACTED, "name": "kept"}],
                "password": null,
                "key_kind": "sku",
                "consumer_key": REDACTED,
            })
        );
    }
}
