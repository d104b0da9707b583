//! WooCommerce's REST v3 order as it arrives (wire types), and its mapping into
//! [`StoreOrder`]. Fields: `shared/reference/protocols.md` §2.3.
//!
//! Only the fields dropflow uses are declared; the rest (order meta data, `_links`, taxes, ...)
//! is ignored. Required fields are `Option` here and checked in the mapping, so a missing one is
//! reported with its JSON path.

use crate::platforms::decode::{
    currency, display_text, join_names, money, money_or_zero, nonzero_id, opt_text, quantity,
    required, timestamp_utc_naive, DecimalText, ExternalId, NumberText,
};
use crate::platforms::PayloadError;
use chrono::{DateTime, Utc};
use dropflow_core::intake::{
    Customer, OrderAmounts, StoreCancellation, StoreOrder, StoreOrderLine,
};
use dropflow_core::money::Money;
use dropflow_core::payment::PaymentStatus;
use dropflow_core::reference::address::PostalAddress;
use dropflow_core::reference::currency::Currency;
use dropflow_core::variant::{self, VariantWord};
use serde::de::IgnoredAny;
use serde::Deserialize;

/// The order resource.
#[derive(Debug, Deserialize)]
#[serde(rename = "Order")]
pub(super) struct Order {
    id: Option<ExternalId>,
    /// The merchant-facing number: a string, equal to the id unless a plugin renumbers.
    number: Option<ExternalId>,
    status: Option<String>,
    currency: Option<String>,
    total: Option<DecimalText>,
    /// Shipping before its tax (`shipping_tax`), discounts before theirs (`discount_tax`);
    /// `total_tax` is every tax, lines and shipping.
    shipping_total: Option<DecimalText>,
    discount_total: Option<DecimalText>,
    total_tax: Option<DecimalText>,
    prices_include_tax: Option<bool>,
    customer_id: Option<ExternalId>,
    billing: Option<Billing>,
    shipping: Option<Shipping>,
    line_items: Option<Vec<LineItem>>,
    shipping_lines: Option<Vec<IgnoredAny>>,
    /// The order's refunds in brief (`[{id, reason, total}]`, totals negative): their ids say
    /// which to read back in full (`GET …/orders/{id}/refunds`).
    refunds: Option<Vec<RefundRef>>,
    /// `date_created` / `date_modified` are in the site's time zone without an offset; the
    /// `_gmt` twins are UTC (also without an offset), so only those are read.
    date_created_gmt: Option<String>,
    date_modified_gmt: Option<String>,
    // `date_paid` is deliberately not read: the status is the source of truth (see
    // `OrderStatus::payment_status`).
}

/// One entry of an order's `refunds`: only the id is read (the amounts and lines come from
/// the refund itself).
#[derive(Debug, Deserialize)]
struct RefundRef {
    id: Option<ExternalId>,
}

/// Just the id: the whole body of `order.deleted`.
#[derive(Debug, Deserialize)]
pub(super) struct OrderRef {
    id: Option<ExternalId>,
}

