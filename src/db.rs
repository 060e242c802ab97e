//! Pools and the tenant transaction: the only road from the API to tenant data.
//!
//! Every request that touches tenant data calls [`Db::tenant_tx`]. It takes a pooled connection
//! (logged in as the API role: no owner, no BYPASSRLS), opens a transaction, and sets
//! `app.tenant_id`, `app.user_id` and `app.role` with `SET LOCAL` (on one PostgreSQL the same as
//! `set_config(..., true)`; unlike that function, Citus forwards it to its workers), sent in the
//! same round trip as the work's first statement. The settings die with COMMIT or ROLLBACK, so
//! nothing in process memory decides which rows a later request sees; the row-level security
//! policies do, from the transaction's own setting. Repo functions take the transaction
//! ([`Tx`]), never the pool, and name its brand in every statement (`tx.tenant()` as `$1`).
//!
//! Two guards keep a returned connection clean:
//! 1. the transaction is a `tokio_postgres` transaction object, whose drop (on an error, a
//!    panic or a cancelled request future) sends ROLLBACK before the connection is reused;
//! 2. the pool recycles every connection with `ROLLBACK; RESET ALL` before lending it again,
//!    so even a hand-written `BEGIN` or a session-level `set_config` cannot reach the next
//!    borrower. `tests/api/pool.rs` proves each guard with a pool of one connection.

pub mod tls;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tracing::Instrument;
use uuid::Uuid;

use anyhow::Context as _;

use crate::{
    config::{DbSettings, DbTarget, SslMode},
    scope::{Actor, TenantScope},
};

/// The transaction handed to repo functions: a pooled `deadpool_postgres::Transaction` (it
/// derefs to one, with `prepare_cached`, which repo functions use for every statement) that
/// knows the brand it is scoped to.
///
/// Every statement on a tenant-owned table takes that brand as its first parameter and says
/// `tenant_id = $1` for each tenant table it reads or writes (`tests/api/tenant_predicates.rs`
/// refuses a statement that does not): row-level security stays the guarantee, and the
/// explicit predicate is what lets a distributed database route the statement to the one
/// node holding the brand, and lets the planner narrow every index scan by brand first.
pub struct Tx<'a> {
    inner: deadpool_postgres::Transaction<'a>,
    tenant: Uuid,
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = deadpool_postgres::Transaction<'a>;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl Tx<'_> {
    /// The brand this transaction is scoped to: the value of `$1` in every statement on a
    /// tenant-owned table (`tx.query(&stmt, &[tx.tenant(), ..])`). Taken from the same
    /// [`TenantScope`] as the transaction's `app.tenant_id`, never from a request's text. In a
    /// global transaction it is the nil UUID, which no brand has: a tenant statement run there
    /// matches nothing, as row-level security already makes it.
    pub fn tenant(&self) -> &Uuid {
        &self.tenant
    }

    /// Runs `statement` and commits the transaction in the same round trip: the COMMIT is
    /// queued on the connection right behind the statement, so the server commits as soon as
    /// the statement is done, without waiting for this process to read the answer and send
    /// COMMIT. For the last statement of a transaction that holds a row every writer of the
    /// brand takes (checkout's order counter): the row is released one round trip sooner,
    /// which is what the next checkout of the brand waits for.
    ///
    /// Returns the statement's rows once both succeeded: `Ok` means committed. When the
    /// statement (or anything sent before it) failed, the transaction was aborted and the
    /// queued COMMIT rolls it back; nothing of it is kept. The COMMIT is followed by `BEGIN
    /// READ ONLY`, so the transaction object still has an (empty) transaction to end as
    /// usual, and anything sent after this call can neither write (read-only) nor read a
    /// brand's rows (the `SET LOCAL` scope ended with the COMMIT): the work must return
    /// right after it.
    ///
    /// The statement must be prepared already (a [`Statement`](tokio_postgres::Statement)):
    /// a query on a prepared statement is written to the connection when its future is first
    /// polled, ahead of the COMMIT polled after it.
    pub async fn query_and_commit(
        &self,
        statement: &tokio_postgres::Statement,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, DbError> {
        let (rows, commit) = futures::join!(
            self.inner.query(statement, params),
            self.inner.batch_execute("commit; begin read only"),
        );
        let rows = rows?;
        commit?;
        Ok(rows)
    }

    async fn commit(self) -> Result<(), tokio_postgres::Error> {
        self.inner.commit().await
    }
}

/// A pooled connection outside any transaction, for the few callers that must see a
/// connection's raw state: health checks and tests of the pool's hygiene. Never for data.
pub type UnscopedConnection = deadpool_postgres::Object;

/// Failures of the database layer. Mapped to a 503 (pool exhausted) or an opaque 500 by the
/// API, except for constraint violations, which domains map to 409/422 by constraint name.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database error: {0}")]
    Pg(#[from] tokio_postgres::Error),
    /// One failure reported to several waiters (a shared cache lookup).
    #[error("{0}")]
    Shared(std::sync::Arc<DbError>),
}

impl DbError {
    /// The SQLSTATE and constraint of a server-side error, if that is what this is.
    pub fn constraint(&self) -> Option<(&tokio_postgres::error::SqlState, Option<&str>)> {
        match self {
            DbError::Pg(e) => e.as_db_error().map(|db| (db.code(), db.constraint())),
            DbError::Pool(deadpool_postgres::PoolError::Backend(e)) => {
                e.as_db_error().map(|db| (db.code(), db.constraint()))
            }
            DbError::Pool(_) => None,
            DbError::Shared(e) => e.constraint(),
        }
    }

    /// A serialisation failure or a deadlock: the transaction may succeed if run again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.constraint(),
            Some((code, _)) if *code == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                || *code == tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED
        )
    }

    /// True when the database cannot serve now: the pool could not lend a connection in time,
    /// the server refused or dropped the connection (restarting, shutting down, starting up,
    /// out of connection slots). A 503 with Retry-After, never a 500: the request did nothing
    /// wrong, and the same request a moment later succeeds.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(deadpool_postgres::PoolError::Backend(e)) | DbError::Pg(e) => {
                connection_lost(e)
            }
            DbError::Pool(_) => true,
            DbError::Shared(e) => e.is_unavailable(),
        }
    }
}

