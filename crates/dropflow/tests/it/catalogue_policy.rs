//! A store's catalogue policy (issue 15, "Policies per store, as data"): the defaults in the
//! currency of the store's orders until set; a policy replaced whole and read back as given;
//! out-of-range values refused naming the field with nothing changed; only the owner writes
//! it, and another account's store does not exist.

use crate::support::*;
use dropflow::storage::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn path(store: &str) -> String {
    format!("/api/v1/stores/{store}/catalogue-policy")
}

fn policy(currency: &str, ending: Value) -> Value {
    json!({
        "currency": currency,
        "stock": { "buffer": 2, "cap": 50, "when_out": "unpublish" },
        "price": { "markup_bp": 25000, "fixed_minor": 150, "ending": ending,
                   "auto_update": true, "max_auto_rise_bp": 1500 }
    })
}

#[tokio::test]
async fn a_policy_is_the_defaults_until_set_then_exactly_what_was_set() {
    let app = TestApp::spawn().await;
    let store = app.shopify_store().await;
    // Before any order: US dollars, the whole stock, 0 when out, × 2 rounded up to .99,
    // shown but not written.
    let defaults = app.api_json(&path(&store)).await;
    assert_eq!(
        defaults,
        json!({
            "currency": "USD",
            "stock": { "buffer": 0, "cap": null, "when_out": "set_zero" },
            "price": { "markup_bp": 20000, "fixed_minor": 0, "ending": 99,
                       "auto_update": false, "max_auto_rise_bp": 2000 }
        })
    );
    let set = policy("EUR", json!(95));
    let answered = expect_json(app.api_put(&path(&store), &set).await, StatusCode::OK).await;
    assert_eq!(answered, set);
    assert_eq!(app.api_json(&path(&store)).await, set);
    app.stop().await;
}

#[tokio::test]
async fn a_policy_out_of_range_is_refused_naming_the_field_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let store = app.shopify_store().await;
    let kept = policy("USD", json!(99));
    expect_json(app.api_put(&path(&store), &kept).await, StatusCode::OK).await;
    let with = |pointer: &str, value: Value| {
        let mut body = kept.clone();
        *body.pointer_mut(pointer).expect(pointer) = value;
        body
    };
    for (body, words) in [
        (with("/currency", json!("XXQ")), "currency"),
        (with("/price/markup_bp", json!(0)), "markup_bp"),
        (with("/price/fixed_minor", json!(-5)), "fixed_minor"),
        (with("/stock/cap", json!(0)), "cap"),
        (
            with("/price/max_auto_rise_bp", json!(2_000_000)),
            "max_auto_rise_bp",
        ),
        // Yen have no minor units: an ending of 99 cannot fit.
        (policy("JPY", json!(99)), "ending"),
    ] {
        let message = expect_error(
            app.api_put(&path(&store), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(message.contains(words), "{words}: {message}");
    }
    // Malformed: an unknown `when_out`, an unknown field, a negative buffer.
    let mut unknown_field = kept.clone();
    unknown_field["stock"]["colour"] = json!("red");
    for body in [
        with("/stock/when_out", json!("hide")),
        unknown_field,
        with("/stock/buffer", json!(-1)),
    ] {
        let response = app.api_put(&path(&store), &body).await;
        assert!(
            response.status() == StatusCode::BAD_REQUEST
                || response.status() == StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            response.status()
        );
    }
    assert_eq!(app.api_json(&path(&store)).await, kept);
    // The audit log holds the one accepted change, none of the refused ones.
    let audit = app
        .api_json(&format!(
            "/api/v1/audit?store={store}&subject=catalogue_policy"
        ))
        .await;
    let entries = audit["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["action"], json!("catalogue_policy.set"));
    assert_eq!(
        entries[0]["before"],
        Value::Null,
        "never set before: {audit}"
    );
    assert_eq!(
        entries[0]["after"]["price"]["markup_bp"],
        json!(25000),
        "{audit}"
    );
    // Without minor units and without an ending, yen are fine.
    let yen = policy("JPY", Value::Null);
    expect_json(app.api_put(&path(&store), &yen).await, StatusCode::OK).await;
    app.stop().await;
}

#[tokio::test]
async fn only_the_owner_changes_it_and_another_accounts_store_is_not_found() {
    let app = TestApp::spawn().await;
    let store = app.shopify_store().await;
    let store_id = app.shopify_store_id().await;
    let staff = member_token(&app, "staff@shop.test", Role::Staff, &[store_id]).await;
    // Staff of the store may read it, not change it.
    let read = expect_json(app.get_as(&staff, &path(&store)).await, StatusCode::OK).await;
    assert_eq!(read["currency"], json!("USD"));
    expect_error(
        app.put_as(&staff, &path(&store), &policy("USD", json!(99)))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let other = new_account(&app, "Elsewhere").await;
    let stranger = user_token(&app, &other, "owner@elsewhere.test", Role::Owner, &[]).await;
    expect_error(
        app.get_as(&stranger, &path(&store)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.put_as(&stranger, &path(&store), &policy("USD", json!(99)))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        app.api_json(&path(&store)).await["stock"]["when_out"],
        json!("set_zero"),
        "nothing was written"
    );
    app.stop().await;
}
