//! The order-event stream's consumers end to end (issue 5, items 6–8): mails written from
//! the events and received over SMTP, "needs attention" flags from the SLA checks at
//! controlled times, and signed outbound webhooks delivered in order through failures.

use crate::support::*;
use axum::http::HeaderMap;
use dropflow::events::{self, attention, EventsConfig};
use dropflow::jobs::backoff::Backoff;
use dropflow::notify::{self, Notifier};
use dropflow::storage::orders::{self as store, ListQuery};
use dropflow::storage::{now_ms, Database};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::OrderId;
use dropflow_core::lifecycle::Command;
use dropflow_core::shipment::ShipmentStatus;
use dropflow_core::tab::Tab;
use dropflow_sandbox::smtp::SmtpServer;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

const MERCHANT: &str = "owner@shop.test";
const WAIT: Duration = Duration::from_secs(20);
const HOUR: i64 = 3_600_000;

fn fast() -> EventsConfig {
    EventsConfig {
        merchant_email: Some(MERCHANT.into()),
        poll: Duration::from_millis(20),
        gap_grace_ms: 1_000,
        webhook_backoff: Backoff {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(300),
        },
        webhook_timeout: Duration::from_secs(2),
        // The tests sweep themselves, at the times they choose.
        sweep_every: Duration::from_secs(3_600),
        // The receivers listen on 127.0.0.1.
        reach: dropflow::outbound::Reach::AnyAddress,
        ..Default::default()
    }
}

/// A dropflow with the outbox sender (to `smtp`, or .eml files in a temp dir) and the event
/// consumers running.
struct Setup {
    app: TestApp,
    stop: watch::Sender<bool>,
    consumers: tokio::task::JoinHandle<()>,
    _mail_dir: tempfile::TempDir,
}

impl Setup {
    async fn start(smtp: Option<&SmtpServer>) -> Setup {
        Setup::start_with(smtp, false).await
    }

