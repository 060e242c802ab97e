//! Staff identity and access: tokens, the permission matrix, brand boundaries, onboarding.

use std::time::{Duration, Instant};

use brandhouse::identity::{Permission, Role};
use reqwest::Method;

use crate::helpers::{Signed, TEST_PASSWORD, TestApp, assert_problem};

/// One request that exercises an endpoint group, and the status an allowed caller gets.
struct Sample {
    method: Method,
    path: &'static str,
    body: Option<serde_json::Value>,
    /// A multipart body instead (uploads), made afresh per request.
    form: Option<fn(usize) -> reqwest::multipart::Form>,
    ok: u16,
}

/// A one-row CSV import, as a dry run.
fn import_form(n: usize) -> reqwest::multipart::Form {
    let csv = format!("handle,category,name,price\nimported-{n},HAIR,Imported {n},1.00\n");
    reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("products.csv"),
        )
        .text("dry_run", "true")
}

/// The smallest PNG signature, as a product image.
fn image_form(n: usize) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec())
            .file_name(format!("sample-{n}.png")),
    )
}

/// Samples per endpoint group. The match is exhaustive: a new group does not compile until it
/// has samples, so the matrix test always covers the whole matrix.
fn samples(p: Permission, n: usize) -> Vec<Sample> {
    match p {
        Permission::BrandsManage => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/brands",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::PATCH,
                path: "/v1/admin/brands/fiber-x",
                body: Some(serde_json::json!({ "name": format!("Fiber X {n}") })),
                form: None,
                ok: 200,
            },
        ],
        Permission::StaffManage => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/staff",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::POST,
                path: "/v1/admin/staff/invitations",
                body: Some(serde_json::json!({
                    "email": format!("new{n}@fiber-x.test"),
                    "role": "support",
                })),
                form: None,
                ok: 201,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/staff/invitations",
                body: None,
                form: None,
                ok: 200,
            },
        ],
        // No such account: an allowed caller reaches the lookup (404), others are stopped
        // before it (403).
        Permission::AccountsManage => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/accounts/00000000-0000-0000-0000-000000000000/enable",
            body: None,
            form: None,
            ok: 404,
        }],
        Permission::BrandRead => vec![Sample {
            method: Method::GET,
            path: "/v1/admin/brand",
            body: None,
            form: None,
            ok: 200,
        }],
        Permission::CatalogRead => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/categories",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/products",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/promotions",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/locales",
                body: None,
                form: None,
                ok: 200,
            },
        ],
        Permission::ZonesManage => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/zones",
            body: Some(serde_json::json!({ "code": format!("Z{n}"), "name": "New zone" })),
            form: None,
            ok: 201,
        }],
        Permission::StockRead => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/zones",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/stock",
                body: None,
                form: None,
                ok: 200,
            },
        ],
        Permission::StockWrite => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/stock/receive",
            body: Some(serde_json::json!({ "sku": "FBX-HAIR-0001", "zone": "BER", "quantity": 1 })),
            form: None,
            ok: 200,
        }],
        Permission::OrdersRead => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/orders",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/orders/1/shipments",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/orders/1/returns",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/orders/1/refunds",
                body: None,
                form: None,
                ok: 200,
            },
        ],
        // The access check comes before the body is read: allowed roles get the 422 of the
        // empty lines, others 403.
        Permission::ReturnsRequest => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/orders/1/returns",
            body: Some(serde_json::json!({ "reason": "x", "lines": [] })),
            form: None,
            ok: 422,
        }],
        // No such return: an allowed caller reaches the look-up (404).
        Permission::ReturnsManage => vec![
            Sample {
                method: Method::POST,
                path: "/v1/admin/returns/00000000-0000-4000-8000-000000000000/approve",
                body: Some(serde_json::json!({})),
                form: None,
                ok: 404,
            },
            Sample {
                method: Method::POST,
                path: "/v1/admin/returns/00000000-0000-4000-8000-000000000000/reject",
                body: Some(serde_json::json!({})),
                form: None,
                ok: 404,
            },
        ],
        // Without an Idempotency-Key: 422 for an allowed caller.
        Permission::RefundsWrite => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/orders/1/refunds",
            body: Some(serde_json::json!({ "amount_minor": 1 })),
            form: None,
            ok: 422,
        }],
        Permission::OrdersManage => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/orders/1/mark-paid",
            body: None,
            form: None,
            ok: 200,
        }],
        Permission::Fulfilment => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/fulfilment/pick-list",
                body: None,
                form: None,
                ok: 200,
            },
            // The access check comes before the body is read: a role without `fulfilment` gets
            // 403, one with it the 422 of the malformed zone (whatever the order's state).
            Sample {
                method: Method::POST,
                path: "/v1/admin/orders/1/shipments",
                body: Some(serde_json::json!({ "carrier": "DHL", "zone": "not a zone" })),
                form: None,
                ok: 422,
            },
            Sample {
                method: Method::POST,
                path: "/v1/admin/returns/00000000-0000-4000-8000-000000000000/receive",
                body: Some(serde_json::json!({ "zone": "not a zone" })),
                form: None,
                ok: 422,
            },
        ],
        Permission::CustomersRead => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/customers",
                body: None,
                form: None,
                ok: 200,
            },
            // An invoice names the customer. No such order: an allowed caller reaches the
            // look-up (404), others are stopped before it (403).
            Sample {
                method: Method::GET,
                path: "/v1/admin/orders/999/invoice",
                body: None,
                form: None,
                ok: 404,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/orders/999/credit-notes",
                body: None,
                form: None,
                ok: 404,
            },
        ],
        Permission::BrandSettings => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/brand/order-settings",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/webhooks",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/brand/notification-settings",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::PATCH,
                path: "/v1/admin/brand/invoice-settings",
                body: Some(serde_json::json!({ "legal_name": format!("Fiber X GmbH {n}") })),
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/shipping-methods",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::PUT,
                path: "/v1/admin/tax-rates/DE/standard",
                body: Some(serde_json::json!({ "rate_bp": 1900 })),
                form: None,
                ok: 200,
            },
        ],
        Permission::JobsView => vec![Sample {
            method: Method::GET,
            path: "/v1/admin/jobs/parked",
            body: None,
            form: None,
            ok: 200,
        }],
        Permission::ChatSettings => vec![Sample {
            method: Method::GET,
            path: "/v1/admin/chat/settings",
            body: None,
            form: None,
            ok: 200,
        }],
        Permission::WhatsAppNumbers => vec![Sample {
            method: Method::GET,
            path: "/v1/admin/whatsapp-numbers",
            body: None,
            form: None,
            ok: 200,
        }],
        Permission::ChatRead => vec![Sample {
            method: Method::GET,
            path: "/v1/admin/conversations",
            body: None,
            form: None,
            ok: 200,
        }],
        Permission::ChatReply => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/conversations/00000000-0000-0000-0000-00000000c0de/handback",
            body: None,
            form: None,
            ok: 204,
        }],
        Permission::EventsRead => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/events",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::POST,
                path: "/v1/admin/events/tickets",
                body: Some(serde_json::json!({})),
                form: None,
                ok: 200,
            },
        ],
        Permission::Analytics => vec![
            Sample {
                method: Method::GET,
                path: "/v1/admin/analytics/overview",
                body: None,
                form: None,
                ok: 200,
            },
            Sample {
                method: Method::GET,
                path: "/v1/admin/analytics/net-revenue",
                body: None,
                form: None,
                ok: 200,
            },
        ],
        Permission::ImportsManage => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/imports",
            body: None,
            form: Some(import_form),
            ok: 202,
        }],
        Permission::MediaManage => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/products/1/media",
            body: None,
            form: Some(image_form),
            ok: 201,
        }],
        Permission::PromotionsWrite => vec![Sample {
            method: Method::POST,
            path: "/v1/admin/promotions",
            body: Some(serde_json::json!({
                "name": format!("Promotion {n}"), "code": format!("CODE{n}"),
                "kind": "percentage", "percent_bp": 1000
            })),
            form: None,
            ok: 201,
        }],
        Permission::CatalogWrite => vec![
            Sample {
                method: Method::POST,
                path: "/v1/admin/categories",
                body: Some(serde_json::json!({ "code": format!("C{n}"), "name": "New" })),
                form: None,
                ok: 201,
            },
            Sample {
                method: Method::POST,
                path: "/v1/admin/products",
                body: Some(serde_json::json!({
                    "category_code": "HAIR", "name": format!("Product {n}"), "base_price_minor": 100
                })),
                form: None,
                ok: 201,
            },
            Sample {
                method: Method::PUT,
                path: "/v1/admin/locales",
                body: Some(serde_json::json!({ "locales": ["en", "es"], "default_locale": "en" })),
                form: None,
                ok: 200,
            },
        ],
    }
}

