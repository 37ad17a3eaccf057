//! A minimal SMTP server for the queue-drain scenario: greets, accepts `EHLO`/`HELO`, `MAIL`,
//! `RCPT`, `DATA`, `RSET`, `NOOP` and `QUIT` (no TLS, no AUTH, so the server is pointed at it
//! with a plain `smtp://` URL), counts every accepted message and throws it away.
//!
//! It runs on a thread of its own with its own single-threaded runtime, so that delivering mail
//! does not wait behind the load generator (which would slow the drain down) and the load
//! generator does not wait behind mail (which would inflate the latencies it measures).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub struct SmtpSink {
    addr: SocketAddr,
    received: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// Binds 127.0.0.1 on a port of the system's choosing and starts serving.
    pub fn start() -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding the SMTP sink")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let received = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = oneshot::channel::<()>();
        let counter = Arc::clone(&received);
        let thread = std::thread::Builder::new()
            .name("smtp-sink".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the SMTP sink's runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("the SMTP sink's listener");
                    tokio::select! {
                        () = accept_loop(listener, counter) => {}
                        _ = stopped => {}
                    }
                });
            })
            .context("starting the SMTP sink thread")?;
        Ok(Self { addr, received, stop: Some(stop), thread: Some(thread) })
    }

    /// `smtp://127.0.0.1:PORT`, for `ROSTER_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Messages accepted so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, received: Arc<AtomicU64>) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            let received = Arc::clone(&received);
            tokio::spawn(async move {
                let _ = session(stream, &received).await;
            });
        }
    }
}

async fn session(stream: TcpStream, received: &AtomicU64) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 bench-sink ESMTP ready\r\n").await?;
    let mut recipients = 0usize;
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let verb: String =
            line.iter().take_while(|b| b.is_ascii_alphabetic()).map(|b| b.to_ascii_uppercase() as char).collect();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 bench-sink\r\n",
            "MAIL" => {
                recipients = 0;
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" => {
                recipients += 1;
                b"250 2.1.5 OK\r\n"
            }
            "DATA" if recipients == 0 => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                skip_data(&mut read, &mut line).await?;
                recipients = 0;
                received.fetch_add(1, Ordering::Relaxed);
                b"250 2.0.0 OK queued\r\n"
            }
            "RSET" => {
                recipients = 0;
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

/// Reads the message up to the lone `.` line.
async fn skip_data(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, line: &mut Vec<u8>) -> std::io::Result<()> {
    loop {
        line.clear();
        if read.read_until(b'\n', line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(());
        }
    }
}
