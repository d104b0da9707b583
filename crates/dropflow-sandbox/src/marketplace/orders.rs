//! The sandbox's orders and offers: what was bought, where it stands at sandbox time, and the
//! domestic parcel the seller sends to the warehouse.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::time::Duration;

/// An offer (1688 `offerId`) with one spec (`specId`) the sandbox sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplaceOffer {
    pub offer_id: u64,
    /// 1688 spec ids are 32 hex characters.
    pub spec_id: String,
    pub title: String,
    /// Unit price in fen (CNY cents), before any price fault.
    pub price_fen: i64,
    pub stock: u32,
}

/// The offers every sandbox starts with.
pub fn offers() -> Vec<MarketplaceOffer> {
    let offer = |offer_id: u64, spec: &str, title: &str, price_fen: i64| MarketplaceOffer {
        offer_id,
        spec_id: spec.to_string(),
        title: title.to_string(),
        price_fen,
        stock: 500,
    };
    vec![
        offer(
            624_518_735_912,
            "b2f3c41d9e8a7f6b5c4d3e2f1a0b9c8d",
            "Linen tote bag, natural",
            1850,
        ),
        offer(
            673_205_118_440,
            "0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a",
            "Stainless steel insulated bottle 500 ml, black",
            2390,
        ),
        offer(
            701_884_562_019,
            "5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
            "Silicone phone case, sage green",
            690,
        ),
        offer(
            588_102_934_776,
            "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
            "Ceramic pour-over coffee dripper",
            3280,
        ),
    ]
}

/// A domestic courier sellers ship with, with its tracking-number shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Courier {
    /// The name 1688 shows (`logisticsCompanyName`).
    pub name: &'static str,
    /// The company code (`logisticsCompanyNo`).
    pub code: &'static str,
}

pub const COURIERS: [Courier; 5] = [
    Courier {
        name: "顺丰速运",
        code: "SF",
    },
    Courier {
        name: "圆通速递",
        code: "YTO",
    },
    Courier {
        name: "中通快递",
        code: "ZTO",
    },
    Courier {
        name: "申通快递",
        code: "STO",
    },
    Courier {
        name: "韵达快递",
        code: "YUNDA",
    },
];

/// A tracking number in the courier's real shape, derived from the order id so it is stable:
/// SF `SF` + 13 digits; YTO `YT` + 13 digits; ZTO 14 digits from `7`; STO 15 digits from
/// `77`; Yunda 13 digits from `43`.
pub fn tracking_number(courier: &Courier, order_id: u64) -> String {
    let digits = |n: usize| {
        let text = format!(
            "{:020}",
            order_id.wrapping_mul(2_654_435_761) % 10u64.pow(19)
        );
        text[text.len() - n..].to_string()
    };
    match courier.code {
        "SF" => format!("SF{}", digits(13)),
        "YTO" => format!("YT{}", digits(13)),
        "ZTO" => format!("7{}", digits(13)),
        "STO" => format!("77{}", digits(13)),
        _ => format!("43{}", digits(11)),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub offer_id: u64,
    pub spec_id: String,
    pub title: String,
    pub quantity: u32,
    pub unit_fen: i64,
}

/// The receiving address fastCreateOrder was given (`addressParam`), listed back in
/// buyerView's `nativeLogistics` (`contactPerson`, `address`, `area`, `city`, `province`,
/// `zip`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReceivingAddress {
    pub full_name: String,
    pub address: String,
    pub area: String,
    pub city: String,
    pub province: String,
    pub post_code: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub id: u64,
    pub out_order_id: Option<String>,
    pub address: ReceivingAddress,
    pub lines: Vec<Line>,
    pub post_fee_fen: i64,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub courier: Courier,
    pub refunds: Vec<super::refunds::SandboxRefund>,
}

/// How long each step takes, in sandbox time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub ship_after: Duration,
    pub arrive_after: Duration,
    pub settle_after: Duration,
}

fn chrono(d: Duration) -> ChronoDuration {
    ChronoDuration::milliseconds(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
}

impl Order {
    /// The sub-order (entry) id of line `index`, stable per order (1688 `subItemID`).
    pub fn entry_id(&self, index: usize) -> u64 {
        self.id.saturating_mul(100).saturating_add(index as u64 + 1)
    }

    pub fn product_fen(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.unit_fen * i64::from(l.quantity))
            .sum()
    }

    pub fn total_fen(&self) -> i64 {
        self.product_fen() + self.post_fee_fen
    }

    pub fn shipped_at(&self, t: &Timing) -> Option<DateTime<Utc>> {
        self.paid_at.map(|p| p + chrono(t.ship_after))
    }

    /// 1688's order status vocabulary at `now`.
    pub fn status(&self, now: DateTime<Utc>, t: &Timing) -> &'static str {
        if self.cancelled_at.is_some() {
            return "cancel";
        }
        let Some(paid) = self.paid_at else {
            return "waitbuyerpay";
        };
        let shipped = paid + chrono(t.ship_after);
        let arrived = shipped + chrono(t.arrive_after);
        let settled = arrived + chrono(t.settle_after);
        if now < shipped {
            "waitsellersend"
        } else if now < arrived {
            "waitbuyerreceive"
        } else if now < settled {
            "confirm_goods"
        } else {
            "success"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_have_each_couriers_shape() {
        let n = |code: &str| {
            let c = COURIERS.iter().find(|c| c.code == code).copied();
            c.map(|c| tracking_number(&c, 3_512_345_678_901_234))
                .unwrap_or_default()
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let sf = n("SF");
        assert!(sf.starts_with("SF") && sf.len() == 15 && all_digits(&sf[2..]));
        let yt = n("YTO");
        assert!(yt.starts_with("YT") && yt.len() == 15);
        let zto = n("ZTO");
        assert!(zto.starts_with('7') && zto.len() == 14 && all_digits(&zto));
        let sto = n("STO");
        assert!(sto.starts_with("77") && sto.len() == 15 && all_digits(&sto));
        let yd = n("YUNDA");
        assert!(yd.starts_with("43") && yd.len() == 13 && all_digits(&yd));
    }
}
