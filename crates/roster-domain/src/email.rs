//! Email addresses: parsed once at the edge, compared case-insensitively everywhere.

use serde::{Serialize, Serializer};

/// A syntactically valid email address as the user typed it (trimmed), with its normalised form.
///
/// Normalisation lowercases the whole address. The local part is technically case-sensitive, but
/// no mainstream provider treats it so, and two accounts differing only in case are always a
/// mistake or an attack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    address: String,
    normalized: String,
}

/// Why an address was refused; the field code is `invalid_email`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a valid email address")]
pub struct InvalidEmail;

/// RFC 5321 limits: 64 octets of local part, 254 of path.
const MAX_LOCAL: usize = 64;
const MAX_TOTAL: usize = 254;

impl Email {
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let address = input.trim();
        if address.len() > MAX_TOTAL || address.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidEmail);
        }
        let (local, domain) = address.rsplit_once('@').ok_or(InvalidEmail)?;
        if local.is_empty() || local.len() > MAX_LOCAL || local.contains('@') {
            return Err(InvalidEmail);
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(InvalidEmail);
        }
        if local.chars().any(|c| "()<>[]\\,;:\"".contains(c)) {
            return Err(InvalidEmail);
        }
        if !valid_domain(domain) {
            return Err(InvalidEmail);
        }
        Ok(Self { address: address.to_owned(), normalized: address.to_lowercase() })
    }

    /// The address as given (trimmed); this is what mail is sent to and what users see.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The lowercased form used for uniqueness and look-ups.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    pub fn local_part(&self) -> &str {
        self.address.rsplit_once('@').map_or("", |(local, _)| local)
    }
}

/// Lowercase an address for look-up without validating it (a login with a malformed address
/// simply finds nobody).
pub fn normalize_email(input: &str) -> String {
    input.trim().to_lowercase()
}

fn valid_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > 253 || !domain.contains('.') {
        return false;
    }
    domain.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    })
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_normalises_case() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ada.Lovelace@Example.COM");
        assert_eq!(email.normalized(), "ada.lovelace@example.com");
        assert_eq!(email.local_part(), "Ada.Lovelace");
    }

    #[test]
    fn accepts_plus_tags_and_unicode_domains() {
        assert!(Email::parse("ada+roster@example.com").is_ok());
        assert!(Email::parse("ada@bücher.example").is_ok());
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@-example.com",
            "ada@example..com",
            ".ada@example.com",
            "ada.@example.com",
            "a..da@example.com",
            "ada@exa_mple.com",
            "\"ada\"@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(InvalidEmail), "{bad:?} should be refused");
        }
    }

    #[test]
    fn rejects_overlong_addresses() {
        let local = "a".repeat(65);
        assert!(Email::parse(&format!("{local}@example.com")).is_err());
        let domain = format!("{}.com", "d".repeat(250));
        assert!(Email::parse(&format!("ada@{domain}")).is_err());
    }

    #[test]
    fn normalize_email_lowercases_and_trims() {
        assert_eq!(normalize_email(" ADA@Example.com\n"), "ada@example.com");
    }
}
