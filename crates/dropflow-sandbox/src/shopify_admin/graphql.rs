//! `POST /admin/api/2026-07/graphql.json`: the GraphQL Admin API, as far as the sandbox
//! serves it: the `refundCreate` mutation (`docs/protocols/after-sale.md` §1.1–1.2) here,
//! the catalogue's operations in [`super::catalogue_graphql`].
//!
//! The operation is told by the mutation field it names (`refundCreate`), and its input is
//! read from `variables` (the shape of the documented example: `mutation M($input:
//! RefundInput!) { refundCreate(input: $input) { … } }` with `{"variables": {"input": …}}`,
//! https://shopify.dev/docs/api/admin-graphql/latest/mutations/refundCreate).
//!
//! Idempotency, as Shopify documents it for `refundCreate` from 2026-04
//! (https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations,
//! https://shopify.dev/docs/api/usage/implementing-idempotency):
//! - a `refundCreate` without `@idempotent(key: …)` is refused ("calling these mutations
//!   without an idempotency directive will result in an error at runtime");
//! - the same key with the same variables answers the first result again and creates
//!   nothing ("It will return the result of the original operation instead of creating a new
//!   one");
//! - the same key with other variables is refused with `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`,
//!   "The same idempotency key cannot be used with different operation parameters." (the
//!   code and words of the `@idempotent` mutations' error enums, e.g.
//!   `InventoryCountUpdateMetadataUserErrorCode`).
//!
//! Sandbox choices where the sources are silent: `refundCreate`'s `userErrors` are plain
//! `UserError`s (`field`, `message`: no `code`), so the missing directive and the mismatch are
//! answered as top-level GraphQL `errors` with `extensions.code`; only successful results are
//! kept for replay (a refused request may be sent again with its key); keys do not expire;
//! the answer carries the refund's `id`, `legacyResourceId`, `note`, `createdAt` and
//! `totalRefundedSet` whatever the selection asks; money in answers is written as Shopify's
//! `Decimal` (`"10.0"`, `"41.94"`: trailing zeros dropped, one decimal kept).

use super::money::{graphql_decimal, value_text};
use super::refunds::{RefundedLine, UserError, Wanted, WantedTransaction};
use super::routes::App;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Catalogue operations go to [`super::catalogue_graphql`] (metered by query cost);
/// everything else is `refundCreate`'s, metered by the REST bucket as before.
pub(crate) async fn graphql(State(app): State<App>, body: Bytes) -> Response {
    if let Ok(request) = serde_json::from_slice::<Value>(&body) {
        if let Some(query) = request.get("query").and_then(Value::as_str) {
            if let Some(op) = super::catalogue_graphql::operation(query) {
                let variables = request.get("variables").cloned().unwrap_or(json!({}));
                return super::catalogue_graphql::answer(&app, op, query, &variables);
            }
        }
    }
    let metered = app.clone();
    super::routes::metered(&metered, refund_graphql(app, body)).await
}

