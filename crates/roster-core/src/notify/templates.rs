//! The messages Roster sends, each a pair of askama templates in `crates/roster-core/templates/`:
//! `NAME.txt` (first line `Subject: ...`, a blank line, then the text part) and `NAME.html`.
//! `{{ key }}` stands for a value of [`Values`]; values are HTML-escaped in the HTML part.
//!
//! To add a message: write `NAME.txt` and `NAME.html`, add a variant below, name its files in
//! `files!` and [`Template::parts`], and give it its values in [`Template::values`]. A template
//! that names a value that does not exist does not compile; the tests check that each shows the
//! values its message gives, and that every message reads exactly as its file in `golden/`.

use super::Mail;
use crate::error::{CoreError, CoreResult};

/// One message and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// Confirm an address: `link` is `{public_url}/verify-email?token=...`.
    EmailVerification { name: String, link: String },
    /// Join an account: `link` is `{public_url}/accept-invite?token=...`.
    Invitation { name: String, inviter: Option<String>, link: String },
    /// After sign-up, from the onboarding queue.
    Welcome { name: String },
    /// An existing user was made a member of another account; `link` is the public URL.
    MemberAdded { name: String, inviter: Option<String>, account: String, link: String },
    /// The role or scopes of someone in `account` changed; `subject` is whose ("your" to the
    /// member itself, a security notice; "NAME's" to the account's owners and admins, a product
    /// notice).
    AccessChanged { name: String, changer: Option<String>, subject: String, account: String, role: String },
    /// The password was changed (a security notice); `link` is the sign-in page.
    PasswordChanged { name: String, link: String },
    /// Two-factor authentication was turned on or off, or its recovery codes were replaced
    /// (`change` says which, in words); `link` is the sign-in page.
    MfaChanged { name: String, change: String, link: String },
    /// A sign-in from a device and address not seen for 90 days; `link` is the sign-in page.
    NewSignIn { name: String, when: String, ip: String, device: String, link: String },
    /// A reset through the mailed link first proved the address, and what was set up before
    /// was removed (`removed`: one line each); `link` is the sign-in page.
    PasswordResetCleared { name: String, removed: Vec<String>, link: String },
    /// 100 failed attempts in a row locked the password; `link` is the sign-in page.
    PasswordLocked { name: String, link: String },
    /// 10 wrong two-factor codes paused the second step; `link` is the sign-in page.
    MfaLocked { name: String, link: String },
    /// An administrator ended `sessions` of the user's sessions; `link` is the sign-in page.
    SignedOut { name: String, sessions: u64, link: String },
    /// Choose a new password: `link` is `{public_url}/reset-password?token=...`.
    Recovery { name: String, link: String },
    /// Confirm an added address (sent to it): `link` is `{public_url}/confirm-email?token=...`.
    ConfirmEmail { name: String, address: String, link: String },
    /// The sign-in address changed to `address` (a security notice, sent to the former one);
    /// `link` is the sign-in page.
    EmailChanged { name: String, address: String, link: String },
    /// An announcement (a product notice); `link` is the sign-in page.
    Announcement { name: String, title: String, body: String, link: String },
}

/// What the templates say: every value any message shows (each message's files use their own).
#[derive(Default)]
struct Values {
    name: String,
    link: String,
    inviter: String,
    account: String,
    changer: String,
    subject: String,
    role: String,
    change: String,
    when: String,
    ip: String,
    device: String,
    removed: String,
    address: String,
    title: String,
    body: String,
}

/// The two files of each message, each an askama template over [`Values`] (`{{ name }}` reads
/// `Values::name` through `Deref`). The text part is not escaped; the HTML part is, by
/// [`MailHtml`].
macro_rules! files {
    ($($txt:ident $text_file:tt $html:ident $html_file:tt),* $(,)?) => {
        $(
            #[derive(askama::Template)]
            #[template(path = $text_file)]
            struct $txt<'a>(&'a Values);

            #[derive(askama::Template)]
            #[template(path = $html_file)]
            struct $html<'a>(&'a Values);

            impl std::ops::Deref for $txt<'_> {
                type Target = Values;
                fn deref(&self) -> &Values {
                    self.0
                }
            }

            impl std::ops::Deref for $html<'_> {
                type Target = Values;
                fn deref(&self) -> &Values {
                    self.0
                }
            }
        )*
    };
}