async fn fiber_x_with_one_of_each_role(app: &TestApp) -> Vec<(Role, Signed)> {
    app.two_brands().await;
    // A product with stock in a zone, and one order, for the stock and order groups.
    app.create_product(
        "fiber-x",
        "HAIR",
        "Argan Oil",
        "active",
        serde_json::json!([]),
    )
    .await;
    app.receive("fiber-x", "FBX-HAIR-0001", "BER", 5).await;
    assert_eq!(
        app.checkout("fiber-x", "access-order", &[("FBX-HAIR-0001", 1)], None)
            .await
            .status(),
        201
    );
    // A conversation for the chat groups.
    app.db
        .admin()
        .await
        .batch_execute(
            "with c as (insert into app.customers (tenant_id, name, whatsapp_id) \
               select id, 'Ana', '34600111222' from app.tenants where slug = 'fiber-x' returning tenant_id, id) \
             insert into app.conversations (tenant_id, id, customer_id, wa_id) \
               select tenant_id, '00000000-0000-0000-0000-00000000c0de', id, '34600111222' from c",
        )
        .await
        .unwrap();
    let mut out = vec![(Role::Owner, app.owner("owner@brandhouse.test").await)];
    for role in [Role::BrandManager, Role::Warehouse, Role::Support] {
        let email = format!("{role}@fiber-x.test");
        out.push((role, app.staff("fiber-x", role, &email).await));
    }
    out
}

