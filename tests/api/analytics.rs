//! Owner analytics: the one privileged pool, reachable by the owner only, read-only, and
//! figures that match the orders they summarise.

use std::collections::BTreeMap;

use brandhouse::identity::Role;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::Method;
use serde_json::json;
use tokio_postgres::error::SqlState;

use crate::helpers::{TestApp, assert_problem};

const ENDPOINTS: [&str; 4] = [
    "/v1/admin/analytics/overview",
    "/v1/admin/analytics/timeseries",
    "/v1/admin/analytics/inventory",
    "/v1/admin/analytics/top-products",
];

#[tokio::test]
async fn every_non_owner_role_gets_403_and_the_analytics_pool_is_never_reached() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    let mut people = Vec::new();
    for role in [Role::BrandManager, Role::Warehouse, Role::Support] {
        people.push(
            app.staff("fiber-x", role, &format!("{role}@fiber-x.test"))
                .await,
        );
    }
    for who in &people {
        for path in ENDPOINTS {
            for brand in [None, Some("fiber-x")] {
                let resp = app
                    .authed(Method::GET, path, who, brand)
                    .send()
                    .await
                    .unwrap();
                assert_problem(resp, 403).await;
            }
        }
    }
    // Anonymous callers: 401.
    for path in ENDPOINTS {
        assert_problem(app.client.get(app.url(path)).send().await.unwrap(), 401).await;
    }
    assert_eq!(
        app.state.analytics.checkouts(),
        0,
        "a refused request reached the analytics pool"
    );

    let owner = app.owner("owner@brandhouse.test").await;
    for path in ENDPOINTS {
        let resp = app
            .authed(Method::GET, path, &owner, None)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
    }
    assert_eq!(app.state.analytics.checkouts(), 4);
    // Each call is in the audit trail.
    let actions: Vec<String> = app
        .db
        .admin()
        .await
        .query(
            "select action from app.audit_log where action like 'analytics.%' order by id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        actions,
        [
            "analytics.overview",
            "analytics.timeseries",
            "analytics.inventory",
            "analytics.top_products"
        ]
    );
}