    /// With `fulfil`, orders are also routed and placed (supplier jobs run), so a manual
    /// vendor gets their orders.
    async fn start_with(smtp: Option<&SmtpServer>, fulfil: bool) -> Setup {
        let mail_dir = tempfile::tempdir().unwrap();
        let notifier = match smtp {
            Some(server) => {
                Notifier::smtp(&server.url(), "Alerts <alerts@shop.test>", WAIT).unwrap()
            }
            None => Notifier::files(mail_dir.path(), "Alerts <alerts@shop.test>").unwrap(),
        };
        let app = TestApp::spawn_jobs(
            move |db| {
                let mut registry = dropflow::jobs::Registry::new();
                notify::register(&mut registry, db.clone(), notifier);
                if fulfil {
                    let services = dropflow::fulfilment::Services::bare(db);
                    dropflow::fulfilment::register(&mut registry, services);
                }
                registry
            },
            |_| {},
        )
        .await;
        events::prepare(&app.db).await.unwrap();
        let (stop, stopped) = watch::channel(false);
        let consumers = tokio::spawn(events::run(app.db.clone(), fast(), stopped));
        Setup {
            app,
            stop,
            consumers,
            _mail_dir: mail_dir,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.consumers.await;
        self.app.stop().await;
    }
}

async fn order_id(db: &Database, name: &str) -> OrderId {
    let id: String = sqlx::query_scalar("SELECT id FROM orders WHERE name = $1")
        .bind(name)
        .fetch_one(&db.reader)
        .await
        .unwrap();
    id.parse().unwrap()
}

async fn ingest(app: &TestApp, id: u64, name: &str) -> OrderId {
    let response = app
        .send_shopify(
            &shopify_hook("orders/create", &paid_order(id, name)),
            SHOPIFY_SECRET,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    order_id(&app.db, name).await
}

async fn record(db: &Database, id: OrderId, event: OrderEvent) {
    let mut tx = db.begin().await.unwrap();
    dropflow::fulfilment::order_tx::apply(
        &mut tx,
        id,
        Command::Record(vec![event]),
        Actor::System("test".into()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    db.events_recorded.notify_waiters();
}

fn tracking(number: &str) -> OrderEvent {
    OrderEvent::TrackingAdded {
        supplier: "cj:default".into(),
        number: number.into(),
        carrier: Some("USPS".into()),
        check: "unrecognised".into(),
    }
}

fn recipients(mails: &[dropflow_sandbox::smtp::ReceivedMail]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    to.sort();
    to
}

#[tokio::test]
async fn an_order_s_events_become_mails_over_smtp_and_the_store_setting_stops_customer_mails() {
    let server = SmtpServer::start().await.unwrap();
    let setup = Setup::start(Some(&server)).await;
    let app = &setup.app;
    let store = app.shopify_store().await;

    // Received → the merchant's new-order mail.
    let id = ingest(app, 7001, "#7001").await;
    let first = server.wait_for(1, WAIT).await;
    assert_eq!(recipients(&first), vec![MERCHANT.to_string()]);
    assert!(first[0].text().contains("#7001"));

    // Shipped and delivered → supplier-shipped to the merchant, shipped and delivered to the
    // customer (the sandbox order's e-mail).
    let customer: String = sqlx::query_scalar("SELECT email FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&app.db.reader)
        .await
        .unwrap();
    record(&app.db, id, tracking("9400111899223197428490")).await;
    record(
        &app.db,
        id,
        OrderEvent::TrackingChanged {
            number: "9400111899223197428490".into(),
            status: ShipmentStatus::Delivered,
        },
    )
    .await;
    let all = server.wait_for(4, WAIT).await;
    assert_eq!(all.len(), 4, "{:?}", recipients(&all));
    let mut expected = vec![
        MERCHANT.to_string(),
        MERCHANT.to_string(),
        customer.clone(),
        customer.clone(),
    ];
    expected.sort();
    assert_eq!(recipients(&all), expected);
    assert!(all[1..]
        .iter()
        .any(|m| m.text().contains("9400111899223197428490")));

    // The store turns customer mails off: the next shipment mails the merchant only.
    let mut settings = app
        .api_json(&format!("/api/v1/stores/{store}/settings"))
        .await;
    settings["notify_customer"] = json!(false);
    let response = app
        .api_put(&format!("/api/v1/stores/{store}/settings"), &settings)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    record(&app.db, id, tracking("9400111899223197428506")).await;
    let after = server.wait_for(5, WAIT).await;
    assert_eq!(after.len(), 5);
    assert_eq!(after[4].rcpt_to, vec![MERCHANT.to_string()]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.received().len(),
        5,
        "no customer mail, and nothing twice"
    );
    let rows: i64 = scalar(&app.db, "SELECT COUNT(*) FROM outbox").await;
    assert_eq!(rows, 5, "one outbox row per mail");
    setup.stop().await;
}

/// A mailing, fulfilling dropflow (mail to `server`) with the default Shopify store and the
/// vendor users `(email, vendor handle)`; the setup and the store's id.
async fn with_vendors(server: &SmtpServer, vendors: &[(&str, &str)]) -> (Setup, String) {
    let setup = Setup::start_with(Some(server), true).await;
    let store = setup.app.shopify_store().await;
    for (email, handle) in vendors {
        add_vendor(&setup.app, email, handle).await;
    }
    (setup, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_vendor_is_mailed_the_order_handed_to_them_with_their_lines_and_the_address() {
    let server = SmtpServer::start().await.unwrap();
    let vendors = [
        ("vendor@acme.test", "vendor-a"),
        ("other@elsewhere.test", "vendor-b"),
    ];
    let (setup, store) = with_vendors(&server, &vendors).await;
    let app = &setup.app;
    let mut order = paid_order(7301, "#7301");
    order["line_items"] = json!([order["line_items"][0].clone()]);
    crate::support::cj_world::map_to(app, &store, &order, "manual").await;
    app.create_order(&order).await;

    // The merchant hears of the new order; vendor-a (the mapping's vendor) of their part.
    let mails = server.wait_for(2, WAIT).await;
    assert_eq!(
        recipients(&mails),
        vec![MERCHANT.to_string(), "vendor@acme.test".to_string()]
    );
    let vendor = mails
        .iter()
        .find(|m| m.rcpt_to == vec!["vendor@acme.test".to_string()])
        .unwrap();
    let text = vendor.text();
    let title = order["line_items"][0]["title"].as_str().unwrap();
    let quantity = order["line_items"][0]["quantity"].as_i64().unwrap();
    assert!(text.contains("#7301"), "{text}");
    assert!(text.contains(&format!("{quantity} x {title}")), "{text}");
    let street = order["shipping_address"]["address1"].as_str().unwrap();
    let city = order["shipping_address"]["city"].as_str().unwrap();
    assert!(text.contains(street) && text.contains(city), "{text}");
    assert!(text.contains("Vendor page"), "{text}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.received().len(), 2, "no mail to another vendor");
    setup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_vendor_is_mailed_only_its_items_with_badge_link_cost_and_variant_words() {
    use crate::vendor_items::{map_shared_order, shared_order, LINK_A, LINK_B, VENDOR_B_ONLY};
    let server = SmtpServer::start().await.unwrap();
    let vendors = [("a@vendor.test", "vendor-a"), ("b@vendor.test", "vendor-b")];
    let (setup, store) = with_vendors(&server, &vendors).await;
    let app = &setup.app;
    let order = shared_order(7311);
    map_shared_order(app, &store, &order).await;
    app.create_order(&order).await;

    // The merchant's new-order mail and one handover mail per vendor.
    let mails = server.wait_for(3, WAIT).await;
    let parsed = |to: &str| {
        let mail = mails
            .iter()
            .find(|m| m.rcpt_to == vec![to.to_string()])
            .unwrap_or_else(|| panic!("no mail to {to}"));
        let message = mail_parser::MessageParser::default()
            .parse(&mail.data)
            .unwrap();
        (
            message.body_text(0).unwrap().replace("\r\n", "\n"),
            message.body_html(0).unwrap().to_string(),
        )
    };
    let (text, html) = parsed("a@vendor.test");
    assert!(
        text.contains("[DROPSHIP]") && text.contains("never your own"),
        "{text}"
    );
    assert!(text.contains("  - 2 x Hoodie\n"), "{text}");
    assert!(text.contains("Options: Red / L · Engraving: Ana"), "{text}");
    assert!(text.contains("Cost: 8.40 USD"), "{text}");
    assert!(
        text.contains(&format!("Open Supplier Page: {LINK_A}")),
        "{text}"
    );
    assert!(html.contains(">Dropship</span>"), "{html}");
    assert!(
        html.contains(&format!("href=\"{}\"", LINK_A.replace('&', "&#38;"))),
        "{html}"
    );
    for part in [&text, &html] {
        for theirs in VENDOR_B_ONLY {
            assert!(
                !part.contains(theirs),
                "vendor A is told {theirs:?}: {part}"
            );
        }
    }
    let (text, _) = parsed("b@vendor.test");
    assert!(text.contains("  - 1 x Secret Gadget\n"), "{text}");
    assert!(
        text.contains("Options: Blue / S") && text.contains("Cost: 9.99 USD"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Open Supplier Page: {LINK_B}")),
        "{text}"
    );
    for theirs in ["Hoodie", "Red / L", "Engraving", "4.20", "supplier-a.test"] {
        assert!(
            !text.contains(theirs),
            "vendor B is told {theirs:?}: {text}"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.received().len(), 3, "one mail each, nothing more");
    setup.stop().await;
}

#[tokio::test]
async fn a_paid_order_not_placed_in_time_is_flagged_listed_mailed_and_cleared() {
    let setup = Setup::start(None).await;
    let app = &setup.app;
    let store = app.shopify_store().await;
    let id = ingest(app, 7101, "#7101").await;
    // The attention consumer stamps the payment time from the event stream.
    assert!(
        eventually(WAIT, || async {
            scalar(
                &app.db,
                "SELECT COUNT(*) FROM orders WHERE paid_at IS NOT NULL",
            )
            .await
                == 1
        })
        .await
    );
    let paid_at: i64 = scalar(&app.db, "SELECT MAX(paid_at) FROM orders").await;

    // Within 24 h: nothing. After 24 h with no supplier order: flagged.
    assert_eq!(
        attention::sweep(&app.db, paid_at + 23 * HOUR, 100)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        attention::check(&app.db, id, paid_at + 23 * HOUR)
            .await
            .unwrap(),
        attention::Change::None
    );
    let change = attention::check(&app.db, id, paid_at + 25 * HOUR)
        .await
        .unwrap();
    let attention::Change::Flagged(reason) = change else {
        panic!("not flagged: {change:?}")
    };
    assert!(reason.contains("24 hours"), "{reason}");
    let (stored, since) = store::attention(&app.db, id).await.unwrap().unwrap();
    assert_eq!(stored, reason);
    assert_eq!(since, paid_at + 25 * HOUR);
    assert_eq!(
        store::attention_count(&app.db, &dropflow::storage::accounts::Scope::Installation)
            .await
            .unwrap(),
        1
    );
    let page = |needs_attention| ListQuery {
        filters: Default::default(),
        scope: dropflow::storage::accounts::Scope::Installation,
        tab: Tab::All,
        search: None,
        store_id: None,
        before: None,
        limit: 50,
        needs_attention,
    };
    assert_eq!(store::list(&app.db, &page(true)).await.unwrap().len(), 1);
    let _other = ingest(app, 7102, "#7102").await;
    assert_eq!(store::list(&app.db, &page(false)).await.unwrap().len(), 2);
    assert_eq!(store::list(&app.db, &page(true)).await.unwrap()[0].id, id);
    let api = app.api_json("/api/v1/orders?needs_attention=true").await;
    assert_eq!(api["orders"].as_array().unwrap().len(), 1);
    assert_eq!(api["needs_attention"], 1);

    // The timeline says why, and the merchant gets the needs-attention mail.
    let detail = app.order_detail(&id.to_string()).await;
    assert!(timeline_kinds(&detail).contains(&"needs_attention".to_string()));
    assert!(
        eventually(WAIT, || async {
            scalar(
                &app.db,
                "SELECT COUNT(*) FROM outbox WHERE kind = 'needs_attention'",
            )
            .await
                == 1
        })
        .await
    );
    // Checking again with the same cause changes nothing (no second event or mail).
    assert_eq!(
        attention::check(&app.db, id, paid_at + 26 * HOUR)
            .await
            .unwrap(),
        attention::Change::None
    );

    // The store allows 48 h: the cause is gone at 26 h, the flag is cleared.
    let mut settings = app
        .api_json(&format!("/api/v1/stores/{store}/settings"))
        .await;
    assert_eq!(settings["place_within_hours"], 24);
    assert_eq!(settings["tracking_within_days"], 7);
    assert_eq!(settings["stale_tracking_hours"], 48);
    settings["place_within_hours"] = json!(48);
    let put = |body: Value| {
        app.client()
            .put(app.url(&format!("/api/v1/stores/{store}/settings")))
            .bearer_auth(&app.token)
            .json(&body)
            .send()
    };
    assert_eq!(
        put(settings.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    let mut bad = settings.clone();
    bad["stale_tracking_hours"] = json!(0);
    expect_error(
        put(bad).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    assert_eq!(
        attention::check(&app.db, id, paid_at + 26 * HOUR)
            .await
            .unwrap(),
        attention::Change::Cleared
    );
    assert!(store::attention(&app.db, id).await.unwrap().is_none());
    assert_eq!(
        store::attention_count(&app.db, &dropflow::storage::accounts::Scope::Installation)
            .await
            .unwrap(),
        0
    );
    let detail = app.order_detail(&id.to_string()).await;
    assert!(timeline_kinds(&detail).contains(&"attention_cleared".to_string()));
    setup.stop().await;
}

#[test]
fn the_sla_checks_flag_each_cause_at_its_threshold() {
    use attention::{evaluate, Facts, Parcel, Purchase, Thresholds};
    use dropflow_core::procurement::SupplierOrderStatus as S;
    let t = Thresholds::from(&dropflow::storage::settings::StoreSettings::default());
    // Why `facts` need a person at `at`, which they must.
    let flagged_at = |facts: &Facts, at| {
        evaluate(facts, &t, at)
            .reason
            .unwrap_or_else(|| panic!("not flagged at {at}"))
    };
    let placed = |tracked| Purchase {
        status: S::AwaitingShipment,
        tracked,
    };
    let base = Facts {
        paid_at: Some(0),
        closed: false,
        stopped: None,
        purchases: vec![placed(false)],
        parcels: vec![],
        flags: vec![],
    };
    // An open flag needs a person at once, even on a cancelled order.
    let flagged = Facts {
        closed: true,
        flags: vec!["changed after purchase: Mug quantity 1 → 4 (manual:a bought 1)".into()],
        ..base.clone()
    };
    assert_eq!(
        evaluate(&flagged, &t, 0).reason.as_deref(),
        Some("changed after purchase: Mug quantity 1 → 4 (manual:a bought 1).")
    );
    // Placed, no tracking: fine for 7 days, then flagged; the next check is that deadline.
    let v = evaluate(&base, &t, 6 * 24 * HOUR);
    assert_eq!((v.reason, v.next_check_at), (None, Some(7 * 24 * HOUR)));
    assert!(flagged_at(&base, 7 * 24 * HOUR).contains("No tracking"));
    // A parcel that stops moving for 48 h.
    let moving = Facts {
        purchases: vec![placed(true)],
        parcels: vec![Parcel {
            number: "LP1".into(),
            status: ShipmentStatus::InTransit,
            moved_at: 10 * HOUR,
        }],
        ..base.clone()
    };
    assert_eq!(
        evaluate(&moving, &t, 57 * HOUR).next_check_at,
        Some(58 * HOUR)
    );
    assert!(flagged_at(&moving, 58 * HOUR).contains("LP1"));
    // A carrier exception at once; a delivered parcel never.
    let mut exception = moving.clone();
    exception.parcels[0].status = ShipmentStatus::Exception;
    assert!(flagged_at(&exception, 11 * HOUR).contains("exception"));
    let mut delivered = moving.clone();
    delivered.parcels[0].status = ShipmentStatus::Delivered;
    assert_eq!(evaluate(&delivered, &t, 1_000 * HOUR).reason, None);
    // Not placed within 24 h; a cancelled order is never flagged.
    let unplaced = Facts {
        purchases: vec![Purchase {
            status: S::AwaitingPlacement,
            tracked: false,
        }],
        ..base.clone()
    };
    assert_eq!(evaluate(&unplaced, &t, 23 * HOUR).reason, None);
    assert!(flagged_at(&unplaced, 24 * HOUR).contains("24 hours"));
    let closed = Facts {
        closed: true,
        ..unplaced
    };
    assert_eq!(
        evaluate(&closed, &t, 1_000 * HOUR),
        attention::Verdict {
            reason: None,
            next_check_at: None
        }
    );
    // Unpaid: no clock runs.
    let unpaid = Facts {
        paid_at: None,
        ..base
    };
    assert_eq!(evaluate(&unpaid, &t, 1_000 * HOUR).reason, None);
}

/// One delivery as received: headers and raw body.
type Delivery = (HeaderMap, Vec<u8>);

/// A local receiver: records each delivery (headers and body), answers 500 while `failing`.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Delivery>>>,
    failing: Arc<std::sync::atomic::AtomicBool>,
    refused: Arc<std::sync::atomic::AtomicUsize>,
}

impl Receiver {
    async fn start(&self) -> String {
        let me = self.clone();
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let me = me.clone();
                async move {
                    if me.failing.load(std::sync::atomic::Ordering::SeqCst) {
                        me.refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    me.got.lock().unwrap().push((headers, body.to_vec()));
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}/hook")
    }

    /// Every delivered event id, in delivery order, after checking each signature.
    fn event_ids(&self, secret: &str) -> Vec<i64> {
        let got = self.got.lock().unwrap();
        let mut ids = Vec::new();
        for (headers, body) in got.iter() {
            let timestamp: i64 = headers["x-dropflow-timestamp"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let signature = headers["x-dropflow-signature"].to_str().unwrap();
            assert_eq!(
                signature,
                dropflow::events::outbound::signature(secret, timestamp, body)
            );
            assert_ne!(
                signature,
                dropflow::events::outbound::signature("whsec_wrong", timestamp, body)
            );
            let body: Value = serde_json::from_slice(body).unwrap();
            for event in body["events"].as_array().unwrap() {
                assert!(event["kind"].is_string() && event["order_name"].is_string());
                ids.push(event["id"].as_i64().unwrap());
            }
        }
        ids
    }
}

/// The ids of the store's events, in order.
async fn store_event_ids(db: &Database, store: &str) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT e.id FROM order_events e JOIN orders o ON o.id = e.order_id
         WHERE o.store_id = $1 ORDER BY e.id",
    )
    .bind(store)
    .fetch_all(&db.reader)
    .await
    .unwrap()
}

#[tokio::test]
async fn outbound_webhooks_are_signed_ordered_retried_until_delivered_and_replayable() {
    let setup = Setup::start(None).await;
    let app = &setup.app;
    let store = app.shopify_store().await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let path = format!("/api/v1/stores/{store}/webhook-endpoints");

    // Bad input: 4xx JSON errors and nothing written.
    for bad in [
        json!({"url": "not a url"}),
        json!({"url": "ftp://example.com/x"}),
        json!({}),
    ] {
        let response = app.api_post(&path, &bad).await;
        assert!(response.status().is_client_error(), "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["code"].is_string(), "{body}");
    }
    let unknown = format!("/api/v1/stores/{}/webhook-endpoints", uuid::Uuid::now_v7());
    expect_error(
        app.api_post(&unknown, &json!({"url": url})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        scalar(&app.db, "SELECT COUNT(*) FROM webhook_endpoints").await,
        0
    );

    let created = expect_json(
        app.api_post(&path, &json!({"url": url})).await,
        StatusCode::CREATED,
    )
    .await;
    let endpoint = created["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap().to_string();
    let listed = app.api_json(&path).await;
    assert_eq!(listed[0]["id"], endpoint.as_str());
    assert!(
        listed[0].get("secret").is_none(),
        "the secret is shown once"
    );

    // Delivered, signed, in order.
    ingest(app, 7201, "#7201").await;
    ingest(app, 7202, "#7202").await;
    let ids = store_event_ids(&app.db, &store).await;
    assert!(eventually(WAIT, || async { receiver.event_ids(&secret) == ids }).await);

    // The receiver fails: retried with the error shown, nothing advanced.
    receiver
        .failing
        .store(true, std::sync::atomic::Ordering::SeqCst);
    ingest(app, 7203, "#7203").await;
    ingest(app, 7204, "#7204").await;
    assert!(
        eventually(WAIT, || async {
            receiver.refused.load(std::sync::atomic::Ordering::SeqCst) >= 2
        })
        .await,
        "retried"
    );
    let listed = app.api_json(&path).await;
    assert!(
        listed[0]["last_error"].as_str().unwrap().contains("500"),
        "{listed}"
    );
    assert!(listed[0]["failures"].as_i64().unwrap() >= 1);
    assert_eq!(listed[0]["delivered_through"], *ids.last().unwrap());

    // It recovers: everything arrives, in order, none lost, none skipped.
    receiver
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let all = store_event_ids(&app.db, &store).await;
    assert!(all.len() > ids.len());
    assert!(eventually(WAIT, || async { receiver.event_ids(&secret) == all }).await);
    // The receiver answers before the sender records the delivery, so the
    // error clears a moment after the last batch arrives.
    assert!(
        eventually(WAIT, || async {
            app.api_json(&path).await[0]["last_error"].is_null()
        })
        .await,
        "{}",
        app.api_json(&path).await
    );

    // Replay from the third event: delivered again from there.
    let replay = format!("{path}/{endpoint}/replay");
    expect_json(
        app.api_post(&replay, &json!({"from_event_id": all[2]}))
            .await,
        StatusCode::OK,
    )
    .await;
    let mut again = all.clone();
    again.extend_from_slice(&all[2..]);
    assert!(eventually(WAIT, || async { receiver.event_ids(&secret) == again }).await);
    expect_error(
        app.api_post(&replay, &json!({"from_event_id": 0})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
    )
    .await;
    let missing = format!("{path}/nope/replay");
    expect_error(
        app.api_post(&missing, &json!({"from_event_id": 1})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Removed: nothing more is sent.
    let response = app
        .client()
        .delete(app.url(&format!("{path}/{endpoint}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    ingest(app, 7205, "#7205").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.event_ids(&secret), again);
    assert_eq!(app.api_json(&path).await, json!([]));
    setup.stop().await;
}

#[tokio::test]
async fn webhooks_to_private_addresses_are_refused_unless_the_operator_allows_them() {
    let app = TestApp::spawn_jobs(
        |_| dropflow::jobs::Registry::new(),
        |config| {
            config.outbound.allow_private_addresses = false;
        },
    )
    .await;
    events::prepare(&app.db).await.unwrap();
    let store = app.shopify_store().await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let path = format!("/api/v1/stores/{store}/webhook-endpoints");
    for inside in [
        url.clone(),
        "http://localhost:8080/hook".to_string(),
        "http://169.254.169.254/latest/meta-data".to_string(),
        "http://[::1]/hook".to_string(),
        "http://10.0.0.7/hook".to_string(),
        // IPv6 forms that embed IPv4 or are deprecated private ranges (issue 12 item 6).
        "http://[2002:7f00:1::]/hook".to_string(),
        "http://[2001::7f00:1]/hook".to_string(),
        "http://[fec0::1]/hook".to_string(),
        "http://[::ffff:a9fe:a9fe]/hook".to_string(),
        "http://[64:ff9b::a00:1]/hook".to_string(),
    ] {
        let message = expect_error(
            app.api_post(&path, &json!({ "url": inside })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        )
        .await;
        assert!(
            message.contains("public addresses only"),
            "{inside}: {message}"
        );
    }
    assert_eq!(
        scalar(&app.db, "SELECT COUNT(*) FROM webhook_endpoints").await,
        0
    );

    // One that got in anyway (written before the rule): nothing is sent, the reason shows.
    let store_id = store.parse().unwrap();
    let (endpoint, _) = events::endpoints::create(&app.db, store_id, &url)
        .await
        .unwrap();
    let (stop, stopped) = watch::channel(false);
    let config = EventsConfig {
        reach: dropflow::outbound::Reach::PublicOnly,
        ..fast()
    };
    let consumers = tokio::spawn(events::run(app.db.clone(), config, stopped));
    ingest(&app, 7401, "#7401").await;
    assert!(
        eventually(WAIT, || async {
            app.api_json(&path).await[0]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("refused") && e.contains("not a public address"))
        })
        .await,
        "{}",
        app.api_json(&path).await
    );
    assert_eq!(app.api_json(&path).await[0]["id"], endpoint.as_str());
    assert!(
        receiver.got.lock().unwrap().is_empty(),
        "nothing reached it"
    );
    let _ = stop.send(true);
    let _ = consumers.await;
    app.stop().await;
}

#[tokio::test]
async fn the_horizon_waits_at_a_fresh_gap_and_passes_an_old_one() {
    let (_testdb, db) = TestDb::migrated().await;
    let now = now_ms();
    // Ids 1, 2, 4: 3 is missing (in flight, or rolled back).
    let store = dropflow::storage::stores::create(
        &db,
        dropflow_core::intake::Platform::Shopify,
        "gap.myshopify.com",
        "0123456789abcdef0123456789abcdef",
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO orders (id, store_id, external_id, name, currency, total_minor, state, tab,
            payment_status, procurement, version, created_at, updated_at)
         VALUES ('o1', $1, 'x', '#1', 'USD', 0, '{}', 'all', 'paid', 'not_started', 1, 0, 0)",
    )
    .bind(store.id.to_string())
    .execute(&db.writer)
    .await
    .unwrap();
    for (id, at) in [(1, now), (2, now), (4, now)] {
        sqlx::query("INSERT INTO order_events (id, order_id, at, actor, kind, detail) VALUES ($1, 'o1', $2, 'a', 'k', '{}')")
            .bind(id as i64)
            .bind(at)
            .execute(&db.writer)
            .await
            .unwrap();
    }
    use dropflow::events::stream::horizon;
    assert_eq!(
        horizon(&db, 0, 100, 5_000, now).await.unwrap(),
        2,
        "stops before the fresh gap"
    );
    assert_eq!(
        horizon(&db, 0, 100, 5_000, now + 5_000).await.unwrap(),
        4,
        "passes it once old"
    );
    assert_eq!(
        horizon(&db, 0, 1, 5_000, now).await.unwrap(),
        1,
        "at most `limit` ids"
    );
    assert_eq!(
        horizon(&db, 4, 100, 5_000, now).await.unwrap(),
        4,
        "nothing new"
    );
    db.close().await;
}

#[tokio::test]
async fn without_a_configured_address_merchant_mail_goes_to_the_accounts_first_owner() {
    let app = TestApp::spawn_with_shop().await;
    let id = ingest(&app, 8_801, "#8801").await;
    let event = OrderEvent::NeedsAttention {
        reason: "not placed".into(),
    };
    let merchant_of = |app: &TestApp| {
        let db = app.db.clone();
        let event = event.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let ctx = events::mail::context(&mut tx, &id.to_string(), &event, None)
                .await
                .unwrap()
                .unwrap();
            ctx.merchant_email
        }
    };
    assert_eq!(
        merchant_of(&app).await,
        None,
        "no owner yet: no merchant mail"
    );
    for email in ["first@shop.test", "second@shop.test"] {
        add_owner(&app, email).await;
    }
    assert_eq!(merchant_of(&app).await.as_deref(), Some("first@shop.test"));
    app.stop().await;
}

#[tokio::test]
async fn a_merchant_mail_the_store_turned_off_is_not_written() {
    let app = TestApp::spawn_with_shop().await;
    let store = app.shopify_store_id().await;
    let id = ingest(&app, 8_802, "#8802").await;
    let event = OrderEvent::NeedsAttention {
        reason: "not placed".into(),
    };
    let stored = events::stream::StoredEvent {
        id: 1,
        order_id: id.to_string(),
        at: now_ms(),
        actor: "system:test".into(),
        kind: "needs_attention".into(),
        detail: serde_json::to_value(&event).unwrap(),
    };
    let written = |db: Database, stored: events::stream::StoredEvent| async move {
        let mut tx = db.begin().await.unwrap();
        let n = events::mail::handle(&mut tx, &[stored], Some(MERCHANT))
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        n
    };
    assert_eq!(written(app.db.clone(), stored.clone()).await, 1);
    let mut tx = app.db.begin().await.unwrap();
    dropflow::storage::branding::put_mail_choices_in(
        &mut tx,
        store,
        &[(notify::MailKind::NeedsAttention, false)],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(written(app.db.clone(), stored).await, 0);
    app.stop().await;
}

/// An order stopped for a person is flagged at once with why: held for anything but the
/// customer's payment, or failed (no supplier for a line, or every purchase refused). An
/// order waiting only for the customer's payment, or moving on, is not.
#[test]
fn an_order_stopped_for_a_person_needs_attention_at_once() {
    use attention::{evaluate, stopped, Facts, Refusal, Thresholds};
    use dropflow_core::lifecycle::OrderState;
    let state = |procurement: &str, holds: serde_json::Value, failures: serde_json::Value| {
        serde_json::from_value::<OrderState>(serde_json::json!({
            "payment": "paid", "holds": holds, "cancel_reason": null,
            "procurement": procurement, "payment_waived": false, "accepted_address": null,
            "address_fingerprint": null, "store_updated_at": null,
            "routing_failures": failures,
        }))
        .unwrap()
    };
    let none = serde_json::json!([]);
    let hold = |reason: &str, detail: &str| serde_json::json!([{"reason": reason, "detail": detail, "origin": "system"}]);
    let refused = [Refusal {
        supplier: "cj".into(),
        error: "address refused: the postal code does not exist".into(),
    }];

    let moving = state("awaiting_shipment", none.clone(), none.clone());
    assert_eq!(stopped(&moving, &[]), None);
    let unpaid = state("not_started", hold("awaiting_payment", ""), none.clone());
    assert_eq!(stopped(&unpaid, &[]), None, "the customer settles that one");
    let address = state(
        "not_started",
        hold(
            "incorrect_address",
            "postal_code: \"9501\" is not a US ZIP code",
        ),
        none.clone(),
    );
    assert_eq!(
        stopped(&address, &[]).as_deref(),
        Some("On hold: incorrect address (postal_code: \"9501\" is not a US ZIP code).")
    );
    let unrouted = state(
        "not_started",
        none.clone(),
        serde_json::json!([{"line_position": 2, "reason": {"kind": "no_mapping", "variant_id": null, "sku": "MUG-1"}}]),
    );
    assert_eq!(
        stopped(&unrouted, &[]).as_deref(),
        Some("Failed: line 2: no product mapping for SKU MUG-1.")
    );
    let refused_everywhere = state("failed", none.clone(), none);
    assert_eq!(
        stopped(&refused_everywhere, &refused).as_deref(),
        Some("Failed: cj refused it (address refused: the postal code does not exist).")
    );

    // Flagged at its first check, paid or not, before any SLA threshold.
    let t = Thresholds::from(&dropflow::storage::settings::StoreSettings::default());
    let facts = Facts {
        stopped: stopped(&address, &[]),
        ..Facts::default()
    };
    let verdict = evaluate(&facts, &t, 0);
    assert_eq!(verdict.reason, stopped(&address, &[]));
    assert!(
        verdict.next_check_at.is_some(),
        "a flagged order is looked at again"
    );
}
