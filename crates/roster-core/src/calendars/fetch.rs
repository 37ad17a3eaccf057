//! Fetching a feed from a URL a user gave us, without letting that user reach into the
//! operator's network (SSRF). The address is judged where it is used, not only where it is
//! typed: names go through a resolver that refuses private addresses (so a name that resolves
//! to a public address at subscription and to 127.0.0.1 at fetch time — DNS rebinding — is
//! refused at connect time), and URLs with a literal IP, which skip the resolver, are judged
//! before the first request and at every redirect. Proxies from the environment are ignored:
//! a proxy would connect on our behalf to an address we never judged.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::{StatusCode, Url};

/// The whole fetch, from connecting to the last byte of the body.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest body read; a longer feed is refused, not truncated.
pub const MAX_BODY: usize = 5 * 1024 * 1024;
/// How long a subscription waits for its host to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
/// Redirects followed before the fetch is refused.
const MAX_REDIRECTS: usize = 3;

/// Which addresses a feed may come from.
#[derive(Debug, Clone)]
pub struct Guard {
    allow_private: bool,
    exempt: Arc<[SocketAddr]>,
}

/// Why a URL may not be fetched (shown to its owner as the calendar's `last_error`, or as the
/// field error of a subscription).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the host resolves to a loopback, private, link-local or otherwise non-public address")]
    PrivateAddress,
    #[error("the host does not resolve")]
    Unresolvable,
}

impl Guard {
    pub fn new(allow_private: bool, exempt: Vec<SocketAddr>) -> Self {
        Self { allow_private, exempt: exempt.into() }
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        self.allow_private || roster_domain::net::is_public(ip)
    }

    /// Whether `url`'s host, if it is a literal address, may be reached (a name is judged by
    /// the resolver when it is connected to).
    fn allows_literal(&self, url: &Url) -> bool {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return true,
        };
        let port = url.port_or_known_default().unwrap_or(0);
        self.allows_ip(ip) || self.exempt.contains(&SocketAddr::new(ip, port))
    }

    /// Judge `url` now, resolving its host (at subscription: a clear answer before anything is
    /// stored). The fetches judge it again, each time they connect.
    pub async fn check(&self, url: &Url) -> Result<(), Refusal> {
        if self.allow_private {
            return Ok(());
        }
        match url.host() {
            Some(url::Host::Domain(name)) => {
                let port = url.port_or_known_default().unwrap_or(0);
                let lookup = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((name, port)));
                let addrs: Vec<SocketAddr> =
                    lookup.await.map_err(|_| Refusal::Unresolvable)?.map_err(|_| Refusal::Unresolvable)?.collect();
                if addrs.is_empty() {
                    return Err(Refusal::Unresolvable);
                }
                if addrs.iter().all(|a| self.allows_ip(a.ip())) { Ok(()) } else { Err(Refusal::PrivateAddress) }
            }
            _ if self.allows_literal(url) => Ok(()),
            _ => Err(Refusal::PrivateAddress),
        }
    }
}

/// The resolver of the feed client: the system's, refusing a name if any of its addresses is
/// not allowed (a mixed answer is refused whole rather than filtered).
struct GuardedResolver(Guard);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if addrs.iter().any(|a| !guard.allows_ip(a.ip())) {
                return Err(Box::new(Refusal::PrivateAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// What a fetch brought.
#[derive(Debug)]
pub enum Fetched {
    Body { bytes: Vec<u8>, etag: Option<String> },
    NotModified,
}

/// The feed client. Its HTTP client (TLS roots and all) is built at the first fetch, not at
/// start-up: a server that never fetches a feed never loads it.
#[derive(Clone)]
pub struct Fetcher {
    client: Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
    guard: Guard,
}

impl Fetcher {
    pub fn new(guard: Guard) -> Result<Self, String> {
        Ok(Self { client: Arc::default(), guard })
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        self.client.get_or_init(|| Self::build(&self.guard)).as_ref().map_err(Clone::clone)
    }

    fn build(guard: &Guard) -> Result<reqwest::Client, String> {
        crate::notify::install_crypto_provider();
        let redirects = guard.clone();
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver(guard.clone())))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
                } else if !matches!(attempt.url().scheme(), "http" | "https") {
                    attempt.error("a redirect to a URL that is not http or https")
                } else if !redirects.allows_literal(attempt.url()) {
                    attempt.error(Refusal::PrivateAddress)
                } else {
                    attempt.follow()
                }
            }))
            .user_agent(concat!("roster/", env!("CARGO_PKG_VERSION"), " (calendar feeds)"))
            .build()
            .map_err(|e| format!("cannot build the feed client: {e}"))
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// GET `url` (conditionally on `etag`); the body whole, at most [`MAX_BODY`] bytes. The
    /// error is a sentence for the calendar's owner: it never carries the URL, whose query may
    /// hold the feed's secret.
    pub async fn fetch(&self, url: &Url, etag: Option<&str>) -> Result<Fetched, String> {
        if !self.guard.allows_literal(url) {
            return Err(Refusal::PrivateAddress.to_string());
        }
        let mut request = self.client()?.get(url.clone());
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let mut response = request.send().await.map_err(|e| crate::notify::describe_http_error(&e))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED && etag.is_some() {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(format!("the feed answered HTTP {status}"));
        }
        let too_large = || format!("the feed is larger than {} MiB", MAX_BODY / (1024 * 1024));
        if response.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(too_large());
        }
        let etag = response.headers().get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| crate::notify::describe_http_error(&e))? {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body { bytes, etag: etag.filter(|e| e.len() <= 256) })
    }
}
