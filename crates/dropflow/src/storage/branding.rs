//! Per-store branding for repacked parcels (logo, thank-you card, what to put in the box) and
//! the merchant mails each store wants.
//!
//! The logo is kept in the database rather than in a files directory: it is written in the
//! same transaction as the flags that use it, every process and every backup sees the same
//! bytes, and there is no file name to sanitise. The size cap keeps rows small.
//!
//! Only PNG and JPEG are accepted, recognised by their magic bytes (the declared content type
//! and file name are not trusted). SVG is refused: it is XML that can carry script and
//! external references, and the logo is served back to browsers and printed by the warehouse.

use super::{now_ms, Database, Result, StorageError, Tx};
use dropflow_core::ids::StoreId;
use dropflow_core::mail::MailKind;
use sqlx::Row;

/// The largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;
/// The longest thank-you card, in characters.
pub const MAX_CARD_CHARS: usize = 500;
/// The mails a merchant may turn off (mails to customers follow `notify_customer`).
pub const MERCHANT_MAILS: [MailKind; 6] = [
    MailKind::NewOrder,
    MailKind::SupplierShipped,
    MailKind::PaymentFailed,
    MailKind::NeedsAttention,
    MailKind::ArrivedInspected,
    MailKind::ReadyToShip,
];

/// An accepted logo format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Jpeg,
}

impl ImageType {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
        }
    }

    pub fn parse(s: &str) -> Option<ImageType> {
        [ImageType::Png, ImageType::Jpeg]
            .into_iter()
            .find(|t| t.content_type() == s)
    }
}

/// Why an uploaded logo is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {0} bytes; a logo may be at most 512 KiB")]
    TooLarge(usize),
    #[error("SVG images are not accepted (they can carry script); upload a PNG or JPEG")]
    Svg,
    #[error("the file is not a PNG or JPEG image")]
    Unsupported,
}

/// What the bytes are, by their magic numbers, if they are an acceptable logo.
pub fn sniff_logo(bytes: &[u8]) -> Result<ImageType, LogoError> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    const JPEG: &[u8] = b"\xff\xd8\xff";
    if bytes.is_empty() {
        return Err(LogoError::Empty);
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(LogoError::TooLarge(bytes.len()));
    }
    if bytes.starts_with(PNG) {
        return Ok(ImageType::Png);
    }
    if bytes.starts_with(JPEG) {
        return Ok(ImageType::Jpeg);
    }
    // Named separately so the merchant learns why their vector logo was refused.
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    if head.contains("<svg") || head.trim_start().starts_with("<?xml") {
        return Err(LogoError::Svg);
    }
    Err(LogoError::Unsupported)
}

/// A store's branding as forms and the warehouse read it (the logo bytes separately).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Branding {
    /// The logo's content type, when there is one.
    pub logo_type: Option<ImageType>,
    pub card_text: String,
    pub include_logo: bool,
    pub include_card: bool,
}

impl Branding {
    /// The logo goes in repacked parcels: asked for, and there is one.
    pub fn logo_goes_in(&self) -> bool {
        self.include_logo && self.logo_type.is_some()
    }

    /// The thank-you card goes in: asked for, and it says something.
    pub fn card_goes_in(&self) -> bool {
        self.include_card && !self.card_text.trim().is_empty()
    }

    /// What the warehouse puts in, in words for the timeline ("" for a plain parcel).
    pub fn in_the_parcel(&self) -> &'static str {
        match (self.logo_goes_in(), self.card_goes_in()) {
            (true, true) => " with logo and thank-you card",
            (true, false) => " with logo",
            (false, true) => " with thank-you card",
            (false, false) => "",
        }
    }
}

/// A change of branding. `logo`: `Some` replaces it; `remove_logo` drops it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandingUpdate {
    pub logo: Option<(ImageType, Vec<u8>)>,
    pub remove_logo: bool,
    pub card_text: String,
    pub include_logo: bool,
    pub include_card: bool,
}