files! {
    EmailVerificationTxt "email_verification.txt" EmailVerificationHtml "email_verification.html",
    InvitationTxt "invitation.txt" InvitationHtml "invitation.html",
    WelcomeTxt "welcome.txt" WelcomeHtml "welcome.html",
    MemberAddedTxt "member_added.txt" MemberAddedHtml "member_added.html",
    AccessChangedTxt "access_changed.txt" AccessChangedHtml "access_changed.html",
    PasswordChangedTxt "password_changed.txt" PasswordChangedHtml "password_changed.html",
    MfaChangedTxt "mfa_changed.txt" MfaChangedHtml "mfa_changed.html",
    NewSignInTxt "new_sign_in.txt" NewSignInHtml "new_sign_in.html",
    PasswordResetClearedTxt "password_reset_cleared.txt" PasswordResetClearedHtml "password_reset_cleared.html",
    PasswordLockedTxt "password_locked.txt" PasswordLockedHtml "password_locked.html",
    MfaLockedTxt "mfa_locked.txt" MfaLockedHtml "mfa_locked.html",
    SignedOutTxt "signed_out.txt" SignedOutHtml "signed_out.html",
    RecoveryTxt "recovery.txt" RecoveryHtml "recovery.html",
    ConfirmEmailTxt "confirm_email.txt" ConfirmEmailHtml "confirm_email.html",
    EmailChangedTxt "email_changed.txt" EmailChangedHtml "email_changed.html",
    AnnouncementTxt "announcement.txt" AnnouncementHtml "announcement.html",
}

/// The escaper of the HTML parts: `&`, `<`, `>`, `"` and `'` as named or numeric references
/// that every mail client reads (`&quot;`, `&#39;`).
#[derive(Clone, Copy)]
pub struct MailHtml;

impl askama::filters::Escaper for MailHtml {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, value: &str) -> std::fmt::Result {
        let mut last = 0;
        for (i, c) in value.char_indices() {
            let entity = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            dest.write_str(&value[last..i])?;
            dest.write_str(entity)?;
            last = i + 1;
        }
        dest.write_str(&value[last..])
    }
}

/// A text and an HTML part, rendered. Askama drops the last newline of a template file; the
/// message keeps it (every file ends with one).
fn pair(text: impl askama::Template, html: impl askama::Template) -> Result<(String, String), askama::Error> {
    Ok((text.render()? + "\n", html.render()? + "\n"))
}

impl Template {
    fn values(&self) -> Values {
        match self {
            Template::EmailVerification { name, link }
            | Template::PasswordChanged { name, link }
            | Template::PasswordLocked { name, link }
            | Template::MfaLocked { name, link }
            | Template::Recovery { name, link } => {
                Values { name: greeting(name), link: link.clone(), ..Values::default() }
            }
            Template::Invitation { name, inviter, link } => Values {
                name: greeting(name),
                inviter: someone(inviter.as_deref()),
                link: link.clone(),
                ..Values::default()
            },
            Template::Welcome { name } => Values { name: greeting(name), ..Values::default() },
            Template::PasswordResetCleared { name, removed, link } => Values {
                name: greeting(name),
                removed: removed.iter().map(|line| format!("- {line}")).collect::<Vec<_>>().join("\n"),
                link: link.clone(),
                ..Values::default()
            },
            Template::Announcement { name, title, body, link } => Values {
                name: greeting(name),
                title: title.clone(),
                body: body.clone(),
                link: link.clone(),
                ..Values::default()
            },
            Template::ConfirmEmail { name, address, link } | Template::EmailChanged { name, address, link } => {
                Values { name: greeting(name), address: address.clone(), link: link.clone(), ..Values::default() }
            }
            Template::MfaChanged { name, change, link } => {
                Values { name: greeting(name), change: change.clone(), link: link.clone(), ..Values::default() }
            }
            Template::SignedOut { name, sessions, link } => Values {
                name: greeting(name),
                change: if *sessions == 1 { "1 session".to_owned() } else { format!("{sessions} sessions") },
                link: link.clone(),
                ..Values::default()
            },
            Template::NewSignIn { name, when, ip, device, link } => Values {
                name: greeting(name),
                when: when.clone(),
                ip: ip.clone(),
                device: device.clone(),
                link: link.clone(),
                ..Values::default()
            },
            Template::MemberAdded { name, inviter, account, link } => Values {
                name: greeting(name),
                inviter: someone(inviter.as_deref()),
                account: account.clone(),
                link: link.clone(),
                ..Values::default()
            },
            Template::AccessChanged { name, changer, subject, account, role } => Values {
                name: greeting(name),
                changer: someone(changer.as_deref()),
                subject: subject.clone(),
                account: account.clone(),
                role: role.clone(),
                ..Values::default()
            },
        }
    }

