//! The mails' words: one data struct per mail, a text and an HTML template for each
//! (`crates/dropflow/templates/mail/*.{txt,html}`), and the subject, which always names the
//! order.
//!
//! Why askama rather than minijinja: the templates are compiled into the binary and checked
//! against these structs at build time (a misspelt field is a compile error, not a blank in a
//! customer's mail), and escaping follows the file's extension, so every value in an `.html`
//! template is HTML-escaped unless a template says otherwise (none does). It is also the
//! engine issue 5 names for the dashboard, so the project keeps one template language.
//!
//! Adding a mail (the warehouse mails of a later issue — parcel arrived and inspected, ready
//! for international shipping with its fee options — go this way): a data struct here, a
//! variant in [`MailBody`] and in [`super::MailKind`], a pair of templates through
//! `mail_templates!`, a subject in [`MailBody::subject`], and the event that calls for it in
//! [`super::notifications_for`].

use super::MailKind;
use askama::Template;

/// A parcel's tracking, as mails show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingInfo {
    pub number: String,
    /// The courier's name, when known.
    pub carrier: Option<String>,
    /// A page where the parcel can be followed.
    pub url: Option<String>,
}

/// One order line, as the new-order mail lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSummary {
    pub title: String,
    pub quantity: i64,
}

/// To the merchant: an order arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub order_name: String,
    pub store: String,
    pub customer_name: Option<String>,
    pub lines: Vec<LineSummary>,
    /// Formatted with its currency (`Money`'s `Display`).
    pub total: Option<String>,
}

/// To the merchant: a supplier shipped (domestic tracking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierShipped {
    pub order_name: String,
    pub supplier: String,
    pub tracking: TrackingInfo,
}

/// To the merchant: paying a supplier failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFailed {
    pub order_name: String,
    pub supplier: String,
    /// What the supplier order costs, formatted with its currency.
    pub amount: Option<String>,
    /// The balance was too low (the merchant should top up, then Pay).
    pub insufficient_balance: bool,
    pub reason: String,
}

/// To the merchant: a person must act on an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsAttention {
    pub order_name: String,
    pub reason: String,
}

/// To the customer: the order is on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipped {
    pub order_name: String,
    pub store: String,
    pub customer_name: Option<String>,
    pub tracking: TrackingInfo,
}

/// To the customer: the order arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub order_name: String,
    pub store: String,
    pub customer_name: Option<String>,
    pub tracking_number: Option<String>,
}

/// To the merchant: every item arrived at the warehouse and passed inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivedInspected {
    pub order_name: String,
    pub lines: Vec<LineSummary>,
}

/// One carrier the merchant may choose for a repacked parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeOption {
    pub carrier: String,
    pub service: String,
    /// The shipping fee, formatted with its currency.
    pub price: String,
    pub days_min: u32,
    pub days_max: u32,
}

/// To the merchant: the parcel is repacked and waits for a carrier and its fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyToShip {
    pub order_name: String,
    /// What was packed (weight, size, branding), as the warehouse recorded it.
    pub packing: String,
    pub options: Vec<FeeOption>,
}

/// One item handed to a manual vendor, with what seed 001 says they are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorLine {
    pub title: String,
    /// Units to buy.
    pub quantity: i64,
    /// The customer's chosen variant in words ("Color: Red · Size: L"); empty when none.
    pub variant: String,
    /// What the merchant pays for these units, formatted with its currency ("8.40 USD").
    pub cost: String,
    /// The supplier's product page (an `https` address), when the mapping gives one.
    pub supplier_link: Option<String>,
}

/// To a manual vendor: an order was handed to them to buy and ship by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorOrder {
    pub order_name: String,
    pub store: String,
    /// It goes straight to the customer under the merchant's store (the "Dropship" badge).
    pub dropship: bool,
    /// Only the items routed to this vendor.
    pub lines: Vec<VendorLine>,
    /// Where to send it, one label line per row.
    pub ship_to: Vec<String>,
}

/// To a manual vendor: an order they were handed changed (or was cancelled) in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorChange {
    pub order_name: String,
    pub store: String,
    /// What changed, in the merchant's words ("cancelled in the store after …").
    pub what: String,
    /// Their lines as bought (empty once their purchase is cancelled).
    pub lines: Vec<LineSummary>,
    /// Where it goes now.
    pub ship_to: Vec<String>,
}