/// True when `e` is about the connection rather than the statement: the connection is closed,
/// an I/O error broke it (reset, refused, timed out), or the server said it is going away or
/// cannot take connections now (SQLSTATE class 08, `57P01`-`57P03`, `53300`).
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    if e.is_closed() {
        return true;
    }
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        return code.code().starts_with("08")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
            ]
            .contains(code);
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if cause.is::<std::io::Error>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Errors that may mark a transaction worth running again (serialisation failures,
/// deadlocks).
pub trait Retryable {
    fn is_retryable(&self) -> bool;
}

impl Retryable for DbError {
    fn is_retryable(&self) -> bool {
        DbError::is_retryable(self)
    }
}

/// How many times [`Db::tenant_tx_retry`] runs a transaction that keeps hitting deadlocks or
/// serialisation failures.
const MAX_TX_ATTEMPTS: u32 = 5;

/// What a transaction's scope sets: the brand (none in the global context), the acting user and
/// the actor's role. Built from a parsed [`Uuid`] and a role name fixed at compile time, never
/// from client text, because [`ScopeSettings::sql`] writes them into the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ScopeSettings {
    tenant: Option<Uuid>,
    user: Option<Uuid>,
    role: &'static str,
}

impl ScopeSettings {
    fn tenant(scope: &TenantScope) -> Self {
        Self {
            tenant: Some(scope.tenant_id()),
            ..Self::global(scope.actor())
        }
    }

    fn global(actor: &Actor) -> Self {
        Self {
            tenant: None,
            user: actor.user_id(),
            role: actor.role_setting(),
        }
    }

    /// The transaction's scope in one statement: `SET LOCAL` lasts until the end of the
    /// transaction, like `set_config(.., true)`, and unlike that function call it is what Citus
    /// forwards to the worker nodes (`citus.propagate_set_commands = 'local'`, docs/SCALING.md).
    /// `SET` takes no bind parameters, so the values are written into the statement: UUIDs
    /// print as hex and dashes only, and the role is checked to be a plain lowercase word.
    fn sql(&self) -> String {
        assert!(
            !self.role.is_empty()
                && self
                    .role
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
            "an actor's role setting is a lowercase word"
        );
        let uuid = |u: Option<Uuid>| u.map(|u| u.hyphenated().to_string()).unwrap_or_default();
        format!(
            "set local app.tenant_id = '{}'; set local app.user_id = '{}'; set local app.role = '{}'",
            uuid(self.tenant),
            uuid(self.user),
            self.role
        )
    }
}

/// The API role's pool. Cloning is cheap (the pool is reference-counted).
#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

