//! E-mail notifications end to end: order events → mails → outbox rows and `outbox.send` jobs
//! in one transaction → the job runner → a real SMTP conversation with a server the test
//! starts (`dropflow_sandbox::smtp`), or `.eml` files. An unreachable or deferring server
//! delays mail and never loses it; a 5xx refusal fails it visibly; a mail is sent once.

use crate::support::{eventually, TestDb};
use dropflow::jobs::backoff::Backoff;
use dropflow::jobs::{Registry, Runner, RunnerConfig};
use dropflow::notify::outbox::{self, OutboxMail};
use dropflow::notify::transport::{eml_path, Notifier};
use dropflow::notify::{self, Mail, MailContext, MailKind};
use dropflow::storage::Database;
use dropflow_core::event::OrderEvent;
use dropflow_core::hold::{HoldOrigin, HoldReason};
use dropflow_core::ids::OrderId;
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use dropflow_core::shipment::ShipmentStatus;
use dropflow_sandbox::smtp::{Mode, SmtpServer};
use mail_parser::MimeHeaders;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::watch;

const MERCHANT: &str = "merchant@shop.test";
const CUSTOMER: &str = "ana.customer@example.test";
const VENDOR: &str = "orders@acme-vendor.test";
const FROM: &str = "Shop Alerts <alerts@shop.test>";
const WAIT: Duration = Duration::from_secs(20);

