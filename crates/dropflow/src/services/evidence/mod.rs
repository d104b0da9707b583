//! The evidence a merchant answers a payment dispute with, gathered over the caller's scope
//! into one self-contained HTML file ([`render`]) they can download and upload to the store's
//! dispute form (Shopify and Stripe both take a document): the order (lines, amounts,
//! dates), the customer's shipping address, every parcel with its tracking number, carrier,
//! tracking events and delivery date, the order's full timeline, its disputes, and its cases
//! with their notes, steps and the customer's photos (in the file itself, as `data:` images,
//! up to [`PHOTO_BUDGET`]; the rest are listed).
//!
//! The file holds the customer's address and the merchants' notes: it is answered only to the
//! merchant's people (owner, staff), is never logged, and is marked not to be cached.

mod render;

use super::{timeline, view};
use super::{ActionError, Caller, Context, MERCHANTS};
use crate::storage::orders::{OrderDetail, TimelineEntry};
use crate::storage::parcels::ParcelView;
use crate::storage::{case_photos, cases, chargebacks, orders as store, parcels};
use chrono::{DateTime, Utc};
use dropflow_core::event::OrderEvent;
use std::collections::BTreeMap;

/// The evidence file: its name and its HTML.
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    /// `evidence-<order name>.html`, the name reduced to letters, digits, `-` and `_`.
    pub filename: String,
    pub html: String,
}

/// The file as an answer, the same from the API and the dashboard: an attachment named
/// after the order, kept by no cache (it holds the customer's address), never sniffed.
impl axum::response::IntoResponse for EvidenceFile {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{header, HeaderValue};
        // The name is letters, digits, `-` and `_` ([`file_safe`]): always a header value.
        let disposition =
            HeaderValue::from_str(&format!("attachment; filename=\"{}\"", self.filename))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            self.html,
        )
            .into_response()
    }
}

/// What the file shows, every value as text (the template escapes it).
#[derive(Debug, Clone)]
pub struct Evidence {
    pub order_name: String,
    pub order_id: String,
    pub store_order_id: String,
    pub created: String,
    pub payment: String,
    pub status: String,
    pub cancelled: Option<String>,
    pub currency: String,
    pub lines: Vec<LineRow>,
    pub shipping_charged: String,
    pub discounts: String,
    pub taxes: String,
    pub total: String,
    pub customer: Vec<String>,
    pub address: Vec<String>,
    pub parcels: Vec<ParcelRow>,
    pub disputes: Vec<DisputeRow>,
    pub cases: Vec<CaseRow>,
    pub timeline: Vec<TimelineRow>,
    pub generated: String,
}

#[derive(Debug, Clone)]
pub struct LineRow {
    pub title: String,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: String,
    pub amount: String,
}

#[derive(Debug, Clone)]
pub struct ParcelRow {
    pub tracking_number: String,
    pub carrier: String,
    pub tracking_url: Option<String>,
    pub status: String,
    pub delivered: String,
    pub last_event: String,
    pub events: Vec<TimelineRow>,
}

#[derive(Debug, Clone)]
pub struct DisputeRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub amount: String,
    pub reason: String,
    pub evidence_due_by: String,
    pub finalized_on: String,
}

#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: String,
    pub reason: String,
    pub resolution: String,
    pub opened: String,
    pub opened_by: String,
    pub note: String,
    pub steps: Vec<TimelineRow>,
    pub photos: Vec<PhotoRow>,
}

/// One of the customer's photos of a case.
#[derive(Debug, Clone)]
pub struct PhotoRow {
    /// `data:<type>;base64,…`: the photo in the file; `None` when it was left out to keep
    /// the file within [`PHOTO_BUDGET`].
    pub data_uri: Option<String>,
    /// Its kind, size, when and by whom it was added.
    pub label: String,
}

/// The most photo bytes the file carries. The card schemes cap what a dispute's evidence
/// may weigh in all (Diners and Discover: 3 MB for every file together; Checkout.com's
/// "Dispute evidence file requirements",
/// <https://www.checkout.com/docs/payments/process-disputes/dispute-evidence-file-requirements>),
/// and base64 adds a third: photos past this are listed, not carried.
pub const PHOTO_BUDGET: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct TimelineRow {
    pub at: String,
    pub actor: String,
    pub text: String,
}

