//! The test harness: a fresh database per test, cloned from a migrated template, and the real
//! service on a random port, connecting as the API role.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use brandhouse::{
    config::Config,
    scope::{Actor, Tenant, TenantScope},
    startup::{AppState, Application},
    tenants::{
        Theme,
        service::{self, NewBrand},
    },
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls, types::FromSql};
use uuid::Uuid;

/// How often [`eventually`] looks again.
/// The SKUs of [`TestApp::spawn_two_brand_shop`]'s one product per brand.
pub const SHOP_SKU_FIBER_X: &str = "FBX-HAIR-0001";
pub const SHOP_SKU_SUZUME: &str = "SZM-SKIN-0001";

const POLL_EVERY: Duration = Duration::from_millis(20);

/// Waits for work the test does not drive step by step (a background cache write, a server
/// starting or stopping, a query blocking on a lock): runs `check` every 20 ms until it returns
/// `Some`, and returns that value. When `timeout` passes first, the test fails naming `what`.
/// Unlike a fixed sleep it costs only as long as the work takes, and a slow machine makes it
/// wait longer rather than pass or fail by chance.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// A superuser login on the test server (trust auth locally).
pub fn admin_url(dbname: &str) -> String {
    let base = std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    format!("{}/{dbname}", base.trim_end_matches('/'))
}

fn server_base() -> String {
    admin_url("").trim_end_matches('/').to_owned()
}

/// The API role's URL for a test database.
pub fn api_url(dbname: &str) -> String {
    format!(
        "postgres://brandhouse_api@{}/{dbname}",
        server_base()
            .rsplit_once('@')
            .map_or("127.0.0.1:5432", |(_, h)| h)
    )
}

pub async fn connect(url: &str) -> Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// The configuration a test app runs with, pointed at `dbname`.
pub fn test_config(dbname: &str, extra: &[(&str, &str)]) -> Config {
    let host = server_base()
        .rsplit_once('@')
        .map_or("127.0.0.1:5432".to_owned(), |(_, h)| h.to_owned());
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), api_url(dbname)),
        (
            "ANALYTICS_DATABASE_URL".into(),
            format!("postgres://brandhouse_analytics@{host}/{dbname}"),
        ),
        ("MIGRATION_DATABASE_URL".into(), admin_url(dbname)),
        ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ("DB_POOL_SIZE".into(), "8".into()),
        ("SHUTDOWN_GRACE_SECS".into(), "5".into()),
        // Tests run background jobs explicitly (`AppState::run_due_jobs`), so they see each step.
        ("WORKER_ENABLED".into(), "false".into()),
        // Tests send many requests from one address; the rate-limit tests turn limits on.
        ("RATE_LIMITS".into(), "off".into()),
        // ... and so does the per-client login throttle; its tests set it low.
        ("LOGIN_MAX_FAILURES_PER_CLIENT".into(), "1000".into()),
        // Each test's files (the product index, objects) in a directory of its own.
        (
            "DATA_DIR".into(),
            test_data_dir(dbname).display().to_string(),
        ),
    ]);
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test configuration is valid")
}

/// The data directory of the test using database `dbname`.
///
/// Directories live under one root per test process, `$TMPDIR/brandhouse-tests/<pid>`.
/// They are not removed when a test ends: the server task (and the product index it holds
/// open) outlives the test body until the runtime drops it, and deleting the files under an
/// open shard makes its final flush fail. Instead, the first call in a process removes the
/// roots of test processes that are no longer running.
pub fn test_data_dir(dbname: &str) -> std::path::PathBuf {
    static ROOT: OnceLock<std::path::PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = std::env::temp_dir().join("brandhouse-tests");
        if let Ok(entries) = std::fs::read_dir(&base) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let pid = name.to_string_lossy();
                let running = std::path::Path::new("/proc").join(&*pid).exists();
                if !running || pid.parse::<u32>().is_err() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        base.join(std::process::id().to_string())
    })
    .join(dbname)
}

