//! Customer notifications: a paid or shipped order's customer gets the brand's approved
//! WhatsApp template from the brand's own number, once, in their language, through the
//! recording fake Graph API (a real local server); never another brand's number or token.

use std::sync::atomic::{AtomicUsize, Ordering};

use brandhouse::{
    db::DbError,
    jobs::JobError,
    notify::{self, NotificationEvent},
};
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Respond, ResponseTemplate,
    matchers::{body_partial_json, method, path_regex},
};

use crate::{
    chat::{Assistant, FX_NUMBER, SZ_NUMBER, assistant, deliver, inbound},
    helpers::{Signed, TestApp, assert_problem},
};

/// Meta's answer to an accepted send, with a fresh message id each time.
struct Accepted(AtomicUsize);

impl Respond for Accepted {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "x", "wa_id": "x"}],
            "messages": [{"id": format!("wamid.TPL{n}"), "message_status": "accepted"}]
        }))
    }
}

/// The assistant's two brands (each with its own number and token on the fake Graph API),
/// stock to sell, and template sends answered with fresh message ids.
async fn shop() -> Assistant {
    let a = assistant(&[("DB_POOL_SIZE", "12")]).await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v21\.0/\d+/messages$"))
        .and(body_partial_json(json!({"type": "template"})))
        .respond_with(Accepted(AtomicUsize::new(0)))
        .with_priority(2)
        .mount(&a.graph)
        .await;
    a.app.receive("fiber-x", "FBX-HAIR-0001", "BER", 100).await;
    a.app.receive("suzume", "SZM-SKIN-0001", "BER", 100).await;
    a
}

const SKU: &[(&str, &str)] = &[("fiber-x", "FBX-HAIR-0001"), ("suzume", "SZM-SKIN-0001")];

