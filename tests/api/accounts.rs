//! Staff accounts across brands: joining by invitation only, and the account's lifecycle
//! (password change, sessions, disabling by the owner). Each test is written as the attack or
//! the mistake it rules out.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use brandhouse::identity::Role;
use reqwest::Method;

use crate::helpers::{Signed, TEST_PASSWORD, TestApp, assert_problem};

const OTHER_PASSWORD: &str = "another long enough password";

async fn json(resp: reqwest::Response, status: u16) -> serde_json::Value {
    let code = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    assert_eq!(code, status, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn accept_signed_in(app: &TestApp, who: &Signed, token: &str) -> reqwest::Response {
    app.authed(
        Method::POST,
        "/v1/auth/invitations/accept-signed-in",
        who,
        None,
    )
    .json(&serde_json::json!({ "token": token }))
    .send()
    .await
    .unwrap()
}

async fn me(app: &TestApp, who: &Signed) -> reqwest::Response {
    app.authed(Method::GET, "/v1/auth/me", who, None)
        .send()
        .await
        .unwrap()
}

/// The brands `who` works in, by slug.
async fn brands(app: &TestApp, who: &Signed) -> Vec<String> {
    let body = json(me(app, who).await, 200).await;
    body["brands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// The reproduction of the issue: a Fiber X manager plants an account for an email Suzume will
/// hire, with a password only the attacker knows, then drops it from Fiber X. Suzume inviting
/// that email must not hand the attacker Suzume.
#[tokio::test]
async fn a_brand_manager_cannot_plant_an_account_that_another_brand_later_adds() {
    let app = TestApp::spawn().await;
    let (fx, sz) = app.two_brands_and_managers().await;
    let email = "hire@suzume.test";

    // The plant: invite, accept with the attacker's password, remove from Fiber X.
    let token = app.invite("fiber-x", &fx, email, "support").await;
    let planted = json(app.accept_invitation(&token, "Planted").await, 200).await;
    let attacker = Signed {
        email: email.to_owned(),
        token: app.token_for(email).await,
    };
    let resp = app
        .authed(
            Method::DELETE,
            &format!("/v1/admin/staff/{}", planted["user_id"].as_str().unwrap()),
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);

    // Suzume hires the email: an invitation, nothing attached.
    let suzume_token = app.invite("suzume", &sz, email, "brand_manager").await;
    for path in ["/v1/admin/customers", "/v1/admin/staff", "/v1/admin/brand"] {
        let resp = app
            .authed(Method::GET, path, &attacker, Some("suzume"))
            .send()
            .await
            .unwrap();
        assert_problem(resp, 403).await;
    }
    assert!(brands(&app, &attacker).await.is_empty());
    let staff = json(
        app.authed(Method::GET, "/v1/admin/staff", &sz, Some("suzume"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(!staff.to_string().contains(email), "{staff}");

    // The invitation's token on the new-account path does not replace the planted password:
    // the email has an account, so nothing changes and the invitation stays open.
    let resp = app
        .client
        .post(app.url("/v1/auth/invitations/accept"))
        .json(&serde_json::json!({
            "token": suzume_token, "display_name": "Real Person", "password": OTHER_PASSWORD,
        }))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 409).await;
    assert_eq!(app.login(email, OTHER_PASSWORD).await.status(), 401);
    assert!(brands(&app, &attacker).await.is_empty());
    // Another signed-in account cannot take it either.
    assert_problem(accept_signed_in(&app, &fx, &suzume_token).await, 404).await;
    let state: String = app
        .scalar(&format!(
            "select case when accepted_at is null and revoked_at is null then 'open' else 'closed' end \
             from app.staff_invitations where email = '{email}' and tenant_id = \
             (select id from app.tenants where slug = 'suzume')"
        ))
        .await;
    assert_eq!(state, "open");
}

#[tokio::test]
async fn inviting_says_nothing_about_accounts_in_other_brands() {
    let app = TestApp::spawn().await;
    let (fx, sz) = app.two_brands_and_managers().await;
    let _owner = app.owner("owner@brandhouse.test").await;
    app.staff("fiber-x", Role::Warehouse, "secret-person@fiber-x.test")
        .await;

    let mut shapes = Vec::new();
    for email in [
        "nobody@anywhere.test",
        "secret-person@fiber-x.test",
        "owner@brandhouse.test",
    ] {
        let resp = app
            .authed(
                Method::POST,
                "/v1/admin/staff/invitations",
                &sz,
                Some("suzume"),
            )
            .json(&serde_json::json!({ "email": email, "role": "support" }))
            .send()
            .await
            .unwrap();
        let body = json(resp, 201).await;
        assert!(!body.to_string().contains("Test Staff"), "{body}");
        assert!(!body.to_string().contains("fiber-x\""), "{body}");
        let mut keys: Vec<String> = body["invitation"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        assert_eq!(body["invitation"]["state"], "pending");
        shapes.push((keys, body.as_object().unwrap().len()));
    }
    assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{shapes:?}");
    // A member of one's own brand is one's own brand's fact.
    let resp = app
        .authed(
            Method::POST,
            "/v1/admin/staff/invitations",
            &fx,
            Some("fiber-x"),
        )
        .json(&serde_json::json!({ "email": "secret-person@fiber-x.test", "role": "support" }))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 409).await;
}

#[tokio::test]
async fn an_invitation_is_used_once_and_never_after_it_expired_was_revoked_or_replaced() {
    let app = TestApp::spawn().await;
    let (fx, sz) = app.two_brands_and_managers().await;

    // Used once, even by two acceptances at the same moment.
    let token = app
        .invite("fiber-x", &fx, "once@fiber-x.test", "support")
        .await;
    let (a, b) = tokio::join!(
        app.accept_invitation(&token, "Once"),
        app.accept_invitation(&token, "Twice")
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 404]);
    assert_problem(app.accept_invitation(&token, "Again").await, 404).await;

    // Revoked.
    let token = app
        .invite("fiber-x", &fx, "revoked@fiber-x.test", "support")
        .await;
    let id: uuid::Uuid = app
        .scalar("select id from app.staff_invitations where email = 'revoked@fiber-x.test'")
        .await;
    let revoke = |id: uuid::Uuid| {
        app.authed(
            Method::DELETE,
            &format!("/v1/admin/staff/invitations/{id}"),
            &fx,
            Some("fiber-x"),
        )
        .send()
    };
    assert_eq!(revoke(id).await.unwrap().status(), 204);
    assert_problem(revoke(id).await.unwrap(), 404).await;
    assert_problem(app.accept_invitation(&token, "Revoked").await, 404).await;

    // Expired.
    let token = app
        .invite("fiber-x", &fx, "late@fiber-x.test", "support")
        .await;
    app.db
        .admin()
        .await
        .execute(
            "update app.staff_invitations set expires_at = now() - interval '1 second' \
             where email = 'late@fiber-x.test'",
            &[],
        )
        .await
        .unwrap();
    assert_problem(app.accept_invitation(&token, "Late").await, 404).await;

    // Replaced: a newer invitation of the same email is the only one that works.
    let first = app
        .invite("fiber-x", &fx, "again@fiber-x.test", "support")
        .await;
    let second = app
        .invite("fiber-x", &fx, "again@fiber-x.test", "warehouse")
        .await;
    assert_problem(app.accept_invitation(&first, "Again").await, 404).await;
    let joined = json(app.accept_invitation(&second, "Again").await, 200).await;
    assert_eq!(joined["role"], "warehouse");
    assert_eq!(joined["brand"], "fiber-x");

    // A token whose brand part names another brand finds nothing (its hash is not that
    // brand's, and the lookup runs under that brand's policy).
    let token = app
        .invite("fiber-x", &fx, "moved@fiber-x.test", "support")
        .await;
    let suzume: uuid::Uuid = app
        .scalar("select id from app.tenants where slug = 'suzume'")
        .await;
    let mut bytes = URL_SAFE_NO_PAD
        .decode(token.strip_prefix("bhi_").unwrap())
        .unwrap();
    bytes[..16].copy_from_slice(suzume.as_bytes());
    let moved = format!("bhi_{}", URL_SAFE_NO_PAD.encode(&bytes));
    assert_problem(app.accept_invitation(&moved, "Moved").await, 404).await;
    for bad in ["", "bh_nothing", "bhi_%%%"] {
        let resp = app.accept_invitation(bad, "Bad").await;
        assert!(resp.status().is_client_error(), "{bad}: {}", resp.status());
    }

    // The list says where each stands.
    let list = json(
        app.authed(
            Method::GET,
            "/v1/admin/staff/invitations",
            &fx,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    let state_of = |email: &str| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|i| i["email"] == email)
            .map(|i| i["state"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(state_of("once@fiber-x.test"), ["accepted"]);
    assert_eq!(state_of("revoked@fiber-x.test"), ["revoked"]);
    assert_eq!(state_of("late@fiber-x.test"), ["expired"]);
    assert_eq!(state_of("again@fiber-x.test"), ["accepted", "revoked"]);
    assert_eq!(state_of("moved@fiber-x.test"), ["pending"]);

    // Another brand sees none of them and cannot revoke one (the table's row-level policy: the
    // queries name no brand).
    let theirs = json(
        app.authed(
            Method::GET,
            "/v1/admin/staff/invitations",
            &sz,
            Some("suzume"),
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(theirs, serde_json::json!([]));
    let pending: uuid::Uuid = app
        .scalar("select id from app.staff_invitations where email = 'moved@fiber-x.test'")
        .await;
    let resp = app
        .authed(
            Method::DELETE,
            &format!("/v1/admin/staff/invitations/{pending}"),
            &sz,
            Some("suzume"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(resp, 404).await;
    assert_eq!(
        json(app.accept_invitation(&token, "Moved").await, 200).await["brand"],
        "fiber-x"
    );
}

#[tokio::test]
async fn an_existing_account_joins_a_brand_only_when_its_holder_accepts_signed_in() {
    let app = TestApp::spawn().await;
    let (fx, _sz) = app.two_brands_and_managers().await;
    let worker = app
        .staff("suzume", Role::Warehouse, "worker@suzume.test")
        .await;
    let owner = app.owner("owner@brandhouse.test").await;

    let token = app
        .invite("fiber-x", &fx, "worker@suzume.test", "support")
        .await;
    // Someone holding the token but not the account: nothing.
    assert_problem(app.accept_invitation(&token, "Impostor").await, 409).await;
    assert_problem(accept_signed_in(&app, &fx, &token).await, 404).await;
    assert_eq!(brands(&app, &worker).await, ["suzume"]);
    assert_eq!(
        app.login("worker@suzume.test", TEST_PASSWORD)
            .await
            .status(),
        200
    );

    // The holder, signed in.
    let joined = json(accept_signed_in(&app, &worker, &token).await, 200).await;
    assert_eq!(joined["brand"], "fiber-x");
    assert_eq!(joined["role"], "support");
    let mut mine = brands(&app, &worker).await;
    mine.sort();
    assert_eq!(mine, ["fiber-x", "suzume"]);
    assert_problem(accept_signed_in(&app, &worker, &token).await, 404).await;

    // The owner needs no membership.
    let token = app
        .invite("fiber-x", &fx, "owner@brandhouse.test", "support")
        .await;
    assert_problem(accept_signed_in(&app, &owner, &token).await, 409).await;
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let laptop = app
        .staff("fiber-x", Role::Support, "ana@fiber-x.test")
        .await;
    let stolen = Signed {
        email: laptop.email.clone(),
        token: app.token_for(&laptop.email).await,
    };
    let change = |current: &str, new: &str| {
        app.authed(Method::POST, "/v1/auth/password", &laptop, None)
            .json(&serde_json::json!({ "current_password": current, "new_password": new }))
            .send()
    };

    let problem = assert_problem(
        change("wrong password!!", OTHER_PASSWORD).await.unwrap(),
        422,
    )
    .await;
    assert_eq!(
        problem["errors"][0]["field"], "current_password",
        "{problem}"
    );
    let problem = assert_problem(change(TEST_PASSWORD, "short").await.unwrap(), 422).await;
    assert_eq!(problem["errors"][0]["field"], "new_password", "{problem}");
    assert_eq!(me(&app, &stolen).await.status(), 200);

    let body = json(change(TEST_PASSWORD, OTHER_PASSWORD).await.unwrap(), 200).await;
    assert_eq!(body["sessions_ended"], 1);
    assert_problem(me(&app, &stolen).await, 401).await;
    assert_eq!(me(&app, &laptop).await.status(), 200);
    assert_eq!(app.login(&laptop.email, TEST_PASSWORD).await.status(), 401);
    assert_eq!(app.login(&laptop.email, OTHER_PASSWORD).await.status(), 200);

    let audited: String = app
        .scalar(
            "select a.role from app.audit_log a join app.staff_users u on u.id = a.user_id \
             where a.action = 'staff.password_change' and u.email = 'ana@fiber-x.test'",
        )
        .await;
    assert_eq!(audited, "account");
}

#[tokio::test]
async fn staff_see_and_end_only_their_own_sessions() {
    let app = TestApp::spawn().await;
    app.two_brands().await;
    let ana = app
        .staff("fiber-x", Role::Support, "ana@fiber-x.test")
        .await;
    let ana_phone = Signed {
        email: ana.email.clone(),
        token: app.token_for(&ana.email).await,
    };
    let bo = app.staff("suzume", Role::Support, "bo@suzume.test").await;
    let sessions = |who: &Signed| {
        app.authed(Method::GET, "/v1/auth/sessions", who, None)
            .send()
    };

    let list = json(sessions(&ana).await.unwrap(), 200).await;
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let other = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bo_list = json(sessions(&bo).await.unwrap(), 200).await;
    let bo_session = bo_list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(bo_list.as_array().unwrap().len(), 1);

    // Another person's session: not found, and still alive.
    let end = |who: &Signed, id: &str| {
        app.authed(
            Method::DELETE,
            &format!("/v1/auth/sessions/{id}"),
            who,
            None,
        )
        .send()
    };
    assert_problem(end(&ana, &bo_session).await.unwrap(), 404).await;
    assert_eq!(me(&app, &bo).await.status(), 200);

    assert_eq!(end(&ana, &other).await.unwrap().status(), 204);
    assert_problem(me(&app, &ana_phone).await, 401).await;
    assert_eq!(me(&app, &ana).await.status(), 200);
}

#[tokio::test]
async fn the_owner_disables_an_account_everywhere_and_its_sessions_end() {
    let app = TestApp::spawn().await;
    let (fx, _sz) = app.two_brands_and_managers().await;
    let owner = app.owner("owner@brandhouse.test").await;
    let worker = app
        .staff("fiber-x", Role::Warehouse, "worker@fiber-x.test")
        .await;
    app.staff("suzume", Role::Warehouse, "worker@fiber-x.test")
        .await;
    let user_id: uuid::Uuid = app
        .scalar("select id from app.staff_users where email = 'worker@fiber-x.test'")
        .await;
    let owner_id: uuid::Uuid = app
        .scalar("select id from app.staff_users where email = 'owner@brandhouse.test'")
        .await;
    let call = |who: &Signed, id: uuid::Uuid, what: &str| {
        app.authed(
            Method::POST,
            &format!("/v1/admin/accounts/{id}/{what}"),
            who,
            None,
        )
        .send()
    };

    // A brand manager cannot, even in their own brand.
    assert_problem(call(&fx, user_id, "disable").await.unwrap(), 403).await;
    assert_eq!(me(&app, &worker).await.status(), 200);

    assert_eq!(
        call(&owner, user_id, "disable").await.unwrap().status(),
        204
    );
    assert_problem(me(&app, &worker).await, 401).await;
    assert_eq!(app.login(&worker.email, TEST_PASSWORD).await.status(), 401);
    // The owner's own account is not disabled this way.
    assert_problem(call(&owner, owner_id, "disable").await.unwrap(), 404).await;

    assert_eq!(call(&owner, user_id, "enable").await.unwrap().status(), 204);
    assert_problem(me(&app, &worker).await, 401).await;
    let again = Signed {
        email: worker.email.clone(),
        token: app.token_for(&worker.email).await,
    };
    let mut mine = brands(&app, &again).await;
    mine.sort();
    assert_eq!(mine, ["fiber-x", "suzume"]);

    let actions: Vec<String> = app
        .db
        .admin()
        .await
        .query(
            "select action || ':' || role from app.audit_log \
             where subject = $1 and action like 'staff.account_%' order by id",
            &[&user_id.to_string()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        actions,
        [
            "staff.account_create:system",
            "staff.account_disable:owner",
            "staff.account_enable:owner"
        ]
    );
}
