//! The job worker isolates brands: one brand's panicking job, long job or pile of queued jobs
//! does not stop or starve another brand's work. Each test runs the real queue (claims,
//! outcomes, parking in PostgreSQL) with a handler that stands in for the domains, so it can
//! panic or stall on demand.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use brandhouse::{
    jobs::{self, Claimed, Handler, JobError, JobKind, WorkerSettings},
    scope::TenantScope,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::helpers::TestApp;

fn settings(batch: i64, concurrency: usize) -> WorkerSettings {
    WorkerSettings {
        enabled: true,
        poll: Duration::from_millis(10),
        batch,
        claim: Duration::from_secs(60),
        concurrency,
    }
}

/// Queues `count` jobs of `kind` for a brand, `age_secs` old.
async fn queue(app: &TestApp, tenant: Uuid, kind: &str, count: i64, age_secs: i64) {
    app.db
        .admin()
        .await
        .execute(
            "insert into app.jobs (tenant_id, kind, ref, run_at) \
             select $1, $2, $2 || '-' || n, now() - make_interval(secs => $3::double precision) \
             from generate_series(1, $4::bigint) n",
            &[&tenant, &kind, &(age_secs as f64), &count],
        )
        .await
        .unwrap();
}

/// Records which brand's jobs ran, in order; panics for one brand; makes one brand's job wait
/// until another brand's job has run.
#[derive(Default)]
struct Stand {
    ran: Mutex<Vec<Uuid>>,
    panics_for: Option<Uuid>,
    waits_for_other: Option<Uuid>,
    other_ran: Notify,
}

#[async_trait::async_trait]
impl Handler for Stand {
    async fn run(
        &self,
        _kind: JobKind,
        scope: &TenantScope,
        _job: &Claimed,
    ) -> Result<(), JobError> {
        let brand = scope.tenant_id();
        if self.panics_for == Some(brand) {
            panic!("a bug in this brand's job");
        }
        if self.waits_for_other == Some(brand) {
            tokio::time::timeout(Duration::from_secs(5), self.other_ran.notified())
                .await
                .map_err(|_| JobError::Retry("the other brand's job never ran meanwhile".into()))?;
        } else {
            self.other_ran.notify_one();
        }
        self.ran.lock().unwrap().push(brand);
        Ok(())
    }
}

async fn statuses(app: &TestApp, tenant: Uuid) -> Vec<(String, Option<String>)> {
    app.db
        .admin()
        .await
        .query(
            "select status, last_error from app.jobs where tenant_id = $1 order by id",
            &[&tenant],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn a_panicking_job_is_parked_and_other_brands_jobs_still_run() {
    let app = TestApp::spawn().await;
    let brands = app.two_brands().await;
    let (fx, sz) = (brands.fiber_x.id, brands.suzume.id);
    queue(&app, fx, "chat_reply", 1, 10).await;
    queue(&app, sz, "expire_order", 3, 5).await;
    let stand = Stand {
        panics_for: Some(fx),
        ..Stand::default()
    };
    let ran = jobs::run_due(&app.state.queue(), &stand, &settings(16, 4))
        .await
        .expect("the worker survives a panicking job");
    assert_eq!(ran, 4);
    let fiber_x = statuses(&app, fx).await;
    assert_eq!(fiber_x.len(), 1);
    assert_eq!(
        fiber_x[0].0, "parked",
        "a panic is a bug: parked at once, not retried"
    );
    assert!(
        fiber_x[0]
            .1
            .as_deref()
            .is_some_and(|e| e.contains("panicked") && e.contains("a bug in this brand's job")),
        "{fiber_x:?}"
    );
    assert!(statuses(&app, sz).await.iter().all(|(s, _)| s == "done"));
}

#[tokio::test]
async fn one_brands_pile_of_jobs_does_not_starve_another_brands_order_expiry() {
    let app = TestApp::spawn().await;
    let brands = app.two_brands().await;
    let (fx, sz) = (brands.fiber_x.id, brands.suzume.id);
    // Fiber X queued 200 reindex jobs an hour ago; Suzume's order expiry is due now.
    queue(&app, fx, "reindex_product", 200, 3600).await;
    queue(&app, sz, "expire_order", 1, 0).await;
    let stand = Stand::default();
    jobs::run_due(&app.state.queue(), &stand, &settings(8, 1))
        .await
        .unwrap();
    assert_eq!(
        statuses(&app, sz).await[0].0,
        "done",
        "the first batch of 8 took Suzume's only job"
    );
    let ran = stand.ran.lock().unwrap().clone();
    assert_eq!(ran.len(), 8);
    assert_eq!(ran.iter().filter(|b| **b == fx).count(), 7);
}

#[tokio::test]
async fn a_long_job_does_not_hold_up_another_brands_job_in_the_same_batch() {
    let app = TestApp::spawn().await;
    let brands = app.two_brands().await;
    let (fx, sz) = (brands.fiber_x.id, brands.suzume.id);
    // Fiber X's long import is older, so it is claimed first; it finishes only once Suzume's
    // job has run beside it (one at a time, it would time out waiting).
    queue(&app, fx, "import_products", 1, 60).await;
    queue(&app, sz, "expire_order", 1, 0).await;
    let stand = Arc::new(Stand {
        waits_for_other: Some(fx),
        ..Stand::default()
    });
    jobs::run_due(&app.state.queue(), &*stand, &settings(16, 4))
        .await
        .unwrap();
    assert_eq!(statuses(&app, sz).await[0].0, "done");
    assert_eq!(
        statuses(&app, fx).await[0].0,
        "done",
        "the long job saw the other brand's job run meanwhile"
    );
    assert_eq!(*stand.ran.lock().unwrap(), [sz, fx]);
}

/// Records every job it runs, by id.
#[derive(Default)]
struct Tally(Mutex<Vec<i64>>);

#[async_trait::async_trait]
impl Handler for Tally {
    async fn run(&self, _: JobKind, _: &TenantScope, job: &Claimed) -> Result<(), JobError> {
        self.0.lock().unwrap().push(job.id);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_claiming_side_by_side_run_each_job_exactly_once() {
    // A claim that commits between another claim's snapshot and its row lock must not be taken
    // again: the locking scan rechecks that the job is still due (a webhook would be sent twice).
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", "16")]).await;
    let brands = app.two_brands().await;
    queue(&app, brands.fiber_x.id, "reindex_product", 300, 5).await;
    queue(&app, brands.suzume.id, "expire_order", 300, 5).await;
    let tally = Tally::default();
    let queue_state = app.state.queue();
    let workers = (0..8).map(|_| async {
        while jobs::run_due(&queue_state, &tally, &settings(4, 2))
            .await
            .unwrap()
            > 0
        {}
    });
    futures::future::join_all(workers).await;
    let mut ran = tally.0.lock().unwrap().clone();
    let total = ran.len();
    ran.sort_unstable();
    ran.dedup();
    assert_eq!(ran.len(), 600, "every job ran");
    assert_eq!(total, 600, "no job ran twice");
}
