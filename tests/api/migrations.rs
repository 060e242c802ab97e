//! Landed migrations never change: each file's checksum is pinned in `sql/checksums.txt`, and
//! a database that ran the one migration edited after it landed (V9) still migrates, while any
//! other divergence is still refused.

use std::{collections::BTreeMap, path::Path};

use brandhouse::migrate::{KNOWN_EDITS, RoleNames};
use refinery::{Migration, Runner};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::{TestDb, admin_url, connect, test_config};

const SQL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sql");

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The versioned migrations in `sql/`: version -> (name, text).
fn migration_files() -> BTreeMap<i32, (String, String)> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(SQL_DIR).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = file.strip_prefix('V').and_then(|f| f.strip_suffix(".sql")) else {
            continue;
        };
        let (version, name) = stem.split_once("__").expect("V<version>__<name>.sql");
        let text = std::fs::read_to_string(&path).unwrap();
        let old = files.insert(version.parse().unwrap(), (name.to_owned(), text));
        assert!(old.is_none(), "two migrations with version {version}");
    }
    files
}

#[test]
fn every_migration_matches_its_pinned_checksum() {
    let pinned: BTreeMap<i32, (String, String)> =
        std::fs::read_to_string(Path::new(SQL_DIR).join("checksums.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                assert_eq!(cols.len(), 3, "version name sha256: {l:?}");
                (
                    cols[0].parse().unwrap(),
                    (cols[1].to_owned(), cols[2].to_owned()),
                )
            })
            .collect();
    let files = migration_files();
    for (version, (name, text)) in &files {
        let Some((pinned_name, pinned_sha)) = pinned.get(version) else {
            panic!(
                "V{version}__{name}.sql is not in sql/checksums.txt: add the line \
                 `{version} {name} {}`",
                sha256_hex(text.as_bytes())
            );
        };
        assert_eq!(
            name, pinned_name,
            "V{version} was renamed: a landed migration keeps its name"
        );
        assert_eq!(
            &sha256_hex(text.as_bytes()),
            pinned_sha,
            "V{version}__{name}.sql changed after it landed: restore it and add a new migration"
        );
    }
    for (version, (name, _)) in &pinned {
        assert!(
            files.contains_key(version),
            "V{version}__{name}.sql landed but is gone: databases that ran it refuse to migrate"
        );
    }
    assert!(
        !files.contains_key(&5),
        "V5 stays unused (see sql/checksums.txt)"
    );
}

#[test]
fn the_known_edit_is_byte_for_byte_what_databases_ran() {
    // `git show b665a93:sql/V9__bulk_write_checks.sql | sha256sum`: the edited text the
    // binaries of that commit embedded.
    let [edit] = KNOWN_EDITS else {
        panic!("one known edit")
    };
    assert_eq!(edit.version, 9);
    assert_eq!(
        sha256_hex(edit.edited_sql.as_bytes()),
        "353ca187d172fa9925e4b4ac92df52805511eda9a837e4648a2508889fbe4da2"
    );
}

/// Runs `f` while holding the lock the template build takes (helpers.rs): `sql/roles.sql`
/// alters cluster-wide roles, and two runs at once can fail with "tuple concurrently updated".
async fn one_migration_at_a_time<T>(f: impl AsyncFnOnce() -> T) -> T {
    let admin = connect(&admin_url("postgres")).await;
    admin
        .execute("select pg_advisory_lock(7243)", &[])
        .await
        .unwrap();
    let out = f().await;
    admin
        .execute("select pg_advisory_unlock(7243)", &[])
        .await
        .unwrap();
    out
}

async fn migrate(db: &TestDb) -> anyhow::Result<brandhouse::migrate::MigrateReport> {
    let config = test_config(&db.name, &[]);
    one_migration_at_a_time(async || brandhouse::migrate::run(&config.db).await).await
}

