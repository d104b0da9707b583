//! The marketplace connector against the 1688-style sandbox, in process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use dropflow_core::money::Money;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::reference::currency::Currency;
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::supplier::PurchaseLine;
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::marketplace::{offers, start, MarketplaceSandbox, MarketplaceSandboxConfig};

const DAY: Duration = Duration::from_secs(86_400);

pub(super) fn cny(fen: i64) -> Money {
    Money::new(fen, Currency::from_code("CNY").unwrap())
}

pub(super) fn connector(sb: &MarketplaceSandbox) -> Marketplace {
    Marketplace::new(MarketplaceConfig {
        base_url: sb.base_url.clone(),
        app_key: sb.app_key().into(),
        app_secret: Secret::new(sb.app_secret()),
        access_token: Secret::new(sb.access_token()),
        warehouse: WarehouseAddress {
            full_name: "DF Warehouse".into(),
            mobile: "13800138000".into(),
            post_code: "518000".into(),
            province: "广东省".into(),
            city: "深圳市".into(),
            area: "宝安区".into(),
            address: "福永街道 88 号 3 楼".into(),
        },
        timeout_ms: 2_000,
        price_guard_percent: None,
        reference_pages: 3,
    })
}

/// A sandbox whose timeout fault holds the answer 5 s, and the connector to it.
pub(super) async fn holding_timeouts() -> (MarketplaceSandbox, Marketplace) {
    let sb = start(MarketplaceSandboxConfig {
        timeout_hold: Duration::from_secs(5),
        ..MarketplaceSandboxConfig::default()
    })
    .await
    .unwrap();
    let m = connector(&sb);
    (sb, m)
}

pub(super) fn request(attempt_id: &str) -> PurchaseRequest {
    let o = &offers()[0];
    PurchaseRequest {
        attempt_id: attempt_id.into(),
        lines: vec![PurchaseLine {
            supplier_product_id: o.offer_id.to_string(),
            supplier_sku_id: o.spec_id.clone(),
            quantity: 2,
            expected_unit_cost: cny(o.price_fen),
        }],
        // The customer's address: must never reach the seller.
        ship_to: PostalAddress {
            name: Some("Grace Hopper".into()),
            country_code: Some("US".into()),
            ..PostalAddress::default()
        },
        email: None,
        shipping_method: None,
        price_guard_percent: Some(10),
    }
}

#[tokio::test]
async fn place_pay_and_follow_the_domestic_parcel() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let m = connector(&sb);
    let Placement::Placed(order) = m.place(&request("att-1")).await.unwrap() else {
        panic!("not placed")
    };
    assert_eq!(order.status, SupplierOrderStatus::AwaitingPayment);
    assert_eq!(order.attempt_id.as_deref(), Some("att-1"));
    assert_eq!(order.total_cost, Some(cny(2 * 1850 + 600)));

    // A retry never buys twice, and the order is found by our reference.
    assert_eq!(
        m.place(&request("att-1")).await.unwrap(),
        Placement::Rejected(RejectReason::DuplicateReference)
    );
    assert_eq!(sb.live_orders("att-1"), 1);
    let found = m.find_by_reference("att-1").await.unwrap().unwrap();
    assert_eq!(found.supplier_order_id, order.supplier_order_id);
    assert_eq!(m.find_by_reference("nope").await.unwrap(), None);

    assert_eq!(
        m.pay(&order.supplier_order_id).await.unwrap(),
        PaymentResult::Paid
    );
    // Paying again (a lost answer retried) reads the order and says paid.
    assert_eq!(
        m.pay(&order.supplier_order_id).await.unwrap(),
        PaymentResult::Paid
    );
    let now = m.order(&order.supplier_order_id).await.unwrap();
    assert_eq!(now.status, SupplierOrderStatus::AwaitingShipment);

    sb.advance(DAY + Duration::from_secs(60));
    let shipped = m.order(&order.supplier_order_id).await.unwrap();
    assert_eq!(shipped.status, SupplierOrderStatus::Shipped);
    let t = &shipped.tracking[0];
    assert_eq!(t.status, ShipmentStatus::InTransit);
    assert!(t.carrier.as_deref().unwrap().ends_with("Express"), "{t:?}");
    sb.advance(2 * DAY);
    let arrived = m.order(&order.supplier_order_id).await.unwrap();
    assert_eq!(arrived.status, SupplierOrderStatus::Delivered);
    assert_eq!(arrived.tracking[0].status, ShipmentStatus::Delivered);
}

