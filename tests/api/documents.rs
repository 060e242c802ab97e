//! Pre-rendered storefront documents (sql/V35__storefront_documents.sql): each product is
//! assembled from its stored document and its variants' availability (by the storefront's
//! statements and, since V40, the API, which writes each variant's figures after its fragment),
//! and must answer byte for byte what the statements that built the JSON per request answered
//! (kept in `tests/api/sql/*_v34.sql`); the documents follow every catalog change in the
//! writing transaction; another brand can neither read nor write them.

use brandhouse::db::{DbError, Tx};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Signed, TestApp};

/// The storefront statements before V35: each start file followed by the tail that built every
/// product's JSON per request.
// Each start followed by the shared tail, as src/catalog/repo.rs joined them before V35.
const LIST_V34: &str = concat!(
    include_str!("sql/storefront_list_v34.sql"),
    include_str!("sql/storefront_item_v34.sql")
);
const SEARCH_V34: &str = concat!(
    include_str!("sql/storefront_search_v34.sql"),
    include_str!("sql/storefront_item_v34.sql")
);
const PRODUCT_V34: &str = concat!(
    include_str!("sql/storefront_product_v34.sql"),
    include_str!("sql/storefront_item_v34.sql")
);
/// Today's statements, as src/catalog/repo.rs joins them: the same parameters, after the brand
/// (`$1`).
const LIST: &str = concat!(
    include_str!("../../src/catalog/sql/storefront_list.sql"),
    include_str!("../../src/catalog/sql/storefront_item.sql")
);
const SEARCH: &str = concat!(
    include_str!("../../src/catalog/sql/storefront_search.sql"),
    include_str!("../../src/catalog/sql/storefront_item.sql")
);
const PRODUCT: &str = concat!(
    include_str!("../../src/catalog/sql/storefront_product.sql"),
    include_str!("../../src/catalog/sql/storefront_item.sql")
);

/// `(number, JSON)` of each row of a statement that built the JSON itself.
async fn items(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<(i32, String)>, DbError> {
    Ok(tx
        .query(sql, params)
        .await?
        .iter()
        .map(|r| (r.get("number"), r.get("item")))
        .collect())
}

/// `(number, JSON)` of each product, as the API assembles it from today's statements' rows.
async fn assembled(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    zone: Option<Uuid>,
) -> Result<Vec<(i32, String)>, DbError> {
    let rows = tx.query(sql, params).await?;
    Ok(brandhouse::catalog::repo::storefront_items(&rows, zone)?
        .into_iter()
        .map(|i| (i.number, i.json))
        .collect())
}

/// `params` after the brand: today's statements take the brand as `$1`, then the parameters of
/// the statements before V35.
fn with_brand<'a>(
    tenant: &'a Uuid,
    params: &[&'a (dyn tokio_postgres::types::ToSql + Sync)],
) -> Vec<&'a (dyn tokio_postgres::types::ToSql + Sync)> {
    let mut all: Vec<&'a (dyn tokio_postgres::types::ToSql + Sync)> = vec![tenant];
    all.extend_from_slice(params);
    all
}

