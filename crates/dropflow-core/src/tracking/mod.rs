//! Which courier a tracking number belongs to, from the number alone: the formats (patterns,
//! check digits, lookups, tracking URLs) of jkeen/tracking_number_data, embedded at build time
//! from `data/tracking_number_data/` (MIT, see `data/NOTICE.md`).
//!
//! A number is first [`normalise`]d (whitespace and dashes removed, upper-cased), then matched
//! whole against every format. Each match is a [`Detection`] whose [`CheckOutcome`] says
//! whether the format's check digit agrees. A number that has a courier's shape but a wrong
//! check digit is reported as [`CheckOutcome::InvalidCheckDigit`] so the caller can flag it
//! before pushing it to a store. A format whose data requires a lookup to resolve (S10: the
//! issuing country must be a known postal operator) does not match when it does not resolve.
//!
//! Many formats overlap (purely numeric numbers especially), so [`detect`] returns every match,
//! ordered by [`precedence`]; [`best`] is the first acceptable one.
//!
//! Regexes are compiled once, on first use. Patterns come from the data converted by
//! `build.rs` (the three upstream patterns with look-around are rewritten there into
//! equivalent ones without it).

mod checksum;
mod data;
pub mod store_carrier;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::Serialize;

use data::{FormatRecord, Matcher, PrependWhen};

/// A UPU S10 number (`RR123456785CN`): the two service letters, the serial's last eight
/// digits, their check digit and the issuing country (for sandboxes and demos that need
/// numbers a courier check accepts).
pub fn s10_number(service: &str, serial: u64, country: &str) -> String {
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    let digits = format!("{:08}", serial % 100_000_000);
    let check = checksum::s10(&digits, &WEIGHTS, 11).unwrap_or(0);
    format!("{service}{digits}{check}{country}")
}

/// What the check digit says about a number that has a format's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The format has a check digit and it is right.
    Valid,
    /// The format has no check digit; the shape is all there is to go on.
    NoCheckDigit,
    /// The format has a check digit and it is wrong: most likely a typo.
    InvalidCheckDigit,
}

impl CheckOutcome {
    /// Valid or absent check digit: the number may be used for this format.
    pub fn is_acceptable(self) -> bool {
        !matches!(self, CheckOutcome::InvalidCheckDigit)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Valid => "valid",
            CheckOutcome::NoCheckDigit => "no_check_digit",
            CheckOutcome::InvalidCheckDigit => "invalid_check_digit",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            CheckOutcome::Valid => "check digit valid",
            CheckOutcome::NoCheckDigit => "format has no check digit",
            CheckOutcome::InvalidCheckDigit => "CHECK DIGIT INVALID",
        }
    }

    fn rank(self) -> u8 {
        match self {
            CheckOutcome::Valid => 0,
            CheckOutcome::NoCheckDigit => 1,
            CheckOutcome::InvalidCheckDigit => 2,
        }
    }
}

/// A value decoded from part of the number through one of the format's lookup tables, e.g.
/// `Service Type` → `UPS United States Ground`, or (S10) `Courier` → `China Post`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub name: &'static str,
    pub value: &'static str,
    pub description: Option<&'static str>,
}

/// One format a number fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detection {
    /// The data's courier code: `ups`, `usps`, `fedex`, `dhl`, `s10` (UPU international
    /// postal numbers), `yunexpress`, …
    pub courier_code: &'static str,
    /// The courier's name; for S10 numbers the issuing postal operator from the country code
    /// (e.g. `China Post` for `…CN`), as upstream does.
    pub courier_name: &'static str,
    /// The data's format id (a few older formats have none).
    pub format_id: Option<&'static str>,
    pub format_name: &'static str,
    /// The normalised number that was matched.
    pub number: String,
    /// The courier's tracking page for this number, when the data has one.
    pub tracking_url: Option<String>,
    pub check: CheckOutcome,
    /// Values decoded through the format's lookup tables.
    pub details: Vec<Detail>,
}

