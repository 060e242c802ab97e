//! Translations (issue 21): brand locales, product and category text per locale, the
//! storefront's negotiation (`?locale=`, `Accept-Language`) with per-field fallback and
//! `Content-Language`, per-language search, per-locale cache entries, translated CSV columns,
//! translated names in the assistant's facts, and the isolation of translations between brands.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Signed, TestApp, TestRedis, assert_problem};

/// Sets a brand's locales through the API.
async fn set_locales(app: &TestApp, who: &Signed, slug: &str, locales: &[&str], default: &str) {
    let resp = app
        .authed(Method::PUT, "/v1/admin/locales", who, Some(slug))
        .json(&json!({ "locales": locales, "default_locale": default }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

/// Writes product `number`'s translation into `locale` through the API.
async fn translate(
    app: &TestApp,
    who: &Signed,
    slug: &str,
    number: i32,
    locale: &str,
    body: Value,
) {
    let resp = app
        .authed(
            Method::PUT,
            &format!("/v1/admin/products/{number}/translations/{locale}"),
            who,
            Some(slug),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

/// GET a storefront path with an optional `Accept-Language`: (status, Content-Language, body).
async fn storefront(
    app: &TestApp,
    slug: &str,
    path: &str,
    accept_language: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut req = app.client.get(app.url(path)).header("X-Tenant-ID", slug);
    if let Some(al) = accept_language {
        req = req.header("Accept-Language", al);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let lang = resp
        .headers()
        .get("content-language")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, lang, resp.json().await.unwrap())
}

/// Fiber X selling in en (default), es and ja, with one active product (number 1) that has a
/// Spanish name and option labels but no Spanish description.
async fn spawn_translated_shop(extra: &[(&str, &str)]) -> (TestApp, Signed) {
    let app = TestApp::spawn_with(extra).await;
    app.two_brands().await;
    let number = app
        .create_product(
            "fiber-x",
            "HAIR",
            "Silk Repair Shampoo",
            "active",
            json!([{"name": "Size", "values": [{"value": "250 ml"}]}]),
        )
        .await;
    assert_eq!(number, 1);
    let manager = app.manager("fiber-x").await;
    set_locales(&app, &manager, "fiber-x", &["en", "es", "ja"], "en").await;
    translate(
        &app,
        &manager,
        "fiber-x",
        1,
        "es",
        json!({"name": "Champú Reparador de Seda", "option_labels": {"Size": "Tamaño"}}),
    )
    .await;
    (app, manager)
}

#[tokio::test]
async fn the_storefront_negotiates_the_locale_and_falls_back_field_by_field() {
    let (app, manager) = spawn_translated_shop(&[]).await;
    let path = "/v1/storefront/products/1";

    // q-values, a regional range falling back to its language; the description has no
    // Spanish text and falls back alone.
    let (status, lang, body) =
        storefront(&app, "fiber-x", path, Some("en;q=0.5, es-MX, fr;q=0.8")).await;
    assert_eq!(status, 200);
    assert_eq!(lang.as_deref(), Some("es"));
    assert_eq!(body["name"], "Champú Reparador de Seda");
    assert_eq!(body["description"], "Silk Repair Shampoo, made for tests.");
    assert_eq!(body["variants"][0]["options"][0]["axis"], "Tamaño");
    assert_eq!(body["variants"][0]["options"][0]["value"], "250 ml");

    // ?locale= wins over the header; a locale without any translation falls back entirely.
    let (_, lang, body) =
        storefront(&app, "fiber-x", &format!("{path}?locale=ja"), Some("es")).await;
    assert_eq!(lang.as_deref(), Some("ja"));
    assert_eq!(body["name"], "Silk Repair Shampoo");
    // Nothing the brand sells in: the default.
    let (_, lang, body) = storefront(&app, "fiber-x", path, Some("fr, de;q=0.9")).await;
    assert_eq!(lang.as_deref(), Some("en"));
    assert_eq!(body["name"], "Silk Repair Shampoo");
    let (_, lang, _) = storefront(&app, "fiber-x", path, None).await;
    assert_eq!(lang.as_deref(), Some("en"));
    // A malformed ?locale= is the client's error.
    let resp = app
        .client
        .get(app.url(&format!("{path}?locale=es_%21%21")))
        .header("X-Tenant-ID", "fiber-x")
        .send()
        .await
        .unwrap();
    assert_problem(resp, 400).await;

    // Categories too.
    let resp = app
        .authed(
            Method::PUT,
            "/v1/admin/categories/HAIR/translations/es",
            &manager,
            Some("fiber-x"),
        )
        .json(&json!({"name": "Cuidado del cabello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, lang, cats) =
        storefront(&app, "fiber-x", "/v1/storefront/categories?locale=es", None).await;
    assert_eq!(lang.as_deref(), Some("es"));
    assert_eq!(
        cats[0],
        json!({"code": "HAIR", "name": "Cuidado del cabello"})
    );
    let (_, _, list) = storefront(&app, "fiber-x", "/v1/storefront/products", Some("es")).await;
    assert_eq!(list["items"][0]["category"]["name"], "Cuidado del cabello");
}

#[tokio::test]
async fn search_matches_each_locales_words_with_accents_folded() {
    let (app, _) = spawn_translated_shop(&[]).await;
    for q in ["champú", "champu", "CHAMPÚ", "reparadores"] {
        let (_, _, page) = storefront(
            &app,
            "fiber-x",
            &format!("/v1/storefront/products?locale=es&q={q}"),
            None,
        )
        .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{q}");
        assert_eq!(page["items"][0]["name"], "Champú Reparador de Seda");
    }
    // The Spanish word is not English: searching in English does not find it.
    let (_, _, page) = storefront(
        &app,
        "fiber-x",
        "/v1/storefront/products?locale=en&q=champu",
        None,
    )
    .await;
    assert_eq!(page["items"], json!([]));
    // The product's own text is found in every locale.
    let (_, _, page) = storefront(
        &app,
        "fiber-x",
        "/v1/storefront/products?locale=es&q=shampoo",
        None,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_cached_spanish_page_is_never_served_for_english() {
    let redis = TestRedis::start().await;
    let (app, manager) =
        spawn_translated_shop(&[("REDIS_URL", &redis.url), ("REDIS_TIMEOUT_MS", "500")]).await;
    for _ in 0..2 {
        for (al, name) in [
            ("es", "Champú Reparador de Seda"),
            ("en", "Silk Repair Shampoo"),
            ("ja", "Silk Repair Shampoo"),
        ] {
            let (_, lang, body) =
                storefront(&app, "fiber-x", "/v1/storefront/products/1", Some(al)).await;
            assert_eq!(
                (lang.as_deref(), body["name"].as_str()),
                (Some(al), Some(name))
            );
            let (_, _, page) =
                storefront(&app, "fiber-x", "/v1/storefront/products", Some(al)).await;
            assert_eq!(page["items"][0]["name"], name, "{al}");
        }
    }
    // A translation written later is served at once (the write bumps the brand's version).
    translate(
        &app,
        &manager,
        "fiber-x",
        1,
        "ja",
        json!({"name": "シルクリペア シャンプー"}),
    )
    .await;
    let (_, _, body) = storefront(&app, "fiber-x", "/v1/storefront/products/1", Some("ja")).await;
    assert_eq!(body["name"], "シルクリペア シャンプー");
    let (_, _, body) = storefront(&app, "fiber-x", "/v1/storefront/products/1", Some("es")).await;
    assert_eq!(body["name"], "Champú Reparador de Seda");
}

#[tokio::test]
async fn translations_are_validated_against_the_brands_locales() {
    let (app, manager) = spawn_translated_shop(&[]).await;
    let put = |path: String, body: Value| {
        app.authed(Method::PUT, &path, &manager, Some("fiber-x"))
            .json(&body)
            .send()
    };
    for (locale, why) in [
        ("fr", "brand's locales"),
        ("en", "default"),
        ("e", "BCP 47"),
    ] {
        let resp = put(
            format!("/v1/admin/products/1/translations/{locale}"),
            json!({"name": "x"}),
        )
        .await
        .unwrap();
        let problem = assert_problem(resp, 422).await;
        assert!(problem.to_string().contains(why), "{locale}: {problem}");
    }
    for body in [
        json!({"name": "a\u{0}b"}),
        json!({"name": "x".repeat(201)}),
        json!({"option_labels": {"Size": ""}}),
    ] {
        let resp = put("/v1/admin/products/1/translations/es".into(), body)
            .await
            .unwrap();
        assert_problem(resp, 422).await;
    }
    let resp = put(
        "/v1/admin/products/77/translations/es".into(),
        json!({"name": "x"}),
    )
    .await
    .unwrap();
    assert_problem(resp, 404).await;
    for body in [
        json!({"locales": ["en", "es"], "default_locale": "ja"}),
        json!({"locales": ["en", "EN"], "default_locale": "en"}),
        json!({"locales": [], "default_locale": "en"}),
        json!({"locales": ["en", "english!"], "default_locale": "en"}),
    ] {
        let resp = app
            .authed(Method::PUT, "/v1/admin/locales", &manager, Some("fiber-x"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(resp, 422).await;
    }
    // Nothing changed; tags come back canonical.
    set_locales(&app, &manager, "fiber-x", &["EN", "es", "pt-br"], "en").await;
    let resp = app
        .authed(Method::GET, "/v1/admin/locales", &manager, Some("fiber-x"))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"locales": ["en", "es", "pt-BR"], "default_locale": "en"})
    );
    let resp = app
        .authed(
            Method::GET,
            "/v1/admin/products/1/translations",
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    let list: Value = resp.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "Champú Reparador de Seda");
    assert_eq!(list[0]["description"], Value::Null);
}

/// The attack over HTTP and SQL: Suzume (same product numbers, same locales) never sees, finds
/// or changes a Fiber X translation. Checked to fail with the policy replaced by no row
/// security on app.product_translations (see the report).
#[tokio::test]
async fn a_fiber_x_translation_never_appears_in_suzume() {
    let (app, _) = spawn_translated_shop(&[]).await;
    app.create_product("suzume", "SKIN", "Rice Toner", "active", json!([]))
        .await;
    let suzume = app.manager("suzume").await;
    set_locales(&app, &suzume, "suzume", &["en", "es", "ja"], "en").await;

    // HTTP: Suzume's product 1 in Spanish is its own text; its search and admin list see
    // nothing of Fiber X's.
    let (_, lang, body) = storefront(&app, "suzume", "/v1/storefront/products/1", Some("es")).await;
    assert_eq!(lang.as_deref(), Some("es"));
    assert_eq!(body["name"], "Rice Toner");
    let (_, _, page) = storefront(
        &app,
        "suzume",
        "/v1/storefront/products?locale=es&q=champu",
        None,
    )
    .await;
    assert_eq!(page["items"], json!([]));
    let resp = app
        .authed(
            Method::GET,
            "/v1/admin/products/1/translations",
            &suzume,
            Some("suzume"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap(), json!([]));
    // Suzume's manager naming Fiber X: refused before any data is touched.
    let resp = app
        .authed(
            Method::PUT,
            "/v1/admin/products/1/translations/es",
            &suzume,
            Some("fiber-x"),
        )
        .json(&json!({"name": "pwned"}))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(resp.status().as_u16(), 403 | 404),
        "{}",
        resp.status()
    );

    // SQL, in Suzume's transaction: no Fiber X row is visible, none can be changed, and none
    // can be written under Fiber X's name.
    let fx = app.scope("fiber-x").await;
    let sz = app.scope("suzume").await;
    let fx_product: uuid::Uuid = app
        .db
        .admin()
        .await
        .query_one(
            "select product_id from app.product_translations where tenant_id = $1",
            &[&fx.tenant_id()],
        )
        .await
        .unwrap()
        .get(0);
    let (seen, changed) = app
        .state
        .db
        .tenant_tx(&sz, async |tx| {
            let seen: i64 = tx
                .query_one(
                    "select count(*) from app.product_translations where tenant_id = $1",
                    &[&fx.tenant_id()],
                )
                .await?
                .get(0);
            let changed = tx
                .execute("update app.product_translations set name = 'pwned'", &[])
                .await?
                + tx.execute("delete from app.category_translations", &[])
                    .await?;
            Ok::<_, brandhouse::db::DbError>((seen, changed))
        })
        .await
        .unwrap();
    assert_eq!((seen, changed), (0, 0));
    app.assert_refused_in(
        &sz,
        "insert into app.product_translations (tenant_id, product_id, locale, name) values ($1, $2, 'ja', 'x')",
        &[&fx.tenant_id(), &fx_product],
    )
    .await;
    app.assert_refused_in(
        &sz,
        "insert into app.brand_locales (tenant_id, locales, default_locale) values ($1, '{en}', 'en') \
         on conflict (tenant_id) do update set default_locale = 'en'",
        &[&fx.tenant_id()],
    )
    .await;
    let name: String = app
        .db
        .scalar("select name from app.product_translations where locale = 'es'")
        .await;
    assert_eq!(name, "Champú Reparador de Seda");
}

#[tokio::test]
async fn the_csv_import_writes_translated_columns_of_the_brands_locales() {
    let (app, manager) = spawn_translated_shop(&[("WORKER_ENABLED", "false")]).await;
    let csv = "handle,category,name,price,name@es,description@JA\n\
               argan-oil,HAIR,Argan Oil,12.00,Aceite de Argán,アルガンオイル 100%\n\
               plain,HAIR,Plain,5.00,,\n";
    let resp = app.upload_import(&manager, "fiber-x", csv, false).await;
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap());
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = app.wait_import(&manager, "fiber-x", &id).await;
    assert_eq!(done["state"], "done", "{done:#}");
    let rows = app
        .db
        .admin()
        .await
        .query(
            "select p.handle, t.locale, t.name, t.description from app.product_translations t \
             join app.products p on p.tenant_id = t.tenant_id and p.id = t.product_id \
             where p.handle in ('argan-oil', 'plain') order by t.locale",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, String, Option<String>, Option<String>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        got,
        [
            (
                "argan-oil".into(),
                "es".into(),
                Some("Aceite de Argán".into()),
                None
            ),
            (
                "argan-oil".into(),
                "ja".into(),
                None,
                Some("アルガンオイル 100%".into())
            ),
        ]
    );

    // A locale the brand does not sell in, its default, or no tag at all: 422-style report
    // naming line 1 and the column; nothing written.
    for (column, why) in [
        ("name@fr", "brand's locales"),
        ("name@en", "default"),
        ("name@e-!", "BCP 47"),
        ("title@es", "unknown column"),
    ] {
        let csv = format!(
            "handle,category,name,price,{column}\nx-{n},HAIR,X,1.00,Y\n",
            n = column.len()
        );
        let resp = app.upload_import(&manager, "fiber-x", &csv, false).await;
        assert_eq!(resp.status(), 202);
        let id = resp.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let done = app.wait_import(&manager, "fiber-x", &id).await;
        assert_eq!(done["state"], "failed", "{column}: {done:#}");
        let errors = &done["errors"];
        assert_eq!(errors[0]["line"], 1, "{column}: {errors}");
        assert_eq!(errors[0]["column"], column, "{column}: {errors}");
        assert!(errors.to_string().contains(why), "{column}: {errors}");
    }
    let count: i64 = app
        .db
        .scalar("select count(*) from app.product_translations")
        .await;
    assert_eq!(count, 3);
}

/// The names the assistant is given (the facts of chat/sql/product_facts.sql) are in the
/// customer's language where a translation of that language exists, else the product's own.
#[tokio::test]
async fn the_assistant_names_products_in_the_customers_language() {
    let (app, manager) = spawn_translated_shop(&[]).await;
    set_locales(&app, &manager, "fiber-x", &["en", "es-MX", "ja"], "en").await;
    translate(
        &app,
        &manager,
        "fiber-x",
        1,
        "es-MX",
        json!({"name": "Champú de Seda"}),
    )
    .await;
    let scope = app.scope("fiber-x").await;
    let product: uuid::Uuid = app.db.scalar("select id from app.products").await;
    for (lang, name) in [
        ("es", "Champú Reparador de Seda"),
        ("ja", "Silk Repair Shampoo"),
        ("en", "Silk Repair Shampoo"),
        ("de", "Silk Repair Shampoo"),
    ] {
        let got: String = app
            .state
            .db
            .tenant_tx(&scope, async |tx| {
                let row = tx
                    .query_one(
                        include_str!("../../src/chat/sql/product_facts.sql"),
                        &[&vec![product], &lang],
                    )
                    .await?;
                Ok::<_, brandhouse::db::DbError>(row.get::<_, String>("name"))
            })
            .await
            .unwrap();
        assert_eq!(got, name, "{lang}");
    }
}