/// The evidence file of one order the caller sees (404 for another account's order; 403 for
/// anyone but the merchant's owner and staff).
pub async fn file(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
) -> Result<EvidenceFile, ActionError> {
    let evidence = gather(ctx, caller, reference).await?;
    let html = render::html(&evidence)
        .map_err(|e| ActionError::Internal(format!("the evidence file could not be made: {e}")))?;
    Ok(EvidenceFile {
        filename: format!("evidence-{}.html", file_safe(&evidence.order_name)),
        html,
    })
}

/// Everything the file shows, read through the caller's scope.
pub async fn gather(
    ctx: &Context,
    caller: &Caller,
    reference: &str,
) -> Result<Evidence, ActionError> {
    caller.require(MERCHANTS, "download dispute evidence")?;
    let id = super::orders::resolve(ctx, caller, reference).await?;
    let detail = store::get(&ctx.db, id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("order {id} not found")))?;
    let parcels = parcels::for_order(&ctx.db, id).await?;
    let disputes = chargebacks::for_order(&ctx.db, id).await?;
    let cases = cases::for_order(&ctx.db, id).await?;
    let mut photos = photo_rows(ctx, &cases).await?;
    Ok(Evidence {
        parcels: parcels
            .iter()
            .map(|p| parcel_row(p, &detail.timeline))
            .collect(),
        disputes: disputes
            .iter()
            .map(|d| DisputeRow {
                id: d.store_dispute_id.clone(),
                kind: d.kind.clone(),
                status: view::words(&d.status),
                amount: view::money(d.amount_minor, &d.currency),
                reason: d.reason.as_deref().map(view::words).unwrap_or_default(),
                evidence_due_by: view::maybe_time(&d.evidence_due_by),
                finalized_on: view::maybe_time(&d.finalized_on),
            })
            .collect(),
        cases: cases
            .iter()
            .map(|c| CaseRow {
                id: c.id.clone(),
                reason: view::words(c.state.reason.as_str()),
                resolution: view::words(c.state.resolution.kind()),
                opened: view::time(&c.created_at),
                opened_by: c.opened_by.clone(),
                note: c.note.clone().unwrap_or_default(),
                steps: case_steps(&c.id, &detail.timeline),
                photos: photos.remove(&c.id).unwrap_or_default(),
            })
            .collect(),
        ..order_part(&detail)
    })
}

/// The cases' photos, by case id: carried in the file, oldest first, while they fit in
/// [`PHOTO_BUDGET`]; listed after that.
async fn photo_rows(
    ctx: &Context,
    cases: &[cases::StoredCase],
) -> Result<BTreeMap<String, Vec<PhotoRow>>, ActionError> {
    use base64::Engine as _;
    let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
    let mut photos = case_photos::for_cases(&ctx.db, &ids).await?;
    photos.sort_by(|a, b| a.id.cmp(&b.id));
    let mut left = PHOTO_BUDGET;
    let mut rows: BTreeMap<String, Vec<PhotoRow>> = BTreeMap::new();
    for photo in photos {
        let size = usize::try_from(photo.size_bytes).unwrap_or(usize::MAX);
        let mut data_uri = None;
        if size <= left {
            if let Some((_, bytes)) = case_photos::get(&ctx.db, &photo.case_id, &photo.id).await? {
                left -= size;
                data_uri = Some(format!(
                    "data:{};base64,{}",
                    photo.content_type,
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                ));
            }
        }
        let label = format!(
            "{}, {}, added {} by {}{}",
            photo.content_type,
            view::bytes(photo.size_bytes),
            view::time(&photo.created_at),
            photo.uploaded_by,
            if data_uri.is_none() {
                " (not carried in this file: it would make it too large to upload)"
            } else {
                ""
            }
        );
        rows.entry(photo.case_id.clone())
            .or_default()
            .push(PhotoRow { data_uri, label });
    }
    Ok(rows)
}