#[derive(Debug, Deserialize)]
struct Billing {
    #[serde(default, deserialize_with = "opt_text")]
    first_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    last_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    email: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    phone: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Shipping {
    #[serde(default, deserialize_with = "opt_text")]
    first_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    last_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    company: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    address_1: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    address_2: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    city: Option<String>,
    /// WooCommerce stores the state *code* ("CA", "RJ").
    #[serde(default, deserialize_with = "opt_text")]
    state: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    postcode: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    country: Option<String>,
    /// Only in WooCommerce 5.6 and later.
    #[serde(default, deserialize_with = "opt_text")]
    phone: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LineItem {
    id: Option<ExternalId>,
    #[serde(default, deserialize_with = "opt_text")]
    name: Option<String>,
    product_id: Option<ExternalId>,
    variation_id: Option<ExternalId>,
    quantity: Option<i64>,
    /// Line total before coupon discounts, as a decimal string.
    subtotal: Option<DecimalText>,
    /// A JSON number (`3`, `21.99`): the line `total / quantity`, i.e. after discounts.
    price: Option<NumberText>,
    #[serde(default, deserialize_with = "opt_text")]
    sku: Option<String>,
    /// The line's meta: the chosen variation's attributes and what plugins add. Since
    /// WooCommerce 4.x each entry carries `display_key` and `display_value` beside `key` and
    /// `value` (`{"key": "pa_color", "value": "black", "display_key": "Color",
    /// "display_value": "Black"}`): WC_REST_Orders_V2_Controller::get_order_item_data merges
    /// them in from `get_all_formatted_meta_data`, defaulting to the raw key and value
    /// (woocommerce/woocommerce, includes/rest-api/Controllers/Version2/
    /// class-wc-rest-orders-v2-controller.php, `merge_meta_item_with_formatted_meta_display_attributes`).
    /// The 3.x docs example has only `key`/`value` (`pa_color` "black", `size` "M Test").
    /// Read leniently: it only helps a person, so an odd shape is left out.
    #[serde(default)]
    meta_data: serde_json::Value,
}

/// WooCommerce's order statuses, plus what may come that we do not know (stores and plugins
/// register their own statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrderStatus {
    Pending,
    OnHold,
    Processing,
    Completed,
    Refunded,
    Failed,
    Cancelled,
    Trash,
    CheckoutDraft,
    Unknown,
}

impl OrderStatus {
    fn parse(status: Option<&str>) -> OrderStatus {
        // Statuses arrive without the `wc-` prefix they have in the database; accept both.
        let status = status
            .map(|s| s.trim())
            .map(|s| s.strip_prefix("wc-").unwrap_or(s));
        match status {
            Some("pending") => OrderStatus::Pending,
            Some("on-hold") => OrderStatus::OnHold,
            Some("processing") => OrderStatus::Processing,
            Some("completed") => OrderStatus::Completed,
            Some("refunded") => OrderStatus::Refunded,
            Some("failed") => OrderStatus::Failed,
            Some("cancelled") => OrderStatus::Cancelled,
            Some("trash") => OrderStatus::Trash,
            Some("checkout-draft") => OrderStatus::CheckoutDraft,
            Some(_) | None => OrderStatus::Unknown,
        }
    }

    /// The status alone decides payment, not `date_paid`. `date_paid` is a record that
    /// payment was once noted: it is not cleared when a merchant moves an order back to
    /// pending (e.g. a bank transfer that bounced), and it can be written by hand or by a
    /// plugin. The status is what WooCommerce itself acts on, so a `date_paid` next to status
    /// `pending` is still Pending: buying from a supplier on it could spend money not held.
    fn payment_status(self) -> PaymentStatus {
        match self {
            // Awaiting payment (order placed, gateway not confirmed yet).
            OrderStatus::Pending => PaymentStatus::Pending,
            // Awaiting a manual payment (bank transfer, cheque) the merchant must confirm.
            OrderStatus::OnHold => PaymentStatus::Pending,
            // Payment received, awaiting fulfilment: the normal state for dropshipping.
            OrderStatus::Processing => PaymentStatus::Paid,
            // Fulfilled; payment was received before.
            OrderStatus::Completed => PaymentStatus::Paid,
            OrderStatus::Refunded => PaymentStatus::Refunded,
            // The payment failed or was declined: no money is coming for this attempt.
            OrderStatus::Failed => PaymentStatus::Voided,
            // Cancelled and trashed orders may or may not have been paid; the cancellation
            // (below) is what stops the order, and Pending never buys anything.
            OrderStatus::Cancelled | OrderStatus::Trash => PaymentStatus::Pending,
            // A block-checkout cart not yet submitted.
            OrderStatus::CheckoutDraft => PaymentStatus::Pending,
            // A status we do not understand must never let us spend money on the order.
            OrderStatus::Unknown => PaymentStatus::Pending,
        }
    }

    fn cancellation_reason(self) -> Option<&'static str> {
        match self {
            OrderStatus::Cancelled => Some("cancelled in store"),
            OrderStatus::Trash => Some("trashed in store"),
            OrderStatus::Pending
            | OrderStatus::OnHold
            | OrderStatus::Processing
            | OrderStatus::Completed
            | OrderStatus::Refunded
            | OrderStatus::Failed
            | OrderStatus::CheckoutDraft
            | OrderStatus::Unknown => None,
        }
    }
}

