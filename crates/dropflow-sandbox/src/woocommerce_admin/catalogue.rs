//! The site's catalogue: products (`simple` or `variable`) and their variations, as the REST
//! API v3 shows and changes them (`class-wc-rest-products-controller.php`,
//! `class-wc-rest-product-variations-controller.php`). The routes are in
//! [`super::catalogue_api`]; this module keeps the data and does what one batch item does.
//!
//! What is modelled, from the WooCommerce source:
//! - a product's `status` is a post status; a status WordPress does not know is saved as
//!   `draft` (`get_post_status_object( $status ) ? $status : 'draft'`), for products and
//!   variations alike;
//! - stock: `manage_stock` is written before `stock_quantity`, and the quantity is kept only
//!   while the object manages stock (otherwise it is cleared). A product's stock fields are
//!   ignored while the store's "Enable stock management" setting is off
//!   (`'yes' === get_option( 'woocommerce_manage_stock' )`), and `managing_stock()` then
//!   answers `false` for everything. A variation that does not manage its own stock while
//!   its product does answers `manage_stock: "parent"` and the product's quantity; writing
//!   `"parent"` stops the variation managing its own;
//! - prices: a variable product has no price of its own (the controller clears
//!   `regular_price` on `variable` products); `price` is the regular price (sales are not
//!   modelled: `sale_price` is always empty).
//!
//! Sandbox choices (the sources are silent, or the real behaviour is a PHP accident):
//! - a `regular_price` that is not a number is refused per item with `rest_invalid_param`
//!   (WooCommerce would keep whatever `wc_format_decimal` leaves of it);
//! - a variation id sent to another product's `variations/batch` is refused per item with
//!   `woocommerce_rest_cannot_edit` (the single-item route's permission check; the real
//!   batch skips that check and would move the variation);
//! - a variation id sent to `products/batch` is an invalid product id.

use super::amount::Amount;
use super::state::{now, refusal, Refusal};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A product as the test or demo registers it (see [`super::WooAdminSandbox::add_product`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedProduct {
    pub name: String,
    pub sku: Option<String>,
    /// `publish`, `draft`, `pending` or `private`.
    pub status: String,
    /// A simple product's regular price (ignored for a variable product, which has none).
    pub price: String,
    /// The product's own stock (`None`: not managed). For a variable product, the stock its
    /// variations without their own share (`manage_stock: "parent"`).
    pub stock: Option<i64>,
    /// Empty: a simple product. Otherwise a variable product with these variations.
    pub variations: Vec<SeedVariation>,
}

/// One variation of a [`SeedProduct`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedVariation {
    /// The value of the product's one variation attribute ("Option"), such as `Black / M`.
    pub option: String,
    pub sku: Option<String>,
    /// `publish` or `private` (the admin's "Enabled" box), or `draft`/`pending`.
    pub status: String,
    pub price: String,
    /// Its own stock (`None`: not managed by the variation).
    pub stock: Option<i64>,
}

impl SeedProduct {
    /// A published simple product.
    pub fn simple(name: &str, price: &str, stock: Option<i64>) -> Self {
        SeedProduct {
            name: name.to_string(),
            sku: None,
            status: "publish".to_string(),
            price: price.to_string(),
            stock,
            variations: Vec::new(),
        }
    }

    /// A published variable product whose stock is kept per variation.
    pub fn variable(name: &str, variations: Vec<SeedVariation>) -> Self {
        SeedProduct {
            name: name.to_string(),
            sku: None,
            status: "publish".to_string(),
            price: String::new(),
            stock: None,
            variations,
        }
    }

    pub fn with_sku(mut self, sku: &str) -> Self {
        self.sku = Some(sku.to_string());
        self
    }

    pub fn with_status(mut self, status: &str) -> Self {
        self.status = status.to_string();
        self
    }

    /// The stock shared by the variations that keep none of their own.
    pub fn with_shared_stock(mut self, stock: i64) -> Self {
        self.stock = Some(stock);
        self
    }
}

impl SeedVariation {
    /// A published variation with its own stock (or none tracked).
    pub fn new(option: &str, price: &str, stock: Option<i64>) -> Self {
        SeedVariation {
            option: option.to_string(),
            sku: None,
            status: "publish".to_string(),
            price: price.to_string(),
            stock,
        }
    }

    pub fn with_sku(mut self, sku: &str) -> Self {
        self.sku = Some(sku.to_string());
        self
    }

    pub fn with_status(mut self, status: &str) -> Self {
        self.status = status.to_string();
        self
    }
}

/// The ids the sandbox gave a registered product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub product_id: u64,
    /// In the order of [`SeedProduct::variations`]; empty for a simple product.
    pub variation_ids: Vec<u64>,
}

