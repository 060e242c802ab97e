//! Signed outbound webhooks: real receivers on 127.0.0.1 (wiremock servers that record what
//! they were sent), the signature checked with the secret shown once, retries, disabling,
//! redelivery, SSRF refusals, and, written as the old system's bug, a webhook of one brand
//! that never receives another brand's event while both brands' orders are paid at once.

use std::collections::HashSet;

use futures::{StreamExt, stream};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};

use crate::helpers::{Signed, TestApp, assert_problem};

/// Receivers run on loopback, so the tests allow private targets (and plain http). Retries are
/// scheduled a minute out and pulled forward by the tests ([`retry_now`]): no sleeps.
const LOOPBACK: &[(&str, &str)] = &[
    ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"),
    ("WEBHOOK_ALLOW_HTTP", "true"),
    ("WEBHOOK_RETRY_BASE_MS", "60000"),
    ("WEBHOOK_MAX_ATTEMPTS", "4"),
    ("WEBHOOK_DISABLE_AFTER", "3"),
];

/// Places an order in `slug` for one unit; returns its number.
async fn order(app: &TestApp, slug: &str, key: &str) -> i64 {
    app.order_one_unit(slug, key).await["number"]
        .as_i64()
        .unwrap()
}

async fn pay(app: &TestApp, who: &Signed, slug: &str, number: i64) {
    let resp = app
        .authed(
            Method::POST,
            &format!("/v1/admin/orders/{number}/mark-paid"),
            who,
            Some(slug),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

/// Registers an endpoint; returns the 201 body (with the secret).
async fn hook(app: &TestApp, who: &Signed, slug: &str, url: &str, types: &[&str]) -> Value {
    let resp = app
        .authed(Method::POST, "/v1/admin/webhooks", who, Some(slug))
        .json(&json!({"url": url, "event_types": types}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

async fn get(app: &TestApp, who: &Signed, slug: &str, path: &str) -> reqwest::Response {
    app.authed(Method::GET, path, who, Some(slug))
        .send()
        .await
        .unwrap()
}

async fn deliveries(app: &TestApp, who: &Signed, slug: &str, id: &str) -> Vec<Value> {
    let resp = get(
        app,
        who,
        slug,
        &format!("/v1/admin/webhooks/{id}/deliveries"),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// A receiver answering `status` to every POST.
async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

fn hook_url(server: &MockServer) -> String {
    format!("{}/hooks/in", server.uri())
}

/// The bodies a receiver got, in order.
async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

fn header<'a>(req: &'a wiremock::Request, name: &str) -> &'a str {
    req.headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// Verifies `X-Brandhouse-Signature` as a receiver would (README's recipe): parse
/// `t=<unix>,v1=<hex>`, HMAC-SHA256 the secret over "<t>.<body>", compare.
fn signature_verifies(req: &wiremock::Request, secret: &str) -> bool {
    let sig = header(req, "x-brandhouse-signature");
    let mut t = None;
    let mut v1 = None;
    for part in sig.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(&req.body);
    let Ok(given) = hex::decode(v1) else {
        return false;
    };
    mac.verify_slice(&given).is_ok()
}

/// Makes every queued delivery retry due now (the test stands in for the clock).
async fn retry_now(app: &TestApp) {
    app.db
        .admin()
        .await
        .execute(
            "update app.jobs set run_at = now() where kind = 'deliver_webhook' and status = 'queued'",
            &[],
        )
        .await
        .unwrap();
}

/// Seconds until the queued delivery job of `delivery` is due.
async fn due_in(app: &TestApp, delivery: &str) -> f64 {
    app.db
        .admin()
        .await
        .query_one(
            "select extract(epoch from run_at - now())::float8 from app.jobs \
             where kind = 'deliver_webhook' and ref = $1 and status = 'queued'",
            &[&delivery],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delivery_is_signed_with_the_secret_shown_once_and_carries_the_event_without_pii() {
    let app = TestApp::spawn_two_brand_shop(LOOPBACK).await;
    let manager = app.manager("fiber-x").await;
    let server = receiver(200).await;
    let created = hook(
        &app,
        &manager,
        "fiber-x",
        &hook_url(&server),
        &["order.paid"],
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["active"], true);
    assert_eq!(created["event_types"], json!(["order.paid"]));
    // The secret is shown once: neither the list nor the endpoint carries it again.
    let listed = get(&app, &manager, "fiber-x", "/v1/admin/webhooks").await;
    let listed = listed.text().await.unwrap();
    assert!(!listed.contains(&secret), "{listed}");
    let one = get(
        &app,
        &manager,
        "fiber-x",
        &format!("/v1/admin/webhooks/{id}"),
    )
    .await;
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert!(one.get("secret").is_none(), "{one}");

    let number = order(&app, "fiber-x", "sig-1").await;
    pay(&app, &manager, "fiber-x", number).await;
    // order.created is not subscribed: one delivery, for order.paid.
    app.run_jobs().await;

    let got = received(&server).await;
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req.url.path(), "/hooks/in");
    assert!(signature_verifies(req, &secret), "the signature verifies");
    assert!(!signature_verifies(req, "whsec_wrong"));
    assert_eq!(header(req, "x-brandhouse-event-type"), "order.paid");
    assert_eq!(header(req, "content-type"), "application/json");
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        header(req, "x-brandhouse-event-id"),
        body["id"].as_str().unwrap()
    );
    assert_eq!(body["type"], "order.paid");
    assert_eq!(body["subject"], number.to_string());
    assert!(body["seq"].as_i64().unwrap() >= 2);
    assert!(body["payload"].is_object(), "{body}");
    assert!(body["created_at"].is_string(), "{body}");
    // Never the event's personal data column.
    assert!(
        body.get("pii").is_none() && body.get("customer").is_none(),
        "{body}"
    );
    let event_pii: Option<Value> = app
        .db
        .admin()
        .await
        .query_one(
            "select pii from app.events where id = $1::text::uuid",
            &[&body["id"].as_str().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    if let Some(pii) = event_pii {
        for v in pii.as_object().into_iter().flat_map(|o| o.values()) {
            if let Some(s) = v.as_str() {
                assert!(!String::from_utf8_lossy(&req.body).contains(s), "{s}");
            }
        }
    }

    let log = deliveries(&app, &manager, "fiber-x", &id).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status_code"], 200);
    assert_eq!(log[0]["event_type"], "order.paid");
    assert_eq!(log[0]["event_id"], body["id"]);
    // Running the jobs again sends nothing more: exactly once.
    app.run_jobs().await;
    assert_eq!(received(&server).await.len(), 1);

    // Rotating the secret: the next delivery verifies with the new one only.
    let resp = app
        .authed(
            Method::POST,
            &format!("/v1/admin/webhooks/{id}/rotate-secret"),
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let rotated: Value = resp.json().await.unwrap();
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let number = order(&app, "fiber-x", "sig-2").await;
    pay(&app, &manager, "fiber-x", number).await;
    app.run_jobs().await;
    let got = received(&server).await;
    assert_eq!(got.len(), 2);
    assert!(signature_verifies(&got[1], new_secret));
    assert!(!signature_verifies(&got[1], &secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deliveries_retry_on_500_and_on_429_after_its_retry_after_but_never_on_400() {
    let app = TestApp::spawn_two_brand_shop(LOOPBACK).await;
    let manager = app.manager("fiber-x").await;
    // Answers 500, then 429 with Retry-After: 7, then 200.
    let flaky = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&flaky)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&flaky)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(3)
        .mount(&flaky)
        .await;
    let refusing = receiver(400).await;
    let a = hook(
        &app,
        &manager,
        "fiber-x",
        &hook_url(&flaky),
        &["order.created"],
    )
    .await;
    let b = hook(
        &app,
        &manager,
        "fiber-x",
        &hook_url(&refusing),
        &["order.created"],
    )
    .await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    order(&app, "fiber-x", "retry-1").await;
    app.run_jobs().await;
    assert_eq!(received(&flaky).await.len(), 1);
    assert_eq!(received(&refusing).await.len(), 1);

    // 500: pending, retried after the backoff (a minute, with jitter: 30 to 60 s).
    let log = deliveries(&app, &manager, "fiber-x", a).await;
    assert_eq!(log[0]["status"], "pending", "{log:?}");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status_code"], 500);
    assert!(log[0]["next_attempt_at"].is_string());
    let delivery = log[0]["id"].as_str().unwrap().to_owned();
    let wait = due_in(&app, &delivery).await;
    assert!((29.0..=60.5).contains(&wait), "due in {wait} s");
    // 400: failed at once, no retry queued.
    let log_b = deliveries(&app, &manager, "fiber-x", b).await;
    assert_eq!(log_b[0]["status"], "failed", "{log_b:?}");
    assert_eq!(log_b[0]["attempts"], 1);
    assert_eq!(log_b[0]["last_status_code"], 400);
    assert!(log_b[0]["next_attempt_at"].is_null());

    // Second attempt: 429 with Retry-After: 7 is honoured (instead of the doubled backoff).
    retry_now(&app).await;
    app.run_jobs().await;
    assert_eq!(received(&flaky).await.len(), 2);
    let log = deliveries(&app, &manager, "fiber-x", a).await;
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(log[0]["last_status_code"], 429);
    let wait = due_in(&app, &delivery).await;
    assert!((5.5..=7.5).contains(&wait), "due in {wait} s");

    // Third attempt: delivered. The same event id every time.
    retry_now(&app).await;
    app.run_jobs().await;
    let got = received(&flaky).await;
    assert_eq!(got.len(), 3);
    let ids: HashSet<&str> = got
        .iter()
        .map(|r| header(r, "x-brandhouse-event-id"))
        .collect();
    assert_eq!(ids.len(), 1);
    let log = deliveries(&app, &manager, "fiber-x", a).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["last_status_code"], 200);
    // The 400 endpoint was never tried again.
    retry_now(&app).await;
    app.run_jobs().await;
    assert_eq!(received(&refusing).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deliveries_that_keep_failing_stop_after_the_last_attempt() {
    let app = TestApp::spawn_two_brand_shop(LOOPBACK).await;
    let manager = app.manager("fiber-x").await;
    let down = receiver(503).await;
    let h = hook(
        &app,
        &manager,
        "fiber-x",
        &hook_url(&down),
        &["order.created"],
    )
    .await;
    order(&app, "fiber-x", "down-1").await;
    for _ in 0..6 {
        app.run_jobs().await;
        retry_now(&app).await;
    }
    // WEBHOOK_MAX_ATTEMPTS=4.
    assert_eq!(received(&down).await.len(), 4);
    let log = deliveries(&app, &manager, "fiber-x", h["id"].as_str().unwrap()).await;
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["attempts"], 4);
    assert_eq!(log[0]["last_status_code"], 503);
    let parked: i64 = app
        .scalar("select count(*) from app.jobs where status = 'parked'")
        .await;
    assert_eq!(parked, 0, "a failed delivery is recorded, not a parked job");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_endpoint_is_disabled_after_a_run_of_failed_deliveries_and_the_brand_is_told() {
    let app = TestApp::spawn_two_brand_shop(LOOPBACK).await;
    let manager = app.manager("fiber-x").await;
    let refusing = receiver(400).await;
    let watcher = receiver(200).await;
    let bad = hook(
        &app,
        &manager,
        "fiber-x",
        &hook_url(&refusing),
        &["order.created"],
    )
    .await;
    let bad_id = bad["id"].as_str().unwrap().to_owned();
    hook(
        &app,
        &manager,
        "fiber-x",
        &hook_url(&watcher),
        &["webhook.disabled"],
    )
    .await;

    // WEBHOOK_DISABLE_AFTER=3: two failures leave it active, the third disables it.
    for i in 0..2 {
        order(&app, "fiber-x", &format!("dis-{i}")).await;
        app.run_jobs().await;
    }
    let one: Value = get(
        &app,
        &manager,
        "fiber-x",
        &format!("/v1/admin/webhooks/{bad_id}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(one["active"], true);
    assert_eq!(one["consecutive_failures"], 2);
    order(&app, "fiber-x", "dis-2").await;
    app.run_jobs().await;
    let one: Value = get(
        &app,
        &manager,
        "fiber-x",
        &format!("/v1/admin/webhooks/{bad_id}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(one["active"], false, "{one}");
    assert_eq!(one["consecutive_failures"], 3);
    assert!(one["disabled_at"].is_string());

    // The brand is told by an event, once, and its subscribed endpoint receives it.
    let events: Value = get(&app, &manager, "fiber-x", "/v1/admin/events?after=0")
        .await
        .json()
        .await
        .unwrap();
    let disabled: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "webhook.disabled")
        .collect();
    assert_eq!(disabled.len(), 1, "{events}");
    assert_eq!(disabled[0]["subject"], bad_id.as_str());
    assert_eq!(disabled[0]["data"]["endpoint_id"], bad_id.as_str());
    let told = received(&watcher).await;
    assert_eq!(told.len(), 1);
    assert_eq!(
        header(&told[0], "x-brandhouse-event-type"),
        "webhook.disabled"
    );

    // A disabled endpoint gets no more deliveries, and a redelivery is refused until enabled.
    order(&app, "fiber-x", "dis-3").await;
    app.run_jobs().await;
    assert_eq!(received(&refusing).await.len(), 3);
    let log = deliveries(&app, &manager, "fiber-x", &bad_id).await;
    assert_eq!(log.len(), 3);
    let resp = app
        .authed(
            Method::POST,
            &format!(
                "/v1/admin/webhooks/{bad_id}/deliveries/{}/redeliver",
                log[0]["id"].as_str().unwrap()
            ),
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 409).await;
    // Enabling it starts a new run.
    let resp = app
        .authed(
            Method::PATCH,
            &format!("/v1/admin/webhooks/{bad_id}"),
            &manager,
            Some("fiber-x"),
        )
        .json(&json!({"active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let one: Value = resp.json().await.unwrap();
    assert_eq!(one["active"], true);
    assert_eq!(one["consecutive_failures"], 0);
    assert!(one["disabled_at"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_delivery_is_sent_again_on_redeliver() {
    let app = TestApp::spawn_two_brand_shop(LOOPBACK).await;
    let manager = app.manager("fiber-x").await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(410))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(2)
        .mount(&server)
        .await;
    let h = hook(
        &app,
        &manager,
        "fiber-x",
        &hook_url(&server),
        &["order.created"],
    )
    .await;
    let id = h["id"].as_str().unwrap();
    order(&app, "fiber-x", "re-1").await;
    app.run_jobs().await;
    let log = deliveries(&app, &manager, "fiber-x", id).await;
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["last_status_code"], 410);
    let delivery = log[0]["id"].as_str().unwrap();

    let resp = app
        .authed(
            Method::POST,
            &format!("/v1/admin/webhooks/{id}/deliveries/{delivery}/redeliver"),
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let log = deliveries(&app, &manager, "fiber-x", id).await;
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["attempts"], 0);
    app.run_jobs().await;
    let log = deliveries(&app, &manager, "fiber-x", id).await;
    assert_eq!(log.len(), 1, "the same delivery, not a new one");
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status_code"], 204);
    let got = received(&server).await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        header(&got[0], "x-brandhouse-event-id"),
        header(&got[1], "x-brandhouse-event-id")
    );

    // An unknown delivery is a 404.
    let resp = app
        .authed(
            Method::POST,
            &format!(
                "/v1/admin/webhooks/{id}/deliveries/{}/redeliver",
                uuid::Uuid::new_v4()
            ),
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 404).await;
}

/// All of a brand's ids that must never appear in another brand's deliveries: the brand, its
/// events, orders and customers.
async fn ids_of(app: &TestApp, slug: &str) -> Vec<String> {
    let admin = app.db.admin().await;
    let rows = admin
        .query(
            "with t as (select id from app.tenants where slug = $1) \
             select (select id from t)::text \
             union all select e.id::text from app.events e, t where e.tenant_id = t.id \
             union all select o.id::text from app.orders o, t where o.tenant_id = t.id \
             union all select c.id::text from app.customers c, t where c.tenant_id = t.id",
            &[&slug],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_of_fiber_x_never_receives_a_suzume_event_while_both_brands_pay_orders() {
    const ORDERS: usize = 12;
    let app = TestApp::spawn_two_brand_shop(LOOPBACK).await;
    let (fbx_manager, szm_manager) = (app.manager("fiber-x").await, app.manager("suzume").await);
    let fbx_server = receiver(200).await;
    let szm_server = receiver(200).await;
    let every = ["order.created", "order.paid", "stock.low"];
    let fbx = hook(
        &app,
        &fbx_manager,
        "fiber-x",
        &hook_url(&fbx_server),
        &every,
    )
    .await;
    let szm = hook(&app, &szm_manager, "suzume", &hook_url(&szm_server), &every).await;

    // Both brands place and pay orders at the same time, while a worker delivers.
    let work: Vec<(&str, usize)> = (0..ORDERS)
        .flat_map(|i| [("fiber-x", i), ("suzume", i)])
        .collect();
    stream::iter(work)
        .for_each_concurrent(8, |(slug, i)| {
            let app = &app;
            let who = if slug == "fiber-x" {
                &fbx_manager
            } else {
                &szm_manager
            };
            async move {
                let number = order(app, slug, &format!("{slug}-{i}")).await;
                pay(app, who, slug, number).await;
                if i % 3 == 0 {
                    app.run_jobs().await;
                }
            }
        })
        .await;
    app.run_jobs().await;

    for (slug, other, server, created) in [
        ("fiber-x", "suzume", &fbx_server, &fbx),
        ("suzume", "fiber-x", &szm_server, &szm),
    ] {
        let got = received(server).await;
        // Exactly this brand's order events: created and paid for each order, once each.
        assert_eq!(got.len(), 2 * ORDERS, "{slug}");
        let own: HashSet<String> = ids_of(&app, slug).await.into_iter().collect();
        let foreign = ids_of(&app, other).await;
        let mut seen = HashSet::new();
        for req in &got {
            assert!(
                signature_verifies(req, created["secret"].as_str().unwrap()),
                "{slug}'s deliveries are signed with {slug}'s secret"
            );
            let id = header(req, "x-brandhouse-event-id").to_owned();
            assert!(
                own.contains(&id),
                "{slug} received an event that is not its own"
            );
            assert!(seen.insert(id), "{slug} received an event twice");
            let text = String::from_utf8_lossy(&req.body);
            for foreign_id in &foreign {
                assert!(
                    !text.contains(foreign_id.as_str()),
                    "{slug}'s delivery carries {other}'s id {foreign_id}: {text}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_brand_cannot_read_change_redeliver_or_delete_another_brands_webhooks() {
    let app = TestApp::spawn_two_brand_shop(LOOPBACK).await;
    let (fbx_manager, szm_manager) = (app.manager("fiber-x").await, app.manager("suzume").await);
    let server = receiver(200).await;
    let h = hook(
        &app,
        &fbx_manager,
        "fiber-x",
        &hook_url(&server),
        &["order.created"],
    )
    .await;
    let id = h["id"].as_str().unwrap();
    order(&app, "fiber-x", "x-1").await;
    app.run_jobs().await;
    let log = deliveries(&app, &fbx_manager, "fiber-x", id).await;
    let delivery = log[0]["id"].as_str().unwrap();

    // Suzume's manager, in Suzume, names Fiber X's endpoint and delivery: 404 everywhere.
    let szm = |m: Method, path: String| app.authed(m, &path, &szm_manager, Some("suzume"));
    let listed: Value = szm(Method::GET, "/v1/admin/webhooks".into())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    for resp in [
        szm(Method::GET, format!("/v1/admin/webhooks/{id}"))
            .send()
            .await
            .unwrap(),
        szm(Method::PATCH, format!("/v1/admin/webhooks/{id}"))
            .json(&json!({"active": false, "url": "http://127.0.0.1:9/stolen"}))
            .send()
            .await
            .unwrap(),
        szm(Method::GET, format!("/v1/admin/webhooks/{id}/deliveries"))
            .send()
            .await
            .unwrap(),
        szm(
            Method::POST,
            format!("/v1/admin/webhooks/{id}/deliveries/{delivery}/redeliver"),
        )
        .send()
        .await
        .unwrap(),
        szm(
            Method::POST,
            format!("/v1/admin/webhooks/{id}/rotate-secret"),
        )
        .send()
        .await
        .unwrap(),
        szm(Method::DELETE, format!("/v1/admin/webhooks/{id}"))
            .send()
            .await
            .unwrap(),
    ] {
        assert_problem(resp, 404).await;
    }
    // ... and in Fiber X it has no role: 403.
    let resp = app
        .authed(
            Method::GET,
            &format!("/v1/admin/webhooks/{id}"),
            &szm_manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 403).await;
    // Nothing changed.
    let one: Value = get(
        &app,
        &fbx_manager,
        "fiber-x",
        &format!("/v1/admin/webhooks/{id}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(one["active"], true);
    assert_eq!(one["url"], h["url"]);
    let pending: i64 = app
        .scalar(
            "select count(*) from app.jobs where kind = 'deliver_webhook' and status = 'queued'",
        )
        .await;
    assert_eq!(pending, 0, "no redelivery was queued");
}

#[tokio::test]
async fn in_suzumes_transaction_fiber_x_webhook_rows_are_invisible_and_cannot_be_written() {
    let app = TestApp::spawn_two_brand_shop(LOOPBACK).await;
    let manager = app.manager("fiber-x").await;
    let server = receiver(200).await;
    let h = hook(
        &app,
        &manager,
        "fiber-x",
        &hook_url(&server),
        &["order.created"],
    )
    .await;
    let endpoint: uuid::Uuid = h["id"].as_str().unwrap().parse().unwrap();
    order(&app, "fiber-x", "rls-1").await;
    let (fbx, szm): (uuid::Uuid, uuid::Uuid) = {
        let admin = app.db.admin().await;
        let id = |slug: &'static str| {
            let admin = &admin;
            async move {
                admin
                    .query_one("select id from app.tenants where slug = $1", &[&slug])
                    .await
                    .unwrap()
                    .get::<_, uuid::Uuid>(0)
            }
        };
        (id("fiber-x").await, id("suzume").await)
    };
    let event: uuid::Uuid = app
        .db
        .admin()
        .await
        .query_one(
            "select id from app.events where tenant_id = $1 order by seq limit 1",
            &[&fbx],
        )
        .await
        .unwrap()
        .get(0);

    let mut api = app.db.api().await;
    let tx = api.transaction().await.unwrap();
    tx.execute(
        "select set_config('app.tenant_id', $1, true)",
        &[&szm.to_string()],
    )
    .await
    .unwrap();
    for table in ["webhook_endpoints", "webhook_deliveries"] {
        let n: i64 = tx
            .query_one(&format!("select count(*) from app.{table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "Suzume sees Fiber X's {table}");
    }
    let changed = tx
        .execute(
            "update app.webhook_endpoints set url = 'http://127.0.0.1:9/stolen' where id = $1",
            &[&endpoint],
        )
        .await
        .unwrap();
    assert_eq!(changed, 0);
    // Inserting rows in Fiber X's name is refused by the policy's WITH CHECK.
    tx.execute("savepoint s", &[]).await.unwrap();
    let err = tx
        .execute(
            "insert into app.webhook_endpoints (tenant_id, url, event_types, secret) \
             values ($1, 'http://127.0.0.1:9/x', '{order.paid}', repeat('s', 40))",
            &[&fbx],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{err}"
    );
    tx.execute("rollback to savepoint s", &[]).await.unwrap();
    let err = tx
        .execute(
            "insert into app.webhook_deliveries (tenant_id, endpoint_id, event_id) \
             values ($1, $2, $3)",
            &[&fbx, &endpoint, &event],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn loopback_and_private_targets_are_refused_without_the_setting() {
    // Plain http allowed (so only the address decides), private targets not.
    let app = TestApp::spawn_two_brand_shop(&[("WEBHOOK_ALLOW_HTTP", "true")]).await;
    let manager = app.manager("fiber-x").await;
    let server = receiver(200).await;
    for url in [
        hook_url(&server),
        "https://127.0.0.1/hook".to_owned(),
        "https://localhost:8443/hook".to_owned(),
        "https://10.1.2.3/hook".to_owned(),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://100.64.0.1/hook".to_owned(),
        "https://[::1]/hook".to_owned(),
        "https://[::ffff:127.0.0.1]/hook".to_owned(),
        "https://[fe80::1]/hook".to_owned(),
        "https://0.0.0.0/hook".to_owned(),
        "https://224.0.0.1/hook".to_owned(),
    ] {
        let resp = app
            .authed(
                Method::POST,
                "/v1/admin/webhooks",
                &manager,
                Some("fiber-x"),
            )
            .json(&json!({"url": url, "event_types": ["order.paid"]}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(resp, 422).await;
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
    }
    // Not https (in an app that does not allow http), a user in the URL, no event types.
    let strict = TestApp::spawn_two_brand_shop(&[]).await;
    let strict_manager = strict.manager("fiber-x").await;
    for body in [
        json!({"url": "http://hooks.example.com/in", "event_types": ["order.paid"]}),
        json!({"url": "https://user:pw@hooks.example.com/in", "event_types": ["order.paid"]}),
        json!({"url": "not a url", "event_types": ["order.paid"]}),
        json!({"url": "https://hooks.example.com/in", "event_types": []}),
        json!({"url": "https://hooks.example.com/in", "event_types": ["order.nope"]}),
    ] {
        let resp = strict
            .authed(
                Method::POST,
                "/v1/admin/webhooks",
                &strict_manager,
                Some("fiber-x"),
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert!(status == 400 || status == 422, "{body}: {status}");
        assert_problem(resp, status).await;
    }

    // A target that was allowed when saved and points at loopback by the time of delivery
    // (DNS changed; here the row is written directly) is refused at delivery: nothing is sent.
    let id: uuid::Uuid = app
        .db
        .admin()
        .await
        .query_one(
            "insert into app.webhook_endpoints (tenant_id, url, event_types, secret) \
             select id, $1, '{order.created}', repeat('s', 40) from app.tenants \
             where slug = 'fiber-x' returning id",
            &[&hook_url(&server)],
        )
        .await
        .unwrap()
        .get(0);
    // The same by name: localhost resolves to loopback only, which the delivery client's
    // resolver drops, so it never connects.
    let by_name: uuid::Uuid = app
        .db
        .admin()
        .await
        .query_one(
            "insert into app.webhook_endpoints (tenant_id, url, event_types, secret) \
             select id, $1, '{order.created}', repeat('s', 40) from app.tenants \
             where slug = 'fiber-x' returning id",
            &[&hook_url(&server).replace("127.0.0.1", "localhost")],
        )
        .await
        .unwrap()
        .get(0);
    order(&app, "fiber-x", "ssrf-1").await;
    app.run_jobs().await;
    assert_eq!(
        received(&server).await.len(),
        0,
        "the loopback receiver got nothing"
    );
    for endpoint in [id, by_name] {
        let log = deliveries(&app, &manager, "fiber-x", &endpoint.to_string()).await;
        assert_eq!(log[0]["status"], "failed", "{log:?}");
        assert_eq!(
            log[0]["attempts"], 1,
            "a refused target is not retried: {log:?}"
        );
        assert!(
            log[0]["last_error"].as_str().unwrap().contains("refused"),
            "{log:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolled_back_change_delivers_nothing_and_a_deleted_endpoint_gets_nothing_more() {
    let app = TestApp::spawn_two_brand_shop(LOOPBACK).await;
    let manager = app.manager("fiber-x").await;
    let server = receiver(200).await;
    let h = hook(
        &app,
        &manager,
        "fiber-x",
        &hook_url(&server),
        &["order.created"],
    )
    .await;
    let id = h["id"].as_str().unwrap();
    // An event recorded in a transaction that rolls back leaves no delivery and no job.
    let scope = app.scope("fiber-x").await;
    let rolled_back: Result<(), brandhouse::db::DbError> = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            brandhouse::events::record(
                tx,
                brandhouse::events::EventType::OrderCreated,
                "999",
                json!({}),
                None,
            )
            .await?;
            tx.execute("select 1/0", &[]).await?;
            Ok(())
        })
        .await;
    assert!(rolled_back.is_err());
    let n: i64 = app
        .scalar("select count(*) from app.webhook_deliveries")
        .await;
    assert_eq!(n, 0);
    let jobs: i64 = app
        .scalar("select count(*) from app.jobs where kind = 'deliver_webhook'")
        .await;
    assert_eq!(jobs, 0);

    // A queued delivery whose endpoint is deleted is not sent.
    order(&app, "fiber-x", "del-1").await;
    let resp = app
        .authed(
            Method::DELETE,
            &format!("/v1/admin/webhooks/{id}"),
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    app.run_jobs().await;
    assert_eq!(received(&server).await.len(), 0);
    let resp = get(
        &app,
        &manager,
        "fiber-x",
        &format!("/v1/admin/webhooks/{id}"),
    )
    .await;
    assert_problem(resp, 404).await;
}