#[tokio::test]
async fn every_role_gets_exactly_the_endpoint_groups_of_the_matrix() {
    let app = TestApp::spawn().await;
    let people = fiber_x_with_one_of_each_role(&app).await;
    let mut n = 0;
    for permission in Permission::all() {
        for (role, who) in &people {
            for sample in samples(permission, n) {
                n += 1;
                let mut req = app.authed(sample.method.clone(), sample.path, who, Some("fiber-x"));
                if let Some(body) = &sample.body {
                    req = req.json(body);
                }
                if let Some(form) = sample.form {
                    req = req.multipart(form(n));
                }
                let resp = req.send().await.unwrap();
                let status = resp.status().as_u16();
                if permission.allows(*role) {
                    assert_eq!(
                        status,
                        sample.ok,
                        "{role} on {} {} ({}): {}",
                        sample.method,
                        sample.path,
                        permission.name(),
                        resp.text().await.unwrap()
                    );
                } else {
                    assert_eq!(
                        status,
                        403,
                        "{role} on {} {} ({})",
                        sample.method,
                        sample.path,
                        permission.name()
                    );
                    assert_problem(resp, 403).await;
                }
            }
        }
    }
}

#[tokio::test]
async fn every_staff_operation_documents_its_permission_and_roles() {
    let spec: serde_json::Value =
        serde_json::from_str(&brandhouse::startup::spec_json().unwrap()).unwrap();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if !secured || path.starts_with("/v1/auth/") {
                continue;
            }
            let description = op["description"].as_str().unwrap_or_default();
            let permission = Permission::all()
                .find(|p| description.contains(&format!("Permission `{}`", p.name())))
                .unwrap_or_else(|| panic!("{method} {path} names no permission"));
            let roles: Vec<&str> = permission
                .allowed_roles()
                .iter()
                .map(|r| r.as_str())
                .collect();
            let expected = if roles.len() == 1 {
                format!("role {}", roles[0])
            } else {
                format!("roles {}", roles.join(", "))
            };
            assert!(
                description.contains(&expected),
                "{method} {path}: description must list {expected}"
            );
        }
    }
}

