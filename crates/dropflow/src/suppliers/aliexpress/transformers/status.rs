//! The order and tracking queries: AliExpress's statuses in ours, payment as `pay` sees it,
//! and tracking numbers with their normalised status (§5.3).

use super::{amount, flag, one_or_many, text};
use dropflow_core::money::Money;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::supplier::{SupplierError, Tracking};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// aliexpress.trade.ds.order.get

/// `aliexpress_trade_ds_order_get_response.result`.
#[derive(Debug, Deserialize)]
pub struct OrderResult {
    pub order_status: Option<String>,
    pub logistics_status: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub order_amount: Vec<Amount>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub user_order_amount: Vec<Amount>,
    pub child_order_list: Option<ChildOrders>,
    pub logistics_info_list: Option<LogisticsInfos>,
}

#[derive(Debug, Deserialize)]
pub struct Amount {
    #[serde(default, deserialize_with = "text")]
    pub amount: Option<String>,
    pub currency_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ChildOrders {
    #[serde(default, deserialize_with = "one_or_many")]
    pub aeop_child_order_info: Vec<ChildOrder>,
}

#[derive(Debug, Deserialize)]
pub struct ChildOrder {
    pub end_reason: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub product_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub sku_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub product_count: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LogisticsInfos {
    #[serde(default, deserialize_with = "one_or_many")]
    pub aeop_order_logistics_info: Vec<LogisticsInfo>,
}

#[derive(Debug, Deserialize)]
pub struct LogisticsInfo {
    pub logistics_no: Option<String>,
    pub logistics_service: Option<String>,
}

impl OrderResult {
    pub fn order_status(&self) -> &str {
        self.order_status.as_deref().unwrap_or("")
    }

    pub fn logistics_status(&self) -> &str {
        self.logistics_status.as_deref().unwrap_or("")
    }

    /// What the order costs us: the amount in our pay currency when given, else the order's.
    pub fn total_cost(&self) -> Option<Money> {
        let pick = |list: &[Amount]| {
            list.first()
                .and_then(|a| amount(a.amount.as_deref()?, a.currency_code.as_deref()?))
        };
        pick(&self.user_order_amount).or_else(|| pick(&self.order_amount))
    }

    /// The status text kept on the timeline: order and logistics status, and why a closed
    /// order ended when AliExpress says.
    pub fn raw_status(&self) -> String {
        let mut raw = format!("{}/{}", self.order_status(), self.logistics_status());
        let reasons: Vec<&str> = self
            .child_order_list
            .iter()
            .flat_map(|c| &c.aeop_child_order_info)
            .filter_map(|c| c.end_reason.as_deref())
            .filter(|r| !r.is_empty())
            .collect();
        if !reasons.is_empty() {
            raw.push_str(" end_reason=");
            raw.push_str(&reasons.join(","));
        }
        raw
    }

    /// What the order buys, from its child orders (`product_id`, `sku_id`, `product_count`).
    pub fn items(&self) -> Vec<dropflow_core::supplier::RemoteItem> {
        self.child_order_list
            .iter()
            .flat_map(|c| &c.aeop_child_order_info)
            .filter_map(|c| {
                Some(dropflow_core::supplier::RemoteItem {
                    supplier_product_id: c.product_id.clone(),
                    supplier_sku_id: c.sku_id.clone(),
                    quantity: c.product_count.as_deref()?.trim().parse().ok()?,
                })
            })
            .collect()
    }

