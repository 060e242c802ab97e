//! Delivery and tax at checkout: shipping methods and tax rates per brand, addresses, and the
//! order's subtotal, shipping, tax and total, always priced on the server.

use brandhouse::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{SHOP_SKU_FIBER_X, Signed, TestApp, assert_problem};

/// An address in `country` (a Berlin one with a postal code, whatever the country).
fn address(country: &str) -> Value {
    json!({
        "name": "Ana Buyer",
        "line1": "Invalidenstraße 117",
        "city": "Berlin",
        "postal_code": "10115",
        "country": country,
        "phone": "+4915123456789",
    })
}

/// POST /v1/storefront/checkouts with `body` merged over one line of the shop's product.
async fn checkout(
    app: &TestApp,
    slug: &str,
    key: &str,
    quantity: i32,
    extra: Value,
) -> reqwest::Response {
    let mut body = json!({
        "lines": [{"sku": SHOP_SKU_FIBER_X, "quantity": quantity}],
        "customer": {"name": "Ana Buyer", "email": format!("{key}@buyer.test")},
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.client
        .post(app.url("/v1/storefront/checkouts"))
        .header("X-Tenant-ID", slug)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Signed,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.authed(method, path, who, Some("fiber-x"));
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// Fiber X with taxes and two methods: prices exclude tax; DE 19 % standard and 7 % reduced,
/// FR 20 %; `standard` to DE and FR by subtotal (4.90 below 50.00, 2.90 from it, free from
/// 100.00); `express` to DE by weight (9.90 below 1 kg, 19.90 from 1 kg up to 10 kg).
async fn taxed_shop() -> (TestApp, Signed) {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    for (country, class, rate) in [
        ("DE", "standard", 1900),
        ("DE", "reduced", 700),
        ("FR", "standard", 2000),
    ] {
        let resp = send(
            &app,
            Method::PUT,
            &format!("/v1/admin/tax-rates/{country}/{class}"),
            &manager,
            Some(json!({"rate_bp": rate})),
        )
        .await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }
    let methods = [
        json!({"code": "standard", "name": "Standard", "countries": ["DE", "FR"],
               "rate_basis": "subtotal", "free_over_minor": 10000,
               "bands": [{"min": 0, "max": 5000, "price_minor": 490},
                         {"min": 5000, "max": null, "price_minor": 290}]}),
        json!({"code": "express", "name": "Express", "countries": ["DE"], "rate_basis": "weight",
               "bands": [{"min": 0, "max": 1000, "price_minor": 990},
                         {"min": 1000, "max": 10000, "price_minor": 1990}]}),
    ];
    for m in methods {
        let resp = send(
            &app,
            Method::POST,
            "/v1/admin/shipping-methods",
            &manager,
            Some(m),
        )
        .await;
        assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    }
    // 600 g per unit.
    let path = format!("/v1/admin/variants/{SHOP_SKU_FIBER_X}");
    let resp = send(
        &app,
        Method::PATCH,
        &path,
        &manager,
        Some(json!({"weight_grams": -1})),
    )
    .await;
    let problem = assert_problem(resp, 422).await;
    assert_eq!(problem["errors"][0]["field"], "weight_grams");
    let resp = send(
        &app,
        Method::PATCH,
        &path,
        &manager,
        Some(json!({"weight_grams": 600})),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let variant: Value = resp.json().await.unwrap();
    assert_eq!(variant["weight_grams"], 600);
    (app, manager)
}

fn figures(order: &Value) -> (i64, i64, i64, i64) {
    let n = |k: &str| order[k].as_i64().unwrap();
    (
        n("subtotal_minor"),
        n("shipping_minor"),
        n("tax_minor"),
        n("total_minor"),
    )
}

#[tokio::test]
async fn a_brand_without_shipping_methods_checks_out_as_before_with_no_shipping_and_no_tax() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let order = app.order_one_unit("fiber-x", "plain-1").await;
    assert_eq!(figures(&order), (1500, 0, 0, 1500));
    assert_eq!(order["shipping_method"], Value::Null);
    assert_eq!(order["shipping_address"], Value::Null);
    assert_eq!(order["prices_include_tax"], false);
    assert_eq!(order["lines"][0]["tax_rate_bp"], 0);
    assert_eq!(order["lines"][0]["tax_class"], "standard");
    assert_eq!(order["lines"][0]["line_total_minor"], 1500);
    // A method named to a brand that has none is refused rather than ignored.
    let resp = checkout(
        &app,
        "fiber-x",
        "plain-2",
        1,
        json!({"shipping_method": "standard"}),
    )
    .await;
    let problem = assert_problem(resp, 422).await;
    assert_eq!(
        problem["type"],
        "urn:problem:brandhouse:ineligible-shipping-method"
    );
}

#[tokio::test]
async fn checkout_prices_every_method_and_country_on_the_server() {
    let (app, _) = taxed_shop().await;
    // (method, country, quantity) -> (subtotal, shipping, tax, total). Tax is per line, half
    // up, and on the shipping at the country's standard rate.
    let cases = [
        // 15.00 x 1 to DE: 4.90 shipping; 2.85 + 0.931 -> 0.93 tax.
        ("standard", "DE", 1, (1500, 490, 285 + 93, 1500 + 490 + 378)),
        // 15.00 x 4 = 60.00 to FR: the 2.90 band; 12.00 + 0.58 tax.
        (
            "standard",
            "FR",
            4,
            (6000, 290, 1200 + 58, 6000 + 290 + 1258),
        ),
        // 15.00 x 7 = 105.00: free from 100.00; 19.95 tax.
        ("standard", "DE", 7, (10500, 0, 1995, 10500 + 1995)),
        // 1 unit = 600 g: 9.90; 2.85 + 1.881 -> 1.88 tax.
        ("express", "DE", 1, (1500, 990, 285 + 188, 1500 + 990 + 473)),
        // 2 units = 1,200 g: 19.90; 5.70 + 3.781 -> 3.78 tax.
        (
            "express",
            "DE",
            2,
            (3000, 1990, 570 + 378, 3000 + 1990 + 948),
        ),
    ];
    for (i, (method, country, quantity, expected)) in cases.into_iter().enumerate() {
        let key = format!("combo-{i}");
        // Price fields a client sends are not part of the request: ignored, never trusted.
        let resp = checkout(
            &app,
            "fiber-x",
            &key,
            quantity,
            json!({"shipping_address": address(country), "shipping_method": method,
                   "shipping_minor": 0, "total_minor": 1, "tax_minor": 0,
                   "lines": [{"sku": SHOP_SKU_FIBER_X, "quantity": quantity, "unit_price_minor": 1}]}),
        )
        .await;
        assert_eq!(
            resp.status(),
            201,
            "{method} {country}: {}",
            resp.text().await.unwrap()
        );
        let order: Value = resp.json().await.unwrap();
        assert_eq!(
            figures(&order),
            expected,
            "{method} to {country} x {quantity}"
        );
        assert_eq!(order["shipping_method"]["code"], method);
        assert_eq!(order["shipping_address"]["country"], country);
        assert_eq!(order["lines"][0]["unit_price_minor"], 1500);
        let rate = if country == "FR" { 2000 } else { 1900 };
        assert_eq!(order["lines"][0]["tax_rate_bp"], rate);
        // The database holds the same snapshot.
        let number = order["number"].as_i64().unwrap() as i32;
        let row = app
            .db
            .admin()
            .await
            .query_one(
                "select o.subtotal_minor, o.shipping_minor, o.tax_minor, o.total_minor, \
                 o.shipping_method_code, l.tax_rate_bp, l.tax_minor, l.line_total_minor \
                 from app.orders o join app.order_lines l on l.order_id = o.id \
                 join app.tenants t on t.id = o.tenant_id where t.slug = 'fiber-x' and o.number = $1",
                &[&number],
            )
            .await
            .unwrap();
        let stored: (i64, i64, i64, i64) = (row.get(0), row.get(1), row.get(2), row.get(3));
        assert_eq!(stored, expected);
        assert_eq!(row.get::<_, String>(4), method);
        assert_eq!(row.get::<_, i32>(5), rate);
        let line_tax: i64 = row.get(6);
        assert_eq!(row.get::<_, i64>(7), expected.0 + line_tax);
    }
}

#[tokio::test]
async fn prices_that_include_tax_show_the_tax_they_include_and_reduced_classes_apply() {
    let (app, manager) = taxed_shop().await;
    let resp = send(
        &app,
        Method::PATCH,
        "/v1/admin/brand/order-settings",
        &manager,
        Some(json!({"prices_include_tax": true})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let settings: Value = resp.json().await.unwrap();
    assert_eq!(settings["prices_include_tax"], true);
    let resp = send(
        &app,
        Method::PATCH,
        "/v1/admin/products/1",
        &manager,
        Some(json!({"tax_class": "luxury"})),
    )
    .await;
    let problem = assert_problem(resp, 422).await;
    assert_eq!(problem["errors"][0]["field"], "tax_class");
    let resp = send(
        &app,
        Method::PATCH,
        "/v1/admin/products/1",
        &manager,
        Some(json!({"tax_class": "reduced"})),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let product: Value = resp.json().await.unwrap();
    assert_eq!(product["tax_class"], "reduced");
    let resp = checkout(
        &app,
        "fiber-x",
        "incl-1",
        1,
        json!({"shipping_address": address("DE"), "shipping_method": "standard"}),
    )
    .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let order: Value = resp.json().await.unwrap();
    // 15.00 at 7 % includes 0.981 -> 0.98; 4.90 at 19 % includes 0.782 -> 0.78.
    assert_eq!(figures(&order), (1500, 490, 98 + 78, 1990));
    assert_eq!(order["prices_include_tax"], true);
    assert_eq!(order["lines"][0]["tax_class"], "reduced");
    assert_eq!(order["lines"][0]["tax_rate_bp"], 700);
    assert_eq!(order["lines"][0]["line_total_minor"], 1500);
}

#[tokio::test]
async fn without_an_address_the_brands_origin_country_is_taxed() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let resp = send(
        &app,
        Method::PUT,
        "/v1/admin/tax-rates/DE/standard",
        &manager,
        Some(json!({"rate_bp": 1900})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    // No origin: no tax.
    assert_eq!(
        figures(&app.order_one_unit("fiber-x", "origin-1").await),
        (1500, 0, 0, 1500)
    );
    let resp = send(
        &app,
        Method::PATCH,
        "/v1/admin/brand/order-settings",
        &manager,
        Some(json!({"tax_origin_country": "DE"})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        figures(&app.order_one_unit("fiber-x", "origin-2").await),
        (1500, 0, 285, 1785)
    );
    // An unassigned code is a field error; null removes it.
    let resp = send(
        &app,
        Method::PATCH,
        "/v1/admin/brand/order-settings",
        &manager,
        Some(json!({"tax_origin_country": "XX"})),
    )
    .await;
    let problem = assert_problem(resp, 422).await;
    assert_eq!(problem["errors"][0]["field"], "tax_origin_country");
    let resp = send(
        &app,
        Method::PATCH,
        "/v1/admin/brand/order-settings",
        &manager,
        Some(json!({"tax_origin_country": null})),
    )
    .await;
    let settings: Value = resp.json().await.unwrap();
    assert_eq!(settings["tax_origin_country"], Value::Null);
}

#[tokio::test]
async fn an_ineligible_shipping_method_is_a_422_and_places_nothing() {
    let (app, manager) = taxed_shop().await;
    let resp = send(
        &app,
        Method::PATCH,
        "/v1/admin/shipping-methods/express",
        &manager,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let cases = [
        // Unknown.
        ("nope", "DE", 1, "no active shipping method nope"),
        // Inactive.
        ("express", "DE", 1, "no active shipping method express"),
        // Not to Spain.
        ("standard", "ES", 1, "standard does not ship to ES"),
    ];
    for (i, (method, country, quantity, detail)) in cases.into_iter().enumerate() {
        let resp = checkout(
            &app,
            "fiber-x",
            &format!("inel-{i}"),
            quantity,
            json!({"shipping_address": address(country), "shipping_method": method}),
        )
        .await;
        let problem = assert_problem(resp, 422).await;
        assert_eq!(
            problem["type"],
            "urn:problem:brandhouse:ineligible-shipping-method"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains(detail),
            "{problem}"
        );
        assert_eq!(problem["errors"][0]["field"], "shipping_method");
    }
    // Over the last weight band: 17 x 600 g = 10.2 kg.
    send(
        &app,
        Method::PATCH,
        "/v1/admin/shipping-methods/express",
        &manager,
        Some(json!({"active": true})),
    )
    .await;
    let resp = checkout(
        &app,
        "fiber-x",
        "inel-heavy",
        17,
        json!({"shipping_address": address("DE"), "shipping_method": "express"}),
    )
    .await;
    let problem = assert_problem(resp, 422).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("no price band"),
        "{problem}"
    );
    // A brand with methods needs an address and a method.
    let resp = checkout(&app, "fiber-x", "inel-none", 1, json!({})).await;
    let problem = assert_problem(resp, 422).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["shipping_address", "shipping_method"]);
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.orders").await,
        0
    );
    assert_eq!(app.stock_of(SHOP_SKU_FIBER_X, "BER").await, (500, 0));
}

#[tokio::test]
async fn bad_addresses_are_field_errors_naming_each_field() {
    let (app, _) = taxed_shop().await;
    let bad = json!({
        "name": "x".repeat(201),
        "line1": "Line\u{0}1",
        "line2": "two\nlines",
        "city": "",
        "region": "r".repeat(5000),
        "country": "UK",
        "phone": "0049",
    });
    let resp = checkout(
        &app,
        "fiber-x",
        "addr-1",
        1,
        json!({"shipping_address": bad, "billing_address": {"name": "B", "line1": "L", "city": "Berlin", "country": "DE"},
               "shipping_method": "standard"}),
    )
    .await;
    let problem = assert_problem(resp, 422).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "shipping_address.name",
            "shipping_address.line1",
            "shipping_address.line2",
            "shipping_address.city",
            "shipping_address.region",
            "shipping_address.country",
            "shipping_address.phone",
            "billing_address.postal_code",
        ]
    );
    // Ireland needs no postal code; the order keeps the address as checked.
    let mut irish = address("IE");
    irish["postal_code"] = Value::Null;
    irish["city"] = json!("  Dublin ");
    app.db
        .admin()
        .await
        .execute("update app.shipping_methods set countries = countries || '{IE}' where code = 'standard'", &[])
        .await
        .unwrap();
    let resp = checkout(
        &app,
        "fiber-x",
        "addr-2",
        1,
        json!({"shipping_address": irish, "shipping_method": "standard"}),
    )
    .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let order: Value = resp.json().await.unwrap();
    assert_eq!(order["shipping_address"]["city"], "Dublin");
    assert_eq!(order["shipping_address"]["postal_code"], Value::Null);
    assert_eq!(order["billing_address"], Value::Null);
}

#[tokio::test]
async fn a_retry_with_another_address_is_refused_and_the_same_one_replays() {
    let (app, _) = taxed_shop().await;
    let body = json!({"shipping_address": address("DE"), "shipping_method": "standard"});
    let first = checkout(&app, "fiber-x", "retry-1", 1, body.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = checkout(&app, "fiber-x", "retry-1", 1, body).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["shipping_address"], first["shipping_address"]);
    let mut moved = address("DE");
    moved["city"] = json!("Potsdam");
    let resp = checkout(
        &app,
        "fiber-x",
        "retry-1",
        1,
        json!({"shipping_address": moved, "shipping_method": "standard"}),
    )
    .await;
    let problem = assert_problem(resp, 422).await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    let resp = checkout(
        &app,
        "fiber-x",
        "retry-1",
        1,
        json!({"shipping_address": address("DE"), "shipping_method": "express"}),
    )
    .await;
    assert_problem(resp, 422).await;
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.orders").await,
        1
    );
}

#[tokio::test]
async fn the_storefront_lists_eligible_methods_with_their_prices() {
    let (app, _) = taxed_shop().await;
    let list = |path: &'static str, slug: &'static str| {
        let app = &app;
        async move {
            let resp = app.storefront_get(slug, path).await;
            assert_eq!(resp.status(), 200, "{path}");
            resp.json::<Vec<Value>>().await.unwrap()
        }
    };
    let de = list(
        "/v1/storefront/shipping-methods?country=DE&subtotal_minor=1500&weight_grams=600",
        "fiber-x",
    )
    .await;
    let shown: Vec<(&str, i64)> = de
        .iter()
        .map(|m| {
            (
                m["code"].as_str().unwrap(),
                m["price_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(shown, [("standard", 490), ("express", 990)]);
    let free = list(
        "/v1/storefront/shipping-methods?country=DE&subtotal_minor=12000",
        "fiber-x",
    )
    .await;
    assert_eq!(free[0]["code"], "standard");
    assert_eq!(free[0]["price_minor"], 0);
    assert_eq!(free[0]["free_over_minor"], 10000);
    let fr = list(
        "/v1/storefront/shipping-methods?country=FR&subtotal_minor=1500",
        "fiber-x",
    )
    .await;
    assert_eq!(fr.len(), 1);
    assert!(
        list(
            "/v1/storefront/shipping-methods?country=ES&subtotal_minor=1500",
            "fiber-x"
        )
        .await
        .is_empty()
    );
    // Another brand's storefront shows none of them.
    assert!(
        list(
            "/v1/storefront/shipping-methods?country=DE&subtotal_minor=1500",
            "suzume"
        )
        .await
        .is_empty()
    );
    let resp = app
        .storefront_get(
            "fiber-x",
            "/v1/storefront/shipping-methods?country=XX&subtotal_minor=-1",
        )
        .await;
    let problem = assert_problem(resp, 422).await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_warehouse_sees_no_address_support_and_the_customer_do() {
    let (app, _) = taxed_shop().await;
    let resp = checkout(
        &app,
        "fiber-x",
        "mask-1",
        1,
        json!({"shipping_address": address("DE"), "billing_address": address("FR"), "shipping_method": "standard"}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let placed: Value = resp.json().await.unwrap();
    let number = placed["number"].as_i64().unwrap();
    let warehouse = app
        .staff("fiber-x", Role::Warehouse, "w@fiber-x.test")
        .await;
    let support = app.staff("fiber-x", Role::Support, "s@fiber-x.test").await;
    let path = format!("/v1/admin/orders/{number}");
    let seen: Value = send(&app, Method::GET, &path, &warehouse, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["shipping_address"], Value::Null);
    assert_eq!(seen["billing_address"], Value::Null);
    assert_eq!(seen["customer"], Value::Null);
    // The warehouse still sees what the parcel costs and how it ships.
    assert_eq!(seen["shipping_method"]["code"], "standard");
    assert_eq!(seen["total_minor"], placed["total_minor"]);
    let seen: Value = send(&app, Method::GET, &path, &support, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["shipping_address"]["line1"], "Invalidenstraße 117");
    assert_eq!(seen["billing_address"]["country"], "FR");
    let resp = app
        .client
        .get(app.url(&format!(
            "/v1/storefront/orders/{}",
            placed["id"].as_str().unwrap()
        )))
        .header("X-Tenant-ID", "fiber-x")
        .header("X-Order-Token", placed["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let mine: Value = resp.json().await.unwrap();
    assert_eq!(mine["shipping_address"]["postal_code"], "10115");
    assert_eq!(figures(&mine), figures(&placed));
    assert_eq!(mine["lines"][0]["tax_minor"], 285);
    // Once paid, the pick list shows the warehouse where and how the order ships.
    let manager = app.manager("fiber-x").await;
    let resp = send(
        &app,
        Method::POST,
        &format!("/v1/admin/orders/{number}/mark-paid"),
        &manager,
        None,
    )
    .await;
    assert_eq!(resp.status(), 200);
    let picks: Vec<Value> = send(
        &app,
        Method::GET,
        "/v1/admin/fulfilment/pick-list",
        &warehouse,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let delivery = &picks[0]["deliveries"][0];
    assert_eq!(delivery["order"], number);
    assert_eq!(delivery["shipping_method"]["code"], "standard");
    assert_eq!(delivery["shipping_address"]["line1"], "Invalidenstraße 117");
}

#[tokio::test]
async fn shipping_methods_and_tax_rates_are_managed_and_checked() {
    let app = TestApp::spawn_two_brand_shop(&[]).await;
    let manager = app.manager("fiber-x").await;
    let bad = send(
        &app,
        Method::POST,
        "/v1/admin/shipping-methods",
        &manager,
        Some(json!({"code": "Bad Code", "name": "", "countries": ["DE", "XX"], "rate_basis": "subtotal",
                    "bands": [{"min": 0, "max": null, "price_minor": 1}, {"min": 10, "max": 20, "price_minor": 1}],
                    "free_over_minor": -1})),
    )
    .await;
    let problem = assert_problem(bad, 422).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["code", "name", "countries[1]", "bands", "free_over_minor"]
    );
    let method = json!({"code": "standard", "name": "Standard", "countries": ["FR", "DE", "DE"],
                        "rate_basis": "subtotal", "bands": [{"min": 0, "max": null, "price_minor": 490}]});
    let resp = send(
        &app,
        Method::POST,
        "/v1/admin/shipping-methods",
        &manager,
        Some(method.clone()),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["countries"], json!(["DE", "FR"]));
    assert_eq!(created["active"], true);
    assert_eq!(created["free_over_minor"], Value::Null);
    let resp = send(
        &app,
        Method::POST,
        "/v1/admin/shipping-methods",
        &manager,
        Some(method),
    )
    .await;
    assert_problem(resp, 409).await;
    let resp = send(
        &app,
        Method::PATCH,
        "/v1/admin/shipping-methods/standard",
        &manager,
        Some(json!({"free_over_minor": 5000, "name": "Standard DHL"})),
    )
    .await;
    let changed: Value = resp.json().await.unwrap();
    assert_eq!(
        (
            changed["free_over_minor"].as_i64(),
            changed["name"].as_str()
        ),
        (Some(5000), Some("Standard DHL"))
    );
    let list: Vec<Value> = send(
        &app,
        Method::GET,
        "/v1/admin/shipping-methods",
        &manager,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(list.len(), 1);
    let resp = send(
        &app,
        Method::PUT,
        "/v1/admin/tax-rates/DE/standard",
        &manager,
        Some(json!({"rate_bp": 10001})),
    )
    .await;
    assert_problem(resp, 422).await;
    let resp = send(
        &app,
        Method::PUT,
        "/v1/admin/tax-rates/XX/luxury",
        &manager,
        Some(json!({"rate_bp": 1})),
    )
    .await;
    let problem = assert_problem(resp, 422).await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    send(
        &app,
        Method::PUT,
        "/v1/admin/tax-rates/DE/standard",
        &manager,
        Some(json!({"rate_bp": 1600})),
    )
    .await;
    let resp = send(
        &app,
        Method::PUT,
        "/v1/admin/tax-rates/DE/standard",
        &manager,
        Some(json!({"rate_bp": 1900})),
    )
    .await;
    let rate: Value = resp.json().await.unwrap();
    assert_eq!(rate["rate_bp"], 1900);
    let rates: Vec<Value> = send(&app, Method::GET, "/v1/admin/tax-rates", &manager, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rates.len(), 1);
    assert_eq!(
        send(
            &app,
            Method::DELETE,
            "/v1/admin/tax-rates/DE/standard",
            &manager,
            None
        )
        .await
        .status(),
        204
    );
    assert_problem(
        send(
            &app,
            Method::DELETE,
            "/v1/admin/tax-rates/DE/standard",
            &manager,
            None,
        )
        .await,
        404,
    )
    .await;
    assert_eq!(
        send(
            &app,
            Method::DELETE,
            "/v1/admin/shipping-methods/standard",
            &manager,
            None
        )
        .await
        .status(),
        204
    );
    assert_problem(
        send(
            &app,
            Method::GET,
            "/v1/admin/shipping-methods/standard",
            &manager,
            None,
        )
        .await,
        404,
    )
    .await;
    // Every write is audited.
    let actions: Vec<String> = app
        .db
        .admin()
        .await
        .query("select action from app.audit_log where action like 'shipping_method.%' or action like 'tax_rate.%' order by id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        actions,
        [
            "shipping_method.create",
            "shipping_method.update",
            "tax_rate.set",
            "tax_rate.set",
            "tax_rate.delete",
            "shipping_method.delete"
        ]
    );
}

/// The attack: another brand's staff and another brand's transaction reach none of Fiber X's
/// methods and rates, and cannot plant rows in Fiber X's name.
#[tokio::test]
async fn another_brand_cannot_read_change_or_plant_shipping_methods_and_tax_rates() {
    let (app, _) = taxed_shop().await;
    let suzume = app.manager("suzume").await;
    let as_suzume = |method: Method, path: &str, body: Option<Value>| {
        let mut req = app.authed(method, path, &suzume, Some("suzume"));
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
    };
    let list: Vec<Value> = as_suzume(Method::GET, "/v1/admin/shipping-methods", None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());
    let rates: Vec<Value> = as_suzume(Method::GET, "/v1/admin/tax-rates", None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(rates.is_empty());
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"active": false}))),
        (Method::DELETE, None),
    ] {
        let resp = as_suzume(method, "/v1/admin/shipping-methods/standard", body)
            .await
            .unwrap();
        assert_problem(resp, 404).await;
    }
    assert_problem(
        as_suzume(Method::DELETE, "/v1/admin/tax-rates/DE/standard", None)
            .await
            .unwrap(),
        404,
    )
    .await;
    // Suzume's manager naming Fiber X is refused before any data.
    let resp = app
        .authed(
            Method::GET,
            "/v1/admin/shipping-methods",
            &suzume,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 403).await;
    // Suzume's own rate for DE leaves Fiber X's alone.
    as_suzume(
        Method::PUT,
        "/v1/admin/tax-rates/DE/standard",
        Some(json!({"rate_bp": 1})),
    )
    .await
    .unwrap();
    let fiber_rate: i32 = app
        .scalar("select r.rate_bp from app.tax_rates r join app.tenants t on t.id = r.tenant_id where t.slug = 'fiber-x' and r.country = 'DE' and r.tax_class = 'standard'")
        .await;
    assert_eq!(fiber_rate, 1900);
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.shipping_methods where active")
            .await,
        2
    );

    // In the database, as the API role with Suzume's tenant set.
    let fiber_x: uuid::Uuid = app
        .scalar("select id from app.tenants where slug = 'fiber-x'")
        .await;
    let suzume_id: uuid::Uuid = app
        .scalar("select id from app.tenants where slug = 'suzume'")
        .await;
    let mut api = app.db.api().await;
    for table in ["shipping_methods", "tax_rates"] {
        let tx = api.transaction().await.unwrap();
        tx.execute(
            "select set_config('app.tenant_id', $1, true)",
            &[&suzume_id.to_string()],
        )
        .await
        .unwrap();
        let seen: i64 = tx
            .query_one(
                &format!("select count(*) from app.{table} where tenant_id = $1"),
                &[&fiber_x],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(seen, 0, "{table} of Fiber X seen from Suzume");
        let changed = tx
            .execute(
                &format!("update app.{table} set updated_at = now() where tenant_id = $1"),
                &[&fiber_x],
            )
            .await
            .unwrap();
        assert_eq!(changed, 0, "{table} of Fiber X changed from Suzume");
        let insert = if table == "shipping_methods" {
            "insert into app.shipping_methods (tenant_id, code, name, countries, rate_basis, bands) \
             values ($1, 'planted', 'Planted', '{DE}', 'subtotal', '[{\"min\":0,\"max\":null,\"price_minor\":0}]')"
        } else {
            "insert into app.tax_rates (tenant_id, country, tax_class, rate_bp) values ($1, 'FR', 'zero', 0)"
        };
        let err = tx.execute(insert, &[&fiber_x]).await.unwrap_err();
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{table}: {err}"
        );
    }
}
