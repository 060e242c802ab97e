//! A database restart is a blip, not an outage of errors: reads whose connection broke run
//! again once on a fresh connection, writes are never run again blindly, broken connections
//! leave the pool at once, and what cannot be served meanwhile is a 503 problem with
//! `Retry-After`, never a 500. The restart itself is measured on a PostgreSQL server of the
//! test's own ([`PrivatePg`]), never on the shared one.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use brandhouse::{
    config::Config,
    db::DbError,
    error::ApiError,
    scope::Actor,
    startup::Application,
    tenants::{
        Theme,
        service::{self as tenants, NewBrand},
    },
};

use crate::{
    helpers::{TestApp, eventually, test_data_dir},
    private_pg::PrivatePg,
};

/// Kills the backend serving this transaction, as a server restart does to every session.
async fn kill_own_backend(tx: &brandhouse::db::Tx<'_>) -> Result<(), DbError> {
    tx.execute("select pg_terminate_backend(pg_backend_pid())", &[])
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_read_whose_connection_breaks_runs_again_on_a_fresh_connection() {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", "2")]).await;
    app.create_brand("fiber-x", "FBX").await;
    app.add_categories("fiber-x", &[("HAIR", "Hair")]).await;
    let scope = app.scope("fiber-x").await;
    let attempts = AtomicU32::new(0);
    let seen = app
        .state
        .db
        .tenant_read(&scope, || {
            async |tx| {
                if attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                    kill_own_backend(tx).await?;
                }
                let row = tx
                    .query_one("select count(*) from app.categories", &[])
                    .await?;
                Ok::<i64, DbError>(row.get(0))
            }
        })
        .await
        .unwrap();
    assert_eq!(seen, 1);
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "run once more, not more"
    );
}

#[tokio::test]
async fn a_write_whose_connection_breaks_is_not_run_again_and_is_a_503() {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", "2")]).await;
    app.create_brand("fiber-x", "FBX").await;
    let scope = app.scope("fiber-x").await;
    let attempts = AtomicU32::new(0);
    let result = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            attempts.fetch_add(1, Ordering::SeqCst);
            tx.execute(
                "insert into app.categories (code, name) values ('GONE', 'x')",
                &[],
            )
            .await?;
            kill_own_backend(tx).await?;
            Ok::<(), DbError>(())
        })
        .await;
    let err = result.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert_eq!(ApiError::from(err).status().as_u16(), 503);
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        1,
        "a write is never replayed"
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.categories")
            .await,
        0
    );
    // And a read-only transaction refuses writes, so nothing replayed by `tenant_read` can
    // be one.
    let write_in_read = app
        .state
        .db
        .tenant_read(&scope, || {
            async |tx| {
                tx.execute(
                    "insert into app.categories (code, name) values ('RO', 'x')",
                    &[],
                )
                .await
                .map_err(DbError::from)
            }
        })
        .await;
    assert!(write_in_read.is_err());
}

#[tokio::test]
async fn connections_broken_while_idle_leave_the_pool_without_failing_a_request() {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", "4")]).await;
    app.create_brand("fiber-x", "FBX").await;
    // Four connections in the pool, all idle.
    let warm: Vec<_> = futures::future::join_all(
        (0..4).map(|_| async { app.storefront_get("fiber-x", "/v1/storefront/theme").await }),
    )
    .await;
    assert!(warm.iter().all(|r| r.status() == 200));
    assert!(app.state.db.status().size >= 2);
    // The server ends every session of the API role (as a restart would).
    let killed: i64 = app
        .scalar(&format!(
            "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity \
             where usename = 'brandhouse_api' and datname = '{}') k",
            app.db.name
        ))
        .await;
    assert!(killed >= 2, "{killed}");
    for _ in 0..8 {
        let resp = app.storefront_get("fiber-x", "/v1/storefront/theme").await;
        assert_eq!(resp.status(), 200);
    }
}

/// The service, configured for the private server.
fn config_for(pg: &PrivatePg, extra: &[(&str, &str)]) -> Config {
    let db = "brandhouse";
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), pg.url("brandhouse_api", db)),
        (
            "ANALYTICS_DATABASE_URL".into(),
            pg.url("brandhouse_analytics", db),
        ),
        ("MIGRATION_DATABASE_URL".into(), pg.url("postgres", db)),
        ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ("DB_POOL_SIZE".into(), "8".into()),
        ("DB_POOL_TIMEOUT_MS".into(), "1000".into()),
        ("DB_CONNECT_TIMEOUT_MS".into(), "1000".into()),
        ("SHUTDOWN_GRACE_SECS".into(), "5".into()),
        ("WORKER_ENABLED".into(), "false".into()),
        ("RATE_LIMITS".into(), "off".into()),
        (
            "DATA_DIR".into(),
            test_data_dir(&format!("private_pg_{}", pg.port))
                .display()
                .to_string(),
        ),
    ]);
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).unwrap()
}

