//! The store's state behind one mutex: orders, their fulfillment orders and fulfillments,
//! and the leaky bucket. The orders' money and refunds are behind their own
//! ([`super::refunds::Book`]).

use super::catalogue::Catalogue;
use super::refunds::Book;
use super::ShopifyAdminConfig;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// A fulfillment, as the sandbox recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfillmentRecord {
    pub id: u64,
    pub order_id: u64,
    /// `#1001.1`, `#1001.2`, …
    pub name: String,
    pub tracking_number: Option<String>,
    pub tracking_company: Option<String>,
    pub tracking_url: Option<String>,
    pub notify_customer: bool,
    /// Order line items and the quantities this fulfillment carries.
    pub line_items: Vec<FulfilledLine>,
    pub created_at: String,
}

/// One order line item in a fulfillment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FulfilledLine {
    pub line_item_id: u64,
    pub quantity: u32,
}

/// An error answer: HTTP status and Shopify's `{"errors": …}` body.
pub(crate) type Refusal = (u16, Value);

fn not_found() -> Refusal {
    (404, json!({"errors": "Not Found"}))
}

fn unprocessable(message: String) -> Refusal {
    (422, json!({"errors": [message]}))
}

fn missing(param: &str) -> Refusal {
    (
        400,
        json!({"errors": {param: "Required parameter missing or invalid"}}),
    )
}

#[derive(Debug, Clone)]
struct OrderLine {
    id: u64,
    quantity: u32,
    variant_id: Option<u64>,
    title: String,
    sku: Option<String>,
}

#[derive(Debug, Clone)]
struct FoLine {
    id: u64,
    line_item_id: u64,
    quantity: u32,
    fulfillable: u32,
    variant_id: Option<u64>,
    inventory_item_id: u64,
}

#[derive(Debug, Clone)]
struct FulfillmentOrder {
    id: u64,
    lines: Vec<FoLine>,
}

impl FulfillmentOrder {
    fn status(&self) -> &'static str {
        let left: u32 = self.lines.iter().map(|l| l.fulfillable).sum();
        let total: u32 = self.lines.iter().map(|l| l.quantity).sum();
        if left == 0 {
            "closed"
        } else if left < total {
            "in_progress"
        } else {
            "open"
        }
    }
}

#[derive(Debug, Clone)]
struct Order {
    id: u64,
    name: String,
    lines: Vec<OrderLine>,
    fulfillment_order: FulfillmentOrder,
    fulfillments: Vec<FulfillmentRecord>,
}

#[derive(Debug)]
struct Bucket {
    used: f64,
    at: Instant,
}

#[derive(Debug)]
struct Inner {
    orders: HashMap<u64, Order>,
    /// Fulfillment order id → order id.
    fulfillment_orders: HashMap<u64, u64>,
    next_id: u64,
    fulfillment_count: usize,
    bucket: Bucket,
    throttled: u64,
    admitted: u64,
}

/// The sandbox's state behind its routes (what its `Sandbox` methods read).
pub struct Shared {
    pub config: ShopifyAdminConfig,
    inner: Mutex<Inner>,
    book: Mutex<Book>,
    /// The products, variants and inventory, and the GraphQL cost bucket.
    catalogue: Mutex<Catalogue>,
}

/// Whether a call fits in the bucket.
pub(crate) enum Admission {
    /// Admitted; the bucket now holds `used` calls.
    Admitted { used: u32 },
    /// Not admitted: one call fits after `retry_after` seconds.
    Throttled { retry_after: f64 },
}

impl Shared {
    pub fn new(config: ShopifyAdminConfig) -> Self {
        Shared {
            config,
            inner: Mutex::new(Inner {
                orders: HashMap::new(),
                fulfillment_orders: HashMap::new(),
                next_id: 1_046_000_000,
                fulfillment_count: 0,
                bucket: Bucket {
                    used: 0.0,
                    at: Instant::now(),
                },
                throttled: 0,
                admitted: 0,
            }),
            book: Mutex::new(Book::new()),
            catalogue: Mutex::new(Catalogue::new()),
        }
    }

