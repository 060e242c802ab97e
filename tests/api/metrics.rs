//! `GET /metrics`: refused without the token, counts requests under their route template and
//! resolved brand, keeps the brand label bounded, and carries nothing about a brand but its
//! slug. Also `brandhouse healthcheck`, the probe the container image runs.

use std::process::Command;

use crate::helpers::TestApp;

const TOKEN: &str = "metrics-token-for-tests-0123456789";

async fn scrape(app: &TestApp) -> String {
    let resp = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    resp.text().await.unwrap()
}

/// The value of the one sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_are_refused_without_the_token_and_off_without_one_configured() {
    let app = TestApp::spawn_with(&[("METRICS_TOKEN", TOKEN)]).await;
    let none = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(
        none.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let body = none.text().await.unwrap();
    assert!(!body.contains("brandhouse_http_requests"), "{body}");
    for wrong in [
        "Bearer metrics-token-for-tests-012345678",
        "Bearer ",
        TOKEN,
        &format!("Basic {TOKEN}"),
    ] {
        let resp = app
            .client
            .get(app.url("/metrics"))
            .header("authorization", wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{wrong}");
    }
    assert!(
        scrape(&app)
            .await
            .contains("brandhouse_http_requests_total")
    );

    let off = TestApp::spawn().await;
    let resp = off
        .client
        .get(off.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn a_request_is_counted_under_its_route_template_status_and_brand() {
    let app = TestApp::spawn_with(&[("METRICS_TOKEN", TOKEN)]).await;
    app.create_brand("fiber-x", "FBX").await;
    app.add_categories("fiber-x", &[("TOPS", "Tops")]).await;
    let number = app
        .create_product(
            "fiber-x",
            "TOPS",
            "Linen shirt",
            "active",
            serde_json::json!([]),
        )
        .await;

    let route = r#"route="/v1/storefront/products/{number}",method="GET""#;
    let ok = format!(r#"brandhouse_http_requests_total{{{route},status="200"}}"#);
    let missing = format!(r#"brandhouse_http_requests_total{{{route},status="404"}}"#);
    let before = scrape(&app).await;
    assert_eq!(sample(&before, &ok), None);

    let path = format!("/v1/storefront/products/{number}");
    assert_eq!(app.storefront_get("fiber-x", &path).await.status(), 200);
    assert_eq!(
        app.storefront_get("fiber-x", "/v1/storefront/products/999999")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.storefront_get("fiber-x", "/v1/storefront/products/999998")
            .await
            .status(),
        404
    );

    let after = scrape(&app).await;
    assert_eq!(sample(&after, &ok), Some(1.0), "{after}");
    assert_eq!(sample(&after, &missing), Some(2.0));
    // The latency histogram, under the same labels; the raw paths are no label.
    let count =
        format!(r#"brandhouse_http_request_duration_seconds_count{{{route},status="200"}}"#);
    assert_eq!(sample(&after, &count), Some(1.0));
    // The raw path is no label. (Not "999999" alone: a float sample such as a duration sum
    // may contain those digits; a run failed on that.)
    assert!(!after.contains("products/999999"), "{after}");
    assert!(!after.contains(&format!("products/{number}\"")));
    assert_eq!(
        sample(
            &after,
            r#"brandhouse_brand_requests_total{brand="fiber-x"}"#
        ),
        Some(3.0)
    );
    // Read at scrape time: the pool, and the queue (creating the product queued its indexing;
    // the tests' worker is off).
    assert_eq!(
        sample(&after, r#"brandhouse_db_pool_connections{state="max"}"#),
        Some(8.0)
    );
    assert!(sample(&after, r#"brandhouse_db_pool_connections{state="in_use"}"#).is_some());
    assert!(sample(&after, r#"brandhouse_db_pool_connections{state="waiting"}"#).is_some());
    assert_eq!(
        sample(
            &after,
            r#"brandhouse_jobs{kind="reindex_product",status="queued"}"#
        ),
        Some(1.0),
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            r#"brandhouse_jobs{kind="import_products",status="queued"}"#
        ),
        Some(0.0)
    );
    assert!(
        sample(
            &after,
            r#"brandhouse_jobs_oldest_due_age_seconds{kind="reindex_product"}"#
        )
        .is_some_and(|age| age >= 0.0)
    );
    for family in [
        "brandhouse_outbound_calls",
        "brandhouse_cache_lookups",
        "brandhouse_metrics_scrape_errors",
    ] {
        assert!(
            after.contains(&format!("# TYPE {family} counter")),
            "{family}"
        );
    }
    // Outbound and cache series exist before the first call, so rates are defined.
    for series in [
        r#"brandhouse_outbound_calls_total{service="graph",outcome="ok"}"#,
        r#"brandhouse_outbound_calls_total{service="llm",outcome="transient"}"#,
        r#"brandhouse_outbound_calls_total{service="embeddings",outcome="permanent"}"#,
        r#"brandhouse_cache_lookups_total{result="hit"}"#,
    ] {
        assert!(sample(&after, series).is_some(), "{series}: {after}");
    }
}

#[tokio::test]
async fn brand_labels_stay_bounded_and_carry_only_the_slug() {
    let app = TestApp::spawn_with(&[("METRICS_TOKEN", TOKEN), ("METRICS_MAX_BRANDS", "2")]).await;
    let slugs = ["alpha", "bravo", "charlie", "delta", "echo"];
    let mut ids = Vec::new();
    for (slug, prefix) in slugs.iter().zip(["ALP", "BRV", "CHR", "DLT", "ECH"]) {
        ids.push(app.create_brand(slug, prefix).await.id);
        for _ in 0..2 {
            app.storefront_get(slug, "/v1/storefront/theme").await;
        }
    }
    // Unknown brands, and names a client makes up, never become labels.
    for i in 0..50 {
        let resp = app
            .storefront_get(&format!("made-up-{i}"), "/v1/storefront/theme")
            .await;
        assert_eq!(resp.status(), 404);
    }
    // Nor do paths outside the spec, nor invented methods.
    for i in 0..20 {
        app.client
            .get(app.url(&format!("/no/such/path/{i}")))
            .send()
            .await
            .unwrap();
    }

    let text = scrape(&app).await;
    let brand_series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("brandhouse_brand_requests_total{"))
        .collect();
    assert_eq!(brand_series.len(), 3, "{brand_series:?}");
    assert_eq!(
        sample(&text, r#"brandhouse_brand_requests_total{brand="alpha"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&text, r#"brandhouse_brand_requests_total{brand="bravo"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&text, r#"brandhouse_brand_requests_total{brand="other"}"#),
        Some(6.0)
    );
    assert!(!text.contains("made-up"));
    assert!(!text.contains("/no/such/path"));
    assert!(
        sample(
            &text,
            r#"brandhouse_http_requests_total{route="other",method="GET",status="404"}"#
        )
        .is_some_and(|n| n >= 20.0)
    );
    // Only the slug: no brand id, name or domain anywhere.
    for (slug, id) in slugs.iter().zip(&ids) {
        assert!(!text.contains(&id.to_string()), "{slug}'s id leaked");
        assert!(
            !text.contains(&format!("Brand {slug}")),
            "{slug}'s name leaked"
        );
        assert!(
            !text.contains(&format!("{slug}.test")),
            "{slug}'s domain leaked"
        );
    }
    // Every label value is bounded: fewer series than routes x methods x statuses would allow
    // is the point; here, a handful.
    let series = text
        .lines()
        .filter(|l| l.starts_with("brandhouse_http_requests_total{"))
        .count();
    assert!(series <= 6, "{series} series: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_healthcheck_command_passes_on_a_ready_server_and_fails_on_a_dead_one() {
    let app = TestApp::spawn().await;
    let url = app.url("/readyz");
    let ok = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_brandhouse"))
            .args(["healthcheck", "--url", &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = Command::new(env!("CARGO_BIN_EXE_brandhouse"))
        .arg("healthcheck")
        .env("BIND_ADDR", format!("0.0.0.0:{closed}"))
        .output()
        .unwrap();
    assert!(!dead.status.success());
    assert!(
        String::from_utf8_lossy(&dead.stderr).contains(&format!("127.0.0.1:{closed}/readyz")),
        "{}",
        String::from_utf8_lossy(&dead.stderr)
    );
}
