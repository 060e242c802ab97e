//! `brandhouse migrate`: roles, versioned migrations, then policies. Idempotent; safe to run
//! on every deploy and from several replicas at once (an advisory lock serialises them).
//!
//! 1. `sql/roles.sql` creates or re-asserts the three roles (cluster-wide, so not versioned);
//! 2. the refinery migrations in `sql/V*__*.sql`, embedded in the binary, each run as the owner
//!    role (`SET LOCAL ROLE`), so the owner owns every object and the migration login owns
//!    nothing but refinery's history table. A landed migration never changes (its checksum is
//!    pinned in `sql/checksums.txt`, checked by a test); the one that once did is repaired in
//!    the history first (see [`KNOWN_EDITS`]);
//! 3. `policies/*.sql`, in file-name order, as the owner, in one transaction.
//!
//! Role names are substituted for `{{owner_role}}`, `{{api_role}}` and `{{analytics_role}}`.

use anyhow::Context as _;
use refinery::{Migration, Runner};
use secrecy::ExposeSecret as _;
use tokio_postgres::Client;

use crate::config::{DbSettings, DbTarget};

mod embedded {
    refinery::embed_migrations!("sql");
}

/// The policy files, applied in this order. A test checks that every file in `policies/`
/// (except the audit) is listed here.
pub const POLICY_FILES: &[(&str, &str)] = &[
    ("00_schema.sql", include_str!("../policies/00_schema.sql")),
    ("10_global.sql", include_str!("../policies/10_global.sql")),
    ("20_catalog.sql", include_str!("../policies/20_catalog.sql")),
    (
        "24_translations.sql",
        include_str!("../policies/24_translations.sql"),
    ),
    (
        "30_identity.sql",
        include_str!("../policies/30_identity.sql"),
    ),
    (
        "40_inventory_orders.sql",
        include_str!("../policies/40_inventory_orders.sql"),
    ),
    (
        "45_shipments.sql",
        include_str!("../policies/45_shipments.sql"),
    ),
    (
        "50_imports_media.sql",
        include_str!("../policies/50_imports_media.sql"),
    ),
    ("60_chat.sql", include_str!("../policies/60_chat.sql")),
    ("70_events.sql", include_str!("../policies/70_events.sql")),
    (
        "80_notifications.sql",
        include_str!("../policies/80_notifications.sql"),
    ),
    (
        "80_webhooks.sql",
        include_str!("../policies/80_webhooks.sql"),
    ),
    (
        "84_delivery.sql",
        include_str!("../policies/84_delivery.sql"),
    ),
    (
        "86_promotions.sql",
        include_str!("../policies/86_promotions.sql"),
    ),
    ("88_returns.sql", include_str!("../policies/88_returns.sql")),
    (
        "90_invoices.sql",
        include_str!("../policies/90_invoices.sql"),
    ),
    (
        "92_credit_notes.sql",
        include_str!("../policies/92_credit_notes.sql"),
    ),
    (
        "94_availability.sql",
        include_str!("../policies/94_availability.sql"),
    ),
    (
        "96_storefront_documents.sql",
        include_str!("../policies/96_storefront_documents.sql"),
    ),
    ("98_rollups.sql", include_str!("../policies/98_rollups.sql")),
];

const ROLES_SQL: &str = include_str!("../sql/roles.sql");

/// Key for the advisory lock that serialises concurrent migrate runs.
const MIGRATE_LOCK: i64 = 0x6272_616e_6468_6f75; // "brandhou"

/// A landed migration that was once edited in place, in the exact text databases may have run.
///
/// `sql/V9__bulk_write_checks.sql` gained a section 4 (the `stock_zone_idx` change) in a commit
/// after it had landed; it is back to its landed text and the change moved to
/// `V10__stock_zone_index.sql`. A database migrated with the edited text has V9's checksum of
/// that text in refinery's history, and refinery (`abort_divergent`) would refuse to migrate it.
/// Before running, the recorded checksum is replaced by the landed text's, but only when it is
/// exactly the checksum of the known edited text: any other divergence still stops the run.
/// V10 then recreates the index such a database already has.
pub struct KnownEdit {
    pub version: i32,
    pub name: &'static str,
    /// The full text of the edited migration, as it was embedded by the binaries that ran it.
    pub edited_sql: &'static str,
}

/// See [`KnownEdit`]. A test checks that each text is byte-for-byte the edited file.
pub const KNOWN_EDITS: &[KnownEdit] = &[KnownEdit {
    version: 9,
    name: "bulk_write_checks",
    edited_sql: concat!(
        include_str!("../sql/V9__bulk_write_checks.sql"),
        "
-- 4. Every index that can answer the ledger's foreign-key check answers it exactly. The check is
--    `tenant_id = $1 and variant_id = $2 and zone_id = $3`; before a table's first ANALYZE (or for
--    a brand the statistics have not seen) the planner rates (tenant_id, zone_id) as good as the
--    primary key and then filters the brand's whole zone for one variant: measured in a first
--    import, a round of 5,000 ledger rows took 0.8 s after 5,000 stock rows and 5.4 s after
--    20,000 (54 ms with this index, any size). With variant_id in the zone index both paths are
--    one lookup, and stock listings by zone come out in variant order.
drop index app.stock_zone_idx;
create index stock_zone_idx on app.stock (tenant_id, zone_id, variant_id);
"
    ),
}];

