//! Stock that never oversells: checkout under contention, idempotency, payment exactly once,
//! expiry, the ledger, fulfilment, and brand isolation.

use std::collections::HashMap;

use brandhouse::identity::Role;
use futures::{StreamExt, stream};
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem};

const A: &str = "FBX-HAIR-0001";
const B: &str = "FBX-HAIR-0002";

/// The two brands and zones of [`TestApp::two_brands`], two Fiber X products (A, B) and one
/// Suzume product, none with stock yet.
async fn shop() -> TestApp {
    TestApp::spawn_unstocked_shop().await
}

async fn statuses(responses: Vec<reqwest::Response>) -> HashMap<u16, usize> {
    let mut out = HashMap::new();
    for r in responses {
        let status = r.status().as_u16();
        if status != 201 && status != 409 {
            panic!("unexpected {status}: {}", r.text().await.unwrap());
        }
        *out.entry(status).or_default() += 1;
    }
    out
}

async fn concurrently<F, Fut>(n: usize, f: F) -> Vec<reqwest::Response>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    stream::iter(0..n)
        .map(f)
        .buffer_unordered(n)
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_checkouts_of_the_last_twenty_units_sell_exactly_twenty() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 20).await;
    let app = &app;
    let responses = concurrently(64, |i| async move {
        app.checkout("fiber-x", &format!("k{i}"), &[(A, 1)], None)
            .await
    })
    .await;
    let counts = statuses(responses).await;
    assert_eq!(counts.get(&201), Some(&20), "{counts:?}");
    assert_eq!(counts.get(&409), Some(&44), "{counts:?}");
    assert_eq!(app.stock_of(A, "BER").await, (20, 20));
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_lines_sharing_one_stock_row_cannot_oversell_it() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 20).await;
    // The bundle case: each order's two lines draw on the same row.
    let app = &app;
    let responses = concurrently(64, |i| async move {
        app.checkout("fiber-x", &format!("k{i}"), &[(A, 1), (A, 1)], None)
            .await
    })
    .await;
    let counts = statuses(responses).await;
    assert_eq!(counts.get(&201), Some(&10), "{counts:?}");
    assert_eq!(app.stock_of(A, "BER").await, (20, 20));
    // A single order asking for more than the row has, across its lines, is refused whole.
    let resp = app
        .checkout("fiber-x", "big", &[(A, 1), (A, 1)], None)
        .await;
    let body = assert_problem(resp, 409).await;
    assert_eq!(
        body["unavailable"],
        json!([{"sku": A, "requested": 2, "available": 0}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_locking_rows_in_opposite_orders_never_surface_deadlocks() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 30).await;
    app.receive("fiber-x", B, "BER", 30).await;
    let app = &app;
    let responses = concurrently(64, |i| async move {
        let lines: &[(&str, i32)] = if i % 2 == 0 {
            &[(A, 1), (B, 1)]
        } else {
            &[(B, 1), (A, 1)]
        };
        app.checkout("fiber-x", &format!("k{i}"), lines, None).await
    })
    .await;
    let counts = statuses(responses).await;
    assert_eq!(counts.get(&201), Some(&30), "{counts:?}");
    assert_eq!(app.stock_of(A, "BER").await, (30, 30));
    assert_eq!(app.stock_of(B, "BER").await, (30, 30));
}

#[tokio::test]
async fn a_checkout_fails_as_a_whole_listing_each_short_sku() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 5).await;
    app.receive("fiber-x", B, "HAM", 1).await;
    let resp = app.checkout("fiber-x", "k", &[(A, 3), (B, 2)], None).await;
    let body = assert_problem(resp, 409).await;
    assert_eq!(
        body["unavailable"],
        json!([{"sku": B, "requested": 2, "available": 1}])
    );
    assert_eq!(app.stock_of(A, "BER").await, (5, 0), "nothing reserved");
}

