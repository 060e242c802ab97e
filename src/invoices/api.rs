//! Invoice endpoints: the brand's invoice details (`brand.settings`), an order's invoice and
//! credit notes for staff (`customers.read`: they name the customer) and for the customer (with
//! the order token).

use chrono::{DateTime, Utc};
use poem::{IntoResponse, Response, http::header};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path},
    payload::{Json, Payload},
    registry::{MetaSchema, MetaSchemaRef},
    types::MaybeUndefined,
};
use uuid::Uuid;

use super::{
    InvoiceStatus,
    credit_notes::{self, CreditNoteRow},
    service::{self, Document, Download, Invoicing, Settings, SettingsChange, Whose},
};
use crate::{
    api::ApiTags,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    orders::token::OrderTokens,
    tenants::{StaffBrand, Storefront},
    types::Nullable,
};

/// The seller as the brand's invoices name it.
#[derive(Object)]
#[oai(rename = "InvoiceSettings")]
pub struct InvoiceSettingsView {
    /// The seller's legal name; null: invoices carry the brand's display name.
    pub legal_name: Nullable<String>,
    /// The seller's postal address, one line each (at most 6).
    pub address_lines: Vec<String>,
    /// The seller's tax or VAT id; null: none printed.
    pub tax_id: Nullable<String>,
    /// The object key of the logo printed on invoices, in the brand's own storage (e.g. a
    /// product image: `{brand}/products/0001/logo.png`); null: no logo.
    pub logo_key: Nullable<String>,
}

impl From<Settings> for InvoiceSettingsView {
    fn from(s: Settings) -> Self {
        Self {
            legal_name: s.legal_name.into(),
            address_lines: s.address_lines,
            tax_id: s.tax_id.into(),
            logo_key: s.logo_key.into(),
        }
    }
}

/// A credit note: the correction of an order's invoice by one confirmed refund.
#[derive(Object)]
#[oai(rename = "CreditNote")]
pub struct CreditNoteView {
    /// Its number in the brand's credit-note series (gapless, printed `CN-{number}`); the
    /// download's path names it.
    pub number: i64,
    /// The number of the invoice it corrects (`INV-{number}`).
    pub invoice_number: i64,
    /// The refund it credits (one credit note per confirmed refund).
    pub refund_id: Uuid,
    pub issued_at: DateTime<Utc>,
    pub currency: String,
    /// The credited lines (and free amounts), as the brand prices them (with tax when prices
    /// include it).
    pub subtotal_minor: i64,
    /// The credited shipping, priced the same way.
    pub shipping_minor: i64,
    /// The tax reversed (per rate in proportion to the invoice's).
    pub tax_minor: i64,
    /// What was refunded: the refund's amount.
    pub total_minor: i64,
    /// `pending` while its PDF is being rendered, then `rendered` (downloadable).
    pub status: InvoiceStatus,
}

impl From<CreditNoteRow> for CreditNoteView {
    fn from(n: CreditNoteRow) -> Self {
        Self {
            number: n.number,
            invoice_number: n.invoice_number,
            refund_id: n.refund_id,
            issued_at: n.issued_at,
            currency: n.currency,
            subtotal_minor: n.subtotal_minor,
            shipping_minor: n.shipping_minor,
            tax_minor: n.tax_minor,
            total_minor: n.total_minor,
            status: n.status,
        }
    }
}

/// Changes; omitted fields stay, `null` clears one.
#[derive(Object)]
#[oai(rename = "UpdateInvoiceSettings")]
pub struct UpdateInvoiceSettings {
    /// 1 to 200 characters.
    #[oai(nullable)]
    pub legal_name: MaybeUndefined<String>,
    /// At most 6 lines of 1 to 200 characters; `[]` clears the address.
    pub address_lines: Option<Vec<String>>,
    /// 1 to 50 characters.
    #[oai(nullable)]
    pub tax_id: MaybeUndefined<String>,
    /// A key of a file in the brand's own storage (`{brand}/...`, e.g. an uploaded product
    /// image's `{brand}/products/{number, 4+ digits}/{name}`): a JPEG (greyscale or RGB) or a
    /// PNG with 8-bit greyscale or RGB samples, no transparency, no interlacing, at most
    /// 512 KiB. Anything else is 422.
    #[oai(nullable)]
    pub logo_key: MaybeUndefined<String>,
}

fn nullable(m: MaybeUndefined<String>) -> Option<Option<String>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// PDF bytes.
pub struct PdfBody(bytes::Bytes);

