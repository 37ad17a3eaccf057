//! Email: a text and an HTML part, sent over SMTP or, without `ROSTER_SMTP_URL`, written as one
//! `.eml` file per message into `ROSTER_MAIL_DIR`.

use std::path::{Path, PathBuf};

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::{DeliveryError, Notifier};

/// One email, ready to send (see [`super::Template::render`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The MIME message: `multipart/alternative` with the text part first (the fallback) and
    /// the HTML part last (preferred), both quoted-printable so that any line length and any
    /// character survive every relay.
    fn to_message(&self, from: &Mailbox) -> Result<Message, DeliveryError> {
        let to: Mailbox = self
            .to
            .parse()
            .map_err(|_| DeliveryError::Permanent("the recipient is not a valid mail address".into()))?;
        let part = |content_type: ContentType, body: &str| {
            SinglePart::builder()
                .header(content_type)
                .header(ContentTransferEncoding::QuotedPrintable)
                .body(body.to_owned())
        };
        Message::builder()
            .from(from.clone())
            .to(to)
            .subject(self.subject.clone())
            .message_id(Some(format!("<{}@{}>", uuid::Uuid::now_v7(), from.email.domain())))
            .multipart(
                MultiPart::alternative()
                    .singlepart(part(ContentType::TEXT_PLAIN, &self.text))
                    .singlepart(part(ContentType::TEXT_HTML, &self.html)),
            )
            .map_err(|e| DeliveryError::Permanent(format!("cannot build the message: {e}")))
    }
}

impl Notifier {
    /// Send `mail` from `ROSTER_MAIL_FROM`: over SMTP when `ROSTER_SMTP_URL` is set, else into
    /// `ROSTER_MAIL_DIR` (created if missing) as `{unix_millis}-{uuid}.eml`.
    pub async fn send_mail(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let message = mail.to_message(&self.inner.from)?;
        match &self.inner.smtp {
            Some(smtp) => smtp.send(message.envelope(), &message.formatted()).await.map_err(|f| {
                let message = format!("SMTP: {}", f.message);
                if f.permanent { DeliveryError::Permanent(message) } else { DeliveryError::Transport(message) }
            }),
            None => write_eml(&self.inner.mail_dir, &message.formatted()).await.map(|_| ()),
        }
    }
}

/// Write one message file; it appears whole (written aside, then renamed into place).
async fn write_eml(dir: &Path, bytes: &[u8]) -> Result<PathBuf, DeliveryError> {
    let failed = |what: &str, path: &Path, e: std::io::Error| {
        DeliveryError::Transport(format!("cannot {what} {}: {e}", path.display()))
    };
    tokio::fs::create_dir_all(dir).await.map_err(|e| failed("create", dir, e))?;
    let millis = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let name = format!("{millis}-{}.eml", uuid::Uuid::now_v7());
    let path = dir.join(&name);
    let partial = dir.join(format!(".{name}.part"));
    tokio::fs::write(&partial, bytes).await.map_err(|e| failed("write", &partial, e))?;
    tokio::fs::rename(&partial, &path).await.map_err(|e| failed("write", &path, e))?;
    Ok(path)
}