/// To the customer: their after-sale request was received; with how to send the goods back
/// when they must come back. One mail rather than a second "return instructions" mail: both
/// answer the same event at the same moment, and a customer who reads only one of two mails
/// would miss either the request's acknowledgement or where to send the parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseReceived {
    pub order_name: String,
    pub store: String,
    pub customer_name: Option<String>,
    /// The units the request is about.
    pub lines: Vec<LineSummary>,
    /// What the merchant does for the customer, in words ("a refund of 9.00 USD, once the
    /// items are back").
    pub next: String,
    /// The goods must come back.
    pub send_back: bool,
    /// Where to (label lines); empty while the merchant has not given one: the mail then
    /// says the address will follow, never a made-up one.
    pub return_address: Vec<String>,
}

/// To the customer: a refund was issued for their request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundIssued {
    pub order_name: String,
    pub store: String,
    pub customer_name: Option<String>,
    /// As the case records it, with its currency ("9.00 USD"); none when it records none.
    pub amount: Option<String>,
}

/// To the customer: the replacement for their request is on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacementShipped {
    pub order_name: String,
    pub store: String,
    pub customer_name: Option<String>,
    pub tracking: Option<TrackingInfo>,
}

/// To the customer: their request was declined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDeclined {
    pub order_name: String,
    pub store: String,
    pub customer_name: Option<String>,
    /// The merchant's note, as written when declining.
    pub note: String,
}

/// What a mail says, before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailBody {
    NewOrder(NewOrder),
    SupplierShipped(SupplierShipped),
    PaymentFailed(PaymentFailed),
    NeedsAttention(NeedsAttention),
    Shipped(Shipped),
    Delivered(Delivered),
    ArrivedInspected(ArrivedInspected),
    ReadyToShip(ReadyToShip),
    VendorOrder(VendorOrder),
    VendorChange(VendorChange),
    CaseReceived(CaseReceived),
    RefundIssued(RefundIssued),
    ReplacementShipped(ReplacementShipped),
    CaseDeclined(CaseDeclined),
}

/// A rendered mail.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

// Bodies carry names and addresses: never printed whole.
impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("subject_chars", &self.subject.chars().count())
            .field("text_bytes", &self.text.len())
            .field("html_bytes", &self.html.len())
            .finish()
    }
}

/// A text and an HTML template over the same data (`m`); the HTML one also gets the subject
/// as its page title.
macro_rules! mail_templates {
    ($data:ty, $text:ident = $text_path:literal, $html:ident = $html_path:literal) => {
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            m: &'a $data,
        }

        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            m: &'a $data,
            title: &'a str,
        }
    };
}

mail_templates!(
    NewOrder,
    NewOrderText = "mail/new_order.txt",
    NewOrderHtml = "mail/new_order.html"
);
mail_templates!(
    SupplierShipped,
    SupplierShippedText = "mail/supplier_shipped.txt",
    SupplierShippedHtml = "mail/supplier_shipped.html"
);
mail_templates!(
    PaymentFailed,
    PaymentFailedText = "mail/payment_failed.txt",
    PaymentFailedHtml = "mail/payment_failed.html"
);
mail_templates!(
    NeedsAttention,
    NeedsAttentionText = "mail/needs_attention.txt",
    NeedsAttentionHtml = "mail/needs_attention.html"
);
mail_templates!(
    Shipped,
    ShippedText = "mail/shipped.txt",
    ShippedHtml = "mail/shipped.html"
);
mail_templates!(
    Delivered,
    DeliveredText = "mail/delivered.txt",
    DeliveredHtml = "mail/delivered.html"
);
mail_templates!(
    ArrivedInspected,
    ArrivedInspectedText = "mail/arrived_inspected.txt",
    ArrivedInspectedHtml = "mail/arrived_inspected.html"
);
mail_templates!(
    ReadyToShip,
    ReadyToShipText = "mail/ready_to_ship.txt",
    ReadyToShipHtml = "mail/ready_to_ship.html"
);

mail_templates!(
    VendorChange,
    VendorChangeText = "mail/vendor_change.txt",
    VendorChangeHtml = "mail/vendor_change.html"
);

mail_templates!(
    VendorOrder,
    VendorOrderText = "mail/vendor_order.txt",
    VendorOrderHtml = "mail/vendor_order.html"
);

