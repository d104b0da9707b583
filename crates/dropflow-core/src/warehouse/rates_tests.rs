#![allow(clippy::unwrap_used)]

use super::rates::*;
use crate::reference::country::CountryCode;
use proptest::prelude::*;

fn cc(code: &str) -> CountryCode {
    CountryCode::from_alpha2(code).unwrap()
}

fn parcel(weight_g: u32, l: u32, w: u32, h: u32) -> Parcel {
    Parcel {
        weight_g,
        length_cm: l,
        width_cm: w,
        height_cm: h,
    }
}

/// One express service: first 500 g $10, each further 500 g $2, /5000, fuel 10 %, $1 per
/// parcel, $5 remote surcharge to IS; a banded service; a per-kg service.
const TABLE: &str = r#"
currency = "USD"

[[service]]
code = "exp"
carrier = "Express Co"
service = "Express"
volumetric_divisor = 5000
max_weight_g = 10000
max_side_cm = 100
fuel_surcharge_bp = 1000
per_parcel_fee = 100

[[service.country_surcharge]]
countries = ["is"]
amount = 500
label = "remote area"

[[service.zone]]
name = "Z1"
countries = ["US", "IS"]
days_min = 3
days_max = 5
pricing = { kind = "first_additional", first_g = 500, first = 1000, step_g = 500, step = 200 }

[[service]]
code = "band"
carrier = "Line Co"
service = "Banded"
max_weight_g = 2000

[[service.zone]]
name = "US"
countries = ["US"]
days_min = 8
days_max = 14
pricing = { kind = "bands", bands = [ { up_to_g = 100, price = 500 }, { up_to_g = 500, price = 900 } ] }

[[service]]
code = "post"
carrier = "Post"
service = "Registered"
max_weight_g = 2000

[[service.zone]]
name = "US"
countries = ["US"]
days_min = 15
days_max = 30
pricing = { kind = "per_kg", per_kg = 999, registration = 150, min_chargeable_g = 50 }
"#;

fn tables() -> RateTables {
    RateTables::from_toml(TABLE).unwrap()
}

fn offered(q: &Quotes, code: &str) -> Quote {
    q.offered
        .iter()
        .find(|o| o.code == code)
        .cloned()
        .unwrap_or_else(|| panic!("{code} not offered: {:?}", q.refused))
}

fn refused(q: &Quotes, code: &str) -> Unavailable {
    q.refused
        .iter()
        .find(|r| r.code == code)
        .map(|r| r.why.clone())
        .unwrap_or_else(|| panic!("{code} not refused"))
}

#[test]
fn volumetric_weight_wins_when_the_box_is_light_and_big() {
    // 40×30×20 = 24 000 cm³ / 5000 = 4.8 kg > 1 kg actual.
    assert_eq!(
        chargeable_weight_g(&parcel(1000, 40, 30, 20), Some(5000)),
        4800
    );
    // Small dense parcel: actual weight.
    assert_eq!(
        chargeable_weight_g(&parcel(1000, 10, 10, 10), Some(5000)),
        1000
    );
    // No divisor: actual only.
    assert_eq!(chargeable_weight_g(&parcel(1000, 40, 30, 20), None), 1000);
    // Rounded up to the gram: 7×7×7 = 343 cm³ / 6000 = 57.17 g → 58 g.
    assert_eq!(chargeable_weight_g(&parcel(1, 7, 7, 7), Some(6000)), 58);
    let q = quote(&tables(), &parcel(1000, 40, 30, 20), cc("US"));
    let exp = offered(&q, "exp");
    assert_eq!(exp.chargeable_weight_g, 4800);
    // 500 g + ceil(4300/500)=9 steps: 1000 + 9×200 = 2800 base.
    assert_eq!(exp.breakdown.base, 2800);
}