    /// Both parts of the message, rendered.
    fn parts(&self) -> Result<(String, String), askama::Error> {
        let v = &self.values();
        match self {
            Template::EmailVerification { .. } => pair(EmailVerificationTxt(v), EmailVerificationHtml(v)),
            Template::Invitation { .. } => pair(InvitationTxt(v), InvitationHtml(v)),
            Template::Welcome { .. } => pair(WelcomeTxt(v), WelcomeHtml(v)),
            Template::MemberAdded { .. } => pair(MemberAddedTxt(v), MemberAddedHtml(v)),
            Template::AccessChanged { .. } => pair(AccessChangedTxt(v), AccessChangedHtml(v)),
            Template::PasswordChanged { .. } => pair(PasswordChangedTxt(v), PasswordChangedHtml(v)),
            Template::MfaChanged { .. } => pair(MfaChangedTxt(v), MfaChangedHtml(v)),
            Template::NewSignIn { .. } => pair(NewSignInTxt(v), NewSignInHtml(v)),
            Template::PasswordResetCleared { .. } => pair(PasswordResetClearedTxt(v), PasswordResetClearedHtml(v)),
            Template::PasswordLocked { .. } => pair(PasswordLockedTxt(v), PasswordLockedHtml(v)),
            Template::MfaLocked { .. } => pair(MfaLockedTxt(v), MfaLockedHtml(v)),
            Template::SignedOut { .. } => pair(SignedOutTxt(v), SignedOutHtml(v)),
            Template::Recovery { .. } => pair(RecoveryTxt(v), RecoveryHtml(v)),
            Template::ConfirmEmail { .. } => pair(ConfirmEmailTxt(v), ConfirmEmailHtml(v)),
            Template::EmailChanged { .. } => pair(EmailChangedTxt(v), EmailChangedHtml(v)),
            Template::Announcement { .. } => pair(AnnouncementTxt(v), AnnouncementHtml(v)),
        }
    }

    /// The email for recipient `to`.
    pub fn render(&self, to: &str) -> CoreResult<Mail> {
        let (text, html) = self.parts().map_err(|e| CoreError::Internal(format!("a mail did not render: {e}")))?;
        let (subject, text) = split_subject(&text);
        Ok(Mail { to: to.to_owned(), subject: subject.to_owned(), text: text.to_owned(), html })
    }
}

/// A person named in a message, or "Someone" when the name is unknown or blank.
fn someone(name: Option<&str>) -> String {
    name.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("Someone").to_owned()
}

/// "Hi {{name}}," reads "Hi there," for someone without a name.
fn greeting(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() { "there".to_owned() } else { name.to_owned() }
}

