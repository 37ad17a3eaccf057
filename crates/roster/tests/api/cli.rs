//! The real binary: configuration errors, `config example`, `migrate`, `user create`, the admin
//! bootstrap and graceful shutdown on SIGTERM.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestDb};
use crate::process::{Server, roster};

fn run(command: &mut Command) -> Output {
    command.output().expect("roster runs")
}

#[test]
fn config_example_prints_every_setting() {
    let db = TestDb::new_blocking();
    let out = run(roster(&db, &[]).args(["config", "example"]));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for key in [
        "database_url",
        "listen",
        "public_url",
        "signup",
        "smtp_url",
        "password_min_length",
        "rate_limit_anon",
        "trusted_proxies",
        "qm_account_sync",
    ] {
        assert!(text.contains(key), "{key} missing from the example");
    }
}

#[test]
fn a_bad_value_stops_start_up_naming_the_variable() {
    let db = TestDb::new_blocking();
    for (key, value) in [
        ("ROSTER_LISTEN", "not-an-address"),
        ("ROSTER_PASSWORD_MIN_LENGTH", "abc"),
        ("ROSTER_PASSWORD_MIN_LENGTH", "4"),
        ("ROSTER_SIGNUP", "sometimes"),
        ("ROSTER_PUBLIC_URL", "ftp://x"),
        ("QM_USER_ANALYTICS", "perhaps"),
        ("ROSTER_TRUSTED_PROXIES", "10.0.0.1,nope"),
        ("ROSTER_DATABASE_URL", "mysql://x"),
        ("ROSTER_SECRET_KEY", "too-short-to-be-a-key"),
        ("ROSTER_SECRET_KEY_FILE", "/nonexistent/roster.key"),
        ("ROSTER_MFA_ISSUER", "Acme:ID"),
    ] {
        let out = run(roster(&db, &[(key, value)]).arg("migrate"));
        assert!(!out.status.success(), "{key}={value} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(key), "{key}={value}: {stderr}");
    }
}

#[test]
fn the_secret_key_comes_from_a_file_and_is_never_shown_and_without_one_a_warning_says_so() {
    let db = TestDb::new_blocking();
    let key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let file = db.dir().join("roster.key");
    std::fs::write(&file, format!("{key}\n")).unwrap();
    let path = file.display().to_string();
    let create = |email: &str| {
        ["user", "create", "--email", email, "--password", "amber kettles whistle at noon 17"].map(str::to_owned)
    };
    let out = run(roster(&db, &[("ROSTER_SECRET_KEY_FILE", &path)]).args(create("ada@example.com")));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("ROSTER_SECRET_KEY is not set"), "{stderr}");

    let both = run(roster(&db, &[("ROSTER_SECRET_KEY_FILE", &path), ("ROSTER_SECRET_KEY", key)]).arg("migrate"));
    assert!(!both.status.success(), "one or the other");
    let bad = run(roster(&db, &[("ROSTER_SECRET_KEY", "0123456789abcdef-secret-not-a-key")]).arg("migrate"));
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("ROSTER_SECRET_KEY") && !said.contains("0123456789abcdef-secret"), "{said}");

    let none = run(roster(&db, &[]).args(create("bob@example.com")));
    assert!(none.status.success(), "{}", String::from_utf8_lossy(&none.stderr));
    assert!(String::from_utf8_lossy(&none.stderr).contains("ROSTER_SECRET_KEY is not set"), "the warning");
}

#[test]
fn a_misspelt_variable_is_reported_with_the_one_it_meant() {
    let db = TestDb::new_blocking();
    let out = run(roster(&db, &[("ROSTER_PASWORD_MIN_LENGTH", "20"), ("QM_USER_ANALYTICS", "false")]).arg("migrate"));
    assert!(out.status.success(), "a warning does not stop start-up");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warning = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["fields"]["variable"] == "ROSTER_PASWORD_MIN_LENGTH")
        .unwrap_or_else(|| panic!("no warning for the misspelt variable: {stderr}"));
    assert_eq!(warning["level"], "WARN", "{warning}");
    assert_eq!(warning["fields"]["did_you_mean"], "ROSTER_PASSWORD_MIN_LENGTH", "{warning}");
    assert!(!stderr.contains("\"QM_USER_ANALYTICS\""), "a known variable is not reported: {stderr}");
}

