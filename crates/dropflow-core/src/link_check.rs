//! Checking a supplier order a person found against the purchase it is to be linked to: same
//! items in the same quantities, shipping to the same place. Pure: the link action fetches the
//! supplier's order and asks [`check`]; a difference refuses the link unless the person
//! accepts it knowingly.
//!
//! Only what the supplier reports is compared (an address field it leaves out is not a
//! difference); what it reports nothing about is listed as unchecked, so the person knows.

use crate::reference::address::PostalAddress;
use crate::supplier::RemoteOrder;

/// One item the purchase buys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub supplier_product_id: String,
    pub supplier_sku_id: String,
    pub quantity: u32,
}

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Differences, each naming what differs.
    pub mismatches: Vec<String>,
    /// What could not be compared because the supplier does not report it.
    pub unchecked: Vec<String>,
}

impl Findings {
    pub fn matches(&self) -> bool {
        self.mismatches.is_empty()
    }
}

fn clean(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| c == ',' || c == '.')
        .to_lowercase()
}

fn present(v: &Option<String>) -> Option<String> {
    v.as_deref().map(clean).filter(|s| !s.is_empty())
}

/// Quantities by variant: the purchase's items merged (a bundle may list one variant twice).
fn merged(items: &[Expected]) -> Vec<(String, String, u32)> {
    let mut out: Vec<(String, String, u32)> = Vec::new();
    for item in items {
        let sku = item.supplier_sku_id.trim().to_string();
        match out.iter_mut().find(|(_, s, _)| *s == sku) {
            Some((_, _, q)) => *q = q.saturating_add(item.quantity),
            None => out.push((
                item.supplier_product_id.trim().to_string(),
                sku,
                item.quantity,
            )),
        }
    }
    out
}

/// Compares the purchase (our `attempt_id`, its `items`, and `ship_to`, the address the
/// supplier was to be given) with the supplier's order `remote`, as `supplier` ("CJ")
/// reports it.
pub fn check(
    supplier: &str,
    attempt_id: &str,
    items: &[Expected],
    ship_to: Option<&PostalAddress>,
    remote: &RemoteOrder,
) -> Findings {
    let mut findings = Findings::default();
    if let Some(reference) = remote
        .attempt_id
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty() && *r != attempt_id)
    {
        findings.mismatches.push(format!(
            "{supplier}'s order carries reference {reference}, not this attempt's \
             ({attempt_id}): it may be another purchase"
        ));
    }
    compare_items(supplier, items, remote, &mut findings);
    match (ship_to, &remote.ship_to) {
        (Some(ours), Some(theirs)) => compare_address(supplier, ours, theirs, &mut findings),
        (_, None) => findings
            .unchecked
            .push(format!("the address ({supplier} does not report it)")),
        (None, Some(_)) => findings
            .unchecked
            .push("the address (the order has none on record)".to_string()),
    }
    findings
}

fn compare_items(supplier: &str, items: &[Expected], remote: &RemoteOrder, f: &mut Findings) {
    if remote.items.is_empty() {
        f.unchecked
            .push(format!("the items ({supplier} lists none for this order)"));
        return;
    }
    let ours = merged(items);
    let mut theirs: Vec<(Option<String>, Option<String>, u32, bool)> = remote
        .items
        .iter()
        .map(|i| {
            (
                i.supplier_product_id
                    .as_deref()
                    .map(|p| p.trim().to_string()),
                i.supplier_sku_id.as_deref().map(|s| s.trim().to_string()),
                i.quantity,
                false,
            )
        })
        .collect();
    for (product, sku, quantity) in &ours {
        let mut found = 0u32;
        for (their_product, their_sku, their_quantity, used) in theirs.iter_mut() {
            let same = match their_sku.as_deref().filter(|s| !s.is_empty()) {
                Some(their_sku) => their_sku == sku,
                None => their_product.as_deref() == Some(product.as_str()),
            };
            if same {
                found = found.saturating_add(*their_quantity);
                *used = true;
            }
        }
        if found != *quantity {
            f.mismatches.push(format!(
                "item {sku}: this purchase buys {quantity}, {supplier}'s order has {found}"
            ));
        }
    }
    for (product, sku, quantity, used) in &theirs {
        if !used {
            let name = sku.clone().or_else(|| product.clone()).unwrap_or_default();
            f.mismatches.push(format!(
                "item {name}: {supplier}'s order has {quantity}, which this purchase does not buy"
            ));
        }
    }
}