#[test]
fn a_weight_exactly_at_a_step_pays_that_step() {
    let t = tables();
    let base = |w: u32| {
        offered(&quote(&t, &parcel(w, 10, 10, 10), cc("US")), "exp")
            .breakdown
            .base
    };
    assert_eq!(base(500), 1000);
    assert_eq!(base(501), 1200);
    assert_eq!(base(1000), 1200);
    assert_eq!(base(1001), 1400);
    let band = |w: u32| {
        offered(&quote(&t, &parcel(w, 10, 10, 10), cc("US")), "band")
            .price
            .minor
    };
    assert_eq!(band(100), 500);
    assert_eq!(band(101), 900);
    assert_eq!(band(500), 900);
    // Past the last band: the table has no price, although the service takes 2 kg.
    assert_eq!(
        refused(&quote(&t, &parcel(501, 10, 10, 10), cc("US")), "band"),
        Unavailable::AboveTable {
            chargeable_g: 501,
            max_g: 500
        }
    );
}

#[test]
fn per_kg_rounds_up_and_applies_the_minimum() {
    let t = tables();
    let post = |w: u32| {
        offered(&quote(&t, &parcel(w, 10, 10, 10), cc("US")), "post")
            .price
            .minor
    };
    // 333 g × 999 / 1000 = 332.667 → 333, + 150 registration.
    assert_eq!(post(333), 333 + 150);
    // Under the 50 g minimum: billed as 50 g = 49.95 → 50.
    assert_eq!(post(10), 50 + 150);
}

#[test]
fn surcharges_fuel_and_per_parcel_fee_add_up() {
    let t = tables();
    let us = offered(&quote(&t, &parcel(400, 10, 10, 10), cc("US")), "exp");
    // base 1000, fuel 10 % = 100, per parcel 100.
    assert_eq!(us.breakdown.fuel, 100);
    assert_eq!(us.price.minor, 1200);
    assert!(us.breakdown.surcharges.is_empty());
    let is = offered(&quote(&t, &parcel(400, 10, 10, 10), cc("IS")), "exp");
    assert_eq!(
        is.breakdown.surcharges,
        vec![("remote area".to_string(), 500)]
    );
    assert_eq!(is.price.minor, 1700);
    // Fuel rounds up: 10 % of 1 201 = 120.1 → 121.
    let mut odd = t.clone();
    if let Some(Pricing::FirstAdditional { first, .. }) = odd
        .services
        .get_mut(0)
        .and_then(|s| s.zones.get_mut(0))
        .map(|z| &mut z.pricing)
    {
        *first = 1201;
    }
    let q = offered(&quote(&odd, &parcel(400, 10, 10, 10), cc("US")), "exp");
    assert_eq!(q.breakdown.fuel, 121);
}

#[test]
fn unreachable_destination_and_limits_say_why() {
    let t = tables();
    let q = quote(&t, &parcel(400, 10, 10, 10), cc("FR"));
    assert!(q.offered.is_empty());
    assert_eq!(
        refused(&q, "exp"),
        Unavailable::NotServed {
            country: "FR".into()
        }
    );
    let heavy = quote(&t, &parcel(10_001, 10, 10, 10), cc("US"));
    assert_eq!(
        refused(&heavy, "exp"),
        Unavailable::TooHeavy {
            chargeable_g: 10_001,
            max_g: 10_000
        }
    );
    // Exactly at the limit is accepted.
    offered(&quote(&t, &parcel(10_000, 10, 10, 10), cc("US")), "exp");
    // Volumetric weight counts against the limit too: 100×50×11 / 5000 = 11 kg.
    assert!(matches!(
        refused(&quote(&t, &parcel(1000, 100, 50, 11), cc("US")), "exp"),
        Unavailable::TooHeavy {
            chargeable_g: 11_000,
            ..
        }
    ));
    assert!(matches!(
        refused(&quote(&t, &parcel(1000, 101, 10, 10), cc("US")), "exp"),
        Unavailable::TooLarge { .. }
    ));
    assert_eq!(
        refused(&quote(&t, &parcel(0, 10, 10, 10), cc("US")), "exp"),
        Unavailable::EmptyParcel
    );
}

