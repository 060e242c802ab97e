//! Every error is an RFC 9457 problem with a request id; 5xx bodies say nothing internal.

use std::time::Duration;

use brandhouse::identity::Role;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, eventually};

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    assert_problem(app.client.get(app.url("/nope")).send().await.unwrap(), 404).await;
    assert_problem(
        app.client.delete(app.url("/healthz")).send().await.unwrap(),
        405,
    )
    .await;
}

#[tokio::test]
async fn the_request_id_is_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "trace-me-123");
    // Unsafe ids are replaced, not echoed.
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id\twith spaces")
        .send()
        .await
        .unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem() {
    let app = TestApp::spawn_with(&[("REQUEST_BODY_LIMIT_BYTES", "2048")]).await;
    let resp = app
        .client
        .post(app.url("/healthz"))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_problem(resp, 413).await;
}

#[tokio::test]
async fn a_server_error_body_carries_a_request_id_and_no_internal_text() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    // Break the database underneath the service: the API role loses its grant on tenants.
    app.db
        .admin()
        .await
        .batch_execute("revoke select on app.tenants from brandhouse_api")
        .await
        .unwrap();
    let resp = app.storefront_get("fiber-x", "/v1/storefront/theme").await;
    let body = assert_problem(resp, 500).await;
    let text = body.to_string();
    assert!(body["request_id"].as_str().is_some());
    for leak in ["permission", "tenants", "denied", "db error", "postgres"] {
        assert!(!text.to_lowercase().contains(leak), "{leak} leaked: {text}");
    }
    assert!(body.get("detail").is_none(), "{text}");
}

