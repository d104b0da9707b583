//! The customer's mails about after-sale cases, end to end: a case opened through the API
//! puts `opened` on the order's timeline, the `notify` consumer reads the case and writes the
//! mail, the outbox delivers it over a real SMTP conversation. The mail says where to send
//! the items back (the merchant's return address set through the API, for goods a vendor
//! shipped); a case the store opened from its own refund sends none, nor does a store that
//! does not let dropflow mail its customers; a decline carries the merchant's note; a
//! replacement shipped (a step recorded as the replacement flow will record it) has its own
//! mail.

use crate::cases::{
    deliver_refund, handed_over_order, open_refund, ship_line_a, shopify_refund, World,
};
use crate::support::cj_world::put_settings;
use crate::support::*;
use dropflow::events::{self, EventsConfig};
use dropflow::jobs::Registry;
use dropflow::notify::{self, transport::Notifier};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::Command;
use dropflow_sandbox::smtp::SmtpServer;
use mail_parser::MessageParser;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(20);
/// The kinds of the customer's case mails (`MailKind::as_str`).
const CASE_KINDS: [&str; 4] = [
    "case_received",
    "refund_issued",
    "replacement_shipped",
    "case_declined",
];

/// A dropflow that fulfils through manual vendors, with the outbox sender (to `smtp`) and
/// the event consumers running.
struct Setup {
    app: TestApp,
    stop: watch::Sender<bool>,
    consumers: tokio::task::JoinHandle<()>,
}

