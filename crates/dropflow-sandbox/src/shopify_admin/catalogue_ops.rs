//! The catalogue operations of the GraphQL Admin API (2026-07), each checked as Shopify
//! documents it and answered with its payload (`userErrors` with `field` and `code`).
//!
//! Sources:
//! - `productVariants(first:, after:)`, a connection of at most 250 nodes a page
//!   (https://shopify.dev/docs/api/usage/limits: input arrays and connections);
//! - `location` without an id: "If no ID is provided, the primary location of the Shop is
//!   returned" (https://shopify.dev/docs/api/admin-graphql/2025-10/queries/location);
//! - `inventorySetQuantities(input: {name, reason, quantities: [{inventoryItemId,
//!   locationId, quantity, changeFromQuantity}]})`: from 2026-04 every quantity must carry
//!   `changeFromQuantity` (null opts out of the compare-and-swap, a stale value is
//!   `CHANGE_FROM_QUANTITY_STALE`), names are `available` or `on_hand`, the error codes of
//!   `InventorySetQuantitiesUserErrorCode`
//!   (https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/InventorySetQuantityInput,
//!   https://shopify.dev/docs/api/admin-graphql/2026-01/enums/InventorySetQuantitiesUserErrorCode);
//! - `inventoryItemUpdate(id:, input: {tracked})`
//!   (https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventoryItemUpdate);
//! - `productVariantsBulkUpdate(productId:, variants: [{id, price}])`, one product per call,
//!   codes of `ProductVariantsBulkUpdateUserErrorCode` (`PRODUCT_DOES_NOT_EXIST`,
//!   `MUST_BE_FOR_THIS_PRODUCT`, `GREATER_THAN_OR_EQUAL_TO`, `INVALID_INPUT`,
//!   `NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE`;
//!   https://shopify.dev/docs/api/admin-graphql/latest/enums/ProductVariantsBulkUpdateUserErrorCode);
//! - `productUpdate(product: {id, status})` (`ProductStatus`: `ACTIVE`, `ARCHIVED`, `DRAFT`).
//!
//! Sandbox choices where the sources are silent: a mutation with any `userErrors` changes
//! nothing (all or nothing; `productVariantsBulkUpdate` with `allowPartialUpdates: true`
//! writes the valid variants); setting quantities of an untracked item is accepted and kept;
//! a missing `changeFromQuantity` is `COMPARE_QUANTITY_REQUIRED` on that quantity; an
//! unknown variant is `PRODUCT_VARIANT_DOES_NOT_EXIST`; `inventoryItemUpdate` and
//! `productUpdate` refuse an unknown id with a `UserError` on `id`; the accepted reasons are
//! the list below.

use super::catalogue::{price_cents, price_text, Catalogue};
use base64::Engine;
use serde_json::{json, Value};

/// Most nodes a page and most entries an input array holds.
pub(crate) const MAX_ITEMS: usize = 250;

/// The reasons `inventorySetQuantities` accepts here.
const REASONS: &[&str] = &[
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
];

/// A request Shopify would not run at all: a top-level GraphQL error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rejected {
    pub message: String,
    pub code: &'static str,
}

pub(crate) fn rejected(message: impl Into<String>, code: &'static str) -> Rejected {
    Rejected {
        message: message.into(),
        code,
    }
}

fn user_error(field: &[Value], message: &str, code: Option<&str>) -> Value {
    let mut e = json!({"field": field, "message": message});
    if let Some(code) = code {
        e["code"] = json!(code);
    }
    e
}

/// `gid://shopify/{kind}/{n}` → n.
pub(crate) fn gid_number(v: &Value, kind: &str) -> Option<u64> {
    v.as_str()?
        .strip_prefix("gid://shopify/")?
        .strip_prefix(kind)?
        .strip_prefix('/')?
        .parse()
        .ok()
}

fn gid(kind: &str, n: u64) -> String {
    format!("gid://shopify/{kind}/{n}")
}

fn cursor(variant_id: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"last_id\":{variant_id}}}"))
}

fn after_id(cursor: &str) -> Option<u64> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor.trim())
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("last_id")?.as_u64()
}