/// Graceful shutdown: a request that is provably in progress when shutdown begins (its query
/// waits on a lock this test holds, and the server has already stopped accepting) still
/// completes with 200 once the lock is released, and only then does the server stop.
#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let mut app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    // Hold a lock so the next brand lookup waits in the database.
    let mut admin = app.db.admin().await;
    let blocker = admin.transaction().await.unwrap();
    blocker
        .batch_execute("lock table app.tenants in access exclusive mode")
        .await
        .unwrap();

    let client = app.client.clone();
    let url = app.url("/v1/storefront/theme");
    let in_flight = tokio::spawn(async move {
        client
            .get(url)
            .header("X-Tenant-ID", "fiber-x")
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    // The request is in flight: the service's connection waits on our lock.
    let watcher = app.db.admin().await;
    let waiting_on_our_lock = async || {
        watcher
            .query_opt(
                "select pid from pg_stat_activity where datname = current_database() \
                 and usename = 'brandhouse_api' and wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .map(|r| r.get::<_, i32>(0))
    };
    let pid = eventually(
        "the request to wait on the lock",
        Duration::from_secs(10),
        &waiting_on_our_lock,
    )
    .await;

    let address = app.address.trim_start_matches("http://").to_owned();
    let stopping = tokio::spawn(async move {
        let result = app.stop().await;
        (app, result)
    });
    // Shutdown has begun: the listener is closed, new connections are refused.
    eventually(
        "the server to stop accepting",
        Duration::from_secs(10),
        || async { tokio::net::TcpStream::connect(&address).await.err() },
    )
    .await;
    // ...while the request is still waiting in the database and the server waits for it.
    assert_eq!(waiting_on_our_lock().await, Some(pid));
    assert!(!in_flight.is_finished());
    assert!(!stopping.is_finished());

    blocker.rollback().await.unwrap();
    assert_eq!(in_flight.await.unwrap().unwrap(), 200);
    let (app, result) = stopping.await.unwrap();
    result.unwrap();
    // Stopped: new connections are refused.
    assert!(app.client.get(app.url("/healthz")).send().await.is_err());
}

#[tokio::test]
async fn a_nul_character_is_the_clients_error_never_a_500() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    app.add_categories("fiber-x", &[("HAIR", "Hair")]).await;
    let bm = app
        .staff("fiber-x", Role::BrandManager, "bm@fiber-x.test")
        .await;

    // In a JSON field: a 422 naming the field (PostgreSQL would refuse the text).
    let resp = app
        .authed(Method::POST, "/v1/admin/products", &bm, Some("fiber-x"))
        .json(&json!({"category_code": "HAIR", "name": "Argan\u{0}Oil", "base_price_minor": 5}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(resp, 422).await;
    assert_eq!(body["errors"][0]["field"], "name");
    let resp = app
        .checkout("fiber-x", "nul-1", &[("FBX-HAIR-0001\u{0}", 1)], None)
        .await;
    let body = assert_problem(resp, 422).await;
    assert_eq!(body["errors"][0]["field"], "lines[0].sku");
    let resp = app
        .authed(
            Method::PATCH,
            "/v1/admin/brands/fiber-x",
            &app.owner("owner@hq.test").await,
            None,
        )
        .json(&json!({"features": {"banner": "a\u{0}b"}}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(resp, 422).await;
    assert_eq!(body["errors"][0]["field"], "features.banner");

    // In a URL (path or query): a 400 before any handler runs.
    let resp = app
        .storefront_get("fiber-x", "/v1/storefront/products?category=HA%00IR")
        .await;
    assert_problem(resp, 400).await;
    let resp = app
        .authed(Method::GET, "/v1/admin/products/1%00", &bm, Some("fiber-x"))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 400).await;

    // A login with one is an unknown email, not a failed query.
    let resp = app.login("bm\u{0}@fiber-x.test", "whatever it is").await;
    assert_problem(resp, 401).await;

    // Nothing was written by the refused requests.
    let products: i64 = app
        .db
        .admin()
        .await
        .query_one("select count(*) from app.products", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(products, 0);
}

/// Found by the fuzzer (scripts/fuzz.sh): the smallest 32-bit integer as a stock adjustment
/// has no absolute value; the range check must not compute one (it panicked: a 500).
#[tokio::test]
async fn the_smallest_integer_as_a_stock_adjustment_is_a_422_naming_delta() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    let bm = app.manager("fiber-x").await;
    for delta in [i64::from(i32::MIN), -1_000_001, 1_000_001, 0] {
        let resp = app
            .authed(Method::POST, "/v1/admin/stock/adjust", &bm, Some("fiber-x"))
            .json(
                &json!({"sku": "FBX-HAIR-0001", "zone": "BER", "delta": delta, "reason": "count"}),
            )
            .send()
            .await
            .unwrap();
        let body = assert_problem(resp, 422).await;
        assert_eq!(body["errors"][0]["field"], "delta", "{delta}: {body}");
    }
}

/// Found by the fuzzer: an access token with characters an HTTP header cannot carry made the
/// number's Graph check fail to build its request, answered as the Graph API being unavailable
/// (a 503). It is the client's input: a 422 naming `access_token`, and nothing is stored.
#[tokio::test]
async fn an_access_token_that_cannot_travel_in_a_header_is_a_422_naming_it() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    let bm = app.manager("fiber-x").await;
    for token in ["EAAG\u{92}%\u{c9}", "EAAG token with spaces", "EAAG\nline"] {
        let resp = app
            .authed(
                Method::PATCH,
                "/v1/admin/chat/settings",
                &bm,
                Some("fiber-x"),
            )
            .json(&json!({"access_token": token, "phone_number_id": "106540352242922"}))
            .send()
            .await
            .unwrap();
        let body = assert_problem(resp, 422).await;
        assert_eq!(
            body["errors"][0]["field"], "access_token",
            "{token:?}: {body}"
        );
    }
    let stored: i64 = app
        .scalar("select count(*) from app.chat_settings where access_token is not null")
        .await;
    assert_eq!(stored, 0);
}

/// Found by the fuzzer: renaming a zone to a blank name broke the table's check (a 500); it is
/// refused like a blank name at creation.
#[tokio::test]
async fn renaming_a_zone_to_a_blank_name_is_a_422_naming_name() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    app.create_zone("BER", 10).await;
    let owner = app.owner("owner@hq.test").await;
    for name in ["", "   "] {
        let resp = app
            .authed(
                Method::PATCH,
                "/v1/admin/zones/BER",
                &owner,
                Some("fiber-x"),
            )
            .json(&json!({"name": name, "priority": 0}))
            .send()
            .await
            .unwrap();
        let body = assert_problem(resp, 422).await;
        assert_eq!(body["errors"][0]["field"], "name", "{name:?}: {body}");
    }
    let resp = app
        .authed(
            Method::PATCH,
            "/v1/admin/zones/BER",
            &owner,
            Some("fiber-x"),
        )
        .json(&json!({"name": " Berlin "}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    assert_eq!(
        app.scalar::<String>("select name from app.zones where code = 'BER'")
            .await,
        "Berlin"
    );
}