#[test]
fn migrate_then_user_create_then_login() {
    let db = TestDb::new_blocking();
    let out = run(roster(&db, &[]).arg("migrate"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(roster(&db, &[]).args([
        "user",
        "create",
        "--email",
        "root@example.com",
        "--password",
        PASSWORD,
        "--name",
        "Root",
        "--platform-admin",
        "--account",
        "HQ",
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["platform_admin"], true);

    let out = run(roster(&db, &[]).args(["user", "create", "--email", "weak@example.com", "--password", "short"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));

    let server = Server::start(&db, &[]);
    let login = http_post(&server.base, "/v1/auth/login", &json!({"email": "root@example.com", "password": PASSWORD}));
    assert_eq!(login.0, 200, "{:?}", login.1);
    assert_eq!(login.1["user"]["platform_admin"], true);
}

#[test]
fn start_up_creates_the_configured_admin_on_an_empty_database_only() {
    let db = TestDb::new_blocking();
    let env = [("ROSTER_ADMIN_EMAIL", "admin@example.com"), ("ROSTER_ADMIN_PASSWORD", PASSWORD)];
    let mut server = Server::start(&db, &env);
    let login = http_post(&server.base, "/v1/auth/login", &json!({"email": "admin@example.com", "password": PASSWORD}));
    assert_eq!(login.0, 200);
    assert_eq!(login.1["user"]["platform_admin"], true);
    assert!(server.terminate().success());

    // A second start with other credentials changes nothing: the database has users.
    let mut server =
        Server::start(&db, &[("ROSTER_ADMIN_EMAIL", "other@example.com"), ("ROSTER_ADMIN_PASSWORD", PASSWORD)]);
    let login = http_post(&server.base, "/v1/auth/login", &json!({"email": "other@example.com", "password": PASSWORD}));
    assert_eq!(login.0, 401);
    assert!(server.terminate().success());
}

#[test]
fn secrets_from_the_environment_keep_their_exact_text() {
    // Digits with a leading zero: typed as a number on the way in, it would lose the zero.
    let password = "0071942586304715";
    let db = TestDb::new_blocking();
    let mut server =
        Server::start(&db, &[("ROSTER_ADMIN_EMAIL", "admin@example.com"), ("ROSTER_ADMIN_PASSWORD", password)]);
    let login = http_post(&server.base, "/v1/auth/login", &json!({"email": "admin@example.com", "password": password}));
    assert_eq!(login.0, 200, "{:?}", login.1);
    assert!(server.terminate().success());
}

#[test]
fn sigterm_finishes_in_flight_requests_then_exits() {
    use std::io::{Read, Write};

    let db = TestDb::new_blocking();
    let mut server = Server::start(&db, &[]);
    let address = server.address().to_owned();
    // Send the headers and half the body, so the request is in flight when the signal arrives.
    let body = json!({"email": "late@example.com", "password": PASSWORD, "name": "Late"}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(stream, "POST /v1/users HTTP/1.1\r\nHost: roster\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}", body.len()).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.process.sigterm();
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "the in-flight request completed: {response}");
    let status = server.process.child.wait().unwrap();
    assert!(status.success(), "clean exit: {status:?}");
    assert!(std::net::TcpStream::connect(&address).is_err(), "no longer accepting");
}

#[test]
fn sigterm_answers_every_request_already_waiting_to_be_accepted() {
    use std::io::{Read, Write};

    const WAITING: usize = 20;
    let db = TestDb::new_blocking();
    let mut server = Server::start(&db, &[("ROSTER_RATE_LIMIT_ANON", "0")]);
    let pid = server.process.child.id().to_string();
    let signal =
        |name: &str| assert!(Command::new("kill").arg(name).arg(&pid).status().unwrap().success(), "kill {name}");
    // While the server is stopped, the kernel completes clients' connections and takes their
    // requests, but nothing accepts them: they wait in the listen backlog when the signal comes.
    signal("-STOP");
    let mut streams = Vec::new();
    for i in 0..WAITING {
        let body = json!({"email": format!("waiting{i}@example.com"), "password": PASSWORD, "name": "W"}).to_string();
        let mut stream = std::net::TcpStream::connect(server.address()).unwrap();
        write!(stream, "POST /v1/users HTTP/1.1\r\nHost: roster\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        stream.flush().unwrap();
        streams.push(stream);
    }
    signal("-TERM");
    signal("-CONT");
    for (i, mut stream) in streams.into_iter().enumerate() {
        stream.set_read_timeout(Some(Duration::from_mins(1))).unwrap();
        let mut response = String::new();
        let read = stream.read_to_string(&mut response);
        assert!(
            read.is_ok() && response.starts_with("HTTP/1.1 201"),
            "request {i}: {read:?} {response:?}; log:\n{}",
            server.log()
        );
    }
    let status = server.process.child.wait().unwrap();
    assert!(status.success(), "clean exit: {status:?}");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let stored = runtime.block_on(crate::sqlite_file::count_users(&db));
    assert_eq!(stored, WAITING as i64, "every answered sign-up is stored");
}

/// A minimal blocking JSON POST (the async client would need a runtime in these sync tests).
fn http_post(base: &str, path: &str, body: &Value) -> (u16, Value) {
    roster_core::notify::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new().post(format!("{base}{path}")).json(body).send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    })
}

#[test]
fn every_request_log_line_is_json_with_the_request_id() {
    let db = TestDb::new_blocking();
    let log_path = db.dir().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = Server::start_logging(&db, &[("ROSTER_LOG", "info")], Stdio::from(log));
    roster_core::notify::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let echoed = runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(format!("{}/v1/users/profile", server.base))
            .header("x-request-id", "trace-me-42")
            .send()
            .await
            .unwrap();
        response.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned())
    });
    assert_eq!(echoed.as_deref(), Some("trace-me-42"));
    assert!(server.terminate().success());
    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("every log line is JSON")).collect();
    let request_lines: Vec<&Value> = lines.iter().filter(|l| l["fields"]["request_id"] == "trace-me-42").collect();
    assert!(!request_lines.is_empty(), "{text}");
    assert!(
        request_lines.iter().any(|l| l["fields"]["status"] == 401),
        "the response is logged with its status: {text}"
    );
}
