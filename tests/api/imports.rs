//! Bulk CSV imports (service, CLI and API) and product media in object storage, on a local
//! directory and on a real S3-compatible server (s3s-fs, started in this process).

use std::{fmt::Write as _, process::Command, time::Instant};

use brandhouse::{
    catalog::api::{ProductPage, StorefrontProduct},
    identity::Role,
    imports::{
        report::{Outcome, Report},
        service::{self, ImportOptions, NoProgress},
    },
    media::{MediaName, MediaStore, ObjectKey, StorageError},
    scope::TenantScope,
};
use reqwest::Method;

use crate::helpers::{TestApp, TestS3, admin_url, api_url, assert_problem, files_under};

const BIN: &str = env!("CARGO_BIN_EXE_brandhouse");

async fn import(app: &TestApp, slug: &str, csv: &str, dry_run: bool) -> Report {
    let scope = app.scope(slug).await;
    service::run(
        &app.state.db,
        &scope,
        csv.as_bytes(),
        &ImportOptions {
            dry_run,
            source: "test.csv",
        },
        &NoProgress,
    )
    .await
    .expect("the import runs")
}

/// Everything of a brand an import could touch, fingerprinted (read as the superuser): rows,
/// their updated_at, SKUs, stock, the ledger and the audit trail.
async fn brand_state(app: &TestApp, slug: &str) -> String {
    let row = app
        .db
        .admin()
        .await
        .query_one(
            "with t as (select id from app.tenants where slug = $1) \
             select \
               (select count(*) from app.products p where p.tenant_id = (select id from t)) as products, \
               (select count(*) from app.variants v where v.tenant_id = (select id from t)) as variants, \
               (select md5(coalesce(string_agg(concat_ws('|', p.id, p.number, p.handle, p.name, \
                  p.description, p.status, p.base_price_minor, p.axes::text, p.category_id, \
                  p.sku_stem, p.updated_at), ',' order by p.number), '')) \
                from app.products p where p.tenant_id = (select id from t)) as products_md5, \
               (select md5(coalesce(string_agg(concat_ws('|', v.id, v.sku, v.option_key, \
                  v.is_active, v.position, v.updated_at), ',' order by v.sku), '')) \
                from app.variants v where v.tenant_id = (select id from t)) as variants_md5, \
               (select md5(coalesce(string_agg(concat_ws('|', s.variant_id, s.zone_id, s.on_hand, \
                  s.reserved, s.updated_at), ',' order by s.variant_id, s.zone_id), '')) \
                from app.stock s where s.tenant_id = (select id from t)) as stock_md5, \
               (select count(*) from app.stock_movements m where m.tenant_id = (select id from t)) as movements, \
               (select count(*) from app.audit_log a where a.tenant_id = (select id from t) \
                  and a.action <> 'import.upload') as audit, \
               (select coalesce(max(last_number), 0) from app.product_counters c where c.tenant_id = (select id from t)) as counter",
            &[&slug],
        )
        .await
        .unwrap();
    format!(
        "products={} variants={} products_md5={} variants_md5={} stock_md5={} movements={} audit={} counter={}",
        row.get::<_, i64>("products"),
        row.get::<_, i64>("variants"),
        row.get::<_, String>("products_md5"),
        row.get::<_, String>("variants_md5"),
        row.get::<_, String>("stock_md5"),
        row.get::<_, i64>("movements"),
        row.get::<_, i64>("audit"),
        row.get::<_, i32>("counter"),
    )
}

