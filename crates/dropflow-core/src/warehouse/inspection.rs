//! Inspecting an item that arrived at the warehouse: the checklist the operator fills in, the
//! outcome it gives, and what the merchant chooses when an item fails.

use serde::{Deserialize, Serialize};

/// A stored file (a photo): the key the file store gave it, never a path on disk.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileRef(String);

impl FileRef {
    /// A reference of 1–200 characters from `[A-Za-z0-9._/-]`, with no `..` segment, so it
    /// can never point outside the file store.
    pub fn parse(text: &str) -> Result<FileRef, InspectionError> {
        let ok_chars = text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'));
        let escapes = text.split('/').any(|s| s == ".." || s.is_empty());
        if text.is_empty() || text.len() > 200 || !ok_chars || escapes {
            return Err(InspectionError::BadPhoto(text.chars().take(40).collect()));
        }
        Ok(FileRef(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the operator checked against the listing and the parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    /// The product is the one in the listing (title, pictures).
    pub title_matches: bool,
    /// The colour / size / model is the one ordered.
    pub variant_matches: bool,
    pub received_quantity: u32,
    pub undamaged: bool,
    /// Flyers, coupons and seller cards in Chinese were taken out (white-label repack).
    pub marketing_material_removed: bool,
}

/// Why an item failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    WrongProduct,
    WrongVariant,
    WrongQuantity,
    Damaged,
    /// The operator's judgement beyond the checklist (poor quality, smell, fake brand...).
    Other,
}

impl FailReason {
    /// The reason in a person's words, as pages and timelines show it.
    pub fn words(self) -> &'static str {
        match self {
            FailReason::WrongProduct => "wrong product",
            FailReason::WrongVariant => "wrong variant",
            FailReason::WrongQuantity => "wrong quantity",
            FailReason::Damaged => "damaged",
            FailReason::Other => "other",
        }
    }
}

/// The operator's report on one order item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionReport {
    pub expected_quantity: u32,
    pub checklist: Checklist,
    pub photos: Vec<FileRef>,
    /// A failure the checklist does not show, with `note` saying what.
    pub operator_rejects: bool,
    pub note: String,
}

/// The verdict on one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Pass {
        photos: Vec<FileRef>,
    },
    Fail {
        reasons: Vec<FailReason>,
        note: String,
        photos: Vec<FileRef>,
    },
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Pass { .. })
    }
}

/// What the merchant decides for a failed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureChoice {
    /// Send it back to the seller and refund the merchant (refund rules, stage
    /// after purchase before shipping).
    ReturnAndRefund,
    /// Buy it again (a new purchase of the same product); the order waits for the new item,
    /// the failed one never ships.
    Reorder,
    /// Ship it as it is.
    AcceptAsIs,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectionError {
    #[error("{0:?} is not a stored file reference")]
    BadPhoto(String),
    #[error("a failed item needs at least one photo")]
    FailWithoutPhoto,
    #[error("a rejection beyond the checklist needs a note saying why")]
    RejectWithoutNote,
    #[error("remove the marketing material before passing the item")]
    MarketingMaterialLeft,
    #[error("the expected quantity must be at least 1")]
    NothingExpected,
}

/// The outcome of a report: a pass when every check holds, otherwise a failure with every
/// reason that applies. Marketing material left in is not the seller's fault but the
/// operator's unfinished job, so it blocks a pass instead of failing the item.
pub fn judge(report: &InspectionReport) -> Result<Outcome, InspectionError> {
    if report.expected_quantity == 0 {
        return Err(InspectionError::NothingExpected);
    }
    let c = &report.checklist;
    let mut reasons = Vec::new();
    if !c.title_matches {
        reasons.push(FailReason::WrongProduct);
    }
    if !c.variant_matches {
        reasons.push(FailReason::WrongVariant);
    }
    if c.received_quantity != report.expected_quantity {
        reasons.push(FailReason::WrongQuantity);
    }
    if !c.undamaged {
        reasons.push(FailReason::Damaged);
    }
    if report.operator_rejects {
        if report.note.trim().is_empty() {
            return Err(InspectionError::RejectWithoutNote);
        }
        reasons.push(FailReason::Other);
    }
    if reasons.is_empty() {
        if !c.marketing_material_removed {
            return Err(InspectionError::MarketingMaterialLeft);
        }
        return Ok(Outcome::Pass {
            photos: report.photos.clone(),
        });
    }
    if report.photos.is_empty() {
        return Err(InspectionError::FailWithoutPhoto);
    }
    Ok(Outcome::Fail {
        reasons,
        note: report.note.trim().to_string(),
        photos: report.photos.clone(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn good() -> InspectionReport {
        InspectionReport {
            expected_quantity: 2,
            checklist: Checklist {
                title_matches: true,
                variant_matches: true,
                received_quantity: 2,
                undamaged: true,
                marketing_material_removed: true,
            },
            photos: vec![FileRef::parse("inspections/2025/ab12.jpg").unwrap()],
            operator_rejects: false,
            note: String::new(),
        }
    }

    #[test]
    fn everything_right_passes() {
        assert!(judge(&good()).unwrap().passed());
    }

    #[test]
    fn each_listing_check_gives_its_reason() {
        let mut r = good();
        r.checklist.variant_matches = false;
        r.checklist.received_quantity = 1;
        match judge(&r).unwrap() {
            Outcome::Fail { reasons, .. } => assert_eq!(
                reasons,
                vec![FailReason::WrongVariant, FailReason::WrongQuantity]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn marketing_material_blocks_a_pass_but_not_a_failure() {
        let mut r = good();
        r.checklist.marketing_material_removed = false;
        assert_eq!(judge(&r), Err(InspectionError::MarketingMaterialLeft));
        r.checklist.undamaged = false;
        assert!(!judge(&r).unwrap().passed());
    }

    #[test]
    fn failures_need_evidence_and_rejections_a_note() {
        let mut r = good();
        r.checklist.undamaged = false;
        r.photos.clear();
        assert_eq!(judge(&r), Err(InspectionError::FailWithoutPhoto));
        let mut r = good();
        r.operator_rejects = true;
        assert_eq!(judge(&r), Err(InspectionError::RejectWithoutNote));
        r.note = "strong chemical smell".into();
        assert!(
            matches!(judge(&r).unwrap(), Outcome::Fail { reasons, .. } if reasons == vec![FailReason::Other])
        );
    }

    #[test]
    fn file_refs_stay_inside_the_store() {
        for bad in [
            "",
            "../etc/passwd",
            "a//b",
            "/abs",
            "a b.jpg",
            "x/../y",
            "ü.jpg",
        ] {
            assert!(FileRef::parse(bad).is_err(), "{bad}");
        }
        assert!(FileRef::parse("photos/order-1/item_2.v1.jpg").is_ok());
    }
}
