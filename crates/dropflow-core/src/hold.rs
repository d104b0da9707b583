use serde::{Deserialize, Serialize};

/// Why an order is held back from purchasing. The first five are Shopify's
/// `FulfillmentHoldReason` values; the rest are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    AwaitingPayment,
    IncorrectAddress,
    HighRiskOfFraud,
    InventoryOutOfStock,
    Other,
    /// A supplier's price at placing time is above the store's price guard: buy only after
    /// the merchant accepts it (releasing the hold accepts the new price).
    PriceIncreased,
    /// The order is implausible for a shop (a quantity or total above the installation's
    /// `[intake]` limits): a person looks before anything is bought. Lifts itself when the
    /// store's next snapshot is within the limits; releasing it accepts the order as it is.
    ImplausibleOrder,
}

impl HoldReason {
    pub const ALL: [HoldReason; 7] = [
        HoldReason::AwaitingPayment,
        HoldReason::IncorrectAddress,
        HoldReason::HighRiskOfFraud,
        HoldReason::InventoryOutOfStock,
        HoldReason::Other,
        HoldReason::PriceIncreased,
        HoldReason::ImplausibleOrder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::AwaitingPayment => "awaiting_payment",
            HoldReason::IncorrectAddress => "incorrect_address",
            HoldReason::HighRiskOfFraud => "high_risk_of_fraud",
            HoldReason::InventoryOutOfStock => "inventory_out_of_stock",
            HoldReason::Other => "other",
            HoldReason::PriceIncreased => "price_increased",
            HoldReason::ImplausibleOrder => "implausible_order",
        }
    }

    pub fn parse(s: &str) -> Option<HoldReason> {
        HoldReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Who placed a hold decides who may lift it: a system hold lifts itself when its cause goes
/// away (payment arrives, the address is corrected); a merchant hold only by a merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldOrigin {
    System,
    Merchant,
}

/// One active hold on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub reason: HoldReason,
    /// What exactly is wrong, for the merchant ("postal_code: \"1234\" does not match …").
    pub detail: String,
    pub origin: HoldOrigin,
}