#[tokio::test]
async fn a_line_is_split_across_zones_preferred_zone_first() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 3).await;
    app.receive("fiber-x", A, "HAM", 3).await;
    let resp = app.checkout("fiber-x", "k", &[(A, 5)], Some("HAM")).await;
    assert_eq!(resp.status(), 201);
    let order: serde_json::Value = resp.json().await.unwrap();
    // Allocations are listed by zone code; HAM (preferred) gave all it had, BER the rest.
    assert_eq!(
        order["lines"][0]["allocations"],
        json!([{"zone": "BER", "quantity": 2, "status": "active"}, {"zone": "HAM", "quantity": 3, "status": "active"}])
    );
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["total_minor"], 7500);
    // The answer is built from what the checkout wrote; the replay reads it back: the same.
    let replay = app.checkout("fiber-x", "k", &[(A, 5)], Some("HAM")).await;
    assert_eq!(replay.status(), 200);
    let replay: serde_json::Value = replay.json().await.unwrap();
    assert_eq!(replay, order);
    // order.created names the number the order got, in its subject and payload.
    let (subject, payload): (String, serde_json::Value) = {
        let row = app
            .db
            .admin()
            .await
            .query_one(
                "select subject, payload from app.events where type = 'order.created'",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(subject, order["number"].to_string());
    assert_eq!(payload["number"], order["number"]);
    assert_eq!(payload["order_id"], order["id"]);
    let instant = |v: &serde_json::Value| {
        v.as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    assert_eq!(
        instant(&payload["holds_expire_at"]),
        instant(&order["holds_expire_at"])
    );
    assert!(app.ledger_mismatches().await.is_empty());
    // Without a preference, zone priority decides (BER first).
    app.receive("fiber-x", B, "BER", 1).await;
    app.receive("fiber-x", B, "HAM", 1).await;
    let order: serde_json::Value = app
        .checkout("fiber-x", "k2", &[(B, 1)], None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["lines"][0]["allocations"][0]["zone"], "BER");
    // An unknown zone is named.
    let body = assert_problem(
        app.checkout("fiber-x", "k3", &[(B, 1)], Some("NOPE")).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "preferred_zone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_checkout_retried_concurrently_with_one_key_reserves_once() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 10).await;
    let shared = &app;
    let responses = concurrently(12, |_| async move {
        shared
            .checkout("fiber-x", "same-key", &[(A, 3)], None)
            .await
    })
    .await;
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    let mut created = 0;
    for r in responses {
        match r.status().as_u16() {
            201 => created += 1,
            200 => assert_eq!(r.headers()["idempotent-replayed"], "true"),
            other => panic!("{other}"),
        }
        let body: serde_json::Value = r.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
        tokens.push(body["access_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(created, 1);
    ids.dedup();
    tokens.dedup();
    assert_eq!((ids.len(), tokens.len()), (1, 1));
    assert_eq!(app.stock_of(A, "BER").await, (10, 3));
    // The same key for a different request is refused.
    let body = assert_problem(
        app.checkout("fiber-x", "same-key", &[(A, 4)], None).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key");
    // A missing key is a 400.
    let resp = app
        .client
        .post(app.url("/v1/storefront/checkouts"))
        .header("X-Tenant-ID", "fiber-x")
        .json(&json!({"lines": [{"sku": A, "quantity": 1}], "customer": {"name": "x", "email": "x@y.z"}}))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 400).await;
}

fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

const SECRET: &str = "a-payment-secret-for-tests";

async fn set_payment_secret(app: &TestApp, slug: &str) {
    let manager = app.manager(slug).await;
    let resp = app
        .authed(
            Method::PATCH,
            "/v1/admin/brand/order-settings",
            &manager,
            Some(slug),
        )
        .json(&json!({"payment_webhook_secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "hold_minutes": 15,
            "has_payment_webhook_secret": true,
            "max_units_per_sku": 20,
            "max_open_orders_per_customer": 3,
            "prices_include_tax": false,
            "tax_origin_country": null
        })
    );
}

async fn pay(
    app: &TestApp,
    event: &str,
    order: &serde_json::Value,
    signature: Option<String>,
) -> reqwest::Response {
    let body = serde_json::to_vec(&json!({
        "event_id": event, "order_id": order["id"], "status": "succeeded",
        "amount_minor": order["total_minor"], "currency": order["currency"],
    }))
    .unwrap();
    let sig = signature.unwrap_or_else(|| sign(SECRET, &body));
    app.client
        .post(app.url("/v1/payments/callback"))
        .header("X-Tenant-ID", "fiber-x")
        .header("content-type", "application/json")
        .header("X-Payment-Signature", sig)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payment_is_confirmed_exactly_once_under_concurrent_retries() {
    let app = shop().await;
    set_payment_secret(&app, "fiber-x").await;
    app.receive("fiber-x", A, "BER", 10).await;
    let order: serde_json::Value = app
        .checkout("fiber-x", "k", &[(A, 4)], None)
        .await
        .json()
        .await
        .unwrap();

    let shared = &app;
    let responses = concurrently(10, |i| {
        // Half the deliveries repeat one event; the others are distinct events for the order.
        let event = if i % 2 == 0 {
            "evt_1".to_owned()
        } else {
            format!("evt_{i}")
        };
        let order = order.clone();
        async move { pay(shared, &event, &order, None).await }
    })
    .await;
    let mut outcomes = Vec::new();
    for r in responses {
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["order_status"], "paid");
        outcomes.push(body["outcome"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        outcomes.iter().filter(|o| *o == "confirmed").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| ["confirmed", "duplicate", "already_paid"].contains(&o.as_str()))
    );
    assert_eq!(app.stock_of(A, "BER").await, (6, 0));
    let sales: i64 = app
        .scalar("select count(*) from app.stock_movements where kind = 'sale'")
        .await;
    assert_eq!(sales, 1);
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test]
async fn a_tampered_or_missing_payment_signature_changes_nothing() {
    let app = shop().await;
    set_payment_secret(&app, "fiber-x").await;
    app.receive("fiber-x", A, "BER", 10).await;
    let order: serde_json::Value = app
        .checkout("fiber-x", "k", &[(A, 1)], None)
        .await
        .json()
        .await
        .unwrap();
    let forged = sign("not-the-secret-at-all", b"{}");
    for sig in [
        Some(forged),
        Some("sha256=zz".to_owned()),
        Some("md5=abc".to_owned()),
    ] {
        assert_problem(pay(&app, "evt_x", &order, sig).await, 401).await;
    }
    // No signature header at all.
    let resp = app
        .client
        .post(app.url("/v1/payments/callback"))
        .header("X-Tenant-ID", "fiber-x")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&json!({"event_id": "e", "order_id": order["id"], "status": "succeeded", "amount_minor": 1500, "currency": "EUR"})).unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(resp, 401).await;
    // A body changed after signing.
    let body = serde_json::to_vec(&json!({"event_id": "e2", "order_id": order["id"], "status": "succeeded", "amount_minor": 1500, "currency": "EUR"})).unwrap();
    let sig = sign(SECRET, &body);
    let mut tampered = body.clone();
    let at = tampered.len() - 3;
    tampered[at] = b'X';
    let resp = app
        .client
        .post(app.url("/v1/payments/callback"))
        .header("X-Tenant-ID", "fiber-x")
        .header("content-type", "application/json")
        .header("X-Payment-Signature", sig)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_problem(resp, 401).await;

    let status: String = app.scalar("select status from app.orders").await;
    assert_eq!(status, "pending_payment");
    let events: i64 = app.scalar("select count(*) from app.payment_events").await;
    assert_eq!(events, 0);
    assert_eq!(app.stock_of(A, "BER").await, (10, 1));
}

async fn expire_now(app: &TestApp) {
    app.db
        .admin()
        .await
        .batch_execute(
            "update app.holds set expires_at = now() - interval '1 second' where status = 'active'; \
             update app.orders set holds_expire_at = now() - interval '1 second' where status = 'pending_payment'; \
             update app.jobs set run_at = now() - interval '1 second' where status = 'queued'",
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_holds_free_stock_before_the_sweeper_and_two_sweepers_expire_each_hold_once() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 2).await;
    for i in 0..2 {
        assert_eq!(
            app.checkout("fiber-x", &format!("old{i}"), &[(A, 1)], None)
                .await
                .status(),
            201
        );
    }
    assert_problem(
        app.checkout("fiber-x", "blocked", &[(A, 1)], None).await,
        409,
    )
    .await;
    expire_now(&app).await;

    // No sweeper has run: the expired holds do not block a new checkout.
    assert_eq!(
        app.checkout("fiber-x", "new", &[(A, 1)], None)
            .await
            .status(),
        201
    );
    // Storefront availability already counts the other expired hold as free.
    let detail: serde_json::Value = app
        .storefront_get("fiber-x", "/v1/storefront/products/1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["variants"][0]["available"], 1);

    // Two sweepers at once: every hold is expired once, both old orders end expired.
    let settings = brandhouse::jobs::WorkerSettings {
        enabled: true,
        poll: std::time::Duration::from_millis(10),
        batch: 1,
        claim: std::time::Duration::from_secs(60),
        concurrency: 1,
    };
    let (s1, s2) = (app.state.clone(), app.state.clone());
    let (set1, set2) = (settings.clone(), settings.clone());
    let t1 = tokio::spawn(async move {
        let mut n = 0;
        while s1.run_due_jobs(&set1).await.unwrap() > 0 {
            n += 1
        }
        n
    });
    let t2 = tokio::spawn(async move {
        let mut n = 0;
        while s2.run_due_jobs(&set2).await.unwrap() > 0 {
            n += 1
        }
        n
    });
    let ran = t1.await.unwrap() + t2.await.unwrap();
    assert!(ran >= 2);
    let admin = app.db.admin().await;
    let (done, max_attempts): (i64, i32) = admin
        .query_one("select count(*), max(attempts) from app.jobs where kind = 'expire_order' and status = 'done'", &[])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!((done, max_attempts), (2, 1), "each expiry job ran once");

    let per_hold: Vec<i64> = admin
        .query(
            "select count(*) from app.stock_movements where kind = 'expire' group by hold_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(per_hold, [1, 1]);
    let expired: i64 = app
        .scalar("select count(*) from app.orders where status = 'expired'")
        .await;
    assert_eq!(expired, 2);
    assert_eq!(app.stock_of(A, "BER").await, (2, 1));
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test]
async fn a_payment_after_expiry_takes_the_units_again_or_becomes_a_conflict_never_an_oversell() {
    let app = shop().await;
    set_payment_secret(&app, "fiber-x").await;
    app.receive("fiber-x", A, "BER", 1).await;
    let first: serde_json::Value = app
        .checkout("fiber-x", "first", &[(A, 1)], None)
        .await
        .json()
        .await
        .unwrap();
    expire_now(&app).await;
    // Stock allows: re-reserved and paid.
    let body: serde_json::Value = pay(&app, "evt_1", &first, None).await.json().await.unwrap();
    assert_eq!(
        (body["outcome"].as_str(), body["order_status"].as_str()),
        (Some("rereserved"), Some("paid"))
    );
    assert_eq!(app.stock_of(A, "BER").await, (0, 0));

    // Now a second order expires and its units are sold to someone else first.
    app.receive("fiber-x", A, "BER", 1).await;
    let second: serde_json::Value = app
        .checkout("fiber-x", "second", &[(A, 1)], None)
        .await
        .json()
        .await
        .unwrap();
    expire_now(&app).await;
    assert_eq!(
        app.checkout("fiber-x", "third", &[(A, 1)], None)
            .await
            .status(),
        201
    );
    let body: serde_json::Value = pay(&app, "evt_2", &second, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (body["outcome"].as_str(), body["order_status"].as_str()),
        (Some("payment_conflict"), Some("payment_conflict"))
    );
    assert_eq!(
        app.stock_of(A, "BER").await,
        (1, 1),
        "the third order's hold stands; nothing oversold"
    );
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test]
async fn cancelling_releases_holds_and_illegal_transitions_are_409() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 5).await;
    let manager = app
        .staff("fiber-x", Role::BrandManager, "bm@fiber-x.test")
        .await;
    let warehouse = app
        .staff("fiber-x", Role::Warehouse, "wh@fiber-x.test")
        .await;
    let order: serde_json::Value = app
        .checkout("fiber-x", "k", &[(A, 2)], None)
        .await
        .json()
        .await
        .unwrap();
    let n = order["number"].as_i64().unwrap();
    let post = |who, path: String| app.authed(Method::POST, &path, who, Some("fiber-x")).send();

    assert_problem(
        post(&warehouse, format!("/v1/admin/orders/{n}/ship"))
            .await
            .unwrap(),
        409,
    )
    .await;
    let resp = post(&manager, format!("/v1/admin/orders/{n}/cancel"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(app.stock_of(A, "BER").await, (5, 0));
    assert_problem(
        post(&manager, format!("/v1/admin/orders/{n}/cancel"))
            .await
            .unwrap(),
        409,
    )
    .await;

    // Pay by hand, pick, ship; a shipped order cannot be cancelled (a paid one that has not
    // shipped can: tests/api/returns.rs).
    let order: serde_json::Value = app
        .checkout("fiber-x", "k2", &[(A, 3)], Some("BER"))
        .await
        .json()
        .await
        .unwrap();
    let n = order["number"].as_i64().unwrap();
    let resp: serde_json::Value = post(&manager, format!("/v1/admin/orders/{n}/mark-paid"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resp["outcome"], "confirmed");
    let again: serde_json::Value = post(&manager, format!("/v1/admin/orders/{n}/mark-paid"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["outcome"], "already_paid");
    let picks: serde_json::Value = app
        .authed(
            Method::GET,
            "/v1/admin/fulfilment/pick-list?zone=BER",
            &warehouse,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        picks,
        json!([{"zone": "BER", "sku": A, "product_name": "Argan Oil", "quantity": 3, "orders": [n],
                "deliveries": [{"order": n, "shipping_method": null, "shipping_address": null}],
                 "lines": [{"order": n, "quantity": 3}]}])
    );
    let shipped: serde_json::Value = post(&warehouse, format!("/v1/admin/orders/{n}/ship"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shipped["status"], "shipped");
    assert_eq!(app.stock_of(A, "BER").await, (2, 0));
    assert_problem(
        post(&manager, format!("/v1/admin/orders/{n}/cancel"))
            .await
            .unwrap(),
        409,
    )
    .await;

    // The staff view shows the order's movements; support may read but not manage.
    let support = app.staff("fiber-x", Role::Support, "su@fiber-x.test").await;
    let detail: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/v1/admin/orders/{n}"),
            &support,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = detail["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reserve", "sale"]);
    // Shipped from where it was sold: one shipment without tracking, nothing left to pick.
    assert_eq!(detail["shipments"][0]["zone"], "BER");
    assert!(detail["shipments"][0]["carrier"].is_null());
    assert_eq!(detail["lines"][0]["shipped_quantity"], 3);
    assert_problem(
        post(&support, format!("/v1/admin/orders/{n}/mark-paid"))
            .await
            .unwrap(),
        403,
    )
    .await;
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test]
async fn the_customer_reads_their_order_with_its_token_only() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 5).await;
    let order: serde_json::Value = app
        .checkout("fiber-x", "k", &[(A, 1)], None)
        .await
        .json()
        .await
        .unwrap();
    let id = order["id"].as_str().unwrap();
    let token = order["access_token"].as_str().unwrap();
    let get = |brand: &'static str, t: String| {
        app.client
            .get(app.url(&format!("/v1/storefront/orders/{id}")))
            .header("X-Tenant-ID", brand)
            .header("X-Order-Token", t)
            .send()
    };
    let resp = get("fiber-x", token.to_owned()).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["id"], order["id"]);
    assert!(body.get("access_token").is_none());
    assert_problem(get("fiber-x", format!("{token}x")).await.unwrap(), 404).await;
    // The token is bound to the brand too.
    assert_problem(get("suzume", token.to_owned()).await.unwrap(), 404).await;

    // It has a lifetime, said at checkout: ORDER_TOKEN_TTL_DAYS (90 by default) after the order
    // was placed. A leaked token does not read the order, its customer's name and email, forever.
    let placed: chrono::DateTime<chrono::Utc> =
        order["created_at"].as_str().unwrap().parse().unwrap();
    let expires: chrono::DateTime<chrono::Utc> = order["access_token_expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires - placed, chrono::TimeDelta::days(90));
    app.db
        .admin()
        .await
        .execute(
            "update app.orders set created_at = now() - interval '90 days 1 second' where id = $1",
            &[&uuid::Uuid::parse_str(id).unwrap()],
        )
        .await
        .unwrap();
    assert_problem(get("fiber-x", token.to_owned()).await.unwrap(), 404).await;
}

#[tokio::test]
async fn a_fiber_x_checkout_cannot_name_a_suzume_sku_and_stock_endpoints_hide_other_brands() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 5).await;
    app.receive("suzume", "SZM-SKIN-0001", "BER", 5).await;
    let body = assert_problem(
        app.checkout("fiber-x", "k", &[("SZM-SKIN-0001", 1)], None)
            .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "lines[0].sku");
    assert_eq!(app.stock_of("SZM-SKIN-0001", "BER").await, (5, 0));

    let fx = app
        .staff("fiber-x", Role::Warehouse, "wh@fiber-x.test")
        .await;
    for (method, path, body) in [
        (
            Method::POST,
            "/v1/admin/stock/receive",
            json!({"sku": "SZM-SKIN-0001", "zone": "BER", "quantity": 1}),
        ),
        (
            Method::POST,
            "/v1/admin/stock/adjust",
            json!({"sku": "SZM-SKIN-0001", "zone": "BER", "delta": -1, "reason": "x"}),
        ),
        (
            Method::POST,
            "/v1/admin/stock/transfer",
            json!({"sku": "SZM-SKIN-0001", "from_zone": "BER", "to_zone": "HAM", "quantity": 1}),
        ),
    ] {
        let resp = app
            .authed(method, path, &fx, Some("fiber-x"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(resp, 404).await;
    }
    let rows: serde_json::Value = app
        .authed(
            Method::GET,
            "/v1/admin/stock?sku=SZM-SKIN-0001",
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rows, json!([]));
    let moves: serde_json::Value = app
        .authed(
            Method::GET,
            "/v1/admin/stock/movements?sku=SZM-SKIN-0001",
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(moves, json!([]));
    assert_eq!(app.stock_of("SZM-SKIN-0001", "BER").await, (5, 0));
}

#[tokio::test]
async fn warehouse_receives_adjusts_and_transfers_with_a_ledger_and_low_stock() {
    let app = shop().await;
    let wh = app
        .staff("fiber-x", Role::Warehouse, "wh@fiber-x.test")
        .await;
    let post = |path: &'static str, body: serde_json::Value| {
        app.authed(Method::POST, path, &wh, Some("fiber-x"))
            .json(&body)
            .send()
    };
    assert_eq!(
        post(
            "/v1/admin/stock/receive",
            json!({"sku": A, "zone": "BER", "quantity": 10})
        )
        .await
        .unwrap()
        .status(),
        200
    );
    app.checkout("fiber-x", "k", &[(A, 4)], None).await;
    // Adjusting below what is held is refused; a reason is required.
    assert_problem(
        post(
            "/v1/admin/stock/adjust",
            json!({"sku": A, "zone": "BER", "delta": -7, "reason": "count"}),
        )
        .await
        .unwrap(),
        409,
    )
    .await;
    let body = assert_problem(
        post(
            "/v1/admin/stock/adjust",
            json!({"sku": A, "zone": "BER", "delta": -1}),
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "reason");
    assert_eq!(
        post(
            "/v1/admin/stock/adjust",
            json!({"sku": A, "zone": "BER", "delta": -2, "reason": "damaged"})
        )
        .await
        .unwrap()
        .status(),
        200
    );
    // Transfer only what is not held.
    assert_problem(
        post(
            "/v1/admin/stock/transfer",
            json!({"sku": A, "from_zone": "BER", "to_zone": "HAM", "quantity": 5}),
        )
        .await
        .unwrap(),
        409,
    )
    .await;
    let t: serde_json::Value = post(
        "/v1/admin/stock/transfer",
        json!({"sku": A, "from_zone": "BER", "to_zone": "HAM", "quantity": 4}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(t["from"]["on_hand"], 4);
    assert_eq!(t["to"]["on_hand"], 4);
    let moves: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/v1/admin/stock/movements?sku={A}"),
            &wh,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = moves
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "transfer_in",
            "transfer_out",
            "adjust",
            "reserve",
            "receive"
        ]
    );
    assert_eq!(moves[2]["reason"], "damaged");
    assert_eq!(moves[2]["role"], "warehouse");
    // The ledger's numbering is shared by every brand: no entry shows it.
    assert!(
        moves
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m.get("id").is_none()),
        "{moves}"
    );

    // Low stock: available below the variant's threshold.
    app.db
        .admin()
        .await
        .execute(
            "update app.variants set reorder_threshold = 5 where sku = $1",
            &[&A],
        )
        .await
        .unwrap();
    let low: serde_json::Value = app
        .authed(Method::GET, "/v1/admin/stock/low", &wh, Some("fiber-x"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        low,
        json!([{"sku": A, "product_name": "Argan Oil", "reorder_threshold": 5, "available": 4}])
    );
    assert!(app.ledger_mismatches().await.is_empty());
}

/// What one step of [`after_random_operations_every_stock_row_equals_its_ledger`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Step {
    Received,
    Adjusted,
    AdjustRefused,
    Transferred,
    TransferRefused,
    CheckedOut,
    CheckoutRefused,
    Paid,
    PaymentConflict,
    Cancelled,
    CancelRefused,
    Expired,
    NothingToExpire,
}

/// The ledger explains every stock figure after a random mix of everything that changes stock.
/// Every operation's outcome is checked against what it may legitimately answer (a refusal is
/// fine, an error is not), and each kind must have changed stock often enough that the
/// property was tested on real changes, not on a run of refusals.
#[tokio::test]
async fn after_random_operations_every_stock_row_equals_its_ledger() {
    use brandhouse::inventory::service::{self as stock, StockError};

    let app = shop().await;
    set_payment_secret(&app, "fiber-x").await;
    let manager = app
        .staff("fiber-x", Role::BrandManager, "bm2@fiber-x.test")
        .await;
    let scope = app.scope("fiber-x").await;
    let db = &app.state.db;
    let skus = [A, B];
    let zones = ["BER", "HAM"];
    let mut orders: Vec<serde_json::Value> = Vec::new();
    let mut done: std::collections::BTreeMap<Step, usize> = Default::default();
    for seed in 0..3u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        for step in 0..60 {
            let sku = skus[rng.random_range(0..2)];
            let zone = zones[rng.random_range(0..2)];
            let other = if zone == "BER" { "HAM" } else { "BER" };
            let at = format!("seed {seed}, step {step}");
            let outcome = match rng.random_range(0..8) {
                0 | 1 => {
                    stock::receive(db, &scope, sku, zone, rng.random_range(1..6), None)
                        .await
                        .unwrap_or_else(|e| panic!("{at}: receive: {e:?}"));
                    Step::Received
                }
                2 => {
                    // Never zero: that is a 422, not a stock change.
                    let delta = [-3, -2, -1, 1, 2, 3][rng.random_range(0..6)];
                    match stock::adjust(db, &scope, sku, zone, delta, Some("count".into())).await {
                        Ok(_) => Step::Adjusted,
                        Err(StockError::Conflict(_)) => Step::AdjustRefused,
                        Err(e) => panic!("{at}: adjust {delta}: {e:?}"),
                    }
                }
                3 => {
                    let quantity = rng.random_range(1..4);
                    match stock::transfer(db, &scope, sku, zone, other, quantity).await {
                        Ok(_) => Step::Transferred,
                        Err(StockError::Conflict(_)) => Step::TransferRefused,
                        Err(e) => panic!("{at}: transfer: {e:?}"),
                    }
                }
                4 | 5 => {
                    let resp = app
                        .checkout(
                            "fiber-x",
                            &format!("s{seed}-{step}"),
                            &[(sku, rng.random_range(1..4))],
                            None,
                        )
                        .await;
                    match resp.status().as_u16() {
                        201 => {
                            orders.push(resp.json().await.unwrap());
                            Step::CheckedOut
                        }
                        409 => Step::CheckoutRefused,
                        other => panic!("{at}: checkout: {other} {}", resp.text().await.unwrap()),
                    }
                }
                6 if !orders.is_empty() => {
                    let o = orders.swap_remove(rng.random_range(0..orders.len()));
                    if rng.random_bool(0.5) {
                        let resp = pay(&app, &format!("e{seed}-{step}"), &o, None).await;
                        assert_eq!(resp.status(), 200, "{at}: payment");
                        let body: serde_json::Value = resp.json().await.unwrap();
                        // A pending order is confirmed; an expired one is paid again if stock
                        // allows (rereserved), else it waits for a human.
                        match (body["outcome"].as_str(), body["order_status"].as_str()) {
                            (Some("confirmed" | "rereserved"), Some("paid")) => Step::Paid,
                            (Some("payment_conflict"), Some("payment_conflict")) => {
                                Step::PaymentConflict
                            }
                            other => panic!("{at}: payment: {other:?}"),
                        }
                    } else {
                        let resp = app
                            .authed(
                                Method::POST,
                                &format!("/v1/admin/orders/{}/cancel", o["number"]),
                                &manager,
                                Some("fiber-x"),
                            )
                            .send()
                            .await
                            .unwrap();
                        match resp.status().as_u16() {
                            200 => Step::Cancelled,
                            // Only an order that expired meanwhile may refuse.
                            409 => Step::CancelRefused,
                            other => panic!("{at}: cancel: {other} {}", resp.text().await.unwrap()),
                        }
                    }
                }
                _ => {
                    let pending: i64 = app
                        .scalar("select count(*) from app.orders where status = 'pending_payment'")
                        .await;
                    expire_now(&app).await;
                    app.run_jobs().await;
                    let still: i64 = app
                        .scalar("select count(*) from app.orders where status = 'pending_payment'")
                        .await;
                    assert_eq!(still, 0, "{at}: every pending order expired");
                    if pending > 0 {
                        Step::Expired
                    } else {
                        Step::NothingToExpire
                    }
                }
            };
            *done.entry(outcome).or_default() += 1;
            let mismatches = app.ledger_mismatches().await;
            assert!(mismatches.is_empty(), "{at}: {mismatches:?}");
        }
    }
    // Every kind of change happened often enough to matter. The seeds are fixed, so the counts
    // are too (47 receipts, 22 adjustments, 13 transfers, 45 checkouts, 9 payments, 14
    // cancellations, 10 expiry runs that expired orders); the floors, about half of that,
    // leave room to change the mix without rewriting them.
    for (kind, floor) in [
        (Step::Received, 20),
        (Step::Adjusted, 10),
        (Step::Transferred, 5),
        (Step::CheckedOut, 20),
        (Step::Paid, 4),
        (Step::Cancelled, 5),
        (Step::Expired, 4),
    ] {
        let n = done.get(&kind).copied().unwrap_or(0);
        assert!(
            n >= floor,
            "only {n} x {kind:?} (at least {floor}): {done:?}"
        );
    }
    let paid: i64 = app
        .scalar("select count(*) from app.orders where status = 'paid'")
        .await;
    let paid_steps = done.get(&Step::Paid).copied().unwrap_or(0);
    assert_eq!(usize::try_from(paid).unwrap(), paid_steps, "{done:?}");
    let negative: i64 = app
        .scalar("select count(*) from app.stock where reserved < 0 or reserved > on_hand")
        .await;
    assert_eq!(negative, 0);
}
