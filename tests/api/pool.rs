//! A pooled connection never carries one request's tenant into the next: after COMMIT, after
//! ROLLBACK, after a panic or a cancel, and even after a hand-written BEGIN left open. Each test
//! uses a pool of exactly one connection and checks, by backend pid, that the same connection
//! was reused.
//!
//! Two guards keep a returned connection clean (see `src/db.rs`): (1) the tenant transaction is
//! a `tokio_postgres` transaction object, whose drop sends ROLLBACK at once; (2) the pool
//! recycles every connection with `ROLLBACK; RESET ALL` before lending it again. Either one
//! alone keeps the next borrower clean, so a test that only looks at the next borrower passes
//! with one guard removed. Each guard therefore has a test of its own that fails without it:
//! `a_transaction_dropped_by_a_panic_or_a_cancel_rolls_back_before_the_connection_is_reused`
//! (guard 1) and `recycling_discards_an_open_transaction_and_session_settings` (guard 2).

use std::{str::FromStr, time::Duration};

use brandhouse::{db::DbError, scope::TenantScope};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use uuid::Uuid;

use crate::helpers::{TestApp, TestDb, api_url, eventually};

#[derive(Debug, PartialEq)]
struct ConnState {
    pid: i32,
    tenant: Option<Uuid>,
    role: Option<String>,
    visible_categories: i64,
    /// False when an earlier transaction is still open on the connection: then the
    /// transaction's start (`now()`) precedes this statement's start.
    fresh_transaction: bool,
}

/// What a borrower sees on `conn` when it sets nothing itself, so whatever the previous
/// borrower left behind would show.
async fn state_of(conn: &Object) -> ConnState {
    // The simple query protocol: its implicit transaction starts with the statement, so
    // now() = statement_timestamp() exactly unless an older transaction is still open.
    let messages = conn
        .simple_query(
            "select pg_backend_pid(), app.current_tenant(), app.current_actor_role(), \
               (select count(*) from app.categories), now() = statement_timestamp()",
        )
        .await
        .unwrap();
    let row = messages
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .unwrap();
    ConnState {
        pid: row.get(0).unwrap().parse().unwrap(),
        tenant: row.get(1).map(|t| t.parse().unwrap()),
        role: row.get(2).map(str::to_owned),
        visible_categories: row.get(3).unwrap().parse().unwrap(),
        fresh_transaction: row.get(4) == Some("t"),
    }
}

/// What the next borrower of the service's pool sees, on a raw checkout.
async fn next_borrower_sees(app: &TestApp) -> ConnState {
    state_of(&app.state.db.unscoped_connection().await.unwrap()).await
}

fn clean(pid: i32) -> ConnState {
    ConnState {
        pid,
        tenant: None,
        role: None,
        visible_categories: 0,
        fresh_transaction: true,
    }
}

async fn app_with_one_connection() -> (TestApp, TenantScope) {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", "1")]).await;
    app.create_brand("fiber-x", "FBX").await;
    app.add_categories("fiber-x", &[("HAIR", "Hair")]).await;
    let scope = app.scope("fiber-x").await;
    (app, scope)
}

async fn pid_and_tenant_inside(app: &TestApp, scope: &TenantScope) -> (i32, Option<Uuid>, i64) {
    app.state
        .db
        .tenant_tx(scope, async |tx| {
            let row = tx
                .query_one(
                    "select pg_backend_pid(), app.current_tenant(), (select count(*) from app.categories)",
                    &[],
                )
                .await?;
            Ok::<_, DbError>((row.get(0), row.get(1), row.get(2)))
        })
        .await
        .unwrap()
}

/// The server-side state of backend `pid` (`idle`, `idle in transaction`, ...), as the
/// superuser sees it in `pg_stat_activity`, without borrowing anything from the pool.
async fn backend_state(app: &TestApp, pid: i32) -> Option<String> {
    app.db
        .admin()
        .await
        .query_opt("select state from pg_stat_activity where pid = $1", &[&pid])
        .await
        .unwrap()
        .and_then(|r| r.get(0))
}

