//! Business events: the outbox written in each change's own transaction, the polling list, the
//! live streams and their tickets, and, written as the old system's bug (one brand's order
//! updates pushed to another brand's dashboard), brand streams that see exactly their own
//! events while two brands' orders are paid at once.

use std::{collections::HashSet, time::Duration};

use brandhouse::{
    db::DbError,
    events::{self, EventType},
    identity::Role,
};
use futures::{StreamExt, stream};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{SHOP_SKU_FIBER_X, Signed, TestApp};

async fn post(app: &TestApp, who: &Signed, slug: &str, path: &str) -> reqwest::Response {
    app.authed(Method::POST, path, who, Some(slug))
        .send()
        .await
        .unwrap()
}

async fn list(app: &TestApp, who: &Signed, slug: &str, after: i64) -> Value {
    let resp = app
        .authed(
            Method::GET,
            &format!("/v1/admin/events?after={after}"),
            who,
            Some(slug),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

fn types(page: &Value) -> Vec<&str> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_order_change_writes_its_event_and_each_role_reads_its_own_groups() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let warehouse = app
        .staff("fiber-x", Role::Warehouse, "wh@fiber-x.test")
        .await;
    let support = app
        .staff("fiber-x", Role::Support, "support@fiber-x.test")
        .await;
    // A reorder threshold of 498: the second order's unit takes the available units below it.
    let resp = app
        .authed(
            Method::PATCH,
            &format!("/v1/admin/variants/{SHOP_SKU_FIBER_X}"),
            &manager,
            Some("fiber-x"),
        )
        .json(&json!({"reorder_threshold": 499}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());

    let first = app.order_one_unit("fiber-x", "ev-1").await;
    let second = app.order_one_unit("fiber-x", "ev-2").await;
    let (n1, n2) = (
        first["number"].as_i64().unwrap(),
        second["number"].as_i64().unwrap(),
    );
    assert_eq!(
        post(
            &app,
            &manager,
            "fiber-x",
            &format!("/v1/admin/orders/{n1}/mark-paid")
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        post(
            &app,
            &manager,
            "fiber-x",
            &format!("/v1/admin/orders/{n1}/ship")
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        post(
            &app,
            &manager,
            "fiber-x",
            &format!("/v1/admin/orders/{n2}/cancel")
        )
        .await
        .status(),
        200
    );

    let all = list(&app, &manager, "fiber-x", 0).await;
    assert_eq!(
        types(&all),
        [
            "order.created",
            "stock.low",
            "order.created",
            "order.paid",
            "shipment.created",
            "order.shipped",
            "order.cancelled"
        ],
        "{all:#}"
    );
    let seqs: Vec<i64> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(all["next_after"], 7);
    let created = &all["events"][0];
    assert_eq!(created["brand"], "fiber-x");
    assert_eq!(created["subject"], n1.to_string());
    assert_eq!(created["data"]["order_id"], first["id"]);
    assert_eq!(created["customer"]["email"], "ev-1@buyer.test");
    // The payload itself never carries who ordered.
    assert!(!created["data"].to_string().contains("buyer.test"));
    let low = &all["events"][1];
    assert_eq!(low["subject"], SHOP_SKU_FIBER_X);
    assert_eq!(low["data"]["available"], 498);
    // One crossing, one event: the second order is below the threshold already.
    assert_eq!(types(&all).iter().filter(|t| **t == "stock.low").count(), 1);
    // Resuming after 4 gives 5, 6 and 7.
    assert_eq!(
        types(&list(&app, &manager, "fiber-x", 4).await),
        ["shipment.created", "order.shipped", "order.cancelled"]
    );

    // The warehouse gets payment, shipping and stock, without who ordered.
    let seen = list(&app, &warehouse, "fiber-x", 0).await;
    assert_eq!(
        types(&seen),
        [
            "stock.low",
            "order.paid",
            "shipment.created",
            "order.shipped"
        ]
    );
    assert!(
        seen["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["customer"].is_null())
    );
    // Support gets conversations only: none yet.
    assert_eq!(
        types(&list(&app, &support, "fiber-x", 0).await),
        Vec::<&str>::new()
    );
}

#[tokio::test]
async fn a_rolled_back_change_leaves_no_event_and_a_refused_checkout_writes_none() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let scope = app.scope("fiber-x").await;
    // An event written, then the transaction fails: neither the event nor its number stays.
    let failed: Result<(), DbError> = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            events::record(tx, EventType::OrderPaid, "1", json!({}), None).await?;
            tx.execute("select 1/0", &[]).await?;
            Ok(())
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.events").await,
        0
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.event_counters")
            .await,
        0
    );
    // A checkout refused for want of stock leaves nothing either.
    app.create_product("fiber-x", "HAIR", "Strong Gel", "active", json!([]))
        .await;
    let resp = app
        .checkout("fiber-x", "none-left", &[("FBX-HAIR-0002", 1)], None)
        .await;
    assert_eq!(resp.status(), 409);
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.events").await,
        0
    );
    // The next event that commits is number 1.
    app.order_one_unit("fiber-x", "ok").await;
    assert_eq!(
        app.scalar::<i64>("select max(seq) from app.events").await,
        1
    );
}

#[tokio::test]
async fn another_brands_events_are_invisible_and_cannot_be_written_in_its_name() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    app.order_one_unit("fiber-x", "fx").await;
    let fiber_x = app.scope("fiber-x").await;
    let suzume = app.scope("suzume").await;
    let fbx_id = fiber_x.tenant_id();
    // Suzume's transaction sees no Fiber X event, even when it asks for it by brand.
    let seen: i64 = app
        .state
        .db
        .tenant_tx(&suzume, async |tx| {
            let row = tx
                .query_one(
                    "select count(*) from app.events where tenant_id = $1",
                    &[&fbx_id],
                )
                .await?;
            Ok::<_, DbError>(row.get(0))
        })
        .await
        .unwrap();
    assert_eq!(seen, 0);
    // Nor can it write an event, or advance a counter, as Fiber X.
    let forged = app
        .state
        .db
        .tenant_tx(&suzume, async |tx| {
            tx.execute(
                "insert into app.events (tenant_id, seq, type, subject, payload) \
                 values ($1, 99, 'order.paid', '1', '{}')",
                &[&fbx_id],
            )
            .await?;
            Ok::<_, DbError>(())
        })
        .await;
    assert!(
        forged.is_err(),
        "a Suzume transaction wrote a Fiber X event"
    );
    let bumped = app
        .state
        .db
        .tenant_tx(&suzume, async |tx| {
            Ok::<_, DbError>(
                tx.execute(
                    "update app.event_counters set last_seq = last_seq + 1 where tenant_id = $1",
                    &[&fbx_id],
                )
                .await?,
            )
        })
        .await
        .unwrap();
    assert_eq!(bumped, 0);
    // Suzume's own numbering starts at 1, whatever Fiber X's is.
    app.order_one_unit("fiber-x", "fx2").await;
    app.order_one_unit("suzume", "sz").await;
    assert_eq!(
        app.scalar::<i64>(
            "select seq from app.events e join app.tenants t on t.id = e.tenant_id \
             where t.slug = 'suzume'"
        )
        .await,
        1
    );
}

/// One Server-Sent Events frame.
#[derive(Debug, Clone)]
struct Frame {
    id: String,
    event: String,
    data: Value,
}

/// An open event stream, read frame by frame (heartbeat comments skipped).
struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(req: reqwest::RequestBuilder) -> Self {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            resp,
            buf: String::new(),
        }
    }

    async fn next(&mut self) -> Frame {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if data.is_empty() {
                    continue; // a heartbeat
                }
                return Frame {
                    id,
                    event,
                    data: serde_json::from_str(&data).unwrap(),
                };
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.resp.chunk())
                .await
                .expect("an event within 20 s")
                .unwrap()
                .expect("the stream is still open");
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Frames up to and including the first whose data matches `last`.
    async fn until(&mut self, mut last: impl FnMut(&Value) -> bool) -> Vec<Frame> {
        let mut out = Vec::new();
        loop {
            let f = self.next().await;
            let done = last(&f.data);
            out.push(f);
            if done {
                return out;
            }
        }
    }
}

