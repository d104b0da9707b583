#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

fn usd() -> Currency {
    Currency::from_code("USD").unwrap()
}

fn m(minor: i64) -> Money {
    Money::new(minor, usd())
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 10, 0, 0).unwrap()
}

fn earning(reference: &str, minor: i64, delivered_at: DateTime<Utc>, days: u32) -> Earning {
    Earning {
        reference: reference.into(),
        amount: m(minor),
        delivered_at,
        available_at: available_at(delivered_at, days),
        matured: false,
    }
}

#[test]
fn an_earning_is_pending_then_available_after_its_holding_period_and_not_a_second_before() {
    let mut b = Balances::new(usd());
    b.apply(&earn(&b, m(1_250), "so-1").unwrap()).unwrap();
    assert_eq!((b.pending, b.available, b.cost), (1_250, 0, -1_250));
    let e = earning("so-1", 1_250, t0(), DEFAULT_HOLDING_DAYS);
    assert_eq!(e.available_at, t0() + Duration::days(14));
    let early = e.available_at - Duration::seconds(1);
    assert!(!e.due(early));
    assert_eq!(
        mature(&b, &e, early),
        Err(PayoutError::NotYetAvailable {
            reference: "so-1".into(),
            available_at: e.available_at
        })
    );
    assert!(e.due(e.available_at));
    b.apply(&mature(&b, &e, e.available_at).unwrap()).unwrap();
    assert_eq!((b.pending, b.available), (0, 1_250));
    let done = Earning { matured: true, ..e };
    assert!(matches!(
        mature(&b, &done, done.available_at),
        Err(PayoutError::AlreadyMatured(_))
    ));
    assert_eq!(b.total(), 0);
}

#[test]
fn a_charge_comes_off_available_and_a_negative_balance_carries_forward() {
    let mut b = Balances::new(usd());
    b.apply(&earn(&b, m(500), "so-1").unwrap()).unwrap();
    // Charged while the earning is still pending: available goes negative.
    b.apply(&charge(&b, m(800), "so-1#case:c1").unwrap())
        .unwrap();
    assert_eq!((b.pending, b.available, b.cost), (500, -800, 300));
    assert!(matches!(
        pay(&b, m(1), "p-1"),
        Err(PayoutError::ExceedsAvailable { .. })
    ));
    let e = earning("so-1", 500, t0(), 0);
    b.apply(&mature(&b, &e, t0()).unwrap()).unwrap();
    assert_eq!(b.available, -300, "the negative balance carries forward");
    b.apply(&earn(&b, m(1_000), "so-2").unwrap()).unwrap();
    b.apply(&mature(&b, &earning("so-2", 1_000, t0(), 0), t0()).unwrap())
        .unwrap();
    assert_eq!(b.available, 700);
    b.apply(&pay(&b, m(700), "p-1").unwrap()).unwrap();
    assert_eq!((b.available, b.paid), (0, 700));
    assert_eq!(b.total(), 0);
}

#[test]
fn a_request_must_reach_the_minimum_stay_within_available_and_be_the_only_open_one() {
    let mut b = Balances::new(usd());
    b.apply(&earn(&b, m(5_000), "so-1").unwrap()).unwrap();
    b.apply(&mature(&b, &earning("so-1", 5_000, t0(), 0), t0()).unwrap())
        .unwrap();
    let settings = Settings {
        minimum_minor: 2_000,
        ..Settings::default()
    };
    assert!(matches!(
        check_request(&b, &settings, m(1_999), false),
        Err(PayoutError::BelowMinimum { .. })
    ));
    assert!(matches!(
        check_request(&b, &settings, m(5_001), false),
        Err(PayoutError::ExceedsAvailable { .. })
    ));
    assert_eq!(
        check_request(&b, &settings, m(5_000), true),
        Err(PayoutError::RequestOpen)
    );
    assert!(matches!(
        check_request(&b, &settings, m(0), false),
        Err(PayoutError::NotPositive(_))
    ));
    let eur = Money::new(2_500, Currency::from_code("EUR").unwrap());
    assert!(matches!(
        check_request(&b, &settings, eur, false),
        Err(PayoutError::CurrencyMismatch { .. })
    ));
    assert_eq!(check_request(&b, &settings, m(2_000), false), Ok(()));
    assert_eq!(check_request(&b, &settings, m(5_000), false), Ok(()));
}

#[test]
fn movements_touch_only_their_own_accounts_and_must_balance() {
    let b = Balances::new(usd());
    let forged = Movement {
        kind: Kind::Payout,
        currency: usd(),
        reference: "p".into(),
        lines: vec![
            Line {
                bucket: Bucket::Cost,
                minor: -5,
            },
            Line {
                bucket: Bucket::Paid,
                minor: 5,
            },
        ],
    };
    assert!(matches!(
        b.check(&forged),
        Err(PayoutError::BadPosting { .. })
    ));
    let unbalanced = Movement {
        kind: Kind::Earning,
        currency: usd(),
        reference: "so".into(),
        lines: vec![Line {
            bucket: Bucket::Pending,
            minor: 5,
        }],
    };
    assert_eq!(
        b.check(&unbalanced),
        Err(PayoutError::Unbalanced { sum: 5 })
    );
    assert!(matches!(
        earn(&b, m(5), " "),
        Err(PayoutError::MissingReference(Kind::Earning))
    ));
}

