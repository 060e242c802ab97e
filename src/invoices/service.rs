//! The brand's invoice details (read, validated change), the job that renders and stores an
//! invoice's PDF, and downloads.

use bytes::Bytes;
use chrono::Utc;
use uuid::Uuid;

pub use super::repo::SettingsRow as Settings;
use super::{
    InvoiceError, InvoiceStatus,
    pdf::{self, Buyer, DocumentKind, InvoiceDocument, Logo, Seller},
    repo,
};
use crate::{
    audit,
    db::{Db, DbError},
    error::{FieldError, FieldErrors as _},
    jobs::JobError,
    media::{
        MediaStore,
        store::{ObjectKey, StorageError},
    },
    orders::token::OrderTokens,
    scope::TenantScope,
    types::Text,
};

/// What the job and the endpoints need: the API role's pool and the brand-keyed store.
#[derive(Clone)]
pub struct Invoicing {
    pub db: Db,
    pub media: MediaStore,
}

/// The most address lines an invoice prints for the seller.
pub const MAX_ADDRESS_LINES: usize = 6;
/// The largest logo embedded in invoices (it is copied into every PDF).
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// A change to the details as sent: `None` keeps a value; `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct SettingsChange {
    pub legal_name: Option<Option<String>>,
    pub address_lines: Option<Vec<String>>,
    pub tax_id: Option<Option<String>>,
    pub logo_key: Option<Option<String>>,
}

/// The brand's details (none set: all empty).
pub async fn settings(db: &Db, scope: &TenantScope) -> Result<Settings, InvoiceError> {
    let tenant = scope.tenant_id();
    Ok(db
        .tenant_tx(scope, async |tx| repo::settings(tx, tenant).await)
        .await?)
}

/// A logo key: a key of the brand's own storage, of an image an invoice can carry (see
/// [`pdf::LOGO_FORMATS`]) of at most [`MAX_LOGO_BYTES`].
async fn check_logo(
    media: &MediaStore,
    scope: &TenantScope,
    key: &str,
) -> Result<String, InvoiceError> {
    let field = |message: String| InvoiceError::Invalid(vec![FieldError::new("logo_key", message)]);
    let Ok(object) = ObjectKey::stored(scope, key) else {
        return Err(field(format!(
            "a key in this brand's storage, e.g. {}/products/0001/logo.png",
            scope.slug()
        )));
    };
    let size = match media.size(scope, &object).await {
        Ok(size) => size,
        Err(StorageError::NotFound) => {
            return Err(field("no such file in this brand's storage".into()));
        }
        Err(e) => return Err(e.into()),
    };
    if size > MAX_LOGO_BYTES as u64 {
        return Err(field(format!("at most {MAX_LOGO_BYTES} bytes")));
    }
    let bytes = media.get(scope, &object).await?;
    if Logo::parse(&bytes).is_none() {
        return Err(field(format!("the image must be {}", pdf::LOGO_FORMATS)));
    }
    Ok(object.as_str().to_owned())
}

/// Checks each sent field; returns the change with its text trimmed.
async fn check_change(
    media: &MediaStore,
    scope: &TenantScope,
    change: SettingsChange,
) -> Result<SettingsChange, InvoiceError> {
    let mut errors = Vec::new();
    let legal_name = change.legal_name.map(|name| {
        name.and_then(|n| {
            errors
                .check("legal_name", Text::<1, 200>::parse(&n))
                .map(Text::into_string)
        })
    });
    let tax_id = change.tax_id.map(|id| {
        id.and_then(|t| {
            errors
                .check("tax_id", Text::<1, 50>::parse(&t))
                .map(Text::into_string)
        })
    });
    let address_lines = change.address_lines.map(|lines| {
        if lines.len() > MAX_ADDRESS_LINES {
            errors.push(FieldError::new(
                "address_lines",
                format!("at most {MAX_ADDRESS_LINES} lines"),
            ));
        }
        lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                errors
                    .check(format!("address_lines[{i}]"), Text::<1, 200>::parse(l))
                    .map(Text::into_string)
            })
            .collect::<Vec<_>>()
    });
    if !errors.is_empty() {
        return Err(InvoiceError::Invalid(errors));
    }
    let logo_key = match change.logo_key {
        Some(Some(key)) => Some(Some(check_logo(media, scope, key.trim()).await?)),
        other => other,
    };
    Ok(SettingsChange {
        legal_name,
        address_lines,
        tax_id,
        logo_key,
    })
}