/// A job runner with only the `outbox.send` handler, retrying fast.
struct Mailer {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Mailer {
    fn start(db: &Database, notifier: Notifier) -> Mailer {
        let mut registry = Registry::new();
        notify::register(&mut registry, db.clone(), notifier);
        let config = RunnerConfig {
            concurrency: 4,
            lease: Duration::from_secs(5),
            poll_interval: Duration::from_millis(10),
            backoff: Backoff {
                base: Duration::from_millis(40),
                cap: Duration::from_millis(200),
            },
            fair_share: true,
        };
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(Runner::new(db.clone(), registry, config).run(stopped));
        Mailer { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn ctx(order_id: OrderId) -> MailContext {
    MailContext {
        order_id: Some(order_id),
        store_id: None,
        order_name: "#1042".into(),
        store: "Mugs & Co <Shop>".into(),
        merchant_email: Some(MERCHANT.into()),
        customer_email: Some(CUSTOMER.into()),
        customer_name: Some("Ana <Customer>".into()),
        notify_customer: true,
        lines: vec![notify::templates::LineSummary {
            title: "Blue mug".into(),
            quantity: 2,
        }],
        total: Some(Money::new(2490, Currency::from_code("USD").unwrap())),
        amount_due: Some(Money::new(1234, Currency::from_code("USD").unwrap())),
        tracking_url: None,
        fee_options: vec![notify::templates::FeeOption {
            carrier: "YunExpress".into(),
            service: "Economy".into(),
            price: "7.80 USD".into(),
            days_min: 8,
            days_max: 15,
        }],
        vendor: Some(notify::VendorHandover {
            emails: vec![VENDOR.into()],
            dropship: true,
            lines: vec![notify::templates::VendorLine {
                title: "Blue mug".into(),
                quantity: 2,
                variant: "Color: Blue · Size: L <XL>".into(),
                cost: "8.40 USD".into(),
                supplier_link: Some("https://supplier.test/item/42?sku=blue&size=L".into()),
            }],
            ship_to: vec!["Ana <Customer>".into(), "1 Rue de Rivoli".into()],
        }),
        warehouse_parcel: None,
        case: Some(notify::case_mails::CaseFacts {
            lines: vec![notify::templates::LineSummary {
                title: "Blue mug".into(),
                quantity: 1,
            }],
            resolution: Some(dropflow_core::after_sale::Resolution::ReturnFirst),
            send_back: true,
            return_address: vec!["Mugs & Co <Returns>".into(), "1 Main St".into()],
            declined_note: Some("Used <twice>".into()),
            ..Default::default()
        }),
    }
}

/// Every mail there is, from the events that call for them.
fn every_mail(order_id: OrderId) -> Vec<Mail> {
    let ctx = ctx(order_id);
    let events = [
        OrderEvent::Received {
            topic: "orders/create".into(),
        },
        OrderEvent::TrackingAdded {
            supplier: "cj".into(),
            number: "LP00123456789012".into(),
            carrier: Some("Cainiao".into()),
            check: "unrecognised".into(),
        },
        OrderEvent::PaymentFailed {
            supplier: "aliexpress".into(),
            detail: "payment failed: insufficient balance with the supplier".into(),
        },
        OrderEvent::HoldPlaced {
            reason: HoldReason::PriceIncreased,
            detail: "cj asks 14.00 USD for a line mapped at 10.00 USD".into(),
            origin: HoldOrigin::System,
        },
        OrderEvent::TrackingChanged {
            number: "LP00123456789012".into(),
            status: ShipmentStatus::Delivered,
        },
        OrderEvent::Warehouse {
            event: dropflow_core::warehouse::stage::WarehouseEvent::StageChanged {
                from: dropflow_core::warehouse::stage::WarehouseStage::Arrived,
                to: dropflow_core::warehouse::stage::WarehouseStage::Inspected,
            },
        },
        OrderEvent::SupplierOrderChanged {
            supplier: "manual:acme".into(),
            status: dropflow_core::procurement::SupplierOrderStatus::AwaitingShipment,
            detail: Some("handed to the vendor".into()),
        },
        OrderEvent::WarehouseNote {
            topic: "packed".into(),
            detail: "repacked white-label: 420 g, 20×15×10 cm; 1 carrier option(s)".into(),
        },
        OrderEvent::FlagRaised {
            flag: "cancelled_after_handover".into(),
            detail: "cancelled in the store after it was handed to manual:acme".into(),
            supplier: Some("manual:acme".into()),
        },
    ]
    .into_iter()
    .chain(
        ["opened", "refunded", "replacement_shipped", "declined"].map(|step| OrderEvent::Case {
            case_id: "case-1".into(),
            step: step.into(),
            detail: "Used <twice>".into(),
        }),
    )
    .collect::<Vec<_>>();
    let mails: Vec<Mail> = events
        .iter()
        .flat_map(|e| notify::notifications_for(e, &ctx))
        .collect();
    let kinds: BTreeSet<&str> = mails.iter().map(|m| m.kind().as_str()).collect();
    // A vendor's payout mail is about no order and follows no order event: the payout's
    // action writes it (`services::vendor_payouts::pay`), checked in `vendor_payouts.rs`.
    let all: BTreeSet<&str> = MailKind::ALL
        .iter()
        .filter(|k| **k != MailKind::VendorPayout)
        .map(|k| k.as_str())
        .collect();
    assert_eq!(kinds, all, "every kind of mail is made");
    mails
}

async fn enqueue(db: &Database, mails: &[Mail]) -> Vec<i64> {
    let mut tx = db.begin().await.unwrap();
    let ids = notify::enqueue(&mut tx, mails).await.unwrap();
    tx.commit().await.unwrap();
    db.jobs_queued.notify_one();
    ids
}

async fn row(db: &Database, id: i64) -> OutboxMail {
    outbox::get(db, id).await.unwrap().expect("outbox row")
}

async fn job_status(db: &Database, outbox_id: i64) -> (String, Option<String>) {
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT payload, status, last_error FROM jobs WHERE kind = 'outbox.send'")
            .fetch_all(&db.reader)
            .await
            .unwrap();
    rows.into_iter()
        .find(|(payload, _, _)| {
            serde_json::from_str::<serde_json::Value>(payload).unwrap()["outbox_id"] == outbox_id
        })
        .map(|(_, status, error)| (status, error))
        .expect("the row's job")
}

/// Checks one received message against its outbox row: recipient, subject, both parts.
fn assert_message(raw: &[u8], row: &OutboxMail) {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a parseable message");
    assert_eq!(message.subject(), Some(row.subject.as_str()));
    assert!(row.subject.contains("#1042"), "{}", row.subject);
    let to = message
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .expect("To");
    assert_eq!(to, row.recipient);
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .expect("From");
    assert_eq!(from, "alerts@shop.test");
    let content_type = message.content_type().expect("content type");
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("multipart", Some("alternative")),
        "{}",
        row.kind
    );
    let text = message.body_text(0).expect("text part");
    let html = message.body_html(0).expect("html part");
    // MIME lines end in CRLF; the row keeps the template's LF.
    assert_eq!(
        text.replace("\r\n", "\n").trim_end(),
        row.text_body.trim_end(),
        "{}",
        row.kind
    );
    assert!(html.contains("<!DOCTYPE html>"), "{}: {html}", row.kind);
    assert!(!text.contains("<!DOCTYPE"), "{}", row.kind);
    assert!(
        text.contains("#1042") && html.contains("#1042"),
        "{}",
        row.kind
    );
    assert!(!html.contains("<Shop>") && !html.contains("<Customer>"));
    let message_id = message.message_id().expect("Message-ID");
    assert!(
        message_id.starts_with(&format!("outbox-{}-", row.id)),
        "{message_id}"
    );
}

#[tokio::test]
async fn every_template_arrives_over_smtp_once() {
    let (_testdb, db) = TestDb::migrated().await;
    let server = SmtpServer::start().await.unwrap();
    let notifier = Notifier::smtp(&server.url(), FROM, Duration::from_secs(5)).unwrap();
    let mailer = Mailer::start(&db, notifier);
    let order_id = OrderId::new();
    let mails = every_mail(order_id);
    let ids = enqueue(&db, &mails).await;
    assert_eq!(ids.len(), mails.len());

    let received = server.wait_for(mails.len(), WAIT).await;
    assert_eq!(received.len(), mails.len());
    assert!(
        eventually(WAIT, || async {
            outbox::list(&db, "sent", 100).await.unwrap().len() == ids.len()
        })
        .await
    );
    for id in &ids {
        let row = row(&db, *id).await;
        assert_eq!(row.status, "sent");
        assert_eq!(row.attempts, 1);
        assert!(row.sent_at.is_some());
        assert_eq!(row.order_id, Some(order_id.to_string()));
        let got: Vec<_> = received
            .iter()
            .filter(|r| r.text().contains(&format!("<outbox-{}-", row.id)))
            .collect();
        assert_eq!(got.len(), 1, "mail {} arrived once", row.id);
        assert_eq!(got[0].rcpt_to, std::slice::from_ref(&row.recipient));
        assert_eq!(got[0].mail_from, "alerts@shop.test");
        assert_message(&got[0].data, &row);
    }
    let customer: Vec<_> = received
        .iter()
        .filter(|r| r.rcpt_to == [CUSTOMER])
        .collect();
    assert_eq!(
        customer.len(),
        6,
        "shipped, delivered and the four case mails go to the customer"
    );
    let vendor: Vec<_> = received.iter().filter(|r| r.rcpt_to == [VENDOR]).collect();
    assert_eq!(
        vendor.len(),
        2,
        "the handover and the change go to the vendor"
    );
    assert!(vendor.iter().all(|v| v.text().contains("1 Rue de Rivoli")));
    // The handover says what seed 001 promises the vendor, in both parts: the dropship
    // badge, the supplier's page, the cost and the customer's variant in words.
    let handover = vendor
        .iter()
        .map(|v| {
            mail_parser::MessageParser::default()
                .parse(&v.data)
                .unwrap()
        })
        .find(|m| m.subject().is_some_and(|s| s.contains("to fulfil")))
        .expect("the handover mail");
    let text = handover.body_text(0).unwrap().replace("\r\n", "\n");
    let html = handover.body_html(0).unwrap();
    for said in [
        "[DROPSHIP]",
        "never your own",
        "  - 2 x Blue mug\n",
        "Options: Color: Blue · Size: L <XL>",
        "Cost: 8.40 USD",
        "Open Supplier Page: https://supplier.test/item/42?sku=blue&size=L",
    ] {
        assert!(text.contains(said), "{said:?} not in {text}");
    }
    for said in [
        ">Dropship</span>",
        "Color: Blue · Size: L &#60;XL&#62;",
        "Cost: 8.40 USD",
        "href=\"https://supplier.test/item/42?sku=blue&#38;size=L\"",
    ] {
        assert!(html.contains(said), "{said:?} not in {html}");
    }
    assert!(vendor.iter().any(|v| v
        .text()
        .contains("cancelled in the store after it was handed")));
    assert_eq!(
        outbox::for_order(&db, order_id).await.unwrap().len(),
        ids.len()
    );

    // Its job runs again (a retried job, a lease that expired after the send): not re-sent.
    let mut tx = db.begin().await.unwrap();
    dropflow::storage::jobs::enqueue(
        &mut tx,
        notify::SEND_JOB,
        &serde_json::json!({ "outbox_id": ids[0] }),
        Some(order_id),
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    db.jobs_queued.notify_one();
    assert!(
        eventually(WAIT, || async {
            crate::support::scalar(
                &db,
                "SELECT COUNT(*) FROM jobs WHERE kind = 'outbox.send' AND status = 'succeeded'",
            )
            .await
                == ids.len() as i64 + 1
        })
        .await
    );
    assert_eq!(server.received().len(), mails.len(), "nothing sent twice");
    assert_eq!(row(&db, ids[0]).await.attempts, 1);
    mailer.stop().await;
}

#[tokio::test]
async fn a_server_that_is_down_or_deferring_delays_mail_and_never_loses_it() {
    let (_testdb, db) = TestDb::migrated().await;
    let mut server = SmtpServer::start().await.unwrap();
    server.stop().await;
    let notifier = Notifier::smtp(&server.url(), FROM, Duration::from_secs(5)).unwrap();
    let mailer = Mailer::start(&db, notifier);
    let mails = every_mail(OrderId::new());
    let ids = enqueue(&db, &mails[..1]).await;
    let id = ids[0];

    // Nobody listens: tries are counted, the mail stays queued with the reason.
    assert!(
        eventually(WAIT, || async { row(&db, id).await.attempts >= 3 }).await,
        "retried while the server is down"
    );
    let down = row(&db, id).await;
    assert_eq!(down.status, "queued");
    assert!(down.sent_at.is_none());
    let reason = down.last_error.clone().unwrap_or_default();
    assert!(!reason.is_empty());
    let (job, job_error) = job_status(&db, id).await;
    assert!(job == "queued" || job == "running", "{job}");
    let job_error = job_error.unwrap_or_default();
    assert!(job_error.contains("unreachable"), "{job_error}");
    assert!(
        !job_error.contains(MERCHANT),
        "no address in the job's error"
    );

    // Back, but answering 451: still queued, still counted.
    server.set_mode(Mode::Defer);
    server.restart().await.unwrap();
    let before = row(&db, id).await.attempts;
    assert!(
        eventually(WAIT, || async {
            let r = row(&db, id).await;
            r.attempts >= before + 2 && r.last_error.as_deref().unwrap_or("").contains("451")
        })
        .await,
        "4xx is retried"
    );
    assert_eq!(row(&db, id).await.status, "queued");
    assert!(server.received().is_empty());

    // Healthy again: delivered, once.
    server.set_mode(Mode::Accept);
    let received = server.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert!(
        eventually(WAIT, || async { row(&db, id).await.status == "sent" }).await,
        "sent after the server came back"
    );
    let sent = row(&db, id).await;
    assert!(
        sent.attempts >= before + 2,
        "{} after {before}",
        sent.attempts
    );
    assert!(sent.last_error.is_none());
    assert_message(&received[0].data, &sent);
    assert!(
        eventually(WAIT, || async {
            job_status(&db, id).await.0 == "succeeded"
        })
        .await
    );
    mailer.stop().await;
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_mail_visibly() {
    let (_testdb, db) = TestDb::migrated().await;
    let server = SmtpServer::start().await.unwrap();
    server.set_mode(Mode::Reject);
    let notifier = Notifier::smtp(&server.url(), FROM, Duration::from_secs(5)).unwrap();
    let mailer = Mailer::start(&db, notifier);
    let ids = enqueue(&db, &every_mail(OrderId::new())[..1]).await;
    let id = ids[0];
    assert!(eventually(WAIT, || async { row(&db, id).await.status == "failed" }).await);
    let failed = row(&db, id).await;
    assert_eq!(failed.attempts, 1, "a 5xx is not retried");
    assert!(failed.sent_at.is_none());
    assert!(
        failed.last_error.as_deref().unwrap_or("").contains("550"),
        "{:?}",
        failed.last_error
    );
    assert!(eventually(WAIT, || async { job_status(&db, id).await.0 == "failed" }).await);
    let (_, job_error) = job_status(&db, id).await;
    let job_error = job_error.unwrap_or_default();
    assert!(job_error.contains("550"), "{job_error}");
    assert!(!job_error.contains(MERCHANT), "{job_error}");
    assert!(server.received().is_empty());
    assert_eq!(outbox::list(&db, "failed", 10).await.unwrap().len(), 1);
    mailer.stop().await;
}

#[tokio::test]
async fn without_smtp_each_mail_is_a_parseable_eml_file() {
    let (testdb, db) = TestDb::migrated().await;
    let dir = testdb.dir.path().join("mail");
    let config = notify::NotifyConfig {
        from: FROM.into(),
        eml_dir: dir.clone(),
        ..Default::default()
    };
    let notifier = Notifier::from_config(&config).unwrap();
    assert!(notifier.describe().starts_with("eml files in"));
    let mailer = Mailer::start(&db, notifier);
    let mails = every_mail(OrderId::new());
    let ids = enqueue(&db, &mails).await;
    assert!(
        eventually(WAIT, || async {
            outbox::list(&db, "sent", 100).await.unwrap().len() == ids.len()
        })
        .await
    );
    mailer.stop().await;
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), ids.len(), "{files:?}");
    for id in ids {
        let row = row(&db, id).await;
        let path = eml_path(&dir, id, &row.kind);
        let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_message(&raw, &row);
    }
}
