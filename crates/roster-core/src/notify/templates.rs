//! The messages Roster sends, each a pair of files in `crates/roster-core/templates/`:
//! `NAME.txt` (first line `Subject: ...`, a blank line, then the text part) and `NAME.html`.
//! `{{key}}` stands for a value; values are HTML-escaped in the HTML part.
//!
//! To add a message: write `NAME.txt` and `NAME.html`, add a variant below, and give it its
//! files in [`Template::files`] and its values in [`Template::values`]. The tests then check that
//! its files use no placeholder it does not provide and show every value it does.

use super::Mail;

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

/// The two files of one message.
#[derive(Debug, Clone, Copy)]
struct Files {
    #[cfg_attr(not(test), allow(dead_code))]
    name: &'static str,
    text: &'static str,
    html: &'static str,
}

macro_rules! files {
    ($name:literal) => {
        Files {
            name: $name,
            text: include_str!(concat!("../../templates/", $name, ".txt")),
            html: include_str!(concat!("../../templates/", $name, ".html")),
        }
    };
}

impl Template {
    fn files(&self) -> Files {
        match self {
            Template::EmailVerification { .. } => files!("email_verification"),
            Template::Invitation { .. } => files!("invitation"),
            Template::Welcome { .. } => files!("welcome"),
            Template::MemberAdded { .. } => files!("member_added"),
            Template::AccessChanged { .. } => files!("access_changed"),
            Template::PasswordChanged { .. } => files!("password_changed"),
            Template::MfaChanged { .. } => files!("mfa_changed"),
            Template::NewSignIn { .. } => files!("new_sign_in"),
            Template::PasswordResetCleared { .. } => files!("password_reset_cleared"),
            Template::PasswordLocked { .. } => files!("password_locked"),
            Template::MfaLocked { .. } => files!("mfa_locked"),
            Template::Recovery { .. } => files!("recovery"),
            Template::ConfirmEmail { .. } => files!("confirm_email"),
            Template::EmailChanged { .. } => files!("email_changed"),
            Template::Announcement { .. } => files!("announcement"),
        }
    }

    fn values(&self) -> Vec<(&'static str, String)> {
        match self {
            Template::EmailVerification { name, link }
            | Template::PasswordChanged { name, link }
            | Template::PasswordLocked { name, link }
            | Template::MfaLocked { name, link }
            | Template::Recovery { name, link } => {
                vec![("name", greeting(name)), ("link", link.clone())]
            }
            Template::Invitation { name, inviter, link } => {
                vec![("name", greeting(name)), ("inviter", someone(inviter.as_deref())), ("link", link.clone())]
            }
            Template::Welcome { name } => vec![("name", greeting(name))],
            Template::PasswordResetCleared { name, removed, link } => vec![
                ("name", greeting(name)),
                ("removed", removed.iter().map(|line| format!("- {line}")).collect::<Vec<_>>().join("\n")),
                ("link", link.clone()),
            ],
            Template::Announcement { name, title, body, link } => {
                vec![("name", greeting(name)), ("title", title.clone()), ("body", body.clone()), ("link", link.clone())]
            }
            Template::ConfirmEmail { name, address, link } | Template::EmailChanged { name, address, link } => {
                vec![("name", greeting(name)), ("address", address.clone()), ("link", link.clone())]
            }
            Template::MfaChanged { name, change, link } => {
                vec![("name", greeting(name)), ("change", change.clone()), ("link", link.clone())]
            }
            Template::NewSignIn { name, when, ip, device, link } => vec![
                ("name", greeting(name)),
                ("when", when.clone()),
                ("ip", ip.clone()),
                ("device", device.clone()),
                ("link", link.clone()),
            ],
            Template::MemberAdded { name, inviter, account, link } => vec![
                ("name", greeting(name)),
                ("inviter", someone(inviter.as_deref())),
                ("account", account.clone()),
                ("link", link.clone()),
            ],
            Template::AccessChanged { name, changer, subject, account, role } => vec![
                ("name", greeting(name)),
                ("changer", someone(changer.as_deref())),
                ("subject", subject.clone()),
                ("account", account.clone()),
                ("role", role.clone()),
            ],
        }
    }

    /// The email for recipient `to`.
    pub fn render(&self, to: &str) -> Mail {
        let files = self.files();
        let values = self.values();
        let (subject, text) = split_subject(files.text);
        Mail {
            to: to.to_owned(),
            subject: fill(subject, &values, false).0,
            text: fill(text, &values, false).0,
            html: fill(files.html, &values, true).0,
        }
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
fn split_subject(text: &'static str) -> (&'static str, &'static str) {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let subject = first.strip_prefix("Subject:").unwrap_or_default().trim();
    (subject, rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n')).unwrap_or(rest))
}

/// Replace each `{{key}}` of `source` with its value (HTML-escaped when `html`). Keys without a
/// value stay as they are and are returned second, for the tests to refuse.
fn fill(source: &str, values: &[(&str, String)], html: bool) -> (String, Vec<String>) {
    let mut out = String::with_capacity(source.len() + 64);
    let mut unknown = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else { break };
        out.push_str(&rest[..start]);
        let key = rest[start + 2..start + 2 + len].trim();
        match values.iter().find(|(k, _)| *k == key) {
            Some((_, value)) if html => escape_html(value, &mut out),
            Some((_, value)) => out.push_str(value),
            None => {
                unknown.push(key.to_owned());
                out.push_str(&rest[start..start + 2 + len + 2]);
            }
        }
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    (out, unknown)
}

fn escape_html(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
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
                | Template::Recovery { .. }
                | Template::ConfirmEmail { .. }
                | Template::EmailChanged { .. }
                | Template::Announcement { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_template_uses_only_its_values_and_shows_all_of_them() {
        for template in samples() {
            let files = template.files();
            let values = template.values();
            let (subject, text) = split_subject(files.text);
            assert!(!subject.is_empty(), "{}.txt must start with `Subject: ...` and a blank line", files.name);
            for (part, source, html) in [("subject", subject, false), ("txt", text, false), ("html", files.html, true)]
            {
                let (_, unknown) = fill(source, &values, html);
                assert!(unknown.is_empty(), "{}.{part} uses unknown placeholders {unknown:?}", files.name);
            }
            for (key, _) in &values {
                let placeholder = format!("{{{{{key}}}}}");
                assert!(text.contains(&placeholder), "{}.txt does not show {placeholder}", files.name);
                assert!(files.html.contains(&placeholder), "{}.html does not show {placeholder}", files.name);
            }
            let mail = template.render("someone@example.com");
            assert!(!mail.text.contains("{{") && !mail.html.contains("{{") && !mail.subject.contains("{{"));
            assert!(!mail.text.starts_with('\n') && !mail.text.starts_with("Subject"));
        }
    }

    #[test]
    fn every_template_file_belongs_to_a_message() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let names: Vec<&str> = samples().iter().map(|t| t.files().name).collect();
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
        let mail = Template::EmailVerification { name: "Ada".into(), link: link.into() }.render("ada@example.com");
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
        .render("x@example.com");
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
            .render("x@y.z");
        assert!(mail.text.starts_with("Hi there,"), "{}", mail.text);
        assert!(mail.text.contains("Someone invited you"));
    }

    #[test]
    fn the_renderer_reports_unknown_keys_and_keeps_odd_braces() {
        let values = [("a", "1".to_owned())];
        assert_eq!(fill("{{a}}-{{ a }}-{{b}}-{{c", &values, false), ("1-1-{{b}}-{{c".to_owned(), vec!["b".to_owned()]));
        assert_eq!(fill("x{{a}}é", &values, true).0, "x1é");
    }
}
