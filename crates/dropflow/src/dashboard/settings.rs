//! `/stores/{id}/settings`: what the store lets dropflow do alone (auto-order, auto-pay, price
//! guard, telling the customer), its branding for repacked parcels (logo, thank-you card, what
//! goes in the box) and which merchant mails it wants. Owners change it; staff of the store
//! see it read-only; another account's store is not found.
//!
//! The form is multipart (it carries the logo), so it is read here rather than by
//! [`super::session::Posted`], with the same CSRF check. Every field is checked before
//! anything is written: a form with an error is shown again with the message next to the
//! field and nothing saved.

use super::error::{html, PageError};
use super::layout::{redirect_with, shown, Flash, Layout};
use super::session::{csrf_ok, Viewer, CSRF_FIELD};
use crate::notify::MailKind;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::branding::{self, BrandingUpdate, FieldError, MERCHANT_MAILS};
use crate::storage::settings::{self, StoreSettings};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use dropflow_core::ids::StoreId;
use dropflow_core::reference::address::PostalAddress;

/// The largest price guard the API accepts too.
const MAX_PRICE_GUARD: u32 = 1000;

/// One merchant mail's checkbox.
pub struct MailChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// One field of the merchant's return address.
pub struct AddressInput {
    /// The `PostalAddress` field; the form's input is `return_{key}`.
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
}

/// The return address's fields, in label order.
const RETURN_FIELDS: [(&str, &str); 10] = [
    ("name", "Name"),
    ("company", "Company"),
    ("address1", "Street"),
    ("address2", "Street, second line"),
    ("city", "City"),
    ("province", "State / province"),
    ("province_code", "State / province code"),
    ("postal_code", "Postal code"),
    ("country_code", "Country (two letters, e.g. US)"),
    ("phone", "Phone"),
];

/// The inputs for `address` (blank ones when none is set).
fn address_inputs(address: Option<&PostalAddress>) -> Vec<AddressInput> {
    let value = |key: &str| -> Option<String> {
        let a = address?;
        match key {
            "name" => a.name.clone(),
            "company" => a.company.clone(),
            "address1" => a.address1.clone(),
            "address2" => a.address2.clone(),
            "city" => a.city.clone(),
            "province" => a.province.clone(),
            "province_code" => a.province_code.clone(),
            "postal_code" => a.postal_code.clone(),
            "country_code" => a.country_code.clone(),
            "phone" => a.phone.clone(),
            _ => None,
        }
    };
    RETURN_FIELDS
        .iter()
        .map(|(key, label)| AddressInput {
            key,
            label,
            value: value(key).unwrap_or_default(),
        })
        .collect()
}