/// Where today's statements answer other bytes than the statements before V35, for brand
/// `slug`: the whole list (every active product), a search and every product's detail, in
/// each of the brand's locales, without a zone and in each zone; as the API role in the brand's
/// transaction. Returns how many products were compared and the differences.
async fn differences_from_v34(app: &TestApp, slug: &str, detail: bool) -> (usize, Vec<String>) {
    let scope = app.scope(slug).await;
    let currency = scope.tenant().currency.clone();
    app.state
        .db
        .tenant_tx(&scope, async |tx| {
            let locales: Vec<String> = tx
                .query_one(
                    "select coalesce((select locales from app.brand_locales), '{en}')",
                    &[],
                )
                .await?
                .get(0);
            let mut zones: Vec<Option<Uuid>> = vec![None];
            for r in tx
                .query(
                    "select id from app.zones where is_active order by code",
                    &[],
                )
                .await?
            {
                zones.push(Some(r.get(0)));
            }
            let tenant = *tx.tenant();
            let (after, category, limit): (i32, Option<&str>, i64) = (0, None, 100_000);
            let mut compared = 0;
            let mut diffs = Vec::new();
            let mut compare = |what: String, old: Vec<(i32, String)>, new: Vec<(i32, String)>| {
                compared += old.len();
                if old.len() != new.len() {
                    diffs.push(format!(
                        "{what}: {} rows before, {} now",
                        old.len(),
                        new.len()
                    ));
                }
                for (o, n) in old.iter().zip(&new) {
                    if o != n {
                        diffs.push(format!(
                            "{what}, product {}:\n before {}\n now    {}",
                            o.0, o.1, n.1
                        ));
                    }
                }
            };
            for locale in &locales {
                for zone in &zones {
                    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
                        [&currency, zone, &after, &category, &limit, locale];
                    let old = items(tx, LIST_V34, &params).await?;
                    let new = assembled(tx, LIST, &with_brand(&tenant, &params), *zone).await?;
                    let numbers: Vec<i32> = old.iter().map(|(n, _)| *n).collect();
                    compare(format!("list {locale} {zone:?}"), old, new);

                    let (q, pattern, rank, singular) = ("a", "%a%", None::<f32>, None::<String>);
                    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 10] = [
                        &currency, zone, &after, &category, &q, &pattern, &rank, &limit, locale,
                        &singular,
                    ];
                    let old = items(tx, SEARCH_V34, &params).await?;
                    let new = assembled(tx, SEARCH, &with_brand(&tenant, &params), *zone).await?;
                    compare(format!("search {locale} {zone:?}"), old, new);

                    if detail && zone.is_none() {
                        for number in numbers {
                            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
                                [&currency, zone, &number, locale];
                            let old = items(tx, PRODUCT_V34, &params).await?;
                            let new = assembled(tx, PRODUCT, &with_brand(&tenant, &params), *zone)
                                .await?;
                            compare(format!("detail {number} {locale}"), old, new);
                        }
                    }
                }
            }
            Ok::<_, DbError>((compared, diffs))
        })
        .await
        .unwrap()
}

