//! The HTTP surface: CJ's v2 paths under `/api2.0/v1`, each answering CJ's envelope
//! `{code, result, message, data, requestId}`. Business refusals are HTTP 200 with a non-200
//! `code` (as CJ's examples show); only injected faults use other HTTP statuses (429 with
//! `Retry-After`, 5xx, a hold that outlasts any client timeout).
//!
//! Layers, outermost first: faults (every path), then the guard (token, then QPS) on every
//! path but the three `authentication/*` ones.

use super::state::{code, PayBy, Refusal, Shared};
use crate::faults::FaultAnswers;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Where CJ's v2 API lives on its host.
pub(crate) const BASE_PATH: &str = "/api2.0/v1";

/// The header CJ reads the access token from.
const TOKEN_HEADER: &str = "CJ-Access-Token";

#[derive(Clone)]
pub(crate) struct App {
    pub shared: Arc<Shared>,
}

/// CJ's words for the injected faults: a bare HTML page for a 5xx, its envelope for a 429;
/// a timed-out `createOrderV2` may still place the order, a timed-out `disputes/create` may
/// still open the dispute.
pub(crate) const FAULT_ANSWERS: FaultAnswers = FaultAnswers {
    server_error: crate::faults::html_error_page,
    rate_limited: || {
        let body = envelope(
            code::TOO_MANY_REQUESTS,
            false,
            "Too Many Requests",
            Value::Null,
        );
        let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        response
            .headers_mut()
            .insert("Retry-After", HeaderValue::from_static("1"));
        response
    },
    carried_out_despite_timeout: |path| {
        path.ends_with("/createOrderV2") || path.ends_with("/disputes/create")
    },
};

type Params = Query<HashMap<String, String>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let app = App { shared };
    let guarded = Router::new()
        .route("/shopping/order/createOrderV2", post(create_order))
        .route("/shopping/order/list", get(list_orders))
        .route("/shopping/order/getOrderDetail", get(order_detail))
        .route("/shopping/order/deleteOrder", delete(delete_order))
        .route("/shopping/order/confirmOrder", patch(confirm_order))
        .route("/shopping/pay/payBalance", post(pay_balance))
        .route("/shopping/pay/payBalanceV2", post(pay_balance_v2))
        .route("/shopping/pay/getBalance", get(get_balance))
        .route("/logistic/trackInfo", get(track_info))
        .route("/logistic/freightCalculate", post(freight))
        .route("/product/variant/queryByVid", get(variant))
        .route("/product/stock/queryByVid", get(stock))
        .route("/setting/get", get(settings))
        .route("/disputes/disputeProducts", get(dispute_products))
        .route("/disputes/disputeConfirmInfo", post(dispute_confirm_info))
        .route("/disputes/create", post(create_dispute))
        .route("/disputes/getDisputeList", get(dispute_list))
        .route_layer(middleware::from_fn_with_state(app.clone(), guard));
    let auth = Router::new()
        .route("/authentication/getAccessToken", post(get_access_token))
        .route(
            "/authentication/refreshAccessToken",
            post(refresh_access_token),
        )
        .route("/authentication/logout", post(logout));
    Router::new()
        .nest(BASE_PATH, guarded.merge(auth))
        .fallback(unknown_path)
        .with_state(app)
}

// ---- envelope -------------------------------------------------------------------------

fn envelope(code: i64, result: bool, message: &str, data: Value) -> Value {
    json!({
        "code": code,
        "result": result,
        "message": message,
        "data": data,
        "requestId": uuid::Uuid::now_v7().to_string(),
    })
}

fn ok(data: Value) -> Response {
    Json(envelope(code::SUCCESS, true, "Success", data)).into_response()
}

fn fail(refusal: Refusal) -> Response {
    Json(envelope(refusal.code, false, &refusal.message, Value::Null)).into_response()
}

fn answer(result: Result<Value, Refusal>) -> Response {
    match result {
        Ok(data) => ok(data),
        Err(refusal) => fail(refusal),
    }
}

fn json_body(body: &Bytes) -> Result<Value, Refusal> {
    serde_json::from_slice(body).map_err(|_| Refusal {
        code: code::ILLEGAL_PARAMETER,
        message: "The request body is not valid JSON".to_string(),
    })
}

fn param<'a>(params: &'a Params, name: &str) -> Result<&'a str, Refusal> {
    params
        .get(name)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Refusal {
            code: code::ILLEGAL_PARAMETER,
            message: format!("{name} is required"),
        })
}

// ---- layers ---------------------------------------------------------------------------

/// The token check, then the per-second limit.
async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok());
    if let Err(refusal) = app.shared.check_token(token) {
        return fail(refusal);
    }
    if let Err(refusal) = app.shared.admit() {
        return fail(refusal);
    }
    next.run(request).await
}

