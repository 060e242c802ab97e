//! `brandhouse brand export`: one brand's rows from every brand-owned table, read through its
//! own transaction, and its files, in one tar archive; nothing of another brand.

use std::{collections::BTreeMap, io::Read, process::Command};

use brandhouse::media::store::ObjectKey;
use bytes::Bytes;
use serde_json::json;

use crate::helpers::{TestApp, admin_url, api_url, test_data_dir};

const BIN: &str = env!("CARGO_BIN_EXE_brandhouse");

#[tokio::test]
async fn a_brand_export_holds_every_table_and_file_of_that_brand_and_nothing_of_another() {
    let app = TestApp::spawn().await;
    let brands = app.two_brands().await;
    for slug in ["fiber-x", "suzume"] {
        let category = if slug == "fiber-x" { "HAIR" } else { "SKIN" };
        app.create_product(slug, category, "Serum", "active", json!([]))
            .await;
        let scope = app.scope(slug).await;
        let key = ObjectKey::import(&scope, uuid::Uuid::new_v4(), chrono::Utc::now());
        app.state
            .media
            .put(&scope, &key, Bytes::from(format!("file of {slug}")))
            .await
            .unwrap();
    }
    // Credentials of every kind the brand can hold (written as the table owner, as the
    // settings endpoints would).
    let fx = brands.fiber_x.id;
    let admin = app.db.admin().await;
    for (sql, secret) in [
        (
            "insert into app.brand_settings (tenant_id, payment_webhook_secret) values ($1, $2) \
             on conflict (tenant_id) do update set payment_webhook_secret = excluded.payment_webhook_secret",
            "PAYMENT-SECRET-0123456789abcdef",
        ),
        (
            "insert into app.chat_settings (tenant_id, access_token, app_secret, verify_token) \
             values ($1, $2, $2 || '-app', $2 || '-verify') \
             on conflict (tenant_id) do update set access_token = excluded.access_token, \
             app_secret = excluded.app_secret, verify_token = excluded.verify_token",
            "WA-TOKEN-0123456789abcdef",
        ),
        (
            "insert into app.webhook_endpoints (tenant_id, url, event_types, secret) \
             values ($1, 'https://hooks.example.com/in', '{order.paid}', $2)",
            "WEBHOOK-SECRET-0123456789abcdef0123456789abcdef",
        ),
    ] {
        admin.execute(sql, &[&fx, &secret]).await.unwrap();
    }
    let dbname = app.db.name.clone();
    let out = tempfile::tempdir().unwrap();
    let archive = out.path().join("fiber-x.tar");
    let run = {
        let archive = archive.clone();
        std::thread::spawn(move || {
            Command::new(BIN)
                .args(["brand", "export", "--brand", "fiber-x", "--out"])
                .arg(&archive)
                .env("DATABASE_URL", api_url(&dbname))
                .env("MIGRATION_DATABASE_URL", admin_url(&dbname))
                .env("DATA_DIR", test_data_dir(&dbname))
                .output()
                .unwrap()
        })
        .join()
        .unwrap()
    };
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut tar = tar::Archive::new(std::fs::File::open(&archive).unwrap());
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.insert(path, bytes);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&entries["manifest.json"]).unwrap();
    assert_eq!(manifest["brand"]["slug"], "fiber-x");

    // Every brand-owned table is in it (the same list the policy audit calls tenant tables).
    let tenant_tables: Vec<String> = app
        .db
        .admin()
        .await
        .query(include_str!("../../src/tenants/sql/tenant_tables.sql"), &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tenant_tables.len() > 10, "{tenant_tables:?}");
    for table in &tenant_tables {
        assert!(
            entries.contains_key(&format!("tables/{table}.jsonl")),
            "no {table} in the archive"
        );
    }
    // Rows: Fiber X's only, and its product and categories among them.
    let fiber_x = brands.fiber_x.id.to_string();
    let mut rows = 0;
    for (path, bytes) in entries.iter().filter(|(p, _)| p.starts_with("tables/")) {
        for line in String::from_utf8(bytes.clone()).unwrap().lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(row["tenant_id"], fiber_x.as_str(), "{path}: {line}");
            rows += 1;
        }
    }
    assert!(rows >= 4, "{rows}");
    let products = String::from_utf8(entries["tables/products.jsonl"].clone()).unwrap();
    assert_eq!(products.lines().count(), 1);
    assert!(
        String::from_utf8(entries["tables/categories.jsonl"].clone())
            .unwrap()
            .contains("Hair care")
    );
    // No credential in any row; the manifest names the columns left out, the rows still there.
    for (path, bytes) in &entries {
        let text = String::from_utf8_lossy(bytes);
        for secret in ["PAYMENT-SECRET", "WA-TOKEN", "WEBHOOK-SECRET"] {
            assert!(!text.contains(secret), "{secret} in {path}");
        }
    }
    let left_out: Vec<String> = manifest["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}.{}",
                c["table"].as_str().unwrap(),
                c["column"].as_str().unwrap()
            )
        })
        .collect();
    for column in [
        "brand_settings.payment_webhook_secret",
        "chat_settings.access_token",
        "chat_settings.app_secret",
        "chat_settings.verify_token",
        "webhook_endpoints.secret",
    ] {
        assert!(
            left_out.iter().any(|c| c == column),
            "{column}: {left_out:?}"
        );
    }
    let endpoints = String::from_utf8(entries["tables/webhook_endpoints.jsonl"].clone()).unwrap();
    assert!(endpoints.contains("hooks.example.com"), "{endpoints}");

    // Its file, not Suzume's.
    let files: Vec<_> = entries.keys().filter(|k| k.starts_with("files/")).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(entries[files[0]], b"file of fiber-x");
    assert!(files[0].starts_with("files/fiber-x/"));
}

/// The export reads every table in one `Db::tenant_snapshot` transaction (src/tenants/export.rs).
/// This is what that buys: a category committed between two reads of the snapshot is not seen
/// by the second, so every table of an export shows the brand at one moment, while the
/// ordinary read-only transaction (READ COMMITTED) sees it.
#[tokio::test]
async fn a_snapshot_read_sees_one_moment_of_the_brand_while_writes_commit() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let scope = app.scope("fiber-x").await;
    let count = async |tx: &brandhouse::db::Tx<'_>| -> Result<i64, brandhouse::db::DbError> {
        Ok(tx
            .query_one("select count(*) from app.categories", &[])
            .await?
            .get(0))
    };
    let (first, second) = app
        .state
        .db
        .tenant_snapshot(&scope, || {
            async |tx| {
                let first = count(tx).await?;
                app.add_categories("fiber-x", &[("NAIL", "Nails")]).await;
                Ok::<_, brandhouse::db::DbError>((first, count(tx).await?))
            }
        })
        .await
        .unwrap();
    assert_eq!(
        (first, second),
        (2, 2),
        "one snapshot for the whole transaction"
    );
    let (first, second) = app
        .state
        .db
        .tenant_read(&scope, || {
            async |tx| {
                let first = count(tx).await?;
                app.add_categories("fiber-x", &[("BODY", "Body")]).await;
                Ok::<_, brandhouse::db::DbError>((first, count(tx).await?))
            }
        })
        .await
        .unwrap();
    assert_eq!((first, second), (3, 4), "READ COMMITTED sees each commit");
}
