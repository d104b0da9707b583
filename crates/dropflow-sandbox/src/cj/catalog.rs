//! The variants the sandbox sells: CJ-style variant ids (`vid`, upper-case UUIDs as in CJ's own
//! examples), SKUs and supplier prices in US cents. A `vid` the catalogue does not list is
//! still sold, at a price derived from the id, so a demo can map any SKU without setup.

/// One variant the sandbox sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxVariant {
    pub vid: String,
    pub pid: String,
    pub variant_sku: String,
    pub name: String,
    /// CJ's `variantSellPrice`, in US cents.
    pub price_cents: i64,
    /// Units in the CJ warehouse.
    pub stock: u64,
}

/// Units of stock each variant starts with.
pub const DEFAULT_STOCK: u64 = 100_000;

const LISTED: [(&str, &str, &str, &str, i64); 8] = [
    (
        "92511400-C758-4474-93CA-66D442F5F787",
        "CJJJ1042911",
        "CJJJ104291101AZ",
        "LED Strip Lights 5m RGB",
        612,
    ),
    (
        "1424608152007086080",
        "CJEJ1055802",
        "CJEJ105580201AZ",
        "Wireless Earbuds Black",
        1150,
    ),
    (
        "3A0C1F5E-2B7D-4E19-9C55-0D6A7B8E9F10",
        "CJSJ1077301",
        "CJSJ107730105BY",
        "Phone Case iPhone 15 Clear",
        189,
    ),
    (
        "5B7D9E21-4C3A-4F8B-A1D2-6E5F4A3B2C1D",
        "CJYD1088415",
        "CJYD108841502CX",
        "Posture Corrector M",
        455,
    ),
    (
        "7C9E1A32-6D5B-4A9C-B3E4-8F7A6B5C4D3E",
        "CJCW1099527",
        "CJCW109952701AZ",
        "Pet Hair Remover Roller",
        298,
    ),
    (
        "9D1F3B43-8E7C-4BAD-C5F6-A1B2C3D4E5F6",
        "CJTY1100639",
        "CJTY110063903WH",
        "Mini Projector White",
        3475,
    ),
    (
        "AE2A4C54-9F8D-4CBE-D6A7-B2C3D4E5F6A7",
        "CJJC1111741",
        "CJJC111174102ST",
        "Silicone Baking Mat Set of 2",
        214,
    ),
    (
        "BF3B5D65-A09E-4DCF-E7B8-C3D4E5F6A7B8",
        "CJSJ1122853",
        "CJSJ112285301BK",
        "Magnetic Phone Mount Black",
        276,
    ),
];

/// The listed variants, with [`DEFAULT_STOCK`] each.
pub fn variants() -> Vec<SandboxVariant> {
    LISTED
        .iter()
        .map(|(vid, pid, sku, name, cents)| SandboxVariant {
            vid: (*vid).to_string(),
            pid: (*pid).to_string(),
            variant_sku: (*sku).to_string(),
            name: (*name).to_string(),
            price_cents: *cents,
            stock: DEFAULT_STOCK,
        })
        .collect()
}

/// A variant for an id the catalogue does not list: $1.50–$31.49, from a hash of the id, so
/// the same id always costs the same.
pub(crate) fn unlisted(vid: &str) -> SandboxVariant {
    let h = vid.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let cents = 150 + i64::try_from(h % 3000).unwrap_or(0);
    SandboxVariant {
        vid: vid.to_string(),
        pid: format!("CJSB{:07}", h % 10_000_000),
        variant_sku: format!("CJSB{:07}01", h % 10_000_000),
        name: "Sandbox item".to_string(),
        price_cents: cents,
        stock: DEFAULT_STOCK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_variants_are_stable_and_priced() {
        let a = unlisted("ABC");
        assert_eq!(a, unlisted("ABC"));
        assert!((150..3150).contains(&a.price_cents));
        let listed = variants();
        assert_eq!(listed.len(), 8);
        let mut vids: Vec<&str> = listed.iter().map(|v| v.vid.as_str()).collect();
        vids.dedup();
        assert_eq!(vids.len(), 8);
    }
}