/// The order's own facts: lines, money, dates, customer, address, timeline.
fn order_part(detail: &OrderDetail) -> Evidence {
    let summary = &detail.summary;
    let currency = summary.currency.as_str();
    let money = |minor: i64| view::money(minor, currency);
    let customer = detail
        .customer
        .as_ref()
        .map(|c| {
            let name = c.full_name();
            [Some(name), c.email.clone(), c.phone.clone()]
                .into_iter()
                .flatten()
                .filter(|s| !s.trim().is_empty())
                .collect()
        })
        .unwrap_or_default();
    Evidence {
        order_name: summary.name.clone(),
        order_id: summary.id.to_string(),
        store_order_id: summary.external_id.clone(),
        created: view::time(&summary.created_at),
        payment: view::words(summary.payment_status.as_str()),
        status: view::tab_label(summary.tab).to_string(),
        cancelled: summary.cancel_reason.clone(),
        currency: currency.to_string(),
        lines: detail
            .lines
            .iter()
            .map(|l| LineRow {
                title: l.title.clone(),
                sku: l.sku.clone().unwrap_or_default(),
                quantity: l.quantity,
                unit_price: money(l.unit_price_minor),
                amount: money(l.unit_price_minor.saturating_mul(l.quantity)),
            })
            .collect(),
        shipping_charged: money(detail.amounts.shipping_minor),
        discounts: money(detail.amounts.discounts_minor),
        taxes: format!(
            "{}{}",
            money(detail.amounts.taxes_minor),
            if detail.amounts.taxes_included {
                " (included)"
            } else {
                ""
            }
        ),
        total: money(summary.total_minor),
        customer,
        address: detail
            .shipping_address
            .as_ref()
            .map(|a| a.label_lines())
            .unwrap_or_default(),
        parcels: Vec::new(),
        disputes: Vec::new(),
        cases: Vec::new(),
        timeline: detail.timeline.iter().map(timeline_row).collect(),
        generated: view::time(&Utc::now()),
    }
}

/// One timeline entry in words, oldest first (unlike the order page, nothing is folded:
/// evidence shows every event).
fn timeline_row(entry: &TimelineEntry) -> TimelineRow {
    TimelineRow {
        at: view::time(&entry.at),
        actor: entry.actor.clone(),
        text: timeline::sentence(&entry.kind, &entry.detail),
    }
}

fn event(entry: &TimelineEntry) -> Option<OrderEvent> {
    serde_json::from_value(entry.detail.clone()).ok()
}

/// A parcel with its tracking events (the timeline's entries about its number) and when it
/// was delivered: the first event saying so, else the carrier's last event time.
fn parcel_row(parcel: &ParcelView, timeline: &[TimelineEntry]) -> ParcelRow {
    let number = parcel.tracking_number.clone().unwrap_or_default();
    let mut delivered: Option<DateTime<Utc>> = None;
    let mut events = Vec::new();
    for entry in timeline {
        let about_it = match event(entry) {
            Some(OrderEvent::TrackingAdded { number: n, .. })
            | Some(OrderEvent::FulfilledOnStore { number: n })
            | Some(OrderEvent::StorePushFailed { number: n, .. }) => n == number,
            Some(OrderEvent::TrackingChanged { number: n, status }) => {
                let delivered_now = serde_json::to_value(status)
                    .ok()
                    .is_some_and(|v| v == "delivered");
                if n == number && delivered_now && delivered.is_none() {
                    delivered = Some(entry.at);
                }
                n == number
            }
            _ => false,
        };
        if about_it && !number.is_empty() {
            events.push(timeline_row(entry));
        }
    }
    if delivered.is_none() && parcel.status == "delivered" {
        delivered = parcel.last_event_at;
    }
    let last_event = match (&parcel.last_event, &parcel.last_event_at) {
        (Some(text), Some(at)) => format!("{} ({})", text, view::time(at)),
        (Some(text), None) => text.clone(),
        _ => String::new(),
    };
    ParcelRow {
        tracking_number: number,
        carrier: parcel
            .carrier
            .clone()
            .or_else(|| parcel.courier_detected.clone())
            .unwrap_or_default(),
        tracking_url: parcel.tracking_url.clone(),
        status: view::words(&parcel.status),
        delivered: view::maybe_time(&delivered),
        last_event,
        events,
    }
}