/// Validates and applies a change, audited in the same transaction; returns the details as
/// they now are. Every invalid field is named in one 422; nothing changes then.
pub async fn update_settings(
    invoicing: &Invoicing,
    scope: &TenantScope,
    change: SettingsChange,
) -> Result<Settings, InvoiceError> {
    let change = check_change(&invoicing.media, scope, change).await?;
    let tenant = scope.tenant_id();
    invoicing
        .db
        .tenant_tx(scope, async |tx| {
            let current = repo::settings_for_update(tx, tenant).await?;
            let next = Settings {
                legal_name: change.legal_name.unwrap_or(current.legal_name),
                address_lines: change.address_lines.unwrap_or(current.address_lines),
                tax_id: change.tax_id.unwrap_or(current.tax_id),
                logo_key: change.logo_key.unwrap_or(current.logo_key),
            };
            repo::upsert_settings(tx, tenant, &next).await?;
            audit::record(
                tx,
                "invoices.settings",
                scope.slug(),
                serde_json::json!({ "logo": next.logo_key.is_some() }),
            )
            .await?;
            Ok::<_, DbError>(next)
        })
        .await
        .map_err(Into::into)
}

/// What the render job found in the brand's transaction.
struct Found {
    invoice: repo::InvoiceRow,
    source: repo::Source,
    settings: Settings,
}

/// The document to print, from the invoice (its number, date and totals), the order (its
/// lines, buyer and addresses) and the brand's details.
fn document(scope: &TenantScope, found: Found) -> InvoiceDocument {
    let Found {
        invoice,
        source,
        settings,
    } = found;
    InvoiceDocument {
        kind: DocumentKind::Invoice,
        seller: Seller {
            name: settings
                .legal_name
                .unwrap_or_else(|| scope.tenant().name.clone()),
            address_lines: settings.address_lines,
            tax_id: settings.tax_id,
        },
        number: invoice.number,
        issued_at: invoice.issued_at,
        order_number: source.order_number,
        currency: invoice.currency,
        buyer: Some(Buyer {
            name: source.customer_name,
            email: source.customer_email,
        }),
        billing_address: source.billing_address,
        shipping_address: source.shipping_address,
        shipping_method: source.shipping_method,
        prices_include_tax: source.prices_include_tax,
        lines: source.lines.into_iter().map(|l| l.line).collect(),
        subtotal_minor: invoice.subtotal_minor,
        discount_minor: invoice.discount_minor,
        shipping_minor: invoice.shipping_minor,
        tax_minor: invoice.tax_minor,
        total_minor: invoice.total_minor,
    }
}

/// The brand's logo for its invoices, if it has one the PDF can carry. A logo that went
/// missing or changed into something else renders the invoice without it (logged); a storage
/// failure is worth a retry.
async fn logo(
    media: &MediaStore,
    scope: &TenantScope,
    key: Option<&str>,
) -> Result<Option<Logo>, JobError> {
    let Some(key) = key else {
        return Ok(None);
    };
    // A logo replaced by a large image since it was set is not read, only measured.
    let bytes = match ObjectKey::stored(scope, key) {
        Ok(object) => match media.size(scope, &object).await {
            Ok(size) if size <= MAX_LOGO_BYTES as u64 => media
                .get(scope, &object)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?,
            Ok(_) | Err(StorageError::NotFound) => Bytes::new(),
            Err(e) => return Err(JobError::Retry(e.to_string())),
        },
        Err(_) => Bytes::new(),
    };
    let logo = (bytes.len() <= MAX_LOGO_BYTES)
        .then(|| Logo::parse(&bytes))
        .flatten();
    if logo.is_none() {
        tracing::warn!("the brand's invoice logo is missing or unusable; rendered without it");
    }
    Ok(logo)
}

/// Renders `doc` (with the brand's logo at `logo_key`, if usable) and stores the PDF at
/// `object_key`, a key read back from the database that must be in the scope's prefix. Returns
/// the PDF's size. Shared by invoices and credit notes; deterministic, so a retried job writes
/// the same bytes to the same key.
pub(super) async fn render_and_store(
    invoicing: &Invoicing,
    scope: &TenantScope,
    object_key: &str,
    doc: &InvoiceDocument,
    logo_key: Option<&str>,
) -> Result<i32, JobError> {
    let key =
        ObjectKey::stored(scope, object_key).map_err(|e| JobError::Permanent(e.to_string()))?;
    let logo = logo(&invoicing.media, scope, logo_key).await?;
    let started = std::time::Instant::now();
    let bytes = pdf::render(doc, logo.as_ref());
    tracing::debug!(
        invoice.render_ms = started.elapsed().as_secs_f64() * 1000.0,
        invoice.size_bytes = bytes.len(),
        "document rendered"
    );
    let size = i32::try_from(bytes.len()).map_err(|e| JobError::Permanent(e.to_string()))?;
    invoicing
        .media
        .put(scope, &key, bytes.into())
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(size)
}

