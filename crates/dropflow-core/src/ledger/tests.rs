#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

fn usd() -> Currency {
    Currency::from_code("USD").unwrap()
}

fn m(minor: i64) -> Money {
    Money::new(minor, usd())
}

/// Whether refunding `amount` against `reference` is refused as more than was captured.
fn exceeds_capture(b: &Balances, amount: Money, reference: &str) -> bool {
    matches!(
        refund(b, amount, reference),
        Err(LedgerError::RefundExceedsCapture { .. })
    )
}

fn funded(minor: i64) -> Balances {
    let mut b = Balances::new(usd());
    b.apply(&top_up(m(minor)).unwrap()).unwrap();
    b
}

#[test]
fn top_up_moves_money_in_from_outside() {
    let b = funded(10_000);
    assert_eq!(
        (b.available, b.reserved, b.spent, b.external),
        (10_000, 0, 0, -10_000)
    );
    assert_eq!(b.total(), 0);
    assert_eq!(top_up(m(0)), Err(LedgerError::NotPositive(m(0))));
    assert_eq!(top_up(m(-5)), Err(LedgerError::NotPositive(m(-5))));
}

#[test]
fn reserve_then_partial_capture_releases_the_rest() {
    let mut b = funded(10_000);
    b.apply(&reserve(&b, m(3_000), "so-1").unwrap()).unwrap();
    assert_eq!((b.available, b.reserved), (7_000, 3_000));
    let tx = capture(&b, "so-1", m(2_500)).unwrap();
    assert_eq!(tx.amount_on(Account::Available), 500);
    b.apply(&tx).unwrap();
    assert_eq!((b.available, b.reserved, b.spent), (7_500, 0, 2_500));
    assert_eq!(
        capture(&b, "so-1", m(1)),
        Err(LedgerError::AlreadySettled("so-1".into()))
    );
    assert_eq!(
        release(&b, "so-1"),
        Err(LedgerError::AlreadySettled("so-1".into()))
    );
    assert_eq!(b.total(), 0);
}

#[test]
fn parts_of_a_purchase_are_refunded_each_once_and_never_beyond_the_capture() {
    let mut b = funded(10_000);
    b.apply(&reserve(&b, m(3_000), "so-1").unwrap()).unwrap();
    b.apply(&capture(&b, "so-1", m(3_000)).unwrap()).unwrap();
    assert_eq!(captured_reference("so-1#item-a"), "so-1");
    assert_eq!(captured_reference("so-1"), "so-1");
    // No capture under the part's own name is needed: the purchase's bounds it.
    b.apply(&refund(&b, m(1_000), "so-1#item-a").unwrap())
        .unwrap();
    assert_eq!((b.available, b.spent), (8_000, 2_000));
    assert!(matches!(
        refund(&b, m(1), "so-1#item-a"),
        Err(LedgerError::Duplicate { .. })
    ));
    // Another part: up to what is left of the purchase, not more.
    assert!(exceeds_capture(&b, m(2_001), "so-1#item-b"));
    b.apply(&refund(&b, m(1_500), "so-1#item-b").unwrap())
        .unwrap();
    // The whole purchase's own refund sees what its parts took.
    assert!(exceeds_capture(&b, m(501), "so-1"));
    b.apply(&refund(&b, m(500), "so-1").unwrap()).unwrap();
    assert_eq!((b.available, b.spent), (10_000, 0));
    // A part of a purchase never captured refunds nothing.
    assert!(exceeds_capture(&b, m(1), "so-2#item-c"));
    assert_eq!(b.total(), 0);
}

#[test]
fn reserve_needs_the_money_and_is_once_per_reference() {
    let mut b = funded(1_000);
    assert_eq!(
        reserve(&b, m(1_001), "so-1"),
        Err(LedgerError::InsufficientFunds {
            needed: m(1_001),
            available: m(1_000)
        })
    );
    b.apply(&reserve(&b, m(400), "so-1").unwrap()).unwrap();
    assert_eq!(
        reserve(&b, m(100), "so-1"),
        Err(LedgerError::Duplicate {
            kind: Kind::Reserve,
            reference: "so-1".into()
        })
    );
    b.apply(&release(&b, "so-1").unwrap()).unwrap();
    assert_eq!((b.available, b.reserved), (1_000, 0));
    assert_eq!(
        release(&b, "nope"),
        Err(LedgerError::NothingReserved("nope".into()))
    );
}

#[test]
fn capture_cannot_exceed_the_reserve_and_refund_cannot_exceed_the_capture() {
    let mut b = funded(1_000);
    b.apply(&reserve(&b, m(500), "so-1").unwrap()).unwrap();
    assert!(matches!(
        capture(&b, "so-1", m(501)),
        Err(LedgerError::CaptureExceedsReserve { .. })
    ));
    b.apply(&capture(&b, "so-1", m(500)).unwrap()).unwrap();
    assert!(exceeds_capture(&b, m(501), "so-1"));
    assert!(exceeds_capture(&b, m(1), "other"));
    b.apply(&refund(&b, m(200), "so-1").unwrap()).unwrap();
    assert_eq!((b.available, b.spent), (700, 300));
    assert!(matches!(
        refund(&b, m(1), "so-1"),
        Err(LedgerError::Duplicate {
            kind: Kind::Refund,
            ..
        })
    ));
}