    /// The orders' money and refunds.
    pub(crate) fn book(&self) -> MutexGuard<'_, Book> {
        // As for `lock`: every change is made after validation.
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The catalogue (issue 15).
    pub(crate) fn catalogue(&self) -> MutexGuard<'_, Catalogue> {
        // As for `lock`: every change is made after validation.
        self.catalogue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every change is made after
        // validation), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- rate limit -------------------------------------------------------------------

    /// Leaks the bucket for the time passed, then tries to put one call in.
    pub(crate) fn admit(&self) -> Admission {
        let bucket_size = f64::from(self.config.bucket_size.max(1));
        let rate = self.config.leak_per_second.max(0.001);
        let mut inner = self.lock();
        let now = Instant::now();
        let leaked = now.duration_since(inner.bucket.at).as_secs_f64() * rate;
        inner.bucket.used = (inner.bucket.used - leaked).max(0.0);
        inner.bucket.at = now;
        if inner.bucket.used + 1.0 > bucket_size + 1e-9 {
            inner.throttled += 1;
            let retry_after = (inner.bucket.used + 1.0 - bucket_size) / rate;
            return Admission::Throttled { retry_after };
        }
        inner.bucket.used += 1.0;
        inner.admitted += 1;
        Admission::Admitted {
            used: inner.bucket.used.ceil() as u32,
        }
    }

    pub fn throttled_count(&self) -> u64 {
        self.lock().throttled
    }

    pub fn admitted_count(&self) -> u64 {
        self.lock().admitted
    }

    // ---- orders -----------------------------------------------------------------------

