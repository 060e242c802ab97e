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
    let rows: i64 = admin
        .query_one("select count(*) from app.categories", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
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
