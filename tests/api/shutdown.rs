//! Rolling deploys lose nothing: a replica told to stop refuses new connections, finishes every
//! request it had accepted (reads and writes), and hands the jobs it had claimed but not started
//! back to the queue, where the next replica takes them at once.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use brandhouse::{
    jobs::{self, Claimed, Handler, JobError, JobKind, WorkerSettings},
    scope::TenantScope,
};
use reqwest::Method;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestApp, eventually};

/// Statements of the API role waiting for a lock in this test's database.
async fn waiting_on_locks(app: &TestApp) -> i64 {
    app.scalar(&format!(
        "select count(*) from pg_stat_activity where datname = '{}' \
         and usename = 'brandhouse_api' and wait_event_type = 'Lock'",
        app.db.name
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_finishes_every_accepted_request_and_refuses_new_ones() {
    let mut app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    let manager = app.manager("fiber-x").await;

    // Hold the categories table so the requests below stay in flight, inside the server.
    let admin = app.db.admin().await;
    admin
        .batch_execute("begin; lock table app.categories in access exclusive mode")
        .await
        .unwrap();
    let writes: Vec<_> = (0..4)
        .map(|i| {
            app.authed(
                Method::POST,
                "/v1/admin/categories",
                &manager,
                Some("fiber-x"),
            )
            .json(&json!({"code": format!("CAT{i}"), "name": format!("Category {i}")}))
            .send()
        })
        .collect();
    let reads: Vec<_> = (0..4)
        .map(|_| {
            app.client
                .get(app.url("/v1/storefront/categories"))
                .header("X-Tenant-ID", "fiber-x")
                .send()
        })
        .collect();
    let writes = tokio::spawn(futures::future::join_all(writes));
    let reads = tokio::spawn(futures::future::join_all(reads));
    eventually(
        "eight requests to wait on the lock",
        Duration::from_secs(10),
        || async { (waiting_on_locks(&app).await == 8).then_some(()) },
    )
    .await;

    // SIGTERM, as a rolling deploy sends it.
    let server = app.server.take().unwrap();
    let address = app.address.trim_start_matches("http://").to_owned();
    app.stop_signal();
    eventually("the listener to close", Duration::from_secs(5), || async {
        tokio::net::TcpStream::connect(&address)
            .await
            .is_err()
            .then_some(())
    })
    .await;
    assert!(!server.is_finished(), "the server waits for its requests");

    admin.batch_execute("commit").await.unwrap();
    for resp in writes.await.unwrap() {
        assert_eq!(resp.unwrap().status(), 201);
    }
    for resp in reads.await.unwrap() {
        assert_eq!(resp.unwrap().status(), 200);
    }
    server.await.unwrap().unwrap();
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.categories")
            .await,
        4
    );
}

/// Counts runs per job; the second job to run fires the stop signal (SIGTERM mid-batch).
struct StopsMidBatch {
    ran: Mutex<Vec<i64>>,
    stop: CancellationToken,
}

#[async_trait::async_trait]
impl Handler for StopsMidBatch {
    async fn run(
        &self,
        _kind: JobKind,
        _scope: &TenantScope,
        job: &Claimed,
    ) -> Result<(), JobError> {
        let mut ran = self.ran.lock().unwrap();
        ran.push(job.id);
        if ran.len() == 2 {
            self.stop.cancel();
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_stopping_worker_hands_unstarted_jobs_back_and_the_next_replica_runs_them_at_once() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("fiber-x", "FBX").await;
    app.db
        .admin()
        .await
        .execute(
            "insert into app.jobs (tenant_id, kind, ref, run_at) \
             select $1, 'reindex_product', 'job-' || n, now() - interval '1 minute' \
             from generate_series(1, 6) n",
            &[&brand.id],
        )
        .await
        .unwrap();
    let settings = WorkerSettings {
        enabled: true,
        poll: Duration::from_millis(10),
        batch: 10,
        // Long: a job left claimed would block the next replica for a minute.
        claim: Duration::from_secs(60),
        concurrency: 2,
    };
    let old = Arc::new(StopsMidBatch {
        ran: Mutex::default(),
        stop: CancellationToken::new(),
    });
    let ran = jobs::run_due_until(&app.state.queue(), &*old, &settings, &old.stop)
        .await
        .unwrap();
    assert_eq!(ran, 2);
    let counts: Vec<(String, i32, i64)> = app
        .db
        .admin()
        .await
        .query(
            "select status, attempts, count(*) from app.jobs group by 1, 2 order by 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        counts,
        vec![("done".into(), 1, 2), ("queued".into(), 0, 4)],
        "unstarted jobs are back in the queue, their attempt uncounted"
    );

    // The next replica's worker takes them at once, not after the claim lapses.
    let new = StopsMidBatch {
        ran: Mutex::default(),
        stop: CancellationToken::new(),
    };
    let handler = Arc::new(new);
    let worker = tokio::spawn(jobs::run_worker(
        app.state.queue(),
        handler.clone(),
        settings.clone(),
        CancellationToken::new(),
    ));
    eventually("every job done", Duration::from_secs(5), || async {
        let done: i64 = app
            .scalar("select count(*) from app.jobs where status = 'done'")
            .await;
        (done == 6).then_some(())
    })
    .await;
    worker.abort();
    let mut all: Vec<i64> = old.ran.lock().unwrap().clone();
    all.extend(handler.ran.lock().unwrap().iter());
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!((before, all.len()), (6, 6), "each job ran exactly once");
}
