//! What the sandbox sells: one AliExpress product per product of the store catalogue
//! (`crate::catalog`), so a demo can map every store SKU to an offer here; two seller stores
//! (an order that spans both becomes two AliExpress orders, as on AliExpress); three delivery
//! options with their carriers' real tracking-number formats.

use crate::catalog::PRODUCTS;
use crate::numbers::s10_check;

/// A seller store. AliExpress creates one order per store.
#[derive(Debug)]
pub(crate) struct Store {
    pub id: u64,
    pub name: &'static str,
}

pub(crate) const STORES: [Store; 2] = [
    Store {
        id: 1_102_345_678,
        name: "Shenzhen Brightgoods Official Store",
    },
    Store {
        id: 1_103_456_789,
        name: "Yiwu Homeware Factory Store",
    },
];

/// One product with its single SKU.
#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub product_id: u64,
    pub sku_id: u64,
    pub sku_attr: String,
    pub subject: String,
    /// The store SKU this product fulfils in the store catalogue.
    pub store_sku: &'static str,
    pub store: &'static Store,
    pub cost_cents: i64,
    pub stock: u32,
}

/// Units of each SKU at start.
pub const DEFAULT_STOCK: u32 = 1_000;

/// The catalogue: AliExpress-style ids (16-digit products, 17-digit SKUs), `sku_attr` in
/// AliExpress's `property:value#name` form, and a cost of 40 % of the store's price.
pub(crate) fn products() -> Vec<Product> {
    PRODUCTS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let n = p.product_id - 7_000_000_000;
            Product {
                product_id: 1_005_006_000_000_000 + n,
                sku_id: 12_000_038_000_000_000 + n,
                sku_attr: format!("14:{}#{}", 200_000_000 + n, p.variant_title),
                subject: p.title.to_string(),
                store_sku: p.sku,
                store: &STORES[i % STORES.len()],
                cost_cents: p.price_cents * 2 / 5,
                stock: DEFAULT_STOCK,
            }
        })
        .collect()
}

/// How a carrier numbers its parcels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberFormat {
    /// UPU S10: two letters, eight digits, a mod-11 check digit, the issuing country (`CN`).
    S10 { service: &'static str },
    /// YunExpress: `YT` and sixteen digits.
    YunExpress,
}

/// A delivery option of the freight query.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub code: &'static str,
    pub company: &'static str,
    pub fee_cents: i64,
    pub min_days: u32,
    pub max_days: u32,
    pub format: NumberFormat,
}

/// Cheapest first, as AliExpress lists them.
pub(crate) const DELIVERIES: [Delivery; 3] = [
    Delivery {
        code: "CAINIAO_STANDARD",
        company: "AliExpress Standard Shipping",
        fee_cents: 0,
        min_days: 12,
        max_days: 20,
        format: NumberFormat::S10 { service: "RB" },
    },
    Delivery {
        code: "CAINIAO_FULFILLMENT_STD",
        company: "AliExpress Selection Standard",
        fee_cents: 199,
        min_days: 7,
        max_days: 12,
        format: NumberFormat::S10 { service: "LX" },
    },
    Delivery {
        code: "YUNEXPRESS",
        company: "YunExpress",
        fee_cents: 349,
        min_days: 6,
        max_days: 10,
        format: NumberFormat::YunExpress,
    },
];

pub(crate) fn delivery(code: &str) -> Option<&'static Delivery> {
    DELIVERIES.iter().find(|d| d.code == code)
}

/// The one destination the sandbox does not ship to, so "not deliverable" can be tested
/// without a fault switch.
pub(crate) const UNSERVED_COUNTRY: &str = "AQ";

/// A tracking number in `format`, derived from `seed` (the same order always gets the same).
pub(crate) fn tracking_number(format: NumberFormat, seed: u64) -> String {
    match format {
        NumberFormat::S10 { service } => {
            let serial = format!("{:08}", seed % 100_000_000);
            format!("{service}{serial}{}CN", s10_check(&serial))
        }
        NumberFormat::YunExpress => format!("YT{:016}", seed % 10_000_000_000_000_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s10_numbers_carry_the_upu_check_digit() {
        // The valid example of the tracking-number data (s10.json): RB123456785GB.
        assert_eq!(s10_check("12345678"), 5);
        assert_eq!(
            tracking_number(NumberFormat::S10 { service: "RB" }, 12_345_678),
            "RB123456785CN"
        );
        assert_eq!(tracking_number(NumberFormat::YunExpress, 7).len(), 18);
    }

    #[test]
    fn every_store_product_has_an_offer() {
        let products = products();
        assert_eq!(products.len(), PRODUCTS.len());
        assert!(products.iter().all(|p| p.cost_cents > 0));
        assert_eq!(products[0].product_id.to_string().len(), 16);
        assert_eq!(products[0].sku_id.to_string().len(), 17);
    }
}
