#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::catalog::{Component, SupplierRef};
use crate::fx::{FxRate, Rate};
use crate::supplier::SupplierKind;
use proptest::prelude::*;

fn cur(code: &str) -> Currency {
    Currency::from_code(code).unwrap()
}

fn usd(minor: i64) -> Money {
    Money::new(minor, cur("USD"))
}

fn offer(kind: SupplierKind, priority: i32, cost: Money, stock: Option<u32>) -> Offer {
    Offer {
        priority,
        stock,
        ..Offer::new(SupplierRef::api(kind), "p", "s", cost)
    }
}

fn one(offers: Vec<Offer>) -> Mapping {
    Mapping::single(offers)
}

fn shown(stock: Option<u32>, price: Money) -> StoreVariant {
    StoreVariant {
        stock,
        published: true,
        unpublished_by_us: false,
        price,
        approved_price: None,
    }
}

fn default_usd() -> Policy {
    Policy::default_for(cur("USD"))
}

fn auto(markup_bp: u32, ending: Option<u32>, ceiling: Option<u32>) -> Policy {
    Policy {
        currency: cur("USD"),
        stock: StockPolicy::default(),
        price: PricePolicy {
            markup_bp,
            fixed_minor: 0,
            ending,
            auto_update: true,
            max_auto_rise_bp: ceiling,
        },
    }
}

/// 1 EUR = 1.0690 USD and 1 EUR = 7.7245 CNY (ECB reference rates, 2023-11-01 style).
fn rates() -> RateTable {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let rate = |quote: &str, r: &str| FxRate {
        base: cur("EUR"),
        quote: cur(quote),
        rate: Rate::parse(r).unwrap(),
        source: "ECB euro reference rates".into(),
        as_of: day,
    };
    RateTable::new(vec![rate("USD", "1.0690"), rate("CNY", "7.7245")]).unwrap()
}

#[test]
fn stock_is_every_offers_known_units_less_the_buffer_and_at_most_the_cap() {
    let mapping = one(vec![
        offer(SupplierKind::Aliexpress, 1, usd(500), Some(30)),
        offer(SupplierKind::Cj, 2, usd(550), Some(12)),
        offer(SupplierKind::Cj, 3, usd(560), None),
    ]);
    let mut policy = auto(20_000, None, None);
    policy.stock.buffer = 2;
    let d = decide(&mapping, &shown(Some(50), usd(1000)), &policy, &rates());
    assert_eq!(d.stock, Some(40));
    assert_eq!(d.writes.stock, Some(40));
    policy.stock.cap = Some(25);
    let d = decide(&mapping, &shown(Some(25), usd(1000)), &policy, &rates());
    assert_eq!(d.stock, Some(25));
    assert_eq!(
        d.writes.stock, None,
        "the store already shows it: nothing to write"
    );
}

#[test]
fn a_bundle_has_as_many_units_as_its_scarcest_component_allows() {
    let mapping = Mapping {
        components: vec![
            Component {
                quantity: 2,
                offers: vec![offer(SupplierKind::Cj, 1, usd(300), Some(9))],
            },
            Component {
                quantity: 1,
                offers: vec![offer(SupplierKind::Aliexpress, 1, usd(200), Some(100))],
            },
        ],
    };
    let d = decide(
        &mapping,
        &shown(None, usd(0)),
        &auto(20_000, None, None),
        &rates(),
    );
    assert_eq!(
        d.stock,
        Some(4),
        "9 units of a 2-pack part make 4 store units"
    );
    assert_eq!(d.cost, Some(usd(800)), "2 × 3.00 + 2.00");
}

#[test]
fn unknown_stock_is_never_written_as_a_number() {
    let mapping = one(vec![offer(SupplierKind::Cj, 1, usd(500), None)]);
    let d = decide(
        &mapping,
        &shown(Some(7), usd(999)),
        &default_usd(),
        &rates(),
    );
    assert_eq!((d.stock, d.writes.stock), (None, None));
    assert!(!d.out_everywhere);
}

#[test]
fn sold_out_everywhere_sets_zero_or_unpublishes_and_a_restock_publishes_again() {
    let out = one(vec![
        offer(SupplierKind::Aliexpress, 1, usd(500), Some(0)),
        offer(SupplierKind::Cj, 2, usd(520), Some(0)),
    ]);
    let d = decide(&out, &shown(Some(8), usd(1099)), &default_usd(), &rates());
    assert!(d.out_everywhere);
    assert_eq!(d.writes.stock, Some(0));
    assert_eq!(
        d.writes.published, None,
        "the default sets 0 and keeps it listed"
    );
    assert_eq!(d.price_note, Some(PriceNote::NoCost));

    let mut policy = default_usd();
    policy.stock.when_out = WhenOut::Unpublish;
    let d = decide(&out, &shown(Some(8), usd(1099)), &policy, &rates());
    assert_eq!((d.writes.stock, d.writes.published), (Some(0), Some(false)));

    let back = one(vec![offer(SupplierKind::Cj, 2, usd(520), Some(5))]);
    let hidden_by_us = StoreVariant {
        published: false,
        unpublished_by_us: true,
        ..shown(Some(0), usd(1099))
    };
    let d = decide(&back, &hidden_by_us, &policy, &rates());
    assert_eq!((d.writes.stock, d.writes.published), (Some(5), Some(true)));
    let hidden_by_merchant = StoreVariant {
        unpublished_by_us: false,
        ..hidden_by_us
    };
    let d = decide(&back, &hidden_by_merchant, &policy, &rates());
    assert_eq!(
        d.writes.published, None,
        "what the merchant hid stays hidden"
    );
}