/// A variant as the store holds it now (a simple product, or a variation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueVariant {
    pub product_id: u64,
    pub sku: Option<String>,
    /// The regular price as stored (`""`: none).
    pub price: String,
    /// The units on sale: its own when it manages stock, its product's when it inherits
    /// them (`"parent"`), `None` when no stock is tracked.
    pub stock: Option<i64>,
    /// Whether the variant manages its own stock.
    pub manages_stock: bool,
    pub status: String,
}

impl CatalogueVariant {
    pub fn published(&self) -> bool {
        self.status == "publish"
    }
}

/// Statuses `get_post_status_object` knows, as far as a product can carry them.
const KNOWN_STATUSES: [&str; 4] = ["publish", "draft", "pending", "private"];

/// What a status write saves: the status if WordPress knows it, else `draft`.
fn saved_status(asked: &Value) -> Option<String> {
    match asked {
        Value::Null => None,
        Value::String(s) if KNOWN_STATUSES.contains(&s.as_str()) => Some(s.clone()),
        _ => Some("draft".to_string()),
    }
}

/// `wc_string_to_bool`: `true`, `1`, `"yes"`, `"true"`, `"1"` are true.
fn string_to_bool(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64() == Some(1),
        Value::String(s) => matches!(s.to_ascii_lowercase().as_str(), "yes" | "true" | "1"),
        _ => false,
    }
}

/// `wc_stock_amount` (PHP `intval`): numbers truncate, numeric strings read, anything else 0.
fn stock_amount(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .unwrap_or(0),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(|f| f.trunc() as i64)
            .unwrap_or(0),
        Value::Bool(true) => 1,
        _ => 0,
    }
}

/// A price as written: `""` clears it, a number is kept as its text; anything else refused.
fn written_price(value: &Value) -> Result<String, Refusal> {
    match value {
        Value::String(s) if s.trim().is_empty() => Ok(String::new()),
        Value::String(s) if Amount::parse(s).is_some() => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(refusal(
            400,
            "rest_invalid_param",
            "Invalid parameter(s): regular_price",
        )),
    }
}

pub(super) struct Variation {
    pub id: u64,
    pub option: String,
    pub sku: String,
    pub status: String,
    pub regular_price: String,
    pub manage_stock: bool,
    pub stock: Option<i64>,
    pub date_created: String,
    pub date_modified: String,
}

pub(super) struct Product {
    pub id: u64,
    pub name: String,
    pub sku: String,
    pub status: String,
    pub variable: bool,
    pub regular_price: String,
    pub manage_stock: bool,
    pub stock: Option<i64>,
    /// In id order (the order they were made in).
    pub variations: Vec<Variation>,
    pub date_created: String,
    pub date_modified: String,
}

/// Every product of the site, by id, and what the catalogue routes have seen.
#[derive(Default)]
pub(super) struct Catalogue {
    pub products: BTreeMap<u64, Product>,
    /// The store's "Enable stock management" setting is off.
    pub stock_management_off: bool,
    /// `products/batch` and `…/variations/batch` requests received (whatever their answer).
    pub write_calls: u64,
    /// `GET products` and `GET …/variations` requests answered.
    pub read_calls: u64,
}

fn stock_status(managing: bool, stock: Option<i64>) -> &'static str {
    match (managing, stock) {
        (true, Some(n)) if n <= 0 => "outofstock",
        _ => "instock",
    }
}

