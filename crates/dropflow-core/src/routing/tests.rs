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
        supplier: SupplierRef {
            kind,
            account: "default".into(),
        },
        supplier_product_id: format!("p-{sku}"),
        supplier_sku_id: sku.into(),
        unit_cost: usd(cost),
        priority,
        ships_to: Vec::new(),
        stock,
        product_url: None,
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

fn single(offers: Vec<Offer>) -> Mapping {
    Mapping {
        components: vec![Component {
            quantity: 1,
            offers,
        }],
    }
}

fn us() -> Option<CountryCode> {
    CountryCode::from_alpha2("US").ok()
}

#[test]
fn priority_wins_then_cost() {
    let m = single(vec![
        offer(SupplierKind::Cj, "cheap-but-backup", 100, 2, None),
        offer(SupplierKind::Aliexpress, "preferred", 300, 1, None),
        offer(SupplierKind::Aliexpress, "preferred-dearer", 400, 1, None),
    ]);
    let plan = route(&[line(0, "v1", 1)], us(), |_| Some(m.clone()));
    assert_eq!(plan.purchases.len(), 1);
    assert_eq!(plan.purchases[0].items[0].supplier_sku_id, "preferred");
}

#[test]
fn a_backup_takes_over_when_the_first_is_out_of_stock() {
    let m = single(vec![
        offer(SupplierKind::Aliexpress, "first", 100, 1, Some(1)),
        offer(SupplierKind::Cj, "backup", 150, 2, Some(10)),
    ]);
    let plan = route(&[line(0, "v1", 3)], us(), |_| Some(m.clone()));
    assert_eq!(plan.purchases[0].supplier.kind, SupplierKind::Cj);
    assert_eq!(plan.purchases[0].items[0].quantity, 3);
}

#[test]
fn offers_that_do_not_ship_to_the_destination_are_skipped() {
    let mut eu_only = offer(SupplierKind::Aliexpress, "eu", 50, 0, None);
    eu_only.ships_to = vec![CountryCode::from_alpha2("DE").unwrap()];
    let m = single(vec![
        eu_only.clone(),
        offer(SupplierKind::Cj, "world", 90, 5, None),
    ]);
    let plan = route(&[line(0, "v1", 1)], us(), |_| Some(m.clone()));
    assert_eq!(plan.purchases[0].items[0].supplier_sku_id, "world");

    let only_eu = single(vec![eu_only]);
    let plan = route(&[line(0, "v1", 1)], us(), |_| Some(only_eu.clone()));
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
    let a = single(vec![offer(SupplierKind::Aliexpress, "a", 100, 1, None)]);
    let b = single(vec![offer(SupplierKind::Cj, "b", 100, 1, None)]);
    let c = single(vec![offer(SupplierKind::Aliexpress, "c", 100, 1, None)]);
    let lines = [line(0, "a", 1), line(1, "b", 2), line(2, "c", 1)];
    let plan = route(&lines, us(), |l| match l.variant_id.as_deref() {
        Some("a") => Some(a.clone()),
        Some("b") => Some(b.clone()),
        _ => Some(c.clone()),
    });
    assert_eq!(plan.purchases.len(), 2);
    let ali = &plan.purchases[0];
    assert_eq!(ali.supplier.kind, SupplierKind::Aliexpress);
    assert_eq!(ali.items.len(), 2);
    assert!(plan.failures.is_empty());
}

#[test]
fn a_bundle_buys_every_component_times_the_quantity() {
    let bundle = Mapping {
        components: vec![
            Component {
                quantity: 1,
                offers: vec![offer(SupplierKind::Aliexpress, "mug", 300, 1, None)],
            },
            Component {
                quantity: 2,
                offers: vec![offer(SupplierKind::Cj, "coaster", 50, 1, None)],
            },
        ],
    };
    let plan = route(&[line(0, "gift-set", 3)], us(), |_| Some(bundle.clone()));
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
    let m = single(vec![offer(SupplierKind::Aliexpress, "a", 100, 1, None)]);
    let plan = route(&[line(0, "mapped", 1), line(1, "unknown", 1)], us(), |l| {
        (l.variant_id.as_deref() == Some("mapped")).then(|| m.clone())
    });
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
    let bundle = Mapping {
        components: vec![
            Component {
                quantity: 1,
                offers: vec![offer(SupplierKind::Aliexpress, "mug", 300, 1, None)],
            },
            Component {
                quantity: 1,
                offers: vec![offer(SupplierKind::Cj, "box", 50, 1, Some(0))],
            },
        ],
    };
    let plan = route(&[line(0, "gift-set", 1)], us(), |_| Some(bundle.clone()));
    assert!(plan.purchases.is_empty());
    assert_eq!(
        plan.failures[0].reason,
        RouteFailure::OutOfStock {
            component: 1,
            needed: 1
        }
    );
}
