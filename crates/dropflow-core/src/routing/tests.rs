#![allow(clippy::unwrap_used)]

use super::*;
use crate::catalog::Component;
use crate::reference::currency::Currency;
use crate::supplier::SupplierKind;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::from_code("USD").unwrap())
}

fn offer(kind: SupplierKind, sku: &str, cost: i64, priority: i32, stock: Option<u32>) -> Offer {
    Offer {
        priority,
        stock,
        ..Offer::new(SupplierRef::api(kind), format!("p-{sku}"), sku, usd(cost))
    }
}

fn line(position: u32, variant: &str, quantity: u32) -> LineToRoute {
    LineToRoute {
        position,
        variant_id: Some(variant.into()),
        sku: None,
        quantity,
        requires_shipping: true,
    }
}

/// A bundle: each component's quantity per unit of the line, bought from one offer.
fn bundle(components: Vec<(u32, Offer)>) -> Mapping {
    Mapping {
        components: components
            .into_iter()
            .map(|(quantity, offer)| Component {
                quantity,
                offers: vec![offer],
            })
            .collect(),
    }
}

fn usd_pricing() -> Pricing<'static> {
    static NO_RATES: std::sync::OnceLock<RateTable> = std::sync::OnceLock::new();
    Pricing {
        currency: Currency::from_code("USD").unwrap(),
        rates: NO_RATES.get_or_init(RateTable::default),
    }
}

fn us() -> Option<CountryCode> {
    CountryCode::from_alpha2("US").ok()
}

#[test]
fn priority_wins_then_cost() {
    let m = Mapping::single(vec![
        offer(SupplierKind::Cj, "cheap-but-backup", 100, 2, None),
        offer(SupplierKind::Aliexpress, "preferred", 300, 1, None),
        offer(SupplierKind::Aliexpress, "preferred-dearer", 400, 1, None),
    ]);
    let plan = route(&[line(0, "v1", 1)], us(), usd_pricing(), |_| {
        Some(m.clone())
    });
    assert_eq!(plan.purchases.len(), 1);
    assert_eq!(plan.purchases[0].items[0].supplier_sku_id, "preferred");
}

#[test]
fn an_offers_shipping_counts_in_its_cost_and_rides_with_the_item() {
    // 2 × 1.00 + 5.00 shipping = 7.00 against 2 × 3.00 = 6.00: the dearer goods win.
    let mut cheap_goods = offer(SupplierKind::Manual, "cheap-goods", 100, 1, None);
    cheap_goods.shipping_cost = Some(usd(500));
    let m = Mapping::single(vec![
        cheap_goods.clone(),
        offer(SupplierKind::Cj, "free-shipping", 300, 1, None),
    ]);
    let plan = route(&[line(0, "v1", 2)], us(), usd_pricing(), |_| {
        Some(m.clone())
    });
    assert_eq!(plan.purchases[0].items[0].supplier_sku_id, "free-shipping");
    assert_eq!(plan.purchases[0].items[0].cost_minor(), 600);

    // Alone it is bought, its shipping once whatever the quantity: 3 × 1.00 + 5.00.
    let alone = Mapping::single(vec![cheap_goods]);
    let plan = route(&[line(0, "v1", 3)], us(), usd_pricing(), |_| {
        Some(alone.clone())
    });
    let item = &plan.purchases[0].items[0];
    assert_eq!(item.shipping_cost, Some(usd(500)));
    assert_eq!(item.cost_minor(), 3 * 100 + 500);
}

#[test]
fn a_backup_takes_over_when_the_first_is_out_of_stock() {
    let m = Mapping::single(vec![
        offer(SupplierKind::Aliexpress, "first", 100, 1, Some(1)),
        offer(SupplierKind::Cj, "backup", 150, 2, Some(10)),
    ]);
    let plan = route(&[line(0, "v1", 3)], us(), usd_pricing(), |_| {
        Some(m.clone())
    });
    assert_eq!(plan.purchases[0].supplier.kind, SupplierKind::Cj);
    assert_eq!(plan.purchases[0].items[0].quantity, 3);
}