#[tokio::test]
async fn a_brand_manager_of_fiber_x_gets_no_suzume_data_from_any_endpoint() {
    let app = TestApp::spawn().await;
    let people = fiber_x_with_one_of_each_role(&app).await;
    let manager = &people[1].1;
    // Something of Suzume's that must never show.
    app.staff("suzume", Role::Support, "secret-person@suzume.test")
        .await;

    let spec: serde_json::Value =
        serde_json::from_str(&brandhouse::startup::spec_json().unwrap()).unwrap();
    let mut checked = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if op["security"].as_array().is_none_or(|s| s.is_empty())
                || path.starts_with("/v1/auth/")
                || !op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == "X-Tenant-ID"))
            {
                continue;
            }
            let concrete = path
                .replace("{slug}", "suzume")
                .replace("{user_id}", "00000000-0000-0000-0000-000000000001")
                .replace("{code}", "HAIR")
                .replace("{number}", "1")
                .replace("{sku}", "SZM-SKIN-0001")
                .replace("{id}", "00000000-0000-0000-0000-000000000002")
                .replace("{brand}", "suzume");
            let method_upper = method.to_uppercase();
            let mut req = app.authed(
                method_upper.parse().unwrap(),
                &concrete,
                manager,
                Some("suzume"),
            );
            if method != "get" && method != "delete" {
                req = req.json(&serde_json::json!({}));
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap();
            assert!(
                [400, 403, 404].contains(&status),
                "{method} {path} as Fiber X's manager in suzume: {status} {body}"
            );
            assert!(
                !body.contains("secret-person"),
                "{method} {path} leaked: {body}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} operations checked");

    // And the brand-scoped reads, with a valid body where one is needed, are 403.
    for path in ["/v1/admin/staff", "/v1/admin/brand"] {
        let resp = app
            .authed(Method::GET, path, manager, Some("suzume"))
            .send()
            .await
            .unwrap();
        assert_problem(resp, 403).await;
    }
    let resp = app
        .authed(
            Method::POST,
            "/v1/admin/staff/invitations",
            manager,
            Some("suzume"),
        )
        .json(&serde_json::json!({"email": "sneak@fiber-x.test", "role": "brand_manager"}))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 403).await;
    let sneaked: i64 = app
        .scalar("select count(*) from app.staff_invitations where email = 'sneak@fiber-x.test'")
        .await;
    assert_eq!(sneaked, 0);
}

#[tokio::test]
async fn the_owner_switches_brand_by_changing_the_header() {
    let app = TestApp::spawn().await;
    let people = fiber_x_with_one_of_each_role(&app).await;
    let owner = &people[0].1;
    app.staff("suzume", Role::Warehouse, "ware@suzume.test")
        .await;

    for (brand, expected) in [
        ("fiber-x", "brand_manager@fiber-x.test"),
        ("suzume", "ware@suzume.test"),
    ] {
        let staff: serde_json::Value = app
            .authed(Method::GET, "/v1/admin/staff", owner, Some(brand))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let emails: Vec<&str> = staff
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["email"].as_str().unwrap())
            .collect();
        assert!(emails.contains(&expected), "{brand}: {emails:?}");
        let other = if brand == "fiber-x" {
            "ware@suzume.test"
        } else {
            "brand_manager@fiber-x.test"
        };
        assert!(!emails.contains(&other), "{brand}: {emails:?}");
    }
    let me: serde_json::Value = app
        .authed(Method::GET, "/v1/auth/me", owner, None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_owner"], true);
    let brands: Vec<(&str, &str)> = me["brands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["slug"].as_str().unwrap(), b["role"].as_str().unwrap()))
        .collect();
    assert_eq!(brands, [("fiber-x", "owner"), ("suzume", "owner")]);

    let me: serde_json::Value = app
        .authed(Method::GET, "/v1/auth/me", &people[2].1, None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_owner"], false);
    assert_eq!(
        me["brands"],
        serde_json::json!([{"slug": "fiber-x", "name": "Brand fiber-x", "is_active": true, "role": "warehouse"}])
    );
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_401_and_only_a_hash_is_stored() {
    let app = TestApp::spawn().await;
    app.create_brand("fiber-x", "FBX").await;
    let who = app.staff("fiber-x", Role::Support, "s@fiber-x.test").await;
    let me = |who: &Signed| app.authed(Method::GET, "/v1/auth/me", who, None).send();
    assert_eq!(me(&who).await.unwrap().status(), 200);

    // The raw token appears nowhere in the database: dump it all and look.
    let dump = std::process::Command::new("pg_dump")
        .args(["--data-only", &crate::helpers::admin_url(&app.db.name)])
        .output()
        .expect("pg_dump runs");
    assert!(dump.status.success());
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(!dump.contains(&who.token), "the raw token is stored");
    assert!(
        !dump.contains(&who.token["bh_".len()..]),
        "the raw token is stored"
    );
    let hash = hex::encode(brandhouse::identity::token::hash(&who.token));
    assert!(dump.contains(&hash), "its SHA-256 is");

    // Revoked.
    let resp = app
        .authed(Method::POST, "/v1/auth/logout", &who, None)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_problem(me(&who).await.unwrap(), 401).await;

    // Expired.
    let who = Signed {
        email: who.email.clone(),
        token: {
            let r: serde_json::Value = app
                .login("s@fiber-x.test", TEST_PASSWORD)
                .await
                .json()
                .await
                .unwrap();
            r["token"].as_str().unwrap().to_owned()
        },
    };
    assert_eq!(me(&who).await.unwrap().status(), 200);
    app.db
        .admin()
        .await
        .execute(
            "update app.staff_sessions set expires_at = now() - interval '1 second' where revoked_at is null",
            &[],
        )
        .await
        .unwrap();
    assert_problem(me(&who).await.unwrap(), 401).await;

    // Missing, malformed and made-up tokens.
    assert_problem(
        app.client.get(app.url("/v1/auth/me")).send().await.unwrap(),
        401,
    )
    .await;
    for bad in ["nonsense", "bh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let resp = app
            .client
            .get(app.url("/v1/auth/me"))
            .bearer_auth(bad)
            .send()
            .await
            .unwrap();
        assert_problem(resp, 401).await;
    }
}

#[tokio::test]
async fn wrong_email_and_wrong_password_are_the_same_401_in_comparable_time() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "1000")]).await;
    app.create_brand("fiber-x", "FBX").await;
    app.staff("fiber-x", Role::Support, "real@fiber-x.test")
        .await;

    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for i in 0..15 {
        let started = Instant::now();
        let a = app
            .login(&format!("nobody{i}@fiber-x.test"), "whatever password")
            .await;
        unknown.push(started.elapsed());
        let started = Instant::now();
        let b = app
            .login("real@fiber-x.test", "not the password at all")
            .await;
        wrong.push(started.elapsed());
        let (a, b) = (assert_problem(a, 401).await, assert_problem(b, 401).await);
        assert_eq!(a["detail"], b["detail"]);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (u, w) = (median(&mut unknown), median(&mut wrong));
    let ratio = u.as_secs_f64().max(w.as_secs_f64()) / u.as_secs_f64().min(w.as_secs_f64());
    println!(
        "login timing: unknown email median {u:?}, wrong password median {w:?}, ratio {ratio:.2}"
    );
    assert!(ratio < 2.0, "unknown {u:?} vs wrong password {w:?}");
}

