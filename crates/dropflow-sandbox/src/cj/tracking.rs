//! Logistics lines the sandbox offers and tracking numbers in the formats their carriers really
//! use, with valid check digits, so dropflow's carrier detection (from
//! `shared/data/tracking_number_data`) recognises them as it would real ones:
//! USPS IMpb (22 digits, mod-10 check), YunExpress (`YT` + 16 digits) and UPU S10
//! (`LX12345678?CN`, mod-11 check) for China Post.

use crate::numbers::{mix, s10_check, usps_mod10};

/// One shipping line (`logisticName`) with its price and transit time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Logistic {
    pub name: &'static str,
    /// Postage for the first item, in US cents.
    pub first_item_cents: i64,
    /// Postage for each further item.
    pub extra_item_cents: i64,
    /// Days in transit as CJ writes it (`logisticAging`).
    pub aging: &'static str,
    /// Only ships to these countries; empty = everywhere.
    pub only_to: &'static [&'static str],
    /// The last-mile carrier the number belongs to (trackInfo `lastMileCarrier`).
    pub carrier: &'static str,
    pub format: NumberFormat,
}

/// How a line's tracking numbers look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberFormat {
    UspsImpb,
    YunExpress,
    ChinaPostS10,
}

/// The lines the sandbox knows (names as CJ's freightCalculate answers them).
pub(crate) const LOGISTICS: [Logistic; 4] = [
    Logistic {
        name: "CJPacket Ordinary",
        first_item_cents: 399,
        extra_item_cents: 80,
        aging: "7-12",
        only_to: &[],
        carrier: "USPS",
        format: NumberFormat::UspsImpb,
    },
    Logistic {
        name: "USPS+",
        first_item_cents: 499,
        extra_item_cents: 100,
        aging: "4-7",
        only_to: &["US"],
        carrier: "USPS",
        format: NumberFormat::UspsImpb,
    },
    Logistic {
        name: "YunExpress",
        first_item_cents: 599,
        extra_item_cents: 120,
        aging: "6-10",
        only_to: &[],
        carrier: "YunExpress",
        format: NumberFormat::YunExpress,
    },
    Logistic {
        name: "China Post Registered Air Mail",
        first_item_cents: 299,
        extra_item_cents: 60,
        aging: "15-30",
        only_to: &[],
        carrier: "China Post",
        format: NumberFormat::ChinaPostS10,
    },
];

pub(crate) fn logistic(name: &str) -> Option<&'static Logistic> {
    LOGISTICS
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(name.trim()))
}

impl Logistic {
    pub(crate) fn ships_to(&self, country: &str) -> bool {
        self.only_to.is_empty() || self.only_to.iter().any(|c| c.eq_ignore_ascii_case(country))
    }

    pub(crate) fn postage_cents(&self, items: u32) -> i64 {
        self.first_item_cents + self.extra_item_cents * i64::from(items.saturating_sub(1))
    }

    /// A tracking number for the order with sequence number `seq`, unique per `seq`.
    pub(crate) fn tracking_number(&self, seq: u64) -> String {
        let h = mix(seq);
        match self.format {
            NumberFormat::UspsImpb => {
                // 94 (application id) + 001 (service type) + a 6-digit mailer id starting
                // with 1 + a 10-digit package id (the sequence, unique) + check digit.
                let serial = format!("940011{:05}{:010}", h % 100_000, seq % 10_000_000_000);
                let check = usps_mod10(&serial);
                format!("{serial}{check}")
            }
            NumberFormat::YunExpress => {
                format!("YT{:04}{:012}", h % 10_000, seq % 1_000_000_000_000)
            }
            NumberFormat::ChinaPostS10 => {
                let digits = format!("{:08}", seq % 100_000_000);
                format!("LX{digits}{}CN", s10_check(&digits))
            }
        }
    }
}

/// Where a parcel is, as CJ's LOGISTIC webhook codes it (`trackingStatus`, 0–14; the
/// sandbox uses the subset a normal journey passes through).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// 1: Warehouse Shipped Out.
    ShippedOut,
    /// 5: International Transit.
    InTransit,
    /// 10: Out For Delivery.
    OutForDelivery,
    /// 12: Delivered.
    Delivered,
}

impl Phase {
    /// The phase `fraction` (0.0–1.0) of the way through transit.
    pub(crate) fn at(fraction: f64) -> Phase {
        if fraction >= 1.0 {
            Phase::Delivered
        } else if fraction >= 0.9 {
            Phase::OutForDelivery
        } else if fraction >= 0.1 {
            Phase::InTransit
        } else {
            Phase::ShippedOut
        }
    }

    /// The webhook's numeric `trackingStatus`.
    pub(crate) fn code(self) -> u8 {
        match self {
            Phase::ShippedOut => 1,
            Phase::InTransit => 5,
            Phase::OutForDelivery => 10,
            Phase::Delivered => 12,
        }
    }

    /// The text trackInfo answers in `trackingStatus`.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Phase::ShippedOut => "Warehouse Shipped Out",
            Phase::InTransit => "In Transit",
            Phase::OutForDelivery => "Out For Delivery",
            Phase::Delivered => "Delivered",
        }
    }

    /// A scan line for `logisticsTrackEvents`.
    pub(crate) fn activity(self) -> (&'static str, &'static str) {
        match self {
            Phase::ShippedOut => ("Shenzhen, CN", "Parcel left the CJ warehouse"),
            Phase::InTransit => ("Los Angeles, US", "Arrived at destination country"),
            Phase::OutForDelivery => ("Local post office", "Out for delivery"),
            Phase::Delivered => ("Front door", "Delivered"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_their_carriers_shape() {
        for seq in [0u64, 1, 42, 99_999, u64::MAX] {
            let usps = LOGISTICS[1].tracking_number(seq);
            assert_eq!(usps.len(), 22);
            assert!(usps.starts_with("94001"));
            assert!(usps.bytes().all(|b| b.is_ascii_digit()));
            let (serial, check) = usps.split_at(21);
            assert_eq!(usps_mod10(serial).to_string(), check);

            let yun = LOGISTICS[2].tracking_number(seq);
            assert!(yun.starts_with("YT") && yun.len() == 18);

            let s10 = LOGISTICS[3].tracking_number(seq);
            assert_eq!(s10.len(), 13);
            assert!(s10.starts_with("LX") && s10.ends_with("CN"));
            let digits = &s10[2..10];
            assert_eq!(s10_check(digits).to_string(), &s10[10..11]);
        }
        assert_ne!(
            LOGISTICS[0].tracking_number(1),
            LOGISTICS[0].tracking_number(2)
        );
    }

    #[test]
    fn phases_follow_transit() {
        assert_eq!(Phase::at(0.0), Phase::ShippedOut);
        assert_eq!(Phase::at(0.5), Phase::InTransit);
        assert_eq!(Phase::at(0.95), Phase::OutForDelivery);
        assert_eq!(Phase::at(1.0), Phase::Delivered);
        assert_eq!(logistic("usps+").map(|l| l.name), Some("USPS+"));
        assert!(!LOGISTICS[1].ships_to("DE"));
        assert!(LOGISTICS[0].ships_to("DE"));
        assert_eq!(LOGISTICS[1].postage_cents(3), 699);
    }
}
