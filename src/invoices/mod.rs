//! Invoices and credit notes: every paid order gets one invoice, and every confirmed refund of
//! it one credit note, each numbered in its brand's gapless series of its kind, rendered as a
//! PDF into the brand's object storage and downloaded by staff and by the customer.
//!
//! The flow, with the brand in the data at every step:
//! 1. The transaction that marks an order paid (the provider's callback or staff, both through
//!    `orders::payment::confirm`) calls [`issue`]: it takes the brand's next number from
//!    `app.invoice_counters` (the row stays locked until COMMIT, so concurrent payments take
//!    numbers in turn, and a rolled-back payment takes its number back with it: no gaps, no
//!    number given twice), records the invoice (`app.invoices`: number, order, issue time,
//!    totals, object key, `pending`) and queues a `render_invoice` job, all in that
//!    transaction.
//! 2. The job ([`service::render`]) reads the invoice, the order (`sql/invoice_source.sql`) and
//!    the brand's legal details in the brand's transaction, renders the PDF ([`pdf`]), stores
//!    it through [`MediaStore`](crate::media::MediaStore) at
//!    `{brand}/invoices/YYYY-MM/INV-{number}.pdf` (the key built from the scope:
//!    [`ObjectKey::invoice`](crate::media::store::ObjectKey::invoice)) and marks the invoice
//!    `rendered`. It is idempotent: a run again renders the same bytes to the same key.
//! 3. Downloads ([`service::download`]): staff by order number (`customers.read`: the invoice
//!    names the customer), the customer by order id with the order token; bytes on a local
//!    store, a presigned URL on S3.
//! 4. Credit notes ([`credit_notes`]): the transaction that confirms a refund of an invoiced
//!    order (the provider's `refunded` callback, also for the refund of a cancelled paid order)
//!    issues one in the brand's `credit_note` series of `app.invoice_counters` (gapless the same
//!    way), recorded in `app.credit_notes` with the invoice it corrects, and queues a
//!    `render_credit_note` job. The job renders it with [`pdf`] (another title, `CN-{number}`,
//!    the invoice's number) through the same store-and-mark path, at
//!    `{brand}/credit-notes/YYYY-MM/CN-{number}.pdf`
//!    ([`ObjectKey::credit_note`](crate::media::store::ObjectKey::credit_note)); staff and the
//!    customer list and download them as they download the invoice.
//!
//! # Layout
//! - [`pdf`]: the document and its rendering (pure). [`service`]: settings, the job, downloads.
//!   [`credit_notes`]: what a refund credits (pure), issuing, the credit-note job, the listing.
//! - [`repo`] and `sql/`: the statements. [`api`]: the endpoints.

pub mod api;
pub mod credit_notes;
pub mod pdf;
pub(crate) mod repo;
pub mod service;

use chrono::Utc;
use uuid::Uuid;

use crate::{
    db::{DbError, Tx},
    error::{ApiError, FieldError},
    jobs::{self, JobKind},
    media::store::{ObjectKey, StorageError},
    scope::TenantScope,
    types::enums::text_enum,
};

text_enum! {
    /// Where an invoice's PDF is.
    pub enum InvoiceStatus("InvoiceStatus") {
        /// Issued; the render job has not stored the PDF yet.
        Pending = "pending",
        /// The PDF is stored and can be downloaded.
        Rendered = "rendered",
    }
}

/// The invoice service's errors.
#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    /// 422 naming every invalid field.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// 404: no such order, or it has no invoice (it was never paid).
    #[error("{0}")]
    NotFound(&'static str),
    /// 409 `invoice-not-ready`: issued, the PDF not stored yet.
    #[error("the invoice is being rendered")]
    NotReady,
    /// 500: object storage failed or a stored key is not the brand's.
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// How long a client waits before asking again for an invoice being rendered.
pub const RETRY_AFTER_SECS: u64 = 2;

impl From<InvoiceError> for ApiError {
    fn from(e: InvoiceError) -> Self {
        match e {
            InvoiceError::Invalid(errors) => ApiError::invalid(errors),
            InvoiceError::NotFound(what) => ApiError::not_found(what),
            InvoiceError::NotReady => ApiError::invoice_not_ready(
                "the invoice was issued and its PDF is being rendered; try again shortly",
                RETRY_AFTER_SECS,
            ),
            InvoiceError::Storage(s) => ApiError::internal(s),
            InvoiceError::Db(db) => db.into(),
        }
    }
}

/// The job's ref: the invoice id.
pub fn job_ref(invoice_id: Uuid) -> String {
    invoice_id.to_string()
}

/// What [`issue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issued {
    pub invoice_id: Uuid,
    pub number: i64,
}

/// Issues the invoice of an order inside the transaction that marks it paid (call it after the
/// order row is locked and before the order's business event): the brand's next number, the
/// invoice row with its totals and object key, and the `render_invoice` job. An order that has
/// an invoice keeps it (no new number); `None` when the brand has no such order. Errors roll the
/// payment back with the number.
pub async fn issue(
    tx: &Tx<'_>,
    scope: &TenantScope,
    order_id: Uuid,
) -> Result<Option<Issued>, DbError> {
    let tenant = scope.tenant_id();
    if let Some((invoice_id, number)) = repo::invoice_for_order(tx, tenant, order_id).await? {
        return Ok(Some(Issued { invoice_id, number }));
    }
    // The totals first: an order the brand does not have takes no number.
    let Some(source) = repo::source(tx, tenant, order_id).await? else {
        return Ok(None);
    };
    let (number, issued_at) = repo::next_number(tx, tenant, repo::Series::Invoice).await?;
    let key = ObjectKey::invoice(scope, number, issued_at);
    let invoice_id = repo::insert_invoice(
        tx,
        tenant,
        &repo::NewInvoice {
            number,
            order_id,
            issued_at,
            currency: &source.currency,
            subtotal_minor: source.subtotal_minor,
            discount_minor: source.discount_minor,
            shipping_minor: source.shipping_minor,
            tax_minor: source.tax_minor,
            total_minor: source.total_minor,
            object_key: key.as_str(),
        },
    )
    .await?;
    jobs::enqueue(tx, JobKind::RenderInvoice, &job_ref(invoice_id), Utc::now()).await?;
    Ok(Some(Issued { invoice_id, number }))
}