/// The configured role names, substituted into roles and policy SQL.
#[derive(Debug, Clone)]
pub struct RoleNames {
    pub owner: String,
    pub api: String,
    pub analytics: String,
}

impl RoleNames {
    pub fn from_settings(settings: &DbSettings) -> Self {
        Self {
            owner: settings.owner_role.clone(),
            api: settings.api.role.clone(),
            analytics: settings.analytics.role.clone(),
        }
    }

    /// Substitutes the placeholders. The names were checked to be plain lowercase identifiers
    /// (config::check_identifier), so they are safe both bare and inside string literals.
    pub fn render(&self, sql: &str) -> String {
        sql.replace("{{owner_role}}", &self.owner)
            .replace("{{api_role}}", &self.api)
            .replace("{{analytics_role}}", &self.analytics)
    }
}

/// What a migrate run did.
#[derive(Debug)]
pub struct MigrateReport {
    pub created_database: bool,
    pub applied: Vec<String>,
    /// Migrations whose recorded checksum was repaired (see [`KnownEdit`]).
    pub repaired: Vec<String>,
    pub policy_files: usize,
    /// The runtime roles whose password was set from their URL (`DATABASE_URL`,
    /// `ANALYTICS_DATABASE_URL`).
    pub passwords_set: Vec<String>,
}

/// Runs the whole migration against the database of `settings.migration`.
pub async fn run(settings: &DbSettings) -> anyhow::Result<MigrateReport> {
    let roles = RoleNames::from_settings(settings);
    let created_database = ensure_database(&settings.migration).await?;
    let mut client = connect(&settings.migration).await?;

    // A session-level advisory lock on this (migration-only) connection; released on exit.
    client
        .execute("select pg_advisory_lock($1)", &[&MIGRATE_LOCK])
        .await?;

    client
        .batch_execute(&roles.render(ROLES_SQL))
        .await
        .context("applying sql/roles.sql (the migration login must be able to create roles)")?;
    let passwords_set = set_role_passwords(&client, settings).await?;

    let migrations = owned_migrations(&roles.owner)?;
    let repaired = repair_known_edits(&client, &roles.owner, &migrations).await?;
    let report = Runner::new(&migrations)
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .run_async(&mut client)
        .await
        .context("running migrations")?;
    let applied = report
        .applied_migrations()
        .iter()
        .map(|m| m.to_string())
        .collect();

    apply_policies(&mut client, &roles).await?;
    Ok(MigrateReport {
        created_database,
        applied,
        repaired,
        policy_files: POLICY_FILES.len(),
        passwords_set,
    })
}

/// Gives each runtime role the password its URL carries, so the URLs the API is started with
/// are the only place passwords are written (a fresh compose stack logs in at once). A URL
/// without a password leaves the role's password alone (trust or peer authentication).
///
/// The password never reaches the server in clear text: the SCRAM-SHA-256 verifier is
/// computed here (as `psql`'s `\password` does), so it cannot show up in the server's logs or
/// `pg_stat_activity`. A new salt each run; logins are unaffected.
async fn set_role_passwords(client: &Client, settings: &DbSettings) -> anyhow::Result<Vec<String>> {
    let mut set = Vec::new();
    for target in [&settings.api, &settings.analytics] {
        let pg = target.pg_config();
        let Some(password) = pg.get_password().filter(|p| !p.is_empty()) else {
            continue;
        };
        set_password(client, &target.role, password, false).await?;
        set.push(target.role.clone());
    }
    // On a cluster only (DB_OWNER_PASSWORD): the owner logs in, because Citus opens its worker
    // connections as the current role and migrations run as the owner. roles.sql re-asserts
    // NOLOGIN first on every run, so unsetting the password takes the login away again.
    if let Some(password) = &settings.owner_password {
        set_password(
            client,
            &settings.owner_role,
            password.expose_secret().as_bytes(),
            true,
        )
        .await?;
        set.push(settings.owner_role.clone());
    }
    Ok(set)
}

/// Sets `role`'s password to the SCRAM-SHA-256 verifier of `password` (and LOGIN with `login`).
async fn set_password(
    client: &Client,
    role: &str,
    password: &[u8],
    login: bool,
) -> anyhow::Result<()> {
    let verifier = postgres_protocol::password::scram_sha_256(password);
    let format = if login {
        "select format('alter role %I login password %L', $1::text, $2::text)"
    } else {
        "select format('alter role %I password %L', $1::text, $2::text)"
    };
    // ALTER ROLE takes no bind parameters: let the server quote the name and the literal.
    let statement: String = client
        .query_one(format, &[&role, &verifier])
        .await?
        .try_get(0)?;
    client
        .batch_execute(&statement)
        .await
        .with_context(|| format!("setting the password of role {role:?}"))
}

