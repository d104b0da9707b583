//! Made-up but realistic data the payload builders draw from: dropship-style products, US
//! places with real ZIP codes (so address checks pass), fictional people (555-01xx phone
//! numbers and `example.com` mail are reserved for fiction).
//!
//! An order id is hashed to pick from these, so orders differ from id to id and the same id
//! always gives the same order.

use crate::numbers::mix;
use chrono::{DateTime, Utc};

pub(crate) struct Product {
    pub product_id: u64,
    pub variant_id: u64,
    pub sku: &'static str,
    pub title: &'static str,
    pub variant_title: &'static str,
    /// The variant's options by name, as a store's product page offers them (`variant_title`
    /// is their values joined by " / "; none for "Default Title").
    pub options: &'static [(&'static str, &'static str)],
    pub vendor: &'static str,
    pub price_cents: i64,
    pub grams: u32,
}

const fn product(
    id: u64,
    sku: &'static str,
    title: &'static str,
    variant_title: &'static str,
    vendor: &'static str,
    price_cents: i64,
    grams: u32,
) -> Product {
    Product {
        product_id: 7_000_000_000 + id,
        variant_id: 42_000_000_000 + id,
        sku,
        title,
        variant_title,
        options: &[],
        vendor,
        price_cents,
        grams,
    }
}

impl Product {
    const fn with_options(mut self, options: &'static [(&'static str, &'static str)]) -> Self {
        self.options = options;
        self
    }
}

pub(crate) const PRODUCTS: [Product; 8] = [
    product(
        101,
        "LED-5M-RGB",
        "LED Strip Lights 5m",
        "RGB",
        "Lumio",
        2199,
        310,
    )
    .with_options(&[("Color", "RGB")]),
    product(
        102,
        "EARBUD-BLK",
        "Wireless Earbuds",
        "Black",
        "SoundPeak",
        3499,
        120,
    )
    .with_options(&[("Color", "Black")]),
    product(
        103,
        "CASE-IP15-CLR",
        "Phone Case",
        "iPhone 15 / Clear",
        "Shellix",
        1299,
        40,
    )
    .with_options(&[("Model", "iPhone 15"), ("Color", "Clear")]),
    product(
        104,
        "POSTURE-M",
        "Posture Corrector",
        "M",
        "AlignUp",
        1950,
        180,
    )
    .with_options(&[("Size", "M")]),
    product(
        105,
        "PET-ROLLER",
        "Pet Hair Remover Roller",
        "Default Title",
        "FurAway",
        1599,
        260,
    ),
    product(
        106,
        "PROJ-MINI-WHT",
        "Mini Projector",
        "White",
        "Beamly",
        8900,
        950,
    )
    .with_options(&[("Color", "White")]),
    product(
        107,
        "MAT-SIL-2",
        "Silicone Baking Mat",
        "Set of 2",
        "BakeWell",
        999,
        220,
    )
    .with_options(&[("Pack", "Set of 2")]),
    product(
        108,
        "MOUNT-MAG-BLK",
        "Magnetic Phone Mount",
        "Black",
        "Grip360",
        1499,
        90,
    )
    .with_options(&[("Color", "Black")]),
];

pub(crate) struct Place {
    pub address1: &'static str,
    pub city: &'static str,
    pub province: &'static str,
    pub province_code: &'static str,
    pub zip: &'static str,
}

pub(crate) const PLACES: [Place; 8] = [
    Place {
        address1: "92 Chestnut Street",
        city: "Louisville",
        province: "Kentucky",
        province_code: "KY",
        zip: "40202",
    },
    Place {
        address1: "969 Market Street",
        city: "San Francisco",
        province: "California",
        province_code: "CA",
        zip: "94103",
    },
    Place {
        address1: "350 Fifth Avenue",
        city: "New York",
        province: "New York",
        province_code: "NY",
        zip: "10118",
    },
    Place {
        address1: "500 Congress Avenue",
        city: "Austin",
        province: "Texas",
        province_code: "TX",
        zip: "78701",
    },
    Place {
        address1: "1200 Pine Street",
        city: "Seattle",
        province: "Washington",
        province_code: "WA",
        zip: "98101",
    },
    Place {
        address1: "233 Wacker Drive",
        city: "Chicago",
        province: "Illinois",
        province_code: "IL",
        zip: "60606",
    },
    Place {
        address1: "1700 Lincoln Street",
        city: "Denver",
        province: "Colorado",
        province_code: "CO",
        zip: "80203",
    },
    Place {
        address1: "701 Brickell Avenue",
        city: "Miami",
        province: "Florida",
        province_code: "FL",
        zip: "33131",
    },
];

