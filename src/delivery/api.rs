//! `/v1/admin/shipping-methods` and `/v1/admin/tax-rates` (permission `brand.settings`), and the
//! storefront's `/v1/storefront/shipping-methods`.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
};

use super::{
    RateBasis, TaxClass,
    pricing::Band,
    service::{self, MethodInput, MethodRow, Quote, RateRow},
};
use crate::{
    api::ApiTags,
    db::Db,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    tenants::{StaffBrand, Storefront},
    types::{CountryCode, DisplayName, Nullable, Slug, Unchecked},
};

/// One price band: orders whose subtotal (or weight, by the method's `rate_basis`) is at least
/// `min` and below `max` pay `price_minor`.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ShippingBand")]
pub struct BandBody {
    /// Inclusive, in minor units (subtotal) or grams (weight).
    pub min: i64,
    /// Exclusive; `null` for no upper bound.
    pub max: Nullable<i64>,
    /// What the band costs, as the brand prices (with tax when its prices include tax).
    pub price_minor: i64,
}

impl From<BandBody> for Band {
    fn from(b: BandBody) -> Self {
        Band {
            min: b.min,
            max: b.max.0,
            price_minor: b.price_minor,
        }
    }
}

impl From<Band> for BandBody {
    fn from(b: Band) -> Self {
        BandBody {
            min: b.min,
            max: b.max.into(),
            price_minor: b.price_minor,
        }
    }
}

/// A shipping method of the brand.
#[derive(Debug, Object)]
#[oai(rename = "ShippingMethod")]
pub struct MethodBody {
    /// What checkouts send as `shipping_method`.
    pub code: String,
    pub name: String,
    /// ISO 3166-1 alpha-2 codes it ships to, sorted.
    pub countries: Vec<String>,
    pub rate_basis: RateBasis,
    /// Not overlapping; an order outside every band cannot use the method.
    pub bands: Vec<BandBody>,
    /// From this subtotal on, the method costs nothing; `null`: never free.
    pub free_over_minor: Nullable<i64>,
    /// Inactive methods are neither listed to the storefront nor accepted at checkout.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<MethodRow> for MethodBody {
    fn from(r: MethodRow) -> Self {
        Self {
            code: r.code,
            name: r.name,
            countries: r.countries,
            rate_basis: r.rate_basis,
            bands: r.bands.into_iter().map(Into::into).collect(),
            free_over_minor: r.free_over_minor.into(),
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new shipping method.
#[derive(Debug, Object)]
#[oai(rename = "NewShippingMethod")]
pub struct NewMethod {
    /// Lowercase letters and digits in hyphen-separated words, unique in the brand, e.g.
    /// `standard` or `express-eu`.
    pub code: Unchecked<Slug>,
    pub name: Unchecked<DisplayName>,
    /// 1 to 250 ISO 3166-1 alpha-2 codes.
    pub countries: Vec<Unchecked<CountryCode>>,
    pub rate_basis: RateBasis,
    /// 1 to 50 bands, not overlapping.
    pub bands: Vec<BandBody>,
    pub free_over_minor: Option<i64>,
    /// Default true.
    pub active: Option<bool>,
}

/// A change to a shipping method: fields left out stay as they are; its code never changes.
#[derive(Debug, Object)]
#[oai(rename = "UpdateShippingMethod")]
pub struct UpdateMethod {
    pub name: Option<Unchecked<DisplayName>>,
    pub countries: Option<Vec<Unchecked<CountryCode>>>,
    pub rate_basis: Option<RateBasis>,
    /// Replaces every band.
    pub bands: Option<Vec<BandBody>>,
    /// `null` removes the threshold.
    #[oai(nullable)]
    pub free_over_minor: MaybeUndefined<i64>,
    pub active: Option<bool>,
}

/// A brand's tax rate for one country and tax class.
#[derive(Debug, Object)]
#[oai(rename = "TaxRate")]
pub struct RateBody {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub tax_class: TaxClass,
    /// Basis points: 2000 = 20 %.
    pub rate_bp: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<RateRow> for RateBody {
    fn from(r: RateRow) -> Self {
        Self {
            country: r.country,
            tax_class: r.tax_class,
            rate_bp: r.rate_bp,
            updated_at: r.updated_at,
        }
    }
}

/// The rate to set.
#[derive(Debug, Object)]
#[oai(rename = "SetTaxRate")]
pub struct SetRate {
    /// 0 to 10000 basis points (2000 = 20 %).
    pub rate_bp: i32,
}

/// A shipping method the storefront may offer for an order, with its price.
#[derive(Debug, Object)]
#[oai(rename = "ShippingQuote")]
pub struct QuoteBody {
    /// Send as `shipping_method` at checkout.
    pub code: String,
    pub name: String,
    /// What the order pays for shipping with this method, as the brand prices (with tax when
    /// its prices include tax; else tax at the country's standard rate is added at checkout).
    pub price_minor: i64,
    /// From this subtotal on the method is free; `null`: never.
    pub free_over_minor: Nullable<i64>,
}

impl From<Quote> for QuoteBody {
    fn from(q: Quote) -> Self {
        Self {
            code: q.code,
            name: q.name,
            price_minor: q.price_minor,
            free_over_minor: q.free_over_minor.into(),
        }
    }
}

#[derive(ApiResponse)]
pub enum Created {
    #[oai(status = 201)]
    Created(Json<MethodBody>),
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    Done,
}

/// The endpoints; built by the composition root with the pool.
pub struct DeliveryApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: Db,
}

fn countries(list: Vec<Unchecked<CountryCode>>) -> Vec<String> {
    list.into_iter().map(Unchecked::into_string).collect()
}

#[OpenApi]
impl DeliveryApi {
    /// Creates a shipping method. Once a brand has an active method, every checkout must
    /// name an eligible one (and give a shipping address).
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/shipping-methods",
        method = "post",
        operation_id = "createShippingMethod",
        tag = "ApiTags::Delivery"
    )]
    async fn create(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<NewMethod>,
    ) -> Result<Created, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let b = body.0;
        let input = MethodInput {
            name: Some(b.name.into_string()),
            countries: Some(countries(b.countries)),
            rate_basis: Some(b.rate_basis),
            bands: Some(b.bands.into_iter().map(Into::into).collect()),
            free_over_minor: Some(b.free_over_minor),
            active: b.active,
        };
        let row = service::create_method(&self.db, &scope, b.code.as_str(), &input).await?;
        Ok(Created::Created(Json(row.into())))
    }