/// The `render_invoice` job: renders an invoice's PDF and stores it at its key, then marks the
/// invoice rendered. Idempotent: the PDF is deterministic and the key fixed, so a run after a
/// lapsed claim (or after the PDF was stored but not yet marked) writes the same bytes again;
/// a run that finds the invoice rendered does nothing.
pub async fn render(
    invoicing: &Invoicing,
    scope: &TenantScope,
    invoice_id: Uuid,
) -> Result<(), JobError> {
    let tenant = scope.tenant_id();
    let found = invoicing
        .db
        .tenant_tx(scope, async |tx| {
            let Some(invoice) = repo::invoice(tx, tenant, invoice_id).await? else {
                return Ok::<_, DbError>(None);
            };
            let Some(source) = repo::source(tx, tenant, invoice.order_id).await? else {
                return Ok(None);
            };
            let settings = repo::settings(tx, tenant).await?;
            Ok(Some(Found {
                invoice,
                source,
                settings,
            }))
        })
        .await?;
    let Some(found) = found else {
        return Err(JobError::Permanent("no such invoice".into()));
    };
    if found.invoice.status == InvoiceStatus::Rendered {
        return Ok(());
    }
    let object_key = found.invoice.object_key.clone();
    let logo_key = found.settings.logo_key.clone();
    let doc = document(scope, found);
    let size = render_and_store(invoicing, scope, &object_key, &doc, logo_key.as_deref()).await?;
    invoicing
        .db
        .tenant_tx(scope, async |tx| {
            repo::mark_rendered(tx, tenant, invoice_id, size).await
        })
        .await?;
    Ok(())
}

/// An invoice or credit note to hand over.
#[derive(Debug)]
pub enum Download {
    /// The PDF, from a store the API serves itself.
    Pdf { file_name: String, bytes: Bytes },
    /// A presigned GET URL (S3).
    Url(String),
}

/// Which order's documents, and who asks.
pub enum Whose<'a> {
    /// Staff, by the brand's order number.
    Staff { number: i32 },
    /// The customer, by order id and the order's access token.
    Customer {
        order_id: Uuid,
        tokens: &'a OrderTokens,
        token: &'a str,
    },
}

/// Which document of the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// The order's invoice.
    Invoice,
    /// The order's credit note with this number (of the brand's credit-note series).
    CreditNote { number: i64 },
}

impl Whose<'_> {
    /// The order number (staff) or id (customer) to read by. The customer's token is checked
    /// first, before any read, in constant time; a wrong token is an unknown order.
    pub(super) fn order(
        &self,
        scope: &TenantScope,
    ) -> Result<(Option<i32>, Option<Uuid>), InvoiceError> {
        match self {
            Whose::Staff { number } => Ok((Some(*number), None)),
            Whose::Customer {
                order_id,
                tokens,
                token,
            } => {
                if !tokens.matches(scope.tenant_id(), *order_id, token) {
                    return Err(InvoiceError::NotFound("no such order"));
                }
                Ok((None, Some(*order_id)))
            }
        }
    }

    /// Whether the customer's token has expired for an order placed at `order_created_at`
    /// (then the order is unknown to them); never for staff.
    pub(super) fn expired(&self, order_created_at: chrono::DateTime<Utc>) -> bool {
        match self {
            Whose::Staff { .. } => false,
            Whose::Customer { tokens, .. } => Utc::now() >= tokens.expiry(order_created_at),
        }
    }
}

/// An order's invoice: 404 when there is no such order (or, for the customer, the token is
/// wrong or expired) or the order has no invoice; [`InvoiceError::NotReady`] while the PDF is
/// being rendered.
pub async fn download(
    invoicing: &Invoicing,
    scope: &TenantScope,
    whose: Whose<'_>,
) -> Result<Download, InvoiceError> {
    download_document(invoicing, scope, whose, Document::Invoice).await
}

/// An order's invoice or one of its credit notes, as [`download`] answers.
pub async fn download_document(
    invoicing: &Invoicing,
    scope: &TenantScope,
    whose: Whose<'_>,
    document: Document,
) -> Result<Download, InvoiceError> {
    let tenant = scope.tenant_id();
    let (number, order_id) = whose.order(scope)?;
    let row = invoicing
        .db
        .tenant_read(scope, || {
            async |tx| match document {
                Document::Invoice => repo::download(tx, tenant, number, order_id).await,
                Document::CreditNote {
                    number: credit_note,
                } => repo::credit_note_download(tx, tenant, number, order_id, credit_note).await,
            }
        })
        .await?;
    if let Some(r) = &row
        && whose.expired(r.order_created_at)
    {
        return Err(InvoiceError::NotFound("no such order"));
    }
    let Some(row) = row else {
        return Err(InvoiceError::NotFound(match document {
            Document::Invoice => "no invoice: no such order, or the order has not been paid",
            Document::CreditNote { .. } => {
                "no such credit note: no such order, or the order has no credit note with this \
                 number"
            }
        }));
    };
    if row.status != InvoiceStatus::Rendered {
        return Err(InvoiceError::NotReady);
    }
    let key = ObjectKey::stored(scope, &row.object_key)?;
    if let Some(url) = invoicing.media.presigned_get(scope, &key).await? {
        return Ok(Download::Url(url));
    }
    let bytes = invoicing.media.get(scope, &key).await?;
    let label = match document {
        Document::Invoice => pdf::invoice_label(row.number),
        Document::CreditNote { .. } => pdf::credit_note_label(row.number),
    };
    Ok(Download::Pdf {
        file_name: format!("{label}.pdf"),
        bytes,
    })
}