#[tokio::test]
async fn the_analytics_role_cannot_write_and_the_api_role_cannot_read_across_brands() {
    let app = TestApp::spawn().await;
    let brands = app.two_brands().await;
    let (a, b) = (brands.fiber_x, brands.suzume);
    let url =
        crate::helpers::api_url(&app.db.name).replace("brandhouse_api", "brandhouse_analytics");
    let analytics = crate::helpers::connect(&url).await;

    // Across brands, by design.
    let n: i64 = analytics
        .query_one("select count(*) from app.categories", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 4);
    // Never a write: read-only by default, and no grant even when asking for read-write.
    for sql in [
        "insert into app.categories (tenant_id, code, name) select id, 'NEW', 'x' from app.tenants limit 1",
        "update app.categories set name = 'x'",
        "delete from app.categories",
    ] {
        let err = analytics.execute(sql, &[]).await.unwrap_err();
        assert_eq!(
            err.code(),
            Some(&SqlState::READ_ONLY_SQL_TRANSACTION),
            "{sql}"
        );
        let err = analytics
            .batch_execute(&format!("begin read write; {sql}; commit"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{sql}");
        analytics.batch_execute("rollback").await.unwrap();
    }
    let err = analytics
        .batch_execute("begin read write; truncate app.orders; commit")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    analytics.batch_execute("rollback").await.unwrap();

    // The same query as the API role, in brand A: only A's row.
    let mut api = app.db.api().await;
    let tx = api.transaction().await.unwrap();
    tx.execute(
        "select set_config('app.tenant_id', $1, true)",
        &[&a.id.to_string()],
    )
    .await
    .unwrap();
    let tenants: Vec<uuid::Uuid> = tx
        .query("select distinct tenant_id from app.categories", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tenants, [a.id]);
    assert_ne!(a.id, b.id);
}

struct SeedLine {
    sku: String,
    product: i32,
    quantity: i32,
    price: i64,
}

struct SeedOrder {
    brand: &'static str,
    status: &'static str,
    paid_at: Option<chrono::DateTime<Utc>>,
    lines: Vec<SeedLine>,
}

#[tokio::test]
async fn figures_equal_sums_computed_independently_from_the_seeded_orders() {
    let app = TestApp::spawn().await;
    let brands = [
        ("fiber-x", "FBX", "EUR"),
        ("suzume", "SZM", "JPY"),
        ("showstopper", "SHS", "EUR"),
    ];
    let admin = app.db.admin().await;
    for (slug, prefix, currency) in brands {
        app.create_brand(slug, prefix).await;
        admin
            .execute(
                "update app.tenants set currency = $2 where slug = $1",
                &[&slug, &currency],
            )
            .await
            .unwrap();
        app.add_categories(slug, &[("GEN", "General")]).await;
        for i in 0..4 {
            app.create_product(
                slug,
                "GEN",
                &format!("{slug} product {i}"),
                "active",
                json!([]),
            )
            .await;
        }
    }
    app.state.tenants.invalidate_all();

    // Orders over 40 days, mixed statuses, several lines.
    let day0 = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let mut orders = Vec::new();
    for _ in 0..150 {
        let (brand, prefix, _) = brands[rng.random_range(0..3)];
        let status = [
            "paid",
            "paid",
            "shipped",
            "pending_payment",
            "cancelled",
            "expired",
        ][rng.random_range(0..6)];
        let at = day0 + Duration::minutes(rng.random_range(0..40 * 24 * 60));
        let lines = (0..rng.random_range(1..4))
            .map(|_| {
                let product = rng.random_range(1..5);
                SeedLine {
                    sku: format!("{prefix}-GEN-{product:04}"),
                    product,
                    quantity: rng.random_range(1..5),
                    price: rng.random_range(100..5000),
                }
            })
            .collect();
        orders.push(SeedOrder {
            brand,
            status,
            paid_at: ["paid", "shipped"].contains(&status).then_some(at),
            lines,
        });
    }
    for (i, o) in orders.iter().enumerate() {
        let total: i64 = o
            .lines
            .iter()
            .map(|l| l.price * i64::from(l.quantity))
            .sum();
        let units: i32 = o.lines.iter().map(|l| l.quantity).sum();
        let row = admin
            .query_one(
                "with t as (select id, currency from app.tenants where slug = $1), \
                 c as (insert into app.customers (tenant_id, name, email, created_at) select id, 'C', $2, $6 from t returning id) \
                 insert into app.orders (tenant_id, number, customer_id, status, currency, total_minor, units, idempotency_key, \
                   request_hash, holds_expire_at, paid_at, created_at, customer_name) \
                 select t.id, $3, c.id, $4, t.currency, $5, $7, $2, '\\x00', now(), $8, $6, 'C' from t, c returning id",
                &[&o.brand, &format!("k{i}@x.test"), &(i as i32 + 1), &o.status, &total, &o.paid_at.unwrap_or(day0), &units, &o.paid_at],
            )
            .await
            .unwrap();
        let order_id: uuid::Uuid = row.get(0);
        for (pos, l) in o.lines.iter().enumerate() {
            admin
                .execute(
                    "insert into app.order_lines (tenant_id, order_id, position, variant_id, sku, quantity, unit_price_minor) \
                     select v.tenant_id, $1, $2, v.id, v.sku, $4, $5 from app.variants v where v.sku = $3",
                    &[&order_id, &(pos as i32), &l.sku, &l.quantity, &l.price],
                )
                .await
                .unwrap();
        }
    }

    // A range covering days 5..=24.
    let from = NaiveDate::from_ymd_opt(2026, 10, 6).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
    let in_range = |t: chrono::DateTime<Utc>| t.date_naive() >= from && t.date_naive() <= to;
    let owner = app.owner("owner@brandhouse.test").await;
    let get = |path: String| {
        let owner = &owner;
        let app = &app;
        async move {
            app.authed(Method::GET, &path, owner, None)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };

    let overview = get(format!("/v1/admin/analytics/overview?from={from}&to={to}")).await;
    for (slug, _, currency) in brands {
        let paid: Vec<&SeedOrder> = orders
            .iter()
            .filter(|o| o.brand == slug && o.paid_at.is_some_and(in_range))
            .collect();
        let revenue: i64 = paid
            .iter()
            .flat_map(|o| &o.lines)
            .map(|l| l.price * i64::from(l.quantity))
            .sum();
        let units: i64 = paid
            .iter()
            .flat_map(|o| &o.lines)
            .map(|l| i64::from(l.quantity))
            .sum();
        let customers = orders
            .iter()
            .filter(|o| o.brand == slug && in_range(o.paid_at.unwrap_or(day0)))
            .count() as i64;
        let b = overview["brands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["slug"] == slug)
            .unwrap();
        assert_eq!(b["currency"], currency);
        assert_eq!(b["revenue_minor"], revenue, "{slug}");
        assert_eq!(b["order_count"], paid.len() as i64, "{slug}");
        assert_eq!(b["units_sold"], units, "{slug}");
        assert_eq!(b["new_customers"], customers, "{slug}");
        assert_eq!(
            b["average_order_value_minor"],
            if paid.is_empty() {
                0
            } else {
                revenue / paid.len() as i64
            }
        );
    }
    // Totals only add brands of one currency.
    let eur: i64 = overview["brands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["currency"] == "EUR")
        .map(|b| b["revenue_minor"].as_i64().unwrap())
        .sum();
    let totals: BTreeMap<String, i64> = overview["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["currency"].as_str().unwrap().to_owned(),
                t["revenue_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(totals.len(), 2);
    assert_eq!(totals["EUR"], eur);

    // The daily series sums to the overview, with every day present.
    let series = get(format!(
        "/v1/admin/analytics/timeseries?from={from}&to={to}"
    ))
    .await;
    for s in series["series"].as_array().unwrap() {
        let points = s["points"].as_array().unwrap();
        assert_eq!(points.len(), 20);
        let sum: i64 = points
            .iter()
            .map(|p| p["revenue_minor"].as_i64().unwrap())
            .sum();
        let b = overview["brands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["slug"] == s["slug"])
            .unwrap();
        assert_eq!(sum, b["revenue_minor"].as_i64().unwrap());
        let day = points[3]["start"].as_str().unwrap();
        let expected: i64 = orders
            .iter()
            .filter(|o| {
                o.brand == s["slug"]
                    && o.paid_at
                        .is_some_and(|t| t.date_naive() == from + chrono::Days::new(3))
            })
            .flat_map(|o| &o.lines)
            .map(|l| l.price * i64::from(l.quantity))
            .sum();
        assert_eq!(points[3]["revenue_minor"], expected, "{day}");
    }

    // Top products per brand.
    let top = get(format!(
        "/v1/admin/analytics/top-products?from={from}&to={to}&limit=2"
    ))
    .await;
    for (slug, _, _) in brands {
        let mut per_product: BTreeMap<i32, i64> = BTreeMap::new();
        for o in orders
            .iter()
            .filter(|o| o.brand == slug && o.paid_at.is_some_and(in_range))
        {
            for l in &o.lines {
                *per_product.entry(l.product).or_default() += l.price * i64::from(l.quantity);
            }
        }
        let mut expected: Vec<i64> = per_product.values().copied().collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        expected.truncate(2);
        let got: Vec<i64> = top
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["slug"] == slug)
            .map(|b| {
                b["products"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["revenue_minor"].as_i64().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(got, expected, "{slug}");
    }

    // An empty range is zeros, not an error; bad ranges are 422s naming the field.
    let empty = get("/v1/admin/analytics/overview?from=2030-01-01&to=2030-01-31".into()).await;
    assert!(
        empty["brands"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["revenue_minor"] == 0 && b["order_count"] == 0)
    );
    for (query, field) in [
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2025-01-01&to=2026-06-01", "to"),
    ] {
        let resp = app
            .authed(
                Method::GET,
                &format!("/v1/admin/analytics/overview?{query}"),
                &owner,
                None,
            )
            .send()
            .await
            .unwrap();
        let body = assert_problem(resp, 422).await;
        assert_eq!(body["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn inventory_health_counts_low_and_out_of_stock_and_unexpired_holds() {
    let app = TestApp::spawn_with(&[("WORKER_ENABLED", "false")]).await;
    app.create_brand("fiber-x", "FBX").await;
    app.add_categories("fiber-x", &[("HAIR", "Hair")]).await;
    for i in 0..3 {
        app.create_product("fiber-x", "HAIR", &format!("P{i}"), "active", json!([]))
            .await;
    }
    app.create_zone("BER", 1).await;
    app.receive("fiber-x", "FBX-HAIR-0001", "BER", 10).await;
    app.receive("fiber-x", "FBX-HAIR-0002", "BER", 2).await;
    app.db
        .admin()
        .await
        .execute("update app.variants set reorder_threshold = 5", &[])
        .await
        .unwrap();
    assert_eq!(
        app.checkout("fiber-x", "k1", &[("FBX-HAIR-0001", 3)], None)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.checkout("fiber-x", "k2", &[("FBX-HAIR-0001", 1)], None)
            .await
            .status(),
        201
    );
    // The second order's hold has expired: its unit is free again and not "reserved".
    app.db
        .admin()
        .await
        .execute(
            "update app.holds set expires_at = now() - interval '1 second' where quantity = 1",
            &[],
        )
        .await
        .unwrap();
    let owner = app.owner("owner@brandhouse.test").await;
    let health: serde_json::Value = app
        .authed(Method::GET, "/v1/admin/analytics/inventory", &owner, None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        health,
        json!([{"slug": "fiber-x", "name": "Brand fiber-x", "sku_count": 3, "active_skus": 3,
                "low_stock_skus": 2, "out_of_stock_skus": 1, "reserved_units": 3}])
    );
}
