//! Numbers the sandboxes make up: a scrambler, so neighbouring ids give unrelated orders and
//! schedules, and the check digits of the tracking-number formats they issue.

/// SplitMix64: a cheap, well-mixed hash of `x`.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The USPS mod-10 check digit: from the right, digits weighted 3, 1, 3, ...
pub(crate) fn usps_mod10(serial: &str) -> u32 {
    let sum: u32 = serial
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10
}

/// The UPU S10 check digit over 8 digits: weights 8 6 4 2 3 5 9 7, 11 − sum mod 11,
/// with 10 → 0 and 11 → 5.
pub(crate) fn s10_check(digits: &str) -> u32 {
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = digits
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_the_published_test_numbers() {
        // tracking_number_data usps.json and s10.json valid test numbers (RB123456785GB).
        assert_eq!(usps_mod10("940011120620640626078"), 7);
        assert_eq!(usps_mod10("950551106960504860062"), 4);
        assert_eq!(s10_check("12345678"), 5);
    }
}
