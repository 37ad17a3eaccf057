//! User-supplied web addresses (profile images now, calendar feeds later). Parsed with the `url`
//! crate (the WHATWG URL standard that browsers follow), so what we check is what a browser or
//! our HTTP client will fetch: `http://a@b@evil.test/` is user-info `a@b` on host `evil.test`,
//! which a prefix check would have called a link to `a`.

use url::Url;

/// Longest URL accepted, in bytes of its normalised form.
pub const MAX_LEN: usize = 2048;

/// Why a text is not an acceptable web URL (the message suits a field error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("must be an absolute http or https URL with a host")]
    Invalid,
    #[error("must not carry a user name or password")]
    UserInfo,
    #[error("must be at most 2048 characters")]
    TooLong,
}

/// An http(s) URL with a host and no user-info, at most [`MAX_LEN`] long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(Url);

impl WebUrl {
    pub fn parse(text: &str) -> Result<Self, UrlProblem> {
        let text = text.trim();
        if text.len() > MAX_LEN {
            return Err(UrlProblem::TooLong);
        }
        // The parser forgives what we would rather refuse: it drops tabs and newlines, reads
        // `\` as `/`, and turns `https:///host` into `https://host/`.
        let (scheme, rest) = text.split_once("://").ok_or(UrlProblem::Invalid)?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https")
            || rest.starts_with(['/', '\\'])
            || text.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        {
            return Err(UrlProblem::Invalid);
        }
        let url = Url::parse(text).map_err(|_| UrlProblem::Invalid)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(UrlProblem::Invalid);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlProblem::UserInfo);
        }
        if url.as_str().len() > MAX_LEN {
            return Err(UrlProblem::TooLong);
        }
        Ok(Self(url))
    }

    /// The normalised form (what is stored and shown).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &Url {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_with_a_host_are_accepted() {
        assert_eq!(WebUrl::parse("https://cdn.example.com/a.png").unwrap().as_str(), "https://cdn.example.com/a.png");
        assert_eq!(WebUrl::parse(" HTTP://Example.COM ").unwrap().as_str(), "http://example.com/");
        assert!(WebUrl::parse("http://127.0.0.1:8080/x?y=1#z").is_ok());
        assert!(WebUrl::parse("https://[::1]/").is_ok());
    }

    #[test]
    fn user_info_is_refused_however_it_is_hidden() {
        for text in
            ["http://a@b@evil.test/", "https://user:pw@example.com/", "https://user@example.com", "http://:pw@x.test/"]
        {
            assert_eq!(WebUrl::parse(text), Err(UrlProblem::UserInfo), "{text}");
        }
    }

    #[test]
    fn other_schemes_and_hostless_urls_are_refused() {
        for text in [
            "javascript:alert(1)",
            "ftp://example.com/",
            "https:///nohost",
            "https://",
            "//example.com/",
            "example.com",
            "https:\\\\evil.test",
            "http://exa\tmple.com/",
            "http://exa mple.com/",
            "data:text/html,hi",
        ] {
            assert_eq!(WebUrl::parse(text), Err(UrlProblem::Invalid), "{text}");
        }
    }

    #[test]
    fn urls_are_at_most_2048_characters() {
        let base = "https://example.com/";
        assert!(WebUrl::parse(&format!("{base}{}", "a".repeat(MAX_LEN - base.len()))).is_ok());
        assert_eq!(WebUrl::parse(&format!("{base}{}", "a".repeat(MAX_LEN))), Err(UrlProblem::TooLong));
    }
}