#[test]
fn hand_made_transactions_meet_the_same_rules() {
    let b = funded(1_000);
    let unbalanced = Transaction::new(Kind::TopUp, usd(), None, &[(Account::Available, 5)]);
    assert_eq!(
        b.check(&unbalanced),
        Err(LedgerError::Unbalanced { sum: 5 })
    );
    let wrong_accounts = Transaction::new(
        Kind::TopUp,
        usd(),
        None,
        &[(Account::Reserved, -5), (Account::Spent, 5)],
    );
    assert!(matches!(
        b.check(&wrong_accounts),
        Err(LedgerError::BadPosting { .. })
    ));
    let overdraw = Transaction::new(
        Kind::Reserve,
        usd(),
        Some("x".into()),
        &[(Account::Available, -2_000), (Account::Reserved, 2_000)],
    );
    assert_eq!(
        b.check(&overdraw),
        Err(LedgerError::WouldGoNegative(Account::Available))
    );
    let no_reference = Transaction::new(
        Kind::Reserve,
        usd(),
        None,
        &[(Account::Available, -1), (Account::Reserved, 1)],
    );
    assert_eq!(
        b.check(&no_reference),
        Err(LedgerError::MissingReference(Kind::Reserve))
    );
    let eur = Currency::from_code("EUR").unwrap();
    assert!(matches!(
        b.check(&top_up(Money::new(5, eur)).unwrap()),
        Err(LedgerError::CurrencyMismatch { .. })
    ));
}

#[derive(Debug, Clone)]
enum Op {
    TopUp(i64),
    Reserve(u8, i64),
    Capture(u8, i64),
    Release(u8),
    Refund(u8, i64),
}

fn op() -> impl Strategy<Value = Op> {
    let amount = -5i64..5_000;
    let reference = 0u8..6;
    prop_oneof![
        amount.clone().prop_map(Op::TopUp),
        (reference.clone(), amount.clone()).prop_map(|(r, a)| Op::Reserve(r, a)),
        (reference.clone(), amount.clone()).prop_map(|(r, a)| Op::Capture(r, a)),
        reference.clone().prop_map(Op::Release),
        (reference, amount).prop_map(|(r, a)| Op::Refund(r, a)),
    ]
}

fn operation(op: &Op) -> Operation {
    let r = |i: &u8| format!("so-{i}");
    match op {
        Op::TopUp(a) => Operation::TopUp { amount: m(*a) },
        Op::Reserve(i, a) => Operation::Reserve {
            amount: m(*a),
            reference: r(i),
        },
        Op::Capture(i, a) => Operation::Capture {
            amount: m(*a),
            reference: r(i),
        },
        Op::Release(i) => Operation::Release {
            currency: usd(),
            reference: r(i),
        },
        Op::Refund(i, a) => Operation::Refund {
            amount: m(*a),
            reference: r(i),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever is asked, in whatever order: the accounts sum to zero, nothing but `external`
    /// is negative, the reserved account is exactly the open reserves, and each reference is
    /// reserved, settled and refunded at most once.
    #[test]
    fn any_sequence_keeps_the_books(ops in prop::collection::vec(op(), 0..80)) {
        let mut b = Balances::new(usd());
        let mut accepted: BTreeMap<(String, Kind), u32> = BTreeMap::new();
        for op in &ops {
            let operation = operation(op);
            let before = b.clone();
            match plan(&b, &operation) {
                Ok(tx) => {
                    prop_assert!(tx.check_shape().is_ok());
                    b.apply(&tx).unwrap();
                    if let Some(r) = tx.reference.clone() {
                        let kind = match tx.kind {
                            Kind::Release => Kind::Capture, // one settlement of either kind
                            k => k,
                        };
                        *accepted.entry((r, kind)).or_default() += 1;
                    }
                }
                Err(_) => prop_assert_eq!(&b, &before),
            }
            prop_assert_eq!(b.total(), 0);
            prop_assert!(b.available >= 0 && b.reserved >= 0 && b.spent >= 0);
            prop_assert!(b.external <= 0);
            let open: i64 = b.references.values().map(|s| s.open).sum();
            prop_assert_eq!(open, b.reserved);
            let captured: i64 = b.references.values().map(|s| s.captured).sum();
            prop_assert_eq!(captured, b.spent);
            prop_assert!(b.references.values().all(|s| s.open >= 0 && s.captured >= 0));
            prop_assert!(accepted.values().all(|&n| n == 1));
        }
    }
}

#[test]
fn a_referenced_top_up_credits_once() {
    let mut b = Balances::new(usd());
    let op = Operation::TopUpFor {
        amount: m(2_500),
        reference: "stripe:cs_test_1".into(),
    };
    let tx = plan(&b, &op).unwrap();
    assert_eq!(tx.reference.as_deref(), Some("stripe:cs_test_1"));
    b.apply(&tx).unwrap();
    assert_eq!((b.available, b.external), (2_500, -2_500));
    assert_eq!(
        plan(&b, &op),
        Err(LedgerError::Duplicate {
            kind: Kind::TopUp,
            reference: "stripe:cs_test_1".into()
        })
    );
    assert_eq!(
        b.apply(&tx),
        Err(LedgerError::Duplicate {
            kind: Kind::TopUp,
            reference: "stripe:cs_test_1".into()
        })
    );
    // Another payment is another reference.
    let other = Operation::TopUpFor {
        amount: m(100),
        reference: "stripe:cs_test_2".into(),
    };
    b.apply(&plan(&b, &other).unwrap()).unwrap();
    assert_eq!(b.available, 2_600);
    assert_eq!(
        top_up_for(&b, m(0), "stripe:cs_test_3"),
        Err(LedgerError::NotPositive(m(0)))
    );
}