impl Catalogue {
    /// `productVariants(first:, after:)`: the variants in id order.
    pub fn page(&self, first: i64, after: Option<&str>) -> Result<Value, Rejected> {
        if first < 1 || first > MAX_ITEMS as i64 {
            return Err(rejected(
                format!("The first argument must be between 1 and {MAX_ITEMS}."),
                "BAD_REQUEST",
            ));
        }
        let start = match after {
            Some(c) => after_id(c).ok_or_else(|| rejected("Invalid cursor.", "BAD_REQUEST"))?,
            None => 0,
        };
        let mut nodes = Vec::new();
        let mut last = None;
        let mut more = false;
        for (&id, v) in self.variants.range(start.saturating_add(1)..) {
            if nodes.len() == first as usize {
                more = true;
                break;
            }
            let (Some(item), Some(product)) = (
                self.items.get(&v.inventory_item_id),
                self.products.get(&v.product_id),
            ) else {
                continue;
            };
            nodes.push(json!({
                "id": gid("ProductVariant", id),
                "legacyResourceId": id.to_string(),
                "title": v.title,
                "sku": v.sku,
                "price": price_text(v.price_cents),
                "inventoryQuantity": item.available,
                "inventoryItem": {"id": gid("InventoryItem", v.inventory_item_id), "tracked": item.tracked},
                "product": {
                    "id": gid("Product", v.product_id),
                    "legacyResourceId": v.product_id.to_string(),
                    "title": product.title,
                    "status": product.status,
                },
            }));
            last = Some(id);
        }
        Ok(json!({"productVariants": {
            "nodes": nodes,
            "pageInfo": {"hasNextPage": more, "endCursor": last.map(cursor)},
        }}))
    }

    /// `location { id }` and/or `nodes(ids:) { … on InventoryItem { id tracked } }`.
    pub fn lookup(&self, location_id: u64, location: bool, ids: Option<&[Value]>) -> Value {
        let mut data = json!({});
        if location {
            data["location"] = json!({"id": gid("Location", location_id)});
        }
        if let Some(ids) = ids {
            let nodes: Vec<Value> = ids
                .iter()
                .map(|id| match gid_number(id, "InventoryItem") {
                    Some(n) => match self.items.get(&n) {
                        Some(item) => {
                            json!({"id": gid("InventoryItem", n), "tracked": item.tracked})
                        }
                        None => Value::Null,
                    },
                    None => Value::Null,
                })
                .collect();
            data["nodes"] = Value::Array(nodes);
        }
        data
    }

