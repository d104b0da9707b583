//! The shop's catalogue: products, their variants and each variant's inventory item at the
//! shop's one location, the GraphQL cost bucket the catalogue calls are metered by, and the
//! seeding / inspection API tests and the demo use (`impl ShopifyAdminSandbox` below).
//!
//! What the GraphQL operations do with it is in [`super::catalogue_ops`]; how a request is
//! read and answered in [`super::catalogue_graphql`].
//!
//! Sandbox choices where the sources are silent: ids are handed out from one counter
//! (products, variants and inventory items alike); the shop has one location (the
//! configured `location_id`), which is its primary location; prices are in the shop's
//! currency with two decimals; `available` and `on_hand` are the same number (nothing is
//! committed to orders here).

use super::ShopifyAdminSandbox;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// One variant to seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVariant {
    /// The variant's own title (`"Red / L"`; Shopify names a lone variant `"Default Title"`).
    pub title: String,
    pub sku: Option<String>,
    /// A decimal in the shop's currency (`"19.99"`).
    pub price: String,
    /// Units available; `None`: the inventory item is not tracked (its quantity is 0).
    pub stock: Option<i64>,
}

/// One product to seed, with its variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub title: String,
    /// Status `ACTIVE` (on sale) or `DRAFT`.
    pub active: bool,
    pub variants: Vec<NewVariant>,
}

/// The ids the sandbox gave a seeded product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededProduct {
    pub product_id: u64,
    /// In the order they were given.
    pub variants: Vec<SeededVariant>,
}

/// The ids of one seeded variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeededVariant {
    pub variant_id: u64,
    pub inventory_item_id: u64,
}

impl SeededVariant {
    /// The inventory item's GraphQL id, as `StoreVariant.inventory_item_id` carries it.
    pub fn inventory_item_gid(&self) -> String {
        format!("gid://shopify/InventoryItem/{}", self.inventory_item_id)
    }
}

/// A variant as the store holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueVariant {
    pub variant_id: u64,
    pub product_id: u64,
    pub inventory_item_id: u64,
    pub title: String,
    pub sku: Option<String>,
    /// As Shopify writes a variant's `price` (`"19.99"`, `"20.00"`).
    pub price: String,
    /// Units available at the location (kept even while untracked).
    pub available: i64,
    pub tracked: bool,
    /// The product's status is `ACTIVE`.
    pub published: bool,
}

/// A merchant's edit in the shop's admin; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminEdit {
    pub price: Option<String>,
    pub available: Option<i64>,
    pub tracked: Option<bool>,
    /// The variant's product becomes `ACTIVE` (true) or `DRAFT` (false).
    pub published: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub title: String,
    /// `ACTIVE`, `DRAFT` or `ARCHIVED`.
    pub status: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Variant {
    pub product_id: u64,
    pub inventory_item_id: u64,
    pub title: String,
    pub sku: Option<String>,
    /// Minor units (cents).
    pub price_cents: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub tracked: bool,
    pub available: i64,
}

/// The GraphQL cost bucket (calculated query cost, a leaky bucket in points).
///
/// Shopify: the Standard plan restores 100 points/second
/// (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits); the bucket's size is
/// not in the current table, so the default of 2,000 points is a sandbox choice (20 seconds
/// of restore, the ratio the older published figures had: 1,000 points at 50/second).
#[derive(Debug)]
pub(crate) struct CostBucket {
    pub maximum: f64,
    pub restore_per_second: f64,
    pub available: f64,
    pub at: Instant,
}

impl CostBucket {
    pub const DEFAULT_MAXIMUM: f64 = 2000.0;
    pub const DEFAULT_RESTORE: f64 = 100.0;

    fn new(maximum: f64, restore_per_second: f64) -> Self {
        CostBucket {
            maximum,
            restore_per_second,
            available: maximum,
            at: Instant::now(),
        }
    }

    /// Restores what the time passed gives back.
    pub fn restore(&mut self) {
        let now = Instant::now();
        let gained = now.duration_since(self.at).as_secs_f64() * self.restore_per_second;
        self.available = (self.available + gained).min(self.maximum);
        self.at = now;
    }
}

/// The catalogue behind its own lock (see `Shared::catalogue`).
#[derive(Debug)]
pub(crate) struct Catalogue {
    pub products: BTreeMap<u64, Product>,
    pub variants: BTreeMap<u64, Variant>,
    pub items: HashMap<u64, Item>,
    next_id: u64,
    /// `@idempotent` keys of `inventorySetQuantities`: the variables and the answer given.
    pub idempotency: HashMap<String, (Value, Value)>,
    pub bucket: CostBucket,
    /// GraphQL calls carrying a catalogue mutation that were run (not throttled).
    pub write_calls: u64,
    /// GraphQL catalogue queries that were run.
    pub read_calls: u64,
    /// Catalogue calls answered `THROTTLED`.
    pub throttled: u64,
}