#[tokio::test]
async fn repeated_failures_for_one_email_are_throttled_with_retry_after() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "3")]).await;
    app.create_brand("fiber-x", "FBX").await;
    app.staff("fiber-x", Role::Support, "target@fiber-x.test")
        .await;
    for _ in 0..3 {
        assert_problem(
            app.login("target@fiber-x.test", "wrong password here")
                .await,
            401,
        )
        .await;
    }
    // Locked now: even the right password waits.
    let resp = app.login("TARGET@fiber-x.test", TEST_PASSWORD).await;
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 900);
    assert_problem(resp, 429).await;
    // Other emails are not affected.
    app.staff("fiber-x", Role::Support, "other@fiber-x.test")
        .await;
    // The lock ends with its window.
    app.db
        .admin()
        .await
        .execute(
            "update app.login_throttle set locked_until = now() - interval '1 second'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        app.login("target@fiber-x.test", TEST_PASSWORD)
            .await
            .status(),
        200
    );
}

/// The attack: many guesses at once, so that every one reads "not locked" before any failure
/// is counted. Attempts are counted before the password is checked, so at most
/// `LOGIN_MAX_FAILURES` of them ever reach the password check.
#[tokio::test]
async fn forty_concurrent_wrong_passwords_get_at_most_five_401s() {
    // Every guess waits for its turn to check (none is refused busy and left uncounted), so the
    // count alone decides.
    let app =
        TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "5"), ("LOGIN_HASH_WAIT_MS", "60000")]).await;
    app.create_brand("fiber-x", "FBX").await;
    app.staff("fiber-x", Role::Support, "target@fiber-x.test")
        .await;
    let statuses: Vec<u16> = futures::future::join_all((0..40).map(|i| {
        let app = &app;
        async move {
            app.login("target@fiber-x.test", &format!("wrong password {i:02}"))
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(unauthorized + throttled, 40, "{statuses:?}");
    assert!(
        unauthorized <= 5,
        "{unauthorized} guesses were checked: {statuses:?}"
    );
    // Locked: even the right password waits for the window.
    assert_eq!(
        app.login("target@fiber-x.test", TEST_PASSWORD)
            .await
            .status(),
        429
    );
}

/// The attack: one address guesses at an account until it locks, to lock its holder out. The
/// address is locked first (after `LOGIN_MAX_FAILURES_PER_CLIENT` failures, for the window);
/// the account is not, and its holder signs in from their own address.
#[tokio::test]
async fn one_address_guessing_cannot_lock_an_account_out_for_its_holder() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES_PER_CLIENT", "3"),
        ("LOGIN_MAX_FAILURES", "6"),
        ("TRUSTED_PROXY_HEADER", "x-forwarded-for"),
    ])
    .await;
    app.create_brand("fiber-x", "FBX").await;
    app.staff("fiber-x", Role::Support, "target@fiber-x.test")
        .await;
    let login_from = |ip: &'static str, password: &'static str| {
        app.client
            .post(app.url("/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&serde_json::json!({"email": "target@fiber-x.test", "password": password}))
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(
            login_from("203.0.113.9", "wrong password here")
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses[..3], [401, 401, 401], "{statuses:?}");
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    // The guessing address stays locked for the window, even with the right password.
    let resp = login_from("203.0.113.9", TEST_PASSWORD).await.unwrap();
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 60 && retry_after <= 900, "{retry_after}");
    assert_problem(resp, 429).await;
    // The holder, from their own address, is not locked out.
    let resp = login_from("198.51.100.20", TEST_PASSWORD).await.unwrap();
    assert_eq!(resp.status(), 200);
    // The locked address's refused attempts were not counted against the email.
    let failures: i32 = app
        .scalar("select coalesce(max(failures), 0) from app.login_throttle")
        .await;
    assert_eq!(failures, 0, "a success clears the email's count");
}

/// The attack spread over many addresses: each stays under its own limit, and the email is
/// locked after `LOGIN_MAX_FAILURES`, but only for the short `LOGIN_ACCOUNT_LOCK_SECS`; an
/// office's colleagues signing in from one address are not locked out by their successes.
#[tokio::test]
async fn guesses_from_many_addresses_lock_the_account_only_briefly() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES_PER_CLIENT", "2"),
        ("LOGIN_MAX_FAILURES", "4"),
        ("LOGIN_ACCOUNT_LOCK_SECS", "30"),
        ("TRUSTED_PROXY_HEADER", "x-forwarded-for"),
    ])
    .await;
    app.create_brand("fiber-x", "FBX").await;
    app.staff("fiber-x", Role::Support, "target@fiber-x.test")
        .await;
    app.staff("fiber-x", Role::Support, "colleague@fiber-x.test")
        .await;
    let login = |ip: String, email: &'static str, password: &'static str| {
        app.client
            .post(app.url("/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
    };
    for i in 0..4 {
        let resp = login(
            format!("203.0.113.{i}"),
            "target@fiber-x.test",
            "wrong password here",
        );
        assert_eq!(resp.await.unwrap().status(), 401);
    }
    let resp = login("198.51.100.20".into(), "target@fiber-x.test", TEST_PASSWORD)
        .await
        .unwrap();
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 30, "{retry_after}");
    assert_problem(resp, 429).await;
    // The short lock ends, and the holder signs in.
    app.db
        .admin()
        .await
        .execute(
            "update app.login_throttle set locked_until = now() - interval '1 second'",
            &[],
        )
        .await
        .unwrap();
    let resp = login("198.51.100.20".into(), "target@fiber-x.test", TEST_PASSWORD);
    assert_eq!(resp.await.unwrap().status(), 200);
    // Successes are not failures: five sign-ins from one office address, then still one
    // mistyped password is a 401, not a lock.
    for _ in 0..5 {
        let resp = login("192.0.2.7".into(), "colleague@fiber-x.test", TEST_PASSWORD);
        assert_eq!(resp.await.unwrap().status(), 200);
    }
    let resp = login(
        "192.0.2.7".into(),
        "colleague@fiber-x.test",
        "mistyped password",
    );
    assert_eq!(resp.await.unwrap().status(), 401);
}

