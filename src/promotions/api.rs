//! `/v1/admin/promotions[/{id}]` (write: `promotions.write`; read: `catalog.read`) and the
//! storefront's `POST /v1/storefront/quotes`.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi, param::Path, payload::Json, types::MaybeUndefined,
};
use uuid::Uuid;

use super::{
    AppliedPromotion, PromotionKind, PromotionTarget,
    service::{self, PromotionInput, PromotionRow},
};
use crate::{
    api::ApiTags,
    db::Db,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    orders::checkout::{self, LineInput, QuoteInput, Quoted},
    tenants::{StaffBrand, Storefront},
    types::Nullable,
};

/// A promotion of the brand.
#[derive(Debug, Object)]
#[oai(rename = "Promotion")]
pub struct PromotionBody {
    pub id: Uuid,
    pub name: String,
    /// What customers type (any case); `null`: applied by itself to every basket it fits.
    pub code: Nullable<String>,
    pub kind: PromotionKind,
    /// `percentage`: basis points off (1000 = 10 %).
    pub percent_bp: Nullable<i32>,
    /// `fixed_amount`: minor units of the brand's currency off.
    pub amount_minor: Nullable<i64>,
    /// `buy_x_get_y`: of every `buy_quantity + get_quantity` targeted units, the cheapest
    /// `get_quantity` are free.
    pub buy_quantity: Nullable<i32>,
    pub get_quantity: Nullable<i32>,
    pub target: PromotionTarget,
    /// Category codes, product numbers or SKUs (by `target`), sorted; empty for `all`.
    pub targets: Vec<String>,
    /// The basket's subtotal before discounts must be at least this.
    pub min_subtotal_minor: i64,
    pub starts_at: Nullable<DateTime<Utc>>,
    /// Exclusive: from then on it no longer applies.
    pub ends_at: Nullable<DateTime<Utc>>,
    /// Only for an email without an earlier paid or open order.
    pub first_order_only: bool,
    /// How many customer emails it is limited to (0: anyone). The emails themselves are not
    /// shown back.
    pub customer_email_count: i32,
    /// Uses in total (`null`: no limit).
    pub usage_limit: Nullable<i32>,
    /// Uses per customer email (`null`: no limit).
    pub usage_limit_per_customer: Nullable<i32>,
    /// Uses held by unpaid orders plus uses consumed by paid ones.
    pub uses_count: i32,
    /// Exclusive promotions are never combined with another (README, "Promotions").
    pub exclusive: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PromotionRow> for PromotionBody {
    fn from(r: PromotionRow) -> Self {
        let f = r.fields;
        Self {
            id: r.id,
            name: f.name,
            code: f.code.into(),
            kind: f.kind,
            percent_bp: f.percent_bp.into(),
            amount_minor: f.amount_minor.into(),
            buy_quantity: f.buy_quantity.into(),
            get_quantity: f.get_quantity.into(),
            target: f.target,
            targets: f.targets,
            min_subtotal_minor: f.min_subtotal_minor,
            starts_at: f.starts_at.into(),
            ends_at: f.ends_at.into(),
            first_order_only: f.first_order_only,
            customer_email_count: i32::try_from(f.customer_emails.len()).unwrap_or(i32::MAX),
            usage_limit: f.usage_limit.into(),
            usage_limit_per_customer: f.usage_limit_per_customer.into(),
            uses_count: r.uses_count,
            exclusive: f.exclusive,
            active: f.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new promotion, or (PATCH) a change to one: fields left out stay as they are (or take
/// their default on creation); `null` clears a nullable one. Changing `kind` drops the old
/// kind's figure.
#[derive(Debug, Object)]
#[oai(rename = "PromotionInput")]
pub struct PromotionRequest {
    /// 1 to 200 characters. Required on creation.
    pub name: Option<String>,
    /// 1 to 40 letters, digits, `_` and `-`; unique in the brand in any case. Leave out (or
    /// `null`) for an automatic promotion.
    #[oai(nullable)]
    pub code: MaybeUndefined<String>,
    /// Required on creation.
    pub kind: Option<PromotionKind>,
    /// 1 to 10000 (`percentage`).
    #[oai(nullable)]
    pub percent_bp: MaybeUndefined<i32>,
    /// 1 to 100000000000 (`fixed_amount`).
    #[oai(nullable)]
    pub amount_minor: MaybeUndefined<i64>,
    /// 1 to 1000 (`buy_x_get_y`).
    #[oai(nullable)]
    pub buy_quantity: MaybeUndefined<i32>,
    /// 1 to 1000 (`buy_x_get_y`).
    #[oai(nullable)]
    pub get_quantity: MaybeUndefined<i32>,
    /// Default `all`.
    pub target: Option<PromotionTarget>,
    /// 1 to 500 category codes, product numbers or SKUs (by `target`); empty for `all`.
    pub targets: Option<Vec<String>>,
    /// Default 0.
    pub min_subtotal_minor: Option<i64>,
    #[oai(nullable)]
    pub starts_at: MaybeUndefined<DateTime<Utc>>,
    #[oai(nullable)]
    pub ends_at: MaybeUndefined<DateTime<Utc>>,
    /// Default false.
    pub first_order_only: Option<bool>,
    /// Replaces the list (up to 1000 emails; empty: anyone).
    pub customer_emails: Option<Vec<String>>,
    #[oai(nullable)]
    pub usage_limit: MaybeUndefined<i32>,
    #[oai(nullable)]
    pub usage_limit_per_customer: MaybeUndefined<i32>,
    /// Default false (combinable).
    pub exclusive: Option<bool>,
    /// Default true.
    pub active: Option<bool>,
}

fn maybe<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

impl From<PromotionRequest> for PromotionInput {
    fn from(b: PromotionRequest) -> Self {
        PromotionInput {
            name: b.name,
            code: maybe(b.code),
            kind: b.kind,
            percent_bp: maybe(b.percent_bp),
            amount_minor: maybe(b.amount_minor),
            buy_quantity: maybe(b.buy_quantity),
            get_quantity: maybe(b.get_quantity),
            target: b.target,
            targets: b.targets,
            min_subtotal_minor: b.min_subtotal_minor,
            starts_at: maybe(b.starts_at),
            ends_at: maybe(b.ends_at),
            first_order_only: b.first_order_only,
            customer_emails: b.customer_emails,
            usage_limit: maybe(b.usage_limit),
            usage_limit_per_customer: maybe(b.usage_limit_per_customer),
            exclusive: b.exclusive,
            active: b.active,
        }
    }
}

/// One line of a basket to price.
#[derive(Debug, Object)]
#[oai(rename = "QuoteLineInput")]
pub struct QuoteLineRequest {
    pub sku: String,
    /// 1 to 1000.
    pub quantity: i32,
}

/// A basket to price.
#[derive(Debug, Object)]
#[oai(rename = "QuoteRequest")]
pub struct QuoteRequest {
    /// 1 to 100 lines.
    pub lines: Vec<QuoteLineRequest>,
    /// Up to 5 promo codes (any case).
    #[oai(default)]
    pub promo_codes: Vec<String>,
    /// The shipping address's country (ISO 3166-1 alpha-2): the tax country, and where the
    /// method must ship. Required when the brand has an active shipping method.
    pub country: Option<String>,
    /// A shipping method's code. Required when the brand has an active shipping method.
    pub shipping_method: Option<String>,
    /// The customer's email, for promotions limited to some customers, to a first order, or
    /// per customer.
    pub customer_email: Option<String>,
}

/// One priced line.
#[derive(Debug, Object)]
#[oai(rename = "QuoteLine")]
pub struct QuoteLineBody {
    pub sku: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    /// Its share of the promotions' discount, taken off before its tax.
    pub discount_minor: i64,
    pub tax_rate_bp: i32,
    pub tax_minor: i64,
    /// What the line costs, tax included.
    pub line_total_minor: i64,
}

/// What a checkout of this basket would charge now, on the same rules (nothing is held: stock
/// and promotion uses may still be gone by checkout).
#[derive(Debug, Object)]
#[oai(rename = "Quote")]
pub struct QuoteBody {
    pub currency: String,
    pub prices_include_tax: bool,
    pub lines: Vec<QuoteLineBody>,
    /// The lines' amounts before discounts.
    pub subtotal_minor: i64,
    /// The lines' discounts plus the shipping's.
    pub discount_minor: i64,
    /// The shipping method's price before a shipping discount.
    pub shipping_minor: i64,
    /// The free-shipping part of `discount_minor`.
    pub shipping_discount_minor: i64,
    pub tax_minor: i64,
    /// `subtotal - discount + shipping + tax` (prices exclusive of tax) or `subtotal -
    /// discount + shipping` (inclusive).
    pub total_minor: i64,
    /// The method's code; `null` for a brand without methods.
    pub shipping_method: Nullable<String>,
    /// The promotions applied, in the order of application.
    pub promotions: Vec<AppliedPromotion>,
}

impl From<Quoted> for QuoteBody {
    fn from(q: Quoted) -> Self {
        let t = q.totals;
        Self {
            currency: q.currency,
            prices_include_tax: q.prices_include_tax,
            lines: q
                .lines
                .into_iter()
                .map(|l| QuoteLineBody {
                    sku: l.sku,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price_minor,
                    discount_minor: l.priced.discount_minor,
                    tax_rate_bp: l.tax_rate_bp,
                    tax_minor: l.priced.tax_minor,
                    line_total_minor: l.priced.total_minor,
                })
                .collect(),
            subtotal_minor: t.subtotal_minor,
            discount_minor: t.discount_minor,
            shipping_minor: t.shipping_minor,
            shipping_discount_minor: t.shipping_discount_minor,
            tax_minor: t.tax_minor,
            total_minor: t.total_minor,
            shipping_method: q.shipping_method.map(|(code, _)| code).into(),
            promotions: q.promotions,
        }
    }
}

#[derive(ApiResponse)]
pub enum Created {
    #[oai(status = 201)]
    Created(Json<PromotionBody>),
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    Done,
}

/// The endpoints; built by the composition root with the pool.
pub struct PromotionsApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: Db,
}

#[OpenApi]
impl PromotionsApi {
    /// Creates a promotion: `percentage`, `fixed_amount`, `free_shipping` or `buy_x_get_y`,
    /// targeting all lines, categories, products or SKUs, with optional conditions and usage
    /// limits. With a `code` it applies when a basket names it (any case); without, to every
    /// basket it fits. How promotions stack: README, "Promotions". A code this brand already
    /// has (in any case) is a 409.
    ///
    /// Permission `promotions.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/promotions",
        method = "post",
        operation_id = "createPromotion",
        tag = "ApiTags::Promotions"
    )]
    async fn create(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<PromotionRequest>,
    ) -> Result<Created, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::PromotionsWrite)?;
        let row = service::create(&self.db, &scope, &body.0.into()).await?;
        Ok(Created::Created(Json(row.into())))
    }

