//! The connector against the 17TRACK sandbox over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use dropflow_core::shipment::ShipmentStatus;
use dropflow_sandbox::faults::Faults;
use dropflow_sandbox::track17::{self as sandbox, Track17Sandbox, Track17SandboxConfig};

const DAY: Duration = Duration::from_secs(86_400);

async fn sandbox_with(config: Track17SandboxConfig) -> (Track17Sandbox, Track17) {
    let sandbox = sandbox::start(config).await.unwrap();
    let client = Track17::new(&sandbox.base_url, sandbox.api_key(), Duration::from_secs(5));
    (sandbox, client)
}

fn requests(numbers: &[String]) -> Vec<TrackRequest> {
    numbers
        .iter()
        .map(|n| TrackRequest {
            number: n.clone(),
            carrier: None,
        })
        .collect()
}

fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("LP{i:014}")).collect()
}

#[tokio::test]
async fn registers_and_follows_a_parcel_to_delivery_with_fast_time() {
    // A ten-day journey in one real second.
    let (sandbox, client) = sandbox_with(Track17SandboxConfig {
        time_scale: 10.0 * 86_400.0,
        transit: 10 * DAY,
        ..Track17SandboxConfig::default()
    })
    .await;
    let number = "RB123456785GB".to_string();
    let regs = client
        .register(&[TrackRequest {
            number: number.clone(),
            carrier: Some("China Post".into()),
        }])
        .await
        .unwrap();
    assert_eq!(
        regs,
        vec![Registration::Accepted {
            number: number.clone()
        }]
    );
    let mut statuses = Vec::new();
    let started = std::time::Instant::now();
    loop {
        let updates = client.fetch(std::slice::from_ref(&number)).await.unwrap();
        assert_eq!(updates.len(), 1);
        let u = &updates[0];
        assert_eq!(u.number, number);
        if statuses.last() != Some(&u.status) {
            statuses.push(u.status);
        }
        if u.status == ShipmentStatus::Delivered {
            assert_eq!(u.sub_status.as_deref(), Some("Delivered_Other"));
            assert!(u.last_event.as_deref().unwrap().contains("Delivered"));
            assert!(u.last_event_at.is_some());
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never delivered: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        statuses.contains(&ShipmentStatus::InTransit),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&ShipmentStatus::OutForDelivery),
        "{statuses:?}"
    );
    // Registering again is fine: 17TRACK follows it already.
    let again = client
        .register(&requests(std::slice::from_ref(&number)))
        .await
        .unwrap();
    assert_eq!(again, vec![Registration::Accepted { number }]);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn batches_of_40_for_100_numbers_and_unknown_numbers_are_left_out() {
    let (sandbox, client) = sandbox_with(Track17SandboxConfig::default()).await;
    let all = numbers(100);
    let regs = client.register(&requests(&all)).await.unwrap();
    assert_eq!(regs.len(), 100);
    assert!(regs
        .iter()
        .all(|r| matches!(r, Registration::Accepted { .. })));
    assert_eq!(sandbox.calls().register, 3);
    assert_eq!(sandbox.registered_count(), 100);

    let updates = client.fetch(&all).await.unwrap();
    assert_eq!(sandbox.calls().gettrackinfo, 3);
    assert_eq!(updates.len(), 100);
    let got: Vec<&str> = updates.iter().map(|u| u.number.as_str()).collect();
    let want: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(got, want, "answers keep the order asked");
    assert!(updates.iter().all(|u| u.status == ShipmentStatus::Pending));

    let bad = client
        .register(&requests(&["bad number".to_string()]))
        .await
        .unwrap();
    assert!(matches!(&bad[0], Registration::Rejected { number, .. } if number == "bad number"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized() {
    let (sandbox, _) = sandbox_with(Track17SandboxConfig::default()).await;
    let client = Track17::new(&sandbox.base_url, "not-the-key", Duration::from_secs(5));
    let error = client.fetch(&numbers(1)).await.unwrap_err();
    assert!(
        matches!(error, TrackingApiError::Unauthorized(_)),
        "{error:?}"
    );
    assert!(!error.is_transient());
    assert_eq!(sandbox.calls().unauthorized, 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn faults_map_to_transient_errors() {
    let (sandbox, _) = sandbox_with(Track17SandboxConfig {
        timeout_hold: Duration::from_secs(5),
        ..Track17SandboxConfig::default()
    })
    .await;
    let client = Track17::new(
        &sandbox.base_url,
        sandbox.api_key(),
        Duration::from_millis(300),
    );
    let one = numbers(1);

    sandbox.faults.set(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let error = client.fetch(&one).await.unwrap_err();
    assert_eq!(
        error,
        TrackingApiError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );

    sandbox.faults.set(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let error = client.fetch(&one).await.unwrap_err();
    assert!(
        matches!(error, TrackingApiError::Unavailable(_)),
        "{error:?}"
    );

    sandbox.faults.set(Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    });
    let error = client.fetch(&one).await.unwrap_err();
    assert_eq!(error, TrackingApiError::Timeout);
    assert!(error.is_transient());

    sandbox.faults.set(Faults::default());
    assert!(client.fetch(&one).await.is_ok());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_rate_limit_is_rate_limited() {
    let (sandbox, client) = sandbox_with(Track17SandboxConfig {
        requests_per_second: Some(1),
        ..Track17SandboxConfig::default()
    })
    .await;
    // Three calls for 100 numbers against one call a second.
    let error = client.fetch(&numbers(100)).await.unwrap_err();
    assert!(
        matches!(
            error,
            TrackingApiError::RateLimited {
                retry_after: Some(_)
            }
        ),
        "{error:?}"
    );
    assert!(sandbox.calls().rate_limited >= 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_unknown_status_is_pending() {
    let (sandbox, client) = sandbox_with(Track17SandboxConfig::default()).await;
    let one = numbers(1);
    client.register(&requests(&one)).await.unwrap();
    sandbox.advance(9 * DAY);
    sandbox.force_status(&one[0], "Teleported", "Teleported_Other");
    let updates = client.fetch(&one).await.unwrap();
    assert_eq!(updates[0].status, ShipmentStatus::Pending);
    assert_eq!(updates[0].sub_status.as_deref(), Some("Teleported_Other"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn shares_end_in_attempt_fail_exception_and_pickup() {
    let (sandbox, client) = sandbox_with(Track17SandboxConfig {
        delivery_failure_share: 0.25,
        exception_share: 0.25,
        pickup_share: 0.25,
        ..Track17SandboxConfig::default()
    })
    .await;
    let all = numbers(200);
    client.register(&requests(&all)).await.unwrap();
    sandbox.advance(11 * DAY);
    let updates = client.fetch(&all).await.unwrap();
    let count = |s: ShipmentStatus| updates.iter().filter(|u| u.status == s).count();
    for s in [
        ShipmentStatus::AttemptFail,
        ShipmentStatus::Exception,
        ShipmentStatus::AvailableForPickup,
        ShipmentStatus::Delivered,
    ] {
        assert!(count(s) > 20, "{s:?}: {}", count(s));
    }
    sandbox.shutdown().await;
}

#[test]
fn config_debug_hides_the_key() {
    let config: Track17Config = serde_json::from_str(r#"{"api_key":"SECRET-17-KEY"}"#).unwrap();
    assert_eq!(config.base_url, DEFAULT_BASE_URL);
    assert_eq!(config.timeout_ms, 10_000);
    let shown = format!("{config:?}");
    assert!(!shown.contains("SECRET-17-KEY"), "{shown}");
    let client = Track17::from_config(&config);
    assert!(!format!("{client:?}").contains("SECRET-17-KEY"));
}

#[test]
fn bad_json_is_a_protocol_error() {
    let ok = |body: &[u8]| Answer::new("17TRACK", reqwest::StatusCode::OK, None, body.to_vec());
    let error = read_answer::<TrackAccepted>(&ok(b"<html>")).unwrap_err();
    assert!(matches!(error, TrackingApiError::Protocol(_)));
    let error = read_answer::<TrackAccepted>(&ok(
        br#"{"code":-18010002,"data":{"errors":[{"code":-18010002,"message":"x"}]}}"#,
    ))
    .unwrap_err();
    assert!(matches!(error, TrackingApiError::Unauthorized(_)));
}

/// protocols.md §5.2: gettrackinfo rejects a number it does not follow with `-18019902` "not
/// registered (register before gettrackinfo)": the connector registers it and asks again.
#[tokio::test]
async fn an_unregistered_number_is_registered_and_asked_again() {
    let (sandbox, client) = sandbox_with(Track17SandboxConfig::default()).await;
    let number = "RB123456785GB".to_string();
    let updates = client.fetch(std::slice::from_ref(&number)).await.unwrap();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].number, number);
    assert!(sandbox.is_registered(&number));
    assert_eq!(sandbox.calls().register, 1);
    assert_eq!(sandbox.calls().gettrackinfo, 2);
    sandbox.shutdown().await;
}

/// `-18019908`, the account's quota used up (§5.2), is a wait, not a refusal of the number.
#[tokio::test]
async fn a_used_up_quota_is_rate_limited_not_refused() {
    let (sandbox, client) = sandbox_with(Track17SandboxConfig::default()).await;
    sandbox.set_quota(Some(0));
    let number = "RB123456785GB".to_string();
    let limited = |e: Option<TrackingApiError>| {
        matches!(
            e,
            Some(TrackingApiError::RateLimited {
                retry_after: Some(_)
            })
        )
    };
    let registered = client
        .register(&requests(std::slice::from_ref(&number)))
        .await;
    assert!(limited(registered.clone().err()), "{registered:?}");
    let fetched = client.fetch(std::slice::from_ref(&number)).await;
    assert!(limited(fetched.clone().err()), "{fetched:?}");
    sandbox.set_quota(None);
    assert_eq!(client.fetch(&[number]).await.unwrap().len(), 1);
    sandbox.shutdown().await;
}