/// The submitted return address: `None` when every field is blank (no address), otherwise
/// the fields as typed (checked by the caller).
fn submitted_address(submitted: &Submitted) -> Option<PostalAddress> {
    let field = |key: &str| {
        submitted
            .text(&format!("return_{key}"))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let address = PostalAddress {
        name: field("name"),
        company: field("company"),
        address1: field("address1"),
        address2: field("address2"),
        city: field("city"),
        province: field("province"),
        province_code: field("province_code"),
        postal_code: field("postal_code"),
        country_code: field("country_code"),
        phone: field("phone"),
    };
    (address != PostalAddress::default()).then_some(address)
}

/// The values the form shows (stored ones, or the ones just submitted).
pub struct Form {
    pub auto_order: bool,
    pub auto_pay: bool,
    pub notify_customer: bool,
    pub buy_when_authorized: bool,
    pub price_guard: String,
    pub place_within_hours: String,
    pub tracking_within_days: String,
    pub stale_tracking_hours: String,
    pub card_text: String,
    pub include_logo: bool,
    pub include_card: bool,
    pub mails: Vec<MailChoice>,
    /// Where customers send back goods that did not come through the agent warehouse.
    pub return_address: Vec<AddressInput>,
}

#[derive(Template)]
#[template(path = "dashboard/settings.html")]
struct SettingsPage {
    layout: Layout,
    store_id: String,
    domain: String,
    read_only: bool,
    has_logo: bool,
    form: Form,
    errors: Vec<FieldError>,
    max_card: usize,
}

impl SettingsPage {
    /// The allowed range of an SLA threshold, for its hint ("1–8760").
    fn range(&self, field: &str) -> String {
        settings::threshold(field)
            .map(|t| format!("{}–{}", t.range.start(), t.range.end()))
            .unwrap_or_default()
    }

    /// The message for a field, if it has one.
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn mail_label(kind: MailKind) -> &'static str {
    match kind {
        MailKind::NewOrder => "A new order arrived",
        MailKind::SupplierShipped => "A supplier shipped",
        MailKind::PaymentFailed => "Paying a supplier failed",
        MailKind::NeedsAttention => "An order needs attention",
        MailKind::ArrivedInspected => "Items arrived at the warehouse and passed inspection",
        MailKind::ReadyToShip => "A parcel is repacked: carrier options and fee",
        MailKind::Shipped
        | MailKind::Delivered
        | MailKind::CaseReceived
        | MailKind::RefundIssued
        | MailKind::ReplacementShipped
        | MailKind::CaseDeclined => "Customer mail",
        MailKind::VendorOrder | MailKind::VendorChange | MailKind::VendorPayout => "Vendor mail",
    }
}

/// The store a viewer may see the settings of: owners and staff, within their scope.
async fn store_of(state: &Context, viewer: &Viewer, id: &str) -> Result<StoreId, PageError> {
    viewer.require(&[Role::Owner, Role::Staff], "see store settings")?;
    Ok(viewer.caller.store_path(&state.db, id).await?)
}

async fn domain_of(state: &Context, store_id: StoreId) -> Result<String, PageError> {
    let stores = crate::storage::stores::list(&state.db).await?;
    Ok(stores
        .into_iter()
        .find(|s| s.id == store_id)
        .map(|s| s.domain)
        .unwrap_or_default())
}

/// `GET /stores/{id}/settings`.
pub async fn page(
    State(state): State<Context>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let store_id = store_of(&state, &viewer, &id).await?;
    let stored = settings::get(&state.db, store_id).await?;
    let brand = branding::get(&state.db, store_id).await?;
    let mails = branding::mail_choices(&state.db, store_id).await?;
    let return_address = settings::return_address(&state.db, store_id).await?;
    let form = Form {
        auto_order: stored.auto_order,
        auto_pay: stored.auto_pay,
        notify_customer: stored.notify_customer,
        buy_when_authorized: stored.buy_when_authorized,
        price_guard: stored
            .price_guard_percent
            .map(|p| p.to_string())
            .unwrap_or_default(),
        place_within_hours: stored.place_within_hours.to_string(),
        tracking_within_days: stored.tracking_within_days.to_string(),
        stale_tracking_hours: stored.stale_tracking_hours.to_string(),
        card_text: brand.card_text,
        include_logo: brand.include_logo,
        include_card: brand.include_card,
        mails: mails
            .into_iter()
            .map(|(kind, checked)| MailChoice {
                key: kind.as_str(),
                label: mail_label(kind),
                checked,
            })
            .collect(),
        return_address: address_inputs(return_address.as_ref()),
    };
    let page = render(
        &state,
        &viewer,
        store_id,
        form,
        brand.logo_type.is_some(),
        Vec::new(),
    )
    .await?;
    Ok(shown(page.render(), &viewer))
}

async fn render(
    state: &Context,
    viewer: &Viewer,
    store_id: StoreId,
    form: Form,
    has_logo: bool,
    errors: Vec<FieldError>,
) -> Result<SettingsPage, PageError> {
    let domain = domain_of(state, store_id).await?;
    Ok(SettingsPage {
        layout: Layout::new(viewer, format!("Settings · {domain}"), "stores"),
        store_id: store_id.to_string(),
        domain,
        read_only: viewer.role() != Role::Owner,
        has_logo,
        form,
        errors,
        max_card: branding::MAX_CARD_CHARS,
    })
}

/// What the multipart form carried.
#[derive(Default)]
struct Submitted {
    fields: Vec<(String, String)>,
    logo: Option<Vec<u8>>,
}

impl Submitted {
    fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn checked(&self, name: &str) -> bool {
        self.text(name).is_some()
    }
}

async fn read_form(mut multipart: Multipart) -> Result<Submitted, PageError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            PageError::PayloadTooLarge(
                "the form is larger than this server accepts; a logo may be at most 512 KiB".into(),
            )
        } else {
            PageError::BadRequest(format!("the form could not be read: {}", e.body_text()))
        }
    };
    let mut submitted = Submitted::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "logo" {
            let bytes = field.bytes().await.map_err(bad)?;
            // A file input left empty still sends an empty part.
            if !bytes.is_empty() {
                submitted.logo = Some(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(bad)?;
            submitted.fields.push((name, text));
        }
        if submitted.fields.len() > 100 {
            return Err(PageError::BadRequest("the form has too many fields".into()));
        }
    }
    Ok(submitted)
}