#[test]
fn a_buffer_that_takes_the_last_units_sells_nothing() {
    let mapping = one(vec![offer(SupplierKind::Cj, 1, usd(500), Some(2))]);
    let mut policy = default_usd();
    policy.stock.buffer = 3;
    policy.stock.when_out = WhenOut::Unpublish;
    let d = decide(&mapping, &shown(Some(4), usd(1099)), &policy, &rates());
    assert!(
        !d.out_everywhere,
        "the supplier still has some: an order is not held"
    );
    assert_eq!((d.writes.stock, d.writes.published), (Some(0), Some(false)));
}

#[test]
fn the_price_is_the_cost_bought_now_converted_marked_up_and_rounded_up_to_99() {
    // The preferred AliExpress offer is out; CJ's CNY 38.00 is bought now:
    // 38.00 CNY = 38.00 × 1.0690 / 7.7245 USD = 5.2589… → 5.26 USD; × 2.5 = 13.15 → 13.99.
    let mapping = one(vec![
        offer(SupplierKind::Aliexpress, 1, usd(400), Some(0)),
        offer(SupplierKind::Cj, 2, Money::new(3_800, cur("CNY")), Some(40)),
    ]);
    let d = decide(
        &mapping,
        &shown(Some(40), usd(1299)),
        &auto(25_000, Some(99), None),
        &rates(),
    );
    assert_eq!(d.cost, Some(usd(526)));
    assert_eq!(d.price, Some(usd(1399)));
    assert_eq!(d.writes.price, Some(usd(1399)));
}

#[test]
fn rounding_keeps_a_price_already_on_the_ending_and_never_goes_below_the_rule() {
    let p = |cost: i64, fixed: i64, ending: Option<u32>| {
        let policy = PricePolicy {
            markup_bp: 10_000,
            fixed_minor: fixed,
            ending,
            auto_update: true,
            max_auto_rise_bp: None,
        };
        rule_price(usd(cost), &policy).unwrap().minor
    };
    assert_eq!(p(1299, 0, Some(99)), 1299);
    assert_eq!(p(1300, 0, Some(99)), 1399);
    assert_eq!(p(1250, 50, Some(0)), 1300);
    assert_eq!(p(1234, 0, None), 1234);
    // A markup that leaves a fraction of a cent rounds up: 3 × 1.5 = 4.5 → 5.
    let policy = PricePolicy {
        markup_bp: 15_000,
        ending: None,
        ..PricePolicy::default()
    };
    assert_eq!(rule_price(usd(3), &policy).unwrap().minor, 5);
}

#[test]
fn a_rise_above_the_ceiling_is_held_and_a_drop_or_a_small_rise_is_written() {
    let mapping = |cost| one(vec![offer(SupplierKind::Cj, 1, usd(cost), Some(10))]);
    let policy = auto(20_000, None, Some(2_000));
    // 10.00 → 12.00 is +20 %: written.
    let d = decide(
        &mapping(600),
        &shown(Some(10), usd(1000)),
        &policy,
        &rates(),
    );
    assert_eq!((d.writes.price, d.price_note), (Some(usd(1200)), None));
    // 10.00 → 12.02 is above +20 %: held for a person.
    let d = decide(
        &mapping(601),
        &shown(Some(10), usd(1000)),
        &policy,
        &rates(),
    );
    assert_eq!(d.writes.price, None);
    assert_eq!(
        d.price_note,
        Some(PriceNote::RiseHeld {
            from: usd(1000),
            to: usd(1202)
        })
    );
    // Approved by a person: written — but only that price; a newer cost asks again.
    let approved = StoreVariant {
        approved_price: Some(usd(1202)),
        ..shown(Some(10), usd(1000))
    };
    let d = decide(&mapping(601), &approved, &policy, &rates());
    assert_eq!((d.writes.price, d.price_note), (Some(usd(1202)), None));
    let d = decide(&mapping(650), &approved, &policy, &rates());
    assert_eq!(d.writes.price, None, "13.00 was not the price approved");
    // A drop is written whatever the ceiling.
    let d = decide(
        &mapping(100),
        &shown(Some(10), usd(1000)),
        &policy,
        &rates(),
    );
    assert_eq!(d.writes.price, Some(usd(200)));
    // With automatic updates off, nothing is written but the rule's price is shown.
    let mut manual = policy;
    manual.price.auto_update = false;
    let d = decide(
        &mapping(100),
        &shown(Some(10), usd(1000)),
        &manual,
        &rates(),
    );
    assert_eq!((d.price, d.writes.price), (Some(usd(200)), None));
}