pub(super) fn order_ref_id(order: OrderRef) -> Result<String, PayloadError> {
    Ok(required(order.id, "id")?.0)
}

/// Maps a decoded order into our normalised order, checking every field we rely on.
pub(super) fn to_store_order(order: Order) -> Result<StoreOrder, PayloadError> {
    let id = required(order.id, "id")?.0;
    // `number` defaults to the id in WooCommerce itself, so it is a faithful fallback.
    let name = format!("#{}", order.number.map_or_else(|| id.clone(), |n| n.0));
    let currency = currency(&required(order.currency, "currency")?, "currency")?;
    let total = money(&required(order.total, "total")?.0, currency, "total")?;
    let amounts = OrderAmounts {
        shipping: money_or_zero(order.shipping_total, currency, "shipping_total")?,
        discounts: money_or_zero(order.discount_total, currency, "discount_total")?,
        taxes: money_or_zero(order.total_tax, currency, "total_tax")?,
        taxes_included: order.prices_include_tax.unwrap_or(false),
    };

    let status = OrderStatus::parse(order.status.as_deref());
    let mut payment_status = status.payment_status();
    // A partial refund leaves the status at processing/completed and adds an entry to
    // `refunds`; a full refund moves the status to `refunded`, handled above.
    let refund_ids: Vec<String> = order
        .refunds
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.id.map(|id| id.0))
        .collect();
    if payment_status == PaymentStatus::Paid && !refund_ids.is_empty() {
        payment_status = PaymentStatus::PartiallyRefunded;
    }
    let cancellation = status
        .cancellation_reason()
        .map(|reason| StoreCancellation {
            reason: Some(reason.to_string()),
            // WooCommerce records no cancellation time; `date_modified` is only an upper bound
            // (any later edit moves it), so we do not pretend to know.
            cancelled_at: None,
        });

    let billing_phone = order.billing.as_ref().and_then(|b| b.phone.clone());
    let shipping_address = order.shipping.and_then(|s| to_address(s, billing_phone));
    // Woo line items do not say whether they ship. Woo itself only adds shipping lines and a
    // shipping address when the cart needs shipping, so an order with neither is taken as
    // all-virtual/downloadable; anything else is treated as all-shipping, the side on which
    // an address gets checked rather than skipped.
    let ships = order.shipping_lines.is_some_and(|l| !l.is_empty()) || shipping_address.is_some();

    let lines = required(order.line_items, "line_items")?
        .into_iter()
        .enumerate()
        .map(|(i, line)| to_line(line, &format!("line_items[{i}]"), currency, ships))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(StoreOrder {
        external_id: id,
        name,
        currency,
        total,
        amounts,
        payment_status,
        cancellation,
        customer: to_customer(nonzero_id(order.customer_id), order.billing),
        shipping_address,
        lines,
        created_at: opt_timestamp(order.date_created_gmt, "date_created_gmt")?,
        updated_at: opt_timestamp(order.date_modified_gmt, "date_modified_gmt")?,
        refund_ids,
    })
}

fn opt_timestamp(text: Option<String>, path: &str) -> Result<Option<DateTime<Utc>>, PayloadError> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| timestamp_utc_naive(&t, path))
        .transpose()
}

fn to_line(
    line: LineItem,
    path: &str,
    currency: Currency,
    requires_shipping: bool,
) -> Result<StoreOrderLine, PayloadError> {
    let id = required(line.id, format!("{path}.id"))?;
    let title = required(line.name, format!("{path}.name"))?;
    let qty_path = format!("{path}.quantity");
    let quantity = quantity(required(line.quantity, qty_path.as_str())?, &qty_path)?;
    let unit_price = unit_price(line.subtotal, line.price, quantity, currency, path)?;
    Ok(StoreOrderLine {
        external_id: id.0,
        product_id: nonzero_id(line.product_id),
        variant_id: nonzero_id(line.variation_id),
        sku: line.sku,
        title,
        quantity,
        unit_price,
        requires_shipping,
        variant_words: variant_words(&line.meta_data),
    })
}

