//! Rate limits on the public endpoints, written as the abuse they stop: one client hoarding a
//! brand's stock through checkouts, many clients doing it together, a login flood from one
//! address, a spoofed proxy header, and replicas that each count alone.

use reqwest::StatusCode;

use crate::helpers::{TestApp, TestRedis, TestRedisCluster, assert_problem};

/// A checkout that the service refuses after the limit (an unknown SKU: a 4xx that still
/// counts, and holds nothing).
async fn checkout(app: &TestApp, brand: &str, client_ip: &str) -> reqwest::Response {
    checkout_at(&app.client, &app.address, brand, client_ip).await
}

async fn checkout_at(
    client: &reqwest::Client,
    base: &str,
    brand: &str,
    client_ip: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}/v1/storefront/checkouts"))
        .header("X-Tenant-ID", brand)
        .header("X-Forwarded-For", format!("203.0.113.99, {client_ip}"))
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&serde_json::json!({
            "lines": [{"sku": "FBX-NONE-0001", "quantity": 1}],
            "customer": {"name": "Ana", "email": "ana@buyer.test"},
        }))
        .send()
        .await
        .unwrap()
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn checkouts_are_limited_per_client_and_per_brand_with_ratelimit_headers() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMITS", "on"),
        ("RATE_LIMIT_CHECKOUT", "3/60"),
        ("RATE_LIMIT_CHECKOUT_BRAND", "5/60"),
        ("TRUSTED_PROXY_HEADER", "x-forwarded-for"),
    ])
    .await;
    app.two_brands().await;

    // One client: three, then refused, with when to come back.
    for remaining in [2, 1, 0] {
        let resp = checkout(&app, "fiber-x", "198.51.100.1").await;
        assert_ne!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            header(&resp, "ratelimit-policy"),
            "\"checkout\";q=3;w=60, \"checkout-brand\";q=5;w=60"
        );
        assert!(
            header(&resp, "ratelimit").starts_with(&format!("\"checkout\";r={remaining};")),
            "{}",
            header(&resp, "ratelimit")
        );
    }
    let resp = checkout(&app, "fiber-x", "198.51.100.1").await;
    let retry: u64 = header(&resp, "retry-after").parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert!(header(&resp, "ratelimit").starts_with("\"checkout\";r=0;"));
    assert_problem(resp, 429).await;

    // Other clients share the brand's quota of five: two more, then the brand is full...
    for ip in ["198.51.100.2", "198.51.100.3"] {
        assert_ne!(
            checkout(&app, "fiber-x", ip).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let resp = checkout(&app, "fiber-x", "198.51.100.4").await;
    assert!(header(&resp, "ratelimit").starts_with("\"checkout-brand\";r=0;"));
    assert_problem(resp, 429).await;
    // ...for that brand only.
    assert_ne!(
        checkout(&app, "suzume", "198.51.100.4").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Reads are another group.
    let resp = app
        .client
        .get(app.url("/v1/storefront/products"))
        .header("X-Tenant-ID", "fiber-x")
        .header("X-Forwarded-For", "198.51.100.1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(header(&resp, "ratelimit-policy").starts_with("\"storefront\";"));
}

#[tokio::test]
async fn a_client_address_in_x_forwarded_for_is_not_believed_without_a_trusted_proxy() {
    let app = TestApp::spawn_with(&[("RATE_LIMITS", "on"), ("RATE_LIMIT_CHECKOUT", "2/60")]).await;
    app.two_brands().await;
    // Each request claims another address; without TRUSTED_PROXY_HEADER the peer (127.0.0.1)
    // is the client, so the third is refused anyway.
    for (i, expected) in [(1, false), (2, false), (3, true)] {
        let resp = checkout(&app, "fiber-x", &format!("192.0.2.{i}")).await;
        assert_eq!(
            resp.status() == StatusCode::TOO_MANY_REQUESTS,
            expected,
            "request {i}"
        );
    }
}

#[tokio::test]
async fn a_login_flood_from_one_address_is_refused_before_any_password_is_checked() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMITS", "on"),
        ("RATE_LIMIT_LOGIN", "5/60"),
        ("TRUSTED_PROXY_HEADER", "x-real-ip"),
    ])
    .await;
    app.two_brands().await;
    let login = |email: String, ip: &'static str| {
        app.client
            .post(app.url("/v1/auth/login"))
            .header("X-Real-IP", ip)
            .json(&serde_json::json!({ "email": email, "password": "wrong password!!" }))
            .send()
    };
    for i in 0..5 {
        let resp = login(format!("guess{i}@fiber-x.test"), "198.51.100.7")
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
    let resp = login("guess5@fiber-x.test".into(), "198.51.100.7")
        .await
        .unwrap();
    assert_problem(resp, 429).await;
    // Refused before the attempt was counted: no throttle row for that email.
    let counted: i64 = app
        .scalar("select count(*) from app.login_throttle where email = 'guess5@fiber-x.test'")
        .await;
    assert_eq!(counted, 0);
    // Another address is not held back by the flood, so the account's holder can sign in.
    let resp = login("guess5@fiber-x.test".into(), "198.51.100.8")
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn replicas_share_one_count_through_redis() {
    let redis = TestRedis::start().await;
    let env = [
        ("RATE_LIMITS", "on"),
        ("RATE_LIMIT_CHECKOUT", "4/60"),
        ("TRUSTED_PROXY_HEADER", "x-forwarded-for"),
        ("REDIS_URL", redis.url.as_str()),
    ];
    let first = TestApp::spawn_with(&env).await;
    first.two_brands().await;
    // A second replica on the same database and Redis.
    let data_dir = std::env::temp_dir().join(format!("bh-replica-{}", first.db.name));
    let data_dir = data_dir.display().to_string();
    let mut replica_env = env.to_vec();
    replica_env.push(("DATA_DIR", data_dir.as_str()));
    let config = crate::helpers::test_config(&first.db.name, &replica_env);
    let replica = brandhouse::startup::Application::build(config)
        .await
        .unwrap();
    let second = format!("http://127.0.0.1:{}", replica.port());
    tokio::spawn(replica.run_until_stopped(std::future::pending::<()>()));
    for base in [&first.address, &second] {
        crate::helpers::eventually(
            "the replica to reach Redis",
            std::time::Duration::from_secs(5),
            || async {
                let ip = format!("198.51.100.{}", 30 + usize::from(*base == second));
                let resp = checkout_at(&first.client, base, "fiber-x", &ip).await;
                (resp.status() != StatusCode::TOO_MANY_REQUESTS
                    && redis_has_key(&redis.url, &format!("bh:rl:{{checkout:ip:{ip}}}")).await)
                    .then_some(())
            },
        )
        .await;
    }
    // The two replicas take turns; together they admit what one would.
    let mut admitted = 0;
    for i in 0..6 {
        let base = if i % 2 == 0 { &second } else { &first.address };
        let resp = checkout_at(&first.client, base, "fiber-x", "198.51.100.21").await;
        if resp.status() != StatusCode::TOO_MANY_REQUESTS {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 4);
}

async fn redis_has_key(url: &str, key: &str) -> bool {
    use fred::prelude::{ClientLike, KeysInterface};
    let Ok(client) = brandhouse::cache::redis_client(url, std::time::Duration::from_secs(1)) else {
        return false;
    };
    if client.wait_for_connect().await.is_err() {
        return false;
    }
    let n: i64 = client.exists(key).await.unwrap_or(0);
    n == 1
}

#[tokio::test]
async fn on_a_redis_cluster_the_limits_count_in_the_cluster() {
    let cluster = TestRedisCluster::start().await;
    let app = TestApp::spawn_with(&[
        ("RATE_LIMITS", "on"),
        ("RATE_LIMIT_CHECKOUT", "3/60"),
        ("TRUSTED_PROXY_HEADER", "x-forwarded-for"),
        ("REDIS_URL", cluster.url.as_str()),
    ])
    .await;
    app.two_brands().await;
    // Until the limiter reaches the cluster it counts in process: wait for the first key.
    crate::helpers::eventually(
        "the limiter to count in the cluster",
        std::time::Duration::from_secs(5),
        || async {
            checkout(&app, "fiber-x", "198.51.100.60").await;
            (!cluster.keys("bh:rl:*").is_empty()).then_some(())
        },
    )
    .await;
    let mut admitted = 0;
    for _ in 0..5 {
        if checkout(&app, "fiber-x", "198.51.100.61").await.status()
            != StatusCode::TOO_MANY_REQUESTS
        {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 3);
    let keys = cluster.keys("bh:rl:*");
    assert!(
        keys.iter()
            .any(|k| k == "bh:rl:{checkout:ip:198.51.100.61}"),
        "{keys:?}"
    );
}
