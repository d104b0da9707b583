//! The site's orders, notes and refunds behind one mutex, plus what the auth check has seen.
//! Refunds have their own module ([`super::refunds`]); this one keeps orders and notes.

use super::WooAdminConfig;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

/// An order note, as the sandbox recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRecord {
    pub id: u64,
    /// `system` for WooCommerce's own notes, the API user otherwise.
    pub author: String,
    pub note: String,
    pub customer_note: bool,
    pub date_created: String,
}

/// How many requests authenticated each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthSeen {
    /// OAuth 1.0a one-legged (query string or `Authorization: OAuth`).
    pub oauth: u64,
    /// HTTP Basic or `consumer_key`/`consumer_secret` query parameters.
    pub basic: u64,
    /// Refused (401).
    pub refused: u64,
}

/// An error answer: HTTP status and WooCommerce's `{code, message, data:{status}}` body.
pub(crate) type Refusal = (u16, Value);

pub(crate) fn refusal(status: u16, code: &str, message: &str) -> Refusal {
    (
        status,
        json!({"code": code, "message": message, "data": {"status": status}}),
    )
}

const STATUSES: [&str; 8] = [
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
];

/// The author of notes added through the API (the key's user).
const API_USER: &str = "shop-manager";

pub(super) struct Order {
    pub json: Value,
    pub notes: Vec<NoteRecord>,
    /// Oldest first.
    pub refunds: Vec<super::refunds::StoredRefund>,
}

pub(super) struct Inner {
    pub orders: HashMap<u64, Order>,
    /// The next id for anything the site creates (notes, refunds, meta and item rows):
    /// WordPress numbers them from shared sequences, so ids only ever grow.
    pub next_id: u64,
    /// Products and variations ([`super::catalogue`]).
    pub catalogue: super::catalogue::Catalogue,
    nonces: HashSet<String>,
    auth: AuthSeen,
}

/// The sandbox's state behind its routes (what its `Sandbox` methods read).
pub struct Shared {
    pub config: WooAdminConfig,
    inner: Mutex<Inner>,
}

