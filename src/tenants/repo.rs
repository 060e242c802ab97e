//! SQL for brands. Global-table reads run in a transaction with no tenant set; the theme read
//! runs in the tenant transaction and finds the brand by the tenant setting.

use tokio_postgres::{Row, types::Json};
use uuid::Uuid;

use super::Theme;
use crate::db::{DbError, Tx};
use crate::scope::Tenant;

fn tenant_from_row(row: &Row) -> Result<Tenant, DbError> {
    Ok(Tenant {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        sku_prefix: row.try_get("sku_prefix")?,
        currency: row.try_get("currency")?,
        is_active: row.try_get("is_active")?,
    })
}

async fn one_tenant(
    tx: &Tx<'_>,
    sql: &str,
    param: &(dyn tokio_postgres::types::ToSql + Sync),
) -> Result<Option<Tenant>, DbError> {
    let stmt = tx.prepare_cached(sql).await?;
    tx.query_opt(&stmt, &[param])
        .await?
        .as_ref()
        .map(tenant_from_row)
        .transpose()
}

pub async fn tenant_by_slug(tx: &Tx<'_>, slug: &str) -> Result<Option<Tenant>, DbError> {
    one_tenant(tx, include_str!("sql/tenant_by_slug.sql"), &slug).await
}

pub async fn tenant_by_domain(tx: &Tx<'_>, domain: &str) -> Result<Option<Tenant>, DbError> {
    one_tenant(tx, include_str!("sql/tenant_by_domain.sql"), &domain).await
}

pub async fn tenant_by_id(tx: &Tx<'_>, id: Uuid) -> Result<Option<Tenant>, DbError> {
    one_tenant(tx, include_str!("sql/tenant_by_id.sql"), &id).await
}

/// The current transaction's brand and its theme.
pub struct ThemeRow {
    pub slug: String,
    pub name: String,
    pub currency: String,
    pub theme: Theme,
}

/// Every brand's id (a global read).
pub async fn tenant_ids(tx: &Tx<'_>) -> Result<Vec<Uuid>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/tenant_ids.sql"))
        .await?;
    tx.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
}

pub async fn storefront_theme(tx: &Tx<'_>) -> Result<Option<ThemeRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/storefront_theme.sql"))
        .await?;
    let Some(row) = tx.query_opt(&stmt, &[]).await? else {
        return Ok(None);
    };
    Ok(Some(ThemeRow {
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        currency: row.try_get("currency")?,
        // Stored themes were validated on write; a field added since gets its default
        // (`Theme` is `#[serde(default)]`); JSON that does not read back is corruption, an
        // error, never a silently blank theme.
        theme: row.try_get::<_, Json<Theme>>("theme")?.0,
    }))
}

pub struct NewTenantRow<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub sku_prefix: &'a str,
    pub currency: &'a str,
    pub theme: &'a Theme,
    pub features: serde_json::Value,
}

pub async fn insert_tenant(tx: &Tx<'_>, new: &NewTenantRow<'_>) -> Result<Tenant, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/insert_tenant.sql"))
        .await?;
    let row = tx
        .query_one(
            &stmt,
            &[
                &new.slug,
                &new.name,
                &new.sku_prefix,
                &new.currency,
                &Json(new.theme),
                &new.features,
            ],
        )
        .await?;
    tenant_from_row(&row)
}

pub async fn insert_domains(
    tx: &Tx<'_>,
    tenant_id: Uuid,
    domains: &[String],
) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/insert_domains.sql"))
        .await?;
    tx.execute(&stmt, &[&domains, &tenant_id]).await?;
    Ok(())
}

/// A brand as the admin API shows it.
pub struct BrandRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub sku_prefix: String,
    pub currency: String,
    pub theme: Theme,
    pub features: serde_json::Value,
    pub is_active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub domains: Vec<String>,
}

fn brand_from_row(r: &Row) -> Result<BrandRow, DbError> {
    Ok(BrandRow {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        name: r.try_get("name")?,
        sku_prefix: r.try_get("sku_prefix")?,
        currency: r.try_get("currency")?,
        theme: r.try_get::<_, Json<Theme>>("theme")?.0,
        features: r.try_get("features")?,
        is_active: r.try_get("is_active")?,
        created_at: r.try_get("created_at")?,
        domains: r.try_get("domains")?,
    })
}

/// Every brand (`slug = None`) or one.
pub async fn brand_details(tx: &Tx<'_>, slug: Option<&str>) -> Result<Vec<BrandRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/brand_details.sql"))
        .await?;
    tx.query(&stmt, &[&slug])
        .await?
        .iter()
        .map(brand_from_row)
        .collect()
}

/// The transaction's brand.
pub async fn current_brand(tx: &Tx<'_>) -> Result<Option<BrandRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/current_brand.sql"))
        .await?;
    tx.query_opt(&stmt, &[])
        .await?
        .as_ref()
        .map(brand_from_row)
        .transpose()
}

pub struct BrandUpdate {
    pub name: Option<String>,
    pub theme: Option<Theme>,
    pub features: Option<serde_json::Value>,
    pub is_active: Option<bool>,
}

pub async fn update_brand(tx: &Tx<'_>, id: Uuid, update: &BrandUpdate) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/update_brand.sql"))
        .await?;
    tx.execute(
        &stmt,
        &[
            &id,
            &update.name,
            &update.theme.as_ref().map(Json),
            &update.features,
            &update.is_active,
        ],
    )
    .await?;
    Ok(())
}

pub async fn replace_domains(tx: &Tx<'_>, id: Uuid, domains: &[String]) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/replace_domains.sql"))
        .await?;
    tx.execute(&stmt, &[&id, &domains]).await?;
    Ok(())
}
