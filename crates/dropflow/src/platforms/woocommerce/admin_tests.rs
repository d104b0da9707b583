//! The WooCommerce connector against the WooCommerce REST sandbox, in process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::admin::WooAdmin;
use super::admin_wire::{note_text, oauth_query, percent_encode, Note};
use crate::platforms::admin::{FulfilmentPush, PushOutcome, StoreAdmin, StoreApiError};
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::woocommerce_admin::{start, AuthSeen, WooAdminConfig, WooAdminSandbox};
use serde_json::json;
use std::time::Duration;

const ORDER: u64 = 727;

async fn sandbox() -> WooAdminSandbox {
    let sandbox = start(WooAdminConfig::default()).await.unwrap();
    let order = dropflow_sandbox::woocommerce::order_payload(ORDER, "processing");
    sandbox.add_order(&order).unwrap();
    sandbox
}

pub(super) fn connector(sandbox: &WooAdminSandbox) -> WooAdmin {
    connector_waiting(sandbox, Duration::from_secs(2))
}

/// The connector with the sandbox's key and secret, waiting `timeout` for each answer.
pub(super) fn connector_waiting(sandbox: &WooAdminSandbox, timeout: Duration) -> WooAdmin {
    WooAdmin::new(
        &sandbox.base_url,
        sandbox.consumer_key(),
        sandbox.consumer_secret(),
        timeout,
    )
}

fn push(number: &str, completes_order: bool) -> FulfilmentPush {
    FulfilmentPush {
        store_order_id: ORDER.to_string(),
        reference: "shp_0190a1b2".to_string(),
        tracking_number: number.to_string(),
        carrier: Some("YunExpress".to_string()),
        tracking_url: Some(format!("https://t.17track.net/en#nums={number}")),
        lines: vec![],
        notify_customer: true,
        completes_order,
    }
}

fn our_notes(sandbox: &WooAdminSandbox) -> Vec<String> {
    sandbox
        .notes(ORDER)
        .into_iter()
        .filter(|n| n.author != "system")
        .map(|n| n.note)
        .collect()
}

