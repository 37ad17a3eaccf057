//! [`SmtpSink`]: a minimal SMTP server (no TLS; AUTH PLAIN accepted and recorded) for
//! `ROSTER_SMTP_URL`, and [`CountingSmtpSink`], the same server on a thread of its own that only
//! counts, for load tests.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::reached;

/// One message as the SMTP sink received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as sent after `DATA` (headers and body, CRLF line ends, dots unstuffed).
    pub raw: String,
}

impl ReceivedMail {
    /// The value of the first top-level header `name` (case-insensitive), unfolded. Encoded
    /// words (`=?utf-8?...?=`) are left as they are.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = value.as_mut() {
                    value.push_str(line);
                }
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((key, rest)) = line.split_once(':')
                && key.trim().eq_ignore_ascii_case(name)
            {
                value = Some(rest.trim_start().to_owned());
            }
        }
        value.map(|v| v.trim().to_owned())
    }

    /// The whole message with quoted-printable undone (Roster encodes both body parts so), for
    /// searching the text of a mail.
    pub fn decoded(&self) -> String {
        decode_quoted_printable(&self.raw)
    }

    /// The first link to `{public_url}/{path}?token=...` in the mail, e.g. `link("verify-email")`.
    pub fn link(&self, path: &str) -> Option<String> {
        let needle = format!("/{path}?token=");
        self.decoded()
            .split(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\''))
            .find(|word| word.starts_with("http") && word.contains(&needle))
            .map(|word| word.replace("&amp;", "&"))
    }

    /// The token of that link, percent-decoded.
    pub fn token(&self, path: &str) -> Option<String> {
        let link = self.link(path)?;
        let value = link.split_once("?token=")?.1.split('&').next()?;
        Some(percent_decode(value))
    }
}

/// A minimal SMTP server: greets, accepts `EHLO`/`HELO`, `AUTH PLAIN` (any credentials, which it
/// records), `MAIL`, `RCPT`, `DATA`, `RSET`, `NOOP` and `QUIT`, and keeps every message. It does
/// not offer STARTTLS, so point Roster at it with a plain `smtp://` URL ([`SmtpSink::url`]).
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<SmtpShared>,
    task: JoinHandle<()>,
}

#[derive(Default)]
struct SmtpShared {
    messages: Mutex<Vec<ReceivedMail>>,
    count: watch::Sender<usize>,
    fail_next: Mutex<usize>,
    refuse_next: Mutex<usize>,
    logins: Mutex<Vec<(String, String)>>,
    /// Connections accepted so far.
    sessions: AtomicUsize,
    /// Bumped by [`SmtpSink::hang_up`]: sessions opened before the bump close at their next
    /// command.
    hang_ups: AtomicUsize,
    /// Count messages without keeping them ([`CountingSmtpSink`]).
    discard: bool,
}

/// Accept SMTP sessions on `listener` for `shared`, until the task is dropped.
async fn serve_smtp(listener: TcpListener, shared: Arc<SmtpShared>) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let _ = smtp_session(stream, &shared).await;
            });
        }
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the SMTP sink");
        let addr = listener.local_addr().expect("the SMTP sink's address");
        let shared = Arc::new(SmtpShared::default());
        let task = tokio::spawn(serve_smtp(listener, Arc::clone(&shared)));
        Self { addr, shared, task }
    }

    /// `smtp://127.0.0.1:PORT`, for `ROSTER_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.messages.lock().unwrap().clone()
    }

    /// How many connections clients have opened.
    pub fn sessions(&self) -> usize {
        self.shared.sessions.load(Ordering::SeqCst)
    }

    /// Close every open connection at its next command, without an answer (as a server that
    /// timed out an idle client does).
    pub fn hang_up(&self) {
        self.shared.hang_ups.fetch_add(1, Ordering::SeqCst);
    }

    /// The user and password of every `AUTH PLAIN`, oldest first.
    pub fn logins(&self) -> Vec<(String, String)> {
        self.shared.logins.lock().unwrap().clone()
    }

    /// Answer the next `n` messages with `451` (a temporary failure) after their data, and keep
    /// none of them.
    pub fn fail_next(&self, n: usize) {
        *self.shared.fail_next.lock().unwrap() = n;
    }

    /// Answer the next `n` messages with `550` (refused for good) after their data, and keep
    /// none of them.
    pub fn refuse_next(&self, n: usize) {
        *self.shared.refuse_next.lock().unwrap() = n;
    }

    /// Wait until at least `n` messages have arrived, and return all of them; panics after
    /// `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        assert!(
            reached(&self.shared.count, n, timeout).await,
            "SMTP sink: {} of {n} messages after {timeout:?}",
            self.messages().len()
        );
        self.messages()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The SMTP sink for load tests: on a thread of its own with its own single-threaded runtime (so
/// delivering mail does not wait behind the load generator, nor the generator behind mail), it
/// counts the messages it accepts and keeps none. Stops when dropped.
pub struct CountingSmtpSink {
    addr: SocketAddr,
    shared: Arc<SmtpShared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CountingSmtpSink {
    pub fn start() -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(SmtpShared { discard: true, ..SmtpShared::default() });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = Arc::clone(&shared);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let thread = std::thread::Builder::new().name("smtp-sink".into()).spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::from_std(listener) else { return };
                tokio::select! {
                    () = serve_smtp(listener, serving) => {}
                    _ = stopped => {}
                }
            });
        })?;
        Ok(Self { addr, shared, stop: Some(stop), thread: Some(thread) })
    }

    /// `smtp://127.0.0.1:PORT`, for `ROSTER_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Messages accepted so far.
    pub fn received(&self) -> u64 {
        *self.shared.count.borrow() as u64
    }
}