/// `POST /stores/{id}/settings` (multipart, owners only).
pub async fn save(
    State(state): State<Context>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let submitted = read_form(multipart).await?;
    if !csrf_ok(
        &viewer.csrf_token,
        submitted.text(CSRF_FIELD).unwrap_or_default(),
    ) {
        return Err(PageError::Forbidden(
            "this form has expired or did not come from this site: reload the page and try again"
                .into(),
        ));
    }
    let store_id = store_of(&state, &viewer, &id).await?;
    viewer.require(&[Role::Owner], "change store settings")?;

    let mut errors = Vec::new();
    let price_guard_text = submitted.text("price_guard").unwrap_or_default().trim();
    let price_guard = match price_guard_text {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(p) if p <= MAX_PRICE_GUARD => Some(p),
            _ => {
                errors.push(FieldError {
                    field: "price_guard",
                    message: format!(
                        "enter a whole number of percent from 0 to {MAX_PRICE_GUARD}, or leave it empty for no guard"
                    ),
                });
                None
            }
        },
    };
    let logo = match submitted.logo.as_deref().map(branding::sniff_logo) {
        None => None,
        Some(Ok(kind)) => submitted.logo.clone().map(|bytes| (kind, bytes)),
        Some(Err(e)) => {
            errors.push(FieldError {
                field: "logo",
                message: e.to_string(),
            });
            None
        }
    };
    // Line endings as browsers send them (CRLF) count as one character, as typed.
    let card_text = submitted
        .text("card_text")
        .unwrap_or_default()
        .replace("\r\n", "\n");
    let update = BrandingUpdate {
        logo,
        remove_logo: submitted.checked("remove_logo"),
        card_text: card_text.trim().to_string(),
        include_logo: submitted.checked("include_logo"),
        include_card: submitted.checked("include_card"),
    };
    let had_logo = branding::get(&state.db, store_id)
        .await?
        .logo_type
        .is_some();
    // A refused upload is reported on its own field, not again as "no logo to include".
    if !errors.iter().any(|e| e.field == "logo") {
        errors.extend(branding::validate(&update, had_logo));
    } else {
        errors.extend(
            branding::validate(&update, true)
                .into_iter()
                .filter(|e| e.field != "include_logo"),
        );
    }
    let mails: Vec<(MailKind, bool)> = MERCHANT_MAILS
        .iter()
        .map(|kind| (*kind, submitted.checked(&format!("mail_{}", kind.as_str()))))
        .collect();
    // The SLA thresholds: whole numbers in the ranges of `settings::THRESHOLDS`.
    let mut threshold = |t: settings::Threshold| {
        let field = t.field;
        let text = submitted.text(field).unwrap_or_default().trim();
        match text.parse::<u32>() {
            Ok(n) if t.range.contains(&n) => n,
            _ => {
                errors.push(FieldError {
                    field,
                    message: format!(
                        "enter a whole number of {} from {} to {}",
                        t.unit,
                        t.range.start(),
                        t.range.end()
                    ),
                });
                *t.range.start()
            }
        }
    };
    let place_within_hours = threshold(settings::PLACE_WITHIN_HOURS);
    let tracking_within_days = threshold(settings::TRACKING_WITHIN_DAYS);
    let stale_tracking_hours = threshold(settings::STALE_TRACKING_HOURS);
    let typed_address = submitted_address(&submitted);
    let return_address = match typed_address.clone() {
        None => None,
        Some(address) => match crate::services::settings::checked_return_address(address) {
            Ok(address) => Some(address),
            Err(message) => {
                errors.push(FieldError {
                    field: "return_address",
                    message,
                });
                None
            }
        },
    };
    let new_settings = StoreSettings {
        auto_order: submitted.checked("auto_order"),
        auto_pay: submitted.checked("auto_pay"),
        price_guard_percent: price_guard,
        notify_customer: submitted.checked("notify_customer"),
        place_within_hours,
        tracking_within_days,
        stale_tracking_hours,
        buy_when_authorized: submitted.checked("buy_when_authorized"),
    };

    if !errors.is_empty() {
        let form = Form {
            auto_order: new_settings.auto_order,
            auto_pay: new_settings.auto_pay,
            notify_customer: new_settings.notify_customer,
            buy_when_authorized: new_settings.buy_when_authorized,
            price_guard: price_guard_text.to_string(),
            place_within_hours: submitted
                .text("place_within_hours")
                .unwrap_or_default()
                .to_string(),
            tracking_within_days: submitted
                .text("tracking_within_days")
                .unwrap_or_default()
                .to_string(),
            stale_tracking_hours: submitted
                .text("stale_tracking_hours")
                .unwrap_or_default()
                .to_string(),
            card_text,
            include_logo: update.include_logo,
            include_card: update.include_card,
            mails: mails
                .iter()
                .map(|(kind, checked)| MailChoice {
                    key: kind.as_str(),
                    label: mail_label(*kind),
                    checked: *checked,
                })
                .collect(),
            return_address: address_inputs(typed_address.as_ref()),
        };
        let page = render(&state, &viewer, store_id, form, had_logo, errors).await?;
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()));
    }

    // Settings, branding and mail choices: one transaction, all or nothing.
    let mut tx = state.db.begin().await?;
    crate::services::settings::put_in(&state, &mut tx, &viewer.caller, store_id, &new_settings)
        .await?;
    branding::put_in(&mut tx, store_id, &update).await?;
    branding::put_mail_choices_in(&mut tx, store_id, &mails).await?;
    settings::set_return_address_in(&mut tx, store_id, return_address.as_ref()).await?;
    tx.commit()
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    state.db.jobs_queued.notify_one();
    tracing::info!(store.id = %store_id, logo_replaced = update.logo.is_some(),
        "store settings saved from the dashboard");
    Ok(redirect_with(
        &format!("/stores/{store_id}/settings"),
        Flash::ok("Settings saved."),
    ))
}

/// `GET /stores/{id}/logo`: the stored logo, for the settings preview and for the warehouse
/// operator who prints it into the parcel (owners, staff and operators of the store's account).
pub async fn logo(
    State(state): State<Context>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(
        &[Role::Owner, Role::Staff, Role::Warehouse],
        "see the store's logo",
    )?;
    let store_id = viewer.caller.store_path(&state.db, &id).await?;
    let Some((kind, bytes)) = branding::logo(&state.db, store_id).await? else {
        return Err(PageError::NotFound("no logo".into()));
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(kind.content_type()),
    );
    // Only ever an image: the browser must not guess otherwise.
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
