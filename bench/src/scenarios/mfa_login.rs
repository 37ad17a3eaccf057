//! Logins with MFA: each is the password step (`POST /v1/auth/login` → `mfa_token`, one argon2id
//! verify) and the TOTP step (`POST /v1/auth/mfa` with a code computed here, as an authenticator
//! app would). The figure is completed MFA logins/s as a share of this machine's argon2 ceiling,
//! measured in the same run: the second factor should cost next to nothing. Target ≥ 80 %.
//!
//! Roster accepts each time step once per user (a replayed code is refused), so a user can finish
//! at most two MFA logins per 30 s window here (the codes of the current and the next step). The
//! scenario therefore enrols enough users of its own for the run (confirming each with the code of
//! the previous step) and spreads the logins over them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use hyper::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::loadgen::{Conn, Reply, Target, run_each};
use crate::report::Metric;
use crate::scenarios::{Ctx, SeededUser, argon2, seed};
use crate::totp;

pub const TARGET_PCT_OF_CEILING: f64 = 80.0;

/// One enrolled user: how to sign in, its seed, and the last step this run used.
struct Enrolled {
    user: SeededUser,
    seed: Vec<u8>,
    last_step: Mutex<u64>,
}

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let seconds = ctx.args.duration().as_secs_f64();
    // Two logins per user per window, with room to spare at 150 logins/s.
    let n = ((150.0 * seconds / 2.0) as usize).clamp(100, 3000);
    let target = ctx.target();
    let made = seed::sign_up_as(&target, ctx.limits(), "mfa", n).await;
    ensure!(made.failures == 0, "sign-ups failed: {}", made.first_failure.unwrap_or_default());
    let enrolled = enrol(&target, ctx.limits().connections, made.users).await?;
    eprintln!("   {} users with MFA on", enrolled.len());

    let users = Arc::new(enrolled);
    let next = Arc::new(AtomicUsize::new(0));
    let (done, failed, exhausted) =
        (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let first_problem = Arc::new(Mutex::new(None::<String>));
    let deadline = Instant::now() + ctx.args.duration();
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..ctx.args.connections {
        let (users, next, target) = (users.clone(), next.clone(), target.clone());
        let (done, failed, exhausted, first_problem) =
            (done.clone(), failed.clone(), exhausted.clone(), first_problem.clone());
        workers.push(tokio::spawn(async move {
            let mut conn = Conn::connect(target.addr).await.ok();
            while Instant::now() < deadline {
                let Some((user, step)) = pick(&users, &next).await else {
                    exhausted.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                if conn.is_none() {
                    conn = Conn::connect(target.addr).await.ok();
                }
                let Some(c) = conn.as_mut() else { continue };
                match login(c, &target, user, step).await {
                    Ok(()) => {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        first_problem.lock().await.get_or_insert_with(|| format!("{e:#}"));
                        conn = None;
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await.context("an MFA login worker failed")?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let (done, failed) = (done.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!(
        "   {done} MFA logins in {elapsed:.2} s, {failed} failed, {} waits for a fresh step",
        exhausted.load(Ordering::Relaxed)
    );
    if let Some(p) = first_problem.lock().await.as_ref() {
        eprintln!("   first problem: {p}");
    }
    let per_s = done as f64 / elapsed;
    ctx.report.add(Metric::new("mfa_login_per_s", "MFA logins (password + TOTP)", per_s, "logins/s", 1));
    ctx.report.add(Metric::new("mfa_login_failures", "MFA login failures", failed as f64, "", 0).at_most(0.0));
    match ctx.report.value(argon2::KEY) {
        Some(ceiling) if ceiling > 0.0 => ctx.report.add(
            Metric::new("mfa_login_pct_of_argon2", "MFA logins vs argon2 ceiling", 100.0 * per_s / ceiling, "%", 1)
                .at_least(TARGET_PCT_OF_CEILING),
        ),
        _ => eprintln!("   (no argon2 ceiling measured: share of ceiling not reported)"),
    }
    Ok(())
}

/// The next user with a step left in this window, and that step (the current one or the next:
/// both are within Roster's ±1 step and neither can have left it by the time it is checked).
async fn pick<'a>(users: &'a [Enrolled], next: &AtomicUsize) -> Option<(&'a Enrolled, u64)> {
    for _ in 0..users.len() {
        let user = &users[next.fetch_add(1, Ordering::Relaxed) % users.len()];
        let now = totp::now_step();
        let mut last = user.last_step.lock().await;
        let step = (*last + 1).max(now);
        if step <= now + 1 {
            *last = step;
            return Some((user, step));
        }
    }
    None
}

async fn login(conn: &mut Conn, target: &Target, user: &Enrolled, step: u64) -> anyhow::Result<()> {
    let first = json!({"email": user.user.email, "password": user.user.password});
    let reply = expect(conn.send(target.post_json("/v1/auth/login", &first)).await?, StatusCode::OK)?;
    let mfa_token = reply["mfa_token"].as_str().context("no mfa_token")?.to_owned();
    let second = json!({"mfa_token": mfa_token, "code": totp::code(&user.seed, step)});
    let reply = expect(conn.send(target.post_json("/v1/auth/mfa", &second)).await?, StatusCode::OK)?;
    ensure!(reply["token"].is_string(), "no session token");
    Ok(())
}

fn expect(reply: Reply, status: StatusCode) -> anyhow::Result<Value> {
    ensure!(reply.status == status, "{}: {}", reply.status, reply.body_excerpt(200));
    Ok(serde_json::from_slice(&reply.body)?)
}

/// Log each user in, start TOTP enrolment and confirm it with the current code.
async fn enrol(target: &Target, connections: usize, users: Vec<SeededUser>) -> anyhow::Result<Vec<Enrolled>> {
    let users = Arc::new(users);
    let n = users.len();
    let (t, u) = (target.clone(), users.clone());
    let limits = crate::loadgen::Limits { connections, ..Default::default() };
    let logins = run_each(target, limits, n, move |i| {
        t.post_json("/v1/auth/login", &json!({"email": u[i].email, "password": u[i].password}))
    })
    .await;
    let mut out = Vec::with_capacity(n);
    let mut conn = Conn::connect(target.addr).await?;
    for (user, reply) in users.iter().zip(logins) {
        let session = expect(reply?, StatusCode::OK)?["token"].as_str().context("no token")?.to_owned();
        let started =
            expect(conn.send(bearer_post(target, "/v1/auth/mfa/totp", &session, &json!({}))).await?, StatusCode::OK)?;
        let seed = totp::base32_decode(started["secret"].as_str().context("no secret")?).context("bad base32")?;
        // The step before the current one (within Roster's ±1): the current and the next are
        // then left for the timed phase.
        let step = totp::now_step() - 1;
        let code = json!({"code": totp::code(&seed, step)});
        expect(conn.send(bearer_post(target, "/v1/auth/mfa/totp/confirm", &session, &code)).await?, StatusCode::OK)?;
        out.push(Enrolled { user: user.clone(), seed, last_step: Mutex::new(step) });
    }
    Ok(out)
}

fn bearer_post(target: &Target, path: &str, token: &str, body: &Value) -> hyper::Request<crate::loadgen::Body> {
    let mut request = target.post_json(path, body);
    request.headers_mut().insert(
        hyper::header::AUTHORIZATION,
        hyper::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("a token is ASCII"),
    );
    request
}