impl Payload for PdfBody {
    const CONTENT_TYPE: &'static str = "application/pdf";

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")))
    }
}

impl IntoResponse for PdfBody {
    fn into_response(self) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, Self::CONTENT_TYPE)
            .body(self.0)
    }
}

/// An invoice's (or a credit note's) PDF, or where to fetch it.
#[derive(ApiResponse)]
pub enum InvoiceFile {
    /// The PDF (object storage in a local directory: the API serves the bytes).
    #[oai(status = 200)]
    Pdf(
        PdfBody,
        /// `attachment; filename="INV-{number}.pdf"` (a credit note: `CN-{number}.pdf`).
        #[oai(header = "Content-Disposition")]
        String,
        /// `private, no-store`: the document names the customer.
        #[oai(header = "Cache-Control")]
        String,
    ),
    /// On S3: `Location` is a presigned GET URL of the PDF, valid for `MEDIA_URL_TTL_SECS`
    /// (send no `Authorization` header to it).
    #[oai(status = 307)]
    Redirect(
        #[oai(header = "Location")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

const NO_STORE: &str = "private, no-store";

impl From<Download> for InvoiceFile {
    fn from(d: Download) -> Self {
        match d {
            Download::Pdf { file_name, bytes } => InvoiceFile::Pdf(
                PdfBody(bytes),
                format!("attachment; filename=\"{file_name}\""),
                NO_STORE.into(),
            ),
            Download::Url(url) => InvoiceFile::Redirect(url, NO_STORE.into()),
        }
    }
}

/// The endpoints; built by the composition root (`startup.rs`).
pub struct InvoicesApi {
    /// The pool and the brand-keyed store.
    pub invoicing: Invoicing,
    /// Checks the customer's order tokens.
    pub order_tokens: OrderTokens,
}

#[OpenApi]
impl InvoicesApi {
    /// The seller's details printed on the brand's invoices.
    ///
    /// None set: the brand's display name, no address, no tax id, no logo.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/brand/invoice-settings",
        method = "get",
        operation_id = "getInvoiceSettings",
        tag = "ApiTags::Orders"
    )]
    async fn get_settings(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<InvoiceSettingsView>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let settings = service::settings(&self.invoicing.db, &scope).await?;
        Ok(Json(settings.into()))
    }

