//! The CJ connector against the CJ sandbox, in process, plus table-driven mappings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use dropflow_core::money::Money;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::reference::currency::Currency;
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::supplier::PurchaseLine;
use dropflow_sandbox::cj::{start, webhook_receiver, CjSandbox, CjSandboxConfig};
use dropflow_sandbox::faults::Faults;

const VID: &str = "92511400-C758-4474-93CA-66D442F5F787";
const DAY: u64 = 86_400;

fn usd(cents: i64) -> Money {
    Money::new(cents, Currency::from_code("USD").unwrap())
}

/// A sandbox started with `config` and a connector to it (2 s timeout).
async fn started(config: CjSandboxConfig) -> (CjSandbox, Cj) {
    let sb = start(config).await.unwrap();
    let cj = connector(&sb);
    (sb, cj)
}

/// The same, the connector already holding a token: for tests about the calls after it.
async fn signed_in(config: CjSandboxConfig) -> (CjSandbox, Cj) {
    let (sb, cj) = started(config).await;
    cj.balance().await.unwrap();
    (sb, cj)
}

fn connector(sandbox: &CjSandbox) -> Cj {
    connector_with(sandbox, |_| {})
}

/// A connector to `sandbox` with settings of its own (`tune` changes the test defaults).
fn connector_with(sandbox: &CjSandbox, tune: impl FnOnce(&mut CjConfig)) -> Cj {
    let mut config = CjConfig::new(&sandbox.base_url, ApiKey::new(sandbox.api_key()));
    config.timeout_ms = 2_000;
    tune(&mut config);
    Cj::new(config)
}