/// Migrates the private server, starts the service on it with one brand, and returns its
/// base URL.
pub async fn serve_on(pg: &PrivatePg, extra: &[(&str, &str)]) -> (String, Application) {
    let config = config_for(pg, extra);
    brandhouse::migrate::run(&config.db).await.unwrap();
    let app = Application::build(config).await.unwrap();
    tenants::create_brand(
        &app.state().db,
        &Actor::System,
        &NewBrand {
            slug: "fiber-x".into(),
            name: "Fiber X".into(),
            sku_prefix: "FBX".into(),
            currency: "EUR".into(),
            domains: vec!["fiber-x.test".into()],
            theme: Theme::default(),
            features: Default::default(),
        },
    )
    .await
    .unwrap();
    (format!("http://127.0.0.1:{}", app.port()), app)
}

/// One answer seen by the load.
#[derive(Debug)]
struct Seen {
    /// When the request was sent (not when its answer was read: on a busy machine the load
    /// task may read a 503 produced before the recovery only after it).
    sent: Instant,
    status: u16,
    retry_after: bool,
    problem_type: Option<String>,
}

/// `workers` loops of storefront reads until `stop`, each answer recorded.
fn storefront_load(
    base: &str,
    workers: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<Seen>>> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    (0..workers)
        .map(|i| {
            let client = client.clone();
            let stop = stop.clone();
            let url = format!(
                "{base}{}",
                if i % 2 == 0 {
                    "/v1/storefront/categories"
                } else {
                    "/v1/storefront/theme"
                }
            );
            tokio::spawn(async move {
                let mut seen = Vec::new();
                // Bounded: at most 20,000 requests per worker, and the test stops it far sooner.
                for _ in 0..20_000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let sent = Instant::now();
                    let resp = client
                        .get(&url)
                        .header("X-Tenant-ID", "fiber-x")
                        .send()
                        .await
                        .unwrap();
                    let status = resp.status().as_u16();
                    let retry_after = resp.headers().contains_key("retry-after");
                    let problem_type = if status >= 400 {
                        let body: serde_json::Value = resp.json().await.unwrap();
                        body["type"].as_str().map(str::to_owned)
                    } else {
                        let _ = resp.bytes().await;
                        None
                    };
                    seen.push(Seen {
                        sent,
                        status,
                        retry_after,
                        problem_type,
                    });
                }
                seen
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_under_load_is_503s_with_retry_after_then_recovery_never_a_500() {
    let pg = tokio::task::spawn_blocking(|| PrivatePg::start(&[], &[]))
        .await
        .unwrap();
    let (base, app) = serve_on(&pg, &[]).await;
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let ready = |client: reqwest::Client, base: String| async move {
        let resp = client.get(format!("{base}/readyz")).send().await.unwrap();
        (
            resp.status().as_u16(),
            resp.headers().contains_key("retry-after"),
        )
    };
    assert_eq!(ready(client.clone(), base.clone()).await, (200, false));

    let stop_load = Arc::new(AtomicBool::new(false));
    let load = storefront_load(&base, 8, &stop_load);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The database goes away, and stays away for a moment.
    let pg = Arc::new(pg);
    let down = {
        let pg = pg.clone();
        tokio::task::spawn_blocking(move || pg.stop())
            .await
            .unwrap()
    };
    let went_down = Instant::now();
    let while_down = ready(client.clone(), base.clone()).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    {
        let pg = pg.clone();
        tokio::task::spawn_blocking(move || pg.start_again())
            .await
            .unwrap();
    }
    let back_up = Instant::now();
    eventually(
        "/readyz to report ready again",
        Duration::from_secs(10),
        || {
            let (client, base) = (client.clone(), base.clone());
            async move { (ready(client, base).await.0 == 200).then_some(()) }
        },
    )
    .await;
    let ready_again = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_load.store(true, Ordering::SeqCst);
    let mut seen = Vec::new();
    for worker in load {
        seen.extend(worker.await.unwrap());
    }
    let _ = stop_server.send(());
    server.await.unwrap().unwrap();

    assert_eq!(
        while_down,
        (503, true),
        "/readyz while the database is down"
    );
    let count = |f: &dyn Fn(&Seen) -> bool| seen.iter().filter(|s| f(s)).count();
    let unavailable = count(&|s| s.status == 503);
    let others: Vec<_> = seen
        .iter()
        .filter(|s| s.status != 200 && s.status != 503)
        .collect();
    assert!(others.is_empty(), "answers other than 200/503: {others:?}");
    assert!(unavailable > 0, "the outage was not seen at all");
    assert_eq!(
        count(&|s| s.status == 503
            && s.retry_after
            && s.problem_type.as_deref() == Some("urn:problem:brandhouse:unavailable")),
        unavailable,
        "every 503 is an `unavailable` problem with Retry-After"
    );
    // Once ready again, every read succeeds: no stale pooled connection costs a request.
    let after: Vec<_> = seen.iter().filter(|s| s.sent > ready_again).collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|s| s.status == 200),
        "failures after recovery: {:?}",
        after.iter().filter(|s| s.status != 200).collect::<Vec<_>>()
    );
    let first_ok_after_start = seen
        .iter()
        .filter(|s| s.sent > back_up && s.status == 200)
        .map(|s| s.sent)
        .min()
        .unwrap();
    eprintln!(
        "restart under load: {} answers, {} x 503, 0 x 500; stop took {:?}, down for {:?}, \
         first 200 {:?} after the server was back",
        seen.len(),
        unavailable,
        down,
        back_up - went_down,
        first_ok_after_start - back_up
    );
}