    /// Changes the seller's details printed on the brand's invoices.
    ///
    /// Invoices rendered from then on carry them; invoices already rendered keep theirs.
    /// Every invalid field is named in one 422 and nothing changes. Audited.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/brand/invoice-settings",
        method = "patch",
        operation_id = "updateInvoiceSettings",
        tag = "ApiTags::Orders"
    )]
    async fn update_settings(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<UpdateInvoiceSettings>,
    ) -> Result<Json<InvoiceSettingsView>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let b = body.0;
        let change = SettingsChange {
            legal_name: nullable(b.legal_name),
            address_lines: b.address_lines,
            tax_id: nullable(b.tax_id),
            logo_key: nullable(b.logo_key),
        };
        let settings = service::update_settings(&self.invoicing, &scope, change).await?;
        Ok(Json(settings.into()))
    }

    /// The invoice of a paid order.
    ///
    /// The PDF (`application/pdf`), or on S3 a `307` to a presigned URL of it. An order that
    /// was never paid has no invoice (404, like an order that does not exist); a paid order
    /// whose PDF is still being rendered is a 409 `invoice-not-ready` problem with
    /// `Retry-After`. The invoice names the customer (and their addresses), so it takes
    /// `customers.read`: the warehouse role, which sees orders without who placed them, gets
    /// no invoices.
    ///
    /// Permission `customers.read`: roles owner, brand_manager, support.
    #[oai(
        path = "/v1/admin/orders/:number/invoice",
        method = "get",
        operation_id = "getOrderInvoice",
        tag = "ApiTags::Orders"
    )]
    async fn staff_invoice(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<InvoiceFile, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CustomersRead)?;
        let file =
            service::download(&self.invoicing, &scope, Whose::Staff { number: number.0 }).await?;
        Ok(file.into())
    }

    /// The customer's invoice of a paid order.
    ///
    /// With the order's token from checkout in `X-Order-Token`; answers as
    /// `GET /v1/admin/orders/{number}/invoice`. A wrong or expired token is 404, like a
    /// wrong id.
    #[oai(
        path = "/v1/storefront/orders/:id/invoice",
        method = "get",
        operation_id = "getStorefrontOrderInvoice",
        tag = "ApiTags::Storefront"
    )]
    async fn customer_invoice(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        id: Path<Uuid>,
        #[oai(name = "X-Order-Token")] order_token: Header<String>,
    ) -> Result<InvoiceFile, ApiError> {
        let file = service::download(
            &self.invoicing,
            &brand.0,
            Whose::Customer {
                order_id: id.0,
                tokens: &self.order_tokens,
                token: &order_token.0,
            },
        )
        .await?;
        Ok(file.into())
    }

    /// The credit notes of an order, in number order.
    ///
    /// A credit note is issued with each confirmed refund (the payment provider's `refunded`
    /// callback) of an invoiced order, whether the refund was asked for or came from
    /// cancelling the paid order; `[]` while there is none. Each is downloaded at
    /// `GET /v1/admin/orders/{number}/credit-notes/{credit_note}` once its `status` is
    /// `rendered`. An unknown order is 404.
    ///
    /// Permission `customers.read`: roles owner, brand_manager, support.
    #[oai(
        path = "/v1/admin/orders/:number/credit-notes",
        method = "get",
        operation_id = "listOrderCreditNotes",
        tag = "ApiTags::Orders"
    )]
    async fn staff_credit_notes(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<Vec<CreditNoteView>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CustomersRead)?;
        let notes =
            credit_notes::list(&self.invoicing, &scope, Whose::Staff { number: number.0 }).await?;
        Ok(Json(notes.into_iter().map(Into::into).collect()))
    }

    /// A credit note of an order.
    ///
    /// `credit_note` is its number (`CN-{number}`). Answers as the invoice does: the PDF, or
    /// on S3 a `307` to a presigned URL of it; 404 for an unknown order or a number that is not
    /// one of this order's credit notes; 409 `invoice-not-ready` with `Retry-After` while its
    /// PDF is being rendered.
    ///
    /// Permission `customers.read`: roles owner, brand_manager, support.
    #[oai(
        path = "/v1/admin/orders/:number/credit-notes/:credit_note",
        method = "get",
        operation_id = "getOrderCreditNote",
        tag = "ApiTags::Orders"
    )]
    async fn staff_credit_note(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
        credit_note: Path<i64>,
    ) -> Result<InvoiceFile, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CustomersRead)?;
        let file = service::download_document(
            &self.invoicing,
            &scope,
            Whose::Staff { number: number.0 },
            Document::CreditNote {
                number: credit_note.0,
            },
        )
        .await?;
        Ok(file.into())
    }

    /// The customer's credit notes of an order.
    ///
    /// With the order's token from checkout in `X-Order-Token`; answers as
    /// `GET /v1/admin/orders/{number}/credit-notes`. A wrong or expired token is 404, like a
    /// wrong id.
    #[oai(
        path = "/v1/storefront/orders/:id/credit-notes",
        method = "get",
        operation_id = "listStorefrontOrderCreditNotes",
        tag = "ApiTags::Storefront"
    )]
    async fn customer_credit_notes(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        id: Path<Uuid>,
        #[oai(name = "X-Order-Token")] order_token: Header<String>,
    ) -> Result<Json<Vec<CreditNoteView>>, ApiError> {
        let notes = credit_notes::list(
            &self.invoicing,
            &brand.0,
            Whose::Customer {
                order_id: id.0,
                tokens: &self.order_tokens,
                token: &order_token.0,
            },
        )
        .await?;
        Ok(Json(notes.into_iter().map(Into::into).collect()))
    }

    /// A customer's credit note of an order.
    ///
    /// With the order's token from checkout in `X-Order-Token`; answers as
    /// `GET /v1/admin/orders/{number}/credit-notes/{credit_note}`. A wrong or expired token is
    /// 404, like a wrong id.
    #[oai(
        path = "/v1/storefront/orders/:id/credit-notes/:credit_note",
        method = "get",
        operation_id = "getStorefrontOrderCreditNote",
        tag = "ApiTags::Storefront"
    )]
    async fn customer_credit_note(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        id: Path<Uuid>,
        credit_note: Path<i64>,
        #[oai(name = "X-Order-Token")] order_token: Header<String>,
    ) -> Result<InvoiceFile, ApiError> {
        let file = service::download_document(
            &self.invoicing,
            &brand.0,
            Whose::Customer {
                order_id: id.0,
                tokens: &self.order_tokens,
                token: &order_token.0,
            },
            Document::CreditNote {
                number: credit_note.0,
            },
        )
        .await?;
        Ok(file.into())
    }
}
