//! CJ's dispute wire types and every mapping the dispute calls make, with no IO.
//!
//! Source: CJ's "7 Dispute" page (https://developers.cjdropshipping.com/en/api/api2/api/
//! dispute.html, zh: …/zh/api/api2/api/dispute.html), gathered in
//! `docs/protocols/after-sale.md` §4. What the page does not say, and how we read it:
//! - the `create` success body is not documented: an id in `data` is read if there is one
//!   (a bare string or number, or an object's `id` / `disputeId`), otherwise the dispute is
//!   read back from `getDisputeList`;
//! - `getDisputeList` entries do not list `businessDisputeId`: it is read when CJ sends it,
//!   otherwise a dispute is matched by order and variants;
//! - the dispute `status` strings are not documented: the decision is read from the
//!   documented `finallyDeal` (1 refund, 2 reissue, 3 reject) and `money` (final refund, USD);
//!   a status naming a cancellation or closure without a decision counts as refused;
//! - `productInfoList[].price` in `create` is read as the amount asked for that line (the
//!   table does not say unit or line; the example has quantity 1).

use super::transformers::Loose;
use crate::suppliers::ReturnStatus;
use dropflow_core::money::Money;
use dropflow_core::supplier::SupplierError;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

/// `businessDisputeId`'s documented length ("string, 100").
pub(crate) const MAX_BUSINESS_ID: usize = 100;
/// `messageText`'s documented length ("string, 500", required).
const MAX_MESSAGE: usize = 500;
/// `expectType` / `expectResultOptionList` value for a refund ("1: Refund, 2: Reissue").
pub(crate) const EXPECT_REFUND: i64 = 1;
/// `refundType` 1: to our CJ balance, which is what paid for the order (`payBalance`).
const REFUND_TO_BALANCE: i64 = 1;

/// A list CJ may send as `null`.
fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

fn text(value: &Option<Loose>) -> Option<String> {
    value.as_ref().map(Loose::text).filter(|s| !s.is_empty())
}

fn integer(value: &Option<Loose>) -> Option<i64> {
    text(value).and_then(|t| t.parse().ok())
}

/// One `productInfoList` entry of `disputeProducts` / `disputeConfirmInfo`: the fields we read.
/// The entry itself is sent back to `disputeConfirmInfo` as CJ gave it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProductInfo {
    line_item_id: Option<Loose>,
    cj_variant_id: Option<Loose>,
    can_choose: Option<bool>,
    price: Option<Loose>,
    quantity: Option<Loose>,
}

impl ProductInfo {
    pub(crate) fn vid(&self) -> Option<String> {
        text(&self.cj_variant_id)
    }

    pub(crate) fn line_item_id(&self) -> Option<String> {
        text(&self.line_item_id)
    }

    /// Units CJ lets us dispute ("可开纠纷数量").
    pub(crate) fn quantity(&self) -> u32 {
        integer(&self.quantity)
            .and_then(|q| u32::try_from(q).ok())
            .unwrap_or(0)
    }

    /// Whether CJ lets a dispute be opened on this line now (absent: yes).
    pub(crate) fn can_choose(&self) -> bool {
        self.can_choose.unwrap_or(true) && self.quantity() > 0
    }

    /// What the disputable units cost, in cents (the weight of this line in a refund).
    pub(crate) fn value_cents(&self) -> i64 {
        let unit = self
            .price
            .as_ref()
            .and_then(Loose::usd)
            .map_or(0, |m| m.minor);
        unit.saturating_mul(i64::from(self.quantity()))
    }
}

/// `disputeProducts`' `data`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DisputeProducts {
    #[serde(default, deserialize_with = "list")]
    pub product_info_list: Vec<Value>,
}

/// One of `disputeConfirmInfo`'s `disputeReasonList`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DisputeReason {
    dispute_reason_id: Option<Loose>,
    reason_name: Option<String>,
}

/// `disputeConfirmInfo`'s `data`: the fields we act on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConfirmInfo {
    #[serde(default, deserialize_with = "list")]
    expect_result_option_list: Vec<Loose>,
    max_amount: Option<Loose>,
    #[serde(default, deserialize_with = "list")]
    dispute_reason_list: Vec<DisputeReason>,
}

impl ConfirmInfo {
    /// Whether CJ offers a refund at all (the options are strings, `["1","2"]`, as a third
    /// party saw them live; numbers read too).
    pub(crate) fn offers_refund(&self) -> bool {
        self.expect_result_option_list
            .iter()
            .any(|o| o.text() == EXPECT_REFUND.to_string())
    }

    /// The most CJ will refund for the chosen lines (`maxAmount`, USD).
    pub(crate) fn max_amount(&self) -> Option<Money> {
        self.max_amount.as_ref().and_then(Loose::usd)
    }