mail_templates!(
    CaseReceived,
    CaseReceivedText = "mail/case_received.txt",
    CaseReceivedHtml = "mail/case_received.html"
);
mail_templates!(
    RefundIssued,
    RefundIssuedText = "mail/refund_issued.txt",
    RefundIssuedHtml = "mail/refund_issued.html"
);
mail_templates!(
    ReplacementShipped,
    ReplacementShippedText = "mail/replacement_shipped.txt",
    ReplacementShippedHtml = "mail/replacement_shipped.html"
);
mail_templates!(
    CaseDeclined,
    CaseDeclinedText = "mail/case_declined.txt",
    CaseDeclinedHtml = "mail/case_declined.html"
);

impl MailBody {
    pub fn kind(&self) -> MailKind {
        match self {
            MailBody::NewOrder(_) => MailKind::NewOrder,
            MailBody::SupplierShipped(_) => MailKind::SupplierShipped,
            MailBody::PaymentFailed(_) => MailKind::PaymentFailed,
            MailBody::NeedsAttention(_) => MailKind::NeedsAttention,
            MailBody::Shipped(_) => MailKind::Shipped,
            MailBody::Delivered(_) => MailKind::Delivered,
            MailBody::ArrivedInspected(_) => MailKind::ArrivedInspected,
            MailBody::ReadyToShip(_) => MailKind::ReadyToShip,
            MailBody::VendorOrder(_) => MailKind::VendorOrder,
            MailBody::VendorChange(_) => MailKind::VendorChange,
            MailBody::CaseReceived(_) => MailKind::CaseReceived,
            MailBody::RefundIssued(_) => MailKind::RefundIssued,
            MailBody::ReplacementShipped(_) => MailKind::ReplacementShipped,
            MailBody::CaseDeclined(_) => MailKind::CaseDeclined,
        }
    }

    /// The subject line: always names the order; one line, whatever the data holds.
    pub fn subject(&self) -> String {
        let subject = match self {
            MailBody::NewOrder(m) => format!("New order {} from {}", m.order_name, m.store),
            MailBody::SupplierShipped(m) => format!(
                "Order {} shipped by {} (tracking {})",
                m.order_name, m.supplier, m.tracking.number
            ),
            MailBody::PaymentFailed(m) => match &m.amount {
                Some(amount) => format!(
                    "Payment failed for order {}: {} to {}",
                    m.order_name, amount, m.supplier
                ),
                None => format!(
                    "Payment failed for order {} to {}",
                    m.order_name, m.supplier
                ),
            },
            MailBody::NeedsAttention(m) => format!("Order {} needs attention", m.order_name),
            MailBody::Shipped(m) => format!("Your order {} has shipped", m.order_name),
            MailBody::Delivered(m) => format!("Your order {} has been delivered", m.order_name),
            MailBody::ArrivedInspected(m) => format!(
                "Order {} arrived at the warehouse and passed inspection",
                m.order_name
            ),
            MailBody::ReadyToShip(m) => format!(
                "Order {} is ready to ship: choose a carrier ({} options)",
                m.order_name,
                m.options.len()
            ),
            MailBody::VendorOrder(m) => {
                format!("Order {} from {} to fulfil", m.order_name, m.store)
            }
            MailBody::VendorChange(m) => {
                format!(
                    "Order {} from {} changed: check before you ship",
                    m.order_name, m.store
                )
            }
            MailBody::CaseReceived(m) if m.send_back => format!(
                "We received your request about order {}: how to send the items back",
                m.order_name
            ),
            MailBody::CaseReceived(m) => {
                format!("We received your request about order {}", m.order_name)
            }
            MailBody::RefundIssued(m) => match &m.amount {
                Some(amount) => format!("Refund of {} for order {} issued", amount, m.order_name),
                None => format!("Refund for order {} issued", m.order_name),
            },
            MailBody::ReplacementShipped(m) => {
                format!("The replacement for order {} has shipped", m.order_name)
            }
            MailBody::CaseDeclined(m) => {
                format!("Your request about order {}", m.order_name)
            }
        };
        one_line(&subject)
    }