async fn skus(app: &TestApp, slug: &str) -> Vec<String> {
    app.db
        .admin()
        .await
        .query(
            "select v.sku from app.variants v join app.tenants t on t.id = v.tenant_id \
             where t.slug = $1 order by v.sku",
            &[&slug],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

const HEADER: &str =
    "handle,category,name,description,price,status,option1_name,option1_values,stock_BER";

/// `n` products with two sizes each and 3 units of each variant in BER.
fn catalog_csv(n: usize) -> String {
    let mut csv = String::with_capacity(n * 120);
    csv.push_str(HEADER);
    csv.push('\n');
    for i in 1..=n {
        let category = if i % 2 == 0 { "HAIR" } else { "STYL" };
        writeln!(
            csv,
            "product-{i},{category},Product {i},\"Made for tests, number {i}\",{}.90,active,Size,250 ml=250ML|500 ml=500ML,3",
            i % 50 + 1
        )
        .unwrap();
    }
    csv
}

#[tokio::test]
async fn ten_thousand_products_import_and_importing_them_again_changes_nothing() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let csv = catalog_csv(10_000);

    let started = Instant::now();
    let report = import(&app, "fiber-x", &csv, false).await;
    let elapsed = started.elapsed();
    println!(
        "imported 10,000 products / 20,000 variants in {elapsed:?} ({:.0} products/s, debug build)",
        10_000.0 / elapsed.as_secs_f64()
    );
    assert_eq!(report.outcome, Outcome::Applied, "{:?}", report.errors);
    assert_eq!(report.summary.rows, 10_000);
    assert_eq!(report.summary.products_created, 10_000);
    assert_eq!(report.summary.variants_created, 20_000);
    assert_eq!(report.summary.units_received, 60_000);

    let admin = app.db.admin().await;
    let row = admin
        .query_one(
            "select count(*), count(distinct p.number), min(p.number), max(p.number), \
               count(*) filter (where p.status = 'active') \
             from app.products p join app.tenants t on t.id = p.tenant_id where t.slug = 'fiber-x'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i32>(2),
            row.get::<_, i32>(3),
            row.get::<_, i64>(4)
        ),
        (10_000, 10_000, 1, 10_000, 10_000)
    );
    let all_skus = skus(&app, "fiber-x").await;
    assert_eq!(all_skus.len(), 20_000);
    assert!(all_skus.contains(&"FBX-HAIR-0042-250ML".to_owned()));
    assert!(all_skus.contains(&"FBX-STYL-9999-500ML".to_owned()));
    // Initial stock went through the ledger: one receive per variant, and it explains it all.
    let receives: i64 = app
        .scalar(
            "select count(*) from app.stock_movements where kind = 'receive' and on_hand_delta = 3",
        )
        .await;
    assert_eq!(receives, 20_000);
    assert_eq!(app.ledger_mismatches().await, Vec::<String>::new());
    // One audit entry for the whole import, not one per product.
    let audits: i64 = app
        .scalar("select count(*) from app.audit_log where action = 'catalog.import'")
        .await;
    assert_eq!(audits, 1);

    // The same file again: nothing changes, not even updated_at, and nothing is audited.
    let before = brand_state(&app, "fiber-x").await;
    let again = import(&app, "fiber-x", &csv, false).await;
    assert_eq!(again.outcome, Outcome::Applied);
    assert_eq!(again.summary.products_unchanged, 10_000);
    assert_eq!(
        (
            again.summary.products_created,
            again.summary.products_updated,
            again.summary.variants_created,
            again.summary.units_received
        ),
        (0, 0, 0, 0)
    );
    assert!(!again.changed_catalog());
    assert_eq!(brand_state(&app, "fiber-x").await, before);
    assert_eq!(skus(&app, "fiber-x").await, all_skus);
}