/// Signed in to a sandbox whose tokens last 2 s, and past that: the next call needs a new one.
async fn with_an_expired_token() -> (CjSandbox, Cj) {
    let (sb, cj) = signed_in(CjSandboxConfig {
        access_token_ttl: Duration::from_secs(2),
        ..CjSandboxConfig::default()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    (sb, cj)
}

fn address(country: &str) -> PostalAddress {
    PostalAddress {
        name: Some("Grace Hopper".to_string()),
        company: None,
        address1: Some("969 Market Street".to_string()),
        address2: None,
        city: Some("San Francisco".to_string()),
        province: Some("California".to_string()),
        province_code: Some("CA".to_string()),
        postal_code: Some("94103".to_string()),
        country_code: Some(country.to_string()),
        phone: Some("+1-202-555-0142".to_string()),
    }
}

fn request(attempt_id: &str) -> PurchaseRequest {
    PurchaseRequest {
        attempt_id: attempt_id.to_string(),
        lines: vec![PurchaseLine {
            supplier_product_id: "CJJJ1042911".to_string(),
            supplier_sku_id: VID.to_string(),
            quantity: 2,
            expected_unit_cost: usd(612),
        }],
        ship_to: address("US"),
        email: Some("grace@example.com".to_string()),
        shipping_method: None,
        price_guard_percent: None,
    }
}

async fn placed(cj: &Cj, attempt_id: &str) -> RemoteOrder {
    match cj.place(&request(attempt_id)).await.unwrap() {
        Placement::Placed(order) => order,
        other => panic!("not placed: {other:?}"),
    }
}

// ---- tokens ---------------------------------------------------------------------------

#[tokio::test]
async fn a_token_is_obtained_once_and_reused() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    for _ in 0..3 {
        cj.balance().await.unwrap();
    }
    placed(&cj, "tok-1").await;
    let calls = sb.auth_calls();
    assert_eq!(calls.get_access_token, 1);
    assert_eq!(calls.refresh_access_token, 0);
    assert_eq!(calls.rejected_tokens, 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_refreshed_transparently() {
    let (sb, cj) = with_an_expired_token().await;
    cj.balance().await.unwrap();
    let calls = sb.auth_calls();
    assert_eq!(calls.get_access_token, 1);
    assert_eq!(calls.refresh_access_token, 1);
    // Renewed from the stated expiry, before CJ had to refuse it.
    assert_eq!(calls.rejected_tokens, 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn ten_concurrent_calls_with_an_expired_token_refresh_once() {
    let (sb, cj) = with_an_expired_token().await;
    let results = futures::future::join_all((0..10).map(|_| cj.balance())).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let calls = sb.auth_calls();
    assert_eq!(calls.refresh_access_token, 1);
    assert_eq!(calls.get_access_token, 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_token_cj_stops_accepting_is_renewed_and_the_call_repeated() {
    let (sb, cj) = signed_in(CjSandboxConfig::default()).await;
    sb.revoke_access_tokens();
    placed(&cj, "revoked-1").await;
    let calls = sb.auth_calls();
    assert_eq!(calls.rejected_tokens, 1);
    assert_eq!(calls.refresh_access_token, 1);
    assert_eq!(calls.get_access_token, 1);
    assert_eq!(sb.orders_with_number("revoked-1"), 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_refused_refresh_falls_back_to_a_new_login() {
    let (sb, cj) = signed_in(CjSandboxConfig::default()).await;
    sb.revoke_all_tokens();
    cj.balance().await.unwrap();
    let calls = sb.auth_calls();
    assert_eq!(calls.refresh_access_token, 1);
    assert_eq!(calls.get_access_token, 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_wrong_api_key_is_unauthorized() {
    let sb = start(CjSandboxConfig::default()).await.unwrap();
    let cj = connector_with(&sb, |c| c.api_key = ApiKey::new("CJ1@api@wrong"));
    assert!(matches!(
        cj.balance().await,
        Err(SupplierError::Unauthorized(_))
    ));
    assert!(matches!(
        cj.place(&request("nokey-1")).await,
        Err(SupplierError::Unauthorized(_))
    ));
    assert_eq!(sb.order_count(), 0);
    sb.shutdown().await;
}

// ---- placing --------------------------------------------------------------------------

#[tokio::test]
async fn placing_creates_one_order_keyed_by_our_reference() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    let order = placed(&cj, "place-1").await;
    let remote = sb.order("place-1").unwrap();
    assert_eq!(order.supplier_order_id, remote.order_id);
    assert_eq!(order.attempt_id.as_deref(), Some("place-1"));
    assert_eq!(order.status, SupplierOrderStatus::AwaitingPayment);
    assert_eq!(order.raw_status, "CREATED");
    assert_eq!(order.total_cost, Some(usd(remote.total_cents)));
    assert!(order.tracking.is_empty());
    // The configured default line, since the purchase named none.
    assert_eq!(remote.logistic_name, "CJPacket Ordinary");
    sb.shutdown().await;
}

#[tokio::test]
async fn the_same_order_number_twice_is_a_duplicate_and_one_order() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    placed(&cj, "dup-1").await;
    let again = cj.place(&request("dup-1")).await.unwrap();
    assert_eq!(again, Placement::Rejected(RejectReason::DuplicateReference));
    assert_eq!(sb.orders_with_number("dup-1"), 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_timeout_that_placed_the_order_is_found_by_reference() {
    let sb = start(CjSandboxConfig {
        timeout_hold: Duration::from_secs(5),
        ..CjSandboxConfig::default()
    })
    .await
    .unwrap();
    let cj = connector_with(&sb, |c| c.timeout_ms = 300);
    cj.balance().await.unwrap();
    sb.faults.set(Faults {
        timeout_rate: 1.0,
        place_despite_timeout: true,
        ..Faults::default()
    });
    assert_eq!(
        cj.place(&request("lost-1")).await,
        Err(SupplierError::Timeout)
    );
    sb.faults.set(Faults::default());
    let found = cj.find_by_reference("lost-1").await.unwrap().unwrap();
    assert_eq!(found.attempt_id.as_deref(), Some("lost-1"));
    assert_eq!(
        found.supplier_order_id,
        sb.order("lost-1").unwrap().order_id
    );
    assert_eq!(found.status, SupplierOrderStatus::AwaitingPayment);
    // And a retry is refused as a duplicate, never a second order.
    assert_eq!(
        cj.place(&request("lost-1")).await.unwrap(),
        Placement::Rejected(RejectReason::DuplicateReference)
    );
    assert_eq!(sb.orders_with_number("lost-1"), 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn an_unknown_reference_is_none() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    assert_eq!(cj.find_by_reference("never-placed").await, Ok(None));
    placed(&cj, "someone-else").await;
    assert_eq!(cj.find_by_reference("never-placed").await, Ok(None));
    sb.shutdown().await;
}

#[tokio::test]
async fn finding_by_reference_pages_and_never_guesses_absent() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    for i in 0..60 {
        placed(&cj, &format!("page-{i}")).await;
    }
    // The oldest order is on the second page (50 a page, newest first).
    let found = cj.find_by_reference("page-0").await.unwrap().unwrap();
    assert_eq!(found.attempt_id.as_deref(), Some("page-0"));

    let shallow = connector_with(&sb, |c| c.reference_pages = 1);
    assert!(matches!(
        shallow.find_by_reference("missing").await,
        Err(SupplierError::NotOffered(_))
    ));
    sb.shutdown().await;
}

#[tokio::test]
async fn out_of_stock_is_rejected_as_such() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    sb.faults.set(Faults {
        out_of_stock_rate: 1.0,
        ..Faults::default()
    });
    let expected = Placement::Rejected(RejectReason::OutOfStock {
        supplier_sku_id: VID.to_string(),
    });
    assert_eq!(cj.place(&request("oos-1")).await.unwrap(), expected);
    sb.faults.set(Faults::default());
    sb.set_stock(VID, 1);
    assert_eq!(cj.place(&request("oos-2")).await.unwrap(), expected);
    assert_eq!(sb.order_count(), 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn refused_addresses_and_routes_are_rejected_with_their_reason() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    sb.faults.set(Faults {
        address_rejection_rate: 1.0,
        ..Faults::default()
    });
    assert!(matches!(
        cj.place(&request("addr-1")).await.unwrap(),
        Placement::Rejected(RejectReason::AddressRefused { .. })
    ));
    sb.faults.set(Faults::default());

    let mut nowhere = request("addr-2");
    nowhere.ship_to.country_code = None;
    assert!(matches!(
        cj.place(&nowhere).await.unwrap(),
        Placement::Rejected(RejectReason::AddressRefused { .. })
    ));

    let mut abroad = request("route-1");
    abroad.ship_to = address("DE");
    abroad.shipping_method = Some("USPS+".to_string());
    assert!(matches!(
        cj.place(&abroad).await.unwrap(),
        Placement::Rejected(RejectReason::NotDeliverable { .. })
    ));
    assert_eq!(sb.order_count(), 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_price_guard_refuses_before_anything_is_created() {
    let sb = start(CjSandboxConfig::default()).await.unwrap();
    let cj = connector_with(&sb, |c| c.price_guard_percent = Some(10));
    sb.faults.set(Faults {
        price_factor: 1.5,
        ..Faults::default()
    });
    assert_eq!(
        cj.place(&request("price-1")).await.unwrap(),
        Placement::Rejected(RejectReason::PriceChanged {
            supplier_sku_id: VID.to_string(),
            unit_cost: usd(918),
        })
    );
    assert_eq!(sb.order_count(), 0);
    sb.faults.set(Faults {
        price_factor: 1.05,
        ..Faults::default()
    });
    assert!(matches!(
        cj.place(&request("price-2")).await.unwrap(),
        Placement::Placed(_)
    ));
    sb.shutdown().await;
}

// ---- paying ---------------------------------------------------------------------------

#[tokio::test]
async fn paying_draws_the_order_total_from_the_balance_once() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    let order = placed(&cj, "pay-1").await;
    let before = cj.balance().await.unwrap();
    assert_eq!(before, usd(sb.balance_cents()));
    assert_eq!(
        cj.pay(&order.supplier_order_id).await,
        Ok(PaymentResult::Paid)
    );
    let total = order.total_cost.unwrap();
    assert_eq!(
        cj.balance().await.unwrap().minor,
        before.minor - total.minor
    );
    let now = cj.order(&order.supplier_order_id).await.unwrap();
    assert_eq!(now.status, SupplierOrderStatus::AwaitingShipment);
    assert_eq!(now.raw_status, "UNSHIPPED");
    // Paying again (a retry after a lost answer) is Paid, and charges nothing.
    assert_eq!(
        cj.pay(&order.supplier_order_id).await,
        Ok(PaymentResult::Paid)
    );
    assert_eq!(
        cj.balance().await.unwrap().minor,
        before.minor - total.minor
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn too_little_balance_is_insufficient_balance() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    let order = placed(&cj, "poor-1").await;
    sb.set_balance_cents(100);
    assert_eq!(
        cj.pay(&order.supplier_order_id).await,
        Ok(PaymentResult::InsufficientBalance)
    );
    assert_eq!(sb.balance_cents(), 100);
    sb.set_balance_cents(100_000);
    assert_eq!(
        cj.pay(&order.supplier_order_id).await,
        Ok(PaymentResult::Paid)
    );
    sb.shutdown().await;
}

// ---- limits and failures --------------------------------------------------------------

/// ps-code.html: 1600201 "Quota has been used up". Not a refusal of the order: the quota
/// comes back when CJ's daily points reset, at 00:00 UTC (standard/points.html).
#[tokio::test]
async fn a_used_up_daily_quota_waits_for_midnight_utc_and_refuses_nothing() {
    let (sb, cj) = signed_in(CjSandboxConfig::default()).await;
    sb.set_daily_quota(Some(0));
    match cj.place(&request("quota-1")).await {
        Err(SupplierError::RateLimited {
            retry_after: Some(wait),
        }) => assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(DAY),
            "{wait:?}"
        ),
        other => panic!("not a wait: {other:?}"),
    }
    assert!(matches!(
        cj.balance().await,
        Err(SupplierError::RateLimited {
            retry_after: Some(_)
        })
    ));
    sb.set_daily_quota(None);
    placed(&cj, "quota-1").await;
    sb.shutdown().await;
}

#[tokio::test]
async fn exceeding_the_qps_limit_is_rate_limited() {
    let (sb, cj) = signed_in(CjSandboxConfig {
        qps_limit: Some(3),
        ..CjSandboxConfig::default()
    })
    .await;
    let results = futures::future::join_all((0..8).map(|_| cj.balance())).await;
    assert!(results.iter().any(|r| matches!(
        r,
        Err(SupplierError::RateLimited {
            retry_after: Some(_)
        })
    )));
    assert!(results.iter().filter(|r| r.is_ok()).count() <= 3);
    sb.shutdown().await;
}

#[tokio::test]
async fn http_429_is_rate_limited_with_its_retry_after() {
    let (sb, cj) = signed_in(CjSandboxConfig::default()).await;
    sb.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        cj.place(&request("limited-1")).await,
        Err(SupplierError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        })
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn server_errors_are_unavailable() {
    let (sb, cj) = signed_in(CjSandboxConfig::default()).await;
    sb.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    for attempt in ["down-1", "down-2", "down-3"] {
        assert!(matches!(
            cj.place(&request(attempt)).await,
            Err(SupplierError::Unavailable(_))
        ));
    }
    assert!(matches!(
        cj.order("123").await,
        Err(SupplierError::Unavailable(_))
    ));
    sb.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_cj_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api2.0/v1", listener.local_addr().unwrap());
    drop(listener);
    let cj = Cj::new(CjConfig::new(url, ApiKey::new("k")));
    assert!(matches!(
        cj.place(&request("gone-1")).await,
        Err(SupplierError::Unavailable(_))
    ));
}

// ---- following the order --------------------------------------------------------------

#[tokio::test]
async fn the_order_ships_with_tracking_and_arrives_as_sandbox_time_passes() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    let order = placed(&cj, "ship-1").await;
    cj.pay(&order.supplier_order_id).await.unwrap();
    let id = order.supplier_order_id.as_str();
    assert!(cj.order(id).await.unwrap().tracking.is_empty());

    sb.advance(Duration::from_secs(3 * DAY));
    let shipped = cj.order(id).await.unwrap();
    assert_eq!(shipped.status, SupplierOrderStatus::Shipped);
    let tracking = &shipped.tracking[0];
    assert_eq!(tracking.number.len(), 22);
    assert!(tracking.number.starts_with("94"));
    assert_eq!(tracking.carrier.as_deref(), Some("USPS"));
    assert_eq!(tracking.status, ShipmentStatus::InTransit);
    assert!(tracking.url.as_deref().unwrap().contains(&tracking.number));
    let alone = cj.tracking(&tracking.number).await.unwrap().unwrap();
    assert_eq!(alone.status, ShipmentStatus::InTransit);

    sb.advance(Duration::from_secs(10 * DAY));
    let delivered = cj.order(id).await.unwrap();
    assert_eq!(delivered.status, SupplierOrderStatus::Delivered);
    assert_eq!(delivered.tracking[0].status, ShipmentStatus::Delivered);
    assert_eq!(delivered.tracking[0].number, tracking.number);
    sb.shutdown().await;
}

#[tokio::test]
async fn with_a_fast_clock_an_order_reaches_delivered_in_seconds() {
    let (sb, cj) = started(CjSandboxConfig {
        // A day every 200 ms: shipped after a day, delivered four days later.
        time_scale: DAY as f64 * 5.0,
        ship_after: Duration::from_secs(DAY),
        deliver_after: Duration::from_secs(4 * DAY),
        ..CjSandboxConfig::default()
    })
    .await;
    let order = placed(&cj, "fast-1").await;
    cj.pay(&order.supplier_order_id).await.unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = cj.order(&order.supplier_order_id).await.unwrap();
        if seen.last() != Some(&now.status) {
            seen.push(now.status);
        }
        if now.status == SupplierOrderStatus::Delivered || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every status seen, in order; a slow machine may miss the first, never the middle
    // one (it lasts four sandbox days, 800 ms).
    let journey = [
        SupplierOrderStatus::AwaitingShipment,
        SupplierOrderStatus::Shipped,
        SupplierOrderStatus::Delivered,
    ];
    assert!(journey.ends_with(&seen), "{seen:?}");
    assert!(seen.len() >= 2, "{seen:?}");
    sb.shutdown().await;
}

#[tokio::test]
async fn freight_stock_and_prices_are_read() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    let options = cj
        .freight("US", Some("94103"), &[(VID.to_string(), 2)])
        .await
        .unwrap();
    assert!(options.iter().any(|o| o.logistic_name == "USPS+"));
    assert!(options.iter().all(|o| o.price.minor > 0));
    assert_eq!(cj.variant_price(VID).await.unwrap(), usd(612));
    sb.set_stock(VID, 7);
    assert_eq!(cj.stock(VID).await.unwrap(), 7);
    sb.shutdown().await;
}

// ---- webhooks -------------------------------------------------------------------------

#[tokio::test]
async fn webhooks_the_sandbox_sends_verify_and_parse() {
    let (url, received) = webhook_receiver(WEBHOOK_ACK).await.unwrap();
    let (sb, cj) = started(CjSandboxConfig {
        webhook_url: Some(url),
        webhook_tick: Duration::from_millis(20),
        ..CjSandboxConfig::default()
    })
    .await;
    let ours = placed(&cj, "hook-1").await;
    cj.pay(&ours.supplier_order_id).await.unwrap();
    sb.advance(Duration::from_secs(30 * DAY));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut events = Vec::new();
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let delivered_seen = received.lock().unwrap().iter().any(|(_, body)| {
            matches!(parse_webhook(body), Ok(CjEvent::OrderStatus { status, .. })
                if status == SupplierOrderStatus::Delivered)
        });
        if delivered_seen {
            break;
        }
    }
    let open_id = cj.open_id().await.unwrap().unwrap();
    for (sign, body) in received.lock().unwrap().iter() {
        assert!(verify_signature(&open_id, body, sign), "bad signature");
        assert!(!verify_signature("other", body, sign));
        events.push(parse_webhook(body).unwrap());
    }
    let statuses: Vec<SupplierOrderStatus> = events
        .iter()
        .filter_map(|e| match e {
            CjEvent::OrderStatus { order, status, .. } => {
                assert_eq!(order.attempt_id.as_deref(), Some("hook-1"));
                assert_eq!(
                    order.supplier_order_id,
                    Some(ours.supplier_order_id.clone())
                );
                Some(*status)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            SupplierOrderStatus::AwaitingPayment,
            SupplierOrderStatus::AwaitingShipment,
            SupplierOrderStatus::Shipped,
            SupplierOrderStatus::Delivered
        ]
    );
    let parcels: Vec<ShipmentStatus> = events
        .iter()
        .filter_map(|e| match e {
            CjEvent::Logistics {
                order, tracking, ..
            } => {
                assert_eq!(
                    order.supplier_order_id,
                    Some(ours.supplier_order_id.clone())
                );
                assert_eq!(tracking.carrier.as_deref(), Some("CJPacket Ordinary"));
                Some(tracking.status)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        parcels,
        [
            ShipmentStatus::InfoReceived,
            ShipmentStatus::InTransit,
            ShipmentStatus::OutForDelivery,
            ShipmentStatus::Delivered
        ]
    );
    sb.shutdown().await;
}

#[test]
fn webhook_bodies_as_the_docs_show_them_parse() {
    // CJ's own PRODUCT example (start/webhook.html): acknowledged and ignored.
    let product = br#"{"messageId":"ca72a4834cd14b9588e88ce206f614a0","type":"PRODUCT",
        "messageType":"UPDATE","openId":12312,"params":{"categoryId":null,
        "pid":"1424608189734850560","productDescription":"xxxxxx","productSellPrice":null,
        "fields":["productDescription"]}}"#;
    assert_eq!(
        parse_webhook(product),
        Ok(CjEvent::Ignored {
            message_id: "ca72a4834cd14b9588e88ce206f614a0".to_string(),
            kind: "PRODUCT".to_string()
        })
    );

    // ORDER with the documented parameter set (third-party transcriptions; cjOrderId as a
    // number in one of them).
    let order = br#"{"messageId":"7cceede817dc47ed9748328b64353c5c","type":"ORDER",
        "messageType":"UPDATE","openId":12312,"params":{"orderNumber":"att_01J9Z",
        "cjOrderId":210711100018655344,"orderStatus":"SHIPPED","logisticName":"USPS+",
        "trackNumber":"9400111206206406260787","createDate":"2024-07-11 10:00:18",
        "updateDate":"2024-07-13 09:00:00","payDate":"2024-07-11 10:05:00",
        "deliveryDate":"2024-07-13 09:00:00","completeDate":null}}"#;
    assert_eq!(
        parse_webhook(order),
        Ok(CjEvent::OrderStatus {
            message_id: "7cceede817dc47ed9748328b64353c5c".to_string(),
            order: OrderRef {
                attempt_id: Some("att_01J9Z".to_string()),
                supplier_order_id: Some("210711100018655344".to_string()),
            },
            status: SupplierOrderStatus::Shipped,
            raw_status: "SHIPPED".to_string(),
            tracking: Some(Tracking {
                number: "9400111206206406260787".to_string(),
                carrier: Some("USPS+".to_string()),
                status: ShipmentStatus::InfoReceived,
                url: None,
            }),
        })
    );

    // LOGISTIC, with the scan list as a JSON string.
    let logistic = br##"{"messageId":"m-3","type":"LOGISTIC","messageType":"UPDATE",
        "params":{"orderId":"210711100018655344","storeOrderNumbers":["#1001"],
        "logisticName":"YunExpress","trackingNumber":"YT2229521272164446",
        "trackingStatus":10,"logisticsTrackEvents":"[{\"status\":10}]"}}"##;
    let CjEvent::Logistics {
        order,
        store_order_numbers,
        tracking,
        ..
    } = parse_webhook(logistic).unwrap()
    else {
        panic!("not a logistics event");
    };
    assert_eq!(
        order.supplier_order_id.as_deref(),
        Some("210711100018655344")
    );
    assert_eq!(store_order_numbers, ["#1001"]);
    assert_eq!(tracking.status, ShipmentStatus::OutForDelivery);
    assert_eq!(tracking.carrier.as_deref(), Some("YunExpress"));

    // The registration key's spelling works too; bad bodies are errors, not panics.
    let plural = br#"{"type":"LOGISTICS","params":{"orderId":1,"trackingNumber":"X1"}}"#;
    assert!(matches!(
        parse_webhook(plural),
        Ok(CjEvent::Logistics { .. })
    ));
    assert!(matches!(
        parse_webhook(b"not json"),
        Err(WebhookError::Malformed(_))
    ));
    let no_status = br#"{"type":"ORDER","params":{"orderNumber":"a"}}"#;
    assert!(matches!(
        parse_webhook(no_status),
        Err(WebhookError::Missing {
            field: "orderStatus",
            ..
        })
    ));
    let no_number = br#"{"type":"LOGISTIC","params":{"orderId":"1"}}"#;
    assert!(parse_webhook(no_number).is_err());
    assert!(serde_json::from_str::<serde_json::Value>(WEBHOOK_ACK).is_ok());
}

// ---- mappings -------------------------------------------------------------------------

#[test]
fn every_documented_status_maps() {
    use SupplierOrderStatus as S;
    let table = [
        ("CREATED", S::AwaitingPayment),
        ("IN_CART", S::AwaitingPayment),
        ("UNPAID", S::AwaitingPayment),
        ("UNSHIPPED", S::AwaitingShipment),
        ("SHIPPED", S::Shipped),
        ("DELIVERED", S::Delivered),
        ("CANCELLED", S::Cancelled),
        ("OTHER", S::AwaitingPayment),
    ];
    assert_eq!(
        table.map(|(raw, _)| raw),
        CjOrderStatus::DOCUMENTED,
        "the table covers every documented value"
    );
    for (raw, expected) in table {
        assert_eq!(
            CjOrderStatus::parse(raw).supplier_status(),
            expected,
            "{raw}"
        );
        assert_eq!(
            CjOrderStatus::parse(&raw.to_ascii_lowercase()).supplier_status(),
            expected
        );
    }
    assert_eq!(CjOrderStatus::parse("CANCELED"), CjOrderStatus::Cancelled);
    for unknown in [
        "",
        "PROCESSING",
        "REFUNDED",
        "SHIPPED_PARTIALLY",
        "DELIVERED?",
    ] {
        let status = CjOrderStatus::parse(unknown).supplier_status();
        assert_eq!(status, S::AwaitingPayment, "{unknown:?}");
        assert!(!matches!(status, S::Shipped | S::Delivered));
    }
}

#[test]
fn every_tracking_code_maps() {
    use ShipmentStatus as T;
    let table = [
        (0, T::Pending),
        (1, T::InfoReceived),
        (2, T::InTransit),
        (3, T::Exception),
        (4, T::InTransit),
        (5, T::InTransit),
        (6, T::InTransit),
        (7, T::InTransit),
        (8, T::InTransit),
        (9, T::InTransit),
        (10, T::OutForDelivery),
        (11, T::AvailableForPickup),
        (12, T::Delivered),
        (13, T::Exception),
        (14, T::Exception),
        (15, T::Pending),
        (-1, T::Pending),
    ];
    for (code, expected) in table {
        assert_eq!(tracking_status_from_code(code), expected, "{code}");
        assert_eq!(tracking_status_from_text(&code.to_string()), expected);
    }
    let phrases = [
        ("Warehouse Shipped Out", T::InfoReceived),
        ("In Transit", T::InTransit),
        ("Last-Mile Pickup", T::InTransit),
        ("Customs Cleared", T::InTransit),
        ("Out For Delivery", T::OutForDelivery),
        ("Ready For Pickup", T::AvailableForPickup),
        ("Delivered", T::Delivered),
        ("Delivery Failed", T::AttemptFail),
        ("Forwarder Return", T::Exception),
        ("Expired", T::Expired),
        ("Not found", T::Pending),
        ("", T::Pending),
        ("something new", T::Pending),
    ];
    for (text, expected) in phrases {
        assert_eq!(tracking_status_from_text(text), expected, "{text:?}");
    }
}

/// Refusals are read from CJ's code (ps-code.html); the message only where one code covers
/// several causes (1603000 "Order create fail", 1600300 "Illegal parameter").
#[test]
fn refusals_are_read_from_code_and_message() {
    let lines = request("x").lines;
    let reason = |code, message| transformers::reject_reason(code, message, &lines);
    let sku = || VID.to_string();
    let table = [
        (
            1_603_000,
            "Order create fail: the order number X already exists",
            RejectReason::DuplicateReference,
        ),
        (
            1_603_000,
            "orderNumber is repeated",
            RejectReason::DuplicateReference,
        ),
        (
            1_603_000,
            "Insufficient inventory",
            RejectReason::OutOfStock {
                supplier_sku_id: sku(),
            },
        ),
        (
            1_602_000,
            "Variant not found",
            RejectReason::OutOfStock {
                supplier_sku_id: sku(),
            },
        ),
        (
            1_602_001,
            "Product not found",
            RejectReason::OutOfStock {
                supplier_sku_id: sku(),
            },
        ),
        (
            1_605_000,
            "Logistic not found",
            RejectReason::NotDeliverable {
                detail: "CJ 1605000: Logistic not found".to_string(),
            },
        ),
        // 1603101 is CJ's "Order pay fail", not a repeated order number.
        (
            1_603_101,
            "whatever",
            RejectReason::Other {
                detail: "CJ 1603101: whatever".to_string(),
            },
        ),
    ];
    for (code, message, expected) in table {
        assert_eq!(reason(code, message), expected, "{code} {message}");
    }
    assert!(matches!(
        reason(1_600_300, "shippingZip is invalid"),
        RejectReason::AddressRefused { .. }
    ));
    assert!(matches!(
        reason(1_603_000, "logistic not support this country"),
        RejectReason::NotDeliverable { .. }
    ));
    assert!(matches!(
        reason(1_600_300, "param error"),
        RejectReason::Other { .. }
    ));
    // The code decides, not words in the message.
    assert!(matches!(
        reason(1_604_000, "address stock order number exists"),
        RejectReason::Other { .. }
    ));
    use transformers::CjCode;
    for (code, expected) in [
        (1_600_201, CjCode::QuotaUsedUp),
        (1_603_001, CjCode::OrderConfirmFail),
        (1_603_101, CjCode::OrderPayFail),
        (1_604_000, CjCode::BalanceInsufficient),
        (1_600_031, CjCode::Authorisation(1_600_031)),
        (1_699_999, CjCode::Unknown(1_699_999)),
    ] {
        assert_eq!(CjCode::of(code), expected);
    }
}

/// A payment retried after its answer was lost: the confirm (already done) and the payment
/// (already made) are refused by CJ, and the order says it is paid.
#[tokio::test]
async fn a_repeated_payment_is_paid_once_through_confirm_and_pay() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    let order = placed(&cj, "repay-1").await;
    assert_eq!(sb.order("repay-1").unwrap().status, "CREATED");
    assert_eq!(
        cj.pay(&order.supplier_order_id).await,
        Ok(PaymentResult::Paid)
    );
    let paid = sb.balance_cents();
    assert_eq!(
        cj.pay(&order.supplier_order_id).await,
        Ok(PaymentResult::Paid)
    );
    assert_eq!(sb.balance_cents(), paid);
    assert_eq!(sb.order("repay-1").unwrap().status, "UNSHIPPED");
    sb.shutdown().await;
}

#[test]
fn the_order_body_carries_our_reference_and_the_address() {
    let config = CjConfig::new("http://x", ApiKey::new("k"));
    let mut purchase = request("body-1");
    // A bundle listing the same variant twice is one CJ product line.
    purchase.lines.push(purchase.lines[0].clone());
    let body = transformers::create_order_body(&purchase, &config).unwrap();
    assert_eq!(body["orderNumber"], "body-1");
    assert_eq!(body["shippingCountryCode"], "US");
    assert_eq!(body["shippingProvince"], "California");
    assert_eq!(body["shippingZip"], "94103");
    assert_eq!(body["payType"], 3);
    assert_eq!(body["logisticName"], "CJPacket Ordinary");
    assert_eq!(body["fromCountryCode"], "CN");
    assert_eq!(
        body["products"],
        serde_json::json!([{"vid": VID, "quantity": 4}])
    );

    let long = request(&"x".repeat(51));
    assert!(transformers::create_order_body(&long, &config).is_err());
    let mut empty = request("body-2");
    empty.lines.clear();
    assert!(transformers::create_order_body(&empty, &config).is_err());
}

#[test]
fn secrets_never_show_and_config_has_defaults() {
    let config: CjConfig = serde_json::from_str(r#"{"api_key": "CJ123@api@topsecret"}"#).unwrap();
    assert_eq!(config.base_url, DEFAULT_BASE_URL);
    assert_eq!(config.timeout_ms, 10_000);
    assert!(!format!("{config:?}").contains("topsecret"));
    assert!(!format!("{:?}", Cj::new(config)).contains("topsecret"));
    assert!(serde_json::from_str::<CjConfig>(r#"{"api_key": "k", "typo": 1}"#).is_err());
}

// ---- cancelling, and what an order lists ----------------------------------------------

/// shopping.html 1.8 (订单删除, "确认订单后则无法删除"): `DELETE
/// shopping/order/deleteOrder?orderId=210711100018655344` answers this; its `data` is the id.
#[test]
fn the_documented_delete_answer_reads_as_success() {
    let body = br#"{
        "code": 200,
        "result": true,
        "message": "Success",
        "data": "210711100018655344",
        "requestId": "721341bf-abf8-4d8c-b400-1fbdaef79039"
    }"#;
    let data = transport::read_answer(&crate::outbound::Answer::new(
        "CJ",
        reqwest::StatusCode::OK,
        None,
        body.to_vec(),
    ))
    .map_err(CallError::into_supplier)
    .unwrap();
    assert_eq!(data, json!("210711100018655344"));
}

/// getOrderDetail's documented example (shopping.html 1.7): the items and the receiving
/// address a link by hand is checked against.
#[test]
fn the_documented_order_detail_lists_items_and_the_ship_to() {
    let data = json!({
        "orderId": "210823100016290555",
        "orderNum": "api_52f268d40b8d460e82c0683955e63cc9",
        "cjOrderId": null,
        "shippingCountryCode": "US",
        "shippingProvince": "Connecticut",
        "shippingCity": "ftdsr",
        "shippingPhone": "43514123",
        "shippingAddress": "rfdxf rfdesr",
        "shippingCustomerName": "Xu Old",
        "remark": null,
        "orderWeight": 20,
        "orderStatus": "CREATED",
        "orderAmount": 4.25,
        "productAmount": 0.57,
        "postageAmount": 3.68,
        "logisticName": "CJPacket Ordinary",
        "trackNumber": null,
        "createDate": "2021-08-23 11:31:45",
        "paymentDate": null,
        "productList": [
            { "vid": "1392053744945991680", "quantity": 1, "sellPrice": 0.57 }
        ]
    });
    let detail: transformers::OrderDetail = transformers::decode(&data, "getOrderDetail").unwrap();
    let order = transformers::remote_order(&detail, None).unwrap();
    assert_eq!(order.items.len(), 1);
    assert_eq!(
        order.items[0].supplier_sku_id.as_deref(),
        Some("1392053744945991680")
    );
    assert_eq!(order.items[0].quantity, 1);
    let ship_to = order.ship_to.unwrap();
    assert_eq!(ship_to.city.as_deref(), Some("ftdsr"));
    assert_eq!(ship_to.country_code.as_deref(), Some("US"));
    assert_eq!(ship_to.name.as_deref(), Some("Xu Old"));
    assert_eq!(ship_to.postal_code, None);
}

#[tokio::test]
async fn cancel_deletes_only_an_order_not_yet_confirmed() {
    let (sb, cj) = started(CjSandboxConfig::default()).await;
    let cancel = |id: &str| CancelRequest {
        supplier_order_id: id.to_string(),
        reason: "the order was cancelled in the store".into(),
    };
    // Created (payType 3): deleted; asked again, it is found cancelled.
    let created = placed(&cj, "CXL-1").await;
    let id = created.supplier_order_id.clone();
    assert_eq!(
        cj.cancel(&cancel(&id)).await.unwrap(),
        CancelAnswer::Cancelled
    );
    assert_eq!(sb.order("CXL-1").unwrap().status, "CANCELLED");
    assert_eq!(
        cj.cancel(&cancel(&id)).await.unwrap(),
        CancelAnswer::Cancelled
    );
    // Paid (confirmed, then paid): CJ's API has no way; a person asks CJ.
    let paid = placed(&cj, "CXL-2").await;
    assert_eq!(
        cj.pay(&paid.supplier_order_id).await.unwrap(),
        PaymentResult::Paid
    );
    let answer = cj.cancel(&cancel(&paid.supplier_order_id)).await.unwrap();
    assert!(
        matches!(&answer, CancelAnswer::NotOffered { how } if how.contains("cannot cancel a paid order")),
        "{answer:?}"
    );
    assert_eq!(sb.order("CXL-2").unwrap().status, "UNSHIPPED");
    // Shipped: refused, in CJ's terms.
    sb.advance(Duration::from_secs(3 * DAY));
    let answer = cj.cancel(&cancel(&paid.supplier_order_id)).await.unwrap();
    assert!(
        matches!(&answer, CancelAnswer::Refused { detail } if detail.contains("SHIPPED")),
        "{answer:?}"
    );
}
