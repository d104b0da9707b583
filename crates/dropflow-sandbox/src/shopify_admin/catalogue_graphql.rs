//! The catalogue's side of `POST /admin/api/2026-07/graphql.json`: which catalogue
//! operation a request names, its arguments, the calculated query cost and the bucket it is
//! taken from, and the answer with `extensions.cost`.
//!
//! Cost, as Shopify documents it (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits):
//! an object costs 1 and a scalar 0; a single query may cost at most 1,000 points; every
//! answer carries `extensions.cost { requestedQueryCost actualQueryCost throttleStatus {
//! maximumAvailable currentlyAvailable restoreRate } }`; a request the bucket cannot pay
//! for is answered 200 with `errors: [{message: "Throttled", extensions: {code:
//! "THROTTLED"}}]` and nothing is run. Sandbox choices for the figures the page leaves to
//! "run the query to find out": a mutation costs 10; a `productVariants` page costs 2 plus 3
//! per node asked for (the variant, its inventory item and its product), its actual cost 2
//! plus 3 per node returned, the difference given back; `location` costs 1 and `nodes` 1 per
//! id. A request names one catalogue operation (its first); its object arguments come from
//! `variables` (as the documented examples send them), scalars may be literals.
//!
//! `inventorySetQuantities` must carry `@idempotent(key:)` from 2026-04
//! (https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations);
//! the same key with the same variables answers the first result again, with other
//! variables `IDEMPOTENCY_KEY_PARAMETER_MISMATCH` (a code of
//! `InventorySetQuantitiesUserErrorCode`).

use super::catalogue_ops::{rejected, Rejected, MAX_ITEMS};
use super::routes::App;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// The most a single request may cost.
const MAX_QUERY_COST: f64 = 1000.0;
const MUTATION_COST: f64 = 10.0;

/// A catalogue operation named by a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Page,
    Lookup,
    SetQuantities,
    ItemUpdate,
    BulkUpdate,
    ProductUpdate,
}

impl Operation {
    fn writes(self) -> bool {
        !matches!(self, Operation::Page | Operation::Lookup)
    }
}

/// Whether `name` is selected as a field in `query` (not a prefix of a longer name).
fn names(query: &str, name: &str) -> bool {
    field_at(query, name).is_some()
}

/// Where the field `name` is selected: the byte after its name.
fn field_at(query: &str, name: &str) -> Option<usize> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(found) = query[from..].find(name) {
        let start = from + found;
        let end = start + name.len();
        let before = query[..start].chars().next_back();
        let after = query[end..].chars().next();
        if !before.is_some_and(|c| ident(c) || c == '$') && !after.is_some_and(ident) {
            return Some(end);
        }
        from = end;
    }
    None
}

/// The catalogue operation a GraphQL document names, if any (`refundCreate` is not one).
pub(crate) fn operation(query: &str) -> Option<Operation> {
    if names(query, "refundCreate") {
        return None;
    }
    let mutation = query.trim_start().starts_with("mutation");
    let found = [
        ("inventorySetQuantities", Operation::SetQuantities),
        ("inventoryItemUpdate", Operation::ItemUpdate),
        ("productVariantsBulkUpdate", Operation::BulkUpdate),
        ("productUpdate", Operation::ProductUpdate),
    ]
    .into_iter()
    .find(|(name, _)| names(query, name))
    .map(|(_, op)| op);
    match found {
        Some(op) if mutation => Some(op),
        Some(_) => None,
        None if mutation => None,
        None if names(query, "productVariants") => Some(Operation::Page),
        None if names(query, "location") || names(query, "nodes") => Some(Operation::Lookup),
        None => None,
    }
}