/// A field of a branding update and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Checks an update against what is stored (`had_logo`), before anything is written.
pub fn validate(update: &BrandingUpdate, had_logo: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let chars = update.card_text.chars().count();
    if chars > MAX_CARD_CHARS {
        errors.push(FieldError {
            field: "card_text",
            message: format!("the card text has {chars} characters; at most {MAX_CARD_CHARS}"),
        });
    }
    let will_have_logo = update.logo.is_some() || (had_logo && !update.remove_logo);
    if update.include_logo && !will_have_logo {
        errors.push(FieldError {
            field: "include_logo",
            message: "upload a logo before asking for it in parcels".into(),
        });
    }
    if update.include_card && update.card_text.trim().is_empty() {
        errors.push(FieldError {
            field: "include_card",
            message: "write the card text before asking for the card in parcels".into(),
        });
    }
    errors
}

/// The store's branding (empty when never set).
pub async fn get(db: &Database, store_id: StoreId) -> Result<Branding> {
    get_with(&db.reader, store_id).await
}

/// [`get`] inside a transaction (`&mut **tx`) or from any pool.
pub async fn get_with<'c, E>(executor: E, store_id: StoreId) -> Result<Branding>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT logo_type, card_text, include_logo, include_card FROM store_branding
         WHERE store_id = $1",
    )
    .bind(store_id.to_string())
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(Branding::default());
    };
    let logo_type: Option<String> = row.try_get("logo_type")?;
    Ok(Branding {
        logo_type: logo_type
            .map(|t| {
                ImageType::parse(&t)
                    .ok_or_else(|| StorageError::Corrupt(format!("store_branding.logo_type {t:?}")))
            })
            .transpose()?,
        card_text: row.try_get("card_text")?,
        include_logo: row.try_get::<i64, _>("include_logo")? != 0,
        include_card: row.try_get::<i64, _>("include_card")? != 0,
    })
}

/// The store's logo bytes, if it has one.
pub async fn logo(db: &Database, store_id: StoreId) -> Result<Option<(ImageType, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT logo_type, logo FROM store_branding WHERE store_id = $1 AND logo IS NOT NULL",
    )
    .bind(store_id.to_string())
    .fetch_optional(&db.reader)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let kind: String = row.try_get("logo_type")?;
    let kind = ImageType::parse(&kind)
        .ok_or_else(|| StorageError::Corrupt(format!("store_branding.logo_type {kind:?}")))?;
    Ok(Some((kind, row.try_get::<Vec<u8>, _>("logo")?)))
}

