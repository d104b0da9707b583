//! The customer's photos of a case (issue 14: a case comes "with a reason, the customer's
//! photos and note"). The merchant's people add them (multipart, `photos` parts); whoever
//! sees the case sees them (a vendor asked about it too: the photos are what it judges the
//! claim by). Each photo is checked as the warehouse checks an inspection photo — its kind
//! from its first bytes ([`crate::fulfilment::warehouse::photos::sniff`]: PNG, JPEG), at most
//! [`MAX_BYTES`] — plus WebP, which phones send; what the client says the file is, is never
//! trusted. Every photo of a request is checked before anything is written, and they are
//! recorded together with one entry on the case's timeline.

use super::{scoped, ActionError, Caller, Context, MERCHANTS, SUPPLIER_ANSWERERS};
use crate::fulfilment::after_sale::case_tx::{self, Entry};
use crate::fulfilment::after_sale::CaseError;
use crate::fulfilment::warehouse::photos as checked;
use crate::storage::case_photos::{self as store, CasePhoto, NewPhoto};
use crate::storage::orders;
use chrono::{DateTime, Utc};
use dropflow_core::event::Actor;
use serde::Serialize;

/// The largest photo kept: the warehouse's cap, so one rule holds for every photo.
pub const MAX_BYTES: usize = checked::MAX_BYTES;

/// The most photos one case keeps.
pub const MAX_PHOTOS: usize = 10;

/// The body an upload of photos may carry, whatever the installation's general limit (kept
/// small for webhooks and JSON): every photo a case may keep at its largest, plus the form's
/// other fields. Phones send photos of 3–5 MB.
pub const UPLOAD_BODY_LIMIT: usize = MAX_PHOTOS * MAX_BYTES + 1024 * 1024;

/// One photo of a case as the API shows it (its bytes at
/// `GET /api/v1/cases/{id}/photos/{photo_id}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CasePhotoView {
    pub id: String,
    /// `image/png`, `image/jpeg` or `image/webp`, from the bytes.
    pub content_type: String,
    pub size_bytes: i64,
    /// Who added it: `user:<email>` or a token's name.
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<CasePhoto> for CasePhotoView {
    fn from(photo: CasePhoto) -> Self {
        CasePhotoView {
            id: photo.id,
            content_type: photo.content_type,
            size_bytes: photo.size_bytes,
            uploaded_by: photo.uploaded_by,
            created_at: photo.created_at,
        }
    }
}

/// The upload's body as the OpenAPI document shows it: one or more `photos` file parts.
#[derive(Debug, utoipa::ToSchema)]
pub struct CasePhotoUpload {
    /// PNG, JPEG or WebP images, each at most 5 MiB (the request itself is held to the
    /// server's body limit).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub photos: Vec<Vec<u8>>,
}

/// A photo's bytes as the OpenAPI document shows an answer of them.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PhotoBytes(pub Vec<u8>);

/// One file as sent: the name the client gave (only to name it in a refusal) and its bytes.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A multipart body's photos, and the fields the caller asked to have set aside (the
/// dashboard's CSRF token).
pub struct PhotoParts {
    pub uploads: Vec<Upload>,
    pub aside: Vec<(String, String)>,
}

/// Reads an upload's multipart body: `photos` (or `photo`) file parts, and the fields named
/// in `aside`. Any other field is refused (422) naming it; an empty file part (a file input
/// left empty by a browser) is no photo.
pub async fn read_uploads(
    mut multipart: axum::extract::Multipart,
    aside: &[&str],
) -> Result<PhotoParts, ActionError> {
    let mut parts = PhotoParts {
        uploads: Vec::new(),
        aside: Vec::new(),
    };
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ActionError::TooLarge
        } else {
            ActionError::Invalid(format!("multipart: {}", e.body_text()))
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        let file = field.file_name().unwrap_or("photo").to_string();
        let bytes = field.bytes().await.map_err(unreadable)?;
        match name.as_str() {
            "photos" | "photo" if bytes.is_empty() => {}
            "photos" | "photo" => parts.uploads.push(Upload {
                name: file,
                bytes: bytes.to_vec(),
            }),
            other if aside.contains(&other) => parts
                .aside
                .push((name, String::from_utf8_lossy(&bytes).to_string())),
            other => {
                return Err(ActionError::Unprocessable(format!(
                    "unknown field {:?}: send the images as `photos` parts",
                    other.chars().take(60).collect::<String>()
                )))
            }
        }
    }
    Ok(parts)
}

