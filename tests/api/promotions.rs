//! Promotions and promo codes: management, quotes and checkout priced by one code path,
//! stacking, exact usage under concurrency, uses following the order's holds, and each brand's
//! codes unknown to the others (through the API and in the database).

use brandhouse::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{SHOP_SKU_FIBER_X, SHOP_SKU_SUZUME, Signed, TestApp, assert_problem};

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Signed,
    brand: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.authed(method, path, who, Some(brand));
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// Creates a promotion in `brand`; returns it.
async fn create(app: &TestApp, who: &Signed, brand: &str, body: Value) -> Value {
    let resp = send(
        app,
        Method::POST,
        "/v1/admin/promotions",
        who,
        brand,
        Some(body),
    )
    .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// POST /v1/storefront/quotes.
async fn quote(app: &TestApp, brand: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/v1/storefront/quotes"))
        .header("X-Tenant-ID", brand)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A checkout of `quantity` units of the brand's shop product with `codes`, by `email`.
async fn checkout(
    app: &TestApp,
    brand: &str,
    key: &str,
    quantity: i32,
    codes: &[&str],
    email: &str,
) -> reqwest::Response {
    let sku = if brand == "fiber-x" {
        SHOP_SKU_FIBER_X
    } else {
        SHOP_SKU_SUZUME
    };
    app.client
        .post(app.url("/v1/storefront/checkouts"))
        .header("X-Tenant-ID", brand)
        .header("Idempotency-Key", key)
        .json(&json!({
            "lines": [{"sku": sku, "quantity": quantity}],
            "customer": {"name": "Ana Buyer", "email": email},
            "promo_codes": codes,
        }))
        .send()
        .await
        .unwrap()
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

async fn uses(app: &TestApp, id: &str) -> (i32, Vec<String>) {
    let admin = app.db.admin().await;
    let id: uuid::Uuid = id.parse().unwrap();
    let count: i32 = admin
        .query_one(
            "select uses_count from app.promotions where id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    let statuses = admin
        .query(
            "select status from app.promotion_uses where promotion_id = $1 order by created_at, status",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    (count, statuses)
}

#[tokio::test]
async fn promotions_are_managed_checked_and_read_by_catalog_readers() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let support = app
        .staff("fiber-x", Role::Support, "support@fiber-x.test")
        .await;
    let p = create(
        &app,
        &manager,
        "fiber-x",
        json!({"name": "Welcome", "code": "WELCOME10", "kind": "percentage", "percent_bp": 1000,
               "usage_limit": 100, "customer_emails": ["Ana@Example.com"]}),
    )
    .await;
    assert_eq!(p["code"], "WELCOME10");
    assert_eq!(p["target"], "all");
    assert_eq!(p["uses_count"], 0);
    assert_eq!(p["customer_email_count"], 1);
    assert!(p.get("customer_emails").is_none());
    let id = p["id"].as_str().unwrap().to_owned();

    // The same code in another case is the same code.
    let resp = send(
        &app,
        Method::POST,
        "/v1/admin/promotions",
        &manager,
        "fiber-x",
        Some(json!({"name": "Dup", "code": "welcome10", "kind": "free_shipping"})),
    )
    .await;
    assert_problem(resp, 409).await;

    // Bad input: every bad field named, nothing stored; never a 500.
    for (body, field) in [
        (
            json!({"name": "A\u{0}", "kind": "percentage", "percent_bp": 10}),
            "name",
        ),
        (
            json!({"name": "A", "kind": "percentage", "percent_bp": 10001}),
            "percent_bp",
        ),
        (json!({"name": "A", "kind": "percentage"}), "percent_bp"),
        (
            json!({"name": "A", "kind": "fixed_amount", "amount_minor": i64::MAX}),
            "amount_minor",
        ),
        (
            json!({"name": "A", "kind": "free_shipping", "percent_bp": 10}),
            "percent_bp",
        ),
        (
            json!({"name": "A", "code": "x".repeat(5000), "kind": "free_shipping"}),
            "code",
        ),
        (
            json!({"name": "A", "code": "BAD\u{0}", "kind": "free_shipping"}),
            "code",
        ),
        (
            json!({"name": "A", "kind": "free_shipping", "target": "skus", "targets": []}),
            "targets",
        ),
        (
            json!({"name": "A", "kind": "free_shipping", "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}),
            "ends_at",
        ),
        (
            json!({"name": "A", "kind": "buy_x_get_y", "buy_quantity": 0, "get_quantity": 1}),
            "buy_quantity",
        ),
        (
            json!({"name": "A", "kind": "free_shipping", "customer_emails": ["nope"]}),
            "customer_emails[0]",
        ),
        (
            json!({"name": "A", "kind": "free_shipping", "usage_limit": 0}),
            "usage_limit",
        ),
    ] {
        let resp = send(
            &app,
            Method::POST,
            "/v1/admin/promotions",
            &manager,
            "fiber-x",
            Some(body.clone()),
        )
        .await;
        let problem = assert_problem(resp, 422).await;
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{body}: {problem}");
    }
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.promotions")
            .await,
        1
    );

    // Support reads (catalog.read) but cannot write (promotions.write).
    let path = format!("/v1/admin/promotions/{id}");
    let list: Vec<Value> = send(
        &app,
        Method::GET,
        "/v1/admin/promotions",
        &support,
        "fiber-x",
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(list.len(), 1);
    let resp = send(
        &app,
        Method::PATCH,
        &path,
        &support,
        "fiber-x",
        Some(json!({"active": false})),
    )
    .await;
    assert_problem(resp, 403).await;

    // A change merges into the stored promotion; changing the kind drops the old figure.
    let resp = send(
        &app,
        Method::PATCH,
        &path,
        &manager,
        "fiber-x",
        Some(json!({"kind": "fixed_amount", "amount_minor": 500, "code": null})),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let changed: Value = resp.json().await.unwrap();
    assert_eq!(changed["kind"], "fixed_amount");
    assert_eq!(changed["percent_bp"], Value::Null);
    assert_eq!(changed["code"], Value::Null);
    assert_eq!(changed["usage_limit"], 100);
    let resp = send(&app, Method::DELETE, &path, &manager, "fiber-x", None).await;
    assert_eq!(resp.status(), 204);
    let resp = send(&app, Method::GET, &path, &manager, "fiber-x", None).await;
    assert_problem(resp, 404).await;
}

#[tokio::test]
async fn a_quote_and_the_checkout_price_a_code_alike_with_tax_after_the_discount() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let resp = send(
        &app,
        Method::PUT,
        "/v1/admin/tax-rates/DE/standard",
        &manager,
        "fiber-x",
        Some(json!({"rate_bp": 1900})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = send(
        &app,
        Method::PATCH,
        "/v1/admin/brand/order-settings",
        &manager,
        "fiber-x",
        Some(json!({"tax_origin_country": "DE"})),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    create(
        &app,
        &manager,
        "fiber-x",
        json!({"name": "Spring", "code": "SPRING15", "kind": "percentage", "percent_bp": 1500,
               "target": "categories", "targets": ["HAIR"]}),
    )
    .await;
    // 3 x 15.00 = 45.00; 15 % off = 6.75; tax 19 % of 38.25 = 7.2675 -> 7.27.
    let resp = quote(
        &app,
        "fiber-x",
        json!({"lines": [{"sku": SHOP_SKU_FIBER_X, "quantity": 3}], "promo_codes": ["spring15"]}),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let q: Value = resp.json().await.unwrap();
    assert_eq!(q["subtotal_minor"], 4500);
    assert_eq!(q["discount_minor"], 675);
    assert_eq!(q["tax_minor"], 727);
    assert_eq!(q["total_minor"], 4500 - 675 + 727);
    assert_eq!(q["lines"][0]["discount_minor"], 675);
    assert_eq!(q["promotions"][0]["code"], "SPRING15");
    assert_eq!(q["promotions"][0]["amount_minor"], 675);
    // The quote took no use and held no stock.
    assert_eq!(
        app.scalar::<i32>("select uses_count from app.promotions")
            .await,
        0
    );
    assert_eq!(app.stock_of(SHOP_SKU_FIBER_X, "BER").await, (500, 0));

    let resp = checkout(&app, "fiber-x", "q1", 3, &["Spring15"], "ana@buyer.test").await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let order: Value = resp.json().await.unwrap();
    for k in [
        "subtotal_minor",
        "discount_minor",
        "tax_minor",
        "total_minor",
    ] {
        assert_eq!(order[k], q[k], "{k}");
    }
    assert_eq!(order["lines"][0]["discount_minor"], 675);
    assert_eq!(order["lines"][0]["tax_minor"], 727);
    assert_eq!(order["promotions"][0]["name"], "Spring");
    // The retry with the same key and codes replays; other codes are another request.
    let again = checkout(&app, "fiber-x", "q1", 3, &["Spring15"], "ana@buyer.test").await;
    assert_eq!(again.status(), 200);
    // The replay reads the order back from the database; the first answer was built from what
    // the checkout wrote: they are the same document, discounts and taxes included.
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, order);
    let other = checkout(&app, "fiber-x", "q1", 3, &[], "ana@buyer.test").await;
    assert_problem(other, 422).await;
    assert_eq!(
        app.scalar::<i32>("select uses_count from app.promotions")
            .await,
        1
    );
    // order.created carries the discount, no personal data.
    let payload: Value = app
        .scalar("select payload from app.events where type = 'order.created'")
        .await;
    assert_eq!(payload["discount_minor"], 675);
    assert!(!payload.to_string().contains("ana@buyer.test"));

    // Bad codes are field errors, never a 500.
    for codes in [
        json!(["\u{0}"]),
        json!(["x".repeat(100)]),
        json!(["a", "b", "c", "d", "e", "f"]),
    ] {
        let resp = quote(
            &app,
            "fiber-x",
            json!({"lines": [{"sku": SHOP_SKU_FIBER_X, "quantity": 1}], "promo_codes": codes}),
        )
        .await;
        assert_problem(resp, 422).await;
    }
}

#[tokio::test]
async fn stacking_applies_item_level_before_order_level_and_the_best_exclusive_alone() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    create(
        &app,
        &manager,
        "fiber-x",
        json!({"name": "Auto 10", "kind": "percentage", "percent_bp": 1000}),
    )
    .await;
    create(
        &app,
        &manager,
        "fiber-x",
        json!({"name": "Minus 3", "code": "MINUS3", "kind": "fixed_amount", "amount_minor": 300}),
    )
    .await;
    create(
        &app,
        &manager,
        "fiber-x",
        json!({"name": "Quarter", "code": "QUARTER", "kind": "percentage", "percent_bp": 2500, "exclusive": true}),
    )
    .await;
    create(
        &app,
        &manager,
        "fiber-x",
        json!({"name": "3 for 2", "code": "3FOR2", "kind": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1,
               "target": "skus", "targets": [SHOP_SKU_FIBER_X]}),
    )
    .await;
    let names = |q: &Value| -> Vec<(String, i64)> {
        q["promotions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["amount_minor"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let priced = |codes: Value| {
        let app = &app;
        async move {
            let resp = quote(
                app,
                "fiber-x",
                json!({"lines": [{"sku": SHOP_SKU_FIBER_X, "quantity": 3}], "promo_codes": codes}),
            )
            .await;
            assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
            resp.json::<Value>().await.unwrap()
        }
    };
    // 45.00: the automatic 10 % (4.50), then the fixed 3.00, whatever order the codes came in.
    let q = priced(json!(["minus3"])).await;
    assert_eq!(
        names(&q),
        [("Auto 10".to_owned(), 450), ("Minus 3".to_owned(), 300)]
    );
    // Buy-X-get-Y first (15.00 free), then 10 % of 30.00, then 3.00.
    let q = priced(json!(["MINUS3", "3for2"])).await;
    assert_eq!(
        names(&q),
        [
            ("3 for 2".to_owned(), 1500),
            ("Auto 10".to_owned(), 300),
            ("Minus 3".to_owned(), 300)
        ]
    );
    // The exclusive 25 % (11.25) beats 10 % + 3.00 (7.50) and is applied alone ...
    let q = priced(json!(["MINUS3", "QUARTER"])).await;
    assert_eq!(names(&q), [("Quarter".to_owned(), 1125)]);
    assert_eq!(q["total_minor"], 4500 - 1125);
    // ... and loses to 3-for-2 + 10 % + 3.00 (21.00).
    let q = priced(json!(["MINUS3", "QUARTER", "3FOR2"])).await;
    assert_eq!(q["discount_minor"], 2100);
    assert_eq!(q["promotions"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_brands_code_is_simply_unknown_in_another_brand() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let fiber = app.manager("fiber-x").await;
    let suzume = app.manager("suzume").await;
    let fx = create(
        &app,
        &fiber,
        "fiber-x",
        json!({"name": "FX welcome", "code": "WELCOME10", "kind": "percentage", "percent_bp": 1000}),
    )
    .await;
    create(
        &app,
        &suzume,
        "suzume",
        json!({"name": "SZ welcome", "code": "welcome10", "kind": "fixed_amount", "amount_minor": 100}),
    )
    .await;
    create(
        &app,
        &fiber,
        "fiber-x",
        json!({"name": "FX only", "code": "FIBERONLY", "kind": "percentage", "percent_bp": 5000}),
    )
    .await;
    // WELCOME10 is each brand's own promotion.
    let resp = checkout(&app, "suzume", "s1", 1, &["WELCOME10"], "ana@buyer.test").await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let order: Value = resp.json().await.unwrap();
    assert_eq!(order["promotions"][0]["name"], "SZ welcome");
    assert_eq!(order["discount_minor"], 100);
    // Fiber X's code in Suzume reads exactly like a code nobody has.
    let mut problems = Vec::new();
    for code in ["FIBERONLY", "NOBODYHASIT"] {
        let resp = checkout(&app, "suzume", code, 1, &[code], "ana@buyer.test").await;
        let mut p = assert_problem(resp, 422).await;
        assert_eq!(p["type"], "urn:problem:brandhouse:unknown-promo-code");
        p.as_object_mut().unwrap().remove("request_id");
        p.as_object_mut().unwrap().remove("instance");
        problems.push(p);
        let resp = quote(
            &app,
            "suzume",
            json!({"lines": [{"sku": SHOP_SKU_SUZUME, "quantity": 1}], "promo_codes": [code]}),
        )
        .await;
        assert_problem(resp, 422).await;
    }
    assert_eq!(problems[0], problems[1]);
    // Suzume's manager cannot read, change or delete Fiber X's promotion.
    let path = format!("/v1/admin/promotions/{}", fx["id"].as_str().unwrap());
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"active": false}))),
        (Method::DELETE, None),
    ] {
        let resp = send(&app, method, &path, &suzume, "suzume", body).await;
        assert_problem(resp, 404).await;
    }
    let resp = send(
        &app,
        Method::GET,
        "/v1/admin/promotions",
        &suzume,
        "fiber-x",
        None,
    )
    .await;
    assert_problem(resp, 403).await;

    // In the database, as the API role in Suzume's transaction: Fiber X's promotions and uses
    // are invisible, unchangeable, and cannot be planted.
    let fiber_x: uuid::Uuid = app
        .scalar("select id from app.tenants where slug = 'fiber-x'")
        .await;
    let fx_id: uuid::Uuid = fx["id"].as_str().unwrap().parse().unwrap();
    let scope = app.scope("suzume").await;
    let (seen, changed) = app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            let seen: i64 = tx
                .query_one(
                    "select count(*) from app.promotions where tenant_id = $1 or lower(code) = 'fiberonly'",
                    &[&fiber_x],
                )
                .await?
                .get(0);
            let changed = tx
                .execute(
                    "update app.promotions set uses_count = 0, active = false where id = $1",
                    &[&fx_id],
                )
                .await?;
            Ok::<_, brandhouse::db::DbError>((seen, changed))
        })
        .await
        .unwrap();
    assert_eq!((seen, changed), (0, 0));
    app.assert_refused_in(
        &scope,
        "insert into app.promotions (tenant_id, name, code, kind, percent_bp) values ($1, 'Planted', 'PLANTED', 'percentage', 10000)",
        &[&fiber_x],
    )
    .await;
    let order_id: uuid::Uuid = order["id"].as_str().unwrap().parse().unwrap();
    app.assert_refused_in(
        &scope,
        "insert into app.promotion_uses (tenant_id, promotion_id, order_id, email, discount_minor) values ($1, $2, $3, 'x@y.z', 0)",
        &[&fiber_x, &fx_id, &order_id],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_with_ten_uses_left_is_used_exactly_ten_times_by_fifty_concurrent_checkouts() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let p = create(
        &app,
        &manager,
        "fiber-x",
        json!({"name": "Launch", "code": "LAUNCH", "kind": "fixed_amount", "amount_minor": 100, "usage_limit": 12}),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_owned();
    // Two uses already taken: ten left.
    for i in 0..2 {
        let resp = checkout(
            &app,
            "fiber-x",
            &format!("pre{i}"),
            1,
            &["LAUNCH"],
            &format!("pre{i}@buyer.test"),
        )
        .await;
        assert_eq!(resp.status(), 201);
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let resp = checkout(
                &app,
                "fiber-x",
                &format!("c{i}"),
                1,
                &["launch"],
                &format!("c{i}@buyer.test"),
            )
            .await;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap();
            (status, body)
        }));
    }
    let mut placed = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            201 => placed += 1,
            409 => assert_eq!(
                body["type"], "urn:problem:brandhouse:promo-code-exhausted",
                "{body}"
            ),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(placed, 10);
    let (count, statuses) = uses(&app, &id).await;
    assert_eq!(count, 12);
    assert_eq!(statuses.iter().filter(|s| *s == "held").count(), 12);
    // Refused checkouts left nothing behind.
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.orders").await,
        12
    );
    assert_eq!(app.stock_of(SHOP_SKU_FIBER_X, "BER").await, (500, 12));
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test]
async fn uses_are_released_by_expiry_and_cancellation_consumed_by_payment_and_retaken_or_conflicted_after_expiry()
 {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let p = create(
        &app,
        &manager,
        "fiber-x",
        json!({"name": "One", "code": "ONE", "kind": "percentage", "percent_bp": 1000, "usage_limit": 1}),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_owned();
    let number = |o: &Value| o["number"].as_i64().unwrap();

    // A holds the only use; B is refused.
    let a: Value = checkout(&app, "fiber-x", "a", 1, &["ONE"], "a@buyer.test")
        .await
        .json()
        .await
        .unwrap();
    let resp = checkout(&app, "fiber-x", "b", 1, &["ONE"], "b@buyer.test").await;
    assert_problem(resp, 409).await;
    // A's holds expire: the use is released and B gets it.
    expire_now(&app).await;
    app.run_jobs().await;
    assert_eq!(uses(&app, &id).await, (0, vec!["released".to_owned()]));
    let b: Value = checkout(&app, "fiber-x", "b2", 1, &["ONE"], "b@buyer.test")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(uses(&app, &id).await.0, 1);
    // B is cancelled: released again.
    let resp = send(
        &app,
        Method::POST,
        &format!("/v1/admin/orders/{}/cancel", number(&b)),
        &manager,
        "fiber-x",
        None,
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert_eq!(uses(&app, &id).await.0, 0);
    // C is paid: consumed, still counted.
    let c: Value = checkout(&app, "fiber-x", "c", 1, &["ONE"], "c@buyer.test")
        .await
        .json()
        .await
        .unwrap();
    let resp = send(
        &app,
        Method::POST,
        &format!("/v1/admin/orders/{}/mark-paid", number(&c)),
        &manager,
        "fiber-x",
        None,
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let (count, statuses) = uses(&app, &id).await;
    assert_eq!(count, 1);
    assert_eq!(statuses.last().unwrap(), "consumed");

    // Paid after expiry: A's released use is taken again if one is left, else a conflict.
    let resp = send(
        &app,
        Method::PATCH,
        &format!("/v1/admin/promotions/{id}"),
        &manager,
        "fiber-x",
        Some(json!({"usage_limit": 3})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = send(
        &app,
        Method::POST,
        &format!("/v1/admin/orders/{}/mark-paid", number(&a)),
        &manager,
        "fiber-x",
        None,
    )
    .await;
    let paid: Value = resp.json().await.unwrap();
    assert_eq!(paid["order"]["status"], "paid", "{paid}");
    assert_eq!(uses(&app, &id).await.0, 2);
    let d: Value = checkout(&app, "fiber-x", "d", 1, &["ONE"], "d@buyer.test")
        .await
        .json()
        .await
        .unwrap();
    expire_now(&app).await;
    app.run_jobs().await;
    assert_eq!(uses(&app, &id).await.0, 2);
    let e = checkout(&app, "fiber-x", "e", 1, &["ONE"], "e@buyer.test").await;
    assert_eq!(e.status(), 201);
    assert_eq!(uses(&app, &id).await.0, 3);
    let resp = send(
        &app,
        Method::POST,
        &format!("/v1/admin/orders/{}/mark-paid", number(&d)),
        &manager,
        "fiber-x",
        None,
    )
    .await;
    let conflicted: Value = resp.json().await.unwrap();
    assert_eq!(
        conflicted["order"]["status"], "payment_conflict",
        "{conflicted}"
    );
    assert_eq!(uses(&app, &id).await.0, 3);
    assert!(app.ledger_mismatches().await.is_empty());
    // The owner's analytics: A and C paid with it (1.50 off 15.00 each).
    let owner = app.owner("owner@brandhouse.test").await;
    let figures: Vec<Value> = app
        .authed(Method::GET, "/v1/admin/analytics/promotions", &owner, None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let one = figures.iter().find(|f| f["code"] == "ONE").unwrap();
    assert_eq!(one["slug"], "fiber-x");
    assert_eq!(one["uses"], 2);
    assert_eq!(one["discount_minor"], 300);
    assert_eq!(one["revenue_minor"], 2700);
    // A used promotion cannot be deleted.
    let resp = send(
        &app,
        Method::DELETE,
        &format!("/v1/admin/promotions/{id}"),
        &manager,
        "fiber-x",
        None,
    )
    .await;
    assert_problem(resp, 409).await;
}

#[tokio::test]
async fn conditions_first_order_email_list_window_minimum_and_per_customer_limit() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    create(&app, &manager, "fiber-x", json!({"name": "First", "code": "FIRST", "kind": "percentage", "percent_bp": 1000, "first_order_only": true})).await;
    create(&app, &manager, "fiber-x", json!({"name": "VIP", "code": "VIP", "kind": "percentage", "percent_bp": 1000, "customer_emails": ["vip@buyer.test"]})).await;
    create(&app, &manager, "fiber-x", json!({"name": "Later", "code": "LATER", "kind": "percentage", "percent_bp": 1000, "starts_at": "2999-01-01T00:00:00Z"})).await;
    create(&app, &manager, "fiber-x", json!({"name": "Big", "code": "BIG", "kind": "percentage", "percent_bp": 1000, "min_subtotal_minor": 3000})).await;
    create(&app, &manager, "fiber-x", json!({"name": "Once", "code": "ONCE", "kind": "percentage", "percent_bp": 1000, "usage_limit_per_customer": 1})).await;
    let not_applicable = |resp: reqwest::Response| async move {
        let p = assert_problem(resp, 422).await;
        assert_eq!(
            p["type"], "urn:problem:brandhouse:promo-code-not-applicable",
            "{p}"
        );
        assert_eq!(p["errors"][0]["field"], "promo_codes[0]");
    };
    not_applicable(checkout(&app, "fiber-x", "v1", 1, &["VIP"], "ana@buyer.test").await).await;
    assert_eq!(
        checkout(&app, "fiber-x", "v2", 1, &["VIP"], "VIP@buyer.test")
            .await
            .status(),
        201
    );
    not_applicable(checkout(&app, "fiber-x", "l1", 1, &["LATER"], "ana@buyer.test").await).await;
    not_applicable(checkout(&app, "fiber-x", "b1", 1, &["BIG"], "ana@buyer.test").await).await;
    assert_eq!(
        checkout(&app, "fiber-x", "b2", 2, &["BIG"], "ana@buyer.test")
            .await
            .status(),
        201
    );
    // Ana has an open order now: not a first order; Bea's is.
    not_applicable(checkout(&app, "fiber-x", "f1", 1, &["FIRST"], "ana@buyer.test").await).await;
    assert_eq!(
        checkout(&app, "fiber-x", "f2", 1, &["FIRST"], "bea@buyer.test")
            .await
            .status(),
        201
    );
    assert_eq!(
        checkout(&app, "fiber-x", "o1", 1, &["ONCE"], "cy@buyer.test")
            .await
            .status(),
        201
    );
    let p = assert_problem(
        checkout(&app, "fiber-x", "o2", 1, &["ONCE"], "CY@buyer.test").await,
        409,
    )
    .await;
    assert_eq!(p["type"], "urn:problem:brandhouse:promo-code-exhausted");
}