/// The embedded migrations, each wrapped to run as the owner role.
fn owned_migrations(owner: &str) -> anyhow::Result<Vec<Migration>> {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| {
            let sql = m.sql().context("embedded migration without SQL")?;
            owned_migration(m.version(), m.name(), sql, owner)
        })
        .collect()
}

/// One migration wrapped to run as the owner role. The wrapping is part of the checksum
/// refinery records, so it must never change.
fn owned_migration(version: i32, name: &str, sql: &str, owner: &str) -> anyhow::Result<Migration> {
    // `reset role` before the end: refinery records the migration in its history table, in the
    // same transaction, as the migration login.
    let wrapped = format!("set local role {owner};\n{sql}\n;\nreset role;");
    Ok(Migration::unapplied(
        &format!("V{version}__{name}"),
        &wrapped,
    )?)
}

/// Replaces the recorded checksum of each [`KnownEdit`] that a database ran with the landed
/// text's. Runs under the migrate lock, before refinery verifies the history.
async fn repair_known_edits(
    client: &Client,
    owner: &str,
    migrations: &[Migration],
) -> anyhow::Result<Vec<String>> {
    // refinery's table, unqualified as refinery names it; absent before the first run.
    let history = client
        .query_one(
            "select to_regclass('refinery_schema_history') is not null as present",
            &[],
        )
        .await?;
    if !history.try_get::<_, bool>("present")? {
        return Ok(Vec::new());
    }
    let mut repaired = Vec::new();
    for edit in KNOWN_EDITS {
        let landed = migrations
            .iter()
            .find(|m| m.version() == edit.version)
            .with_context(|| format!("migration V{} is not embedded", edit.version))?;
        let edited = owned_migration(edit.version, edit.name, edit.edited_sql, owner)?;
        // refinery stores the u64 checksum as text.
        let n = client
            .execute(
                "update refinery_schema_history set checksum = $1 \
                 where version = $2 and name = $3 and checksum = $4",
                &[
                    &landed.checksum().to_string(),
                    &edit.version,
                    &edit.name,
                    &edited.checksum().to_string(),
                ],
            )
            .await
            .with_context(|| format!("repairing the recorded checksum of V{}", edit.version))?;
        if n > 0 {
            tracing::warn!(
                migration.version = edit.version,
                "this database ran an edited V{}__{}; its recorded checksum now names the landed \
                 text, and the later migration that carries the edit runs next",
                edit.version,
                edit.name
            );
            repaired.push(landed.to_string());
        }
    }
    Ok(repaired)
}

async fn apply_policies(client: &mut Client, roles: &RoleNames) -> anyhow::Result<()> {
    let tx = client.transaction().await?;
    tx.batch_execute(&format!("set local role {}", roles.owner))
        .await?;
    for (name, sql) in POLICY_FILES {
        tx.batch_execute(&roles.render(sql))
            .await
            .with_context(|| format!("applying policies/{name}"))?;
    }
    tx.commit().await?;
    Ok(())
}

async fn connect(target: &DbTarget) -> anyhow::Result<Client> {
    crate::db::connect_once(target).await.with_context(|| {
        format!(
            "connecting to database {:?} as {:?} (MIGRATION_DATABASE_URL)",
            target.dbname, target.role
        )
    })
}

/// Creates the target database when it does not exist yet, so a fresh server needs no manual
/// step. Returns whether it did.
async fn ensure_database(target: &DbTarget) -> anyhow::Result<bool> {
    let maintenance = target.with_dbname("postgres");
    let client = connect(&maintenance).await?;
    let exists = client
        .query_opt(
            "select 1 from pg_database where datname = $1",
            &[&target.dbname],
        )
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let quoted = format!("\"{}\"", target.dbname.replace('"', "\"\""));
    match client
        .batch_execute(&format!("create database {quoted}"))
        .await
    {
        Ok(()) => Ok(true),
        // Another migrate run created it in the meantime.
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {
            Ok(false)
        }
        Err(e) => Err(e).with_context(|| format!("creating database {quoted}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_file_is_applied() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            // The two audits read the schema; they are run by `make audit`, not applied.
            .filter(|n| n.ends_with(".sql") && n != "audit.sql" && n != "distributable.sql")
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = POLICY_FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, listed, "list every policies/*.sql in POLICY_FILES");
    }

    #[test]
    fn placeholders_are_all_replaced() {
        let roles = RoleNames {
            owner: "o".into(),
            api: "a".into(),
            analytics: "n".into(),
        };
        for (name, sql) in POLICY_FILES.iter().chain(&[("roles.sql", ROLES_SQL)]) {
            assert!(!roles.render(sql).contains("{{"), "{name}");
        }
    }

    #[test]
    fn migrations_run_as_the_owner() {
        let ms = owned_migrations("brandhouse_owner").unwrap();
        assert!(!ms.is_empty());
        for m in ms {
            assert!(
                m.sql()
                    .unwrap()
                    .starts_with("set local role brandhouse_owner;")
            );
        }
    }
}