/// `Subject: ...` on the first line, then a blank line, then the body.
fn split_subject(text: &str) -> (&str, &str) {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let subject = first.strip_prefix("Subject:").unwrap_or_default().trim();
    (subject, rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n')).unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each message. The match makes a new variant fail to compile here until it has a
    /// sample, so that the checks below cover it.
    fn samples() -> Vec<Template> {
        let all = vec![
            Template::EmailVerification { name: "Ada".into(), link: "https://r.example/verify-email?token=t1".into() },
            Template::Invitation {
                name: "Grace".into(),
                inviter: Some("Ada".into()),
                link: "https://r.example/accept-invite?token=t2".into(),
            },
            Template::Welcome { name: "Alan".into() },
            Template::MemberAdded {
                name: "Grace".into(),
                inviter: Some("Ada".into()),
                account: "Engines".into(),
                link: "https://r.example".into(),
            },
            Template::AccessChanged {
                name: "Ada".into(),
                changer: Some("Grace".into()),
                subject: "your".into(),
                account: "Engines".into(),
                role: "admin".into(),
            },
            Template::PasswordChanged { name: "Ada".into(), link: "https://r.example/sign-in".into() },
            Template::MfaChanged {
                name: "Ada".into(),
                change: "it was turned on".into(),
                link: "https://r.example/sign-in".into(),
            },
            Template::NewSignIn {
                name: "Ada".into(),
                when: "2026-12-04 10:00 UTC".into(),
                ip: "203.0.113.9".into(),
                device: "Firefox".into(),
                link: "https://r.example/sign-in".into(),
            },
            Template::PasswordResetCleared {
                name: "Ada".into(),
                removed: vec!["2 devices registered for push notifications".into(), "two-factor authentication".into()],
                link: "https://r.example/sign-in".into(),
            },
            Template::PasswordLocked { name: "Ada".into(), link: "https://r.example/sign-in".into() },
            Template::MfaLocked { name: "Ada".into(), link: "https://r.example/sign-in".into() },
            Template::SignedOut { name: "Ada".into(), sessions: 3, link: "https://r.example/sign-in".into() },
            Template::Recovery { name: "Ada".into(), link: "https://r.example/reset-password?token=t3".into() },
            Template::ConfirmEmail {
                name: "Ada".into(),
                address: "ada@work.example".into(),
                link: "https://r.example/confirm-email?token=t4".into(),
            },
            Template::EmailChanged {
                name: "Ada".into(),
                address: "ada@work.example".into(),
                link: "https://r.example/sign-in".into(),
            },
            Template::Announcement {
                name: "Ada".into(),
                title: "Maintenance on Sunday".into(),
                body: "Sign-in pauses for ten minutes at 02:00 UTC.".into(),
                link: "https://r.example/sign-in".into(),
            },
        ];
        for template in &all {
            match template {
                Template::EmailVerification { .. }
                | Template::Invitation { .. }
                | Template::Welcome { .. }
                | Template::MemberAdded { .. }
                | Template::AccessChanged { .. }
                | Template::PasswordChanged { .. }
                | Template::MfaChanged { .. }
                | Template::NewSignIn { .. }
                | Template::PasswordResetCleared { .. }
                | Template::PasswordLocked { .. }
                | Template::MfaLocked { .. }
                | Template::SignedOut { .. }
                | Template::Recovery { .. }
                | Template::ConfirmEmail { .. }
                | Template::EmailChanged { .. }
                | Template::Announcement { .. } => {}
            }
        }
        all
    }

    /// The file stem of a message's templates and golden copy.
    fn stem(template: &Template) -> &'static str {
        match template {
            Template::EmailVerification { .. } => "email_verification",
            Template::Invitation { .. } => "invitation",
            Template::Welcome { .. } => "welcome",
            Template::MemberAdded { .. } => "member_added",
            Template::AccessChanged { .. } => "access_changed",
            Template::PasswordChanged { .. } => "password_changed",
            Template::MfaChanged { .. } => "mfa_changed",
            Template::NewSignIn { .. } => "new_sign_in",
            Template::PasswordResetCleared { .. } => "password_reset_cleared",
            Template::PasswordLocked { .. } => "password_locked",
            Template::MfaLocked { .. } => "mfa_locked",
            Template::SignedOut { .. } => "signed_out",
            Template::Recovery { .. } => "recovery",
            Template::ConfirmEmail { .. } => "confirm_email",
            Template::EmailChanged { .. } => "email_changed",
            Template::Announcement { .. } => "announcement",
        }
    }

    /// Every message reads byte for byte as the hand-made `{{key}}` renderer that came before
    /// askama wrote it (`golden/NAME.txt`: the subject, the text part, then the HTML part).
    #[test]
    fn every_message_reads_exactly_as_before() {
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/notify/golden");
        for template in samples() {
            let mail = template.render("someone@example.com").unwrap();
            let rendered = format!("Subject: {}\n\n{}\n===== html =====\n{}", mail.subject, mail.text, mail.html);
            let path = golden.join(format!("{}.txt", stem(&template)));
            let expected = std::fs::read_to_string(&path).unwrap();
            assert!(rendered == expected, "{} differs from {}:\n{rendered}", stem(&template), path.display());
        }
    }

    #[test]
    fn every_message_shows_each_value_it_gives_in_both_parts() {
        for template in samples() {
            let v = template.values();
            let given = [
                &v.name, &v.link, &v.inviter, &v.account, &v.changer, &v.subject, &v.role, &v.change, &v.when, &v.ip,
                &v.device, &v.removed, &v.address, &v.title, &v.body,
            ];
            let mail = template.render("someone@example.com").unwrap();
            assert!(!mail.subject.is_empty(), "{}.txt must start with `Subject: ...`", stem(&template));
            assert!(!mail.text.starts_with('\n') && !mail.text.starts_with("Subject"));
            for value in given.into_iter().filter(|value| !value.is_empty()) {
                assert!(mail.text.contains(value.as_str()), "{}.txt does not show {value:?}", stem(&template));
                let mut escaped = String::new();
                askama::filters::Escaper::write_escaped_str(&MailHtml, &mut escaped, value).unwrap();
                assert!(mail.html.contains(&escaped), "{}.html does not show {value:?}", stem(&template));
            }
        }
    }

    #[test]
    fn every_template_file_belongs_to_a_message() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let names: Vec<&str> = samples().iter().map(stem).collect();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            assert!(names.contains(&stem.as_str()), "{} is no message's template", path.display());
            let ext = path.extension().and_then(|e| e.to_str());
            assert!(matches!(ext, Some("txt" | "html")), "{} is neither .txt nor .html", path.display());
        }
    }

    #[test]
    fn verification_mail_carries_the_link_in_both_parts() {
        let link = "https://r.example/verify-email?token=abc-_123";
        let mail =
            Template::EmailVerification { name: "Ada".into(), link: link.into() }.render("ada@example.com").unwrap();
        assert_eq!(mail.to, "ada@example.com");
        assert_eq!(mail.subject, "Verify your email address");
        assert!(mail.text.starts_with("Hi Ada,"), "{}", mail.text);
        assert!(mail.text.contains(link));
        assert!(mail.html.contains(&format!("href=\"{link}\"")));
    }

    #[test]
    fn values_are_escaped_in_html_only() {
        let mail = Template::Invitation {
            name: "<script>alert('x')</script> & \"Co\"".into(),
            inviter: Some("Eve <eve@example.com>".into()),
            link: "https://r.example/accept-invite?token=a&b".into(),
        }
        .render("x@example.com")
        .unwrap();
        assert!(mail.html.contains("Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;,"));
        assert!(mail.html.contains("Eve &lt;eve@example.com&gt; invited you"));
        assert!(mail.html.contains("href=\"https://r.example/accept-invite?token=a&amp;b\""));
        assert!(!mail.html.contains("<script>"));
        assert!(mail.text.contains("Hi <script>alert('x')</script> & \"Co\","));
        assert!(mail.text.contains("Eve <eve@example.com> invited you"));
    }

    #[test]
    fn missing_names_read_naturally() {
        let mail = Template::Invitation { name: " ".into(), inviter: None, link: "https://r.example/x".into() }
            .render("x@y.z")
            .unwrap();
        assert!(mail.text.starts_with("Hi there,"), "{}", mail.text);
        assert!(mail.text.contains("Someone invited you"));
    }
}
