//! A WhatsApp number belongs to the brand that proves it (issue 12). Meta's webhook names the
//! number, not the brand, so whoever holds a number in `app.whatsapp_numbers` receives its
//! customers. A brand manager may set a number only when the brand's own access token reads it
//! from the Graph API; the company owner assigns numbers outright; a number without proof routes
//! nothing; a refusal never tells a brand that another brand uses the number; and the API role
//! cannot write another brand's row, whatever SQL it runs.

use reqwest::Method;
use serde_json::{Value, json};
use tokio_postgres::error::SqlState;
use wiremock::{Mock, ResponseTemplate, matchers::method};

use crate::{
    chat::{FX_NUMBER, FX_SECOND_NUMBER, SZ_NUMBER, UNKNOWN_NUMBER, assistant, deliver, inbound},
    helpers::{Signed, TestApp, assert_problem},
};

/// PATCHes the brand's chat settings.
async fn patch_settings(
    app: &TestApp,
    who: &Signed,
    brand: &str,
    body: Value,
) -> reqwest::Response {
    app.authed(Method::PATCH, "/v1/admin/chat/settings", who, Some(brand))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The brand's chat settings, as its manager reads them.
async fn settings(app: &TestApp, who: &Signed, brand: &str) -> Value {
    let resp = app
        .authed(Method::GET, "/v1/admin/chat/settings", who, Some(brand))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// How many chat messages brand `slug` holds.
async fn messages_of(app: &TestApp, slug: &str) -> i64 {
    app.scalar(&format!(
        "select count(*) from app.chat_messages m join app.tenants t on t.id = m.tenant_id \
         where t.slug = '{slug}'"
    ))
    .await
}

/// The brand's stored access token (a secret no endpoint returns).
async fn stored_token(app: &TestApp, slug: &str) -> Option<String> {
    app.scalar(&format!(
        "select s.access_token from app.chat_settings s join app.tenants t on t.id = s.tenant_id \
         where t.slug = '{slug}'"
    ))
    .await
}

/// The audit trail's entries of `action`, oldest first: (brand slug, subject, details).
async fn audited(app: &TestApp, action: &str) -> Vec<(String, String, Value)> {
    app.db
        .admin()
        .await
        .query(
            "select t.slug, a.subject, a.details from app.audit_log a \
             join app.tenants t on t.id = a.tenant_id where a.action = $1 order by a.at, a.id",
            &[&action],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// A signed inbound message to `number`, delivered; the webhook's acknowledgement.
async fn message_to(app: &TestApp, number: &str, wamid: &str) -> Value {
    deliver(app, inbound(number, wamid, "34600111222", "hola")).await
}

/// The owner's request to assign `number` to brand `slug`.
async fn assign(app: &TestApp, who: &Signed, slug: &str, number: &str) -> reqwest::Response {
    app.authed(
        Method::PUT,
        &format!("/v1/admin/brands/{slug}/whatsapp-number"),
        who,
        None,
    )
    .json(&json!({ "phone_number_id": number }))
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn only_the_owner_or_a_verified_token_assigns_a_whatsapp_number() {
    // Each brand's number verified with its own token (see chat::assistant).
    let a = assistant(&[]).await;
    let app = &a.app;
    let fx = app.manager("fiber-x").await;

    // The attack: Fiber X's manager claims Suzume's number, with Fiber X's stored token (which
    // Meta does not show Suzume's number to) and with a token of its own making.
    let resp = patch_settings(app, &fx, "fiber-x", json!({ "phone_number_id": SZ_NUMBER })).await;
    let refused = assert_problem(resp, 422).await;
    assert_eq!(refused["errors"][0]["field"], "phone_number_id");
    let resp = patch_settings(
        app,
        &fx,
        "fiber-x",
        json!({ "phone_number_id": SZ_NUMBER, "access_token": "made-up-token", "persona": "Pirate" }),
    )
    .await;
    assert_problem(resp, 422).await;
    // Meta was asked, with the brand's own tokens.
    let asked: Vec<String> = a
        .graph
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path() == format!("/v21.0/{SZ_NUMBER}"))
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    assert!(
        asked.contains(&"Bearer token-fiber-x".to_owned()),
        "{asked:?}"
    );
    assert!(
        asked.contains(&"Bearer made-up-token".to_owned()),
        "{asked:?}"
    );
    // Nothing of either refused change was applied.
    let fx_settings = settings(app, &fx, "fiber-x").await;
    assert_eq!(fx_settings["phone_number_id"], FX_NUMBER);
    assert_eq!(fx_settings["phone_number_proof"], "token");
    assert_ne!(fx_settings["persona"], "Pirate");
    assert_eq!(
        stored_token(app, "fiber-x").await.as_deref(),
        Some("token-fiber-x")
    );
    // Suzume's customers still reach Suzume, and nobody else.
    let ack = message_to(app, SZ_NUMBER, "wamid.SZ-1").await;
    assert_eq!(ack["stored"], 1);
    assert_eq!(messages_of(app, "suzume").await, 1);
    assert_eq!(messages_of(app, "fiber-x").await, 0);

    // The verified path: a number Fiber X's token reads becomes Fiber X's, and its previous
    // number routes nothing from then on.
    let resp = patch_settings(
        app,
        &fx,
        "fiber-x",
        json!({ "phone_number_id": FX_SECOND_NUMBER }),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["phone_number_id"], FX_SECOND_NUMBER);
    assert_eq!(body["phone_number_proof"], "token");
    assert_eq!(
        message_to(app, FX_SECOND_NUMBER, "wamid.FX-1").await["stored"],
        1
    );
    assert_eq!(messages_of(app, "fiber-x").await, 1);
    assert_eq!(
        message_to(app, FX_NUMBER, "wamid.FX-old").await["unknown_numbers"],
        1
    );

    // The owner's endpoints are the owner's: a brand manager gets 403.
    let resp = assign(app, &fx, "fiber-x", SZ_NUMBER).await;
    assert_problem(resp, 403).await;

    // The owner sees the truth: the number is Suzume's.
    let owner = app.owner("owner@brandhouse.test").await;
    let resp = assign(app, &owner, "fiber-x", SZ_NUMBER).await;
    let conflict = assert_problem(resp, 409).await;
    assert!(
        conflict["detail"].as_str().unwrap().contains("suzume"),
        "{conflict}"
    );
    // Released from Suzume, it routes nowhere; assigned to Fiber X, it routes there.
    let resp = app
        .authed(
            Method::DELETE,
            "/v1/admin/brands/suzume/whatsapp-number",
            &owner,
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        message_to(app, SZ_NUMBER, "wamid.SZ-2").await["unknown_numbers"],
        1
    );
    let resp = assign(app, &owner, "fiber-x", SZ_NUMBER).await;
    assert_eq!(resp.status(), 200);
    let assigned: Value = resp.json().await.unwrap();
    assert_eq!(assigned["brand"], "fiber-x");
    assert_eq!(assigned["proof"], "owner");
    assert_eq!(message_to(app, SZ_NUMBER, "wamid.SZ-3").await["stored"], 1);
    assert_eq!(messages_of(app, "fiber-x").await, 2);
    assert_eq!(messages_of(app, "suzume").await, 1);
    let resp = app
        .authed(Method::GET, "/v1/admin/whatsapp-numbers", &owner, None)
        .send()
        .await
        .unwrap();
    let all: Value = resp.json().await.unwrap();
    let all: Vec<(&str, &str, &str)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["brand"].as_str().unwrap(),
                n["phone_number_id"].as_str().unwrap(),
                n["proof"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(all, [("fiber-x", SZ_NUMBER, "owner")]);

    // Every step is in the audit trail, the refusals with their reason (for the owner's eyes).
    let refusals = audited(app, "chat.number.refused").await;
    assert_eq!(refusals.len(), 2);
    assert!(
        refusals
            .iter()
            .all(|(b, n, d)| b == "fiber-x" && n == SZ_NUMBER && d["reason"] == "not_verified"),
        "{refusals:?}"
    );
    assert_eq!(
        audited(app, "whatsapp.number.release").await,
        [("suzume".to_owned(), SZ_NUMBER.to_owned(), json!({}))]
    );
    assert_eq!(
        audited(app, "whatsapp.number.assign").await,
        [(
            "fiber-x".to_owned(),
            SZ_NUMBER.to_owned(),
            json!({ "proof": "owner" })
        )]
    );
    let verified: Vec<String> = audited(app, "chat.number.verify")
        .await
        .into_iter()
        .map(|(b, n, _)| format!("{b} {n}"))
        .collect();
    assert_eq!(
        verified,
        [
            format!("fiber-x {FX_NUMBER}"),
            format!("suzume {SZ_NUMBER}"),
            format!("fiber-x {FX_SECOND_NUMBER}")
        ]
    );
}

/// A problem body without its request id, for comparing two refusals.
fn without_request_id(mut problem: Value) -> Value {
    problem.as_object_mut().unwrap().remove("request_id");
    problem
}

#[tokio::test]
async fn a_refused_number_reads_the_same_whether_unknown_or_another_brands() {
    let a = assistant(&[]).await;
    let app = &a.app;
    let fx = app.manager("fiber-x").await;
    // A number no account has; Suzume's number, which Fiber X's token cannot read; Suzume's
    // number with a token that does read it (the company's account): the number is verified,
    // but Suzume holds it.
    let mut answers = Vec::new();
    for body in [
        json!({ "phone_number_id": UNKNOWN_NUMBER }),
        json!({ "phone_number_id": SZ_NUMBER }),
        json!({ "phone_number_id": SZ_NUMBER, "access_token": "token-company" }),
    ] {
        let resp = patch_settings(app, &fx, "fiber-x", body).await;
        answers.push(without_request_id(assert_problem(resp, 422).await));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
    let detail = answers[0]["detail"].as_str().unwrap();
    assert!(
        !detail.contains("another brand") && !detail.contains("suzume") && !detail.contains("uses"),
        "{detail}"
    );
    // Nothing changed; Suzume still holds its number; the owner can tell the cases apart.
    assert_eq!(
        stored_token(app, "fiber-x").await.as_deref(),
        Some("token-fiber-x")
    );
    assert_eq!(message_to(app, SZ_NUMBER, "wamid.SZ-1").await["stored"], 1);
    assert_eq!(messages_of(app, "suzume").await, 1);
    let reasons: Vec<String> = audited(app, "chat.number.refused")
        .await
        .into_iter()
        .map(|(_, n, d)| format!("{n} {}", d["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [
            format!("{UNKNOWN_NUMBER} not_verified"),
            format!("{SZ_NUMBER} not_verified"),
            format!("{SZ_NUMBER} held_by_another_brand"),
        ]
    );

    // A Graph API that cannot answer gives no verdict: 503, nothing changed.
    a.graph.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&a.graph)
        .await;
    let resp = patch_settings(
        app,
        &fx,
        "fiber-x",
        json!({ "phone_number_id": FX_SECOND_NUMBER }),
    )
    .await;
    assert_problem(resp, 503).await;
    assert_eq!(
        settings(app, &fx, "fiber-x").await["phone_number_id"],
        FX_NUMBER
    );
}

#[tokio::test]
async fn a_number_claimed_without_proof_routes_nothing_until_proved() {
    let a = assistant(&[]).await;
    let app = &a.app;
    // A row as first-come-first-served claims left them before numbers had to be proved.
    app.db
        .admin()
        .await
        .batch_execute(&format!(
            "update app.whatsapp_numbers set proof = null, proved_at = null \
             where phone_number_id = '{SZ_NUMBER}'"
        ))
        .await
        .unwrap();
    let ack = message_to(app, SZ_NUMBER, "wamid.SZ-1").await;
    assert_eq!(ack["unknown_numbers"], 1);
    assert_eq!(messages_of(app, "suzume").await, 0);
    let sz = app.manager("suzume").await;
    let shown = settings(app, &sz, "suzume").await;
    assert_eq!(shown["phone_number_id"], SZ_NUMBER);
    assert_eq!(shown["phone_number_proof"], Value::Null);
    // Saved again with the brand's token, it is verified and routes.
    let resp = patch_settings(app, &sz, "suzume", json!({ "phone_number_id": SZ_NUMBER })).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(message_to(app, SZ_NUMBER, "wamid.SZ-2").await["stored"], 1);
    assert_eq!(messages_of(app, "suzume").await, 1);
}

/// Runs `sql` as the API role in a transaction scoped like the service's (`tenant`: the brand,
/// or none; `role`: the actor's role) and returns the error's SQLSTATE, if any.
async fn as_api_role(
    app: &TestApp,
    tenant: Option<uuid::Uuid>,
    role: &str,
    sql: &str,
) -> Option<SqlState> {
    let mut api = app.db.api().await;
    let tx = api.transaction().await.unwrap();
    let tenant = tenant.map(|t| t.to_string()).unwrap_or_default();
    tx.execute(
        "select set_config('app.tenant_id', $1, true), set_config('app.role', $2, true)",
        &[&tenant, &role],
    )
    .await
    .unwrap();
    let outcome = tx.batch_execute(sql).await;
    outcome.err().and_then(|e| e.code().cloned())
}

#[tokio::test]
async fn the_api_role_cannot_write_another_brands_whatsapp_number() {
    let app = TestApp::spawn().await;
    let brands = app.two_brands().await;
    let (fx, sz) = (brands.fiber_x.id, brands.suzume.id);
    app.db
        .admin()
        .await
        .batch_execute(&format!(
            "insert into app.whatsapp_numbers (phone_number_id, tenant_id, proof, proved_at) \
             values ('{SZ_NUMBER}', '{sz}', 'owner', now())"
        ))
        .await
        .unwrap();
    let denied = Some(SqlState::INSUFFICIENT_PRIVILEGE);
    // No plain writes at all, in a brand's transaction or outside one.
    for sql in [
        format!(
            "insert into app.whatsapp_numbers (phone_number_id, tenant_id, proof, proved_at) \
             values ('123456', '{fx}', 'token', now())"
        ),
        format!("update app.whatsapp_numbers set tenant_id = '{fx}'"),
        "delete from app.whatsapp_numbers".to_owned(),
    ] {
        assert_eq!(
            as_api_role(&app, Some(fx), "brand_manager", &sql).await,
            denied,
            "{sql}"
        );
        assert_eq!(
            as_api_role(&app, None, "owner", &sql).await,
            denied,
            "{sql}"
        );
    }
    // In Fiber X's transaction the functions write Fiber X's row alone, with a token's proof.
    for sql in [
        format!("select app.prove_whatsapp_number('{sz}', '123456', 'token')"),
        format!("select app.prove_whatsapp_number('{fx}', '123456', 'owner')"),
        format!("select app.release_whatsapp_number('{sz}')"),
    ] {
        assert_eq!(
            as_api_role(&app, Some(fx), "owner", &sql).await,
            denied,
            "{sql}"
        );
    }
    // Outside any brand, only the owner (or the system) writes, with the owner's proof.
    for (role, sql) in [
        (
            "brand_manager",
            format!("select app.prove_whatsapp_number('{fx}', '123456', 'owner')"),
        ),
        (
            "",
            format!("select app.prove_whatsapp_number('{fx}', '123456', 'owner')"),
        ),
        (
            "owner",
            format!("select app.prove_whatsapp_number('{fx}', '123456', 'token')"),
        ),
        (
            "support",
            format!("select app.release_whatsapp_number('{sz}')"),
        ),
    ] {
        assert_eq!(
            as_api_role(&app, None, role, &sql).await,
            denied,
            "{role}: {sql}"
        );
    }
    // A brand's claim on a number another brand holds changes nothing and names the holder only
    // to the database (the service turns it into the same refusal as an unknown number).
    let mut api = app.db.api().await;
    let tx = api.transaction().await.unwrap();
    tx.execute(
        "select set_config('app.tenant_id', $1, true), set_config('app.role', 'brand_manager', true)",
        &[&fx.to_string()],
    )
    .await
    .unwrap();
    let holder: Option<uuid::Uuid> = tx
        .query_one(
            "select app.prove_whatsapp_number($1, $2, 'token')",
            &[&fx, &SZ_NUMBER],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(holder, Some(sz));
    let own: Option<uuid::Uuid> = tx
        .query_one(
            "select app.prove_whatsapp_number($1, '123456', 'token')",
            &[&fx],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(own, Some(fx));
    tx.commit().await.unwrap();
    let rows: i64 = app
        .scalar(&format!(
            "select count(*) from app.whatsapp_numbers where \
             (phone_number_id, tenant_id) in (('{SZ_NUMBER}', '{sz}'::uuid), ('123456', '{fx}'::uuid))"
        ))
        .await;
    assert_eq!(rows, 2);
}