/// Saves a brand's notification settings and returns them.
async fn configure(app: &TestApp, slug: &str, settings: Value) -> Value {
    let manager = app.manager(slug).await;
    let resp = app
        .authed(
            Method::PATCH,
            "/v1/admin/brand/notification-settings",
            &manager,
            Some(slug),
        )
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// Places an order of one unit for a customer with `phone` (or none); returns the order.
async fn order(app: &TestApp, slug: &str, key: &str, phone: Option<&str>) -> Value {
    let sku = SKU.iter().find(|(s, _)| *s == slug).unwrap().1;
    let resp = app
        .client
        .post(app.url("/v1/storefront/checkouts"))
        .header("X-Tenant-ID", slug)
        .header("Idempotency-Key", key)
        .json(&json!({
            "lines": [{"sku": sku, "quantity": 1}],
            "customer": {"name": "Ana Buyer", "email": format!("{key}@buyer.test"), "phone": phone},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// `POST /v1/admin/orders/{number}/{action}` (`mark-paid`, `ship`) as `who`.
async fn act(app: &TestApp, who: &Signed, slug: &str, order: &Value, action: &str) {
    let path = format!("/v1/admin/orders/{}/{action}", order["number"]);
    let resp = app
        .authed(Method::POST, &path, who, Some(slug))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

/// A template message the fake Graph API was asked to send.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    number: String,
    token: String,
    to: String,
    template: String,
    language: String,
    parameters: Vec<String>,
}

async fn sent_templates(graph: &MockServer) -> Vec<Sent> {
    graph
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).ok()?;
            if body["type"] != "template" {
                return None;
            }
            let path: Vec<&str> = r.url.path().split('/').collect();
            Some(Sent {
                number: path[2].to_owned(),
                token: r
                    .headers
                    .get("authorization")?
                    .to_str()
                    .ok()?
                    .trim_start_matches("Bearer ")
                    .to_owned(),
                to: body["to"].as_str()?.to_owned(),
                template: body["template"]["name"].as_str()?.to_owned(),
                language: body["template"]["language"]["code"].as_str()?.to_owned(),
                parameters: body["template"]["components"][0]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["text"].as_str().map(str::to_owned))
                    .collect(),
            })
        })
        .collect()
}

/// The notification jobs queued so far, across brands.
async fn queued(app: &TestApp) -> i64 {
    app.scalar("select count(*) from app.jobs where kind = 'notify_customer'")
        .await
}

const PAID_ON: &str = "order_paid";
const SHIPPED_ON: &str = "order_shipped";

fn both_events() -> Value {
    json!({
        "paid_enabled": true, "paid_template": PAID_ON,
        "shipped_enabled": true, "shipped_template": SHIPPED_ON,
        "template_languages": ["en_US", "es", "ja"], "default_template_language": "en_US"
    })
}

#[tokio::test]
async fn paying_an_order_sends_one_template_from_the_brands_number_in_the_customers_language() {
    let a = shop().await;
    let app = &a.app;
    configure(app, "fiber-x", both_events()).await;
    // The customer wrote to Fiber X's number before, in Spanish.
    deliver(
        app,
        inbound(
            FX_NUMBER,
            "wamid.IN1",
            "34600111222",
            "Hola, ¿tenéis champú?",
        ),
    )
    .await;
    app.run_jobs().await;
    app.db
        .admin()
        .await
        .execute(
            "update app.conversations set language = 'es' where wa_id = '34600111222'",
            &[],
        )
        .await
        .unwrap();
    let placed = order(app, "fiber-x", "paid-es", Some("+34600111222")).await;
    let manager = app.manager("fiber-x").await;
    act(app, &manager, "fiber-x", &placed, "mark-paid").await;
    assert_eq!(queued(app).await, 1);
    app.run_jobs().await;

    let sent = sent_templates(&a.graph).await;
    assert_eq!(
        sent,
        [Sent {
            number: FX_NUMBER.into(),
            token: "token-fiber-x".into(),
            to: "34600111222".into(),
            template: PAID_ON.into(),
            language: "es".into(),
            parameters: vec![placed["number"].to_string()],
        }]
    );
    let (status, wamid): (String, String) = {
        let row = app
            .db
            .admin()
            .await
            .query_one(
                "select status, wamid from app.customer_notifications where event = 'paid'",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(status, "sent");
    assert!(wamid.starts_with("wamid.TPL"), "{wamid}");
    // More jobs change nothing.
    app.run_jobs().await;
    assert_eq!(sent_templates(&a.graph).await.len(), 1);
}

#[tokio::test]
async fn shipping_sends_the_shipped_template_in_the_brands_default_language() {
    let a = shop().await;
    let app = &a.app;
    configure(
        app,
        "suzume",
        json!({
            "shipped_enabled": true, "shipped_template": "shipped_jp",
            "template_languages": ["ja", "en_US"], "default_template_language": "ja"
        }),
    )
    .await;
    let placed = order(app, "suzume", "ship-ja", Some("+819012345678")).await;
    let manager = app.manager("suzume").await;
    act(app, &manager, "suzume", &placed, "mark-paid").await;
    // Paid is off: nothing queued, nothing sent.
    assert_eq!(queued(app).await, 0);
    act(app, &manager, "suzume", &placed, "ship").await;
    assert_eq!(queued(app).await, 1);
    app.run_jobs().await;
    let sent = sent_templates(&a.graph).await;
    assert_eq!(
        sent,
        [Sent {
            number: SZ_NUMBER.into(),
            token: "token-suzume".into(),
            to: "819012345678".into(),
            template: "shipped_jp".into(),
            language: "ja".into(),
            parameters: vec![placed["number"].to_string()],
        }]
    );
}

#[tokio::test]
async fn a_brand_without_notifications_or_an_order_without_a_phone_sends_none() {
    let a = shop().await;
    let app = &a.app;
    // Fiber X never saved settings: the defaults send nothing.
    let manager = app.manager("fiber-x").await;
    let resp = app
        .authed(
            Method::GET,
            "/v1/admin/brand/notification-settings",
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({
            "paid_enabled": false, "paid_template": null,
            "shipped_enabled": false, "shipped_template": null,
            "template_languages": ["en_US"], "default_template_language": "en_US"
        })
    );
    let placed = order(app, "fiber-x", "off", Some("+34600111333")).await;
    act(app, &manager, "fiber-x", &placed, "mark-paid").await;
    act(app, &manager, "fiber-x", &placed, "ship").await;
    // Suzume sends both, but this order has no phone.
    configure(app, "suzume", both_events()).await;
    let sz = app.manager("suzume").await;
    let no_phone = order(app, "suzume", "no-phone", None).await;
    act(app, &sz, "suzume", &no_phone, "mark-paid").await;
    act(app, &sz, "suzume", &no_phone, "ship").await;
    // Fiber X turned on after its order shipped, then off again: still nothing.
    configure(app, "fiber-x", both_events()).await;
    configure(
        app,
        "fiber-x",
        json!({"paid_enabled": false, "shipped_enabled": false}),
    )
    .await;
    let late = order(app, "fiber-x", "off-again", Some("+34600111444")).await;
    act(app, &manager, "fiber-x", &late, "mark-paid").await;
    assert_eq!(queued(app).await, 0);
    app.run_jobs().await;
    assert_eq!(sent_templates(&a.graph).await, []);
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.customer_notifications")
            .await,
        0
    );
}

/// The old system's bug, as an attack: two brands' orders paid at the same time, each brand's
/// notifications must leave from that brand's number with that brand's token and template,
/// to that brand's customers only.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_brands_paying_at_once_never_send_a_suzume_notification_with_fiber_xs_number() {
    let a = shop().await;
    let app = &a.app;
    configure(app, "fiber-x", both_events()).await;
    configure(
        app,
        "suzume",
        json!({"paid_enabled": true, "paid_template": "suzume_paid",
               "template_languages": ["ja"], "default_template_language": "ja"}),
    )
    .await;
    let fx_manager = app.manager("fiber-x").await;
    let sz_manager = app.manager("suzume").await;
    let mut orders = Vec::new();
    for i in 0..6 {
        let fx = format!("+3460020000{i}");
        let sz = format!("+8190300000{i}");
        orders.push((
            "fiber-x",
            fx.clone(),
            order(app, "fiber-x", &format!("fx-{i}"), Some(&fx)).await,
        ));
        orders.push((
            "suzume",
            sz.clone(),
            order(app, "suzume", &format!("sz-{i}"), Some(&sz)).await,
        ));
    }
    // Every payment at once, interleaved across the brands.
    let pays = orders.iter().map(|(slug, _, placed)| {
        let who = if *slug == "fiber-x" {
            &fx_manager
        } else {
            &sz_manager
        };
        act(app, who, slug, placed, "mark-paid")
    });
    futures::future::join_all(pays).await;
    // The jobs run side by side too (the worker runs brands concurrently).
    app.run_jobs().await;

    let sent = sent_templates(&a.graph).await;
    assert_eq!(sent.len(), 12, "{sent:#?}");
    for (slug, phone, _) in &orders {
        let to = phone.trim_start_matches('+');
        let mine: Vec<&Sent> = sent.iter().filter(|s| s.to == to).collect();
        assert_eq!(mine.len(), 1, "{slug} {phone}: {mine:?}");
        let (number, token, template, language) = if *slug == "fiber-x" {
            (FX_NUMBER, "token-fiber-x", PAID_ON, "en_US")
        } else {
            (SZ_NUMBER, "token-suzume", "suzume_paid", "ja")
        };
        assert_eq!(
            (
                mine[0].number.as_str(),
                mine[0].token.as_str(),
                mine[0].template.as_str(),
                mine[0].language.as_str()
            ),
            (number, token, template, language),
            "{slug}'s customer {phone}"
        );
    }
    // Each brand's record holds its own orders only.
    let crossed: i64 = app
        .scalar(
            "select count(*) from app.customer_notifications n \
             join app.orders o on o.id = n.order_id where o.tenant_id <> n.tenant_id",
        )
        .await;
    assert_eq!(crossed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn running_the_job_twice_or_twice_at_once_sends_once() {
    let a = shop().await;
    let app = &a.app;
    configure(app, "fiber-x", both_events()).await;
    let manager = app.manager("fiber-x").await;
    let first = order(app, "fiber-x", "twice", Some("+34600300001")).await;
    act(app, &manager, "fiber-x", &first, "mark-paid").await;
    app.run_jobs().await;
    assert_eq!(sent_templates(&a.graph).await.len(), 1);

    // The same job again, by hand and through the queue: nothing more is sent.
    let scope = app.scope("fiber-x").await;
    let first_id: uuid::Uuid = first["id"].as_str().unwrap().parse().unwrap();
    let reference = notify::job_ref(first_id, NotificationEvent::Paid);
    notify::service::send(&app.state.notifier, &scope, &reference, false)
        .await
        .unwrap();
    app.db
        .admin()
        .await
        .execute(
            "insert into app.jobs (tenant_id, kind, ref, run_at) \
             select tenant_id, kind, ref, now() from app.jobs where kind = 'notify_customer'",
            &[],
        )
        .await
        .unwrap();
    app.run_jobs().await;
    assert_eq!(sent_templates(&a.graph).await.len(), 1);

    // Two runs of one job at once (a claim that lapsed while the first still ran): one sends,
    // the other finds it taken and sends nothing.
    let second = order(app, "fiber-x", "at-once", Some("+34600300002")).await;
    act(app, &manager, "fiber-x", &second, "mark-paid").await;
    let second_id: uuid::Uuid = second["id"].as_str().unwrap().parse().unwrap();
    let reference = notify::job_ref(second_id, NotificationEvent::Paid);
    let (x, y) = tokio::join!(
        notify::service::send(&app.state.notifier, &scope, &reference, false),
        notify::service::send(&app.state.notifier, &scope, &reference, false),
    );
    assert!(x.is_ok() || y.is_ok(), "{x:?} {y:?}");
    for outcome in [x, y] {
        assert!(
            matches!(outcome, Ok(()) | Err(JobError::Permanent(_))),
            "{outcome:?}"
        );
    }
    let to_second: Vec<Sent> = sent_templates(&a.graph)
        .await
        .into_iter()
        .filter(|s| s.to == "34600300002")
        .collect();
    assert_eq!(to_second.len(), 1, "{to_second:?}");
}

#[tokio::test]
async fn a_rolled_back_payment_queues_no_notification() {
    let a = shop().await;
    let app = &a.app;
    configure(app, "fiber-x", both_events()).await;
    let placed = order(app, "fiber-x", "rollback", Some("+34600400001")).await;
    let id: uuid::Uuid = placed["id"].as_str().unwrap().parse().unwrap();
    let scope = app.scope("fiber-x").await;
    // The notification is queued in the payment's transaction; the transaction then fails.
    let failed: Result<(), DbError> = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            tx.execute(
                "update app.orders set status = 'paid', paid_at = now() where id = $1",
                &[&id],
            )
            .await?;
            assert!(notify::queue(tx, id, NotificationEvent::Paid).await?);
            tx.execute("select 1/0", &[]).await?;
            Ok(())
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(queued(app).await, 0);
    app.run_jobs().await;
    assert_eq!(sent_templates(&a.graph).await, []);
    assert_eq!(
        app.scalar::<String>(&format!("select status from app.orders where id = '{id}'"))
            .await,
        "pending_payment"
    );
}

#[tokio::test]
async fn graph_errors_are_retried_when_transient_and_parked_with_the_error_when_permanent() {
    let a = shop().await;
    let app = &a.app;
    configure(app, "fiber-x", both_events()).await;
    let manager = app.manager("fiber-x").await;
    // Meta is down once (503), then accepts.
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"to": "34600500001"})))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&a.graph)
        .await;
    let retried = order(app, "fiber-x", "transient", Some("+34600500001")).await;
    act(app, &manager, "fiber-x", &retried, "mark-paid").await;
    app.run_jobs().await;
    assert_eq!(
        app.scalar::<String>("select status from app.customer_notifications")
            .await,
        "pending"
    );
    assert_eq!(
        app.scalar::<String>("select status from app.jobs where kind = 'notify_customer'")
            .await,
        "queued"
    );
    app.db
        .admin()
        .await
        .execute("update app.jobs set run_at = now()", &[])
        .await
        .unwrap();
    app.run_jobs().await;
    assert_eq!(
        app.scalar::<String>("select status from app.customer_notifications")
            .await,
        "sent"
    );

    // A template Meta does not know (132001): failed with the error, the job parked, no retry.
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"to": "34600500002"})))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "message": "(#132001) Template name does not exist in the translation",
            "type": "OAuthException", "code": 132001, "fbtrace_id": "AbC"
        }})))
        .with_priority(1)
        .mount(&a.graph)
        .await;
    let refused = order(app, "fiber-x", "permanent", Some("+34600500002")).await;
    act(app, &manager, "fiber-x", &refused, "mark-paid").await;
    app.run_jobs().await;
    let row = app
        .db
        .admin()
        .await
        .query_one(
            "select n.status, n.error_code, j.status from app.customer_notifications n \
             join app.jobs j on j.ref = n.order_id::text || ':paid' \
             where n.order_id = $1",
            &[&refused["id"]
                .as_str()
                .unwrap()
                .parse::<uuid::Uuid>()
                .unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, String>(0),
            row.get::<_, Option<i64>>(1),
            row.get::<_, String>(2)
        ),
        ("failed".to_owned(), Some(132001), "parked".to_owned())
    );
    app.db
        .admin()
        .await
        .execute("update app.jobs set run_at = now()", &[])
        .await
        .unwrap();
    app.run_jobs().await;
    let to_refused = sent_templates(&a.graph)
        .await
        .into_iter()
        .filter(|s| s.to == "34600500002")
        .count();
    assert_eq!(to_refused, 1, "a refusal is not sent again");
}

