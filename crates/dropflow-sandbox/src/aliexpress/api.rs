//! The five dropshipping APIs the sandbox answers, in AliExpress's shapes (protocols.md §3.5):
//! `aliexpress.ds.order.create`, `aliexpress.trade.ds.order.get`,
//! `aliexpress.ds.order.tracking.get`, `aliexpress.ds.product.get`,
//! `aliexpress.ds.freight.query`.
//!
//! Where the documentation is silent the sandbox makes a choice and says so here: the
//! sub-code for an order that does not exist, the `end_reason` of an order closed unpaid.

use super::catalogue::{delivery, Product, DELIVERIES, UNSERVED_COUNTRY};
use super::orders::{schedule, Item, Order, Payment, Phase, PAY_TIMEOUT, REPEAT_WINDOW};
use super::Shared;
use crate::catalog::decimal;
use crate::faults::{FaultSwitch, Faults};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) const ORDER_CREATE: &str = "aliexpress.ds.order.create";
pub(crate) const ORDER_GET: &str = "aliexpress.trade.ds.order.get";
pub(crate) const TRACKING_GET: &str = "aliexpress.ds.order.tracking.get";
pub(crate) const PRODUCT_GET: &str = "aliexpress.ds.product.get";
pub(crate) const FREIGHT_QUERY: &str = "aliexpress.ds.freight.query";

pub(crate) const METHODS: [&str; 5] = [
    ORDER_CREATE,
    ORDER_GET,
    TRACKING_GET,
    PRODUCT_GET,
    FREIGHT_QUERY,
];

/// The request's parameters (form body and query string together).
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self, name: &str) -> Option<Value> {
        serde_json::from_str(self.get(name)?).ok()
    }
}

pub(crate) fn request_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// `{"<api_with_underscores>_response": {"result": …, "request_id": …}}`.
pub(crate) fn answer(api: &str, result: Value) -> Value {
    let mut body = serde_json::Map::new();
    body.insert(
        format!("{}_response", api.replace('.', "_")),
        json!({ "result": result, "request_id": request_id() }),
    );
    Value::Object(body)
}

/// A gateway error (§3.4).
pub(crate) fn gateway_error(code: &str, message: &str) -> Value {
    json!({ "type": "ISV", "code": code, "message": message, "request_id": request_id() })
}

/// A number sent as a JSON number or as text.
fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
}

fn money(cents: i64) -> Value {
    json!({ "amount": decimal(cents), "currency_code": "USD" })
}

// ---------------------------------------------------------------------------------------------
// aliexpress.ds.order.create

fn create_refused(code: &str, msg: &str) -> Value {
    answer(
        ORDER_CREATE,
        json!({ "is_success": false, "error_code": code, "error_msg": msg }),
    )
}