    pub fn add_order(&self, order: &Value) -> Result<u64, String> {
        let payload = order;
        let (order, id, items) = order_and_items(order)?;
        let name = order
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{id}"));
        let mut lines = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let line_id = item_id(item, i)?;
            let quantity = item
                .get("quantity")
                .and_then(Value::as_u64)
                .and_then(|q| u32::try_from(q).ok())
                .ok_or(format!("line_items[{i}].quantity is missing"))?;
            lines.push(OrderLine {
                id: line_id,
                quantity,
                variant_id: item.get("variant_id").and_then(Value::as_u64),
                title: item
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                sku: item.get("sku").and_then(Value::as_str).map(str::to_string),
            });
        }
        self.book().register(payload)?;
        let mut inner = self.lock();
        let fo_id = inner.next_id;
        inner.next_id += 1;
        let mut fo_lines = Vec::new();
        for line in &lines {
            let fo_line_id = inner.next_id;
            inner.next_id += 1;
            fo_lines.push(FoLine {
                id: fo_line_id,
                line_item_id: line.id,
                quantity: line.quantity,
                fulfillable: line.quantity,
                variant_id: line.variant_id,
                inventory_item_id: line.variant_id.unwrap_or(line.id).wrapping_add(7),
            });
        }
        if let Some(old) = inner.orders.get(&id).map(|o| o.fulfillment_order.id) {
            inner.fulfillment_orders.remove(&old);
        }
        inner.fulfillment_orders.insert(fo_id, id);
        inner.orders.insert(
            id,
            Order {
                id,
                name,
                lines,
                fulfillment_order: FulfillmentOrder {
                    id: fo_id,
                    lines: fo_lines,
                },
                fulfillments: Vec::new(),
            },
        );
        Ok(id)
    }

    /// An order edited in the store. Shopify's `orderEditCommit` "applies staged changes …
    /// including changes to line items, quantities" to the order, and "you can only edit
    /// unfulfilled line items" (shopify.dev, GraphQL Admin `orderEditCommit`): so each line's
    /// `current_quantity` becomes what its fulfillment order line holds, and what is left to
    /// fulfil is that less what was fulfilled already. Lines the payload does not name stay.
    pub fn edit_order(&self, order: &Value) -> Result<(), String> {
        let (_, id, items) = order_and_items(order)?;
        let mut inner = self.lock();
        let stored = inner
            .orders
            .get_mut(&id)
            .ok_or(format!("order {id} is not in the store"))?;
        for (i, item) in items.iter().enumerate() {
            let line_id = item_id(item, i)?;
            let now = item
                .get("current_quantity")
                .or_else(|| item.get("quantity"))
                .and_then(Value::as_u64)
                .and_then(|q| u32::try_from(q).ok())
                .ok_or(format!("line_items[{i}].current_quantity is missing"))?;
            if let Some(line) = stored.lines.iter_mut().find(|l| l.id == line_id) {
                line.quantity = now;
            }
            if let Some(fo_line) = stored
                .fulfillment_order
                .lines
                .iter_mut()
                .find(|l| l.line_item_id == line_id)
            {
                let fulfilled = fo_line.quantity.saturating_sub(fo_line.fulfillable);
                fo_line.quantity = now.max(fulfilled);
                fo_line.fulfillable = now.saturating_sub(fulfilled);
            }
        }
        Ok(())
    }

    pub fn fulfillment_order_id(&self, order_id: u64) -> Option<u64> {
        self.lock()
            .orders
            .get(&order_id)
            .map(|o| o.fulfillment_order.id)
    }

    pub fn fulfillment_order_status(&self, order_id: u64) -> Option<String> {
        self.lock()
            .orders
            .get(&order_id)
            .map(|o| o.fulfillment_order.status().to_string())
    }

    pub fn fulfillable_quantity(&self, order_id: u64, line_item_id: u64) -> Option<u32> {
        self.lock().orders.get(&order_id).and_then(|o| {
            o.fulfillment_order
                .lines
                .iter()
                .find(|l| l.line_item_id == line_item_id)
                .map(|l| l.fulfillable)
        })
    }

    pub fn fulfillments(&self, order_id: u64) -> Vec<FulfillmentRecord> {
        self.lock()
            .orders
            .get(&order_id)
            .map(|o| o.fulfillments.clone())
            .unwrap_or_default()
    }

    pub fn is_fully_fulfilled(&self, order_id: u64) -> bool {
        self.lock()
            .orders
            .get(&order_id)
            .is_some_and(|o| o.fulfillment_order.status() == "closed")
    }

    pub fn fulfillment_count(&self) -> usize {
        self.lock().fulfillment_count
    }

    // ---- the API ----------------------------------------------------------------------

    /// `GET orders/{order_id}/fulfillment_orders.json`.
    pub fn list_fulfillment_orders(&self, order_id: &str) -> Result<Value, Refusal> {
        let inner = self.lock();
        let order = find_order(&inner, order_id)?;
        Ok(json!({"fulfillment_orders": [self.fulfillment_order_json(order)]}))
    }

    /// `GET orders/{order_id}/fulfillments.json`.
    pub fn list_fulfillments(&self, order_id: &str) -> Result<Value, Refusal> {
        let inner = self.lock();
        let order = find_order(&inner, order_id)?;
        let list: Vec<Value> = order
            .fulfillments
            .iter()
            .map(|f| fulfillment_json(order, f, self.config.location_id))
            .collect();
        Ok(json!({"fulfillments": list}))
    }

    /// `POST fulfillments.json`: validates every requested line first, then fulfils.
    pub fn create_fulfillment(&self, body: &Value) -> Result<Value, Refusal> {
        let fulfillment = body
            .get("fulfillment")
            .filter(|f| f.is_object())
            .ok_or_else(|| missing("fulfillment"))?;
        let groups = fulfillment
            .get("line_items_by_fulfillment_order")
            .and_then(Value::as_array)
            .filter(|g| !g.is_empty())
            .ok_or_else(|| missing("line_items_by_fulfillment_order"))?;
        let tracking = fulfillment.get("tracking_info");
        let text = |key: &str| {
            tracking
                .and_then(|t| t.get(key))
                .and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .filter(|s| !s.trim().is_empty())
        };
        let number = text("number");
        let company = text("company");
        let url = text("url");
        let notify_customer = fulfillment
            .get("notify_customer")
            .and_then(Value::as_bool)
            .unwrap_or(false);

        let mut inner = self.lock();
        // Which order, and per fulfillment order line: how many.
        let mut order_id: Option<u64> = None;
        let mut take: HashMap<u64, u32> = HashMap::new();
        for group in groups {
            let fo_id = group
                .get("fulfillment_order_id")
                .and_then(Value::as_u64)
                .ok_or_else(|| missing("fulfillment_order_id"))?;
            let owner = *inner.fulfillment_orders.get(&fo_id).ok_or_else(not_found)?;
            if order_id.is_some_and(|o| o != owner) {
                return Err(unprocessable(
                    "All fulfillment orders must belong to the same order.".to_string(),
                ));
            }
            order_id = Some(owner);
            let order = inner.orders.get(&owner).ok_or_else(not_found)?;
            let fo = &order.fulfillment_order;
            let status = fo.status();
            if status == "closed" {
                return Err(unprocessable(format!(
                    "Fulfillment order {fo_id} has an unfulfillable status= {status}."
                )));
            }
            match group.get("fulfillment_order_line_items") {
                None | Some(Value::Null) => {
                    for line in fo.lines.iter().filter(|l| l.fulfillable > 0) {
                        *take.entry(line.id).or_default() = line.fulfillable;
                    }
                }
                Some(Value::Array(items)) => {
                    for item in items {
                        let line_id = item.get("id").and_then(Value::as_u64).ok_or_else(|| {
                            unprocessable("Fulfillment order line item id is required.".into())
                        })?;
                        let quantity = item
                            .get("quantity")
                            .and_then(Value::as_u64)
                            .and_then(|q| u32::try_from(q).ok())
                            .filter(|q| *q > 0)
                            .ok_or_else(|| {
                                unprocessable(
                                    "Invalid fulfillment order line item quantity requested."
                                        .into(),
                                )
                            })?;
                        if !fo.lines.iter().any(|l| l.id == line_id) {
                            return Err(unprocessable(format!(
                                "Fulfillment order line item {line_id} does not belong to \
                                 fulfillment order {fo_id}."
                            )));
                        }
                        *take.entry(line_id).or_default() += quantity;
                    }
                }
                Some(_) => return Err(missing("fulfillment_order_line_items")),
            }
        }
        let order_id = order_id.ok_or_else(not_found)?;
        let next_id = inner.next_id;
        let location_id = self.config.location_id;
        let order = inner.orders.get_mut(&order_id).ok_or_else(not_found)?;
        for line in &order.fulfillment_order.lines {
            if take.get(&line.id).is_some_and(|q| *q > line.fulfillable) {
                return Err(unprocessable(
                    "Invalid fulfillment order line item quantity requested.".to_string(),
                ));
            }
        }
        if take.values().all(|q| *q == 0) {
            return Err(unprocessable(
                "Fulfillment has no line items to fulfill.".to_string(),
            ));
        }
        let mut line_items = Vec::new();
        for line in order.fulfillment_order.lines.iter_mut() {
            if let Some(q) = take.get(&line.id).copied().filter(|q| *q > 0) {
                line.fulfillable -= q;
                line_items.push(FulfilledLine {
                    line_item_id: line.line_item_id,
                    quantity: q,
                });
            }
        }
        let record = FulfillmentRecord {
            id: next_id,
            order_id,
            name: format!("{}.{}", order.name, order.fulfillments.len() + 1),
            tracking_number: number,
            tracking_company: company,
            tracking_url: url,
            notify_customer,
            line_items,
            created_at: now(),
        };
        let answer = json!({"fulfillment": fulfillment_json(order, &record, location_id)});
        order.fulfillments.push(record);
        inner.next_id += 1;
        inner.fulfillment_count += 1;
        Ok(answer)
    }

    fn fulfillment_order_json(&self, order: &Order) -> Value {
        let fo = &order.fulfillment_order;
        let status = fo.status();
        let lines: Vec<Value> = fo
            .lines
            .iter()
            .map(|l| {
                json!({
                    "id": l.id,
                    "shop_id": self.config.shop_id,
                    "fulfillment_order_id": fo.id,
                    "quantity": l.quantity,
                    "line_item_id": l.line_item_id,
                    "inventory_item_id": l.inventory_item_id,
                    "fulfillable_quantity": l.fulfillable,
                    "variant_id": l.variant_id,
                })
            })
            .collect();
        let actions: Vec<&str> = if status == "closed" {
            Vec::new()
        } else {
            vec!["create_fulfillment", "request_fulfillment", "move", "hold"]
        };
        json!({
            "id": fo.id,
            "shop_id": self.config.shop_id,
            "order_id": order.id,
            "assigned_location_id": self.config.location_id,
            "request_status": "unsubmitted",
            "status": status,
            "supported_actions": actions,
            "destination": null,
            "line_items": lines,
            "fulfillment_holds": [],
            "merchant_requests": [],
            "fulfill_at": null,
            "fulfill_by": null,
            "international_duties": null,
            "delivery_method": {"id": fo.id + 1, "method_type": "shipping"},
            "assigned_location": {"location_id": self.config.location_id, "name": "Sandbox Warehouse"},
            "created_at": null,
            "updated_at": null,
        })
    }
}