fn compare_address(supplier: &str, ours: &PostalAddress, theirs: &PostalAddress, f: &mut Findings) {
    let fields: [(&str, &Option<String>, &Option<String>); 5] = [
        ("country", &ours.country_code, &theirs.country_code),
        ("postal code", &ours.postal_code, &theirs.postal_code),
        ("city", &ours.city, &theirs.city),
        ("street", &ours.address1, &theirs.address1),
        ("recipient", &ours.name, &theirs.name),
    ];
    let squash = |s: String| s.replace(' ', "");
    for (field, mine, other) in fields {
        match (present(mine), present(other)) {
            (Some(a), Some(b)) if squash(a.clone()) != squash(b.clone()) => {
                f.mismatches.push(format!(
                    "ship-to {field}: the order has “{a}”, {supplier}'s order has “{b}”"
                ));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::procurement::SupplierOrderStatus;
    use crate::supplier::RemoteItem;

    fn remote(items: &[(&str, u32)], city: Option<&str>) -> RemoteOrder {
        RemoteOrder {
            supplier_order_id: "1".into(),
            attempt_id: None,
            status: SupplierOrderStatus::AwaitingPayment,
            raw_status: "CREATED".into(),
            total_cost: None,
            tracking: Vec::new(),
            items: items
                .iter()
                .map(|(sku, q)| RemoteItem {
                    supplier_product_id: None,
                    supplier_sku_id: Some((*sku).into()),
                    quantity: *q,
                })
                .collect(),
            ship_to: city.map(|c| {
                Box::new(PostalAddress {
                    city: Some(c.into()),
                    country_code: Some("us".into()),
                    ..Default::default()
                })
            }),
        }
    }

    fn ours() -> (Vec<Expected>, PostalAddress) {
        (
            vec![Expected {
                supplier_product_id: "p1".into(),
                supplier_sku_id: "v1".into(),
                quantity: 2,
            }],
            PostalAddress {
                city: Some("New  York".into()),
                country_code: Some("US".into()),
                postal_code: Some("10001".into()),
                ..Default::default()
            },
        )
    }

    #[test]
    fn the_same_order_matches_whatever_the_spacing_and_case() {
        let (items, address) = ours();
        let f = check(
            "CJ",
            "att-1",
            &items,
            Some(&address),
            &remote(&[("v1", 2)], Some("new york")),
        );
        assert!(f.matches(), "{f:?}");
        assert!(f.unchecked.is_empty());
    }

    #[test]
    fn quantities_extra_items_and_the_address_are_named() {
        let (items, address) = ours();
        let mut theirs = remote(&[("v1", 1), ("v9", 1)], Some("Boston"));
        theirs.attempt_id = Some("att-2".into());
        let f = check("CJ", "att-1", &items, Some(&address), &theirs);
        assert_eq!(f.mismatches.len(), 4, "{f:?}");
        assert!(f.mismatches[0].contains("reference att-2"));
        assert!(f.mismatches[1].contains("buys 2, CJ's order has 1"));
        assert!(f.mismatches[2].contains("v9"));
        assert!(f.mismatches[3].contains("ship-to city"));
    }

    #[test]
    fn what_the_supplier_does_not_report_is_unchecked_not_different() {
        let (items, address) = ours();
        let f = check(
            "AliExpress",
            "att-1",
            &items,
            Some(&address),
            &remote(&[], None),
        );
        assert!(f.matches());
        assert_eq!(f.unchecked.len(), 2);
    }
}
