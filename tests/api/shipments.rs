//! Shipments: partial then full (the statuses), over-shipping and unpaid orders refused, a
//! parcel picked in another zone than its units were sold from (through the ledger, never an
//! oversell), concurrent shipments of one order, another brand's scope and API, and the
//! customer's view with the order token only.

use brandhouse::{db::DbError, identity::Role};
use futures::{StreamExt, stream};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Signed, TestApp, assert_problem};

const A: &str = "FBX-HAIR-0001";
const B: &str = "FBX-HAIR-0002";

/// The two brands with zones BER (priority 10) and HAM (20), Fiber X's products A and B,
/// Suzume's one product; no stock yet, no worker.
async fn shop() -> TestApp {
    TestApp::spawn_unstocked_shop().await
}

/// Places an order in Fiber X (units held in `zone` first) and, unless `pay` is false, has
/// the manager mark it paid; returns the checkout's body (with the access token).
async fn order(
    app: &TestApp,
    manager: &Signed,
    key: &str,
    lines: &[(&str, i32)],
    zone: Option<&str>,
    pay: bool,
) -> Value {
    let resp = app.checkout("fiber-x", key, lines, zone).await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let placed: Value = resp.json().await.unwrap();
    if pay {
        let n = placed["number"].as_i64().unwrap();
        let resp = app
            .authed(
                Method::POST,
                &format!("/v1/admin/orders/{n}/mark-paid"),
                manager,
                Some("fiber-x"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }
    placed
}

async fn ship(app: &TestApp, who: &Signed, brand: &str, n: i64, body: Value) -> reqwest::Response {
    app.authed(
        Method::POST,
        &format!("/v1/admin/orders/{n}/shipments"),
        who,
        Some(brand),
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

async fn get(app: &TestApp, who: &Signed, brand: &str, path: &str) -> reqwest::Response {
    app.authed(Method::GET, path, who, Some(brand))
        .send()
        .await
        .unwrap()
}

async fn event_types(app: &TestApp, who: &Signed) -> Vec<String> {
    let page: Value = get(app, who, "fiber-x", "/v1/admin/events?after=0")
        .await
        .json()
        .await
        .unwrap();
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_partial_shipment_then_the_rest_moves_the_order_to_partially_shipped_then_shipped() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 10).await;
    app.receive("fiber-x", B, "BER", 10).await;
    let manager = app.manager("fiber-x").await;
    let warehouse = app
        .staff("fiber-x", Role::Warehouse, "wh@fiber-x.test")
        .await;
    let placed = order(&app, &manager, "k", &[(A, 3), (B, 2)], None, true).await;
    let n = placed["number"].as_i64().unwrap();

    let resp = ship(
        &app,
        &warehouse,
        "fiber-x",
        n,
        json!({
            "carrier": "DHL", "tracking_number": "00340434161094042557",
            "tracking_url": "https://www.dhl.de/track?piececode=00340434161094042557",
            "zone": "BER", "lines": [{"sku": A, "quantity": 2}],
        }),
    )
    .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let first: Value = resp.json().await.unwrap();
    assert_eq!(first["order"]["status"], "partially_shipped");
    assert!(first["order"]["shipped_at"].is_null());
    assert_eq!(first["shipment"]["carrier"], "DHL");
    assert_eq!(first["shipment"]["zone"], "BER");
    assert_eq!(
        first["shipment"]["lines"],
        json!([{"sku": A, "quantity": 2}])
    );
    assert!(first["shipment"]["created_by"].is_string());
    let shipped: Vec<i64> = first["order"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["shipped_quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(shipped, [2, 0]);
    // The pick list shows what is left: 1 of A and 2 of B, per order.
    let picks: Value = get(
        &app,
        &warehouse,
        "fiber-x",
        "/v1/admin/fulfilment/pick-list",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        picks,
        json!([
            {"zone": "BER", "sku": A, "product_name": "Argan Oil", "quantity": 1, "orders": [n],
             "lines": [{"order": n, "quantity": 1}],
             "deliveries": [{"order": n, "shipping_method": null, "shipping_address": null}]},
            {"zone": "BER", "sku": B, "product_name": "Strong Gel", "quantity": 2, "orders": [n],
             "lines": [{"order": n, "quantity": 2}],
             "deliveries": [{"order": n, "shipping_method": null, "shipping_address": null}]},
        ])
    );
    // The same stock figures as before: the sale took the units at payment, and the parcel
    // left from where they were sold.
    assert_eq!(app.stock_of(A, "BER").await, (7, 0));

    // Over-shipping is refused, naming the line; so is a SKU the order lacks.
    let body = assert_problem(
        ship(
            &app,
            &warehouse,
            "fiber-x",
            n,
            json!({"carrier": "DHL", "zone": "BER", "lines": [{"sku": B, "quantity": 1}, {"sku": A, "quantity": 2}]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "lines[1].quantity", "{body}");
    let body = assert_problem(
        ship(
            &app,
            &warehouse,
            "fiber-x",
            n,
            json!({"carrier": "DHL", "zone": "BER", "lines": [{"sku": "SZM-SKIN-0001", "quantity": 1}]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "lines[0].sku", "{body}");

    // No lines: everything still to ship.
    let resp = ship(
        &app,
        &warehouse,
        "fiber-x",
        n,
        json!({"carrier": "UPS", "zone": "BER"}),
    )
    .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let last: Value = resp.json().await.unwrap();
    assert_eq!(last["order"]["status"], "shipped");
    assert!(last["order"]["shipped_at"].is_string());
    assert_eq!(
        last["shipment"]["lines"],
        json!([{"sku": A, "quantity": 1}, {"sku": B, "quantity": 2}])
    );
    assert!(last["shipment"]["tracking_url"].is_null());
    let list: Value = get(
        &app,
        &warehouse,
        "fiber-x",
        &format!("/v1/admin/orders/{n}/shipments"),
    )
    .await
    .json()
    .await
    .unwrap();
    let carriers: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["carrier"].as_str().unwrap())
        .collect();
    assert_eq!(carriers, ["DHL", "UPS"]);
    // Nothing is left: another shipment, and the old "ship everything", are 409s.
    assert_problem(
        ship(
            &app,
            &warehouse,
            "fiber-x",
            n,
            json!({"carrier": "UPS", "zone": "BER"}),
        )
        .await,
        409,
    )
    .await;
    let resp = app
        .authed(
            Method::POST,
            &format!("/v1/admin/orders/{n}/ship"),
            &warehouse,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 409).await;
    let picks: Value = get(
        &app,
        &warehouse,
        "fiber-x",
        "/v1/admin/fulfilment/pick-list",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(picks, json!([]));
    // One shipment.created per parcel, order.shipped once with the last.
    let types = event_types(&app, &manager).await;
    let tail: Vec<&str> = types
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        ["shipment.created", "shipment.created", "order.shipped"]
    );
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.audit_log where action = 'order.shipment'")
            .await,
        2
    );
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test]
async fn only_paid_orders_ship_and_bad_input_is_a_422_naming_each_field() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 10).await;
    let manager = app.manager("fiber-x").await;
    let unpaid = order(&app, &manager, "unpaid", &[(A, 1)], None, false).await;
    let n = unpaid["number"].as_i64().unwrap();
    let valid = json!({"carrier": "DHL", "zone": "BER"});
    let body = assert_problem(ship(&app, &manager, "fiber-x", n, valid.clone()).await, 409).await;
    assert!(
        body["detail"].as_str().unwrap().contains("pending_payment"),
        "{body}"
    );
    let resp = app
        .authed(
            Method::POST,
            &format!("/v1/admin/orders/{n}/cancel"),
            &manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_problem(ship(&app, &manager, "fiber-x", n, valid.clone()).await, 409).await;
    assert_problem(ship(&app, &manager, "fiber-x", 999, valid).await, 404).await;

    // Each invalid field at once; nothing recorded.
    let paid = order(&app, &manager, "paid", &[(A, 1)], None, true).await;
    let n = paid["number"].as_i64().unwrap();
    let body = assert_problem(
        ship(
            &app,
            &manager,
            "fiber-x",
            n,
            json!({
                "carrier": "D\u{0}HL", "tracking_number": "x".repeat(5000),
                "tracking_url": "javascript:alert(1)", "zone": "nowhere",
                "lines": [{"sku": A, "quantity": -1}],
            }),
        )
        .await,
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "carrier",
            "tracking_number",
            "tracking_url",
            "zone",
            "lines[0].quantity"
        ],
        "{body}"
    );
    for url in [
        "http://tracking.example/1",
        "https://user:pw@tracking.example/",
    ] {
        let body = assert_problem(
            ship(
                &app,
                &manager,
                "fiber-x",
                n,
                json!({"carrier": "DHL", "zone": "BER", "tracking_url": url}),
            )
            .await,
            422,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "tracking_url");
    }
    // A well-formed zone that does not exist; a quantity beyond i32 (a 4xx, never a 500).
    let body = assert_problem(
        ship(
            &app,
            &manager,
            "fiber-x",
            n,
            json!({"carrier": "DHL", "zone": "NOPE"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "zone");
    let resp = ship(
        &app,
        &manager,
        "fiber-x",
        n,
        json!({"carrier": "DHL", "zone": "BER", "lines": [{"sku": A, "quantity": 1_i64 << 40}]}),
    )
    .await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.shipments")
            .await,
        0
    );
    // The support role reads orders but does not ship them.
    let support = app.staff("fiber-x", Role::Support, "su@fiber-x.test").await;
    assert_problem(
        ship(
            &app,
            &support,
            "fiber-x",
            n,
            json!({"carrier": "DHL", "zone": "BER"}),
        )
        .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn a_parcel_picked_in_another_zone_moves_its_units_through_the_ledger_never_overselling() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 5).await;
    app.receive("fiber-x", A, "HAM", 4).await;
    let manager = app.manager("fiber-x").await;
    // Sold from BER: BER's on_hand goes 5 -> 2 at payment.
    let placed = order(&app, &manager, "k", &[(A, 3)], Some("BER"), true).await;
    let n = placed["number"].as_i64().unwrap();
    assert_eq!(app.stock_of(A, "BER").await, (2, 0));

    // The warehouse picked them in HAM: HAM's shelf lost 3, BER's still has the 3 it sold.
    let resp = ship(
        &app,
        &manager,
        "fiber-x",
        n,
        json!({"carrier": "DHL", "zone": "HAM"}),
    )
    .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let recorded: Value = resp.json().await.unwrap();
    assert_eq!(recorded["shipment"]["zone"], "HAM");
    assert_eq!(recorded["order"]["status"], "shipped");
    assert_eq!(app.stock_of(A, "HAM").await, (1, 0));
    assert_eq!(app.stock_of(A, "BER").await, (5, 0));
    let moves: Vec<(String, String, i64)> = recorded["order"]["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["zone"].as_str().unwrap().to_owned(),
                m["on_hand_delta"].as_i64().unwrap(),
            )
        })
        .collect();
    let moves: Vec<(&str, &str, i64)> = moves
        .iter()
        .map(|(k, z, d)| (k.as_str(), z.as_str(), *d))
        .collect();
    assert_eq!(
        moves,
        [
            ("reserve", "BER", 0),
            ("sale", "BER", -3),
            ("transfer_out", "HAM", -3),
            ("transfer_in", "BER", 3)
        ]
    );
    assert!(app.ledger_mismatches().await.is_empty());

    // HAM's last unit is held by an unpaid order: a swap may not take it.
    let second = order(&app, &manager, "k2", &[(A, 2)], Some("BER"), true).await;
    let held = order(&app, &manager, "k3", &[(A, 1)], Some("HAM"), false).await;
    assert_eq!(held["lines"][0]["allocations"][0]["zone"], "HAM");
    assert_eq!(app.stock_of(A, "HAM").await, (1, 1));
    let n2 = second["number"].as_i64().unwrap();
    let body = assert_problem(
        ship(
            &app,
            &manager,
            "fiber-x",
            n2,
            json!({"carrier": "DHL", "zone": "HAM", "lines": [{"sku": A, "quantity": 1}]}),
        )
        .await,
        409,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{A} in HAM: 0 available")),
        "{body}"
    );
    // Refused whole: nothing shipped, nothing moved.
    assert_eq!(app.stock_of(A, "HAM").await, (1, 1));
    assert_eq!(app.stock_of(A, "BER").await, (3, 0));
    let order_now: Value = get(&app, &manager, "fiber-x", &format!("/v1/admin/orders/{n2}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order_now["status"], "paid");
    assert_eq!(order_now["shipments"], json!([]));
    // From where it was sold it ships.
    let resp = ship(
        &app,
        &manager,
        "fiber-x",
        n2,
        json!({"carrier": "DHL", "zone": "BER"}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_shipments_of_one_order_never_ship_more_than_was_ordered() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 10).await;
    app.receive("fiber-x", A, "HAM", 10).await;
    let manager = app.manager("fiber-x").await;
    let placed = order(&app, &manager, "k", &[(A, 10)], Some("BER"), true).await;
    let n = placed["number"].as_i64().unwrap();
    let (app, manager) = (&app, &manager);
    // Eight parcels of two units each, half of them picked in the other zone, all at once.
    let statuses: Vec<u16> = stream::iter(0..8)
        .map(|i| async move {
            let zone = if i % 2 == 0 { "BER" } else { "HAM" };
            ship(
                app,
                manager,
                "fiber-x",
                n,
                json!({"carrier": "DHL", "zone": zone, "lines": [{"sku": A, "quantity": 2}]}),
            )
            .await
            .status()
            .as_u16()
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 409, 422].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(
        app.scalar::<i64>("select sum(quantity)::bigint from app.shipment_lines")
            .await,
        10
    );
    assert_eq!(
        app.scalar::<i64>("select sum(shipped_quantity)::bigint from app.holds")
            .await,
        10
    );
    assert_eq!(
        app.scalar::<String>("select status from app.orders").await,
        "shipped"
    );
    // Whatever the zones, the two shelves lost 10 units in all, as the books say.
    let (ber, ham) = (app.stock_of(A, "BER").await, app.stock_of(A, "HAM").await);
    assert_eq!(ber.0 + ham.0, 10, "{ber:?} {ham:?}");
    assert!(app.ledger_mismatches().await.is_empty());
}

#[tokio::test]
async fn another_brand_can_neither_see_nor_record_shipments_of_this_brands_orders() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 5).await;
    let manager = app.manager("fiber-x").await;
    let suzume_manager = app.manager("suzume").await;
    let placed = order(&app, &manager, "k", &[(A, 2)], None, true).await;
    let n = placed["number"].as_i64().unwrap();
    let resp = ship(
        &app,
        &manager,
        "fiber-x",
        n,
        json!({"carrier": "DHL", "tracking_number": "SECRET-1", "zone": "BER", "lines": [{"sku": A, "quantity": 1}]}),
    )
    .await;
    assert_eq!(resp.status(), 201);

    // Through the API: in its own brand the order number names nothing; Fiber X's brand is
    // not Suzume's manager's to act in.
    assert_problem(
        ship(
            &app,
            &suzume_manager,
            "suzume",
            n,
            json!({"carrier": "DHL", "zone": "BER"}),
        )
        .await,
        404,
    )
    .await;
    assert_problem(
        get(
            &app,
            &suzume_manager,
            "suzume",
            &format!("/v1/admin/orders/{n}/shipments"),
        )
        .await,
        404,
    )
    .await;
    assert_problem(
        ship(
            &app,
            &suzume_manager,
            "fiber-x",
            n,
            json!({"carrier": "DHL", "zone": "BER"}),
        )
        .await,
        403,
    )
    .await;

    // At the SQL level, as the API role in Suzume's transaction: Fiber X's rows are invisible,
    // and rows in Fiber X's name are refused.
    let fbx = app.scope("fiber-x").await.tenant_id();
    let suzume = app.scope("suzume").await;
    let (shipments, lines, holds_changed) = app
        .state
        .db
        .tenant_tx(&suzume, async |tx| {
            let shipments: i64 = tx
                .query_one(
                    "select count(*) from app.shipments where tenant_id = $1",
                    &[&fbx],
                )
                .await?
                .get(0);
            let lines: i64 = tx
                .query_one("select count(*) from app.shipment_lines", &[])
                .await?
                .get(0);
            let holds_changed = tx
                .execute(
                    "update app.holds set shipped_quantity = quantity where tenant_id = $1",
                    &[&fbx],
                )
                .await?;
            Ok::<_, DbError>((shipments, lines, holds_changed))
        })
        .await
        .unwrap();
    assert_eq!((shipments, lines, holds_changed), (0, 0, 0));
    let (order_id, zone_id, shipment_id, line_id): (
        uuid::Uuid,
        uuid::Uuid,
        uuid::Uuid,
        uuid::Uuid,
    ) = {
        let admin = app.db.admin().await;
        let row = admin
            .query_one(
                "select s.order_id, s.zone_id, s.id, sl.order_line_id from app.shipments s \
                 join app.shipment_lines sl on sl.shipment_id = s.id",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2), row.get(3))
    };
    for (sql, params) in [
        (
            "insert into app.shipments (tenant_id, order_id, zone_id, carrier) values ($1, $2, $3, 'X')",
            vec![fbx, order_id, zone_id],
        ),
        (
            "insert into app.shipment_lines (tenant_id, shipment_id, order_line_id, quantity) \
             values ($1, $2, $3, 1)",
            vec![fbx, shipment_id, line_id],
        ),
    ] {
        let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        app.assert_refused_in(&suzume, sql, &refs).await;
    }
    assert_eq!(
        app.scalar::<i64>("select count(*) from app.shipments")
            .await,
        1
    );
}

#[tokio::test]
async fn the_customer_sees_shipments_and_tracking_with_the_order_token_only() {
    let app = shop().await;
    app.receive("fiber-x", A, "BER", 5).await;
    let manager = app.manager("fiber-x").await;
    let placed = order(&app, &manager, "k", &[(A, 2)], None, true).await;
    let n = placed["number"].as_i64().unwrap();
    let url = "https://www.dhl.de/track?piececode=00340434161094042557";
    let resp = ship(
        &app,
        &manager,
        "fiber-x",
        n,
        json!({"carrier": "DHL", "tracking_number": "00340434161094042557", "tracking_url": url,
               "zone": "BER", "lines": [{"sku": A, "quantity": 1}]}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let id = placed["id"].as_str().unwrap();
    let token = placed["access_token"].as_str().unwrap();
    let read = |brand: &'static str, t: String| {
        app.client
            .get(app.url(&format!("/v1/storefront/orders/{id}")))
            .header("X-Tenant-ID", brand)
            .header("X-Order-Token", t)
            .send()
    };
    let resp = read("fiber-x", token.to_owned()).await.unwrap();
    assert_eq!(resp.status(), 200);
    let seen: Value = resp.json().await.unwrap();
    assert_eq!(seen["status"], "partially_shipped");
    let parcel = &seen["shipments"][0];
    assert_eq!(parcel["carrier"], "DHL");
    assert_eq!(parcel["tracking_number"], "00340434161094042557");
    assert_eq!(parcel["tracking_url"], url);
    assert_eq!(parcel["lines"], json!([{"sku": A, "quantity": 1}]));
    // Who recorded it is for staff; the ledger too.
    assert!(parcel["created_by"].is_null());
    assert!(seen["movements"].is_null());
    // A wrong token, or the right one with another brand, reads nothing.
    assert_problem(read("fiber-x", format!("{token}x")).await.unwrap(), 404).await;
    assert_problem(read("suzume", token.to_owned()).await.unwrap(), 404).await;
    let resp = app
        .client
        .get(app.url(&format!("/v1/storefront/orders/{id}")))
        .header("X-Tenant-ID", "fiber-x")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
}
