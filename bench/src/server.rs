//! Starting and stopping the service under test.
//!
//! Each run gets a fresh temp dir holding the SQLite file, the mail dir and the server's log.
//! The server runs with that dir as its working directory (so no stray `roster.toml` is read)
//! and with every inherited `ROSTER_*` / `QM_*` variable removed before the harness sets its own.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use hyper::StatusCode;

use crate::loadgen::{Conn, Target};

/// How long to wait for the first healthy answer before giving up.
const STARTUP_LIMIT: Duration = Duration::from_secs(30);
/// How long a SIGTERM gets before SIGKILL.
const STOP_LIMIT: Duration = Duration::from_secs(10);

pub struct ServerConfig<'a> {
    pub bin: &'a Path,
    pub extra_env: Vec<(&'a str, &'a str)>,
}

pub struct Server {
    child: Option<Child>,
    dir: PathBuf,
    /// Whether the dir is this server's own (removed on stop) or lent by the caller.
    owns_dir: bool,
    spawned_at: Instant,
    pub target: Target,
}

impl Server {
    /// Creates the temp dir, picks a free port and spawns `roster serve`. Returns at once; see
    /// [`Server::wait_healthy`].
    pub fn spawn(cfg: &ServerConfig<'_>) -> anyhow::Result<Self> {
        let dir = make_temp_dir()?;
        match Self::spawn_in(cfg, dir.clone()) {
            Ok(mut server) => {
                server.owns_dir = true;
                Ok(server)
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }

    /// As [`Server::spawn`], in a dir the caller keeps (its `roster.db` survives a restart).
    pub fn spawn_in(cfg: &ServerConfig<'_>, dir: PathBuf) -> anyhow::Result<Self> {
        let port = free_port()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let log = File::create(dir.join("server.log")).context("creating server.log")?;
        let log2 = log.try_clone()?;

        let mut cmd = Command::new(cfg.bin);
        cmd.arg("serve").current_dir(&dir).stdin(Stdio::null()).stdout(log).stderr(log2);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("ROSTER_") || k.starts_with("QM_") {
                cmd.env_remove(&*k);
            }
        }
        cmd.env("ROSTER_DATABASE_URL", format!("sqlite://{}", dir.join("roster.db").display()))
            .env("ROSTER_LISTEN", addr.to_string())
            .env("ROSTER_RATE_LIMIT_ANON", "0")
            .env("ROSTER_MAIL_DIR", dir.join("mail"));
        for (k, v) in &cfg.extra_env {
            cmd.env(k, v);
        }

        let spawned_at = Instant::now();
        let child = cmd.spawn().with_context(|| format!("spawning {}", cfg.bin.display()))?;
        Ok(Self { child: Some(child), dir, owns_dir: false, spawned_at, target: Target::new(addr) })
    }

    /// Polls `GET /healthz` every `every` until it answers 200; returns the time since spawn.
    pub async fn wait_healthy(&mut self, every: Duration) -> anyhow::Result<Duration> {
        loop {
            if let Some(status) = self.try_wait()? {
                bail!("server exited during start-up ({status}); its log:\n{}", self.log_tail(4096));
            }
            if self.healthz_once().await {
                return Ok(self.spawned_at.elapsed());
            }
            if self.spawned_at.elapsed() > STARTUP_LIMIT {
                bail!(
                    "no 200 from GET /healthz on {} within {STARTUP_LIMIT:?}; server log:\n{}",
                    self.target.addr,
                    self.log_tail(4096)
                );
            }
            tokio::time::sleep(every).await;
        }
    }

    async fn healthz_once(&self) -> bool {
        let attempt = async {
            let mut conn = Conn::connect(self.target.addr).await?;
            conn.send(self.target.get("/healthz", None)).await
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(1), attempt).await,
            Ok(Ok(reply)) if reply.status == StatusCode::OK
        )
    }

    /// The server's temp dir: working directory, `roster.db`, `mail/`, `server.log`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// VmRSS of the server process, in KiB.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        let pid = self.pid().ok_or_else(|| anyhow!("server not running"))?;
        let status =
            fs::read_to_string(format!("/proc/{pid}/status")).with_context(|| format!("reading /proc/{pid}/status"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow!("no VmRSS line in /proc/{pid}/status"))
    }

    fn try_wait(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        match &mut self.child {
            Some(child) => Ok(child.try_wait()?),
            None => bail!("server already stopped"),
        }
    }

    /// Last `max` bytes of the server's combined stdout/stderr.
    pub fn log_tail(&self, max: u64) -> String {
        let read = || -> std::io::Result<String> {
            let mut f = File::open(self.dir.join("server.log"))?;
            let len = f.metadata()?.len();
            f.seek(SeekFrom::Start(len.saturating_sub(max)))?;
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)?;
            Ok(String::from_utf8_lossy(&buf).into_owned())
        };
        match read() {
            Ok(s) if s.trim().is_empty() => "(empty)".to_owned(),
            Ok(s) => s,
            Err(e) => format!("(log unreadable: {e})"),
        }
    }

    /// SIGTERM, wait up to [`STOP_LIMIT`], SIGKILL if needed; then remove the temp dir.
    pub fn stop(&mut self) -> anyhow::Result<String> {
        let msg = match self.child.take() {
            Some(child) => terminate(child)?,
            None => "server already stopped".to_owned(),
        };
        if self.owns_dir {
            fs::remove_dir_all(&self.dir).with_context(|| format!("removing {}", self.dir.display()))?;
        }
        Ok(msg)
    }
}

impl Drop for Server {
    /// Safety net for early returns and panics: never leave a server or a temp dir behind.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if self.owns_dir {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn terminate(mut child: Child) -> anyhow::Result<String> {
    if let Some(status) = child.try_wait()? {
        return Ok(format!("server had already exited ({status})"));
    }
    let pid = libc::pid_t::try_from(child.id()).context("pid out of range")?;
    let t0 = Instant::now();
    // SAFETY: kill(2) with a pid of a child we spawned and have not yet reaped (so the pid
    // cannot have been reused) and a valid signal number; it touches no memory of ours.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        let _ = child.kill();
        let _ = child.wait();
        bail!("SIGTERM failed ({err}); killed the server");
    }
    while t0.elapsed() < STOP_LIMIT {
        if let Some(status) = child.try_wait()? {
            return Ok(format!("server stopped by SIGTERM in {} ms ({status})", t0.elapsed().as_millis()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill()?;
    child.wait()?;
    bail!("server ignored SIGTERM for {STOP_LIMIT:?}; killed it with SIGKILL")
}

pub fn make_temp_dir() -> anyhow::Result<PathBuf> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("roster-bench-{}-{nanos:09}", std::process::id()));
    fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Asks the kernel for a free port on 127.0.0.1 and releases it for the server to bind.
fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(l.local_addr()?.port())
}