impl Catalogue {
    /// Registers `seed` with ids from `next_id` (WordPress numbers posts from one sequence).
    pub fn add(&mut self, seed: &SeedProduct, next_id: &mut u64) -> Result<Seeded, String> {
        for status in std::iter::once(&seed.status).chain(seed.variations.iter().map(|v| &v.status))
        {
            if !KNOWN_STATUSES.contains(&status.as_str()) {
                return Err(format!("unknown status {status:?}"));
            }
        }
        let prices = std::iter::once(&seed.price)
            .filter(|_| seed.variations.is_empty())
            .chain(seed.variations.iter().map(|v| &v.price));
        for price in prices {
            written_price(&json!(price)).map_err(|_| format!("{price:?} is not a price"))?;
        }
        let stamp = now();
        let product_id = *next_id;
        *next_id += 1;
        let mut variations = Vec::new();
        for v in &seed.variations {
            variations.push(Variation {
                id: *next_id,
                option: v.option.clone(),
                sku: v.sku.clone().unwrap_or_default(),
                status: v.status.clone(),
                regular_price: v.price.trim().to_string(),
                manage_stock: v.stock.is_some(),
                stock: v.stock,
                date_created: stamp.clone(),
                date_modified: stamp.clone(),
            });
            *next_id += 1;
        }
        let variation_ids = variations.iter().map(|v| v.id).collect();
        let variable = !seed.variations.is_empty();
        self.products.insert(
            product_id,
            Product {
                id: product_id,
                name: seed.name.clone(),
                sku: seed.sku.clone().unwrap_or_default(),
                status: seed.status.clone(),
                variable,
                regular_price: if variable {
                    String::new()
                } else {
                    seed.price.trim().to_string()
                },
                manage_stock: seed.stock.is_some(),
                stock: seed.stock,
                variations,
                date_created: stamp.clone(),
                date_modified: stamp,
            },
        );
        Ok(Seeded {
            product_id,
            variation_ids,
        })
    }

    /// The product holding variant `id` (itself, for a simple product) and the variation.
    pub fn find(&self, id: u64) -> Option<(&Product, Option<&Variation>)> {
        if let Some(product) = self.products.get(&id) {
            return (!product.variable).then_some((product, None));
        }
        self.products.values().find_map(|p| {
            p.variations
                .iter()
                .find(|v| v.id == id)
                .map(|v| (p, Some(v)))
        })
    }

    pub fn variant(&self, id: u64) -> Option<CatalogueVariant> {
        let (product, variation) = self.find(id)?;
        let managing = !self.stock_management_off;
        Some(match variation {
            None => CatalogueVariant {
                product_id: product.id,
                sku: Some(product.sku.clone()).filter(|s| !s.is_empty()),
                price: product.regular_price.clone(),
                stock: product.stock.filter(|_| managing && product.manage_stock),
                manages_stock: managing && product.manage_stock,
                status: product.status.clone(),
            },
            Some(v) => CatalogueVariant {
                product_id: product.id,
                sku: Some(v.sku.clone()).filter(|s| !s.is_empty()),
                price: v.regular_price.clone(),
                stock: if !managing {
                    None
                } else if v.manage_stock {
                    v.stock
                } else if product.manage_stock {
                    product.stock
                } else {
                    None
                },
                manages_stock: managing && v.manage_stock,
                status: v.status.clone(),
            },
        })
    }

    /// A merchant's edit in wp-admin: `edit` sees the variant's fields (a simple product's or
    /// a variation's) and changes them.
    pub fn edit(
        &mut self,
        id: u64,
        edit: impl FnOnce(&mut String, &mut bool, &mut Option<i64>, &mut String),
    ) -> Result<(), String> {
        let stamp = now();
        if let Some(product) = self.products.get_mut(&id).filter(|p| !p.variable) {
            edit(
                &mut product.regular_price,
                &mut product.manage_stock,
                &mut product.stock,
                &mut product.status,
            );
            product.date_modified = stamp;
            return Ok(());
        }
        for product in self.products.values_mut() {
            if let Some(v) = product.variations.iter_mut().find(|v| v.id == id) {
                edit(
                    &mut v.regular_price,
                    &mut v.manage_stock,
                    &mut v.stock,
                    &mut v.status,
                );
                v.date_modified = stamp;
                return Ok(());
            }
        }
        Err(format!("no simple product or variation {id}"))
    }

