//! Check-digit algorithms of jkeen/tracking_number_data (its CHECKSUM_ALGORITHMS.md and the
//! reference Ruby implementation; `../shared/reference/protocols.md` §5.4 in words). Each
//! function takes the serial number (after any `prepend_if`) and the check-digit text as
//! captured, and says whether they agree. Serials are short (at most a few dozen characters),
//! so sums never come near overflow; values are reduced as they go anyway.

use super::data::Checksum;

/// Whether `check` is the check digit of `serial` under `algorithm`.
pub(crate) fn verify(algorithm: &Checksum, serial: &str, check: &str) -> bool {
    match *algorithm {
        Checksum::Mod10 {
            evens_multiplier,
            odds_multiplier,
            reverse,
        } => digit(check)
            .is_some_and(|c| mod10(serial, evens_multiplier, odds_multiplier, reverse) == Some(c)),
        Checksum::Mod7 => digit(check).is_some_and(|c| mod7(serial) == Some(c)),
        Checksum::Luhn => digit(check).is_some_and(|c| luhn(serial) == Some(c)),
        Checksum::S10 { weightings, modulo } => {
            digit(check).is_some_and(|c| s10(serial, weightings, modulo) == Some(c))
        }
        Checksum::SumProduct {
            weightings,
            modulo1,
            modulo2,
        } => digit(check)
            .is_some_and(|c| sum_product(serial, weightings, modulo1, modulo2) == Some(c)),
        Checksum::Mod3736 { alphabet } => {
            mod_37_36(serial, alphabet).is_some_and(|c| check.len() == 1 && check.starts_with(c))
        }
    }
}

/// The value of a single decimal digit.
fn digit(text: &str) -> Option<u32> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => c.to_digit(10),
        _ => None,
    }
}

fn digits(serial: &str) -> Option<Vec<u32>> {
    serial.chars().map(|c| c.to_digit(10)).collect()
}

/// `mod10` (UPS, USPS, FedEx Ground, Canada Post, OnTrac): optionally reverse the serial; each
/// character at 0-based index i counts as its digit, or for a letter (ASCII code − 3) mod 10
/// (UPS's A=2, B=3, …); multiplied by `odds_multiplier` at odd i and `evens_multiplier` at even
/// i; check = (10 − sum mod 10) mod 10.
pub(crate) fn mod10(serial: &str, evens: u32, odds: u32, reverse: bool) -> Option<u32> {
    let mut chars: Vec<char> = serial.chars().collect();
    if reverse {
        chars.reverse();
    }
    let mut total: u64 = 0;
    for (i, c) in chars.into_iter().enumerate() {
        let value = match c.to_digit(10) {
            Some(d) => d,
            None if c.is_ascii_alphabetic() => (u32::from(c as u8) - 3) % 10,
            None => return None,
        };
        let multiplier = if i % 2 == 1 { odds } else { evens };
        total += u64::from(value) * u64::from(multiplier);
    }
    Some(((10 - total % 10) % 10) as u32)
}

/// `mod7` (DHL Express): the serial read as a decimal integer, mod 7 (computed digit by digit,
/// so any length works).
pub(crate) fn mod7(serial: &str) -> Option<u32> {
    let ds = digits(serial)?;
    if ds.is_empty() {
        return None;
    }
    Some(ds.into_iter().fold(0, |r, d| (r * 10 + d) % 7))
}

/// `luhn` (Old Dominion, Purolator): from the rightmost serial digit leftwards, double every
/// other digit starting with the rightmost, subtract 9 from doubles above 9, sum; check =
/// (10 − sum mod 10) mod 10.
pub(crate) fn luhn(serial: &str) -> Option<u32> {
    let ds = digits(serial)?;
    let total: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let x = if i % 2 == 0 { d * 2 } else { d };
            if x > 9 {
                x - 9
            } else {
                x
            }
        })
        .sum();
    Some((10 - total % 10) % 10)
}

/// `s10` (UPU S10, e.g. `RR123456785CN`): sum of the 8 serial digits × weightings 8 6 4 2 3 5 9
/// 7; r = sum mod 11; check = 0 when r = 1, 5 when r = 0, otherwise 11 − r.
pub(crate) fn s10(serial: &str, weightings: &[u32], modulo: u32) -> Option<u32> {
    let ds = digits(serial)?;
    if ds.len() != weightings.len() || modulo < 2 {
        return None;
    }
    let total: u32 = ds.iter().zip(weightings).map(|(d, w)| d * w).sum();
    Some(match total % modulo {
        1 => 0,
        0 => 5,
        r => modulo - r,
    })
}

