//! Background work while the API is busy: workers slow down (one job at a time, oldest first,
//! a pause between claims) but never stop, so a verification email is not held back by steady
//! traffic.

use std::time::{Duration, Instant};

use crate::helpers::spawn_app;

#[tokio::test]
async fn due_jobs_still_run_while_the_api_never_rests() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    app.signup("bob@example.com", "Bob").await;
    // A request that never ends: the API counts as busy for the whole test.
    let busy = app.core.request_started();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(app.runner.clone().run(async {
        let _ = stopped.await;
    }));
    let started = Instant::now();
    let waiting = || async { app.count("jobs WHERE status IN ('queued', 'running')").await };
    while waiting().await > 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "{} jobs still waiting", waiting().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count("jobs WHERE kind = 'email.verification' AND status = 'done'").await, 2);
    drop(busy);
    let _ = stop.send(());
    worker.await.unwrap();
}