#[tokio::test]
async fn price_guard_cancels_and_stock_out_refuses() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let m = connector(&sb);
    sb.faults.set(Faults {
        price_factor: 1.2,
        ..Faults::default()
    });
    let placed = m.place(&request("att-2")).await.unwrap();
    assert!(
        matches!(&placed, Placement::Rejected(RejectReason::PriceChanged { unit_cost, .. }) if *unit_cost == cny(2220)),
        "{placed:?}"
    );
    assert_eq!(sb.live_orders("att-2"), 0);
    // The merchant accepts the price: the same reference buys once.
    let mut accepted = request("att-2");
    accepted.price_guard_percent = None;
    assert!(matches!(
        m.place(&accepted).await.unwrap(),
        Placement::Placed(_)
    ));
    assert_eq!(sb.live_orders("att-2"), 1);
    assert_eq!(
        m.find_by_reference("att-2").await.unwrap().unwrap().status,
        SupplierOrderStatus::AwaitingPayment
    );

    sb.faults.set(Faults::default());
    sb.set_stock(offers()[0].offer_id, 0);
    assert!(matches!(
        m.place(&request("att-3")).await.unwrap(),
        Placement::Rejected(RejectReason::OutOfStock { supplier_sku_id }) if supplier_sku_id == offers()[0].spec_id
    ));
}

#[tokio::test]
async fn transport_faults_map_to_supplier_errors() {
    let (sb, m) = holding_timeouts().await;
    sb.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        m.place(&request("att-4")).await,
        Err(SupplierError::RateLimited {
            retry_after: Some(Duration::from_secs(2))
        })
    );
    sb.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    assert!(matches!(
        m.order("1").await,
        Err(SupplierError::Unavailable(_))
    ));
    // A create that times out but happened: found by our reference afterwards.
    sb.faults.set(Faults {
        timeout_rate: 1.0,
        place_despite_timeout: true,
        ..Faults::default()
    });
    assert_eq!(
        m.place(&request("att-5")).await,
        Err(SupplierError::Timeout)
    );
    sb.faults.set(Faults::default());
    assert!(m.find_by_reference("att-5").await.unwrap().is_some());
    assert_eq!(sb.live_orders("att-5"), 1);

    sb.set_balance_fen(0);
    let Placement::Placed(o) = m.place(&request("att-6")).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        m.pay(&o.supplier_order_id).await.unwrap(),
        PaymentResult::InsufficientBalance
    );

    let mut wrong = connector(&sb);
    wrong.config.app_secret = Secret::new("wrong");
    assert!(matches!(
        wrong.order(&o.supplier_order_id).await,
        Err(SupplierError::Unauthorized(_))
    ));
    assert!(!format!("{:?}", wrong.config).contains("wrong"));
}

