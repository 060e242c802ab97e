//! Credit notes: a confirmed refund of an invoiced order (the provider's `refunded` callback,
//! for a refund asked for or one a cancellation of the paid order made) gets one credit note,
//! numbered in its brand's gapless credit-note series in the confirming transaction, rendered to
//! a PDF by a job into the brand's object storage (a local directory, or the test S3 server),
//! listed and downloaded by staff and by the customer; another brand reaches none of it.

use brandhouse::{
    db::DbError,
    media::store::{ObjectKey, StorageError},
};
use futures::{StreamExt as _, future::join_all, stream};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Signed, TestApp, TestS3, assert_problem, files_under};

const A: &str = "FBX-HAIR-0001";
const B: &str = "FBX-HAIR-0002";
const SECRET: &str = "a-payment-secret-for-credit-notes";

/// The text of every page of a PDF, as a PDF library reads it back.
fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a well-formed PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert!(!pages.is_empty(), "a PDF without pages");
    doc.extract_text(&pages).expect("the text of the PDF")
}

/// Both brands' products, 50 units of A and B in BER, Fiber X's payment secret set.
async fn shop(extra: &[(&str, &str)]) -> (TestApp, Signed) {
    let mut env = vec![("WORKER_ENABLED", "false"), ("DB_POOL_SIZE", "12")];
    env.extend_from_slice(extra);
    let app = TestApp::spawn_with(&env).await;
    app.two_brands().await;
    app.create_product("fiber-x", "HAIR", "Argan Oil", "active", json!([]))
        .await;
    app.create_product("fiber-x", "HAIR", "Strong Gel", "active", json!([]))
        .await;
    app.create_product("suzume", "SKIN", "Rice Toner", "active", json!([]))
        .await;
    app.receive("fiber-x", A, "BER", 50).await;
    app.receive("fiber-x", B, "BER", 50).await;
    app.receive("suzume", crate::helpers::SHOP_SKU_SUZUME, "BER", 5)
        .await;
    let manager = app.manager("fiber-x").await;
    set_secret(&app, &manager).await;
    (app, manager)
}