/// The text between the parentheses after field `name`.
fn arguments<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    let after = &query[field_at(query, name)?..];
    let open = after.find(|c: char| !c.is_whitespace())?;
    if !after[open..].starts_with('(') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in after[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&after[open + 1..open + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// Argument `arg` of field `field`: a `$variable` from `variables`, or a scalar literal.
fn argument(query: &str, variables: &Value, field: &str, arg: &str) -> Option<Value> {
    let args = arguments(query, field)?;
    let at = field_at(args, arg)?;
    let value = args[at..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(name) = value.strip_prefix('$') {
        let name: String = name
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        return variables.get(&name).cloned();
    }
    let token: String = if let Some(rest) = value.strip_prefix('"') {
        return Some(Value::String(rest.split('"').next()?.to_string()));
    } else {
        value
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    };
    serde_json::from_str(&token).ok()
}

/// The key of `@idempotent(key: "…")` or `@idempotent(key: $name)`.
fn idempotency_key(query: &str, variables: &Value) -> Option<String> {
    argument(query, variables, "@idempotent", "key")
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|k| !k.trim().is_empty())
}

fn errors(message: &str, code: &str) -> Value {
    json!({"errors": [{"message": message, "extensions": {"code": code}}]})
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

/// What a request costs before it runs.
fn requested_cost(op: Operation, query: &str, variables: &Value) -> f64 {
    match op {
        Operation::Page => {
            let first = argument(query, variables, "productVariants", "first")
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0);
            2.0 + 3.0 * first.max(0.0)
        }
        Operation::Lookup => {
            let location = if names(query, "location") { 1.0 } else { 0.0 };
            let ids = argument(query, variables, "nodes", "ids")
                .and_then(|v| v.as_array().map(Vec::len))
                .unwrap_or(0);
            location + ids as f64
        }
        _ => MUTATION_COST,
    }
}

fn cost_json(requested: f64, actual: Option<f64>, bucket: &super::catalogue::CostBucket) -> Value {
    json!({"cost": {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": bucket.maximum,
            "currentlyAvailable": bucket.available.floor(),
            "restoreRate": bucket.restore_per_second,
        },
    }})
}

/// Answers a catalogue request: cost checked and taken, the operation run, the cost given.
pub(crate) fn answer(app: &App, op: Operation, query: &str, variables: &Value) -> Response {
    let location_id = app.shared.config.location_id;
    let requested = requested_cost(op, query, variables);
    let mut catalogue = app.shared.catalogue();
    catalogue.bucket.restore();
    if requested > MAX_QUERY_COST {
        let mut body = errors(
            &format!(
                "Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST})."
            ),
            "MAX_COST_EXCEEDED",
        );
        body["extensions"] = cost_json(requested, None, &catalogue.bucket);
        return ok(body);
    }
    if requested > catalogue.bucket.available {
        catalogue.throttled += 1;
        let mut body = json!({"errors": [{
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
        }]});
        body["extensions"] = cost_json(requested, None, &catalogue.bucket);
        return ok(body);
    }
    catalogue.bucket.available -= requested;
    if op.writes() {
        catalogue.write_calls += 1;
    } else {
        catalogue.read_calls += 1;
    }
    let arg = |field: &str, name: &str| argument(query, variables, field, name);
    let result: Result<(String, Value), Rejected> = match op {
        Operation::Page => {
            let first = arg("productVariants", "first")
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            let after = arg("productVariants", "after");
            catalogue
                .page(first, after.as_ref().and_then(Value::as_str))
                .map(|data| (String::new(), data))
        }
        Operation::Lookup => {
            let ids = arg("nodes", "ids");
            let ids = ids.as_ref().and_then(Value::as_array).map(Vec::as_slice);
            if ids.is_some_and(|ids| ids.len() > MAX_ITEMS) {
                Err(rejected(
                    format!(
                        "The input array size is greater than the maximum allowed of {MAX_ITEMS}."
                    ),
                    "MAX_INPUT_SIZE_EXCEEDED",
                ))
            } else {
                Ok((
                    String::new(),
                    catalogue.lookup(location_id, names(query, "location"), ids),
                ))
            }
        }
        Operation::SetQuantities => set_quantities(&mut catalogue, location_id, query, variables),
        Operation::ItemUpdate => {
            let id = arg("inventoryItemUpdate", "id").unwrap_or(Value::Null);
            let input = arg("inventoryItemUpdate", "input").unwrap_or(Value::Null);
            Ok((
                "inventoryItemUpdate".into(),
                catalogue.item_update(&id, &input),
            ))
        }
        Operation::BulkUpdate => {
            let product = arg("productVariantsBulkUpdate", "productId").unwrap_or(Value::Null);
            let list = arg("productVariantsBulkUpdate", "variants").unwrap_or(Value::Null);
            let partial = arg("productVariantsBulkUpdate", "allowPartialUpdates")
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            catalogue
                .bulk_update(&product, &list, partial)
                .map(|p| ("productVariantsBulkUpdate".into(), p))
        }
        Operation::ProductUpdate => {
            if arguments(query, "productUpdate").is_some_and(|a| names(a, "input")) {
                Err(rejected(
                    "Field 'productUpdate' doesn't accept argument 'input'",
                    "argumentNotAccepted",
                ))
            } else {
                let product = arg("productUpdate", "product").unwrap_or(Value::Null);
                catalogue
                    .product_update(&product)
                    .map(|p| ("productUpdate".into(), p))
            }
        }
    };
    let actual = match (op, &result) {
        (Operation::Page, Ok((_, data))) => {
            let n = data["productVariants"]["nodes"]
                .as_array()
                .map_or(0, Vec::len);
            2.0 + 3.0 * n as f64
        }
        _ => requested,
    };
    catalogue.bucket.available =
        (catalogue.bucket.available + requested - actual).min(catalogue.bucket.maximum);
    let mut body = match result {
        Ok((field, payload)) if field.is_empty() => json!({"data": payload}),
        Ok((field, payload)) => json!({"data": {field: payload}}),
        Err(e) => errors(&e.message, e.code),
    };
    body["extensions"] = cost_json(requested, Some(actual), &catalogue.bucket);
    ok(body)
}

/// `inventorySetQuantities`, with its mandatory `@idempotent` key.
fn set_quantities(
    catalogue: &mut super::catalogue::Catalogue,
    location_id: u64,
    query: &str,
    variables: &Value,
) -> Result<(String, Value), Rejected> {
    let field = "inventorySetQuantities".to_string();
    let Some(key) = idempotency_key(query, variables) else {
        return Err(rejected(
            "The inventorySetQuantities mutation requires the @idempotent directive with a key.",
            "BAD_REQUEST",
        ));
    };
    let input = argument(query, variables, "inventorySetQuantities", "input")
        .ok_or_else(|| rejected("inventorySetQuantities needs its input", "INVALID_VARIABLE"))?;
    if let Some((first, payload)) = catalogue.idempotency.get(&key) {
        if *first == input {
            return Ok((field, payload.clone()));
        }
        return Ok((
            field,
            json!({"inventoryAdjustmentGroup": null, "userErrors": [{
                "field": null,
                "message": "The same idempotency key cannot be used with different operation parameters.",
                "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
            }]}),
        ));
    }
    let payload = catalogue.set_quantities(location_id, &input)?;
    if payload["userErrors"].as_array().is_some_and(Vec::is_empty) {
        catalogue.idempotency.insert(key, (input, payload.clone()));
    }
    Ok((field, payload))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod unit {
    use super::*;

    #[test]
    fn operations_and_arguments_are_read_from_the_document() {
        let q = "query Page($first: Int!, $after: String) { productVariants(first: $first, after: $after) { nodes { id } } }";
        assert_eq!(operation(q), Some(Operation::Page));
        let vars = json!({"first": 250, "after": "abc"});
        assert_eq!(
            argument(q, &vars, "productVariants", "first"),
            Some(json!(250))
        );
        assert_eq!(
            argument(q, &vars, "productVariants", "after"),
            Some(json!("abc"))
        );
        let m = "mutation M($productId: ID!, $variants: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $productId, variants: $variants) { userErrors { field } } }";
        assert_eq!(operation(m), Some(Operation::BulkUpdate));
        let k = r#"mutation S($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) @idempotent(key: "4f5b") { userErrors { code } } }"#;
        assert_eq!(operation(k), Some(Operation::SetQuantities));
        assert_eq!(idempotency_key(k, &json!({})).as_deref(), Some("4f5b"));
        assert_eq!(
            operation("query { location { id } nodes(ids: $ids) { id } }"),
            Some(Operation::Lookup)
        );
        assert_eq!(
            operation("mutation R($input: RefundInput!) { refundCreate(input: $input) { refund { id } } }"),
            None
        );
        // A literal `first` is read too.
        assert_eq!(
            argument(
                "{ productVariants(first: 3) { nodes { id } } }",
                &json!({}),
                "productVariants",
                "first"
            ),
            Some(json!(3))
        );
    }
}
