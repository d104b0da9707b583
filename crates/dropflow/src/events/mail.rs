//! The `notify` consumer: turns order events into mails. For each event it reads what the
//! mails say about the order ([`context`]), asks [`notify::notifications_for`] which mails the
//! event calls for, and writes them to the outbox with [`notify::enqueue`] in the
//! transaction that moves its cursor: a mail exists once for each event, whatever crashes.

use super::stream::StoredEvent;
use crate::notify::templates::{LineSummary, VendorLine};
use crate::notify::{self, MailContext};
use crate::storage::codec::from_json;
use crate::storage::{Result, Tx};
use crate::suppliers::registry;
use dropflow_core::event::OrderEvent;
use dropflow_core::intake::Customer;
use dropflow_core::money::Money;
use dropflow_core::procurement::SupplierOrderStatus;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::reference::currency::Currency;
use dropflow_core::supplier::SupplierKind;
use sqlx::Row;

/// The cursor's name.
pub const CURSOR: &str = "notify";

/// Writes the mails `events` call for in `tx`; how many. No agent warehouse address: a case
/// whose goods came through the warehouse is told the merchant will send the address.
pub async fn handle(
    tx: &mut Tx<'_>,
    events: &[StoredEvent],
    merchant_email: Option<&str>,
) -> Result<usize, notify::NotifyError> {
    handle_with(tx, events, merchant_email, None).await
}

/// [`handle`], with the agent warehouse's address (where goods bought through it go back).
pub async fn handle_with(
    tx: &mut Tx<'_>,
    events: &[StoredEvent],
    merchant_email: Option<&str>,
    warehouse: Option<&PostalAddress>,
) -> Result<usize, notify::NotifyError> {
    let mut written = 0;
    for stored in events {
        let Ok(event) = serde_json::from_value::<OrderEvent>(stored.detail.clone()) else {
            // Written by a newer dropflow during a rolling deploy: not ours to mail about.
            tracing::warn!(event.id = stored.id, event.kind = %stored.kind, "unreadable order event; no mail");
            continue;
        };
        // Most events call for no mail: find out before reading anything.
        let probe = MailContext {
            merchant_email: Some(String::new()),
            customer_email: Some(String::new()),
            notify_customer: true,
            vendor: Some(notify::VendorHandover {
                emails: vec![String::new()],
                ..Default::default()
            }),
            case: Some(Default::default()),
            ..Default::default()
        };
        if notify::notifications_for(&event, &probe).is_empty() {
            continue;
        }
        let Some(mut ctx) = context(tx, &stored.order_id, &event, merchant_email).await? else {
            continue;
        };
        if let OrderEvent::Case { case_id, .. } = &event {
            ctx.case = super::case_facts::read(tx, case_id, warehouse).await?;
        }
        let mut mails = notify::notifications_for(&event, &ctx);
        // The merchant may have turned some mails off for this store (dashboard settings).
        let mut wanted = Vec::with_capacity(mails.len());
        for mail in mails.drain(..) {
            let wanted_by_merchant = match mail.kind().audience() {
                notify::Audience::Merchant => merchant_wants(tx, ctx.store_id, mail.kind()).await?,
                notify::Audience::Customer | notify::Audience::Vendor => true,
            };
            if wanted_by_merchant {
                wanted.push(mail);
            }
        }
        written += notify::enqueue(tx, &wanted).await?.len();
    }
    Ok(written)
}

