//! Where a customer sends returned goods, by rule: goods bought through the agent warehouse
//! (a purchase whose supplier `buys_for_warehouse`) go back to the warehouse, which received
//! them and deals with that seller; other goods go to the merchant's own return address.
//! When the rule finds no address, the mail says the merchant will send one: an address is
//! never guessed.

use crate::suppliers::registry;
use dropflow_core::reference::address::PostalAddress;

/// How the goods of a case were bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoughtThrough {
    /// Every purchase of the claimed lines went through the agent warehouse.
    Warehouse,
    /// None did: the supplier (or a vendor, or the merchant) shipped to the customer.
    Direct,
    /// Some did and some did not: the units have two homes, and one address cannot be
    /// right for all of them.
    Mixed,
}

/// How the purchases of the claimed lines were bought, from their suppliers (`cj`,
/// `marketplace`, …). No purchase (fulfilled outside dropflow) is the merchant's own.
pub fn bought_through<'a>(suppliers: impl IntoIterator<Item = &'a str>) -> BoughtThrough {
    let (mut warehouse, mut direct) = (false, false);
    for supplier in suppliers {
        if registry::capabilities_of(supplier).buys_for_warehouse {
            warehouse = true;
        } else {
            direct = true;
        }
    }
    match (warehouse, direct) {
        (true, true) => BoughtThrough::Mixed,
        (true, false) => BoughtThrough::Warehouse,
        (false, _) => BoughtThrough::Direct,
    }
}

/// Where the goods go back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnTo {
    /// The agent warehouse's address (`[suppliers.marketplace] warehouse`).
    Warehouse(PostalAddress),
    /// The merchant's own return address (the store's setting).
    Merchant(PostalAddress),
    /// No address applies yet: the merchant sends it.
    MerchantWillSend,
}

impl ReturnTo {
    /// The address as the mail prints it; empty when the merchant will send one.
    pub fn label_lines(&self) -> Vec<String> {
        match self {
            ReturnTo::Warehouse(a) | ReturnTo::Merchant(a) => a.label_lines(),
            ReturnTo::MerchantWillSend => Vec::new(),
        }
    }
}

/// The rule. Warehouse goods go to the warehouse when its address is configured, and
/// otherwise wait for the merchant's word (not to the merchant's address: the goods belong
/// at the warehouse, whose seller takes them back). Direct goods go to the merchant's return
/// address when set. Mixed goods wait for the merchant, who knows which unit goes where.
pub fn return_to(
    bought: BoughtThrough,
    warehouse: Option<&PostalAddress>,
    merchant: Option<&PostalAddress>,
) -> ReturnTo {
    match bought {
        BoughtThrough::Warehouse => warehouse
            .map(|a| ReturnTo::Warehouse(a.clone()))
            .unwrap_or(ReturnTo::MerchantWillSend),
        BoughtThrough::Direct => merchant
            .map(|a| ReturnTo::Merchant(a.clone()))
            .unwrap_or(ReturnTo::MerchantWillSend),
        BoughtThrough::Mixed => ReturnTo::MerchantWillSend,
    }
}

/// The warehouse's address (1688's receiving-address fields, as configured for sellers to
/// ship to) as a postal address: it is in mainland China, where the sellers are.
pub fn warehouse_address(w: &crate::suppliers::marketplace::WarehouseAddress) -> PostalAddress {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    PostalAddress {
        name: some(&w.full_name),
        company: None,
        address1: some(&w.address),
        // The district (区/县): the line between the street and the city on a Chinese label.
        address2: some(&w.area),
        city: some(&w.city),
        province: some(&w.province),
        province_code: None,
        postal_code: some(&w.post_code),
        country_code: Some("CN".into()),
        phone: some(&w.mobile),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn address(name: &str) -> PostalAddress {
        PostalAddress {
            name: Some(name.into()),
            address1: Some("1 Main St".into()),
            city: Some("Springfield".into()),
            postal_code: Some("62701".into()),
            country_code: Some("US".into()),
            ..Default::default()
        }
    }

    #[test]
    fn purchases_are_sorted_by_whether_their_supplier_buys_for_the_warehouse() {
        assert_eq!(bought_through(["marketplace"]), BoughtThrough::Warehouse);
        assert_eq!(
            bought_through(["marketplace", "marketplace"]),
            BoughtThrough::Warehouse
        );
        assert_eq!(bought_through(["cj", "manual"]), BoughtThrough::Direct);
        assert_eq!(bought_through(["cj", "marketplace"]), BoughtThrough::Mixed);
        assert_eq!(bought_through([]), BoughtThrough::Direct);
        // A supplier this build does not know is not the warehouse.
        assert_eq!(bought_through(["nobody"]), BoughtThrough::Direct);
    }

    #[test]
    fn warehouse_goods_go_to_the_warehouse_others_to_the_merchant_and_no_address_is_guessed() {
        let (w, m) = (address("Warehouse"), address("Merchant"));
        use BoughtThrough::*;
        assert_eq!(
            return_to(Warehouse, Some(&w), Some(&m)),
            ReturnTo::Warehouse(w.clone())
        );
        assert_eq!(
            return_to(Direct, Some(&w), Some(&m)),
            ReturnTo::Merchant(m.clone())
        );
        // Warehouse goods never fall back to the merchant's address, nor direct goods to the
        // warehouse's.
        assert_eq!(
            return_to(Warehouse, None, Some(&m)),
            ReturnTo::MerchantWillSend
        );
        assert_eq!(
            return_to(Direct, Some(&w), None),
            ReturnTo::MerchantWillSend
        );
        assert_eq!(
            return_to(Mixed, Some(&w), Some(&m)),
            ReturnTo::MerchantWillSend
        );
        assert!(ReturnTo::MerchantWillSend.label_lines().is_empty());
        assert_eq!(
            ReturnTo::Merchant(m).label_lines(),
            ["Merchant", "1 Main St", "62701 Springfield", "US"]
        );
    }

    #[test]
    fn the_configured_warehouse_becomes_a_chinese_label() {
        let w = crate::suppliers::marketplace::WarehouseAddress {
            full_name: "dropflow 仓库".into(),
            mobile: "13800000000".into(),
            post_code: "518000".into(),
            province: "广东省".into(),
            city: "深圳市".into(),
            area: "宝安区".into(),
            address: "福永街道 1 号".into(),
        };
        let a = warehouse_address(&w);
        assert_eq!(a.country_code.as_deref(), Some("CN"));
        assert_eq!(
            a.label_lines(),
            [
                "dropflow 仓库",
                "福永街道 1 号",
                "宝安区",
                "518000 深圳市 广东省",
                "CN",
                "13800000000"
            ]
        );
    }
}