async fn refund_graphql(app: App, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": {"query": "Required parameter missing or invalid"}})),
        )
            .into_response();
    };
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": {"query": "Required parameter missing or invalid"}})),
        )
            .into_response();
    };
    let variables = request.get("variables").cloned().unwrap_or(json!({}));
    if !query.trim_start().starts_with("mutation") || !query.contains("refundCreate") {
        return ok(errors(
            "This sandbox serves only refundCreate and the catalogue operations.",
            "undefinedField",
        ));
    }
    let Some(key) = idempotency_key(query, &variables) else {
        return ok(errors(
            "The refundCreate mutation requires the @idempotent directive with a key.",
            "BAD_REQUEST",
        ));
    };
    let Some(input_name) = input_variable(query) else {
        return ok(errors(
            "This sandbox reads refundCreate's input from a variable ($input).",
            "BAD_REQUEST",
        ));
    };
    let (answer, lose) = {
        let mut book = app.shared.book();
        if let Some((first, answer)) = book.idempotency.get(&key) {
            if *first == variables {
                return ok(answer.clone());
            }
            return ok(errors(
                "The same idempotency key cannot be used with different operation parameters.",
                "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
            ));
        }
        let input = variables.get(&input_name).unwrap_or(&Value::Null);
        let wanted = match read_input(input) {
            Ok(w) => w,
            Err((path, why)) => {
                return ok(json!({"errors": [{
                    "message": format!(
                        "Variable ${input_name} of type RefundInput! was provided invalid value for {path} ({why})"
                    ),
                    "extensions": {"code": "INVALID_VARIABLE", "problems": [{"path": path.split('.').collect::<Vec<_>>(), "explanation": why}]}
                }]}));
            }
        };
        match book.create(&wanted) {
            Ok(record) => {
                let (currency, decimals) = book
                    .currency(record.order_id)
                    .unwrap_or_else(|| ("USD".to_string(), 2));
                let amount = graphql_decimal(record.amount_minor, decimals);
                let answer = json!({"data": {"refundCreate": {
                    "refund": {
                        "id": format!("gid://shopify/Refund/{}", record.id),
                        "legacyResourceId": record.id.to_string(),
                        "note": record.note,
                        "createdAt": record.created_at,
                        "totalRefundedSet": {
                            "shopMoney": {"amount": amount, "currencyCode": currency},
                            "presentmentMoney": {"amount": amount, "currencyCode": currency},
                        },
                    },
                    "userErrors": [],
                }}});
                book.idempotency
                    .insert(key, (variables.clone(), answer.clone()));
                let lose = std::mem::take(&mut book.lose_next_answer);
                (answer, lose)
            }
            Err(user_errors) => {
                let list: Vec<Value> = user_errors.iter().map(UserError::to_json).collect();
                return ok(json!({"data": {"refundCreate": {"refund": null, "userErrors": list}}}));
            }
        }
    };
    if lose {
        // Carried out; the answer never reaches the caller (it has given up by now).
        tokio::time::sleep(app.shared.config.timeout_hold).await;
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    ok(answer)
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

fn errors(message: &str, code: &str) -> Value {
    json!({"errors": [{"message": message, "extensions": {"code": code}}]})
}

/// The key of `@idempotent(key: "…")`, or of `@idempotent(key: $name)` from the variables.
fn idempotency_key(query: &str, variables: &Value) -> Option<String> {
    let after = &query[query.find("@idempotent")? + "@idempotent".len()..];
    let args = after.trim_start().strip_prefix('(')?;
    let args = &args[..args.find(')')?];
    let value = args
        .trim()
        .strip_prefix("key")?
        .trim_start()
        .strip_prefix(':')?
        .trim();
    let key = if let Some(name) = value.strip_prefix('$') {
        variables.get(name.trim())?.as_str()?.to_string()
    } else {
        value.strip_prefix('"')?.strip_suffix('"')?.to_string()
    };
    Some(key).filter(|k| !k.trim().is_empty())
}

/// The variable `refundCreate(input: $name)` reads.
fn input_variable(query: &str) -> Option<String> {
    let after = &query[query.find("refundCreate")? + "refundCreate".len()..];
    let args = after.trim_start().strip_prefix('(')?;
    let args = &args[..args.find(')')?];
    let value = args
        .trim()
        .strip_prefix("input")?
        .trim_start()
        .strip_prefix(':')?
        .trim();
    let name = value.strip_prefix('$')?;
    Some(name.trim().to_string())
}

type Invalid = (String, String);

fn invalid(path: impl Into<String>, why: &str) -> Invalid {
    (path.into(), why.to_string())
}

/// `gid://shopify/{kind}/{id}` → id.
fn gid(v: Option<&Value>, kind: &str, path: &str) -> Result<u64, Invalid> {
    let text = v
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(path, "Expected value to not be null"))?;
    text.strip_prefix("gid://shopify/")
        .and_then(|rest| rest.strip_prefix(kind))
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| invalid(path, &format!("Invalid global id '{text}'")))
}

fn money(v: Option<&Value>, path: &str) -> Result<String, Invalid> {
    match v {
        Some(v @ (Value::String(_) | Value::Number(_))) => Ok(value_text(v)),
        _ => Err(invalid(path, "Expected value to be a Money string")),
    }
}