async fn set_secret(app: &TestApp, manager: &Signed) {
    let resp = app
        .authed(
            Method::PATCH,
            "/v1/admin/brand/order-settings",
            manager,
            Some("fiber-x"),
        )
        .json(&json!({"payment_webhook_secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

async fn send(
    app: &TestApp,
    who: &Signed,
    slug: &str,
    method: Method,
    path: &str,
) -> reqwest::Response {
    app.authed(method, path, who, Some(slug))
        .send()
        .await
        .unwrap()
}

async fn ok(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A paid Fiber X order of `lines`; returns the checkout's body.
async fn paid_order(app: &TestApp, manager: &Signed, key: &str, lines: &[(&str, i32)]) -> Value {
    let placed = ok(app.checkout("fiber-x", key, lines, Some("BER")).await, 201).await;
    let n = &placed["number"];
    ok(
        send(
            app,
            manager,
            "fiber-x",
            Method::POST,
            &format!("/v1/admin/orders/{n}/mark-paid"),
        )
        .await,
        200,
    )
    .await;
    placed
}

/// `POST /v1/admin/orders/{n}/refunds` with `key`.
async fn refund(app: &TestApp, who: &Signed, n: &Value, key: &str, body: Value) -> Value {
    let resp = app
        .authed(
            Method::POST,
            &format!("/v1/admin/orders/{n}/refunds"),
            who,
            Some("fiber-x"),
        )
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    ok(resp, 201).await
}

/// The provider's signed callback confirming `refund` of order `order_id`.
async fn refunded(
    app: &TestApp,
    event: &str,
    order_id: &Value,
    refund: &Value,
) -> reqwest::Response {
    let body = serde_json::to_vec(&json!({
        "event_id": event, "order_id": order_id, "status": "refunded",
        "amount_minor": refund["amount_minor"], "currency": refund["currency"],
        "refund_id": refund["id"],
    }))
    .unwrap();
    let signature = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(&body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    };
    app.client
        .post(app.url("/v1/payments/callback"))
        .header("X-Tenant-ID", "fiber-x")
        .header("content-type", "application/json")
        .header("X-Payment-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The customer's `GET /v1/storefront/orders/{id}/credit-notes[/{cn}]` in `slug`.
async fn customer(
    app: &TestApp,
    slug: &str,
    order: &Value,
    token: &str,
    cn: Option<i64>,
) -> reqwest::Response {
    let mut path = format!(
        "/v1/storefront/orders/{}/credit-notes",
        order["id"].as_str().unwrap()
    );
    if let Some(cn) = cn {
        path.push_str(&format!("/{cn}"));
    }
    app.client
        .get(app.url(&path))
        .header("X-Tenant-ID", slug)
        .header("X-Order-Token", token)
        .send()
        .await
        .unwrap()
}

/// `{slug}/credit-notes/YYYY-MM/CN-{n}.pdf`, the month from the stored issue time (UTC).
async fn expected_key(app: &TestApp, slug: &str, n: i64) -> String {
    let month: String = app
        .db
        .admin()
        .await
        .query_one(
            "select to_char(c.issued_at at time zone 'UTC', 'YYYY-MM') from app.credit_notes c \
             join app.tenants t on t.id = c.tenant_id where t.slug = $1 and c.number = $2",
            &[&slug, &n],
        )
        .await
        .unwrap()
        .get(0);
    format!("{slug}/credit-notes/{month}/CN-{n}.pdf")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_confirmed_refund_gets_one_credit_note_pdf_naming_its_invoice_and_total() {
    let (app, manager) = shop(&[]).await;
    let order = paid_order(&app, &manager, "cn-1", &[(A, 2), (B, 1)]).await;
    let (n, token) = (&order["number"], order["access_token"].as_str().unwrap());
    let list = format!("/v1/admin/orders/{n}/credit-notes");
    assert_eq!(
        ok(
            send(&app, &manager, "fiber-x", Method::GET, &list).await,
            200
        )
        .await,
        json!([])
    );
    let first = refund(
        &app,
        &manager,
        n,
        "cn-r1",
        json!({"lines": [{"sku": A, "quantity": 1}]}),
    )
    .await;
    // Requested is not refunded: no credit note yet.
    assert_eq!(
        ok(
            send(&app, &manager, "fiber-x", Method::GET, &list).await,
            200
        )
        .await,
        json!([])
    );

    // Ten deliveries of one event and one of another event, at once: one credit note.
    let mut events = vec!["cn_evt_1"; 10];
    events.push("cn_evt_2");
    let mut outcomes = Vec::new();
    for r in join_all(
        events
            .iter()
            .map(|e| refunded(&app, e, &order["id"], &first)),
    )
    .await
    {
        outcomes.push(ok(r, 200).await["outcome"].as_str().unwrap().to_owned());
    }
    outcomes.sort();
    let mut want = vec!["already_settled".to_owned(), "refunded".to_owned()];
    want.extend(vec!["duplicate".to_owned(); 9]);
    want.sort();
    assert_eq!(outcomes, want);
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.payment_events where outcome = 'refunded'")
            .await,
        1
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.credit_notes")
            .await,
        1
    );
    assert_eq!(
        app.scalar::<i64>(
            "select last_number from app.invoice_counters where series = 'credit_note'"
        )
        .await,
        1
    );
    let listed = ok(
        send(&app, &manager, "fiber-x", Method::GET, &list).await,
        200,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let note = &listed[0];
    assert_eq!(note["number"], 1);
    assert_eq!(note["invoice_number"], 1);
    assert_eq!(note["refund_id"], first["id"]);
    assert_eq!(note["total_minor"], first["amount_minor"]);
    assert_eq!(note["status"], "pending");

    // Issued; the PDF is not there until the job ran.
    let one = format!("/v1/admin/orders/{n}/credit-notes/1");
    let resp = send(&app, &manager, "fiber-x", Method::GET, &one).await;
    assert_eq!(resp.headers()["retry-after"], "2");
    let problem = assert_problem(resp, 409).await;
    assert_eq!(problem["type"], "urn:problem:brandhouse:invoice-not-ready");
    assert!(app.run_jobs().await >= 1);
    let resp = send(&app, &manager, "fiber-x", Method::GET, &one).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=\"CN-1.pdf\""
    );
    assert_eq!(resp.headers()["cache-control"], "private, no-store");
    let pdf = resp.bytes().await.unwrap();
    let text = pdf_text(&pdf);
    let amount = first["amount_minor"].as_i64().unwrap();
    let printed = format!("{}.{:02}", amount / 100, amount % 100);
    for expected in [
        "CREDIT NOTE",
        "CN-1",
        "Corrects invoice: INV-1",
        &printed,
        "Argan Oil",
        &format!("Order: #{n}"),
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
    assert!(
        !text.contains("Strong Gel"),
        "only the refunded line: {text}"
    );
    let key = expected_key(&app, "fiber-x", 1).await;
    let files: Vec<String> = files_under(&app.files_dir())
        .into_iter()
        .filter(|f| f.contains("/credit-notes/"))
        .collect();
    assert_eq!(files, [key]);

    // The customer, with the order's token: the list and the same file; a wrong token, an
    // unknown number or another order's number is 404.
    let seen = ok(customer(&app, "fiber-x", &order, token, None).await, 200).await;
    assert_eq!(seen[0]["number"], 1);
    assert_eq!(seen[0]["status"], "rendered");
    let resp = customer(&app, "fiber-x", &order, token, Some(1)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap(), pdf);
    let wrong = format!("{}x", &token[..token.len() - 1]);
    assert_problem(customer(&app, "fiber-x", &order, &wrong, None).await, 404).await;
    assert_problem(
        customer(&app, "fiber-x", &order, &wrong, Some(1)).await,
        404,
    )
    .await;
    assert_problem(customer(&app, "fiber-x", &order, token, Some(2)).await, 404).await;
    let other = paid_order(&app, &manager, "cn-other", &[(B, 1)]).await;
    assert_problem(
        send(
            &app,
            &manager,
            "fiber-x",
            Method::GET,
            &format!("/v1/admin/orders/{}/credit-notes/1", other["number"]),
        )
        .await,
        404,
    )
    .await;

    // Cancelling the paid order refunds the rest; its confirmation is credit note 2.
    let cancelled = ok(
        send(
            &app,
            &manager,
            "fiber-x",
            Method::POST,
            &format!("/v1/admin/orders/{n}/cancel"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    let refunds = ok(
        send(
            &app,
            &manager,
            "fiber-x",
            Method::GET,
            &format!("/v1/admin/orders/{n}/refunds"),
        )
        .await,
        200,
    )
    .await;
    let rest = &refunds["refunds"][1];
    assert_eq!(
        ok(refunded(&app, "cn_evt_3", &order["id"], rest).await, 200).await["outcome"],
        "refunded"
    );
    app.run_jobs().await;
    let listed = ok(
        send(&app, &manager, "fiber-x", Method::GET, &list).await,
        200,
    )
    .await;
    let numbers: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2]);
    let credited: i64 = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["total_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(credited, order["total_minor"].as_i64().unwrap());
    let second = send(
        &app,
        &manager,
        "fiber-x",
        Method::GET,
        &format!("/v1/admin/orders/{n}/credit-notes/2"),
    )
    .await;
    assert_eq!(second.status(), 200);
    let text = pdf_text(&second.bytes().await.unwrap());
    assert!(text.contains("CN-2") && text.contains("INV-1"), "{text}");
    assert!(
        text.contains("Strong Gel"),
        "the cancellation credits the rest: {text}"
    );
    // The invoice row carries the order's discount (none here).
    assert_eq!(
        app.scalar::<i64>("select sum(discount_minor)::bigint from app.invoices")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_refunds_confirmed_at_once_get_credit_note_numbers_one_to_thirty() {
    const N: usize = 30;
    let (app, manager) = shop(&[("DB_POOL_SIZE", "24"), ("DB_POOL_TIMEOUT_MS", "30000")]).await;
    let app = &app;
    let manager = &manager;
    // Half refunded by line, half cancelled after payment (the cancellation's refund).
    let mut pending = Vec::new();
    for i in 0..N {
        let order = paid_order(app, manager, &format!("many-{i}"), &[(A, 1)]).await;
        let n = &order["number"];
        let refund = if i % 2 == 0 {
            refund(
                app,
                manager,
                n,
                &format!("many-r{i}"),
                json!({"lines": [{"sku": A, "quantity": 1}]}),
            )
            .await
        } else {
            ok(
                send(
                    app,
                    manager,
                    "fiber-x",
                    Method::POST,
                    &format!("/v1/admin/orders/{n}/cancel"),
                )
                .await,
                200,
            )
            .await;
            ok(
                send(
                    app,
                    manager,
                    "fiber-x",
                    Method::GET,
                    &format!("/v1/admin/orders/{n}/refunds"),
                )
                .await,
                200,
            )
            .await["refunds"][0]
                .clone()
        };
        pending.push((order, refund));
    }
    // Every refund confirmed at once, each delivered twice.
    let calls: Vec<(String, &Value, &Value)> = pending
        .iter()
        .enumerate()
        .flat_map(|(i, (o, r))| {
            [
                (format!("many_evt_{i}"), &o["id"], r),
                (format!("many_evt_{i}"), &o["id"], r),
            ]
        })
        .collect();
    let statuses: Vec<u16> = stream::iter(calls)
        .map(|(e, o, r)| async move { refunded(app, &e, o, r).await.status().as_u16() })
        .buffer_unordered(2 * N)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let numbers: Vec<i64> = app
        .db
        .admin()
        .await
        .query(
            "select c.number from app.credit_notes c join app.tenants t on t.id = c.tenant_id \
             where t.slug = 'fiber-x' order by c.number",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(numbers, (1..=N as i64).collect::<Vec<_>>());
    assert_eq!(
        app.scalar::<i64>("select count(distinct refund_id) from app.credit_notes")
            .await,
        N as i64
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.jobs where kind = 'render_credit_note'")
            .await,
        N as i64
    );
    assert!(app.run_jobs().await >= N);
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.credit_notes where status = 'rendered'")
            .await,
        N as i64
    );
}

/// The SQL contract for app.credit_notes as the API role, and the endpoints: with Suzume's
/// scope Fiber X's credit notes are invisible and cannot be written in its name, and neither
/// Suzume's staff nor Suzume's storefront list or fetch them (Suzume's own order of the same
/// number has none).
#[tokio::test]
async fn another_brand_cannot_see_write_or_download_this_brands_credit_notes() {
    let (app, fx_manager) = shop(&[]).await;
    let order = paid_order(&app, &fx_manager, "iso-fx", &[(A, 1)]).await;
    let n = &order["number"];
    let r = refund(&app, &fx_manager, n, "iso-r", json!({"amount_minor": 100})).await;
    assert_eq!(
        ok(refunded(&app, "iso_evt", &order["id"], &r).await, 200).await["outcome"],
        "refunded"
    );
    app.run_jobs().await;
    let path = format!("/v1/admin/orders/{n}/credit-notes/1");
    assert_eq!(
        send(&app, &fx_manager, "fiber-x", Method::GET, &path)
            .await
            .status(),
        200
    );
    // Suzume's own order with the same number.
    let theirs = app.order_one_unit("suzume", "iso-sz").await;
    assert_eq!(&theirs["number"], n);
    let sz_manager = app.manager("suzume").await;
    assert_eq!(
        ok(
            send(
                &app,
                &sz_manager,
                "suzume",
                Method::GET,
                &format!("/v1/admin/orders/{n}/credit-notes")
            )
            .await,
            200
        )
        .await,
        json!([])
    );
    assert_problem(
        send(&app, &sz_manager, "suzume", Method::GET, &path).await,
        404,
    )
    .await;
    assert_problem(
        send(&app, &sz_manager, "fiber-x", Method::GET, &path).await,
        403,
    )
    .await;
    let token = order["access_token"].as_str().unwrap();
    assert_problem(customer(&app, "suzume", &order, token, None).await, 404).await;
    assert_problem(customer(&app, "suzume", &order, token, Some(1)).await, 404).await;

    let fbx = app.scope("fiber-x").await.tenant_id();
    let suzume = app.scope("suzume").await;
    let (seen, updated) = app
        .state
        .db
        .tenant_tx(&suzume, async |tx| {
            let seen: i64 = tx
                .query_one(
                    "select count(*) from app.credit_notes where tenant_id = $1",
                    &[&fbx],
                )
                .await?
                .get(0);
            let updated = tx
                .execute(
                    "update app.credit_notes set object_key = 'suzume/x.pdf' where tenant_id = $1",
                    &[&fbx],
                )
                .await?;
            Ok::<_, DbError>((seen, updated))
        })
        .await
        .unwrap();
    assert_eq!((seen, updated), (0, 0));
    let (invoice_id, order_id, refund_id): (uuid::Uuid, uuid::Uuid, uuid::Uuid) = {
        let row = app
            .db
            .admin()
            .await
            .query_one(
                "select invoice_id, order_id, refund_id from app.credit_notes",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    };
    app.assert_refused_in(
        &suzume,
        "insert into app.credit_notes (tenant_id, number, invoice_id, order_id, refund_id, \
           issued_at, currency, subtotal_minor, shipping_minor, tax_minor, total_minor, object_key) \
         values ($1, 77, $2, $3, $4, now(), 'EUR', 0, 0, 0, 1, 'fiber-x/credit-notes/x.pdf')",
        &[&fbx, &invoice_id, &order_id, &refund_id],
    )
    .await;
    assert_eq!(
        app.scalar::<String>("select object_key from app.credit_notes")
            .await,
        expected_key(&app, "fiber-x", 1).await
    );
}

#[tokio::test]
async fn credit_note_pdfs_stay_under_the_brand_prefix_on_s3_and_download_by_presigned_url() {
    let s3 = TestS3::start().await;
    let app = TestApp::spawn_with_env(&s3.env(), &[]).await;
    app.two_brands().await;
    app.create_product("fiber-x", "HAIR", "Argan Oil", "active", json!([]))
        .await;
    app.receive("fiber-x", crate::helpers::SHOP_SKU_FIBER_X, "BER", 5)
        .await;
    let manager = app.manager("fiber-x").await;
    set_secret(&app, &manager).await;
    let order = paid_order(&app, &manager, "s3-cn", &[(A, 1)]).await;
    let r = refund(
        &app,
        &manager,
        &order["number"],
        "s3-r",
        json!({"amount_minor": 250}),
    )
    .await;
    assert_eq!(
        ok(refunded(&app, "s3_evt", &order["id"], &r).await, 200).await["outcome"],
        "refunded"
    );
    app.run_jobs().await;
    let key = expected_key(&app, "fiber-x", 1).await;
    assert!(s3.objects().contains(&key), "{:?}", s3.objects());
    assert!(
        s3.objects().iter().all(|k| k.starts_with("fiber-x/")),
        "{:?}",
        s3.objects()
    );
    let resp = send(
        &app,
        &manager,
        "fiber-x",
        Method::GET,
        &format!("/v1/admin/orders/{}/credit-notes/1", order["number"]),
    )
    .await;
    assert_eq!(resp.status(), 307);
    let url = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        url.contains("/fiber-x/credit-notes/") && url.contains("X-Amz-Signature="),
        "{url}"
    );
    let pdf = reqwest::get(&url).await.unwrap();
    assert_eq!(pdf.status(), 200);
    let text = pdf_text(&pdf.bytes().await.unwrap());
    assert!(
        text.contains("CN-1") && text.contains("INV-1") && text.contains("2.50"),
        "{text}"
    );
    let token = order["access_token"].as_str().unwrap();
    assert_eq!(
        customer(&app, "fiber-x", &order, token, Some(1))
            .await
            .status(),
        307
    );
    // The store refuses this key with another brand's scope.
    let sz = app.scope("suzume").await;
    let stored = ObjectKey::stored(&app.scope("fiber-x").await, &key).unwrap();
    assert!(matches!(
        app.state.media.get(&sz, &stored).await,
        Err(StorageError::OutsideBrand)
    ));
}
