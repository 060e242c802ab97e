//! Real responses against the committed spec (`openapi/openapi.json`), as a generated client
//! reads them: every operation is called on a seeded brand, and each answer must have a status
//! the operation declares, a declared content type, and a body valid against the declared
//! schema. The body is checked with a JSON Schema validator, never by deserialising it into the
//! server's own types (which would agree with the server whatever the spec says).
//!
//! OpenAPI 3.0 schemas become JSON Schema draft 4: `nullable: true` adds a `null` alternative,
//! `#/components/schemas/X` becomes `#/definitions/X`, and an object with `properties` is
//! closed (`additionalProperties: false`) so an undeclared field is a failure too.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{Map, Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path_regex},
};

use crate::helpers::{Signed, TEST_PASSWORD, TestApp};

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

/// The committed spec.
pub fn committed_spec() -> Value {
    serde_json::from_str(&std::fs::read_to_string(SPEC_PATH).unwrap()).unwrap()
}

/// An OpenAPI 3.0 schema as JSON Schema draft 4.
pub fn json_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return match schema {
            Value::Array(items) => Value::Array(items.iter().map(json_schema).collect()),
            other => other.clone(),
        };
    };
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "$ref" => {
                let target = value.as_str().unwrap();
                out.insert(
                    key.clone(),
                    json!(target.replace("#/components/schemas/", "#/definitions/")),
                );
            }
            // OpenAPI-only keywords (`nullable` is applied below).
            "nullable" | "readOnly" | "writeOnly" | "example" | "deprecated" | "title" => {}
            "properties" => {
                let props = value.as_object().unwrap();
                let converted = props
                    .iter()
                    .map(|(name, s)| (name.clone(), json_schema(s)))
                    .collect();
                out.insert(key.clone(), Value::Object(converted));
            }
            "items" | "additionalProperties" | "allOf" | "anyOf" | "oneOf" | "not" => {
                out.insert(key.clone(), json_schema(value));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if out.contains_key("properties") && !out.contains_key("additionalProperties") {
        out.insert("additionalProperties".into(), json!(false));
    }
    let converted = Value::Object(out);
    if map.get("nullable") == Some(&json!(true)) {
        json!({"anyOf": [converted, {"type": "null"}]})
    } else {
        converted
    }
}

/// `Schema.field` for every nullable property of a schema that some response uses.
pub fn nullable_response_fields(spec: &Value) -> BTreeSet<String> {
    let schemas = &spec["components"]["schemas"];
    let mut out = BTreeSet::new();
    for name in response_schemas(spec) {
        for (field, s) in schemas[&name]["properties"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if s["nullable"] == json!(true) {
                out.insert(format!("{name}.{field}"));
            }
        }
    }
    out
}

/// Every named schema reachable from a response body.
pub fn response_schemas(spec: &Value) -> BTreeSet<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    out.push(r.rsplit('/').next().unwrap().to_owned());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut todo = Vec::new();
    for ops in spec["paths"].as_object().unwrap().values() {
        for op in ops.as_object().unwrap().values() {
            refs(&op["responses"], &mut todo);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            refs(&spec["components"]["schemas"][&name], &mut todo);
        }
    }
    seen
}

/// Records `Schema.field` for every field of `value` that is `null`, walking the spec's schema.
fn observe_nulls(
    spec: &Value,
    schema: &Value,
    owner: &str,
    value: &Value,
    out: &mut BTreeSet<String>,
) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        let target = &spec["components"]["schemas"][name];
        return observe_nulls(spec, target, name, value, out);
    }
    for sub in schema["allOf"].as_array().into_iter().flatten() {
        observe_nulls(spec, sub, owner, value, out);
    }
    match value {
        Value::Object(fields) => {
            for (name, s) in schema["properties"].as_object().into_iter().flatten() {
                match fields.get(name) {
                    Some(Value::Null) => {
                        out.insert(format!("{owner}.{name}"));
                    }
                    Some(v) => observe_nulls(spec, s, owner, v, out),
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                observe_nulls(spec, &schema["items"], owner, item, out);
            }
        }
        _ => {}
    }
}

fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Calls operations and holds every disagreement with the committed spec.
pub struct Conformance {
    spec: Value,
    definitions: Value,
    /// `GET /path/{param}` -> the statuses it answered.
    pub answered: BTreeMap<String, BTreeSet<u16>>,
    /// `Schema.field` seen as `null` in some response.
    pub nulls: BTreeSet<String>,
    pub failures: Vec<String>,
}

impl Conformance {
    pub fn new(spec: Value) -> Self {
        let definitions = Value::Object(
            spec["components"]["schemas"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(name, s)| (name.clone(), json_schema(s)))
                .collect(),
        );
        Self {
            spec,
            definitions,
            answered: BTreeMap::new(),
            nulls: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// Sends the request of operation `op` (`"GET /v1/admin/products/{number}"`) and checks
    /// the answer against the spec; returns the status and the JSON body (`null` if none).
    pub async fn send(&mut self, op: &str, request: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = request.send().await.unwrap();
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = resp.bytes().await.unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        self.answered
            .entry(op.to_owned())
            .or_default()
            .insert(status);
        if let Err(e) = self.check(op, status, content_type.as_deref(), &bytes, &body) {
            self.failures.push(format!(
                "{op} -> {status}: {e}\n    body: {}",
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(400)
                    .collect::<String>()
            ));
        }
        (status, body)
    }

    /// Opens a stream (`text/event-stream`) of operation `op`: checks the status and content
    /// type against the spec from the headers alone (a stream never ends), then closes it.
    pub async fn send_stream(&mut self, op: &str, request: reqwest::RequestBuilder) -> u16 {
        let resp = request.send().await.unwrap();
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        self.answered
            .entry(op.to_owned())
            .or_default()
            .insert(status);
        let bytes: &[u8] = if status == 200 { b"" } else { b"-" };
        if let Err(e) = self.check(op, status, content_type.as_deref(), bytes, &Value::Null) {
            self.failures.push(format!("{op} -> {status}: {e}"));
        }
        status
    }

    fn check(
        &mut self,
        op: &str,
        status: u16,
        content_type: Option<&str>,
        bytes: &[u8],
        body: &Value,
    ) -> Result<(), String> {
        let (method, template) = op.split_once(' ').unwrap();
        let operation = &self.spec["paths"][template][method.to_ascii_lowercase()];
        if !operation.is_object() {
            return Err("the spec has no such operation".into());
        }
        let response = &operation["responses"][status.to_string()];
        if !response.is_object() {
            return Err(format!("status {status} is not declared"));
        }
        let Some(content) = response["content"].as_object() else {
            return if bytes.is_empty() {
                Ok(())
            } else {
                Err("a body where the spec declares none".into())
            };
        };
        let Some(content_type) = content_type else {
            return Err("no content type".into());
        };
        let actual = essence(content_type);
        let declared = content.iter().find(|(key, _)| {
            let key = essence(key);
            key == actual
                || key
                    .strip_suffix("/*")
                    .is_some_and(|top| actual.starts_with(&format!("{top}/")))
        });
        let Some((_, media)) = declared else {
            let keys: Vec<&String> = content.keys().collect();
            return Err(format!("content type {content_type} is not among {keys:?}"));
        };
        if !(actual == "application/json" || actual.ends_with("+json")) {
            return Ok(());
        }
        if body.is_null() && !bytes.starts_with(b"null") {
            return Err("the body is not JSON".into());
        }
        let schema = &media["schema"];
        let root = json!({"definitions": self.definitions, "allOf": [json_schema(schema)]});
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("the spec's schema does not compile: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at `{}`", e, e.instance_path()))
            .collect();
        observe_nulls(&self.spec, schema, "(inline)", body, &mut self.nulls);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

const APP_SECRET: &str = "meta-app-secret-for-spec";
const VERIFY_TOKEN: &str = "verify-the-spec";
const FX_NUMBER: &str = "106540352242922";
const SZ_NUMBER: &str = "200000000000002";
const PAYMENT_SECRET: &str = "a-payment-secret-for-the-spec";

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn inbound(number: &str, wamid: &str, from: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": number},
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": chrono::Utc::now().timestamp().to_string(),
                          "type": "text", "text": {"body": text}}]
        }}]}]
    }))
    .unwrap()
}