impl Db {
    /// The API role's pool, for every entry point that touches data (`serve`, the worker, every
    /// CLI command): builds the pool, then refuses a role that would make row-level security
    /// moot (superuser, BYPASSRLS, a table owner, a member of another role) or a database that
    /// was not migrated. With a superuser `DATABASE_URL`, a CLI import would otherwise match
    /// other brands' rows.
    pub async fn connect(settings: &DbSettings) -> anyhow::Result<Self> {
        let db = Self::new(settings)?;
        check_api_role(&db).await?;
        Ok(db)
    }

    /// Builds the API role's pool without opening a connection or checking the role: only for
    /// what never reaches data (generating the spec). Everything else uses [`Db::connect`].
    pub fn new(settings: &DbSettings) -> anyhow::Result<Self> {
        Ok(Self {
            pool: build_pool(
                &settings.api,
                settings.pool_size,
                settings.pool_wait_timeout,
                settings.connect_timeout,
                settings.statement_timeout,
            )?,
        })
    }

    /// Runs `work` in a transaction scoped to `scope`'s tenant and actor, commits when it
    /// returns `Ok`, and rolls back when it returns `Err`, panics, or is cancelled.
    pub async fn tenant_tx<T, E>(
        &self,
        scope: &TenantScope,
        work: impl AsyncFnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let tenant_id = scope.tenant_id().to_string();
        let span = tracing::info_span!(
            "db.transaction",
            otel.kind = "client",
            db.system.name = "postgresql",
            tenant.id = %tenant_id,
        );
        self.run(ScopeSettings::tenant(scope), work)
            .instrument(span)
            .await
    }

