//! Invoices: a paid order gets one invoice, numbered in its brand's gapless series in the
//! paying transaction, rendered to a PDF by a job into the brand's object storage (a local
//! directory, or the test S3 server), and downloaded by staff and by the customer; another
//! brand reaches none of it.

use brandhouse::{
    db::DbError,
    invoices,
    media::store::{ObjectKey, StorageError},
};
use futures::{StreamExt as _, stream};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Signed, TestApp, TestS3, assert_problem, files_under};

/// The text of every page of a PDF, as a PDF library reads it back (it fails on a file that
/// is not a well-formed PDF).
fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a well-formed PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert!(!pages.is_empty(), "a PDF without pages");
    doc.extract_text(&pages).expect("the text of the PDF")
}

/// `POST /v1/admin/orders/{number}/mark-paid`; returns the outcome.
async fn mark_paid(app: &TestApp, who: &Signed, slug: &str, number: &Value) -> String {
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
    let body: Value = resp.json().await.unwrap();
    body["outcome"].as_str().unwrap().to_owned()
}

/// `GET /v1/admin/orders/{number}/invoice`.
async fn staff_invoice(
    app: &TestApp,
    who: &Signed,
    slug: &str,
    number: &Value,
) -> reqwest::Response {
    app.authed(
        Method::GET,
        &format!("/v1/admin/orders/{number}/invoice"),
        who,
        Some(slug),
    )
    .send()
    .await
    .unwrap()
}

/// `GET /v1/storefront/orders/{id}/invoice` with `token`.
async fn customer_invoice(app: &TestApp, slug: &str, id: &Value, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!(
            "/v1/storefront/orders/{}/invoice",
            id.as_str().unwrap()
        )))
        .header("X-Tenant-ID", slug)
        .header("X-Order-Token", token)
        .send()
        .await
        .unwrap()
}