impl Drop for CountingSmtpSink {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn smtp_session(stream: TcpStream, shared: &SmtpShared) -> std::io::Result<()> {
    shared.sessions.fetch_add(1, Ordering::SeqCst);
    let hang_ups = shared.hang_ups.load(Ordering::SeqCst);
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 roster-sink ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 || shared.hang_ups.load(Ordering::SeqCst) != hang_ups {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = command.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-roster-sink\r\n250 AUTH PLAIN\r\n",
            "HELO" => b"250 roster-sink\r\n",
            "AUTH" => match plain_credentials(&command) {
                Some(login) => {
                    shared.logins.lock().unwrap().push(login);
                    b"235 2.7.0 Authentication successful\r\n"
                }
                None => b"504 5.5.4 Only AUTH PLAIN with an initial response\r\n",
            },
            "MAIL" => {
                from = angle_address(&command);
                to.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" => {
                to.push(angle_address(&command));
                b"250 2.1.5 OK\r\n"
            }
            "DATA" if to.is_empty() => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let raw = read_data(&mut read).await?;
                let take = |counter: &Mutex<usize>| {
                    let mut left = counter.lock().unwrap();
                    let taken = *left > 0;
                    *left = left.saturating_sub(1);
                    taken
                };
                let (failing, refusing) = (take(&shared.fail_next), take(&shared.refuse_next));
                let mail = ReceivedMail { from: std::mem::take(&mut from), to: std::mem::take(&mut to), raw };
                if failing {
                    b"451 4.3.0 The sink was told to fail this message\r\n"
                } else if refusing {
                    b"550 5.1.1 The sink was told to refuse this message\r\n"
                } else {
                    if shared.discard {
                        shared.count.send_modify(|n| *n += 1);
                    } else {
                        let count = {
                            let mut messages = shared.messages.lock().unwrap();
                            messages.push(mail);
                            messages.len()
                        };
                        shared.count.send_replace(count);
                    }
                    b"250 2.0.0 OK queued\r\n"
                }
            }
            "RSET" => {
                from.clear();
                to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not recognized\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The lines after `DATA` up to the lone `.`, dot-unstuffed.
async fn read_data(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<String> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(String::from_utf8_lossy(&data).into_owned());
        }
        data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
    }
}

/// User and password from `AUTH PLAIN base64("authzid\0user\0password")`.
fn plain_credentials(command: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    let mut words = command.split(' ').skip(1);
    if !words.next()?.eq_ignore_ascii_case("PLAIN") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(words.next()?).ok()?;
    let mut parts = decoded.split(|&b| b == 0).skip(1).map(|part| String::from_utf8_lossy(part).into_owned());
    Some((parts.next()?, parts.next()?))
}

/// `a@b` from `MAIL FROM:<a@b> BODY=8BITMIME`.
fn angle_address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..].find('>').map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}

fn decode_quoted_printable(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if bytes[i + 1..].starts_with(b"\n") {
                i += 2;
                continue;
            }
            if let Some(byte) = bytes.get(i + 1..i + 3).and_then(hex_byte) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = bytes.get(i + 1..i + 3).and_then(hex_byte)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    u8::from_str_radix(std::str::from_utf8(two).ok()?, 16).ok()
}
