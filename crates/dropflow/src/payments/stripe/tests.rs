use super::*;
use dropflow_core::reference::currency::Currency;
use reqwest::StatusCode;

fn config() -> StripeConfig {
    StripeConfig {
        secret_key: "sk_test_4eC39HqLyjWDarjtT1zdp7dc".into(),
        webhook_secret: "whsec_test_secret".into(),
        success_url:
            "https://shop.test/wallet?store={STORE_ID}&paid={TOP_UP_ID}&s={CHECKOUT_SESSION_ID}"
                .into(),
        cancel_url: "https://shop.test/wallet?store={STORE_ID}".into(),
        api_base: default_api_base(),
        tolerance_secs: default_tolerance_secs(),
        timeout_ms: default_timeout_ms(),
        max_amount_minor: default_max_amount_minor(),
    }
}

fn store() -> StoreId {
    "0193a5c2-0000-7000-8000-000000000001"
        .parse()
        .unwrap_or_default()
}

fn request(amount: Money) -> SessionRequest<'static> {
    SessionRequest {
        top_up_id: "0193a5c2-7e1f-7c3a-9d2b-4f1e8a6b5c3d",
        store_id: store(),
        amount,
        description: "Wallet top-up [shop.test] & more".into(),
    }
}

fn decoded(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[test]
fn the_create_form_carries_the_documented_fields() {
    let jpy = Currency::from_code("JPY").unwrap_or_else(|e| panic!("{e}"));
    let body = session_form(&config(), &request(Money::new(2_500, jpy)));
    // Brackets travel as they are, like Stripe's SDKs send them.
    assert!(
        body.contains("line_items[0][price_data][unit_amount]=2500"),
        "{body}"
    );
    let fields = decoded(&body);
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{key} missing in {body}"))
    };
    assert_eq!(get("mode"), "payment");
    assert_eq!(get("line_items[0][price_data][currency]"), "jpy");
    assert_eq!(get("line_items[0][price_data][unit_amount]"), "2500");
    assert_eq!(
        get("line_items[0][price_data][product_data][name]"),
        "Wallet top-up [shop.test] & more"
    );
    assert_eq!(get("line_items[0][quantity]"), "1");
    assert_eq!(
        get("success_url"),
        "https://shop.test/wallet?store=0193a5c2-0000-7000-8000-000000000001\
         &paid=0193a5c2-7e1f-7c3a-9d2b-4f1e8a6b5c3d&s={CHECKOUT_SESSION_ID}"
    );
    assert_eq!(
        get("cancel_url"),
        "https://shop.test/wallet?store=0193a5c2-0000-7000-8000-000000000001"
    );
    assert_eq!(
        get("client_reference_id"),
        "0193a5c2-7e1f-7c3a-9d2b-4f1e8a6b5c3d"
    );
    assert_eq!(
        get("metadata[dropflow_top_up_id]"),
        "0193a5c2-7e1f-7c3a-9d2b-4f1e8a6b5c3d"
    );
    assert_eq!(
        get("metadata[dropflow_store_id]"),
        "0193a5c2-0000-7000-8000-000000000001"
    );
    assert_eq!(
        get("metadata[dropflow_wallet]"),
        "0193a5c2-0000-7000-8000-000000000001:JPY"
    );
}

fn answer(status: u16, body: &str) -> crate::outbound::Answer {
    crate::outbound::Answer::new(
        "Stripe",
        StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
        None,
        body.as_bytes().to_vec(),
    )
}

#[test]
fn stripe_errors_map_to_clear_refusals() {
    let stripe = Stripe::new(config());
    // The shape of https://docs.stripe.com/api/errors, with a message Stripe gives for a
    // too small amount.
    let too_small = r#"{"error": {"code": "amount_too_small", "doc_url": "https://stripe.com/docs/error-codes/amount-too-small", "message": "The Checkout Session's total amount due must add up to at least $0.50 usd", "param": "line_items[0][price_data][unit_amount]", "type": "invalid_request_error"}}"#;
    match stripe.read_created(answer(400, too_small)) {
        Err(e @ StripeError::Refused { .. }) => {
            assert!(e.is_final());
            let text = e.to_string();
            assert!(text.contains("at least $0.50 usd"), "{text}");
            assert!(text.contains("amount_too_small"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    let bad_key = r#"{"error": {"message": "Invalid API Key provided: sk_test_4eC39HqLyjWDarjtT1zdp7dc", "type": "invalid_request_error"}}"#;
    match stripe.read_created(answer(401, bad_key)) {
        Err(StripeError::Credentials(message)) => {
            assert!(
                !message.contains("sk_test_4eC39"),
                "the key leaks: {message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let reused = r#"{"error": {"message": "Keys for idempotent requests can only be used with the same parameters they were first used with.", "type": "idempotency_error"}}"#;
    assert!(matches!(
        stripe.read_created(answer(400, reused)),
        Err(StripeError::Idempotency(_))
    ));
    let down = r#"{"error": {"message": "An unknown error occurred", "type": "api_error"}}"#;
    match stripe.read_created(answer(500, down)) {
        Err(e @ StripeError::Unavailable(_)) => assert!(!e.is_final()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        stripe.read_created(answer(429, "")),
        Err(StripeError::Unavailable(_))
    ));
    assert!(matches!(
        stripe.read_created(answer(200, r#"{"id": "cs_test_1", "url": null}"#)),
        Err(StripeError::Garbled(_))
    ));
    assert!(matches!(
        stripe.read_created(answer(200, "<html>")),
        Err(StripeError::Garbled(_))
    ));
    assert_eq!(
        stripe.read_created(answer(
            200,
            r#"{"id": "cs_test_1", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_1"}"#
        )),
        Ok(CreatedSession {
            id: "cs_test_1".into(),
            url: "https://checkout.stripe.com/c/pay/cs_test_1".into()
        })
    );
}

#[test]
fn the_config_hides_its_secrets() {
    let shown = format!("{:?}", config());
    assert!(!shown.contains("sk_test_4eC39"), "{shown}");
    assert!(!shown.contains("whsec_test_secret"), "{shown}");
}