/// The line's visible meta in words: hidden keys (`_reduced_stock`, plugins' `_…`) left out,
/// WooCommerce's display name and value where it sends them, else the raw ones (a global
/// attribute's `pa_` taxonomy prefix dropped: `pa_color` → `color`).
fn variant_words(meta_data: &serde_json::Value) -> Vec<VariantWord> {
    let words = meta_data.as_array().into_iter().flatten().filter_map(|m| {
        let key = m.get("key").and_then(display_text)?;
        if variant::is_private(&key) {
            return None;
        }
        let name = m
            .get("display_key")
            .and_then(display_text)
            .unwrap_or_else(|| key.strip_prefix("pa_").unwrap_or(&key).to_string());
        let value = m
            .get("display_value")
            .and_then(display_text)
            .or_else(|| m.get("value").and_then(display_text))?;
        VariantWord::new(Some(&name), &value)
    });
    variant::bounded(words)
}

/// The unit price.
///
/// Preferred: the string `subtotal` (line total before coupons) divided by the quantity, when
/// it divides into whole minor units. That is the list unit price, the same meaning as
/// Shopify's line `price`, and it never passed through a float.
///
/// Next: the `price` number, written as serde_json's shortest text (`21.99`) and parsed as a
/// decimal, when that is whole minor units.
///
/// Last resort, an uneven split (10.00 for 3): the subtotal divided by the quantity, rounded
/// half away from zero to the minor unit. Rejecting it would lose a real order (WooCommerce
/// never retries, and disables a webhook after 5 failures), and the store shows the same
/// rounded unit price.
fn unit_price(
    subtotal: Option<DecimalText>,
    price: Option<NumberText>,
    quantity: u32,
    currency: Currency,
    path: &str,
) -> Result<Money, PayloadError> {
    let qty = i64::from(quantity);
    let line = match subtotal {
        Some(DecimalText(subtotal)) => {
            let line = money(&subtotal, currency, &format!("{path}.subtotal"))?;
            if line.minor % qty == 0 {
                return Ok(Money::new(line.minor / qty, currency));
            }
            Some(line)
        }
        None => None,
    };
    let price_path = format!("{path}.price");
    match (money_from_price(price, currency, &price_path), line) {
        (Ok(unit), _) => Ok(unit),
        (Err(_), Some(line)) => {
            let doubled = 2 * line.minor;
            Ok(Money::new(
                (doubled + doubled.signum() * qty) / (2 * qty),
                currency,
            ))
        }
        (Err(error), None) => Err(error),
    }
}

fn money_from_price(
    price: Option<NumberText>,
    currency: Currency,
    path: &str,
) -> Result<Money, PayloadError> {
    let NumberText(text) = required(price, path)?;
    money(&text, currency, path)
}

fn to_customer(external_id: Option<String>, billing: Option<Billing>) -> Option<Customer> {
    let customer = match billing {
        Some(b) => Customer {
            external_id,
            email: b.email,
            first_name: b.first_name,
            last_name: b.last_name,
            phone: b.phone,
        },
        None => Customer {
            external_id,
            ..Customer::default()
        },
    };
    (customer != Customer::default()).then_some(customer)
}

/// `None` when WooCommerce sent the empty shipping block it sends for orders with nothing to
/// ship (every field `""`).
fn to_address(s: Shipping, billing_phone: Option<String>) -> Option<PostalAddress> {
    let has_location = s.address_1.is_some()
        || s.address_2.is_some()
        || s.city.is_some()
        || s.postcode.is_some()
        || s.country.is_some();
    if !has_location {
        return None;
    }
    Some(PostalAddress {
        name: join_names(s.first_name.as_deref(), s.last_name.as_deref()),
        company: s.company,
        address1: s.address_1,
        address2: s.address_2,
        city: s.city,
        province: None,
        province_code: s.state,
        postal_code: s.postcode,
        country_code: s.country,
        // Before WooCommerce 5.6 the shipping block had no phone; the billing phone is the
        // only number the customer gave, and couriers (and most suppliers) need one.
        phone: s.phone.or(billing_phone),
    })
}