impl Setup {
    async fn start(smtp: &SmtpServer) -> Setup {
        let notifier = Notifier::smtp(&smtp.url(), "Shop <alerts@shop.test>", WAIT).unwrap();
        let app = TestApp::spawn_jobs(
            move |db| {
                let mut registry = Registry::new();
                let mut services = dropflow::fulfilment::Services::bare(db);
                services.admin = dropflow::app::store_admins();
                dropflow::fulfilment::register(&mut registry, services);
                notify::register(&mut registry, db.clone(), notifier);
                registry
            },
            |_| {},
        )
        .await;
        events::prepare(&app.db).await.unwrap();
        let config = EventsConfig {
            poll: Duration::from_millis(20),
            gap_grace_ms: 1_000,
            sweep_every: Duration::from_secs(3_600),
            reach: dropflow::outbound::Reach::AnyAddress,
            ..Default::default()
        };
        let (stop, stopped) = watch::channel(false);
        let consumers = tokio::spawn(events::run(app.db.clone(), config, stopped));
        Setup {
            app,
            stop,
            consumers,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.consumers.await;
        self.app.stop().await;
    }
}

/// The order's customer e-mail, as ingested.
async fn customer_of(app: &TestApp, order: &str) -> String {
    sqlx::query_scalar("SELECT email FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(&app.db.reader)
        .await
        .unwrap()
}

/// A received mail, parsed: subject, text and HTML parts.
struct Got {
    subject: String,
    text: String,
    html: String,
}

/// Waits for a mail to `to` whose subject contains `about`.
async fn mail_to(server: &SmtpServer, to: &str, about: &str) -> Got {
    let mut found = None;
    let arrived = eventually(WAIT, || {
        let mails = server.received();
        found = mails
            .iter()
            .filter(|m| m.rcpt_to == [to])
            .filter_map(|m| {
                let parsed = MessageParser::default().parse(&m.data)?;
                Some(Got {
                    subject: parsed.subject()?.to_string(),
                    text: parsed.body_text(0)?.replace("\r\n", "\n"),
                    html: parsed.body_html(0)?.into_owned(),
                })
            })
            .find(|g| g.subject.contains(about));
        let done = found.is_some();
        async move { done }
    })
    .await;
    assert!(arrived, "no mail to the customer about {about:?}");
    found.expect("the mail")
}

/// Waits until the `notify` consumer has passed every event recorded so far (its mails, if
/// any, are then in the outbox).
async fn consumed(app: &TestApp) {
    let last = events::stream::last_id(&app.db).await.unwrap();
    let passed = eventually(WAIT, || async {
        events::cursor::position(&app.db, events::mail::CURSOR)
            .await
            .unwrap()
            .is_some_and(|at| at >= last)
    })
    .await;
    assert!(passed, "the notify consumer never passed event {last}");
}

/// The case mails written for `to` about `order` once the `notify` consumer has passed every
/// event recorded so far, by kind, oldest first.
async fn case_mails(app: &TestApp, order: &str, to: &str) -> Vec<String> {
    consumed(app).await;
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM outbox WHERE order_id = $1 AND recipient = $2 ORDER BY id",
    )
    .bind(order)
    .bind(to)
    .fetch_all(&app.db.reader)
    .await
    .unwrap();
    kinds
        .into_iter()
        .filter(|k| CASE_KINDS.contains(&k.as_str()))
        .collect()
}

/// The order's line A title, as the case mail lists it.
async fn line_a_title(app: &TestApp, world: &World) -> String {
    app.order_detail(&world.order).await["lines"][0]["title"]
        .as_str()
        .expect("title")
        .to_string()
}

fn return_address() -> Value {
    json!({ "address": { "name": "Mugs & Co Returns", "address1": "1600 Amphitheatre Pkwy",
        "city": "Mountain View", "province": "California", "province_code": "CA",
        "postal_code": "94043", "country_code": "us" } })
}

#[tokio::test]
async fn a_merchant_case_tells_the_customer_where_to_send_the_items_and_a_store_refund_case_does_not(
) {
    let server = SmtpServer::start().await.unwrap();
    let setup = Setup::start(&server).await;
    let app = &setup.app;
    let store = app.shopify_store().await;
    let path = format!("/api/v1/stores/{store}/return-address");

    // The merchant's return address: none yet, a wrong one refused naming the field, then set.
    let none = expect_json(app.api_get(&path).await, StatusCode::OK).await;
    assert_eq!(none, json!({ "address": null }));
    let mut wrong = return_address();
    wrong["address"]["postal_code"] = json!("ABCDE");
    let why = expect_error(
        app.api_put(&path, &wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert!(why.contains("return_address.postal_code"), "{why}");
    let saved = expect_json(app.api_put(&path, &return_address()).await, StatusCode::OK).await;
    assert_eq!(saved["address"]["country_code"], json!("US"));
    assert_eq!(
        expect_json(app.api_get(&path).await, StatusCode::OK).await,
        saved
    );

    let world = handed_over_order(app, &store, 9_720_001).await;
    ship_line_a(app, &world, 2, 10_000_201).await;
    let customer = customer_of(app, &world.order).await;
    let title = line_a_title(app, &world).await;

    // The merchant opens a refund case that wants the goods back: one mail, received and
    // where to send the unit (line A came from a manual vendor: the merchant's address).
    let case = expect_json(
        open_refund(app, &world, 1, &world.unit_price, true).await,
        StatusCode::CREATED,
    )
    .await;
    let case_id = case["id"].as_str().expect("case id").to_string();
    let got = mail_to(&server, &customer, "how to send the items back").await;
    assert!(got.subject.contains("#9720001"), "{}", got.subject);
    for said in [
        format!("  - 1 x {title}\n"),
        format!(
            "What happens next: a refund of {} USD, once the items are back.",
            world.unit_price
        ),
        "Send them to:\n  Mugs & Co Returns\n  1600 Amphitheatre Pkwy\n  94043 Mountain View California\n  US\n".into(),
        "Write the order number #9720001".into(),
    ] {
        assert!(got.text.contains(&said), "{said:?} not in {}", got.text);
    }
    assert!(
        got.html.contains("Mugs &#38; Co Returns<br>"),
        "{}",
        got.html
    );

    // The store refunds the other unit itself: a case the store opened, no mail of ours.
    let refund = shopify_refund(7_201, world.number, &world.line_a, 1, "1.00");
    let answer = expect_json(deliver_refund(app, &refund).await, StatusCode::OK).await;
    assert_eq!(answer["status"], json!("case"), "{answer}");
    assert_eq!(
        case_mails(app, &world.order, &customer).await,
        ["case_received"]
    );

    // The replacement flow's step, recorded as it will be: its own mail.
    let order_id: OrderId = world.order.parse().unwrap();
    let mut tx = app.db.begin().await.unwrap();
    dropflow::fulfilment::order_tx::apply(
        &mut tx,
        order_id,
        Command::Record(vec![OrderEvent::Case {
            case_id,
            step: "replacement_shipped".into(),
            detail: "the replacement shipped".into(),
        }]),
        Actor::System("test".into()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.db.events_recorded.notify_waiters();
    let got = mail_to(&server, &customer, "replacement for order #9720001").await;
    assert!(got.text.contains("is on its way"), "{}", got.text);
    assert_eq!(
        case_mails(app, &world.order, &customer).await,
        ["case_received", "replacement_shipped"]
    );
    app.allow_pending_jobs();
    setup.stop().await;
}

#[tokio::test]
async fn a_store_that_does_not_let_dropflow_mail_customers_gets_no_case_mail() {
    let server = SmtpServer::start().await.unwrap();
    let setup = Setup::start(&server).await;
    let app = &setup.app;
    let store = app.shopify_store().await;
    put_settings(
        app,
        &store,
        json!({ "auto_order": true, "auto_pay": true, "price_guard_percent": null,
            "notify_customer": false }),
    )
    .await;
    let world = handed_over_order(app, &store, 9_720_002).await;
    ship_line_a(app, &world, 2, 10_000_202).await;
    let customer = customer_of(app, &world.order).await;
    expect_json(
        open_refund(app, &world, 1, &world.unit_price, true).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(case_mails(app, &world.order, &customer).await.is_empty());
    assert!(server
        .received()
        .iter()
        .all(|m| m.rcpt_to != [customer.as_str()]));

    // With mail on, the same kind of case is mailed; with no return address set, the mail
    // says the merchant will send it, and gives none.
    put_settings(
        app,
        &store,
        json!({ "auto_order": true, "auto_pay": true, "price_guard_percent": null,
            "notify_customer": true }),
    )
    .await;
    let case = expect_json(
        open_refund(app, &world, 1, &world.unit_price, true).await,
        StatusCode::CREATED,
    )
    .await;
    let got = mail_to(&server, &customer, "how to send the items back").await;
    assert!(
        got.text
            .contains("will send you the address to return them to"),
        "{}",
        got.text
    );
    assert!(!got.text.contains("Send them to"), "{}", got.text);

    // The merchant declines it through the API: the customer reads the note, escaped in HTML.
    let case_id = case["id"].as_str().expect("case id");
    let declined = app
        .api_post(
            &format!("/api/v1/cases/{case_id}/events"),
            &json!({ "event": "decline", "note": "The <carrier> shows it delivered & signed" }),
        )
        .await;
    expect_json(declined, StatusCode::OK).await;
    let got = mail_to(&server, &customer, "Your request about order #9720002").await;
    assert!(
        got.text
            .contains("says: The <carrier> shows it delivered & signed"),
        "{}",
        got.text
    );
    assert!(
        got.html
            .contains("The &#60;carrier&#62; shows it delivered &#38; signed"),
        "{}",
        got.html
    );
    assert_eq!(
        case_mails(app, &world.order, &customer).await,
        ["case_received", "case_declined"]
    );
    app.allow_pending_jobs();
    setup.stop().await;
}