#[tokio::test]
async fn notes_the_tracking_and_completes_the_order() {
    let sandbox = sandbox().await;
    let outcome = connector(&sandbox)
        .push_fulfilment(&push("YT2229521272164446", true))
        .await
        .unwrap();
    let notes = sandbox.notes(ORDER);
    let ours = notes.iter().find(|n| n.author != "system").unwrap();
    assert_eq!(
        outcome,
        PushOutcome::Fulfilled {
            store_fulfilment_id: ours.id.to_string()
        }
    );
    assert_eq!(
        ours.note,
        "Shipped via YunExpress, tracking YT2229521272164446 https://t.17track.net/en#nums=YT2229521272164446"
    );
    assert!(ours.customer_note);
    assert_eq!(sandbox.order_status(ORDER).as_deref(), Some("completed"));
    assert_eq!(
        sandbox.meta(ORDER, "_dropflow_tracking"),
        Some(json!(["YT2229521272164446"]))
    );
    // Plain http: every call was OAuth-signed, none refused.
    let seen = sandbox.auth_seen();
    assert_eq!(seen.basic, 0);
    assert_eq!(seen.refused, 0);
    assert!(seen.oauth >= 4, "{seen:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_early_parcel_leaves_the_order_processing() {
    let sandbox = sandbox().await;
    let admin = connector(&sandbox);
    let mut first = push("YT0000000000000001", false);
    first.notify_customer = false;
    assert!(matches!(
        admin.push_fulfilment(&first).await.unwrap(),
        PushOutcome::Fulfilled { .. }
    ));
    assert_eq!(sandbox.order_status(ORDER).as_deref(), Some("processing"));
    assert!(!sandbox.notes(ORDER)[0].customer_note);
    admin
        .push_fulfilment(&push("YT0000000000000002", true))
        .await
        .unwrap();
    assert_eq!(sandbox.order_status(ORDER).as_deref(), Some("completed"));
    assert_eq!(
        sandbox.meta(ORDER, "_dropflow_tracking"),
        Some(json!(["YT0000000000000001", "YT0000000000000002"]))
    );
    assert_eq!(our_notes(&sandbox).len(), 2);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_repeated_push_writes_nothing_new() {
    let sandbox = sandbox().await;
    let admin = connector(&sandbox);
    let parcel = push("YT2229521272164446", true);
    let PushOutcome::Fulfilled {
        store_fulfilment_id,
    } = admin.push_fulfilment(&parcel).await.unwrap()
    else {
        panic!("the first push creates a note");
    };
    let notes_before = sandbox.notes(ORDER).len();
    let repeat = admin.push_fulfilment(&parcel).await.unwrap();
    assert_eq!(
        repeat,
        PushOutcome::AlreadyFulfilled {
            store_fulfilment_id: Some(store_fulfilment_id)
        }
    );
    assert_eq!(sandbox.notes(ORDER).len(), notes_before);
    assert_eq!(our_notes(&sandbox).len(), 1);
    assert_eq!(
        sandbox.meta(ORDER, "_dropflow_tracking"),
        Some(json!(["YT2229521272164446"]))
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_repeat_finishes_an_interrupted_completion() {
    let sandbox = sandbox().await;
    let admin = connector(&sandbox);
    // The note got written but the order was never completed (say we crashed in between).
    admin
        .push_fulfilment(&push("YT1234567890", false))
        .await
        .unwrap();
    let repeat = admin
        .push_fulfilment(&push("YT1234567890", true))
        .await
        .unwrap();
    assert!(matches!(repeat, PushOutcome::AlreadyFulfilled { .. }));
    assert_eq!(sandbox.order_status(ORDER).as_deref(), Some("completed"));
    assert_eq!(our_notes(&sandbox).len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn refusals_and_faults_map_to_errors() {
    let sandbox = sandbox().await;
    let wrong = WooAdmin::new(
        &sandbox.base_url,
        sandbox.consumer_key(),
        "cs_wrong",
        Duration::from_secs(2),
    );
    let refused = wrong.push_fulfilment(&push("YT1", true)).await;
    assert!(
        matches!(refused, Err(StoreApiError::Unauthorized(_))),
        "{refused:?}"
    );
    assert!(!format!("{wrong:?}").contains("cs_wrong"));

    let mut missing = push("YT1", true);
    missing.store_order_id = "1".to_string();
    let missing = connector(&sandbox).push_fulfilment(&missing).await;
    assert!(
        matches!(missing, Err(StoreApiError::NotFound(_))),
        "{missing:?}"
    );

    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let down = connector(&sandbox)
        .push_fulfilment(&push("YT1", true))
        .await;
    assert!(
        matches!(down, Err(StoreApiError::Unavailable(_))),
        "{down:?}"
    );

    sandbox.faults.set(Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    });
    let impatient = connector_waiting(&sandbox, Duration::from_millis(200));
    assert_eq!(
        impatient.push_fulfilment(&push("YT1", true)).await,
        Err(StoreApiError::Timeout)
    );

    sandbox.faults.set(Faults::default());
    assert!(our_notes(&sandbox).is_empty());
    assert_eq!(sandbox.order_status(ORDER).as_deref(), Some("processing"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_cancelled_order_is_refused() {
    let sandbox = start(WooAdminConfig::default()).await.unwrap();
    sandbox
        .add_order(&dropflow_sandbox::woocommerce::order_payload(
            ORDER,
            "cancelled",
        ))
        .unwrap();
    let outcome = connector(&sandbox)
        .push_fulfilment(&push("YT1", true))
        .await;
    assert!(
        matches!(outcome, Err(StoreApiError::Refused(_))),
        "{outcome:?}"
    );
    assert!(sandbox.notes(ORDER).is_empty());
    assert_eq!(
        sandbox.auth_seen(),
        AuthSeen {
            oauth: 1,
            basic: 0,
            refused: 0
        }
    );
    sandbox.shutdown().await;
}

#[test]
fn note_wording_and_matching() {
    assert_eq!(
        note_text(Some("YunExpress"), "YT1", None),
        "Shipped via YunExpress, tracking YT1"
    );
    assert_eq!(
        note_text(None, "YT1", Some("https://x/YT1")),
        "Shipped, tracking YT1 https://x/YT1"
    );
    let note = Note {
        id: 1,
        note: "Shipped via YunExpress, tracking YT12".to_string(),
    };
    assert!(note.mentions("YT12"));
    assert!(!note.mentions("YT1"));
}

#[test]
fn oauth_signature_matches_a_worked_example() {
    assert_eq!(percent_encode("a b&c=d~"), "a%20b%26c%3Dd~");
    // python3: base = "GET&" + quote(url, safe='') + "&" + quote(params, safe='');
    // base64(hmac.new(b"cs_secret&", base, sha256).digest())
    let query = oauth_query(
        "GET",
        "http://example.com/wp-json/wc/v3/orders/727",
        &[],
        "ck_key",
        "cs_secret",
        1_700_000_000,
        "abc",
    );
    assert!(query.starts_with(
        "oauth_consumer_key=ck_key&oauth_nonce=abc&oauth_signature_method=HMAC-SHA256&oauth_timestamp=1700000000&oauth_signature="
    ));
    let signature = query.rsplit("oauth_signature=").next().unwrap();
    assert_eq!(signature, EXPECTED_SIGNATURE);
}

/// `O/7Cur1l2dlYNGgzHqJLkbCdvTzEe3kC6cl6iXngU+w=`, percent-encoded.
const EXPECTED_SIGNATURE: &str = "O%2F7Cur1l2dlYNGgzHqJLkbCdvTzEe3kC6cl6iXngU%2Bw%3D";
