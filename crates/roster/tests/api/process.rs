//! The real binary as a child process: `roster serve` and `roster worker` with a clean
//! environment, run in the test's folder, their log kept in a file of that folder so that a
//! failing test can show it. Used by the synchronous tests of `cli` and the async fault tests of
//! `queue_faults` (which wait without blocking their runtime: the sinks run on it).

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::helpers::TestDb;

/// The binary under test: the one cargo built with the tests, or `ROSTER_BIN` (an absolute
/// path: CI points it at the release build for the tests that drive the process from outside).
pub fn bin() -> PathBuf {
    match std::env::var_os("ROSTER_BIN").filter(|b| !b.is_empty()) {
        Some(bin) => std::fs::canonicalize(&bin).unwrap_or_else(|e| panic!("ROSTER_BIN={}: {e}", bin.display())),
        None => PathBuf::from(env!("CARGO_BIN_EXE_roster")),
    }
}

/// How long a process may take to start listening (a debug build migrating a database while
/// many tests run at once).
const START_LIMIT: Duration = Duration::from_mins(1);

/// The binary with a clean environment (only what is given), run in the test's folder so no
/// stray roster.toml is read.
pub fn roster(db: &TestDb, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(bin());
    command.env_clear().current_dir(db.dir()).env("ROSTER_DATABASE_URL", &db.url).env("ROSTER_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// A port nothing listens on right now (the listener that found it is closed again).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `roster` child process; killed when dropped.
pub struct Process {
    pub child: Child,
    log: Option<PathBuf>,
}

impl Process {
    /// `roster SUBCOMMAND` with `env`, its stderr (the log) written to a file in the test's folder.
    pub fn spawn(db: &TestDb, subcommand: &str, env: &[(&str, &str)]) -> Self {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let path = db.dir().join(format!("{subcommand}-{}.log", SEQ.fetch_add(1, Ordering::Relaxed)));
        let log = std::fs::File::create(&path).expect("log file");
        let mut process = Self::spawn_logging(db, subcommand, env, Stdio::from(log));
        process.log = Some(path);
        process
    }

    pub fn spawn_logging(db: &TestDb, subcommand: &str, env: &[(&str, &str)], log: Stdio) -> Self {
        let child = roster(db, env).arg(subcommand).stdout(Stdio::null()).stderr(log).spawn().expect("roster starts");
        Self { child, log: None }
    }

    /// What the process logged so far (for failure messages).
    pub fn log(&self) -> String {
        match &self.log {
            Some(path) => std::fs::read_to_string(path).unwrap_or_else(|e| format!("(log unreadable: {e})")),
            None => "(log not kept)".into(),
        }
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success(), "kill -TERM");
    }

    /// `kill -9`: no shutdown code runs, whatever the process held stays held.
    pub fn sigkill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, then wait (blocking) for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        self.sigterm();
        self.child.wait().unwrap()
    }

    /// Wait for the exit without blocking the runtime; panics after `limit`.
    pub async fn exited(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "roster still running {limit:?} after SIGTERM; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `roster serve` on a free port, once it accepts connections (it binds only after migrating).
pub struct Server {
    pub process: Process,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    listen: String,
}

impl Server {
    /// Start and wait (blocking) until the port accepts.
    pub fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        Self::start_blocking(db, env, None)
    }

    /// [`Server::start`] with the log going to `log`.
    pub fn start_logging(db: &TestDb, env: &[(&str, &str)], log: Stdio) -> Self {
        Self::start_blocking(db, env, Some(log))
    }

    fn start_blocking(db: &TestDb, env: &[(&str, &str)], log: Option<Stdio>) -> Self {
        let mut server = Self::spawn(db, env, log);
        let deadline = Instant::now() + START_LIMIT;
        while std::net::TcpStream::connect(&server.listen).is_err() {
            server.check_starting(deadline);
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Start and wait, without blocking the runtime, until the port accepts.
    pub async fn serve(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let mut server = Self::spawn(db, env, None);
        let deadline = Instant::now() + START_LIMIT;
        while tokio::net::TcpStream::connect(&server.listen).await.is_err() {
            server.check_starting(deadline);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server
    }

    fn spawn(db: &TestDb, env: &[(&str, &str)], log: Option<Stdio>) -> Self {
        let listen = format!("127.0.0.1:{}", free_port());
        let mut env = env.to_vec();
        env.push(("ROSTER_LISTEN", &listen));
        let process = match log {
            Some(log) => Process::spawn_logging(db, "serve", &env, log),
            None => Process::spawn(db, "serve", &env),
        };
        Server { process, base: format!("http://{listen}"), listen }
    }

    fn check_starting(&mut self, deadline: Instant) {
        if let Some(status) = self.process.child.try_wait().unwrap() {
            panic!("roster serve exited during start-up ({status}); log:\n{}", self.process.log());
        }
        assert!(Instant::now() < deadline, "roster serve did not listen within {START_LIMIT:?}; log:\n{}", self.log());
    }

    /// The host and port it listens on.
    pub fn address(&self) -> &str {
        &self.listen
    }

    pub fn log(&self) -> String {
        self.process.log()
    }

    pub fn terminate(&mut self) -> ExitStatus {
        self.process.terminate()
    }
}