#[tokio::test]
async fn changed_rows_update_and_the_skus_of_existing_variants_never_change() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let first = format!(
        "{HEADER}\n\
         silk-shampoo,HAIR,Silk Shampoo,Gentle,18.90,active,Size,250 ml|500 ml,5\n\
         matte-clay,STYL,Matte Clay,Strong hold,12.00,active,,,\n\
         argan-oil,HAIR,Argan Oil,Pure,24.00,draft,Size,50 ml,\n"
    );
    let report = import(&app, "fiber-x", &first, false).await;
    assert_eq!(report.summary.products_created, 3, "{:?}", report.errors);
    let before_skus = skus(&app, "fiber-x").await;
    assert_eq!(
        before_skus,
        [
            "FBX-HAIR-0001-250ML",
            "FBX-HAIR-0001-500ML",
            "FBX-HAIR-0003-50ML",
            "FBX-STYL-0002"
        ]
    );
    let admin = app.db.admin().await;
    let updated_at = |handle: &'static str| {
        let admin = &admin;
        async move {
            admin
                .query_one(
                    "select updated_at::text from app.products where handle = $1",
                    &[&handle],
                )
                .await
                .unwrap()
                .get::<_, String>(0)
        }
    };
    let clay_before = updated_at("matte-clay").await;
    let silk_before = updated_at("silk-shampoo").await;

    // Silk: a size dropped and one added, recategorised and repriced; Clay unchanged (status
    // left empty keeps it); Argan renamed; a new product. Column order and case differ.
    let second = "Name,Handle,Category,Price,Status,Option1_Name,Option1_Values,Stock_BER,Description\n\
                  Silk Shampoo,silk-shampoo,STYL,19.90,active,Size,250 ml|1 l,7,Gentle\n\
                  Matte Clay,matte-clay,STYL,12,,,,,Strong hold\n\
                  Argan Oil Elixir,argan-oil,HAIR,24.00,draft,Size,50 ml,,Pure\n\
                  Sea Salt Spray,sea-salt-spray,STYL,9.50,active,,,2,Beachy\n";
    let report = import(&app, "fiber-x", second, false).await;
    assert_eq!(report.outcome, Outcome::Applied, "{:?}", report.errors);
    let s = &report.summary;
    assert_eq!(
        (
            s.products_created,
            s.products_updated,
            s.products_unchanged,
            s.variants_created,
            s.variants_deactivated,
            s.units_received
        ),
        (1, 2, 1, 2, 1, 9)
    );
    let silk = s
        .examples
        .iter()
        .find(|e| e.handle == "silk-shampoo")
        .unwrap();
    assert_eq!(silk.changes, ["price", "category", "options"]);

    let rows = admin
        .query(
            "select v.sku, v.is_active from app.variants v order by v.sku",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, bool)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        got,
        [
            ("FBX-HAIR-0001-1L".to_owned(), true),
            ("FBX-HAIR-0001-250ML".to_owned(), true),
            ("FBX-HAIR-0001-500ML".to_owned(), false),
            ("FBX-HAIR-0003-50ML".to_owned(), true),
            ("FBX-STYL-0002".to_owned(), true),
            ("FBX-STYL-0004".to_owned(), true),
        ],
        "existing SKUs kept (the stem keeps the old category), 500 ml deactivated, 1 l added"
    );
    assert_eq!(updated_at("matte-clay").await, clay_before);
    assert_ne!(updated_at("silk-shampoo").await, silk_before);
    // Initial stock only for the variants this import created.
    assert_eq!(app.stock_of("FBX-HAIR-0001-1L", "BER").await, (7, 0));
    assert_eq!(app.stock_of("FBX-HAIR-0001-250ML", "BER").await, (5, 0));
    assert_eq!(app.stock_of("FBX-STYL-0004", "BER").await, (2, 0));
    assert_eq!(app.ledger_mismatches().await, Vec::<String>::new());
    let audits: i64 = app
        .scalar("select count(*) from app.audit_log where action = 'catalog.import'")
        .await;
    assert_eq!(audits, 2);
}

#[tokio::test]
async fn a_file_with_three_bad_rows_reports_exactly_those_three_and_imports_nothing() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let before = brand_state(&app, "fiber-x").await;
    let mut csv = format!("{HEADER}\n");
    for i in 1..=12 {
        let line = i + 1;
        let (category, price, status) = match line {
            4 => ("HAIR", "abc", "active"),
            7 => ("NOPE", "1.00", "active"),
            11 => ("HAIR", "1.00", "live"),
            _ => ("HAIR", "1.00", "active"),
        };
        writeln!(
            csv,
            "p-{i},{category},Product {i},,{price},{status},Size,S|M,1"
        )
        .unwrap();
    }
    let report = import(&app, "fiber-x", &csv, false).await;
    assert_eq!(report.outcome, Outcome::Invalid);
    let got: Vec<(u64, Option<&str>)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (4, Some("price")),
            (7, Some("category")),
            (11, Some("status"))
        ],
        "{:#?}",
        report.errors
    );
    assert!(report.errors[1].message.contains("no such category"));
    assert_eq!(brand_state(&app, "fiber-x").await, before);
}

#[tokio::test]
async fn a_dry_run_reports_what_would_change_and_writes_nothing() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    import(
        &app,
        "fiber-x",
        "handle;category;name;price\nsilk;HAIR;Silk;18,90\nclay;STYL;Clay;12\n",
        false,
    )
    .await;
    let before = brand_state(&app, "fiber-x").await;
    let report = import(
        &app,
        "fiber-x",
        "handle;category;name;price\nsilk;HAIR;Silk;19,90\nclay;STYL;Clay;12\nnew-one;HAIR;New;1\n",
        true,
    )
    .await;
    assert_eq!(report.outcome, Outcome::DryRun);
    let s = &report.summary;
    assert_eq!(
        (s.products_created, s.products_updated, s.products_unchanged),
        (1, 1, 1)
    );
    let examples: Vec<(&str, &str, Vec<String>)> = s
        .examples
        .iter()
        .map(|e| (e.handle.as_str(), e.action.as_str(), e.changes.clone()))
        .collect();
    assert_eq!(
        examples,
        [
            ("silk", "update", vec!["price".to_owned()]),
            ("new-one", "create", vec![]),
        ]
    );
    assert_eq!(brand_state(&app, "fiber-x").await, before);
}

