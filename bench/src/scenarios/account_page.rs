//! The account page: `GET /account` for a user with 3 email addresses, 3 phones and 10 sessions
//! (one of them the page's own cookie session). First one request at a time for `--seconds`:
//! how long a page takes to serve, target p99 ≤ 5 ms. Then over `--connections` connections:
//! its throughput, against the same user's `GET /v1/users/profile` (the JSON the API serves from
//! the same rows) in the same run; the ratio says what the page's extra reads and its rendering
//! cost.

use anyhow::{Context, ensure};
use hyper::{Method, StatusCode};
use serde_json::json;

use crate::loadgen::{Limits, Target, TimedPlan, run_each, run_timed};
use crate::report::Metric;
use crate::scenarios::{Ctx, profile, seed};

pub const TARGET_P99_MS: f64 = 5.0;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let target = ctx.target();
    let user = seed::sign_up_as(&target, ctx.limits(), "page", 1).await.users.pop().context("a user for the page")?;
    let tokens = profile::log_in_as(&target, ctx.limits(), std::slice::from_ref(&user), 9).await?;
    let token = tokens[0].clone();
    let t = target.clone();
    let bearer = token.clone();
    let me = send(&target, move || t.get("/v1/users/profile", Some(&bearer))).await?;
    let id = serde_json::from_slice::<serde_json::Value>(&me)?["id"].as_str().context("an id")?.to_owned();
    for i in 1..3 {
        let body = json!({"email": format!("page-other{i}@example.com"), "password": user.password});
        let (t, bearer) = (target.clone(), token.clone());
        send(&target, move || t.json(Method::PUT, "/v1/users/email", &bearer, &body)).await?;
    }
    for i in 0..3 {
        let body = json!({"number": format!("+1415555010{i}")});
        let (t, bearer, path) = (target.clone(), token.clone(), format!("/v1/users/{id}/phone"));
        send(&target, move || t.json(Method::POST, &path, &bearer, &body)).await?;
    }
    let cookie = sign_in(&target, &user.email, &user.password).await?;

    let (t, page_cookie) = (target.clone(), cookie.clone());
    let one_at_a_time =
        TimedPlan { limits: Limits { connections: 1, ..ctx.limits() }, ..ctx.timed_plan(StatusCode::OK) };
    let alone = run_timed(&target, one_at_a_time, move |_, _| t.get_page("/account", &page_cookie)).await;
    let (t, page_cookie) = (target.clone(), cookie.clone());
    let page =
        run_timed(&target, ctx.timed_plan(StatusCode::OK), move |_, _| t.get_page("/account", &page_cookie)).await;
    let t = target.clone();
    let baseline =
        run_timed(&target, ctx.timed_plan(StatusCode::OK), move |_, _| t.get("/v1/users/profile", Some(&token))).await;
    eprintln!(
        "   /account one at a time: p50 {:.2} ms, p99 {:.2} ms",
        alone.percentile_ms(50.0),
        alone.percentile_ms(99.0)
    );
    eprintln!(
        "   /account: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms; the profile's JSON: {:.0} req/s, p99 {:.2} ms",
        page.rps(),
        page.percentile_ms(50.0),
        page.percentile_ms(99.0),
        baseline.rps(),
        baseline.percentile_ms(99.0)
    );
    ctx.report.add(Metric::new("account_page_alone_p50_ms", "/account alone p50", alone.percentile_ms(50.0), "ms", 2));
    ctx.report.add(
        Metric::new("account_page_alone_p99_ms", "/account alone p99", alone.percentile_ms(99.0), "ms", 2)
            .at_most(TARGET_P99_MS),
    );
    ctx.report.add_load("account_page", "/account", &page, None);
    ctx.report.add_load("account_profile", "the same user's profile JSON", &baseline, None);
    ctx.report.add(Metric::new(
        "account_page_vs_profile",
        "/account throughput vs the profile JSON",
        page.rps() / baseline.rps().max(1e-9),
        "x",
        2,
    ));
    Ok(())
}

/// Send one request and return its body, failing on any non-2xx status.
async fn send(
    target: &Target,
    make: impl Fn() -> hyper::Request<crate::loadgen::Body> + Send + Sync + 'static,
) -> anyhow::Result<bytes::Bytes> {
    let mut replies = run_each(target, crate::loadgen::Limits::default(), 1, move |_| make()).await;
    let reply = replies.pop().context("a reply")??;
    ensure!(reply.status.is_success(), "{}: {}", reply.status, reply.body_excerpt(300));
    Ok(reply.body)
}

/// Sign in through the page's form: the session cookie (`name=value`).
pub(crate) async fn sign_in(target: &Target, email: &str, password: &str) -> anyhow::Result<String> {
    let encode = |v: &str| {
        v.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    let form = format!("email={}&password={}", encode(email), encode(password));
    let t = target.clone();
    let mut replies =
        run_each(target, crate::loadgen::Limits::default(), 1, move |_| t.post_form("/sign-in", &form)).await;
    let reply = replies.pop().context("a reply")??;
    ensure!(reply.status == StatusCode::SEE_OTHER, "sign-in page: {}: {}", reply.status, reply.body_excerpt(300));
    let cookie = reply.headers.get(hyper::header::SET_COOKIE).context("a session cookie")?.to_str()?;
    Ok(cookie.split(';').next().unwrap_or_default().to_owned())
}
