//! The API role is an ordinary role: not superuser, not BYPASSRLS, owner of nothing, member of
//! nothing. And the service refuses to start as anything stronger.

use brandhouse::startup::Application;

use crate::helpers::{TestDb, api_url, test_config};

#[tokio::test]
async fn the_api_role_is_not_superuser_not_bypassrls_and_owns_nothing() {
    let db = TestDb::new().await;
    let admin = db.admin().await;
    let row = admin
        .query_one(
            "select rolsuper, rolbypassrls, rolcanlogin, rolinherit from pg_roles where rolname = 'brandhouse_api'",
            &[],
        )
        .await
        .unwrap();
    let (superuser, bypassrls, login, inherit): (bool, bool, bool, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert!(!superuser && !bypassrls && login && !inherit);

    let owned: Vec<String> = admin
        .query(
            "select c.oid::regclass::text from pg_class c join pg_roles r on r.oid = c.relowner \
             where r.rolname = 'brandhouse_api' \
             union all select n.nspname::text from pg_namespace n join pg_roles r on r.oid = n.nspowner \
             where r.rolname = 'brandhouse_api' \
             union all select p.oid::regprocedure::text from pg_proc p join pg_roles r on r.oid = p.proowner \
             where r.rolname = 'brandhouse_api'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(owned.is_empty(), "the API role owns {owned:?}");

    let memberships: i64 = db
        .scalar(
            "select count(*) from pg_auth_members m join pg_roles r on r.oid = m.member \
             where r.rolname = 'brandhouse_api'",
        )
        .await;
    assert_eq!(memberships, 0);

    // Every table in app is owned by the owner role, which cannot log in.
    let owners: Vec<String> = admin
        .query(
            "select distinct r.rolname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             join pg_roles r on r.oid = c.relowner where n.nspname = 'app'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(owners, ["brandhouse_owner"]);
    let owner_login: bool = db
        .scalar("select rolcanlogin from pg_roles where rolname = 'brandhouse_owner'")
        .await;
    assert!(!owner_login);
}

#[tokio::test]
async fn the_service_refuses_to_start_as_a_bypassrls_role() {
    let db = TestDb::new().await;
    let admin = db.admin().await;
    let role = format!("bh_test_bypass_{}", std::process::id());
    admin
        .batch_execute(&format!(
            "drop role if exists {role}; create role {role} login bypassrls; grant usage on schema app to {role};"
        ))
        .await
        .unwrap();
    let url = api_url(&db.name).replace("brandhouse_api", &role);
    let config = test_config(&db.name, &[("DATABASE_URL", &url)]);
    let err = Application::build(config).await.err().expect("refused");
    admin
        .batch_execute(&format!("drop owned by {role}; drop role {role};"))
        .await
        .unwrap();
    assert!(format!("{err:#}").contains("BYPASSRLS"), "{err:#}");
}

#[tokio::test]
async fn the_service_refuses_to_start_as_a_superuser() {
    let db = TestDb::new().await;
    let url = api_url(&db.name).replace("brandhouse_api", "postgres");
    let config = test_config(
        &db.name,
        &[
            ("DATABASE_URL", &url),
            (
                "MIGRATION_DATABASE_URL",
                &url.replace("postgres@", "brandhouse_owner@"),
            ),
        ],
    );
    let err = Application::build(config).await.err().expect("refused");
    assert!(format!("{err:#}").contains("superuser"), "{err:#}");
}
