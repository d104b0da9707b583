#![allow(clippy::unwrap_used)]

use super::*;

fn c(code: &str) -> Currency {
    Currency::from_code(code).unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 2, 10).unwrap()
}

/// The ECB's `eurofxref.csv` for 10 February 2023, header and row as published (the layout
/// of https://www.ecb.europa.eu/stats/eurofxref/eurofxref.zip: comma + space, trailing comma).
pub(crate) const ECB_2023_02_10: &str = "Date, USD, JPY, BGN, CZK, DKK, GBP, HUF, PLN, RON, SEK, \
CHF, ISK, NOK, TRY, AUD, BRL, CAD, CNY, HKD, IDR, ILS, INR, KRW, MXN, MYR, NZD, PHP, SGD, THB, ZAR, \n\
10 February 2023, 1.0690, 139.88, 1.9558, 23.692, 7.4445, 0.88348, 389.78, 4.7810, 4.9020, \
11.1630, 0.9872, 152.10, 10.8710, 20.1357, 1.5432, 5.6245, 1.4364, 7.2837, 8.3916, 16233.33, \
3.7820, 88.2475, 1354.10, 20.0540, 4.6314, 1.6904, 58.207, 1.4199, 36.057, 19.0834, \n";

fn ecb_table() -> RateTable {
    RateTable::new(ecb::parse(ECB_2023_02_10).unwrap().rates).unwrap()
}

#[test]
fn the_ecb_daily_file_reads_as_euro_rates_with_their_day_and_source() {
    let parsed = ecb::parse(ECB_2023_02_10).unwrap();
    assert_eq!(parsed.as_of, day());
    let usd = parsed.rates.iter().find(|r| r.quote == c("USD")).unwrap();
    assert_eq!(usd.base, c("EUR"));
    assert_eq!(usd.rate.to_string(), "1.069");
    assert_eq!(usd.source, ecb::SOURCE);
    let idr = parsed.rates.iter().find(|r| r.quote == c("IDR")).unwrap();
    assert_eq!(idr.rate.to_string(), "16233.33");
    // Every column is a rate or a named skip.
    assert_eq!(parsed.rates.len() + parsed.skipped.len(), 30);
}

#[test]
fn the_ecb_history_layout_reads_its_newest_row_and_skips_na() {
    let hist = "Date,USD,JPY,CYP,\n2023-02-10,1.0690,139.88,N/A,\n2023-02-09,1.0759,141.08,N/A,\n";
    let parsed = ecb::parse(hist).unwrap();
    assert_eq!(parsed.as_of, day());
    assert_eq!(parsed.rates.len(), 2);
    assert!(parsed.skipped.is_empty());
}

#[test]
fn a_broken_ecb_file_names_the_line_and_the_problem() {
    assert_eq!(ecb::parse(""), Err(ecb::EcbError::Empty));
    assert!(matches!(
        ecb::parse("Currency, USD\n"),
        Err(ecb::EcbError::NoDateColumn(_))
    ));
    assert_eq!(ecb::parse("Date, USD,\n"), Err(ecb::EcbError::NoRows));
    assert!(matches!(
        ecb::parse("Date, USD,\nyesterday, 1.07,\n"),
        Err(ecb::EcbError::BadDate { line: 2, .. })
    ));
    assert!(matches!(
        ecb::parse("Date, USD,\n10 February 2023, -1.07,\n"),
        Err(ecb::EcbError::BadRate { line: 2, .. })
    ));
    assert!(matches!(
        ecb::parse("Date, USD, JPY,\n10 February 2023, 1.07,\n"),
        Err(ecb::EcbError::Columns { line: 2, .. })
    ));
}

#[test]
fn rates_parse_exactly_and_refuse_nonsense() {
    assert_eq!(Rate::parse("139.88").unwrap().to_string(), "139.88");
    assert_eq!(Rate::parse("0.88348").unwrap().to_string(), "0.88348");
    assert_eq!(Rate::parse("7").unwrap().to_string(), "7");
    for bad in [
        "",
        "0",
        "0.000",
        "-1",
        "1e3",
        "1.2.3",
        ".5",
        "abc",
        "1234567890.1234567890",
    ] {
        assert!(Rate::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn yen_to_dollars_crosses_through_the_euro_with_each_exponent() {
    let table = ecb_table();
    // 1000 JPY × 1.0690 / 139.88 = 7.6422… USD → 764 cents.
    let yen = Money::new(1000, c("JPY"));
    assert_eq!(
        table.convert(yen, c("USD")).unwrap(),
        Money::new(764, c("USD"))
    );
    // 9.99 USD × 139.88 / 1.0690 = 1307.2… JPY → 1307 yen.
    let dollars = Money::new(999, c("USD"));
    assert_eq!(
        table.convert(dollars, c("JPY")).unwrap(),
        Money::new(1307, c("JPY"))
    );
    // Direct: 10.00 EUR = 10.69 USD.
    assert_eq!(
        table.convert(Money::new(1000, c("EUR")), c("USD")).unwrap(),
        Money::new(1069, c("USD"))
    );
    // Inverse: 10.69 USD = 10.00 EUR.
    assert_eq!(
        table.convert(Money::new(1069, c("USD")), c("EUR")).unwrap(),
        Money::new(1000, c("EUR"))
    );
}

#[test]
fn three_decimal_currencies_round_half_away_from_zero() {
    let table = RateTable::new(vec![FxRate {
        base: c("KWD"),
        quote: c("USD"),
        rate: Rate::parse("3.25").unwrap(),
        source: "operator".into(),
        as_of: day(),
    }])
    .unwrap();
    // 1.500 KWD × 3.25 = 4.875 USD → 4.88; and the negative mirrors it.
    assert_eq!(
        table.convert(Money::new(1500, c("KWD")), c("USD")).unwrap(),
        Money::new(488, c("USD"))
    );
    assert_eq!(
        table
            .convert(Money::new(-1500, c("KWD")), c("USD"))
            .unwrap(),
        Money::new(-488, c("USD"))
    );
}

#[test]
fn no_rate_is_an_error_never_a_guess() {
    let table = ecb_table();
    assert_eq!(
        table.convert(Money::new(100, c("KWD")), c("USD")),
        Err(FxError::NoRate {
            from: c("KWD"),
            to: c("USD")
        })
    );
    assert_eq!(
        RateTable::default().convert(Money::new(100, c("USD")), c("USD")),
        Ok(Money::new(100, c("USD")))
    );
    assert!(RateTable::new(vec![FxRate {
        base: c("USD"),
        quote: c("USD"),
        rate: Rate::parse("1").unwrap(),
        source: "operator".into(),
        as_of: day(),
    }])
    .is_err());
}

#[test]
fn an_amount_too_large_is_refused_not_wrapped() {
    let table = ecb_table();
    let huge = Money::new(i64::MAX, c("USD"));
    assert!(matches!(
        table.convert(huge, c("IDR")),
        Err(FxError::Overflow(_))
    ));
}
