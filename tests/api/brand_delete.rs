//! `brandhouse brand delete`: one brand's rows (every table with a brand column, its own staff
//! accounts, the brand itself) and files go; every other brand's stay exactly as they were; the
//! deletion leaves a global audit record; a wrong confirmation, an unknown brand or anyone but
//! the owner changes nothing. Object storage is the test S3 server.

use std::{collections::BTreeMap, process::Command};

use brandhouse::{identity::Role, media::store::ObjectKey};
use bytes::Bytes;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TEST_PASSWORD, TestApp, TestS3, admin_url, api_url, test_data_dir};

const BIN: &str = env!("CARGO_BIN_EXE_brandhouse");
const OWNER: &str = "owner@brandhouse.test";

/// Runs the binary on the test database with the test S3 server; (success, stdout + stderr).
async fn cli(app: &TestApp, s3: &TestS3, password: &str, args: &[&str]) -> (bool, String) {
    let dbname = app.db.name.clone();
    let env = s3.env();
    let password = password.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    // Off the runtime's thread: the server and the S3 server run on it and must keep answering.
    tokio::task::spawn_blocking(move || {
        let out = Command::new(BIN)
            .args(&args)
            .env("DATABASE_URL", api_url(&dbname))
            .env("MIGRATION_DATABASE_URL", admin_url(&dbname))
            .env("DATA_DIR", test_data_dir(&dbname))
            .env("BRANDHOUSE_OWNER_PASSWORD", password)
            .envs(env)
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    })
    .await
    .unwrap()
}

fn delete_args<'a>(brand: &'a str, confirm: &'a str) -> Vec<&'a str> {
    vec![
        "brand",
        "delete",
        "--brand",
        brand,
        "--confirm",
        confirm,
        "--owner-email",
        OWNER,
    ]
}