    /// `inventorySetQuantities(input:)`: every quantity checked, then all set (or none).
    pub fn set_quantities(&mut self, location_id: u64, input: &Value) -> Result<Value, Rejected> {
        let quantities = input
            .get("quantities")
            .and_then(Value::as_array)
            .ok_or_else(|| rejected("input.quantities is required", "INVALID_VARIABLE"))?;
        if quantities.len() > MAX_ITEMS {
            return Err(rejected(
                format!(
                    "The input array size of {} is greater than the maximum allowed of {MAX_ITEMS}.",
                    quantities.len()
                ),
                "MAX_INPUT_SIZE_EXCEEDED",
            ));
        }
        let mut errors = Vec::new();
        let name = input.get("name").and_then(Value::as_str).unwrap_or("");
        if name != "available" && name != "on_hand" {
            errors.push(user_error(
                &[json!("input"), json!("name")],
                "The quantity name must be either 'available' or 'on_hand'.",
                Some("INVALID_NAME"),
            ));
        }
        let reason = input.get("reason").and_then(Value::as_str).unwrap_or("");
        if !REASONS.contains(&reason) {
            errors.push(user_error(
                &[json!("input"), json!("reason")],
                "The specified reason is invalid.",
                Some("INVALID_REASON"),
            ));
        }
        let mut planned: Vec<(u64, i64, i64)> = Vec::new();
        for (i, q) in quantities.iter().enumerate() {
            let at = |f: &str| {
                vec![
                    json!("input"),
                    json!("quantities"),
                    json!(i.to_string()),
                    json!(f),
                ]
            };
            let mut fail = |f: &str, message: &str, code: &str| {
                errors.push(user_error(&at(f), message, Some(code)));
            };
            let Some(item_id) = q
                .get("inventoryItemId")
                .and_then(|v| gid_number(v, "InventoryItem"))
                .filter(|n| self.items.contains_key(n))
            else {
                fail(
                    "inventoryItemId",
                    "The specified inventory item could not be found.",
                    "INVALID_INVENTORY_ITEM",
                );
                continue;
            };
            if q.get("locationId").and_then(|v| gid_number(v, "Location")) != Some(location_id) {
                fail(
                    "locationId",
                    "The specified location could not be found.",
                    "INVALID_LOCATION",
                );
                continue;
            }
            let Some(quantity) = q.get("quantity").and_then(Value::as_i64) else {
                fail(
                    "quantity",
                    "Expected value to be an Int.",
                    "INVALID_QUANTITY_NEGATIVE",
                );
                continue;
            };
            if quantity < 0 {
                fail(
                    "quantity",
                    "The quantity can't be negative.",
                    "INVALID_QUANTITY_NEGATIVE",
                );
                continue;
            }
            if quantity > 1_000_000_000 {
                fail(
                    "quantity",
                    "The total quantity can't be higher than 1,000,000,000.",
                    "INVALID_QUANTITY_TOO_HIGH",
                );
                continue;
            }
            let current = self.items.get(&item_id).map_or(0, |item| item.available);
            match q.get("changeFromQuantity") {
                None => {
                    fail("changeFromQuantity", "changeFromQuantity must be given for each quantity (null to skip the check).", "COMPARE_QUANTITY_REQUIRED");
                    continue;
                }
                Some(Value::Null) => {}
                Some(v) if v.as_i64() == Some(current) => {}
                Some(_) => {
                    fail(
                        "changeFromQuantity",
                        "The changeFromQuantity value does not match persisted value.",
                        "CHANGE_FROM_QUANTITY_STALE",
                    );
                    continue;
                }
            }
            if planned.iter().any(|(id, _, _)| *id == item_id) {
                fail(
                    "inventoryItemId",
                    "The combination of inventoryItemId and locationId must be unique.",
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                );
                continue;
            }
            planned.push((item_id, quantity, current));
        }
        if !errors.is_empty() {
            return Ok(json!({"inventoryAdjustmentGroup": null, "userErrors": errors}));
        }
        let mut changes = Vec::new();
        for (item_id, quantity, before) in planned {
            if let Some(item) = self.items.get_mut(&item_id) {
                item.available = quantity;
            }
            changes.push(json!({
                "name": name,
                "delta": quantity - before,
                "quantityAfterChange": quantity,
                "item": {"id": gid("InventoryItem", item_id)},
                "location": {"id": gid("Location", location_id)},
            }));
        }
        Ok(json!({
            "inventoryAdjustmentGroup": {
                "createdAt": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "reason": reason,
                "referenceDocumentUri": input.get("referenceDocumentUri").cloned().unwrap_or(Value::Null),
                "changes": changes,
            },
            "userErrors": [],
        }))
    }

    /// `inventoryItemUpdate(id:, input:)`: `tracked` is what the sandbox keeps.
    pub fn item_update(&mut self, id: &Value, input: &Value) -> Value {
        let Some(item) =
            gid_number(id, "InventoryItem").and_then(|n| self.items.get_mut(&n).map(|i| (n, i)))
        else {
            return json!({"inventoryItem": null, "userErrors": [user_error(&[json!("id")], "Inventory item does not exist", None)]});
        };
        let (n, item) = item;
        if let Some(tracked) = input.get("tracked").and_then(Value::as_bool) {
            item.tracked = tracked;
        }
        json!({"inventoryItem": {"id": gid("InventoryItem", n), "tracked": item.tracked}, "userErrors": []})
    }

