//! Product mapping: which supplier offers can fulfil a store item. A store variant (or SKU)
//! maps to one or more *components* (a bundle has several: a gift set is a mug and a box),
//! and each component has one or more *offers*, alternatives that routing chooses between
//! (a backup supplier takes over when the first is out of stock).

use crate::money::Money;
use crate::reference::country::CountryCode;
use crate::reference::currency::Currency;
use crate::supplier::SupplierKind;
use serde::{Deserialize, Serialize};

/// Which supplier account buys: the kind of supplier, and for manual vendors which vendor
/// (two vendors are two suppliers, each gets its own supplier order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SupplierRef {
    pub kind: SupplierKind,
    /// `default` for API suppliers (AliExpress, CJ); the vendor's handle for manual vendors.
    pub account: String,
}

impl SupplierRef {
    /// An API supplier's (AliExpress, CJ, …): they have one account, `default`.
    pub fn api(kind: SupplierKind) -> SupplierRef {
        SupplierRef {
            kind,
            account: "default".into(),
        }
    }

    pub fn label(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.account)
    }
}

/// One way to buy one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub supplier: SupplierRef,
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    pub unit_cost: Money,
    /// Lower is preferred.
    pub priority: i32,
    /// Countries this offer ships to; empty means everywhere.
    pub ships_to: Vec<CountryCode>,
    /// Units available; `None` when the supplier does not say (treated as available).
    pub stock: Option<u32>,
    /// The supplier's product page, shown to a manual vendor.
    pub product_url: Option<String>,
    /// What the supplier charges to ship this item, once per purchase whatever the quantity,
    /// in `unit_cost`'s currency (the vendor's "plus its shipping"); `None`: nothing on top.
    #[serde(default)]
    pub shipping_cost: Option<Money>,
}

impl Offer {
    /// `supplier`'s `sku_id` (of `product_id`) at `unit_cost`, as first choice: shipping
    /// everywhere, stock not said, no product page.
    pub fn new(
        supplier: SupplierRef,
        product_id: impl Into<String>,
        sku_id: impl Into<String>,
        unit_cost: Money,
    ) -> Offer {
        Offer {
            supplier,
            supplier_product_id: product_id.into(),
            supplier_sku_id: sku_id.into(),
            unit_cost,
            priority: 1,
            ships_to: Vec::new(),
            stock: None,
            product_url: None,
            shipping_cost: None,
        }
    }

    /// What `quantity` units cost from this offer: the goods, plus its shipping once.
    pub fn cost_of(&self, quantity: u32) -> i64 {
        self.unit_cost
            .minor
            .saturating_mul(i64::from(quantity))
            .saturating_add(self.shipping_cost.map_or(0, |s| s.minor))
    }

    pub fn ships_to(&self, country: Option<CountryCode>) -> bool {
        self.ships_to.is_empty() || country.is_some_and(|c| self.ships_to.contains(&c))
    }

    pub fn has_stock_for(&self, quantity: u32) -> bool {
        self.stock.is_none_or(|s| s >= quantity)
    }
}

/// An offer's shipping cost as typed: a decimal string in the offer's `currency`, 0 or more
/// (the mapping API and the CSV import both read it here).
pub fn shipping_cost(text: &str, currency: Currency) -> Result<Money, String> {
    let cost = Money::parse_decimal(text, currency).map_err(|e| e.to_string())?;
    if cost.minor < 0 {
        return Err("must not be negative".into());
    }
    Ok(cost)
}

/// One part of a store item: how many supplier units one store unit needs, and the offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// Supplier units per store unit (a 2-pack sold as one item: 2).
    pub quantity: u32,
    pub offers: Vec<Offer>,
}

/// How one store item is bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub components: Vec<Component>,
}

impl Mapping {
    /// An item that is one supplier unit, bought from one of `offers` (no bundle).
    pub fn single(offers: Vec<Offer>) -> Mapping {
        Mapping {
            components: vec![Component {
                quantity: 1,
                offers,
            }],
        }
    }
}
