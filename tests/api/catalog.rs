//! The catalog: variants and SKUs, staff endpoints, storefront reads, the brand-keyed cache.

use std::time::Duration;

use brandhouse::identity::Role;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, TestRedis, TestRedisCluster, assert_problem, eventually};

async fn storefront_json(app: &TestApp, slug: &str, path: &str) -> serde_json::Value {
    let resp = app.storefront_get(slug, path).await;
    assert_eq!(resp.status(), 200, "{slug} {path}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn creating_a_product_generates_its_variants_and_skus_which_never_change() {
    let app = TestApp::spawn().await;
    let (fx, _) = app.two_brands_and_managers().await;
    let resp = app
        .authed(Method::POST, "/v1/admin/products", &fx, Some("fiber-x"))
        .json(&json!({
            "category_code": "HAIR", "name": "Silk Repair Shampoo", "base_price_minor": 1890,
            "status": "active",
            "axes": [
                {"name": "Colour", "values": [{"value": "Black"}, {"value": "Blue"}, {"value": "Blackberry"}]},
                {"name": "Size", "values": [{"value": "250 ml"}, {"value": "500 ml", "code": "HALFL"}]}
            ]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let product: serde_json::Value = resp.json().await.unwrap();
    let number = product["number"].as_i64().unwrap();
    assert_eq!(number, 1);
    let skus: Vec<&str> = product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["sku"].as_str().unwrap())
        .collect();
    assert_eq!(
        skus,
        [
            "FBX-HAIR-0001-BLACK-250ML",
            "FBX-HAIR-0001-BLACK-HALFL",
            "FBX-HAIR-0001-BLUE-250ML",
            "FBX-HAIR-0001-BLUE-HALFL",
            "FBX-HAIR-0001-BLCK-250ML",
            "FBX-HAIR-0001-BLCK-HALFL",
        ]
    );

    // Rename, recategorise, drop Blue, add a size: kept SKUs stay, Blue is deactivated.
    let resp = app
        .authed(Method::PATCH, "/v1/admin/products/1", &fx, Some("fiber-x"))
        .json(&json!({
            "name": "Silk Repair Shampoo XL", "category_code": "STYL",
            "axes": [
                {"name": "Colour", "values": [{"value": "Black"}, {"value": "Blackberry"}]},
                {"name": "Size", "values": [{"value": "250 ml"}, {"value": "500 ml", "code": "HALFL"}, {"value": "1 l"}]}
            ]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let product: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(product["sku_stem"], "FBX-HAIR-0001");
    let variants = product["variants"].as_array().unwrap();
    let active: Vec<&str> = variants
        .iter()
        .filter(|v| v["is_active"] == true)
        .map(|v| v["sku"].as_str().unwrap())
        .collect();
    let inactive: Vec<&str> = variants
        .iter()
        .filter(|v| v["is_active"] == false)
        .map(|v| v["sku"].as_str().unwrap())
        .collect();
    assert_eq!(
        active,
        [
            "FBX-HAIR-0001-BLACK-250ML",
            "FBX-HAIR-0001-BLACK-HALFL",
            "FBX-HAIR-0001-BLACK-1L",
            "FBX-HAIR-0001-BLCK-250ML",
            "FBX-HAIR-0001-BLCK-HALFL",
            "FBX-HAIR-0001-BLCK-1L",
        ]
    );
    assert_eq!(
        inactive,
        ["FBX-HAIR-0001-BLUE-250ML", "FBX-HAIR-0001-BLUE-HALFL"]
    );

    // The database itself refuses to change an issued SKU, even to the API role.
    let admin_err = app
        .db
        .admin()
        .await
        .execute(
            "update app.variants set sku = 'FBX-HAIR-0001-X' where sku = 'FBX-HAIR-0001-BLCK-1L'",
            &[],
        )
        .await
        .unwrap_err();
    let message = admin_err.as_db_error().unwrap().message().to_owned();
    assert!(message.contains("never changes"), "{message}");

    // A product without axes has one default variant.
    let resp = app
        .authed(Method::POST, "/v1/admin/products", &fx, Some("fiber-x"))
        .json(&json!({"category_code": "STYL", "name": "Matte Clay", "base_price_minor": 1200}))
        .send()
        .await
        .unwrap();
    let product: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(product["variants"][0]["sku"], "FBX-STYL-0002");
    assert_eq!(product["status"], "draft");
}

#[tokio::test]
async fn invalid_products_are_422s_naming_the_field_and_duplicate_category_codes_409() {
    let app = TestApp::spawn().await;
    let (fx, _) = app.two_brands_and_managers().await;
    let resp = app
        .authed(Method::POST, "/v1/admin/products", &fx, Some("fiber-x"))
        .json(&json!({
            "category_code": "NOPE", "name": "", "base_price_minor": -5, "status": "live",
            "axes": [{"name": "Colour", "values": [{"value": "Red", "code": "r-d"}, {"value": "red"}]}]
        }))
        .send()
        .await
        .unwrap();
    let body = assert_problem(resp, 422).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "status",
            "base_price_minor",
            "axes[0].values[0].code",
            "axes[0].values[1].value"
        ]
    );
    // An unknown category of a valid shape is named too.
    let resp = app
        .authed(Method::POST, "/v1/admin/products", &fx, Some("fiber-x"))
        .json(&json!({"category_code": "SKIN", "name": "X", "base_price_minor": 5}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(resp, 422).await;
    assert_eq!(body["errors"][0]["field"], "category_code");

    let resp = app
        .authed(Method::POST, "/v1/admin/categories", &fx, Some("fiber-x"))
        .json(&json!({"code": "HAIR", "name": "Again"}))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 409).await;
    // The same code in another brand is fine.
    let sz = app
        .staff("suzume", Role::BrandManager, "bm2@suzume.test")
        .await;
    let resp = app
        .authed(Method::POST, "/v1/admin/categories", &sz, Some("suzume"))
        .json(&json!({"code": "STYL", "name": "Styling"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    // Nothing was created by the rejected requests.
    let n: i64 = app.scalar("select count(*) from app.products").await;
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_brand_manager_cannot_create_a_product_in_another_brand() {
    let app = TestApp::spawn().await;
    let (fx, _) = app.two_brands_and_managers().await;
    let suzume = app.scope("suzume").await.tenant_id();
    // The API has no tenant field: one sent anyway changes nothing.
    let spec: serde_json::Value =
        serde_json::from_str(&brandhouse::startup::spec_json().unwrap()).unwrap();
    assert!(
        spec["components"]["schemas"]["CreateProductRequest"]["properties"]
            .get("tenant_id")
            .is_none()
    );
    let resp = app
        .authed(Method::POST, "/v1/admin/products", &fx, Some("fiber-x"))
        .json(&json!({"tenant_id": suzume, "category_code": "HAIR", "name": "Sneaky", "base_price_minor": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let admin = app.db.admin().await;
    let owner: String = app
        .scalar(
            "select t.slug from app.products p join app.tenants t on t.id = p.tenant_id \
             where p.name = 'Sneaky'",
        )
        .await;
    assert_eq!(owner, "fiber-x");

    // A raw insert naming Suzume, inside Fiber X's transaction, is refused by the database.
    let fiber_x = app.scope("fiber-x").await.tenant_id();
    let mut api = app.db.api().await;
    let tx = api.transaction().await.unwrap();
    tx.execute(
        "select set_config('app.tenant_id', $1, true)",
        &[&fiber_x.to_string()],
    )
    .await
    .unwrap();
    let err = tx
        .execute(
            "insert into app.products (tenant_id, number, handle, category_id, sku_stem, name, base_price_minor) \
             select $1, 99, 'x', id, 'SZM-HAIR-0099', 'x', 1 from app.categories limit 1",
            &[&suzume],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{err}"
    );
    drop(tx);
    // And a variant can never carry another brand's prefix, even as one row among many of a
    // bulk insert: its SKU's prefix is a foreign key to its own brand's prefix.
    let err = admin
        .execute(
            "insert into app.variants (tenant_id, product_id, sku, option_key) \
             select tenant_id, id, sku, key from app.products, \
               (values ('FBX-HAIR-0001-A', 'a'), ('SZM-HAIR-0001', 'z'), ('FBX-HAIR-0001-B', 'b')) \
               as v(sku, key) \
             where name = 'Sneaky'",
            &[],
        )
        .await
        .unwrap_err();
    let db_error = err.as_db_error().unwrap();
    assert_eq!(
        (db_error.code(), db_error.constraint()),
        (
            &tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION,
            Some("variants_sku_prefix")
        ),
        "{err}"
    );
    assert!(db_error.detail().unwrap_or("").contains("SZM"), "{err}");
}

#[tokio::test]
async fn sku_lookup_finds_the_brands_own_skus_only() {
    let app = TestApp::spawn().await;
    let (fx, sz) = app.two_brands_and_managers().await;
    app.create_product(
        "fiber-x",
        "HAIR",
        "Argan Oil",
        "active",
        json!([{"name": "Size", "values": [{"value": "50 ml"}]}]),
    )
    .await;
    app.create_product("suzume", "SKIN", "Rice Toner", "active", json!([]))
        .await;
    let resp = app
        .authed(
            Method::GET,
            "/v1/admin/skus/FBX-HAIR-0001-50ML",
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["product_name"], "Argan Oil");
    assert_eq!(body["options"], json!([{"axis": "Size", "value": "50 ml"}]));
    // Suzume's SKU from Fiber X: 404, and Fiber X's from Suzume: 404.
    let resp = app
        .authed(
            Method::GET,
            "/v1/admin/skus/SZM-SKIN-0001",
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 404).await;
    let resp = app
        .authed(
            Method::GET,
            "/v1/admin/skus/FBX-HAIR-0001-50ML",
            &sz,
            Some("suzume"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 404).await;
    // Patching another brand's variant is 404 and changes nothing.
    let resp = app
        .authed(
            Method::PATCH,
            "/v1/admin/variants/FBX-HAIR-0001-50ML",
            &sz,
            Some("suzume"),
        )
        .json(&json!({"price_override_minor": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 404).await;
    // The owner of the SKU can set and clear an override.
    let resp = app
        .authed(
            Method::PATCH,
            "/v1/admin/variants/FBX-HAIR-0001-50ML",
            &fx,
            Some("fiber-x"),
        )
        .json(&json!({"price_override_minor": 999, "reorder_threshold": 5}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        (
            body["price_minor"].as_i64(),
            body["reorder_threshold"].as_i64()
        ),
        (Some(999), Some(5))
    );
    let resp = app
        .authed(
            Method::PATCH,
            "/v1/admin/variants/FBX-HAIR-0001-50ML",
            &fx,
            Some("fiber-x"),
        )
        .json(&json!({"price_override_minor": null}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        (
            body["price_minor"].as_i64(),
            body["reorder_threshold"].as_i64()
        ),
        (Some(1500), Some(5))
    );
}

#[tokio::test]
async fn the_storefront_shows_only_active_products_and_variants_with_search_and_filters() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    app.create_product(
        "fiber-x",
        "HAIR",
        "Argan Oil Shampoo",
        "active",
        json!([{"name": "Size", "values": [{"value": "250 ml"}, {"value": "1 l"}]}]),
    )
    .await;
    app.create_product("fiber-x", "HAIR", "Keratin Mask", "draft", json!([]))
        .await;
    app.create_product("fiber-x", "STYL", "Strong Gel", "active", json!([]))
        .await;
    app.create_product("fiber-x", "HAIR", "Old Conditioner", "archived", json!([]))
        .await;
    // Deactivate one variant of the shampoo.
    app.db
        .admin()
        .await
        .execute(
            "update app.variants set is_active = false where sku = 'FBX-HAIR-0001-1L'",
            &[],
        )
        .await
        .unwrap();

    let page = storefront_json(&app, "fiber-x", "/v1/storefront/products").await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Argan Oil Shampoo", "Strong Gel"]);
    assert_eq!(page["items"][0]["variants"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["currency"], "EUR");
    assert!(page["next_cursor"].is_null());

    let page = storefront_json(&app, "fiber-x", "/v1/storefront/products?category=STYL").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    for (q, expected) in [
        ("argan", "Argan Oil Shampoo"),
        ("shamp", "Argan Oil Shampoo"),
        ("made for tests gel", "Strong Gel"),
    ] {
        let page = storefront_json(
            &app,
            "fiber-x",
            &format!("/v1/storefront/products?q={}", q.replace(' ', "%20")),
        )
        .await;
        let names: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.first(), Some(&expected), "q={q}: {names:?}");
    }
    let page = storefront_json(&app, "fiber-x", "/v1/storefront/products?q=keratin").await;
    assert_eq!(page["items"], json!([]), "drafts are not found");

    assert_problem(
        app.storefront_get("fiber-x", "/v1/storefront/products/2")
            .await,
        404,
    )
    .await;
    let detail = storefront_json(&app, "fiber-x", "/v1/storefront/products/1").await;
    serde_json::from_value::<brandhouse::catalog::api::StorefrontProduct>(detail.clone())
        .expect("matches the schema");
    let searched = storefront_json(&app, "fiber-x", "/v1/storefront/products?q=gel").await;
    serde_json::from_value::<brandhouse::catalog::api::ProductPage>(searched)
        .expect("matches the schema");
    assert_eq!(detail["variants"][0]["sku"], "FBX-HAIR-0001-250ML");
    // Suzume has no product 1.
    assert_problem(
        app.storefront_get("suzume", "/v1/storefront/products/1")
            .await,
        404,
    )
    .await;

    // Bad parameters are 400 problems.
    for bad in ["limit=0", "limit=101", "cursor=%21%21"] {
        assert_problem(
            app.storefront_get("fiber-x", &format!("/v1/storefront/products?{bad}"))
                .await,
            400,
        )
        .await;
    }
}

#[tokio::test]
async fn cursor_pagination_returns_every_active_product_exactly_once_while_products_are_added() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    for i in 0..25 {
        let status = if i % 5 == 0 { "draft" } else { "active" };
        app.create_product(
            "fiber-x",
            "HAIR",
            &format!("Product {i}"),
            status,
            json!([]),
        )
        .await;
    }
    let initially_active: Vec<i64> = (1..=25).filter(|n| (n - 1) % 5 != 0).collect();
    let mut seen: Vec<i64> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut added = 0;
    loop {
        let path = match &cursor {
            None => "/v1/storefront/products?limit=6".to_owned(),
            Some(c) => format!("/v1/storefront/products?limit=6&cursor={c}"),
        };
        let page = storefront_json(&app, "fiber-x", &path).await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["number"].as_i64().unwrap()),
        );
        // Meanwhile, new products arrive (and one old product is added to the catalog).
        if added < 3 {
            app.create_product(
                "fiber-x",
                "STYL",
                &format!("Late {added}"),
                "active",
                json!([]),
            )
            .await;
            added += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        seen.len(),
        "a product was returned twice: {seen:?}"
    );
    for n in &initially_active {
        assert!(seen.contains(n), "product {n} was skipped: {seen:?}");
    }
    assert_eq!(seen.len(), initially_active.len() + 3, "{seen:?}");
    // Searches page too.
    let first = storefront_json(&app, "fiber-x", "/v1/storefront/products?q=product&limit=4").await;
    let next = first["next_cursor"].as_str().unwrap();
    let second = storefront_json(
        &app,
        "fiber-x",
        &format!("/v1/storefront/products?q=product&limit=4&cursor={next}"),
    )
    .await;
    let a: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_i64().unwrap())
        .collect();
    let b: Vec<i64> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_i64().unwrap())
        .collect();
    assert!(a.iter().all(|n| !b.contains(n)), "{a:?} {b:?}");
}

/// Product 42's name per brand, from the detail and from the list.
async fn names(app: &TestApp) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for slug in ["fiber-x", "suzume"] {
        let p = storefront_json(app, slug, "/v1/storefront/products/42").await;
        let l = storefront_json(app, slug, "/v1/storefront/products").await;
        out.push((
            p["name"].as_str().unwrap().to_owned(),
            l["items"][0]["name"].as_str().unwrap().to_owned(),
        ));
    }
    out
}

#[tokio::test]
async fn product_42_of_each_brand_is_served_warm_from_the_cache_and_redis_trouble_keeps_answers_correct()
 {
    let mut redis = TestRedis::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &redis.url), ("REDIS_TIMEOUT_MS", "200")]).await;
    app.two_brands().await;
    // Both brands issue product number 42.
    let admin = app.db.admin().await;
    admin
        .batch_execute("insert into app.product_counters (tenant_id, last_number) select id, 41 from app.tenants")
        .await
        .unwrap();
    assert_eq!(
        app.create_product("fiber-x", "HAIR", "Fiber Forty-Two", "active", json!([]))
            .await,
        42
    );
    assert_eq!(
        app.create_product("suzume", "SKIN", "Suzume Forty-Two", "active", json!([]))
            .await,
        42
    );
    eventually(
        "the cache to connect to Redis",
        Duration::from_secs(5),
        || async { app.state.cache.is_connected().then_some(()) },
    )
    .await;

    let fresh = [
        ("Fiber Forty-Two".to_owned(), "Fiber Forty-Two".to_owned()),
        ("Suzume Forty-Two".to_owned(), "Suzume Forty-Two".to_owned()),
    ];
    assert_eq!(names(&app).await, fresh);
    // The cache writes happen in the background: wait until each brand's entries are there,
    // each under its own brand's key.
    let prefixes = [
        format!("bh:{{{}}}:cat:", app.scope("fiber-x").await.tenant_id()),
        format!("bh:{{{}}}:cat:", app.scope("suzume").await.tenant_id()),
    ];
    eventually(
        "both brands' cache entries",
        Duration::from_secs(5),
        || async {
            let keys = redis.cli(&["--scan", "--pattern", "bh:*"]);
            prefixes
                .iter()
                // The detail, the list and the brand's locales (what requests negotiate among).
                .all(|p| keys.lines().filter(|k| k.starts_with(p.as_str())).count() == 3)
                .then_some(())
        },
    )
    .await;

    // Change the rows behind the cache's back: warm answers still show the cached names, which
    // proves they come from the cache, and each brand still gets only its own.
    admin
        .batch_execute("update app.products set name = name || ' (changed)'")
        .await
        .unwrap();
    assert_eq!(names(&app).await, fresh);

    // A write through the API invalidates that brand only.
    let fx = app
        .staff("fiber-x", Role::BrandManager, "bm2@fiber-x.test")
        .await;
    app.authed(Method::PATCH, "/v1/admin/products/42", &fx, Some("fiber-x"))
        .json(&json!({"description": "new"}))
        .send()
        .await
        .unwrap();
    let after = names(&app).await;
    assert_eq!(after[0].0, "Fiber Forty-Two (changed)");
    assert_eq!(after[1].0, "Suzume Forty-Two");

    // Flushing Redis: answers come from the database.
    redis.cli(&["FLUSHALL"]);
    let flushed = names(&app).await;
    assert_eq!(flushed[1].0, "Suzume Forty-Two (changed)");

    // Killing Redis: still correct answers, no errors.
    redis.kill();
    admin
        .batch_execute("update app.products set name = 'After Redis'")
        .await
        .unwrap();
    for _ in 0..3 {
        let after = names(&app).await;
        assert!(
            after
                .iter()
                .all(|(p, l)| p == "After Redis" && l == "After Redis"),
            "{after:?}"
        );
    }
}

#[tokio::test]
async fn without_redis_configured_the_storefront_answers_from_the_database() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    app.create_product("fiber-x", "HAIR", "No Cache Needed", "active", json!([]))
        .await;
    assert!(!app.state.cache.is_connected());
    let page = storefront_json(&app, "fiber-x", "/v1/storefront/products").await;
    assert_eq!(page["items"][0]["name"], "No Cache Needed");
    let page = storefront_json(&app, "suzume", "/v1/storefront/products").await;
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn corrupt_axes_json_is_a_server_error_not_an_empty_list() {
    let app = TestApp::spawn().await;
    let (fx, _) = app.two_brands_and_managers().await;
    let number = app
        .create_product("fiber-x", "HAIR", "Argan Oil", "active", json!([]))
        .await;
    let ok = app
        .authed(
            Method::GET,
            &format!("/v1/admin/products/{number}"),
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // Still a JSON array (the table's check), but not axes.
    app.db
        .admin()
        .await
        .execute("update app.products set axes = '[\"not an axis\"]'", &[])
        .await
        .unwrap();
    let resp = app
        .authed(
            Method::GET,
            &format!("/v1/admin/products/{number}"),
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    let body = assert_problem(resp, 500).await;
    assert!(body["request_id"].is_string(), "{body}");
}

/// A cached entry is built once however many requests want it: the misses of one key share one
/// build (after a catalog write every key of the brand misses at once), and an entry about to
/// expire is rebuilt by one request while the others get it as it is, so a busy page never
/// expires under load and connections never all rebuild it together (the cache cliff).
#[tokio::test]
async fn concurrent_misses_share_one_build_and_one_request_refreshes_an_ageing_entry() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use brandhouse::cache::{Cache, CatalogEntry};

    let redis = TestRedis::start().await;
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let scope = app.scope("fiber-x").await;
    // A 3 s lifetime: refreshed by one request once older than 2 s.
    let cache = Cache::connect(
        &redis.url,
        Duration::from_secs(3),
        Duration::from_millis(500),
    )
    .unwrap();
    eventually("the cache to connect", Duration::from_secs(5), || async {
        cache.is_connected().then_some(())
    })
    .await;
    let entry = CatalogEntry::Product {
        number: 7,
        zone: None,
        locale: "en",
    };
    let builds = AtomicUsize::new(0);
    let fetch = |body: &'static str| {
        let (cache, scope, entry, builds) = (&cache, &scope, &entry, &builds);
        async move {
            cache
                .catalog_fetch(scope, entry, || async {
                    builds.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    Ok::<_, std::convert::Infallible>(body.to_owned())
                })
                .await
                .unwrap()
        }
    };

    // 32 requests miss together: one build, every one gets its result.
    let first = futures::future::join_all((0..32).map(|_| fetch(r#"{"v":1}"#))).await;
    assert_eq!(builds.load(Ordering::SeqCst), 1, "one build for 32 misses");
    assert!(first.iter().all(|b| b == r#"{"v":1}"#));
    // Served from Redis now.
    assert_eq!(fetch(r#"{"v":9}"#).await, r#"{"v":1}"#);
    assert_eq!(builds.load(Ordering::SeqCst), 1);

    // Past two thirds of its life: one of 16 requests rebuilds it, the others get it as it was.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let ageing = futures::future::join_all((0..16).map(|_| fetch(r#"{"v":2}"#))).await;
    assert_eq!(
        builds.load(Ordering::SeqCst),
        2,
        "one refresh for 16 requests"
    );
    assert_eq!(ageing.iter().filter(|b| *b == r#"{"v":2}"#).count(), 1);
    assert_eq!(ageing.iter().filter(|b| *b == r#"{"v":1}"#).count(), 15);
    // The refreshed entry is what everyone gets next, with a full lifetime ahead: it outlives
    // the first one's expiry.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(fetch(r#"{"v":3}"#).await, r#"{"v":2}"#);
    assert_eq!(builds.load(Ordering::SeqCst), 2);

    // Another brand's same entry is its own: built for it, not served from Fiber X's.
    let suzume = app.scope("suzume").await;
    let other = cache
        .catalog_fetch(&suzume, &entry, || async {
            Ok::<_, std::convert::Infallible>(r#"{"v":"suzume"}"#.to_owned())
        })
        .await
        .unwrap();
    assert_eq!(other, r#"{"v":"suzume"}"#);
}

/// The cache on a three-node Redis Cluster: warm answers come from it, a write invalidates one
/// brand only, every key of a brand sits on that brand's hash slot, and a page built before a
/// catalog write is not stored after it (the store script checks the version it was built
/// under; on a single Redis the same script runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_each_brand_keeps_its_keys_on_its_slot_and_answers_stay_correct() {
    use brandhouse::cache::CatalogEntry;

    let cluster = TestRedisCluster::start().await;
    let app =
        TestApp::spawn_with(&[("REDIS_URL", &cluster.url), ("REDIS_TIMEOUT_MS", "500")]).await;
    app.two_brands().await;
    let admin = app.db.admin().await;
    admin
        .batch_execute("insert into app.product_counters (tenant_id, last_number) select id, 41 from app.tenants")
        .await
        .unwrap();
    app.create_product("fiber-x", "HAIR", "Fiber Forty-Two", "active", json!([]))
        .await;
    app.create_product("suzume", "SKIN", "Suzume Forty-Two", "active", json!([]))
        .await;
    eventually(
        "the cache to connect to the cluster",
        Duration::from_secs(5),
        || async { app.state.cache.is_connected().then_some(()) },
    )
    .await;
    let fresh = [
        ("Fiber Forty-Two".to_owned(), "Fiber Forty-Two".to_owned()),
        ("Suzume Forty-Two".to_owned(), "Suzume Forty-Two".to_owned()),
    ];
    assert_eq!(names(&app).await, fresh);
    let tenants = [
        app.scope("fiber-x").await.tenant_id(),
        app.scope("suzume").await.tenant_id(),
    ];
    eventually(
        "both brands' entries on the cluster",
        Duration::from_secs(5),
        || async {
            let keys = cluster.keys("bh:*");
            tenants
                .iter()
                .all(|t| {
                    let prefix = format!("bh:{{{t}}}:cat:");
                    // The detail, the list and the brand's locales.
                    keys.iter().filter(|k| k.starts_with(&prefix)).count() == 3
                })
                .then_some(())
        },
    )
    .await;
    // One slot per brand: every key of a brand hashes to the slot of its version key.
    for t in tenants {
        let slot = cluster.slot(&format!("bh:{{{t}}}:catver"));
        for key in cluster.keys(&format!("bh:{{{t}}}:*")) {
            assert_eq!(cluster.slot(&key), slot, "{key}");
        }
    }

    // Warm answers come from the cluster; a write through the API invalidates one brand.
    admin
        .batch_execute("update app.products set name = name || ' (changed)'")
        .await
        .unwrap();
    assert_eq!(names(&app).await, fresh);
    let fx = app
        .staff("fiber-x", Role::BrandManager, "bm2@fiber-x.test")
        .await;
    let resp = app
        .authed(Method::PATCH, "/v1/admin/products/42", &fx, Some("fiber-x"))
        .json(&json!({"description": "new"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let after = names(&app).await;
    assert_eq!(after[0].0, "Fiber Forty-Two (changed)");
    assert_eq!(after[1].0, "Suzume Forty-Two");

    // A page built while the catalog changed is not stored: the next read builds again.
    let cache = &app.state.cache;
    let scope = app.scope("suzume").await;
    let entry = CatalogEntry::Product {
        number: 7,
        zone: None,
        locale: "en",
    };
    let built = cache
        .catalog_fetch(&scope, &entry, || async {
            cache.invalidate_catalog(&scope).await;
            Ok::<_, std::convert::Infallible>(r#"{"v":"before the write"}"#.to_owned())
        })
        .await
        .unwrap();
    assert_eq!(built, r#"{"v":"before the write"}"#);
    let again = cache
        .catalog_fetch(&scope, &entry, || async {
            Ok::<_, std::convert::Infallible>(r#"{"v":"after the write"}"#.to_owned())
        })
        .await
        .unwrap();
    assert_eq!(
        again, r#"{"v":"after the write"}"#,
        "the late page was stored"
    );
}