/// `PATCH /v1/admin/brand/invoice-settings`.
async fn patch_settings(app: &TestApp, who: &Signed, slug: &str, body: Value) -> reqwest::Response {
    app.authed(
        Method::PATCH,
        "/v1/admin/brand/invoice-settings",
        who,
        Some(slug),
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

/// The object key the invoice of order `number` of `slug` has, as stored.
async fn stored_key(app: &TestApp, slug: &str, number: &Value) -> String {
    app.db
        .admin()
        .await
        .query_one(
            "select i.object_key from app.invoices i \
             join app.orders o on o.tenant_id = i.tenant_id and o.id = i.order_id \
             join app.tenants t on t.id = i.tenant_id where t.slug = $1 and o.number = $2",
            &[&slug, &(number.as_i64().unwrap() as i32)],
        )
        .await
        .unwrap()
        .get(0)
}

/// The `{slug}/invoices/YYYY-MM/INV-{n}.pdf` key of the brand's invoice `n`, its month taken
/// from the stored issue time (UTC).
async fn expected_key(app: &TestApp, slug: &str, n: i64) -> String {
    let month: String = app
        .db
        .admin()
        .await
        .query_one(
            "select to_char(i.issued_at at time zone 'UTC', 'YYYY-MM') from app.invoices i \
             join app.tenants t on t.id = i.tenant_id where t.slug = $1 and i.number = $2",
            &[&slug, &n],
        )
        .await
        .unwrap()
        .get(0);
    format!("{slug}/invoices/{month}/INV-{n}.pdf")
}

#[tokio::test]
async fn a_paid_order_gets_a_pdf_invoice_with_its_number_and_total() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let resp = patch_settings(
        &app,
        &manager,
        "fiber-x",
        json!({
            "legal_name": "Fiber X Haircare GmbH",
            "address_lines": ["Torstraße 1", "10119 Berlin", "Germany"],
            "tax_id": "DE123456789"
        }),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({
            "legal_name": "Fiber X Haircare GmbH",
            "address_lines": ["Torstraße 1", "10119 Berlin", "Germany"],
            "tax_id": "DE123456789",
            "logo_key": null
        })
    );
    let order = app.order_one_unit("fiber-x", "inv-1").await;
    let token = order["access_token"].as_str().unwrap();

    // Not paid: no invoice, for staff and customer alike.
    assert_problem(
        staff_invoice(&app, &manager, "fiber-x", &order["number"]).await,
        404,
    )
    .await;
    assert_problem(
        customer_invoice(&app, "fiber-x", &order["id"], token).await,
        404,
    )
    .await;

    assert_eq!(
        mark_paid(&app, &manager, "fiber-x", &order["number"]).await,
        "confirmed"
    );
    // Issued with the payment; the PDF is not there until the job ran.
    let resp = staff_invoice(&app, &manager, "fiber-x", &order["number"]).await;
    assert_eq!(resp.headers()["retry-after"], "2");
    let problem = assert_problem(resp, 409).await;
    assert_eq!(problem["type"], "urn:problem:brandhouse:invoice-not-ready");
    let key = expected_key(&app, "fiber-x", 1).await;
    assert_eq!(stored_key(&app, "fiber-x", &order["number"]).await, key);
    assert_eq!(
        app.scalar::<String>("select status from app.invoices")
            .await,
        "pending"
    );

    assert!(app.run_jobs().await >= 1);
    let resp = staff_invoice(&app, &manager, "fiber-x", &order["number"]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=\"INV-1.pdf\""
    );
    assert_eq!(resp.headers()["cache-control"], "private, no-store");
    let pdf = resp.bytes().await.unwrap();
    let text = pdf_text(&pdf);
    for expected in [
        "INV-1",
        "15.00",
        "Fiber X Haircare GmbH",
        "Torstraße 1",
        "DE123456789",
        "Argan Oil",
        "Ana Buyer",
        &format!("Order: #{}", order["number"]),
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
    assert_eq!(
        app.scalar::<String>("select status from app.invoices")
            .await,
        "rendered"
    );
    assert_eq!(
        app.scalar::<i32>("select size_bytes from app.invoices")
            .await as usize,
        pdf.len()
    );

    // The customer, with the order's token: the same file; a wrong token is an unknown order.
    let resp = customer_invoice(&app, "fiber-x", &order["id"], token).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap(), pdf);
    let wrong = format!("{}x", &token[..token.len() - 1]);
    assert_problem(
        customer_invoice(&app, "fiber-x", &order["id"], &wrong).await,
        404,
    )
    .await;

    // A rerun of the job (a lapsed claim after the file was stored) writes the same bytes.
    app.db
        .admin()
        .await
        .batch_execute(
            "update app.invoices set status = 'pending', rendered_at = null, size_bytes = null; \
             insert into app.jobs (tenant_id, kind, ref, run_at) \
               select tenant_id, 'render_invoice', id::text, now() from app.invoices",
        )
        .await
        .unwrap();
    assert_eq!(app.run_jobs().await, 1);
    let again = staff_invoice(&app, &manager, "fiber-x", &order["number"])
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(again, pdf);
    // Paying again changes nothing: one invoice, one number taken.
    assert_eq!(
        mark_paid(&app, &manager, "fiber-x", &order["number"]).await,
        "already_paid"
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.invoices").await,
        1
    );
    assert_eq!(
        app.scalar::<i64>("select last_number from app.invoice_counters")
            .await,
        1
    );

    // Suzume's first invoice is its own number 1, under its own prefix; the local directory
    // holds each brand's file under that brand's prefix only.
    let suzume = app.manager("suzume").await;
    let theirs = app.order_one_unit("suzume", "inv-sz").await;
    mark_paid(&app, &suzume, "suzume", &theirs["number"]).await;
    app.run_jobs().await;
    let sz_key = expected_key(&app, "suzume", 1).await;
    let files: Vec<String> = files_under(&app.files_dir())
        .into_iter()
        .filter(|f| f.contains("/invoices/"))
        .collect();
    let mut want = vec![key.clone(), sz_key];
    want.sort();
    assert_eq!(files, want);
    let (fx, sz) = (app.scope("fiber-x").await, app.scope("suzume").await);
    let issued = chrono::Utc::now();
    assert!(matches!(
        app.state
            .media
            .get(&fx, &ObjectKey::invoice(&sz, 1, issued))
            .await,
        Err(StorageError::OutsideBrand)
    ));
    assert!(matches!(
        ObjectKey::stored(&sz, &key),
        Err(StorageError::OutsideBrand)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_orders_paid_at_once_get_invoice_numbers_one_to_two_hundred() {
    const N: usize = 200;
    const SECRET: &str = "a-payment-secret-for-invoices";
    // Every payment takes the brand's invoice counter (and the one SKU's stock row) until it
    // commits, so the 200 queue behind each other by design: on a loaded machine (the whole
    // suite beside a build) the last ones waited past the default 15 s statement timeout. The
    // test is about the numbers, not that machine's speed: the pool and statement waits are
    // raised for it.
    let app = TestApp::spawn_two_brand_shop(&[
        ("DB_POOL_SIZE", "24"),
        ("DB_POOL_TIMEOUT_MS", "60000"),
        ("DB_STATEMENT_TIMEOUT_MS", "60000"),
    ])
    .await;
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
    let app = &app;
    let orders: Vec<Value> = stream::iter(0..N)
        .map(|i| async move { app.order_one_unit("fiber-x", &format!("many-{i}")).await })
        .buffer_unordered(8)
        .collect()
        .await;

    // Every order paid at once: half by the provider's signed callback, half by staff.
    let manager = &manager;
    let outcomes: Vec<(u16, Value)> = stream::iter(orders.iter().enumerate())
        .map(|(i, order)| async move {
            let resp = if i % 2 == 0 {
                let body = serde_json::to_vec(&json!({
                    "event_id": format!("evt_inv_{i}"), "order_id": order["id"],
                    "status": "succeeded", "amount_minor": order["total_minor"],
                    "currency": order["currency"],
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
            } else {
                app.authed(
                    Method::POST,
                    &format!("/v1/admin/orders/{}/mark-paid", order["number"]),
                    manager,
                    Some("fiber-x"),
                )
                .send()
                .await
                .unwrap()
            };
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        })
        .buffer_unordered(N)
        .collect()
        .await;
    for (status, body) in &outcomes {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["outcome"], "confirmed", "{body}");
    }
    let numbers: Vec<i64> = app
        .db
        .admin()
        .await
        .query(
            "select i.number from app.invoices i join app.tenants t on t.id = i.tenant_id \
             where t.slug = 'fiber-x' order by i.number",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(numbers, (1..=N as i64).collect::<Vec<_>>());
    assert_eq!(
        app.scalar::<i64>("select count(distinct order_id) from app.invoices")
            .await,
        N as i64
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.jobs where kind = 'render_invoice'")
            .await,
        N as i64
    );
}

#[tokio::test]
async fn a_payment_that_rolls_back_gives_its_invoice_number_back() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let first = app.order_one_unit("fiber-x", "rollback-1").await;
    let second = app.order_one_unit("fiber-x", "rollback-2").await;
    let scope = app.scope("fiber-x").await;
    let first_id: uuid::Uuid = first["id"].as_str().unwrap().parse().unwrap();
    // The invoice is issued, then the paying transaction fails after it.
    let result = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            let issued = invoices::issue(tx, &scope, first_id).await?;
            assert_eq!(issued.map(|i| i.number), Some(1));
            Err::<(), anyhow::Error>(anyhow::anyhow!("the payment failed after the invoice"))
        })
        .await;
    assert!(result.is_err());
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.invoices").await,
        0
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.jobs where kind = 'render_invoice'")
            .await,
        0
    );
    // The next payment takes number 1: no gap.
    mark_paid(&app, &manager, "fiber-x", &second["number"]).await;
    mark_paid(&app, &manager, "fiber-x", &first["number"]).await;
    let rows = app
        .db
        .admin()
        .await
        .query(
            "select o.number, i.number from app.invoices i \
             join app.orders o on o.tenant_id = i.tenant_id and o.id = i.order_id order by i.number",
            &[],
        )
        .await
        .unwrap();
    let pairs: Vec<(i32, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let n = |o: &Value| o["number"].as_i64().unwrap() as i32;
    assert_eq!(pairs, [(n(&second), 1), (n(&first), 2)]);
}

/// The SQL contract for the three new tables, as the API role, and the endpoints: with
/// Suzume's scope Fiber X's invoices, counter and details are invisible and cannot be written
/// in its name, and neither Suzume's staff nor Suzume's storefront fetch Fiber X's invoice.
#[tokio::test]
async fn another_brand_cannot_read_write_or_fetch_this_brands_invoices() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let (fx_manager, sz_manager) = (app.manager("fiber-x").await, app.manager("suzume").await);
    let resp = patch_settings(
        &app,
        &fx_manager,
        "fiber-x",
        json!({"legal_name": "Fiber X"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let order = app.order_one_unit("fiber-x", "iso-fx").await;
    // Suzume's own order 1, unpaid: the same number in another brand.
    let theirs = app.order_one_unit("suzume", "iso-sz").await;
    assert_eq!(theirs["number"], order["number"]);
    mark_paid(&app, &fx_manager, "fiber-x", &order["number"]).await;
    app.run_jobs().await;
    assert_eq!(
        staff_invoice(&app, &fx_manager, "fiber-x", &order["number"])
            .await
            .status(),
        200
    );

    // Suzume's manager: in Suzume, order 1 has no invoice; in Fiber X, no access.
    assert_problem(
        staff_invoice(&app, &sz_manager, "suzume", &order["number"]).await,
        404,
    )
    .await;
    assert_problem(
        staff_invoice(&app, &sz_manager, "fiber-x", &order["number"]).await,
        403,
    )
    .await;
    // Fiber X's order id and token, asked of Suzume's storefront: unknown.
    let token = order["access_token"].as_str().unwrap();
    assert_problem(
        customer_invoice(&app, "suzume", &order["id"], token).await,
        404,
    )
    .await;

    let fbx = app.scope("fiber-x").await.tenant_id();
    let order_id: uuid::Uuid = order["id"].as_str().unwrap().parse().unwrap();
    let suzume = app.scope("suzume").await;
    let (invoices, counters, settings, updated) = app
        .state
        .db
        .tenant_tx(&suzume, async |tx| {
            let count = async |sql: &str| -> Result<i64, DbError> {
                Ok(tx.query_one(sql, &[&fbx]).await?.get(0))
            };
            let invoices = count("select count(*) from app.invoices where tenant_id = $1").await?;
            let counters =
                count("select count(*) from app.invoice_counters where tenant_id = $1").await?;
            let settings =
                count("select count(*) from app.invoice_settings where tenant_id = $1").await?;
            let updated = tx
                .execute(
                    "update app.invoices set object_key = 'suzume/x.pdf' where tenant_id = $1",
                    &[&fbx],
                )
                .await?;
            Ok::<_, DbError>((invoices, counters, settings, updated))
        })
        .await
        .unwrap();
    assert_eq!((invoices, counters, settings, updated), (0, 0, 0, 0));
    for sql in [
        "insert into app.invoices (tenant_id, number, order_id, issued_at, currency, \
           subtotal_minor, shipping_minor, tax_minor, total_minor, object_key) \
         values ($1, 77, $2, now(), 'EUR', 0, 0, 0, 0, 'fiber-x/invoices/x.pdf')",
        "insert into app.invoice_counters (tenant_id, series, last_number) \
         values ($1, 'invoice', 77)",
        "insert into app.invoice_settings (tenant_id, legal_name) values ($1, 'hijack')",
    ] {
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = if sql.contains("$2") {
            vec![&fbx, &order_id]
        } else {
            vec![&fbx]
        };
        app.assert_refused_in(&suzume, sql, &params).await;
    }
    assert_eq!(
        app.scalar::<String>("select legal_name from app.invoice_settings")
            .await,
        "Fiber X"
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.invoices").await,
        1
    );
}

#[tokio::test]
async fn invoice_pdfs_stay_under_the_brand_prefix_on_s3_and_download_by_presigned_url() {
    let s3 = TestS3::start().await;
    let app = TestApp::spawn_with_env(&s3.env(), &[]).await;
    app.two_brands().await;
    app.create_product("fiber-x", "HAIR", "Argan Oil", "active", json!([]))
        .await;
    app.create_product("suzume", "SKIN", "Rice Toner", "active", json!([]))
        .await;
    app.receive("fiber-x", crate::helpers::SHOP_SKU_FIBER_X, "BER", 5)
        .await;
    app.receive("suzume", crate::helpers::SHOP_SKU_SUZUME, "BER", 5)
        .await;
    let (fx_manager, sz_manager) = (app.manager("fiber-x").await, app.manager("suzume").await);
    let order = app.order_one_unit("fiber-x", "s3-fx").await;
    let theirs = app.order_one_unit("suzume", "s3-sz").await;
    mark_paid(&app, &fx_manager, "fiber-x", &order["number"]).await;
    mark_paid(&app, &sz_manager, "suzume", &theirs["number"]).await;
    app.run_jobs().await;
    let mut want = vec![
        expected_key(&app, "fiber-x", 1).await,
        expected_key(&app, "suzume", 1).await,
    ];
    want.sort();
    assert_eq!(s3.objects(), want);

    // Staff and customer get a presigned URL the S3 server honours, without credentials.
    let resp = staff_invoice(&app, &fx_manager, "fiber-x", &order["number"]).await;
    assert_eq!(resp.status(), 307);
    let url = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        url.contains("/fiber-x/invoices/") && url.contains("X-Amz-Signature="),
        "{url}"
    );
    let pdf = reqwest::get(&url).await.unwrap();
    assert_eq!(pdf.status(), 200);
    let text = pdf_text(&pdf.bytes().await.unwrap());
    assert!(text.contains("INV-1") && text.contains("15.00"), "{text}");
    let token = order["access_token"].as_str().unwrap();
    let resp = customer_invoice(&app, "fiber-x", &order["id"], token).await;
    assert_eq!(resp.status(), 307);

    // The store refuses another brand's invoice key with this brand's scope.
    let (fx, sz) = (app.scope("fiber-x").await, app.scope("suzume").await);
    let suzumes = ObjectKey::invoice(&sz, 1, chrono::Utc::now());
    assert!(matches!(
        app.state.media.get(&fx, &suzumes).await,
        Err(StorageError::OutsideBrand)
    ));
    assert!(matches!(
        app.state
            .media
            .put(&fx, &suzumes, bytes::Bytes::from_static(b"%PDF-"))
            .await,
        Err(StorageError::OutsideBrand)
    ));
    assert_eq!(s3.objects(), want);
}

/// A PNG of `w` x `h` red pixels, 8-bit RGB, with real zlib data and CRCs.
fn red_png(w: u32, h: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], body: &[u8]) {
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend_from_slice(body);
        out.extend_from_slice(&typed);
        out.extend_from_slice(&crc32(&typed).to_be_bytes());
    }
    // Each row: filter type 0 (none), then its pixels.
    let mut row = vec![0u8];
    row.extend([255, 0, 0].repeat(w as usize));
    let raw = row.repeat(h as usize);
    // zlib: one stored block, then the Adler-32 of the data.
    let mut z = vec![0x78, 0x01, 0x01];
    let len = raw.len() as u16;
    z.extend_from_slice(&len.to_le_bytes());
    z.extend_from_slice(&(!len).to_le_bytes());
    z.extend_from_slice(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &z);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[tokio::test]
async fn invoice_settings_name_every_invalid_field_and_the_logo_must_be_the_brands_own_image() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let fields = |body: &Value| -> Vec<String> {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    };
    let resp = patch_settings(
        &app,
        &manager,
        "fiber-x",
        json!({
            "legal_name": " ",
            "tax_id": "X".repeat(51),
            "address_lines": ["1", "2", "3", "4", "5", "6", "7\u{0}"],
        }),
    )
    .await;
    let body = assert_problem(resp, 422).await;
    assert_eq!(
        fields(&body),
        ["legal_name", "tax_id", "address_lines", "address_lines[6]"]
    );
    let resp = patch_settings(&app, &manager, "fiber-x", json!({"legal_name": "a\u{0}b"})).await;
    assert_eq!(fields(&assert_problem(resp, 422).await), ["legal_name"]);

    // Logos: a key of this brand's storage, of an image the PDF can carry.
    let resp = app
        .upload_media(&manager, "fiber-x", 1, "logo.png", None, red_png(4, 2))
        .await;
    assert_eq!(resp.status(), 201);
    let mut webp = b"RIFF\x44\0\0\0WEBPVP8 ".to_vec();
    webp.extend_from_slice(&[5; 64]);
    let resp = app
        .upload_media(&manager, "fiber-x", 1, "logo.webp", None, webp)
        .await;
    assert_eq!(resp.status(), 201);
    for bad in [
        "suzume/products/0001/logo.png",
        "fiber-x/../suzume/products/0001/logo.png",
        "/fiber-x/products/0001/logo.png",
        "fiber-x/products/0001/missing.png",
        "fiber-x/products/0001/logo.png/inside",
        "fiber-x/products",
        "fiber-x/products/0001/logo.webp",
        "",
    ] {
        let resp = patch_settings(&app, &manager, "fiber-x", json!({"logo_key": bad})).await;
        assert_eq!(
            fields(&assert_problem(resp, 422).await),
            ["logo_key"],
            "{bad}"
        );
    }
    // Nothing was saved by the refused changes.
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.invoice_settings")
            .await,
        0
    );
    let resp = patch_settings(
        &app,
        &manager,
        "fiber-x",
        json!({"logo_key": "fiber-x/products/0001/logo.png"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["logo_key"], "fiber-x/products/0001/logo.png");
    assert_eq!(body["legal_name"], Value::Null);
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.audit_log where action = 'invoices.settings'")
            .await,
        1
    );

    // The logo is in the PDF; without legal details the brand's display name is the seller.
    let order = app.order_one_unit("fiber-x", "logo").await;
    mark_paid(&app, &manager, "fiber-x", &order["number"]).await;
    app.run_jobs().await;
    let pdf = staff_invoice(&app, &manager, "fiber-x", &order["number"])
        .await
        .bytes()
        .await
        .unwrap();
    assert!(pdf_text(&pdf).contains("Brand fiber-x"));
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let images = doc
        .objects
        .values()
        .filter(|o| {
            o.as_stream().is_ok_and(|s| {
                s.dict.get(b"Subtype").and_then(|v| v.as_name()).ok() == Some(&b"Image"[..])
            })
        })
        .count();
    assert_eq!(images, 1);

    // `null` clears.
    let resp = patch_settings(&app, &manager, "fiber-x", json!({"logo_key": null})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["logo_key"], Value::Null);
}

/// The time to render one invoice PDF (10 lines), printed: the figure in bench/README.md.
/// `cargo test --release --test api invoice_rendering_time -- --ignored --nocapture`
#[tokio::test]
#[ignore = "a measurement, not a check: run it by name"]
async fn invoice_rendering_time() {
    use brandhouse::invoices::pdf::{self, InvoiceDocument, InvoiceLine, Seller};
    let doc = |lines: usize| InvoiceDocument {
        kind: pdf::DocumentKind::Invoice,
        seller: Seller {
            name: "Fiber X Haircare GmbH".into(),
            address_lines: vec!["Torstraße 1".into(), "10119 Berlin".into()],
            tax_id: Some("DE123456789".into()),
        },
        number: 1842,
        issued_at: chrono::Utc::now(),
        order_number: 1001,
        currency: "EUR".into(),
        buyer: Some(pdf::Buyer {
            name: "Ana Buyer".into(),
            email: Some("ana@example.test".into()),
        }),
        billing_address: None,
        shipping_address: None,
        shipping_method: None,
        prices_include_tax: true,
        lines: (0..lines)
            .map(|i| InvoiceLine {
                sku: format!("FBX-HAIR-{i:04}"),
                name: format!("Argan Oil, 100 ml ({i})"),
                quantity: 1,
                unit_price_minor: 1890,
                tax_rate_bp: 1900,
                tax_minor: 302,
                line_total_minor: 1890,
                discount_minor: 0,
            })
            .collect(),
        subtotal_minor: 1890 * lines as i64,
        discount_minor: 0,
        shipping_minor: 0,
        tax_minor: 302 * lines as i64,
        total_minor: 1890 * lines as i64,
    };
    for lines in [1, 10, 100] {
        let d = doc(lines);
        let runs = 2000 / lines.max(1) + 50;
        let started = std::time::Instant::now();
        let mut size = 0;
        for _ in 0..runs {
            size = pdf::render(&d, None).len();
        }
        let per = started.elapsed() / runs as u32;
        println!("invoice render: {lines} lines: {per:?} per PDF, {size} bytes");
    }
}

/// The render job per order, end to end on the local store (read the invoice, order and
/// details in the brand's transaction, render, write the file, mark it rendered), printed.
/// `cargo test --test api invoice_job_time_per_order -- --ignored --nocapture`
#[tokio::test]
#[ignore = "a measurement, not a check: run it by name"]
async fn invoice_job_time_per_order() {
    const N: usize = 100;
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    // The set-up's own jobs (the products' re-indexing) first.
    app.run_jobs().await;
    for i in 0..N {
        let order = app.order_one_unit("fiber-x", &format!("time-{i}")).await;
        mark_paid(&app, &manager, "fiber-x", &order["number"]).await;
    }
    let started = std::time::Instant::now();
    let ran = app.run_jobs().await;
    let elapsed = started.elapsed();
    assert_eq!(ran, N);
    println!(
        "invoice job: {N} orders in {elapsed:?}, {:?} per order",
        elapsed / N as u32
    );
}