/// A new, empty database migrated up to V9 with `v9` as V9's text, the way `brandhouse
/// migrate` ran it then: roles first, each migration wrapped to run as the owner. Dropped with
/// the returned value.
async fn database_migrated_to_v9_with(v9: &str) -> TestDb {
    database_migrated_to(9, v9).await
}

/// A new, empty database migrated up to V`last` (with `v9` as V9's text), as
/// [`database_migrated_to_v9_with`].
async fn database_migrated_to(last: i32, v9: &str) -> TestDb {
    let db = TestDb {
        name: format!(
            "bh_mig_{}_{}",
            std::process::id(),
            &Uuid::new_v4().simple().to_string()[..8]
        ),
    };
    connect(&admin_url("postgres"))
        .await
        .batch_execute(&format!("create database {}", db.name))
        .await
        .unwrap();
    let mut client = db.admin().await;
    one_migration_at_a_time(async || migrate_to(&mut client, last, v9).await).await;
    db
}

async fn migrate_to(client: &mut tokio_postgres::Client, last: i32, v9: &str) {
    let roles = RoleNames {
        owner: "brandhouse_owner".into(),
        api: "brandhouse_api".into(),
        analytics: "brandhouse_analytics".into(),
    };
    client
        .batch_execute(&roles.render(include_str!("../../sql/roles.sql")))
        .await
        .unwrap();
    let migrations: Vec<Migration> = migration_files()
        .into_iter()
        .filter(|(version, _)| *version <= last)
        .map(|(version, (name, text))| {
            let sql = if version == 9 { v9 } else { &text };
            // The wrapping of src/migrate.rs (owned_migration); it is part of the checksum.
            let wrapped = format!("set local role {};\n{sql}\n;\nreset role;", roles.owner);
            Migration::unapplied(&format!("V{version}__{name}"), &wrapped).unwrap()
        })
        .collect();
    Runner::new(&migrations).run_async(client).await.unwrap();
}

