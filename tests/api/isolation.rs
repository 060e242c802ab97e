//! The database contract itself, at the SQL level, as the API role: what row-level security
//! lets through with no tenant, with tenant A, and against tenant B's rows.

use brandhouse::db::{Db, DbError};
use tokio_postgres::Client;

use crate::helpers::{TestApp, test_config};

/// Global tables that carry a tenant_id column (a brand reference, not ownership); each is on
/// the audit's global list.
const GLOBAL_WITH_TENANT_ID: &[&str] = &[
    "tenant_domains",
    "staff_memberships",
    "audit_log",
    "jobs",
    "whatsapp_numbers",
];

/// The analytics rollups: a tenant_id column, no row-level security, and no privilege at all
/// for the API role (tests/api/analytics.rs tries them as the API role); each is on the audit's
/// analytics-only list, which fails on any API-role grant.
const ANALYTICS_ONLY: &[&str] = &[
    "sales_daily",
    "sales_weekly",
    "sales_monthly",
    "sales_yearly",
    "product_sales_daily",
    "product_sales_monthly",
    "product_sales_yearly",
    "catalog_counts",
];

/// Every table in schema app with a tenant_id column, except the global and analytics-only
/// ones: the tenant-owned tables, whatever their RLS state (a table with RLS off must show up
/// here and fail).
async fn tenant_tables(admin: &Client) -> Vec<String> {
    let audit = include_str!("../../policies/audit.sql");
    for table in GLOBAL_WITH_TENANT_ID {
        assert!(
            audit.contains(&format!("('{table}',")),
            "{table} is not on the audit's global list"
        );
    }
    for table in ANALYTICS_ONLY {
        assert!(
            audit.contains(&format!("('{table}',")),
            "{table} is not on the audit's analytics-only list"
        );
    }
    let excluded: Vec<&str> = GLOBAL_WITH_TENANT_ID
        .iter()
        .chain(ANALYTICS_ONLY)
        .copied()
        .collect();
    admin
        .query(
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = 'app' and c.relkind = 'r' and exists \
               (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id') \
             and c.relname::text <> all ($1) order by 1",
            &[&excluded],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn with_no_tenant_set_the_api_role_sees_no_rows_in_any_tenant_table_and_cannot_insert() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let admin = app.db.admin().await;
    let api = app.db.api().await;

    let tables = tenant_tables(&admin).await;
    assert!(tables.contains(&"categories".to_owned()), "{tables:?}");
    for table in &tables {
        let sql = format!("select count(*) from app.{table}");
        let seen: i64 = api.query_one(&sql, &[]).await.unwrap().get(0);
        assert_eq!(
            seen, 0,
            "the API role saw rows of app.{table} with no tenant set"
        );
    }
    // The rows are there; the API role just cannot see them.
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.categories")
            .await,
        4
    );

    // No tenant, no default: NOT NULL refuses the insert.
    let err = api
        .execute(
            "insert into app.categories (code, name) values ('NEW', 'x')",
            &[],
        )
        .await
        .unwrap_err();
    assert!(err.as_db_error().is_some(), "{err}");
    // Naming a tenant explicitly does not help: WITH CHECK needs the tenant setting.
    let err = api
        .execute(
            "insert into app.categories (tenant_id, code, name) \
             select id, 'NEW', 'x' from app.tenants limit 1",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{err}"
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.categories")
            .await,
        4
    );
}

#[tokio::test]
async fn with_tenant_a_set_rows_of_b_are_invisible_and_untouchable() {
    let app = TestApp::spawn().await;
    let brands = app.two_brands().await;
    let (a, b) = (brands.fiber_x.id, brands.suzume.id);
    let admin = app.db.admin().await;
    let mut api = app.db.api().await;

    let tx = api.transaction().await.unwrap();
    tx.execute(
        "select set_config('app.tenant_id', $1, true)",
        &[&a.to_string()],
    )
    .await
    .unwrap();

    // SELECT without any WHERE: only A's rows.
    let names: Vec<String> = tx
        .query("select name from app.categories order by name", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["Hair care", "Styling"]);
    // Even asking for B by id finds nothing.
    let n: i64 = tx
        .query_one(
            "select count(*) from app.categories where tenant_id = $1",
            &[&b],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);

    // UPDATE and DELETE aimed at B touch nothing.
    let updated = tx
        .execute(
            "update app.categories set name = 'hacked' where tenant_id = $1",
            &[&b],
        )
        .await
        .unwrap();
    assert_eq!(updated, 0);
    let deleted = tx
        .execute("delete from app.categories where code = 'SKIN'", &[])
        .await
        .unwrap();
    assert_eq!(deleted, 0);

    // An insert naming B is refused; an insert naming nobody gets A.
    let err = tx
        .execute(
            "insert into app.categories (tenant_id, code, name) values ($1, 'BODY', 'x')",
            &[&b],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{err}"
    );
    drop(tx);
    let tx = api.transaction().await.unwrap();
    tx.execute(
        "select set_config('app.tenant_id', $1, true)",
        &[&a.to_string()],
    )
    .await
    .unwrap();
    let owner: uuid::Uuid = tx
        .query_one(
            "insert into app.categories (code, name) values ('BODY', 'Body') returning tenant_id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(owner, a);
    // Moving A's row to B is refused too (WITH CHECK on the new row).
    let err = tx
        .execute(
            "update app.categories set tenant_id = $1 where code = 'BODY'",
            &[&b],
        )
        .await
        .unwrap_err();
    assert!(err.as_db_error().is_some(), "{err}");
    drop(tx);

    // B is untouched.
    let b_names: Vec<String> = admin
        .query(
            "select name from app.categories where tenant_id = $1 order by name",
            &[&b],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(b_names, ["Hair", "Skincare"]);
}

/// `Db::tenant_tx` scopes the tenant to its transaction (`SET LOCAL`), whether the transaction
/// commits or rolls back. The work ends the transaction by hand and looks at the same connection
/// before `tenant_tx` returns it to the pool: the pool's recycling (`ROLLBACK; RESET ALL`) would
/// otherwise hide a session-level setting, so only this look fails when the scope's statement
/// (`ScopeSettings::sql` in src/db.rs) sets the tenant for the session. Then, on a pool of one,
/// the next borrower of that same connection sees no tenant and no rows either.
#[tokio::test]
async fn the_tenant_setting_ends_with_the_transaction() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let scope = app.scope("fiber-x").await;
    let tenant = scope.tenant_id().to_string();
    let config = test_config(&app.db.name, &[("DB_POOL_SIZE", "1")]);
    assert_eq!(config.db.api.role, "brandhouse_api");
    let db = Db::connect(&config.db).await.unwrap();

    // The tenant setting and the number of categories visible, on the current connection.
    const LOOK: &str = "select pg_backend_pid(), current_setting('app.tenant_id', true), \
                        (select count(*) from app.categories)";
    for commit in [true, false] {
        let (pid, inside, after) = db
            .tenant_tx(&scope, async |tx| {
                let inside = tx.query_one(LOOK, &[]).await?;
                tx.batch_execute(if commit { "commit" } else { "rollback" })
                    .await?;
                let after = tx.query_one(LOOK, &[]).await?;
                // A transaction again, for tenant_tx to finish as it always does.
                tx.batch_execute("begin").await?;
                let pid: i32 = inside.get(0);
                let look = |row: &tokio_postgres::Row| {
                    (row.get::<_, Option<String>>(1), row.get::<_, i64>(2))
                };
                Ok::<_, DbError>((pid, look(&inside), look(&after)))
            })
            .await
            .unwrap();
        assert_eq!(inside, (Some(tenant.clone()), 2), "commit={commit}");
        // '' once a transaction-local value is gone; NULL if it was never set on the session.
        assert_eq!(
            (after.0.unwrap_or_default(), after.1),
            (String::new(), 0),
            "commit={commit}: the tenant outlived its transaction"
        );

        // The next borrower of the same pooled connection.
        let conn = db.unscoped_connection().await.unwrap();
        let row = conn.query_one(LOOK, &[]).await.unwrap();
        assert_eq!(
            row.get::<_, i32>(0),
            pid,
            "a pool of one lends one connection"
        );
        assert_eq!(
            (
                row.get::<_, Option<String>>(1).unwrap_or_default(),
                row.get::<_, i64>(2)
            ),
            (String::new(), 0),
            "commit={commit}"
        );
    }
}

/// No code path may set a session-level (non-LOCAL) setting: it would outlive the request.
#[test]
fn no_source_sets_a_session_level_setting() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "sql") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    let mut offences = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap().to_lowercase();
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.starts_with("//") || l.starts_with("--") {
                continue;
            }
            let session_set_config =
                l.contains("set_config(") && (l.contains(", false)") || l.contains(",false)"));
            let plain_set_app = l.contains("set app.") || l.contains("set session app.");
            if session_set_config || plain_set_app {
                offences.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(offences.is_empty(), "session-level settings: {offences:#?}");
}
