//! Brand resolution and the first brand-scoped endpoints.

use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn the_theme_of_each_brand_comes_from_its_header_or_its_domain() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    app.create_brand("suzume", "SZM").await;

    let by_header: serde_json::Value = app
        .storefront_get("fiber-x", "/v1/storefront/theme")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_header["slug"], "fiber-x");
    assert_eq!(by_header["name"], "Brand fiber-x");
    assert!(by_header["theme"]["colors"]["primary"].is_string());

    let by_host = app
        .client
        .get(app.url("/v1/storefront/theme"))
        .header("Host", "SUZUME.test:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(by_host.status(), 200);
    let by_host: serde_json::Value = by_host.json().await.unwrap();
    assert_eq!(by_host["slug"], "suzume");

    // The header wins over the host.
    let both: serde_json::Value = app
        .client
        .get(app.url("/v1/storefront/theme"))
        .header("Host", "suzume.test")
        .header("X-Tenant-ID", "fiber-x")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(both["slug"], "fiber-x");
}

#[tokio::test]
async fn an_unknown_brand_is_a_404_problem() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    // The last one never reaches SQL: a slug of a shape no brand can have costs no query.
    // Hostile text that does reach SQL is tested below.
    for slug in [
        "nope",
        "Fiber-X",
        "../fiber-x",
        "x'; drop table app.tenants;--",
    ] {
        let resp = app.storefront_get(slug, "/v1/storefront/theme").await;
        let body = assert_problem(resp, 404).await;
        assert_eq!(body["detail"], "no such brand");
    }
}

/// The names of the products a storefront list answers with `params`, as brand `slug`.
async fn listed(app: &TestApp, slug: &str, params: &[(&str, &str)]) -> Vec<String> {
    let url = reqwest::Url::parse_with_params(&app.url("/v1/storefront/products"), params).unwrap();
    let resp = app
        .client
        .get(url)
        .header("X-Tenant-ID", slug)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{params:?}");
    let page: serde_json::Value = resp.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Quotes, comment markers and LIKE wildcards in the search text, the category and the zone
/// pass validation and reach the storefront's SQL statements (as bound parameters), and in the
/// Host header they reach the domain lookup. Each is matched as the characters it is: what an
/// injected predicate would return (every product, every brand) never comes back, and nothing
/// in the database changes.
#[tokio::test]
async fn hostile_search_category_and_host_text_reaches_sql_as_data_only() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let oil = "O'Reilly's 100% Argan Oil";
    for (slug, category, name) in [
        ("fiber-x", "HAIR", oil),
        ("fiber-x", "STYL", "Strong Gel"),
        ("suzume", "SKIN", "Rice Toner"),
    ] {
        app.create_product(slug, category, name, "active", serde_json::json!([]))
            .await;
    }
    let fingerprint = "select concat_ws(' ', (select count(*) from app.tenants), \
        (select count(*) from app.categories), (select count(*) from app.products), \
        (select count(*) from app.variants), to_regclass('app.products'))";
    let before: String = app.scalar(fingerprint).await;
    assert_eq!(before, "2 4 3 3 app.products");

    for (params, expected) in [
        // A quote is part of a word, not the end of a string.
        (vec![("q", "O'Reilly")], vec![oil]),
        (vec![("q", "x'; drop table app.products; --")], vec![]),
        (vec![("q", "' or '1'='1")], vec![]),
        // Web-search syntax reads `or` as its OR: "oil" finds the oil, and nothing else; an
        // injected `or 1=1` would have listed the gel too.
        (vec![("q", "oil' or 1=1 --")], vec![oil]),
        // LIKE wildcards mean the characters: only a name with a % in it has one.
        (vec![("q", "%")], vec![oil]),
        (vec![("q", "100%")], vec![oil]),
        (vec![("q", "_")], vec![]),
        (vec![("q", "\\")], vec![]),
        // A category is a code to compare, not a predicate.
        (vec![("category", "STYL")], vec!["Strong Gel"]),
        (vec![("category", "HAIR' or '1'='1")], vec![]),
        (vec![("category", "HAIR'--")], vec![]),
        (vec![("q", "oil"), ("category", "STYL' or 'x'='x")], vec![]),
    ] {
        assert_eq!(
            listed(&app, "fiber-x", &params).await,
            expected,
            "{params:?}"
        );
    }
    // Nor does Suzume's storefront reach Fiber X's products through any of it.
    for q in ["' or '1'='1", "%", "O'Reilly"] {
        assert!(listed(&app, "suzume", &[("q", q)]).await.is_empty(), "{q}");
    }
    // A zone is looked up by code: no such zone.
    let url = reqwest::Url::parse_with_params(
        &app.url("/v1/storefront/products"),
        &[("zone", "BER' or '1'='1")],
    )
    .unwrap();
    let resp = app
        .client
        .get(url)
        .header("X-Tenant-ID", "fiber-x")
        .send()
        .await
        .unwrap();
    let body = assert_problem(resp, 422).await;
    assert_eq!(body["errors"][0]["field"], "zone");
    // A Host header is looked up among the brands' domains: nobody's domain.
    let resp = app
        .client
        .get(app.url("/v1/storefront/categories"))
        .header("Host", "x'; drop table app.tenants; --")
        .send()
        .await
        .unwrap();
    assert_problem(resp, 400).await;

    assert_eq!(app.scalar::<String>(fingerprint).await, before);
}

#[tokio::test]
async fn a_request_naming_no_brand_is_a_400_problem() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    for host in [None, Some("unknown.example"), Some("127.0.0.1")] {
        let mut req = app.client.get(app.url("/v1/storefront/categories"));
        if let Some(host) = host {
            req = req.header("Host", host);
        }
        let body = assert_problem(req.send().await.unwrap(), 400).await;
        assert!(body["detail"].as_str().unwrap().contains("X-Tenant-ID"));
    }
}

#[tokio::test]
async fn a_deactivated_brand_answers_404_while_its_rows_stay() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    app.add_categories("fiber-x", &[("HAIR", "Hair")]).await;
    let admin = app.db.admin().await;
    admin
        .execute(
            "update app.tenants set is_active = false where slug = 'fiber-x'",
            &[],
        )
        .await
        .unwrap();
    app.state.tenants.invalidate_all();

    for path in ["/v1/storefront/theme", "/v1/storefront/categories"] {
        assert_problem(app.storefront_get("fiber-x", path).await, 404).await;
    }
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.categories")
            .await,
        1
    );
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let health: serde_json::Value = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let spec: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["info"]["title"], "brandhouse");
}
