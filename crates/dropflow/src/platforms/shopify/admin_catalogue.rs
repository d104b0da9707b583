//! Shopify's catalogue through the GraphQL Admin API (2026-07, the version `refundCreate`
//! speaks; wire shapes and sources in `admin_catalogue_wire.rs`).
//!
//! Reading: `productVariants`, 250 a page (the most a connection gives).
//!
//! Writing a batch of at most 250 variants (the most one input array takes):
//! 1. stock: one lookup (`location`, the shop's primary location, and `nodes(ids:)`: is each
//!    inventory item tracked?), `inventoryItemUpdate(tracked: true)` for an item that is not
//!    (rare: once per item), then ONE `inventorySetQuantities` for the whole batch — so 1,000
//!    stock changes cost 4 × 2 = 8 calls. The set is absolute (`name: "available"`,
//!    `changeFromQuantity: null`: we are the source of truth, and a repeat after a lost
//!    answer sets the same numbers). Its mandatory `@idempotent` key is new for every call
//!    (a UUIDv7): a key Shopify has seen answers its first result without doing anything,
//!    so a stable key would make a later, identical set — after a merchant edited the stock
//!    by hand — silently do nothing; an absolute set needs no key to be safe to repeat;
//! 2. prices: one `productVariantsBulkUpdate` per product (Shopify takes one product's
//!    variants per call);
//! 3. on sale: Shopify sells whole products (`publishes_variants` is false): one
//!    `productUpdate(product: {id, status: ACTIVE | DRAFT})` per product whose variants all
//!    say the same; variants of one product that disagree are refused.
//!
//! A `userErrors` entry that names one entry of the input (`["input", "quantities", "3", …]`,
//! `["variants", "0", "price"]`) refuses that variant; the call is then sent again without
//! it (whether or not Shopify kept the others, the values are absolute). An entry naming no
//! input entry refuses the whole call. A GraphQL `THROTTLED` answer is
//! [`StoreApiError::RateLimited`] with the wait the cost extension gives; a 429 is waited out
//! by the endpoint as for every Shopify call. Logs carry counts, never the token.

use super::admin::ShopifyAdmin;
use super::admin_catalogue_wire::{
    gid, payload, Answer, Lookup, PageData, Payload, UserError, MAX_ITEMS, PAGE_QUERY, SET_PRICES,
    SET_STATUS, SET_STOCK, STOCK_LOOKUP, TRACK_STOCK,
};
use crate::platforms::admin::{outside_text, StoreApiError};
use crate::platforms::admin_catalogue::{
    CatalogueAccess, CataloguePage, VariantWrite, VariantWritten, WriteResult,
};
use futures::future::BoxFuture;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

/// How many times a call is sent again without the entries Shopify refused.
const MAX_PASSES: usize = 4;

/// Refusals gathered per variant (by its index in the batch).
#[derive(Debug, Default)]
struct Refused(BTreeMap<usize, Vec<String>>);

impl Refused {
    fn add(&mut self, at: usize, why: impl Into<String>) {
        self.0.entry(at).or_default().push(why.into());
    }
}

/// One entry of a batched call: the variant's index in the batch and what is sent for it.
type Entry = (usize, Value);

