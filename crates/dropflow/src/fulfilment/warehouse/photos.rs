//! Inspection photos: stored as files under the configured folder (`[warehouse] files_dir`),
//! named by a fresh id, so the reference kept on the item never carries a path a client chose.
//! Only PNG and JPEG are kept, recognised by their first bytes, not by what the client says.

use super::{Result, WarehouseError};
use dropflow_core::warehouse::inspection::FileRef;
use std::path::Path;

/// The largest photo kept.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// The file kind from the first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF];
    if bytes.starts_with(PNG) {
        Some("png")
    } else if bytes.starts_with(JPEG) {
        Some("jpg")
    } else {
        None
    }
}

/// Checks and writes one photo; returns its reference (`inspection/<id>.<ext>`).
pub async fn store(dir: &Path, name: &str, bytes: &[u8]) -> Result<FileRef> {
    if bytes.len() > MAX_BYTES {
        return Err(WarehouseError::Invalid(format!(
            "photo {name:?} is larger than {MAX_BYTES} bytes"
        )));
    }
    let Some(ext) = sniff(bytes) else {
        return Err(WarehouseError::Invalid(format!(
            "photo {name:?} is not a PNG or JPEG image"
        )));
    };
    let key = format!("inspection/{}.{ext}", uuid::Uuid::now_v7());
    let reference = FileRef::parse(&key).map_err(|e| WarehouseError::Invalid(e.to_string()))?;
    let path = dir.join(&key);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| WarehouseError::Internal(anyhow::anyhow!("photo folder: {e}")))?;
    }
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| WarehouseError::Internal(anyhow::anyhow!("photo write: {e}")))?;
    Ok(reference)
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn kinds_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0rest"), Some("jpg"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
    }
}