#[test]
fn validation_reports_every_problem_with_its_place() {
    let bad = TABLE
        .replace(
            "countries = [\"US\", \"IS\"]",
            "countries = [\"US\", \"XX\"]",
        )
        .replace(
            "{ up_to_g = 100, price = 500 }, { up_to_g = 500, price = 900 }",
            "{ up_to_g = 500, price = 900 }, { up_to_g = 100, price = 500 }",
        )
        .replace("days_min = 15", "days_min = 31")
        .replace("code = \"post\"", "code = \"exp\"");
    let Err(RateTableError::Invalid(problems)) = RateTables::from_toml(&bad) else {
        panic!("accepted a bad table")
    };
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let has = |s: &str| text.iter().any(|t| t.contains(s));
    assert!(
        has("service exp, zone \"Z1\" (#1): \"XX\" is not an ISO"),
        "{text:?}"
    );
    assert!(
        has("service band, zone \"US\" (#1): bands 1 and 2 overlap or are out of order"),
        "{text:?}"
    );
    assert!(has("days_min is above days_max"), "{text:?}");
    assert!(has("code is used by another service"), "{text:?}");
    // A country twice in one service.
    let twice = TABLE.replace(
        "countries = [\"US\"]\ndays_min = 8",
        "countries = [\"US\", \"us\"]\ndays_min = 8",
    );
    assert!(
        matches!(RateTables::from_toml(&twice), Err(RateTableError::Invalid(p)) if p[0].message.contains("US is already in another zone"))
    );
    // Syntax errors and unknown fields are refused as such.
    assert!(matches!(
        RateTables::from_toml("currency = "),
        Err(RateTableError::Syntax(_))
    ));
    assert!(matches!(
        RateTables::from_toml(&TABLE.replace("fuel_surcharge_bp", "fuel_percent")),
        Err(RateTableError::Syntax(_))
    ));
}

#[test]
fn the_shipped_sample_tables_are_valid_and_quote_the_usual_destinations() {
    let t = RateTables::defaults().unwrap();
    assert!(t.services.len() >= 4);
    let small = parcel(350, 20, 15, 5);
    let us = quote(&t, &small, cc("US"));
    assert_eq!(us.offered.len(), 4, "{:?}", us.refused);
    // Postal is the cheapest and slowest, express the fastest and dearest.
    let cheapest = us.offered.iter().min_by_key(|q| q.price.minor).unwrap();
    let fastest = us.offered.iter().min_by_key(|q| q.days_max).unwrap();
    assert_eq!(cheapest.code, "cpost-reg");
    assert_eq!(fastest.code, "dhl-express");
    assert!(fastest.price.minor > cheapest.price.minor * 3);
    // Brazil: only postal and express; express with its customs surcharge.
    let br = quote(&t, &small, cc("BR"));
    let codes: Vec<_> = br.offered.iter().map(|q| q.code.as_str()).collect();
    assert_eq!(codes, vec!["cpost-reg", "dhl-express"]);
    assert_eq!(
        refused(&br, "yun-direct"),
        Unavailable::NotServed {
            country: "BR".into()
        }
    );
    // 3 kg: too heavy for postal (2 kg).
    assert!(matches!(
        refused(&quote(&t, &parcel(3000, 30, 20, 10), cc("US")), "cpost-reg"),
        Unavailable::TooHeavy { .. }
    ));
}

proptest! {
    #[test]
    fn prices_never_fall_as_weight_rises_and_chargeable_is_at_least_actual(
        w in 1u32..3000, extra in 0u32..500, l in 1u32..60, wd in 1u32..60, h in 1u32..60,
        country in prop::sample::select(vec!["US", "DE", "GB", "AU", "BR", "JP", "IS", "ZA"]),
    ) {
        let t = RateTables::defaults().unwrap();
        let light = quote(&t, &parcel(w, l, wd, h), cc(country));
        let heavy = quote(&t, &parcel(w + extra, l, wd, h), cc(country));
        for q in &light.offered {
            prop_assert!(q.chargeable_weight_g >= w);
            prop_assert!(q.price.minor > 0);
            prop_assert!(q.days_min <= q.days_max);
            if let Some(h) = heavy.offered.iter().find(|h| h.code == q.code) {
                prop_assert!(h.price.minor >= q.price.minor, "{} {} -> {}", q.code, q.price.minor, h.price.minor);
            }
        }
        // Every service answers exactly once.
        prop_assert_eq!(light.offered.len() + light.refused.len(), t.services.len());
    }
}