#[test]
fn offers_that_do_not_ship_to_the_destination_are_skipped() {
    let mut eu_only = offer(SupplierKind::Aliexpress, "eu", 50, 0, None);
    eu_only.ships_to = vec![CountryCode::from_alpha2("DE").unwrap()];
    let m = Mapping::single(vec![
        eu_only.clone(),
        offer(SupplierKind::Cj, "world", 90, 5, None),
    ]);
    let plan = route(&[line(0, "v1", 1)], us(), usd_pricing(), |_| {
        Some(m.clone())
    });
    assert_eq!(plan.purchases[0].items[0].supplier_sku_id, "world");

    let only_eu = Mapping::single(vec![eu_only]);
    let plan = route(&[line(0, "v1", 1)], us(), usd_pricing(), |_| {
        Some(only_eu.clone())
    });
    assert_eq!(
        plan.failures[0].reason,
        RouteFailure::NotShippedTo {
            country: Some("US".into()),
            component: 0
        }
    );
}

#[test]
fn one_supplier_order_per_supplier() {
    let a = Mapping::single(vec![offer(SupplierKind::Aliexpress, "a", 100, 1, None)]);
    let b = Mapping::single(vec![offer(SupplierKind::Cj, "b", 100, 1, None)]);
    let c = Mapping::single(vec![offer(SupplierKind::Aliexpress, "c", 100, 1, None)]);
    let lines = [line(0, "a", 1), line(1, "b", 2), line(2, "c", 1)];
    let plan = route(&lines, us(), usd_pricing(), |l| {
        match l.variant_id.as_deref() {
            Some("a") => Some(a.clone()),
            Some("b") => Some(b.clone()),
            _ => Some(c.clone()),
        }
    });
    assert_eq!(plan.purchases.len(), 2);
    let ali = &plan.purchases[0];
    assert_eq!(ali.supplier.kind, SupplierKind::Aliexpress);
    assert_eq!(ali.items.len(), 2);
    assert!(plan.failures.is_empty());
}

#[test]
fn a_bundle_buys_every_component_times_the_quantity() {
    let bundle = bundle(vec![
        (1, offer(SupplierKind::Aliexpress, "mug", 300, 1, None)),
        (2, offer(SupplierKind::Cj, "coaster", 50, 1, None)),
    ]);
    let plan = route(&[line(0, "gift-set", 3)], us(), usd_pricing(), |_| {
        Some(bundle.clone())
    });
    let quantities: Vec<(String, u32)> = plan
        .purchases
        .iter()
        .flat_map(|p| {
            p.items
                .iter()
                .map(|i| (i.supplier_sku_id.clone(), i.quantity))
        })
        .collect();
    assert_eq!(
        quantities,
        vec![("mug".to_string(), 3), ("coaster".to_string(), 6)]
    );
}

#[test]
fn an_unmapped_line_fails_alone() {
    let m = Mapping::single(vec![offer(SupplierKind::Aliexpress, "a", 100, 1, None)]);
    let plan = route(
        &[line(0, "mapped", 1), line(1, "unknown", 1)],
        us(),
        usd_pricing(),
        |l| (l.variant_id.as_deref() == Some("mapped")).then(|| m.clone()),
    );
    assert_eq!(plan.purchases.len(), 1);
    assert_eq!(plan.failures.len(), 1);
    assert_eq!(plan.failures[0].line_position, 1);
    assert!(matches!(
        plan.failures[0].reason,
        RouteFailure::NoMapping { .. }
    ));
}

#[test]
fn a_bundle_with_one_component_out_of_stock_buys_nothing_for_that_line() {
    let bundle = bundle(vec![
        (1, offer(SupplierKind::Aliexpress, "mug", 300, 1, None)),
        (1, offer(SupplierKind::Cj, "box", 50, 1, Some(0))),
    ]);
    let plan = route(&[line(0, "gift-set", 1)], us(), usd_pricing(), |_| {
        Some(bundle.clone())
    });
    assert!(plan.purchases.is_empty());
    assert_eq!(
        plan.failures[0].reason,
        RouteFailure::OutOfStock {
            component: 1,
            needed: 1
        }
    );
}

fn priced(kind: SupplierKind, sku: &str, cost: Money, priority: i32) -> Offer {
    let mut o = offer(kind, sku, 0, priority, None);
    o.unit_cost = cost;
    o
}

fn yen(minor: i64) -> Money {
    Money::new(minor, Currency::from_code("JPY").unwrap())
}