    /// The brand's promotions, newest first.
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/promotions",
        method = "get",
        operation_id = "listPromotions",
        tag = "ApiTags::Promotions"
    )]
    async fn list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<PromotionBody>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        let rows = service::list(&self.db, &scope).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// One promotion of the brand (404 for another brand's).
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/promotions/:id",
        method = "get",
        operation_id = "getPromotion",
        tag = "ApiTags::Promotions"
    )]
    async fn get(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<Json<PromotionBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        Ok(Json(service::get(&self.db, &scope, id.0).await?.into()))
    }

    /// Changes a promotion: the fields sent replace the stored ones, and the whole is checked
    /// again. Placed orders keep what they were given.
    ///
    /// Permission `promotions.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/promotions/:id",
        method = "patch",
        operation_id = "updatePromotion",
        tag = "ApiTags::Promotions"
    )]
    async fn update(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
        body: Json<PromotionRequest>,
    ) -> Result<Json<PromotionBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::PromotionsWrite)?;
        let row = service::update(&self.db, &scope, id.0, &body.0.into()).await?;
        Ok(Json(row.into()))
    }

    /// Deletes a promotion no order has used; a used one is a 409 (deactivate it with
    /// `active: false` instead).
    ///
    /// Permission `promotions.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/promotions/:id",
        method = "delete",
        operation_id = "deletePromotion",
        tag = "ApiTags::Promotions"
    )]
    async fn delete(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::PromotionsWrite)?;
        service::delete(&self.db, &scope, id.0).await?;
        Ok(Done::Done)
    }

    /// Prices a basket as checkout would, without holding stock or promotion uses: the lines
    /// from the catalog, the brand's automatic promotions and the promo codes given (stacked
    /// as README's "Promotions" says), tax per line after the discounts, the shipping method's
    /// price. Errors are checkout's: unknown SKU (422), `ineligible-shipping-method` (422),
    /// `unknown-promo-code` (422, also for another brand's code), `promo-code-not-applicable`
    /// (422), `promo-code-exhausted` (409). Anonymous.
    #[oai(
        path = "/v1/storefront/quotes",
        method = "post",
        operation_id = "quoteBasket",
        tag = "ApiTags::Storefront"
    )]
    async fn quote(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        body: Json<QuoteRequest>,
    ) -> Result<Json<QuoteBody>, ApiError> {
        let b = body.0;
        let input = QuoteInput {
            lines: b
                .lines
                .into_iter()
                .map(|l| LineInput {
                    sku: l.sku,
                    quantity: l.quantity,
                })
                .collect(),
            promo_codes: b.promo_codes,
            country: b.country,
            shipping_method: b.shipping_method,
            customer_email: b.customer_email,
        };
        let quoted = checkout::quote(&self.db, &brand.0, &input).await?;
        Ok(Json(quoted.into()))
    }
}