    /// `managing_stock()`: `false` for everything while stock management is off.
    fn managing(&self, own: bool) -> bool {
        own && !self.stock_management_off
    }

    pub fn product_json(&self, p: &Product, site: &str) -> Value {
        let managing = self.managing(p.manage_stock);
        let options: Vec<&str> = p.variations.iter().map(|v| v.option.as_str()).collect();
        let attributes = if p.variable {
            json!([{"id": 0, "name": "Option", "position": 0, "visible": true,
                "variation": true, "options": options}])
        } else {
            json!([])
        };
        let identity = json!({
            "id": p.id,
            "name": p.name,
            "slug": slug(&p.name),
            "permalink": format!("{site}/product/{}/", slug(&p.name)),
            "date_created": p.date_created,
            "date_created_gmt": p.date_created,
            "date_modified": p.date_modified,
            "date_modified_gmt": p.date_modified,
            "type": if p.variable { "variable" } else { "simple" },
            "status": p.status,
        });
        let selling = json!({
            "featured": false,
            "catalog_visibility": "visible",
            "description": "",
            "short_description": "",
            "sku": p.sku,
            "price": p.regular_price,
            "regular_price": p.regular_price,
            "sale_price": "",
            "date_on_sale_from": null,
            "date_on_sale_from_gmt": null,
            "date_on_sale_to": null,
            "date_on_sale_to_gmt": null,
            "on_sale": false,
            "purchasable": !p.regular_price.is_empty() || p.variable,
            "total_sales": 0,
            "virtual": false,
            "downloadable": false,
            "tax_status": "taxable",
            "tax_class": "",
        });
        let stock = json!({
            "manage_stock": managing,
            "stock_quantity": if managing { json!(p.stock) } else { Value::Null },
            "stock_status": stock_status(managing, p.stock),
            "backorders": "no",
            "backorders_allowed": false,
            "backordered": false,
            "sold_individually": false,
            "attributes": attributes,
            "default_attributes": [],
            "variations": p.variations.iter().map(|v| v.id).collect::<Vec<_>>(),
            "grouped_products": [],
            "menu_order": 0,
            "meta_data": [],
        });
        merged([identity, selling, stock])
    }

    pub fn variation_json(&self, p: &Product, v: &Variation, site: &str) -> Value {
        let managing = !self.stock_management_off;
        let (manage_stock, stock) = if managing && v.manage_stock {
            (json!(true), json!(v.stock))
        } else if managing && p.manage_stock {
            (json!("parent"), json!(p.stock))
        } else {
            (json!(false), Value::Null)
        };
        let effective = stock.as_i64();
        let identity = json!({
            "id": v.id,
            "date_created": v.date_created,
            "date_created_gmt": v.date_created,
            "date_modified": v.date_modified,
            "date_modified_gmt": v.date_modified,
            "description": "",
            "permalink": format!("{site}/product/{}/?attribute_option={}", slug(&p.name), slug(&v.option)),
            "sku": v.sku,
            "price": v.regular_price,
            "regular_price": v.regular_price,
            "sale_price": "",
            "date_on_sale_from": null,
            "date_on_sale_from_gmt": null,
            "date_on_sale_to": null,
            "date_on_sale_to_gmt": null,
            "on_sale": false,
            "status": v.status,
        });
        let rest = json!({
            "purchasable": !v.regular_price.is_empty(),
            "virtual": false,
            "downloadable": false,
            "downloads": [],
            "download_limit": -1,
            "download_expiry": -1,
            "tax_status": "taxable",
            "tax_class": "",
            "manage_stock": manage_stock,
            "stock_quantity": stock,
            "stock_status": stock_status(effective.is_some(), effective),
            "backorders": "no",
            "backorders_allowed": false,
            "backordered": false,
            "low_stock_amount": null,
            "weight": "",
            "dimensions": {"length": "", "width": "", "height": ""},
            "shipping_class": "",
            "shipping_class_id": 0,
            "image": null,
            "attributes": [{"id": 0, "name": "Option", "option": v.option}],
            "menu_order": 0,
            "meta_data": [],
        });
        merged([identity, rest])
    }