#[tokio::test]
async fn an_import_for_fiber_x_cannot_create_or_touch_suzume_rows() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    // Suzume's catalog, imported the same way.
    let report = import(
        &app,
        "suzume",
        "handle,category,name,price,option1_name,option1_values,stock_BER\n\
         yuzu-toner,SKIN,Yuzu Toner,28.00,Size,100 ml=100ML,4\n",
        false,
    )
    .await;
    assert_eq!(report.outcome, Outcome::Applied, "{:?}", report.errors);
    assert_eq!(skus(&app, "suzume").await, ["SZM-SKIN-0001-100ML"]);
    let suzume_before = brand_state(&app, "suzume").await;

    // Suzume's category code is simply unknown to Fiber X: the file is refused.
    let report = import(
        &app,
        "fiber-x",
        "handle,category,name,price,option1_name,option1_values,stock_BER\n\
         yuzu-toner,SKIN,Taken Over,1.00,Size,100 ml=100ML,99\n",
        false,
    )
    .await;
    assert_eq!(report.outcome, Outcome::Invalid);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].column.as_deref(), Some("category"));

    // Suzume's handle (and a value code that spells Suzume's SKU suffix) in a Fiber X category:
    // that is a new Fiber X product with Fiber X's SKUs; Suzume's product is not even seen.
    let report = import(
        &app,
        "fiber-x",
        "handle,category,name,price,option1_name,option1_values,stock_BER\n\
         yuzu-toner,HAIR,Fiber X Yuzu,1.00,Size,100 ml=100ML,99\n",
        false,
    )
    .await;
    assert_eq!(report.outcome, Outcome::Applied, "{:?}", report.errors);
    assert_eq!(report.summary.products_created, 1);
    assert_eq!(skus(&app, "fiber-x").await, ["FBX-HAIR-0001-100ML"]);
    assert_eq!(brand_state(&app, "suzume").await, suzume_before);

    // Every row the Fiber X imports wrote belongs to Fiber X.
    let foreign: i64 = app
        .scalar(
            "select count(*) from app.variants v join app.tenants t on t.id = v.tenant_id \
             where t.slug = 'suzume' and v.sku not like 'SZM-%' \
                or t.slug = 'fiber-x' and v.sku not like 'FBX-%'",
        )
        .await;
    assert_eq!(foreign, 0);
}

