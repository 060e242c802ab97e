//! Returns and refunds: returns beyond what shipped refused (also concurrently), the
//! request/approve/receive flow through the ledger, refunds beyond what was captured refused,
//! idempotent by key, settled exactly once by concurrent callbacks, cancelling a paid order
//! (restock and refund), the ledger after random sequences, net revenue for the owner only,
//! and one brand attacking another's returns and refunds over HTTP and in SQL.

use brandhouse::identity::Role;
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Signed, TestApp, assert_problem};

const A: &str = "FBX-HAIR-0001";
const B: &str = "FBX-HAIR-0002";
const SECRET: &str = "a-payment-secret-for-refund-tests";

/// The unstocked shop with 50 units of A and B in BER, Fiber X's payment secret set.
async fn shop() -> (TestApp, Signed) {
    let app = TestApp::spawn_unstocked_shop().await;
    app.receive("fiber-x", A, "BER", 50).await;
    app.receive("fiber-x", B, "BER", 50).await;
    let manager = app.manager("fiber-x").await;
    let resp = app
        .authed(
            Method::PATCH,
            "/v1/admin/brand/order-settings",
            &manager,
            Some("fiber-x"),
        )
        .json(&json!({"payment_webhook_secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    (app, manager)
}

async fn send(
    app: &TestApp,
    who: &Signed,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.authed(method, path, who, Some("fiber-x"));
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

async fn ok(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A paid Fiber X order of `lines`; returns its number and total.
async fn paid_order(
    app: &TestApp,
    manager: &Signed,
    key: &str,
    lines: &[(&str, i32)],
) -> (i64, i64) {
    let resp = app.checkout("fiber-x", key, lines, Some("BER")).await;
    let placed = ok(resp, 201).await;
    let n = placed["number"].as_i64().unwrap();
    ok(
        send(
            app,
            manager,
            Method::POST,
            &format!("/v1/admin/orders/{n}/mark-paid"),
            None,
        )
        .await,
        200,
    )
    .await;
    (n, placed["total_minor"].as_i64().unwrap())
}

async fn ship(app: &TestApp, manager: &Signed, n: i64, lines: &[(&str, i32)]) {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(s, q)| json!({"sku": s, "quantity": q}))
        .collect();
    ok(
        send(
            app,
            manager,
            Method::POST,
            &format!("/v1/admin/orders/{n}/shipments"),
            Some(json!({"carrier": "DHL", "zone": "BER", "lines": lines})),
        )
        .await,
        201,
    )
    .await;
}

fn return_body(lines: &[(&str, i32)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(s, q)| json!({"sku": s, "quantity": q}))
        .collect();
    json!({"reason": "does not suit", "lines": lines})
}

async fn request_return(
    app: &TestApp,
    who: &Signed,
    n: i64,
    lines: &[(&str, i32)],
) -> reqwest::Response {
    send(
        app,
        who,
        Method::POST,
        &format!("/v1/admin/orders/{n}/returns"),
        Some(return_body(lines)),
    )
    .await
}

async fn refund(app: &TestApp, who: &Signed, n: i64, key: &str, body: Value) -> reqwest::Response {
    app.authed(
        Method::POST,
        &format!("/v1/admin/orders/{n}/refunds"),
        who,
        Some("fiber-x"),
    )
    .header("Idempotency-Key", key)
    .json(&body)
    .send()
    .await
    .unwrap()
}

fn sign(body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The provider's signed callback settling `refund`.
async fn settle(
    app: &TestApp,
    event: &str,
    order_id: &str,
    refund: &Value,
    status: &str,
) -> reqwest::Response {
    let body = serde_json::to_vec(&json!({
        "event_id": event, "order_id": order_id, "status": status,
        "amount_minor": refund["amount_minor"], "currency": refund["currency"],
        "refund_id": refund["id"],
    }))
    .unwrap();
    app.client
        .post(app.url("/v1/payments/callback"))
        .header("X-Tenant-ID", "fiber-x")
        .header("content-type", "application/json")
        .header("X-Payment-Signature", sign(&body))
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn order_view(app: &TestApp, who: &Signed, n: i64) -> Value {
    ok(
        send(
            app,
            who,
            Method::GET,
            &format!("/v1/admin/orders/{n}"),
            None,
        )
        .await,
        200,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn returns_beyond_shipped_units_are_refused_also_concurrently() {
    let (app, manager) = shop().await;
    let (n, _) = paid_order(&app, &manager, "r1", &[(A, 4), (B, 1)]).await;
    // Nothing shipped yet: nothing to return.
    assert_problem(request_return(&app, &manager, n, &[(A, 1)]).await, 409).await;
    ship(&app, &manager, n, &[(A, 3)]).await;
    // More than shipped, a SKU that did not ship, a SKU not in the order.
    let p = assert_problem(request_return(&app, &manager, n, &[(A, 4)]).await, 422).await;
    assert_eq!(p["errors"][0]["field"], "lines[0].quantity", "{p}");
    assert_problem(request_return(&app, &manager, n, &[(B, 1)]).await, 422).await;
    assert_problem(
        request_return(&app, &manager, n, &[("SZM-SKIN-0001", 1)]).await,
        422,
    )
    .await;

    // Ten concurrent requests of one unit each: exactly the three shipped units are returned.
    let support = app
        .staff("fiber-x", Role::Support, "support@fiber-x.test")
        .await;
    let responses = join_all((0..10).map(|_| request_return(&app, &support, n, &[(A, 1)]))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 201, 201, 422, 422, 422, 422, 422, 422, 422]);
    let in_returns: i64 = app
        .scalar("select coalesce(sum(quantity), 0)::bigint from app.return_lines")
        .await;
    assert_eq!(in_returns, 3);

    // A rejected return frees its units; an approved one does not.
    let list = ok(
        send(
            &app,
            &manager,
            Method::GET,
            &format!("/v1/admin/orders/{n}/returns"),
            None,
        )
        .await,
        200,
    )
    .await;
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    // Support may request, not decide.
    assert_problem(
        send(
            &app,
            &support,
            Method::POST,
            &format!("/v1/admin/returns/{}/reject", ids[0]),
            Some(json!({})),
        )
        .await,
        403,
    )
    .await;
    let rejected = ok(
        send(
            &app,
            &manager,
            Method::POST,
            &format!("/v1/admin/returns/{}/reject", ids[0]),
            Some(json!({"note": "opened and used"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decision_note"], "opened and used");
    assert_problem(
        send(
            &app,
            &manager,
            Method::POST,
            &format!("/v1/admin/returns/{}/approve", ids[0]),
            Some(json!({})),
        )
        .await,
        409,
    )
    .await;
    ok(request_return(&app, &support, n, &[(A, 1)]).await, 201).await;
    assert_problem(request_return(&app, &support, n, &[(A, 1)]).await, 422).await;
    // A partially shipped order cannot be cancelled: returns are the way.
    let p = assert_problem(
        send(
            &app,
            &manager,
            Method::POST,
            &format!("/v1/admin/orders/{n}/cancel"),
            None,
        )
        .await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("return"), "{p}");
}

#[tokio::test]
async fn a_return_is_approved_and_received_through_the_ledger() {
    let (app, manager) = shop().await;
    let (n, _) = paid_order(&app, &manager, "r2", &[(A, 3)]).await;
    ship(&app, &manager, n, &[(A, 3)]).await;
    app.create_zone("RET", 50).await;
    let support = app
        .staff("fiber-x", Role::Support, "support@fiber-x.test")
        .await;
    let warehouse = app
        .staff("fiber-x", Role::Warehouse, "wh@fiber-x.test")
        .await;
    let r = ok(request_return(&app, &support, n, &[(A, 2)]).await, 201).await;
    assert_eq!(r["status"], "requested");
    assert_eq!(
        r["lines"],
        json!([{"sku": A, "quantity": 2, "resellable_quantity": null, "written_off_quantity": null, "write_off_reason": null}])
    );
    let id = r["id"].as_str().unwrap().to_owned();
    let receive = json!({"zone": "RET", "lines": [{"sku": A, "resellable": 1, "written_off": 1, "write_off_reason": "seal broken"}]});
    // Not approved yet.
    assert_problem(
        send(
            &app,
            &warehouse,
            Method::POST,
            &format!("/v1/admin/returns/{id}/receive"),
            Some(receive.clone()),
        )
        .await,
        409,
    )
    .await;
    // The warehouse may not approve; support may not receive.
    assert_problem(
        send(
            &app,
            &warehouse,
            Method::POST,
            &format!("/v1/admin/returns/{id}/approve"),
            Some(json!({})),
        )
        .await,
        403,
    )
    .await;
    assert_problem(
        send(
            &app,
            &support,
            Method::POST,
            &format!("/v1/admin/returns/{id}/receive"),
            Some(receive.clone()),
        )
        .await,
        403,
    )
    .await;
    ok(
        send(
            &app,
            &manager,
            Method::POST,
            &format!("/v1/admin/returns/{id}/approve"),
            Some(json!({})),
        )
        .await,
        200,
    )
    .await;
    // Units must add up; a write-off needs its reason.
    let bad = json!({"zone": "RET", "lines": [{"sku": A, "resellable": 1, "written_off": 0}]});
    assert_problem(
        send(
            &app,
            &warehouse,
            Method::POST,
            &format!("/v1/admin/returns/{id}/receive"),
            Some(bad),
        )
        .await,
        422,
    )
    .await;
    let bad = json!({"zone": "RET", "lines": [{"sku": A, "resellable": 1, "written_off": 1}]});
    assert_problem(
        send(
            &app,
            &warehouse,
            Method::POST,
            &format!("/v1/admin/returns/{id}/receive"),
            Some(bad),
        )
        .await,
        422,
    )
    .await;
    let bad = json!({"zone": "NOPE", "lines": [{"sku": A, "resellable": 2, "written_off": 0}]});
    assert_problem(
        send(
            &app,
            &warehouse,
            Method::POST,
            &format!("/v1/admin/returns/{id}/receive"),
            Some(bad),
        )
        .await,
        422,
    )
    .await;
    assert!(app.stock_of(A, "BER").await == (47, 0));

    let received = ok(
        send(
            &app,
            &warehouse,
            Method::POST,
            &format!("/v1/admin/returns/{id}/receive"),
            Some(receive.clone()),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(received["status"], "received");
    assert_eq!(received["zone"], "RET");
    assert_eq!(received["lines"][0]["resellable_quantity"], 1);
    assert_eq!(received["lines"][0]["written_off_quantity"], 1);
    assert_eq!(received["lines"][0]["write_off_reason"], "seal broken");
    // One resellable unit more in RET; the written-off one arrived and left the books.
    assert_eq!(app.stock_of(A, "RET").await, (1, 0));
    let kinds: Vec<(String, i32, Option<String>)> = app
        .db
        .admin()
        .await
        .query("select kind, on_hand_delta, reason from app.stock_movements where kind in ('return', 'write_off') order by id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        kinds,
        [
            ("return".to_owned(), 2, Some(format!("return of order {n}"))),
            ("write_off".to_owned(), -1, Some("seal broken".to_owned())),
        ]
    );
    assert!(app.ledger_mismatches().await.is_empty());
    // Received once only.
    assert_problem(
        send(
            &app,
            &warehouse,
            Method::POST,
            &format!("/v1/admin/returns/{id}/receive"),
            Some(receive),
        )
        .await,
        409,
    )
    .await;
    // The order's movements show the return; the events went out without personal data.
    let order = order_view(&app, &manager, n).await;
    assert!(
        order["movements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "write_off")
    );
    let events = ok(
        send(
            &app,
            &manager,
            Method::GET,
            "/v1/admin/events?after=0",
            None,
        )
        .await,
        200,
    )
    .await;
    let types: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"return.requested") && types.contains(&"return.received"),
        "{types:?}"
    );
    let audited: i64 = app
        .scalar("select count(*) from app.audit_log where action in ('return.request', 'return.approve', 'return.receive')")
        .await;
    assert_eq!(audited, 3);
    // The warehouse reads the return.
    let got = ok(
        send(
            &app,
            &warehouse,
            Method::GET,
            &format!("/v1/admin/returns/{id}"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(got["status"], "received");
}

#[tokio::test]
async fn refunds_never_exceed_what_was_captured_and_are_idempotent_by_key() {
    let (app, manager) = shop().await;
    let (n, total) = paid_order(&app, &manager, "f1", &[(A, 3)]).await;
    assert_eq!(total, 4500);
    // More than captured, nothing named, bad amounts: refused, nothing written.
    let p = assert_problem(
        refund(&app, &manager, n, "k0", json!({"amount_minor": total + 1})).await,
        409,
    )
    .await;
    assert_eq!(p["type"], "urn:problem:brandhouse:refund-exceeds-captured");
    assert_problem(refund(&app, &manager, n, "k0", json!({})).await, 422).await;
    assert_problem(
        refund(&app, &manager, n, "k0", json!({"amount_minor": -5})).await,
        422,
    )
    .await;
    assert_problem(
        refund(&app, &manager, n, "k0", json!({"amount_minor": i64::MAX})).await,
        422,
    )
    .await;
    assert_problem(
        refund(
            &app,
            &manager,
            n,
            "k0",
            json!({"lines": [{"sku": A, "quantity": 4}]}),
        )
        .await,
        422,
    )
    .await;
    assert_problem(
        refund(
            &app,
            &manager,
            n,
            "k0",
            json!({"amount_minor": 1, "reason": "a\u{0}b"}),
        )
        .await,
        422,
    )
    .await;
    assert_problem(
        refund(
            &app,
            &manager,
            n,
            &"k".repeat(201),
            json!({"amount_minor": 1}),
        )
        .await,
        422,
    )
    .await;
    assert_problem(
        refund(&app, &manager, n, "k0", json!({"shipping": true})).await,
        409,
    )
    .await;
    let none: i64 = app.scalar("select count(*) from app.refunds").await;
    assert_eq!(none, 0);

    // One unit's share, then ten concurrent retries with one key: one refund.
    let body = json!({"lines": [{"sku": A, "quantity": 1}], "reason": "damaged in transit"});
    let first = ok(refund(&app, &manager, n, "k1", body.clone()).await, 201).await;
    assert_eq!(first["amount_minor"], 1500);
    assert_eq!(first["lines_minor"], 1500);
    assert_eq!(first["status"], "requested");
    let retries = join_all((0..10).map(|_| refund(&app, &manager, n, "k1", body.clone()))).await;
    for r in retries {
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["idempotent-replayed"], "true");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["id"], first["id"]);
    }
    // The key with another request: 422.
    assert_problem(
        refund(&app, &manager, n, "k1", json!({"amount_minor": 10})).await,
        422,
    )
    .await;
    let count: i64 = app.scalar("select count(*) from app.refunds").await;
    assert_eq!(count, 1);

    // Concurrent refunds with different keys never exceed the rest: 3000 left, ten of 1000.
    let keys: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
    let responses = join_all(
        keys.iter()
            .map(|k| refund(&app, &manager, n, k, json!({"amount_minor": 1000}))),
    )
    .await;
    let created = responses.iter().filter(|r| r.status() == 201).count();
    let refused = responses.iter().filter(|r| r.status() == 409).count();
    assert_eq!((created, refused), (3, 7));
    let taken: i64 = app
        .scalar("select sum(amount_minor)::bigint from app.refunds where status <> 'failed'")
        .await;
    assert_eq!(taken, total);
    let listed = ok(
        send(
            &app,
            &manager,
            Method::GET,
            &format!("/v1/admin/orders/{n}/refunds"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed["captured_minor"], total);
    assert_eq!(listed["pending_minor"], total);
    assert_eq!(listed["refundable_minor"], 0);
    assert_eq!(listed["refunds"].as_array().unwrap().len(), 4);
    // The support role reads but may not refund.
    let support = app
        .staff("fiber-x", Role::Support, "support@fiber-x.test")
        .await;
    assert_problem(
        refund(&app, &support, n, "s1", json!({"amount_minor": 1})).await,
        403,
    )
    .await;
    // An unpaid order cannot be refunded.
    let resp = app.checkout("fiber-x", "unpaid", &[(A, 1)], None).await;
    let unpaid = ok(resp, 201).await["number"].as_i64().unwrap();
    assert_problem(
        refund(&app, &manager, unpaid, "u1", json!({"amount_minor": 1})).await,
        409,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_is_settled_exactly_once_under_concurrent_callbacks() {
    let (app, manager) = shop().await;
    let (n, total) = paid_order(&app, &manager, "cb", &[(A, 2)]).await;
    let order = order_view(&app, &manager, n).await;
    let order_id = order["id"].as_str().unwrap().to_owned();
    let first = ok(
        refund(
            &app,
            &manager,
            n,
            "r1",
            json!({"lines": [{"sku": A, "quantity": 1}]}),
        )
        .await,
        201,
    )
    .await;

    // Twenty concurrent deliveries of one event.
    let responses =
        join_all((0..20).map(|_| settle(&app, "rf_evt_1", &order_id, &first, "refunded"))).await;
    let mut outcomes = Vec::new();
    for r in responses {
        let b = ok(r, 200).await;
        outcomes.push(b["outcome"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        outcomes.iter().filter(|o| *o == "refunded").count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| *o == "duplicate").count(),
        19,
        "{outcomes:?}"
    );
    let order = order_view(&app, &manager, n).await;
    assert_eq!(order["refunded_minor"], 1500);
    assert_eq!(order["status"], "paid");

    // Two different events for the second refund, concurrently: one settles it.
    let second = ok(
        refund(
            &app,
            &manager,
            n,
            "r2",
            json!({"lines": [{"sku": A, "quantity": 1}]}),
        )
        .await,
        201,
    )
    .await;
    let responses =
        join_all(["rf_evt_2", "rf_evt_3"].map(|e| settle(&app, e, &order_id, &second, "refunded")))
            .await;
    let mut outcomes = Vec::new();
    for r in responses {
        outcomes.push(ok(r, 200).await["outcome"].as_str().unwrap().to_owned());
    }
    outcomes.sort();
    assert_eq!(outcomes, ["already_settled", "refunded"]);
    let order = order_view(&app, &manager, n).await;
    assert_eq!(order["refunded_minor"], total);
    assert_eq!(order["status"], "refunded", "the whole total went back");
    let settled: i64 = app
        .scalar("select count(*) from app.payment_events where outcome = 'refunded'")
        .await;
    assert_eq!(settled, 2);
    // Nothing ships from a refunded order; a new payment event changes nothing.
    assert_problem(
        send(
            &app,
            &manager,
            Method::POST,
            &format!("/v1/admin/orders/{n}/ship"),
            None,
        )
        .await,
        409,
    )
    .await;
    // A wrong amount is refused and recorded nowhere; an unknown refund is 404.
    let mut wrong = second.clone();
    wrong["amount_minor"] = json!(1);
    assert_problem(
        settle(&app, "rf_evt_4", &order_id, &wrong, "refunded").await,
        409,
    )
    .await;
    let mut unknown = second.clone();
    unknown["id"] = json!(uuid::Uuid::new_v4());
    assert_problem(
        settle(&app, "rf_evt_5", &order_id, &unknown, "refunded").await,
        404,
    )
    .await;
    let events: i64 = app.scalar("select count(*) from app.payment_events").await;
    assert_eq!(events, 3);

    // A failed refund frees its amount for another.
    let (n2, _) = paid_order(&app, &manager, "cb2", &[(B, 1)]).await;
    let o2 = order_view(&app, &manager, n2).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let whole = ok(
        refund(
            &app,
            &manager,
            n2,
            "w1",
            json!({"lines": [{"sku": B, "quantity": 1}]}),
        )
        .await,
        201,
    )
    .await;
    assert_problem(
        refund(&app, &manager, n2, "w2", json!({"amount_minor": 1})).await,
        409,
    )
    .await;
    let b = ok(
        settle(&app, "rf_fail_1", &o2, &whole, "refund_failed").await,
        200,
    )
    .await;
    assert_eq!(b["outcome"], "refund_failed");
    let again = ok(
        refund(
            &app,
            &manager,
            n2,
            "w3",
            json!({"lines": [{"sku": B, "quantity": 1}]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(again["amount_minor"], 1500);
    let types: Vec<String> = app
        .db
        .admin()
        .await
        .query(
            "select type from app.events where type like 'refund.%' order by seq",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        types,
        [
            "refund.requested",
            "refund.refunded",
            "refund.requested",
            "refund.refunded",
            "refund.requested",
            "refund.failed",
            "refund.requested"
        ]
    );
}

#[tokio::test]
async fn cancelling_a_paid_order_restocks_it_and_refunds_it_once() {
    let (app, manager) = shop().await;
    let (n, total) = paid_order(&app, &manager, "cx", &[(A, 3), (B, 2)]).await;
    assert_eq!(app.stock_of(A, "BER").await, (47, 0));
    // A partial refund first: the cancellation refunds the rest.
    ok(
        refund(&app, &manager, n, "p1", json!({"amount_minor": 500})).await,
        201,
    )
    .await;
    let cancelled = ok(
        send(
            &app,
            &manager,
            Method::POST,
            &format!("/v1/admin/orders/{n}/cancel"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(app.stock_of(A, "BER").await, (50, 0));
    assert_eq!(app.stock_of(B, "BER").await, (50, 0));
    let restocks: i64 = app
        .scalar("select sum(on_hand_delta)::bigint from app.stock_movements where kind = 'restock'")
        .await;
    assert_eq!(restocks, 5);
    assert!(app.ledger_mismatches().await.is_empty());
    let listed = ok(
        send(
            &app,
            &manager,
            Method::GET,
            &format!("/v1/admin/orders/{n}/refunds"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed["pending_minor"], total);
    assert_eq!(listed["refundable_minor"], 0);
    let by_cancel = &listed["refunds"][1];
    assert_eq!(by_cancel["amount_minor"], total - 500);
    assert_eq!(by_cancel["reason"], "order cancelled after payment");
    // Exactly once: a second cancel is a 409 and changes nothing.
    assert_problem(
        send(
            &app,
            &manager,
            Method::POST,
            &format!("/v1/admin/orders/{n}/cancel"),
            None,
        )
        .await,
        409,
    )
    .await;
    assert_eq!(app.stock_of(A, "BER").await, (50, 0));
    let refunds: i64 = app.scalar("select count(*) from app.refunds").await;
    assert_eq!(refunds, 2);
    let audited: i64 = app
        .scalar("select count(*) from app.audit_log where action = 'order.cancel'")
        .await;
    assert_eq!(audited, 1);
    // The cancellation's refund settles like any other; the order stays cancelled.
    let order_id = cancelled["id"].as_str().unwrap().to_owned();
    let b = ok(
        settle(&app, "cx_evt", &order_id, by_cancel, "refunded").await,
        200,
    )
    .await;
    assert_eq!(b["order_status"], "cancelled");
    assert_eq!(
        order_view(&app, &manager, n).await["refunded_minor"],
        total - 500
    );
}

#[tokio::test]
async fn concurrent_cancels_of_a_paid_order_restock_once() {
    let (app, manager) = shop().await;
    let (n, _) = paid_order(&app, &manager, "cc", &[(A, 4)]).await;
    let path = format!("/v1/admin/orders/{n}/cancel");
    let responses = join_all((0..8).map(|_| send(&app, &manager, Method::POST, &path, None))).await;
    let okays = responses.iter().filter(|r| r.status() == 200).count();
    assert_eq!(okays, 1);
    assert_eq!(app.stock_of(A, "BER").await, (50, 0));
    let refunds: i64 = app.scalar("select count(*) from app.refunds").await;
    assert_eq!(refunds, 1);
    assert!(app.ledger_mismatches().await.is_empty());
}

/// A small deterministic generator (no new dependency): xorshift64*.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

#[tokio::test]
async fn after_random_returns_receptions_refunds_and_cancels_the_ledger_and_the_money_hold() {
    let (app, manager) = shop().await;
    app.create_zone("RET", 50).await;
    let mut rng = Rng(0x5eed_2026);
    let mut orders: Vec<(i64, String)> = Vec::new();
    for step in 0..60 {
        match rng.below(10) {
            0 | 1 if orders.len() < 10 => {
                let (a, b) = (1 + rng.below(3) as i32, rng.below(3) as i32);
                let mut lines = vec![(A, a)];
                if b > 0 {
                    lines.push((B, b));
                }
                let (n, _) = paid_order(&app, &manager, &format!("rand{step}"), &lines).await;
                let id = order_view(&app, &manager, n).await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                orders.push((n, id));
            }
            _ if orders.is_empty() => {}
            0..=3 => {
                let (n, _) = &orders[rng.below(orders.len() as u64) as usize];
                let _ = send(
                    &app,
                    &manager,
                    Method::POST,
                    &format!("/v1/admin/orders/{n}/ship"),
                    None,
                )
                .await;
            }
            4..=6 => {
                let (n, _) = &orders[rng.below(orders.len() as u64) as usize];
                let sku = if rng.below(2) == 0 { A } else { B };
                let resp =
                    request_return(&app, &manager, *n, &[(sku, 1 + rng.below(2) as i32)]).await;
                if resp.status() == 201 {
                    let r: Value = resp.json().await.unwrap();
                    let id = r["id"].as_str().unwrap();
                    if rng.below(4) == 0 {
                        ok(
                            send(
                                &app,
                                &manager,
                                Method::POST,
                                &format!("/v1/admin/returns/{id}/reject"),
                                Some(json!({})),
                            )
                            .await,
                            200,
                        )
                        .await;
                        continue;
                    }
                    ok(
                        send(
                            &app,
                            &manager,
                            Method::POST,
                            &format!("/v1/admin/returns/{id}/approve"),
                            Some(json!({})),
                        )
                        .await,
                        200,
                    )
                    .await;
                    let q = r["lines"][0]["quantity"].as_i64().unwrap();
                    let w = rng.below(q as u64 + 1) as i64;
                    let zone = if rng.below(2) == 0 { "BER" } else { "RET" };
                    let body = json!({"zone": zone, "lines": [{"sku": sku, "resellable": q - w, "written_off": w, "write_off_reason": "damaged"}]});
                    ok(
                        send(
                            &app,
                            &manager,
                            Method::POST,
                            &format!("/v1/admin/returns/{id}/receive"),
                            Some(body),
                        )
                        .await,
                        200,
                    )
                    .await;
                }
            }
            7 | 8 => {
                let (n, id) = &orders[rng.below(orders.len() as u64) as usize];
                let body = match rng.below(3) {
                    0 => json!({"lines": [{"sku": A, "quantity": 1}]}),
                    1 => json!({"amount_minor": 1 + rng.below(2000)}),
                    _ => json!({"lines": [{"sku": B, "quantity": 1}], "amount_minor": 7}),
                };
                let resp = refund(&app, &manager, *n, &format!("rk{step}"), body).await;
                let status = resp.status().as_u16();
                assert!([201, 409, 422].contains(&status), "{status}");
                if status == 201 {
                    let f: Value = resp.json().await.unwrap();
                    let outcome = if rng.below(3) == 0 {
                        "refund_failed"
                    } else {
                        "refunded"
                    };
                    if rng.below(4) != 0 {
                        ok(
                            settle(&app, &format!("ev{step}"), id, &f, outcome).await,
                            200,
                        )
                        .await;
                    }
                }
            }
            _ => {
                let (n, _) = &orders[rng.below(orders.len() as u64) as usize];
                let status = send(
                    &app,
                    &manager,
                    Method::POST,
                    &format!("/v1/admin/orders/{n}/cancel"),
                    None,
                )
                .await
                .status();
                assert!([200, 409].contains(&status.as_u16()));
            }
        }
        assert!(
            app.ledger_mismatches().await.is_empty(),
            "after step {step}"
        );
    }
    // Money: refunds that did not fail never exceed an order's total; confirmed ones are the
    // order's refunded amount.
    let bad: i64 = app
        .scalar(
            "select count(*) from app.orders o where o.refunded_minor <> \
               (select coalesce(sum(amount_minor), 0) from app.refunds f where f.order_id = o.id and f.status = 'refunded') \
             or o.total_minor < (select coalesce(sum(amount_minor), 0) from app.refunds f where f.order_id = o.id and f.status <> 'failed')",
        )
        .await;
    assert_eq!(bad, 0);
    // Returns never exceed what shipped, per line.
    let over: i64 = app
        .scalar(
            "select count(*) from app.order_lines l where \
               (select coalesce(sum(rl.quantity), 0) from app.return_lines rl join app.returns r on r.id = rl.return_id \
                where rl.order_line_id = l.id and r.status <> 'rejected') > \
               (select coalesce(sum(h.shipped_quantity), 0) from app.holds h where h.order_line_id = l.id)",
        )
        .await;
    assert_eq!(over, 0);
    // The sequence did each kind of thing at least once.
    let kinds: i64 = app
        .scalar(
            "select count(distinct kind) from app.stock_movements \
             where kind in ('return', 'write_off', 'restock')",
        )
        .await;
    assert_eq!(
        kinds, 3,
        "returns received, units written off, paid orders cancelled"
    );
    let settled: i64 = app
        .scalar("select count(distinct status) from app.refunds")
        .await;
    assert_eq!(settled, 3, "refunds requested, refunded and failed");
    // Stock in every zone: received - sold + returned - written off + restocked, per the ledger.
    let negative: i64 = app
        .scalar("select count(*) from app.stock where on_hand < 0 or reserved < 0")
        .await;
    assert_eq!(negative, 0);
}

#[tokio::test]
async fn net_revenue_is_captured_minus_confirmed_refunds_for_the_owner_only() {
    let (app, manager) = shop().await;
    let (n, total) = paid_order(&app, &manager, "nr", &[(A, 2)]).await;
    let id = order_view(&app, &manager, n).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let f = ok(
        refund(&app, &manager, n, "nr1", json!({"amount_minor": 700})).await,
        201,
    )
    .await;
    ok(
        refund(&app, &manager, n, "nr2", json!({"amount_minor": 100})).await,
        201,
    )
    .await;
    ok(settle(&app, "nr_evt", &id, &f, "refunded").await, 200).await;
    let owner = app.owner("owner@brandhouse.test").await;
    let report = ok(
        app.authed(Method::GET, "/v1/admin/analytics/net-revenue", &owner, None)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let brands = report["brands"].as_array().unwrap();
    assert_eq!(brands.len(), 1, "{report}");
    assert_eq!(brands[0]["slug"], "fiber-x");
    assert_eq!(brands[0]["currency"], "EUR");
    assert_eq!(brands[0]["captured_minor"], total);
    assert_eq!(
        brands[0]["refunded_minor"], 700,
        "only the confirmed refund"
    );
    assert_eq!(brands[0]["net_minor"], total - 700);
    assert_problem(
        app.authed(
            Method::GET,
            "/v1/admin/analytics/net-revenue",
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap(),
        403,
    )
    .await;
}

#[tokio::test]
async fn suzume_cannot_see_decide_receive_or_refund_fiber_x_returns_and_refunds() {
    let (app, manager) = shop().await;
    let (n, _) = paid_order(&app, &manager, "atk", &[(A, 2)]).await;
    ship(&app, &manager, n, &[(A, 2)]).await;
    let r = ok(request_return(&app, &manager, n, &[(A, 1)]).await, 201).await;
    let return_id = r["id"].as_str().unwrap().to_owned();
    let f = ok(
        refund(&app, &manager, n, "atk1", json!({"amount_minor": 100})).await,
        201,
    )
    .await;
    let refund_id = f["id"].as_str().unwrap().to_owned();
    let order_id = order_view(&app, &manager, n).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // HTTP: Suzume's manager, in Suzume (where no order has this number), or naming Fiber X.
    let suzume = app.manager("suzume").await;
    let as_suzume = |method: Method, path: String, body: Option<Value>| {
        let mut req = app.authed(method, &path, &suzume, Some("suzume"));
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.header("Idempotency-Key", "attack").send()
    };
    for (method, path, body) in [
        (Method::GET, format!("/v1/admin/returns/{return_id}"), None),
        (
            Method::POST,
            format!("/v1/admin/returns/{return_id}/approve"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/admin/returns/{return_id}/reject"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/admin/returns/{return_id}/receive"),
            Some(json!({"zone": "BER"})),
        ),
        (Method::GET, format!("/v1/admin/refunds/{refund_id}"), None),
        (Method::GET, format!("/v1/admin/orders/{n}/returns"), None),
        (Method::GET, format!("/v1/admin/orders/{n}/refunds"), None),
        (
            Method::POST,
            format!("/v1/admin/orders/{n}/returns"),
            Some(return_body(&[(A, 1)])),
        ),
        (
            Method::POST,
            format!("/v1/admin/orders/{n}/refunds"),
            Some(json!({"amount_minor": 1})),
        ),
    ] {
        let resp = as_suzume(method.clone(), path.clone(), body).await.unwrap();
        assert_problem(resp, 404).await;
    }
    let resp = app
        .authed(
            Method::GET,
            &format!("/v1/admin/returns/{return_id}"),
            &suzume,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 403).await;
    // The provider's callback for Suzume cannot settle Fiber X's refund (no secret: 401; and
    // a Suzume secret would not find the order).
    let body = serde_json::to_vec(
        &json!({"event_id": "x", "order_id": order_id, "status": "refunded",
        "amount_minor": 100, "currency": "EUR", "refund_id": refund_id}),
    )
    .unwrap();
    let resp = app
        .client
        .post(app.url("/v1/payments/callback"))
        .header("X-Tenant-ID", "suzume")
        .header("content-type", "application/json")
        .header("X-Payment-Signature", sign(&body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_problem(resp, 401).await;
    assert_eq!(
        app.scalar::<String>("select status from app.returns").await,
        "requested"
    );
    assert_eq!(
        app.scalar::<String>("select status from app.refunds").await,
        "requested"
    );

    // SQL: in a Suzume transaction, Fiber X's rows are invisible, unchangeable, and a row
    // naming Fiber X cannot be written.
    let fiber_x = app.scope("fiber-x").await.tenant_id();
    let scope = app.scope("suzume").await;
    let return_id: uuid::Uuid = return_id.parse().unwrap();
    let refund_id: uuid::Uuid = refund_id.parse().unwrap();
    let order_id: uuid::Uuid = order_id.parse().unwrap();
    let line_id: uuid::Uuid = app.scalar("select id from app.order_lines").await;
    let attacks: [(&str, Vec<&(dyn tokio_postgres::types::ToSql + Sync)>); 4] = [
        (
            "insert into app.returns (tenant_id, order_id, reason) values ($1, $2, 'x')",
            vec![&fiber_x, &order_id],
        ),
        (
            "insert into app.return_lines (tenant_id, return_id, order_line_id, quantity) values ($1, $2, $3, 1)",
            vec![&fiber_x, &return_id, &line_id],
        ),
        (
            "insert into app.refunds (tenant_id, order_id, amount_minor, currency, free_minor) values ($1, $2, 5, 'EUR', 5)",
            vec![&fiber_x, &order_id],
        ),
        (
            "insert into app.refund_lines (tenant_id, refund_id, order_line_id, quantity, amount_minor) values ($1, $2, $3, 1, 1)",
            vec![&fiber_x, &refund_id, &line_id],
        ),
    ];
    for (sql, params) in &attacks {
        app.assert_refused_in(&scope, sql, params).await;
    }
    let (seen, changed) = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            let seen: i64 = tx
                .query_one(
                    "select (select count(*) from app.returns) + (select count(*) from app.return_lines) \
                     + (select count(*) from app.refunds) + (select count(*) from app.refund_lines)",
                    &[],
                )
                .await?
                .get(0);
            let changed = tx
                .execute("update app.refunds set status = 'refunded' where id = $1", &[&refund_id])
                .await?
                + tx.execute("update app.returns set status = 'approved' where id = $1", &[&return_id])
                    .await?;
            Ok::<_, brandhouse::db::DbError>((seen, changed))
        })
        .await
        .unwrap();
    assert_eq!((seen, changed), (0, 0));
}
