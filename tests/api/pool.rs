//! A pooled connection never carries one request's tenant into the next: after COMMIT, after
//! ROLLBACK, after a panic, and even after a hand-written BEGIN left open. Each test uses a
//! pool of exactly one connection and checks, by backend pid, that the same connection was
//! reused.

use brandhouse::db::DbError;
use uuid::Uuid;

use crate::helpers::TestApp;

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

/// What the next borrower sees, on a raw checkout that sets nothing itself, so whatever the
/// previous borrower left behind would show.
async fn next_borrower_sees(app: &TestApp) -> ConnState {
    let conn = app.state.db.unscoped_connection().await.unwrap();
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

fn clean(pid: i32) -> ConnState {
    ConnState {
        pid,
        tenant: None,
        role: None,
        visible_categories: 0,
        fresh_transaction: true,
    }
}

async fn app_with_one_connection() -> (TestApp, brandhouse::scope::TenantScope) {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", "1")]).await;
    app.create_brand("fiber-x", "FBX").await;
    app.add_categories("fiber-x", &[("HAIR", "Hair")]).await;
    let scope = app.scope("fiber-x").await;
    (app, scope)
}

async fn pid_and_tenant_inside(
    app: &TestApp,
    scope: &brandhouse::scope::TenantScope,
) -> (i32, Option<Uuid>, i64) {
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

#[tokio::test]
async fn a_pooled_connection_carries_no_tenant_after_commit() {
    let (app, scope) = app_with_one_connection().await;
    let (pid, tenant, seen) = pid_and_tenant_inside(&app, &scope).await;
    assert_eq!(tenant, Some(scope.tenant_id()));
    assert_eq!(seen, 1);

    assert_eq!(next_borrower_sees(&app).await, clean(pid));
}

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

#[tokio::test]
async fn a_pooled_connection_carries_no_tenant_after_a_handler_panicked() {
    let (app, scope) = app_with_one_connection().await;
    let (pid, _, _) = pid_and_tenant_inside(&app, &scope).await;

    let db = app.state.db.clone();
    let panicking = tokio::spawn(async move {
        db.tenant_tx(&scope, async |tx| {
            tx.execute(
                "insert into app.categories (code, name) values ('PANIC', 'x')",
                &[],
            )
            .await?;
            panic!("handler bug");
            #[allow(unreachable_code)]
            Ok::<(), DbError>(())
        })
        .await
    });
    assert!(panicking.await.unwrap_err().is_panic());

    assert_eq!(next_borrower_sees(&app).await, clean(pid));
}

/// The second guard: even code that bypasses the tenant transaction with a raw BEGIN and a
/// session-level setting cannot leave them to the next borrower (the pool recycles with
/// `ROLLBACK; RESET ALL`).
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
