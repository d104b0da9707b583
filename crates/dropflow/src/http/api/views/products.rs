//! The products list as the API answers it ([`crate::services::products`]).

use crate::services::products::{InStore, Product, ProductOffer, ProductsPage};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A page of the store's mapped products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductsView {
    /// The store's prices' currency: costs and the rule's price are in it.
    currency: String,
    products: Vec<ProductView>,
    /// Pass as `after` for the next page; `null` on the last one.
    next_after: Option<String>,
}

/// One mapped store item, what its offers say and what the catalogue policy makes of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    /// `variant` or `sku`: what store lines are matched on.
    key_kind: String,
    key_value: String,
    title: Option<String>,
    /// The stock the policy publishes (`null`: no offer says its stock).
    stock_to_publish: Option<u32>,
    /// Every offer of one component says it has none: an order is held, not bought.
    out_of_stock_everywhere: bool,
    /// What buying one unit costs now, in minor units of `currency` (`null`: see `price_note`).
    cost_minor: Option<i64>,
    /// The price rule's price, in minor units of `currency`.
    price_minor: Option<i64>,
    /// Why there is no cost or price: `no_rate`, `no_cost`, `too_large`.
    price_note: Option<String>,
    /// When the mapping was last written.
    mapped_at: DateTime<Utc>,
    offers: Vec<ProductOfferView>,
    /// What the store shows and what dropflow last wrote to it (`null`: the store's
    /// catalogue was not read yet, or has no such variant).
    in_store: Option<InStoreView>,
}

/// The item in the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct InStoreView {
    variant_id: String,
    product_id: String,
    /// The store's price, in minor units of `currency`.
    price_minor: i64,
    /// `null`: the store does not track its stock.
    stock: Option<i64>,
    /// On sale (Shopify: its product is active; WooCommerce: published).
    published: bool,
    /// The store price's margin over the cost of buying one now, in basis points of the
    /// price (`null`: no cost known).
    margin_bp: Option<i64>,
    /// When the store's catalogue was last read for it.
    read_at: DateTime<Utc>,
    /// A supplier changed since: it is compared and written at the next sync.
    write_due: bool,
    /// What dropflow last set (`stock`, `published`, `price` as `{minor, currency}`).
    #[schema(value_type = Option<Object>)]
    last_write: Option<serde_json::Value>,
    last_write_at: Option<DateTime<Utc>>,
    /// The store's words refusing the last write.
    write_error: Option<String>,
    /// The rule's price, held for a person as a rise above the ceiling (minor units):
    /// approve it with `POST …/products/{variant_id}/approve-price`.
    held_price_minor: Option<i64>,
}

impl From<InStore> for InStoreView {
    fn from(s: InStore) -> Self {
        InStoreView {
            variant_id: s.variant_id,
            product_id: s.product_id,
            price_minor: s.price.minor,
            stock: s.stock,
            published: s.published,
            margin_bp: s.margin_bp,
            read_at: s.read_at,
            write_due: s.write_due,
            last_write: s.last_write,
            last_write_at: s.last_write_at,
            write_error: s.write_error,
            held_price_minor: s.held_price.map(|h| h.minor),
        }
    }
}

/// One offer: as mapped, and as last read at its supplier.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductOfferView {
    /// The component of the item it supplies (0 for an item that is one supplier unit).
    component: usize,
    supplier: String,
    account: String,
    supplier_product_id: String,
    supplier_sku_id: String,
    priority: i32,
    /// The stock the mapping says (`null`: not said).
    mapped_stock: Option<u32>,
    mapped_cost_minor: i64,
    mapped_currency: String,
    /// The stock routing uses now: the last read when newer than the mapping, else the
    /// mapped one.
    stock: Option<u32>,
    /// The last read at the supplier (`null` fields: not read yet, or not said).
    read_stock: Option<i64>,
    read_cost_minor: Option<i64>,
    read_currency: Option<String>,
    read_at: Option<DateTime<Utc>>,
    /// When it is read next (`null`: not followed — its supplier's API cannot be read).
    next_read_at: Option<DateTime<Utc>>,
    /// Why the supplier does not sell it any more, as it said.
    read_note: Option<String>,
}

fn at(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(DateTime::from_timestamp_millis)
}

impl From<ProductOffer> for ProductOfferView {
    fn from(o: ProductOffer) -> Self {
        let read = o.read;
        ProductOfferView {
            component: o.component,
            supplier: o.supplier,
            account: o.account,
            supplier_product_id: o.supplier_product_id,
            supplier_sku_id: o.supplier_sku_id,
            priority: o.priority,
            mapped_stock: o.mapped_stock,
            mapped_cost_minor: o.mapped_cost.minor,
            mapped_currency: o.mapped_cost.currency.code().to_string(),
            stock: o.stock,
            read_stock: read.as_ref().and_then(|r| r.stock),
            read_cost_minor: read.as_ref().and_then(|r| r.unit_cost_minor),
            read_currency: read.as_ref().and_then(|r| r.currency.clone()),
            read_at: at(read.as_ref().and_then(|r| r.read_at)),
            next_read_at: at(read.as_ref().map(|r| r.next_read_at)),
            read_note: read.and_then(|r| r.note),
        }
    }
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        let note = p.offered.price_note.as_ref().map(|n| {
            serde_json::to_value(n)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
                .unwrap_or_default()
        });
        ProductView {
            key_kind: p.key_kind.as_str().to_string(),
            key_value: p.key_value,
            title: p.title,
            stock_to_publish: p.offered.stock,
            out_of_stock_everywhere: p.offered.out_everywhere,
            cost_minor: p.offered.cost.map(|c| c.minor),
            price_minor: p.offered.price.map(|c| c.minor),
            price_note: note,
            mapped_at: p.mapped_at,
            offers: p.offers.into_iter().map(Into::into).collect(),
            in_store: p.in_store.map(Into::into),
        }
    }
}

impl From<ProductsPage> for ProductsView {
    fn from(page: ProductsPage) -> Self {
        ProductsView {
            currency: page.currency.code().to_string(),
            products: page.products.into_iter().map(Into::into).collect(),
            next_after: page.next_after,
        }
    }
}