fn is_number(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

impl ShopifyAdmin {
    /// One GraphQL call (429s waited out by the endpoint); its `data`, or what its errors mean.
    async fn catalogue_call(
        &self,
        what: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, StoreApiError> {
        let answer: Answer = self.graphql(query, variables).await?;
        answer.data(what)
    }

    async fn page(&self, after: Option<&str>) -> Result<CataloguePage, StoreApiError> {
        let data = self
            .catalogue_call(
                "productVariants",
                PAGE_QUERY,
                json!({"first": MAX_ITEMS, "after": after}),
            )
            .await?;
        let page: PageData = serde_json::from_value(data)
            .map_err(|_| StoreApiError::Protocol("productVariants: an unreadable page".into()))?;
        let variants = page
            .variants
            .nodes
            .into_iter()
            .enumerate()
            .map(|(i, node)| node.into_store_variant(i))
            .collect::<Result<Vec<_>, _>>()?;
        let next = page
            .variants
            .page_info
            .has_next_page
            .then_some(page.variants.page_info.end_cursor)
            .flatten();
        Ok(CataloguePage { variants, next })
    }

    /// Sends `entries` through the mutation `field` (built by `variables`) until Shopify
    /// takes what is left: entries it names are refused and left out of the next pass; an
    /// error naming no entry ends in `whole` (the caller decides what it refuses).
    async fn batched(
        &self,
        field: &str,
        query: &str,
        list: &str,
        mut entries: Vec<Entry>,
        variables: impl Fn(Vec<Value>) -> Value,
        refused: &mut Refused,
    ) -> Result<Option<String>, StoreApiError> {
        for _ in 0..MAX_PASSES {
            if entries.is_empty() {
                return Ok(None);
            }
            let sent = entries.iter().map(|(_, v)| v.clone()).collect();
            let data = self.catalogue_call(field, query, variables(sent)).await?;
            let answer: Payload = payload(data, field)?;
            if answer.user_errors.is_empty() {
                return Ok(None);
            }
            let (named, whole): (Vec<&UserError>, Vec<&UserError>) = answer
                .user_errors
                .iter()
                .partition(|e| e.index_in(list).is_some_and(|i| i < entries.len()));
            if named.is_empty() {
                let said: Vec<String> = whole.iter().map(|e| e.said()).collect();
                return Ok(Some(said.join("; ")));
            }
            let mut out = HashSet::new();
            for e in named {
                if let Some(at) = e.index_in(list) {
                    refused.add(entries[at].0, e.said());
                    out.insert(at);
                }
            }
            entries = entries
                .into_iter()
                .enumerate()
                .filter(|(k, _)| !out.contains(k))
                .map(|(_, e)| e)
                .collect();
        }
        for (at, _) in entries {
            refused.add(at, format!("{field}: Shopify kept refusing the batch"));
        }
        Ok(None)
    }

    /// Stage 1: the stock of every write that sets one, tracking turned on where needed.
    async fn write_stock(
        &self,
        writes: &[VariantWrite],
        refused: &mut Refused,
    ) -> Result<(), StoreApiError> {
        let mut seen = HashSet::new();
        let mut stock = Vec::new();
        for (at, w) in writes.iter().enumerate() {
            let Some(quantity) = w.stock else { continue };
            match w.inventory_item_id.as_deref().map(str::trim) {
                Some(item) if item.starts_with("gid://shopify/InventoryItem/") => {
                    if seen.insert(item.to_string()) {
                        stock.push((at, item.to_string(), quantity));
                    } else {
                        refused.add(at, "its inventory item is written twice in one batch");
                    }
                }
                _ => refused.add(at, "a stock write needs the variant's inventory item"),
            }
        }
        if stock.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = stock.iter().map(|(_, id, _)| id.as_str()).collect();
        let data = self
            .catalogue_call("stock lookup", STOCK_LOOKUP, json!({ "ids": ids }))
            .await?;
        let lookup: Lookup = serde_json::from_value(data)
            .map_err(|_| StoreApiError::Protocol("stock lookup: an unreadable answer".into()))?;
        let location = lookup
            .location
            .ok_or_else(|| StoreApiError::Protocol("the shop has no primary location".into()))?
            .id;
        let mut entries = Vec::new();
        for (k, (at, item, quantity)) in stock.into_iter().enumerate() {
            let node = lookup.nodes.get(k).and_then(Option::as_ref);
            match node {
                None => {
                    refused.add(
                        at,
                        format!("inventory item {} is not in the store", outside_text(&item)),
                    );
                    continue;
                }
                Some(n) if n.tracked != Some(true) => {
                    let data = self
                        .catalogue_call(
                            "inventoryItemUpdate",
                            TRACK_STOCK,
                            json!({"id": item, "input": {"tracked": true}}),
                        )
                        .await?;
                    let answer: Payload = payload(data, "inventoryItemUpdate")?;
                    if !answer.user_errors.is_empty() {
                        for e in &answer.user_errors {
                            refused.add(at, format!("tracking its stock: {}", e.said()));
                        }
                        continue;
                    }
                }
                Some(_) => {}
            }
            entries.push((
                at,
                json!({
                    "inventoryItemId": item,
                    "locationId": location,
                    "quantity": quantity,
                    "changeFromQuantity": null,
                }),
            ));
        }
        let all: Vec<usize> = entries.iter().map(|(at, _)| *at).collect();
        let whole = self
            .batched(
                "inventorySetQuantities",
                SET_STOCK,
                "quantities",
                entries,
                |quantities| {
                    let key = uuid::Uuid::now_v7().to_string();
                    json!({
                        "key": key,
                        "input": {
                            "name": "available",
                            "reason": "correction",
                            "referenceDocumentUri": format!("gid://dropflow/CatalogueSync/{key}"),
                            "quantities": quantities,
                        },
                    })
                },
                refused,
            )
            .await?;
        if let Some(said) = whole {
            return Err(StoreApiError::Refused(outside_text(&format!(
                "inventorySetQuantities: {said}"
            ))));
        }
        tracing::info!(variants = all.len(), "shopify: catalogue stock written");
        Ok(())
    }

    /// Stage 2: prices, one `productVariantsBulkUpdate` per product.
    async fn write_prices(
        &self,
        writes: &[VariantWrite],
        refused: &mut Refused,
    ) -> Result<(), StoreApiError> {
        let mut by_product: BTreeMap<&str, Vec<Entry>> = BTreeMap::new();
        for (at, w) in writes.iter().enumerate() {
            if let Some(price) = &w.price {
                by_product.entry(w.product_id.trim()).or_default().push((
                    at,
                    json!({"id": gid("ProductVariant", w.variant_id.trim()), "price": price}),
                ));
            }
        }
        for (product, entries) in by_product {
            let all: Vec<usize> = entries.iter().map(|(at, _)| *at).collect();
            let product_gid = gid("Product", product);
            let whole = self
                .batched(
                    "productVariantsBulkUpdate",
                    SET_PRICES,
                    "variants",
                    entries,
                    |variants| json!({"productId": product_gid, "variants": variants}),
                    refused,
                )
                .await?;
            if let Some(said) = whole {
                for at in all {
                    refused.add(at, format!("price: {said}"));
                }
            }
        }
        Ok(())
    }

    /// Stage 3: on sale or not, one `productUpdate` per product.
    async fn write_status(
        &self,
        writes: &[VariantWrite],
        refused: &mut Refused,
    ) -> Result<(), StoreApiError> {
        let mut by_product: BTreeMap<&str, Vec<(usize, bool)>> = BTreeMap::new();
        for (at, w) in writes.iter().enumerate() {
            if let Some(on) = w.published {
                by_product
                    .entry(w.product_id.trim())
                    .or_default()
                    .push((at, on));
            }
        }
        for (product, wanted) in by_product {
            let on = wanted[0].1;
            if wanted.iter().any(|(_, o)| *o != on) {
                for (at, _) in wanted {
                    refused.add(at, "variants of one product disagree on whether it is on sale (Shopify sells whole products)");
                }
                continue;
            }
            let status = if on { "ACTIVE" } else { "DRAFT" };
            let data = self
                .catalogue_call(
                    "productUpdate",
                    SET_STATUS,
                    json!({"product": {"id": gid("Product", product), "status": status}}),
                )
                .await?;
            let answer: Payload = payload(data, "productUpdate")?;
            for e in &answer.user_errors {
                for (at, _) in &wanted {
                    refused.add(*at, format!("status: {}", e.said()));
                }
            }
        }
        Ok(())
    }

    async fn write(&self, writes: &[VariantWrite]) -> Result<Vec<VariantWritten>, StoreApiError> {
        if writes.len() > MAX_ITEMS {
            return Err(StoreApiError::Refused(format!(
                "at most {MAX_ITEMS} variants are written at once, {} were given",
                writes.len()
            )));
        }
        let mut refused = Refused::default();
        let mut valid = Vec::new();
        let mut index = Vec::new();
        for (at, w) in writes.iter().enumerate() {
            if is_number(w.variant_id.trim()) && is_number(w.product_id.trim()) {
                valid.push(w.clone());
                index.push(at);
            } else {
                refused.add(at, "Shopify variant and product ids are numbers");
            }
        }
        // The stages number variants by their place in `valid`; map back after.
        let mut staged = Refused::default();
        self.write_stock(&valid, &mut staged).await?;
        self.write_prices(&valid, &mut staged).await?;
        self.write_status(&valid, &mut staged).await?;
        for (k, why) in staged.0 {
            if let Some(at) = index.get(k) {
                for w in why {
                    refused.add(*at, w);
                }
            }
        }
        tracing::info!(
            variants = writes.len(),
            refused = refused.0.len(),
            "shopify: catalogue batch written"
        );
        Ok(writes
            .iter()
            .enumerate()
            .map(|(at, w)| VariantWritten {
                variant_id: w.variant_id.clone(),
                result: match refused.0.get(&at) {
                    Some(why) => WriteResult::Refused(outside_text(&why.join("; "))),
                    None => WriteResult::Written,
                },
            })
            .collect())
    }
}

impl CatalogueAccess for ShopifyAdmin {
    fn catalogue_page<'a>(
        &'a self,
        after: Option<&'a str>,
    ) -> BoxFuture<'a, Result<CataloguePage, StoreApiError>> {
        Box::pin(self.page(after))
    }

    fn write_variants<'a>(
        &'a self,
        writes: &'a [VariantWrite],
    ) -> BoxFuture<'a, Result<Vec<VariantWritten>, StoreApiError>> {
        Box::pin(async move {
            let result = self.write(writes).await;
            if let Err(error) = &result {
                tracing::warn!(variants = writes.len(), %error, "shopify: catalogue write failed");
            }
            result
        })
    }

    /// The most one GraphQL input array takes (https://shopify.dev/docs/api/usage/limits).
    fn write_batch_limit(&self) -> usize {
        MAX_ITEMS
    }

    /// Shopify's `status` belongs to the product, not the variant.
    fn publishes_variants(&self) -> bool {
        false
    }
}
