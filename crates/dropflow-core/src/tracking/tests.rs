#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

use std::path::PathBuf;

fn couriers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/tracking_number_data/couriers")
}

/// Test numbers that cannot pass, each with its reason: (courier code, format name, number,
/// listed as valid?, reason). The data-driven test fails if one of these starts passing, so
/// the list cannot go stale. Currently every test number passes.
const EXCEPTIONS: &[(&str, &str, &str, bool, &str)] = &[];

fn find<'a>(found: &'a [Detection], courier: &str, format: &str) -> Option<&'a Detection> {
    found
        .iter()
        .find(|d| d.courier_code == courier && d.format_name == format)
}

/// Every `test_numbers.valid` of every format in the data folder is detected as that format
/// with the expected outcome (Valid where the format has a checksum, NoCheckDigit where it has
/// none); no `test_numbers.invalid` is detected as that format with an acceptable outcome (it
/// either does not match, or matches with an invalid check digit).
#[test]
fn tracking_every_test_number_of_the_data_set() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(couriers_dir())
        .expect("couriers folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 18, "courier files missing");

    let (mut valid_checked, mut invalid_checked, mut formats) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut exceptions_seen = Vec::new();
    for file in &files {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("read")).expect("json");
        let courier = json["courier_code"].as_str().expect("courier_code");
        for format in json["tracking_numbers"].as_array().expect("formats") {
            formats += 1;
            let name = format["name"].as_str().expect("name");
            let expected = if format["validation"].get("checksum").is_some() {
                CheckOutcome::Valid
            } else {
                CheckOutcome::NoCheckDigit
            };
            let tests = &format["test_numbers"];
            let valid = tests["valid"].as_array().expect("valid numbers");
            let invalid = tests["invalid"].as_array().map_or(&[][..], Vec::as_slice);
            assert!(!valid.is_empty(), "{courier}/{name}: no valid test numbers");
            for (numbers, listed_valid) in [(valid, true), (&invalid.to_vec(), false)] {
                for number in numbers {
                    let number = number.as_str().expect("test number");
                    let found = detect(number);
                    let hit = find(&found, courier, name);
                    let passes = if listed_valid {
                        valid_checked += 1;
                        hit.is_some_and(|d| d.check == expected)
                    } else {
                        invalid_checked += 1;
                        !hit.is_some_and(|d| d.check.is_acceptable())
                    };
                    let exception = EXCEPTIONS.iter().find(|(c, f, n, v, _)| {
                        *c == courier && *f == name && *n == number && *v == listed_valid
                    });
                    match (passes, exception) {
                        (true, None) => {}
                        (false, Some(_)) => exceptions_seen.push(number.to_string()),
                        (true, Some(_)) => failures.push(format!(
                            "{courier}/{name}: {number:?} now passes; remove it from EXCEPTIONS"
                        )),
                        (false, None) => failures.push(format!(
                            "{courier}/{name}: {} number {number:?} gave {:?}",
                            if listed_valid { "valid" } else { "invalid" },
                            hit.map(|d| d.check)
                        )),
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(exceptions_seen.len(), EXCEPTIONS.len());
    println!(
        "checked {valid_checked} valid and {invalid_checked} invalid test numbers over {formats} formats"
    );
    assert_eq!(formats, data::formats().len(), "embedded table out of step");
    assert!(
        valid_checked >= 148 && invalid_checked >= 76,
        "test numbers went missing"
    );
}

#[test]
fn tracking_every_pattern_compiles() {
    for (record, compiled) in data::formats().iter().zip(COMPILED.iter()) {
        assert!(
            compiled.is_some(),
            "{}/{}: pattern {:?} does not compile",
            record.courier_code,
            record.name,
            record.pattern
        );
    }
}

#[test]
fn tracking_normalise_strips_spaces_and_dashes() {
    assert_eq!(
        normalise(" 1z 999-aa1\t0123 4567 84\n"),
        "1Z999AA10123456784"
    );
    assert_eq!(normalise(""), "");
    assert!(detect("  - ").is_empty());
}

#[test]
fn tracking_ups_1z() {
    let d = best("1Z999AA10123456784").expect("UPS");
    assert_eq!((d.courier_code, d.format_name), ("ups", "UPS"));
    assert_eq!(d.check, CheckOutcome::Valid);
    assert_eq!(
        d.tracking_url.as_deref(),
        Some("https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1Z999AA10123456784")
    );
    assert!(d
        .details
        .iter()
        .any(|x| x.name == "Service Type" && x.value == "UPS United States Next Day Air (Red)"));
    // Same number as typed by a person.
    assert_eq!(best("1z 999 aa1 01 2345 6784"), Some(d));

    let wrong = detect("1Z999AA10123456785");
    let ups = find(&wrong, "ups", "UPS").expect("still UPS-shaped");
    assert_eq!(ups.check, CheckOutcome::InvalidCheckDigit);
    assert_eq!(best("1Z999AA10123456785"), None);
}

#[test]
fn tracking_usps() {
    // IMpb N (94…), 22 digits, reversed mod10 3/1.
    let d = best("9400191234567812345679").expect("USPS");
    assert_eq!((d.courier_code, d.format_id), ("usps", Some("usps_impb_n")));
    assert_eq!(d.check, CheckOutcome::Valid);
    assert!(d
        .tracking_url
        .as_deref()
        .is_some_and(|u| u.ends_with("9400191234567812345679")));
    assert_eq!(
        find(&detect("9400191234567812345670"), "usps", "USPS IMpb N").map(|d| d.check),
        Some(CheckOutcome::InvalidCheckDigit)
    );
    // With the `420` + ZIP routing prefix (scanned barcodes), and with ZIP+4.
    let routed = best("42090210 9400191234567812345679").expect("routed");
    assert_eq!(routed.format_id, Some("usps_impb_n"));
    let zip4 = best("420902101234 9400191234567812345679").expect("zip+4");
    assert_eq!(zip4.format_id, Some("usps_impb_n"));
    // ZIP+4 is only allowed before a 22-digit serial (upstream look-ahead): 420 + ZIP + ZIP+4
    // + a 26-digit IMpb N number does not fit IMpb N.
    let serial26 = "94055123456123456789012343";
    assert_eq!(serial26.len(), 26);
    let long = format!("420902101234{serial26}");
    assert!(find(&detect(&long), "usps", "USPS IMpb N").is_none());
    // USPS 20, mod10 3/1.
    let d = detect("0312 3456 7890 1234 5672");
    assert_eq!(
        find(&d, "usps", "USPS 20").map(|d| d.check),
        Some(CheckOutcome::Valid)
    );
}

#[test]
fn tracking_fedex() {
    let d = best("123456789012").expect("FedEx 12");
    assert_eq!((d.courier_code, d.format_id), ("fedex", Some("fedex_12")));
    assert_eq!(d.check, CheckOutcome::Valid);
    assert_eq!(
        find(&detect("123456789013"), "fedex", "FedEx Express (12)").map(|d| d.check),
        Some(CheckOutcome::InvalidCheckDigit)
    );
    let ground96 = best("9611020123456712345678").expect("Ground 96");
    assert_eq!(ground96.format_id, Some("fedex_ground_96"));
    let ground = detect("123456789012343");
    assert_eq!(
        find(&ground, "fedex", "FedEx Ground").map(|d| d.check),
        Some(CheckOutcome::Valid)
    );
}

#[test]
fn tracking_dhl() {
    // DHL Express: serial mod 7 is the check digit (123456789 mod 7 = 1).
    let d = best("1234567891").expect("DHL Express");
    assert_eq!((d.courier_code, d.format_id), ("dhl", Some("dhl_express")));
    assert_eq!(d.check, CheckOutcome::Valid);
    assert_eq!(
        find(&detect("1234567892"), "dhl", "DHL Express").map(|d| d.check),
        Some(CheckOutcome::InvalidCheckDigit)
    );
    // Piece id, no check digit.
    let piece = best("JJD0012345678").expect("piece id");
    assert_eq!(
        (piece.courier_code, piece.check),
        ("dhl", CheckOutcome::NoCheckDigit)
    );
}

#[test]
fn tracking_s10_china_post_and_others() {
    // RR 12345678 5 CN: 204 mod 11 = 6, check 11 − 6 = 5.
    let d = best("RR123456785CN").expect("S10");
    assert_eq!(d.courier_code, "s10");
    assert_eq!(d.courier_name, "China Post");
    assert_eq!(d.check, CheckOutcome::Valid);
    assert!(d
        .details
        .iter()
        .any(|x| x.name == "Service Type" && x.value == "Letter Post Registered"));
    // Wrong check digit: flagged.
    let wrong = detect("RR 123 456 784 CN");
    assert_eq!(
        find(&wrong, "s10", "S10").map(|d| d.check),
        Some(CheckOutcome::InvalidCheckDigit)
    );
    assert!(!report("RR123456784CN").found);
    // An unknown issuing country is not an S10 number at all (upstream `additional.exists`).
    assert!(find(&detect("RR123456785XX"), "s10", "S10").is_none());
    // Another post and service: Letter Post Express from Singapore.
    let sg = best("LX123456785SG").expect("S10 SG");
    assert_eq!((sg.courier_code, sg.courier_name), ("s10", "SingPost"));
    // LX… also has the shape of a DHL eCommerce number (no check digit); the S10 check digit
    // makes S10 the best match.
    let all = detect("LX123456785CN");
    assert!(find(&all, "dhl", "DHL E-Commerce").is_some());
    assert_eq!(all.first().map(|d| d.courier_code), Some("s10"));
    // YunExpress numbers have no check digit.
    let yun = best("YT2229521272164446").expect("YunExpress");
    assert_eq!(
        (yun.courier_code, yun.check),
        ("yunexpress", CheckOutcome::NoCheckDigit)
    );
}

#[test]
fn tracking_precedence_between_valid_formats() {
    // 279666972518 passes both FedEx Express (12) and Purolator (12, Luhn): FedEx comes first.
    let all = detect("279666972518");
    assert_eq!(
        find(&all, "purolator", "Purolator (12)").map(|d| d.check),
        Some(CheckOutcome::Valid)
    );
    assert_eq!(best("279666972518").map(|d| d.courier_code), Some("fedex"));
    // Outcome ranks before courier: valid, then no check digit, then invalid.
    let ranks: Vec<u8> = all.iter().map(|d| precedence(d).0).collect();
    let mut sorted = ranks.clone();
    sorted.sort_unstable();
    assert_eq!(ranks, sorted);
}

#[test]
fn tracking_report_for_the_cli() {
    let ok = report("1Z999AA10123456784");
    assert!(ok.found);
    assert!(ok.text.starts_with("tracking number: 1Z999AA10123456784\n"));
    assert!(ok
        .text
        .contains("  UPS (ups), format \"UPS\": check digit valid\n"));
    assert!(ok
        .text
        .contains("    track: https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1Z999AA10123456784\n"));
    assert!(ok.text.contains("best match: UPS (ups), format \"UPS\""));

    let typo = report("1Z999AA10123456785");
    assert!(!typo.found);
    assert!(typo.text.contains("CHECK DIGIT INVALID"));
    assert!(typo
        .text
        .contains("no courier fits: the check digit fails for UPS (\"UPS\")"));

    let none = report("hello");
    assert!(!none.found);
    assert_eq!(
        none.text,
        "tracking number: HELLO\nno courier's format matches this number\n"
    );

    let no_check = report("YT2229521272164446");
    assert!(no_check.found);
    assert!(no_check.text.contains("format has no check digit"));

    // render is pure: same input, same text.
    assert_eq!(render("X", &[]), render("X", &[]));
}

/// The three patterns build.rs rewrites without look-around: whether each of these numbers has
/// the format's shape (whatever its check digit) is what the upstream pattern, with its
/// look-arounds, answers in a backtracking engine (PCRE-style), worked out once and pinned here.
#[test]
fn tracking_look_around_rewrites_agree_with_upstream() {
    const CASES: &[(&str, &str, bool)] = &[
        ("usps_impb_n", "9400191234567812345679", true),
        ("usps_impb_n", "94001912345678123456789012", true),
        ("usps_impb_n", "940019123456781234567890123456", true),
        ("usps_impb_n", "9405512345612345678909", true),
        ("usps_impb_n", "94055123456123456789012343", true),
        ("usps_impb_n", "940551234561234567890123456", false),
        ("usps_impb_n", "420902109400191234567812345679", true),
        ("usps_impb_n", "4209021094001912345678123456789012", true),
        (
            "usps_impb_n",
            "42090210940019123456781234567890123456",
            false,
        ),
        ("usps_impb_n", "4209021012349400191234567812345679", true),
        (
            "usps_impb_n",
            "42090210123494055123456123456789012343",
            false,
        ),
        ("usps_impb_n", "9400091234567812345679", true),
        ("usps_impb_c", "9212391234567812345679", true),
        ("usps_impb_c", "9312391234567812345679", false),
        ("usps_impb_c", "9312301234512345678909", true),
        ("usps_impb_c", "9212301234512345678909", false),
        ("usps_impb_c", "9512391234567812345679", true),
        ("usps_impb_c", "9512301234512345678909", true),
        ("usps_impb_c", "92123912345678123456789012", true),
        ("usps_impb_c", "420902109212391234567812345679", true),
        ("usps_impb_c", "4209021012349212391234567812345679", true),
        (
            "usps_impb_c",
            "42090210123492123912345678123456789012",
            false,
        ),
        ("usps_impb_c", "4209021092123912345678123456789012", true),
        ("dhl_ecommerce", "GM2951173225174494", true),
        ("dhl_ecommerce", "GMA951173225174494", false),
        ("dhl_ecommerce", "GM123456789", false),
        ("dhl_ecommerce", "GM1234567890", true),
        (
            "dhl_ecommerce",
            "CN1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            true,
        ),
        (
            "dhl_ecommerce",
            "CN1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            false,
        ),
    ];
    for &(format_id, number, shaped) in CASES {
        let hit = detect(number)
            .iter()
            .any(|d| d.format_id == Some(format_id));
        assert_eq!(hit, shaped, "{format_id}: {number}");
    }
}