/// An order payload (bare, or wrapped in `{"order": …}` as the Admin API answers): the order,
/// its id and its line items.
fn order_and_items(payload: &Value) -> Result<(&Value, u64, &Vec<Value>), String> {
    let order = payload.get("order").unwrap_or(payload);
    let id = order
        .get("id")
        .and_then(Value::as_u64)
        .ok_or("order.id is missing or not a number")?;
    let items = order
        .get("line_items")
        .and_then(Value::as_array)
        .ok_or("order.line_items is missing")?;
    Ok((order, id, items))
}

/// The id of line item `i`.
fn item_id(item: &Value, i: usize) -> Result<u64, String> {
    item.get("id")
        .and_then(Value::as_u64)
        .ok_or(format!("line_items[{i}].id is missing"))
}

fn find_order<'a>(inner: &'a Inner, order_id: &str) -> Result<&'a Order, Refusal> {
    order_id
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| inner.orders.get(&id))
        .ok_or_else(not_found)
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

fn fulfillment_json(order: &Order, f: &FulfillmentRecord, location_id: u64) -> Value {
    let line_items: Vec<Value> = f
        .line_items
        .iter()
        .map(|fl| {
            let line = order.lines.iter().find(|l| l.id == fl.line_item_id);
            json!({
                "id": fl.line_item_id,
                "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", fl.line_item_id),
                "quantity": fl.quantity,
                "variant_id": line.and_then(|l| l.variant_id),
                "title": line.map(|l| l.title.clone()),
                "sku": line.and_then(|l| l.sku.clone()),
                "fulfillment_service": "manual",
                "fulfillment_status": "fulfilled",
                "requires_shipping": true,
            })
        })
        .collect();
    let numbers: Vec<&String> = f.tracking_number.iter().collect();
    let urls: Vec<&String> = f.tracking_url.iter().collect();
    json!({
        "id": f.id,
        "admin_graphql_api_id": format!("gid://shopify/Fulfillment/{}", f.id),
        "order_id": f.order_id,
        "name": f.name,
        "status": "success",
        "service": "manual",
        "location_id": location_id,
        "tracking_company": f.tracking_company,
        "tracking_number": f.tracking_number,
        "tracking_numbers": numbers,
        "tracking_url": f.tracking_url,
        "tracking_urls": urls,
        "shipment_status": null,
        "line_items": line_items,
        "created_at": f.created_at,
        "updated_at": f.created_at,
    })
}
