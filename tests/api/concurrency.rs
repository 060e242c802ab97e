//! Many requests for three brands at once, over a pool smaller than the client's concurrency:
//! connections are shared between brands constantly, and every response must still contain
//! only its own brand's data.

use futures::{StreamExt, stream};

use crate::helpers::TestApp;

const REQUESTS: usize = 2_100;
const CLIENT_CONCURRENCY: usize = 32;
const POOL_SIZE: &str = "4";

/// Fails with how many of `results` went wrong, and the first few.
fn assert_none_failed(results: &[Result<(), String>], what: &str) {
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} {what}; first: {:?}",
        failures.len(),
        results.len(),
        failures.iter().take(5).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_for_three_brands_each_see_only_their_own_data() {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", POOL_SIZE)]).await;
    let brands = [
        ("fiber-x", "FBX"),
        ("suzume", "SZM"),
        ("showstopper", "SHS"),
    ];
    for (slug, prefix) in brands {
        app.create_brand(slug, prefix).await;
        // Codes and names unique to each brand, so any foreign row is recognisable.
        let code = format!("{prefix}1");
        let name = format!("{slug} only");
        app.add_categories(
            slug,
            &[(&code, &name), ("SHRD", &format!("{slug} shared code"))],
        )
        .await;
    }

    let results: Vec<Result<(), String>> = stream::iter(0..REQUESTS)
        .map(|i| {
            let app = &app;
            async move {
                let (slug, prefix) = brands[i % brands.len()];
                // Alternate the two brand-scoped endpoints, and the two ways of naming a brand.
                let resp = if i % 2 == 0 {
                    app.storefront_get(slug, "/v1/storefront/categories").await
                } else {
                    app.client
                        .get(app.url("/v1/storefront/categories"))
                        .header("Host", format!("{slug}.test"))
                        .send()
                        .await
                        .unwrap()
                };
                if resp.status() != 200 {
                    return Err(format!("request {i} ({slug}): status {}", resp.status()));
                }
                let body: serde_json::Value = resp.json().await.unwrap();
                let mut expected = vec![
                    serde_json::json!({"code": format!("{prefix}1"), "name": format!("{slug} only")}),
                    serde_json::json!({"code": "SHRD", "name": format!("{slug} shared code")}),
                ];
                expected.sort_by(|a, b| a["code"].as_str().cmp(&b["code"].as_str()));
                let expected = serde_json::Value::Array(expected);
                if body != expected {
                    return Err(format!("request {i} ({slug}) got {body}"));
                }
                let theme: serde_json::Value = app
                    .storefront_get(slug, "/v1/storefront/theme")
                    .await
                    .json()
                    .await
                    .unwrap();
                if theme["slug"] != slug {
                    return Err(format!("request {i} ({slug}) got theme of {}", theme["slug"]));
                }
                Ok(())
            }
        })
        .buffer_unordered(CLIENT_CONCURRENCY)
        .collect()
        .await;

    assert_none_failed(&results, "requests saw the wrong data");
    // The pool really was smaller than the concurrency: connections were shared.
    assert_eq!(app.state.db.status().max_size, 4);
}

/// The forgotten `WHERE tenant_id = $1`, over shared connections: a statement that names no
/// brand, run as the first statement of each brand's transaction (so it travels in the same round
/// trip as the transaction's `SET LOCAL`), by many tasks for three brands at once on a pool of
/// four. Row-level security alone must give each exactly its own brand's rows: this fails if the
/// scope were sent after the statement, left out, or leaked from one borrower to the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_statement_that_names_no_brand_still_sees_only_its_own_over_shared_connections() {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", POOL_SIZE)]).await;
    let brands = [
        ("fiber-x", "FBX"),
        ("suzume", "SZM"),
        ("showstopper", "SHS"),
    ];
    let mut scopes = Vec::new();
    for (slug, prefix) in brands {
        app.create_brand(slug, prefix).await;
        app.add_categories(slug, &[(&format!("{prefix}1"), &format!("{slug} only"))])
            .await;
        scopes.push(app.scope(slug).await);
    }

    let results: Vec<Result<(), String>> = stream::iter(0..600usize)
        .map(|i| {
            let (app, scopes) = (&app, &scopes);
            async move {
                let (slug, prefix) = brands[i % brands.len()];
                let seen: Vec<(String, String)> = app
                    .state
                    .db
                    .tenant_tx(&scopes[i % brands.len()], async |tx| {
                        let rows = tx
                            .query("select code, name from app.categories order by code", &[])
                            .await
                            .map_err(brandhouse::db::DbError::from)?;
                        Ok::<_, brandhouse::db::DbError>(
                            rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
                        )
                    })
                    .await
                    .map_err(|e| format!("request {i} ({slug}): {e}"))?;
                if seen != [(format!("{prefix}1"), format!("{slug} only"))] {
                    return Err(format!("request {i} ({slug}) saw {seen:?}"));
                }
                Ok(())
            }
        })
        .buffer_unordered(CLIENT_CONCURRENCY)
        .collect()
        .await;
    assert_none_failed(&results, "transactions saw the wrong rows");
}