#[tokio::test]
async fn the_cli_imports_a_file_with_a_summary_table_and_fails_on_problems() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let dir = std::env::temp_dir().join(format!("bh-cli-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.csv");
    std::fs::write(&good, catalog_csv(50)).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        format!("{HEADER}\nok,HAIR,Fine,,1,,,,\nbad,HAIR,,,1,,,,\n"),
    )
    .unwrap();
    let run = |file: &std::path::Path, dry_run: bool| {
        let mut cmd = Command::new(BIN);
        cmd.args(["import", "products"])
            .arg(file)
            .args(["--brand", "fiber-x"])
            .env("DATABASE_URL", api_url(&app.db.name))
            .env("MIGRATION_DATABASE_URL", admin_url(&app.db.name))
            .env("RUST_LOG", "warn")
            .env_remove("REDIS_URL");
        if dry_run {
            cmd.arg("--dry-run");
        }
        cmd.output().unwrap()
    };

    let out = run(&good, true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("dry run: nothing written"), "{stdout}");
    assert!(stdout.contains("| products created | 50 |"), "{stdout}");
    assert_eq!(skus(&app, "fiber-x").await.len(), 0);

    let out = run(&good, false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("applied"), "{stdout}");
    assert!(stdout.contains("| variants created | 100 |"), "{stdout}");
    assert_eq!(skus(&app, "fiber-x").await.len(), 100);

    // The example file of the repository (README, "CSV import").
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seed/example-import.csv");
    let out = run(&example, false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("| products created | 5 |"), "{stdout}");
    assert!(stdout.contains("| variants created | 10 |"), "{stdout}");
    assert!(stdout.contains("| units received | 118 |"), "{stdout}");
    assert_eq!(app.ledger_mismatches().await, Vec::<String>::new());

    let out = run(&bad, false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("1 problem(s)"), "{stdout}");
    assert!(stdout.contains("line      3  name"), "{stdout}");
    assert_eq!(skus(&app, "fiber-x").await.len(), 110);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_upload_becomes_a_job_whose_state_shows_done_with_counts() {
    let app = TestApp::spawn().await;
    let (fx, _) = app.two_brands_and_managers().await;
    let resp = app
        .upload_import(&fx, "fiber-x", &catalog_csv(300), false)
        .await;
    assert_eq!(resp.status(), 202);
    let accepted: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(accepted["state"], "queued");
    assert_eq!(accepted["file_name"], "products.csv");
    let id = accepted["id"].as_str().unwrap().to_owned();

    let done = app.wait_import(&fx, "fiber-x", &id).await;
    assert_eq!(done["state"], "done", "{done:#}");
    assert_eq!(done["rows_total"], 300);
    assert_eq!(done["rows_validated"], 300);
    assert_eq!(done["rows_applied"], 300);
    assert_eq!(done["summary"]["products_created"], 300);
    assert_eq!(done["summary"]["variants_created"], 600);
    assert_eq!(done["error_count"], 0);
    assert!(done["finished_at"].is_string());
    assert_eq!(skus(&app, "fiber-x").await.len(), 600);

    // The file is kept under the brand's prefix.
    let files = files_under(&app.files_dir());
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    assert_eq!(files, [format!("fiber-x/imports/{month}/{id}.csv")]);

    // A dry run through the API, then the same file for real again: a no-op.
    let before = brand_state(&app, "fiber-x").await;
    let resp = app
        .upload_import(&fx, "fiber-x", &catalog_csv(301), true)
        .await;
    let id = resp.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dry = app.wait_import(&fx, "fiber-x", &id).await;
    assert_eq!(dry["state"], "done");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["summary"]["products_created"], 1);
    assert_eq!(dry["summary"]["products_unchanged"], 300);
    assert_eq!(dry["rows_applied"], 0);
    let resp = app
        .upload_import(&fx, "fiber-x", &catalog_csv(300), false)
        .await;
    let id = resp.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = app.wait_import(&fx, "fiber-x", &id).await;
    assert_eq!(again["summary"]["products_unchanged"], 300);
    assert_eq!(brand_state(&app, "fiber-x").await, before);

    // Another brand's manager cannot see it, and an unknown id is 404.
    let sz = app
        .staff("suzume", Role::BrandManager, "other@suzume.test")
        .await;
    let resp = app
        .authed(
            Method::GET,
            &format!("/v1/admin/imports/{id}"),
            &sz,
            Some("suzume"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 404).await;
}

#[tokio::test]
async fn a_failing_file_through_the_api_shows_failed_with_the_report() {
    let app = TestApp::spawn().await;
    let (fx, _) = app.two_brands_and_managers().await;
    let csv = format!(
        "{HEADER}\n\
         good,HAIR,Good,,1.00,active,,,\n\
         bad-price,HAIR,Bad,,1.2.3,active,,,\n\
         bad-cat,SKIN,Bad,,1.00,active,,,\n"
    );
    let resp = app.upload_import(&fx, "fiber-x", &csv, false).await;
    assert_eq!(resp.status(), 202);
    let id = resp.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = app.wait_import(&fx, "fiber-x", &id).await;
    assert_eq!(failed["state"], "failed", "{failed:#}");
    assert_eq!(failed["error_count"], 2);
    assert_eq!(failed["rows_applied"], 0);
    let errors: Vec<(i64, &str)> = failed["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(3, "price"), (4, "category")]);
    assert_eq!(skus(&app, "fiber-x").await.len(), 0);

    // An empty file is refused at once; a file that is not multipart is 415.
    let resp = app.upload_import(&fx, "fiber-x", "", false).await;
    assert_problem(resp, 422).await;
    let resp = app
        .authed(Method::POST, "/v1/admin/imports", &fx, Some("fiber-x"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 415).await;
}

#[tokio::test]
async fn only_the_owner_and_brand_managers_may_import() {
    let app = TestApp::spawn().await;
    let (fx, _) = app.two_brands_and_managers().await;
    let owner = app.owner("owner@brandhouse.test").await;
    let csv = "handle,category,name,price\nx,HAIR,X,1\n";
    for role in [Role::Warehouse, Role::Support] {
        let who = app
            .staff("fiber-x", role, &format!("{role}@fiber-x.test"))
            .await;
        assert_problem(app.upload_import(&who, "fiber-x", csv, false).await, 403).await;
        let resp = app
            .authed(
                Method::GET,
                "/v1/admin/imports/00000000-0000-0000-0000-000000000001",
                &who,
                Some("fiber-x"),
            )
            .send()
            .await
            .unwrap();
        assert_problem(resp, 403).await;
    }
    // Suzume's manager in Fiber X: 403 as well.
    let sz = app
        .staff("suzume", Role::BrandManager, "other@suzume.test")
        .await;
    assert_problem(app.upload_import(&sz, "fiber-x", csv, false).await, 403).await;
    for who in [&owner, &fx] {
        assert_eq!(
            app.upload_import(who, "fiber-x", csv, true).await.status(),
            202
        );
    }
}

// ---- object storage and media ----

fn jpeg() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    b.extend_from_slice(&[7; 64]);
    b
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&[9; 64]);
    b
}