/// The ECB's rates for 10 February 2023: 1 EUR = 1.0690 USD = 139.88 JPY.
fn ecb_rates() -> RateTable {
    let eur = Currency::from_code("EUR").unwrap();
    let rate = |quote: &str, value: &str| crate::fx::FxRate {
        base: eur,
        quote: Currency::from_code(quote).unwrap(),
        rate: crate::fx::Rate::parse(value).unwrap(),
        source: crate::fx::ecb::SOURCE.into(),
        as_of: chrono::NaiveDate::from_ymd_opt(2023, 2, 10).unwrap(),
    };
    RateTable::new(vec![rate("USD", "1.0690"), rate("JPY", "139.88")]).unwrap()
}

#[test]
fn costs_in_different_currencies_are_compared_converted_not_by_raw_minor_units() {
    // 9.99 USD against 1000 JPY (≈ 7.64 USD): 999 < 1000 in raw units, but yen is cheaper.
    let m = Mapping::single(vec![
        priced(SupplierKind::Aliexpress, "dollars", usd(999), 1),
        priced(SupplierKind::Cj, "yen", yen(1000), 1),
    ]);
    let rates = ecb_rates();
    let pricing = Pricing {
        currency: Currency::from_code("USD").unwrap(),
        rates: &rates,
    };
    let plan = route(&[line(0, "v1", 1)], us(), pricing, |_| Some(m.clone()));
    assert!(plan.failures.is_empty(), "{:?}", plan.failures);
    assert_eq!(plan.purchases[0].items[0].supplier_sku_id, "yen");
    // The purchase keeps the supplier's own price and currency.
    assert_eq!(plan.purchases[0].items[0].unit_cost, yen(1000));

    // 2000 JPY ≈ 15.28 USD: now the dollar offer is cheaper.
    let m = Mapping::single(vec![
        priced(SupplierKind::Aliexpress, "dollars", usd(999), 1),
        priced(SupplierKind::Cj, "yen", yen(2000), 1),
    ]);
    let plan = route(&[line(0, "v1", 1)], us(), pricing, |_| Some(m.clone()));
    assert_eq!(plan.purchases[0].items[0].supplier_sku_id, "dollars");
}

#[test]
fn an_offer_without_a_rate_fails_its_line_with_the_reason() {
    let m = Mapping::single(vec![
        priced(SupplierKind::Aliexpress, "dollars", usd(999), 1),
        priced(SupplierKind::Cj, "yen", yen(1000), 1),
    ]);
    let mapped = Mapping::single(vec![offer(SupplierKind::Aliexpress, "a", 100, 1, None)]);
    let plan = route(
        &[line(0, "mixed", 1), line(1, "plain", 1)],
        us(),
        usd_pricing(),
        |l| match l.variant_id.as_deref() {
            Some("mixed") => Some(m.clone()),
            _ => Some(mapped.clone()),
        },
    );
    assert_eq!(
        plan.failures,
        vec![LineFailure {
            line_position: 0,
            reason: RouteFailure::NoExchangeRate {
                component: 0,
                from: Currency::from_code("JPY").unwrap(),
                to: Currency::from_code("USD").unwrap(),
            },
        }]
    );
    // The other line is still bought.
    assert_eq!(plan.purchases.len(), 1);
    assert_eq!(plan.purchases[0].items[0].line_position, 1);
}

#[test]
fn priority_decides_before_money_so_no_rate_is_needed_across_priorities() {
    let m = Mapping::single(vec![
        priced(SupplierKind::Aliexpress, "preferred-yen", yen(5000), 1),
        priced(SupplierKind::Cj, "backup-dollars", usd(100), 2),
    ]);
    let plan = route(&[line(0, "v1", 1)], us(), usd_pricing(), |_| {
        Some(m.clone())
    });
    assert!(plan.failures.is_empty());
    assert_eq!(plan.purchases[0].items[0].supplier_sku_id, "preferred-yen");

    // Offers all in one foreign currency compare among themselves without a rate.
    let m = Mapping::single(vec![
        priced(SupplierKind::Aliexpress, "dear", yen(900), 1),
        priced(SupplierKind::Cj, "cheap", yen(800), 1),
    ]);
    let plan = route(&[line(0, "v1", 1)], us(), usd_pricing(), |_| {
        Some(m.clone())
    });
    assert_eq!(plan.purchases[0].items[0].supplier_sku_id, "cheap");
}
