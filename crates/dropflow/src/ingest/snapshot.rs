use dropflow_core::intake::StoreOrder;
use dropflow_core::lifecycle::StoreSnapshot;
use dropflow_core::payment::CapturePolicy;
use dropflow_core::reference::address::{check_address, AddressField, AddressProblem};
use sha2::{Digest, Sha256};

/// The lifecycle's view of a store order: payment, cancellation, and what is wrong with the
/// shipping address (only when something must ship), with the store's capture policy (from
/// its settings) deciding whether an authorized payment is enough to buy.
pub fn snapshot_of(
    order: &StoreOrder,
    topic: &str,
    capture_policy: CapturePolicy,
) -> StoreSnapshot {
    let (address_problems, address_fingerprint) = if order.requires_shipping() {
        match &order.shipping_address {
            Some(address) => (check_address(address), Some(fingerprint(address))),
            None => (
                vec![AddressProblem {
                    field: AddressField::Address1,
                    message: "the order has items to ship but no shipping address".into(),
                }],
                None,
            ),
        }
    } else {
        (Vec::new(), None)
    };
    StoreSnapshot {
        topic: topic.to_string(),
        payment: order.payment_status,
        cancellation: order.cancellation.as_ref().map(|c| {
            c.reason
                .clone()
                .unwrap_or_else(|| "cancelled in the store".to_string())
        }),
        address_problems,
        address_fingerprint,
        lines_fingerprint: Some(lines_fingerprint(order)),
        updated_at: order.updated_at,
        capture_policy,
        // Judged at intake against the configured limits (`platforms::limits`).
        implausible: None,
        refund_ids: order.refund_ids.clone(),
    }
}

/// A short stable hash of what decides the goods: each line's id, quantity and product. A
/// change is an edit that must reach the supplier orders (titles and prices are not goods).
fn lines_fingerprint(order: &StoreOrder) -> String {
    let lines: Vec<_> = order
        .lines
        .iter()
        .map(|l| {
            (
                &l.external_id,
                l.quantity,
                &l.variant_id,
                &l.sku,
                l.requires_shipping,
            )
        })
        .collect();
    fingerprint(&lines)
}

/// A short stable hash of the address, so the state can remember which address a merchant
/// accepted without keeping another copy of personal data.
fn fingerprint<T: serde::Serialize>(address: &T) -> String {
    let json = serde_json::to_vec(address).unwrap_or_default();
    let digest = Sha256::digest(&json);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
