//! Least privilege on the global tables: what the API role may write there, and what a brand's
//! transaction may see of other brands' rows. Each test runs as the API role, as a compromised
//! or careless query would.

use brandhouse::identity::Role;
use tokio_postgres::error::SqlState;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_api_role_cannot_make_anyone_owner_or_rewrite_what_identifies_a_brand() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    app.owner("owner@brandhouse.test").await;
    app.staff("fiber-x", Role::Support, "ana@fiber-x.test")
        .await;
    let api = app.db.api().await;

    for sql in [
        "update app.staff_users set is_owner = true",
        "update app.staff_users set email = 'owner2@brandhouse.test' where email = 'ana@fiber-x.test'",
        "insert into app.staff_users (email, display_name, password_hash, is_owner) \
         values ('evil@x.test', 'Evil', 'x', true)",
        "update app.tenants set sku_prefix = 'EVL'",
        "update app.tenants set slug = 'evil'",
        "update app.zones set code = 'EVL'",
        "update app.staff_sessions set expires_at = now() + interval '10 years'",
        "update app.staff_sessions set user_id = (select id from app.staff_users where is_owner)",
    ] {
        let err = api.execute(sql, &[]).await.unwrap_err();
        assert_eq!(
            err.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err}"
        );
    }
    // The one path that writes `is_owner` makes the first owner only.
    let err = api
        .execute(
            "select app.create_first_owner('owner2@brandhouse.test', 'Second', 'x')",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION), "{err}");
    let second = brandhouse::identity::service::create_owner(
        &app.state.db,
        "owner2@brandhouse.test",
        "Second",
        crate::helpers::TEST_PASSWORD.to_owned().into(),
    )
    .await;
    assert!(
        matches!(
            second,
            Err(brandhouse::identity::service::StaffError::Conflict(_))
        ),
        "{second:?}"
    );
    let owners: i64 = app
        .scalar("select count(*) from app.staff_users where is_owner")
        .await;
    assert_eq!(owners, 1);
    // What the service does need still works: a password change and disabling.
    api.execute(
        "update app.staff_users set password_hash = password_hash, disabled_at = null \
         where email = 'ana@fiber-x.test'",
        &[],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_brand_transaction_sees_and_changes_only_its_own_rows_of_global_tables() {
    let app = TestApp::spawn().await;
    let brands = app.two_brands().await;
    let (fx, sz) = (brands.fiber_x.id, brands.suzume.id);
    app.staff("fiber-x", Role::Support, "ana@fiber-x.test")
        .await;
    app.staff("suzume", Role::Support, "bo@suzume.test").await;
    let admin = app.db.admin().await;
    admin
        .execute(
            "insert into app.jobs (tenant_id, kind, ref) \
             select id, 'probe', slug from app.tenants",
            &[],
        )
        .await
        .unwrap();
    let mut api = app.db.api().await;

    // The global context (sign-in, brand resolution, the worker) sees every brand's rows.
    for table in ["staff_memberships", "tenant_domains", "jobs"] {
        let n: i64 = api
            .query_one(
                &format!("select count(distinct tenant_id) from app.{table}"),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 2, "{table} in the global context");
    }

    let tx = api.transaction().await.unwrap();
    tx.execute(
        "select set_config('app.tenant_id', $1, true)",
        &[&fx.to_string()],
    )
    .await
    .unwrap();
    for table in ["staff_memberships", "tenant_domains", "jobs"] {
        let seen: Vec<uuid::Uuid> = tx
            .query(&format!("select distinct tenant_id from app.{table}"), &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(seen, [fx], "{table} in Fiber X's transaction");
        let touched = tx
            .execute(
                &format!("delete from app.{table} where tenant_id = $1"),
                &[&sz],
            )
            .await
            .unwrap();
        assert_eq!(touched, 0, "{table}: Suzume's rows deleted from Fiber X");
    }
    let bo: uuid::Uuid = tx
        .query_one(
            "select id from app.staff_users where email = 'bo@suzume.test'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let err = tx
        .execute(
            "insert into app.staff_memberships (user_id, tenant_id, role) values ($1, $2, 'brand_manager')",
            &[&bo, &sz],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{err}");
    drop(tx);

    let left: i64 = admin
        .query_one(
            "select (select count(*) from app.staff_memberships where tenant_id = $1) \
                  + (select count(*) from app.tenant_domains where tenant_id = $1) \
                  + (select count(*) from app.jobs where tenant_id = $1)",
            &[&sz],
        )
        .await
        .unwrap()
        .get(0);
    assert!(left >= 3, "Suzume's rows are all there: {left}");
}
