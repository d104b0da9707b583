//! The mail a manual vendor gets when the merchant records a payout as sent: how much, how
//! it was paid (method and reference), and what it covers (the statement's earnings and
//! charges, the balance carried forward). Written to the outbox in the transaction that
//! records the payout ([`enqueue`]), like every other mail.

use super::outbox;
use super::templates::Rendered;
use crate::storage::{Result, Tx};
use askama::Template;
use dropflow_core::mail::MailKind;

/// One line of the statement, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutLine {
    /// "Earning" or "Charge".
    pub kind: String,
    /// The order's name (`#1001`) it is about.
    pub order: String,
    /// Signed, with its currency ("12.50 USD", "-2.00 USD").
    pub amount: String,
}

/// What the mail says.
#[derive(Clone, PartialEq, Eq)]
pub struct VendorPayout {
    /// The store's name as the vendor knows it.
    pub store: String,
    /// "42.00 USD".
    pub amount: String,
    /// "bank transfer".
    pub method: String,
    pub reference: String,
    pub opening: String,
    pub closing: String,
    pub lines: Vec<PayoutLine>,
    /// The statement page on the dashboard.
    pub statement_path: String,
}

#[derive(Template)]
#[template(path = "mail/vendor_payout.txt")]
struct Text<'a> {
    m: &'a VendorPayout,
}

#[derive(Template)]
#[template(path = "mail/vendor_payout.html")]
struct Html<'a> {
    m: &'a VendorPayout,
    title: &'a str,
}

impl VendorPayout {
    pub fn subject(&self) -> String {
        let subject = format!("Payout of {} sent by {}", self.amount, self.store);
        subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_string()
    }

    pub fn render(&self) -> std::result::Result<Rendered, askama::Error> {
        let subject = self.subject();
        Ok(Rendered {
            text: Text { m: self }.render()?,
            html: Html {
                m: self,
                title: &subject,
            }
            .render()?,
            subject,
        })
    }
}

/// Writes the mail to each of `recipients` in the caller's transaction; the outbox ids.
pub async fn enqueue(
    tx: &mut Tx<'_>,
    recipients: &[String],
    mail: &VendorPayout,
) -> std::result::Result<Vec<i64>, super::NotifyError> {
    let rendered = mail.render().map_err(|source| super::NotifyError::Render {
        kind: MailKind::VendorPayout.as_str(),
        source,
    })?;
    let mut ids = Vec::with_capacity(recipients.len());
    for to in recipients {
        ids.push(insert(tx, to, &rendered).await?);
    }
    Ok(ids)
}

async fn insert(tx: &mut Tx<'_>, to: &str, rendered: &Rendered) -> Result<i64> {
    outbox::insert(tx, None, to, MailKind::VendorPayout, rendered).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_payout_mail_says_how_much_how_and_what_it_covers_with_markup_escaped() {
        let mail = VendorPayout {
            store: "shop<script>".into(),
            amount: "42.00 USD".into(),
            method: "bank transfer".into(),
            reference: "TRX <b>1</b>".into(),
            opening: "-2.00 USD".into(),
            closing: "0.00 USD".into(),
            lines: vec![PayoutLine {
                kind: "Earning".into(),
                order: "#1001".into(),
                amount: "44.00 USD".into(),
            }],
            statement_path: "/payouts/p-1".into(),
        };
        let r = mail.render().unwrap();
        assert_eq!(r.subject, "Payout of 42.00 USD sent by shop<script>");
        assert!(r.text.contains("42.00 USD"), "{}", r.text);
        assert!(r.text.contains("bank transfer"), "{}", r.text);
        assert!(r.text.contains("#1001"), "{}", r.text);
        assert!(r.text.contains("-2.00 USD"), "{}", r.text);
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(
            r.html.contains("TRX &#60;b&#62;1&#60;/b&#62;")
                || r.html.contains("TRX &lt;b&gt;1&lt;/b&gt;"),
            "{}",
            r.html
        );
    }
}