    /// The reasons CJ offers, `(id, name)`.
    pub(crate) fn reasons(&self) -> Vec<(i64, String)> {
        self.dispute_reason_list
            .iter()
            .filter_map(|r| {
                Some((
                    integer(&r.dispute_reason_id)?,
                    r.reason_name.clone().unwrap_or_default(),
                ))
            })
            .collect()
    }
}

// ---- reasons --------------------------------------------------------------------------

/// What kind of supplier fault a return is for, read from our reason words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    NotReceived,
    WrongItem,
    Damaged,
    NotAsDescribed,
    Cancellation,
}

/// Our reason's words → the claim, first row with a word in the reason wins. Nothing found:
/// [`Claim::Damaged`], the commonest supplier-fault claim in after-sale cases.
const CLAIM_WORDS: &[(Claim, &[&str])] = &[
    (
        Claim::NotReceived,
        &[
            "not received",
            "never arrived",
            "never received",
            "not delivered",
            "undelivered",
            "lost",
        ],
    ),
    (
        Claim::WrongItem,
        &["wrong", "incorrect", "different item", "not what"],
    ),
    (
        Claim::Damaged,
        &[
            "damage",
            "broken",
            "defect",
            "faulty",
            "crack",
            "not working",
            "does not work",
            "doesn't work",
        ],
    ),
    (
        Claim::NotAsDescribed,
        &[
            "not as described",
            "description",
            "quality",
            "size",
            "colour",
            "color",
            "counterfeit",
            "fake",
        ],
    ),
    (Claim::Cancellation, &["cancel"]),
];

/// Words in CJ's reason names for each claim, most telling first.
const REASON_WORDS: &[(Claim, &[&str])] = &[
    (
        Claim::NotReceived,
        &[
            "not received",
            "lost",
            "never",
            "undelivered",
            "not delivered",
            "not arrived",
            "transit",
        ],
    ),
    (Claim::WrongItem, &["wrong", "incorrect", "different"]),
    (Claim::Damaged, &["damage", "broken", "defect", "quality"]),
    (
        Claim::NotAsDescribed,
        &["not as described", "description", "quality", "different"],
    ),
    (Claim::Cancellation, &["cancel", "unfulfilled"]),
];

pub(crate) fn claim_of(reason: &str) -> Claim {
    let r = reason.to_lowercase();
    CLAIM_WORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| r.contains(w)))
        .map_or(Claim::Damaged, |(claim, _)| *claim)
}

/// The reason CJ offers for `claim`: a name with the claim's words, else one named "other(s)",
/// else none (a person picks).
pub(crate) fn reason_for(claim: Claim, offered: &[(i64, String)]) -> Option<i64> {
    let words = REASON_WORDS
        .iter()
        .find(|(c, _)| *c == claim)
        .map_or(&[][..], |(_, w)| *w);
    let lower: Vec<(i64, String)> = offered
        .iter()
        .map(|(id, name)| (*id, name.to_lowercase()))
        .collect();
    words
        .iter()
        .find_map(|w| lower.iter().find(|(_, name)| name.contains(w)))
        .or_else(|| {
            lower
                .iter()
                .find(|(_, name)| name.trim() == "other" || name.trim() == "others")
        })
        .map(|(id, _)| *id)
}

// ---- creating -------------------------------------------------------------------------

/// `total` shared out over lines in proportion to `weights` (the last line takes the
/// rounding), equally when no line has a weight.
pub(crate) fn split(total: i64, weights: &[i64]) -> Vec<i64> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let sum: i64 = weights.iter().map(|w| (*w).max(0)).sum();
    let mut shares: Vec<i64> = weights
        .iter()
        .map(|w| {
            if sum > 0 {
                let share = i128::from(total) * i128::from((*w).max(0)) / i128::from(sum);
                i64::try_from(share).unwrap_or(0)
            } else {
                total / i64::try_from(n).unwrap_or(1)
            }
        })
        .collect();
    let given: i64 = shares.iter().sum();
    if let Some(last) = shares.last_mut() {
        *last += total - given;
    }
    shares
}

/// One line of a `create` body: `lineItemId`, `quantity`, and the cents asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AskedLine {
    pub line_item_id: Option<String>,
    pub quantity: u32,
    pub cents: i64,
}

/// Cents as the JSON number CJ's amounts are ("BigDecimal (18,2)").
fn usd_number(cents: i64) -> Value {
    json!(cents as f64 / 100.0)
}

