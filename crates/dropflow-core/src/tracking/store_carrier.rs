//! The carrier name and the tracking link a store shows the customer for a parcel.
//!
//! Suppliers and tracking data name carriers their own way ("United States Postal Service",
//! "Royal Mail Group plc", "SingPost"); Shopify links a tracking number only when
//! `tracking_company` is a name on its own list, spelled as listed, and shows anything else as
//! plain text (protocols.md §1.8). So a parcel goes to the store with Shopify's name where the
//! carrier has one, and always with a link the customer can open: the supplier's, else the
//! carrier's own page, else a universal tracking page. A WooCommerce note carries the same
//! name and link.
//!
//! The mapping is data: `data/carriers/store_carriers.toml`, with its sources.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::best;

/// What the store is told about a parcel's carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCarrier {
    /// Shopify's name for the carrier when it has one; otherwise the name the supplier or
    /// the number's courier gave (shown as text), or none at all.
    pub company: Option<String>,
    /// Whether `company` is a name on Shopify's list (Shopify then links it itself too).
    pub on_shopify_list: bool,
    /// A page where the customer can follow the parcel: never absent.
    pub url: String,
}

/// The carrier to report for a parcel numbered `number`, which the supplier (or tracking
/// feed) calls `reported` and may have given a tracking page `reported_url` for.
///
/// The reported name is looked up first (the supplier knows which line it used); when it
/// gives no name Shopify links, the courier the number itself belongs to is tried.
pub fn for_store(reported: Option<&str>, number: &str, reported_url: Option<&str>) -> StoreCarrier {
    let table = &*TABLE;
    let reported = reported.map(str::trim).filter(|r| !r.is_empty());
    let detected = best(number);
    let by_reported = reported.and_then(|name| table.by_alias.get(&key(name)));
    let by_number = detected.as_ref().and_then(|d| {
        // An S10 number names its postal operator (`China Post`, `Royal Mail Group plc`).
        table
            .by_alias
            .get(&key(d.courier_name))
            .or_else(|| table.by_courier.get(d.courier_code))
    });
    // A name Shopify links wins; a shipping line's own name ("CJPacket Ordinary") is not a
    // carrier Shopify knows, but the number may well be (a USPS last mile).
    let entry = [by_reported, by_number]
        .into_iter()
        .flatten()
        .map(|i| &table.entries[*i])
        .find(|e| e.shopify.is_some())
        .or_else(|| by_reported.or(by_number).map(|i| &table.entries[*i]));
    let shopify = entry.and_then(|e| e.shopify.clone());
    let company = shopify
        .clone()
        .or_else(|| reported.map(str::to_string))
        .or_else(|| detected.as_ref().map(|d| d.courier_name.to_string()));
    let number = super::normalise(number);
    let url = reported_url
        .map(str::trim)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(str::to_string)
        .or_else(|| {
            entry
                .and_then(|e| e.url.as_deref())
                .map(|t| t.replace("%s", &number))
        })
        .or_else(|| detected.as_ref().and_then(|d| d.tracking_url.clone()))
        .unwrap_or_else(|| table.universal_url.replace("%s", &number));
    StoreCarrier {
        on_shopify_list: shopify.is_some(),
        company,
        url,
    }
}

/// The comparison key of a name: letters and digits only, lower-cased.
fn key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    universal_url: String,
    shopify_names: Vec<String>,
    carrier: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    shopify: Option<String>,
    #[serde(default)]
    couriers: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    url: Option<String>,
}

struct Table {
    universal_url: String,
    /// Shopify's list, for the tests' check that every `shopify` name is on it.
    #[cfg_attr(not(test), allow(dead_code))]
    shopify_names: Vec<String>,
    entries: Vec<Entry>,
    by_alias: HashMap<String, usize>,
    by_courier: HashMap<String, usize>,
}

const SOURCE: &str = include_str!("../../data/carriers/store_carriers.toml");

/// The table, read once. The file is compiled in and checked by the tests, so a parse error
/// can only come from an edit the tests would catch; it then maps nothing (every parcel
/// still gets the universal link) rather than failing a push.
static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let file = parse().unwrap_or_else(|_| File {
        universal_url: "https://t.17track.net/en#nums=%s".to_string(),
        shopify_names: Vec::new(),
        carrier: Vec::new(),
    });
    let mut by_alias = HashMap::new();
    let mut by_courier = HashMap::new();
    for (i, entry) in file.carrier.iter().enumerate() {
        for alias in entry.aliases.iter().chain(entry.shopify.iter()) {
            by_alias.entry(key(alias)).or_insert(i);
        }
        for courier in &entry.couriers {
            by_courier.entry(courier.clone()).or_insert(i);
        }
    }
    Table {
        universal_url: file.universal_url,
        shopify_names: file.shopify_names,
        entries: file.carrier,
        by_alias,
        by_courier,
    }
});

