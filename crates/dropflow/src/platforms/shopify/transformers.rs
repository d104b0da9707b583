//! Shopify's REST Order resource as it arrives (wire types), and its mapping into
//! [`StoreOrder`]. Field names and meanings: `shared/reference/protocols.md` §1.5.
//!
//! Only the fields dropflow uses are declared; serde ignores the rest, so new fields Shopify
//! adds in later API versions never break parsing. Required fields are `Option` here and
//! checked in the mapping, so a missing one is reported with its JSON path.

use crate::platforms::decode::{
    self, currency, display_text, join_names, money, money_or_zero, opt_text, quantity, required,
    timestamp_with_offset, DecimalText, ExternalId,
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

/// The Order resource (webhook body of `orders/create`, `orders/updated`, `orders/paid`,
/// `orders/cancelled`).
#[derive(Debug, Deserialize)]
#[serde(rename = "Order")]
pub(super) struct Order {
    id: Option<ExternalId>,
    #[serde(default, deserialize_with = "opt_text")]
    name: Option<String>,
    order_number: Option<ExternalId>,
    #[serde(default, deserialize_with = "opt_text")]
    email: Option<String>,
    /// Newer API versions; the address the customer gave at checkout.
    #[serde(default, deserialize_with = "opt_text")]
    contact_email: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    phone: Option<String>,
    /// The shop currency: every plain amount (`total_price`, line `price`) is in it. The
    /// customer's `presentment_currency` only appears inside the `*_set` money bags.
    currency: Option<String>,
    /// The order total as placed. Later refunds and edits show in `current_total_price`; the
    /// placed total is what the customer agreed to pay, so that is the one we keep.
    total_price: Option<DecimalText>,
    /// Shipping charged before shipping discounts, as a money bag (REST 2019-10 on); older
    /// payloads have only the `shipping_lines`.
    total_shipping_price_set: Option<MoneySet>,
    shipping_lines: Option<Vec<ShippingLine>>,
    total_discounts: Option<DecimalText>,
    total_tax: Option<DecimalText>,
    /// Whether `total_tax` is inside the line and shipping prices (`false`: on top of them).
    taxes_included: Option<bool>,
    financial_status: Option<String>,
    cancelled_at: Option<String>,
    cancel_reason: Option<String>,
    customer: Option<WireCustomer>,
    shipping_address: Option<WireAddress>,
    line_items: Option<Vec<LineItem>>,
    created_at: Option<String>,
    updated_at: Option<String>,
    /// Present only when someone passed a REST response (`{"order": {…}}`) instead of a
    /// webhook body; used to say so in the error.
    order: Option<IgnoredAny>,
}

/// A `*_set` money bag: the amount in the shop currency and in the customer's.
#[derive(Debug, Deserialize)]
struct MoneySet {
    shop_money: Option<MoneyBagAmount>,
}

#[derive(Debug, Deserialize)]
struct MoneyBagAmount {
    amount: Option<DecimalText>,
    currency_code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ShippingLine {
    /// The shipping line's price before discounts, in the shop currency.
    price: Option<DecimalText>,
}

#[derive(Debug, Deserialize)]
struct WireCustomer {
    id: Option<ExternalId>,
    #[serde(default, deserialize_with = "opt_text")]
    email: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    first_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    last_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    phone: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireAddress {
    #[serde(default, deserialize_with = "opt_text")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    first_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    last_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    company: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    address1: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    address2: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    city: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    province: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    province_code: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    zip: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    country_code: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    phone: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LineItem {
    id: Option<ExternalId>,
    /// `null` for custom line items (no product in the catalogue).
    product_id: Option<ExternalId>,
    variant_id: Option<ExternalId>,
    #[serde(default, deserialize_with = "opt_text")]
    sku: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    name: Option<String>,
    quantity: Option<i64>,
    /// The quantity after removals by order edits and refunds (REST 2024-01 on; `quantity`
    /// stays what was first ordered). A line removed by an edit stays with `0` here.
    /// https://shopify.dev/changelog/addition-of-lineitem-current_quantity-on-admin-rest-api
    current_quantity: Option<i64>,
    /// Unit price before discounts, in the shop currency.
    price: Option<DecimalText>,
    requires_shipping: Option<bool>,
    /// The chosen variant's option values joined by " / " ("Red / L"); the option *names*
    /// are not in the Order resource. Shopify's own fixtures: `"variant_title": "green"`
    /// (shopify_python_api test/fixtures/order.json), `""` for a product without options
    /// (shopify-api-ruby test/fixtures/order_with_properties.json). Read leniently: it only
    /// helps a person, so an odd shape is left out rather than refusing the order.
    #[serde(default)]
    variant_title: serde_json::Value,
    /// Line item properties the customer filled in at the storefront (an engraving):
    /// `[{"name": "Custom Engraving", "value": "Happy Birthday"}]` in the same fixtures; a
    /// value may even be an object there, which is not words and is left out.
    #[serde(default)]
    properties: serde_json::Value,
}

/// Shopify's `financial_status`: the values the REST Order docs list, which [`PaymentStatus`]
/// names one for one, plus what may come that we do not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FinancialStatus {
    Listed(PaymentStatus),
    /// GraphQL's `EXPIRED` display status (an authorization that lapsed uncaptured); may show
    /// in REST payloads of newer API versions.
    Expired,
    /// Absent, `null`, or a value not listed in the REST Order docs.
    Unknown,
}

impl FinancialStatus {
    fn parse(status: Option<&str>) -> FinancialStatus {
        let listed = match status.map(str::trim) {
            Some("pending") => PaymentStatus::Pending,
            Some("authorized") => PaymentStatus::Authorized,
            Some("partially_paid") => PaymentStatus::PartiallyPaid,
            Some("paid") => PaymentStatus::Paid,
            Some("partially_refunded") => PaymentStatus::PartiallyRefunded,
            Some("refunded") => PaymentStatus::Refunded,
            Some("voided") => PaymentStatus::Voided,
            Some("expired") => return FinancialStatus::Expired,
            Some(_) | None => return FinancialStatus::Unknown,
        };
        FinancialStatus::Listed(listed)
    }

    fn payment_status(self) -> PaymentStatus {
        match self {
            FinancialStatus::Listed(status) => status,
            // The authorization lapsed: the money is no longer guaranteed, but nothing was
            // reversed either (the merchant may charge again), so it is back to waiting.
            FinancialStatus::Expired => PaymentStatus::Pending,
            // A status we do not understand must never let us spend money on the order:
            // Pending is the state in which nothing is bought and nothing is undone.
            FinancialStatus::Unknown => PaymentStatus::Pending,
        }
    }
}

/// Maps a decoded Order into our normalised order, checking every field we rely on.
pub(super) fn to_store_order(order: Order) -> Result<StoreOrder, PayloadError> {
    let Some(id) = order.id else {
        if order.order.is_some() {
            return Err(decode::invalid(
                "(body)",
                "this is a REST response wrapped in {\"order\": …}; a webhook body is the bare order",
            ));
        }
        return Err(PayloadError::Missing { path: "id".into() });
    };
    let name = match (order.name, order.order_number) {
        (Some(name), _) => name,
        (None, Some(number)) => format!("#{}", number.0),
        (None, None) => {
            return Err(PayloadError::Missing {
                path: "name".into(),
            })
        }
    };
    let currency = currency(&required(order.currency, "currency")?, "currency")?;
    let total = money(
        &required(order.total_price, "total_price")?.0,
        currency,
        "total_price",
    )?;
    let amounts = OrderAmounts {
        shipping: shipping(
            order.total_shipping_price_set,
            order.shipping_lines,
            currency,
        )?,
        discounts: money_or_zero(order.total_discounts, currency, "total_discounts")?,
        taxes: money_or_zero(order.total_tax, currency, "total_tax")?,
        taxes_included: order.taxes_included.unwrap_or(false),
    };

    let cancellation = match order.cancelled_at {
        // `cancel_reason` without `cancelled_at` is not a cancellation (Shopify keeps the
        // reason after an un-cancel in some flows); the timestamp is the signal.
        Some(at) => Some(StoreCancellation {
            reason: order.cancel_reason.filter(|r| !r.trim().is_empty()),
            cancelled_at: Some(timestamp_with_offset(&at, "cancelled_at")?),
        }),
        None => None,
    };

    let lines = required(order.line_items, "line_items")?
        .into_iter()
        .enumerate()
        .map(|(i, line)| to_line(line, &format!("line_items[{i}]"), currency))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(StoreOrder {
        external_id: id.0,
        name,
        currency,
        total,
        amounts,
        payment_status: FinancialStatus::parse(order.financial_status.as_deref()).payment_status(),
        cancellation,
        customer: to_customer(
            order.customer,
            order.email.or(order.contact_email),
            order.phone,
        ),
        shipping_address: order.shipping_address.map(to_address),
        lines,
        created_at: opt_timestamp(order.created_at, "created_at")?,
        updated_at: opt_timestamp(order.updated_at, "updated_at")?,
        // Shopify tells each refund on its own (`refunds/create`).
        refund_ids: Vec::new(),
    })
}

/// The shipping charged: the shop-money amount of `total_shipping_price_set`, else (payloads
/// older than the money bags) the sum of the shipping lines' prices; neither → zero.
fn shipping(
    set: Option<MoneySet>,
    lines: Option<Vec<ShippingLine>>,
    currency: Currency,
) -> Result<Money, PayloadError> {
    const SET: &str = "total_shipping_price_set.shop_money";
    if let Some(bag) = set.and_then(|s| s.shop_money) {
        if let Some(code) = bag.currency_code.filter(|c| c.trim() != currency.code()) {
            return Err(decode::invalid(
                format!("{SET}.currency_code"),
                format!("{code} is not the order currency {}", currency.code()),
            ));
        }
        if let Some(DecimalText(amount)) = bag.amount {
            return money(&amount, currency, &format!("{SET}.amount"));
        }
    }
    let mut total = Money::zero(currency);
    for (i, line) in lines.into_iter().flatten().enumerate() {
        let path = format!("shipping_lines[{i}].price");
        let price = money_or_zero(line.price, currency, &path)?;
        total.minor = total
            .minor
            .checked_add(price.minor)
            .ok_or_else(|| decode::invalid(&path, "the shipping lines add up to too much"))?;
    }
    Ok(total)
}

fn opt_timestamp(text: Option<String>, path: &str) -> Result<Option<DateTime<Utc>>, PayloadError> {
    text.map(|t| timestamp_with_offset(&t, path)).transpose()
}

fn to_line(line: LineItem, path: &str, currency: Currency) -> Result<StoreOrderLine, PayloadError> {
    let id = required(line.id, format!("{path}.id"))?;
    // `title` is the product's title; `name` adds the variant ("IPod Nano - 8gb - green").
    // Either identifies the line for a human; the variant id identifies it for machines.
    let title = required(line.title.or(line.name), format!("{path}.title"))?;
    let qty_path = format!("{path}.quantity");
    let ordered = quantity(required(line.quantity, qty_path.as_str())?, &qty_path)?;
    // What the customer still gets: the current quantity where the version sends it (0 for a
    // removed line, which stays in the payload), else the ordered one.
    let quantity = match line.current_quantity {
        None => ordered,
        Some(current) if (0..=i64::from(ordered)).contains(&current) => {
            u32::try_from(current).unwrap_or(ordered)
        }
        Some(current) => {
            return Err(decode::invalid(
                format!("{path}.current_quantity"),
                format!("must be between 0 and the ordered quantity {ordered}, got {current}"),
            ))
        }
    };
    let price_path = format!("{path}.price");
    let unit_price = money(
        &required(line.price, price_path.as_str())?.0,
        currency,
        &price_path,
    )?;
    Ok(StoreOrderLine {
        external_id: id.0,
        product_id: line.product_id.map(|p| p.0),
        variant_id: line.variant_id.map(|v| v.0),
        // Shopify sends `""` for products without a SKU; `opt_text` already made that None.
        sku: line.sku,
        title,
        quantity,
        unit_price,
        // Absent only in trimmed payloads (`include_fields`); assuming shipping is the safe
        // side: an address is then checked rather than skipped.
        requires_shipping: line.requires_shipping.unwrap_or(true),
        variant_words: variant_words(&line.variant_title, &line.properties),
    })
}

/// The variant title Shopify gives every product without options: no choice was made.
const DEFAULT_VARIANT_TITLE: &str = "Default Title";

/// The chosen variant (its title, unnamed: the webhook has no option names) and the
/// customer's properties, private ones (`_name`) left out.
fn variant_words(
    variant_title: &serde_json::Value,
    properties: &serde_json::Value,
) -> Vec<VariantWord> {
    let title = display_text(variant_title)
        .filter(|t| t.trim() != DEFAULT_VARIANT_TITLE)
        .and_then(|t| VariantWord::new(None, &t));
    let properties = properties.as_array().into_iter().flatten().filter_map(|p| {
        let name = p.get("name").and_then(display_text)?;
        if variant::is_private(&name) {
            return None;
        }
        VariantWord::new(Some(&name), &display_text(p.get("value")?)?)
    });
    variant::bounded(title.into_iter().chain(properties))
}

/// The order-level `email`/`phone` fill in what the customer record lacks (and stand in for
/// it when `customer` is null, e.g. guest checkouts or apps without customer-data access).
fn to_customer(
    customer: Option<WireCustomer>,
    email: Option<String>,
    phone: Option<String>,
) -> Option<Customer> {
    let mapped = match customer {
        Some(c) => Customer {
            external_id: c.id.map(|id| id.0),
            email: c.email.or(email),
            first_name: c.first_name,
            last_name: c.last_name,
            phone: c.phone.or(phone),
        },
        None => Customer {
            email,
            phone,
            ..Customer::default()
        },
    };
    (mapped != Customer::default()).then_some(mapped)
}

fn to_address(a: WireAddress) -> PostalAddress {
    PostalAddress {
        name: a
            .name
            .or_else(|| join_names(a.first_name.as_deref(), a.last_name.as_deref())),
        company: a.company,
        address1: a.address1,
        address2: a.address2,
        city: a.city,
        province: a.province,
        province_code: a.province_code,
        postal_code: a.zip,
        country_code: a.country_code,
        phone: a.phone,
    }
}
