//! The committed spec is what the code serves, and every operation follows the house rules.

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

fn spec() -> serde_json::Value {
    serde_json::from_str(&brandhouse::startup::spec_json().unwrap()).unwrap()
}

#[test]
fn the_committed_spec_matches_the_code() {
    let generated = brandhouse::startup::spec_json().unwrap();
    let committed = std::fs::read_to_string(SPEC_PATH).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is out of date: regenerate it with `make openapi` \
         (cargo run --quiet -- openapi > openapi/openapi.json) and commit it"
    );
}

fn operations(spec: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

#[test]
fn every_operation_has_a_camel_case_id_a_tag_and_problem_responses() {
    let spec = spec();
    let mut ids = std::collections::HashSet::new();
    for (path, method, op) in operations(&spec) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
        assert!(
            id.chars().next().unwrap().is_ascii_lowercase()
                && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{id} is not camelCase"
        );
        assert!(ids.insert(id.to_owned()), "{id} is used twice");
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{id}: no tag"
        );
        assert!(
            op["description"].as_str().is_some() || op["summary"].as_str().is_some(),
            "{id}: undocumented"
        );
        for status in ["400", "404", "500"] {
            let content = &op["responses"][status]["content"]["application/problem+json"];
            assert!(
                content.is_object(),
                "{id}: no problem+json {status} response"
            );
        }
    }
}

#[test]
fn brand_scoped_operations_declare_the_tenant_header() {
    let spec = spec();
    for (path, method, op) in operations(&spec) {
        if !path.starts_with("/v1/storefront") {
            continue;
        }
        let declares = op["parameters"].as_array().is_some_and(|ps| {
            ps.iter()
                .any(|p| p["name"] == "X-Tenant-ID" && p["in"] == "header")
        });
        assert!(declares, "{method} {path} does not declare X-Tenant-ID");
    }
}

/// The house rule for response bodies: every field is always present (`required`), and one
/// that can be absent is `nullable` (`Nullable<T>` in the code), so a generated client types
/// it `T | null` and never meets a `null` it was not told about. A plain `Option<T>` field
/// breaks it (poem-openapi makes it optional and not nullable, then serialises `null`). The
/// one exception is the RFC 9457 problem document, whose optional members are left out when
/// absent.
#[test]
fn every_response_field_is_always_present_and_nullable_when_it_can_be_null() {
    let spec = crate::conformance::committed_spec();
    let schemas = &spec["components"]["schemas"];
    let mut optional = Vec::new();
    for name in crate::conformance::response_schemas(&spec) {
        if name == "Problem" {
            continue;
        }
        let required: Vec<&str> = schemas[&name]["required"]
            .as_array()
            .map(|r| r.iter().map(|f| f.as_str().unwrap()).collect())
            .unwrap_or_default();
        for field in schemas[&name]["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(f, _)| f)
        {
            if !required.contains(&field.as_str()) {
                optional.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(
        optional.is_empty(),
        "response fields that may be left out (declare them `Nullable<T>`): {optional:?}"
    );
    // The rule is visible to clients: the examples are `T | null`.
    for (name, field) in [
        ("StorefrontVariant", "available_in_zone"),
        ("ChatSettings", "phone_number_id"),
        ("Import", "summary"),
        ("Order", "paid_at"),
    ] {
        assert_eq!(
            schemas[name]["properties"][field]["nullable"], true,
            "{name}.{field}"
        );
    }
}
