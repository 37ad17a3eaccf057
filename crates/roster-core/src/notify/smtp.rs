//! The SMTP client behind `ROSTER_SMTP_URL`. The forms (API.md §2):
//!
//! | URL | connection |
//! | --- | --- |
//! | `smtp://host:port` | plain, no TLS (local relays, the test sink); port 25 by default |
//! | `smtp://user:pass@host:port?tls=required` (or `tls=starttls`) | STARTTLS, refused without it; port 587 |
//! | `smtp://...?tls=opportunistic` | STARTTLS when the server offers it |
//! | `smtps://user:pass@host:port` | implicit TLS; port 465 |
//!
//! User and password are percent-decoded and only ever sent over TLS, or to a relay on this
//! machine (`localhost`, a loopback address); a path (`smtp://host/ehlo.name`) names this host in
//! `EHLO`. Certificates are checked against the platform's roots.
//!
//! lettre speaks SMTP; this module opens the connections itself and keeps a few open between
//! messages. Reuse spares each message the TCP and TLS handshakes, the greeting, `EHLO`, `AUTH`
//! and `QUIT`: a `NOOP` checks a kept connection before it carries the next message.
//!
//! Opening the connections here also lets us set `TCP_NODELAY`. lettre writes a message's body
//! and its closing `.` in two writes; with Nagle's algorithm on, the `.` waits for the server to
//! acknowledge the body, which a server delays by ~40 ms since it has nothing to answer yet. That
//! stall, once per message, capped a worker at ~25 messages/s per connection.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use percent_encoding::percent_decode_str;
use rustls::pki_types::ServerName;
use rustls_platform_verifier::ConfigVerifierExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one whole delivery may take, from connecting to the server's answer to the data;
/// below the job runner's own limit so that the job's error says what was slow.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// Connections kept open between messages, at most; more may be open while many messages go out
/// at once, and those close after their message.
const MAX_IDLE: usize = 8;
/// How long a kept connection may take to answer `NOOP` before a fresh one is opened instead.
const NOOP_TIMEOUT: Duration = Duration::from_secs(2);
/// A connection unused this long is closed rather than reused: servers drop idle clients after
/// a while (RFC 5321 suggests 5 minutes), and an idle one holds a slot on the server.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// An SMTP relay and the connections to it kept open between messages.
pub(super) struct Smtp {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
    server_name: ServerName<'static>,
    /// A relay on this machine: the one place credentials may travel without TLS.
    loopback: bool,
    /// The TLS client of the configured form, built on first use: loading the platform's roots
    /// costs time and memory that a process which never sends mail should not pay at start-up.
    starttls: OnceLock<Result<TlsParameters, String>>,
    implicit_tls: OnceLock<Result<TlsConnector, String>>,
    /// Open connections between two messages, the most recently used last.
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    connection: AsyncSmtpConnection,
    since: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls { required: bool },
    Implicit,
}