#[test]
fn a_cost_without_a_rate_gives_no_price_and_says_which_pair() {
    let mapping = one(vec![offer(
        SupplierKind::Cj,
        1,
        Money::new(500, cur("GBP")),
        Some(3),
    )]);
    let d = decide(
        &mapping,
        &shown(Some(3), usd(1000)),
        &auto(20_000, None, None),
        &rates(),
    );
    assert_eq!((d.cost, d.price, d.writes.price), (None, None, None));
    assert_eq!(
        d.price_note,
        Some(PriceNote::NoRate {
            from: cur("GBP"),
            to: cur("USD")
        })
    );
}

#[test]
fn policies_are_checked_against_the_stores_currency() {
    let mut policy = default_usd();
    assert_eq!(policy.check(), Ok(()));
    assert_eq!(Policy::default_for(cur("JPY")).check(), Ok(()));
    policy.currency = cur("JPY");
    assert!(matches!(
        policy.check(),
        Err(PolicyError::Ending { limit: 1, .. })
    ));
    policy.price.ending = None;
    assert_eq!(policy.check(), Ok(()));
    policy.price.markup_bp = 0;
    assert_eq!(policy.check(), Err(PolicyError::Markup(0)));
    policy.price.markup_bp = 20_000;
    policy.price.fixed_minor = -1;
    assert_eq!(policy.check(), Err(PolicyError::Fixed(-1)));
    policy.price.fixed_minor = 0;
    policy.stock.cap = Some(0);
    assert_eq!(policy.check(), Err(PolicyError::ZeroCap));
}

fn offers() -> impl Strategy<Value = Vec<Offer>> {
    proptest::collection::vec(
        (1..4i32, 1..100_000i64, proptest::option::of(0..10_000u32)),
        1..4,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(priority, cost, stock)| offer(SupplierKind::Cj, priority, usd(cost), stock))
            .collect()
    })
}

fn policies() -> impl Strategy<Value = Policy> {
    (
        0..50u32,
        proptest::option::of(0..500u32),
        any::<bool>(),
        10_000..40_000u32,
        0..1_000i64,
        proptest::option::of(0..100u32),
        proptest::option::of(0..5_000u32),
    )
        .prop_map(
            |(buffer, cap, unpublish, markup_bp, fixed_minor, ending, ceiling)| Policy {
                currency: cur("USD"),
                stock: StockPolicy {
                    buffer,
                    cap,
                    when_out: if unpublish {
                        WhenOut::Unpublish
                    } else {
                        WhenOut::SetZero
                    },
                },
                price: PricePolicy {
                    markup_bp,
                    fixed_minor,
                    ending,
                    auto_update: true,
                    max_auto_rise_bp: ceiling,
                },
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the suppliers say and the policy is: the store is never shown more than the
    /// suppliers' known units less the buffer, nor more than the cap; a price from a markup
    /// of at least × 1 never sells below cost and ends on the ending; and once the writes are
    /// applied, deciding again writes nothing (a sync is idempotent).
    #[test]
    fn stock_never_oversells_prices_cover_the_cost_and_a_second_sync_writes_nothing(
        offers in offers(),
        policy in policies(),
        store_stock in proptest::option::of(0..20_000u32),
        store_price in 0..100_000i64,
        published in any::<bool>(),
    ) {
        let mapping = one(offers.clone());
        let store = StoreVariant {
            stock: store_stock,
            published,
            unpublished_by_us: !published,
            price: usd(store_price),
            approved_price: None,
        };
        let d = decide(&mapping, &store, &policy, &rates());
        let known: Vec<u32> = offers.iter().filter_map(|o| o.stock).collect();
        if let Some(stock) = d.stock {
            let units: u32 = known.iter().sum();
            prop_assert!(stock <= units.saturating_sub(policy.stock.buffer));
            prop_assert!(policy.stock.cap.is_none_or(|cap| stock <= cap));
        } else {
            prop_assert!(known.is_empty());
        }
        if let (Some(cost), Some(price)) = (d.cost, d.price) {
            prop_assert!(price.minor >= cost.minor);
            if let Some(ending) = policy.price.ending {
                prop_assert_eq!(price.minor.rem_euclid(100), i64::from(ending));
            }
        }
        let after = StoreVariant {
            stock: d.writes.stock.or(store.stock),
            published: d.writes.published.unwrap_or(store.published),
            unpublished_by_us: match d.writes.published {
                Some(false) => true,
                Some(true) => false,
                None => store.unpublished_by_us,
            },
            price: d.writes.price.unwrap_or(store.price),
            approved_price: None,
        };
        let again = decide(&mapping, &after, &policy, &rates());
        prop_assert!(again.writes.is_empty(), "{:?} then {:?}", d.writes, again.writes);
    }
}