/// Places an order, or refuses it with one of the documented codes.
pub(crate) fn create(shared: &Shared, params: &Params, faults: &Faults) -> Value {
    let Some(order) = params.json("param_place_order_request4_open_api_d_t_o") else {
        return create_refused(
            "ERROR_WHEN_BUILD_FOR_PLACE_ORDER",
            "param_place_order_request4_open_api_d_t_o is missing or not JSON",
        );
    };
    let extend = params.json("ds_extend_request").unwrap_or(Value::Null);
    let payment = &extend["payment"];
    let pay_currency = payment
        .get("pay_currency")
        .and_then(Value::as_str)
        .unwrap_or("USD");
    if !pay_currency.eq_ignore_ascii_case("USD") {
        return create_refused(
            "PRICE_PAY_CURRENCY_ERROR",
            "Order products should be declared in the same currency.",
        );
    }
    let try_to_pay = match &payment["try_to_pay"] {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let now = shared.clock.elapsed();
    let out_order_id = Some(text(&order, "out_order_id"))
        .filter(|s| !s.is_empty())
        .map(str::to_string);

    let mut state = shared.lock();
    if let Some(reference) = out_order_id.as_ref().and_then(|r| state.references.get(r)) {
        let within = if shared.config.repeat_window_in_real_time {
            reference.first_real.elapsed() < REPEAT_WINDOW
        } else {
            now < reference.first_at + REPEAT_WINDOW
        };
        if within {
            return create_refused(
                "REPEATED_ORDER_ERROR",
                "Order creation request was already handled successfully.",
            );
        }
    }

    let address = &order["logistics_address"];
    let country = text(address, "country").to_ascii_uppercase();
    let missing = ["address", "city", "country", "province"]
        .iter()
        .any(|f| text(address, f).is_empty());
    let contact = text(address, "contact_person").chars().count();
    if missing || (country == "US" && !(2..=32).contains(&contact)) {
        return create_refused(
            "B_DROPSHIPPER_DELIVERY_ADDRESS_VALIDATE_FAIL",
            "Buyer's address validation failed.",
        );
    }
    if FaultSwitch::roll(faults.address_rejection_rate) {
        return create_refused(
            "B_DROPSHIPPER_DELIVERY_ADDRESS_VALIDATE_FAIL",
            "Buyer's address validation failed.",
        );
    }
    if country == UNSERVED_COUNTRY {
        return create_refused("DELIVERY_METHOD_NOT_EXIST", "Delivery method is not valid.");
    }

    // Check every line before touching stock: an order is placed whole or not at all.
    let Some(items) = order["product_items"].as_array().filter(|i| !i.is_empty()) else {
        return create_refused("ERROR_WHEN_BUILD_FOR_PLACE_ORDER", "product_items is empty");
    };
    let mut lines: Vec<(usize, u32, &'static super::catalogue::Delivery)> = Vec::new();
    for item in items {
        let product = number(&item["product_id"])
            .and_then(|id| state.products.iter().position(|p| p.product_id == id));
        let count = number(&item["product_count"]).and_then(|c| u32::try_from(c).ok());
        let (Some(index), Some(count)) = (product, count.filter(|c| *c > 0)) else {
            return create_refused(
                "ERROR_WHEN_BUILD_FOR_PLACE_ORDER",
                "unknown product or count",
            );
        };
        let sku_attr = text(item, "sku_attr");
        // "" is accepted for single-SKU products, as AliExpress documents.
        if !sku_attr.is_empty() && sku_attr != state.products[index].sku_attr {
            return create_refused("ERROR_WHEN_BUILD_FOR_PLACE_ORDER", "unknown sku_attr");
        }
        let service = text(item, "logistics_service_name");
        let chosen = if service.is_empty() {
            Some(&DELIVERIES[0])
        } else {
            delivery(service)
        };
        let Some(chosen) = chosen else {
            return create_refused("DELIVERY_METHOD_NOT_EXIST", "Delivery method is not valid.");
        };
        lines.push((index, count, chosen));
    }
    let short = lines.iter().any(|(index, _, _)| {
        let wanted: u32 = lines
            .iter()
            .filter(|(i, _, _)| i == index)
            .map(|(_, c, _)| *c)
            .sum();
        state.products[*index].stock < wanted
    });
    if short || FaultSwitch::roll(faults.out_of_stock_rate) {
        return create_refused("INVENTORY_HOLD_ERROR", "Product inventory is insufficient.");
    }

    // One order per seller store, as AliExpress does.
    let mut by_store: BTreeMap<u64, Vec<(usize, u32, &'static super::catalogue::Delivery)>> =
        BTreeMap::new();
    for line in lines {
        by_store
            .entry(state.products[line.0].store.id)
            .or_default()
            .push(line);
    }
    let mut numbers = Vec::new();
    for (_, lines) in by_store {
        let id = state.next_id;
        state.next_id += 1 + (id % 7) * 1_000;
        let delivery = lines[0].2;
        let mut items = Vec::new();
        for (index, count, _) in &lines {
            let product: &mut Product = &mut state.products[*index];
            product.stock -= count;
            items.push(Item {
                product_id: product.product_id,
                sku_id: product.sku_id,
                subject: product.subject.clone(),
                count: *count,
                unit_cents: faults.priced(product.cost_cents),
            });
        }
        let store = state.products[lines[0].0].store;
        let s = schedule(id, delivery);
        state.orders.insert(
            id,
            Order {
                id,
                out_order_id: out_order_id.clone(),
                store,
                created: now,
                items,
                delivery,
                shipping_cents: lines
                    .iter()
                    .map(|(_, _, d)| faults.priced(d.fee_cents))
                    .sum(),
                payment: if try_to_pay {
                    Payment::Automatic
                } else {
                    Payment::ByHand(None)
                },
                risk_control: s.risk_control,
                handling: s.handling,
                transit: s.transit,
                tracking_number: s.tracking_number,
            },
        );
        numbers.push(id);
    }
    if let Some(reference) = out_order_id {
        let entry = state
            .references
            .entry(reference)
            .or_insert_with(|| super::Reference {
                first_at: now,
                first_real: std::time::Instant::now(),
                order_ids: Vec::new(),
                placements: 0,
            });
        entry.first_at = now;
        entry.first_real = std::time::Instant::now();
        entry.placements += 1;
        entry.order_ids.extend(&numbers);
    }
    answer(
        ORDER_CREATE,
        json!({ "is_success": true, "order_list": { "number": numbers } }),
    )
}

// ---------------------------------------------------------------------------------------------
// aliexpress.trade.ds.order.get

/// A remote error in §3.4's shape. AliExpress documents no sub-code for an order that does not
/// exist (or is not this account's); `isv.order-not-exist` is the sandbox's.
fn no_such_order() -> Value {
    json!({
        "code": "15",
        "type": "ISV",
        "sub_code": "isv.order-not-exist",
        "sub_msg": "The order does not exist.",
        "msg": "Remote service error",
        "request_id": request_id(),
    })
}

pub(crate) fn order_get(shared: &Shared, params: &Params) -> Value {
    let id = params
        .json("single_order_query")
        .and_then(|q| number(&q["order_id"]));
    let now = shared.clock.elapsed();
    let state = shared.lock();
    let Some(order) = id.and_then(|id| state.orders.get(&id)) else {
        return no_such_order();
    };
    let (order_status, logistics_status) = order.statuses(now);
    let closed_unpaid = order.phase(now) == Phase::Closed;
    let children: Vec<Value> = order
        .items
        .iter()
        .map(|i| {
            json!({
                "product_id": i.product_id,
                "sku_id": i.sku_id.to_string(),
                "product_name": i.subject,
                "product_count": i.count,
                "product_price": money(i.unit_cents),
                // The sandbox's wording; AliExpress does not document the values.
                "end_reason": if closed_unpaid { "buyer_pay_timeout" } else { "" },
            })
        })
        .collect();
    let mut result = json!({
        "gmt_create": shared.clock.at(order.created).format("%Y-%m-%d %H:%M:%S").to_string(),
        "order_status": order_status,
        "logistics_status": logistics_status,
        "order_amount": money(order.total_cents()),
        "user_order_amount": money(order.total_cents()),
        "pay_timeout_second": PAY_TIMEOUT.as_secs().to_string(),
        "child_order_list": { "aeop_child_order_info": children },
        "store_info": {
            "store_id": order.store.id,
            "store_name": order.store.name,
            "store_url": format!("https://www.aliexpress.com/store/{}", order.store.id),
        },
    });
    if let Some(paid) = order.paid_at().filter(|t| *t <= now) {
        result["order_paidtime_string"] = json!(shared
            .clock
            .at(paid)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string());
    }
    if order.shipped_at().is_some_and(|t| t <= now) {
        result["logistics_info_list"] = json!({
            "aeop_order_logistics_info": [{
                "logistics_no": order.tracking_number,
                "logistics_service": order.delivery.code,
            }]
        });
    }
    answer(ORDER_GET, result)
}

// ---------------------------------------------------------------------------------------------
// aliexpress.ds.order.tracking.get

pub(crate) fn tracking_get(shared: &Shared, params: &Params) -> Value {
    let not_found = || {
        answer(
            TRACKING_GET,
            json!({ "ret": false, "code": "1001", "msg": "TRACKING DATA NOT FOUND" }),
        )
    };
    let id = params
        .get("ae_order_id")
        .and_then(|s| s.trim().parse::<u64>().ok());
    let now = shared.clock.elapsed();
    let state = shared.lock();
    let Some(order) = id.and_then(|id| state.orders.get(&id)) else {
        return not_found();
    };
    let scans = order.scans(now);
    if scans.is_empty() {
        return not_found();
    }
    let ms = |t| shared.clock.at(t).timestamp_millis();
    let nodes: Vec<Value> = scans
        .iter()
        .rev()
        .map(|(at, name, desc)| {
            json!({ "time_stamp": ms(*at), "tracking_name": name, "tracking_detail_desc": desc })
        })
        .collect();
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|i| {
            json!({ "item_id": i.product_id, "quantity": i.count, "item_title": i.subject,
                    "sku_desc": "" })
        })
        .collect();
    let eta = order.delivered_at().map(ms);
    answer(
        TRACKING_GET,
        json!({
            "ret": true,
            "code": "200",
            "msg": "success",
            "data": { "tracking_detail_line_list": { "tracking_detail": [{
                "mail_no": order.tracking_number,
                "carrier_name": order.delivery.company,
                "eta_time_stamps": eta,
                "detail_node_list": { "detail_node": nodes },
                "package_item_list": { "package_item": items },
            }]}}
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// aliexpress.ds.product.get

pub(crate) fn product_get(shared: &Shared, params: &Params, faults: &Faults) -> Value {
    let id = params
        .get("product_id")
        .and_then(|s| s.trim().parse::<u64>().ok());
    let country = params
        .get("ship_to_country")
        .unwrap_or("")
        .to_ascii_uppercase();
    let state = shared.lock();
    let Some(p) = id.and_then(|id| state.products.iter().find(|p| p.product_id == id)) else {
        return answer(
            PRODUCT_GET,
            json!({ "rsp_code": "605", "rsp_msg": "ITEM_ID_NOT_FOUND" }),
        );
    };
    if country == UNSERVED_COUNTRY {
        return answer(
            PRODUCT_GET,
            json!({
                "rsp_code": "602",
                "rsp_msg": "The product cannot be shipped to this country",
            }),
        );
    }
    let sale = faults.priced(p.cost_cents);
    let list = faults.priced(p.cost_cents * 5 / 4);
    answer(
        PRODUCT_GET,
        json!({
            "ae_item_base_info_dto": {
                "product_id": p.product_id,
                "subject": p.subject,
                "product_status_type": "onSelling",
                "currency_code": "USD",
                "category_id": 200_000_001,
                "sales_count": "1523",
            },
            "ae_item_sku_info_dtos": { "ae_item_sku_info_d_t_o": [{
                "sku_id": p.sku_id.to_string(),
                "id": p.sku_attr,
                "sku_attr": p.sku_attr,
                "sku_price": decimal(list),
                "offer_sale_price": decimal(sale),
                "sku_available_stock": p.stock,
                "sku_stock": p.stock > 0,
                "currency_code": "USD",
                "price_include_tax": false,
            }]},
            "ae_store_info": {
                "store_id": p.store.id,
                "store_name": p.store.name,
                "store_country_code": "CN",
            },
            "logistics_info_dto": { "delivery_time": 7, "ship_to_country": country },
            "rsp_code": "200",
            "rsp_msg": "Call succeeds",
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// aliexpress.ds.freight.query

pub(crate) fn freight_query(shared: &Shared, params: &Params, faults: &Faults) -> Value {
    let request = params.json("queryDeliveryReq").unwrap_or(Value::Null);
    let country = text(&request, "shipToCountry").to_ascii_uppercase();
    let product = number(&request["productId"]);
    let state = shared.lock();
    let known = product.is_some_and(|id| state.products.iter().any(|p| p.product_id == id));
    if !known {
        return answer(
            FREIGHT_QUERY,
            json!({ "code": 501, "success": false, "msg": "DELIVERY_INFO_EMPTY" }),
        );
    }
    if country == UNSERVED_COUNTRY {
        return answer(
            FREIGHT_QUERY,
            json!({
                "code": 505,
                "success": false,
                "msg": "DELIVERY_NOT_AVAILABLE_TO_YOUR_ADDRESS",
            }),
        );
    }
    let options: Vec<Value> = DELIVERIES
        .iter()
        .map(|d| {
            let fee = faults.priced(d.fee_cents);
            json!({
                "code": d.code,
                "company": d.company,
                "shipping_fee_cent": decimal(fee),
                "shipping_fee_currency": "USD",
                "shipping_fee_format": format!("${}", decimal(fee)),
                "free_shipping": fee == 0,
                "min_delivery_days": d.min_days,
                "max_delivery_days": d.max_days,
                "delivery_date_desc": format!("{}-{} days", d.min_days, d.max_days),
                "ship_from_country": "CN",
                "tracking": true,
            })
        })
        .collect();
    answer(
        FREIGHT_QUERY,
        json!({
            "code": 200,
            "success": true,
            "msg": "success",
            "delivery_options": { "delivery_option_d_t_o": options },
        }),
    )
}