impl Smtp {
    /// The relay `url` names; errors never repeat the URL (it may hold a password).
    pub(super) fn new(url: &str) -> Result<Self, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
        let host = url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']')).unwrap_or_default();
        if host.is_empty() {
            return Err("no host".into());
        }
        let tls_mode = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (port, security) = match (url.scheme(), tls_mode.as_deref()) {
            ("smtp", None | Some("none")) => (25, Security::Plain),
            ("smtp", Some("required" | "starttls")) => (587, Security::StartTls { required: true }),
            ("smtp", Some("opportunistic")) => (587, Security::StartTls { required: false }),
            ("smtps", None | Some("implicit" | "wrapper")) => (465, Security::Implicit),
            (scheme @ ("smtp" | "smtps"), Some(mode)) => return Err(format!("unknown tls={mode:?} for {scheme}://")),
            (scheme, _) => return Err(format!("unknown scheme {scheme:?} (use smtp:// or smtps://)")),
        };
        let server_name = ServerName::try_from(host.to_owned()).map_err(|_| "the host is not a valid server name")?;
        let credentials = match url.username() {
            "" => None,
            user => {
                let decode = |s: &str| {
                    percent_decode_str(s)
                        .decode_utf8()
                        .map(std::borrow::Cow::into_owned)
                        .map_err(|_| "credentials are not UTF-8")
                };
                Some(Credentials::new(decode(user)?, decode(url.password().unwrap_or_default())?))
            }
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Self {
            host: host.to_owned(),
            port: url.port().unwrap_or(port),
            security,
            hello,
            credentials,
            loopback: host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
            server_name,
            starttls: OnceLock::new(),
            implicit_tls: OnceLock::new(),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Deliver one message; the error says which step failed, never with a credential, and
    /// whether the server refused it for good (a 5xx reply).
    pub(super) async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SendFailure> {
        let deliver = async {
            if let Some(mut connection) = self.reuse().await {
                match connection.send(envelope, message).await {
                    Ok(_) => {
                        self.keep(connection).await;
                        return Ok(());
                    }
                    // Refused for good (5xx): a fresh connection would hear the same.
                    Err(e) if e.is_permanent() => {
                        connection.abort().await;
                        return Err(SendFailure::of(&e));
                    }
                    // The server may have hung up or refused this session (say, after its limit
                    // of messages per connection): one more try on a fresh connection. If it had
                    // in fact taken the message, this sends it twice, as a retried job would.
                    Err(_) => connection.abort().await,
                }
            }
            let mut connection = self.connect().await.map_err(SendFailure::temporary)?;
            match connection.send(envelope, message).await {
                Ok(_) => {
                    self.keep(connection).await;
                    Ok(())
                }
                Err(e) => {
                    connection.abort().await;
                    Err(SendFailure::of(&e))
                }
            }
        };
        tokio::time::timeout(SEND_TIMEOUT, deliver)
            .await
            .unwrap_or_else(|_| Err(SendFailure::temporary(format!("no answer within {} s", SEND_TIMEOUT.as_secs()))))
    }

    /// A kept connection that still answers, if there is one. Stale and silent ones are
    /// dropped without a `QUIT`: waiting on a server that may be gone would delay this message.
    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let Idle { mut connection, since } = self.idle_list().pop()?;
            if since.elapsed() >= IDLE_TIMEOUT {
                // The list is in order of use: every other one is older still.
                self.idle_list().clear();
                return None;
            }
            if tokio::time::timeout(NOOP_TIMEOUT, connection.test_connected()).await == Ok(true) {
                return Some(connection);
            }
        }
    }

    /// Keep a connection that just delivered for the next message, or close it (`QUIT`).
    async fn keep(&self, mut connection: AsyncSmtpConnection) {
        if !connection.has_broken() {
            let mut idle = self.idle_list();
            if idle.len() < MAX_IDLE {
                idle.push(Idle { connection, since: Instant::now() });
                return;
            }
        }
        connection.abort().await;
    }

    fn idle_list(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A connection ready for `MAIL FROM`: greeted, encrypted as configured, authenticated.
    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| format!("cannot connect within {} s", CONNECT_TIMEOUT.as_secs()))?
            .map_err(|e| format!("cannot connect: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
        let stream: Box<dyn AsyncTokioStream> = match self.security {
            Security::Implicit => {
                let stream = self
                    .implicit_tls()?
                    .connect(self.server_name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS handshake failed: {e}"))?;
                Box::new(ImplicitTls(stream))
            }
            Security::Plain | Security::StartTls { .. } => Box::new(tcp),
        };
        let mut connection =
            AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await.map_err(|e| e.to_string())?;
        if let Security::StartTls { required } = self.security
            && (required || connection.can_starttls())
        {
            let parameters = self.starttls()?.clone();
            connection.starttls(parameters, &self.hello).await.map_err(|e| e.to_string())?;
        }
        if let Some(credentials) = &self.credentials {
            if !connection.is_encrypted() && !self.loopback {
                connection.abort().await;
                return Err("refusing to send credentials over an unencrypted connection \
                            (use ?tls=required or smtps://)"
                    .into());
            }
            connection.auth(DEFAULT_MECHANISMS, credentials).await.map_err(|e| e.to_string())?;
        }
        Ok(connection)
    }

    /// STARTTLS is lettre's: it upgrades the connection it already holds.
    fn starttls(&self) -> Result<&TlsParameters, String> {
        let build = || {
            super::install_crypto_provider();
            TlsParameters::new(self.host.clone()).map_err(|e| format!("TLS set-up failed: {e}"))
        };
        self.starttls.get_or_init(build).as_ref().map_err(Clone::clone)
    }

    /// Implicit TLS is ours: the handshake comes before lettre reads the server's greeting.
    fn implicit_tls(&self) -> Result<&TlsConnector, String> {
        let build = || {
            super::install_crypto_provider();
            let config =
                rustls::ClientConfig::with_platform_verifier().map_err(|e| format!("TLS set-up failed: {e}"))?;
            Ok(TlsConnector::from(Arc::new(config)))
        };
        self.implicit_tls.get_or_init(build).as_ref().map_err(Clone::clone)
    }
}

/// An implicit-TLS stream in the shape lettre takes over (it needs the peer's address).
#[derive(Debug)]
struct ImplicitTls(TlsStream<TcpStream>);

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Why a message was not sent.
#[derive(Debug)]
pub(super) struct SendFailure {
    /// The server refused it for good (5xx): another try would hear the same.
    pub permanent: bool,
    pub message: String,
}

impl SendFailure {
    fn of(e: &lettre::transport::smtp::Error) -> Self {
        Self { permanent: e.is_permanent(), message: e.to_string() }
    }

    fn temporary(message: String) -> Self {
        Self { permanent: false, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        for (url, port, security) in [
            ("smtp://127.0.0.1:2525", 2525, Security::Plain),
            ("smtp://localhost", 25, Security::Plain),
            ("smtp://user:p%40ss@mail.example.com:587?tls=required", 587, Security::StartTls { required: true }),
            ("smtp://user:pass@mail.example.com?tls=starttls", 587, Security::StartTls { required: true }),
            ("smtp://mail.example.com?tls=opportunistic", 587, Security::StartTls { required: false }),
            ("smtps://user:pass@mail.example.com:4650", 4650, Security::Implicit),
            ("smtps://mail.example.com", 465, Security::Implicit),
            ("smtp://[::1]:2525/roster.example.com", 2525, Security::Plain),
        ] {
            let smtp = Smtp::new(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!((smtp.port, smtp.security), (port, security), "{url}");
        }
        let smtp = Smtp::new("smtp://us%40er:p%40ss@[::1]:2525/roster.example.com").unwrap();
        assert_eq!(smtp.host, "::1");
        assert_eq!(smtp.credentials, Some(Credentials::new("us@er".into(), "p@ss".into())));
        assert_eq!(smtp.hello, ClientId::Domain("roster.example.com".into()));
        for (url, loopback) in [
            ("smtp://u:p@localhost", true),
            ("smtp://u:p@127.0.0.1:2525", true),
            ("smtp://u:p@[::1]:2525", true),
            ("smtp://u:p@mail.example.com", false),
            ("smtp://u:p@10.0.0.1", false),
        ] {
            assert_eq!(Smtp::new(url).unwrap().loopback, loopback, "{url}");
        }
    }

    #[test]
    fn refuses_others_without_echoing_secrets() {
        for url in ["http://user:hunter2@host", "smtp://user:hunter2@host?tls=maybe", "smtp://", "hunter2", ""] {
            let Err(e) = Smtp::new(url) else { panic!("{url} accepted") };
            assert!(!e.contains("hunter2"), "{e}");
        }
    }
}