/// The attack: a flood of unauthenticated logins (each a different unknown email, so the
/// per-email throttle never trips) trying to fill the blocking pool with password hashes. One
/// check may run at a time here and a login waits 1 ms for it: the rest are refused with a 429 and
/// `Retry-After`, uncounted, and never a 5xx.
#[tokio::test]
async fn a_login_flood_is_refused_with_retry_after_not_queued() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_CONCURRENT_HASHES", "1"),
        ("LOGIN_HASH_WAIT_MS", "1"),
    ])
    .await;
    let responses = futures::future::join_all((0..24).map(|i| {
        let app = &app;
        async move {
            app.login(&format!("nobody-{i}@flood.test"), "wrong password here")
                .await
        }
    }))
    .await;
    let mut busy = 0;
    for resp in responses {
        match resp.status().as_u16() {
            401 => {}
            429 => {
                assert_eq!(resp.headers()["retry-after"], "1");
                busy += 1;
            }
            other => panic!("a flooded login got {other}"),
        }
    }
    assert!(
        busy > 0,
        "24 logins at once with one permit: none was refused"
    );
    let counted: i64 = app
        .scalar("select count(*) from app.login_throttle where email like 'nobody-%'")
        .await;
    assert_eq!(counted, 24 - busy, "refused logins are not counted");
}