    /// [`Db::tenant_tx`], run again (up to 5 times, with a short jittered pause) when it fails
    /// with a deadlock or serialisation failure, so such races never reach a client. `work`
    /// makes the transaction's body afresh for each attempt (`|| async |tx| ...`); everything
    /// an attempt did is rolled back before the next.
    ///
    /// Why a factory rather than an `AsyncFn`: the future of an `AsyncFn` called by reference
    /// is generic over the borrow's lifetime, and rustc 1.95 cannot prove it `Send` for every
    /// lifetime, which poem's handlers and `tokio::spawn` require. `AsyncFnOnce` has no such
    /// lifetime, and a fresh one per attempt is all a retry needs.
    pub async fn tenant_tx_retry<T, E, W>(
        &self,
        scope: &TenantScope,
        work: impl Fn() -> W,
    ) -> Result<T, E>
    where
        W: AsyncFnOnce(&Tx<'_>) -> Result<T, E>,
        E: From<DbError> + Retryable,
    {
        let mut attempt = 1;
        loop {
            match self.tenant_tx(scope, work()).await {
                Err(e) if e.is_retryable() && attempt < MAX_TX_ATTEMPTS => {
                    tracing::debug!(
                        attempt,
                        "transaction retried after a deadlock or serialisation failure"
                    );
                    let pause = rand::random_range(1..=10u64) * u64::from(attempt);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Runs `work` in a transaction with no tenant set: row-level security then shows no
    /// tenant-owned row at all and refuses every tenant-owned insert. For the global tables
    /// (tenants, staff, zones, the job queue) and for health checks.
    pub async fn global_tx<T, E>(
        &self,
        actor: &Actor,
        work: impl AsyncFnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let span = tracing::info_span!(
            "db.transaction",
            otel.kind = "client",
            db.system.name = "postgresql",
        );
        self.run(ScopeSettings::global(actor), work)
            .instrument(span)
            .await
    }

    /// A read-only [`Db::tenant_tx`] that survives one broken connection: when the connection
    /// breaks under it (a database restart, a failover), the read runs once more on a fresh
    /// connection before the caller sees the failure. `work` makes the body afresh for that
    /// second attempt, as in [`Db::tenant_tx_retry`]. The transaction is `READ ONLY`, so the
    /// database itself refuses a write that slipped in here: only reads are ever replayed.
    pub async fn tenant_read<T, E, W>(
        &self,
        scope: &TenantScope,
        work: impl Fn() -> W,
    ) -> Result<T, E>
    where
        W: AsyncFnOnce(&Tx<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        self.read(scope, Access::ReadOnly, work).await
    }

    /// [`Db::tenant_read`] in one `REPEATABLE READ READ ONLY` transaction: every statement of
    /// `work` sees the same snapshot of the database, taken at its first statement, so reads
    /// of several tables are consistent with each other while writes go on (`brand export`).
    /// Replayed once on a fresh connection, like `tenant_read`, with a new snapshot.
    pub async fn tenant_snapshot<T, E, W>(
        &self,
        scope: &TenantScope,
        work: impl Fn() -> W,
    ) -> Result<T, E>
    where
        W: AsyncFnOnce(&Tx<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        self.read(scope, Access::Snapshot, work).await
    }

    /// The read-only transactions: `access` is `ReadOnly` or `Snapshot`.
    async fn read<T, E, W>(
        &self,
        scope: &TenantScope,
        access: Access,
        work: impl Fn() -> W,
    ) -> Result<T, E>
    where
        W: AsyncFnOnce(&Tx<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let tenant_id = scope.tenant_id().to_string();
        let span = tracing::info_span!(
            "db.transaction",
            otel.kind = "client",
            db.system.name = "postgresql",
            tenant.id = %tenant_id,
        );
        let settings = ScopeSettings::tenant(scope);
        async {
            match self.attempt(&settings, access, work()).await {
                Ok(out) => return Ok(out),
                Err(Failed::Begin(e, _)) if e.is_unavailable() => self.evict_closed(),
                Err(Failed::Work(_, Lost::Yes)) => self.evict_closed(),
                Err(failed) => return Err(self.settle(failed)),
            }
            tracing::info!("read retried on a fresh connection after its connection broke");
            self.attempt(&settings, access, work())
                .await
                .map_err(|f| self.settle(f))
        }
        .instrument(span)
        .await
    }

    /// Runs `work` in a read-write transaction. A connection that turns out broken at BEGIN
    /// (before any of the work was sent) is replaced by a fresh one once: nothing ran, so
    /// even a write is safe to start again. A failure after the work started is never
    /// retried here: a write's outcome is then unknown (checkout relies on its idempotency
    /// key for that), and the caller gets the error (a 503 when the database went away).
    async fn run<T, E>(
        &self,
        settings: ScopeSettings,
        work: impl AsyncFnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        match self.attempt(&settings, Access::ReadWrite, work).await {
            Ok(out) => Ok(out),
            Err(Failed::Begin(e, work)) if e.is_unavailable() => {
                self.evict_closed();
                tracing::info!("transaction started again on a fresh connection");
                self.attempt(&settings, Access::ReadWrite, work)
                    .await
                    .map_err(|f| self.settle(f))
            }
            Err(failed) => Err(self.settle(failed)),
        }
    }

    /// One attempt at a transaction on one pooled connection.
    async fn attempt<T, E, W>(
        &self,
        settings: &ScopeSettings,
        access: Access,
        work: W,
    ) -> Result<T, Failed<E, W>>
    where
        W: AsyncFnOnce(&Tx<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| Failed::Checkout(e.into()))?;
        // A connection that broke here goes back to the pool when this returns, where
        // `settle` (or the second attempt) evicts it with the other broken ones.
        let tx = match begin(&mut conn, settings, access).await {
            Ok(tx) => tx,
            Err(e) => return Err(Failed::Begin(e, work)),
        };
        // An early return or a panic below drops `tx`, which rolls back.
        let failure = match scoped(&tx, settings, work).await {
            Ok(out) => match tx.commit().await {
                Ok(()) => return Ok(out),
                Err(e) => E::from(DbError::from(e)),
            },
            Err(e) => {
                drop(tx);
                e
            }
        };
        // Whether the connection broke: a read may then be replayed on a fresh one. A closed
        // client says so at once; after a server-side FATAL the client may not have noticed
        // yet, so a read that failed asks the server (one round trip, on failures only).
        let lost = conn.is_closed()
            || (access != Access::ReadWrite && conn.simple_query("").await.is_err());
        if lost {
            drop(UnscopedConnection::take(conn));
            return Err(Failed::Work(failure, Lost::Yes));
        }
        Err(Failed::Work(failure, Lost::No))
    }

    /// The caller's error for a failed attempt; broken connections leave the pool.
    fn settle<E: From<DbError>, W>(&self, failed: Failed<E, W>) -> E {
        match failed {
            Failed::Checkout(e) | Failed::Begin(e, _) => {
                if e.is_unavailable() {
                    self.evict_closed();
                }
                e.into()
            }
            Failed::Work(e, lost) => {
                if lost == Lost::Yes {
                    self.evict_closed();
                }
                e
            }
        }
    }

    /// Drops every idle pooled connection whose server side has gone (after a database
    /// restart, all of them), so no later request draws one. The recycling query at checkout
    /// would catch each too, one checkout at a time.
    fn evict_closed(&self) {
        let removed = self.pool.retain(|client, _| !client.is_closed()).removed;
        if !removed.is_empty() {
            tracing::info!(
                db.connections_evicted = removed.len(),
                "broken database connections left the pool"
            );
        }
    }

    /// A pooled connection outside any transaction. See [`UnscopedConnection`].
    pub async fn unscoped_connection(&self) -> Result<UnscopedConnection, DbError> {
        Ok(self.pool.get().await?)
    }

    /// Pool occupancy, for readiness output and tests.
    pub fn status(&self) -> deadpool_postgres::Status {
        self.pool.status()
    }
}

/// Whether a transaction may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    ReadWrite,
    ReadOnly,
    /// Read only, and one snapshot for the whole transaction (`REPEATABLE READ`).
    Snapshot,
}

/// Whether the connection broke under a failed transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lost {
    Yes,
    No,
}

/// How one attempt at a transaction failed.
enum Failed<E, W> {
    /// The pool could not lend a connection.
    Checkout(DbError),
    /// BEGIN or the scope failed on a lent connection. None of the work was sent: it is
    /// handed back unused, for a second attempt.
    Begin(DbError, W),
    /// The work, or COMMIT, failed.
    Work(E, Lost),
}

/// BEGIN on `conn`; the scope follows with the first statement ([`scoped`]).
async fn begin<'c>(
    conn: &'c mut UnscopedConnection,
    settings: &ScopeSettings,
    access: Access,
) -> Result<Tx<'c>, DbError> {
    let tx = match access {
        Access::ReadWrite => conn.transaction().await?,
        Access::ReadOnly => conn.build_transaction().read_only(true).start().await?,
        Access::Snapshot => {
            conn.build_transaction()
                .read_only(true)
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .start()
                .await?
        }
    };
    Ok(Tx {
        inner: tx,
        tenant: settings.tenant.unwrap_or(Uuid::nil()),
    })
}

