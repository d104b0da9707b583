//! The sandbox over real HTTP: envelope, key check, 40-number limit, progression, faults.

use super::*;
use crate::cj::http_client;
use crate::faults::Faults;
use serde_json::{json, Value};

async fn post(
    sandbox: &Track17Sandbox,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let url = format!("{}/{path}", sandbox.base_url);
    let credential = key.map(|k| ("17token", k));
    http_client::json_call("POST", &url, credential, body.to_string().as_bytes()).await
}

fn items(numbers: &[&str]) -> Value {
    Value::Array(numbers.iter().map(|n| json!({"number": n})).collect())
}

#[tokio::test]
async fn key_is_checked() {
    let sandbox = start(Track17SandboxConfig::default()).await.unwrap();
    let (status, body) = post(&sandbox, "register", None, &items(&["RB123456785GB"])).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], code::INVALID_KEY);
    let (status, _) = post(
        &sandbox,
        "register",
        Some("wrong"),
        &items(&["RB123456785GB"]),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(sandbox.registered_count(), 0);
    assert_eq!(sandbox.calls().unauthorized, 2);
    assert_eq!(sandbox.calls().register, 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn registers_up_to_40_and_rejects_bad_and_repeated_numbers() {
    let sandbox = start(Track17SandboxConfig::default()).await.unwrap();
    let key = sandbox.api_key().to_string();
    let body = json!([{"number": "RB123456785GB", "carrier": 3011}, {"number": "1Z5R89390357567127"},
                      {"number": "bad number"}]);
    let (status, answer) = post(&sandbox, "register", Some(&key), &body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["code"], 0);
    let accepted = answer["data"]["accepted"].as_array().unwrap();
    assert_eq!(accepted.len(), 2);
    assert_eq!(accepted[0]["carrier"], 3011);
    assert_eq!(accepted[1]["carrier"], 100_002);
    assert_eq!(answer["data"]["rejected"][0]["number"], "bad number");
    assert_eq!(
        answer["data"]["rejected"][0]["error"]["code"],
        code::INVALID_NUMBER
    );

    let (_, again) = post(&sandbox, "register", Some(&key), &items(&["RB123456785GB"])).await;
    assert_eq!(
        again["data"]["rejected"][0]["error"]["code"],
        code::ALREADY_REGISTERED
    );

    let many: Vec<String> = (0..41).map(|i| format!("LP{i:014}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let (status, too_many) = post(&sandbox, "register", Some(&key), &items(&refs)).await;
    assert_eq!(status, 200);
    assert_eq!(too_many["code"], code::TOO_MANY_NUMBERS);
    assert_eq!(sandbox.registered_count(), 2);
    let (_, forty) = post(&sandbox, "register", Some(&key), &items(&refs[..40])).await;
    assert_eq!(forty["data"]["accepted"].as_array().unwrap().len(), 40);
    assert_eq!(sandbox.registered_count(), 42);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn parcels_travel_with_sandbox_time_and_unknown_numbers_are_rejected() {
    let config = Track17SandboxConfig {
        transit: Duration::from_secs(10 * 86_400),
        ..Track17SandboxConfig::default()
    };
    let sandbox = start(config).await.unwrap();
    let key = sandbox.api_key().to_string();
    post(&sandbox, "register", Some(&key), &items(&["RB123456785GB"])).await;
    let status_now = |answer: &Value| {
        let info = &answer["data"]["accepted"][0]["track_info"];
        (
            info["latest_status"]["status"]
                .as_str()
                .unwrap()
                .to_string(),
            info["latest_status"]["sub_status"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    let ask = items(&["RB123456785GB", "NEVERREGISTERED1"]);
    let (_, first) = post(&sandbox, "gettrackinfo", Some(&key), &ask).await;
    assert_eq!(status_now(&first).0, "NotFound");
    assert_eq!(first["data"]["rejected"][0]["number"], "NEVERREGISTERED1");
    assert_eq!(
        first["data"]["rejected"][0]["error"]["code"],
        code::NOT_REGISTERED
    );

    let mut seen = Vec::new();
    for _ in 0..11 {
        sandbox.advance(Duration::from_secs(86_400));
        let (_, answer) = post(&sandbox, "gettrackinfo", Some(&key), &ask).await;
        seen.push(status_now(&answer));
        let event = &answer["data"]["accepted"][0]["track_info"]["latest_event"];
        assert!(event["time_utc"].as_str().unwrap().ends_with('Z'));
        assert!(event["description"].is_string());
    }
    let subs: Vec<&str> = seen.iter().map(|(_, s)| s.as_str()).collect();
    for expected in [
        "InTransit_PickedUp",
        "InTransit_Departure",
        "InTransit_Arrival",
        "InTransit_CustomsProcessing",
        "OutForDelivery_Other",
        "Delivered_Other",
    ] {
        assert!(subs.contains(&expected), "{expected} missing from {subs:?}");
    }
    assert_eq!(seen.last().unwrap().0, "Delivered");
    assert_eq!(sandbox.calls().gettrackinfo, 12);
    assert_eq!(sandbox.calls().numbers_fetched, 24);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn shares_decide_how_journeys_end() {
    let config = Track17SandboxConfig {
        delivery_failure_share: 0.2,
        exception_share: 0.2,
        pickup_share: 0.2,
        ..Track17SandboxConfig::default()
    };
    let sandbox = start(config).await.unwrap();
    let key = sandbox.api_key().to_string();
    let numbers: Vec<String> = (0..400).map(|i| format!("LP{i:014}")).collect();
    for chunk in numbers.chunks(40) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        post(&sandbox, "register", Some(&key), &items(&refs)).await;
    }
    let count = |o: Outcome| {
        numbers
            .iter()
            .filter(|n| sandbox.outcome(n) == Some(o))
            .count()
    };
    for o in [
        Outcome::DeliveryFailure,
        Outcome::Exception,
        Outcome::AvailableForPickup,
    ] {
        let n = count(o);
        assert!((40..=120).contains(&n), "{o:?}: {n} of 400");
    }
    assert!(count(Outcome::Delivered) > 100);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn faults_and_the_rate_limit() {
    let config = Track17SandboxConfig {
        requests_per_second: Some(2),
        timeout_hold: Duration::from_millis(300),
        ..Track17SandboxConfig::default()
    };
    let sandbox = start(config).await.unwrap();
    let key = sandbox.api_key().to_string();
    let ask = items(&["RB123456785GB"]);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(post(&sandbox, "gettrackinfo", Some(&key), &ask).await.0);
    }
    assert_eq!(statuses, vec![200, 200, 429, 429]);
    assert_eq!(sandbox.calls().rate_limited, 2);
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Each fault on its own: the status a track-info query then gets.
    let status_with = |faults: Faults| {
        sandbox.faults.set(faults);
        post(&sandbox, "gettrackinfo", Some(&key), &ask)
    };
    let server_error = Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    };
    assert!((500..600).contains(&status_with(server_error).await.0));
    let rate_limit = Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    };
    assert_eq!(status_with(rate_limit).await.0, 429);
    let timeout = Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    };
    assert_eq!(status_with(timeout).await.0, 504);
    sandbox.shutdown().await;
}