/// What the mails about `event` say about its order: names, addresses, the store's
/// `notify_customer`, lines and total, the amount a failed payment was for, the parcel's
/// tracking page. `None` when the order is gone.
pub async fn context(
    tx: &mut Tx<'_>,
    order_id: &str,
    event: &OrderEvent,
    merchant_email: Option<&str>,
) -> Result<Option<MailContext>> {
    let Some(order) = sqlx::query(
        "SELECT o.id, o.store_id, o.name, o.currency, o.total_minor, o.customer, s.domain
         FROM orders o JOIN stores s ON s.id = o.store_id WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    let store_id = crate::storage::codec::parse_id(
        "orders.store_id",
        &order.try_get::<String, _>("store_id")?,
    )?;
    let settings = crate::storage::settings::get_in(tx, store_id).await?;
    // The configured address wins; otherwise the account's first owner hears about it.
    let merchant_email = match merchant_email {
        Some(address) => Some(address.to_string()),
        None => account_owner_email(tx, store_id).await?,
    };
    let customer: Option<Customer> = order
        .try_get::<Option<String>, _>("customer")?
        .map(|c| from_json("orders.customer", &c))
        .transpose()?;
    let customer_name = customer.as_ref().and_then(|c| {
        let name = c.full_name();
        (!name.trim().is_empty()).then_some(name)
    });
    let currency = Currency::from_code(&order.try_get::<String, _>("currency")?).ok();
    let total_minor: i64 = order.try_get("total_minor")?;
    let lines = sqlx::query(
        "SELECT title, quantity FROM order_lines WHERE order_id = $1 AND quantity > 0
         ORDER BY position",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(LineSummary {
            title: r.try_get("title")?,
            quantity: r.try_get("quantity")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let amount_due = match event {
        OrderEvent::PaymentFailed { supplier, .. } => amount_due(tx, order_id, supplier).await?,
        _ => None,
    };
    let tracking_url = match event {
        OrderEvent::TrackingAdded { number, .. } => sqlx::query(
            "SELECT tracking_url FROM shipments WHERE order_id = $1 AND tracking_number = $2",
        )
        .bind(order_id)
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get::<Option<String>, _>("tracking_url"))
        .transpose()?
        .flatten(),
        _ => None,
    };
    let fee_options = match event {
        OrderEvent::WarehouseNote { topic, .. } if topic == "packed" => {
            fee_options(tx, order_id).await?
        }
        _ => Vec::new(),
    };
    let warehouse_parcel = match event {
        OrderEvent::WarehouseNote { topic, .. } if topic == "shipped_to_warehouse" => {
            latest_parcel(
                tx,
                "SELECT tracking_number, carrier, NULL AS tracking_url FROM warehouse_inbound
                 WHERE order_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
                order_id,
            )
            .await?
        }
        OrderEvent::WarehouseNote { topic, .. } if topic == "dispatched" => {
            latest_parcel(
                tx,
                "SELECT tracking_number, carrier, tracking_url FROM shipments
                 WHERE order_id = $1 AND leg = 'warehouse_to_customer'
                   AND tracking_number IS NOT NULL
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                order_id,
            )
            .await?
        }
        _ => None,
    };
    let vendor = match event {
        OrderEvent::SupplierOrderChanged {
            supplier,
            status: SupplierOrderStatus::AwaitingShipment,
            ..
        } => match supplier.strip_prefix("manual:") {
            Some(handle) => Some(vendor_handover(tx, order_id, store_id, handle).await?),
            None => None,
        },
        OrderEvent::FlagRaised {
            supplier: Some(supplier),
            ..
        } => match supplier.strip_prefix("manual:") {
            Some(handle) => Some(vendor_handover(tx, order_id, store_id, handle).await?),
            None => None,
        },
        _ => None,
    };
    Ok(Some(MailContext {
        order_id: crate::storage::codec::parse_id("orders.id", order_id).ok(),
        store_id: Some(store_id),
        order_name: order.try_get("name")?,
        store: order.try_get("domain")?,
        merchant_email,
        customer_email: customer.as_ref().and_then(|c| c.email.clone()),
        customer_name,
        notify_customer: settings.notify_customer,
        lines,
        total: currency.map(|c| Money::new(total_minor, c)),
        amount_due,
        tracking_url,
        fee_options,
        vendor,
        warehouse_parcel,
        case: None,
    }))
}

/// The newest parcel `sql` finds for the order (number, carrier, tracking page).
async fn latest_parcel(
    tx: &mut Tx<'_>,
    sql: &str,
    order_id: &str,
) -> Result<Option<notify::templates::TrackingInfo>> {
    let Some(row) = sqlx::query(sql)
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(notify::templates::TrackingInfo {
        number: row.try_get("tracking_number")?,
        carrier: row.try_get("carrier")?,
        url: row.try_get("tracking_url")?,
    }))
}