pub(crate) const PEOPLE: [(&str, &str); 8] = [
    ("Ada", "Lovelace"),
    ("Grace", "Hopper"),
    ("Alan", "Turing"),
    ("Katherine", "Johnson"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
    ("Frances", "Allen"),
];

/// One order's draw from the catalogue.
pub(crate) struct Plan {
    /// 1–3 distinct products with quantities 1–3.
    pub lines: Vec<(&'static Product, u32)>,
    pub place: &'static Place,
    pub first_name: &'static str,
    pub last_name: &'static str,
    /// Digits 00–99 of a fictional `555-01xx` number.
    pub phone_suffix: u64,
    pub created_at: DateTime<Utc>,
}

impl Plan {
    pub fn subtotal_cents(&self) -> i64 {
        self.lines
            .iter()
            .map(|(p, q)| p.price_cents * i64::from(*q))
            .sum()
    }

    pub fn email(&self) -> String {
        format!(
            "{}.{}@example.com",
            self.first_name.to_ascii_lowercase(),
            self.last_name.to_ascii_lowercase()
        )
    }

    pub fn phone(&self) -> String {
        format!("+1-202-555-01{:02}", self.phone_suffix)
    }
}

/// Picks an index below `len` from some bits of `h`.
fn pick(h: u64, shift: u32, len: usize) -> usize {
    // Lengths here are tiny constants; the remainder always fits in usize.
    usize::try_from((h >> shift) % len as u64).unwrap_or(0)
}

pub(crate) fn plan(order_id: u64) -> Plan {
    let h = mix(order_id);
    let line_count = 1 + pick(h, 0, 3);
    let first = pick(h, 8, PRODUCTS.len());
    let lines = (0..line_count)
        .map(|i| {
            let product = &PRODUCTS[(first + i) % PRODUCTS.len()];
            let qty = 1 + u32::try_from((h >> (16 + 2 * i)) % 3).unwrap_or(0);
            (product, qty)
        })
        .collect();
    let (first_name, last_name) = PEOPLE[pick(h, 24, PEOPLE.len())];
    // Somewhere in 2024, to the second.
    let seconds = i64::try_from((h >> 32) % (366 * 86_400)).unwrap_or(0);
    let created_at = DateTime::from_timestamp(1_704_067_200 + seconds, 0).unwrap_or_default();
    Plan {
        lines,
        place: &PLACES[pick(h, 28, PLACES.len())],
        first_name,
        last_name,
        phone_suffix: (h >> 40) % 100,
        created_at,
    }
}

/// Cents as a decimal string with two places ("21.99", "0.05").
pub(crate) fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Ids of the sub-records of an order (line items, shipping lines), distinct within the order
/// and unlikely to collide across orders. Wrapping, not overflowing, for ids near `u64::MAX`.
pub(crate) fn child_id(order_id: u64, n: u64) -> u64 {
    order_id.wrapping_mul(1000).wrapping_add(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_title_is_its_option_values() {
        for p in &PRODUCTS {
            let values: Vec<&str> = p.options.iter().map(|(_, v)| *v).collect();
            let expected = if values.is_empty() {
                "Default Title".to_string()
            } else {
                values.join(" / ")
            };
            assert_eq!(p.variant_title, expected, "{}", p.sku);
        }
    }

    #[test]
    fn plans_vary_and_repeat() {
        let a = plan(1);
        let b = plan(1);
        assert_eq!(a.subtotal_cents(), b.subtotal_cents());
        assert_eq!(a.created_at, b.created_at);
        let counts: std::collections::BTreeSet<usize> =
            (0..50).map(|id| plan(id).lines.len()).collect();
        assert_eq!(counts.into_iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(decimal(2199), "21.99");
        assert_eq!(decimal(5), "0.05");
    }
}