async fn stock_zone_index(db: &TestDb) -> String {
    db.admin()
        .await
        .query_one(
            "select pg_get_indexdef('app.stock_zone_idx'::regclass)",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_database_that_ran_the_edited_v9_migrates_and_keeps_the_zone_index() {
    let db = database_migrated_to_v9_with(KNOWN_EDITS[0].edited_sql).await;
    assert!(
        stock_zone_index(&db)
            .await
            .ends_with("(tenant_id, zone_id, variant_id)")
    );

    let report = migrate(&db).await.unwrap();
    assert_eq!(report.repaired, ["V9__bulk_write_checks"]);
    assert!(
        report.applied.iter().any(|m| m == "V10__stock_zone_index"),
        "{:?}",
        report.applied
    );
    assert!(
        stock_zone_index(&db)
            .await
            .ends_with("(tenant_id, zone_id, variant_id)")
    );

    // The history now matches the landed files: a second run has nothing to do.
    let again = migrate(&db).await.unwrap();
    assert!(again.repaired.is_empty() && again.applied.is_empty());
}

#[tokio::test]
async fn a_database_that_ran_the_landed_v9_gets_the_zone_index_from_v10() {
    let landed = &migration_files()[&9].1;
    let db = database_migrated_to_v9_with(landed).await;
    assert!(
        stock_zone_index(&db)
            .await
            .ends_with("(tenant_id, zone_id)")
    );

    let report = migrate(&db).await.unwrap();
    assert!(report.repaired.is_empty());
    assert!(
        stock_zone_index(&db)
            .await
            .ends_with("(tenant_id, zone_id, variant_id)")
    );
}

#[tokio::test]
async fn a_database_whose_v9_differs_in_any_other_way_still_refuses_to_migrate() {
    let landed = &migration_files()[&9].1;
    let db = database_migrated_to_v9_with(&format!("{landed}\n-- an edit nobody knows\n")).await;

    let err = migrate(&db).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("different"),
        "refused as divergent: {err:#}"
    );
    let versions: i64 = db
        .admin()
        .await
        .query_one(
            "select max(version)::bigint from refinery_schema_history",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(versions, 9, "nothing after V9 ran");
}

#[tokio::test]
async fn v16_gives_every_existing_order_its_customers_name_and_phone() {
    let landed = migration_files()[&9].1.clone();
    let db = database_migrated_to(15, &landed).await;
    db.admin()
        .await
        .batch_execute(
            "insert into app.tenants (slug, name, sku_prefix) values ('old', 'Old', 'OLD'); \
             insert into app.customers (tenant_id, name, email, phone) \
               select id, 'Ana', 'ana@old.test', '+4915100000001' from app.tenants; \
             insert into app.customers (tenant_id, name, email) \
               select id, 'Bo', 'bo@old.test' from app.tenants; \
             insert into app.orders (tenant_id, number, customer_id, currency, total_minor, units, \
                                     idempotency_key, request_hash, holds_expire_at) \
               select c.tenant_id, row_number() over (order by c.email), c.id, 'EUR', 100, 1, \
                      c.email, '\\x00', now() \
               from app.customers c",
        )
        .await
        .unwrap();

    let report = migrate(&db).await.unwrap();
    assert!(
        report.applied.iter().any(|m| m == "V16__checkout_caps"),
        "{:?}",
        report.applied
    );
    let admin = db.admin().await;
    let rows: Vec<(String, Option<String>)> = admin
        .query(
            "select customer_name, customer_phone from app.orders order by number",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        rows,
        [
            ("Ana".to_owned(), Some("+4915100000001".to_owned())),
            ("Bo".to_owned(), None)
        ]
    );
    // The backfill lifted FORCE ROW LEVEL SECURITY only for itself.
    let forced: i64 = admin
        .query_one(
            "select count(*) from pg_class where oid in ('app.orders'::regclass, \
             'app.customers'::regclass) and relforcerowsecurity",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(forced, 2);
    // Every order from here on carries its own name.
    let err = admin
        .execute("update app.orders set customer_name = null", &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::NOT_NULL_VIOLATION)
    );
}

/// Whether `verifier` (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as
/// `pg_authid` keeps it) was made from `password` (RFC 5802: StoredKey = H(HMAC(Hi(password,
/// salt, i), "Client Key"))).
fn scram_verifier_matches(verifier: &str, password: &str) -> bool {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let b64 = base64::engine::general_purpose::STANDARD;
    let rest = verifier.strip_prefix("SCRAM-SHA-256$").unwrap();
    let (params, keys) = rest.split_once('$').unwrap();
    let (iterations, salt) = params.split_once(':').unwrap();
    let (stored_key, _server_key) = keys.split_once(':').unwrap();
    let iterations: u32 = iterations.parse().unwrap();
    let salt = b64.decode(salt).unwrap();
    let hmac = |key: &[u8], data: &[u8]| -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    };
    let mut u = hmac(
        password.as_bytes(),
        &[salt.as_slice(), &1u32.to_be_bytes()].concat(),
    );
    let mut salted = u.clone();
    for _ in 1..iterations {
        u = hmac(password.as_bytes(), &u);
        salted.iter_mut().zip(&u).for_each(|(s, x)| *s ^= x);
    }
    let client_key = hmac(&salted, b"Client Key");
    b64.encode(Sha256::digest(&client_key)) == stored_key
}

#[tokio::test]
async fn migrate_sets_the_runtime_roles_passwords_from_their_urls() {
    let db = TestDb::new().await;
    let base = test_config(&db.name, &[]);
    let port = base
        .db
        .api
        .pg_config()
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432);
    let api_pw = "api p@ss'word \"quoted\"";
    let analytics_pw = "an-analytics-secret";
    let with_passwords = test_config(
        &db.name,
        &[
            (
                "DATABASE_URL",
                &format!(
                    "postgres://brandhouse_api:{}@127.0.0.1:{port}/{}",
                    "api%20p%40ss%27word%20%22quoted%22", db.name
                ),
            ),
            (
                "ANALYTICS_DATABASE_URL",
                &format!(
                    "postgres://brandhouse_analytics:{analytics_pw}@127.0.0.1:{port}/{}",
                    db.name
                ),
            ),
        ],
    );
    let admin = db.admin().await;
    let read = async |role: &str| -> Option<String> {
        admin
            .query_one(
                "select rolpassword from pg_authid where rolname = $1",
                &[&role],
            )
            .await
            .unwrap()
            .get(0)
    };
    let report = one_migration_at_a_time(async || {
        let report = brandhouse::migrate::run(&with_passwords.db).await;
        let api = read("brandhouse_api").await;
        let analytics = read("brandhouse_analytics").await;
        // Roles are cluster-wide: put them back as the local trust setup has them.
        admin
            .batch_execute(
                "alter role brandhouse_api password null; \
                 alter role brandhouse_analytics password null",
            )
            .await
            .unwrap();
        report.map(|r| (r, api, analytics))
    })
    .await;
    let (report, api, analytics) = report.unwrap();
    assert_eq!(
        report.passwords_set,
        ["brandhouse_api", "brandhouse_analytics"]
    );
    let api = api.expect("the API role has a password");
    assert!(api.starts_with("SCRAM-SHA-256$"), "{api}");
    assert!(scram_verifier_matches(&api, api_pw));
    assert!(!scram_verifier_matches(&api, analytics_pw));
    assert!(scram_verifier_matches(&analytics.unwrap(), analytics_pw));

    // Without passwords in the URLs, migrate leaves the roles' passwords alone.
    let plain = one_migration_at_a_time(async || brandhouse::migrate::run(&base.db).await)
        .await
        .unwrap();
    assert!(plain.passwords_set.is_empty());
}