    /// Subject, text and HTML.
    pub fn render(&self) -> Result<Rendered, askama::Error> {
        let subject = self.subject();
        let title = subject.as_str();
        let (text, html) = match self {
            MailBody::NewOrder(m) => (
                NewOrderText { m }.render()?,
                NewOrderHtml { m, title }.render()?,
            ),
            MailBody::SupplierShipped(m) => (
                SupplierShippedText { m }.render()?,
                SupplierShippedHtml { m, title }.render()?,
            ),
            MailBody::PaymentFailed(m) => (
                PaymentFailedText { m }.render()?,
                PaymentFailedHtml { m, title }.render()?,
            ),
            MailBody::NeedsAttention(m) => (
                NeedsAttentionText { m }.render()?,
                NeedsAttentionHtml { m, title }.render()?,
            ),
            MailBody::Shipped(m) => (
                ShippedText { m }.render()?,
                ShippedHtml { m, title }.render()?,
            ),
            MailBody::Delivered(m) => (
                DeliveredText { m }.render()?,
                DeliveredHtml { m, title }.render()?,
            ),
            MailBody::ArrivedInspected(m) => (
                ArrivedInspectedText { m }.render()?,
                ArrivedInspectedHtml { m, title }.render()?,
            ),
            MailBody::ReadyToShip(m) => (
                ReadyToShipText { m }.render()?,
                ReadyToShipHtml { m, title }.render()?,
            ),
            MailBody::VendorOrder(m) => (
                VendorOrderText { m }.render()?,
                VendorOrderHtml { m, title }.render()?,
            ),
            MailBody::VendorChange(m) => (
                VendorChangeText { m }.render()?,
                VendorChangeHtml { m, title }.render()?,
            ),
            MailBody::CaseReceived(m) => (
                CaseReceivedText { m }.render()?,
                CaseReceivedHtml { m, title }.render()?,
            ),
            MailBody::RefundIssued(m) => (
                RefundIssuedText { m }.render()?,
                RefundIssuedHtml { m, title }.render()?,
            ),
            MailBody::ReplacementShipped(m) => (
                ReplacementShippedText { m }.render()?,
                ReplacementShippedHtml { m, title }.render()?,
            ),
            MailBody::CaseDeclined(m) => (
                CaseDeclinedText { m }.render()?,
                CaseDeclinedHtml { m, title }.render()?,
            ),
        };
        Ok(Rendered {
            subject,
            text: tidy_text(&text),
            html,
        })
    }
}

/// Control characters (a newline in an order name) become spaces: a subject is one line.
fn one_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.trim().to_string()
}

