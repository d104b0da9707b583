//! The query shapes every storage module repeats, each written once: text parameters bound in
//! order (scope conditions and filters build theirs as strings), rows read into a value (one
//! or all), `IN (…)` placeholder lists, "no row touched is not found", and the compare-and-set
//! that claims a row due for a check. The SQL itself stays at the call site, in full.

use super::{Result, StorageError, Tx};
use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::{Any, Executor};

/// A statement with its parameters, on either engine.
pub type Query<'q> = sqlx::query::Query<'q, Any, AnyArguments<'q>>;

/// `sql` with `binds` bound in order, each as text.
pub fn with_binds<'q>(sql: &'q str, binds: &'q [String]) -> Query<'q> {
    bind_all(sqlx::query(sql), binds)
}

/// `query` with `binds` bound after what it already has, each as text.
pub fn bind_all<'q>(query: Query<'q>, binds: &'q [String]) -> Query<'q> {
    binds
        .iter()
        .fold(query, |query, bind| query.bind(bind.as_str()))
}

/// The row `query` finds on `on`, read by `read`; `None` when there is none.
pub async fn one<'q, 'c, E, T>(
    query: Query<'q>,
    on: E,
    read: impl Fn(&AnyRow) -> Result<T>,
) -> Result<Option<T>>
where
    E: Executor<'c, Database = Any>,
{
    query
        .fetch_optional(on)
        .await?
        .as_ref()
        .map(read)
        .transpose()
}

/// Every row `query` finds on `on`, each read by `read`, in the order found.
pub async fn all<'q, 'c, E, T>(
    query: Query<'q>,
    on: E,
    read: impl Fn(&AnyRow) -> Result<T>,
) -> Result<Vec<T>>
where
    E: Executor<'c, Database = Any>,
{
    query.fetch_all(on).await?.iter().map(read).collect()
}

/// `$first, $first+1, …` for `count` parameters, the inside of an `IN (…)` list.
pub fn params(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `query` with each of `ids` bound after what it already has, as text: the values of an
/// `IN (…)` list.
pub fn bind_ids<'q, T: ToString>(query: Query<'q>, ids: impl IntoIterator<Item = T>) -> Query<'q> {
    ids.into_iter()
        .fold(query, |query, id| query.bind(id.to_string()))
}

/// An update or delete that must have touched a row: none is [`StorageError::NotFound`].
pub fn touched(result: AnyQueryResult) -> Result<()> {
    if result.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

/// Moves a row's `next_sync_at` to `until` only if it still holds `seen`, the value read
/// when the row was found due: the compare makes the claim exclusive, so two processes (or
/// ticks) never both take it. Whether this caller claimed it.
pub async fn claim_next_sync(
    tx: &mut Tx<'_>,
    table: &'static str,
    id: &str,
    seen: i64,
    until: i64,
) -> Result<bool> {
    let sql = format!("UPDATE {table} SET next_sync_at = $1 WHERE id = $2 AND next_sync_at = $3");
    let moved = sqlx::query(&sql)
        .bind(until)
        .bind(id)
        .bind(seen)
        .execute(&mut **tx)
        .await?;
    Ok(moved.rows_affected() == 1)
}