#[tokio::test]
async fn notification_settings_name_every_invalid_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let manager = app.manager("fiber-x").await;
    let patch = |body: Value| {
        app.authed(
            Method::PATCH,
            "/v1/admin/brand/notification-settings",
            &manager,
            Some("fiber-x"),
        )
        .json(&body)
        .send()
    };
    let problem = assert_problem(
        patch(json!({
            "paid_template": "Order Paid", "shipped_template": "",
            "template_languages": ["en_US", "english", "en_US"],
            "default_template_language": "EN"
        }))
        .await
        .unwrap(),
        422,
    )
    .await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "paid_template",
            "shipped_template",
            "template_languages[1]",
            "template_languages[2]",
            "default_template_language"
        ]
    );
    // On without a template; a default that is not listed.
    let problem = assert_problem(
        patch(json!({"shipped_enabled": true, "template_languages": ["es"]}))
            .await
            .unwrap(),
        422,
    )
    .await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["shipped_template", "default_template_language"]);
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.notification_settings")
            .await,
        0
    );
    // A valid change is audited.
    let resp = patch(json!({"paid_enabled": true, "paid_template": "order_paid"}))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.scalar::<i64>(
            "select count(*) from app.audit_log where action = 'notifications.settings'"
        )
        .await,
        1
    );
}

