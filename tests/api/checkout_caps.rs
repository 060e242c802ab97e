//! Anonymous checkout cannot hoard a brand's stock, nor rename the brand's customers: the
//! brand's caps on units per SKU and on unpaid orders per email and per phone, enforced
//! race-free inside the checkout's transaction, and orders that show what their own checkout
//! sent.

use futures::{StreamExt, stream};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Signed, TestApp, assert_problem};

const A: &str = "FBX-HAIR-0001";
const S: &str = "SZM-SKIN-0001";

/// Both brands, one product each, 1,000 units of each in BER.
async fn shop() -> TestApp {
    let app = TestApp::spawn_with(&[("WORKER_ENABLED", "false"), ("DB_POOL_SIZE", "12")]).await;
    app.two_brands().await;
    app.create_product("fiber-x", "HAIR", "Argan Oil", "active", json!([]))
        .await;
    app.create_product("suzume", "SKIN", "Rice Toner", "active", json!([]))
        .await;
    app.receive("fiber-x", A, "BER", 1000).await;
    app.receive("suzume", S, "BER", 1000).await;
    app
}

/// Who a checkout says is buying.
#[derive(Clone, Copy)]
struct Buyer<'a> {
    name: &'a str,
    email: &'a str,
    phone: Option<&'a str>,
}

const ANA: Buyer<'static> = Buyer {
    name: "Ana",
    email: "ana@buyer.test",
    phone: Some("+4915100000001"),
};

/// POST /v1/storefront/checkouts as `buyer`.
async fn checkout(
    app: &TestApp,
    slug: &str,
    key: &str,
    lines: &[(&str, i32)],
    buyer: Buyer<'_>,
) -> reqwest::Response {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, q)| json!({"sku": sku, "quantity": q}))
        .collect();
    app.client
        .post(app.url("/v1/storefront/checkouts"))
        .header("X-Tenant-ID", slug)
        .header("Idempotency-Key", key)
        .json(&json!({
            "lines": lines,
            "customer": {"name": buyer.name, "email": buyer.email, "phone": buyer.phone},
        }))
        .send()
        .await
        .unwrap()
}

/// PATCH /v1/admin/brand/order-settings as the brand's manager.
async fn set_caps(app: &TestApp, manager: &Signed, slug: &str, change: Value) -> reqwest::Response {
    app.authed(
        Method::PATCH,
        "/v1/admin/brand/order-settings",
        manager,
        Some(slug),
    )
    .json(&change)
    .send()
    .await
    .unwrap()
}

async fn reserved(app: &TestApp, sku: &str) -> i32 {
    app.stock_of(sku, "BER").await.1
}

async fn orders_in(app: &TestApp, slug: &str) -> i64 {
    app.scalar(&format!(
        "select count(*) from app.orders o join app.tenants t on t.id = o.tenant_id \
         where t.slug = '{slug}'"
    ))
    .await
}

fn open_order_limit(body: &Value) {
    assert_eq!(body["type"], "urn:problem:brandhouse:open-order-limit");
    assert_eq!(body["status"], 409);
}

