//! The webhooks' statements. Every one runs in the brand's tenant transaction and carries the
//! brand's `tenant_id` as well (RLS stays the guarantee).

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::DeliveryStatus;
use crate::{
    db::{DbError, Tx},
    events::EventType,
};

/// An endpoint as staff see it (never the secret).
#[derive(Debug, Clone)]
pub struct EndpointRow {
    pub id: Uuid,
    pub url: String,
    pub event_types: Vec<EventType>,
    pub active: bool,
    pub consecutive_failures: i32,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EndpointRow {
    fn from_row(r: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: r.try_get("id")?,
            url: r.try_get("url")?,
            event_types: r.try_get("event_types")?,
            active: r.try_get("active")?,
            consecutive_failures: r.try_get("consecutive_failures")?,
            disabled_at: r.try_get("disabled_at")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// A delivery in an endpoint's log.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_seq: i64,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What one delivery attempt needs.
#[derive(Debug, Clone)]
pub struct Pending {
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub endpoint_id: Uuid,
    pub url: String,
    pub secret: String,
    pub active: bool,
    pub event_id: Uuid,
    pub seq: i64,
    pub event_type: EventType,
    pub subject: String,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Inserts an endpoint for the transaction's brand.
pub async fn insert_endpoint(
    tx: &Tx<'_>,
    url: &str,
    types: &[EventType],
    secret: &str,
) -> Result<EndpointRow, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/insert_endpoint.sql"))
        .await?;
    EndpointRow::from_row(
        &tx.query_one(&stmt, &[tx.tenant(), &url, &types, &secret])
            .await?,
    )
}

/// The brand's endpoints.
pub async fn list_endpoints(tx: &Tx<'_>, tenant: Uuid) -> Result<Vec<EndpointRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/list_endpoints.sql"))
        .await?;
    tx.query(&stmt, &[&tenant])
        .await?
        .iter()
        .map(EndpointRow::from_row)
        .collect()
}

/// One endpoint of the brand.
pub async fn get_endpoint(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<EndpointRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/get_endpoint.sql"))
        .await?;
    tx.query_opt(&stmt, &[&tenant, &id])
        .await?
        .as_ref()
        .map(EndpointRow::from_row)
        .transpose()
}

/// Changes an endpoint (`None` keeps a field).
pub async fn update_endpoint(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
    url: Option<&str>,
    types: Option<&[EventType]>,
    active: Option<bool>,
) -> Result<Option<EndpointRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/update_endpoint.sql"))
        .await?;
    tx.query_opt(&stmt, &[&tenant, &id, &url, &types, &active])
        .await?
        .as_ref()
        .map(EndpointRow::from_row)
        .transpose()
}

/// Replaces an endpoint's secret.
pub async fn rotate_secret(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
    secret: &str,
) -> Result<Option<EndpointRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/rotate_secret.sql"))
        .await?;
    tx.query_opt(&stmt, &[&tenant, &id, &secret])
        .await?
        .as_ref()
        .map(EndpointRow::from_row)
        .transpose()
}

/// Deletes an endpoint and its deliveries; false when the brand has no such endpoint.
pub async fn delete_endpoint(tx: &Tx<'_>, tenant: Uuid, id: Uuid) -> Result<bool, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/delete_endpoint.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[&tenant, &id]).await? > 0)
}

/// An endpoint's latest deliveries.
pub async fn list_deliveries(
    tx: &Tx<'_>,
    tenant: Uuid,
    endpoint: Uuid,
    limit: i64,
) -> Result<Vec<DeliveryRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/list_deliveries.sql"))
        .await?;
    tx.query(&stmt, &[&tenant, &endpoint, &limit])
        .await?
        .iter()
        .map(|r| {
            Ok(DeliveryRow {
                id: r.try_get("id")?,
                endpoint_id: r.try_get("endpoint_id")?,
                event_id: r.try_get("event_id")?,
                event_seq: r.try_get("event_seq")?,
                event_type: r.try_get("event_type")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                last_status_code: r.try_get("last_status_code")?,
                last_error: r.try_get("last_error")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
                delivered_at: r.try_get("delivered_at")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

/// Puts a delivery back to pending; false when the endpoint has no such delivery.
pub async fn redeliver(
    tx: &Tx<'_>,
    tenant: Uuid,
    endpoint: Uuid,
    delivery: Uuid,
) -> Result<bool, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/redeliver.sql")).await?;
    Ok(tx
        .query_opt(&stmt, &[&tenant, &endpoint, &delivery])
        .await?
        .is_some())
}

/// A delivery with its endpoint and event, for an attempt.
pub async fn load_delivery(
    tx: &Tx<'_>,
    tenant: Uuid,
    delivery: Uuid,
) -> Result<Option<Pending>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/load_delivery.sql"))
        .await?;
    let Some(r) = tx.query_opt(&stmt, &[&tenant, &delivery]).await? else {
        return Ok(None);
    };
    Ok(Some(Pending {
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        endpoint_id: r.try_get("endpoint_id")?,
        url: r.try_get("url")?,
        secret: r.try_get("secret")?,
        active: r.try_get("active")?,
        event_id: r.try_get("event_id")?,
        seq: r.try_get("seq")?,
        event_type: r.try_get("type")?,
        subject: r.try_get("subject")?,
        payload: r.try_get("payload")?,
        created_at: r.try_get("created_at")?,
    }))
}

/// Records an attempt's outcome; `None` when the delivery is no longer pending.
pub async fn record_attempt(
    tx: &Tx<'_>,
    tenant: Uuid,
    delivery: Uuid,
    status: DeliveryStatus,
    code: Option<i32>,
    error: Option<&str>,
    retry_in_secs: Option<f64>,
) -> Result<Option<i32>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/record_attempt.sql"))
        .await?;
    tx.query_opt(
        &stmt,
        &[&tenant, &delivery, &status, &code, &error, &retry_in_secs],
    )
    .await?
    .map(|r| r.try_get("attempts"))
    .transpose()
    .map_err(Into::into)
}

/// After a delivery failed for good: the endpoint's URL, its run of failures, and whether this
/// failure disabled it.
pub struct Failed {
    pub url: String,
    pub consecutive_failures: i32,
    pub just_disabled: bool,
}

/// Counts a failed delivery against its endpoint, disabling it at `disable_after`.
pub async fn endpoint_failed(
    tx: &Tx<'_>,
    tenant: Uuid,
    endpoint: Uuid,
    disable_after: i32,
) -> Result<Option<Failed>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/endpoint_failed.sql"))
        .await?;
    let Some(r) = tx
        .query_opt(&stmt, &[&tenant, &endpoint, &disable_after])
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Failed {
        url: r.try_get("url")?,
        consecutive_failures: r.try_get("consecutive_failures")?,
        just_disabled: r.try_get("just_disabled")?,
    }))
}

/// Ends the endpoint's run of failures.
pub async fn endpoint_succeeded(tx: &Tx<'_>, tenant: Uuid, endpoint: Uuid) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/endpoint_succeeded.sql"))
        .await?;
    tx.execute(&stmt, &[&tenant, &endpoint]).await?;
    Ok(())
}

/// Deletes the brand's finished deliveries older than `older_than_secs`; returns how many.
pub async fn prune(tx: &Tx<'_>, tenant: Uuid, older_than_secs: f64) -> Result<u64, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/prune.sql")).await?;
    Ok(tx.execute(&stmt, &[&tenant, &older_than_secs]).await?)
}