fn stream_of(
    app: &TestApp,
    who: &Signed,
    slug: &str,
    last_id: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut req = app.authed(Method::GET, "/v1/admin/events/stream", who, Some(slug));
    if let Some(id) = last_id {
        req = req.header("Last-Event-ID", id);
    }
    req
}

/// Order ids in `frames` (order events only).
fn order_ids(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| f.data["data"]["order_id"].as_str().map(str::to_owned))
        .collect()
}

/// Pays `orders` of both brands at once: (slug, number, who).
async fn pay_all(app: &TestApp, orders: &[(&str, i64, &Signed)]) {
    let responses: Vec<u16> = stream::iter(orders)
        .map(|(slug, n, who)| async move {
            post(app, who, slug, &format!("/v1/admin/orders/{n}/mark-paid"))
                .await
                .status()
                .as_u16()
        })
        .buffer_unordered(orders.len())
        .collect()
        .await;
    assert!(responses.iter().all(|s| *s == 200), "{responses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_brand_stream_sees_exactly_its_own_events_in_order_while_two_brands_pay_at_once() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let owner = app.owner("owner@company.test").await;
    let fx = app.manager("fiber-x").await;
    let sz = app.manager("suzume").await;
    // The owner's company dashboard is open from the start (before the brand's first event).
    let mut company =
        Sse::open(app.authed(Method::GET, "/v1/admin/events/company/stream", &owner, None)).await;
    const N: usize = 12;
    let mut fx_orders = Vec::new();
    let mut sz_orders = Vec::new();
    for i in 0..N {
        fx_orders.push(app.order_one_unit("fiber-x", &format!("fx-{i}")).await);
        sz_orders.push(app.order_one_unit("suzume", &format!("sz-{i}")).await);
    }
    let ids = |orders: &[Value]| -> HashSet<String> {
        orders
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (fx_ids, sz_ids) = (ids(&fx_orders), ids(&sz_orders));

    // The three dashboards are open before the payments start.
    let mut fx_stream = Sse::open(stream_of(&app, &fx, "fiber-x", None)).await;
    let mut sz_stream = Sse::open(stream_of(&app, &sz, "suzume", None)).await;

    // Both brands' orders paid at the same time, interleaved.
    let mut payments = Vec::new();
    for i in 0..N {
        payments.push(("fiber-x", fx_orders[i]["number"].as_i64().unwrap(), &fx));
        payments.push(("suzume", sz_orders[i]["number"].as_i64().unwrap(), &sz));
    }
    pay_all(&app, &payments).await;
    // A last order in each brand marks the end of what each stream should have received.
    let fx_marker = app.order_one_unit("fiber-x", "fx-end").await;
    let sz_marker = app.order_one_unit("suzume", "sz-end").await;
    let is = |marker: &Value| {
        let id = marker["id"].clone();
        move |d: &Value| d["data"]["order_id"] == id
    };

    for (frames, own, other, slug) in [
        (
            fx_stream.until(is(&fx_marker)).await,
            &fx_ids,
            &sz_ids,
            "fiber-x",
        ),
        (
            sz_stream.until(is(&sz_marker)).await,
            &sz_ids,
            &fx_ids,
            "suzume",
        ),
    ] {
        // Exactly its own N payments, then its marker: nothing of the other brand.
        assert_eq!(frames.len(), N + 1, "{slug}: {frames:#?}");
        let paid: HashSet<String> = order_ids(&frames[..N]).into_iter().collect();
        assert_eq!(&paid, own, "{slug}");
        assert!(frames.iter().all(|f| f.data["brand"] == slug), "{slug}");
        let all_text: String = frames.iter().map(|f| f.data.to_string()).collect();
        for foreign in other {
            assert!(!all_text.contains(foreign.as_str()), "{slug} saw {foreign}");
        }
        // In the brand's order: consecutive numbers, the SSE id being the number.
        let seqs: Vec<i64> = frames
            .iter()
            .map(|f| f.data["seq"].as_i64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{slug}: {seqs:?}"
        );
        assert!(
            frames
                .iter()
                .all(|f| f.id.parse::<i64>().ok() == f.data["seq"].as_i64())
        );
        assert!(frames[..N].iter().all(|f| f.event == "order.paid"));
    }

    // The company stream: both brands, each labelled, each brand's events in its order.
    let mut got_fx = false;
    let mut got_sz = false;
    let frames = company
        .until(|d| {
            got_fx |= d["data"]["order_id"] == fx_marker["id"];
            got_sz |= d["data"]["order_id"] == sz_marker["id"];
            got_fx && got_sz
        })
        .await;
    // Per brand: its N orders placed, its N payments, its marker; nothing else.
    assert_eq!(frames.len(), 2 * (2 * N + 1), "{frames:#?}");
    for (slug, own) in [("fiber-x", &fx_ids), ("suzume", &sz_ids)] {
        let mine: Vec<&Frame> = frames.iter().filter(|f| f.data["brand"] == slug).collect();
        assert_eq!(mine.len(), 2 * N + 1);
        assert_eq!(mine[0].data["seq"], 1);
        let seqs: Vec<i64> = mine
            .iter()
            .map(|f| f.data["seq"].as_i64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{slug}: {seqs:?}"
        );
        let paid: HashSet<String> = mine
            .iter()
            .filter(|f| f.event == "order.paid")
            .filter_map(|f| f.data["data"]["order_id"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(&paid, own);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reconnecting_stream_resumes_after_last_event_id_without_gaps_or_another_brands_events() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let owner = app.owner("owner@company.test").await;
    let fx = app.manager("fiber-x").await;
    let sz = app.manager("suzume").await;
    let mut fx_stream = Sse::open(stream_of(&app, &fx, "fiber-x", None)).await;
    let mut company =
        Sse::open(app.authed(Method::GET, "/v1/admin/events/company/stream", &owner, None)).await;
    let first = app.order_one_unit("fiber-x", "a").await;
    let f1 = fx_stream.next().await;
    assert_eq!(f1.data["data"]["order_id"], first["id"]);
    let c1 = company.next().await;
    assert_eq!(c1.data["data"]["order_id"], first["id"]);
    // Both dashboards drop; meanwhile both brands keep selling.
    drop(fx_stream);
    drop(company);
    let mut missed = Vec::new();
    for i in 0..5 {
        missed.push(app.order_one_unit("fiber-x", &format!("m-{i}")).await["id"].clone());
        app.order_one_unit("suzume", &format!("s-{i}")).await;
    }
    // Reconnecting with the last id seen gets exactly the missed ones, in order.
    let mut fx_stream = Sse::open(stream_of(&app, &fx, "fiber-x", Some(&f1.id))).await;
    let mut resumed = Vec::new();
    for _ in 0..5 {
        resumed.push(fx_stream.next().await);
    }
    let got: Vec<Value> = resumed
        .iter()
        .map(|f| f.data["data"]["order_id"].clone())
        .collect();
    assert_eq!(got, missed);
    assert!(resumed.iter().all(|f| f.data["brand"] == "fiber-x"));
    // The company stream resumes from its own cursor (both brands' positions): Fiber X's and
    // Suzume's missed events, each brand's in order.
    let mut company = Sse::open(
        app.authed(Method::GET, "/v1/admin/events/company/stream", &owner, None)
            .header("Last-Event-ID", &c1.id),
    )
    .await;
    let mut brands = Vec::new();
    for _ in 0..10 {
        let f = company.next().await;
        assert_ne!(f.data["data"]["order_id"], first["id"], "delivered twice");
        brands.push(f.data["brand"].as_str().unwrap().to_owned());
    }
    assert_eq!(brands.iter().filter(|b| *b == "fiber-x").count(), 5);
    assert_eq!(brands.iter().filter(|b| *b == "suzume").count(), 5);
    // A Suzume manager cannot read Fiber X's stream by naming it, nor the company's.
    let resp = stream_of(&app, &sz, "fiber-x", Some("0"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = app
        .authed(Method::GET, "/v1/admin/events/company/stream", &sz, None)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // A bad cursor is a 400 naming the header.
    let resp = stream_of(&app, &fx, "fiber-x", Some("yesterday"))
        .send()
        .await
        .unwrap();
    let body = crate::helpers::assert_problem(resp, 422).await;
    assert!(body.to_string().contains("Last-Event-ID"), "{body}");
}

async fn ticket(
    app: &TestApp,
    who: &Signed,
    brand: Option<&str>,
    company: bool,
) -> reqwest::Response {
    app.authed(Method::POST, "/v1/admin/events/tickets", who, brand)
        .json(&json!({"company": company}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_browser_opens_its_brands_stream_with_a_short_lived_ticket_never_the_token() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let owner = app.owner("owner@company.test").await;
    let fx = app.manager("fiber-x").await;
    let sz = app.manager("suzume").await;
    let resp = ticket(&app, &fx, Some("fiber-x"), false).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let t = body["ticket"].as_str().unwrap().to_owned();
    assert!(!t.contains(&fx.token), "the ticket carries the token");
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .starts_with("/v1/admin/events/stream?ticket=")
    );

    // No Authorization header, no X-Tenant-ID: what EventSource sends. The brand is the ticket's.
    let url = app.url(body["url"].as_str().unwrap());
    let mut stream = Sse::open(app.client.get(&url)).await;
    let placed = app.order_one_unit("fiber-x", "t1").await;
    app.order_one_unit("suzume", "t2").await;
    let f = stream.next().await;
    assert_eq!(f.data["data"]["order_id"], placed["id"]);
    assert_eq!(f.data["brand"], "fiber-x");

    // The ticket names its brand: it does not open Suzume's stream.
    let resp = app
        .client
        .get(&url)
        .header("X-Tenant-ID", "suzume")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // Nor the company stream, nor a tampered ticket anything.
    let resp = app
        .client
        .get(app.url(&format!("/v1/admin/events/company/stream?ticket={t}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = app
        .client
        .get(app.url(&format!("/v1/admin/events/stream?ticket={t}x")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // A Suzume manager gets no ticket for Fiber X; only the owner one for the company.
    assert_eq!(
        ticket(&app, &sz, Some("fiber-x"), false).await.status(),
        403
    );
    assert_eq!(ticket(&app, &fx, None, true).await.status(), 403);
    let company: Value = ticket(&app, &owner, None, true).await.json().await.unwrap();
    assert!(
        company["url"]
            .as_str()
            .unwrap()
            .starts_with("/v1/admin/events/company/stream?ticket=")
    );
    let resp = app
        .client
        .get(app.url(company["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    drop(resp);
    // Signing out voids the session's tickets.
    let resp = app
        .authed(Method::POST, "/v1/auth/logout", &fx, None)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let resp = app.client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_stops_reading_is_disconnected_instead_of_growing_a_buffer() {
    let app = TestApp::spawn_two_brand_shop(&[
        ("EVENTS_STREAM_BUFFER", "4"),
        ("EVENTS_SEND_TIMEOUT_MS", "200"),
    ])
    .await;
    let fx = app.manager("fiber-x").await;
    let resp = stream_of(&app, &fx, "fiber-x", None).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // Events far beyond what the buffer and the sockets hold, written straight into the
    // outbox (as many changes would), while the client reads nothing.
    let scope = app.scope("fiber-x").await;
    let big = "x".repeat(4000);
    for _ in 0..40 {
        app.state
            .db
            .tenant_tx(&scope, async |tx| {
                for _ in 0..100 {
                    events::record(tx, EventType::StockLow, "s", json!({"pad": big}), None).await?;
                }
                Ok::<_, DbError>(())
            })
            .await
            .unwrap();
    }
    // The server gives up on the client: its subscription ends.
    crate::helpers::eventually(
        "the slow stream is closed",
        Duration::from_secs(30),
        || async { (app.state.events.subscribers() == 0).then_some(()) },
    )
    .await;
    drop(resp);
}
