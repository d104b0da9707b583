//! Where mails go: an SMTP server through lettre's `AsyncSmtpTransport<Tokio1Executor>`
//! (plain, STARTTLS or TLS as the URL says, rustls with the webpki roots), or, with no SMTP
//! server configured, one `.eml` file per mail in a folder (readable by any mail program).
//!
//! A message is built the same way on every try (its `Date` is the row's creation, its
//! `Message-ID` names the row), so a mail that went out but whose success was not recorded
//! (a crash in between) reaches the recipient as the same message again, which mail programs
//! recognise.

use super::outbox::OutboxMail;
use super::NotifyConfig;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Why a mail was not delivered. `summary` is for logs and the job's error: the reply code and
/// the kind of failure, never the server's words (they often quote the address). `detail`
/// is the whole story, for the outbox row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server is unreachable, timed out or answered 4xx.
    #[error("{summary}")]
    Transient { summary: String, detail: String },
    /// No retry can fix it: the server answered 5xx, or the address cannot be a mailbox.
    #[error("{summary}")]
    Permanent { summary: String, detail: String },
}

/// Errors building a [`Notifier`] from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("[notify] from = {0:?} is not a mailbox (`Name <user@example.com>`)")]
    From(String),
    #[error("[notify] smtp_url {url} is not usable: {reason}")]
    SmtpUrl { url: String, reason: String },
}

enum Way {
    Smtp {
        mailer: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL without its password, for `describe`.
        server: String,
    },
    Files {
        dir: PathBuf,
    },
}

/// Delivers outbox rows. Holds the SMTP credentials, if any; its `Debug` does not print them.
pub struct Notifier {
    way: Way,
    from: Mailbox,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("to", &self.describe())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// SMTP when `smtp_url` is set, otherwise `.eml` files in `eml_dir`.
    pub fn from_config(config: &NotifyConfig) -> Result<Notifier, TransportError> {
        match &config.smtp_url {
            Some(url) => Notifier::smtp(
                url,
                &config.from,
                Duration::from_millis(config.timeout_ms.max(1)),
            ),
            None => Notifier::files(&config.eml_dir, &config.from),
        }
    }

    /// Through the SMTP server at `url` (`smtp://host:port`, `…?tls=required` for STARTTLS,
    /// `smtps://` for TLS from the start; credentials as `user:pass@`).
    pub fn smtp(url: &str, from: &str, timeout: Duration) -> Result<Notifier, TransportError> {
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| TransportError::SmtpUrl {
                url: crate::storage::redact_url(url),
                reason: e.to_string(),
            })?
            .timeout(Some(timeout))
            .build();
        Ok(Notifier {
            way: Way::Smtp {
                mailer,
                server: crate::storage::redact_url(url),
            },
            from: parse_from(from)?,
        })
    }

    /// As `.eml` files in `dir` (made when the first mail is written).
    pub fn files(dir: &Path, from: &str) -> Result<Notifier, TransportError> {
        Ok(Notifier {
            way: Way::Files {
                dir: dir.to_path_buf(),
            },
            from: parse_from(from)?,
        })
    }

    /// Where mails go, fit for logs: `smtp smtp://user:***@host:587` or `eml files in mail`.
    pub fn describe(&self) -> String {
        match &self.way {
            Way::Smtp { server, .. } => format!("smtp {server}"),
            Way::Files { dir } => format!("eml files in {}", dir.display()),
        }
    }

    /// The message for a row, the same on every try.
    pub fn message(&self, mail: &OutboxMail) -> Result<Message, SendError> {
        let to: Mailbox = mail.recipient.parse().map_err(|e| SendError::Permanent {
            summary: "the recipient is not a valid address".into(),
            detail: format!("the recipient is not a valid address: {e}"),
        })?;
        let created = SystemTime::UNIX_EPOCH
            + Duration::from_millis(u64::try_from(mail.created_at).unwrap_or(0));
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .date(created)
            .message_id(Some(format!(
                "<outbox-{}-{}@{}>",
                mail.id,
                mail.created_at,
                self.from.email.domain()
            )))
            .multipart(MultiPart::alternative_plain_html(
                mail.text_body.clone(),
                mail.html_body.clone(),
            ))
            .map_err(|e| SendError::Permanent {
                summary: "the message could not be built".into(),
                detail: format!("the message could not be built: {e}"),
            })
    }

    /// Delivers one row.
    pub async fn send(&self, mail: &OutboxMail) -> Result<(), SendError> {
        let message = self.message(mail)?;
        match &self.way {
            Way::Smtp { mailer, .. } => match mailer.send(message).await {
                Ok(_) => Ok(()),
                Err(error) => Err(classify(&error)),
            },
            Way::Files { dir } => write_eml(dir, mail, &message.formatted()).await,
        }
    }
}