#[test]
fn account_names_round_trip_and_other_accounts_are_not_a_vendors() {
    for bucket in Bucket::ALL {
        let name = account_name("acme:eu", bucket);
        assert_eq!(parse_account(&name), Some(("acme:eu", bucket)));
    }
    assert_eq!(parse_account("available"), None);
    assert_eq!(parse_account("vendor::paid"), None);
    assert_eq!(parse_account("vendor:acme:owed"), None);
}

#[test]
fn the_schedule_asks_once_per_period_for_the_whole_available_balance_at_the_minimum() {
    let mut b = Balances::new(usd());
    b.apply(&earn(&b, m(3_000), "so-1").unwrap()).unwrap();
    b.apply(&mature(&b, &earning("so-1", 3_000, t0(), 0), t0()).unwrap())
        .unwrap();
    // 2026-03-04 is a Wednesday: the week began on Monday the 2nd, the month on the 1st.
    let weekly = Settings {
        schedule: Schedule::Weekly,
        minimum_minor: 1_000,
        ..Settings::default()
    };
    let monday = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    assert_eq!(Schedule::Weekly.period_start(t0()), Some(monday));
    assert_eq!(
        Schedule::Monthly.period_start(t0()),
        Some(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap())
    );
    assert_eq!(Schedule::OnRequest.period_start(t0()), None);
    assert_eq!(
        scheduled_due(&b, &weekly, None, false, t0()),
        Some(m(3_000))
    );
    assert_eq!(
        scheduled_due(&b, &weekly, Some(monday), false, t0()),
        None,
        "already asked this week"
    );
    assert_eq!(
        scheduled_due(
            &b,
            &weekly,
            Some(monday - Duration::seconds(1)),
            false,
            t0()
        ),
        Some(m(3_000))
    );
    assert_eq!(scheduled_due(&b, &weekly, None, true, t0()), None);
    let high = Settings {
        minimum_minor: 3_001,
        ..weekly
    };
    assert_eq!(scheduled_due(&b, &high, None, false, t0()), None);
    assert_eq!(
        scheduled_due(&b, &Settings::default(), None, false, t0()),
        None
    );
}

#[test]
fn settings_are_checked_field_by_field() {
    assert_eq!(
        Settings::checked(14, 0, "weekly"),
        Ok(Settings {
            holding_days: 14,
            minimum_minor: 0,
            schedule: Schedule::Weekly
        })
    );
    assert!(Settings::checked(-1, 0, "weekly")
        .unwrap_err()
        .starts_with("holding_days"));
    assert!(Settings::checked(366, 0, "weekly")
        .unwrap_err()
        .starts_with("holding_days"));
    assert!(Settings::checked(1, -1, "weekly")
        .unwrap_err()
        .starts_with("minimum"));
    assert!(Settings::checked(1, 0, "daily")
        .unwrap_err()
        .starts_with("schedule"));
}

#[test]
fn a_statement_carries_the_balance_forward() {
    let at = t0();
    let s = statement(
        -300,
        vec![
            StatementItem {
                kind: ItemKind::Charge,
                reference: "so-2#case:c".into(),
                minor: -200,
                at: at + Duration::days(1),
            },
            StatementItem {
                kind: ItemKind::Earning,
                reference: "so-1".into(),
                minor: 1_500,
                at,
            },
        ],
        900,
    );
    assert_eq!(
        (s.earned, s.charged, s.paid, s.closing),
        (1_500, 200, 900, 100)
    );
    assert_eq!(s.items[0].reference, "so-1", "oldest first");
}