/// What the bytes are, if they are a photo a case keeps: the warehouse's kinds (PNG, JPEG),
/// or WebP.
pub fn content_type(bytes: &[u8]) -> Option<&'static str> {
    match checked::sniff(bytes) {
        Some("png") => Some("image/png"),
        Some("jpg") => Some("image/jpeg"),
        _ => is_webp(bytes).then_some("image/webp"),
    }
}

/// A WebP file: a RIFF header (`RIFF`, the uint32 little-endian size of what follows it,
/// `WEBP`) whose size the bytes hold in full. The WebP Container Specification,
/// <https://developers.google.com/speed/webp/docs/riff_container> ("RIFF Header").
fn is_webp(bytes: &[u8]) -> bool {
    let (Some(riff), Some(size), Some(webp)) = (bytes.get(0..4), bytes.get(4..8), bytes.get(8..12))
    else {
        return false;
    };
    let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize;
    riff == b"RIFF" && webp == b"WEBP" && size >= 4 && size.saturating_add(8) <= bytes.len()
}

/// A client's file name, short and on one line, to name it in a refusal.
fn shown_name(name: &str) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).take(80).collect();
    if name.trim().is_empty() {
        "photo".to_string()
    } else {
        name
    }
}

/// Adds photos to a case the caller sees (404 otherwise); the photos added (201). Refused,
/// with nothing written: no photo (422), a file too large or not an image (422, naming it),
/// more than [`MAX_PHOTOS`] on the case (422), a closed case (409).
pub async fn add(
    ctx: &Context,
    caller: &Caller,
    case_id: &str,
    uploads: Vec<Upload>,
) -> Result<Vec<CasePhotoView>, ActionError> {
    caller.require(MERCHANTS, "add photos to cases")?;
    let seen = scoped(ctx, caller, case_id).await?;
    if uploads.is_empty() {
        return Err(ActionError::Unprocessable(
            "photos: attach at least one image (PNG, JPEG or WebP)".into(),
        ));
    }
    let mut photos = Vec::with_capacity(uploads.len());
    for upload in &uploads {
        let name = shown_name(&upload.name);
        if upload.bytes.len() > MAX_BYTES {
            return Err(ActionError::Unprocessable(format!(
                "photos: {name:?} is larger than {} MiB",
                MAX_BYTES / (1024 * 1024)
            )));
        }
        let Some(kind) = content_type(&upload.bytes) else {
            return Err(ActionError::Unprocessable(format!(
                "photos: {name:?} is not a PNG, JPEG or WebP image"
            )));
        };
        photos.push(NewPhoto {
            content_type: kind,
            bytes: &upload.bytes,
        });
    }
    let actor = Actor::Merchant(caller.actor.clone());
    let mut tx = ctx.db.begin().await?;
    orders::lock(&mut tx, seen.order_id).await?;
    let case = crate::storage::cases::get_in(&mut tx, case_id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("case {case_id:?} not found")))?;
    if case.state.closed.is_some() {
        return Err(ActionError::Conflict("the case is closed".into()));
    }
    let before = usize::try_from(store::count_in(&mut tx, case_id).await?).unwrap_or(usize::MAX);
    if before.saturating_add(photos.len()) > MAX_PHOTOS {
        return Err(ActionError::Unprocessable(format!(
            "photos: a case keeps at most {MAX_PHOTOS} photos; this one has {before}"
        )));
    }
    let added = store::insert(&mut tx, case_id, &photos, &actor.label()).await?;
    let entry = Entry {
        step: "photos_added",
        detail: format!("{} photo(s) of the customer's", added.len()),
        actor,
    };
    case_tx::record(&mut tx, case.order_id, case_id, entry)
        .await
        .map_err(CaseError::from)?;
    tx.commit()
        .await
        .map_err(crate::storage::StorageError::from)?;
    tracing::info!(case.id = %case_id, photos = added.len(), "case photos added");
    Ok(added.into_iter().map(CasePhotoView::from).collect())
}