fn parse() -> Result<File, toml::de::Error> {
    toml::from_str(SOURCE)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_only_what_shopify_lists() {
        let file = parse().unwrap();
        assert!(file.universal_url.contains("%s"));
        let mut seen = HashMap::new();
        for (i, entry) in file.carrier.iter().enumerate() {
            if let Some(name) = &entry.shopify {
                assert!(
                    file.shopify_names.contains(name),
                    "{name} is not on Shopify's list"
                );
            }
            assert!(
                entry.shopify.is_some() || !entry.aliases.is_empty() || !entry.couriers.is_empty(),
                "entry {i} maps nothing"
            );
            for alias in entry.aliases.iter().chain(entry.shopify.iter()) {
                if let Some(other) = seen.insert(key(alias), i) {
                    assert_eq!(other, i, "alias {alias} is in two entries");
                }
            }
        }
        assert!(TABLE.shopify_names.contains(&"USPS".to_string()));
    }

    /// Every courier the detector knows has an entry, so none reaches a store unmapped.
    #[test]
    fn every_detected_courier_is_in_the_table() {
        for record in super::super::data::formats() {
            let code = record.courier_code;
            let mapped = code == "s10" || TABLE.by_courier.contains_key(code);
            assert!(mapped, "courier {code} has no entry in store_carriers.toml");
        }
    }

    /// Names as suppliers and the S10 table write them become Shopify's; carriers Shopify does
    /// not list keep their name and always get a link.
    #[test]
    fn examples_get_shopify_names_and_links() {
        // (reported name, number, supplier's url) → (company, on Shopify's list, url starts with)
        type Example<'a> = (
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            bool,
            &'a str,
        );
        let table: &[Example<'_>] = &[
            (
                Some("United States Postal Service"),
                "9400111206206406260787",
                None,
                Some("USPS"),
                true,
                "https://tools.usps.com/",
            ),
            (
                None,
                "9400111206206406260787",
                None,
                Some("USPS"),
                true,
                "https://tools.usps.com/",
            ),
            (
                Some("Royal Mail Group plc"),
                "RB123456785GB",
                None,
                Some("Royal Mail"),
                true,
                "https://t.17track.net/en#nums=RB123456785GB",
            ),
            (
                None,
                "RB123456785GB",
                None,
                Some("Royal Mail"),
                true,
                "https://t.17track.net/",
            ),
            (
                Some("SingPost"),
                "RR123456785SG",
                None,
                Some("Singapore Post"),
                true,
                "https://t.17track.net/",
            ),
            (
                None,
                "RR123456785CN",
                None,
                Some("China Post"),
                true,
                "https://t.17track.net/",
            ),
            (
                Some("YUNEXPRESS"),
                "YT2229521272164446",
                None,
                Some("YunExpress"),
                true,
                "https://www.yuntrack.com/parcelTracking?id=YT2229521272164446",
            ),
            (
                Some("ups"),
                "1Z5R89390357567127",
                None,
                Some("UPS"),
                true,
                "https://wwwapps.ups.com/",
            ),
            (
                Some("FedEx Ground"),
                "986578788855",
                None,
                Some("FedEx"),
                true,
                "https://www.fedex.com/",
            ),
            (
                Some("4PX Express"),
                "4PX3001234567890CN",
                None,
                Some("4PX"),
                true,
                "https://t.17track.net/",
            ),
            // Not on Shopify's list: the name as given, and a link.
            (
                Some("Cainiao"),
                "LP00675700340000",
                None,
                Some("Cainiao"),
                false,
                "https://t.17track.net/en#nums=LP00675700340000",
            ),
            (
                Some("AliExpress Standard Shipping"),
                "LP00675700340000",
                Some("https://global.cainiao.com/detail.htm?mailNoList=LP00675700340000"),
                Some("AliExpress Standard Shipping"),
                false,
                "https://global.cainiao.com/",
            ),
            (
                Some("YANWEN"),
                "UG123456789YP",
                None,
                Some("YANWEN"),
                false,
                "https://t.17track.net/",
            ),
            (
                None,
                "RR123456785HK",
                None,
                Some("Hong Kong Post"),
                false,
                "https://t.17track.net/",
            ),
            (
                Some("CJPacket Ordinary"),
                "9400111206206406260787",
                None,
                Some("USPS"),
                true,
                "https://tools.usps.com/",
            ),
            (
                None,
                "XYZ",
                None,
                None,
                false,
                "https://t.17track.net/en#nums=XYZ",
            ),
            // A supplier "url" that is not a web address is not sent.
            (
                Some("Yanwen"),
                "UG1",
                Some("javascript:alert(1)"),
                Some("Yanwen"),
                false,
                "https://t.17track.net/",
            ),
        ];
        for (reported, number, url, company, listed, link) in table {
            let got = for_store(*reported, number, *url);
            assert_eq!(got.company.as_deref(), *company, "{reported:?} {number}");
            assert_eq!(got.on_shopify_list, *listed, "{reported:?} {number}");
            assert!(
                got.url.starts_with(link),
                "{reported:?} {number}: {}",
                got.url
            );
        }
    }
}