/// A `RefundInput` from the variables.
fn read_input(input: &Value) -> Result<Wanted, Invalid> {
    if !input.is_object() {
        return Err(invalid("input", "Expected value to not be null"));
    }
    let text = |name: &str| input.get(name).and_then(Value::as_str).map(str::to_string);
    let flag = |name: &str| input.get(name).and_then(Value::as_bool).unwrap_or(false);
    let mut wanted = Wanted {
        order_id: gid(input.get("orderId"), "Order", "orderId")?,
        currency: text("currency"),
        note: text("note"),
        notify: flag("notify"),
        allow_over_refunding: flag("allowOverRefunding"),
        ..Wanted::default()
    };
    for (i, line) in list(input, "refundLineItems").iter().enumerate() {
        let path = |f: &str| format!("refundLineItems.{i}.{f}");
        let quantity = line
            .get("quantity")
            .and_then(Value::as_u64)
            .and_then(|q| u32::try_from(q).ok())
            .ok_or_else(|| invalid(path("quantity"), "Expected value to be an Int"))?;
        let location_id = match line.get("locationId") {
            None | Some(Value::Null) => None,
            some => Some(gid(some, "Location", &path("locationId"))?),
        };
        wanted.lines.push(RefundedLine {
            line_item_id: gid(line.get("lineItemId"), "LineItem", &path("lineItemId"))?,
            quantity,
            restock_type: line
                .get("restockType")
                .and_then(Value::as_str)
                .unwrap_or("NO_RESTOCK")
                .to_string(),
            location_id,
        });
    }
    if let Some(shipping) = input.get("shipping").filter(|s| !s.is_null()) {
        wanted.shipping_full = shipping.get("fullRefund").and_then(Value::as_bool) == Some(true);
        if let Some(amount) = shipping.get("amount").filter(|a| !a.is_null()) {
            wanted.shipping_amount = Some(money(Some(amount), "shipping.amount")?);
        }
    }
    for (i, tx) in list(input, "transactions").iter().enumerate() {
        let path = |f: &str| format!("transactions.{i}.{f}");
        let parent_id = match tx.get("parentId") {
            None | Some(Value::Null) => None,
            some => Some(gid(some, "OrderTransaction", &path("parentId"))?),
        };
        wanted.transactions.push(WantedTransaction {
            order_id: gid(tx.get("orderId"), "Order", &path("orderId"))?,
            parent_id,
            gateway: tx
                .get("gateway")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(path("gateway"), "Expected value to not be null"))?
                .to_string(),
            kind: tx
                .get("kind")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(path("kind"), "Expected value to not be null"))?
                .to_string(),
            amount: money(tx.get("amount"), &path("amount"))?,
        });
    }
    Ok(wanted)
}

fn list<'a>(input: &'a Value, name: &str) -> &'a [Value] {
    input
        .get(name)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod unit {
    use super::super::money::{id_of, minor_units};
    use super::*;

    #[test]
    fn keys_and_inputs_are_read_from_the_query() {
        let vars = json!({"k": "abc", "input": {}});
        assert_eq!(
            idempotency_key(
                r#"mutation { refundCreate(input: $input) @idempotent(key: "4f5b") { x } }"#,
                &vars
            )
            .as_deref(),
            Some("4f5b")
        );
        assert_eq!(
            idempotency_key("mutation M($k: String!) { refundCreate(input: $input) @idempotent(key: $k) { x } }", &vars).as_deref(),
            Some("abc")
        );
        assert_eq!(
            idempotency_key("mutation { refundCreate(input: $input) { x } }", &vars),
            None
        );
        assert_eq!(
            input_variable(
                "mutation M($input: RefundInput!) { refundCreate(input: $input) { x } }"
            )
            .as_deref(),
            Some("input")
        );
        assert_eq!(graphql_decimal(1000, 2), "10.0");
        assert_eq!(graphql_decimal(4194, 2), "41.94");
        assert_eq!(graphql_decimal(3500, 0), "3500.0");
        assert_eq!(graphql_decimal(12_340, 3), "12.34");
        assert_eq!(minor_units("KWD"), 3);
        assert_eq!(id_of(&json!("42")), Some(42));
    }
}