/// Who at the manual vendor `handle` hears of the order, their lines, and the address.
async fn vendor_handover(
    tx: &mut Tx<'_>,
    order_id: &str,
    store_id: dropflow_core::ids::StoreId,
    handle: &str,
) -> Result<notify::VendorHandover> {
    let emails = sqlx::query(
        "SELECT u.email FROM users u JOIN stores s ON s.account_id = u.account_id
         WHERE s.id = $1 AND u.role = 'vendor' AND u.vendor = $2 AND u.disabled_at IS NULL
         ORDER BY u.created_at, u.id",
    )
    .bind(store_id.to_string())
    .bind(handle)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("email"))
    .collect::<std::result::Result<Vec<_>, _>>()?;
    // Only this vendor's live purchases of the order: another vendor's items, costs and
    // links never reach this mail.
    let lines = sqlx::query(
        "SELECT so.supplier, l.title, l.variant_words, i.quantity, i.unit_cost_minor,
            i.currency, i.product_url
         FROM supplier_orders so
         JOIN supplier_order_items i ON i.supplier_order_id = so.id
         JOIN order_lines l ON l.order_id = so.order_id AND l.position = i.line_position
         WHERE so.order_id = $1 AND so.supplier_account = $2
           AND so.status NOT IN ('cancelled', 'rejected')
         ORDER BY i.line_position, so.id, i.position",
    )
    .bind(order_id)
    .bind(handle)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    // Purchases a person fulfils by hand: a supplier account of another kind may share the
    // handle, and its purchases are not the vendor's.
    .filter(|r| {
        r.try_get::<String, _>("supplier")
            .is_ok_and(|s| registry::capabilities_of(&s).hands_over_to_person)
    })
    .map(|r| {
        let quantity: i64 = r.try_get("quantity")?;
        let unit_cost: i64 = r.try_get("unit_cost_minor")?;
        let currency: String = r.try_get("currency")?;
        let words = crate::storage::codec::variant_words(r.try_get("variant_words")?)?;
        Ok(VendorLine {
            title: r.try_get("title")?,
            quantity,
            variant: dropflow_core::variant::in_words(&words),
            cost: money_text(unit_cost.saturating_mul(quantity), &currency),
            supplier_link: crate::supplier_link::shown(
                r.try_get::<Option<String>, _>("product_url")?.as_deref(),
            ),
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let ship_to = sqlx::query("SELECT shipping_address FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get::<Option<String>, _>("shipping_address")?
        .map(|a| from_json::<PostalAddress>("orders.shipping_address", &a))
        .transpose()?
        .map(|a| a.label_lines())
        .unwrap_or_default();
    Ok(notify::VendorHandover {
        emails,
        dropship: SupplierKind::Manual.ships_to_customer(),
        lines,
        ship_to,
    })
}

/// An amount with its currency ("8.40 USD"); the raw number when the currency is unknown.
fn money_text(minor: i64, currency: &str) -> String {
    match Currency::from_code(currency) {
        Ok(c) => Money::new(minor, c).to_string(),
        Err(_) => format!("{minor} {currency}"),
    }
}

/// The carriers offered for the order's newest warehouse package (its own, or one it shares
/// with other orders to the same customer), cheapest first.
async fn fee_options(tx: &mut Tx<'_>, order_id: &str) -> Result<Vec<notify::templates::FeeOption>> {
    let row = sqlx::query(
        "SELECT p.quotes FROM warehouse_packages p
         JOIN warehouse_package_orders po ON po.package_id = p.id
         WHERE po.order_id = $1 ORDER BY p.created_at DESC, p.id DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let mut quotes: Vec<dropflow_core::warehouse::rates::Quote> = from_json(
        "warehouse_packages.quotes",
        &row.try_get::<String, _>("quotes")?,
    )?;
    quotes.sort_by_key(|q| q.price.minor);
    Ok(quotes
        .into_iter()
        .map(|q| notify::templates::FeeOption {
            carrier: q.carrier,
            service: q.service,
            price: q.price.to_string(),
            days_min: q.days_min,
            days_max: q.days_max,
        })
        .collect())
}

/// Whether the order's store wants merchant mails of `kind` (no store: no merchant mail).
async fn merchant_wants(
    tx: &mut Tx<'_>,
    store_id: Option<dropflow_core::ids::StoreId>,
    kind: notify::MailKind,
) -> Result<bool> {
    match store_id {
        Some(id) => crate::storage::branding::wants_mail(tx, id, kind).await,
        None => Ok(false),
    }
}

/// The e-mail of the first owner of the account the store belongs to, if it has one.
async fn account_owner_email(
    tx: &mut Tx<'_>,
    store_id: dropflow_core::ids::StoreId,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT u.email FROM users u JOIN stores s ON s.account_id = u.account_id
         WHERE s.id = $1 AND u.role = 'owner' AND u.disabled_at IS NULL
         ORDER BY u.created_at, u.id LIMIT 1",
    )
    .bind(store_id.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("email")?),
        None => None,
    })
}

/// What the supplier order named `label` (`cj:default`) costs.
async fn amount_due(tx: &mut Tx<'_>, order_id: &str, label: &str) -> Result<Option<Money>> {
    let (supplier, account) = label.split_once(':').unwrap_or((label, "default"));
    let row = sqlx::query(
        "SELECT cost_minor, currency FROM supplier_orders
         WHERE order_id = $1 AND supplier = $2 AND supplier_account = $3
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(order_id)
    .bind(supplier)
    .bind(account)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let cost: Option<i64> = row.try_get("cost_minor")?;
    let currency: Option<String> = row.try_get("currency")?;
    Ok(
        match (cost, currency.and_then(|c| Currency::from_code(&c).ok())) {
            (Some(cost), Some(currency)) => Some(Money::new(cost, currency)),
            _ => None,
        },
    )
}