async fn unknown_path() -> Response {
    let body = envelope(404, false, "Not Found", Value::Null);
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

// ---- authentication -------------------------------------------------------------------

async fn get_access_token(State(app): State<App>, body: Bytes) -> Response {
    answer(json_body(&body).and_then(|b| {
        let key = b.get("apiKey").and_then(Value::as_str).unwrap_or_default();
        app.shared.login(key)
    }))
}

async fn refresh_access_token(State(app): State<App>, body: Bytes) -> Response {
    answer(json_body(&body).and_then(|b| {
        let token = b
            .get("refreshToken")
            .and_then(Value::as_str)
            .unwrap_or_default();
        app.shared.refresh(token)
    }))
}

async fn logout(State(app): State<App>, request: Request) -> Response {
    if let Some(token) = request
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        app.shared.logout(token);
    }
    ok(json!(true))
}

// ---- orders and payment ---------------------------------------------------------------

async fn create_order(State(app): State<App>, body: Bytes) -> Response {
    answer(json_body(&body).and_then(|b| app.shared.create_order(&b)))
}

async fn list_orders(State(app): State<App>, params: Params) -> Response {
    let number = |name: &str, default: u64| {
        params
            .get(name)
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(default)
    };
    ok(app
        .shared
        .list_orders(number("pageNum", 1), number("pageSize", 20)))
}

async fn order_detail(State(app): State<App>, params: Params) -> Response {
    answer(param(&params, "orderId").and_then(|id| app.shared.order_detail(id)))
}

async fn delete_order(State(app): State<App>, params: Params) -> Response {
    answer(
        param(&params, "orderId")
            .and_then(|id| app.shared.delete_order(id))
            .map(|()| json!(true)),
    )
}

/// `PATCH shopping/order/confirmOrder`: CJ's table lists one parameter, `orderId`; clients send
/// it as a JSON body, and the sandbox reads the query string as well.
async fn confirm_order(State(app): State<App>, params: Params, body: Bytes) -> Response {
    let from_body = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b.get("orderId").and_then(Value::as_str).map(str::to_string));
    let id = from_body.or_else(|| params.get("orderId").cloned());
    answer(
        match id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            Some(id) => app.shared.confirm_order(id).map(|()| json!(true)),
            None => Err(Refusal {
                code: code::ILLEGAL_PARAMETER,
                message: "orderId must be not empty".to_string(),
            }),
        },
    )
}

async fn pay_balance(State(app): State<App>, body: Bytes) -> Response {
    answer(json_body(&body).and_then(|b| {
        let id = b.get("orderId").and_then(Value::as_str).unwrap_or_default();
        app.shared.pay(PayBy::OrderId(id)).map(|()| Value::Null)
    }))
}

async fn pay_balance_v2(State(app): State<App>, body: Bytes) -> Response {
    answer(json_body(&body).and_then(|b| {
        let id = b
            .get("shipmentOrderId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        app.shared
            .pay(PayBy::ShipmentOrderId(id))
            .map(|()| Value::Null)
    }))
}

async fn get_balance(State(app): State<App>) -> Response {
    let cents = app.shared.balance_cents();
    ok(json!({
        "amount": super::orders::usd(cents),
        "noWithdrawalAmount": 0.0,
        "freezeAmount": 0.0,
    }))
}

// ---- logistics, products, settings ----------------------------------------------------

async fn track_info(State(app): State<App>, params: Params) -> Response {
    answer(param(&params, "trackNumber").map(|n| app.shared.track_info(n)))
}

async fn freight(State(app): State<App>, body: Bytes) -> Response {
    answer(json_body(&body).and_then(|b| app.shared.freight(&b)))
}

async fn variant(State(app): State<App>, params: Params) -> Response {
    answer(param(&params, "vid").map(|vid| app.shared.variant(vid)))
}

async fn stock(State(app): State<App>, params: Params) -> Response {
    answer(param(&params, "vid").map(|vid| app.shared.stock(vid)))
}

async fn settings(State(app): State<App>) -> Response {
    ok(json!({
        "qpsLimit": app.shared.config.qps_limit,
        "quotaLimits": [],
        "isSandbox": true,
    }))
}

// ---- disputes -------------------------------------------------------------------------

async fn dispute_products(State(app): State<App>, params: Params) -> Response {
    answer(param(&params, "orderId").and_then(|id| app.shared.dispute_products(id)))
}

async fn dispute_confirm_info(State(app): State<App>, body: Bytes) -> Response {
    answer(json_body(&body).and_then(|b| app.shared.dispute_confirm_info(&b)))
}

async fn create_dispute(State(app): State<App>, body: Bytes) -> Response {
    answer(json_body(&body).and_then(|b| app.shared.create_dispute(&b)))
}

/// `getDisputeList`: every parameter optional (`orderId`, `disputeId`, `orderNumber`,
/// `pageNum` default 1, `pageSize` default 10).
async fn dispute_list(State(app): State<App>, params: Params) -> Response {
    let given = |name: &str| params.get(name).map(|s| s.trim()).filter(|s| !s.is_empty());
    let number =
        |name: &str, default: u64| given(name).and_then(|s| s.parse().ok()).unwrap_or(default);
    ok(app.shared.dispute_list(
        given("orderId"),
        given("disputeId"),
        given("orderNumber"),
        number("pageNum", 1),
        number("pageSize", 10),
    ))
}
