//! WooCommerce REST v3 wire shapes for the catalogue: the fields of a product and a
//! variation we read, the `update` entry we send in a batch, and one item of a batch's
//! answer. Nothing here leaves the connector.
//!
//! Sources: <https://woocommerce.github.io/woocommerce-rest-api-docs/#product-properties>,
//! <https://woocommerce.github.io/woocommerce-rest-api-docs/#product-variation-properties>,
//! and WooCommerce's `WC_REST_Controller::batch_items`
//! (`plugins/woocommerce/includes/rest-api/Controllers/Version3/class-wc-rest-controller.php`):
//! an item that failed is answered `{"id": <as sent>, "error": {"code", "message", "data"}}`
//! in its place, the others with the object as saved.

use crate::platforms::admin::outside_text;
use crate::platforms::admin_catalogue::{StoreVariant, VariantWrite};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// `GET products` items, the fields we use.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct ProductRead {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    /// `simple`, `grouped`, `external`, `variable` (or a plugin's own type).
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub regular_price: Option<String>,
    #[serde(default)]
    pub manage_stock: Value,
    #[serde(default)]
    pub stock_quantity: Value,
    /// The variation ids of a variable product.
    #[serde(default)]
    pub variations: Vec<u64>,
}

/// `GET products/{id}/variations` items, the fields we use.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct VariationRead {
    pub id: u64,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub regular_price: Option<String>,
    /// `true`, `false`, or `"parent"`: the variation's stock is its product's.
    #[serde(default)]
    pub manage_stock: Value,
    #[serde(default)]
    pub stock_quantity: Value,
    #[serde(default)]
    pub attributes: Vec<VariationAttribute>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct VariationAttribute {
    #[serde(default)]
    pub option: String,
}

/// What a product's `type` makes of it in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Its variations are the variants.
    Variable,
    /// Nothing dropflow sells: a group of other products, or a link to another shop.
    NotSold,
    /// The product is its own variant (`simple`, and plugin types sold the same way).
    Own,
}

impl ProductRead {
    pub fn kind(&self) -> Kind {
        match self.kind.as_str() {
            "variable" => Kind::Variable,
            "grouped" | "external" => Kind::NotSold,
            _ => Kind::Own,
        }
    }

    /// A simple product as its own variant.
    pub fn as_variant(&self) -> StoreVariant {
        StoreVariant {
            variant_id: self.id.to_string(),
            product_id: self.id.to_string(),
            sku: non_empty(self.sku.as_deref()),
            title: self.name.clone(),
            price: price(self.regular_price.as_deref(), self.price.as_deref()),
            stock: stock(&self.manage_stock, &self.stock_quantity),
            published: self.status == "publish",
            inventory_item_id: None,
        }
    }
}

impl VariationRead {
    /// The variation of `product`, titled as WooCommerce titles variations ("Product -
    /// Black, M": `woocommerce_product_variation_title_attributes_separator` and the
    /// attributes joined by ", ").
    pub fn as_variant(&self, product: &ProductRead) -> StoreVariant {
        let options: Vec<&str> = self
            .attributes
            .iter()
            .map(|a| a.option.trim())
            .filter(|o| !o.is_empty())
            .collect();
        let title = if options.is_empty() {
            product.name.clone()
        } else {
            format!("{} - {}", product.name, options.join(", "))
        };
        StoreVariant {
            variant_id: self.id.to_string(),
            product_id: product.id.to_string(),
            sku: non_empty(self.sku.as_deref()),
            title,
            price: price(self.regular_price.as_deref(), self.price.as_deref()),
            stock: stock(&self.manage_stock, &self.stock_quantity),
            published: self.status == "publish",
            inventory_item_id: None,
        }
    }
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The regular price (what we write), else the current price.
fn price(regular: Option<&str>, current: Option<&str>) -> String {
    non_empty(regular)
        .or_else(|| non_empty(current))
        .unwrap_or_default()
}

/// Units on sale: the quantity when the variant manages stock, or inherits its product's
/// (`"parent"`, whose quantity the variation answers); `None` when nothing is tracked.
fn stock(manage_stock: &Value, quantity: &Value) -> Option<i64> {
    let tracked = match manage_stock {
        Value::Bool(b) => *b,
        Value::String(s) => s == "parent",
        _ => false,
    };
    if !tracked {
        return None;
    }
    // `wc_stock_amount` is an integer unless a plugin filters it; a fraction is rounded down.
    quantity
        .as_i64()
        .or_else(|| quantity.as_f64().map(|f| f.floor() as i64))
}

/// Where a variant's write goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// `products/batch`: a simple product (its variant id is its product id).
    Product,
    /// `products/{product_id}/variations/batch`.
    Variation,
}