    /// The brand's shipping methods, active or not, by code.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/shipping-methods",
        method = "get",
        operation_id = "listShippingMethods",
        tag = "ApiTags::Delivery"
    )]
    async fn list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<MethodBody>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let rows = service::list_methods(&self.db, &scope).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// One shipping method of the brand (404 for another brand's).
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/shipping-methods/:code",
        method = "get",
        operation_id = "getShippingMethod",
        tag = "ApiTags::Delivery"
    )]
    async fn get(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        code: Path<String>,
    ) -> Result<Json<MethodBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        Ok(Json(
            service::get_method(&self.db, &scope, &code.0).await?.into(),
        ))
    }

    /// Changes a shipping method. Placed orders keep the price and name they were placed with.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/shipping-methods/:code",
        method = "patch",
        operation_id = "updateShippingMethod",
        tag = "ApiTags::Delivery"
    )]
    async fn update(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        code: Path<String>,
        body: Json<UpdateMethod>,
    ) -> Result<Json<MethodBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let b = body.0;
        let input = MethodInput {
            name: b.name.map(Unchecked::into_string),
            countries: b.countries.map(countries),
            rate_basis: b.rate_basis,
            bands: b.bands.map(|v| v.into_iter().map(Into::into).collect()),
            free_over_minor: match b.free_over_minor {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(v)),
            },
            active: b.active,
        };
        let row = service::update_method(&self.db, &scope, &code.0, &input).await?;
        Ok(Json(row.into()))
    }

    /// Deletes a shipping method. Placed orders keep their snapshot of it.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/shipping-methods/:code",
        method = "delete",
        operation_id = "deleteShippingMethod",
        tag = "ApiTags::Delivery"
    )]
    async fn delete(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        code: Path<String>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        service::delete_method(&self.db, &scope, &code.0).await?;
        Ok(Done::Done)
    }

    /// The brand's tax rates, by country and class. A (country, class) without a rate is taxed
    /// at 0.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/tax-rates",
        method = "get",
        operation_id = "listTaxRates",
        tag = "ApiTags::Delivery"
    )]
    async fn list_rates(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<RateBody>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let rows = service::list_rates(&self.db, &scope).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Sets the brand's tax rate for a country (ISO 3166-1 alpha-2) and tax class (`standard`,
    /// `reduced`, `zero`). Placed orders keep the rates they were placed with.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/tax-rates/:country/:tax_class",
        method = "put",
        operation_id = "setTaxRate",
        tag = "ApiTags::Delivery"
    )]
    async fn set_rate(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        country: Path<String>,
        tax_class: Path<String>,
        body: Json<SetRate>,
    ) -> Result<Json<RateBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let row =
            service::set_rate(&self.db, &scope, &country.0, &tax_class.0, body.0.rate_bp).await?;
        Ok(Json(row.into()))
    }

    /// Removes the brand's tax rate for a country and class (0 from now on).
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/tax-rates/:country/:tax_class",
        method = "delete",
        operation_id = "deleteTaxRate",
        tag = "ApiTags::Delivery"
    )]
    async fn delete_rate(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        country: Path<String>,
        tax_class: Path<String>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        service::delete_rate(&self.db, &scope, &country.0, &tax_class.0).await?;
        Ok(Done::Done)
    }

    /// The shipping methods an order to `country` with this subtotal (and weight) may use,
    /// with their prices, cheapest first. `subtotal_minor` is the lines' total as the brand
    /// prices them; `weight_grams` (default 0) prices weight-banded methods. Checkout computes
    /// the same price on the server; whatever a client shows, the server's price is charged.
    /// Anonymous.
    #[oai(
        path = "/v1/storefront/shipping-methods",
        method = "get",
        operation_id = "listStorefrontShippingMethods",
        tag = "ApiTags::Storefront"
    )]
    async fn quotes(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        /// ISO 3166-1 alpha-2, e.g. `DE`.
        country: Query<String>,
        subtotal_minor: Query<i64>,
        weight_grams: Query<Option<i64>>,
    ) -> Result<Json<Vec<QuoteBody>>, ApiError> {
        let quotes = service::quotes(
            &self.db,
            &brand.0,
            &country.0,
            subtotal_minor.0,
            weight_grams.0,
        )
        .await?;
        Ok(Json(quotes.into_iter().map(Into::into).collect()))
    }
}
