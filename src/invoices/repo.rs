//! Invoice SQL. Every function takes the tenant transaction and the brand's id, which every
//! statement names (`tenant_id = $1`); row-level security stays the guarantee.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{
    InvoiceStatus,
    pdf::{Address, InvoiceLine},
};
use crate::db::{DbError, Tx};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// The brand's invoice details as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsRow {
    pub legal_name: Option<String>,
    pub address_lines: Vec<String>,
    pub tax_id: Option<String>,
    pub logo_key: Option<String>,
}

fn settings_row(r: &Row) -> Result<SettingsRow, DbError> {
    Ok(SettingsRow {
        legal_name: r.try_get("legal_name")?,
        address_lines: r.try_get("address_lines")?,
        tax_id: r.try_get("tax_id")?,
        logo_key: r.try_get("logo_key")?,
    })
}

/// The brand's details, or the defaults (none set).
pub async fn settings(tx: &Tx<'_>, tenant: Uuid) -> Result<SettingsRow, DbError> {
    let stmt = stmt!(tx, "settings.sql");
    match tx.query_opt(&stmt, &[&tenant]).await? {
        Some(r) => settings_row(&r),
        None => Ok(SettingsRow::default()),
    }
}

/// The brand's details, locked until the transaction ends (when there is a row).
pub async fn settings_for_update(tx: &Tx<'_>, tenant: Uuid) -> Result<SettingsRow, DbError> {
    let stmt = stmt!(tx, "settings_for_update.sql");
    match tx.query_opt(&stmt, &[&tenant]).await? {
        Some(r) => settings_row(&r),
        None => Ok(SettingsRow::default()),
    }
}

/// Writes the whole details row.
pub async fn upsert_settings(tx: &Tx<'_>, tenant: Uuid, s: &SettingsRow) -> Result<(), DbError> {
    let stmt = stmt!(tx, "upsert_settings.sql");
    tx.execute(
        &stmt,
        &[
            &tenant,
            &s.legal_name,
            &s.address_lines,
            &s.tax_id,
            &s.logo_key,
        ],
    )
    .await?;
    Ok(())
}

/// An order as its invoice shows it (`sql/invoice_source.sql`).
#[derive(Debug, Clone)]
pub struct Source {
    pub order_number: i32,
    pub currency: String,
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    /// The promotions' discount (lines and shipping), as the checkout stored it.
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub prices_include_tax: bool,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub shipping_method: Option<String>,
    pub lines: Vec<SourceLine>,
}

/// An order line as its invoice prints it, with what a credit note needs besides.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SourceLine {
    /// The order line's id (refund lines name it).
    pub id: Uuid,
    /// What the line cost the customer, tax included, after its discount.
    pub charged_minor: i64,
    #[serde(flatten)]
    pub line: InvoiceLine,
}

/// A JSON column read into `T`; a document of another shape is an error, never a default.
fn json_column<T: serde::de::DeserializeOwned>(
    r: &Row,
    column: &str,
) -> Result<Option<T>, DbError> {
    let value: Option<tokio_postgres::types::Json<T>> = r.try_get(column)?;
    Ok(value.map(|v| v.0))
}

/// The order's invoice source, if the brand has the order.
pub async fn source(tx: &Tx<'_>, tenant: Uuid, order_id: Uuid) -> Result<Option<Source>, DbError> {
    let stmt = stmt!(tx, "invoice_source.sql");
    let Some(r) = tx.query_opt(&stmt, &[&tenant, &order_id]).await? else {
        return Ok(None);
    };
    Ok(Some(Source {
        order_number: r.try_get("number")?,
        currency: r.try_get("currency")?,
        customer_name: r.try_get("customer_name")?,
        customer_email: r.try_get("customer_email")?,
        subtotal_minor: r.try_get("subtotal_minor")?,
        shipping_minor: r.try_get("shipping_minor")?,
        discount_minor: r.try_get("discount_minor")?,
        tax_minor: r.try_get("tax_minor")?,
        total_minor: r.try_get("total_minor")?,
        prices_include_tax: r.try_get("prices_include_tax")?,
        shipping_address: json_column(&r, "shipping_address")?,
        billing_address: json_column(&r, "billing_address")?,
        shipping_method: r.try_get("shipping_method_name")?,
        lines: json_column(&r, "lines")?.unwrap_or_default(),
    }))
}

/// A number series of a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Invoice,
    CreditNote,
}

impl Series {
    fn as_str(self) -> &'static str {
        match self {
            Series::Invoice => "invoice",
            Series::CreditNote => "credit_note",
        }
    }
}

/// The next number of the brand's `series` and the time it was taken; the counter row stays
/// locked until the transaction ends.
pub async fn next_number(
    tx: &Tx<'_>,
    tenant: Uuid,
    series: Series,
) -> Result<(i64, DateTime<Utc>), DbError> {
    let stmt = stmt!(tx, "next_number.sql");
    let r = tx.query_one(&stmt, &[&tenant, &series.as_str()]).await?;
    Ok((r.try_get("number")?, r.try_get("issued_at")?))
}

