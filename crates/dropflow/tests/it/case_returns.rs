//! The goods coming back (issue 14): the return parcel recorded on a case is followed with
//! the carrier like any parcel, and its delivery moves the case on by itself.

use crate::cases::{open, shipped_order, WAIT};
use crate::support::*;
use dropflow::carriers::track17::Track17;
use dropflow_sandbox::track17::{self as t17, Track17SandboxConfig};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_parcel_is_followed_and_its_delivery_brings_the_case_to_a_decision() {
    let (_cj, app, _, world) = shipped_order(9_718_001, 1, 10_000_401).await;
    let body = json!({ "reason": "not_as_described",
        "lines": [{ "line_id": world.line_a, "quantity": 1 }],
        "resolution": { "kind": "return_first" } });
    let case = expect_json(open(&app, &world.order, &body).await, StatusCode::CREATED).await;
    let id = case["id"].as_str().expect("id").to_string();
    let number = dropflow_core::tracking::s10_number("RR", 10_000_402, "US");
    let return_shipped = || async {
        expect_json(
            app.api_post(
                &format!("/api/v1/cases/{id}/events"),
                &json!({ "event": "return_shipped", "tracking_number": number }),
            )
            .await,
            StatusCode::OK,
        )
        .await
    };
    let shipped = return_shipped().await;
    assert_eq!(shipped["return"]["state"], json!("in_transit"), "{shipped}");
    // The parcel is on the order with the others, on its own leg, to be followed.
    let parcels_path = format!("/api/v1/orders/{}/parcels", world.order);
    let parcels = app.api_list(&parcels_path).await;
    let parcel = parcels
        .iter()
        .find(|p| p["tracking_number"] == json!(number))
        .cloned()
        .expect("the return parcel is listed");
    assert_eq!(parcel["leg"], json!("customer_return"), "{parcel}");
    // Recording the same number again adds no second parcel.
    return_shipped().await;
    assert_eq!(app.api_list(&parcels_path).await.len(), parcels.len());

    // The carrier delivers it: the case has its goods back and waits for the decision.
    let sandbox = t17::start(Track17SandboxConfig::default())
        .await
        .expect("17track sandbox");
    let mut services = dropflow::fulfilment::Services::bare(&app.db);
    services.tracking = Some(Arc::new(Track17::new(
        &sandbox.base_url,
        sandbox.api_key(),
        Duration::from_secs(5),
    )));
    let track = dropflow::fulfilment::track::track;
    track(&services, std::slice::from_ref(&number))
        .await
        .expect("register");
    sandbox.force_status(&number, "Delivered", "Delivered_Other");
    track(&services, std::slice::from_ref(&number))
        .await
        .expect("track");
    let back = eventually(WAIT, || async {
        app.api_json(&format!("/api/v1/cases/{id}")).await["return"]["state"] == json!("delivered")
    })
    .await;
    let now = app.api_json(&format!("/api/v1/cases/{id}")).await;
    assert!(back, "{now}");
    assert_eq!(now["next_steps"][0], json!("settle_return"), "{now}");
    assert!(now["next_steps"].to_string().contains("decide"), "{now}");
    app.allow_pending_jobs();
    app.stop().await;
}