/// Every guessed address leaves a throttle row; the worker's hourly housekeeping removes the
/// ones that lock nothing and whose window is over, and keeps locks and live windows.
#[tokio::test]
async fn stale_login_throttle_rows_are_purged_and_locks_kept() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "2")]).await;
    for email in [
        "stale@guess.test",
        "live@guess.test",
        "locked@guess.test",
        "locked@guess.test",
    ] {
        assert_problem(app.login(email, "wrong password here").await, 401).await;
    }
    // The first address's window ended long ago; the locked one's window too, but it is locked.
    app.db
        .admin()
        .await
        .execute(
            "update app.login_throttle set window_started_at = now() - interval '1 day' \
             where email in ('stale@guess.test', 'locked@guess.test')",
            &[],
        )
        .await
        .unwrap();
    // The client address's count (the test's loopback) is stale too.
    app.db
        .admin()
        .await
        .execute(
            "update app.login_throttle_clients set window_started_at = now() - interval '1 day'",
            &[],
        )
        .await
        .unwrap();
    let config = crate::helpers::test_config(&app.db.name, &[]);
    let db = brandhouse::db::Db::connect(&config.db).await.unwrap();
    let removed = brandhouse::identity::service::purge_login_throttle(&db, &config.auth)
        .await
        .unwrap();
    assert_eq!(removed, 2, "the stale email and the stale client address");
    let clients: i64 = app
        .scalar("select count(*) from app.login_throttle_clients")
        .await;
    assert_eq!(clients, 0);
    let left: Vec<String> = app
        .db
        .admin()
        .await
        .query("select email from app.login_throttle order by email", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, ["live@guess.test", "locked@guess.test"]);
}

/// Oversized credentials are refused at the edge with a problem, before any query or hash.
#[tokio::test]
async fn an_oversized_email_or_password_is_a_client_error() {
    let app = TestApp::spawn().await;
    let long_email = format!("{}@fiber-x.test", "a".repeat(75 * 1024));
    let status = app.login(&long_email, "whatever it is").await.status();
    assert!(status.is_client_error(), "a 75 KB email: {status}");
    let long_password = "p".repeat(1025);
    let status = app.login("bm@fiber-x.test", &long_password).await.status();
    assert!(
        status.is_client_error(),
        "a 1,025-character password: {status}"
    );
    let rows: i64 = app.scalar("select count(*) from app.login_throttle").await;
    assert_eq!(rows, 0, "a refused login is not counted");
}

