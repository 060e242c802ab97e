//! Notification SQL. Every function takes the tenant transaction; the statements also name the
//! transaction's brand (`tenant_id = $1`, bound from `tx.tenant()`), and row-level security
//! stays the guarantee.

use uuid::Uuid;

use super::{NotificationEvent, NotificationStatus};
use crate::{
    db::{DbError, Tx},
    orders::status::OrderStatus,
};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// A brand's notification settings as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsRow {
    pub paid_enabled: bool,
    pub paid_template: Option<String>,
    pub shipped_enabled: bool,
    pub shipped_template: Option<String>,
    pub template_languages: Vec<String>,
    pub default_template_language: String,
}

impl Default for SettingsRow {
    /// What a brand that never saved settings has (the column defaults of V23): nothing sent.
    fn default() -> Self {
        Self {
            paid_enabled: false,
            paid_template: None,
            shipped_enabled: false,
            shipped_template: None,
            template_languages: vec!["en_US".to_owned()],
            default_template_language: "en_US".to_owned(),
        }
    }
}

fn settings_row(r: &tokio_postgres::Row) -> Result<SettingsRow, DbError> {
    Ok(SettingsRow {
        paid_enabled: r.try_get("paid_enabled")?,
        paid_template: r.try_get("paid_template")?,
        shipped_enabled: r.try_get("shipped_enabled")?,
        shipped_template: r.try_get("shipped_template")?,
        template_languages: r.try_get("template_languages")?,
        default_template_language: r.try_get("default_template_language")?,
    })
}

/// The brand's settings, or the defaults.
pub async fn settings(tx: &Tx<'_>) -> Result<SettingsRow, DbError> {
    let stmt = stmt!(tx, "settings.sql");
    match tx.query_opt(&stmt, &[tx.tenant()]).await? {
        Some(r) => settings_row(&r),
        None => Ok(SettingsRow::default()),
    }
}

/// The brand's settings, locked until the transaction ends (when there is a row).
pub async fn settings_for_update(tx: &Tx<'_>) -> Result<SettingsRow, DbError> {
    let stmt = stmt!(tx, "settings_for_update.sql");
    match tx.query_opt(&stmt, &[tx.tenant()]).await? {
        Some(r) => settings_row(&r),
        None => Ok(SettingsRow::default()),
    }
}

/// Writes the whole settings row.
pub async fn upsert_settings(tx: &Tx<'_>, s: &SettingsRow) -> Result<(), DbError> {
    let stmt = stmt!(tx, "upsert_settings.sql");
    tx.execute(
        &stmt,
        &[
            tx.tenant(),
            &s.paid_enabled,
            &s.paid_template,
            &s.shipped_enabled,
            &s.shipped_template,
            &s.template_languages,
            &s.default_template_language,
        ],
    )
    .await?;
    Ok(())
}

/// Whether the brand sends `event` and the order has a phone to send it to.
pub async fn wanted(
    tx: &Tx<'_>,
    order_id: Uuid,
    event: NotificationEvent,
) -> Result<bool, DbError> {
    let stmt = stmt!(tx, "wanted.sql");
    Ok(
        match tx
            .query_opt(&stmt, &[tx.tenant(), &order_id, &event])
            .await?
        {
            Some(r) => r.try_get("wanted")?,
            None => false,
        },
    )
}

/// Who to tell about an order, and the language known for them.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub number: i32,
    pub status: OrderStatus,
    pub phone: Option<String>,
    /// The customer's conversation language or preferred language (ISO 639-1), if known.
    pub language: Option<String>,
}

pub async fn recipient(tx: &Tx<'_>, order_id: Uuid) -> Result<Option<Recipient>, DbError> {
    let stmt = stmt!(tx, "recipient.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &order_id])
        .await?
        .map(|r| {
            Ok(Recipient {
                number: r.try_get("number")?,
                status: r.try_get("status")?,
                phone: r.try_get("customer_phone")?,
                language: r.try_get("language")?,
            })
        })
        .transpose()
}

/// A notification taken for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub template: String,
    pub language: String,
}

/// Records the notification (once per order and event) and takes it for sending if it is
/// pending. `Err(status)`: not taken, and why (sending, sent or failed already).
pub async fn claim(
    tx: &Tx<'_>,
    order_id: Uuid,
    event: NotificationEvent,
    template: &str,
    language: &str,
) -> Result<Result<Claimed, NotificationStatus>, DbError> {
    let insert = stmt!(tx, "insert_notification.sql");
    tx.execute(
        &insert,
        &[tx.tenant(), &order_id, &event, &template, &language],
    )
    .await?;
    let claim = stmt!(tx, "claim_notification.sql");
    if let Some(r) = tx
        .query_opt(&claim, &[tx.tenant(), &order_id, &event])
        .await?
    {
        return Ok(Ok(Claimed {
            id: r.try_get("id")?,
            template: r.try_get("template")?,
            language: r.try_get("language")?,
        }));
    }
    let status = stmt!(tx, "notification_status.sql");
    Ok(Err(tx
        .query_one(&status, &[tx.tenant(), &order_id, &event])
        .await?
        .try_get("status")?))
}

pub async fn mark_sent(tx: &Tx<'_>, id: Uuid, wamid: &str) -> Result<(), DbError> {
    let stmt = stmt!(tx, "mark_sent.sql");
    tx.execute(&stmt, &[tx.tenant(), &id, &wamid]).await?;
    Ok(())
}

pub async fn mark_failed(
    tx: &Tx<'_>,
    id: Uuid,
    code: Option<i64>,
    title: &str,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "mark_failed.sql");
    tx.execute(&stmt, &[tx.tenant(), &id, &code, &title])
        .await?;
    Ok(())
}

/// Puts a notification whose send failed in a way worth retrying back to pending.
pub async fn release(tx: &Tx<'_>, id: Uuid, code: Option<i64>, title: &str) -> Result<(), DbError> {
    let stmt = stmt!(tx, "release_notification.sql");
    tx.execute(&stmt, &[tx.tenant(), &id, &code, &title])
        .await?;
    Ok(())
}