fn webp() -> Vec<u8> {
    let mut b = b"RIFF\x44\0\0\0WEBPVP8 ".to_vec();
    b.extend_from_slice(&[5; 64]);
    b
}

/// File names that try to leave the brand's prefix.
const EVIL_NAMES: &[&str] = &[
    "../suzume/products/0001/x.png",
    "../../../etc/passwd",
    "/etc/passwd",
    "/fiber-x/products/0001/x.png",
    "%2e%2e%2fsuzume%2fx.png",
    "..%2F..%2Fsuzume.png",
    "%252e%252e%252f.png",
    "..\\suzume\\x.png",
    "C:\\evil.png",
    "suzume/products/0001/x.png",
    "fiber-x/../suzume/x.png",
    "x/../../y.png",
    "..",
];

/// Keys (as if read back from the database) that are not Fiber X's.
const EVIL_KEYS: &[&str] = &[
    "suzume/products/0001/x.png",
    "fiber-x/../suzume/products/0001/x.png",
    "/fiber-x/products/0001/x.png",
    "fiber-x-evil/products/0001/x.png",
    "fiber-x/%2e%2e/suzume/x.png",
    "fiber-x\\..\\suzume\\x.png",
    "fiber-x//x.png",
    "fiber-x/./x.png",
    "fiber-x",
    "",
];

/// The containment checks, on whatever backend `app` runs; `objects` lists what the backend
/// physically holds.
async fn media_keys_stay_in_the_brand(
    app: &TestApp,
    direct: &MediaStore,
    objects: impl Fn() -> Vec<String>,
) {
    let (fx, _) = app.two_brands_and_managers().await;
    app.create_product(
        "fiber-x",
        "HAIR",
        "Argan Oil",
        "active",
        serde_json::json!([]),
    )
    .await;
    app.create_product(
        "suzume",
        "SKIN",
        "Yuzu Toner",
        "active",
        serde_json::json!([]),
    )
    .await;
    let (fx_scope, sz_scope): (TenantScope, TenantScope) =
        (app.scope("fiber-x").await, app.scope("suzume").await);

    // Over HTTP, as the `name` field and as the upload's own file name.
    for evil in EVIL_NAMES {
        let resp = app
            .upload_media(&fx, "fiber-x", 1, "ok.png", Some(evil), png())
            .await;
        assert_problem(resp, 422).await;
        let resp = app.upload_media(&fx, "fiber-x", 1, evil, None, png()).await;
        assert_problem(resp, 422).await;
    }
    // A name that merely mentions another brand is just a name inside Fiber X's prefix.
    let resp = app
        .upload_media(&fx, "fiber-x", 1, "suzume.png", None, png())
        .await;
    assert_eq!(resp.status(), 201);

    // In the store itself: names, stored keys, and keys of another brand's scope.
    for evil in EVIL_NAMES {
        assert!(MediaName::parse(evil, "png").is_err(), "{evil}");
    }
    for evil in EVIL_KEYS {
        assert!(
            matches!(
                ObjectKey::stored(&fx_scope, evil),
                Err(StorageError::OutsideBrand)
            ),
            "{evil:?}"
        );
    }
    let name = MediaName::parse("hero.png", "png").unwrap();
    let suzumes = ObjectKey::product_media(&sz_scope, 1, &name);
    for store in [&app.state.media, direct] {
        assert!(matches!(
            store.put(&fx_scope, &suzumes, png().into()).await,
            Err(StorageError::OutsideBrand)
        ));
        assert!(matches!(
            store.get(&fx_scope, &suzumes).await,
            Err(StorageError::OutsideBrand)
        ));
        assert!(matches!(
            store.delete(&fx_scope, &suzumes).await,
            Err(StorageError::OutsideBrand)
        ));
        assert_eq!(store.list(&sz_scope).await.unwrap(), Vec::<String>::new());
        assert_eq!(
            store.list(&fx_scope).await.unwrap(),
            ["fiber-x/products/0001/suzume.png"]
        );
    }
    assert_eq!(objects(), ["fiber-x/products/0001/suzume.png"]);
}