/// Text bodies: at most one blank line in a row, no trailing spaces, ends with a newline.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = true;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if !blank {
                out.push('\n');
            }
            blank = true;
        } else {
            out.push_str(line);
            out.push('\n');
            blank = false;
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn tracking() -> TrackingInfo {
        TrackingInfo {
            number: "LP00123456789012".into(),
            carrier: Some("Cainiao".into()),
            url: Some("https://t.17track.net/en#nums=LP00123456789012".into()),
        }
    }

    /// One of each mail, with markup in every field a person or store can fill.
    pub fn every_mail() -> Vec<MailBody> {
        let name = Some("Ana <b>Bold</b> & Co".to_string());
        vec![
            MailBody::NewOrder(NewOrder {
                order_name: "#1001".into(),
                store: "shop<script>".into(),
                customer_name: name.clone(),
                lines: vec![LineSummary {
                    title: "Mug <i>".into(),
                    quantity: 2,
                }],
                total: Some("24.90 USD".into()),
            }),
            MailBody::SupplierShipped(SupplierShipped {
                order_name: "#1001".into(),
                supplier: "aliexpress".into(),
                tracking: tracking(),
            }),
            MailBody::PaymentFailed(PaymentFailed {
                order_name: "#1001".into(),
                supplier: "cj".into(),
                amount: Some("12.34 USD".into()),
                insufficient_balance: true,
                reason: "insufficient balance".into(),
            }),
            MailBody::NeedsAttention(NeedsAttention {
                order_name: "#1001".into(),
                reason: "No tracking 7 days after payment <late>".into(),
            }),
            MailBody::Shipped(Shipped {
                order_name: "#1001".into(),
                store: "Shop".into(),
                customer_name: name.clone(),
                tracking: tracking(),
            }),
            MailBody::Delivered(Delivered {
                order_name: "#1001".into(),
                store: "Shop".into(),
                customer_name: name,
                tracking_number: Some("LP00123456789012".into()),
            }),
            MailBody::ArrivedInspected(ArrivedInspected {
                order_name: "#1001".into(),
                lines: vec![LineSummary {
                    title: "Mug <i>".into(),
                    quantity: 2,
                }],
            }),
            MailBody::ReadyToShip(ReadyToShip {
                order_name: "#1001".into(),
                packing: "repacked white-label: 420 g <late>".into(),
                options: vec![FeeOption {
                    carrier: "YunExpress".into(),
                    service: "Economy".into(),
                    price: "7.80 USD".into(),
                    days_min: 8,
                    days_max: 15,
                }],
            }),
            MailBody::VendorOrder(VendorOrder {
                order_name: "#1001".into(),
                store: "shop<script>".into(),
                dropship: true,
                lines: vec![VendorLine {
                    title: "Mug <i>".into(),
                    quantity: 2,
                    variant: "Color: <b>Red</b> · Size: L".into(),
                    cost: "8.40 USD".into(),
                    supplier_link: Some("https://supplier.test/item/1?a=1&b=<late>".into()),
                }],
                ship_to: vec!["Ana <b>Bold</b>".into(), "1 Rue de Rivoli".into()],
            }),
            MailBody::CaseReceived(CaseReceived {
                order_name: "#1001".into(),
                store: "shop<script>".into(),
                customer_name: Some("Ana <b>Bold</b>".into()),
                lines: vec![LineSummary {
                    title: "Mug <i>".into(),
                    quantity: 1,
                }],
                next: "a refund of 9.00 USD, once the items are back".into(),
                send_back: true,
                return_address: vec!["Returns <late>".into(), "12 Quai <b>".into()],
            }),
            MailBody::RefundIssued(RefundIssued {
                order_name: "#1001".into(),
                store: "shop<script>".into(),
                customer_name: Some("Ana <b>Bold</b>".into()),
                amount: Some("9.00 USD".into()),
            }),
            MailBody::ReplacementShipped(ReplacementShipped {
                order_name: "#1001".into(),
                store: "shop<script>".into(),
                customer_name: Some("Ana <b>Bold</b>".into()),
                tracking: Some(tracking()),
            }),
            MailBody::CaseDeclined(CaseDeclined {
                order_name: "#1001".into(),
                store: "shop<script>".into(),
                customer_name: None,
                note: "Used <late> beyond 30 days".into(),
            }),
        ]
    }

    #[test]
    fn every_mail_renders_both_parts_and_names_the_order() {
        for body in every_mail() {
            let r = body.render().unwrap();
            assert!(
                r.subject.contains("#1001"),
                "{:?}: {}",
                body.kind(),
                r.subject
            );
            assert!(r.text.contains("#1001"), "{:?}", body.kind());
            assert!(r.html.contains("#1001"), "{:?}", body.kind());
            assert!(r.html.starts_with("<!DOCTYPE html>"), "{:?}", body.kind());
            assert!(!r.text.contains("<!DOCTYPE"), "{:?}", body.kind());
            assert!(!r.text.contains("\n\n\n"), "{:?}: {}", body.kind(), r.text);
        }
    }

    #[test]
    fn html_escapes_what_people_and_stores_typed_and_text_keeps_it() {
        for body in every_mail() {
            let r = body.render().unwrap();
            for raw in ["<b>", "<script>", "<i>", "<late>"] {
                assert!(!r.html.contains(raw), "{:?} leaks {raw}", body.kind());
            }
        }
        let r = every_mail()[0].render().unwrap();
        assert!(
            r.html.contains("Ana &#60;b&#62;Bold&#60;/b&#62; &#38; Co"),
            "{}",
            r.html
        );
        assert!(r.text.contains("Ana <b>Bold</b> & Co"), "{}", r.text);
    }

    #[test]
    fn tracking_mails_carry_number_carrier_and_link() {
        let r = every_mail()[4].render().unwrap();
        for part in [&r.text, &r.html] {
            assert!(part.contains("LP00123456789012"));
            assert!(part.contains("Cainiao"));
            assert!(part.contains("https://t.17track.net/en#nums=LP00123456789012"));
        }
    }

    #[test]
    fn payment_failed_says_the_amount() {
        let r = every_mail()[2].render().unwrap();
        assert!(r.subject.contains("12.34 USD"));
        assert!(r.text.contains("Amount due: 12.34 USD"));
        assert!(r.text.contains("Top up"));
        assert!(r.html.contains("12.34 USD"));
    }

    #[test]
    fn the_vendor_mail_carries_the_badge_link_cost_and_variant_of_each_item() {
        let r = every_mail()[8].render().unwrap();
        assert!(r.text.contains("[DROPSHIP]"), "{}", r.text);
        assert!(r.text.contains("  - 2 x Mug <i>\n"), "{}", r.text);
        assert!(
            r.text.contains("Options: Color: <b>Red</b> · Size: L"),
            "{}",
            r.text
        );
        assert!(r.text.contains("Cost: 8.40 USD"), "{}", r.text);
        assert!(r
            .text
            .contains("Open Supplier Page: https://supplier.test/item/1?a=1&b=<late>"));
        assert!(r.html.contains(">Dropship</span>"), "{}", r.html);
        assert!(r
            .html
            .contains("Color: &#60;b&#62;Red&#60;/b&#62; · Size: L"));
        assert!(r.html.contains("Cost: 8.40 USD"));
        assert!(r
            .html
            .contains("<a href=\"https://supplier.test/item/1?a=1&#38;b=&#60;late&#62;\">"));

        // No link, no words, not dropshipped: none of those lines.
        let MailBody::VendorOrder(mut plain) = every_mail()[8].clone() else {
            unreachable!()
        };
        plain.dropship = false;
        plain.lines[0].variant = String::new();
        plain.lines[0].supplier_link = None;
        let r = MailBody::VendorOrder(plain).render().unwrap();
        for absent in ["DROPSHIP", "Options:", "Open Supplier Page"] {
            assert!(!r.text.contains(absent), "{absent}: {}", r.text);
        }
        assert!(!r.html.contains("Dropship") && !r.html.contains("href="));
        assert!(r.text.contains("Cost: 8.40 USD"));
    }

    #[test]
    fn the_case_mail_says_where_to_send_the_items_or_that_the_address_will_follow() {
        let r = every_mail()[9].render().unwrap();
        assert!(
            r.subject.contains("how to send the items back"),
            "{}",
            r.subject
        );
        assert!(r.text.contains("  - 1 x Mug <i>\n"), "{}", r.text);
        assert!(
            r.text
                .contains("Send them to:\n  Returns <late>\n  12 Quai <b>\n"),
            "{}",
            r.text
        );
        assert!(r.text.contains("a refund of 9.00 USD"), "{}", r.text);
        assert!(r.html.contains("Returns &#60;late&#62;<br>"), "{}", r.html);
        let MailBody::CaseReceived(mut m) = every_mail()[9].clone() else {
            unreachable!()
        };
        m.return_address.clear();
        let r = MailBody::CaseReceived(m.clone()).render().unwrap();
        assert!(r.text.contains("will send you the address"), "{}", r.text);
        assert!(!r.text.contains("Send them to"), "{}", r.text);
        m.send_back = false;
        let r = MailBody::CaseReceived(m).render().unwrap();
        assert!(!r.text.contains("send these items back"), "{}", r.text);
        assert!(!r.text.contains("address"), "{}", r.text);
        assert!(!r.subject.contains("send the items back"), "{}", r.subject);
        assert!(!r.html.contains("Sending the items back"), "{}", r.html);
    }

    #[test]
    fn refund_replacement_and_decline_mails_say_the_amount_the_tracking_and_the_note() {
        let r = every_mail()[10].render().unwrap();
        assert!(r.subject.contains("9.00 USD"), "{}", r.subject);
        assert!(
            r.text.contains("a refund of 9.00 USD for your order #1001"),
            "{}",
            r.text
        );
        let r = every_mail()[11].render().unwrap();
        assert!(
            r.text.contains("Tracking number: LP00123456789012"),
            "{}",
            r.text
        );
        let r = every_mail()[12].render().unwrap();
        assert!(
            r.text.contains("says: Used <late> beyond 30 days"),
            "{}",
            r.text
        );
        assert!(
            r.html.contains("Used &#60;late&#62; beyond 30 days"),
            "{}",
            r.html
        );
    }

    #[test]
    fn a_subject_is_one_line() {
        let body = MailBody::NeedsAttention(NeedsAttention {
            order_name: "#1\r\nBcc: x@example.com".into(),
            reason: "r".into(),
        });
        let subject = body.subject();
        assert!(
            !subject.contains('\n') && !subject.contains('\r'),
            "{subject}"
        );
    }
}
