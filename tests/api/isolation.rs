//! The database contract itself, at the SQL level, as the API role: what row-level security
//! lets through with no tenant, with tenant A, and against tenant B's rows.

use tokio_postgres::Client;

use crate::helpers::{TestApp, TestDb};

/// Global tables that carry a tenant_id column (a brand reference, not ownership); each is on
/// the audit's global list.
const GLOBAL_WITH_TENANT_ID: &[&str] = &[
    "tenant_domains",
    "staff_memberships",
    "audit_log",
    "jobs",
    "whatsapp_numbers",
];

/// Every table in schema app with a tenant_id column, except the global ones: the tenant-owned
/// tables, whatever their RLS state (a table with RLS off must show up here and fail).
async fn tenant_tables(admin: &Client) -> Vec<String> {
    let audit = include_str!("../../policies/audit.sql");
    for table in GLOBAL_WITH_TENANT_ID {
        assert!(
            audit.contains(&format!("('{table}',")),
            "{table} is not on the audit's global list"
        );
    }
    admin
        .query(
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = 'app' and c.relkind = 'r' and exists \
               (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id') \
             and c.relname::text <> all ($1) order by 1",
            &[&GLOBAL_WITH_TENANT_ID],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn two_brands_with_categories(app: &TestApp) -> (uuid::Uuid, uuid::Uuid) {
    let a = app.create_brand("brand-a", "AAA").await;
    let b = app.create_brand("brand-b", "BBB").await;
    app.add_categories("brand-a", &[("HAIR", "A hair"), ("SKIN", "A skin")])
        .await;
    app.add_categories("brand-b", &[("HAIR", "B hair"), ("STYL", "B styling")])
        .await;
    (a.id, b.id)
}

#[tokio::test]
async fn with_no_tenant_set_the_api_role_sees_no_rows_in_any_tenant_table_and_cannot_insert() {
    let app = TestApp::spawn().await;
    two_brands_with_categories(&app).await;
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
    let stored: i64 = admin
        .query_one("select count(*) from app.categories", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 4);

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
    let stored: i64 = admin
        .query_one("select count(*) from app.categories", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 4);
}

#[tokio::test]
async fn with_tenant_a_set_rows_of_b_are_invisible_and_untouchable() {
    let app = TestApp::spawn().await;
    let (a, b) = two_brands_with_categories(&app).await;
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
    assert_eq!(names, ["A hair", "A skin"]);
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
        .execute("delete from app.categories where code = 'STYL'", &[])
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
            "insert into app.categories (code, name) values ('BODY', 'A body') returning tenant_id",
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
    assert_eq!(b_names, ["B hair", "B styling"]);
}

#[tokio::test]
async fn the_tenant_setting_ends_with_the_transaction() {
    let db = TestDb::new().await;
    let mut api = db.api().await;
    let tenant = uuid::Uuid::new_v4().to_string();
    for commit in [true, false] {
        let tx = api.transaction().await.unwrap();
        tx.execute("select set_config('app.tenant_id', $1, true)", &[&tenant])
            .await
            .unwrap();
        let inside: Option<uuid::Uuid> = tx
            .query_one("select app.current_tenant()", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(inside.map(|u| u.to_string()), Some(tenant.clone()));
        if commit {
            tx.commit().await.unwrap();
        } else {
            tx.rollback().await.unwrap();
        }
        let after: Option<uuid::Uuid> = api
            .query_one("select app.current_tenant()", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(after, None, "commit={commit}");
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