#[tokio::test]
async fn a_return_is_requested_once_for_shipped_goods_of_the_order() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let m = connector(&sb);
    let Placement::Placed(order) = m.place(&request("att-r")).await.unwrap() else {
        panic!("not placed")
    };
    let id = order.supplier_order_id.clone();
    assert_eq!(m.pay(&id).await.unwrap(), PaymentResult::Paid);
    let spec = offers()[0].spec_id.clone();
    let ask = |skus: Vec<String>, fen: i64| ReturnRequest {
        reference: "item-1".into(),
        supplier_order_id: id.clone(),
        supplier_sku_ids: skus,
        amount: cny(fen),
        reason: "failed inspection".into(),
    };
    // Not shipped yet: a return of goods never received is refused.
    assert!(matches!(
        m.request_return(&ask(vec![spec.clone()], 3700)).await.unwrap(),
        ReturnAnswer::Refused { detail } if detail.starts_with("1688 5010")
    ));
    sb.advance(DAY + Duration::from_secs(60));
    // A variant the order does not hold, or more than was paid: refused.
    assert!(matches!(
        m.request_return(&ask(vec!["nope".into()], 100))
            .await
            .unwrap(),
        ReturnAnswer::Refused { .. }
    ));
    assert!(matches!(
        m.request_return(&ask(vec![spec.clone()], 3701)).await.unwrap(),
        ReturnAnswer::Refused { detail } if detail.starts_with("1688 5011")
    ));
    let ReturnAnswer::Requested { refund_id } = m
        .request_return(&ask(vec![spec.clone()], 3700))
        .await
        .unwrap()
    else {
        panic!("not requested")
    };
    assert!(refund_id.starts_with("TQ"));
    // Asked again (a retry whose answer was lost): already open, nothing new.
    assert_eq!(
        m.request_return(&ask(vec![spec], 3700)).await.unwrap(),
        ReturnAnswer::AlreadyRequested
    );
    let refunds = sb.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].apply_payment_fen, 3700);
    assert_eq!(refunds[0].goods_status, "refundBuyerReceived");
    // The unknown variant was refused before asking 1688.
    assert_eq!(sb.calls("alibaba.trade.createRefund"), 4);
}

#[tokio::test]
async fn cancel_closes_an_unpaid_order_and_asks_a_paid_one_back_before_shipment() {
    let sb = start(MarketplaceSandboxConfig::default()).await.unwrap();
    let m = connector(&sb);
    let cancel = |id: &str| CancelRequest {
        supplier_order_id: id.to_string(),
        reason: "the order was cancelled in the store".into(),
    };
    let placed = |reference: &'static str| {
        let m = &m;
        async move {
            let mut r = request(reference);
            r.price_guard_percent = None;
            match m.place(&r).await.unwrap() {
                Placement::Placed(o) => o,
                other => panic!("not placed: {other:?}"),
            }
        }
    };
    // What a link is checked against: the items, and the warehouse as ship-to.
    let unpaid = placed("cx-1").await;
    assert_eq!(unpaid.items[0].quantity, 2);
    assert_eq!(
        unpaid.items[0].supplier_sku_id,
        Some(offers()[0].spec_id.clone())
    );
    let customer = PostalAddress::default();
    assert_eq!(
        unpaid.ship_to.as_ref().and_then(|a| a.city.clone()),
        m.ships_to(&customer).city
    );
    // Unpaid: alibaba.trade.cancel; again, found cancelled.
    let id = unpaid.supplier_order_id.clone();
    assert_eq!(
        m.cancel(&cancel(&id)).await.unwrap(),
        CancelAnswer::Cancelled
    );
    assert_eq!(sb.calls("alibaba.trade.cancel"), 1);
    assert_eq!(
        m.cancel(&cancel(&id)).await.unwrap(),
        CancelAnswer::Cancelled
    );
    // Paid, not shipped: a refund-only request of the whole goods amount, which the seller
    // agrees to.
    let paid = placed("cx-2").await;
    assert_eq!(
        m.pay(&paid.supplier_order_id).await.unwrap(),
        PaymentResult::Paid
    );
    assert_eq!(
        m.cancel(&cancel(&paid.supplier_order_id)).await.unwrap(),
        CancelAnswer::Cancelled
    );
    let refund = sb.refunds().pop().unwrap();
    assert_eq!(refund.dispute_request, "refund");
    assert_eq!(refund.goods_status, "refundWaitSellerSend");
    assert_eq!(refund.apply_payment_fen, 2 * offers()[0].price_fen);
    assert_eq!(sb.calls("alibaba.trade.getRefundReasonList"), 1);
    // Shipped: refused in 1688's terms.
    let late = placed("cx-3").await;
    assert_eq!(
        m.pay(&late.supplier_order_id).await.unwrap(),
        PaymentResult::Paid
    );
    sb.advance(DAY + Duration::from_secs(60));
    let answer = m.cancel(&cancel(&late.supplier_order_id)).await.unwrap();
    assert!(
        matches!(&answer, CancelAnswer::Refused { detail } if detail.contains("shipped")),
        "{answer:?}"
    );
}