/// One photo's bytes.
pub struct PhotoFile {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A photo as an answer, the same from the API and the dashboard: only ever an image of the
/// type its bytes are (never sniffed into anything else), kept by no shared cache (it is a
/// customer's photo).
impl axum::response::IntoResponse for PhotoFile {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{header, HeaderValue};
        let kind = HeaderValue::from_str(&self.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
        (
            [
                (header::CONTENT_TYPE, kind),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-store"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("inline"),
                ),
            ],
            self.bytes,
        )
            .into_response()
    }
}

/// A photo of a case the caller sees; another account's or vendor's case, or a photo of
/// another case, is not found.
pub async fn get(
    ctx: &Context,
    caller: &Caller,
    case_id: &str,
    photo_id: &str,
) -> Result<PhotoFile, ActionError> {
    caller.require(SUPPLIER_ANSWERERS, "see case photos")?;
    let case = scoped(ctx, caller, case_id).await?;
    let not_found = || ActionError::NotFound(format!("photo {photo_id:?} not found"));
    uuid::Uuid::parse_str(photo_id).map_err(|_| not_found())?;
    let (photo, bytes) = store::get(&ctx.db, &case.id, photo_id)
        .await?
        .ok_or_else(not_found)?;
    Ok(PhotoFile {
        content_type: photo.content_type,
        bytes,
    })
}

/// The photos of these cases (no bytes), by case id.
pub(super) async fn of_cases(
    ctx: &Context,
    case_ids: &[String],
) -> Result<std::collections::BTreeMap<String, Vec<CasePhotoView>>, ActionError> {
    let mut by_case: std::collections::BTreeMap<String, Vec<CasePhotoView>> = Default::default();
    for photo in store::for_cases(&ctx.db, case_ids).await? {
        by_case
            .entry(photo.case_id.clone())
            .or_default()
            .push(photo.into());
    }
    Ok(by_case)
}

#[cfg(test)]
mod tests {
    use super::{content_type, shown_name};

    /// A minimal WebP file: the RIFF header, then a chunk header (`VP8 `, size 0). The shape
    /// is the container specification's ("RIFF Header", then "Chunk Header"):
    /// <https://developers.google.com/speed/webp/docs/riff_container>.
    fn webp(size_field: u32, total: usize) -> Vec<u8> {
        let mut bytes = b"RIFF".to_vec();
        bytes.extend_from_slice(&size_field.to_le_bytes());
        bytes.extend_from_slice(b"WEBPVP8 \0\0\0\0");
        bytes.resize(total, 0);
        bytes
    }

    #[test]
    fn kinds_come_from_the_bytes_as_for_the_warehouse_plus_webp() {
        assert_eq!(content_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(content_type(b"\xff\xd8\xff\xe0rest"), Some("image/jpeg"));
        assert_eq!(content_type(&webp(12, 20)), Some("image/webp"));
        // A size the bytes do not hold (cut short), or no room for anything after `WEBP`.
        assert_eq!(content_type(&webp(400, 20)), None);
        assert_eq!(content_type(&webp(0, 20)), None);
        // A RIFF of another kind (a WAVE sound), a GIF, an SVG, nothing.
        let mut wave = webp(12, 20);
        wave[8..12].copy_from_slice(b"WAVE");
        assert_eq!(content_type(&wave), None);
        assert_eq!(content_type(b"GIF89a......"), None);
        assert_eq!(content_type(b"<svg onload=\"x()\"/>"), None);
        assert_eq!(content_type(b""), None);
    }

    #[test]
    fn a_file_name_is_shown_short_and_on_one_line() {
        assert_eq!(shown_name("crack.jpg"), "crack.jpg");
        assert_eq!(shown_name("a\r\nb.png"), "ab.png");
        assert_eq!(shown_name(""), "photo");
        assert_eq!(shown_name(&"x".repeat(200)).len(), 80);
    }
}