/// A picture without a caption (a message without text).
fn inbound_image(number: &str, wamid: &str, from: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": number},
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": chrono::Utc::now().timestamp().to_string(),
                          "type": "image", "image": {"id": "m1", "mime_type": "image/jpeg", "sha256": "abc"}}]
        }}]}]
    }))
    .unwrap()
}

/// The scenario: every operation of the spec, on the demo brands plus what the calls create.
struct Run<'a> {
    app: &'a TestApp,
    owner: Signed,
    c: Conformance,
}

impl Run<'_> {
    fn req(&self, m: Method, path: &str, brand: Option<&str>) -> reqwest::RequestBuilder {
        self.app.authed(m, path, &self.owner, brand)
    }

    async fn get(&mut self, op: &str, path: &str, brand: Option<&str>) -> Value {
        let req = self.req(Method::GET, path, brand);
        let (status, body) = self.c.send(op, req).await;
        assert_eq!(status, 200, "{op} ({path}): {body}");
        body
    }

    async fn write(
        &mut self,
        op: &str,
        path: &str,
        brand: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let m = Method::from_bytes(op.split(' ').next().unwrap().as_bytes()).unwrap();
        let mut req = self.req(m, path, brand);
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.c.send(op, req).await
    }
}

/// Every operation of the committed spec, called with valid input on seeded brands, answers
/// with a declared status and content type and a body valid against the declared schema; every
/// nullable field of a response is seen as `null` at least once (so a field that lost its
/// `nullable` would fail), except the few this scenario cannot bring about.
#[tokio::test]
async fn every_operation_answers_as_the_committed_spec_says() {
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v21\.0/\d+/messages$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "x", "wa_id": "x"}],
            "messages": [{"id": "wamid.OUT"}]
        })))
        .mount(&graph)
        .await;
    // The Graph API verifies the brands' numbers for their tokens.
    for (number, token) in [(FX_NUMBER, "token-fx"), (SZ_NUMBER, "token-sz")] {
        Mock::given(method("GET"))
            .and(wiremock::matchers::path(format!("/v21.0/{number}")))
            .and(wiremock::matchers::header(
                "authorization",
                format!("Bearer {token}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": number, "display_phone_number": "+1 555 000 1111"
            })))
            .mount(&graph)
            .await;
    }
    let graph_url = graph.uri();
    let app = TestApp::spawn_with(&[
        ("WORKER_ENABLED", "false"),
        ("WHATSAPP_APP_SECRET", APP_SECRET),
        ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN),
        ("GRAPH_API_BASE_URL", graph_url.as_str()),
        // The webhook receiver below runs on loopback.
        ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"),
        ("WEBHOOK_ALLOW_HTTP", "true"),
    ])
    .await;
    brandhouse::seed::demo(&app.state.db, &app.state.tenants)
        .await
        .unwrap();
    let owner = app.owner("owner@spec.test").await;
    let spec = committed_spec();
    let mut r = Run {
        app: &app,
        owner,
        c: Conformance::new(spec.clone()),
    };
    let fx = Some("fiber-x");

    // Health and auth.
    r.get("GET /healthz", "/healthz", None).await;
    r.get("GET /readyz", "/readyz", None).await;
    let (status, login) =
        r.c.send(
            "POST /v1/auth/login",
            app.client
                .post(app.url("/v1/auth/login"))
                .json(&json!({"email": "owner@spec.test", "password": TEST_PASSWORD})),
        )
        .await;
    assert_eq!(status, 200);
    r.get("GET /v1/auth/me", "/v1/auth/me", None).await;

    // Brands: a new one has no logo and no assistant settings.
    let (status, _) = r
        .write(
            "POST /v1/admin/brands",
            "/v1/admin/brands",
            None,
            Some(json!({"slug": "spec-brand", "name": "Spec Brand", "sku_prefix": "SPB"})),
        )
        .await;
    assert_eq!(status, 201);
    r.get("GET /v1/admin/brands", "/v1/admin/brands", None)
        .await;
    r.get(
        "GET /v1/admin/brands/{slug}",
        "/v1/admin/brands/fiber-x",
        None,
    )
    .await;
    r.write(
        "PATCH /v1/admin/brands/{slug}",
        "/v1/admin/brands/spec-brand",
        None,
        Some(json!({"name": "Spec Brand Two"})),
    )
    .await;
    r.get("GET /v1/admin/brand", "/v1/admin/brand", fx).await;
    r.get(
        "GET /v1/admin/chat/settings",
        "/v1/admin/chat/settings",
        Some("spec-brand"),
    )
    .await;

    // Staff.
    r.get("GET /v1/admin/staff", "/v1/admin/staff", fx).await;
    // Staff join by invitation: a new account, then the same account into a second brand.
    let invite = |brand: &'static str, email: &'static str, role: &'static str| {
        (Some(brand), Some(json!({"email": email, "role": role})))
    };
    let mut tokens = Vec::new();
    for (brand, body) in [
        invite("fiber-x", "ws@spec.test", "warehouse"),
        invite("suzume", "ws@spec.test", "support"),
        invite("fiber-x", "gone@spec.test", "support"),
    ] {
        let (status, issued) = r
            .write(
                "POST /v1/admin/staff/invitations",
                "/v1/admin/staff/invitations",
                brand,
                body,
            )
            .await;
        assert_eq!(status, 201, "{issued}");
        tokens.push((
            issued["token"].as_str().unwrap().to_owned(),
            issued["invitation"]["id"].as_str().unwrap().to_owned(),
        ));
    }
    r.get(
        "GET /v1/admin/staff/invitations",
        "/v1/admin/staff/invitations",
        fx,
    )
    .await;
    r.write(
        "DELETE /v1/admin/staff/invitations/{id}",
        &format!("/v1/admin/staff/invitations/{}", tokens[2].1),
        fx,
        None,
    )
    .await;
    let (status, member) =
        r.c.send(
            "POST /v1/auth/invitations/accept",
            app.client
                .post(app.url("/v1/auth/invitations/accept"))
                .json(&json!({
                    "token": tokens[0].0, "display_name": "Walt", "password": TEST_PASSWORD
                })),
        )
        .await;
    assert_eq!(status, 200, "{member}");
    let walt = Signed {
        email: "ws@spec.test".into(),
        token: app.token_for("ws@spec.test").await,
    };
    let walt_phone = app.token_for("ws@spec.test").await;
    let (status, _) =
        r.c.send(
            "POST /v1/auth/invitations/accept-signed-in",
            app.authed(
                Method::POST,
                "/v1/auth/invitations/accept-signed-in",
                &walt,
                None,
            )
            .json(&json!({"token": tokens[1].0})),
        )
        .await;
    assert_eq!(status, 200);
    // Walt's sessions: end the phone's, then change the password.
    let (_, sessions) =
        r.c.send(
            "GET /v1/auth/sessions",
            app.authed(Method::GET, "/v1/auth/sessions", &walt, None),
        )
        .await;
    let phone = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) =
        r.c.send(
            "DELETE /v1/auth/sessions/{id}",
            app.authed(
                Method::DELETE,
                &format!("/v1/auth/sessions/{phone}"),
                &walt,
                None,
            ),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.authed(
            Method::GET,
            "/v1/auth/me",
            &Signed {
                email: walt.email.clone(),
                token: walt_phone
            },
            None
        )
        .send()
        .await
        .unwrap()
        .status(),
        401
    );
    let (status, _) =
        r.c.send(
            "POST /v1/auth/password",
            app.authed(Method::POST, "/v1/auth/password", &walt, None)
                .json(&json!({
                    "current_password": TEST_PASSWORD,
                    "new_password": "another long enough password"
                })),
        )
        .await;
    assert_eq!(status, 200);
    let user_id = member["user_id"].as_str().unwrap().to_owned();
    for what in ["disable", "enable"] {
        let (status, _) = r
            .write(
                &format!("POST /v1/admin/accounts/{{user_id}}/{what}"),
                &format!("/v1/admin/accounts/{user_id}/{what}"),
                None,
                None,
            )
            .await;
        assert_eq!(status, 204, "{what}");
    }
    r.write(
        "PATCH /v1/admin/staff/{user_id}",
        &format!("/v1/admin/staff/{user_id}"),
        fx,
        Some(json!({"role": "support"})),
    )
    .await;
    r.write(
        "DELETE /v1/admin/staff/{user_id}",
        &format!("/v1/admin/staff/{user_id}"),
        fx,
        None,
    )
    .await;

    // Catalog: a product with a coded and an uncoded option value.
    r.get("GET /v1/admin/categories", "/v1/admin/categories", fx)
        .await;
    for code in ["SPEC", "TEMP"] {
        r.write(
            "POST /v1/admin/categories",
            "/v1/admin/categories",
            fx,
            Some(json!({"code": code, "name": "Spec things"})),
        )
        .await;
    }
    r.write(
        "PATCH /v1/admin/categories/{code}",
        "/v1/admin/categories/SPEC",
        fx,
        Some(json!({"name": "Spec goods"})),
    )
    .await;
    r.write(
        "DELETE /v1/admin/categories/{code}",
        "/v1/admin/categories/TEMP",
        fx,
        None,
    )
    .await;
    let (status, product) = r
        .write(
            "POST /v1/admin/products",
            "/v1/admin/products",
            fx,
            Some(json!({
                "category_code": "SPEC", "name": "Spec Tee", "base_price_minor": 1000,
                "status": "active",
                "axes": [{"name": "Size", "values": [{"value": "S"}, {"value": "M", "code": "MED"}]}]
            })),
        )
        .await;
    assert_eq!(status, 201, "{product}");
    let number = product["number"].as_i64().unwrap();
    let skus: Vec<String> = product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["sku"].as_str().unwrap().to_owned())
        .collect();
    let (sku, other_sku) = (skus[0].clone(), skus[1].clone());
    let page = r
        .get("GET /v1/admin/products", "/v1/admin/products?limit=1", fx)
        .await;
    assert!(page["next_cursor"].is_string(), "{page}");
    r.get("GET /v1/admin/products", "/v1/admin/products?limit=100", fx)
        .await;
    r.get(
        "GET /v1/admin/products/{number}",
        &format!("/v1/admin/products/{number}"),
        fx,
    )
    .await;
    r.write(
        "PATCH /v1/admin/products/{number}",
        &format!("/v1/admin/products/{number}"),
        fx,
        Some(json!({"description": "A tee for the spec."})),
    )
    .await;
    r.write(
        "PATCH /v1/admin/variants/{sku}",
        &format!("/v1/admin/variants/{other_sku}"),
        fx,
        Some(json!({"price_override_minor": 1200})),
    )
    .await;
    r.get(
        "GET /v1/admin/skus/{sku}",
        &format!("/v1/admin/skus/{sku}"),
        fx,
    )
    .await;

    // Translations.
    r.get("GET /v1/admin/locales", "/v1/admin/locales", fx)
        .await;
    r.write(
        "PUT /v1/admin/locales",
        "/v1/admin/locales",
        fx,
        Some(json!({"locales": ["en", "es"], "default_locale": "en"})),
    )
    .await;
    // Written twice: the second replaces the name with none (the product's own is shown).
    for body in [
        json!({"name": "Camiseta", "option_labels": {"Size": "Talla"}}),
        json!({"description": "Una camiseta", "option_labels": {"Size": "Talla"}}),
    ] {
        r.write(
            "PUT /v1/admin/products/{number}/translations/{locale}",
            &format!("/v1/admin/products/{number}/translations/es"),
            fx,
            Some(body),
        )
        .await;
    }
    r.get(
        "GET /v1/admin/products/{number}/translations",
        &format!("/v1/admin/products/{number}/translations"),
        fx,
    )
    .await;
    r.write(
        "DELETE /v1/admin/products/{number}/translations/{locale}",
        &format!("/v1/admin/products/{number}/translations/es"),
        fx,
        None,
    )
    .await;
    r.write(
        "PUT /v1/admin/categories/{code}/translations/{locale}",
        "/v1/admin/categories/SPEC/translations/es",
        fx,
        Some(json!({"name": "Cosas"})),
    )
    .await;
    r.get(
        "GET /v1/admin/categories/{code}/translations",
        "/v1/admin/categories/SPEC/translations",
        fx,
    )
    .await;

    // Inventory.
    for (code, priority) in [("SPZ", 10), ("SPY", 20)] {
        let (status, zone) = r
            .write(
                "POST /v1/admin/zones",
                "/v1/admin/zones",
                fx,
                Some(json!({"code": code, "name": format!("Zone {code}"), "priority": priority})),
            )
            .await;
        assert_eq!(status, 201, "{zone}");
    }
    r.write(
        "PATCH /v1/admin/zones/{code}",
        "/v1/admin/zones/SPY",
        fx,
        Some(json!({"city": "Berlin"})),
    )
    .await;
    r.get("GET /v1/admin/zones", "/v1/admin/zones", fx).await;
    for s in [&sku, &other_sku] {
        r.write(
            "POST /v1/admin/stock/receive",
            "/v1/admin/stock/receive",
            fx,
            Some(json!({"sku": s, "zone": "SPZ", "quantity": 20})),
        )
        .await;
    }
    r.write(
        "POST /v1/admin/stock/adjust",
        "/v1/admin/stock/adjust",
        fx,
        Some(json!({"sku": sku, "zone": "SPZ", "delta": -1, "reason": "counted"})),
    )
    .await;
    r.write(
        "POST /v1/admin/stock/transfer",
        "/v1/admin/stock/transfer",
        fx,
        Some(json!({"sku": sku, "from_zone": "SPZ", "to_zone": "SPY", "quantity": 2})),
    )
    .await;
    r.get("GET /v1/admin/stock", "/v1/admin/stock", fx).await;
    r.get("GET /v1/admin/stock/low", "/v1/admin/stock/low", fx)
        .await;

    // Storefront.
    r.get("GET /v1/storefront/theme", "/v1/storefront/theme", fx)
        .await;
    r.get(
        "GET /v1/storefront/categories",
        "/v1/storefront/categories",
        fx,
    )
    .await;
    let page = r
        .get(
            "GET /v1/storefront/products",
            "/v1/storefront/products?limit=2",
            fx,
        )
        .await;
    assert!(page["next_cursor"].is_string(), "{page}");
    r.get(
        "GET /v1/storefront/products",
        "/v1/storefront/products?limit=100&zone=SPZ",
        fx,
    )
    .await;
    r.get(
        "GET /v1/storefront/products/{number}",
        &format!("/v1/storefront/products/{number}"),
        fx,
    )
    .await;

    // Orders: one paid by callback and shipped, one paid by staff, one cancelled, one open.
    r.write(
        "PATCH /v1/admin/brand/order-settings",
        "/v1/admin/brand/order-settings",
        fx,
        Some(json!({"payment_webhook_secret": PAYMENT_SECRET, "tax_origin_country": null})),
    )
    .await;
    r.get(
        "GET /v1/admin/brand/order-settings",
        "/v1/admin/brand/order-settings",
        fx,
    )
    .await;
    // Customer notifications: the defaults (no templates), then named and approved but left
    // off (the scenario's orders send none).
    r.get(
        "GET /v1/admin/brand/notification-settings",
        "/v1/admin/brand/notification-settings",
        fx,
    )
    .await;
    r.write(
        "PATCH /v1/admin/brand/notification-settings",
        "/v1/admin/brand/notification-settings",
        fx,
        Some(json!({
            "paid_enabled": false, "paid_template": "order_paid",
            "shipped_template": "order_shipped",
            "template_languages": ["en_US", "es"], "default_template_language": "en_US"
        })),
    )
    .await;
    r.get(
        "GET /v1/admin/brand/notification-settings",
        "/v1/admin/brand/notification-settings",
        fx,
    )
    .await;
    // Invoice details: none set (nulls), then set.
    r.get(
        "GET /v1/admin/brand/invoice-settings",
        "/v1/admin/brand/invoice-settings",
        fx,
    )
    .await;
    r.write(
        "PATCH /v1/admin/brand/invoice-settings",
        "/v1/admin/brand/invoice-settings",
        fx,
        Some(json!({
            "legal_name": "Fiber X Haircare GmbH", "address_lines": ["Torstraße 1", "10119 Berlin"],
            "tax_id": "DE123456789"
        })),
    )
    .await;
    // Delivery: the demo's methods and rates, one method and one rate made and removed, and
    // the storefront's quotes.
    r.get(
        "GET /v1/admin/shipping-methods",
        "/v1/admin/shipping-methods",
        fx,
    )
    .await;
    let (status, body) = r
        .write(
            "POST /v1/admin/shipping-methods",
            "/v1/admin/shipping-methods",
            fx,
            Some(json!({
                "code": "spec-pickup", "name": "Pick-up point", "countries": ["DE", "AT"],
                "rate_basis": "weight",
                "bands": [{"min": 0, "max": 5000, "price_minor": 0},
                          {"min": 5000, "max": null, "price_minor": 500}],
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    r.get(
        "GET /v1/admin/shipping-methods/{code}",
        "/v1/admin/shipping-methods/spec-pickup",
        fx,
    )
    .await;
    let (status, body) = r
        .write(
            "PATCH /v1/admin/shipping-methods/{code}",
            "/v1/admin/shipping-methods/spec-pickup",
            fx,
            Some(json!({"free_over_minor": 2000, "active": false})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = r
        .write(
            "DELETE /v1/admin/shipping-methods/{code}",
            "/v1/admin/shipping-methods/spec-pickup",
            fx,
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = r
        .write(
            "PUT /v1/admin/tax-rates/{country}/{tax_class}",
            "/v1/admin/tax-rates/AT/reduced",
            fx,
            Some(json!({"rate_bp": 1000})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    r.get("GET /v1/admin/tax-rates", "/v1/admin/tax-rates", fx)
        .await;
    let (status, body) = r
        .write(
            "DELETE /v1/admin/tax-rates/{country}/{tax_class}",
            "/v1/admin/tax-rates/AT/reduced",
            fx,
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    // Promotions: one made, read, changed and removed, and a quote with the demo's code.
    let (status, body) = r
        .write(
            "POST /v1/admin/promotions",
            "/v1/admin/promotions",
            fx,
            Some(json!({
                "name": "Spec promotion", "code": "SPEC5", "kind": "fixed_amount",
                "amount_minor": 500, "target": "categories", "targets": ["HAIR"],
                "starts_at": "2020-01-01T00:00:00Z", "usage_limit": 10
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let promotion = format!("/v1/admin/promotions/{}", body["id"].as_str().unwrap());
    r.get("GET /v1/admin/promotions", "/v1/admin/promotions", fx)
        .await;
    r.get("GET /v1/admin/promotions/{id}", &promotion, fx).await;
    let (status, body) = r
        .write(
            "PATCH /v1/admin/promotions/{id}",
            &promotion,
            fx,
            Some(json!({"active": false, "ends_at": null})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = r
        .write("DELETE /v1/admin/promotions/{id}", &promotion, fx, None)
        .await;
    assert_eq!(status, 204, "{body}");
    // An automatic promotion (no code): listed and applied to a quote without codes, then
    // removed before the scenario's orders.
    let (status, body) = r
        .write(
            "POST /v1/admin/promotions",
            "/v1/admin/promotions",
            fx,
            Some(json!({"name": "Spec automatic", "kind": "percentage", "percent_bp": 100})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let automatic = format!("/v1/admin/promotions/{}", body["id"].as_str().unwrap());
    r.get("GET /v1/admin/promotions", "/v1/admin/promotions", fx)
        .await;
    let (status, body) =
        r.c.send(
            "POST /v1/storefront/quotes",
            app.client
                .post(app.url("/v1/storefront/quotes"))
                .header("X-Tenant-ID", "fiber-x")
                .json(&json!({
                    "lines": [{"sku": sku, "quantity": 1}],
                    "country": "DE",
                    "shipping_method": "standard",
                })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["promotions"].as_array().is_some_and(|a| !a.is_empty()),
        "{body}"
    );
    let (status, body) = r
        .write("DELETE /v1/admin/promotions/{id}", &automatic, fx, None)
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) =
        r.c.send(
            "POST /v1/storefront/quotes",
            app.client
                .post(app.url("/v1/storefront/quotes"))
                .header("X-Tenant-ID", "fiber-x")
                .json(&json!({
                    "lines": [{"sku": sku, "quantity": 2}],
                    "promo_codes": ["welcome10"],
                    "country": "DE",
                    "shipping_method": "standard",
                })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for query in [
        "country=DE&subtotal_minor=3000",
        "country=DE&subtotal_minor=90000&weight_grams=100",
    ] {
        r.get(
            "GET /v1/storefront/shipping-methods",
            &format!("/v1/storefront/shipping-methods?{query}"),
            fx,
        )
        .await;
    }
    let mut orders = Vec::new();
    for key in ["spec-1", "spec-2", "spec-3", "spec-4"] {
        // The last one ships to a country without postal codes, billed elsewhere.
        let (address, billing) = if key == "spec-4" {
            (
                json!({"name": "Ana Buyer", "line1": "1 Grafton Street", "city": "Dublin",
                       "country": "IE"}),
                json!({"name": "Ana Buyer", "line1": "Calle Mayor 1", "line2": "3º B",
                       "city": "Madrid", "postal_code": "28013", "region": "Madrid",
                       "country": "ES", "phone": "+34600111222"}),
            )
        } else {
            (
                json!({"name": "Ana Buyer", "line1": "Invalidenstraße 117", "city": "Berlin",
                       "postal_code": "10115", "country": "DE"}),
                Value::Null,
            )
        };
        let (status, order) =
            r.c.send(
                "POST /v1/storefront/checkouts",
                app.client
                    .post(app.url("/v1/storefront/checkouts"))
                    .header("X-Tenant-ID", "fiber-x")
                    .header("Idempotency-Key", key)
                    .json(&json!({
                        "lines": [{"sku": sku, "quantity": 1}, {"sku": other_sku, "quantity": 1}],
                        "customer": {"name": "Ana Buyer", "email": format!("{key}@buyer.test")},
                        "shipping_address": address,
                        "billing_address": billing,
                        "shipping_method": "standard",
                    })),
            )
            .await;
        assert_eq!(status, 201, "{order}");
        orders.push(order);
    }
    let body = serde_json::to_vec(&json!({
        "event_id": "evt_spec", "order_id": orders[0]["id"], "status": "succeeded",
        "amount_minor": orders[0]["total_minor"], "currency": orders[0]["currency"],
    }))
    .unwrap();
    let (status, paid) =
        r.c.send(
            "POST /v1/payments/callback",
            app.client
                .post(app.url("/v1/payments/callback"))
                .header("X-Tenant-ID", "fiber-x")
                .header("content-type", "application/json")
                .header("X-Payment-Signature", hmac_hex(PAYMENT_SECRET, &body))
                .body(body),
        )
        .await;
    assert_eq!(status, 200, "{paid}");
    let n = |i: usize| orders[i]["number"].as_i64().unwrap();
    let (n0, n1, n2) = (n(0), n(1), n(2));
    r.write(
        "POST /v1/admin/orders/{number}/ship",
        &format!("/v1/admin/orders/{n0}/ship"),
        fx,
        None,
    )
    .await;
    r.write(
        "POST /v1/admin/orders/{number}/mark-paid",
        &format!("/v1/admin/orders/{n1}/mark-paid"),
        fx,
        None,
    )
    .await;
    // A parcel of one of its two lines, picked in the other zone: partially shipped.
    let (status, recorded) = r
        .write(
            "POST /v1/admin/orders/{number}/shipments",
            &format!("/v1/admin/orders/{n1}/shipments"),
            fx,
            Some(json!({
                "carrier": "DHL", "tracking_number": "00340434161094042557",
                "tracking_url": "https://www.dhl.de/track?piececode=00340434161094042557",
                "zone": "SPY", "lines": [{"sku": sku, "quantity": 1}],
            })),
        )
        .await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["order"]["status"], "partially_shipped");
    r.get(
        "GET /v1/admin/orders/{number}/shipments",
        &format!("/v1/admin/orders/{n1}/shipments"),
        fx,
    )
    .await;
    // Returns and refunds: the shipped unit of n1 comes back (approved, received); a return of
    // n0 is rejected; a refund of n1 by key.
    let (status, ret) = r
        .write(
            "POST /v1/admin/orders/{number}/returns",
            &format!("/v1/admin/orders/{n1}/returns"),
            fx,
            Some(json!({"reason": "too small", "lines": [{"sku": sku, "quantity": 1}]})),
        )
        .await;
    assert_eq!(status, 201, "{ret}");
    let return_id = ret["id"].as_str().unwrap().to_owned();
    r.get(
        "GET /v1/admin/orders/{number}/returns",
        &format!("/v1/admin/orders/{n1}/returns"),
        fx,
    )
    .await;
    for (op, body) in [("approve", json!({})), ("receive", json!({"zone": "SPY"}))] {
        let (status, done) = r
            .write(
                &format!("POST /v1/admin/returns/{{id}}/{op}"),
                &format!("/v1/admin/returns/{return_id}/{op}"),
                fx,
                Some(body),
            )
            .await;
        assert_eq!(status, 200, "{done}");
    }
    r.get(
        "GET /v1/admin/returns/{id}",
        &format!("/v1/admin/returns/{return_id}"),
        fx,
    )
    .await;
    let sku0 = orders[0]["lines"][0]["sku"].as_str().unwrap().to_owned();
    let (status, other) = r
        .write(
            "POST /v1/admin/orders/{number}/returns",
            &format!("/v1/admin/orders/{n0}/returns"),
            fx,
            Some(json!({"reason": "changed my mind", "lines": [{"sku": sku0, "quantity": 1}]})),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    let (status, rejected) = r
        .write(
            "POST /v1/admin/returns/{id}/reject",
            &format!("/v1/admin/returns/{}/reject", other["id"].as_str().unwrap()),
            fx,
            Some(json!({"note": "opened"})),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    let (status, refund) =
        r.c.send(
            "POST /v1/admin/orders/{number}/refunds",
            r.req(Method::POST, &format!("/v1/admin/orders/{n1}/refunds"), fx)
                .header("Idempotency-Key", "spec-refund")
                .json(&json!({"lines": [{"sku": sku, "quantity": 1}]})),
        )
        .await;
    assert_eq!(status, 201, "{refund}");
    // The provider confirms it: n1's credit note is issued.
    let body = serde_json::to_vec(&json!({
        "event_id": "evt_spec_refund", "order_id": orders[1]["id"], "status": "refunded",
        "amount_minor": refund["amount_minor"], "currency": refund["currency"],
        "refund_id": refund["id"],
    }))
    .unwrap();
    let (status, settled) =
        r.c.send(
            "POST /v1/payments/callback",
            app.client
                .post(app.url("/v1/payments/callback"))
                .header("X-Tenant-ID", "fiber-x")
                .header("content-type", "application/json")
                .header("X-Payment-Signature", hmac_hex(PAYMENT_SECRET, &body))
                .body(body),
        )
        .await;
    assert_eq!(status, 200, "{settled}");
    r.get(
        "GET /v1/admin/orders/{number}/refunds",
        &format!("/v1/admin/orders/{n1}/refunds"),
        fx,
    )
    .await;
    r.get(
        "GET /v1/admin/refunds/{id}",
        &format!("/v1/admin/refunds/{}", refund["id"].as_str().unwrap()),
        fx,
    )
    .await;
    // The customer sees the parcel and its tracking, without who recorded it.
    let (status, seen) =
        r.c.send(
            "GET /v1/storefront/orders/{id}",
            app.client
                .get(app.url(&format!(
                    "/v1/storefront/orders/{}",
                    orders[1]["id"].as_str().unwrap()
                )))
                .header("X-Tenant-ID", "fiber-x")
                .header("X-Order-Token", orders[1]["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200);
    assert!(seen["shipments"][0]["created_by"].is_null(), "{seen}");
    r.write(
        "POST /v1/admin/orders/{number}/cancel",
        &format!("/v1/admin/orders/{n2}/cancel"),
        fx,
        None,
    )
    .await;
    let (status, _) =
        r.c.send(
            "GET /v1/storefront/orders/{id}",
            app.client
                .get(app.url(&format!(
                    "/v1/storefront/orders/{}",
                    orders[3]["id"].as_str().unwrap()
                )))
                .header("X-Tenant-ID", "fiber-x")
                .header("X-Order-Token", orders[3]["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200);
    // The paid orders' invoices, once the render jobs ran: staff by number, the customer with
    // the order token (a local store: the PDF itself).
    app.run_jobs().await;
    r.get(
        "GET /v1/admin/orders/{number}/invoice",
        &format!("/v1/admin/orders/{n1}/invoice"),
        fx,
    )
    .await;
    let (status, _) =
        r.c.send(
            "GET /v1/storefront/orders/{id}/invoice",
            app.client
                .get(app.url(&format!(
                    "/v1/storefront/orders/{}/invoice",
                    orders[0]["id"].as_str().unwrap()
                )))
                .header("X-Tenant-ID", "fiber-x")
                .header("X-Order-Token", orders[0]["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200);
    // n1's credit note (its refund was confirmed): listed and downloaded by staff and by the
    // customer with the order token.
    let notes = r
        .get(
            "GET /v1/admin/orders/{number}/credit-notes",
            &format!("/v1/admin/orders/{n1}/credit-notes"),
            fx,
        )
        .await;
    assert_eq!(notes[0]["status"], "rendered", "{notes}");
    r.get(
        "GET /v1/admin/orders/{number}/credit-notes/{credit_note}",
        &format!("/v1/admin/orders/{n1}/credit-notes/{}", notes[0]["number"]),
        fx,
    )
    .await;
    let id1 = orders[1]["id"].as_str().unwrap();
    let token1 = orders[1]["access_token"].as_str().unwrap();
    let (status, _) =
        r.c.send(
            "GET /v1/storefront/orders/{id}/credit-notes",
            app.client
                .get(app.url(&format!("/v1/storefront/orders/{id1}/credit-notes")))
                .header("X-Tenant-ID", "fiber-x")
                .header("X-Order-Token", token1),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) =
        r.c.send(
            "GET /v1/storefront/orders/{id}/credit-notes/{credit_note}",
            app.client
                .get(app.url(&format!(
                    "/v1/storefront/orders/{id1}/credit-notes/{}",
                    notes[0]["number"]
                )))
                .header("X-Tenant-ID", "fiber-x")
                .header("X-Order-Token", token1),
        )
        .await;
    assert_eq!(status, 200);
    let page = r
        .get("GET /v1/admin/orders", "/v1/admin/orders?limit=1", fx)
        .await;
    assert!(!page["next_before"].is_null(), "{page}");
    r.get("GET /v1/admin/orders", "/v1/admin/orders?limit=100", fx)
        .await;
    for number in [n0, n1, n2, n(3)] {
        r.get(
            "GET /v1/admin/orders/{number}",
            &format!("/v1/admin/orders/{number}"),
            fx,
        )
        .await;
    }
    // The warehouse role reads orders without who placed them.
    let warehouse = app
        .staff(
            "fiber-x",
            brandhouse::identity::Role::Warehouse,
            "wh@spec.test",
        )
        .await;
    for (op, path) in [
        (
            "GET /v1/admin/orders",
            "/v1/admin/orders?limit=5".to_owned(),
        ),
        (
            "GET /v1/admin/orders/{number}",
            format!("/v1/admin/orders/{n0}"),
        ),
    ] {
        let (status, body) =
            r.c.send(op, app.authed(Method::GET, &path, &warehouse, fx))
                .await;
        assert_eq!(status, 200, "{op}: {body}");
    }
    r.get(
        "GET /v1/admin/fulfilment/pick-list",
        "/v1/admin/fulfilment/pick-list",
        fx,
    )
    .await;
    r.get(
        "GET /v1/admin/stock/movements",
        &format!("/v1/admin/stock/movements?sku={sku}"),
        fx,
    )
    .await;

    // Analytics (the owner, across brands).
    for (op, path) in [
        (
            "GET /v1/admin/analytics/overview",
            "/v1/admin/analytics/overview",
        ),
        (
            "GET /v1/admin/analytics/timeseries",
            "/v1/admin/analytics/timeseries",
        ),
        (
            "GET /v1/admin/analytics/inventory",
            "/v1/admin/analytics/inventory",
        ),
        (
            "GET /v1/admin/analytics/top-products",
            "/v1/admin/analytics/top-products",
        ),
        (
            "GET /v1/admin/analytics/promotions",
            "/v1/admin/analytics/promotions",
        ),
        (
            "GET /v1/admin/analytics/net-revenue",
            "/v1/admin/analytics/net-revenue",
        ),
    ] {
        r.get(op, path, None).await;
    }

    // The assistant: Fiber X on the shared Meta app, Suzume on its own.
    r.write(
        "PATCH /v1/admin/chat/settings",
        "/v1/admin/chat/settings",
        fx,
        Some(json!({
            "phone_number_id": FX_NUMBER, "access_token": "token-fx", "persona": "Stylist",
            "tone": "friendly", "languages": ["en"], "default_language": "en",
            "handoff_keywords": ["human"]
        })),
    )
    .await;
    r.write(
        "PATCH /v1/admin/chat/settings",
        "/v1/admin/chat/settings",
        Some("suzume"),
        Some(json!({
            "phone_number_id": SZ_NUMBER, "access_token": "token-sz",
            "app_secret": "suzume-app-secret", "verify_token": "suzume-verify"
        })),
    )
    .await;
    r.get("GET /v1/admin/chat/settings", "/v1/admin/chat/settings", fx)
        .await;
    // The owner's view of the numbers, and an assignment and release on the new brand.
    let (status, _) = r
        .write(
            "PUT /v1/admin/brands/{slug}/whatsapp-number",
            "/v1/admin/brands/spec-brand/whatsapp-number",
            None,
            Some(json!({"phone_number_id": "300000000000003"})),
        )
        .await;
    assert!(status < 300, "assign: {status}");
    r.get(
        "GET /v1/admin/whatsapp-numbers",
        "/v1/admin/whatsapp-numbers",
        None,
    )
    .await;
    let (status, _) = r
        .write(
            "DELETE /v1/admin/brands/{slug}/whatsapp-number",
            "/v1/admin/brands/spec-brand/whatsapp-number",
            None,
            None,
        )
        .await;
    assert!(status < 300, "release: {status}");
    for (op, path, token) in [
        (
            "GET /v1/webhooks/whatsapp",
            "/v1/webhooks/whatsapp".to_owned(),
            VERIFY_TOKEN,
        ),
        (
            "GET /v1/webhooks/whatsapp/{brand}",
            "/v1/webhooks/whatsapp/suzume".to_owned(),
            "suzume-verify",
        ),
    ] {
        let (status, _) =
            r.c.send(
                op,
                app.client.get(app.url(&format!(
                    "{path}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1234"
                ))),
            )
            .await;
        assert_eq!(status, 200, "{op}");
    }
    for (op, path, secret, number) in [
        (
            "POST /v1/webhooks/whatsapp",
            "/v1/webhooks/whatsapp",
            APP_SECRET,
            FX_NUMBER,
        ),
        (
            "POST /v1/webhooks/whatsapp/{brand}",
            "/v1/webhooks/whatsapp/suzume",
            "suzume-app-secret",
            SZ_NUMBER,
        ),
    ] {
        let body = inbound(
            number,
            &format!("wamid.{number}"),
            "34600111222",
            "I want a human",
        );
        let (status, ack) =
            r.c.send(
                op,
                app.client
                    .post(app.url(path))
                    .header("content-type", "application/json")
                    .header("X-Hub-Signature-256", hmac_hex(secret, &body))
                    .body(body),
            )
            .await;
        assert_eq!(status, 200, "{op}: {ack}");
    }
    let body = inbound_image(FX_NUMBER, "wamid.picture", "34600111222");
    let (status, ack) =
        r.c.send(
            "POST /v1/webhooks/whatsapp",
            app.client
                .post(app.url("/v1/webhooks/whatsapp"))
                .header("content-type", "application/json")
                .header("X-Hub-Signature-256", hmac_hex(APP_SECRET, &body))
                .body(body),
        )
        .await;
    assert_eq!(status, 200, "{ack}");
    app.run_jobs().await;
    let list = r
        .get("GET /v1/admin/conversations", "/v1/admin/conversations", fx)
        .await;
    let conversation = list[0]["id"].as_str().unwrap().to_owned();
    r.get(
        "GET /v1/admin/conversations/{id}",
        &format!("/v1/admin/conversations/{conversation}"),
        fx,
    )
    .await;
    r.write(
        "POST /v1/admin/conversations/{id}/reply",
        &format!("/v1/admin/conversations/{conversation}/reply"),
        fx,
        Some(json!({"text": "Hi, a human here."})),
    )
    .await;
    r.write(
        "POST /v1/admin/conversations/{id}/handback",
        &format!("/v1/admin/conversations/{conversation}/handback"),
        fx,
        None,
    )
    .await;
    app.run_jobs().await;
    r.get("GET /v1/admin/customers", "/v1/admin/customers", fx)
        .await;
    r.get("GET /v1/admin/jobs/parked", "/v1/admin/jobs/parked", None)
        .await;

    // An import: queued (nothing started), then done.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(
            "handle,category,name,price,option1_name,option1_values,stock_SPZ\n\
             spec-cap,SPEC,Spec Cap,12.00,Colour,Black=BLK|White,3\n"
                .as_bytes()
                .to_vec(),
        )
        .file_name("products.csv")
        .mime_str("text/csv")
        .unwrap(),
    );
    let (status, import) =
        r.c.send(
            "POST /v1/admin/imports",
            r.req(Method::POST, "/v1/admin/imports", fx).multipart(form),
        )
        .await;
    assert_eq!(status, 202, "{import}");
    let import_id = import["id"].as_str().unwrap().to_owned();
    app.run_jobs().await;
    let done = r
        .get(
            "GET /v1/admin/imports/{id}",
            &format!("/v1/admin/imports/{import_id}"),
            fx,
        )
        .await;
    assert_eq!(done["state"], "done", "{done}");
    // A row that is not a CSV record: a problem of the whole row (no column), no summary.
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"handle,category,name,price\nx,y\n".to_vec())
                .file_name("broken.csv")
                .mime_str("text/csv")
                .unwrap(),
        )
        .text("dry_run", "true");
    let (status, import) =
        r.c.send(
            "POST /v1/admin/imports",
            r.req(Method::POST, "/v1/admin/imports", fx).multipart(form),
        )
        .await;
    assert_eq!(status, 202, "{import}");
    app.run_jobs().await;
    let failed = r
        .get(
            "GET /v1/admin/imports/{id}",
            &format!("/v1/admin/imports/{}", import["id"].as_str().unwrap()),
            fx,
        )
        .await;
    assert_eq!(failed["state"], "failed", "{failed}");

    // Media.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&[0; 64]);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png)
            .file_name("hero.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let media_path = format!("/v1/admin/products/{number}/media");
    let (status, media) =
        r.c.send(
            "POST /v1/admin/products/{number}/media",
            r.req(Method::POST, &media_path, fx).multipart(form),
        )
        .await;
    assert_eq!(status, 201, "{media}");
    let name = media["name"].as_str().unwrap().to_owned();
    r.get("GET /v1/admin/products/{number}/media", &media_path, fx)
        .await;
    let (status, _) =
        r.c.send(
            "GET /v1/storefront/media/{number}/{name}",
            app.client
                .get(app.url(&format!("/v1/storefront/media/{number}/{name}")))
                .header("X-Tenant-ID", "fiber-x"),
        )
        .await;
    assert_eq!(status, 200);
    r.write(
        "DELETE /v1/admin/products/{number}/media/{name}",
        &format!("{media_path}/{name}"),
        fx,
        None,
    )
    .await;
    r.write(
        "DELETE /v1/admin/products/{number}",
        &format!("/v1/admin/products/{number}"),
        fx,
        None,
    )
    .await;
    // Events: the list (every change above wrote its event), a ticket, and both streams,
    // checked from their headers (a stream never ends).
    let events = r
        .get("GET /v1/admin/events", "/v1/admin/events?after=0", fx)
        .await;
    assert!(!events["events"].as_array().unwrap().is_empty(), "{events}");
    let (status, ticket) = r
        .write(
            "POST /v1/admin/events/tickets",
            "/v1/admin/events/tickets",
            fx,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{ticket}");
    let status =
        r.c.send_stream(
            "GET /v1/admin/events/stream",
            app.client.get(app.url(ticket["url"].as_str().unwrap())),
        )
        .await;
    assert_eq!(status, 200);
    let request = r.req(Method::GET, "/v1/admin/events/company/stream", None);
    let status =
        r.c.send_stream("GET /v1/admin/events/company/stream", request)
            .await;
    assert_eq!(status, 200);
    webhooks(&mut r).await;
    let (status, _) =
        r.c.send(
            "POST /v1/auth/logout",
            app.client
                .post(app.url("/v1/auth/logout"))
                .bearer_auth(login["token"].as_str().unwrap()),
        )
        .await;
    assert!(status < 300, "logout: {status}");

    let c = r.c;
    assert!(
        c.failures.is_empty(),
        "responses that disagree with openapi/openapi.json:\n{}",
        c.failures.join("\n")
    );
    // Every operation was called, and answered with success.
    let mut missing = Vec::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for m in ops.as_object().unwrap().keys() {
            let op = format!("{} {path}", m.to_ascii_uppercase());
            let ok = c
                .answered
                .get(&op)
                .is_some_and(|s| s.iter().any(|s| (200..300).contains(s)));
            if !ok {
                missing.push(format!("{op} (answered {:?})", c.answered.get(&op)));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations not exercised with success: {missing:#?}"
    );
    // Every nullable response field was seen as null, but those this scenario cannot produce.
    let not_produced: BTreeSet<String> =
        NULL_NOT_PRODUCED.iter().map(|s| (*s).to_owned()).collect();
    let nullable = nullable_response_fields(&spec);
    let unseen: Vec<&String> = nullable
        .difference(&c.nulls)
        .filter(|f| !not_produced.contains(*f))
        .collect();
    assert!(
        unseen.is_empty(),
        "nullable fields never seen as null: {unseen:?}"
    );
}

/// The webhook operations: an endpoint on a loopback receiver, a delivery (seen pending, then
/// delivered), a redelivery, a secret rotation, and the deletion.
async fn webhooks(r: &mut Run<'_>) {
    let fx = Some("fiber-x");
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let (status, created) = r
        .write(
            "POST /v1/admin/webhooks",
            "/v1/admin/webhooks",
            fx,
            Some(json!({"url": format!("{}/in", receiver.uri()), "event_types": ["order.paid"]})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/admin/webhooks/{id}");
    r.get("GET /v1/admin/webhooks", "/v1/admin/webhooks", fx)
        .await;
    r.get("GET /v1/admin/webhooks/{id}", &path, fx).await;
    let (status, body) = r
        .write(
            "PATCH /v1/admin/webhooks/{id}",
            &path,
            fx,
            Some(json!({"event_types": ["order.paid", "order.shipped"], "active": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // An event the endpoint subscribes to: its delivery is pending until the job runs.
    let scope = r.app.scope("fiber-x").await;
    r.app
        .state
        .db
        .tenant_tx(&scope, async |tx| {
            brandhouse::events::record(
                tx,
                brandhouse::events::EventType::OrderPaid,
                "1",
                json!({}),
                None,
            )
            .await
        })
        .await
        .unwrap();
    let log_path = format!("{path}/deliveries");
    let log = r
        .get("GET /v1/admin/webhooks/{id}/deliveries", &log_path, fx)
        .await;
    let delivery = log[0]["id"].as_str().unwrap().to_owned();
    r.app.run_jobs().await;
    r.get("GET /v1/admin/webhooks/{id}/deliveries", &log_path, fx)
        .await;
    let (status, body) = r
        .write(
            "POST /v1/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            &format!("{log_path}/{delivery}/redeliver"),
            fx,
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    r.app.run_jobs().await;
    let (status, body) = r
        .write(
            "POST /v1/admin/webhooks/{id}/rotate-secret",
            &format!("{path}/rotate-secret"),
            fx,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = r
        .write("DELETE /v1/admin/webhooks/{id}", &path, fx, None)
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(receiver.received_requests().await.unwrap().len(), 2);
}

/// Nullable fields this scenario does not bring to `null` (each needs a state that takes a
/// test of its own: a parked job, a WhatsApp-only customer, a row-level import problem...).
const NULL_NOT_PRODUCED: &[&str] = &[
    // Null for a brand without shipping methods; every demo brand has some.
    "Quote.shipping_method",
    // Needs a paid order that an automatic promotion applied to (tests/api/promotions.rs
    // checks the figures).
    "PromotionFigures.code",
    // Checkout requires an email; the column is nullable for customers who came through
    // WhatsApp, who place no orders yet.
    "OrderCustomer.email",
    "OrderSummary.customer_email",
    // Needs a job that failed until it was parked (tests/api/worker.rs).
    "ParkedJob.last_error",
    // Set by the database from the transaction's actor; null only without one.
    "StockMovement.role",
    // The order a checkout returns always names who placed it (only staff views hide it).
    "CheckoutResponse.customer",
    // Null only for numbers claimed before numbers had to be proved (sql/V13).
    "WhatsAppNumber.proof",
    "WhatsAppNumber.proved_at",
    // Null only for orders placed before V24 (no tax then).
    "Order.prices_include_tax",
    "CheckoutResponse.prices_include_tax",
    "OrderLine.tax_class",
    // Every demo brand has shipping methods, so every checkout here names one and an address
    // (a brand without methods: tests/api/delivery.rs).
    "Order.shipping_method",
    "CheckoutResponse.shipping_method",
    "CheckoutResponse.shipping_address",
    "PickDelivery.shipping_method",
    "PickDelivery.shipping_address",
    // Stamped from the acting staff member; null only for rows the system writes.
    "Return.requested_by",
    "Refund.created_by",
];