    /// One item of `products/batch`'s `update`: the product as saved, or why not.
    pub fn update_product(&mut self, item: &Value, site: &str) -> Result<Value, Refusal> {
        let invalid = || refusal(400, "woocommerce_rest_product_invalid_id", "Invalid ID.");
        let id = item.get("id").and_then(id_of).ok_or_else(invalid)?;
        let stock_management_on = !self.stock_management_off;
        let product = self.products.get_mut(&id).ok_or_else(invalid)?;
        let price = match item.get("regular_price") {
            Some(v) if !v.is_null() => Some(written_price(v)?),
            _ => None,
        };
        if let Some(status) = item.get("status").and_then(saved_status) {
            product.status = status;
        }
        if product.variable {
            // Variable products have no price of their own: the controller clears it.
            product.regular_price = String::new();
        } else if let Some(price) = price {
            product.regular_price = price;
        }
        if stock_management_on {
            if let Some(manage) = item.get("manage_stock").filter(|v| !v.is_null()) {
                product.manage_stock = string_to_bool(manage);
            }
            if product.manage_stock {
                if let Some(quantity) = item.get("stock_quantity").filter(|v| !v.is_null()) {
                    product.stock = Some(stock_amount(quantity));
                }
            } else {
                product.stock = None;
            }
        }
        product.date_modified = now();
        let product = &self.products[&id];
        Ok(self.product_json(product, site))
    }

    /// One item of `products/{product_id}/variations/batch`'s `update`.
    pub fn update_variation(
        &mut self,
        product_id: u64,
        item: &Value,
        site: &str,
    ) -> Result<Value, Refusal> {
        let invalid = || {
            refusal(
                400,
                "woocommerce_rest_product_variation_invalid_id",
                "Invalid ID.",
            )
        };
        let id = item.get("id").and_then(id_of).ok_or_else(invalid)?;
        let owner = self
            .products
            .values()
            .find(|p| p.variations.iter().any(|v| v.id == id))
            .map(|p| p.id)
            .ok_or_else(invalid)?;
        if owner != product_id {
            return Err(refusal(
                403,
                "woocommerce_rest_cannot_edit",
                "Parent product does not match current variation.",
            ));
        }
        let price = match item.get("regular_price") {
            Some(v) if !v.is_null() => Some(written_price(v)?),
            _ => None,
        };
        let product = self.products.get_mut(&owner).ok_or_else(invalid)?;
        let variation = product
            .variations
            .iter_mut()
            .find(|v| v.id == id)
            .ok_or_else(invalid)?;
        if let Some(status) = item.get("status").and_then(saved_status) {
            variation.status = status;
        }
        if let Some(manage) = item.get("manage_stock").filter(|v| !v.is_null()) {
            // `"parent"` only says the variation does not manage its own stock.
            variation.manage_stock = manage.as_str() != Some("parent") && string_to_bool(manage);
        }
        if variation.manage_stock {
            if let Some(quantity) = item.get("stock_quantity").filter(|v| !v.is_null()) {
                variation.stock = Some(stock_amount(quantity));
            }
        } else {
            variation.stock = None;
        }
        if let Some(price) = price {
            variation.regular_price = price;
        }
        variation.date_modified = now();
        let product = &self.products[&owner];
        let variation = product
            .variations
            .iter()
            .find(|v| v.id == id)
            .ok_or_else(invalid)?;
        Ok(self.variation_json(product, variation, site))
    }
}

/// The objects' keys in one object (the answers are built in parts: `json!` recurses per key).
fn merged<const N: usize>(parts: [Value; N]) -> Value {
    let mut all = Map::new();
    for part in parts {
        if let Value::Object(map) = part {
            all.extend(map);
        }
    }
    Value::Object(all)
}

/// An id as the batch item carries it: a number, or a numeric string (`absint`).
fn id_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// `sanitize_title`, near enough for permalinks.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The per-item error entry of a batch answer (`WC_REST_Controller::batch_items`): the id as
/// sent, and the error's code, message and data.
pub(super) fn batch_error(item: &Value, (_, body): Refusal) -> Value {
    let mut error = Map::new();
    for key in ["code", "message", "data"] {
        error.insert(
            key.to_string(),
            body.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    json!({
        "id": item.get("id").cloned().unwrap_or(Value::Null),
        "error": Value::Object(error),
    })
}