#[tokio::test]
async fn a_checkout_cannot_hold_more_than_the_brands_cap_per_sku() {
    let app = shop().await;
    // The attack: one anonymous request holding 1,000 units of a SKU, the whole stock.
    let body = assert_problem(
        checkout(&app, "fiber-x", "all", &[(A, 1000)], ANA).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "lines[0].quantity");
    assert_eq!(
        body["errors"][0]["message"],
        format!("at most 20 units of {A} per order in this brand")
    );
    // Spread over lines of the same SKU, the units add up; the line that goes over is named.
    let body = assert_problem(
        checkout(&app, "fiber-x", "split", &[(A, 15), (A, 5), (A, 1)], ANA).await,
        422,
    )
    .await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["errors"][0]["field"], "lines[2].quantity");
    // Nothing was held or written.
    assert_eq!(reserved(&app, A).await, 0);
    assert_eq!(orders_in(&app, "fiber-x").await, 0);
    let customers: i64 = app.scalar("select count(*) from app.customers").await;
    assert_eq!(customers, 0);

    // Up to the cap is fine.
    let resp = checkout(&app, "fiber-x", "twenty", &[(A, 20)], ANA).await;
    assert_eq!(resp.status(), 201);
    assert_eq!(reserved(&app, A).await, 20);

    // The brand sets its own cap (1 to 1000), and the settings say it.
    let manager = app.manager("fiber-x").await;
    for bad in [0, 1001] {
        let body = assert_problem(
            set_caps(&app, &manager, "fiber-x", json!({"max_units_per_sku": bad})).await,
            422,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "max_units_per_sku");
    }
    let resp = set_caps(&app, &manager, "fiber-x", json!({"max_units_per_sku": 5})).await;
    assert_eq!(resp.status(), 200);
    let settings: Value = resp.json().await.unwrap();
    assert_eq!(settings["max_units_per_sku"], 5);
    assert_eq!(settings["max_open_orders_per_customer"], 3);
    let other = Buyer {
        email: "bo@buyer.test",
        phone: None,
        ..ANA
    };
    let body = assert_problem(
        checkout(&app, "fiber-x", "six", &[(A, 6)], other).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "lines[0].quantity");
    let resp = checkout(&app, "fiber-x", "five", &[(A, 5)], other).await;
    assert_eq!(resp.status(), 201);
    assert_eq!(reserved(&app, A).await, 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_email_cannot_hold_more_unpaid_orders_than_the_cap() {
    let app = shop().await;
    // The attack: the same email, a new Idempotency-Key each time. Three orders (the default
    // cap) are placed; the fourth is refused and holds nothing.
    for i in 0..3 {
        let resp = checkout(&app, "fiber-x", &format!("k{i}"), &[(A, 2)], ANA).await;
        assert_eq!(resp.status(), 201);
    }
    let body = assert_problem(checkout(&app, "fiber-x", "k3", &[(A, 2)], ANA).await, 409).await;
    open_order_limit(&body);
    assert!(
        body["detail"].as_str().unwrap().contains("this email"),
        "{body}"
    );
    assert_eq!(reserved(&app, A).await, 6);
    assert_eq!(orders_in(&app, "fiber-x").await, 3);
    // The email as typed differently is the same customer.
    let shouting = Buyer {
        email: "  ANA@Buyer.TEST ",
        phone: None,
        ..ANA
    };
    let body = assert_problem(
        checkout(&app, "fiber-x", "k4", &[(A, 2)], shouting).await,
        409,
    )
    .await;
    open_order_limit(&body);
    // A retry of a placed checkout still gets its order back.
    let resp = checkout(&app, "fiber-x", "k0", &[(A, 2)], ANA).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["idempotent-replayed"], "true");

    // A new email with the same phone is still the same buyer: the phone has its own count.
    for i in 0..3 {
        let alias = format!("alias{i}@buyer.test");
        let buyer = Buyer {
            email: &alias,
            phone: Some("+4915100000002"),
            ..ANA
        };
        let resp = checkout(&app, "fiber-x", &format!("p{i}"), &[(A, 1)], buyer).await;
        assert_eq!(resp.status(), 201);
    }
    let buyer = Buyer {
        email: "alias9@buyer.test",
        phone: Some("+4915100000002"),
        ..ANA
    };
    let body = assert_problem(checkout(&app, "fiber-x", "p3", &[(A, 1)], buyer).await, 409).await;
    open_order_limit(&body);
    assert!(body["detail"].as_str().unwrap().contains("phone"), "{body}");

    // An order whose holds ran out holds nothing and no longer counts, sweeper or no sweeper.
    app.db
        .admin()
        .await
        .execute(
            "update app.orders set holds_expire_at = now() - interval '1 second' \
             where idempotency_key = 'k0'",
            &[],
        )
        .await
        .unwrap();
    let resp = checkout(&app, "fiber-x", "k5", &[(A, 2)], ANA).await;
    assert_eq!(resp.status(), 201);

    // Concurrently: twelve checkouts for one new email, each with its own key, at once. The
    // count and the new order happen under one lock per (brand, email): exactly the cap win.
    let rush = Buyer {
        email: "rush@buyer.test",
        phone: None,
        ..ANA
    };
    let app = &app;
    let responses: Vec<reqwest::Response> = stream::iter(0..12)
        .map(|i| async move { checkout(app, "fiber-x", &format!("r{i}"), &[(A, 1)], rush).await })
        .buffer_unordered(12)
        .collect()
        .await;
    let mut created = 0;
    for r in responses {
        match r.status().as_u16() {
            201 => created += 1,
            409 => open_order_limit(&r.json().await.unwrap()),
            other => panic!("unexpected {other}: {}", r.text().await.unwrap()),
        }
    }
    assert_eq!(created, 3);
    let open: i64 = app
        .scalar(
            "select count(*) from app.orders o join app.customers c on c.id = o.customer_id \
             where c.email = 'rush@buyer.test'",
        )
        .await;
    assert_eq!(open, 3);
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test]
async fn a_checkout_does_not_rename_an_existing_customer() {
    let app = shop().await;
    let first = checkout(&app, "fiber-x", "ana-1", &[(A, 1)], ANA).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    // The attack: an anonymous checkout with Ana's email, another name and phone.
    let mallory = Buyer {
        name: "Mallory",
        email: "ana@buyer.test",
        phone: Some("+4917000000666"),
    };
    let second = checkout(&app, "fiber-x", "mallory-1", &[(A, 1)], mallory).await;
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();

    // The customer is still Ana, with her phone.
    let (name, phone): (String, String) = {
        let row = app
            .db
            .admin()
            .await
            .query_one(
                "select name, phone from app.customers where email = 'ana@buyer.test'",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((name.as_str(), phone.as_str()), ("Ana", "+4915100000001"));
    // The new order shows what its checkout sent; Ana's earlier order still shows Ana.
    assert_eq!(
        second["customer"],
        json!({"name": "Mallory", "email": "ana@buyer.test", "phone": "+4917000000666"})
    );
    let read = |order: &Value| {
        let id = order["id"].as_str().unwrap().to_owned();
        let token = order["access_token"].as_str().unwrap().to_owned();
        let app = &app;
        async move {
            let resp = app
                .client
                .get(app.url(&format!("/v1/storefront/orders/{id}")))
                .header("X-Tenant-ID", "fiber-x")
                .header("X-Order-Token", token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(read(&first).await["customer"]["name"], "Ana");
    assert_eq!(read(&first).await["customer"]["phone"], "+4915100000001");
    assert_eq!(read(&second).await["customer"]["name"], "Mallory");
    // Staff see the same: the list and the details show each order's own snapshot, and the
    // customer list shows Ana.
    let manager = app.manager("fiber-x").await;
    let page: Value = app
        .authed(Method::GET, "/v1/admin/orders", &manager, Some("fiber-x"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<(i64, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["number"].as_i64().unwrap(),
                o["customer_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(names, [(2, "Mallory".to_owned()), (1, "Ana".to_owned())]);
    let detail: Value = app
        .authed(Method::GET, "/v1/admin/orders/1", &manager, Some("fiber-x"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["customer"]["name"], "Ana");
    let customers: Value = app
        .authed(
            Method::GET,
            "/v1/admin/customers",
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(customers[0]["name"], "Ana", "{customers}");
    assert_eq!(customers[0]["order_count"], 2);

    // Only what is missing is filled: a customer who gave no phone gets the one given later.
    let bo = Buyer {
        name: "Bo",
        email: "bo@buyer.test",
        phone: None,
    };
    assert_eq!(
        checkout(&app, "fiber-x", "bo-1", &[(A, 1)], bo)
            .await
            .status(),
        201
    );
    let bo_later = Buyer {
        phone: Some("+4915100000003"),
        name: "Somebody Else",
        ..bo
    };
    assert_eq!(
        checkout(&app, "fiber-x", "bo-2", &[(A, 1)], bo_later)
            .await
            .status(),
        201
    );
    let phone: String = app
        .scalar("select phone from app.customers where email = 'bo@buyer.test'")
        .await;
    assert_eq!(phone, "+4915100000003");
    let name: String = app
        .scalar("select name from app.customers where email = 'bo@buyer.test'")
        .await;
    assert_eq!(name, "Bo");
}

#[tokio::test]
async fn the_caps_are_per_brand() {
    let app = shop().await;
    let suzume = app.manager("suzume").await;
    let resp = set_caps(
        &app,
        &suzume,
        "suzume",
        json!({"max_units_per_sku": 2, "max_open_orders_per_customer": 1}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    // Suzume's caps hold in Suzume.
    let body = assert_problem(checkout(&app, "suzume", "s0", &[(S, 3)], ANA).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "lines[0].quantity");
    assert_eq!(
        checkout(&app, "suzume", "s1", &[(S, 2)], ANA)
            .await
            .status(),
        201
    );
    let body = assert_problem(checkout(&app, "suzume", "s2", &[(S, 1)], ANA).await, 409).await;
    open_order_limit(&body);
    // Fiber X keeps its own (the defaults), for the same email and phone.
    let fiber_x = app.manager("fiber-x").await;
    let settings: Value = app
        .authed(
            Method::GET,
            "/v1/admin/brand/order-settings",
            &fiber_x,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &settings["max_units_per_sku"],
            &settings["max_open_orders_per_customer"]
        ),
        (&json!(20), &json!(3))
    );
    // Ana's open Suzume order does not count in Fiber X: three more are placed there.
    for i in 0..3 {
        let resp = checkout(&app, "fiber-x", &format!("f{i}"), &[(A, 20)], ANA).await;
        assert_eq!(resp.status(), 201);
    }
    let body = assert_problem(checkout(&app, "fiber-x", "f3", &[(A, 1)], ANA).await, 409).await;
    open_order_limit(&body);
    assert_eq!(reserved(&app, S).await, 2);
    assert_eq!(reserved(&app, A).await, 60);
}