    /// Tracking numbers in the (deprecated) order-level list, for when the tracking query has
    /// nothing yet.
    pub fn listed_tracking(&self) -> Vec<(String, Option<String>)> {
        self.logistics_info_list
            .iter()
            .flat_map(|l| &l.aeop_order_logistics_info)
            .filter_map(|l| {
                let number = l.logistics_no.as_deref()?.trim();
                (!number.is_empty()).then(|| (number.to_string(), l.logistics_service.clone()))
            })
            .collect()
    }
}

/// Every `order_status` value documented in §3.5, current and older pages.
pub const ORDER_STATUSES: [&str; 16] = [
    "PLACE_ORDER_SUCCESS",
    "PAYMENT_PROCESSING",
    "WAIT_SELLER_EXAMINE_MONEY",
    "RISK_CONTROL",
    "RISK_CONTROL_HOLD",
    "WAIT_GROUP",
    "WAIT_SELLER_SEND_GOODS",
    "SELLER_PART_SEND_GOODS",
    "WAIT_BUYER_ACCEPT_GOODS",
    "WAIT_COMPLETE_ADDRESS",
    "IN_CANCEL",
    "FINISH",
    "FUND_PROCESSING",
    "IN_ISSUE",
    "IN_FROZEN",
    "ARCHIVE",
];

/// Every `logistics_status` value documented in §3.5 (the tests map each of them).
#[cfg(test)]
pub const LOGISTICS_STATUSES: [&str; 6] = [
    "DEFAULT",
    "NO_LOGISTICS",
    "WAIT_SELLER_SEND_GOODS",
    "SELLER_SEND_PART_GOODS",
    "SELLER_SEND_GOODS",
    "BUYER_ACCEPT_GOODS",
];

/// An AliExpress order's status in ours.
///
/// `order_status` says where the purchase stands; for the statuses that do not say whether
/// the goods left (disputes, freezes, closing), `logistics_status` decides. An unknown
/// `order_status` maps to `AwaitingPayment`: the least advanced state of an order that
/// exists. Not `AwaitingPlacement`/`PlacementUnknown` (that would invite buying it again),
/// and never `Shipped`/`Delivered` (that would tell the customer goods are on their way on
/// the strength of a word we do not know).
pub fn supplier_status(order_status: &str, logistics_status: &str) -> SupplierOrderStatus {
    use SupplierOrderStatus as S;
    match order_status {
        // Placed, not paid (try_to_pay off, or the charge failed).
        "PLACE_ORDER_SUCCESS" => S::AwaitingPayment,
        // The charge is under way; until it clears the order is not paid.
        "PAYMENT_PROCESSING" => S::AwaitingPayment,
        // AliExpress waits for the buyer to complete the address before it can go on.
        "WAIT_COMPLETE_ADDRESS" => S::AwaitingPayment,
        // Paid; the money is being checked, risk control looks at it, or a group buy fills.
        "WAIT_SELLER_EXAMINE_MONEY" => S::AwaitingShipment,
        "RISK_CONTROL" => S::AwaitingShipment,
        "RISK_CONTROL_HOLD" => S::AwaitingShipment,
        "WAIT_GROUP" => S::AwaitingShipment,
        "WAIT_SELLER_SEND_GOODS" => S::AwaitingShipment,
        // Part of it left: not everything is shipped, so not Shipped (its tracking is still
        // reported).
        "SELLER_PART_SEND_GOODS" => S::AwaitingShipment,
        "WAIT_BUYER_ACCEPT_GOODS" => match logistics_status {
            "BUYER_ACCEPT_GOODS" => S::Delivered,
            _ => S::Shipped,
        },
        // A cancellation request, a dispute, a freeze, money being settled: the order lives
        // on (a cancel request can be refused), so how far the goods got is the status.
        "IN_CANCEL" => goods_progress(logistics_status),
        "IN_ISSUE" => goods_progress(logistics_status),
        "IN_FROZEN" => goods_progress(logistics_status),
        "FUND_PROCESSING" => goods_progress(logistics_status),
        // Closed: completed or cancelled (§3.5), told apart by whether goods moved.
        "FINISH" => closed(logistics_status),
        "ARCHIVE" => closed(logistics_status),
        _ => S::AwaitingPayment,
    }
}

/// A paid order whose own status does not say whether goods left.
fn goods_progress(logistics_status: &str) -> SupplierOrderStatus {
    use SupplierOrderStatus as S;
    match logistics_status {
        "BUYER_ACCEPT_GOODS" => S::Delivered,
        "SELLER_SEND_GOODS" => S::Shipped,
        "SELLER_SEND_PART_GOODS" => S::AwaitingShipment,
        "WAIT_SELLER_SEND_GOODS" => S::AwaitingShipment,
        "NO_LOGISTICS" => S::AwaitingShipment,
        "DEFAULT" => S::AwaitingShipment,
        // Unknown: not shipped, so not claimed.
        _ => S::AwaitingShipment,
    }
}

/// A closed order: delivered if the buyer received it, shipped if goods left (never buy it
/// again), cancelled only when nothing left.
fn closed(logistics_status: &str) -> SupplierOrderStatus {
    use SupplierOrderStatus as S;
    match logistics_status {
        "BUYER_ACCEPT_GOODS" => S::Delivered,
        "SELLER_SEND_GOODS" => S::Shipped,
        "SELLER_SEND_PART_GOODS" => S::Shipped,
        "WAIT_SELLER_SEND_GOODS" => S::Cancelled,
        "NO_LOGISTICS" => S::Cancelled,
        "DEFAULT" => S::Cancelled,
        // Closed, and we cannot tell whether goods left: Cancelled could lead to buying it
        // again and Shipped would be a guess, so it stays visibly waiting for a person.
        _ => S::AwaitingShipment,
    }
}

/// Whether the order has been paid, as far as `pay` is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    Unpaid,
    AddressIncomplete,
    Processing,
    Paid,
    Closed,
    /// A status we do not know: we cannot tell.
    Unknown,
}

pub fn payment(order_status: &str, logistics_status: &str) -> Payment {
    use SupplierOrderStatus as S;
    match order_status {
        "PLACE_ORDER_SUCCESS" => Payment::Unpaid,
        "WAIT_COMPLETE_ADDRESS" => Payment::AddressIncomplete,
        "PAYMENT_PROCESSING" => Payment::Processing,
        s if ORDER_STATUSES.contains(&s) => match supplier_status(s, logistics_status) {
            S::Cancelled => Payment::Closed,
            S::AwaitingShipment | S::Shipped | S::Delivered => Payment::Paid,
            S::AwaitingPlacement | S::PlacementUnknown | S::AwaitingPayment | S::Rejected => {
                Payment::Unknown
            }
        },
        _ => Payment::Unknown,
    }
}

// ---------------------------------------------------------------------------------------------
// aliexpress.ds.order.tracking.get

/// `aliexpress_ds_order_tracking_get_response.result`.
#[derive(Debug, Deserialize)]
pub struct TrackingResult {
    #[serde(default, deserialize_with = "flag")]
    pub ret: bool,
    #[serde(default, deserialize_with = "text")]
    pub code: Option<String>,
    pub msg: Option<String>,
    pub data: Option<TrackingData>,
}

#[derive(Debug, Deserialize)]
pub struct TrackingData {
    pub tracking_detail_line_list: Option<TrackingLines>,
}

#[derive(Debug, Deserialize)]
pub struct TrackingLines {
    #[serde(default, deserialize_with = "one_or_many")]
    pub tracking_detail: Vec<TrackingDetail>,
}

#[derive(Debug, Deserialize)]
pub struct TrackingDetail {
    pub mail_no: Option<String>,
    pub carrier_name: Option<String>,
    pub detail_node_list: Option<TrackingNodes>,
}

#[derive(Debug, Deserialize)]
pub struct TrackingNodes {
    #[serde(default, deserialize_with = "one_or_many")]
    pub detail_node: Vec<TrackingNode>,
}

/// One carrier scan. Only how many there are is used: the node names are free text
/// ("Departed from facility"), not a status vocabulary.
#[derive(Debug, Deserialize)]
pub struct TrackingNode {}

/// The packages a tracking answer lists; empty when AliExpress has no tracking yet
/// (`ret:false`, code 1001 "TRACKING DATA NOT FOUND"). Other failures are errors.
pub fn tracking_details(result: TrackingResult) -> Result<Vec<TrackingDetail>, SupplierError> {
    if !result.ret {
        let code = result.code.unwrap_or_default();
        let msg = result.msg.unwrap_or_default();
        if code == "1001" || msg.contains("NOT FOUND") {
            return Ok(Vec::new());
        }
        return Err(SupplierError::Protocol(format!(
            "AliExpress tracking query answered {code}: {msg}"
        )));
    }
    Ok(result
        .data
        .and_then(|d| d.tracking_detail_line_list)
        .map(|l| l.tracking_detail)
        .unwrap_or_default())
}

/// A package's status in the normalised vocabulary (§5.3): delivered only on the order's own
/// word (`BUYER_ACCEPT_GOODS`), an exception while a cancellation or risk hold is open, else
/// "info received" until the carrier scans it and "in transit" after. Finer states (out for
/// delivery, failed attempt) come from the carrier's own tracking, not from AliExpress's
/// free-text node names.
pub fn shipment_status(order_status: &str, logistics_status: &str, scans: usize) -> ShipmentStatus {
    if logistics_status == "BUYER_ACCEPT_GOODS" {
        ShipmentStatus::Delivered
    } else if matches!(order_status, "IN_CANCEL" | "RISK_CONTROL_HOLD") {
        ShipmentStatus::Exception
    } else if scans == 0 {
        ShipmentStatus::InfoReceived
    } else {
        ShipmentStatus::InTransit
    }
}

/// Tracking entries for an order: the tracking query's packages, or the order's own list
/// when the query has none yet.
pub fn tracking(order: &OrderResult, details: Vec<TrackingDetail>) -> Vec<Tracking> {
    let status = |scans| shipment_status(order.order_status(), order.logistics_status(), scans);
    let mut out: Vec<Tracking> = details
        .into_iter()
        .filter_map(|d| {
            let number = d.mail_no.as_deref()?.trim().to_string();
            if number.is_empty() {
                return None;
            }
            let scans = d
                .detail_node_list
                .as_ref()
                .map_or(0, |n| n.detail_node.len());
            Some(Tracking {
                number,
                carrier: d.carrier_name.filter(|c| !c.trim().is_empty()),
                status: status(scans),
                url: None,
            })
        })
        .collect();
    if out.is_empty() {
        out = order
            .listed_tracking()
            .into_iter()
            .map(|(number, service)| Tracking {
                number,
                carrier: service,
                status: status(0),
                url: None,
            })
            .collect();
    }
    out.dedup_by(|a, b| a.number == b.number);
    out
}

/// Whether the order may have tracking, so the tracking query is worth a call.
pub fn may_have_tracking(order: &OrderResult) -> bool {
    matches!(
        order.logistics_status(),
        "SELLER_SEND_PART_GOODS" | "SELLER_SEND_GOODS" | "BUYER_ACCEPT_GOODS"
    ) || matches!(
        order.order_status(),
        "SELLER_PART_SEND_GOODS" | "WAIT_BUYER_ACCEPT_GOODS"
    )
}