/// Writes a validated update in the caller's transaction; an unknown store is
/// [`StorageError::NotFound`].
pub async fn put_in(tx: &mut Tx<'_>, store_id: StoreId, update: &BrandingUpdate) -> Result<()> {
    let now = now_ms();
    let result = sqlx::query(
        "INSERT INTO store_branding (store_id, card_text, include_logo, include_card, updated_at)
         SELECT id, $2, $3, $4, $5 FROM stores WHERE id = $1
         ON CONFLICT (store_id) DO UPDATE SET card_text = excluded.card_text,
            include_logo = excluded.include_logo, include_card = excluded.include_card,
            updated_at = excluded.updated_at",
    )
    .bind(store_id.to_string())
    .bind(update.card_text.as_str())
    .bind(i64::from(update.include_logo))
    .bind(i64::from(update.include_card))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if result.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    if let Some((kind, bytes)) = &update.logo {
        sqlx::query("UPDATE store_branding SET logo = $1, logo_type = $2 WHERE store_id = $3")
            .bind(bytes.clone())
            .bind(kind.content_type())
            .bind(store_id.to_string())
            .execute(&mut **tx)
            .await?;
    } else if update.remove_logo {
        sqlx::query("UPDATE store_branding SET logo = NULL, logo_type = NULL WHERE store_id = $1")
            .bind(store_id.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Each merchant mail and whether the store wants it (wanted unless turned off).
pub async fn mail_choices(db: &Database, store_id: StoreId) -> Result<Vec<(MailKind, bool)>> {
    let rows = sqlx::query("SELECT kind, enabled FROM store_mail_choices WHERE store_id = $1")
        .bind(store_id.to_string())
        .fetch_all(&db.reader)
        .await?;
    let mut stored = Vec::with_capacity(rows.len());
    for row in &rows {
        stored.push((
            row.try_get::<String, _>("kind")?,
            row.try_get::<i64, _>("enabled")? != 0,
        ));
    }
    Ok(MERCHANT_MAILS
        .into_iter()
        .map(|kind| {
            let enabled = stored
                .iter()
                .find(|(k, _)| k == kind.as_str())
                .is_none_or(|(_, on)| *on);
            (kind, enabled)
        })
        .collect())
}

/// Whether the store wants this mail, read in the caller's transaction (for the code that
/// queues merchant mails). Mails to customers are not governed here.
pub async fn wants_mail(tx: &mut Tx<'_>, store_id: StoreId, kind: MailKind) -> Result<bool> {
    let row =
        sqlx::query("SELECT enabled FROM store_mail_choices WHERE store_id = $1 AND kind = $2")
            .bind(store_id.to_string())
            .bind(kind.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64, _>("enabled")? != 0,
        None => true,
    })
}

/// Records the store's choice for each given merchant mail, in the caller's transaction.
pub async fn put_mail_choices_in(
    tx: &mut Tx<'_>,
    store_id: StoreId,
    choices: &[(MailKind, bool)],
) -> Result<()> {
    let now = now_ms();
    for (kind, enabled) in choices {
        sqlx::query(
            "INSERT INTO store_mail_choices (store_id, kind, enabled, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (store_id, kind) DO UPDATE SET enabled = excluded.enabled,
                updated_at = excluded.updated_at",
        )
        .bind(store_id.to_string())
        .bind(kind.as_str())
        .bind(i64::from(*enabled))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update() -> BrandingUpdate {
        BrandingUpdate {
            logo: None,
            remove_logo: false,
            card_text: String::new(),
            include_logo: false,
            include_card: false,
        }
    }

    #[test]
    fn logos_are_recognised_by_their_bytes() {
        assert_eq!(sniff_logo(b"\x89PNG\r\n\x1a\nrest"), Ok(ImageType::Png));
        assert_eq!(sniff_logo(b"\xff\xd8\xff\xe0rest"), Ok(ImageType::Jpeg));
        assert_eq!(sniff_logo(b""), Err(LogoError::Empty));
        assert_eq!(sniff_logo(b"GIF89a...."), Err(LogoError::Unsupported));
        assert_eq!(
            sniff_logo(b"  <?xml version=\"1.0\"?><svg onload=\"x()\"/>"),
            Err(LogoError::Svg)
        );
        assert_eq!(sniff_logo(b"<svg xmlns=\"x\"></svg>"), Err(LogoError::Svg));
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(
            sniff_logo(&big),
            Err(LogoError::TooLarge(MAX_LOGO_BYTES + 1))
        );
        big.truncate(MAX_LOGO_BYTES);
        assert_eq!(sniff_logo(&big), Ok(ImageType::Png));
    }

    #[test]
    fn card_text_is_limited_in_characters_not_bytes() {
        let mut u = update();
        u.card_text = "é".repeat(MAX_CARD_CHARS);
        assert!(validate(&u, false).is_empty());
        u.card_text.push('x');
        let errors = validate(&u, false);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "card_text");
    }

    #[test]
    fn flags_need_what_they_put_in_the_parcel() {
        let mut u = update();
        u.include_logo = true;
        u.include_card = true;
        let fields: Vec<_> = validate(&u, false).iter().map(|e| e.field).collect();
        assert_eq!(fields, ["include_logo", "include_card"]);
        // A stored logo is enough, unless this update removes it.
        u.card_text = "Thanks!".into();
        assert!(validate(&u, true).is_empty());
        u.remove_logo = true;
        assert_eq!(validate(&u, true)[0].field, "include_logo");
        u.logo = Some((ImageType::Png, vec![1]));
        assert!(validate(&u, true).is_empty());
    }
}