/// A hash of everything that shapes the schema, so a changed migration gets a new template.
fn schema_hash() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = Vec::new();
    for dir in ["sql", "policies"] {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.file_name().unwrap().to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).unwrap());
    }
    hex::encode(&h.finalize()[..6])
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// The migrated template database, built once per schema version. Test processes coordinate
/// through an advisory lock, and a template only counts once it is marked complete.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("bh_tpl_{}", schema_hash());
            let admin = connect(&admin_url("postgres")).await;
            admin
                .execute("select pg_advisory_lock(7243)", &[])
                .await
                .unwrap();
            let ready = admin
                .query_opt(
                    "select 1 from pg_database d \
                     join pg_shdescription s on s.objoid = d.oid and s.classoid = 'pg_database'::regclass \
                     where d.datname = $1 and s.description = 'ready'",
                    &[&name],
                )
                .await
                .unwrap()
                .is_some();
            if !ready {
                admin
                    .batch_execute(&format!("drop database if exists {name} with (force)"))
                    .await
                    .unwrap();
                admin
                    .batch_execute(&format!("create database {name}"))
                    .await
                    .unwrap();
                let config = test_config(&name, &[]);
                brandhouse::migrate::run(&config.db)
                    .await
                    .expect("migrating the template");
                admin
                    .batch_execute(&format!("comment on database {name} is 'ready'"))
                    .await
                    .unwrap();
            }
            admin
                .execute("select pg_advisory_unlock(7243)", &[])
                .await
                .unwrap();
            name
        })
        .await
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database of its own for one test, dropped when the value is dropped.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let template = template().await;
        let name = format!(
            "bh_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            &Uuid::new_v4().simple().to_string()[..8]
        );
        let admin = connect(&admin_url("postgres")).await;
        // The template may still be held for a moment by the connection that migrated it
        // (55006, object in use); any other failure is final.
        let create = format!("create database {name} template {template}");
        eventually(
            "the template to be free for cloning",
            Duration::from_secs(5),
            || async {
                match admin.batch_execute(&create).await {
                    Ok(()) => Some(()),
                    Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::OBJECT_IN_USE) => {
                        None
                    }
                    Err(e) => panic!("cloning the template: {e}"),
                }
            },
        )
        .await;
        Self { name }
    }

    /// A superuser connection to this database (bypasses RLS: for setup and inspection).
    pub async fn admin(&self) -> Client {
        connect(&admin_url(&self.name)).await
    }

    /// A connection as the API role, the role the service runs as.
    pub async fn api(&self) -> Client {
        connect(&api_url(&self.name)).await
    }

    /// Runs `sql` as the superuser and returns the one value of its one row (a count, a
    /// status): for inspecting what the service left in the database.
    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: for<'a> FromSql<'a>,
    {
        self.admin()
            .await
            .query_one(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee; use a small one of our own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok((client, conn)) =
                    tokio_postgres::connect(&admin_url("postgres"), NoTls).await
                {
                    tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("drop database if exists {name} with (force)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// The service under test.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    // Last: the database goes after the server's pool.
    pub db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Spawns with extra configuration variables (e.g. `("DB_POOL_SIZE", "1")`).
    pub async fn spawn_with(extra: &[(&str, &str)]) -> Self {
        let db = TestDb::new().await;
        let config = test_config(&db.name, extra);
        let app = Application::build(config.clone())
            .await
            .expect("the application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        Self {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            state,

            shutdown: Some(tx),
            server: Some(server),
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET a storefront path as brand `slug` (via X-Tenant-ID).
    pub async fn storefront_get(&self, slug: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("X-Tenant-ID", slug)
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a brand through the service layer (as onboarding does).
    pub async fn create_brand(&self, slug: &str, sku_prefix: &str) -> Tenant {
        service::create_brand(
            &self.state.db,
            &Actor::System,
            &NewBrand {
                slug: slug.into(),
                name: format!("Brand {slug}"),
                sku_prefix: sku_prefix.into(),
                currency: "EUR".into(),
                domains: vec![format!("{slug}.test")],
                theme: Theme::default(),
                features: Default::default(),
            },
        )
        .await
        .expect("brand created")
    }

    /// The scope of a brand, resolved as the service resolves it.
    pub async fn scope(&self, slug: &str) -> TenantScope {
        self.state
            .tenants
            .scope_for_slug(slug, Actor::System)
            .await
            .expect("brand exists")
    }

    /// Adds categories to a brand through the tenant transaction.
    pub async fn add_categories(&self, slug: &str, categories: &[(&str, &str)]) {
        let scope = self.scope(slug).await;
        self.state
            .db
            .tenant_tx(&scope, async |tx| {
                for (code, name) in categories {
                    brandhouse::catalog::repo::upsert_category(tx, code, name).await?;
                }
                Ok::<_, brandhouse::db::DbError>(())
            })
            .await
            .expect("categories added");
    }

    /// Runs `sql` with `params` in a transaction of `scope`'s brand and asserts that row-level
    /// security refuses it: the attack of writing another brand's row from this one.
    pub async fn assert_refused_in(
        &self,
        scope: &TenantScope,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) {
        let err = self
            .state
            .db
            .tenant_tx(scope, async |tx| {
                tx.execute(sql, params).await?;
                Ok::<_, brandhouse::db::DbError>(())
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.constraint().map(|(code, _)| code.clone()),
            Some(tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err}"
        );
    }

    /// [`TestDb::scalar`] on this app's database.
    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: for<'a> FromSql<'a>,
    {
        self.db.scalar(sql).await
    }

    /// The two brands most tests set side by side (see [`TwoBrands`]).
    pub async fn two_brands(&self) -> TwoBrands {
        let fiber_x = self.create_brand("fiber-x", "FBX").await;
        let suzume = self.create_brand("suzume", "SZM").await;
        self.add_categories("fiber-x", &[("HAIR", "Hair care"), ("STYL", "Styling")])
            .await;
        self.add_categories("suzume", &[("SKIN", "Skincare"), ("HAIR", "Hair")])
            .await;
        self.create_zone("BER", 10).await;
        self.create_zone("HAM", 20).await;
        TwoBrands { fiber_x, suzume }
    }

    /// Two brands with one active product each and 500 units of it in zone BER, no worker
    /// (jobs run on demand), plus `extra` settings: the shop the events and webhook tests
    /// place orders in ([`SHOP_SKU_FIBER_X`], [`SHOP_SKU_SUZUME`]).
    pub async fn spawn_two_brand_shop(extra: &[(&str, &str)]) -> TestApp {
        let mut env = vec![("WORKER_ENABLED", "false"), ("DB_POOL_SIZE", "16")];
        env.extend_from_slice(extra);
        let app = TestApp::spawn_with(&env).await;
        app.two_brands().await;
        app.create_product("fiber-x", "HAIR", "Argan Oil", "active", json!([]))
            .await;
        app.create_product("suzume", "SKIN", "Rice Toner", "active", json!([]))
            .await;
        app.receive("fiber-x", SHOP_SKU_FIBER_X, "BER", 500).await;
        app.receive("suzume", SHOP_SKU_SUZUME, "BER", 500).await;
        app
    }

    /// The two brands and zones of [`TestApp::two_brands`], two Fiber X products (numbers 1 and
    /// 2: `FBX-HAIR-0001`, `FBX-HAIR-0002`) and one Suzume product, none with stock yet, no
    /// worker: the shop the order and shipment tests stock as they need.
    pub async fn spawn_unstocked_shop() -> TestApp {
        let app = TestApp::spawn_with(&[("WORKER_ENABLED", "false"), ("DB_POOL_SIZE", "12")]).await;
        app.two_brands().await;
        app.create_product("fiber-x", "HAIR", "Argan Oil", "active", json!([]))
            .await;
        app.create_product("fiber-x", "HAIR", "Strong Gel", "active", json!([]))
            .await;
        app.create_product("suzume", "SKIN", "Rice Toner", "active", json!([]))
            .await;
        app
    }

    /// Places an order of one unit of the shop's product in `slug` (`fiber-x` or `suzume`,
    /// see [`TestApp::spawn_two_brand_shop`]); returns its body.
    pub async fn order_one_unit(&self, slug: &str, key: &str) -> Value {
        let sku = if slug == "fiber-x" {
            SHOP_SKU_FIBER_X
        } else {
            SHOP_SKU_SUZUME
        };
        let resp = self.checkout(slug, key, &[(sku, 1)], None).await;
        assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
        resp.json().await.unwrap()
    }

    /// [`TestApp::two_brands`] and a signed-in brand manager of each: (Fiber X's, Suzume's).
    pub async fn two_brands_and_managers(&self) -> (Signed, Signed) {
        self.two_brands().await;
        (self.manager("fiber-x").await, self.manager("suzume").await)
    }

    /// Stops accepting and waits for the server to finish in-flight requests.
    /// Sends the shutdown signal (what SIGTERM does to the binary) without waiting for the
    /// server to stop.
    pub fn stop_signal(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(handle) => handle.await.expect("server task"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Fiber X and Suzume, as [`TestApp::two_brands`] makes them:
/// - Fiber X (`fiber-x`, SKU prefix `FBX`): categories HAIR "Hair care" and STYL "Styling";
/// - Suzume (`suzume`, `SZM`): SKIN "Skincare" and HAIR "Hair" (the same code as one of Fiber
///   X's on purpose: category codes are per brand);
/// - the shared warehouse zones BER (priority 10) and HAM (priority 20).
///
/// No products, stock or staff: many tests count on their own product numbers and SKUs
/// (`FBX-HAIR-0001` is the first product they create), so each adds those itself
/// ([`TestApp::create_product`], [`TestApp::receive`], [`TestApp::manager`]).
pub struct TwoBrands {
    pub fiber_x: Tenant,
    pub suzume: Tenant,
}

/// Asserts a response is an RFC 9457 problem with `status`, and returns its body.
pub async fn assert_problem(resp: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let request_id = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = resp.json().await.expect("a JSON problem body");
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(body["request_id"].as_str(), request_id.as_deref());
    body
}

/// A signed-in staff member for tests.
pub struct Signed {
    pub email: String,
    pub token: String,
}

pub const TEST_PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Signs in over HTTP and returns the token.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/v1/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    pub async fn token_for(&self, email: &str) -> String {
        let resp = self.login(email, TEST_PASSWORD).await;
        assert_eq!(resp.status(), 200, "login of {email}");
        let body: serde_json::Value = resp.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Creates the company owner (once per email) and signs in.
    pub async fn owner(&self, email: &str) -> Signed {
        brandhouse::identity::service::create_owner(
            &self.state.db,
            email,
            "Test Owner",
            TEST_PASSWORD.to_owned().into(),
        )
        .await
        .expect("owner created");
        Signed {
            email: email.to_owned(),
            token: self.token_for(email).await,
        }
    }

    /// Creates a staff member with `role` in brand `slug` and signs in.
    pub async fn staff(&self, slug: &str, role: brandhouse::identity::Role, email: &str) -> Signed {
        let scope = self.scope(slug).await;
        brandhouse::identity::service::ensure_member(
            &self.state.db,
            &scope,
            email,
            "Test Staff",
            role,
            TEST_PASSWORD.to_owned().into(),
        )
        .await
        .expect("staff created");
        Signed {
            email: email.to_owned(),
            token: self.token_for(email).await,
        }
    }

    /// `who` invites `email` to brand `slug` in `role`; returns the invitation token.
    pub async fn invite(&self, slug: &str, who: &Signed, email: &str, role: &str) -> String {
        let resp = self
            .authed(
                reqwest::Method::POST,
                "/v1/admin/staff/invitations",
                who,
                Some(slug),
            )
            .json(&serde_json::json!({ "email": email, "role": role }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "inviting {email} to {slug}");
        let body: serde_json::Value = resp.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Accepts an invitation by creating the account, with [`TEST_PASSWORD`].
    pub async fn accept_invitation(&self, token: &str, display_name: &str) -> reqwest::Response {
        self.client
            .post(self.url("/v1/auth/invitations/accept"))
            .json(&serde_json::json!({
                "token": token,
                "display_name": display_name,
                "password": TEST_PASSWORD,
            }))
            .send()
            .await
            .unwrap()
    }

    /// The brand manager `bm@{slug}.test` of brand `slug` (created on first use), signed in.
    pub async fn manager(&self, slug: &str) -> Signed {
        self.staff(
            slug,
            brandhouse::identity::Role::BrandManager,
            &format!("bm@{slug}.test"),
        )
        .await
    }

    /// A request with a bearer token and, optionally, a brand.
    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        who: &Signed,
        brand: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&who.token);
        if let Some(brand) = brand {
            req = req.header("X-Tenant-ID", brand);
        }
        req
    }
}

/// A private Redis server for one test, so it can be flushed or killed without disturbing
/// other tests. Killed when dropped.
pub struct TestRedis {
    pub url: String,
    child: Option<std::process::Child>,
}

impl TestRedis {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server runs (install Debian's redis-server)");
        let url = format!("redis://127.0.0.1:{port}");
        eventually("redis-server to listen", Duration::from_secs(5), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
        })
        .await;
        Self {
            url,
            child: Some(child),
        }
    }

    pub fn cli(&self, args: &[&str]) -> String {
        let port = self.url.rsplit(':').next().unwrap();
        let out = std::process::Command::new("redis-cli")
            .args(["-p", port])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A private three-node Redis Cluster (Debian's `redis-server --cluster-enabled yes`, joined by
/// `redis-cli --cluster create`, no replicas) for one test, on free loopback ports. Killed when
/// dropped.
pub struct TestRedisCluster {
    /// `redis-cluster://127.0.0.1:<first>?node=127.0.0.1:<second>&node=...`
    pub url: String,
    pub ports: Vec<u16>,
    children: Vec<std::process::Child>,
    dir: std::path::PathBuf,
}

impl TestRedisCluster {
    pub async fn start() -> Self {
        let ports: Vec<u16> = (0..3)
            .map(|_| {
                std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port()
            })
            .collect();
        let dir = std::env::temp_dir().join(format!("bh-redis-cluster-{}", ports[0]));
        std::fs::create_dir_all(&dir).unwrap();
        let mut children = Vec::new();
        for port in &ports {
            let conf = dir.join(format!("nodes-{port}.conf"));
            let _ = std::fs::remove_file(&conf);
            children.push(
                std::process::Command::new("redis-server")
                    .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                    .args(["--cluster-enabled", "yes", "--cluster-config-file"])
                    .arg(&conf)
                    .args(["--save", "", "--appendonly", "no"])
                    .current_dir(&dir)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .expect("redis-server runs (install Debian's redis-server)"),
            );
        }
        for port in &ports {
            eventually(
                "a cluster node to listen",
                Duration::from_secs(5),
                || async {
                    tokio::net::TcpStream::connect(("127.0.0.1", *port))
                        .await
                        .ok()
                },
            )
            .await;
        }
        let nodes: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = std::process::Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli runs");
        assert!(
            created.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&created.stdout)
        );
        let cluster = Self {
            url: format!(
                "redis-cluster://{}?node={}&node={}",
                nodes[0], nodes[1], nodes[2]
            ),
            ports,
            children,
            dir,
        };
        eventually("the cluster to be ok", Duration::from_secs(10), || async {
            cluster
                .ports
                .iter()
                .all(|p| {
                    cluster
                        .cli(*p, &["cluster", "info"])
                        .contains("cluster_state:ok")
                })
                .then_some(())
        })
        .await;
        cluster
    }

    /// `redis-cli -p <port> <args>` against one node (no redirects followed).
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Every key of the cluster matching `pattern`, from all nodes.
    pub fn keys(&self, pattern: &str) -> Vec<String> {
        self.ports
            .iter()
            .flat_map(|p| {
                self.cli(*p, &["--scan", "--pattern", pattern])
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The hash slot of `key`.
    pub fn slot(&self, key: &str) -> i64 {
        self.cli(self.ports[0], &["cluster", "keyslot", key])
            .parse()
            .unwrap()
    }
}

impl Drop for TestRedisCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestApp {
    /// Creates a product through the service layer; returns its number.
    pub async fn create_product(
        &self,
        slug: &str,
        category: &str,
        name: &str,
        status: &str,
        axes: serde_json::Value,
    ) -> i32 {
        let scope = self.scope(slug).await;
        let axes: Vec<brandhouse::catalog::variants::Axis> = serde_json::from_value(axes).unwrap();
        brandhouse::catalog::service::create_product(
            &self.state.db,
            &scope,
            &brandhouse::catalog::service::NewProduct {
                handle: None,
                category_code: category.into(),
                name: name.into(),
                description: format!("{name}, made for tests."),
                status: status.into(),
                base_price_minor: 1500,
                axes,
            },
        )
        .await
        .expect("product created")
    }
}

impl TestApp {
    /// Creates a shared warehouse zone (as the database owner would; zones are global).
    pub async fn create_zone(&self, code: &str, priority: i32) -> uuid::Uuid {
        self.db
            .admin()
            .await
            .query_one(
                "insert into app.zones (code, name, priority) values ($1, $1, $2) returning id",
                &[&code, &priority],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// Receives stock through the warehouse service.
    pub async fn receive(&self, slug: &str, sku: &str, zone: &str, quantity: i32) {
        let scope = self.scope(slug).await;
        brandhouse::inventory::service::receive(&self.state.db, &scope, sku, zone, quantity, None)
            .await
            .expect("stock received");
    }

    /// POST /v1/storefront/checkouts.
    pub async fn checkout(
        &self,
        slug: &str,
        key: &str,
        lines: &[(&str, i32)],
        zone: Option<&str>,
    ) -> reqwest::Response {
        let lines: Vec<serde_json::Value> = lines
            .iter()
            .map(|(sku, q)| serde_json::json!({"sku": sku, "quantity": q}))
            .collect();
        self.client
            .post(self.url("/v1/storefront/checkouts"))
            .header("X-Tenant-ID", slug)
            .header("Idempotency-Key", key)
            .json(&serde_json::json!({
                "lines": lines,
                "customer": {"name": "Ana Buyer", "email": format!("{key}@buyer.test")},
                "preferred_zone": zone,
            }))
            .send()
            .await
            .expect("request sent")
    }

    /// A stock row's (on_hand, reserved), read as the superuser.
    pub async fn stock_of(&self, sku: &str, zone: &str) -> (i32, i32) {
        let row = self
            .db
            .admin()
            .await
            .query_one(
                "select s.on_hand, s.reserved from app.stock s join app.variants v on v.id = s.variant_id \
                 join app.zones z on z.id = s.zone_id where v.sku = $1 and z.code = $2",
                &[&sku, &zone],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    }

    /// Stock rows the ledger does not explain, over every brand (should be none).
    pub async fn ledger_mismatches(&self) -> Vec<String> {
        self.db
            .admin()
            .await
            .query(
                "select v.sku || '@' || z.code || ': ' || s.on_hand || '/' || s.reserved || ' vs ' || \
                   coalesce(m.on_hand, 0) || '/' || coalesce(m.reserved, 0) \
                 from app.stock s join app.variants v on v.id = s.variant_id join app.zones z on z.id = s.zone_id \
                 left join (select variant_id, zone_id, sum(on_hand_delta) on_hand, sum(reserved_delta) reserved \
                            from app.stock_movements group by 1, 2) m on m.variant_id = s.variant_id and m.zone_id = s.zone_id \
                 where s.on_hand <> coalesce(m.on_hand, 0) or s.reserved <> coalesce(m.reserved, 0)",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }
}

/// A real S3-compatible server (s3s-fs, from crates.io) inside the test process, on a random
/// loopback port, storing into a temporary directory; one bucket, with SigV4 authentication.
pub struct TestS3 {
    pub endpoint: String,
    pub bucket: String,
    pub root: std::path::PathBuf,
    task: tokio::task::JoinHandle<()>,
}

pub const S3_ACCESS_KEY: &str = "brandhouse-test-key";
pub const S3_SECRET_KEY: &str = "brandhouse-test-secret-0123456789";

impl TestS3 {
    pub async fn start() -> Self {
        let root = std::env::temp_dir().join(format!("bh-s3-{}", Uuid::new_v4().simple()));
        let bucket = "brandhouse-test".to_owned();
        std::fs::create_dir_all(root.join(&bucket)).unwrap();
        let fs = s3s_fs::FileSystem::new(&root).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(
            S3_ACCESS_KEY,
            S3_SECRET_KEY,
        ));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let http =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = http
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket,
            root,
            task,
        }
    }

    /// The service's configuration for this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("S3_ENDPOINT", self.endpoint.clone()),
            ("S3_BUCKET", self.bucket.clone()),
            ("S3_ACCESS_KEY_ID", S3_ACCESS_KEY.to_owned()),
            ("S3_SECRET_ACCESS_KEY", S3_SECRET_KEY.to_owned()),
            ("S3_REGION", "us-east-1".to_owned()),
        ]
    }

    /// The settings to build a `MediaStore` on this server directly.
    pub fn settings(&self) -> brandhouse::config::StorageSettings {
        let env = self.env();
        let config = Config::from_lookup(|k| {
            env.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.clone())
        })
        .expect("S3 test configuration is valid");
        config.storage
    }

    /// Every object the server holds, as bucket-relative keys (read from its directory).
    pub fn objects(&self) -> Vec<String> {
        files_under(&self.root.join(&self.bucket))
    }
}

impl Drop for TestS3 {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Every regular file under `dir`, as `/`-separated paths relative to it, sorted.
pub fn files_under(dir: &std::path::Path) -> Vec<String> {
    fn walk(base: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).unwrap();
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

impl TestApp {
    /// Spawns with owned configuration pairs (e.g. `TestS3::env()`), plus `extra`.
    pub async fn spawn_with_env(env: &[(&'static str, String)], extra: &[(&str, &str)]) -> Self {
        let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        vars.extend_from_slice(extra);
        Self::spawn_with(&vars).await
    }

    /// The local object storage directory of this app (`{DATA_DIR}/files`).
    pub fn files_dir(&self) -> std::path::PathBuf {
        test_data_dir(&self.db.name).join("files")
    }

    /// POST /v1/admin/imports with `csv` as the file.
    pub async fn upload_import(
        &self,
        who: &Signed,
        brand: &str,
        csv: &str,
        dry_run: bool,
    ) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                    .file_name("products.csv")
                    .mime_str("text/csv")
                    .unwrap(),
            )
            .text("dry_run", dry_run.to_string());
        self.authed(reqwest::Method::POST, "/v1/admin/imports", who, Some(brand))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Runs every due background job, as the worker would (the tests' servers run none on
    /// their own), until none is left; returns how many ran.
    pub async fn run_jobs(&self) -> usize {
        let settings = brandhouse::jobs::WorkerSettings {
            enabled: true,
            poll: Duration::from_millis(10),
            batch: 100,
            claim: Duration::from_secs(60),
            concurrency: 4,
        };
        let mut total = 0;
        loop {
            let n = self.state.run_due_jobs(&settings).await.unwrap();
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    /// Runs the due jobs and polls GET /v1/admin/imports/{id} until the import is done or
    /// failed (30 s at most).
    pub async fn wait_import(&self, who: &Signed, brand: &str, id: &str) -> serde_json::Value {
        let path = format!("/v1/admin/imports/{id}");
        eventually(
            &format!("import {id} to finish"),
            Duration::from_secs(30),
            || async {
                self.run_jobs().await;
                let resp = self
                    .authed(reqwest::Method::GET, &path, who, Some(brand))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                let body: serde_json::Value = resp.json().await.unwrap();
                (body["state"] == "done" || body["state"] == "failed").then_some(body)
            },
        )
        .await
    }

    /// POST /v1/admin/products/{number}/media with `bytes` under `file_name` (sent as is,
    /// not percent-encoded), and optionally an explicit `name` field.
    pub async fn upload_media(
        &self,
        who: &Signed,
        brand: &str,
        number: i32,
        file_name: &str,
        name: Option<&str>,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new().percent_encode_noop().part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(file_name.to_owned())
                .mime_str("image/png")
                .unwrap(),
        );
        if let Some(name) = name {
            form = form.text("name", name.to_owned());
        }
        self.authed(
            reqwest::Method::POST,
            &format!("/v1/admin/products/{number}/media"),
            who,
            Some(brand),
        )
        .multipart(form)
        .send()
        .await
        .unwrap()
    }
}