fn parse_from(from: &str) -> Result<Mailbox, TransportError> {
    from.parse()
        .map_err(|_| TransportError::From(from.to_string()))
}

/// 5xx is for good; everything else (4xx, no connection, timeout, TLS) may pass.
fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    let code = error.status().map(|c| c.to_string());
    let detail = error.to_string();
    if error.is_permanent() {
        SendError::Permanent {
            summary: format!(
                "smtp server refused the mail ({})",
                code.unwrap_or_default()
            ),
            detail,
        }
    } else if error.is_transient() {
        SendError::Transient {
            summary: format!(
                "smtp server deferred the mail ({})",
                code.unwrap_or_default()
            ),
            detail,
        }
    } else if error.is_timeout() {
        SendError::Transient {
            summary: "smtp server timed out".into(),
            detail,
        }
    } else {
        // Connection errors name the server and the OS error, never the recipient.
        SendError::Transient {
            summary: format!("smtp server unreachable: {detail}"),
            detail,
        }
    }
}

/// `NNNNNNNNNN-kind.eml`, written whole (a temporary file, then renamed), so a folder
/// watcher never sees half a mail and a second try overwrites the first.
async fn write_eml(dir: &Path, mail: &OutboxMail, bytes: &[u8]) -> Result<(), SendError> {
    let io = |e: std::io::Error| SendError::Transient {
        summary: format!("could not write the .eml file: {}", e.kind()),
        detail: format!("could not write the .eml file in {}: {e}", dir.display()),
    };
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let path = eml_path(dir, mail.id, &mail.kind);
    let tmp = path.with_extension("eml.tmp");
    tokio::fs::write(&tmp, bytes).await.map_err(io)?;
    tokio::fs::rename(&tmp, &path).await.map_err(io)?;
    Ok(())
}

/// The path [`Notifier::files`] writes a row to.
pub fn eml_path(dir: &Path, id: i64, kind: &str) -> PathBuf {
    dir.join(format!("{id:010}-{kind}.eml"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn smtp_from_the_url_without_printing_its_password() {
        let config = NotifyConfig {
            smtp_url: Some("smtp://mailer:hunter2@127.0.0.1:2525".into()),
            ..Default::default()
        };
        let notifier = Notifier::from_config(&config).unwrap();
        assert_eq!(notifier.describe(), "smtp smtp://mailer:***@127.0.0.1:2525");
        assert!(!format!("{notifier:?}").contains("hunter2"));
        let starttls = NotifyConfig {
            smtp_url: Some("smtp://u:p@mail.example.com:587?tls=required".into()),
            ..Default::default()
        };
        assert!(Notifier::from_config(&starttls).is_ok());
    }

    #[test]
    fn files_by_default_and_a_bad_sender_is_refused() {
        let notifier = Notifier::from_config(&NotifyConfig::default()).unwrap();
        assert_eq!(notifier.describe(), "eml files in mail");
        let bad = NotifyConfig {
            from: "not an address".into(),
            ..Default::default()
        };
        assert!(matches!(
            Notifier::from_config(&bad),
            Err(TransportError::From(_))
        ));
        let bad_url = NotifyConfig {
            smtp_url: Some("ftp://x:secret@host".into()),
            ..Default::default()
        };
        let error = Notifier::from_config(&bad_url).unwrap_err().to_string();
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn an_unparseable_recipient_is_refused_for_good() {
        let notifier = Notifier::from_config(&NotifyConfig::default()).unwrap();
        let mail = OutboxMail {
            id: 1,
            order_id: None,
            recipient: "nobody".into(),
            kind: "new_order".into(),
            subject: "s".into(),
            text_body: "t".into(),
            html_body: "<p>h</p>".into(),
            status: "queued".into(),
            attempts: 0,
            last_error: None,
            created_at: 0,
            sent_at: None,
        };
        assert!(matches!(
            notifier.message(&mail),
            Err(SendError::Permanent { .. })
        ));
    }
}