/// Stored documents that differ from a fresh rendering, over every brand (as the superuser).
async fn stale(app: &TestApp) -> Vec<String> {
    app.db
        .admin()
        .await
        .query(
            "select s.problem || ' ' || p.number || ' ' || s.locale || ' (' || t.slug || ')' \
             from app.storefront_documents_stale() s \
             join app.products p on p.id = s.product_id \
             join app.tenants t on t.id = p.tenant_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The demo catalog (three brands, 240 products, their translations) with stock in two zones:
/// every product in every locale of its brand, listed, searched and in detail, without a zone
/// and per zone, is byte for byte what the statements that built the JSON per request gave.
#[tokio::test]
async fn stored_documents_give_the_bytes_the_per_request_statements_gave() {
    let app = TestApp::spawn_with(&[("WORKER_ENABLED", "false")]).await;
    brandhouse::seed::demo(&app.state.db, &app.state.tenants)
        .await
        .expect("demo seeded");
    // Stock for most variants in one zone or both (the maintained figures follow, V32): the
    // figures the pages splice in vary per variant and per zone.
    app.create_zone("BER", 10).await;
    app.create_zone("HAM", 20).await;
    app.db
        .admin()
        .await
        .batch_execute(
            "insert into app.stock (tenant_id, variant_id, zone_id, on_hand, reserved)              select v.tenant_id, v.id, z.id, (hashtext(v.sku || z.code) & 15) + 1, hashtext(v.sku) & 1              from app.variants v cross join app.zones z              where hashtext(v.sku || z.code) % 3 <> 0",
        )
        .await
        .unwrap();
    assert_eq!(stale(&app).await, Vec::<String>::new());
    let mut total = 0;
    for slug in ["fiber-x", "suzume", "showstopper"] {
        let (compared, diffs) = differences_from_v34(&app, slug, true).await;
        assert!(diffs.is_empty(), "{slug}: {}", diffs.join("\n"));
        total += compared;
    }
    // Every brand sells in more than one locale and has stock: the comparison covered
    // translated text and availability figures.
    assert!(total > 1_000, "{total}");
    let documents: i64 = app
        .scalar("select count(*) from app.storefront_documents")
        .await;
    let expected: i64 = app
        .scalar(
            "select count(*) from app.products p \
             cross join lateral unnest(coalesce((select b.locales from app.brand_locales b \
                                                 where b.tenant_id = p.tenant_id), '{en}'))",
        )
        .await;
    assert_eq!(documents, expected);
    let translated: i64 = app
        .scalar("select count(*) from app.product_translations")
        .await;
    let stocked: i64 = app
        .scalar("select count(*) from app.availability where on_hand > 0")
        .await;
    assert!(translated > 0 && stocked > 0, "{translated} {stocked}");
}

/// One step of [`documents_follow_every_catalog_change`].
#[derive(Debug, Clone)]
enum Op {
    Create {
        category: usize,
        axes: usize,
        active: bool,
    },
    Rename {
        pick: usize,
        salt: u16,
    },
    Reprice {
        pick: usize,
        price: i64,
    },
    Recategorise {
        pick: usize,
        category: usize,
    },
    Status {
        pick: usize,
        active: bool,
    },
    /// New axes: variants added, deactivated, reactivated, reordered.
    Axes {
        pick: usize,
        axes: usize,
    },
    VariantPrice {
        pick: usize,
        variant: usize,
        price: Option<i64>,
    },
    VariantActive {
        pick: usize,
        variant: usize,
        active: bool,
    },
    /// Positions reversed by a statement of its own (as the superuser).
    Reorder {
        pick: usize,
    },
    Translate {
        pick: usize,
        locale: usize,
        labels: bool,
    },
    Untranslate {
        pick: usize,
        locale: usize,
    },
    RenameCategory {
        category: usize,
        salt: u16,
    },
    TranslateCategory {
        category: usize,
        locale: usize,
        salt: u16,
    },
    MediaAdd {
        pick: usize,
        name: usize,
    },
    MediaDelete {
        pick: usize,
        name: usize,
    },
    Locales {
        set: usize,
    },
    Import {
        pick: usize,
        salt: u16,
    },
}

const CATEGORIES: [&str; 2] = ["HAIR", "STYL"];
const LOCALES: [&str; 2] = ["es", "fr"];
const MEDIA: [&str; 3] = ["front.png", "back.png", "side.png"];

fn axes(n: usize) -> Value {
    match n {
        0 => json!([]),
        1 => json!([{"name": "Size", "values": [{"value": "250 ml"}, {"value": "1 l"}]}]),
        2 => {
            json!([{"name": "Size", "values": [{"value": "1 l"}, {"value": "50 ml"}, {"value": "250 ml"}]}])
        }
        _ => json!([
            {"name": "Colour", "values": [{"value": "Black"}, {"value": "Red \"ruby\""}]},
            {"name": "Size", "values": [{"value": "250 ml"}, {"value": "1 l"}]}
        ]),
    }
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        2 => (0..2usize, 0..4usize, any::<bool>()).prop_map(|(category, axes, active)| Op::Create { category, axes, active }),
        1 => (any::<usize>(), any::<u16>()).prop_map(|(pick, salt)| Op::Rename { pick, salt }),
        1 => (any::<usize>(), 0..5000i64).prop_map(|(pick, price)| Op::Reprice { pick, price }),
        1 => (any::<usize>(), 0..2usize).prop_map(|(pick, category)| Op::Recategorise { pick, category }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(pick, active)| Op::Status { pick, active }),
        2 => (any::<usize>(), 0..4usize).prop_map(|(pick, axes)| Op::Axes { pick, axes }),
        2 => (any::<usize>(), any::<usize>(), proptest::option::of(0..3000i64)).prop_map(|(pick, variant, price)| Op::VariantPrice { pick, variant, price }),
        2 => (any::<usize>(), any::<usize>(), any::<bool>()).prop_map(|(pick, variant, active)| Op::VariantActive { pick, variant, active }),
        1 => any::<usize>().prop_map(|pick| Op::Reorder { pick }),
        3 => (any::<usize>(), 0..2usize, any::<bool>()).prop_map(|(pick, locale, labels)| Op::Translate { pick, locale, labels }),
        1 => (any::<usize>(), 0..2usize).prop_map(|(pick, locale)| Op::Untranslate { pick, locale }),
        1 => (0..2usize, any::<u16>()).prop_map(|(category, salt)| Op::RenameCategory { category, salt }),
        1 => (0..2usize, 0..2usize, any::<u16>()).prop_map(|(category, locale, salt)| Op::TranslateCategory { category, locale, salt }),
        1 => (any::<usize>(), 0..3usize).prop_map(|(pick, name)| Op::MediaAdd { pick, name }),
        1 => (any::<usize>(), 0..3usize).prop_map(|(pick, name)| Op::MediaDelete { pick, name }),
        1 => (0..4usize).prop_map(|set| Op::Locales { set }),
        1 => (any::<usize>(), any::<u16>()).prop_map(|(pick, salt)| Op::Import { pick, salt }),
    ]
}

/// Sends `body` with `method` to `path` as `who` for Fiber X; the status.
async fn send(app: &TestApp, who: &Signed, method: Method, path: &str, body: Option<Value>) -> u16 {
    let req = app.authed(method, path, who, Some("fiber-x"));
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    req.send().await.unwrap().status().as_u16()
}

/// After every step of random sequences of catalog changes, made through the API (product
/// create and patch, new axes, variant patches, translations, category names, media, the
/// brand's locales, the CSV import) or by SQL, every stored document equals a fresh rendering
/// and the storefront statements answer what the per-request statements answer; the other
/// brand's documents never move.
#[tokio::test]
async fn documents_follow_every_catalog_change() {
    use proptest::strategy::{Strategy, ValueTree};

    let app = TestApp::spawn_unstocked_shop().await;
    let manager = app.manager("fiber-x").await;
    let suzume_manager = app.manager("suzume").await;
    for (who, slug, locales) in [
        (&manager, "fiber-x", json!(["en", "es", "fr"])),
        (&suzume_manager, "suzume", json!(["en", "ja"])),
    ] {
        let resp = app
            .authed(Method::PUT, "/v1/admin/locales", who, Some(slug))
            .json(&json!({"locales": locales, "default_locale": "en"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    app.receive("fiber-x", "FBX-HAIR-0001", "BER", 5).await;
    app.receive("suzume", "SZM-SKIN-0001", "BER", 3).await;
    let suzume_documents = || async {
        app.scalar::<String>(
            "select md5(string_agg(d::text, ',' order by d.product_id, d.locale)) \
             from app.storefront_documents d join app.tenants t on t.id = d.tenant_id \
             where t.slug = 'suzume'",
        )
        .await
    };
    let suzume_before = suzume_documents().await;

    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let cases: usize = std::env::var("DOCUMENT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut done: std::collections::BTreeMap<String, usize> = Default::default();
    for case in 0..cases {
        let ops = proptest::collection::vec(op(), 25)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        for (step, op) in ops.into_iter().enumerate() {
            let at = format!("case {case}, step {step}: {op:?}");
            let products: i64 = app
                .scalar(
                    "select count(*) from app.products p join app.tenants t on t.id = p.tenant_id \
                     where t.slug = 'fiber-x'",
                )
                .await;
            let number = |pick: usize| (pick % usize::try_from(products).unwrap()) as i32 + 1;
            let skus = async |number: i32| -> Vec<String> {
                app.db
                    .admin()
                    .await
                    .query(
                        "select v.sku from app.variants v join app.products p on p.id = v.product_id \
                         join app.tenants t on t.id = p.tenant_id \
                         where t.slug = 'fiber-x' and p.number = $1 order by v.sku",
                        &[&number],
                    )
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect()
            };
            let (kind, status): (&str, u16) = match op {
                Op::Create {
                    category,
                    axes: a,
                    active,
                } => {
                    let body = json!({
                        "category_code": CATEGORIES[category],
                        "name": format!("Product {case}-{step}"),
                        "description": "Soft \"shine\"\n\tand\\more",
                        "base_price_minor": 1000 + step,
                        "status": if active { "active" } else { "draft" },
                        "axes": axes(a),
                    });
                    (
                        "create",
                        send(
                            &app,
                            &manager,
                            Method::POST,
                            "/v1/admin/products",
                            Some(body),
                        )
                        .await,
                    )
                }
                Op::Rename { pick, salt } => {
                    let body = json!({"name": format!("Renamed ü {salt}"), "description": format!("d {salt}")});
                    let path = format!("/v1/admin/products/{}", number(pick));
                    (
                        "rename",
                        send(&app, &manager, Method::PATCH, &path, Some(body)).await,
                    )
                }
                Op::Reprice { pick, price } => {
                    let path = format!("/v1/admin/products/{}", number(pick));
                    let body = json!({"base_price_minor": price});
                    (
                        "reprice",
                        send(&app, &manager, Method::PATCH, &path, Some(body)).await,
                    )
                }
                Op::Recategorise { pick, category } => {
                    let path = format!("/v1/admin/products/{}", number(pick));
                    let body = json!({"category_code": CATEGORIES[category]});
                    (
                        "recategorise",
                        send(&app, &manager, Method::PATCH, &path, Some(body)).await,
                    )
                }
                Op::Status { pick, active } => {
                    let path = format!("/v1/admin/products/{}", number(pick));
                    let body = json!({"status": if active { "active" } else { "draft" }});
                    (
                        "status",
                        send(&app, &manager, Method::PATCH, &path, Some(body)).await,
                    )
                }
                Op::Axes { pick, axes: a } => {
                    let path = format!("/v1/admin/products/{}", number(pick));
                    let body = json!({"axes": axes(a)});
                    (
                        "axes",
                        send(&app, &manager, Method::PATCH, &path, Some(body)).await,
                    )
                }
                Op::VariantPrice {
                    pick,
                    variant,
                    price,
                } => {
                    let skus = skus(number(pick)).await;
                    let path = format!("/v1/admin/variants/{}", skus[variant % skus.len()]);
                    let body = json!({"price_override_minor": price});
                    (
                        "variant price",
                        send(&app, &manager, Method::PATCH, &path, Some(body)).await,
                    )
                }
                Op::VariantActive {
                    pick,
                    variant,
                    active,
                } => {
                    let skus = skus(number(pick)).await;
                    let path = format!("/v1/admin/variants/{}", skus[variant % skus.len()]);
                    let body = json!({"is_active": active});
                    (
                        "variant active",
                        send(&app, &manager, Method::PATCH, &path, Some(body)).await,
                    )
                }
                Op::Reorder { pick } => {
                    app.db
                        .admin()
                        .await
                        .execute(
                            "update app.variants v set position = 100 - v.position \
                             from app.products p join app.tenants t on t.id = p.tenant_id \
                             where p.id = v.product_id and t.slug = 'fiber-x' and p.number = $1",
                            &[&number(pick)],
                        )
                        .await
                        .unwrap();
                    ("reorder", 200)
                }
                Op::Translate {
                    pick,
                    locale,
                    labels,
                } => {
                    let path = format!(
                        "/v1/admin/products/{}/translations/{}",
                        number(pick),
                        LOCALES[locale]
                    );
                    let mut body =
                        json!({"name": format!("Producto {step} ñ"), "description": null});
                    if labels {
                        body["option_labels"] =
                            json!({"Size": "Tamaño", "1 l": "1 litro", "Black": "Negro"});
                    }
                    (
                        "translate",
                        send(&app, &manager, Method::PUT, &path, Some(body)).await,
                    )
                }
                Op::Untranslate { pick, locale } => {
                    let path = format!(
                        "/v1/admin/products/{}/translations/{}",
                        number(pick),
                        LOCALES[locale]
                    );
                    (
                        "untranslate",
                        send(&app, &manager, Method::DELETE, &path, None).await,
                    )
                }
                Op::RenameCategory { category, salt } => {
                    let path = format!("/v1/admin/categories/{}", CATEGORIES[category]);
                    let body = json!({"name": format!("Category {salt}")});
                    (
                        "rename category",
                        send(&app, &manager, Method::PATCH, &path, Some(body)).await,
                    )
                }
                Op::TranslateCategory {
                    category,
                    locale,
                    salt,
                } => {
                    let path = format!(
                        "/v1/admin/categories/{}/translations/{}",
                        CATEGORIES[category], LOCALES[locale]
                    );
                    let body = json!({"name": format!("Categoría {salt}")});
                    (
                        "translate category",
                        send(&app, &manager, Method::PUT, &path, Some(body)).await,
                    )
                }
                Op::MediaAdd { pick, name } => {
                    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
                    png.extend_from_slice(&[9; 64]);
                    let resp = app
                        .upload_media(&manager, "fiber-x", number(pick), MEDIA[name], None, png)
                        .await;
                    ("media add", resp.status().as_u16())
                }
                Op::MediaDelete { pick, name } => {
                    let path = format!("/v1/admin/products/{}/media/{}", number(pick), MEDIA[name]);
                    (
                        "media delete",
                        send(&app, &manager, Method::DELETE, &path, None).await,
                    )
                }
                Op::Locales { set } => {
                    let (locales, default) = match set {
                        0 => (json!(["en", "es", "fr"]), "en"),
                        1 => (json!(["en", "fr"]), "en"),
                        2 => (json!(["en", "es"]), "en"),
                        _ => (json!(["es", "en", "fr"]), "es"),
                    };
                    let body = json!({"locales": locales, "default_locale": default});
                    (
                        "locales",
                        send(&app, &manager, Method::PUT, "/v1/admin/locales", Some(body)).await,
                    )
                }
                Op::Import { pick, salt } => {
                    let handle: String = app
                        .db
                        .admin()
                        .await
                        .query_one(
                            "select p.handle from app.products p join app.tenants t on t.id = p.tenant_id \
                             where t.slug = 'fiber-x' and p.number = $1",
                            &[&number(pick)],
                        )
                        .await
                        .unwrap()
                        .get(0);
                    let csv = format!(
                        "handle,category,name,price,status,name@es,option1_name,option1_values\n\
                         {handle},HAIR,Imported {salt},12.{:02},active,Importado {salt},Size,250 ml|1 l\n\
                         imported-{case}-{step},STYL,New import {salt},3.50,active,,Size,50 ml\n",
                        salt % 100
                    );
                    let resp = app.upload_import(&manager, "fiber-x", &csv, false).await;
                    let status = resp.status().as_u16();
                    let body: Value = resp.json().await.unwrap();
                    let mut status = status;
                    if status == 202 {
                        let id = body["id"].as_str().unwrap().to_owned();
                        let report = app.wait_import(&manager, "fiber-x", &id).await;
                        // A file naming a locale the brand does not sell in (or its default)
                        // fails whole: nothing was imported.
                        if report["state"] != "done" {
                            assert_eq!(report["summary"]["products_created"], 0, "{at}: {report}");
                            status = 422;
                        }
                    }
                    ("import", status)
                }
            };
            let outcome = match status {
                200..=299 => kind.to_owned(),
                // A refusal (a translation of the default locale, a locale the brand dropped,
                // nothing to delete) changes nothing; the documents must still be right.
                409 | 404 | 422 => format!("{kind} refused"),
                other => panic!("{at}: {other}"),
            };
            *done.entry(outcome).or_default() += 1;
            let stale = stale(&app).await;
            assert!(stale.is_empty(), "{at}: {stale:?}");
            let (_, diffs) = differences_from_v34(&app, "fiber-x", false).await;
            assert!(diffs.is_empty(), "{at}: {}", diffs.join("\n"));
        }
    }
    assert_eq!(suzume_documents().await, suzume_before);
    for kind in [
        "create",
        "rename",
        "axes",
        "variant price",
        "variant active",
        "translate",
        "untranslate",
        "rename category",
        "translate category",
        "media add",
        "locales",
        "import",
    ] {
        assert!(
            done.get(kind).copied().unwrap_or(0) > 0,
            "no {kind:?}: {done:?}"
        );
    }
    println!("{done:?}");
}

/// Another brand can neither read nor write a brand's documents: row-level security
/// (policies/96_storefront_documents.sql) filters and refuses, as the API role, even for
/// statements that forget the brand, and rendering another brand's product from Suzume's
/// transaction renders nothing.
#[tokio::test]
async fn another_brand_cannot_read_or_write_the_stored_documents() {
    let app = TestApp::spawn_unstocked_shop().await;
    let fbx: Uuid = app
        .scalar("select id from app.tenants where slug = 'fiber-x'")
        .await;
    let product: Uuid = app
        .scalar("select id from app.products where number = 1 and sku_stem like 'FBX-%'")
        .await;
    let fiber_x_documents = || async {
        app.scalar::<String>(
            "select string_agg(d::text, ',' order by d.product_id, d.locale) \
             from app.storefront_documents d where d.tenant_id = (select id from app.tenants where slug = 'fiber-x')",
        )
        .await
    };
    let before = fiber_x_documents().await;
    let suzume = app.scope("suzume").await;
    let (seen, foreign, updated, deleted, parts) = app
        .state
        .db
        .tenant_tx(&suzume, async |tx| {
            // A statement that forgets the brand altogether.
            let all = tx
                .query("select tenant_id from app.storefront_documents", &[])
                .await?;
            let foreign = all.iter().filter(|r| r.get::<_, Uuid>(0) != suzume.tenant().id).count();
            let seen: i64 = tx
                .query_one(
                    "select count(*) from app.storefront_documents where tenant_id = $1 or product_id = $2",
                    &[&fbx, &product],
                )
                .await?
                .get(0);
            let updated = tx
                .execute(
                    "update app.storefront_documents set head = '{\"hacked\" : ' where product_id = $1",
                    &[&product],
                )
                .await?;
            let deleted = tx
                .execute("delete from app.storefront_documents where tenant_id = $1", &[&fbx])
                .await?;
            tx.execute(
                "select app.storefront_render(array[$1::uuid], array[$2::uuid])",
                &[&fbx, &product],
            )
            .await?;
            let parts: i64 = tx
                .query_one(
                    "select count(*) from app.storefront_document_parts(array[$1::uuid], array[$2::uuid])",
                    &[&fbx, &product],
                )
                .await?
                .get(0);
            Ok::<_, DbError>((seen, foreign, updated, deleted, parts))
        })
        .await
        .unwrap();
    assert_eq!((seen, foreign, updated, deleted, parts), (0, 0, 0, 0, 0));
    app.assert_refused_in(
        &suzume,
        "insert into app.storefront_documents (tenant_id, product_id, locale, head, middle, variant_ids, variants, tail) \
         values ($1, $2, 'de', '{', '', '{}', '{}', '}')",
        &[&fbx, &product],
    )
    .await;
    app.assert_refused_in(
        &suzume,
        "update app.storefront_documents set tenant_id = $1",
        &[&fbx],
    )
    .await;
    assert_eq!(fiber_x_documents().await, before);
    // Fiber X's own shop still shows its product from its own document.
    let resp = app
        .storefront_get("fiber-x", "/v1/storefront/products/1")
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["variants"][0]["sku"], "FBX-HAIR-0001");
}