pub(super) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn invalid_order() -> Refusal {
    refusal(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
}

fn invalid_order_for_notes() -> Refusal {
    refusal(
        404,
        "woocommerce_rest_order_invalid_id",
        "Invalid order ID.",
    )
}

pub(super) fn parse_id(id: &str) -> Option<u64> {
    id.trim().parse().ok()
}

/// `on-hold` → `On hold`, as WooCommerce names statuses in its notes.
pub(super) fn status_label(status: &str) -> String {
    let spaced = status.replace('-', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn note_json(note: &NoteRecord) -> Value {
    json!({
        "id": note.id,
        "author": note.author,
        "date_created": note.date_created,
        "date_created_gmt": note.date_created,
        "note": note.note,
        "customer_note": note.customer_note,
    })
}

impl Shared {
    pub fn new(config: WooAdminConfig) -> Self {
        Shared {
            config,
            inner: Mutex::new(Inner {
                orders: HashMap::new(),
                next_id: 9_000,
                catalogue: Default::default(),
                nonces: HashSet::new(),
                auth: AuthSeen::default(),
            }),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- auth bookkeeping -------------------------------------------------------------

    /// Records a nonce; false when it was used before.
    pub fn fresh_nonce(&self, nonce: &str) -> bool {
        self.lock().nonces.insert(nonce.to_string())
    }

    pub fn count_auth(&self, oauth: bool, basic: bool) {
        let mut inner = self.lock();
        if oauth {
            inner.auth.oauth += 1;
        } else if basic {
            inner.auth.basic += 1;
        } else {
            inner.auth.refused += 1;
        }
    }

    pub fn auth_seen(&self) -> AuthSeen {
        self.lock().auth
    }

    // ---- inspection -------------------------------------------------------------------

    pub fn add_order(&self, order: &Value) -> Result<u64, String> {
        let id = order
            .get("id")
            .and_then(Value::as_u64)
            .ok_or("order.id is missing or not a number")?;
        let mut json = order.clone();
        if let Some(obj) = json.as_object_mut() {
            if !obj.get("meta_data").is_some_and(Value::is_array) {
                obj.insert("meta_data".to_string(), json!([]));
            }
            // The site's refunds are the ones made on it (none yet): `refunds[]` says so.
            obj.insert("refunds".to_string(), json!([]));
        } else {
            return Err("the order is not a JSON object".to_string());
        }
        self.lock().orders.insert(
            id,
            Order {
                json,
                notes: Vec::new(),
                refunds: Vec::new(),
            },
        );
        Ok(id)
    }

    pub fn order(&self, order_id: u64) -> Option<Value> {
        self.lock().orders.get(&order_id).map(|o| o.json.clone())
    }

    pub fn order_status(&self, order_id: u64) -> Option<String> {
        self.lock().orders.get(&order_id).and_then(|o| {
            o.json
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
    }

    pub fn meta(&self, order_id: u64, key: &str) -> Option<Value> {
        self.lock().orders.get(&order_id).and_then(|o| {
            o.json
                .get("meta_data")
                .and_then(Value::as_array)
                .and_then(|m| {
                    m.iter()
                        .find(|e| e.get("key").and_then(Value::as_str) == Some(key))
                })
                .and_then(|e| e.get("value").cloned())
        })
    }

    pub fn notes(&self, order_id: u64) -> Vec<NoteRecord> {
        self.lock()
            .orders
            .get(&order_id)
            .map(|o| o.notes.clone())
            .unwrap_or_default()
    }

    // ---- the API ----------------------------------------------------------------------

    pub fn get_order(&self, id: &str) -> Result<Value, Refusal> {
        let inner = self.lock();
        parse_id(id)
            .and_then(|id| inner.orders.get(&id))
            .map(|o| o.json.clone())
            .ok_or_else(invalid_order)
    }

    /// `PUT orders/{id}`: `status` and `meta_data` (an entry with `id` replaces that entry;
    /// one without replaces the first entry with its key, or is added). Setting `refunded`
    /// by hand refunds what is left, without the gateway (`wc_order_fully_refunded`).
    pub fn update_order(&self, id: &str, body: &Value) -> Result<Value, Refusal> {
        let Some(changes) = body.as_object() else {
            return Err(refusal(
                400,
                "rest_invalid_json",
                "Invalid JSON body passed.",
            ));
        };
        let new_status = match changes.get("status") {
            None => None,
            Some(Value::String(s)) => {
                let s = s.strip_prefix("wc-").unwrap_or(s);
                if !STATUSES.contains(&s) {
                    return Err(invalid_param(
                        "status",
                        &format!("status is not one of {}.", STATUSES.join(", ")),
                    ));
                }
                Some(s.to_string())
            }
            Some(_) => return Err(invalid_param("status", "status is not of type string.")),
        };
        let meta = match changes.get("meta_data") {
            None => Vec::new(),
            Some(Value::Array(entries)) => entries.clone(),
            Some(_) => {
                return Err(invalid_param(
                    "meta_data",
                    "meta_data is not of type array.",
                ))
            }
        };
        for entry in &meta {
            if entry.get("key").and_then(Value::as_str).is_none() && entry.get("id").is_none() {
                return Err(invalid_param(
                    "meta_data",
                    "meta_data[0][key] is not of type string.",
                ));
            }
        }
        let mut inner = self.lock();
        let mut next_id = inner.next_id;
        let order = parse_id(id)
            .and_then(|id| inner.orders.get_mut(&id))
            .ok_or_else(invalid_order)?;
        let stamp = now();
        let mut system_note = None;
        let obj = order.json.as_object_mut().ok_or_else(invalid_order)?;
        if let Some(status) = new_status {
            let old = obj
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if old != status {
                system_note = Some(format!(
                    "Order status changed from {} to {}.",
                    status_label(&old),
                    status_label(&status)
                ));
                if status == "completed" {
                    obj.insert("date_completed".into(), json!(stamp));
                    obj.insert("date_completed_gmt".into(), json!(stamp));
                }
                obj.insert("status".into(), json!(status));
            }
        }
        if !meta.is_empty() {
            let list = obj
                .entry("meta_data")
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .ok_or_else(invalid_order)?;
            for entry in meta {
                let key = entry.get("key").and_then(Value::as_str).map(str::to_string);
                let value = entry.get("value").cloned().unwrap_or(Value::Null);
                let by_id = entry.get("id").and_then(Value::as_u64);
                let slot = list.iter_mut().find(|e| match by_id {
                    Some(mid) => e.get("id").and_then(Value::as_u64) == Some(mid),
                    None => e.get("key").and_then(Value::as_str) == key.as_deref(),
                });
                match slot {
                    Some(existing) => {
                        if let Some(e) = existing.as_object_mut() {
                            e.insert("value".into(), value);
                        }
                    }
                    None => {
                        let mut e = Map::new();
                        e.insert("id".into(), json!(next_id));
                        next_id += 1;
                        e.insert("key".into(), json!(key.unwrap_or_default()));
                        e.insert("value".into(), value);
                        list.push(Value::Object(e));
                    }
                }
            }
        }
        obj.insert("date_modified".into(), json!(stamp));
        obj.insert("date_modified_gmt".into(), json!(stamp));
        let became_refunded =
            system_note.is_some() && obj.get("status").and_then(Value::as_str) == Some("refunded");
        if let Some(text) = system_note {
            order.notes.push(NoteRecord {
                id: next_id,
                author: "system".to_string(),
                note: text,
                customer_note: false,
                date_created: stamp,
            });
            next_id += 1;
        }
        if became_refunded {
            super::refunds::fully_refunded(order, &mut next_id, self.config.price_decimals);
        }
        let answer = order.json.clone();
        inner.next_id = next_id;
        Ok(answer)
    }

    pub fn list_notes(&self, id: &str) -> Result<Value, Refusal> {
        let inner = self.lock();
        let order = parse_id(id)
            .and_then(|id| inner.orders.get(&id))
            .ok_or_else(invalid_order_for_notes)?;
        Ok(Value::Array(
            order.notes.iter().rev().map(note_json).collect(),
        ))
    }

    pub fn add_note(&self, id: &str, body: &Value) -> Result<Value, Refusal> {
        let note = body
            .get("note")
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                (
                    400,
                    json!({"code": "rest_missing_callback_param",
                        "message": "Missing parameter(s): note",
                        "data": {"status": 400, "params": ["note"]}}),
                )
            })?;
        let customer_note = match body.get("customer_note") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(invalid_param(
                    "customer_note",
                    "customer_note is not of type boolean.",
                ))
            }
        };
        let mut inner = self.lock();
        let note_id = inner.next_id;
        let order = parse_id(id)
            .and_then(|id| inner.orders.get_mut(&id))
            .ok_or_else(invalid_order_for_notes)?;
        let record = NoteRecord {
            id: note_id,
            author: API_USER.to_string(),
            note: note.to_string(),
            customer_note,
            date_created: now(),
        };
        let answer = note_json(&record);
        order.notes.push(record);
        inner.next_id += 1;
        Ok(answer)
    }
}

pub(super) fn invalid_param(param: &str, reason: &str) -> Refusal {
    (
        400,
        json!({"code": "rest_invalid_param",
            "message": format!("Invalid parameter(s): {param}"),
            "data": {"status": 400, "params": {param: reason}}}),
    )
}