impl Target {
    pub fn of(write: &VariantWrite) -> Target {
        if write.variant_id.trim() == write.product_id.trim() {
            Target::Product
        } else {
            Target::Variation
        }
    }

    /// The status that takes a variant off sale: a product is switched to draft (the
    /// product editor's "Switch to draft"); a variation is `private` (what the variation
    /// editor's "Enabled" box clears).
    fn hidden(self) -> &'static str {
        match self {
            Target::Product => "draft",
            Target::Variation => "private",
        }
    }
}

/// A plain decimal (`"24.99"`, `"7"`): what we send as a price. WooCommerce's batch would
/// take anything and keep what `wc_format_decimal` leaves of it, so it is checked here.
pub(super) fn is_price(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !whole.is_empty()
        && digits(whole)
        && digits(fraction)
        && !(text.contains('.') && fraction.is_empty())
}

/// One `update` entry: absolute values only, so a repeated batch lands on the same values.
/// A stock turns tracking on (`manage_stock` is saved before `stock_quantity`, which is kept
/// only while the object manages stock).
pub(super) fn update_entry(id: u64, write: &VariantWrite, target: Target) -> Value {
    let mut entry = Map::new();
    entry.insert("id".into(), json!(id));
    if let Some(price) = &write.price {
        entry.insert("regular_price".into(), json!(price.trim()));
    }
    if let Some(stock) = write.stock {
        entry.insert("manage_stock".into(), json!(true));
        entry.insert("stock_quantity".into(), json!(stock));
    }
    if let Some(published) = write.published {
        let status = if published {
            "publish"
        } else {
            target.hidden()
        };
        entry.insert("status".into(), json!(status));
    }
    Value::Object(entry)
}

/// `"24.90"` and `"24.9"` are the same price; compared without trailing zeros.
fn same_price(a: &str, b: &str) -> bool {
    fn canonical(text: &str) -> &str {
        let text = text.trim();
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.')
        } else {
            text
        }
    }
    canonical(a) == canonical(b)
}

/// One answered item, checked against what was sent (`entry`): `Ok` when the store kept
/// every value, else the words for the merchant. An answer that names another object is
/// `Err(None)`: not this item's answer at all.
pub(super) fn item_result(entry: &Value, answered: &Value) -> Result<(), Option<String>> {
    let sent_id = entry.get("id").and_then(Value::as_u64);
    let answered_id = match answered.get("id") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    if answered_id != sent_id {
        return Err(None);
    }
    if let Some(error) = answered.get("error") {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("refused");
        let text = match error.get("code").and_then(Value::as_str) {
            Some(code) => format!("{message} ({code})"),
            None => message.to_string(),
        };
        return Err(Some(outside_text(&text)));
    }
    if let Some(price) = entry.get("regular_price").and_then(Value::as_str) {
        let kept = answered.get("regular_price").and_then(Value::as_str);
        if !kept.is_some_and(|kept| same_price(kept, price)) {
            return Err(Some(format!(
                "WooCommerce did not keep the price {price} (a variable product has no price of its own)"
            )));
        }
    }
    if let Some(quantity) = entry.get("stock_quantity").and_then(Value::as_i64) {
        let kept = stock(
            answered.get("manage_stock").unwrap_or(&Value::Null),
            answered.get("stock_quantity").unwrap_or(&Value::Null),
        );
        if kept != Some(quantity) || answered.get("manage_stock") != Some(&Value::Bool(true)) {
            return Err(Some(
                "WooCommerce did not keep the stock: is \"Enable stock management\" on (WooCommerce › Settings › Products › Inventory)?"
                    .to_string(),
            ));
        }
    }
    if let Some(status) = entry.get("status").and_then(Value::as_str) {
        if answered.get("status").and_then(Value::as_str) != Some(status) {
            return Err(Some(format!(
                "WooCommerce did not keep the status {status}"
            )));
        }
    }
    Ok(())
}
