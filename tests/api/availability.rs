//! One definition of "available" (sql/V11__availability.sql): the storefront's list, search
//! and detail, the assistant's product facts, `app.available()` and the owner's inventory
//! analytics all report the same figures for the same stock, over active zones only, with
//! expired but unreleased holds counted as free.

use brandhouse::db::DbError;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const A: &str = "FBX-HAIR-0001";

/// The assistant's facts statement, run in Fiber X's tenant transaction as the reply worker
/// runs it.
async fn chat_facts_available(app: &TestApp) -> i64 {
    let scope = app.scope("fiber-x").await;
    app.state
        .db
        .tenant_tx(&scope, async |tx| {
            let product: uuid::Uuid = tx
                .query_one("select id from app.products where number = 1", &[])
                .await?
                .get(0);
            tx.query_one(
                include_str!("../../src/chat/sql/product_facts.sql"),
                &[&vec![product], &"en"],
            )
            .await
            .map(|r| r.get("available"))
            .map_err(DbError::from)
        })
        .await
        .unwrap()
}

/// `app.available(variant, zone)` in Fiber X's tenant transaction.
async fn sql_available(app: &TestApp, zone: Option<uuid::Uuid>) -> i64 {
    let scope = app.scope("fiber-x").await;
    app.state
        .db
        .tenant_tx(&scope, async |tx| {
            tx.query_one(
                "select app.available(v.id, $1) from app.variants v where v.sku = $2",
                &[&zone, &A],
            )
            .await
            .map(|r| r.get(0))
            .map_err(DbError::from)
        })
        .await
        .unwrap()
}

async fn variant(app: &TestApp, path: &str) -> Value {
    let resp = app.storefront_get("fiber-x", path).await;
    assert_eq!(resp.status(), 200, "{path}");
    let body: Value = resp.json().await.unwrap();
    let product = body.get("items").map_or(&body, |items| &items[0]);
    product["variants"][0].clone()
}

#[tokio::test]
async fn storefront_chat_and_analytics_agree_on_what_is_available() {
    let app = TestApp::spawn_with(&[("WORKER_ENABLED", "false")]).await;
    app.create_brand("fiber-x", "FBX").await;
    app.add_categories("fiber-x", &[("HAIR", "Hair")]).await;
    app.create_product("fiber-x", "HAIR", "Argan Oil", "active", json!([]))
        .await;
    let ber = app.create_zone("BER", 10).await;
    app.create_zone("HAM", 20).await;
    app.create_zone("OLD", 30).await;
    app.receive("fiber-x", A, "BER", 5).await;
    app.receive("fiber-x", A, "HAM", 3).await;
    app.receive("fiber-x", A, "OLD", 4).await;
    // Both orders are allocated from BER (the first zone by priority): 3 units held there.
    for (key, quantity) in [("k1", 2), ("k2", 1)] {
        let resp = app.checkout("fiber-x", key, &[(A, quantity)], None).await;
        assert_eq!(resp.status(), 201);
    }
    assert_eq!(app.stock_of(A, "BER").await, (5, 3));
    let admin = app.db.admin().await;
    // The 1-unit hold expired and no sweeper has released it: its unit counts as free. The
    // OLD zone is closed: its 4 units count nowhere.
    admin
        .batch_execute(
            "update app.holds set expires_at = now() - interval '1 second' where quantity = 1; \
             update app.zones set is_active = false where code = 'OLD'; \
             update app.variants set reorder_threshold = 7",
        )
        .await
        .unwrap();
    // BER: 5 on hand - 3 reserved + 1 expired = 3; HAM: 3; OLD: closed.
    let (all, in_ber) = (6, 3);

    for path in [
        "/v1/storefront/products?zone=BER",
        "/v1/storefront/products?q=Argan&zone=BER",
        "/v1/storefront/products/1?zone=BER",
    ] {
        let v = variant(&app, path).await;
        assert_eq!(
            (&v["available"], &v["available_in_zone"]),
            (&json!(all), &json!(in_ber)),
            "{path}"
        );
    }
    for path in [
        "/v1/storefront/products",
        "/v1/storefront/products?q=Argan",
        "/v1/storefront/products/1",
    ] {
        let v = variant(&app, path).await;
        assert_eq!(
            (&v["available"], &v["available_in_zone"]),
            (&json!(all), &Value::Null),
            "{path}"
        );
    }

    assert_eq!(chat_facts_available(&app).await, all);
    assert_eq!(sql_available(&app, None).await, all);
    assert_eq!(sql_available(&app, Some(ber)).await, in_ber);

    let owner = app.owner("owner@brandhouse.test").await;
    let health: Value = app
        .authed(Method::GET, "/v1/admin/analytics/inventory", &owner, None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // 6 < 7: low on stock; the unexpired 2-unit hold is the only one reserved.
    assert_eq!(
        health,
        json!([{"slug": "fiber-x", "name": "Brand fiber-x", "sku_count": 1, "active_skus": 1,
                "low_stock_skus": 1, "out_of_stock_skus": 0, "reserved_units": 2}])
    );
}