impl Catalogue {
    pub fn new() -> Self {
        Catalogue {
            products: BTreeMap::new(),
            variants: BTreeMap::new(),
            items: HashMap::new(),
            next_id: 7_310_000_000,
            idempotency: HashMap::new(),
            bucket: CostBucket::new(CostBucket::DEFAULT_MAXIMUM, CostBucket::DEFAULT_RESTORE),
            write_calls: 0,
            read_calls: 0,
            throttled: 0,
        }
    }

    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn add(&mut self, product: &NewProduct) -> Result<SeededProduct, String> {
        let mut prices = Vec::new();
        for (i, v) in product.variants.iter().enumerate() {
            prices.push(
                price_cents(&v.price)
                    .ok_or(format!("variants[{i}].price {:?} is not a price", v.price))?,
            );
        }
        if product.variants.is_empty() {
            return Err("a product has at least one variant".to_string());
        }
        let product_id = self.next();
        self.products.insert(
            product_id,
            Product {
                title: product.title.clone(),
                status: if product.active { "ACTIVE" } else { "DRAFT" }.to_string(),
            },
        );
        let mut seeded = Vec::new();
        for (v, price_cents) in product.variants.iter().zip(prices) {
            let variant_id = self.next();
            let inventory_item_id = self.next();
            self.variants.insert(
                variant_id,
                Variant {
                    product_id,
                    inventory_item_id,
                    title: v.title.clone(),
                    sku: v.sku.clone().filter(|s| !s.trim().is_empty()),
                    price_cents,
                },
            );
            self.items.insert(
                inventory_item_id,
                Item {
                    tracked: v.stock.is_some(),
                    available: v.stock.unwrap_or(0),
                },
            );
            seeded.push(SeededVariant {
                variant_id,
                inventory_item_id,
            });
        }
        Ok(SeededProduct {
            product_id,
            variants: seeded,
        })
    }

    pub fn variant(&self, variant_id: u64) -> Option<CatalogueVariant> {
        let v = self.variants.get(&variant_id)?;
        let item = self.items.get(&v.inventory_item_id)?;
        let product = self.products.get(&v.product_id)?;
        Some(CatalogueVariant {
            variant_id,
            product_id: v.product_id,
            inventory_item_id: v.inventory_item_id,
            title: v.title.clone(),
            sku: v.sku.clone(),
            price: price_text(v.price_cents),
            available: item.available,
            tracked: item.tracked,
            published: product.status == "ACTIVE",
        })
    }

    pub fn edit(&mut self, variant_id: u64, edit: &AdminEdit) -> Result<(), String> {
        let cents = match &edit.price {
            Some(p) => Some(price_cents(p).ok_or(format!("{p:?} is not a price"))?),
            None => None,
        };
        let variant = self
            .variants
            .get_mut(&variant_id)
            .ok_or(format!("variant {variant_id} is not in the catalogue"))?;
        if let Some(cents) = cents {
            variant.price_cents = cents;
        }
        let (item_id, product_id) = (variant.inventory_item_id, variant.product_id);
        if let Some(item) = self.items.get_mut(&item_id) {
            if let Some(n) = edit.available {
                item.available = n;
            }
            if let Some(t) = edit.tracked {
                item.tracked = t;
            }
        }
        if let (Some(on), Some(product)) = (edit.published, self.products.get_mut(&product_id)) {
            product.status = if on { "ACTIVE" } else { "DRAFT" }.to_string();
        }
        Ok(())
    }
}

/// A price as Shopify takes it: a non-negative decimal with at most two decimals.
pub(crate) fn price_cents(text: &str) -> Option<i64> {
    super::money::parse_minor(text, 2)
}

/// Cents as Shopify writes a variant's price (`"19.99"`, `"20.00"`).
pub(crate) fn price_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

impl ShopifyAdminSandbox {
    /// Adds a product with its variants (ids chosen by the sandbox, returned in order).
    pub fn add_product(&self, product: &NewProduct) -> Result<SeededProduct, String> {
        self.shared.catalogue().add(product)
    }

    /// A variant as the store holds it now: stock, tracking, price, on sale.
    pub fn catalogue_variant(&self, variant_id: u64) -> Option<CatalogueVariant> {
        self.shared.catalogue().variant(variant_id)
    }

    /// A merchant's edit made by hand in the shop's admin (no API call, not metered).
    pub fn edit_in_admin(&self, variant_id: u64, edit: &AdminEdit) -> Result<(), String> {
        self.shared.catalogue().edit(variant_id, edit)
    }

    /// GraphQL calls that carried a catalogue mutation and were run (throttled ones not
    /// counted): what "1,000 stock changes cost ≤ 10 calls" is measured by.
    pub fn catalogue_write_calls(&self) -> u64 {
        self.shared.catalogue().write_calls
    }

    /// GraphQL catalogue queries run (pages of variants, location and inventory lookups).
    pub fn catalogue_read_calls(&self) -> u64 {
        self.shared.catalogue().read_calls
    }

    /// Catalogue calls answered `THROTTLED` by the cost bucket.
    pub fn catalogue_throttled_count(&self) -> u64 {
        self.shared.catalogue().throttled
    }

    /// Sets the GraphQL cost bucket: its size in points and the points restored a second
    /// (full at once). Default: 2,000 points, 100 a second.
    pub fn set_cost_limit(&self, maximum: f64, restore_per_second: f64) {
        let mut catalogue = self.shared.catalogue();
        catalogue.bucket = CostBucket::new(maximum.max(1.0), restore_per_second.max(0.001));
    }
}
