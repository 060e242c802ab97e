//! The delivery statements. Every one runs in the brand's tenant transaction and carries the
//! brand's `tenant_id` as well (RLS stays the guarantee).

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{RateBasis, TaxClass, pricing::Band};
use crate::db::{DbError, Tx};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// A shipping method as stored.
#[derive(Debug, Clone)]
pub struct MethodRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub countries: Vec<String>,
    pub rate_basis: RateBasis,
    pub bands: Vec<Band>,
    pub free_over_minor: Option<i64>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MethodRow {
    fn from_row(r: &Row) -> Result<Self, DbError> {
        let bands: serde_json::Value = r.try_get("bands")?;
        Ok(Self {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            countries: r.try_get("countries")?,
            rate_basis: r.try_get("rate_basis")?,
            // Written only by this module from checked bands; a document that is not one
            // reads as no bands (the method then prices nothing), never as a failure.
            bands: serde_json::from_value(bands).unwrap_or_default(),
            free_over_minor: r.try_get("free_over_minor")?,
            active: r.try_get("active")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

fn methods(rows: &[Row]) -> Result<Vec<MethodRow>, DbError> {
    rows.iter().map(MethodRow::from_row).collect()
}

pub async fn list_methods(tx: &Tx<'_>, tenant: Uuid) -> Result<Vec<MethodRow>, DbError> {
    let stmt = stmt!(tx, "list_methods.sql");
    methods(&tx.query(&stmt, &[&tenant]).await?)
}

pub async fn active_methods(tx: &Tx<'_>, tenant: Uuid) -> Result<Vec<MethodRow>, DbError> {
    let stmt = stmt!(tx, "active_methods.sql");
    methods(&tx.query(&stmt, &[&tenant]).await?)
}

pub async fn get_method(
    tx: &Tx<'_>,
    tenant: Uuid,
    code: &str,
) -> Result<Option<MethodRow>, DbError> {
    let stmt = stmt!(tx, "get_method.sql");
    tx.query_opt(&stmt, &[&tenant, &code])
        .await?
        .as_ref()
        .map(MethodRow::from_row)
        .transpose()
}

/// A method to insert, or the fields of a change (`None` keeps a field).
pub struct MethodFields<'a> {
    pub name: Option<&'a str>,
    pub countries: Option<&'a [String]>,
    pub rate_basis: Option<RateBasis>,
    pub bands: Option<serde_json::Value>,
    /// `Some(v)` sets the threshold to `v` (`None` removes it).
    pub free_over_minor: Option<Option<i64>>,
    pub active: Option<bool>,
}

pub async fn insert_method(
    tx: &Tx<'_>,
    code: &str,
    f: &MethodFields<'_>,
) -> Result<MethodRow, DbError> {
    let stmt = stmt!(tx, "insert_method.sql");
    let row = tx
        .query_one(
            &stmt,
            &[
                tx.tenant(),
                &code,
                &f.name,
                &f.countries,
                &f.rate_basis,
                &f.bands,
                &f.free_over_minor.flatten(),
                &f.active.unwrap_or(true),
            ],
        )
        .await?;
    MethodRow::from_row(&row)
}

pub async fn update_method(
    tx: &Tx<'_>,
    tenant: Uuid,
    code: &str,
    f: &MethodFields<'_>,
) -> Result<Option<MethodRow>, DbError> {
    let stmt = stmt!(tx, "update_method.sql");
    tx.query_opt(
        &stmt,
        &[
            &tenant,
            &code,
            &f.name,
            &f.countries,
            &f.rate_basis,
            &f.bands,
            &f.free_over_minor.flatten(),
            &f.active,
            &f.free_over_minor.is_some(),
        ],
    )
    .await?
    .as_ref()
    .map(MethodRow::from_row)
    .transpose()
}

/// Deletes a method; whether one was deleted.
pub async fn delete_method(tx: &Tx<'_>, tenant: Uuid, code: &str) -> Result<bool, DbError> {
    let stmt = stmt!(tx, "delete_method.sql");
    Ok(tx.execute(&stmt, &[&tenant, &code]).await? > 0)
}

/// A tax rate as stored.
#[derive(Debug, Clone)]
pub struct RateRow {
    pub country: String,
    pub tax_class: TaxClass,
    pub rate_bp: i32,
    pub updated_at: DateTime<Utc>,
}

fn rate_from_row(r: &Row) -> Result<RateRow, DbError> {
    Ok(RateRow {
        country: r.try_get("country")?,
        tax_class: r.try_get("tax_class")?,
        rate_bp: r.try_get("rate_bp")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn list_rates(tx: &Tx<'_>, tenant: Uuid) -> Result<Vec<RateRow>, DbError> {
    let stmt = stmt!(tx, "list_rates.sql");
    tx.query(&stmt, &[&tenant])
        .await?
        .iter()
        .map(rate_from_row)
        .collect()
}

/// The brand's rates by class in a checkout's tax country: `ship_to`, else the brand's
/// `tax_origin_country`.
pub async fn checkout_rates(
    tx: &Tx<'_>,
    tenant: Uuid,
    ship_to: Option<&str>,
) -> Result<Vec<(TaxClass, i32)>, DbError> {
    let stmt = stmt!(tx, "checkout_rates.sql");
    tx.query(&stmt, &[&tenant, &ship_to])
        .await?
        .iter()
        .map(|r| Ok((r.try_get("tax_class")?, r.try_get("rate_bp")?)))
        .collect()
}

pub async fn upsert_rate(
    tx: &Tx<'_>,
    tenant: Uuid,
    country: &str,
    class: TaxClass,
    rate_bp: i32,
) -> Result<Option<RateRow>, DbError> {
    let stmt = stmt!(tx, "upsert_rate.sql");
    tx.query_opt(&stmt, &[&tenant, &country, &class, &rate_bp])
        .await?
        .as_ref()
        .map(rate_from_row)
        .transpose()
}

/// Deletes a rate; whether one was deleted.
pub async fn delete_rate(
    tx: &Tx<'_>,
    tenant: Uuid,
    country: &str,
    class: TaxClass,
) -> Result<bool, DbError> {
    let stmt = stmt!(tx, "delete_rate.sql");
    Ok(tx.execute(&stmt, &[&tenant, &country, &class]).await? > 0)
}