    /// `productVariantsBulkUpdate(productId:, variants:, allowPartialUpdates:)`.
    pub fn bulk_update(
        &mut self,
        product: &Value,
        variants: &Value,
        partial: bool,
    ) -> Result<Value, Rejected> {
        let list = variants
            .as_array()
            .ok_or_else(|| rejected("variants is required", "INVALID_VARIABLE"))?;
        if list.len() > MAX_ITEMS {
            return Err(rejected(
                format!("The input array size of {} is greater than the maximum allowed of {MAX_ITEMS}.", list.len()),
                "MAX_INPUT_SIZE_EXCEEDED",
            ));
        }
        let Some(product_id) =
            gid_number(product, "Product").filter(|n| self.products.contains_key(n))
        else {
            return Ok(
                json!({"product": null, "productVariants": null, "userErrors": [user_error(&[json!("productId")], "Product does not exist", Some("PRODUCT_DOES_NOT_EXIST"))]}),
            );
        };
        let mut errors = Vec::new();
        let mut planned = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let at = |f: &str| vec![json!("variants"), json!(i.to_string()), json!(f)];
            let Some(variant_id) = v
                .get("id")
                .and_then(|id| gid_number(id, "ProductVariant"))
                .filter(|n| self.variants.contains_key(n))
            else {
                errors.push(user_error(
                    &at("id"),
                    "Product variant does not exist",
                    Some("PRODUCT_VARIANT_DOES_NOT_EXIST"),
                ));
                continue;
            };
            if self.variants.get(&variant_id).map(|x| x.product_id) != Some(product_id) {
                errors.push(user_error(
                    &at("id"),
                    "Input must be for this product.",
                    Some("MUST_BE_FOR_THIS_PRODUCT"),
                ));
                continue;
            }
            if v.get("inventoryQuantities").is_some() {
                errors.push(user_error(&at("inventoryQuantities"), "Inventory quantities can only be provided during create. To update inventory for existing variants, use inventoryAdjustQuantities.", Some("NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE")));
                continue;
            }
            let price = match v.get("price") {
                None | Some(Value::Null) => None,
                Some(p) => {
                    let text = super::money::value_text(p);
                    if text.trim().starts_with('-') {
                        errors.push(user_error(
                            &at("price"),
                            "The price of the variant must be greater than or equal to zero.",
                            Some("GREATER_THAN_OR_EQUAL_TO"),
                        ));
                        continue;
                    }
                    match price_cents(&text) {
                        Some(c) => Some(c),
                        None => {
                            errors.push(user_error(
                                &at("price"),
                                "Input is invalid.",
                                Some("INVALID_INPUT"),
                            ));
                            continue;
                        }
                    }
                }
            };
            planned.push((variant_id, price));
        }
        if !errors.is_empty() && !partial {
            return Ok(json!({"product": null, "productVariants": null, "userErrors": errors}));
        }
        let mut written = Vec::new();
        for (variant_id, price) in planned {
            if let Some(v) = self.variants.get_mut(&variant_id) {
                if let Some(c) = price {
                    v.price_cents = c;
                }
                written.push(json!({"id": gid("ProductVariant", variant_id), "price": price_text(v.price_cents)}));
            }
        }
        Ok(
            json!({"product": {"id": gid("Product", product_id)}, "productVariants": written, "userErrors": errors}),
        )
    }

    /// `productUpdate(product: {id, status})`.
    pub fn product_update(&mut self, product: &Value) -> Result<Value, Rejected> {
        let status = match product.get("status") {
            None | Some(Value::Null) => None,
            Some(s) => match s.as_str() {
                Some(s @ ("ACTIVE" | "ARCHIVED" | "DRAFT")) => Some(s.to_string()),
                _ => {
                    return Err(rejected(
                        "Variable $product of type ProductUpdateInput! was provided invalid value for status (Expected one of ACTIVE, ARCHIVED, DRAFT)",
                        "INVALID_VARIABLE",
                    ))
                }
            },
        };
        let Some((id, stored)) = product
            .get("id")
            .and_then(|v| gid_number(v, "Product"))
            .and_then(|n| self.products.get_mut(&n).map(|p| (n, p)))
        else {
            return Ok(
                json!({"product": null, "userErrors": [user_error(&[json!("id")], "Product does not exist", None)]}),
            );
        };
        if let Some(status) = status {
            stored.status = status;
        }
        Ok(
            json!({"product": {"id": gid("Product", id), "status": stored.status}, "userErrors": []}),
        )
    }
}