/// `sum_product_with_weightings_and_modulo` (FedEx Express 12/34, ASTRA, Ground GSN): sum of
/// digit × weighting (position by position), then (sum mod modulo1) mod modulo2. A serial with
/// more digits than weightings does not validate (upstream would fail on it too).
pub(crate) fn sum_product(serial: &str, weightings: &[u32], m1: u32, m2: u32) -> Option<u32> {
    let ds = digits(serial)?;
    if ds.len() > weightings.len() || m1 == 0 || m2 == 0 {
        return None;
    }
    let total: u32 = ds.iter().zip(weightings).map(|(d, w)| d * w).sum();
    Some(total % m1 % m2)
}

/// `mod_37_36` (DPD): ISO 7064 MOD 37,36 hybrid as in DPD's parcel-label specification. Each
/// character's value is its index in `alphabet` (0–9 then A–Z = 10–35); start with 36; for each
/// character add its value, subtract 36 if above 36, double, subtract 37 if above 36; finally
/// 37 − value, with 36 read as 0. The result is rendered with the same alphabet.
pub(crate) fn mod_37_36(serial: &str, alphabet: &str) -> Option<char> {
    let alphabet: Vec<char> = alphabet.chars().collect();
    let m = u32::try_from(alphabet.len()).ok()?;
    if m < 2 {
        return None;
    }
    let mut cd = m;
    for c in serial.chars() {
        let value = u32::try_from(alphabet.iter().position(|&a| a == c)?).ok()?;
        cd += value;
        if cd > m {
            cd -= m;
        }
        cd *= 2;
        if cd > m {
            cd -= m + 1;
        }
    }
    let mut result = (m + 1) - cd;
    if result == m {
        result = 0;
    }
    alphabet.get(usize::try_from(result).ok()?).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const S10_WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];

    #[test]
    fn tracking_checksum_examples_worked_by_hand() {
        // UPS 1Z 999AA1 01 2345678 4: letters count as (ASCII − 3) mod 10, so A = 2.
        assert_eq!(mod10("999AA1012345678", 1, 2, false), Some(4));
        // DHL Express 331881002|5: 331881002 mod 7 = 5.
        assert_eq!(mod7("331881002"), Some(5));
        // S10 RB 12345678 5: 8+12+12+8+15+30+63+56 = 204; 204 mod 11 = 6; 11 − 6 = 5.
        assert_eq!(s10("12345678", &S10_WEIGHTS, 11), Some(5));
        // The textbook Luhn example: 7992739871 → 3.
        assert_eq!(luhn("7992739871"), Some(3));
        // FedEx Express 12: 98657878885 → 335 mod 11 = 5, mod 10 = 5.
        assert_eq!(
            sum_product("98657878885", &[3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1], 11, 10),
            Some(5)
        );
        // DPD 14: 09980000020033 → F (a test number of the data set).
        assert_eq!(
            mod_37_36("09980000020033", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            Some('F')
        );
    }

    #[test]
    fn tracking_s10_remainder_special_cases() {
        // Sum 0 → remainder 0 → check 5.
        assert_eq!(s10("00000000", &S10_WEIGHTS, 11), Some(5));
        // 7 × 8 = 56 → remainder 1 → check 0.
        assert_eq!(s10("70000000", &S10_WEIGHTS, 11), Some(0));
        // 2 × 9 = 18 → remainder 7 → check 4.
        assert_eq!(s10("00000020", &S10_WEIGHTS, 11), Some(4));
        assert_eq!(s10("1234567", &S10_WEIGHTS, 11), None);
    }

    #[test]
    fn tracking_checksum_rejects_bad_input() {
        assert_eq!(mod7(""), None);
        assert_eq!(luhn("12A"), None);
        assert_eq!(mod10("12-3", 1, 3, false), None);
        assert_eq!(
            mod_37_36("12a", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            None
        );
        let algorithm = Checksum::Mod7;
        assert!(verify(&algorithm, "331881002", "5"));
        assert!(!verify(&algorithm, "331881002", "55"));
        assert!(!verify(&algorithm, "331881002", ""));
    }
}
