//! `policies/audit.sql` passes on the migrated database and fails on copies where the contract
//! was broken in each of the ways it is meant to catch; so does `policies/distributable.sql`
//! (Citus's refusal rules, docs/SCALING.md) for the schema's distributability.

use crate::helpers::{TestDb, admin_url};

struct AuditRun {
    success: bool,
    output: String,
}

const ISOLATION_AUDIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/audit.sql");
const DISTRIBUTABLE_AUDIT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/policies/distributable.sql");

fn run_audit(dbname: &str, vars: &[(&str, &str)]) -> AuditRun {
    run_script(ISOLATION_AUDIT, dbname, vars)
}

fn run_script(script: &str, dbname: &str, vars: &[(&str, &str)]) -> AuditRun {
    let mut cmd = std::process::Command::new("psql");
    cmd.arg(admin_url(dbname))
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-f", script]);
    for (k, v) in vars {
        cmd.args(["-v", &format!("{k}={v}")]);
    }
    let out = cmd.output().expect("psql runs");
    AuditRun {
        success: out.status.success(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

async fn audit_after(breakage: &str) -> AuditRun {
    script_after(ISOLATION_AUDIT, breakage).await
}

async fn script_after(script: &'static str, breakage: &str) -> AuditRun {
    let db = TestDb::new().await;
    db.admin().await.batch_execute(breakage).await.unwrap();
    tokio::task::spawn_blocking(move || {
        let run = run_script(script, &db.name, &[]);
        drop(db);
        run
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_policy_audit_passes_on_the_migrated_database() {
    let db = TestDb::new().await;
    let name = db.name.clone();
    let run = tokio::task::spawn_blocking(move || run_audit(&name, &[]))
        .await
        .unwrap();
    assert!(run.success, "{}", run.output);
    assert!(run.output.contains("isolation audit passed"));
    assert!(run.output.contains("categories"), "lists the tables");
}

#[tokio::test]
async fn the_policy_audit_fails_when_a_tenant_table_is_not_forced() {
    let run = audit_after("alter table app.categories no force row level security").await;
    assert!(!run.success, "{}", run.output);
    assert!(run.output.contains("not tenant-isolated"), "{}", run.output);
}

#[tokio::test]
async fn the_policy_audit_fails_when_rls_is_disabled() {
    let run = audit_after("alter table app.categories disable row level security").await;
    assert!(!run.success, "{}", run.output);
}

#[tokio::test]
async fn the_policy_audit_fails_on_a_using_true_policy() {
    let run = audit_after(
        "create policy peek on app.categories for select to brandhouse_api using (true)",
    )
    .await;
    assert!(!run.success, "{}", run.output);
    assert!(run.output.contains("USING (true)"), "{}", run.output);
}

#[tokio::test]
async fn the_policy_audit_fails_on_a_disjunct_admitting_rows_without_a_tenant() {
    let run = audit_after(
        "drop policy tenant_isolation on app.categories; \
         create policy tenant_isolation on app.categories to brandhouse_api \
           using (tenant_id = (select app.current_tenant()) or app.current_tenant() is null) \
           with check (tenant_id = (select app.current_tenant()))",
    )
    .await;
    assert!(!run.success, "{}", run.output);
    assert!(run.output.contains("ORs a condition"), "{}", run.output);
}

#[tokio::test]
async fn the_policy_audit_fails_on_an_unlisted_table_without_rls() {
    let run = audit_after("create table app.notes (id int primary key, body text)").await;
    assert!(!run.success, "{}", run.output);
    assert!(run.output.contains("notes"), "{}", run.output);
}

#[tokio::test]
async fn the_policy_audit_fails_when_the_api_role_owns_a_table() {
    let run = audit_after(
        "create table app.owned_by_api (tenant_id uuid not null, id int); \
         alter table app.owned_by_api owner to brandhouse_api",
    )
    .await;
    assert!(!run.success, "{}", run.output);
    assert!(run.output.contains("API role owns"), "{}", run.output);
}

#[tokio::test]
async fn the_policy_audit_fails_on_a_security_definer_function_without_search_path() {
    let run = audit_after(
        "create schema elsewhere; \
         create function elsewhere.sneaky() returns int language sql security definer as 'select 1'",
    )
    .await;
    assert!(!run.success, "{}", run.output);
    assert!(
        run.output
            .contains("elsewhere.sneaky() | function without a pinned search_path"),
        "{}",
        run.output
    );
}

#[tokio::test]
async fn the_policy_audit_fails_on_a_function_in_app_without_search_path() {
    let run = audit_after(
        "create function app.tenant_again() returns uuid language sql stable \
         as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$",
    )
    .await;
    assert!(!run.success, "{}", run.output);
    assert!(
        run.output
            .contains("app.tenant_again() | function without a pinned search_path"),
        "{}",
        run.output
    );
}

#[tokio::test]
async fn the_policy_audit_fails_on_an_unlisted_privilege_on_a_global_table() {
    for (grant, subject) in [
        (
            "grant update on app.staff_users to brandhouse_api",
            "staff_users: UPDATE",
        ),
        (
            "grant update (is_owner) on app.staff_users to brandhouse_api",
            "staff_users: UPDATE (is_owner)",
        ),
        (
            "grant delete on app.tenants to brandhouse_api",
            "tenants: DELETE",
        ),
        (
            "grant update (sku_prefix) on app.tenants to brandhouse_api",
            "tenants: UPDATE (sku_prefix)",
        ),
    ] {
        let run = audit_after(grant).await;
        assert!(!run.success, "{grant}: {}", run.output);
        assert!(
            run.output.contains(&format!(
                "{subject} | API role privilege on a global table that is not on the grant list"
            )),
            "{grant}: {}",
            run.output
        );
    }
}

#[tokio::test]
async fn the_policy_audit_fails_when_a_global_tables_brand_policy_is_widened() {
    let run = audit_after(
        "drop policy brand_or_global on app.staff_memberships; \
         create policy brand_or_global on app.staff_memberships for all to brandhouse_api \
           using (true) with check (true)",
    )
    .await;
    assert!(!run.success, "{}", run.output);
    assert!(
        run.output
            .lines()
            .any(|l| l.trim_start().starts_with("staff_memberships ")
                && l.contains("global table with row-level security")),
        "{}",
        run.output
    );
}

#[tokio::test]
async fn the_policy_audit_fails_on_a_view_that_reads_with_its_owners_rights() {
    let run = audit_after(
        "create view app.all_stock as select * from app.stock; \
         grant select on app.all_stock to brandhouse_api",
    )
    .await;
    assert!(!run.success, "{}", run.output);
    assert!(run.output.contains("security_invoker"), "{}", run.output);
}

#[tokio::test]
async fn the_policy_audit_fails_when_the_api_role_may_bypass_rls() {
    // A stand-in API role (roles are cluster-wide; the real one is shared by parallel tests).
    let db = TestDb::new().await;
    let role = format!("bh_test_audit_{}", std::process::id());
    let admin = db.admin().await;
    admin
        .batch_execute(&format!(
            "drop role if exists {role}; create role {role} login bypassrls"
        ))
        .await
        .unwrap();
    let name = db.name.clone();
    let r = role.clone();
    let run = tokio::task::spawn_blocking(move || run_audit(&name, &[("api_role", &r)]))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("drop role {role}"))
        .await
        .unwrap();
    assert!(!run.success, "{}", run.output);
    assert!(run.output.contains("BYPASSRLS"), "{}", run.output);
}

#[tokio::test]
async fn the_policy_audit_fails_when_the_analytics_role_may_write() {
    let run = audit_after("grant insert on app.categories to brandhouse_analytics").await;
    assert!(!run.success, "{}", run.output);
    assert!(
        run.output.contains("analytics role may INSERT"),
        "{}",
        run.output
    );
}

#[tokio::test]
async fn the_distributability_audit_passes_on_the_migrated_database() {
    let run = script_after(DISTRIBUTABLE_AUDIT, "select").await;
    assert!(run.success, "{}", run.output);
    assert!(run.output.contains("distributability audit passed"));
    for placed in ["distributed", "reference", "local"] {
        assert!(
            run.output.contains(placed),
            "lists {placed} tables: {}",
            run.output
        );
    }
}

/// Each of Citus's refusal rules, broken once on a copy of the schema.
#[tokio::test]
async fn the_distributability_audit_fails_on_what_citus_refuses() {
    let cases = [
        (
            "create unique index variants_sku_everywhere on app.variants (sku)",
            "unique index of a distributed table without tenant_id",
        ),
        (
            "alter table app.categories add constraint categories_name_only unique (name)",
            "unique index of a distributed table without tenant_id",
        ),
        (
            "alter table app.order_lines drop constraint order_lines_variant_fkey; \
             alter table app.order_lines add constraint order_lines_variant_fkey \
               foreign key (variant_id, tenant_id) references app.variants (tenant_id, id)",
            "foreign key between distributed tables without tenant_id on both sides",
        ),
        (
            "alter table app.staff_users add column favourite_category uuid; \
             alter table app.staff_users add column favourite_brand uuid; \
             alter table app.staff_users add constraint staff_users_favourite_fkey \
               foreign key (favourite_brand, favourite_category) references app.categories (tenant_id, id)",
            "foreign key from a reference table to a distributed table",
        ),
        (
            "alter table app.tenants add column last_session bytea references app.staff_sessions (token_hash)",
            "foreign key from a reference table to a local table",
        ),
        (
            "create policy peek on app.categories as restrictive for select to brandhouse_api \
               using (exists (select from app.tenants t where t.id = tenant_id))",
            "policy with a subquery",
        ),
        (
            "create function app.noop() returns trigger language plpgsql \
               set search_path = pg_catalog as $$ begin return new; end $$; \
             create trigger noop before insert on app.categories \
               for each row execute function app.noop()",
            "trigger on a distributed table not on the allow-list",
        ),
        (
            "alter table app.categories add column seq int generated always as identity",
            "identity column that is not bigint",
        ),
        (
            "create table app.orphans (id int primary key)",
            "no placement",
        ),
    ];
    for (breakage, problem) in cases {
        let run = script_after(DISTRIBUTABLE_AUDIT, breakage).await;
        assert!(!run.success, "passed after {breakage:?}: {}", run.output);
        assert!(
            run.output.contains(problem),
            "{problem:?} after {breakage:?}: {}",
            run.output
        );
    }
}