/// On a distributed PostgreSQL the owner must log in (Citus opens its worker connections as the
/// current role, and migrations run as the owner): `DB_OWNER_PASSWORD` gives it LOGIN and that
/// password; without it, the next migrate takes the login away again. A role of its own, so the
/// shared owner role of the other tests is never able to log in.
#[tokio::test]
async fn the_owner_logs_in_only_while_db_owner_password_is_set() {
    let suffix = &Uuid::new_v4().simple().to_string()[..8];
    let owner = format!("bh_owner_{}_{suffix}", std::process::id());
    let db = TestDb {
        name: format!("bh_mig_{}_{suffix}", std::process::id()),
    };
    let server = connect(&admin_url("postgres")).await;
    server
        .batch_execute(&format!("create database {}", db.name))
        .await
        .unwrap();
    let password = "an owner's secret";
    let cluster = test_config(
        &db.name,
        &[("DB_OWNER_ROLE", &owner), ("DB_OWNER_PASSWORD", password)],
    );
    let single = test_config(&db.name, &[("DB_OWNER_ROLE", &owner)]);
    let role = async || -> (bool, Option<String>) {
        let row = server
            .query_one(
                "select rolcanlogin, rolpassword from pg_authid where rolname = $1",
                &[&owner],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let owner_url = admin_url(&db.name).replacen("postgres@", &format!("{owner}@"), 1);
    let logs_in = async || tokio_postgres::connect(&owner_url, tokio_postgres::NoTls).await;

    let report = one_migration_at_a_time(async || brandhouse::migrate::run(&cluster.db).await)
        .await
        .unwrap();
    assert_eq!(report.passwords_set, std::slice::from_ref(&owner));
    let (login, verifier) = role().await;
    assert!(login);
    assert!(scram_verifier_matches(&verifier.unwrap(), password));
    assert!(logs_in().await.is_ok());

    let report = one_migration_at_a_time(async || brandhouse::migrate::run(&single.db).await)
        .await
        .unwrap();
    assert!(report.passwords_set.is_empty());
    assert!(!role().await.0, "the owner can still log in");
    let refused = logs_in().await.err().expect("the owner logged in");
    assert!(
        refused
            .as_db_error()
            .is_some_and(|e| e.message().contains("not permitted to log in")),
        "{refused:?}"
    );

    drop(db);
    crate::helpers::eventually(
        "the database to be dropped",
        std::time::Duration::from_secs(10),
        || async {
            server
                .batch_execute(&format!("drop owned by {owner} cascade; drop role {owner}"))
                .await
                .ok()
        },
    )
    .await;
}

#[tokio::test]
async fn v25_counts_the_units_of_orders_shipped_before_it_as_shipped() {
    let landed = migration_files()[&9].1.clone();
    let db = database_migrated_to(23, &landed).await;
    // One brand, one SKU, two orders with one confirmed hold of 2 units each: one shipped by
    // the previous release (no shipment rows), one paid and waiting.
    db.admin()
        .await
        .batch_execute(
            "insert into app.tenants (slug, name, sku_prefix) values ('old', 'Old', 'OLD'); \
             insert into app.zones (code, name) values ('BER', 'Berlin'); \
             insert into app.categories (tenant_id, code, name) select id, 'HAIR', 'Hair' from app.tenants; \
             insert into app.products (tenant_id, number, handle, category_id, sku_stem, name, base_price_minor) \
               select c.tenant_id, 1, 'oil', c.id, 'OLD-HAIR-0001', 'Oil', 50 from app.categories c; \
             insert into app.variants (tenant_id, product_id, sku, option_key) \
               select tenant_id, id, 'OLD-HAIR-0001', '' from app.products; \
             insert into app.stock (tenant_id, variant_id, zone_id, on_hand) \
               select v.tenant_id, v.id, z.id, 10 from app.variants v, app.zones z; \
             insert into app.customers (tenant_id, name, email) select id, 'Ana', 'ana@old.test' from app.tenants; \
             insert into app.orders (tenant_id, number, customer_id, currency, total_minor, units, \
                                     idempotency_key, request_hash, holds_expire_at, status, customer_name) \
               select c.tenant_id, o.n, c.id, 'EUR', 100, 2, 'k' || o.n, '\\x00', now(), o.s, 'Ana' \
               from app.customers c, (values (1, 'shipped'), (2, 'paid')) as o(n, s); \
             insert into app.order_lines (tenant_id, order_id, position, variant_id, sku, quantity, unit_price_minor) \
               select o.tenant_id, o.id, 1, v.id, v.sku, 2, 50 from app.orders o, app.variants v; \
             insert into app.holds (tenant_id, order_id, order_line_id, variant_id, zone_id, quantity, status, expires_at) \
               select l.tenant_id, l.order_id, l.id, l.variant_id, z.id, 2, 'confirmed', now() \
               from app.order_lines l, app.zones z",
        )
        .await
        .unwrap();

    let report = migrate(&db).await.unwrap();
    assert!(
        report.applied.iter().any(|m| m == "V25__shipments"),
        "{:?}",
        report.applied
    );
    let admin = db.admin().await;
    let rows: Vec<(i32, i32)> = admin
        .query(
            "select o.number, h.shipped_quantity from app.holds h \
             join app.orders o on o.id = h.order_id order by o.number",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, [(1, 2), (2, 0)]);
    // The backfill lifted FORCE ROW LEVEL SECURITY only for itself.
    let forced: i64 = admin
        .query_one(
            "select count(*) from pg_class where oid in ('app.orders'::regclass, \
             'app.holds'::regclass, 'app.shipments'::regclass, 'app.shipment_lines'::regclass) \
             and relforcerowsecurity",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(forced, 4);
    // Shipping more than a hold sold is a constraint violation; the new status is allowed.
    let err = admin
        .execute("update app.holds set shipped_quantity = 3", &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION)
    );
    admin
        .execute(
            "update app.orders set status = 'partially_shipped' where number = 2",
            &[],
        )
        .await
        .unwrap();
}