/// The SQL contract for the two new tables, as the API role: with Suzume's tenant set, Fiber
/// X's settings and notification record are invisible and cannot be written in its name.
#[tokio::test]
async fn another_brands_notification_rows_are_invisible_and_untouchable() {
    let a = shop().await;
    let app = &a.app;
    configure(app, "fiber-x", both_events()).await;
    let manager = app.manager("fiber-x").await;
    let placed = order(app, "fiber-x", "isolated", Some("+34600600001")).await;
    act(app, &manager, "fiber-x", &placed, "mark-paid").await;
    app.run_jobs().await;
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.customer_notifications")
            .await,
        1
    );
    let fbx = app.scope("fiber-x").await.tenant_id();
    let order_id: uuid::Uuid = placed["id"].as_str().unwrap().parse().unwrap();
    let suzume = app.scope("suzume").await;
    let (seen, settings, updated) = app
        .state
        .db
        .tenant_tx(&suzume, async |tx| {
            let seen: i64 = tx
                .query_one(
                    "select count(*) from app.customer_notifications where tenant_id = $1",
                    &[&fbx],
                )
                .await?
                .get(0);
            let settings: i64 = tx
                .query_one(
                    "select count(*) from app.notification_settings where tenant_id = $1",
                    &[&fbx],
                )
                .await?
                .get(0);
            let updated = tx
                .execute(
                    "update app.customer_notifications set status = 'pending' where tenant_id = $1",
                    &[&fbx],
                )
                .await?;
            Ok::<_, DbError>((seen, settings, updated))
        })
        .await
        .unwrap();
    assert_eq!((seen, settings, updated), (0, 0, 0));
    for sql in [
        "insert into app.notification_settings (tenant_id, paid_enabled, paid_template) \
         values ($1, true, 'hijack')",
        "insert into app.customer_notifications (tenant_id, order_id, event, template, language) \
         values ($1, $2, 'shipped', 'hijack', 'en_US')",
    ] {
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = if sql.contains("$2") {
            vec![&fbx, &order_id]
        } else {
            vec![&fbx]
        };
        app.assert_refused_in(&suzume, sql, &params).await;
    }
    assert_eq!(
        app.scalar::<String>("select paid_template from app.notification_settings")
            .await,
        PAID_ON
    );
}