/// A case's steps as its timeline entries tell them.
fn case_steps(case_id: &str, timeline: &[TimelineEntry]) -> Vec<TimelineRow> {
    timeline::of_case(timeline, case_id)
        .map(timeline_row)
        .collect()
}

/// An order name as a file name part: letters, digits, `-`, `_` (`#1001` → `1001`); never
/// empty.
fn file_safe(name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(64)
        .collect();
    if kept.is_empty() {
        "order".to_string()
    } else {
        kept
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{file_safe, parcel_row};
    use crate::storage::orders::TimelineEntry;
    use crate::storage::parcels::ParcelView;
    use chrono::{DateTime, Utc};
    use dropflow_core::event::OrderEvent;
    use dropflow_core::shipment::ShipmentStatus;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn entry(when: &str, event: OrderEvent) -> TimelineEntry {
        TimelineEntry {
            at: at(when),
            actor: "system:tracker".into(),
            kind: event.kind().into(),
            detail: serde_json::to_value(event).unwrap(),
            receipt_id: None,
        }
    }

    fn parcel(number: &str, status: &str) -> ParcelView {
        ParcelView {
            id: "p1".into(),
            supplier_order_id: None,
            leg: "customer".into(),
            tracking_number: Some(number.into()),
            carrier: Some("China Post".into()),
            tracking_url: None,
            courier_detected: None,
            number_check: "valid".into(),
            status: status.into(),
            sub_status: None,
            last_event: Some("Delivered to the mailbox".into()),
            last_event_at: Some(at("2026-05-09T08:00:00Z")),
            pushed_at: None,
            last_synced_at: None,
            next_sync_at: None,
        }
    }

    /// A parcel's events are the timeline's entries about its number only, and it was
    /// delivered when the first of them said so (not when the carrier last spoke).
    #[test]
    fn a_parcel_shows_its_own_tracking_events_and_when_it_was_first_delivered() {
        let timeline = vec![
            entry(
                "2026-05-02T10:00:00Z",
                OrderEvent::TrackingAdded {
                    supplier: "manual:vendor-a".into(),
                    number: "RR1".into(),
                    carrier: None,
                    check: "valid".into(),
                },
            ),
            entry(
                "2026-05-03T10:00:00Z",
                OrderEvent::TrackingChanged {
                    number: "RR2".into(),
                    status: ShipmentStatus::Delivered,
                },
            ),
            entry(
                "2026-05-07T10:00:00Z",
                OrderEvent::TrackingChanged {
                    number: "RR1".into(),
                    status: ShipmentStatus::Delivered,
                },
            ),
            entry(
                "2026-05-08T10:00:00Z",
                OrderEvent::TrackingChanged {
                    number: "RR1".into(),
                    status: ShipmentStatus::Delivered,
                },
            ),
        ];
        let row = parcel_row(&parcel("RR1", "delivered"), &timeline);
        assert_eq!(row.events.len(), 3);
        assert_eq!(row.delivered, "2026-05-07 10:00 UTC");
        assert_eq!(row.carrier, "China Post");
        // Known delivered with no event saying so: the carrier's last event time.
        let row = parcel_row(&parcel("RR3", "delivered"), &timeline);
        assert!(row.events.is_empty());
        assert_eq!(row.delivered, "2026-05-09 08:00 UTC");
        // Not delivered: no date.
        let row = parcel_row(&parcel("RR3", "in_transit"), &timeline);
        assert_eq!(row.delivered, "—");
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_safe("#1001"), "1001");
        assert_eq!(file_safe("SO-12_a"), "SO-12_a");
        assert_eq!(file_safe("\"; rm -rf /\r\n"), "rm-rf");
        assert_eq!(file_safe("#"), "order");
    }
}