/// Runs `work` after the transaction's scope (`SET LOCAL ...`) without waiting for the scope
/// on its own: the first poll of the `SET` queues it on the connection (tokio-postgres writes a
/// request when its future is first polled), so it reaches the server ahead of every statement
/// of `work` and travels in the same round trip as the first of them. A failed `SET` fails the
/// transaction with its own error (the statements behind it only report an aborted
/// transaction).
async fn scoped<T, E>(
    tx: &Tx<'_>,
    settings: &ScopeSettings,
    work: impl AsyncFnOnce(&Tx<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DbError>,
{
    let sql = settings.sql();
    let mut set = std::pin::pin!(tx.batch_execute(&sql));
    let (set, out) = match futures::poll!(set.as_mut()) {
        std::task::Poll::Ready(set) => (set, work(tx).await),
        std::task::Poll::Pending => futures::join!(set, work(tx)),
    };
    match set {
        Ok(()) => out,
        Err(e) => Err(E::from(DbError::from(e))),
    }
}

/// Refuses to serve as a role that would make row-level security moot, or before migrations.
async fn check_api_role(db: &Db) -> anyhow::Result<()> {
    let row = db
        .global_tx(&Actor::System, async |tx| {
            tx.query_one(
                "select r.rolname::text as role, r.rolsuper, r.rolbypassrls, \
                   exists (select from pg_class c where c.relowner = r.oid) as owns_tables, \
                   exists (select from pg_auth_members m where m.member = r.oid) as is_member, \
                   to_regclass('app.tenants') is not null as migrated \
                 from pg_roles r where r.rolname = current_user",
                &[],
            )
            .await
            .map_err(DbError::from)
        })
        .await
        .context("connecting to PostgreSQL as the API role (DATABASE_URL)")?;
    let role: String = row.try_get("role")?;
    let refuse = |why: &str| {
        anyhow::anyhow!(
            "refusing to start: the API role {role:?} {why}; row-level security would not \
             isolate brands. Use the role created by `brandhouse migrate` (DATABASE_URL)."
        )
    };
    if row.try_get("rolsuper")? {
        return Err(refuse("is a superuser"));
    }
    if row.try_get("rolbypassrls")? {
        return Err(refuse("has BYPASSRLS"));
    }
    if row.try_get("owns_tables")? {
        return Err(refuse("owns tables"));
    }
    if row.try_get("is_member")? {
        return Err(refuse("is a member of another role"));
    }
    if !row.try_get::<_, bool>("migrated")? {
        anyhow::bail!("schema app is missing: run `brandhouse migrate` first");
    }
    Ok(())
}

/// Escapes LIKE wildcards so a search for `50%` means the characters.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One connection outside any pool (migrations), with the target's TLS settings. The
/// connection's task is spawned; its failure is logged.
pub async fn connect_once(target: &DbTarget) -> anyhow::Result<tokio_postgres::Client> {
    let pg = target.pg_config();
    let client = match target.tls.mode {
        SslMode::Disable => {
            let (client, connection) = pg.connect(NoTls).await?;
            tokio::spawn(log_connection_end(connection));
            client
        }
        _ => {
            let (client, connection) = pg
                .connect(tls::MakeRustlsConnect::new(&target.tls)?)
                .await?;
            tokio::spawn(log_connection_end(connection));
            client
        }
    };
    Ok(client)
}

async fn log_connection_end(
    connection: impl std::future::Future<Output = Result<(), tokio_postgres::Error>>,
) {
    if let Err(e) = connection.await {
        tracing::warn!(error = %e, "database connection closed with an error");
    }
}

/// Builds a pool for one role. Shared by the API pool here and the analytics pool, which is
/// built inside the analytics module alone.
pub(crate) fn build_pool(
    target: &DbTarget,
    size: usize,
    wait_timeout: Duration,
    connect_timeout: Duration,
    statement_timeout: Duration,
) -> anyhow::Result<Pool> {
    let mut pg = target.pg_config();
    pg.connect_timeout(connect_timeout);
    if pg.get_application_name().is_none() {
        pg.application_name("brandhouse");
    }
    // A startup-packet option, not a SET: it is the connection's reset value, so the
    // recycling `RESET ALL` keeps it.
    // UTC sessions: date arithmetic (analytics buckets) must not depend on the server's zone.
    pg.options(format!(
        "-c TimeZone=UTC -c statement_timeout={} -c idle_in_transaction_session_timeout={}",
        statement_timeout.as_millis(),
        statement_timeout.as_millis().saturating_mul(2)
    ));
    let config = ManagerConfig {
        // Second guard (see the module docs): whatever the last borrower left behind, an
        // open transaction or a session setting, is gone before the next one starts. The
        // query also finds a connection the server dropped (a restart): it is discarded and
        // the checkout takes or opens another.
        recycling_method: RecyclingMethod::Custom("ROLLBACK; RESET ALL".to_owned()),
    };
    let manager = match target.tls.mode {
        SslMode::Disable => Manager::from_config(pg, NoTls, config),
        _ => Manager::from_config(pg, tls::MakeRustlsConnect::new(&target.tls)?, config),
    };
    Ok(Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(wait_timeout))
        .create_timeout(Some(connect_timeout))
        .recycle_timeout(Some(connect_timeout))
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Role;

    #[test]
    fn the_scope_is_set_locally_from_parsed_values() {
        let tenant = Uuid::parse_str("0f8fad5b-d9cb-469f-a165-70867728950e").unwrap();
        let user = Uuid::parse_str("7c9e6679-7425-40de-944b-e07fc1f90ae7").unwrap();
        let scoped = ScopeSettings {
            tenant: Some(tenant),
            user: Some(user),
            role: "brand_manager",
        };
        assert_eq!(
            scoped.sql(),
            "set local app.tenant_id = '0f8fad5b-d9cb-469f-a165-70867728950e'; \
             set local app.user_id = '7c9e6679-7425-40de-944b-e07fc1f90ae7'; \
             set local app.role = 'brand_manager'"
        );
        assert_eq!(
            ScopeSettings::global(&Actor::System).sql(),
            "set local app.tenant_id = ''; set local app.user_id = ''; set local app.role = 'system'"
        );
        // Every role an actor can carry passes the check the statement relies on.
        for role in Role::all() {
            let actor = Actor::Staff {
                user_id: user,
                role,
            };
            ScopeSettings::global(&actor).sql();
        }
        for actor in [Actor::Storefront, Actor::Account { user_id: user }] {
            ScopeSettings::global(&actor).sql();
        }
    }

    #[test]
    #[should_panic(expected = "lowercase word")]
    fn a_role_that_is_not_a_plain_word_is_never_written_into_the_statement() {
        ScopeSettings {
            tenant: None,
            user: None,
            role: "x'; reset all; --",
        }
        .sql();
    }
}