#[tokio::test]
async fn media_keys_never_leave_the_brands_prefix_on_the_local_backend() {
    let app = TestApp::spawn().await;
    let direct = MediaStore::from_settings(&app_storage(&app)).unwrap();
    let dir = app.files_dir();
    media_keys_stay_in_the_brand(&app, &direct, || files_under(&dir)).await;
}

fn app_storage(app: &TestApp) -> brandhouse::config::StorageSettings {
    crate::helpers::test_config(&app.db.name, &[]).storage
}

#[tokio::test]
async fn media_keys_never_leave_the_brands_prefix_on_s3() {
    let s3 = TestS3::start().await;
    let app = TestApp::spawn_with_env(&s3.env(), &[]).await;
    assert_eq!(app.state.media.backend_name(), "s3");
    let direct = MediaStore::from_settings(&s3.settings()).unwrap();
    media_keys_stay_in_the_brand(&app, &direct, || s3.objects()).await;
    assert!(files_under(&app.files_dir()).is_empty(), "nothing local");
}

#[tokio::test]
async fn product_images_are_checked_listed_deleted_and_served_on_the_storefront() {
    let app = TestApp::spawn().await;
    let (fx, sz) = app.two_brands_and_managers().await;
    app.create_product(
        "fiber-x",
        "HAIR",
        "Argan Oil",
        "active",
        serde_json::json!([]),
    )
    .await;
    app.create_product(
        "fiber-x",
        "HAIR",
        "Secret Draft",
        "draft",
        serde_json::json!([]),
    )
    .await;
    app.create_product(
        "suzume",
        "SKIN",
        "Yuzu Toner",
        "active",
        serde_json::json!([]),
    )
    .await;

    for (file, bytes, content_type, stored) in [
        ("Hero Shot.JPG", jpeg(), "image/jpeg", "hero-shot.jpg"),
        ("detail.png", png(), "image/png", "detail.png"),
        ("texture.webp", webp(), "image/webp", "texture.webp"),
    ] {
        let resp = app.upload_media(&fx, "fiber-x", 1, file, None, bytes).await;
        assert_eq!(resp.status(), 201, "{file}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["name"], stored);
        assert_eq!(body["content_type"], content_type);
        assert_eq!(body["url"], format!("/v1/storefront/media/1/{stored}"));
    }
    // A text file named .png: refused by its content.
    let resp = app
        .upload_media(
            &fx,
            "fiber-x",
            1,
            "fake.png",
            None,
            b"hello, I am text".to_vec(),
        )
        .await;
    let body = assert_problem(resp, 422).await;
    assert_eq!(body["errors"][0]["field"], "file");
    // Over 10 MiB: 413, whether it passes the route's body limit (just over) or not.
    let mut big = png();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let resp = app
        .upload_media(&fx, "fiber-x", 1, "big.png", None, big)
        .await;
    assert_problem(resp, 413).await;
    let mut bigger = png();
    bigger.resize(12 * 1024 * 1024, 0);
    let resp = app
        .upload_media(&fx, "fiber-x", 1, "bigger.png", None, bigger)
        .await;
    assert_problem(resp, 413).await;
    // Other routes keep the 1 MiB default.
    let resp = app
        .authed(Method::POST, "/v1/admin/categories", &fx, Some("fiber-x"))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_problem(resp, 413).await;
    // No such product.
    let resp = app
        .upload_media(&fx, "fiber-x", 99, "x.png", None, png())
        .await;
    assert_problem(resp, 404).await;

    let list: serde_json::Value = app
        .authed(
            Method::GET,
            "/v1/admin/products/1/media",
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hero-shot.jpg", "detail.png", "texture.webp"]);

    // The storefront detail carries the URLs; its body matches the declared schema.
    let detail: serde_json::Value = app
        .storefront_get("fiber-x", "/v1/storefront/products/1")
        .await
        .json()
        .await
        .unwrap();
    let product: StorefrontProduct = serde_json::from_value(detail).unwrap();
    let urls: Vec<&str> = product.media.iter().map(|m| m.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "/v1/storefront/media/1/hero-shot.jpg",
            "/v1/storefront/media/1/detail.png",
            "/v1/storefront/media/1/texture.webp"
        ]
    );
    let page: serde_json::Value = app
        .storefront_get("fiber-x", "/v1/storefront/products")
        .await
        .json()
        .await
        .unwrap();
    let page: ProductPage = serde_json::from_value(page).unwrap();
    assert_eq!(page.items[0].media.len(), 3);

    // Served with caching headers; a matching If-None-Match is 304.
    let resp = app
        .storefront_get("fiber-x", "/v1/storefront/media/1/detail.png")
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["cache-control"], "public, max-age=3600");
    // The same path is another image (or none) in another brand: a shared cache in front of
    // several brands must key on what names the brand, or it serves Fiber X's image to Suzume.
    assert_eq!(resp.headers()["vary"], "X-Tenant-ID, Host");
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(resp.bytes().await.unwrap().to_vec(), png());
    let resp = app
        .client
        .get(app.url("/v1/storefront/media/1/detail.png"))
        .header("Host", "fiber-x.test")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);
    assert_eq!(resp.headers()["vary"], "X-Tenant-ID, Host");

    // Another brand can neither read nor delete them.
    assert_problem(
        app.storefront_get("suzume", "/v1/storefront/media/1/detail.png")
            .await,
        404,
    )
    .await;
    let resp = app
        .authed(
            Method::DELETE,
            "/v1/admin/products/1/media/detail.png",
            &sz,
            Some("suzume"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 404).await;
    let resp = app
        .authed(
            Method::DELETE,
            "/v1/admin/products/1/media/detail.png",
            &sz,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 403).await;
    let resp = app
        .authed(
            Method::GET,
            "/v1/admin/products/1/media",
            &sz,
            Some("suzume"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!([])
    );
    assert!(
        app.files_dir()
            .join("fiber-x/products/0001/detail.png")
            .exists()
    );

    // A draft product's images are not public.
    let resp = app
        .upload_media(&fx, "fiber-x", 2, "draft.png", None, png())
        .await;
    assert_eq!(resp.status(), 201);
    assert_problem(
        app.storefront_get("fiber-x", "/v1/storefront/media/2/draft.png")
            .await,
        404,
    )
    .await;

    // Delete: the record and the file go; the storefront follows.
    let resp = app
        .authed(
            Method::DELETE,
            "/v1/admin/products/1/media/texture.webp",
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(
        !app.files_dir()
            .join("fiber-x/products/0001/texture.webp")
            .exists()
    );
    let detail: StorefrontProduct = app
        .storefront_get("fiber-x", "/v1/storefront/products/1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail.media.len(), 2);
    let resp = app
        .authed(
            Method::DELETE,
            "/v1/admin/products/1/media/texture.webp",
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 404).await;
}

#[tokio::test]
async fn on_s3_imports_are_stored_in_the_bucket_and_media_urls_are_presigned() {
    let s3 = TestS3::start().await;
    let app = TestApp::spawn_with_env(&s3.env(), &[]).await;
    let (fx, _) = app.two_brands_and_managers().await;

    // An import through the bucket.
    let resp = app
        .upload_import(&fx, "fiber-x", &catalog_csv(20), false)
        .await;
    assert_eq!(resp.status(), 202);
    let id = resp.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = app.wait_import(&fx, "fiber-x", &id).await;
    assert_eq!(done["state"], "done", "{done:#}");
    assert_eq!(done["summary"]["products_created"], 20);
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    assert_eq!(s3.objects(), [format!("fiber-x/imports/{month}/{id}.csv")]);

    // An image: the storefront gets a presigned URL that the S3 server honours.
    let resp = app
        .upload_media(&fx, "fiber-x", 1, "hero.webp", None, webp())
        .await;
    assert_eq!(resp.status(), 201);
    let detail: StorefrontProduct = app
        .storefront_get("fiber-x", "/v1/storefront/products/1")
        .await
        .json()
        .await
        .unwrap();
    let url = &detail.media[0].url;
    assert!(
        url.starts_with(&format!(
            "{}/{}/fiber-x/products/0001/hero.webp?",
            s3.endpoint, s3.bucket
        )),
        "{url}"
    );
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), webp());
    // Tampering with the key breaks the signature.
    let forged = url.replace(
        "fiber-x/products/0001/hero.webp",
        "suzume/products/0001/hero.webp",
    );
    assert_eq!(reqwest::get(&forged).await.unwrap().status(), 403);
    // The list is presigned too, and the API still serves the bytes itself.
    let page: ProductPage = app
        .storefront_get("fiber-x", "/v1/storefront/products?limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert!(page.items[0].media[0].url.contains("X-Amz-Signature="));
    let resp = app
        .storefront_get("fiber-x", "/v1/storefront/media/1/hero.webp")
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().to_vec(), webp());
}