/// Whitespace and dashes removed, letters upper-cased: the form every pattern is written for.
pub fn normalise(number: &str) -> String {
    number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Couriers in the order [`detect`] lists equally good matches (and [`best`] picks among
/// them): the carriers dropflow's stores ship with most (US carriers, then UPU postal numbers
/// as used by China Post and other posts, then YunExpress); every other courier follows in data
/// order (courier file name, then format order within the file).
pub const PRECEDENCE: &[&str] = &["ups", "usps", "fedex", "dhl", "s10", "yunexpress"];

/// Sort key of a detection: check outcome first (valid, then no check digit, then invalid —
/// a right check digit is evidence, a missing one is not), then [`PRECEDENCE`], then data order.
pub fn precedence(d: &Detection) -> (u8, usize) {
    let courier = PRECEDENCE
        .iter()
        .position(|c| *c == d.courier_code)
        .unwrap_or(PRECEDENCE.len());
    (d.check.rank(), courier)
}

/// Every format the number fits, best first (see [`precedence`]). Empty when none does.
pub fn detect(number: &str) -> Vec<Detection> {
    let number = normalise(number);
    if number.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<(usize, Detection)> = data::formats()
        .iter()
        .zip(COMPILED.iter())
        .enumerate()
        .filter_map(|(i, (record, compiled))| {
            let compiled = compiled.as_ref()?;
            detect_one(record, compiled, &number).map(|d| (i, d))
        })
        .collect();
    // Stable sort by (outcome, courier precedence, data order).
    found.sort_by(|(ia, a), (ib, b)| match precedence(a).cmp(&precedence(b)) {
        Ordering::Equal => ia.cmp(ib),
        other => other,
    });
    found.into_iter().map(|(_, d)| d).collect()
}

/// The first detection with a valid or absent check digit, in [`precedence`] order: a valid
/// check digit beats a format without one; among equals, [`PRECEDENCE`] then data order.
pub fn best(number: &str) -> Option<Detection> {
    detect(number).into_iter().find(|d| d.check.is_acceptable())
}

/// What `dropflow tracking detect NUMBER` prints, and whether it found a courier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub text: String,
    /// At least one format fits with a valid or absent check digit (CLI exit 0; else 1).
    pub found: bool,
}

/// The courier and check outcome for a number: (`valid` | `invalid` | `unrecognised`,
/// courier name, the courier's tracking page).
pub fn check_number(number: &str) -> (&'static str, Option<&'static str>, Option<String>) {
    let found = detect(number);
    match best(number) {
        Some(best) => ("valid", Some(best.courier_name), best.tracking_url),
        None if found.is_empty() => ("unrecognised", None, None),
        None => ("invalid", found.first().map(|d| d.courier_name), None),
    }
}

/// Detects and renders in one go: `render(&normalise(number), &detect(number))`.
pub fn report(number: &str) -> Report {
    render(&normalise(number), &detect(number))
}

/// Renders detections for a person: one block per detection (courier, format, check outcome,
/// tracking URL, decoded details), then the verdict — the best match, or why there is none
/// (no format fits, or only formats whose check digit fails, named).
pub fn render(number: &str, detections: &[Detection]) -> Report {
    let mut text = String::new();
    let _ = writeln!(text, "tracking number: {number}");
    for d in detections {
        let _ = writeln!(
            text,
            "  {} ({}), format {:?}: {}",
            d.courier_name,
            d.courier_code,
            d.format_name,
            d.check.describe()
        );
        if let Some(url) = &d.tracking_url {
            let _ = writeln!(text, "    track: {url}");
        }
        for detail in &d.details {
            let _ = writeln!(text, "    {}: {}", detail.name, detail.value);
        }
    }
    let best = detections.iter().find(|d| d.check.is_acceptable());
    match best {
        Some(d) => {
            let _ = writeln!(
                text,
                "best match: {} ({}), format {:?}, {}",
                d.courier_name,
                d.courier_code,
                d.format_name,
                d.check.describe()
            );
        }
        None if detections.is_empty() => {
            let _ = writeln!(text, "no courier's format matches this number");
        }
        None => {
            let failed: Vec<String> = detections
                .iter()
                .map(|d| format!("{} ({:?})", d.courier_name, d.format_name))
                .collect();
            let _ = writeln!(
                text,
                "no courier fits: the check digit fails for {}; the number is probably \
                 mistyped and must not be pushed to a store",
                failed.join(", ")
            );
        }
    }
    Report {
        text,
        found: best.is_some(),
    }
}

// ---------------------------------------------------------------------------------------------

struct Compiled {
    regex: Regex,
    prepend: Option<Regex>,
    /// Per lookup, per entry: the compiled `matches_regex` (None for exact entries).
    lookups: Vec<Vec<Option<Regex>>>,
}

/// One entry per format, in data order; None if a regex of that format failed to compile
/// (a test asserts that none does).
static COMPILED: LazyLock<Vec<Option<Compiled>>> =
    LazyLock::new(|| data::formats().iter().map(compile).collect());

fn compile(record: &FormatRecord) -> Option<Compiled> {
    let regex = Regex::new(record.pattern).ok()?;
    let prepend = match &record.prepend {
        Some(p) => Some(match p.when {
            PrependWhen::NotStartingWith(r) => Regex::new(r).ok()?,
        }),
        None => None,
    };
    let mut lookups = Vec::with_capacity(record.lookups.len());
    for lookup in record.lookups {
        let mut entries = Vec::with_capacity(lookup.entries.len());
        for entry in lookup.entries {
            entries.push(match entry.matcher {
                Matcher::Exact(_) => None,
                Matcher::Regex(r) => Some(Regex::new(r).ok()?),
            });
        }
        lookups.push(entries);
    }
    Some(Compiled {
        regex,
        prepend,
        lookups,
    })
}

/// The text of group `name` (or of its renamed repeats `name__2`, …), if it took part.
fn group<'h>(regex: &Regex, caps: &Captures<'h>, name: &str) -> Option<&'h str> {
    regex
        .capture_names()
        .enumerate()
        .find_map(|(i, group_name)| {
            let base = group_name?.split("__").next()?;
            if base == name {
                caps.get(i).map(|m| m.as_str())
            } else {
                None
            }
        })
}