/// The contract, whichever guard holds it: after a commit the next borrower sees no tenant.
#[tokio::test]
async fn a_pooled_connection_carries_no_tenant_after_commit() {
    let (app, scope) = app_with_one_connection().await;
    let (pid, tenant, seen) = pid_and_tenant_inside(&app, &scope).await;
    assert_eq!(tenant, Some(scope.tenant_id()));
    assert_eq!(seen, 1);

    assert_eq!(next_borrower_sees(&app).await, clean(pid));
}

/// The contract, whichever guard holds it: a transaction whose work returned an error leaves
/// neither its tenant nor its writes behind.
#[tokio::test]
async fn a_pooled_connection_carries_no_tenant_after_rollback() {
    let (app, scope) = app_with_one_connection().await;
    let (pid, _, _) = pid_and_tenant_inside(&app, &scope).await;
    let result = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            tx.execute(
                "insert into app.categories (code, name) values ('GONE', 'x')",
                &[],
            )
            .await?;
            Err::<(), DbError>(DbError::Pool(deadpool_postgres::PoolError::Closed))
        })
        .await;
    assert!(result.is_err());

    assert_eq!(next_borrower_sees(&app).await, clean(pid));
    // And the rolled-back insert is gone.
    let (_, _, seen) = pid_and_tenant_inside(&app, &scope).await;
    assert_eq!(seen, 1);
}

/// How a tenant transaction is abandoned mid-way.
#[derive(Debug, Clone, Copy)]
enum Abandon {
    /// The handler panics inside the transaction.
    Panic,
    /// The request's future is dropped (a client hung up, a timeout fired).
    Cancel,
}

/// Guard 1 alone: the tenant transaction is a transaction object, and dropping it (a handler
/// panic, a cancelled request) sends ROLLBACK at once. The connection is back to `idle`, its
/// insert gone and its row locks released, while it sits in the pool and before anyone borrows
/// it again, which is when the recycling (guard 2) would run. Without guard 1 (a hand-written
/// BEGIN in `Db::run`) it would stay `idle in transaction` until the next borrower came.
#[tokio::test]
async fn a_transaction_dropped_by_a_panic_or_a_cancel_rolls_back_before_the_connection_is_reused() {
    let (app, scope) = app_with_one_connection().await;
    for how in [Abandon::Panic, Abandon::Cancel] {
        let (pid_tx, pid_rx) = tokio::sync::oneshot::channel::<i32>();
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let db = app.state.db.clone();
        let scope = scope.clone();
        let task = tokio::spawn(async move {
            db.tenant_tx(&scope, async move |tx| {
                tx.execute(
                    "insert into app.categories (code, name) values ('DROP', 'x')",
                    &[],
                )
                .await?;
                let pid: i32 = tx.query_one("select pg_backend_pid()", &[]).await?.get(0);
                pid_tx.send(pid).unwrap();
                // Mid-transaction until the test says go (or drops the whole future).
                let _ = go_rx.await;
                if matches!(how, Abandon::Panic) {
                    panic!("handler bug");
                }
                std::future::pending::<()>().await;
                Ok::<(), DbError>(())
            })
            .await
        });
        let pid = pid_rx.await.unwrap();
        // The transaction is open when it is abandoned.
        assert_eq!(
            backend_state(&app, pid).await.as_deref(),
            Some("idle in transaction"),
            "{how:?}"
        );
        match how {
            Abandon::Panic => {
                go_tx.send(()).unwrap();
                assert!(task.await.unwrap_err().is_panic());
            }
            Abandon::Cancel => {
                task.abort();
                assert!(task.await.unwrap_err().is_cancelled());
                drop(go_tx);
            }
        }
        // The ROLLBACK is sent by the drop, without waiting for a reply: poll for it.
        eventually(
            &format!("backend {pid} to leave its transaction after a {how:?}"),
            Duration::from_secs(5),
            || async { (backend_state(&app, pid).await.as_deref() == Some("idle")).then_some(()) },
        )
        .await;
        assert_eq!(
            app.scalar::<i64>("select count(*) from app.categories where code = 'DROP'")
                .await,
            0,
            "{how:?}"
        );
        // Nothing borrowed the connection in between: the pool still holds it, idle.
        assert_eq!(app.state.db.status().available, 1, "{how:?}");
        assert_eq!(next_borrower_sees(&app).await, clean(pid), "{how:?}");
    }
}

