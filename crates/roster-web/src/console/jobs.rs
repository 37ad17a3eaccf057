//! `/console/jobs` (platform admins): how many jobs each queue holds in each state, as a bar
//! chart and a table, and the dead jobs with their last error and "Retry".

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use roster_domain::JobId;
use roster_domain::job::{JobStatus, Queue};
use roster_http::AppState;

use super::chart::{Bar, bars};
use super::{Nav, PathId, Staff, message_of};
use crate::chrome::Chrome;
use crate::forms::{Nothing, SignedForm};
use crate::render::{self, local_time};

pub(crate) struct DeadRow {
    id: String,
    queue: &'static str,
    kind: String,
    attempts: i32,
    error: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "console/jobs.html")]
struct JobsPage {
    chrome: Chrome,
    nav: Nav,
    form_token: String,
    notice: Option<String>,
    /// Queue, then the count in each state of `states`.
    table: Vec<(&'static str, Vec<i64>)>,
    states: &'static [JobStatus],
    chart: String,
    dead: Vec<DeadRow>,
}

fn platform_admins_only(staff: &Staff) -> Result<(), Response> {
    if staff.platform_admin { Ok(()) } else { Err(render::forbidden("Only platform admins see the jobs.")) }
}

/// `GET /console/jobs`.
pub(crate) async fn page(State(state): State<AppState>, staff: Staff) -> Response {
    show(&state, &staff, None, StatusCode::OK).await
}

async fn show(state: &AppState, staff: &Staff, notice: Option<String>, status: StatusCode) -> Response {
    if let Err(refused) = platform_admins_only(staff) {
        return refused;
    }
    let counts = match state.core.job_counts().await {
        Ok(counts) => counts,
        Err(err) => return render::core_error(err),
    };
    let count = |queue: Queue, status: JobStatus| {
        counts.iter().find(|(q, s, _)| *q == queue && *s == status).map_or(0, |(_, _, n)| *n)
    };
    let table: Vec<(&'static str, Vec<i64>)> =
        Queue::ALL.iter().map(|q| (q.as_str(), JobStatus::ALL.iter().map(|s| count(*q, *s)).collect())).collect();
    let chart_bars: Vec<Bar> = Queue::ALL
        .iter()
        .flat_map(|q| {
            JobStatus::ALL.iter().enumerate().map(move |(i, s)| Bar {
                label: format!("{} {}", q.as_str(), s.as_str()),
                value: u64::try_from(count(*q, *s)).unwrap_or(0),
                // Each queue's name under the first of its bars (one per state, as in the table).
                tick: (i == 0).then(|| q.as_str().to_owned()),
            })
        })
        .collect();
    let dead = match state.core.list_jobs(&staff.visitor.actor, Some("dead"), None, Some(100), None).await {
        Ok(found) => found.jobs,
        Err(err) => return render::core_error(err),
    };
    let zone = staff.visitor.actor.user.timezone.as_str();
    let rendered = JobsPage {
        chrome: staff.chrome(state).await,
        nav: staff.nav("jobs"),
        form_token: staff.visitor.form_token.clone(),
        notice,
        table,
        states: &JobStatus::ALL,
        chart: bars("Jobs by queue and state", &chart_bars),
        dead: dead
            .into_iter()
            .map(|job| DeadRow {
                id: job.id.to_string(),
                queue: job.queue.as_str(),
                kind: job.kind,
                attempts: job.attempts,
                error: job.last_error.unwrap_or_default(),
                updated: local_time(zone, job.updated_at.get()),
            })
            .collect(),
    }
    .render();
    render::page(status, rendered)
}

/// `POST /console/jobs/{id}/retry`.
pub(crate) async fn retry(
    State(state): State<AppState>,
    PathId(id): PathId<JobId>,
    SignedForm { visitor, .. }: SignedForm<Nothing>,
) -> Response {
    let staff = match Staff::of(&state, visitor).await {
        Ok(staff) => staff,
        Err(refused) => return refused,
    };
    match state.core.retry_job(&staff.visitor.actor, id).await {
        Ok(_) => Redirect::to("/console/jobs?retried=1").into_response(),
        Err(err) => match message_of(err) {
            Ok(message) => show(&state, &staff, Some(message), StatusCode::CONFLICT).await,
            Err(page) => page,
        },
    }
}