#[tokio::test]
async fn the_owner_onboards_a_brand_that_serves_at_once_and_deactivation_hides_its_storefront() {
    let app = TestApp::spawn().await;
    let owner = app.owner("owner@brandhouse.test").await;
    let resp = app
        .authed(Method::POST, "/v1/admin/brands", &owner, None)
        .json(&serde_json::json!({
            "slug": "glow-lab", "name": "Glow Lab", "sku_prefix": "GLW", "currency": "EUR",
            "domains": ["glowlab.test"],
            "theme": {"colors": {"primary": "#ff00aa", "secondary": "#222222", "background": "#ffffff", "text": "#111111"},
                      "font_family": "Inter, sans-serif", "logo_url": "https://cdn.glowlab.test/logo.svg"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let brand: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(brand["domains"], serde_json::json!(["glowlab.test"]));

    let theme: serde_json::Value = app
        .client
        .get(app.url("/v1/storefront/theme"))
        .header("Host", "glowlab.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theme["theme"]["colors"]["primary"], "#ff00aa");
    app.add_categories("glow-lab", &[("SKIN", "Skin")]).await;

    // Duplicates and invalid fields.
    let dup = app
        .authed(Method::POST, "/v1/admin/brands", &owner, None)
        .json(&serde_json::json!({"slug": "glow-lab", "name": "Again", "sku_prefix": "GLX"}))
        .send()
        .await
        .unwrap();
    assert_problem(dup, 409).await;
    let bad = app
        .authed(Method::POST, "/v1/admin/brands", &owner, None)
        .json(&serde_json::json!({"slug": "Bad Slug", "name": "", "sku_prefix": "toolong", "domains": ["glowlab.test"]}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(bad, 422).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["slug", "name", "sku_prefix"]);

    // Deactivate: storefront 404, rows kept, staff still reach it.
    let resp = app
        .authed(Method::PATCH, "/v1/admin/brands/glow-lab", &owner, None)
        .json(&serde_json::json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_problem(
        app.storefront_get("glow-lab", "/v1/storefront/theme").await,
        404,
    )
    .await;
    let rows: i64 = app
        .scalar(
            "select count(*) from app.categories c join app.tenants t on t.id = c.tenant_id \
             where t.slug = 'glow-lab'",
        )
        .await;
    assert_eq!(rows, 1);
    let staff_view = app
        .authed(Method::GET, "/v1/admin/brand", &owner, Some("glow-lab"))
        .send()
        .await
        .unwrap();
    assert_eq!(staff_view.status(), 200);

    // Reactivate.
    app.authed(Method::PATCH, "/v1/admin/brands/glow-lab", &owner, None)
        .json(&serde_json::json!({"is_active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.storefront_get("glow-lab", "/v1/storefront/theme")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn staff_writes_are_in_the_audit_trail_with_who_and_which_brand() {
    let app = TestApp::spawn().await;
    let people = fiber_x_with_one_of_each_role(&app).await;
    let manager = &people[1].1;
    let token = app
        .invite("fiber-x", manager, "temp@fiber-x.test", "warehouse")
        .await;
    let resp = app.accept_invitation(&token, "Temp").await;
    assert_eq!(resp.status(), 200);
    let added: serde_json::Value = resp.json().await.unwrap();
    let resp = app
        .authed(
            Method::DELETE,
            &format!("/v1/admin/staff/{}", added["user_id"].as_str().unwrap()),
            manager,
            Some("fiber-x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);

    let admin = app.db.admin().await;
    let rows = admin
        .query(
            "select a.action, a.role, t.slug, u.email from app.audit_log a \
             join app.tenants t on t.id = a.tenant_id join app.staff_users u on u.id = a.user_id \
             where u.email = 'brand_manager@fiber-x.test' order by a.id",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        [
            (
                "staff.invite".to_owned(),
                "brand_manager".to_owned(),
                "fiber-x".to_owned()
            ),
            (
                "staff.remove".to_owned(),
                "brand_manager".to_owned(),
                "fiber-x".to_owned()
            ),
        ]
    );
    // The API role can append to the trail but not read or rewrite it.
    let api = app.db.api().await;
    for sql in [
        "select count(*) from app.audit_log",
        "update app.audit_log set action = 'x.y'",
        "delete from app.audit_log",
    ] {
        let err = api.execute(sql, &[]).await.unwrap_err();
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}"
        );
    }
}

/// `customers.read` excludes the warehouse role; orders must not hand it the customers anyway.
#[tokio::test]
async fn the_warehouse_role_sees_orders_without_who_placed_them() {
    let app = TestApp::spawn().await;
    let people = fiber_x_with_one_of_each_role(&app).await;
    let get = |who: &Signed, path: &str| app.authed(Method::GET, path, who, Some("fiber-x")).send();
    for (role, who) in &people {
        let page: serde_json::Value = get(who, "/v1/admin/orders")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let summary = &page["items"][0];
        let number = summary["number"].as_i64().unwrap();
        let order: serde_json::Value = get(who, &format!("/v1/admin/orders/{number}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if Permission::CustomersRead.allows(*role) {
            assert!(summary["customer_name"].is_string(), "{role}: {summary}");
            assert!(order["customer"]["name"].is_string(), "{role}: {order}");
        } else {
            assert_eq!(summary["customer_name"], serde_json::Value::Null, "{role}");
            assert_eq!(summary["customer_email"], serde_json::Value::Null, "{role}");
            assert_eq!(
                order["customer"],
                serde_json::Value::Null,
                "{role}: {order}"
            );
            // Nor can it ask whether an email has ordered.
            let resp = get(who, "/v1/admin/orders?customer_email=ana%40example.test")
                .await
                .unwrap();
            assert_problem(resp, 403).await;
        }
    }
}