/// The id and number of the order's invoice, if it has one.
pub async fn invoice_for_order(
    tx: &Tx<'_>,
    tenant: Uuid,
    order_id: Uuid,
) -> Result<Option<(Uuid, i64)>, DbError> {
    let stmt = stmt!(tx, "invoice_for_order.sql");
    tx.query_opt(&stmt, &[&tenant, &order_id])
        .await?
        .map(|r| Ok((r.try_get("id")?, r.try_get("number")?)))
        .transpose()
}

/// A new invoice (pending).
pub struct NewInvoice<'a> {
    pub number: i64,
    pub order_id: Uuid,
    pub issued_at: DateTime<Utc>,
    pub currency: &'a str,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub object_key: &'a str,
}

pub async fn insert_invoice(
    tx: &Tx<'_>,
    tenant: Uuid,
    new: &NewInvoice<'_>,
) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "insert_invoice.sql");
    Ok(tx
        .query_one(
            &stmt,
            &[
                &tenant,
                &new.number,
                &new.order_id,
                &new.issued_at,
                &new.currency,
                &new.subtotal_minor,
                &new.shipping_minor,
                &new.tax_minor,
                &new.total_minor,
                &new.object_key,
                &new.discount_minor,
            ],
        )
        .await?
        .try_get("id")?)
}

/// An invoice as the render job reads it.
#[derive(Debug, Clone)]
pub struct InvoiceRow {
    pub number: i64,
    pub order_id: Uuid,
    pub issued_at: DateTime<Utc>,
    pub currency: String,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub object_key: String,
    pub status: InvoiceStatus,
}

pub async fn invoice(tx: &Tx<'_>, tenant: Uuid, id: Uuid) -> Result<Option<InvoiceRow>, DbError> {
    let stmt = stmt!(tx, "invoice.sql");
    tx.query_opt(&stmt, &[&tenant, &id])
        .await?
        .map(|r| {
            Ok(InvoiceRow {
                number: r.try_get("number")?,
                order_id: r.try_get("order_id")?,
                issued_at: r.try_get("issued_at")?,
                currency: r.try_get("currency")?,
                subtotal_minor: r.try_get("subtotal_minor")?,
                discount_minor: r.try_get("discount_minor")?,
                shipping_minor: r.try_get("shipping_minor")?,
                tax_minor: r.try_get("tax_minor")?,
                total_minor: r.try_get("total_minor")?,
                object_key: r.try_get("object_key")?,
                status: r.try_get("status")?,
            })
        })
        .transpose()
}

/// Marks the invoice rendered (once).
pub async fn mark_rendered(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
    size_bytes: i32,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "mark_rendered.sql");
    tx.execute(&stmt, &[&tenant, &id, &size_bytes]).await?;
    Ok(())
}

/// What a download needs.
#[derive(Debug, Clone)]
pub struct DownloadRow {
    pub number: i64,
    pub status: InvoiceStatus,
    pub object_key: String,
    pub order_created_at: DateTime<Utc>,
}

/// The invoice of the order with `number` or `order_id` (exactly one given).
pub async fn download(
    tx: &Tx<'_>,
    tenant: Uuid,
    number: Option<i32>,
    order_id: Option<Uuid>,
) -> Result<Option<DownloadRow>, DbError> {
    let stmt = stmt!(tx, "download.sql");
    tx.query_opt(&stmt, &[&tenant, &number, &order_id])
        .await?
        .map(|r| {
            Ok(DownloadRow {
                number: r.try_get("number")?,
                status: r.try_get("status")?,
                object_key: r.try_get("object_key")?,
                order_created_at: r.try_get("order_created_at")?,
            })
        })
        .transpose()
}

/// The credit note of order `number` or `order_id` (exactly one given) with number
/// `credit_note`.
pub async fn credit_note_download(
    tx: &Tx<'_>,
    tenant: Uuid,
    number: Option<i32>,
    order_id: Option<Uuid>,
    credit_note: i64,
) -> Result<Option<DownloadRow>, DbError> {
    let stmt = stmt!(tx, "credit_note_download.sql");
    tx.query_opt(&stmt, &[&tenant, &number, &order_id, &credit_note])
        .await?
        .map(|r| {
            Ok(DownloadRow {
                number: r.try_get("number")?,
                status: r.try_get("status")?,
                object_key: r.try_get("object_key")?,
                order_created_at: r.try_get("order_created_at")?,
            })
        })
        .transpose()
}

/// The id of the order `number` or `order_id` (exactly one given) and when it was placed.
pub async fn order_ref(
    tx: &Tx<'_>,
    tenant: Uuid,
    number: Option<i32>,
    order_id: Option<Uuid>,
) -> Result<Option<(Uuid, DateTime<Utc>)>, DbError> {
    let stmt = stmt!(tx, "order_ref.sql");
    tx.query_opt(&stmt, &[&tenant, &number, &order_id])
        .await?
        .map(|r| Ok((r.try_get("id")?, r.try_get("created_at")?)))
        .transpose()
}