fn detect_one(record: &FormatRecord, compiled: &Compiled, number: &str) -> Option<Detection> {
    let caps = compiled.regex.captures(number)?;

    let mut details = Vec::new();
    for (lookup, entry_regexes) in record.lookups.iter().zip(&compiled.lookups) {
        let Some(value) = group(&compiled.regex, &caps, lookup.group) else {
            continue;
        };
        let hit = lookup
            .entries
            .iter()
            .zip(entry_regexes)
            .find(|(entry, regex)| match entry.matcher {
                Matcher::Exact(m) => m == value,
                Matcher::Regex(_) => regex.as_ref().is_some_and(|r| r.is_match(value)),
            });
        if let Some((entry, _)) = hit {
            details.push(Detail {
                name: lookup.name,
                value: entry.value,
                description: entry.description,
            });
        }
    }
    let resolved = |name: &str| details.iter().any(|d| d.name == name);
    if !record.required_lookups.iter().all(|r| resolved(r)) {
        return None;
    }

    let check = match &record.checksum {
        None => CheckOutcome::NoCheckDigit,
        Some(algorithm) => {
            let raw = group(&compiled.regex, &caps, "SerialNumber").unwrap_or("");
            let serial = serial_for_check(record, compiled, raw);
            let check_digit = group(&compiled.regex, &caps, "CheckDigit").unwrap_or("");
            if checksum::verify(algorithm, &serial, check_digit) {
                CheckOutcome::Valid
            } else {
                CheckOutcome::InvalidCheckDigit
            }
        }
    };

    let courier_name = details
        .iter()
        .find(|d| d.name == "Courier")
        .map_or(record.courier_name, |d| d.value);
    Some(Detection {
        courier_code: record.courier_code,
        courier_name,
        format_id: record.id,
        format_name: record.name,
        number: number.to_string(),
        tracking_url: record.tracking_url.map(|t| t.replace("%s", number)),
        check,
        details,
    })
}

/// The serial number the check digit is computed over, after `prepend_if`.
fn serial_for_check(record: &FormatRecord, compiled: &Compiled, raw: &str) -> String {
    let (Some(prepend), Some(regex)) = (&record.prepend, &compiled.prepend) else {
        return raw.to_string();
    };
    let applies = match prepend.when {
        PrependWhen::NotStartingWith(_) => !raw.is_empty() && !regex.is_match(raw),
    };
    if applies {
        format!("{}{raw}", prepend.content)
    } else {
        raw.to_string()
    }
}