/// One step of a purse's life.
#[derive(Debug, Clone)]
enum Step {
    /// A purchase delivered now, earning `minor`, held `days`.
    Deliver { minor: i64, days: u32 },
    /// Time passes.
    Wait { hours: i64 },
    /// The follower's sweep: every due earning moves.
    Sweep,
    /// Someone tries to move earning `index` now, due or not.
    Force { index: usize },
    /// A case charges the vendor.
    Charge { minor: i64 },
    /// A payout of `minor` is asked for and approved.
    Payout { minor: i64 },
    /// A payout of everything available.
    PayAll,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..100_000, 0u32..30).prop_map(|(minor, days)| Step::Deliver { minor, days }),
        (1i64..24 * 20).prop_map(|hours| Step::Wait { hours }),
        Just(Step::Sweep),
        (0usize..40).prop_map(|index| Step::Force { index }),
        (1i64..50_000).prop_map(|minor| Step::Charge { minor }),
        (1i64..150_000).prop_map(|minor| Step::Payout { minor }),
        Just(Step::PayAll),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever happens, in whatever order: every posting balances and the four accounts sum
    /// to zero; nothing becomes available before its holding period; a payout never takes
    /// more than is available, so everything paid is covered by matured earnings less
    /// charges at the time it was paid.
    #[test]
    fn postings_balance_nothing_matures_early_and_payouts_never_exceed_available(
        steps in proptest::collection::vec(step(), 1..80)
    ) {
        let mut b = Balances::new(usd());
        let mut earnings: Vec<Earning> = Vec::new();
        let mut now = t0();
        let (mut matured_total, mut charged_total, mut paid_total) = (0i64, 0i64, 0i64);
        let mut payouts = 0;
        for step in steps {
            let mut posted: Vec<Movement> = Vec::new();
            match step {
                Step::Deliver { minor, days } => {
                    let reference = format!("so-{}", earnings.len());
                    posted.push(earn(&b, m(minor), &reference).unwrap());
                    earnings.push(earning(&reference, minor, now, days));
                }
                Step::Wait { hours } => now += Duration::hours(hours),
                Step::Sweep | Step::Force { .. } => {
                    let chosen: Vec<usize> = match step {
                        Step::Force { index } if !earnings.is_empty() => {
                            vec![index % earnings.len()]
                        }
                        Step::Force { .. } => vec![],
                        _ => (0..earnings.len()).filter(|&i| earnings[i].due(now)).collect(),
                    };
                    for i in chosen {
                        let mut probe = b.clone();
                        for movement in &posted {
                            probe.apply(movement).unwrap();
                        }
                        match mature(&probe, &earnings[i], now) {
                            Ok(movement) => {
                                prop_assert!(earnings[i].available_at <= now, "matured early");
                                prop_assert!(!earnings[i].matured, "matured twice");
                                earnings[i].matured = true;
                                matured_total += earnings[i].amount.minor;
                                posted.push(movement);
                            }
                            Err(PayoutError::NotYetAvailable { available_at, .. }) => {
                                prop_assert!(now < available_at);
                            }
                            Err(PayoutError::AlreadyMatured(_)) => {
                                prop_assert!(earnings[i].matured);
                            }
                            Err(other) => prop_assert!(false, "unexpected {other}"),
                        }
                    }
                }
                Step::Charge { minor } => {
                    posted.push(charge(&b, m(minor), &format!("c-{charged_total}-{minor}")).unwrap());
                    charged_total += minor;
                }
                Step::Payout { .. } | Step::PayAll => {
                    let minor = match step {
                        Step::Payout { minor } => minor,
                        _ => b.available,
                    };
                    payouts += 1;
                    match pay(&b, m(minor), &format!("p-{payouts}")) {
                        Ok(movement) => {
                            prop_assert!(minor <= b.available, "paid more than available");
                            paid_total += minor;
                            posted.push(movement);
                        }
                        Err(PayoutError::ExceedsAvailable { .. }) => {
                            prop_assert!(minor > b.available)
                        }
                        Err(PayoutError::NotPositive(_)) => prop_assert!(minor <= 0),
                        Err(other) => prop_assert!(false, "unexpected {other}"),
                    }
                }
            }
            for movement in &posted {
                let sum: i64 = movement.lines.iter().map(|l| l.minor).sum();
                prop_assert_eq!(sum, 0, "every posting balances");
                b.apply(movement).unwrap();
                prop_assert_eq!(b.total(), 0);
            }
            prop_assert!(b.pending >= 0 && b.paid >= 0);
            prop_assert_eq!(b.paid, paid_total);
            prop_assert_eq!(b.available, matured_total - charged_total - paid_total);
            let held: i64 = earnings.iter().filter(|e| !e.matured).map(|e| e.amount.minor).sum();
            prop_assert_eq!(b.pending, held);
            // Nothing available that was not due by now.
            let due_by_now: i64 = earnings
                .iter()
                .filter(|e| e.available_at <= now)
                .map(|e| e.amount.minor)
                .sum();
            prop_assert!(matured_total <= due_by_now);
        }
    }

    /// A request that passes is one a payout can honour, and one a payout cannot honour is
    /// refused.
    #[test]
    fn an_accepted_request_can_always_be_paid(
        available in -50_000i64..50_000, minimum in 0i64..20_000, ask in -10i64..60_000
    ) {
        let b = Balances { currency: usd(), pending: 0, available, paid: 0, cost: -available };
        let settings = Settings { minimum_minor: minimum, ..Settings::default() };
        match check_request(&b, &settings, m(ask), false) {
            Ok(()) => {
                prop_assert!(ask >= minimum && ask <= available && ask > 0);
                prop_assert!(pay(&b, m(ask), "p").is_ok());
            }
            Err(_) => prop_assert!(ask < minimum || ask > available || ask <= 0),
        }
    }
}