/// A credit note as stored, with the number of the invoice it corrects.
#[derive(Debug, Clone)]
pub struct CreditNoteRow {
    pub number: i64,
    pub invoice_number: i64,
    pub refund_id: Uuid,
    pub issued_at: DateTime<Utc>,
    pub currency: String,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub object_key: String,
    pub status: InvoiceStatus,
}

fn credit_note_row(r: &Row) -> Result<CreditNoteRow, DbError> {
    Ok(CreditNoteRow {
        number: r.try_get("number")?,
        invoice_number: r.try_get("invoice_number")?,
        refund_id: r.try_get("refund_id")?,
        issued_at: r.try_get("issued_at")?,
        currency: r.try_get("currency")?,
        subtotal_minor: r.try_get("subtotal_minor")?,
        shipping_minor: r.try_get("shipping_minor")?,
        tax_minor: r.try_get("tax_minor")?,
        total_minor: r.try_get("total_minor")?,
        object_key: r.try_get("object_key")?,
        status: r.try_get("status")?,
    })
}

/// An order's credit notes, in number order.
pub async fn order_credit_notes(
    tx: &Tx<'_>,
    tenant: Uuid,
    order_id: Uuid,
) -> Result<Vec<CreditNoteRow>, DbError> {
    let stmt = stmt!(tx, "order_credit_notes.sql");
    tx.query(&stmt, &[&tenant, &order_id])
        .await?
        .iter()
        .map(credit_note_row)
        .collect()
}

/// One credit note of the brand and its order's id, as the render job reads it.
pub async fn credit_note(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<(CreditNoteRow, Uuid)>, DbError> {
    let stmt = stmt!(tx, "credit_note.sql");
    tx.query_opt(&stmt, &[&tenant, &id])
        .await?
        .map(|r| Ok((credit_note_row(&r)?, r.try_get("order_id")?)))
        .transpose()
}

/// The id and number of the refund's credit note, if it has one.
pub async fn credit_note_for_refund(
    tx: &Tx<'_>,
    tenant: Uuid,
    refund_id: Uuid,
) -> Result<Option<(Uuid, i64)>, DbError> {
    let stmt = stmt!(tx, "credit_note_for_refund.sql");
    tx.query_opt(&stmt, &[&tenant, &refund_id])
        .await?
        .map(|r| Ok((r.try_get("id")?, r.try_get("number")?)))
        .transpose()
}

/// A new credit note (pending).
pub struct NewCreditNote<'a> {
    pub number: i64,
    pub invoice_id: Uuid,
    pub order_id: Uuid,
    pub refund_id: Uuid,
    pub issued_at: DateTime<Utc>,
    pub currency: &'a str,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub object_key: &'a str,
}

pub async fn insert_credit_note(
    tx: &Tx<'_>,
    tenant: Uuid,
    new: &NewCreditNote<'_>,
) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "insert_credit_note.sql");
    Ok(tx
        .query_one(
            &stmt,
            &[
                &tenant,
                &new.number,
                &new.invoice_id,
                &new.order_id,
                &new.refund_id,
                &new.issued_at,
                &new.currency,
                &new.subtotal_minor,
                &new.shipping_minor,
                &new.tax_minor,
                &new.total_minor,
                &new.object_key,
            ],
        )
        .await?
        .try_get("id")?)
}

/// Marks the credit note rendered (once).
pub async fn mark_credit_note_rendered(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
    size_bytes: i32,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "mark_credit_note_rendered.sql");
    tx.execute(&stmt, &[&tenant, &id, &size_bytes]).await?;
    Ok(())
}

/// Units of an order line a refund pays back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct RefundedLine {
    pub order_line_id: Uuid,
    pub quantity: i32,
    /// Their share of the line's total, tax included.
    pub amount_minor: i64,
}

/// What a refund credits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundFacts {
    pub order_id: Uuid,
    pub status: String,
    pub currency: String,
    pub amount_minor: i64,
    /// The shipping's part, tax included.
    pub shipping_minor: i64,
    pub free_minor: i64,
    pub lines: Vec<RefundedLine>,
}

/// The refund `id` of the brand, as its credit note reads it.
pub async fn refund(tx: &Tx<'_>, tenant: Uuid, id: Uuid) -> Result<Option<RefundFacts>, DbError> {
    let stmt = stmt!(tx, "credit_note_refund.sql");
    let Some(r) = tx.query_opt(&stmt, &[&tenant, &id]).await? else {
        return Ok(None);
    };
    Ok(Some(RefundFacts {
        order_id: r.try_get("order_id")?,
        status: r.try_get("status")?,
        currency: r.try_get("currency")?,
        amount_minor: r.try_get("amount_minor")?,
        shipping_minor: r.try_get("shipping_minor")?,
        free_minor: r.try_get("free_minor")?,
        lines: json_column(&r, "lines")?.unwrap_or_default(),
    }))
}