/// The `disputes/create` body: a refund (`expectType` 1) to the CJ balance (`refundType` 1),
/// keyed by our reference as `businessDisputeId`.
pub(crate) fn create_body(
    reference: &str,
    order_id: &str,
    reason_id: i64,
    reason: &str,
    lines: &[AskedLine],
) -> Value {
    json!({
        "businessDisputeId": reference,
        "orderId": order_id,
        "disputeReasonId": reason_id,
        "expectType": EXPECT_REFUND,
        "refundType": REFUND_TO_BALANCE,
        "messageText": message_text(reason),
        "imageUrl": [],
        "productInfoList": lines
            .iter()
            .map(|l| {
                let mut entry = json!({ "quantity": l.quantity, "price": usd_number(l.cents) });
                if let Some(id) = &l.line_item_id {
                    entry["lineItemId"] = json!(id);
                }
                entry
            })
            .collect::<Vec<_>>(),
    })
}

/// `messageText` is required and at most 500 characters.
fn message_text(reason: &str) -> String {
    let trimmed = reason.trim();
    if trimmed.is_empty() {
        return "Refund requested: the goods were not as ordered".to_string();
    }
    trimmed.chars().take(MAX_MESSAGE).collect()
}

/// The new dispute's id, if `create` gave one.
pub(crate) fn created_id(data: &Value) -> Option<String> {
    let id = match data {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => o
            .get("id")
            .or_else(|| o.get("disputeId"))
            .map(|v| match v {
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            })
            .unwrap_or_default(),
        _ => String::new(),
    };
    (!id.is_empty()).then_some(id)
}

/// Whether a `create` refusal says our `businessDisputeId` was used already (CJ's wording is
/// not documented; these are the words such a refusal would carry).
pub(crate) fn says_duplicate(message: &str) -> bool {
    let m = message.to_lowercase();
    (m.contains("businessdisputeid") || m.contains("business dispute id"))
        && ["exist", "duplicate", "repeat", "used"]
            .iter()
            .any(|w| m.contains(w))
}

// ---- reading disputes -----------------------------------------------------------------

/// `getDisputeList`'s `data`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DisputePage {
    #[serde(default, deserialize_with = "list")]
    pub list: Vec<DisputeEntry>,
    pub total: Option<Loose>,
}

impl DisputePage {
    pub(crate) fn total(&self) -> Option<u64> {
        self.total.as_ref().and_then(|t| t.text().parse().ok())
    }
}

/// One dispute in `getDisputeList`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DisputeEntry {
    id: Option<Loose>,
    /// Not in the documented list; read when CJ sends it.
    business_dispute_id: Option<Loose>,
    status: Option<String>,
    money: Option<Loose>,
    finally_deal: Option<Loose>,
    create_date: Option<Value>,
    #[serde(default, deserialize_with = "list")]
    product_list: Vec<ProductInfo>,
}

impl DisputeEntry {
    pub(crate) fn id(&self) -> Option<String> {
        text(&self.id)
    }

    pub(crate) fn business_dispute_id(&self) -> Option<String> {
        text(&self.business_dispute_id)
    }

    pub(crate) fn created(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.create_date
            .as_ref()
            .and_then(super::auth::parse_cj_time)
    }

    /// Not decided yet and not cancelled or closed.
    pub(crate) fn is_open(&self) -> bool {
        integer(&self.finally_deal).is_none() && !self.closed()
    }

    fn closed(&self) -> bool {
        let status = self.status.as_deref().unwrap_or_default().to_lowercase();
        ["cancel", "close", "reject", "refuse", "fail"]
            .iter()
            .any(|w| status.contains(w))
    }

    /// Whether it is a dispute on any of these variants.
    pub(crate) fn covers_any(&self, vids: &[String]) -> bool {
        self.product_list
            .iter()
            .filter_map(ProductInfo::vid)
            .any(|v| vids.contains(&v))
    }

    /// Where the dispute stands, in dropflow's terms.
    pub(crate) fn status(&self) -> Result<ReturnStatus, SupplierError> {
        let id = self.id().unwrap_or_default();
        let raw = self.status.as_deref().unwrap_or_default();
        match integer(&self.finally_deal) {
            Some(1) => {
                let amount = self.money.as_ref().and_then(Loose::usd).ok_or_else(|| {
                    SupplierError::Protocol(format!(
                        "CJ dispute {id} is decided as a refund but lists no amount"
                    ))
                })?;
                Ok(ReturnStatus::Refunded {
                    amount,
                    reference: id,
                })
            }
            Some(2) => Ok(ReturnStatus::Refused {
                detail: format!("CJ decided to reissue the goods instead of refunding ({id})"),
            }),
            Some(3) => Ok(ReturnStatus::Refused {
                detail: format!("CJ rejected dispute {id} ({raw})"),
            }),
            Some(other) => Err(SupplierError::Protocol(format!(
                "CJ dispute {id} has an unknown finallyDeal {other}"
            ))),
            None if self.closed() => Ok(ReturnStatus::Refused {
                detail: format!("CJ closed dispute {id} without a decision ({raw})"),
            }),
            None => Ok(ReturnStatus::Open),
        }
    }
}
