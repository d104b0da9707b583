//! The customer's photos of an after-sale case: one row per photo with its bytes (checked by
//! the caller before they get here), written inside the caller's transaction. Listing reads
//! only what a page shows (no bytes); the bytes are read one photo at a time.

use super::codec::{from_row, RowExt};
use super::{now_ms, query, Database, Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

/// One photo as stored, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePhoto {
    pub id: String,
    pub case_id: String,
    /// `image/png`, `image/jpeg` or `image/webp`: what the bytes are.
    pub content_type: String,
    pub size_bytes: i64,
    /// Who added it (an actor label: `user:…`).
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

/// A photo to record.
pub struct NewPhoto<'a> {
    pub content_type: &'static str,
    pub bytes: &'a [u8],
}

const COLUMNS: &str = "id, case_id, content_type, size_bytes, uploaded_by, created_at";

fn photo_from_row(r: &AnyRow) -> Result<CasePhoto> {
    Ok(from_row!(r => CasePhoto {
        id, case_id, content_type, size_bytes, uploaded_by;
        created_at: r.at("created_at")?,
    }))
}

/// Records photos of a case; their rows, in the order given.
pub async fn insert(
    tx: &mut Tx<'_>,
    case_id: &str,
    photos: &[NewPhoto<'_>],
    uploaded_by: &str,
) -> Result<Vec<CasePhoto>> {
    let now = now_ms();
    let mut rows = Vec::with_capacity(photos.len());
    for photo in photos {
        let id = uuid::Uuid::now_v7().to_string();
        let size = i64::try_from(photo.bytes.len()).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO case_photos (id, case_id, content_type, size_bytes, data, uploaded_by,
                created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(case_id)
        .bind(photo.content_type)
        .bind(size)
        .bind(photo.bytes.to_vec())
        .bind(uploaded_by)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        rows.push(CasePhoto {
            id,
            case_id: case_id.to_string(),
            content_type: photo.content_type.to_string(),
            size_bytes: size,
            uploaded_by: uploaded_by.to_string(),
            created_at: super::codec::from_ms(now),
        });
    }
    Ok(rows)
}

/// How many photos a case has (inside the transaction that adds more).
pub async fn count_in(tx: &mut Tx<'_>, case_id: &str) -> Result<i64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM case_photos WHERE case_id = $1")
        .bind(case_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n)
}

/// The photos of these cases, oldest first within each case (no bytes).
pub async fn for_cases(db: &Database, case_ids: &[String]) -> Result<Vec<CasePhoto>> {
    let mut photos = Vec::new();
    for chunk in case_ids.chunks(500) {
        let sql = format!(
            "SELECT {COLUMNS} FROM case_photos WHERE case_id IN ({}) ORDER BY case_id, id",
            query::params(1, chunk.len())
        );
        let found = query::bind_ids(sqlx::query(&sql), chunk);
        photos.extend(query::all(found, &db.reader, photo_from_row).await?);
    }
    Ok(photos)
}

/// One photo of a case with its bytes; `None` when the case has no such photo. The caller
/// has checked the case is the reader's to see.
pub async fn get(
    db: &Database,
    case_id: &str,
    photo_id: &str,
) -> Result<Option<(CasePhoto, Vec<u8>)>> {
    let sql = format!("SELECT {COLUMNS}, data FROM case_photos WHERE case_id = $1 AND id = $2");
    let found = sqlx::query(&sql).bind(case_id).bind(photo_id);
    query::one(found, &db.reader, |r| {
        Ok((photo_from_row(r)?, r.try_get::<Vec<u8>, _>("data")?))
    })
    .await
}
