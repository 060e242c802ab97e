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

/// The rollups the analytics endpoints read (sql/V37__analytics_rollups.sql, V39).
const ROLLUPS: [&str; 8] = [
    "app.sales_daily",
    "app.sales_weekly",
    "app.sales_monthly",
    "app.sales_yearly",
    "app.product_sales_daily",
    "app.product_sales_monthly",
    "app.product_sales_yearly",
    "app.catalog_counts",
];

#[tokio::test]
async fn the_api_role_can_neither_read_nor_write_the_rollups() {
    let app = TestApp::spawn().await;
    let brands = app.two_brands().await;
    let a = brands.fiber_x;
    let url =
        crate::helpers::api_url(&app.db.name).replace("brandhouse_api", "brandhouse_analytics");
    let analytics = crate::helpers::connect(&url).await;
    let mut api = app.db.api().await;
    for table in ROLLUPS {
        // The analytics role reads every brand's rows.
        analytics
            .query(&format!("select * from {table}"), &[])
            .await
            .unwrap();
        // The API role, in its own brand's transaction, reads nothing, not even its brand's
        // figures, and writes nothing.
        for sql in [
            format!("select count(*) from {table}"),
            format!("select count(*) from {table} where tenant_id = '{}'", a.id),
            format!("delete from {table}"),
            format!("update {table} set tenant_id = tenant_id"),
        ] {
            let tx = api.transaction().await.unwrap();
            tx.execute(
                "select set_config('app.tenant_id', $1, true)",
                &[&a.id.to_string()],
            )
            .await
            .unwrap();
            let err = tx.query(&sql, &[]).await.unwrap_err();
            assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{sql}");
        }
    }
    // The function that writes the sales rollups runs only from the trigger on orders.
    let tx = api.transaction().await.unwrap();
    tx.execute(
        "select set_config('app.tenant_id', $1, true)",
        &[&a.id.to_string()],
    )
    .await
    .unwrap();
    let err = tx
        .execute(
            "select app.sales_rollup_apply($1, 1, 'EUR', now(), 100, 1, '{}', '{}', '{}', 1)",
            &[&a.id],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
}

struct SeedLine {
    sku: String,
    product: i32,
    quantity: i32,
    price: i64,
}

struct SeedOrder {
    brand: &'static str,
    /// The status the order ends in; `cancelled_after_payment` ends `cancelled` with a
    /// payment time.
    status: &'static str,
    paid_at: Option<chrono::DateTime<Utc>>,
    lines: Vec<SeedLine>,
}

impl SeedOrder {
    /// The payment time of an order that counts (paid or shipped; cancelled or wholly
    /// refunded after payment it no longer does).
    fn counted_at(&self) -> Option<chrono::DateTime<Utc>> {
        self.paid_at
            .filter(|_| ["paid", "shipped"].contains(&self.status))
    }
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
            "refunded",
            "cancelled_after_payment",
        ][rng.random_range(0..8)];
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
            paid_at: ["paid", "shipped", "refunded", "cancelled_after_payment"]
                .contains(&status)
                .then_some(at),
            lines,
        });
    }
    // Every order is written as checkout writes it (waiting for payment, then its lines), and
    // then moved through its statuses as the API role in the brand's transaction, as payment,
    // shipping, cancellation and refunds do: the maintained rollups the endpoints read follow
    // those updates only.
    let mut api = app.db.api().await;
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
                 c as (insert into app.customers (tenant_id, name, email, created_at) select id, 'C', $2, $5 from t returning id) \
                 insert into app.orders (tenant_id, number, customer_id, status, currency, total_minor, units, idempotency_key, \
                   request_hash, holds_expire_at, paid_at, created_at, customer_name) \
                 select t.id, $3, c.id, 'pending_payment', t.currency, $4, $6, $2, '\\x00', now(), null, $5, 'C' from t, c returning id, tenant_id",
                &[&o.brand, &format!("k{i}@x.test"), &(i as i32 + 1), &total, &o.paid_at.unwrap_or(day0), &units],
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
        let tenant: uuid::Uuid = row.get(1);
        let steps: &[(&str, bool)] = match o.status {
            "paid" => &[("paid", true)],
            "shipped" => &[("paid", true), ("shipped", false)],
            "refunded" => &[("paid", true), ("shipped", false), ("refunded", false)],
            "cancelled_after_payment" => &[("paid", true), ("cancelled", false)],
            "pending_payment" => &[],
            other => &[(other, false)],
        };
        let tx = api.transaction().await.unwrap();
        tx.execute(
            "select set_config('app.tenant_id', $1, true)",
            &[&tenant.to_string()],
        )
        .await
        .unwrap();
        for (status, pays) in steps {
            let n = tx
                .execute(
                    "update app.orders set status = $2, \
                     paid_at = case when $3 then $4 else paid_at end where id = $1",
                    &[&order_id, status, pays, &o.paid_at],
                )
                .await
                .unwrap();
            assert_eq!(n, 1);
        }
        tx.commit().await.unwrap();
    }

    // A range covering days 5..=24.
    let from = NaiveDate::from_ymd_opt(2026, 10, 6).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
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

    // The overview for the range above and for ranges read as a year (or month) minus what lies
    // outside them (the monthly and yearly rollups, V39), one across New Year.
    let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let d25 = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
    let long_ranges = [
        (d(1, 1), d(10, 20)),
        (d25(11, 15), d(10, 10)),
        (d25(12, 6), d(12, 5)),
    ];
    for (from, to) in std::iter::once((from, to)).chain(long_ranges) {
        let in_range = |t: chrono::DateTime<Utc>| t.date_naive() >= from && t.date_naive() <= to;
        let overview = get(format!("/v1/admin/analytics/overview?from={from}&to={to}")).await;
        for (slug, _, currency) in brands {
            let paid: Vec<&SeedOrder> = orders
                .iter()
                .filter(|o| o.brand == slug && o.counted_at().is_some_and(in_range))
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
            assert_eq!(b["revenue_minor"], revenue, "{slug} {from}..{to}");
            assert_eq!(b["order_count"], paid.len() as i64, "{slug} {from}..{to}");
            assert_eq!(b["units_sold"], units, "{slug} {from}..{to}");
            assert_eq!(b["new_customers"], customers, "{slug} {from}..{to}");
            assert_eq!(
                b["average_order_value_minor"],
                if paid.is_empty() {
                    0
                } else {
                    revenue / paid.len() as i64
                }
            );
        }
    }
    let overview = get(format!("/v1/admin/analytics/overview?from={from}&to={to}")).await;
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
                    && o.counted_at()
                        .is_some_and(|t| t.date_naive() == from + chrono::Days::new(3))
            })
            .flat_map(|o| &o.lines)
            .map(|l| l.price * i64::from(l.quantity))
            .sum();
        assert_eq!(points[3]["revenue_minor"], expected, "{day}");
    }

    // The weekly series: whole weeks from the weekly rollup (V39), the partial weeks at the
    // ends of the range from the days; every point equal to the orders' sum for its week
    // within the range.
    for (from, to) in std::iter::once((d(9, 30), d(11, 4))).chain(long_ranges) {
        let series = get(format!(
            "/v1/admin/analytics/timeseries?from={from}&to={to}&interval=week"
        ))
        .await;
        for s in series["series"].as_array().unwrap() {
            for p in s["points"].as_array().unwrap() {
                let start = p["start"]
                    .as_str()
                    .unwrap()
                    .parse::<chrono::DateTime<Utc>>()
                    .unwrap()
                    .date_naive();
                let in_week = |t: chrono::DateTime<Utc>| {
                    let day = t.date_naive();
                    day >= start.max(from) && day < start + chrono::Days::new(7) && day <= to
                };
                let expected: i64 = orders
                    .iter()
                    .filter(|o| o.brand == s["slug"] && o.counted_at().is_some_and(in_week))
                    .flat_map(|o| &o.lines)
                    .map(|l| l.price * i64::from(l.quantity))
                    .sum();
                assert_eq!(
                    p["revenue_minor"], expected,
                    "{} week of {start}",
                    s["slug"]
                );
            }
        }
    }

    // Top products per brand.
    // Days only; a whole month (the monthly rollup) with days after it; a month exactly; and
    // ranges read as a year minus what lies outside them (the yearly rollup, V39), one of them
    // across New Year: the orders after 20 October are taken away from 2026's rows.
    let admin_pieces = |from: NaiveDate, to: NaiveDate| {
        let admin = &admin;
        async move {
            admin
                .query(
                    "select level from app.sales_range_pieces($1, $2, (now() at time zone 'UTC')::date)",
                    &[&from, &(to + chrono::Days::new(1))],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect::<Vec<_>>()
        }
    };
    for (from, to) in long_ranges {
        assert!(
            admin_pieces(from, to).await.contains(&"year".to_owned()),
            "{from}..{to} is read from the yearly rows"
        );
    }
    for (from, to) in [(from, to), (d(9, 28), d(11, 3)), (d(10, 1), d(10, 31))]
        .into_iter()
        .chain(long_ranges)
    {
        let top = get(format!(
            "/v1/admin/analytics/top-products?from={from}&to={to}&limit=2"
        ))
        .await;
        let in_range = |t: chrono::DateTime<Utc>| t.date_naive() >= from && t.date_naive() <= to;
        for (slug, _, _) in brands {
            let mut per_product: BTreeMap<i32, i64> = BTreeMap::new();
            for o in orders
                .iter()
                .filter(|o| o.brand == slug && o.counted_at().is_some_and(in_range))
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
            assert_eq!(got, expected, "{slug} {from}..{to}");
        }
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

/// The pieces a top-products range is read from (app.sales_range_pieces, V39) add up to the
/// range exactly, day by day, whatever "today" prices them with: every day inside counted once,
/// every day outside not at all; and month and year pieces start and end on month and year
/// boundaries (their rows are keyed by first days).
#[tokio::test]
async fn range_pieces_add_up_to_the_range_day_by_day() {
    let app = TestApp::spawn().await;
    let admin = app.db.admin().await;
    let row = admin
        .query_one(
            "with ranges as ( \
               select row_number() over () as id, d0::date as d0, d0::date + n as d1, today \
               from generate_series('2024-11-03'::date, '2026-04-01'::date, interval '29 days') d0, \
                    generate_series(1, 366, 17) n, \
                    unnest(array['2025-06-15', '2026-01-01', '2027-03-01']::date[]) today \
             ), pieces as ( \
               select r.id, p.* from ranges r \
               cross join lateral app.sales_range_pieces(r.d0, r.d1, r.today) p \
             ), coverage as ( \
               select p.id, g::date as day, sum(p.sign) as times \
               from pieces p \
               cross join lateral generate_series(p.lo::timestamp, p.hi::timestamp - interval '1 day', interval '1 day') g \
               group by p.id, g::date \
             ) \
             select (select count(*) from ranges), \
                    (select count(*) from pieces), \
                    (select count(*) from pieces where level = 'year'), \
                    (select count(*) from coverage c join ranges r on r.id = c.id \
                     where c.times <> case when c.day >= r.d0 and c.day < r.d1 then 1 else 0 end), \
                    (select count(*) from ranges r where r.d1 - r.d0 <> \
                       (select count(*) from coverage c \
                        where c.id = r.id and c.day >= r.d0 and c.day < r.d1 and c.times = 1)), \
                    (select count(*) from pieces where lo >= hi \
                       or (level = 'month' and (lo <> date_trunc('month', lo)::date or hi <> date_trunc('month', hi)::date)) \
                       or (level = 'year' and (lo <> date_trunc('year', lo)::date or hi <> date_trunc('year', hi)::date)) \
                       or level not in ('day', 'month', 'year') or sign not in (1, -1))",
            &[],
        )
        .await
        .unwrap();
    let (ranges, pieces, years, wrong_days, short_ranges, malformed): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = (
        row.get(0),
        row.get(1),
        row.get(2),
        row.get(3),
        row.get(4),
        row.get(5),
    );
    assert!(ranges > 1_000, "{ranges} ranges");
    assert!(
        years > 0 && pieces > ranges,
        "{pieces} pieces, {years} of them years"
    );
    assert_eq!((wrong_days, short_ranges, malformed), (0, 0, 0));
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
    // Both units of FBX-HAIR-0002 held: its maintained row says out of stock.
    assert_eq!(
        app.checkout("fiber-x", "k3", &[("FBX-HAIR-0002", 2)], None)
            .await
            .status(),
        201
    );
    // The second and third orders' holds have expired: their units are free again and not
    // "reserved", so FBX-HAIR-0002 is low (2 of 5), not out, although its maintained row still
    // counts the hold: the report must count it once, by the definition.
    app.db
        .admin()
        .await
        .execute(
            "update app.holds set expires_at = now() - interval '1 second' where quantity in (1, 2)",
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

    // The endpoint reads maintained figures; each change below must reach them. After each,
    // they equal the report computed from every SKU's stock rows by the definition.
    let admin = app.db.admin().await;
    let by_definition = async || -> serde_json::Value {
        admin
            .query(
                include_str!("../../src/analytics/sql/inventory_by_definition.sql"),
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| {
                json!({"slug": r.get::<_, String>("slug"), "name": r.get::<_, String>("name"),
                       "sku_count": r.get::<_, i64>("sku_count"),
                       "active_skus": r.get::<_, i64>("active_skus"),
                       "low_stock_skus": r.get::<_, i64>("low_stock_skus"),
                       "out_of_stock_skus": r.get::<_, i64>("out_of_stock_skus"),
                       "reserved_units": r.get::<_, i64>("reserved_units")})
            })
            .collect()
    };
    let endpoint = async || -> serde_json::Value {
        app.authed(Method::GET, "/v1/admin/analytics/inventory", &owner, None)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    assert_eq!(endpoint().await, by_definition().await);
    let tenant: uuid::Uuid = admin
        .query_one("select id from app.tenants where slug = 'fiber-x'", &[])
        .await
        .unwrap()
        .get(0);
    let mut api = app.db.api().await;
    let steps = [
        // A SKU deactivated, a threshold raised (as the API role, in the brand's transaction).
        "update app.variants set is_active = false where sku = 'FBX-HAIR-0002'",
        "update app.variants set reorder_threshold = 20 where sku = 'FBX-HAIR-0001'",
        // The expired hold released: the variant's row is exact again.
        "update app.holds set status = 'expired', ended_at = now() where status = 'active' and expires_at <= now()",
        // Stock received past the threshold, then a SKU reactivated.
        "update app.stock set on_hand = on_hand + 30",
        "update app.variants set is_active = true",
        "update app.variants set reorder_threshold = 0 where sku = 'FBX-HAIR-0003'",
    ];
    for sql in steps {
        let tx = api.transaction().await.unwrap();
        tx.execute(
            "select set_config('app.tenant_id', $1, true)",
            &[&tenant.to_string()],
        )
        .await
        .unwrap();
        tx.execute(sql, &[]).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(endpoint().await, by_definition().await, "after {sql}");
    }
    // A product added later: its SKU, never stocked, is out of stock (as P2's, never received).
    app.create_product("fiber-x", "HAIR", "P3", "active", json!([]))
        .await;
    let health = endpoint().await;
    assert_eq!(health, by_definition().await);
    assert_eq!(health[0]["sku_count"], 4);
    assert_eq!(health[0]["out_of_stock_skus"], 2);
    // A closed zone: the figures by the definition (its stock does not count).
    admin
        .execute("update app.zones set is_active = false", &[])
        .await
        .unwrap();
    assert_eq!(endpoint().await, by_definition().await);
}