/// Guard 2 alone: code that bypasses the tenant transaction with a raw BEGIN and a
/// session-level setting (no transaction object, so guard 1 cannot help) still cannot leave
/// them to the next borrower: the pool recycles with `ROLLBACK; RESET ALL`. Fails with
/// `RecyclingMethod::Fast` or `Verified`.
#[tokio::test]
async fn recycling_discards_an_open_transaction_and_session_settings() {
    let (app, scope) = app_with_one_connection().await;
    let pid = {
        let conn = app.state.db.unscoped_connection().await.unwrap();
        conn.batch_execute(&format!(
            "begin; select set_config('app.tenant_id', '{}', false); select set_config('app.role', 'owner', false);",
            scope.tenant_id()
        ))
        .await
        .unwrap();
        let pid: i32 = conn
            .query_one("select pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        pid
        // dropped here: back to the pool, mid-transaction, with session settings
    };
    assert_eq!(next_borrower_sees(&app).await, clean(pid));
}

/// Why both guards, shown on a pool of one API-role connection that recycles with deadpool's
/// `Fast` method (no rollback, no reset): there, a dropped transaction object still leaves the
/// connection clean (the rollback comes from the drop, guard 1), while a hand-written BEGIN
/// left open hands the next borrower the previous tenant and its rows (what guard 2 exists
/// for).
#[tokio::test]
async fn without_a_resetting_pool_only_a_dropped_transaction_object_leaves_the_connection_clean() {
    let db = TestDb::new().await;
    let tenant: Uuid = db
        .admin()
        .await
        .query_one(
            "insert into app.tenants (slug, name, sku_prefix, currency) \
             values ('fiber-x', 'Fiber X', 'FBX', 'EUR') returning id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let manager = Manager::from_config(
        tokio_postgres::Config::from_str(&api_url(&db.name)).unwrap(),
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager).max_size(1).build().unwrap();
    let set_tenant = format!("select set_config('app.tenant_id', '{tenant}', true)");

    // A transaction object dropped mid-way, as a panic or a cancel would drop it.
    let pid = {
        let mut conn = pool.get().await.unwrap();
        let tx = conn.transaction().await.unwrap();
        tx.batch_execute(&set_tenant).await.unwrap();
        tx.execute(
            "insert into app.categories (code, name) values ('HAIR', 'Hair')",
            &[],
        )
        .await
        .unwrap();
        let pid: i32 = tx
            .query_one("select pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        pid
    };
    assert_eq!(state_of(&pool.get().await.unwrap()).await, clean(pid));
    assert_eq!(
        db.scalar::<i64>("select count(*) from app.categories")
            .await,
        0
    );

    // The same work behind a hand-written BEGIN, dropped the same way.
    {
        let conn = pool.get().await.unwrap();
        conn.batch_execute(&format!(
            "begin; {set_tenant}; insert into app.categories (code, name) values ('HAIR', 'Hair')"
        ))
        .await
        .unwrap();
    }
    let leaked = state_of(&pool.get().await.unwrap()).await;
    assert_eq!(
        leaked,
        ConnState {
            pid,
            tenant: Some(tenant),
            role: None,
            visible_categories: 1,
            fresh_transaction: false,
        },
        "Fast recycling was expected to hand over the open transaction"
    );
}

/// Inserts a category (named as its code) of the transaction's brand.
async fn add_category(tx: &brandhouse::db::Tx<'_>, code: &str) -> Result<(), DbError> {
    tx.execute(
        "insert into app.categories (tenant_id, code, name) values ($1, $2, $2)",
        &[tx.tenant(), &code],
    )
    .await?;
    Ok(())
}

/// `Tx::query_and_commit` (checkout's last statement): the statement and COMMIT travel in one
/// round trip, so the server commits without waiting for this process to read the answer.
/// Here the future is polled once (both are on the wire) and then left alone: the other
/// connection sees the whole transaction committed before the answer is ever read. Fails if
/// the COMMIT waited for the statement's reply. After it, the work is in an empty read-only
/// transaction without the brand: a read sees no brand's rows, a write is refused.
#[tokio::test]
async fn a_statement_sent_with_its_commit_is_committed_before_its_answer_is_read() {
    let (app, scope) = app_with_one_connection().await;
    let pid = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            add_category(tx, "SKIN").await?;
            let last = tx
                .prepare(
                    "insert into app.categories (tenant_id, code, name) values ($1, 'NAIL', 'Nail') \
                     returning code, pg_backend_pid()",
                )
                .await?;
            let brand: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [tx.tenant()];
            let mut sent = std::pin::pin!(tx.query_and_commit(&last, &brand));
            assert!(futures::poll!(sent.as_mut()).is_pending());
            eventually(
                "both inserts committed while the answer is unread",
                Duration::from_secs(5),
                || async {
                    let n = app
                        .scalar::<i64>(
                            "select count(*) from app.categories where code in ('SKIN', 'NAIL')",
                        )
                        .await;
                    (n == 2).then_some(())
                },
            )
            .await;
            let rows = sent.await?;
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].get::<_, String>(0), "NAIL");

            let after = tx
                .query_one(
                    "select app.current_tenant(), (select count(*) from app.categories)",
                    &[],
                )
                .await?;
            assert_eq!(after.get::<_, Option<Uuid>>(0), None);
            assert_eq!(after.get::<_, i64>(1), 0);
            let write = tx
                .execute(
                    "insert into app.categories (tenant_id, code, name) values ($1, 'LATE', 'x')",
                    &[tx.tenant()],
                )
                .await
                .unwrap_err();
            assert_eq!(
                write.code(),
                Some(&tokio_postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION)
            );
            Ok::<i32, DbError>(rows[0].get(1))
        })
        .await
        .unwrap();
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.categories where code = 'LATE'")
            .await,
        0
    );
    assert_eq!(backend_state(&app, pid).await.as_deref(), Some("idle"));
    assert_eq!(next_borrower_sees(&app).await, clean(pid));
}

/// A statement sent with its COMMIT that fails takes the whole transaction with it: the COMMIT
/// behind it finds the transaction aborted and rolls it back, and the caller gets the
/// statement's error. The connection goes back clean.
#[tokio::test]
async fn a_failed_statement_sent_with_its_commit_rolls_back_the_whole_transaction() {
    let (app, scope) = app_with_one_connection().await;
    let (pid, _, _) = pid_and_tenant_inside(&app, &scope).await;
    let err = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            add_category(tx, "SKIN").await?;
            // The same code again: the brand's unique code refuses it.
            let last = tx
                .prepare(
                    "insert into app.categories (tenant_id, code, name) values ($1, 'SKIN', 'x') \
                     returning code",
                )
                .await?;
            tx.query_and_commit(&last, &[tx.tenant()]).await?;
            Ok::<(), DbError>(())
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.constraint().map(|(code, _)| code.clone()),
        Some(tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.categories where code = 'SKIN'")
            .await,
        0
    );
    eventually(
        &format!("backend {pid} idle"),
        Duration::from_secs(5),
        || async { (backend_state(&app, pid).await.as_deref() == Some("idle")).then_some(()) },
    )
    .await;
    assert_eq!(next_borrower_sees(&app).await, clean(pid));
}