/// Every row holding brand `id`, per table: the tables with a brand column (the list the
/// deletion uses) and the brand's own row, as JSON, sorted.
async fn rows_of(app: &TestApp, id: Uuid) -> BTreeMap<String, Vec<String>> {
    let admin = app.db.admin().await;
    let mut tables: Vec<String> = admin
        .query(
            include_str!("../../src/tenants/sql/delete_brand_tables.sql"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() > 20, "{tables:?}");
    tables.push("tenants".to_owned());
    let mut out = BTreeMap::new();
    for table in tables {
        let column = if table == "tenants" {
            "id"
        } else {
            "tenant_id"
        };
        let sql =
            format!("select to_jsonb(t)::text from app.{table} t where {column} = $1 order by 1");
        let rows: Vec<String> = admin
            .query(&sql, &[&id])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        out.insert(table, rows);
    }
    out
}

/// Staff accounts by email (the global table the brand's people live in).
async fn accounts(app: &TestApp) -> Vec<String> {
    app.db
        .admin()
        .await
        .query(
            "select email from app.staff_users where disabled_at is null order by 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Two brands with a product, stock, an order, staff, an invitation and a file each, plus
/// one account that works for both.
async fn busy_brands(app: &TestApp) -> crate::helpers::TwoBrands {
    let brands = app.two_brands().await;
    app.owner(OWNER).await;
    for (slug, category, sku) in [
        ("fiber-x", "HAIR", "FBX-HAIR-0001"),
        ("suzume", "SKIN", "SZM-SKIN-0001"),
    ] {
        app.create_product(slug, category, "Serum", "active", json!([]))
            .await;
        app.receive(slug, sku, "BER", 10).await;
        let resp = app
            .checkout(slug, &format!("order-{slug}"), &[(sku, 2)], None)
            .await;
        assert!(resp.status().is_success(), "{}", resp.status());
        let manager = app.manager(slug).await;
        app.invite(slug, &manager, &format!("new@{slug}.test"), "support")
            .await;
        let scope = app.scope(slug).await;
        let key = ObjectKey::import(&scope, Uuid::new_v4(), chrono::Utc::now());
        app.state
            .media
            .put(&scope, &key, Bytes::from(format!("file of {slug}")))
            .await
            .unwrap();
    }
    app.staff("fiber-x", Role::Support, "both@brands.test")
        .await;
    app.staff("suzume", Role::Warehouse, "both@brands.test")
        .await;
    brands
}

#[tokio::test]
async fn deleting_a_brand_removes_every_row_and_file_of_it_and_leaves_other_brands_unchanged() {
    let s3 = TestS3::start().await;
    let app = TestApp::spawn_with_env(&s3.env(), &[]).await;
    let brands = busy_brands(&app).await;
    let (fiber_x, suzume) = (brands.fiber_x.id, brands.suzume.id);
    let manager_token = app.token_for("bm@fiber-x.test").await;
    // Held from before: object storage accepts a scope only, and the brand will not resolve.
    let fiber_x_scope = app.scope("fiber-x").await;
    let both_token = app.token_for("both@brands.test").await;

    let before = rows_of(&app, fiber_x).await;
    for table in [
        "products",
        "orders",
        "holds",
        "stock_movements",
        "staff_memberships",
    ] {
        assert!(!before[table].is_empty(), "the fixture has {table} rows");
    }
    let suzume_before = rows_of(&app, suzume).await;
    let suzume_files = s3
        .objects()
        .into_iter()
        .filter(|k| k.starts_with("suzume/"))
        .collect::<Vec<_>>();
    assert_eq!(suzume_files.len(), 1);
    assert_eq!(
        s3.objects()
            .iter()
            .filter(|k| k.starts_with("fiber-x/"))
            .count(),
        1
    );

    // The export first, as an operator would.
    let out = tempfile::tempdir().unwrap();
    let archive = out.path().join("fiber-x.tar");
    let (ok, log) = cli(
        &app,
        &s3,
        TEST_PASSWORD,
        &[
            "brand",
            "export",
            "--brand",
            "fiber-x",
            "--out",
            archive.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "{log}");

    // A dry run says what would go and changes nothing.
    let mut args = delete_args("fiber-x", "fiber-x");
    args.push("--dry-run");
    let (ok, log) = cli(&app, &s3, TEST_PASSWORD, &args).await;
    assert!(ok, "{log}");
    assert!(log.contains("dry run"), "{log}");
    assert!(log.contains("1 files"), "{log}");
    let products_line = log
        .lines()
        .find(|l| l.split_whitespace().next() == Some("products"))
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(products_line.split_whitespace().nth(1), Some("1"), "{log}");
    assert_eq!(rows_of(&app, fiber_x).await, before);

    let (ok, log) = cli(&app, &s3, TEST_PASSWORD, &delete_args("fiber-x", "fiber-x")).await;
    assert!(ok, "{log}");
    assert!(log.contains("fiber-x"), "{log}");

    // Nothing of Fiber X is left in any table, nor under its prefix.
    for (table, rows) in rows_of(&app, fiber_x).await {
        assert!(rows.is_empty(), "{table} still holds {rows:?}");
    }
    assert!(
        !s3.objects().iter().any(|k| k.starts_with("fiber-x/")),
        "{:?}",
        s3.objects()
    );
    // Its own people went with it; the one who also works for Suzume stays, with Suzume only.
    let left = accounts(&app).await;
    assert!(!left.contains(&"bm@fiber-x.test".to_owned()), "{left:?}");
    assert!(left.contains(&"both@brands.test".to_owned()), "{left:?}");
    assert!(left.contains(&"bm@suzume.test".to_owned()), "{left:?}");
    assert!(left.contains(&OWNER.to_owned()), "{left:?}");

    // Suzume: every row of every table and its file, exactly as before.
    assert_eq!(rows_of(&app, suzume).await, suzume_before);
    assert_eq!(
        s3.objects()
            .into_iter()
            .filter(|k| k.starts_with("suzume/"))
            .collect::<Vec<_>>(),
        suzume_files
    );

    // Fiber X no longer resolves (after the brand cache's time to live, here forgotten at once)
    // and its sessions no longer work; Suzume's do.
    app.state.tenants.invalidate_all();
    assert_eq!(
        app.storefront_get("fiber-x", "/v1/storefront/theme")
            .await
            .status(),
        404
    );
    let by_host = app
        .client
        .get(app.url("/v1/storefront/theme"))
        .header("Host", "fiber-x.test")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_host.status(),
        400,
        "a Host that is no brand's names no brand"
    );
    let me = |token: &str| {
        app.client
            .get(app.url("/v1/auth/me"))
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(me(&manager_token).await.unwrap().status(), 401);
    let both = me(&both_token).await.unwrap();
    assert_eq!(both.status(), 200);
    let body: serde_json::Value = both.json().await.unwrap();
    assert!(!body.to_string().contains("fiber-x"), "{body}");
    assert!(body.to_string().contains("suzume"), "{body}");
    assert_eq!(
        app.storefront_get("suzume", "/v1/storefront/theme")
            .await
            .status(),
        200
    );

    // The record: global (no brand), by the owner, with the counts.
    let admin = app.db.admin().await;
    let record = admin
        .query_one(
            "select a.details, a.role, u.email from app.audit_log a \
             join app.staff_users u on u.id = a.user_id \
             where a.action = 'brand.deleted' and a.subject = 'fiber-x' and a.tenant_id is null",
            &[],
        )
        .await
        .unwrap();
    let details: serde_json::Value = record.get(0);
    assert_eq!(record.get::<_, String>(1), "owner");
    assert_eq!(record.get::<_, String>(2), OWNER);
    assert_eq!(details["brand_id"], fiber_x.to_string());
    assert_eq!(details["files"], 1);
    assert_eq!(details["staff_accounts"], 1, "{details}");
    for (table, rows) in &before {
        assert_eq!(details["tables"][table], rows.len(), "{table}: {details}");
    }
    // The owner reads it through the analytics role, like the rest of the trail.
    let analytics = crate::helpers::connect(
        &api_url(&app.db.name).replace("brandhouse_api@", "brandhouse_analytics@"),
    )
    .await;
    let seen: i64 = analytics
        .query_one(
            "select count(*) from app.audit_log where action = 'brand.deleted'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 1);

    // A file that survived a failed run is removed by running the command again.
    let key = ObjectKey::import(&fiber_x_scope, Uuid::new_v4(), chrono::Utc::now());
    app.state
        .media
        .put(&fiber_x_scope, &key, Bytes::from_static(b"left behind"))
        .await
        .unwrap();
    let (ok, log) = cli(&app, &s3, TEST_PASSWORD, &delete_args("fiber-x", "fiber-x")).await;
    assert!(ok, "{log}");
    assert!(log.contains("already deleted"), "{log}");
    assert!(!s3.objects().iter().any(|k| k.starts_with("fiber-x/")));
    assert_eq!(rows_of(&app, suzume).await, suzume_before);
}

#[tokio::test]
async fn brand_delete_refuses_a_wrong_confirmation_an_unknown_brand_and_anyone_but_the_owner() {
    let s3 = TestS3::start().await;
    let app = TestApp::spawn_with_env(&s3.env(), &[]).await;
    let brands = busy_brands(&app).await;
    let before = rows_of(&app, brands.fiber_x.id).await;
    let objects = s3.objects();
    let people = accounts(&app).await;

    let refused = [
        // A confirmation that is not the slug.
        (TEST_PASSWORD, delete_args("fiber-x", "suzume"), "--confirm"),
        (TEST_PASSWORD, delete_args("fiber-x", "fiber-"), "--confirm"),
        // A wrong password for the owner.
        (
            "not the password",
            delete_args("fiber-x", "fiber-x"),
            "owner",
        ),
        // An unknown brand.
        (TEST_PASSWORD, delete_args("fiber-y", "fiber-y"), "no brand"),
    ];
    for (password, args, says) in refused {
        let (ok, log) = cli(&app, &s3, password, &args).await;
        assert!(!ok, "{args:?} was accepted: {log}");
        assert!(log.contains(says), "{args:?}: {log}");
    }
    // A brand manager is not the owner, even with the right password.
    let mut args = delete_args("fiber-x", "fiber-x");
    args[7] = "bm@fiber-x.test";
    let (ok, log) = cli(&app, &s3, TEST_PASSWORD, &args).await;
    assert!(!ok, "{log}");
    assert!(log.contains("owner"), "{log}");
    // Nor can the API role's login in place of the administrative one (refused at start).
    let dbname = app.db.name.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(delete_args("fiber-x", "fiber-x"))
            .env("DATABASE_URL", api_url(&dbname))
            .env("MIGRATION_DATABASE_URL", api_url(&dbname))
            .env("DATA_DIR", test_data_dir(&dbname))
            .env("BRANDHOUSE_OWNER_PASSWORD", TEST_PASSWORD)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("migration"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(rows_of(&app, brands.fiber_x.id).await, before);
    assert_eq!(s3.objects(), objects);
    assert_eq!(accounts(&app).await, people);
    let records: i64 = app
        .scalar("select count(*) from app.audit_log where action = 'brand.deleted'")
        .await;
    assert_eq!(records, 0);
}
